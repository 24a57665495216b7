/* fp-faults.c: deterministic fault injection: rule bookkeeping and the
 * broken responses themselves (proxies' error pages, cut and stalled
 * bodies, garbage, huge bodies made on the fly). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "fp-server-int.h"

#define STALL_MAX_MS (300 * 1000) /* a stalled body gives up after 5 min */

static char *
dupn (const char *s, size_t n)
{
  char *p = malloc (n + 1);
  if (p) {
    memcpy (p, s, n);
    p[n] = '\0';
  }
  return p;
}

int
fp_fault_copy (fp_fault_rule *r, const fp_fault *f)
{
  r->f = *f;
  r->f.path_prefix = NULL;
  r->f.query_contains = NULL;
  r->f.body = NULL;
  r->f.content_type = NULL;
  r->f.headers = NULL;
  r->f.retry_after = NULL;
  char *pp = fp_strdup0 (f->path_prefix), *qc = fp_strdup0 (f->query_contains);
  char *ct = fp_strdup0 (f->content_type), *hd = fp_strdup0 (f->headers);
  char *ra = fp_strdup0 (f->retry_after), *body = NULL;
  size_t blen = f->body ? (f->body_len ? f->body_len : strlen (f->body)) : 0;
  if (f->body)
    body = dupn (f->body, blen);
  r->f.path_prefix = pp;
  r->f.query_contains = qc;
  r->f.content_type = ct;
  r->f.headers = hd;
  r->f.retry_after = ra;
  r->f.body = body;
  r->f.body_len = blen;
  if ((f->path_prefix && !pp) || (f->query_contains && !qc)
      || (f->content_type && !ct) || (f->headers && !hd)
      || (f->retry_after && !ra) || (f->body && !body)) {
    fp_fault_rule_clear (r);
    return -1;
  }
  return 0;
}

void
fp_fault_rule_clear (fp_fault_rule *r)
{
  /* The strings were allocated by fp_fault_copy. */
  free ((char *)(uintptr_t)r->f.path_prefix);
  free ((char *)(uintptr_t)r->f.query_contains);
  free ((char *)(uintptr_t)r->f.body);
  free ((char *)(uintptr_t)r->f.content_type);
  free ((char *)(uintptr_t)r->f.headers);
  free ((char *)(uintptr_t)r->f.retry_after);
  memset (r, 0, sizeof *r);
}

int
fp_fault_matches (const fp_fault_rule *r, const char *path, const char *query)
{
  const fp_fault *f = &r->f;
  if (f->path_prefix
      && strncmp (path, f->path_prefix, strlen (f->path_prefix)) != 0)
    return 0;
  if (f->query_contains && !strstr (query, f->query_contains))
    return 0;
  return 1;
}

/* ----------------------------------------------------- textual faults */

static const struct {
  const char *name;
  fp_fault_kind kind;
} kinds[] = {
    {"status", FP_FAULT_STATUS}, {"delay", FP_FAULT_DELAY},
    {"drop", FP_FAULT_DROP},     {"truncate", FP_FAULT_TRUNCATE},
    {"cut", FP_FAULT_CUT},       {"garbage", FP_FAULT_GARBAGE},
    {"html", FP_FAULT_HTML},     {"empty", FP_FAULT_EMPTY},
    {"bytes", FP_FAULT_BYTES},   {"stall", FP_FAULT_STALL},
    {"huge", FP_FAULT_HUGE},
};

/* Fills f from "path=&query=&nth=&times=&kind=&status=&body=&
 * content_type=&retry_after=&delay_ms=&size=&chunked=&header=Name: v".
 * The strings point into q, which must outlive f. */
int
fp_fault_parse (fp_fault *f, const fp_query *q, char *err, size_t errlen)
{
  memset (f, 0, sizeof *f);
  const char *kind = fp_query_get (q, "kind");
  f->kind = FP_FAULT_STATUS;
  if (kind) {
    size_t i;
    for (i = 0; i < sizeof kinds / sizeof *kinds; i++)
      if (strcmp (kinds[i].name, kind) == 0)
        break;
    if (i == sizeof kinds / sizeof *kinds) {
      snprintf (err, errlen, "unknown fault kind \"%s\"", kind);
      return -1;
    }
    f->kind = kinds[i].kind;
  }
  f->path_prefix = fp_query_get (q, "path");
  f->query_contains = fp_query_get (q, "query");
  f->body = fp_query_get (q, "body");
  f->content_type = fp_query_get (q, "content_type");
  f->retry_after = fp_query_get (q, "retry_after");
  f->headers = fp_query_get (q, "header");
  const char *nums[]
      = {"nth", "times", "status", "delay_ms", "size", "chunked"};
  for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
    const char *v = fp_query_get (q, nums[i]);
    int64_t n;
    if (!v)
      continue;
    if (fp_parse_int64 (v, &n) < 0 || n < 0) {
      snprintf (err, errlen, "%s must be a non-negative integer", nums[i]);
      return -1;
    }
    switch (i) {
      case 0:
        f->nth = (unsigned)n;
        break;
      case 1:
        f->times = (unsigned)n;
        break;
      case 2:
        f->status = (int)n;
        break;
      case 3:
        f->delay_ms = (unsigned)n;
        break;
      case 4:
        f->size = (uint64_t)n;
        break;
      default:
        f->chunked = n != 0;
        break;
    }
  }
  return 0;
}

/* -------------------------------------------------------- responses */

typedef enum smode { S_HUGE, S_CUT, S_STALL } smode;

typedef struct stream {
  fp_server *s;
  smode mode;
  char *data;     /* CUT/STALL: the real body */
  size_t upto;    /* CUT/STALL: bytes to send before the trouble */
  uint64_t total; /* HUGE */
  unsigned stalled_ms;
} stream;

static const char huge_head[]
    = "{\"count\":1,\"next\":null,\"previous\":null,\"results\":[{\"id\":1,"
      "\"title\":\"huge\",\"content\":\"";
static const char huge_tail[] = "\"}]}";

static ssize_t
stream_read (void *cls, uint64_t pos, char *buf, size_t max)
{
  stream *st = cls;
  if (st->s->stopping)
    return MHD_CONTENT_READER_END_WITH_ERROR;
  if (st->mode == S_HUGE) {
    if (pos >= st->total)
      return MHD_CONTENT_READER_END_OF_STREAM;
    size_t hl = sizeof huge_head - 1, tl = sizeof huge_tail - 1;
    size_t n = 0;
    while (n < max && pos + n < st->total) {
      uint64_t p = pos + n;
      if (p < hl)
        buf[n] = huge_head[p];
      else if (p >= st->total - tl)
        buf[n] = huge_tail[p - (st->total - tl)];
      else
        buf[n] = (char)('a' + (p % 26));
      n++;
    }
    return (ssize_t)n;
  }
  if (pos < st->upto) {
    size_t n = st->upto - (size_t)pos;
    if (n > max)
      n = max;
    memcpy (buf, st->data + pos, n);
    return (ssize_t)n;
  }
  if (st->mode == S_CUT)
    return MHD_CONTENT_READER_END_WITH_ERROR;
  /* STALL: no data now; MHD asks again.  Sleep so it does not spin. */
  if (st->stalled_ms >= STALL_MAX_MS)
    return MHD_CONTENT_READER_END_WITH_ERROR;
  fp_sleep_ms (st->s, 50);
  st->stalled_ms += 50;
  return 0;
}

static void
stream_free (void *cls)
{
  stream *st = cls;
  free (st->data);
  free (st);
}

static const char *
default_status_body (int status, const char **ct, char *buf, size_t len,
                     const char *retry_after)
{
  if (status == 429) {
    long secs = retry_after ? strtol (retry_after, NULL, 10) : 0;
    snprintf (buf, len,
              "{\"detail\":\"Request was throttled. Expected available in "
              "%ld seconds.\"}",
              secs > 0 ? secs : 60);
    *ct = "application/json";
    return buf;
  }
  if (status == 500) { /* Django's DEBUG=False page */
    *ct = "text/html; charset=utf-8";
    return "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Server "
           "Error (500)</title>\n</head>\n<body>\n  <h1>Server Error "
           "(500)</h1><p></p>\n</body>\n</html>\n";
  }
  const char *reason = status == 502   ? "502 Bad Gateway"
                       : status == 503 ? "503 Service Temporarily Unavailable"
                       : status == 504 ? "504 Gateway Time-out"
                                       : NULL;
  if (!reason) {
    snprintf (buf, len, "{\"detail\":\"Error %d\"}", status);
    *ct = "application/json";
    return buf;
  }
  snprintf (buf, len,
            "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center>"
            "<h1>%s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>"
            "\r\n</html>\r\n",
            reason, reason);
  *ct = "text/html";
  return buf;
}

static void
extra_headers (struct MHD_Response *r, const fp_fault *f)
{
  if (f->retry_after)
    MHD_add_response_header (r, MHD_HTTP_HEADER_RETRY_AFTER, f->retry_after);
  const char *p = f->headers;
  while (p && *p) {
    size_t n = strcspn (p, "\n");
    char line[512];
    if (n < sizeof line) {
      memcpy (line, p, n);
      line[n] = '\0';
      if (n && line[n - 1] == '\r')
        line[n - 1] = '\0';
      char *colon = strchr (line, ':');
      if (colon) {
        *colon = '\0';
        const char *v = colon + 1;
        while (*v == ' ')
          v++;
        MHD_add_response_header (r, line, v);
      }
    }
    p += n + (p[n] != 0);
  }
}

static struct MHD_Response *
buffer (const char *data, size_t len)
{
  char *copy = malloc (len ? len : 1);
  if (!copy)
    return NULL;
  memcpy (copy, data, len);
  struct MHD_Response *r
      = MHD_create_response_from_buffer_with_free_callback (len, copy, free);
  if (!r)
    free (copy);
  return r;
}

/* Builds the response of fault f.  body/len is the real response (NULL for
 * the kinds that replace it); *status is in/out.  The caller adds standard
 * headers for the kinds that keep the real response's. */
struct MHD_Response *
fp_fault_response (fp_server *s, const fp_fault *f, const char *body,
                   size_t len, int *status)
{
  struct MHD_Response *r = NULL;
  const char *ct = f->content_type;
  char tmp[512];
  stream *st = NULL;
  switch (f->kind) {
    case FP_FAULT_STATUS: {
      *status = f->status ? f->status : 503;
      const char *dct = NULL;
      const char *b = f->body
                          ? f->body
                          : default_status_body (*status, &dct, tmp, sizeof tmp,
                                                 f->retry_after);
      if (!ct)
        ct = f->body ? "application/json" : dct;
      r = buffer (b, f->body ? f->body_len : strlen (b));
      break;
    }
    case FP_FAULT_HTML: {
      *status = f->status ? f->status : 200;
      const char *b = f->body ? f->body
                              : "<!DOCTYPE html>\n<html><head><title>Sign in"
                                "</title></head><body><h1>Please sign in"
                                "</h1></body></html>\n";
      ct = ct ? ct : "text/html; charset=utf-8";
      r = buffer (b, strlen (b));
      break;
    }
    case FP_FAULT_EMPTY:
      *status = f->status ? f->status : 200;
      ct = ct ? ct : "application/json";
      r = buffer ("", 0);
      break;
    case FP_FAULT_BYTES: {
      static const char junk[] = "{\"count\":\0\xff\xfe\xc3(\x80garbage";
      *status = f->status ? f->status : 200;
      ct = ct ? ct : "application/json";
      r = f->body ? buffer (f->body, f->body_len)
                  : buffer (junk, sizeof junk - 1);
      break;
    }
    case FP_FAULT_HUGE:
      *status = f->status ? f->status : 200;
      ct = ct ? ct : "application/json";
      st = calloc (1, sizeof *st);
      if (!st)
        return NULL;
      st->s = s;
      st->mode = S_HUGE;
      st->total = f->size ? f->size : UINT64_C (200) * 1024 * 1024;
      if (st->total < sizeof huge_head + sizeof huge_tail)
        st->total = sizeof huge_head + sizeof huge_tail;
      r = MHD_create_response_from_callback (
          f->chunked ? MHD_SIZE_UNKNOWN : st->total, 65536, stream_read, st,
          stream_free);
      break;
    case FP_FAULT_TRUNCATE: {
      size_t n = f->size && f->size < len ? (size_t)f->size : len / 2;
      r = buffer (body ? body : "", n);
      break;
    }
    case FP_FAULT_GARBAGE: {
      fp_buf b = {0};
      fp_buf_add (&b, body ? body : "", len);
      if (f->body)
        fp_buf_add (&b, f->body, f->body_len);
      else
        fp_buf_add (&b, "\n<!-- trailing garbage -->\0}{", 29);
      r = b.oom ? NULL : buffer (b.p, b.len);
      fp_buf_free (&b);
      break;
    }
    case FP_FAULT_CUT:
    case FP_FAULT_STALL:
      st = calloc (1, sizeof *st);
      if (!st || !(st->data = malloc (len ? len : 1))) {
        free (st);
        return NULL;
      }
      memcpy (st->data, body ? body : "", len);
      st->s = s;
      st->mode = f->kind == FP_FAULT_CUT ? S_CUT : S_STALL;
      st->upto = f->size && f->size < len ? (size_t)f->size : len / 2;
      r = MHD_create_response_from_callback (len, 4096, stream_read, st,
                                             stream_free);
      break;
    case FP_FAULT_DELAY:
    case FP_FAULT_DROP:
      break;
  }
  if (!r) {
    if (st)
      stream_free (st);
    return NULL;
  }
  if (ct)
    MHD_add_response_header (r, MHD_HTTP_HEADER_CONTENT_TYPE, ct);
  extra_headers (r, f);
  pthread_mutex_lock (&s->lock);
  s->bytes_sent += f->kind == FP_FAULT_HUGE ? st->total : len;
  pthread_mutex_unlock (&s->lock);
  return r;
}

/* ------------------------------------------------------------ public */

int
fp_server_add_fault (fp_server *s, const fp_fault *f)
{
  int id = -1;
  pthread_mutex_lock (&s->lock);
  fp_fault_rule *p = realloc (s->faults, (s->n_faults + 1) * sizeof *p);
  if (p) {
    s->faults = p;
    memset (&p[s->n_faults], 0, sizeof *p);
    if (fp_fault_copy (&p[s->n_faults], f) == 0) {
      id = p[s->n_faults].id = s->next_rule_id++;
      s->n_faults++;
    }
  }
  pthread_mutex_unlock (&s->lock);
  return id;
}

unsigned
fp_server_fault_fired (fp_server *s, int id)
{
  unsigned n = 0;
  pthread_mutex_lock (&s->lock);
  for (size_t i = 0; i < s->n_faults; i++)
    if (s->faults[i].id == id)
      n = s->faults[i].fired;
  pthread_mutex_unlock (&s->lock);
  return n;
}

void
fp_server_clear_faults (fp_server *s)
{
  pthread_mutex_lock (&s->lock);
  for (size_t i = 0; i < s->n_faults; i++)
    fp_fault_rule_clear (&s->faults[i]);
  s->n_faults = 0;
  pthread_mutex_unlock (&s->lock);
}
