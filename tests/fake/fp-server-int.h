/* fp-server-int.h: the server object, shared by fp-server.c, fp-log.c,
 * fp-mutate.c and fp-control.c.  Every field below `lock` is guarded by it. */
#ifndef FP_SERVER_INT_H
#define FP_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "fp-internal.h"

struct MHD_Daemon;
struct MHD_Connection;

#define CT_JSON "application/json"
#define CT_HTML "text/html; charset=utf-8"

typedef struct fp_log_rec {
  char *method, *path, *query, *headers;
  int status;
} fp_log_rec;

typedef struct fp_token {
  char *token;
  int64_t user_id; /* 0: follows the main user */
} fp_token;

typedef struct fp_hook {
  int id;
  char *path_prefix;
  unsigned nth, seen;
  int fired;
  fp_hook_fn fn;
  void *user;
  char *command;
} fp_hook;

struct fp_server {
  struct MHD_Daemon *daemon, *control;
  char url[256];
  char *prefix; /* "" or "/paperless" */
  unsigned port;
  atomic_int stopping; /* read by stalled bodies and sleeps */
  /* https: PEM text handed to libmicrohttpd, kept until the daemon stops
   * (all NULL for plain http; tls_client_ca set: mutual TLS). */
  char *tls_cert, *tls_key, *tls_client_ca;
  int real_clock;
  int64_t clock_step_us;

  pthread_mutex_t lock;
  fp_corpus *c;
  fp_gen gen;
  char *version;
  int tz; /* fp_parse_tz */
  unsigned trash_delay;
  int64_t user_id;
  fp_token *tokens; /* tokens[0] is the main token */
  size_t n_tokens;
  char **forbidden;
  size_t n_forbidden;
  char *link_origin;
  unsigned delay_ms;
  int gzip;
  int64_t clock_us;

  fp_log_rec *log;
  size_t n_log, cap_log;
  size_t log_base; /* entries cleared so far: log ids stay unique */
  size_t non_get;
  uint64_t bytes_sent;
  unsigned active;     /* API requests being answered now */
  unsigned max_active; /* their high-water mark since the log was cleared */
  size_t tls_refused;  /* requests refused without a client certificate */

  fp_fault_rule *faults;
  size_t n_faults;
  int next_rule_id;
  fp_hook *hooks;
  size_t n_hooks;
};

/* fp-mutate.c: the next mutation instant (advances the clock). */
int64_t fp_tick (fp_server *s);
/* Locked helpers for the view of user_id (0: the main user). */
void fp_view_for (fp_server *s, int64_t user_id, fp_view *v, fp_ids *groups);
/* Hooks due after a request to `rel_path`; run them (lock not held). */
void fp_hooks_after_request (fp_server *s, const char *rel_path);
int fp_forbidden_locked (const fp_server *s, const char *endpoint);

/* Give one option of select field `field` a new label; the option is named
 * by its id, or else by its index in extra_data.select_options.  No
 * document is bumped (fp-mutate.c; the "relabel-option" command). */
int fp_server_relabel_option (fp_server *s, int64_t field, const char *option,
                              const char *label);

/* fp-api.c: fills h for one request (lock held).  path is the decoded
 * path (prefix included), query_raw the undecoded query string. */
void fp_api_route (fp_server *s, struct MHD_Connection *conn,
                   const char *method, const char *path, const char *query_raw,
                   fp_http *h);

/* fp-log.c (lock held).  fp_log_append returns an id for
 * fp_log_set_status that survives fp_server_log_clear (which makes the
 * later status update a no-op). */
size_t fp_log_append (fp_server *s, const char *method, const char *path,
                      const char *query, const char *headers);
void fp_log_set_status (fp_server *s, size_t id, int status);
void fp_log_rec_clear (fp_log_rec *r);

/* fp-control.c */
void fp_control_stop (fp_server *s);

/* fp-faults.c: a response body for a fault. */
struct MHD_Response;
struct MHD_Response *fp_fault_response (fp_server *s, const fp_fault *f,
                                        const char *body, size_t len,
                                        int *status);
/* Sleep ms in slices, returning early when the server stops. */
void fp_sleep_ms (fp_server *s, unsigned ms);

#endif /* FP_SERVER_INT_H */
