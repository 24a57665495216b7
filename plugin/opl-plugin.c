/* opl-plugin.c: the ABI glue.  The descriptor, the five operations, and
 * the instance's lifecycle.  The only exported symbol of the shared
 * object is the entry function OMNI_CONNECTOR_REGISTER defines here. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "opl.h"
#include "opl-map-extra.h"

static void
host_log (void *ud, omni_log_level level, const char *message)
{
  const omni_host_services *host = ud;
  if (host->log)
    host->log (host->host_data, level, message);
}

static omni_status
report (omni_instance *inst, const omni_host_services *host, omni_status st,
        const char *err)
{
  (void)inst;
  if (st < 0 && host->set_error)
    host->set_error (host->host_data, st, err[0] ? err : "unknown error");
  return st;
}

static void
instance_free (omni_instance *inst)
{
  if (inst == NULL)
    return;
  opl_sync_clear_batch (inst);
  free (inst->changes);
  free (inst->change_ids);
  free (inst->docs);
  free (inst->cp_text);
  opl_mapper_free (inst->mapper);
  opl_titles_free (&inst->titles);
  opl_prefetch_free (inst->prefetch);
  opl_lookups_clear (&inst->lk);
  for (int k = 0; k < OPL_LK_COUNT; k++)
    opl_idset_free (&inst->unresolved[k]);
  opl_checkpoint_free (&inst->cp);
  opl_http_free (inst->api.http);
  opl_gate_destroy (&inst->gate);
  opl_config_free (&inst->cfg);
  free (inst->source_id);
  opl_secure_zero (inst, sizeof *inst);
  free (inst);
}

static bool
source_id_ok (const char *s)
{
  if (s == NULL || *s == '\0' || strlen (s) > 200)
    return false;
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == ':')
      return false;
  return true;
}

static int
stop_cb (void *ud)
{
  const omni_host_services *host = ud;
  return host->should_stop ? host->should_stop (host->host_data) : 0;
}

static omni_status
opl_init (const omni_host_services *host, const omni_init_params *params,
          omni_instance **out)
{
  omni_instance *inst = NULL;
  char err[512] = "";
  omni_status st;
  int64_t max_id = 0;

  *out = NULL;
  if (host == NULL || params == NULL)
    return OMNI_ERR_INVALID;
  if (host->struct_size < offsetof (omni_host_services, should_stop)
                              + sizeof host->should_stop
      || params->struct_size
             < offsetof (omni_init_params, resume) + sizeof params->resume) {
    st = opl_fail (err, sizeof err, OMNI_ERR_INVALID,
                   "host structures are too small for ABI 1.0");
    return report (NULL, host, st, err);
  }
  inst = calloc (1, sizeof *inst);
  if (inst == NULL) {
    st = opl_fail (err, sizeof err, OMNI_ERR_INTERNAL, "out of memory");
    return report (NULL, host, st, err);
  }
  inst->host = host;
  inst->log.fn = host_log;
  inst->log.ud = (void *)(uintptr_t)host;
  opl_lookups_init (&inst->lk);
  opl_checkpoint_init (&inst->cp);
  opl_gate_init (&inst->gate, 1);
  inst->batch.struct_size = sizeof inst->batch;
  inst->out_doc.struct_size = sizeof inst->out_doc;

  if (!source_id_ok (params->source_id)) {
    st = opl_fail (err, sizeof err, OMNI_ERR_INVALID,
                   "source_id must be 1 to 200 printable characters without "
                   "':'");
    goto fail;
  }
  inst->source_id = strdup (params->source_id);
  if (inst->source_id == NULL)
    goto oom;
  st = opl_config_parse (&inst->cfg, params->source_config_json,
                         params->credentials_json, &inst->log, err, sizeof err);
  if (st != OMNI_OK)
    goto fail;
  inst->gate.cap = inst->cfg.in_flight; /* no request made yet */

  if (params->checkpoint && *params->checkpoint) {
    char why[400];
    st = opl_checkpoint_decode (&inst->cp, params->checkpoint, why, sizeof why);
    if (st == OMNI_ERR_INTERNAL)
      goto oom;
    if (st != OMNI_OK) {
      if (params->mode != OMNI_SYNC_FULL) {
        st = opl_fail (err, sizeof err, OMNI_ERR_INVALID,
                       "the saved checkpoint cannot be used (%s); run a full "
                       "sync to start afresh",
                       why);
        goto fail;
      }
      opl_logf (&inst->log, OMNI_LOG_WARNING,
                "ignoring an unusable checkpoint (%s): starting afresh", why);
      opl_checkpoint_free (&inst->cp);
      opl_checkpoint_init (&inst->cp);
    }
  }

  inst->api.cfg = &inst->cfg;
  inst->api.log = &inst->log;
  inst->api.host = host;
  inst->api.http = opl_http_new (&inst->cfg, &inst->log, stop_cb,
                                 (void *)(uintptr_t)host, err, sizeof err);
  if (inst->api.http == NULL) {
    st = OMNI_ERR_INTERNAL;
    goto fail;
  }
  opl_http_set_gate (inst->api.http, &inst->gate);
  st = opl_api_probe (&inst->api, &inst->server_count, &max_id, err,
                      sizeof err);
  if (st != OMNI_OK)
    goto fail;
  st = opl_sync_load_lookups (inst, err, sizeof err);
  if (st != OMNI_OK)
    goto fail;
  st = opl_sync_plan (inst, params->mode, params->resume != 0, max_id, err,
                      sizeof err);
  if (st != OMNI_OK)
    goto fail;

  opl_map_config mc = {
      .source_id = inst->source_id,
      .ui_base_url
      = inst->cfg.public_url ? inst->cfg.public_url : inst->cfg.base_url,
      .max_content_chars = inst->cfg.max_content_chars,
      .permissions = inst->cfg.permissions,
      .api_version = inst->api.api_version,
  };
  inst->mapper = opl_mapper_new (&mc, &inst->log);
  if (inst->mapper == NULL)
    goto oom;
  opl_mapper_set_doc_title (inst->mapper, opl_titles_get, &inst->titles);
  if (inst->cfg.in_flight > 1) {
    inst->prefetch
        = opl_prefetch_new (&inst->cfg, inst->api.api_version,
                            inst->cfg.in_flight, &inst->gate, err, sizeof err);
    if (inst->prefetch == NULL) {
      st = OMNI_ERR_INTERNAL;
      goto fail;
    }
  }
  *out = inst;
  return OMNI_OK;

oom:
  st = opl_fail (err, sizeof err, OMNI_ERR_INTERNAL, "out of memory");
fail:
  instance_free (inst);
  return report (NULL, host, st, err);
}

static omni_status
opl_list_changes (omni_instance *inst, const omni_change_batch **out)
{
  char err[512] = "";
  omni_status st;

  *out = NULL;
  if (inst == NULL)
    return OMNI_ERR_INVALID;
  st = opl_sync_next (inst, err, sizeof err);
  if (st < 0)
    return report (inst, inst->host, st, err);
  inst->done += (int64_t)inst->n_changes;
  inst->batch.count = inst->n_changes;
  inst->batch.changes = inst->changes;
  inst->batch.flags = inst->checkpoint_now ? OMNI_BATCH_CHECKPOINT : 0;
  inst->batch.done = inst->done;
  inst->batch.total = inst->done + (int64_t)inst->cp.queue.count;
  if (inst->cp.step < OPL_STEP_LISTED)
    inst->batch.total = inst->mode == OMNI_SYNC_FULL ? inst->server_count : -1;
  *out = &inst->batch;
  return st;
}

static omni_status
fill_out (omni_instance *inst, const opl_doc *d, const omni_document **out)
{
  inst->out_doc.document_id = d->external_id;
  inst->out_doc.content = d->content;
  inst->out_doc.content_len = d->content_len;
  inst->out_doc.metadata_json = d->metadata_json;
  inst->out_doc.permissions_json = d->permissions_json;
  inst->out_doc.attributes_json = d->attributes_json;
  *out = &inst->out_doc;
  return OMNI_OK;
}

/* "paperless:<source_id>:<id>" of this source -> id, or 0. */
static int64_t
parse_external_id (const omni_instance *inst, const char *ext)
{
  size_t sl = strlen (inst->source_id);
  if (strncmp (ext, "paperless:", 10) != 0
      || strncmp (ext + 10, inst->source_id, sl) != 0 || ext[10 + sl] != ':')
    return 0;
  const char *p = ext + 11 + sl;
  int64_t id = 0;
  if (*p == '\0')
    return 0;
  for (; *p; p++) {
    if (*p < '0' || *p > '9' || id > (INT64_MAX - 9) / 10)
      return 0;
    id = id * 10 + (*p - '0');
  }
  return id;
}

static omni_status
opl_fetch_document (omni_instance *inst, const char *document_id,
                    const omni_document **out)
{
  char err[512] = "";
  json_object *root = NULL, *results = NULL;
  omni_status st;

  *out = NULL;
  if (inst == NULL || document_id == NULL)
    return OMNI_ERR_INVALID;
  for (size_t i = 0; i < inst->n_docs; i++)
    if (strcmp (inst->docs[i].external_id, document_id) == 0)
      return fill_out (inst, &inst->docs[i], out);

  /* Not in the batch: one request by id. */
  int64_t id = parse_external_id (inst, document_id);
  if (id == 0) {
    st = opl_fail (err, sizeof err, OMNI_ERR_INVALID,
                   "\"%.100s\" is not a document id of this source",
                   document_id);
    return report (inst, inst->host, st, err);
  }
  opl_doc_clear (&inst->extra_doc);
  st = opl_api_fetch_documents (&inst->api, &id, 1, &root, &results, err,
                                sizeof err);
  if (st != OMNI_OK)
    return report (inst, inst->host, st, err);
  if (json_object_array_length (results) == 0) {
    json_object_put (root);
    st = opl_fail (err, sizeof err, OMNI_ERR_NOT_FOUND,
                   "document %lld is gone or no longer visible", (long long)id);
    return report (inst, inst->host, st, err);
  }
  st = opl_mapper_map (inst->mapper, &inst->lk,
                       json_object_array_get_idx (results, 0), &inst->extra_doc,
                       err, sizeof err);
  json_object_put (root);
  if (st != OMNI_OK)
    return report (inst, inst->host, st, err);
  if (inst->extra_doc.id != id) {
    opl_doc_clear (&inst->extra_doc);
    st = opl_fail (err, sizeof err, OMNI_ERR_INVALID,
                   "asked for document %lld, the server sent another",
                   (long long)id);
    return report (inst, inst->host, st, err);
  }
  return fill_out (inst, &inst->extra_doc, out);
}

static omni_status
opl_checkpoint_op (omni_instance *inst, const char **out)
{
  char err[128] = "";
  *out = NULL;
  if (inst == NULL)
    return OMNI_ERR_INVALID;
  if (inst->poisoned) {
    opl_fail (err, sizeof err, OMNI_ERR_INTERNAL,
              "no checkpoint: memory ran out while recording progress");
    return report (inst, inst->host, OMNI_ERR_INTERNAL, err);
  }
  free (inst->cp_text);
  inst->cp_text = opl_checkpoint_encode (&inst->cp);
  if (inst->cp_text == NULL) {
    opl_fail (err, sizeof err, OMNI_ERR_INTERNAL, "out of memory");
    return report (inst, inst->host, OMNI_ERR_INTERNAL, err);
  }
  *out = inst->cp_text;
  return OMNI_OK;
}

static void
opl_shutdown (omni_instance *inst)
{
  instance_free (inst);
}

static omni_connector_plugin plugin = {
    .name = "paperless_ngx",
    .version = PACKAGE_VERSION,
    .manifest_json = opl_manifest_json,
    .init = opl_init,
    .list_changes = opl_list_changes,
    .fetch_document = opl_fetch_document,
    .checkpoint = opl_checkpoint_op,
    .shutdown = opl_shutdown,
};

OMNI_CONNECTOR_REGISTER (plugin)
