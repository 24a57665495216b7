/* test-och-events.c: the event writer: Omni's shape, validation of what
 * the plugin hands over, durability and torn-line repair. */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "och.h"

static char path[64];

static void
setup (void)
{
  int fd;

  strcpy (path, "/tmp/och-events-XXXXXX");
  fd = mkstemp (path);
  ck_assert_int_ge (fd, 0);
  close (fd);
}

static void
teardown (void)
{
  unlink (path);
}

static char *
slurp (void)
{
  char *buf, err[OCH_ERRLEN];
  size_t len;

  ck_assert_int_eq (
      och_read_file (path, 1 << 20, &buf, &len, NULL, err, sizeof err), 0);
  return buf;
}

static omni_document
doc (const char *id, const char *content)
{
  omni_document d;

  memset (&d, 0, sizeof d);
  d.struct_size = sizeof d;
  d.document_id = id;
  d.content = content;
  d.content_len = strlen (content);
  d.metadata_json = "{\"title\": \"T\"}";
  d.permissions_json = "{\"public\": false, \"users\": [\"a@b.c\"]}";
  d.attributes_json = "{}";
  return d;
}

/* One-line object texts are copied as they are; a pretty-printed one is
 * re-serialised, so that each event stays one line.  Content is escaped
 * as json-c escapes ('/' as it is, controls as \u00xx). */
START_TEST (test_shape)
{
  och_events e;
  omni_document d = doc ("x:1", "line \"one\"\n\xc3\xa9/</\\\x01\x1f\b\f\r\t");
  char err[OCH_ERRLEN], *text;

  ck_assert_int_eq (och_events_open (&e, path, err, sizeof err), 0);
  ck_assert_int_eq (och_events_upsert (&e, true, "s", &d, err, sizeof err), 0);
  d.permissions_json = "{\n  \"public\": false,\r\n  \"users\": [\"a@b.c\"]\n}";
  ck_assert_int_eq (och_events_upsert (&e, false, "s", &d, err, sizeof err), 0);
  ck_assert_int_eq (och_events_delete (&e, "s", "x:1", err, sizeof err), 0);
  ck_assert_int_eq (och_events_sync (&e, err, sizeof err), 0);
  och_events_close (&e);
  text = slurp ();
  ck_assert_str_eq (
      text,
      "{\"type\":\"document_created\",\"source_id\":\"s\",\"document_id\":"
      "\"x:1\",\"content\":\"line \\\"one\\\"\\n\xc3\xa9/</\\\\\\u0001\\u001f"
      "\\b\\f\\r\\t\",\"metadata\":{\"title\": \"T\"},\"permissions\":"
      "{\"public\": false, \"users\": [\"a@b.c\"]},\"attributes\":{}}\n"
      "{\"type\":\"document_updated\",\"source_id\":\"s\",\"document_id\":"
      "\"x:1\",\"content\":\"line \\\"one\\\"\\n\xc3\xa9/</\\\\\\u0001\\u001f"
      "\\b\\f\\r\\t\",\"metadata\":{\"title\": \"T\"},\"permissions\":"
      "{\"public\":false,\"users\":[\"a@b.c\"]},\"attributes\":{}}\n"
      "{\"type\":\"document_deleted\",\"source_id\":\"s\",\"document_id\":"
      "\"x:1\"}\n");
  free (text);
}
END_TEST

START_TEST (test_embedded_nul_content)
{
  och_events e;
  omni_document d = doc ("x:2", "a");
  char err[OCH_ERRLEN], *text;

  d.content = "a\0b";
  d.content_len = 3;
  ck_assert_int_eq (och_events_open (&e, path, err, sizeof err), 0);
  ck_assert_int_eq (och_events_upsert (&e, true, "s", &d, err, sizeof err), 0);
  ck_assert_int_eq (och_events_sync (&e, err, sizeof err), 0);
  och_events_close (&e);
  text = slurp ();
  ck_assert_ptr_nonnull (strstr (text, "\"content\":\"a\\u0000b\""));
  free (text);
}
END_TEST

START_TEST (test_refuses_bad_input)
{
  och_events e;
  omni_document d;
  char err[OCH_ERRLEN], *text;

  ck_assert_int_eq (och_events_open (&e, path, err, sizeof err), 0);
  d = doc ("x:1", "ok");
  d.metadata_json = "{\"title\": ";
  ck_assert_int_eq (och_events_upsert (&e, true, "s", &d, err, sizeof err), -1);
  ck_assert_ptr_nonnull (strstr (err, "bad metadata for document x:1"));
  d = doc ("x:1", "ok");
  d.permissions_json = "[1]";
  ck_assert_int_eq (och_events_upsert (&e, true, "s", &d, err, sizeof err), -1);
  ck_assert_ptr_nonnull (strstr (err, "not a JSON object"));
  d = doc ("x:1", "ok");
  d.attributes_json = NULL;
  ck_assert_int_eq (och_events_upsert (&e, true, "s", &d, err, sizeof err), -1);
  d = doc ("x:1", "bad \xff utf-8");
  ck_assert_int_eq (och_events_upsert (&e, true, "s", &d, err, sizeof err), -1);
  ck_assert_ptr_nonnull (strstr (err, "non-UTF-8 content"));
  d = doc ("x:1", "ok");
  d.metadata_json = "{\"title\":\"bad \xff utf-8\"}";
  ck_assert_int_eq (och_events_upsert (&e, true, "s", &d, err, sizeof err), -1);
  ck_assert_ptr_nonnull (strstr (err, "bad metadata for document x:1"));
  d = doc ("x:1", "ok");
  d.metadata_json = "{} {}";
  ck_assert_int_eq (och_events_upsert (&e, true, "s", &d, err, sizeof err), -1);
  ck_assert_ptr_nonnull (strstr (err, "bad metadata for document x:1"));
  d = doc ("", "ok");
  ck_assert_int_eq (och_events_upsert (&e, true, "s", &d, err, sizeof err), -1);
  ck_assert_int_eq (och_events_delete (&e, "s", "\xc3", err, sizeof err), -1);
  /* A refusal after a good event takes back only its own bytes. */
  d = doc ("x:2", "fine");
  ck_assert_int_eq (och_events_upsert (&e, true, "s", &d, err, sizeof err), 0);
  d = doc ("x:3", "half");
  d.attributes_json = "{\"a\":";
  ck_assert_int_eq (och_events_upsert (&e, true, "s", &d, err, sizeof err), -1);
  ck_assert_int_eq (och_events_sync (&e, err, sizeof err), 0);
  och_events_close (&e);
  text = slurp ();
  /* nothing half-written */
  ck_assert_str_eq (
      text,
      "{\"type\":\"document_created\",\"source_id\":\"s\",\"document_id\":"
      "\"x:2\",\"content\":\"fine\",\"metadata\":{\"title\": \"T\"},"
      "\"permissions\":{\"public\": false, \"users\": [\"a@b.c\"]},"
      "\"attributes\":{}}\n");
  free (text);
}
END_TEST

START_TEST (test_torn_tail_repaired)
{
  och_events e;
  char err[OCH_ERRLEN], *text;
  FILE *f = fopen (path, "w");

  fputs ("{\"type\":\"document_deleted\",\"source_id\":\"s\",\"document_id\":"
         "\"a\"}\n{\"type\":\"docu",
         f);
  fclose (f);
  ck_assert_int_eq (och_events_open (&e, path, err, sizeof err), 0);
  ck_assert_int_eq (och_events_delete (&e, "s", "b", err, sizeof err), 0);
  ck_assert_int_eq (och_events_sync (&e, err, sizeof err), 0);
  och_events_close (&e);
  text = slurp ();
  ck_assert_str_eq (text, "{\"type\":\"document_deleted\",\"source_id\":\"s\","
                          "\"document_id\":\"a\"}\n"
                          "{\"type\":\"document_deleted\",\"source_id\":\"s\","
                          "\"document_id\":\"b\"}\n");
  free (text);

  /* A file that is one torn line becomes empty. */
  f = fopen (path, "w");
  fputs ("{\"ty", f);
  fclose (f);
  ck_assert_int_eq (och_events_open (&e, path, err, sizeof err), 0);
  och_events_close (&e);
  text = slurp ();
  ck_assert_str_eq (text, "");
  free (text);
}
END_TEST

START_TEST (test_spill_large)
{
  och_events e;
  char err[OCH_ERRLEN], *big, *text;
  omni_document d;
  size_t n = 3 * 1024 * 1024;

  big = malloc (n + 1);
  memset (big, 'x', n);
  big[n] = '\0';
  d = doc ("big", big);
  ck_assert_int_eq (och_events_open (&e, path, err, sizeof err), 0);
  ck_assert_int_eq (och_events_upsert (&e, true, "s", &d, err, sizeof err), 0);
  ck_assert_int_eq (och_events_upsert (&e, true, "s", &d, err, sizeof err), 0);
  ck_assert_int_eq (och_events_sync (&e, err, sizeof err), 0);
  och_events_close (&e);
  free (big);
  {
    size_t len;
    ck_assert_int_eq (
        och_read_file (path, 1 << 24, &text, &len, NULL, err, sizeof err), 0);
    ck_assert_uint_gt (len, 2 * n);
    ck_assert_int_eq (text[len - 1], '\n');
    free (text);
  }
}
END_TEST

/* The tree-less check accepts exactly RFC 8259 objects.  Where json-c
 * (strict, UTF-8 validated) is as strict, it agrees; where it is laxer
 * (single quotes, "1.", a raw tab in a string, overlong or surrogate UTF-8),
 * the check refuses.  Depth: as json-c's limit. */
START_TEST (test_check_object)
{
  static const struct {
    const char *text;
    int valid;
    int json_c_lax; /* json-c takes it though it is not JSON */
  } cases[] = {
      {"{}", 1, 0},
      {" \t\r\n{ } \n", 1, 0},
      {"{\"a\":1}", 1, 0},
      {"{\"a\":-0.5e+10,\"b\":[true,false,null,\"x\",{}],\"c\":{\"d\":[]}}", 1,
       0},
      {"{\"u\":\"\\u00e9\\n\\\"\\\\\\/\\b\\f\\r\\t\"}", 1, 0},
      {"{\"k\":\"h\xc3\xa9llo \xf0\x9f\x98\x80\"}", 1, 0},
      {"{\"a\":0,\"b\":10,\"c\":1.25,\"d\":2E3,\"e\":-7}", 1, 0},
      {"", 0, 0},
      {"[]", 0, 0},
      {"12", 0, 0},
      {"\"s\"", 0, 0},
      {"{", 0, 0},
      {"{\"a\"}", 0, 0},
      {"{\"a\":}", 0, 0},
      {"{\"a\":1,}", 0, 0},
      {"{\"a\":[1,]}", 0, 0},
      {"{\"a\":1 \"b\":2}", 0, 0},
      {"{a:1}", 0, 0},
      {"{'a':1}", 0, 1},
      {"{\"a\":01}", 0, 0},
      {"{\"a\":1.}", 0, 1},
      {"{\"a\":.5}", 0, 0},
      {"{\"a\":1e}", 0, 0},
      {"{\"a\":-}", 0, 0},
      {"{\"a\":+1}", 0, 0},
      {"{\"a\":tru}", 0, 0},
      {"{\"a\":nul}", 0, 0},
      {"{\"a\":True}", 0, 0},
      {"{\"a\":\"\\x\"}", 0, 0},
      {"{\"a\":\"\\u12\"}", 0, 0},
      {"{\"a\":\"\\u12g4\"}", 0, 0},
      {"{\"a\":\"tab\there\"}", 0, 1},
      {"{\"a\":\"\xff\"}", 0, 0},
      {"{\"a\":\"\xc0\xaf\"}", 0, 1},
      {"{\"a\":\"\xed\xa0\x80\"}", 0, 1},
      {"{\"a\":\"\xe2\x82\"}", 0, 0},
      {"{\"a\":\"open}", 0, 0},
      {"{} {}", 0, 0},
      {"{}x", 0, 0},
      {"{\"a\":1}/*c*/", 0, 0},
  };
  char err[OCH_ERRLEN], err2[OCH_ERRLEN];

  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    const char *t = cases[k].text;
    json_object *o = och_json_parse (t, strlen (t), err2, sizeof err2);
    int json_c = o != NULL && json_object_is_type (o, json_type_object);
    int got = och_json_check_object (t, strlen (t), err, sizeof err) == 0;
    ck_assert_msg (got == cases[k].valid, "case %zu (%s): check says %d (%s)",
                   k, t, got, err);
    if (!cases[k].json_c_lax)
      ck_assert_msg (json_c == got, "case %zu (%s): json-c says %d", k, t,
                     json_c);
    if (!got)
      ck_assert_ptr_nonnull (strstr (err, "JSON"));
    json_object_put (o);
  }
  for (int depth = 62; depth <= 66; depth++) {
    char deep[512];
    int n = 0;
    for (int d = 0; d < depth; d++, n += 5)
      memcpy (deep + n, "{\"k\":", 5);
    deep[n++] = '1';
    for (int d = 0; d < depth; d++)
      deep[n++] = '}';
    ck_assert_int_lt (n, (int)sizeof deep);
    deep[n] = '\0';
    json_object *o = och_json_parse (deep, (size_t)n, err2, sizeof err2);
    int got = och_json_check_object (deep, (size_t)n, err, sizeof err) == 0;
    ck_assert_msg (got == (o != NULL), "depth %d: check %d, json-c %d", depth,
                   got, o != NULL);
    json_object_put (o);
  }
  ck_assert_int_eq (och_json_check_object ("{\"a\":", 5, err, sizeof err), -1);
  ck_assert_str_eq (err, "invalid JSON: unexpected end of text at byte 5");
}
END_TEST

/* Compaction drops the whitespace between tokens, never inside strings. */
START_TEST (test_compact)
{
  const char *t = "{\n  \"a b\" : [ 1 ,\t\"x \\\" y\" ],\r\n \"c\\\\\": {} }";
  char out[64];
  size_t n = och_json_compact (t, strlen (t), out);

  out[n] = '\0';
  ck_assert_str_eq (out, "{\"a b\":[1,\"x \\\" y\"],\"c\\\\\":{}}");
}
END_TEST

/* Long content is escaped the same whatever slice or word a character
 * falls in: compare with json-c's own escaping of the same text, made of
 * ASCII, multi-byte characters, controls and quotes at every offset. */
START_TEST (test_long_content_escaped_like_json_c)
{
  static const char *const pieces[] = {"plain text ",
                                       "\xc3\xa9",
                                       "\n",
                                       "\"q\"",
                                       "\\",
                                       "\x01",
                                       "\xe2\x82\xac",
                                       "\xf0\x9f\x98\x80",
                                       "\t",
                                       "0123456789abcdef",
                                       "/"};
  size_t n = 0, cap = 200 * 1024;
  char *text = malloc (cap + 16), err[OCH_ERRLEN], *got;
  unsigned seed = 7;

  ck_assert_ptr_nonnull (text);
  while (n < cap) {
    const char *p;
    seed = seed * 1103515245u + 12345u;
    p = pieces[(seed >> 16) % (sizeof pieces / sizeof pieces[0])];
    memcpy (text + n, p, strlen (p));
    n += strlen (p);
  }
  text[n] = '\0';
  {
    och_events e;
    omni_document d = doc ("x:1", text);
    json_object *str = json_object_new_string_len (text, (int)n);
    const char *want = json_object_to_json_string_ext (
        str, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    size_t len;

    ck_assert_int_eq (och_events_open (&e, path, err, sizeof err), 0);
    ck_assert_int_eq (och_events_upsert (&e, true, "s", &d, err, sizeof err),
                      0);
    ck_assert_int_eq (och_events_sync (&e, err, sizeof err), 0);
    och_events_close (&e);
    ck_assert_int_eq (
        och_read_file (path, 1 << 24, &got, &len, NULL, err, sizeof err), 0);
    ck_assert_ptr_nonnull (strstr (got, want));
    json_object_put (str);
    free (got);
  }
  /* One bad byte anywhere, even deep in a later slice, refuses it all. */
  text[n - 3] = '\xff';
  {
    och_events e;
    omni_document d = doc ("x:1", text);
    ck_assert_int_eq (och_events_open (&e, path, err, sizeof err), 0);
    ck_assert_int_eq (och_events_upsert (&e, true, "s", &d, err, sizeof err),
                      -1);
    ck_assert_ptr_nonnull (strstr (err, "non-UTF-8 content"));
    och_events_close (&e);
  }
  free (text);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("och-events");
  TCase *tc = tcase_create ("core");
  SRunner *sr;
  int failed;

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_shape);
  tcase_add_test (tc, test_embedded_nul_content);
  tcase_add_test (tc, test_refuses_bad_input);
  tcase_add_test (tc, test_torn_tail_repaired);
  tcase_add_test (tc, test_spill_large);
  tcase_add_test (tc, test_check_object);
  tcase_add_test (tc, test_compact);
  tcase_add_test (tc, test_long_content_escaped_like_json_c);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
