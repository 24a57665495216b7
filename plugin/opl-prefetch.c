/* opl-prefetch.c: fetch the next chunks of documents while the host
 * ingests the current one.
 *
 * Paperless-ngx takes long to render a page of OCR text, and the host
 * takes time to ingest one; doing both at once hides the latency.  With
 * max_requests_in_flight N the pool has N workers, each fetching one of
 * the next N chunks, so N requests are in flight while the host ingests;
 * every request of the instance (the sync's own included) passes the same
 * gate, so there are never more than N.
 *
 * A worker owns its own libcurl handle and never calls into the host (the
 * ABI allows host services only on the calling thread): no logging, no
 * waiting, no retries.  A failed or cancelled prefetch is simply done
 * again by the sync itself, with the usual retries. */
#include <config.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "opl.h"

typedef struct slot {
  opl_prefetch *pool;
  pthread_t thread;
  bool thread_started;
  opl_log log; /* no sink: the worker must not call the host */
  opl_api api;
  /* The job: ids to fetch; `want` set by the sync, cleared by the worker
   * when it starts.  n == 0: no job. */
  int64_t ids[OPL_PREFETCH_IDS];
  size_t n;
  bool want;
  bool running;
  /* The result, valid when `ready`: a 2xx response. */
  bool ready;
  opl_response resp;
} slot;

struct opl_prefetch {
  pthread_mutex_t mu; /* guards every slot's job and result */
  pthread_cond_t cv;  /* a job was set, or a worker finished one */
  opl_config cfg;     /* shallow copy: strings are the instance's */
  atomic_int cancel;  /* read by libcurl's progress callback */
  bool quit;
  unsigned n_slots;
  slot slots[OPL_PREFETCH_MAX];
};

static int
stop_cb (void *ud)
{
  opl_prefetch *p = ud;
  return atomic_load (&p->cancel);
}

static void
drop_result (slot *s)
{
  opl_response_free (&s->resp); /* and initialised again */
  s->ready = false;
}

static bool
holds (const slot *s, const int64_t *ids, size_t n)
{
  return s->n == n && n > 0 && memcmp (s->ids, ids, n * sizeof *ids) == 0;
}

static void *
worker (void *ud)
{
  slot *s = ud;
  opl_prefetch *p = s->pool;
  int64_t ids[OPL_PREFETCH_IDS];
  size_t n;

  pthread_mutex_lock (&p->mu);
  for (;;) {
    while (!s->want && !p->quit)
      pthread_cond_wait (&p->cv, &p->mu);
    if (p->quit)
      break;
    n = s->n;
    memcpy (ids, s->ids, n * sizeof *ids);
    s->want = false;
    s->running = true;
    pthread_mutex_unlock (&p->mu);

    opl_response r;
    char err[256];
    opl_response_init (&r);
    omni_status st
        = opl_api_get_documents (&s->api, ids, n, &r, err, sizeof err);

    pthread_mutex_lock (&p->mu);
    s->running = false;
    /* Keep the result only if it is one and the sync still wants it. */
    if (st == OMNI_OK && !s->want && !p->quit && holds (s, ids, n)) {
      s->resp = r;
      s->ready = true;
    } else
      opl_response_free (&r);
    pthread_cond_broadcast (&p->cv);
  }
  pthread_mutex_unlock (&p->mu);
  return NULL;
}

opl_prefetch *
opl_prefetch_new (const opl_config *cfg, int api_version, unsigned workers,
                  opl_gate *gate, char *err, size_t errlen)
{
  opl_prefetch *p = calloc (1, sizeof *p);
  if (p == NULL) {
    opl_fail (err, errlen, OMNI_ERR_INTERNAL, "out of memory");
    return NULL;
  }
  pthread_mutex_init (&p->mu, NULL);
  pthread_cond_init (&p->cv, NULL);
  p->cfg = *cfg;
  p->cfg.max_retries = 0;
  if (workers < 1 || workers > OPL_PREFETCH_MAX) {
    opl_fail (err, errlen, OMNI_ERR_INTERNAL, "%u prefetch workers", workers);
    goto fail;
  }
  for (unsigned i = 0; i < workers; i++) {
    slot *s = &p->slots[i];
    s->pool = p;
    opl_response_init (&s->resp);
    s->api.cfg = &p->cfg;
    s->api.log = &s->log;
    s->api.host = NULL;
    s->api.api_version = api_version;
    s->api.http = opl_http_new (&p->cfg, &s->log, stop_cb, p, err, errlen);
    if (s->api.http == NULL)
      goto fail;
    opl_http_set_gate (s->api.http, gate);
    p->n_slots = i + 1;
    if (pthread_create (&s->thread, NULL, worker, s) != 0) {
      opl_fail (err, errlen, OMNI_ERR_INTERNAL, "cannot start a thread");
      goto fail;
    }
    s->thread_started = true;
  }
  return p;

fail:
  opl_prefetch_free (p);
  return NULL;
}

unsigned
opl_prefetch_workers (const opl_prefetch *p)
{
  return p ? p->n_slots : 0;
}

/* Forget a slot's job and result (a request under way finishes, and its
 * result is thrown away). */
static void
clear_slot (slot *s)
{
  drop_result (s);
  s->want = false;
  s->n = 0;
}

void
opl_prefetch_schedule (opl_prefetch *p, const opl_chunk *chunks, size_t count)
{
  bool held[OPL_PREFETCH_MAX] = {false};

  if (p == NULL)
    return;
  if (count > p->n_slots)
    count = p->n_slots;
  pthread_mutex_lock (&p->mu);
  /* Keep what is still wanted, free the rest. */
  for (unsigned i = 0; i < p->n_slots; i++) {
    slot *s = &p->slots[i];
    bool keep = false;
    for (size_t c = 0; c < count && !keep; c++)
      if (!held[c] && holds (s, chunks[c].ids, chunks[c].n)) {
        held[c] = true;
        keep = true;
      }
    if (!keep)
      clear_slot (s);
  }
  /* Give each chunk not held yet to a free slot, nearest chunk first. */
  for (size_t c = 0; c < count; c++) {
    if (held[c] || chunks[c].n == 0 || chunks[c].n > OPL_PREFETCH_IDS)
      continue;
    for (unsigned i = 0; i < p->n_slots; i++) {
      slot *s = &p->slots[i];
      if (s->n != 0)
        continue;
      memcpy (s->ids, chunks[c].ids, chunks[c].n * sizeof *s->ids);
      s->n = chunks[c].n;
      s->want = true;
      break;
    }
  }
  pthread_cond_broadcast (&p->cv);
  pthread_mutex_unlock (&p->mu);
}

bool
opl_prefetch_take (opl_prefetch *p, const int64_t *ids, size_t n,
                   opl_response *r)
{
  bool taken = false;

  if (p == NULL)
    return false;
  pthread_mutex_lock (&p->mu);
  for (unsigned i = 0; i < p->n_slots; i++) {
    slot *s = &p->slots[i];
    if (!holds (s, ids, n))
      continue;
    while (s->want || s->running)
      pthread_cond_wait (&p->cv, &p->mu);
    if (s->ready) {
      opl_response_free (r);
      *r = s->resp; /* moved */
      opl_response_init (&s->resp);
      s->ready = false;
      taken = true;
    }
    clear_slot (s);
    break;
  }
  pthread_mutex_unlock (&p->mu);
  return taken;
}

void
opl_prefetch_free (opl_prefetch *p)
{
  if (p == NULL)
    return;
  atomic_store (&p->cancel, 1);
  pthread_mutex_lock (&p->mu);
  p->quit = true;
  pthread_cond_broadcast (&p->cv);
  pthread_mutex_unlock (&p->mu);
  for (unsigned i = 0; i < p->n_slots; i++) {
    slot *s = &p->slots[i];
    if (s->thread_started)
      pthread_join (s->thread, NULL);
    drop_result (s);
    opl_http_free (s->api.http);
  }
  pthread_cond_destroy (&p->cv);
  pthread_mutex_destroy (&p->mu);
  /* The copy shares the instance's strings (and the api key): forget
   * them without freeing. */
  opl_secure_zero (&p->cfg, sizeof p->cfg);
  free (p);
}
