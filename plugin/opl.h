/* opl.h: shared internals of the Paperless-ngx connector plugin ("opl_").
 *
 * Everything here is private to the plugin (hidden visibility); the only
 * exported symbol is the ABI entry in opl-plugin.c.  The convenience library
 * libopl.la holds all of it, so the Check unit tests link the same code the
 * shared object runs.
 *
 * Conventions:
 *  - Functions that can fail return omni_status and, where useful, write one
 *    line of text into a caller-provided `char *err, size_t errlen`.
 *  - json_object pointers obtained from a parent are borrowed; only roots
 *    returned by a parse are put by the caller.
 *  - Nothing here calls exit/abort/assert on data that came from a server.
 */
#ifndef OPL_H
#define OPL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json.h>

#include "omni-connector.h"

#if defined(__GNUC__)
#define OPL_PRINTF(f, a) __attribute__ ((format (printf, f, a)))
#else
#define OPL_PRINTF(f, a)
#endif

/* ------------------------------------------------------------------ */
/* Logging (opl-log.c)                                                */
/* ------------------------------------------------------------------ */

/* Where an internal module sends log lines.  fn may be NULL (unit tests
 * that do not care): then logging is a no-op. */
typedef struct opl_log {
  void (*fn) (void *ud, omni_log_level level, const char *message);
  void *ud;
} opl_log;

/* Format one line (truncated at 1 KiB, newlines folded to spaces) and send
 * it.  `log` may be NULL. */
void opl_logf (const opl_log *log, omni_log_level level, const char *fmt, ...)
    OPL_PRINTF (3, 4);

/* snprintf into err (when err is not NULL), returning `code`. */
omni_status opl_fail (char *err, size_t errlen, omni_status code,
                      const char *fmt, ...) OPL_PRINTF (4, 5);

/* ------------------------------------------------------------------ */
/* Growable byte buffer (opl-buf.c)                                   */
/* ------------------------------------------------------------------ */

/* Always NUL-terminated once anything was appended (data may be NULL when
 * len == 0 and nothing was ever appended).  On allocation failure the
 * buffer sets `oom`, keeps what it had, and ignores further appends, so
 * callers may append freely and check `oom` once at the end. */
typedef struct opl_buf {
  char *data;
  size_t len;
  size_t cap;
  bool oom;
} opl_buf;

void opl_buf_init (opl_buf *b);
void opl_buf_free (opl_buf *b);
/* Forget the contents, keep the allocation. */
void opl_buf_reset (opl_buf *b);
/* Make room for `extra` more bytes (plus NUL).  False on failure. */
bool opl_buf_reserve (opl_buf *b, size_t extra);
void opl_buf_append (opl_buf *b, const void *data, size_t len);
void opl_buf_puts (opl_buf *b, const char *s);
void opl_buf_putc (opl_buf *b, char c);
void opl_buf_printf (opl_buf *b, const char *fmt, ...) OPL_PRINTF (2, 3);
/* Hand the NUL-terminated contents to the caller (free() it) and reset the
 * buffer to empty.  Returns NULL when the buffer had an allocation failure;
 * returns "" (allocated) for an empty buffer. */
char *opl_buf_steal (opl_buf *b);
/* Overwrite the whole allocation with zeros, then free (for secrets). */
void opl_buf_wipe (opl_buf *b);

/* ------------------------------------------------------------------ */
/* UTF-8 and text (opl-buf.c)                                         */
/* ------------------------------------------------------------------ */

/* Append `len` bytes of possibly invalid UTF-8 to `b`, replacing every
 * invalid sequence (overlong forms, surrogates, code points above
 * U+10FFFF, truncated sequences) by U+FFFD and dropping NUL bytes.
 * Returns the number of code points appended. */
size_t opl_utf8_append_repaired (opl_buf *b, const char *s, size_t len);

/* Length in bytes of the longest prefix of the valid UTF-8 string `s`
 * (length len) that holds at most `max_chars` code points. */
size_t opl_utf8_prefix_bytes (const char *s, size_t len, size_t max_chars);

/* JSON text written straight into a buffer, for the small objects of
 * every document (metadata, attributes, permissions): building a json-c
 * tree per document only to print it cost more than the rest of the
 * mapping.  Strings are escaped as json-c escapes them with
 * JSON_C_TO_STRING_NOSLASHESCAPE (so the bytes are the same), and must be
 * valid UTF-8 already (repaired). */
void opl_buf_put_json_string (opl_buf *b, const char *s, size_t len);

/* One object level: open, members, close; `any` tracks the commas. */
typedef struct opl_jw {
  opl_buf *b;
  bool any;
} opl_jw;
void opl_jw_open (opl_jw *w, opl_buf *b);
/* ,"key": -- the member's value follows (a nested opl_jw, an array). */
void opl_jw_key (opl_jw *w, const char *key);
void opl_jw_str (opl_jw *w, const char *key, const char *s, size_t len);
void opl_jw_int (opl_jw *w, const char *key, int64_t v);
void opl_jw_close (opl_jw *w);

/* Number of code points in valid UTF-8. */
size_t opl_utf8_count (const char *s, size_t len);

/* Overwrite n bytes with zeros in a way the compiler will not elide. */
void opl_secure_zero (void *p, size_t n);

/* strdup that returns NULL for NULL input. */
char *opl_strdup (const char *s);

/* ------------------------------------------------------------------ */
/* Untrusted JSON (opl-json.c)                                        */
/* ------------------------------------------------------------------ */

/* Parse untrusted JSON text of `len` bytes (need not be NUL-terminated):
 * strict mode, depth limit OPL_JSON_MAX_DEPTH, no trailing garbage.
 * Returns the root (caller puts it) or NULL with a one-line reason in err
 * (naming the byte offset).  Invalid UTF-8 inside strings is accepted here
 * and repaired where the text is used. */
#define OPL_JSON_MAX_DEPTH 64
json_object *opl_json_parse (const char *text, size_t len, char *err,
                             size_t errlen);
/* opl_json_parse for text holding a secret (the credentials): json-c's
 * string buffer is overwritten before it is freed, so no copy of the
 * secret is left in freed memory by the parse.  The caller still wipes the
 * string objects of the tree before putting it. */
json_object *opl_json_parse_secret (const char *text, size_t len, char *err,
                                    size_t errlen);

/* Typed lookups: true only if `key` exists in the object `obj` and has the
 * stated type (and, for integers, fits in int64_t without loss; doubles
 * with a fraction are refused).  `*out` is untouched on false.  `obj` may
 * be NULL or a non-object (then false). */
bool opl_json_get_int (json_object *obj, const char *key, int64_t *out);
/* String value, borrowed from obj; *len gets the byte length (may contain
 * NUL bytes: use the length). `len` may be NULL. */
bool opl_json_get_string (json_object *obj, const char *key, const char **out,
                          size_t *len);
bool opl_json_get_bool (json_object *obj, const char *key, bool *out);
/* Borrowed child of type array / object. */
json_object *opl_json_get_array (json_object *obj, const char *key);
json_object *opl_json_get_object (json_object *obj, const char *key);
/* True when key exists and is JSON null. */
bool opl_json_is_null (json_object *obj, const char *key);
/* An integer value (not a child): true if `v` is an int that fits int64. */
bool opl_json_as_int (json_object *v, int64_t *out);

/* Serialise compactly without escaping '/' into a malloc'd string (NULL on
 * allocation failure). */
char *opl_json_to_text (json_object *obj);

/* ------------------------------------------------------------------ */
/* Dates (opl-time.c)                                                 */
/* ------------------------------------------------------------------ */

/* A point in time as Paperless sends it: either a calendar date with no
 * zone (date_only) or a datetime with a UTC offset. */
typedef struct opl_time {
  int year, month, day, hour, minute, second;
  int micro;      /* 0..999999 */
  int offset_min; /* UTC offset in minutes (0 for Z or date-only) */
  bool date_only;
} opl_time;

/* Parse "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS[.f{1,6}](Z|±HH:MM)" (also with
 * a space instead of T; a missing zone is taken as UTC).  Every field is
 * range-checked (month 1-12, day valid for the month, leap years).  False on
 * anything else. */
bool opl_time_parse (const char *s, size_t len, opl_time *out);
/* RFC 3339 text: "YYYY-MM-DDTHH:MM:SS[.ffffff](Z|±HH:MM)"; a date-only value
 * becomes midnight UTC ("YYYY-MM-DDT00:00:00Z").  buf needs 40 bytes. */
void opl_time_format_rfc3339 (const opl_time *t, char *buf, size_t buflen);
/* "YYYY-MM-DD" (the date as the server wrote it, no zone conversion). */
void opl_time_format_date (const opl_time *t, char *buf, size_t buflen);
/* "YYYY-MM-DD HH:MM" in the offset the server wrote. */
void opl_time_format_minute (const opl_time *t, char *buf, size_t buflen);
/* Microseconds since the Unix epoch, in UTC (offset applied). */
int64_t opl_time_to_unix_us (const opl_time *t);
/* Exact inverse for a UTC value: fills out with offset 0. */
void opl_time_from_unix_us (int64_t us, opl_time *out);

/* ------------------------------------------------------------------ */
/* Lookups (opl-lookup.c)                                             */
/* ------------------------------------------------------------------ */

typedef enum opl_lookup_kind {
  OPL_LK_TAGS = 0,
  OPL_LK_CORRESPONDENTS,
  OPL_LK_DOCUMENT_TYPES,
  OPL_LK_STORAGE_PATHS,
  OPL_LK_CUSTOM_FIELDS,
  OPL_LK_USERS,
  OPL_LK_GROUPS,
  OPL_LK_COUNT
} opl_lookup_kind;

/* The API path below /api/ ("tags/", "correspondents/", ...). */
const char *opl_lookup_endpoint (opl_lookup_kind kind);

/* One lookup object.  All strings owned by the table. */
typedef struct opl_lookup {
  int64_t id;
  char *name;         /* tags, correspondents, types, paths, fields,
                         groups; users: username */
  int64_t parent;     /* tags: parent tag id, 0 when none */
  char *data_type;    /* custom fields */
  json_object *extra; /* custom fields: extra_data (owned reference) */
  char *email;        /* users: email, NULL when empty */
} opl_lookup;

typedef struct opl_lookup_table {
  opl_lookup *items; /* sorted by id after opl_lookup_table_finish */
  size_t count;
  size_t cap;
  /* false when the endpoint could not be read (e.g. 403): names unknown. */
  bool available;
} opl_lookup_table;

typedef struct opl_lookups {
  opl_lookup_table t[OPL_LK_COUNT];
} opl_lookups;

void opl_lookups_init (opl_lookups *lk);
void opl_lookups_clear (opl_lookups *lk);
void opl_lookup_table_clear (opl_lookup_table *t);
/* Add one item of a lookup list page (an element of "results").  An item
 * without a usable integer id, or of the wrong shape, is refused with a
 * reason in err (OMNI_ERR_INVALID) and the table is unchanged. */
omni_status opl_lookup_table_add (opl_lookup_table *t, opl_lookup_kind kind,
                                  json_object *item, char *err, size_t errlen);
/* Sort by id and drop duplicate ids (the last one wins).  Call after the
 * last add. */
void opl_lookup_table_finish (opl_lookup_table *t);
/* Binary search; NULL when absent. */
const opl_lookup *opl_lookup_find (const opl_lookup_table *t, int64_t id);

/* ------------------------------------------------------------------ */
/* Mapping a Paperless document to an Omni document (opl-map.c)       */
/* ------------------------------------------------------------------ */

typedef enum opl_perm_mode {
  OPL_PERM_PAPERLESS = 0, /* owner + view/change grants; unowned: public */
  OPL_PERM_PUBLIC = 1     /* every document public */
} opl_perm_mode;

typedef struct opl_map_config {
  const char *source_id;    /* external id: paperless:<source_id>:<id> */
  const char *ui_base_url;  /* public_url or base_url, no trailing '/' */
  size_t max_content_chars; /* cap on the OCR text, in code points */
  opl_perm_mode permissions;
  int api_version; /* the negotiated API version (1..10) */
} opl_map_config;

/* One mapped document.  Every pointer is malloc'd and owned by the struct;
 * opl_doc_clear frees them. */
typedef struct opl_doc {
  int64_t id; /* Paperless id */
  char *external_id;
  char *content; /* Markdown, valid UTF-8 */
  size_t content_len;
  char *metadata_json;
  char *permissions_json;
  char *attributes_json;
  char *modified; /* the server's `modified` text, verbatim */
} opl_doc;

void opl_doc_clear (opl_doc *d);

/* The mapper keeps per-sync state (which oddities were already logged). */
typedef struct opl_mapper opl_mapper;

/* cfg strings are copied.  log may be NULL.  NULL on allocation failure. */
opl_mapper *opl_mapper_new (const opl_map_config *cfg, const opl_log *log);
void opl_mapper_free (opl_mapper *m);

/* Map one element of a /api/documents/ "results" list.  On OMNI_OK *out is
 * filled (the caller clears it).  OMNI_ERR_INVALID: the document cannot be
 * mapped at all (no usable id), reason in err; the caller skips it.
 * OMNI_ERR_INTERNAL: out of memory.  Lookups may be missing or unavailable:
 * unknown ids are shown as "#<id>" (custom fields: "field <id>"). */
omni_status opl_mapper_map (opl_mapper *m, const opl_lookups *lk,
                            json_object *doc, opl_doc *out, char *err,
                            size_t errlen);

/* The comma-separated `fields=` list the mapper needs from the server. */
extern const char opl_map_fields[];

/* Collect, for one document, the lookup ids it references that are not in
 * the (available) tables: used by the sync to refresh lookups once before
 * mapping.  Returns true if any is missing. */
bool opl_map_has_unknown_refs (const opl_lookups *lk, json_object *doc);

/* ------------------------------------------------------------------ */
/* Compact id sets (opl-idset.c)                                      */
/* ------------------------------------------------------------------ */

/* A set of positive document ids stored as sorted, disjoint, non-adjacent
 * closed ranges [lo, hi], so that 1,000,000 mostly consecutive ids cost a
 * few ranges.  Ids must be >= 1. */
typedef struct opl_idrange {
  int64_t lo, hi;
} opl_idrange;

typedef struct opl_idset {
  opl_idrange *r;
  size_t n; /* ranges in use */
  size_t cap;
  uint64_t count; /* number of ids in the set */
} opl_idset;

void opl_idset_init (opl_idset *s);
void opl_idset_free (opl_idset *s);
void opl_idset_clear (opl_idset *s); /* empty, keep allocation */
/* Insert; O(1) amortised when ids arrive in ascending order.  False on
 * allocation failure (set unchanged) or id < 1. */
bool opl_idset_add (opl_idset *s, int64_t id);
bool opl_idset_add_range (opl_idset *s, int64_t lo, int64_t hi);
/* Remove; false only on allocation failure (a range split). */
bool opl_idset_remove (opl_idset *s, int64_t id);
bool opl_idset_contains (const opl_idset *s, int64_t id);
/* Smallest id > after (after may be 0), or 0 when none. */
int64_t opl_idset_next (const opl_idset *s, int64_t after);
int64_t opl_idset_max (const opl_idset *s); /* 0 when empty */
/* out = a \ b (out must be distinct from a and b).  False on OOM. */
bool opl_idset_difference (opl_idset *out, const opl_idset *a,
                           const opl_idset *b);
bool opl_idset_copy (opl_idset *out, const opl_idset *a);
/* Text form for checkpoints: ranges as base-36 deltas, e.g. "1+1zz,2+a"
 * (first range: start + length-1; each next: gap from the previous end +
 * length-1), "" for the empty set.  Appends to b. */
void opl_idset_encode (const opl_idset *s, opl_buf *b);
/* Parse the text form; on failure the set is left empty and err names
 * the problem (offset).  OMNI_ERR_INVALID or OMNI_ERR_INTERNAL (OOM). */
omni_status opl_idset_decode (opl_idset *s, const char *text, size_t len,
                              char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Checkpoints (opl-checkpoint.c)                                     */
/* ------------------------------------------------------------------ */

#define OPL_CHECKPOINT_FORMAT 1

/* Where a run stands.  Steps run in order; a step that lists ids fills
 * `queue`, and the run delivers the queue (ascending ids, one chunk per
 * request) before it moves on. */
typedef enum opl_step {
  OPL_STEP_START = 0,  /* nothing done yet in this run */
  OPL_STEP_LOOKUPS,    /* lookups compared; queue: affected docs */
  OPL_STEP_LISTED,     /* full: all ids listed; queue: all ids;
                          incremental: changed ids listed */
  OPL_STEP_CATCHUP,    /* full only: ids changed during the sweep */
  OPL_STEP_RECONCILED, /* deletions handed out; queue: missing ids */
  OPL_STEP_DONE        /* the run completed */
} opl_step;

/* (id, modified) of a document delivered recently, to skip re-delivery
 * inside the watermark overlap window. */
typedef struct opl_recent {
  int64_t id;
  int64_t modified_us;
} opl_recent;

/* Fingerprint of one lookup object (name and whatever else shows in a
 * document), to notice renames and deletions between runs. */
typedef struct opl_lookup_hash {
  int64_t id;
  uint32_t hash;
} opl_lookup_hash;

typedef struct opl_lookup_hashes {
  opl_lookup_hash *v; /* sorted by id */
  size_t n;
  bool present; /* false: not recorded (endpoint unavailable) */
} opl_lookup_hashes;

typedef struct opl_checkpoint {
  int format;          /* OPL_CHECKPOINT_FORMAT */
  int api_version;     /* negotiated API version of the run */
  omni_sync_mode mode; /* the mode of the run that wrote it */
  opl_step step;       /* the last step completed */
  /* The high-water mark of the last completed run: server `modified`
   * in µs since the epoch (UTC), 0 = none.  Only a completed run sets it. */
  int64_t watermark_us;
  /* The run's own high-water mark so far; becomes watermark_us at DONE. */
  int64_t pending_watermark_us;
  opl_idset known;    /* ids the index holds, as far as handed out */
  opl_idset queue;    /* ids still to deliver in the current step */
  opl_recent *recent; /* sorted by id, at most OPL_RECENT_MAX */
  size_t n_recent;
  /* Lookup fingerprints as the current (or last) run first saw them, per
   * opl_lookup_kind: set when a run starts, kept through resumes. */
  opl_lookup_hashes lookups[OPL_LK_COUNT];
} opl_checkpoint;

#define OPL_RECENT_MAX 4096

void opl_checkpoint_init (opl_checkpoint *c);
void opl_checkpoint_free (opl_checkpoint *c);
/* Serialise to one line of JSON (never a secret: nothing in the struct is
 * one).  Returns malloc'd text, NULL on OOM. */
char *opl_checkpoint_encode (const opl_checkpoint *c);
/* Parse text from opl_checkpoint_encode.  NULL or "" gives an empty
 * checkpoint (OMNI_OK).  Anything malformed, or of another format
 * version, is OMNI_ERR_INVALID with a one-line reason; *c is then empty. */
omni_status opl_checkpoint_decode (opl_checkpoint *c, const char *text,
                                   char *err, size_t errlen);
/* Record (id, modified) in the recent list, dropping entries older than
 * `floor_us` and, past OPL_RECENT_MAX, the oldest.  False on OOM. */
bool opl_checkpoint_note_recent (opl_checkpoint *c, int64_t id,
                                 int64_t modified_us, int64_t floor_us);
/* True when (id, modified_us) is in the recent list. */
bool opl_checkpoint_is_recent (const opl_checkpoint *c, int64_t id,
                               int64_t modified_us);

/* ------------------------------------------------------------------ */
/* Configuration (opl-config.c) and manifest (opl-manifest.c)         */
/* ------------------------------------------------------------------ */

typedef struct opl_config {
  char *base_url;   /* scheme://host[:port][/prefix], no '/' at end */
  char *public_url; /* for UI links; NULL: base_url */
  char *api_key;    /* secret: wiped by opl_config_free */
  opl_perm_mode permissions;
  size_t max_content_chars;
  unsigned page_size;      /* documents per request */
  unsigned list_page_size; /* ids per request when listing ids */
  unsigned connect_timeout_s;
  unsigned low_speed_time_s;   /* abort when slower than low_speed_limit */
  unsigned low_speed_limit;    /* bytes per second */
  unsigned max_retries;        /* attempts after the first */
  unsigned max_retry_wait_s;   /* cap on one wait, Retry-After included */
  uint64_t max_response_bytes; /* decompressed */
  unsigned overlap_s;          /* watermark safety overlap */
  char *ca_file;
  char *client_cert;
  char *client_key;
  bool tls_insecure;
  unsigned in_flight; /* requests in flight at most: 1 to 4 */
} opl_config;

/* Parse and validate source_config and credentials (JSON text).  Unknown
 * keys are refused (a typo must not be silently ignored).  Warnings (http
 * to a non-loopback host, tls_insecure) go to log.  OMNI_ERR_INVALID with a
 * reason naming the key.  The api key never appears in err. */
omni_status opl_config_parse (opl_config *c, const char *source_config_json,
                              const char *credentials_json, const opl_log *log,
                              char *err, size_t errlen);
void opl_config_free (opl_config *c);

/* The plugin's manifest (JSON text, static). */
extern const char opl_manifest_json[];

/* ------------------------------------------------------------------ */
/* HTTP transport (opl-http.c)                                        */
/* ------------------------------------------------------------------ */

typedef struct opl_http opl_http;

typedef struct opl_response {
  long status;
  opl_buf body; /* decompressed */
  char content_type[128];
  char retry_after[64];
  char location[256]; /* only for logging a redirect's target */
  int x_api_version;  /* 0 when absent */
  char x_version[32]; /* server release, "" when absent */
} opl_response;

void opl_response_init (opl_response *r);
void opl_response_free (opl_response *r);

/* One libcurl handle per instance (connections are reused).  cfg must
 * outlive the handle; should_stop may be NULL. */
opl_http *opl_http_new (const opl_config *cfg, const opl_log *log,
                        int (*should_stop) (void *), void *stop_ud, char *err,
                        size_t errlen);
void opl_http_free (opl_http *h);

/* At most `cap` requests at once among the handles that share the gate
 * (an instance's and its prefetch workers': max_requests_in_flight).  A
 * request waits for a free place before it is sent. */
typedef struct opl_gate {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  unsigned cap, busy;
} opl_gate;

void opl_gate_init (opl_gate *g, unsigned cap);
void opl_gate_destroy (opl_gate *g);
/* Make h's requests pass through g (NULL: no limit); g outlives h. */
void opl_http_set_gate (opl_http *h, opl_gate *g);

/* One GET of an absolute URL (built by the caller from the configured base
 * URL).  api_version 0 sends no version.  Redirects are never followed.
 * OMNI_OK for any HTTP status (in r->status).  OMNI_ERR_TRANSIENT for a
 * transport failure (refused, reset, timeout, TLS handshake trouble),
 * OMNI_ERR_INVALID for a body over max_response_bytes or a TLS certificate
 * problem, OMNI_ERR_CANCELLED when should_stop said so. */
omni_status opl_http_get (opl_http *h, const char *url, int api_version,
                          opl_response *r, char *err, size_t errlen);

/* Bytes received (decompressed) and requests made, for statistics. */
uint64_t opl_http_bytes (const opl_http *h);
uint64_t opl_http_requests (const opl_http *h);

/* ------------------------------------------------------------------ */
/* Paperless API (opl-api.c)                                          */
/* ------------------------------------------------------------------ */

/* How long to wait before retry number attempt+1 (attempt 0 is the first
 * retry): Retry-After when the server gave one (seconds or an HTTP date),
 * else 1, 2, 4 ... s with +-25 % jitter drawn from *rng; never more than
 * max_wait_s seconds. */
unsigned opl_retry_delay_ms (unsigned max_wait_s, const char *retry_after,
                             unsigned attempt, uint32_t *rng);

/* The Paperless-ngx API versions this plugin understands: 10 and 9 are
 * asked for; an older server's own default is spoken down to 2 (2.0). */
#define OPL_API_VERSION_MIN 2
#define OPL_API_VERSION_MAX 10

typedef struct opl_api {
  const opl_config *cfg;
  const opl_log *log;
  const omni_host_services *host; /* may be NULL (unit tests) */
  opl_http *http;
  int api_version;         /* negotiated; 0 before negotiation */
  char server_version[32]; /* X-Version, "" when unknown */
} opl_api;

/* Negotiate the API version (10, then 9, then the server's default) with
 * an authenticated probe of /api/documents/, which also reports how many
 * documents the token sees and the highest id.  Clear errors for a wrong
 * URL, a refused token, a proxy login page, a server too old. */
omni_status opl_api_probe (opl_api *a, int64_t *count, int64_t *max_id,
                           char *err, size_t errlen);

/* GET <base>/api/<path_query> and parse the JSON body, with retries and
 * back-off for 429/502/503/504 and transport failures.  On OMNI_OK *out is
 * the root (caller puts it).  401 -> OMNI_ERR_AUTH; 403 -> OMNI_ERR_AUTH
 * with "permission" in the reason; 404 -> OMNI_ERR_NOT_FOUND; 3xx, HTML,
 * bad JSON -> OMNI_ERR_INVALID with a reason saying which. */
omni_status opl_api_get_json (opl_api *a, const char *path_query,
                              json_object **out, char *err, size_t errlen);

/* Validate a list page: an object with integer `count` and array
 * `results`; returns results (borrowed) or NULL with a reason. */
json_object *opl_api_page_results (json_object *page, int64_t *count,
                                   bool *has_next, char *err, size_t errlen);

/* A page of an id listing, read by opl_id_page_parse without building its
 * tree (10,000 items as a json-c tree are 6 MB; here 24 bytes each). */
#define OPL_ID_NO_MODIFIED INT64_MIN
typedef struct opl_id_item {
  int64_t id;          /* 0 when the item has no integer "id" */
  int64_t modified_us; /* OPL_ID_NO_MODIFIED when not asked for, missing,
                          or not a datetime */
} opl_id_item;

typedef struct opl_id_page {
  int64_t count;
  bool has_count, has_next, has_results;
  opl_id_item *items; /* "results", in order */
  size_t n, cap;
} opl_id_page;

/* Parse a list page body ({"count":..,"next":..,"results":[..]}) into p
 * (zero it before first use; reused pages keep their buffer).  Checks what
 * opl_json_parse and opl_api_page_results check, with the same reasons;
 * OMNI_ERR_INVALID on any of them. */
omni_status opl_id_page_parse (opl_id_page *p, const char *text, size_t len,
                               bool want_modified, char *err, size_t errlen);
int64_t opl_id_page_max_id (const opl_id_page *p);
void opl_id_page_free (opl_id_page *p);

/* Called once per item while listing ids; modified_us is 0 when the
 * listing did not ask for it.  Returning false aborts the listing with
 * OMNI_ERR_INTERNAL (out of memory). */
typedef bool (*opl_id_cb) (void *ud, int64_t id, int64_t modified_us);

/* List the ids of /api/documents/ matching `filter` (query text without
 * '?', may be ""), in ascending id order, page by page. */
omni_status opl_api_list_ids (opl_api *a, const char *filter, opl_id_cb cb,
                              void *ud, char *err, size_t errlen);

/* List (id, modified) of every document modified after since_us (µs since
 * the epoch, UTC; 0: all), oldest first.  Seeks by `modified` rather than
 * walking page numbers, so that documents edited meanwhile (which move to
 * the end of the order) cannot push others past a page boundary. An id may
 * be reported twice (once per version seen). */
/* Which of the n ids (any order) are documents the token can see now:
 * asked by id (id__in), a request per 500; cb gets each that is.  A walk
 * by page number can skip items when the list shrinks under it, so an id
 * a walk did not show is only gone once this says so. */
omni_status opl_api_existing_ids (opl_api *a, const int64_t *ids, size_t n,
                                  opl_id_cb cb, void *ud, char *err,
                                  size_t errlen);

/* The ids in /api/trash/ (Paperless-ngx 2.10 and newer), at most
 * max_pages pages of 100 (whole documents: the trash ignores `fields`).
 * Older servers answer with a redirect, and a token may not see every
 * trashed document: a hint, never proof that something was deleted. */
omni_status opl_api_trash_ids (opl_api *a, unsigned max_pages, opl_id_cb cb,
                               void *ud, char *err, size_t errlen);

omni_status opl_api_list_changed (opl_api *a, int64_t since_us, opl_id_cb cb,
                                  void *ud, char *err, size_t errlen);

/* Load every page of one lookup endpoint into t (cleared first).  A 403
 * leaves t empty with available = false and OMNI_OK (logged by caller). */
omni_status opl_api_load_lookup (opl_api *a, opl_lookup_kind kind,
                                 opl_lookup_table *t, bool *forbidden,
                                 char *err, size_t errlen);

/* GET the documents with the given ids (n <= 1000) in one request, full
 * representation, into r (a 2xx response on OMNI_OK).  Safe on a thread
 * of its own when a has no host (the prefetch workers). */
omni_status opl_api_get_documents (opl_api *a, const int64_t *ids, size_t n,
                                   opl_response *r, char *err, size_t errlen);
/* Parse and check such a response: *root is the page (caller puts),
 * *results borrowed from it.  Items without a usable id are dropped (and
 * logged); an item not asked for, or a page with more than n, refuses the
 * page (the server ignores id__in). */
omni_status opl_api_parse_documents (const opl_api *a, const int64_t *ids,
                                     size_t n, const opl_response *r,
                                     json_object **root, json_object **results,
                                     char *err, size_t errlen);
/* Both of the above. */
omni_status opl_api_fetch_documents (opl_api *a, const int64_t *ids, size_t n,
                                     json_object **root, json_object **results,
                                     char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Titles of linked documents (opl-titles.c)                          */
/* ------------------------------------------------------------------ */

typedef struct opl_title {
  int64_t id;
  char *title;
} opl_title;

typedef struct opl_title_table {
  opl_title *v; /* sorted by id */
  size_t n, cap;
} opl_title_table;

typedef struct opl_titles {
  opl_title_table current, previous, fetched;
} opl_titles;

/* Before mapping a chunk: remember its titles, keep the previous chunk's,
 * and fetch (one request) the titles of linked documents in neither. */
omni_status opl_titles_begin_chunk (opl_titles *t, opl_api *a,
                                    const opl_lookups *lk, json_object *results,
                                    char *err, size_t errlen);
/* The resolver for opl_mapper_set_doc_title (ud is the opl_titles). */
const char *opl_titles_get (void *ud, int64_t id);
void opl_titles_free (opl_titles *t);

/* ------------------------------------------------------------------ */
/* Fetching ahead (opl-prefetch.c)                                    */
/* ------------------------------------------------------------------ */

typedef struct opl_prefetch opl_prefetch;

#define OPL_PREFETCH_MAX 4    /* workers at most */
#define OPL_PREFETCH_IDS 1000 /* ids per chunk at most */

/* `workers` threads (1..OPL_PREFETCH_MAX), each with its own connection
 * through `gate`.  cfg and gate must outlive the pool. */
opl_prefetch *opl_prefetch_new (const opl_config *cfg, int api_version,
                                unsigned workers, opl_gate *gate, char *err,
                                size_t errlen);
unsigned opl_prefetch_workers (const opl_prefetch *p); /* 0 for NULL */

/* A chunk of ids to fetch, in the order the sync will want them. */
typedef struct opl_chunk {
  const int64_t *ids;
  size_t n; /* 1..OPL_PREFETCH_IDS */
} opl_chunk;

/* Make the workers fetch these chunks (at most one each, count <= the
 * number of workers): chunks already under way or ready are kept, jobs and
 * results for any other ids are dropped. */
void opl_prefetch_schedule (opl_prefetch *p, const opl_chunk *chunks,
                            size_t count);
/* When a worker fetched (or is fetching) exactly these ids, wait for it;
 * if it succeeded, move its response into r (initialised by the caller,
 * who frees it) and return true.  Otherwise false: the caller fetches
 * them itself.  p may be NULL.  Workers hand over bytes, not trees: the
 * sync parses on its own thread, so that trees never pile up in the
 * workers' malloc arenas. */
bool opl_prefetch_take (opl_prefetch *p, const int64_t *ids, size_t n,
                        opl_response *r);
/* Cancel what is under way, join the threads, free.  Accepts NULL. */
void opl_prefetch_free (opl_prefetch *p);

/* ------------------------------------------------------------------ */
/* The instance and its sync (opl-plugin.c, opl-sync.c, opl-rename.c) */
/* ------------------------------------------------------------------ */

/* opl_map_has_unknown_refs, less the ids in `unresolved` (per lookup
 * kind): those a refresh of the lookups already failed to find (the token
 * cannot see them), which must not cost another refresh. */
bool opl_map_has_new_unknown_refs (const opl_lookups *lk, json_object *doc,
                                   opl_idset unresolved[OPL_LK_COUNT]);
/* Add every id doc refers to that the tables lack to `unresolved`.
 * False when memory ran out. */
bool opl_map_record_unknown_refs (const opl_lookups *lk, json_object *doc,
                                  opl_idset unresolved[OPL_LK_COUNT]);

struct omni_instance {
  const omni_host_services *host;
  opl_log log;
  char *source_id;
  opl_config cfg;
  opl_api api;
  opl_lookups lk;
  opl_mapper *mapper;
  opl_checkpoint cp;
  omni_sync_mode mode;       /* the mode this run performs */
  int64_t server_count;      /* documents visible at the probe */
  unsigned lookup_refreshes; /* refreshes after unknown ids, this run */
  /* Ids still unknown after a refresh (per kind): shown as #<id>, and no
   * reason for another refresh. */
  opl_idset unresolved[OPL_LK_COUNT];
  /* Lookup kinds whose 403 was already reported in this run. */
  unsigned forbidden_warned;
  unsigned chunk_size;    /* documents per request now (halved when
                             a page keeps failing) */
  opl_titles titles;      /* for documentlink fields */
  opl_gate gate;          /* max_requests_in_flight, for all requests */
  opl_prefetch *prefetch; /* NULL when max_requests_in_flight is 1 */
  /* Set when memory ran out half-way through changing the checkpoint: it
   * no longer describes what was handed out, so it is never returned. */
  bool poisoned;
  /* The batch about to be handed out carries OMNI_BATCH_CHECKPOINT. */
  bool checkpoint_now;
  /* The batch handed out last, and what it owns. */
  omni_change_batch batch;
  omni_change *changes;
  size_t n_changes, cap_changes;
  char **change_ids; /* external ids of DELETED changes */
  opl_doc *docs;     /* mapped documents of the batch */
  size_t n_docs, cap_docs;
  opl_doc extra_doc; /* fetched by id outside the batch */
  omni_document out_doc;
  char *cp_text;
  int64_t done;
};

/* Decide what this run does from the mode asked for, the checkpoint and
 * what the probe saw (API version change, signs of a reset server). */
omni_status opl_sync_plan (omni_instance *inst, omni_sync_mode asked,
                           bool resume, int64_t max_id, char *err,
                           size_t errlen);
/* Load every lookup table, warning once for each the token may not read. */
omni_status opl_sync_load_lookups (omni_instance *inst, char *err,
                                   size_t errlen);
/* The next batch (see list_changes in omni-connector.h): fills the
 * changes, sets checkpoint_now when the batch must be checkpointed. */
omni_status opl_sync_next (omni_instance *inst, char *err, size_t errlen);
/* Release the batch's documents and ids. */
void opl_sync_clear_batch (omni_instance *inst);

/* Lookup fingerprints of the tables now loaded, for the checkpoint. */
bool opl_rename_fingerprints (const opl_lookups *lk,
                              opl_lookup_hashes out[OPL_LK_COUNT]);
/* Queue every document affected by a lookup renamed, added or deleted
 * since the fingerprints in inst->cp (incremental runs). */
omni_status opl_rename_queue_affected (omni_instance *inst, char *err,
                                       size_t errlen);

#endif /* OPL_H */
