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
  int64_t ids[1000];
  for (int i = 0; i < 1000; i++)
    ids[i] = 700 + i;
  /* Ids that are gaps or in the trash are not touched. */
  size_t touched = fp_server_bulk_touch (srv, ids, 1000);
  ck_assert_uint_ge (touched, 900);
  /* An edit after the bulk one, so that the tie is not the last page. */
  fp_doc_edit ed = {.title = "After the bulk edit"};
  ck_assert_int_eq (fp_server_edit_document (srv, 5, &ed), 0);
  unlink (e.events);
  ck_assert_int_eq (h_sync (&e, "incremental"), 0);
  h_index ix;
  h_replay (&e, &ix);
  /* Exactly the touched documents that are visible (the trash counts as
   * touched but is not listed) and the edited one: none lost. */
  int64_t *vis = NULL;
  size_t nv = fp_server_visible_ids (srv, 0, &vis), expect = 1;
  for (size_t i = 0; i < nv; i++)
    expect += vis[i] >= 700 && vis[i] < 1700;
  free (vis);
  ck_assert_uint_eq (ix.updated, expect);
  ck_assert_uint_eq (ix.n, expect);
  h_index_free (&ix);
  /* The events file now only holds the increment: rebuild from scratch to
   * check convergence of the whole index. */
  unlink (e.state);
  ck_assert_int_eq (h_sync (&e, "full"), 0);
  assert_converged (&e);
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

/* A checkpoint this plugin cannot read: a clear error naming the state
 * file for an incremental sync, a warning and a fresh start for a full one. */
START_TEST (unusable_checkpoint)
{
  fp_server *srv = start_generated (50, NULL);
  h_env e;
  h_setup (&e, srv, NULL);
  ck_assert_int_eq (h_sync (&e, "full"), 0);

  /* Replace the source checkpoint with one of another format version. */
  size_t len;
  char *state = h_slurp (e.state, &len);
  ck_assert_ptr_nonnull (state);
  char *at = strstr (state, "\\\"format\\\":1");
  ck_assert_msg (at != NULL, "no checkpoint format in the state file");
  at[strlen ("\\\"format\\\":")] = '7';
  FILE *f = fopen (e.state, "w");
  ck_assert_ptr_nonnull (f);
  fwrite (state, 1, len, f);
  fclose (f);
  free (state);

  ck_assert_int_eq (h_sync (&e, "incremental"), 2);
  ck_assert (h_file_contains (e.out, "checkpoint format 7 is not supported"));
  ck_assert (h_file_contains (e.out, e.state));
  ck_assert_int_eq (h_sync (&e, "full"), 0);
  ck_assert (h_file_contains (e.out, "starting afresh"));
  assert_converged (&e);
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
  ck_assert_int_eq (h_sync (&e, "incremental"), 0);
  ck_assert (h_file_contains (e.out, "API version changed"));
  assert_converged (&e);

  /* A backup from before the newest documents: ids go backwards. */
  int64_t *ids = NULL;
  size_t n = fp_server_visible_ids (srv, 0, &ids);
  ck_assert_uint_gt (n, 3);
  for (size_t i = n - 3; i < n; i++)
    ck_assert_int_eq (fp_server_purge_document (srv, ids[i]), 0);
  free (ids);
  ck_assert_int_eq (h_sync (&e, "incremental"), 0);
  ck_assert (h_file_contains (e.out, "went backwards"));
  assert_converged (&e);
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
  h_env e, fresh;
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

  h_setup (&fresh, srv, NULL);
  ck_assert_int_eq (h_sync (&fresh, "full"), 0);
  ck_assert_msg (h_same_index (&e, &fresh, why, sizeof why),
                 "incremental index differs from a fresh one: %s", why);
  h_teardown (&fresh);
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
  h_env e, fresh;
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

  h_setup (&fresh, srv, NULL);
  ck_assert_int_eq (h_sync (&fresh, "full"), 0);
  ck_assert_msg (h_same_index (&e, &fresh, why, sizeof why),
                 "index differs from a fresh one: %s", why);
  h_teardown (&fresh);
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
  size_t len;
  char *state = h_slurp (e.state, &len);
  ck_assert_ptr_nonnull (state);
  char *at = strstr (state, "\\\"format\\\":1");
  ck_assert_msg (at != NULL, "no checkpoint format in the state file");
  for (char *p; (p = strstr (at + 1, "\\\"format\\\":1")) != NULL;)
    at = p;
  at[strlen ("\\\"format\\\":")] = '7';
  FILE *fh = fopen (e.state, "w");
  ck_assert_ptr_nonnull (fh);
  fwrite (state, 1, len, fh);
  fclose (fh);
  free (state);

  ck_assert_int_eq (h_sync (&e, "incremental"), 2);
  ck_assert (h_file_contains (e.out, "checkpoint format 7 is not supported"));
  ck_assert_int_eq (h_sync (&e, "full"), 0);
  ck_assert (h_file_contains (e.out, "running the full sync asked for"));
  ck_assert (h_file_contains (e.out, "starting afresh"));
  assert_converged (&e);
  h_teardown (&e);
  fp_server_stop (srv);
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
