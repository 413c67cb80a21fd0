/* SPDX-License-Identifier: MIT
 * The durable outbox (DESIGN.md §3): every outbound message is a row, committed in the same
 * transaction as the state change that produced it, then sent at least once by the dispatcher
 * (bot/outbox). A chat's rows go out in id order: a row is claimable only while it is the
 * oldest pending-or-sending row of its chat, so the next message waits for the previous one's
 * answer; a dead-lettered row stops blocking its chat. Recipient and payload arrive sealed
 * (bot/crypto); chat_hash is a keyed hash. All times are unix milliseconds, wall clock.
 * Thread: the handle's thread (the loop thread). */
#ifndef DB_OUTBOX_H
#define DB_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "db/db.h"

#define DB_OUTBOX_CHANNEL_MAX  16
#define DB_OUTBOX_HASH_MAX     32
#define DB_OUTBOX_IDEM_MAX     128
#define DB_OUTBOX_REASON_MAX   256
#define DB_OUTBOX_MAX_CHANNELS 8 /* channels one claim may name */

enum db_outbox_priority {
    DB_OUTBOX_INTERACTIVE = 0,
    DB_OUTBOX_BULK = 1,
};

/** A message to enqueue. Every pointer is borrowed for the call. */
struct db_outbox_new {
    const char *channel; /* "telegram", "sms", ... (< DB_OUTBOX_CHANNEL_MAX bytes) */
    const unsigned char *chat_hash;
    size_t chat_hash_len; /* 1..DB_OUTBOX_HASH_MAX */
    const unsigned char *recipient_enc;
    size_t recipient_len;
    const unsigned char *payload_enc;
    size_t payload_len;
    const char *idem_key; /* unique per message (< DB_OUTBOX_IDEM_MAX bytes) */
    enum db_outbox_priority priority;
};

/** A claimed row. recipient_enc and payload_enc are owned (db_outbox_row_cleanup frees them). */
struct db_outbox_row {
    int64_t id;
    char channel[DB_OUTBOX_CHANNEL_MAX];
    unsigned char chat_hash[DB_OUTBOX_HASH_MAX];
    size_t chat_hash_len;
    unsigned char *recipient_enc;
    size_t recipient_len;
    unsigned char *payload_enc;
    size_t payload_len;
    char idem_key[DB_OUTBOX_IDEM_MAX];
    int priority;
    int attempts; /* failed attempts so far */
};

/** Which rows a claim may take. Every pointer is borrowed for the call. */
struct db_outbox_filter {
    int64_t now_ms;                               /* due when next_attempt_at <= now_ms */
    const char *channels[DB_OUTBOX_MAX_CHANNELS]; /* only these channels (n_channels >= 1) */
    size_t n_channels;
};

/** One row's state, for operators and tests. */
struct db_outbox_info {
    int64_t id;
    char channel[DB_OUTBOX_CHANNEL_MAX];
    char status[12]; /* pending, sending, sent, dead */
    int attempts;
    int priority;
    int64_t next_attempt_at;
    int64_t sent_at; /* 0 when not sent */
    char last_error[DB_OUTBOX_REASON_MAX];
};

struct db_outbox_counts {
    int64_t pending;
    int64_t sending;
    int64_t sent;
    int64_t dead;
};

/** Frees a row's owned buffers; safe twice. */
void db_outbox_row_cleanup(struct db_outbox_row *row);

/** Inserts a pending row due at now_ms. Joins the caller's transaction when one is open.
 * CORE_EEXIST when idem_key is already queued (callers treat it as success; *id_out is then the
 * existing row's id). CORE_EINVAL for a malformed message. */
CORE_NODISCARD int
db_outbox_enqueue(struct db *db, const struct db_outbox_new *msg, int64_t now_ms, int64_t *id_out);

/** Claims up to max due rows of the filter's channels and marks them 'sending', in one
 * transaction (or the caller's). Order: interactive before bulk, then by id; a row is eligible
 * only when it is the oldest pending-or-sending row of its chat. rows[0..*n_out) are owned by
 * the caller (db_outbox_row_cleanup each). */
CORE_NODISCARD int db_outbox_claim(struct db *db,
                                   const struct db_outbox_filter *filter,
                                   struct db_outbox_row *rows,
                                   size_t max,
                                   size_t *n_out);

/** The earliest next_attempt_at among rows the filter could claim (ignoring now_ms), or
 * CORE_ENOTFOUND when none is waiting. */
CORE_NODISCARD int
db_outbox_next_due(struct db *db, const struct db_outbox_filter *filter, int64_t *at_out);

/** 'sending' -> 'sent'. CORE_ENOTFOUND when the row is not 'sending'. */
CORE_NODISCARD int db_outbox_mark_sent(struct db *db, int64_t id, int64_t now_ms);
/** 'sending' -> 'pending', attempts + 1, due at next_attempt_at, reason kept in last_error. */
CORE_NODISCARD int
db_outbox_reschedule(struct db *db, int64_t id, int64_t next_attempt_at, const char *reason);
/** 'sending' -> 'pending' without counting an attempt (the try was abandoned, e.g. shutdown). */
CORE_NODISCARD int db_outbox_release(struct db *db, int64_t id, int64_t next_attempt_at);
/** 'sending' -> 'dead', attempts + 1, reason kept; the chat's later rows proceed. */
CORE_NODISCARD int db_outbox_dead(struct db *db, int64_t id, const char *reason, int64_t now_ms);

/** Crash recovery at startup: every 'sending' row back to 'pending' (at-least-once). */
CORE_NODISCARD int db_outbox_recover(struct db *db, int64_t *n_reset);

/** pending + sending. */
CORE_NODISCARD int db_outbox_depth(struct db *db, int64_t *depth);
CORE_NODISCARD int db_outbox_counts(struct db *db, struct db_outbox_counts *out);
/** A row's state; CORE_ENOTFOUND when there is no such row. */
CORE_NODISCARD int db_outbox_find(struct db *db, int64_t id, struct db_outbox_info *out);
/** Looks a row up by idempotency key; CORE_ENOTFOUND when absent. */
CORE_NODISCARD int db_outbox_find_by_key(struct db *db, const char *idem_key, int64_t *id_out);

/** "Erase my data": deletes the chat's settled rows ('sent' and 'dead'), whose sealed payloads
 * and recipients are the parent's. Rows still to be sent stay (the goodbye among them). */
CORE_NODISCARD int db_outbox_forget_chat(struct db *db, const unsigned char *chat_hash, size_t len);

/** Deletes up to limit 'sent' rows sent before cutoff_ms, oldest first (their sealed payloads
 * are personal data; dead rows stay for operators). Bounded so one call stays short. */
CORE_NODISCARD int
db_outbox_prune_sent(struct db *db, int64_t cutoff_ms, int limit, int64_t *n_deleted);

#endif
