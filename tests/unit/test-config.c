/* test-config.c: opl_config_parse, the source configuration and the
 * credentials: defaults, ranges, URL rules, the warnings a user must see
 * (plain http across the network, tls_insecure), and the api key never in
 * an error message. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "opl.h"

#define SECRET "S3cr3tT0ken0123456789abcdef0123456789ab"
#define CRED "{\"api_key\":\"" SECRET "\"}"

typedef struct logbuf {
  char text[4096];
  unsigned warnings;
} logbuf;

static void
capture (void *ud, omni_log_level level, const char *message)
{
  logbuf *b = ud;
  size_t n = strlen (b->text);
  snprintf (b->text + n, sizeof b->text - n, "%s\n", message);
  if (level == OMNI_LOG_WARNING)
    b->warnings++;
}

static logbuf lb;
static opl_log lg = {capture, &lb};
static opl_config cfg;
static char err[512];

/* Parse a source configuration (JSON object text) with the test token. */
static omni_status
parse (const char *source_config)
{
  memset (&lb, 0, sizeof lb);
  err[0] = '\0';
  return opl_config_parse (&cfg, source_config, CRED, &lg, err, sizeof err);
}

static void
teardown (void)
{
  opl_config_free (&cfg);
}

START_TEST (defaults_and_prefix)
{
  ck_assert_int_eq (
      parse ("{\"base_url\":\"https://dms.example.org/paperless//\"}"),
      OMNI_OK);
  ck_assert_str_eq (cfg.base_url, "https://dms.example.org/paperless");
  ck_assert_str_eq (cfg.api_key, SECRET);
  ck_assert_uint_eq (cfg.page_size, 100);
  ck_assert_uint_eq (cfg.max_retries, 5);
  ck_assert_uint_eq (cfg.in_flight, 2);
  ck_assert_uint_eq (cfg.low_speed_time_s, 60);
  ck_assert (cfg.max_response_bytes >= 8 * 1024 * 1024);
  ck_assert (!cfg.tls_insecure);
  ck_assert_ptr_null (cfg.ca_file);
  ck_assert_uint_eq (lb.warnings, 0);
}
END_TEST

START_TEST (knobs_applied)
{
  ck_assert_int_eq (
      parse ("{\"base_url\":\"https://h\",\"page_size\":25,"
             "\"list_page_size\":100,\"max_retries\":0,\"max_retry_wait\":1,"
             "\"low_speed_time\":2,\"low_speed_limit\":100,"
             "\"connect_timeout\":3,\"max_response_bytes\":1048576,"
             "\"overlap_seconds\":0,\"tls_ca_file\":\"/etc/ca.pem\","
             "\"tls_client_cert\":\"/c.pem\",\"tls_client_key\":\"/k.pem\","
             "\"permissions\":\"public\",\"public_url\":\"https://ui/\","
             "\"max_requests_in_flight\":4}"),
      OMNI_OK);
  ck_assert_uint_eq (cfg.page_size, 25);
  ck_assert_uint_eq (cfg.list_page_size, 100);
  ck_assert_uint_eq (cfg.max_retries, 0);
  ck_assert_uint_eq (cfg.max_retry_wait_s, 1);
  ck_assert_uint_eq (cfg.low_speed_time_s, 2);
  ck_assert_uint_eq (cfg.low_speed_limit, 100);
  ck_assert_uint_eq (cfg.connect_timeout_s, 3);
  ck_assert_uint_eq (cfg.max_response_bytes, 1048576);
  ck_assert_uint_eq (cfg.overlap_s, 0);
  ck_assert_str_eq (cfg.ca_file, "/etc/ca.pem");
  ck_assert_str_eq (cfg.client_cert, "/c.pem");
  ck_assert_str_eq (cfg.client_key, "/k.pem");
  ck_assert_int_eq (cfg.permissions, OPL_PERM_PUBLIC);
  ck_assert_str_eq (cfg.public_url, "https://ui");
  ck_assert_uint_eq (cfg.in_flight, 4);
}
END_TEST

/* Plain http is fine on loopback, and warned about anywhere else,
 * including hosts that merely start like a loopback name. */
START_TEST (http_to_network_host_warns)
{
  static const struct {
    const char *url;
    bool warns;
  } t[] = {
      {"http://127.0.0.1:8000", false},
      {"http://127.1.2.3/p", false},
      {"http://localhost", false},
      {"http://LOCALHOST:8000/paperless", false},
      {"http://[::1]:8000", false},
      {"https://paperless.example.org", false},
      {"https://10.0.0.5", false},
      {"http://paperless.example.org", true},
      {"http://10.0.0.5:8000", true},
      {"http://localhost.example.org", true},
      {"http://localhostile.example.org", true},
      {"http://127.0.0.1.nip.io", true},
      {"http://127.evil.example", true},
      {"http://[::1]x", true},
      {"http://[fe80::1]:8000", true},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    char json[256];
    snprintf (json, sizeof json, "{\"base_url\":\"%s\"}", t[i].url);
    omni_status st = parse (json);
    if (st != OMNI_OK) {
      ck_assert_msg (t[i].warns, "%s refused: %s", t[i].url, err);
      continue;
    }
    ck_assert_msg ((lb.warnings > 0) == t[i].warns, "%s: %u warnings (%s)",
                   t[i].url, lb.warnings, lb.text);
    if (t[i].warns)
      ck_assert_ptr_nonnull (strstr (lb.text, "plain http"));
    opl_config_free (&cfg);
  }
}
END_TEST

START_TEST (tls_insecure_warns)
{
  ck_assert_int_eq (
      parse ("{\"base_url\":\"https://h\",\"tls_insecure\":true}"), OMNI_OK);
  ck_assert (cfg.tls_insecure);
  ck_assert_uint_eq (lb.warnings, 1);
  ck_assert_ptr_nonnull (strstr (lb.text, "tls_insecure is set"));
  opl_config_free (&cfg);
  ck_assert_int_eq (
      parse ("{\"base_url\":\"https://h\",\"tls_insecure\":false}"), OMNI_OK);
  ck_assert_uint_eq (lb.warnings, 0);
}
END_TEST

/* Each refusal names the key, and none quotes the secret. */
START_TEST (refusals_name_the_key)
{
  static const struct {
    const char *json, *needle;
  } t[] = {
      {"{}", "base_url is required"},
      {"[]", "must be a JSON object"},
      {"{\"base_url\":", "not valid JSON"},
      {"{\"base_url\":\"ftp://h\"}", "http:// or https://"},
      {"{\"base_url\":\"file:///etc/passwd\"}", "http:// or https://"},
      {"{\"base_url\":\"https://\"}", "no host name"},
      {"{\"base_url\":\"https://u:pw@h\"}", "must not contain credentials"},
      {"{\"base_url\":\"https://h/?x=1\"}", "query, fragment"},
      {"{\"base_url\":\"https://h/a b\"}", "query, fragment or white space"},
      {"{\"base_url\":\"https://h\\u00e9\"}", "non-ASCII"},
      {"{\"base_url\":7}", "base_url must be a string"},
      {"{\"base_url\":\"https://h\",\"page_size\":0}", "page_size must be"},
      {"{\"base_url\":\"https://h\",\"page_size\":\"25\"}",
       "page_size must be"},
      {"{\"base_url\":\"https://h\",\"page_size\":2.5}", "page_size must be"},
      {"{\"base_url\":\"https://h\",\"max_retries\":-1}", "max_retries"},
      {"{\"base_url\":\"https://h\",\"max_requests_in_flight\":0}",
       "max_requests_in_flight must be"},
      {"{\"base_url\":\"https://h\",\"max_requests_in_flight\":5}",
       "max_requests_in_flight must be"},
      {"{\"base_url\":\"https://h\",\"max_response_bytes\":1000}",
       "max_response_bytes"},
      {"{\"base_url\":\"https://h\",\"tls_insecure\":\"yes\"}",
       "tls_insecure must be true or false"},
      {"{\"base_url\":\"https://h\",\"tls_ca_file\":\"\"}",
       "tls_ca_file must not be empty"},
      {"{\"base_url\":\"https://h\",\"tls_client_cert\":\"/c\"}",
       "go together"},
      {"{\"base_url\":\"https://h\",\"permissions\":\"all\"}",
       "permissions must be"},
      {"{\"base_url\":\"https://h\",\"api_key\":\"x\"}",
       "unknown configuration key \"api_key\""},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    ck_assert_msg (parse (t[i].json) == OMNI_ERR_INVALID, "%s accepted",
                   t[i].json);
    ck_assert_msg (strstr (err, t[i].needle) != NULL, "%s: \"%s\"", t[i].json,
                   err);
    ck_assert_ptr_null (strstr (err, SECRET));
    /* A refused configuration leaves nothing behind. */
    ck_assert_ptr_null (cfg.api_key);
    ck_assert_ptr_null (cfg.base_url);
  }
}
END_TEST

/* Broken credentials: a clear reason, never the text of the key. */
START_TEST (credentials_never_echoed)
{
  static const char *const creds[] = {
      "{\"api_key\":\"" SECRET,              /* truncated JSON */
      "{\"api_key\":\"" SECRET "\"} junk",   /* trailing garbage */
      "{\"api_key\":\"" SECRET " x\"}",      /* a space */
      "{\"api_key\":\"" SECRET "\\n\"}",     /* a control character */
      "{\"api_key\":\"" SECRET "\\u00e9\"}", /* non-ASCII */
      "{\"api_key\":\"" SECRET "\\u0000\"}", /* a NUL */
      "{\"token\":\"" SECRET "\"}",          /* the wrong key */
      "{\"api_key\":[\"" SECRET "\"]}",      /* the wrong type */
      "[\"" SECRET "\"]",                    /* not an object */
      "{\"api_key\":\"\"}",
      "",
  };
  for (size_t i = 0; i < sizeof creds / sizeof creds[0]; i++) {
    memset (&lb, 0, sizeof lb);
    err[0] = '\0';
    ck_assert_int_eq (opl_config_parse (&cfg, "{\"base_url\":\"https://h\"}",
                                        creds[i], &lg, err, sizeof err),
                      OMNI_ERR_INVALID);
    ck_assert_msg (err[0] != '\0', "no reason for %s", creds[i]);
    ck_assert_msg (strstr (err, "S3cr3t") == NULL, "secret echoed: %s", err);
    ck_assert_ptr_null (strstr (lb.text, "S3cr3t"));
    ck_assert_ptr_null (cfg.api_key);
  }
  /* A token longer than an Authorization header may carry. */
  char big[5200];
  memset (big, 'a', sizeof big);
  memcpy (big, "{\"api_key\":\"", 12);
  memcpy (big + sizeof big - 3, "\"}", 3);
  ck_assert_int_eq (opl_config_parse (&cfg, "{\"base_url\":\"https://h\"}", big,
                                      &lg, err, sizeof err),
                    OMNI_ERR_INVALID);
  ck_assert_ptr_null (strstr (err, "aaaaaaaa"));
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("config");
  TCase *tc = tcase_create ("parse");
  tcase_add_checked_fixture (tc, NULL, teardown);
  tcase_add_test (tc, defaults_and_prefix);
  tcase_add_test (tc, knobs_applied);
  tcase_add_test (tc, http_to_network_host_warns);
  tcase_add_test (tc, tls_insecure_warns);
  tcase_add_test (tc, refusals_name_the_key);
  tcase_add_test (tc, credentials_never_echoed);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
