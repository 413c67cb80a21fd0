/* SPDX-License-Identifier: MIT
 * SMS storage (db/ owns the SQL): delivery state of sent SMS on their outbox rows (status
 * callbacks never move a message backwards and never change a final state), the per-number
 * daily marker for the unknown-number notice, and whether a phone (keyed hash) belongs to any
 * voucher holder in the registry. Thread: the handle's thread (the loop thread). */
#ifndef DB_SMS_H
#define DB_SMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "db/db.h"

#define DB_SMS_PROVIDER_ID_MAX 64
#define DB_SMS_RANK_FINAL      3

/** A delivery report for outbox row id: provider_id (may be "" to keep the stored one), the
 * status name and its rank (1 queued, 2 sent, 3 final). Applied only when the row is an "sms"
 * row whose stored rank is below DB_SMS_RANK_FINAL and not above rank; *applied says whether it
 * was. CORE_ENOTFOUND when there is no such sms row. */
CORE_NODISCARD int db_sms_delivery_update(struct db *db,
                                          int64_t outbox_id,
                                          const char *provider_id,
                                          const char *status,
                                          int rank,
                                          int64_t at,
                                          bool *applied);

struct db_sms_delivery {
    char provider_id[DB_SMS_PROVIDER_ID_MAX];
    char status[16]; /* "" when no report came yet */
    int rank;
    int64_t at;
};

/** The delivery state of an outbox row; CORE_ENOTFOUND when there is no such row. */
CORE_NODISCARD int
db_sms_delivery_get(struct db *db, int64_t outbox_id, struct db_sms_delivery *out);

/** Records that phone_hash was told about the service on local day `day`; *first is true when
 * this is the first time that day (the caller sends the notice only then). Markers older than
 * a week are removed on the way. */
CORE_NODISCARD int db_sms_notice_claim(
    struct db *db, const unsigned char *phone_hash, size_t hash_len, int64_t day, bool *first);

/** *known is true when some parent in the registry has this phone (keyed hash "phone"). */
CORE_NODISCARD int
db_sms_phone_known(struct db *db, const unsigned char *phone_hash, size_t hash_len, bool *known);

#endif
