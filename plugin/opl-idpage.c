/* opl-idpage.c: a page of an id listing read without building its tree.
 *
 * An id listing page (`fields=id` or `fields=id,modified`) holds up to
 * list_page_size items, 10,000 by default: as one json-c tree that is
 * 6 MB, more than all the rest of a sync holds at once.  Here the page's
 * top-level object and its "results" array are walked by hand, and every
 * value in them (each item, each other member) is parsed by json-c on its
 * own and freed at once: json-c still checks every byte, strictly, and
 * the page costs 24 bytes an item.
 *
 * The errors are those of opl_json_parse and opl_api_page_results, so a
 * broken page reads the same whichever way it was read. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "opl.h"

typedef struct reader {
  json_tokener *member_tok; /* a top-level member's value: depth 2 */
  json_tokener *item_tok;   /* an item of "results": depth 3 */
  const char *s;
  size_t len;
  size_t pos;
  char *err;
  size_t errlen;
} reader;

static void
skip_ws (reader *r)
{
  while (r->pos < r->len
         && (r->s[r->pos] == ' ' || r->s[r->pos] == '\n' || r->s[r->pos] == '\r'
             || r->s[r->pos] == '\t'))
    r->pos++;
}

static omni_status
truncated (const reader *r)
{
  return opl_fail (r->err, r->errlen, OMNI_ERR_INVALID,
                   "truncated JSON (%zu bytes, document not finished)", r->len);
}

static omni_status
malformed (const reader *r, const char *what)
{
  return opl_fail (r->err, r->errlen, OMNI_ERR_INVALID,
                   "malformed JSON at byte %zu: %s", r->pos, what);
}

/* Skip white space, then expect one of the characters of `one_of`; *c is
 * the one found. */
static omni_status
expect (reader *r, const char *one_of, const char *what, char *c)
{
  skip_ws (r);
  if (r->pos == r->len)
    return truncated (r);
  if (r->s[r->pos] == '\0' || strchr (one_of, r->s[r->pos]) == NULL)
    return malformed (r, what);
  *c = r->s[r->pos++];
  return OMNI_OK;
}

/* Parse the one JSON value at the read position (white space first) with
 * tok and move past it.  *out is NULL for a JSON null. */
static omni_status
value (reader *r, json_tokener *tok, json_object **out)
{
  enum json_tokener_error jerr;
  json_object *v;
  size_t end;

  *out = NULL;
  skip_ws (r);
  if (r->pos == r->len)
    return truncated (r);
  json_tokener_reset (tok);
  v = json_tokener_parse_ex (tok, r->s + r->pos, (int)(r->len - r->pos));
  jerr = json_tokener_get_error (tok);
  end = json_tokener_get_parse_end (tok);
  if (jerr != json_tokener_success) {
    json_object_put (v);
    if (jerr == json_tokener_continue)
      return truncated (r);
    r->pos += end;
    return malformed (r, json_tokener_error_desc (jerr));
  }
  r->pos += end;
  *out = v;
  return OMNI_OK;
}

static omni_status
add_item (opl_id_page *p, json_object *item, bool want_modified, char *err,
          size_t errlen)
{
  opl_id_item it = {0, OPL_ID_NO_MODIFIED};
  const char *mod;
  size_t modlen;
  opl_time t;

  if (!opl_json_get_int (item, "id", &it.id))
    it.id = 0;
  if (want_modified && opl_json_get_string (item, "modified", &mod, &modlen)
      && opl_time_parse (mod, modlen, &t) && !t.date_only)
    it.modified_us = opl_time_to_unix_us (&t);
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 256;
    opl_id_item *items = realloc (p->items, cap * sizeof *items);
    if (items == NULL)
      return opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
    p->items = items;
    p->cap = cap;
  }
  p->items[p->n++] = it;
  return OMNI_OK;
}

/* "results":[ ... ] with the '[' read: one item at a time. */
static omni_status
read_results (reader *r, opl_id_page *p, bool want_modified)
{
  omni_status st;
  char c = 0;

  p->n = 0; /* a repeated "results" member replaces the first, as in json-c */
  p->has_results = true;
  skip_ws (r);
  if (r->pos < r->len && r->s[r->pos] == ']') {
    r->pos++;
    return OMNI_OK;
  }
  for (;;) {
    json_object *item;
    if ((st = value (r, r->item_tok, &item)) != OMNI_OK)
      return st;
    st = add_item (p, item, want_modified, r->err, r->errlen);
    json_object_put (item);
    if (st != OMNI_OK)
      return st;
    if ((st = expect (r, ",]", "expected ',' or ']' in \"results\"", &c))
        != OMNI_OK)
      return st;
    if (c == ']')
      return OMNI_OK;
  }
}

/* One member of the top-level object; the read position is at its name. */
static omni_status
read_member (reader *r, opl_id_page *p, bool want_modified)
{
  json_object *name = NULL, *v = NULL;
  omni_status st;
  const char *key;
  char c = 0;

  skip_ws (r);
  if (r->pos < r->len && r->s[r->pos] != '"')
    return malformed (r, "expected a member name");
  if ((st = value (r, r->member_tok, &name)) != OMNI_OK)
    goto cleanup;
  key = json_object_get_string (name);
  if ((st = expect (r, ":", "expected ':' after a member name", &c)) != OMNI_OK)
    goto cleanup;
  skip_ws (r);
  if (strcmp (key, "results") == 0 && r->pos < r->len && r->s[r->pos] == '[') {
    r->pos++;
    st = read_results (r, p, want_modified);
    goto cleanup;
  }
  if ((st = value (r, r->member_tok, &v)) != OMNI_OK)
    goto cleanup;
  if (strcmp (key, "count") == 0)
    p->has_count = opl_json_as_int (v, &p->count);
  else if (strcmp (key, "next") == 0)
    p->has_next = json_object_is_type (v, json_type_string)
                  && json_object_get_string_len (v) > 0;
  else if (strcmp (key, "results") == 0) {
    p->has_results = false; /* not a list */
    p->n = 0;
  }

cleanup:
  json_object_put (name);
  json_object_put (v);
  return st;
}

/* A body that does not start with '{': parse it whole to say whether it
 * is broken JSON or JSON of the wrong type. */
static omni_status
not_an_object (reader *r)
{
  json_object *v = opl_json_parse (r->s, r->len, r->err, r->errlen);

  if (v == NULL)
    return OMNI_ERR_INVALID;
  json_object_put (v);
  return opl_fail (r->err, r->errlen, OMNI_ERR_INVALID,
                   "list response is not a JSON object");
}

omni_status
opl_id_page_parse (opl_id_page *p, const char *text, size_t len,
                   bool want_modified, char *err, size_t errlen)
{
  reader r = {NULL, NULL, text, len, 0, err, errlen};
  omni_status st;
  char c = 0;

  p->n = 0;
  p->count = 0;
  p->has_count = p->has_next = p->has_results = false;
  if (len == 0)
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "empty body where JSON was expected");
  if (len > INT32_MAX)
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "JSON body too large (%zu bytes)", len);
  skip_ws (&r);
  if (r.pos == len)
    return truncated (&r);
  if (text[r.pos] != '{')
    return not_an_object (&r);
  r.pos++;
  /* The same depth limit as the whole page parsed at once: a member's
   * value sits one level down, an item two. */
  r.member_tok = json_tokener_new_ex (OPL_JSON_MAX_DEPTH - 1);
  r.item_tok = json_tokener_new_ex (OPL_JSON_MAX_DEPTH - 2);
  if (r.member_tok == NULL || r.item_tok == NULL) {
    st = opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
    goto cleanup;
  }
  json_tokener_set_flags (
      r.member_tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
  json_tokener_set_flags (r.item_tok, JSON_TOKENER_STRICT
                                          | JSON_TOKENER_ALLOW_TRAILING_CHARS);
  skip_ws (&r);
  if (r.pos < len && text[r.pos] == '}')
    r.pos++;
  else
    for (;;) {
      if ((st = read_member (&r, p, want_modified)) != OMNI_OK)
        goto cleanup;
      if ((st = expect (&r, ",}", "expected ',' or '}' after a member", &c))
          != OMNI_OK)
        goto cleanup;
      if (c == '}')
        break;
    }
  skip_ws (&r);
  if (r.pos < len) {
    st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                   "trailing data after JSON at byte %zu", r.pos);
    goto cleanup;
  }
  if (!p->has_count || p->count < 0)
    st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                   "list response has no valid \"count\"");
  else if (!p->has_results)
    st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                   "list response has no \"results\" list");
  else
    st = OMNI_OK;

cleanup:
  if (r.member_tok)
    json_tokener_free (r.member_tok);
  if (r.item_tok)
    json_tokener_free (r.item_tok);
  return st;
}

int64_t
opl_id_page_max_id (const opl_id_page *p)
{
  int64_t max = 0;

  for (size_t i = 0; i < p->n; i++)
    if (p->items[i].id > max)
      max = p->items[i].id;
  return max;
}

void
opl_id_page_free (opl_id_page *p)
{
  free (p->items);
  memset (p, 0, sizeof *p);
}
