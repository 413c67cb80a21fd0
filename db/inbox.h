/* SPDX-License-Identifier: MIT
 * The durable inbox (DESIGN.md §3): every authenticated inbound update is committed here before
 * the webhook answers 200, deduplicated on (channel, external_id). The processor takes rows in
 * arrival order, at most one per chat at a time (the oldest 'new' row of each chat), so a
 * chat's messages are handled in order while different chats proceed independently.
 * Row states: 'new' -> 'done', or 'new' -> (failures, backoff) -> 'failed' after max attempts,
 * which unblocks the chat. The payload arrives sealed (bot/crypto); db/ never sees it in clear.
 * Functions run on the caller's connection and join the caller's transaction if one is open. */
#ifndef DB_INBOX_H
#define DB_INBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/msg.h"

struct db;

#define DB_INBOX_CHANNEL_MAX 16
#define DB_INBOX_HASH_MAX    32
#define DB_INBOX_ERROR_MAX   200 /* stored error text is cut to this many bytes */

/** One inbox row as fetched for processing. payload_enc is malloc'd and owned by the row:
 * release with db_inbox_rows_cleanup. */
struct db_inbox_row {
    int64_t id;
    char channel[DB_INBOX_CHANNEL_MAX];
    char external_id[CORE_EXT_ID_MAX];
    unsigned char chat_hash[DB_INBOX_HASH_MAX];
    size_t chat_hash_len;
    unsigned char *payload_enc;
    size_t payload_len;
    int64_t received_at; /* unix seconds */
    int attempts;        /* failures so far */
};

/** Stores a new row. CORE_EEXIST when (channel, external_id) is already stored (nothing
 * changes); CORE_EINVAL on empty or oversized arguments. *id_out (may be NULL) gets the row id. */
CORE_NODISCARD int db_inbox_insert(struct db *db,
                                   const char *channel,
                                   const char *external_id,
                                   const unsigned char *chat_hash,
                                   size_t chat_hash_len,
                                   const unsigned char *payload_enc,
                                   size_t payload_len,
                                   int64_t received_at,
                                   int64_t *id_out);

/** Fetches up to `max` rows ready now: status 'new', the oldest 'new' row of its chat, and not
 * waiting for a retry (next_attempt_at <= now_ms). Arrival (id) order. *n gets the count; on
 * error no row is left allocated. */
CORE_NODISCARD int
db_inbox_next(struct db *db, int64_t now_ms, struct db_inbox_row *rows, size_t max, size_t *n);
/** Frees the payloads of n rows (safe on zeroed rows and twice). */
void db_inbox_rows_cleanup(struct db_inbox_row *rows, size_t n);

/** 'new' -> 'done', dropping the payload: a handled update is never read again, and what a
 * parent typed (IIN, phone, codes) must not outlive its handling (an erased chat is erased).
 * The row itself stays for dedupe. CORE_ESTATE when the row is not 'new'. */
CORE_NODISCARD int db_inbox_mark_done(struct db *db, int64_t id, int64_t now_s);

/** Counts one failed attempt of a 'new' row and stores the error text (never personal data).
 * When attempts reach max_attempts the row becomes 'failed' (it no longer blocks its chat) and
 * *gave_up is true; otherwise it waits until retry_at_ms. max_attempts <= 1 gives up at once. */
CORE_NODISCARD int db_inbox_mark_failure(struct db *db,
                                         int64_t id,
                                         const char *error,
                                         int max_attempts,
                                         int64_t retry_at_ms,
                                         int64_t now_s,
                                         bool *gave_up);

/** "Erase my data": drops the payloads of the chat's handled and failed rows (what the parent
 * typed). Rows still 'new' are kept: they are messages not yet answered. */
CORE_NODISCARD int db_inbox_forget_chat(struct db *db, const unsigned char *chat_hash, size_t len);

/** Retention: deletes up to limit handled ('done' or 'failed') rows processed before cutoff_s.
 * Keep them longer than any channel re-delivers (Telegram: 24 h) so dedupe still works. */
CORE_NODISCARD int db_inbox_prune(struct db *db, int64_t cutoff_s, int limit, int64_t *n_deleted);

/** Rows waiting ('new') and rows given up on ('failed'), for metrics. Either may be NULL. */
CORE_NODISCARD int db_inbox_depth(struct db *db, int64_t *new_rows, int64_t *failed_rows);

#endif
