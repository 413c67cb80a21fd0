/* SPDX-License-Identifier: MIT
 * The one-time code service (DESIGN.md §6, §9). Issuing: 6 digits from the system RNG, stored
 * only as the keyed hash of phone ":" code, valid ttl_s seconds, at most one live code per
 * phone (a new one supersedes the old), a resend cooldown per phone and per chat and hourly
 * caps per phone, per chat and overall (struct bot_config.otp). Checking: constant-time
 * comparison of hashes, max_attempts wrong tries per code, then the code is locked.
 * Delivery goes through a code sink; the dev console sink prints the code for local use.
 * Codes are never logged; phones only masked. Every call takes "now" (unix seconds).
 * Call inside the caller's transaction when the result must commit with other effects. */
#ifndef BOT_OTP_H
#define BOT_OTP_H

#include <stdint.h>
#include <stdio.h>

#include "bot/config.h"
#include "bot/crypto.h"
#include "core/err.h"
#include "dialogs/dialog.h"

struct db;

/** Where codes go. deliver returns 0 or a negative core_err; NULL deliver means no sink. */
struct bot_code_sink {
    void *ctx;
    int (*deliver)(void *ctx, const char *phone, const char *code, const char *lang);
};

/** The dev console sink: one line per code on `out` (borrowed, must outlive the sink):
 * "[dev SMS to +7701***67] tabelbot code: 123456". */
void bot_code_sink_console(FILE *out, struct bot_code_sink *sink);
/** The sink named by [dev] code_sink: "console" -> the console sink on `console`; "none" or ""
 * -> no sink (issue then fails). Anything else is CORE_ECONFIG. */
CORE_NODISCARD int
bot_code_sink_from_config(const struct bot_config *cfg, FILE *console, struct bot_code_sink *out);

struct bot_otp_limits {
    int ttl_s;                  /* 300 */
    int resend_cooldown_s;      /* 60 */
    int max_attempts;           /* 5 */
    int max_per_phone_per_hour; /* 5 */
    int max_per_chat_per_hour;  /* 5 */
    int max_global_per_hour;    /* 10000 */
};

/** The service: a plain value, nothing to free. crypto is borrowed (must outlive it). */
struct bot_otp {
    const struct bot_crypto *crypto;
    struct bot_otp_limits limits;
    struct bot_code_sink sink;
};

/** Copies cfg->otp and the sink (sink may be NULL: no sink). */
void bot_otp_init(struct bot_otp *otp,
                  const struct bot_config *cfg,
                  const struct bot_crypto *crypto,
                  const struct bot_code_sink *sink);

struct bot_otp_sent {
    enum dlg_otp_send_result result;
    int retry_after_s; /* RATE_LIMITED: seconds until a new code may be asked (>= 1) */
};

/** Issues a code for phone_e164 ("+77011234567") asked from chat contact_id, language lang
 * ("kk"/"ru"/"en", passed to the sink). A refused or undeliverable code is a result, not an
 * error: out->result is RATE_LIMITED (nothing stored) or FAILED (nothing stored, the previous
 * code stays live). Returns CORE_EBADINPUT for a phone that is not E.164 and a negative
 * core_err for a database failure (nothing sent then). */
CORE_NODISCARD int bot_otp_issue(const struct bot_otp *otp,
                                 struct db *db,
                                 int64_t contact_id,
                                 const char *phone_e164,
                                 const char *lang,
                                 int64_t now,
                                 struct bot_otp_sent *out);

struct bot_otp_checked {
    enum dlg_otp_check_result result;
    int attempts_left; /* WRONG: tries left before the code locks */
};

/** Checks a typed code against the phone's live code: MATCH consumes it; WRONG counts a try
 * (a code that is not 6 digits is WRONG without counting: it cannot match); the try that uses
 * up max_attempts answers LOCKED, as does every later one; EXPIRED at or after expiry; NONE
 * when no live code exists. Negative only for a database failure or a bad phone. */
CORE_NODISCARD int bot_otp_verify(const struct bot_otp *otp,
                                  struct db *db,
                                  const char *phone_e164,
                                  const char *code,
                                  int64_t now,
                                  struct bot_otp_checked *out);

#endif
