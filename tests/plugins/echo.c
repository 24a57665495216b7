/* echo.c: a deterministic connector plugin for testing hosts.
 *
 * Its "server" is its configuration.  The source holds documents 1..count,
 * except every delete_every-th (those are deleted).  Document i carries
 * version `generation` when update_every divides i, else version 0, so that
 * bumping `generation` updates exactly those documents.  Ids are
 * "echo:<source_id>:<i>".
 *
 * source_config (every field optional):
 *   count (10), delete_every (0), update_every (1), generation (0),
 *   batch_size (10), delay_ms (0: sleep before each batch, polling
 *   should_stop), wait_ms (0: announce one wait of that length through the
 *   host's `waiting` service before the first batch, and sleep it),
 *   vanish_every (0: fetch_document answers NOT_FOUND for those listed ids),
 *   bad_metadata (0: document number whose metadata is not JSON),
 *   content_size (0: pad the content to at least this many bytes),
 *   fail ("auth" | "invalid" | "transient" | "cancelled" | "internal"),
 *   fail_at ("init" default | "list" | "fetch" | "checkpoint"),
 *   fail_after (0: changes handed out before `list` fails, or fetches
 *   before `fetch` fails),
 *   trace (path: append one line per call the host makes).
 * credentials: {"api_key": "..."}; "wrong" is refused with OMNI_ERR_AUTH.
 *
 * Checkpoints: a completed sync leaves {"state": S}, where S is the source
 * as it was listed ({"n","k","u","g"}); a running one {"base": S|null,
 * "pos": p}, p being the number of changes handed out.  An incremental
 * run lists the difference between the base and the source now; a full
 * run lists every document (CREATED when the base lacks it, else UPDATED)
 * and deletes what the base had.  A resume recomputes the same list and
 * skips p.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json.h>

#include "omni-connector.h"

typedef struct source {
  int64_t n, k, u, g;
} source;

typedef struct change_slot {
  omni_change change;
  char id[96];
} change_slot;

struct omni_instance {
  const omni_host_services *host;
  char *source_id;
  omni_sync_mode mode;
  source now;
  source base;
  bool has_base;
  int64_t pos;    /* changes handed out */
  int64_t total;  /* changes in this run */
  int64_t next_i; /* next document number to examine */
  bool done;

  int64_t batch_size, delay_ms, wait_ms, vanish_every, bad_metadata;
  int64_t content_size, fail_after, fetches;
  omni_status fail;
  char fail_at[16];
  char *trace;

  change_slot *slots;
  omni_change *changes;
  omni_change_batch batch;

  omni_document doc;
  char doc_id[96];
  char *content, *metadata, *permissions, *attributes;
  char *checkpoint;
};

/* ---- helpers ---------------------------------------------------------- */

static void __attribute__ ((format (printf, 2, 3)))
trace (const struct omni_instance *in, const char *fmt, ...)
{
  FILE *f;
  va_list ap;

  if (in->trace == NULL || (f = fopen (in->trace, "a")) == NULL)
    return;
  va_start (ap, fmt);
  vfprintf (f, fmt, ap);
  va_end (ap);
  fputc ('\n', f);
  fclose (f);
}

static omni_status __attribute__ ((format (printf, 3, 4)))
fail (const omni_host_services *host, omni_status code, const char *fmt, ...)
{
  char msg[512];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  host->set_error (host->host_data, code, msg);
  return code;
}

static char *__attribute__ ((format (printf, 1, 2)))
xprintf (const char *fmt, ...)
{
  va_list ap;
  char *s = NULL;

  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) == -1)
    s = NULL;
  va_end (ap);
  return s;
}

/* An optional integer field >= 0; -1 when present but not one. */
static int
get_int (json_object *o, const char *key, int64_t def, int64_t *out)
{
  json_object *v;

  *out = def;
  if (!json_object_object_get_ex (o, key, &v))
    return 0;
  if (!json_object_is_type (v, json_type_int))
    return -1;
  errno = 0;
  *out = json_object_get_int64 (v);
  return errno == 0 && *out >= 0 ? 0 : -1;
}

static const char *
get_str (json_object *o, const char *key)
{
  json_object *v;

  if (json_object_object_get_ex (o, key, &v)
      && json_object_is_type (v, json_type_string))
    return json_object_get_string (v);
  return NULL;
}

static json_object *
parse (const char *text)
{
  json_tokener *tok;
  json_object *o;

  if (text == NULL)
    return NULL;
  tok = json_tokener_new_ex (16);
  if (tok == NULL)
    return NULL;
  json_tokener_set_flags (tok, JSON_TOKENER_STRICT);
  o = json_tokener_parse_ex (tok, text, (int)strlen (text) + 1);
  if (json_tokener_get_error (tok) != json_tokener_success) {
    json_object_put (o);
    o = NULL;
  }
  json_tokener_free (tok);
  return o;
}

static bool
exists (const source *s, int64_t i)
{
  return i >= 1 && i <= s->n && !(s->k > 0 && i % s->k == 0);
}

static int64_t
version (const source *s, int64_t i)
{
  return s->u > 0 && i % s->u == 0 ? s->g : 0;
}

/* The change for document i in this run, or 0 for none. */
static int
classify (const struct omni_instance *in, int64_t i)
{
  bool now = exists (&in->now, i);
  bool before = in->has_base && exists (&in->base, i);

  if (now && !before)
    return OMNI_CHANGE_CREATED;
  if (now && before) {
    if (in->mode == OMNI_SYNC_FULL
        || version (&in->now, i) != version (&in->base, i))
      return OMNI_CHANGE_UPDATED;
    return 0;
  }
  if (before)
    return OMNI_CHANGE_DELETED;
  return 0;
}

static int64_t
last_number (const struct omni_instance *in)
{
  int64_t m = in->now.n;

  if (in->has_base && in->base.n > m)
    m = in->base.n;
  return m;
}

static int
source_from_json (json_object *o, source *s)
{
  return o != NULL && json_object_is_type (o, json_type_object)
                 && get_int (o, "n", -1, &s->n) == 0 && s->n >= 0
                 && get_int (o, "k", 0, &s->k) == 0
                 && get_int (o, "u", 0, &s->u) == 0
                 && get_int (o, "g", 0, &s->g) == 0
             ? 0
             : -1;
}

static omni_status
status_from_name (const char *s)
{
  if (s == NULL)
    return OMNI_OK;
  if (strcmp (s, "auth") == 0)
    return OMNI_ERR_AUTH;
  if (strcmp (s, "invalid") == 0)
    return OMNI_ERR_INVALID;
  if (strcmp (s, "transient") == 0)
    return OMNI_ERR_TRANSIENT;
  if (strcmp (s, "cancelled") == 0)
    return OMNI_ERR_CANCELLED;
  if (strcmp (s, "internal") == 0)
    return OMNI_ERR_INTERNAL;
  return OMNI_ERR_NOT_FOUND; /* never a valid choice: flags bad config */
}

/* Sleep ms milliseconds in small slices; CANCELLED when the host says
 * stop. */
static omni_status
nap (struct omni_instance *in, int64_t ms)
{
  while (ms > 0) {
    int64_t slice = ms < 5 ? ms : 5;
    struct timespec ts = {0, (long)slice * 1000000L};
    if (in->host->should_stop (in->host->host_data))
      return fail (in->host, OMNI_ERR_CANCELLED, "echo: stopped by the host");
    nanosleep (&ts, NULL);
    ms -= slice;
  }
  if (in->host->should_stop (in->host->host_data))
    return fail (in->host, OMNI_ERR_CANCELLED, "echo: stopped by the host");
  return OMNI_OK;
}

static bool
failing_at (const struct omni_instance *in, const char *where)
{
  return in->fail != OMNI_OK && strcmp (in->fail_at, where) == 0;
}

static omni_status
injected (struct omni_instance *in, const char *where)
{
  return fail (in->host, in->fail, "echo: simulated %s failure in %s",
               in->fail == OMNI_ERR_AUTH ? "authentication" : "configured",
               where);
}

/* ---- the operations --------------------------------------------------- */

static void echo_shutdown (omni_instance *in);

static omni_status
read_config (struct omni_instance *in, const omni_init_params *p)
{
  const omni_host_services *h = in->host;
  json_object *cfg = NULL, *cred = NULL, *ck = NULL, *v;
  const char *s;
  omni_status st = OMNI_ERR_INVALID;

  cfg = parse (p->source_config_json);
  cred = parse (p->credentials_json);
  if (cfg == NULL || !json_object_is_type (cfg, json_type_object)) {
    fail (h, st, "echo: source_config is not a JSON object");
    goto cleanup;
  }
  if (cred == NULL || !json_object_is_type (cred, json_type_object)) {
    fail (h, st, "echo: credentials are not a JSON object");
    goto cleanup;
  }
  if (get_int (cfg, "count", 10, &in->now.n) == -1
      || get_int (cfg, "delete_every", 0, &in->now.k) == -1
      || get_int (cfg, "update_every", 1, &in->now.u) == -1
      || get_int (cfg, "generation", 0, &in->now.g) == -1
      || get_int (cfg, "batch_size", 10, &in->batch_size) == -1
      || get_int (cfg, "delay_ms", 0, &in->delay_ms) == -1
      || get_int (cfg, "wait_ms", 0, &in->wait_ms) == -1
      || get_int (cfg, "vanish_every", 0, &in->vanish_every) == -1
      || get_int (cfg, "bad_metadata", 0, &in->bad_metadata) == -1
      || get_int (cfg, "content_size", 0, &in->content_size) == -1
      || get_int (cfg, "fail_after", 0, &in->fail_after) == -1
      || in->batch_size < 1 || in->content_size > 64 * 1024 * 1024) {
    fail (h, st, "echo: a numeric setting is not a whole number in range");
    goto cleanup;
  }
  in->fail = status_from_name (get_str (cfg, "fail"));
  if (in->fail == OMNI_ERR_NOT_FOUND) {
    fail (h, st, "echo: unknown \"fail\" value");
    goto cleanup;
  }
  s = get_str (cfg, "fail_at");
  snprintf (in->fail_at, sizeof in->fail_at, "%s", s ? s : "init");
  if ((s = get_str (cfg, "trace")) != NULL
      && (in->trace = strdup (s)) == NULL) {
    st = fail (h, OMNI_ERR_INTERNAL, "echo: out of memory");
    goto cleanup;
  }
  s = get_str (cred, "api_key");
  if (s != NULL && strcmp (s, "wrong") == 0) {
    st = fail (h, OMNI_ERR_AUTH, "echo: the api key was refused (401)");
    goto cleanup;
  }

  /* The checkpoint: a completed sync's when starting, a run's when
   * resuming. */
  if (p->checkpoint != NULL && *p->checkpoint != '\0') {
    ck = parse (p->checkpoint);
    if (ck == NULL || !json_object_is_type (ck, json_type_object)) {
      fail (h, st, "echo: the checkpoint is not a JSON object");
      goto cleanup;
    }
    if (p->resume) {
      if (!json_object_object_get_ex (ck, "base", &v)
          || get_int (ck, "pos", -1, &in->pos) == -1 || in->pos < 0) {
        fail (h, st, "echo: resume needs a running sync's checkpoint");
        goto cleanup;
      }
      in->has_base = v != NULL;
      if (in->has_base && source_from_json (v, &in->base) == -1) {
        fail (h, st, "echo: bad base in checkpoint");
        goto cleanup;
      }
    } else if (json_object_object_get_ex (ck, "state", &v)) {
      if (source_from_json (v, &in->base) == -1) {
        fail (h, st, "echo: not a completed sync's checkpoint");
        goto cleanup;
      }
      in->has_base = true;
    } else if (json_object_object_get_ex (ck, "base", &v)) {
      /* An interrupted run's checkpoint, to start over from (resume=0):
       * what it knows is the completed sync it started from. */
      in->has_base = v != NULL;
      if (in->has_base && source_from_json (v, &in->base) == -1) {
        fail (h, st, "echo: bad base in checkpoint");
        goto cleanup;
      }
    } else {
      fail (h, st, "echo: not a checkpoint of this plugin");
      goto cleanup;
    }
  } else if (p->resume) {
    fail (h, st, "echo: resume without a checkpoint");
    goto cleanup;
  }
  st = OMNI_OK;

cleanup:
  json_object_put (ck);
  json_object_put (cfg);
  json_object_put (cred);
  return st;
}

static omni_status
echo_init (const omni_host_services *host, const omni_init_params *p,
           omni_instance **out)
{
  struct omni_instance *in;
  omni_status st;
  int64_t skip;

  *out = NULL;
  if (host == NULL || p == NULL)
    return OMNI_ERR_INVALID;
  in = calloc (1, sizeof *in);
  if (in == NULL)
    return fail (host, OMNI_ERR_INTERNAL, "echo: out of memory");
  in->host = host;
  in->mode = p->mode;
  in->source_id = strdup (p->source_id ? p->source_id : "");
  if (in->source_id == NULL) {
    st = fail (host, OMNI_ERR_INTERNAL, "echo: out of memory");
    goto fail;
  }
  st = read_config (in, p);
  trace (in, "init mode=%s resume=%d checkpoint=%s",
         p->mode == OMNI_SYNC_FULL ? "full" : "incremental", p->resume,
         p->checkpoint && *p->checkpoint ? p->checkpoint : "-");
  if (st != OMNI_OK)
    goto fail;
  /* A full sync that is not a resume re-lists everything; it still uses
   * the base to tell CREATED from UPDATED and to report deletions. */
  if (failing_at (in, "init")) {
    st = injected (in, "init");
    goto fail;
  }

  in->slots = calloc ((size_t)in->batch_size, sizeof *in->slots);
  in->changes = calloc ((size_t)in->batch_size, sizeof *in->changes);
  if (in->slots == NULL || in->changes == NULL) {
    st = fail (host, OMNI_ERR_INTERNAL, "echo: out of memory");
    goto fail;
  }
  for (int64_t i = 1; i <= last_number (in); i++)
    if (classify (in, i) != 0)
      in->total++;
  /* Skip what an interrupted run already handed out. */
  in->next_i = 1;
  for (skip = in->pos; skip > 0 && in->next_i <= last_number (in); in->next_i++)
    if (classify (in, in->next_i) != 0)
      skip--;
  host->log (host->host_data, OMNI_LOG_INFO, "echo: ready");
  host->log (host->host_data, OMNI_LOG_DEBUG, "echo: debug detail");
  *out = in;
  return OMNI_OK;

fail:
  echo_shutdown (in);
  return st;
}

static omni_status
echo_list_changes (omni_instance *in, const omni_change_batch **out)
{
  size_t n = 0;
  omni_status st;

  *out = NULL;
  if (in->wait_ms > 0) {
    if (in->host->waiting != NULL)
      in->host->waiting (in->host->host_data, (uint32_t)in->wait_ms,
                         "echo: simulated Retry-After");
    st = nap (in, in->wait_ms);
    in->wait_ms = 0;
    if (st != OMNI_OK)
      return st;
  }
  if (failing_at (in, "list") && in->pos >= in->fail_after) {
    trace (in, "list -> error");
    return injected (in, "list_changes");
  }
  if (in->delay_ms > 0 && (st = nap (in, in->delay_ms)) != OMNI_OK) {
    trace (in, "list -> cancelled");
    return st;
  }

  for (; in->next_i <= last_number (in) && n < (size_t)in->batch_size;
       in->next_i++) {
    int kind = classify (in, in->next_i);
    if (kind == 0)
      continue;
    snprintf (in->slots[n].id, sizeof in->slots[n].id, "echo:%s:%" PRId64,
              in->source_id, in->next_i);
    in->changes[n].kind = (omni_change_kind)kind;
    in->changes[n].document_id = in->slots[n].id;
    n++;
  }
  in->pos += (int64_t)n;
  in->batch.struct_size = (uint32_t)sizeof in->batch;
  in->batch.count = n;
  in->batch.changes = in->changes;
  in->batch.done = in->pos;
  in->batch.total = in->total;
  *out = &in->batch;
  trace (in, "list -> %zu", n);
  if (n == 0) {
    in->done = true;
    return OMNI_DONE;
  }
  return OMNI_OK;
}

static omni_status
echo_fetch_document (omni_instance *in, const char *document_id,
                     const omni_document **out)
{
  char prefix[96];
  const char *num;
  char *end;
  int64_t i, v;
  size_t len;

  *out = NULL;
  trace (in, "fetch %s", document_id);
  if (failing_at (in, "fetch") && in->fetches >= in->fail_after)
    return injected (in, "fetch_document");
  in->fetches++;
  snprintf (prefix, sizeof prefix, "echo:%s:", in->source_id);
  if (strncmp (document_id, prefix, strlen (prefix)) != 0)
    return fail (in->host, OMNI_ERR_NOT_FOUND, "echo: no such document %s",
                 document_id);
  num = document_id + strlen (prefix);
  errno = 0;
  i = strtoll (num, &end, 10);
  if (errno != 0 || end == num || *end != '\0' || !exists (&in->now, i)
      || (in->vanish_every > 0 && i % in->vanish_every == 0))
    return fail (in->host, OMNI_ERR_NOT_FOUND, "echo: document %s is gone",
                 document_id);

  free (in->content);
  free (in->metadata);
  free (in->permissions);
  free (in->attributes);
  v = version (&in->now, i);
  in->content
      = xprintf ("echo document %" PRId64 " of %s, version %" PRId64 "\n", i,
                 in->source_id, v);
  if (in->content != NULL && (int64_t)strlen (in->content) < in->content_size) {
    size_t have = strlen (in->content);
    char *big = realloc (in->content, (size_t)in->content_size + 1);
    if (big == NULL) {
      free (in->content);
      in->content = NULL;
    } else {
      memset (big + have, 'x', (size_t)in->content_size - have);
      big[in->content_size] = '\0';
      in->content = big;
    }
  }
  in->metadata
      = i == in->bad_metadata
            ? strdup ("{\"title\": ")
            : xprintf ("{\"title\":\"Echo %" PRId64 "\",\"url\":\"https://echo."
                       "invalid/%s/%" PRId64
                       "\",\"extra\":{\"version\":%" PRId64 "}}",
                       i, in->source_id, i, v);
  in->permissions = xprintf ("{\"public\":false,\"users\":[\"u%" PRId64
                             "@example.com\"],\"groups\":[]}",
                             i % 3);
  in->attributes
      = xprintf ("{\"source_type\":\"echo\",\"number\":\"%" PRId64 "\"}", i);
  if (in->content == NULL || in->metadata == NULL || in->permissions == NULL
      || in->attributes == NULL)
    return fail (in->host, OMNI_ERR_INTERNAL, "echo: out of memory");
  len = strlen (in->content);
  snprintf (in->doc_id, sizeof in->doc_id, "%s", document_id);
  in->doc.struct_size = (uint32_t)sizeof in->doc;
  in->doc.document_id = in->doc_id;
  in->doc.content = in->content;
  in->doc.content_len = len;
  in->doc.metadata_json = in->metadata;
  in->doc.permissions_json = in->permissions;
  in->doc.attributes_json = in->attributes;
  *out = &in->doc;
  return OMNI_OK;
}

static omni_status
echo_checkpoint (omni_instance *in, const char **out)
{
  *out = NULL;
  if (failing_at (in, "checkpoint"))
    return injected (in, "checkpoint");
  free (in->checkpoint);
  if (in->done)
    in->checkpoint = xprintf ("{\"state\":{\"n\":%" PRId64 ",\"k\":%" PRId64
                              ",\"u\":%" PRId64 ",\"g\":%" PRId64 "}}",
                              in->now.n, in->now.k, in->now.u, in->now.g);
  else if (in->has_base)
    in->checkpoint
        = xprintf ("{\"base\":{\"n\":%" PRId64 ",\"k\":%" PRId64
                   ",\"u\":%" PRId64 ",\"g\":%" PRId64 "},\"pos\":%" PRId64 "}",
                   in->base.n, in->base.k, in->base.u, in->base.g, in->pos);
  else
    in->checkpoint = xprintf ("{\"base\":null,\"pos\":%" PRId64 "}", in->pos);
  if (in->checkpoint == NULL)
    return fail (in->host, OMNI_ERR_INTERNAL, "echo: out of memory");
  trace (in, "checkpoint -> %s", in->checkpoint);
  *out = in->checkpoint;
  return OMNI_OK;
}

static void
echo_shutdown (omni_instance *in)
{
  if (in == NULL)
    return;
  trace (in, "shutdown");
  free (in->source_id);
  free (in->trace);
  free (in->slots);
  free (in->changes);
  free (in->content);
  free (in->metadata);
  free (in->permissions);
  free (in->attributes);
  free (in->checkpoint);
  free (in);
}

static struct omni_connector_plugin plugin = {
    .name = "echo",
    .version = PACKAGE_VERSION,
    .manifest_json
    = "{\"name\":\"echo\",\"display_name\":\"Echo "
      "(test)\",\"version\":\"" PACKAGE_VERSION
      "\",\"description\":\"Deterministic documents for host "
      "tests\",\"source_types\":[\"echo\"],\"sync_modes\":[\"full\","
      "\"incremental\"],\"search_operators\":[]}",
    .init = echo_init,
    .list_changes = echo_list_changes,
    .fetch_document = echo_fetch_document,
    .checkpoint = echo_checkpoint,
    .shutdown = echo_shutdown,
};

OMNI_CONNECTOR_REGISTER (plugin)
