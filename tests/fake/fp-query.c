/* fp-query.c: list endpoints: StandardPagination (§4) around
 * /api/documents/, /api/trash/ and the lookup lists (§6). */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp-internal.h"

#define US_PER_DAY INT64_C (86400000000)
#define PAGE_SIZE 25
#define MAX_PAGE_SIZE 100000

void
fp_http_json (fp_http *r, int status, const char *json)
{
  free (r->body);
  r->status = status;
  r->body = strdup (json);
  r->len = r->body ? strlen (r->body) : 0;
  r->content_type = "application/json";
}

/* ------------------------------------------------------------ pagination */

typedef struct pager {
  size_t n;
  void *ctx;
  int64_t (*id) (void *ctx, size_t i);
  void (*render) (fp_buf *b, void *ctx, size_t i);
  const char *extra; /* raw JSON members appended after results */
} pager;

static void
link (fp_buf *b, const fp_list_req *lr, const char *page)
{
  fp_buf_addc (b, '"');
  fp_buf json = {0};
  fp_buf_adds (&json, lr->self_url);
  fp_buf q = {0};
  fp_query_reencode (&q, lr->q, "page", page);
  if (q.len) {
    fp_buf_addc (&json, '?');
    fp_buf_add (&json, q.p, q.len);
  }
  /* URLs hold no characters JSON must escape except possibly '"'. */
  fp_buf tmp = {0};
  fp_buf_json_str (&tmp, json.p ? json.p : "", json.len);
  fp_buf_add (b, tmp.p + 1, tmp.len - 2);
  fp_buf_free (&tmp);
  fp_buf_free (&q);
  fp_buf_free (&json);
  fp_buf_addc (b, '"');
}

/* DRF's _positive_int(strict=True, cutoff=100000), default 25. */
static size_t
page_size (const fp_query *q)
{
  const char *s = fp_query_get (q, "page_size");
  int64_t v;
  if (!s || fp_parse_int64 (s, &v) < 0 || v <= 0)
    return PAGE_SIZE;
  return v > MAX_PAGE_SIZE ? MAX_PAGE_SIZE : (size_t)v;
}

static void
paginate (fp_http *r, const fp_list_req *lr, const pager *p, int with_all)
{
  const fp_view *v = lr->v;
  size_t size = page_size (lr->q);
  size_t pages = p->n ? (p->n + size - 1) / size : 1;
  const char *ps = fp_query_get (lr->q, "page");
  int64_t page = 1;
  if (ps && strcmp (ps, "last") == 0)
    page = (int64_t)pages;
  else if (ps
           && (fp_parse_int64 (ps, &page) < 0 || page < 1
               || (uint64_t)page > pages)) {
    fp_http_json (r, 404, "{\"detail\":\"Invalid page.\"}");
    return;
  }
  fp_buf b = {0};
  fp_buf_printf (&b, "{\"count\":%zu,\"next\":", p->n);
  char num[32];
  if ((uint64_t)page < pages) {
    snprintf (num, sizeof num, "%lld", (long long)page + 1);
    link (&b, lr, num);
  } else
    fp_buf_adds (&b, "null");
  fp_buf_adds (&b, ",\"previous\":");
  if (page > 1) {
    snprintf (num, sizeof num, "%lld", (long long)page - 1);
    link (&b, lr, page == 2 ? NULL : num);
  } else
    fp_buf_adds (&b, "null");
  if (with_all && v->version < 10 && fp_gen_at_least (v->gen, 1, 14, 5)) {
    fp_buf_adds (&b, ",\"all\":[");
    for (size_t i = 0; i < p->n; i++) {
      if (i)
        fp_buf_addc (&b, ',');
      fp_buf_int (&b, p->id (p->ctx, i));
    }
    fp_buf_addc (&b, ']');
  }
  fp_buf_adds (&b, ",\"results\":[");
  size_t start = (size_t)(page - 1) * size;
  for (size_t i = start; i < p->n && i < start + size; i++) {
    if (i > start)
      fp_buf_addc (&b, ',');
    p->render (&b, p->ctx, i);
  }
  fp_buf_addc (&b, ']');
  if (p->extra)
    fp_buf_adds (&b, p->extra);
  fp_buf_addc (&b, '}');
  free (r->body);
  r->status = 200;
  r->len = b.len;
  r->body = fp_buf_take (&b);
  r->content_type = "application/json";
  if (!r->body)
    fp_http_json (r, 500, "{\"detail\":\"out of memory\"}");
}

/* ------------------------------------------------------------- documents */

typedef struct doc_page {
  const fp_view *v;
  const fp_doc **items;
} doc_page;

static int64_t
doc_id (void *ctx, size_t i)
{
  return ((doc_page *)ctx)->items[i]->id;
}

static void
doc_render (fp_buf *b, void *ctx, size_t i)
{
  doc_page *p = ctx;
  fp_render_document (b, p->v, p->items[i], 0);
}

void
fp_list_documents (fp_http *r, const fp_list_req *lr, int trash)
{
  const fp_view *v = lr->v;
  const fp_corpus *c = v->c;
  fp_buf err = {0};
  const fp_doc **items = malloc ((c->n_docs ? c->n_docs : 1) * sizeof *items);
  size_t n = 0;
  if (!items) {
    fp_http_json (r, 500, "{\"detail\":\"out of memory\"}");
    return;
  }
  for (size_t i = 0; i < c->n_docs; i++) {
    const fp_doc *d = &c->docs[i];
    /* The trash lists only owned or unowned documents (§9). */
    if (d->deleted == trash && fp_doc_visible (v, d, !trash))
      items[n++] = d;
  }
  if (!trash && fp_filter_documents (v, lr->q, items, &n, &err) < 0) {
    fp_http_json (r, 400, err.p);
    goto cleanup;
  }
  fp_sort_documents (v, fp_query_get (lr->q, "ordering"), trash, items, n);
  doc_page dp = {v, items};
  pager p = {n, &dp, doc_id, doc_render, NULL};
  paginate (r, lr, &p, 1);
cleanup:
  fp_buf_free (&err);
  free (items);
}

/* --------------------------------------------------------------- lookups */

typedef struct lk_page {
  const fp_view *v;
  fp_lk k;
  size_t *idx; /* positions in c->lk[k] */
  const int64_t *counts;
} lk_page;

static int64_t
lk_id (void *ctx, size_t i)
{
  lk_page *p = ctx;
  return p->v->c->lk[p->k][p->idx[i]].id;
}

static void
lk_render (fp_buf *b, void *ctx, size_t i)
{
  lk_page *p = ctx;
  fp_render_lookup (b, p->v, p->k, p->idx[i], p->counts);
}

typedef struct lk_sort {
  const fp_corpus *c;
  fp_lk k;
  const int64_t *counts;
  int key; /* 0 name, 1 id, 2 document_count, 3 matching_algorithm,
             4 match */
  int desc;
} lk_sort;

static int
cmp_num (int64_t a, int64_t b)
{
  return a < b ? -1 : a > b;
}

static int
cmp_lk (const void *pa, const void *pb, void *pctx)
{
  const lk_sort *s = pctx;
  size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
  const fp_lookup *a = &s->c->lk[s->k][ia], *b = &s->c->lk[s->k][ib];
  int r = 0;
  switch (s->key) {
    case 0:
      r = strcasecmp (a->name, b->name);
      break;
    case 1:
      r = cmp_num (a->id, b->id);
      break;
    case 2:
      r = cmp_num (s->counts[ia], s->counts[ib]);
      break;
    case 3:
      r = cmp_num (fp_lk_int (a, "matching_algorithm", 0),
                   fp_lk_int (b, "matching_algorithm", 0));
      break;
    default:
      r = strcmp (fp_lk_str (a, "match", ""), fp_lk_str (b, "match", ""));
  }
  if (s->desc)
    r = -r;
  return r ? r : cmp_num (a->id, b->id);
}

/* document_count: documents the requester can see (and not trashed). */
static void
count_documents (const fp_view *v, fp_lk k, int64_t *counts)
{
  const fp_corpus *c = v->c;
  for (size_t i = 0; i < c->n_docs; i++) {
    const fp_doc *d = &c->docs[i];
    if (d->deleted || !fp_doc_visible (v, d, 1))
      continue;
    for (size_t j = 0; j < c->n_lk[k]; j++) {
      int64_t id = c->lk[k][j].id;
      int hit = 0;
      switch (k) {
        case FP_TAGS:
          hit = fp_ids_has (&d->tags, id);
          break;
        case FP_CORRESPONDENTS:
          hit = d->correspondent == id;
          break;
        case FP_DOCUMENT_TYPES:
          hit = d->document_type == id;
          break;
        case FP_STORAGE_PATHS:
          hit = d->storage_path == id;
          break;
        case FP_CUSTOM_FIELDS:
          for (size_t f = 0; f < d->n_cfs && !hit; f++)
            hit = d->cfs[f].field == id;
          break;
        default:
          break;
      }
      counts[j] += hit;
    }
  }
}

void
fp_list_lookups (fp_http *r, const fp_list_req *lr, fp_lk k)
{
  const fp_view *v = lr->v;
  const fp_corpus *c = v->c;
  size_t total = c->n_lk[k], n = 0;
  size_t *idx = calloc (total + 1, sizeof *idx);
  int64_t *counts = calloc (total + 1, sizeof *counts);
  fp_ids want_ids = {0};
  char extra[64] = "";
  if (!idx || !counts) {
    fp_http_json (r, 500, "{\"detail\":\"out of memory\"}");
    goto cleanup;
  }
  count_documents (v, k, counts);
  const char *s_id = fp_query_get (lr->q, "id");
  const char *s_in = fp_query_get (lr->q, "id__in");
  int64_t one = 0;
  if (s_id && *s_id && fp_parse_int64 (s_id, &one) < 0) {
    fp_http_json (r, 400, "{\"id\":[\"Enter a number.\"]}");
    goto cleanup;
  }
  if (s_in && fp_parse_id_list (s_in, &want_ids) < 0) {
    fp_http_json (r, 400, "{\"id__in\":[\"Enter a number.\"]}");
    goto cleanup;
  }
  const char *is_root = fp_query_get (lr->q, "is_root");
  for (size_t i = 0; i < total; i++) {
    const fp_lookup *l = &c->lk[k][i];
    if (!fp_lookup_visible (v, k, l))
      continue;
    if (s_id && *s_id && l->id != one)
      continue;
    if (want_ids.n && !fp_ids_has (&want_ids, l->id))
      continue;
    int ok = fp_lookup_name_ok (lr->q, l->name);
    if (k == FP_TAGS && is_root
        && (!strcmp (is_root, "true") || !strcmp (is_root, "1")))
      ok = ok && l->parent == FP_NULL_ID;
    if (ok)
      idx[n++] = i;
  }
  lk_sort ls = {c, k, counts, 0, 0};
  const char *ord = fp_query_get (lr->q, "ordering");
  if (ord) {
    const char *t = ord;
    int desc = *t == '-';
    t += desc;
    int key_ = !strcmp (t, "name")                 ? 0
               : !strcmp (t, "id")                 ? 1
               : !strcmp (t, "document_count")     ? 2
               : !strcmp (t, "matching_algorithm") ? 3
               : !strcmp (t, "match")              ? 4
                                                   : -1;
    if (key_ >= 0) {
      ls.key = key_;
      ls.desc = desc;
    }
  }
  qsort_r (idx, n, sizeof *idx, cmp_lk, &ls);
  if (k == FP_TAGS && fp_gen_at_least (v->gen, 2, 19, 0)) {
    /* Tags whose parent is not in the list are the ones a UI shows. */
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
      const fp_lookup *t = &c->lk[k][idx[i]];
      int parent_listed = 0;
      for (size_t j = 0; j < n && t->parent != FP_NULL_ID; j++)
        parent_listed |= c->lk[k][idx[j]].id == t->parent;
      shown += !parent_listed;
    }
    snprintf (extra, sizeof extra, ",\"display_count\":%zu", shown);
  }
  lk_page lp = {v, k, idx, counts};
  pager p = {n, &lp, lk_id, lk_render, extra[0] ? extra : NULL};
  paginate (r, lr, &p, 1);
cleanup:
  fp_ids_free (&want_ids);
  free (idx);
  free (counts);
}
