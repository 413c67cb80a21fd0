/* SPDX-License-Identifier: MIT
 * The inbox processor (DESIGN.md §3): takes committed inbox rows in arrival order, at most one
 * per chat at a time, and hands each to the registered handler inside one transaction that
 * also marks the row done. A handler error rolls everything back; the attempt is counted in a
 * small transaction of its own and the row is retried with exponential backoff, until
 * max_attempts, when it becomes 'failed' (logged loudly) and stops blocking its chat.
 * A crash at any point loses nothing and applies nothing twice: rows left 'new' are processed
 * at the next start. Runs on the loop thread (a uv_timer at 0 after each ingest, plus a
 * periodic sweep for retries); it never blocks the loop for more than one batch. */
#ifndef BOT_INBOX_H
#define BOT_INBOX_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "bot/clock.h"
#include "bot/crypto.h"
#include "bot/metrics.h"
#include "core/err.h"

struct db;

#define BOT_INBOX_PAYLOAD_AD "inbox.payload_enc" /* associated data of the sealed payload */

/** One update as the handler sees it. Every pointer is borrowed for the call only. */
struct bot_inbox_row {
    int64_t id;
    const char *channel;            /* "telegram", ... */
    const char *external_id;        /* the channel's id of the update (update_id, wamid, ...) */
    const unsigned char *chat_hash; /* keyed hash of "<channel>:<chat id>" */
    size_t chat_hash_len;
    const char *payload; /* the UNSEALED raw webhook body, NUL-terminated (may hold NULs) */
    size_t payload_len;
    int64_t received_at; /* unix seconds (service clock) when it was stored */
    int attempts;        /* failed attempts before this one */
};

/** Handles one update. Runs inside an open transaction on `db` (do not begin/commit): every
 * change it makes commits together with the row's 'done' mark, or not at all. Returns 0, or a
 * negative core_err to roll back and retry later. now_s is the service's calendar now. */
typedef int (*bot_inbox_handler_fn)(void *ctx,
                                    struct db *db,
                                    const struct bot_inbox_row *row,
                                    int64_t now_s);

struct bot_inbox_options {
    size_t batch;        /* rows per loop turn (64) */
    int max_attempts;    /* failures before 'failed' (5) */
    int base_backoff_ms; /* first retry delay, doubled per attempt (1000) */
    int max_backoff_ms;  /* cap of the retry delay (60000) */
    int sweep_ms;        /* periodic look for due retries and missed kicks (1000) */
    int budget_ms;       /* a batch yields to the loop after this long (25); rows not reached
                            stay 'new' and come first in the next batch */
};

struct bot_inbox;

/** The keyed hash that orders a chat's inbox rows: hash("chat", "<channel>:<chat id>"). Every
 * writer of inbox rows uses it, and erase uses it to find the chat's rows. */
void bot_inbox_chat_hash(const struct bot_crypto *crypto,
                         const char *channel,
                         const char *chat_id,
                         unsigned char out[BOT_HASH_BYTES]);

/** Fills the defaults noted above. */
void bot_inbox_options_default(struct bot_inbox_options *opt);

/** Creates a processor. loop, db, crypto, clock and metrics (may be NULL) are borrowed and
 * must outlive it; opt (NULL: defaults) is copied. With metrics, registers
 * tabelbot_inbox_processed_total{result}. *out is owned by the caller: stop it with
 * bot_inbox_close and let the loop run. */
CORE_NODISCARD int bot_inbox_new(uv_loop_t *loop,
                                 struct db *db,
                                 const struct bot_crypto *crypto,
                                 const struct bot_clock *clock,
                                 struct bot_metrics *metrics,
                                 const struct bot_inbox_options *opt,
                                 struct bot_inbox **out);

/** Called once when a row is given up on (its 'failed' mark committed), with the unsealed row,
 * inside a transaction of its own that commits when it returns 0. Meant for telling the parent
 * that their message could not be handled: it must be cheap and must not fail the way the
 * handler did. Not called for a row that could not be unsealed. Errors are logged, never
 * retried: a parent gets at most one such message per row. */
typedef int (*bot_inbox_giveup_fn)(void *ctx,
                                   struct db *db,
                                   const struct bot_inbox_row *row,
                                   int64_t now_s);

/** Sets the give-up hook (ctx borrowed). Before start. */
void bot_inbox_set_giveup(struct bot_inbox *inbox, bot_inbox_giveup_fn giveup, void *ctx);

/** Sets the handler (ctx borrowed). Before start. */
void bot_inbox_set_handler(struct bot_inbox *inbox, bot_inbox_handler_fn handler, void *ctx);

/** Starts the timers and schedules a first pass (rows left 'new' by a crash). CORE_ESTATE
 * without a handler or when already started. */
CORE_NODISCARD int bot_inbox_start(struct bot_inbox *inbox);

/** Asks for a pass soon (after an ingest). No-op when not started or closing. */
void bot_inbox_kick(struct bot_inbox *inbox);

/** Processes one batch now, synchronously (the timer callback does this; tests call it too).
 * *processed (may be NULL) gets the number of rows handled, done or failed. Returns a db error
 * that stopped the batch (the rows stay 'new'), else 0. Needs a handler. */
CORE_NODISCARD int bot_inbox_run_once(struct bot_inbox *inbox, size_t *processed);

/** Stops processing and closes the timers; the memory is released from the last close
 * callback, so the loop must run afterwards. NULL is fine. Never interrupts a row: rows are
 * handled synchronously between loop turns. */
void bot_inbox_close(struct bot_inbox *inbox);

#endif
