/* test-header-layout.c: sizes and offsets of the ABI structs as the C
 * compiler lays them out, for test-header-cxx.cc to compare with C++'s. */
#include <config.h>

#include <stddef.h>

#include "omni-connector.h"

size_t och_c_layout (size_t *out, size_t max);

#define L(x) (n < max ? (void)(out[n] = (x)) : (void)0), n++

size_t
och_c_layout (size_t *out, size_t max)
{
  size_t n = 0;

  L (sizeof (omni_connector_plugin));
  L (offsetof (omni_connector_plugin, name));
  L (offsetof (omni_connector_plugin, manifest_json));
  L (offsetof (omni_connector_plugin, init));
  L (offsetof (omni_connector_plugin, shutdown));
  L (OMNI_CONNECTOR_PLUGIN_MIN_SIZE);
  L (sizeof (omni_host_services));
  L (offsetof (omni_host_services, waiting));
  L (sizeof (omni_init_params));
  L (offsetof (omni_init_params, mode));
  L (offsetof (omni_init_params, resume));
  L (sizeof (omni_change));
  L (sizeof (omni_change_batch));
  L (offsetof (omni_change_batch, total));
  L (sizeof (omni_document));
  L (offsetof (omni_document, attributes_json));
  L (sizeof (omni_status));
  L (sizeof (omni_sync_mode));
  return n;
}
