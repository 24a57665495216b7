/* och-load.c: load a connector plugin and validate its descriptor.
 *
 * The order of the checks follows the header's contract: the major version
 * first (another major may lay the struct out differently, so nothing else
 * in it can be trusted), then the size, then the required slots, which are
 * read from our own zero-padded copy so that a descriptor smaller than ours
 * never makes us read past its end.
 */
#include <config.h>

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "och.h"

/* The required slots, by name, for the refusal message. */
static const char *
missing_slot (const omni_connector_plugin *d)
{
  if (d->name == NULL)
    return "name";
  if (d->manifest_json == NULL)
    return "manifest_json";
  if (d->init == NULL)
    return "init";
  if (d->list_changes == NULL)
    return "list_changes";
  if (d->fetch_document == NULL)
    return "fetch_document";
  if (d->checkpoint == NULL)
    return "checkpoint";
  if (d->shutdown == NULL)
    return "shutdown";
  return NULL;
}

int
och_plugin_load (och_plugin *p, const char *path, char *err, size_t errlen)
{
  char *local = NULL;
  const char *open_path = path;
  void *sym;
  omni_connector_entry_fn entry;
  const omni_connector_plugin *d;
  const char *slot;
  size_t n;
  int r = -1;

  memset (p, 0, sizeof *p);
  if (path == NULL || *path == '\0')
    return och_fail (err, errlen, "no plugin given (--plugin PATH)");

  /* dlopen searches the library path for a bare name; we never want a
   * plugin other than the file the operator named. */
  if (strchr (path, '/') == NULL) {
    local = malloc (strlen (path) + 3);
    if (local == NULL)
      return och_fail (err, errlen, "out of memory");
    strcpy (local, "./");
    strcat (local, path);
    open_path = local;
  }

  dlerror ();
  p->dl = dlopen (open_path, RTLD_NOW | RTLD_LOCAL);
  if (p->dl == NULL) {
    const char *e = dlerror ();
    char line[OCH_ERRLEN];
    och_one_line (line, sizeof line, e != NULL ? e : "unknown error");
    och_fail (err, errlen, "cannot load plugin %s: %s", path, line);
    goto cleanup;
  }

  dlerror ();
  sym = dlsym (p->dl, OMNI_CONNECTOR_ENTRY_SYMBOL);
  if (sym == NULL) {
    och_fail (err, errlen,
              "plugin %s refused: no symbol %s (not a connector plugin?)", path,
              OMNI_CONNECTOR_ENTRY_SYMBOL);
    goto cleanup;
  }
  /* POSIX guarantees a data pointer from dlsym can hold a function
   * pointer; memcpy says so without a cast ISO C does not define. */
  memcpy (&entry, &sym, sizeof entry);

  d = entry ();
  if (d == NULL) {
    och_fail (err, errlen,
              "plugin %s refused: its entry returned no descriptor", path);
    goto cleanup;
  }
  if (d->abi_major != OMNI_CONNECTOR_ABI_MAJOR) {
    och_fail (err, errlen,
              "plugin %s refused: built for connector ABI %u.%u, this host "
              "speaks ABI %d.x",
              path, (unsigned)d->abi_major, (unsigned)d->abi_minor,
              OMNI_CONNECTOR_ABI_MAJOR);
    goto cleanup;
  }
  if (d->struct_size < OMNI_CONNECTOR_PLUGIN_MIN_SIZE) {
    och_fail (err, errlen,
              "plugin %s refused: descriptor too small (%u bytes, at least "
              "%zu needed)",
              path, (unsigned)d->struct_size,
              (size_t)OMNI_CONNECTOR_PLUGIN_MIN_SIZE);
    goto cleanup;
  }

  /* Fields a newer minor appended are ignored; fields an older plugin
   * lacks read as zero. */
  p->plugin_size = d->struct_size;
  n = d->struct_size < sizeof p->desc ? d->struct_size : sizeof p->desc;
  memcpy (&p->desc, d, n);

  slot = missing_slot (&p->desc);
  if (slot != NULL) {
    och_fail (err, errlen, "plugin %s refused: required slot '%s' is NULL",
              path, slot);
    goto cleanup;
  }
  r = 0;

cleanup:
  free (local);
  if (r != 0) {
    och_plugin_unload (p);
    memset (p, 0, sizeof *p);
  }
  return r;
}

void
och_plugin_unload (och_plugin *p)
{
  const char *keep = getenv ("OMNI_CONNECTOR_HOST_NO_DLCLOSE");

  if (p->dl != NULL && (keep == NULL || strcmp (keep, "1") != 0))
    dlclose (p->dl);
  p->dl = NULL;
}
