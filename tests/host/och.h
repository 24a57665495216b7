/* och.h: internals of omni-connector-host ("och_"), the mock Omni host.
 *
 * The host plays Omni for one sync of one source: it loads a connector
 * plugin, owns the credentials, the checkpoint and ingestion (an events
 * file of JSON lines), and keeps its durable state in a JSON file replaced
 * atomically.  One concern per file:
 *
 *   och-main.c      command line, subcommands
 *   och-load.c      dlopen + descriptor validation
 *   och-config.c    the --config file (source id, config, credentials)
 *   och-state.c     the --state file (read, atomic write, lock)
 *   och-events.c    the --events writer (Omni's event shape)
 *   och-sync.c      host services and the sync loop
 *   och-progress.c  progress on stderr
 *   och-util.c      small helpers (JSON parsing, time, wiping, one-line text)
 *   och-json.c      checking a plugin's JSON text without building a tree
 *
 * Conventions: functions that can fail return 0 on success and -1 on error
 * after writing one line of text (no prefix, no newline) into a caller
 * buffer `char *err, size_t errlen`.  No global state except the signal flag
 * in och-sync.c.
 */
#ifndef OCH_H
#define OCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json.h>

#include "omni-connector.h"

#if defined(__GNUC__)
#define OCH_PRINTF(f, a) __attribute__ ((format (printf, f, a)))
#else
#define OCH_PRINTF(f, a)
#endif

#define OCH_PROGRAM "omni-connector-host"

/* Exit statuses: part of the command-line contract. */
enum {
  OCH_EXIT_OK = 0,
  OCH_EXIT_FAILED = 1,   /* sync failed: server, network, data, plugin bug */
  OCH_EXIT_USAGE = 2,    /* bad arguments, configuration, plugin refused */
  OCH_EXIT_AUTH = 3,     /* authentication refused */
  OCH_EXIT_STOPPED = 130 /* stopped by SIGINT/SIGTERM, state saved */
};

/* Error text buffers are this big; longer messages are cut. */
#define OCH_ERRLEN 1024

/* ------------------------------------------------------------------ */
/* Helpers (och-util.c)                                               */
/* ------------------------------------------------------------------ */

/* write(2) all n bytes, retrying EINTR; 0 or -1 with errno. */
int och_write_all (int fd, const char *p, size_t n);

/* snprintf into err; returns -1 so callers can `return och_fail (...)`. */
int och_fail (char *err, size_t errlen, const char *fmt, ...) OCH_PRINTF (3, 4);

/* Overwrite n bytes in a way the compiler may not elide. */
void och_wipe (void *p, size_t n);

/* Wipe a NUL-terminated string in place, then free it.  Accepts NULL. */
void och_wipe_free (char *s);

/* Copy `in` into out (size outlen >= 1) as one line: control characters
 * (newlines included) become spaces, the result is NUL-terminated and cut
 * at outlen - 1 bytes (never inside a UTF-8 sequence). */
void och_one_line (char *out, size_t outlen, const char *in);

/* Parse len bytes of JSON strictly: depth limit 64, nothing but whitespace
 * after the value, text[len] must be the terminating NUL.  Returns a new
 * root the caller puts, or NULL with err set. */
json_object *och_json_parse (const char *text, size_t len, char *err,
                             size_t errlen);

/* Non-zero when the len bytes are valid UTF-8 (no overlongs, no
 * surrogates).  NUL bytes are valid. */
int och_utf8_valid (const char *s, size_t len);

/* How many of the eight bytes of w (in memory order) come before the first
 * one a scan of JSON string text must stop at: a control character, '"',
 * '\\' or a byte >= 0x80.  8 when none.  Lets hot loops step over plain
 * ASCII a word at a time. */
static inline size_t
och_word_plain_prefix (uint64_t w)
{
  const uint64_t ones = UINT64_C (0x0101010101010101);
  const uint64_t highs = UINT64_C (0x8080808080808080);
  uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\');
  /* Each term sets the high bit of a byte that matches; a false match can
   * only follow a true one (borrows run towards later bytes), so the first
   * flagged byte is exact. */
  uint64_t stop = w | ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote)
                  | ((bslash - ones) & ~bslash);
  stop &= highs;
  if (stop == 0)
    return 8;
#if defined(__GNUC__) && defined(__BYTE_ORDER__)                               \
    && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return (size_t)__builtin_ctzll (stop) / 8;
#else
  {
    unsigned char b[8];
    memcpy (b, &w, 8);
    for (size_t k = 0; k < 8; k++)
      if (b[k] < 0x20 || b[k] == '"' || b[k] == '\\' || b[k] >= 0x80)
        return k;
    return 8;
  }
#endif
}

/* The length (1 to 4) of the valid UTF-8 sequence that starts at p, within
 * avail bytes, or 0 when none does. */
size_t och_utf8_seq (const unsigned char *p, size_t avail);

/* Check that the len bytes of text are one JSON object, strictly (RFC
 * 8259: no comments, no trailing commas, valid UTF-8, no raw control
 * characters in strings, at most 63 levels deep), with nothing but
 * whitespace around it.  0, or -1 with err naming what is wrong and at
 * which byte.  Builds no tree: it is the host's per-document check. */
int och_json_check_object (const char *text, size_t len, char *err,
                           size_t errlen);

/* Copy checked JSON text (och_json_check_object said yes) into out, which
 * has room for len bytes, without the whitespace between tokens; returns
 * the bytes written.  Makes a pretty-printed object one line. */
size_t och_json_compact (const char *text, size_t len, char *out);

/* Read a whole regular file (at most max bytes) into a new NUL-terminated
 * buffer the caller frees (or wipes).  *st_mode receives its mode when not
 * NULL. */
int och_read_file (const char *path, size_t max, char **out, size_t *outlen,
                   unsigned *st_mode, char *err, size_t errlen);

/* The current UTC time as RFC 3339 ("2025-01-31T12:00:00Z"). */
void och_now_rfc3339 (char out[32]);

/* Monotonic seconds. */
double och_monotonic (void);

/* "full" / "incremental"; och_mode_parse returns -1 for anything else. */
const char *och_mode_name (omni_sync_mode mode);
int och_mode_parse (const char *s, omni_sync_mode *out);

/* "OK", "TRANSIENT", "AUTH", ... for messages. */
const char *och_status_name (omni_status st);

/* ------------------------------------------------------------------ */
/* Plugin loading (och-load.c)                                        */
/* ------------------------------------------------------------------ */

typedef struct och_plugin {
  void *dl;                   /* dlopen handle, NULL when not loaded */
  omni_connector_plugin desc; /* zeroed, then min(struct_size, sizeof) */
  uint32_t plugin_size;       /* the plugin's own struct_size */
} och_plugin;

/* dlopen PATH (RTLD_NOW|RTLD_LOCAL; a path without '/' is taken relative
 * to the current directory, never searched), call its entry once and
 * validate the descriptor.  On error nothing stays loaded. */
int och_plugin_load (och_plugin *p, const char *path, char *err, size_t errlen);

/* dlclose, unless OMNI_CONNECTOR_HOST_NO_DLCLOSE=1 (valgrind keeps symbol
 * names).  Accepts a plugin that was never loaded. */
void och_plugin_unload (och_plugin *p);

/* ------------------------------------------------------------------ */
/* The --config file (och-config.c)                                   */
/* ------------------------------------------------------------------ */

typedef struct och_config {
  char *source_id;          /* non-empty */
  char *source_config_json; /* a JSON object, as text */
  char *credentials_json;   /* a JSON object, as text: secret */
} och_config;

/* Read and check the file.  Warns on stderr (one line) when it is readable
 * by group or others.  Every copy of the credentials except
 * credentials_json is wiped before returning (best effort: json-c's
 * tokener may keep a fragment of the last string it scanned). */
int och_config_read (och_config *c, const char *path, char *err, size_t errlen);

/* Wipe the credentials now (after init) without freeing the rest. */
void och_config_wipe_credentials (och_config *c);

/* Wipe and free everything.  Accepts a zeroed config. */
void och_config_free (och_config *c);

/* ------------------------------------------------------------------ */
/* The --state file (och-state.c)                                     */
/* ------------------------------------------------------------------ */

#define OCH_STATE_FORMAT 1

typedef enum och_outcome {
  OCH_OUTCOME_NONE = 0, /* no run yet */
  OCH_OUTCOME_RUNNING,  /* running now, or killed/crashed while running */
  OCH_OUTCOME_COMPLETED,
  OCH_OUTCOME_FAILED,
  OCH_OUTCOME_STOPPED /* SIGINT/SIGTERM */
} och_outcome;

typedef struct och_state {
  char *plugin; /* the plugin's name */
  char *source_id;
  char *source_checkpoint; /* left by the last completed sync, or NULL */

  /* The last completed sync (has_last_sync). */
  bool has_last_sync;
  char *last_sync_at;
  omni_sync_mode last_sync_mode;

  /* Running total of created - deleted events, never below zero. */
  int64_t documents_indexed;

  /* The current or interrupted run (run_in_progress). */
  bool run_in_progress;
  omni_sync_mode run_mode;
  char *run_checkpoint; /* the run's last checkpoint, or NULL */
  char *run_started_at;
  int64_t run_attempts;     /* 1 for the first start, +1 per resume */
  int64_t run_indexed_base; /* documents_indexed when the run started */

  /* The last run (current one while it runs). */
  och_outcome last_outcome;
  omni_sync_mode last_mode;
  char *last_started_at;
  char *last_ended_at;               /* NULL while running */
  char *last_error;                  /* one line, or NULL */
  int64_t created, updated, deleted; /* of the last/current run */
} och_state;

/* Read PATH into *s (zeroed first).  A missing file is not an error when
 * missing_ok: *s is then empty and *existed false. */
int och_state_read (och_state *s, const char *path, bool missing_ok,
                    bool *existed, char *err, size_t errlen);

/* Replace PATH atomically: temp file in the same directory (mode 0600),
 * fsync, rename, fsync the directory. */
int och_state_write (const och_state *s, const char *path, char *err,
                     size_t errlen);

/* Replace *field with a copy of value (NULL allowed).  -1 on ENOMEM. */
int och_state_set (char **field, const char *value);

void och_state_free (och_state *s);

const char *och_outcome_name (och_outcome o);

/* Remove temp files a killed och_state_write left next to PATH.  Call it
 * with the lock held. */
void och_state_clean_temps (const char *path);

/* Exclusive lock on PATH.lock so that two hosts never share a state file.
 * Returns the lock's fd, or -1 (err says "already in use" or why). */
int och_state_lock (const char *path, char *err, size_t errlen);

/* 1 when PATH.lock is held by a running host, 0 when not, -1 unknown. */
int och_state_lock_held (const char *path);

/* ------------------------------------------------------------------ */
/* The --events writer (och-events.c)                                 */
/* ------------------------------------------------------------------ */

typedef struct och_events {
  int fd;
  char *path;
  char *buf; /* pending bytes, written by och_events_sync */
  size_t len, cap;
} och_events;

/* Open for appending (create 0600).  A torn last line, left by a write
 * that was killed, is cut off first (it lies after anything durable). */
int och_events_open (och_events *e, const char *path, char *err, size_t errlen);

/* Queue one document_created/_updated event.  The three JSON texts must
 * parse as JSON objects and content must be UTF-8; else -1. */
int och_events_upsert (och_events *e, bool created, const char *source_id,
                       const omni_document *doc, char *err, size_t errlen);

/* Queue one document_deleted event. */
int och_events_delete (och_events *e, const char *source_id,
                       const char *document_id, char *err, size_t errlen);

/* Write everything queued and fsync: afterwards it is durable. */
int och_events_sync (och_events *e, char *err, size_t errlen);

/* Close (without syncing: call och_events_sync first).  Accepts closed. */
void och_events_close (och_events *e);

/* ------------------------------------------------------------------ */
/* Progress (och-progress.c)                                          */
/* ------------------------------------------------------------------ */

typedef struct och_progress {
  bool enabled;          /* false with --quiet */
  bool tty;              /* live \r line; else a plain line every few seconds */
  bool dirty;            /* a live line is on screen */
  double start;          /* monotonic */
  double last;           /* last drawn */
  int64_t done;          /* changes processed (run total, estimate) */
  int64_t total;         /* -1 when unknown */
  int64_t done_at_start; /* to compute this process's rate */
} och_progress;

void och_progress_init (och_progress *p, bool enabled, bool tty);

/* Record progress; redraws when it is time to. */
void och_progress_update (och_progress *p, int64_t done, int64_t total);

/* A checkpoint was saved: plain mode prints a line. */
void och_progress_checkpoint (och_progress *p);

/* Erase the live line before other text goes to stderr. */
void och_progress_clear (och_progress *p);

/* ------------------------------------------------------------------ */
/* Sync (och-sync.c)                                                  */
/* ------------------------------------------------------------------ */

typedef struct och_options {
  const char *plugin_path;
  const char *config_path;
  const char *state_path;
  const char *events_path;
  omni_sync_mode mode;
  bool mode_given;
  bool quiet;
  int verbose;
  int64_t checkpoint_every; /* documents */
  double checkpoint_seconds;
} och_options;

/* The subcommands; each returns an exit status and prints its own error
 * line. */
int och_cmd_manifest (const och_options *o);
int och_cmd_check (const och_options *o);
int och_cmd_sync (const och_options *o);
int och_cmd_status (const och_options *o);

/* Print "omni-connector-host: <text>" on stderr. */
void och_error (const char *fmt, ...) OCH_PRINTF (1, 2);

#endif /* OCH_H */
