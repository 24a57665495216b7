/* map-test.h: helpers shared by the mapping unit tests (fixtures, lookup
 * tables, a log that remembers what it was told). */
#ifndef MAP_TEST_H
#define MAP_TEST_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opl.h"

#ifndef OPL_FIXTURES
#error "OPL_FIXTURES must name the fixtures directory"
#endif

/* Read a fixture file into a malloc'd NUL-terminated buffer. */
static inline char *
mt_read (const char *name, size_t *len)
{
  char path[1024];
  snprintf (path, sizeof path, "%s/%s", OPL_FIXTURES, name);
  FILE *f = fopen (path, "rb");
  ck_assert_msg (f != NULL, "cannot open %s", path);
  ck_assert (fseek (f, 0, SEEK_END) == 0);
  long n = ftell (f);
  ck_assert (n >= 0);
  rewind (f);
  char *buf = malloc ((size_t)n + 1);
  ck_assert_ptr_nonnull (buf);
  ck_assert_uint_eq (fread (buf, 1, (size_t)n, f), (size_t)n);
  buf[n] = '\0';
  fclose (f);
  if (len)
    *len = (size_t)n;
  return buf;
}

/* Parse JSON text with the plugin's own parser; the caller puts it. */
static inline json_object *
mt_parse (const char *text)
{
  char err[256] = "";
  json_object *o = opl_json_parse (text, strlen (text), err, sizeof err);
  ck_assert_msg (o != NULL, "parse: %s", err);
  return o;
}

static inline json_object *
mt_fixture (const char *name)
{
  char *text = mt_read (name, NULL);
  json_object *o = mt_parse (text);
  free (text);
  return o;
}

/* Fill one table from a fixture holding one list page ("results"). */
static inline void
mt_load_table (opl_lookups *lk, opl_lookup_kind kind, const char *name)
{
  char err[256] = "";
  json_object *page = mt_fixture (name);
  json_object *results = opl_json_get_array (page, "results");
  ck_assert_ptr_nonnull (results);
  for (size_t i = 0; i < json_object_array_length (results); i++)
    ck_assert_msg (opl_lookup_table_add (&lk->t[kind], kind,
                                         json_object_array_get_idx (results, i),
                                         err, sizeof err)
                       == OMNI_OK,
                   "%s: %s", name, err);
  opl_lookup_table_finish (&lk->t[kind]);
  json_object_put (page); /* the tables keep what they need */
}

/* Every table, from the fixtures; custom fields from `fields` (the v7+ or
 * the v6 shape). */
static inline void
mt_load_all (opl_lookups *lk, const char *fields)
{
  opl_lookups_init (lk);
  mt_load_table (lk, OPL_LK_TAGS, "tags.json");
  mt_load_table (lk, OPL_LK_CORRESPONDENTS, "correspondents.json");
  mt_load_table (lk, OPL_LK_DOCUMENT_TYPES, "document_types.json");
  mt_load_table (lk, OPL_LK_STORAGE_PATHS, "storage_paths.json");
  mt_load_table (lk, OPL_LK_CUSTOM_FIELDS, fields);
  mt_load_table (lk, OPL_LK_USERS, "users.json");
  mt_load_table (lk, OPL_LK_GROUPS, "groups.json");
}

/* A log that keeps every line, joined by '\n'. */
typedef struct mt_log {
  char text[16384];
  size_t len;
  int count;
  int warnings;
} mt_log;

static inline void
mt_log_fn (void *ud, omni_log_level level, const char *message)
{
  mt_log *l = ud;
  int n = snprintf (l->text + l->len, sizeof l->text - l->len, "%s\n", message);
  if (n > 0 && (size_t)n < sizeof l->text - l->len)
    l->len += (size_t)n;
  l->count++;
  if (level == OMNI_LOG_WARNING)
    l->warnings++;
}

/* How many times `needle` occurs in `hay`. */
static inline int
mt_count (const char *hay, const char *needle)
{
  int n = 0;
  size_t nl = strlen (needle);
  for (const char *p = strstr (hay, needle); p; p = strstr (p + nl, needle))
    n++;
  return n;
}

#endif /* MAP_TEST_H */
