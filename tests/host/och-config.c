/* och-config.c: the --config file.
 *
 *   {"source_id": "...", "source_config": {...}, "credentials": {...}}
 *
 * The credentials are the one secret the host holds.  They exist in three
 * places while we read the file: the file's bytes, json-c's tree, and the
 * text we keep for init.  The first two are wiped before this file returns;
 * the third is wiped by och_config_wipe_credentials right after init.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "och.h"

#define CONFIG_MAX (1024 * 1024)

/* Overwrite every string value (and the serialisation buffer json-c caches
 * in each object) under obj, in place, before the tree is freed. */
static void
wipe_tree (json_object *obj)
{
  if (obj == NULL)
    return;
  switch (json_object_get_type (obj)) {
    case json_type_string: {
      /* json-c hands out its own buffer as const; it is ours to clear since
       * the tree is about to be freed. */
      char *s = (char *)(uintptr_t)json_object_get_string (obj);
      och_wipe (s, (size_t)json_object_get_string_len (obj));
      break;
    }
    case json_type_object: {
      json_object_object_foreach (obj, key, val)
      {
        (void)key;
        wipe_tree (val);
      }
      break;
    }
    case json_type_array: {
      size_t n = json_object_array_length (obj);
      for (size_t i = 0; i < n; i++)
        wipe_tree (json_object_array_get_idx (obj, i));
      break;
    }
    default:
      break;
  }
}

static int
get_object_text (json_object *root, const char *key, const char *path,
                 char **out, bool secret, char *err, size_t errlen)
{
  json_object *v;
  const char *text;

  if (!json_object_object_get_ex (root, key, &v)
      || !json_object_is_type (v, json_type_object))
    return och_fail (err, errlen, "config %s: \"%s\" must be a JSON object",
                     path, key);
  text = json_object_to_json_string_ext (
      v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  if (text == NULL || (*out = strdup (text)) == NULL)
    return och_fail (err, errlen, "out of memory");
  if (secret)
    och_wipe ((char *)(uintptr_t)text, strlen (text));
  return 0;
}

int
och_config_read (och_config *c, const char *path, char *err, size_t errlen)
{
  char *buf = NULL;
  size_t len = 0;
  unsigned mode = 0;
  json_object *root = NULL, *v, *creds = NULL;
  char jerr[OCH_ERRLEN];
  int r = -1;

  memset (c, 0, sizeof *c);
  if (path == NULL)
    return och_fail (err, errlen, "no configuration given (--config FILE)");
  if (och_read_file (path, CONFIG_MAX, &buf, &len, &mode, err, errlen) == -1)
    goto cleanup;
  if (mode & (S_IRGRP | S_IROTH))
    fprintf (stderr,
             OCH_PROGRAM ": warning: %s is readable by group or others "
                         "(mode %03o) and holds credentials; chmod 600 it\n",
             path, mode & 0777);

  root = och_json_parse (buf, len, jerr, sizeof jerr);
  if (root == NULL) {
    och_fail (err, errlen, "config %s: %s", path, jerr);
    goto cleanup;
  }
  if (!json_object_is_type (root, json_type_object)) {
    och_fail (err, errlen, "config %s: not a JSON object", path);
    goto cleanup;
  }
  if (!json_object_object_get_ex (root, "source_id", &v)
      || !json_object_is_type (v, json_type_string)
      || json_object_get_string_len (v) == 0) {
    och_fail (err, errlen,
              "config %s: \"source_id\" must be a non-empty string", path);
    goto cleanup;
  }
  if ((c->source_id = strdup (json_object_get_string (v))) == NULL) {
    och_fail (err, errlen, "out of memory");
    goto cleanup;
  }
  if (get_object_text (root, "source_config", path, &c->source_config_json,
                       false, err, errlen)
          == -1
      || get_object_text (root, "credentials", path, &c->credentials_json, true,
                          err, errlen)
             == -1)
    goto cleanup;
  r = 0;

cleanup:
  if (root != NULL && json_object_object_get_ex (root, "credentials", &creds))
    wipe_tree (creds);
  json_object_put (root);
  if (buf != NULL) {
    och_wipe (buf, len);
    free (buf);
  }
  if (r != 0)
    och_config_free (c);
  return r;
}

void
och_config_wipe_credentials (och_config *c)
{
  och_wipe_free (c->credentials_json);
  c->credentials_json = NULL;
}

void
och_config_free (och_config *c)
{
  och_config_wipe_credentials (c);
  free (c->source_id);
  free (c->source_config_json);
  memset (c, 0, sizeof *c);
}
