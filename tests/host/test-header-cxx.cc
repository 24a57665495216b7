// test-header-cxx.cc: the public header as C++11, a plugin registered with
// OMNI_CONNECTOR_REGISTER from C++, and the same struct layout as C.
#include "omni-connector.h"

#include <cstdio>
#include <cstring>

extern "C" size_t och_c_layout (size_t *out, size_t max);

struct omni_instance {
  int unused;
};

static omni_status
t_init (const omni_host_services *, const omni_init_params *,
        omni_instance **out)
{
  *out = nullptr;
  return OMNI_ERR_INTERNAL;
}

static omni_status
t_list (omni_instance *, const omni_change_batch **out)
{
  *out = nullptr;
  return OMNI_DONE;
}

static omni_status
t_fetch (omni_instance *, const char *, const omni_document **out)
{
  *out = nullptr;
  return OMNI_ERR_NOT_FOUND;
}

static omni_status
t_checkpoint (omni_instance *, const char **out)
{
  *out = "";
  return OMNI_OK;
}

static void
t_shutdown (omni_instance *)
{}

static omni_connector_plugin plugin
    = {0,      0,      0,       "cxx",        "1",       "{}",
       t_init, t_list, t_fetch, t_checkpoint, t_shutdown};

OMNI_CONNECTOR_REGISTER (plugin)

#define L(x) (n < 32 ? (void)(cxx[n] = (x)) : (void)0), n++

int
main ()
{
  const omni_connector_plugin *d = omni_connector_plugin_entry ();
  omni_connector_entry_fn fn = &omni_connector_plugin_entry;
  size_t c[32], cxx[32], nc, n = 0;

  if (d != &plugin || fn () != d
      || d->struct_size != sizeof (omni_connector_plugin)
      || d->abi_major != OMNI_CONNECTOR_ABI_MAJOR
      || d->abi_minor != OMNI_CONNECTOR_ABI_MINOR) {
    std::fprintf (stderr, "bad registration from C++\n");
    return 1;
  }

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
  nc = och_c_layout (c, 32);
  if (nc != n) {
    std::fprintf (stderr, "layout lists differ in length\n");
    return 1;
  }
  for (size_t i = 0; i < n; i++)
    if (c[i] != cxx[i]) {
      std::fprintf (stderr, "layout item %zu: C %zu, C++ %zu\n", i, c[i],
                    cxx[i]);
      return 1;
    }
  std::puts ("header OK as C++11; layout matches C");
  return 0;
}
