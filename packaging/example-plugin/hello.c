/* hello.c: the smallest useful Omni connector plugin, built out of tree
 * against the installed header (see Makefile).  It serves three fixed
 * documents on every sync and keeps no state between syncs.
 *
 *   make && omni-connector-host manifest --plugin ./hello.so
 */
#include <stdlib.h>
#include <string.h>

#include <omni-connector.h>

static const char *const ids[] = {"hello:1", "hello:2", "hello:3"};
static const char *const texts[] = {"Hello", "Bonjour", "Hallo"};
#define N_DOCS (sizeof texts / sizeof texts[0])

struct omni_instance {
  const omni_host_services *host; /* borrowed until shutdown */
  omni_change changes[N_DOCS];
  omni_change_batch batch;
  omni_document doc;
  int listed;
};

static omni_status
hello_init (const omni_host_services *host, const omni_init_params *params,
            omni_instance **out)
{
  omni_instance *in = calloc (1, sizeof *in);

  (void)params;
  *out = NULL;
  if (in == NULL) {
    host->set_error (host->host_data, OMNI_ERR_INTERNAL, "hello: no memory");
    return OMNI_ERR_INTERNAL;
  }
  in->host = host;
  *out = in;
  return OMNI_OK;
}

static omni_status
hello_list_changes (omni_instance *in, const omni_change_batch **out)
{
  size_t i, n = in->listed ? 0 : N_DOCS;

  for (i = 0; i < n; i++) {
    in->changes[i].kind = OMNI_CHANGE_CREATED;
    in->changes[i].document_id = ids[i];
  }
  in->batch.struct_size = sizeof in->batch;
  in->batch.count = n;
  in->batch.changes = in->changes;
  in->batch.done = N_DOCS;
  in->batch.total = N_DOCS;
  *out = &in->batch;
  in->listed = 1;
  return n > 0 ? OMNI_OK : OMNI_DONE;
}

static omni_status
hello_fetch_document (omni_instance *in, const char *id,
                      const omni_document **out)
{
  size_t i;

  for (i = 0; i < N_DOCS; i++)
    if (strcmp (id, ids[i]) == 0) {
      in->doc.struct_size = sizeof in->doc;
      in->doc.document_id = ids[i];
      in->doc.content = texts[i];
      in->doc.content_len = strlen (texts[i]);
      in->doc.metadata_json = "{\"title\":\"Greeting\"}";
      in->doc.permissions_json = "{\"public\":true}";
      in->doc.attributes_json = "{}";
      *out = &in->doc;
      return OMNI_OK;
    }
  in->host->set_error (in->host->host_data, OMNI_ERR_NOT_FOUND,
                       "hello: no such document");
  return OMNI_ERR_NOT_FOUND;
}

static omni_status
hello_checkpoint (omni_instance *in, const char **out)
{
  (void)in;
  *out = "{}"; /* a static string: valid for as long as the plugin is loaded */
  return OMNI_OK;
}

static void
hello_shutdown (omni_instance *in)
{
  free (in);
}

static struct omni_connector_plugin plugin = {
    .name = "hello",
    .version = "1.0",
    .manifest_json = "{\"name\":\"hello\",\"display_name\":\"Hello\","
                     "\"version\":\"1.0\",\"description\":\"Three greetings\","
                     "\"source_types\":[\"hello\"],\"sync_modes\":[\"full\"],"
                     "\"search_operators\":[]}",
    .init = hello_init,
    .list_changes = hello_list_changes,
    .fetch_document = hello_fetch_document,
    .checkpoint = hello_checkpoint,
    .shutdown = hello_shutdown,
};

OMNI_CONNECTOR_REGISTER (plugin)
