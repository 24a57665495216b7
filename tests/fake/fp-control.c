/* fp-control.c: text commands (fp_server_command) and the control listener
 * that exposes them to other processes as POST /control/<command>?args. */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "fp-server-int.h"

static int
need_id (const fp_query *q, const char *key, int64_t *id, char *err,
         size_t errlen)
{
  const char *v = fp_query_get (q, key);
  if (!v || fp_parse_int64 (v, id) < 0) {
    snprintf (err, errlen, "missing or bad \"%s\"", key);
    return -1;
  }
  return 0;
}

/* "1-1000,1005" → ids. */
static int
parse_ranges (const char *s, fp_ids *out)
{
  while (s && *s) {
    size_t n = strcspn (s, ",");
    char tmp[64];
    if (n >= sizeof tmp)
      return -1;
    memcpy (tmp, s, n);
    tmp[n] = '\0';
    char *dash = strchr (tmp + 1, '-');
    int64_t a, b;
    if (dash) {
      *dash = '\0';
      if (fp_parse_int64 (tmp, &a) < 0 || fp_parse_int64 (dash + 1, &b) < 0
          || b < a || b - a > 10000000)
        return -1;
    } else if (fp_parse_int64 (tmp, &a) < 0)
      return -1;
    else
      b = a;
    for (int64_t i = a; i <= b; i++)
      if (fp_ids_push (out, i) < 0)
        return -1;
    s += n + (s[n] != 0);
  }
  return 0;
}

/* "null" or an int for a nullable id. */
static int
opt_fk (const fp_query *q, const char *key, int64_t *v, int *set)
{
  const char *s = fp_query_get (q, key);
  *set = 0;
  if (!s)
    return 0;
  *set = 1;
  if (strcmp (s, "null") == 0 || !*s) {
    *v = FP_NULL_ID;
    return 0;
  }
  return fp_parse_int64 (s, v);
}

static int
cmd_edit (fp_server *s, const fp_query *q, char *err, size_t errlen)
{
  int64_t id;
  fp_ids tags = {0}, view = {0};
  int rc = -1;
  if (need_id (q, "id", &id, err, errlen) < 0)
    return -1;
  fp_doc_edit e = {0};
  e.title = fp_query_get (q, "title");
  e.content = fp_query_get (q, "content");
  e.created = fp_query_get (q, "created");
  const char *t = fp_query_get (q, "tags");
  if (t) {
    if (fp_parse_id_list (t, &tags) < 0) {
      snprintf (err, errlen, "bad tags");
      goto cleanup;
    }
    e.tags = tags.v;
    e.n_tags = tags.n;
    e.set_tags = 1;
  }
  const char *vu = fp_query_get (q, "view_users");
  if (vu) {
    if (fp_parse_id_list (vu, &view) < 0) {
      snprintf (err, errlen, "bad view_users");
      goto cleanup;
    }
    e.view_users = view.v;
    e.n_view_users = view.n;
    e.set_view_users = 1;
  }
  if (opt_fk (q, "correspondent", &e.correspondent, &e.set_correspondent) < 0
      || opt_fk (q, "document_type", &e.document_type, &e.set_document_type) < 0
      || opt_fk (q, "storage_path", &e.storage_path, &e.set_storage_path) < 0
      || opt_fk (q, "owner", &e.owner, &e.set_owner) < 0) {
    snprintf (err, errlen, "bad id value");
    goto cleanup;
  }
  rc = fp_server_edit_document (s, id, &e);
  if (rc < 0)
    snprintf (err, errlen, "no document %lld (or bad created)", (long long)id);
cleanup:
  fp_ids_free (&tags);
  fp_ids_free (&view);
  return rc;
}

/* "relabel-option?field=11&option=<option id or index>&label=X" */
static int
cmd_relabel_option (fp_server *s, const fp_query *q, char *err, size_t errlen)
{
  int64_t field;
  const char *option = fp_query_get (q, "option");
  const char *label = fp_query_get (q, "label");
  if (need_id (q, "field", &field, err, errlen) < 0)
    return -1;
  if (!option || !*option || !label) {
    snprintf (err, errlen, "missing \"option\" or \"label\"");
    return -1;
  }
  if (fp_server_relabel_option (s, field, option, label) < 0) {
    snprintf (err, errlen, "no select option \"%s\" of custom field %lld",
              option, (long long)field);
    return -1;
  }
  return 0;
}

int
fp_server_command (fp_server *s, const char *command, char *err, size_t errlen)
{
  char name[64];
  size_t n = strcspn (command, "?");
  const char *qs = command[n] ? command + n + 1 : "";
  int rc = -1;
  int64_t id;
  fp_query q;
  if (n >= sizeof name) {
    snprintf (err, errlen, "unknown command");
    return -1;
  }
  memcpy (name, command, n);
  name[n] = '\0';
  if (fp_query_parse (&q, qs) < 0) {
    snprintf (err, errlen, "out of memory");
    return -1;
  }
  const char *ep = fp_query_get (&q, "endpoint");
  if (!strcmp (name, "edit"))
    rc = cmd_edit (s, &q, err, errlen);
  else if (!strcmp (name, "add")) {
    int64_t nid = fp_server_add_document (s, fp_query_get (&q, "title"),
                                          fp_query_get (&q, "content"));
    rc = nid > 0 ? 0 : -1;
    snprintf (err, errlen, "%lld", (long long)nid); /* the new id */
  } else if (!strcmp (name, "trash") || !strcmp (name, "restore")
             || !strcmp (name, "purge")) {
    if (need_id (&q, "id", &id, err, errlen) == 0) {
      rc = !strcmp (name, "trash")     ? fp_server_trash_document (s, id)
           : !strcmp (name, "restore") ? fp_server_restore_document (s, id)
                                       : fp_server_purge_document (s, id);
      if (rc < 0)
        snprintf (err, errlen, "no document %lld in that state", (long long)id);
    }
  } else if (!strcmp (name, "note")) {
    int64_t user = 0;
    const char *u = fp_query_get (&q, "user");
    if (need_id (&q, "id", &id, err, errlen) == 0
        && (!u || fp_parse_int64 (u, &user) == 0)) {
      rc = fp_server_add_note (s, id, fp_query_get (&q, "note"), user);
      if (rc < 0)
        snprintf (err, errlen, "no document %lld", (long long)id);
    }
  } else if (!strcmp (name, "rename") || !strcmp (name, "delete-lookup")) {
    const char *nm = fp_query_get (&q, "name");
    if (!ep || fp_lk_from_name (ep) < 0)
      snprintf (err, errlen, "missing or bad \"endpoint\"");
    else if (need_id (&q, "id", &id, err, errlen) == 0) {
      if (!strcmp (name, "rename") && !nm)
        snprintf (err, errlen, "missing \"name\"");
      else {
        rc = !strcmp (name, "rename") ? fp_server_rename_lookup (s, ep, id, nm)
                                      : fp_server_delete_lookup (s, ep, id);
        if (rc < 0)
          snprintf (err, errlen, "no %s %lld", ep, (long long)id);
      }
    }
  } else if (!strcmp (name, "relabel-option")) {
    rc = cmd_relabel_option (s, &q, err, errlen);
  } else if (!strcmp (name, "bulk-touch")) {
    fp_ids ids = {0};
    if (parse_ranges (fp_query_get (&q, "ids"), &ids) < 0 || !ids.n)
      snprintf (err, errlen, "missing or bad \"ids\" (e.g. 1-100,105)");
    else {
      size_t touched = fp_server_bulk_touch (s, ids.v, ids.n);
      snprintf (err, errlen, "%zu", touched);
      rc = 0;
    }
    fp_ids_free (&ids);
  } else if (!strcmp (name, "fault")) {
    fp_fault f;
    if (fp_fault_parse (&f, &q, err, errlen) == 0) {
      int fid = fp_server_add_fault (s, &f);
      rc = fid > 0 ? 0 : -1;
      snprintf (err, errlen, "%d", fid);
    }
  } else if (!strcmp (name, "clear-faults")) {
    fp_server_clear_faults (s);
    rc = 0;
  } else if (!strcmp (name, "log-clear")) {
    fp_server_log_clear (s);
    rc = 0;
  } else if (!strcmp (name, "advance-clock")) {
    int64_t us;
    if (need_id (&q, "us", &us, err, errlen) == 0) {
      fp_server_advance_clock (s, us);
      rc = 0;
    }
  } else if (!strcmp (name, "delay")) {
    int64_t ms;
    if (need_id (&q, "ms", &ms, err, errlen) == 0 && ms >= 0) {
      fp_server_set_delay_ms (s, (unsigned)ms);
      rc = 0;
    }
  } else if (!strcmp (name, "gzip")) {
    int64_t on;
    if (need_id (&q, "on", &on, err, errlen) == 0) {
      fp_server_set_gzip (s, on != 0);
      rc = 0;
    }
  } else if (!strcmp (name, "forbid")) {
    const char *on = fp_query_get (&q, "on");
    if (!ep)
      snprintf (err, errlen, "missing \"endpoint\"");
    else {
      fp_server_set_forbidden (s, ep, !on || strcmp (on, "0") != 0);
      rc = 0;
    }
  } else if (!strcmp (name, "link-origin")) {
    const char *o = fp_query_get (&q, "origin");
    fp_server_set_link_origin (s, o && *o ? o : NULL);
    rc = 0;
  } else if (!strcmp (name, "user")) {
    if (need_id (&q, "id", &id, err, errlen) == 0) {
      fp_server_set_user (s, id);
      rc = 0;
    }
  } else
    snprintf (err, errlen, "unknown command \"%s\"", name);
  fp_query_free (&q);
  return rc;
}

/* ------------------------------------------------------ control listener */

typedef struct creq {
  char *uri;
  int started;
} creq;

static enum MHD_Result
reply (struct MHD_Connection *conn, unsigned status, const char *ct, char *body)
{
  if (!body)
    return MHD_NO;
  struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback (
      strlen (body), body, free);
  if (!r) {
    free (body);
    return MHD_NO;
  }
  MHD_add_response_header (r, MHD_HTTP_HEADER_CONTENT_TYPE, ct);
  enum MHD_Result ret = MHD_queue_response (conn, status, r);
  MHD_destroy_response (r);
  return ret;
}

static char *
result_json (int ok, const char *msg)
{
  fp_buf b = {0};
  fp_buf_printf (&b, "{\"ok\":%s,\"result\":", ok ? "true" : "false");
  fp_buf_json_strz (&b, msg);
  fp_buf_adds (&b, "}\n");
  return fp_buf_take (&b);
}

static enum MHD_Result
on_control (void *cls, struct MHD_Connection *conn, const char *url,
            const char *method, const char *version, const char *upload_data,
            size_t *upload_data_size, void **con_cls)
{
  (void)version;
  (void)upload_data;
  fp_server *s = cls;
  creq *rq = *con_cls;
  if (!rq)
    return MHD_NO;
  if (!rq->started) {
    rq->started = 1;
    return MHD_YES;
  }
  if (*upload_data_size) {
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (strncmp (url, "/control/", 9) != 0)
    return reply (conn, 404, "application/json",
                  result_json (0, "paths are /control/<command>"));
  const char *cmd = url + 9;
  if (!strcmp (method, "GET")) {
    char *body = NULL;
    if (!strcmp (cmd, "log"))
      body = fp_server_log_json (s);
    else if (!strcmp (cmd, "snapshot"))
      body = fp_server_snapshot_json (s);
    else if (!strcmp (cmd, "stats")) {
      fp_buf b = {0};
      fp_buf_printf (&b,
                     "{\"requests\":%zu,\"non_get\":%zu,\"bytes_sent\":%llu,"
                     "\"max_in_flight\":%u,\"now\":\"",
                     fp_server_request_count (s), fp_server_non_get_count (s),
                     (unsigned long long)fp_server_bytes_sent (s),
                     fp_server_max_in_flight (s));
      fp_buf_datetime (&b, fp_server_now_us (s), 0, 1);
      fp_buf_adds (&b, "\"}\n");
      body = fp_buf_take (&b);
    } else
      return reply (conn, 404, "application/json",
                    result_json (0, "GET /control/log|stats|snapshot"));
    return reply (conn, 200,
                  !strcmp (cmd, "log") ? "application/x-ndjson"
                                       : "application/json",
                  body);
  }
  if (strcmp (method, "POST") != 0)
    return reply (conn, 405, "application/json",
                  result_json (0, "use POST for commands"));
  /* The raw query, so values keep their encoding until parsed. */
  const char *qmark = strchr (rq->uri, '?');
  fp_buf line = {0};
  fp_buf_adds (&line, cmd);
  if (qmark)
    fp_buf_adds (&line, qmark);
  char err[256] = "";
  int rc = line.p ? fp_server_command (s, line.p, err, sizeof err) : -1;
  fp_buf_free (&line);
  return reply (conn, rc == 0 ? 200 : 400, "application/json",
                result_json (rc == 0, err));
}

static void *
on_curi (void *cls, const char *uri, struct MHD_Connection *conn)
{
  (void)cls;
  (void)conn;
  creq *rq = calloc (1, sizeof *rq);
  if (rq && !(rq->uri = strdup (uri))) {
    free (rq);
    rq = NULL;
  }
  return rq;
}

static void
on_cdone (void *cls, struct MHD_Connection *conn, void **con_cls,
          enum MHD_RequestTerminationCode toe)
{
  (void)cls;
  (void)conn;
  (void)toe;
  creq *rq = *con_cls;
  if (rq) {
    free (rq->uri);
    free (rq);
    *con_cls = NULL;
  }
}

unsigned
fp_server_start_control (fp_server *s, unsigned port, char *err, size_t errlen)
{
  if (s->control) {
    snprintf (err, errlen, "control listener already running");
    return 0;
  }
  struct sockaddr_in sa;
  memset (&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons ((uint16_t)port);
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  s->control = MHD_start_daemon (
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
      on_control, s, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_URI_LOG_CALLBACK,
      on_curi, s, MHD_OPTION_NOTIFY_COMPLETED, on_cdone, s, MHD_OPTION_END);
  if (!s->control) {
    snprintf (err, errlen, "cannot listen on 127.0.0.1:%u", port);
    return 0;
  }
  const union MHD_DaemonInfo *di
      = MHD_get_daemon_info (s->control, MHD_DAEMON_INFO_BIND_PORT);
  return di ? di->port : port;
}

void
fp_control_stop (fp_server *s)
{
  if (s->control)
    MHD_stop_daemon (s->control);
  s->control = NULL;
}
