/* test-sync.c: end to end, through dlopen and the mock host, against the
 * fake Paperless-ngx server: full and incremental syncs, deletions,
 * renames, equal timestamps across pages, request budgets, read-only and
 * secrecy guarantees. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json.h>

#include "harness.h"
#include "opl.h"

static const char *
srcdir (void)
{
  const char *s = getenv ("top_srcdir");
  return s && *s ? s : ".";
}

static fp_server *
start_sample (void)
{
  char path[512], err[256];
  snprintf (path, sizeof path, "%s/tests/data/sample-corpus.json", srcdir ());
  /* The corpus's own timestamps reach into 2026: the server's clock for
   * edits starts after them, as a real server's would. */
  fp_options o
      = {.corpus_path = path, .clock_start_us = INT64_C (1798761600000000)};
  fp_server *s = fp_server_start (&o, err, sizeof err);
  ck_assert_msg (s != NULL, "fake server: %s", err);
  return s;
}

static fp_server *
start_generated (size_t n, const char *version)
{
  char err[256];
  fp_gen_options g = {.content_bytes = 600, .server_version = version};
  fp_options o = {.corpus = fp_corpus_generate (n, 42, &g)};
  fp_server *s = fp_server_start (&o, err, sizeof err);
  ck_assert_msg (s != NULL, "fake server: %s", err);
  return s;
}

static void
assert_converged (h_env *e)
{
  char why[300];
  ck_assert_msg (h_converged (e, why, sizeof why), "not converged: %s", why);
}

static void
assert_read_only_and_secret (h_env *e)
{
  const char *token = fp_server_token (e->srv);
  ck_assert_uint_eq (fp_server_non_get_count (e->srv), 0);
  ck_assert_msg (!h_file_contains (e->events, token), "token in events");
  ck_assert_msg (!h_file_contains (e->state, token), "token in state");
  ck_assert_msg (!h_file_contains (e->out, token), "token in host output");
}

/* A sync whose output alone is in e->out afterwards (h_sync appends). */
static int
sync_alone (h_env *e, const char *mode)
{
  unlink (e->out);
  return h_sync (e, mode);
}

/* The events of the run started when the events file had `mark` bytes
 * were those of a full sync: every document the server shows re-delivered
 * once, `deleted` documents deleted, nothing else. */
static void
assert_full_run (h_env *e, size_t mark, size_t deleted)
{
  h_events ev;
  int64_t *ids = NULL;
  size_t n = fp_server_visible_ids (e->srv, 0, &ids);
  h_events_since (e, mark, &ev);
  ck_assert_uint_eq (ev.n_created + ev.n_updated, n);
  for (size_t i = 0; i < n; i++)
    ck_assert_msg (h_count_id (ev.updated, ev.n_updated, ids[i])
                           + h_count_id (ev.created, ev.n_created, ids[i])
                       == 1,
                   "document %lld not re-delivered once by the full sync",
                   (long long)ids[i]);
  ck_assert_uint_eq (ev.n_deleted, deleted);
  h_events_free (&ev);
  free (ids);
}

/* What a document shows, to name the documents a change affects. */
typedef enum shows_kind {
  SHOWS_ANYTHING,
  SHOWS_STORAGE_PATH,  /* storage_path == id (-1: none) */
  SHOWS_DOCUMENT_TYPE, /* document_type == id (-1: none) */
  SHOWS_FIELD,         /* a value of custom field id */
  SHOWS_FIELD_VALUE    /* custom field id with the value `value` */
} shows_kind;

typedef struct shows {
  shows_kind kind;
  int64_t id;
  const char *value;
} shows;

static bool
doc_shows (fp_server *srv, int64_t doc, const shows *w)
{
  char *text = fp_server_document_json (srv, doc, 0);
  json_object *d = text ? json_tokener_parse (text) : NULL;
  int64_t v = -1;
  bool yes = false;

  ck_assert_msg (d != NULL, "document %lld: no JSON", (long long)doc);
  switch (w->kind) {
    case SHOWS_ANYTHING:
      yes = true;
      break;
    case SHOWS_STORAGE_PATH:
    case SHOWS_DOCUMENT_TYPE:
      if (!opl_json_get_int (d,
                             w->kind == SHOWS_STORAGE_PATH ? "storage_path"
                                                           : "document_type",
                             &v))
        v = -1;
      yes = v == w->id;
      break;
    case SHOWS_FIELD:
    case SHOWS_FIELD_VALUE: {
      json_object *cfs = opl_json_get_array (d, "custom_fields");
      for (size_t i = 0; cfs && i < json_object_array_length (cfs); i++) {
        json_object *cf = json_object_array_get_idx (cfs, i), *val = NULL;
        if (!opl_json_get_int (cf, "field", &v) || v != w->id)
          continue;
        json_object_object_get_ex (cf, "value", &val);
        yes = w->kind == SHOWS_FIELD
              || (val != NULL
                  && strcmp (json_object_get_string (val), w->value) == 0);
      }
      break;
    }
  }
  json_object_put (d);
  free (text);
  return yes;
}

/* The ids of the documents the server shows that show w (malloc'd). */
static size_t
ids_showing (fp_server *srv, const shows *w, int64_t **out)
{
  int64_t *ids = NULL;
  size_t n = fp_server_visible_ids (srv, 0, &ids), k = 0;
  for (size_t i = 0; i < n; i++)
    if (doc_shows (srv, ids[i], w))
      ids[k++] = ids[i];
  *out = ids;
  return k;
}

START_TEST (full_sync_of_sample_corpus)
{
  fp_server *srv = start_sample ();
  h_env e;
  h_setup (&e, srv, NULL);

  ck_assert_int_eq (h_sync (&e, "full"), 0);
  h_index ix;
  h_replay (&e, &ix);
  int64_t *ids = NULL;
  size_t n = fp_server_visible_ids (srv, 0, &ids);
  ck_assert_uint_gt (n, 50);
  ck_assert_uint_eq (ix.n, n);
  ck_assert_uint_eq (ix.created, n);
  ck_assert_uint_eq (ix.updated, 0);
  ck_assert_uint_eq (ix.deleted, 0);
  h_index_free (&ix);
  free (ids);
  assert_converged (&e);
  assert_read_only_and_secret (&e);

  /* Every event carries what the mission names. */
  ck_assert (h_file_contains (e.events, "\"document_created\""));
  ck_assert (h_file_contains (e.events, "## Metadata"));
  ck_assert (h_file_contains (e.events, "**Correspondent:**"));
  ck_assert (h_file_contains (e.events, "## Notes"));
  ck_assert (h_file_contains (e.events, "\"paperless:src1:"));
  ck_assert (h_file_contains (e.events, "\"source_type\":\"paperless_ngx\""));

  /* status reports the completed sync. */
  ck_assert_int_eq (h_host (&e, "status", "--state", "@state", (char *)NULL),
                    0);
  char count[32];
  snprintf (count, sizeof count, "%zu", n);
  ck_assert_msg (h_file_contains (e.out, count), "status lacks the count");

  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

START_TEST (incremental_with_nothing_changed_is_cheap)
{
  /* 10,000 documents; fewer under valgrind (OPL_IT_DOCS), where the count
   * of requests is the same constant. */
  const char *n = getenv ("OPL_IT_DOCS");
  fp_server *srv
      = start_generated (n && *n ? strtoul (n, NULL, 10) : 10000, NULL);
  h_env e;
  h_setup (&e, srv, NULL);

  ck_assert_int_eq (h_sync (&e, "full"), 0);
  fp_server_log_clear (srv);
  ck_assert_int_eq (h_sync (&e, "incremental"), 0);
  /* probe, 7 lookups, changed-ids listing, id reconciliation. */
  ck_assert_uint_eq (h_requests (&e), 10);
  h_index ix;
  h_replay (&e, &ix);
  ck_assert_uint_eq (ix.updated, 0);
  ck_assert_uint_eq (ix.deleted, 0);
  h_index_free (&ix);
  assert_converged (&e);
  assert_read_only_and_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

START_TEST (incremental_edits_adds_trash_and_renames)
{
  fp_server *srv = start_sample ();
  h_env e;
  h_setup (&e, srv, NULL);
  char err[256];

  ck_assert_int_eq (h_sync (&e, "full"), 0);
  h_index before;
  h_replay (&e, &before);

  fp_doc_edit ed = {.title = "Edited title"};
  ck_assert_int_eq (fp_server_edit_document (srv, 2, &ed), 0);
  ck_assert_int_eq (fp_server_trash_document (srv, 3), 0);
  int64_t added = fp_server_add_document (srv, "Brand new", "new content");
  ck_assert_int_gt (added, 0);
  /* A rename bumps no document: only the plugin's fingerprints see it. */
  ck_assert_int_eq (
      fp_server_command (
          srv, "rename?endpoint=correspondents&id=1&name=Renamed+Correspondent",
          err, sizeof err),
      0);
  ck_assert_int_eq (h_sync (&e, "incremental"), 0);
  assert_converged (&e);
  ck_assert (h_file_contains (e.events, "Edited title"));
  ck_assert (h_file_contains (e.events,
                              "\"document_deleted\",\"source_id\":\"src1\","
                              "\"document_id\":\"paperless:src1:3\"")
             || h_file_contains (e.events, "paperless:src1:3\"}"));
  ck_assert (h_file_contains (e.events, "Renamed Correspondent"));
  ck_assert (h_file_contains (e.events, "Brand new"));

  /* Restore from the trash: it comes back. */
  ck_assert_int_eq (fp_server_restore_document (srv, 3), 0);
  ck_assert_int_eq (h_sync (&e, "incremental"), 0);
  assert_converged (&e);
  assert_read_only_and_secret (&e);
  h_index_free (&before);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

START_TEST (full_sync_relists_and_deletes)
{
  fp_server *srv = start_generated (300, NULL);
  h_env e;
  h_setup (&e, srv, NULL);

  ck_assert_int_eq (h_sync (&e, "full"), 0);
  ck_assert_int_eq (fp_server_trash_document (srv, 10), 0);
  ck_assert_int_eq (fp_server_purge_document (srv, 11), 0);
  ck_assert_int_eq (h_sync (&e, "full"), 0);
  h_index ix;
  h_replay (&e, &ix);
  int64_t *ids = NULL;
  size_t n = fp_server_visible_ids (srv, 0, &ids);
  free (ids);
  /* The second full sync re-delivered every document as an update. */
  ck_assert_uint_eq (ix.updated, n);
  ck_assert_uint_ge (ix.deleted, 1);
  h_index_free (&ix);
  assert_converged (&e);
  assert_read_only_and_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

START_TEST (bulk_edit_with_equal_timestamps_across_pages)
{
  fp_server *srv = start_generated (2500, NULL);
  h_env e;
  /* Small listing pages, so that 1,000 equal timestamps span ten. */
  h_setup (&e, srv, "\"list_page_size\":100");

  ck_assert_int_eq (h_sync (&e, "full"), 0);
  /* Exactly 1,000 documents the token sees (gaps and the trash left out),
   * from the middle of the archive, get one `modified` value. */
  int64_t *vis = NULL;
  size_t nv = fp_server_visible_ids (srv, 0, &vis);
  ck_assert_uint_ge (nv, 2000);
  const int64_t *bulk = vis + 600;
  ck_assert_uint_eq (fp_server_bulk_touch (srv, bulk, 1000), 1000);
  /* An edit after the bulk one, so that the tie is not the last page. */
  fp_doc_edit ed = {.title = "After the bulk edit"};
  int64_t edited = vis[0];
  ck_assert_int_eq (fp_server_edit_document (srv, edited, &ed), 0);
  size_t mark = h_events_size (&e);
  ck_assert_int_eq (h_sync (&e, "incremental"), 0);

  /* Exactly the 1,000 and the edited one, each once: none lost. */
  h_events ev;
  h_events_since (&e, mark, &ev);
  ck_assert_uint_eq (ev.n_created, 0);
  ck_assert_uint_eq (ev.n_deleted, 0);
  ck_assert_uint_eq (ev.n_updated, 1001);
  for (size_t i = 0; i < 1000; i++)
    ck_assert_msg (h_count_id (ev.updated, ev.n_updated, bulk[i]) == 1,
                   "bulk-edited document %lld (%zu of 1000) delivered %zu "
                   "times",
                   (long long)bulk[i], i + 1,
                   h_count_id (ev.updated, ev.n_updated, bulk[i]));
  ck_assert_uint_eq (h_count_id (ev.updated, ev.n_updated, edited), 1);
  h_events_free (&ev);
  free (vis);
  assert_converged (&e);
  assert_read_only_and_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

START_TEST (older_server_generations)
{
  const char *versions[] = {"2.20.15", "2.15.3", "2.14.7"};
  for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
    fp_server *srv = start_generated (150, versions[i]);
    h_env e;
    h_setup (&e, srv, NULL);
    ck_assert_msg (h_sync (&e, "full") == 0, "full sync against %s failed",
                   versions[i]);
    assert_converged (&e);
    ck_assert_int_eq (h_sync (&e, "incremental"), 0);
    assert_converged (&e);
    assert_read_only_and_secret (&e);
    h_teardown (&e);
    fp_server_stop (srv);
  }
}
END_TEST

START_TEST (auth_and_config_errors_have_exit_codes)
{
  fp_server *srv = start_sample ();
  h_env e;
  h_setup (&e, srv, NULL);

  ck_assert_int_eq (h_host (&e, "check", "--plugin", "@plugin", "--config",
                            "@config", (char *)NULL),
                    0);
  h_write_config (&e, "wrongtoken0000000000000000000000000000000", NULL);
  ck_assert_int_eq (h_sync (&e, "full"), 3);
  ck_assert (h_file_contains (e.out, "401"));
  h_write_config (&e, fp_server_token (srv), "\"no_such_key\":1");
  ck_assert_int_eq (h_sync (&e, "full"), 2);
  ck_assert (h_file_contains (e.out, "no_such_key"));
  assert_read_only_and_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* The sample archive's events, byte for byte, against a reviewed golden
 * file: any change to what Omni receives shows up here as a diff.  Set
 * OPL_UPDATE_GOLDEN=1 to rewrite the file after reviewing the change. */
START_TEST (sample_corpus_matches_golden_events)
{
  fp_server *srv = start_sample ();
  h_env e;
  char golden[512];

  h_setup (&e, srv, "\"public_url\":\"https://paperless.example.com\"");
  snprintf (golden, sizeof golden, "%s/tests/data/golden/sample-events.jsonl",
            srcdir ());
  ck_assert_int_eq (h_sync (&e, "full"), 0);
  size_t got_len = 0, want_len = 0;
  char *got = h_slurp (e.events, &got_len);
  ck_assert_ptr_nonnull (got);
  const char *update = getenv ("OPL_UPDATE_GOLDEN");
  if (update && *update == '1') {
    FILE *f = fopen (golden, "wb");
    ck_assert_ptr_nonnull (f);
    ck_assert_uint_eq (fwrite (got, 1, got_len, f), got_len);
    fclose (f);
  }
  char *want = h_slurp (golden, &want_len);
  ck_assert_msg (want != NULL, "missing %s", golden);
  size_t line = 1, at = 0;
  while (at < got_len && at < want_len && got[at] == want[at])
    line += got[at++] == '\n';
  ck_assert_msg (got_len == want_len && at == got_len,
                 "events differ from %s at line %zu (byte %zu); output kept "
                 "in %s",
                 golden, line, at, e.events);
  free (got);
  free (want);
  assert_read_only_and_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* A page that keeps failing (a slow server timing out on 100 documents of
 * OCR text) is asked for again in smaller pages; nothing is lost. */
START_TEST (failing_page_is_retried_smaller)
{
  fp_server *srv = start_generated (300, NULL);
  h_env e;
  h_setup (&e, srv, "\"max_retries\":1,\"max_retry_wait\":1");
  fp_fault f = {.path_prefix = "/api/documents/",
                .query_contains = "page_size=100&fields",
                .nth = 1,
                .times = 2, /* the first try and its one retry */
                .kind = FP_FAULT_STATUS,
                .status = 504};
  ck_assert_int_gt (fp_server_add_fault (srv, &f), 0);
  int rc = h_sync (&e, "full");
  if (rc != 0) {
    char *out = h_slurp (e.out, NULL);
    fprintf (stderr, "%s", out ? out : "");
    free (out);
  }
  ck_assert_int_eq (rc, 0);
  ck_assert_uint_ge (fp_server_log_count_containing (srv, "page_size=50"), 1);
  ck_assert (h_file_contains (e.out, "at a time from now on"));
  assert_converged (&e);
  assert_read_only_and_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* max_requests_in_flight N against a slow server: the next pages are
 * fetched while one is ingested, so exactly N requests are answered at
 * once, never more, and every document arrives all the same. */
START_TEST (requests_in_flight_are_capped)
{
  fp_server *srv = start_generated (1000, NULL);
  fp_server_set_delay_ms (srv, 40);
  for (unsigned n = 1; n <= 3; n++) {
    char extra[64];
    h_env e;
    snprintf (extra, sizeof extra, "\"max_requests_in_flight\":%u", n);
    h_setup (&e, srv, extra);
    fp_server_log_clear (srv);
    ck_assert_int_eq (h_sync (&e, "full"), 0);
    ck_assert_msg (fp_server_max_in_flight (srv) == n,
                   "max_requests_in_flight %u: %u requests at once", n,
                   fp_server_max_in_flight (srv));
    assert_converged (&e);
    assert_read_only_and_secret (&e);
    h_teardown (&e);
  }
  fp_server_stop (srv);
}
END_TEST

/* Give a checkpoint in e's state file format version 7, which no plugin
 * writes: the first (the source's) or, with `last`, the last one (an
 * interrupted run's). */
static void
damage_checkpoint_format (h_env *e, bool last)
{
  static const char key[] = "\\\"format\\\":1";
  size_t len;
  char *state = h_slurp (e->state, &len);
  ck_assert_ptr_nonnull (state);
  char *at = strstr (state, key);
  ck_assert_msg (at != NULL, "no checkpoint format in the state file");
  for (char *p; last && (p = strstr (at + 1, key)) != NULL;)
    at = p;
  at[sizeof key - 2] = '7';
  FILE *f = fopen (e->state, "w");
  ck_assert_ptr_nonnull (f);
  fwrite (state, 1, len, f);
  fclose (f);
  free (state);
}

/* A checkpoint this plugin cannot read: a clear error naming the state
 * file for an incremental sync, a warning and a fresh start for a full one. */
START_TEST (unusable_checkpoint)
{
  fp_server *srv = start_generated (50, NULL);
  h_env e;
  h_setup (&e, srv, NULL);
  ck_assert_int_eq (h_sync (&e, "full"), 0);

  /* Replace the source checkpoint with one of another format version. */
  damage_checkpoint_format (&e, false);

  ck_assert_int_eq (h_sync (&e, "incremental"), 2);
  ck_assert (h_file_contains (e.out, "checkpoint format 7 is not supported"));
  ck_assert (h_file_contains (e.out, e.state));
  ck_assert_int_eq (h_sync (&e, "full"), 0);
  ck_assert (h_file_contains (e.out, "starting afresh"));
  assert_converged (&e);
  assert_read_only_and_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* The server is upgraded or downgraded between syncs (the negotiated API
 * version changes), or restored from an older backup (its highest id goes
 * backwards): the next sync is a full one, with the reason logged, and the
 * index converges. */
START_TEST (server_changes_force_a_full_sync)
{
  char path[512], err[256];
  snprintf (path, sizeof path, "%s/tests/data/sample-corpus.json", srcdir ());
  fp_options o
      = {.corpus_path = path, .clock_start_us = INT64_C (1798761600000000)};
  fp_server *srv = fp_server_start (&o, err, sizeof err);
  ck_assert_msg (srv != NULL, "%s", err);
  h_env e;
  h_setup (&e, srv, NULL);
  ck_assert_int_eq (h_sync (&e, "full"), 0);
  fp_server_stop (srv);

  /* Same archive, served by a 2.20 server: API version 9. */
  o.server_version = "2.20.15";
  srv = fp_server_start (&o, err, sizeof err);
  ck_assert_msg (srv != NULL, "%s", err);
  e.srv = srv;
  h_write_config (&e, fp_server_token (srv), NULL);
  ck_assert_int_eq (sync_alone (&e, "incremental"), 0);
  ck_assert (h_file_contains (e.out, "API version changed"));
  assert_converged (&e);

  /* A backup from before the newest documents: their ids are gone, and
   * not to the trash (purged, as a restore looks).  Ids went backwards. */
  int64_t *ids = NULL;
  size_t n = fp_server_visible_ids (srv, 0, &ids);
  ck_assert_uint_gt (n, 5);
  for (size_t i = n - 3; i < n; i++)
    ck_assert_int_eq (fp_server_purge_document (srv, ids[i]), 0);
  free (ids);
  size_t mark = h_events_size (&e);
  ck_assert_int_eq (sync_alone (&e, "incremental"), 0);
  ck_assert (h_file_contains (e.out, "went backwards"));
  ck_assert (h_file_contains (e.out, "running a full sync"));
  assert_full_run (&e, mark, 3);
  assert_converged (&e);

  /* The newest document trashed and the one before it purged: the trash
   * explains one of the missing ids only.  Still a restore. */
  n = fp_server_visible_ids (srv, 0, &ids);
  ck_assert_int_eq (fp_server_trash_document (srv, ids[n - 1]), 0);
  ck_assert_int_eq (fp_server_purge_document (srv, ids[n - 2]), 0);
  free (ids);
  mark = h_events_size (&e);
  ck_assert_int_eq (sync_alone (&e, "incremental"), 0);
  ck_assert (h_file_contains (e.out, "went backwards"));
  assert_full_run (&e, mark, 2);
  assert_converged (&e);
  assert_read_only_and_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* Lookups deleted or renamed bump no document in Paperless-ngx; the next
 * incremental sync must still correct every document that shows them:
 * the index then equals, document by document, what a fresh full sync
 * produces. */
START_TEST (deleted_and_renamed_lookups_reach_the_index)
{
  fp_server *srv = start_sample ();
  h_env e;
  char err[256], why[300];
  h_setup (&e, srv, NULL);
  ck_assert_int_eq (h_sync (&e, "full"), 0);

  const char *const changes[] = {
      "rename?endpoint=custom_fields&id=1&name=Renamed+Field",
      "rename?endpoint=tags&id=2&name=Renamed+Tag",
      "rename?endpoint=document_types&id=1&name=Renamed+Type",
      "delete-lookup?endpoint=correspondents&id=2",
      "delete-lookup?endpoint=tags&id=3",
      "delete-lookup?endpoint=storage_paths&id=1",
  };
  for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++)
    ck_assert_msg (fp_server_command (srv, changes[i], err, sizeof err) == 0,
                   "%s: %s", changes[i], err);
  ck_assert_int_eq (h_sync (&e, "incremental"), 0);
  ck_assert (h_file_contains (e.events, "Renamed Field"));
  ck_assert (h_file_contains (e.events, "Renamed Tag"));

  ck_assert_msg (h_same_as_fresh (&e, NULL, why, sizeof why),
                 "incremental index differs from a fresh one: %s", why);
  assert_read_only_and_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* A renamed correspondent is found only by comparing the lookups with the
 * fingerprints of the last sync, and the run that finds it replaces them.
 * When that run cannot get its documents and the host, after three failed
 * resumes, starts it over, the affected documents must still be
 * re-delivered. */
START_TEST (rename_survives_a_run_started_over)
{
  fp_server *srv = start_sample ();
  h_env e;
  char err[256], why[300];
  h_setup (&e, srv, "\"max_retries\":0,\"page_size\":2");
  ck_assert_int_eq (h_sync (&e, "full"), 0);
  ck_assert_int_eq (fp_server_command (
                        srv, "rename?endpoint=correspondents&id=1&name=Renamed",
                        err, sizeof err),
                    0);
  /* The first two documents arrive (and are checkpointed), then every
   * fetch fails. */
  fp_fault f = {.path_prefix = "/api/documents/",
                .query_contains = "fields=id,title,content",
                .nth = 2,
                .kind = FP_FAULT_STATUS,
                .status = 500};
  ck_assert_int_gt (fp_server_add_fault (srv, &f), 0);
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq (
        h_wait (h_sync_start (&e, "incremental", "--checkpoint-every=1")), 1);
  ck_assert (h_file_contains (e.events, "Renamed"));
  fp_server_clear_faults (srv);
  ck_assert_int_eq (h_sync (&e, "incremental"), 0);
  ck_assert (h_file_contains (e.out, "starting it over"));

  ck_assert_msg (h_same_as_fresh (&e, NULL, why, sizeof why),
                 "index differs from a fresh one: %s", why);
  assert_read_only_and_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* A run checkpoint the plugin cannot use, left by an interrupted
 * incremental run: resuming fails every time, with a clear error; with
 * `--mode full` a full sync runs in its place (a warning, a fresh start). */
START_TEST (full_mode_replaces_a_broken_interrupted_run)
{
  fp_server *srv = start_generated (50, NULL);
  h_env e;
  h_setup (&e, srv, "\"max_retries\":0");
  ck_assert_int_eq (h_sync (&e, "full"), 0);
  fp_doc_edit edit = {.title = "Edited"};
  ck_assert_int_eq (fp_server_edit_document (srv, 3, &edit), 0);
  fp_fault f = {.path_prefix = "/api/documents/",
                .query_contains = "fields=id,title,content",
                .nth = 1,
                .kind = FP_FAULT_STATUS,
                .status = 500};
  ck_assert_int_gt (fp_server_add_fault (srv, &f), 0);
  ck_assert_int_eq (h_sync (&e, "incremental"), 1);
  fp_server_clear_faults (srv);

  /* Damage the interrupted run's checkpoint (the last one in the file). */
  damage_checkpoint_format (&e, true);

  ck_assert_int_eq (h_sync (&e, "incremental"), 2);
  ck_assert (h_file_contains (e.out, "checkpoint format 7 is not supported"));
  ck_assert_int_eq (h_sync (&e, "full"), 0);
  ck_assert (h_file_contains (e.out, "running the full sync asked for"));
  ck_assert (h_file_contains (e.out, "starting afresh"));
  assert_converged (&e);
  assert_read_only_and_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* Trashing the newest document is what users do every day, not a backup
 * restored: the highest id the server shows goes down, but the trash
 * explains it.  The incremental sync stays incremental and reports the
 * document deleted; restored, it comes back; emptied from the trash, it
 * is no sign of a restore either (the index no longer holds it). */
START_TEST (trashing_the_newest_document_is_no_restore)
{
  fp_server *srv = start_sample ();
  h_env e;
  h_events ev;
  h_setup (&e, srv, NULL);
  ck_assert_int_eq (h_sync (&e, "full"), 0);

  int64_t *ids = NULL;
  size_t n = fp_server_visible_ids (srv, 0, &ids);
  ck_assert_uint_gt (n, 2);
  int64_t newest = ids[n - 1];
  free (ids);

  ck_assert_int_eq (fp_server_trash_document (srv, newest), 0);
  size_t mark = h_events_size (&e);
  ck_assert_int_eq (sync_alone (&e, "incremental"), 0);
  ck_assert_msg (!h_file_contains (e.out, "went backwards"),
                 "trashing the newest document was taken for a restore");
  ck_assert_msg (!h_file_contains (e.out, "running a full sync"),
                 "trashing the newest document forced a full sync");
  h_events_since (&e, mark, &ev);
  ck_assert_uint_eq (ev.n_deleted, 1);
  ck_assert_int_eq (ev.deleted[0], newest);
  ck_assert_uint_eq (ev.n_updated + ev.n_created, 0);
  h_events_free (&ev);
  assert_converged (&e);

  /* Restored: delivered again, incrementally. */
  ck_assert_int_eq (fp_server_restore_document (srv, newest), 0);
  mark = h_events_size (&e);
  ck_assert_int_eq (sync_alone (&e, "incremental"), 0);
  ck_assert (!h_file_contains (e.out, "running a full sync"));
  h_events_since (&e, mark, &ev);
  ck_assert_uint_eq (ev.n_updated + ev.n_created, 1);
  ck_assert_uint_eq (ev.n_deleted, 0);
  h_events_free (&ev);
  assert_converged (&e);

  /* Trashed again, and this time emptied from the trash after the sync
   * that deleted it. */
  ck_assert_int_eq (fp_server_trash_document (srv, newest), 0);
  ck_assert_int_eq (sync_alone (&e, "incremental"), 0);
  ck_assert (!h_file_contains (e.out, "running a full sync"));
  ck_assert_int_eq (fp_server_purge_document (srv, newest), 0);
  mark = h_events_size (&e);
  ck_assert_int_eq (sync_alone (&e, "incremental"), 0);
  ck_assert_msg (!h_file_contains (e.out, "running a full sync"),
                 "a document already deleted from the index, then purged, "
                 "forced a full sync");
  h_events_since (&e, mark, &ev);
  ck_assert_uint_eq (ev.n_updated + ev.n_created + ev.n_deleted, 0);
  h_events_free (&ev);
  assert_converged (&e);
  assert_read_only_and_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* More than half of the documents gone at once (a server reset, a wrong
 * database), while the highest id stays: the next sync is a full one, with
 * the reason logged, and the index converges. */
START_TEST (far_fewer_documents_force_a_full_sync)
{
  fp_server *srv = start_generated (300, NULL);
  h_env e;
  h_setup (&e, srv, NULL);
  ck_assert_int_eq (h_sync (&e, "full"), 0);

  int64_t *ids = NULL;
  size_t n = fp_server_visible_ids (srv, 0, &ids);
  ck_assert_uint_gt (n, 250);
  /* Keep the newest 100: the highest id does not go backwards. */
  size_t purged = n - 100;
  for (size_t i = 0; i < purged; i++)
    ck_assert_int_eq (fp_server_purge_document (srv, ids[i]), 0);
  free (ids);
  size_t mark = h_events_size (&e);
  ck_assert_int_eq (sync_alone (&e, "incremental"), 0);
  ck_assert_msg (h_file_contains (e.out, "running a full sync: the server "
                                         "shows far fewer documents than the "
                                         "index holds"),
                 "no full sync with its reason logged");
  ck_assert (!h_file_contains (e.out, "went backwards"));
  assert_full_run (&e, mark, purged);
  assert_converged (&e);

  /* The index now matches: the next incremental is an ordinary one. */
  mark = h_events_size (&e);
  ck_assert_int_eq (sync_alone (&e, "incremental"), 0);
  ck_assert (!h_file_contains (e.out, "running a full sync"));
  h_events ev;
  h_events_since (&e, mark, &ev);
  ck_assert_uint_eq (ev.n_updated + ev.n_created + ev.n_deleted, 0);
  h_events_free (&ev);
  assert_converged (&e);
  assert_read_only_and_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* Edits a document without changing its `modified`, as Paperless-ngx's
 * bulk permission edit does (an UPDATE of the owner and guardian rows, no
 * save()): the fake's clock is turned back to the document's `modified`
 * for the edit, then forward again. */
static void
edit_without_bump (fp_server *srv, int64_t id, const fp_doc_edit *ed)
{
  char *before = fp_server_document_json (srv, id, 0);
  json_object *d = before ? json_tokener_parse (before) : NULL;
  const char *mod = NULL;
  opl_time t;
  ck_assert (opl_json_get_string (d, "modified", &mod, NULL));
  ck_assert (opl_time_parse (mod, strlen (mod), &t));
  int64_t was = opl_time_to_unix_us (&t), now = fp_server_now_us (srv);
  fp_server_advance_clock (srv, was - FP_CLOCK_STEP_US - now);
  ck_assert_int_eq (fp_server_edit_document (srv, id, ed), 0);
  fp_server_advance_clock (srv, now - was);
  ck_assert_int_eq (fp_server_now_us (srv), now);

  char *after = fp_server_document_json (srv, id, 0);
  json_object *a = after ? json_tokener_parse (after) : NULL;
  const char *mod2 = NULL;
  ck_assert (opl_json_get_string (a, "modified", &mod2, NULL));
  ck_assert_str_eq (mod, mod2);
  json_object_put (a);
  json_object_put (d);
  free (after);
  free (before);
}

/* A document the token can no longer see (its owner changed, a grant
 * withdrawn, or the token's user changed) leaves the index: in an
 * incremental sync and in a full one.  One it can now see arrives. */
START_TEST (documents_no_longer_visible_leave_the_index)
{
  fp_server *srv = start_sample ();
  h_env e;
  h_events ev;
  /* jonas: no superuser, in group 1; sees his own documents, unowned
   * ones and those shared with him or his group. */
  fp_server_set_user (srv, 3);
  h_setup (&e, srv, NULL);
  ck_assert_int_eq (h_sync (&e, "full"), 0);
  int64_t *ids = NULL;
  size_t before = fp_server_visible_ids (srv, 0, &ids);
  free (ids);
  ck_assert_uint_gt (before, 10);

  /* Document 4 is jonas's, shared with nobody: given to marie.  Document
   * 6 (admin's, not shared) is shared with jonas.  Neither `modified`
   * changes: only the id reconciliation can see either. */
  fp_doc_edit give = {.owner = 4, .set_owner = 1};
  edit_without_bump (srv, 4, &give);
  const int64_t jonas[] = {3};
  fp_doc_edit share
      = {.view_users = jonas, .n_view_users = 1, .set_view_users = 1};
  edit_without_bump (srv, 6, &share);
  size_t mark = h_events_size (&e);
  ck_assert_int_eq (h_sync (&e, "incremental"), 0);
  h_events_since (&e, mark, &ev);
  ck_assert_uint_eq (ev.n_deleted, 1);
  ck_assert_int_eq (ev.deleted[0], 4);
  ck_assert_uint_eq (h_count_id (ev.created, ev.n_created, 6)
                         + h_count_id (ev.updated, ev.n_updated, 6),
                     1);
  h_events_free (&ev);
  assert_converged (&e);

  /* Document 29 (anna's, shared with jonas): the grant withdrawn, in an
   * edit that bumps it; then a full sync. */
  fp_doc_edit unshare = {.set_view_users = 1};
  ck_assert_int_eq (fp_server_edit_document (srv, 29, &unshare), 0);
  mark = h_events_size (&e);
  ck_assert_int_eq (h_sync (&e, "full"), 0);
  h_events_since (&e, mark, &ev);
  ck_assert_uint_eq (ev.n_deleted, 1);
  ck_assert_int_eq (ev.deleted[0], 29);
  h_events_free (&ev);
  assert_converged (&e);

  /* The token now acts for anna (a user changed behind the token): no
   * document's `modified` changes, yet what it sees does. */
  int64_t *was = NULL, *now = NULL;
  size_t n_was = fp_server_visible_ids (srv, 0, &was);
  fp_server_set_user (srv, 2);
  size_t n_now = fp_server_visible_ids (srv, 0, &now);
  size_t gone = 0, came = 0;
  for (size_t i = 0; i < n_was; i++)
    gone += h_count_id (now, n_now, was[i]) == 0;
  for (size_t i = 0; i < n_now; i++)
    came += h_count_id (was, n_was, now[i]) == 0;
  ck_assert_uint_gt (gone, 0);
  ck_assert_uint_gt (came, 0);
  mark = h_events_size (&e);
  ck_assert_int_eq (h_sync (&e, "incremental"), 0);
  h_events_since (&e, mark, &ev);
  ck_assert_uint_eq (ev.n_deleted, gone);
  for (size_t i = 0; i < n_was; i++)
    if (h_count_id (now, n_now, was[i]) == 0)
      ck_assert_msg (h_count_id (ev.deleted, ev.n_deleted, was[i]) == 1,
                     "document %lld, no longer visible, not deleted",
                     (long long)was[i]);
  for (size_t i = 0; i < n_now; i++)
    if (h_count_id (was, n_was, now[i]) == 0)
      ck_assert_msg (h_count_id (ev.created, ev.n_created, now[i])
                             + h_count_id (ev.updated, ev.n_updated, now[i])
                         >= 1,
                     "document %lld, now visible, not delivered",
                     (long long)now[i]);
  h_events_free (&ev);
  free (was);
  free (now);
  assert_converged (&e);
  char why[300];
  ck_assert_msg (h_same_as_fresh (&e, NULL, why, sizeof why),
                 "index differs from a fresh full sync: %s", why);
  assert_read_only_and_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* A change to a lookup that bumps no document, in an incremental sync:
 * every document that showed `before` must be re-delivered, exactly once,
 * and no document that does not show `after` (as far as Paperless-ngx can
 * filter: it cannot find the documents of a deleted custom field, for
 * one); the index then equals a fresh full sync's. */
static void
lookup_change_reaches_its_documents (const char *command, const shows *before,
                                     const shows *after, const char *new_text)
{
  fp_server *srv = start_sample ();
  h_env e;
  h_events ev;
  char err[256], why[300];
  int64_t *must = NULL, *may = NULL;

  h_setup (&e, srv, NULL);
  ck_assert_int_eq (h_sync (&e, "full"), 0);
  size_t n_must = ids_showing (srv, before, &must);
  ck_assert_uint_gt (n_must, 0);
  ck_assert_msg (fp_server_command (srv, command, err, sizeof err) == 0,
                 "%s: %s", command, err);
  size_t n_may = ids_showing (srv, after, &may);
  size_t mark = h_events_size (&e);
  ck_assert_int_eq (sync_alone (&e, "incremental"), 0);
  ck_assert (!h_file_contains (e.out, "running a full sync"));

  h_events_since (&e, mark, &ev);
  ck_assert_uint_eq (ev.n_created, 0);
  ck_assert_uint_eq (ev.n_deleted, 0);
  for (size_t i = 0; i < n_must; i++)
    ck_assert_msg (h_count_id (ev.updated, ev.n_updated, must[i]) == 1,
                   "%s: document %lld delivered %zu times, not once", command,
                   (long long)must[i],
                   h_count_id (ev.updated, ev.n_updated, must[i]));
  for (size_t i = 0; i < ev.n_updated; i++) {
    ck_assert_msg (h_count_id (may, n_may, ev.updated[i]) == 1,
                   "%s: document %lld re-delivered, but it is not affected",
                   command, (long long)ev.updated[i]);
    ck_assert_msg (h_count_id (ev.updated, ev.n_updated, ev.updated[i]) == 1,
                   "%s: document %lld re-delivered twice", command,
                   (long long)ev.updated[i]);
  }
  h_events_free (&ev);
  if (new_text)
    ck_assert_msg (h_file_contains (e.events, new_text), "%s: no \"%s\"",
                   command, new_text);
  assert_converged (&e);
  ck_assert_msg (h_same_as_fresh (&e, NULL, why, sizeof why),
                 "%s: index differs from a fresh full sync: %s", command, why);
  assert_read_only_and_secret (&e);
  free (must);
  free (may);
  h_teardown (&e);
  fp_server_stop (srv);
}

START_TEST (renamed_storage_path_reaches_only_its_documents)
{
  const shows path = {SHOWS_STORAGE_PATH, 1, NULL};
  lookup_change_reaches_its_documents (
      "rename?endpoint=storage_paths&id=1&name=Renamed+Path", &path, &path,
      "Renamed Path");
}
END_TEST

/* Field 11 ("Status") is a select field; documents store the option id,
 * the label shows.  Paperless-ngx filters documents by field, not by
 * option: the documents with any value of the field may come again. */
START_TEST (relabelled_select_option_reaches_only_its_documents)
{
  const shows option = {SHOWS_FIELD_VALUE, 11, "ea87uEmhlVyhjZib"};
  const shows field = {SHOWS_FIELD, 11, NULL};
  lookup_change_reaches_its_documents (
      "relabel-option?field=11&option=ea87uEmhlVyhjZib&label=Relabelled+Option",
      &option, &field, "Relabelled Option");
}
END_TEST

/* A deleted custom field takes its values with it: no filter can find
 * the documents that had one, so any document may come again. */
START_TEST (deleted_custom_field_reaches_its_documents)
{
  const shows field = {SHOWS_FIELD, 13, NULL};
  const shows any = {SHOWS_ANYTHING, 0, NULL};
  lookup_change_reaches_its_documents (
      "delete-lookup?endpoint=custom_fields&id=13", &field, &any, NULL);
}
END_TEST

/* A deleted document type leaves its documents without one: those are
 * found among the documents without a type. */
START_TEST (deleted_document_type_reaches_only_its_documents)
{
  const shows type = {SHOWS_DOCUMENT_TYPE, 3, NULL};
  const shows none = {SHOWS_DOCUMENT_TYPE, -1, NULL};
  lookup_change_reaches_its_documents (
      "delete-lookup?endpoint=document_types&id=3", &type, &none, NULL);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("sync");
  TCase *tc = tcase_create ("end-to-end");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, full_sync_of_sample_corpus);
  tcase_add_test (tc, sample_corpus_matches_golden_events);
  tcase_add_test (tc, incremental_with_nothing_changed_is_cheap);
  tcase_add_test (tc, incremental_edits_adds_trash_and_renames);
  tcase_add_test (tc, full_sync_relists_and_deletes);
  tcase_add_test (tc, bulk_edit_with_equal_timestamps_across_pages);
  tcase_add_test (tc, older_server_generations);
  tcase_add_test (tc, auth_and_config_errors_have_exit_codes);
  tcase_add_test (tc, failing_page_is_retried_smaller);
  tcase_add_test (tc, requests_in_flight_are_capped);
  tcase_add_test (tc, unusable_checkpoint);
  tcase_add_test (tc, server_changes_force_a_full_sync);
  tcase_add_test (tc, deleted_and_renamed_lookups_reach_the_index);
  tcase_add_test (tc, rename_survives_a_run_started_over);
  tcase_add_test (tc, full_mode_replaces_a_broken_interrupted_run);
  tcase_add_test (tc, trashing_the_newest_document_is_no_restore);
  tcase_add_test (tc, far_fewer_documents_force_a_full_sync);
  tcase_add_test (tc, documents_no_longer_visible_leave_the_index);
  tcase_add_test (tc, renamed_storage_path_reaches_only_its_documents);
  tcase_add_test (tc, relabelled_select_option_reaches_only_its_documents);
  tcase_add_test (tc, deleted_custom_field_reaches_its_documents);
  tcase_add_test (tc, deleted_document_type_reaches_only_its_documents);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
