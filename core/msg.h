/* SPDX-License-Identifier: MIT
 * The channel-neutral model (DESIGN.md §5): what a parent sent (struct core_inbound) and what
 * the bot answers (struct core_reply). Adapters translate their wire format to and from these;
 * dialogs see nothing else. Both are plain fixed-size values: copy them freely, nothing to free. */
#ifndef CORE_MSG_H
#define CORE_MSG_H

#include <stddef.h>
#include <stdint.h>

enum core_channel {
    CORE_CH_CONSOLE = 0,
    CORE_CH_TELEGRAM = 1,
    CORE_CH_WHATSAPP = 2,
    CORE_CH_SMS = 3,
    CORE_CH_WEBCHAT = 4,
    CORE_CH_COUNT
};

/** "console", "telegram", ...; NULL for an unknown value. */
const char *core_channel_name(enum core_channel channel);
/** Inverse of core_channel_name; returns -1 when the name is unknown. */
int core_channel_parse(const char *name);

enum core_inbound_kind {
    CORE_IN_TEXT = 0,    /* free text typed by the parent */
    CORE_IN_BUTTON = 1,  /* an option id chosen from a rendered reply (button_id set) */
    CORE_IN_CONTACT = 2, /* a shared phone (verified_phone set when it is the sender's own) */
    CORE_IN_COMMAND = 3, /* /start and friends (text holds the command without '/') */
};

#define CORE_USER_ID_MAX   64
#define CORE_EXT_ID_MAX    96
#define CORE_TEXT_MAX      2048
#define CORE_OPTION_ID_MAX 48
#define CORE_PHONE_MAX     20

struct core_inbound {
    enum core_channel channel;
    char user_id[CORE_USER_ID_MAX];    /* channel-scoped chat/user id */
    char external_id[CORE_EXT_ID_MAX]; /* for dedup: update_id, wamid, MessageSid */
    enum core_inbound_kind kind;
    char text[CORE_TEXT_MAX];            /* UTF-8, may be empty */
    char button_id[CORE_OPTION_ID_MAX];  /* for CORE_IN_BUTTON */
    char verified_phone[CORE_PHONE_MAX]; /* E.164 when the channel vouches for it, else "" */
    int64_t at;                          /* unix seconds when the channel received it */
};

enum core_expect {
    CORE_EXPECT_NOTHING = 0,
    CORE_EXPECT_CHOICE = 1, /* one of the options (or a number / keyword) */
    CORE_EXPECT_TEXT = 2,   /* free text */
    CORE_EXPECT_PHONE = 3,  /* a phone number: Telegram renders request_contact */
    CORE_EXPECT_CODE = 4,   /* the one-time code */
};

#define CORE_REPLY_TEXT_MAX    4096
#define CORE_REPLY_OPTIONS_MAX 14
#define CORE_OPTION_LABEL_MAX  128

struct core_option {
    char id[CORE_OPTION_ID_MAX];       /* stable ASCII id, e.g. "lang:kk", "child:ch-0001" */
    char label[CORE_OPTION_LABEL_MAX]; /* localized UTF-8 label */
};

struct core_reply {
    char text[CORE_REPLY_TEXT_MAX]; /* localized UTF-8, lines separated by '\n' */
    struct core_option options[CORE_REPLY_OPTIONS_MAX];
    size_t n_options;
    enum core_expect expect;
    int bulk; /* 0: interactive answer; 1: bulk (reminders), sent after interactive traffic */
};

#endif
