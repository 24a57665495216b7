/* fuzz-page.c: a list page as a server might send it, read the way the
 * plugin reads every list: parse, validate the page, then each item as a
 * lookup of every kind and as a document id, and as an id listing
 * (opl-idpage.c), which must agree with the tree.  Must never crash, leak
 * or read out of bounds, whatever the bytes. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "opl.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* opl_id_page_parse reads id listings without building the tree: it must
 * accept exactly the pages the tree path accepts (results is NULL when
 * that refused), with the same items, and say why when it refuses. */
static void
check_id_page (const uint8_t *data, size_t size, json_object *results)
{
  opl_id_page p = {0};
  char err[256] = "";
  omni_status st
      = opl_id_page_parse (&p, (const char *)data, size, true, err, sizeof err);

  if ((st == OMNI_OK) != (results != NULL))
    abort ();
  if (st != OMNI_OK) {
    if (err[0] == '\0')
      abort ();
    opl_id_page_free (&p);
    return;
  }
  if (p.n != json_object_array_length (results))
    abort ();
  for (size_t i = 0; i < p.n; i++) {
    json_object *item = json_object_array_get_idx (results, i);
    int64_t id = 0, us = OPL_ID_NO_MODIFIED;
    const char *mod;
    size_t modlen;
    opl_time t;
    if (!opl_json_get_int (item, "id", &id))
      id = 0;
    if (opl_json_get_string (item, "modified", &mod, &modlen)
        && opl_time_parse (mod, modlen, &t) && !t.date_only)
      us = opl_time_to_unix_us (&t);
    if (p.items[i].id != id || p.items[i].modified_us != us)
      abort ();
  }
  opl_id_page_free (&p);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char err[256];
  int64_t count;
  bool has_next;
  json_object *page
      = opl_json_parse ((const char *)data, size, err, sizeof err);
  if (page == NULL) {
    if (err[0] == '\0')
      abort (); /* every refusal says why */
    check_id_page (data, size, NULL);
    return 0;
  }
  json_object *results
      = opl_api_page_results (page, &count, &has_next, err, sizeof err);
  check_id_page (data, size, results);
  if (results != NULL) {
    opl_lookups lk;
    opl_lookups_init (&lk);
    size_t n = json_object_array_length (results);
    for (int k = 0; k < OPL_LK_COUNT; k++) {
      for (size_t i = 0; i < n; i++)
        opl_lookup_table_add (&lk.t[k], (opl_lookup_kind)k,
                              json_object_array_get_idx (results, i), err,
                              sizeof err);
      opl_lookup_table_finish (&lk.t[k]);
      for (size_t i = 0; i < lk.t[k].count; i++)
        if (opl_lookup_find (&lk.t[k], lk.t[k].items[i].id) == NULL)
          abort (); /* sorted and searchable */
    }
    opl_idset ids;
    opl_idset_init (&ids);
    for (size_t i = 0; i < n; i++) {
      int64_t id;
      if (opl_json_get_int (json_object_array_get_idx (results, i), "id", &id)
          && id > 0)
        opl_idset_add (&ids, id);
    }
    opl_idset_free (&ids);
    opl_lookups_clear (&lk);
  } else if (err[0] == '\0')
    abort ();
  json_object_put (page);
  return 0;
}
