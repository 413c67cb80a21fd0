/* SPDX-License-Identifier: MIT
 * serve's wiring: conversation service + outbox dispatcher with its senders. */
#define LOG_MODULE "wiring"
#include "bot/wiring.h"

#include <stdio.h>
#include <string.h>

#include "bot/metrics.h"
#include "core/log.h"
#include "db/outbox.h"

#define METRIC_OUTBOX_SENT "tabelbot_outbox_sent_total"

static int outbox_depth(void *ctx, double *value)
{
    int64_t depth = 0;
    int rc = db_outbox_depth(ctx, &depth);
    *value = (double)depth;
    return rc;
}

static int register_metrics(struct bot_metrics *metrics, struct db *db)
{
    static const char *const by_channel[] = {"channel"};
    static const char *const by_reason[] = {"channel", "reason"};
    int rc = bot_metrics_register_gauge_fn(metrics, BOT_METRIC_OUTBOX_DEPTH,
                                           "Outbox rows waiting to be sent (pending + sending).",
                                           outbox_depth, db);
    if (rc == CORE_OK) {
        rc = bot_metrics_register_counter(metrics, BOT_METRIC_OUTBOX_ATTEMPTS,
                                          "Send attempts by channel.", by_channel, 1);
    }
    if (rc == CORE_OK) {
        rc = bot_metrics_register_counter(metrics, METRIC_OUTBOX_SENT,
                                          "Messages delivered by channel.", by_channel, 1);
    }
    if (rc == CORE_OK) {
        rc = bot_metrics_register_counter(metrics, BOT_METRIC_OUTBOX_FAILURES,
                                          "Failed attempts by channel and outcome "
                                          "(retry: will be tried again; dead: dead-lettered).",
                                          by_reason, 2);
    }
    return rc;
}

/* Adds what the dispatcher counted since the last export, so the exported series are true
 * counters (monotonic) whatever the export period. */
static void export_counters(struct bot_wiring *w)
{
    struct bot_metrics *metrics = bot_app_metrics(w->app);
    for (size_t i = 0; w->outbox && i < BOT_WIRING_MAX_CHANNELS; i++) {
        const char *channel = NULL;
        struct bot_outbox_counters now;
        if (bot_outbox_stats(w->outbox, i, &channel, &now) != CORE_OK) {
            break;
        }
        struct bot_outbox_counters *was = &w->exported[i];
        const char *ch[] = {channel};
        const char *retry[] = {channel, "retry"};
        const char *dead[] = {channel, "dead"};
        int rc = bot_metrics_counter_add(metrics, BOT_METRIC_OUTBOX_ATTEMPTS, ch,
                                         (double)(now.attempts - was->attempts));
        if (rc == CORE_OK) {
            rc = bot_metrics_counter_add(metrics, METRIC_OUTBOX_SENT, ch,
                                         (double)(now.sent - was->sent));
        }
        if (rc == CORE_OK) {
            rc = bot_metrics_counter_add(metrics, BOT_METRIC_OUTBOX_FAILURES, retry,
                                         (double)(now.retries - was->retries));
        }
        if (rc == CORE_OK) {
            rc = bot_metrics_counter_add(metrics, BOT_METRIC_OUTBOX_FAILURES, dead,
                                         (double)(now.dead - was->dead));
        }
        if (rc != CORE_OK) {
            LOG_WARN("metrics_export", "channel=%s err=\"%s\"", channel, core_strerror(rc));
            return;
        }
        *was = now;
    }
}

static void on_metrics_timer(uv_timer_t *timer)
{
    export_counters(timer->data);
}

static int register_telegram(struct bot_wiring *w)
{
    const struct bot_config *cfg = bot_app_config(w->app);
    if (!cfg->telegram.enabled) {
        return CORE_OK;
    }
    bot_telegram_init(&w->telegram, cfg, bot_app_db(w->app), bot_app_crypto(w->app));
    struct bot_outbox_sender sender;
    bot_telegram_sender(&w->telegram, &sender);
    return bot_outbox_register(w->outbox, &sender);
}

/* Polling mode: getUpdates on the loop, through the webhook's own ingest path. */
static int start_telegram_poller(struct bot_wiring *w)
{
    const struct bot_config *cfg = bot_app_config(w->app);
    if (!cfg->telegram.enabled || strcmp(cfg->telegram.mode, "polling") != 0) {
        return CORE_OK;
    }
    struct bot_telegram_poller_deps deps = {.loop = bot_app_loop(w->app),
                                            .cfg = cfg,
                                            .db = bot_app_db(w->app),
                                            .http = w->http,
                                            .ingest = bot_app_webhook(w->app)};
    int rc = bot_telegram_poller_new(&deps, &w->telegram_poll);
    if (rc == CORE_OK) {
        rc = bot_telegram_poller_start(w->telegram_poll);
    }
    return rc;
}

/* SMS: the gateway sender and its counters (segments by kind). */
static int register_sms_sender(struct bot_wiring *w)
{
    const struct bot_config *cfg = bot_app_config(w->app);
    if (!cfg->sms.enabled) {
        return CORE_OK;
    }
    struct bot_metrics *metrics = bot_app_metrics(w->app);
    int rc = bot_sms_register_metrics(metrics);
    if (rc == CORE_OK) {
        rc = bot_sms_sender_new(cfg, metrics, bot_app_db(w->app), &w->sms);
    }
    if (rc == CORE_OK) {
        struct bot_outbox_sender sender;
        bot_sms_sender_fill(w->sms, &sender);
        rc = bot_outbox_register(w->outbox, &sender);
    }
    return rc;
}

static int register_senders(struct bot_wiring *w)
{
    /* Channel senders register here as their adapters land (WhatsApp next). A row for a
     * channel without a sender waits in the outbox; nothing is dropped. */
    int rc = register_telegram(w);
    return rc == CORE_OK ? register_sms_sender(w) : rc;
}

static int dispatcher_start(void *ctx, struct bot_app *app)
{
    struct bot_wiring *w = ctx;
    int rc = bot_http_client_open(bot_app_loop(app), NULL, &w->http);
    struct bot_outbox_deps deps = {.loop = bot_app_loop(app),
                                   .db = bot_app_db(app),
                                   .crypto = bot_app_crypto(app),
                                   .http = w->http,
                                   .cfg = bot_app_config(app)};
    if (rc == CORE_OK) {
        rc = bot_outbox_open(&deps, &w->outbox);
    }
    if (rc == CORE_OK) {
        rc = register_senders(w);
    }
    if (rc == CORE_OK) {
        rc = bot_outbox_start(w->outbox);
    }
    if (rc == CORE_OK) {
        rc = start_telegram_poller(w);
    }
    if (rc == CORE_OK) {
        rc = register_metrics(bot_app_metrics(app), bot_app_db(app));
    }
    if (rc == CORE_OK && uv_timer_init(bot_app_loop(app), &w->metrics_timer) == 0) {
        w->metrics_timer.data = w;
        w->metrics_timer_live = true;
        uv_timer_start(&w->metrics_timer, on_metrics_timer, 1000, 1000);
    }
    if (rc == CORE_OK) {
        w->conversation.outbox = w->outbox;
    } else {
        LOG_ERROR("dispatcher_start", "err=\"%s\"", core_strerror(rc));
    }
    return rc;
}

static void dispatcher_stop(void *ctx, struct bot_app *app)
{
    (void)app;
    struct bot_wiring *w = ctx;
    if (w->metrics_timer_live) {
        export_counters(w);
        uv_close((uv_handle_t *)&w->metrics_timer, NULL); /* embedded in w, which outlives it */
        w->metrics_timer_live = false;
    }
    w->conversation.outbox = NULL;
    bot_telegram_poller_close(w->telegram_poll); /* before the HTTP client it polls through */
    w->telegram_poll = NULL;
    bot_outbox_close(w->outbox);
    w->outbox = NULL;
    bot_http_client_close(w->http);
    w->http = NULL;
    bot_sms_sender_free(w->sms);
    w->sms = NULL;
}

int bot_wiring_attach(struct bot_wiring *w, struct bot_app *app, char *err, size_t err_len)
{
    memset(w, 0, sizeof *w);
    w->app = app;
    const struct bot_config *cfg = bot_app_config(app);
    int rc = bot_conversation_check_catalogs(err, err_len);
    if (rc != CORE_OK) {
        return rc;
    }
    rc = bot_code_sink_from_config(cfg, stdout, &w->sink);
    if (rc != CORE_OK) {
        snprintf(err, err_len, "dev.code_sink: %s", core_strerror(rc));
        return rc;
    }
    if (cfg->sms.enabled) {
        /* production: codes go by SMS through the outbox */
        struct bot_code_sink dev = w->sink; /* "console": the demo also shows each code */
        bot_code_sink_sms(&w->sms_codes, bot_app_db(app), bot_app_crypto(app), cfg, &dev, &w->sink);
    }
    bot_conversation_init(&w->conversation, bot_app_db(app), bot_app_crypto(app), cfg, &w->sink);
    bot_app_set_inbox_handler(app, bot_conversation_handle_row, &w->conversation);
    bot_app_set_inbox_giveup(app, bot_conversation_apologize_row, &w->conversation);
    struct bot_app_service dispatcher = {
        .name = "outbox", .start = dispatcher_start, .stop = dispatcher_stop, .ctx = w};
    bot_app_set_dispatcher(app, &dispatcher);
    return CORE_OK;
}
