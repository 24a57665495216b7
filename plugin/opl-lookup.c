/* opl-lookup.c: id -> name tables for tags, correspondents, document types,
 * storage paths, custom fields, users and groups.
 *
 * Items arrive one by one from paginated lists, are checked for type (the
 * server is untrusted), have their strings repaired to valid UTF-8, and are
 * sorted by id once at the end so that every lookup is a binary search. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "opl.h"

static const char *const endpoints[OPL_LK_COUNT] = {
    [OPL_LK_TAGS] = "tags/",
    [OPL_LK_CORRESPONDENTS] = "correspondents/",
    [OPL_LK_DOCUMENT_TYPES] = "document_types/",
    [OPL_LK_STORAGE_PATHS] = "storage_paths/",
    [OPL_LK_CUSTOM_FIELDS] = "custom_fields/",
    [OPL_LK_USERS] = "users/",
    [OPL_LK_GROUPS] = "groups/",
};

const char *
opl_lookup_endpoint (opl_lookup_kind kind)
{
  return (unsigned)kind < OPL_LK_COUNT ? endpoints[kind] : NULL;
}

/* A fresh table is empty and marked available: the sync sets `available`
 * to false when the endpoint cannot be read. */
static void
table_init (opl_lookup_table *t)
{
  memset (t, 0, sizeof *t);
  t->available = true;
}

void
opl_lookups_init (opl_lookups *lk)
{
  for (int k = 0; k < OPL_LK_COUNT; k++)
    table_init (&lk->t[k]);
}

static void
item_free (opl_lookup *it)
{
  free (it->name);
  free (it->data_type);
  free (it->email);
  json_object_put (it->extra);
  memset (it, 0, sizeof *it);
}

/* Frees every item and returns the table to its initial state (empty,
 * available). */
void
opl_lookup_table_clear (opl_lookup_table *t)
{
  for (size_t i = 0; i < t->count; i++)
    item_free (&t->items[i]);
  free (t->items);
  table_init (t);
}

void
opl_lookups_clear (opl_lookups *lk)
{
  for (int k = 0; k < OPL_LK_COUNT; k++)
    opl_lookup_table_clear (&lk->t[k]);
}

/* A malloc'd, repaired (valid UTF-8, no NUL) copy of the string at key, or
 * NULL with *ok false on allocation failure.  Absent, non-string: NULL and
 * *ok untouched. */
static char *
dup_repaired (json_object *obj, const char *key, bool *ok)
{
  const char *s;
  size_t len;
  opl_buf b;

  if (!opl_json_get_string (obj, key, &s, &len))
    return NULL;
  opl_buf_init (&b);
  opl_utf8_append_repaired (&b, s, len);
  char *out = opl_buf_steal (&b);
  if (out == NULL)
    *ok = false;
  return out;
}

static bool
grow (opl_lookup_table *t)
{
  if (t->count < t->cap)
    return true;
  size_t cap = t->cap ? t->cap * 2 : 32;
  if (cap > SIZE_MAX / sizeof *t->items)
    return false;
  opl_lookup *p = realloc (t->items, cap * sizeof *p);
  if (p == NULL)
    return false;
  t->items = p;
  t->cap = cap;
  return true;
}

/* Fill `it` from one list element of the given kind. */
static omni_status
parse_item (opl_lookup_kind kind, json_object *item, opl_lookup *it, char *err,
            size_t errlen)
{
  bool ok = true;
  const char *name_key = kind == OPL_LK_USERS ? "username" : "name";

  if (!opl_json_get_int (item, "id", &it->id) || it->id <= 0)
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "%s item without a positive integer id",
                     opl_lookup_endpoint (kind));
  it->name = dup_repaired (item, name_key, &ok);
  if (ok && it->name == NULL)
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "%s item %lld has no string \"%s\"",
                     opl_lookup_endpoint (kind), (long long)it->id, name_key);
  switch (kind) {
    case OPL_LK_TAGS:
      /* null or absent (v1, before 2.19): a root tag. */
      if (!opl_json_get_int (item, "parent", &it->parent) || it->parent < 0)
        it->parent = 0;
      break;
    case OPL_LK_CUSTOM_FIELDS: {
      it->data_type = dup_repaired (item, "data_type", &ok);
      json_object *extra = opl_json_get_object (item, "extra_data");
      if (extra)
        it->extra = json_object_get (extra);
      break;
    }
    case OPL_LK_USERS:
      it->email = dup_repaired (item, "email", &ok);
      if (it->email && it->email[0] == '\0') {
        free (it->email);
        it->email = NULL;
      }
      break;
    default:
      break;
  }
  if (!ok)
    return opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
  return OMNI_OK;
}

omni_status
opl_lookup_table_add (opl_lookup_table *t, opl_lookup_kind kind,
                      json_object *item, char *err, size_t errlen)
{
  opl_lookup it = {0};
  omni_status rc;

  if ((unsigned)kind >= OPL_LK_COUNT)
    return opl_fail (err, errlen, OMNI_ERR_INTERNAL, "bad lookup kind");
  if (item == NULL || !json_object_is_type (item, json_type_object))
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "%s item is not a JSON object",
                     opl_lookup_endpoint (kind));
  rc = parse_item (kind, item, &it, err, errlen);
  if (rc != OMNI_OK)
    goto cleanup;
  if (!grow (t)) {
    rc = opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
    goto cleanup;
  }
  t->items[t->count++] = it;
  return OMNI_OK;

cleanup:
  item_free (&it);
  return rc;
}

/* Stable merge sort by id, so that "the last one wins" among duplicates is
 * well defined.  tmp holds n items. */
static void
merge_sort (opl_lookup *a, opl_lookup *tmp, size_t n)
{
  if (n < 2)
    return;
  size_t h = n / 2;
  merge_sort (a, tmp, h);
  merge_sort (a + h, tmp, n - h);
  if (a[h - 1].id <= a[h].id)
    return; /* already in order: the common case for id-ordered input */
  size_t i = 0, j = h, k = 0;
  while (i < h && j < n)
    tmp[k++] = a[j].id < a[i].id ? a[j++] : a[i++];
  while (i < h)
    tmp[k++] = a[i++];
  memcpy (a, tmp, k * sizeof *a);
}

static int
cmp_id (const void *pa, const void *pb)
{
  const opl_lookup *a = pa, *b = pb;
  return (a->id > b->id) - (a->id < b->id);
}

void
opl_lookup_table_finish (opl_lookup_table *t)
{
  if (t->count < 2)
    return;
  opl_lookup *tmp = malloc (t->count * sizeof *tmp);
  if (tmp) {
    merge_sort (t->items, tmp, t->count);
    free (tmp);
  } else {
    /* Out of memory: still sorted, but which duplicate survives is then
     * arbitrary. */
    qsort (t->items, t->count, sizeof *t->items, cmp_id);
  }
  /* Keep the last of each run of equal ids. */
  size_t w = 0;
  for (size_t r = 0; r < t->count; r++) {
    if (r + 1 < t->count && t->items[r + 1].id == t->items[r].id) {
      item_free (&t->items[r]);
      continue;
    }
    t->items[w++] = t->items[r];
  }
  t->count = w;
}

const opl_lookup *
opl_lookup_find (const opl_lookup_table *t, int64_t id)
{
  size_t lo = 0, hi = t ? t->count : 0;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int64_t v = t->items[mid].id;
    if (v == id)
      return &t->items[mid];
    if (v < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}
