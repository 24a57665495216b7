/* test-idpage.c: id listing pages read without a json-c tree
 * (opl-idpage.c): the items, and the same refusals as the tree path. */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opl.h"

/* Parse text; on success return the page (caller frees), on failure
 * check that the error contains `want`. */
static omni_status
parse (opl_id_page *p, const char *text, bool want_modified, char *err,
       size_t errlen)
{
  err[0] = '\0';
  return opl_id_page_parse (p, text, strlen (text), want_modified, err, errlen);
}

static void
expect_refusal (const char *text, const char *want)
{
  opl_id_page p = {0};
  char err[300];
  ck_assert_msg (parse (&p, text, true, err, sizeof err) == OMNI_ERR_INVALID,
                 "accepted: %s", text);
  ck_assert_msg (strstr (err, want) != NULL, "for %s: got \"%s\", want \"%s\"",
                 text, err, want);
  opl_id_page_free (&p);
}

START_TEST (test_items)
{
  opl_id_page p = {0};
  char err[300];
  const char *page
      = " {\"count\": 4, \"next\": \"http://x/api/documents/?page=2\",\n"
        "  \"previous\": null, \"all\": [1, 2, 3, 4],\n"
        "  \"results\": [ {\"id\": 3, \"modified\": "
        "\"2024-05-01T10:00:00Z\"},\n"
        "   {\"modified\": \"2024-05-01T12:00:00.5+02:00\", \"id\": 5},\n"
        "   {\"id\": \"7\"}, {\"id\": 9, \"modified\": \"2024-05-01\"} ] } \n";

  ck_assert_int_eq (parse (&p, page, true, err, sizeof err), OMNI_OK);
  ck_assert_int_eq (p.count, 4);
  ck_assert (p.has_next);
  ck_assert_uint_eq (p.n, 4);
  ck_assert_int_eq (p.items[0].id, 3);
  ck_assert_int_eq (p.items[0].modified_us, 1714557600LL * 1000000);
  ck_assert_int_eq (p.items[1].id, 5);
  /* 12:00:00.5+02:00 is 10:00:00.5Z */
  ck_assert_int_eq (p.items[1].modified_us, 1714557600LL * 1000000 + 500000);
  ck_assert_int_eq (p.items[2].id, 0); /* a string is no id */
  ck_assert_int_eq (p.items[2].modified_us, OPL_ID_NO_MODIFIED);
  ck_assert_int_eq (p.items[3].id, 9);
  ck_assert_int_eq (p.items[3].modified_us, OPL_ID_NO_MODIFIED); /* a date */
  ck_assert_int_eq (opl_id_page_max_id (&p), 9);

  /* Reused for the next page: earlier items are gone, "next" too. */
  ck_assert_int_eq (parse (&p,
                           "{\"count\":4,\"next\":null,\"results\":"
                           "[{\"id\":11,\"modified\":\"x\"}]}",
                           false, err, sizeof err),
                    OMNI_OK);
  ck_assert (!p.has_next);
  ck_assert_uint_eq (p.n, 1);
  ck_assert_int_eq (p.items[0].id, 11);
  ck_assert_int_eq (p.items[0].modified_us, OPL_ID_NO_MODIFIED);
  opl_id_page_free (&p);
  ck_assert_ptr_null (p.items);
}
END_TEST

START_TEST (test_empty_and_duplicates)
{
  opl_id_page p = {0};
  char err[300];

  ck_assert_int_eq (
      parse (&p, "{\"count\":0,\"results\":[]}", true, err, sizeof err),
      OMNI_OK);
  ck_assert_uint_eq (p.n, 0);
  ck_assert (!p.has_next);
  ck_assert_int_eq (opl_id_page_max_id (&p), 0);
  /* A repeated member: the last one counts, as when json-c builds a tree. */
  ck_assert_int_eq (parse (&p,
                           "{\"results\":[{\"id\":1},{\"id\":2}],\"count\":-1,"
                           "\"results\":[{\"id\":3}],\"count\":1}",
                           true, err, sizeof err),
                    OMNI_OK);
  ck_assert_uint_eq (p.n, 1);
  ck_assert_int_eq (p.items[0].id, 3);
  ck_assert_int_eq (p.count, 1);
  opl_id_page_free (&p);
}
END_TEST

START_TEST (test_refusals)
{
  expect_refusal ("", "empty body where JSON was expected");
  expect_refusal ("   ", "truncated JSON");
  expect_refusal ("{\"count\":1,\"results\":[{\"id\":1}", "truncated JSON");
  expect_refusal ("{\"count\":1,\"results\":[{\"id\":1},", "truncated JSON");
  expect_refusal ("{\"count\":1,\"results\":[]} x", "trailing data after JSON");
  expect_refusal ("{\"count\":1,\"results\":[]}{}", "trailing data after JSON");
  expect_refusal ("[1,2]", "list response is not a JSON object");
  expect_refusal ("\"count\"", "list response is not a JSON object");
  expect_refusal ("nul", "malformed JSON");
  expect_refusal ("{count:1}", "malformed JSON");
  expect_refusal ("{\"count\" 1}", "malformed JSON");
  expect_refusal ("{\"count\":1 \"results\":[]}", "malformed JSON");
  expect_refusal ("{\"count\":1,\"results\":[{\"id\":1} {\"id\":2}]}",
                  "malformed JSON");
  expect_refusal ("{\"count\":1,\"results\":[{\"id\":01}]}", "malformed JSON");
  expect_refusal ("{\"count\":1,\"results\":[{\"id\":1,}]}", "malformed JSON");
  expect_refusal ("{\"results\":[]}", "no valid \"count\"");
  expect_refusal ("{\"count\":-3,\"results\":[]}", "no valid \"count\"");
  expect_refusal ("{\"count\":\"3\",\"results\":[]}", "no valid \"count\"");
  expect_refusal ("{\"count\":3}", "no \"results\" list");
  expect_refusal ("{\"count\":3,\"results\":{\"id\":1}}",
                  "no \"results\" list");
  expect_refusal ("{\"count\":3,\"results\":[],\"results\":null}",
                  "no \"results\" list");
  expect_refusal ("{}", "no valid \"count\"");
}
END_TEST

/* Nesting: refused at exactly the depth at which the whole page parsed as
 * one tree is, so both ways of reading a page agree. */
START_TEST (test_depth)
{
  for (int depth = OPL_JSON_MAX_DEPTH - 4; depth <= OPL_JSON_MAX_DEPTH + 2;
       depth++) {
    opl_buf b;
    char err[300];
    opl_id_page p = {0};
    opl_buf_init (&b);
    opl_buf_puts (&b, "{\"count\":1,\"results\":[{\"id\":1,\"x\":");
    for (int i = 0; i < depth; i++)
      opl_buf_puts (&b, "[");
    for (int i = 0; i < depth; i++)
      opl_buf_puts (&b, "]");
    opl_buf_puts (&b, "}]}");
    json_object *tree = opl_json_parse (b.data, b.len, err, sizeof err);
    omni_status st
        = opl_id_page_parse (&p, b.data, b.len, false, err, sizeof err);
    ck_assert_msg ((tree != NULL) == (st == OMNI_OK),
                   "depth %d: tree %s, id page %s (%s)", depth,
                   tree ? "accepted" : "refused",
                   st == OMNI_OK ? "accepted" : "refused", err);
    json_object_put (tree);
    opl_id_page_free (&p);
    opl_buf_free (&b);
  }
}
END_TEST

/* A full listing page of 10,000 ids: read in order, 16 bytes an item. */
START_TEST (test_large_page)
{
  opl_buf b;
  opl_id_page p = {0};
  char err[300];

  opl_buf_init (&b);
  opl_buf_puts (&b, "{\"count\":10000,\"next\":null,\"results\":[");
  for (int i = 1; i <= 10000; i++) {
    char item[80];
    snprintf (item, sizeof item,
              "%s{\"id\":%d,\"modified\":\"2024-01-01T00:00:%02d.%06dZ\"}",
              i > 1 ? "," : "", i * 2, i % 60, i);
    opl_buf_puts (&b, item);
  }
  opl_buf_puts (&b, "]}");
  ck_assert_int_eq (
      opl_id_page_parse (&p, b.data, b.len, true, err, sizeof err), OMNI_OK);
  ck_assert_uint_eq (p.n, 10000);
  ck_assert_uint_le (p.cap * sizeof *p.items, 16384 * sizeof *p.items);
  for (size_t i = 0; i < p.n; i++) {
    ck_assert_int_eq (p.items[i].id, (int64_t)(i + 1) * 2);
    ck_assert_int_eq (p.items[i].modified_us % 1000000, (int64_t)(i + 1));
  }
  ck_assert_int_eq (opl_id_page_max_id (&p), 20000);
  opl_id_page_free (&p);
  opl_buf_free (&b);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("idpage");
  TCase *tc = tcase_create ("idpage");
  tcase_add_test (tc, test_items);
  tcase_add_test (tc, test_empty_and_duplicates);
  tcase_add_test (tc, test_refusals);
  tcase_add_test (tc, test_depth);
  tcase_add_test (tc, test_large_page);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
