/* opl-time.c: the dates Paperless sends, parsed exactly, and their RFC 3339
 * and Unix-microsecond forms.
 *
 * Forms accepted (paperless-api.md §3.4, §11): "YYYY-MM-DD" (created, API
 * >= 9), "YYYY-MM-DDTHH:MM:SS" with an optional 1-6 digit fraction and an
 * optional zone ("Z" or "±HH:MM"; none means UTC), also with a space or a
 * lower-case 't' instead of 'T'.  Calendar arithmetic is proleptic
 * Gregorian on 64-bit day counts, so no libc time function (and no TZ
 * environment) is involved. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "opl.h"

/* Parse exactly n ASCII digits at s; -1 when any is not a digit. */
static int
digits (const char *s, int n)
{
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

static bool
is_leap (int y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month (int y, int m)
{
  static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap (y) ? 29 : dim[m - 1];
}

/* "YYYY-MM-DD" at s (10 bytes available). */
static bool
parse_date (const char *s, opl_time *t)
{
  if (s[4] != '-' || s[7] != '-')
    return false;
  t->year = digits (s, 4);
  t->month = digits (s + 5, 2);
  t->day = digits (s + 8, 2);
  if (t->year < 1 || t->month < 1 || t->month > 12 || t->day < 1)
    return false;
  return t->day <= days_in_month (t->year, t->month);
}

/* "HH:MM:SS" at s (8 bytes available). */
static bool
parse_clock (const char *s, opl_time *t)
{
  if (s[2] != ':' || s[5] != ':')
    return false;
  t->hour = digits (s, 2);
  t->minute = digits (s + 3, 2);
  t->second = digits (s + 6, 2);
  /* No leap seconds: Python's datetime cannot produce them. */
  return t->hour >= 0 && t->hour <= 23 && t->minute >= 0 && t->minute <= 59
         && t->second >= 0 && t->second <= 59;
}

/* Zone designator filling s[0..len): "", "Z", "z" or "±HH:MM". */
static bool
parse_zone (const char *s, size_t len, opl_time *t)
{
  if (len == 0)
    return true;
  if (len == 1)
    return s[0] == 'Z' || s[0] == 'z';
  if (len != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':')
    return false;
  int hh = digits (s + 1, 2), mm = digits (s + 4, 2);
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59)
    return false;
  t->offset_min = (s[0] == '-' ? -1 : 1) * (hh * 60 + mm);
  return true;
}

bool
opl_time_parse (const char *s, size_t len, opl_time *out)
{
  opl_time t = {0};
  size_t i;

  if (s == NULL || len < 10 || !parse_date (s, &t))
    return false;
  if (len == 10) {
    t.date_only = true;
    *out = t;
    return true;
  }
  if (len < 19 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
      || !parse_clock (s + 11, &t))
    return false;
  i = 19;
  if (i < len && s[i] == '.') {
    int n = 0;
    i++;
    while (i < len && s[i] >= '0' && s[i] <= '9' && n < 7) {
      t.micro = t.micro * 10 + (s[i] - '0');
      i++;
      n++;
    }
    if (n < 1 || n > 6)
      return false;
    for (; n < 6; n++)
      t.micro *= 10;
  }
  if (!parse_zone (s + i, len - i, &t))
    return false;
  *out = t;
  return true;
}

/* Formatting runs three times per document: digits by hand, since
 * snprintf cost more than the rest of the mapping of a date (callgrind). */
static char *
put_digits (char *o, int v, int width)
{
  for (int k = width - 1; k >= 0; k--) {
    o[k] = (char)('0' + v % 10);
    v /= 10;
  }
  return o + width;
}

/* "YYYY-MM-DD" at o; false when a field is out of the ranges
 * opl_time_parse guarantees (the caller then uses snprintf). */
static bool
put_date (char *o, const opl_time *t)
{
  if (t->year < 0 || t->year > 9999 || t->month < 0 || t->month > 99
      || t->day < 0 || t->day > 99)
    return false;
  o = put_digits (o, t->year, 4);
  *o++ = '-';
  o = put_digits (o, t->month, 2);
  *o++ = '-';
  put_digits (o, t->day, 2);
  return true;
}

static bool
time_in_range (const opl_time *t)
{
  return t->hour >= 0 && t->hour <= 99 && t->minute >= 0 && t->minute <= 99
         && t->second >= 0 && t->second <= 99 && t->micro >= 0
         && t->micro <= 999999 && t->offset_min > -6000 && t->offset_min < 6000;
}

/* Copy the len bytes at s into buf as a C string, cut to fit. */
static void
copy_out (char *buf, size_t buflen, const char *s, size_t len)
{
  if (len >= buflen)
    len = buflen - 1;
  memcpy (buf, s, len);
  buf[len] = '\0';
}

void
opl_time_format_rfc3339 (const opl_time *t, char *buf, size_t buflen)
{
  char tmp[40], *o = tmp + 10;

  if (buf == NULL || buflen == 0)
    return;
  if (!put_date (tmp, t) || (!t->date_only && !time_in_range (t))) {
    snprintf (buf, buflen, "%04d-%02d-%02dT%02d:%02d:%02dZ", t->year, t->month,
              t->day, t->hour, t->minute, t->second);
    return;
  }
  *o++ = 'T';
  if (t->date_only) {
    memcpy (o, "00:00:00Z", 9);
    copy_out (buf, buflen, tmp, 20);
    return;
  }
  o = put_digits (o, t->hour, 2);
  *o++ = ':';
  o = put_digits (o, t->minute, 2);
  *o++ = ':';
  o = put_digits (o, t->second, 2);
  if (t->micro != 0) {
    *o++ = '.';
    o = put_digits (o, t->micro, 6);
  }
  if (t->offset_min == 0)
    *o++ = 'Z';
  else {
    int off = t->offset_min < 0 ? -t->offset_min : t->offset_min;
    *o++ = t->offset_min < 0 ? '-' : '+';
    o = put_digits (o, off / 60, 2);
    *o++ = ':';
    o = put_digits (o, off % 60, 2);
  }
  copy_out (buf, buflen, tmp, (size_t)(o - tmp));
}

void
opl_time_format_date (const opl_time *t, char *buf, size_t buflen)
{
  char tmp[10];

  if (buf == NULL || buflen == 0)
    return;
  if (put_date (tmp, t))
    copy_out (buf, buflen, tmp, sizeof tmp);
  else
    snprintf (buf, buflen, "%04d-%02d-%02d", t->year, t->month, t->day);
}

void
opl_time_format_minute (const opl_time *t, char *buf, size_t buflen)
{
  char tmp[16];
  int hour = t->date_only ? 0 : t->hour, minute = t->date_only ? 0 : t->minute;

  if (buf == NULL || buflen == 0)
    return;
  if (put_date (tmp, t) && hour >= 0 && hour <= 99 && minute >= 0
      && minute <= 99) {
    tmp[10] = ' ';
    put_digits (tmp + 11, hour, 2);
    tmp[13] = ':';
    put_digits (tmp + 14, minute, 2);
    copy_out (buf, buflen, tmp, sizeof tmp);
  } else
    snprintf (buf, buflen, "%04d-%02d-%02d %02d:%02d", t->year, t->month,
              t->day, hour, minute);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (after H. Hinnant's
 * days_from_civil: eras of 400 years, March-based years). */
static int64_t
days_from_civil (int64_t y, int m, int d)
{
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void
civil_from_days (int64_t z, int *y, int *m, int *d)
{
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = (int)(yoe + era * 400 + (*m <= 2));
}

#define US_PER_SEC INT64_C (1000000)
#define US_PER_DAY (INT64_C (86400) * US_PER_SEC)

int64_t
opl_time_to_unix_us (const opl_time *t)
{
  int64_t days = days_from_civil (t->year, t->month, t->day);
  int64_t secs = (int64_t)t->hour * 3600 + (int64_t)t->minute * 60 + t->second
                 - (int64_t)t->offset_min * 60;
  return days * US_PER_DAY + secs * US_PER_SEC + t->micro;
}

void
opl_time_from_unix_us (int64_t us, opl_time *out)
{
  /* Floor division, so that instants before 1970 land on the right day. */
  int64_t days = us / US_PER_DAY, rem = us % US_PER_DAY;
  if (rem < 0) {
    rem += US_PER_DAY;
    days--;
  }
  opl_time t = {0};
  civil_from_days (days, &t.year, &t.month, &t.day);
  int64_t secs = rem / US_PER_SEC;
  t.micro = (int)(rem % US_PER_SEC);
  t.hour = (int)(secs / 3600);
  t.minute = (int)(secs / 60 % 60);
  t.second = (int)(secs % 60);
  *out = t;
}
