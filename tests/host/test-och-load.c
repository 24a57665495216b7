/* test-och-load.c: plugin loading and the refusal of bad descriptors,
 * through a real dlopen of the test plugins in tests/plugins. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "och.h"

static char *
plugin_path (const char *name)
{
  const char *b = getenv ("top_builddir");
  static char path[4096];

  snprintf (path, sizeof path, "%s/tests/plugins/.libs/%s.so", b ? b : ".",
            name);
  return path;
}

/* Loading NAME must fail with a message containing want. */
static void
refused (const char *name, const char *want)
{
  och_plugin p;
  char err[OCH_ERRLEN] = "";

  ck_assert_int_eq (och_plugin_load (&p, plugin_path (name), err, sizeof err),
                    -1);
  ck_assert_msg (strstr (err, want) != NULL, "%s: got '%s', want '%s'", name,
                 err, want);
  ck_assert_ptr_null (p.dl);
}

START_TEST (test_echo_loads)
{
  och_plugin p;
  char err[OCH_ERRLEN];

  ck_assert_int_eq (och_plugin_load (&p, plugin_path ("echo"), err, sizeof err),
                    0);
  ck_assert_str_eq (p.desc.name, "echo");
  ck_assert_uint_eq (p.desc.abi_major, OMNI_CONNECTOR_ABI_MAJOR);
  ck_assert_uint_eq (p.plugin_size, sizeof (omni_connector_plugin));
  ck_assert_ptr_nonnull (p.desc.init);
  och_plugin_unload (&p);
  ck_assert_ptr_null (p.dl);
  och_plugin_unload (&p); /* twice is harmless */
}
END_TEST

START_TEST (test_future_minor_accepted)
{
  och_plugin p;
  char err[OCH_ERRLEN];

  ck_assert_int_eq (
      och_plugin_load (&p, plugin_path ("future-minor"), err, sizeof err), 0);
  /* We copied only what we know; the plugin's size is remembered. */
  ck_assert_uint_gt (p.plugin_size, sizeof (omni_connector_plugin));
  ck_assert_str_eq (p.desc.name, "future");
  och_plugin_unload (&p);
}
END_TEST

START_TEST (test_refusals)
{
  refused ("refuse-major", "built for connector ABI 99.99, this host speaks "
                           "ABI 1.x");
  refused ("refuse-slot", "required slot 'fetch_document' is NULL");
  refused ("refuse-small", "descriptor too small");
  refused ("refuse-nosym", "no symbol omni_connector_plugin_entry");
  refused ("refuse-null", "its entry returned no descriptor");
}
END_TEST

START_TEST (test_missing_file)
{
  och_plugin p;
  char err[OCH_ERRLEN];

  ck_assert_int_eq (och_plugin_load (&p, "/nonexistent/x.so", err, sizeof err),
                    -1);
  ck_assert_ptr_nonnull (strstr (err, "cannot load plugin /nonexistent/x.so"));
  /* A bare name is never searched for on the library path. */
  ck_assert_int_eq (och_plugin_load (&p, "libc.so.6", err, sizeof err), -1);
  ck_assert_ptr_nonnull (strstr (err, "cannot load plugin libc.so.6"));
  ck_assert_int_eq (och_plugin_load (&p, "", err, sizeof err), -1);
}
END_TEST

START_TEST (test_util)
{
  char out[8];

  och_one_line (out, sizeof out, "a\nb\tc");
  ck_assert_str_eq (out, "a b c");
  och_one_line (out, 6, "abcd\xc3\xa9"); /* é would be cut in half */
  ck_assert_str_eq (out, "abcd");
  ck_assert (och_utf8_valid ("h\xc3\xa9llo", 6));
  ck_assert (!och_utf8_valid ("\xc0\xaf", 2));     /* overlong */
  ck_assert (!och_utf8_valid ("\xed\xa0\x80", 3)); /* surrogate */
  ck_assert (!och_utf8_valid ("\xe2\x82", 2));     /* truncated */
  ck_assert (och_utf8_valid ("\xf0\x9f\x98\x80", 4));
}
END_TEST

START_TEST (test_json_parse)
{
  char err[OCH_ERRLEN];
  json_object *o;

  o = och_json_parse ("{\"a\":1} \n", 9, err, sizeof err);
  ck_assert_ptr_nonnull (o);
  json_object_put (o);
  o = och_json_parse ("12", 2, err, sizeof err);
  ck_assert_ptr_nonnull (o);
  json_object_put (o);
  ck_assert_ptr_null (och_json_parse ("{} {}", 5, err, sizeof err));
  ck_assert_ptr_null (och_json_parse ("{\"a\":", 5, err, sizeof err));
  ck_assert_ptr_null (och_json_parse ("{a:1}", 5, err, sizeof err));
  ck_assert_ptr_null (och_json_parse ("", 0, err, sizeof err));
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("och-load");
  TCase *tc = tcase_create ("core");
  SRunner *sr;
  int failed;

  tcase_add_test (tc, test_echo_loads);
  tcase_add_test (tc, test_future_minor_accepted);
  tcase_add_test (tc, test_refusals);
  tcase_add_test (tc, test_missing_file);
  tcase_add_test (tc, test_util);
  tcase_add_test (tc, test_json_parse);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
