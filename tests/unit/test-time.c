/* test-time.c: every date form Paperless sends (paperless-api.md §3.4,
 * §11), range checks, RFC 3339 output and Unix microseconds; and the
 * retry waits (Retry-After dates, back-off, jitter, cap). */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opl.h"

static opl_time
parse_ok (const char *s)
{
  opl_time t;
  memset (&t, 0x55, sizeof t); /* garbage: every field must be written */
  ck_assert_msg (opl_time_parse (s, strlen (s), &t), "refused: %s", s);
  return t;
}

static void
parse_bad (const char *s)
{
  opl_time t = {.year = 1234};
  ck_assert_msg (!opl_time_parse (s, strlen (s), &t), "accepted: %s", s);
  ck_assert_int_eq (t.year, 1234); /* untouched */
}

static void
assert_rfc (const char *in, const char *want)
{
  char buf[40];
  opl_time t = parse_ok (in);
  opl_time_format_rfc3339 (&t, buf, sizeof buf);
  ck_assert_str_eq (buf, want);
}

START_TEST (date_only)
{
  opl_time t = parse_ok ("2025-05-01");
  ck_assert (t.date_only);
  ck_assert_int_eq (t.year, 2025);
  ck_assert_int_eq (t.month, 5);
  ck_assert_int_eq (t.day, 1);
  ck_assert_int_eq (t.hour, 0);
  ck_assert_int_eq (t.minute, 0);
  ck_assert_int_eq (t.second, 0);
  ck_assert_int_eq (t.micro, 0);
  ck_assert_int_eq (t.offset_min, 0);
  assert_rfc ("2025-05-01", "2025-05-01T00:00:00Z");
}
END_TEST

START_TEST (utc_z_with_micro)
{
  opl_time t = parse_ok ("2025-06-08T18:18:11.120643Z");
  ck_assert (!t.date_only);
  ck_assert_int_eq (t.year, 2025);
  ck_assert_int_eq (t.month, 6);
  ck_assert_int_eq (t.day, 8);
  ck_assert_int_eq (t.hour, 18);
  ck_assert_int_eq (t.minute, 18);
  ck_assert_int_eq (t.second, 11);
  ck_assert_int_eq (t.micro, 120643);
  ck_assert_int_eq (t.offset_min, 0);
  assert_rfc ("2025-06-08T18:18:11.120643Z", "2025-06-08T18:18:11.120643Z");
}
END_TEST

START_TEST (utc_z_no_fraction)
{
  opl_time t = parse_ok ("2025-06-08T18:18:11Z");
  ck_assert_int_eq (t.micro, 0);
  assert_rfc ("2025-06-08T18:18:11Z", "2025-06-08T18:18:11Z");
}
END_TEST

START_TEST (positive_offset)
{
  opl_time t = parse_ok ("2024-12-21T21:41:49.907469+01:00");
  ck_assert_int_eq (t.offset_min, 60);
  ck_assert_int_eq (t.micro, 907469);
  assert_rfc ("2024-12-21T21:41:49.907469+01:00",
              "2024-12-21T21:41:49.907469+01:00");
}
END_TEST

START_TEST (negative_offset)
{
  opl_time t = parse_ok ("2024-03-10T01:59:59-05:30");
  ck_assert_int_eq (t.offset_min, -330);
  assert_rfc ("2024-03-10T01:59:59-05:30", "2024-03-10T01:59:59-05:30");
}
END_TEST

/* v < 9 on 2.16+: local midnight, and +00:00 is not rewritten as Z. */
START_TEST (local_midnight_with_offset)
{
  opl_time t = parse_ok ("2025-05-01T00:00:00+02:00");
  ck_assert (!t.date_only);
  ck_assert_int_eq (t.offset_min, 120);
  assert_rfc ("2025-05-01T00:00:00+02:00", "2025-05-01T00:00:00+02:00");
  assert_rfc ("2025-05-01T00:00:00+00:00", "2025-05-01T00:00:00Z");
  assert_rfc ("2025-05-01T00:00:00-00:00", "2025-05-01T00:00:00Z");
}
END_TEST

START_TEST (fraction_digits)
{
  static const struct {
    const char *in;
    int micro;
    const char *rfc;
  } cases[] = {
      {"2025-01-01T00:00:00.1Z", 100000, "2025-01-01T00:00:00.100000Z"},
      {"2025-01-01T00:00:00.12Z", 120000, "2025-01-01T00:00:00.120000Z"},
      {"2025-01-01T00:00:00.123Z", 123000, "2025-01-01T00:00:00.123000Z"},
      {"2025-01-01T00:00:00.1234Z", 123400, "2025-01-01T00:00:00.123400Z"},
      {"2025-01-01T00:00:00.12345Z", 123450, "2025-01-01T00:00:00.123450Z"},
      {"2025-01-01T00:00:00.123456Z", 123456, "2025-01-01T00:00:00.123456Z"},
      {"2025-01-01T00:00:00.000001Z", 1, "2025-01-01T00:00:00.000001Z"},
      {"2025-01-01T00:00:00.000000Z", 0, "2025-01-01T00:00:00Z"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    opl_time t = parse_ok (cases[i].in);
    ck_assert_int_eq (t.micro, cases[i].micro);
    assert_rfc (cases[i].in, cases[i].rfc);
  }
}
END_TEST

START_TEST (separators_and_zones)
{
  /* Django also prints "2025-01-01 10:00:00"; a missing zone is UTC. */
  opl_time t = parse_ok ("2025-01-01 10:00:00");
  ck_assert_int_eq (t.hour, 10);
  ck_assert_int_eq (t.offset_min, 0);
  assert_rfc ("2025-01-01 10:00:00", "2025-01-01T10:00:00Z");
  assert_rfc ("2025-01-01t10:00:00z", "2025-01-01T10:00:00Z");
  assert_rfc ("2025-01-01 10:00:00.5+01:00",
              "2025-01-01T10:00:00.500000+01:00");
  assert_rfc ("2025-01-01T10:00:00+23:59", "2025-01-01T10:00:00+23:59");
  assert_rfc ("2025-01-01T10:00:00-23:59", "2025-01-01T10:00:00-23:59");
}
END_TEST

START_TEST (length_is_respected)
{
  /* Not NUL-terminated where the length ends. */
  const char *s = "2025-01-01T10:00:00Zgarbage";
  opl_time t;
  ck_assert (opl_time_parse (s, 20, &t));
  ck_assert (!opl_time_parse (s, strlen (s), &t));
  ck_assert (opl_time_parse (s, 10, &t));
  ck_assert (t.date_only);
  ck_assert (!opl_time_parse (s, 9, &t));
  ck_assert (!opl_time_parse (NULL, 0, &t));
}
END_TEST

START_TEST (calendar_ranges)
{
  parse_ok ("2024-02-29");
  parse_ok ("2000-02-29");
  parse_ok ("0001-01-01");
  parse_ok ("9999-12-31T23:59:59.999999Z");
  parse_ok ("2025-01-31");
  parse_ok ("2025-04-30");
  parse_bad ("2023-02-29");
  parse_bad ("1900-02-29");
  parse_bad ("2025-04-31");
  parse_bad ("2025-00-10");
  parse_bad ("2025-13-10");
  parse_bad ("2025-01-00");
  parse_bad ("2025-01-32");
  parse_bad ("0000-01-01");
}
END_TEST

START_TEST (malformed)
{
  static const char *const bad[] = {
      "",
      "2025",
      "2025-1-01",
      "2025/01/01",
      "25-01-01xx",
      "2025-01-01T",
      "2025-01-01X10:00:00Z",
      "2025-01-01T10:00Z",
      "2025-01-01T10:00",
      "2025-01-01T24:00:00Z",
      "2025-01-01T23:60:00Z",
      "2025-01-01T23:59:60Z",
      "2025-01-01T1a:00:00Z",
      "2025-01-01T10:00:00.Z",
      "2025-01-01T10:00:00.1234567Z",
      "2025-01-01T10:00:00,5Z",
      "2025-01-01T10:00:00+0100",
      "2025-01-01T10:00:00+01",
      "2025-01-01T10:00:00+24:00",
      "2025-01-01T10:00:00+01:60",
      "2025-01-01T10:00:00ZZ",
      "2025-01-01T10:00:00Z ",
      " 2025-01-01",
      "2025-01-01Z",
      "2025-01-01+01:00",
      "-2025-01-01",
      "+2025-01-01T00:00:00Z",
      "２０２５-01-01",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    parse_bad (bad[i]);
}
END_TEST

START_TEST (format_date_and_minute)
{
  char buf[40];
  opl_time t = parse_ok ("2024-03-09T08:15:30.25+01:00");
  opl_time_format_date (&t, buf, sizeof buf);
  ck_assert_str_eq (buf, "2024-03-09");
  opl_time_format_minute (&t, buf, sizeof buf);
  ck_assert_str_eq (buf, "2024-03-09 08:15");
  t = parse_ok ("2024-03-09");
  opl_time_format_minute (&t, buf, sizeof buf);
  ck_assert_str_eq (buf, "2024-03-09 00:00");
  /* Small buffers are cut, never overrun. */
  memset (buf, 'x', sizeof buf);
  opl_time_format_rfc3339 (&t, buf, 5);
  ck_assert_str_eq (buf, "2024");
  ck_assert_int_eq (buf[6], 'x');
  opl_time_format_date (&t, buf, 0);
  ck_assert_str_eq (buf, "2024");
}
END_TEST

START_TEST (unix_us)
{
  ck_assert_int_eq (
      opl_time_to_unix_us (&(opl_time){.year = 1970, .month = 1, .day = 1}), 0);
  opl_time t = parse_ok ("2025-06-08T18:18:11.120643Z");
  ck_assert_int_eq (opl_time_to_unix_us (&t), INT64_C (1749406691120643));
  /* The offset is applied: 01:00 at +01:00 is midnight UTC. */
  t = parse_ok ("2025-01-01T01:00:00+01:00");
  ck_assert_int_eq (opl_time_to_unix_us (&t), INT64_C (1735689600000000));
  t = parse_ok ("2024-12-31T19:00:00-05:00");
  ck_assert_int_eq (opl_time_to_unix_us (&t), INT64_C (1735689600000000));
  t = parse_ok ("2025-01-01");
  ck_assert_int_eq (opl_time_to_unix_us (&t), INT64_C (1735689600000000));
  t = parse_ok ("1969-12-31T23:59:59.999999Z");
  ck_assert_int_eq (opl_time_to_unix_us (&t), -1);
  t = parse_ok ("2000-03-01T00:00:00Z");
  ck_assert_int_eq (opl_time_to_unix_us (&t), INT64_C (951868800000000));
  t = parse_ok ("0001-01-01T00:00:00Z");
  ck_assert_int_eq (opl_time_to_unix_us (&t), INT64_C (-62135596800000000));
  t = parse_ok ("9999-12-31T23:59:59.999999Z");
  ck_assert_int_eq (opl_time_to_unix_us (&t), INT64_C (253402300799999999));
}
END_TEST

START_TEST (unix_us_round_trip)
{
  static const int64_t samples[] = {
      0,
      1,
      -1,
      INT64_C (86399999999),
      INT64_C (86400000000),
      INT64_C (-86400000000),
      INT64_C (-86400000001),
      INT64_C (951782400000000), /* 2000-02-29 */
      INT64_C (1749406691120643),
      INT64_C (-62135596800000000),
      INT64_C (253402300799999999),
  };
  char buf[40];
  for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
    opl_time t;
    opl_time_from_unix_us (samples[i], &t);
    ck_assert_int_eq (t.offset_min, 0);
    ck_assert (!t.date_only);
    ck_assert_int_eq (opl_time_to_unix_us (&t), samples[i]);
    /* Through text and back. */
    opl_time_format_rfc3339 (&t, buf, sizeof buf);
    opl_time u = parse_ok (buf);
    ck_assert_int_eq (opl_time_to_unix_us (&u), samples[i]);
  }
  opl_time t;
  opl_time_from_unix_us (INT64_C (951782400000000), &t);
  ck_assert_int_eq (t.year, 2000);
  ck_assert_int_eq (t.month, 2);
  ck_assert_int_eq (t.day, 29);
  opl_time_from_unix_us (-1, &t);
  opl_time_format_rfc3339 (&t, buf, sizeof buf);
  ck_assert_str_eq (buf, "1969-12-31T23:59:59.999999Z");
  /* Every day over 800 years, both ways (covers 400-year eras and leap
   * rules). */
  int64_t day_us = INT64_C (86400000000);
  for (int64_t d = -120000; d < 180000; d += 7) {
    opl_time_from_unix_us (d * day_us + 3723000004, &t);
    ck_assert_int_eq (t.hour, 1);
    ck_assert_int_eq (t.minute, 2);
    ck_assert_int_eq (t.second, 3);
    ck_assert_int_eq (t.micro, 4);
    ck_assert_int_eq (opl_time_to_unix_us (&t), d * day_us + 3723000004);
  }
}
END_TEST

/* Retry waits (opl-api.c): Retry-After in seconds or as an HTTP date,
 * else exponential back-off with jitter, never above the cap. */
START_TEST (retry_waits)
{
  uint32_t rng = 12345;
  unsigned prev_lo = 0;

  for (unsigned attempt = 0; attempt < 6; attempt++) {
    unsigned base = 1000u << attempt, lo = ~0u, hi = 0;
    for (int k = 0; k < 200; k++) {
      unsigned ms = opl_retry_delay_ms (3600, NULL, attempt, &rng);
      lo = ms < lo ? ms : lo;
      hi = ms > hi ? ms : hi;
    }
    /* +-25 %, and really spread (jitter decorrelates instances). */
    ck_assert_uint_ge (lo, base - base / 4);
    ck_assert_uint_le (hi, base + base / 4);
    ck_assert_uint_gt (hi - lo, base / 4);
    ck_assert_uint_gt (lo, prev_lo);
    prev_lo = lo;
  }
  /* The cap holds whatever the jitter draws. */
  for (int k = 0; k < 200; k++)
    ck_assert_uint_le (opl_retry_delay_ms (5, NULL, 10, &rng), 5000);
  ck_assert_uint_eq (opl_retry_delay_ms (5, NULL, 40, &rng) <= 5000, 1);
  /* Retry-After, seconds and HTTP dates, capped too. */
  ck_assert_uint_eq (opl_retry_delay_ms (300, "7", 0, &rng), 7000);
  ck_assert_uint_eq (opl_retry_delay_ms (300, "900", 0, &rng), 300000);
  ck_assert_uint_eq (
      opl_retry_delay_ms (300, "Wed, 21 Oct 2015 07:28:00 GMT", 0, &rng), 0);
  {
    char date[64];
    time_t later = time (NULL) + 120;
    struct tm tm;
    gmtime_r (&later, &tm);
    strftime (date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    unsigned ms = opl_retry_delay_ms (300, date, 0, &rng);
    ck_assert_uint_ge (ms, 115000);
    ck_assert_uint_le (ms, 120000);
  }
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("time");
  TCase *tc = tcase_create ("parse");
  tcase_add_test (tc, date_only);
  tcase_add_test (tc, utc_z_with_micro);
  tcase_add_test (tc, utc_z_no_fraction);
  tcase_add_test (tc, positive_offset);
  tcase_add_test (tc, negative_offset);
  tcase_add_test (tc, local_midnight_with_offset);
  tcase_add_test (tc, fraction_digits);
  tcase_add_test (tc, separators_and_zones);
  tcase_add_test (tc, length_is_respected);
  tcase_add_test (tc, calendar_ranges);
  tcase_add_test (tc, malformed);
  suite_add_tcase (s, tc);
  tc = tcase_create ("format");
  tcase_add_test (tc, retry_waits);
  tcase_add_test (tc, format_date_and_minute);
  tcase_add_test (tc, unix_us);
  tcase_add_test (tc, unix_us_round_trip);
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
