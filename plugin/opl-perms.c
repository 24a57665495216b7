/* opl-perms.c: a document's access list for Omni, and the check for lookup
 * ids a document references that the tables do not hold.
 *
 * Omni shows a document to a user when it is public, when the user's email
 * is in `users`, or when one of their groups is in `groups`.  Paperless
 * lets a user see a document they own, one with no owner, or one with a
 * view (or change) grant to them or to one of their groups
 * (paperless-api.md §5.1, with full_perms=true). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opl-map-extra.h"

static bool
idvec_push (opl_idvec *v, int64_t id)
{
  if (v->count == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 16;
    if (cap > SIZE_MAX / sizeof *v->v)
      return false;
    int64_t *p = realloc (v->v, cap * sizeof *p);
    if (p == NULL)
      return false;
    v->v = p;
    v->cap = cap;
  }
  v->v[v->count++] = id;
  return true;
}

static int
cmp_i64 (const void *pa, const void *pb)
{
  int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
  return (a > b) - (a < b);
}

static void
sort_unique (opl_idvec *v)
{
  size_t w = 0;
  if (v->count < 2)
    return;
  qsort (v->v, v->count, sizeof *v->v, cmp_i64);
  for (size_t r = 0; r < v->count; r++)
    if (w == 0 || v->v[r] != v->v[w - 1])
      v->v[w++] = v->v[r];
  v->count = w;
}

/* Push the ids of permissions.{view,change}.<who>.  False on allocation
 * failure; *odd set when an entry is not an id. */
static bool
collect_grants (json_object *perms, const char *who, opl_idvec *v, bool *odd)
{
  static const char *const rights[] = {"view", "change"};
  for (size_t r = 0; r < 2; r++) {
    json_object *arr
        = opl_json_get_array (opl_json_get_object (perms, rights[r]), who);
    size_t n = arr ? json_object_array_length (arr) : 0;
    for (size_t i = 0; i < n; i++) {
      int64_t id;
      if (!opl_json_as_int (json_object_array_get_idx (arr, i), &id))
        *odd = true;
      else if (!idvec_push (v, id))
        return false;
    }
  }
  return true;
}

/* How Omni knows a user or group: email, else username / name, else id;
 * appended to out as a JSON string. */
static void
put_principal (opl_buf *out, const opl_lookups *lk, opl_lookup_kind kind,
               int64_t id)
{
  char num[24];
  const char *s;
  const opl_lookup *it = opl_lookup_find (&lk->t[kind], id);
  if (it && it->email)
    s = it->email;
  else if (it && it->name && it->name[0])
    s = it->name;
  else {
    snprintf (num, sizeof num, "#%lld", (long long)id);
    s = num;
  }
  opl_buf_put_json_string (out, s, strlen (s));
}

/* A JSON list of the principals of v. */
static void
put_principals (opl_buf *out, const opl_lookups *lk, opl_lookup_kind kind,
                const opl_idvec *v)
{
  opl_buf_putc (out, '[');
  for (size_t i = 0; i < v->count; i++) {
    if (i)
      opl_buf_putc (out, ',');
    put_principal (out, lk, kind, v->v[i]);
  }
  opl_buf_putc (out, ']');
}

/* Collect the owner and user grants into users, the group grants into
 * groups (sorted, unique); false on allocation failure. */
static bool
grants (json_object *doc, opl_idvec *users, opl_idvec *groups, bool *odd)
{
  json_object *perms = opl_json_get_object (doc, "permissions");
  int64_t owner;

  users->count = groups->count = 0;
  if (opl_json_get_int (doc, "owner", &owner) && !idvec_push (users, owner))
    return false;
  if (!collect_grants (perms, "users", users, odd)
      || !collect_grants (perms, "groups", groups, odd))
    return false;
  sort_unique (users);
  sort_unique (groups);
  return true;
}

char *
opl_map_permissions (const opl_lookups *lk, json_object *doc,
                     opl_perm_mode mode, opl_idvec *scratch, const opl_log *log,
                     unsigned *logged, unsigned flag)
{
  opl_idvec groups = {0};
  opl_buf out;
  json_object *owner = NULL;
  char *text = NULL;
  bool is_public = mode == OPL_PERM_PUBLIC, odd = false;

  opl_buf_init (&out);
  scratch->count = 0;
  if (!is_public) {
    bool has_owner = json_object_object_get_ex (doc, "owner", &owner);
    int64_t id;
    if (has_owner && owner == NULL)
      is_public = true; /* unowned: every Paperless user may see it */
    else if (!grants (doc, scratch, &groups, &odd))
      goto cleanup;
    if (!has_owner || (owner && !opl_json_as_int (owner, &id)))
      odd = true;
    else if (!is_public && opl_json_get_object (doc, "permissions") == NULL)
      odd = true; /* full_perms not honoured: only the owner is known */
  }
  if (odd && !(*logged & flag)) {
    int64_t doc_id = 0;
    *logged |= flag;
    opl_json_get_int (doc, "id", &doc_id);
    opl_logf (log, OMNI_LOG_WARNING,
              "document %lld (and maybe others): owner or permissions missing "
              "or malformed (was full_perms=true honoured?); access is "
              "limited to the users and groups that can be proven (never "
              "public)",
              (long long)doc_id);
  }
  if (is_public) {
    /* Grants add nothing to a public document. */
    scratch->count = 0;
    groups.count = 0;
  }
  opl_buf_puts (&out, is_public ? "{\"public\":true,\"users\":"
                                : "{\"public\":false,\"users\":");
  put_principals (&out, lk, OPL_LK_USERS, scratch);
  opl_buf_puts (&out, ",\"groups\":");
  put_principals (&out, lk, OPL_LK_GROUPS, &groups);
  opl_buf_putc (&out, '}');
  text = opl_buf_steal (&out);

cleanup:
  opl_buf_free (&out);
  free (groups.v);
  return text;
}

/* ---- Unknown references ------------------------------------------------- */

/* How a scan treats an id its table lacks: `unresolved` (per kind, may be
 * NULL) holds the ones a refresh already failed to find; with `record`,
 * the scan adds the rest to it and goes on instead of stopping. */
typedef struct refs_scan {
  const opl_lookups *lk;
  opl_idset *unresolved;
  bool record;
  bool oom;
} refs_scan;

static bool
missing (refs_scan *c, opl_lookup_kind kind, int64_t id)
{
  const opl_lookup_table *t = &c->lk->t[kind];
  if (!t->available || opl_lookup_find (t, id) != NULL)
    return false;
  if (c->unresolved && opl_idset_contains (&c->unresolved[kind], id))
    return false;
  if (c->record) {
    if (!opl_idset_add (&c->unresolved[kind], id))
      c->oom = true;
    return false;
  }
  return true;
}

static bool
missing_ref (refs_scan *c, json_object *doc, const char *key,
             opl_lookup_kind kind)
{
  int64_t id;
  return opl_json_get_int (doc, key, &id) && missing (c, kind, id);
}

/* A tag or any of its ancestors unknown. */
static bool
missing_tag (refs_scan *c, int64_t id)
{
  const opl_lookup_table *t = &c->lk->t[OPL_LK_TAGS];
  if (!t->available)
    return false;
  for (int depth = 0; depth < 16 && id > 0; depth++) {
    const opl_lookup *it = opl_lookup_find (t, id);
    if (it == NULL)
      return missing (c, OPL_LK_TAGS, id);
    id = it->parent;
  }
  return false;
}

/* Any id in arr (or in each element's `key` when key is not NULL). */
static bool
missing_in (refs_scan *c, json_object *arr, const char *key,
            opl_lookup_kind kind)
{
  size_t n = arr ? json_object_array_length (arr) : 0;
  for (size_t i = 0; i < n; i++) {
    json_object *el = json_object_array_get_idx (arr, i);
    int64_t id;
    bool ok = key ? opl_json_get_int (el, key, &id) : opl_json_as_int (el, &id);
    if (!ok)
      continue;
    if (kind == OPL_LK_TAGS ? missing_tag (c, id) : missing (c, kind, id))
      return true;
  }
  return false;
}

static bool
missing_grants (refs_scan *c, json_object *perms)
{
  static const char *const rights[] = {"view", "change"};
  for (size_t r = 0; r < 2; r++) {
    json_object *right = opl_json_get_object (perms, rights[r]);
    if (missing_in (c, opl_json_get_array (right, "users"), NULL, OPL_LK_USERS)
        || missing_in (c, opl_json_get_array (right, "groups"), NULL,
                       OPL_LK_GROUPS))
      return true;
  }
  return false;
}

static bool
scan_refs (refs_scan *c, json_object *doc)
{
  if (c->lk == NULL || doc == NULL
      || !json_object_is_type (doc, json_type_object))
    return false;
  return missing_ref (c, doc, "correspondent", OPL_LK_CORRESPONDENTS)
         || missing_ref (c, doc, "document_type", OPL_LK_DOCUMENT_TYPES)
         || missing_ref (c, doc, "storage_path", OPL_LK_STORAGE_PATHS)
         || missing_ref (c, doc, "owner", OPL_LK_USERS)
         || missing_in (c, opl_json_get_array (doc, "tags"), NULL, OPL_LK_TAGS)
         || missing_in (c, opl_json_get_array (doc, "custom_fields"), "field",
                        OPL_LK_CUSTOM_FIELDS)
         || missing_in (c, opl_json_get_array (doc, "notes"), "user",
                        OPL_LK_USERS)
         || missing_grants (c, opl_json_get_object (doc, "permissions"));
}

bool
opl_map_has_unknown_refs (const opl_lookups *lk, json_object *doc)
{
  refs_scan c = {lk, NULL, false, false};
  return scan_refs (&c, doc);
}

bool
opl_map_has_new_unknown_refs (const opl_lookups *lk, json_object *doc,
                              opl_idset unresolved[OPL_LK_COUNT])
{
  refs_scan c = {lk, unresolved, false, false};
  return scan_refs (&c, doc);
}

bool
opl_map_record_unknown_refs (const opl_lookups *lk, json_object *doc,
                             opl_idset unresolved[OPL_LK_COUNT])
{
  refs_scan c = {lk, unresolved, true, false};
  scan_refs (&c, doc);
  return !c.oom;
}
