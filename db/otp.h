/* SPDX-License-Identifier: MIT
 * One-time code rows (DESIGN.md §9). A row holds the keyed hash of the phone, the keyed hash of
 * phone ":" code (never the code), its lifetime and wrong-attempt count, and a status:
 * live (may be checked), consumed (matched once), superseded (a newer code was sent).
 * The policy (limits, expiry, attempts) lives in bot/otp; this file only stores and counts.
 * Times are unix seconds. */
#ifndef DB_OTP_H
#define DB_OTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

#ifndef DB_HASH_BYTES
#define DB_HASH_BYTES 32 /* keyed BLAKE2b-256 lookups computed by bot/crypto */
#endif

struct db_otp {
    int64_t id;
    int64_t contact_id; /* 0 when issued without a contact */
    unsigned char code_hash[DB_HASH_BYTES];
    int64_t issued_at;
    int64_t expires_at;
    int attempts; /* wrong tries so far */
};

/** Which issued codes a rate-limit question counts. */
enum db_otp_scope {
    DB_OTP_PHONE = 0,   /* codes for one phone hash */
    DB_OTP_CONTACT = 1, /* codes asked from one chat (contact) */
    DB_OTP_GLOBAL = 2,  /* every code */
};

/** Issued codes of a scope: how many since `since`, the newest issue time ever (0 if none),
 * and `unblock_at`: when that count falls below `cap` again as rows age past the window, i.e.
 * the issue time of the (count-cap+1)-th oldest row in the window (0 when count < cap). */
struct db_otp_usage {
    int64_t count;
    int64_t newest_at;
    int64_t unblock_at;
};

/** Fills *out for the scope. phone_hash is used by DB_OTP_PHONE, contact_id by DB_OTP_CONTACT. */
CORE_NODISCARD int db_otp_usage(struct db *db,
                                enum db_otp_scope scope,
                                const unsigned char phone_hash[DB_HASH_BYTES],
                                int64_t contact_id,
                                int64_t since,
                                int64_t cap,
                                struct db_otp_usage *out);

/** Adds a live code row; *id receives its id. contact_id 0 stores NULL. */
CORE_NODISCARD int db_otp_insert(struct db *db,
                                 const unsigned char phone_hash[DB_HASH_BYTES],
                                 int64_t contact_id,
                                 const unsigned char code_hash[DB_HASH_BYTES],
                                 int64_t issued_at,
                                 int64_t expires_at,
                                 int64_t *id);
/** Marks every other live code of the phone superseded (keep_id stays live). */
CORE_NODISCARD int
db_otp_supersede(struct db *db, const unsigned char phone_hash[DB_HASH_BYTES], int64_t keep_id);
/** Removes one row (a code whose delivery failed, so it neither counts nor can be used). */
CORE_NODISCARD int db_otp_delete(struct db *db, int64_t id);

/** The newest live code of the phone: CORE_ENOTFOUND when there is none (never sent, consumed
 * or superseded). */
CORE_NODISCARD int
db_otp_live(struct db *db, const unsigned char phone_hash[DB_HASH_BYTES], struct db_otp *out);
/** Counts one wrong try; *attempts receives the new count. */
CORE_NODISCARD int db_otp_add_attempt(struct db *db, int64_t id, int *attempts);
/** Marks the code used (status consumed, consumed_at = now). CORE_ESTATE when it is not live. */
CORE_NODISCARD int db_otp_consume(struct db *db, int64_t id, int64_t now);

/** Deletes rows issued before `before` (they no longer count for any limit). */
CORE_NODISCARD int db_otp_purge(struct db *db, int64_t before);

#endif
