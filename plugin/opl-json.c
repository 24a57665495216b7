/* opl-json.c: parsing and walking untrusted JSON with json-c.
 *
 * json-c's getters convert silently (get_int64 on a string parses it, on a
 * missing key returns 0): every helper here checks the type first. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "opl.h"

/* Parse `len` bytes of text with `tok` (see opl_json_parse). */
static json_object *parse_with (json_tokener *tok, const char *text, size_t len,
                                char *err, size_t errlen);

json_object *
opl_json_parse (const char *text, size_t len, char *err, size_t errlen)
{
  json_tokener *tok;
  json_object *root;

  if (len == 0) {
    opl_fail (err, errlen, OMNI_ERR_INVALID,
              "empty body where JSON was expected");
    return NULL;
  }
  tok = json_tokener_new_ex (OPL_JSON_MAX_DEPTH);
  if (tok == NULL) {
    opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
    return NULL;
  }
  root = parse_with (tok, text, len, err, errlen);
  json_tokener_free (tok);
  return root;
}

/* Have the tokener parse a string of n 'x's: its string buffer then holds
 * them from its start, overwriting what it held, and is at least n + 1
 * bytes long. */
static bool
tokener_fill (json_tokener *tok, size_t n)
{
  char *filler = malloc (n + 2);
  json_object *o;
  if (filler == NULL)
    return false;
  filler[0] = '"';
  memset (filler + 1, 'x', n);
  filler[n + 1] = '"';
  json_tokener_reset (tok);
  o = json_tokener_parse_ex (tok, filler, (int)(n + 2));
  json_object_put (o);
  json_tokener_reset (tok);
  free (filler);
  return o != NULL;
}

json_object *
opl_json_parse_secret (const char *text, size_t len, char *err, size_t errlen)
{
  json_tokener *tok;
  json_object *root = NULL;

  if (len == 0 || len > INT32_MAX - 2)
    return opl_json_parse (text, len, err, errlen);
  tok = json_tokener_new_ex (OPL_JSON_MAX_DEPTH);
  if (tok == NULL) {
    opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
    return NULL;
  }
  /* json-c builds each string in one growing buffer, freed without being
   * cleared: grow it first to more than any string of the text (so no
   * copy of a secret is left behind by a realloc), and overwrite it
   * afterwards. */
  if (!tokener_fill (tok, len)) {
    opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
    goto cleanup;
  }
  root = parse_with (tok, text, len, err, errlen);
  if (!tokener_fill (tok, len)) {
    json_object_put (root);
    root = NULL;
    opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
  }

cleanup:
  json_tokener_free (tok);
  return root;
}

static json_object *
parse_with (json_tokener *tok, const char *text, size_t len, char *err,
            size_t errlen)
{
  json_object *root = NULL;

  if (len == 0) {
    opl_fail (err, errlen, OMNI_ERR_INVALID,
              "empty body where JSON was expected");
    return NULL;
  }
  if (len > INT32_MAX) {
    opl_fail (err, errlen, OMNI_ERR_INVALID, "JSON body too large (%zu bytes)",
              len);
    return NULL;
  }
  json_tokener_set_flags (tok, JSON_TOKENER_STRICT);
  root = json_tokener_parse_ex (tok, text, (int)len);
  enum json_tokener_error jerr = json_tokener_get_error (tok);
  size_t end = json_tokener_get_parse_end (tok);
  if (root == NULL && jerr == json_tokener_continue) {
    /* A top-level number ends only at its terminator: supply one. */
    root = json_tokener_parse_ex (tok, "", 1);
    jerr = json_tokener_get_error (tok);
    end = len;
  }
  if (root == NULL || jerr != json_tokener_success) {
    if (jerr == json_tokener_continue)
      opl_fail (err, errlen, OMNI_ERR_INVALID,
                "truncated JSON (%zu bytes, document not finished)", len);
    else
      opl_fail (err, errlen, OMNI_ERR_INVALID, "malformed JSON at byte %zu: %s",
                end, json_tokener_error_desc (jerr));
    json_object_put (root);
    root = NULL;
    goto cleanup;
  }
  /* Trailing garbage: anything but white space after the value. */
  for (size_t i = end; i < len; i++) {
    char c = text[i];
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      opl_fail (err, errlen, OMNI_ERR_INVALID,
                "trailing data after JSON at byte %zu", i);
      json_object_put (root);
      root = NULL;
      goto cleanup;
    }
  }

cleanup:
  return root;
}

bool
opl_json_as_int (json_object *v, int64_t *out)
{
  if (v == NULL || !json_object_is_type (v, json_type_int))
    return false;
  errno = 0;
  int64_t n = json_object_get_int64 (v);
  if (errno != 0)
    return false;
  /* json-c clamps values beyond int64 to the limits: refuse those, and
   * values that arrived as unsigned 64-bit beyond INT64_MAX. */
  if (n == INT64_MAX || n == INT64_MIN) {
    const char *txt = json_object_to_json_string (v);
    if (txt == NULL
        || (strcmp (txt, "9223372036854775807") != 0
            && strcmp (txt, "-9223372036854775808") != 0))
      return false;
  }
  *out = n;
  return true;
}

static json_object *
child (json_object *obj, const char *key)
{
  json_object *v = NULL;
  if (obj == NULL || !json_object_is_type (obj, json_type_object))
    return NULL;
  if (!json_object_object_get_ex (obj, key, &v))
    return NULL;
  return v;
}

bool
opl_json_get_int (json_object *obj, const char *key, int64_t *out)
{
  return opl_json_as_int (child (obj, key), out);
}

bool
opl_json_get_string (json_object *obj, const char *key, const char **out,
                     size_t *len)
{
  json_object *v = child (obj, key);
  if (v == NULL || !json_object_is_type (v, json_type_string))
    return false;
  *out = json_object_get_string (v);
  if (len)
    *len = (size_t)json_object_get_string_len (v);
  return true;
}

bool
opl_json_get_bool (json_object *obj, const char *key, bool *out)
{
  json_object *v = child (obj, key);
  if (v == NULL || !json_object_is_type (v, json_type_boolean))
    return false;
  *out = json_object_get_boolean (v) != 0;
  return true;
}

json_object *
opl_json_get_array (json_object *obj, const char *key)
{
  json_object *v = child (obj, key);
  return v && json_object_is_type (v, json_type_array) ? v : NULL;
}

json_object *
opl_json_get_object (json_object *obj, const char *key)
{
  json_object *v = child (obj, key);
  return v && json_object_is_type (v, json_type_object) ? v : NULL;
}

bool
opl_json_is_null (json_object *obj, const char *key)
{
  json_object *v = NULL;
  if (obj == NULL || !json_object_is_type (obj, json_type_object))
    return false;
  return json_object_object_get_ex (obj, key, &v) && v == NULL;
}

char *
opl_json_to_text (json_object *obj)
{
  const char *s = json_object_to_json_string_ext (
      obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  return s ? strdup (s) : NULL;
}
