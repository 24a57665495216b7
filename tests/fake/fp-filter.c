/* fp-filter.c: django-filter's DocumentFilterSet (§5.3) and DRF's
 * OrderingFilter (§5.2) over the corpus. */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fp-internal.h"

/* ------------------------------------------------------------- filtering */

typedef enum field {
  F_ID,
  F_ASN,
  F_CORR,
  F_TYPE,
  F_PATH,
  F_OWNER,
  F_TAGS,
  F_CF,
  F_CREATED,
  F_ADDED,
  F_MODIFIED,
  F_TITLE,
  F_CONTENT,
  F_ORIGNAME,
  F_MIME,
  F_TITLE_CONTENT,
  F_INBOX,
} field;

typedef enum op {
  OP_EXACT,  /* NumberFilter / CharFilter exact */
  OP_IN,     /* BaseInFilter: 400 on a non-number */
  OP_OBJ_IN, /* ObjectFilter(in_list): bad ints ignored */
  OP_OBJ_ALL,
  OP_OBJ_NONE,
  OP_ISNULL,
  OP_BOOL, /* is_tagged, has_custom_fields, is_in_inbox */
  OP_GT,
  OP_GTE,
  OP_LT,
  OP_LTE,
  OP_DATE_GT, /* datetime__date__gt ... */
  OP_DATE_GTE,
  OP_DATE_LT,
  OP_DATE_LTE,
  OP_YEAR,
  OP_MONTH,
  OP_DAY,
  OP_ISTARTS,
  OP_IENDS,
  OP_ICONTAINS,
  OP_IEXACT,
} op;

typedef struct filter_spec {
  const char *name;
  field f;
  op o;
  int since_major, since_minor; /* server release that has it */
} filter_spec;

#define CHARS(p, f)                                                            \
  {p "__istartswith", f, OP_ISTARTS, 0, 0},                                    \
      {p "__iendswith", f, OP_IENDS, 0, 0},                                    \
      {p "__icontains", f, OP_ICONTAINS, 0, 0},                                \
  {                                                                            \
    p "__iexact", f, OP_IEXACT, 0, 0                                           \
  }
#define FK(p, f)                                                               \
  {p "__isnull", f, OP_ISNULL, 0, 0}, {p "__id", f, OP_EXACT, 0, 0},           \
      {p "__id__in", f, OP_IN, 0, 0},                                          \
  {                                                                            \
    p "__id__none", f, OP_OBJ_NONE, 0, 0                                       \
  }
#define DATETIMES(p, f)                                                        \
  {p "__year", f, OP_YEAR, 0, 0}, {p "__month", f, OP_MONTH, 0, 0},            \
      {p "__day", f, OP_DAY, 0, 0}, {p "__date__gt", f, OP_DATE_GT, 0, 0},     \
      {p "__date__gte", f, OP_DATE_GTE, 2, 15}, {p "__gt", f, OP_GT, 0, 0},    \
      {p "__gte", f, OP_GTE, 2, 15}, {p "__date__lt", f, OP_DATE_LT, 0, 0},    \
      {p "__date__lte", f, OP_DATE_LTE, 2, 15}, {p "__lt", f, OP_LT, 0, 0},    \
  {                                                                            \
    p "__lte", f, OP_LTE, 2, 15                                                \
  }

static const filter_spec doc_filters[] = {
    {"id", F_ID, OP_EXACT, 2, 0},
    {"id__in", F_ID, OP_IN, 2, 0},
    CHARS ("title", F_TITLE),
    CHARS ("content", F_CONTENT),
    {"archive_serial_number", F_ASN, OP_EXACT, 0, 0},
    {"archive_serial_number__gt", F_ASN, OP_GT, 0, 0},
    {"archive_serial_number__gte", F_ASN, OP_GTE, 0, 0},
    {"archive_serial_number__lt", F_ASN, OP_LT, 0, 0},
    {"archive_serial_number__lte", F_ASN, OP_LTE, 0, 0},
    {"archive_serial_number__isnull", F_ASN, OP_ISNULL, 0, 0},
    {"created__year", F_CREATED, OP_YEAR, 0, 0},
    {"created__month", F_CREATED, OP_MONTH, 0, 0},
    {"created__day", F_CREATED, OP_DAY, 0, 0},
    {"created__gt", F_CREATED, OP_GT, 0, 0},
    {"created__gte", F_CREATED, OP_GTE, 0, 0},
    {"created__lt", F_CREATED, OP_LT, 0, 0},
    {"created__lte", F_CREATED, OP_LTE, 0, 0},
    DATETIMES ("added", F_ADDED),
    DATETIMES ("modified", F_MODIFIED),
    CHARS ("original_filename", F_ORIGNAME),
    FK ("correspondent", F_CORR),
    FK ("document_type", F_TYPE),
    FK ("storage_path", F_PATH),
    {"tags__id", F_TAGS, OP_EXACT, 0, 0},
    {"tags__id__in", F_TAGS, OP_OBJ_IN, 0, 0},
    {"tags__id__all", F_TAGS, OP_OBJ_ALL, 0, 0},
    {"tags__id__none", F_TAGS, OP_OBJ_NONE, 0, 0},
    {"is_tagged", F_TAGS, OP_BOOL, 0, 0},
    FK ("owner", F_OWNER),
    {"is_in_inbox", F_INBOX, OP_BOOL, 0, 0},
    {"custom_fields__id__all", F_CF, OP_OBJ_ALL, 2, 0},
    {"custom_fields__id__none", F_CF, OP_OBJ_NONE, 2, 0},
    {"custom_fields__id__in", F_CF, OP_OBJ_IN, 2, 0},
    {"has_custom_fields", F_CF, OP_BOOL, 2, 0},
    {"mime_type", F_MIME, OP_EXACT, 0, 0},
    {"title_content", F_TITLE_CONTENT, OP_ICONTAINS, 0, 0},
    {"search", F_TITLE_CONTENT, OP_ICONTAINS, 0, 0},
};

/* A parsed filter value. */
typedef struct fval {
  int64_t num; /* numbers, datetimes (us), dates (days), booleans */
  fp_ids ids;  /* lists */
  const char *s;
} fval;

static int64_t
doc_num (const fp_doc *d, field f)
{
  switch (f) {
    case F_ID:
      return d->id;
    case F_ASN:
      return d->asn;
    case F_CORR:
      return d->correspondent;
    case F_TYPE:
      return d->document_type;
    case F_PATH:
      return d->storage_path;
    case F_OWNER:
      return d->owner;
    case F_CREATED:
      return d->created_days;
    case F_ADDED:
      return d->added_us;
    case F_MODIFIED:
      return d->modified_us;
    default:
      return FP_NULL_ID;
  }
}

static int
nullable (field f)
{
  return f == F_ASN || f == F_CORR || f == F_TYPE || f == F_PATH
         || f == F_OWNER;
}

static int
doc_has (const fp_doc *d, field f, int64_t id)
{
  if (f == F_TAGS)
    return fp_ids_has (&d->tags, id);
  if (f == F_CF) {
    for (size_t i = 0; i < d->n_cfs; i++)
      if (d->cfs[i].field == id)
        return 1;
    return 0;
  }
  return doc_num (d, f) == id;
}

static int
is_inbox (const fp_view *v, const fp_doc *d)
{
  for (size_t i = 0; i < d->tags.n; i++) {
    const fp_lookup *t = fp_corpus_find_lookup (v->c, FP_TAGS, d->tags.v[i]);
    if (t && fp_lk_bool (t, "is_inbox_tag", 0))
      return 1;
  }
  return 0;
}

/* Case-insensitive (ASCII) string predicates. */
static int
str_match (const char *s, const char *pat, op o)
{
  size_t n = strlen (s), m = strlen (pat);
  switch (o) {
    case OP_ISTARTS:
      return n >= m && strncasecmp (s, pat, m) == 0;
    case OP_IENDS:
      return n >= m && strncasecmp (s + n - m, pat, m) == 0;
    case OP_ICONTAINS:
      return fp_strcasestr_ascii (s, pat);
    case OP_IEXACT:
      return strcasecmp (s, pat) == 0;
    case OP_EXACT:
      return strcmp (s, pat) == 0;
    default:
      return 0;
  }
}

static int
text_match (const fp_view *v, const fp_doc *d, field f, op o, const char *pat)
{
  (void)v;
  if (f == F_TITLE)
    return str_match (d->title, pat, o);
  if (f == F_ORIGNAME)
    return d->original_file_name && str_match (d->original_file_name, pat, o);
  if (f == F_MIME)
    return d->mime_type && str_match (d->mime_type, pat, o);
  int hit = f == F_TITLE_CONTENT && str_match (d->title, pat, o);
  if (!hit) {
    fp_buf b = {0};
    fp_doc_content (d, &b);
    hit = str_match (b.p ? b.p : "", pat, o);
    fp_buf_free (&b);
  }
  return hit;
}

static int
date_part (int64_t days, op o)
{
  int y, m, dd;
  fp_civil_from_days (days, &y, &m, &dd);
  return o == OP_YEAR ? y : o == OP_MONTH ? m : dd;
}

static int
keep (const fp_view *v, const fp_doc *d, const filter_spec *fs, const fval *val)
{
  field f = fs->f;
  int64_t x = doc_num (d, f);
  int isnull = nullable (f) && x == FP_NULL_ID;
  int datetime = f == F_ADDED || f == F_MODIFIED;
  switch (fs->o) {
    case OP_EXACT:
      if (f == F_TAGS)
        return fp_ids_has (&d->tags, val->num);
      if (f == F_MIME)
        return text_match (v, d, f, OP_EXACT, val->s);
      return !isnull && x == val->num;
    case OP_IN:
    case OP_OBJ_IN:
      for (size_t i = 0; i < val->ids.n; i++)
        if (doc_has (d, f, val->ids.v[i]))
          return 1;
      return 0;
    case OP_OBJ_ALL:
      for (size_t i = 0; i < val->ids.n; i++)
        if (!doc_has (d, f, val->ids.v[i]))
          return 0;
      return 1;
    case OP_OBJ_NONE:
      for (size_t i = 0; i < val->ids.n; i++)
        if (doc_has (d, f, val->ids.v[i]))
          return 0;
      return 1;
    case OP_ISNULL:
      return isnull == (val->num != 0);
    case OP_BOOL:
      if (f == F_INBOX)
        return is_inbox (v, d) == (val->num != 0);
      if (f == F_TAGS)
        return (d->tags.n > 0) == (val->num != 0);
      return (d->n_cfs > 0) == (val->num != 0);
    case OP_GT:
      return !isnull && x > val->num;
    case OP_GTE:
      return !isnull && x >= val->num;
    case OP_LT:
      return !isnull && x < val->num;
    case OP_LTE:
      return !isnull && x <= val->num;
    case OP_DATE_GT:
    case OP_DATE_GTE:
    case OP_DATE_LT:
    case OP_DATE_LTE: {
      int64_t day = fp_local_days (x, v->tz);
      return fs->o == OP_DATE_GT    ? day > val->num
             : fs->o == OP_DATE_GTE ? day >= val->num
             : fs->o == OP_DATE_LT  ? day < val->num
                                    : day <= val->num;
    }
    case OP_YEAR:
    case OP_MONTH:
    case OP_DAY: {
      int64_t day = datetime ? fp_local_days (x, v->tz) : x;
      return date_part (day, fs->o) == val->num;
    }
    default:
      return text_match (v, d, f, fs->o, val->s);
  }
}

static void
add_error (fp_buf *err, const char *param, const char *msg)
{
  fp_buf_addc (err, err->len ? ',' : '{');
  fp_buf_json_strz (err, param);
  fp_buf_adds (err, ":[");
  fp_buf_json_strz (err, msg);
  fp_buf_addc (err, ']');
}

/* Parses the value of one filter; 1 = apply, 0 = ignore, -1 = 400. */
static int
parse_value (const fp_view *v, const filter_spec *fs, const char *raw,
             fval *val, const char **msg)
{
  const char *s = raw;
  while (isspace ((unsigned char)*s))
    s++;
  if (!*s) /* empty values are ignored (django-filter) */
    return 0;
  val->s = raw;
  int datetime = fs->f == F_ADDED || fs->f == F_MODIFIED;
  switch (fs->o) {
    case OP_IN:
    case OP_OBJ_IN:
    case OP_OBJ_ALL:
    case OP_OBJ_NONE:
      if (fp_parse_id_list (raw, &val->ids) < 0) {
        if (fs->o != OP_IN) { /* ObjectFilter: keep the good ints */
          val->ids.n = 0;
          const char *p = raw;
          while (*p) {
            size_t n = strcspn (p, ",");
            char tmp[32];
            int64_t id;
            if (n < sizeof tmp) {
              memcpy (tmp, p, n);
              tmp[n] = '\0';
              if (fp_parse_int64 (tmp, &id) == 0)
                fp_ids_push (&val->ids, id);
            }
            p += n + (p[n] != 0);
          }
          return val->ids.n > 0 || fs->o == OP_OBJ_ALL ? 1 : 0;
        }
        *msg = "Enter a number.";
        return -1;
      }
      return val->ids.n > 0 ? 1 : 0;
    case OP_ISNULL:
    case OP_BOOL:
      /* NullBooleanField: anything else means "no filter". */
      if (!strcmp (s, "true") || !strcmp (s, "True") || !strcmp (s, "1"))
        val->num = 1;
      else if (!strcmp (s, "false") || !strcmp (s, "False") || !strcmp (s, "0"))
        val->num = 0;
      else
        return 0;
      return 1;
    case OP_GT:
    case OP_GTE:
    case OP_LT:
    case OP_LTE:
      if (datetime) {
        if (fp_parse_datetime (s, v->tz, &val->num) < 0) {
          *msg = "Enter a valid date/time.";
          return -1;
        }
        return 1;
      }
      if (fs->f == F_CREATED) {
        int32_t days;
        if (fp_parse_date (s, &days) < 0) {
          *msg = "Enter a valid date.";
          return -1;
        }
        val->num = days;
        return 1;
      }
      /* fall through */
    case OP_EXACT:
    case OP_YEAR:
    case OP_MONTH:
    case OP_DAY:
      if (fs->f == F_MIME)
        return 1;
      if (fp_parse_int64 (s, &val->num) < 0) {
        *msg = "Enter a number.";
        return -1;
      }
      return 1;
    case OP_DATE_GT:
    case OP_DATE_GTE:
    case OP_DATE_LT:
    case OP_DATE_LTE: {
      int32_t days;
      if (fp_parse_date (s, &days) < 0) {
        *msg = "Enter a valid date.";
        return -1;
      }
      val->num = days;
      return 1;
    }
    default:
      return 1;
  }
}

int
fp_filter_documents (const fp_view *v, const fp_query *q, const fp_doc **items,
                     size_t *n, fp_buf *err)
{
  for (size_t i = 0; i < sizeof doc_filters / sizeof *doc_filters; i++) {
    const filter_spec *fs = &doc_filters[i];
    const char *raw = fp_query_get (q, fs->name);
    if (!raw || !fp_gen_at_least (v->gen, fs->since_major, fs->since_minor, 0))
      continue;
    fval val = {0};
    const char *msg = NULL;
    int rc = parse_value (v, fs, raw, &val, &msg);
    if (rc < 0)
      add_error (err, fs->name, msg);
    if (rc > 0 && !err->len) {
      size_t o = 0;
      for (size_t k = 0; k < *n; k++)
        if (keep (v, items[k], fs, &val))
          items[o++] = items[k];
      *n = o;
    }
    fp_ids_free (&val.ids);
  }
  if (err->len) {
    fp_buf_addc (err, '}');
    return -1;
  }
  return 0;
}

/* -------------------------------------------------------------- ordering */

typedef enum okey {
  K_ID,
  K_TITLE,
  K_CORR_NAME,
  K_TYPE_NAME,
  K_PATH_NAME,
  K_CREATED,
  K_MODIFIED,
  K_ADDED,
  K_ASN,
  K_NUM_NOTES,
  K_OWNER,
  K_PAGE_COUNT,
} okey;

static const struct {
  const char *name;
  okey k;
} doc_orderings[] = {
    {"id", K_ID},
    {"title", K_TITLE},
    {"correspondent__name", K_CORR_NAME},
    {"document_type__name", K_TYPE_NAME},
    {"storage_path__name", K_PATH_NAME},
    {"created", K_CREATED},
    {"modified", K_MODIFIED},
    {"added", K_ADDED},
    {"archive_serial_number", K_ASN},
    {"num_notes", K_NUM_NOTES},
    {"owner", K_OWNER},
    {"page_count", K_PAGE_COUNT},
};

typedef struct term {
  okey k;
  int desc;
} term;

typedef struct sort_ctx {
  const fp_corpus *c;
  term terms[16];
  size_t n;
} sort_ctx;

static const char *
lk_name (const fp_corpus *c, fp_lk k, int64_t id)
{
  const fp_lookup *l
      = id == FP_NULL_ID ? NULL : fp_corpus_find_lookup (c, k, id);
  return l ? l->name : NULL;
}

/* Postgres: NULLS LAST ascending, NULLS FIRST descending, i.e. null is the
 * biggest value. */
static int
cmp_num (int64_t a, int64_t b, int nullable_)
{
  if (nullable_ && (a == FP_NULL_ID || b == FP_NULL_ID))
    return (a == FP_NULL_ID) - (b == FP_NULL_ID);
  return a < b ? -1 : a > b;
}

static int
cmp_str (const char *a, const char *b)
{
  if (!a || !b)
    return (!a) - (!b);
  return strcmp (a, b);
}

static int
cmp_docs (const void *pa, const void *pb, void *pctx)
{
  const fp_doc *a = *(const fp_doc *const *)pa;
  const fp_doc *b = *(const fp_doc *const *)pb;
  const sort_ctx *sc = pctx;
  for (size_t i = 0; i < sc->n; i++) {
    int r = 0;
    switch (sc->terms[i].k) {
      case K_ID:
        r = cmp_num (a->id, b->id, 0);
        break;
      case K_TITLE:
        r = strcmp (a->title, b->title);
        break;
      case K_CORR_NAME:
        r = cmp_str (lk_name (sc->c, FP_CORRESPONDENTS, a->correspondent),
                     lk_name (sc->c, FP_CORRESPONDENTS, b->correspondent));
        break;
      case K_TYPE_NAME:
        r = cmp_str (lk_name (sc->c, FP_DOCUMENT_TYPES, a->document_type),
                     lk_name (sc->c, FP_DOCUMENT_TYPES, b->document_type));
        break;
      case K_PATH_NAME:
        r = cmp_str (lk_name (sc->c, FP_STORAGE_PATHS, a->storage_path),
                     lk_name (sc->c, FP_STORAGE_PATHS, b->storage_path));
        break;
      case K_CREATED:
        r = cmp_num (a->created_days, b->created_days, 0);
        break;
      case K_MODIFIED:
        r = cmp_num (a->modified_us, b->modified_us, 0);
        break;
      case K_ADDED:
        r = cmp_num (a->added_us, b->added_us, 0);
        break;
      case K_ASN:
        r = cmp_num (a->asn, b->asn, 1);
        break;
      case K_NUM_NOTES:
        r = cmp_num ((int64_t)a->n_notes, (int64_t)b->n_notes, 0);
        break;
      case K_OWNER:
        r = cmp_num (a->owner, b->owner, 1);
        break;
      case K_PAGE_COUNT:
        r = cmp_num (a->page_count, b->page_count, 1);
        break;
    }
    if (r)
      return sc->terms[i].desc ? -r : r;
  }
  /* The database's order for ties is unspecified; ascending id keeps the
   * fake deterministic. */
  return cmp_num (a->id, b->id, 0);
}

static void
parse_ordering (const fp_view *v, const char *s, sort_ctx *sc)
{
  sc->n = 0;
  while (s && *s && sc->n < 16) {
    size_t n = strcspn (s, ",");
    char term_s[64];
    if (n < sizeof term_s) {
      memcpy (term_s, s, n);
      term_s[n] = '\0';
      char *t = term_s;
      while (isspace ((unsigned char)*t))
        t++;
      char *e = t + strlen (t);
      while (e > t && isspace ((unsigned char)e[-1]))
        *--e = '\0';
      int desc = *t == '-';
      const char *name = t + desc;
      for (size_t i = 0; i < sizeof doc_orderings / sizeof *doc_orderings;
           i++) {
        if (strcmp (name, doc_orderings[i].name) != 0)
          continue;
        if (doc_orderings[i].k == K_PATH_NAME
            && !fp_gen_at_least (v->gen, 2, 20, 4))
          break;
        sc->terms[sc->n].k = doc_orderings[i].k;
        sc->terms[sc->n++].desc = desc;
        break;
      }
    }
    s += n;
    if (*s)
      s++;
  }
  if (sc->n == 0) { /* DRF drops invalid terms, then uses the default */
    sc->terms[0].k = K_CREATED;
    sc->terms[0].desc = 1;
    sc->n = 1;
    if (fp_gen_at_least (v->gen, 2, 20, 14)) {
      sc->terms[1].k = K_ID;
      sc->terms[1].desc = 1;
      sc->n = 2;
    }
  }
}

void
fp_sort_documents (const fp_view *v, const char *ordering, int trash,
                   const fp_doc **items, size_t n)
{
  sort_ctx sc = {.c = v->c};
  if (trash) {
    sc.terms[0].k = K_CREATED; /* model default; no filter backend */
    sc.terms[0].desc = 1;
    sc.n = 1;
  } else
    parse_ordering (v, ordering, &sc);
  qsort_r (items, n, sizeof *items, cmp_docs, &sc);
}

int
fp_lookup_name_ok (const fp_query *q, const char *name)
{
  static const char *const params[] = {"name__istartswith", "name__iendswith",
                                       "name__icontains", "name__iexact"};
  static const op ops[] = {OP_ISTARTS, OP_IENDS, OP_ICONTAINS, OP_IEXACT};
  for (size_t j = 0; j < 4; j++) {
    const char *pat = fp_query_get (q, params[j]);
    if (pat && *pat && !str_match (name, pat, ops[j]))
      return 0;
  }
  return 1;
}
