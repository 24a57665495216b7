/* och-replay.c: what an index built from an events file would hold.
 *
 *   och-replay EVENTS            one line per indexed document, sorted:
 *                                "<document_id>\t<first line of content>"
 *   och-replay --counts EVENTS   "created N updated N deleted N lines N"
 *
 * Every line is checked against Omni's event shape (exact key sets, types,
 * objects for metadata/permissions/attributes); the first bad line is
 * reported with its number and the exit status is 1.  Events are applied
 * in order, last one wins, as Omni's indexer does.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "och.h"

static int
has_exact_keys (json_object *o, const char *const *keys, size_t n)
{
  size_t seen = 0;

  json_object_object_foreach (o, key, val)
  {
    size_t i;
    (void)val;
    for (i = 0; i < n; i++)
      if (strcmp (key, keys[i]) == 0)
        break;
    if (i == n)
      return 0;
    seen++;
  }
  return seen == n;
}

static int
is (json_object *o, const char *key, json_type t)
{
  json_object *v;

  return json_object_object_get_ex (o, key, &v) && json_object_is_type (v, t);
}

static int
cmp (const void *a, const void *b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

int
main (int argc, char **argv)
{
  static const char *const upsert_keys[]
      = {"type",     "source_id",   "document_id", "content",
         "metadata", "permissions", "attributes"};
  static const char *const delete_keys[] = {"type", "source_id", "document_id"};
  bool counts = argc == 3 && strcmp (argv[1], "--counts") == 0;
  const char *path = argv[argc - 1];
  char *buf = NULL, *line, *next, err[OCH_ERRLEN];
  size_t len, lineno = 0, n = 0;
  long long created = 0, updated = 0, deleted = 0;
  json_object *index = NULL;
  const char **ids = NULL;
  int rc = 1;

  if (!(argc == 2 || counts)) {
    fprintf (stderr, "usage: och-replay [--counts] EVENTS\n");
    return 2;
  }
  if (och_read_file (path, (size_t)1 << 31, &buf, &len, NULL, err, sizeof err)
      == -1) {
    fprintf (stderr, "och-replay: %s\n", err);
    return 1;
  }
  index = json_object_new_object ();
  for (line = buf; line < buf + len; line = next) {
    json_object *ev, *t, *id, *content;
    const char *type;
    char *nl = memchr (line, '\n', (size_t)(buf + len - line));

    lineno++;
    if (nl == NULL) {
      fprintf (stderr, "och-replay: line %zu: no final newline\n", lineno);
      goto cleanup;
    }
    *nl = '\0';
    next = nl + 1;
    ev = och_json_parse (line, (size_t)(nl - line), err, sizeof err);
    if (ev == NULL || !json_object_is_type (ev, json_type_object)
        || !json_object_object_get_ex (ev, "type", &t)
        || !is (ev, "source_id", json_type_string)
        || !json_object_object_get_ex (ev, "document_id", &id)
        || !json_object_is_type (id, json_type_string)) {
      fprintf (stderr, "och-replay: line %zu: not an event\n", lineno);
      json_object_put (ev);
      goto cleanup;
    }
    type = json_object_get_string (t);
    if (strcmp (type, "document_deleted") == 0
        && has_exact_keys (ev, delete_keys, 3)) {
      json_object_object_del (index, json_object_get_string (id));
      deleted++;
    } else if ((strcmp (type, "document_created") == 0
                || strcmp (type, "document_updated") == 0)
               && has_exact_keys (ev, upsert_keys, 7)
               && json_object_object_get_ex (ev, "content", &content)
               && json_object_is_type (content, json_type_string)
               && is (ev, "metadata", json_type_object)
               && is (ev, "permissions", json_type_object)
               && is (ev, "attributes", json_type_object)) {
      const char *c = json_object_get_string (content);
      size_t first = strcspn (c, "\n");
      json_object_object_add (index, json_object_get_string (id),
                              json_object_new_string_len (c, (int)first));
      if (type[9] == 'c')
        created++;
      else
        updated++;
    } else {
      fprintf (stderr, "och-replay: line %zu: bad %s event\n", lineno, type);
      json_object_put (ev);
      goto cleanup;
    }
    json_object_put (ev);
  }

  if (counts) {
    printf ("created %lld updated %lld deleted %lld lines %zu\n", created,
            updated, deleted, lineno);
    rc = 0;
    goto cleanup;
  }
  ids = calloc ((size_t)json_object_object_length (index) + 1, sizeof *ids);
  if (ids == NULL)
    goto cleanup;
  {
    json_object_object_foreach (index, key, val)
    {
      (void)val;
      ids[n++] = key;
    }
  }
  qsort (ids, n, sizeof *ids, cmp);
  for (size_t i = 0; i < n; i++) {
    json_object *v;
    json_object_object_get_ex (index, ids[i], &v);
    printf ("%s\t%s\n", ids[i], json_object_get_string (v));
  }
  rc = 0;

cleanup:
  free (ids);
  json_object_put (index);
  free (buf);
  return rc;
}
