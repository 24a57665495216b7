/* test-manifest.c: the real plugin's manifest (its descriptor, read through
 * dlopen of plugin/.libs/paperless_ngx.so, as a host reads it).
 *
 * The identity Omni's own Paperless-ngx connector declares (name, source
 * type, sync modes, the three search operators; ../shared/omni-contract.md),
 * and a configuration form that tells the truth: every key the plugin
 * accepts is in it with a type, a default and a description; the defaults
 * are the plugin's; integer bounds and enum values are the ones it enforces;
 * and every key, set to its default, is accepted by a sync of the plugin.
 *
 * The plugin's key table (config_keys[] in plugin/opl-config.c) is static
 * and the ABI has no accessor for it, so this test holds an explicit list
 * (effective_value() below) and checks it against the key names in the
 * table's source text, so that a key added to the table without the form
 * (or without this list) fails here. */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json.h>

#include "fake-paperless.h"
#include "och.h"
#include "opl.h"

static const char *
env_dir (const char *name)
{
  const char *v = getenv (name);
  return v && *v ? v : ".";
}

static och_plugin plugin;
static json_object *manifest;

static void
load_plugin (void)
{
  char path[4096], err[OCH_ERRLEN];
  enum json_tokener_error jerr = json_tokener_success;

  snprintf (path, sizeof path, "%s/plugin/.libs/paperless_ngx.so",
            env_dir ("top_builddir"));
  ck_assert_msg (och_plugin_load (&plugin, path, err, sizeof err) == 0, "%s",
                 err);
  ck_assert_ptr_nonnull (plugin.desc.manifest_json);
  manifest = json_tokener_parse_verbose (plugin.desc.manifest_json, &jerr);
  ck_assert_msg (manifest != NULL, "manifest is not JSON: %s",
                 json_tokener_error_desc (jerr));
  ck_assert (json_object_is_type (manifest, json_type_object));
}

static void
unload_plugin (void)
{
  json_object_put (manifest);
  manifest = NULL;
  och_plugin_unload (&plugin);
}

static json_object *
member (json_object *o, const char *key, json_type type)
{
  json_object *v = NULL;

  ck_assert_msg (json_object_object_get_ex (o, key, &v), "no \"%s\" in %s", key,
                 json_object_to_json_string (o));
  ck_assert_msg (json_object_is_type (v, type), "\"%s\" has the wrong type: %s",
                 key, json_object_to_json_string (v));
  return v;
}

static const char *
text_member (json_object *o, const char *key)
{
  const char *s = json_object_get_string (member (o, key, json_type_string));
  ck_assert_msg (*s != '\0', "\"%s\" is empty", key);
  return s;
}

/* The array at key holds exactly these strings, in any order. */
static void
exactly_strings (json_object *o, const char *key, const char *const *want,
                 size_t n)
{
  json_object *a = member (o, key, json_type_array);

  ck_assert_msg (json_object_array_length (a) == n, "%s: %s", key,
                 json_object_to_json_string (a));
  for (size_t i = 0; i < n; i++) {
    bool found = false;
    for (size_t j = 0; j < n; j++) {
      json_object *v = json_object_array_get_idx (a, j);
      if (json_object_is_type (v, json_type_string)
          && strcmp (json_object_get_string (v), want[i]) == 0)
        found = true;
    }
    ck_assert_msg (found, "%s lacks \"%s\": %s", key, want[i],
                   json_object_to_json_string (a));
  }
}

START_TEST (test_identity)
{
  static const char *const modes[] = {"full", "incremental"};
  /* Omni's own Paperless-ngx connector (connectors/paperless). */
  static const struct {
    const char *op, *attr;
  } ops[] = {
      {"correspondent", "correspondent"},
      {"type", "document_type"},
      {"tag", "tags"},
  };
  json_object *a;

  load_plugin ();
  ck_assert_str_eq (plugin.desc.name, "paperless_ngx");
  ck_assert_str_eq (text_member (manifest, "name"), "paperless_ngx");
  ck_assert_str_eq (text_member (manifest, "display_name"), "Paperless-ngx");
  ck_assert_str_eq (text_member (manifest, "version"), PACKAGE_VERSION);
  ck_assert_ptr_nonnull (plugin.desc.version);
  ck_assert_str_eq (plugin.desc.version, PACKAGE_VERSION);
  ck_assert_uint_gt (strlen (text_member (manifest, "description")), 20);

  a = member (manifest, "source_types", json_type_array);
  bool has_type = false;
  for (size_t i = 0; i < json_object_array_length (a); i++) {
    json_object *v = json_object_array_get_idx (a, i);
    if (json_object_is_type (v, json_type_string)
        && strcmp (json_object_get_string (v), "paperless_ngx") == 0)
      has_type = true;
  }
  ck_assert_msg (has_type, "source_types lacks paperless_ngx");

  exactly_strings (manifest, "sync_modes", modes, 2);

  a = member (manifest, "search_operators", json_type_array);
  ck_assert_uint_eq (json_object_array_length (a), 3);
  for (size_t i = 0; i < 3; i++) {
    bool found = false;
    for (size_t j = 0; j < 3; j++) {
      json_object *o = json_object_array_get_idx (a, j);
      ck_assert (json_object_is_type (o, json_type_object));
      if (strcmp (text_member (o, "operator"), ops[i].op) == 0) {
        ck_assert_msg (!found, "operator %s twice", ops[i].op);
        found = true;
        ck_assert_str_eq (text_member (o, "attribute_key"), ops[i].attr);
        ck_assert_str_eq (text_member (o, "value_type"), "text");
      }
    }
    ck_assert_msg (found, "no search operator %s", ops[i].op);
  }
  unload_plugin ();
}
END_TEST

/* ---------------------------------------------------------- the form */

/* Every key of config_keys[] (plugin/opl-config.c), read from the source:
 * the names of the {"name", ...} rows between "config_keys[] = {" and
 * "};".  Returns how many (at most max). */
static size_t
source_table_keys (char names[][64], size_t max)
{
  char path[4096];
  size_t n = 0;
  FILE *f;
  char *text, *p, *end;
  long len;

  snprintf (path, sizeof path, "%s/plugin/opl-config.c",
            env_dir ("top_srcdir"));
  f = fopen (path, "rb");
  ck_assert_msg (f != NULL, "cannot read %s", path);
  ck_assert_int_eq (fseek (f, 0, SEEK_END), 0);
  len = ftell (f);
  ck_assert_int_gt (len, 0);
  rewind (f);
  text = calloc (1, (size_t)len + 1);
  ck_assert_ptr_nonnull (text);
  ck_assert_uint_eq (fread (text, 1, (size_t)len, f), (size_t)len);
  fclose (f);

  p = strstr (text, "config_keys[] = {");
  ck_assert_msg (p != NULL,
                 "config_keys[] not found in %s: update this test "
                 "(better: give the plugin an accessor for its key table)",
                 path);
  end = strstr (p, "};");
  ck_assert_ptr_nonnull (end);
  p += strlen ("config_keys[] = {");
  while ((p = strstr (p, "{\"")) != NULL && p < end) {
    char *q = strchr (p + 2, '"');
    ck_assert (q != NULL && q < end && (size_t)(q - p - 2) < 64 && n < max);
    memcpy (names[n], p + 2, (size_t)(q - p - 2));
    names[n][q - p - 2] = '\0';
    n++;
    p = q;
  }
  free (text);
  ck_assert_msg (n >= 10, "only %zu keys read from %s", n, path);
  return n;
}

/* The value a parsed configuration has for key, as the JSON the form's
 * "default" should hold; NULL when this test does not know the key.  This
 * is the test's explicit list of the plugin's keys. */
static json_object *
effective_value (const opl_config *c, const char *key, bool *known)
{
  *known = true;
  if (strcmp (key, "base_url") == 0)
    return c->base_url ? json_object_new_string (c->base_url) : NULL;
  if (strcmp (key, "public_url") == 0)
    return c->public_url ? json_object_new_string (c->public_url) : NULL;
  if (strcmp (key, "permissions") == 0)
    return json_object_new_string (
        c->permissions == OPL_PERM_PUBLIC ? "public" : "paperless");
  if (strcmp (key, "max_content_chars") == 0)
    return json_object_new_int64 ((int64_t)c->max_content_chars);
  if (strcmp (key, "page_size") == 0)
    return json_object_new_int64 (c->page_size);
  if (strcmp (key, "list_page_size") == 0)
    return json_object_new_int64 (c->list_page_size);
  if (strcmp (key, "connect_timeout") == 0)
    return json_object_new_int64 (c->connect_timeout_s);
  if (strcmp (key, "low_speed_time") == 0)
    return json_object_new_int64 (c->low_speed_time_s);
  if (strcmp (key, "low_speed_limit") == 0)
    return json_object_new_int64 (c->low_speed_limit);
  if (strcmp (key, "max_retries") == 0)
    return json_object_new_int64 (c->max_retries);
  if (strcmp (key, "max_retry_wait") == 0)
    return json_object_new_int64 (c->max_retry_wait_s);
  if (strcmp (key, "max_response_bytes") == 0)
    return json_object_new_int64 ((int64_t)c->max_response_bytes);
  if (strcmp (key, "overlap_seconds") == 0)
    return json_object_new_int64 (c->overlap_s);
  if (strcmp (key, "max_requests_in_flight") == 0)
    return json_object_new_int64 (c->in_flight);
  if (strcmp (key, "tls_ca_file") == 0)
    return c->ca_file ? json_object_new_string (c->ca_file) : NULL;
  if (strcmp (key, "tls_client_cert") == 0)
    return c->client_cert ? json_object_new_string (c->client_cert) : NULL;
  if (strcmp (key, "tls_client_key") == 0)
    return c->client_key ? json_object_new_string (c->client_key) : NULL;
  if (strcmp (key, "tls_insecure") == 0)
    return json_object_new_boolean (c->tls_insecure);
  *known = false;
  return NULL;
}

/* The form's entry for key, or NULL. */
static json_object *
form_entry (const char *key)
{
  json_object *form = member (manifest, "config", json_type_array);
  json_object *found = NULL;

  for (size_t i = 0; i < json_object_array_length (form); i++) {
    json_object *e = json_object_array_get_idx (form, i);
    json_object *k;
    ck_assert (json_object_is_type (e, json_type_object));
    if (json_object_object_get_ex (e, "key", &k)
        && json_object_is_type (k, json_type_string)
        && strcmp (json_object_get_string (k), key) == 0) {
      ck_assert_msg (found == NULL, "key %s twice in the form", key);
      found = e;
    }
  }
  return found;
}

static omni_status
parse_config (const char *source_config, opl_config *c, char *err,
              size_t errlen)
{
  return opl_config_parse (c, source_config, "{\"api_key\":\"k\"}", NULL, err,
                           errlen);
}

/* source_config {"base_url": ..., key: value_json} parses (want_ok) or is
 * refused with a message naming the key. */
static void
try_value (const char *key, const char *value_json, bool want_ok)
{
  char cfg[512], err[512] = "";
  opl_config c;
  omni_status st;

  /* The client certificate and its key go together. */
  const char *partner = "";
  if (strcmp (key, "tls_client_cert") == 0)
    partner = ",\"tls_client_key\":\"/k.pem\"";
  else if (strcmp (key, "tls_client_key") == 0)
    partner = ",\"tls_client_cert\":\"/c.pem\"";
  snprintf (cfg, sizeof cfg,
            "{\"base_url\":\"http://127.0.0.1:1\",\"%s\":%s%s}", key,
            value_json, partner);
  st = parse_config (cfg, &c, err, sizeof err);
  if (st == OMNI_OK)
    opl_config_free (&c);
  if (want_ok)
    ck_assert_msg (st == OMNI_OK, "%s=%s refused: %s", key, value_json, err);
  else {
    ck_assert_msg (st == OMNI_ERR_INVALID, "%s=%s accepted", key, value_json);
    ck_assert_msg (strstr (err, key) != NULL,
                   "%s=%s: the message does not name the key: %s", key,
                   value_json, err);
  }
}

START_TEST (test_form_covers_every_key)
{
  char names[64][64];
  size_t n = source_table_keys (names, 64);
  json_object *form;
  opl_config defaults;
  char err[512] = "";

  load_plugin ();
  form = member (manifest, "config", json_type_array);
  ck_assert_int_eq (parse_config ("{\"base_url\":\"http://127.0.0.1:1\"}",
                                  &defaults, err, sizeof err),
                    OMNI_OK);

  /* base_url and api_key: required, a URL and a secret. */
  json_object *e = form_entry ("base_url");
  ck_assert_ptr_nonnull (e);
  ck_assert_str_eq (text_member (e, "type"), "url");
  ck_assert_str_eq (text_member (e, "section"), "source_config");
  ck_assert (
      json_object_get_boolean (member (e, "required", json_type_boolean)));
  text_member (e, "description");
  e = form_entry ("api_key");
  ck_assert_ptr_nonnull (e);
  ck_assert_str_eq (text_member (e, "type"), "secret");
  ck_assert_str_eq (text_member (e, "section"), "credentials");
  ck_assert (
      json_object_get_boolean (member (e, "required", json_type_boolean)));
  text_member (e, "description");

  /* Every key of the plugin's table: in the form, described, its default
   * the plugin's own, its bounds or values the ones the plugin enforces. */
  for (size_t i = 0; i < n; i++) {
    const char *key = names[i];
    bool known;
    json_object *want = effective_value (&defaults, key, &known);

    ck_assert_msg (known,
                   "key %s of plugin/opl-config.c is unknown to this test: "
                   "add it to effective_value()",
                   key);
    e = form_entry (key);
    ck_assert_msg (e != NULL, "key %s is accepted but not in the form", key);
    ck_assert_str_eq (text_member (e, "section"), "source_config");
    const char *type = text_member (e, "type");
    text_member (e, "description");
    bool required
        = json_object_get_boolean (member (e, "required", json_type_boolean));
    if (strcmp (key, "base_url") == 0) {
      json_object_put (want);
      continue;
    }
    ck_assert_msg (!required, "%s is required", key);
    json_object *def;
    ck_assert_msg (json_object_object_get_ex (e, "default", &def),
                   "%s has no default in the form", key);
    ck_assert_msg (json_object_equal (def, want),
                   "%s: the form's default is %s, the plugin's %s", key,
                   json_object_to_json_string (def),
                   want ? json_object_to_json_string (want) : "null");
    json_object_put (want);

    if (strcmp (type, "integer") == 0) {
      int64_t lo = json_object_get_int64 (member (e, "min", json_type_int));
      int64_t hi = json_object_get_int64 (member (e, "max", json_type_int));
      char v[32];
      ck_assert_int_le (lo, hi);
      snprintf (v, sizeof v, "%lld", (long long)lo);
      try_value (key, v, true);
      snprintf (v, sizeof v, "%lld", (long long)hi);
      try_value (key, v, true);
      snprintf (v, sizeof v, "%lld", (long long)hi + 1);
      try_value (key, v, false);
      if (lo > 0) {
        snprintf (v, sizeof v, "%lld", (long long)lo - 1);
        try_value (key, v, false);
      }
      try_value (key, "\"10\"", false);
    } else if (strcmp (type, "enum") == 0) {
      json_object *vals = member (e, "values", json_type_array);
      ck_assert_uint_gt (json_object_array_length (vals), 1);
      for (size_t j = 0; j < json_object_array_length (vals); j++)
        try_value (
            key,
            json_object_to_json_string (json_object_array_get_idx (vals, j)),
            true);
      try_value (key, "\"no-such-value\"", false);
    } else if (strcmp (type, "boolean") == 0) {
      try_value (key, "true", true);
      try_value (key, "false", true);
      try_value (key, "1", false);
    } else if (strcmp (type, "url") == 0) {
      try_value (key, "\"https://paperless.example.com/p\"", true);
      try_value (key, "\"ftp://x\"", false);
    } else if (strcmp (type, "path") == 0) {
      try_value (key, "\"/etc/ssl/x.pem\"", true);
      try_value (key, "7", false);
    } else
      ck_abort_msg ("%s: unexpected form type %s", key, type);
  }

  /* ...and nothing in the form the plugin would refuse. */
  for (size_t j = 0; j < json_object_array_length (form); j++) {
    json_object *fe = json_object_array_get_idx (form, j);
    const char *key = text_member (fe, "key");
    bool in_table = false;
    if (strcmp (text_member (fe, "section"), "credentials") == 0) {
      ck_assert_str_eq (key, "api_key");
      continue;
    }
    for (size_t i = 0; i < n; i++)
      in_table = in_table || strcmp (names[i], key) == 0;
    ck_assert_msg (in_table, "the form has %s, which the plugin refuses", key);
  }
  ck_assert_uint_eq (json_object_array_length (form), n + 1);
  try_value ("no_such_key", "1", false);

  opl_config_free (&defaults);
  unload_plugin ();
}
END_TEST

/* ------------------------------------------- accepted by a real sync */

typedef struct sync_host {
  char error[512];
  size_t upserts;
} sync_host;

static void
h_log (void *d, omni_log_level level, const char *message)
{
  (void)d;
  (void)level;
  (void)message;
}

static void
h_set_error (void *d, omni_status code, const char *message)
{
  sync_host *h = d;
  snprintf (h->error, sizeof h->error, "%s (%d)", message, (int)code);
}

static int
h_should_stop (void *d)
{
  (void)d;
  return 0;
}

/* init with source_config, then (full) a whole sync.  Returns the status
 * of init, or of the first call that failed. */
static omni_status
run_sync (fp_server *srv, const char *source_config, bool full, sync_host *h)
{
  omni_host_services svc = {.struct_size = sizeof svc,
                            .host_data = h,
                            .log = h_log,
                            .set_error = h_set_error,
                            .should_stop = h_should_stop};
  char cred[256];
  omni_init_params ip;
  omni_instance *inst = NULL;
  omni_status st;

  memset (h, 0, sizeof *h);
  snprintf (cred, sizeof cred, "{\"api_key\":\"%s\"}", fp_server_token (srv));
  memset (&ip, 0, sizeof ip);
  ip.struct_size = sizeof ip;
  ip.source_id = "manifest";
  ip.source_config_json = source_config;
  ip.credentials_json = cred;
  ip.mode = OMNI_SYNC_FULL;
  st = plugin.desc.init (&svc, &ip, &inst);
  if (st != OMNI_OK)
    return st;
  while (full) {
    const omni_change_batch *b;
    st = plugin.desc.list_changes (inst, &b);
    if (st != OMNI_OK)
      break;
    for (size_t i = 0; i < b->count && st == OMNI_OK; i++) {
      const omni_document *d;
      if (b->changes[i].kind == OMNI_CHANGE_DELETED)
        continue;
      st = plugin.desc.fetch_document (inst, b->changes[i].document_id, &d);
      h->upserts++;
    }
    if (st != OMNI_OK)
      break;
  }
  plugin.desc.shutdown (inst);
  return st == OMNI_DONE || !full ? OMNI_OK : st;
}

/* The value to set key to: its default, or for a key whose default is
 * "not set" a usable value. */
static void
value_for (const char *key, json_object *def, fp_server *srv,
           const char *tls_dir, char *out, size_t outlen)
{
  if (!json_object_is_type (def, json_type_null))
    snprintf (out, outlen, "%s", json_object_to_json_string (def));
  else if (strcmp (key, "public_url") == 0)
    snprintf (out, outlen, "\"%s\"", fp_server_url (srv));
  else if (strcmp (key, "tls_ca_file") == 0)
    snprintf (out, outlen, "\"%s/ca.pem\"", tls_dir);
  else if (strcmp (key, "tls_client_cert") == 0)
    snprintf (out, outlen,
              "\"%s/client.pem\",\"tls_client_key\":"
              "\"%s/client-key.pem\"",
              tls_dir, tls_dir);
  else if (strcmp (key, "tls_client_key") == 0)
    snprintf (out, outlen,
              "\"%s/client-key.pem\",\"tls_client_cert\":"
              "\"%s/client.pem\"",
              tls_dir, tls_dir);
  else
    ck_abort_msg ("no value to try for %s (default null)", key);
}

START_TEST (test_every_key_accepted_by_a_sync)
{
  char err[256], tls_dir[1024], cfg[4096], all[8192], value[2200];
  fp_gen_options g = {.content_bytes = 300};
  fp_options o = {.corpus = fp_corpus_generate (30, 5, &g)};
  fp_server *srv;
  json_object *form;
  sync_host h;
  size_t len;
  int64_t *ids = NULL;
  size_t n_ids;

  /* The test certificates (plain http never reads them). */
  snprintf (tls_dir, sizeof tls_dir, "%s/tests/data/tls",
            env_dir ("top_srcdir"));
  load_plugin ();
  srv = fp_server_start (&o, err, sizeof err);
  ck_assert_msg (srv != NULL, "fake server: %s", err);
  form = member (manifest, "config", json_type_array);

  len = (size_t)snprintf (all, sizeof all, "{\"base_url\":\"%s\"",
                          fp_server_url (srv));
  for (size_t i = 0; i < json_object_array_length (form); i++) {
    json_object *e = json_object_array_get_idx (form, i), *def;
    const char *key = text_member (e, "key");

    if (strcmp (text_member (e, "section"), "source_config") != 0
        || strcmp (key, "base_url") == 0)
      continue;
    ck_assert (json_object_object_get_ex (e, "default", &def));
    value_for (key, def, srv, tls_dir, value, sizeof value);
    snprintf (cfg, sizeof cfg, "{\"base_url\":\"%s\",\"%s\":%s}",
              fp_server_url (srv), key, value);
    ck_assert_msg (run_sync (srv, cfg, false, &h) == OMNI_OK,
                   "init refused %s: %s", cfg, h.error);
    if (strcmp (key, "tls_client_key") != 0) /* the cert brings it */
      len += (size_t)snprintf (all + len, sizeof all - len, ",\"%s\":%s", key,
                               value);
    ck_assert_uint_lt (len, sizeof all);
  }
  snprintf (all + len, sizeof all - len, "}");
  /* All at once, through a whole sync. */
  ck_assert_msg (run_sync (srv, all, true, &h) == OMNI_OK, "sync with %s: %s",
                 all, h.error);
  n_ids = fp_server_visible_ids (srv, 0, &ids);
  free (ids);
  ck_assert_uint_eq (h.upserts, n_ids);

  /* The plugin refuses what it does not know, so the above means something. */
  snprintf (cfg, sizeof cfg, "{\"base_url\":\"%s\",\"page_sise\":100}",
            fp_server_url (srv));
  ck_assert_int_eq (run_sync (srv, cfg, false, &h), OMNI_ERR_INVALID);
  ck_assert_msg (strstr (h.error, "page_sise") != NULL, "%s", h.error);

  fp_server_stop (srv);
  unload_plugin ();
}
END_TEST

static Suite *
manifest_suite (void)
{
  Suite *s = suite_create ("manifest");
  TCase *tc = tcase_create ("manifest");

  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_identity);
  tcase_add_test (tc, test_form_covers_every_key);
  tcase_add_test (tc, test_every_key_accepted_by_a_sync);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (manifest_suite ());
  int failed;

  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
