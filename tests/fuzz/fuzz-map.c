/* fuzz-map.c: the document mapper on arbitrary input.  The input is one
 * element of a /api/documents/ "results" list as a server might send it;
 * the lookups are a small fixed set.  Whatever the input, mapping must
 * either refuse it with a reason or produce valid UTF-8 Markdown and three
 * JSON objects that parse. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "opl.h"
#include "opl-map-extra.h"

static const char lookups_json[]
    = "{\"tags\":[{\"id\":1,\"name\":\"Invoices\",\"parent\":null},"
      "{\"id\":2,\"name\":\"Paid\",\"parent\":1},{\"id\":3,\"name\":\"Loop\","
      "\"parent\":4},"
      "{\"id\":4,\"name\":\"Back\",\"parent\":3}],"
      "\"correspondents\":[{\"id\":1,\"name\":\"ACME\"}],"
      "\"document_types\":[{\"id\":1,\"name\":\"Invoice\"}],"
      "\"storage_paths\":[{\"id\":1,\"name\":\"Archive\",\"path\":\"{{title}}"
      "\"}],"
      "\"custom_fields\":[{\"id\":1,\"name\":\"Amount\",\"data_type\":"
      "\"monetary\","
      "\"extra_data\":{\"default_currency\":\"EUR\"}},"
      "{\"id\":2,\"name\":\"Kind\",\"data_type\":\"select\",\"extra_data\":"
      "{\"select_options\":[{\"id\":\"abc\",\"label\":\"A\"},\"B\"]}},"
      "{\"id\":3,\"name\":\"Links\",\"data_type\":\"documentlink\",\"extra_"
      "data\":null},"
      "{\"id\":4,\"name\":\"Due\",\"data_type\":\"date\",\"extra_data\":{}},"
      "{\"id\":5,\"name\":\"Paid\",\"data_type\":\"boolean\",\"extra_data\":{}}"
      ","
      "{\"id\":6,\"name\":\"Ratio\",\"data_type\":\"float\",\"extra_data\":{}}]"
      ","
      "\"users\":[{\"id\":1,\"username\":\"admin\",\"email\":\"a@example.com\"}"
      ","
      "{\"id\":2,\"username\":\"bob\",\"email\":\"\"}],"
      "\"groups\":[{\"id\":1,\"name\":\"staff\"}]}";

static const char *const kinds[OPL_LK_COUNT]
    = {"tags",          "correspondents", "document_types", "storage_paths",
       "custom_fields", "users",          "groups"};

static opl_lookups lk;
static int ready;

static void
setup (void)
{
  json_object *root = json_tokener_parse (lookups_json);
  opl_lookups_init (&lk);
  for (int k = 0; k < OPL_LK_COUNT; k++) {
    json_object *list = opl_json_get_array (root, kinds[k]);
    for (size_t i = 0; list && i < json_object_array_length (list); i++)
      opl_lookup_table_add (&lk.t[k], (opl_lookup_kind)k,
                            json_object_array_get_idx (list, i), NULL, 0);
    opl_lookup_table_finish (&lk.t[k]);
    lk.t[k].available = true;
  }
  json_object_put (root);
  ready = 1;
}

static const char *
title_of (void *ud, int64_t id)
{
  (void)ud;
  return id == 1 ? "First \xff document" : NULL;
}

static void
must_be_json_object (const char *text)
{
  json_object *o = opl_json_parse (text, strlen (text), NULL, 0);
  if (o == NULL || !json_object_is_type (o, json_type_object))
    abort ();
  json_object_put (o);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (!ready)
    setup ();
  json_object *doc = opl_json_parse ((const char *)data, size, NULL, 0);
  if (doc == NULL)
    return 0;
  for (int mode = 0; mode < 2; mode++) {
    opl_map_config cfg
        = {.source_id = "fuzz",
           .ui_base_url = "https://paperless.example",
           .max_content_chars = 64,
           .permissions = mode ? OPL_PERM_PUBLIC : OPL_PERM_PAPERLESS,
           .api_version = mode ? 6 : 10};
    opl_mapper *m = opl_mapper_new (&cfg, NULL);
    if (m == NULL)
      abort ();
    opl_mapper_set_doc_title (m, title_of, NULL);
    opl_doc out;
    char err[256];
    memset (&out, 0, sizeof out);
    omni_status st = opl_mapper_map (m, &lk, doc, &out, err, sizeof err);
    if (st == OMNI_OK) {
      /* Valid UTF-8 throughout: repairing changes nothing. */
      opl_buf b;
      opl_buf_init (&b);
      opl_utf8_append_repaired (&b, out.content, out.content_len);
      if (b.len != out.content_len
          || memcmp (b.data ? b.data : "", out.content, out.content_len) != 0)
        abort ();
      opl_buf_free (&b);
      must_be_json_object (out.metadata_json);
      must_be_json_object (out.permissions_json);
      must_be_json_object (out.attributes_json);
    } else if (st != OMNI_ERR_INVALID || err[0] == '\0')
      abort ();
    (void)opl_map_has_unknown_refs (&lk, doc);
    opl_doc_clear (&out);
    opl_mapper_free (m);
  }
  json_object_put (doc);
  return 0;
}
