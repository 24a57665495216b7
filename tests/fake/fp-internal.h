/* fp-internal.h: the fake server's internal model, shared by its files.
 * Nothing here is thread-safe by itself: fp-server.c holds the server mutex
 * around every use of a corpus. */
#ifndef FP_INTERNAL_H
#define FP_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "fake-paperless.h"

#define FP_NULL_ID (-1) /* a null foreign key / owner / number */

/* ------------------------------------------------------------ fp-util.c */

typedef struct fp_buf {
  char *p;
  size_t len, cap;
  int oom; /* sticky: an allocation failed, contents are incomplete */
} fp_buf;

void fp_buf_add (fp_buf *b, const char *s, size_t n);
void fp_buf_adds (fp_buf *b, const char *s);
void fp_buf_addc (fp_buf *b, char c);
void fp_buf_printf (fp_buf *b, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
void fp_buf_int (fp_buf *b, int64_t v);
/* A JSON string as Python's json.dumps(ensure_ascii=False) writes it. */
void fp_buf_json_str (fp_buf *b, const char *s, size_t n);
void fp_buf_json_strz (fp_buf *b, const char *s); /* NULL → null */
void fp_buf_json_obj (fp_buf *b, json_object *o);
/* Takes the buffer's string (NUL-terminated; "" if empty); resets b. */
char *fp_buf_take (fp_buf *b);
void fp_buf_free (fp_buf *b);

typedef struct fp_ids {
  int64_t *v;
  size_t n, cap;
} fp_ids;

int fp_ids_push (fp_ids *a, int64_t v);
int fp_ids_has (const fp_ids *a, int64_t v);
void fp_ids_remove (fp_ids *a, int64_t v);
int fp_ids_copy (fp_ids *dst, const fp_ids *src);
void fp_ids_free (fp_ids *a);

/* application/x-www-form-urlencoded, as Python's parse_qs/urlencode. */
typedef struct fp_kv {
  char *key, *value;
} fp_kv;
typedef struct fp_query {
  fp_kv *kv;
  size_t n;
} fp_query;

int fp_query_parse (fp_query *q, const char *raw);
/* The last value of key (QueryDict.get), or NULL. */
const char *fp_query_get (const fp_query *q, const char *key);
void fp_query_free (fp_query *q);
char *fp_url_decode (const char *s, size_t n, int plus_is_space);
void fp_buf_quote_plus (fp_buf *b, const char *s);
/* Python's urlencode(sorted(parse_qs(raw).items()), doseq=True), after
 * replacing (val != NULL) or removing (val == NULL) key. */
void fp_query_reencode (fp_buf *b, const fp_query *q, const char *key,
                        const char *val);

int fp_parse_int64 (const char *s,
                    int64_t *out); /* whole string, Python int() */
int fp_parse_id_list (const char *s, fp_ids *out); /* "1,2, 3" */
char *fp_strdup0 (const char *s);                  /* NULL-safe strdup */
int fp_strcasestr_ascii (const char *hay, const char *needle);
size_t fp_b64_decode (const char *in, unsigned char *out, size_t outcap,
                      int *bad);

/* ------------------------------------------------------------ fp-time.c */

int64_t fp_days_from_civil (int64_t y, unsigned m, unsigned d);
void fp_civil_from_days (int64_t z, int *y, int *m, int *d);
/* Zones (`tz` below) are ints made by fp_parse_tz: a fixed offset, or one
 * of a few named zones with their DST rule ("Europe/Berlin"). */
int fp_parse_tz (const char *s, int *tz);
/* isoformat() in the zone; `z_for_utc` rewrites +00:00 as Z (DRF). */
void fp_buf_datetime (fp_buf *b, int64_t us, int tz, int z_for_utc);
void fp_buf_date (fp_buf *b, int32_t days);
/* Django forms.DateTimeField; naive values are in tz.  0 or -1. */
int fp_parse_datetime (const char *s, int tz, int64_t *us);
/* Django forms.DateField: %Y-%m-%d, %m/%d/%Y, %m/%d/%y.  0 or -1. */
int fp_parse_date (const char *s, int32_t *days);
/* The local date of an instant; the instant of a local midnight. */
int32_t fp_local_days (int64_t us, int tz);
int64_t fp_local_midnight (int32_t days, int tz);

/* ---------------------------------------------------------- fp-corpus.c */

typedef struct fp_perms {
  fp_ids view_users, view_groups, change_users, change_groups;
} fp_perms;

typedef struct fp_note {
  int64_t id;
  char *note;
  int64_t created_us;
  int64_t user_id; /* FP_NULL_ID: user deleted */
  char *username, *first_name, *last_name;
} fp_note;

typedef struct fp_cf_value {
  int64_t field;
  json_object *value; /* owned; NULL = JSON null */
} fp_cf_value;

typedef struct fp_doc {
  int64_t id;
  int64_t correspondent, document_type, storage_path;
  char *title;
  char *content;      /* NULL: synthesised from gen_seed/gen_bytes */
  size_t content_rep; /* content repeated this many times (>= 1) */
  uint64_t gen_seed;
  size_t gen_bytes;
  fp_ids tags;
  int32_t created_days;
  int64_t modified_us, added_us, deleted_us;
  int deleted;
  int64_t asn;
  char *original_file_name, *archived_file_name;
  int64_t owner;
  fp_perms perms;
  fp_note *notes;
  size_t n_notes;
  fp_cf_value *cfs;
  size_t n_cfs;
  int64_t page_count;
  char *mime_type;
} fp_doc;

typedef enum fp_lk {
  FP_TAGS,
  FP_CORRESPONDENTS,
  FP_DOCUMENT_TYPES,
  FP_STORAGE_PATHS,
  FP_CUSTOM_FIELDS,
  FP_USERS,
  FP_GROUPS,
  FP_N_LK
} fp_lk;

extern const char *const fp_lk_names[FP_N_LK]; /* "tags", ... */
int fp_lk_from_name (const char *name);        /* -1 if unknown */

typedef struct fp_lookup {
  int64_t id;
  char *name; /* username for users */
  int64_t owner;
  int64_t parent; /* tags only */
  fp_perms perms;
  json_object *obj; /* owned: every other field, as in the corpus */
} fp_lookup;

struct fp_corpus {
  char *version, *token, *time_zone;
  fp_doc *docs; /* ascending id */
  size_t n_docs, cap_docs;
  int64_t max_doc_id; /* ever, so ids are never reused */
  int64_t max_note_id;
  fp_lookup *lk[FP_N_LK];
  size_t n_lk[FP_N_LK];
};

fp_doc *fp_corpus_find (const fp_corpus *c, int64_t id);
fp_lookup *fp_corpus_find_lookup (const fp_corpus *c, fp_lk k, int64_t id);
fp_doc *fp_corpus_append (fp_corpus *c); /* zeroed, id = max + 1 */
void fp_doc_clear (fp_doc *d);
void fp_perms_free (fp_perms *p);
void fp_lookup_clear (fp_lookup *l);
/* The document's text into b. */
void fp_doc_content (const fp_doc *d, fp_buf *b);
void fp_gen_text (fp_buf *b, uint64_t seed, size_t bytes);
/* String / int / bool member of a lookup's object, with a default. */
const char *fp_lk_str (const fp_lookup *l, const char *key, const char *def);
int64_t fp_lk_int (const fp_lookup *l, const char *key, int64_t def);
int fp_lk_bool (const fp_lookup *l, const char *key, int def);

/* ----------------------------------------------------------- fp-render.c */

/* What a server release does (from its version string, §3.1). */
typedef struct fp_gen {
  int major, minor, patch;
  int def_version, min_version, max_version;
} fp_gen;

void fp_gen_init (fp_gen *g, const char *version);
int fp_gen_at_least (const fp_gen *g, int major, int minor, int patch);

/* Who asks, in which version, and how the representation is shaped. */
typedef struct fp_view {
  const fp_corpus *c;
  const fp_gen *gen;
  int version;
  int tz; /* fp_parse_tz */
  int64_t user_id;
  int superuser;
  const fp_ids *groups; /* the user's groups */
  int full_perms;
  int truncate;
  char **field_names; /* fields=; none means all */
  size_t n_field_names;
} fp_view;

int fp_doc_visible (const fp_view *v, const fp_doc *d, int include_granted);
int fp_lookup_visible (const fp_view *v, fp_lk k, const fp_lookup *l);
void fp_render_document (fp_buf *b, const fp_view *v, const fp_doc *d,
                         int detail);
/* Item idx of lookup list k; counts[idx] is its document_count. */
void fp_render_lookup (fp_buf *b, const fp_view *v, fp_lk k, size_t idx,
                       const int64_t *counts);
void fp_render_note (fp_buf *b, const fp_view *v, const fp_doc *d,
                     const fp_note *n);

/* ------------------------------------------------------------ fp-query.c */

typedef struct fp_http {
  int status;
  char *body; /* malloc'd */
  size_t len;
  const char *content_type;
  char *location; /* 302 */
  int authed;     /* add X-Api-Version / X-Version */
  char *www_auth;
  char *allow;
} fp_http;

/* Context of one list request. */
typedef struct fp_list_req {
  const fp_view *v;
  const fp_query *q;
  const char *self_url; /* scheme://host + path, for next/previous */
} fp_list_req;

/* Fill r for GET /api/documents/ (trash = 0) or /api/trash/ (trash = 1). */
void fp_list_documents (fp_http *r, const fp_list_req *lr, int trash);
void fp_list_lookups (fp_http *r, const fp_list_req *lr, fp_lk k);
void fp_http_json (fp_http *r, int status, const char *json);
/* Pages out `n` items that render() writes, with DRF's envelope. */

/* ----------------------------------------------------------- fp-filter.c */

/* Applies every document filter present in q to items[0..*n), compacting
 * in place.  Returns 0, or -1 with the 400 body ({"param":["msg"]}) in
 * err. */
int fp_filter_documents (const fp_view *v, const fp_query *q,
                         const fp_doc **items, size_t *n, fp_buf *err);
/* ordering= (NULL or no valid term: the release's default); trash: the
 * model default -created. */
void fp_sort_documents (const fp_view *v, const char *ordering, int trash,
                        const fp_doc **items, size_t n);
/* name__istartswith/iendswith/icontains/iexact of a lookup list. */
int fp_lookup_name_ok (const fp_query *q, const char *name);

/* ------------------------------------------------------------ fp-faults.c */

typedef struct fp_fault_rule {
  int id;
  fp_fault f; /* strings owned (copied) */
  unsigned seen, fired;
} fp_fault_rule;

int fp_fault_copy (fp_fault_rule *r, const fp_fault *f);
void fp_fault_rule_clear (fp_fault_rule *r);
int fp_fault_matches (const fp_fault_rule *r, const char *path,
                      const char *query);
int fp_fault_parse (fp_fault *f, const fp_query *q, char *err, size_t errlen);
void fp_fault_free_parsed (fp_fault *f);

#endif /* FP_INTERNAL_H */
