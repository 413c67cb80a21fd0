/* SPDX-License-Identifier: MIT
 * Unit tests of the one-time code service: issue and match, wrong tries and locking, expiry,
 * resend cooldown, hourly caps per phone, per chat and overall, superseding, failed delivery,
 * the dev console sink, and that neither the code nor the phone is stored or logged in clear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bot/config.h"
#include "bot/otp.h"
#include "core/log.h"
#include "db/contacts.h"
#include "support/records_env.h"

#define NOW   1796274000 /* 2026-12-03T10:00:00+05:00 */
#define PHONE "+77011234567"

struct fixture {
    struct records_env env;
    struct bot_config cfg;
    struct records_sink rs;
    struct bot_code_sink sink;
    struct bot_otp otp;
    int64_t contact[8];
};

static int64_t new_contact(struct fixture *f, int n)
{
    char user[32];
    snprintf(user, sizeof user, "chat-%d", n);
    unsigned char hash[BOT_HASH_BYTES];
    bot_crypto_hash(f->env.crypto, "chat", user, strlen(user), hash);
    struct db_contact c;
    assert_int_equal(db_contact_find_or_create(f->env.db, "telegram", hash,
                                               (const unsigned char *)"sealed", 6, NOW, &c, NULL),
                     CORE_OK);
    return c.id;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    records_env_open(&f->env);
    bot_config_defaults(&f->cfg);
    records_sink_bind(&f->rs, &f->sink);
    bot_otp_init(&f->otp, &f->cfg, f->env.crypto, &f->sink);
    for (int i = 0; i < 8; i++) {
        f->contact[i] = new_contact(f, i);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    records_log_capture_stop();
    records_env_close(&f->env);
    free(f);
    return 0;
}

static struct bot_otp_sent issue(struct fixture *f, int64_t contact, const char *phone, int64_t at)
{
    struct bot_otp_sent sent;
    assert_int_equal(bot_otp_issue(&f->otp, f->env.db, contact, phone, "ru", at, &sent), CORE_OK);
    return sent;
}

static struct bot_otp_checked
check(struct fixture *f, const char *phone, const char *code, int64_t at)
{
    struct bot_otp_checked out;
    assert_int_equal(bot_otp_verify(&f->otp, f->env.db, phone, code, at, &out), CORE_OK);
    return out;
}

/* A 6-digit code that differs from `code` in every position. */
static void other_code(const char *code, char out[7])
{
    for (int i = 0; i < 6; i++) {
        out[i] = (char)('0' + (code[i] - '0' + 1) % 10);
    }
    out[6] = '\0';
}

static void test_issue_then_match_consumes(void **state)
{
    struct fixture *f = *state;
    struct bot_otp_sent sent = issue(f, f->contact[0], PHONE, NOW);
    assert_int_equal(sent.result, DLG_OTP_SENT_OK);
    assert_int_equal(f->rs.delivered, 1);
    assert_string_equal(f->rs.last_phone, PHONE);
    assert_int_equal(strlen(f->rs.last_code), 6);
    assert_int_equal(strspn(f->rs.last_code, "0123456789"), 6);

    struct bot_otp_checked c = check(f, PHONE, f->rs.last_code, NOW + 10);
    assert_int_equal(c.result, DLG_OTP_MATCH);
    /* Used once: the same code again finds nothing outstanding. */
    c = check(f, PHONE, f->rs.last_code, NOW + 11);
    assert_int_equal(c.result, DLG_OTP_NONE);
    /* Another phone never had a code. */
    c = check(f, "+77019998877", f->rs.last_code, NOW + 12);
    assert_int_equal(c.result, DLG_OTP_NONE);
}

static void test_five_wrong_tries_lock_the_code(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(issue(f, f->contact[0], PHONE, NOW).result, DLG_OTP_SENT_OK);
    char wrong[7];
    other_code(f->rs.last_code, wrong);
    for (int left = 4; left >= 1; left--) {
        struct bot_otp_checked c = check(f, PHONE, wrong, NOW + 5);
        assert_int_equal(c.result, DLG_OTP_WRONG);
        assert_int_equal(c.attempts_left, left);
    }
    struct bot_otp_checked c = check(f, PHONE, wrong, NOW + 6);
    assert_int_equal(c.result, DLG_OTP_LOCKED);
    assert_int_equal(c.attempts_left, 0);
    /* Locked means locked: even the right code no longer works. */
    c = check(f, PHONE, f->rs.last_code, NOW + 7);
    assert_int_equal(c.result, DLG_OTP_LOCKED);
    /* A new code (after the cooldown) works again. */
    assert_int_equal(issue(f, f->contact[0], PHONE, NOW + 61).result, DLG_OTP_SENT_OK);
    c = check(f, PHONE, f->rs.last_code, NOW + 62);
    assert_int_equal(c.result, DLG_OTP_MATCH);
}

static void test_malformed_code_does_not_burn_a_try(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(issue(f, f->contact[0], PHONE, NOW).result, DLG_OTP_SENT_OK);
    const char *bad[] = {"12345", "1234567", "12a456", "", "12 456"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct bot_otp_checked c = check(f, PHONE, bad[i], NOW + 1);
        assert_int_equal(c.result, DLG_OTP_WRONG);
        assert_int_equal(c.attempts_left, 5);
    }
    assert_int_equal(check(f, PHONE, f->rs.last_code, NOW + 2).result, DLG_OTP_MATCH);
}

static void test_code_expires_after_ttl(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(issue(f, f->contact[0], PHONE, NOW).result, DLG_OTP_SENT_OK);
    assert_int_equal(check(f, PHONE, f->rs.last_code, NOW + 301).result, DLG_OTP_EXPIRED);
    assert_int_equal(check(f, PHONE, f->rs.last_code, NOW + 300).result, DLG_OTP_EXPIRED);
    /* Expired answers changed nothing: within the ttl the code still matches. */
    assert_int_equal(check(f, PHONE, f->rs.last_code, NOW + 299).result, DLG_OTP_MATCH);
}

static void test_resend_cooldown_per_phone_and_per_chat(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(issue(f, f->contact[0], PHONE, NOW).result, DLG_OTP_SENT_OK);
    struct bot_otp_sent s = issue(f, f->contact[1], PHONE, NOW + 30);
    assert_int_equal(s.result, DLG_OTP_SENT_RATE_LIMITED);
    assert_int_equal(s.retry_after_s, 30);
    s = issue(f, f->contact[0], "+77017654321", NOW + 10);
    assert_int_equal(s.result, DLG_OTP_SENT_RATE_LIMITED);
    assert_int_equal(s.retry_after_s, 50);
    assert_int_equal(f->rs.delivered, 1);
    assert_int_equal(records_env_raw_int(&f->env, "SELECT count(*) FROM otp"), 1);
    s = issue(f, f->contact[0], PHONE, NOW + 60);
    assert_int_equal(s.result, DLG_OTP_SENT_OK);
    assert_int_equal(f->rs.delivered, 2);
}

static void test_sixth_code_for_a_phone_in_an_hour_refused(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(issue(f, f->contact[i], PHONE, NOW + i * 61).result, DLG_OTP_SENT_OK);
    }
    struct bot_otp_sent s = issue(f, f->contact[5], PHONE, NOW + 5 * 61);
    assert_int_equal(s.result, DLG_OTP_SENT_RATE_LIMITED);
    assert_int_equal(s.retry_after_s, 3600 - 5 * 61);
    assert_int_equal(f->rs.delivered, 5);
    /* Once the first code is an hour old, one more is allowed. */
    assert_int_equal(issue(f, f->contact[5], PHONE, NOW + 3600).result, DLG_OTP_SENT_OK);
}

static void test_per_chat_cap(void **state)
{
    struct fixture *f = *state;
    char phone[16];
    for (int i = 0; i < 5; i++) {
        snprintf(phone, sizeof phone, "+7701000000%d", i);
        assert_int_equal(issue(f, f->contact[0], phone, NOW + i * 61).result, DLG_OTP_SENT_OK);
    }
    struct bot_otp_sent s = issue(f, f->contact[0], "+77010000009", NOW + 5 * 61);
    assert_int_equal(s.result, DLG_OTP_SENT_RATE_LIMITED);
    assert_int_equal(s.retry_after_s, 3600 - 5 * 61);
    /* Another chat asking for that phone is not held back by this chat's cap. */
    assert_int_equal(issue(f, f->contact[1], "+77010000009", NOW + 5 * 61).result, DLG_OTP_SENT_OK);
}

static void test_global_cap(void **state)
{
    struct fixture *f = *state;
    f->cfg.otp.max_global_per_hour = 3;
    bot_otp_init(&f->otp, &f->cfg, f->env.crypto, &f->sink);
    char phone[16];
    for (int i = 0; i < 3; i++) {
        snprintf(phone, sizeof phone, "+7702000000%d", i);
        assert_int_equal(issue(f, f->contact[i], phone, NOW + i).result, DLG_OTP_SENT_OK);
    }
    struct bot_otp_sent s = issue(f, f->contact[3], "+77020000009", NOW + 10);
    assert_int_equal(s.result, DLG_OTP_SENT_RATE_LIMITED);
    assert_int_equal(s.retry_after_s, 3590);
}

static void test_new_code_supersedes_old(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(issue(f, f->contact[0], PHONE, NOW).result, DLG_OTP_SENT_OK);
    char first[8];
    snprintf(first, sizeof first, "%s", f->rs.last_code);
    int64_t at = NOW;
    do { /* a new code equal to the old one (1 in a million) proves nothing: ask again */
        at += 61;
        assert_int_equal(issue(f, f->contact[0], PHONE, at).result, DLG_OTP_SENT_OK);
    } while (strcmp(first, f->rs.last_code) == 0);
    assert_int_equal(records_env_raw_int(&f->env, "SELECT count(*) FROM otp WHERE status = 'live'"),
                     1);
    struct bot_otp_checked c = check(f, PHONE, first, at + 1);
    assert_int_equal(c.result, DLG_OTP_WRONG);
    assert_int_equal(c.attempts_left, 4);
    assert_int_equal(check(f, PHONE, f->rs.last_code, at + 2).result, DLG_OTP_MATCH);
}

static void test_code_and_phone_never_in_clear(void **state)
{
    struct fixture *f = *state;
    records_log_capture_start();
    assert_int_equal(issue(f, f->contact[0], PHONE, NOW).result, DLG_OTP_SENT_OK);
    char code[8];
    snprintf(code, sizeof code, "%s", f->rs.last_code);
    char wrong[7];
    other_code(code, wrong);
    assert_int_equal(check(f, PHONE, wrong, NOW + 1).result, DLG_OTP_WRONG);
    assert_false(records_env_file_contains(&f->env, code));
    assert_false(records_env_file_contains(&f->env, PHONE));
    assert_false(records_env_file_contains(&f->env, "7011234567"));
    assert_int_equal(check(f, PHONE, code, NOW + 2).result, DLG_OTP_MATCH);
    const char *log = records_log_captured();
    assert_non_null(strstr(log, "otp_sent"));
    assert_non_null(strstr(log, "phone=+7701*****67"));
    assert_null(strstr(log, code));
    assert_null(strstr(log, wrong));
    assert_null(strstr(log, "7011234567"));
    records_log_capture_stop();
    /* Still nothing in clear once the WAL is folded into the main file. */
    db_close(f->env.db);
    f->env.db = NULL;
    assert_false(records_env_file_contains(&f->env, code));
    assert_false(records_env_file_contains(&f->env, PHONE));
}

static void test_no_sink_fails_with_one_warning(void **state)
{
    struct fixture *f = *state;
    bot_otp_init(&f->otp, &f->cfg, f->env.crypto, NULL);
    records_log_capture_start();
    struct bot_otp_sent s = issue(f, f->contact[0], PHONE, NOW);
    assert_int_equal(s.result, DLG_OTP_SENT_FAILED);
    const char *log = records_log_captured();
    const char *line = strstr(log, "warn otp otp_no_sink");
    assert_non_null(line);
    assert_null(strstr(line + 1, "\n2")); /* exactly one line */
    assert_null(strstr(log, "7011234567"));
    records_log_capture_stop();
    assert_int_equal(records_env_raw_int(&f->env, "SELECT count(*) FROM otp"), 0);
}

static void test_failed_delivery_keeps_previous_code(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(issue(f, f->contact[0], PHONE, NOW).result, DLG_OTP_SENT_OK);
    char first[8];
    snprintf(first, sizeof first, "%s", f->rs.last_code);
    f->rs.fail = true;
    assert_int_equal(issue(f, f->contact[0], PHONE, NOW + 61).result, DLG_OTP_SENT_FAILED);
    assert_int_equal(records_env_raw_int(&f->env, "SELECT count(*) FROM otp"), 1);
    /* The failed attempt does not hold the parent back with a cooldown either. */
    f->rs.fail = false;
    assert_int_equal(check(f, PHONE, first, NOW + 62).result, DLG_OTP_MATCH);
}

static void test_bad_phone_refused(void **state)
{
    struct fixture *f = *state;
    struct bot_otp_sent s;
    const char *bad[] = {"87011234567", "+7701", "+7701123456a", "", "+0123456789"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(bot_otp_issue(&f->otp, f->env.db, f->contact[0], bad[i], "kk", NOW, &s),
                         CORE_EBADINPUT);
        assert_int_equal(s.result, DLG_OTP_SENT_FAILED);
    }
    struct bot_otp_checked c;
    assert_int_equal(bot_otp_verify(&f->otp, f->env.db, "7011234567", "123456", NOW, &c),
                     CORE_EBADINPUT);
    assert_int_equal(records_env_raw_int(&f->env, "SELECT count(*) FROM otp"), 0);
    assert_int_equal(f->rs.delivered, 0);
}

static void test_console_sink_prints_masked_phone_and_code(void **state)
{
    struct fixture *f = *state;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    struct bot_code_sink console;
    snprintf(f->cfg.dev.code_sink, sizeof f->cfg.dev.code_sink, "console");
    assert_int_equal(bot_code_sink_from_config(&f->cfg, out, &console), CORE_OK);
    assert_non_null(console.deliver);
    bot_otp_init(&f->otp, &f->cfg, f->env.crypto, &console);
    assert_int_equal(issue(f, f->contact[0], PHONE, NOW).result, DLG_OTP_SENT_OK);
    fclose(out);
    char masked[32];
    core_mask_phone(PHONE, masked, sizeof masked);
    assert_string_equal(masked, "+7701*****67");
    char prefix[96];
    snprintf(prefix, sizeof prefix, "[dev SMS to %s] tabelbot code: ", masked);
    assert_int_equal(strncmp(text, prefix, strlen(prefix)), 0);
    const char *code = text + strlen(prefix);
    assert_int_equal(strlen(code), 7);
    assert_int_equal(code[6], '\n');
    char typed[7];
    memcpy(typed, code, 6);
    typed[6] = '\0';
    /* The printed code is the real one. */
    assert_int_equal(check(f, PHONE, typed, NOW + 1).result, DLG_OTP_MATCH);
    free(text);

    struct bot_code_sink none;
    snprintf(f->cfg.dev.code_sink, sizeof f->cfg.dev.code_sink, "none");
    assert_int_equal(bot_code_sink_from_config(&f->cfg, stdout, &none), CORE_OK);
    assert_null(none.deliver);
    snprintf(f->cfg.dev.code_sink, sizeof f->cfg.dev.code_sink, "sms");
    assert_int_equal(bot_code_sink_from_config(&f->cfg, stdout, &none), CORE_ECONFIG);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_issue_then_match_consumes),
        T(test_five_wrong_tries_lock_the_code),
        T(test_malformed_code_does_not_burn_a_try),
        T(test_code_expires_after_ttl),
        T(test_resend_cooldown_per_phone_and_per_chat),
        T(test_sixth_code_for_a_phone_in_an_hour_refused),
        T(test_per_chat_cap),
        T(test_global_cap),
        T(test_new_code_supersedes_old),
        T(test_code_and_phone_never_in_clear),
        T(test_no_sink_fails_with_one_warning),
        T(test_failed_delivery_keeps_previous_code),
        T(test_bad_phone_refused),
        T(test_console_sink_prints_masked_phone_and_code),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
