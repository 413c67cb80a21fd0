/* SPDX-License-Identifier: MIT
 * The serve runtime: wiring of clock, keys, db, loop, metrics, HTTP routes, inbox processor and
 * the dispatcher hook; start, graceful stop and teardown. */
#include "bot/app.h"

#define LOG_MODULE "serve"

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bot/http_server.h"
#include "bot/keystore.h"
#include "bot/webhook.h"
#include "core/log.h"
#include "db/db.h"
#include "db/inbox.h"

#define METRIC_INBOX_FAILED "tabelbot_inbox_failed"
#define N_ROUTES            3

/* A route of ours, wrapped so each request leaves one access line. */
struct app_route {
    struct bot_app *app;
    bot_http_handler_fn handler;
    void *ctx;
};

struct bot_app {
    const struct bot_config *cfg;
    struct bot_clock clock;
    struct bot_crypto *crypto;
    struct db *db;
    uv_loop_t loop;
    bool loop_ready;
    uv_async_t stop_async;
    uv_signal_t sig_int;
    uv_signal_t sig_term;
    bool handles_ready;
    int n_handles; /* how many of stop_async, sig_int, sig_term are initialised, in that order */
    struct bot_metrics *metrics;
    struct bot_http_server *server;
    struct bot_webhook *webhook;
    struct bot_inbox *inbox;
    struct bot_inbox_options inbox_opt;
    bot_inbox_handler_fn handler;
    void *handler_ctx;
    bot_inbox_giveup_fn giveup;
    void *giveup_ctx;
    struct bot_app_service dispatcher;
    bool dispatcher_started;
    struct app_route routes[N_ROUTES];
    bool ran;
    bool stopping;
};

/* ---- routes ---- */

static void
route_healthz(const struct bot_http_request *req, struct bot_http_response *res, void *ctx)
{
    (void)req;
    struct bot_app *app = ctx;
    bool ok = db_ping(app->db) == CORE_OK;
    char body[128];
    snprintf(body, sizeof body, "{\"status\":\"%s\",\"db\":\"%s\",\"schema\":%d}",
             ok ? "ok" : "degraded", ok ? "ok" : "error", db_schema_version());
    if (!ok) {
        LOG_ERROR("healthz.db_failed", "db=\"%s\"", db_last_error(app->db));
    }
    if (bot_http_response_set(res, ok ? 200 : 503, "application/json", body) != CORE_OK) {
        res->status = 500;
    }
}

static void
route_metrics(const struct bot_http_request *req, struct bot_http_response *res, void *ctx)
{
    (void)req;
    struct bot_app *app = ctx;
    core_buf_reset(&res->body);
    int err = bot_metrics_render(app->metrics, &res->body);
    if (err != CORE_OK) {
        LOG_ERROR("metrics.render_failed", "err=%s", core_strerror(err));
        core_buf_reset(&res->body);
        res->status = 500;
        return;
    }
    res->status = 200;
    snprintf(res->content_type, sizeof res->content_type, "%s", BOT_METRICS_CONTENT_TYPE);
}

static int gauge_inbox_depth(void *ctx, double *value)
{
    struct bot_app *app = ctx;
    int64_t n = 0;
    int err = db_inbox_depth(app->db, &n, NULL);
    *value = (double)n;
    return err;
}

static int gauge_inbox_failed(void *ctx, double *value)
{
    struct bot_app *app = ctx;
    int64_t n = 0;
    int err = db_inbox_depth(app->db, NULL, &n);
    *value = (double)n;
    return err;
}

static void on_stored(void *ctx)
{
    struct bot_app *app = ctx;
    bot_inbox_kick(app->inbox);
}

/* ---- construction ---- */

static int open_db(struct bot_app *app, char *err, size_t err_len)
{
    int rc = db_open_raw(app->cfg->database.path, &app->db);
    if (rc != CORE_OK) {
        snprintf(err, err_len, "cannot open database %s: %s", app->cfg->database.path,
                 core_strerror(rc));
        return rc;
    }
    bool normal = strcmp(app->cfg->database.synchronous, "normal") == 0;
    rc = db_set_durability(app->db, normal ? DB_DURABLE_NORMAL : DB_DURABLE_FULL);
    if (rc != CORE_OK) {
        snprintf(err, err_len, "cannot configure database %s: %s", app->cfg->database.path,
                 db_last_error(app->db));
        return rc;
    }
    int from = 0;
    int to = 0;
    rc = db_migrate(app->db, &from, &to);
    if (rc != CORE_OK) {
        snprintf(err, err_len, "cannot migrate database %s: %s", app->cfg->database.path,
                 db_last_error(app->db));
        return rc;
    }
    if (from != to) {
        LOG_INFO("db.migrated", "from=%d to=%d", from, to);
    }
    return CORE_OK;
}

static int init_metrics(struct bot_app *app)
{
    int rc = bot_metrics_new(&app->metrics);
    if (rc == CORE_OK) {
        rc = bot_metrics_register_gauge_fn(app->metrics, BOT_METRIC_INBOX_DEPTH,
                                           "Inbox rows waiting to be processed.", gauge_inbox_depth,
                                           app);
    }
    if (rc == CORE_OK) {
        rc = bot_metrics_register_gauge_fn(app->metrics, METRIC_INBOX_FAILED,
                                           "Inbox rows given up on after repeated failures.",
                                           gauge_inbox_failed, app);
    }
    return rc;
}

/* One info line per request: route, status, handler time. The path is not logged (the route
 * name says enough), nor anything from the body. */
static void
route_timed(const struct bot_http_request *req, struct bot_http_response *res, void *ctx)
{
    const struct app_route *route = ctx;
    uint64_t start = uv_hrtime();
    route->handler(req, res, route->ctx);
    double ms = (double)(uv_hrtime() - start) / 1e6;
    char param[32];
    core_log_sanitize(req->param, strlen(req->param), param, sizeof param);
    LOG_INFO("access", "route=%s param=%s status=%d handler_ms=%.3f", req->route,
             param[0] ? param : "-", res->status, ms);
}

static int add_route(struct bot_app *app,
                     size_t slot,
                     const char *method,
                     const char *pattern,
                     const char *name,
                     bot_http_handler_fn handler,
                     void *ctx)
{
    app->routes[slot] = (struct app_route){.app = app, .handler = handler, .ctx = ctx};
    return bot_http_server_route(app->server, method, pattern, name, route_timed,
                                 &app->routes[slot]);
}

static int init_server(struct bot_app *app, char *err, size_t err_len)
{
    int rc = bot_http_server_new(&app->loop, app->cfg, app->metrics, &app->server);
    if (rc != CORE_OK) {
        snprintf(err, err_len, "cannot set up the HTTP server on %s: %s", app->cfg->server.listen,
                 core_strerror(rc));
        return rc;
    }
    rc = bot_webhook_new(app->cfg, app->db, app->crypto, &app->clock, &app->webhook);
    if (rc == CORE_OK) {
        bot_webhook_on_stored(app->webhook, on_stored, app);
        rc = add_route(app, 0, "GET", "/healthz", "healthz", route_healthz, app);
    }
    if (rc == CORE_OK) {
        rc = add_route(app, 1, "GET", "/metrics", "metrics", route_metrics, app);
    }
    if (rc == CORE_OK) {
        rc = add_route(app, 2, "POST", "/webhook/{channel}", "webhook", bot_webhook_handle,
                       app->webhook);
    }
    if (rc != CORE_OK) {
        snprintf(err, err_len, "cannot set up the HTTP routes: %s", core_strerror(rc));
    }
    return rc;
}

static void on_stop_async(uv_async_t *handle);
static void on_signal(uv_signal_t *handle, int signum);

static uv_handle_t *own_handle(struct bot_app *app, int index)
{
    uv_handle_t *handles[] = {(uv_handle_t *)&app->stop_async, (uv_handle_t *)&app->sig_int,
                              (uv_handle_t *)&app->sig_term};
    return handles[index];
}

static int init_loop(struct bot_app *app, char *err, size_t err_len)
{
    int rc = uv_loop_init(&app->loop);
    if (rc != 0) {
        snprintf(err, err_len, "cannot create the event loop: %s", uv_strerror(rc));
        return CORE_EIO;
    }
    app->loop_ready = true;
    rc = uv_async_init(&app->loop, &app->stop_async, on_stop_async);
    app->n_handles += rc == 0;
    if (rc == 0) {
        rc = uv_signal_init(&app->loop, &app->sig_int);
        app->n_handles += rc == 0;
    }
    if (rc == 0) {
        rc = uv_signal_init(&app->loop, &app->sig_term);
        app->n_handles += rc == 0;
    }
    if (rc != 0) {
        snprintf(err, err_len, "cannot create the loop handles: %s", uv_strerror(rc));
        return CORE_EIO;
    }
    app->stop_async.data = app;
    app->sig_int.data = app;
    app->sig_term.data = app;
    app->handles_ready = true;
    return CORE_OK;
}

static void note_clock(enum bot_clock_note note, const char *now_env)
{
    if (note == BOT_CLOCK_IGNORED) {
        LOG_WARN("clock.override_ignored",
                 "note=\"TABELBOT_NOW is set but [dev] clock_override is off: using real time\"");
    } else if (note == BOT_CLOCK_PINNED) {
        LOG_WARN("clock.override", "now=%s note=\"calendar pinned by TABELBOT_NOW (demo only)\"",
                 now_env);
    }
}

int bot_app_new(const struct bot_config *cfg,
                const char *now_env,
                struct bot_app **out,
                char *err,
                size_t err_len)
{
    struct bot_app *app = calloc(1, sizeof *app);
    if (!app) {
        snprintf(err, err_len, "out of memory");
        return CORE_ENOMEM;
    }
    app->cfg = cfg;
    bot_inbox_options_default(&app->inbox_opt);
    enum bot_clock_note note = BOT_CLOCK_REAL;
    int rc = bot_clock_init(&app->clock, cfg->dev.clock_override, now_env, &note, err, err_len);
    if (rc == CORE_OK) {
        note_clock(note, now_env);
        rc = open_db(app, err, err_len);
    }
    if (rc == CORE_OK) {
        rc = bot_keystore_open(app->db, cfg, &app->crypto, err, err_len);
    }
    if (rc == CORE_OK) {
        rc = init_loop(app, err, err_len);
    }
    if (rc == CORE_OK) {
        rc = init_metrics(app);
        if (rc != CORE_OK) {
            snprintf(err, err_len, "cannot set up metrics: %s", core_strerror(rc));
        }
    }
    if (rc == CORE_OK) {
        rc = init_server(app, err, err_len);
    }
    if (rc != CORE_OK) {
        bot_app_free(app);
        return rc;
    }
    *out = app;
    return CORE_OK;
}

void bot_app_set_inbox_giveup(struct bot_app *app, bot_inbox_giveup_fn giveup, void *ctx)
{
    app->giveup = giveup;
    app->giveup_ctx = ctx;
}

void bot_app_set_inbox_handler(struct bot_app *app, bot_inbox_handler_fn handler, void *ctx)
{
    app->handler = handler;
    app->handler_ctx = ctx;
}

void bot_app_set_inbox_options(struct bot_app *app, const struct bot_inbox_options *opt)
{
    app->inbox_opt = *opt;
}

void bot_app_set_dispatcher(struct bot_app *app, const struct bot_app_service *service)
{
    app->dispatcher = *service;
}

/* ---- stop ---- */

static void close_handle(uv_handle_t *handle)
{
    if (!uv_is_closing(handle)) {
        uv_close(handle, NULL);
    }
}

static void on_server_stopped(struct bot_http_server *server, void *ctx)
{
    (void)server;
    struct bot_app *app = ctx;
    LOG_INFO("serve.http_stopped", "note=\"listener and connections closed\"");
    close_handle((uv_handle_t *)&app->sig_int);
    close_handle((uv_handle_t *)&app->sig_term);
    close_handle((uv_handle_t *)&app->stop_async);
}

static void begin_stop(struct bot_app *app, const char *why)
{
    if (app->stopping) {
        LOG_WARN("serve.stop_hurried", "why=%s note=\"closing in-flight requests now\"", why);
        bot_http_server_close(app->server, NULL, NULL);
        return;
    }
    app->stopping = true;
    LOG_INFO("serve.stopping", "why=%s grace_ms=%d", why, app->cfg->server.shutdown_grace_ms);
    bot_inbox_close(app->inbox);
    app->inbox = NULL;
    if (app->dispatcher_started && app->dispatcher.stop) {
        app->dispatcher.stop(app->dispatcher.ctx, app);
    }
    app->dispatcher_started = false;
    if (bot_http_server_stop(app->server, on_server_stopped, app) != CORE_OK) {
        on_server_stopped(app->server, app); /* a stop was already under way */
    }
}

static void on_stop_async(uv_async_t *handle)
{
    begin_stop(handle->data, "request");
}

static void on_signal(uv_signal_t *handle, int signum)
{
    begin_stop(handle->data, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

void bot_app_stop(struct bot_app *app)
{
    if (app && app->handles_ready) {
        uv_async_send(&app->stop_async);
    }
}

/* ---- run ---- */

static int start_processor(struct bot_app *app, char *err, size_t err_len)
{
    if (!app->handler) {
        LOG_WARN("serve.no_handler", "note=\"no conversation service wired: updates are stored "
                                     "and stay 'new' until one is\"");
        return CORE_OK;
    }
    int rc = bot_inbox_new(&app->loop, app->db, app->crypto, &app->clock, app->metrics,
                           &app->inbox_opt, &app->inbox);
    if (rc == CORE_OK) {
        bot_inbox_set_handler(app->inbox, app->handler, app->handler_ctx);
        bot_inbox_set_giveup(app->inbox, app->giveup, app->giveup_ctx);
        rc = bot_inbox_start(app->inbox);
    }
    if (rc != CORE_OK) {
        snprintf(err, err_len, "cannot start the inbox processor: %s", core_strerror(rc));
    }
    return rc;
}

/* "127.0.0.1:0" -> "127.0.0.1"; "[::1]:8080" -> "[::1]". */
static void listen_host(const char *listen, char *out, size_t out_len)
{
    const char *colon = strrchr(listen, ':');
    size_t len = colon ? (size_t)(colon - listen) : strlen(listen);
    snprintf(out, out_len, "%.*s", (int)len, listen);
}

static int start_all(struct bot_app *app, FILE *ready, char *err, size_t err_len)
{
    int rc = start_processor(app, err, err_len);
    if (rc != CORE_OK) {
        return rc;
    }
    rc = bot_http_server_start(app->server);
    if (rc != CORE_OK) {
        snprintf(err, err_len, "cannot listen on %s: %s", app->cfg->server.listen,
                 core_strerror(rc));
        return rc;
    }
    if (uv_signal_start(&app->sig_int, on_signal, SIGINT) != 0 ||
        uv_signal_start(&app->sig_term, on_signal, SIGTERM) != 0) {
        snprintf(err, err_len, "cannot install the signal handlers");
        return CORE_EIO;
    }
    if (app->dispatcher.start) {
        rc = app->dispatcher.start(app->dispatcher.ctx, app);
        if (rc != CORE_OK) {
            snprintf(err, err_len, "cannot start %s: %s",
                     app->dispatcher.name ? app->dispatcher.name : "the dispatcher",
                     core_strerror(rc));
            return rc;
        }
        app->dispatcher_started = true;
    }
    char host[BOT_CFG_STR];
    listen_host(app->cfg->server.listen, host, sizeof host);
    unsigned port = bot_http_server_port(app->server);
    LOG_INFO("serve.ready", "host=%s port=%u schema=%d telegram=%s", host, port,
             db_schema_version(), app->cfg->telegram.enabled ? "on" : "off");
    if (ready) {
        fprintf(ready, "tabelbot listening on http://%s:%u\n", host, port);
        fflush(ready);
    }
    return CORE_OK;
}

int bot_app_run(struct bot_app *app, FILE *ready, char *err, size_t err_len)
{
    if (app->ran) {
        snprintf(err, err_len, "the app already ran");
        return CORE_ESTATE;
    }
    app->ran = true;
    int rc = start_all(app, ready, err, err_len);
    if (rc != CORE_OK) {
        return rc;
    }
    uv_run(&app->loop, UV_RUN_DEFAULT);
    LOG_INFO("serve.stopped", "note=\"loop drained\"");
    return CORE_OK;
}

/* ---- teardown ---- */

void bot_app_free(struct bot_app *app)
{
    if (!app) {
        return;
    }
    if (app->dispatcher_started && app->dispatcher.stop) {
        app->dispatcher.stop(app->dispatcher.ctx, app);
        app->dispatcher_started = false;
    }
    bot_inbox_close(app->inbox);
    app->inbox = NULL;
    bot_http_server_free(app->server);
    app->server = NULL;
    if (app->loop_ready) {
        /* Our own handles, also after a partial init (the parts above close theirs: a walk
         * over every handle would cut into their chained closes). */
        for (int i = 0; i < app->n_handles; i++) {
            close_handle(own_handle(app, i));
        }
        uv_run(&app->loop, UV_RUN_DEFAULT);
        if (uv_loop_close(&app->loop) != 0) {
            LOG_ERROR("serve.loop_busy", "note=\"handles still open at teardown\"");
        }
    }
    bot_webhook_free(app->webhook);
    bot_metrics_free(app->metrics);
    db_close(app->db);
    bot_crypto_close(app->crypto);
    free(app);
}

uv_loop_t *bot_app_loop(struct bot_app *app)
{
    return &app->loop;
}

struct db *bot_app_db(struct bot_app *app)
{
    return app->db;
}

const struct bot_crypto *bot_app_crypto(const struct bot_app *app)
{
    return app->crypto;
}

const struct bot_clock *bot_app_clock(const struct bot_app *app)
{
    return &app->clock;
}

struct bot_metrics *bot_app_metrics(struct bot_app *app)
{
    return app->metrics;
}

const struct bot_config *bot_app_config(const struct bot_app *app)
{
    return app->cfg;
}

struct bot_webhook *bot_app_webhook(struct bot_app *app)
{
    return app->webhook;
}

uint16_t bot_app_port(const struct bot_app *app)
{
    return app->server ? bot_http_server_port(app->server) : 0;
}
