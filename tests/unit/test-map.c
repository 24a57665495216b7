/* test-map.c: whole documents, as issue 3 specifies them — Markdown
 * content, metadata, attributes, permissions — from fixtures in the shapes
 * of each server generation, plus the size cap, broken text, missing and
 * unreadable lookups, both permission modes and hostile input. */
#include <config.h>

#include <time.h>

#include "map-test.h"
#include "opl-map-extra.h"

static opl_lookups lk;
static mt_log logbuf;
static opl_log log_sink;
static opl_mapper *mapper;
static opl_doc doc;
static json_object *meta, *attrs, *perms;
static char err[256];

static opl_map_config
config (void)
{
  return (opl_map_config){
      .source_id = "src-1",
      .ui_base_url = "https://paperless.example.com/",
      .max_content_chars = 0, /* default */
      .permissions = OPL_PERM_PAPERLESS,
      .api_version = 10,
  };
}

static void
setup (void)
{
  mt_load_all (&lk, "custom_fields.json");
  memset (&logbuf, 0, sizeof logbuf);
  log_sink = (opl_log){.fn = mt_log_fn, .ud = &logbuf};
  opl_map_config cfg = config ();
  mapper = opl_mapper_new (&cfg, &log_sink);
  ck_assert_ptr_nonnull (mapper);
  memset (&doc, 0, sizeof doc);
  meta = attrs = perms = NULL;
}

static void
drop_parsed (void)
{
  json_object_put (meta);
  json_object_put (attrs);
  json_object_put (perms);
  meta = attrs = perms = NULL;
}

static void
teardown (void)
{
  drop_parsed ();
  opl_doc_clear (&doc);
  opl_mapper_free (mapper);
  opl_lookups_clear (&lk);
}

static void
replace_mapper (const opl_map_config *cfg)
{
  opl_mapper_free (mapper);
  mapper = opl_mapper_new (cfg, &log_sink);
  ck_assert_ptr_nonnull (mapper);
}

/* Valid UTF-8 without NUL: repairing changes nothing. */
static void
assert_clean_utf8 (const char *s, size_t len)
{
  opl_buf b;
  opl_buf_init (&b);
  opl_utf8_append_repaired (&b, s, len);
  ck_assert_uint_eq (b.len, len);
  ck_assert (len == 0 || memcmp (b.data, s, len) == 0);
  opl_buf_free (&b);
}

/* The repair, byte by byte, the slow and obvious way: the reference the
 * word-at-a-time version must match. */
static size_t
ref_seq_len (const unsigned char *p, size_t avail)
{
  uint32_t cp;
  size_t n;

  if (p[0] < 0x80)
    return 1;
  n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc0 ? 2 : 0;
  if (n == 0 || n > avail || p[0] > 0xf4)
    return 0;
  cp = p[0] & (0x7f >> n);
  for (size_t k = 1; k < n; k++) {
    if ((p[k] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (p[k] & 0x3f);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800)
      || (n == 4 && cp < 0x10000) || cp > 0x10ffff
      || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

START_TEST (repair_matches_reference)
{
  /* Pieces that land at every offset of a word and across the 16 KB
   * slices: ASCII, NUL, valid sequences, and broken ones. */
  static const char *const pieces[] = {"abc ",
                                       "\n",
                                       "\xc3\xa9",
                                       "\xe2\x82\xac",
                                       "\xf0\x9f\x98\x80",
                                       "\xff",
                                       "\xc3",
                                       "\xe2\x82",
                                       "\xed\xa0\x80",
                                       "\xc0\xaf",
                                       "x",
                                       "0123456789ab",
                                       "\xf4\x90\x80\x80",
                                       "\x80"};
  size_t cap = 70 * 1024, n = 0;
  unsigned char *in = malloc (cap + 8), *want = malloc (3 * cap + 32);
  unsigned seed = 11;
  opl_buf b;

  ck_assert_ptr_nonnull (in);
  ck_assert_ptr_nonnull (want);
  while (n < cap) {
    const char *piece;
    seed = seed * 1103515245u + 12345u;
    piece = pieces[(seed >> 16) % (sizeof pieces / sizeof pieces[0])];
    if ((seed >> 8) % 97 == 0)
      in[n++] = '\0';
    memcpy (in + n, piece, strlen (piece));
    n += strlen (piece);
  }
  for (size_t len = 0; len <= n; len = len < 64 ? len + 1 : len * 3 + 7) {
    size_t w = 0, chars = 0, got;
    for (size_t i = 0; i < len;) {
      size_t k = in[i] ? ref_seq_len (in + i, len - i) : 0;
      if (in[i] == 0) {
        i++;
        continue;
      }
      if (k == 0) {
        memcpy (want + w, "\xef\xbf\xbd", 3);
        w += 3;
        i++;
      } else {
        memcpy (want + w, in + i, k);
        w += k;
        i += k;
      }
      chars++;
    }
    opl_buf_init (&b);
    opl_buf_puts (&b, "pre");
    got = opl_utf8_append_repaired (&b, (const char *)in, len);
    ck_assert_uint_eq (got, chars);
    ck_assert_uint_eq (b.len, 3 + w);
    ck_assert (memcmp (b.data, "pre", 3) == 0);
    ck_assert_msg (memcmp (b.data + 3, want, w) == 0, "differs, length %zu",
                   len);
    ck_assert_int_eq (b.data[b.len], '\0');
    opl_buf_free (&b);
  }
  free (in);
  free (want);
}
END_TEST

/* Map a parsed document with the given tables; parse the JSON parts. */
static void
map_obj (const opl_lookups *tables, json_object *d)
{
  drop_parsed ();
  opl_doc_clear (&doc);
  err[0] = '\0';
  omni_status rc = opl_mapper_map (mapper, tables, d, &doc, err, sizeof err);
  ck_assert_msg (rc == OMNI_OK, "map: %d %s", rc, err);
  ck_assert_uint_eq (strlen (doc.content), doc.content_len);
  assert_clean_utf8 (doc.content, doc.content_len);
  meta = mt_parse (doc.metadata_json);
  attrs = mt_parse (doc.attributes_json);
  perms = mt_parse (doc.permissions_json);
}

static void
map_fixture (const char *name)
{
  json_object *d = mt_fixture (name);
  map_obj (&lk, d);
  json_object_put (d);
}

static void
map_text (const opl_lookups *tables, const char *json)
{
  json_object *d = mt_parse (json);
  map_obj (tables, d);
  json_object_put (d);
}

/* String at a dotted path ("extra.owner"); NULL when absent. */
static const char *
str_at (json_object *o, const char *path)
{
  char key[128];
  const char *dot;
  while ((dot = strchr (path, '.')) != NULL) {
    snprintf (key, sizeof key, "%.*s", (int)(dot - path), path);
    o = opl_json_get_object (o, key);
    path = dot + 1;
  }
  const char *s;
  return opl_json_get_string (o, path, &s, NULL) ? s : NULL;
}

static bool
has_key (json_object *o, const char *key)
{
  return json_object_object_get_ex (o, key, NULL);
}

#define ASSERT_STR(o, path, want) ck_assert_str_eq (str_at (o, path), want)

static const char V10_CONTENT[]
    = "# Electricity bill March\n"
      "\n"
      "## Metadata\n"
      "\n"
      "- **Correspondent:** Stadtwerke Nord\n"
      "- **Document Type:** Invoice\n"
      "- **Tags:** 2024, Finance, Invoices, inbox\n"
      "- **Created:** 2024-03-05\n"
      "- **Added:** 2024-03-06\n"
      "- **Modified:** 2024-03-09 08:15\n"
      "- **Original File:** bill-2024-03.pdf\n"
      "- **Storage Path:** Utilities\n"
      "- **Archive Serial Number:** 4294967295\n"
      "- **Custom Fields:**\n"
      "  - Invoice number: INV-2024-0042\n"
      "  - Notes: Line one\n"
      "    Line two\n"
      "  - Portal: https://portal.example.com/bills/42\n"
      "  - Due date: 2024-04-01\n"
      "  - Paid: no\n"
      "  - Pages: 3\n"
      "  - Rate: 0.1\n"
      "  - Amount: 1234.50 EUR\n"
      "  - Deposit: 99.9 USD\n"
      "  - Related: Water bill (#102), #7\n"
      "  - Priority: Low\n"
      "  - Ünïcode Naïve – Größe: Grüße\n"
      "  - Привет: да\n"
      "  - Future: {\"lat\":52.5,\"lon\":13.4}\n"
      "  - field 777: x\n"
      "\n"
      "## Notes\n"
      "\n"
      "### alice — 2024-03-10 09:05\n"
      "\n"
      "Paid by bank transfer.\n"
      "\n"
      "### unknown — 2024-03-11 17:30\n"
      "\n"
      "Author left the company.\n"
      "\n"
      "## Content\n"
      "\n"
      "Invoice no. 2024-0042\n"
      "Total due: 123.45 EUR\n";

static const char *
titles (void *ud, int64_t id)
{
  (void)ud;
  return id == 102 ? "Water bill" : NULL;
}

START_TEST (v10_document)
{
  opl_mapper_set_doc_title (mapper, titles, NULL);
  map_fixture ("doc-v10.json");
  ck_assert_int_eq (doc.id, 101);
  ck_assert_str_eq (doc.external_id, "paperless:src-1:101");
  ck_assert_str_eq (doc.content, V10_CONTENT);
  ck_assert_str_eq (doc.modified, "2024-03-09T08:15:30.25+01:00");

  ASSERT_STR (meta, "title", "Electricity bill March");
  ASSERT_STR (meta, "author", "Stadtwerke Nord");
  ASSERT_STR (meta, "created_at", "2024-03-05T00:00:00Z");
  ASSERT_STR (meta, "updated_at", "2024-03-09T08:15:30.250000+01:00");
  ASSERT_STR (meta, "content_type", "document");
  ASSERT_STR (meta, "mime_type", "text/markdown");
  ASSERT_STR (meta, "url",
              "https://paperless.example.com/documents/101/details");
  ASSERT_STR (meta, "path", "Utilities");
  char size[32];
  snprintf (size, sizeof size, "%zu", doc.content_len);
  ASSERT_STR (meta, "size", size);
  ASSERT_STR (meta, "extra.mime_type", "application/pdf");
  ASSERT_STR (meta, "extra.owner", "alice");
  json_object *extra = opl_json_get_object (meta, "extra");
  int64_t n;
  ck_assert (opl_json_get_int (extra, "note_count", &n));
  ck_assert_int_eq (n, 2);
  ck_assert (opl_json_get_int (extra, "page_count", &n));
  ck_assert_int_eq (n, 2);
  ck_assert_str_eq (
      json_object_to_json_string_ext (opl_json_get_array (extra, "tag_paths"),
                                      JSON_C_TO_STRING_PLAIN
                                          | JSON_C_TO_STRING_NOSLASHESCAPE),
      "[\"Finance\",\"Finance/Invoices\",\"Finance/Invoices/2024\","
      "\"inbox\"]");
  ASSERT_STR (meta, "extra.custom_fields.Invoice number", "INV-2024-0042");
  ASSERT_STR (meta, "extra.custom_fields.Notes", "Line one\nLine two");
  ASSERT_STR (meta, "extra.custom_fields.Amount", "1234.50 EUR");
  ASSERT_STR (meta, "extra.custom_fields.Priority", "Low");
  ASSERT_STR (meta, "extra.custom_fields.field 777", "x");
  ck_assert_int_eq (
      json_object_object_length (opl_json_get_object (extra, "custom_fields")),
      15);
  ck_assert (!has_key (opl_json_get_object (extra, "custom_fields"), "Empty"));

  ASSERT_STR (attrs, "source_type", "paperless_ngx");
  ASSERT_STR (attrs, "paperless_id", "101");
  ASSERT_STR (attrs, "correspondent", "Stadtwerke Nord");
  ASSERT_STR (attrs, "document_type", "Invoice");
  ASSERT_STR (attrs, "tags", "2024, Finance, Invoices, inbox");
  ASSERT_STR (attrs, "storage_path", "Utilities");
  ASSERT_STR (attrs, "original_file_name", "bill-2024-03.pdf");
  ASSERT_STR (attrs, "archive_serial_number", "4294967295");
  ASSERT_STR (attrs, "cf_invoice_number", "INV-2024-0042");
  ASSERT_STR (attrs, "cf_notes", "Line one\nLine two");
  ASSERT_STR (attrs, "cf_portal", "https://portal.example.com/bills/42");
  ASSERT_STR (attrs, "cf_due_date", "2024-04-01");
  ASSERT_STR (attrs, "cf_paid", "no");
  ASSERT_STR (attrs, "cf_pages", "3");
  ASSERT_STR (attrs, "cf_rate", "0.1");
  ASSERT_STR (attrs, "cf_amount", "1234.50 EUR");
  ASSERT_STR (attrs, "cf_deposit", "99.9 USD");
  ASSERT_STR (attrs, "cf_related", "Water bill (#102), #7");
  ASSERT_STR (attrs, "cf_priority", "Low");
  ASSERT_STR (attrs, "cf_unicode_naive_grosse", "Grüße");
  ASSERT_STR (attrs, "cf_52", "да");
  ASSERT_STR (attrs, "cf_future", "{\"lat\":52.5,\"lon\":13.4}");
  ASSERT_STR (attrs, "cf_777", "x");
  ck_assert (!has_key (attrs, "cf_empty"));
  ck_assert_int_eq (json_object_object_length (attrs), 23);

  ck_assert_str_eq (
      doc.permissions_json,
      "{\"public\":false,\"users\":[\"alice@example.com\",\"bob\","
      "\"carol@example.org\"],\"groups\":[\"Accounting\","
      "\"Management\"]}");
  /* One log line: the geolocation field nobody can interpret. */
  ck_assert_int_eq (logbuf.count, 1);
  ck_assert_ptr_nonnull (strstr (logbuf.text, "\"Future\""));
}
END_TEST

START_TEST (v10_without_resolver)
{
  map_fixture ("doc-v10.json");
  ck_assert_ptr_nonnull (strstr (doc.content, "  - Related: #102, #7\n"));
  ASSERT_STR (attrs, "cf_related", "#102, #7");
  /* The same mapper again: the oddity is not logged twice. */
  map_fixture ("doc-v10.json");
  ck_assert_int_eq (logbuf.count, 1);
}
END_TEST

/* 2.16-2.20 asked for API 6: local-midnight created, note user ids, select
 * by index into a label list. */
START_TEST (v6_document)
{
  opl_lookup_table_clear (&lk.t[OPL_LK_CUSTOM_FIELDS]);
  mt_load_table (&lk, OPL_LK_CUSTOM_FIELDS, "custom_fields_v6.json");
  opl_map_config cfg = config ();
  cfg.api_version = 6;
  replace_mapper (&cfg);
  map_fixture ("doc-v6.json");
  ck_assert_str_eq (doc.content, "# Letter from ACME\n"
                                 "\n"
                                 "## Metadata\n"
                                 "\n"
                                 "- **Correspondent:** ACME GmbH\n"
                                 "- **Document Type:** Letter\n"
                                 "- **Tags:** Orphan\n"
                                 "- **Created:** 2024-12-21\n"
                                 "- **Added:** 2024-12-21\n"
                                 "- **Modified:** 2024-12-21 21:41\n"
                                 "- **Original File:** scan_0001.pdf\n"
                                 "- **Archive Serial Number:** 0\n"
                                 "- **Custom Fields:**\n"
                                 "  - Priority: Low\n"
                                 "  - Amount: -5.00 EUR\n"
                                 "\n"
                                 "## Notes\n"
                                 "\n"
                                 "### carol — 2025-01-02 16:03\n"
                                 "\n"
                                 "Called them back.\n"
                                 "\n"
                                 "### #77 — 2025-01-03 08:00\n"
                                 "\n"
                                 "Unknown author id.\n"
                                 "\n"
                                 "## Content\n"
                                 "\n"
                                 "Dear customer,\n"
                                 "\n"
                                 "please find enclosed ...\n");
  ASSERT_STR (meta, "created_at", "2024-12-21T00:00:00+01:00");
  ASSERT_STR (meta, "updated_at", "2024-12-21T21:41:49.907469+01:00");
  ck_assert (!has_key (meta, "path"));
  ASSERT_STR (meta, "extra.owner", "bob");
  ck_assert (!has_key (opl_json_get_object (meta, "extra"), "mime_type"));
  ck_assert_str_eq (
      json_object_to_json_string_ext (
          opl_json_get_array (opl_json_get_object (meta, "extra"), "tag_paths"),
          JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
      "[\"#99/Orphan\"]");
  ASSERT_STR (attrs, "tags", "Orphan");
  ASSERT_STR (attrs, "archive_serial_number", "0");
  ASSERT_STR (attrs, "cf_priority", "Low");
  ASSERT_STR (attrs, "cf_amount", "-5.00 EUR");
  ck_assert (!has_key (attrs, "storage_path"));
  /* Owner bob has no email: his username; unknown user and group: ids. */
  ck_assert_str_eq (doc.permissions_json,
                    "{\"public\":false,\"users\":[\"bob\",\"#77\"],"
                    "\"groups\":[\"Accounting\",\"#9\"]}");
  ck_assert_int_eq (logbuf.count, 0);
}
END_TEST

/* 2.13.1-2.14: notes as model dumps with deleted_at; created a datetime;
 * monetary numbers (before 2.6) on the v7+ definitions. */
START_TEST (v214_document)
{
  map_fixture ("doc-v214.json");
  ck_assert_str_eq (doc.content, "# Old style\n"
                                 "\n"
                                 "## Metadata\n"
                                 "\n"
                                 "- **Correspondent:** Stadtwerke Nord\n"
                                 "- **Created:** 2023-06-30\n"
                                 "- **Added:** 2023-07-01\n"
                                 "- **Modified:** 2023-07-01 10:00\n"
                                 "- **Original File:** old.pdf\n"
                                 "- **Custom Fields:**\n"
                                 "  - Deposit: 12.5 USD\n"
                                 "  - Amount: 1000\n"
                                 "  - Priority: High\n"
                                 "\n"
                                 "## Notes\n"
                                 "\n"
                                 "### alice — 2023-07-01 11:00\n"
                                 "\n"
                                 "kept\n"
                                 "\n"
                                 "## Content\n"
                                 "\n"
                                 "text\n");
  ASSERT_STR (meta, "created_at", "2023-06-30T22:15:00Z");
  ck_assert_ptr_null (strstr (doc.content, "deleted note"));
  int64_t n;
  ck_assert (
      opl_json_get_int (opl_json_get_object (meta, "extra"), "note_count", &n));
  ck_assert_int_eq (n, 1);
  ck_assert (!has_key (opl_json_get_object (meta, "extra"), "page_count"));
  ck_assert (!has_key (opl_json_get_object (meta, "extra"), "tag_paths"));
  ck_assert (!has_key (attrs, "tags"));
  ck_assert (!has_key (attrs, "archive_serial_number"));
}
END_TEST

/* 2.15 development builds: notes as ids.  Counted, not shown, logged once. */
START_TEST (v215dev_note_ids)
{
  map_fixture ("doc-v215dev.json");
  ck_assert_ptr_null (strstr (doc.content, "## Notes"));
  int64_t n;
  ck_assert (
      opl_json_get_int (opl_json_get_object (meta, "extra"), "note_count", &n));
  ck_assert_int_eq (n, 2);
  ck_assert_int_eq (logbuf.count, 1);
  ck_assert_ptr_nonnull (strstr (logbuf.text, "ids only"));
  map_fixture ("doc-v215dev.json");
  ck_assert_int_eq (logbuf.count, 1);
  ck_assert_str_eq (doc.permissions_json,
                    "{\"public\":true,\"users\":[],\"groups\":[]}");
}
END_TEST

START_TEST (all_null_document)
{
  map_fixture ("doc-nulls.json");
  ck_assert_str_eq (doc.content, "# Document 5\n");
  ck_assert_ptr_null (doc.modified);
  ASSERT_STR (meta, "title", "Document 5");
  ck_assert (!has_key (meta, "author"));
  ck_assert (!has_key (meta, "created_at"));
  ck_assert (!has_key (meta, "updated_at"));
  ck_assert (!has_key (meta, "path"));
  ASSERT_STR (meta, "size", "13");
  ck_assert_str_eq (
      json_object_to_json_string_ext (opl_json_get_object (meta, "extra"),
                                      JSON_C_TO_STRING_PLAIN
                                          | JSON_C_TO_STRING_NOSLASHESCAPE),
      "{\"custom_fields\":{},\"note_count\":0}");
  ck_assert_str_eq (
      doc.attributes_json,
      "{\"source_type\":\"paperless_ngx\",\"paperless_id\":\"5\"}");
  ck_assert_str_eq (doc.permissions_json,
                    "{\"public\":true,\"users\":[],\"groups\":[]}");
  ck_assert_int_eq (logbuf.count, 0);
}
END_TEST

START_TEST (title_fallbacks)
{
  map_text (&lk,
            "{\"id\":8,\"title\":\"\",\"original_file_name\":\"scan.pdf\"}");
  ck_assert_str_eq (
      doc.content,
      "# scan.pdf\n\n## Metadata\n\n- **Original File:** scan.pdf\n");
  map_text (&lk, "{\"id\":9,\"title\":\"Two\\nlines\\r\\nhere\"}");
  ck_assert_str_eq (doc.content, "# Two lines  here\n");
  ASSERT_STR (meta, "title", "Two\nlines\r\nhere");
}
END_TEST

START_TEST (wrong_types_everywhere)
{
  map_fixture ("doc-wrong-types.json");
  ck_assert_str_eq (doc.content, "# Document 6\n"
                                 "\n"
                                 "## Metadata\n"
                                 "\n"
                                 "- **Custom Fields:**\n"
                                 "  - Pages: three\n"
                                 "  - Paid: true\n"
                                 "  - Rate: 1.5\n"
                                 "  - Due date: 01.04.2024\n"
                                 "  - Related: 102\n"
                                 "  - Priority: 99\n"
                                 "  - Amount: 1,234.50 EUR\n"
                                 "  - Invoice number: 42\n"
                                 "  - Notes: [\"a\",\"b\"]\n"
                                 "  - Portal: {\"href\":\"x\"}\n"
                                 "\n"
                                 "## Notes\n"
                                 "\n"
                                 "### unknown\n");
  ck_assert_ptr_null (doc.modified);
  ck_assert (!has_key (meta, "created_at"));
  ck_assert (!has_key (meta, "author"));
  ck_assert (!has_key (attrs, "correspondent"));
  ck_assert (!has_key (attrs, "document_type"));
  ck_assert (!has_key (attrs, "storage_path"));
  ck_assert (!has_key (attrs, "archive_serial_number"));
  ck_assert (!has_key (opl_json_get_object (meta, "extra"), "page_count"));
  ck_assert (!has_key (opl_json_get_object (meta, "extra"), "owner"));
  /* The owner is not an id: never public, nobody provable. */
  ck_assert_str_eq (doc.permissions_json,
                    "{\"public\":false,\"users\":[],\"groups\":[]}");
  /* Every oddity said once, never the values. */
  ck_assert_int_ge (logbuf.count, 10);
  ck_assert_ptr_nonnull (
      strstr (logbuf.text, "\"correspondent\" is not an id"));
  ck_assert_ptr_nonnull (strstr (logbuf.text, "\"tags\" is not a list"));
  ck_assert_ptr_nonnull (strstr (logbuf.text, "\"created\" is not a date"));
  ck_assert_ptr_nonnull (strstr (logbuf.text, "\"content\" is not a string"));
  ck_assert_ptr_nonnull (strstr (logbuf.text, "full_perms"));
  int before = logbuf.count;
  map_fixture ("doc-wrong-types.json");
  ck_assert_int_eq (logbuf.count, before);
}
END_TEST

START_TEST (unmappable_documents)
{
  static const char *const bad[] = {
      "{}",           "{\"id\":\"5\"}", "{\"id\":0}",   "{\"id\":-2}",
      "{\"id\":1.5}", "{\"id\":null}",  "[{\"id\":1}]", "\"doc\"",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    json_object *d = mt_parse (bad[i]);
    memset (&doc, 0x5a, sizeof doc); /* must be reset, not freed */
    err[0] = '\0';
    ck_assert_int_eq (opl_mapper_map (mapper, &lk, d, &doc, err, sizeof err),
                      OMNI_ERR_INVALID);
    ck_assert_msg (err[0] != '\0', "%s", bad[i]);
    ck_assert_ptr_null (doc.content);
    ck_assert_ptr_null (doc.external_id);
    json_object_put (d);
  }
  ck_assert_int_eq (opl_mapper_map (mapper, &lk, NULL, &doc, NULL, 0),
                    OMNI_ERR_INVALID);
}
END_TEST

/* The cap cuts only the OCR text, at a code point, with a marker. */
START_TEST (size_cap)
{
  opl_map_config cfg = config ();
  cfg.max_content_chars = 10;
  replace_mapper (&cfg);
  map_text (&lk,
            "{\"id\":1,\"title\":\"Capped\",\"correspondent\":10,"
            "\"notes\":[{\"note\":\"A note longer than the cap, kept whole.\","
            "\"created\":\"2025-01-01T10:00:00Z\",\"user\":{\"id\":4,"
            "\"username\":\"alice\"}}],"
            "\"custom_fields\":[{\"field\":40,\"value\":\"a field value longer "
            "than ten characters\"}],"
            "\"content\":\"ÄÖÜäöüßéèêXYZ and more\"}");
  ck_assert_str_eq (
      doc.content,
      "# Capped\n"
      "\n"
      "## Metadata\n"
      "\n"
      "- **Correspondent:** Stadtwerke Nord\n"
      "- **Custom Fields:**\n"
      "  - Invoice number: a field value longer than ten characters\n"
      "\n"
      "## Notes\n"
      "\n"
      "### alice — 2025-01-01 10:00\n"
      "\n"
      "A note longer than the cap, kept whole.\n"
      "\n"
      "## Content\n"
      "\n"
      "ÄÖÜäöüßéèê\n"
      "\n"
      "*[Content truncated: the first 10 of 22 characters are "
      "shown.]*\n");

  /* Exactly at the cap: nothing cut, no marker. */
  map_text (&lk, "{\"id\":2,\"title\":\"T\",\"content\":\"0123456789\"}");
  ck_assert_str_eq (doc.content, "# T\n\n## Content\n\n0123456789\n");
  /* One more: cut. 4-byte code points count as one. */
  map_text (&lk, "{\"id\":3,\"title\":\"T\",\"content\":\"😀😀😀😀😀😀😀😀😀😀😀\"}");
  ck_assert_str_eq (doc.content,
                    "# T\n\n## Content\n\n😀😀😀😀😀😀😀😀😀😀\n\n*[Content truncated: "
                    "the first 10 of 11 characters are shown.]*\n");
  /* Invalid bytes count as the U+FFFD that replaces them. */
  const char raw[]
      = "{\"id\":4,\"title\":\"T\",\"content\":\"\xff\xff\xff\xff\xff"
        "\xff\xff\xff\xff\xff\xff\"}";
  map_text (&lk, raw);
  ck_assert_ptr_nonnull (strstr (doc.content, "the first 10 of 11"));
  ck_assert_int_eq (mt_count (doc.content, "\xEF\xBF\xBD"), 10);
}
END_TEST

START_TEST (default_cap)
{
  enum { N = 200005 };
  opl_buf b;
  opl_buf_init (&b);
  opl_buf_puts (&b, "{\"id\":1,\"title\":\"Big\",\"content\":\"");
  for (int i = 0; i < N; i++)
    opl_buf_puts (&b, i % 2 ? "é" : "x");
  opl_buf_puts (&b, "\"}");
  map_text (&lk, b.data);
  opl_buf_free (&b);
  ck_assert_ptr_nonnull (strstr (doc.content, "the first 200000 of 200005"));
  ck_assert_uint_eq (opl_utf8_count (doc.content, doc.content_len),
                     strlen ("# Big\n\n## Content\n\n") + 200000
                         + strlen ("\n\n*[Content truncated: the first 200000 "
                                   "of 200005 characters are shown.]*\n"));
}
END_TEST

START_TEST (broken_text)
{
  /* Invalid UTF-8, an escaped NUL and control characters from the server. */
  const char raw[] = "{\"id\":12,\"title\":\"Bad \xc3 \\u0000byte\\u0001\","
                     "\"original_file_name\":\"f\xff.pdf\","
                     "\"content\":\"ok \xed\xa0\x80 \\u0000end\\u001b[0m\","
                     "\"notes\":[{\"note\":\"n\xf5te\",\"user\":{\"username\":"
                     "\"u\xc0\xaf\"}}]}";
  map_text (&lk, raw);
  ck_assert_str_eq (doc.content,
                    "# Bad \xEF\xBF\xBD byte\x01\n"
                    "\n"
                    "## Metadata\n"
                    "\n"
                    "- **Original File:** f\xEF\xBF\xBD.pdf\n"
                    "\n"
                    "## Notes\n"
                    "\n"
                    "### u\xEF\xBF\xBD\xEF\xBF\xBD\n"
                    "\n"
                    "n\xEF\xBF\xBDte\n"
                    "\n"
                    "## Content\n"
                    "\n"
                    "ok \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD end\x1b[0m\n");
  ASSERT_STR (meta, "title", "Bad \xEF\xBF\xBD byte\x01");
  /* json-c escapes control characters in the JSON text. */
  ck_assert_ptr_nonnull (strstr (doc.metadata_json, "byte\\u0001"));
  ck_assert_ptr_null (strchr (doc.metadata_json, '\x01'));
  assert_clean_utf8 (doc.metadata_json, strlen (doc.metadata_json));
  assert_clean_utf8 (doc.attributes_json, strlen (doc.attributes_json));
  ASSERT_STR (attrs, "original_file_name", "f\xEF\xBF\xBD.pdf");
}
END_TEST

/* Ids the tables do not hold (created during the sync, or not visible to
 * the token): "#<id>" and "field <id>", never dropped. */
START_TEST (lookup_misses)
{
  opl_lookups empty;
  opl_lookups_init (&empty);
  json_object *d = mt_fixture ("doc-v10.json");
  ck_assert (opl_map_has_unknown_refs (&empty, d));
  map_obj (&empty, d);
  json_object_put (d);
  ck_assert_ptr_nonnull (strstr (doc.content, "- **Correspondent:** #10\n"
                                              "- **Document Type:** #20\n"
                                              "- **Tags:** #1, #2, #3, #4\n"));
  ck_assert_ptr_nonnull (strstr (doc.content, "- **Storage Path:** #30\n"));
  ck_assert_ptr_nonnull (strstr (doc.content, "  - field 40: INV-2024-0042\n"));
  ck_assert_ptr_nonnull (strstr (doc.content, "  - field 44: no\n"));
  ck_assert_ptr_nonnull (strstr (doc.content, "  - field 49: [102,7]\n"));
  ck_assert_ptr_nonnull (
      strstr (doc.content, "  - field 50: Z9y8X7w6V5u4T3s2\n"));
  ck_assert_ptr_nonnull (strstr (doc.content, "### alice — "));
  ASSERT_STR (meta, "author", "#10");
  ASSERT_STR (meta, "path", "#30");
  ASSERT_STR (meta, "extra.owner", "#4");
  ASSERT_STR (meta, "extra.custom_fields.field 47", "EUR1234.50");
  ASSERT_STR (attrs, "cf_40", "INV-2024-0042");
  ASSERT_STR (attrs, "tags", "#1, #2, #3, #4");
  ck_assert_str_eq (doc.permissions_json,
                    "{\"public\":false,\"users\":[\"#4\",\"#5\",\"#6\"],"
                    "\"groups\":[\"#7\",\"#8\"]}");
  /* An unknown field is no oddity of its value: nothing logged. */
  ck_assert_int_eq (logbuf.count, 0);
  /* NULL tables: the same. */
  d = mt_fixture ("doc-v10.json");
  map_obj (NULL, d);
  ck_assert (!opl_map_has_unknown_refs (NULL, d));
  json_object_put (d);
  ASSERT_STR (attrs, "correspondent", "#10");
}
END_TEST

/* Fields whose names or attribute keys collide keep both values: the
 * later one is told apart by its id, never replaces the other. */
START_TEST (colliding_field_names)
{
  static const char fields[]
      = "[{\"id\":1,\"name\":\"Due date\",\"data_type\":\"string\"},"
        "{\"id\":2,\"name\":\"Due-Date\",\"data_type\":\"string\"},"
        "{\"id\":3,\"name\":\"field 7\",\"data_type\":\"string\"}]";
  static const char d_text[]
      = "{\"id\":5,\"title\":\"t\",\"custom_fields\":["
        "{\"field\":1,\"value\":\"one\"},{\"field\":2,\"value\":\"two\"},"
        "{\"field\":3,\"value\":\"three\"},{\"field\":7,\"value\":\"seven\"}]}";
  opl_lookups tables;
  char why[256];
  json_object *defs = mt_parse (fields), *d = mt_parse (d_text);

  opl_lookups_init (&tables);
  for (size_t i = 0; i < json_object_array_length (defs); i++)
    ck_assert_int_eq (opl_lookup_table_add (
                          &tables.t[OPL_LK_CUSTOM_FIELDS], OPL_LK_CUSTOM_FIELDS,
                          json_object_array_get_idx (defs, i), why, sizeof why),
                      OMNI_OK);
  opl_lookup_table_finish (&tables.t[OPL_LK_CUSTOM_FIELDS]);
  json_object_put (defs);
  map_obj (&tables, d);
  json_object_put (d);
  ASSERT_STR (attrs, "cf_due_date", "one");
  ASSERT_STR (attrs, "cf_due_date_2", "two");
  ASSERT_STR (attrs, "cf_field_7", "three");
  ASSERT_STR (attrs, "cf_7", "seven");
  ASSERT_STR (meta, "extra.custom_fields.Due date", "one");
  ASSERT_STR (meta, "extra.custom_fields.Due-Date", "two");
  ASSERT_STR (meta, "extra.custom_fields.field 7", "three");
  ASSERT_STR (meta, "extra.custom_fields.field 7 (#7)", "seven");
  opl_lookups_clear (&tables);
}
END_TEST

/* A lookup endpoint that answered 403: the same display, no refresh. */
START_TEST (lookups_unavailable)
{
  opl_lookups denied;
  opl_lookups_init (&denied);
  for (int k = 0; k < OPL_LK_COUNT; k++)
    denied.t[k].available = false;
  json_object *d = mt_fixture ("doc-v10.json");
  ck_assert (!opl_map_has_unknown_refs (&denied, d));
  map_obj (&denied, d);
  json_object_put (d);
  ASSERT_STR (attrs, "correspondent", "#10");
  ASSERT_STR (attrs, "cf_50", "Z9y8X7w6V5u4T3s2");
  /* Users unreadable only: names from the other tables, users by id. */
  opl_lookup_table_clear (&lk.t[OPL_LK_USERS]);
  lk.t[OPL_LK_USERS].available = false;
  opl_lookup_table_clear (&lk.t[OPL_LK_GROUPS]);
  lk.t[OPL_LK_GROUPS].available = false;
  map_fixture ("doc-v10.json");
  ck_assert_str_eq (doc.permissions_json,
                    "{\"public\":false,\"users\":[\"#4\",\"#5\",\"#6\"],"
                    "\"groups\":[\"#7\",\"#8\"]}");
  ASSERT_STR (attrs, "correspondent", "Stadtwerke Nord");
  /* Embedded note authors need no users table. */
  ck_assert_ptr_nonnull (
      strstr (doc.content, "### alice — 2024-03-10 09:05\n"));
  d = mt_fixture ("doc-v10.json");
  opl_lookup_table_clear (&lk.t[OPL_LK_CUSTOM_FIELDS]);
  mt_load_table (&lk, OPL_LK_CUSTOM_FIELDS, "custom_fields.json");
  ck_assert (opl_map_has_unknown_refs (&lk, d)); /* field 777 */
  json_object_put (d);
}
END_TEST

START_TEST (unknown_refs)
{
  static const struct {
    const char *json;
    bool unknown;
  } cases[] = {
      {"{\"id\":1,\"correspondent\":10,\"document_type\":21,\"storage_path\":"
       "30,"
       "\"tags\":[1,2,3,4],\"owner\":4,\"custom_fields\":[{\"field\":40,"
       "\"value\":null}],\"notes\":[{\"user\":6},{\"user\":{\"id\":99}},"
       "{\"user\":null}],\"permissions\":{\"view\":{\"users\":[5],\"groups\":["
       "7]},"
       "\"change\":{\"users\":[],\"groups\":[8]}}}",
       false},
      {"{\"id\":1,\"correspondent\":12}", true},
      {"{\"id\":1,\"document_type\":22}", true},
      {"{\"id\":1,\"storage_path\":31}", true},
      {"{\"id\":1,\"tags\":[4,6]}", true},
      {"{\"id\":1,\"tags\":[5]}", true}, /* its parent 99 */
      {"{\"id\":1,\"owner\":99}", true},
      {"{\"id\":1,\"custom_fields\":[{\"field\":999,\"value\":1}]}", true},
      {"{\"id\":1,\"notes\":[{\"user\":98}]}", true},
      {"{\"id\":1,\"permissions\":{\"view\":{\"users\":[97]}}}", true},
      {"{\"id\":1,\"permissions\":{\"change\":{\"groups\":[96]}}}", true},
      {"{\"id\":1,\"correspondent\":\"12\",\"tags\":\"5\",\"owner\":null,"
       "\"custom_fields\":[7],\"notes\":[40]}",
       false},
      {"[]", false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_object *d = mt_parse (cases[i].json);
    ck_assert_msg (opl_map_has_unknown_refs (&lk, d) == cases[i].unknown, "%s",
                   cases[i].json);
    json_object_put (d);
  }
  ck_assert (!opl_map_has_unknown_refs (&lk, NULL));
}
END_TEST

START_TEST (public_mode)
{
  opl_map_config cfg = config ();
  cfg.permissions = OPL_PERM_PUBLIC;
  replace_mapper (&cfg);
  map_fixture ("doc-v10.json");
  ck_assert_str_eq (doc.permissions_json,
                    "{\"public\":true,\"users\":[],\"groups\":[]}");
  map_fixture ("doc-wrong-types.json");
  ck_assert_str_eq (doc.permissions_json,
                    "{\"public\":true,\"users\":[],\"groups\":[]}");
  ck_assert_ptr_null (strstr (logbuf.text, "full_perms"));
}
END_TEST

START_TEST (paperless_mode_shapes)
{
  /* Owned, no grants list (full_perms not honoured): the owner only, and a
   * warning. */
  map_text (&lk, "{\"id\":1,\"owner\":6}");
  ck_assert_str_eq (doc.permissions_json,
                    "{\"public\":false,\"users\":[\"carol@example.org\"],"
                    "\"groups\":[]}");
  ck_assert_ptr_nonnull (strstr (logbuf.text, "full_perms"));
  /* No owner key at all: not provably unowned, so not public. */
  map_text (&lk, "{\"id\":2,\"permissions\":{\"view\":{\"users\":[4],"
                 "\"groups\":[]},\"change\":{\"users\":[4],\"groups\":[]}}}");
  ck_assert_str_eq (doc.permissions_json,
                    "{\"public\":false,\"users\":[\"alice@example.com\"],"
                    "\"groups\":[]}");
  /* Unowned with grants: public, grants add nothing. */
  map_text (&lk, "{\"id\":3,\"owner\":null,\"permissions\":{\"view\":{"
                 "\"users\":[4],\"groups\":[7]}}}");
  ck_assert_str_eq (doc.permissions_json,
                    "{\"public\":true,\"users\":[],\"groups\":[]}");
  /* Junk inside the grants is skipped. */
  map_text (&lk, "{\"id\":4,\"owner\":5,\"permissions\":{\"view\":{"
                 "\"users\":[\"4\",null,6.5,6],\"groups\":{\"7\":1}},"
                 "\"change\":[]}}");
  ck_assert_str_eq (
      doc.permissions_json,
      "{\"public\":false,\"users\":[\"bob\",\"carol@example.org\"],"
      "\"groups\":[]}");
  ck_assert_int_eq (mt_count (logbuf.text, "full_perms"), 1);
}
END_TEST

START_TEST (config_variants)
{
  opl_map_config cfg = {0}; /* nothing set */
  replace_mapper (&cfg);
  map_text (&lk, "{\"id\":7,\"title\":\"t\"}");
  ck_assert_str_eq (doc.external_id, "paperless::7");
  ck_assert (!has_key (meta, "url"));
  cfg.source_id = "abc";
  cfg.ui_base_url = "http://p.local:8000/sub///";
  replace_mapper (&cfg);
  map_text (&lk, "{\"id\":7,\"title\":\"t\"}");
  ck_assert_str_eq (doc.external_id, "paperless:abc:7");
  ASSERT_STR (meta, "url", "http://p.local:8000/sub/documents/7/details");
  opl_mapper *m = opl_mapper_new (NULL, NULL);
  ck_assert_ptr_nonnull (m);
  opl_mapper_free (m);
  opl_mapper_free (NULL);
  opl_doc_clear (NULL);
}
END_TEST

START_TEST (fields_list)
{
  static const char *const need[] = {
      "id",
      "title",
      "content",
      "tags",
      "correspondent",
      "document_type",
      "storage_path",
      "created",
      "created_date",
      "modified",
      "added",
      "archive_serial_number",
      "original_file_name",
      "owner",
      "permissions",
      "notes",
      "custom_fields",
      "page_count",
      "mime_type",
  };
  char list[1024];
  snprintf (list, sizeof list, ",%s,", opl_map_fields);
  for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
    char item[64];
    snprintf (item, sizeof item, ",%s,", need[i]);
    ck_assert_msg (strstr (list, item) != NULL, "%s", need[i]);
  }
  ck_assert_ptr_null (strchr (opl_map_fields, ' '));
}
END_TEST

/* 10,000 rich documents (16 custom fields, notes, grants) of 4 KB of OCR
 * text each.  The time is printed; the bound asserted is only a guard
 * against accidental quadratic work (a loaded CI runner must not flake),
 * and is skipped under valgrind. */
/* Maps a few thousand rich documents: a smoke test that large inputs work
 * and leak nothing.  Speed is measured by `make bench`, never asserted
 * here (a timed unit test is noise on a loaded machine). */
START_TEST (performance)
{
  enum { DOCS = 2000 };
  char ocr[4097];
  for (int i = 0; i < 4096; i++)
    ocr[i] = (char)('a' + i % 26);
  for (int i = 80; i < 4096; i += 81)
    ocr[i] = '\n';
  ocr[4096] = '\0';
  json_object *d = mt_fixture ("doc-v10.json");
  json_object_object_add (d, "content", json_object_new_string (ocr));
  const char *pre = getenv ("LD_PRELOAD");
  bool valgrind = pre && strstr (pre, "vgpreload");
  int docs = valgrind ? 50 : DOCS;
  int failures = 0;
  size_t bytes = 0;
  /* No check assertion inside the loop: each one costs a write(2). */
  clock_t t0 = clock ();
  for (int i = 0; i < docs; i++) {
    json_object_object_add (d, "id", json_object_new_int (i + 1));
    opl_doc_clear (&doc);
    failures
        += opl_mapper_map (mapper, &lk, d, &doc, err, sizeof err) != OMNI_OK;
    bytes += doc.content_len;
  }
  double secs = (double)(clock () - t0) / CLOCKS_PER_SEC;
  ck_assert_int_eq (failures, 0);
  ck_assert_uint_gt (bytes, (size_t)docs * 4096);
  json_object_put (d);
  fprintf (stderr, "performance: %d documents mapped in %.3f s of CPU\n", docs,
           secs);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("map");
  TCase *tc = tcase_create ("documents");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, v10_document);
  tcase_add_test (tc, repair_matches_reference);
  tcase_add_test (tc, colliding_field_names);
  tcase_add_test (tc, v10_without_resolver);
  tcase_add_test (tc, v6_document);
  tcase_add_test (tc, v214_document);
  tcase_add_test (tc, v215dev_note_ids);
  tcase_add_test (tc, all_null_document);
  tcase_add_test (tc, title_fallbacks);
  tcase_add_test (tc, wrong_types_everywhere);
  tcase_add_test (tc, unmappable_documents);
  tcase_add_test (tc, size_cap);
  tcase_add_test (tc, default_cap);
  tcase_add_test (tc, broken_text);
  tcase_add_test (tc, lookup_misses);
  tcase_add_test (tc, lookups_unavailable);
  tcase_add_test (tc, unknown_refs);
  tcase_add_test (tc, public_mode);
  tcase_add_test (tc, paperless_mode_shapes);
  tcase_add_test (tc, config_variants);
  tcase_add_test (tc, fields_list);
  suite_add_tcase (s, tc);
  tc = tcase_create ("performance");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, performance);
  suite_add_tcase (s, tc);
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
