/* SPDX-License-Identifier: MIT
 * The conversation service: the inbox handler that turns one stored update into the dialog's
 * answer (DESIGN.md §3). For each update, inside the inbox processor's transaction: parse it
 * with its channel's adapter, find or create the contact (keyed hash of the channel identity,
 * address sealed), load and unseal the dialog state, run dlg_step, perform the effects it asks
 * for (one-time codes, linking, decisions with receipt + audit + portal event, escalations,
 * preferences) feeding each outcome back into the dialog, save the sealed state and queue the
 * replies in the outbox with an idempotency key derived from the inbox row. Either all of it
 * commits with the inbox row's 'done' mark, or none of it does.
 * Loop thread only. Logs carry ids and outcomes, never personal data. */
#ifndef BOT_CONVERSATION_H
#define BOT_CONVERSATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bot/config.h"
#include "bot/crypto.h"
#include "bot/inbox.h"
#include "bot/otp.h"
#include "bot/registry_view.h"
#include "core/err.h"
#include "core/msg.h"
#include "dialogs/dialog.h"

struct db;
struct bot_outbox;

struct bot_conversation {
    struct db *db;                   /* borrowed */
    const struct bot_crypto *crypto; /* borrowed */
    const struct bot_config *cfg;    /* borrowed */
    struct dlg_config dialog;        /* derived from cfg */
    struct bot_otp otp;
    struct bot_registry_view view; /* points at itself: never copy a conversation */
    struct bot_outbox *outbox;     /* borrowed, may be NULL: kicked after new replies */
};

/** Parses the compiled-in message catalogs once; a broken one is a startup error (one line in
 * err) rather than fallback texts in front of parents. */
CORE_NODISCARD int bot_conversation_check_catalogs(char *err, size_t err_len);

/** Prepares the service in place (conv must not move afterwards). sink: where one-time codes
 * go (copied; NULL = none, codes then fail with a clear message to the parent). */
void bot_conversation_init(struct bot_conversation *conv,
                           struct db *db,
                           const struct bot_crypto *crypto,
                           const struct bot_config *cfg,
                           const struct bot_code_sink *sink);

/** The dialog settings the bot config implies (window, offsets, OTP, contact centre). */
void bot_conversation_dialog_config(const struct bot_config *cfg, struct dlg_config *out);

/** bot_inbox_handler_fn: ctx is the struct bot_conversation. */
int bot_conversation_handle_row(void *ctx,
                                struct db *db,
                                const struct bot_inbox_row *row,
                                int64_t now_s);

/** bot_inbox_giveup_fn: a row the service gave up on (its handling kept failing) gets one
 * apology to its chat, in the contact's language (kk and ru both when unknown), with the
 * contact-centre numbers, queued with the key "giveup:<inbox id>". Rows that name no chat
 * (unreadable, status callbacks, Telegram block notices) get nothing. */
int bot_conversation_apologize_row(void *ctx,
                                   struct db *db,
                                   const struct bot_inbox_row *row,
                                   int64_t now_s);

/** Handles one parsed inbound event; replies are queued with idempotency keys
 * "<idem_prefix>:<n>". Runs inside the caller's transaction. */
CORE_NODISCARD int bot_conversation_handle(struct bot_conversation *conv,
                                           const struct core_inbound *in,
                                           const char *idem_prefix,
                                           int64_t now_s);

/** The keyed hash that finds a contact: hash("contact", "<channel>:<user id>"). user_id is the
 * channel address (a Telegram chat id, a phone). Loop thread or any: pure. */
void bot_conversation_contact_hash(const struct bot_crypto *crypto,
                                   const char *channel,
                                   const char *user_id,
                                   unsigned char out[BOT_HASH_BYTES]);

/** Marks the contact of (channel, user_id) reachable or not (a parent blocked or unblocked the
 * bot). A contact never seen is not an error (CORE_OK, nothing changes). */
CORE_NODISCARD int bot_conversation_set_reachable(struct db *db,
                                                  const struct bot_crypto *crypto,
                                                  const char *channel,
                                                  const char *user_id,
                                                  bool reachable);

/** The terminal channel's stored form of a typed line: "<user id>\n<text>". Writes at most
 * out_len bytes; returns the length or a negative core_err when it does not fit. */
int bot_conversation_console_payload(const char *user_id,
                                     const char *line,
                                     char *out,
                                     size_t out_len);

#endif
