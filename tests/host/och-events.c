/* och-events.c: ingestion, as JSON lines in Omni's event shape.
 *
 *   {"type":"document_created","source_id":..,"document_id":..,
 *    "content":"..","metadata":{..},"permissions":{..},"attributes":{..}}
 *   {"type":"document_deleted","source_id":..,"document_id":..}
 *
 * Durability is the caller's business: events are queued in memory (spilled
 * to the file when the queue grows, without fsync) and become durable only
 * at och_events_sync, which the sync loop calls before it persists the
 * checkpoint that covers them.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "och.h"

/* Spill the queue to the file (no fsync) beyond this many bytes. */
#define SPILL_AT (1024 * 1024)

/* Cut a torn last line (a write killed half-way).  Everything durable ends
 * with a newline, so the torn bytes are past the last checkpoint and the
 * run that resumes writes those events again. */
static int
repair_tail (och_events *e, char *err, size_t errlen)
{
  struct stat st;
  off_t end, pos;
  char chunk[4096];

  if (fstat (e->fd, &st) == -1)
    return och_fail (err, errlen, "cannot stat %s: %s", e->path,
                     strerror (errno));
  end = st.st_size;
  pos = end;
  while (pos > 0) {
    size_t want = pos < (off_t)sizeof chunk ? (size_t)pos : sizeof chunk;
    ssize_t n = pread (e->fd, chunk, want, pos - (off_t)want);
    if (n != (ssize_t)want)
      return och_fail (err, errlen, "cannot read %s: %s", e->path,
                       n == -1 ? strerror (errno) : "short read");
    for (size_t i = want; i > 0; i--)
      if (chunk[i - 1] == '\n') {
        pos = pos - (off_t)want + (off_t)i;
        goto found;
      }
    pos -= (off_t)want;
  }
found:
  if (pos == end)
    return 0;
  if (ftruncate (e->fd, pos) == -1 || fsync (e->fd) == -1)
    return och_fail (err, errlen, "cannot truncate %s: %s", e->path,
                     strerror (errno));
  fprintf (stderr,
           OCH_PROGRAM ": warning: %s: removed a torn last line (%lld bytes) "
                       "left by an interrupted write\n",
           e->path, (long long)(end - pos));
  return 0;
}

int
och_events_open (och_events *e, const char *path, char *err, size_t errlen)
{
  memset (e, 0, sizeof *e);
  e->fd = -1;
  if (path == NULL)
    return och_fail (err, errlen, "no events file given (--events FILE)");
  if ((e->path = strdup (path)) == NULL)
    return och_fail (err, errlen, "out of memory");
  /* Document text may be private: create it for the owner only. */
  e->fd = open (path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
  if (e->fd == -1) {
    och_fail (err, errlen, "cannot open events file %s: %s", path,
              strerror (errno));
    goto fail;
  }
  if (repair_tail (e, err, errlen) == -1)
    goto fail;
  return 0;

fail:
  och_events_close (e);
  return -1;
}

static int
spill (och_events *e, char *err, size_t errlen)
{
  if (e->len > 0 && och_write_all (e->fd, e->buf, e->len) == -1)
    return och_fail (err, errlen, "cannot write events file %s: %s", e->path,
                     strerror (errno));
  e->len = 0;
  return 0;
}

/* Serialise obj as one line onto the queue. */
static int
queue (och_events *e, json_object *obj, char *err, size_t errlen)
{
  const char *text;
  size_t n;

  text = json_object_to_json_string_ext (
      obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  if (text == NULL)
    return och_fail (err, errlen, "out of memory");
  n = strlen (text);
  if (e->len + n + 1 > e->cap) {
    size_t cap = e->cap ? e->cap : 64 * 1024;
    char *b;
    while (cap < e->len + n + 1)
      cap *= 2;
    if ((b = realloc (e->buf, cap)) == NULL)
      return och_fail (err, errlen, "out of memory");
    e->buf = b;
    e->cap = cap;
  }
  memcpy (e->buf + e->len, text, n);
  e->buf[e->len + n] = '\n';
  e->len += n + 1;
  if (e->len >= SPILL_AT)
    return spill (e, err, errlen);
  return 0;
}

/* Add key: parsed JSON object text, or fail naming the document. */
static int
add_json (json_object *ev, const char *key, const char *text,
          const char *doc_id, char *err, size_t errlen)
{
  char why[OCH_ERRLEN];
  json_object *v;

  if (text == NULL)
    return och_fail (err, errlen, "plugin gave no %s for document %s", key,
                     doc_id);
  v = och_json_parse (text, strlen (text), why, sizeof why);
  if (v == NULL)
    return och_fail (err, errlen, "plugin gave bad %s for document %s: %s", key,
                     doc_id, why);
  if (!json_object_is_type (v, json_type_object)) {
    json_object_put (v);
    return och_fail (err, errlen,
                     "plugin gave bad %s for document %s: not a JSON object",
                     key, doc_id);
  }
  if (json_object_object_add (ev, key, v) != 0) {
    json_object_put (v);
    return och_fail (err, errlen, "out of memory");
  }
  return 0;
}

static int
add_str (json_object *ev, const char *key, const char *s, size_t len, char *err,
         size_t errlen)
{
  json_object *v = json_object_new_string_len (s, (int)len);

  if (v == NULL || json_object_object_add (ev, key, v) != 0) {
    json_object_put (v);
    return och_fail (err, errlen, "out of memory");
  }
  return 0;
}

/* The fields every event has; the id must be non-empty UTF-8. */
static json_object *
new_event (const char *type, const char *source_id, const char *document_id,
           char *err, size_t errlen)
{
  json_object *ev;

  if (document_id == NULL || *document_id == '\0'
      || !och_utf8_valid (document_id, strlen (document_id))) {
    och_fail (err, errlen, "plugin gave an empty or non-UTF-8 document id");
    return NULL;
  }
  ev = json_object_new_object ();
  if (ev == NULL) {
    och_fail (err, errlen, "out of memory");
    return NULL;
  }
  if (add_str (ev, "type", type, strlen (type), err, errlen) == -1
      || add_str (ev, "source_id", source_id, strlen (source_id), err, errlen)
             == -1
      || add_str (ev, "document_id", document_id, strlen (document_id), err,
                  errlen)
             == -1) {
    json_object_put (ev);
    return NULL;
  }
  return ev;
}

int
och_events_upsert (och_events *e, bool created, const char *source_id,
                   const omni_document *doc, char *err, size_t errlen)
{
  json_object *ev;
  int r = -1;

  ev = new_event (created ? "document_created" : "document_updated", source_id,
                  doc->document_id, err, errlen);
  if (ev == NULL)
    return -1;
  if (doc->content == NULL && doc->content_len > 0) {
    och_fail (err, errlen, "plugin gave no content for document %s",
              doc->document_id);
    goto cleanup;
  }
  if (doc->content_len > 0
      && !och_utf8_valid (doc->content, doc->content_len)) {
    och_fail (err, errlen, "plugin gave non-UTF-8 content for document %s",
              doc->document_id);
    goto cleanup;
  }
  if (doc->content_len > (size_t)INT32_MAX) {
    och_fail (err, errlen, "content of document %s is too big",
              doc->document_id);
    goto cleanup;
  }
  if (add_str (ev, "content", doc->content ? doc->content : "",
               doc->content_len, err, errlen)
          == -1
      || add_json (ev, "metadata", doc->metadata_json, doc->document_id, err,
                   errlen)
             == -1
      || add_json (ev, "permissions", doc->permissions_json, doc->document_id,
                   err, errlen)
             == -1
      || add_json (ev, "attributes", doc->attributes_json, doc->document_id,
                   err, errlen)
             == -1)
    goto cleanup;
  r = queue (e, ev, err, errlen);

cleanup:
  json_object_put (ev);
  return r;
}

int
och_events_delete (och_events *e, const char *source_id,
                   const char *document_id, char *err, size_t errlen)
{
  json_object *ev;
  int r;

  ev = new_event ("document_deleted", source_id, document_id, err, errlen);
  if (ev == NULL)
    return -1;
  r = queue (e, ev, err, errlen);
  json_object_put (ev);
  return r;
}

int
och_events_sync (och_events *e, char *err, size_t errlen)
{
  if (spill (e, err, errlen) == -1)
    return -1;
  if (fsync (e->fd) == -1)
    return och_fail (err, errlen, "cannot sync events file %s: %s", e->path,
                     strerror (errno));
  return 0;
}

void
och_events_close (och_events *e)
{
  if (e->fd != -1)
    close (e->fd);
  free (e->buf);
  free (e->path);
  memset (e, 0, sizeof *e);
  e->fd = -1;
}
