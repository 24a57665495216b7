/* och-state.c: the host's durable state, one JSON file replaced atomically.
 *
 *   {
 *     "format": 1,
 *     "plugin": "echo",
 *     "source_id": "src-1",
 *     "source_checkpoint": "<text>" | null,   left by the last completed sync
 *     "last_sync": {"at": "<RFC 3339>", "mode": "full"} | null,
 *     "documents_indexed": 90,
 *     "run": {                                 null when no run is open
 *       "mode": "incremental", "checkpoint": "<text>" | null,
 *       "started_at": "...", "attempts": 1, "indexed_base": 80
 *     } | null,
 *     "last_run": {
 *       "outcome": "running|completed|failed|stopped", "mode": "full",
 *       "started_at": "...", "ended_at": "..." | null,
 *       "error": "<one line>" | null,
 *       "created": 100, "updated": 0, "deleted": 10
 *     } | null
 *   }
 *
 * Checkpoints are the plugin's text, kept verbatim as JSON strings: the ABI
 * promises only text, and the host must hand it back byte for byte.
 */
#include <config.h>

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "och.h"

#define STATE_MAX (64 * 1024 * 1024)

static const char *const outcome_names[] = {
    [OCH_OUTCOME_NONE] = "none",           [OCH_OUTCOME_RUNNING] = "running",
    [OCH_OUTCOME_COMPLETED] = "completed", [OCH_OUTCOME_FAILED] = "failed",
    [OCH_OUTCOME_STOPPED] = "stopped",
};

const char *
och_outcome_name (och_outcome o)
{
  if ((size_t)o < sizeof outcome_names / sizeof outcome_names[0])
    return outcome_names[o];
  return "unknown";
}

int
och_state_set (char **field, const char *value)
{
  char *copy = NULL;

  if (value != NULL && (copy = strdup (value)) == NULL)
    return -1;
  free (*field);
  *field = copy;
  return 0;
}

void
och_state_free (och_state *s)
{
  free (s->plugin);
  free (s->source_id);
  free (s->source_checkpoint);
  free (s->last_sync_at);
  free (s->run_checkpoint);
  free (s->run_started_at);
  free (s->last_started_at);
  free (s->last_ended_at);
  free (s->last_error);
  memset (s, 0, sizeof *s);
}

/* ---- reading ---------------------------------------------------------- */

/* Each getter checks presence and type in one place (a missing int would
 * otherwise read as 0, a non-string as its JSON text). */
static int
get_str (json_object *o, const char *key, bool nullable, char **out, char *err,
         size_t errlen)
{
  json_object *v;

  if (!json_object_object_get_ex (o, key, &v))
    return och_fail (err, errlen, "\"%s\" is missing", key);
  if (v == NULL && nullable) {
    *out = NULL;
    return 0;
  }
  if (!json_object_is_type (v, json_type_string))
    return och_fail (err, errlen, "\"%s\" must be a string%s", key,
                     nullable ? " or null" : "");
  if ((*out = strdup (json_object_get_string (v))) == NULL)
    return och_fail (err, errlen, "out of memory");
  return 0;
}

static int
get_count (json_object *o, const char *key, int64_t *out, char *err,
           size_t errlen)
{
  json_object *v;

  if (!json_object_object_get_ex (o, key, &v)
      || !json_object_is_type (v, json_type_int))
    return och_fail (err, errlen, "\"%s\" must be an integer", key);
  errno = 0;
  *out = json_object_get_int64 (v);
  if (errno != 0 || *out < 0)
    return och_fail (err, errlen, "\"%s\" is out of range", key);
  return 0;
}

static int
get_mode (json_object *o, const char *key, omni_sync_mode *out, char *err,
          size_t errlen)
{
  json_object *v;

  if (!json_object_object_get_ex (o, key, &v)
      || !json_object_is_type (v, json_type_string)
      || och_mode_parse (json_object_get_string (v), out) == -1)
    return och_fail (err, errlen, "\"%s\" must be \"full\" or \"incremental\"",
                     key);
  return 0;
}

/* The object under key, or NULL when the value is null; -1 otherwise. */
static int
get_obj (json_object *o, const char *key, json_object **out, char *err,
         size_t errlen)
{
  if (!json_object_object_get_ex (o, key, out))
    return och_fail (err, errlen, "\"%s\" is missing", key);
  if (*out != NULL && !json_object_is_type (*out, json_type_object))
    return och_fail (err, errlen, "\"%s\" must be an object or null", key);
  return 0;
}

static int
parse_state (och_state *s, json_object *root, char *err, size_t errlen)
{
  json_object *v, *ls, *run, *lr;
  int64_t format;

  if (!json_object_is_type (root, json_type_object))
    return och_fail (err, errlen, "not a JSON object");
  if (get_count (root, "format", &format, err, errlen) == -1)
    return -1;
  if (format != OCH_STATE_FORMAT)
    return och_fail (err, errlen,
                     "format %lld is not %d (written by another version?)",
                     (long long)format, OCH_STATE_FORMAT);
  if (get_str (root, "plugin", false, &s->plugin, err, errlen) == -1
      || get_str (root, "source_id", false, &s->source_id, err, errlen) == -1
      || get_str (root, "source_checkpoint", true, &s->source_checkpoint, err,
                  errlen)
             == -1
      || get_count (root, "documents_indexed", &s->documents_indexed, err,
                    errlen)
             == -1
      || get_obj (root, "last_sync", &ls, err, errlen) == -1
      || get_obj (root, "run", &run, err, errlen) == -1
      || get_obj (root, "last_run", &lr, err, errlen) == -1)
    return -1;

  if (ls != NULL) {
    s->has_last_sync = true;
    if (get_str (ls, "at", false, &s->last_sync_at, err, errlen) == -1
        || get_mode (ls, "mode", &s->last_sync_mode, err, errlen) == -1)
      return -1;
  }
  if (run != NULL) {
    s->run_in_progress = true;
    if (get_mode (run, "mode", &s->run_mode, err, errlen) == -1
        || get_str (run, "checkpoint", true, &s->run_checkpoint, err, errlen)
               == -1
        || get_str (run, "started_at", false, &s->run_started_at, err, errlen)
               == -1
        || get_count (run, "attempts", &s->run_attempts, err, errlen) == -1
        || get_count (run, "indexed_base", &s->run_indexed_base, err, errlen)
               == -1)
      return -1;
  }
  if (lr != NULL) {
    const char *name;
    size_t i;

    if (!json_object_object_get_ex (lr, "outcome", &v)
        || !json_object_is_type (v, json_type_string))
      return och_fail (err, errlen, "\"outcome\" must be a string");
    name = json_object_get_string (v);
    for (i = 1; i < sizeof outcome_names / sizeof outcome_names[0]; i++)
      if (strcmp (name, outcome_names[i]) == 0)
        break;
    if (i == sizeof outcome_names / sizeof outcome_names[0])
      return och_fail (err, errlen, "unknown outcome \"%s\"", name);
    s->last_outcome = (och_outcome)i;
    if (get_mode (lr, "mode", &s->last_mode, err, errlen) == -1
        || get_str (lr, "started_at", false, &s->last_started_at, err, errlen)
               == -1
        || get_str (lr, "ended_at", true, &s->last_ended_at, err, errlen) == -1
        || get_str (lr, "error", true, &s->last_error, err, errlen) == -1
        || get_count (lr, "created", &s->created, err, errlen) == -1
        || get_count (lr, "updated", &s->updated, err, errlen) == -1
        || get_count (lr, "deleted", &s->deleted, err, errlen) == -1)
      return -1;
  }
  return 0;
}

int
och_state_read (och_state *s, const char *path, bool missing_ok, bool *existed,
                char *err, size_t errlen)
{
  char *buf = NULL;
  size_t len = 0;
  json_object *root = NULL;
  char why[OCH_ERRLEN];
  int r = -1;

  memset (s, 0, sizeof *s);
  if (existed != NULL)
    *existed = false;
  if (path == NULL)
    return och_fail (err, errlen, "no state file given (--state FILE)");
  if (missing_ok && access (path, F_OK) == -1 && errno == ENOENT)
    return 0;
  if (och_read_file (path, STATE_MAX, &buf, &len, NULL, err, errlen) == -1)
    goto cleanup;
  if (existed != NULL)
    *existed = true;
  root = och_json_parse (buf, len, why, sizeof why);
  if (root == NULL || parse_state (s, root, why, sizeof why) == -1) {
    och_fail (err, errlen, "state file %s is unusable: %s", path, why);
    goto cleanup;
  }
  r = 0;

cleanup:
  json_object_put (root);
  free (buf);
  if (r != 0)
    och_state_free (s);
  return r;
}

/* ---- writing ---------------------------------------------------------- */

/* json_object_object_add, where a NULL value is JSON null; -1 when o is
 * NULL (its allocation failed) or the add fails.  Takes v in all cases. */
static int
add (json_object *o, const char *key, json_object *v)
{
  if (o == NULL) {
    json_object_put (v);
    return -1;
  }
  return json_object_object_add (o, key, v) == 0 ? 0 : -1;
}

/* Constructors that record an allocation failure in *bad, so that a failed
 * allocation never silently becomes a JSON null. */
static json_object *
jstr (const char *v, int *bad)
{
  json_object *o = json_object_new_string (v != NULL ? v : "");

  *bad |= o == NULL;
  return o;
}

static json_object *
jstr_or_null (const char *v, int *bad)
{
  return v != NULL ? jstr (v, bad) : NULL;
}

static json_object *
jint (int64_t v, int *bad)
{
  json_object *o = json_object_new_int64 (v);

  *bad |= o == NULL;
  return o;
}

static json_object *
jobj (int *bad)
{
  json_object *o = json_object_new_object ();

  *bad |= o == NULL;
  return o;
}

/* The state as a new JSON tree, or NULL when out of memory. */
static json_object *
build (const och_state *s)
{
  int bad = 0;
  json_object *root = jobj (&bad);
  json_object *ls = NULL, *run = NULL, *lr = NULL;

  bad |= add (root, "format", jint (OCH_STATE_FORMAT, &bad));
  bad |= add (root, "plugin", jstr (s->plugin, &bad));
  bad |= add (root, "source_id", jstr (s->source_id, &bad));
  bad |= add (root, "source_checkpoint",
              jstr_or_null (s->source_checkpoint, &bad));
  if (s->has_last_sync) {
    ls = jobj (&bad);
    bad |= add (ls, "at", jstr (s->last_sync_at, &bad));
    bad |= add (ls, "mode", jstr (och_mode_name (s->last_sync_mode), &bad));
  }
  bad |= add (root, "last_sync", ls);
  bad |= add (root, "documents_indexed", jint (s->documents_indexed, &bad));
  if (s->run_in_progress) {
    run = jobj (&bad);
    bad |= add (run, "mode", jstr (och_mode_name (s->run_mode), &bad));
    bad |= add (run, "checkpoint", jstr_or_null (s->run_checkpoint, &bad));
    bad |= add (run, "started_at", jstr (s->run_started_at, &bad));
    bad |= add (run, "attempts", jint (s->run_attempts, &bad));
    bad |= add (run, "indexed_base", jint (s->run_indexed_base, &bad));
  }
  bad |= add (root, "run", run);
  if (s->last_outcome != OCH_OUTCOME_NONE) {
    lr = jobj (&bad);
    bad |= add (lr, "outcome", jstr (och_outcome_name (s->last_outcome), &bad));
    bad |= add (lr, "mode", jstr (och_mode_name (s->last_mode), &bad));
    bad |= add (lr, "started_at", jstr (s->last_started_at, &bad));
    bad |= add (lr, "ended_at", jstr_or_null (s->last_ended_at, &bad));
    bad |= add (lr, "error", jstr_or_null (s->last_error, &bad));
    bad |= add (lr, "created", jint (s->created, &bad));
    bad |= add (lr, "updated", jint (s->updated, &bad));
    bad |= add (lr, "deleted", jint (s->deleted, &bad));
  }
  bad |= add (root, "last_run", lr);
  if (bad) {
    json_object_put (root);
    return NULL;
  }
  return root;
}

/* The directory part of path ("." when there is none), in a new string. */
static char *
dir_of (const char *path)
{
  const char *slash = strrchr (path, '/');
  char *d;

  if (slash == NULL)
    return strdup (".");
  if (slash == path)
    return strdup ("/");
  d = strndup (path, (size_t)(slash - path));
  return d;
}

int
och_state_write (const och_state *s, const char *path, char *err, size_t errlen)
{
  json_object *root = NULL;
  const char *text;
  char *tmp = NULL, *dir = NULL;
  int fd = -1, dfd = -1, r = -1;
  bool linked = false;

  root = build (s);
  if (root == NULL) {
    och_fail (err, errlen, "out of memory");
    goto cleanup;
  }
  text = json_object_to_json_string_ext (
      root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
                | JSON_C_TO_STRING_NOSLASHESCAPE);
  dir = dir_of (path);
  tmp = malloc (strlen (path) + sizeof ".tmp.XXXXXX");
  if (text == NULL || dir == NULL || tmp == NULL) {
    och_fail (err, errlen, "out of memory");
    goto cleanup;
  }
  /* Same directory, so that rename is atomic (same file system). */
  strcpy (tmp, path);
  strcat (tmp, ".tmp.XXXXXX");
  fd = mkostemp (tmp, O_CLOEXEC);
  if (fd == -1) {
    och_fail (err, errlen, "cannot create %s: %s", tmp, strerror (errno));
    goto cleanup;
  }
  linked = true;
  if (och_write_all (fd, text, strlen (text)) == -1
      || och_write_all (fd, "\n", 1) == -1 || fsync (fd) == -1) {
    och_fail (err, errlen, "cannot write %s: %s", tmp, strerror (errno));
    goto cleanup;
  }
  if (close (fd) == -1) {
    fd = -1;
    och_fail (err, errlen, "cannot write %s: %s", tmp, strerror (errno));
    goto cleanup;
  }
  fd = -1;
  if (rename (tmp, path) == -1) {
    och_fail (err, errlen, "cannot replace %s: %s", path, strerror (errno));
    goto cleanup;
  }
  linked = false;
  /* The rename is durable only once the directory is. */
  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd == -1 || fsync (dfd) == -1) {
    och_fail (err, errlen, "cannot sync directory %s: %s", dir,
              strerror (errno));
    goto cleanup;
  }
  r = 0;

cleanup:
  if (fd != -1)
    close (fd);
  if (dfd != -1)
    close (dfd);
  if (linked)
    unlink (tmp);
  free (tmp);
  free (dir);
  json_object_put (root);
  return r;
}

/* ---- temp files --------------------------------------------------------- */

void
och_state_clean_temps (const char *path)
{
  char *dir = dir_of (path);
  const char *slash = strrchr (path, '/');
  const char *base = slash != NULL ? slash + 1 : path;
  size_t blen = strlen (base);
  DIR *d;
  struct dirent *de;

  if (dir == NULL || (d = opendir (dir)) == NULL) {
    free (dir);
    return;
  }
  while ((de = readdir (d)) != NULL) {
    /* Exactly what och_state_write creates: base ".tmp." 6 characters. */
    if (strncmp (de->d_name, base, blen) == 0
        && strncmp (de->d_name + blen, ".tmp.", 5) == 0
        && strlen (de->d_name + blen + 5) == 6)
      unlinkat (dirfd (d), de->d_name, 0);
  }
  closedir (d);
  free (dir);
}

/* ---- locking ---------------------------------------------------------- */

static char *
lock_path (const char *path)
{
  char *l = malloc (strlen (path) + sizeof ".lock");

  if (l != NULL) {
    strcpy (l, path);
    strcat (l, ".lock");
  }
  return l;
}

int
och_state_lock (const char *path, char *err, size_t errlen)
{
  char *l = lock_path (path);
  int fd;

  if (l == NULL)
    return och_fail (err, errlen, "out of memory");
  fd = open (l, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd == -1) {
    och_fail (err, errlen, "cannot open lock %s: %s", l, strerror (errno));
    goto out;
  }
  /* flock: released by the kernel however the process dies. */
  if (flock (fd, LOCK_EX | LOCK_NB) == -1) {
    if (errno == EWOULDBLOCK)
      och_fail (err, errlen,
                "state file %s is in use by another omni-connector-host", path);
    else
      och_fail (err, errlen, "cannot lock %s: %s", l, strerror (errno));
    close (fd);
    fd = -1;
  }
out:
  free (l);
  return fd;
}

int
och_state_lock_held (const char *path)
{
  char *l = lock_path (path);
  int fd, r = -1;

  if (l == NULL)
    return -1;
  fd = open (l, O_RDONLY | O_CLOEXEC);
  if (fd == -1) {
    r = errno == ENOENT ? 0 : -1;
    goto out;
  }
  if (flock (fd, LOCK_SH | LOCK_NB) == 0)
    r = 0;
  else if (errno == EWOULDBLOCK)
    r = 1;
  close (fd);
out:
  free (l);
  return r;
}
