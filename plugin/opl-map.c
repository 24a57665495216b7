/* opl-map.c: one Paperless document (an element of /api/documents/
 * "results") to one Omni document: Markdown content, metadata, attributes
 * and permissions (issue 3).
 *
 * The Markdown puts the title, the metadata bullets and the notes before
 * the OCR text, so that the size cap (which only ever cuts the OCR text)
 * cannot remove them.  Every string from the server is repaired to valid
 * UTF-8 with NUL bytes dropped; json-c escapes control characters when the
 * JSON parts are serialised.  Nothing here fails on odd server data except
 * a document without an id: odd values are shown raw or left out, and
 * logged once per mapper. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opl-map-extra.h"

/* Once-per-mapper warnings about the shape of documents. */
enum {
  ODD_TITLE = 1u << 0,
  ODD_REF = 1u << 1,
  ODD_TAGS = 1u << 2,
  ODD_DATE = 1u << 3,
  ODD_CUSTOM_FIELDS = 1u << 4,
  ODD_NOTE = 1u << 5,
  ODD_NOTE_IDS = 1u << 6,
  ODD_CONTENT = 1u << 7,
  ODD_PERMS = 1u << 8,
  ODD_LONG_TITLE = 1u << 9
};

typedef struct tag_ref {
  int64_t id;
  const char *name; /* borrowed from the table; NULL: use num */
  char num[24];     /* "#<id>" */
} tag_ref;

struct opl_mapper {
  char *source_id;
  char *ui_base_url;
  size_t max_chars;
  opl_perm_mode perm_mode;
  int api_version;
  opl_log log;
  bool has_log;
  unsigned logged; /* ODD_* already reported */
  opl_seen seen;   /* custom-field oddities already reported */
  opl_doc_title_fn doc_title;
  void *doc_title_ud;
  /* Reused across calls so that mapping allocates little. */
  opl_buf md;
  opl_buf val;
  opl_buf key;
  /* The JSON parts of the document being mapped, written as they are
   * found: attributes, extra.custom_fields, extra.tag_paths (its items, at
   * tagp_off), and the names and keys custom fields already took. */
  opl_buf attrs, cf, tagp, cf_names, cf_keys;
  const char **tagp_sorted; /* into tagp */
  size_t tagp_cap;
  /* Metadata values found before the metadata is written; scratch. */
  opl_buf title, author, path, scratch;
  tag_ref *tags;
  size_t tags_cap;
  opl_idvec ids;
};

/* State of one opl_mapper_map call. */
typedef struct map_ctx {
  opl_mapper *m;
  const opl_lookups *lk;
  json_object *doc;
  int64_t id;
  bool oom;
  bool bullets; /* "## Metadata" written */
  /* Parts of metadata, assembled in a fixed key order at the end. */
  bool has_author, has_path;
  char created_at[40], updated_at[40]; /* "" when absent */
  opl_jw attrs, cf;
  size_t n_tag_paths;
  int64_t note_count;
} map_ctx;

#define DEFAULT_MAX_CHARS ((size_t)200000)

const char opl_map_fields[]
    = "id,title,content,tags,correspondent,document_type,storage_path,created,"
      "created_date,modified,added,archive_serial_number,original_file_name,"
      "owner,permissions,notes,custom_fields,page_count,mime_type";

/* ---- Life cycle --------------------------------------------------------- */

static char *
dup_trimmed_url (const char *url)
{
  size_t len = url ? strlen (url) : 0;
  while (len > 0 && url[len - 1] == '/')
    len--;
  char *s = malloc (len + 1);
  if (s) {
    if (len)
      memcpy (s, url, len);
    s[len] = '\0';
  }
  return s;
}

opl_mapper *
opl_mapper_new (const opl_map_config *cfg, const opl_log *log)
{
  opl_mapper *m = calloc (1, sizeof *m);
  if (m == NULL)
    return NULL;
  m->source_id = strdup (cfg && cfg->source_id ? cfg->source_id : "");
  m->ui_base_url = dup_trimmed_url (cfg ? cfg->ui_base_url : NULL);
  if (m->source_id == NULL || m->ui_base_url == NULL) {
    opl_mapper_free (m);
    return NULL;
  }
  m->max_chars = cfg && cfg->max_content_chars ? cfg->max_content_chars
                                               : DEFAULT_MAX_CHARS;
  m->perm_mode = cfg ? cfg->permissions : OPL_PERM_PAPERLESS;
  m->api_version = cfg ? cfg->api_version : 0;
  if (log) {
    m->log = *log;
    m->has_log = true;
  }
  opl_buf_init (&m->md);
  opl_buf_init (&m->val);
  opl_buf_init (&m->key);
  return m;
}

void
opl_mapper_free (opl_mapper *m)
{
  if (m == NULL)
    return;
  free (m->source_id);
  free (m->ui_base_url);
  opl_seen_free (&m->seen);
  opl_buf_free (&m->md);
  opl_buf_free (&m->val);
  opl_buf_free (&m->key);
  opl_buf_free (&m->attrs);
  opl_buf_free (&m->cf);
  opl_buf_free (&m->tagp);
  opl_buf_free (&m->cf_names);
  opl_buf_free (&m->cf_keys);
  opl_buf_free (&m->title);
  opl_buf_free (&m->author);
  opl_buf_free (&m->path);
  opl_buf_free (&m->scratch);
  free (m->tagp_sorted);
  free (m->tags);
  free (m->ids.v);
  free (m);
}

void
opl_mapper_set_doc_title (opl_mapper *m, opl_doc_title_fn fn, void *ud)
{
  m->doc_title = fn;
  m->doc_title_ud = fn ? ud : NULL;
}

void
opl_doc_clear (opl_doc *d)
{
  if (d == NULL)
    return;
  free (d->external_id);
  free (d->content);
  free (d->metadata_json);
  free (d->permissions_json);
  free (d->attributes_json);
  free (d->modified);
  memset (d, 0, sizeof *d);
}

/* ---- Small helpers ------------------------------------------------------ */

static const opl_log *
mlog (const opl_mapper *m)
{
  return m->has_log ? &m->log : NULL;
}

/* Warn once per mapper for each kind of oddity. */
static void odd (map_ctx *c, unsigned what, const char *fmt, ...)
    OPL_PRINTF (3, 4);

static void
odd (map_ctx *c, unsigned what, const char *fmt, ...)
{
  char line[512];
  va_list ap;

  if (c->m->logged & what)
    return;
  c->m->logged |= what;
  va_start (ap, fmt);
  vsnprintf (line, sizeof line, fmt, ap);
  va_end (ap);
  opl_logf (mlog (c->m), OMNI_LOG_WARNING, "%s", line);
}

/* A string member of the attributes. */
static void
attr_add (map_ctx *c, const char *key, const char *s, size_t len)
{
  opl_jw_str (&c->attrs, key, s, len);
}

/* Copy len bytes into a metadata buffer. */
static void
keep (opl_buf *b, const char *s, size_t len)
{
  opl_buf_reset (b);
  opl_buf_append (b, s, len);
}

/* Repair the string at key into m->val.  False when absent, not a string,
 * or empty after repair. */
static bool
doc_string (map_ctx *c, const char *key)
{
  const char *s;
  size_t len;
  opl_buf_reset (&c->m->val);
  if (!opl_json_get_string (c->doc, key, &s, &len))
    return false;
  opl_utf8_append_repaired (&c->m->val, s, len);
  return c->m->val.len > 0;
}

/* Append text on one line: CR and LF become spaces. */
static void
md_inline (opl_buf *md, const char *s, size_t len)
{
  size_t run = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] != '\n' && s[i] != '\r')
      continue;
    opl_buf_append (md, s + run, i - run);
    opl_buf_putc (md, ' ');
    run = i + 1;
  }
  opl_buf_append (md, s + run, len - run);
}

/* Append text whose continuation lines are indented, so that a multi-line
 * value stays inside its list item. */
static void
md_indented (opl_buf *md, const char *s, size_t len, const char *indent)
{
  size_t run = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] != '\n')
      continue;
    opl_buf_append (md, s + run, i + 1 - run);
    opl_buf_puts (md, indent);
    run = i + 1;
  }
  opl_buf_append (md, s + run, len - run);
}

static void
md_bullet (map_ctx *c, const char *label, const char *s, size_t len)
{
  opl_buf *md = &c->m->md;
  if (!c->bullets) {
    opl_buf_puts (md, "## Metadata\n\n");
    c->bullets = true;
  }
  opl_buf_puts (md, "- **");
  opl_buf_puts (md, label);
  opl_buf_puts (md, ":**");
  if (len) {
    opl_buf_putc (md, ' ');
    md_inline (md, s, len);
  }
  opl_buf_putc (md, '\n');
}

/* Name of lookup `id` of `kind`, or "#<id>" written to num. */
static const char *
ref_name (const map_ctx *c, opl_lookup_kind kind, int64_t id, char num[24])
{
  const opl_lookup *it = c->lk ? opl_lookup_find (&c->lk->t[kind], id) : NULL;
  if (it && it->name)
    return it->name;
  snprintf (num, 24, "#%lld", (long long)id);
  return num;
}

/* The id at key: true for an integer; null or absent: false silently;
 * anything else: false with a warning. */
static bool
doc_ref (map_ctx *c, const char *key, int64_t *id)
{
  json_object *v = NULL;
  if (opl_json_get_int (c->doc, key, id))
    return true;
  if (json_object_object_get_ex (c->doc, key, &v) && v != NULL)
    odd (c, ODD_REF,
         "\"%s\" is not an id (document %lld and maybe others); "
         "left out",
         key, (long long)c->id);
  return false;
}

/* ---- Title, lookups, dates ---------------------------------------------- */

/* Longest title kept, in characters. */
#define OPL_MAX_TITLE_CHARS 1000

static void
map_title (map_ctx *c)
{
  opl_mapper *m = c->m;
  json_object *v = NULL;

  if (!doc_string (c, "title")) {
    if (json_object_object_get_ex (c->doc, "title", &v) && v != NULL
        && !json_object_is_type (v, json_type_string))
      odd (c, ODD_TITLE,
           "\"%s\" is not a string (document %lld and maybe "
           "others)",
           "title", (long long)c->id);
    /* An empty title is allowed by Paperless: name the document anyway. */
    if (!doc_string (c, "original_file_name")) {
      opl_buf_reset (&m->val);
      opl_buf_printf (&m->val, "Document %lld", (long long)c->id);
    }
  }
  /* Paperless-ngx keeps titles to 128 characters; anything far longer is
   * a broken or hostile server, and would be copied twice per event. */
  if (m->val.len > OPL_MAX_TITLE_CHARS
      && opl_utf8_count (m->val.data, m->val.len) > OPL_MAX_TITLE_CHARS) {
    m->val.len
        = opl_utf8_prefix_bytes (m->val.data, m->val.len, OPL_MAX_TITLE_CHARS);
    m->val.data[m->val.len] = '\0';
    opl_buf_puts (&m->val, "\xE2\x80\xA6");
    odd (c, ODD_LONG_TITLE,
         "title of document %lld (and maybe others) is longer than %d "
         "characters: cut",
         (long long)c->id, OPL_MAX_TITLE_CHARS);
  }
  opl_buf_puts (&m->md, "# ");
  md_inline (&m->md, m->val.data, m->val.len);
  opl_buf_puts (&m->md, "\n\n");
  keep (&m->title, m->val.data ? m->val.data : "", m->val.len);
}

/* A lookup reference: a bullet, an attribute, and optionally metadata. */
static void
map_ref (map_ctx *c, const char *key, opl_lookup_kind kind, const char *label,
         opl_buf *meta, bool *has_meta)
{
  int64_t id;
  char num[24];

  if (!doc_ref (c, key, &id))
    return;
  const char *name = ref_name (c, kind, id, num);
  size_t len = strlen (name);
  md_bullet (c, label, name, len);
  attr_add (c, key, name, len);
  if (meta) {
    keep (meta, name, len);
    *has_meta = true;
  }
}

static int
cmp_tag (const void *pa, const void *pb)
{
  const tag_ref *a = pa, *b = pb;
  int r = strcmp (a->name ? a->name : a->num, b->name ? b->name : b->num);
  if (r != 0)
    return r;
  return (a->id > b->id) - (a->id < b->id);
}

/* "Parent/Child": names from the root down; an ancestor the token cannot
 * see is "#<id>".  Depth is bounded (Paperless allows 5) against loops. */
static void
tag_path (map_ctx *c, const tag_ref *t, opl_buf *out)
{
  enum { MAX_DEPTH = 16 };
  const char *chain[MAX_DEPTH];
  char nums[MAX_DEPTH][24];
  int n = 0;
  const opl_lookup_table *tab = &c->lk->t[OPL_LK_TAGS];
  const opl_lookup *it = opl_lookup_find (tab, t->id);

  chain[n++] = t->name ? t->name : t->num;
  for (int64_t p = it ? it->parent : 0; p > 0 && n < MAX_DEPTH;) {
    const opl_lookup *parent = opl_lookup_find (tab, p);
    if (parent == NULL) {
      snprintf (nums[n], sizeof nums[n], "#%lld", (long long)p);
      chain[n] = nums[n];
      n++;
      break;
    }
    chain[n++] = parent->name;
    p = parent->parent;
  }
  while (n-- > 0) {
    opl_buf_puts (out, chain[n]);
    if (n)
      opl_buf_putc (out, '/');
  }
}

static int
cmp_str (const void *pa, const void *pb)
{
  const char *const *a = pa, *const *b = pb;
  return strcmp (*a, *b);
}

static bool
grow_tags (opl_mapper *m, size_t n)
{
  if (n <= m->tags_cap)
    return true;
  tag_ref *p = realloc (m->tags, n * sizeof *p);
  if (p == NULL)
    return false;
  m->tags = p;
  m->tags_cap = n;
  return true;
}

static void
map_tags (map_ctx *c)
{
  opl_mapper *m = c->m;
  json_object *arr = opl_json_get_array (c->doc, "tags");
  size_t n = 0, total = arr ? json_object_array_length (arr) : 0;

  if (arr == NULL && !opl_json_is_null (c->doc, "tags")
      && json_object_object_get_ex (c->doc, "tags", NULL))
    odd (c, ODD_TAGS,
         "\"%s\" is not a list (document %lld and maybe "
         "others)",
         "tags", (long long)c->id);
  if (total == 0)
    return;
  if (!grow_tags (m, total)) {
    c->oom = true;
    return;
  }
  for (size_t i = 0; i < total; i++) {
    tag_ref *t = &m->tags[n];
    if (!opl_json_as_int (json_object_array_get_idx (arr, i), &t->id)) {
      odd (c, ODD_TAGS,
           "a \"%s\" entry is not an id (document %lld and "
           "maybe others); left out",
           "tags", (long long)c->id);
      continue;
    }
    const opl_lookup *it = opl_lookup_find (&c->lk->t[OPL_LK_TAGS], t->id);
    t->name = it ? it->name : NULL;
    snprintf (t->num, sizeof t->num, "#%lld", (long long)t->id);
    n++;
  }
  if (n == 0)
    return;
  qsort (m->tags, n, sizeof *m->tags, cmp_tag);
  if (m->tagp_cap < n) {
    const char **p = realloc (m->tagp_sorted, n * sizeof *p);
    if (p == NULL) {
      c->oom = true;
      return;
    }
    m->tagp_sorted = p;
    m->tagp_cap = n;
  }
  opl_buf_reset (&m->tagp);
  opl_buf_reset (&m->val);
  for (size_t i = 0; i < n; i++) {
    const tag_ref *t = &m->tags[i];
    if (i > 0 && t->id == m->tags[i - 1].id)
      continue; /* the same tag listed twice */
    if (m->val.len)
      opl_buf_puts (&m->val, ", ");
    opl_buf_puts (&m->val, t->name ? t->name : t->num);
    /* The paths, NUL-separated, then sorted through pointers. */
    tag_path (c, t, &m->tagp);
    opl_buf_append (&m->tagp, "", 1);
    c->n_tag_paths++;
  }
  if (m->tagp.oom) {
    c->oom = true;
    c->n_tag_paths = 0;
    return;
  }
  for (size_t i = 0, at = 0; i < c->n_tag_paths; i++) {
    m->tagp_sorted[i] = m->tagp.data + at;
    at += strlen (m->tagp.data + at) + 1;
  }
  qsort (m->tagp_sorted, c->n_tag_paths, sizeof *m->tagp_sorted, cmp_str);
  md_bullet (c, "Tags", m->val.data, m->val.len);
  attr_add (c, "tags", m->val.data, m->val.len);
}

/* Parse the date at key; false (with a warning when present but unusable)
 * otherwise. */
static bool
doc_time (map_ctx *c, const char *key, opl_time *t)
{
  const char *s;
  size_t len;
  json_object *v = NULL;

  if (opl_json_get_string (c->doc, key, &s, &len) && opl_time_parse (s, len, t))
    return true;
  if (json_object_object_get_ex (c->doc, key, &v) && v != NULL)
    odd (c, ODD_DATE,
         "\"%s\" is not a date this plugin can read (document "
         "%lld and maybe others); left out",
         key, (long long)c->id);
  return false;
}

static void
map_dates (map_ctx *c, opl_doc *out)
{
  opl_time t;
  char buf[40];

  /* created_date (deprecated) only when created is missing or odd. */
  if (doc_time (c, "created", &t) || doc_time (c, "created_date", &t)) {
    opl_time_format_date (&t, buf, sizeof buf);
    md_bullet (c, "Created", buf, strlen (buf));
    opl_time_format_rfc3339 (&t, c->created_at, sizeof c->created_at);
  }
  if (doc_time (c, "added", &t)) {
    opl_time_format_date (&t, buf, sizeof buf);
    md_bullet (c, "Added", buf, strlen (buf));
  }
  if (doc_time (c, "modified", &t)) {
    const char *s;
    size_t len;
    opl_time_format_minute (&t, buf, sizeof buf);
    md_bullet (c, "Modified", buf, strlen (buf));
    opl_time_format_rfc3339 (&t, c->updated_at, sizeof c->updated_at);
    /* Verbatim for the sync's watermark; it parsed, so it is plain ASCII. */
    opl_json_get_string (c->doc, "modified", &s, &len);
    out->modified = strndup (s, len);
    if (out->modified == NULL)
      c->oom = true;
  }
}

static void
map_file_fields (map_ctx *c)
{
  opl_mapper *m = c->m;
  int64_t asn;
  char num[24];

  if (doc_string (c, "original_file_name")) {
    md_bullet (c, "Original File", m->val.data, m->val.len);
    attr_add (c, "original_file_name", m->val.data, m->val.len);
  }
  map_ref (c, "storage_path", OPL_LK_STORAGE_PATHS, "Storage Path", &m->path,
           &c->has_path);
  if (opl_json_get_int (c->doc, "archive_serial_number", &asn) && asn >= 0) {
    snprintf (num, sizeof num, "%lld", (long long)asn);
    md_bullet (c, "Archive Serial Number", num, strlen (num));
    attr_add (c, "archive_serial_number", num, strlen (num));
  }
}

/* ---- Custom fields ------------------------------------------------------ */

/* Whether `name` is among the NUL-separated names in `list`. */
static bool
taken (const opl_buf *list, const char *name)
{
  for (size_t at = 0; at < list->len; at += strlen (list->data + at) + 1)
    if (strcmp (list->data + at, name) == 0)
      return true;
  return false;
}

static void
take (opl_buf *list, const opl_buf *name)
{
  opl_buf_append (list, name->data ? name->data : "", name->len);
  opl_buf_append (list, "", 1);
}

static void
map_custom_fields (map_ctx *c)
{
  opl_mapper *m = c->m;
  json_object *arr = opl_json_get_array (c->doc, "custom_fields");
  size_t n = arr ? json_object_array_length (arr) : 0;
  bool heading = false;
  opl_field_env env = {
      .log = mlog (m),
      .seen = &m->seen,
      .doc_id = c->id,
      .doc_title = m->doc_title,
      .doc_title_ud = m->doc_title_ud,
  };

  for (size_t i = 0; i < n; i++) {
    json_object *entry = json_object_array_get_idx (arr, i), *value = NULL;
    int64_t fid;
    char fallback[40];

    if (!opl_json_get_int (entry, "field", &fid)) {
      odd (c, ODD_CUSTOM_FIELDS,
           "a \"%s\" entry has no field id (document "
           "%lld and maybe others); left out",
           "custom_fields", (long long)c->id);
      continue;
    }
    json_object_object_get_ex (entry, "value", &value);
    const opl_lookup *def
        = opl_lookup_find (&c->lk->t[OPL_LK_CUSTOM_FIELDS], fid);
    opl_buf_reset (&m->val);
    if (!opl_field_format (&env, fid, def, value, &m->val))
      continue; /* no value: not shown */
    const char *name = def ? def->name : NULL;
    if (name == NULL) {
      snprintf (fallback, sizeof fallback, "field %lld", (long long)fid);
      name = fallback;
    }
    if (!heading) {
      md_bullet (c, "Custom Fields", "", 0);
      heading = true;
    }
    opl_buf_puts (&m->md, "  - ");
    md_inline (&m->md, name, strlen (name));
    opl_buf_puts (&m->md, ": ");
    md_indented (&m->md, m->val.data, m->val.len, "    ");
    opl_buf_putc (&m->md, '\n');
    /* Two fields may show the same name (a field called "field 7" and an
     * unknown field 7) or the same attribute key ("Due date", "Due-Date"):
     * the later one gets its id added instead of replacing the other. */
    opl_buf_reset (&m->key);
    opl_buf_puts (&m->key, name);
    if (taken (&m->cf_names, m->key.data))
      opl_buf_printf (&m->key, " (#%lld)", (long long)fid);
    take (&m->cf_names, &m->key);
    opl_jw_str (&c->cf, m->key.data, m->val.data, m->val.len);
    opl_buf_reset (&m->key);
    opl_field_attr_key (&m->key, def ? def->name : NULL, fid);
    if (taken (&m->cf_keys, m->key.data))
      opl_buf_printf (&m->key, "_%lld", (long long)fid);
    take (&m->cf_keys, &m->key);
    if (m->key.oom)
      c->oom = true;
    else
      attr_add (c, m->key.data, m->val.data, m->val.len);
  }
}

/* ---- Notes -------------------------------------------------------------- */

/* Author of a note: the embedded user object (API >= 8), a user id (older)
 * resolved through /api/users/, or "unknown" (author deleted). */
static const char *
note_author (map_ctx *c, json_object *note, char num[24])
{
  json_object *user = NULL;
  const char *s;
  int64_t uid;

  if (!json_object_object_get_ex (note, "user", &user) || user == NULL)
    return "unknown";
  if (opl_json_as_int (user, &uid))
    return ref_name (c, OPL_LK_USERS, uid, num);
  if (opl_json_get_string (user, "username", &s, NULL) && s[0])
    return s;
  if (opl_json_get_int (user, "id", &uid))
    return ref_name (c, OPL_LK_USERS, uid, num);
  odd (c, ODD_NOTE,
       "a note's \"%s\" has an unknown shape (document %lld and "
       "maybe others)",
       "user", (long long)c->id);
  return "unknown";
}

static void
map_note (map_ctx *c, json_object *note)
{
  opl_mapper *m = c->m;
  json_object *deleted = NULL;
  const char *s;
  size_t len;
  char num[24], when[40];
  opl_time t;

  /* 2.13.1-2.14 dumps carry deleted_at; a deleted note never shows. */
  if (json_object_object_get_ex (note, "deleted_at", &deleted) && deleted)
    return;
  c->note_count++;
  if (c->note_count == 1)
    opl_buf_puts (&m->md, "## Notes\n\n");
  opl_buf_puts (&m->md, "### ");
  const char *author = note_author (c, note, num);
  opl_buf_reset (&m->val);
  opl_utf8_append_repaired (&m->val, author, strlen (author));
  md_inline (&m->md, m->val.data, m->val.len);
  if (opl_json_get_string (note, "created", &s, &len)
      && opl_time_parse (s, len, &t)) {
    opl_time_format_minute (&t, when, sizeof when);
    opl_buf_printf (&m->md, " \xE2\x80\x94 %s", when);
  }
  opl_buf_puts (&m->md, "\n\n");
  opl_buf_reset (&m->val);
  if (opl_json_get_string (note, "note", &s, &len))
    opl_utf8_append_repaired (&m->val, s, len);
  /* Trailing blank lines would break the section's spacing. */
  while (m->val.len > 0 && strchr (" \t\r\n", m->val.data[m->val.len - 1]))
    m->val.len--;
  if (m->val.len) {
    opl_buf_append (&m->md, m->val.data, m->val.len);
    opl_buf_puts (&m->md, "\n\n");
  }
}

static void
map_notes (map_ctx *c)
{
  json_object *arr = opl_json_get_array (c->doc, "notes");
  size_t n = arr ? json_object_array_length (arr) : 0;

  for (size_t i = 0; i < n; i++) {
    json_object *note = json_object_array_get_idx (arr, i);
    int64_t nid;
    if (json_object_is_type (note, json_type_object)) {
      map_note (c, note);
    } else if (opl_json_as_int (note, &nid)) {
      /* 2.15 development builds: note ids only, no text to index. */
      c->note_count++;
      odd (c, ODD_NOTE_IDS,
           "the server sends \"%s\" as ids only (a 2.15 "
           "development build?): note text is not indexed (document %lld "
           "and others)",
           "notes", (long long)c->id);
    } else {
      odd (c, ODD_NOTE,
           "a \"%s\" entry has an unknown shape (document %lld "
           "and maybe others); left out",
           "notes", (long long)c->id);
    }
  }
}

/* ---- OCR text and the cap ----------------------------------------------- */

static bool
all_space (const char *s, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (!strchr (" \t\r\n\f\v", s[i]))
      return false;
  return true;
}

static void
map_content (map_ctx *c)
{
  opl_mapper *m = c->m;
  opl_buf *md = &m->md;
  const char *s;
  size_t len, mark = md->len;

  if (!opl_json_get_string (c->doc, "content", &s, &len)) {
    json_object *v = NULL;
    if (json_object_object_get_ex (c->doc, "content", &v) && v != NULL)
      odd (c, ODD_CONTENT,
           "\"%s\" is not a string (document %lld and maybe "
           "others); left out",
           "content", (long long)c->id);
    return;
  }
  opl_buf_puts (md, "## Content\n\n");
  size_t start = md->len;
  size_t chars = opl_utf8_append_repaired (md, s, len);
  if (md->oom)
    return;
  if (all_space (md->data + start, md->len - start)) {
    md->len = mark;
    md->data[mark] = '\0';
    return;
  }
  if (chars > m->max_chars) {
    md->len = start
              + opl_utf8_prefix_bytes (md->data + start, md->len - start,
                                       m->max_chars);
    md->data[md->len] = '\0';
    opl_buf_printf (md,
                    "\n\n*[Content truncated: the first %zu of %zu "
                    "characters are shown.]*",
                    m->max_chars, chars);
  }
  if (md->data[md->len - 1] != '\n')
    opl_buf_putc (md, '\n');
}

/* ---- Assembly ----------------------------------------------------------- */

/* The metadata object, in m->key. */
static void
build_metadata (map_ctx *c, size_t content_len)
{
  opl_mapper *m = c->m;
  opl_buf *out = &m->key;
  opl_jw meta, extra;
  const char *s;
  size_t len;
  int64_t n;
  char buf[40];

  opl_buf_reset (out);
  opl_jw_open (&meta, out);
  opl_jw_str (&meta, "title", m->title.data, m->title.len);
  if (c->has_author)
    opl_jw_str (&meta, "author", m->author.data, m->author.len);
  if (c->created_at[0])
    opl_jw_str (&meta, "created_at", c->created_at, strlen (c->created_at));
  if (c->updated_at[0])
    opl_jw_str (&meta, "updated_at", c->updated_at, strlen (c->updated_at));
  opl_jw_str (&meta, "content_type", "document", 8);
  opl_jw_str (&meta, "mime_type", "text/markdown", 13);
  if (m->ui_base_url[0]) {
    opl_buf_reset (&m->val);
    opl_buf_puts (&m->val, m->ui_base_url);
    opl_buf_puts (&m->val, "/documents/");
    opl_buf_put_int (&m->val, c->id);
    opl_buf_puts (&m->val, "/details");
    /* The configured URL was checked, not repaired: repair it here. */
    opl_buf_reset (&m->scratch);
    opl_utf8_append_repaired (&m->scratch, m->val.data, m->val.len);
    opl_jw_str (&meta, "url", m->scratch.data, m->scratch.len);
  }
  if (c->has_path)
    opl_jw_str (&meta, "path", m->path.data, m->path.len);
  /* Omni's metadata.size is a string. */
  snprintf (buf, sizeof buf, "%zu", content_len);
  opl_jw_str (&meta, "size", buf, strlen (buf));

  opl_jw_key (&meta, "extra");
  opl_jw_open (&extra, out);
  opl_jw_key (&extra, "custom_fields");
  opl_buf_append (out, m->cf.data, m->cf.len);
  opl_buf_putc (out, '}');
  opl_jw_int (&extra, "note_count", c->note_count);
  if (opl_json_get_string (c->doc, "mime_type", &s, &len) && len) {
    opl_buf_reset (&m->val);
    opl_utf8_append_repaired (&m->val, s, len);
    opl_jw_str (&extra, "mime_type", m->val.data, m->val.len);
  }
  if (opl_json_get_int (c->doc, "page_count", &n) && n >= 0)
    opl_jw_int (&extra, "page_count", n);
  if (opl_json_get_int (c->doc, "owner", &n)) {
    const char *owner = ref_name (c, OPL_LK_USERS, n, buf);
    opl_jw_str (&extra, "owner", owner, strlen (owner));
  }
  if (c->n_tag_paths > 0) {
    opl_jw_key (&extra, "tag_paths");
    opl_buf_putc (out, '[');
    for (size_t i = 0; i < c->n_tag_paths; i++) {
      const char *p = m->tagp_sorted[i];
      if (i)
        opl_buf_putc (out, ',');
      opl_buf_put_json_string (out, p, strlen (p));
    }
    opl_buf_putc (out, ']');
  }
  opl_jw_close (&extra);
  opl_jw_close (&meta);
}

static char *
buf_copy (const opl_buf *b)
{
  char *s = malloc (b->len + 1);
  if (s) {
    /* data is never NULL when len > 0; the analyzer cannot tell. */
    if (b->len) // NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker)
      memcpy (s, b->data, b->len);
    s[b->len] = '\0';
  }
  return s;
}

/* The Markdown for the caller.  Handing over the buffer and allocating a
 * fresh one of the same size (written by the next call anyway) saves
 * copying every document's text once more; a buffer grown large by one big
 * document is copied instead, so that the mapper does not keep allocating
 * megabytes for the small ones that follow. */
static char *
take_content (opl_mapper *m)
{
  enum { HANDOVER_MAX = 1 << 20 };
  if (m->md.cap > HANDOVER_MAX || m->md.data == NULL)
    return buf_copy (&m->md);
  char *fresh = malloc (m->md.cap);
  if (fresh == NULL)
    return buf_copy (&m->md);
  char *s = m->md.data;
  m->md.data = fresh;
  m->md.len = 0;
  fresh[0] = '\0';
  return s;
}

omni_status
opl_mapper_map (opl_mapper *m, const opl_lookups *lk, json_object *doc,
                opl_doc *out, char *err, size_t errlen)
{
  static const opl_lookups no_lookups; /* all tables empty */
  map_ctx c = {.m = m, .lk = lk ? lk : &no_lookups, .doc = doc};
  omni_status rc = OMNI_OK;
  char num[24];

  memset (out, 0, sizeof *out);
  if (doc == NULL || !json_object_is_type (doc, json_type_object))
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "document is not a JSON object");
  if (!opl_json_get_int (doc, "id", &c.id) || c.id <= 0)
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "document without a positive integer id");
  out->id = c.id;
  opl_buf_reset (&m->md);
  opl_buf_reset (&m->attrs);
  opl_buf_reset (&m->cf);
  opl_buf_reset (&m->cf_names);
  opl_buf_reset (&m->cf_keys);
  opl_jw_open (&c.attrs, &m->attrs);
  /* custom_fields: its '{' now, its '}' when the metadata is written. */
  opl_jw_open (&c.cf, &m->cf);
  attr_add (&c, "source_type", "paperless_ngx", 13);
  snprintf (num, sizeof num, "%lld", (long long)c.id);
  attr_add (&c, "paperless_id", num, strlen (num));

  map_title (&c);
  map_ref (&c, "correspondent", OPL_LK_CORRESPONDENTS, "Correspondent",
           &m->author, &c.has_author);
  map_ref (&c, "document_type", OPL_LK_DOCUMENT_TYPES, "Document Type", NULL,
           NULL);
  map_tags (&c);
  map_dates (&c, out);
  map_file_fields (&c);
  map_custom_fields (&c);
  opl_jw_close (&c.attrs);
  if (c.bullets)
    opl_buf_putc (&m->md, '\n');
  map_notes (&c);
  map_content (&c);
  /* No trailing blank line. */
  while (m->md.len > 1 && m->md.data[m->md.len - 1] == '\n'
         && m->md.data[m->md.len - 2] == '\n')
    m->md.data[--m->md.len] = '\0';

  build_metadata (&c, m->md.len);
  if (c.oom || m->md.oom || m->val.oom || m->key.oom || m->attrs.oom
      || m->cf.oom || m->tagp.oom || m->cf_names.oom || m->cf_keys.oom
      || m->title.oom || m->author.oom || m->path.oom || m->scratch.oom) {
    rc = opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
    goto cleanup;
  }
  out->metadata_json = buf_copy (&m->key);
  out->attributes_json = buf_copy (&m->attrs);
  opl_buf_reset (&m->key);
  opl_buf_puts (&m->key, "paperless:");
  opl_buf_puts (&m->key, m->source_id);
  opl_buf_putc (&m->key, ':');
  opl_buf_put_int (&m->key, c.id);
  out->external_id = buf_copy (&m->key);
  out->content_len = m->md.len;
  out->content = take_content (m);
  out->permissions_json = opl_map_permissions (c.lk, doc, m->perm_mode, &m->ids,
                                               mlog (m), &m->logged, ODD_PERMS);
  if (out->external_id == NULL || out->content == NULL
      || out->metadata_json == NULL || out->attributes_json == NULL
      || out->permissions_json == NULL || m->key.oom) {
    rc = opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
    goto cleanup;
  }

cleanup:
  if (rc != OMNI_OK)
    opl_doc_clear (out);
  return rc;
}
