/* bench-run: run a command and report what it cost.
 *
 *   bench-run [-o FILE] [-q] COMMAND [ARG]...
 *
 * Prints one line "user_s sys_s maxrss_kb wall_s status" (to FILE with -o,
 * else stdout) once COMMAND exits.  The figures are the child's own, from
 * wait4(): GNU time would do, but it is one more thing CI must install.
 * -q sends the child's stdout and stderr to /dev/null.  Exits with the
 * child's status (128+signal when killed). */
#define _GNU_SOURCE /* wait4 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
tv_s (struct timeval tv)
{
  return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main (int argc, char **argv)
{
  const char *out_path = NULL;
  int quiet = 0, c;

  while ((c = getopt (argc, argv, "+o:q")) != -1) {
    if (c == 'o')
      out_path = optarg;
    else if (c == 'q')
      quiet = 1;
    else {
      fputs ("usage: bench-run [-o FILE] [-q] COMMAND [ARG]...\n", stderr);
      return 2;
    }
  }
  if (optind >= argc) {
    fputs ("usage: bench-run [-o FILE] [-q] COMMAND [ARG]...\n", stderr);
    return 2;
  }

  double t0 = now_s ();
  pid_t pid = fork ();
  if (pid < 0) {
    perror ("bench-run: fork");
    return 2;
  }
  if (pid == 0) {
    if (quiet) {
      int fd = open ("/dev/null", O_WRONLY);
      if (fd >= 0) {
        dup2 (fd, 1);
        dup2 (fd, 2);
        close (fd);
      }
    }
    execvp (argv[optind], argv + optind);
    fprintf (stderr, "bench-run: %s: %s\n", argv[optind], strerror (errno));
    _exit (127);
  }

  int status;
  struct rusage ru;
  while (wait4 (pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) {
      perror ("bench-run: wait4");
      return 2;
    }
  }
  double wall = now_s () - t0;
  int rc = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);

  FILE *f = out_path ? fopen (out_path, "w") : stdout;
  if (f == NULL) {
    fprintf (stderr, "bench-run: %s: %s\n", out_path, strerror (errno));
    return 2;
  }
  /* ru_maxrss is in KiB on Linux. */
  fprintf (f, "%.3f %.3f %ld %.3f %d\n", tv_s (ru.ru_utime), tv_s (ru.ru_stime),
           ru.ru_maxrss, wall, rc);
  int bad = f == stdout ? fflush (f) : fclose (f);
  if (bad != 0)
    return 2;
  return rc;
}
