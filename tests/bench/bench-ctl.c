/* bench-ctl: talk to the fake server's control channel without the curl
 * program (not a build dependency).
 *
 *   bench-ctl [-X POST] URL
 *
 * Writes the response body to stdout; exits 0 on HTTP 200, else 1. */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

static size_t
on_data (char *p, size_t size, size_t n, void *ud)
{
  (void)ud;
  return fwrite (p, size, n, stdout) * size;
}

int
main (int argc, char **argv)
{
  const char *method = "GET";
  int c;
  while ((c = getopt (argc, argv, "X:")) != -1) {
    if (c != 'X') {
      fputs ("usage: bench-ctl [-X POST] URL\n", stderr);
      return 2;
    }
    method = optarg;
  }
  if (optind != argc - 1) {
    fputs ("usage: bench-ctl [-X POST] URL\n", stderr);
    return 2;
  }
  curl_global_init (CURL_GLOBAL_DEFAULT);
  CURL *h = curl_easy_init ();
  long status = 0;
  curl_easy_setopt (h, CURLOPT_URL, argv[optind]);
  if (strcmp (method, "POST") == 0)
    curl_easy_setopt (h, CURLOPT_POSTFIELDS, "");
  curl_easy_setopt (h, CURLOPT_WRITEFUNCTION, on_data);
  CURLcode rc = curl_easy_perform (h);
  curl_easy_getinfo (h, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK)
    fprintf (stderr, "bench-ctl: %s: %s\n", argv[optind],
             curl_easy_strerror (rc));
  curl_easy_cleanup (h);
  curl_global_cleanup ();
  return rc == CURLE_OK && status == 200 && fflush (stdout) == 0 ? 0 : 1;
}
