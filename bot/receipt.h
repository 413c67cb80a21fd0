/* SPDX-License-Identifier: MIT
 * Receipts (DESIGN.md §8): proof of a parent's decision that anyone holding the service's
 * public key can check without the database.
 *
 * The canonical record is one line of ASCII, seven fields separated by '|', in this order:
 *   tabelbot-receipt/1|<decision>|<child_id>|<month>|<days_hash>|<decided_at>|<channel>
 *   decision   "confirmed" or "disputed"
 *   child_id   the registry child id: A-Z a-z 0-9 . _ : / - (the importer's id alphabet)
 *   month      the reporting month "YYYY-MM"
 *   days_hash  64 lowercase hex: BLAKE2b-256 (unkeyed) of the days string the parent reviewed
 *   decided_at ISO 8601 with the service's pinned offset, "2026-12-03T10:00:00+05:00"
 *   channel    "telegram", "whatsapp", "sms", "webchat" or "console"
 * e.g. "tabelbot-receipt/1|confirmed|ch-001|2026-11|<64 hex>|2026-12-03T10:00:00+05:00|sms".
 * The signature is Ed25519 over exactly those bytes (no trailing newline).
 * The reference code is the first 10 characters of the Crockford base32 (alphabet
 * 0123456789ABCDEFGHJKMNPQRSTVWXYZ, most significant bits first) of BLAKE2b-256 (unkeyed) of
 * the 64 signature bytes, shown as "XXXXX-XXXXX" (50 bits: collisions are negligible at
 * millions of receipts, and it reads over the phone). */
#ifndef BOT_RECEIPT_H
#define BOT_RECEIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bot/crypto.h"
#include "core/err.h"
#include "db/audit.h"

struct db;

#define BOT_RECEIPT_REF_SIZE    12  /* "XXXXX-XXXXX" + NUL */
#define BOT_RECEIPT_SIG_HEX     129 /* 128 hex + NUL */
#define BOT_RECEIPT_RECORD_SIZE 256

struct bot_receipt_fields {
    const char *decision; /* "confirmed" | "disputed" */
    const char *child_id;
    const char *month;
    const char *days_hash; /* 64 lowercase hex */
    int64_t decided_at;    /* unix seconds */
    int utc_offset_s;      /* the pinned offset the time is shown at (+05:00 = 18000) */
    const char *channel;
};

/** Writes the canonical record; CORE_EINVAL for a field outside the rules above,
 * CORE_ETOOBIG when out is too small (BOT_RECEIPT_RECORD_SIZE always suffices). */
CORE_NODISCARD int
bot_receipt_record(const struct bot_receipt_fields *fields, char *out, size_t out_len);
/** Signs the record of `fields`: out_ref gets the reference "XXXXX-XXXXX", out_sig_hex the
 * signature in lowercase hex. */
CORE_NODISCARD int bot_receipt_make(const struct bot_crypto *crypto,
                                    const struct bot_receipt_fields *fields,
                                    char out_ref[BOT_RECEIPT_REF_SIZE],
                                    char out_sig_hex[BOT_RECEIPT_SIG_HEX]);
/** Checks a record text against a hex signature with a public key: CORE_OK when valid,
 * CORE_ECRYPTO when the signature does not match, CORE_EBADINPUT when sig_hex is not 128 hex. */
CORE_NODISCARD int bot_receipt_verify(const unsigned char public_key[BOT_PUBLIC_KEY_BYTES],
                                      const char *record,
                                      const char *sig_hex);
/** The reference code of a signature. */
void bot_receipt_reference(const unsigned char sig[BOT_SIGNATURE_BYTES],
                           char out[BOT_RECEIPT_REF_SIZE]);
/** Normalises a reference typed or dictated by a person: case, spaces and dashes are ignored,
 * O reads as 0 and I/L as 1 (Crockford). false unless exactly 10 valid characters remain. */
bool bot_receipt_ref_normalize(const char *text, char out[BOT_RECEIPT_REF_SIZE]);

/** The decision in one call: signs the receipt, appends the audit row (actor, action =
 * decision, channel, child, month, days_hash, receipt, detail "sig=<hex>", at = decided_at)
 * and returns the reference. Use inside the transaction that records the decision. */
CORE_NODISCARD int bot_receipt_record_decision(const struct bot_crypto *crypto,
                                               struct db *db,
                                               const struct bot_receipt_fields *fields,
                                               const char *actor,
                                               char out_ref[BOT_RECEIPT_REF_SIZE]);
/** Re-checks the receipt an audit row carries: rebuilds its record (decision = action,
 * decided_at = at shown at utc_offset_s) and verifies the signature in its detail. */
CORE_NODISCARD int bot_receipt_verify_audit(const unsigned char public_key[BOT_PUBLIC_KEY_BYTES],
                                            const struct db_audit_row *row,
                                            int utc_offset_s);

#endif
