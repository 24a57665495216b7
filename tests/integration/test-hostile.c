/* test-hostile.c: a table of broken, hostile and unlucky server answers,
 * each injected into a full sync of a small generated archive (120
 * documents, 25 per chunk, so a fault can hit a page in the middle), run
 * through the real mock host and the real plugin.
 *
 * For every case: the exit status and one line naming the trouble (or a
 * logged skip / retry and exit 0), never a crash, only GETs to paths the
 * plugin builds itself, the token in no output, state or events file; then
 * the faults go, an incremental sync runs, and the index must have
 * converged: whatever the bad run checkpointed still resumes correctly. */
#include <config.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <json.h>
#include <zlib.h>

#include "harness.h"
#include "opl.h"

#define N_DOCS 120
#define CHUNK 25
#define MB (UINT64_C (1024) * 1024)

/* Small retry waits and timeouts keep the whole table near a minute. */
#define BASE_CONFIG                                                            \
  "\"page_size\":25,\"list_page_size\":100,\"max_retries\":2,"                 \
  "\"max_retry_wait\":1,\"low_speed_time\":2,\"connect_timeout\":2,"           \
  "\"max_response_bytes\":8388608"

/* Queries that single out one kind of request. */
#define Q_PROBE "page_size=1&fields=id&ordering=-id"
#define Q_LISTING "fields=id,modified"
#define Q_CHUNK "full_perms=true"
#define Q_RECONCILE "fields=id&ordering=id&page_size=100&page=2"
/* The middle chunk's query (filled in by hostile_case). */
#define Q_CHUNK3 "@chunk3"

enum {
  F_DOC = 1 << 0,     /* doc_field/doc_value replace one field */
  F_DOC_RAW = 1 << 1, /* doc_value replaces the whole document */
  /* The recovery run is a full sync: a document delivered while its
   * `modified` was unreadable stays as delivered until it changes again,
   * so an incremental run does not refresh it (see the report of issue 5:
   * opl-sync.c should leave such a document out of `known`). */
  F_RECOVER_FULL = 1 << 2,
  F_RAW_NUL = 1 << 3, /* arm_raw_bytes: a raw NUL byte follows */
};

typedef struct hcase hcase;
struct hcase {
  const char *name;
  fp_fault f; /* used when f.kind or f.path_prefix is set */
  void (*arm) (fp_server *srv, const hcase *c);
  const char *doc_field; /* F_DOC */
  const char *doc_value; /* JSON text */
  const char *config;    /* extra source_config members */
  const char *version;   /* server release; NULL: 3.0.5 */
  int exit;              /* expected exit status of the faulty run */
  const char *needle;    /* expected in the host's output */
  const char *absent;    /* must not be in the host's output */
  unsigned flags;
};

/* ---- building bodies ------------------------------------------------- */

/* The query text that singles out the request for document chunk k
 * (0-based) of a full sync: "id__in=<the ids>&". */
static char *
chunk_query (fp_server *srv, size_t k)
{
  int64_t *ids = NULL;
  size_t n = fp_server_visible_ids (srv, 0, &ids);
  opl_buf b;
  opl_buf_init (&b);
  opl_buf_puts (&b, "id__in=");
  for (size_t i = k * CHUNK; i < n && i < (k + 1) * CHUNK; i++)
    opl_buf_printf (&b, "%s%lld", i > k * CHUNK ? "," : "", (long long)ids[i]);
  opl_buf_putc (&b, '&');
  free (ids);
  return opl_buf_steal (&b);
}

/* The page the server would send for chunk k, as a JSON object, so that a
 * case can break one document of it. */
static json_object *
chunk_page (fp_server *srv, size_t k)
{
  int64_t *ids = NULL;
  size_t n = fp_server_visible_ids (srv, 0, &ids);
  json_object *page = json_object_new_object ();
  json_object *results = json_object_new_array ();
  size_t got = 0;
  for (size_t i = k * CHUNK; i < n && i < (k + 1) * CHUNK; i++) {
    char *text = fp_server_document_json (srv, ids[i], 10);
    ck_assert_ptr_nonnull (text);
    json_object_array_add (results, json_tokener_parse (text));
    free (text);
    got++;
  }
  free (ids);
  json_object_object_add (page, "count", json_object_new_int64 ((int64_t)got));
  json_object_object_add (page, "next", NULL);
  json_object_object_add (page, "previous", NULL);
  json_object_object_add (page, "results", results);
  return page;
}

static char *
to_text (json_object *o)
{
  return strdup (json_object_to_json_string_ext (
      o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Serve `body` (len bytes) for chunk k, every time it is asked for. */
static void
serve_chunk (fp_server *srv, size_t k, const char *body, size_t len,
             const char *headers)
{
  char *q = chunk_query (srv, k);
  fp_fault f = {.path_prefix = "/api/documents/",
                .query_contains = q,
                .kind = FP_FAULT_BYTES,
                .body = body,
                .body_len = len,
                .headers = headers};
  ck_assert_int_gt (fp_server_add_fault (srv, &f), 0);
  free (q);
}

/* The middle chunk with document 3 of it changed by the case. */
static void
arm_doc (fp_server *srv, const hcase *c)
{
  json_object *page = chunk_page (srv, 2);
  json_object *doc
      = json_object_array_get_idx (json_object_object_get (page, "results"), 3);
  if (c->flags & F_DOC_RAW) {
    json_object_array_put_idx (json_object_object_get (page, "results"), 3,
                               json_tokener_parse (c->doc_value));
  } else if (strcmp (c->doc_field, "*") == 0) {
    /* Nulls everywhere but the id. */
    json_object_object_foreach (doc, key, val)
    {
      (void)val;
      if (strcmp (key, "id") != 0)
        json_object_object_add (doc, key, NULL);
    }
  } else
    json_object_object_add (doc, c->doc_field,
                            json_tokener_parse (c->doc_value));
  char *body = to_text (page);
  serve_chunk (srv, 2, body, strlen (body), NULL);
  free (body);
  json_object_put (page);
}

/* A list page whose top-level member `field` is replaced by `value`. */
static void
arm_list_member (fp_server *srv, const hcase *c)
{
  json_object *page = chunk_page (srv, 2);
  if (c->doc_value)
    json_object_object_add (page, c->doc_field,
                            json_tokener_parse (c->doc_value));
  else
    json_object_object_del (page, c->doc_field);
  char *body = to_text (page);
  serve_chunk (srv, 2, body, strlen (body), NULL);
  free (body);
  json_object_put (page);
}

/* A body of raw bytes (NUL, invalid UTF-8) in a title and the content. */
static void
arm_raw_bytes (fp_server *srv, const hcase *c)
{
  json_object *page = chunk_page (srv, 2);
  json_object *doc
      = json_object_array_get_idx (json_object_object_get (page, "results"), 3);
  static const char marker[] = "@@RAW@@";
  json_object_object_add (doc, "title", json_object_new_string (marker));
  json_object_object_add (doc, "content", json_object_new_string (marker));
  char *text = to_text (page);
  opl_buf b;
  opl_buf_init (&b);
  const char *raw = c->doc_value;
  for (const char *p = text, *hit; *p; p = hit + sizeof marker - 1) {
    hit = strstr (p, marker);
    if (hit == NULL) {
      opl_buf_puts (&b, p);
      break;
    }
    opl_buf_append (&b, p, (size_t)(hit - p));
    opl_buf_append (&b, raw,
                    c->flags & F_RAW_NUL ? strlen (raw) + 1 : strlen (raw));
  }
  serve_chunk (srv, 2, b.data, b.len, NULL);
  opl_buf_free (&b);
  free (text);
  json_object_put (page);
}

/* JSON nested 10,000 levels deep as the middle chunk. */
static void
arm_deep (fp_server *srv, const hcase *c)
{
  (void)c;
  opl_buf b;
  opl_buf_init (&b);
  opl_buf_puts (&b, "{\"count\":1,\"next\":null,\"results\":[{\"id\":1,"
                    "\"title\":");
  for (int i = 0; i < 10000; i++)
    opl_buf_putc (&b, '[');
  for (int i = 0; i < 10000; i++)
    opl_buf_putc (&b, ']');
  opl_buf_puts (&b, "}]}");
  serve_chunk (srv, 2, b.data, b.len, NULL);
  opl_buf_free (&b);
}

/* A 10 MB title on one document (the body is then ~10 MB: the cap is
 * raised for this case). */
static void
arm_big_title (fp_server *srv, const hcase *c)
{
  (void)c;
  json_object *page = chunk_page (srv, 2);
  json_object *doc
      = json_object_array_get_idx (json_object_object_get (page, "results"), 3);
  size_t n = 10 * MB;
  char *t = malloc (n + 1);
  ck_assert_ptr_nonnull (t);
  for (size_t i = 0; i < n; i++)
    t[i] = (char)('a' + i % 26);
  t[n] = '\0';
  json_object_object_add (doc, "title", json_object_new_string (t));
  free (t);
  char *body = to_text (page);
  serve_chunk (srv, 2, body, strlen (body), NULL);
  free (body);
  json_object_put (page);
}

/* 5,000 tags on one document, most of them unknown ids. */
static void
arm_many_tags (fp_server *srv, const hcase *c)
{
  (void)c;
  json_object *page = chunk_page (srv, 2);
  json_object *doc
      = json_object_array_get_idx (json_object_object_get (page, "results"), 3);
  json_object *tags = json_object_new_array ();
  for (int i = 1; i <= 5000; i++)
    json_object_array_add (tags, json_object_new_int (i));
  json_object_object_add (doc, "tags", tags);
  char *body = to_text (page);
  serve_chunk (srv, 2, body, strlen (body), NULL);
  free (body);
  json_object_put (page);
}

/* The same document ids as chunk 1 again in chunk 2 (ids repeated across
 * pages): the documents asked for are missing, others came instead. */
static void
arm_repeated_ids (fp_server *srv, const hcase *c)
{
  (void)c;
  json_object *page = chunk_page (srv, 1);
  char *body = to_text (page);
  serve_chunk (srv, 2, body, strlen (body), NULL);
  free (body);
  json_object_put (page);
}

/* A gzip body that inflates to 12 MB (over the 8 MB cap) from ~12 KB. */
static void
arm_gzip_bomb (fp_server *srv, const hcase *c)
{
  (void)c;
  size_t n = 12 * MB;
  char *plain = malloc (n);
  ck_assert_ptr_nonnull (plain);
  static const char head[]
      = "{\"count\":1,\"next\":null,\"results\":[{\"id\":1,"
        "\"content\":\"";
  memset (plain, 'a', n);
  memcpy (plain, head, sizeof head - 1);
  memcpy (plain + n - 4, "\"}]}", 4);
  uLongf zlen = compressBound ((uLong)n) + 64;
  unsigned char *z = malloc (zlen);
  z_stream s = {0};
  ck_assert_int_eq (deflateInit2 (&s, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY),
                    Z_OK);
  s.next_in = (unsigned char *)plain;
  s.avail_in = (uInt)n;
  s.next_out = z;
  s.avail_out = (uInt)zlen;
  ck_assert_int_eq (deflate (&s, Z_FINISH), Z_STREAM_END);
  size_t zn = s.total_out;
  deflateEnd (&s);
  ck_assert_uint_lt (zn, 1 * MB);
  serve_chunk (srv, 2, (const char *)z, zn, "Content-Encoding: gzip\n");
  free (z);
  free (plain);
}

/* The probe refuses API versions 10 and 9 (HTTP 406), then answers the
 * request that names no version with one document and `headers` (the
 * version the server speaks by default, or none). */
static void
arm_406_then (fp_server *srv, const char *headers)
{
  fp_fault f406 = {.path_prefix = "/api/documents/",
                   .query_contains = Q_PROBE,
                   .nth = 1,
                   .times = 2,
                   .kind = FP_FAULT_STATUS,
                   .status = 406,
                   .body = "{\"detail\":\"Invalid version in \\\"Accept\\\" "
                           "header.\"}"};
  fp_fault answer = {.path_prefix = "/api/documents/",
                     .query_contains = Q_PROBE,
                     .nth = 3,
                     .times = 1,
                     .kind = FP_FAULT_STATUS,
                     .status = 200,
                     .body = "{\"count\":1,\"next\":null,\"previous\":null,"
                             "\"results\":[{\"id\":1}]}",
                     .headers = headers};
  ck_assert_int_gt (fp_server_add_fault (srv, &f406), 0);
  ck_assert_int_gt (fp_server_add_fault (srv, &answer), 0);
}

/* A server that announces API version 1 (Paperless-ngx 1.x). */
static void
arm_too_old (fp_server *srv, const hcase *c)
{
  (void)c;
  arm_406_then (srv, "X-Api-Version: 1\nX-Version: 1.9.2\n");
}

/* One that speaks version 11 by default: newer than the plugin knows. */
static void
arm_too_new (fp_server *srv, const hcase *c)
{
  (void)c;
  arm_406_then (srv, "X-Api-Version: 11\nX-Version: 4.1.0\n");
}

/* An answer without X-Api-Version (a proxy that drops the header). */
static void
arm_no_version_header (fp_server *srv, const hcase *c)
{
  (void)c;
  arm_406_then (srv, NULL);
}

/* 406 whatever version is asked for, even none. */
static void
arm_406_always (fp_server *srv, const hcase *c)
{
  (void)c;
  fp_fault f406 = {.path_prefix = "/api/documents/",
                   .query_contains = Q_PROBE,
                   .nth = 1,
                   .kind = FP_FAULT_STATUS,
                   .status = 406,
                   .headers = "X-Version: 9.9.9\n"};
  ck_assert_int_gt (fp_server_add_fault (srv, &f406), 0);
}

/* Tags whose parents form a cycle (1 -> 2 -> 3 -> 1) and a self-parent. */
static void
arm_tag_cycle (fp_server *srv, const hcase *c)
{
  (void)c;
  fp_fault f
      = {.path_prefix = "/api/tags/",
         .kind = FP_FAULT_BYTES,
         .body = "{\"count\":4,\"next\":null,\"previous\":null,"
                 "\"results\":["
                 "{\"id\":1,\"name\":\"a\",\"parent\":3,\"children\":[2]},"
                 "{\"id\":2,\"name\":\"b\",\"parent\":1,\"children\":[3]},"
                 "{\"id\":3,\"name\":\"c\",\"parent\":2,\"children\":[1]},"
                 "{\"id\":4,\"name\":\"d\",\"parent\":4,\"children\":[4]}"
                 "]}"};
  ck_assert_int_gt (fp_server_add_fault (srv, &f), 0);
}

/* Every lookup page announces a next page and repeats itself: a server
 * (or cache) that ignores `page`. */
static void
arm_page_loop (fp_server *srv, const hcase *c)
{
  (void)c;
  char body[512];
  snprintf (
      body, sizeof body,
      "{\"count\":2,\"next\":\"%s/api/tags/?page=1\",\"previous\":null,"
      "\"results\":[{\"id\":1,\"name\":\"a\"},{\"id\":2,\"name\":\"b\"}]}",
      fp_server_url (srv));
  fp_fault f
      = {.path_prefix = "/api/tags/", .kind = FP_FAULT_BYTES, .body = body};
  ck_assert_int_gt (fp_server_add_fault (srv, &f), 0);
}

/* Page 2 of the id reconciliation repeats page 1: stopping there would
 * take documents 101.. for deleted. */
static void
arm_reconcile_repeat (fp_server *srv, const hcase *c)
{
  (void)c;
  int64_t *ids = NULL;
  size_t n = fp_server_visible_ids (srv, 0, &ids);
  opl_buf b;
  opl_buf_init (&b);
  opl_buf_printf (&b, "{\"count\":%zu,\"next\":null,\"results\":[", n);
  for (size_t i = 0; i < 100 && i < n; i++)
    opl_buf_printf (&b, "%s{\"id\":%lld}", i ? "," : "", (long long)ids[i]);
  opl_buf_puts (&b, "]}");
  free (ids);
  fp_fault f = {.path_prefix = "/api/documents/",
                .query_contains = Q_RECONCILE,
                .kind = FP_FAULT_BYTES,
                .body = b.data};
  ck_assert_int_gt (fp_server_add_fault (srv, &f), 0);
  opl_buf_free (&b);
}

/* Links to another host on every list page. */
static void
arm_foreign_next (fp_server *srv, const hcase *c)
{
  (void)c;
  fp_server_set_link_origin (srv, "http://evil.example:8080");
}

/* The token is revoked after the second chunk. */
static void
arm_revoked (fp_server *srv, const hcase *c)
{
  (void)c;
  fp_fault f = {.path_prefix = "/api/documents/",
                .query_contains = Q_CHUNK,
                .nth = 3,
                .kind = FP_FAULT_STATUS,
                .status = 401,
                .body = "{\"detail\":\"Invalid token.\"}",
                .headers = "WWW-Authenticate: Token\n"};
  ck_assert_int_gt (fp_server_add_fault (srv, &f), 0);
}

static void
arm_forbid_fields (fp_server *srv, const hcase *c)
{
  (void)c;
  fp_server_set_forbidden (srv, "custom_fields", 1);
}

/* Retry-After as an HTTP date 30 s ahead (capped to max_retry_wait). */
static void
arm_429_date (fp_server *srv, const hcase *c)
{
  (void)c;
  char date[64];
  time_t t = time (NULL) + 30;
  struct tm tm;
  gmtime_r (&t, &tm);
  strftime (date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  char *q = chunk_query (srv, 2);
  fp_fault f = {.path_prefix = "/api/documents/",
                .query_contains = q,
                .times = 2,
                .kind = FP_FAULT_STATUS,
                .status = 429,
                .retry_after = date};
  ck_assert_int_gt (fp_server_add_fault (srv, &f), 0);
  free (q);
}

/* ---- the table ------------------------------------------------------- */

#define CHUNK_FAULT(...)                                                       \
  {                                                                            \
    .path_prefix = "/api/documents/", .query_contains = Q_CHUNK, .nth = 3,     \
    __VA_ARGS__                                                                \
  }
/* A fault on the middle chunk's own query that fires `times` times: the
 * prefetch worker's attempt (if any) takes one, the sync's the rest, so the
 * sync sees at least one failure and retries. */
#define MID_FAULT(...)                                                         \
  {                                                                            \
    .path_prefix = "/api/documents/", .query_contains = Q_CHUNK3, __VA_ARGS__  \
  }
#define LISTING_FAULT(...)                                                     \
  {                                                                            \
    .path_prefix = "/api/documents/", .query_contains = Q_LISTING, .nth = 1,   \
    __VA_ARGS__                                                                \
  }
#define DOC(field, value, needle_)                                             \
  {                                                                            \
    .name = "document " field " = " value, .arm = arm_doc, .doc_field = field, \
    .doc_value = value, .exit = 0, .needle = needle_, .flags = F_DOC           \
  }

static const hcase cases[] = {
    /* Broken bodies in the middle of the sync. */
    {"truncated JSON", CHUNK_FAULT (.kind = FP_FAULT_TRUNCATE), .exit = 1,
     .needle = "/api/documents/: malformed JSON"},
    {"trailing garbage", CHUNK_FAULT (.kind = FP_FAULT_GARBAGE), .exit = 1,
     .needle = "/api/documents/: malformed JSON"},
    {"empty body", CHUNK_FAULT (.kind = FP_FAULT_EMPTY), .exit = 1,
     .needle = "/api/documents/: empty body where JSON was expected"},
    {"binary junk", CHUNK_FAULT (.kind = FP_FAULT_BYTES), .exit = 1,
     .needle = "/api/documents/: malformed JSON"},
    {"connection cut mid-body, forever",
     CHUNK_FAULT (.kind = FP_FAULT_CUT, .size = 100),
     .config = "\"max_retries\":1", .exit = 1,
     .needle = "bytes remaining to read (gave up after 2 attempts)"},
    {"HTML login page with 200", CHUNK_FAULT (.kind = FP_FAULT_HTML), .exit = 1,
     .needle = "HTML page where JSON was expected"},
    {"HTML login page on the probe",
     {.path_prefix = "/api/documents/",
      .query_contains = Q_PROBE,
      .kind = FP_FAULT_HTML},
     .exit = 2,
     .needle = "HTML page where JSON was expected"},
    {"302 to the login page",
     CHUNK_FAULT (.kind = FP_FAULT_STATUS, .status = 302, .body = "",
                  .headers = "Location: /accounts/login/?next=/api/\n"),
     .exit = 1, .needle = "answered with a redirect (HTTP 302)"},
    {"302 on a lookup endpoint",
     {.path_prefix = "/api/storage_paths/",
      .kind = FP_FAULT_STATUS,
      .status = 302,
      .body = "",
      .headers = "Location: /accounts/login/?next=/api/storage_paths/\n"},
     .exit = 2,
     .needle = "storage_paths/ answered with a redirect"},
    /* List pages of the wrong shape. */
    {"count is a string", .arm = arm_list_member, .doc_field = "count",
     .doc_value = "\"25\"", .exit = 1, .needle = "no valid \"count\""},
    {"count missing", .arm = arm_list_member, .doc_field = "count",
     .doc_value = NULL, .exit = 1, .needle = "no valid \"count\""},
    {"results is an object", .arm = arm_list_member, .doc_field = "results",
     .doc_value = "{\"id\":1}", .exit = 1, .needle = "no \"results\" list"},
    {"results is null", .arm = arm_list_member, .doc_field = "results",
     .doc_value = "null", .exit = 1, .needle = "no \"results\" list"},
    {"page is a list",
     CHUNK_FAULT (.kind = FP_FAULT_BYTES, .body = "[{\"id\":1}]"), .exit = 1,
     .needle = "not a JSON object"},
    {"listing: count lies (huge)",
     LISTING_FAULT (.kind = FP_FAULT_BYTES, .times = 1,
                    .body
                    = "{\"count\":999999999,\"next\":null,\"results\":[]}"),
     .exit = 0, .needle = "sync complete"},
    {"listing: item id negative",
     LISTING_FAULT (.kind = FP_FAULT_BYTES,
                    .body
                    = "{\"count\":1,\"next\":null,\"results\":[{\"id\":-4,"
                      "\"modified\":\"2026-01-01T00:00:00Z\"}]}"),
     .exit = 1, .needle = "no valid \"id\""},
    {"listing: modified not a date",
     LISTING_FAULT (.kind = FP_FAULT_BYTES,
                    .body = "{\"count\":1,\"next\":null,\"results\":[{\"id\":4,"
                            "\"modified\":\"yesterday\"}]}"),
     .exit = 1, .needle = "no valid \"modified\""},
    {"reconcile page 2 not a list",
     {.path_prefix = "/api/documents/",
      .query_contains = Q_RECONCILE,
      .kind = FP_FAULT_BYTES,
      .body = "{\"count\":120,\"next\":null,\"results\":\"oops\"}"},
     .exit = 1,
     .needle = "no \"results\" list"},
    /* One document of the wrong shape: skipped, or mapped without it. */
    DOC ("id", "\"53\"", "no valid \"id\""),
    DOC ("id", "0", "no valid \"id\""),
    DOC ("id", "-7", "no valid \"id\""),
    DOC ("id", "null", "no valid \"id\""),
    DOC ("id", "1.5", "no valid \"id\""),
    {"document id huge", .arm = arm_doc, .doc_field = "id",
     .doc_value = "9223372036854775807", .exit = 1,
     .needle = "which was not asked for", .flags = F_DOC},
    DOC ("title", "42", "sync complete"),
    DOC ("title", "null", "sync complete"),
    DOC ("content", "{\"text\":1}", "sync complete"),
    DOC ("tags", "\"1,2\"", "sync complete"),
    DOC ("tags", "[null,\"x\",-1,1e300]", "sync complete"),
    DOC ("notes", "\"a note\"", "sync complete"),
    DOC ("notes", "[null,3,{\"note\":5,\"user\":\"x\"}]", "sync complete"),
    DOC ("custom_fields", "{\"field\":1}", "sync complete"),
    DOC ("custom_fields", "[1,{\"field\":\"x\"},{\"value\":2}]",
         "sync complete"),
    DOC ("permissions", "[]", "sync complete"),
    DOC ("permissions", "{\"view\":7}", "sync complete"),
    DOC ("owner", "\"alice\"", "sync complete"),
    DOC ("correspondent", "[3]", "sync complete"),
    DOC ("created", "true", "sync complete"),
    {"document modified = 12", .arm = arm_doc, .doc_field = "modified",
     .doc_value = "12", .exit = 0, .needle = "sync complete",
     .flags = F_DOC | F_RECOVER_FULL},
    {"document: nulls everywhere", .arm = arm_doc, .doc_field = "*", .exit = 0,
     .needle = "sync complete", .flags = F_DOC | F_RECOVER_FULL},
    {"document is a string", .arm = arm_doc, .doc_value = "\"doc\"", .exit = 0,
     .needle = "no valid \"id\"", .flags = F_DOC_RAW},
    {"invalid UTF-8 in title and content", .arm = arm_raw_bytes,
     .doc_value = "bad \xff\xfe \xc3( \xed\xa0\x80 end", .exit = 0,
     .needle = "sync complete"},
    {"escaped NUL in title and content", .arm = arm_raw_bytes,
     .doc_value = "nul \\u0000 here", .exit = 0, .needle = "sync complete"},
    {"raw NUL byte inside a string", .arm = arm_raw_bytes, .doc_value = "nul ",
     .exit = 1, .needle = "/api/documents/: malformed", .flags = F_RAW_NUL},
    {"10 MB title", .arm = arm_big_title,
     .config = "\"max_response_bytes\":33554432", .exit = 0,
     .needle = "longer than 1000 characters: cut"},
    {"5,000 tags on one document", .arm = arm_many_tags, .exit = 0,
     .needle = "sync complete"},
    {"ids repeated across pages", .arm = arm_repeated_ids, .exit = 1,
     .needle = "which was not asked for"},
    {"10,000 levels of nesting", .arm = arm_deep, .exit = 1,
     .needle = "nesting too deep"},
    /* Size caps. */
    {"200 MB body", CHUNK_FAULT (.kind = FP_FAULT_HUGE, .size = 200 * MB),
     .exit = 1, .needle = "larger than max_response_bytes"},
    {"200 MB chunked body",
     CHUNK_FAULT (.kind = FP_FAULT_HUGE, .size = 200 * MB, .chunked = 1),
     .exit = 1, .needle = "larger than max_response_bytes"},
    {"gzip bomb over the decompressed cap", .arm = arm_gzip_bomb, .exit = 1,
     .needle = "larger than max_response_bytes"},
    /* Lookups. */
    {"nested tags in a parent cycle", .arm = arm_tag_cycle, .exit = 0,
     .needle = "sync complete"},
    {"reconcile page 2 repeats page 1", .arm = arm_reconcile_repeat, .exit = 1,
     .needle = "page 2 only repeats earlier items"},
    {"a page loop (page ignored, next forever)", .arm = arm_page_loop,
     .exit = 2, .needle = "page 2 only repeats earlier items"},
    {"next links to another host", .arm = arm_foreign_next, .exit = 0,
     .needle = "sync complete"},
    {"403 on custom_fields", .arm = arm_forbid_fields, .exit = 0,
     .needle = "documents.view_customfield"},
    {"403 on users",
     {.path_prefix = "/api/users/",
      .kind = FP_FAULT_STATUS,
      .status = 403,
      .body = "{\"detail\":\"You do not have permission to perform this "
              "action.\"}"},
     .exit = 0,
     .needle = "auth.view_user"},
    {"a custom field of the wrong shape",
     {.path_prefix = "/api/custom_fields/",
      .kind = FP_FAULT_BYTES,
      .body = "{\"count\":3,\"next\":null,\"results\":[{\"id\":\"x\"},"
              "7,{\"id\":1,\"name\":[1],\"data_type\":5}]}"},
     .exit = 0,
     .needle = "skipping an item of /api/custom_fields/"},
    {"tags: results not a list",
     {.path_prefix = "/api/tags/",
      .kind = FP_FAULT_BYTES,
      .body = "{\"count\":3,\"next\":null,\"results\":{}}"},
     .exit = 2,
     .needle = "/api/tags/ page 1: list response has no"},
    /* Transport. */
    {"a page that never finishes",
     MID_FAULT (.kind = FP_FAULT_STALL, .size = 1, .times = 2), .exit = 0,
     .needle = "retrying"},
    {"a page that never finishes, forever",
     CHUNK_FAULT (.kind = FP_FAULT_STALL, .size = 1),
     .config = "\"max_retries\":0", .exit = 1,
     .needle = "for low_speed_time (2 s) (gave up after 1 attempt)"},
    {"401 mid-sync (token revoked)", .arm = arm_revoked, .exit = 3,
     .needle = "refused the API token (HTTP 401"},
    {"429 with Retry-After seconds",
     MID_FAULT (.kind = FP_FAULT_STATUS, .status = 429, .retry_after = "30",
                .times = 2),
     .exit = 0, .needle = "retrying in 1000 ms: throttled on /api/documents/",
     .absent = "gave up"},
    {"429 with Retry-After as a date", .arm = arm_429_date, .exit = 0,
     .needle = "retrying in 1000 ms: throttled on /api/documents/"},
    {"502 then success",
     MID_FAULT (.kind = FP_FAULT_STATUS, .status = 502, .times = 2), .exit = 0,
     .needle = "HTTP 502"},
    {"503 then success",
     MID_FAULT (.kind = FP_FAULT_STATUS, .status = 503, .times = 3), .exit = 0,
     .needle = "HTTP 503"},
    {"504 then success",
     MID_FAULT (.kind = FP_FAULT_STATUS, .status = 504, .times = 2), .exit = 0,
     .needle = "HTTP 504"},
    {"503 forever", CHUNK_FAULT (.kind = FP_FAULT_STATUS, .status = 503),
     .config = "\"max_retries\":1", .exit = 1,
     .needle = "(HTTP 503) (gave up after 2 attempts)"},
    {"connection dropped, then success",
     MID_FAULT (.kind = FP_FAULT_DROP, .times = 4), .exit = 0,
     .needle = "retrying"},
    {"500 with an HTML page",
     CHUNK_FAULT (.kind = FP_FAULT_STATUS, .status = 500),
     .config = "\"max_retries\":1", .exit = 1,
     .needle = "server error on /api/documents/ (HTTP 500) (gave up"},
    {"418 unexpected status",
     CHUNK_FAULT (.kind = FP_FAULT_STATUS, .status = 418), .exit = 1,
     .needle = "unexpected HTTP 418"},
    {"406 on 10, then 9 works (2.20)", .version = "2.20.15", .exit = 0,
     .needle = "API version 9"},
    {"a server too old", .arm = arm_too_old, .exit = 2,
     .needle = "1.9.2 (API version 1) is too old"},
    {"a server too new", .arm = arm_too_new, .exit = 2,
     .needle = "4.1.0 speaks API version 11 and refuses 10 and 9"},
    {"no X-Api-Version after 406s", .arm = arm_no_version_header, .exit = 2,
     .needle = "without an X-Api-Version header"},
    {"404 on the probe: a wrong path prefix",
     {.path_prefix = "/api/documents/",
      .query_contains = Q_PROBE,
      .nth = 1,
      .kind = FP_FAULT_STATUS,
      .status = 404},
     .exit = 2,
     .needle = "no Paperless-ngx API at http://127.0.0.1:"},
    {"406 for every version", .arm = arm_406_always, .exit = 2,
     .needle = "9.9.9 refused API versions 10 and 9 and its own default"},
};

#define N_CASES (sizeof cases / sizeof cases[0])

/* ---- checks ---------------------------------------------------------- */

static bool
path_is_ours (const char *path, const char *prefix)
{
  static const char *const ours[] = {
      "documents/",     "tags/",          "correspondents/", "document_types/",
      "storage_paths/", "custom_fields/", "users/",          "groups/"};
  size_t pl = strlen (prefix);
  if (strncmp (path, prefix, pl) != 0 || strncmp (path + pl, "/api/", 5) != 0)
    return false;
  for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++)
    if (strcmp (path + pl + 5, ours[i]) == 0)
      return true;
  return false;
}

/* Only GETs, only paths the plugin builds, only to the configured host
 * and port, never an API version in the query. */
static void
assert_requests_ours (h_env *e, const char *prefix)
{
  char host[64];
  snprintf (host, sizeof host, "127.0.0.1:%u", fp_server_port (e->srv));
  size_t n = fp_server_request_count (e->srv);
  ck_assert_uint_gt (n, 0);
  ck_assert_uint_eq (fp_server_non_get_count (e->srv), 0);
  for (size_t i = 0; i < n; i++) {
    fp_log_entry le;
    ck_assert_int_eq (fp_server_log_get (e->srv, i, &le), 0);
    ck_assert_str_eq (le.method, "GET");
    ck_assert_msg (path_is_ours (le.path, prefix), "request %zu to %s", i,
                   le.path);
    ck_assert_msg (strstr (le.query, "version=") == NULL,
                   "API version in the query: %s", le.query);
    char *h = fp_server_log_header (e->srv, i, "Host");
    ck_assert_msg (h && strcmp (h, host) == 0, "request %zu Host: %s", i,
                   h ? h : "(none)");
    free (h);
    fp_log_entry_free (&le);
  }
}

static void
assert_secret (h_env *e)
{
  const char *token = fp_server_token (e->srv);
  ck_assert_msg (!h_file_contains (e->events, token), "token in events");
  ck_assert_msg (!h_file_contains (e->state, token), "token in state");
  ck_assert_msg (!h_file_contains (e->out, token), "token in host output");
}

static void
show_output (const h_env *e, const char *title)
{
  if (getenv ("HOSTILE_VERBOSE") == NULL)
    return;
  char *out = h_slurp (e->out, NULL);
  fprintf (stderr, "---- %s\n%s", title, out ? out : "(no output)\n");
  free (out);
}

/* ---- the runner ------------------------------------------------------ */

static fp_server *
start_server (const char *version, const char *prefix)
{
  char err[256];
  fp_gen_options g = {.content_bytes = 600, .server_version = version};
  fp_options o
      = {.corpus = fp_corpus_generate (N_DOCS, 7, &g), .prefix = prefix};
  fp_server *s = fp_server_start (&o, err, sizeof err);
  ck_assert_msg (s != NULL, "fake server: %s", err);
  return s;
}

START_TEST (hostile_case)
{
  const hcase *c = &cases[_i];
  char config[512], why[300];
  /* HOSTILE_ONLY=<index> runs one case (with HOSTILE_VERBOSE, to read its
   * output). */
  const char *only = getenv ("HOSTILE_ONLY");
  if (only && *only && atoi (only) != _i)
    return;
  snprintf (config, sizeof config, "%s%s%s", BASE_CONFIG, c->config ? "," : "",
            c->config ? c->config : "");
  fp_server *srv = start_server (c->version, NULL);
  h_env e;
  h_setup (&e, srv, config);

  if (c->arm)
    c->arm (srv, c);
  else if (c->f.path_prefix) {
    fp_fault f = c->f;
    char *q = NULL;
    if (f.query_contains && strcmp (f.query_contains, Q_CHUNK3) == 0)
      f.query_contains = q = chunk_query (srv, 2);
    ck_assert_int_gt (fp_server_add_fault (srv, &f), 0);
    free (q);
  }

  unlink (e.out);
  int rc = h_sync (&e, "full");
  show_output (&e, c->name);
  ck_assert_msg (rc < 128, "%s: the host died (status %d)", c->name, rc);
  ck_assert_msg (rc != 99, "%s: memory error under valgrind", c->name);
  ck_assert_msg (rc == c->exit, "%s: exit %d, expected %d", c->name, rc,
                 c->exit);
  ck_assert_msg (h_file_contains (e.out, c->needle), "%s: no \"%s\" in output",
                 c->name, c->needle);
  if (c->absent)
    ck_assert_msg (!h_file_contains (e.out, c->absent), "%s: \"%s\" in output",
                   c->name, c->absent);
  if (c->exit != 0)
    h_assert_one_error_line (&e, c->needle);
  assert_secret (&e);
  assert_requests_ours (&e, "");

  /* The trouble goes away: the next scheduled (incremental) run resumes
   * from whatever the bad one checkpointed and ends converged. */
  fp_server_clear_faults (srv);
  fp_server_set_forbidden (srv, "custom_fields", 0);
  fp_server_set_link_origin (srv, NULL);
  unlink (e.out);
  rc = h_sync (&e, c->flags & F_RECOVER_FULL ? "full" : "incremental");
  show_output (&e, "(recovery)");
  ck_assert_msg (rc == 0, "%s: the recovery sync exited %d", c->name, rc);
  ck_assert_msg (h_converged (&e, why, sizeof why), "%s: not converged: %s",
                 c->name, why);
  assert_secret (&e);
  assert_requests_ours (&e, "");
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* ---- transport knobs outside the table ------------------------------- */

START_TEST (path_prefix_end_to_end)
{
  char why[300];
  fp_server *srv = start_server (NULL, "/paperless");
  h_env e;
  h_setup (&e, srv, BASE_CONFIG);
  ck_assert (strstr (fp_server_url (srv), "/paperless") != NULL);
  ck_assert_int_eq (h_sync (&e, "full"), 0);
  ck_assert (h_converged (&e, why, sizeof why));
  assert_requests_ours (&e, "/paperless");
  assert_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

START_TEST (tls_insecure_warns_every_sync)
{
  fp_server *srv = start_server (NULL, NULL);
  h_env e;
  h_setup (&e, srv, BASE_CONFIG ",\"tls_insecure\":true");
  for (int run = 0; run < 2; run++) {
    unlink (e.out);
    ck_assert_int_eq (h_sync (&e, run ? "incremental" : "full"), 0);
    ck_assert_msg (h_file_contains (e.out, "warning: tls_insecure is set"),
                   "run %d did not warn", run);
  }
  assert_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* https:// to a plain-http server: a TLS handshake failure, said clearly,
 * retried as a transport error, never a crash, never the token. */
START_TEST (https_to_plain_http_server)
{
  fp_server *srv = start_server (NULL, NULL);
  h_env e;
  h_setup (&e, srv, BASE_CONFIG);
  FILE *f = fopen (e.config, "w");
  ck_assert_ptr_nonnull (f);
  fprintf (f,
           "{\"source_id\":\"src1\",\"source_config\":{\"base_url\":"
           "\"https://127.0.0.1:%u\",%s},\"credentials\":{\"api_key\":\"%s\"}}"
           "\n",
           fp_server_port (srv), BASE_CONFIG, fp_server_token (srv));
  fclose (f);
  unlink (e.out);
  int rc = h_sync (&e, "full");
  show_output (&e, "https to http");
  ck_assert_int_lt (rc, 128);
  ck_assert_int_eq (rc, 1);
  h_assert_one_error_line (&e, "cannot reach Paperless-ngx at https://");
  ck_assert (h_file_contains (e.out, "TLS handshake failed"));
  assert_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* Nothing listens: connection refused is retried, then one line. */
START_TEST (connection_refused)
{
  fp_server *srv = start_server (NULL, NULL);
  h_env e;
  h_setup (&e, srv, BASE_CONFIG);
  FILE *f = fopen (e.config, "w");
  ck_assert_ptr_nonnull (f);
  /* Port 1 on loopback: nothing listens there. */
  fprintf (f,
           "{\"source_id\":\"src1\",\"source_config\":{\"base_url\":"
           "\"http://127.0.0.1:1\",%s},\"credentials\":{\"api_key\":\"%s\"}}"
           "\n",
           BASE_CONFIG, fp_server_token (srv));
  fclose (f);
  unlink (e.out);
  int rc = h_sync (&e, "full");
  show_output (&e, "refused");
  ck_assert_int_eq (rc, 1);
  h_assert_one_error_line (&e,
                           "cannot reach Paperless-ngx at http://127.0.0.1:1");
  assert_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* The most verbose the host and the plugin get (debug level, libcurl's
 * own transfer log): still no token anywhere. */
START_TEST (token_absent_at_debug_level)
{
  fp_server *srv = start_server (NULL, NULL);
  h_env e;
  h_setup (&e, srv, BASE_CONFIG);
  setenv ("OMNI_PAPERLESS_CURL_DEBUG", "1", 1);
  ck_assert_int_eq (h_wait (h_sync_start (&e, "full", "-v")), 0);
  fp_doc_edit edit = {.title = "Edited"};
  ck_assert_int_eq (fp_server_edit_document (srv, 3, &edit), 0);
  ck_assert_int_eq (h_wait (h_sync_start (&e, "incremental", "-v")), 0);
  unsetenv ("OMNI_PAPERLESS_CURL_DEBUG");
  show_output (&e, "debug level");
  ck_assert (h_file_contains (e.out, "debug: curl: "));
  ck_assert (h_file_contains (e.out, "paperless_ngx: debug: "));
  assert_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* A long wait (Retry-After: 60) is reported to the host, which keeps its
 * heartbeat with it ("waiting 60 s"), and a stop request (SIGTERM) ends it
 * at once: the run stops with its state saved, and the next sync resumes
 * and completes. */
START_TEST (long_wait_is_reported_and_interruptible)
{
  char why[300];
  fp_server *srv = start_server (NULL, NULL);
  h_env e;
  h_setup (&e, srv, BASE_CONFIG ",\"max_retry_wait\":60,\"max_retries\":3");
  fp_fault f = {.path_prefix = "/api/documents/",
                .query_contains = Q_CHUNK,
                .nth = 2,
                .kind = FP_FAULT_STATUS,
                .status = 429,
                .retry_after = "60"};
  ck_assert_int_gt (fp_server_add_fault (srv, &f), 0);
  pid_t pid = h_sync_start (&e, "full", NULL);
  /* Until the host says it waits (at most 60 s: valgrind is slow). */
  for (int i = 0; i < 600 && !h_file_contains (e.out, "waiting 60 s"); i++)
    usleep (100 * 1000);
  ck_assert_msg (h_file_contains (e.out, "waiting 60 s"),
                 "the host was not told about the wait");
  struct timespec t0, t1;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  ck_assert_int_eq (kill (pid, SIGTERM), 0);
  int rc = h_wait (pid);
  clock_gettime (CLOCK_MONOTONIC, &t1);
  show_output (&e, "long wait");
  ck_assert_int_eq (rc, 130);
  /* Well under the 60 s asked for, valgrind's exit included. */
  ck_assert_msg (t1.tv_sec - t0.tv_sec < 20, "the wait was not interrupted");
  fp_server_clear_faults (srv);
  ck_assert_int_eq (h_sync (&e, "full"), 0);
  ck_assert (h_converged (&e, why, sizeof why));
  assert_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* ---- a list that shrinks while it is read ----------------------------- */

static void
trash_first_sixty (fp_server *s, void *user)
{
  (void)user;
  for (int64_t id = 1; id <= 60; id++)
    fp_server_trash_document (s, id); /* an id already gone is no matter */
}

/* Documents trashed while the id reconciliation walks its pages shift the
 * later ones onto pages already read (and page 2 may answer 404): those
 * must not be taken for deleted.  Only the trashed ones leave the index. */
START_TEST (list_shrinking_under_the_reconciliation)
{
  char why[300];
  fp_server *srv = start_server (NULL, NULL);
  h_env e;
  int64_t *before = NULL;
  size_t n_before = fp_server_visible_ids (srv, 0, &before);

  ck_assert_uint_gt (n_before, 100); /* more than one reconciliation page */
  h_setup (&e, srv, BASE_CONFIG);
  ck_assert_int_eq (h_sync (&e, "full"), 0);
  /* Right after page 1 of the reconciliation (the third documents request
   * of an incremental sync with nothing changed: probe, listing, page 1). */
  ck_assert_int_gt (
      fp_server_add_hook (srv, "/api/documents/", 3, trash_first_sixty, NULL),
      0);
  ck_assert_int_eq (h_sync (&e, "incremental"), 0);
  show_output (&e, "shrinking");
  ck_assert (h_file_contains (e.out, "still there"));
  /* Nothing visible is missing from the index; the trashed are deleted at
   * the latest by the next sync. */
  h_index ix;
  h_replay (&e, &ix);
  int64_t *now = NULL;
  size_t n_now = fp_server_visible_ids (srv, 0, &now);
  for (size_t i = 0; i < n_now; i++) {
    bool found = false;
    for (size_t j = 0; j < ix.n && !found; j++)
      found = ix.ids[j] == now[i];
    ck_assert_msg (found, "document %lld was taken for deleted",
                   (long long)now[i]);
  }
  h_index_free (&ix);
  ck_assert_int_eq (h_sync (&e, "incremental"), 0);
  ck_assert (h_converged (&e, why, sizeof why));
  assert_secret (&e);
  free (before);
  free (now);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* ---- lookups the token cannot read ------------------------------------ */

/* A tag the token cannot see (the sample archive's #23), on documents in
 * many chunks, and a 403 on /api/users/: the lookups are read again once
 * (the tag might be new), not once per chunk, and each 403 is reported
 * once per sync, not again with every reading. */
START_TEST (invisible_lookups_cost_one_refresh)
{
  char path[512], err[256];
  const char *top = getenv ("top_srcdir");
  snprintf (path, sizeof path, "%s/tests/data/sample-corpus.json",
            top && *top ? top : ".");
  fp_options o
      = {.corpus_path = path, .clock_start_us = INT64_C (1798761600000000)};
  fp_server *srv = fp_server_start (&o, err, sizeof err);
  ck_assert_msg (srv != NULL, "%s", err);
  int64_t *ids = NULL;
  size_t n = fp_server_visible_ids (srv, 0, &ids);
  static const int64_t tags[] = {23};
  for (size_t i = 0; i < n; i += 7) {
    fp_doc_edit edit = {.tags = tags, .n_tags = 1, .set_tags = 1};
    ck_assert_int_eq (fp_server_edit_document (srv, ids[i], &edit), 0);
  }
  free (ids);
  fp_server_set_forbidden (srv, "users", 1);
  h_env e;
  h_setup (&e, srv, BASE_CONFIG ",\"page_size\":5");
  ck_assert_int_eq (h_sync (&e, "full"), 0);
  show_output (&e, "invisible lookups");
  size_t len = 0;
  char *out = h_slurp (e.out, &len);
  ck_assert_ptr_nonnull (out);
  int refreshes = 0, warnings = 0;
  for (char *p = out; (p = strstr (p, "reading them again")) != NULL; p++)
    refreshes++;
  for (char *p = out; (p = strstr (p, "cannot read /api/users/")) != NULL; p++)
    warnings++;
  free (out);
  ck_assert_int_eq (refreshes, 1);
  ck_assert_int_eq (warnings, 1);
  ck_assert_uint_eq (fp_server_log_count_path (srv, "/api/tags/"), 2);
  ck_assert (h_file_contains (e.events, "#23"));
  assert_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("hostile");
  TCase *tc = tcase_create ("table");
  tcase_set_timeout (tc, 120);
  tcase_add_loop_test (tc, hostile_case, 0, (int)N_CASES);
  suite_add_tcase (s, tc);
  TCase *tt = tcase_create ("transport");
  tcase_set_timeout (tt, 120);
  tcase_add_test (tt, path_prefix_end_to_end);
  tcase_add_test (tt, tls_insecure_warns_every_sync);
  tcase_add_test (tt, https_to_plain_http_server);
  tcase_add_test (tt, connection_refused);
  tcase_add_test (tt, list_shrinking_under_the_reconciliation);
  tcase_add_test (tt, invisible_lookups_cost_one_refresh);
  tcase_add_test (tt, token_absent_at_debug_level);
  tcase_add_test (tt, long_wait_is_reported_and_interruptible);
  suite_add_tcase (s, tt);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
