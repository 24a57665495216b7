/* fuzz-idset.c: libFuzzer target for the id set text form and operations.
 *
 * Text input: it is refused, or it is canonical (re-encoding gives the
 * same bytes) and the decoded set keeps the invariant.
 * Input starting with '!': the rest is a program of add / add_range /
 * remove on small ids, checked step by step against a bitmap. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opl.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

enum { U = 512 };

static void
check_invariant (const opl_idset *s)
{
  uint64_t count = 0;
  for (size_t i = 0; i < s->n; i++) {
    if (s->r[i].lo < 1 || s->r[i].hi < s->r[i].lo)
      abort ();
    if (i && s->r[i].lo <= s->r[i - 1].hi + 1)
      abort ();
    count += (uint64_t)s->r[i].hi - (uint64_t)s->r[i].lo + 1;
  }
  if (count != s->count)
    abort ();
}

static void
run_program (const uint8_t *p, size_t n)
{
  unsigned char bm[U + 1] = {0};
  opl_idset s, t;
  opl_idset_init (&s);
  opl_idset_init (&t);
  for (size_t i = 0; i + 2 < n; i += 3) {
    int64_t a = p[i + 1] % U + 1, b = a + p[i + 2] % 16;
    if (b > U)
      b = U;
    switch (p[i] % 3) {
      case 0:
        if (!opl_idset_add (&s, a))
          abort ();
        bm[a] = 1;
        break;
      case 1:
        if (!opl_idset_add_range (&s, a, b))
          abort ();
        for (int64_t k = a; k <= b; k++)
          bm[k] = 1;
        break;
      default:
        if (!opl_idset_remove (&s, a))
          abort ();
        bm[a] = 0;
        break;
    }
    check_invariant (&s);
  }
  int64_t next = opl_idset_next (&s, 0);
  for (int64_t k = 1; k <= U; k++) {
    if (opl_idset_contains (&s, k) != (bm[k] != 0))
      abort ();
    if (bm[k]) {
      if (next != k)
        abort ();
      next = opl_idset_next (&s, k);
    }
  }
  if (next != 0)
    abort ();
  /* s \ s is empty; a copy equals the original. */
  if (!opl_idset_difference (&t, &s, &s) || t.count != 0)
    abort ();
  if (!opl_idset_copy (&t, &s) || t.count != s.count || t.n != s.n)
    abort ();
  opl_idset_free (&s);
  opl_idset_free (&t);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char err[200];
  opl_idset s, d;
  opl_buf b;

  if (size > 0 && data[0] == '!') {
    run_program (data + 1, size - 1);
    return 0;
  }
  opl_idset_init (&s);
  opl_idset_init (&d);
  opl_buf_init (&b);
  err[0] = '\0';
  omni_status rc
      = opl_idset_decode (&s, (const char *)data, size, err, sizeof err);
  if (rc != OMNI_OK) {
    if (err[0] == '\0' || s.n != 0 || s.count != 0)
      abort ();
    goto cleanup;
  }
  check_invariant (&s);
  opl_idset_encode (&s, &b);
  if (b.oom)
    goto cleanup;
  if (b.len != size || (size && memcmp (b.data, data, size) != 0)) {
    fprintf (stderr, "not canonical: %.*s -> %s\n", (int)size,
             (const char *)data, b.data ? b.data : "");
    abort ();
  }
  if (opl_idset_difference (&d, &s, &s) && d.count != 0)
    abort ();

cleanup:
  opl_buf_free (&b);
  opl_idset_free (&s);
  opl_idset_free (&d);
  return 0;
}
