/* fp-render.c: documents and lookups as each server release and API version
 * represents them (paperless-api.md §3.4, §5.1, §6, §7, §8). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp-internal.h"

#define US_PER_DAY INT64_C (86400000000)

void
fp_gen_init (fp_gen *g, const char *version)
{
  memset (g, 0, sizeof *g);
  if (!version
      || sscanf (version, "%d.%d.%d", &g->major, &g->minor, &g->patch) < 2) {
    g->major = 3;
    g->patch = 5;
  }
  /* §3.1 */
  g->min_version = 1;
  g->def_version = 1;
  if (g->major >= 3) {
    g->min_version = 9;
    g->max_version = g->def_version = 10;
  } else if (fp_gen_at_least (g, 2, 16, 0))
    g->max_version = g->def_version = 9;
  else if (fp_gen_at_least (g, 2, 15, 3))
    g->max_version = g->def_version = 8;
  else if (fp_gen_at_least (g, 2, 14, 6))
    g->max_version = g->def_version = 7;
  else if (fp_gen_at_least (g, 2, 14, 0))
    g->max_version = 6;
  else if (fp_gen_at_least (g, 2, 5, 0))
    g->max_version = 5;
  else if (fp_gen_at_least (g, 2, 3, 0))
    g->max_version = 4;
  else if (fp_gen_at_least (g, 1, 14, 1))
    g->max_version = 3;
  else
    g->max_version = 2;
}

int
fp_gen_at_least (const fp_gen *g, int major, int minor, int patch)
{
  if (g->major != major)
    return g->major > major;
  if (g->minor != minor)
    return g->minor > minor;
  return g->patch >= patch;
}

/* --------------------------------------------------------------- access */

static int
granted (const fp_view *v, const fp_ids *users, const fp_ids *groups)
{
  if (fp_ids_has (users, v->user_id))
    return 1;
  for (size_t i = 0; v->groups && i < v->groups->n; i++)
    if (fp_ids_has (groups, v->groups->v[i]))
      return 1;
  return 0;
}

static int
may_view (const fp_view *v, int64_t owner, const fp_perms *p,
          int include_granted)
{
  if (v->superuser || owner == FP_NULL_ID || owner == v->user_id)
    return 1;
  if (!include_granted)
    return 0;
  /* A change grant implies view (permissions.py:94-165). */
  return granted (v, &p->view_users, &p->view_groups)
         || granted (v, &p->change_users, &p->change_groups);
}

int
fp_doc_visible (const fp_view *v, const fp_doc *d, int include_granted)
{
  return may_view (v, d->owner, &d->perms, include_granted);
}

int
fp_lookup_visible (const fp_view *v, fp_lk k, const fp_lookup *l)
{
  if (k == FP_USERS) /* the service users are never listed */
    return strcmp (l->name, "consumer") != 0
           && strcmp (l->name, "AnonymousUser") != 0;
  if (k == FP_CUSTOM_FIELDS || k == FP_GROUPS)
    return 1;
  return may_view (v, l->owner, &l->perms, 1);
}

static int
may_change (const fp_view *v, int64_t owner, const fp_perms *p)
{
  return v->superuser || owner == FP_NULL_ID || owner == v->user_id
         || granted (v, &p->change_users, &p->change_groups);
}

/* ----------------------------------------------------------- fragments */

/* fields=: names to keep; none given (or empty) keeps everything. */
static int
want (const fp_view *v, const char *name)
{
  if (!v->n_field_names)
    return 1;
  for (size_t i = 0; i < v->n_field_names; i++)
    if (strcmp (v->field_names[i], name) == 0)
      return 1;
  return 0;
}

typedef struct obj_writer {
  fp_buf *b;
  const fp_view *v;
  int first;
  int filter; /* apply fields= */
} obj_writer;

/* Starts member `name`; returns 0 if fields= drops it. */
static int
key (obj_writer *w, const char *name)
{
  if (w->filter && !want (w->v, name))
    return 0;
  if (!w->first)
    fp_buf_addc (w->b, ',');
  w->first = 0;
  fp_buf_json_strz (w->b, name);
  fp_buf_addc (w->b, ':');
  return 1;
}

static void
id_or_null (fp_buf *b, int64_t id)
{
  if (id == FP_NULL_ID)
    fp_buf_adds (b, "null");
  else
    fp_buf_int (b, id);
}

static void
id_list (fp_buf *b, const fp_ids *a)
{
  fp_buf_addc (b, '[');
  for (size_t i = 0; i < a->n; i++) {
    if (i)
      fp_buf_addc (b, ',');
    fp_buf_int (b, a->v[i]);
  }
  fp_buf_addc (b, ']');
}

static void
perms_obj (fp_buf *b, const fp_perms *p)
{
  fp_buf_adds (b, "{\"view\":{\"users\":");
  id_list (b, &p->view_users);
  fp_buf_adds (b, ",\"groups\":");
  id_list (b, &p->view_groups);
  fp_buf_adds (b, "},\"change\":{\"users\":");
  id_list (b, &p->change_users);
  fp_buf_adds (b, ",\"groups\":");
  id_list (b, &p->change_groups);
  fp_buf_adds (b, "}}");
}

static void
datetime (fp_buf *b, const fp_view *v, int64_t us)
{
  fp_buf_datetime (b, us, v->tz, 1);
}

/* ----------------------------------------------------------------- notes */

void
fp_render_note (fp_buf *b, const fp_view *v, const fp_doc *d, const fp_note *n)
{
  const fp_gen *g = v->gen;
  int user_obj;
  if (fp_gen_at_least (g, 2, 15, 3))
    user_obj = v->version >= 8;
  else
    user_obj = fp_gen_at_least (g, 2, 15, 0);
  int model_dump = !fp_gen_at_least (g, 2, 15, 0);
  fp_buf_printf (b, "{\"id\":%lld,", (long long)n->id);
  if (model_dump && fp_gen_at_least (g, 2, 13, 1))
    fp_buf_adds (b, "\"deleted_at\":null,\"restored_at\":null,"
                    "\"transaction_id\":null,");
  fp_buf_adds (b, "\"note\":");
  fp_buf_json_strz (b, n->note);
  fp_buf_adds (b, ",\"created\":\"");
  datetime (b, v, n->created_us);
  fp_buf_adds (b, "\",");
  if (model_dump)
    fp_buf_printf (b, "\"document\":%lld,", (long long)d->id);
  fp_buf_adds (b, "\"user\":");
  if (n->user_id == FP_NULL_ID)
    fp_buf_adds (b, "null");
  else if (!user_obj)
    fp_buf_int (b, n->user_id);
  else {
    fp_buf_printf (b, "{\"id\":%lld,\"username\":", (long long)n->user_id);
    fp_buf_json_strz (b, n->username ? n->username : "");
    fp_buf_adds (b, ",\"first_name\":");
    fp_buf_json_strz (b, n->first_name ? n->first_name : "");
    fp_buf_adds (b, ",\"last_name\":");
    fp_buf_json_strz (b, n->last_name ? n->last_name : "");
    fp_buf_addc (b, '}');
  }
  fp_buf_addc (b, '}');
}

/* --------------------------------------------------------- custom fields */

static json_object *
select_options (const fp_lookup *f)
{
  json_object *extra, *opts;
  if (!f || !json_object_object_get_ex (f->obj, "extra_data", &extra)
      || !json_object_is_type (extra, json_type_object)
      || !json_object_object_get_ex (extra, "select_options", &opts)
      || !json_object_is_type (opts, json_type_array))
    return NULL;
  return opts;
}

/* Select values as indexes: v < 7 on 2.14.6+, and always before 2.14. */
static int
select_as_index (const fp_view *v)
{
  if (fp_gen_at_least (v->gen, 2, 14, 6))
    return v->version < 7;
  return !fp_gen_at_least (v->gen, 2, 14, 0);
}

static void
cf_value (fp_buf *b, const fp_view *v, const fp_cf_value *cv)
{
  const fp_lookup *f
      = fp_corpus_find_lookup (v->c, FP_CUSTOM_FIELDS, cv->field);
  const char *type = f ? fp_lk_str (f, "data_type", "") : "";
  if (cv->value && strcmp (type, "select") == 0 && select_as_index (v)) {
    json_object *opts = select_options (f);
    const char *want_id = json_object_get_string (cv->value);
    for (size_t i = 0; opts && i < json_object_array_length (opts); i++) {
      json_object *o = json_object_array_get_idx (opts, i), *id;
      if (json_object_object_get_ex (o, "id", &id)
          && strcmp (json_object_get_string (id), want_id) == 0) {
        fp_buf_int (b, (int64_t)i);
        return;
      }
    }
    fp_buf_adds (b, "null"); /* unknown id converts to null */
    return;
  }
  fp_buf_json_obj (b, cv->value);
}

static void
extra_data (fp_buf *b, const fp_view *v, const fp_lookup *f)
{
  json_object *extra = NULL;
  json_object_object_get_ex (f->obj, "extra_data", &extra);
  json_object *opts = select_options (f);
  if (!opts || !select_as_index (v)) {
    fp_buf_json_obj (b, extra);
    return;
  }
  /* v < 7: a list of labels instead of {id,label} objects. */
  fp_buf_addc (b, '{');
  int first = 1;
  json_object_object_foreach (extra, k, val)
  {
    if (!first)
      fp_buf_addc (b, ',');
    first = 0;
    fp_buf_json_strz (b, k);
    fp_buf_addc (b, ':');
    if (strcmp (k, "select_options") != 0) {
      fp_buf_json_obj (b, val);
      continue;
    }
    fp_buf_addc (b, '[');
    for (size_t i = 0; i < json_object_array_length (opts); i++) {
      json_object *o = json_object_array_get_idx (opts, i), *label = NULL;
      if (i)
        fp_buf_addc (b, ',');
      if (json_object_is_type (o, json_type_object))
        json_object_object_get_ex (o, "label", &label);
      else
        label = o;
      fp_buf_json_obj (b, label);
    }
    fp_buf_addc (b, ']');
  }
  fp_buf_addc (b, '}');
}

/* ------------------------------------------------------------- documents */

static void
checksum (fp_buf *b, int64_t id)
{
  uint64_t x = (uint64_t)id * 0x9E3779B97F4A7C15u;
  for (int i = 0; i < 4; i++) {
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9u;
    x ^= x >> 27;
    fp_buf_printf (b, "%016llx", (unsigned long long)x);
  }
}

static void
created (fp_buf *b, const fp_view *v, const fp_doc *d)
{
  int modern = fp_gen_at_least (v->gen, 2, 16, 0);
  if (modern && v->version >= 9) {
    fp_buf_addc (b, '"');
    fp_buf_date (b, d->created_days);
    fp_buf_addc (b, '"');
    return;
  }
  /* Local midnight.  The v<9 down-conversion uses isoformat() directly
   * (+00:00); a pre-2.16 DateTimeField goes through DRF (Z). */
  fp_buf_addc (b, '"');
  fp_buf_datetime (b, fp_local_midnight (d->created_days, v->tz), v->tz,
                   !modern);
  fp_buf_addc (b, '"');
}

void
fp_render_document (fp_buf *b, const fp_view *v, const fp_doc *d, int detail)
{
  const fp_gen *g = v->gen;
  int v3 = g->major >= 3;
  obj_writer w = {b, v, 1, 1};
  (void)detail;
  fp_buf_addc (b, '{');
  if (key (&w, "id"))
    fp_buf_int (b, d->id);
  if (key (&w, "correspondent"))
    id_or_null (b, d->correspondent);
  if (key (&w, "document_type"))
    id_or_null (b, d->document_type);
  if (key (&w, "storage_path"))
    id_or_null (b, d->storage_path);
  if (key (&w, "title"))
    fp_buf_json_strz (b, d->title);
  if (key (&w, "content")) {
    fp_buf text = {0};
    fp_doc_content (d, &text);
    size_t n = text.len;
    if (v->truncate) { /* content[0:550]: code points, not bytes */
      size_t cps = 0, i = 0;
      for (; i < text.len; i++) {
        if (((unsigned char)text.p[i] & 0xC0) != 0x80 && cps++ == 550)
          break;
      }
      n = i;
    }
    fp_buf_json_str (b, text.p ? text.p : "", n);
    fp_buf_free (&text);
  }
  if (key (&w, "tags"))
    id_list (b, &d->tags);
  if (key (&w, "created"))
    created (b, v, d);
  if (fp_gen_at_least (g, 1, 8, 0) && key (&w, "created_date")) {
    fp_buf_addc (b, '"');
    fp_buf_date (b, d->created_days);
    fp_buf_addc (b, '"');
  }
  if (key (&w, "modified")) {
    fp_buf_addc (b, '"');
    datetime (b, v, d->modified_us);
    fp_buf_addc (b, '"');
  }
  if (key (&w, "added")) {
    fp_buf_addc (b, '"');
    datetime (b, v, d->added_us);
    fp_buf_addc (b, '"');
  }
  if (fp_gen_at_least (g, 2, 10, 0) && key (&w, "deleted_at")) {
    if (!d->deleted)
      fp_buf_adds (b, "null");
    else {
      fp_buf_addc (b, '"');
      datetime (b, v, d->deleted_us);
      fp_buf_addc (b, '"');
    }
  }
  if (key (&w, "archive_serial_number"))
    id_or_null (b, d->asn);
  if (key (&w, "original_file_name"))
    fp_buf_json_strz (b, d->original_file_name);
  if (key (&w, "archived_file_name"))
    fp_buf_json_strz (b, d->archived_file_name);
  if (v3 && key (&w, "duplicate_documents"))
    fp_buf_adds (b, "[]");
  if (key (&w, "owner"))
    id_or_null (b, d->owner);
  if (v->full_perms) {
    if (key (&w, "permissions"))
      perms_obj (b, &d->perms);
  } else {
    if (fp_gen_at_least (g, 1, 14, 1) && key (&w, "user_can_change"))
      fp_buf_adds (b, may_change (v, d->owner, &d->perms) ? "true" : "false");
    if (fp_gen_at_least (g, 2, 2, 0) && key (&w, "is_shared_by_requester")) {
      const fp_perms *p = &d->perms;
      int shared = d->owner != FP_NULL_ID && d->owner == v->user_id
                   && (p->view_users.n || p->view_groups.n || p->change_users.n
                       || p->change_groups.n);
      fp_buf_adds (b, shared ? "true" : "false");
    }
  }
  if (key (&w, "notes")) {
    fp_buf_addc (b, '[');
    for (size_t i = 0; i < d->n_notes; i++) {
      if (i)
        fp_buf_addc (b, ',');
      fp_render_note (b, v, d, &d->notes[i]);
    }
    fp_buf_addc (b, ']');
  }
  if (fp_gen_at_least (g, 2, 0, 0) && key (&w, "custom_fields")) {
    fp_buf_addc (b, '[');
    for (size_t i = 0; i < d->n_cfs; i++) {
      if (i)
        fp_buf_addc (b, ',');
      fp_buf_adds (b, "{\"value\":");
      cf_value (b, v, &d->cfs[i]);
      fp_buf_printf (b, ",\"field\":%lld}", (long long)d->cfs[i].field);
    }
    fp_buf_addc (b, ']');
  }
  if (fp_gen_at_least (g, 2, 13, 0) && key (&w, "page_count"))
    id_or_null (b, d->page_count);
  if (key (&w, "mime_type"))
    fp_buf_json_strz (b, d->mime_type ? d->mime_type : "");
  if (v3 && key (&w, "root_document"))
    fp_buf_adds (b, "null");
  if (v3 && key (&w, "versions")) {
    fp_buf_printf (b, "[{\"id\":%lld,\"added\":\"", (long long)d->id);
    datetime (b, v, d->added_us);
    fp_buf_adds (b, "\",\"version_label\":null,\"checksum\":\"");
    checksum (b, d->id);
    fp_buf_adds (b, "\",\"is_root\":true}]");
  }
  fp_buf_addc (b, '}');
}

/* --------------------------------------------------------------- lookups */

/* Copies member `name` of the corpus object, or writes def (raw JSON). */
static void
copy_member (obj_writer *w, const fp_lookup *l, const char *name,
             const char *def)
{
  json_object *val;
  if (!key (w, name))
    return;
  if (l->obj && json_object_object_get_ex (l->obj, name, &val))
    fp_buf_json_obj (w->b, val);
  else
    fp_buf_adds (w->b, def);
}

static void
ownership (obj_writer *w, const fp_view *v, const fp_lookup *l)
{
  if (key (w, "owner"))
    id_or_null (w->b, l->owner);
  if (v->full_perms) {
    if (key (w, "permissions"))
      perms_obj (w->b, &l->perms);
  } else if (key (w, "user_can_change"))
    fp_buf_adds (w->b, may_change (v, l->owner, &l->perms) ? "true" : "false");
}

static void
matching (obj_writer *w, const fp_lookup *l)
{
  copy_member (w, l, "match", "\"\"");
  copy_member (w, l, "matching_algorithm", "1");
  copy_member (w, l, "is_insensitive", "true");
}

static void render_tag (fp_buf *b, const fp_view *v, size_t idx,
                        const int64_t *counts, int depth);

static void
tag_children (fp_buf *b, const fp_view *v, const fp_lookup *t,
              const int64_t *counts, int depth)
{
  const fp_corpus *c = v->c;
  int first = 1;
  fp_buf_addc (b, '[');
  for (size_t i = 0; depth < 8 && i < c->n_lk[FP_TAGS]; i++) {
    const fp_lookup *ch = &c->lk[FP_TAGS][i];
    if (ch->parent != t->id || ch->id == t->id
        || !fp_lookup_visible (v, FP_TAGS, ch))
      continue;
    if (!first)
      fp_buf_addc (b, ',');
    first = 0;
    render_tag (b, v, i, counts, depth + 1);
  }
  fp_buf_addc (b, ']');
}

static void
render_tag (fp_buf *b, const fp_view *v, size_t idx, const int64_t *counts,
            int depth)
{
  const fp_lookup *l = &v->c->lk[FP_TAGS][idx];
  obj_writer w = {b, v, 1, 0};
  int nested = fp_gen_at_least (v->gen, 2, 19, 0);
  fp_buf_addc (b, '{');
  if (key (&w, "id"))
    fp_buf_int (b, l->id);
  copy_member (&w, l, "slug", "\"\"");
  if (key (&w, "name"))
    fp_buf_json_strz (b, l->name);
  if (v->version <= 1) {
    copy_member (&w, l, "colour", "1");
  } else {
    copy_member (&w, l, "color", "\"#a6cee3\"");
    copy_member (&w, l, "text_color", "\"#000000\"");
  }
  matching (&w, l);
  copy_member (&w, l, "is_inbox_tag", "false");
  if (key (&w, "document_count"))
    fp_buf_int (b, counts ? counts[idx] : 0);
  ownership (&w, v, l);
  if (nested && v->version > 1) {
    if (key (&w, "parent"))
      id_or_null (b, l->parent);
    if (key (&w, "children"))
      tag_children (b, v, l, counts, depth);
  }
  fp_buf_addc (b, '}');
}

void
fp_render_lookup (fp_buf *b, const fp_view *v, fp_lk k, size_t idx,
                  const int64_t *counts)
{
  const fp_lookup *l = &v->c->lk[k][idx];
  obj_writer w = {b, v, 1, 0};
  int64_t count = counts ? counts[idx] : 0;
  if (k == FP_TAGS) {
    render_tag (b, v, idx, counts, 0);
    return;
  }
  fp_buf_addc (b, '{');
  if (key (&w, "id"))
    fp_buf_int (b, l->id);
  switch (k) {
    case FP_CORRESPONDENTS:
    case FP_DOCUMENT_TYPES:
    case FP_STORAGE_PATHS:
      copy_member (&w, l, "slug", "\"\"");
      if (key (&w, "name"))
        fp_buf_json_strz (b, l->name);
      if (k == FP_STORAGE_PATHS)
        copy_member (&w, l, "path", "\"\"");
      matching (&w, l);
      if (key (&w, "document_count"))
        fp_buf_int (b, count);
      ownership (&w, v, l);
      break;
    case FP_CUSTOM_FIELDS:
      if (key (&w, "name"))
        fp_buf_json_strz (b, l->name);
      copy_member (&w, l, "data_type", "\"string\"");
      if (key (&w, "extra_data"))
        extra_data (b, v, l);
      if (key (&w, "document_count"))
        fp_buf_int (b, count);
      break;
    case FP_USERS:
      if (key (&w, "username"))
        fp_buf_json_strz (b, l->name);
      copy_member (&w, l, "email", "\"\"");
      if (key (&w, "password"))
        fp_buf_adds (b, "\"**********\"");
      copy_member (&w, l, "first_name", "\"\"");
      copy_member (&w, l, "last_name", "\"\"");
      copy_member (&w, l, "date_joined", "\"2024-01-01T00:00:00Z\"");
      copy_member (&w, l, "is_staff", "false");
      copy_member (&w, l, "is_active", "true");
      copy_member (&w, l, "is_superuser", "false");
      copy_member (&w, l, "groups", "[]");
      copy_member (&w, l, "user_permissions", "[]");
      copy_member (&w, l, "inherited_permissions", "[]");
      copy_member (&w, l, "is_mfa_enabled", "false");
      break;
    case FP_GROUPS:
      if (key (&w, "name"))
        fp_buf_json_strz (b, l->name);
      copy_member (&w, l, "permissions", "[]");
      break;
    default:
      break;
  }
  fp_buf_addc (b, '}');
}
