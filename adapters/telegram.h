/* SPDX-License-Identifier: MIT
 * Telegram Bot API wire format (shared/channels.md §1.6): inbound Update parsing into the
 * channel-neutral struct core_inbound. Pure: no I/O, no logging, no clock; cJSON only.
 * Ids are JSON numbers up to 2^52; they are rendered as decimal strings after checking that
 * they are integral and below 2^53, so no id is ever rounded. */
#ifndef ADAPTERS_TELEGRAM_H
#define ADAPTERS_TELEGRAM_H

#include <stddef.h>

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

#endif
