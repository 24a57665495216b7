/* opl-idset.c: sets of positive ids as sorted ranges, and their text form.
 *
 * Invariant of opl_idset: r[0..n) is sorted, every range has
 * 1 <= lo <= hi, and consecutive ranges leave a gap of at least one id
 * (r[i].hi + 1 < r[i+1].lo), so a set has exactly one representation and
 * `count` is the sum of the range lengths.
 *
 * Text form (checkpoints): ranges joined by ',', each "A+L" in lowercase
 * base 36 with no leading zeros, where L is the range length minus one and A
 * is the start of the first range, then the distance from the previous
 * range's end to this range's start (always >= 2).  The empty set is "".
 * Only the encoder's canonical output is accepted, so decode followed by
 * encode gives back the same text. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "opl.h"

void
opl_idset_init (opl_idset *s)
{
  memset (s, 0, sizeof *s);
}

void
opl_idset_free (opl_idset *s)
{
  free (s->r);
  opl_idset_init (s);
}

void
opl_idset_clear (opl_idset *s)
{
  s->n = 0;
  s->count = 0;
}

/* Make room for `extra` more ranges.  False on OOM (set unchanged). */
static bool
reserve (opl_idset *s, size_t extra)
{
  if (s->n + extra <= s->cap)
    return true;
  if (extra > SIZE_MAX / sizeof (opl_idrange) - s->n)
    return false;
  size_t need = s->n + extra;
  size_t cap = s->cap ? s->cap : 16;
  while (cap < need)
    cap = cap > SIZE_MAX / sizeof (opl_idrange) / 2 ? need : cap * 2;
  opl_idrange *p = realloc (s->r, cap * sizeof *p);
  if (p == NULL)
    return false;
  s->r = p;
  s->cap = cap;
  return true;
}

static uint64_t
range_len (int64_t lo, int64_t hi)
{
  return (uint64_t)hi - (uint64_t)lo + 1;
}

/* Index of the first range with hi >= id (n when none). */
static size_t
first_hi_at_least (const opl_idset *s, int64_t id)
{
  size_t a = 0, b = s->n;
  while (a < b) {
    size_t m = a + (b - a) / 2;
    if (s->r[m].hi < id)
      a = m + 1;
    else
      b = m;
  }
  return a;
}

bool
opl_idset_add_range (opl_idset *s, int64_t lo, int64_t hi)
{
  if (lo < 1 || hi < lo)
    return false;

  /* Fast path: ascending appends extend or follow the last range. */
  if (s->n == 0 || lo - 1 > s->r[s->n - 1].hi) {
    if (!reserve (s, 1))
      return false;
    s->r[s->n++] = (opl_idrange){lo, hi};
    s->count += range_len (lo, hi);
    return true;
  }

  /* Ranges i..j-1 overlap or touch [lo, hi]: merge them into one.  The
   * comparisons are written as `x - 1` on values >= 1 so nothing
   * overflows at INT64_MAX. */
  size_t i = first_hi_at_least (s, lo - 1);
  size_t j = i;
  while (j < s->n && s->r[j].lo - 1 <= hi)
    j++;
  if (i == j) {
    if (!reserve (s, 1))
      return false;
    memmove (&s->r[i + 1], &s->r[i], (s->n - i) * sizeof *s->r);
    s->r[i] = (opl_idrange){lo, hi};
    s->n++;
    s->count += range_len (lo, hi);
    return true;
  }
  int64_t nlo = s->r[i].lo < lo ? s->r[i].lo : lo;
  int64_t nhi = s->r[j - 1].hi > hi ? s->r[j - 1].hi : hi;
  for (size_t k = i; k < j; k++)
    s->count -= range_len (s->r[k].lo, s->r[k].hi);
  s->r[i] = (opl_idrange){nlo, nhi};
  s->count += range_len (nlo, nhi);
  memmove (&s->r[i + 1], &s->r[j], (s->n - j) * sizeof *s->r);
  s->n -= j - i - 1;
  return true;
}

bool
opl_idset_add (opl_idset *s, int64_t id)
{
  return opl_idset_add_range (s, id, id);
}

bool
opl_idset_remove (opl_idset *s, int64_t id)
{
  size_t i = first_hi_at_least (s, id);
  if (i == s->n || s->r[i].lo > id)
    return true;
  opl_idrange *r = &s->r[i];
  if (r->lo == id && r->hi == id) {
    memmove (&s->r[i], &s->r[i + 1], (s->n - i - 1) * sizeof *s->r);
    s->n--;
  } else if (r->lo == id) {
    r->lo++;
  } else if (r->hi == id) {
    r->hi--;
  } else {
    /* A split needs one more slot; reserve may move the array. */
    if (!reserve (s, 1))
      return false;
    memmove (&s->r[i + 1], &s->r[i], (s->n - i) * sizeof *s->r);
    s->r[i].hi = id - 1;
    s->r[i + 1].lo = id + 1;
    s->n++;
  }
  s->count--;
  return true;
}

bool
opl_idset_contains (const opl_idset *s, int64_t id)
{
  size_t i = first_hi_at_least (s, id);
  return i < s->n && s->r[i].lo <= id;
}

int64_t
opl_idset_next (const opl_idset *s, int64_t after)
{
  if (after < 0)
    after = 0;
  if (after == INT64_MAX)
    return 0;
  size_t i = first_hi_at_least (s, after + 1);
  if (i == s->n)
    return 0;
  return s->r[i].lo > after ? s->r[i].lo : after + 1;
}

int64_t
opl_idset_max (const opl_idset *s)
{
  return s->n ? s->r[s->n - 1].hi : 0;
}

bool
opl_idset_copy (opl_idset *out, const opl_idset *a)
{
  opl_idset_clear (out);
  if (!reserve (out, a->n))
    return false;
  if (a->n)
    memcpy (out->r, a->r, a->n * sizeof *a->r);
  out->n = a->n;
  out->count = a->count;
  return true;
}

/* One sweep over both range lists; every emitted range is above the
 * previous one, so add_range always takes its append path. */
bool
opl_idset_difference (opl_idset *out, const opl_idset *a, const opl_idset *b)
{
  size_t j = 0;

  opl_idset_clear (out);
  for (size_t i = 0; i < a->n; i++) {
    int64_t cur = a->r[i].lo;
    const int64_t hi = a->r[i].hi;
    bool done = false;
    while (j < b->n && b->r[j].hi < cur)
      j++;
    /* Ranges of b inside [cur, hi] punch holes; the last one may reach
     * into the next range of a, so j is not advanced past it. */
    for (size_t k = j; k < b->n && b->r[k].lo <= hi; k++) {
      if (b->r[k].lo > cur && !opl_idset_add_range (out, cur, b->r[k].lo - 1))
        goto oom;
      if (b->r[k].hi >= hi) {
        done = true;
        break;
      }
      cur = b->r[k].hi + 1;
    }
    if (!done && !opl_idset_add_range (out, cur, hi))
      goto oom;
  }
  return true;

oom:
  opl_idset_clear (out);
  return false;
}

/* ---- text form ---------------------------------------------------- */

static const char b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";

static void
put_b36 (opl_buf *b, uint64_t v)
{
  char tmp[16];
  size_t n = 0;
  do {
    tmp[n++] = b36[v % 36];
    v /= 36;
  } while (v);
  while (n)
    opl_buf_putc (b, tmp[--n]);
}

void
opl_idset_encode (const opl_idset *s, opl_buf *b)
{
  int64_t prev = 0;
  for (size_t i = 0; i < s->n; i++) {
    if (i)
      opl_buf_putc (b, ',');
    put_b36 (b, (uint64_t)s->r[i].lo - (uint64_t)prev);
    opl_buf_putc (b, '+');
    put_b36 (b, (uint64_t)s->r[i].hi - (uint64_t)s->r[i].lo);
    prev = s->r[i].hi;
  }
}

static int
b36_digit (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 10;
  return -1;
}

/* Describe the byte at text[i] for an error message. */
static omni_status
bad_char (char *err, size_t errlen, const char *text, size_t i)
{
  unsigned char c = (unsigned char)text[i];
  if (c == '-')
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "id set: negative number at offset %zu", i);
  if (c >= 'A' && c <= 'Z')
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "id set: upper-case digit '%c' at offset %zu", c, i);
  if (c > 0x20 && c < 0x7f)
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "id set: unexpected character '%c' at offset %zu", c, i);
  return opl_fail (err, errlen, OMNI_ERR_INVALID,
                   "id set: unexpected byte 0x%02x at offset %zu", c, i);
}

/* Read one base-36 number (at most INT64_MAX) at text[*pos], up to the
 * next ',' or '+' or the end. */
static omni_status
get_b36 (const char *text, size_t len, size_t *pos, int64_t *out, char *err,
         size_t errlen)
{
  size_t start = *pos, i = *pos;
  uint64_t v = 0;

  if (i == len || text[i] == ',' || text[i] == '+')
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "id set: empty field at offset %zu", i);
  for (; i < len && text[i] != ',' && text[i] != '+'; i++) {
    int d = b36_digit (text[i]);
    if (d < 0)
      return bad_char (err, errlen, text, i);
    if (i > start && v == 0)
      return opl_fail (err, errlen, OMNI_ERR_INVALID,
                       "id set: leading zero at offset %zu", start);
    if (v > ((uint64_t)INT64_MAX - (uint64_t)d) / 36)
      return opl_fail (err, errlen, OMNI_ERR_INVALID,
                       "id set: number too large at offset %zu", start);
    v = v * 36 + (uint64_t)d;
  }
  *out = (int64_t)v;
  *pos = i;
  return OMNI_OK;
}

omni_status
opl_idset_decode (opl_idset *s, const char *text, size_t len, char *err,
                  size_t errlen)
{
  omni_status rc = OMNI_OK;
  size_t pos = 0;
  int64_t prev = 0;

  opl_idset_clear (s);
  if (text == NULL && len)
    return opl_fail (err, errlen, OMNI_ERR_INVALID, "id set: no text");
  while (pos < len) {
    size_t at = pos;
    int64_t gap = 0, extra = 0;
    if (pos > 0) {
      /* The previous range ended at a ',' (checked below). */
      pos++;
      at = pos;
      if (pos == len) {
        rc = opl_fail (err, errlen, OMNI_ERR_INVALID,
                       "id set: trailing ',' at offset %zu", pos - 1);
        goto fail;
      }
    }
    rc = get_b36 (text, len, &pos, &gap, err, errlen);
    if (rc != OMNI_OK)
      goto fail;
    if (pos == len || text[pos] != '+') {
      rc = opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "id set: missing '+' at offset %zu", pos);
      goto fail;
    }
    pos++;
    rc = get_b36 (text, len, &pos, &extra, err, errlen);
    if (rc != OMNI_OK)
      goto fail;
    if (pos < len && text[pos] != ',') {
      rc = opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "id set: unexpected '+' at offset %zu", pos);
      goto fail;
    }
    if (prev == 0 && gap == 0) {
      rc = opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "id set: id 0 at offset %zu (ids start at 1)", at);
      goto fail;
    }
    if (prev != 0 && gap < 2) {
      rc = opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "id set: range at offset %zu overlaps or touches the "
                     "previous one",
                     at);
      goto fail;
    }
    if (gap > INT64_MAX - prev || extra > INT64_MAX - (prev + gap)) {
      rc = opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "id set: range at offset %zu goes beyond the largest id",
                     at);
      goto fail;
    }
    int64_t lo = prev + gap, hi = lo + extra;
    if (!opl_idset_add_range (s, lo, hi)) {
      rc = opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
      goto fail;
    }
    prev = hi;
  }
  return OMNI_OK;

fail:
  opl_idset_clear (s);
  return rc;
}
