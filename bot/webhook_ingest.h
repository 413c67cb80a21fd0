/* SPDX-License-Identifier: MIT
 * The update ingest of bot/webhook.c without its HTTP side, for parts that receive updates
 * another way (the Telegram long-polling client): one path from an update's bytes to a
 * committed inbox row, whatever carried them. Loop thread only. */
#ifndef BOT_WEBHOOK_INGEST_H
#define BOT_WEBHOOK_INGEST_H

#include <stddef.h>

#include "core/err.h"

struct bot_webhook;

/** What became of one update handed to the ingest. */
enum bot_webhook_outcome {
    BOT_WEBHOOK_STORED = 0,    /* a new inbox row committed (on_stored was called) */
    BOT_WEBHOOK_DUPLICATE = 1, /* already stored: nothing changed */
    BOT_WEBHOOK_IGNORED = 2,   /* a valid update of a kind the bot ignores: not stored */
    BOT_WEBHOOK_REJECTED = 3,  /* not an update of that channel: not stored */
};

/** The one ingest path of Telegram updates, shared by the webhook route and the long-polling
 * client: parses one Update of len bytes and commits it to the inbox (dedupe on update_id).
 * The caller has authenticated the source. Returns CORE_OK with *outcome set (*reason: static
 * text for REJECTED and IGNORED, "" otherwise), or a negative core_err when the database could
 * not take it (nothing half-stored; logged). */
CORE_NODISCARD int bot_webhook_ingest_telegram(struct bot_webhook *webhook,
                                               const char *body,
                                               size_t len,
                                               enum bot_webhook_outcome *outcome,
                                               const char **reason);

#endif
