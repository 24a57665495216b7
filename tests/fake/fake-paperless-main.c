/* fake-paperless: a standalone fake Paperless-ngx server.
 *
 *   fake-paperless [--corpus FILE | --generate N [--seed S]
 *                  [--content-bytes B]] [--listen ADDR] [--port N]
 *                  [--port-file FILE] [--token T] [--server-version V]
 *                  [--time-zone +hh:mm] [--prefix /paperless] [--user ID]
 *                  [--forbid EP,EP] [--delay-ms N] [--no-gzip] [--real-clock]
 *                  [--control-port N] [--control-port-file FILE]
 *                  [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]
 *                  [--dump-corpus FILE]
 *
 * Serves the corpus on 127.0.0.1 (port 0 = any free port), prints
 * "fake-paperless: listening on http://127.0.0.1:PORT" (https:// with
 * --tls-cert) on stdout, writes the port to --port-file, and runs until
 * SIGINT or SIGTERM (exit 0).
 *
 * Control channel (only with --control-port or --control-port-file; its
 * requests never show in the API log), loopback only:
 *   POST /control/edit?id=5&title=New&content=..&tags=1,2&owner=null
 *   POST /control/add?title=..&content=..          → {"result":"<new id>"}
 *   POST /control/trash?id=5   /control/restore?id=5   /control/purge?id=5
 *   POST /control/note?id=5&note=text&user=2
 *   POST /control/rename?endpoint=tags&id=3&name=X
 *   POST /control/delete-lookup?endpoint=correspondents&id=3
 *   POST /control/bulk-touch?ids=1-1000,1005
 *   POST /control/fault?path=/api/documents/&nth=2&times=1&kind=status&
 *        status=429&retry_after=3      (kinds: status delay drop truncate cut
 *        garbage html empty bytes stall huge; also body, content_type,
 *        header, delay_ms, size, chunked, query)
 *   POST /control/clear-faults  /control/log-clear  /control/delay?ms=N
 *   POST /control/gzip?on=0  /control/forbid?endpoint=users&on=1
 *   POST /control/link-origin?origin=http://evil.example:8080
 *   POST /control/user?id=2  /control/advance-clock?us=N
 *   GET  /control/log (JSON lines)  /control/stats  /control/snapshot
 * Answers {"ok":true|false,"result":"..."}.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake-paperless.h"

static volatile sig_atomic_t stop_requested;

static void
on_signal (int sig)
{
  (void)sig;
  stop_requested = 1;
}

static void
usage (FILE *f)
{
  fputs (
      "Usage: fake-paperless [OPTION]...\n"
      "A fake Paperless-ngx REST API server for testing clients.\n\n"
      "Corpus:\n"
      "  --corpus FILE          serve the documents of a corpus file\n"
      "  --generate N           generate N documents instead\n"
      "  --seed S               generator seed (default 1)\n"
      "  --content-bytes B      OCR text per generated document (4096)\n"
      "  --dump-corpus FILE     write the corpus as JSON and exit\n\n"
      "Server:\n"
      "  --listen ADDR          IPv4 address (default 127.0.0.1)\n"
      "  --port N               port, 0 = any free port (default 0)\n"
      "  --port-file FILE       write the chosen port to FILE\n"
      "  --token T              accepted API token\n"
      "  --server-version V     Paperless release to imitate (3.0.5)\n"
      "  --time-zone TZ         PAPERLESS_TIME_ZONE as +hh:mm (UTC)\n"
      "  --prefix /P            PAPERLESS_FORCE_SCRIPT_NAME\n"
      "  --user ID              user behind the token (first superuser)\n"
      "  --forbid EP,EP         endpoints answering 403 (e.g. users,groups)\n"
      "  --delay-ms N           delay every API response\n"
      "  --no-gzip              never compress\n"
      "  --real-clock           mutations use the wall clock\n\n"
      "HTTPS (PEM files; tests/data/tls/ has test ones):\n"
      "  --tls-cert FILE        serve https with this certificate...\n"
      "  --tls-key FILE         ...and this (unencrypted) private key\n"
      "  --tls-client-ca FILE   require a client certificate signed by\n"
      "                         this CA (mutual TLS)\n\n"
      "Control channel:\n"
      "  --control-port N       listen for /control/ commands (0 = any)\n"
      "  --control-port-file F  write the control port to F (implies it)\n\n"
      "  -h, --help             show this text\n\n"
      "Runs until SIGINT or SIGTERM.  See the comment at the top of\n"
      "tests/fake/fake-paperless-main.c for the control commands.\n",
      f);
}

static int
write_port (const char *path, unsigned port)
{
  FILE *f = fopen (path, "w");
  if (!f || fprintf (f, "%u\n", port) < 0 || fclose (f) != 0) {
    fprintf (stderr, "fake-paperless: %s: %s\n", path, strerror (errno));
    return -1;
  }
  return 0;
}

static int
parse_uint (const char *s, unsigned long long max, unsigned long long *out)
{
  char *end;
  errno = 0;
  unsigned long long v = strtoull (s, &end, 10);
  if (errno || !*s || *end || v > max || s[0] == '-')
    return -1;
  *out = v;
  return 0;
}

int
main (int argc, char **argv)
{
  enum {
    O_CORPUS = 256,
    O_GENERATE,
    O_SEED,
    O_CONTENT,
    O_DUMP,
    O_LISTEN,
    O_PORT,
    O_PORTFILE,
    O_TOKEN,
    O_VERSION,
    O_TZ,
    O_PREFIX,
    O_USER,
    O_FORBID,
    O_DELAY,
    O_NOGZIP,
    O_REALCLOCK,
    O_CPORT,
    O_CPORTFILE,
    O_TLSCERT,
    O_TLSKEY,
    O_TLSCLIENTCA
  };
  static const struct option longopts[]
      = {{"corpus", required_argument, NULL, O_CORPUS},
         {"generate", required_argument, NULL, O_GENERATE},
         {"seed", required_argument, NULL, O_SEED},
         {"content-bytes", required_argument, NULL, O_CONTENT},
         {"dump-corpus", required_argument, NULL, O_DUMP},
         {"listen", required_argument, NULL, O_LISTEN},
         {"port", required_argument, NULL, O_PORT},
         {"port-file", required_argument, NULL, O_PORTFILE},
         {"token", required_argument, NULL, O_TOKEN},
         {"server-version", required_argument, NULL, O_VERSION},
         {"time-zone", required_argument, NULL, O_TZ},
         {"prefix", required_argument, NULL, O_PREFIX},
         {"user", required_argument, NULL, O_USER},
         {"forbid", required_argument, NULL, O_FORBID},
         {"delay-ms", required_argument, NULL, O_DELAY},
         {"no-gzip", no_argument, NULL, O_NOGZIP},
         {"real-clock", no_argument, NULL, O_REALCLOCK},
         {"control-port", required_argument, NULL, O_CPORT},
         {"control-port-file", required_argument, NULL, O_CPORTFILE},
         {"tls-cert", required_argument, NULL, O_TLSCERT},
         {"tls-key", required_argument, NULL, O_TLSKEY},
         {"tls-client-ca", required_argument, NULL, O_TLSCLIENTCA},
         {"help", no_argument, NULL, 'h'},
         {NULL, 0, NULL, 0}};
  fp_options o = {0};
  fp_gen_options g = {0};
  const char *port_file = NULL, *cport_file = NULL, *dump = NULL;
  unsigned long long generate = 0, seed = 1, v;
  int gen = 0, control = 0;
  unsigned cport = 0;
  char err[512];
  int c;
  while ((c = getopt_long (argc, argv, "h", longopts, NULL)) != -1) {
    int bad = 0;
    switch (c) {
      case O_CORPUS:
        o.corpus_path = optarg;
        break;
      case O_GENERATE:
        bad = parse_uint (optarg, 100000000, &generate);
        gen = 1;
        break;
      case O_SEED:
        bad = parse_uint (optarg, UINT64_MAX, &seed);
        break;
      case O_CONTENT:
        bad = parse_uint (optarg, 1ULL << 30, &v);
        g.content_bytes = (size_t)v;
        break;
      case O_DUMP:
        dump = optarg;
        break;
      case O_LISTEN:
        o.listen_addr = optarg;
        break;
      case O_PORT:
        bad = parse_uint (optarg, 65535, &v);
        o.port = (unsigned)v;
        break;
      case O_PORTFILE:
        port_file = optarg;
        break;
      case O_TOKEN:
        o.token = optarg;
        break;
      case O_VERSION:
        o.server_version = optarg;
        break;
      case O_TZ:
        o.time_zone = optarg;
        break;
      case O_PREFIX:
        o.prefix = optarg;
        break;
      case O_USER:
        bad = parse_uint (optarg, INT64_MAX, &v);
        o.user_id = (int64_t)v;
        break;
      case O_FORBID:
        o.forbidden = optarg;
        break;
      case O_DELAY:
        bad = parse_uint (optarg, 3600000, &v);
        o.delay_ms = (unsigned)v;
        break;
      case O_NOGZIP:
        o.no_gzip = 1;
        break;
      case O_REALCLOCK:
        o.real_clock = 1;
        break;
      case O_CPORT:
        bad = parse_uint (optarg, 65535, &v);
        cport = (unsigned)v;
        control = 1;
        break;
      case O_CPORTFILE:
        cport_file = optarg;
        control = 1;
        break;
      case O_TLSCERT:
        o.tls_cert = optarg;
        break;
      case O_TLSKEY:
        o.tls_key = optarg;
        break;
      case O_TLSCLIENTCA:
        o.tls_client_ca = optarg;
        break;
      case 'h':
        usage (stdout);
        return 0;
      default:
        usage (stderr);
        return 2;
    }
    if (bad) {
      fprintf (stderr, "fake-paperless: bad value \"%s\"\n", optarg);
      return 2;
    }
  }
  if (optind < argc || (gen && o.corpus_path)) {
    usage (stderr);
    return 2;
  }
  if (gen) {
    g.server_version = o.server_version;
    g.time_zone = o.time_zone;
    o.corpus = fp_corpus_generate ((size_t)generate, seed, &g);
    if (!o.corpus) {
      fprintf (stderr, "fake-paperless: out of memory\n");
      return 1;
    }
  }
  if (dump) {
    fp_corpus *cp = o.corpus;
    if (!cp && o.corpus_path)
      cp = fp_corpus_load (o.corpus_path, err, sizeof err);
    char *json = cp ? fp_corpus_to_json (cp) : NULL;
    FILE *f = json ? fopen (dump, "w") : NULL;
    int ok = f && fputs (json, f) >= 0;
    if (f && fclose (f) != 0)
      ok = 0;
    if (!ok)
      fprintf (stderr, "fake-paperless: cannot write %s\n", dump);
    free (json);
    fp_corpus_free (cp);
    return ok ? 0 : 1;
  }

  /* Block the stop signals (MHD's threads inherit the mask), then wait for
   * them in sigsuspend: no window between the check and the wait. */
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);
  sigset_t block, old;
  sigemptyset (&block);
  sigaddset (&block, SIGINT);
  sigaddset (&block, SIGTERM);
  sigprocmask (SIG_BLOCK, &block, &old);

  fp_server *s = fp_server_start (&o, err, sizeof err);
  if (!s) {
    fprintf (stderr, "fake-paperless: %s\n", err);
    return 1;
  }
  int rc = 0;
  unsigned p = 0;
  if (port_file && write_port (port_file, fp_server_port (s)) < 0)
    rc = 1;
  if (!rc && control) {
    p = fp_server_start_control (s, cport, err, sizeof err);
    if (!p) {
      fprintf (stderr, "fake-paperless: control: %s\n", err);
      rc = 1;
    } else if (cport_file && write_port (cport_file, p) < 0)
      rc = 1;
  }
  if (!rc) {
    printf ("fake-paperless: listening on %s\n", fp_server_url (s));
    if (p)
      printf ("fake-paperless: control on http://127.0.0.1:%u/control/\n", p);
    fflush (stdout);
    while (!stop_requested)
      sigsuspend (&old);
  }
  fp_server_stop (s);
  return rc;
}
