/* test-checkpoint.c: the checkpoint codec and the recent list. */
#include <config.h>

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opl.h"

/* The head of a valid checkpoint, up to the id sets. */
#define HEAD                                                                   \
  "{\"format\":1,\"plugin\":\"paperless_ngx\",\"api_version\":10,"             \
  "\"mode\":\"full\",\"step\":\"listed\",\"watermark_us\":5,"                  \
  "\"pending_watermark_us\":6,"
#define SETS "\"known\":\"1+9\",\"queue\":\"3+0\","
#define VALID HEAD SETS "\"recent\":\"\",\"lookups\":{}}"

static void
fill (opl_checkpoint *c)
{
  c->api_version = 9;
  c->mode = OMNI_SYNC_INCREMENTAL;
  c->step = OPL_STEP_CATCHUP;
  c->watermark_us = 1700000000123456;
  c->pending_watermark_us = INT64_MAX;
  for (int64_t id = 1; id <= 5000; id++)
    if (id % 7 != 0)
      ck_assert (opl_idset_add (&c->known, id));
  ck_assert (opl_idset_add_range (&c->queue, 4000, 4100));
  ck_assert (opl_idset_add (&c->queue, INT64_MAX));
  ck_assert (opl_checkpoint_note_recent (c, 17, 1700000000000001, 0));
  ck_assert (opl_checkpoint_note_recent (c, 3, 1700000000000000, 0));
  ck_assert (opl_checkpoint_note_recent (c, INT64_MAX, 0, 0));
  ck_assert (opl_checkpoint_note_recent (c, 4, -5, INT64_MIN));
  for (int k = 0; k < OPL_LK_COUNT; k++) {
    opl_lookup_hashes *h = &c->lookups[k];
    if (k == OPL_LK_USERS)
      continue; /* not present */
    h->present = true;
    if (k == OPL_LK_GROUPS)
      continue; /* present, empty */
    h->n = (size_t)k + 1;
    h->v = calloc (h->n, sizeof *h->v);
    ck_assert_ptr_nonnull (h->v);
    for (size_t i = 0; i < h->n; i++) {
      h->v[i].id = (int64_t)(i * 3 + 1);
      h->v[i].hash = (uint32_t)(0xdeadbeefu * (i + 1) + (unsigned)k);
    }
  }
  c->lookups[OPL_LK_TAGS].v[0].hash = 0; /* leading zeros in hex */
}

static void
assert_same (const opl_checkpoint *a, const opl_checkpoint *b)
{
  ck_assert_int_eq (a->format, b->format);
  ck_assert_int_eq (a->api_version, b->api_version);
  ck_assert_int_eq (a->mode, b->mode);
  ck_assert_int_eq (a->step, b->step);
  ck_assert_int_eq (a->watermark_us, b->watermark_us);
  ck_assert_int_eq (a->pending_watermark_us, b->pending_watermark_us);
  ck_assert_uint_eq (a->known.n, b->known.n);
  ck_assert_uint_eq (a->known.count, b->known.count);
  if (a->known.n)
    ck_assert_mem_eq (a->known.r, b->known.r, a->known.n * sizeof *a->known.r);
  ck_assert_uint_eq (a->queue.n, b->queue.n);
  if (a->queue.n)
    ck_assert_mem_eq (a->queue.r, b->queue.r, a->queue.n * sizeof *a->queue.r);
  ck_assert_uint_eq (a->n_recent, b->n_recent);
  if (a->n_recent)
    ck_assert_mem_eq (a->recent, b->recent, a->n_recent * sizeof *a->recent);
  for (int k = 0; k < OPL_LK_COUNT; k++) {
    ck_assert_int_eq (a->lookups[k].present, b->lookups[k].present);
    ck_assert_uint_eq (a->lookups[k].n, b->lookups[k].n);
    for (size_t i = 0; i < a->lookups[k].n; i++) {
      ck_assert_int_eq (a->lookups[k].v[i].id, b->lookups[k].v[i].id);
      ck_assert_uint_eq (a->lookups[k].v[i].hash, b->lookups[k].v[i].hash);
    }
  }
}

START_TEST (test_round_trip)
{
  opl_checkpoint a, b;
  char err[256] = "";
  opl_checkpoint_init (&a);
  opl_checkpoint_init (&b);
  fill (&a);
  char *t = opl_checkpoint_encode (&a);
  ck_assert_ptr_nonnull (t);
  ck_assert_ptr_null (strchr (t, '\n'));
  printf ("checkpoint: populated example is %zu bytes\n", strlen (t));
  ck_assert_msg (opl_checkpoint_decode (&b, t, err, sizeof err) == OMNI_OK,
                 "%s", err);
  assert_same (&a, &b);
  char *t2 = opl_checkpoint_encode (&b);
  ck_assert_str_eq (t, t2);
  /* Decoding again into a used struct replaces it without leaking. */
  ck_assert_int_eq (opl_checkpoint_decode (&b, t2, err, sizeof err), OMNI_OK);
  assert_same (&a, &b);
  ck_assert_ptr_null (strstr (t, "\"users\""));
  ck_assert_ptr_nonnull (strstr (t, "\"groups\":\"\""));
  ck_assert_ptr_nonnull (strstr (t, "\"tags\":\"1:00000000\""));
  ck_assert_ptr_nonnull (strstr (t, "4:-5"));
  free (t);
  free (t2);
  opl_checkpoint_free (&a);
  opl_checkpoint_free (&b);
}
END_TEST

START_TEST (test_exact_text)
{
  opl_checkpoint c;
  char err[256] = "";
  opl_checkpoint_init (&c);
  c.api_version = 10;
  c.step = OPL_STEP_DONE;
  c.watermark_us = 12;
  ck_assert (opl_idset_add_range (&c.known, 1, 36));
  ck_assert (opl_checkpoint_note_recent (&c, 2, 11, 0));
  c.lookups[OPL_LK_CORRESPONDENTS].present = true;
  char *t = opl_checkpoint_encode (&c);
  ck_assert_str_eq (
      t, "{\"format\":1,\"plugin\":\"paperless_ngx\",\"api_version\":10,"
         "\"mode\":\"full\",\"step\":\"done\",\"watermark_us\":12,"
         "\"pending_watermark_us\":0,\"known\":\"1+z\",\"queue\":\"\","
         "\"recent\":\"2:11\",\"lookups\":{\"correspondents\":\"\"}}");
  free (t);

  /* Empty text: an empty checkpoint, whatever was there before. */
  ck_assert_int_eq (opl_checkpoint_decode (&c, "", err, sizeof err), OMNI_OK);
  ck_assert_uint_eq (c.known.count, 0);
  ck_assert_uint_eq (c.n_recent, 0);
  ck_assert_int_eq (c.format, OPL_CHECKPOINT_FORMAT);
  ck_assert_int_eq (c.step, OPL_STEP_START);
  ck_assert (!c.lookups[OPL_LK_CORRESPONDENTS].present);
  ck_assert_int_eq (opl_checkpoint_decode (&c, NULL, err, sizeof err), OMNI_OK);

  /* White space around a valid checkpoint is fine; key order is free. */
  ck_assert_int_eq (opl_checkpoint_decode (&c, " " VALID "\n", err, sizeof err),
                    OMNI_OK);
  ck_assert_int_eq (
      opl_checkpoint_decode (
          &c,
          "{\"lookups\":{\"users\":\"5:0000000a\"},\"recent\":\"9:1\","
          "\"queue\":\"\",\"known\":\"\",\"pending_watermark_us\":0,"
          "\"watermark_us\":0,\"step\":\"start\",\"mode\":\"incremental\","
          "\"api_version\":1,\"plugin\":\"paperless_ngx\",\"format\":1}",
          err, sizeof err),
      OMNI_OK);
  ck_assert_int_eq (c.mode, OMNI_SYNC_INCREMENTAL);
  ck_assert (c.lookups[OPL_LK_USERS].present);
  ck_assert_uint_eq (c.lookups[OPL_LK_USERS].v[0].hash, 10);
  ck_assert (opl_checkpoint_is_recent (&c, 9, 1));
  opl_checkpoint_free (&c);
}
END_TEST

static const struct {
  const char *text;
  const char *why;
} bad[] = {
    /* format */
    {"{\"format\":2,\"plugin\":\"x\"}",
     "checkpoint format 2 is not supported (this plugin reads format 1)"},
    {"{\"format\":0}", "checkpoint format 0 is not supported"},
    {"{\"format\":-1}", "checkpoint format -1 is not supported"},
    {"{\"format\":\"1\"}", "\"format\" is missing or not an integer"},
    {"{\"format\":1.0}", "\"format\" is missing or not an integer"},
    {"{\"plugin\":\"paperless_ngx\"}", "\"format\" is missing"},
    {"{\"format\":99999999999999999999}",
     "\"format\" is missing or not an integer"},
    /* plugin */
    {"{\"format\":1,\"plugin\":\"paperless\"}",
     "written by plugin \"paperless\", not \"paperless_ngx\""},
    {"{\"format\":1,\"plugin\":\"paperless_ngx\\u0000\"}", "written by plugin"},
    {"{\"format\":1,\"plugin\":7}", "\"plugin\" is missing or not a string"},
    {"{\"format\":1}", "\"plugin\" is missing or not a string"},
    /* shape */
    {"[]", "not a JSON object"},
    {"1 ", "not a JSON object"},
    {"true ", "not a JSON object"},
    {"\"x\"", "not a JSON object"},
    /* The JSON layer's wording for these has changed before: any of the
     * alternatives separated by '|' will do. */
    {"null ", "malformed JSON|not a JSON object"},
    {"1", "truncated JSON|not a JSON object"},
    {"{", "truncated JSON|unexpected end of data"},
    {"{\"format\":1,\"plugin\":\"paperless_ngx\",\"api_ver",
     "truncated JSON|unexpected end of data"},
    {"{\"format\":1,,}", "malformed JSON"},
    {"{format:1}", "malformed JSON"},
    /* json-c 0.16 takes single quotes even in strict mode; the checkpoint
     * still fails on its content. */
    {"{'format':1}", "\"plugin\" is missing"},
    {VALID "x", "JSON at byte 179"},
    {VALID VALID, "JSON at byte 179"},
    {VALID " \n\t x", "JSON at byte 183"},
    {HEAD SETS "\"recent\":\"\",\"lookups\":{},\"extra\":1}",
     "unknown key \"extra\""},
    /* api_version, mode, step, watermarks */
    {"{\"format\":1,\"plugin\":\"paperless_ngx\",\"api_version\":0}",
     "\"api_version\" is 0, outside 1..99"},
    {"{\"format\":1,\"plugin\":\"paperless_ngx\",\"api_version\":100}",
     "\"api_version\" is 100, outside 1..99"},
    {"{\"format\":1,\"plugin\":\"paperless_ngx\",\"api_version\":\"10\"}",
     "\"api_version\" is missing or not an integer"},
    {"{\"format\":1,\"plugin\":\"paperless_ngx\",\"api_version\":10.5}",
     "\"api_version\" is missing or not an integer"},
    {"{\"format\":1,\"plugin\":\"paperless_ngx\",\"api_version\":10,"
     "\"mode\":\"partial\"}",
     "unknown mode \"partial\""},
    {"{\"format\":1,\"plugin\":\"paperless_ngx\",\"api_version\":10,"
     "\"mode\":\"full\",\"step\":\"finished\"}",
     "unknown step \"finished\""},
    {"{\"format\":1,\"plugin\":\"paperless_ngx\",\"api_version\":10,"
     "\"mode\":\"full\",\"step\":\"DONE\"}",
     "unknown step \"DONE\""},
    {"{\"format\":1,\"plugin\":\"paperless_ngx\",\"api_version\":10,"
     "\"mode\":\"full\",\"step\":3}",
     "\"step\" is missing or not a string"},
    {"{\"format\":1,\"plugin\":\"paperless_ngx\",\"api_version\":10,"
     "\"mode\":\"full\",\"step\":\"done\",\"watermark_us\":-1}",
     "\"watermark_us\" is -1, outside 0.."},
    {"{\"format\":1,\"plugin\":\"paperless_ngx\",\"api_version\":10,"
     "\"mode\":\"full\",\"step\":\"done\",\"watermark_us\":"
     "9223372036854775808}",
     "\"watermark_us\" is missing or not an integer"},
    {"{\"format\":1,\"plugin\":\"paperless_ngx\",\"api_version\":10,"
     "\"mode\":\"full\",\"step\":\"done\",\"watermark_us\":1e30}",
     "\"watermark_us\" is missing or not an integer"},
    {"{\"format\":1,\"plugin\":\"paperless_ngx\",\"api_version\":10,"
     "\"mode\":\"full\",\"step\":\"done\",\"watermark_us\":null}",
     "\"watermark_us\" is missing or not an integer"},
    {"{\"format\":1,\"plugin\":\"paperless_ngx\",\"api_version\":10,"
     "\"mode\":\"full\",\"step\":\"done\",\"watermark_us\":1}",
     "\"pending_watermark_us\" is missing"},
    /* id sets */
    {HEAD "\"known\":\"1+0\\u0000\",\"queue\":\"\",\"recent\":\"\","
          "\"lookups\":{}}",
     "\"known\": id set: unexpected byte 0x00 at offset 3"},
    {HEAD "\"known\":5,\"queue\":\"\",\"recent\":\"\",\"lookups\":{}}",
     "\"known\" is missing or not a string"},
    {HEAD
     "\"known\":\"1+9,1+0\",\"queue\":\"\",\"recent\":\"\",\"lookups\":{}}",
     "\"known\": id set: range at offset 4 overlaps or touches"},
    {HEAD "\"known\":\"\",\"queue\":\"0+1\",\"recent\":\"\",\"lookups\":{}}",
     "\"queue\": id set: id 0"},
    {HEAD "\"known\":\"\",\"queue\":[],\"recent\":\"\",\"lookups\":{}}",
     "\"queue\" is missing or not a string"},
    /* recent */
    {HEAD SETS "\"lookups\":{}}", "\"recent\" is missing or not a string"},
    {HEAD SETS "\"recent\":\"2:1,1:1\",\"lookups\":{}}",
     "\"recent\" is not strictly ascending by id at offset 4"},
    {HEAD SETS "\"recent\":\"2:1,2:5\",\"lookups\":{}}",
     "\"recent\" is not strictly ascending"},
    {HEAD SETS "\"recent\":\"0:1\",\"lookups\":{}}",
     "\"recent\" entry at offset 0 is not <id>:<microseconds>"},
    {HEAD SETS "\"recent\":\"1:1,\",\"lookups\":{}}",
     "\"recent\" entry at offset 4"},
    {HEAD SETS "\"recent\":\"1\",\"lookups\":{}}",
     "\"recent\" entry at offset 0"},
    {HEAD SETS "\"recent\":\"1:\",\"lookups\":{}}",
     "\"recent\" entry at offset 0"},
    {HEAD SETS "\"recent\":\"1:01\",\"lookups\":{}}", "\"recent\" entry"},
    {HEAD SETS "\"recent\":\"1:-0\",\"lookups\":{}}", "\"recent\" entry"},
    {HEAD SETS "\"recent\":\"-1:5\",\"lookups\":{}}", "\"recent\" entry"},
    {HEAD SETS "\"recent\":\"1:2:3\",\"lookups\":{}}", "\"recent\" entry"},
    {HEAD SETS "\"recent\":\"1:9223372036854775808\",\"lookups\":{}}",
     "\"recent\" entry"},
    {HEAD SETS "\"recent\":\"1:-9223372036854775809\",\"lookups\":{}}",
     "\"recent\" entry"},
    {HEAD SETS "\"recent\":\"1: 5\",\"lookups\":{}}", "\"recent\" entry"},
    {HEAD SETS "\"recent\":7,\"lookups\":{}}", "\"recent\" is missing"},
    /* lookups */
    {HEAD SETS "\"recent\":\"\"}", "\"lookups\" is missing or not an object"},
    {HEAD SETS "\"recent\":\"\",\"lookups\":[]}", "\"lookups\" is missing"},
    {HEAD SETS "\"recent\":\"\",\"lookups\":{\"labels\":\"\"}}",
     "unknown lookup kind \"labels\""},
    {HEAD SETS "\"recent\":\"\",\"lookups\":{\"tags\":null}}",
     "lookups \"tags\" is not a string"},
    {HEAD SETS
     "\"recent\":\"\",\"lookups\":{\"tags\":\"2:00000000,1:00000000\"}}",
     "lookups \"tags\" is not strictly ascending by id at offset 11"},
    {HEAD SETS "\"recent\":\"\",\"lookups\":{\"users\":\"1:0000000A\"}}",
     "lookups \"users\" entry at offset 0 is not <id>:<8 lower-case hex"},
    {HEAD SETS "\"recent\":\"\",\"lookups\":{\"users\":\"1:0000000\"}}",
     "lookups \"users\" entry at offset 0"},
    {HEAD SETS "\"recent\":\"\",\"lookups\":{\"users\":\"1:000000000\"}}",
     "lookups \"users\" entry at offset 0"},
    {HEAD SETS "\"recent\":\"\",\"lookups\":{\"groups\":\"1:00000000,\"}}",
     "lookups \"groups\" entry at offset 11"},
    {HEAD SETS "\"recent\":\"\",\"lookups\":{\"groups\":\"0:00000000\"}}",
     "lookups \"groups\" entry at offset 0"},
    {HEAD SETS "\"recent\":\"\",\"lookups\":{\"groups\":\"x:00000000\"}}",
     "lookups \"groups\" entry at offset 0"},
};

/* True when err contains one of the '|'-separated alternatives. */
static bool
matches (const char *err, const char *alternatives)
{
  char buf[256];
  snprintf (buf, sizeof buf, "%s", alternatives);
  for (char *save = NULL, *p = strtok_r (buf, "|", &save); p;
       p = strtok_r (NULL, "|", &save))
    if (strstr (err, p))
      return true;
  return false;
}

START_TEST (test_rejects)
{
  opl_checkpoint c;
  char err[256] = "";
  opl_checkpoint_init (&c);
  /* Start from a populated struct: a failed decode must leave it empty. */
  fill (&c);
  ck_assert_int_eq (opl_checkpoint_decode (&c, bad[_i].text, err, sizeof err),
                    OMNI_ERR_INVALID);
  ck_assert_msg (matches (err, bad[_i].why),
                 "input %d: error \"%s\" lacks \"%s\"", _i, err, bad[_i].why);
  ck_assert_ptr_null (strchr (err, '\n'));
  ck_assert_uint_eq (c.known.count, 0);
  ck_assert_uint_eq (c.queue.count, 0);
  ck_assert_uint_eq (c.n_recent, 0);
  for (int k = 0; k < OPL_LK_COUNT; k++) {
    ck_assert (!c.lookups[k].present);
    ck_assert_uint_eq (c.lookups[k].n, 0);
  }
  opl_checkpoint_free (&c);
}
END_TEST

/* Inputs that must not crash and must fail cleanly. */
START_TEST (test_rejects_large)
{
  opl_checkpoint c;
  char err[256] = "";
  opl_buf b;
  opl_checkpoint_init (&c);
  opl_buf_init (&b);

  /* Nesting beyond the parser's depth limit. */
  for (int i = 0; i < 100000; i++)
    opl_buf_putc (&b, '[');
  ck_assert (!b.oom);
  ck_assert_int_eq (opl_checkpoint_decode (&c, b.data, err, sizeof err),
                    OMNI_ERR_INVALID);
  ck_assert_ptr_nonnull (strstr (err, "malformed JSON"));

  /* More recent entries than the cap. */
  opl_buf_reset (&b);
  opl_buf_puts (&b, HEAD SETS "\"recent\":\"");
  for (int i = 1; i <= OPL_RECENT_MAX + 1; i++)
    opl_buf_printf (&b, "%s%d:1", i > 1 ? "," : "", i);
  opl_buf_puts (&b, "\",\"lookups\":{}}");
  ck_assert_int_eq (opl_checkpoint_decode (&c, b.data, err, sizeof err),
                    OMNI_ERR_INVALID);
  ck_assert_ptr_nonnull (strstr (err, "\"recent\" has 4097 entries"));

  /* A long plugin name is cut in the message. */
  opl_buf_reset (&b);
  opl_buf_puts (&b, "{\"format\":1,\"plugin\":\"");
  for (int i = 0; i < 1000; i++)
    opl_buf_putc (&b, 'p');
  opl_buf_puts (&b, "\"}");
  ck_assert_int_eq (opl_checkpoint_decode (&c, b.data, err, sizeof err),
                    OMNI_ERR_INVALID);
  ck_assert_ptr_nonnull (strstr (err, "...\", not"));
  ck_assert_uint_lt (strlen (err), 120);

  /* Exactly the cap is fine. */
  opl_buf_reset (&b);
  opl_buf_puts (&b, HEAD SETS "\"recent\":\"");
  for (int i = 1; i <= OPL_RECENT_MAX; i++)
    opl_buf_printf (&b, "%s%d:%d", i > 1 ? "," : "", i, -i);
  opl_buf_puts (&b, "\",\"lookups\":{}}");
  ck_assert_int_eq (opl_checkpoint_decode (&c, b.data, err, sizeof err),
                    OMNI_OK);
  ck_assert_uint_eq (c.n_recent, OPL_RECENT_MAX);
  /* One more note drops the oldest: id 4096 with -4096. */
  ck_assert (opl_checkpoint_note_recent (&c, 5000, 7, INT64_MIN));
  ck_assert_uint_eq (c.n_recent, OPL_RECENT_MAX);
  ck_assert (!opl_checkpoint_is_recent (&c, 4096, -4096));
  ck_assert (opl_checkpoint_is_recent (&c, 4095, -4095));
  ck_assert (opl_checkpoint_is_recent (&c, 5000, 7));

  opl_buf_free (&b);
  opl_checkpoint_free (&c);
}
END_TEST

START_TEST (test_recent)
{
  opl_checkpoint c;
  opl_checkpoint_init (&c);
  ck_assert (!opl_checkpoint_is_recent (&c, 1, 0));
  ck_assert (opl_checkpoint_note_recent (&c, 30, 300, 0));
  ck_assert (opl_checkpoint_note_recent (&c, 10, 100, 0));
  ck_assert (opl_checkpoint_note_recent (&c, 20, 200, 0));
  ck_assert_uint_eq (c.n_recent, 3);
  ck_assert_int_eq (c.recent[0].id, 10);
  ck_assert_int_eq (c.recent[1].id, 20);
  ck_assert_int_eq (c.recent[2].id, 30);
  ck_assert (opl_checkpoint_is_recent (&c, 20, 200));
  ck_assert (!opl_checkpoint_is_recent (&c, 20, 201));
  ck_assert (!opl_checkpoint_is_recent (&c, 21, 200));

  /* Same id again: replaced, not duplicated. */
  ck_assert (opl_checkpoint_note_recent (&c, 20, 250, 0));
  ck_assert_uint_eq (c.n_recent, 3);
  ck_assert (!opl_checkpoint_is_recent (&c, 20, 200));
  ck_assert (opl_checkpoint_is_recent (&c, 20, 250));

  /* A floor drops what is older, including the new entry if it is. */
  ck_assert (opl_checkpoint_note_recent (&c, 40, 150, 200));
  ck_assert_uint_eq (c.n_recent, 2);
  ck_assert_int_eq (c.recent[0].id, 20);
  ck_assert_int_eq (c.recent[1].id, 30);
  ck_assert (!opl_checkpoint_is_recent (&c, 10, 100));
  ck_assert (!opl_checkpoint_is_recent (&c, 40, 150));

  /* Ids below 1 cannot be stored. */
  ck_assert (opl_checkpoint_note_recent (&c, 0, 500, 0));
  ck_assert (opl_checkpoint_note_recent (&c, -1, 500, 0));
  ck_assert_uint_eq (c.n_recent, 2);

  /* Past the cap the oldest go, whatever their ids; the list stays
   * sorted by id. */
  uint64_t st = 7;
  for (int i = 0; i < 3 * OPL_RECENT_MAX; i++) {
    st = st * 6364136223846793005ULL + 1442695040888963407ULL;
    int64_t id = (int64_t)(st >> 40) % 100000 + 1;
    ck_assert (opl_checkpoint_note_recent (&c, id, 1000 + i, 0));
    ck_assert_uint_le (c.n_recent, OPL_RECENT_MAX);
    ck_assert (opl_checkpoint_is_recent (&c, id, 1000 + i));
  }
  ck_assert_uint_eq (c.n_recent, OPL_RECENT_MAX);
  int64_t oldest = INT64_MAX;
  for (size_t i = 0; i < c.n_recent; i++) {
    if (i)
      ck_assert_int_gt (c.recent[i].id, c.recent[i - 1].id);
    if (c.recent[i].modified_us < oldest)
      oldest = c.recent[i].modified_us;
  }
  /* Each insert was the newest, so the survivors are the latest notes
   * (fewer than the last 4096 when ids repeat). */
  ck_assert_int_ge (oldest, 1000 + 2 * OPL_RECENT_MAX - 1000);
  ck_assert (!opl_checkpoint_is_recent (&c, 20, 250));

  /* A floor above everything empties the list. */
  ck_assert (opl_checkpoint_note_recent (&c, 1, 0, INT64_MAX));
  ck_assert_uint_eq (c.n_recent, 0);
  ck_assert (opl_checkpoint_note_recent (&c, 1, 5, 0));
  ck_assert_uint_eq (c.n_recent, 1);
  opl_checkpoint_free (&c);
}
END_TEST

/* The whole checkpoint at the sizes of issue 4: a million known ids with
 * 1% gaps, and (worst case) a full recent list. */
START_TEST (test_size)
{
  opl_checkpoint c, d;
  char err[256] = "";
  uint64_t st = 42;
  opl_checkpoint_init (&c);
  opl_checkpoint_init (&d);
  c.api_version = 10;
  for (int64_t id = 1; id <= 1000000; id++) {
    st = st * 6364136223846793005ULL + 1442695040888963407ULL;
    if ((st >> 33) % 100 != 0)
      ck_assert (opl_idset_add (&c.known, id));
  }
  char *t = opl_checkpoint_encode (&c);
  ck_assert_ptr_nonnull (t);
  size_t base = strlen (t);
  free (t);
  for (int64_t i = 0; i < OPL_RECENT_MAX; i++)
    ck_assert (opl_checkpoint_note_recent (&c, 990000 + i,
                                           1700000000000000 + i * 1000, 0));
  t = opl_checkpoint_encode (&c);
  ck_assert_ptr_nonnull (t);
  printf ("checkpoint: 1,000,000 ids with 1%% gaps -> %zu bytes; with %d "
          "recent entries -> %zu bytes\n",
          base, OPL_RECENT_MAX, strlen (t));
  fflush (stdout);
  ck_assert_uint_lt (base, 100 * 1000);
  ck_assert_uint_lt (strlen (t), 250 * 1000);
  ck_assert_int_eq (opl_checkpoint_decode (&d, t, err, sizeof err), OMNI_OK);
  assert_same (&c, &d);
  free (t);
  opl_checkpoint_free (&c);
  opl_checkpoint_free (&d);
}
END_TEST

/* Before any server was reached there is nothing to record: "" (which
 * decodes to the same initial state), not text with api_version 0. */
START_TEST (test_encode_initial)
{
  opl_checkpoint c;
  char err[256] = "";
  opl_checkpoint_init (&c);
  char *t = opl_checkpoint_encode (&c);
  ck_assert_str_eq (t, "");
  free (t);
  ck_assert_int_eq (opl_checkpoint_decode (&c, "", err, sizeof err), OMNI_OK);
  /* Once anything is recorded, the text is JSON again. */
  c.mode = OMNI_SYNC_INCREMENTAL;
  t = opl_checkpoint_encode (&c);
  ck_assert_str_eq (t, "");
  free (t);
  c.api_version = 3;
  t = opl_checkpoint_encode (&c);
  ck_assert_ptr_nonnull (strstr (t, "\"api_version\":3,"));
  free (t);
  opl_checkpoint_free (&c);
}
END_TEST

/* Out-of-range enum values never produce text the decoder refuses. */
START_TEST (test_encode_odd_values)
{
  opl_checkpoint c, d;
  char err[256] = "";
  opl_checkpoint_init (&c);
  opl_checkpoint_init (&d);
  c.api_version = 99;
  c.mode = (omni_sync_mode)7;
  c.step = (opl_step)42;
  char *t = opl_checkpoint_encode (&c);
  ck_assert_ptr_nonnull (t);
  ck_assert_msg (opl_checkpoint_decode (&d, t, err, sizeof err) == OMNI_OK,
                 "%s", err);
  ck_assert_int_eq (d.mode, OMNI_SYNC_FULL);
  ck_assert_int_eq (d.step, OPL_STEP_START);
  free (t);
  opl_checkpoint_free (&c);
  opl_checkpoint_free (&d);
}
END_TEST

static Suite *
checkpoint_suite (void)
{
  Suite *s = suite_create ("checkpoint");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_exact_text);
  tcase_add_loop_test (tc, test_rejects, 0, (int)(sizeof bad / sizeof *bad));
  tcase_add_test (tc, test_rejects_large);
  tcase_add_test (tc, test_recent);
  tcase_add_test (tc, test_encode_odd_values);
  tcase_add_test (tc, test_size);
  tcase_add_test (tc, test_encode_initial);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (checkpoint_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
