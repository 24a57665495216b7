/* opl-http.c: the libcurl transport.  One easy handle per instance, GET
 * only, redirects never followed, protocols restricted to http(s), every
 * size and time bounded, the Authorization header never logged. */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "opl.h"

struct opl_http {
  CURL *curl;
  const opl_config *cfg;
  const opl_log *log;
  int (*should_stop) (void *);
  void *stop_ud;
  char auth_header[4200]; /* "Authorization: Token <key>": wiped at free */
  uint64_t bytes;
  uint64_t requests;
  opl_gate *gate; /* shared with the instance's other handles, or NULL */
  /* Per request: */
  char errbuf[CURL_ERROR_SIZE]; /* libcurl's detail of a failed transfer */
  opl_response *resp;
  bool too_big;
  bool cancelled;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void
global_init (void)
{
  global_rc = curl_global_init (CURL_GLOBAL_DEFAULT);
}

void
opl_response_init (opl_response *r)
{
  memset (r, 0, sizeof *r);
  opl_buf_init (&r->body);
}

void
opl_response_free (opl_response *r)
{
  opl_buf_free (&r->body);
  opl_response_init (r);
}

/* The cap is enforced here, on decompressed bytes: CURLOPT_MAXFILESIZE only
 * sees Content-Length, which a chunked or compressed body does not give. */
static size_t
write_cb (char *data, size_t size, size_t nmemb, void *ud)
{
  opl_http *h = ud;
  size_t n = size * nmemb;
  if (h->resp->body.len + n > h->cfg->max_response_bytes) {
    h->too_big = true;
    return 0;
  }
  opl_buf_append (&h->resp->body, data, n);
  if (h->resp->body.oom)
    return 0;
  h->bytes += n;
  return n;
}

static void
copy_header_value (char *dst, size_t dstlen, const char *v, size_t vlen)
{
  while (vlen > 0 && (*v == ' ' || *v == '\t')) {
    v++;
    vlen--;
  }
  while (vlen > 0
         && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
    vlen--;
  if (vlen >= dstlen)
    vlen = dstlen - 1;
  memcpy (dst, v, vlen);
  dst[vlen] = '\0';
}

static size_t
header_cb (char *data, size_t size, size_t nmemb, void *ud)
{
  opl_http *h = ud;
  opl_response *r = h->resp;
  size_t n = size * nmemb;
  const char *colon = memchr (data, ':', n);

  if (colon == NULL)
    return n;
  size_t klen = (size_t)(colon - data);
  const char *v = colon + 1;
  size_t vlen = n - klen - 1;
#define IS(name)                                                               \
  (klen == sizeof (name) - 1 && strncasecmp (data, (name), klen) == 0)
  if (IS ("content-type"))
    copy_header_value (r->content_type, sizeof r->content_type, v, vlen);
  else if (IS ("retry-after"))
    copy_header_value (r->retry_after, sizeof r->retry_after, v, vlen);
  else if (IS ("location"))
    copy_header_value (r->location, sizeof r->location, v, vlen);
  else if (IS ("x-version"))
    copy_header_value (r->x_version, sizeof r->x_version, v, vlen);
  else if (IS ("x-api-version")) {
    char tmp[16];
    copy_header_value (tmp, sizeof tmp, v, vlen);
    char *end = NULL;
    long ver = strtol (tmp, &end, 10);
    r->x_api_version
        = (end != tmp && *end == '\0' && ver > 0 && ver < 1000) ? (int)ver : 0;
  }
#undef IS
  return n;
}

static int
progress_cb (void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
             curl_off_t ulnow)
{
  opl_http *h = ud;
  (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
  if (h->should_stop && h->should_stop (h->stop_ud)) {
    h->cancelled = true;
    return 1;
  }
  return 0;
}

/* Debug output never shows header data (the token lives there): only
 * libcurl's own informational text reaches the log. */
static int
debug_cb (CURL *c, curl_infotype type, char *data, size_t size, void *ud)
{
  opl_http *h = ud;
  (void)c;
  if (type == CURLINFO_TEXT) {
    char line[256];
    size_t n = size < sizeof line - 1 ? size : sizeof line - 1;
    memcpy (line, data, n);
    line[n] = '\0';
    opl_logf (h->log, OMNI_LOG_DEBUG, "curl: %s", line);
  }
  return 0;
}

opl_http *
opl_http_new (const opl_config *cfg, const opl_log *log,
              int (*should_stop) (void *), void *stop_ud, char *err,
              size_t errlen)
{
  opl_http *h = NULL;

  pthread_once (&global_once, global_init);
  if (global_rc != CURLE_OK) {
    opl_fail (err, errlen, OMNI_ERR_INTERNAL, "libcurl failed to initialise");
    return NULL;
  }
  h = calloc (1, sizeof *h);
  if (h == NULL)
    goto oom;
  h->cfg = cfg;
  h->log = log;
  h->should_stop = should_stop;
  h->stop_ud = stop_ud;
  int n
      = snprintf (h->auth_header, sizeof h->auth_header,
                  "Authorization: Token %s", cfg->api_key ? cfg->api_key : "");
  if (n < 0 || (size_t)n >= sizeof h->auth_header) {
    opl_http_free (h);
    opl_fail (err, errlen, OMNI_ERR_INVALID, "api_key is too long");
    return NULL;
  }
  h->curl = curl_easy_init ();
  if (h->curl == NULL)
    goto oom;
  return h;

oom:
  opl_http_free (h);
  opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
  return NULL;
}

void
opl_gate_init (opl_gate *g, unsigned cap)
{
  pthread_mutex_init (&g->mu, NULL);
  pthread_cond_init (&g->cv, NULL);
  g->cap = cap ? cap : 1;
  g->busy = 0;
}

void
opl_gate_destroy (opl_gate *g)
{
  pthread_cond_destroy (&g->cv);
  pthread_mutex_destroy (&g->mu);
}

/* Waiting here is bounded by one request of another handle, itself bounded
 * by the connect and low-speed timeouts. */
static void
gate_enter (opl_gate *g)
{
  if (g == NULL)
    return;
  pthread_mutex_lock (&g->mu);
  while (g->busy >= g->cap)
    pthread_cond_wait (&g->cv, &g->mu);
  g->busy++;
  pthread_mutex_unlock (&g->mu);
}

static void
gate_leave (opl_gate *g)
{
  if (g == NULL)
    return;
  pthread_mutex_lock (&g->mu);
  g->busy--;
  pthread_cond_signal (&g->cv);
  pthread_mutex_unlock (&g->mu);
}

void
opl_http_set_gate (opl_http *h, opl_gate *g)
{
  h->gate = g;
}

void
opl_http_free (opl_http *h)
{
  if (h == NULL)
    return;
  if (h->curl)
    curl_easy_cleanup (h->curl);
  opl_secure_zero (h->auth_header, sizeof h->auth_header);
  free (h);
}

uint64_t
opl_http_bytes (const opl_http *h)
{
  return h->bytes;
}

uint64_t
opl_http_requests (const opl_http *h)
{
  return h->requests;
}

static omni_status
setup (opl_http *h, const char *url, struct curl_slist *headers)
{
  CURL *c = h->curl;
  const opl_config *cfg = h->cfg;
  CURLcode rc = CURLE_OK;

  curl_easy_reset (c);
#define SET(opt, val)                                                          \
  do {                                                                         \
    if (rc == CURLE_OK)                                                        \
      rc = curl_easy_setopt (c, opt, val);                                     \
  } while (0)
  h->errbuf[0] = '\0';
  SET (CURLOPT_ERRORBUFFER, h->errbuf);
  SET (CURLOPT_URL, url);
  SET (CURLOPT_HTTPGET, 1L);
  SET (CURLOPT_HTTPHEADER, headers);
#if LIBCURL_VERSION_NUM >= 0x075500
  SET (CURLOPT_PROTOCOLS_STR, "http,https");
#else
  SET (CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  SET (CURLOPT_FOLLOWLOCATION, 0L);
  SET (CURLOPT_NOSIGNAL, 1L);
  SET (CURLOPT_ACCEPT_ENCODING, "");
  SET (CURLOPT_USERAGENT, "omni-paperless/" PACKAGE_VERSION);
  SET (CURLOPT_CONNECTTIMEOUT, (long)cfg->connect_timeout_s);
  SET (CURLOPT_LOW_SPEED_TIME, (long)cfg->low_speed_time_s);
  SET (CURLOPT_LOW_SPEED_LIMIT, (long)cfg->low_speed_limit);
  SET (CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cfg->max_response_bytes);
  SET (CURLOPT_WRITEFUNCTION, write_cb);
  SET (CURLOPT_WRITEDATA, h);
  SET (CURLOPT_HEADERFUNCTION, header_cb);
  SET (CURLOPT_HEADERDATA, h);
  SET (CURLOPT_XFERINFOFUNCTION, progress_cb);
  SET (CURLOPT_XFERINFODATA, h);
  SET (CURLOPT_NOPROGRESS, 0L);
  SET (CURLOPT_DEBUGFUNCTION, debug_cb);
  SET (CURLOPT_DEBUGDATA, h);
  /* Transfer details for troubleshooting, through the redacting callback. */
  if (getenv ("OMNI_PAPERLESS_CURL_DEBUG"))
    SET (CURLOPT_VERBOSE, 1L);
  SET (CURLOPT_SSL_VERIFYPEER, cfg->tls_insecure ? 0L : 1L);
  SET (CURLOPT_SSL_VERIFYHOST, cfg->tls_insecure ? 0L : 2L);
  if (cfg->ca_file)
    SET (CURLOPT_CAINFO, cfg->ca_file);
  if (cfg->client_cert) {
    SET (CURLOPT_SSLCERT, cfg->client_cert);
    SET (CURLOPT_SSLKEY, cfg->client_key);
  }
#undef SET
  return rc == CURLE_OK ? OMNI_OK : OMNI_ERR_INTERNAL;
}

omni_status
opl_http_get (opl_http *h, const char *url, int api_version, opl_response *r,
              char *err, size_t errlen)
{
  struct curl_slist *headers = NULL, *tmp;
  char accept[64];
  omni_status st;

  opl_response_free (r);
  h->resp = r;
  h->too_big = false;
  h->cancelled = false;

  if (api_version > 0)
    snprintf (accept, sizeof accept, "Accept: application/json; version=%d",
              api_version);
  else
    snprintf (accept, sizeof accept, "Accept: application/json");
  const char *lines[]
      = {h->auth_header, accept, "Accept-Language: en", "Expect:"};
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    tmp = curl_slist_append (headers, lines[i]);
    if (tmp == NULL) {
      st = opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
      goto cleanup;
    }
    headers = tmp;
  }
  if (setup (h, url, headers) != OMNI_OK) {
    st = opl_fail (err, errlen, OMNI_ERR_INTERNAL,
                   "libcurl refused an option (too old a libcurl?)");
    goto cleanup;
  }
  h->requests++;
  gate_enter (h->gate);
  CURLcode rc = curl_easy_perform (h->curl);
  gate_leave (h->gate);
  if (rc != CURLE_OK) {
    /* libcurl's own line names the cause (which certificate check, which
     * TLS alert); its generic text for the code is the fallback.  Neither
     * carries a header, so never the token. */
    const char *detail = h->errbuf[0] ? h->errbuf : curl_easy_strerror (rc);
    if (h->cancelled)
      st = opl_fail (err, errlen, OMNI_ERR_CANCELLED, "cancelled by the host");
    else if (h->too_big || rc == CURLE_FILESIZE_EXCEEDED)
      st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "response larger than max_response_bytes (%llu bytes)",
                     (unsigned long long)h->cfg->max_response_bytes);
    else if (r->body.oom || rc == CURLE_OUT_OF_MEMORY)
      st = opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
    else if (rc == CURLE_SSL_CACERT_BADFILE && h->cfg->ca_file)
      st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "cannot use tls_ca_file %s: %s (a readable PEM file of "
                     "CA certificates is needed)",
                     h->cfg->ca_file, detail);
    else if (rc == CURLE_PEER_FAILED_VERIFICATION
             || rc == CURLE_SSL_CACERT_BADFILE)
      st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "TLS certificate problem: %s (set tls_ca_file for a "
                     "private CA)",
                     detail);
    else if (rc == CURLE_SSL_CERTPROBLEM)
      st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "TLS certificate problem with the client certificate: %s "
                     "(check tls_client_cert and tls_client_key: PEM files "
                     "of one certificate and its key)",
                     detail);
    else if (strstr (detail, "alert certificate required") != NULL)
      st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "the server requires a client certificate (%s): set "
                     "tls_client_cert and tls_client_key",
                     detail);
    else if (strstr (detail, "alert unknown ca") != NULL
             || strstr (detail, "alert bad certificate") != NULL
             || strstr (detail, "alert certificate unknown") != NULL)
      st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "the server refused the client certificate (%s): use one "
                     "its CA signed (tls_client_cert, tls_client_key)",
                     detail);
    else if (rc == CURLE_OPERATION_TIMEDOUT)
      st = opl_fail (err, errlen, OMNI_ERR_TRANSIENT,
                     "timed out: no connection within connect_timeout (%u s) "
                     "or under low_speed_limit (%u bytes/s) for "
                     "low_speed_time (%u s)",
                     h->cfg->connect_timeout_s, h->cfg->low_speed_limit,
                     h->cfg->low_speed_time_s);
    else if (rc == CURLE_SSL_CONNECT_ERROR)
      /* Retried: a TLS-terminating proxy may be restarting.  The usual
       * cause, though, is https:// to a port that speaks plain http. */
      st = opl_fail (err, errlen, OMNI_ERR_TRANSIENT,
                     "TLS handshake failed (%s): does the server speak https "
                     "on this port?",
                     detail);
    else if (rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT)
      st = opl_fail (err, errlen, OMNI_ERR_INVALID, "bad URL: %s", detail);
    else
      st = opl_fail (err, errlen, OMNI_ERR_TRANSIENT, "%s", detail);
    goto cleanup;
  }
  curl_easy_getinfo (h->curl, CURLINFO_RESPONSE_CODE, &r->status);
  st = OMNI_OK;

cleanup:
  /* curl_slist_append copied the token: wipe the copies before free. */
  for (tmp = headers; tmp; tmp = tmp->next)
    opl_secure_zero (tmp->data, strlen (tmp->data));
  curl_slist_free_all (headers);
  h->resp = NULL;
  return st;
}
