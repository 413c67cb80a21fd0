/* SPDX-License-Identifier: MIT
 * The outbox dispatcher (DESIGN.md §3): on the loop, a uv_timer wakes it (and
 * bot_outbox_kick right after a commit); it claims due rows from db/outbox, unseals recipient
 * and payload, hands each to its channel's sender and settles the row from the answer: sent,
 * retried with exponential backoff and full jitter, retried after the server's delay (which
 * may pause the whole channel), or dead-lettered with the reason kept. At most max_in_flight
 * messages are in flight and never two of one chat (the claim guarantees it); a sender may set
 * send rates per channel and per chat (struct bot_outbox_limits, bot/outbox_limit.h). Sending is
 * at-least-once: rows left 'sending' by a crash go back to 'pending' at start. Logs carry the
 * channel, the row id and the reason, never the recipient or the payload.
 * Thread: every function runs on the loop thread. */
#ifndef BOT_OUTBOX_H
#define BOT_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "bot/config.h"
#include "bot/crypto.h"
#include "bot/http_client.h"
#include "core/err.h"
#include "db/db.h"
#include "db/outbox.h"

#define BOT_OUTBOX_AD_RECIPIENT      "outbox.recipient_enc"
#define BOT_OUTBOX_AD_PAYLOAD        "outbox.payload_enc"
#define BOT_OUTBOX_MAX_SENDERS       DB_OUTBOX_MAX_CHANNELS
#define BOT_OUTBOX_MAX_DELAY_MS      (24 * 3600 * 1000) /* longest Retry-After honoured */
#define BOT_OUTBOX_SENT_RETENTION_MS (7LL * 24 * 3600 * 1000)

enum bot_send_verdict {
    BOT_SEND_SENT = 0,        /* delivered */
    BOT_SEND_RETRY = 1,       /* try again after the exponential backoff */
    BOT_SEND_RETRY_AFTER = 2, /* try again after retry_after_ms (the server said so) */
    BOT_SEND_DEAD = 3,        /* never going to work: dead-letter with the reason */
};

/** A sender's judgement of one attempt. */
struct bot_send_result {
    enum bot_send_verdict verdict;
    int retry_after_ms; /* RETRY_AFTER: the delay, 0..BOT_OUTBOX_MAX_DELAY_MS */
    bool pause_channel; /* RETRY_AFTER: no row of this channel is claimed before the delay ends */
    char reason[DB_OUTBOX_REASON_MAX]; /* kept on the row and logged: no personal data */
};

/** One message as a sender sees it. Everything is borrowed for the call only. */
struct bot_outbox_msg {
    int64_t id;
    const char *channel;
    const char *recipient; /* unsealed channel address (chat id, phone), NUL-terminated */
    const char *payload;   /* unsealed payload, NUL-terminated (not counted in payload_len) */
    size_t payload_len;
    const char *idem_key; /* pass it on when the API supports idempotency */
    int attempt;          /* 1 for the first try */
    int priority;         /* 0 interactive, 1 bulk */
};

/** A channel's send rates (bot/outbox_limit.h): a rate of 0 means unlimited. Rows over a
 * limit are not sent early: they go back to 'pending' (no attempt counted) until their turn,
 * and per-chat order is kept. */
struct bot_outbox_limits {
    double per_second;      /* the whole channel (Telegram: 30 per bot) */
    int burst;              /* sends at once within the channel's rate; < 1 counts as 1 */
    double chat_per_second; /* one chat (Telegram: 1) */
    int chat_burst;         /* < 1 counts as 1 */
};

/** A channel's way out. Exactly one of render (HTTP) or deliver_local must be set.
 * The struct is copied at registration; channel and ctx must outlive the dispatcher. */
struct bot_outbox_sender {
    const char *channel; /* "telegram", "sms", "console", ... */
    void *ctx;
    /* HTTP sender: builds the request for one message into out (already initialised; the
     * dispatcher frees it). CORE_EBADINPUT/CORE_EINVAL dead-letter the row; other errors retry. */
    int (*render)(void *ctx, const struct bot_outbox_msg *msg, struct bot_http_call *out);
    /* Judges the answer; NULL means bot_outbox_classify_default. */
    void (*classify)(void *ctx, const struct bot_http_response *resp, struct bot_send_result *out);
    /* Local sender (the terminal of `tabelbot chat`): delivers synchronously. CORE_OK is sent,
     * CORE_EBADINPUT/CORE_EINVAL dead-letter, other errors retry. */
    int (*deliver_local)(void *ctx, const struct bot_outbox_msg *msg);
    /* Optional, takes precedence over classify: judges the answer knowing whom it was for
     * (msg->payload is NULL and payload_len 0 here; the rest is as render saw it), e.g. to mark
     * a recipient unreachable. Runs before the row is settled. */
    void (*classify_msg)(void *ctx,
                         const struct bot_outbox_msg *msg,
                         const struct bot_http_response *resp,
                         struct bot_send_result *out);
    struct bot_outbox_limits limits; /* all zero: unlimited */
};

/** Per-channel counters since start, for /metrics. */
struct bot_outbox_counters {
    uint64_t attempts; /* hand-overs to the sender */
    uint64_t sent;
    uint64_t retries; /* attempts that were rescheduled */
    uint64_t dead;    /* rows dead-lettered */
};

/** What the dispatcher works with. Everything is borrowed and must outlive the dispatcher. */
struct bot_outbox_deps {
    uv_loop_t *loop;
    struct db *db;
    const struct bot_crypto *crypto;
    struct bot_http_client *http; /* may be NULL when every sender is local */
    const struct bot_config *cfg; /* reads cfg->outbox */
    /* Wall clock in unix ms (the clock of next_attempt_at); NULL: bot_outbox_wall_ms. */
    int64_t (*now_ms)(void *ctx);
    void *clock_ctx;
    /* How long 'sent' rows (sealed personal data) are kept before pruning; 0: the default
     * BOT_OUTBOX_SENT_RETENTION_MS; negative: never prune. Dead rows are never pruned. */
    int64_t sent_retention_ms;
};

struct bot_outbox;

/** Creates a stopped dispatcher. *out is owned by the caller: release with bot_outbox_close. */
CORE_NODISCARD int bot_outbox_open(const struct bot_outbox_deps *deps, struct bot_outbox **out);

/** Adds the sender of one channel (before or after start). CORE_EEXIST for a channel already
 * registered, CORE_ETOOBIG past BOT_OUTBOX_MAX_SENDERS, CORE_EINVAL for a malformed sender (or
 * an HTTP sender without deps.http). */
CORE_NODISCARD int bot_outbox_register(struct bot_outbox *ob, const struct bot_outbox_sender *s);

/** Crash recovery ('sending' rows back to 'pending'), then starts dispatching. */
CORE_NODISCARD int bot_outbox_start(struct bot_outbox *ob);

/** Wakes the dispatcher on the next loop iteration (call after committing new rows). Cheap and
 * coalescing; a no-op before start or after close. */
void bot_outbox_kick(struct bot_outbox *ob);

/** Messages handed to a sender and not yet settled. */
size_t bot_outbox_in_flight(const struct bot_outbox *ob);

/** Counters of the i-th registered channel (0-based); CORE_ENOTFOUND past the end.
 * *channel is borrowed from the sender registration. */
CORE_NODISCARD int bot_outbox_stats(const struct bot_outbox *ob,
                                    size_t i,
                                    const char **channel,
                                    struct bot_outbox_counters *out);

/** Stops dispatching. Rows still in flight go back to 'pending' (they will be sent again: at
 * least once); their HTTP answers, when they come, are ignored. Memory is released from the
 * timer's close callback: keep running the loop. NULL is fine. Not from inside a sender's
 * callback. Shutdown order: close the dispatcher, then the HTTP client, then the database. */
void bot_outbox_close(struct bot_outbox *ob);

/** A message to queue, in clear. Every pointer is borrowed for the call. */
struct bot_outbox_item {
    const char *channel;
    const char *recipient;
    const void *payload;
    size_t payload_len;
    const char *idem_key;
    enum db_outbox_priority priority;
};

/** Seals recipient and payload, hashes the chat (channel + recipient) and inserts the row
 * (inside the caller's transaction when one is open). now_ms must be the wall clock
 * (bot_outbox_wall_ms), never an overridden calendar "now". CORE_EEXIST for a duplicate key. */
CORE_NODISCARD int bot_outbox_enqueue(struct db *db,
                                      const struct bot_crypto *crypto,
                                      const struct bot_outbox_item *item,
                                      int64_t now_ms,
                                      int64_t *id_out);

/** The keyed hash that orders a chat's outbox rows (channel + recipient), as enqueue computes
 * it; erase uses it to find the chat's rows. CORE_EINVAL when they do not fit. */
CORE_NODISCARD int bot_outbox_chat_hash(const struct bot_crypto *crypto,
                                        const char *channel,
                                        const char *recipient,
                                        unsigned char out[BOT_HASH_BYTES]);

/** Unix time in milliseconds from the real-time clock. */
int64_t bot_outbox_wall_ms(void);

/** The classification any HTTP sender can use: 2xx sent; 429 retry after Retry-After (seconds
 * or HTTP-date; backoff when absent); 408, 425, 5xx, timeouts and network errors retry; other
 * 4xx dead with "HTTP <status>: <first 200 bytes of the body, sanitised>". ctx is unused. */
void bot_outbox_classify_default(void *ctx,
                                 const struct bot_http_response *resp,
                                 struct bot_send_result *out);

/** Parses a Retry-After value (delta seconds or an HTTP-date) against now_ms into a delay in
 * ms, clamped to 0..BOT_OUTBOX_MAX_DELAY_MS. CORE_EBADINPUT when it is neither. */
CORE_NODISCARD int bot_outbox_parse_retry_after(const char *value, int64_t now_ms, int *delay_ms);

/** Copies untrusted text for a reason: at most max_bytes, non-printable bytes as '?', runs of
 * six or more digits masked with '#' (a phone or an id echoed by an API). */
void bot_outbox_sanitize(const char *text, size_t len, size_t max_bytes, char *out, size_t out_len);

/** The backoff before attempt n+1 after n failed attempts: uniform in [0, min(max, base*2^(n-1))].
 */
int bot_outbox_backoff_ms(int failed_attempts, int base_ms, int max_ms);

#endif
