/* opl-api.c: the Paperless-ngx REST API as a sync connector needs it:
 * version negotiation, retries with back-off, list pages, id listings,
 * lookups and document chunks.
 *
 * Every URL is built from the configured base URL; `next` links in list
 * pages are never followed (they carry whatever scheme and host the server
 * believes it has, which behind a proxy is often wrong, and following them
 * could send the token elsewhere).  We count pages ourselves. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "opl-map-extra.h"

/* The API versions this plugin reads, newest first (§3 of the API notes):
 * 10 (3.x), 9 (2.16+), then whatever an older server offers. */
static const int wanted_versions[] = {10, 9};

static bool
should_stop (const opl_api *a)
{
  return a->host && a->host->should_stop
         && a->host->should_stop (a->host->host_data);
}

static char *
make_url (const opl_api *a, const char *path_query)
{
  opl_buf b;
  opl_buf_init (&b);
  opl_buf_puts (&b, a->cfg->base_url);
  opl_buf_puts (&b, "/api/");
  opl_buf_puts (&b, path_query);
  return opl_buf_steal (&b);
}

/* The "detail" of a DRF error body, or a short excerpt of a non-JSON one,
 * for error messages.  Never longer than 120 bytes. */
static void
error_detail (const opl_response *r, char *out, size_t outlen)
{
  json_object *root = NULL;
  const char *d;
  out[0] = '\0';
  if (r->body.len == 0)
    return;
  root = opl_json_parse (r->body.data, r->body.len, NULL, 0);
  if (root && opl_json_get_string (root, "detail", &d, NULL))
    snprintf (out, outlen < 120 ? outlen : 120, "%s", d);
  json_object_put (root);
}

static bool
looks_like_html (const opl_response *r)
{
  if (strncasecmp (r->content_type, "text/html", 9) == 0)
    return true;
  for (size_t i = 0; i < r->body.len && i < 64; i++) {
    char c = r->body.data[i];
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
      continue;
    return c == '<';
  }
  return false;
}

unsigned
opl_retry_delay_ms (unsigned max_wait_s, const char *retry_after,
                    unsigned attempt, uint32_t *rng)
{
  uint64_t cap_ms = (uint64_t)max_wait_s * 1000;
  uint64_t ms;

  if (retry_after && retry_after[0]) {
    char *end = NULL;
    long secs = strtol (retry_after, &end, 10);
    if (end != retry_after && *end == '\0' && secs >= 0)
      ms = (uint64_t)secs * 1000;
    else {
      time_t when = curl_getdate (retry_after, NULL);
      time_t now = time (NULL);
      ms = when > now ? (uint64_t)(when - now) * 1000 : 0;
    }
    return (unsigned)(ms < cap_ms ? ms : cap_ms);
  }
  ms = attempt < 20 ? (UINT64_C (1000) << attempt) : cap_ms;
  if (ms > cap_ms)
    ms = cap_ms;
  /* xorshift32: jitter only needs to decorrelate instances. */
  *rng ^= *rng << 13;
  *rng ^= *rng >> 17;
  *rng ^= *rng << 5;
  uint64_t span = ms / 2;
  if (span > 0)
    ms = ms - span / 2 + (*rng % span);
  /* The cap holds after the jitter too. */
  return (unsigned)(ms < cap_ms ? ms : cap_ms);
}

static unsigned
retry_delay_ms (const opl_api *a, const opl_response *r, unsigned attempt,
                uint32_t *rng)
{
  return opl_retry_delay_ms (a->cfg->max_retry_wait_s,
                             r ? r->retry_after : NULL, attempt, rng);
}

/* Sleep in short slices so that the host's stop request is honoured. */
static omni_status
wait_ms (const opl_api *a, unsigned ms, const char *reason, char *err,
         size_t errlen)
{
  if (ms >= 1000 && a->host
      && a->host->struct_size >= sizeof (omni_host_services)
      && a->host->waiting)
    a->host->waiting (a->host->host_data, ms, reason);
  opl_logf (a->log, OMNI_LOG_INFO, "retrying in %u ms: %s", ms, reason);
  while (ms > 0) {
    if (should_stop (a))
      return opl_fail (err, errlen, OMNI_ERR_CANCELLED,
                       "cancelled by the host");
    unsigned slice = ms < 100 ? ms : 100;
    struct timespec ts = {0, (long)slice * 1000000L};
    nanosleep (&ts, NULL);
    ms -= slice;
  }
  return OMNI_OK;
}

static bool
retryable_status (long status)
{
  return status == 429 || status == 500 || status == 502 || status == 503
         || status == 504;
}

/* Classify a final (non-retryable) response.  `path` is the API path for
 * messages (never the full URL: it has no secret, but keeps lines short). */
static omni_status
classify (const opl_api *a, const opl_response *r, int version,
          const char *path, char *err, size_t errlen)
{
  char detail[128];
  size_t plen = strcspn (path, "?");

  error_detail (r, detail, sizeof detail);
  if (r->status >= 300 && r->status < 400)
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "%s/api/%.*s answered with a redirect (HTTP %ld): no "
                     "Paperless-ngx API here (check base_url and its path "
                     "prefix), an endpoint this server version lacks, or a "
                     "proxy's login page",
                     a->cfg->base_url, (int)plen, path, r->status);
  switch (r->status) {
    case 401:
      return opl_fail (err, errlen, OMNI_ERR_AUTH,
                       "the server refused the API token (HTTP 401%s%s): "
                       "check api_key, or create a new token in "
                       "Paperless-ngx (Profile, API Auth Token)",
                       detail[0] ? ": " : "", detail);
    case 403:
      return opl_fail (err, errlen, OMNI_ERR_AUTH,
                       "permission denied on /api/%.*s (HTTP 403%s%s): the "
                       "token's user lacks the view permission for it",
                       (int)plen, path, detail[0] ? ": " : "", detail);
    case 404:
      return opl_fail (err, errlen, OMNI_ERR_NOT_FOUND,
                       "not found: /api/%.*s (HTTP 404%s%s)", (int)plen, path,
                       detail[0] ? ": " : "", detail);
    case 406:
      return opl_fail (err, errlen, OMNI_ERR_INVALID,
                       "the server refused API version %d (HTTP 406)", version);
    default:
      break;
  }
  if (retryable_status (r->status))
    return opl_fail (err, errlen, OMNI_ERR_TRANSIENT,
                     "%s on /api/%.*s (HTTP "
                     "%ld%s%s)",
                     r->status == 429 ? "throttled" : "server error", (int)plen,
                     path, r->status, detail[0] ? ": " : "", detail);
  return opl_fail (err, errlen, OMNI_ERR_INVALID,
                   "unexpected HTTP %ld on /api/%.*s%s%s", r->status, (int)plen,
                   path, detail[0] ? ": " : "", detail);
}

/* GET with retries; on OMNI_OK r holds a 2xx response. */
static omni_status
get_with_retries (opl_api *a, const char *path_query, int version,
                  opl_response *r, char *err, size_t errlen)
{
  char *url = make_url (a, path_query);
  omni_status st;
  uint32_t rng = (uint32_t)(uintptr_t)a ^ (uint32_t)time (NULL) ^ 0x9e3779b9u;

  if (url == NULL)
    return opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
  for (unsigned attempt = 0;; attempt++) {
    if (should_stop (a)) {
      st = opl_fail (err, errlen, OMNI_ERR_CANCELLED, "cancelled by the host");
      break;
    }
    st = opl_http_get (a->http, url, version, r, err, errlen);
    bool retry;
    if (st == OMNI_ERR_TRANSIENT)
      retry = true;
    else if (st != OMNI_OK)
      break;
    else if (r->status >= 200 && r->status < 300)
      break;
    else if (retryable_status (r->status)) {
      retry = true;
      st = classify (a, r, version, path_query, err, errlen);
    } else {
      st = classify (a, r, version, path_query, err, errlen);
      break;
    }
    if (!retry)
      break;
    if (attempt >= a->cfg->max_retries) {
      /* Say that it was retried; a transport failure also gets the path
       * (classify() already named it for an HTTP status). */
      char why[300];
      snprintf (why, sizeof why, "%s", err);
      const char *s = attempt ? "s" : "";
      if (r->status == 0)
        opl_fail (err, errlen, st, "/api/%.*s: %s (gave up after %u attempt%s)",
                  (int)strcspn (path_query, "?"), path_query, why, attempt + 1,
                  s);
      else
        opl_fail (err, errlen, st, "%s (gave up after %u attempt%s)", why,
                  attempt + 1, s);
      break;
    }
    char reason[300];
    snprintf (reason, sizeof reason, "%s (attempt %u of %u)", err, attempt + 1,
              a->cfg->max_retries + 1);
    st = wait_ms (a,
                  retry_delay_ms (
                      a, st == OMNI_ERR_TRANSIENT && r->status == 0 ? NULL : r,
                      attempt, &rng),
                  reason, err, errlen);
    if (st != OMNI_OK)
      break;
  }
  free (url);
  return st;
}

static omni_status
refuse_html (const opl_response *r, const char *path, char *err, size_t errlen)
{
  if (!looks_like_html (r))
    return OMNI_OK;
  return opl_fail (err, errlen, OMNI_ERR_INVALID,
                   "/api/%.*s returned an HTML page where JSON was "
                   "expected: a proxy login page, a captive portal, or "
                   "base_url pointing at the web UI of something else",
                   (int)strcspn (path, "?"), path);
}

static omni_status
parse_body (const opl_response *r, const char *path, json_object **out,
            char *err, size_t errlen)
{
  char why[200];

  if (refuse_html (r, path, err, errlen) != OMNI_OK)
    return OMNI_ERR_INVALID;
  *out = opl_json_parse (r->body.data, r->body.len, why, sizeof why);
  if (*out == NULL)
    return opl_fail (err, errlen, OMNI_ERR_INVALID, "/api/%.*s: %s",
                     (int)strcspn (path, "?"), path, why);
  return OMNI_OK;
}

/* GET one page of an id listing into p (see opl_id_page_parse). */
static omni_status
get_id_page (opl_api *a, const char *path, bool want_modified, opl_id_page *p,
             char *err, size_t errlen)
{
  opl_response r;
  omni_status st;
  char why[300];

  opl_response_init (&r);
  st = get_with_retries (a, path, a->api_version, &r, err, errlen);
  if (st == OMNI_OK)
    st = refuse_html (&r, path, err, errlen);
  if (st == OMNI_OK
      && opl_id_page_parse (p, r.body.data, r.body.len, want_modified, why,
                            sizeof why)
             != OMNI_OK)
    st = opl_fail (err, errlen, OMNI_ERR_INVALID, "/api/%.*s: %s",
                   (int)strcspn (path, "?"), path, why);
  opl_response_free (&r);
  return st;
}

omni_status
opl_api_get_json (opl_api *a, const char *path_query, json_object **out,
                  char *err, size_t errlen)
{
  opl_response r;
  omni_status st;

  *out = NULL;
  opl_response_init (&r);
  st = get_with_retries (a, path_query, a->api_version, &r, err, errlen);
  if (st == OMNI_OK)
    st = parse_body (&r, path_query, out, err, errlen);
  opl_response_free (&r);
  return st;
}

json_object *
opl_api_page_results (json_object *page, int64_t *count, bool *has_next,
                      char *err, size_t errlen)
{
  json_object *results;
  int64_t n;

  if (!json_object_is_type (page, json_type_object)) {
    opl_fail (err, errlen, OMNI_ERR_INVALID,
              "list response is not a JSON object");
    return NULL;
  }
  if (!opl_json_get_int (page, "count", &n) || n < 0) {
    opl_fail (err, errlen, OMNI_ERR_INVALID,
              "list response has no valid \"count\"");
    return NULL;
  }
  results = opl_json_get_array (page, "results");
  if (results == NULL) {
    opl_fail (err, errlen, OMNI_ERR_INVALID,
              "list response has no \"results\" list");
    return NULL;
  }
  if (count)
    *count = n;
  if (has_next) {
    const char *next;
    *has_next = opl_json_get_string (page, "next", &next, NULL) && *next;
  }
  return results;
}

omni_status
opl_api_probe (opl_api *a, int64_t *count, int64_t *max_id, char *err,
               size_t errlen)
{
  static const char probe[] = "documents/?page_size=1&fields=id&ordering=-id";
  opl_response r;
  json_object *page = NULL;
  omni_status st = OMNI_OK;
  int version = 0;

  opl_response_init (&r);
  for (size_t i = 0; i <= sizeof wanted_versions / sizeof wanted_versions[0];
       i++) {
    version = i < sizeof wanted_versions / sizeof wanted_versions[0]
                  ? wanted_versions[i]
                  : 0;
    st = get_with_retries (a, probe, version, &r, err, errlen);
    if ((st == OMNI_ERR_TRANSIENT || st == OMNI_ERR_INVALID) && r.status == 0) {
      /* No HTTP answer at all (network, TLS): name the server. */
      char why[256];
      snprintf (why, sizeof why, "%s", err);
      st = opl_fail (err, errlen, st, "cannot reach Paperless-ngx at %s: %s",
                     a->cfg->base_url, why);
      goto cleanup;
    }
    if (st == OMNI_OK || r.status != 406)
      break;
    opl_logf (a->log, OMNI_LOG_DEBUG, "server refused API version %d", version);
  }
  if (r.x_version[0])
    snprintf (a->server_version, sizeof a->server_version, "%s", r.x_version);
  if (st != OMNI_OK && r.status == 406) {
    st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                   "Paperless-ngx %s refused API versions %d and %d and its "
                   "own default with HTTP 406: this plugin understands %d "
                   "to %d",
                   a->server_version[0] ? a->server_version : "(unknown)",
                   wanted_versions[0], wanted_versions[1], OPL_API_VERSION_MIN,
                   OPL_API_VERSION_MAX);
    goto cleanup;
  }
  if (st == OMNI_ERR_NOT_FOUND) {
    /* The documents list itself is missing: wrong address, not a
     * transient trouble. */
    char why[256];
    snprintf (why, sizeof why, "%s", err);
    st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                   "no Paperless-ngx API at %s (%s): check base_url and its "
                   "path prefix",
                   a->cfg->base_url, why);
    goto cleanup;
  }
  if (st != OMNI_OK)
    goto cleanup;
  if (version == 0 && r.x_api_version == 0) {
    st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                   "the server refused API versions %d and %d (HTTP 406) and "
                   "then answered without an X-Api-Version header: a proxy "
                   "that drops it, or no Paperless-ngx 2.0 or newer",
                   wanted_versions[0], wanted_versions[1]);
    goto cleanup;
  }
  if (version == 0) {
    /* A server that takes neither 10 nor 9 answered in its default
     * version: speak it if this plugin understands it. */
    if (r.x_api_version < OPL_API_VERSION_MIN) {
      st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "Paperless-ngx %s (API version %d) is too old: 2.0 or "
                     "newer is needed",
                     a->server_version[0] ? a->server_version : "(unknown)",
                     r.x_api_version);
      goto cleanup;
    }
    if (r.x_api_version > OPL_API_VERSION_MAX) {
      st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "Paperless-ngx %s speaks API version %d and refuses "
                     "%d and %d: this plugin understands %d to %d; upgrade "
                     "the plugin",
                     a->server_version[0] ? a->server_version : "(unknown)",
                     r.x_api_version, wanted_versions[0], wanted_versions[1],
                     OPL_API_VERSION_MIN, OPL_API_VERSION_MAX);
      goto cleanup;
    }
    version = r.x_api_version;
  }
  a->api_version = version;
  st = parse_body (&r, probe, &page, err, errlen);
  if (st != OMNI_OK)
    goto cleanup;
  char why[300];
  json_object *results
      = opl_api_page_results (page, count, NULL, why, sizeof why);
  if (results == NULL) {
    st = opl_fail (err, errlen, OMNI_ERR_INVALID, "/api/documents/: %s", why);
    goto cleanup;
  }
  *max_id = 0;
  if (json_object_array_length (results) > 0)
    opl_json_get_int (json_object_array_get_idx (results, 0), "id", max_id);
  opl_logf (a->log, OMNI_LOG_INFO,
            "connected to Paperless-ngx %s at %s, API version %d, %lld "
            "documents visible",
            a->server_version[0] ? a->server_version : "(version unknown)",
            a->cfg->base_url, a->api_version, (long long)*count);

cleanup:
  json_object_put (page);
  opl_response_free (&r);
  return st;
}

/* How walk_pages reads a page: as a json-c tree (lookup lists, small), or
 * as ids (id listings, up to list_page_size items: see opl-idpage.c). */
typedef enum walk_kind { WALK_TREE, WALK_IDS, WALK_IDS_MODIFIED } walk_kind;

/* A page as a page_fn sees it: `results` for WALK_TREE, else `ids`. */
typedef struct walk_page {
  json_object *results;
  const opl_id_page *ids;
} walk_page;

/* Walk pages of `base` (a path with query, without page parameters),
 * calling fn for each results list.  Stops at the last page, on an empty
 * page, or at a 404 past the end (the set shrank under us). */
typedef omni_status (*page_fn) (void *ud, const walk_page *pg, char *err,
                                size_t errlen);

/* The highest integer "id" of a results list, 0 when none has one. */
static int64_t
max_item_id (json_object *results)
{
  int64_t max = 0, id;
  size_t n = json_object_array_length (results);
  for (size_t i = 0; i < n; i++)
    if (opl_json_get_int (json_object_array_get_idx (results, i), "id", &id)
        && id > max)
      max = id;
  return max;
}

/* One page of a walk: fetch it, check its shape, hand it to fn.  *got is
 * the number of items, *page_max their highest id. */
static omni_status
walk_one (opl_api *a, const char *path, unsigned page, walk_kind kind,
          opl_id_page *ids, page_fn fn, void *ud, size_t *got,
          int64_t *page_max, bool *has_next, char *err, size_t errlen)
{
  json_object *root = NULL, *results = NULL;
  walk_page pg = {NULL, NULL};
  omni_status st;
  char why[300];

  if (kind == WALK_TREE) {
    st = opl_api_get_json (a, path, &root, err, errlen);
    if (st != OMNI_OK)
      return st;
    results = opl_api_page_results (root, NULL, has_next, why, sizeof why);
    if (results == NULL) {
      st = opl_fail (err, errlen, OMNI_ERR_INVALID, "/api/%.*s page %u: %s",
                     (int)strcspn (path, "?"), path, page, why);
      goto cleanup;
    }
    *got = json_object_array_length (results);
    *page_max = max_item_id (results);
    pg.results = results;
  } else {
    st = get_id_page (a, path, kind == WALK_IDS_MODIFIED, ids, err, errlen);
    if (st != OMNI_OK)
      return st;
    *got = ids->n;
    *page_max = opl_id_page_max_id (ids);
    *has_next = ids->has_next;
    pg.ids = ids;
  }
  st = fn (ud, &pg, err, errlen);

cleanup:
  json_object_put (root);
  return st;
}

/* Every walk asks for ordering=id, so each page must bring an id above
 * those of the pages before (a page may repeat a few when the list
 * shrinks under us).  A page with nothing new means the server (or a
 * cache in front of it) ignores `page`: walking on would never end, and
 * stopping there would miss the rest of the list (which the id
 * reconciliation would take for deletions). */
static omni_status
walk_pages (opl_api *a, const char *base, unsigned page_size, walk_kind kind,
            page_fn fn, void *ud, bool *forbidden, char *err, size_t errlen)
{
  omni_status st = OMNI_OK;
  opl_id_page ids = {0};
  int64_t seen_max = 0;
  size_t plen = strcspn (base, "?");
  for (unsigned page = 1;; page++) {
    char path[2048];
    bool has_next = false;
    size_t got = 0;
    int64_t page_max = 0;
    int n = snprintf (path, sizeof path, "%s%spage_size=%u&page=%u", base,
                      strchr (base, '?') ? "&" : "?", page_size, page);
    if (n < 0 || (size_t)n >= sizeof path) {
      st = opl_fail (err, errlen, OMNI_ERR_INTERNAL, "request too long");
      break;
    }
    st = walk_one (a, path, page, kind, &ids, fn, ud, &got, &page_max,
                   &has_next, err, errlen);
    if (st == OMNI_ERR_NOT_FOUND && page > 1) {
      opl_logf (a->log, OMNI_LOG_DEBUG,
                "page %u of %s is gone: the list shrank while reading it", page,
                base);
      st = OMNI_OK;
      break;
    }
    if (st == OMNI_ERR_AUTH && forbidden && strstr (err, "HTTP 403")) {
      *forbidden = true;
      st = OMNI_OK;
      break;
    }
    if (st != OMNI_OK || got == 0)
      break;
    if (page_max <= seen_max || page >= 10000000u) {
      st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "/api/%.*s: page %u only repeats earlier items: the "
                     "server or a cache in front of it ignores the page "
                     "parameter",
                     (int)plen, base, page);
      break;
    }
    if (!has_next)
      break;
    seen_max = page_max;
  }
  opl_id_page_free (&ids);
  return st;
}

struct ids_ctx {
  opl_id_cb cb;
  void *ud;
  int64_t last_id;
};

static omni_status
ids_page (void *ud, const walk_page *pg, char *err, size_t errlen)
{
  struct ids_ctx *c = ud;
  for (size_t i = 0; i < pg->ids->n; i++) {
    int64_t id = pg->ids->items[i].id;
    if (id < 1)
      return opl_fail (err, errlen, OMNI_ERR_INVALID,
                       "document list item %zu has no valid \"id\"", i);
    if (!c->cb (c->ud, id, 0))
      return opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
  }
  return OMNI_OK;
}

omni_status
opl_api_list_ids (opl_api *a, const char *filter, opl_id_cb cb, void *ud,
                  char *err, size_t errlen)
{
  char base[1024];
  struct ids_ctx c = {cb, ud, 0};
  int n = snprintf (base, sizeof base, "documents/?%s%sfields=id&ordering=id",
                    filter, *filter ? "&" : "");
  if (n < 0 || (size_t)n >= sizeof base)
    return opl_fail (err, errlen, OMNI_ERR_INTERNAL, "filter too long");
  return walk_pages (a, base, a->cfg->list_page_size, WALK_IDS, ids_page, &c,
                     NULL, err, errlen);
}

/* "documents/?id__in=1,2,3": the documents asked for by id. */
static void
put_ids_query (opl_buf *q, const int64_t *ids, size_t n)
{
  opl_buf_puts (q, "documents/?id__in=");
  for (size_t i = 0; i < n; i++) {
    if (i)
      opl_buf_putc (q, ',');
    opl_buf_put_int (q, ids[i]);
  }
}

/* Ids asked about per request: 500 ids of up to 7 digits keep the URL
 * near 4 KB, well inside what servers and proxies accept. */
#define EXISTING_BATCH 500

omni_status
opl_api_existing_ids (opl_api *a, const int64_t *ids, size_t n, opl_id_cb cb,
                      void *ud, char *err, size_t errlen)
{
  opl_id_page page = {0};
  opl_buf q;
  omni_status st = OMNI_OK;

  opl_buf_init (&q);
  for (size_t at = 0; at < n && st == OMNI_OK; at += EXISTING_BATCH) {
    size_t k = n - at < EXISTING_BATCH ? n - at : EXISTING_BATCH;
    opl_buf_reset (&q);
    put_ids_query (&q, ids + at, k);
    opl_buf_printf (&q, "&fields=id&page_size=%zu", k);
    if (q.oom) {
      st = opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
      break;
    }
    st = get_id_page (a, q.data, false, &page, err, errlen);
    for (size_t i = 0; st == OMNI_OK && i < page.n; i++)
      if (!cb (ud, page.items[i].id, 0))
        st = opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
  }
  opl_id_page_free (&page);
  opl_buf_free (&q);
  return st;
}

omni_status
opl_api_trash_ids (opl_api *a, unsigned max_pages, opl_id_cb cb, void *ud,
                   char *err, size_t errlen)
{
  omni_status st = OMNI_OK;
  bool has_next = true;

  /* The trash has no filters, no `fields` and its own order (-created):
   * plain pages, each item a whole document. */
  for (unsigned page = 1; st == OMNI_OK && has_next && page <= max_pages;
       page++) {
    char path[64], why[300];
    json_object *root = NULL, *results;
    snprintf (path, sizeof path, "trash/?page_size=100&page=%u", page);
    st = opl_api_get_json (a, path, &root, err, errlen);
    if (st != OMNI_OK)
      break;
    results = opl_api_page_results (root, NULL, &has_next, why, sizeof why);
    if (results == NULL)
      st = opl_fail (err, errlen, OMNI_ERR_INVALID, "/api/trash/: %s", why);
    for (size_t i = 0; st == OMNI_OK && results != NULL
                       && i < json_object_array_length (results);
         i++) {
      int64_t id;
      if (opl_json_get_int (json_object_array_get_idx (results, i), "id", &id)
          && !cb (ud, id, 0))
        st = opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
    }
    json_object_put (root);
  }
  return st;
}

/* Seek state for opl_api_list_changed. */
struct changed_ctx {
  opl_id_cb cb;
  void *ud;
  int64_t bound_us; /* this round asked for modified > bound_us */
  int64_t last_us;  /* highest modified seen */
  int64_t *tie_ids; /* ids seen at last_us (to skip on the next round) */
  size_t n_tie, cap_tie;
  size_t fresh;         /* items reported in this round */
  size_t got;           /* items received in this round */
  bool all_at_one_time; /* every item of the round had the same modified */
};

static bool
tie_has (const struct changed_ctx *c, int64_t id)
{
  for (size_t i = 0; i < c->n_tie; i++)
    if (c->tie_ids[i] == id)
      return true;
  return false;
}

static omni_status
changed_items (struct changed_ctx *c, const opl_id_page *p, char *err,
               size_t errlen)
{
  int64_t first_us = -1;

  c->got = p->n;
  c->all_at_one_time = p->n > 0;
  for (size_t i = 0; i < p->n; i++) {
    int64_t id = p->items[i].id, us = p->items[i].modified_us;
    if (id < 1)
      return opl_fail (err, errlen, OMNI_ERR_INVALID,
                       "changed-document list item %zu has no valid \"id\"", i);
    if (us == OPL_ID_NO_MODIFIED)
      return opl_fail (err, errlen, OMNI_ERR_INVALID,
                       "document %lld has no valid \"modified\" datetime",
                       (long long)id);
    if (first_us < 0)
      first_us = us;
    else if (us != first_us)
      c->all_at_one_time = false;
    if (us < c->last_us || (us == c->last_us && tie_has (c, id)))
      continue; /* seen in an earlier round */
    if (us > c->last_us) {
      c->last_us = us;
      c->n_tie = 0;
    }
    if (c->n_tie == c->cap_tie) {
      size_t cap = c->cap_tie ? c->cap_tie * 2 : 64;
      int64_t *q = realloc (c->tie_ids, cap * sizeof *q);
      if (q == NULL)
        return opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
      c->tie_ids = q;
      c->cap_tie = cap;
    }
    c->tie_ids[c->n_tie++] = id;
    c->fresh++;
    if (!c->cb (c->ud, id, us))
      return opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
  }
  return OMNI_OK;
}

static omni_status
changed_page (void *ud, const walk_page *pg, char *err, size_t errlen)
{
  return changed_items (ud, pg->ids, err, errlen);
}

static void
format_bound (int64_t us, char *buf, size_t len)
{
  opl_time t;
  opl_time_from_unix_us (us, &t);
  snprintf (buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", t.year, t.month,
            t.day, t.hour, t.minute, t.second, t.micro);
}

/* A whole page of documents sharing one `modified` (a bulk update): seeking
 * cannot get past it, so read that instant by id, page by page. */
static omni_status
list_tie (opl_api *a, struct changed_ctx *c, char *err, size_t errlen)
{
  char lo[40], hi[40], base[256];
  format_bound (c->last_us - 1, lo, sizeof lo);
  format_bound (c->last_us + 1, hi, sizeof hi);
  snprintf (base, sizeof base,
            "documents/?modified__gt=%s&modified__lt=%s&fields=id,modified"
            "&ordering=id",
            lo, hi);
  opl_logf (a->log, OMNI_LOG_DEBUG,
            "more than a page of documents share modified=%s: reading them "
            "by id",
            lo);
  struct changed_ctx t = *c;
  t.last_us = c->last_us;
  omni_status st
      = walk_pages (a, base, a->cfg->list_page_size, WALK_IDS_MODIFIED,
                    changed_page, &t, NULL, err, errlen);
  c->tie_ids = t.tie_ids;
  c->n_tie = t.n_tie;
  c->cap_tie = t.cap_tie;
  return st;
}

omni_status
opl_api_list_changed (opl_api *a, int64_t since_us, opl_id_cb cb, void *ud,
                      char *err, size_t errlen)
{
  struct changed_ctx c = {0};
  opl_id_page page = {0};
  omni_status st = OMNI_OK;
  unsigned size = a->cfg->list_page_size;
  bool after_tie = false;

  c.cb = cb;
  c.ud = ud;
  c.last_us = since_us;
  for (;;) {
    char bound[40], path[256];
    /* Ask from just below the highest instant seen, so that documents
     * sharing it with the last item of the previous round are not lost;
     * the tie list skips the ones already reported. */
    int64_t from = c.last_us > since_us ? c.last_us - 1 : since_us;
    c.bound_us = from;
    if (from > 0) {
      format_bound (from, bound, sizeof bound);
      snprintf (path, sizeof path,
                "documents/?modified__gt=%s&fields=id,modified"
                "&ordering=modified,id&page_size=%u",
                bound, size);
    } else
      snprintf (path, sizeof path,
                "documents/?fields=id,modified&ordering=modified,id"
                "&page_size=%u",
                size);
    st = get_id_page (a, path, true, &page, err, errlen);
    if (st != OMNI_OK)
      break;
    c.fresh = 0;
    st = changed_items (&c, &page, err, errlen);
    if (st != OMNI_OK)
      break;
    if (c.got < size)
      break; /* the last page */
    if (c.fresh > 0)
      after_tie = false;
    if (c.fresh == 0) {
      if (!c.all_at_one_time || after_tie) {
        st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                       "the server ignored modified__gt (a full page of "
                       "documents older than asked for)");
        break;
      }
      st = list_tie (a, &c, err, errlen);
      if (st != OMNI_OK)
        break;
      /* The next round must bring something newer: a server that ignores
       * modified__gt would send this page again and again. */
      after_tie = true;
      /* Continue strictly after the tie instant. */
      c.n_tie = 0;
      c.last_us += 1;
    }
  }
  free (c.tie_ids);
  opl_id_page_free (&page);
  return st;
}

struct lookup_ctx {
  const opl_api *a;
  opl_lookup_table *t;
  opl_lookup_kind kind;
};

static omni_status
lookup_page (void *ud, const walk_page *pg, char *err, size_t errlen)
{
  struct lookup_ctx *c = ud;
  json_object *results = pg->results;
  size_t n = json_object_array_length (results);
  for (size_t i = 0; i < n; i++) {
    char why[200];
    omni_status st = opl_lookup_table_add (
        c->t, c->kind, json_object_array_get_idx (results, i), why, sizeof why);
    if (st == OMNI_ERR_INTERNAL)
      return opl_fail (err, errlen, st, "out of memory");
    if (st != OMNI_OK)
      opl_logf (c->a->log, OMNI_LOG_WARNING, "skipping an item of /api/%s: %s",
                opl_lookup_endpoint (c->kind), why);
  }
  return OMNI_OK;
}

omni_status
opl_api_load_lookup (opl_api *a, opl_lookup_kind kind, opl_lookup_table *t,
                     bool *forbidden, char *err, size_t errlen)
{
  char base[128];
  struct lookup_ctx c = {a, t, kind};
  omni_status st;

  *forbidden = false;
  opl_lookup_table_clear (t);
  snprintf (base, sizeof base, "%s?ordering=id", opl_lookup_endpoint (kind));
  st = walk_pages (a, base, 1000, WALK_TREE, lookup_page, &c, forbidden, err,
                   errlen);
  if (st == OMNI_OK && !*forbidden) {
    opl_lookup_table_finish (t);
    t->available = true;
  } else {
    opl_lookup_table_clear (t);
    t->available = false;
  }
  return st;
}

omni_status
opl_api_get_documents (opl_api *a, const int64_t *ids, size_t n,
                       opl_response *r, char *err, size_t errlen)
{
  opl_buf q;
  omni_status st;

  opl_buf_init (&q);
  put_ids_query (&q, ids, n);
  opl_buf_printf (&q, "&ordering=id&page_size=%zu&fields=%s", n,
                  opl_map_fields);
  if (a->cfg->permissions == OPL_PERM_PAPERLESS)
    opl_buf_puts (&q, "&full_perms=true");
  if (q.oom) {
    opl_buf_free (&q);
    return opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
  }
  st = get_with_retries (a, q.data, a->api_version, r, err, errlen);
  opl_buf_free (&q);
  return st;
}

omni_status
opl_api_parse_documents (const opl_api *a, const int64_t *ids, size_t n,
                         const opl_response *r, json_object **root,
                         json_object **results, char *err, size_t errlen)
{
  omni_status st;

  *root = NULL;
  *results = NULL;
  st = parse_body (r, "documents/", root, err, errlen);
  if (st != OMNI_OK)
    return st;
  bool has_next = false;
  char why[300];
  *results = opl_api_page_results (*root, NULL, &has_next, why, sizeof why);
  if (*results == NULL) {
    json_object_put (*root);
    *root = NULL;
    return opl_fail (err, errlen, OMNI_ERR_INVALID, "/api/documents/: %s", why);
  }
  /* An id__in the server does not know (Paperless-ngx < 2.0) is silently
   * ignored and the whole archive comes back: refuse that loudly. */
  if (has_next || json_object_array_length (*results) > n) {
    json_object_put (*root);
    *root = NULL;
    *results = NULL;
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "the server ignored the id__in filter: Paperless-ngx "
                     "2.0 or newer is needed");
  }
  /* One item without a usable id cannot be told apart from the others:
   * drop it (the caller then sees its document as not returned, and the
   * reconciliation asks for it again alone).  An id that was not asked for
   * means the answer is for another request. */
  for (size_t i = json_object_array_length (*results); i-- > 0;) {
    json_object *item = json_object_array_get_idx (*results, i);
    int64_t id;
    if (!opl_json_get_int (item, "id", &id) || id < 1) {
      opl_logf (a->log, OMNI_LOG_WARNING,
                "skipping an item of a /api/documents/ page: no valid "
                "\"id\" (%s)",
                json_object_is_type (item, json_type_object)
                    ? "a document of the wrong shape"
                    : "not even an object");
      json_object_array_del_idx (*results, i, 1);
      continue;
    }
    bool asked = false;
    for (size_t j = 0; j < n && !asked; j++)
      asked = ids[j] == id;
    if (!asked) {
      json_object_put (*root);
      *root = NULL;
      *results = NULL;
      return opl_fail (err, errlen, OMNI_ERR_INVALID,
                       "asked /api/documents/ for %zu documents by id and "
                       "got document %lld, which was not asked for: the "
                       "server or a cache in front of it ignores the "
                       "id__in filter",
                       n, (long long)id);
    }
  }
  return OMNI_OK;
}

omni_status
opl_api_fetch_documents (opl_api *a, const int64_t *ids, size_t n,
                         json_object **root, json_object **results, char *err,
                         size_t errlen)
{
  opl_response r;
  omni_status st;

  *root = NULL;
  *results = NULL;
  opl_response_init (&r);
  st = opl_api_get_documents (a, ids, n, &r, err, errlen);
  if (st == OMNI_OK)
    st = opl_api_parse_documents (a, ids, n, &r, root, results, err, errlen);
  opl_response_free (&r);
  return st;
}
