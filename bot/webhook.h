/* SPDX-License-Identifier: MIT
 * Webhook ingest (DESIGN.md §3, §9): POST /webhook/{channel}. Per channel: authenticate before
 * storing anything, parse with the channel's adapter, commit to the inbox, then answer; the
 * processing happens later (bot/inbox). Answers:
 *   404 channel unknown or not enabled;  401 authentication failed (nothing stored);
 *   400 body not an update of that channel (nothing stored, reason in the body);
 *   200 {"ok":true} stored, duplicate (nothing changes) or a kind the bot ignores (not stored,
 *       so the channel does not retry it);  503 the database could not take it (the channel
 *       retries; nothing half-stored).
 * Telegram (enabled with mode "webhook"): X-Telegram-Bot-Api-Secret-Token compared in constant time
 * with telegram.secret_token; external_id = update_id; chat_hash = hash("chat", "telegram:<chat>").
 * SMS (sms.enabled, provider "twilio"; bot/sms.h): X-Twilio-Signature over server.public_url +
 * "/webhook/sms" (+ query) and the form, else 403 and nothing stored; 415 not a form; 413 form
 * over 24 KiB; 414 a query too long to rebuild the URL; 400 not UTF-8, no MessageSid, no or
 * malformed From, an empty Body or one over 1600 characters (reason in the body); a status callback
 * (MessageStatus, "?o=<outbox id>" in its URL) updates that row's delivery state (never backwards,
 * never off a final state) and answers 200; a message is stored (external_id = MessageSid, chat
 * "sms:<From>") and answered 200 with empty TwiML. Provider "mobizon" receives nothing: 404. The
 * stored payload is the raw body sealed with ad BOT_INBOX_PAYLOAD_AD. Logs carry no personal data
 * (no ids, no bodies). Loop thread only. */
#ifndef BOT_WEBHOOK_H
#define BOT_WEBHOOK_H

#include <stddef.h>

#include "bot/clock.h"
#include "bot/config.h"
#include "bot/crypto.h"
#include "bot/http_server.h"
#include "bot/webhook_ingest.h"
#include "core/err.h"

struct db;
struct bot_webhook;

/** Called after a new row committed (not for duplicates), e.g. to kick the processor. */
typedef void (*bot_webhook_stored_fn)(void *ctx);

/** Creates the ingest. cfg, db, crypto and clock are borrowed and must outlive it.
 * *out is owned by the caller: release with bot_webhook_free. */
CORE_NODISCARD int bot_webhook_new(const struct bot_config *cfg,
                                   struct db *db,
                                   const struct bot_crypto *crypto,
                                   const struct bot_clock *clock,
                                   struct bot_webhook **out);
void bot_webhook_free(struct bot_webhook *webhook);

/** Sets the after-commit callback (ctx borrowed; NULL fn clears it). */
void bot_webhook_on_stored(struct bot_webhook *webhook, bot_webhook_stored_fn fn, void *ctx);

/** The route handler for "POST /webhook/{channel}"; ctx is the struct bot_webhook. */
void bot_webhook_handle(const struct bot_http_request *req,
                        struct bot_http_response *res,
                        void *ctx);

#endif
