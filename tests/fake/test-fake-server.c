/* test-fake-server.c: the fake Paperless-ngx server, exercised over HTTP with
 * libcurl, against tests/fake/test-corpus.json (see that file for who may
 * see what: admin sees 1,2,3,5,7,9; alice 1,2,5,7; bob 1,3; 8 is trashed). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "fake-paperless.h"

#define TOKEN "feedfacefeedfacefeedfacefeedfacefeedface"
#define AUTH "Authorization: Token " TOKEN
#define V9 "Accept: application/json; version=9"

static fp_server *srv;

/* ---------------------------------------------------------------- client */

typedef struct resp {
  long status;
  CURLcode rc;
  char *body;
  size_t len;
  char *headers;
  size_t hlen;
  json_object *json; /* parsed body, or NULL */
} resp;

static size_t
on_body (char *p, size_t sz, size_t n, void *ud)
{
  resp *r = ud;
  size_t add = sz * n;
  char *nb = realloc (r->body, r->len + add + 1);
  ck_assert_ptr_nonnull (nb);
  memcpy (nb + r->len, p, add);
  r->len += add;
  nb[r->len] = '\0';
  r->body = nb;
  return add;
}

static size_t
on_header (char *p, size_t sz, size_t n, void *ud)
{
  resp *r = ud;
  size_t add = sz * n;
  char *nb = realloc (r->headers, r->hlen + add + 1);
  ck_assert_ptr_nonnull (nb);
  memcpy (nb + r->hlen, p, add);
  r->hlen += add;
  nb[r->hlen] = '\0';
  r->headers = nb;
  return add;
}

typedef struct reqopts {
  const char *method;  /* NULL: GET */
  const char *hdrs[6]; /* extra request headers */
  int no_auth;         /* do not send the default Authorization */
  int gzip;            /* offer gzip and decode */
  int raw_gzip;        /* offer gzip but do not decode */
  const char *decode;  /* CURLOPT_ACCEPT_ENCODING: offer these and decode */
  long timeout_ms;
  const char *base; /* NULL: fp_server_url(srv) */
} reqopts;

static resp
req (const char *path, const reqopts *o)
{
  static const reqopts none = {0};
  resp r = {0};
  if (!o)
    o = &none;
  char url[2048];
  snprintf (url, sizeof url, "%s%s", o->base ? o->base : fp_server_url (srv),
            path);
  CURL *c = curl_easy_init ();
  struct curl_slist *h = NULL;
  if (!o->no_auth)
    h = curl_slist_append (h, AUTH);
  for (size_t i = 0; i < 6 && o->hdrs[i]; i++)
    h = curl_slist_append (h, o->hdrs[i]);
  curl_easy_setopt (c, CURLOPT_URL, url);
  curl_easy_setopt (c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt (c, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt (c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (c, CURLOPT_HEADERDATA, &r);
  curl_easy_setopt (c, CURLOPT_TIMEOUT_MS,
                    o->timeout_ms ? o->timeout_ms : 20000L);
  curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
  if (o->gzip)
    curl_easy_setopt (c, CURLOPT_ACCEPT_ENCODING, "gzip");
  if (o->decode)
    curl_easy_setopt (c, CURLOPT_ACCEPT_ENCODING, o->decode);
  if (o->raw_gzip) {
    h = curl_slist_append (h, "Accept-Encoding: gzip");
    curl_easy_setopt (c, CURLOPT_HTTPHEADER, h);
  }
  if (o->method && !strcmp (o->method, "HEAD")) {
    curl_easy_setopt (c, CURLOPT_NOBODY, 1L);
  } else if (o->method && !strcmp (o->method, "POST")) {
    curl_easy_setopt (c, CURLOPT_POSTFIELDS, "{\"title\":\"x\"}");
  } else if (o->method)
    curl_easy_setopt (c, CURLOPT_CUSTOMREQUEST, o->method);
  r.rc = curl_easy_perform (c);
  curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_cleanup (c);
  curl_slist_free_all (h);
  if (r.body)
    r.json = json_tokener_parse (r.body);
  return r;
}

static resp
get (const char *path)
{
  return req (path, NULL);
}

static resp
get_h (const char *path, const char *hdr)
{
  reqopts o = {.hdrs = {hdr}};
  return req (path, &o);
}

static void
resp_free (resp *r)
{
  free (r->body);
  free (r->headers);
  json_object_put (r->json);
  memset (r, 0, sizeof *r);
}

/* Value of a response header (first match, case-insensitive), static. */
static const char *
hdr (const resp *r, const char *name)
{
  static char val[512];
  size_t nl = strlen (name);
  if (r->headers == NULL)
    return NULL;
  for (const char *p = r->headers; *p;) {
    size_t n = strcspn (p, "\r\n");
    if (n > nl && strncasecmp (p, name, nl) == 0 && p[nl] == ':') {
      const char *v = p + nl + 1;
      while (*v == ' ')
        v++;
      snprintf (val, sizeof val, "%.*s", (int)(p + n - v), v);
      return val;
    }
    p += n;
    while (*p == '\r' || *p == '\n')
      p++;
  }
  return NULL;
}

static json_object *
jget (json_object *o, const char *key)
{
  json_object *v = NULL;
  if (!o || !json_object_object_get_ex (o, key, &v))
    return NULL;
  return v;
}

static int64_t
jint (json_object *o, const char *key)
{
  json_object *v = jget (o, key);
  ck_assert_msg (v && json_object_is_type (v, json_type_int), "no int %s", key);
  return json_object_get_int64 (v);
}

static const char *
jstr (json_object *o, const char *key)
{
  json_object *v = jget (o, key);
  ck_assert_msg (v && json_object_is_type (v, json_type_string), "no string %s",
                 key);
  return json_object_get_string (v);
}

static json_object *
result (const resp *r, size_t i)
{
  json_object *a = jget (r->json, "results");
  ck_assert_ptr_nonnull (a);
  ck_assert_uint_gt (json_object_array_length (a), i);
  return json_object_array_get_idx (a, i);
}

/* "1,2,3": the ids of the results, in order. */
static const char *
result_ids (const resp *r)
{
  static char buf[512];
  json_object *a = jget (r->json, "results");
  buf[0] = '\0';
  for (size_t i = 0; a && i < json_object_array_length (a); i++) {
    size_t l = strlen (buf);
    snprintf (buf + l, sizeof buf - l, "%s%lld", i ? "," : "",
              (long long)jint (json_object_array_get_idx (a, i), "id"));
  }
  return buf;
}

/* ----------------------------------------------------------------- setup */

static fp_server *
start_with (const char *version, const char *prefix)
{
  char err[256];
  fp_options o = {.corpus_path = FP_TEST_CORPUS,
                  .server_version = version,
                  .prefix = prefix};
  fp_server *s = fp_server_start (&o, err, sizeof err);
  ck_assert_msg (s != NULL, "start: %s", err);
  return s;
}

static void
setup (void)
{
  srv = start_with (NULL, NULL);
}

static void
teardown (void)
{
  fp_server_stop (srv);
  srv = NULL;
}

/* ------------------------------------------------------------------ auth */

START_TEST (auth_bodies)
{
  static const struct {
    const char *header;
    const char *detail;
  } cases[] = {
      {NULL, "Authentication credentials were not provided."},
      {"Authorization: Bearer " TOKEN,
       "Authentication credentials were not provided."},
      {"Authorization: Token",
       "Invalid token header. No credentials provided."},
      {"Authorization: Token a b",
       "Invalid token header. Token string should not contain spaces."},
      {"Authorization: Token nope", "Invalid token."},
      {"Authorization: Basic YWxpY2U6d3Jvbmc=", "Invalid username/password."},
      {"Authorization: Basic !!!",
       "Invalid basic header. Credentials not correctly base64 encoded."},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    reqopts o = {.no_auth = 1, .hdrs = {cases[i].header}};
    resp r = req ("/api/documents/", &o);
    ck_assert_int_eq (r.status, 401);
    ck_assert_str_eq (jstr (r.json, "detail"), cases[i].detail);
    ck_assert_ptr_null (hdr (&r, "X-Api-Version")); /* never on 401 */
    ck_assert_ptr_null (hdr (&r, "X-Version"));
    const char *www = hdr (&r, "WWW-Authenticate");
    ck_assert_ptr_nonnull (www);
    ck_assert_str_eq (www,
                      strstr (cases[i].header ? cases[i].header : "", "Basic")
                          ? "Basic realm=\"api\""
                          : "Token");
    resp_free (&r);
  }
  /* The keyword is case-insensitive; Basic works for a user with a
   * password (alice:wonderland). */
  reqopts lower = {.no_auth = 1, .hdrs = {"Authorization: token " TOKEN}};
  resp r = req ("/api/documents/", &lower);
  ck_assert_int_eq (r.status, 200);
  ck_assert_int_eq (jint (r.json, "count"), 6);
  resp_free (&r);
  reqopts basic = {.no_auth = 1,
                   .hdrs = {"Authorization: Basic YWxpY2U6d29uZGVybGFuZA=="}};
  r = req ("/api/documents/", &basic);
  ck_assert_int_eq (r.status, 200);
  ck_assert_int_eq (jint (r.json, "count"), 4); /* alice's view */
  resp_free (&r);
  /* A token of an inactive user. */
  fp_server_add_token (srv, "carolcarolcarol", 4);
  reqopts carol
      = {.no_auth = 1, .hdrs = {"Authorization: Token carolcarolcarol"}};
  r = req ("/api/documents/", &carol);
  ck_assert_int_eq (r.status, 401);
  ck_assert_str_eq (jstr (r.json, "detail"), "User inactive or deleted.");
  resp_free (&r);
}
END_TEST

START_TEST (forbidden_endpoints)
{
  resp r = get ("/api/custom_fields/");
  ck_assert_int_eq (r.status, 200);
  resp_free (&r);
  fp_server_set_forbidden (srv, "custom_fields", 1);
  r = get ("/api/custom_fields/");
  ck_assert_int_eq (r.status, 403);
  ck_assert_str_eq (jstr (r.json, "detail"),
                    "You do not have permission to perform this action.");
  ck_assert_str_eq (hdr (&r, "X-Api-Version"), "10"); /* authenticated */
  resp_free (&r);
  /* An ordinary user may not list users. */
  fp_server_set_user (srv, 2);
  r = get ("/api/users/");
  ck_assert_int_eq (r.status, 403);
  resp_free (&r);
  r = get ("/api/ui_settings/");
  ck_assert_int_eq (r.status, 200);
  ck_assert_int_eq (jint (jget (r.json, "user"), "id"), 2);
  ck_assert_str_eq (jstr (jget (r.json, "settings"), "version"), "3.0.5");
  ck_assert_int_eq (jint (jget (r.json, "settings"), "trash_delay"), 30);
  ck_assert (strstr (r.body, "\"view_document\""));
  ck_assert (!strstr (r.body, "\"view_customfield\""));
  ck_assert (!strstr (r.body, "\"view_user\""));
  resp_free (&r);
}
END_TEST

/* ------------------------------------------------------------ versioning */

START_TEST (versioning_3x)
{
  resp r = get ("/api/documents/?page_size=1");
  ck_assert_int_eq (r.status, 200);
  ck_assert_str_eq (hdr (&r, "X-Api-Version"), "10");
  ck_assert_str_eq (hdr (&r, "X-Version"), "3.0.5");
  ck_assert_ptr_null (jget (r.json, "all")); /* default 10: no "all" */
  ck_assert_str_eq (hdr (&r, "Content-Type"), "application/json");
  resp_free (&r);
  r = get_h ("/api/documents/?page_size=1", V9);
  ck_assert_int_eq (r.status, 200);
  ck_assert_int_eq (json_object_array_length (jget (r.json, "all")), 6);
  resp_free (&r);
  static const char *const bad[]
      = {"Accept: application/json; version=8",
         "Accept: application/json; version=10.0",
         "Accept: application/json; version=010",
         "Accept: application/json; version=", "Accept: */*; version=11"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    /* 406 comes before authentication. */
    reqopts o = {.no_auth = 1, .hdrs = {bad[i]}};
    r = req ("/api/documents/", &o);
    ck_assert_int_eq (r.status, 406);
    ck_assert_str_eq (
        r.body, "{\"detail\":\"Invalid version in \\\"Accept\\\" header.\"}");
    ck_assert_ptr_null (hdr (&r, "X-Api-Version"));
    resp_free (&r);
  }
  r = get_h ("/api/documents/", "Accept: application/xml");
  ck_assert_int_eq (r.status, 406);
  ck_assert_str_eq (jstr (r.json, "detail"),
                    "Could not satisfy the request Accept header.");
  resp_free (&r);
  /* The version rides along on a wildcard too. */
  r = get_h ("/api/documents/?page_size=1", "Accept: */*; version=9");
  ck_assert_int_eq (r.status, 200);
  ck_assert_ptr_nonnull (jget (r.json, "all"));
  resp_free (&r);
}
END_TEST

START_TEST (versioning_2x)
{
  static const struct {
    const char *release;
    const char *max;
    int def_has_all;
    const char *ok, *rejected;
  } gens[] = {
      {"2.20.15", "9", 1, "1", "10"}, {"2.15.3", "8", 1, "8", "9"},
      {"2.15.2", "7", 1, "7", "8"},   {"2.14.5", "6", 1, "6", "7"},
      {"2.13.0", "5", 1, "2", "6"},
  };
  for (size_t i = 0; i < sizeof gens / sizeof *gens; i++) {
    fp_server *s = start_with (gens[i].release, NULL);
    char h[64];
    reqopts o = {.base = fp_server_url (s)};
    resp r = req ("/api/documents/?page_size=1", &o);
    ck_assert_int_eq (r.status, 200);
    ck_assert_str_eq (hdr (&r, "X-Api-Version"), gens[i].max);
    ck_assert_str_eq (hdr (&r, "X-Version"), gens[i].release);
    ck_assert_ptr_nonnull (jget (r.json, "all"));
    resp_free (&r);
    snprintf (h, sizeof h, "Accept: application/json; version=%s", gens[i].ok);
    o.hdrs[0] = h;
    r = req ("/api/documents/?page_size=1", &o);
    ck_assert_int_eq (r.status, 200);
    resp_free (&r);
    snprintf (h, sizeof h, "Accept: application/json; version=%s",
              gens[i].rejected);
    r = req ("/api/documents/?page_size=1", &o);
    ck_assert_int_eq (r.status, 406);
    resp_free (&r);
    fp_server_stop (s);
  }
}
END_TEST

/* ------------------------------------------------------------ pagination */

START_TEST (pagination)
{
  char url[256];
  unsigned port = fp_server_port (srv);
  resp r = get ("/api/documents/?page_size=2&ordering=id&fields=id");
  ck_assert_int_eq (r.status, 200);
  ck_assert_str_eq (result_ids (&r), "1,2");
  ck_assert_int_eq (jint (r.json, "count"), 6);
  snprintf (url, sizeof url,
            "http://127.0.0.1:%u/api/documents/?fields=id&ordering=id&page=2"
            "&page_size=2",
            port);
  ck_assert_str_eq (jstr (r.json, "next"), url);
  ck_assert (json_object_is_type (jget (r.json, "previous"), json_type_null));
  /* Key order: count, next, previous, results. */
  ck_assert (strncmp (r.body, "{\"count\":6,\"next\":", 18) == 0);
  resp_free (&r);

  r = get ("/api/documents/?ordering=id&page=2&page_size=2&fields=id");
  ck_assert_str_eq (result_ids (&r), "3,5");
  snprintf (url, sizeof url,
            "http://127.0.0.1:%u/api/documents/?fields=id&ordering=id"
            "&page_size=2",
            port);
  ck_assert_str_eq (jstr (r.json, "previous"), url); /* page 2: no page= */
  resp_free (&r);

  r = get ("/api/documents/?ordering=id&page=last&page_size=2&fields=id");
  ck_assert_str_eq (result_ids (&r), "7,9");
  ck_assert (json_object_is_type (jget (r.json, "next"), json_type_null));
  snprintf (url, sizeof url,
            "http://127.0.0.1:%u/api/documents/?fields=id&ordering=id&page=2"
            "&page_size=2",
            port);
  ck_assert_str_eq (jstr (r.json, "previous"), url);
  resp_free (&r);

  static const char *const invalid[]
      = {"page=4&page_size=2", "page=0", "page=abc", "page=", "page=2"};
  for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++) {
    char p[128];
    snprintf (p, sizeof p, "/api/documents/?%s", invalid[i]);
    r = get (p);
    ck_assert_int_eq (r.status, 404);
    ck_assert_str_eq (r.body, "{\"detail\":\"Invalid page.\"}");
    resp_free (&r);
  }
  /* page_size: 0, negative, junk → 25; big values are capped. */
  r = get ("/api/documents/?page_size=0&fields=id");
  ck_assert_int_eq (json_object_array_length (jget (r.json, "results")), 6);
  resp_free (&r);
  r = get ("/api/documents/?page_size=-3&fields=id");
  ck_assert_int_eq (r.status, 200);
  resp_free (&r);
  r = get ("/api/documents/?page_size=999999999&fields=id");
  ck_assert_int_eq (r.status, 200);
  resp_free (&r);
  /* An empty result still has page 1. */
  r = get ("/api/documents/?id=4");
  ck_assert_int_eq (r.status, 200);
  ck_assert_str_eq (
      r.body, "{\"count\":0,\"next\":null,\"previous\":null,\"results\":[]}");
  resp_free (&r);
  /* v9: "all" has every id of the filtered set, on every page, in order. */
  r = get_h ("/api/documents/?ordering=-id&page_size=2&page=2&fields=id", V9);
  ck_assert_str_eq (json_object_to_json_string_ext (jget (r.json, "all"),
                                                    JSON_C_TO_STRING_PLAIN),
                    "[9,7,5,3,2,1]");
  ck_assert (strstr (r.body, "\"previous\":\"") < strstr (r.body, "\"all\":"));
  ck_assert (strstr (r.body, "\"all\":") < strstr (r.body, "\"results\":"));
  resp_free (&r);
  /* The Host header decides the links; a proxy may get them wrong. */
  r = get_h ("/api/documents/?page_size=1&fields=id",
             "Host: paperless.example:8000");
  ck_assert_str_eq (jstr (r.json, "next"),
                    "http://paperless.example:8000/api/documents/?fields=id"
                    "&page=2&page_size=1");
  resp_free (&r);
  fp_server_set_link_origin (srv, "http://evil.example:8080");
  r = get ("/api/documents/"
           "?page_size=1&fields=id&modified__gt=2020-01-01T00:00:00%2B01:00");
  ck_assert_str_eq (jstr (r.json, "next"),
                    "http://evil.example:8080/api/documents/?fields=id"
                    "&modified__gt=2020-01-01T00%3A00%3A00%2B01%3A00&page=2"
                    "&page_size=1");
  resp_free (&r);
}
END_TEST

START_TEST (prefix)
{
  fp_server *s = start_with (NULL, "/paperless/");
  const char *url = fp_server_url (s);
  ck_assert (strstr (url, ":")
             && !strcmp (url + strlen (url) - 10, "/paperless"));
  reqopts o = {.base = url};
  resp r = req ("/api/documents/?page_size=1&fields=id", &o);
  ck_assert_int_eq (r.status, 200);
  ck_assert (strstr (jstr (r.json, "next"), "/paperless/api/documents/?"));
  resp_free (&r);
  r = req ("/api/", &o);
  ck_assert_int_eq (r.status, 302);
  ck_assert_str_eq (hdr (&r, "Location"), "/paperless/api/schema/view/");
  resp_free (&r);
  r = req ("/api/nothing/", &o);
  ck_assert_int_eq (r.status, 302);
  ck_assert_str_eq (hdr (&r, "Location"),
                    "/paperless/accounts/login/?next=/paperless/api/nothing/");
  resp_free (&r);
  fp_server_stop (s);
}
END_TEST

/* --------------------------------------------------------------- routing */

START_TEST (routing_and_methods)
{
  resp r = get ("/api/");
  ck_assert_int_eq (r.status, 302);
  ck_assert_str_eq (hdr (&r, "Location"), "/api/schema/view/");
  resp_free (&r);
  r = get ("/api/documents?page=2");
  ck_assert_int_eq (r.status, 302);
  ck_assert_str_eq (hdr (&r, "Location"),
                    "/accounts/login/?next=/api/documents%3Fpage%3D2");
  ck_assert_ptr_null (hdr (&r, "X-Api-Version"));
  resp_free (&r);
  r = get ("/api/trash");
  ck_assert_int_eq (r.status, 302);
  resp_free (&r);
  /* A 2.9 server has no trash. */
  fp_server *old = start_with ("2.9.0", NULL);
  reqopts o = {.base = fp_server_url (old)};
  r = req ("/api/trash/", &o);
  ck_assert_int_eq (r.status, 302);
  resp_free (&r);
  fp_server_stop (old);

  ck_assert_uint_eq (fp_server_non_get_count (srv), 0);
  reqopts post = {.method = "POST"};
  r = req ("/api/documents/", &post);
  ck_assert_int_eq (r.status, 405);
  ck_assert_str_eq (jstr (r.json, "detail"), "Method \"POST\" not allowed.");
  resp_free (&r);
  reqopts del = {.method = "DELETE"};
  r = req ("/api/documents/1/", &del);
  ck_assert_int_eq (r.status, 405);
  resp_free (&r);
  ck_assert_uint_eq (fp_server_non_get_count (srv), 2);
  /* HEAD: the GET headers without a body; OPTIONS: DRF's metadata. */
  reqopts head = {.method = "HEAD"};
  r = req ("/api/documents/?page_size=1", &head);
  ck_assert_int_eq (r.status, 200);
  ck_assert_uint_eq (r.len, 0);
  ck_assert_str_eq (hdr (&r, "X-Api-Version"), "10");
  ck_assert_ptr_nonnull (hdr (&r, "Content-Length"));
  resp_free (&r);
  reqopts opt = {.method = "OPTIONS"};
  r = req ("/api/documents/", &opt);
  ck_assert_int_eq (r.status, 200);
  ck_assert_ptr_nonnull (jget (r.json, "renders"));
  resp_free (&r);
  ck_assert_uint_eq (fp_server_non_get_count (srv), 4);
  /* Parameters split on '&' only (Python >= 3.9.2). */
  r = get ("/api/documents/?fields=id;title&id=1");
  ck_assert_str_eq (r.body, "{\"count\":1,\"next\":null,\"previous\":null,"
                            "\"results\":[{}]}");
  resp_free (&r);
  fp_log_entry e;
  ck_assert_int_eq (fp_server_log_get (srv, 4, &e), 0); /* the DELETE */
  ck_assert_str_eq (e.method, "DELETE");
  ck_assert_str_eq (e.path, "/api/documents/1/");
  ck_assert_int_eq (e.status, 405);
  fp_log_entry_free (&e);
  /* The document is untouched. */
  r = get ("/api/documents/1/?fields=title");
  ck_assert_str_eq (jstr (r.json, "title"), "Stromrechnung Januar");
  resp_free (&r);
}
END_TEST

/* --------------------------------------------------------------- filters */

START_TEST (filters)
{
  static const struct {
    const char *query;
    const char *ids;
  } cases[] = {
      {"", "1,2,3,5,7,9"},
      {"id__gt=5", "1,2,3,5,7,9"}, /* no such filter: ignored */
      {"id__in=", "1,2,3,5,7,9"},  /* empty values are ignored */
      {"bogus=1&title__icontains=", "1,2,3,5,7,9"},
      {"id=5", "5"},
      {"id__in=9,1,4,8", "1,9"}, /* 8 is trashed, 4 never existed */
      {"modified__gt=2024-02-01T10:00:00.5Z", "2,9"},
      {"modified__gte=2024-02-01T10:00:00.5Z", "1,2,5,9"},
      {"modified__gt=2024-02-01T10:00:00.499999Z", "1,2,5,9"},
      /* naive: server zone (+01:00), so 11:00 local = 10:00Z */
      {"modified__gt=2024-02-01%2011:00:00.4", "1,2,5,9"},
      {"modified__gt=2024-02-01T11:00:00.6%2B01:00", "2,9"},
      {"modified__lt=2024-01-01", "3,7"},
      {"modified__date__gt=2024-02-01", "2,9"},
      {"added__gte=2024-01-16T09:00:00Z", "1,5,9"},
      {"created__gt=2024-01-15", "9"},
      {"created__year=2024", "1,5"},
      {"correspondent__id__in=1,2", "1,2,7"},
      {"correspondent__isnull=true", "5,9"},
      {"correspondent__id__none=2", "1,3,5,9"},
      {"document_type__id=2", "2,7"},
      {"storage_path__id__in=1", "1"},
      {"tags__id__in=2,5", "1,2,7"},
      {"tags__id__all=2,3", "2"},
      {"tags__id__all=2,x", "1,2"}, /* ObjectFilter drops non-integers */
      {"tags__id__none=2", "3,5,7,9"},
      {"is_tagged=0", "5,9"},
      {"is_in_inbox=true", "1"},
      {"owner__id=1", "2,7,9"},
      {"owner__isnull=1", "1"},
      {"owner__id__in=2,3", "3,5"},
      {"archive_serial_number__gte=101", "1,5"},
      {"archive_serial_number__isnull=false", "1,3,5"},
      {"title__icontains=RECHNUNG", "1"},
      {"title__istartswith=ver", "2"},
      {"content__icontains=abc%20abc", "5"},
      {"custom_fields__id__all=2,3", "1"},
      {"has_custom_fields=1", "1,2"},
      {"mime_type=image/png", "7"},
      {"title_content=secret", "3"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char p[256];
    snprintf (p, sizeof p, "/api/documents/?ordering=id&fields=id&%s",
              cases[i].query);
    resp r = get (p);
    ck_assert_msg (r.status == 200, "%s: %ld %s", cases[i].query, r.status,
                   r.body);
    ck_assert_msg (!strcmp (result_ids (&r), cases[i].ids), "%s: got %s",
                   cases[i].query, result_ids (&r));
    resp_free (&r);
  }
  static const struct {
    const char *query;
    const char *body;
  } errors[] = {
      {"modified__gt=yesterday",
       "{\"modified__gt\":[\"Enter a valid date/time.\"]}"},
      {"modified__gt=2024-01-01T10:00:00+01:00", /* '+' became a space */
       "{\"modified__gt\":[\"Enter a valid date/time.\"]}"},
      {"modified__gt=2024-13-01",
       "{\"modified__gt\":[\"Enter a valid date/time.\"]}"},
      {"created__gt=2024-01-01T00:00:00Z",
       "{\"created__gt\":[\"Enter a valid date.\"]}"},
      {"id__in=1,x", "{\"id__in\":[\"Enter a number.\"]}"},
      {"id=x", "{\"id\":[\"Enter a number.\"]}"},
  };
  for (size_t i = 0; i < sizeof errors / sizeof *errors; i++) {
    char p[256];
    snprintf (p, sizeof p, "/api/documents/?%s", errors[i].query);
    resp r = get (p);
    ck_assert_int_eq (r.status, 400);
    ck_assert_str_eq (r.body, errors[i].body);
    resp_free (&r);
  }
  /* modified__gte exists only since 2.15: older servers ignore it. */
  fp_server *old = start_with ("2.14.7", NULL);
  reqopts o = {.base = fp_server_url (old)};
  resp r = req (
      "/api/documents/?fields=id&ordering=id&modified__gte=2030-01-01", &o);
  ck_assert_str_eq (result_ids (&r), "1,2,3,5,7,9");
  resp_free (&r);
  r = req ("/api/documents/?fields=id&ordering=id&modified__gt=2030-01-01", &o);
  ck_assert_str_eq (result_ids (&r), "");
  resp_free (&r);
  fp_server_stop (old);
}
END_TEST

START_TEST (ordering)
{
  static const struct {
    const char *ordering;
    const char *ids;
  } cases[] = {
      {"", "9,5,1,2,3,7"}, /* default -created,-id */
      {"nonsense", "9,5,1,2,3,7"},
      {"id", "1,2,3,5,7,9"},
      {"-id", "9,7,5,3,2,1"},
      {"modified,id", "7,3,1,5,2,9"},
      {"modified,-id", "7,3,5,1,2,9"},
      {" -modified , bogus,id", "9,2,1,5,3,7"},
      {"title", "9,5,3,7,1,2"},
      {"archive_serial_number,id", "3,1,5,2,7,9"}, /* nulls last */
      {"-archive_serial_number,id", "2,7,9,5,1,3"},
      {"correspondent__name,id", "2,7,3,1,5,9"},
      {"page_count,id", "2,3,9,1,5,7"},
      {"num_notes,id", "2,3,5,7,9,1"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char p[256];
    snprintf (p, sizeof p, "/api/documents/?fields=id&ordering=%s",
              cases[i].ordering);
    for (char *c = p; *c; c++)
      if (*c == ' ')
        *c = '+';
    resp r = get (p);
    ck_assert_msg (!strcmp (result_ids (&r), cases[i].ids), "%s: got %s",
                   cases[i].ordering, result_ids (&r));
    resp_free (&r);
  }
}
END_TEST

/* -------------------------------------------------------- representation */

START_TEST (fields_and_perms)
{
  resp r = get ("/api/documents/2/?fields=id,modified,nope");
  ck_assert_str_eq (r.body,
                    "{\"id\":2,\"modified\":\"2024-03-01T01:00:00+01:00\"}");
  resp_free (&r);
  r = get ("/api/documents/2/?fields=");
  ck_assert_ptr_nonnull (jget (r.json, "content"));
  ck_assert_ptr_nonnull (jget (r.json, "user_can_change"));
  ck_assert_ptr_nonnull (jget (r.json, "is_shared_by_requester"));
  ck_assert_ptr_null (jget (r.json, "permissions"));
  ck_assert (
      jget (r.json, "is_shared_by_requester")
      && json_object_get_boolean (jget (r.json, "is_shared_by_requester")));
  resp_free (&r);
  r = get ("/api/documents/2/?full_perms=true");
  ck_assert_ptr_null (jget (r.json, "user_can_change"));
  ck_assert_ptr_null (jget (r.json, "is_shared_by_requester"));
  ck_assert_str_eq (json_object_to_json_string_ext (
                        jget (r.json, "permissions"), JSON_C_TO_STRING_PLAIN),
                    "{\"view\":{\"users\":[2],\"groups\":[]},\"change\":{"
                    "\"users\":[],\"groups\":[]}}");
  /* Key order as the real serializer: owner, permissions, notes. */
  ck_assert (strstr (r.body, "\"owner\":1,\"permissions\":{"));
  ck_assert (strstr (r.body, "}},\"notes\":[]"));
  resp_free (&r);
  /* Alice sees 2 through a view grant: not changeable. */
  fp_server_set_user (srv, 2);
  r = get ("/api/documents/2/");
  ck_assert (!json_object_get_boolean (jget (r.json, "user_can_change")));
  resp_free (&r);
  /* truncate_content keeps 550 code points ("é" is two bytes). */
  fp_server_set_user (srv, 1);
  r = get ("/api/documents/9/?truncate_content=true&fields=content");
  ck_assert_uint_eq (strlen (jstr (r.json, "content")), 1100);
  resp_free (&r);
  r = get ("/api/documents/9/?fields=content");
  ck_assert_uint_eq (strlen (jstr (r.json, "content")), 1200);
  resp_free (&r);
  /* x_content_repeat and JSON escaping of the form feed. */
  r = get ("/api/documents/5/?fields=content");
  ck_assert_str_eq (r.body, "{\"content\":\"abc abc abc \"}");
  resp_free (&r);
  r = get ("/api/documents/1/?fields=content");
  ck_assert_str_eq (r.body, "{\"content\":\"Stromrechnung\\fSeite 2 — Betrag "
                            "42,00 €\"}");
  resp_free (&r);
}
END_TEST

START_TEST (representations_3x)
{
  resp r = get ("/api/documents/1/");
  ck_assert_str_eq (jstr (r.json, "created"), "2024-01-15");
  ck_assert_str_eq (jstr (r.json, "modified"),
                    "2024-02-01T11:00:00.500000+01:00");
  ck_assert_str_eq (jstr (r.json, "added"), "2024-01-16T10:00:00+01:00");
  json_object *note = json_object_array_get_idx (jget (r.json, "notes"), 0);
  ck_assert_str_eq (jstr (jget (note, "user"), "username"), "alice");
  note = json_object_array_get_idx (jget (r.json, "notes"), 1);
  ck_assert (json_object_is_type (jget (note, "user"), json_type_null));
  ck_assert (strstr (r.body, "{\"value\":\"bbbbbbbbbbbbbbb2\",\"field\":2}"));
  ck_assert (strstr (r.body, "{\"value\":\"EUR42.00\",\"field\":3}"));
  ck_assert (
      strstr (r.body, "\"root_document\":null,\"versions\":[{\"id\":1,"));
  /* Order of the first keys, as DocumentSerializer.Meta lists them. */
  ck_assert (strncmp (r.body,
                      "{\"id\":1,\"correspondent\":1,\"document_type\":1,"
                      "\"storage_path\":1,\"title\":",
                      60)
             == 0);
  resp_free (&r);
  /* A detail that is trashed, invisible or absent is 404. */
  static const char *const missing[]
      = {"/api/documents/8/", "/api/documents/4/", "/api/documents/abc/"};
  for (size_t i = 0; i < 3; i++) {
    r = get (missing[i]);
    ck_assert_int_eq (r.status, 404);
    ck_assert_str_eq (r.body,
                      "{\"detail\":\"No Document matches the given query.\"}");
    ck_assert_str_eq (hdr (&r, "X-Api-Version"), "10");
    resp_free (&r);
  }
  fp_server_set_user (srv, 3); /* bob cannot see 2 */
  r = get ("/api/documents/2/");
  ck_assert_int_eq (r.status, 404);
  resp_free (&r);
}
END_TEST

START_TEST (representations_old)
{
  /* 2.20: v9 dates, v8 local midnight "+01:00"; v7 note users as objects,
   * v<8 as ids; v6 select index and label lists. */
  fp_server *s = start_with ("2.20.15", NULL);
  reqopts o = {.base = fp_server_url (s),
               .hdrs = {"Accept: application/json; version=9"}};
  resp r = req ("/api/documents/1/", &o);
  ck_assert_str_eq (jstr (r.json, "created"), "2024-01-15");
  ck_assert_ptr_null (jget (r.json, "versions")); /* 3.0 only */
  resp_free (&r);
  o.hdrs[0] = "Accept: application/json; version=8";
  r = req ("/api/documents/1/", &o);
  ck_assert_str_eq (jstr (r.json, "created"), "2024-01-15T00:00:00+01:00");
  ck_assert_str_eq (jstr (r.json, "created_date"), "2024-01-15");
  ck_assert (json_object_is_type (
      jget (json_object_array_get_idx (jget (r.json, "notes"), 0), "user"),
      json_type_object));
  resp_free (&r);
  o.hdrs[0] = "Accept: application/json; version=7";
  r = req ("/api/documents/1/", &o);
  ck_assert_int_eq (
      jint (json_object_array_get_idx (jget (r.json, "notes"), 0), "user"), 2);
  ck_assert (strstr (r.body, "{\"value\":\"bbbbbbbbbbbbbbb2\",\"field\":2}"));
  resp_free (&r);
  o.hdrs[0] = "Accept: application/json; version=6";
  r = req ("/api/documents/1/", &o);
  ck_assert (strstr (r.body, "{\"value\":1,\"field\":2}"));
  resp_free (&r);
  r = req ("/api/custom_fields/?id=2", &o);
  ck_assert (strstr (r.body, "\"select_options\":[\"Low\",\"High\"]"));
  resp_free (&r);
  fp_server_stop (s);
  /* A UTC server: Z for datetimes, +00:00 for the v<9 created. */
  char err[256];
  fp_options opt = {.corpus_path = FP_TEST_CORPUS,
                    .server_version = "2.18.0",
                    .time_zone = "UTC"};
  s = fp_server_start (&opt, err, sizeof err);
  ck_assert_ptr_nonnull (s);
  reqopts u = {.base = fp_server_url (s),
               .hdrs = {"Accept: application/json; version=5"}};
  r = req ("/api/documents/1/", &u);
  ck_assert_str_eq (jstr (r.json, "created"), "2024-01-15T00:00:00+00:00");
  ck_assert_str_eq (jstr (r.json, "modified"), "2024-02-01T10:00:00.500000Z");
  resp_free (&r);
  fp_server_stop (s);
}
END_TEST

START_TEST (time_zones)
{
  /* Named zones follow DST, like Django with zoneinfo. */
  static const char corpus[]
      = "{\"server\":{\"version\":\"2.20.15\",\"time_zone\":\"Europe/Berlin\"},"
        "\"documents\":["
        "{\"id\":1,\"created\":\"2024-03-31\",\"modified\":\"2024-03-31T00:59:"
        "59Z\"},"
        "{\"id\":2,\"created\":\"2024-07-01\",\"modified\":\"2024-03-31T01:00:"
        "00Z\"},"
        "{\"id\":3,\"created\":\"2024-10-27\",\"modified\":\"2024-10-27T00:59:"
        "59.5Z\"},"
        "{\"id\":4,\"created\":\"2024-12-24\",\"modified\":\"2024-10-27T01:00:"
        "00Z\"}]}";
  char err[256];
  fp_corpus *c = fp_corpus_parse (corpus, sizeof corpus - 1, err, sizeof err);
  ck_assert_msg (c != NULL, "%s", err);
  fp_options o = {.corpus = c};
  fp_server *s = fp_server_start (&o, err, sizeof err);
  ck_assert_ptr_nonnull (s);
  reqopts ro = {.base = fp_server_url (s),
                .no_auth = 1,
                .hdrs = {"Authorization: Token " FP_DEFAULT_TOKEN,
                         "Accept: application/json; version=8"}};
  resp r = req ("/api/documents/?ordering=id&fields=id,created,modified", &ro);
  ck_assert_int_eq (r.status, 200);
  static const char *const want[][2]
      = {{"2024-03-31T00:00:00+01:00", "2024-03-31T01:59:59+01:00"},
         {"2024-07-01T00:00:00+02:00", "2024-03-31T03:00:00+02:00"},
         {"2024-10-27T00:00:00+02:00", "2024-10-27T02:59:59.500000+02:00"},
         {"2024-12-24T00:00:00+01:00", "2024-10-27T02:00:00+01:00"}};
  for (size_t i = 0; i < 4; i++) {
    ck_assert_str_eq (jstr (result (&r, i), "created"), want[i][0]);
    ck_assert_str_eq (jstr (result (&r, i), "modified"), want[i][1]);
  }
  resp_free (&r);
  /* A naive filter value is local time: 03:00 on 31 March is +02:00. */
  r = req ("/api/documents/"
           "?ordering=id&fields=id&modified__gte=2024-03-31%2003:00:00",
           &ro);
  ck_assert_str_eq (result_ids (&r), "2,3,4");
  resp_free (&r);
  /* Ambiguous 02:30 on 27 October: the first (summer) one, fold=0. */
  r = req ("/api/documents/"
           "?ordering=id&fields=id&modified__lt=2024-10-27T02:59:59.6",
           &ro);
  ck_assert_str_eq (result_ids (&r), "1,2,3");
  resp_free (&r);
  fp_server_stop (s);

  static const char us[]
      = "{\"server\":{\"time_zone\":\"America/New_York\"},\"documents\":["
        "{\"id\":1,\"modified\":\"2024-03-10T06:59:59Z\"},"
        "{\"id\":2,\"modified\":\"2024-03-10T07:00:00Z\"},"
        "{\"id\":3,\"modified\":\"2024-11-03T05:59:59Z\"},"
        "{\"id\":4,\"modified\":\"2024-11-03T06:00:00Z\"}]}";
  c = fp_corpus_parse (us, sizeof us - 1, err, sizeof err);
  ck_assert_ptr_nonnull (c);
  fp_options ou = {.corpus = c};
  s = fp_server_start (&ou, err, sizeof err);
  ck_assert_ptr_nonnull (s);
  ro.base = fp_server_url (s);
  ro.hdrs[1] = NULL;
  r = req ("/api/documents/?ordering=id&fields=modified", &ro);
  ck_assert_str_eq (r.body,
                    "{\"count\":4,\"next\":null,\"previous\":null,\"results\":["
                    "{\"modified\":\"2024-03-10T01:59:59-05:00\"},"
                    "{\"modified\":\"2024-03-10T03:00:00-04:00\"},"
                    "{\"modified\":\"2024-11-03T01:59:59-04:00\"},"
                    "{\"modified\":\"2024-11-03T01:00:00-05:00\"}]}");
  resp_free (&r);
  fp_server_stop (s);
}
END_TEST

START_TEST (notes_and_escapes)
{
  resp r = get ("/api/documents/1/notes/");
  ck_assert_int_eq (r.status, 200);
  ck_assert (json_object_is_type (r.json, json_type_array));
  ck_assert_uint_eq (json_object_array_length (r.json), 2);
  ck_assert_str_eq (jstr (json_object_array_get_idx (r.json, 0), "note"),
                    "paid");
  resp_free (&r);
  r = get ("/api/documents/8/notes/");
  ck_assert_int_eq (r.status, 404);
  ck_assert_str_eq (r.body, "{\"detail\":\"Not found.\"}");
  resp_free (&r);
  fp_server_set_user (srv, 3);
  r = get ("/api/documents/2/notes/"); /* plain-text 403 */
  ck_assert_int_eq (r.status, 403);
  ck_assert_str_eq (r.body, "Insufficient permissions to view notes");
  resp_free (&r);
  fp_server_set_user (srv, 1);
  /* 3.0's file-version parameter: the API version sent as a query. */
  r = get ("/api/documents/1/?version=10");
  ck_assert_int_eq (r.status, 404);
  resp_free (&r);
  r = get ("/api/documents/1/?version=1&fields=id");
  ck_assert_str_eq (r.body, "{\"id\":1}");
  resp_free (&r);

  /* NULs are stripped on load; DRF escapes U+2028 and control chars. */
  static const char corpus[]
      = "{\"documents\":[{\"id\":1,\"title\":\"a\\u0000b\","
        "\"content\":\"x\\u2028y\\u2029z\\u001b\\t\\\"/\u00e9\"}]}";
  char err[256];
  fp_corpus *c = fp_corpus_parse (corpus, sizeof corpus - 1, err, sizeof err);
  ck_assert_msg (c != NULL, "%s", err);
  fp_options o = {.corpus = c};
  fp_server *s = fp_server_start (&o, err, sizeof err);
  ck_assert_ptr_nonnull (s);
  reqopts ro = {.base = fp_server_url (s),
                .no_auth = 1,
                .hdrs = {"Authorization: Token " FP_DEFAULT_TOKEN}};
  r = req ("/api/documents/1/?fields=title,content", &ro);
  ck_assert_str_eq (r.body, "{\"title\":\"ab\",\"content\":\"x\\u2028y\\u2029z"
                            "\\u001b\\t\\\"/\u00e9\"}");
  resp_free (&r);
  fp_server_stop (s);
}
END_TEST

/* ---------------------------------------------------------------- lookups */

START_TEST (lookups)
{
  resp r = get ("/api/tags/");
  ck_assert_int_eq (r.status, 200);
  ck_assert_str_eq (result_ids (&r), "1,4,2,3,5"); /* by lower-cased name */
  json_object *rechnung = result (&r, 2);
  ck_assert_int_eq (jint (rechnung, "document_count"), 2);
  json_object *children = jget (rechnung, "children");
  ck_assert_uint_eq (json_object_array_length (children), 1);
  ck_assert_int_eq (jint (json_object_array_get_idx (children, 0), "id"), 3);
  ck_assert_int_eq (jint (r.json, "display_count"), 4);
  resp_free (&r);
  r = get ("/api/tags/?ordering=-id&id__in=1,3");
  ck_assert_str_eq (result_ids (&r), "3,1");
  resp_free (&r);
  r = get ("/api/tags/?id__in=x");
  ck_assert_int_eq (r.status, 400);
  resp_free (&r);
  /* alice: own + unowned + granted tags only; counts follow her view. */
  fp_server_set_user (srv, 2);
  r = get ("/api/tags/?ordering=id");
  ck_assert_str_eq (result_ids (&r), "1,2,5");
  ck_assert_int_eq (jint (result (&r, 1), "document_count"), 2);
  resp_free (&r);
  r = get ("/api/correspondents/?ordering=id");
  ck_assert_str_eq (result_ids (&r), "1,2");
  resp_free (&r);
  r = get ("/api/custom_fields/"); /* every field is visible, by name */
  ck_assert_str_eq (result_ids (&r), "3,2,1,4");
  ck_assert (strstr (r.body, "\"extra_data\":null"));
  resp_free (&r);
  fp_server_set_user (srv, 1);
  r = get ("/api/users/?ordering=id");
  ck_assert_str_eq (result_ids (&r), "1,2,3,4");
  ck_assert_str_eq (jstr (result (&r, 1), "password"), "**********");
  ck_assert_ptr_null (jget (result (&r, 1), "x_password"));
  resp_free (&r);
  r = get ("/api/groups/");
  ck_assert_str_eq (result_ids (&r), "2,1");
  resp_free (&r);
  r = get ("/api/storage_paths/1/");
  ck_assert_str_eq (jstr (r.json, "path"), "{{ created_year }}/{{ title }}");
  resp_free (&r);
  r = get ("/api/tags/99/");
  ck_assert_int_eq (r.status, 404);
  ck_assert_str_eq (jstr (r.json, "detail"), "No Tag matches the given query.");
  resp_free (&r);
  r = get_h ("/api/tags/", V9);
  ck_assert_ptr_nonnull (jget (r.json, "all"));
  resp_free (&r);
}
END_TEST

START_TEST (trash)
{
  resp r = get ("/api/trash/?ordering=id&fields=id&modified__gt=2099-01-01");
  ck_assert_int_eq (r.status, 200);
  ck_assert_int_eq (jint (r.json, "count"), 1);
  json_object *d = result (&r, 0);
  ck_assert_int_eq (jint (d, "id"), 8);
  ck_assert_str_eq (jstr (d, "deleted_at"), "2025-12-01T01:00:00+01:00");
  ck_assert_ptr_nonnull (jget (d, "content")); /* fields= is ignored */
  resp_free (&r);
  /* Trash, list, restore: modified unchanged by trashing, bumped by the
   * restore. */
  ck_assert_int_eq (fp_server_trash_document (srv, 2), 0);
  r = get ("/api/trash/");
  ck_assert_str_eq (result_ids (&r), "2,8"); /* -created */
  ck_assert_str_eq (jstr (result (&r, 0), "modified"),
                    "2024-03-01T01:00:00+01:00");
  resp_free (&r);
  r = get ("/api/documents/2/");
  ck_assert_int_eq (r.status, 404);
  resp_free (&r);
  ck_assert_int_eq (fp_server_restore_document (srv, 2), 0);
  r = get ("/api/documents/2/?fields=modified,deleted_at");
  ck_assert_str_eq (r.body,
                    "{\"modified\":\"2026-01-01T01:00:02.469134+01:00\","
                    "\"deleted_at\":null}");
  resp_free (&r);
  /* Trash visibility: owned or unowned only (alice's view grant on 2 does
   * not count). */
  fp_server_trash_document (srv, 2);
  fp_server_set_user (srv, 2);
  r = get ("/api/trash/");
  ck_assert_str_eq (result_ids (&r), "8");
  resp_free (&r);
}
END_TEST

/* ---------------------------------------------------------------- faults */

START_TEST (faults_status)
{
  fp_fault f = {.path_prefix = "/api/documents/",
                .nth = 2,
                .times = 1,
                .kind = FP_FAULT_STATUS,
                .status = 429,
                .retry_after = "3"};
  int id = fp_server_add_fault (srv, &f);
  ck_assert_int_gt (id, 0);
  resp r = get ("/api/documents/?fields=id");
  ck_assert_int_eq (r.status, 200);
  resp_free (&r);
  r = get ("/api/tags/"); /* does not match the rule */
  ck_assert_int_eq (r.status, 200);
  resp_free (&r);
  r = get ("/api/documents/?fields=id");
  ck_assert_int_eq (r.status, 429);
  ck_assert_str_eq (hdr (&r, "Retry-After"), "3");
  ck_assert_str_eq (jstr (r.json, "detail"),
                    "Request was throttled. Expected available in 3 seconds.");
  resp_free (&r);
  r = get ("/api/documents/?fields=id");
  ck_assert_int_eq (r.status, 200);
  resp_free (&r);
  ck_assert_uint_eq (fp_server_fault_fired (srv, id), 1);
  /* Every time, with a proxy's HTML page and an HTTP-date. */
  fp_fault g = {.path_prefix = "/api/tags/",
                .kind = FP_FAULT_STATUS,
                .status = 503,
                .retry_after = "Wed, 21 Oct 2026 07:28:00 GMT"};
  fp_server_add_fault (srv, &g);
  for (int i = 0; i < 2; i++) {
    r = get ("/api/tags/");
    ck_assert_int_eq (r.status, 503);
    ck_assert (strstr (r.body, "<title>503 Service Temporarily Unavailable"));
    ck_assert_str_eq (hdr (&r, "Content-Type"), "text/html");
    ck_assert_str_eq (hdr (&r, "Retry-After"), "Wed, 21 Oct 2026 07:28:00 GMT");
    resp_free (&r);
  }
  fp_server_clear_faults (srv);
  r = get ("/api/tags/");
  ck_assert_int_eq (r.status, 200);
  resp_free (&r);
  /* Query-matched rule with custom body and headers. */
  fp_fault q = {.query_contains = "page=2",
                .kind = FP_FAULT_STATUS,
                .status = 502,
                .body = "bad gateway",
                .content_type = "text/plain",
                .headers = "X-Proxy: nginx\nX-Other: 1\n"};
  fp_server_add_fault (srv, &q);
  r = get ("/api/documents/?page=2&page_size=1");
  ck_assert_int_eq (r.status, 502);
  ck_assert_str_eq (r.body, "bad gateway");
  ck_assert_str_eq (hdr (&r, "X-Proxy"), "nginx");
  resp_free (&r);
  r = get ("/api/documents/?page_size=1");
  ck_assert_int_eq (r.status, 200);
  resp_free (&r);
}
END_TEST

START_TEST (faults_bodies)
{
  /* Dropped connection: no response at all. */
  fp_fault drop
      = {.path_prefix = "/api/documents/", .times = 1, .kind = FP_FAULT_DROP};
  fp_server_add_fault (srv, &drop);
  resp r = get ("/api/documents/");
  ck_assert_int_ne (r.rc, CURLE_OK);
  ck_assert_int_eq (r.status, 0);
  resp_free (&r);
  fp_log_entry e;
  ck_assert_int_eq (fp_server_log_get (srv, 0, &e), 0);
  ck_assert_int_eq (e.status, 0);
  fp_log_entry_free (&e);
  /* Truncated JSON: valid HTTP, broken document. */
  fp_fault trunc = {.path_prefix = "/api/documents/",
                    .times = 1,
                    .kind = FP_FAULT_TRUNCATE,
                    .size = 20};
  fp_server_add_fault (srv, &trunc);
  r = get ("/api/documents/");
  ck_assert_int_eq (r.status, 200);
  ck_assert_uint_eq (r.len, 20);
  ck_assert_ptr_null (r.json);
  resp_free (&r);
  /* Trailing garbage. */
  fp_fault garb = {.path_prefix = "/api/documents/",
                   .times = 1,
                   .kind = FP_FAULT_GARBAGE,
                   .body = "xyz"};
  fp_server_add_fault (srv, &garb);
  r = get ("/api/documents/?id=1&fields=id");
  ck_assert_str_eq (r.body, "{\"count\":1,\"next\":null,\"previous\":null,"
                            "\"results\":[{\"id\":1}]}xyz");
  resp_free (&r);
  /* Arbitrary bytes with NUL and invalid UTF-8. */
  fp_fault bytes = {.path_prefix = "/api/documents/",
                    .times = 1,
                    .kind = FP_FAULT_BYTES,
                    .body = "{\"a\0\xff",
                    .body_len = 6};
  fp_server_add_fault (srv, &bytes);
  r = get ("/api/documents/");
  ck_assert_uint_eq (r.len, 6);
  ck_assert (memcmp (r.body, "{\"a\0\xff", 6) == 0);
  resp_free (&r);
  /* Empty 200 and an HTML page. */
  fp_fault empty
      = {.path_prefix = "/api/documents/", .times = 1, .kind = FP_FAULT_EMPTY};
  fp_server_add_fault (srv, &empty);
  r = get ("/api/documents/");
  ck_assert_int_eq (r.status, 200);
  ck_assert_uint_eq (r.len, 0);
  resp_free (&r);
  fp_fault html
      = {.path_prefix = "/api/documents/", .times = 1, .kind = FP_FAULT_HTML};
  fp_server_add_fault (srv, &html);
  r = get ("/api/documents/");
  ck_assert_int_eq (r.status, 200);
  ck_assert (strstr (hdr (&r, "Content-Type"), "text/html"));
  resp_free (&r);
  /* Body cut short against its Content-Length. */
  fp_fault cut = {.path_prefix = "/api/documents/",
                  .times = 1,
                  .kind = FP_FAULT_CUT,
                  .size = 10};
  fp_server_add_fault (srv, &cut);
  r = get ("/api/documents/");
  ck_assert_int_eq (r.rc, CURLE_PARTIAL_FILE);
  ck_assert_uint_eq (r.len, 10);
  resp_free (&r);
  r = get ("/api/documents/?fields=id&id=1");
  ck_assert_int_eq (r.status, 200); /* rules used up */
  resp_free (&r);
}
END_TEST

START_TEST (faults_stall_huge_delay)
{
  fp_fault stall = {.path_prefix = "/api/documents/",
                    .times = 1,
                    .kind = FP_FAULT_STALL,
                    .size = 5};
  fp_server_add_fault (srv, &stall);
  reqopts o = {.timeout_ms = 600};
  struct timespec t0, t1;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  resp r = req ("/api/documents/", &o);
  clock_gettime (CLOCK_MONOTONIC, &t1);
  ck_assert_int_eq (r.rc, CURLE_OPERATION_TIMEDOUT);
  ck_assert_uint_eq (r.len, 5);
  resp_free (&r);
  /* 8 MB made on the fly, valid JSON, both framings. */
  for (int chunked = 0; chunked < 2; chunked++) {
    fp_fault huge = {.path_prefix = "/api/documents/",
                     .times = 1,
                     .kind = FP_FAULT_HUGE,
                     .size = 8u << 20,
                     .chunked = chunked};
    fp_server_add_fault (srv, &huge);
    r = get ("/api/documents/");
    ck_assert_int_eq (r.rc, CURLE_OK);
    ck_assert_uint_eq (r.len, 8u << 20);
    ck_assert_ptr_nonnull (r.json);
    ck_assert_int_eq (jint (r.json, "count"), 1);
    resp_free (&r);
  }
  /* A delay rule and the global delay. */
  fp_fault slow = {.path_prefix = "/api/tags/",
                   .times = 1,
                   .kind = FP_FAULT_DELAY,
                   .delay_ms = 300};
  fp_server_add_fault (srv, &slow);
  clock_gettime (CLOCK_MONOTONIC, &t0);
  r = get ("/api/tags/");
  clock_gettime (CLOCK_MONOTONIC, &t1);
  ck_assert_int_eq (r.status, 200);
  double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3
              + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  ck_assert_msg (ms >= 290, "delay %.0f ms", ms);
  resp_free (&r);
  fp_server_set_delay_ms (srv, 200);
  clock_gettime (CLOCK_MONOTONIC, &t0);
  r = get ("/api/tags/");
  clock_gettime (CLOCK_MONOTONIC, &t1);
  ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3
       + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  ck_assert_msg (ms >= 190, "delay %.0f ms", ms);
  resp_free (&r);
}
END_TEST

/* ------------------------------------------------------------- mutations */

static void
hook_rename (fp_server *s, void *user)
{
  atomic_int *calls = user;
  (*calls)++;
  fp_doc_edit e = {.title = "Renamed by hook"};
  fp_server_edit_document (s, 1, &e);
}

START_TEST (mutations)
{
  /* Logical clock: the first mutation is start + 1.234567 s. */
  fp_doc_edit e
      = {.title = "Neu", .set_tags = 1, .tags = (int64_t[]){5}, .n_tags = 1};
  ck_assert_int_eq (fp_server_edit_document (srv, 1, &e), 0);
  resp r = get ("/api/documents/1/?fields=title,tags,modified");
  ck_assert_str_eq (r.body,
                    "{\"title\":\"Neu\",\"tags\":[5],"
                    "\"modified\":\"2026-01-01T01:00:01.234567+01:00\"}");
  resp_free (&r);
  ck_assert_int_eq (fp_server_edit_document (srv, 4, &e), -1);
  /* A new document: id = max ever + 1, added = modified = now. */
  int64_t id = fp_server_add_document (srv, "Fresh", "new text");
  ck_assert_int_eq (id, 10);
  r = get ("/api/documents/10/?fields=id,added,modified,owner");
  /* fields= keeps the serializer's order, not the requested one. */
  ck_assert_str_eq (
      r.body, "{\"id\":10,\"modified\":\"2026-01-01T01:00:02.469134+01:00\","
              "\"added\":\"2026-01-01T01:00:02.469134+01:00\","
              "\"owner\":null}");
  resp_free (&r);
  ck_assert_int_eq (fp_server_purge_document (srv, 10), 0);
  ck_assert_int_eq (fp_server_add_document (srv, "Again", ""), 11);
  /* Renaming or deleting a lookup bumps nothing. */
  ck_assert_int_eq (
      fp_server_rename_lookup (srv, "correspondents", 2, "Allianz AG"), 0);
  r = get ("/api/correspondents/2/");
  ck_assert_str_eq (jstr (r.json, "name"), "Allianz AG");
  ck_assert_str_eq (jstr (r.json, "slug"), "allianz-ag");
  resp_free (&r);
  ck_assert_int_eq (fp_server_delete_lookup (srv, "tags", 2), 0);
  r = get ("/api/documents/2/?fields=tags,modified");
  ck_assert_str_eq (
      r.body, "{\"tags\":[3],\"modified\":\"2024-03-01T01:00:00+01:00\"}");
  resp_free (&r);
  ck_assert_int_eq (fp_server_delete_lookup (srv, "correspondents", 2), 0);
  r = get ("/api/documents/?correspondent__isnull=1&ordering=id&fields=id");
  ck_assert_str_eq (result_ids (&r), "2,5,7,9,11");
  resp_free (&r);
  /* Bulk edit: one identical modified. */
  int64_t ids[] = {2, 3, 5, 99};
  ck_assert_uint_eq (fp_server_bulk_touch (srv, ids, 4), 3);
  r = get (
      "/api/documents/"
      "?modified__gte=2026-01-01T00:00:04Z&ordering=id&fields=id,modified");
  ck_assert_str_eq (result_ids (&r), "2,3,5");
  ck_assert_str_eq (jstr (result (&r, 0), "modified"),
                    jstr (result (&r, 2), "modified"));
  resp_free (&r);
  /* A note bumps the document. */
  ck_assert_int_eq (fp_server_add_note (srv, 7, "checked", 2), 0);
  r = get ("/api/documents/7/?fields=notes,modified");
  json_object *n = json_object_array_get_idx (jget (r.json, "notes"), 0);
  ck_assert_int_eq (jint (n, "id"), 3);
  ck_assert_str_eq (jstr (jget (n, "user"), "username"), "alice");
  ck_assert_str_eq (jstr (n, "created"), jstr (r.json, "modified"));
  resp_free (&r);
  /* Snapshots for convergence checks. */
  int64_t *vis;
  size_t nv = fp_server_visible_ids (srv, 0, &vis);
  ck_assert_uint_eq (nv, 7);
  ck_assert_int_eq (vis[6], 11);
  free (vis);
  nv = fp_server_visible_ids (srv, 3, &vis);
  ck_assert_uint_eq (nv, 3); /* bob: 1, 3, and the new unowned 11 */
  free (vis);
  char *doc = fp_server_document_json (srv, 8, 9);
  ck_assert (strstr (doc, "\"deleted_at\":\"2025-12-01T01:00:00+01:00\""));
  ck_assert (strstr (doc, "\"permissions\":"));
  free (doc);
  char *snap = fp_server_snapshot_json (srv);
  ck_assert_msg (strstr (snap,
                         "{\"count\":7,\"documents\":[{\"id\":1,\"modified\":"
                         "\"2026-01-01T01:00:01.234567+01:00\"},")
                     == snap,
                 "%s", snap);
  free (snap);

  /* Hooks: after the 1st documents request, before the 2nd. */
  atomic_int calls = 0;
  fp_server_add_hook (srv, "/api/documents/", 1, hook_rename, &calls);
  fp_server_add_hook_command (srv, "/api/documents/", 2, "trash?id=9");
  r = get ("/api/documents/1/?fields=title");
  ck_assert_str_eq (jstr (r.json, "title"), "Neu");
  resp_free (&r);
  ck_assert_int_eq (calls, 1);
  r = get ("/api/documents/1/?fields=title");
  ck_assert_str_eq (jstr (r.json, "title"), "Renamed by hook");
  resp_free (&r);
  r = get ("/api/documents/9/");
  ck_assert_int_eq (r.status, 404);
  resp_free (&r);
  ck_assert_int_eq (calls, 1);
}
END_TEST

START_TEST (commands)
{
  char err[256];
  ck_assert_int_eq (fp_server_command (srv,
                                       "edit?id=5&title=Hello+W%C3%B6rld&"
                                       "owner=null&correspondent=1",
                                       err, sizeof err),
                    0);
  resp r = get ("/api/documents/5/?fields=title,owner,correspondent");
  ck_assert_str_eq (r.body, "{\"correspondent\":1,\"title\":\"Hello Wörld\","
                            "\"owner\":null}");
  resp_free (&r);
  ck_assert_int_eq (fp_server_command (srv, "add?title=X", err, sizeof err), 0);
  ck_assert_str_eq (err, "10");
  ck_assert_int_eq (
      fp_server_command (srv, "bulk-touch?ids=1-3,5", err, sizeof err), 0);
  ck_assert_str_eq (err, "4");
  ck_assert_int_eq (fp_server_command (srv,
                                       "rename?endpoint=tags&id=1&name=Eingang",
                                       err, sizeof err),
                    0);
  ck_assert_int_eq (fp_server_command (srv,
                                       "fault?path=/api/tags/&kind=status"
                                       "&status=500&times=1",
                                       err, sizeof err),
                    0);
  r = get ("/api/tags/");
  ck_assert_int_eq (r.status, 500);
  ck_assert (strstr (r.body, "Server Error (500)"));
  resp_free (&r);
  r = get ("/api/tags/1/");
  ck_assert_str_eq (jstr (r.json, "name"), "Eingang");
  resp_free (&r);
  ck_assert_int_eq (fp_server_command (srv, "nope", err, sizeof err), -1);
  ck_assert_int_eq (fp_server_command (srv, "trash?id=4", err, sizeof err), -1);
  ck_assert_int_eq (
      fp_server_command (srv, "fault?kind=weird", err, sizeof err), -1);
}
END_TEST

START_TEST (control_channel)
{
  char err[256];
  unsigned port = fp_server_start_control (srv, 0, err, sizeof err);
  ck_assert_uint_gt (port, 0);
  char base[64];
  snprintf (base, sizeof base, "http://127.0.0.1:%u", port);
  reqopts post = {.method = "POST", .base = base, .no_auth = 1};
  resp r = req ("/control/trash?id=1", &post);
  ck_assert_int_eq (r.status, 200);
  ck_assert (json_object_get_boolean (jget (r.json, "ok")));
  resp_free (&r);
  r = req ("/control/restore?id=77", &post);
  ck_assert_int_eq (r.status, 400);
  resp_free (&r);
  reqopts g = {.base = base, .no_auth = 1};
  r = req ("/control/snapshot", &g);
  ck_assert_int_eq (jint (r.json, "count"), 5);
  resp_free (&r);
  /* The control requests are not in the API log. */
  ck_assert_uint_eq (fp_server_request_count (srv), 0);
  resp a = get ("/api/documents/?fields=id");
  ck_assert_int_eq (jint (a.json, "count"), 5);
  resp_free (&a);
  r = req ("/control/stats", &g);
  ck_assert_int_eq (jint (r.json, "requests"), 1);
  ck_assert_int_eq (jint (r.json, "non_get"), 0);
  ck_assert_int_gt (jint (r.json, "bytes_sent"), 50);
  resp_free (&r);
  r = req ("/control/log", &g);
  ck_assert (
      strstr (r.body, "\"path\":\"/api/documents/\",\"query\":\"fields=id\""));
  ck_assert (strstr (r.body, "\"Authorization\":\"Token " TOKEN "\""));
  resp_free (&r);
}
END_TEST

/* Clients on several threads while the corpus changes under them: every
 * response is a complete, valid page. */
static void *
client_thread (void *arg)
{
  int *bad = arg;
  for (int i = 0; i < 40; i++) {
    resp r = get (i % 2 ? "/api/documents/?ordering=modified,id&page_size=3"
                        : "/api/tags/?full_perms=1");
    if (r.status != 200 || !r.json || !jget (r.json, "results"))
      (*bad)++;
    resp_free (&r);
  }
  return NULL;
}

START_TEST (concurrency)
{
  pthread_t t[4];
  int bad[4] = {0};
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq (pthread_create (&t[i], NULL, client_thread, &bad[i]), 0);
  for (int i = 0; i < 200; i++) {
    char title[32];
    snprintf (title, sizeof title, "title %d", i);
    fp_doc_edit e = {.title = title};
    fp_server_edit_document (srv, 1 + i % 3, &e);
    int64_t id = fp_server_add_document (srv, title, "x");
    fp_server_trash_document (srv, id);
    fp_server_rename_lookup (srv, "tags", 5, title);
    fp_server_add_note (srv, 2, title, 1);
    if (i % 50 == 0)
      fp_server_log_clear (srv);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join (t[i], NULL);
    ck_assert_int_eq (bad[i], 0);
  }
  int64_t *ids;
  size_t n = fp_server_visible_ids (srv, 0, &ids);
  ck_assert_uint_eq (n, 6);
  free (ids);
  resp r = get ("/api/trash/?page_size=1");
  ck_assert_int_eq (jint (r.json, "count"), 201);
  resp_free (&r);
}
END_TEST

/* -------------------------------------------------------- log and gzip */

START_TEST (request_log)
{
  reqopts o = {.hdrs = {V9, "Accept-Encoding: gzip", "Host: example.org:1234"}};
  resp r = req ("/api/documents/?page_size=1&id__in=1,2", &o);
  ck_assert_int_eq (r.status, 200);
  resp_free (&r);
  ck_assert_uint_eq (fp_server_request_count (srv), 1);
  char *v = fp_server_log_header (srv, 0, "authorization");
  ck_assert_str_eq (v, "Token " TOKEN);
  free (v);
  v = fp_server_log_header (srv, 0, "Accept");
  ck_assert_str_eq (v, "application/json; version=9");
  free (v);
  v = fp_server_log_header (srv, 0, "Host");
  ck_assert_str_eq (v, "example.org:1234");
  free (v);
  v = fp_server_log_header (srv, 0, "accept-encoding");
  ck_assert_str_eq (v, "gzip");
  free (v);
  ck_assert_ptr_null (fp_server_log_header (srv, 0, "Cookie"));
  fp_log_entry e;
  ck_assert_int_eq (fp_server_log_get (srv, 0, &e), 0);
  ck_assert_str_eq (e.query, "page_size=1&id__in=1,2");
  ck_assert_str_eq (e.path, "/api/documents/");
  ck_assert_int_eq (e.status, 200);
  fp_log_entry_free (&e);
  ck_assert_int_eq (fp_server_log_get (srv, 1, &e), -1);
  ck_assert_uint_eq (fp_server_log_count_containing (srv, TOKEN), 1);
  ck_assert_uint_eq (fp_server_log_count_path (srv, "/api/doc"), 1);
  ck_assert_uint_eq (fp_server_log_count_path (srv, "/api/tags/"), 0);
  fp_server_log_clear (srv);
  ck_assert_uint_eq (fp_server_request_count (srv), 0);
  ck_assert_uint_eq (fp_server_log_count_containing (srv, TOKEN), 0);
}
END_TEST

START_TEST (gzip)
{
  /* Big body + offer → gzip, Vary; decoded it is the same JSON. */
  reqopts raw = {.raw_gzip = 1};
  resp r = req ("/api/documents/", &raw);
  ck_assert_int_eq (r.status, 200);
  ck_assert_str_eq (hdr (&r, "Content-Encoding"), "gzip");
  ck_assert_str_eq (hdr (&r, "Vary"), "Accept, Accept-Encoding");
  ck_assert ((unsigned char)r.body[0] == 0x1f
             && (unsigned char)r.body[1] == 0x8b);
  size_t zlen = r.len;
  resp_free (&r);
  reqopts dec = {.gzip = 1};
  r = req ("/api/documents/", &dec);
  ck_assert_ptr_nonnull (r.json);
  ck_assert_int_eq (jint (r.json, "count"), 6);
  ck_assert_uint_gt (r.len, zlen + 100);
  resp_free (&r);
  /* No offer, a small body, q=0, or compression off: identity. */
  r = get ("/api/documents/");
  ck_assert_ptr_null (hdr (&r, "Content-Encoding"));
  ck_assert_str_eq (hdr (&r, "Vary"), "Accept, Accept-Encoding");
  resp_free (&r);
  r = req ("/api/documents/?fields=id&id=1", &raw);
  ck_assert_ptr_null (hdr (&r, "Content-Encoding"));
  ck_assert_str_eq (hdr (&r, "Vary"), "Accept");
  resp_free (&r);
  reqopts q0 = {.hdrs = {"Accept-Encoding: gzip;q=0, identity"}};
  r = req ("/api/documents/", &q0);
  ck_assert_ptr_null (hdr (&r, "Content-Encoding"));
  resp_free (&r);
  fp_server_set_gzip (srv, 0);
  r = req ("/api/documents/", &raw);
  ck_assert_ptr_null (hdr (&r, "Content-Encoding"));
  ck_assert_str_eq (hdr (&r, "Vary"), "Accept");
  resp_free (&r);
}
END_TEST

/* The coding the middleware picks: zstd over gzip whatever the order,
 * "*" as zstd, q=0 excluded, br (not implemented here) as identity. */
START_TEST (zstd)
{
  static const struct {
    const char *offer, *want;
  } cases[] = {
      {"Accept-Encoding: zstd", "zstd"},
      {"Accept-Encoding: gzip, deflate, br, zstd", "zstd"},
      {"Accept-Encoding: zstd;q=0.1, gzip;q=1.0", "zstd"},
      {"Accept-Encoding: zstd;q=0, gzip", "gzip"},
      {"Accept-Encoding: *", "zstd"},
      {"Accept-Encoding: br", NULL},
      {"Accept-Encoding: identity", NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    reqopts o = {.hdrs = {cases[i].offer}};
    resp r = req ("/api/documents/", &o);
    ck_assert_int_eq (r.status, 200);
    const char *got = hdr (&r, "Content-Encoding");
    if (cases[i].want == NULL)
      ck_assert_msg (got == NULL, "%s: got %s", cases[i].offer, got);
    else
      ck_assert_msg (got && !strcmp (got, cases[i].want), "%s: got %s",
                     cases[i].offer, got ? got : "identity");
    if (got && !strcmp (got, "zstd"))
      ck_assert ((unsigned char)r.body[0] == 0x28
                 && (unsigned char)r.body[1] == 0xb5
                 && (unsigned char)r.body[2] == 0x2f
                 && (unsigned char)r.body[3] == 0xfd);
    resp_free (&r);
  }
  /* What libcurl offers by default ("": every coding it can decode)
   * comes back as zstd and decodes to the same JSON. */
  reqopts dec = {.decode = ""};
  resp r = req ("/api/documents/", &dec);
  ck_assert_str_eq (hdr (&r, "Content-Encoding"), "zstd");
  ck_assert_ptr_nonnull (r.json);
  ck_assert_int_eq (jint (r.json, "count"), 6);
  resp_free (&r);
}
END_TEST

/* -------------------------------------------------------------- corpus */

START_TEST (corpus_errors)
{
  char err[256];
  static const char *const bad[]
      = {"[]",
         "{\"documents\":[{\"title\":\"no id\"}]}",
         "{\"documents\":[{\"id\":1},{\"id\":1}]}",
         "{\"documents\":[{\"id\":1,\"modified\":\"never\"}]}",
         "{\"documents\":[{\"id\":1,\"tags\":[\"a\"]}]}",
         "{\"documents\":",
         "{\"server\":{\"time_zone\":\"Mars/Olympus\"}}"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    err[0] = '\0';
    fp_corpus *c = fp_corpus_parse (bad[i], strlen (bad[i]), err, sizeof err);
    ck_assert_msg (c == NULL, "accepted %s", bad[i]);
    ck_assert_uint_gt (strlen (err), 0);
  }
  ck_assert_ptr_null (
      fp_corpus_load ("/nonexistent/corpus.json", err, sizeof err));
  ck_assert (strstr (err, "/nonexistent/corpus.json"));
  fp_options o = {.corpus_path = FP_TEST_CORPUS, .time_zone = "bogus"};
  ck_assert_ptr_null (fp_server_start (&o, err, sizeof err));
}
END_TEST

START_TEST (generator)
{
  fp_gen_options go = {.content_bytes = 1000};
  fp_corpus *a = fp_corpus_generate (500, 42, &go);
  fp_corpus *b = fp_corpus_generate (500, 42, &go);
  fp_corpus *c = fp_corpus_generate (500, 43, &go);
  ck_assert_uint_eq (fp_corpus_document_count (a), 500);
  char *ja = fp_corpus_to_json (a), *jb = fp_corpus_to_json (b),
       *jc = fp_corpus_to_json (c);
  ck_assert_str_eq (ja, jb); /* deterministic */
  ck_assert_str_ne (ja, jc);
  /* The writer's output loads back to the same corpus. */
  char err[256];
  fp_corpus *back = fp_corpus_parse (ja, strlen (ja), err, sizeof err);
  ck_assert_msg (back != NULL, "%s", err);
  char *jback = fp_corpus_to_json (back);
  ck_assert_str_eq (ja, jback);
  /* Every custom field type, notes, gaps in the ids. */
  static const char *const types[]
      = {"\"string\"",       "\"longtext\"", "\"url\"",   "\"date\"",
         "\"boolean\"",      "\"integer\"",  "\"float\"", "\"monetary\"",
         "\"documentlink\"", "\"select\""};
  for (size_t i = 0; i < 10; i++)
    ck_assert (strstr (ja, types[i]));
  ck_assert (strstr (ja, "\"notes\":[{"));
  free (ja);
  free (jb);
  free (jc);
  free (jback);
  fp_corpus_free (b);
  fp_corpus_free (c);
  fp_corpus_free (back);
  /* Serve it: ids beyond n because of gaps, content of the asked size. */
  fp_options o = {.corpus = a};
  fp_server *s = fp_server_start (&o, err, sizeof err);
  ck_assert_ptr_nonnull (s);
  reqopts ro = {.base = fp_server_url (s),
                .no_auth = 1,
                .hdrs = {"Authorization: Token " FP_DEFAULT_TOKEN}};
  resp r
      = req ("/api/documents/?ordering=-id&page_size=1&fields=id,content", &ro);
  ck_assert_int_eq (r.status, 200);
  ck_assert_int_gt (jint (r.json, "count"), 480);
  ck_assert_int_gt (jint (result (&r, 0), "id"), 500);
  size_t cl = strlen (jstr (result (&r, 0), "content"));
  ck_assert (cl > 900 && cl <= 1000);
  resp_free (&r);
  fp_server_stop (s);
}
END_TEST

START_TEST (generator_100k)
{
  struct timespec t0, t1;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  fp_corpus *c = fp_corpus_generate (100000, 7, NULL);
  clock_gettime (CLOCK_MONOTONIC, &t1);
  double s = (double)(t1.tv_sec - t0.tv_sec)
             + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  ck_assert_uint_eq (fp_corpus_document_count (c), 100000);
  /* A few seconds natively; valgrind is ~20x slower. */
  const char *pre = getenv ("LD_PRELOAD");
  double limit = pre && strstr (pre, "vgpreload") ? 120.0 : 5.0;
  ck_assert_msg (s < limit, "100k documents took %.2f s", s);
  char err[256];
  fp_options o = {.corpus = c};
  fp_server *srv2 = fp_server_start (&o, err, sizeof err);
  ck_assert_ptr_nonnull (srv2);
  reqopts ro = {.base = fp_server_url (srv2),
                .no_auth = 1,
                .hdrs = {"Authorization: Token " FP_DEFAULT_TOKEN}};
  resp r = req ("/api/documents/?fields=id&ordering=id&page_size=100000", &ro);
  ck_assert_int_eq (r.status, 200);
  ck_assert_int_gt (jint (r.json, "count"), 99000);
  resp_free (&r);
  fp_server_stop (srv2);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("fake-paperless");
  TCase *tc = tcase_create ("server");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, auth_bodies);
  tcase_add_test (tc, forbidden_endpoints);
  tcase_add_test (tc, versioning_3x);
  tcase_add_test (tc, versioning_2x);
  tcase_add_test (tc, pagination);
  tcase_add_test (tc, prefix);
  tcase_add_test (tc, routing_and_methods);
  tcase_add_test (tc, filters);
  tcase_add_test (tc, ordering);
  tcase_add_test (tc, fields_and_perms);
  tcase_add_test (tc, representations_3x);
  tcase_add_test (tc, representations_old);
  tcase_add_test (tc, time_zones);
  tcase_add_test (tc, notes_and_escapes);
  tcase_add_test (tc, lookups);
  tcase_add_test (tc, trash);
  tcase_add_test (tc, faults_status);
  tcase_add_test (tc, faults_bodies);
  tcase_add_test (tc, faults_stall_huge_delay);
  tcase_add_test (tc, mutations);
  tcase_add_test (tc, commands);
  tcase_add_test (tc, control_channel);
  tcase_add_test (tc, concurrency);
  tcase_add_test (tc, request_log);
  tcase_add_test (tc, gzip);
  tcase_add_test (tc, zstd);
  suite_add_tcase (s, tc);
  TCase *corpus = tcase_create ("corpus");
  tcase_set_timeout (corpus, 120);
  tcase_add_test (corpus, corpus_errors);
  tcase_add_test (corpus, generator);
  tcase_add_test (corpus, generator_100k);
  suite_add_tcase (s, corpus);
  return s;
}

int
main (void)
{
  curl_global_init (CURL_GLOBAL_DEFAULT);
  SRunner *sr = srunner_create (suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  curl_global_cleanup ();
  return failed ? 1 : 0;
}
