/* fp-util.c: string builder, JSON string output, query-string codec. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp-internal.h"

static int
buf_reserve (fp_buf *b, size_t extra)
{
  if (b->oom)
    return -1;
  if (b->len + extra + 1 <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra + 1)
    cap *= 2;
  char *p = realloc (b->p, cap);
  if (!p) {
    b->oom = 1;
    return -1;
  }
  b->p = p;
  b->cap = cap;
  return 0;
}

void
fp_buf_add (fp_buf *b, const char *s, size_t n)
{
  if (buf_reserve (b, n) < 0)
    return;
  memcpy (b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

void
fp_buf_adds (fp_buf *b, const char *s)
{
  fp_buf_add (b, s, strlen (s));
}

void
fp_buf_addc (fp_buf *b, char c)
{
  fp_buf_add (b, &c, 1);
}

void
fp_buf_printf (fp_buf *b, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char tmp[256];
  int n = vsnprintf (tmp, sizeof tmp, fmt, ap);
  va_end (ap);
  if (n < 0)
    return;
  if ((size_t)n < sizeof tmp) {
    fp_buf_add (b, tmp, (size_t)n);
    return;
  }
  if (buf_reserve (b, (size_t)n) < 0)
    return;
  va_start (ap, fmt);
  vsnprintf (b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end (ap);
  b->len += (size_t)n;
}

void
fp_buf_int (fp_buf *b, int64_t v)
{
  fp_buf_printf (b, "%lld", (long long)v);
}

void
fp_buf_json_str (fp_buf *b, const char *s, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  if (buf_reserve (b, n + 2) < 0)
    return;
  fp_buf_addc (b, '"');
  size_t run = 0; /* bytes copied verbatim in one go */
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    /* DRF escapes U+2028/U+2029 so the JSON is also valid JavaScript. */
    if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80
        && ((unsigned char)s[i + 2] == 0xA8
            || (unsigned char)s[i + 2] == 0xA9)) {
      fp_buf_add (b, s + run, i - run);
      fp_buf_adds (b, (unsigned char)s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
      i += 2;
      run = i + 1;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    fp_buf_add (b, s + run, i - run);
    run = i + 1;
    char esc[7] = {'\\', 0};
    switch (c) {
      case '"':
        esc[1] = '"';
        break;
      case '\\':
        esc[1] = '\\';
        break;
      case '\n':
        esc[1] = 'n';
        break;
      case '\r':
        esc[1] = 'r';
        break;
      case '\t':
        esc[1] = 't';
        break;
      case '\b':
        esc[1] = 'b';
        break;
      case '\f':
        esc[1] = 'f';
        break;
      default:
        memcpy (esc, "\\u00", 4);
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 15];
        break;
    }
    fp_buf_adds (b, esc);
  }
  fp_buf_add (b, s + run, n - run);
  fp_buf_addc (b, '"');
}

void
fp_buf_json_strz (fp_buf *b, const char *s)
{
  if (!s)
    fp_buf_adds (b, "null");
  else
    fp_buf_json_str (b, s, strlen (s));
}

void
fp_buf_json_obj (fp_buf *b, json_object *o)
{
  if (!o) {
    fp_buf_adds (b, "null");
    return;
  }
  if (json_object_is_type (o, json_type_string)) {
    fp_buf_json_str (b, json_object_get_string (o),
                     (size_t)json_object_get_string_len (o));
    return;
  }
  if (json_object_is_type (o, json_type_array)) {
    fp_buf_addc (b, '[');
    size_t n = json_object_array_length (o);
    for (size_t i = 0; i < n; i++) {
      if (i)
        fp_buf_addc (b, ',');
      fp_buf_json_obj (b, json_object_array_get_idx (o, i));
    }
    fp_buf_addc (b, ']');
    return;
  }
  if (json_object_is_type (o, json_type_object)) {
    fp_buf_addc (b, '{');
    int first = 1;
    json_object_object_foreach (o, k, val)
    {
      if (!first)
        fp_buf_addc (b, ',');
      first = 0;
      fp_buf_json_strz (b, k);
      fp_buf_addc (b, ':');
      fp_buf_json_obj (b, val);
    }
    fp_buf_addc (b, '}');
    return;
  }
  fp_buf_adds (b, json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN));
}

char *
fp_buf_take (fp_buf *b)
{
  if (b->oom) {
    fp_buf_free (b);
    return NULL;
  }
  char *p = b->p ? b->p : strdup ("");
  b->p = NULL;
  b->len = b->cap = 0;
  return p;
}

void
fp_buf_free (fp_buf *b)
{
  free (b->p);
  memset (b, 0, sizeof *b);
}

/* ------------------------------------------------------------- id lists */

int
fp_ids_push (fp_ids *a, int64_t v)
{
  if (a->n == a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 4;
    int64_t *p = realloc (a->v, cap * sizeof *p);
    if (!p)
      return -1;
    a->v = p;
    a->cap = cap;
  }
  a->v[a->n++] = v;
  return 0;
}

int
fp_ids_has (const fp_ids *a, int64_t v)
{
  for (size_t i = 0; i < a->n; i++)
    if (a->v[i] == v)
      return 1;
  return 0;
}

void
fp_ids_remove (fp_ids *a, int64_t v)
{
  size_t o = 0;
  for (size_t i = 0; i < a->n; i++)
    if (a->v[i] != v)
      a->v[o++] = a->v[i];
  a->n = o;
}

int
fp_ids_copy (fp_ids *dst, const fp_ids *src)
{
  dst->n = 0;
  for (size_t i = 0; i < src->n; i++)
    if (fp_ids_push (dst, src->v[i]) < 0)
      return -1;
  return 0;
}

void
fp_ids_free (fp_ids *a)
{
  free (a->v);
  memset (a, 0, sizeof *a);
}

/* ------------------------------------------------------- query strings */

static int
hexval (int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  c = tolower (c);
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

char *
fp_url_decode (const char *s, size_t n, int plus_is_space)
{
  char *out = malloc (n + 1);
  if (!out)
    return NULL;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '+' && plus_is_space)
      out[o++] = ' ';
    else if (s[i] == '%' && i + 2 < n && hexval (s[i + 1]) >= 0
             && hexval (s[i + 2]) >= 0) {
      out[o++] = (char)(hexval (s[i + 1]) * 16 + hexval (s[i + 2]));
      i += 2;
    } else
      out[o++] = s[i];
  }
  out[o] = '\0';
  return out;
}

int
fp_query_parse (fp_query *q, const char *raw)
{
  memset (q, 0, sizeof *q);
  if (!raw)
    return 0;
  const char *p = raw;
  while (*p) {
    size_t n = strcspn (p, "&");
    if (n > 0) {
      const char *eq = memchr (p, '=', n);
      size_t kn = eq ? (size_t)(eq - p) : n;
      /* parse_qs(keep_blank_values=True) drops "a" without '=' only in
       * strict mode; the default keeps it as a blank value. */
      fp_kv *kv = realloc (q->kv, (q->n + 1) * sizeof *kv);
      if (!kv)
        return -1;
      q->kv = kv;
      kv[q->n].key = fp_url_decode (p, kn, 1);
      kv[q->n].value = eq ? fp_url_decode (eq + 1, n - kn - 1, 1) : strdup ("");
      if (!kv[q->n].key || !kv[q->n].value) {
        free (kv[q->n].key);
        free (kv[q->n].value);
        return -1;
      }
      q->n++;
    }
    p += n;
    if (*p)
      p++;
  }
  return 0;
}

const char *
fp_query_get (const fp_query *q, const char *key)
{
  for (size_t i = q->n; i-- > 0;)
    if (strcmp (q->kv[i].key, key) == 0)
      return q->kv[i].value;
  return NULL;
}

void
fp_query_free (fp_query *q)
{
  for (size_t i = 0; i < q->n; i++) {
    free (q->kv[i].key);
    free (q->kv[i].value);
  }
  free (q->kv);
  memset (q, 0, sizeof *q);
}

void
fp_buf_quote_plus (fp_buf *b, const char *s)
{
  static const char hex[] = "0123456789ABCDEF";
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (isalnum (c) || c == '_' || c == '.' || c == '-' || c == '~')
      fp_buf_addc (b, (char)c);
    else if (c == ' ')
      fp_buf_addc (b, '+');
    else {
      char e[3] = {'%', hex[c >> 4], hex[c & 15]};
      fp_buf_add (b, e, 3);
    }
  }
}

/* Keys in first-seen order, then sorted (Python sorts str by code point,
 * which for UTF-8 is byte order). */
void
fp_query_reencode (fp_buf *b, const fp_query *q, const char *key,
                   const char *val)
{
  const char **keys = calloc (q->n + 1, sizeof *keys);
  size_t nk = 0;
  if (!keys) {
    b->oom = 1;
    return;
  }
  for (size_t i = 0; i < q->n; i++) {
    int dup = 0;
    for (size_t j = 0; j < nk && !dup; j++)
      dup = strcmp (keys[j], q->kv[i].key) == 0;
    if (!dup && strcmp (q->kv[i].key, key) != 0)
      keys[nk++] = q->kv[i].key;
  }
  if (val)
    keys[nk++] = key;
  for (size_t i = 1; i < nk; i++) /* insertion sort: few keys */
    for (size_t j = i; j > 0 && strcmp (keys[j - 1], keys[j]) > 0; j--) {
      const char *t = keys[j];
      keys[j] = keys[j - 1];
      keys[j - 1] = t;
    }
  int first = 1;
  for (size_t i = 0; i < nk; i++) {
    if (strcmp (keys[i], key) == 0) {
      if (!first)
        fp_buf_addc (b, '&');
      first = 0;
      fp_buf_quote_plus (b, key);
      fp_buf_addc (b, '=');
      fp_buf_quote_plus (b, val);
      continue;
    }
    for (size_t j = 0; j < q->n; j++) {
      if (strcmp (q->kv[j].key, keys[i]) != 0)
        continue;
      if (!first)
        fp_buf_addc (b, '&');
      first = 0;
      fp_buf_quote_plus (b, q->kv[j].key);
      fp_buf_addc (b, '=');
      fp_buf_quote_plus (b, q->kv[j].value);
    }
  }
  free (keys);
}

/* Python int(): surrounding whitespace, a sign, digits (underscores between
 * digits are legal in Python but not worth imitating). */
int
fp_parse_int64 (const char *s, int64_t *out)
{
  if (!s)
    return -1;
  while (isspace ((unsigned char)*s))
    s++;
  const char *start = s;
  if (*s == '+' || *s == '-')
    s++;
  if (!isdigit ((unsigned char)*s))
    return -1;
  errno = 0;
  char *end;
  long long v = strtoll (start, &end, 10);
  if (errno)
    return -1;
  while (isspace ((unsigned char)*end))
    end++;
  if (*end)
    return -1;
  *out = v;
  return 0;
}

int
fp_parse_id_list (const char *s, fp_ids *out)
{
  out->n = 0;
  const char *p = s;
  while (1) {
    size_t n = strcspn (p, ",");
    char tmp[64];
    if (n > 0) {
      if (n >= sizeof tmp)
        return -1;
      memcpy (tmp, p, n);
      tmp[n] = '\0';
      int64_t v;
      int blank = 1;
      for (size_t i = 0; i < n; i++)
        blank &= isspace ((unsigned char)tmp[i]) != 0;
      if (!blank) {
        if (fp_parse_int64 (tmp, &v) < 0 || fp_ids_push (out, v) < 0)
          return -1;
      }
    }
    if (!p[n])
      break;
    p += n + 1;
  }
  return 0;
}

char *
fp_strdup0 (const char *s)
{
  return s ? strdup (s) : NULL;
}

int
fp_strcasestr_ascii (const char *hay, const char *needle)
{
  size_t nl = strlen (needle);
  if (nl == 0)
    return 1;
  for (; *hay; hay++)
    if (strncasecmp (hay, needle, nl) == 0)
      return 1;
  return 0;
}

size_t
fp_b64_decode (const char *in, unsigned char *out, size_t outcap, int *bad)
{
  static const char tbl[]
      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint32_t acc = 0;
  int bits = 0;
  size_t o = 0, pad = 0, n = 0;
  *bad = 0;
  for (const char *p = in; *p; p++, n++) {
    if (*p == '=') {
      pad++;
      continue;
    }
    const char *t = strchr (tbl, *p);
    if (!t || pad) {
      *bad = 1;
      return 0;
    }
    acc = (acc << 6) | (uint32_t)(t - tbl);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o + 1 >= outcap) {
        *bad = 1;
        return 0;
      }
      out[o++] = (unsigned char)(acc >> bits);
    }
  }
  if (n % 4 != 0)
    *bad = 1;
  out[o] = '\0';
  return o;
}
