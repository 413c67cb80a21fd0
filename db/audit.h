/* SPDX-License-Identifier: MIT
 * The audit table: append-only (triggers refuse UPDATE and DELETE), one row per decision or
 * identity event, each carrying the hash of the row before it (computed by bot/audit; db/ only
 * stores and reads rows in id order). No personal data: ids, months, hashes, channel names.
 * Text fields are stored as given; an empty string is stored as NULL and read back as "". */
#ifndef DB_AUDIT_H
#define DB_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

#define DB_AUDIT_ACTOR_MAX   32
#define DB_AUDIT_ACTION_MAX  32
#define DB_AUDIT_CHANNEL_MAX 16
#define DB_AUDIT_CHILD_MAX   48
#define DB_AUDIT_MONTH_MAX   8
#define DB_AUDIT_HASH_MAX    65 /* 64 lowercase hex digits + NUL */
#define DB_AUDIT_RECEIPT_MAX 16
#define DB_AUDIT_DETAIL_MAX  512

struct db_audit_row {
    int64_t id;
    int64_t at; /* unix seconds */
    char actor[DB_AUDIT_ACTOR_MAX];
    char action[DB_AUDIT_ACTION_MAX];
    char channel[DB_AUDIT_CHANNEL_MAX];
    char child_id[DB_AUDIT_CHILD_MAX];
    char month[DB_AUDIT_MONTH_MAX];
    char days_hash[DB_AUDIT_HASH_MAX];
    char receipt[DB_AUDIT_RECEIPT_MAX];
    char detail[DB_AUDIT_DETAIL_MAX];
    char prev_hash[DB_AUDIT_HASH_MAX];
    char row_hash[DB_AUDIT_HASH_MAX];
    bool oversize; /* set on read when a stored value did not fit its field (so it can't match) */
};

/** Appends a row (id is ignored and assigned); *id receives it (id may be NULL). */
CORE_NODISCARD int db_audit_insert(struct db *db, const struct db_audit_row *row, int64_t *id);
/** The row with the highest id; CORE_ENOTFOUND when the table is empty. */
CORE_NODISCARD int db_audit_last(struct db *db, struct db_audit_row *out);
/** The first row with id > after_id (0 for the first row); CORE_ENOTFOUND past the end. */
CORE_NODISCARD int db_audit_next(struct db *db, int64_t after_id, struct db_audit_row *out);
/** The row carrying a receipt reference ("XXXXX-XXXXX"); CORE_ENOTFOUND when none. */
CORE_NODISCARD int
db_audit_find_receipt(struct db *db, const char *receipt, struct db_audit_row *out);

#endif
