/* fake-paperless.h: an in-process fake Paperless-ngx REST server for tests.
 *
 * The server re-implements the observable behaviour of the real Paperless-ngx
 * API (see /work/shared/paperless-api.md): token auth and its 401 bodies,
 * Accept-header versioning per server release, DRF pagination with absolute
 * next/previous links, the document filters a sync connector uses, per-API-
 * version representations, visibility rules, zstd and gzip, trash.  On top of
 * that it offers what tests need: a request log, deterministic fault injection,
 * and corpus mutations that are safe while a client is running.
 *
 * Threads: the server answers requests on its own threads (libmicrohttpd,
 * one thread per connection).  Every fp_server_* function may be called from
 * any thread at any time between fp_server_start() and fp_server_stop(); all
 * state is guarded by one mutex.  Hook callbacks run on a server thread.
 *
 * Strings: every const char * argument is borrowed for the duration of the
 * call (the server copies what it keeps).  Every char * result is allocated
 * with malloc() and belongs to the caller, who frees it with free().
 */
#ifndef FAKE_PAPERLESS_H
#define FAKE_PAPERLESS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The token accepted when neither the options nor the corpus name one. */
#define FP_DEFAULT_TOKEN "0123456789abcdef0123456789abcdef01234567"
/* The logical clock starts here (2026-01-01T00:00:00Z, microseconds). */
#define FP_CLOCK_START_US INT64_C (1767225600000000)
/* ...and each mutation advances it by this much (1.234567 s). */
#define FP_CLOCK_STEP_US INT64_C (1234567)

typedef struct fp_server fp_server;
typedef struct fp_corpus fp_corpus;

/* ---------------------------------------------------------------- corpus */

/* Parses a corpus file (the team's format, described at the top of
 * fp-corpus.c and in tests/data/README.md).  Returns NULL and writes a
 * message to err on failure. */
fp_corpus *fp_corpus_load (const char *path, char *err, size_t errlen);
/* The same from a buffer of len bytes (need not be NUL-terminated). */
fp_corpus *fp_corpus_parse (const char *json, size_t len, char *err,
                            size_t errlen);

/* Knobs of the generator; a zeroed struct (or NULL) means the defaults. */
typedef struct fp_gen_options {
  size_t content_bytes;       /* OCR text per document; 0 = 4096 */
  unsigned n_tags;            /* 0 = 24 (some nested) */
  unsigned n_correspondents;  /* 0 = 40 */
  unsigned n_document_types;  /* 0 = 12 */
  unsigned n_storage_paths;   /* 0 = 4 */
  unsigned n_users;           /* 0 = 4 (user 1 is the superuser "admin") */
  unsigned trashed_per_mille; /* documents generated in the trash; 0 = 5 */
  int no_gaps;                /* 1 = ids 1..n without holes */
  const char *server_version; /* NULL = "3.0.5" */
  const char *time_zone;      /* NULL = "+00:00" */
} fp_gen_options;

/* Deterministically generates n_docs documents from seed: lookups of every
 * kind, custom fields of every data type, notes, owners and grants, mostly
 * consecutive ids with a few gaps.  Content is synthesised on demand, so
 * memory stays around 1 KB per document whatever content_bytes is.  Never
 * returns NULL except on out-of-memory. */
fp_corpus *fp_corpus_generate (size_t n_docs, uint64_t seed,
                               const fp_gen_options *opts);

/* Serialises a corpus in the corpus file format (generated content is
 * written out in full).  Returns NULL on out-of-memory. */
char *fp_corpus_to_json (const fp_corpus *c);

size_t fp_corpus_document_count (const fp_corpus *c);
void fp_corpus_free (fp_corpus *c);

/* ---------------------------------------------------------------- server */

typedef struct fp_options {
  /* The documents: either a file, or a corpus whose ownership passes to the
   * server (even when fp_server_start fails), or neither (empty corpus). */
  const char *corpus_path;
  fp_corpus *corpus;

  const char *token;          /* NULL: corpus server.token, else default */
  const char *server_version; /* NULL: corpus server.version, else "3.0.5" */
  const char *time_zone;      /* "+01:00", "UTC", or a named zone with
                                 DST ("Europe/Berlin", "America/New_York",
                                 see fp-time.c); NULL: corpus, else UTC */
  const char *prefix;         /* PAPERLESS_FORCE_SCRIPT_NAME, e.g. "/p" */
  int64_t user_id;            /* the token's user; 0: first superuser */
  const char *forbidden;      /* comma list of endpoints answering 403,
                                 e.g. "custom_fields,users,groups" */
  const char *listen_addr;    /* NULL: "127.0.0.1" */
  unsigned port;              /* 0: ephemeral */
  unsigned delay_ms;          /* added before every API response */
  int no_gzip;                /* 1: PAPERLESS_ENABLE_COMPRESSION=no */
  int real_clock;             /* 1: mutations use the wall clock */
  int64_t clock_start_us;     /* 0: FP_CLOCK_START_US */
  int64_t clock_step_us;      /* 0: FP_CLOCK_STEP_US */
  unsigned trash_delay;       /* days, for ui_settings; 0: 30 */

  /* HTTPS.  Each is PEM text (starting with "-----BEGIN") or the path of a
   * PEM file.  With tls_cert and tls_key (unencrypted) the server speaks
   * only https, and fp_server_url says "https://".  With tls_client_ca too,
   * it requires a client certificate signed by one of those CAs (mutual
   * TLS, extended key usage clientAuth): a connection without one, or with
   * another, is refused with a fatal TLS alert before its request reaches
   * the API (nothing is logged; fp_server_tls_refused_count counts it).
   * tests/data/tls/ has test certificates.  All NULL: plain http. */
  const char *tls_cert;      /* server certificate (and chain) */
  const char *tls_key;       /* its private key */
  const char *tls_client_ca; /* CA certificate(s) for client certificates */
} fp_options;

/* Starts the server.  Returns NULL and a message in err on failure. */
fp_server *fp_server_start (const fp_options *o, char *err, size_t errlen);
/* Stops the server (waiting for in-flight requests, which are cut short if
 * they stall) and frees everything.  NULL is a no-op. */
void fp_server_stop (fp_server *s);

/* "http://127.0.0.1:PORT" ("https://" with tls_cert) plus the prefix, no
 * trailing slash.  Borrowed, valid until fp_server_stop. */
const char *fp_server_url (const fp_server *s);
unsigned fp_server_port (const fp_server *s);
const char *fp_server_token (const fp_server *s); /* borrowed, like url */

/* Runtime switches. */
void fp_server_set_delay_ms (fp_server *s, unsigned ms);
void fp_server_set_gzip (fp_server *s, int on);
/* endpoint: "documents", "tags", "custom_fields", "users", "ui_settings"...
 * forbidden = 1 answers 403 to the authenticated user. */
void fp_server_set_forbidden (fp_server *s, const char *endpoint,
                              int forbidden);
/* Make next/previous links use this origin ("http://evil.example:8080")
 * instead of the request's, like a misconfigured proxy; NULL resets. */
void fp_server_set_link_origin (fp_server *s, const char *origin);
/* Another accepted token, for user_id (multi-user tests). */
void fp_server_add_token (fp_server *s, const char *token, int64_t user_id);
/* Switch the user behind the main token. */
void fp_server_set_user (fp_server *s, int64_t user_id);

/* ----------------------------------------------------------- request log */

typedef struct fp_log_entry {
  char *method;
  char *path;    /* as requested, prefix included, percent-decoded */
  char *query;   /* raw, without '?'; "" when absent */
  char *headers; /* "Name: value\n" for every request header */
  int status;    /* 0 when the connection was dropped */
} fp_log_entry;

size_t fp_server_request_count (fp_server *s);
size_t fp_server_non_get_count (fp_server *s);
/* Copies entry i (0 = oldest) into *out; 0 on success, -1 if out of range.
 * Free with fp_log_entry_free. */
int fp_server_log_get (fp_server *s, size_t i, fp_log_entry *out);
void fp_log_entry_free (fp_log_entry *e);
/* Value of header `name` (case-insensitive) of entry i, or NULL. */
char *fp_server_log_header (fp_server *s, size_t i, const char *name);
/* Number of entries whose method, path, query or headers contain needle. */
size_t fp_server_log_count_containing (fp_server *s, const char *needle);
/* Number of entries whose path (after the prefix) starts with path_prefix. */
size_t fp_server_log_count_path (fp_server *s, const char *path_prefix);
/* The log as JSON lines. */
char *fp_server_log_json (fp_server *s);
void fp_server_log_clear (fp_server *s);
/* Total response body bytes handed to the network (after compression). */
uint64_t fp_server_bytes_sent (fp_server *s);
/* Requests refused for lack of a valid client certificate (mutual TLS,
 * fp_options.tls_client_ca); they are not in the log. */
size_t fp_server_tls_refused_count (fp_server *s);
/* The most API requests answered at once (from the moment a request is
 * logged until its response is queued, delays included) since the log was
 * last cleared. */
unsigned fp_server_max_in_flight (fp_server *s);

/* ---------------------------------------------------------------- faults */

typedef enum fp_fault_kind {
  FP_FAULT_STATUS,   /* status + body + content_type + headers */
  FP_FAULT_DELAY,    /* wait delay_ms, then answer normally */
  FP_FAULT_DROP,     /* close the connection without any response */
  FP_FAULT_TRUNCATE, /* the real body cut to `size` bytes (default half),
                        with a matching Content-Length */
  FP_FAULT_CUT,      /* the real Content-Length, `size` bytes, then close */
  FP_FAULT_GARBAGE,  /* the real body followed by `body` (default junk) */
  FP_FAULT_HTML,     /* status (default 200) with an HTML page */
  FP_FAULT_EMPTY,    /* status (default 200), empty JSON body */
  FP_FAULT_BYTES,    /* status (default 200) with body/body_len verbatim */
  FP_FAULT_STALL,    /* `size` bytes of the real body (default half), then
                        nothing until the client gives up */
  FP_FAULT_HUGE      /* a valid JSON list page of `size` bytes (default
                        200 MB), generated on the fly */
} fp_fault_kind;

typedef struct fp_fault {
  const char *path_prefix;    /* after the prefix, e.g. "/api/documents/";
                                 NULL matches every path */
  const char *query_contains; /* NULL: any query */
  unsigned nth;               /* first matching request that fires (1..) */
  unsigned times;             /* how often it fires; 0 = forever */
  fp_fault_kind kind;
  int status;               /* 0: 503 for STATUS, 200 for the others */
  const char *body;         /* NULL: a default for the kind */
  size_t body_len;          /* 0: strlen(body) */
  const char *content_type; /* NULL: application/json */
  const char *headers;      /* extra "Name: value\n" lines, or NULL */
  const char *retry_after;  /* Retry-After value ("5" or an HTTP-date) */
  unsigned delay_ms;        /* before answering (any kind) */
  uint64_t size;            /* TRUNCATE/CUT/STALL/HUGE byte counts */
  int chunked;              /* HUGE: no Content-Length */
} fp_fault;

/* Adds a rule; returns its id (>0).  Rules are checked in order; the first
 * that fires wins.  Every rule counts every request it matches. */
int fp_server_add_fault (fp_server *s, const fp_fault *f);
/* How often rule `id` has fired. */
unsigned fp_server_fault_fired (fp_server *s, int id);
void fp_server_clear_faults (fp_server *s);

/* ------------------------------------------------------------- mutations
 * All bump the logical clock once.  Return 0, or -1 if the id is unknown. */

typedef struct fp_doc_edit {
  const char *title;   /* NULL: unchanged */
  const char *content; /* NULL: unchanged */
  const int64_t *tags; /* with set_tags: the new list */
  size_t n_tags;
  int set_tags;
  int64_t correspondent; /* with set_correspondent; -1 = null */
  int set_correspondent;
  int64_t document_type;
  int set_document_type;
  int64_t storage_path;
  int set_storage_path;
  int64_t owner;
  int set_owner;
  const char *created;       /* "YYYY-MM-DD", NULL: unchanged */
  const int64_t *view_users; /* with set_view_users */
  size_t n_view_users;
  int set_view_users;
} fp_doc_edit;

int fp_server_edit_document (fp_server *s, int64_t id, const fp_doc_edit *e);
/* A new document (id = max id ever + 1, added = modified = now); returns
 * the id. */
int64_t fp_server_add_document (fp_server *s, const char *title,
                                const char *content);
int fp_server_trash_document (fp_server *s, int64_t id);   /* no bump */
int fp_server_restore_document (fp_server *s, int64_t id); /* bumps */
int fp_server_purge_document (fp_server *s, int64_t id);   /* hard delete */
/* endpoint as in fp_server_set_forbidden; no document is bumped. */
int fp_server_rename_lookup (fp_server *s, const char *endpoint, int64_t id,
                             const char *name);
int fp_server_delete_lookup (fp_server *s, const char *endpoint, int64_t id);
/* Gives every listed (existing) document one identical modified; returns
 * how many were touched. */
size_t fp_server_bulk_touch (fp_server *s, const int64_t *ids, size_t n);
/* Adds a note by user_id (0: no user) and bumps the document. */
int fp_server_add_note (fp_server *s, int64_t doc_id, const char *text,
                        int64_t user_id);
/* Advances the logical clock by us microseconds. */
void fp_server_advance_clock (fp_server *s, int64_t us);
int64_t fp_server_now_us (fp_server *s);

/* Runs a textual command, the same as the control channel's:
 *   "edit?id=5&title=X&content=..&tags=1,2&correspondent=3|null&owner=.."
 *   "add?title=..&content=..", "trash?id=", "restore?id=", "purge?id=",
 *   "note?id=&note=&user=", "rename?endpoint=tags&id=3&name=X",
 *   "delete-lookup?endpoint=tags&id=3", "bulk-touch?ids=1-1000,1005",
 *   "fault?path=/api/documents/&nth=2&times=1&kind=status&status=503&...",
 *   "clear-faults", "log-clear", "advance-clock?us=N", "delay?ms=N",
 *   "gzip?on=0", "forbid?endpoint=users&on=1", "link-origin?origin=..",
 *   "user?id=N".
 * Returns 0, or -1 with a message in err. */
int fp_server_command (fp_server *s, const char *command, char *err,
                       size_t errlen);

/* Hooks: after the nth request (1..) whose path starts with path_prefix has
 * been answered (its body is computed), run the callback or the command.
 * The callback runs on a server thread without the lock held, so it may
 * call any fp_server_* function.  Returns the hook id (>0). */
typedef void (*fp_hook_fn) (fp_server *s, void *user);
int fp_server_add_hook (fp_server *s, const char *path_prefix, unsigned nth,
                        fp_hook_fn fn, void *user);
int fp_server_add_hook_command (fp_server *s, const char *path_prefix,
                                unsigned nth, const char *command);

/* -------------------------------------------------------------- snapshot */

/* The ids visible in /api/documents/ to user_id (0: the token's user), in
 * ascending order; *ids is malloc'd (NULL when n = 0).  Returns n. */
size_t fp_server_visible_ids (fp_server *s, int64_t user_id, int64_t **ids);
/* One document as /api/documents/<id>/?full_perms=true renders it for the
 * given API version (0: the server default), even if trashed; NULL if the
 * id does not exist. */
char *fp_server_document_json (fp_server *s, int64_t id, int version);
/* {"count":N,"documents":[{"id":..,"modified":".."},...]} for the token's
 * user, ids ascending. */
char *fp_server_snapshot_json (fp_server *s);

/* ------------------------------------------------------- control channel */

/* Starts a second loopback listener that takes POST /control/<command>?..
 * and GET /control/log|stats|snapshot.  Its requests never reach the API
 * log.  Returns the port, or 0 with a message in err. */
unsigned fp_server_start_control (fp_server *s, unsigned port, char *err,
                                  size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* FAKE_PAPERLESS_H */
