/* och-progress.c: progress on stderr.
 *
 * On a terminal, one live line rewritten with \r at most ten times a
 * second; elsewhere (logs, CI) a plain line every five seconds and at each
 * checkpoint, so that a log file stays readable.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "och.h"

#define TTY_INTERVAL 0.1
#define PLAIN_INTERVAL 5.0

void
och_progress_init (och_progress *p, bool enabled, bool tty)
{
  memset (p, 0, sizeof *p);
  p->enabled = enabled;
  p->tty = tty;
  p->start = och_monotonic ();
  p->last = p->start;
  p->total = -1;
  p->done_at_start = -1;
}

static void
draw (och_progress *p, double now)
{
  double elapsed = now - p->start;
  double rate = 0;
  char line[160];

  if (elapsed > 0 && p->done_at_start >= 0)
    rate = (double)(p->done - p->done_at_start) / elapsed;
  if (p->total >= 0) {
    int64_t left = p->total > p->done ? p->total - p->done : 0;
    if (rate > 0)
      snprintf (
          line, sizeof line, "%lld of %lld documents, %.0f docs/s, ETA %.0f s",
          (long long)p->done, (long long)p->total, rate, (double)left / rate);
    else
      snprintf (line, sizeof line, "%lld of %lld documents", (long long)p->done,
                (long long)p->total);
  } else
    snprintf (line, sizeof line, "%lld documents, %.0f docs/s",
              (long long)p->done, rate);
  if (p->tty) {
    /* \033[K clears what a longer previous line left. */
    fprintf (stderr, "\r%s\033[K", line);
    p->dirty = true;
  } else
    fprintf (stderr, OCH_PROGRAM ": progress: %s\n", line);
  fflush (stderr);
  p->last = now;
}

void
och_progress_update (och_progress *p, int64_t done, int64_t total)
{
  double now;

  if (p->done_at_start < 0)
    p->done_at_start = done; /* a resumed run's earlier part is not ours */
  p->done = done;
  p->total = total;
  if (!p->enabled)
    return;
  now = och_monotonic ();
  if (now - p->last >= (p->tty ? TTY_INTERVAL : PLAIN_INTERVAL))
    draw (p, now);
}

void
och_progress_checkpoint (och_progress *p)
{
  if (p->enabled && !p->tty && p->done_at_start >= 0)
    draw (p, och_monotonic ());
}

void
och_progress_clear (och_progress *p)
{
  if (p->dirty) {
    fputs ("\r\033[K", stderr);
    p->dirty = false;
  }
}
