/* och-status.c: `status --state FILE`, what an operator wants to know.
 *
 * One "key: value" line each, stable keys (scripts may grep them):
 *
 *   source: src-1 (plugin echo)
 *   last sync: 2025-01-31T12:00:00Z (full)        | never
 *   documents indexed: 90
 *   last run: completed | failed: <error> | stopped | running | interrupted
 *   last run counts: 100 created, 0 updated, 10 deleted
 *   interrupted run: none | <mode> run started <time>, <saved checkpoint?>;
 *                    the next sync resumes it      | running now
 */
#include <config.h>

#include <string.h>

#include "och.h"

int
och_cmd_status (const och_options *o)
{
  och_state s;
  char err[OCH_ERRLEN];
  int held;

  if (och_state_read (&s, o->state_path, false, NULL, err, sizeof err) == -1) {
    och_error ("%s", err);
    return OCH_EXIT_USAGE;
  }
  held = och_state_lock_held (o->state_path);

  printf ("source: %s (plugin %s)\n", s.source_id, s.plugin);
  if (s.has_last_sync)
    printf ("last sync: %s (%s)\n", s.last_sync_at,
            och_mode_name (s.last_sync_mode));
  else
    printf ("last sync: never\n");
  printf ("documents indexed: %lld\n", (long long)s.documents_indexed);

  switch (s.last_outcome) {
    case OCH_OUTCOME_NONE:
      printf ("last run: none\n");
      break;
    case OCH_OUTCOME_RUNNING:
      /* "running" in the file: either a host holds the lock now, or the host
       * that wrote it was killed. */
      printf ("last run: %s\n", held == 1 ? "running" : "interrupted (killed)");
      break;
    case OCH_OUTCOME_FAILED:
      printf ("last run: failed: %s\n", s.last_error ? s.last_error : "");
      break;
    default:
      printf ("last run: %s\n", och_outcome_name (s.last_outcome));
      break;
  }
  if (s.last_outcome != OCH_OUTCOME_NONE)
    printf ("last run counts: %lld created, %lld updated, %lld deleted (%s)\n",
            (long long)s.created, (long long)s.updated, (long long)s.deleted,
            och_mode_name (s.last_mode));

  if (!s.run_in_progress)
    printf ("interrupted run: none\n");
  else if (held == 1)
    printf ("interrupted run: none (%s %s run is running now)\n",
            s.run_mode == OMNI_SYNC_FULL ? "a" : "an",
            och_mode_name (s.run_mode));
  else
    printf (
        "interrupted run: %s run started %s, %s; the next sync resumes "
        "it\n",
        och_mode_name (s.run_mode), s.run_started_at,
        s.run_checkpoint != NULL
            ? "checkpoint saved"
            : "no checkpoint yet (it restarts from the last completed sync)");
  och_state_free (&s);
  return fflush (stdout) == 0 ? OCH_EXIT_OK : OCH_EXIT_FAILED;
}
