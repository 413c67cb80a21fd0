/* SPDX-License-Identifier: MIT
 * The audit hash chain (DESIGN.md §8). Every row carries prev_hash (the previous row's
 * row_hash, "genesis" for the first row) and
 *   row_hash = lowercase hex of BLAKE2b-256, UNKEYED, of the canonical serialisation:
 *     "tabelbot-audit/1"
 *     then for each field, in this order: prev_hash, at, actor, action, channel, child_id,
 *     month, days_hash, receipt, detail
 *     the bytes "\n" <decimal byte length of the value> ":" <value>
 *   where `at` is the decimal unix time in seconds and a missing value is the empty string.
 * Anyone with the table can recompute it (b2sum -l 256 of that text) without a key. The head of
 * the chain (last id and row_hash) is also kept in meta "audit.head", so a deleted last row is
 * noticed too. Rows hold no personal data: bot_audit_append refuses anything but ASCII ids,
 * months, hashes, receipt codes and channel names. Hashing needs libsodium initialised
 * (bot_crypto_open does it; bot_audit_verify does it itself). */
#ifndef BOT_AUDIT_H
#define BOT_AUDIT_H

#include <stdint.h>

#include "core/err.h"
#include "db/audit.h"

struct db;

#define BOT_AUDIT_GENESIS "genesis"
#define BOT_AUDIT_HEX     65 /* 64 hex digits + NUL */

/** One event to record. NULL or "" for fields that do not apply.
 * actor: "contact:<id>", "import", "system" (or "operator:<id>");
 * action: lowercase word ("confirmed", "disputed", "linked", "unlinked", "erased", ...);
 * channel: a core channel name; month: "YYYY-MM"; days_hash: 64 hex (bot_audit_days_hash);
 * receipt: "XXXXX-XXXXX"; detail: printable ASCII, at most 400 characters. */
struct bot_audit_entry {
    const char *actor;
    const char *action;
    const char *channel;
    const char *child_id;
    const char *month;
    const char *days_hash;
    const char *receipt;
    const char *detail;
};

/** Appends a row chained to the current head, at time now. Runs in the caller's transaction
 * when there is one, else in its own. CORE_EINVAL for a field outside the rules above. */
CORE_NODISCARD int
bot_audit_append(struct db *db, const struct bot_audit_entry *entry, int64_t now);
/** Same, also returning the new row id. */
CORE_NODISCARD int
bot_audit_append_id(struct db *db, const struct bot_audit_entry *entry, int64_t now, int64_t *id);

/** Walks the whole chain. CORE_OK and *first_bad_id = 0 when every row matches; CORE_ECRYPTO
 * with *first_bad_id = the first row whose prev_hash or row_hash does not match (an edited
 * row, or the row after a deleted one). The chain head kept in meta must name the last row:
 * rows missing at the end (or a missing head) report the id after the last row, rows added
 * behind the head's back the first of them, a head naming the last id with another hash that
 * id. */
CORE_NODISCARD int bot_audit_verify(struct db *db, int64_t *first_bad_id);

/** The row_hash a row must carry (from its fields and its prev_hash). */
void bot_audit_row_hash(const struct db_audit_row *row, char out[BOT_AUDIT_HEX]);
/** Lowercase hex BLAKE2b-256 (unkeyed) of a days string, as stored in days_hash and receipts. */
void bot_audit_days_hash(const char *days, char out[BOT_AUDIT_HEX]);

#endif
