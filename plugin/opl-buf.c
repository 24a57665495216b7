/* opl-buf.c: growable byte buffer, UTF-8 repair and small string helpers. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opl.h"

void
opl_buf_init (opl_buf *b)
{
  memset (b, 0, sizeof *b);
}

void
opl_buf_free (opl_buf *b)
{
  free (b->data);
  opl_buf_init (b);
}

void
opl_buf_reset (opl_buf *b)
{
  b->len = 0;
  b->oom = false;
  if (b->data)
    b->data[0] = '\0';
}

bool
opl_buf_reserve (opl_buf *b, size_t extra)
{
  if (b->oom)
    return false;
  if (extra > SIZE_MAX / 2 - b->len - 1) {
    b->oom = true;
    return false;
  }
  size_t need = b->len + extra + 1;
  if (need <= b->cap)
    return true;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need)
    cap *= 2;
  char *p = realloc (b->data, cap);
  if (p == NULL) {
    b->oom = true;
    return false;
  }
  b->data = p;
  b->cap = cap;
  return true;
}

void
opl_buf_append (opl_buf *b, const void *data, size_t len)
{
  if (!opl_buf_reserve (b, len))
    return;
  if (len)
    memcpy (b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
}

void
opl_buf_puts (opl_buf *b, const char *s)
{
  opl_buf_append (b, s, strlen (s));
}

void
opl_buf_putc (opl_buf *b, char c)
{
  opl_buf_append (b, &c, 1);
}

void
opl_buf_printf (opl_buf *b, const char *fmt, ...)
{
  va_list ap;
  char small[256];

  va_start (ap, fmt);
  int n = vsnprintf (small, sizeof small, fmt, ap);
  va_end (ap);
  if (n < 0) {
    b->oom = true;
    return;
  }
  if ((size_t)n < sizeof small) {
    opl_buf_append (b, small, (size_t)n);
    return;
  }
  if (!opl_buf_reserve (b, (size_t)n))
    return;
  va_start (ap, fmt);
  vsnprintf (b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end (ap);
  b->len += (size_t)n;
}

char *
opl_buf_steal (opl_buf *b)
{
  if (b->oom) {
    opl_buf_free (b);
    return NULL;
  }
  if (b->data == NULL)
    return calloc (1, 1);
  char *p = b->data;
  opl_buf_init (b);
  return p;
}

void
opl_secure_zero (void *p, size_t n)
{
  /* A volatile pointer keeps the stores from being optimised away. */
  volatile unsigned char *v = p;
  while (n--)
    *v++ = 0;
}

void
opl_buf_wipe (opl_buf *b)
{
  if (b->data)
    opl_secure_zero (b->data, b->cap);
  opl_buf_free (b);
}

char *
opl_strdup (const char *s)
{
  return s ? strdup (s) : NULL;
}

/* Length of the valid UTF-8 sequence starting at s (at most `avail` bytes),
 * or 0 when it is invalid (RFC 3629: no overlongs, no surrogates, nothing
 * above U+10FFFF). */
static size_t
utf8_seq_len (const unsigned char *s, size_t avail)
{
  unsigned char c = s[0];
  if (c < 0x80)
    return 1;
  if (c < 0xC2)
    return 0;
  if (c < 0xE0) {
    if (avail < 2 || (s[1] & 0xC0) != 0x80)
      return 0;
    return 2;
  }
  if (c < 0xF0) {
    if (avail < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
      return 0;
    if (c == 0xE0 && s[1] < 0xA0)
      return 0; /* overlong */
    if (c == 0xED && s[1] >= 0xA0)
      return 0; /* surrogate */
    return 3;
  }
  if (c < 0xF5) {
    if (avail < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80
        || (s[3] & 0xC0) != 0x80)
      return 0;
    if (c == 0xF0 && s[1] < 0x90)
      return 0; /* overlong */
    if (c == 0xF4 && s[1] >= 0x90)
      return 0; /* above U+10FFFF */
    return 4;
  }
  return 0;
}

/* How many of the eight bytes of w (memory order) come before the first
 * NUL or non-ASCII byte; 8 when none.  A false match can only follow a
 * true one (borrows run towards later bytes), so the first is exact. */
static size_t
ascii_prefix (uint64_t w)
{
  const uint64_t ones = UINT64_C (0x0101010101010101);
  const uint64_t highs = UINT64_C (0x8080808080808080);
  uint64_t stop = (w | ((w - ones) & ~w)) & highs;

  if (stop == 0)
    return 8;
#if defined(__GNUC__) && defined(__BYTE_ORDER__)                               \
    && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return (size_t)__builtin_ctzll (stop) / 8;
#else
  for (size_t k = 0; k < 8; k++)
    if ((unsigned char)(w >> (8 * k)) - 1u >= 0x7fu)
      return k;
  return 8;
#endif
}

/* Input bytes repaired per reservation: a huge text grows the buffer by
 * at most three times this beyond what it needs. */
#define REPAIR_SLICE ((size_t)16 * 1024)

size_t
opl_utf8_append_repaired (opl_buf *b, const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, chars = 0;

  if (!opl_buf_reserve (b, 0))
    return 0;
  /* One pass that writes straight into the buffer: this is the copy of
   * every document's OCR text, mostly ASCII with a letter of another
   * script every few words. */
  while (i < len) {
    size_t end = len - i > REPAIR_SLICE ? i + REPAIR_SLICE : len;
    char *o;

    /* Each input byte becomes at most three; a sequence that straddles
     * the slice's end adds at most three more. */
    if (!opl_buf_reserve (b, 3 * (end - i) + 3))
      return chars;
    o = b->data + b->len;
    while (i < end) {
      size_t n;

      if (end - i >= 8) {
        uint64_t w;
        memcpy (&w, p + i, 8);
        memcpy (o, p + i, 8);
        n = ascii_prefix (w);
        o += n;
        i += n;
        chars += n;
        if (n == 8)
          continue;
      } else if (p[i] - 1u < 0x7fu) {
        *o++ = (char)p[i++];
        chars++;
        continue;
      }
      if (p[i] == 0) {
        i++; /* NUL bytes are dropped */
        continue;
      }
      n = utf8_seq_len (p + i, len - i);
      if (n == 0) {
        /* U+FFFD, REPLACEMENT CHARACTER */
        *o++ = (char)0xef;
        *o++ = (char)0xbf;
        *o++ = (char)0xbd;
        i++;
      } else {
        memcpy (o, p + i, n);
        o += n;
        i += n;
      }
      chars++;
    }
    b->len = (size_t)(o - b->data);
  }
  b->data[b->len] = '\0';
  return chars;
}

void
opl_buf_put_json_string (opl_buf *b, const char *s, size_t len)
{
  static const char hex[] = "0123456789abcdef";
  size_t run = 0;

  opl_buf_putc (b, '"');
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[7];
    const char *e;
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    opl_buf_append (b, s + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        e = "\\\"";
        break;
      case '\\':
        e = "\\\\";
        break;
      case '\b':
        e = "\\b";
        break;
      case '\f':
        e = "\\f";
        break;
      case '\n':
        e = "\\n";
        break;
      case '\r':
        e = "\\r";
        break;
      case '\t':
        e = "\\t";
        break;
      default:
        memcpy (esc, "\\u00", 4);
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 0xf];
        esc[6] = '\0';
        e = esc;
    }
    opl_buf_puts (b, e);
  }
  opl_buf_append (b, s + run, len - run);
  opl_buf_putc (b, '"');
}

void
opl_jw_open (opl_jw *w, opl_buf *b)
{
  w->b = b;
  w->any = false;
  opl_buf_putc (b, '{');
}

void
opl_jw_key (opl_jw *w, const char *key)
{
  if (w->any)
    opl_buf_putc (w->b, ',');
  w->any = true;
  opl_buf_put_json_string (w->b, key, strlen (key));
  opl_buf_putc (w->b, ':');
}

void
opl_jw_str (opl_jw *w, const char *key, const char *s, size_t len)
{
  opl_jw_key (w, key);
  opl_buf_put_json_string (w->b, s ? s : "", s ? len : 0);
}

void
opl_jw_int (opl_jw *w, const char *key, int64_t v)
{
  opl_jw_key (w, key);
  opl_buf_printf (w->b, "%lld", (long long)v);
}

void
opl_jw_close (opl_jw *w)
{
  opl_buf_putc (w->b, '}');
}

size_t
opl_utf8_prefix_bytes (const char *s, size_t len, size_t max_chars)
{
  size_t i = 0, chars = 0;
  while (i < len && chars < max_chars) {
    unsigned char c = (unsigned char)s[i];
    size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (n > len - i)
      break;
    i += n;
    chars++;
  }
  return i;
}

size_t
opl_utf8_count (const char *s, size_t len)
{
  size_t chars = 0;
  for (size_t i = 0; i < len; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80)
      chars++;
  return chars;
}
