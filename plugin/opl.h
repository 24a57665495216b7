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
  int micro;         /* 0..999999 */
  int offset_min;    /* UTC offset in minutes (0 for Z or date-only) */
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
  char *name;          /* tags, correspondents, types, paths, fields,
                          groups; users: username */
  int64_t parent;      /* tags: parent tag id, 0 when none */
  char *data_type;     /* custom fields */
  json_object *extra;  /* custom fields: extra_data (owned reference) */
  char *email;         /* users: email, NULL when empty */
} opl_lookup;

typedef struct opl_lookup_table {
  opl_lookup *items;   /* sorted by id after opl_lookup_table_finish */
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
  OPL_PERM_PAPERLESS = 0,   /* owner + view/change grants; unowned: public */
  OPL_PERM_PUBLIC = 1       /* every document public */
} opl_perm_mode;

typedef struct opl_map_config {
  const char *source_id;      /* external id: paperless:<source_id>:<id> */
  const char *ui_base_url;    /* public_url or base_url, no trailing '/' */
  size_t max_content_chars;   /* cap on the OCR text, in code points */
  opl_perm_mode permissions;
  int api_version;            /* the negotiated API version (1..10) */
} opl_map_config;

/* One mapped document.  Every pointer is malloc'd and owned by the struct;
 * opl_doc_clear frees them. */
typedef struct opl_doc {
  int64_t id;                 /* Paperless id */
  char *external_id;
  char *content;              /* Markdown, valid UTF-8 */
  size_t content_len;
  char *metadata_json;
  char *permissions_json;
  char *attributes_json;
  char *modified;             /* the server's `modified` text, verbatim */
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

#endif /* OPL_H */
