/* harness.c: see harness.h. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <json.h>

#include "harness.h"
#include "opl.h"

static const char *
builddir (void)
{
  const char *b = getenv ("top_builddir");
  return b && *b ? b : ".";
}

void
h_write_config (h_env *e, const char *token, const char *extra)
{
  FILE *f = fopen (e->config, "w");
  ck_assert_ptr_nonnull (f);
  fprintf (
      f,
      "{\"source_id\":\"src1\",\"source_config\":{\"base_url\":\"%s\"%s%s},"
      "\"credentials\":{\"api_key\":\"%s\"}}\n",
      fp_server_url (e->srv), extra && *extra ? "," : "", extra ? extra : "",
      token);
  fclose (f);
  chmod (e->config, 0600);
}

void
h_setup (h_env *e, fp_server *srv, const char *extra)
{
  memset (e, 0, sizeof *e);
  snprintf (e->dir, sizeof e->dir, "%s/it-XXXXXX",
            getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp");
  ck_assert_ptr_nonnull (mkdtemp (e->dir));
  snprintf (e->config, sizeof e->config, "%s/config.json", e->dir);
  snprintf (e->state, sizeof e->state, "%s/state.json", e->dir);
  snprintf (e->events, sizeof e->events, "%s/events.jsonl", e->dir);
  snprintf (e->out, sizeof e->out, "%s/host.out", e->dir);
  e->srv = srv;
  h_write_config (e, fp_server_token (srv), extra);
}

void
h_teardown (h_env *e)
{
  if (e->dir[0] == '\0')
    return; /* kept for a post-mortem */
  const char *files[] = {e->config, e->state, e->events, e->out};
  char tmp[400];
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    unlink (files[i]);
  snprintf (tmp, sizeof tmp, "%s.tmp", e->state);
  unlink (tmp);
  /* The host may leave other temporary files on a kill: remove all. */
  char cmd[400];
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", e->dir);
  if (system (cmd) != 0)
    fprintf (stderr, "could not remove %s\n", e->dir);
}

static pid_t
spawn (h_env *e, const char *const argv[])
{
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0) {
    int fd = open (e->out, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      dup2 (fd, 1);
      dup2 (fd, 2);
      close (fd);
    }
    const char *wrapper = getenv ("OCH_HOST_WRAPPER");
    if (wrapper && *wrapper) {
      /* "valgrind --opt ..." followed by the host's argv. */
      char *copy = strdup (wrapper);
      const char *args[64];
      size_t n = 0;
      for (char *tok = strtok (copy, " "); tok && n < 40;
           tok = strtok (NULL, " "))
        args[n++] = tok;
      for (size_t i = 0; argv[i] && n < 63; i++)
        args[n++] = argv[i];
      args[n] = NULL;
      execvp (args[0], (char *const *)(uintptr_t)args);
    } else
      execv (argv[0], (char *const *)(uintptr_t)argv);
    _exit (127);
  }
  return pid;
}

int
h_wait (pid_t pid)
{
  int status;
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  return 128 + WTERMSIG (status);
}

static void
host_path (char *buf, size_t len)
{
  snprintf (buf, len, "%s/tests/host/omni-connector-host", builddir ());
}

static void
plugin_path (char *buf, size_t len)
{
  snprintf (buf, len, "%s/plugin/.libs/paperless_ngx.so", builddir ());
}

int
h_host (h_env *e, const char *command, ...)
{
  char host[512], plugin[512];
  const char *argv[32];
  size_t n = 0;
  va_list ap;

  host_path (host, sizeof host);
  plugin_path (plugin, sizeof plugin);
  unlink (e->out);
  argv[n++] = host;
  argv[n++] = command;
  va_start (ap, command);
  for (const char *a = va_arg (ap, const char *); a && n < 30;
       a = va_arg (ap, const char *)) {
    if (strcmp (a, "@plugin") == 0)
      a = plugin;
    else if (strcmp (a, "@config") == 0)
      a = e->config;
    else if (strcmp (a, "@state") == 0)
      a = e->state;
    else if (strcmp (a, "@events") == 0)
      a = e->events;
    argv[n++] = a;
  }
  va_end (ap);
  argv[n] = NULL;
  return h_wait (spawn (e, argv));
}

pid_t
h_sync_start (h_env *e, const char *mode, const char *extra_arg)
{
  char host[512], plugin[512];
  host_path (host, sizeof host);
  plugin_path (plugin, sizeof plugin);
  const char *argv[]
      = {host,      "sync",    "--plugin", plugin,     "--config",
         e->config, "--state", e->state,   "--events", e->events,
         "--mode",  mode,      extra_arg,  NULL};
  /* Appended, so that a sequence of runs can be read back. */
  return spawn (e, argv);
}

int
h_sync (h_env *e, const char *mode)
{
  int rc = h_wait (h_sync_start (e, mode, NULL));

  /* A crash (or a sanitizer's abort) is no expected outcome: show what the
   * host said, or the test log would hold only the exit status. */
  if (rc >= 128) {
    char tail[2048];
    FILE *f = fopen (e->out, "r");
    size_t n = 0;

    if (f != NULL) {
      if (fseek (f, -(long)(sizeof tail - 1), SEEK_END) != 0)
        rewind (f);
      n = fread (tail, 1, sizeof tail - 1, f);
      fclose (f);
    }
    tail[n] = '\0';
    fprintf (stderr, "host (%s sync) exited %d; its output ends:\n%s\n", mode,
             rc, tail);
  }
  return rc;
}

char *
h_slurp (const char *path, size_t *len)
{
  FILE *f = fopen (path, "rb");
  opl_buf b;
  char chunk[65536];
  size_t n;

  if (f == NULL)
    return NULL;
  opl_buf_init (&b);
  while ((n = fread (chunk, 1, sizeof chunk, f)) > 0)
    opl_buf_append (&b, chunk, n);
  fclose (f);
  if (len)
    *len = b.len;
  return opl_buf_steal (&b);
}

bool
h_file_contains (const char *path, const char *text)
{
  size_t len;
  char *s = h_slurp (path, &len);
  bool found = false;
  if (s) {
    found = memmem (s, len, text, strlen (text)) != NULL;
    free (s);
  }
  return found;
}

size_t
h_requests (h_env *e)
{
  return fp_server_request_count (e->srv);
}

/* ---- replay ---- */

static int64_t
id_of (const char *ext)
{
  const char *colon = strrchr (ext, ':');
  return colon ? strtoll (colon + 1, NULL, 10) : 0;
}

static int64_t
parse_us (const char *s)
{
  opl_time t;
  if (s == NULL || !opl_time_parse (s, strlen (s), &t))
    return -1;
  return opl_time_to_unix_us (&t);
}

static ssize_t
find (const h_index *ix, int64_t id)
{
  size_t lo = 0, hi = ix->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (ix->ids[mid] == id)
      return (ssize_t)mid;
    if (ix->ids[mid] < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -(ssize_t)lo - 1;
}

/* Titles of linked documents (documentlink fields, "Title (#12)") are
 * denormalised: Paperless-ngx does not bump a document when a document it
 * links to is renamed or trashed, so no connector can refresh them before
 * the linking document changes or a full sync runs (README, limitations).
 * Content comparisons leave them out: custom-field values that name a
 * document id. */
static bool
names_a_document (const char *s)
{
  const char *h = strstr (s, "#");
  return h != NULL && h[1] >= '0' && h[1] <= '9';
}

static void
strip_link_values (json_object *obj)
{
  json_object *cf = NULL;
  if (obj == NULL)
    return;
  json_object_object_foreach (obj, key, val)
  {
    if (json_object_is_type (val, json_type_string)
        && strncmp (key, "cf_", 3) == 0
        && names_a_document (json_object_get_string (val)))
      json_object_set_string (val, "");
  }
  json_object *extra = NULL;
  if (json_object_object_get_ex (obj, "extra", &extra)
      && json_object_object_get_ex (extra, "custom_fields", &cf)) {
    json_object_object_foreach (cf, k2, v2)
    {
      (void)k2;
      if (json_object_is_type (v2, json_type_string)
          && names_a_document (json_object_get_string (v2)))
        json_object_set_string (v2, "");
    }
  }
}

static void
strip_link_lines (json_object *ev)
{
  json_object *content = NULL;
  if (!json_object_object_get_ex (ev, "content", &content)
      || !json_object_is_type (content, json_type_string))
    return;
  opl_buf b;
  opl_buf_init (&b);
  const char *s = json_object_get_string (content);
  while (*s) {
    const char *nl = strchr (s, '\n');
    size_t len = nl ? (size_t)(nl - s + 1) : strlen (s);
    char line[4096];
    snprintf (line, sizeof line, "%.*s", (int)(len < 4000 ? len : 4000), s);
    if (!(strncmp (line, "  - ", 4) == 0 && names_a_document (line)))
      opl_buf_append (&b, s, len);
    s += len;
  }
  json_object_set_string_len (content, b.data ? b.data : "", (int)b.len);
  opl_buf_free (&b);
}

static uint64_t
digest_event (json_object *ev)
{
  json_object *md = NULL, *attrs = NULL;
  strip_link_lines (ev);
  if (json_object_object_get_ex (ev, "metadata", &md)) {
    strip_link_values (md);
    json_object_object_del (md, "size"); /* counts the titles too */
  }
  if (json_object_object_get_ex (ev, "attributes", &attrs))
    strip_link_values (attrs);
  static const char *const keys[]
      = {"content", "metadata", "permissions", "attributes"};
  uint64_t h = 1469598103934665603u;
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
    json_object *v = NULL;
    json_object_object_get_ex (ev, keys[k], &v);
    const char *t = json_object_to_json_string_ext (v, JSON_C_TO_STRING_PLAIN);
    for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
      h ^= *p;
      h *= 1099511628211u;
    }
    h ^= 0xff;
    h *= 1099511628211u;
  }
  return h;
}

static void
upsert (h_index *ix, int64_t id, int64_t us, const char *title, uint64_t digest)
{
  ssize_t at = find (ix, id);
  if (at >= 0) {
    ix->digest[at] = digest;
    ix->modified_us[at] = us;
    free (ix->titles[at]);
    ix->titles[at] = strdup (title ? title : "");
    return;
  }
  size_t pos = (size_t)(-at - 1);
  ix->ids = realloc (ix->ids, (ix->n + 1) * sizeof *ix->ids);
  ix->modified_us = realloc (ix->modified_us, (ix->n + 1) * sizeof (int64_t));
  ix->titles = realloc (ix->titles, (ix->n + 1) * sizeof (char *));
  ix->digest = realloc (ix->digest, (ix->n + 1) * sizeof *ix->digest);
  ck_assert (ix->ids && ix->modified_us && ix->titles && ix->digest);
  memmove (ix->ids + pos + 1, ix->ids + pos, (ix->n - pos) * sizeof *ix->ids);
  memmove (ix->modified_us + pos + 1, ix->modified_us + pos,
           (ix->n - pos) * sizeof (int64_t));
  memmove (ix->titles + pos + 1, ix->titles + pos,
           (ix->n - pos) * sizeof (char *));
  memmove (ix->digest + pos + 1, ix->digest + pos,
           (ix->n - pos) * sizeof *ix->digest);
  ix->digest[pos] = digest;
  ix->ids[pos] = id;
  ix->modified_us[pos] = us;
  ix->titles[pos] = strdup (title ? title : "");
  ix->n++;
}

static void
erase (h_index *ix, int64_t id)
{
  ssize_t at = find (ix, id);
  if (at < 0)
    return;
  size_t pos = (size_t)at;
  free (ix->titles[pos]);
  memmove (ix->ids + pos, ix->ids + pos + 1,
           (ix->n - pos - 1) * sizeof *ix->ids);
  memmove (ix->modified_us + pos, ix->modified_us + pos + 1,
           (ix->n - pos - 1) * sizeof (int64_t));
  memmove (ix->titles + pos, ix->titles + pos + 1,
           (ix->n - pos - 1) * sizeof (char *));
  memmove (ix->digest + pos, ix->digest + pos + 1,
           (ix->n - pos - 1) * sizeof *ix->digest);
  ix->n--;
}

void
h_replay (const h_env *e, h_index *ix)
{
  size_t len;
  char *text = h_slurp (e->events, &len);
  memset (ix, 0, sizeof *ix);
  if (text == NULL)
    return;
  for (char *line = text, *nl; *line; line = nl + 1) {
    nl = strchr (line, '\n');
    /* A torn last line (host killed mid-write) is not an event: Omni's
     * ingestion never saw it either.  It must not be covered by a
     * checkpoint, which the convergence check proves. */
    if (nl == NULL)
      break;
    *nl = '\0';
    json_object *ev = json_tokener_parse (line);
    ck_assert_msg (ev != NULL, "events line is not JSON: %.200s", line);
    const char *type = NULL, *doc = NULL;
    ck_assert (opl_json_get_string (ev, "type", &type, NULL));
    ck_assert (opl_json_get_string (ev, "document_id", &doc, NULL));
    int64_t id = id_of (doc);
    if (strcmp (type, "document_deleted") == 0) {
      erase (ix, id);
      ix->deleted++;
    } else {
      json_object *md = opl_json_get_object (ev, "metadata");
      const char *upd = NULL, *title = NULL;
      opl_json_get_string (md, "updated_at", &upd, NULL);
      opl_json_get_string (md, "title", &title, NULL);
      upsert (ix, id, parse_us (upd), title, digest_event (ev));
      if (strcmp (type, "document_created") == 0)
        ix->created++;
      else
        ix->updated++;
    }
    json_object_put (ev);
  }
  free (text);
}

void
h_index_free (h_index *ix)
{
  for (size_t i = 0; i < ix->n; i++)
    free (ix->titles[i]);
  free (ix->ids);
  free (ix->modified_us);
  free (ix->titles);
  free (ix->digest);
  memset (ix, 0, sizeof *ix);
}

bool
h_converged (h_env *e, char *why, size_t whylen)
{
  h_index ix;
  char *snap = fp_server_snapshot_json (e->srv);
  json_object *root = json_tokener_parse (snap);
  json_object *docs = opl_json_get_array (root, "documents");
  bool ok = true;

  ck_assert_ptr_nonnull (docs);
  h_replay (e, &ix);
  size_t n = json_object_array_length (docs);
  if (n != ix.n) {
    /* Name the first document the index holds that the server lacks. */
    int64_t extra = 0;
    for (size_t i = 0, j = 0; i < ix.n && extra == 0; i++) {
      int64_t sid = 0;
      while (j < n) {
        opl_json_get_int (json_object_array_get_idx (docs, j), "id", &sid);
        if (sid >= ix.ids[i])
          break;
        j++;
      }
      if (j == n || sid != ix.ids[i])
        extra = ix.ids[i];
    }
    snprintf (why, whylen,
              "server shows %zu documents, index holds %zu (first extra: "
              "%lld)",
              n, ix.n, (long long)extra);
    ok = false;
  }
  for (size_t i = 0; ok && i < n; i++) {
    json_object *d = json_object_array_get_idx (docs, i);
    int64_t id = 0;
    const char *mod = NULL;
    opl_json_get_int (d, "id", &id);
    opl_json_get_string (d, "modified", &mod, NULL);
    ssize_t at = find (&ix, id);
    if (at < 0) {
      snprintf (why, whylen, "document %lld missing from the index",
                (long long)id);
      ok = false;
    } else if (ix.modified_us[at] != parse_us (mod)) {
      snprintf (why, whylen,
                "document %lld is stale in the index (server modified %s)",
                (long long)id, mod);
      ok = false;
    }
  }
  h_index_free (&ix);
  json_object_put (root);
  free (snap);
  return ok;
}

bool
h_same_index (const h_env *a, const h_env *b, char *why, size_t whylen)
{
  h_index x, y;
  bool ok = true;
  h_replay (a, &x);
  h_replay (b, &y);
  if (x.n != y.n) {
    snprintf (why, whylen, "%zu documents against %zu", x.n, y.n);
    ok = false;
  }
  for (size_t i = 0; ok && i < x.n; i++) {
    if (x.ids[i] != y.ids[i]) {
      snprintf (why, whylen, "document %lld against %lld", (long long)x.ids[i],
                (long long)y.ids[i]);
      ok = false;
    } else if (x.digest[i] != y.digest[i]) {
      snprintf (why, whylen, "document %lld differs", (long long)x.ids[i]);
      ok = false;
    }
  }
  h_index_free (&x);
  h_index_free (&y);
  return ok;
}

size_t
h_events_size (const h_env *e)
{
  struct stat st;
  return stat (e->events, &st) == 0 ? (size_t)st.st_size : 0;
}

static void
push_id (int64_t **v, size_t *n, int64_t id)
{
  int64_t *p = realloc (*v, (*n + 1) * sizeof *p);
  ck_assert_ptr_nonnull (p);
  p[(*n)++] = id;
  *v = p;
}

void
h_events_since (const h_env *e, size_t from, h_events *ev)
{
  size_t len = 0;
  char *text = h_slurp (e->events, &len);
  memset (ev, 0, sizeof *ev);
  if (text == NULL)
    return;
  ck_assert_uint_le (from, len);
  for (char *line = text + from, *nl; *line; line = nl + 1) {
    nl = strchr (line, '\n');
    if (nl == NULL)
      break; /* torn: no event (see h_replay) */
    *nl = '\0';
    json_object *o = json_tokener_parse (line);
    ck_assert_msg (o != NULL, "events line is not JSON: %.200s", line);
    const char *type = NULL, *doc = NULL;
    ck_assert (opl_json_get_string (o, "type", &type, NULL));
    ck_assert (opl_json_get_string (o, "document_id", &doc, NULL));
    int64_t id = id_of (doc);
    if (strcmp (type, "document_deleted") == 0)
      push_id (&ev->deleted, &ev->n_deleted, id);
    else if (strcmp (type, "document_created") == 0)
      push_id (&ev->created, &ev->n_created, id);
    else
      push_id (&ev->updated, &ev->n_updated, id);
    json_object_put (o);
  }
  free (text);
}

void
h_events_free (h_events *ev)
{
  free (ev->created);
  free (ev->updated);
  free (ev->deleted);
  memset (ev, 0, sizeof *ev);
}

size_t
h_count_id (const int64_t *ids, size_t n, int64_t id)
{
  size_t c = 0;
  for (size_t i = 0; i < n; i++)
    c += ids[i] == id;
  return c;
}

bool
h_same_as_fresh (h_env *e, const char *extra_config, char *why, size_t whylen)
{
  h_env fresh;
  h_setup (&fresh, e->srv, extra_config);
  int rc = h_sync (&fresh, "full");
  bool ok = rc == 0;
  if (!ok)
    snprintf (why, whylen, "the fresh full sync exited %d", rc);
  else
    ok = h_same_index (e, &fresh, why, whylen);
  if (!ok && getenv ("OPL_KEEP_FAILED")) {
    fprintf (stderr, "kept %s and %s\n", e->dir, fresh.dir);
    e->dir[0] = fresh.dir[0] = '\0';
  }
  h_teardown (&fresh);
  return ok;
}

void
h_assert_one_error_line (const h_env *e, const char *needle)
{
  char *out = h_slurp (e->out, NULL);
  size_t errors = 0, hits = 0;
  ck_assert_ptr_nonnull (out);
  for (char *line = out, *nl; line && *line; line = nl ? nl + 1 : NULL) {
    nl = strchr (line, '\n');
    if (nl)
      *nl = '\0';
    if (strncmp (line, "omni-connector-host: ", 21) != 0)
      continue;
    const char *rest = line + 21;
    if (strncmp (rest, "waiting ", 8) == 0
        || strncmp (rest, "warning: ", 9) == 0
        || strncmp (rest, "progress: ", 10) == 0)
      continue;
    errors++;
    hits += strstr (rest, needle) != NULL;
  }
  free (out);
  ck_assert_msg (errors == 1, "%zu error lines, not 1", errors);
  ck_assert_msg (hits == 1, "the error line does not name \"%s\"", needle);
}
