/* test-kill.c: nothing lost, whatever happens.  The host is killed with
 * SIGKILL at random points of a full sync, over and over, while documents
 * are edited, added, trashed, restored and lookups renamed between and
 * during the runs.  After one final clean incremental sync, replaying the
 * events file must give exactly the server's documents in their latest
 * versions.
 *
 * Size: OPL_KILL_DOCS documents (default 600) and OPL_KILL_ROUNDS kills
 * (default 20); `make check-full` runs 5,000 documents. */
#include <config.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

static unsigned
env_uint (const char *name, unsigned def)
{
  const char *v = getenv (name);
  return v && *v ? (unsigned)strtoul (v, NULL, 10) : def;
}

/* xorshift: reproducible from the seed printed in the log. */
static uint32_t rng_state;

static uint32_t
rnd (void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

static void
mutate (fp_server *srv, size_t n_docs, unsigned round)
{
  char cmd[200], err[200];
  int64_t id = 1 + (int64_t)(rnd () % n_docs);
  switch (rnd () % 6) {
    case 0:
      snprintf (cmd, sizeof cmd, "edit?id=%lld&title=round+%u+edit",
                (long long)id, round);
      break;
    case 1:
      snprintf (cmd, sizeof cmd, "add?title=added+in+round+%u&content=x",
                round);
      break;
    case 2:
      snprintf (cmd, sizeof cmd, "trash?id=%lld", (long long)id);
      break;
    case 3:
      snprintf (cmd, sizeof cmd, "restore?id=%lld", (long long)id);
      break;
    case 4:
      snprintf (cmd, sizeof cmd, "rename?endpoint=tags&id=%u&name=tag+r%u",
                1 + rnd () % 10, round);
      break;
    default:
      snprintf (cmd, sizeof cmd, "note?id=%lld&note=note+%u&user=1",
                (long long)id, round);
      break;
  }
  /* Unknown ids (a purged or never-existing one) are fine: -1. */
  fp_server_command (srv, cmd, err, sizeof err);
}

START_TEST (sigkill_at_random_points_loses_nothing)
{
  unsigned n_docs = env_uint ("OPL_KILL_DOCS", 600);
  unsigned rounds = env_uint ("OPL_KILL_ROUNDS", 20);
  char err[256];
  rng_state = env_uint ("OPL_KILL_SEED", (unsigned)time (NULL)) | 1u;
  fprintf (stderr, "kill test: %u documents, %u rounds, seed %u\n", n_docs,
           rounds, rng_state);

  fp_gen_options g = {.content_bytes = 800};
  fp_options o = {.corpus = fp_corpus_generate (n_docs, 7, &g), .delay_ms = 2};
  fp_server *srv = fp_server_start (&o, err, sizeof err);
  ck_assert_msg (srv != NULL, "%s", err);
  h_env e;
  h_setup (&e, srv, "\"page_size\":25");

  /* How long an undisturbed full sync takes sets the kill window. */
  struct timespec t0, t1;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  {
    h_env probe;
    h_setup (&probe, srv, "\"page_size\":25");
    ck_assert_int_eq (h_sync (&probe, "full"), 0);
    h_teardown (&probe);
  }
  clock_gettime (CLOCK_MONOTONIC, &t1);
  long window_us
      = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
  if (window_us < 20000)
    window_us = 20000;

  unsigned killed = 0;
  for (unsigned r = 0; r < rounds; r++) {
    /* Mutations during the run, at the Nth document request. */
    char cmd[200];
    snprintf (cmd, sizeof cmd, "edit?id=%u&title=during+round+%u",
              1 + rnd () % n_docs, r);
    fp_server_add_hook_command (srv, "/api/documents/", 1 + rnd () % 8, cmd);
    snprintf (cmd, sizeof cmd, "trash?id=%u", 1 + rnd () % n_docs);
    fp_server_add_hook_command (srv, "/api/documents/", 1 + rnd () % 12, cmd);

    pid_t pid = h_sync_start (&e, r % 4 == 3 ? "incremental" : "full",
                              "--checkpoint-every=10");
    usleep ((useconds_t)(rnd () % (unsigned long)window_us));
    kill (pid, SIGKILL);
    int rc = h_wait (pid);
    ck_assert_msg (rc == 128 + SIGKILL || rc == 0,
                   "round %u: host exited %d before the kill", r, rc);
    killed += rc != 0;
    for (unsigned m = 0; m < 3; m++)
      mutate (srv, n_docs, r);
  }
  fprintf (stderr, "kill test: %u of %u runs killed mid-sync\n", killed,
           rounds);
  ck_assert_uint_ge (killed, rounds / 2);

  /* The interrupted run resumes and completes; then a clean incremental. */
  ck_assert_int_eq (h_sync (&e, "incremental"), 0);
  ck_assert_int_eq (h_sync (&e, "incremental"), 0);
  char why[300];
  bool ok = h_converged (&e, why, sizeof why);
  if (!ok && getenv ("OPL_KEEP_FAILED")) {
    fprintf (stderr, "kept %s\n", e.dir);
    e.dir[0] = '\0';
  }
  ck_assert_msg (ok, "not converged: %s", why);
  /* Content too: renamed tags and notes included, every document equals
   * what a fresh full sync of the final archive produces. */
  h_env fresh;
  h_setup (&fresh, srv, "\"page_size\":25");
  ck_assert_int_eq (h_sync (&fresh, "full"), 0);
  ok = h_same_index (&e, &fresh, why, sizeof why);
  if (!ok && getenv ("OPL_KEEP_FAILED")) {
    fprintf (stderr, "kept %s and %s\n", e.dir, fresh.dir);
    e.dir[0] = fresh.dir[0] = '\0';
  }
  ck_assert_msg (ok, "index differs from a fresh full sync: %s", why);
  h_teardown (&fresh);
  ck_assert_uint_eq (fp_server_non_get_count (srv), 0);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("kill");
  TCase *tc = tcase_create ("sigkill");
  tcase_set_timeout (tc, 1200);
  tcase_add_test (tc, sigkill_at_random_points_loses_nothing);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
