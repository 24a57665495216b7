/* opl-sync.c: the sync engine behind list_changes.
 *
 * A run is a short sequence of steps (see opl_step in opl.h).  Steps that
 * look for work only *list ids* (cheap: a few bytes per document) and put
 * them in the checkpoint's queue; documents are then fetched by id, one
 * chunk per request, in ascending id order.  Because the queue is explicit
 * and lives in the checkpoint, a run resumed from any checkpoint delivers
 * exactly what was not yet handed out, and edits made while it runs cannot
 * shift anything past a page boundary (no page numbers are walked over a
 * changing order).
 *
 *   full:        list every (id, modified)     -> deliver
 *                reconcile: deletions, missing  -> deliver
 *   incremental: renamed lookups -> affected    -> deliver
 *                (id, modified) changed since the watermark minus the
 *                overlap, minus what was just delivered -> deliver
 *                reconcile: deletions, missing  -> deliver
 *
 * The watermark is the highest `modified` the server reported in a
 * listing: the server's clock, never ours. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opl.h"

#define US_PER_S INT64_C (1000000)

static const char *const permission_names[OPL_LK_COUNT] = {
    [OPL_LK_TAGS] = "documents.view_tag",
    [OPL_LK_CORRESPONDENTS] = "documents.view_correspondent",
    [OPL_LK_DOCUMENT_TYPES] = "documents.view_documenttype",
    [OPL_LK_STORAGE_PATHS] = "documents.view_storagepath",
    [OPL_LK_CUSTOM_FIELDS] = "documents.view_customfield",
    [OPL_LK_USERS] = "auth.view_user",
    [OPL_LK_GROUPS] = "auth.view_group",
};

static const char *const consequences[OPL_LK_COUNT] = {
    [OPL_LK_TAGS] = "tags show as #<id>",
    [OPL_LK_CORRESPONDENTS] = "correspondents show as #<id>",
    [OPL_LK_DOCUMENT_TYPES] = "document types show as #<id>",
    [OPL_LK_STORAGE_PATHS] = "storage paths show as #<id>",
    [OPL_LK_CUSTOM_FIELDS] = "custom fields show as \"field <id>\"",
    [OPL_LK_USERS] = "document permissions name users by id only, so Omni "
                     "cannot match them (documents stay private, never public)",
    [OPL_LK_GROUPS] = "document permissions cannot name groups (documents "
                      "shared with a group are not visible to its members)",
};

static bool
stop_requested (const omni_instance *inst)
{
  return inst->host->should_stop
         && inst->host->should_stop (inst->host->host_data);
}

omni_status
opl_sync_load_lookups (omni_instance *inst, char *err, size_t errlen)
{
  for (int k = 0; k < OPL_LK_COUNT; k++) {
    bool forbidden = false;
    omni_status st
        = opl_api_load_lookup (&inst->api, (opl_lookup_kind)k, &inst->lk.t[k],
                               &forbidden, err, errlen);
    if (st != OMNI_OK)
      return st;
    if (forbidden && !(inst->forbidden_warned & (1u << k))) {
      inst->forbidden_warned |= 1u << k;
      opl_logf (&inst->log, OMNI_LOG_WARNING,
                "cannot read /api/%s (HTTP 403): %s; give the token's user "
                "the %s permission",
                opl_lookup_endpoint ((opl_lookup_kind)k), consequences[k],
                permission_names[k]);
    }
  }
  return OMNI_OK;
}

/* How many trashed documents are read, at most, to explain a highest id
 * that went backwards; and how many vanished ids are worth explaining. */
#define TRASH_PAGES 5
#define TRASH_EXPLAINS_AT_MOST 100

/* An opl_id_cb that removes each id from the opl_idset at ud. */
static bool
drop_id (void *ud, int64_t id, int64_t modified_us)
{
  (void)modified_us;
  return opl_idset_remove (ud, id);
}

/* True when every indexed id above max_id (the server's highest now) is in
 * the trash: the newest documents were trashed, which is no sign of a
 * backup restored.  Anything else (more of them than is plausible, a
 * server without a trash, a token that cannot read it) says no. */
static bool
newest_were_trashed (omni_instance *inst, int64_t max_id)
{
  opl_idset above;
  char err[300];
  bool all = false;

  opl_idset_init (&above);
  for (int64_t id = opl_idset_next (&inst->cp.known, max_id); id != 0;
       id = opl_idset_next (&inst->cp.known, id))
    if (above.count >= TRASH_EXPLAINS_AT_MOST || !opl_idset_add (&above, id))
      goto cleanup;
  if (opl_api_trash_ids (&inst->api, TRASH_PAGES, drop_id, &above, err,
                         sizeof err)
      != OMNI_OK) {
    opl_logf (&inst->log, OMNI_LOG_DEBUG, "cannot read the trash: %s", err);
    goto cleanup;
  }
  all = above.count == 0;

cleanup:
  opl_idset_free (&above);
  return all;
}

omni_status
opl_sync_plan (omni_instance *inst, omni_sync_mode asked, bool resume,
               int64_t max_id, char *err, size_t errlen)
{
  opl_checkpoint *cp = &inst->cp;
  omni_sync_mode mode = asked;
  const char *why = NULL;

  if (resume && cp->step != OPL_STEP_DONE && cp->step != OPL_STEP_START) {
    if (cp->mode != asked)
      opl_logf (&inst->log, OMNI_LOG_INFO, "resuming the interrupted %s sync",
                cp->mode == OMNI_SYNC_FULL ? "full" : "incremental");
    mode = cp->mode;
  } else
    resume = false;

  if (mode == OMNI_SYNC_INCREMENTAL && cp->watermark_us == 0)
    why = "no completed sync yet";
  else if (cp->api_version != 0 && cp->api_version != inst->api.api_version)
    why = "the server's API version changed";
  else if (opl_idset_max (&cp->known) > max_id && cp->known.count > 0
           && (mode != OMNI_SYNC_FULL || resume)
           && !newest_were_trashed (inst, max_id))
    why = "the server's highest document id went backwards (restored "
          "from a backup?)";
  else if (cp->known.count > 100
           && (uint64_t)inst->server_count < cp->known.count / 2)
    why = "the server shows far fewer documents than the index holds";

  if (why && (mode != OMNI_SYNC_FULL || resume)) {
    /* The first sync of a source is full by design: no warning for it. */
    opl_logf (&inst->log,
              cp->watermark_us == 0 ? OMNI_LOG_INFO : OMNI_LOG_WARNING,
              "running a full sync: %s", why);
    mode = OMNI_SYNC_FULL;
    resume = false;
  }
  if (!resume) {
    /* An abandoned run may have handed out part of its queue without a
     * checkpoint saying so: count those as possibly indexed, so that the
     * reconciliation removes them if they are gone.  The queue itself is
     * kept: the new run delivers it too.  Some of it only the abandoned
     * run could find (documents showing a renamed tag: its START step
     * already took the new names as the fingerprints), so dropping it
     * would leave them stale for good. */
    for (int64_t id = opl_idset_next (&cp->queue, 0); id != 0;
         id = opl_idset_next (&cp->queue, id))
      if (!opl_idset_add (&cp->known, id))
        return opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
    cp->step = OPL_STEP_START;
    cp->pending_watermark_us = mode == OMNI_SYNC_FULL ? 0 : cp->watermark_us;
    if (mode == OMNI_SYNC_FULL) {
      /* A full sync re-delivers everything: nothing to de-duplicate. */
      cp->n_recent = 0;
    }
  }
  cp->mode = mode;
  cp->api_version = inst->api.api_version;
  inst->mode = mode;
  return OMNI_OK;
}

void
opl_sync_clear_batch (omni_instance *inst)
{
  for (size_t i = 0; i < inst->n_docs; i++)
    opl_doc_clear (&inst->docs[i]);
  inst->n_docs = 0;
  for (size_t i = 0; i < inst->n_changes; i++)
    free (inst->change_ids[i]);
  inst->n_changes = 0;
  opl_doc_clear (&inst->extra_doc);
}

/* Append a change; for DELETED, `doc_id` is copied.  For CREATED/UPDATED
 * the id points into inst->docs (stable: docs is sized before mapping). */
static bool
push_change (omni_instance *inst, omni_change_kind kind, const char *doc_id,
             bool copy)
{
  if (inst->n_changes == inst->cap_changes) {
    size_t cap = inst->cap_changes ? inst->cap_changes * 2 : 128;
    omni_change *c = realloc (inst->changes, cap * sizeof *c);
    if (c == NULL)
      return false;
    inst->changes = c;
    char **ids = realloc (inst->change_ids, cap * sizeof *ids);
    if (ids == NULL)
      return false;
    inst->change_ids = ids;
    inst->cap_changes = cap;
  }
  char *own = NULL;
  if (copy && (own = strdup (doc_id)) == NULL)
    return false;
  inst->change_ids[inst->n_changes] = own;
  inst->changes[inst->n_changes].kind = kind;
  inst->changes[inst->n_changes].document_id = own ? own : doc_id;
  inst->n_changes++;
  return true;
}

static bool
push_deleted (omni_instance *inst, int64_t id)
{
  char ext[300];
  snprintf (ext, sizeof ext, "paperless:%s:%lld", inst->source_id,
            (long long)id);
  return push_change (inst, OMNI_CHANGE_DELETED, ext, true);
}

static omni_status
refresh_lookups (omni_instance *inst, char *err, size_t errlen)
{
  inst->lookup_refreshes++;
  opl_logf (&inst->log, OMNI_LOG_INFO,
            "a document refers to a tag, correspondent, type, path or "
            "field missing from the lists read at the start: reading them "
            "again (ids the token cannot see stay #<id>)");
  return opl_sync_load_lookups (inst, err, errlen);
}

static int
cmp_i64 (const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Give each prefetch worker one of the chunks that follow `last` in the
 * queue, `size` ids each, in the order they will be wanted. */
static void
schedule_ahead (omni_instance *inst, int64_t last, size_t size)
{
  int64_t next[OPL_PREFETCH_MAX][OPL_PREFETCH_IDS]; /* 32 KB */
  opl_chunk chunks[OPL_PREFETCH_MAX];
  unsigned workers = opl_prefetch_workers (inst->prefetch);
  size_t count = 0;
  int64_t id = opl_idset_next (&inst->cp.queue, last);

  if (size > OPL_PREFETCH_IDS)
    size = OPL_PREFETCH_IDS;
  while (count < workers && id != 0) {
    size_t k = 0;
    for (; id != 0 && k < size; id = opl_idset_next (&inst->cp.queue, id))
      next[count][k++] = id;
    chunks[count].ids = next[count];
    chunks[count].n = k;
    count++;
  }
  opl_prefetch_schedule (inst->prefetch, chunks, count);
}

/* Fetch and map the next chunk of the queue into the batch.  The
 * checkpoint (known, queue, recent) is changed only once the whole chunk
 * is mapped, so that a failure leaves it describing the batches handed out
 * before. */
static omni_status
deliver_chunk (omni_instance *inst, char *err, size_t errlen)
{
  opl_checkpoint *cp = &inst->cp;
  int64_t ids[1000];
  bool returned[1000];
  size_t n = 0, first_doc = inst->n_docs, first_change = inst->n_changes;
  json_object *root = NULL, *results = NULL;
  omni_status st;
  int64_t floor_us
      = cp->pending_watermark_us - (int64_t)inst->cfg.overlap_s * US_PER_S;

  if (inst->chunk_size == 0)
    inst->chunk_size = inst->cfg.page_size;
  for (int64_t id = opl_idset_next (&cp->queue, 0);
       id != 0 && n < inst->chunk_size && n < 1000;
       id = opl_idset_next (&cp->queue, id))
    ids[n++] = id;
  memset (returned, 0, sizeof returned);
  opl_response fetched;
  opl_response_init (&fetched);
  if (opl_prefetch_take (inst->prefetch, ids, n, &fetched)) {
    st = opl_api_parse_documents (&inst->api, ids, n, &fetched, &root, &results,
                                  err, errlen);
    opl_response_free (&fetched);
    if (st != OMNI_OK)
      return st;
  } else {
    st = opl_api_fetch_documents (&inst->api, ids, n, &root, &results, err,
                                  errlen);
    if (st == OMNI_ERR_TRANSIENT && n > 1) {
      /* A page of OCR text that keeps timing out or failing may be too
       * heavy for the server: ask for smaller pages from now on. */
      inst->chunk_size = n / 2;
      opl_logf (&inst->log, OMNI_LOG_WARNING,
                "fetching %zu documents at once failed (%s): asking for %u "
                "at a time from now on",
                n, err, inst->chunk_size);
      return OMNI_OK; /* nothing handed out; the caller tries again */
    }
    if (st != OMNI_OK)
      return st;
  }
  /* While this chunk is mapped and ingested, fetch the next ones. */
  if (inst->prefetch && n > 0)
    schedule_ahead (inst, ids[n - 1], n);

  size_t m = json_object_array_length (results);
  if (inst->cap_docs < inst->n_docs + m) {
    size_t cap = inst->n_docs + m;
    opl_doc *d = realloc (inst->docs, cap * sizeof *d);
    if (d == NULL)
      goto oom;
    inst->docs = d;
    inst->cap_docs = cap;
  }
  /* Names created after the lookups were read: reload, a few times at most
   * per run (an id the token cannot see stays unknown for good). */
  if (inst->lookup_refreshes < 3) {
    for (size_t i = 0; i < m; i++)
      if (opl_map_has_new_unknown_refs (&inst->lk,
                                        json_object_array_get_idx (results, i),
                                        inst->unresolved)) {
        st = refresh_lookups (inst, err, errlen);
        if (st != OMNI_OK)
          goto fail;
        /* What the refresh did not find, the token cannot see: it stays
         * #<id> and costs no further refresh. */
        for (size_t j = 0; j < m; j++)
          if (!opl_map_record_unknown_refs (
                  &inst->lk, json_object_array_get_idx (results, j),
                  inst->unresolved))
            goto oom;
        break;
      }
  }

  st = opl_titles_begin_chunk (&inst->titles, &inst->api, &inst->lk, results,
                               err, errlen);
  if (st != OMNI_OK)
    goto fail;

  for (size_t i = 0; i < m; i++) {
    json_object *item = json_object_array_get_idx (results, i);
    opl_doc *doc = &inst->docs[inst->n_docs];
    char why[300];
    int64_t id = 0;
    int64_t *hit = NULL;

    if (opl_json_get_int (item, "id", &id))
      hit = bsearch (&id, ids, n, sizeof *ids, cmp_i64);
    if (hit == NULL) {
      st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "the server answered a request for %zu documents by id "
                     "with document %lld, which was not asked for (it "
                     "ignores id__in: Paperless-ngx 2.0 or newer is needed)",
                     n, (long long)id);
      goto fail;
    }
    returned[hit - ids] = true;
    memset (doc, 0, sizeof *doc);
    st = opl_mapper_map (inst->mapper, &inst->lk, item, doc, why, sizeof why);
    if (st == OMNI_ERR_INTERNAL)
      goto oom;
    if (st != OMNI_OK) {
      /* One bad document must not stop the archive: skip it, say so. */
      opl_logf (&inst->log, OMNI_LOG_WARNING, "skipping document %lld: %s",
                (long long)id, why);
      opl_doc_clear (doc);
      continue;
    }
    inst->n_docs++;
    bool known = opl_idset_contains (&cp->known, id);
    if (!push_change (inst, known ? OMNI_CHANGE_UPDATED : OMNI_CHANGE_CREATED,
                      doc->external_id, false))
      goto oom;
  }
  /* Asked for but not returned: trashed, deleted or hidden since listed.
   * Say so even when the checkpoint does not know the id: a run killed
   * after handing it out but before its checkpoint may have indexed it. */
  for (size_t i = 0; i < n; i++)
    if (!returned[i] && !push_deleted (inst, ids[i]))
      goto oom;

  /* Commit the chunk to the checkpoint. */
  for (size_t i = first_doc; i < inst->n_docs; i++) {
    opl_doc *doc = &inst->docs[i];
    opl_time t;
    if (!opl_idset_add (&cp->known, doc->id))
      goto poison;
    if (doc->modified
        && opl_time_parse (doc->modified, strlen (doc->modified), &t)) {
      int64_t us = opl_time_to_unix_us (&t);
      if (us > floor_us
          && !opl_checkpoint_note_recent (cp, doc->id, us, floor_us))
        goto poison;
    }
  }
  for (size_t i = 0; i < n; i++)
    if ((!returned[i] && !opl_idset_remove (&cp->known, ids[i]))
        || !opl_idset_remove (&cp->queue, ids[i]))
      goto poison;
  json_object_put (root);
  return OMNI_OK;

poison:
  inst->poisoned = true;
oom:
  st = opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
fail:
  /* Drop what this chunk added to the batch. */
  while (inst->n_docs > first_doc)
    opl_doc_clear (&inst->docs[--inst->n_docs]);
  while (inst->n_changes > first_change)
    free (inst->change_ids[--inst->n_changes]);
  json_object_put (root);
  return st;
}

struct listing {
  omni_instance *inst;
  int64_t max_us;
  bool skip_recent;
};

static bool
queue_listed (void *ud, int64_t id, int64_t modified_us)
{
  struct listing *l = ud;
  opl_checkpoint *cp = &l->inst->cp;
  if (modified_us > l->max_us)
    l->max_us = modified_us;
  if (l->skip_recent && opl_checkpoint_is_recent (cp, id, modified_us))
    return true;
  return opl_idset_add (&cp->queue, id);
}

static bool
collect_id (void *ud, int64_t id, int64_t modified_us)
{
  (void)modified_us;
  return opl_idset_add (ud, id);
}

/* Step LOOKUPS -> LISTED: find the documents to deliver. */
static omni_status
step_list (omni_instance *inst, char *err, size_t errlen)
{
  opl_checkpoint *cp = &inst->cp;
  struct listing l = {inst, 0, false};
  int64_t since = 0;
  omni_status st;

  if (inst->mode == OMNI_SYNC_INCREMENTAL) {
    since = cp->watermark_us - (int64_t)inst->cfg.overlap_s * US_PER_S;
    if (since < 1)
      since = 1;
    l.skip_recent = true;
  }
  st = opl_api_list_changed (&inst->api, since, queue_listed, &l, err, errlen);
  if (st != OMNI_OK)
    return st;
  if (l.max_us > cp->pending_watermark_us)
    cp->pending_watermark_us = l.max_us;
  opl_logf (&inst->log, OMNI_LOG_INFO, "%s sync: %llu documents to deliver",
            inst->mode == OMNI_SYNC_FULL ? "full" : "incremental",
            (unsigned long long)cp->queue.count);
  return OMNI_OK;
}

/* Remove from `gone` every id the server still shows when asked by id. */
static omni_status
confirm_gone (omni_instance *inst, opl_idset *gone, char *err, size_t errlen)
{
  size_t n = 0;
  int64_t *ids = malloc ((size_t)gone->count * sizeof *ids);
  omni_status st;

  if (ids == NULL)
    return opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
  for (int64_t id = opl_idset_next (gone, 0); id != 0;
       id = opl_idset_next (gone, id))
    ids[n++] = id;
  st = opl_api_existing_ids (&inst->api, ids, n, drop_id, gone, err, errlen);
  if (st == OMNI_OK && gone->count < n)
    opl_logf (&inst->log, OMNI_LOG_INFO,
              "%llu documents missing from the id listing are still there "
              "(the list changed while it was read)",
              (unsigned long long)(n - gone->count));
  free (ids);
  return st;
}

/* Step -> RECONCILED: every id the server has now against every id the
 * index holds.  Gone ones become deletions; ones the index lacks (a
 * listing page that shifted, a restore) are queued. */
static omni_status
step_reconcile (omni_instance *inst, char *err, size_t errlen)
{
  opl_checkpoint *cp = &inst->cp;
  opl_idset now, gone, missing;
  omni_status st;

  opl_idset_init (&now);
  opl_idset_init (&gone);
  opl_idset_init (&missing);
  st = opl_api_list_ids (&inst->api, "", collect_id, &now, err, errlen);
  if (st != OMNI_OK)
    goto cleanup;
  if (!opl_idset_difference (&gone, &cp->known, &now)
      || !opl_idset_difference (&missing, &now, &cp->known)) {
    st = opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
    goto cleanup;
  }
  if (gone.count > 0) {
    /* The walk is by page number: documents trashed while it ran shift
     * later ones onto pages already read, and those look gone.  Ask for
     * the would-be gone by id; the ones that answer stay. */
    st = confirm_gone (inst, &gone, err, errlen);
    if (st != OMNI_OK)
      goto cleanup;
  }
  if (gone.count > 100 && gone.count > cp->known.count / 2)
    opl_logf (&inst->log, OMNI_LOG_WARNING,
              "%llu of %llu indexed documents are gone from the server",
              (unsigned long long)gone.count,
              (unsigned long long)cp->known.count);
  for (int64_t id = opl_idset_next (&gone, 0); id != 0;
       id = opl_idset_next (&gone, id)) {
    if (!push_deleted (inst, id) || !opl_idset_remove (&cp->known, id)) {
      inst->poisoned = true;
      st = opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
      goto cleanup;
    }
  }
  if (missing.count > 0) {
    opl_logf (&inst->log, OMNI_LOG_INFO,
              "%llu documents on the server are not in the index yet",
              (unsigned long long)missing.count);
    for (int64_t id = opl_idset_next (&missing, 0); id != 0;
         id = opl_idset_next (&missing, id))
      if (!opl_idset_add (&cp->queue, id)) {
        st = opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
        goto cleanup;
      }
  }

cleanup:
  opl_idset_free (&now);
  opl_idset_free (&gone);
  opl_idset_free (&missing);
  return st;
}

/* Step START: the lookups as this run first saw them.  Every document it
 * hands out shows these names or newer ones, so the next run compares
 * against them (resumed attempts keep them; a refresh during the run does
 * not replace them). */
static omni_status
step_start (omni_instance *inst, char *err, size_t errlen)
{
  opl_checkpoint *cp = &inst->cp;
  opl_lookup_hashes fp[OPL_LK_COUNT];
  omni_status st = OMNI_OK;

  if (inst->mode == OMNI_SYNC_INCREMENTAL)
    st = opl_rename_queue_affected (inst, err, errlen);
  if (st != OMNI_OK)
    return st;
  memset (fp, 0, sizeof fp);
  if (!opl_rename_fingerprints (&inst->lk, fp))
    return opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
  for (int k = 0; k < OPL_LK_COUNT; k++) {
    free (cp->lookups[k].v);
    cp->lookups[k] = fp[k];
  }
  return OMNI_OK;
}

static omni_status
step_done (omni_instance *inst, char *err, size_t errlen)
{
  opl_checkpoint *cp = &inst->cp;
  (void)err, (void)errlen;

  if (cp->pending_watermark_us > cp->watermark_us)
    cp->watermark_us = cp->pending_watermark_us;
  cp->step = OPL_STEP_DONE;
  return OMNI_OK;
}

omni_status
opl_sync_next (omni_instance *inst, char *err, size_t errlen)
{
  opl_checkpoint *cp = &inst->cp;
  omni_status st = OMNI_OK;

  opl_sync_clear_batch (inst);
  inst->checkpoint_now = false;
  for (;;) {
    if (stop_requested (inst))
      return opl_fail (err, errlen, OMNI_ERR_CANCELLED,
                       "cancelled by the host");
    if (cp->queue.count > 0) {
      st = deliver_chunk (inst, err, errlen);
      if (st != OMNI_OK || inst->n_changes > 0)
        break;
      continue;
    }
    switch (cp->step) {
      case OPL_STEP_START:
        st = step_start (inst, err, errlen);
        if (st == OMNI_OK)
          cp->step = OPL_STEP_LOOKUPS;
        break;
      case OPL_STEP_LOOKUPS:
        st = step_list (inst, err, errlen);
        if (st == OMNI_OK) {
          cp->step = OPL_STEP_LISTED;
          /* The plan must be durable before anything of it is handed out. */
          inst->checkpoint_now = true;
          return OMNI_OK;
        }
        break;
      case OPL_STEP_LISTED:
        /* Documents edited during the run keep a `modified` above the
         * watermark the listing set: the next run picks them up. */
        cp->step = OPL_STEP_CATCHUP;
        break;
      case OPL_STEP_CATCHUP:
        st = step_reconcile (inst, err, errlen);
        if (st == OMNI_OK) {
          cp->step = OPL_STEP_RECONCILED;
          inst->checkpoint_now = true;
          return OMNI_OK;
        }
        break;
      case OPL_STEP_RECONCILED:
        st = step_done (inst, err, errlen);
        if (st == OMNI_OK)
          return OMNI_DONE;
        break;
      case OPL_STEP_DONE:
        return OMNI_DONE;
    }
    if (st != OMNI_OK)
      break;
    if (inst->n_changes > 0)
      break;
  }
  return st;
}
