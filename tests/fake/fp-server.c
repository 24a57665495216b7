/* fp-server.c: the HTTP side: the libmicrohttpd daemon (http or https,
 * with mutual TLS), the request log and fault hooks around each request,
 * compression (§1), and the server's lifecycle and switches.  fp-api.c
 * decides what a request means. */
#include <config.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <zlib.h>
#include <zstd.h>

#include "fp-server-int.h"

/* Per-request state, created by the URI logger before headers are read. */
typedef struct req {
  char *uri; /* raw request target: path?query */
  int started;
} req;

/* ---------------------------------------------------------- compression */

/* What django-compression-middleware 0.5 answers to an Accept-Encoding
 * list: zstd, else br, else gzip, among the codings listed without q=0
 * (other q-values are ignored; "*" means zstd).  This server has no
 * brotli, so br is never chosen: a client that lists only br gets
 * identity here where the real server would send br. */
typedef enum coding { CODING_IDENTITY, CODING_GZIP, CODING_ZSTD } coding;

static coding
choose_coding (const char *ae)
{
  coding best = CODING_IDENTITY;
  const char *p = ae;
  while (p && *p) {
    size_t n = strcspn (p, ",");
    char item[64];
    if (n < sizeof item) {
      memcpy (item, p, n);
      item[n] = '\0';
      char *semi = strchr (item, ';');
      int q0 = 0;
      if (semi) {
        *semi = '\0';
        char *q = strstr (semi + 1, "q=");
        q0 = q && strtod (q + 2, NULL) == 0.0;
      }
      char *t = item;
      while (isspace ((unsigned char)*t))
        t++;
      for (char *e = t + strlen (t); e > t && isspace ((unsigned char)e[-1]);)
        *--e = '\0';
      if (!q0 && (!strcasecmp (t, "zstd") || !strcmp (t, "*")))
        best = CODING_ZSTD;
      else if (!q0 && !strcasecmp (t, "gzip") && best == CODING_IDENTITY)
        best = CODING_GZIP;
    }
    p += n;
    if (*p)
      p++;
  }
  return best;
}

static char *
gzip_body (const char *in, size_t n, size_t *outlen)
{
  z_stream z;
  memset (&z, 0, sizeof z);
  if (deflateInit2 (&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return NULL;
  uLong bound = deflateBound (&z, (uLong)n);
  char *out = malloc (bound);
  if (!out) {
    deflateEnd (&z);
    return NULL;
  }
  z.next_in = (Bytef *)(uintptr_t)in;
  z.avail_in = (uInt)n;
  z.next_out = (Bytef *)out;
  z.avail_out = (uInt)bound;
  if (deflate (&z, Z_FINISH) != Z_STREAM_END) {
    deflateEnd (&z);
    free (out);
    return NULL;
  }
  *outlen = z.total_out;
  deflateEnd (&z);
  return out;
}

/* zstd at its default level, as the python-zstandard compressor the
 * middleware uses. */
static char *
zstd_body (const char *in, size_t n, size_t *outlen)
{
  size_t bound = ZSTD_compressBound (n);
  char *out = malloc (bound);
  if (!out)
    return NULL;
  size_t z = ZSTD_compress (out, bound, in, n, ZSTD_CLEVEL_DEFAULT);
  if (ZSTD_isError (z)) {
    free (out);
    return NULL;
  }
  *outlen = z;
  return out;
}

/* The body compressed as the client asked, or NULL (then identity). */
static char *
compress_body (coding c, const char *in, size_t n, size_t *outlen)
{
  switch (c) {
    case CODING_GZIP:
      return gzip_body (in, n, outlen);
    case CODING_ZSTD:
      return zstd_body (in, n, outlen);
    case CODING_IDENTITY:
      break;
  }
  return NULL;
}

/* ------------------------------------------------------------- response */

static void
add_headers (fp_server *s, struct MHD_Response *resp, const fp_http *h,
             int vary_ae)
{
  if (h->content_type)
    MHD_add_response_header (resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                             h->content_type);
  if (h->location)
    MHD_add_response_header (resp, MHD_HTTP_HEADER_LOCATION, h->location);
  if (h->www_auth)
    MHD_add_response_header (resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                             h->www_auth);
  if (h->allow)
    MHD_add_response_header (resp, MHD_HTTP_HEADER_ALLOW, h->allow);
  if (h->authed) {
    char v[16];
    snprintf (v, sizeof v, "%d", s->gen.max_version);
    MHD_add_response_header (resp, "X-Api-Version", v);
    MHD_add_response_header (resp, "X-Version", s->version);
  }
  int drf = h->content_type && !strcmp (h->content_type, CT_JSON);
  if (drf || vary_ae)
    MHD_add_response_header (resp, MHD_HTTP_HEADER_VARY,
                             drf && vary_ae ? "Accept, Accept-Encoding"
                             : drf          ? "Accept"
                                            : "Accept-Encoding");
  MHD_add_response_header (resp, "X-Frame-Options", "DENY");
  MHD_add_response_header (resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header (resp, "Referrer-Policy", "same-origin");
  MHD_add_response_header (resp, "Cross-Origin-Opener-Policy", "same-origin");
}

/* The header lines of the request, for the log. */
static enum MHD_Result
collect_header (void *cls, enum MHD_ValueKind kind, const char *key,
                const char *value)
{
  (void)kind;
  fp_buf *b = cls;
  fp_buf_printf (b, "%s: %s\n", key, value ? value : "");
  return MHD_YES;
}

void
fp_sleep_ms (fp_server *s, unsigned ms)
{
  while (ms > 0 && !s->stopping) {
    unsigned slice = ms < 20 ? ms : 20;
    struct timespec ts = {0, (long)slice * 1000000L};
    nanosleep (&ts, NULL);
    ms -= slice;
  }
}

/* Picks the fault rule that fires for this request (copied into *out). */
static int
pick_fault (fp_server *s, const char *rel, const char *query,
            fp_fault_rule *out)
{
  int found = 0;
  for (size_t i = 0; i < s->n_faults; i++) {
    fp_fault_rule *r = &s->faults[i];
    if (!fp_fault_matches (r, rel, query))
      continue;
    r->seen++;
    unsigned nth = r->f.nth ? r->f.nth : 1;
    if (!found && r->seen >= nth && (!r->f.times || r->fired < r->f.times)) {
      r->fired++;
      found = fp_fault_copy (out, &r->f) == 0;
    }
  }
  return found;
}

static enum MHD_Result
handle (fp_server *s, struct MHD_Connection *conn, const char *method,
        const char *url, req *rq)
{
  enum MHD_Result ret = MHD_YES;
  const char *qmark = strchr (rq->uri, '?');
  const char *query = qmark ? qmark + 1 : "";
  fp_http h = {0};
  fp_fault_rule fr = {0};
  struct MHD_Response *resp = NULL;
  fp_buf hdrs = {0};
  MHD_get_connection_values (conn, MHD_HEADER_KIND, collect_header, &hdrs);
  size_t pl = strlen (s->prefix);
  const char *rel = strncmp (url, s->prefix, pl) == 0 ? url + pl : url;

  pthread_mutex_lock (&s->lock);
  size_t idx = fp_log_append (s, method, url, query, hdrs.p ? hdrs.p : "");
  if (++s->active > s->max_active)
    s->max_active = s->active;
  int faulted = pick_fault (s, rel, query, &fr);
  unsigned delay = s->delay_ms;
  int gzip_on = s->gzip;
  pthread_mutex_unlock (&s->lock);

  fp_sleep_ms (s, delay);
  if (faulted)
    fp_sleep_ms (s, fr.f.delay_ms);
  int status = 0;
  if (faulted && fr.f.kind == FP_FAULT_DROP) {
    fp_hooks_after_request (s, rel);
    ret = MHD_NO; /* MHD closes the connection without a response */
    goto cleanup;
  }
  int canned = faulted
               && (fr.f.kind == FP_FAULT_STATUS || fr.f.kind == FP_FAULT_HTML
                   || fr.f.kind == FP_FAULT_EMPTY || fr.f.kind == FP_FAULT_BYTES
                   || fr.f.kind == FP_FAULT_HUGE);
  if (canned) {
    resp = fp_fault_response (s, &fr.f, NULL, 0, &status);
  } else {
    pthread_mutex_lock (&s->lock);
    fp_api_route (s, conn, method, url, query, &h);
    pthread_mutex_unlock (&s->lock);
    status = h.status;
    int modify = faulted && fr.f.kind != FP_FAULT_DELAY;
    if (modify) {
      int st2 = status;
      resp = fp_fault_response (s, &fr.f, h.body, h.len, &st2);
      if (resp)
        add_headers (s, resp, &h, 0);
    } else {
      const char *body = h.body ? h.body : "";
      size_t len = h.len;
      char *packed = NULL;
      size_t packed_len = 0;
      int vary = len >= 500 && gzip_on;
      coding cd = vary ? choose_coding (MHD_lookup_connection_value (
                      conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING))
                       : CODING_IDENTITY;
      if (cd != CODING_IDENTITY) {
        packed = compress_body (cd, body, len, &packed_len);
        if (packed && packed_len + 100 > len) { /* not worth it */
          free (packed);
          packed = NULL;
        }
      }
      if (packed)
        resp = MHD_create_response_from_buffer_with_free_callback (
            packed_len, packed, free);
      else {
        resp = MHD_create_response_from_buffer_with_free_callback (len, h.body,
                                                                   free);
        if (resp)
          h.body = NULL; /* the response owns it now */
      }
      if (resp) {
        add_headers (s, resp, &h, vary);
        if (packed)
          MHD_add_response_header (resp, MHD_HTTP_HEADER_CONTENT_ENCODING,
                                   cd == CODING_ZSTD ? "zstd" : "gzip");
        pthread_mutex_lock (&s->lock);
        s->bytes_sent += packed ? packed_len : len;
        pthread_mutex_unlock (&s->lock);
      } else
        free (packed);
    }
  }
  /* Hooks run before the response leaves, so the client's next request
   * sees the mutation. */
  fp_hooks_after_request (s, rel);
  if (!resp) {
    ret = MHD_NO;
    status = 0;
    goto cleanup;
  }
  ret = MHD_queue_response (conn, (unsigned)status, resp);
  MHD_destroy_response (resp);
cleanup:
  pthread_mutex_lock (&s->lock);
  fp_log_set_status (s, idx, ret == MHD_YES ? status : 0);
  s->active--;
  pthread_mutex_unlock (&s->lock);
  fp_buf_free (&hdrs);
  free (h.body);
  free (h.location);
  free (h.www_auth);
  free (h.allow);
  if (faulted)
    fp_fault_rule_clear (&fr);
  return ret;
}

/* ------------------------------------------------------------ mutual TLS */

/* libmicrohttpd, given a client CA (MHD_OPTION_HTTPS_MEM_TRUST), only asks
 * for a client certificate and never checks it.  A server that requires
 * one refuses the connection with a fatal alert when none came, or one it
 * cannot verify: returns that alert, or -1 when the certificate is good. */
static int
client_cert_alert (struct MHD_Connection *conn)
{
  const union MHD_ConnectionInfo *ci
      = MHD_get_connection_info (conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
  if (!ci || !ci->tls_session)
    return GNUTLS_A_INTERNAL_ERROR;
  gnutls_session_t ts = (gnutls_session_t)ci->tls_session;
  unsigned n_certs = 0;
  if (!gnutls_certificate_get_peers (ts, &n_certs) || n_certs == 0)
    return gnutls_protocol_get_version (ts) == GNUTLS_TLS1_3
               ? GNUTLS_A_CERTIFICATE_REQUIRED
               : GNUTLS_A_HANDSHAKE_FAILURE;
  /* Chain, validity dates and the clientAuth purpose. */
  static char purpose[] = GNUTLS_KP_TLS_WWW_CLIENT;
  gnutls_typed_vdata_st want
      = {.type = GNUTLS_DT_KEY_PURPOSE_OID, .data = (unsigned char *)purpose};
  unsigned status = 0;
  if (gnutls_certificate_verify_peers (ts, &want, 1, &status) < 0)
    return GNUTLS_A_BAD_CERTIFICATE;
  if (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
    return GNUTLS_A_UNKNOWN_CA;
  if (status & GNUTLS_CERT_EXPIRED)
    return GNUTLS_A_CERTIFICATE_EXPIRED;
  return status ? GNUTLS_A_BAD_CERTIFICATE : -1;
}

/* Refuses the connection, as a TLS stack that requires a client
 * certificate does: the fatal alert, then the connection closes.  The
 * request never reaches the API (or the log). */
static int
refuse_without_client_cert (fp_server *s, struct MHD_Connection *conn)
{
  int alert = client_cert_alert (conn);
  if (alert < 0)
    return 0;
  /* Counted first: once the alert is out, the client may already ask. */
  pthread_mutex_lock (&s->lock);
  s->tls_refused++;
  pthread_mutex_unlock (&s->lock);
  const union MHD_ConnectionInfo *ci
      = MHD_get_connection_info (conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
  if (ci && ci->tls_session)
    gnutls_alert_send ((gnutls_session_t)ci->tls_session, GNUTLS_AL_FATAL,
                       (gnutls_alert_description_t)alert);
  return 1;
}

size_t
fp_server_tls_refused_count (fp_server *s)
{
  pthread_mutex_lock (&s->lock);
  size_t n = s->tls_refused;
  pthread_mutex_unlock (&s->lock);
  return n;
}

/* ------------------------------------------------------------- requests */

static enum MHD_Result
on_request (void *cls, struct MHD_Connection *conn, const char *url,
            const char *method, const char *version, const char *upload_data,
            size_t *upload_data_size, void **con_cls)
{
  (void)version;
  (void)upload_data;
  fp_server *s = cls;
  req *rq = *con_cls;
  if (!rq)
    return MHD_NO;
  if (!rq->started) {
    if (s->tls_client_ca && refuse_without_client_cert (s, conn))
      return MHD_NO; /* MHD closes the connection */
    rq->started = 1;
    return MHD_YES;
  }
  if (*upload_data_size) { /* a request body: read and ignore it */
    *upload_data_size = 0;
    return MHD_YES;
  }
  return handle (s, conn, method, url, rq);
}

static void *
on_uri (void *cls, const char *uri, struct MHD_Connection *conn)
{
  (void)cls;
  (void)conn;
  req *rq = calloc (1, sizeof *rq);
  if (rq && !(rq->uri = strdup (uri))) {
    free (rq);
    rq = NULL;
  }
  return rq;
}

static void
on_completed (void *cls, struct MHD_Connection *conn, void **con_cls,
              enum MHD_RequestTerminationCode toe)
{
  (void)cls;
  (void)conn;
  (void)toe;
  req *rq = *con_cls;
  if (rq) {
    free (rq->uri);
    free (rq);
    *con_cls = NULL;
  }
}

/* ------------------------------------------------------------ lifecycle */

/* MHD's own messages ("application reported internal error") are expected
 * for injected faults; show them only when FP_DEBUG is set. */
static void mhd_log (void *cls, const char *fmt, va_list ap)
    __attribute__ ((format (printf, 2, 0)));

static void
mhd_log (void *cls, const char *fmt, va_list ap)
{
  (void)cls;
  if (getenv ("FP_DEBUG"))
    vfprintf (stderr, fmt, ap);
}

static void
free_server (fp_server *s)
{
  fp_corpus_free (s->c);
  free (s->version);
  free (s->prefix);
  for (size_t i = 0; i < s->n_tokens; i++)
    free (s->tokens[i].token);
  free (s->tokens);
  for (size_t i = 0; i < s->n_forbidden; i++)
    free (s->forbidden[i]);
  free (s->forbidden);
  free (s->link_origin);
  for (size_t i = 0; i < s->n_log; i++)
    fp_log_rec_clear (&s->log[i]);
  free (s->log);
  for (size_t i = 0; i < s->n_faults; i++)
    fp_fault_rule_clear (&s->faults[i]);
  free (s->faults);
  for (size_t i = 0; i < s->n_hooks; i++) {
    free (s->hooks[i].path_prefix);
    free (s->hooks[i].command);
  }
  free (s->hooks);
  free (s->tls_cert);
  free (s->tls_key);
  free (s->tls_client_ca);
  pthread_mutex_destroy (&s->lock);
  free (s);
}

static int64_t
default_user (const fp_corpus *c)
{
  for (size_t i = 0; i < c->n_lk[FP_USERS]; i++)
    if (fp_lk_bool (&c->lk[FP_USERS][i], "is_superuser", 0))
      return c->lk[FP_USERS][i].id;
  return c->n_lk[FP_USERS] ? c->lk[FP_USERS][0].id : 1;
}

/* A PEM option: the text itself, or the contents of the file it names.
 * NULL with a message in err on failure. */
static char *
load_pem (const char *what, const char *v, char *err, size_t errlen)
{
  char *pem = NULL;
  if (strncmp (v, "-----BEGIN", 10) == 0) {
    pem = strdup (v);
    if (!pem)
      snprintf (err, errlen, "out of memory");
    return pem;
  }
  FILE *f = fopen (v, "rb");
  if (!f) {
    snprintf (err, errlen, "%s: cannot read %s: %s", what, v, strerror (errno));
    return NULL;
  }
  fp_buf b = {0};
  char chunk[4096];
  size_t n;
  while ((n = fread (chunk, 1, sizeof chunk, f)) > 0)
    fp_buf_add (&b, chunk, n);
  int failed = ferror (f);
  fclose (f);
  pem = failed ? NULL : fp_buf_take (&b);
  fp_buf_free (&b);
  if (!pem)
    snprintf (err, errlen, "%s: cannot read %s", what, v);
  else if (!strstr (pem, "-----BEGIN")) {
    snprintf (err, errlen, "%s: %s is not PEM", what, v);
    free (pem);
    pem = NULL;
  }
  return pem;
}

/* Fills the https fields from the options; 0, or -1 with err. */
static int
setup_tls (fp_server *s, const fp_options *o, char *err, size_t errlen)
{
  if (!o->tls_cert && !o->tls_key && !o->tls_client_ca)
    return 0;
  if (!o->tls_cert || !o->tls_key) {
    snprintf (err, errlen, "https needs both tls_cert and tls_key");
    return -1;
  }
  if (MHD_is_feature_supported (MHD_FEATURE_TLS) != MHD_YES) {
    snprintf (err, errlen, "this libmicrohttpd was built without TLS");
    return -1;
  }
  if (!(s->tls_cert = load_pem ("tls_cert", o->tls_cert, err, errlen))
      || !(s->tls_key = load_pem ("tls_key", o->tls_key, err, errlen)))
    return -1;
  if (o->tls_client_ca
      && !(s->tls_client_ca
           = load_pem ("tls_client_ca", o->tls_client_ca, err, errlen)))
    return -1;
  return 0;
}

fp_server *
fp_server_start (const fp_options *o, char *err, size_t errlen)
{
  fp_options zero = {0};
  if (!o)
    o = &zero;
  fp_server *s = calloc (1, sizeof *s);
  fp_corpus *c = o->corpus;
  if (!s) {
    fp_corpus_free (c);
    snprintf (err, errlen, "out of memory");
    return NULL;
  }
  pthread_mutex_init (&s->lock, NULL);
  if (!c && o->corpus_path)
    c = fp_corpus_load (o->corpus_path, err, errlen);
  else if (!c)
    c = fp_corpus_parse ("{}", 2, err, errlen);
  s->c = c;
  if (!c)
    goto fail;
  const char *version = o->server_version ? o->server_version
                        : c->version      ? c->version
                                          : "3.0.5";
  s->version = strdup (version);
  fp_gen_init (&s->gen, version);
  const char *tz = o->time_zone ? o->time_zone : c->time_zone;
  if (fp_parse_tz (tz, &s->tz) < 0) {
    snprintf (err, errlen, "bad time zone \"%s\" (want +hh:mm or UTC)", tz);
    goto fail;
  }
  const char *prefix = o->prefix ? o->prefix : "";
  size_t plen = strlen (prefix);
  while (plen > 0 && prefix[plen - 1] == '/')
    plen--;
  if (plen && prefix[0] != '/') {
    snprintf (err, errlen, "prefix must start with '/'");
    goto fail;
  }
  s->prefix = strndup (prefix, plen);
  s->user_id = o->user_id ? o->user_id : default_user (c);
  s->tokens = calloc (1, sizeof *s->tokens);
  if (!s->tokens || !s->prefix || !s->version)
    goto oom;
  s->tokens[0].token = strdup (o->token   ? o->token
                               : c->token ? c->token
                                          : FP_DEFAULT_TOKEN);
  if (!s->tokens[0].token)
    goto oom;
  s->n_tokens = 1;
  s->gzip = !o->no_gzip;
  s->delay_ms = o->delay_ms;
  s->trash_delay = o->trash_delay ? o->trash_delay : 30;
  s->real_clock = o->real_clock;
  s->clock_us = o->clock_start_us ? o->clock_start_us : FP_CLOCK_START_US;
  s->clock_step_us = o->clock_step_us ? o->clock_step_us : FP_CLOCK_STEP_US;
  s->next_rule_id = 1;
  if (o->forbidden) {
    char *copy = strdup (o->forbidden);
    for (char *save = NULL, *t = copy ? strtok_r (copy, ", ", &save) : NULL; t;
         t = strtok_r (NULL, ", ", &save))
      fp_server_set_forbidden (s, t, 1);
    free (copy);
  }

  struct sockaddr_in sa;
  memset (&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons ((uint16_t)o->port);
  const char *addr = o->listen_addr ? o->listen_addr : "127.0.0.1";
  if (inet_pton (AF_INET, addr, &sa.sin_addr) != 1) {
    snprintf (err, errlen, "bad listen address \"%s\" (IPv4 only)", addr);
    goto fail;
  }
  if (setup_tls (s, o, err, errlen) < 0)
    goto fail;
  /* https: the certificate, its key and, for mutual TLS, the client CA. */
  struct MHD_OptionItem tls_opts[4];
  size_t n_tls = 0;
  if (s->tls_cert) {
    tls_opts[n_tls++]
        = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert};
    tls_opts[n_tls++]
        = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key};
  }
  if (s->tls_client_ca)
    tls_opts[n_tls++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
                                                s->tls_client_ca};
  tls_opts[n_tls] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
  s->daemon = MHD_start_daemon (
      MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD
          | MHD_USE_ERROR_LOG | (s->tls_cert ? MHD_USE_TLS : 0),
      0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &sa,
      MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_COMPLETED,
      on_completed, s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
      MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_ARRAY, tls_opts,
      MHD_OPTION_END);
  if (!s->daemon) {
    if (s->tls_cert)
      snprintf (err, errlen,
                "cannot listen on %s:%u with https (a bad certificate or key?"
                " FP_DEBUG=1 shows why)",
                addr, o->port);
    else
      snprintf (err, errlen, "cannot listen on %s:%u", addr, o->port);
    goto fail;
  }
  const union MHD_DaemonInfo *di
      = MHD_get_daemon_info (s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  s->port = di ? di->port : o->port;
  snprintf (s->url, sizeof s->url, "%s://%s:%u%s",
            s->tls_cert ? "https" : "http", addr, s->port, s->prefix);
  return s;
oom:
  snprintf (err, errlen, "out of memory");
fail:
  free_server (s);
  return NULL;
}

void
fp_server_stop (fp_server *s)
{
  if (!s)
    return;
  s->stopping = 1; /* stalled bodies and delays give up */
  fp_control_stop (s);
  if (s->daemon)
    MHD_stop_daemon (s->daemon);
  free_server (s);
}

const char *
fp_server_url (const fp_server *s)
{
  return s->url;
}

unsigned
fp_server_port (const fp_server *s)
{
  return s->port;
}

const char *
fp_server_token (const fp_server *s)
{
  return s->tokens[0].token;
}

void
fp_server_set_delay_ms (fp_server *s, unsigned ms)
{
  pthread_mutex_lock (&s->lock);
  s->delay_ms = ms;
  pthread_mutex_unlock (&s->lock);
}

void
fp_server_set_gzip (fp_server *s, int on)
{
  pthread_mutex_lock (&s->lock);
  s->gzip = on;
  pthread_mutex_unlock (&s->lock);
}

int
fp_forbidden_locked (const fp_server *s, const char *endpoint)
{
  for (size_t i = 0; i < s->n_forbidden; i++)
    if (strcmp (s->forbidden[i], endpoint) == 0)
      return 1;
  return 0;
}

void
fp_server_set_forbidden (fp_server *s, const char *endpoint, int forbidden)
{
  pthread_mutex_lock (&s->lock);
  for (size_t i = 0; i < s->n_forbidden; i++) {
    if (strcmp (s->forbidden[i], endpoint) == 0) {
      free (s->forbidden[i]);
      s->forbidden[i] = s->forbidden[--s->n_forbidden];
      break;
    }
  }
  if (forbidden) {
    char **p = realloc (s->forbidden, (s->n_forbidden + 1) * sizeof *p);
    if (p) {
      s->forbidden = p;
      if ((p[s->n_forbidden] = strdup (endpoint)))
        s->n_forbidden++;
    }
  }
  pthread_mutex_unlock (&s->lock);
}

void
fp_server_set_link_origin (fp_server *s, const char *origin)
{
  pthread_mutex_lock (&s->lock);
  free (s->link_origin);
  s->link_origin = fp_strdup0 (origin);
  pthread_mutex_unlock (&s->lock);
}

void
fp_server_add_token (fp_server *s, const char *token, int64_t user_id)
{
  pthread_mutex_lock (&s->lock);
  fp_token *t = realloc (s->tokens, (s->n_tokens + 1) * sizeof *t);
  if (t) {
    s->tokens = t;
    t[s->n_tokens].token = strdup (token);
    t[s->n_tokens].user_id = user_id;
    if (t[s->n_tokens].token)
      s->n_tokens++;
  }
  pthread_mutex_unlock (&s->lock);
}

void
fp_server_set_user (fp_server *s, int64_t user_id)
{
  pthread_mutex_lock (&s->lock);
  s->user_id = user_id;
  pthread_mutex_unlock (&s->lock);
}
