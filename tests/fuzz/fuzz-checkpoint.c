/* fuzz-checkpoint.c: libFuzzer target for the checkpoint decoder.
 *
 * Any input must be either refused with a one-line reason, or decoded into
 * a struct whose encoding decodes again to the same encoding (a stable
 * round trip).  Harness checks use abort(): that is how a fuzzer reports. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opl.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_sorted (const opl_checkpoint *c)
{
  for (size_t i = 1; i < c->n_recent; i++)
    if (c->recent[i].id <= c->recent[i - 1].id)
      abort ();
  for (int k = 0; k < OPL_LK_COUNT; k++)
    for (size_t i = 1; i < c->lookups[k].n; i++)
      if (c->lookups[k].v[i].id <= c->lookups[k].v[i - 1].id)
        abort ();
  if (c->n_recent > OPL_RECENT_MAX)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char err[256];
  char *text = NULL, *t1 = NULL, *t2 = NULL;
  opl_checkpoint c, d;

  opl_checkpoint_init (&c);
  opl_checkpoint_init (&d);
  /* The decoder takes a C string: cut at the first NUL like a caller
   * reading a file would. */
  text = malloc (size + 1);
  if (text == NULL)
    goto cleanup;
  memcpy (text, data, size);
  text[size] = '\0';

  err[0] = '\0';
  omni_status rc = opl_checkpoint_decode (&c, text, err, sizeof err);
  if (rc != OMNI_OK) {
    if (rc != OMNI_ERR_INVALID && rc != OMNI_ERR_INTERNAL)
      abort ();
    if (err[0] == '\0' || strchr (err, '\n') != NULL)
      abort ();
    if (c.known.n || c.queue.n || c.n_recent)
      abort ();
    goto cleanup;
  }
  check_sorted (&c);
  t1 = opl_checkpoint_encode (&c);
  if (t1 == NULL)
    goto cleanup;
  if (opl_checkpoint_decode (&d, t1, err, sizeof err) != OMNI_OK) {
    fprintf (stderr, "re-decode failed: %s\n%s\n", err, t1);
    abort ();
  }
  t2 = opl_checkpoint_encode (&d);
  if (t2 == NULL)
    goto cleanup;
  if (strcmp (t1, t2) != 0) {
    fprintf (stderr, "unstable round trip:\n%s\n%s\n", t1, t2);
    abort ();
  }
  if (c.known.count != d.known.count || c.n_recent != d.n_recent)
    abort ();

cleanup:
  free (text);
  free (t1);
  free (t2);
  opl_checkpoint_free (&c);
  opl_checkpoint_free (&d);
  return 0;
}
