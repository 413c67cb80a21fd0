/* SPDX-License-Identifier: MIT
 * Telegram Bot API wire format (shared/channels.md §1): inbound Update parsing into the
 * channel-neutral struct core_inbound (telegram_in.c), and the outbound side (telegram_out.c):
 * preparing a reply for Telegram's limits, rendering the Bot API request bodies (sendMessage,
 * answerCallbackQuery, getUpdates, setWebhook, deleteWebhook) and reading the API's answers.
 * Pure: no I/O, no logging, no clock; cJSON only.
 * Ids are JSON numbers up to 2^52; they are rendered as decimal strings after checking that
 * they are integral and below 2^53, so no id is ever rounded. */
#ifndef ADAPTERS_TELEGRAM_H
#define ADAPTERS_TELEGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/msg.h"

/** What an Update turned out to be. Only AD_TG_INBOUND carries a message for the dialogs. */
enum ad_telegram_kind {
    AD_TG_INBOUND = 0,   /* message / command / contact / button press: *in is filled */
    AD_TG_BLOCKED = 1,   /* my_chat_member, new status "kicked": the parent blocked the bot */
    AD_TG_UNBLOCKED = 2, /* my_chat_member, new status "member": unblocked / restarted */
    AD_TG_IGNORED = 3,   /* a valid Update the bot does not handle (edited_message, groups..) */
};

#define AD_TG_ID_MAX          24  /* a decimal id below 2^53 with sign and NUL */
#define AD_TG_CALLBACK_ID_MAX 128 /* callback_query.id, needed for answerCallbackQuery */

/** Side facts of one Update that do not belong in struct core_inbound. Plain value. */
struct ad_telegram_meta {
    enum ad_telegram_kind kind;
    char update_id[AD_TG_ID_MAX];                  /* always set on success */
    char callback_query_id[AD_TG_CALLBACK_ID_MAX]; /* "" unless a button press */
    char from_id[AD_TG_ID_MAX];                    /* the sender's user id, "" if absent */
    const char *reason; /* static text: why the body was rejected or ignored; "" otherwise */
};

/** Parses one Update of `len` bytes (need not be NUL-terminated).
 * On success (0) *meta says what it was; for AD_TG_INBOUND, AD_TG_BLOCKED and AD_TG_UNBLOCKED
 * in->channel, user_id (the chat id, where replies go) and external_id (the update_id) are set;
 * for AD_TG_INBOUND also kind, text / button_id / verified_phone and at (message.date; 0 for a
 * button press, which carries no time of its own: the caller uses its receive time).
 * Commands "/start x" (also "/start@bot x") become CORE_IN_COMMAND with text "start x".
 * A shared contact becomes CORE_IN_CONTACT with the number as "+digits" in text; verified_phone
 * is set only when contact.user_id equals from.id (the parent shared their own number).
 * Text longer than CORE_TEXT_MAX - 1 bytes is cut on a UTF-8 code point boundary.
 * Returns CORE_EBADINPUT when the body is not JSON or not an Update (meta->reason says why);
 * *in and *meta are then unspecified. */
CORE_NODISCARD int ad_telegram_parse_update(const char *body,
                                            size_t len,
                                            struct core_inbound *in,
                                            struct ad_telegram_meta *meta);

/* ---- outbound (telegram_out.c) ---------------------------------------------------------- */

#define AD_TG_CALLBACK_DATA_MAX   64   /* callback_data: 1..64 BYTES (a Cyrillic letter costs 2) */
#define AD_TG_TEXT_MAX_CHARS      4096 /* sendMessage text, in characters (code points) */
#define AD_TG_ANSWER_MAX_CHARS    200  /* answerCallbackQuery text */
#define AD_TG_BUTTON_TEXT_MAX     64   /* our cap on a reply-keyboard label we derive, in bytes */
#define AD_TG_MAX_PARTS           4    /* messages one reply may become */
#define AD_TG_METHOD_MAX          32
#define AD_TG_DESCRIPTION_MAX     256
#define AD_TG_PAYLOAD_KIND_ANSWER "telegram.answer_callback"

/** True when s is usable as callback_data: 1..AD_TG_CALLBACK_DATA_MAX bytes, measured in bytes. */
bool ad_telegram_callback_data_fits(const char *s);

/** A piece of a text: bytes [off, off + len). */
struct ad_telegram_span {
    size_t off;
    size_t len;
};

/** Splits len bytes of UTF-8 text into pieces of at most max_chars code points and max_bytes
 * bytes each: after the last '\n' that fits, else after the last space, else at a code point
 * boundary (never inside a UTF-8 sequence). A '\n' where a piece ends is dropped from both
 * pieces. Empty text is one empty piece. CORE_ETOOBIG when more than max_parts are needed,
 * CORE_EINVAL for a zero limit. */
CORE_NODISCARD int ad_telegram_split_text(const char *text,
                                          size_t len,
                                          size_t max_chars,
                                          size_t max_bytes,
                                          struct ad_telegram_span *parts,
                                          size_t max_parts,
                                          size_t *n);

/** Fits one reply to Telegram before it is queued. When some option id cannot be callback_data,
 * every option becomes a numbered line "N — label" under the text (the dialog accepts the
 * number) and the reply keeps no buttons. A text longer than one message (AD_TG_TEXT_MAX_CHARS
 * characters, or CORE_REPLY_TEXT_MAX - 1 bytes) is split on line boundaries into several
 * replies; only the last keeps the options and the expectation, the others expect nothing.
 * parts has room for max_parts (>= 1) replies, written [0, *n). CORE_ETOOBIG when more would be
 * needed, CORE_ENOMEM. */
CORE_NODISCARD int ad_telegram_prepare_reply(const struct core_reply *reply,
                                             struct core_reply *parts,
                                             size_t max_parts,
                                             size_t *n);

/** The outbox payload that asks for an answerCallbackQuery (versioned envelope):
 * {"v":1,"kind":"telegram.answer_callback","callback_query_id":..,"text":..}. text (may be
 * NULL or "") is cut to AD_TG_ANSWER_MAX_CHARS characters. *out is malloc'd, owned by the
 * caller (free()). CORE_EINVAL for an empty or oversized id. */
CORE_NODISCARD int ad_telegram_answer_encode(const char *callback_query_id,
                                             const char *text,
                                             char **out,
                                             size_t *out_len);

/** One Bot API request: the method and its JSON body (malloc'd, owned: ad_telegram_call_free). */
struct ad_telegram_call {
    char method[AD_TG_METHOD_MAX];
    char *body;
    size_t body_len;
};

/** Frees body and empties the call; safe twice. */
void ad_telegram_call_free(struct ad_telegram_call *call);

/** Renders one outbox payload for chat_id (decimal, may be negative): the answer envelope above
 * becomes answerCallbackQuery; a reply (adapters/reply_codec.h) becomes sendMessage with an
 * inline keyboard (one button per row, callback_data = option id), or at CORE_EXPECT_PHONE a
 * one-time reply keyboard whose first button shares the contact (its label is the first
 * «quoted» or "quoted" phrase of the text, else a phone sign) followed by the options' labels
 * as text buttons; any other reply without buttons carries remove_keyboard so a contact
 * keyboard shown before goes away. CORE_EBADINPUT for a payload or chat id that cannot be
 * sent (an option id over 64 bytes included: prepare the reply first), CORE_ENOMEM. */
CORE_NODISCARD int ad_telegram_render_payload(const char *payload,
                                              size_t len,
                                              const char *chat_id,
                                              struct ad_telegram_call *out);

/** What a Bot API answer said: {"ok":true,"result":..} or {"ok":false,"error_code":N,
 * "description":"..","parameters":{"retry_after":S}}. Plain value. */
struct ad_telegram_api_reply {
    bool ok;
    int error_code;                          /* 0 when absent */
    char description[AD_TG_DESCRIPTION_MAX]; /* "" when absent; cut on a UTF-8 boundary */
    int retry_after_s;                       /* -1 when absent */
};

/** Reads a Bot API answer. CORE_EBADINPUT when the body is not that shape (no boolean "ok"). */
CORE_NODISCARD int
ad_telegram_parse_api_reply(const char *body, size_t len, struct ad_telegram_api_reply *out);

/** Called for each update of a getUpdates answer, in order: update is its JSON text
 * (NUL-terminated, borrowed for the call), update_id its id. A non-zero return stops the walk
 * and is returned. */
typedef int (*ad_telegram_update_fn)(void *ctx, const char *update, size_t len, int64_t update_id);

/** Walks {"ok":true,"result":[Update,...]}. *max_id (may be NULL) gets the highest update_id
 * seen (untouched when there is none). An element without a valid update_id is skipped but
 * still not lost: its id cannot be known, so it cannot advance the offset either.
 * CORE_EBADINPUT when the body is not a successful getUpdates answer. */
CORE_NODISCARD int ad_telegram_each_update(
    const char *body, size_t len, ad_telegram_update_fn fn, void *ctx, int64_t *max_id);

/** getUpdates body: {"offset":offset,"timeout":timeout_s,"allowed_updates":[...]}
 * (offset 0 is left out). *out malloc'd, owned by the caller. */
CORE_NODISCARD int
ad_telegram_render_get_updates(int64_t offset, int timeout_s, char **out, size_t *out_len);
/** Same with "limit" (1..100; 0 leaves it out, Telegram's default 100). */
CORE_NODISCARD int ad_telegram_render_get_updates_limit(
    int64_t offset, int timeout_s, int limit, char **out, size_t *out_len);
/** The first "update_id": N of a body that is not valid JSON, by a plain scan: how a poller
 * names, and skips, one update Telegram sent that cannot be read. false when there is none. */
bool ad_telegram_scan_update_id(const char *body, size_t len, int64_t *id);

/** setWebhook options. Every pointer is borrowed for the call. */
struct ad_telegram_webhook {
    const char *url;          /* the public https URL of /webhook/telegram */
    const char *secret_token; /* echoed by Telegram in X-Telegram-Bot-Api-Secret-Token */
    int max_connections;      /* 1..100 */
    bool drop_pending_updates;
};

/** setWebhook body with allowed_updates ["message","callback_query","my_chat_member"].
 * *out malloc'd, owned by the caller. CORE_EINVAL for an empty url or secret. */
CORE_NODISCARD int
ad_telegram_render_set_webhook(const struct ad_telegram_webhook *hook, char **out, size_t *out_len);
/** deleteWebhook body. *out malloc'd, owned by the caller. */
CORE_NODISCARD int
ad_telegram_render_delete_webhook(bool drop_pending_updates, char **out, size_t *out_len);

#endif
