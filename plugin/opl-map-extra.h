/* opl-map-extra.h: additions to the Mapping section of opl.h.
 *
 *  - An optional document-title resolver for `documentlink` custom fields
 *    (the mapper sees one document at a time and cannot know the titles of
 *    the documents it links to).
 *  - The custom-field value formatter (opl-fields.c) shared by opl-map.c and
 *    its unit tests.
 */
#ifndef OPL_MAP_EXTRA_H
#define OPL_MAP_EXTRA_H

#include "opl.h"

/* Return the title of Paperless document `id`, or NULL when it is unknown
 * (not visible to the token, trashed, not yet seen).  The string is
 * borrowed: it must stay valid until the resolver is called again or the
 * current opl_mapper_map call returns, whichever comes first.  It need not
 * be valid UTF-8 (it is repaired). */
typedef const char *(*opl_doc_title_fn) (void *ud, int64_t id);

/* Install (or, with fn NULL, remove) the resolver; ud is passed back to it.
 * Without a resolver, linked documents are shown as "#<id>"; with one, as
 * "<title> (#<id>)". */
void opl_mapper_set_doc_title (opl_mapper *m, opl_doc_title_fn fn, void *ud);

/* ---- Custom field values (opl-fields.c) -------------------------------- */

/* A set of 64-bit keys ("this oddity was already logged"), bounded so that
 * a hostile server cannot make it grow without limit: once full, nothing
 * is added and opl_seen_first returns false (logging stops). */
#define OPL_SEEN_MAX 4096
typedef struct opl_seen {
  uint64_t *keys; /* sorted */
  size_t count;
  size_t cap;
} opl_seen;

/* True the first time `key` is offered, false afterwards (or when full or
 * out of memory). */
bool opl_seen_first (opl_seen *s, uint64_t key);
void opl_seen_free (opl_seen *s);

/* What formatting a value needs besides the value.  Every pointer may be
 * NULL (then: no logging, no dedup of log lines, no title resolution). */
typedef struct opl_field_env {
  const opl_log *log;
  opl_seen *seen;
  int64_t doc_id; /* for log lines only */
  opl_doc_title_fn doc_title;
  void *doc_title_ud;
} opl_field_env;

/* Append to `out` the display text of custom field `field_id` holding
 * `value`, as a person reads it.  `def` is the field's definition (NULL when
 * the field is unknown: the value is then shown in a generic way).  Returns
 * false, appending nothing, when the field has no value (null, "", []).  A
 * value whose shape does not fit the field's type is shown raw and logged
 * once per (field, shape) through env->seen.  Appended text is valid UTF-8
 * without NUL bytes. */
bool opl_field_format (const opl_field_env *env, int64_t field_id,
                       const opl_lookup *def, json_object *value, opl_buf *out);

/* Append n in decimal (printf's "%lld" without printf's cost). */
void opl_buf_put_int (opl_buf *out, int64_t n);

/* A double in plain decimal notation, shortest text that reads back as the
 * same value (123.45 -> "123.45", 1e-7 -> "0.0000001"); exponent notation
 * only beyond 1e15 or below 1e-9.  Independent of the C locale.  buflen
 * should be at least 40. */
void opl_format_double (double v, char *buf, size_t buflen);

/* Append "cf_<slug>" for a field name: ASCII letters and digits
 * lower-cased, Latin letters with diacritics as their ASCII letters
 * ("Fällig am" -> "cf_fallig_am", "Größe" -> "cf_grosse"), every other run
 * of bytes one '_', no '_' at either end; "cf_<field_id>" when that leaves
 * nothing (or name is NULL). */
void opl_field_attr_key (opl_buf *out, const char *name, int64_t field_id);

/* ---- Permissions (opl-perms.c) ---------------------------------------- */

/* A reusable vector of ids (scratch space kept in the mapper). */
typedef struct opl_idvec {
  int64_t *v;
  size_t count;
  size_t cap;
} opl_idvec;

/* The permissions JSON of one document, malloc'd (NULL on allocation
 * failure): {"public": bool, "users": [...], "groups": [...]}.
 * OPL_PERM_PUBLIC: always public.  OPL_PERM_PAPERLESS: public when `owner`
 * is null; otherwise the owner and every user with a view or change grant
 * (email, else username, else "#<id>"), and every group with one (name,
 * else "#<id>").  A document without an `owner` key is not public (nothing
 * proves it is unowned).  Oddities are logged once: `*logged` holds the
 * mapper's once-flags and `flag` is the bit this function may use. */
char *opl_map_permissions (const opl_lookups *lk, json_object *doc,
                           opl_perm_mode mode, opl_idvec *scratch,
                           const opl_log *log, unsigned *logged, unsigned flag);

#endif /* OPL_MAP_EXTRA_H */
