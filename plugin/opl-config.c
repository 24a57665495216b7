/* opl-config.c: the source configuration and credentials, validated.
 *
 * Every key the plugin accepts is in the table below, which is also the
 * source of truth for the manifest's configuration form (opl-manifest.c):
 * keep the two in step. */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "opl.h"

enum key_type { KEY_STRING, KEY_UINT, KEY_BOOL };

struct key {
  const char *name;
  enum key_type type;
  uint64_t min, max; /* KEY_UINT */
};

static const struct key config_keys[] = {
    {"base_url", KEY_STRING, 0, 0},
    {"public_url", KEY_STRING, 0, 0},
    {"permissions", KEY_STRING, 0, 0},
    {"max_content_chars", KEY_UINT, 1000, 100000000},
    {"page_size", KEY_UINT, 1, 1000},
    {"list_page_size", KEY_UINT, 100, 100000},
    {"connect_timeout", KEY_UINT, 1, 600},
    {"low_speed_time", KEY_UINT, 1, 3600},
    {"low_speed_limit", KEY_UINT, 1, 1000000},
    {"max_retries", KEY_UINT, 0, 100},
    {"max_retry_wait", KEY_UINT, 1, 3600},
    {"max_response_bytes", KEY_UINT, 1048576, UINT64_C (2147483647)},
    {"overlap_seconds", KEY_UINT, 0, 86400},
    {"max_requests_in_flight", KEY_UINT, 1, OPL_PREFETCH_MAX},
    {"tls_ca_file", KEY_STRING, 0, 0},
    {"tls_client_cert", KEY_STRING, 0, 0},
    {"tls_client_key", KEY_STRING, 0, 0},
    {"tls_insecure", KEY_BOOL, 0, 0},
};

static const struct key *
find_key (const char *name)
{
  for (size_t i = 0; i < sizeof config_keys / sizeof config_keys[0]; i++)
    if (strcmp (config_keys[i].name, name) == 0)
      return &config_keys[i];
  return NULL;
}

static void
set_defaults (opl_config *c)
{
  memset (c, 0, sizeof *c);
  c->permissions = OPL_PERM_PAPERLESS;
  c->max_content_chars = 200000;
  c->page_size = 100;
  c->list_page_size = 10000;
  c->connect_timeout_s = 10;
  c->low_speed_time_s = 60;
  c->low_speed_limit = 10;
  c->max_retries = 5;
  c->max_retry_wait_s = 300;
  c->max_response_bytes = UINT64_C (268435456);
  c->overlap_s = 300;
  c->in_flight = 2;
}

/* True when the authority `h` (length len, port included, no
 * credentials) names the loopback interface exactly: "localhost",
 * 127.x.y.z or [::1].  A prefix is not enough ("localhost.example.org" and
 * "127.0.0.1.nip.io" cross the network). */
static bool
is_loopback (const char *h, size_t len)
{
  size_t hl;
  bool ok = false;

  if (len > 0 && h[0] == '[') {
    hl = len >= 5 && memcmp (h, "[::1]", 5) == 0 ? 5 : 0;
    ok = hl == 5;
  } else {
    const char *colon = memchr (h, ':', len);
    hl = colon ? (size_t)(colon - h) : len;
    if (hl == 9 && strncasecmp (h, "localhost", 9) == 0)
      ok = true;
    else if (hl >= 7 && strncmp (h, "127.", 4) == 0) {
      /* Dotted quad: four numbers 0-255. */
      unsigned parts = 0, v = 0, digits = 0;
      ok = true;
      for (size_t i = 0; i <= hl && ok; i++) {
        if (i == hl || h[i] == '.') {
          ok = digits > 0 && v <= 255;
          parts++;
          v = digits = 0;
        } else if (h[i] >= '0' && h[i] <= '9' && digits < 3) {
          v = v * 10 + (unsigned)(h[i] - '0');
          digits++;
        } else
          ok = false;
      }
      ok = ok && parts == 4;
    }
  }
  if (!ok)
    return false;
  /* Only a port may follow. */
  if (hl == len)
    return true;
  if (h[hl] != ':' || hl + 1 == len)
    return false;
  for (size_t i = hl + 1; i < len; i++)
    if (h[i] < '0' || h[i] > '9')
      return false;
  return true;
}

/* Accept only http(s)://host[:port][/path] without query, fragment or
 * credentials; strip trailing slashes.  Sets *loopback. */
static omni_status
check_url (const char *key, const char *url, char **out, bool *loopback,
           char *err, size_t errlen)
{
  const char *rest;
  bool https;

  if (strncasecmp (url, "https://", 8) == 0) {
    https = true;
    rest = url + 8;
  } else if (strncasecmp (url, "http://", 7) == 0) {
    https = false;
    rest = url + 7;
  } else
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "%s must start with http:// or https://", key);
  (void)https;
  size_t hostlen = strcspn (rest, "/?#");
  if (hostlen == 0)
    return opl_fail (err, errlen, OMNI_ERR_INVALID, "%s has no host name", key);
  if (memchr (rest, '@', hostlen))
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "%s must not contain credentials (use api_key)", key);
  if (strpbrk (url, "?# \t\r\n"))
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "%s must not contain a query, fragment or white space",
                     key);
  for (const char *p = url; *p; p++)
    if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
      return opl_fail (err, errlen, OMNI_ERR_INVALID,
                       "%s contains a control or non-ASCII character", key);
  *loopback = is_loopback (rest, hostlen);
  size_t len = strlen (url);
  while (len > 0 && url[len - 1] == '/')
    len--;
  *out = strndup (url, len);
  if (*out == NULL)
    return opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
  return OMNI_OK;
}

static omni_status
parse_object (const char *what, const char *text, bool secret,
              json_object **out, char *err, size_t errlen)
{
  char why[200];
  if (text == NULL || *text == '\0')
    return opl_fail (err, errlen, OMNI_ERR_INVALID, "%s is missing", what);
  *out = secret ? opl_json_parse_secret (text, strlen (text), why, sizeof why)
                : opl_json_parse (text, strlen (text), why, sizeof why);
  if (*out == NULL)
    return opl_fail (err, errlen, OMNI_ERR_INVALID, "%s is not valid JSON: %s",
                     what, why);
  if (!json_object_is_type (*out, json_type_object)) {
    json_object_put (*out);
    *out = NULL;
    return opl_fail (err, errlen, OMNI_ERR_INVALID, "%s must be a JSON object",
                     what);
  }
  return OMNI_OK;
}

static omni_status
apply_uint (opl_config *c, const struct key *k, uint64_t v)
{
  if (strcmp (k->name, "max_content_chars") == 0)
    c->max_content_chars = (size_t)v;
  else if (strcmp (k->name, "page_size") == 0)
    c->page_size = (unsigned)v;
  else if (strcmp (k->name, "list_page_size") == 0)
    c->list_page_size = (unsigned)v;
  else if (strcmp (k->name, "connect_timeout") == 0)
    c->connect_timeout_s = (unsigned)v;
  else if (strcmp (k->name, "low_speed_time") == 0)
    c->low_speed_time_s = (unsigned)v;
  else if (strcmp (k->name, "low_speed_limit") == 0)
    c->low_speed_limit = (unsigned)v;
  else if (strcmp (k->name, "max_retries") == 0)
    c->max_retries = (unsigned)v;
  else if (strcmp (k->name, "max_retry_wait") == 0)
    c->max_retry_wait_s = (unsigned)v;
  else if (strcmp (k->name, "max_response_bytes") == 0)
    c->max_response_bytes = v;
  else if (strcmp (k->name, "overlap_seconds") == 0)
    c->overlap_s = (unsigned)v;
  else if (strcmp (k->name, "max_requests_in_flight") == 0)
    c->in_flight = (unsigned)v;
  return OMNI_OK;
}

static omni_status
apply_string (opl_config *c, const struct key *k, const char *v,
              const opl_log *log, char *err, size_t errlen)
{
  bool loopback = false;
  char **slot = NULL;

  if (strcmp (k->name, "base_url") == 0) {
    omni_status st
        = check_url (k->name, v, &c->base_url, &loopback, err, errlen);
    if (st == OMNI_OK && strncasecmp (v, "http://", 7) == 0 && !loopback)
      opl_logf (log, OMNI_LOG_WARNING,
                "base_url uses plain http to a non-loopback host: the API "
                "token crosses the network unencrypted");
    return st;
  }
  if (strcmp (k->name, "public_url") == 0)
    return check_url (k->name, v, &c->public_url, &loopback, err, errlen);
  if (strcmp (k->name, "permissions") == 0) {
    if (strcmp (v, "paperless") == 0)
      c->permissions = OPL_PERM_PAPERLESS;
    else if (strcmp (v, "public") == 0)
      c->permissions = OPL_PERM_PUBLIC;
    else
      return opl_fail (err, errlen, OMNI_ERR_INVALID,
                       "permissions must be \"paperless\" or \"public\"");
    return OMNI_OK;
  }
  if (strcmp (k->name, "tls_ca_file") == 0)
    slot = &c->ca_file;
  else if (strcmp (k->name, "tls_client_cert") == 0)
    slot = &c->client_cert;
  else if (strcmp (k->name, "tls_client_key") == 0)
    slot = &c->client_key;
  if (slot == NULL || *v == '\0')
    return opl_fail (err, errlen, OMNI_ERR_INVALID, "%s must not be empty",
                     k->name);
  *slot = strdup (v);
  return *slot ? OMNI_OK
               : opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
}

static omni_status
apply_key (opl_config *c, const char *name, json_object *v, const opl_log *log,
           char *err, size_t errlen)
{
  const struct key *k = find_key (name);
  int64_t n;

  if (k == NULL)
    return opl_fail (err, errlen, OMNI_ERR_INVALID,
                     "unknown configuration key \"%.64s\"", name);
  switch (k->type) {
    case KEY_STRING:
      if (!json_object_is_type (v, json_type_string))
        return opl_fail (err, errlen, OMNI_ERR_INVALID, "%s must be a string",
                         name);
      return apply_string (c, k, json_object_get_string (v), log, err, errlen);
    case KEY_UINT:
      if (!opl_json_as_int (v, &n) || n < 0 || (uint64_t)n < k->min
          || (uint64_t)n > k->max)
        return opl_fail (err, errlen, OMNI_ERR_INVALID,
                         "%s must be an integer from %llu to %llu", name,
                         (unsigned long long)k->min,
                         (unsigned long long)k->max);
      return apply_uint (c, k, (uint64_t)n);
    case KEY_BOOL:
      if (!json_object_is_type (v, json_type_boolean))
        return opl_fail (err, errlen, OMNI_ERR_INVALID,
                         "%s must be true or false", name);
      c->tls_insecure = json_object_get_boolean (v) != 0;
      return OMNI_OK;
  }
  return OMNI_ERR_INTERNAL;
}

/* A DRF token is 40 hex characters, but other deployments (remote-user
 * proxies) differ: accept any printable ASCII without spaces, which is
 * what fits in an Authorization header. */
static bool
token_is_printable (const char *t)
{
  for (; *t; t++)
    if ((unsigned char)*t <= 0x20 || (unsigned char)*t >= 0x7f)
      return false;
  return true;
}

omni_status
opl_config_parse (opl_config *c, const char *source_config_json,
                  const char *credentials_json, const opl_log *log, char *err,
                  size_t errlen)
{
  json_object *cfg = NULL, *cred = NULL;
  omni_status st;
  const char *key;
  size_t keylen;

  set_defaults (c);
  st = parse_object ("source configuration", source_config_json, false, &cfg,
                     err, errlen);
  if (st != OMNI_OK)
    goto cleanup;
  json_object_object_foreach (cfg, name, val)
  {
    st = apply_key (c, name, val, log, err, errlen);
    if (st != OMNI_OK)
      goto cleanup;
  }
  if (c->base_url == NULL) {
    st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                   "base_url is required (the Paperless-ngx address, e.g. "
                   "https://paperless.example.com)");
    goto cleanup;
  }
  if ((c->client_cert == NULL) != (c->client_key == NULL)) {
    st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                   "tls_client_cert and tls_client_key go together");
    goto cleanup;
  }
  if (c->tls_insecure)
    opl_logf (log, OMNI_LOG_WARNING,
              "tls_insecure is set: the server's TLS certificate is NOT "
              "verified, anyone on the path can read the API token");

  /* The parse error text would quote the input: keep the secret out. */
  st = parse_object ("credentials", credentials_json, true, &cred, NULL, 0);
  if (st != OMNI_OK) {
    st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                   "credentials must be a JSON object with \"api_key\"");
    goto cleanup;
  }
  if (!opl_json_get_string (cred, "api_key", &key, &keylen) || keylen == 0) {
    st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                   "credentials lack a non-empty string \"api_key\"");
    goto cleanup;
  }
  if (strlen (key) != keylen || keylen > 4096 || !token_is_printable (key)) {
    st = opl_fail (err, errlen, OMNI_ERR_INVALID,
                   "api_key contains spaces, control or non-ASCII "
                   "characters (copy the token from Paperless-ngx's profile "
                   "page)");
    goto cleanup;
  }
  c->api_key = strdup (key);
  if (c->api_key == NULL)
    st = opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");

cleanup:
  if (cred) {
    /* Wipe json-c's copy of the secret before it goes back to malloc. */
    json_object *k = NULL;
    if (json_object_object_get_ex (cred, "api_key", &k)
        && json_object_is_type (k, json_type_string))
      opl_secure_zero ((char *)(uintptr_t)json_object_get_string (k),
                       (size_t)json_object_get_string_len (k));
    json_object_put (cred);
  }
  json_object_put (cfg);
  if (st != OMNI_OK)
    opl_config_free (c);
  return st;
}

void
opl_config_free (opl_config *c)
{
  if (c->api_key) {
    opl_secure_zero (c->api_key, strlen (c->api_key));
    free (c->api_key);
  }
  free (c->base_url);
  free (c->public_url);
  free (c->ca_file);
  free (c->client_cert);
  free (c->client_key);
  set_defaults (c);
}
