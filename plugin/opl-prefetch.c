/* opl-prefetch.c: fetch the next chunk of documents while the host ingests
 * the current one.
 *
 * Paperless-ngx takes long to render a page of OCR text, and the host
 * takes time to ingest one; doing both at once hides most of the latency
 * (two requests in flight at most: the one the sync makes and this one).
 * The worker thread owns its own libcurl handle and never calls into the
 * host (the ABI allows host services only on the calling thread): no
 * logging, no waiting, no retries.  A failed or cancelled prefetch is
 * simply done again by the sync itself, with the usual retries. */
#include <config.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "opl.h"

struct opl_prefetch {
  pthread_t thread;
  bool thread_started;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  opl_config cfg; /* shallow copy: strings are the instance's */
  opl_log log;    /* no sink: the worker must not call the host */
  opl_api api;
  atomic_int cancel; /* read by libcurl's progress callback */
  bool quit;
  /* The job: ids to fetch; `want` set by the sync, cleared by the worker. */
  int64_t ids[1000];
  size_t n;
  bool want;
  bool running;
  /* The result, valid when `ready`. */
  bool ready;
  omni_status st;
  json_object *root;
  json_object *results;
};

static int
stop_cb (void *ud)
{
  opl_prefetch *p = ud;
  return atomic_load (&p->cancel);
}

static void
drop_result (opl_prefetch *p)
{
  json_object_put (p->root);
  p->root = NULL;
  p->results = NULL;
  p->ready = false;
}

static void *
worker (void *ud)
{
  opl_prefetch *p = ud;
  int64_t ids[1000];
  size_t n;

  pthread_mutex_lock (&p->mu);
  for (;;) {
    while (!p->want && !p->quit)
      pthread_cond_wait (&p->cv, &p->mu);
    if (p->quit)
      break;
    n = p->n;
    memcpy (ids, p->ids, n * sizeof *ids);
    p->want = false;
    p->running = true;
    pthread_mutex_unlock (&p->mu);

    json_object *root = NULL, *results = NULL;
    char err[256];
    omni_status st = opl_api_fetch_documents (&p->api, ids, n, &root, &results,
                                              err, sizeof err);

    pthread_mutex_lock (&p->mu);
    p->running = false;
    /* Keep the result only if the sync still wants these ids. */
    if (!p->want && !p->quit && p->n == n
        && memcmp (p->ids, ids, n * sizeof *ids) == 0) {
      p->st = st;
      p->root = root;
      p->results = results;
      p->ready = true;
    } else
      json_object_put (root);
    pthread_cond_broadcast (&p->cv);
  }
  pthread_mutex_unlock (&p->mu);
  return NULL;
}

opl_prefetch *
opl_prefetch_new (const opl_config *cfg, int api_version, char *err,
                  size_t errlen)
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
  p->api.cfg = &p->cfg;
  p->api.log = &p->log;
  p->api.host = NULL;
  p->api.api_version = api_version;
  p->api.http = opl_http_new (&p->cfg, &p->log, stop_cb, p, err, errlen);
  if (p->api.http == NULL)
    goto fail;
  if (pthread_create (&p->thread, NULL, worker, p) != 0) {
    opl_fail (err, errlen, OMNI_ERR_INTERNAL, "cannot start a thread");
    goto fail;
  }
  p->thread_started = true;
  return p;

fail:
  opl_prefetch_free (p);
  return NULL;
}

void
opl_prefetch_start (opl_prefetch *p, const int64_t *ids, size_t n)
{
  if (p == NULL || n == 0 || n > 1000)
    return;
  pthread_mutex_lock (&p->mu);
  drop_result (p);
  memcpy (p->ids, ids, n * sizeof *ids);
  p->n = n;
  p->want = true;
  pthread_cond_broadcast (&p->cv);
  pthread_mutex_unlock (&p->mu);
}

bool
opl_prefetch_take (opl_prefetch *p, const int64_t *ids, size_t n,
                   json_object **root, json_object **results)
{
  bool taken = false;

  if (p == NULL)
    return false;
  pthread_mutex_lock (&p->mu);
  bool same = p->n == n && memcmp (p->ids, ids, n * sizeof *ids) == 0;
  if (!same) {
    /* A plan changed: whatever is under way is of no use. */
    p->want = false;
    p->n = 0;
    drop_result (p);
  } else {
    while (p->want || p->running)
      pthread_cond_wait (&p->cv, &p->mu);
    if (p->ready && p->st == OMNI_OK) {
      *root = p->root;
      *results = p->results;
      p->root = NULL;
      p->results = NULL;
      taken = true;
    }
    p->ready = false;
    drop_result (p);
    p->n = 0;
  }
  pthread_mutex_unlock (&p->mu);
  return taken;
}

void
opl_prefetch_free (opl_prefetch *p)
{
  if (p == NULL)
    return;
  if (p->thread_started) {
    atomic_store (&p->cancel, 1);
    pthread_mutex_lock (&p->mu);
    p->quit = true;
    pthread_cond_broadcast (&p->cv);
    pthread_mutex_unlock (&p->mu);
    pthread_join (p->thread, NULL);
  }
  drop_result (p);
  opl_http_free (p->api.http);
  pthread_cond_destroy (&p->cv);
  pthread_mutex_destroy (&p->mu);
  /* The copy shares the instance's strings (and the api key): forget
   * them without freeing. */
  opl_secure_zero (&p->cfg, sizeof p->cfg);
  free (p);
}
