/* SPDX-License-Identifier: MIT
 * Throughput of the records area on a real sqlite file (WAL, synchronous=NORMAL): audit appends
 * (one transaction each) and a full chain verify, one-time code issue + verify pairs, receipt
 * signatures. Not part of the test suite; build and run by hand:
 *   cmake --build build -j2 && gcc -std=c11 -O2 -D_DEFAULT_SOURCE -I. bench/bench_records.c \
 *     build/libtb_bot.a build/libtb_db.a build/libtb_core.a -lsodium -lsqlite3 -lm \
 *     -o build/bench_records && build/bench_records /tmp/tb-bench */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bot/audit.h"
#include "bot/config.h"
#include "bot/otp.h"
#include "bot/receipt.h"
#include "core/log.h"
#include "db/contacts.h"
#include "db/db.h"

#define NOW 1796274000

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int quiet_deliver(void *ctx, const char *phone, const char *code, const char *lang)
{
    (void)phone;
    (void)lang;
    memcpy(ctx, code, 7);
    return 0;
}

static void fail(const char *what, int err)
{
    fprintf(stderr, "%s: %s\n", what, core_strerror(err));
    exit(1);
}

static void bench_audit(struct db *db, int n)
{
    char days_hash[BOT_AUDIT_HEX];
    bot_audit_days_hash("PPPPA--PPPPS--PPPPP--PPPPP--PP", days_hash);
    double t0 = seconds();
    for (int i = 0; i < n; i++) {
        char child[16];
        snprintf(child, sizeof child, "ch-%06d", i);
        struct bot_audit_entry e = {.actor = "contact:1",
                                    .action = "confirmed",
                                    .channel = "sms",
                                    .child_id = child,
                                    .month = "2026-11",
                                    .days_hash = days_hash};
        int err = bot_audit_append(db, &e, NOW + i);
        if (err) {
            fail("append", err);
        }
    }
    double t1 = seconds();
    int64_t bad = 0;
    int err = bot_audit_verify(db, &bad);
    if (err) {
        fail("verify", err);
    }
    double t2 = seconds();
    printf("audit: %d appends (own transaction each) %.0f/s; verify %d rows %.0f rows/s\n", n,
           n / (t1 - t0), n, n / (t2 - t1));
}

static void bench_otp(struct db *db, const struct bot_crypto *crypto, int n)
{
    struct bot_config cfg;
    bot_config_defaults(&cfg);
    cfg.otp.max_global_per_hour = n + 1;
    char code[8] = "";
    struct bot_code_sink sink = {.ctx = code, .deliver = quiet_deliver};
    struct bot_otp otp;
    bot_otp_init(&otp, &cfg, crypto, &sink);
    int64_t *contacts = calloc((size_t)n, sizeof *contacts);
    for (int i = 0; i < n; i++) {
        unsigned char hash[32] = {0};
        memcpy(hash, &i, sizeof i);
        struct db_contact c;
        int err = db_contact_find_or_create(db, "sms", hash, (const unsigned char *)"x", 1, NOW, &c,
                                            NULL);
        if (err) {
            fail("contact", err);
        }
        contacts[i] = c.id;
    }
    double t0 = seconds();
    for (int i = 0; i < n; i++) {
        char phone[16];
        snprintf(phone, sizeof phone, "+7701%07d", i);
        struct bot_otp_sent sent;
        struct bot_otp_checked checked;
        int err = bot_otp_issue(&otp, db, contacts[i], phone, "kk", NOW + i / 10, &sent);
        if (err || sent.result != DLG_OTP_SENT_OK) {
            fail("issue", err ? err : CORE_ESTATE);
        }
        err = bot_otp_verify(&otp, db, phone, code, NOW + i / 10 + 1, &checked);
        if (err || checked.result != DLG_OTP_MATCH) {
            fail("verify", err ? err : CORE_ESTATE);
        }
    }
    double t1 = seconds();
    printf("otp: %d issue+verify pairs (autocommit) %.0f pairs/s\n", n, n / (t1 - t0));
    free(contacts);
}

static void bench_receipts(const struct bot_crypto *crypto, int n)
{
    char days_hash[BOT_AUDIT_HEX];
    bot_audit_days_hash("PPPPA--PPPPS--PPPPP--PPPPP--PP", days_hash);
    struct bot_receipt_fields f = {.decision = "confirmed",
                                   .child_id = "ch-001",
                                   .month = "2026-11",
                                   .days_hash = days_hash,
                                   .decided_at = NOW,
                                   .utc_offset_s = 18000,
                                   .channel = "sms"};
    char ref[BOT_RECEIPT_REF_SIZE];
    char sig[BOT_RECEIPT_SIG_HEX];
    double t0 = seconds();
    for (int i = 0; i < n; i++) {
        f.decided_at = NOW + i;
        int err = bot_receipt_make(crypto, &f, ref, sig);
        if (err) {
            fail("receipt", err);
        }
    }
    double t1 = seconds();
    printf("receipts: %d signed %.0f/s\n", n, n / (t1 - t0));
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp/tb-bench";
    char db_path[512];
    char key_path[512];
    mkdir(dir, 0700);
    snprintf(db_path, sizeof db_path, "%s/bench.db", dir);
    snprintf(key_path, sizeof key_path, "%s/bench.key", dir);
    unlink(db_path);
    core_log_set_level(CORE_LOG_WARN);
    struct db *db = NULL;
    struct bot_crypto *crypto = NULL;
    int err = db_open(db_path, &db);
    if (!err) {
        err = bot_crypto_open(key_path, true, &crypto);
    }
    if (err) {
        fail("open", err);
    }
    bench_audit(db, 20000);
    bench_otp(db, crypto, 5000);
    bench_receipts(crypto, 20000);
    db_close(db);
    bot_crypto_close(crypto);
    return 0;
}
