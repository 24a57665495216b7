/* test-tls.c: TLS end to end (issue 5), through dlopen and the mock host,
 * against the fake Paperless-ngx server speaking https with the test
 * certificates of tests/data/tls/:
 *
 *   - the server's certificate is verified by default: a private CA fails,
 *     clearly, before any request (so before the token) leaves;
 *   - tls_ca_file with the right CA works, with an unrelated CA or for
 *     another name it does not;
 *   - tls_insecure works, and warns on every sync;
 *   - mutual TLS: without a client certificate, or with one from another
 *     CA, the server refuses; with tls_client_cert and tls_client_key the
 *     sync completes.
 *
 * (https:// to a plain-http port is in test-hostile.c.)  Every run: only
 * GETs, and the token in no output, state or events file. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define N_DOCS 40

/* Failures must not wait long for retries. */
#define BASE_CONFIG "\"max_retries\":1,\"max_retry_wait\":1"

static const char *
srcdir (void)
{
  const char *s = getenv ("top_srcdir");
  return s && *s ? s : ".";
}

/* The path of a file of tests/data/tls/. */
static const char *
tls_file (char *buf, size_t len, const char *name)
{
  snprintf (buf, len, "%s/tests/data/tls/%s", srcdir (), name);
  return buf;
}

/* An https server with the certificate `cert` (server-key.pem's), that
 * requires a client certificate from the test CA when `mutual`. */
static fp_server *
start_https (const char *cert, int mutual)
{
  char cert_path[512], key_path[512], ca_path[512], err[256];
  fp_gen_options g = {.content_bytes = 300};
  fp_options o
      = {.corpus = fp_corpus_generate (N_DOCS, 11, &g),
         .tls_cert = tls_file (cert_path, sizeof cert_path, cert),
         .tls_key = tls_file (key_path, sizeof key_path, "server-key.pem"),
         .tls_client_ca
         = mutual ? tls_file (ca_path, sizeof ca_path, "ca.pem") : NULL};
  fp_server *s = fp_server_start (&o, err, sizeof err);
  ck_assert_msg (s != NULL, "fake server: %s", err);
  ck_assert_msg (strncmp (fp_server_url (s), "https://127.0.0.1:", 18) == 0,
                 "fake server URL %s", fp_server_url (s));
  return s;
}

/* source_config members: BASE_CONFIG, then `extra`, then the TLS files
 * named (NULL: left out), as paths of tests/data/tls/. */
static void
tls_config (char *buf, size_t len, const char *extra, const char *ca,
            const char *cert, const char *key)
{
  char p[512];
  int n = snprintf (buf, len, "%s%s%s", BASE_CONFIG, extra ? "," : "",
                    extra ? extra : "");
  if (ca)
    n += snprintf (buf + n, len - (size_t)n, ",\"tls_ca_file\":\"%s\"",
                   tls_file (p, sizeof p, ca));
  if (cert)
    n += snprintf (buf + n, len - (size_t)n, ",\"tls_client_cert\":\"%s\"",
                   tls_file (p, sizeof p, cert));
  if (key)
    n += snprintf (buf + n, len - (size_t)n, ",\"tls_client_key\":\"%s\"",
                   tls_file (p, sizeof p, key));
  ck_assert_uint_lt ((size_t)n, len);
}

/* A sync whose output is only that run's; shows it when the exit status is
 * not the one expected (always with TLS_VERBOSE set). */
static void
sync_expect (h_env *e, const char *mode, int expect, const char *what)
{
  unlink (e->out);
  int rc = h_sync (e, mode);
  if (rc != expect || getenv ("TLS_VERBOSE")) {
    char *out = h_slurp (e->out, NULL);
    fprintf (stderr, "---- %s: exit %d, expected %d; the host said:\n%s\n",
             what, rc, expect, out ? out : "(nothing)");
    free (out);
  }
  ck_assert_msg (rc < 128, "%s: the host died (status %d)", what, rc);
  ck_assert_msg (rc != 99, "%s: memory error under valgrind", what);
  ck_assert_msg (rc == expect, "%s: exit %d, expected %d", what, rc, expect);
}

/* Only GETs reached the server, and the token is in no file of the host:
 * neither its output nor its state nor the events. */
static void
assert_read_only_and_secret (h_env *e)
{
  const char *token = fp_server_token (e->srv);
  ck_assert_uint_eq (fp_server_non_get_count (e->srv), 0);
  ck_assert_msg (!h_file_contains (e->out, token), "token in host output");
  ck_assert_msg (!h_file_contains (e->state, token), "token in state");
  ck_assert_msg (!h_file_contains (e->events, token), "token in events");
}

/* The run stopped before the server saw any API request: the token never
 * left (the TLS handshake failed first). */
static void
assert_no_request (h_env *e)
{
  ck_assert_msg (fp_server_request_count (e->srv) == 0,
                 "%zu API requests reached the server",
                 fp_server_request_count (e->srv));
  ck_assert_uint_eq (
      fp_server_log_count_containing (e->srv, fp_server_token (e->srv)), 0);
}

static void
assert_converged (h_env *e)
{
  char why[300];
  ck_assert_msg (h_converged (e, why, sizeof why), "not converged: %s", why);
}

/* (a) No tls_ca_file: a private CA's certificate is refused, with the
 * remedy named, and nothing is sent.  A certificate problem is the host's
 * configuration error (exit 2): no retry can fix it. */
START_TEST (verification_is_on_by_default)
{
  fp_server *srv = start_https ("server.pem", 0);
  h_env e;
  h_setup (&e, srv, BASE_CONFIG);
  sync_expect (&e, "full", 2, "no tls_ca_file");
  h_assert_one_error_line (&e, "TLS certificate problem");
  ck_assert (h_file_contains (e.out, "set tls_ca_file for a private CA"));
  ck_assert (!h_file_contains (e.out, "tls_insecure"));
  assert_no_request (&e);
  assert_read_only_and_secret (&e);
  /* The check command verifies too. */
  unlink (e.out);
  ck_assert_int_ne (h_host (&e, "check", "--plugin", "@plugin", "--config",
                            "@config", (char *)NULL),
                    0);
  ck_assert (h_file_contains (e.out, "TLS certificate problem"));
  assert_no_request (&e);
  assert_read_only_and_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* (b) tls_ca_file with the test CA: full and incremental syncs converge,
 * by IP address and by host name (both in the certificate). */
START_TEST (private_ca_file_verifies)
{
  fp_server *srv = start_https ("server.pem", 0);
  char extra[2048];
  h_env e;
  tls_config (extra, sizeof extra, NULL, "ca.pem", NULL, NULL);
  h_setup (&e, srv, extra);
  sync_expect (&e, "full", 0, "tls_ca_file ca.pem");
  assert_converged (&e);
  ck_assert (!h_file_contains (e.out, "tls_insecure"));
  assert_read_only_and_secret (&e);
  ck_assert_uint_gt (fp_server_request_count (srv), 0);

  fp_doc_edit ed = {.title = "Edited over https"};
  ck_assert_int_eq (fp_server_edit_document (srv, 3, &ed), 0);
  sync_expect (&e, "incremental", 0, "incremental over https");
  assert_converged (&e);
  ck_assert (h_file_contains (e.events, "Edited over https"));
  assert_read_only_and_secret (&e);
  h_teardown (&e);

  /* https://localhost:PORT: the name is checked against DNS:localhost. */
  h_env byname;
  h_setup (&byname, srv, extra);
  FILE *f = fopen (byname.config, "w");
  ck_assert_ptr_nonnull (f);
  fprintf (f,
           "{\"source_id\":\"src1\",\"source_config\":{\"base_url\":"
           "\"https://localhost:%u\",%s},\"credentials\":{\"api_key\":\"%s\"}}"
           "\n",
           fp_server_port (srv), extra, fp_server_token (srv));
  fclose (f);
  sync_expect (&byname, "full", 0, "https://localhost");
  assert_converged (&byname);
  assert_read_only_and_secret (&byname);
  h_teardown (&byname);
  fp_server_stop (srv);
}
END_TEST

/* (c) tls_ca_file with a CA that did not sign the server's certificate. */
START_TEST (unrelated_ca_file_fails)
{
  fp_server *srv = start_https ("server.pem", 0);
  char extra[2048];
  h_env e;
  tls_config (extra, sizeof extra, NULL, "other-ca.pem", NULL, NULL);
  h_setup (&e, srv, extra);
  sync_expect (&e, "full", 2, "tls_ca_file other-ca.pem");
  h_assert_one_error_line (&e, "TLS certificate problem");
  assert_no_request (&e);
  assert_read_only_and_secret (&e);
  h_teardown (&e);

  /* A CA file that cannot be read is named as such. */
  tls_config (extra, sizeof extra, NULL, "no-such-ca.pem", NULL, NULL);
  h_setup (&e, srv, extra);
  sync_expect (&e, "full", 2, "tls_ca_file no-such-ca.pem");
  h_assert_one_error_line (&e, "cannot use tls_ca_file");
  assert_no_request (&e);
  assert_read_only_and_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* The right CA, but a certificate for another name: the host name is
 * verified, not only the chain. */
START_TEST (name_mismatch_fails)
{
  fp_server *srv = start_https ("wrong-name.pem", 0);
  char extra[2048];
  h_env e;
  tls_config (extra, sizeof extra, NULL, "ca.pem", NULL, NULL);
  h_setup (&e, srv, extra);
  sync_expect (&e, "full", 2, "certificate for another name");
  h_assert_one_error_line (&e, "TLS certificate problem");
  assert_no_request (&e);
  assert_read_only_and_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* (d) tls_insecure: the unverifiable server is accepted, and every sync
 * says so. */
START_TEST (tls_insecure_works_and_warns)
{
  fp_server *srv = start_https ("wrong-name.pem", 0);
  h_env e;
  h_setup (&e, srv, BASE_CONFIG ",\"tls_insecure\":true");
  sync_expect (&e, "full", 0, "tls_insecure, full");
  ck_assert_msg (h_file_contains (e.out, "warning: tls_insecure is set"),
                 "the full sync did not warn");
  assert_converged (&e);
  assert_read_only_and_secret (&e);
  sync_expect (&e, "incremental", 0, "tls_insecure, incremental");
  ck_assert_msg (h_file_contains (e.out, "warning: tls_insecure is set"),
                 "the incremental sync did not warn");
  assert_converged (&e);
  assert_read_only_and_secret (&e);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

/* (e) Mutual TLS: the server requires a client certificate from the test
 * CA. */
START_TEST (client_certificate_is_required)
{
  fp_server *srv = start_https ("server.pem", 1);
  char extra[2048];
  h_env e;

  /* None: the server refuses the connection (a fatal TLS alert, which
   * libcurl reports as a receive error): a configuration error (exit 2)
   * naming the settings to set, not a retried transport failure. */
  tls_config (extra, sizeof extra, NULL, "ca.pem", NULL, NULL);
  h_setup (&e, srv, extra);
  sync_expect (&e, "full", 2, "no client certificate");
  h_assert_one_error_line (&e, fp_server_url (srv));
  h_assert_one_error_line (&e, "requires a client certificate");
  h_assert_one_error_line (&e, "set tls_client_cert and tls_client_key");
  ck_assert_uint_ge (fp_server_tls_refused_count (srv), 1);
  assert_no_request (&e);
  assert_read_only_and_secret (&e);
  h_teardown (&e);

  /* One signed by another CA: refused as well. */
  size_t refused = fp_server_tls_refused_count (srv);
  tls_config (extra, sizeof extra, NULL, "ca.pem", "other-client.pem",
              "client-key.pem");
  h_setup (&e, srv, extra);
  sync_expect (&e, "full", 2, "client certificate of another CA");
  h_assert_one_error_line (&e, fp_server_url (srv));
  h_assert_one_error_line (&e, "refused the client certificate");
  ck_assert_uint_gt (fp_server_tls_refused_count (srv), refused);
  assert_no_request (&e);
  assert_read_only_and_secret (&e);
  h_teardown (&e);

  /* A key that does not belong to the certificate: refused by libcurl
   * before anything is sent. */
  refused = fp_server_tls_refused_count (srv);
  tls_config (extra, sizeof extra, NULL, "ca.pem", "client.pem",
              "server-key.pem");
  h_setup (&e, srv, extra);
  sync_expect (&e, "full", 2, "client key of another certificate");
  h_assert_one_error_line (&e, "problem with the client certificate");
  h_assert_one_error_line (&e, "check tls_client_cert and tls_client_key");
  ck_assert_uint_eq (fp_server_tls_refused_count (srv), refused);
  assert_no_request (&e);
  assert_read_only_and_secret (&e);
  h_teardown (&e);

  /* The right certificate and key: full and incremental syncs converge. */
  tls_config (extra, sizeof extra, NULL, "ca.pem", "client.pem",
              "client-key.pem");
  h_setup (&e, srv, extra);
  sync_expect (&e, "full", 0, "client certificate");
  assert_converged (&e);
  assert_read_only_and_secret (&e);
  ck_assert_uint_eq (fp_server_tls_refused_count (srv), refused);
  ck_assert_uint_gt (fp_server_request_count (srv), 0);
  fp_doc_edit ed = {.title = "Edited over mutual TLS"};
  ck_assert_int_eq (fp_server_edit_document (srv, 5, &ed), 0);
  sync_expect (&e, "incremental", 0, "client certificate, incremental");
  assert_converged (&e);
  ck_assert (h_file_contains (e.events, "Edited over mutual TLS"));
  assert_read_only_and_secret (&e);
  ck_assert_uint_eq (fp_server_tls_refused_count (srv), refused);
  h_teardown (&e);
  fp_server_stop (srv);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("tls");
  TCase *tc = tcase_create ("https");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, verification_is_on_by_default);
  tcase_add_test (tc, private_ca_file_verifies);
  tcase_add_test (tc, unrelated_ca_file_fails);
  tcase_add_test (tc, name_mismatch_fails);
  tcase_add_test (tc, tls_insecure_works_and_warns);
  tcase_add_test (tc, client_certificate_is_required);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  /* A libmicrohttpd without TLS cannot run these: skipped (77), loudly. */
  char cert[512], key[512], err[256];
  fp_options o = {.tls_cert = tls_file (cert, sizeof cert, "server.pem"),
                  .tls_key = tls_file (key, sizeof key, "server-key.pem")};
  fp_server *probe = fp_server_start (&o, err, sizeof err);
  if (probe == NULL && strstr (err, "without TLS")) {
    fprintf (stderr, "test-tls: SKIPPED: %s\n", err);
    return 77;
  }
  fp_server_stop (probe);

  SRunner *sr = srunner_create (suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
