/* SPDX-License-Identifier: MIT
 * serve's wiring: conversation service + outbox dispatcher with its senders. */
#define LOG_MODULE "wiring"
#include "bot/wiring.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"

static int register_senders(struct bot_wiring *w)
{
    (void)w;
    /* Channel senders register here as their adapters land (Telegram, SMS, WhatsApp). A row
     * for a channel without a sender waits in the outbox; nothing is dropped. */
    return CORE_OK;
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
    w->conversation.outbox = NULL;
    bot_outbox_close(w->outbox);
    w->outbox = NULL;
    bot_http_client_close(w->http);
    w->http = NULL;
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
    bot_conversation_init(&w->conversation, bot_app_db(app), bot_app_crypto(app), cfg, &w->sink);
    bot_app_set_inbox_handler(app, bot_conversation_handle_row, &w->conversation);
    struct bot_app_service dispatcher = {
        .name = "outbox", .start = dispatcher_start, .stop = dispatcher_stop, .ctx = w};
    bot_app_set_dispatcher(app, &dispatcher);
    return CORE_OK;
}
