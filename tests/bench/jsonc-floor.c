/* jsonc-floor: what json-c alone costs for the bytes a sync downloaded.
 *
 *   jsonc-floor BASE_URL LOGFILE [RUNS]
 *
 * LOGFILE is the fake server's request log (GET /control/log, JSON lines)
 * of one sync.  Every logged GET is fetched again from BASE_URL with the
 * same Accept and Authorization headers (so the same API version and
 * representation come back; the fake server is deterministic), without
 * compression (the same decoded bytes, less server time), and each body is
 * parsed and freed RUNS times (default 5) exactly as the plugin parses it
 * (a fresh strict tokener).  Pass r of every body adds to total r, so the
 * bodies never have to be held all at once (100k documents are ~450 MB).
 *
 * Prints "floor_s decoded_bytes requests": the median of the RUNS totals
 * (CPU time), the decoded size, and how many bodies.  Fetching is not
 * timed.  Ask the server for no delay before running it.
 *
 *   jsonc-floor --versions      prints the libcurl and json-c in use */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <json.h>

struct body {
  char *data;
  size_t len, cap;
};

static size_t
on_data (char *p, size_t size, size_t n, void *ud)
{
  struct body *b = ud;
  size_t add = size * n;
  if (b->len + add + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < b->len + add + 1)
      cap *= 2;
    char *d = realloc (b->data, cap);
    if (d == NULL)
      return 0;
    b->data = d;
    b->cap = cap;
  }
  memcpy (b->data + b->len, p, add);
  b->len += add;
  b->data[b->len] = '\0';
  return add;
}

static double
cpu_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static const char *
str_field (json_object *o, const char *key)
{
  json_object *v;
  if (!json_object_object_get_ex (o, key, &v)
      || !json_object_is_type (v, json_type_string))
    return NULL;
  return json_object_get_string (v);
}

/* CPU seconds to parse and free one body as opl_json_parse does. */
static double
parse_cpu_s (const char *data, size_t len, int *rc)
{
  double t0 = cpu_s ();
  json_tokener *tok = json_tokener_new_ex (64); /* OPL_JSON_MAX_DEPTH */
  json_tokener_set_flags (tok, JSON_TOKENER_STRICT);
  json_object *o = json_tokener_parse_ex (tok, data, (int)len);
  if (o == NULL || json_tokener_get_error (tok) != json_tokener_success) {
    fputs ("jsonc-floor: a body does not parse\n", stderr);
    *rc = 1;
  }
  json_object_put (o);
  json_tokener_free (tok);
  return cpu_s () - t0;
}

int
main (int argc, char **argv)
{
  if (argc == 2 && strcmp (argv[1], "--versions") == 0) {
    printf ("libcurl %s, json-c %s\n",
            curl_version_info (CURLVERSION_NOW)->version, json_c_version ());
    return 0;
  }
  if (argc < 3 || argc > 4) {
    fputs ("usage: jsonc-floor BASE_URL LOGFILE [RUNS]\n", stderr);
    return 2;
  }
  const char *base = argv[1];
  int runs = argc == 4 ? atoi (argv[3]) : 5;
  if (runs < 1 || runs > 100)
    runs = 5;
  FILE *log = fopen (argv[2], "r");
  if (log == NULL) {
    perror (argv[2]);
    return 2;
  }
  curl_global_init (CURL_GLOBAL_DEFAULT);
  CURL *c = curl_easy_init ();
  struct body b = {0};
  size_t n = 0, total = 0;
  double *t = calloc ((size_t)runs, sizeof *t);
  char *line = NULL;
  size_t linecap = 0;
  int rc = 0;

  while (getline (&line, &linecap, log) > 0) {
    json_object *e = json_tokener_parse (line), *h = NULL;
    const char *method = e ? str_field (e, "method") : NULL;
    const char *path = e ? str_field (e, "path") : NULL;
    const char *query = e ? str_field (e, "query") : NULL;
    if (method == NULL || strcmp (method, "GET") != 0 || path == NULL) {
      json_object_put (e);
      continue;
    }
    json_object_object_get_ex (e, "headers", &h);
    struct curl_slist *hdrs = NULL;
    const char *names[] = {"Accept", "Authorization", "Accept-Language"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
      const char *v = h ? str_field (h, names[i]) : NULL;
      if (v) {
        char hdr[4300];
        snprintf (hdr, sizeof hdr, "%s: %s", names[i], v);
        hdrs = curl_slist_append (hdrs, hdr);
      }
    }
    size_t ulen
        = strlen (base) + strlen (path) + (query ? strlen (query) : 0) + 2;
    char *url = malloc (ulen);
    snprintf (url, ulen, "%s%s%s%s", base, path, query && *query ? "?" : "",
              query ? query : "");
    b.len = 0;
    curl_easy_reset (c);
    curl_easy_setopt (c, CURLOPT_URL, url);
    curl_easy_setopt (c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt (c, CURLOPT_WRITEDATA, &b);
    CURLcode cr = curl_easy_perform (c);
    long status = 0;
    curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &status);
    if (cr != CURLE_OK || status != 200) {
      fprintf (stderr, "jsonc-floor: %s%s: %s (HTTP %ld)\n", path,
               query ? query : "", curl_easy_strerror (cr), status);
      rc = 1;
    } else {
      total += b.len;
      n++;
      for (int r = 0; r < runs; r++)
        t[r] += parse_cpu_s (b.data, b.len, &rc);
    }
    curl_slist_free_all (hdrs);
    free (url);
    json_object_put (e);
  }
  free (line);
  fclose (log);
  curl_easy_cleanup (c);

  qsort (t, (size_t)runs, sizeof *t, cmp_double);
  if (rc == 0)
    printf ("%.4f %zu %zu\n", t[runs / 2], total, n);
  free (b.data);
  free (t);
  curl_global_cleanup ();
  return rc;
}
