/* fp-corpus.c: the corpus model, loading the team's corpus file format.
 *
 * Format: {"server":{version,token,time_zone}, "tags":[..],
 * "correspondents":[..], "document_types":[..], "storage_paths":[..],
 * "custom_fields":[..], "users":[..], "groups":[..], "documents":[..]},
 * every item as API v10 with full_perms=true renders it.  Computed fields
 * (document_count, children, created_date) are ignored on input.  A
 * document's "x_content_repeat": N repeats its content N times. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp-internal.h"

const char *const fp_lk_names[FP_N_LK]
    = {"tags",          "correspondents", "document_types", "storage_paths",
       "custom_fields", "users",          "groups"};

int
fp_lk_from_name (const char *name)
{
  for (int i = 0; i < FP_N_LK; i++)
    if (strcmp (fp_lk_names[i], name) == 0)
      return i;
  return -1;
}

/* ------------------------------------------------------------- lookups */

fp_doc *
fp_corpus_find (const fp_corpus *c, int64_t id)
{
  size_t lo = 0, hi = c->n_docs;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (c->docs[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < c->n_docs && c->docs[lo].id == id ? &c->docs[lo] : NULL;
}

fp_lookup *
fp_corpus_find_lookup (const fp_corpus *c, fp_lk k, int64_t id)
{
  for (size_t i = 0; i < c->n_lk[k]; i++)
    if (c->lk[k][i].id == id)
      return &c->lk[k][i];
  return NULL;
}

fp_doc *
fp_corpus_append (fp_corpus *c)
{
  if (c->n_docs == c->cap_docs) {
    size_t cap = c->cap_docs ? c->cap_docs * 2 : 64;
    fp_doc *p = realloc (c->docs, cap * sizeof *p);
    if (!p)
      return NULL;
    c->docs = p;
    c->cap_docs = cap;
  }
  fp_doc *d = &c->docs[c->n_docs++];
  memset (d, 0, sizeof *d);
  d->id = ++c->max_doc_id;
  d->correspondent = d->document_type = d->storage_path = FP_NULL_ID;
  d->asn = d->owner = d->page_count = FP_NULL_ID;
  d->content_rep = 1;
  return d;
}

const char *
fp_lk_str (const fp_lookup *l, const char *key, const char *def)
{
  json_object *v;
  if (l->obj && json_object_object_get_ex (l->obj, key, &v)
      && json_object_is_type (v, json_type_string))
    return json_object_get_string (v);
  return def;
}

int64_t
fp_lk_int (const fp_lookup *l, const char *key, int64_t def)
{
  json_object *v;
  if (l->obj && json_object_object_get_ex (l->obj, key, &v)
      && json_object_is_type (v, json_type_int))
    return json_object_get_int64 (v);
  return def;
}

int
fp_lk_bool (const fp_lookup *l, const char *key, int def)
{
  json_object *v;
  if (l->obj && json_object_object_get_ex (l->obj, key, &v)
      && json_object_is_type (v, json_type_boolean))
    return json_object_get_boolean (v);
  return def;
}

/* --------------------------------------------------------------- freeing */

void
fp_perms_free (fp_perms *p)
{
  fp_ids_free (&p->view_users);
  fp_ids_free (&p->view_groups);
  fp_ids_free (&p->change_users);
  fp_ids_free (&p->change_groups);
}

void
fp_doc_clear (fp_doc *d)
{
  free (d->title);
  free (d->content);
  fp_ids_free (&d->tags);
  free (d->original_file_name);
  free (d->archived_file_name);
  fp_perms_free (&d->perms);
  for (size_t i = 0; i < d->n_notes; i++) {
    free (d->notes[i].note);
    free (d->notes[i].username);
    free (d->notes[i].first_name);
    free (d->notes[i].last_name);
  }
  free (d->notes);
  for (size_t i = 0; i < d->n_cfs; i++)
    json_object_put (d->cfs[i].value);
  free (d->cfs);
  free (d->mime_type);
  memset (d, 0, sizeof *d);
}

void
fp_lookup_clear (fp_lookup *l)
{
  free (l->name);
  fp_perms_free (&l->perms);
  json_object_put (l->obj);
  memset (l, 0, sizeof *l);
}

void
fp_corpus_free (fp_corpus *c)
{
  if (!c)
    return;
  for (size_t i = 0; i < c->n_docs; i++)
    fp_doc_clear (&c->docs[i]);
  free (c->docs);
  for (int k = 0; k < FP_N_LK; k++) {
    for (size_t i = 0; i < c->n_lk[k]; i++)
      fp_lookup_clear (&c->lk[k][i]);
    free (c->lk[k]);
  }
  free (c->version);
  free (c->token);
  free (c->time_zone);
  free (c);
}

size_t
fp_corpus_document_count (const fp_corpus *c)
{
  return c ? c->n_docs : 0;
}

void
fp_doc_content (const fp_doc *d, fp_buf *b)
{
  if (!d->content) {
    fp_gen_text (b, d->gen_seed, d->gen_bytes);
    return;
  }
  size_t n = strlen (d->content);
  for (size_t i = 0; i < d->content_rep; i++)
    fp_buf_add (b, d->content, n);
}

/* --------------------------------------------------------------- parsing */

typedef struct perr {
  char *buf;
  size_t len;
  int failed;
} perr;

static void fail (perr *e, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
fail (perr *e, const char *fmt, ...)
{
  if (e->failed)
    return;
  e->failed = 1;
  va_list ap;
  va_start (ap, fmt);
  if (e->len)
    vsnprintf (e->buf, e->len, fmt, ap);
  va_end (ap);
}

static json_object *
member (json_object *o, const char *key)
{
  json_object *v = NULL;
  if (!json_object_object_get_ex (o, key, &v))
    return NULL;
  return v;
}

/* Nullable int: absent or null gives FP_NULL_ID. */
static int64_t
opt_id (json_object *o, const char *key, perr *e, const char *what)
{
  json_object *v = member (o, key);
  if (!v)
    return FP_NULL_ID;
  if (!json_object_is_type (v, json_type_int)) {
    fail (e, "%s: \"%s\" must be an integer or null", what, key);
    return FP_NULL_ID;
  }
  return json_object_get_int64 (v);
}

/* A string member, without NULs: Paperless strips them before storage. */
static char *
opt_str (json_object *o, const char *key, const char *def)
{
  json_object *v = member (o, key);
  if (!v || !json_object_is_type (v, json_type_string))
    return fp_strdup0 (def);
  const char *s = json_object_get_string (v);
  size_t n = (size_t)json_object_get_string_len (v), k = 0;
  char *out = malloc (n + 1);
  for (size_t i = 0; out && i < n; i++)
    if (s[i])
      out[k++] = s[i];
  if (out)
    out[k] = '\0';
  return out;
}

static void
id_array (json_object *a, fp_ids *out, perr *e, const char *what)
{
  if (!a)
    return;
  if (!json_object_is_type (a, json_type_array)) {
    fail (e, "%s must be a list of integers", what);
    return;
  }
  for (size_t i = 0; i < json_object_array_length (a); i++) {
    json_object *v = json_object_array_get_idx (a, i);
    if (!json_object_is_type (v, json_type_int)) {
      fail (e, "%s must be a list of integers", what);
      return;
    }
    fp_ids_push (out, json_object_get_int64 (v));
  }
}

static void
parse_perms (json_object *o, fp_perms *p, perr *e, const char *what)
{
  json_object *perms = o ? member (o, "permissions") : NULL;
  if (!perms || !json_object_is_type (perms, json_type_object))
    return;
  json_object *view = member (perms, "view"),
              *change = member (perms, "change");
  if (view && json_object_is_type (view, json_type_object)) {
    id_array (member (view, "users"), &p->view_users, e, what);
    id_array (member (view, "groups"), &p->view_groups, e, what);
  }
  if (change && json_object_is_type (change, json_type_object)) {
    id_array (member (change, "users"), &p->change_users, e, what);
    id_array (member (change, "groups"), &p->change_groups, e, what);
  }
}

static int64_t
datetime_member (json_object *o, const char *key, int64_t def, int *present,
                 perr *e, const char *what)
{
  json_object *v = member (o, key);
  int64_t us;
  if (present)
    *present = 0;
  if (!v || json_object_is_type (v, json_type_null))
    return def;
  if (!json_object_is_type (v, json_type_string)
      || fp_parse_datetime (json_object_get_string (v), 0, &us) < 0) {
    fail (e, "%s: \"%s\" is not a datetime", what, key);
    return def;
  }
  if (present)
    *present = 1;
  return us;
}

static void
parse_lookups (fp_corpus *c, json_object *root, fp_lk k, perr *e)
{
  json_object *a = member (root, fp_lk_names[k]);
  if (!a)
    return;
  if (!json_object_is_type (a, json_type_array)) {
    fail (e, "\"%s\" must be a list", fp_lk_names[k]);
    return;
  }
  size_t n = json_object_array_length (a);
  c->lk[k] = calloc (n ? n : 1, sizeof (fp_lookup));
  if (!c->lk[k]) {
    fail (e, "out of memory");
    return;
  }
  for (size_t i = 0; i < n && !e->failed; i++) {
    json_object *o = json_object_array_get_idx (a, i);
    char what[64];
    snprintf (what, sizeof what, "%s[%zu]", fp_lk_names[k], i);
    json_object *id = o ? member (o, "id") : NULL;
    if (!id || !json_object_is_type (id, json_type_int)) {
      fail (e, "%s: needs an integer \"id\"", what);
      return;
    }
    fp_lookup *l = &c->lk[k][c->n_lk[k]++];
    l->id = json_object_get_int64 (id);
    l->name = opt_str (o, k == FP_USERS ? "username" : "name", "");
    l->owner = opt_id (o, "owner", e, what);
    l->parent = opt_id (o, "parent", e, what);
    parse_perms (o, &l->perms, e, what);
    l->obj = json_object_get (o);
  }
}

static void
parse_note (fp_corpus *c, json_object *o, fp_note *n, perr *e, const char *what)
{
  n->user_id = FP_NULL_ID;
  n->id = opt_id (o, "id", e, what);
  if (n->id == FP_NULL_ID)
    n->id = c->max_note_id + 1;
  if (n->id > c->max_note_id)
    c->max_note_id = n->id;
  n->note = opt_str (o, "note", "");
  n->created_us
      = datetime_member (o, "created", FP_CLOCK_START_US, NULL, e, what);
  json_object *u = member (o, "user");
  if (u && json_object_is_type (u, json_type_object)) {
    n->user_id = opt_id (u, "id", e, what);
    n->username = opt_str (u, "username", "");
    n->first_name = opt_str (u, "first_name", "");
    n->last_name = opt_str (u, "last_name", "");
  } else if (u && json_object_is_type (u, json_type_int)) {
    /* An older dump: resolve the id through the users list. */
    n->user_id = json_object_get_int64 (u);
    const fp_lookup *l = fp_corpus_find_lookup (c, FP_USERS, n->user_id);
    n->username = strdup (l ? l->name : "");
    n->first_name = strdup (l ? fp_lk_str (l, "first_name", "") : "");
    n->last_name = strdup (l ? fp_lk_str (l, "last_name", "") : "");
  }
}

static void
parse_document (fp_corpus *c, json_object *o, fp_doc *d, perr *e,
                const char *what)
{
  d->correspondent = opt_id (o, "correspondent", e, what);
  d->document_type = opt_id (o, "document_type", e, what);
  d->storage_path = opt_id (o, "storage_path", e, what);
  d->title = opt_str (o, "title", "");
  d->content = opt_str (o, "content", "");
  d->content_rep = 1;
  json_object *rep = member (o, "x_content_repeat");
  if (rep) {
    if (!json_object_is_type (rep, json_type_int)
        || json_object_get_int64 (rep) < 0) {
      fail (e, "%s: x_content_repeat must be a non-negative integer", what);
      return;
    }
    d->content_rep = (size_t)json_object_get_int64 (rep);
  }
  id_array (member (o, "tags"), &d->tags, e, what);
  json_object *cr = member (o, "created");
  int32_t days = (int32_t)fp_local_days (FP_CLOCK_START_US, 0);
  if (cr && json_object_is_type (cr, json_type_string)) {
    const char *s = json_object_get_string (cr);
    char date[11];
    snprintf (date, sizeof date, "%s", s);
    if (fp_parse_date (date, &days) < 0)
      fail (e, "%s: \"created\" is not YYYY-MM-DD", what);
  }
  d->created_days = days;
  d->added_us = datetime_member (
      o, "added", FP_CLOCK_START_US - INT64_C (86400000000), NULL, e, what);
  d->modified_us = datetime_member (o, "modified", d->added_us, NULL, e, what);
  d->deleted_us = datetime_member (o, "deleted_at", 0, &d->deleted, e, what);
  d->asn = opt_id (o, "archive_serial_number", e, what);
  d->original_file_name = opt_str (o, "original_file_name", NULL);
  d->archived_file_name = opt_str (o, "archived_file_name", NULL);
  d->owner = opt_id (o, "owner", e, what);
  parse_perms (o, &d->perms, e, what);
  d->page_count = opt_id (o, "page_count", e, what);
  d->mime_type = opt_str (o, "mime_type", "application/pdf");
  json_object *notes = member (o, "notes");
  if (notes && json_object_is_type (notes, json_type_array)) {
    size_t n = json_object_array_length (notes);
    d->notes = calloc (n ? n : 1, sizeof *d->notes);
    for (size_t i = 0; d->notes && i < n; i++) {
      json_object *no = json_object_array_get_idx (notes, i);
      if (!no || !json_object_is_type (no, json_type_object)) {
        fail (e, "%s: notes must be objects", what);
        return;
      }
      parse_note (c, no, &d->notes[d->n_notes++], e, what);
    }
  }
  json_object *cfs = member (o, "custom_fields");
  if (cfs && json_object_is_type (cfs, json_type_array)) {
    size_t n = json_object_array_length (cfs);
    d->cfs = calloc (n ? n : 1, sizeof *d->cfs);
    for (size_t i = 0; d->cfs && i < n; i++) {
      json_object *co = json_object_array_get_idx (cfs, i);
      json_object *f = co ? member (co, "field") : NULL;
      if (!f || !json_object_is_type (f, json_type_int)) {
        fail (e, "%s: custom_fields items need an integer \"field\"", what);
        return;
      }
      d->cfs[d->n_cfs].field = json_object_get_int64 (f);
      d->cfs[d->n_cfs].value = json_object_get (member (co, "value"));
      d->n_cfs++;
    }
  }
}

static int
cmp_doc_id (const void *a, const void *b)
{
  const fp_doc *x = a, *y = b;
  return x->id < y->id ? -1 : x->id > y->id;
}

fp_corpus *
fp_corpus_parse (const char *json, size_t len, char *err, size_t errlen)
{
  perr e = {err, errlen, 0};
  fp_corpus *c = calloc (1, sizeof *c);
  json_tokener *tok = json_tokener_new_ex (64);
  json_object *root = NULL;
  if (!c || !tok) {
    fail (&e, "out of memory");
    goto cleanup;
  }
  json_tokener_set_flags (tok, JSON_TOKENER_STRICT);
  root = json_tokener_parse_ex (tok, json, (int)len);
  if (!root || json_tokener_get_error (tok) != json_tokener_success) {
    fail (&e, "corpus is not valid JSON: %s",
          json_tokener_error_desc (json_tokener_get_error (tok)));
    goto cleanup;
  }
  if (!json_object_is_type (root, json_type_object)) {
    fail (&e, "corpus must be a JSON object");
    goto cleanup;
  }
  json_object *server = member (root, "server");
  if (server && json_object_is_type (server, json_type_object)) {
    c->version = opt_str (server, "version", NULL);
    c->token = opt_str (server, "token", NULL);
    c->time_zone = opt_str (server, "time_zone", NULL);
    int tz;
    if (c->time_zone && fp_parse_tz (c->time_zone, &tz) < 0)
      fail (&e, "server.time_zone must be \"+hh:mm\" or \"UTC\"");
  }
  for (int k = 0; k < FP_N_LK; k++)
    parse_lookups (c, root, (fp_lk)k, &e);
  json_object *docs = member (root, "documents");
  if (docs && !json_object_is_type (docs, json_type_array))
    fail (&e, "\"documents\" must be a list");
  size_t n = docs && !e.failed ? json_object_array_length (docs) : 0;
  c->docs = calloc (n ? n : 1, sizeof *c->docs);
  c->cap_docs = n ? n : 1;
  if (!c->docs)
    fail (&e, "out of memory");
  for (size_t i = 0; i < n && !e.failed; i++) {
    json_object *o = json_object_array_get_idx (docs, i);
    char what[48];
    snprintf (what, sizeof what, "documents[%zu]", i);
    json_object *id = o ? member (o, "id") : NULL;
    if (!id || !json_object_is_type (id, json_type_int)
        || json_object_get_int64 (id) <= 0) {
      fail (&e, "%s: needs a positive integer \"id\"", what);
      break;
    }
    fp_doc *d = &c->docs[c->n_docs++];
    d->id = json_object_get_int64 (id);
    parse_document (c, o, d, &e, what);
    if (d->id > c->max_doc_id)
      c->max_doc_id = d->id;
  }
  if (!e.failed) {
    qsort (c->docs, c->n_docs, sizeof *c->docs, cmp_doc_id);
    for (size_t i = 1; i < c->n_docs; i++)
      if (c->docs[i].id == c->docs[i - 1].id)
        fail (&e, "duplicate document id %lld", (long long)c->docs[i].id);
  }
cleanup:
  json_object_put (root);
  if (tok)
    json_tokener_free (tok);
  if (e.failed) {
    fp_corpus_free (c);
    return NULL;
  }
  return c;
}

fp_corpus *
fp_corpus_load (const char *path, char *err, size_t errlen)
{
  fp_corpus *c = NULL;
  char *data = NULL;
  FILE *f = fopen (path, "rb");
  if (!f) {
    snprintf (err, errlen, "%s: %s", path, strerror (errno));
    return NULL;
  }
  fp_buf b = {0};
  char chunk[65536];
  size_t n;
  while ((n = fread (chunk, 1, sizeof chunk, f)) > 0)
    fp_buf_add (&b, chunk, n);
  if (ferror (f)) {
    snprintf (err, errlen, "%s: read error", path);
    goto cleanup;
  }
  size_t len = b.len;
  data = fp_buf_take (&b);
  if (!data) {
    snprintf (err, errlen, "out of memory");
    goto cleanup;
  }
  char inner[400] = "";
  c = fp_corpus_parse (data, len, inner, sizeof inner);
  if (!c)
    snprintf (err, errlen, "%s: %s", path, inner);
cleanup:
  fclose (f);
  fp_buf_free (&b);
  free (data);
  return c;
}
