/* fp-generate.c: a deterministic synthetic corpus for benchmarks, and the
 * corpus writer.  Same (n, seed, options) → byte-identical corpus. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp-internal.h"

#define US_PER_DAY INT64_C (86400000000)

static uint64_t
next (uint64_t *st)
{
  uint64_t z = (*st += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

static unsigned
pick (uint64_t *st, unsigned n)
{
  return n ? (unsigned)(next (st) % n) : 0;
}

/* ----------------------------------------------------------------- text */

static const char *const words[] = {
    "Rechnung",  "Betrag",   "Datum",     "Kundennummer", "invoice",
    "total",     "payment",  "due",       "Überweisung",  "Mehrwertsteuer",
    "19%",       "EUR",      "€",         "Versicherung", "policy",
    "account",   "the",      "and",       "of",           "to",
    "für",       "über",     "Straße",    "Größe",        "Müller",
    "contract",  "Vertrag",  "Kündigung", "Termin",       "bitte",
    "thank",     "you",      "your",      "order",        "Bestellung",
    "Lieferung", "delivery", "reference", "IBAN",         "DE89",
    "3704",      "0044",     "0532",      "0130",         "00",
    "Seite",     "page",     "Steuer",    "tax",          "return",
    "Arzt",      "Befund",   "Rezept",    "medical",      "report",
    "café",      "naïve",    "résumé",    "Ærø",          "Œuvre",
};
#define N_WORDS (sizeof words / sizeof *words)

void
fp_gen_text (fp_buf *b, uint64_t seed, size_t bytes)
{
  uint64_t st = seed;
  size_t start = b->len, line = 0, page = 0;
  while (!b->oom) {
    const char *w = words[pick (&st, N_WORDS)];
    size_t wl = strlen (w);
    size_t used = b->len - start;
    if (used + wl + 1 > bytes)
      break;
    if (used) {
      char sep = ' ';
      if (page > 1800) { /* OCR page separator */
        sep = '\f';
        page = line = 0;
      } else if (line > 60 + pick (&st, 20)) {
        sep = '\n';
        line = 0;
      }
      fp_buf_addc (b, sep);
    }
    fp_buf_add (b, w, wl);
    line += wl + 1;
    page += wl + 1;
  }
}

/* ------------------------------------------------------------- lookups */

static fp_lookup *
new_lookup (fp_corpus *c, fp_lk k, size_t cap, int64_t id, const char *name)
{
  if (!c->lk[k]) {
    c->lk[k] = calloc (cap, sizeof (fp_lookup));
    if (!c->lk[k])
      return NULL;
  }
  fp_lookup *l = &c->lk[k][c->n_lk[k]++];
  l->id = id;
  l->name = strdup (name);
  l->owner = l->parent = FP_NULL_ID;
  l->obj = json_object_new_object ();
  json_object_object_add (l->obj, "id", json_object_new_int64 (id));
  json_object_object_add (l->obj, k == FP_USERS ? "username" : "name",
                          json_object_new_string (name));
  return l;
}

static void
slug_of (char *out, size_t len, const char *name)
{
  size_t o = 0;
  for (const char *p = name; *p && o + 1 < len; p++) {
    unsigned char ch = (unsigned char)*p;
    if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
      out[o++] = (char)ch;
    else if (ch >= 'A' && ch <= 'Z')
      out[o++] = (char)(ch - 'A' + 'a');
    else if (ch == ' ' && o && out[o - 1] != '-')
      out[o++] = '-';
  }
  out[o] = '\0';
}

static void
matching_members (json_object *o, uint64_t *st, const char *name)
{
  char slug[128];
  slug_of (slug, sizeof slug, name);
  json_object_object_add (o, "slug", json_object_new_string (slug));
  json_object_object_add (o, "match", json_object_new_string (""));
  json_object_object_add (o, "matching_algorithm",
                          json_object_new_int (pick (st, 7)));
  json_object_object_add (o, "is_insensitive", json_object_new_boolean (1));
}

static const char *const tag_names[]
    = {"Inbox",  "Rechnung", "Steuer",   "Versicherung", "Auto",   "Haus",
       "Arzt",   "Bank",     "Vertrag",  "Garantie",     "Schule", "Reise",
       "Urlaub", "Strom",    "Internet", "Telefon",      "Miete",  "Spende",
       "Privat", "Arbeit",   "Gehalt",   "Rente",        "Kinder", "Archiv"};
static const char *const corr_names[] = {"Stadtwerke München",
                                         "Allianz",
                                         "Deutsche Bank",
                                         "Finanzamt",
                                         "Dr. Schmidt",
                                         "Amazon",
                                         "Telekom",
                                         "Vodafone",
                                         "ADAC",
                                         "IKEA",
                                         "Hausverwaltung Meier",
                                         "HUK-Coburg",
                                         "Techniker Krankenkasse",
                                         "Sparkasse",
                                         "ING",
                                         "DKB"};
static const char *const type_names[]
    = {"Invoice", "Receipt", "Contract", "Letter",   "Statement",   "Policy",
       "Payslip", "Notice",  "Report",   "Warranty", "Certificate", "Form"};
static const char *const first_names[]
    = {"Alice", "Bob", "Carol", "Dave", "Eve", "Frank", "Grace", "Heidi"};

static void
gen_lookups (fp_corpus *c, uint64_t *st, const fp_gen_options *o)
{
  unsigned nu = o->n_users ? o->n_users : 4;
  c->lk[FP_GROUPS] = NULL;
  fp_lookup *g = new_lookup (c, FP_GROUPS, 2, 1, "staff");
  (void)g;
  new_lookup (c, FP_GROUPS, 2, 2, "family");
  for (unsigned i = 0; i < nu; i++) {
    char uname[32];
    const char *first = i == 0 ? "" : first_names[(i - 1) % 8];
    if (i == 0)
      snprintf (uname, sizeof uname, "admin");
    else if (i <= 8)
      snprintf (uname, sizeof uname, "%c%s", first[0] + 32, first + 1);
    else
      snprintf (uname, sizeof uname, "user%u", i + 1);
    fp_lookup *u = new_lookup (c, FP_USERS, nu, i + 1, uname);
    json_object *o2 = u->obj;
    char mail[64];
    snprintf (mail, sizeof mail, "%s@example.com", uname);
    json_object_object_add (o2, "email", json_object_new_string (mail));
    json_object_object_add (o2, "first_name", json_object_new_string (first));
    json_object_object_add (o2, "last_name",
                            json_object_new_string (i ? "Example" : ""));
    json_object_object_add (o2, "is_staff", json_object_new_boolean (i == 0));
    json_object_object_add (o2, "is_superuser",
                            json_object_new_boolean (i == 0));
    json_object *groups = json_object_new_array ();
    if (i % 2 == 1)
      json_object_array_add (groups, json_object_new_int (1));
    if (i % 3 == 2)
      json_object_array_add (groups, json_object_new_int (2));
    json_object_object_add (o2, "groups", groups);
    json_object_object_add (o2, "x_password", json_object_new_string (uname));
  }
  unsigned nt = o->n_tags ? o->n_tags : 24;
  for (unsigned i = 0; i < nt; i++) {
    char name[64];
    if (i < sizeof tag_names / sizeof *tag_names)
      snprintf (name, sizeof name, "%s", tag_names[i]);
    else
      snprintf (name, sizeof name, "Tag %u", i + 1);
    fp_lookup *t = new_lookup (c, FP_TAGS, nt, i + 1, name);
    matching_members (t->obj, st, name);
    char color[8];
    snprintf (color, sizeof color, "#%06x", (unsigned)(next (st) & 0xffffff));
    json_object_object_add (t->obj, "color", json_object_new_string (color));
    json_object_object_add (
        t->obj, "text_color",
        json_object_new_string (i % 2 ? "#ffffff" : "#000000"));
    json_object_object_add (t->obj, "is_inbox_tag",
                            json_object_new_boolean (i == 0));
    /* Every 6th tag nests under the one before (depth <= 2). */
    if (i % 6 == 5)
      t->parent = i;
    if (i % 8 == 7) /* a private tag of user 2 */
      t->owner = nu > 1 ? 2 : FP_NULL_ID;
  }
  struct {
    fp_lk k;
    unsigned n;
    const char *const *names;
    size_t nn;
  } simple[] = {
      {FP_CORRESPONDENTS, o->n_correspondents ? o->n_correspondents : 40,
       corr_names, sizeof corr_names / sizeof *corr_names},
      {FP_DOCUMENT_TYPES, o->n_document_types ? o->n_document_types : 12,
       type_names, sizeof type_names / sizeof *type_names},
      {FP_STORAGE_PATHS, o->n_storage_paths ? o->n_storage_paths : 4, NULL, 0},
  };
  for (size_t s = 0; s < 3; s++) {
    for (unsigned i = 0; i < simple[s].n; i++) {
      char name[80];
      if (simple[s].names && i < simple[s].nn)
        snprintf (name, sizeof name, "%s", simple[s].names[i]);
      else if (simple[s].names)
        snprintf (name, sizeof name, "%s %u", simple[s].names[i % simple[s].nn],
                  (unsigned)(i / simple[s].nn + 1));
      else
        snprintf (name, sizeof name, "Path %u", i + 1);
      fp_lookup *l = new_lookup (c, simple[s].k, simple[s].n, i + 1, name);
      matching_members (l->obj, st, name);
      if (simple[s].k == FP_STORAGE_PATHS) {
        char path[96];
        snprintf (path, sizeof path,
                  "archive/%u/{{ created_year }}/{{ title }}", i + 1);
        json_object_object_add (l->obj, "path", json_object_new_string (path));
      }
    }
  }
  static const char *const types[]
      = {"string",  "longtext", "url",      "date",         "boolean",
         "integer", "float",    "monetary", "documentlink", "select"};
  static const char *const cf_names[]
      = {"Reference", "Remarks", "Portal", "Due date", "Paid",
         "Pages",     "Rating",  "Amount", "Related",  "Priority"};
  for (unsigned i = 0; i < 10; i++) {
    fp_lookup *f = new_lookup (c, FP_CUSTOM_FIELDS, 10, i + 1, cf_names[i]);
    json_object_object_add (f->obj, "data_type",
                            json_object_new_string (types[i]));
    json_object *extra = json_object_new_object ();
    json_object *opts = json_object_new_array ();
    if (i == 9) {
      static const char *const labels[] = {"Low", "Medium", "High"};
      for (int k = 0; k < 3; k++) {
        char oid[17];
        for (int j = 0; j < 16; j++)
          oid[j]
              = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                  [pick (st, 62)];
        oid[16] = '\0';
        json_object *op = json_object_new_object ();
        json_object_object_add (op, "id", json_object_new_string (oid));
        json_object_object_add (op, "label",
                                json_object_new_string (labels[k]));
        json_object_array_add (opts, op);
      }
    }
    json_object_object_add (extra, "select_options", opts);
    json_object_object_add (extra, "default_currency",
                            i == 7 ? json_object_new_string ("EUR") : NULL);
    json_object_object_add (f->obj, "extra_data", extra);
  }
}

/* ------------------------------------------------------------ documents */

static json_object *
cf_random_value (const fp_corpus *c, unsigned field, uint64_t *st,
                 int64_t doc_id)
{
  char tmp[64];
  switch (field) {
    case 1:
      snprintf (tmp, sizeof tmp, "REF-%06u", pick (st, 1000000));
      return json_object_new_string (tmp);
    case 2:
      return json_object_new_string ("Zeile eins\nZeile zwei: \"ok\"");
    case 3:
      return json_object_new_string ("https://example.com/portal");
    case 4:
      snprintf (tmp, sizeof tmp, "202%u-%02u-%02u", pick (st, 6),
                1 + pick (st, 12), 1 + pick (st, 28));
      return json_object_new_string (tmp);
    case 5:
      return json_object_new_boolean ((int)pick (st, 2));
    case 6:
      return json_object_new_int ((int32_t)pick (st, 500));
    case 7:
      snprintf (tmp, sizeof tmp, "%u.%u", pick (st, 5), pick (st, 10));
      return json_object_new_double_s (atof (tmp), tmp);
    case 8:
      if (pick (st, 4) == 0)
        snprintf (tmp, sizeof tmp, "%u.50", pick (st, 1000));
      else
        snprintf (tmp, sizeof tmp, "%s%u.%02u", pick (st, 3) ? "EUR" : "USD",
                  pick (st, 5000), pick (st, 100));
      return json_object_new_string (tmp);
    case 9: {
      json_object *a = json_object_new_array ();
      json_object_array_add (
          a, json_object_new_int64 (doc_id > 1 ? doc_id - 1 : 1));
      return a;
    }
    default: {
      json_object *extra, *opts;
      const fp_lookup *f = &c->lk[FP_CUSTOM_FIELDS][9];
      json_object_object_get_ex (f->obj, "extra_data", &extra);
      json_object_object_get_ex (extra, "select_options", &opts);
      json_object *op = json_object_array_get_idx (opts, pick (st, 3)), *id;
      json_object_object_get_ex (op, "id", &id);
      return json_object_get (id);
    }
  }
}

static int
gen_document (fp_corpus *c, fp_doc *d, uint64_t *st, uint64_t seed,
              const fp_gen_options *o)
{
  unsigned nu = (unsigned)c->n_lk[FP_USERS];
  size_t ncorr = c->n_lk[FP_CORRESPONDENTS], ntype = c->n_lk[FP_DOCUMENT_TYPES];
  size_t npath = c->n_lk[FP_STORAGE_PATHS], ntag = c->n_lk[FP_TAGS];
  if (pick (st, 100) < 85 && ncorr)
    d->correspondent = c->lk[FP_CORRESPONDENTS][pick (st, (unsigned)ncorr)].id;
  if (pick (st, 100) < 90 && ntype)
    d->document_type = c->lk[FP_DOCUMENT_TYPES][pick (st, (unsigned)ntype)].id;
  if (pick (st, 100) < 50 && npath)
    d->storage_path = c->lk[FP_STORAGE_PATHS][pick (st, (unsigned)npath)].id;
  char title[160];
  const fp_lookup *ty
      = fp_corpus_find_lookup (c, FP_DOCUMENT_TYPES, d->document_type);
  const fp_lookup *co
      = fp_corpus_find_lookup (c, FP_CORRESPONDENTS, d->correspondent);
  snprintf (title, sizeof title, "%s %s %lld", ty ? ty->name : "Scan",
            co ? co->name : "", (long long)d->id);
  d->title = strdup (title);
  d->content = NULL;
  d->gen_seed = seed ^ ((uint64_t)d->id * 0x2545F4914F6CDD1Du);
  d->gen_bytes = o->content_bytes ? o->content_bytes : 4096;
  unsigned ntags = pick (st, 5);
  for (unsigned i = 0; i < ntags && ntag; i++) {
    const fp_lookup *t = &c->lk[FP_TAGS][pick (st, (unsigned)ntag)];
    if (!fp_ids_has (&d->tags, t->id))
      fp_ids_push (&d->tags, t->id);
    if (t->parent != FP_NULL_ID && !fp_ids_has (&d->tags, t->parent))
      fp_ids_push (&d->tags, t->parent); /* ancestors come along */
  }
  /* 2015-01-01 .. 2025-12-31 */
  int64_t day0 = fp_days_from_civil (2015, 1, 1);
  d->created_days = (int32_t)(day0 + pick (st, 4017));
  int64_t end = FP_CLOCK_START_US - US_PER_DAY;
  d->added_us = (int64_t)d->created_days * US_PER_DAY
                + (int64_t)pick (st, 30) * US_PER_DAY
                + (int64_t)pick (st, 86400) * 1000000 + pick (st, 1000000);
  if (d->added_us > end)
    d->added_us = end - (int64_t)pick (st, 86400) * 1000000;
  d->modified_us = d->added_us;
  if (pick (st, 3) == 0)
    d->modified_us += (int64_t)pick (st, 400) * US_PER_DAY + pick (st, 1000000);
  if (d->modified_us > end)
    d->modified_us = end - pick (st, 1000000);
  if (d->modified_us < d->added_us)
    d->modified_us = d->added_us;
  if (pick (st, 100) < 60)
    d->asn = d->id;
  unsigned r = pick (st, 100);
  d->owner = r < 70   ? 1
             : r < 85 ? (nu > 1 ? 2 : 1)
             : r < 95 ? FP_NULL_ID
                      : (nu > 2 ? 3 : 1);
  if (pick (st, 100) < 20 && nu > 1) {
    fp_ids_push (&d->perms.view_users, 1 + pick (st, nu));
    if (pick (st, 2))
      fp_ids_push (&d->perms.view_groups, 1 + pick (st, 2));
    if (pick (st, 4) == 0)
      fp_ids_push (&d->perms.change_users, 1 + pick (st, nu));
  }
  static const char *const mimes[]
      = {"application/pdf", "application/pdf", "application/pdf", "image/png",
         "message/rfc822"};
  const char *mime = mimes[pick (st, 5)];
  d->mime_type = strdup (mime);
  char fname[200];
  snprintf (fname, sizeof fname, "scan_%05lld.%s", (long long)d->id,
            !strcmp (mime, "image/png")        ? "png"
            : !strcmp (mime, "message/rfc822") ? "eml"
                                               : "pdf");
  d->original_file_name = strdup (fname);
  int yy, mm, dd;
  fp_civil_from_days (d->created_days, &yy, &mm, &dd);
  snprintf (fname, sizeof fname, "%04d-%02d-%02d %s.pdf", yy, mm, dd, title);
  d->archived_file_name = strcmp (mime, "application/pdf") == 0 || pick (st, 2)
                              ? strdup (fname)
                              : NULL;
  d->page_count = 1 + pick (st, 12);
  if (pick (st, 10) == 0) {
    unsigned nn = 1 + pick (st, 2);
    d->notes = calloc (nn, sizeof *d->notes);
    for (unsigned i = 0; d->notes && i < nn; i++) {
      fp_note *n = &d->notes[d->n_notes++];
      n->id = ++c->max_note_id;
      n->note = strdup (i ? "Bezahlt am 3. März" : "Please check the total");
      n->created_us = d->added_us + (int64_t)(i + 1) * 3600000000;
      if (pick (st, 8) == 0 || !nu) {
        n->user_id = FP_NULL_ID; /* author deleted */
      } else {
        const fp_lookup *u = &c->lk[FP_USERS][pick (st, nu)];
        n->user_id = u->id;
        n->username = strdup (u->name);
        n->first_name = strdup (fp_lk_str (u, "first_name", ""));
        n->last_name = strdup (fp_lk_str (u, "last_name", ""));
      }
      if (n->created_us > d->modified_us)
        d->modified_us = n->created_us; /* a note bumps the document */
    }
  }
  if (pick (st, 10) < 3) {
    unsigned nf = 1 + pick (st, 4);
    d->cfs = calloc (nf, sizeof *d->cfs);
    for (unsigned i = 0; d->cfs && i < nf; i++) {
      unsigned field = 1 + pick (st, 10);
      int dup = 0;
      for (size_t k = 0; k < d->n_cfs; k++)
        dup |= d->cfs[k].field == field;
      if (dup)
        continue;
      d->cfs[d->n_cfs].field = field;
      d->cfs[d->n_cfs].value
          = pick (st, 12) == 0 ? NULL : cf_random_value (c, field, st, d->id);
      d->n_cfs++;
    }
  }
  unsigned trash = o->trashed_per_mille ? o->trashed_per_mille : 5;
  if (pick (st, 1000) < trash) {
    d->deleted = 1;
    d->deleted_us = end + (int64_t)pick (st, 3600) * 1000000;
  }
  return d->title && d->mime_type ? 0 : -1;
}

fp_corpus *
fp_corpus_generate (size_t n_docs, uint64_t seed, const fp_gen_options *opts)
{
  fp_gen_options zero = {0};
  const fp_gen_options *o = opts ? opts : &zero;
  uint64_t st = seed ^ 0x5DEECE66Du;
  fp_corpus *c = calloc (1, sizeof *c);
  if (!c)
    return NULL;
  c->version = strdup (o->server_version ? o->server_version : "3.0.5");
  c->time_zone = strdup (o->time_zone ? o->time_zone : "+00:00");
  c->token = strdup (FP_DEFAULT_TOKEN);
  gen_lookups (c, &st, o);
  c->docs = calloc (n_docs ? n_docs : 1, sizeof *c->docs);
  c->cap_docs = n_docs ? n_docs : 1;
  if (!c->docs || !c->version || !c->time_zone || !c->token)
    goto fail;
  for (size_t i = 0; i < n_docs; i++) {
    if (!o->no_gaps && i > 0 && pick (&st, 97) == 0)
      c->max_doc_id += 1 + pick (&st, 3); /* deleted long ago */
    fp_doc *d = fp_corpus_append (c);
    if (!d || gen_document (c, d, &st, seed, o) < 0)
      goto fail;
  }
  return c;
fail:
  fp_corpus_free (c);
  return NULL;
}

/* --------------------------------------------------------------- writer */

char *
fp_corpus_to_json (const fp_corpus *c)
{
  fp_buf b = {0};
  fp_gen g;
  fp_gen_init (&g, "3.0.5");
  int tz = 0;
  fp_parse_tz (c->time_zone, &tz);
  fp_view v = {.c = c,
               .gen = &g,
               .version = 10,
               .tz = tz,
               .superuser = 1,
               .full_perms = 1};
  fp_buf_adds (&b, "{\"server\":{\"version\":");
  fp_buf_json_strz (&b, c->version ? c->version : "3.0.5");
  fp_buf_adds (&b, ",\"token\":");
  fp_buf_json_strz (&b, c->token ? c->token : FP_DEFAULT_TOKEN);
  fp_buf_adds (&b, ",\"time_zone\":");
  fp_buf_json_strz (&b, c->time_zone ? c->time_zone : "+00:00");
  fp_buf_addc (&b, '}');
  for (int k = 0; k < FP_N_LK; k++) {
    fp_buf_printf (&b, ",\n\"%s\":[", fp_lk_names[k]);
    for (size_t i = 0; i < c->n_lk[k]; i++) {
      const fp_lookup *l = &c->lk[k][i];
      json_object *o = json_object_new_object ();
      json_object_object_foreach (l->obj, key, val)
          json_object_object_add (o, key, json_object_get (val));
      if (k != FP_USERS && k != FP_GROUPS && k != FP_CUSTOM_FIELDS) {
        json_object_object_add (
            o, "owner",
            l->owner == FP_NULL_ID ? NULL : json_object_new_int64 (l->owner));
        if (k == FP_TAGS)
          json_object_object_add (o, "parent",
                                  l->parent == FP_NULL_ID
                                      ? NULL
                                      : json_object_new_int64 (l->parent));
      }
      fp_buf_adds (&b, i ? ",\n" : "\n");
      fp_buf_json_obj (&b, o);
      json_object_put (o);
    }
    fp_buf_addc (&b, ']');
  }
  fp_buf_adds (&b, ",\n\"documents\":[");
  for (size_t i = 0; i < c->n_docs; i++) {
    fp_buf_adds (&b, i ? ",\n" : "\n");
    fp_render_document (&b, &v, &c->docs[i], 1);
  }
  fp_buf_adds (&b, "]}\n");
  return fp_buf_take (&b);
}
