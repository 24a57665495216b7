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

size_t
opl_utf8_append_repaired (opl_buf *b, const char *s, size_t len)
{
  static const char replacement[] = "\xEF\xBF\xBD";
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, run = 0, chars = 0;

  if (!opl_buf_reserve (b, len))
    return 0;
  /* Copy valid runs in one go; the common case is one run. */
  while (i < len) {
    /* Fast path: ASCII, eight bytes at a time where aligned runs allow. */
    while (i + 8 <= len) {
      uint64_t w;
      memcpy (&w, p + i, 8);
      /* No high bit and no zero byte in the word. */
      if ((w & UINT64_C (0x8080808080808080)) != 0
          || ((w - UINT64_C (0x0101010101010101)) & ~w
              & UINT64_C (0x8080808080808080))
                 != 0)
        break;
      i += 8;
      chars += 8;
    }
    if (i >= len)
      break;
    size_t n = p[i] ? utf8_seq_len (p + i, len - i) : 0;
    if (n > 0) {
      i += n;
      chars++;
      continue;
    }
    opl_buf_append (b, s + run, i - run);
    if (p[i] != 0) {
      opl_buf_append (b, replacement, 3);
      chars++;
    }
    i++;
    run = i;
  }
  opl_buf_append (b, s + run, i - run);
  return chars;
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
