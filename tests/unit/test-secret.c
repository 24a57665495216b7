/* test-secret.c: the API token leaves no copy in memory the plugin gives
 * back to malloc.  Every block freed while the credentials are parsed,
 * used to set up a connection and released is searched for the token, by
 * a free() of this program's own that runs before glibc's (a definition
 * in the executable takes precedence for every library of the process,
 * json-c's included).
 *
 * What is out of reach: libcurl builds each request in buffers of its own
 * and frees them without clearing; no request is made here (README,
 * Limitations).  Under AddressSanitizer and valgrind the allocator is not
 * glibc's and the test is skipped; the plain build runs it. */
#define _GNU_SOURCE /* memmem */
#include <config.h>

#include <check.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opl.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#ifndef UNDER_ASAN
#define TOKEN "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"

static volatile int watching;
static volatile size_t leaks;

extern void __libc_free (void *p);

void
free (void *p)
{
  if (p != NULL && watching) {
    size_t n = malloc_usable_size (p);
    /* A fragment is enough: json-c reuses a buffer for later, shorter
     * strings, which would hide the token's first bytes. */
    if (memmem (p, n, TOKEN + 12, 16) != NULL)
      leaks++;
  }
  __libc_free (p);
}

START_TEST (config_and_connection_leave_no_copy)
{
  static const char cfg_json[]
      = "{\"base_url\":\"http://127.0.0.1:9\",\"page_size\":50}";
  /* Keys before and after the token, and escapes, so that json-c's string
   * buffer is used for more than the token. */
  static const char cred_json[]
      = "{\"a\":\"x\\u00e9\",\"api_key\":\"" TOKEN "\",\"zz\":1}";
  char *cred = strdup (cred_json), err[256];
  opl_config c;

  ck_assert_ptr_nonnull (cred);
  watching = 1;
  leaks = 0;
  ck_assert_int_eq (
      opl_config_parse (&c, cfg_json, cred, NULL, err, sizeof err), OMNI_OK);
  ck_assert_str_eq (c.api_key, TOKEN);
  opl_http *h = opl_http_new (&c, NULL, NULL, NULL, err, sizeof err);
  ck_assert_ptr_nonnull (h);
  opl_http_free (h);
  opl_config_free (&c);
  /* The host's own copy is the host's to wipe. */
  opl_secure_zero (cred, sizeof cred_json);
  free (cred);
  watching = 0;
  ck_assert_uint_eq (leaks, 0);
}
END_TEST

/* Whether this program's free() is the one in use: not under valgrind,
 * which replaces the allocator of the whole process. */
static bool
free_is_ours (void)
{
  char *copy = strdup ("prefix " TOKEN " suffix");
  watching = 1;
  leaks = 0;
  free (copy);
  watching = 0;
  return leaks == 1;
}
#endif

int
main (void)
{
#ifdef UNDER_ASAN
  return 77; /* skipped: ASan's allocator is not glibc's */
#else
  if (!free_is_ours ()) {
    fputs ("test-secret: the allocator is not glibc's here (valgrind?): "
           "skipped\n",
           stderr);
    return 77;
  }
  Suite *s = suite_create ("secret");
  TCase *tc = tcase_create ("wipe");
  tcase_add_test (tc, config_and_connection_leave_no_copy);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_set_fork_status (sr, CK_NOFORK);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
#endif
}
