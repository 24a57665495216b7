/* variant.c: plugins a host must refuse (and one it must accept), one per
 * build of this file, chosen by -DVARIANT_<NAME>:
 *
 *   VARIANT_MAJOR   abi_major 99                  -> refused
 *   VARIANT_SLOT    fetch_document NULL           -> refused
 *   VARIANT_SMALL   struct_size below the minimum -> refused
 *   VARIANT_NOSYM   no entry symbol at all        -> refused
 *   VARIANT_NULL    the entry returns NULL        -> refused
 *   VARIANT_FUTURE  a newer minor with appended fields, larger struct_size
 *                   -> accepted; the appended fields are ignored.  Its
 *                   sync lists nothing and completes.
 *
 * The stamps of MAJOR, SMALL and FUTURE are written by hand on purpose:
 * OMNI_CONNECTOR_REGISTER would write the right ones.
 */
#include <config.h>

#include <stddef.h>
#include <stdlib.h>

#include "omni-connector.h"

/* Not every variant uses every operation. */
#define UNUSED __attribute__ ((unused))

struct omni_instance {
  omni_change_batch empty;
};

static UNUSED omni_status
v_init (const omni_host_services *host, const omni_init_params *p,
        omni_instance **out)
{
  (void)host;
  (void)p;
  *out = calloc (1, sizeof **out);
  return *out != NULL ? OMNI_OK : OMNI_ERR_INTERNAL;
}

static UNUSED omni_status
v_list_changes (omni_instance *in, const omni_change_batch **out)
{
  in->empty.struct_size = (uint32_t)sizeof in->empty;
  in->empty.total = 0;
  *out = &in->empty;
  return OMNI_DONE;
}

static UNUSED omni_status
v_fetch_document (omni_instance *in, const char *id, const omni_document **out)
{
  (void)in;
  (void)id;
  *out = NULL;
  return OMNI_ERR_NOT_FOUND;
}

static UNUSED omni_status
v_checkpoint (omni_instance *in, const char **out)
{
  (void)in;
  *out = "{}";
  return OMNI_OK;
}

static UNUSED void
v_shutdown (omni_instance *in)
{
  free (in);
}

#define OPS                                                                    \
  .version = "0", .manifest_json = "{\"name\":\"variant\"}", .init = v_init,   \
  .list_changes = v_list_changes, .checkpoint = v_checkpoint,                  \
  .shutdown = v_shutdown

#if defined(VARIANT_SLOT)
/* Stamped correctly by the macro; only fetch_document is missing. */
static struct omni_connector_plugin plugin = {
    .name = "slot",
    OPS,
};
OMNI_CONNECTOR_REGISTER (plugin)

#elif defined(VARIANT_NOSYM)
/* A shared object with functions but no entry: not a connector. */
const char *not_a_connector (void);
const char *
not_a_connector (void)
{
  return "nope";
}

#else
#if defined(VARIANT_MAJOR)
#define NAME "major"
#define MAJOR 99u
#define SIZE ((uint32_t)sizeof (struct omni_connector_plugin))
#elif defined(VARIANT_SMALL)
#define NAME "small"
#define MAJOR ((uint32_t)OMNI_CONNECTOR_ABI_MAJOR)
#define SIZE ((uint32_t)offsetof (struct omni_connector_plugin, shutdown))
#elif defined(VARIANT_NULL)
#define NAME "null"
#elif defined(VARIANT_FUTURE)
#define NAME "future"
#define MAJOR ((uint32_t)OMNI_CONNECTOR_ABI_MAJOR)
#define SIZE ((uint32_t)sizeof (struct future_plugin))
#endif

/* A descriptor from a later minor: ours plus appended fields. */
struct future_plugin {
  struct omni_connector_plugin base;
  void (*appended_op) (omni_instance *);
  const char *appended_text;
};

static UNUSED struct future_plugin desc = {
    .base = {.name = NAME, OPS, .fetch_document = v_fetch_document},
    .appended_op = NULL,
    .appended_text = "a field this host does not know",
};

const omni_connector_plugin *omni_connector_plugin_entry (void)
    __attribute__ ((visibility ("default")));
const omni_connector_plugin *
omni_connector_plugin_entry (void)
{
#if defined(VARIANT_NULL)
  return NULL;
#else
  desc.base.struct_size = SIZE;
  desc.base.abi_major = MAJOR;
  desc.base.abi_minor = 99;
  return &desc.base;
#endif
}
#endif
