/* och-json.c: checking the JSON text a plugin hands over, without a tree.
 *
 * Every document carries three small JSON objects (metadata, permissions,
 * attributes).  The host must not pass on text that is not JSON, but
 * building a json-c tree of each only to throw it away cost as much CPU as
 * the plugin's whole parse of the page (make bench, callgrind).  This is a
 * strict recursive-descent recogniser of RFC 8259 instead: it allocates
 * nothing and reads each byte once.
 */
#include <config.h>

#include <string.h>

#include "och.h"

/* As deep as och_json_parse lets json-c go: its tokener of depth 64 takes
 * 63 nested objects or arrays. */
#define MAX_NESTING 63

typedef struct scan {
  const unsigned char *p;
  size_t len, i;
  const char *what; /* the first error, NULL while none */
  size_t at;
} scan;

static int
fail (scan *s, const char *what)
{
  if (s->what == NULL) {
    s->what = what;
    s->at = s->i;
  }
  return -1;
}

static bool
is_ws (unsigned char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
skip_ws (scan *s)
{
  while (s->i < s->len && is_ws (s->p[s->i]))
    s->i++;
}

static bool
is_digit (unsigned char c)
{
  return c >= '0' && c <= '9';
}

static bool
is_hex (unsigned char c)
{
  return is_digit (c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string, the opening quote at s->i. */
static int
string (scan *s)
{
  s->i++;
  while (s->i < s->len) {
    unsigned char c;
    size_t n;

    if (s->len - s->i >= 8) {
      uint64_t w;
      size_t k;
      memcpy (&w, s->p + s->i, 8);
      s->i += k = och_word_plain_prefix (w);
      if (k == 8)
        continue;
    }
    c = s->p[s->i];
    if (c == '"') {
      s->i++;
      return 0;
    }
    if (c < 0x20)
      return fail (s, "control character in a string");
    if (c == '\\') {
      if (++s->i >= s->len)
        break;
      c = s->p[s->i];
      if (c == 'u') {
        for (int k = 1; k <= 4; k++)
          if (s->i + (size_t)k >= s->len || !is_hex (s->p[s->i + (size_t)k]))
            return fail (s, "bad \\u escape");
        s->i += 5;
      } else if (c != '\0' && strchr ("\"\\/bfnrt", c) != NULL)
        s->i++;
      else
        return fail (s, "bad escape");
      continue;
    }
    if ((n = och_utf8_seq (s->p + s->i, s->len - s->i)) == 0)
      return fail (s, "invalid UTF-8");
    s->i += n;
  }
  return fail (s, "unterminated string");
}

static size_t
digits (scan *s)
{
  size_t start = s->i;
  while (s->i < s->len && is_digit (s->p[s->i]))
    s->i++;
  return s->i - start;
}

static int
number (scan *s)
{
  if (s->p[s->i] == '-')
    s->i++;
  if (s->i < s->len && s->p[s->i] == '0')
    s->i++;
  else if (digits (s) == 0)
    return fail (s, "bad number");
  if (s->i < s->len && s->p[s->i] == '.') {
    s->i++;
    if (digits (s) == 0)
      return fail (s, "bad number");
  }
  if (s->i < s->len && (s->p[s->i] == 'e' || s->p[s->i] == 'E')) {
    s->i++;
    if (s->i < s->len && (s->p[s->i] == '+' || s->p[s->i] == '-'))
      s->i++;
    if (digits (s) == 0)
      return fail (s, "bad number");
  }
  return 0;
}

static int
literal (scan *s, const char *word)
{
  size_t n = strlen (word);
  if (s->len - s->i < n || memcmp (s->p + s->i, word, n) != 0)
    return fail (s, "unexpected character");
  s->i += n;
  return 0;
}

static int value (scan *s, int depth);

/* An object or an array, the opening bracket at s->i. */
static int
container (scan *s, int depth)
{
  bool object = s->p[s->i] == '{';
  char close = object ? '}' : ']';

  if (depth >= MAX_NESTING)
    return fail (s, "nesting too deep");
  s->i++;
  skip_ws (s);
  if (s->i < s->len && s->p[s->i] == (unsigned char)close) {
    s->i++;
    return 0;
  }
  for (;;) {
    if (object) {
      if (s->i >= s->len || s->p[s->i] != '"')
        return fail (s, "expected a member name");
      if (string (s) == -1)
        return -1;
      skip_ws (s);
      if (s->i >= s->len || s->p[s->i] != ':')
        return fail (s, "expected ':'");
      s->i++;
      skip_ws (s);
    }
    if (value (s, depth + 1) == -1)
      return -1;
    skip_ws (s);
    if (s->i >= s->len)
      return fail (s, "unexpected end of text");
    if (s->p[s->i] == (unsigned char)close) {
      s->i++;
      return 0;
    }
    if (s->p[s->i] != ',')
      return fail (s, object ? "expected ',' or '}'" : "expected ',' or ']'");
    s->i++;
    skip_ws (s);
  }
}

static int
value (scan *s, int depth)
{
  if (s->i >= s->len)
    return fail (s, "unexpected end of text");
  switch (s->p[s->i]) {
    case '{':
    case '[':
      return container (s, depth);
    case '"':
      return string (s);
    case 't':
      return literal (s, "true");
    case 'f':
      return literal (s, "false");
    case 'n':
      return literal (s, "null");
    default:
      if (s->p[s->i] == '-' || is_digit (s->p[s->i]))
        return number (s);
      return fail (s, "unexpected character");
  }
}

int
och_json_check_object (const char *text, size_t len, char *err, size_t errlen)
{
  scan s = {(const unsigned char *)text, len, 0, NULL, 0};

  skip_ws (&s);
  if (s.i >= len || s.p[s.i] != '{')
    return och_fail (err, errlen, "not a JSON object");
  if (container (&s, 0) == 0) {
    skip_ws (&s);
    if (s.i < len)
      fail (&s, "trailing data after the object");
  }
  if (s.what != NULL)
    return och_fail (err, errlen, "invalid JSON: %s at byte %zu", s.what, s.at);
  return 0;
}

size_t
och_json_compact (const char *text, size_t len, char *out)
{
  size_t o = 0;
  bool in_string = false;

  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    if (in_string) {
      out[o++] = c;
      if (c == '\\' && i + 1 < len)
        out[o++] = text[++i];
      else if (c == '"')
        in_string = false;
    } else if (!is_ws ((unsigned char)c)) {
      out[o++] = c;
      in_string = c == '"';
    }
  }
  return o;
}
