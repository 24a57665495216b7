/* fp-api.c: the Django/DRF side of a request: routing, content negotiation
 * and versioning (§3), authentication (§2), permissions, and the endpoints
 * that are not lists (detail views, ui_settings, the API root). */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "fp-server-int.h"

/* ---------------------------------------------------------------- helpers */

static char *
http_json_body (const char *detail)
{
  fp_buf b = {0};
  fp_buf_adds (&b, "{\"detail\":");
  fp_buf_json_strz (&b, detail);
  fp_buf_addc (&b, '}');
  return fp_buf_take (&b);
}

static void
set_detail (fp_http *h, int status, const char *detail)
{
  free (h->body);
  h->status = status;
  h->body = http_json_body (detail);
  h->len = h->body ? strlen (h->body) : 0;
  h->content_type = CT_JSON;
}

static void
set_body (fp_http *h, int status, const char *ct, const char *body)
{
  free (h->body);
  h->status = status;
  h->body = strdup (body);
  h->len = h->body ? strlen (h->body) : 0;
  h->content_type = ct;
}

static void
take_buf (fp_http *h, int status, fp_buf *b)
{
  free (h->body);
  h->status = status;
  h->len = b->len;
  h->body = fp_buf_take (b);
  h->content_type = CT_JSON;
  if (!h->body)
    set_detail (h, 500, "out of memory");
}

static const char *
header (struct MHD_Connection *conn, const char *name)
{
  return MHD_lookup_connection_value (conn, MHD_HEADER_KIND, name);
}

static int
truthy (const char *s)
{
  /* documents/utils.py get_boolean */
  static const char *const yes[] = {"yes", "y", "1", "t", "true"};
  for (size_t i = 0; s && i < sizeof yes / sizeof *yes; i++)
    if (strcasecmp (s, yes[i]) == 0)
      return 1;
  return 0;
}

/* ------------------------------------------------- content negotiation */

/* DRF: media ranges by precedence (params > full type > type/x > any),
 * then renderers in order (JSON, browsable HTML).  Returns the API version
 * string of the accepted media type (NULL: none given) via ver; -1 when no
 * renderer matches. */
static int
negotiate (const char *accept, char *ver, size_t verlen, int *has_ver)
{
  ver[0] = '\0';
  *has_ver = 0;
  if (!accept || !*accept)
    accept = "*/*";
  static const char *const renderers[][2]
      = {{"application", "json"}, {"text", "html"}};
  for (int prec = 3; prec >= 0; prec--) {
    for (size_t r = 0; r < 2; r++) {
      const char *p = accept;
      while (*p) {
        size_t n = strcspn (p, ",");
        char item[256];
        if (n < sizeof item) {
          memcpy (item, p, n);
          item[n] = '\0';
          char *semi = strchr (item, ';');
          char *params = semi ? semi + 1 : NULL;
          if (semi)
            *semi = '\0';
          char mt[256] = "", st[256] = "";
          char *slash = strchr (item, '/');
          char *t = item;
          while (isspace ((unsigned char)*t))
            t++;
          if (slash) {
            *slash = '\0';
            snprintf (mt, sizeof mt, "%s", t);
            snprintf (st, sizeof st, "%s", slash + 1);
          } else
            snprintf (mt, sizeof mt, "%s", t);
          for (char *e = mt + strlen (mt);
               e > mt && isspace ((unsigned char)e[-1]);)
            *--e = '\0';
          for (char *e = st + strlen (st);
               e > st && isspace ((unsigned char)e[-1]);)
            *--e = '\0';
          /* Parameters other than q. */
          char version[64] = "";
          int has_params = 0, version_given = 0;
          while (params && *params) {
            size_t pn = strcspn (params, ";");
            char kv[128];
            if (pn < sizeof kv) {
              memcpy (kv, params, pn);
              kv[pn] = '\0';
              char *eq = strchr (kv, '=');
              char *k = kv;
              while (isspace ((unsigned char)*k))
                k++;
              if (eq) {
                *eq = '\0';
                char *v = eq + 1;
                for (char *e = k + strlen (k);
                     e > k && isspace ((unsigned char)e[-1]);)
                  *--e = '\0';
                while (isspace ((unsigned char)*v))
                  v++;
                for (char *e = v + strlen (v);
                     e > v && isspace ((unsigned char)e[-1]);)
                  *--e = '\0';
                if (*v == '"' && strlen (v) >= 2 && v[strlen (v) - 1] == '"') {
                  v[strlen (v) - 1] = '\0';
                  v++;
                }
                if (strcmp (k, "q") != 0)
                  has_params = 1;
                if (strcmp (k, "version") == 0) {
                  snprintf (version, sizeof version, "%s", v);
                  version_given = 1;
                }
              }
            }
            params += pn;
            if (*params)
              params++;
          }
          int mprec = strcmp (mt, "*") == 0   ? 0
                      : strcmp (st, "*") == 0 ? 1
                      : !has_params           ? 2
                                              : 3;
          int match
              = (strcmp (mt, "*") == 0 || strcmp (mt, renderers[r][0]) == 0)
                && (strcmp (st, "*") == 0 || strcmp (st, renderers[r][1]) == 0
                    || strcmp (mt, "*") == 0);
          if (mprec == prec && match) {
            snprintf (ver, verlen, "%s", version);
            *has_ver = version_given;
            return 0;
          }
        }
        p += n;
        if (*p)
          p++;
      }
    }
  }
  return -1;
}

/* ------------------------------------------------------- authentication */

static const fp_lookup *
find_user_by_name (const fp_corpus *c, const char *name)
{
  for (size_t i = 0; i < c->n_lk[FP_USERS]; i++)
    if (strcmp (c->lk[FP_USERS][i].name, name) == 0)
      return &c->lk[FP_USERS][i];
  return NULL;
}

/* DRF's authenticators in Paperless' order: Basic, then Token.  Returns the
 * user id (> 0), or 0 with the 401 in h. */
static int64_t
authenticate (fp_server *s, const char *auth, fp_http *h)
{
  char *words[4] = {0};
  size_t nw = 0;
  int64_t uid = 0;
  char *copy = auth ? strdup (auth) : NULL;
  for (char *save = NULL, *t = copy ? strtok_r (copy, " \t", &save) : NULL; t;
       t = strtok_r (NULL, " \t", &save)) {
    if (nw < 4)
      words[nw] = t;
    nw++;
  }
  if (nw > 0 && strcasecmp (words[0], "basic") == 0) {
    free (h->www_auth);
    h->www_auth = strdup ("Basic realm=\"api\"");
    if (nw == 1) {
      set_detail (h, 401, "Invalid basic header. No credentials provided.");
      goto cleanup;
    }
    if (nw > 2) {
      set_detail (h, 401,
                  "Invalid basic header. Credentials string should "
                  "not contain spaces.");
      goto cleanup;
    }
    unsigned char dec[512];
    int bad;
    fp_b64_decode (words[1], dec, sizeof dec, &bad);
    char *colon = bad ? NULL : strchr ((char *)dec, ':');
    if (!colon) {
      set_detail (h, 401,
                  "Invalid basic header. Credentials not correctly "
                  "base64 encoded.");
      goto cleanup;
    }
    *colon = '\0';
    const fp_lookup *u = find_user_by_name (s->c, (char *)dec);
    const char *pw = u ? fp_lk_str (u, "x_password", NULL) : NULL;
    if (!u || !pw || strcmp (pw, colon + 1) != 0) {
      set_detail (h, 401, "Invalid username/password.");
      goto cleanup;
    }
    if (!fp_lk_bool (u, "is_active", 1)) {
      set_detail (h, 401, "User inactive or deleted.");
      goto cleanup;
    }
    if (fp_lk_bool (u, "is_mfa_enabled", 0)) {
      set_detail (h, 401, "MFA required");
      goto cleanup;
    }
    uid = u->id;
    goto cleanup;
  }
  if (nw == 0 || strcasecmp (words[0], "token") != 0) {
    set_detail (h, 401, "Authentication credentials were not provided.");
    goto cleanup;
  }
  if (nw == 1) {
    set_detail (h, 401, "Invalid token header. No credentials provided.");
    goto cleanup;
  }
  if (nw > 2) {
    set_detail (h, 401,
                "Invalid token header. Token string should not "
                "contain spaces.");
    goto cleanup;
  }
  for (size_t i = 0; i < s->n_tokens; i++) {
    if (strcmp (s->tokens[i].token, words[1]) == 0) {
      uid = s->tokens[i].user_id ? s->tokens[i].user_id : s->user_id;
      break;
    }
  }
  if (!uid) {
    set_detail (h, 401, "Invalid token.");
    goto cleanup;
  }
  const fp_lookup *u = fp_corpus_find_lookup (s->c, FP_USERS, uid);
  if (u && !fp_lk_bool (u, "is_active", 1)) {
    set_detail (h, 401, "User inactive or deleted.");
    uid = 0;
  }
cleanup:
  if (!uid && !h->www_auth)
    /* 2.20.12+: "Token" unless the request used Basic (auth.py:87-93). */
    h->www_auth = strdup (
        fp_gen_at_least (&s->gen, 2, 20, 12) ? "Token" : "Basic realm=\"api\"");
  free (copy);
  return uid;
}

/* ------------------------------------------------------------ endpoints */

static const char *const model_names[FP_N_LK]
    = {"Tag",         "Correspondent", "DocumentType", "StoragePath",
       "CustomField", "User",          "Group"};

static void
not_found (fp_server *s, fp_http *h, const char *model)
{
  char msg[96];
  /* DRF >= 3.15 (Paperless >= 2.11) names the model. */
  if (fp_gen_at_least (&s->gen, 2, 11, 0))
    snprintf (msg, sizeof msg, "No %s matches the given query.", model);
  else
    snprintf (msg, sizeof msg, "Not found.");
  set_detail (h, 404, msg);
}

static int
user_has_perm (const fp_view *v, const char *codename)
{
  if (v->superuser)
    return 1;
  const fp_lookup *u = fp_corpus_find_lookup (v->c, FP_USERS, v->user_id);
  const char *lists[] = {"user_permissions", "inherited_permissions"};
  for (size_t i = 0; u && i < 2; i++) {
    json_object *a;
    if (!json_object_object_get_ex (u->obj, lists[i], &a)
        || !json_object_is_type (a, json_type_array))
      continue;
    for (size_t j = 0; j < json_object_array_length (a); j++)
      if (strcmp (json_object_get_string (json_object_array_get_idx (a, j)),
                  codename)
          == 0)
        return 1;
  }
  return 0;
}

static int
endpoint_allowed (fp_server *s, const fp_view *v, const char *endpoint)
{
  if (fp_forbidden_locked (s, endpoint))
    return 0;
  if (strcmp (endpoint, "users") == 0)
    return user_has_perm (v, "view_user");
  if (strcmp (endpoint, "groups") == 0)
    return user_has_perm (v, "view_group");
  return 1;
}

static void
ui_settings (fp_server *s, const fp_view *v, fp_http *h)
{
  static const char *const models[] = {
      "document",    "tag",   "correspondent", "documenttype", "storagepath",
      "customfield", "note",  "savedview",     "uisettings",   "paperlesstask",
      "user",        "group", "sharelink",     "workflow",     "mailaccount"};
  static const char *const endpoint_of[] = {"documents",
                                            "tags",
                                            "correspondents",
                                            "document_types",
                                            "storage_paths",
                                            "custom_fields",
                                            "",
                                            "",
                                            "ui_settings",
                                            "",
                                            "users",
                                            "groups",
                                            "",
                                            "",
                                            ""};
  const fp_lookup *u = fp_corpus_find_lookup (v->c, FP_USERS, v->user_id);
  fp_buf b = {0};
  fp_buf_printf (&b,
                 "{\"user\":{\"id\":%lld,\"username\":", (long long)v->user_id);
  fp_buf_json_strz (&b, u ? u->name : "admin");
  fp_buf_printf (&b, ",\"is_staff\":%s,\"is_superuser\":%s,\"groups\":",
                 (u ? fp_lk_bool (u, "is_staff", v->superuser) : 1) ? "true"
                                                                    : "false",
                 v->superuser ? "true" : "false");
  fp_buf_addc (&b, '[');
  for (size_t i = 0; v->groups && i < v->groups->n; i++)
    fp_buf_printf (&b, "%s%lld", i ? "," : "", (long long)v->groups->v[i]);
  fp_buf_adds (&b, "]},\"settings\":{\"update_checking\":{\"enabled\":false,"
                   "\"backend_setting\":\"default\"},");
  fp_buf_printf (&b, "\"trash_delay\":%u,", s->trash_delay);
  fp_buf_adds (&b, "\"app_title\":null,\"app_logo\":null,"
                   "\"auditlog_enabled\":true,\"email_enabled\":false,"
                   "\"notes_enabled\":true,\"language\":\"\",\"version\":");
  fp_buf_json_strz (&b, s->version);
  fp_buf_adds (&b, "},\"permissions\":[");
  int first = 1;
  for (size_t i = 0; i < sizeof models / sizeof *models; i++) {
    static const char *const verbs[] = {"view", "add", "change", "delete"};
    for (size_t k = 0; k < 4; k++) {
      char code[64];
      snprintf (code, sizeof code, "%s_%s", verbs[k], models[i]);
      if (!user_has_perm (v, code)) {
        /* Ordinary users get the usual viewer set unless told otherwise. */
        const fp_lookup *uu = u;
        json_object *a;
        int explicit_
            = uu && json_object_object_get_ex (uu->obj, "user_permissions", &a);
        if (explicit_ || k != 0 || i >= 10 || !strcmp (models[i], "user")
            || !strcmp (models[i], "group"))
          continue;
      }
      if (endpoint_of[i][0] && fp_forbidden_locked (s, endpoint_of[i]))
        continue;
      fp_buf_printf (&b, "%s\"%s\"", first ? "" : ",", code);
      first = 0;
    }
  }
  fp_buf_adds (&b, "]}");
  take_buf (h, 200, &b);
}

static void
api_root (fp_server *s, const char *origin, fp_http *h)
{
  fp_buf b = {0};
  fp_buf_addc (&b, '{');
  static const char *const eps[]
      = {"correspondents", "document_types", "documents", "tags",
         "storage_paths",  "users",          "groups",    "custom_fields",
         "trash",          "ui_settings"};
  for (size_t i = 0; i < sizeof eps / sizeof *eps; i++) {
    if (!strcmp (eps[i], "custom_fields")
        && !fp_gen_at_least (&s->gen, 2, 0, 0))
      continue;
    if (!strcmp (eps[i], "trash") && !fp_gen_at_least (&s->gen, 2, 10, 0))
      continue;
    fp_buf_printf (&b, "%s\"%s\":\"%s%s/api/%s/\"", i ? "," : "", eps[i],
                   origin, s->prefix, eps[i]);
  }
  fp_buf_addc (&b, '}');
  take_buf (h, 200, &b);
}

static void
document_detail (fp_server *s, const fp_view *v, const char *id_s, int notes,
                 const fp_query *q, fp_http *h)
{
  int64_t id;
  const fp_doc *d = NULL;
  if (fp_parse_int64 (id_s, &id) == 0)
    d = fp_corpus_find (s->c, id);
  int visible = d && !d->deleted && fp_doc_visible (v, d, 1);
  if (notes) {
    if (!d || d->deleted) {
      set_detail (h, 404, "Not found.");
      return;
    }
    if (!visible) { /* plain text, views.py:1704 */
      set_body (h, 403, "text/html; charset=utf-8",
                "Insufficient permissions to view notes");
      return;
    }
    fp_buf b = {0};
    fp_buf_addc (&b, '[');
    for (size_t i = 0; i < d->n_notes; i++) {
      if (i)
        fp_buf_addc (&b, ',');
      fp_render_note (&b, v, d, &d->notes[i]);
    }
    fp_buf_addc (&b, ']');
    take_buf (h, 200, &b);
    return;
  }
  if (!visible) {
    not_found (s, h, "Document");
    return;
  }
  /* 3.0: ?version=<id> picks a file version; only the root exists here.
   * A client that sends the API version this way gets a 404. */
  const char *fv = fp_query_get (q, "version");
  int64_t vid;
  if (s->gen.major >= 3 && fv && *fv
      && (fp_parse_int64 (fv, &vid) < 0 || vid != d->id)) {
    set_detail (h, 404, "Invalid version parameter");
    return;
  }
  fp_buf b = {0};
  fp_render_document (&b, v, d, 1);
  take_buf (h, 200, &b);
}

static void
lookup_detail (fp_server *s, const fp_view *v, fp_lk k, const char *id_s,
               fp_http *h)
{
  int64_t id;
  if (fp_parse_int64 (id_s, &id) == 0) {
    for (size_t i = 0; i < s->c->n_lk[k]; i++) {
      const fp_lookup *l = &s->c->lk[k][i];
      if (l->id != id || !fp_lookup_visible (v, k, l))
        continue;
      fp_buf b = {0};
      fp_render_lookup (&b, v, k, i, NULL);
      take_buf (h, 200, &b);
      return;
    }
  }
  not_found (s, h, model_names[k]);
}

/* Splits "/api/<ep>/[<id>/[<sub>/]]" (rel to the prefix).  Returns the
 * number of segments after "api" (0 for "/api/"), or -1 when the shape is
 * not a router route (no trailing slash, empty segment, dot in an id). */
static int
split_api (const char *rel, char seg[3][64])
{
  if (strncmp (rel, "/api/", 5) != 0)
    return -1;
  const char *p = rel + 5;
  int n = 0;
  while (*p) {
    const char *slash = strchr (p, '/');
    if (!slash || slash == p || n == 3 || (size_t)(slash - p) >= 64)
      return -1;
    memcpy (seg[n], p, (size_t)(slash - p));
    seg[n][slash - p] = '\0';
    n++;
    p = slash + 1;
  }
  return n;
}

static void
login_redirect (fp_server *s, const char *path, const char *query, fp_http *h)
{
  fp_buf full = {0}, loc = {0};
  fp_buf_adds (&full, path);
  if (query && *query) {
    fp_buf_addc (&full, '?');
    fp_buf_adds (&full, query);
  }
  fp_buf_printf (&loc, "%s/accounts/login/?next=", s->prefix);
  /* QueryDict.urlencode(safe="/") */
  for (const char *c = full.p; c && *c; c++) {
    unsigned char ch = (unsigned char)*c;
    if (isalnum (ch) || strchr ("_.-~/", ch))
      fp_buf_addc (&loc, (char)ch);
    else
      fp_buf_printf (&loc, "%%%02X", ch);
  }
  set_body (h, 302, CT_HTML, "");
  free (h->location);
  h->location = fp_buf_take (&loc);
  fp_buf_free (&full);
}

static const char login_page[]
    = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>Paperless-ngx sign in</title></head><body><form method=\"post\">"
      "<input name=\"login\"><input type=\"password\" name=\"password\">"
      "<button type=\"submit\">Sign in</button></form></body></html>\n";

static const char swagger_page[]
    = "<!DOCTYPE html>\n<html><head><title>Paperless-ngx REST API</title>"
      "</head><body><div id=\"swagger-ui\"></div></body></html>\n";

/* Routes one request; the lock is held. */
void
fp_api_route (fp_server *s, struct MHD_Connection *conn, const char *method,
              const char *path, const char *query_raw, fp_http *h)
{
  size_t pl = strlen (s->prefix);
  if (strncmp (path, s->prefix, pl) != 0 || (pl && path[pl] != '/')) {
    set_body (h, 404, CT_HTML, "<h1>Not Found</h1>\n");
    return;
  }
  const char *rel = path + pl;
  if (strcmp (rel, "/accounts/login/") == 0) {
    set_body (h, 200, CT_HTML, login_page);
    return;
  }
  if (strcmp (rel, "/api/schema/view/") == 0) {
    set_body (h, 200, CT_HTML, swagger_page);
    return;
  }
  char seg[3][64];
  int ns = split_api (rel, seg);
  if (ns == 0 && fp_gen_at_least (&s->gen, 2, 15, 0)) {
    char loc[300];
    snprintf (loc, sizeof loc, "%s/api/schema/view/", s->prefix);
    set_body (h, 302, CT_HTML, "");
    h->location = strdup (loc);
    return;
  }
  /* Which router route is it? */
  const char *ep = ns > 0 ? seg[0] : "";
  int lk = ns > 0 ? fp_lk_from_name (ep) : -1;
  int known
      = ns == 0
        || (ns == 1
            && (lk >= 0 || !strcmp (ep, "documents") || !strcmp (ep, "trash")
                || !strcmp (ep, "ui_settings") || !strcmp (ep, "token")))
        || (ns == 2 && (lk >= 0 || !strcmp (ep, "documents"))
            && !strchr (seg[1], '.'))
        || (ns == 3 && !strcmp (ep, "documents") && !strcmp (seg[2], "notes"));
  if (known && !strcmp (ep, "trash") && !fp_gen_at_least (&s->gen, 2, 10, 0))
    known = 0;
  if (known && lk == FP_CUSTOM_FIELDS && !fp_gen_at_least (&s->gen, 2, 0, 0))
    known = 0;
  if (!known) { /* the catch-all Angular view behind login_required */
    login_redirect (s, path, query_raw, h);
    return;
  }
  int is_get = !strcmp (method, "GET") || !strcmp (method, "HEAD");

  if (!strcmp (ep, "token")) { /* ObtainAuthToken: AllowAny, POST only */
    if (strcmp (method, "POST") == 0)
      fp_http_json (h, 400,
                    "{\"non_field_errors\":[\"Unable to log in "
                    "with provided credentials.\"]}");
    else {
      char msg[80];
      snprintf (msg, sizeof msg, "Method \"%s\" not allowed.", method);
      set_detail (h, 405, msg);
      h->allow = strdup ("POST, OPTIONS");
    }
    return;
  }

  /* DRF APIView.initial: negotiation, version, authentication, perms. */
  char ver_s[64];
  int has_ver = 0;
  if (negotiate (header (conn, MHD_HTTP_HEADER_ACCEPT), ver_s, sizeof ver_s,
                 &has_ver)
      < 0) {
    set_detail (h, 406, "Could not satisfy the request Accept header.");
    return;
  }
  int version = s->gen.def_version;
  if (has_ver) {
    /* DRF compares strings: "10.0", "010" and "" are not "10". */
    int64_t vv = 0;
    char canon[32] = "";
    int ok = fp_parse_int64 (ver_s, &vv) == 0;
    if (ok)
      snprintf (canon, sizeof canon, "%lld", (long long)vv);
    if (!ok || strcmp (canon, ver_s) != 0 || vv < s->gen.min_version
        || vv > s->gen.max_version) {
      set_detail (h, 406, "Invalid version in \"Accept\" header.");
      return;
    }
    version = (int)vv;
  }
  int64_t uid
      = authenticate (s, header (conn, MHD_HTTP_HEADER_AUTHORIZATION), h);
  if (!uid)
    return;
  h->authed = 1;
  fp_view v;
  fp_ids groups = {0};
  fp_view_for (s, uid, &v, &groups);
  v.version = version;
  fp_query q;
  fp_query_parse (&q, query_raw);
  const char *endpoint = ns == 0 ? "" : ep;
  if (ns > 0 && !endpoint_allowed (s, &v, endpoint)) {
    set_detail (h, 403, "You do not have permission to perform this action.");
    goto cleanup;
  }
  if (!strcmp (method, "OPTIONS")) {
    fp_http_json (h, 200,
                  "{\"name\":\"Paperless\",\"description\":\"\","
                  "\"renders\":[\"application/json\",\"text/html\"],"
                  "\"parses\":[\"application/json\","
                  "\"application/x-www-form-urlencoded\","
                  "\"multipart/form-data\"]}");
    goto cleanup;
  }
  if (!is_get) {
    char msg[80];
    snprintf (msg, sizeof msg, "Method \"%s\" not allowed.", method);
    set_detail (h, 405, msg);
    h->allow = strdup ("GET, HEAD, OPTIONS");
    goto cleanup;
  }
  const char *host = header (conn, MHD_HTTP_HEADER_HOST);
  char origin[300];
  if (s->link_origin)
    snprintf (origin, sizeof origin, "%s", s->link_origin);
  else {
    /* The scheme and authority the client used: fp_server_url's. */
    const char *scheme_end = strstr (s->url, "://");
    const char *authority = scheme_end ? scheme_end + 3 : s->url;
    int scheme_len = scheme_end ? (int)(scheme_end - s->url) : 4;
    snprintf (origin, sizeof origin, "%.*s://%.*s", scheme_len,
              scheme_end ? s->url : "http",
              host ? (int)strlen (host) : (int)strcspn (authority, "/"),
              host ? host : authority);
  }
  if (ns == 0) {
    api_root (s, origin, h);
    goto cleanup;
  }
  char *field_names[64];
  size_t nf = 0;
  char *fields_copy = NULL;
  const char *fields = fp_query_get (&q, "fields");
  int is_trash = !strcmp (ep, "trash");
  if (fields && *fields && !is_trash) {
    fields_copy = strdup (fields);
    for (char *save = NULL,
              *t = fields_copy ? strtok_r (fields_copy, ",", &save) : NULL;
         t && nf < 64; t = strtok_r (NULL, ",", &save))
      field_names[nf++] = t;
  }
  v.field_names = field_names;
  v.n_field_names = nf;
  v.full_perms = truthy (fp_query_get (&q, "full_perms"));
  const char *tc = fp_query_get (&q, "truncate_content");
  v.truncate = tc && (!strcmp (tc, "true") || !strcmp (tc, "1")) && !is_trash;
  char self_url[1024];
  snprintf (self_url, sizeof self_url, "%s%s", origin, path);
  fp_list_req lr = {&v, &q, self_url};
  if (!strcmp (ep, "ui_settings"))
    ui_settings (s, &v, h);
  else if (!strcmp (ep, "documents") && ns == 1)
    fp_list_documents (h, &lr, 0);
  else if (!strcmp (ep, "documents"))
    document_detail (s, &v, seg[1], ns == 3, &q, h);
  else if (is_trash)
    fp_list_documents (h, &lr, 1);
  else if (ns == 1)
    fp_list_lookups (h, &lr, (fp_lk)lk);
  else
    lookup_detail (s, &v, (fp_lk)lk, seg[1], h);
  free (fields_copy);
  if (!h->allow)
    h->allow = strdup (ns == 1 ? "GET, POST, HEAD, OPTIONS"
                               : "GET, PUT, PATCH, DELETE, HEAD, OPTIONS");
cleanup:
  fp_query_free (&q);
  fp_ids_free (&groups);
}
