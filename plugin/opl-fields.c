/* opl-fields.c: custom-field values as a person reads them.
 *
 * Every data type Paperless has had (paperless-api.md §8), in every
 * encoding a server generation sends: select values as option ids (API >= 7,
 * and 2.14.0-2.14.5 for every version) or option indexes (API < 7, 2.11-2.13)
 * against options that are {id,label} objects or plain labels; monetary as
 * "EUR1234.50", a bare decimal string, or a JSON number (before 2.6).  The
 * JSON type of the value decides which encoding is meant, which covers the
 * servers that ignore the API version too.  A value that fits none of
 * these is shown raw and logged once per (field, shape). */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opl-map-extra.h"

/* ---- Logged-once set ---------------------------------------------------- */

bool
opl_seen_first (opl_seen *s, uint64_t key)
{
  size_t lo = 0, hi = s->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->keys[mid] == key)
      return false;
    if (s->keys[mid] < key)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (s->count >= OPL_SEEN_MAX)
    return false;
  if (s->count == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    uint64_t *p = realloc (s->keys, cap * sizeof *p);
    if (p == NULL)
      return false;
    s->keys = p;
    s->cap = cap;
  }
  memmove (s->keys + lo + 1, s->keys + lo, (s->count - lo) * sizeof *s->keys);
  s->keys[lo] = key;
  s->count++;
  return true;
}

void
opl_seen_free (opl_seen *s)
{
  free (s->keys);
  memset (s, 0, sizeof *s);
}

/* ---- Numbers ------------------------------------------------------------ */

/* Copy printf output to buf with whatever the C locale uses as decimal
 * point (possibly several bytes) turned into '.'. */
static void
delocalize (const char *in, char *buf, size_t buflen)
{
  size_t o = 0;
  for (const char *p = in; *p && o + 1 < buflen; p++) {
    char c = *p;
    if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e')
      buf[o++] = c;
    else if (o == 0 || buf[o - 1] != '.')
      buf[o++] = '.';
  }
  buf[o] = '\0';
}

void
opl_format_double (double v, char *buf, size_t buflen)
{
  char tmp[512];
  double a = fabs (v);

  if (buf == NULL || buflen == 0)
    return;
  if (!isfinite (v)) {
    snprintf (buf, buflen, "%s",
              isnan (v) ? "NaN"
              : v > 0   ? "Infinity"
                        : "-Infinity");
    return;
  }
  if (a == 0) {
    snprintf (buf, buflen, "0");
    return;
  }
  /* The shortest text that reads back as v; strtod and snprintf share the
   * locale, so the round trip is exact in any locale. */
  if (a >= 1e-9 && a < 1e15) {
    /* Most values people type round-trip in 15 significant digits: one
     * try before the search. */
    snprintf (tmp, sizeof tmp, "%.15g", v);
    if (strchr (tmp, 'e') == NULL && strtod (tmp, NULL) == v) {
      delocalize (tmp, buf, buflen);
      return;
    }
    for (int d = 0; d <= 30; d++) {
      snprintf (tmp, sizeof tmp, "%.*f", d, v);
      if (strtod (tmp, NULL) == v)
        break;
    }
  } else {
    for (int p = 1; p <= 17; p++) {
      snprintf (tmp, sizeof tmp, "%.*g", p, v);
      if (strtod (tmp, NULL) == v)
        break;
    }
  }
  delocalize (tmp, buf, buflen);
}

void
opl_buf_put_int (opl_buf *out, int64_t n)
{
  char buf[24];
  size_t i = sizeof buf;
  /* Negate in unsigned arithmetic: INT64_MIN has no positive twin. */
  uint64_t u = n < 0 ? 0 - (uint64_t)n : (uint64_t)n;
  do {
    buf[--i] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (n < 0)
    buf[--i] = '-';
  opl_buf_append (out, buf + i, sizeof buf - i);
}

static void
put_double (opl_buf *out, double v)
{
  char num[64];
  opl_format_double (v, num, sizeof num);
  opl_buf_puts (out, num);
}

/* ---- Generic and raw display -------------------------------------------- */

static void
put_string_value (opl_buf *out, json_object *v)
{
  opl_utf8_append_repaired (out, json_object_get_string (v),
                            (size_t)json_object_get_string_len (v));
}

/* Any JSON value in the most readable form that says exactly what it is. */
static void
put_raw (opl_buf *out, json_object *v)
{
  int64_t n;
  const char *txt;

  switch (json_object_get_type (v)) {
    case json_type_string:
      put_string_value (out, v);
      return;
    case json_type_boolean:
      opl_buf_puts (out, json_object_get_boolean (v) ? "yes" : "no");
      return;
    case json_type_int:
      if (opl_json_as_int (v, &n)) {
        opl_buf_put_int (out, n);
        return;
      }
      break; /* beyond int64: the JSON text */
    case json_type_double:
      put_double (out, json_object_get_double (v));
      return;
    default:
      break;
  }
  txt = json_object_to_json_string_ext (
      v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  if (txt)
    opl_utf8_append_repaired (out, txt, strlen (txt));
}

static bool
is_empty (json_object *v)
{
  switch (json_object_get_type (v)) {
    case json_type_null:
      return true;
    case json_type_string:
      return json_object_get_string_len (v) == 0;
    case json_type_array:
      return json_object_array_length (v) == 0;
    default:
      return false;
  }
}

/* ---- Data types --------------------------------------------------------- */

typedef enum dtype {
  DT_NONE = 0, /* no definition: the field is unknown */
  DT_UNKNOWN,  /* a definition with a type this plugin does not know */
  DT_STRING,
  DT_LONGTEXT,
  DT_URL,
  DT_DATE,
  DT_BOOLEAN,
  DT_INTEGER,
  DT_FLOAT,
  DT_MONETARY,
  DT_DOCUMENTLINK,
  DT_SELECT
} dtype;

static const struct {
  const char *name;
  dtype type;
} dtype_names[] = {
    {"string", DT_STRING},
    {"longtext", DT_LONGTEXT},
    {"url", DT_URL},
    {"date", DT_DATE},
    {"boolean", DT_BOOLEAN},
    {"integer", DT_INTEGER},
    {"float", DT_FLOAT},
    {"monetary", DT_MONETARY},
    {"documentlink", DT_DOCUMENTLINK},
    {"select", DT_SELECT},
};

static dtype
dtype_of (const opl_lookup *def)
{
  if (def == NULL)
    return DT_NONE;
  if (def->data_type == NULL)
    return DT_UNKNOWN;
  for (size_t i = 0; i < sizeof dtype_names / sizeof dtype_names[0]; i++)
    if (strcmp (def->data_type, dtype_names[i].name) == 0)
      return dtype_names[i].type;
  return DT_UNKNOWN;
}

static bool
fmt_text (json_object *v, opl_buf *out)
{
  if (!json_object_is_type (v, json_type_string))
    return false;
  put_string_value (out, v);
  return true;
}

static bool
fmt_date (json_object *v, opl_buf *out)
{
  opl_time t;
  char buf[16];

  if (!json_object_is_type (v, json_type_string)
      || !opl_time_parse (json_object_get_string (v),
                          (size_t)json_object_get_string_len (v), &t))
    return false;
  opl_time_format_date (&t, buf, sizeof buf);
  opl_buf_puts (out, buf);
  return true;
}

static bool
fmt_boolean (json_object *v, opl_buf *out)
{
  if (!json_object_is_type (v, json_type_boolean))
    return false;
  opl_buf_puts (out, json_object_get_boolean (v) ? "yes" : "no");
  return true;
}

static bool
fmt_integer (json_object *v, opl_buf *out)
{
  int64_t n;
  if (!opl_json_as_int (v, &n))
    return false;
  opl_buf_put_int (out, n);
  return true;
}

static bool
fmt_float (json_object *v, opl_buf *out)
{
  if (json_object_is_type (v, json_type_double)) {
    put_double (out, json_object_get_double (v));
    return true;
  }
  return fmt_integer (v, out);
}

/* "12", "-12.5", "1000.00": an optional '-', digits, optionally '.' and
 * digits. */
static bool
is_decimal (const char *s, size_t len)
{
  size_t i = 0, int_digits = 0, frac_digits = 0;
  if (i < len && s[i] == '-')
    i++;
  while (i < len && s[i] >= '0' && s[i] <= '9') {
    i++;
    int_digits++;
  }
  if (i < len && s[i] == '.') {
    i++;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
      i++;
      frac_digits++;
    }
    if (frac_digits == 0)
      return false;
  }
  return i == len && int_digits > 0;
}

/* The field's default currency, or NULL. */
static const char *
default_currency (const opl_lookup *def)
{
  const char *cur;
  size_t len;
  if (def == NULL
      || !opl_json_get_string (def->extra, "default_currency", &cur, &len)
      || len == 0)
    return NULL;
  return cur;
}

static void
put_currency (opl_buf *out, const char *cur)
{
  if (cur) {
    opl_buf_putc (out, ' ');
    opl_utf8_append_repaired (out, cur, strlen (cur));
  }
}

/* "EUR1234.50" -> "1234.50 EUR"; "12.5" -> "12.5 <default currency>";
 * 12.5 (JSON number, before 2.6) -> likewise. */
static bool
fmt_monetary (const opl_lookup *def, json_object *v, opl_buf *out)
{
  const char *s;
  size_t len;

  switch (json_object_get_type (v)) {
    case json_type_int:
    case json_type_double:
      if (!fmt_float (v, out))
        return false;
      put_currency (out, default_currency (def));
      return true;
    case json_type_string:
      break;
    default:
      return false;
  }
  s = json_object_get_string (v);
  len = (size_t)json_object_get_string_len (v);
  if (len > 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
      && s[2] >= 'A' && s[2] <= 'Z' && is_decimal (s + 3, len - 3)) {
    opl_buf_append (out, s + 3, len - 3);
    opl_buf_putc (out, ' ');
    opl_buf_append (out, s, 3);
    return true;
  }
  if (!is_decimal (s, len))
    return false;
  opl_buf_append (out, s, len);
  put_currency (out, default_currency (def));
  return true;
}

static void
put_doc_ref (const opl_field_env *env, int64_t id, opl_buf *out)
{
  const char *title
      = env->doc_title ? env->doc_title (env->doc_title_ud, id) : NULL;
  if (title && title[0]) {
    opl_utf8_append_repaired (out, title, strlen (title));
    opl_buf_printf (out, " (#%lld)", (long long)id);
  } else {
    opl_buf_printf (out, "#%lld", (long long)id);
  }
}

static bool
fmt_documentlink (const opl_field_env *env, json_object *v, opl_buf *out)
{
  int64_t id;

  if (!json_object_is_type (v, json_type_array))
    return false;
  size_t n = json_object_array_length (v);
  for (size_t i = 0; i < n; i++)
    if (!opl_json_as_int (json_object_array_get_idx (v, i), &id))
      return false;
  for (size_t i = 0; i < n; i++) {
    opl_json_as_int (json_object_array_get_idx (v, i), &id);
    if (i)
      opl_buf_puts (out, ", ");
    put_doc_ref (env, id, out);
  }
  return true;
}

/* The label of one element of select_options: a plain label (2.11-2.13,
 * and API < 7) or an {id,label} object. */
static json_object *
option_label (json_object *opt)
{
  if (json_object_is_type (opt, json_type_string))
    return opt;
  json_object *label = NULL;
  if (json_object_is_type (opt, json_type_object)
      && json_object_object_get_ex (opt, "label", &label)
      && json_object_is_type (label, json_type_string))
    return label;
  return NULL;
}

static bool
str_eq (json_object *a, const char *s, size_t len)
{
  return json_object_is_type (a, json_type_string)
         && (size_t)json_object_get_string_len (a) == len
         && memcmp (json_object_get_string (a), s, len) == 0;
}

static json_object *
select_by_id (json_object *opts, const char *s, size_t len)
{
  size_t n = json_object_array_length (opts);
  for (size_t i = 0; i < n; i++) {
    json_object *opt = json_object_array_get_idx (opts, i), *id = NULL;
    if (json_object_is_type (opt, json_type_object)
        && json_object_object_get_ex (opt, "id", &id) && str_eq (id, s, len))
      return option_label (opt);
  }
  /* Not an id: a server that stored the label itself. */
  for (size_t i = 0; i < n; i++) {
    json_object *label = option_label (json_object_array_get_idx (opts, i));
    if (label && str_eq (label, s, len))
      return label;
  }
  return NULL;
}

static bool
fmt_select (const opl_lookup *def, json_object *v, opl_buf *out)
{
  json_object *opts
      = def ? opl_json_get_array (def->extra, "select_options") : NULL;
  json_object *label = NULL;
  int64_t idx;

  if (opts == NULL)
    return false;
  if (json_object_is_type (v, json_type_string))
    label = select_by_id (opts, json_object_get_string (v),
                          (size_t)json_object_get_string_len (v));
  else if (opl_json_as_int (v, &idx) && idx >= 0
           && (uint64_t)idx < json_object_array_length (opts))
    label = option_label (json_object_array_get_idx (opts, (size_t)idx));
  if (label == NULL)
    return false;
  put_string_value (out, label);
  return true;
}

/* ---- Entry point -------------------------------------------------------- */

static void
log_odd (const opl_field_env *env, int64_t field_id, const opl_lookup *def,
         dtype dt, json_object *v)
{
  json_type jt = json_object_get_type (v);
  uint64_t key = ((uint64_t)field_id << 8) | ((uint64_t)dt << 4) | (uint64_t)jt;

  if (env->log == NULL || env->seen == NULL || !opl_seen_first (env->seen, key))
    return;
  opl_logf (env->log, OMNI_LOG_WARNING,
            "custom field \"%s\" (id %lld, type %s): a %s value this plugin "
            "cannot interpret (first seen on document %lld); shown as "
            "received",
            def && def->name ? def->name : "?", (long long)field_id,
            def && def->data_type ? def->data_type : "unknown",
            json_type_to_name (jt), (long long)env->doc_id);
}

bool
opl_field_format (const opl_field_env *env, int64_t field_id,
                  const opl_lookup *def, json_object *value, opl_buf *out)
{
  static const opl_field_env no_env = {0};
  dtype dt = dtype_of (def);
  size_t mark = out->len;
  bool ok = false;

  if (env == NULL)
    env = &no_env;
  if (is_empty (value))
    return false;
  switch (dt) {
    case DT_STRING:
    case DT_LONGTEXT:
    case DT_URL:
      ok = fmt_text (value, out);
      break;
    case DT_DATE:
      ok = fmt_date (value, out);
      break;
    case DT_BOOLEAN:
      ok = fmt_boolean (value, out);
      break;
    case DT_INTEGER:
      ok = fmt_integer (value, out);
      break;
    case DT_FLOAT:
      ok = fmt_float (value, out);
      break;
    case DT_MONETARY:
      ok = fmt_monetary (def, value, out);
      break;
    case DT_DOCUMENTLINK:
      ok = fmt_documentlink (env, value, out);
      break;
    case DT_SELECT:
      ok = fmt_select (def, value, out);
      break;
    case DT_NONE:
    case DT_UNKNOWN:
      break;
  }
  if (ok)
    return true;
  /* Undo a partial append, then show the value as received. */
  if (!out->oom && out->data) {
    out->len = mark;
    out->data[mark] = '\0';
  }
  put_raw (out, value);
  if (dt != DT_NONE)
    log_odd (env, field_id, def, dt, value);
  return true;
}

/* Latin letters with diacritics (U+00C0 to U+017F) as the ASCII a slug
 * uses for them, as Django's slugify does after NFKD, and with the
 * letters NFKD leaves alone spelt out (ß -> ss, Æ -> ae, Ø -> o, ...). */
static const struct {
  uint16_t lo, hi;
  const char *ascii;
} latin[] = {
    {0xC0, 0xC5, "a"},    {0xC6, 0xC6, "ae"},  {0xC7, 0xC7, "c"},
    {0xC8, 0xCB, "e"},    {0xCC, 0xCF, "i"},   {0xD0, 0xD0, "d"},
    {0xD1, 0xD1, "n"},    {0xD2, 0xD6, "o"},   {0xD8, 0xD8, "o"},
    {0xD9, 0xDC, "u"},    {0xDD, 0xDD, "y"},   {0xDE, 0xDE, "th"},
    {0xDF, 0xDF, "ss"},   {0xE0, 0xE5, "a"},   {0xE6, 0xE6, "ae"},
    {0xE7, 0xE7, "c"},    {0xE8, 0xEB, "e"},   {0xEC, 0xEF, "i"},
    {0xF0, 0xF0, "d"},    {0xF1, 0xF1, "n"},   {0xF2, 0xF6, "o"},
    {0xF8, 0xF8, "o"},    {0xF9, 0xFC, "u"},   {0xFD, 0xFD, "y"},
    {0xFE, 0xFE, "th"},   {0xFF, 0xFF, "y"},   {0x100, 0x105, "a"},
    {0x106, 0x10D, "c"},  {0x10E, 0x111, "d"}, {0x112, 0x11B, "e"},
    {0x11C, 0x123, "g"},  {0x124, 0x127, "h"}, {0x128, 0x131, "i"},
    {0x132, 0x133, "ij"}, {0x134, 0x135, "j"}, {0x136, 0x138, "k"},
    {0x139, 0x142, "l"},  {0x143, 0x14B, "n"}, {0x14C, 0x151, "o"},
    {0x152, 0x153, "oe"}, {0x154, 0x159, "r"}, {0x15A, 0x161, "s"},
    {0x162, 0x167, "t"},  {0x168, 0x173, "u"}, {0x174, 0x175, "w"},
    {0x176, 0x178, "y"},  {0x179, 0x17E, "z"}, {0x17F, 0x17F, "s"},
};

/* The ASCII for the two-byte UTF-8 sequence at p, or NULL. */
static const char *
latin_ascii (const unsigned char *p)
{
  unsigned cp;
  if (p[0] < 0xC2 || p[0] > 0xDF || (p[1] & 0xC0) != 0x80)
    return NULL;
  cp = ((unsigned)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
  for (size_t i = 0; i < sizeof latin / sizeof latin[0]; i++)
    if (cp >= latin[i].lo && cp <= latin[i].hi)
      return latin[i].ascii;
  return NULL;
}

void
opl_field_attr_key (opl_buf *out, const char *name, int64_t field_id)
{
  size_t start;
  bool gap = false;
  const unsigned char *p = (const unsigned char *)(name ? name : "");

  opl_buf_puts (out, "cf_");
  start = out->len;
  while (*p) {
    const char *ascii = NULL;
    char lower[2] = {0, 0};
    if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
      lower[0] = (char)*p;
    else if (*p >= 'A' && *p <= 'Z')
      lower[0] = (char)(*p - 'A' + 'a');
    else if (p[1] != '\0' && (ascii = latin_ascii (p)) != NULL)
      p++; /* the second byte of the letter */
    p++;
    if (lower[0] == 0 && ascii == NULL) {
      gap = true;
      continue;
    }
    if (gap && out->len > start)
      opl_buf_putc (out, '_');
    gap = false;
    opl_buf_puts (out, ascii ? ascii : lower);
  }
  if (out->len == start)
    opl_buf_put_int (out, field_id);
}
