/* test-rename.c: the lookup fingerprints behind rename detection
 * (opl-rename.c).  A renamed tag, correspondent, document type, storage
 * path, custom field, select option, user or group bumps no document in
 * Paperless-ngx: the fingerprint is all that tells the next sync to
 * re-deliver the documents that show it.  It must change with everything
 * a document shows of a lookup, and with nothing else (or every sync would
 * re-deliver documents for nothing). */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opl.h"

static json_object *
parse (const char *text)
{
  char err[256] = "";
  json_object *o = opl_json_parse (text, strlen (text), err, sizeof err);
  ck_assert_msg (o != NULL, "parse %s: %s", text, err);
  return o;
}

static void
add (opl_lookups *lk, opl_lookup_kind kind, const char *item)
{
  char err[256] = "";
  json_object *o = parse (item);
  ck_assert_msg (opl_lookup_table_add (&lk->t[kind], kind, o, err, sizeof err)
                     == OMNI_OK,
                 "%s: %s", item, err);
  json_object_put (o);
}

static void
hashes_free (opl_lookup_hashes h[OPL_LK_COUNT])
{
  for (int k = 0; k < OPL_LK_COUNT; k++)
    free (h[k].v);
}

/* The fingerprint of a one-item table of the given kind. */
static uint32_t
fp_of (opl_lookup_kind kind, const char *item)
{
  opl_lookups lk;
  opl_lookup_hashes h[OPL_LK_COUNT];
  opl_lookups_init (&lk);
  add (&lk, kind, item);
  opl_lookup_table_finish (&lk.t[kind]);
  ck_assert (opl_rename_fingerprints (&lk, h));
  ck_assert (h[kind].present);
  ck_assert_uint_eq (h[kind].n, 1);
  uint32_t v = h[kind].v[0].hash;
  hashes_free (h);
  opl_lookups_clear (&lk);
  return v;
}

static void
assert_same (opl_lookup_kind kind, const char *a, const char *b)
{
  ck_assert_msg (fp_of (kind, a) == fp_of (kind, b),
                 "fingerprints differ:\n  %s\n  %s", a, b);
}

static void
assert_differ (opl_lookup_kind kind, const char *a, const char *b)
{
  ck_assert_msg (fp_of (kind, a) != fp_of (kind, b),
                 "fingerprints equal:\n  %s\n  %s", a, b);
}

/* One item of each kind, as the current API shows it. */
static const char *const items[OPL_LK_COUNT] = {
    [OPL_LK_TAGS] = "{\"id\":3,\"slug\":\"bills\",\"name\":\"Bills\","
                    "\"color\":\"#a6cee3\",\"match\":\"\","
                    "\"matching_algorithm\":0,\"is_insensitive\":true,"
                    "\"is_inbox_tag\":false,\"document_count\":12,"
                    "\"owner\":1,\"parent\":2,\"children\":[]}",
    [OPL_LK_CORRESPONDENTS]
    = "{\"id\":4,\"slug\":\"acme\",\"name\":\"ACME\",\"match\":\"\","
      "\"matching_algorithm\":1,\"is_insensitive\":true,"
      "\"document_count\":7,\"owner\":1}",
    [OPL_LK_DOCUMENT_TYPES]
    = "{\"id\":5,\"slug\":\"invoice\",\"name\":\"Invoice\",\"match\":\"\","
      "\"matching_algorithm\":1,\"is_insensitive\":true,"
      "\"document_count\":25,\"owner\":null}",
    [OPL_LK_STORAGE_PATHS]
    = "{\"id\":6,\"slug\":\"taxes\",\"name\":\"Taxes\","
      "\"path\":\"tax/{{ created_year }}/{{ title }}\",\"match\":\"\","
      "\"matching_algorithm\":0,\"is_insensitive\":true,"
      "\"document_count\":4,\"owner\":1}",
    [OPL_LK_CUSTOM_FIELDS]
    = "{\"id\":11,\"name\":\"Status\",\"data_type\":\"select\","
      "\"extra_data\":{\"select_options\":[{\"id\":\"a1\",\"label\":"
      "\"Open\"},{\"id\":\"b2\",\"label\":\"Paid\"}],"
      "\"default_currency\":null},\"document_count\":25}",
    [OPL_LK_USERS] = "{\"id\":2,\"username\":\"anna\",\"email\":"
                     "\"anna@example.org\",\"first_name\":\"Anna\","
                     "\"last_name\":\"Becker\",\"is_superuser\":false,"
                     "\"groups\":[1]}",
    [OPL_LK_GROUPS] = "{\"id\":1,\"name\":\"Family\",\"permissions\":[]}",
};

/* items[kind] with the first occurrence of `from` replaced by `to`. */
static char *
edited (opl_lookup_kind kind, const char *from, const char *to)
{
  const char *s = items[kind];
  const char *at = strstr (s, from);
  ck_assert_msg (at != NULL, "\"%s\" not in %s", from, s);
  size_t n = strlen (s) - strlen (from) + strlen (to) + 1;
  char *out = malloc (n);
  ck_assert_ptr_nonnull (out);
  snprintf (out, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen (from));
  return out;
}

static void
check_edit (opl_lookup_kind kind, const char *from, const char *to,
            bool must_change)
{
  char *e = edited (kind, from, to);
  if (must_change)
    assert_differ (kind, items[kind], e);
  else
    assert_same (kind, items[kind], e);
  free (e);
}

START_TEST (nothing_changed_same_fingerprint)
{
  for (int k = 0; k < OPL_LK_COUNT; k++)
    assert_same ((opl_lookup_kind)k, items[k], items[k]);
}
END_TEST

START_TEST (renamed_changes_the_fingerprint)
{
  check_edit (OPL_LK_TAGS, "\"Bills\"", "\"Invoices\"", true);
  check_edit (OPL_LK_CORRESPONDENTS, "\"ACME\"", "\"ACME Corp\"", true);
  check_edit (OPL_LK_DOCUMENT_TYPES, "\"Invoice\"", "\"Bill\"", true);
  check_edit (OPL_LK_STORAGE_PATHS, "\"Taxes\"", "\"Tax\"", true);
  check_edit (OPL_LK_CUSTOM_FIELDS, "\"Status\"", "\"State\"", true);
  check_edit (OPL_LK_USERS, "\"anna\"", "\"anna.b\"", true);
  check_edit (OPL_LK_GROUPS, "\"Family\"", "\"Household\"", true);
  /* Case and a single byte count. */
  check_edit (OPL_LK_TAGS, "\"Bills\"", "\"bills\"", true);
  check_edit (OPL_LK_TAGS, "\"Bills\"", "\"Bills \"", true);
}
END_TEST

START_TEST (tag_parent_changes_the_fingerprint)
{
  check_edit (OPL_LK_TAGS, "\"parent\":2", "\"parent\":7", true);
  check_edit (OPL_LK_TAGS, "\"parent\":2", "\"parent\":null", true);
  /* null and absent (before API v9's nesting) are both "a root tag". */
  char *root = edited (OPL_LK_TAGS, "\"parent\":2", "\"parent\":null");
  char *none = edited (OPL_LK_TAGS, ",\"parent\":2", "");
  assert_same (OPL_LK_TAGS, root, none);
  free (root);
  free (none);
}
END_TEST

START_TEST (select_option_label_changes_the_fingerprint)
{
  check_edit (OPL_LK_CUSTOM_FIELDS, "\"Paid\"", "\"Settled\"", true);
  check_edit (OPL_LK_CUSTOM_FIELDS, "\"Open\"", "\"open\"", true);
  /* An option added or removed. */
  check_edit (OPL_LK_CUSTOM_FIELDS, "{\"id\":\"b2\",\"label\":\"Paid\"}",
              "{\"id\":\"b2\",\"label\":\"Paid\"},"
              "{\"id\":\"c3\",\"label\":\"Late\"}",
              true);
  check_edit (OPL_LK_CUSTOM_FIELDS, ",{\"id\":\"b2\",\"label\":\"Paid\"}", "",
              true);
  /* Before API v7, options are a list of labels (values are indexes). */
  const char *v6 = "{\"id\":11,\"name\":\"Status\",\"data_type\":\"select\","
                   "\"extra_data\":{\"select_options\":[\"Open\",\"Paid\"]}}";
  const char *v6b = "{\"id\":11,\"name\":\"Status\",\"data_type\":\"select\","
                    "\"extra_data\":{\"select_options\":[\"Open\",\"Done\"]}}";
  assert_same (OPL_LK_CUSTOM_FIELDS, v6, v6);
  assert_differ (OPL_LK_CUSTOM_FIELDS, v6, v6b);
}
END_TEST

START_TEST (what_a_document_shows_changes_the_fingerprint)
{
  /* A field's type decides how its values read; a currency too. */
  check_edit (OPL_LK_CUSTOM_FIELDS, "\"select\"", "\"string\"", true);
  check_edit (OPL_LK_CUSTOM_FIELDS, "\"default_currency\":null",
              "\"default_currency\":\"EUR\"", true);
  /* A user's email names them in document permissions. */
  check_edit (OPL_LK_USERS, "anna@example.org", "anna@example.com", true);
  check_edit (OPL_LK_USERS, "\"anna@example.org\"", "\"\"", true);
}
END_TEST

START_TEST (what_no_document_shows_keeps_the_fingerprint)
{
  /* Counts change with every document added: they must not make every
   * sync re-deliver the documents of every lookup. */
  check_edit (OPL_LK_TAGS, "\"document_count\":12", "\"document_count\":13",
              false);
  check_edit (OPL_LK_CORRESPONDENTS, "\"document_count\":7",
              "\"document_count\":0", false);
  check_edit (OPL_LK_CUSTOM_FIELDS, "\"document_count\":25",
              "\"document_count\":26", false);
  /* Matching rules and colours show in no document. */
  check_edit (OPL_LK_DOCUMENT_TYPES, "\"matching_algorithm\":1",
              "\"matching_algorithm\":3", false);
  check_edit (OPL_LK_CORRESPONDENTS, "\"match\":\"\"", "\"match\":\"ACME\"",
              false);
  check_edit (OPL_LK_TAGS, "#a6cee3", "#ff0000", false);
  check_edit (OPL_LK_TAGS, "\"children\":[]", "\"children\":[{\"id\":9}]",
              false);
}
END_TEST

/* Strings are hashed with their terminator: moving a byte from one to the
 * next is a change. */
START_TEST (adjacent_strings_do_not_run_together)
{
  assert_differ (OPL_LK_CUSTOM_FIELDS,
                 "{\"id\":1,\"name\":\"ab\",\"data_type\":\"c\"}",
                 "{\"id\":1,\"name\":\"a\",\"data_type\":\"bc\"}");
  assert_differ (OPL_LK_USERS, "{\"id\":1,\"username\":\"ab\",\"email\":\"c\"}",
                 "{\"id\":1,\"username\":\"a\",\"email\":\"bc\"}");
}
END_TEST

/* A table of several items: sorted by id (the checkpoint and the
 * comparison search them), and a change to one item leaves every other
 * item's fingerprint alone, so that only its documents are re-delivered. */
START_TEST (only_the_changed_item_differs)
{
  static const char *const tags[] = {
      "{\"id\":30,\"name\":\"Thirty\",\"parent\":null}",
      "{\"id\":10,\"name\":\"Ten\",\"parent\":null}",
      "{\"id\":20,\"name\":\"Twenty\",\"parent\":10}",
  };
  opl_lookups a, b;
  opl_lookup_hashes ha[OPL_LK_COUNT], hb[OPL_LK_COUNT];
  opl_lookups_init (&a);
  opl_lookups_init (&b);
  for (size_t i = 0; i < 3; i++) {
    add (&a, OPL_LK_TAGS, tags[i]);
    add (&b, OPL_LK_TAGS,
         i == 1 ? "{\"id\":10,\"name\":\"Ten!\",\"parent\":null}" : tags[i]);
  }
  opl_lookup_table_finish (&a.t[OPL_LK_TAGS]);
  opl_lookup_table_finish (&b.t[OPL_LK_TAGS]);
  ck_assert (opl_rename_fingerprints (&a, ha));
  ck_assert (opl_rename_fingerprints (&b, hb));
  ck_assert_uint_eq (ha[OPL_LK_TAGS].n, 3);
  ck_assert_uint_eq (hb[OPL_LK_TAGS].n, 3);
  for (size_t i = 0; i < 3; i++) {
    ck_assert_int_eq (ha[OPL_LK_TAGS].v[i].id, (int64_t)(10 * (i + 1)));
    ck_assert_int_eq (hb[OPL_LK_TAGS].v[i].id, (int64_t)(10 * (i + 1)));
  }
  ck_assert_uint_ne (ha[OPL_LK_TAGS].v[0].hash, hb[OPL_LK_TAGS].v[0].hash);
  ck_assert_uint_eq (ha[OPL_LK_TAGS].v[1].hash, hb[OPL_LK_TAGS].v[1].hash);
  ck_assert_uint_eq (ha[OPL_LK_TAGS].v[2].hash, hb[OPL_LK_TAGS].v[2].hash);
  hashes_free (ha);
  hashes_free (hb);
  opl_lookups_clear (&a);
  opl_lookups_clear (&b);
}
END_TEST

/* An endpoint that could not be read records nothing (so that nothing is
 * compared with it); one that was read but is empty records "none". */
START_TEST (unavailable_and_empty_tables)
{
  opl_lookups lk;
  opl_lookup_hashes h[OPL_LK_COUNT];
  opl_lookups_init (&lk);
  lk.t[OPL_LK_USERS].available = false;
  add (&lk, OPL_LK_TAGS, items[OPL_LK_TAGS]);
  opl_lookup_table_finish (&lk.t[OPL_LK_TAGS]);
  ck_assert (opl_rename_fingerprints (&lk, h));
  ck_assert (!h[OPL_LK_USERS].present);
  ck_assert_uint_eq (h[OPL_LK_USERS].n, 0);
  ck_assert_ptr_null (h[OPL_LK_USERS].v);
  ck_assert (h[OPL_LK_GROUPS].present);
  ck_assert_uint_eq (h[OPL_LK_GROUPS].n, 0);
  ck_assert (h[OPL_LK_TAGS].present);
  ck_assert_uint_eq (h[OPL_LK_TAGS].n, 1);
  ck_assert_int_eq (h[OPL_LK_TAGS].v[0].id, 3);
  hashes_free (h);
  opl_lookups_clear (&lk);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("rename");
  TCase *tc = tcase_create ("fingerprints");
  tcase_add_test (tc, nothing_changed_same_fingerprint);
  tcase_add_test (tc, renamed_changes_the_fingerprint);
  tcase_add_test (tc, tag_parent_changes_the_fingerprint);
  tcase_add_test (tc, select_option_label_changes_the_fingerprint);
  tcase_add_test (tc, what_a_document_shows_changes_the_fingerprint);
  tcase_add_test (tc, what_no_document_shows_keeps_the_fingerprint);
  tcase_add_test (tc, adjacent_strings_do_not_run_together);
  tcase_add_test (tc, only_the_changed_item_differs);
  tcase_add_test (tc, unavailable_and_empty_tables);
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
