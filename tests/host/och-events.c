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
#define SPILL_AT (256 * 1024)

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

/* Room for n more bytes on the queue. */
static int
reserve (och_events *e, size_t n, char *err, size_t errlen)
{
  size_t cap;
  char *b;

  if (e->cap - e->len >= n)
    return 0;
  if (n > SIZE_MAX / 2 - e->len)
    return och_fail (err, errlen, "out of memory");
  cap = e->cap ? e->cap : 64 * 1024;
  while (cap < e->len + n)
    cap *= 2;
  if ((b = realloc (e->buf, cap)) == NULL)
    return och_fail (err, errlen, "out of memory");
  e->buf = b;
  e->cap = cap;
  return 0;
}

static int
put (och_events *e, const char *s, size_t n, char *err, size_t errlen)
{
  if (reserve (e, n, err, errlen) == -1)
    return -1;
  memcpy (e->buf + e->len, s, n);
  e->len += n;
  return 0;
}

#define PUT_LIT(e, lit, err, errlen) put (e, lit, sizeof lit - 1, err, errlen)

/* What a byte becomes inside a JSON string: 0 as it is, else the letter
 * of its short escape, or 'u' for \u00xx (json-c's choices: '/' as it is,
 * controls without a short form as \u00xx), so that lines are the same
 * bytes whichever writer made them. */
static const char escape_of[256]
    = {['\0'] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u',
       [0x05] = 'u', [0x06] = 'u', [0x07] = 'u', ['\b'] = 'b', ['\t'] = 't',
       ['\n'] = 'n', [0x0b] = 'u', ['\f'] = 'f', ['\r'] = 'r', [0x0e] = 'u',
       [0x0f] = 'u', [0x10] = 'u', [0x11] = 'u', [0x12] = 'u', [0x13] = 'u',
       [0x14] = 'u', [0x15] = 'u', [0x16] = 'u', [0x17] = 'u', [0x18] = 'u',
       [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u', [0x1c] = 'u', [0x1d] = 'u',
       [0x1e] = 'u', [0x1f] = 'u', ['"'] = '"',  ['\\'] = '\\'};

/* Input bytes escaped per reservation: bounds the queue's growth for a
 * huge document to 6 times this, not 6 times the document. */
#define ESCAPE_SLICE ((size_t)16 * 1024)

/* Append s as a JSON string.  With `check`, s must also be valid UTF-8
 * (returns -2 when it is not, nothing of it queued).  The text of a
 * document is most of every line, so this is the host's hot loop: plain
 * ASCII is stepped over eight bytes at a time, and each slice is written
 * straight into the queue. */
static int
put_string (och_events *e, const char *s, size_t len, bool check, char *err,
            size_t errlen)
{
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)s;
  size_t start = e->len, i = 0;

  if (PUT_LIT (e, "\"", err, errlen) == -1)
    return -1;
  while (i < len) {
    size_t end = len - i > ESCAPE_SLICE ? i + ESCAPE_SLICE : len;
    char *o;

    if (reserve (e, 6 * (end - i) + 4, err, errlen) == -1)
      return -1;
    o = e->buf + e->len;
    while (i < end) {
      unsigned char c = p[i];
      size_t n;

      if (end - i >= 8) {
        /* Copy the word's plain prefix; stop at its first special byte. */
        uint64_t w;
        size_t k;
        memcpy (&w, p + i, 8);
        memcpy (o, p + i, 8);
        k = och_word_plain_prefix (w);
        o += k;
        i += k;
        if (k == 8)
          continue;
        c = p[i];
      }
      if (c >= 0x80) {
        if (!check)
          n = 1;
        else if (c >= 0xc2 && c <= 0xdf && len - i >= 2
                 && (p[i + 1] & 0xc0) == 0x80)
          n = 2; /* the common case, inline */
        else
          n = och_utf8_seq (p + i, len - i);
        if (n == 0) {
          e->len = start;
          return -2;
        }
        memcpy (o, p + i, n);
        o += n;
        i += n;
        continue;
      }
      i++;
      if (escape_of[c] == 0) {
        *o++ = (char)c;
        continue;
      }
      *o++ = '\\';
      *o++ = escape_of[c];
      if (escape_of[c] == 'u') {
        memcpy (o, "00", 2);
        o[2] = hex[c >> 4];
        o[3] = hex[c & 0xf];
        o += 4;
      }
    }
    /* A sequence may straddle the slice's end: the next slice starts
     * after it. */
    e->len = (size_t)(o - e->buf);
  }
  return PUT_LIT (e, "\"", err, errlen);
}

/* Append ,"key":<text>, where text must be a JSON object: checked
 * strictly (no tree is built), copied as it is when it is one line, and
 * without the whitespace between tokens when a plugin pretty-printed it. */
static int
put_object (och_events *e, const char *key, const char *text,
            const char *doc_id, char *err, size_t errlen)
{
  char why[OCH_ERRLEN];
  size_t len;

  if (text == NULL)
    return och_fail (err, errlen, "plugin gave no %s for document %s", key,
                     doc_id);
  len = strlen (text);
  if (och_json_check_object (text, len, why, sizeof why) == -1)
    return och_fail (err, errlen, "plugin gave bad %s for document %s: %s", key,
                     doc_id, why);
  if (PUT_LIT (e, ",\"", err, errlen) == -1
      || put (e, key, strlen (key), err, errlen) == -1
      || PUT_LIT (e, "\":", err, errlen) == -1)
    return -1;
  if (memchr (text, '\n', len) == NULL && memchr (text, '\r', len) == NULL)
    return put (e, text, len, err, errlen);
  if (reserve (e, len, err, errlen) == -1)
    return -1;
  e->len += och_json_compact (text, len, e->buf + e->len);
  return 0;
}

/* Begin a line with the fields every event has; the id must be non-empty
 * UTF-8. */
static int
put_head (och_events *e, const char *type, const char *source_id,
          const char *document_id, char *err, size_t errlen)
{
  if (document_id == NULL || *document_id == '\0'
      || !och_utf8_valid (document_id, strlen (document_id)))
    return och_fail (err, errlen,
                     "plugin gave an empty or non-UTF-8 document id");
  if (PUT_LIT (e, "{\"type\":", err, errlen) == -1
      || put_string (e, type, strlen (type), false, err, errlen) == -1
      || PUT_LIT (e, ",\"source_id\":", err, errlen) == -1
      || put_string (e, source_id, strlen (source_id), false, err, errlen) == -1
      || PUT_LIT (e, ",\"document_id\":", err, errlen) == -1
      || put_string (e, document_id, strlen (document_id), false, err, errlen)
             == -1)
    return -1;
  return 0;
}

/* End the line; spill a long queue. */
static int
put_end (och_events *e, char *err, size_t errlen)
{
  if (PUT_LIT (e, "}\n", err, errlen) == -1)
    return -1;
  if (e->len >= SPILL_AT)
    return spill (e, err, errlen);
  return 0;
}

int
och_events_upsert (och_events *e, bool created, const char *source_id,
                   const omni_document *doc, char *err, size_t errlen)
{
  size_t start = e->len;
  int r;

  if (doc->content == NULL && doc->content_len > 0) {
    och_fail (err, errlen, "plugin gave no content for document %s",
              doc->document_id ? doc->document_id : "(none)");
    goto fail;
  }
  if (put_head (e, created ? "document_created" : "document_updated", source_id,
                doc->document_id, err, errlen)
      == -1)
    goto fail;
  if (doc->content_len > (size_t)INT32_MAX) {
    och_fail (err, errlen, "content of document %s is too big",
              doc->document_id);
    goto fail;
  }
  if (PUT_LIT (e, ",\"content\":", err, errlen) == -1)
    goto fail;
  r = put_string (e, doc->content ? doc->content : "", doc->content_len, true,
                  err, errlen);
  if (r == -2)
    och_fail (err, errlen, "plugin gave non-UTF-8 content for document %s",
              doc->document_id);
  if (r != 0
      || put_object (e, "metadata", doc->metadata_json, doc->document_id, err,
                     errlen)
             == -1
      || put_object (e, "permissions", doc->permissions_json, doc->document_id,
                     err, errlen)
             == -1
      || put_object (e, "attributes", doc->attributes_json, doc->document_id,
                     err, errlen)
             == -1)
    goto fail;
  return put_end (e, err, errlen);

fail:
  /* Nothing of a refused event stays queued. */
  e->len = start;
  return -1;
}

int
och_events_delete (och_events *e, const char *source_id,
                   const char *document_id, char *err, size_t errlen)
{
  size_t start = e->len;

  if (put_head (e, "document_deleted", source_id, document_id, err, errlen)
      == -1) {
    e->len = start;
    return -1;
  }
  return put_end (e, err, errlen);
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
