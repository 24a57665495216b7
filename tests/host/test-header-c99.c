/* test-header-c99.c: the public header as strict C99, and the stamp the
 * registration macro writes.  Built with -std=c99 -pedantic -Werror. */
#include "omni-connector.h"

#include <stdio.h>
#include <string.h>

struct omni_instance {
  int unused;
};

static omni_status
t_init (const omni_host_services *host, const omni_init_params *params,
        omni_instance **out)
{
  (void)host;
  (void)params;
  *out = NULL;
  return OMNI_ERR_INTERNAL;
}

static omni_status
t_list (omni_instance *inst, const omni_change_batch **out)
{
  (void)inst;
  *out = NULL;
  return OMNI_DONE;
}

static omni_status
t_fetch (omni_instance *inst, const char *id, const omni_document **out)
{
  (void)inst;
  (void)id;
  *out = NULL;
  return OMNI_ERR_NOT_FOUND;
}

static omni_status
t_checkpoint (omni_instance *inst, const char **out)
{
  (void)inst;
  *out = "";
  return OMNI_OK;
}

static void
t_shutdown (omni_instance *inst)
{
  (void)inst;
}

static struct omni_connector_plugin plugin
    = {0,      0,      0,       "c99",        "1",       "{}",
       t_init, t_list, t_fetch, t_checkpoint, t_shutdown};

OMNI_CONNECTOR_REGISTER (plugin)

int
main (void)
{
  const omni_connector_plugin *d = omni_connector_plugin_entry ();
  omni_connector_entry_fn fn = omni_connector_plugin_entry;

  if (d != &plugin || fn () != d) {
    fprintf (stderr, "entry does not return the registered descriptor\n");
    return 1;
  }
  if (d->struct_size != sizeof (struct omni_connector_plugin)
      || d->abi_major != OMNI_CONNECTOR_ABI_MAJOR
      || d->abi_minor != OMNI_CONNECTOR_ABI_MINOR) {
    fprintf (stderr, "bad stamp: size %u major %u minor %u\n",
             (unsigned)d->struct_size, (unsigned)d->abi_major,
             (unsigned)d->abi_minor);
    return 1;
  }
  /* The entry's name and the string hosts dlsym must agree. */
  if (strcmp (OMNI_CONNECTOR_ENTRY_SYMBOL, "omni_connector_plugin_entry")
      != 0) {
    fprintf (stderr, "OMNI_CONNECTOR_ENTRY_SYMBOL differs from the macro's "
                     "function name\n");
    return 1;
  }
  /* ABI 1.0 appends nothing yet: the minimum is the whole struct. */
  if (OMNI_CONNECTOR_PLUGIN_MIN_SIZE > sizeof (struct omni_connector_plugin)
      || OMNI_CONNECTOR_PLUGIN_MIN_SIZE
             != offsetof (omni_connector_plugin, shutdown) + sizeof (void *)) {
    fprintf (stderr, "OMNI_CONNECTOR_PLUGIN_MIN_SIZE is wrong\n");
    return 1;
  }
  if (OMNI_OK != 0 || OMNI_DONE != 1 || OMNI_ERR_TRANSIENT != -1
      || OMNI_ERR_AUTH != -2 || OMNI_ERR_NOT_FOUND != -3
      || OMNI_ERR_INVALID != -4 || OMNI_ERR_CANCELLED != -5
      || OMNI_ERR_INTERNAL != -6 || OMNI_SYNC_FULL != 0
      || OMNI_SYNC_INCREMENTAL != 1 || OMNI_CHANGE_CREATED != 1
      || OMNI_CHANGE_UPDATED != 2 || OMNI_CHANGE_DELETED != 3) {
    fprintf (stderr, "an ABI constant changed value\n");
    return 1;
  }
  puts ("header OK as C99");
  return 0;
}
