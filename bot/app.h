/* SPDX-License-Identifier: MIT
 * The serve runtime: one libuv loop that owns the HTTP server (/healthz, /metrics,
 * /webhook/{channel}), the inbox processor and the outbound dispatcher hook, over one sqlite
 * handle and the key file. Lifecycle:
 *   bot_app_new (clock, keys, db, loop, metrics, routes; nothing listens yet)
 *   -> bot_app_set_inbox_handler / bot_app_set_dispatcher (optional)
 *   -> bot_app_run (listen, print the ready line, run until SIGINT/SIGTERM or bot_app_stop)
 *   -> bot_app_free.
 * Stop: the listener closes, in-flight requests finish within server.shutdown_grace_ms, the
 * processor and the dispatcher are stopped, the loop drains, sqlite is closed cleanly.
 * Loop thread only, except bot_app_stop which is safe from a signal-free other thread too. */
#ifndef BOT_APP_H
#define BOT_APP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "bot/clock.h"
#include "bot/config.h"
#include "bot/crypto.h"
#include "bot/inbox.h"
#include "bot/metrics.h"
#include "core/err.h"

struct db;
struct bot_app;
struct bot_webhook;

/** A long-running part started with the app and stopped before the database closes, e.g. the
 * outbox dispatcher. start runs inside bot_app_run once the server listens and the processor
 * runs (return a negative core_err to abort the start). stop must begin closing every handle
 * the part owns; the loop keeps running until they are closed (so in-flight work may finish),
 * and only then is the database closed. ctx is borrowed. */
struct bot_app_service {
    const char *name; /* for logs, static */
    int (*start)(void *ctx, struct bot_app *app);
    void (*stop)(void *ctx, struct bot_app *app);
    void *ctx;
};

/** Builds the runtime from a loaded, validated config (borrowed: must outlive the app).
 * `now_env` is TABELBOT_NOW or NULL. On failure returns a negative core_err with one line in
 * err (and nothing left open). *out is owned by the caller: bot_app_free. */
CORE_NODISCARD int bot_app_new(const struct bot_config *cfg,
                               const char *now_env,
                               struct bot_app **out,
                               char *err,
                               size_t err_len);

/** Registers the conversation service (ctx borrowed). Without one, serve still stores updates
 * and leaves them 'new' (one warning at start). Before bot_app_run. */
void bot_app_set_inbox_handler(struct bot_app *app, bot_inbox_handler_fn handler, void *ctx);
/** Registers the processor's give-up hook (bot/inbox.h; ctx borrowed). Before bot_app_run. */
void bot_app_set_inbox_giveup(struct bot_app *app, bot_inbox_giveup_fn giveup, void *ctx);
/** Overrides the processor's options (copied). Before bot_app_run. */
void bot_app_set_inbox_options(struct bot_app *app, const struct bot_inbox_options *opt);
/** THE dispatcher hook: the outbox dispatcher is wired here (copied). Before bot_app_run. */
void bot_app_set_dispatcher(struct bot_app *app, const struct bot_app_service *service);

/** Listens, writes "tabelbot listening on http://HOST:PORT\n" to `ready` (flushed; NULL for
 * none), runs the loop until a stop, then drains it. Returns 0 after a clean stop, or a
 * negative core_err when the start failed (one line in err). Once only. */
CORE_NODISCARD int bot_app_run(struct bot_app *app, FILE *ready, char *err, size_t err_len);

/** Asks the running app to stop gracefully (what SIGINT/SIGTERM do). Safe from any thread. */
void bot_app_stop(struct bot_app *app);

/** Releases everything (closes sqlite, wipes keys). NULL is fine. */
void bot_app_free(struct bot_app *app);

/* Borrowed parts, for the services wired into the app (valid until bot_app_free). */
uv_loop_t *bot_app_loop(struct bot_app *app);
struct db *bot_app_db(struct bot_app *app);
const struct bot_crypto *bot_app_crypto(const struct bot_app *app);
const struct bot_clock *bot_app_clock(const struct bot_app *app);
struct bot_metrics *bot_app_metrics(struct bot_app *app);
const struct bot_config *bot_app_config(const struct bot_app *app);
/** The update ingest (the same one POST /webhook/{channel} uses), for the Telegram poller. */
struct bot_webhook *bot_app_webhook(struct bot_app *app);
/** The bound port once listening, else 0. */
uint16_t bot_app_port(const struct bot_app *app);

#endif
