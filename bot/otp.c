/* SPDX-License-Identifier: MIT
 * One-time codes: issue with rate limits and delivery through a sink, verify in constant time,
 * and the dev console sink. */
#define LOG_MODULE "otp"
#include "bot/otp.h"

#include <stdbool.h>
#include <string.h>

#include "core/log.h"
#include "db/otp.h"

#define HOUR_S            3600
#define KEEP_ROWS_S       86400 /* rows older than this count for no limit and are purged */
#define CODE_DIGITS       6
#define PHONE_HASH_DOMAIN "phone"
#define CODE_HASH_DOMAIN  "otp"

_Static_assert(DB_HASH_BYTES == BOT_HASH_BYTES, "db and crypto agree on the hash size");

static void wipe(void *p, size_t len)
{
    volatile unsigned char *v = p;
    while (len--) {
        *v++ = 0;
    }
}

/* E.164: '+', a non-zero digit, 8..15 digits in all. */
static bool phone_ok(const char *phone)
{
    if (!phone || phone[0] != '+' || phone[1] < '1' || phone[1] > '9') {
        return false;
    }
    size_t digits = 0;
    for (const char *p = phone + 1; *p; p++, digits++) {
        if (*p < '0' || *p > '9') {
            return false;
        }
    }
    return digits >= 8 && digits <= 15;
}

static bool code_format_ok(const char *code)
{
    if (!code || strlen(code) != CODE_DIGITS) {
        return false;
    }
    for (size_t i = 0; i < CODE_DIGITS; i++) {
        if (code[i] < '0' || code[i] > '9') {
            return false;
        }
    }
    return true;
}

static void
hash_phone(const struct bot_otp *otp, const char *phone, unsigned char out[BOT_HASH_BYTES])
{
    bot_crypto_hash(otp->crypto, PHONE_HASH_DOMAIN, phone, strlen(phone), out);
}

/* code_hash = keyed hash "otp" of phone ":" code. */
static void hash_code(const struct bot_otp *otp,
                      const char *phone,
                      const char *code,
                      unsigned char out[BOT_HASH_BYTES])
{
    char input[CORE_PHONE_MAX + 1 + CODE_DIGITS + 1];
    int n = snprintf(input, sizeof input, "%s:%s", phone, code);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof input ? (size_t)n : sizeof input - 1;
    bot_crypto_hash(otp->crypto, CODE_HASH_DOMAIN, input, len, out);
    wipe(input, sizeof input);
}

/* ---- sinks ---- */

static int console_deliver(void *ctx, const char *phone, const char *code, const char *lang)
{
    (void)lang;
    FILE *out = ctx;
    char masked[32];
    core_mask_phone(phone, masked, sizeof masked);
    if (fprintf(out, "[dev SMS to %s] tabelbot code: %s\n", masked, code) < 0 || fflush(out) != 0) {
        return CORE_EIO;
    }
    return CORE_OK;
}

void bot_code_sink_console(FILE *out, struct bot_code_sink *sink)
{
    sink->ctx = out;
    sink->deliver = console_deliver;
}

int bot_code_sink_from_config(const struct bot_config *cfg,
                              FILE *console,
                              struct bot_code_sink *out)
{
    out->ctx = NULL;
    out->deliver = NULL;
    const char *name = cfg->dev.code_sink;
    if (strcmp(name, "console") == 0) {
        if (!console) {
            return CORE_EINVAL;
        }
        bot_code_sink_console(console, out);
        return CORE_OK;
    }
    return name[0] == '\0' || strcmp(name, "none") == 0 ? CORE_OK : CORE_ECONFIG;
}

void bot_otp_init(struct bot_otp *otp,
                  const struct bot_config *cfg,
                  const struct bot_crypto *crypto,
                  const struct bot_code_sink *sink)
{
    memset(otp, 0, sizeof *otp);
    otp->crypto = crypto;
    otp->limits.ttl_s = cfg->otp.ttl_s;
    otp->limits.resend_cooldown_s = cfg->otp.resend_cooldown_s;
    otp->limits.max_attempts = cfg->otp.max_attempts;
    otp->limits.max_per_phone_per_hour = cfg->otp.max_per_phone_per_hour;
    otp->limits.max_per_chat_per_hour = cfg->otp.max_per_chat_per_hour;
    otp->limits.max_global_per_hour = cfg->otp.max_global_per_hour;
    if (sink) {
        otp->sink = *sink;
    }
}

/* ---- issue ---- */

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* Seconds until the scope allows another code (0: allowed now). */
static int scope_wait(struct db *db,
                      enum db_otp_scope scope,
                      const unsigned char *phone_hash,
                      int64_t contact_id,
                      int cooldown_s,
                      int cap,
                      int64_t now,
                      int64_t *wait)
{
    struct db_otp_usage usage;
    int err = db_otp_usage(db, scope, phone_hash, contact_id, now - HOUR_S + 1, cap, &usage);
    if (err != CORE_OK) {
        return err;
    }
    if (cooldown_s > 0 && usage.newest_at > 0 && now - usage.newest_at < cooldown_s) {
        *wait = max64(*wait, usage.newest_at + cooldown_s - now);
    }
    if (usage.count >= cap) {
        *wait = max64(*wait, usage.unblock_at + HOUR_S - now);
    }
    return CORE_OK;
}

static int limits_wait(const struct bot_otp *otp,
                       struct db *db,
                       const unsigned char *phone_hash,
                       int64_t contact_id,
                       int64_t now,
                       int64_t *wait)
{
    const struct bot_otp_limits *l = &otp->limits;
    *wait = 0;
    int err = scope_wait(db, DB_OTP_PHONE, phone_hash, 0, l->resend_cooldown_s,
                         l->max_per_phone_per_hour, now, wait);
    if (err == CORE_OK) {
        err = scope_wait(db, DB_OTP_CONTACT, NULL, contact_id, l->resend_cooldown_s,
                         l->max_per_chat_per_hour, now, wait);
    }
    if (err == CORE_OK) {
        err = scope_wait(db, DB_OTP_GLOBAL, NULL, 0, 0, l->max_global_per_hour, now, wait);
    }
    return err;
}

/* Stores a fresh code, hands it to the sink, then retires the older live codes. */
static int send_new_code(const struct bot_otp *otp,
                         struct db *db,
                         int64_t contact_id,
                         const char *phone,
                         const char *lang,
                         const unsigned char *phone_hash,
                         int64_t now,
                         bool *delivered)
{
    char code[CODE_DIGITS + 1];
    unsigned char code_hash[BOT_HASH_BYTES];
    bot_crypto_random_code(code);
    hash_code(otp, phone, code, code_hash);
    int64_t id = 0;
    int err =
        db_otp_insert(db, phone_hash, contact_id, code_hash, now, now + otp->limits.ttl_s, &id);
    if (err == CORE_OK) {
        *delivered = otp->sink.deliver(otp->sink.ctx, phone, code, lang ? lang : "kk") == CORE_OK;
        err = *delivered ? db_otp_supersede(db, phone_hash, id) : db_otp_delete(db, id);
    }
    wipe(code, sizeof code);
    return err;
}

int bot_otp_issue(const struct bot_otp *otp,
                  struct db *db,
                  int64_t contact_id,
                  const char *phone_e164,
                  const char *lang,
                  int64_t now,
                  struct bot_otp_sent *out)
{
    out->result = DLG_OTP_SENT_FAILED;
    out->retry_after_s = 0;
    if (!phone_ok(phone_e164)) {
        return CORE_EBADINPUT;
    }
    if (contact_id <= 0) {
        return CORE_EINVAL;
    }
    char masked[32];
    core_mask_phone(phone_e164, masked, sizeof masked);
    if (!otp->sink.deliver) {
        LOG_WARN("otp_no_sink", "phone=%s why=%s", masked, "no code sink configured");
        return CORE_OK;
    }
    unsigned char phone_hash[BOT_HASH_BYTES];
    hash_phone(otp, phone_e164, phone_hash);
    int err = db_otp_purge(db, now - KEEP_ROWS_S);
    int64_t wait = 0;
    if (err == CORE_OK) {
        err = limits_wait(otp, db, phone_hash, contact_id, now, &wait);
    }
    if (err != CORE_OK) {
        return err;
    }
    if (wait > 0) {
        out->result = DLG_OTP_SENT_RATE_LIMITED;
        out->retry_after_s = wait > HOUR_S ? HOUR_S : (int)wait;
        LOG_INFO("otp_rate_limited", "phone=%s contact=%lld retry_after=%d", masked,
                 (long long)contact_id, out->retry_after_s);
        return CORE_OK;
    }
    bool delivered = false;
    err = send_new_code(otp, db, contact_id, phone_e164, lang, phone_hash, now, &delivered);
    if (err != CORE_OK) {
        return err;
    }
    if (!delivered) {
        LOG_WARN("otp_delivery_failed", "phone=%s contact=%lld", masked, (long long)contact_id);
        return CORE_OK;
    }
    out->result = DLG_OTP_SENT_OK;
    LOG_INFO("otp_sent", "phone=%s contact=%lld", masked, (long long)contact_id);
    return CORE_OK;
}

/* ---- verify ---- */

static int attempts_left(const struct bot_otp *otp, int attempts)
{
    int left = otp->limits.max_attempts - attempts;
    return left > 0 ? left : 0;
}

/* A well-formed code against a live, unexpired, unlocked row. */
static int check_code(const struct bot_otp *otp,
                      struct db *db,
                      const char *phone,
                      const char *code,
                      const struct db_otp *row,
                      int64_t now,
                      struct bot_otp_checked *out)
{
    unsigned char typed[BOT_HASH_BYTES];
    hash_code(otp, phone, code, typed);
    if (bot_crypto_equal(typed, row->code_hash, BOT_HASH_BYTES)) {
        out->result = DLG_OTP_MATCH;
        out->attempts_left = attempts_left(otp, row->attempts);
        return db_otp_consume(db, row->id, now);
    }
    int attempts = 0;
    int err = db_otp_add_attempt(db, row->id, &attempts);
    if (err != CORE_OK) {
        return err;
    }
    out->attempts_left = attempts_left(otp, attempts);
    out->result = out->attempts_left > 0 ? DLG_OTP_WRONG : DLG_OTP_LOCKED;
    return CORE_OK;
}

int bot_otp_verify(const struct bot_otp *otp,
                   struct db *db,
                   const char *phone_e164,
                   const char *code,
                   int64_t now,
                   struct bot_otp_checked *out)
{
    out->result = DLG_OTP_NONE;
    out->attempts_left = 0;
    if (!phone_ok(phone_e164)) {
        return CORE_EBADINPUT;
    }
    unsigned char phone_hash[BOT_HASH_BYTES];
    hash_phone(otp, phone_e164, phone_hash);
    struct db_otp row;
    int err = db_otp_live(db, phone_hash, &row);
    if (err == CORE_ENOTFOUND) {
        return CORE_OK;
    }
    if (err != CORE_OK) {
        return err;
    }
    if (row.attempts >= otp->limits.max_attempts) {
        out->result = DLG_OTP_LOCKED;
    } else if (now >= row.expires_at) {
        out->result = DLG_OTP_EXPIRED;
    } else if (!code_format_ok(code)) {
        out->result = DLG_OTP_WRONG;
        out->attempts_left = attempts_left(otp, row.attempts);
    } else {
        err = check_code(otp, db, phone_e164, code, &row, now, out);
    }
    static const char *const names[] = {"match", "wrong", "expired", "locked", "none"};
    char masked[32];
    core_mask_phone(phone_e164, masked, sizeof masked);
    if (err == CORE_OK) {
        LOG_INFO("otp_checked", "phone=%s result=%s attempts_left=%d", masked, names[out->result],
                 out->attempts_left);
    }
    return err;
}
