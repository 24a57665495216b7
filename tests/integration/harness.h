/* harness.h: end-to-end test helpers.  The real plugin (.so) is run by the
 * real mock host (a child process) against the fake Paperless-ngx server
 * (in this process), and the index is rebuilt by replaying the events file
 * exactly as Omni would (last event per document wins). */
#ifndef HARNESS_H
#define HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fake-paperless.h"

typedef struct h_env {
  char dir[256]; /* temporary directory for this test */
  char config[300];
  char state[300];
  char events[300];
  char out[300]; /* the host's stdout + stderr of the last run */
  fp_server *srv;
} h_env;

/* Creates the directory and writes the host's config file for `srv`, with
 * extra source_config members (JSON text without braces, may be NULL). */
void h_setup (h_env *e, fp_server *srv, const char *extra_config);
void h_teardown (h_env *e);
/* Rewrites the config with a different token (for auth tests). */
void h_write_config (h_env *e, const char *token, const char *extra_config);

/* Runs omni-connector-host with the given arguments after the command
 * (NULL-terminated), waits, returns its exit status (or 128+signal). */
int h_host (h_env *e, const char *command, ...);
/* sync --mode MODE with the env's files; returns the exit status. */
int h_sync (h_env *e, const char *mode);
/* Starts a sync and returns its pid without waiting. */
pid_t h_sync_start (h_env *e, const char *mode, const char *extra_arg);
int h_wait (pid_t pid);

/* The index rebuilt from the events file. */
typedef struct h_index {
  int64_t *ids;         /* sorted */
  int64_t *modified_us; /* metadata.updated_at of the last upsert */
  char **titles;
  uint64_t *digest; /* of content, metadata, permissions, attributes */
  size_t n;
  size_t created, updated, deleted; /* event counts */
} h_index;

void h_replay (const h_env *e, h_index *ix);
void h_index_free (h_index *ix);

/* Checks that the index holds exactly the documents the server shows, each
 * in its latest version; on mismatch, describes the first one in why and
 * returns false. */
bool h_converged (h_env *e, char *why, size_t whylen);

/* True when two events files replay to the same documents with the same
 * content, metadata, permissions and attributes; else why says which. */
bool h_same_index (const h_env *a, const h_env *b, char *why, size_t whylen);

/* Events one run (or several) appended to the events file: take
 * h_events_size before the run, then h_events_since with that offset.  Ids
 * are the Paperless document ids, in file order, per event type. */
typedef struct h_events {
  int64_t *created, *updated, *deleted;
  size_t n_created, n_updated, n_deleted;
} h_events;

size_t h_events_size (const h_env *e);
void h_events_since (const h_env *e, size_t from, h_events *ev);
void h_events_free (h_events *ev);
/* How often id occurs in ids[0..n). */
size_t h_count_id (const int64_t *ids, size_t n, int64_t id);

/* Runs a full sync of e's server into a fresh directory (extra_config as
 * for h_setup) and compares the two indexes with h_same_index.  With
 * OPL_KEEP_FAILED set, a mismatch keeps both directories (named on
 * stderr). */
bool h_same_as_fresh (h_env *e, const char *extra_config, char *why,
                      size_t whylen);

/* Reads a whole file (malloc'd, NUL-terminated), NULL if missing. */
char *h_slurp (const char *path, size_t *len);
/* True when the file contains the text. */
bool h_file_contains (const char *path, const char *text);

/* The host's output of the last run (e->out) holds exactly one error line
 * (neither progress, nor a warning, nor a retry notice), and it names
 * `needle`; fails the test otherwise. */
void h_assert_one_error_line (const h_env *e, const char *needle);

/* The number of API requests the server has logged. */
size_t h_requests (h_env *e);

#endif
