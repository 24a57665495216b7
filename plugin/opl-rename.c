/* opl-rename.c: renamed, added and deleted lookups between runs.
 *
 * Renaming a tag (correspondent, type, path, custom field, select option)
 * or deleting one does not touch any document's `modified` in Paperless-ngx,
 * so an incremental sync that only asks "what changed since" would leave
 * the old name in the index for good.  Each completed run stores a 32-bit
 * fingerprint per lookup object in the checkpoint; the next incremental run
 * compares and queues the documents that reference a changed one, using
 * the server's own filters. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "opl.h"

static uint32_t
fnv1a (uint32_t h, const void *data, size_t len)
{
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 16777619u;
  }
  return h;
}

static uint32_t
fnv_str (uint32_t h, const char *s)
{
  /* Include the terminator so that ("ab","c") and ("a","bc") differ. */
  return s ? fnv1a (h, s, strlen (s) + 1) : fnv1a (h, "", 1);
}

/* Everything of a lookup object that can show in a document. */
static uint32_t
fingerprint (const opl_lookup *l)
{
  uint32_t h = 2166136261u;
  h = fnv_str (h, l->name);
  h = fnv1a (h, &l->parent, sizeof l->parent);
  h = fnv_str (h, l->data_type);
  h = fnv_str (h, l->email);
  if (l->extra)
    h = fnv_str (
        h, json_object_to_json_string_ext (l->extra, JSON_C_TO_STRING_PLAIN));
  return h;
}

/* The arrays are owned by the caller through out[]; clang-tidy 14's
 * analyzer loses track of them across iterations and reports a leak. */
// NOLINTBEGIN(clang-analyzer-unix.Malloc)
bool
opl_rename_fingerprints (const opl_lookups *lk,
                         opl_lookup_hashes out[OPL_LK_COUNT])
{
  for (int k = 0; k < OPL_LK_COUNT; k++) {
    const opl_lookup_table *t = &lk->t[k];
    memset (&out[k], 0, sizeof out[k]);
    if (!t->available)
      continue;
    out[k].present = true;
    if (t->count == 0)
      continue;
    out[k].v = malloc (t->count * sizeof *out[k].v);
    if (out[k].v == NULL) {
      for (int j = 0; j <= k; j++)
        free (out[j].v);
      return false;
    }
    for (size_t i = 0; i < t->count; i++) {
      out[k].v[i].id = t->items[i].id;
      out[k].v[i].hash = fingerprint (&t->items[i]);
    }
    out[k].n = t->count;
  }
  return true;
}
// NOLINTEND(clang-analyzer-unix.Malloc)

/* How to find the documents that reference a lookup id, and what to do
 * when one was deleted (the reference is gone from the documents, so no
 * filter can find them any more). */
struct kind_filter {
  const char *by_id;        /* "<filter>=<ids>" or NULL: not filterable */
  const char *after_delete; /* filter for "had a deleted one", "" = all
                               documents, NULL = nothing to do */
};

static const struct kind_filter filters[OPL_LK_COUNT] = {
    [OPL_LK_TAGS] = {"tags__id__in", ""},
    [OPL_LK_CORRESPONDENTS]
    = {"correspondent__id__in", "correspondent__isnull=1"},
    [OPL_LK_DOCUMENT_TYPES]
    = {"document_type__id__in", "document_type__isnull=1"},
    [OPL_LK_STORAGE_PATHS] = {"storage_path__id__in", "storage_path__isnull=1"},
    [OPL_LK_CUSTOM_FIELDS] = {"custom_fields__id__in", ""},
    [OPL_LK_USERS] = {"owner__id__in", "owner__isnull=1"},
    [OPL_LK_GROUPS] = {NULL, NULL},
};

static bool
queue_id (void *ud, int64_t id, int64_t modified_us)
{
  (void)modified_us;
  return opl_idset_add (ud, id);
}

/* Queue the documents matching filter "<by_id>=<ids...>", 100 ids a
 * request so that URLs stay short. */
static omni_status
queue_by_ids (omni_instance *inst, const char *by_id, const int64_t *ids,
              size_t n, char *err, size_t errlen)
{
  for (size_t at = 0; at < n; at += 100) {
    opl_buf f;
    opl_buf_init (&f);
    opl_buf_printf (&f, "%s=", by_id);
    for (size_t i = at; i < n && i < at + 100; i++)
      opl_buf_printf (&f, "%s%lld", i > at ? "," : "", (long long)ids[i]);
    if (f.oom) {
      opl_buf_free (&f);
      return opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
    }
    omni_status st = opl_api_list_ids (&inst->api, f.data, queue_id,
                                       &inst->cp.queue, err, errlen);
    opl_buf_free (&f);
    if (st != OMNI_OK)
      return st;
  }
  return OMNI_OK;
}

static const opl_lookup_hash *
find_hash (const opl_lookup_hashes *h, int64_t id)
{
  size_t lo = 0, hi = h->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (h->v[mid].id == id)
      return &h->v[mid];
    if (h->v[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

omni_status
opl_rename_queue_affected (omni_instance *inst, char *err, size_t errlen)
{
  opl_lookup_hashes now[OPL_LK_COUNT];
  omni_status st = OMNI_OK;
  int64_t *changed = NULL;

  if (!opl_rename_fingerprints (&inst->lk, now))
    return opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
  for (int k = 0; k < OPL_LK_COUNT && st == OMNI_OK; k++) {
    const opl_lookup_hashes *was = &inst->cp.lookups[k];
    size_t n_changed = 0, n_deleted = 0;
    if (!was->present || !now[k].present)
      continue;
    free (changed);
    changed = malloc ((now[k].n + 1) * sizeof *changed);
    if (changed == NULL) {
      st = opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
      break;
    }
    /* Renamed or new (documents may have shown "#<id>" for it). */
    for (size_t i = 0; i < now[k].n; i++) {
      const opl_lookup_hash *h = find_hash (was, now[k].v[i].id);
      if (h == NULL || h->hash != now[k].v[i].hash)
        changed[n_changed++] = now[k].v[i].id;
    }
    for (size_t i = 0; i < was->n; i++)
      if (find_hash (&now[k], was->v[i].id) == NULL)
        n_deleted++;
    if (n_changed == 0 && n_deleted == 0)
      continue;
    const char *what = opl_lookup_endpoint ((opl_lookup_kind)k);
    opl_logf (&inst->log, OMNI_LOG_INFO,
              "/api/%s: %zu changed or new, %zu deleted since the last sync: "
              "re-delivering the documents that show them",
              what, n_changed, n_deleted);
    if (filters[k].by_id == NULL) {
      opl_logf (&inst->log, OMNI_LOG_WARNING,
                "/api/%s changed, but Paperless-ngx cannot filter documents "
                "by it: run a full sync to refresh document permissions",
                what);
      continue;
    }
    if (n_changed > 0)
      st = queue_by_ids (inst, filters[k].by_id, changed, n_changed, err,
                         errlen);
    if (st == OMNI_OK && n_deleted > 0 && filters[k].after_delete) {
      if (*filters[k].after_delete == '\0')
        opl_logf (&inst->log, OMNI_LOG_INFO,
                  "an item of /api/%s was deleted and its documents cannot "
                  "be found by filter: re-delivering every document",
                  what);
      st = opl_api_list_ids (&inst->api, filters[k].after_delete, queue_id,
                             &inst->cp.queue, err, errlen);
    }
  }
  free (changed);
  for (int k = 0; k < OPL_LK_COUNT; k++)
    free (now[k].v);
  return st;
}
