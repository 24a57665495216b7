/* omni-connector.h: the plugin ABI between an Omni connector host and a
 * connector plugin (a shared object the host dlopens).
 *
 * Self-contained: it needs nothing but the C standard headers, and it
 * compiles as C99 and as C++.
 *
 * ---------------------------------------------------------------------------
 * Shape of the ABI
 * ---------------------------------------------------------------------------
 * A plugin exports exactly one symbol, OMNI_CONNECTOR_ENTRY_SYMBOL, a function
 * that returns the plugin's descriptor (struct omni_connector_plugin).  The
 * OMNI_CONNECTOR_REGISTER() macro writes that function and stamps the
 * descriptor with its own size and with the ABI major version the plugin was
 * built against, so that no author can forget to.
 *
 * The host:
 *   1. calls the entry function once, from the thread that loaded the plugin;
 *   2. refuses the plugin when abi_major differs from its own, when
 *      struct_size is smaller than OMNI_CONNECTOR_PLUGIN_MIN_SIZE, or when a
 *      required slot (all five operations, name, manifest_json) is NULL;
 *   3. copies min(struct_size, sizeof(struct omni_connector_plugin)) bytes
 *      into a zeroed descriptor of its own, so that fields appended by a
 *      newer ABI minor version read as zero/NULL to an older plugin and are
 *      ignored by an older host.
 * Fields are only ever appended; a change that cannot be expressed by
 * appending bumps OMNI_CONNECTOR_ABI_MAJOR.
 *
 * One sync is the life of one instance:
 *
 *     init  ->  ( list_changes  ->  fetch_document*  ->  checkpoint? )*  ->
 * shutdown
 *
 * (fetch_document for each CREATED or UPDATED change of the batch.)
 *
 * Pull, not push.  The host drives: it asks for the next batch of changes,
 * asks for the document behind each upsert, ingests, and asks for a
 * checkpoint when what it ingested is durable.  We chose a pull cursor
 * (as SQLite virtual tables do) over callbacks because the host owns
 * ingestion and durability: with pull, the host decides when to flush and
 * persist, cancellation is just "stop calling", back-pressure is free, and
 * the plugin never runs host code re-entrantly from inside its HTTP loop.
 *
 * ---------------------------------------------------------------------------
 * Threads
 * ---------------------------------------------------------------------------
 * Instances share no state.  Different instances may be used concurrently
 * from different threads (two sources syncing in parallel in one process).
 * One instance must not be used from two threads at once; the host may,
 * however, move an instance between threads between calls.  The entry
 * function is called once per dlopen, before any instance exists.
 * Host services may be called by the plugin only from inside a call the host
 * made into it, on the calling thread.
 *
 * ---------------------------------------------------------------------------
 * Strings and ownership
 * ---------------------------------------------------------------------------
 * All text is UTF-8 and NUL-terminated unless a length is given.  What the
 * host passes in is borrowed for the duration of the call only; the plugin
 * copies what it keeps.  What the plugin hands out is owned by the plugin and
 * stays valid until the point stated next to each operation; the host copies
 * what it keeps and never frees it.  Nothing is freed on the other side of
 * the boundary.
 */
#ifndef OMNI_CONNECTOR_H
#define OMNI_CONNECTOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version.  A host refuses a plugin whose major version differs from its
 * own.  The minor version grows when fields are appended. */
#define OMNI_CONNECTOR_ABI_MAJOR 1
#define OMNI_CONNECTOR_ABI_MINOR 0

/* The name of the one symbol a plugin exports, for dlsym(). */
#define OMNI_CONNECTOR_ENTRY_SYMBOL "omni_connector_plugin_entry"

/* Status codes.  OMNI_OK and OMNI_DONE are success; negative values are
 * errors the host can act on.  With every error the plugin also reports one
 * line of text through omni_host_services.set_error before it returns. */
typedef enum omni_status {
  OMNI_OK = 0,
  /* list_changes only: the sync is complete, no change was returned. */
  OMNI_DONE = 1,
  /* Network trouble, timeouts, 5xx, 429 after all retries: worth trying the
   * same sync again later; the last checkpoint is still valid. */
  OMNI_ERR_TRANSIENT = -1,
  /* The server refused the credentials (401) or the token lacks the
   * permission to read documents (403): retrying will not help. */
  OMNI_ERR_AUTH = -2,
  /* fetch_document: the document no longer exists or is no longer visible;
   * the host should treat it as deleted. */
  OMNI_ERR_NOT_FOUND = -3,
  /* Bad configuration, bad credentials JSON, unusable checkpoint, or data
   * from the server the plugin cannot use at all. */
  OMNI_ERR_INVALID = -4,
  /* The host's should_stop() said yes; state is consistent, the last
   * checkpoint is valid. */
  OMNI_ERR_CANCELLED = -5,
  /* A bug or resource exhaustion inside the plugin (out of memory). */
  OMNI_ERR_INTERNAL = -6
} omni_status;

typedef enum omni_log_level {
  OMNI_LOG_DEBUG = 0,
  OMNI_LOG_INFO = 1,
  OMNI_LOG_WARNING = 2,
  OMNI_LOG_ERROR = 3
} omni_log_level;

typedef enum omni_sync_mode {
  /* List every document; report every document that is gone. */
  OMNI_SYNC_FULL = 0,
  /* List only what changed since the sync that produced the checkpoint. */
  OMNI_SYNC_INCREMENTAL = 1
} omni_sync_mode;

/* Services the host lends to an instance.  The host owns the table; it must
 * stay valid and unchanged from init until shutdown returns.  The plugin
 * keeps the pointer in its instance, never in a global.  Check struct_size
 * before touching a field appended after ABI 1.0. */
typedef struct omni_host_services {
  /* sizeof(struct omni_host_services) as the host was compiled. */
  uint32_t struct_size;
  /* Passed back unchanged as the first argument of every service. */
  void *host_data;
  /* One line of text (no trailing newline), copied by the host before it
   * returns.  Never contains a secret: the plugin redacts before calling. */
  void (*log) (void *host_data, omni_log_level level, const char *message);
  /* Text for the error the plugin is about to return; copied by the host.
   * The last call before an error return wins. */
  void (*set_error) (void *host_data, omni_status code, const char *message);
  /* Non-zero when the host wants the instance to stop (cancellation, signal,
   * shutdown).  The plugin polls it during every wait and between requests,
   * and then returns OMNI_ERR_CANCELLED. */
  int (*should_stop) (void *host_data);
  /* The plugin is about to wait (retry back-off, Retry-After) for about
   * wait_ms milliseconds; `reason` is one line.  Lets the host keep its
   * own heartbeat alive during long waits.  May be NULL. */
  void (*waiting) (void *host_data, uint32_t wait_ms, const char *reason);
} omni_host_services;

/* What the host passes to init.  Borrowed for the duration of init only. */
typedef struct omni_init_params {
  /* sizeof(struct omni_init_params) as the host was compiled. */
  uint32_t struct_size;
  /* The host's id of this source; used in external document ids. */
  const char *source_id;
  /* The source configuration, a JSON object (see the plugin's manifest). */
  const char *source_config_json;
  /* The decrypted credentials, a JSON object.  Secret: the plugin copies
   * what it needs and wipes its copy at shutdown; the host should wipe its
   * own buffer after init returns. */
  const char *credentials_json;
  /* The mode of this run: an omni_sync_mode value.  Fixed-width fields
   * (not the enum type) keep the layout independent of compiler flags
   * such as -fshort-enums. */
  int32_t mode;
  /* The checkpoint to start from: text an earlier instance of the same
   * plugin returned from checkpoint(), or NULL / "" for none. */
  const char *checkpoint;
  /* Non-zero when this run continues an interrupted run and `checkpoint`
   * is that run's last checkpoint.  Zero for a new run: `checkpoint` is
   * then the one a completed run left, or the last one of an interrupted
   * run the host gave up resuming (the plugin starts a new run of `mode`
   * from it, keeping what it needs to stay correct, e.g. which documents
   * may already be indexed).  A full sync that is not a resume re-lists
   * everything even when a checkpoint is given. */
  int resume;
} omni_init_params;

typedef enum omni_change_kind {
  /* A document the plugin has not reported before (as far as its
   * checkpoint knows): call fetch_document, then index it. */
  OMNI_CHANGE_CREATED = 1,
  /* A document reported before that changed (or may have: the plugin
   * re-delivers rather than risk a stale index): fetch and re-index it. */
  OMNI_CHANGE_UPDATED = 2,
  /* The document is gone (deleted, trashed, or no longer visible to the
   * credentials): remove it from the index.  No fetch. */
  OMNI_CHANGE_DELETED = 3
} omni_change_kind;

typedef struct omni_change {
  int32_t kind; /* an omni_change_kind value */
  /* The external id the host indexes the document under. */
  const char *document_id;
} omni_change;

/* One batch of changes.  Owned by the plugin; valid until the next
 * list_changes or shutdown call on the same instance. */
typedef struct omni_change_batch {
  uint32_t struct_size;
  size_t count;
  const omni_change *changes;
  /* Progress, for the host's display: changes handed out so far by this
   * instance (including this batch; a resumed run counts from its resume),
   * and the expected total, or -1 when unknown.  Estimates only; never use
   * them for correctness. */
  int64_t done;
  int64_t total;
  /* OMNI_BATCH_* bits. */
  uint32_t flags;
} omni_change_batch;

/* The host must persist a checkpoint after ingesting this batch and
 * before asking for the next one.  The plugin sets it when it has just
 * planned work (listed what it will deliver): until a checkpoint records
 * that plan, a run killed later could not tell what it had handed out.
 * Such a batch may have count == 0. */
#define OMNI_BATCH_CHECKPOINT 1u

/* A document ready for ingestion.  Owned by the plugin; valid until the
 * next fetch_document, list_changes or shutdown call on the same instance. */
typedef struct omni_document {
  uint32_t struct_size;
  /* The external id (the same text list_changes reported). */
  const char *document_id;
  /* The text to index: UTF-8, content_len bytes, also NUL-terminated;
   * never NULL (at least ""). */
  const char *content;
  size_t content_len;
  /* JSON objects, as text: Omni's document metadata, permissions and
   * attributes.  Never NULL (at least "{}"). */
  const char *metadata_json;
  const char *permissions_json;
  const char *attributes_json;
} omni_document;

/* An instance: one sync of one source.  Opaque to the host. */
typedef struct omni_instance omni_instance;

typedef struct omni_connector_plugin {
  /* Stamped by OMNI_CONNECTOR_REGISTER: sizeof(struct omni_connector_plugin)
   * and OMNI_CONNECTOR_ABI_MAJOR/MINOR as the plugin was compiled. */
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;

  /* Static strings owned by the plugin, valid until dlclose. */
  const char *name;    /* e.g. "paperless_ngx" (required) */
  const char *version; /* the plugin's release, e.g. "0.1.0" */
  /* The manifest for the host's admin UI, a JSON object: name,
   * display_name, version, description, source_types, sync_modes,
   * search_operators and the configuration form (required). */
  const char *manifest_json;

  /* Validate configuration and credentials, reach the server, and prepare
   * a sync of the given mode from the given checkpoint.  On OMNI_OK *out is
   * a new instance the host must eventually pass to shutdown.  On error
   * *out is NULL and nothing needs releasing; set_error said why.  `host`
   * must outlive the instance (see omni_host_services); `params` is
   * borrowed for this call only.  Any thread; instances are independent. */
  omni_status (*init) (const omni_host_services *host,
                       const omni_init_params *params, omni_instance **out);

  /* Hand out the next batch of changes.  OMNI_OK: *out points at a batch
   * with count >= 1, or with count == 0 and OMNI_BATCH_CHECKPOINT set.
   * OMNI_DONE: the sync is complete; *out points at an empty batch.  Error:
   * *out is NULL; the instance may still be asked for its checkpoint and must
   * be shut down.  Calling list_changes again declares every change handed out
   * before as consumed by the host. */
  omni_status (*list_changes) (omni_instance *inst,
                               const omni_change_batch **out);

  /* The document behind a CREATED or UPDATED change.  For an id from the latest
   * batch this costs no request.  OMNI_ERR_NOT_FOUND: the document is gone; the
   * host treats it as deleted.  `document_id` is borrowed for the call. */
  omni_status (*fetch_document) (omni_instance *inst, const char *document_id,
                                 const omni_document **out);

  /* A checkpoint covering every change of every batch handed out so far,
   * i.e. it assumes the host has durably ingested all of them: call it only
   * after that.  After OMNI_DONE it is the checkpoint of a completed sync,
   * the one the next incremental run starts from.  UTF-8 text without NUL
   * bytes (opaque to the host: this project's plugin writes one JSON
   * object, or "" when it knows nothing yet), owned by the plugin, valid
   * until the next call on the instance; it never contains a secret.  The
   * host passes it back verbatim to a later init.  A host may also drop a
   * half-ingested batch and never ask for a checkpoint covering it; the
   * next run from the last persisted checkpoint then re-delivers it. */
  omni_status (*checkpoint) (omni_instance *inst, const char **out);

  /* Release everything the instance holds and wipe its secrets.  Accepts
   * NULL.  Must not be called concurrently with another call on the same
   * instance; after it returns, the instance pointer is invalid. */
  void (*shutdown) (omni_instance *inst);

  /* Fields appended in later minor versions go here. */
} omni_connector_plugin;

/* The smallest descriptor a host accepts: everything up to shutdown. */
#define OMNI_CONNECTOR_PLUGIN_MIN_SIZE                                         \
  (offsetof (omni_connector_plugin, shutdown)                                  \
   + sizeof (void (*) (omni_instance *)))

/* The type of the entry function, for dlsym() casts. */
typedef const omni_connector_plugin *(*omni_connector_entry_fn) (void);

#if defined(_WIN32) || defined(__CYGWIN__)
#define OMNI_CONNECTOR_EXPORT __declspec(dllexport)
#elif defined(__GNUC__) && __GNUC__ >= 4
#define OMNI_CONNECTOR_EXPORT __attribute__ ((visibility ("default")))
#else
#define OMNI_CONNECTOR_EXPORT
#endif

/* Register a plugin descriptor: defines the exported entry function.  Use it
 * once, at file scope, on a non-const static struct omni_connector_plugin:
 *
 *     static struct omni_connector_plugin plugin = { ... };
 *     OMNI_CONNECTOR_REGISTER (plugin)
 *
 * (no semicolon after it: -pedantic rejects an empty declaration).  The
 * stamp is written when the host calls the entry function, so the author
 * never sets the first three fields.  The writes are not synchronised: a
 * host calls the entry once per dlopen, before any instance exists, and
 * serialises loading if it loads plugins from several threads. */
#ifdef __cplusplus
#define OMNI_CONNECTOR_EXTERN_C extern "C"
#else
#define OMNI_CONNECTOR_EXTERN_C
#endif
#define OMNI_CONNECTOR_REGISTER(descriptor)                                    \
  OMNI_CONNECTOR_EXTERN_C OMNI_CONNECTOR_EXPORT const omni_connector_plugin *  \
  omni_connector_plugin_entry (void);                                          \
  OMNI_CONNECTOR_EXTERN_C OMNI_CONNECTOR_EXPORT const omni_connector_plugin *  \
  omni_connector_plugin_entry (void)                                           \
  {                                                                            \
    (descriptor).struct_size = (uint32_t)sizeof (descriptor);                  \
    (descriptor).abi_major = OMNI_CONNECTOR_ABI_MAJOR;                         \
    (descriptor).abi_minor = OMNI_CONNECTOR_ABI_MINOR;                         \
    return &(descriptor);                                                      \
  }

#ifdef __cplusplus
}
#endif

#endif /* OMNI_CONNECTOR_H */
