/* opl-log.c: one-line log messages and error text. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "opl.h"

/* Logs and errors are single lines: fold control characters so that text
 * from a server can never forge a second log line. */
static void
fold_line (char *s)
{
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      *s = ' ';
}

void
opl_logf (const opl_log *log, omni_log_level level, const char *fmt, ...)
{
  char line[1024];
  va_list ap;

  if (log == NULL || log->fn == NULL)
    return;
  va_start (ap, fmt);
  vsnprintf (line, sizeof line, fmt, ap);
  va_end (ap);
  fold_line (line);
  log->fn (log->ud, level, line);
}

omni_status
opl_fail (char *err, size_t errlen, omni_status code, const char *fmt, ...)
{
  va_list ap;

  if (err == NULL || errlen == 0)
    return code;
  va_start (ap, fmt);
  vsnprintf (err, errlen, fmt, ap);
  va_end (ap);
  fold_line (err);
  return code;
}
