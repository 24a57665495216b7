/* test-fields.c: custom-field values, every data type in every encoding a
 * server generation sends (paperless-api.md §8), odd shapes logged once. */
#include <config.h>

#include <locale.h>

#include "map-test.h"
#include "opl-map-extra.h"

static opl_lookups lk;    /* custom fields in the v7+ shape */
static opl_lookups lk_v6; /* select options as plain labels */
static mt_log logbuf;
static opl_log log_sink;
static opl_seen seen;
static opl_field_env env;
static opl_buf out;

static void
setup (void)
{
  opl_lookups_init (&lk);
  mt_load_table (&lk, OPL_LK_CUSTOM_FIELDS, "custom_fields.json");
  opl_lookups_init (&lk_v6);
  mt_load_table (&lk_v6, OPL_LK_CUSTOM_FIELDS, "custom_fields_v6.json");
  memset (&logbuf, 0, sizeof logbuf);
  log_sink = (opl_log){.fn = mt_log_fn, .ud = &logbuf};
  memset (&seen, 0, sizeof seen);
  env = (opl_field_env){.log = &log_sink, .seen = &seen, .doc_id = 77};
  opl_buf_init (&out);
}

static void
teardown (void)
{
  opl_lookups_clear (&lk);
  opl_lookups_clear (&lk_v6);
  opl_seen_free (&seen);
  opl_buf_free (&out);
}

/* Format `json` as the value of field `fid` (looked up in `tables`); NULL
 * when the field has no value. */
static const char *
fmt_in (const opl_lookups *tables, int64_t fid, const char *json)
{
  /* Wrapped in a list: a bare scalar is not a complete JSON text for a
   * streaming parser. */
  char wrapped[512];
  snprintf (wrapped, sizeof wrapped, "[%s]", json);
  json_object *arr = mt_parse (wrapped);
  json_object *v = json_object_get (json_object_array_get_idx (arr, 0));
  json_object_put (arr);
  const opl_lookup *def
      = opl_lookup_find (&tables->t[OPL_LK_CUSTOM_FIELDS], fid);
  opl_buf_reset (&out);
  bool has = opl_field_format (&env, fid, def, v, &out);
  json_object_put (v);
  ck_assert (!out.oom);
  if (!has) {
    ck_assert_uint_eq (out.len, 0);
    return NULL;
  }
  return out.data ? out.data : "";
}

static const char *
fmt (int64_t fid, const char *json)
{
  return fmt_in (&lk, fid, json);
}

#define EXPECT(fid, json, want) ck_assert_str_eq (fmt (fid, json), want)
#define EXPECT_NONE(fid, json) ck_assert_ptr_null (fmt (fid, json))

START_TEST (text_types)
{
  EXPECT (40, "\"INV-2024-0042\"", "INV-2024-0042");
  EXPECT (41, "\"Line one\\nLine two\"", "Line one\nLine two");
  EXPECT (42, "\"https://example.com/a?b=c\"", "https://example.com/a?b=c");
  EXPECT_NONE (40, "\"\"");
  EXPECT_NONE (40, "null");
  EXPECT_NONE (42, "\"\"");
  ck_assert_int_eq (logbuf.count, 0);
}
END_TEST

START_TEST (date_type)
{
  EXPECT (43, "\"2024-04-01\"", "2024-04-01");
  /* A datetime where a date belongs: the date as written. */
  EXPECT (43, "\"2024-04-01T23:30:00-02:00\"", "2024-04-01");
  EXPECT_NONE (43, "null");
  ck_assert_int_eq (logbuf.count, 0);
  EXPECT (43, "\"01.04.2024\"", "01.04.2024");
  ck_assert_int_eq (logbuf.count, 1);
  ck_assert_ptr_nonnull (
      strstr (logbuf.text, "\"Due date\" (id 43, type date)"));
  ck_assert_ptr_nonnull (strstr (logbuf.text, "document 77"));
}
END_TEST

START_TEST (boolean_type)
{
  EXPECT (44, "true", "yes");
  EXPECT (44, "false", "no");
  EXPECT_NONE (44, "null");
  ck_assert_int_eq (logbuf.count, 0);
  EXPECT (44, "\"true\"", "true");
  EXPECT (44, "1", "1");
  ck_assert_int_eq (logbuf.count, 2);
}
END_TEST

START_TEST (integer_type)
{
  EXPECT (45, "42", "42");
  EXPECT (45, "-7", "-7");
  EXPECT (45, "0", "0");
  EXPECT (45, "2147483647", "2147483647");
  EXPECT (45, "-9223372036854775808", "-9223372036854775808");
  ck_assert_int_eq (logbuf.count, 0);
  EXPECT (45, "4.0", "4");
  EXPECT (45, "\"3\"", "3");
  ck_assert_int_eq (logbuf.count, 2);
}
END_TEST

START_TEST (float_type)
{
  EXPECT (46, "123.45", "123.45");
  EXPECT (46, "0.1", "0.1");
  EXPECT (46, "-0.5", "-0.5");
  EXPECT (46, "100.0", "100");
  EXPECT (46, "2", "2");
  EXPECT (46, "1234567.891", "1234567.891");
  EXPECT (46, "0.30000000000000004", "0.30000000000000004");
  EXPECT (46, "1e-7", "0.0000001");
  EXPECT (46, "12345678901234.5", "12345678901234.5");
  EXPECT (46, "-0.0", "0");
  EXPECT (46, "1e20", "1e+20");
  EXPECT (46, "1.5e-12", "1.5e-12");
  ck_assert_int_eq (logbuf.count, 0);
  EXPECT (46, "\"1.5\"", "1.5");
  ck_assert_int_eq (logbuf.count, 1);
}
END_TEST

START_TEST (format_double_direct)
{
  char buf[64];
  opl_format_double (19.99, buf, sizeof buf);
  ck_assert_str_eq (buf, "19.99");
  opl_format_double (1.0 / 3.0, buf, sizeof buf);
  ck_assert_str_eq (buf, "0.3333333333333333");
  opl_format_double (999999999999999.0, buf, sizeof buf);
  ck_assert_str_eq (buf, "999999999999999");
  opl_format_double (-1234.5, buf, sizeof buf);
  ck_assert_str_eq (buf, "-1234.5");
  opl_format_double (0.0 / 0.0, buf, sizeof buf);
  ck_assert_str_eq (buf, "NaN");
  opl_format_double (1.0 / 0.0, buf, sizeof buf);
  ck_assert_str_eq (buf, "Infinity");
  opl_format_double (1.5, buf, 2); /* cut, terminated */
  ck_assert_str_eq (buf, "1");
  /* A locale with a decimal comma changes nothing (when one exists). */
  const char *locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "de_DE"};
  for (size_t i = 0; i < sizeof locales / sizeof locales[0]; i++) {
    if (setlocale (LC_NUMERIC, locales[i]) == NULL)
      continue;
    opl_format_double (123.45, buf, sizeof buf);
    setlocale (LC_NUMERIC, "C");
    ck_assert_str_eq (buf, "123.45");
    break;
  }
}
END_TEST

START_TEST (monetary_type)
{
  EXPECT (47, "\"EUR1234.50\"", "1234.50 EUR");
  EXPECT (47, "\"USD-5.00\"", "-5.00 USD");
  EXPECT (47, "\"CHF1000\"", "1000 CHF");
  EXPECT (47, "\"0.5\"", "0.5");       /* no default currency */
  EXPECT (48, "\"99.9\"", "99.9 USD"); /* default currency USD */
  EXPECT (48, "\"GBP12.00\"", "12.00 GBP");
  EXPECT (48, "12.5", "12.5 USD"); /* before 2.6: a JSON number */
  EXPECT (47, "1000", "1000");
  EXPECT_NONE (47, "\"\"");
  EXPECT_NONE (48, "null");
  ck_assert_int_eq (logbuf.count, 0);
  EXPECT (47, "\"1,234.50 EUR\"", "1,234.50 EUR");
  EXPECT (47, "\"eur12.00\"", "eur12.00");
  EXPECT (47, "\"EURO12\"", "EURO12");
  EXPECT (47, "\"EUR12.\"", "EUR12.");
  EXPECT (47, "\"EUR\"", "EUR");
  EXPECT (47, "\"-\"", "-");
  EXPECT (47, "true", "yes");
  /* One line per (field, shape): the strings above share one. */
  ck_assert_int_eq (logbuf.count, 2);
}
END_TEST

START_TEST (monetary_v6_default)
{
  ck_assert_str_eq (fmt_in (&lk_v6, 47, "\"-5.00\""), "-5.00 EUR");
  ck_assert_str_eq (fmt_in (&lk_v6, 47, "\"USD3.10\""), "3.10 USD");
}
END_TEST

static const char *
titles (void *ud, int64_t id)
{
  ck_assert_ptr_eq (ud, &lk);
  if (id == 102)
    return "Water bill";
  if (id == 103)
    return "Bad \xff title";
  if (id == 104)
    return "";
  return NULL;
}

START_TEST (documentlink_type)
{
  EXPECT (49, "[102, 7]", "#102, #7");
  EXPECT (49, "[5]", "#5");
  EXPECT_NONE (49, "[]");
  EXPECT_NONE (49, "null");
  env.doc_title = titles;
  env.doc_title_ud = &lk;
  EXPECT (49, "[102, 7, 103, 104]",
          "Water bill (#102), #7, Bad \xEF\xBF\xBD title (#103), #104");
  ck_assert_int_eq (logbuf.count, 0);
  EXPECT (49, "\"102\"", "102");
  EXPECT (49, "[1, \"x\"]", "[1,\"x\"]");
  EXPECT (49, "102", "102");
  ck_assert_int_eq (logbuf.count, 3); /* string, array, int */
}
END_TEST

START_TEST (select_v7_ids)
{
  EXPECT (50, "\"Z9y8X7w6V5u4T3s2\"", "Low");
  EXPECT (50, "\"a1B2c3D4e5F6g7H8\"", "High");
  /* 2.14.0-2.14.5 with API < 7 still send ids; index into objects works
   * too. */
  EXPECT (50, "0", "High");
  EXPECT (50, "1", "Low");
  /* A server that stored the label itself. */
  EXPECT (50, "\"High\"", "High");
  EXPECT_NONE (50, "null");
  ck_assert_int_eq (logbuf.count, 0);
  EXPECT (50, "\"removedOption000\"", "removedOption000");
  EXPECT (50, "2", "2");
  EXPECT (50, "-1", "-1");
  ck_assert_int_eq (logbuf.count, 2); /* string, int */
}
END_TEST

START_TEST (select_v6_index)
{
  ck_assert_str_eq (fmt_in (&lk_v6, 50, "0"), "High");
  ck_assert_str_eq (fmt_in (&lk_v6, 50, "1"), "Low");
  ck_assert_str_eq (fmt_in (&lk_v6, 50, "\"Low\""), "Low");
  ck_assert_int_eq (logbuf.count, 0);
  ck_assert_str_eq (fmt_in (&lk_v6, 50, "2"), "2");
  ck_assert_str_eq (fmt_in (&lk_v6, 50, "1.0"), "1");
  ck_assert_int_eq (logbuf.count, 2);
}
END_TEST

START_TEST (select_without_options)
{
  char name[] = "Sel", type[] = "select";
  opl_lookup def = {.id = 60, .name = name, .data_type = type};
  opl_buf_reset (&out);
  json_object *v = json_object_new_string ("abc");
  ck_assert (opl_field_format (&env, 60, &def, v, &out));
  ck_assert_str_eq (out.data, "abc");
  json_object_put (v);
  ck_assert_int_eq (logbuf.count, 1);
}
END_TEST

START_TEST (unknown_type_and_field)
{
  EXPECT (53, "{\"lat\": 52.5, \"lon\": 13.4}", "{\"lat\":52.5,\"lon\":13.4}");
  ck_assert_int_eq (logbuf.count, 1);
  ck_assert_ptr_nonnull (strstr (logbuf.text, "type geolocation"));
  EXPECT (53, "{\"lat\": 1, \"lon\": 2}", "{\"lat\":1,\"lon\":2}");
  ck_assert_int_eq (logbuf.count, 1); /* same field, same shape */
  /* A field the tables do not know: generic display, no log line. */
  EXPECT (777, "\"x\"", "x");
  EXPECT (777, "true", "yes");
  EXPECT (777, "false", "no");
  EXPECT (777, "1.25", "1.25");
  EXPECT (777, "-3", "-3");
  EXPECT (777, "[1, 2]", "[1,2]");
  EXPECT (777, "{\"a\": \"/\"}", "{\"a\":\"/\"}");
  EXPECT (777, "18446744073709551615", "18446744073709551615");
  EXPECT_NONE (777, "[]");
  EXPECT_NONE (777, "\"\"");
  ck_assert_int_eq (logbuf.count, 1);
  /* A definition without data_type. */
  char name[] = "Typeless";
  opl_lookup def = {.id = 61, .name = name};
  opl_buf_reset (&out);
  json_object *v = json_object_new_int (5);
  ck_assert (opl_field_format (&env, 61, &def, v, &out));
  json_object_put (v);
  ck_assert_str_eq (out.data, "5");
  ck_assert_int_eq (logbuf.count, 2);
  ck_assert_ptr_nonnull (strstr (logbuf.text, "type unknown"));
}
END_TEST

START_TEST (repaired_text)
{
  const opl_lookup *def = opl_lookup_find (&lk.t[OPL_LK_CUSTOM_FIELDS], 40);
  json_object *v = json_object_new_string_len ("a\xc3\x28"
                                               "b\0c\xed\xa0\x80",
                                               9);
  opl_buf_reset (&out);
  ck_assert (opl_field_format (&env, 40, def, v, &out));
  json_object_put (v);
  ck_assert_str_eq (out.data,
                    "a\xEF\xBF\xBD(bc\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  /* Appends after what the buffer held. */
  opl_buf_reset (&out);
  opl_buf_puts (&out, "pre:");
  v = json_object_new_boolean (1);
  ck_assert (opl_field_format (
      &env, 44, opl_lookup_find (&lk.t[OPL_LK_CUSTOM_FIELDS], 44), v, &out));
  ck_assert_str_eq (out.data, "pre:yes");
  /* A wrong shape after a prefix: only the partial value is undone. */
  opl_buf_reset (&out);
  opl_buf_puts (&out, "pre:");
  ck_assert (opl_field_format (
      &env, 43, opl_lookup_find (&lk.t[OPL_LK_CUSTOM_FIELDS], 43), v, &out));
  ck_assert_str_eq (out.data, "pre:yes");
  json_object_put (v);
}
END_TEST

START_TEST (no_env)
{
  json_object *v = json_object_new_string ("bad");
  opl_buf_reset (&out);
  ck_assert (opl_field_format (
      NULL, 45, opl_lookup_find (&lk.t[OPL_LK_CUSTOM_FIELDS], 45), v, &out));
  ck_assert_str_eq (out.data, "bad");
  json_object_put (v);
  v = json_object_new_array ();
  json_object_array_add (v, json_object_new_int (9));
  opl_buf_reset (&out);
  ck_assert (opl_field_format (
      NULL, 49, opl_lookup_find (&lk.t[OPL_LK_CUSTOM_FIELDS], 49), v, &out));
  ck_assert_str_eq (out.data, "#9");
  json_object_put (v);
}
END_TEST

START_TEST (log_once_per_field_and_shape)
{
  EXPECT (45, "\"a\"", "a");
  EXPECT (45, "\"b\"", "b"); /* same field, same shape */
  EXPECT (45, "1.5", "1.5"); /* same field, new shape */
  EXPECT (40, "1.5", "1.5"); /* new field, same shape */
  EXPECT (40, "2.5", "2.5");
  ck_assert_int_eq (logbuf.count, 3);
  ck_assert_int_eq (logbuf.warnings, 3);
  /* The value itself never reaches the log. */
  ck_assert_ptr_null (strstr (logbuf.text, "\"a\""));
}
END_TEST

START_TEST (seen_set)
{
  opl_seen s = {0};
  for (uint64_t k = 0; k < OPL_SEEN_MAX; k++)
    ck_assert (opl_seen_first (&s, (k * 2654435761u) % 1000003));
  ck_assert_uint_eq (s.count, OPL_SEEN_MAX);
  ck_assert (!opl_seen_first (&s, 0));
  ck_assert (!opl_seen_first (&s, 999999999)); /* full: no more logging */
  for (size_t i = 1; i < s.count; i++)
    ck_assert (s.keys[i - 1] < s.keys[i]);
  opl_seen_free (&s);
  ck_assert (opl_seen_first (&s, 5));
  ck_assert (!opl_seen_first (&s, 5));
  opl_seen_free (&s);
}
END_TEST

static const char *
key_of (const char *name, int64_t id)
{
  opl_buf_reset (&out);
  opl_field_attr_key (&out, name, id);
  return out.data;
}

START_TEST (attr_keys)
{
  ck_assert_str_eq (key_of ("Invoice number", 40), "cf_invoice_number");
  ck_assert_str_eq (key_of ("  Amount (€) ", 47), "cf_amount");
  ck_assert_str_eq (key_of ("A--B__C", 1), "cf_a_b_c");
  ck_assert_str_eq (key_of ("ABC123", 1), "cf_abc123");
  ck_assert_str_eq (key_of ("Ünïcode Naïve – Größe", 51),
                    "cf_unicode_naive_grosse");
  ck_assert_str_eq (key_of ("Fällig am", 3), "cf_fallig_am");
  ck_assert_str_eq (key_of ("Priorität", 4), "cf_prioritat");
  ck_assert_str_eq (key_of ("Ærø Œuvre Łódź ſ", 5), "cf_aero_oeuvre_lodz_s");
  ck_assert_str_eq (key_of ("a×b÷c", 6), "cf_a_b_c");
  ck_assert_str_eq (key_of ("Привет Ä", 7), "cf_a");
  ck_assert_str_eq (key_of ("\xc3", 8), "cf_8"); /* a cut sequence */
  ck_assert_str_eq (key_of ("Привет", 52), "cf_52");
  ck_assert_str_eq (key_of ("---", 9), "cf_9");
  ck_assert_str_eq (key_of ("", 1), "cf_1");
  ck_assert_str_eq (key_of (NULL, 777), "cf_777");
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("fields");
  TCase *tc = tcase_create ("types");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, text_types);
  tcase_add_test (tc, date_type);
  tcase_add_test (tc, boolean_type);
  tcase_add_test (tc, integer_type);
  tcase_add_test (tc, float_type);
  tcase_add_test (tc, format_double_direct);
  tcase_add_test (tc, monetary_type);
  tcase_add_test (tc, monetary_v6_default);
  tcase_add_test (tc, documentlink_type);
  tcase_add_test (tc, select_v7_ids);
  tcase_add_test (tc, select_v6_index);
  tcase_add_test (tc, select_without_options);
  tcase_add_test (tc, unknown_type_and_field);
  tcase_add_test (tc, repaired_text);
  tcase_add_test (tc, no_env);
  tcase_add_test (tc, log_once_per_field_and_shape);
  tcase_add_test (tc, seen_set);
  tcase_add_test (tc, attr_keys);
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
