/* opl-checkpoint.c: the checkpoint as one line of JSON, and the recent list.
 *
 * Format 1, keys in this order (all required; no other key is accepted):
 *   {"format":1,"plugin":"paperless_ngx","api_version":10,
 *    "mode":"full"|"incremental",
 *    "step":"start"|"lookups"|"listed"|"catchup"|"reconciled"|"done",
 *    "watermark_us":N,"pending_watermark_us":N,
 *    "known":"<id set>","queue":"<id set>",
 *    "recent":"<id>:<modified_us>,...",
 *    "lookups":{"tags":"<id>:<8 hex>,...", ...}}
 * Numbers in "recent" and "lookups" are decimal without leading zeros;
 * both lists are strictly ascending by id.  A lookup kind whose key is
 * missing was not recorded (present = false); "" is a recorded empty table.
 *
 * The decoder trusts nothing: the text may come from an old or foreign
 * plugin, or be damaged on disk.  Every value is type- and range-checked and
 * the first problem is named in one line. */
#include <config.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "opl.h"

#define PLUGIN_NAME "paperless_ngx"

static const char *const step_names[] = {
    "start", "lookups", "listed", "catchup", "reconciled", "done",
};

static const char *const mode_names[] = {"full", "incremental"};

/* JSON keys under "lookups", indexed by opl_lookup_kind. */
static const char *const lookup_keys[OPL_LK_COUNT] = {
    "tags",          "correspondents", "document_types", "storage_paths",
    "custom_fields", "users",          "groups",
};

static const char *const top_keys[] = {
    "format",
    "plugin",
    "api_version",
    "mode",
    "step",
    "watermark_us",
    "pending_watermark_us",
    "known",
    "queue",
    "recent",
    "lookups",
};

void
opl_checkpoint_init (opl_checkpoint *c)
{
  memset (c, 0, sizeof *c);
  c->format = OPL_CHECKPOINT_FORMAT;
  c->mode = OMNI_SYNC_FULL;
  c->step = OPL_STEP_START;
  opl_idset_init (&c->known);
  opl_idset_init (&c->queue);
}

void
opl_checkpoint_free (opl_checkpoint *c)
{
  opl_idset_free (&c->known);
  opl_idset_free (&c->queue);
  free (c->recent);
  for (int k = 0; k < OPL_LK_COUNT; k++)
    free (c->lookups[k].v);
  opl_checkpoint_init (c);
}

/* ---- encoding ----------------------------------------------------- */

/* True for a checkpoint that records no progress at all. */
static bool
is_pristine (const opl_checkpoint *c)
{
  if (c->step != OPL_STEP_START || c->watermark_us != 0
      || c->pending_watermark_us != 0 || c->known.n != 0 || c->queue.n != 0
      || c->n_recent != 0)
    return false;
  for (int k = 0; k < OPL_LK_COUNT; k++)
    if (c->lookups[k].present)
      return false;
  return true;
}

char *
opl_checkpoint_encode (const opl_checkpoint *c)
{
  opl_buf b;
  unsigned mode = (unsigned)c->mode, step = (unsigned)c->step;

  /* The host may ask for a checkpoint before any server was reached (the
   * first request failed): api_version is still 0, which the decoder
   * refuses.  Nothing happened, so the honest checkpoint is "" (none). */
  if (c->api_version == 0 && is_pristine (c))
    return opl_strdup ("");

  /* An out-of-range enum would make text the decoder refuses; write the
   * safest reading instead (a full run from the start). */
  if (mode >= sizeof mode_names / sizeof *mode_names)
    mode = OMNI_SYNC_FULL;
  if (step >= sizeof step_names / sizeof *step_names)
    step = OPL_STEP_START;

  opl_buf_init (&b);
  opl_buf_printf (&b,
                  "{\"format\":%d,\"plugin\":\"" PLUGIN_NAME "\","
                  "\"api_version\":%d,\"mode\":\"%s\",\"step\":\"%s\","
                  "\"watermark_us\":%" PRId64 ","
                  "\"pending_watermark_us\":%" PRId64 ",\"known\":\"",
                  OPL_CHECKPOINT_FORMAT, c->api_version, mode_names[mode],
                  step_names[step], c->watermark_us, c->pending_watermark_us);
  opl_idset_encode (&c->known, &b);
  opl_buf_puts (&b, "\",\"queue\":\"");
  opl_idset_encode (&c->queue, &b);
  opl_buf_puts (&b, "\",\"recent\":\"");
  for (size_t i = 0; i < c->n_recent; i++)
    opl_buf_printf (&b, "%s%" PRId64 ":%" PRId64, i ? "," : "", c->recent[i].id,
                    c->recent[i].modified_us);
  opl_buf_puts (&b, "\",\"lookups\":{");
  bool first = true;
  for (int k = 0; k < OPL_LK_COUNT; k++) {
    const opl_lookup_hashes *h = &c->lookups[k];
    if (!h->present)
      continue;
    opl_buf_printf (&b, "%s\"%s\":\"", first ? "" : ",", lookup_keys[k]);
    first = false;
    for (size_t i = 0; i < h->n; i++)
      opl_buf_printf (&b, "%s%" PRId64 ":%08" PRIx32, i ? "," : "", h->v[i].id,
                      h->v[i].hash);
    opl_buf_putc (&b, '"');
  }
  opl_buf_puts (&b, "}}");
  return opl_buf_steal (&b);
}

/* ---- decoding helpers --------------------------------------------- */

/* Strict decimal: optional '-' when allowed, no '+', no leading zeros,
 * no overflow.  Reads from s[*pos] up to `stop` or the end. */
static bool
get_dec (const char *s, size_t len, size_t *pos, char stop, bool neg_ok,
         int64_t *out)
{
  size_t i = *pos;
  bool neg = false;
  uint64_t v = 0;
  /* INT64_MIN's magnitude is one more than INT64_MAX's. */
  uint64_t limit = (uint64_t)INT64_MAX;

  if (i < len && s[i] == '-' && neg_ok) {
    neg = true;
    limit += 1;
    i++;
  }
  size_t start = i;
  for (; i < len && s[i] != stop; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    if (i > start && v == 0)
      return false; /* leading zero */
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (limit - d) / 10)
      return false;
    v = v * 10 + d;
  }
  if (i == start || (neg && v == 0))
    return false;
  if (!neg)
    *out = (int64_t)v;
  else if (v > (uint64_t)INT64_MAX)
    *out = INT64_MIN;
  else
    *out = -(int64_t)v;
  *pos = i;
  return true;
}

static bool
get_hex8 (const char *s, size_t len, size_t *pos, uint32_t *out)
{
  uint32_t v = 0;
  size_t i = *pos;
  if (len - i < 8)
    return false;
  for (size_t k = 0; k < 8; k++, i++) {
    char ch = s[i];
    unsigned d;
    if (ch >= '0' && ch <= '9')
      d = (unsigned)(ch - '0');
    else if (ch >= 'a' && ch <= 'f')
      d = (unsigned)(ch - 'a' + 10);
    else
      return false;
    v = (v << 4) | d;
  }
  *out = v;
  *pos = i;
  return true;
}

/* Number of comma-separated items in a non-empty list. */
static size_t
count_items (const char *s, size_t len)
{
  size_t n = len ? 1 : 0;
  for (size_t i = 0; i < len; i++)
    n += s[i] == ',';
  return n;
}

/* Capacity the recent array has for n entries: grown in powers of two so
 * that appends stay amortised O(1) without a capacity field. */
static size_t
recent_cap (size_t n)
{
  size_t cap = 16;
  while (cap < n)
    cap *= 2;
  return cap;
}

/* "<id>:<us>,..." into c->recent. */
static omni_status
parse_recent (opl_checkpoint *c, const char *s, size_t len, char *err,
              size_t errlen)
{
  size_t n = count_items (s, len), pos = 0;

  if (n == 0)
    return OMNI_OK;
  if (n > OPL_RECENT_MAX)
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "checkpoint: \"recent\" has %zu entries (at most %d)", n,
                     OPL_RECENT_MAX);
  c->recent = malloc (recent_cap (n) * sizeof *c->recent);
  if (c->recent == NULL)
    return opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
  for (size_t k = 0; k < n; k++) {
    size_t at = pos;
    opl_recent e;
    if (!get_dec (s, len, &pos, ':', false, &e.id) || pos == len
        || s[pos] != ':' || e.id < 1)
      goto bad;
    pos++;
    if (!get_dec (s, len, &pos, ',', true, &e.modified_us))
      goto bad;
    if (k + 1 < n)
      pos++; /* the ',' that count_items counted */
    if (k > 0 && e.id <= c->recent[k - 1].id)
      return opl_fail (err, errlen, OMNI_ERR_INVALID,
                       "checkpoint: \"recent\" is not strictly ascending by "
                       "id at offset %zu",
                       at);
    c->recent[k] = e;
    c->n_recent = k + 1;
    continue;
  bad:
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "checkpoint: \"recent\" entry at offset %zu is not "
                     "<id>:<microseconds>",
                     at);
  }
  return OMNI_OK;
}

/* "<id>:<8 hex>,..." into h. */
static omni_status
parse_hashes (opl_lookup_hashes *h, const char *key, const char *s, size_t len,
              char *err, size_t errlen)
{
  size_t n = count_items (s, len), pos = 0;

  h->present = true;
  if (n == 0)
    return OMNI_OK;
  /* Each entry takes at least 10 bytes, so n is bounded by the text. */
  h->v = malloc (n * sizeof *h->v);
  if (h->v == NULL)
    return opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
  for (size_t k = 0; k < n; k++) {
    size_t at = pos;
    opl_lookup_hash e;
    if (!get_dec (s, len, &pos, ':', false, &e.id) || pos == len
        || s[pos] != ':' || e.id < 1)
      goto bad;
    pos++;
    if (!get_hex8 (s, len, &pos, &e.hash))
      goto bad;
    if (pos < len && s[pos] != ',')
      goto bad;
    if (k + 1 < n)
      pos++;
    if (k > 0 && e.id <= h->v[k - 1].id)
      return opl_fail (err, errlen, OMNI_ERR_INVALID,
                       "checkpoint: lookups \"%s\" is not strictly ascending "
                       "by id at offset %zu",
                       key, at);
    h->v[k] = e;
    h->n = k + 1;
    continue;
  bad:
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "checkpoint: lookups \"%s\" entry at offset %zu is not "
                     "<id>:<8 lower-case hex digits>",
                     key, at);
  }
  return OMNI_OK;
}

/* A string-valued key; the type is named when it is something else. */
static omni_status
need_string (json_object *root, const char *key, const char **s, size_t *len,
             char *err, size_t errlen)
{
  if (!opl_json_get_string (root, key, s, len))
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "checkpoint: \"%s\" is missing or not a string", key);
  return OMNI_OK;
}

static omni_status
need_int (json_object *root, const char *key, int64_t min, int64_t max,
          int64_t *out, char *err, size_t errlen)
{
  int64_t v;
  if (!opl_json_get_int (root, key, &v))
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "checkpoint: \"%s\" is missing or not an integer "
                     "(or does not fit 64 bits)",
                     key);
  if (v < min || v > max)
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "checkpoint: \"%s\" is %" PRId64 ", outside %" PRId64
                     "..%" PRId64,
                     key, v, min, max);
  *out = v;
  return OMNI_OK;
}

/* Index of s (length len) in names, or -1. */
static int
name_index (const char *const *names, size_t count, const char *s, size_t len)
{
  for (size_t i = 0; i < count; i++)
    if (strlen (names[i]) == len && memcmp (names[i], s, len) == 0)
      return (int)i;
  return -1;
}

static omni_status
decode_root (opl_checkpoint *c, json_object *root, char *err, size_t errlen)
{
  omni_status rc;
  int64_t v;
  const char *s;
  size_t len;
  int idx;

  if (!json_object_is_type (root, json_type_object))
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "checkpoint: not a JSON object");

  /* The format first: a newer format may have any other shape. */
  if (!opl_json_get_int (root, "format", &v))
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "checkpoint: \"format\" is missing or not an integer");
  if (v != OPL_CHECKPOINT_FORMAT)
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "checkpoint format %" PRId64 " is not supported (this "
                     "plugin reads format %d)",
                     v, OPL_CHECKPOINT_FORMAT);
  c->format = OPL_CHECKPOINT_FORMAT;

  rc = need_string (root, "plugin", &s, &len, err, errlen);
  if (rc != OMNI_OK)
    return rc;
  if (len != strlen (PLUGIN_NAME) || memcmp (s, PLUGIN_NAME, len) != 0)
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "checkpoint: written by plugin \"%.*s%s\", not "
                     "\"" PLUGIN_NAME "\"",
                     (int)(len > 40 ? 40 : len), s, len > 40 ? "..." : "");

  /* Unknown keys mean a writer this decoder does not understand. */
  struct json_object_iterator it = json_object_iter_begin (root);
  struct json_object_iterator end = json_object_iter_end (root);
  for (; !json_object_iter_equal (&it, &end); json_object_iter_next (&it)) {
    const char *key = json_object_iter_peek_name (&it);
    if (name_index (top_keys, sizeof top_keys / sizeof *top_keys, key,
                    strlen (key))
        < 0)
      return opl_fail (err, errlen, OMNI_ERR_INVALID,
                       "checkpoint: unknown key \"%.40s\"", key);
  }

  rc = need_int (root, "api_version", 1, 99, &v, err, errlen);
  if (rc != OMNI_OK)
    return rc;
  c->api_version = (int)v;

  rc = need_string (root, "mode", &s, &len, err, errlen);
  if (rc != OMNI_OK)
    return rc;
  idx = name_index (mode_names, sizeof mode_names / sizeof *mode_names, s, len);
  if (idx < 0)
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "checkpoint: unknown mode \"%.*s\"",
                     (int)(len > 40 ? 40 : len), s);
  c->mode = idx == 0 ? OMNI_SYNC_FULL : OMNI_SYNC_INCREMENTAL;

  rc = need_string (root, "step", &s, &len, err, errlen);
  if (rc != OMNI_OK)
    return rc;
  idx = name_index (step_names, sizeof step_names / sizeof *step_names, s, len);
  if (idx < 0)
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "checkpoint: unknown step \"%.*s\"",
                     (int)(len > 40 ? 40 : len), s);
  c->step = (opl_step)idx;

  rc = need_int (root, "watermark_us", 0, INT64_MAX, &c->watermark_us, err,
                 errlen);
  if (rc != OMNI_OK)
    return rc;
  rc = need_int (root, "pending_watermark_us", 0, INT64_MAX,
                 &c->pending_watermark_us, err, errlen);
  if (rc != OMNI_OK)
    return rc;

  opl_idset *sets[] = {&c->known, &c->queue};
  const char *set_keys[] = {"known", "queue"};
  for (int k = 0; k < 2; k++) {
    char why[160];
    rc = need_string (root, set_keys[k], &s, &len, err, errlen);
    if (rc != OMNI_OK)
      return rc;
    rc = opl_idset_decode (sets[k], s, len, why, sizeof why);
    if (rc != OMNI_OK)
      return opl_fail (err, errlen, rc, "checkpoint: \"%s\": %s", set_keys[k],
                       why);
  }

  rc = need_string (root, "recent", &s, &len, err, errlen);
  if (rc != OMNI_OK)
    return rc;
  rc = parse_recent (c, s, len, err, errlen);
  if (rc != OMNI_OK)
    return rc;

  json_object *lk = opl_json_get_object (root, "lookups");
  if (lk == NULL)
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "checkpoint: \"lookups\" is missing or not an object");
  it = json_object_iter_begin (lk);
  end = json_object_iter_end (lk);
  for (; !json_object_iter_equal (&it, &end); json_object_iter_next (&it)) {
    const char *lkey = json_object_iter_peek_name (&it);
    json_object *lval = json_object_iter_peek_value (&it);
    int kind = name_index (lookup_keys, OPL_LK_COUNT, lkey, strlen (lkey));
    if (kind < 0)
      return opl_fail (err, errlen, OMNI_ERR_INVALID,
                       "checkpoint: unknown lookup kind \"%.40s\"", lkey);
    if (!json_object_is_type (lval, json_type_string))
      return opl_fail (err, errlen, OMNI_ERR_INVALID,
                       "checkpoint: lookups \"%s\" is not a string", lkey);
    /* json-c keeps only the last of duplicate keys, so each kind is seen
     * once here. */
    rc = parse_hashes (&c->lookups[kind], lookup_keys[kind],
                       json_object_get_string (lval),
                       (size_t)json_object_get_string_len (lval), err, errlen);
    if (rc != OMNI_OK)
      return rc;
  }
  return OMNI_OK;
}

/* *c must be initialised (opl_checkpoint_init) or hold an earlier result:
 * its old contents are freed first. */
omni_status
opl_checkpoint_decode (opl_checkpoint *c, const char *text, char *err,
                       size_t errlen)
{
  omni_status rc = OMNI_OK;
  json_object *root = NULL;
  char why[256];

  opl_checkpoint_free (c);
  if (text == NULL || text[0] == '\0')
    return OMNI_OK;
  root = opl_json_parse (text, strlen (text), why, sizeof why);
  if (root == NULL) {
    rc = opl_fail (err, errlen, OMNI_ERR_INVALID, "checkpoint: %s", why);
    goto cleanup;
  }
  rc = decode_root (c, root, err, errlen);

cleanup:
  json_object_put (root);
  if (rc != OMNI_OK)
    opl_checkpoint_free (c);
  return rc;
}

/* ---- recent list -------------------------------------------------- */

static size_t
recent_find (const opl_checkpoint *c, int64_t id)
{
  size_t a = 0, b = c->n_recent;
  while (a < b) {
    size_t m = a + (b - a) / 2;
    if (c->recent[m].id < id)
      a = m + 1;
    else
      b = m;
  }
  return a;
}

bool
opl_checkpoint_note_recent (opl_checkpoint *c, int64_t id, int64_t modified_us,
                            int64_t floor_us)
{
  /* Ids below 1 cannot be written to a checkpoint: nothing to remember. */
  if (id >= 1) {
    size_t i = recent_find (c, id);
    if (i < c->n_recent && c->recent[i].id == id) {
      c->recent[i].modified_us = modified_us;
    } else {
      if (c->n_recent == 0 || c->n_recent + 1 > recent_cap (c->n_recent)) {
        opl_recent *p
            = realloc (c->recent, recent_cap (c->n_recent + 1) * sizeof *p);
        if (p == NULL)
          return false;
        c->recent = p;
      }
      memmove (&c->recent[i + 1], &c->recent[i],
               (c->n_recent - i) * sizeof *c->recent);
      c->recent[i] = (opl_recent){id, modified_us};
      c->n_recent++;
    }
  }

  /* Compact in place: drop what fell below the floor. */
  size_t w = 0;
  for (size_t r = 0; r < c->n_recent; r++)
    if (c->recent[r].modified_us >= floor_us)
      c->recent[w++] = c->recent[r];
  c->n_recent = w;

  /* Over the cap: drop the oldest (the lowest id among equals). */
  while (c->n_recent > OPL_RECENT_MAX) {
    size_t old = 0;
    for (size_t r = 1; r < c->n_recent; r++)
      if (c->recent[r].modified_us < c->recent[old].modified_us)
        old = r;
    memmove (&c->recent[old], &c->recent[old + 1],
             (c->n_recent - old - 1) * sizeof *c->recent);
    c->n_recent--;
  }
  return true;
}

bool
opl_checkpoint_is_recent (const opl_checkpoint *c, int64_t id,
                          int64_t modified_us)
{
  size_t i = recent_find (c, id);
  return i < c->n_recent && c->recent[i].id == id
         && c->recent[i].modified_us == modified_us;
}
