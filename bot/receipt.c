/* SPDX-License-Identifier: MIT
 * Receipts: canonical record, Ed25519 signature, Crockford base32 reference, and the audit row
 * that keeps them. */
#include "bot/receipt.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "bot/audit.h"
#include "core/caltime.h"
#include "core/msg.h"

#define RECORD_MAGIC "tabelbot-receipt/1"
#define REF_CHARS    10
#define SIG_PREFIX   "sig="

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static bool id_ok(const char *id)
{
    size_t len = id ? strlen(id) : 0;
    if (len == 0 || len >= DB_AUDIT_CHILD_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && c != '-' && c != '_' && c != '.' && c != ':' && c != '/') {
            return false;
        }
    }
    return true;
}

static bool hex_ok(const char *hex, size_t want)
{
    if (!hex || strlen(hex) != want) {
        return false;
    }
    for (size_t i = 0; i < want; i++) {
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

static bool fields_ok(const struct bot_receipt_fields *f)
{
    int month = 0;
    return f->decision &&
           (strcmp(f->decision, "confirmed") == 0 || strcmp(f->decision, "disputed") == 0) &&
           id_ok(f->child_id) && f->month && strlen(f->month) == 7 &&
           core_month_parse(f->month, &month) == CORE_OK && hex_ok(f->days_hash, 64) &&
           f->channel && core_channel_parse(f->channel) >= 0 && f->decided_at > 0 &&
           f->utc_offset_s > -14 * 3600 && f->utc_offset_s < 15 * 3600;
}

int bot_receipt_record(const struct bot_receipt_fields *fields, char *out, size_t out_len)
{
    if (!fields || !out || out_len == 0 || !fields_ok(fields)) {
        return CORE_EINVAL;
    }
    char when[40];
    core_iso8601_format(fields->decided_at, fields->utc_offset_s, when, sizeof when);
    int n = snprintf(out, out_len, "%s|%s|%s|%s|%s|%s|%s", RECORD_MAGIC, fields->decision,
                     fields->child_id, fields->month, fields->days_hash, when, fields->channel);
    if (n < 0 || (size_t)n >= out_len) {
        out[0] = '\0';
        return CORE_ETOOBIG;
    }
    return CORE_OK;
}

void bot_receipt_reference(const unsigned char sig[BOT_SIGNATURE_BYTES],
                           char out[BOT_RECEIPT_REF_SIZE])
{
    unsigned char digest[32];
    crypto_generichash(digest, sizeof digest, sig, BOT_SIGNATURE_BYTES, NULL, 0);
    size_t o = 0;
    for (size_t i = 0; i < REF_CHARS; i++) {
        size_t bit = i * 5;
        unsigned int two = (unsigned int)digest[bit / 8] << 8 | digest[bit / 8 + 1];
        unsigned int v = (two >> (11 - bit % 8)) & 0x1f;
        if (i == 5) {
            out[o++] = '-';
        }
        out[o++] = crockford[v];
    }
    out[o] = '\0';
}

bool bot_receipt_ref_normalize(const char *text, char out[BOT_RECEIPT_REF_SIZE])
{
    size_t n = 0;
    for (const char *p = text; p && *p; p++) {
        char c = *p;
        if (c == ' ' || c == '-') {
            continue;
        }
        if (c >= 'a' && c <= 'z') {
            c = (char)(c - 'a' + 'A');
        }
        c = c == 'O' ? '0' : (c == 'I' || c == 'L') ? '1' : c;
        if (!strchr(crockford, c) || c == '\0' || n == REF_CHARS) {
            out[0] = '\0';
            return false;
        }
        out[n < 5 ? n : n + 1] = c;
        n++;
    }
    if (n != REF_CHARS) {
        out[0] = '\0';
        return false;
    }
    out[5] = '-';
    out[11] = '\0';
    return true;
}

int bot_receipt_make(const struct bot_crypto *crypto,
                     const struct bot_receipt_fields *fields,
                     char out_ref[BOT_RECEIPT_REF_SIZE],
                     char out_sig_hex[BOT_RECEIPT_SIG_HEX])
{
    char record[BOT_RECEIPT_RECORD_SIZE];
    int err = bot_receipt_record(fields, record, sizeof record);
    if (err != CORE_OK) {
        return err;
    }
    unsigned char sig[BOT_SIGNATURE_BYTES];
    bot_crypto_sign(crypto, record, strlen(record), sig);
    bot_receipt_reference(sig, out_ref);
    bot_crypto_hex(sig, sizeof sig, out_sig_hex);
    return CORE_OK;
}

int bot_receipt_verify(const unsigned char public_key[BOT_PUBLIC_KEY_BYTES],
                       const char *record,
                       const char *sig_hex)
{
    unsigned char sig[BOT_SIGNATURE_BYTES];
    size_t bin_len = 0;
    if (sodium_init() < 0) { /* an offline checker may not have opened the service's keys */
        return CORE_ECRYPTO;
    }
    if (!record || !hex_ok(sig_hex, BOT_SIGNATURE_BYTES * 2) ||
        sodium_hex2bin(sig, sizeof sig, sig_hex, strlen(sig_hex), NULL, &bin_len, NULL) != 0 ||
        bin_len != sizeof sig) {
        return CORE_EBADINPUT;
    }
    return bot_crypto_verify(public_key, record, strlen(record), sig) ? CORE_OK : CORE_ECRYPTO;
}

int bot_receipt_record_decision(const struct bot_crypto *crypto,
                                struct db *db,
                                const struct bot_receipt_fields *fields,
                                const char *actor,
                                char out_ref[BOT_RECEIPT_REF_SIZE])
{
    char ref[BOT_RECEIPT_REF_SIZE];
    char sig_hex[BOT_RECEIPT_SIG_HEX];
    int err = bot_receipt_make(crypto, fields, ref, sig_hex);
    if (err != CORE_OK) {
        return err;
    }
    char detail[sizeof SIG_PREFIX + BOT_RECEIPT_SIG_HEX];
    snprintf(detail, sizeof detail, "%s%s", SIG_PREFIX, sig_hex);
    struct bot_audit_entry entry = {
        .actor = actor,
        .action = fields->decision,
        .channel = fields->channel,
        .child_id = fields->child_id,
        .month = fields->month,
        .days_hash = fields->days_hash,
        .receipt = ref,
        .detail = detail,
    };
    err = bot_audit_append(db, &entry, fields->decided_at);
    if (err == CORE_OK) {
        memcpy(out_ref, ref, BOT_RECEIPT_REF_SIZE);
    }
    return err;
}

int bot_receipt_verify_audit(const unsigned char public_key[BOT_PUBLIC_KEY_BYTES],
                             const struct db_audit_row *row,
                             int utc_offset_s)
{
    const size_t prefix = strlen(SIG_PREFIX);
    if (strncmp(row->detail, SIG_PREFIX, prefix) != 0) {
        return CORE_EBADINPUT;
    }
    const char *sig_hex = row->detail + prefix;
    struct bot_receipt_fields fields = {
        .decision = row->action,
        .child_id = row->child_id,
        .month = row->month,
        .days_hash = row->days_hash,
        .decided_at = row->at,
        .utc_offset_s = utc_offset_s,
        .channel = row->channel,
    };
    char record[BOT_RECEIPT_RECORD_SIZE];
    int err = bot_receipt_record(&fields, record, sizeof record);
    if (err != CORE_OK) {
        return CORE_EBADINPUT;
    }
    err = bot_receipt_verify(public_key, record, sig_hex);
    if (err != CORE_OK) {
        return err;
    }
    unsigned char sig[BOT_SIGNATURE_BYTES];
    char ref[BOT_RECEIPT_REF_SIZE];
    if (sodium_hex2bin(sig, sizeof sig, sig_hex, strlen(sig_hex), NULL, NULL, NULL) != 0) {
        return CORE_EBADINPUT;
    }
    bot_receipt_reference(sig, ref);
    return strcmp(ref, row->receipt) == 0 ? CORE_OK : CORE_ECRYPTO;
}
