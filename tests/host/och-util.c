/* och-util.c: small helpers shared by the host's files. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "och.h"

int
och_fail (char *err, size_t errlen, const char *fmt, ...)
{
  va_list ap;

  if (err != NULL && errlen > 0) {
    va_start (ap, fmt);
    vsnprintf (err, errlen, fmt, ap);
    va_end (ap);
  }
  return -1;
}

void
och_wipe (void *p, size_t n)
{
  /* Writes through a volatile pointer cannot be removed as dead stores. */
  volatile unsigned char *v = p;

  while (n-- > 0)
    *v++ = 0;
}

void
och_wipe_free (char *s)
{
  if (s == NULL)
    return;
  och_wipe (s, strlen (s));
  free (s);
}

void
och_one_line (char *out, size_t outlen, const char *in)
{
  size_t i = 0;

  if (outlen == 0)
    return;
  if (in == NULL)
    in = "";
  for (; in[i] != '\0' && i + 1 < outlen; i++) {
    unsigned char c = (unsigned char)in[i];
    out[i] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
  }
  /* Cut back to a character boundary if we stopped inside a sequence. */
  if (in[i] != '\0')
    while (i > 0 && ((unsigned char)in[i] & 0xc0) == 0x80)
      i--;
  out[i] = '\0';
}

json_object *
och_json_parse (const char *text, size_t len, char *err, size_t errlen)
{
  json_tokener *tok = NULL;
  json_object *root = NULL;
  enum json_tokener_error jerr;
  size_t end;

  tok = json_tokener_new_ex (64);
  if (tok == NULL) {
    och_fail (err, errlen, "out of memory");
    goto cleanup;
  }
  json_tokener_set_flags (tok,
                          JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  if (text[len] != '\0' || memchr (text, '\0', len) != NULL) {
    och_fail (err, errlen, "NUL byte inside JSON text");
    goto cleanup;
  }
  if (len >= INT32_MAX) {
    och_fail (err, errlen, "JSON text too big");
    goto cleanup;
  }
  /* The length includes the terminating NUL, so that a top-level number
   * sees its end. */
  root = json_tokener_parse_ex (tok, text, (int)len + 1);
  jerr = json_tokener_get_error (tok);
  if (root == NULL || jerr != json_tokener_success) {
    och_fail (err, errlen, "invalid JSON: %s",
              jerr == json_tokener_continue ? "unexpected end of text"
                                            : json_tokener_error_desc (jerr));
    json_object_put (root);
    root = NULL;
    goto cleanup;
  }
  end = json_tokener_get_parse_end (tok);
  for (; end < len; end++)
    if (strchr (" \t\r\n", text[end]) == NULL) {
      och_fail (err, errlen, "invalid JSON: trailing data after the value");
      json_object_put (root);
      root = NULL;
      goto cleanup;
    }

cleanup:
  if (tok != NULL)
    json_tokener_free (tok);
  return root;
}

size_t
och_utf8_seq (const unsigned char *p, size_t avail)
{
  size_t n;
  uint32_t cp;

  if (avail == 0)
    return 0;
  if (p[0] < 0x80)
    return 1;
  if (p[0] >= 0xc2 && p[0] <= 0xdf) {
    n = 2;
    cp = p[0] & 0x1f;
  } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
    n = 3;
    cp = p[0] & 0x0f;
  } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
    n = 4;
    cp = p[0] & 0x07;
  } else
    return 0;
  if (avail < n)
    return 0;
  for (size_t k = 1; k < n; k++) {
    if ((p[k] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (p[k] & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff
      || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

int
och_utf8_valid (const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;

  while (i < len) {
    size_t n;

    if (p[i] < 0x80) {
      /* Text is mostly ASCII: step over it a word at a time. */
      uint64_t w;
      i++;
      while (len - i >= sizeof w) {
        memcpy (&w, p + i, sizeof w);
        if ((w & UINT64_C (0x8080808080808080)) != 0)
          break;
        i += sizeof w;
      }
      continue;
    }
    if ((n = och_utf8_seq (p + i, len - i)) == 0)
      return 0;
    i += n;
  }
  return 1;
}

int
och_read_file (const char *path, size_t max, char **out, size_t *outlen,
               unsigned *st_mode, char *err, size_t errlen)
{
  int fd = -1, r = -1;
  struct stat st;
  char *buf = NULL;
  size_t len = 0;

  *out = NULL;
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd == -1) {
    och_fail (err, errlen, "cannot open %s: %s", path, strerror (errno));
    goto cleanup;
  }
  if (fstat (fd, &st) == -1 || !S_ISREG (st.st_mode)) {
    och_fail (err, errlen, "%s is not a regular file", path);
    goto cleanup;
  }
  if ((uint64_t)st.st_size > max) {
    och_fail (err, errlen, "%s is too big (more than %zu bytes)", path, max);
    goto cleanup;
  }
  buf = malloc ((size_t)st.st_size + 1);
  if (buf == NULL) {
    och_fail (err, errlen, "out of memory");
    goto cleanup;
  }
  while (len < (size_t)st.st_size) {
    ssize_t n = read (fd, buf + len, (size_t)st.st_size - len);
    if (n == -1 && errno == EINTR)
      continue;
    if (n == -1) {
      och_fail (err, errlen, "cannot read %s: %s", path, strerror (errno));
      goto cleanup;
    }
    if (n == 0)
      break; /* shrank under us: take what is there */
    len += (size_t)n;
  }
  buf[len] = '\0';
  if (st_mode != NULL)
    *st_mode = (unsigned)st.st_mode;
  *out = buf;
  *outlen = len;
  buf = NULL;
  r = 0;

cleanup:
  if (buf != NULL) {
    och_wipe (buf, (size_t)st.st_size + 1);
    free (buf);
  }
  if (fd != -1)
    close (fd);
  return r;
}

void
och_now_rfc3339 (char out[32])
{
  time_t t = time (NULL);
  struct tm tm;

  if (gmtime_r (&t, &tm) == NULL
      || strftime (out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    snprintf (out, 32, "1970-01-01T00:00:00Z");
}

double
och_monotonic (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *
och_mode_name (omni_sync_mode mode)
{
  return mode == OMNI_SYNC_FULL ? "full" : "incremental";
}

int
och_mode_parse (const char *s, omni_sync_mode *out)
{
  if (strcmp (s, "full") == 0)
    *out = OMNI_SYNC_FULL;
  else if (strcmp (s, "incremental") == 0)
    *out = OMNI_SYNC_INCREMENTAL;
  else
    return -1;
  return 0;
}

const char *
och_status_name (omni_status st)
{
  switch (st) {
    case OMNI_OK:
      return "OK";
    case OMNI_DONE:
      return "DONE";
    case OMNI_ERR_TRANSIENT:
      return "TRANSIENT";
    case OMNI_ERR_AUTH:
      return "AUTH";
    case OMNI_ERR_NOT_FOUND:
      return "NOT_FOUND";
    case OMNI_ERR_INVALID:
      return "INVALID";
    case OMNI_ERR_CANCELLED:
      return "CANCELLED";
    case OMNI_ERR_INTERNAL:
      return "INTERNAL";
  }
  return "unknown status";
}

/* write(2) until everything is written or a real error (EINTR retried). */
int
och_write_all (int fd, const char *p, size_t n)
{
  while (n > 0) {
    ssize_t w = write (fd, p, n);
    if (w == -1 && errno == EINTR)
      continue;
    if (w == -1)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}
