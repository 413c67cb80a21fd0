/* SPDX-License-Identifier: MIT
 * db/outbox against a real sqlite: enqueue and idempotency keys, claim order (interactive
 * before bulk, then id), per-chat ordering, due times, channel filter, settle transitions,
 * dead letters that unblock their chat, crash recovery across a reopen, counts and pruning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/outbox.h"

struct fx {
    struct db *db;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(db_open(":memory:", &f->db), CORE_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    db_close(f->db);
    free(f);
    return 0;
}

static int64_t put(struct db *db,
                   const char *channel,
                   const char *chat,
                   const char *key,
                   int priority,
                   int64_t now)
{
    unsigned char hash[32];
    memset(hash, 0, sizeof hash);
    memcpy(hash, chat, strlen(chat) < sizeof hash ? strlen(chat) : sizeof hash);
    struct db_outbox_new m = {
        .channel = channel,
        .chat_hash = hash,
        .chat_hash_len = sizeof hash,
        .recipient_enc = (const unsigned char *)"sealed-recipient",
        .recipient_len = 16,
        .payload_enc = (const unsigned char *)key,
        .payload_len = strlen(key),
        .idem_key = key,
        .priority = (enum db_outbox_priority)priority,
    };
    int64_t id = 0;
    assert_int_equal(db_outbox_enqueue(db, &m, now, &id), CORE_OK);
    assert_true(id > 0);
    return id;
}

static struct db_outbox_filter filter_of(int64_t now, const char *a, const char *b)
{
    struct db_outbox_filter f = {.now_ms = now};
    f.channels[f.n_channels++] = a;
    if (b) {
        f.channels[f.n_channels++] = b;
    }
    return f;
}

/* Claims and returns the ids (up to 16) in claim order; frees the rows. */
static size_t
claim_ids(struct db *db, const struct db_outbox_filter *filter, size_t max, int64_t *ids)
{
    struct db_outbox_row rows[16];
    size_t n = 99;
    assert_true(max <= 16);
    assert_int_equal(db_outbox_claim(db, filter, rows, max, &n), CORE_OK);
    for (size_t i = 0; i < n; i++) {
        ids[i] = rows[i].id;
        db_outbox_row_cleanup(&rows[i]);
    }
    return n;
}

static void expect_status(struct db *db, int64_t id, const char *status, int attempts)
{
    struct db_outbox_info info;
    assert_int_equal(db_outbox_find(db, id, &info), CORE_OK);
    assert_string_equal(info.status, status);
    assert_int_equal(info.attempts, attempts);
}

static void test_outbox_db_enqueue_duplicate_key_is_eexist(void **state)
{
    struct fx *f = *state;
    int64_t id = put(f->db, "telegram", "chat-a", "k1", 0, 1000);
    unsigned char hash[32] = {1};
    struct db_outbox_new m = {
        .channel = "telegram",
        .chat_hash = hash,
        .chat_hash_len = sizeof hash,
        .recipient_enc = (const unsigned char *)"r",
        .recipient_len = 1,
        .payload_enc = (const unsigned char *)"p",
        .payload_len = 1,
        .idem_key = "k1",
        .priority = DB_OUTBOX_INTERACTIVE,
    };
    int64_t again = 0;
    assert_int_equal(db_outbox_enqueue(f->db, &m, 2000, &again), CORE_EEXIST);
    assert_int_equal(again, id);
    struct db_outbox_counts counts;
    assert_int_equal(db_outbox_counts(f->db, &counts), CORE_OK);
    assert_int_equal(counts.pending, 1);
}

static void test_outbox_db_enqueue_rejects_malformed_rows(void **state)
{
    struct fx *f = *state;
    unsigned char hash[32] = {1};
    struct db_outbox_new good = {
        .channel = "sms",
        .chat_hash = hash,
        .chat_hash_len = sizeof hash,
        .recipient_enc = (const unsigned char *)"r",
        .recipient_len = 1,
        .payload_enc = (const unsigned char *)"p",
        .payload_len = 1,
        .idem_key = "k",
        .priority = DB_OUTBOX_BULK,
    };
    struct db_outbox_new bad = good;
    bad.idem_key = "";
    assert_int_equal(db_outbox_enqueue(f->db, &bad, 1, NULL), CORE_EINVAL);
    bad = good;
    bad.priority = (enum db_outbox_priority)7;
    assert_int_equal(db_outbox_enqueue(f->db, &bad, 1, NULL), CORE_EINVAL);
    bad = good;
    bad.channel = "a-channel-name-far-too-long";
    assert_int_equal(db_outbox_enqueue(f->db, &bad, 1, NULL), CORE_EINVAL);
    bad = good;
    bad.payload_len = 0;
    assert_int_equal(db_outbox_enqueue(f->db, &bad, 1, NULL), CORE_EINVAL);
    bad = good;
    bad.chat_hash_len = 33;
    assert_int_equal(db_outbox_enqueue(f->db, &bad, 1, NULL), CORE_EINVAL);
    int64_t depth = -1;
    assert_int_equal(db_outbox_depth(f->db, &depth), CORE_OK);
    assert_int_equal(depth, 0);
    assert_int_equal(db_outbox_enqueue(f->db, &good, 1, NULL), CORE_OK);
}

static void test_outbox_db_claim_interactive_before_bulk_then_id(void **state)
{
    struct fx *f = *state;
    int64_t b1 = put(f->db, "telegram", "chat-a", "bulk-a", 1, 100);
    int64_t b2 = put(f->db, "telegram", "chat-b", "bulk-b", 1, 100);
    int64_t i1 = put(f->db, "telegram", "chat-c", "int-c", 0, 100);
    int64_t i2 = put(f->db, "telegram", "chat-d", "int-d", 0, 100);
    struct db_outbox_filter filter = filter_of(100, "telegram", NULL);
    int64_t ids[16];
    assert_int_equal(claim_ids(f->db, &filter, 16, ids), 4);
    assert_int_equal(ids[0], i1);
    assert_int_equal(ids[1], i2);
    assert_int_equal(ids[2], b1);
    assert_int_equal(ids[3], b2);
    expect_status(f->db, i1, "sending", 0);
    assert_int_equal(claim_ids(f->db, &filter, 16, ids), 0);
}

static void test_outbox_db_claim_keeps_chat_order(void **state)
{
    struct fx *f = *state;
    int64_t a1 = put(f->db, "telegram", "chat-a", "a1", 1, 100);
    int64_t a2 = put(f->db, "telegram", "chat-a", "a2", 0, 100); /* interactive, but later */
    int64_t b1 = put(f->db, "telegram", "chat-b", "b1", 0, 100);
    struct db_outbox_filter filter = filter_of(100, "telegram", NULL);
    int64_t ids[16];
    assert_int_equal(claim_ids(f->db, &filter, 16, ids), 2);
    assert_int_equal(ids[0], b1);
    assert_int_equal(ids[1], a1);
    /* a2 waits while a1 is sending */
    assert_int_equal(claim_ids(f->db, &filter, 16, ids), 0);
    assert_int_equal(db_outbox_mark_sent(f->db, a1, 150), CORE_OK);
    assert_int_equal(claim_ids(f->db, &filter, 16, ids), 1);
    assert_int_equal(ids[0], a2);
    assert_int_equal(db_outbox_mark_sent(f->db, a1, 150), CORE_ENOTFOUND);
}

static void test_outbox_db_claim_respects_limit_due_time_and_channels(void **state)
{
    struct fx *f = *state;
    int64_t t1 = put(f->db, "telegram", "chat-a", "t1", 0, 100);
    int64_t s1 = put(f->db, "sms", "chat-b", "s1", 0, 100);
    int64_t late = put(f->db, "telegram", "chat-c", "late", 0, 5000);
    put(f->db, "whatsapp", "chat-d", "w1", 0, 100);
    struct db_outbox_filter filter = filter_of(200, "telegram", "sms");
    int64_t at = 0;
    assert_int_equal(db_outbox_next_due(f->db, &filter, &at), CORE_OK);
    assert_int_equal(at, 5000);
    int64_t ids[16];
    assert_int_equal(claim_ids(f->db, &filter, 1, ids), 1);
    assert_int_equal(ids[0], t1);
    assert_int_equal(claim_ids(f->db, &filter, 16, ids), 1);
    assert_int_equal(ids[0], s1);
    filter.now_ms = 5000;
    assert_int_equal(db_outbox_next_due(f->db, &filter, &at), CORE_ENOTFOUND);
    assert_int_equal(claim_ids(f->db, &filter, 16, ids), 1);
    assert_int_equal(ids[0], late);
    struct db_outbox_counts counts;
    assert_int_equal(db_outbox_counts(f->db, &counts), CORE_OK);
    assert_int_equal(counts.pending, 1); /* whatsapp: not in the filter */
    assert_int_equal(counts.sending, 3);
    struct db_outbox_filter empty = {.now_ms = 1};
    struct db_outbox_row rows[1];
    size_t n = 0;
    assert_int_equal(db_outbox_claim(f->db, &empty, rows, 1, &n), CORE_EINVAL);
}

static void test_outbox_db_claim_returns_sealed_fields(void **state)
{
    struct fx *f = *state;
    int64_t id = put(f->db, "sms", "chat-z", "key-z", 1, 100);
    struct db_outbox_filter filter = filter_of(100, "sms", NULL);
    struct db_outbox_row rows[2];
    size_t n = 0;
    assert_int_equal(db_outbox_claim(f->db, &filter, rows, 2, &n), CORE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].id, id);
    assert_string_equal(rows[0].channel, "sms");
    assert_string_equal(rows[0].idem_key, "key-z");
    assert_int_equal(rows[0].priority, 1);
    assert_int_equal(rows[0].attempts, 0);
    assert_int_equal(rows[0].chat_hash_len, 32);
    assert_memory_equal(rows[0].chat_hash, "chat-z", 6);
    assert_int_equal(rows[0].recipient_len, 16);
    assert_memory_equal(rows[0].recipient_enc, "sealed-recipient", 16);
    assert_int_equal(rows[0].payload_len, 5);
    assert_memory_equal(rows[0].payload_enc, "key-z", 5);
    db_outbox_row_cleanup(&rows[0]);
    db_outbox_row_cleanup(&rows[0]);
}

static void test_outbox_db_reschedule_counts_attempts_and_waits(void **state)
{
    struct fx *f = *state;
    int64_t id = put(f->db, "telegram", "chat-a", "r1", 0, 100);
    struct db_outbox_filter filter = filter_of(100, "telegram", NULL);
    int64_t ids[16];
    assert_int_equal(claim_ids(f->db, &filter, 16, ids), 1);
    assert_int_equal(db_outbox_reschedule(f->db, id, 900, "HTTP 500"), CORE_OK);
    struct db_outbox_info info;
    assert_int_equal(db_outbox_find(f->db, id, &info), CORE_OK);
    assert_string_equal(info.status, "pending");
    assert_int_equal(info.attempts, 1);
    assert_int_equal(info.next_attempt_at, 900);
    assert_string_equal(info.last_error, "HTTP 500");
    filter.now_ms = 899;
    assert_int_equal(claim_ids(f->db, &filter, 16, ids), 0);
    filter.now_ms = 900;
    assert_int_equal(claim_ids(f->db, &filter, 16, ids), 1);
    /* release gives it back without counting an attempt */
    assert_int_equal(db_outbox_release(f->db, id, 900), CORE_OK);
    expect_status(f->db, id, "pending", 1);
    assert_int_equal(db_outbox_reschedule(f->db, id, 1, "x"), CORE_ENOTFOUND);
}

static void test_outbox_db_dead_row_keeps_reason_and_unblocks_chat(void **state)
{
    struct fx *f = *state;
    int64_t first = put(f->db, "telegram", "chat-a", "d1", 0, 100);
    int64_t second = put(f->db, "telegram", "chat-a", "d2", 0, 100);
    struct db_outbox_filter filter = filter_of(100, "telegram", NULL);
    int64_t ids[16];
    assert_int_equal(claim_ids(f->db, &filter, 16, ids), 1);
    assert_int_equal(ids[0], first);
    assert_int_equal(db_outbox_dead(f->db, first, "HTTP 403: bot was blocked", 120), CORE_OK);
    struct db_outbox_info info;
    assert_int_equal(db_outbox_find(f->db, first, &info), CORE_OK);
    assert_string_equal(info.status, "dead");
    assert_int_equal(info.attempts, 1);
    assert_string_equal(info.last_error, "HTTP 403: bot was blocked");
    assert_int_equal(claim_ids(f->db, &filter, 16, ids), 1);
    assert_int_equal(ids[0], second);
    struct db_outbox_counts counts;
    assert_int_equal(db_outbox_counts(f->db, &counts), CORE_OK);
    assert_int_equal(counts.dead, 1);
    assert_int_equal(counts.sending, 1);
    assert_int_equal(db_outbox_find(f->db, 9999, &info), CORE_ENOTFOUND);
}

static void test_outbox_db_recover_resets_sending_after_reopen(void **state)
{
    (void)state;
    char path[] = "/tmp/tb_outbox_db_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct db *db = NULL;
    assert_int_equal(db_open(path, &db), CORE_OK);
    int64_t a = put(db, "telegram", "chat-a", "c1", 0, 100);
    int64_t b = put(db, "telegram", "chat-b", "c2", 0, 100);
    struct db_outbox_filter filter = filter_of(100, "telegram", NULL);
    int64_t ids[16];
    assert_int_equal(claim_ids(db, &filter, 16, ids), 2);
    assert_int_equal(db_outbox_mark_sent(db, a, 110), CORE_OK);
    db_close(db); /* "crash" with b still sending */
    assert_int_equal(db_open(path, &db), CORE_OK);
    expect_status(db, b, "sending", 0);
    int64_t reset = 0;
    assert_int_equal(db_outbox_recover(db, &reset), CORE_OK);
    assert_int_equal(reset, 1);
    expect_status(db, b, "pending", 0);
    expect_status(db, a, "sent", 0);
    assert_int_equal(claim_ids(db, &filter, 16, ids), 1);
    assert_int_equal(ids[0], b);
    int64_t depth = 0;
    assert_int_equal(db_outbox_depth(db, &depth), CORE_OK);
    assert_int_equal(depth, 1);
    db_close(db);
    char side[64];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

static void test_outbox_db_prune_deletes_old_sent_rows_only(void **state)
{
    struct fx *f = *state;
    int64_t old = put(f->db, "sms", "chat-a", "p1", 0, 100);
    int64_t fresh = put(f->db, "sms", "chat-b", "p2", 0, 100);
    int64_t waiting = put(f->db, "sms", "chat-c", "p3", 0, 100);
    (void)waiting;
    struct db_outbox_filter filter = filter_of(100, "sms", NULL);
    int64_t ids[16];
    assert_int_equal(claim_ids(f->db, &filter, 2, ids), 2);
    assert_int_equal(db_outbox_mark_sent(f->db, old, 1000), CORE_OK);
    assert_int_equal(db_outbox_mark_sent(f->db, fresh, 5000), CORE_OK);
    int64_t n = 0;
    assert_int_equal(db_outbox_prune_sent(f->db, 2000, 0, &n), CORE_EINVAL);
    assert_int_equal(db_outbox_prune_sent(f->db, 9000, 1, &n), CORE_OK);
    assert_int_equal(n, 1); /* the limit: lowest id first */
    assert_int_equal(db_outbox_prune_sent(f->db, 2000, 100, &n), CORE_OK);
    assert_int_equal(n, 0);
    struct db_outbox_info info;
    assert_int_equal(db_outbox_find(f->db, old, &info), CORE_ENOTFOUND);
    assert_int_equal(db_outbox_find(f->db, fresh, &info), CORE_OK);
    struct db_outbox_counts counts;
    assert_int_equal(db_outbox_counts(f->db, &counts), CORE_OK);
    assert_int_equal(counts.sent, 1);
    assert_int_equal(counts.pending, 1);
}

static void test_outbox_db_claim_joins_callers_transaction(void **state)
{
    struct fx *f = *state;
    put(f->db, "sms", "chat-a", "t1", 0, 100);
    assert_int_equal(db_begin(f->db), CORE_OK);
    struct db_outbox_filter filter = filter_of(100, "sms", NULL);
    int64_t ids[16];
    assert_int_equal(claim_ids(f->db, &filter, 16, ids), 1);
    assert_true(db_in_transaction(f->db));
    db_rollback(f->db);
    assert_int_equal(claim_ids(f->db, &filter, 16, ids), 1); /* rolled back: claimable again */
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_outbox_db_enqueue_duplicate_key_is_eexist),
        T(test_outbox_db_enqueue_rejects_malformed_rows),
        T(test_outbox_db_claim_interactive_before_bulk_then_id),
        T(test_outbox_db_claim_keeps_chat_order),
        T(test_outbox_db_claim_respects_limit_due_time_and_channels),
        T(test_outbox_db_claim_returns_sealed_fields),
        T(test_outbox_db_reschedule_counts_attempts_and_waits),
        T(test_outbox_db_dead_row_keeps_reason_and_unblocks_chat),
        cmocka_unit_test(test_outbox_db_recover_resets_sending_after_reopen),
        T(test_outbox_db_prune_deletes_old_sent_rows_only),
        T(test_outbox_db_claim_joins_callers_transaction),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
