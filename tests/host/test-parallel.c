/* test-parallel.c: "instances share no state" (omni-connector.h, Threads).
 *
 * The real plugin (plugin/.libs/paperless_ngx.so, through dlopen) syncs
 * several sources at once, one thread per instance, against two fake
 * Paperless-ngx servers started in this process with different generated
 * archives.  Each thread plays a complete host through the ABI with its own
 * services table: init, list_changes until OMNI_DONE, fetch_document for
 * every upsert, checkpoint after every batch, shutdown.  Each must have seen
 * exactly its own server's documents, under its own source id, linked to its
 * own server, and its services must only have been called from inside its
 * own calls, on its own thread.  Several rounds: odd ones start from the
 * checkpoint the previous round left (a full sync that is not a resume). */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json.h>

#include "fake-paperless.h"
#include "och.h"

#define ROUNDS 3
#define N_WORKERS 4
#define WORKER_MAGIC 0x70617261u

typedef struct worker {
  /* Set by the test before the thread starts. */
  const omni_connector_plugin *plugin;
  const char *source_id;
  fp_server *srv;
  const char *extra_config; /* source_config members, without braces */
  const char *checkpoint_in;
  pthread_barrier_t *start;

  unsigned magic;
  omni_host_services svc;
  pthread_t tid;  /* for pthread_join */
  pthread_t self; /* set by the thread itself */
  bool in_call;   /* inside a call this worker made into the plugin */

  /* Results. */
  char failure[600]; /* the first thing that went wrong, or "" */
  char last_error[300];
  int64_t *ids; /* numeric ids of every upsert, in order */
  size_t n_ids, cap_ids;
  size_t created, updated, deleted, batches, checkpoints, log_errors;
  char *checkpoint_out; /* after OMNI_DONE */
} worker;

static void fail_worker (worker *w, const char *fmt, ...) OCH_PRINTF (2, 3);

static void
fail_worker (worker *w, const char *fmt, ...)
{
  va_list ap;

  if (w->failure[0] != '\0')
    return; /* keep the first */
  va_start (ap, fmt);
  vsnprintf (w->failure, sizeof w->failure, fmt, ap);
  va_end (ap);
}

/* Every service checks that it is called for this worker, on its thread,
 * from inside one of its calls. */
static worker *
service_worker (void *host_data, const char *service)
{
  worker *w = host_data;

  if (w == NULL || w->magic != WORKER_MAGIC) {
    /* Not ours: nothing safe to record into.  Make it loud. */
    fprintf (stderr, "%s called with a foreign host_data %p\n", service,
             host_data);
    abort ();
  }
  if (!pthread_equal (pthread_self (), w->self))
    fail_worker (w, "%s: %s called from another thread", w->source_id, service);
  else if (!w->in_call)
    fail_worker (w, "%s: %s called outside a call into the plugin",
                 w->source_id, service);
  return w;
}

static void
svc_log (void *host_data, omni_log_level level, const char *message)
{
  worker *w = service_worker (host_data, "log");

  if (message == NULL)
    fail_worker (w, "%s: log(NULL)", w->source_id);
  else if (level >= OMNI_LOG_ERROR) {
    w->log_errors++;
    fail_worker (w, "%s: plugin logged an error: %s", w->source_id, message);
  }
}

static void
svc_set_error (void *host_data, omni_status code, const char *message)
{
  worker *w = service_worker (host_data, "set_error");

  snprintf (w->last_error, sizeof w->last_error, "%s (%d)",
            message ? message : "(null)", (int)code);
}

static int
svc_should_stop (void *host_data)
{
  (void)service_worker (host_data, "should_stop");
  return 0;
}

static void
svc_waiting (void *host_data, uint32_t wait_ms, const char *reason)
{
  worker *w = service_worker (host_data, "waiting");

  fail_worker (w, "%s: unexpected wait of %" PRIu32 " ms: %s", w->source_id,
               wait_ms, reason ? reason : "");
}

/* Parses text as a JSON object; NULL (and a failure) if it is not one. */
static json_object *
parse_object (worker *w, const char *what, const char *id, const char *text)
{
  json_object *o;
  enum json_tokener_error jerr = json_tokener_success;

  if (text == NULL) {
    fail_worker (w, "%s: %s of %s is NULL", w->source_id, what, id);
    return NULL;
  }
  o = json_tokener_parse_verbose (text, &jerr);
  if (o == NULL || !json_object_is_type (o, json_type_object)) {
    fail_worker (w, "%s: %s of %s is not a JSON object (%s): %.200s",
                 w->source_id, what, id, json_tokener_error_desc (jerr), text);
    json_object_put (o);
    return NULL;
  }
  return o;
}

static const char *
get_string (json_object *o, const char *key)
{
  json_object *v;

  if (!json_object_object_get_ex (o, key, &v)
      || !json_object_is_type (v, json_type_string))
    return NULL;
  return json_object_get_string (v);
}

/* The numeric id behind "paperless:<source_id>:<id>", or -1. */
static int64_t
parse_external_id (const worker *w, const char *ext)
{
  char prefix[300];
  size_t plen;
  char *end;
  long long n;

  plen
      = (size_t)snprintf (prefix, sizeof prefix, "paperless:%s:", w->source_id);
  if (ext == NULL || strncmp (ext, prefix, plen) != 0 || ext[plen] < '1'
      || ext[plen] > '9')
    return -1;
  errno = 0;
  n = strtoll (ext + plen, &end, 10);
  if (errno != 0 || *end != '\0' || n <= 0)
    return -1;
  return (int64_t)n;
}

static void
check_document (worker *w, const char *ext, int64_t id, const omni_document *d)
{
  json_object *meta, *perms, *attrs;
  char want[300];
  const char *s;

  if (d == NULL || d->document_id == NULL
      || strcmp (d->document_id, ext) != 0) {
    fail_worker (w, "%s: fetch_document(%s) returned another document",
                 w->source_id, ext);
    return;
  }
  if (d->content == NULL || d->content[d->content_len] != '\0')
    fail_worker (w, "%s: content of %s is NULL or not NUL-terminated",
                 w->source_id, ext);
  meta = parse_object (w, "metadata", ext, d->metadata_json);
  perms = parse_object (w, "permissions", ext, d->permissions_json);
  attrs = parse_object (w, "attributes", ext, d->attributes_json);
  if (meta != NULL) {
    if (get_string (meta, "title") == NULL)
      fail_worker (w, "%s: %s has no metadata.title", w->source_id, ext);
    /* Linked to this instance's server, not to another instance's. */
    snprintf (want, sizeof want, "%s/documents/%" PRId64 "/details",
              fp_server_url (w->srv), id);
    s = get_string (meta, "url");
    if (s == NULL || strcmp (s, want) != 0)
      fail_worker (w, "%s: %s has metadata.url %s, expected %s", w->source_id,
                   ext, s ? s : "(none)", want);
  }
  if (attrs != NULL) {
    snprintf (want, sizeof want, "%" PRId64, id);
    s = get_string (attrs, "paperless_id");
    if (s == NULL || strcmp (s, want) != 0)
      fail_worker (w, "%s: %s has attributes.paperless_id %s", w->source_id,
                   ext, s ? s : "(none)");
  }
  json_object_put (meta);
  json_object_put (perms);
  json_object_put (attrs);
}

static void
record_id (worker *w, int64_t id)
{
  if (w->n_ids == w->cap_ids) {
    size_t cap = w->cap_ids ? w->cap_ids * 2 : 256;
    int64_t *p = realloc (w->ids, cap * sizeof *p);
    if (p == NULL) {
      fail_worker (w, "%s: out of memory", w->source_id);
      return;
    }
    w->ids = p;
    w->cap_ids = cap;
  }
  w->ids[w->n_ids++] = id;
}

/* One checkpoint call; returns the text (the plugin's) or NULL. */
static const char *
take_checkpoint (worker *w, omni_instance *inst)
{
  const char *text = NULL;
  omni_status st;

  w->in_call = true;
  st = w->plugin->checkpoint (inst, &text);
  w->in_call = false;
  if (st != OMNI_OK || text == NULL) {
    fail_worker (w, "%s: checkpoint: status %d: %s", w->source_id, (int)st,
                 w->last_error);
    return NULL;
  }
  w->checkpoints++;
  return text;
}

/* Ingest one batch: fetch every upsert.  False on a failure. */
static bool
ingest (worker *w, omni_instance *inst, const omni_change_batch *b)
{
  for (size_t i = 0; i < b->count; i++) {
    const omni_change *c = &b->changes[i];
    const omni_document *doc = NULL;
    omni_status st;
    int64_t id = parse_external_id (w, c->document_id);

    if (id < 0) {
      fail_worker (w, "%s: change with a foreign or malformed id %s",
                   w->source_id, c->document_id ? c->document_id : "(null)");
      return false;
    }
    if (c->kind == OMNI_CHANGE_DELETED) {
      w->deleted++;
      fail_worker (w, "%s: %s reported deleted, but nothing was deleted",
                   w->source_id, c->document_id);
      continue;
    }
    if (c->kind == OMNI_CHANGE_CREATED)
      w->created++;
    else if (c->kind == OMNI_CHANGE_UPDATED)
      w->updated++;
    else {
      fail_worker (w, "%s: change kind %d for %s", w->source_id, (int)c->kind,
                   c->document_id);
      return false;
    }
    w->in_call = true;
    st = w->plugin->fetch_document (inst, c->document_id, &doc);
    w->in_call = false;
    if (st != OMNI_OK) {
      fail_worker (w, "%s: fetch_document(%s): status %d: %s", w->source_id,
                   c->document_id, (int)st, w->last_error);
      return false;
    }
    check_document (w, c->document_id, id, doc);
    record_id (w, id);
  }
  return true;
}

static void *
run_worker (void *arg)
{
  worker *w = arg;
  omni_instance *inst = NULL;
  omni_init_params ip;
  omni_status st;
  char config[1024];
  char credentials[256];
  const char *ck;

  w->self = pthread_self ();
  snprintf (config, sizeof config, "{\"base_url\":\"%s\"%s%s}",
            fp_server_url (w->srv), w->extra_config ? "," : "",
            w->extra_config ? w->extra_config : "");
  snprintf (credentials, sizeof credentials, "{\"api_key\":\"%s\"}",
            fp_server_token (w->srv));
  memset (&ip, 0, sizeof ip);
  ip.struct_size = (uint32_t)sizeof ip;
  ip.source_id = w->source_id;
  ip.source_config_json = config;
  ip.credentials_json = credentials;
  ip.mode = OMNI_SYNC_FULL;
  ip.checkpoint = w->checkpoint_in;
  ip.resume = 0;

  /* Every instance starts at the same moment. */
  pthread_barrier_wait (w->start);
  w->in_call = true;
  st = w->plugin->init (&w->svc, &ip, &inst);
  w->in_call = false;
  if (st != OMNI_OK) {
    fail_worker (w, "%s: init: status %d: %s", w->source_id, (int)st,
                 w->last_error);
    return NULL;
  }
  for (;;) {
    const omni_change_batch *b = NULL;

    w->in_call = true;
    st = w->plugin->list_changes (inst, &b);
    w->in_call = false;
    if (st != OMNI_OK && st != OMNI_DONE) {
      fail_worker (w, "%s: list_changes: status %d: %s", w->source_id, (int)st,
                   w->last_error);
      break;
    }
    if (b == NULL) {
      fail_worker (w, "%s: list_changes returned no batch", w->source_id);
      break;
    }
    if (st == OMNI_DONE) {
      if (b->count != 0)
        fail_worker (w, "%s: OMNI_DONE with %zu changes", w->source_id,
                     b->count);
      ck = take_checkpoint (w, inst);
      if (ck != NULL) {
        json_object *o = parse_object (w, "final checkpoint", "", ck);
        json_object_put (o);
        w->checkpoint_out = strdup (ck);
      }
      break;
    }
    w->batches++;
    if (b->count == 0 && !(b->flags & OMNI_BATCH_CHECKPOINT)) {
      fail_worker (w, "%s: an empty batch without OMNI_BATCH_CHECKPOINT",
                   w->source_id);
      break;
    }
    if (!ingest (w, inst, b))
      break;
    /* What this batch brought is "durable": checkpoint every batch. */
    if (take_checkpoint (w, inst) == NULL)
      break;
  }
  w->in_call = true;
  w->plugin->shutdown (inst);
  w->in_call = false;
  return NULL;
}

static int
cmp_id (const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static fp_server *
start_server (size_t n, uint64_t seed)
{
  char err[256];
  fp_gen_options g = {.content_bytes = 700};
  fp_options o = {.corpus = fp_corpus_generate (n, seed, &g)};
  fp_server *s;

  ck_assert_ptr_nonnull (o.corpus);
  s = fp_server_start (&o, err, sizeof err);
  ck_assert_msg (s != NULL, "fake server: %s", err);
  return s;
}

static const char *
plugin_path (void)
{
  const char *b = getenv ("top_builddir");
  static char path[4096];

  snprintf (path, sizeof path, "%s/plugin/.libs/paperless_ngx.so",
            b && *b ? b : ".");
  return path;
}

/* The round's result for one worker against its server's snapshot. */
static void
check_worker (worker *w, bool from_checkpoint, int round)
{
  int64_t *want = NULL;
  size_t n_want;

  ck_assert_msg (w->failure[0] == '\0', "round %d: %s", round, w->failure);
  ck_assert_ptr_nonnull (w->checkpoint_out);
  n_want = fp_server_visible_ids (w->srv, 0, &want);
  ck_assert_uint_gt (n_want, 0);
  qsort (w->ids, w->n_ids, sizeof *w->ids, cmp_id);
  for (size_t i = 1; i < w->n_ids; i++)
    ck_assert_msg (w->ids[i] != w->ids[i - 1],
                   "round %d: %s: document %" PRId64 " delivered twice", round,
                   w->source_id, w->ids[i]);
  ck_assert_msg (w->n_ids == n_want,
                 "round %d: %s: %zu documents delivered, the server shows %zu",
                 round, w->source_id, w->n_ids, n_want);
  for (size_t i = 0; i < n_want; i++)
    ck_assert_msg (w->ids[i] == want[i],
                   "round %d: %s: delivered %" PRId64 " where the server has "
                   "%" PRId64,
                   round, w->source_id, w->ids[i], want[i]);
  free (want);
  /* A fresh full sync creates everything; one from a completed sync's
   * checkpoint re-delivers everything the index holds as updates. */
  if (from_checkpoint)
    ck_assert_msg (w->updated == n_want && w->created == 0,
                   "round %d: %s: %zu created, %zu updated from a checkpoint",
                   round, w->source_id, w->created, w->updated);
  else
    ck_assert_msg (w->created == n_want && w->updated == 0,
                   "round %d: %s: %zu created, %zu updated from scratch", round,
                   w->source_id, w->created, w->updated);
  ck_assert_uint_eq (w->deleted, 0);
  ck_assert_uint_gt (w->batches, 1);
  ck_assert_uint_ge (w->checkpoints, w->batches);
}

START_TEST (test_parallel_full_syncs)
{
  och_plugin p;
  char err[OCH_ERRLEN];
  fp_server *a, *b;
  worker ws[N_WORKERS];
  char *checkpoints[N_WORKERS] = {NULL};
  pthread_barrier_t start;
  /* Two servers with different archives, each synced by two sources;
   * different page sizes and prefetch depths, so that batches interleave
   * differently and the prefetch threads of several instances overlap. */
  static const struct {
    const char *source_id;
    int server; /* 0: a, 1: b */
    const char *extra;
  } spec[N_WORKERS] = {
      {"alpha", 0, "\"page_size\":25,\"max_requests_in_flight\":4"},
      {"beta", 1, NULL},
      {"gamma", 0, "\"page_size\":40,\"max_requests_in_flight\":1"},
      {"delta", 1, "\"page_size\":70,\"max_requests_in_flight\":3"},
  };

  ck_assert_msg (och_plugin_load (&p, plugin_path (), err, sizeof err) == 0,
                 "%s", err);
  ck_assert_str_eq (p.desc.name, "paperless_ngx");
  a = start_server (150, 7);
  b = start_server (260, 1234);
  ck_assert_str_ne (fp_server_url (a), fp_server_url (b));

  for (int round = 0; round < ROUNDS; round++) {
    bool from_checkpoint = round % 2 == 1;

    ck_assert_int_eq (pthread_barrier_init (&start, NULL, N_WORKERS), 0);
    for (int i = 0; i < N_WORKERS; i++) {
      worker *w = &ws[i];
      memset (w, 0, sizeof *w);
      w->plugin = &p.desc;
      w->source_id = spec[i].source_id;
      w->srv = spec[i].server ? b : a;
      w->extra_config = spec[i].extra;
      w->checkpoint_in = from_checkpoint ? checkpoints[i] : NULL;
      w->start = &start;
      w->magic = WORKER_MAGIC;
      w->svc.struct_size = (uint32_t)sizeof w->svc;
      w->svc.host_data = w;
      w->svc.log = svc_log;
      w->svc.set_error = svc_set_error;
      w->svc.should_stop = svc_should_stop;
      w->svc.waiting = svc_waiting;
    }
    for (int i = 0; i < N_WORKERS; i++)
      ck_assert_int_eq (pthread_create (&ws[i].tid, NULL, run_worker, &ws[i]),
                        0);
    for (int i = 0; i < N_WORKERS; i++)
      ck_assert_int_eq (pthread_join (ws[i].tid, NULL), 0);
    pthread_barrier_destroy (&start);

    for (int i = 0; i < N_WORKERS; i++) {
      check_worker (&ws[i], from_checkpoint, round);
      free (checkpoints[i]);
      checkpoints[i] = ws[i].checkpoint_out;
      ws[i].checkpoint_out = NULL;
      free (ws[i].ids);
    }
  }
  for (int i = 0; i < N_WORKERS; i++)
    free (checkpoints[i]);
  ck_assert_uint_eq (fp_server_non_get_count (a), 0);
  ck_assert_uint_eq (fp_server_non_get_count (b), 0);
  fp_server_stop (a);
  fp_server_stop (b);
  och_plugin_unload (&p);
}
END_TEST

static Suite *
parallel_suite (void)
{
  Suite *s = suite_create ("parallel");
  TCase *tc = tcase_create ("instances");

  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_parallel_full_syncs);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (parallel_suite ());
  int failed;

  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
