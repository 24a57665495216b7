/* test-kill.c: nothing lost, whatever happens.  The host is killed with
 * SIGKILL at random points of a full sync, over and over, while documents
 * are edited, added, trashed, restored and annotated, and lookups
 * (correspondents, document types, storage paths, custom fields, select
 * options, tags) renamed, between and during the runs.  After one final
 * clean incremental sync, replaying the events file must give exactly the
 * server's documents in their latest versions, and, renames included, the
 * same index as a fresh full sync.
 *
 * Size: OPL_KILL_DOCS documents (default 600) and OPL_KILL_ROUNDS kills
 * (default 20); `make check-full` runs 5,000 documents. */
#include <config.h>

#include <pthread.h>
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

/* The lookups of fp_corpus_generate's defaults. */
#define N_TAGS 24
#define N_CORRESPONDENTS 40
#define N_DOCUMENT_TYPES 12
#define N_STORAGE_PATHS 4
#define N_CUSTOM_FIELDS 10
#define SELECT_FIELD 10u /* "Priority", three options */

/* One change to the archive, drawn on the test's thread (the generator is
 * not thread-safe) and applied there or, during a run, by a server hook. */
typedef struct change {
  char cmd[200];
  /* cmd adds a document: then give it these lookups (ids > 0). */
  bool add;
  unsigned correspondent, document_type, storage_path, tags[2];
  struct change *next; /* every hook's change, freed at the end */
} change;

static void
draw_rename (change *c, const char *tag)
{
  static const struct {
    const char *endpoint;
    unsigned n;
  } kinds[] = {
      {"correspondents", N_CORRESPONDENTS},
      {"document_types", N_DOCUMENT_TYPES},
      {"storage_paths", N_STORAGE_PATHS},
      {"custom_fields", N_CUSTOM_FIELDS},
      {"tags", N_TAGS},
  };
  unsigned k = rnd () % (sizeof kinds / sizeof kinds[0] + 1);
  if (k == sizeof kinds / sizeof kinds[0])
    snprintf (c->cmd, sizeof c->cmd,
              "relabel-option?field=%u&option=%u&label=option+%s", SELECT_FIELD,
              rnd () % 3, tag);
  else
    snprintf (c->cmd, sizeof c->cmd, "rename?endpoint=%s&id=%u&name=%s+%s",
              kinds[k].endpoint, 1 + rnd () % kinds[k].n, kinds[k].endpoint,
              tag);
}

static void
draw_add (change *c, const char *tag)
{
  snprintf (c->cmd, sizeof c->cmd, "add?title=added+%s&content=text+%s", tag,
            tag);
  c->add = true;
  c->correspondent = 1 + rnd () % N_CORRESPONDENTS;
  c->document_type = 1 + rnd () % N_DOCUMENT_TYPES;
  c->storage_path = 1 + rnd () % N_STORAGE_PATHS;
  c->tags[0] = 1 + rnd () % N_TAGS;
  c->tags[1] = 1 + rnd () % N_TAGS;
}

static void
apply (fp_server *srv, const change *c)
{
  char err[200], cmd[300];
  /* Unknown ids (a purged or never-existing one) are fine: -1. */
  if (fp_server_command (srv, c->cmd, err, sizeof err) != 0 || !c->add)
    return;
  /* err holds the new id. */
  snprintf (cmd, sizeof cmd,
            "edit?id=%s&correspondent=%u&document_type=%u&storage_path=%u"
            "&tags=%u,%u",
            err, c->correspondent, c->document_type, c->storage_path,
            c->tags[0], c->tags[1]);
  fp_server_command (srv, cmd, err, sizeof err);
}

/* Between runs. */
static void
mutate (fp_server *srv, size_t n_docs, unsigned round)
{
  change c = {0};
  char tag[32];
  int64_t id = 1 + (int64_t)(rnd () % n_docs);
  snprintf (tag, sizeof tag, "r%u", round);
  switch (rnd () % 7) {
    case 0:
      snprintf (c.cmd, sizeof c.cmd, "edit?id=%lld&title=round+%u+edit",
                (long long)id, round);
      break;
    case 1:
      draw_add (&c, tag);
      break;
    case 2:
      snprintf (c.cmd, sizeof c.cmd, "trash?id=%lld", (long long)id);
      break;
    case 3:
      snprintf (c.cmd, sizeof c.cmd, "restore?id=%lld", (long long)id);
      break;
    case 4:
    case 5:
      draw_rename (&c, tag);
      break;
    default:
      snprintf (c.cmd, sizeof c.cmd, "note?id=%lld&note=note+%u&user=1",
                (long long)id, round);
      break;
  }
  apply (srv, &c);
}

/* During runs: server hooks.  Once the rounds are over, hooks that have
 * not fired yet must not change the archive under the final syncs. */
static pthread_mutex_t during_lock = PTHREAD_MUTEX_INITIALIZER;
static bool during_off;
static unsigned during_applied;
static change *during_all;

static void
during_hook (fp_server *srv, void *user)
{
  pthread_mutex_lock (&during_lock);
  if (!during_off) {
    apply (srv, user);
    during_applied++;
  }
  pthread_mutex_unlock (&during_lock);
}

static void
during (fp_server *srv, unsigned nth, const change *c)
{
  change *copy = malloc (sizeof *copy);
  ck_assert_ptr_nonnull (copy);
  *copy = *c;
  copy->next = during_all;
  during_all = copy;
  ck_assert_int_gt (
      fp_server_add_hook (srv, "/api/documents/", nth, during_hook, copy), 0);
}

static void
during_stop (void)
{
  pthread_mutex_lock (&during_lock);
  during_off = true;
  pthread_mutex_unlock (&during_lock);
}

static void
during_free (void)
{
  while (during_all) {
    change *next = during_all->next;
    free (during_all);
    during_all = next;
  }
}

START_TEST (sigkill_at_random_points_loses_nothing)
{
  unsigned n_docs = env_uint ("OPL_KILL_DOCS", 600);
  unsigned rounds = env_uint ("OPL_KILL_ROUNDS", 20);
  char err[256];
  rng_state = env_uint ("OPL_KILL_SEED", (unsigned)time (NULL)) | 1u;
  fprintf (stderr, "kill test: %u documents, %u rounds, seed %u\n", n_docs,
           rounds, rng_state);

  /* The lookup counts are the generator's defaults (N_TAGS, ...). */
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
    /* Changes during the run, after its Nth document request (or, when
     * it is killed before, during a later one): an edit, a trash, an
     * added document with lookups, and a lookup renamed. */
    change c = {0};
    char tag[32];
    snprintf (tag, sizeof tag, "during+r%u", r);
    snprintf (c.cmd, sizeof c.cmd, "edit?id=%u&title=during+round+%u",
              1 + rnd () % n_docs, r);
    during (srv, 1 + rnd () % 8, &c);
    snprintf (c.cmd, sizeof c.cmd, "trash?id=%u", 1 + rnd () % n_docs);
    during (srv, 1 + rnd () % 12, &c);
    draw_add (&c, tag);
    during (srv, 1 + rnd () % 10, &c);
    c.add = false;
    draw_rename (&c, tag);
    during (srv, 1 + rnd () % 10, &c);

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
  during_stop ();
  fprintf (stderr,
           "kill test: %u of %u runs killed mid-sync, %u changes made "
           "during runs\n",
           killed, rounds, during_applied);
  ck_assert_uint_ge (killed, rounds / 2);
  /* Four per round are set up; most must have happened during a run. */
  ck_assert_uint_ge (during_applied, rounds);

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
  /* Content too: h_converged compares ids and `modified` only, and a
   * rename changes no `modified`.  Renamed lookups and select options,
   * notes and added documents included, every document must equal what a
   * fresh full sync of the final archive produces. */
  ck_assert_msg (h_same_as_fresh (&e, "\"page_size\":25", why, sizeof why),
                 "index differs from a fresh full sync: %s", why);
  ck_assert_uint_eq (fp_server_non_get_count (srv), 0);
  h_teardown (&e);
  fp_server_stop (srv);
  during_free ();
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
