/* opl-titles.c: titles of linked documents, for `documentlink` custom
 * fields ("Invoice 2024-17 (#812)").
 *
 * The mapper sees one document at a time.  Links mostly point at documents
 * of the same or the previous chunk (the sync walks ids in ascending
 * order), so those are resolved for free; the rest cost one request per
 * chunk that has any (id__in, fields=id,title), never one per document.
 * Memory stays bounded: two chunks' titles plus one chunk's misses. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "opl.h"
#include "opl-map-extra.h"

/* Most unresolved ids asked for per chunk (the URL stays short). */
#define MAX_MISSES 200

static int
cmp_entry (const void *a, const void *b)
{
  const opl_title *x = a, *y = b;
  return (x->id > y->id) - (x->id < y->id);
}

static void
table_clear (opl_title_table *t)
{
  for (size_t i = 0; i < t->n; i++)
    free (t->v[i].title);
  t->n = 0;
}

static void
table_free (opl_title_table *t)
{
  table_clear (t);
  free (t->v);
  memset (t, 0, sizeof *t);
}

static bool
table_add (opl_title_table *t, int64_t id, const char *title)
{
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 128;
    opl_title *v = realloc (t->v, cap * sizeof *v);
    if (v == NULL)
      return false;
    t->v = v;
    t->cap = cap;
  }
  char *copy = strdup (title);
  if (copy == NULL)
    return false;
  t->v[t->n].id = id;
  t->v[t->n].title = copy;
  t->n++;
  return true;
}

static const char *
table_get (const opl_title_table *t, int64_t id)
{
  opl_title key = {.id = id};
  const opl_title *hit
      = t->n ? bsearch (&key, t->v, t->n, sizeof *t->v, cmp_entry) : NULL;
  return hit ? hit->title : NULL;
}

/* Titles of a list of documents (a chunk, or the answer for misses). */
static bool
table_fill (opl_title_table *t, json_object *results)
{
  size_t n = json_object_array_length (results);
  for (size_t i = 0; i < n; i++) {
    json_object *d = json_object_array_get_idx (results, i);
    int64_t id;
    const char *title;
    if (opl_json_get_int (d, "id", &id)
        && opl_json_get_string (d, "title", &title, NULL)
        && !table_add (t, id, title))
      return false;
  }
  if (t->n > 1)
    qsort (t->v, t->n, sizeof *t->v, cmp_entry);
  return true;
}

void
opl_titles_free (opl_titles *t)
{
  table_free (&t->current);
  table_free (&t->previous);
  table_free (&t->fetched);
}

const char *
opl_titles_get (void *ud, int64_t id)
{
  const opl_titles *t = ud;
  const char *s = table_get (&t->current, id);
  if (s == NULL)
    s = table_get (&t->previous, id);
  if (s == NULL)
    s = table_get (&t->fetched, id);
  return s;
}

static bool
is_link_field (const opl_lookups *lk, int64_t field)
{
  const opl_lookup *def = opl_lookup_find (&lk->t[OPL_LK_CUSTOM_FIELDS], field);
  return def && def->data_type && strcmp (def->data_type, "documentlink") == 0;
}

omni_status
opl_titles_begin_chunk (opl_titles *t, opl_api *a, const opl_lookups *lk,
                        json_object *results, char *err, size_t errlen)
{
  int64_t miss[MAX_MISSES];
  size_t n_miss = 0;

  /* The chunk before becomes `previous`. */
  table_free (&t->previous);
  t->previous = t->current;
  memset (&t->current, 0, sizeof t->current);
  table_clear (&t->fetched);
  if (!table_fill (&t->current, results))
    return opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");

  size_t n = json_object_array_length (results);
  for (size_t i = 0; i < n && n_miss < MAX_MISSES; i++) {
    json_object *cfs = opl_json_get_array (
        json_object_array_get_idx (results, i), "custom_fields");
    size_t m = cfs ? json_object_array_length (cfs) : 0;
    for (size_t j = 0; j < m && n_miss < MAX_MISSES; j++) {
      json_object *cf = json_object_array_get_idx (cfs, j);
      int64_t field;
      json_object *v = NULL;
      if (!opl_json_get_int (cf, "field", &field) || !is_link_field (lk, field)
          || !json_object_object_get_ex (cf, "value", &v)
          || !json_object_is_type (v, json_type_array))
        continue;
      size_t k = json_object_array_length (v);
      for (size_t x = 0; x < k && n_miss < MAX_MISSES; x++) {
        int64_t id;
        bool dup = false;
        if (!opl_json_as_int (json_object_array_get_idx (v, x), &id) || id < 1
            || opl_titles_get (t, id))
          continue;
        for (size_t y = 0; y < n_miss && !dup; y++)
          dup = miss[y] == id;
        if (!dup)
          miss[n_miss++] = id;
      }
    }
  }
  if (n_miss == 0)
    return OMNI_OK;

  opl_buf q;
  json_object *root = NULL;
  opl_buf_init (&q);
  opl_buf_puts (&q, "documents/?id__in=");
  for (size_t i = 0; i < n_miss; i++)
    opl_buf_printf (&q, "%s%lld", i ? "," : "", (long long)miss[i]);
  opl_buf_printf (&q, "&fields=id,title&ordering=id&page_size=%zu", n_miss);
  if (q.oom) {
    opl_buf_free (&q);
    return opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
  }
  omni_status st = opl_api_get_json (a, q.data, &root, err, errlen);
  opl_buf_free (&q);
  if (st != OMNI_OK)
    return st;
  json_object *list = opl_api_page_results (root, NULL, NULL, err, errlen);
  if (list == NULL)
    st = OMNI_ERR_INVALID;
  else if (!table_fill (&t->fetched, list))
    st = opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
  json_object_put (root);
  return st;
}
