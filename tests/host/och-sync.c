/* och-sync.c: the host services lent to an instance, `check` and `sync`.
 *
 * Durability rule (Omni's): a checkpoint is persisted only after every
 * event it covers has been written and fsync'd to the events file.  Since
 * the ABI's checkpoint covers every batch handed out, the host asks for one
 * only between batches, after the whole batch is written; a run that dies
 * anywhere therefore resumes from a checkpoint whose events are all on
 * disk, and at worst delivers a few events twice (Omni's upserts and
 * deletes are idempotent, last one wins).
 *
 * The run's lifecycle in the state file: opened after init succeeds (a run
 * whose init fails leaves nothing to resume), checkpointed while it runs,
 * closed on completion, when its checkpoint becomes the source checkpoint.
 * A run that fails, is stopped or killed stays open and the next `sync`
 * resumes it; after three failed resumes it is started over from the
 * source checkpoint (as Omni re-dispatches a run at most three times).
 */
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "och.h"

#define MAX_RESUMES 3

/* The only global: set by SIGINT/SIGTERM, read by should_stop. */
static volatile sig_atomic_t och_stop_flag;

void
och_error (const char *fmt, ...)
{
  va_list ap;
  char msg[OCH_ERRLEN], line[OCH_ERRLEN];

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  och_one_line (line, sizeof line, msg);
  fprintf (stderr, OCH_PROGRAM ": %s\n", line);
}

/* ---- host services ---------------------------------------------------- */

/* Everything the services touch, per instance (host_data). */
typedef struct och_ctx {
  const char *plugin_name;
  bool quiet;
  int verbose;
  och_progress *progress;
  bool err_set;
  omni_status err_code;
  char err[OCH_ERRLEN];
} och_ctx;

static const char *const level_names[] = {"debug", "info", "warning", "error"};

static void
svc_log (void *host_data, omni_log_level level, const char *message)
{
  och_ctx *c = host_data;
  char line[OCH_ERRLEN];

  if ((int)level < OMNI_LOG_DEBUG || (int)level > OMNI_LOG_ERROR)
    level = OMNI_LOG_ERROR;
  if (level == OMNI_LOG_DEBUG && (c->quiet || c->verbose == 0))
    return;
  if (level == OMNI_LOG_INFO && c->quiet)
    return;
  och_one_line (line, sizeof line, message);
  if (c->progress != NULL)
    och_progress_clear (c->progress);
  fprintf (stderr, "%s: %s: %s\n", c->plugin_name, level_names[level], line);
}

static void
svc_set_error (void *host_data, omni_status code, const char *message)
{
  och_ctx *c = host_data;

  c->err_set = true;
  c->err_code = code;
  och_one_line (c->err, sizeof c->err,
                message != NULL ? message : "(no message)");
}

static int
svc_should_stop (void *host_data)
{
  (void)host_data;
  return och_stop_flag != 0;
}

static void
svc_waiting (void *host_data, uint32_t wait_ms, const char *reason)
{
  och_ctx *c = host_data;
  char line[OCH_ERRLEN];

  if (c->quiet)
    return;
  och_one_line (line, sizeof line, reason != NULL ? reason : "");
  if (c->progress != NULL)
    och_progress_clear (c->progress);
  fprintf (stderr, OCH_PROGRAM ": waiting %lu s: %s\n",
           (unsigned long)((wait_ms + 999) / 1000), line);
}

static void
services_init (omni_host_services *svc, och_ctx *ctx)
{
  memset (svc, 0, sizeof *svc);
  svc->struct_size = (uint32_t)sizeof *svc;
  svc->host_data = ctx;
  svc->log = svc_log;
  svc->set_error = svc_set_error;
  svc->should_stop = svc_should_stop;
  svc->waiting = svc_waiting;
}

/* Forget the previous call's error before making the next one. */
static void
ctx_reset_error (och_ctx *c)
{
  c->err_set = false;
  c->err[0] = '\0';
}

/* "<op> failed (CODE): <plugin's text>" */
static void
call_error (const och_ctx *c, const char *op, omni_status st, char *out,
            size_t outlen)
{
  /* A long plugin message is cut, which is fine for one line. */
  if (snprintf (out, outlen, "%s failed (%s): %s", op, och_status_name (st),
                c->err_set ? c->err : "the plugin gave no reason")
      >= (int)outlen)
    out[outlen - 1] = '\0';
}

/* The exit status for an error a plugin call returned. */
static int
exit_for (omni_status st, bool in_init)
{
  switch (st) {
    case OMNI_ERR_AUTH:
      return OCH_EXIT_AUTH;
    case OMNI_ERR_INVALID:
      return in_init ? OCH_EXIT_USAGE : OCH_EXIT_FAILED;
    case OMNI_ERR_CANCELLED:
      return och_stop_flag ? OCH_EXIT_STOPPED : OCH_EXIT_FAILED;
    default:
      return OCH_EXIT_FAILED;
  }
}

/* ---- signals ---------------------------------------------------------- */

static void
on_signal (int sig)
{
  static const char msg[]
      = OCH_PROGRAM ": second signal: exiting now (the state is consistent)\n";

  (void)sig;
  if (och_stop_flag) {
    /* The operator insists; durability never depended on a clean exit. */
    if (write (STDERR_FILENO, msg, sizeof msg - 1) < 0) {
      /* nothing more to do */
    }
    _exit (OCH_EXIT_STOPPED);
  }
  och_stop_flag = 1;
}

static void
install_signals (void)
{
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset (&sa.sa_mask);
  /* No SA_RESTART: a blocking call in the plugin returns early and polls
   * should_stop. */
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
}

/* ---- check ------------------------------------------------------------ */

int
och_cmd_check (const och_options *o)
{
  och_plugin p;
  och_config cfg;
  och_ctx ctx;
  omni_host_services svc;
  omni_init_params ip;
  omni_instance *inst = NULL;
  omni_status st;
  char err[OCH_ERRLEN];
  int rc = OCH_EXIT_USAGE;

  memset (&cfg, 0, sizeof cfg);
  if (och_plugin_load (&p, o->plugin_path, err, sizeof err) == -1) {
    och_error ("%s", err);
    return OCH_EXIT_USAGE;
  }
  if (och_config_read (&cfg, o->config_path, err, sizeof err) == -1) {
    och_error ("%s", err);
    goto cleanup;
  }
  memset (&ctx, 0, sizeof ctx);
  ctx.plugin_name = p.desc.name;
  ctx.quiet = o->quiet;
  ctx.verbose = o->verbose;
  services_init (&svc, &ctx);
  install_signals ();

  memset (&ip, 0, sizeof ip);
  ip.struct_size = (uint32_t)sizeof ip;
  ip.source_id = cfg.source_id;
  ip.source_config_json = cfg.source_config_json;
  ip.credentials_json = cfg.credentials_json;
  /* No checkpoint: a full sync is what a first run would be, and it makes
   * the plugin say nothing about the mode, only about the connection. */
  ip.mode = OMNI_SYNC_FULL;
  ip.checkpoint = NULL;
  ip.resume = 0;
  st = p.desc.init (&svc, &ip, &inst);
  och_config_wipe_credentials (&cfg);
  if (st != OMNI_OK) {
    call_error (&ctx, "init", st, err, sizeof err);
    och_error ("%s: %s", p.desc.name, err);
    rc = exit_for (st, true);
    inst = NULL;
    goto cleanup;
  }
  printf ("ok: %s connected\n", p.desc.name);
  rc = OCH_EXIT_OK;

cleanup:
  if (inst != NULL)
    p.desc.shutdown (inst);
  och_config_free (&cfg);
  och_plugin_unload (&p);
  return rc;
}

/* ---- sync ------------------------------------------------------------- */

typedef struct och_sync {
  const och_options *o;
  och_plugin plugin;
  och_config cfg;
  och_state state;
  och_events events;
  och_progress progress;
  och_ctx ctx;
  omni_host_services svc;
  omni_instance *inst;
  int lock_fd;
  omni_sync_mode mode;
  /* Live counts of this run; the state holds those of the last checkpoint
   * while the run is open, so that a resume never counts twice. */
  int64_t created, updated, deleted;
  int64_t since_checkpoint; /* changes processed since the last one */
  double last_checkpoint;   /* monotonic */
  double started;
} och_sync;

static void
state_counts (och_sync *s)
{
  int64_t n = s->state.run_indexed_base + s->created - s->deleted;

  s->state.created = s->created;
  s->state.updated = s->updated;
  s->state.deleted = s->deleted;
  s->state.documents_indexed = n > 0 ? n : 0;
}

/* Make everything ingested so far durable, then record the plugin's
 * checkpoint (the run's, or the source's when final).  In this order:
 * a checkpoint must never be on disk before its events. */
static int
checkpoint (och_sync *s, bool final, char *err, size_t errlen)
{
  const char *text = NULL;
  omni_status st;
  char when[32];

  if (och_events_sync (&s->events, err, errlen) == -1)
    return -1;
  ctx_reset_error (&s->ctx);
  st = s->plugin.desc.checkpoint (s->inst, &text);
  if (st != OMNI_OK || text == NULL) {
    call_error (&s->ctx, "checkpoint", st == OMNI_OK ? OMNI_ERR_INTERNAL : st,
                err, errlen);
    return -1;
  }
  if (!och_utf8_valid (text, strlen (text)))
    return och_fail (err, errlen, "checkpoint failed: the text is not UTF-8");
  state_counts (s);
  if (final) {
    och_now_rfc3339 (when);
    if (och_state_set (&s->state.source_checkpoint, text) == -1
        || och_state_set (&s->state.last_sync_at, when) == -1
        || och_state_set (&s->state.last_ended_at, when) == -1
        || och_state_set (&s->state.run_checkpoint, NULL) == -1
        || och_state_set (&s->state.run_started_at, NULL) == -1)
      return och_fail (err, errlen, "out of memory");
    s->state.has_last_sync = true;
    s->state.last_sync_mode = s->mode;
    s->state.run_in_progress = false;
    s->state.run_attempts = 0;
    s->state.last_outcome = OCH_OUTCOME_COMPLETED;
  } else if (och_state_set (&s->state.run_checkpoint, text) == -1)
    return och_fail (err, errlen, "out of memory");
  if (och_state_write (&s->state, s->o->state_path, err, errlen) == -1)
    return -1;
  s->since_checkpoint = 0;
  s->last_checkpoint = och_monotonic ();
  och_progress_checkpoint (&s->progress);
  return 0;
}

/* A message for the operator, unless --quiet. */
static void OCH_PRINTF (2, 3) notice (const och_sync *s, const char *fmt, ...)
{
  va_list ap;

  if (s->o->quiet)
    return;
  va_start (ap, fmt);
  fputs (OCH_PROGRAM ": ", stderr);
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
  va_end (ap);
}

/* Decide what this run is: a new one, a resumed one, or a restarted one.
 * Fills mode, *checkpoint and *resume, and prepares the run's fields of the
 * state (persisted only once init has succeeded). */
static void
plan_run (och_sync *s, const char **checkpoint, int *resume)
{
  och_state *st = &s->state;
  char now[32];

  och_now_rfc3339 (now);
  *resume = 0;
  *checkpoint = st->source_checkpoint;
  if (st->run_in_progress) {
    s->mode = st->run_mode;
    if (s->o->mode_given && s->o->mode != st->run_mode)
      notice (s, "--mode %s ignored: finishing the interrupted %s run first",
              och_mode_name (s->o->mode), och_mode_name (st->run_mode));
    if (st->run_checkpoint != NULL && st->run_attempts <= MAX_RESUMES) {
      notice (s, "resuming the interrupted %s run started %s",
              och_mode_name (s->mode), st->run_started_at);
      *resume = 1;
      *checkpoint = st->run_checkpoint;
      st->run_attempts++;
      s->created = st->created;
      s->updated = st->updated;
      s->deleted = st->deleted;
      return;
    }
    if (st->run_checkpoint != NULL) {
      /* Resuming keeps failing: start the run over (resume=0), but from
       * its own checkpoint rather than the source's, so that the plugin
       * keeps what only that checkpoint knows (documents the run may have
       * indexed) and can still remove them if they are gone. */
      notice (s,
              "the interrupted %s run failed to resume %d times: starting "
              "it over",
              och_mode_name (s->mode), MAX_RESUMES);
      och_state_set (&st->run_started_at, now);
      *checkpoint = st->run_checkpoint;
      st->run_attempts = 1;
      st->documents_indexed = st->run_indexed_base;
      return;
    }
    notice (s,
            "restarting the interrupted %s run from the last completed "
            "sync (it had saved no checkpoint)",
            och_mode_name (s->mode));
    st->run_attempts = 1;
    free (st->run_checkpoint);
    st->run_checkpoint = NULL;
    st->documents_indexed = st->run_indexed_base;
    return;
  }
  s->mode = s->o->mode;
  if (s->mode == OMNI_SYNC_INCREMENTAL && !st->has_last_sync) {
    notice (s, "no completed sync yet: running a full sync");
    s->mode = OMNI_SYNC_FULL;
  }
  st->run_attempts = 1;
  st->run_indexed_base = st->documents_indexed;
  och_state_set (&st->run_started_at, now);
}

/* Turn the interrupted run planned by plan_run into a new full run that
 * starts from the same checkpoint. */
static void
restart_as_full (och_sync *s)
{
  och_state *st = &s->state;
  char now[32];

  och_now_rfc3339 (now);
  s->mode = OMNI_SYNC_FULL;
  s->created = s->updated = s->deleted = 0;
  st->run_attempts = 1;
  st->documents_indexed = st->run_indexed_base;
  och_state_set (&st->run_started_at, now);
}

/* Record the end of a run that did not complete, and persist it. */
static void
record_failure (och_sync *s, och_outcome outcome, const char *error)
{
  char when[32], err[OCH_ERRLEN];

  och_now_rfc3339 (when);
  s->state.last_outcome = outcome;
  och_state_set (&s->state.last_ended_at, when);
  och_state_set (&s->state.last_error, error);
  if (och_state_write (&s->state, s->o->state_path, err, sizeof err) == -1)
    och_error ("%s", err);
}

/* Ingest one batch.  Returns 0, or an exit status with err set. */
static int
ingest_batch (och_sync *s, const omni_change_batch *b, char *err, size_t errlen)
{
  const char *sid = s->cfg.source_id;

  for (size_t i = 0; i < b->count; i++) {
    const omni_change *ch = &b->changes[i];
    const omni_document *doc = NULL;
    omni_status st;

    if (ch->document_id == NULL || *ch->document_id == '\0') {
      och_fail (err, errlen,
                "plugin bug: change %zu of a batch has no "
                "document id",
                i);
      return OCH_EXIT_FAILED;
    }
    switch (ch->kind) {
      case OMNI_CHANGE_CREATED:
      case OMNI_CHANGE_UPDATED:
        ctx_reset_error (&s->ctx);
        st = s->plugin.desc.fetch_document (s->inst, ch->document_id, &doc);
        if (st == OMNI_ERR_NOT_FOUND) {
          /* Gone between listing and fetching: a deletion. */
          if (och_events_delete (&s->events, sid, ch->document_id, err, errlen)
              == -1)
            return OCH_EXIT_FAILED;
          s->deleted++;
          break;
        }
        if (st != OMNI_OK) {
          call_error (&s->ctx, "fetch_document", st, err, errlen);
          return exit_for (st, false);
        }
        if (doc == NULL || doc->document_id == NULL
            || strcmp (doc->document_id, ch->document_id) != 0) {
          och_fail (err, errlen,
                    "plugin bug: fetch_document(%s) returned "
                    "another document or none",
                    ch->document_id);
          return OCH_EXIT_FAILED;
        }
        if (och_events_upsert (&s->events, ch->kind == OMNI_CHANGE_CREATED, sid,
                               doc, err, errlen)
            == -1)
          return OCH_EXIT_FAILED;
        if (ch->kind == OMNI_CHANGE_CREATED)
          s->created++;
        else
          s->updated++;
        break;
      case OMNI_CHANGE_DELETED:
        if (och_events_delete (&s->events, sid, ch->document_id, err, errlen)
            == -1)
          return OCH_EXIT_FAILED;
        s->deleted++;
        break;
      default:
        och_fail (err, errlen, "plugin bug: unknown change kind %d for %s",
                  (int)ch->kind, ch->document_id);
        return OCH_EXIT_FAILED;
    }
    och_progress_update (&s->progress,
                         b->done >= 0 ? b->done - (int64_t)(b->count - i - 1)
                                      : s->created + s->updated + s->deleted,
                         b->total);
  }
  return 0;
}

/* The loop: batches until DONE, an error, or a stop.  Returns an exit
 * status; err is set unless it is OCH_EXIT_OK or OCH_EXIT_STOPPED. */
static int
run_loop (och_sync *s, char *err, size_t errlen)
{
  const omni_change_batch *b;
  omni_status st;
  bool batch_whole = true; /* every batch handed out is fully ingested */
  int rc;

  for (;;) {
    if (och_stop_flag) {
      rc = OCH_EXIT_STOPPED;
      break;
    }
    b = NULL;
    ctx_reset_error (&s->ctx);
    st = s->plugin.desc.list_changes (s->inst, &b);
    if (st == OMNI_DONE) {
      rc = checkpoint (s, true, err, errlen) == 0 ? OCH_EXIT_OK
                                                  : OCH_EXIT_FAILED;
      return rc;
    }
    if (st != OMNI_OK) {
      rc = exit_for (st, false);
      if (rc != OCH_EXIT_STOPPED)
        call_error (&s->ctx, "list_changes", st, err, errlen);
      break;
    }
    /* An empty batch is only allowed as a checkpoint request (a field
     * appended after ABI 1.0: read only when the plugin's batch has it). */
    bool must_checkpoint
        = b != NULL
          && b->struct_size
                 >= offsetof (omni_change_batch, flags) + sizeof b->flags
          && (b->flags & OMNI_BATCH_CHECKPOINT);
    if (b == NULL || (b->count == 0 && !must_checkpoint)
        || (b->count > 0 && b->changes == NULL)) {
      och_fail (err, errlen,
                "plugin bug: list_changes returned OK with an "
                "empty batch");
      rc = OCH_EXIT_FAILED;
      break;
    }
    rc = ingest_batch (s, b, err, errlen);
    if (rc != 0) {
      batch_whole = false;
      break;
    }
    s->since_checkpoint += (int64_t)b->count;
    if (must_checkpoint || s->since_checkpoint >= s->o->checkpoint_every
        || och_monotonic () - s->last_checkpoint >= s->o->checkpoint_seconds) {
      if (checkpoint (s, false, err, errlen) == -1) {
        rc = OCH_EXIT_FAILED;
        batch_whole = false; /* nothing more to save */
        break;
      }
    }
  }

  /* Save what is whole: after a stop or a listing error every batch handed
   * out is ingested, so the plugin's checkpoint covers exactly that. */
  if (batch_whole && s->since_checkpoint > 0) {
    char why[OCH_ERRLEN];
    if (checkpoint (s, false, why, sizeof why) == -1)
      och_error ("warning: could not save a last checkpoint: %s", why);
  } else if (!batch_whole) {
    /* Flush anyway: duplicates are harmless, the checkpoint stays put. */
    char why[OCH_ERRLEN];
    if (och_events_sync (&s->events, why, sizeof why) == -1)
      och_error ("warning: %s", why);
  }
  return rc;
}

static void
summary (const och_sync *s, const char *what)
{
  if (s->o->quiet)
    return;
  fprintf (stderr,
           OCH_PROGRAM ": %s (%s): %lld created, %lld updated, %lld deleted "
                       "in %.1f s\n",
           what, och_mode_name (s->mode), (long long)s->created,
           (long long)s->updated, (long long)s->deleted,
           och_monotonic () - s->started);
}

int
och_cmd_sync (const och_options *o)
{
  och_sync s;
  omni_init_params ip;
  omni_status st;
  const char *ck = NULL;
  char err[OCH_ERRLEN];
  bool existed = false;
  int resume = 0, rc = OCH_EXIT_USAGE;

  memset (&s, 0, sizeof s);
  s.o = o;
  s.lock_fd = -1;
  s.events.fd = -1;
  s.started = och_monotonic ();
  /* First thing: a SIGTERM that comes while we load must not kill us
   * between taking the lock and opening the run. */
  install_signals ();

  if (o->config_path == NULL || o->state_path == NULL
      || o->events_path == NULL) {
    och_error ("sync needs --plugin, --config, --state and --events");
    return OCH_EXIT_USAGE;
  }
  if ((s.lock_fd = och_state_lock (o->state_path, err, sizeof err)) == -1
      || och_plugin_load (&s.plugin, o->plugin_path, err, sizeof err) == -1
      || och_config_read (&s.cfg, o->config_path, err, sizeof err) == -1
      || och_state_read (&s.state, o->state_path, true, &existed, err,
                         sizeof err)
             == -1) {
    och_error ("%s", err);
    goto cleanup;
  }
  och_state_clean_temps (o->state_path);
  if (!existed) {
    if (och_state_set (&s.state.plugin, s.plugin.desc.name) == -1
        || och_state_set (&s.state.source_id, s.cfg.source_id) == -1) {
      och_error ("out of memory");
      goto cleanup;
    }
  } else if (strcmp (s.state.plugin, s.plugin.desc.name) != 0
             || strcmp (s.state.source_id, s.cfg.source_id) != 0) {
    och_error ("state file %s belongs to source %s of plugin %s, not to "
               "source %s of plugin %s",
               o->state_path, s.state.source_id, s.state.plugin,
               s.cfg.source_id, s.plugin.desc.name);
    goto cleanup;
  }
  if (och_events_open (&s.events, o->events_path, err, sizeof err) == -1) {
    och_error ("%s", err);
    goto cleanup;
  }

  s.ctx.plugin_name = s.plugin.desc.name;
  s.ctx.quiet = o->quiet;
  s.ctx.verbose = o->verbose;
  s.ctx.progress = &s.progress;
  services_init (&s.svc, &s.ctx);
  och_progress_init (&s.progress, !o->quiet, isatty (STDERR_FILENO) == 1);

  plan_run (&s, &ck, &resume);
  memset (&ip, 0, sizeof ip);
  ip.struct_size = (uint32_t)sizeof ip;
  ip.source_id = s.cfg.source_id;
  ip.source_config_json = s.cfg.source_config_json;
  ip.credentials_json = s.cfg.credentials_json;
  ip.mode = s.mode;
  ip.checkpoint = ck;
  ip.resume = resume;
  ctx_reset_error (&s.ctx);
  st = s.plugin.desc.init (&s.svc, &ip, &s.inst);
  if (st == OMNI_ERR_INVALID && resume && o->mode_given
      && o->mode == OMNI_SYNC_FULL && s.mode != OMNI_SYNC_FULL) {
    /* The interrupted incremental run cannot be resumed (its checkpoint is
     * unusable, say) and the operator asked for a full sync: run one in its
     * place rather than fail the same way every time.  A full sync starts
     * afresh from a checkpoint the plugin cannot use. */
    call_error (&s.ctx, "init", st, err, sizeof err);
    notice (&s,
            "the interrupted incremental run cannot be resumed (%s): running "
            "the full sync asked for in its place",
            err);
    restart_as_full (&s);
    ip.mode = s.mode;
    ip.resume = resume = 0;
    ctx_reset_error (&s.ctx);
    st = s.plugin.desc.init (&s.svc, &ip, &s.inst);
  }
  /* The plugin copied what it needs: our copy goes now. */
  och_config_wipe_credentials (&s.cfg);
  if (st != OMNI_OK) {
    s.inst = NULL;
    call_error (&s.ctx, "init", st, err, sizeof err);
    rc = exit_for (st, true);
    if (ck != NULL && *ck != '\0' && st == OMNI_ERR_INVALID
        && strstr (err, "checkpoint") != NULL)
      /* The operator needs to know which file holds it. */
      och_error ("%s: %s (checkpoint read from %s)", s.plugin.desc.name, err,
                 s.o->state_path);
    else
      och_error ("%s: %s", s.plugin.desc.name, err);
    /* A new run that never started leaves no run behind; an interrupted
     * one stays open, one attempt older. */
    s.state.last_mode = s.mode;
    if (s.state.last_started_at == NULL || !s.state.run_in_progress) {
      char now[32];
      och_now_rfc3339 (now);
      och_state_set (&s.state.last_started_at, now);
      s.state.created = s.state.updated = s.state.deleted = 0;
    }
    record_failure (
        &s, rc == OCH_EXIT_STOPPED ? OCH_OUTCOME_STOPPED : OCH_OUTCOME_FAILED,
        err);
    goto cleanup;
  }

  /* The run is open from now on. */
  s.state.run_in_progress = true;
  s.state.run_mode = s.mode;
  if (!resume && s.state.run_started_at == NULL) {
    char now[32];
    och_now_rfc3339 (now);
    och_state_set (&s.state.run_started_at, now);
  }
  s.state.last_outcome = OCH_OUTCOME_RUNNING;
  s.state.last_mode = s.mode;
  och_state_set (&s.state.last_started_at, s.state.run_started_at);
  och_state_set (&s.state.last_ended_at, NULL);
  och_state_set (&s.state.last_error, NULL);
  state_counts (&s);
  if (och_state_write (&s.state, o->state_path, err, sizeof err) == -1) {
    och_error ("%s", err);
    rc = OCH_EXIT_FAILED;
    goto cleanup;
  }
  s.last_checkpoint = och_monotonic ();

  rc = run_loop (&s, err, sizeof err);
  och_progress_clear (&s.progress);
  switch (rc) {
    case OCH_EXIT_OK:
      summary (&s, "sync complete");
      break;
    case OCH_EXIT_STOPPED:
      record_failure (&s, OCH_OUTCOME_STOPPED, "stopped by a signal");
      summary (&s, "stopped, state saved; run sync again to resume");
      break;
    default:
      och_error ("%s: %s", s.plugin.desc.name, err);
      record_failure (&s, OCH_OUTCOME_FAILED, err);
      break;
  }

cleanup:
  if (s.inst != NULL)
    s.plugin.desc.shutdown (s.inst);
  och_progress_clear (&s.progress);
  och_events_close (&s.events);
  och_state_free (&s.state);
  och_config_free (&s.cfg);
  och_plugin_unload (&s.plugin);
  if (s.lock_fd != -1)
    close (s.lock_fd);
  return rc;
}
