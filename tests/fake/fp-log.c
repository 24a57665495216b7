/* fp-log.c: the request log tests inspect. */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fp-server-int.h"

void
fp_log_rec_clear (fp_log_rec *r)
{
  free (r->method);
  free (r->path);
  free (r->query);
  free (r->headers);
  memset (r, 0, sizeof *r);
}

/* Lock held.  Returns the entry's id (SIZE_MAX if it could not be
 * stored). */
size_t
fp_log_append (fp_server *s, const char *method, const char *path,
               const char *query, const char *headers)
{
  if (strcmp (method, "GET") != 0)
    s->non_get++;
  if (s->n_log == s->cap_log) {
    size_t cap = s->cap_log ? s->cap_log * 2 : 64;
    fp_log_rec *p = realloc (s->log, cap * sizeof *p);
    if (!p)
      return SIZE_MAX;
    s->log = p;
    s->cap_log = cap;
  }
  fp_log_rec *r = &s->log[s->n_log];
  r->method = strdup (method);
  r->path = strdup (path);
  r->query = strdup (query);
  r->headers = strdup (headers);
  r->status = 0;
  if (!r->method || !r->path || !r->query || !r->headers) {
    fp_log_rec_clear (r);
    return SIZE_MAX;
  }
  return s->log_base + s->n_log++;
}

void
fp_log_set_status (fp_server *s, size_t id, int status)
{
  /* The log may have been cleared while the request ran. */
  if (id != SIZE_MAX && id >= s->log_base && id - s->log_base < s->n_log)
    s->log[id - s->log_base].status = status;
}

size_t
fp_server_request_count (fp_server *s)
{
  pthread_mutex_lock (&s->lock);
  size_t n = s->n_log;
  pthread_mutex_unlock (&s->lock);
  return n;
}

size_t
fp_server_non_get_count (fp_server *s)
{
  pthread_mutex_lock (&s->lock);
  size_t n = s->non_get;
  pthread_mutex_unlock (&s->lock);
  return n;
}

unsigned
fp_server_max_in_flight (fp_server *s)
{
  pthread_mutex_lock (&s->lock);
  unsigned n = s->max_active;
  pthread_mutex_unlock (&s->lock);
  return n;
}

uint64_t
fp_server_bytes_sent (fp_server *s)
{
  pthread_mutex_lock (&s->lock);
  uint64_t n = s->bytes_sent;
  pthread_mutex_unlock (&s->lock);
  return n;
}

void
fp_log_entry_free (fp_log_entry *e)
{
  if (!e)
    return;
  free (e->method);
  free (e->path);
  free (e->query);
  free (e->headers);
  memset (e, 0, sizeof *e);
}

int
fp_server_log_get (fp_server *s, size_t i, fp_log_entry *out)
{
  int rc = -1;
  memset (out, 0, sizeof *out);
  pthread_mutex_lock (&s->lock);
  if (i < s->n_log) {
    const fp_log_rec *r = &s->log[i];
    out->method = strdup (r->method);
    out->path = strdup (r->path);
    out->query = strdup (r->query);
    out->headers = strdup (r->headers);
    out->status = r->status;
    rc = out->method && out->path && out->query && out->headers ? 0 : -1;
    if (rc < 0)
      fp_log_entry_free (out);
  }
  pthread_mutex_unlock (&s->lock);
  return rc;
}

char *
fp_server_log_header (fp_server *s, size_t i, const char *name)
{
  char *val = NULL;
  size_t nl = strlen (name);
  pthread_mutex_lock (&s->lock);
  if (i < s->n_log) {
    const char *p = s->log[i].headers;
    while (*p && !val) {
      size_t n = strcspn (p, "\n");
      if (n > nl && strncasecmp (p, name, nl) == 0 && p[nl] == ':') {
        const char *v = p + nl + 1;
        while (*v == ' ')
          v++;
        val = strndup (v, (size_t)(p + n - v));
      }
      p += n + (p[n] != 0);
    }
  }
  pthread_mutex_unlock (&s->lock);
  return val;
}

size_t
fp_server_log_count_containing (fp_server *s, const char *needle)
{
  size_t n = 0;
  pthread_mutex_lock (&s->lock);
  for (size_t i = 0; i < s->n_log; i++) {
    const fp_log_rec *r = &s->log[i];
    n += strstr (r->method, needle) || strstr (r->path, needle)
         || strstr (r->query, needle) || strstr (r->headers, needle);
  }
  pthread_mutex_unlock (&s->lock);
  return n;
}

size_t
fp_server_log_count_path (fp_server *s, const char *path_prefix)
{
  size_t n = 0, pl;
  pthread_mutex_lock (&s->lock);
  pl = strlen (s->prefix);
  for (size_t i = 0; i < s->n_log; i++) {
    const char *p = s->log[i].path;
    if (strncmp (p, s->prefix, pl) == 0)
      p += pl;
    n += strncmp (p, path_prefix, strlen (path_prefix)) == 0;
  }
  pthread_mutex_unlock (&s->lock);
  return n;
}

char *
fp_server_log_json (fp_server *s)
{
  fp_buf b = {0};
  pthread_mutex_lock (&s->lock);
  for (size_t i = 0; i < s->n_log; i++) {
    const fp_log_rec *r = &s->log[i];
    fp_buf_adds (&b, "{\"method\":");
    fp_buf_json_strz (&b, r->method);
    fp_buf_adds (&b, ",\"path\":");
    fp_buf_json_strz (&b, r->path);
    fp_buf_adds (&b, ",\"query\":");
    fp_buf_json_strz (&b, r->query);
    fp_buf_printf (&b, ",\"status\":%d,\"headers\":{", r->status);
    const char *p = r->headers;
    int first = 1;
    while (*p) {
      size_t n = strcspn (p, "\n");
      const char *colon = memchr (p, ':', n);
      if (colon) {
        const char *v = colon + 1;
        while (*v == ' ')
          v++;
        if (!first)
          fp_buf_addc (&b, ',');
        first = 0;
        fp_buf_json_str (&b, p, (size_t)(colon - p));
        fp_buf_addc (&b, ':');
        fp_buf_json_str (&b, v, (size_t)(p + n - v));
      }
      p += n + (p[n] != 0);
    }
    fp_buf_adds (&b, "}}\n");
  }
  pthread_mutex_unlock (&s->lock);
  return fp_buf_take (&b);
}

void
fp_server_log_clear (fp_server *s)
{
  pthread_mutex_lock (&s->lock);
  for (size_t i = 0; i < s->n_log; i++)
    fp_log_rec_clear (&s->log[i]);
  s->log_base += s->n_log;
  s->n_log = 0;
  s->non_get = 0;
  s->bytes_sent = 0;
  s->max_active = s->active;
  pthread_mutex_unlock (&s->lock);
}
