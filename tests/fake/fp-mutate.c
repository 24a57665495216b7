/* fp-mutate.c: corpus changes while a client runs, with the real server's
 * `modified` semantics (§5.4), the logical clock, hooks, text commands and
 * snapshots. */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "fp-server-int.h"

/* Lock held. */
int64_t
fp_tick (fp_server *s)
{
  if (s->real_clock) {
    struct timeval tv;
    gettimeofday (&tv, NULL);
    int64_t now = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
    s->clock_us = now > s->clock_us ? now : s->clock_us + 1;
  } else
    s->clock_us += s->clock_step_us;
  return s->clock_us;
}

int64_t
fp_server_now_us (fp_server *s)
{
  pthread_mutex_lock (&s->lock);
  int64_t now = s->clock_us;
  pthread_mutex_unlock (&s->lock);
  return now;
}

void
fp_server_advance_clock (fp_server *s, int64_t us)
{
  pthread_mutex_lock (&s->lock);
  s->clock_us += us;
  pthread_mutex_unlock (&s->lock);
}

/* Lock held.  groups receives the user's groups (caller frees). */
void
fp_view_for (fp_server *s, int64_t user_id, fp_view *v, fp_ids *groups)
{
  memset (v, 0, sizeof *v);
  v->c = s->c;
  v->gen = &s->gen;
  v->version = s->gen.def_version;
  v->tz = s->tz;
  v->user_id = user_id ? user_id : s->user_id;
  v->groups = groups;
  const fp_lookup *u = fp_corpus_find_lookup (s->c, FP_USERS, v->user_id);
  if (!u) {
    /* No users in the corpus: the token is the (implicit) admin. */
    v->superuser = s->c->n_lk[FP_USERS] == 0;
    return;
  }
  v->superuser = fp_lk_bool (u, "is_superuser", 0);
  json_object *g;
  if (json_object_object_get_ex (u->obj, "groups", &g)
      && json_object_is_type (g, json_type_array))
    for (size_t i = 0; i < json_object_array_length (g); i++) {
      json_object *e = json_object_array_get_idx (g, i);
      if (json_object_is_type (e, json_type_int))
        fp_ids_push (groups, json_object_get_int64 (e));
    }
}

/* ------------------------------------------------------------ documents */

int
fp_server_edit_document (fp_server *s, int64_t id, const fp_doc_edit *e)
{
  int rc = -1;
  pthread_mutex_lock (&s->lock);
  fp_doc *d = fp_corpus_find (s->c, id);
  if (!d)
    goto cleanup;
  if (e->title) {
    char *t = strdup (e->title);
    if (!t)
      goto cleanup;
    free (d->title);
    d->title = t;
  }
  if (e->content) {
    char *t = strdup (e->content);
    if (!t)
      goto cleanup;
    free (d->content);
    d->content = t;
    d->content_rep = 1;
  }
  if (e->set_tags) {
    d->tags.n = 0;
    for (size_t i = 0; i < e->n_tags; i++)
      fp_ids_push (&d->tags, e->tags[i]);
  }
  if (e->set_correspondent)
    d->correspondent = e->correspondent;
  if (e->set_document_type)
    d->document_type = e->document_type;
  if (e->set_storage_path)
    d->storage_path = e->storage_path;
  if (e->set_owner)
    d->owner = e->owner;
  if (e->created) {
    int32_t days;
    if (fp_parse_date (e->created, &days) < 0)
      goto cleanup;
    d->created_days = days;
  }
  if (e->set_view_users) {
    d->perms.view_users.n = 0;
    for (size_t i = 0; i < e->n_view_users; i++)
      fp_ids_push (&d->perms.view_users, e->view_users[i]);
  }
  d->modified_us = fp_tick (s);
  rc = 0;
cleanup:
  pthread_mutex_unlock (&s->lock);
  return rc;
}

int64_t
fp_server_add_document (fp_server *s, const char *title, const char *content)
{
  int64_t id = -1;
  pthread_mutex_lock (&s->lock);
  fp_doc *d = fp_corpus_append (s->c);
  if (!d)
    goto cleanup;
  d->title = strdup (title ? title : "");
  d->content = strdup (content ? content : "");
  d->mime_type = strdup ("application/pdf");
  d->added_us = d->modified_us = fp_tick (s);
  d->created_days = fp_local_days (d->added_us, s->tz);
  d->page_count = 1;
  char name[64];
  snprintf (name, sizeof name, "%010lld.pdf", (long long)d->id);
  d->original_file_name = strdup (name);
  id = d->id;
cleanup:
  pthread_mutex_unlock (&s->lock);
  return id;
}

static int
set_trash (fp_server *s, int64_t id, int trash)
{
  int rc = -1;
  pthread_mutex_lock (&s->lock);
  fp_doc *d = fp_corpus_find (s->c, id);
  if (d && d->deleted != trash) {
    int64_t now = fp_tick (s);
    d->deleted = trash;
    /* Soft delete saves only deleted_at; a restore goes through save(). */
    if (trash)
      d->deleted_us = now;
    else {
      d->deleted_us = 0;
      d->modified_us = now;
    }
    rc = 0;
  }
  pthread_mutex_unlock (&s->lock);
  return rc;
}

int
fp_server_trash_document (fp_server *s, int64_t id)
{
  return set_trash (s, id, 1);
}

int
fp_server_restore_document (fp_server *s, int64_t id)
{
  return set_trash (s, id, 0);
}

int
fp_server_purge_document (fp_server *s, int64_t id)
{
  int rc = -1;
  pthread_mutex_lock (&s->lock);
  fp_doc *d = fp_corpus_find (s->c, id);
  if (d) {
    size_t i = (size_t)(d - s->c->docs);
    fp_doc_clear (d);
    memmove (d, d + 1, (s->c->n_docs - i - 1) * sizeof *d);
    s->c->n_docs--;
    rc = 0;
  }
  pthread_mutex_unlock (&s->lock);
  return rc;
}

size_t
fp_server_bulk_touch (fp_server *s, const int64_t *ids, size_t n)
{
  size_t touched = 0;
  pthread_mutex_lock (&s->lock);
  /* One UPDATE, one timestamp (bulk_edit.py:1049). */
  int64_t now = fp_tick (s);
  for (size_t i = 0; i < n; i++) {
    fp_doc *d = fp_corpus_find (s->c, ids[i]);
    if (d) {
      d->modified_us = now;
      touched++;
    }
  }
  pthread_mutex_unlock (&s->lock);
  return touched;
}

int
fp_server_add_note (fp_server *s, int64_t doc_id, const char *text,
                    int64_t user_id)
{
  int rc = -1;
  pthread_mutex_lock (&s->lock);
  fp_doc *d = fp_corpus_find (s->c, doc_id);
  fp_note *notes
      = d ? realloc (d->notes, (d->n_notes + 1) * sizeof *notes) : NULL;
  if (notes) {
    d->notes = notes;
    fp_note *n = &notes[d->n_notes++];
    memset (n, 0, sizeof *n);
    n->id = ++s->c->max_note_id;
    n->note = strdup (text ? text : "");
    n->created_us = fp_tick (s);
    n->user_id = user_id ? user_id : FP_NULL_ID;
    const fp_lookup *u = fp_corpus_find_lookup (s->c, FP_USERS, user_id);
    if (user_id) {
      n->username = strdup (u ? u->name : "");
      n->first_name = strdup (u ? fp_lk_str (u, "first_name", "") : "");
      n->last_name = strdup (u ? fp_lk_str (u, "last_name", "") : "");
    }
    d->modified_us = n->created_us;
    rc = 0;
  }
  pthread_mutex_unlock (&s->lock);
  return rc;
}

/* -------------------------------------------------------------- lookups */

int
fp_server_rename_lookup (fp_server *s, const char *endpoint, int64_t id,
                         const char *name)
{
  int rc = -1, k = fp_lk_from_name (endpoint);
  if (k < 0)
    return -1;
  pthread_mutex_lock (&s->lock);
  fp_lookup *l = fp_corpus_find_lookup (s->c, (fp_lk)k, id);
  char *copy = strdup (name);
  if (l && copy) {
    free (l->name);
    l->name = copy;
    copy = NULL;
    json_object_object_add (l->obj, k == FP_USERS ? "username" : "name",
                            json_object_new_string (name));
    /* The slug follows the name; no document is touched (§5.4). */
    if (json_object_object_get_ex (l->obj, "slug", NULL)) {
      fp_buf slug = {0};
      for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x80 && (isalnum (c) || c == '_' || c == '-'))
          fp_buf_addc (&slug, (char)tolower (c));
        else if (c == ' ' && slug.len && slug.p[slug.len - 1] != '-')
          fp_buf_addc (&slug, '-');
      }
      json_object_object_add (l->obj, "slug",
                              json_object_new_string (slug.p ? slug.p : ""));
      fp_buf_free (&slug);
    }
    rc = 0;
  }
  free (copy);
  pthread_mutex_unlock (&s->lock);
  return rc;
}

int
fp_server_delete_lookup (fp_server *s, const char *endpoint, int64_t id)
{
  int rc = -1, k = fp_lk_from_name (endpoint);
  if (k < 0)
    return -1;
  pthread_mutex_lock (&s->lock);
  fp_corpus *c = s->c;
  fp_lookup *l = fp_corpus_find_lookup (c, (fp_lk)k, id);
  if (l) {
    size_t i = (size_t)(l - c->lk[k]);
    fp_lookup_clear (l);
    memmove (l, l + 1, (c->n_lk[k] - i - 1) * sizeof *l);
    c->n_lk[k]--;
    /* FK → NULL, m2m rows cascade; no signal, so no bump. */
    for (size_t j = 0; j < c->n_docs; j++) {
      fp_doc *d = &c->docs[j];
      if (k == FP_CORRESPONDENTS && d->correspondent == id)
        d->correspondent = FP_NULL_ID;
      if (k == FP_DOCUMENT_TYPES && d->document_type == id)
        d->document_type = FP_NULL_ID;
      if (k == FP_STORAGE_PATHS && d->storage_path == id)
        d->storage_path = FP_NULL_ID;
      if (k == FP_TAGS)
        fp_ids_remove (&d->tags, id);
      if (k == FP_CUSTOM_FIELDS) {
        size_t o = 0;
        for (size_t f = 0; f < d->n_cfs; f++) {
          if (d->cfs[f].field == id)
            json_object_put (d->cfs[f].value);
          else
            d->cfs[o++] = d->cfs[f];
        }
        d->n_cfs = o;
      }
      if (k == FP_USERS && d->owner == id)
        d->owner = FP_NULL_ID;
    }
    if (k == FP_TAGS) /* children of a deleted tag become roots */
      for (size_t j = 0; j < c->n_lk[k]; j++)
        if (c->lk[k][j].parent == id)
          c->lk[k][j].parent = FP_NULL_ID;
    rc = 0;
  }
  pthread_mutex_unlock (&s->lock);
  return rc;
}

/* The option of a select field's extra_data.select_options named by its
 * id, or else by its index; -1 when there is none. */
static long
find_option (json_object *opts, const char *option)
{
  size_t n = json_object_array_length (opts);
  int64_t idx;
  for (size_t i = 0; i < n; i++) {
    json_object *o = json_object_array_get_idx (opts, i), *id;
    if (json_object_is_type (o, json_type_object)
        && json_object_object_get_ex (o, "id", &id)
        && json_object_is_type (id, json_type_string)
        && strcmp (json_object_get_string (id), option) == 0)
      return (long)i;
  }
  if (fp_parse_int64 (option, &idx) == 0 && idx >= 0 && (uint64_t)idx < n)
    return (long)idx;
  return -1;
}

/* A select option's new label: like a rename, no document is touched
 * (documents store the option's id, or before 2.14 its index). */
int
fp_server_relabel_option (fp_server *s, int64_t field, const char *option,
                          const char *label)
{
  int rc = -1;
  json_object *extra, *opts;
  pthread_mutex_lock (&s->lock);
  fp_lookup *f = fp_corpus_find_lookup (s->c, FP_CUSTOM_FIELDS, field);
  if (f && option && label
      && json_object_object_get_ex (f->obj, "extra_data", &extra)
      && json_object_is_type (extra, json_type_object)
      && json_object_object_get_ex (extra, "select_options", &opts)
      && json_object_is_type (opts, json_type_array)) {
    long i = find_option (opts, option);
    json_object *o
        = i >= 0 ? json_object_array_get_idx (opts, (size_t)i) : NULL;
    json_object *text = o ? json_object_new_string (label) : NULL;
    if (text && json_object_is_type (o, json_type_object))
      rc = json_object_object_add (o, "label", text) == 0 ? 0 : -1;
    else if (text) /* a plain list of labels */
      rc = json_object_array_put_idx (opts, (size_t)i, text) == 0 ? 0 : -1;
  }
  pthread_mutex_unlock (&s->lock);
  return rc;
}

/* ---------------------------------------------------------------- hooks */

static int
add_hook (fp_server *s, const char *path_prefix, unsigned nth, fp_hook_fn fn,
          void *user, const char *command)
{
  int id = -1;
  pthread_mutex_lock (&s->lock);
  fp_hook *h = realloc (s->hooks, (s->n_hooks + 1) * sizeof *h);
  if (h) {
    s->hooks = h;
    h = &h[s->n_hooks];
    memset (h, 0, sizeof *h);
    h->path_prefix = strdup (path_prefix ? path_prefix : "");
    h->command = fp_strdup0 (command);
    h->nth = nth ? nth : 1;
    h->fn = fn;
    h->user = user;
    if (h->path_prefix && (!command || h->command)) {
      id = h->id = s->next_rule_id++;
      s->n_hooks++;
    } else {
      free (h->path_prefix);
      free (h->command);
    }
  }
  pthread_mutex_unlock (&s->lock);
  return id;
}

int
fp_server_add_hook (fp_server *s, const char *path_prefix, unsigned nth,
                    fp_hook_fn fn, void *user)
{
  return add_hook (s, path_prefix, nth, fn, user, NULL);
}

int
fp_server_add_hook_command (fp_server *s, const char *path_prefix, unsigned nth,
                            const char *command)
{
  return add_hook (s, path_prefix, nth, NULL, NULL, command);
}

void
fp_hooks_after_request (fp_server *s, const char *rel_path)
{
  /* Collect the due hooks under the lock, run them without it. */
  struct due {
    fp_hook_fn fn;
    void *user;
    char *command;
  } due[16];
  size_t n = 0;
  pthread_mutex_lock (&s->lock);
  for (size_t i = 0; i < s->n_hooks && n < 16; i++) {
    fp_hook *h = &s->hooks[i];
    if (h->fired
        || strncmp (rel_path, h->path_prefix, strlen (h->path_prefix)) != 0)
      continue;
    if (++h->seen < h->nth)
      continue;
    h->fired = 1;
    due[n].fn = h->fn;
    due[n].user = h->user;
    due[n].command = fp_strdup0 (h->command);
    n++;
  }
  pthread_mutex_unlock (&s->lock);
  for (size_t i = 0; i < n; i++) {
    if (due[i].fn)
      due[i].fn (s, due[i].user);
    if (due[i].command) {
      char err[200];
      if (fp_server_command (s, due[i].command, err, sizeof err) < 0)
        fprintf (stderr, "fake-paperless: hook \"%s\": %s\n", due[i].command,
                 err);
      free (due[i].command);
    }
  }
}

/* ------------------------------------------------------------- snapshot */

size_t
fp_server_visible_ids (fp_server *s, int64_t user_id, int64_t **ids)
{
  fp_ids out = {0}, groups = {0};
  fp_view v;
  pthread_mutex_lock (&s->lock);
  fp_view_for (s, user_id, &v, &groups);
  for (size_t i = 0; i < s->c->n_docs; i++) {
    const fp_doc *d = &s->c->docs[i];
    if (!d->deleted && fp_doc_visible (&v, d, 1))
      fp_ids_push (&out, d->id);
  }
  pthread_mutex_unlock (&s->lock);
  fp_ids_free (&groups);
  *ids = out.v;
  return out.n;
}

char *
fp_server_document_json (fp_server *s, int64_t id, int version)
{
  char *json = NULL;
  fp_ids groups = {0};
  fp_view v;
  pthread_mutex_lock (&s->lock);
  const fp_doc *d = fp_corpus_find (s->c, id);
  if (d) {
    fp_view_for (s, 0, &v, &groups);
    v.superuser = 1;
    v.full_perms = 1;
    if (version)
      v.version = version;
    fp_buf b = {0};
    fp_render_document (&b, &v, d, 1);
    json = fp_buf_take (&b);
  }
  pthread_mutex_unlock (&s->lock);
  fp_ids_free (&groups);
  return json;
}

char *
fp_server_snapshot_json (fp_server *s)
{
  fp_ids groups = {0};
  fp_view v;
  fp_buf b = {0};
  size_t n = 0;
  pthread_mutex_lock (&s->lock);
  fp_view_for (s, 0, &v, &groups);
  fp_buf_adds (&b, "\"documents\":[");
  for (size_t i = 0; i < s->c->n_docs; i++) {
    const fp_doc *d = &s->c->docs[i];
    if (d->deleted || !fp_doc_visible (&v, d, 1))
      continue;
    fp_buf_printf (&b, "%s{\"id\":%lld,\"modified\":\"", n ? "," : "",
                   (long long)d->id);
    fp_buf_datetime (&b, d->modified_us, s->tz, 1);
    fp_buf_adds (&b, "\"}");
    n++;
  }
  pthread_mutex_unlock (&s->lock);
  fp_ids_free (&groups);
  fp_buf out = {0};
  fp_buf_printf (&out, "{\"count\":%zu,", n);
  fp_buf_add (&out, b.p ? b.p : "", b.len);
  fp_buf_adds (&out, "]}");
  fp_buf_free (&b);
  return fp_buf_take (&out);
}
