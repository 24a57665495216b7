/* test-lookup.c: lookup tables — parsing each kind's item from the real
 * API's shapes, untrusted input, sorting, duplicates, binary search. */
#include <config.h>

#include "map-test.h"

static opl_lookup_table table;

static void
setup (void)
{
  memset (&table, 0, sizeof table);
  table.available = true;
}

static void
teardown (void)
{
  opl_lookup_table_clear (&table);
}

static omni_status
add_text (opl_lookup_kind kind, const char *json, char *err, size_t errlen)
{
  json_object *o = mt_parse (json);
  omni_status rc = opl_lookup_table_add (&table, kind, o, err, errlen);
  json_object_put (o);
  return rc;
}

START_TEST (endpoints)
{
  ck_assert_str_eq (opl_lookup_endpoint (OPL_LK_TAGS), "tags/");
  ck_assert_str_eq (opl_lookup_endpoint (OPL_LK_CORRESPONDENTS),
                    "correspondents/");
  ck_assert_str_eq (opl_lookup_endpoint (OPL_LK_DOCUMENT_TYPES),
                    "document_types/");
  ck_assert_str_eq (opl_lookup_endpoint (OPL_LK_STORAGE_PATHS),
                    "storage_paths/");
  ck_assert_str_eq (opl_lookup_endpoint (OPL_LK_CUSTOM_FIELDS),
                    "custom_fields/");
  ck_assert_str_eq (opl_lookup_endpoint (OPL_LK_USERS), "users/");
  ck_assert_str_eq (opl_lookup_endpoint (OPL_LK_GROUPS), "groups/");
  ck_assert_ptr_null (opl_lookup_endpoint (OPL_LK_COUNT));
  ck_assert_ptr_null (opl_lookup_endpoint ((opl_lookup_kind)-1));
}
END_TEST

START_TEST (all_fixtures)
{
  opl_lookups lk;
  mt_load_all (&lk, "custom_fields.json");

  for (int k = 0; k < OPL_LK_COUNT; k++) {
    ck_assert (lk.t[k].available);
    for (size_t i = 1; i < lk.t[k].count; i++)
      ck_assert_int_lt (lk.t[k].items[i - 1].id, lk.t[k].items[i].id);
  }
  /* Tags: the nested "children" copy of 3 is ignored; 3 appears once. */
  ck_assert_uint_eq (lk.t[OPL_LK_TAGS].count, 5);
  const opl_lookup *t = opl_lookup_find (&lk.t[OPL_LK_TAGS], 3);
  ck_assert_str_eq (t->name, "2024");
  ck_assert_int_eq (t->parent, 2);
  ck_assert_int_eq (opl_lookup_find (&lk.t[OPL_LK_TAGS], 2)->parent, 1);
  ck_assert_int_eq (opl_lookup_find (&lk.t[OPL_LK_TAGS], 1)->parent, 0);
  ck_assert_int_eq (opl_lookup_find (&lk.t[OPL_LK_TAGS], 5)->parent, 99);
  ck_assert_ptr_null (opl_lookup_find (&lk.t[OPL_LK_TAGS], 99));

  ck_assert_str_eq (opl_lookup_find (&lk.t[OPL_LK_CORRESPONDENTS], 10)->name,
                    "Stadtwerke Nord");
  ck_assert_str_eq (opl_lookup_find (&lk.t[OPL_LK_DOCUMENT_TYPES], 21)->name,
                    "Letter");
  ck_assert_str_eq (opl_lookup_find (&lk.t[OPL_LK_STORAGE_PATHS], 30)->name,
                    "Utilities");

  const opl_lookup *f = opl_lookup_find (&lk.t[OPL_LK_CUSTOM_FIELDS], 50);
  ck_assert_str_eq (f->name, "Priority");
  ck_assert_str_eq (f->data_type, "select");
  ck_assert_ptr_nonnull (f->extra);
  json_object *opts = opl_json_get_array (f->extra, "select_options");
  ck_assert_uint_eq (json_object_array_length (opts), 2);
  f = opl_lookup_find (&lk.t[OPL_LK_CUSTOM_FIELDS], 48);
  const char *cur;
  ck_assert (opl_json_get_string (f->extra, "default_currency", &cur, NULL));
  ck_assert_str_eq (cur, "USD");
  /* extra_data null: no reference. */
  ck_assert_ptr_null (opl_lookup_find (&lk.t[OPL_LK_CUSTOM_FIELDS], 53)->extra);
  ck_assert_str_eq (opl_lookup_find (&lk.t[OPL_LK_CUSTOM_FIELDS], 51)->name,
                    "Ünïcode Naïve – Größe");

  const opl_lookup *u = opl_lookup_find (&lk.t[OPL_LK_USERS], 4);
  ck_assert_str_eq (u->name, "alice");
  ck_assert_str_eq (u->email, "alice@example.com");
  u = opl_lookup_find (&lk.t[OPL_LK_USERS], 5);
  ck_assert_str_eq (u->name, "bob");
  ck_assert_ptr_null (u->email); /* "" -> NULL */
  ck_assert_str_eq (opl_lookup_find (&lk.t[OPL_LK_GROUPS], 7)->name,
                    "Accounting");
  ck_assert_str_eq (opl_lookup_find (&lk.t[OPL_LK_GROUPS], 8)->name,
                    "Management");
  opl_lookups_clear (&lk);
  for (int k = 0; k < OPL_LK_COUNT; k++) {
    ck_assert_uint_eq (lk.t[k].count, 0);
    ck_assert_ptr_null (lk.t[k].items);
  }
}
END_TEST

START_TEST (select_labels_v6)
{
  opl_lookups lk;
  opl_lookups_init (&lk);
  mt_load_table (&lk, OPL_LK_CUSTOM_FIELDS, "custom_fields_v6.json");
  const opl_lookup *f = opl_lookup_find (&lk.t[OPL_LK_CUSTOM_FIELDS], 50);
  json_object *opts = opl_json_get_array (f->extra, "select_options");
  ck_assert_str_eq (
      json_object_get_string (json_object_array_get_idx (opts, 1)), "Low");
  opl_lookups_clear (&lk);
}
END_TEST

START_TEST (refused_items)
{
  static const char *const bad[] = {
      "{\"name\":\"no id\"}",
      "{\"id\":\"7\",\"name\":\"string id\"}",
      "{\"id\":7.5,\"name\":\"fraction\"}",
      "{\"id\":0,\"name\":\"zero\"}",
      "{\"id\":-3,\"name\":\"negative\"}",
      "{\"id\":99999999999999999999,\"name\":\"too big\"}",
      "{\"id\":null,\"name\":\"null id\"}",
      "{\"id\":7}",
      "{\"id\":7,\"name\":null}",
      "{\"id\":7,\"name\":42}",
      "{\"id\":7,\"name\":[\"x\"]}",
      "[7,\"x\"]",
      "\"tag\"",
  };
  char err[256];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = '\0';
    ck_assert_int_eq (add_text (OPL_LK_TAGS, bad[i], err, sizeof err),
                      OMNI_ERR_INVALID);
    ck_assert_msg (strstr (err, "tags/") != NULL, "%s: %s", bad[i], err);
  }
  json_object *num = json_object_new_int (7);
  ck_assert_int_eq (
      opl_lookup_table_add (&table, OPL_LK_TAGS, num, err, sizeof err),
      OMNI_ERR_INVALID);
  json_object_put (num);
  ck_assert_uint_eq (table.count, 0);
  /* Users are named by username, not name. */
  ck_assert_int_eq (
      add_text (OPL_LK_USERS, "{\"id\":1,\"name\":\"x\"}", err, sizeof err),
      OMNI_ERR_INVALID);
  ck_assert_ptr_nonnull (strstr (err, "username"));
  /* NULL item, NULL err. */
  ck_assert_int_eq (opl_lookup_table_add (&table, OPL_LK_TAGS, NULL, NULL, 0),
                    OMNI_ERR_INVALID);
  ck_assert_int_eq (
      opl_lookup_table_add (&table, OPL_LK_COUNT, NULL, err, sizeof err),
      OMNI_ERR_INTERNAL);
  ck_assert_uint_eq (table.count, 0);
}
END_TEST

START_TEST (odd_optional_fields)
{
  char err[256];
  /* Wrong-typed optional fields degrade instead of refusing the item. */
  ck_assert_int_eq (add_text (OPL_LK_TAGS,
                              "{\"id\":1,\"name\":\"a\",\"parent\":\"2\"}", err,
                              sizeof err),
                    OMNI_OK);
  ck_assert_int_eq (add_text (OPL_LK_TAGS,
                              "{\"id\":2,\"name\":\"b\",\"parent\":-4}", err,
                              sizeof err),
                    OMNI_OK);
  ck_assert_int_eq (add_text (OPL_LK_TAGS,
                              "{\"id\":3,\"name\":\"c\",\"colour\":3}", err,
                              sizeof err),
                    OMNI_OK); /* v1 tag: no parent key */
  opl_lookup_table_finish (&table);
  for (int64_t id = 1; id <= 3; id++)
    ck_assert_int_eq (opl_lookup_find (&table, id)->parent, 0);
  opl_lookup_table_clear (&table);

  ck_assert_int_eq (add_text (OPL_LK_CUSTOM_FIELDS,
                              "{\"id\":1,\"name\":\"f\",\"data_type\":5,"
                              "\"extra_data\":[1]}",
                              err, sizeof err),
                    OMNI_OK);
  ck_assert_int_eq (add_text (OPL_LK_USERS,
                              "{\"id\":2,\"username\":\"u\",\"email\":null}",
                              err, sizeof err),
                    OMNI_OK);
  ck_assert_int_eq (add_text (OPL_LK_USERS,
                              "{\"id\":3,\"username\":\"v\",\"email\":7}", err,
                              sizeof err),
                    OMNI_OK);
  opl_lookup_table_finish (&table);
  ck_assert_ptr_null (opl_lookup_find (&table, 1)->data_type);
  ck_assert_ptr_null (opl_lookup_find (&table, 1)->extra);
  ck_assert_ptr_null (opl_lookup_find (&table, 2)->email);
  ck_assert_ptr_null (opl_lookup_find (&table, 3)->email);
}
END_TEST

START_TEST (names_repaired)
{
  char err[256];
  /* Invalid UTF-8 and an escaped NUL in names. */
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "id", json_object_new_int64 (9));
  json_object_object_add (o, "name",
                          json_object_new_string_len ("a\xff\0b", 4));
  ck_assert_int_eq (
      opl_lookup_table_add (&table, OPL_LK_GROUPS, o, err, sizeof err),
      OMNI_OK);
  json_object_put (o);
  ck_assert_int_eq (add_text (OPL_LK_GROUPS,
                              "{\"id\":8,\"name\":\"x\\u0000y\"}", err,
                              sizeof err),
                    OMNI_OK);
  opl_lookup_table_finish (&table);
  ck_assert_str_eq (opl_lookup_find (&table, 9)->name, "a\xEF\xBF\xBD"
                                                       "b");
  ck_assert_str_eq (opl_lookup_find (&table, 8)->name, "xy");
}
END_TEST

START_TEST (extra_outlives_page)
{
  char err[256];
  json_object *page
      = mt_parse ("{\"id\":1,\"name\":\"f\",\"data_type\":\"select\","
                  "\"extra_data\":{\"select_options\":[\"A\"]}}");
  ck_assert_int_eq (opl_lookup_table_add (&table, OPL_LK_CUSTOM_FIELDS, page,
                                          err, sizeof err),
                    OMNI_OK);
  json_object_put (page);
  json_object *opts
      = opl_json_get_array (table.items[0].extra, "select_options");
  ck_assert_str_eq (
      json_object_get_string (json_object_array_get_idx (opts, 0)), "A");
}
END_TEST

START_TEST (duplicates_last_wins)
{
  char err[256], json[128];
  static const struct {
    int id;
    const char *name;
  } items[] = {{5, "five-a"}, {2, "two-a"},  {5, "five-b"}, {9, "nine"},
               {2, "two-b"},  {5, "five-c"}, {1, "one"}};
  for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
    snprintf (json, sizeof json, "{\"id\":%d,\"name\":\"%s\"}", items[i].id,
              items[i].name);
    ck_assert_int_eq (add_text (OPL_LK_CORRESPONDENTS, json, err, sizeof err),
                      OMNI_OK);
  }
  opl_lookup_table_finish (&table);
  ck_assert_uint_eq (table.count, 4);
  ck_assert_str_eq (opl_lookup_find (&table, 1)->name, "one");
  ck_assert_str_eq (opl_lookup_find (&table, 2)->name, "two-b");
  ck_assert_str_eq (opl_lookup_find (&table, 5)->name, "five-c");
  ck_assert_str_eq (opl_lookup_find (&table, 9)->name, "nine");
  ck_assert_ptr_null (opl_lookup_find (&table, 3));
  ck_assert_ptr_null (opl_lookup_find (&table, 0));
  ck_assert_ptr_null (opl_lookup_find (&table, 10));
  ck_assert_ptr_null (opl_lookup_find (&table, INT64_MIN));
  /* finish is idempotent. */
  opl_lookup_table_finish (&table);
  ck_assert_uint_eq (table.count, 4);
}
END_TEST

START_TEST (large_table)
{
  enum { N = 50000 };
  char err[64];
  /* Server order is by name, not id: feed ids in a scrambled order. */
  for (int i = 0; i < N; i++) {
    int64_t id = (int64_t)((i * 7919L) % N) * 3 + 1;
    json_object *o = json_object_new_object ();
    json_object_object_add (o, "id", json_object_new_int64 (id));
    json_object_object_add (o, "name", json_object_new_string ("n"));
    ck_assert_int_eq (
        opl_lookup_table_add (&table, OPL_LK_TAGS, o, err, sizeof err),
        OMNI_OK);
    json_object_put (o);
  }
  opl_lookup_table_finish (&table);
  ck_assert_uint_eq (table.count, N);
  for (int64_t k = 0; k < N; k++) {
    ck_assert_ptr_nonnull (opl_lookup_find (&table, k * 3 + 1));
    ck_assert_ptr_null (opl_lookup_find (&table, k * 3 + 2));
  }
}
END_TEST

START_TEST (empty_and_init)
{
  opl_lookups lk;
  memset (&lk, 0xff, sizeof lk);
  opl_lookups_init (&lk);
  for (int k = 0; k < OPL_LK_COUNT; k++) {
    ck_assert_uint_eq (lk.t[k].count, 0);
    ck_assert (lk.t[k].available);
    ck_assert_ptr_null (opl_lookup_find (&lk.t[k], 1));
    opl_lookup_table_finish (&lk.t[k]);
  }
  ck_assert_ptr_null (opl_lookup_find (NULL, 1));
  lk.t[OPL_LK_USERS].available = false;
  opl_lookup_table_clear (&lk.t[OPL_LK_USERS]);
  ck_assert (lk.t[OPL_LK_USERS].available); /* back to the initial state */
  opl_lookups_clear (&lk);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("lookup");
  TCase *tc = tcase_create ("tables");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, endpoints);
  tcase_add_test (tc, all_fixtures);
  tcase_add_test (tc, select_labels_v6);
  tcase_add_test (tc, refused_items);
  tcase_add_test (tc, odd_optional_fields);
  tcase_add_test (tc, names_repaired);
  tcase_add_test (tc, extra_outlives_page);
  tcase_add_test (tc, duplicates_last_wins);
  tcase_add_test (tc, large_table);
  tcase_add_test (tc, empty_and_init);
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
