/* test-och-state.c: the state file: round trip, atomic replacement, the
 * lock, and refusal of malformed files. */
#include <config.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "och.h"

static char dir[] = "/tmp/och-state-XXXXXX";
static char path[256];

static void
setup (void)
{
  ck_assert_ptr_nonnull (mkdtemp (strcpy (dir, "/tmp/och-state-XXXXXX")));
  snprintf (path, sizeof path, "%s/state.json", dir);
}

static void
teardown (void)
{
  DIR *d = opendir (dir);
  struct dirent *de;

  while (d != NULL && (de = readdir (d)) != NULL)
    if (de->d_name[0] != '.')
      unlinkat (dirfd (d), de->d_name, 0);
  if (d != NULL)
    closedir (d);
  rmdir (dir);
}

static size_t
count_files (void)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  size_t n = 0;

  while ((de = readdir (d)) != NULL)
    if (de->d_name[0] != '.')
      n++;
  closedir (d);
  return n;
}

static void
write_text (const char *text)
{
  FILE *f = fopen (path, "w");
  ck_assert_ptr_nonnull (f);
  fputs (text, f);
  fclose (f);
}

START_TEST (test_round_trip)
{
  och_state s, r;
  char err[OCH_ERRLEN];
  bool existed;
  struct stat st;

  memset (&s, 0, sizeof s);
  och_state_set (&s.plugin, "echo");
  och_state_set (&s.source_id, "src \"1\"");
  och_state_set (&s.source_checkpoint, "{\"state\":{\"n\":3}}\n\xc3\xa9");
  s.has_last_sync = true;
  och_state_set (&s.last_sync_at, "2025-01-01T00:00:00Z");
  s.last_sync_mode = OMNI_SYNC_FULL;
  s.documents_indexed = 42;
  s.run_in_progress = true;
  s.run_mode = OMNI_SYNC_INCREMENTAL;
  och_state_set (&s.run_checkpoint, "pos=7");
  och_state_set (&s.run_started_at, "2025-01-02T00:00:00Z");
  s.run_attempts = 2;
  s.run_indexed_base = 40;
  s.last_outcome = OCH_OUTCOME_FAILED;
  s.last_mode = OMNI_SYNC_INCREMENTAL;
  och_state_set (&s.last_started_at, "2025-01-02T00:00:00Z");
  och_state_set (&s.last_ended_at, "2025-01-02T00:01:00Z");
  och_state_set (&s.last_error, "list_changes failed (TRANSIENT): boom");
  s.created = 5;
  s.updated = 1;
  s.deleted = 3;

  ck_assert_int_eq (och_state_write (&s, path, err, sizeof err), 0);
  ck_assert_int_eq (stat (path, &st), 0);
  ck_assert_uint_eq (st.st_mode & 0777, 0600);
  ck_assert_uint_eq (count_files (), 1); /* no temp file left */

  ck_assert_int_eq (och_state_read (&r, path, false, &existed, err, sizeof err),
                    0);
  ck_assert (existed);
  ck_assert_str_eq (r.plugin, "echo");
  ck_assert_str_eq (r.source_id, "src \"1\"");
  ck_assert_str_eq (r.source_checkpoint, s.source_checkpoint);
  ck_assert (r.has_last_sync);
  ck_assert_str_eq (r.last_sync_at, s.last_sync_at);
  ck_assert_int_eq (r.last_sync_mode, OMNI_SYNC_FULL);
  ck_assert_int_eq (r.documents_indexed, 42);
  ck_assert (r.run_in_progress);
  ck_assert_int_eq (r.run_mode, OMNI_SYNC_INCREMENTAL);
  ck_assert_str_eq (r.run_checkpoint, "pos=7");
  ck_assert_int_eq (r.run_attempts, 2);
  ck_assert_int_eq (r.run_indexed_base, 40);
  ck_assert_int_eq (r.last_outcome, OCH_OUTCOME_FAILED);
  ck_assert_str_eq (r.last_error, s.last_error);
  ck_assert_int_eq (r.created, 5);
  ck_assert_int_eq (r.updated, 1);
  ck_assert_int_eq (r.deleted, 3);
  och_state_free (&r);

  /* Closing the run: nulls read back as absent. */
  s.run_in_progress = false;
  och_state_set (&s.last_error, NULL);
  och_state_set (&s.source_checkpoint, NULL);
  ck_assert_int_eq (och_state_write (&s, path, err, sizeof err), 0);
  ck_assert_int_eq (och_state_read (&r, path, false, NULL, err, sizeof err), 0);
  ck_assert (!r.run_in_progress);
  ck_assert_ptr_null (r.run_checkpoint);
  ck_assert_ptr_null (r.last_error);
  ck_assert_ptr_null (r.source_checkpoint);
  och_state_free (&r);
  och_state_free (&s);
}
END_TEST

START_TEST (test_missing)
{
  och_state s;
  char err[OCH_ERRLEN];
  bool existed = true;

  ck_assert_int_eq (och_state_read (&s, path, true, &existed, err, sizeof err),
                    0);
  ck_assert (!existed);
  ck_assert_int_eq (och_state_read (&s, path, false, NULL, err, sizeof err),
                    -1);
  ck_assert_ptr_nonnull (strstr (err, "cannot open"));
}
END_TEST

START_TEST (test_malformed)
{
  static const char *const bad[] = {
      "",
      "not json",
      "[]",
      "{\"format\": 2, \"plugin\": \"e\"}",
      "{\"format\": 1}",
      "{\"format\": 1, \"plugin\": \"e\", \"source_id\": \"s\", "
      "\"source_checkpoint\": 3, \"documents_indexed\": 0, \"last_sync\": "
      "null, "
      "\"run\": null, \"last_run\": null}",
      "{\"format\": 1, \"plugin\": \"e\", \"source_id\": \"s\", "
      "\"source_checkpoint\": null, \"documents_indexed\": -1, "
      "\"last_sync\": null, \"run\": null, \"last_run\": null}",
      "{\"format\": 1, \"plugin\": \"e\", \"source_id\": \"s\", "
      "\"source_checkpoint\": null, \"documents_indexed\": 0, "
      "\"last_sync\": null, \"run\": {\"mode\": \"sideways\"}, "
      "\"last_run\": null}",
      "{\"format\": 1, \"plugin\": \"e\", \"source_id\": \"s\", "
      "\"source_checkpoint\": null, \"documents_indexed\": 0, "
      "\"last_sync\": null, \"run\": null, \"last_run\": {\"outcome\": \"x\"}}",
  };
  och_state s;
  char err[OCH_ERRLEN];

  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    write_text (bad[i]);
    ck_assert_msg (och_state_read (&s, path, true, NULL, err, sizeof err) == -1,
                   "accepted: %s", bad[i]);
    ck_assert_ptr_nonnull (strstr (err, "is unusable"));
  }
  write_text ("{\"format\": 1, \"plugin\": \"e\", \"source_id\": \"s\", "
              "\"source_checkpoint\": null, \"documents_indexed\": 0, "
              "\"last_sync\": null, \"run\": null, \"last_run\": null}\n");
  ck_assert_int_eq (och_state_read (&s, path, false, NULL, err, sizeof err), 0);
  och_state_free (&s);
}
END_TEST

START_TEST (test_lock_and_temps)
{
  char err[OCH_ERRLEN], tmp[300];
  int fd, fd2;
  FILE *f;

  ck_assert_int_eq (och_state_lock_held (path), 0);
  fd = och_state_lock (path, err, sizeof err);
  ck_assert_int_ge (fd, 0);
  /* flock is per open file description: a second open conflicts. */
  fd2 = och_state_lock (path, err, sizeof err);
  ck_assert_int_eq (fd2, -1);
  ck_assert_ptr_nonnull (strstr (err, "in use by another"));
  ck_assert_int_eq (och_state_lock_held (path), 1);
  close (fd);
  ck_assert_int_eq (och_state_lock_held (path), 0);

  /* What a killed writer leaves is removed; nothing else is. */
  snprintf (tmp, sizeof tmp, "%s.tmp.AbC123", path);
  f = fopen (tmp, "w");
  fclose (f);
  snprintf (tmp, sizeof tmp, "%s.tmp.keep-me", path);
  f = fopen (tmp, "w");
  fclose (f);
  och_state_clean_temps (path);
  ck_assert_uint_eq (count_files (), 2); /* the lock and keep-me */
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("och-state");
  TCase *tc = tcase_create ("core");
  SRunner *sr;
  int failed;

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_missing);
  tcase_add_test (tc, test_malformed);
  tcase_add_test (tc, test_lock_and_temps);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
