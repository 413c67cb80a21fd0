/* SPDX-License-Identifier: MIT
 * The production wiring of `tabelbot serve`: the conversation service as the inbox handler,
 * and the outbox dispatcher (with the HTTP client and the channel senders) as the app's
 * dispatcher service. Kept apart from bot/app so the runtime stays testable with doubles. */
#ifndef BOT_WIRING_H
#define BOT_WIRING_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "bot/app.h"
#include "bot/conversation.h"
#include "bot/http_client.h"
#include "bot/otp.h"
#include "bot/outbox.h"
#include "bot/sms.h"
#include "bot/telegram.h"

#define BOT_WIRING_MAX_CHANNELS 8

struct bot_wiring {
    struct bot_app *app;      /* borrowed */
    uv_timer_t metrics_timer; /* copies the dispatcher's counters into /metrics every second */
    bool metrics_timer_live;
    struct bot_outbox_counters exported[BOT_WIRING_MAX_CHANNELS]; /* last values exported */
    struct bot_conversation conversation;
    struct bot_code_sink sink;
    struct bot_http_client *http;
    struct bot_outbox *outbox;
    struct bot_telegram telegram;              /* the Telegram sender's context */
    struct bot_telegram_poller *telegram_poll; /* polling mode only */
    struct bot_sms_code_sink sms_codes; /* the production code sink's state ([sms] enabled) */
    struct bot_sms_sender *sms;         /* the SMS sender ([sms] enabled), NULL otherwise */
};

/** Attaches the conversation service and the dispatcher to app (before bot_app_run). w must
 * stay in place and outlive the app's run. On failure one line goes to err. */
CORE_NODISCARD int
bot_wiring_attach(struct bot_wiring *w, struct bot_app *app, char *err, size_t err_len);

#endif
