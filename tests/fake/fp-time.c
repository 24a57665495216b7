/* fp-time.c: dates and datetimes as Django and DRF read and write them. */
#include <config.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "fp-internal.h"

#define US_PER_DAY INT64_C (86400000000)

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t
fp_days_from_civil (int64_t y, unsigned m, unsigned d)
{
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

void
fp_civil_from_days (int64_t z, int *y, int *m, int *d)
{
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = (unsigned)(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

static int64_t
floordiv (int64_t a, int64_t b)
{
  return a / b - (a % b != 0 && ((a < 0) != (b < 0)));
}

/* ------------------------------------------------------------ zones
 * A zone is an int: base offset in minutes + 4096 * rule, so views carry it
 * by value.  Rules: 0 fixed, 1 EU (last Sunday of March/October, 01:00
 * UTC), 2 US (second Sunday of March 02:00 standard, first Sunday of
 * November 02:00 daylight). */

enum { RULE_FIXED, RULE_EU, RULE_US };

static void
tz_split (int tz, int *base, int *rule)
{
  *rule = (tz + 2048) / 4096;
  *base = tz - *rule * 4096;
}

static int64_t
weekday (int64_t days) /* 0 = Sunday */
{
  return ((days + 4) % 7 + 7) % 7;
}

static int64_t
last_sunday (int y, int m) /* m < 12 */
{
  int64_t last = fp_days_from_civil (y, (unsigned)m + 1, 1) - 1;
  return last - weekday (last);
}

static int64_t
nth_sunday (int y, int m, int n)
{
  int64_t first = fp_days_from_civil (y, (unsigned)m, 1);
  return first + (7 - weekday (first)) % 7 + 7 * (n - 1);
}

static int
tz_offset_at (int tz, int64_t utc_us)
{
  int base, rule;
  tz_split (tz, &base, &rule);
  if (rule == RULE_FIXED)
    return base;
  int y, m, d;
  fp_civil_from_days (floordiv (utc_us, US_PER_DAY), &y, &m, &d);
  const int64_t hour = 3600000000;
  int64_t start, end;
  if (rule == RULE_EU) {
    start = last_sunday (y, 3) * US_PER_DAY + hour;
    end = last_sunday (y, 10) * US_PER_DAY + hour;
  } else {
    start = nth_sunday (y, 3, 2) * US_PER_DAY + 2 * hour
            - (int64_t)base * 60000000;
    end = nth_sunday (y, 11, 1) * US_PER_DAY + 2 * hour
          - (int64_t)(base + 60) * 60000000;
  }
  return utc_us >= start && utc_us < end ? base + 60 : base;
}

/* The offset of a local wall time; ambiguous and skipped times resolve as
 * zoneinfo does with fold=0. */
static int
tz_offset_local (int tz, int64_t local_us)
{
  int base, rule;
  tz_split (tz, &base, &rule);
  if (rule != RULE_FIXED
      && tz_offset_at (tz, local_us - (int64_t)(base + 60) * 60000000)
             == base + 60)
    return base + 60;
  return base;
}

int32_t
fp_local_days (int64_t us, int tz)
{
  return (int32_t)floordiv (us + (int64_t)tz_offset_at (tz, us) * 60000000,
                            US_PER_DAY);
}

int64_t
fp_local_midnight (int32_t days, int tz)
{
  int64_t local = (int64_t)days * US_PER_DAY;
  return local - (int64_t)tz_offset_local (tz, local) * 60000000;
}

void
fp_buf_date (fp_buf *b, int32_t days)
{
  int y, m, d;
  fp_civil_from_days (days, &y, &m, &d);
  fp_buf_printf (b, "%04d-%02d-%02d", y, m, d);
}

void
fp_buf_datetime (fp_buf *b, int64_t us, int tz, int z_for_utc)
{
  int tz_min = tz_offset_at (tz, us);
  int64_t local = us + (int64_t)tz_min * 60000000;
  int64_t days = floordiv (local, US_PER_DAY);
  int64_t rem = local - days * US_PER_DAY;
  int y, m, d;
  fp_civil_from_days (days, &y, &m, &d);
  int64_t secs = rem / 1000000, frac = rem % 1000000;
  fp_buf_printf (b, "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d,
                 (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
  if (frac) /* isoformat() shows microseconds only when non-zero */
    fp_buf_printf (b, ".%06d", (int)frac);
  if (tz_min == 0 && z_for_utc)
    fp_buf_addc (b, 'Z');
  else {
    int a = tz_min < 0 ? -tz_min : tz_min;
    fp_buf_printf (b, "%c%02d:%02d", tz_min < 0 ? '-' : '+', a / 60, a % 60);
  }
}

static int
days_in_month (int y, int m)
{
  static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
    return 29;
  return dm[m - 1];
}

/* Reads between min and max digits; returns the count or 0. */
static int
digits (const char **p, int min, int max, int *out)
{
  int n = 0, v = 0;
  while (n < max && isdigit ((unsigned char)(*p)[n])) {
    v = v * 10 + ((*p)[n] - '0');
    n++;
  }
  if (n < min)
    return 0;
  *p += n;
  *out = v;
  return n;
}

static int
valid_ymd (int y, int m, int d)
{
  return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month (y, m);
}

/* [+-]HH[[:]MM] or Z; returns 0 or -1. */
static int
parse_offset (const char **p, int *tz_min, int *has_tz)
{
  const char *s = *p;
  if (*s == 'Z' || *s == 'z') {
    *tz_min = 0;
    *has_tz = 1;
    *p = s + 1;
    return 0;
  }
  if (*s != '+' && *s != '-')
    return 0;
  int sign = *s == '-' ? -1 : 1, hh, mm = 0;
  s++;
  if (digits (&s, 2, 2, &hh) == 0)
    return -1;
  if (*s == ':')
    s++;
  if (isdigit ((unsigned char)*s) && digits (&s, 2, 2, &mm) == 0)
    return -1;
  if (hh > 23 || mm > 59)
    return -1;
  *tz_min = sign * (hh * 60 + mm);
  *has_tz = 1;
  *p = s;
  return 0;
}

/* HH[:MM[:SS[.f+]]] */
static int
parse_time (const char **p, int *h, int *mi, int *sec, int *us)
{
  const char *s = *p;
  *mi = *sec = *us = 0;
  if (!digits (&s, 1, 2, h))
    return -1;
  if (*s == ':') {
    s++;
    if (!digits (&s, 1, 2, mi))
      return -1;
    if (*s == ':') {
      s++;
      if (!digits (&s, 1, 2, sec))
        return -1;
      if (*s == '.' || *s == ',') {
        s++;
        int n = 0, v = 0;
        while (isdigit ((unsigned char)*s)) {
          if (n < 6)
            v = v * 10 + (*s - '0');
          n++;
          s++;
        }
        if (n == 0)
          return -1;
        for (int k = n; k < 6; k++)
          v *= 10;
        *us = v;
      }
    }
  }
  if (*h > 23 || *mi > 59 || *sec > 59)
    return -1;
  *p = s;
  return 0;
}

/* %m/%d/%Y or %m/%d/%y (Django's DATE_INPUT_FORMATS after ISO). */
static int
parse_us_date (const char **p, int *y, int *m, int *d)
{
  const char *s = *p;
  if (!digits (&s, 1, 2, m) || *s++ != '/' || !digits (&s, 1, 2, d)
      || *s++ != '/')
    return -1;
  int n = digits (&s, 2, 4, y);
  if (n == 2)
    *y += *y < 69 ? 2000 : 1900;
  else if (n != 4)
    return -1;
  *p = s;
  return 0;
}

static int
parse_iso_date (const char **p, int *y, int *m, int *d)
{
  const char *s = *p;
  if (digits (&s, 8, 8, y) == 8) { /* fromisoformat: YYYYMMDD */
    *d = *y % 100;
    *m = *y / 100 % 100;
    *y /= 10000;
  } else {
    s = *p;
    if (!digits (&s, 4, 4, y) || *s++ != '-' || !digits (&s, 1, 2, m)
        || *s++ != '-' || !digits (&s, 1, 2, d))
      return -1;
  }
  *p = s;
  return 0;
}

int
fp_parse_datetime (const char *str, int tz, int64_t *out)
{
  while (isspace ((unsigned char)*str))
    str++;
  const char *s = str;
  int y, m, d, h = 0, mi = 0, sec = 0, us = 0, off = 0, has_tz = 0;
  int us_style = 0;
  if (parse_iso_date (&s, &y, &m, &d) < 0) {
    s = str;
    if (parse_us_date (&s, &y, &m, &d) < 0)
      return -1;
    us_style = 1;
  }
  if (*s == 'T' || *s == 't' || *s == ' ') {
    if (us_style && *s != ' ')
      return -1;
    s++;
    if (parse_time (&s, &h, &mi, &sec, &us) < 0)
      return -1;
    if (!us_style) {
      while (*s == ' ' || *s == '\t')
        s++;
      if (parse_offset (&s, &off, &has_tz) < 0)
        return -1;
    }
  }
  while (isspace ((unsigned char)*s))
    s++;
  if (*s || !valid_ymd (y, m, d))
    return -1;
  int64_t days = fp_days_from_civil (y, (unsigned)m, (unsigned)d);
  int64_t local
      = days * US_PER_DAY + ((int64_t)h * 3600 + mi * 60 + sec) * 1000000 + us;
  *out = local
         - (int64_t)(has_tz ? off : tz_offset_local (tz, local)) * 60000000;
  return 0;
}

int
fp_parse_date (const char *str, int32_t *out)
{
  while (isspace ((unsigned char)*str))
    str++;
  const char *s = str;
  int y, m, d;
  /* Django's DateField tries strptime formats only: no compact form. */
  if (!(digits (&s, 4, 4, &y) && *s++ == '-' && digits (&s, 1, 2, &m)
        && *s++ == '-' && digits (&s, 1, 2, &d))) {
    s = str;
    if (parse_us_date (&s, &y, &m, &d) < 0)
      return -1;
  }
  while (isspace ((unsigned char)*s))
    s++;
  if (*s || !valid_ymd (y, m, d))
    return -1;
  *out = (int32_t)fp_days_from_civil (y, (unsigned)m, (unsigned)d);
  return 0;
}

static const struct {
  const char *name;
  int base, rule;
} zones[] = {
    {"UTC", 0, RULE_FIXED},
    {"Etc/UTC", 0, RULE_FIXED},
    {"GMT", 0, RULE_FIXED},
    {"Europe/London", 0, RULE_EU},
    {"Europe/Dublin", 0, RULE_EU},
    {"Europe/Lisbon", 0, RULE_EU},
    {"Europe/Berlin", 60, RULE_EU},
    {"Europe/Vienna", 60, RULE_EU},
    {"Europe/Zurich", 60, RULE_EU},
    {"Europe/Paris", 60, RULE_EU},
    {"Europe/Brussels", 60, RULE_EU},
    {"Europe/Amsterdam", 60, RULE_EU},
    {"Europe/Luxembourg", 60, RULE_EU},
    {"Europe/Rome", 60, RULE_EU},
    {"Europe/Madrid", 60, RULE_EU},
    {"Europe/Copenhagen", 60, RULE_EU},
    {"Europe/Oslo", 60, RULE_EU},
    {"Europe/Stockholm", 60, RULE_EU},
    {"Europe/Warsaw", 60, RULE_EU},
    {"Europe/Prague", 60, RULE_EU},
    {"Europe/Budapest", 60, RULE_EU},
    {"Europe/Helsinki", 120, RULE_EU},
    {"Europe/Athens", 120, RULE_EU},
    {"America/New_York", -300, RULE_US},
    {"America/Chicago", -360, RULE_US},
    {"America/Denver", -420, RULE_US},
    {"America/Los_Angeles", -480, RULE_US},
    {"Asia/Tokyo", 540, RULE_FIXED},
    {"Asia/Kolkata", 330, RULE_FIXED},
};

int
fp_parse_tz (const char *s, int *tz)
{
  if (!s || !*s || strcmp (s, "Z") == 0) {
    *tz = 0;
    return 0;
  }
  for (size_t i = 0; i < sizeof zones / sizeof *zones; i++) {
    if (strcmp (zones[i].name, s) == 0) {
      *tz = zones[i].base + 4096 * zones[i].rule;
      return 0;
    }
  }
  int has = 0;
  const char *p = s;
  if (parse_offset (&p, tz, &has) < 0 || !has || *p)
    return -1;
  return 0;
}
