/* test-idset.c: the compact id set and its text form. */
#include <config.h>

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opl.h"

/* Deterministic generator (xorshift64*), so failures reproduce. */
static uint64_t
rnd (uint64_t *st)
{
  *st ^= *st >> 12;
  *st ^= *st << 25;
  *st ^= *st >> 27;
  return *st * 2685821657736338717ULL;
}

/* The structural invariant every operation must keep. */
static void
check_invariant (const opl_idset *s)
{
  uint64_t count = 0;
  ck_assert_uint_le (s->n, s->cap);
  for (size_t i = 0; i < s->n; i++) {
    ck_assert_int_ge (s->r[i].lo, 1);
    ck_assert_int_le (s->r[i].lo, s->r[i].hi);
    if (i)
      ck_assert_int_gt (s->r[i].lo, s->r[i - 1].hi + 1);
    count += (uint64_t)(s->r[i].hi - s->r[i].lo) + 1;
  }
  ck_assert_uint_eq (count, s->count);
}

static char *
encode (const opl_idset *s)
{
  opl_buf b;
  opl_buf_init (&b);
  opl_idset_encode (s, &b);
  char *t = opl_buf_steal (&b);
  ck_assert_ptr_nonnull (t);
  return t;
}

/* Decode `text` and check that encoding gives it back unchanged. */
static void
check_round_trip (const opl_idset *s)
{
  char err[200] = "";
  opl_idset d;
  char *t = encode (s);
  opl_idset_init (&d);
  ck_assert_msg (opl_idset_decode (&d, t, strlen (t), err, sizeof err)
                     == OMNI_OK,
                 "decode of own encoding failed: %s", err);
  check_invariant (&d);
  ck_assert_uint_eq (d.n, s->n);
  ck_assert_uint_eq (d.count, s->count);
  if (s->n)
    ck_assert_mem_eq (d.r, s->r, s->n * sizeof *s->r);
  char *t2 = encode (&d);
  ck_assert_str_eq (t, t2);
  free (t);
  free (t2);
  opl_idset_free (&d);
}

START_TEST (test_basic)
{
  opl_idset s;
  opl_idset_init (&s);
  ck_assert (!opl_idset_contains (&s, 1));
  ck_assert_int_eq (opl_idset_max (&s), 0);
  ck_assert_int_eq (opl_idset_next (&s, 0), 0);

  ck_assert (!opl_idset_add (&s, 0));
  ck_assert (!opl_idset_add (&s, -5));
  ck_assert (!opl_idset_add_range (&s, 5, 4));
  ck_assert (!opl_idset_add_range (&s, 0, 4));
  ck_assert_uint_eq (s.count, 0);

  for (int64_t i = 1; i <= 10; i++)
    ck_assert (opl_idset_add (&s, i));
  ck_assert_uint_eq (s.n, 1);
  ck_assert_uint_eq (s.count, 10);
  ck_assert (opl_idset_add (&s, 5)); /* already there */
  ck_assert_uint_eq (s.count, 10);
  ck_assert (opl_idset_add (&s, 20));
  ck_assert (opl_idset_add (&s, 12));
  ck_assert_uint_eq (s.n, 3);
  ck_assert (opl_idset_add (&s, 11)); /* joins [1,10] and [12] */
  ck_assert_uint_eq (s.n, 2);
  ck_assert_int_eq (s.r[0].hi, 12);
  ck_assert (opl_idset_add_range (&s, 13, 19)); /* joins everything */
  ck_assert_uint_eq (s.n, 1);
  ck_assert_uint_eq (s.count, 20);
  check_invariant (&s);

  /* A range swallowing several. */
  opl_idset_clear (&s);
  ck_assert_uint_eq (s.count, 0);
  for (int64_t i = 10; i <= 100; i += 10)
    ck_assert (opl_idset_add (&s, i));
  ck_assert_uint_eq (s.n, 10);
  ck_assert (opl_idset_add_range (&s, 25, 71));
  /* 10 20 [25..71] 80 90 100 */
  ck_assert_uint_eq (s.n, 6);
  ck_assert_uint_eq (s.count, 5 + 47);
  ck_assert (opl_idset_add_range (&s, 1, 9)); /* touches 10 */
  ck_assert_int_eq (s.r[0].lo, 1);
  ck_assert_int_eq (s.r[0].hi, 10);
  check_invariant (&s);
  ck_assert (opl_idset_contains (&s, 71));
  ck_assert (!opl_idset_contains (&s, 72));
  ck_assert (!opl_idset_contains (&s, 0));
  ck_assert (!opl_idset_contains (&s, -1));
  ck_assert_int_eq (opl_idset_max (&s), 100);
  opl_idset_free (&s);
}
END_TEST

START_TEST (test_remove_next)
{
  opl_idset s;
  opl_idset_init (&s);
  ck_assert (opl_idset_add_range (&s, 1, 10));
  ck_assert (opl_idset_remove (&s, 5)); /* split */
  ck_assert_uint_eq (s.n, 2);
  ck_assert_uint_eq (s.count, 9);
  ck_assert (opl_idset_remove (&s, 1));  /* low end */
  ck_assert (opl_idset_remove (&s, 10)); /* high end */
  ck_assert (opl_idset_remove (&s, 42)); /* absent */
  ck_assert (opl_idset_remove (&s, 0));
  ck_assert (opl_idset_remove (&s, -3));
  check_invariant (&s);
  ck_assert_uint_eq (s.count, 7);
  ck_assert_int_eq (opl_idset_next (&s, 0), 2);
  ck_assert_int_eq (opl_idset_next (&s, -100), 2);
  ck_assert_int_eq (opl_idset_next (&s, 2), 3);
  ck_assert_int_eq (opl_idset_next (&s, 4), 6);
  ck_assert_int_eq (opl_idset_next (&s, 5), 6);
  ck_assert_int_eq (opl_idset_next (&s, 9), 0);
  ck_assert_int_eq (opl_idset_next (&s, INT64_MAX), 0);
  ck_assert_int_eq (opl_idset_max (&s), 9);
  ck_assert (opl_idset_add (&s, 8) && opl_idset_remove (&s, 9));
  ck_assert (opl_idset_remove (&s, 8) && opl_idset_remove (&s, 7));
  ck_assert (opl_idset_remove (&s, 6)); /* a whole range goes */
  ck_assert_uint_eq (s.n, 1);
  ck_assert_int_eq (opl_idset_max (&s), 4);
  check_invariant (&s);

  /* The top of the id space. */
  opl_idset_clear (&s);
  ck_assert (opl_idset_add (&s, INT64_MAX));
  ck_assert (opl_idset_add (&s, INT64_MAX - 1));
  ck_assert (opl_idset_add_range (&s, INT64_MAX - 5, INT64_MAX));
  ck_assert_uint_eq (s.n, 1);
  ck_assert_uint_eq (s.count, 6);
  ck_assert_int_eq (opl_idset_next (&s, INT64_MAX - 1), INT64_MAX);
  ck_assert (opl_idset_remove (&s, INT64_MAX));
  ck_assert_int_eq (opl_idset_max (&s), INT64_MAX - 1);
  check_round_trip (&s);
  /* The whole id space. */
  ck_assert (opl_idset_add_range (&s, 1, INT64_MAX));
  ck_assert_uint_eq (s.count, (uint64_t)INT64_MAX);
  check_round_trip (&s);
  opl_idset_free (&s);
}
END_TEST

START_TEST (test_difference_copy)
{
  opl_idset a, b, d;
  opl_idset_init (&a);
  opl_idset_init (&b);
  opl_idset_init (&d);
  ck_assert (opl_idset_add_range (&a, 1, 100));
  ck_assert (opl_idset_add_range (&a, 200, 300));
  ck_assert (opl_idset_add_range (&b, 50, 60));
  ck_assert (opl_idset_add_range (&b, 90, 210)); /* spans two ranges of a */
  ck_assert (opl_idset_add (&b, 300));
  ck_assert (opl_idset_difference (&d, &a, &b));
  check_invariant (&d);
  ck_assert_uint_eq (d.n, 3);
  ck_assert_int_eq (d.r[0].lo, 1);
  ck_assert_int_eq (d.r[0].hi, 49);
  ck_assert_int_eq (d.r[1].lo, 61);
  ck_assert_int_eq (d.r[1].hi, 89);
  ck_assert_int_eq (d.r[2].lo, 211);
  ck_assert_int_eq (d.r[2].hi, 299);

  ck_assert (opl_idset_difference (&d, &b, &a)); /* 101..199 */
  ck_assert_uint_eq (d.n, 1);
  ck_assert_uint_eq (d.count, 99);
  ck_assert (opl_idset_difference (&d, &a, &a));
  ck_assert_uint_eq (d.count, 0);
  opl_idset_clear (&b);
  ck_assert (opl_idset_difference (&d, &a, &b));
  ck_assert_uint_eq (d.count, a.count);
  ck_assert (opl_idset_difference (&d, &b, &a));
  ck_assert_uint_eq (d.n, 0);

  ck_assert (opl_idset_copy (&d, &a));
  ck_assert_uint_eq (d.n, a.n);
  ck_assert_uint_eq (d.count, a.count);
  ck_assert_mem_eq (d.r, a.r, a.n * sizeof *a.r);
  ck_assert (opl_idset_copy (&d, &b));
  ck_assert_uint_eq (d.n, 0);
  opl_idset_free (&a);
  opl_idset_free (&b);
  opl_idset_free (&d);
}
END_TEST

START_TEST (test_encode_examples)
{
  opl_idset s;
  char *t;
  opl_idset_init (&s);
  t = encode (&s);
  ck_assert_str_eq (t, "");
  free (t);
  ck_assert (opl_idset_add (&s, 1));
  t = encode (&s);
  ck_assert_str_eq (t, "1+0");
  free (t);
  /* The example of opl.h: [1, 2592] and [2594, 2604]. */
  ck_assert (opl_idset_add_range (&s, 1, 2592));
  ck_assert (opl_idset_add_range (&s, 2594, 2604));
  t = encode (&s);
  ck_assert_str_eq (t, "1+1zz,2+a");
  free (t);
  opl_idset_clear (&s);
  ck_assert (opl_idset_add (&s, 36));
  ck_assert (opl_idset_add (&s, INT64_MAX));
  t = encode (&s);
  ck_assert_str_eq (t, "10+0,1y2p0ij32e8d7+0");
  free (t);
  check_round_trip (&s);
  opl_idset_free (&s);
}
END_TEST

/* Every operation against a bitmap, with random ids, ranges and removals
 * over a small universe so that merges and splits are frequent. */
START_TEST (test_random_vs_bitmap)
{
  enum { U = 3000, OPS = 20000 };
  uint64_t st = 0x9e3779b97f4a7c15ULL;
  unsigned char *bm = calloc (U + 2, 1), *bm2 = calloc (U + 2, 1);
  opl_idset s, t, d;
  opl_idset_init (&s);
  opl_idset_init (&t);
  opl_idset_init (&d);
  ck_assert_ptr_nonnull (bm);
  ck_assert_ptr_nonnull (bm2);

  for (int op = 0; op < OPS; op++) {
    uint64_t r = rnd (&st);
    int64_t id = (int64_t)(rnd (&st) % U) + 1;
    switch (r % 8) {
      case 0:
      case 1:
        ck_assert (opl_idset_add (&s, id));
        bm[id] = 1;
        break;
      case 2: {
        int64_t hi = id + (int64_t)(rnd (&st) % 40);
        if (hi > U)
          hi = U;
        ck_assert (opl_idset_add_range (&s, id, hi));
        for (int64_t k = id; k <= hi; k++)
          bm[k] = 1;
        break;
      }
      case 3:
      case 4:
        ck_assert (opl_idset_remove (&s, id));
        bm[id] = 0;
        break;
      case 5:
        ck_assert (opl_idset_add (&t, id));
        bm2[id] = 1;
        break;
      case 6:
        ck_assert (opl_idset_remove (&t, id));
        bm2[id] = 0;
        break;
      default:
        ck_assert_int_eq (opl_idset_contains (&s, id), bm[id] != 0);
        break;
    }
    if (op % 500 == 0 || op == OPS - 1) {
      check_invariant (&s);
      check_invariant (&t);
      int64_t max = 0, next = opl_idset_next (&s, 0);
      for (int64_t k = 1; k <= U; k++) {
        ck_assert_int_eq (opl_idset_contains (&s, k), bm[k] != 0);
        if (bm[k]) {
          ck_assert_int_eq (next, k);
          next = opl_idset_next (&s, k);
          max = k;
        }
      }
      ck_assert_int_eq (next, 0);
      ck_assert_int_eq (opl_idset_max (&s), max);
      ck_assert (opl_idset_difference (&d, &s, &t));
      check_invariant (&d);
      for (int64_t k = 1; k <= U; k++)
        ck_assert_int_eq (opl_idset_contains (&d, k), bm[k] && !bm2[k]);
      ck_assert (opl_idset_difference (&d, &t, &s));
      for (int64_t k = 1; k <= U; k++)
        ck_assert_int_eq (opl_idset_contains (&d, k), bm2[k] && !bm[k]);
      check_round_trip (&s);
      check_round_trip (&d);
    }
  }
  free (bm);
  free (bm2);
  opl_idset_free (&s);
  opl_idset_free (&t);
  opl_idset_free (&d);
}
END_TEST

/* The size promise of issue 4: a million mostly consecutive ids cost
 * kilobytes in a checkpoint. */
START_TEST (test_size_million)
{
  uint64_t st = 42;
  opl_idset s;
  char *t;
  opl_idset_init (&s);

  for (int64_t id = 1; id <= 1000000; id++)
    ck_assert (opl_idset_add (&s, id));
  t = encode (&s);
  printf ("id set: 1,000,000 consecutive ids -> %zu bytes (\"%s\")\n",
          strlen (t), t);
  ck_assert_str_eq (t, "1+lflr");
  free (t);

  /* 1% pseudo-random gaps (deleted documents), ascending appends. */
  opl_idset_clear (&s);
  for (int64_t id = 1; id <= 1000000; id++)
    if (rnd (&st) % 100 != 0)
      ck_assert (opl_idset_add (&s, id));
  check_invariant (&s);
  t = encode (&s);
  size_t len = strlen (t);
  printf ("id set: 1,000,000 ids with 1%% gaps (%" PRIu64 " ids, %zu ranges) "
          "-> %zu bytes\n",
          s.count, s.n, len);
  fflush (stdout);
  ck_assert_uint_gt (s.count, 985000);
  ck_assert_uint_lt (len, 100 * 1000);
  check_round_trip (&s);
  free (t);
  opl_idset_free (&s);
}
END_TEST

static const struct {
  const char *text;
  const char *why;
} bad_inputs[] = {
    {"0+0", "id 0 at offset 0"},
    {"-1+0", "negative number at offset 0"},
    {"1+-1", "negative number at offset 2"},
    {"1+0,-3+0", "negative number at offset 4"},
    {",", "empty field at offset 0"},
    {"+1", "empty field at offset 0"},
    {"1+", "empty field at offset 2"},
    {"1+0,", "trailing ',' at offset 3"},
    {"1+0,,2+0", "empty field at offset 4"},
    {"1+0,+0", "empty field at offset 4"},
    {"1", "missing '+' at offset 1"},
    {"1,2+0", "missing '+' at offset 1"},
    {"1+0+0", "unexpected '+' at offset 3"},
    {"1+0,1+0", "range at offset 4 overlaps or touches"},
    {"1+0,0+0", "range at offset 4 overlaps or touches"},
    {"5+5,1+0", "range at offset 4 overlaps or touches"},
    {"01+0", "leading zero at offset 0"},
    {"1+00", "leading zero at offset 2"},
    {"A+0", "upper-case digit 'A' at offset 0"},
    {"1+0 ", "unexpected byte 0x20 at offset 3"},
    {" 1+0", "unexpected byte 0x20 at offset 0"},
    {"1+0;2+0", "unexpected character ';' at offset 3"},
    {"1.5+0", "unexpected character '.' at offset 1"},
    {"\xc3\xa9+0", "unexpected byte 0xc3 at offset 0"},
    {"1y2p0ij32e8e8+0", "number too large at offset 0"},
    {"zzzzzzzzzzzzzz+0", "number too large at offset 0"},
    {"1+1y2p0ij32e8e7", "goes beyond the largest id"},
    {"1y2p0ij32e8e7+1", "goes beyond the largest id"},
    {"1y2p0ij32e8e6+0,2+0", "goes beyond the largest id"},
    {"1+0,1y2p0ij32e8e7+0", "goes beyond the largest id"},
};

START_TEST (test_decode_rejects)
{
  const char *text = bad_inputs[_i].text;
  char err[200] = "";
  opl_idset s;
  opl_idset_init (&s);
  ck_assert (opl_idset_add_range (&s, 7, 9)); /* must be emptied */
  ck_assert_int_eq (opl_idset_decode (&s, text, strlen (text), err, sizeof err),
                    OMNI_ERR_INVALID);
  ck_assert_msg (strstr (err, bad_inputs[_i].why) != NULL,
                 "input \"%s\": error \"%s\" lacks \"%s\"", text, err,
                 bad_inputs[_i].why);
  ck_assert_uint_eq (s.n, 0);
  ck_assert_uint_eq (s.count, 0);
  opl_idset_free (&s);
}
END_TEST

START_TEST (test_decode_edges)
{
  char err[200] = "";
  opl_idset s;
  opl_idset_init (&s);
  /* A NUL byte inside the length is garbage, not the end. */
  ck_assert_int_eq (opl_idset_decode (&s, "1+0\0", 4, err, sizeof err),
                    OMNI_ERR_INVALID);
  ck_assert_ptr_nonnull (strstr (err, "0x00 at offset 3"));
  /* Only `len` bytes are read. */
  ck_assert_int_eq (opl_idset_decode (&s, "1+0,zz", 3, err, sizeof err),
                    OMNI_OK);
  ck_assert_uint_eq (s.count, 1);
  ck_assert_int_eq (opl_idset_decode (&s, "", 0, err, sizeof err), OMNI_OK);
  ck_assert_uint_eq (s.count, 0);
  ck_assert_int_eq (opl_idset_decode (&s, NULL, 0, err, sizeof err), OMNI_OK);
  /* err may be NULL. */
  ck_assert_int_eq (opl_idset_decode (&s, "x", 1, NULL, 0), OMNI_ERR_INVALID);
  /* Largest values that still fit. */
  ck_assert_int_eq (
      opl_idset_decode (&s, "1y2p0ij32e8e7+0", 15, err, sizeof err), OMNI_OK);
  ck_assert_int_eq (opl_idset_max (&s), INT64_MAX);
  ck_assert_int_eq (
      opl_idset_decode (&s, "1+1y2p0ij32e8e6", 15, err, sizeof err), OMNI_OK);
  ck_assert_uint_eq (s.count, (uint64_t)INT64_MAX);
  opl_idset_free (&s);
}
END_TEST

static Suite *
idset_suite (void)
{
  Suite *s = suite_create ("idset");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_basic);
  tcase_add_test (tc, test_remove_next);
  tcase_add_test (tc, test_difference_copy);
  tcase_add_test (tc, test_encode_examples);
  tcase_add_test (tc, test_random_vs_bitmap);
  tcase_add_test (tc, test_size_million);
  tcase_add_loop_test (tc, test_decode_rejects, 0,
                       (int)(sizeof bad_inputs / sizeof *bad_inputs));
  tcase_add_test (tc, test_decode_edges);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (idset_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
