/* SPDX-License-Identifier: MIT
 * The Telegram channel at run time (shared/channels.md §1): the outbox sender (render a queued
 * payload as a Bot API call, judge the answer), the long-polling client (getUpdates on the
 * loop, each update committed through the webhook's ingest before the offset moves), and the
 * blocking setWebhook/deleteWebhook calls of the CLI. Request URLs hold the bot token
 * (api_base_url + "/bot<token>/<method>"): they are never logged, only "telegram.<method>".
 * Loop thread only, except bot_telegram_call_blocking (a CLI on its own loop). */
#ifndef BOT_TELEGRAM_H
#define BOT_TELEGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "bot/config.h"
#include "bot/crypto.h"
#include "bot/http_client.h"
#include "bot/outbox.h"
#include "bot/webhook_ingest.h"
#include "core/err.h"

struct db;

#define BOT_TELEGRAM_OFFSET_KEY "telegram.offset" /* db/meta: the next getUpdates offset */

/** What the sender works with; everything is borrowed and must outlive the dispatcher. */
struct bot_telegram {
    const struct bot_config *cfg;
    struct db *db;                   /* to mark a blocked parent's contact unreachable */
    const struct bot_crypto *crypto; /* the contact's keyed hash */
};

/** Fills tg (plain value, nothing to free). */
void bot_telegram_init(struct bot_telegram *tg,
                       const struct bot_config *cfg,
                       struct db *db,
                       const struct bot_crypto *crypto);

/** The "telegram" sender for bot_outbox_register (ctx = tg), with the rate limits of
 * cfg->telegram (max_messages_per_second per bot, chat_interval_ms / chat_burst per chat). */
void bot_telegram_sender(struct bot_telegram *tg, struct bot_outbox_sender *out);

/** api_base_url + "/bot" + token + "/" + method into out. CORE_ETOOBIG when it does not fit. */
CORE_NODISCARD int
bot_telegram_url(const struct bot_config *cfg, const char *method, char *out, size_t out_len);

/** Judges one Bot API answer: 2xx sent (also 400 "message is not modified"); 429 retry after
 * parameters.retry_after (else Retry-After, else backoff) and pause the whole channel; 403 dead
 * and *blocked = true (the parent blocked the bot or cannot be reached); 401/404 (a wrong token)
 * retry in a minute with the channel paused, so nothing is lost to a configuration mistake;
 * other 400s and 4xx dead with Telegram's description kept; 5xx, timeouts and network errors
 * retry with backoff. Reasons never hold the token, and long digit runs are masked. */
void bot_telegram_classify(const struct bot_http_response *resp,
                           struct bot_send_result *out,
                           bool *blocked);

/* ---- long polling ---- */

struct bot_telegram_poller;

/** Everything is borrowed and must outlive the poller. */
struct bot_telegram_poller_deps {
    uv_loop_t *loop;
    const struct bot_config *cfg; /* token, api_base_url, poll_timeout_s, poll_interval_ms */
    struct db *db;                /* the persisted offset (db/meta BOT_TELEGRAM_OFFSET_KEY) */
    struct bot_http_client *http;
    struct bot_webhook *ingest; /* bot_webhook_ingest_telegram: the webhook's own path */
};

/** Creates a stopped poller. *out owned by the caller: bot_telegram_poller_close. */
CORE_NODISCARD int bot_telegram_poller_new(const struct bot_telegram_poller_deps *deps,
                                           struct bot_telegram_poller **out);
/** Loads the persisted offset and starts polling. */
CORE_NODISCARD int bot_telegram_poller_start(struct bot_telegram_poller *p);
/** The offset the next getUpdates will send (0 before the first update). */
int64_t bot_telegram_poller_offset(const struct bot_telegram_poller *p);
/** Updates committed to the inbox since start (new rows only). */
uint64_t bot_telegram_poller_stored(const struct bot_telegram_poller *p);
/** Stops polling; an answer still in flight is ignored when it comes. Memory is released from a
 * close callback (keep running the loop); close the poller before the HTTP client. NULL is
 * fine. */
void bot_telegram_poller_close(struct bot_telegram_poller *p);

/* ---- the CLI ---- */

/** Calls method with a JSON body on a private loop and waits (up to timeout_ms) for the answer.
 * *status gets the HTTP status (0 without one); description (may be NULL) Telegram's
 * description or the network error. CORE_OK when Telegram answered ok:true. */
CORE_NODISCARD int bot_telegram_call_blocking(const struct bot_config *cfg,
                                              const char *method,
                                              const char *body,
                                              int timeout_ms,
                                              long *status,
                                              char *description,
                                              size_t description_len);

#endif
