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
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
