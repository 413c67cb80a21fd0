/* SPDX-License-Identifier: MIT
 * The outbox dispatcher end to end: real sqlite, real crypto, the real HTTP client against the
 * stub server. Retries through 500 and 429 deliver every message exactly once per idempotency
 * key in per-chat order; interactive goes before bulk; dead letters keep their reason and do
 * not block their chat; a channel pause holds the channel; 'sending' rows are recovered at
 * start; local senders; close with messages in flight. Plus the pure helpers (classify,
 * Retry-After, sanitise, backoff). Conditions are awaited with generous timeouts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bot/outbox.h"
#include "core/log.h"
#include "support/http_stub.h"

#define WAIT_MS  30000
#define MAX_KEYS 64
#define MAX_SEEN 512

/* ---- the stub's script: per idempotency key, how many tries it has seen ---- */

struct script {
    char keys[MAX_KEYS][64];
    int tries[MAX_KEYS];
    size_t n_keys;
    int status[MAX_SEEN]; /* answer per arrival seq */
    /* decides the answer for the nth try (1-based) of key */
    void (*decide)(const char *key, int nth, struct http_stub_reply *reply);
};

static int script_try(struct script *s, const char *key)
{
    for (size_t i = 0; i < s->n_keys; i++) {
        if (strcmp(s->keys[i], key) == 0) {
            return ++s->tries[i];
        }
    }
    if (s->n_keys == MAX_KEYS) {
        return 1;
    }
    snprintf(s->keys[s->n_keys], sizeof s->keys[0], "%s", key);
    s->tries[s->n_keys++] = 1;
    return 1;
}

static void
script_handler(void *ctx, const struct http_stub_request *req, struct http_stub_reply *reply)
{
    struct script *s = ctx;
    char key[64] = "";
    http_stub_header(req, "idempotency-key", key, sizeof key);
    *reply = http_stub_reply_text(200, "{\"ok\":true}");
    if (s->decide) {
        s->decide(key, script_try(s, key), reply);
    }
    if (req->seq >= 0 && req->seq < MAX_SEEN) {
        s->status[req->seq] = reply->status;
    }
}

/* ---- fixture ---- */

struct fx {
    uv_loop_t loop;
    struct http_stub *stub;
    struct bot_http_client *http;
    struct db *db;
    struct bot_crypto *crypto;
    struct bot_config cfg;
    struct bot_outbox *ob;
    struct script script;
    char dir[64];
    char key_file[96];
    char url[128];
    char logs[16384];
};

static void capture_sink(enum core_log_level level, const char *line, void *ctx)
{
    (void)level;
    struct fx *f = ctx;
    size_t used = strlen(f->logs);
    snprintf(f->logs + used, sizeof f->logs - used, "%s\n", line);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->stub = http_stub_start();
    assert_non_null(f->stub);
    http_stub_set_handler(f->stub, script_handler, &f->script);
    http_stub_url(f->stub, "/bot123:TOKEN/sendMessage", f->url, sizeof f->url);
    assert_int_equal(bot_http_client_open(&f->loop, NULL, &f->http), CORE_OK);
    assert_int_equal(db_open(":memory:", &f->db), CORE_OK);
    snprintf(f->dir, sizeof f->dir, "/tmp/tb_outbox_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->key_file, sizeof f->key_file, "%s/test.key", f->dir);
    assert_int_equal(bot_crypto_open(f->key_file, true, &f->crypto), CORE_OK);
    bot_config_defaults(&f->cfg);
    f->cfg.outbox.base_backoff_ms = 10;
    f->cfg.outbox.max_backoff_ms = 40;
    f->cfg.outbox.max_attempts = 5;
    f->cfg.outbox.max_in_flight = 8;
    f->cfg.outbox.request_timeout_ms = 5000;
    core_log_set_sink(capture_sink, f);
    *state = f;
    return 0;
}

static void close_outbox(struct fx *f)
{
    bot_outbox_close(f->ob);
    f->ob = NULL;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    core_log_set_sink(NULL, NULL);
    close_outbox(f);
    bot_http_client_close(f->http);
    http_stub_drain(&f->loop, WAIT_MS);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    http_stub_stop(f->stub);
    db_close(f->db);
    bot_crypto_close(f->crypto);
    unlink(f->key_file);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* ---- senders ---- */

static int render_json(void *ctx, const struct bot_outbox_msg *msg, struct bot_http_call *out)
{
    struct fx *f = ctx;
    snprintf(out->method, sizeof out->method, "POST");
    snprintf(out->label, sizeof out->label, "test.send");
    int err = bot_http_call_set_url(out, f->url);
    if (err == CORE_OK) {
        err = bot_http_call_add_header(out, "X-Chat", msg->recipient);
    }
    if (err == CORE_OK) {
        err = bot_http_call_add_header(out, "Idempotency-Key", msg->idem_key);
    }
    if (err == CORE_OK) {
        err = bot_http_call_set_body(out, msg->payload, msg->payload_len);
    }
    return err;
}

static void
classify_pausing(void *ctx, const struct bot_http_response *resp, struct bot_send_result *out)
{
    bot_outbox_classify_default(ctx, resp, out);
    if (resp->status == 429 && out->verdict == BOT_SEND_RETRY_AFTER) {
        out->pause_channel = true;
    }
}

static void open_outbox(struct fx *f, bool pausing)
{
    struct bot_outbox_deps deps = {
        .loop = &f->loop,
        .db = f->db,
        .crypto = f->crypto,
        .http = f->http,
        .cfg = &f->cfg,
    };
    assert_int_equal(bot_outbox_open(&deps, &f->ob), CORE_OK);
    struct bot_outbox_sender s = {
        .channel = "telegram",
        .ctx = f,
        .render = render_json,
        .classify = pausing ? classify_pausing : NULL,
    };
    assert_int_equal(bot_outbox_register(f->ob, &s), CORE_OK);
    assert_int_equal(bot_outbox_register(f->ob, &s), CORE_EEXIST);
}

static void enqueue(struct fx *f,
                    const char *channel,
                    const char *chat,
                    const char *key,
                    enum db_outbox_priority priority)
{
    char payload[128];
    snprintf(payload, sizeof payload, "{\"text\":\"message %s\"}", key);
    struct bot_outbox_item item = {
        .channel = channel,
        .recipient = chat,
        .payload = payload,
        .payload_len = strlen(payload),
        .idem_key = key,
        .priority = priority,
    };
    assert_int_equal(bot_outbox_enqueue(f->db, f->crypto, &item, bot_outbox_wall_ms(), NULL),
                     CORE_OK);
}

struct until_sent {
    struct fx *f;
    int64_t sent;
    int64_t dead;
};

static bool counts_reached(void *ctx)
{
    struct until_sent *u = ctx;
    struct db_outbox_counts c;
    if (db_outbox_counts(u->f->db, &c) != CORE_OK) {
        return false;
    }
    return c.sent >= u->sent && c.dead >= u->dead && c.pending == 0 && c.sending == 0;
}

static void wait_counts(struct fx *f, int64_t sent, int64_t dead)
{
    struct until_sent u = {f, sent, dead};
    assert_true(http_stub_run_until(&f->loop, counts_reached, &u, WAIT_MS));
    struct db_outbox_counts c;
    assert_int_equal(db_outbox_counts(f->db, &c), CORE_OK);
    assert_int_equal(c.sent, sent);
    assert_int_equal(c.dead, dead);
}

static void channel_stats(struct fx *f, struct bot_outbox_counters *out)
{
    const char *name = NULL;
    assert_int_equal(bot_outbox_stats(f->ob, 0, &name, out), CORE_OK);
    assert_string_equal(name, "telegram");
    assert_int_equal(bot_outbox_stats(f->ob, 1, &name, out + 1), CORE_ENOTFOUND);
}

/* ---- delivery through failures ---- */

/* First message of each chat: 500, then 429 Retry-After: 1, then 200. Others: 500, then 200. */
static void fail_then_succeed(const char *key, int nth, struct http_stub_reply *reply)
{
    bool first = strstr(key, "-m0") != NULL;
    if (nth == 1) {
        *reply = http_stub_reply_text(500, "internal");
    } else if (nth == 2 && first) {
        *reply = http_stub_reply_text(429, "{\"ok\":false}");
        snprintf(reply->headers, sizeof reply->headers, "Retry-After: 1\r\n");
    }
}

struct arrival {
    char chat[32];
    char key[64];
    int status;
    uint64_t at_ms;
};

static int arrivals(struct fx *f, struct arrival *out, int max)
{
    int n = http_stub_request_count(f->stub);
    assert_true(n <= max);
    for (int i = 0; i < n; i++) {
        struct http_stub_request req;
        assert_true(http_stub_request_at(f->stub, i, &req));
        assert_true(http_stub_header(&req, "x-chat", out[i].chat, sizeof out[i].chat));
        assert_true(http_stub_header(&req, "idempotency-key", out[i].key, sizeof out[i].key));
        out[i].at_ms = req.at_ms;
        http_stub_lock(f->stub);
        out[i].status = f->script.status[i];
        http_stub_unlock(f->stub);
    }
    return n;
}

static void test_outbox_retries_deliver_each_key_once_in_chat_order(void **state)
{
    struct fx *f = *state;
    f->script.decide = fail_then_succeed;
    const char *chats[] = {"1001", "1002", "1003"};
    char key[64];
    for (int m = 0; m < 3; m++) {
        for (int c = 0; c < 3; c++) {
            snprintf(key, sizeof key, "%s-m%d", chats[c], m);
            enqueue(f, "telegram", chats[c], key, DB_OUTBOX_INTERACTIVE);
        }
    }
    open_outbox(f, false);
    assert_int_equal(bot_outbox_start(f->ob), CORE_OK);
    wait_counts(f, 9, 0);

    struct arrival *seen = calloc(MAX_SEEN, sizeof *seen);
    assert_non_null(seen);
    int n = arrivals(f, seen, MAX_SEEN);
    assert_int_equal(n, 9 + 9 + 3); /* every key fails once, first ones twice */
    for (int c = 0; c < 3; c++) {
        int next = 0; /* the message of this chat that may arrive */
        uint64_t throttled_at = 0;
        for (int i = 0; i < n; i++) {
            if (strcmp(seen[i].chat, chats[c]) != 0) {
                continue;
            }
            snprintf(key, sizeof key, "%s-m%d", chats[c], next);
            assert_string_equal(seen[i].key, key); /* never ahead of an unanswered one */
            if (seen[i].status == 429) {
                throttled_at = seen[i].at_ms;
            } else if (throttled_at) {
                assert_true(seen[i].at_ms >= throttled_at + 950); /* Retry-After honoured */
                throttled_at = 0;
            }
            if (seen[i].status == 200) {
                next++;
            }
        }
        assert_int_equal(next, 3); /* each key got exactly one 200 */
    }
    free(seen);
    struct bot_outbox_counters st[2];
    channel_stats(f, st);
    assert_int_equal(st[0].attempts, 21);
    assert_int_equal(st[0].sent, 9);
    assert_int_equal(st[0].retries, 12);
    assert_int_equal(st[0].dead, 0);
    assert_int_equal(bot_outbox_in_flight(f->ob), 0);
    assert_null(strstr(f->logs, "TOKEN"));
}

static void test_outbox_interactive_goes_before_bulk(void **state)
{
    struct fx *f = *state;
    f->cfg.outbox.max_in_flight = 1;
    enqueue(f, "telegram", "2001", "bulk-1", DB_OUTBOX_BULK);
    enqueue(f, "telegram", "2002", "bulk-2", DB_OUTBOX_BULK);
    enqueue(f, "telegram", "2003", "bulk-3", DB_OUTBOX_BULK);
    enqueue(f, "telegram", "2004", "interactive-1", DB_OUTBOX_INTERACTIVE);
    enqueue(f, "telegram", "2005", "interactive-2", DB_OUTBOX_INTERACTIVE);
    open_outbox(f, false);
    assert_int_equal(bot_outbox_start(f->ob), CORE_OK);
    wait_counts(f, 5, 0);
    struct arrival seen[8];
    assert_int_equal(arrivals(f, seen, 8), 5);
    const char *expected[] = {"interactive-1", "interactive-2", "bulk-1", "bulk-2", "bulk-3"};
    for (int i = 0; i < 5; i++) {
        assert_string_equal(seen[i].key, expected[i]);
    }
}

static void slow_ok(const char *key, int nth, struct http_stub_reply *reply)
{
    (void)key;
    (void)nth;
    reply->delay_ms = 200;
}

static void test_outbox_never_exceeds_max_in_flight(void **state)
{
    struct fx *f = *state;
    f->script.decide = slow_ok;
    f->cfg.outbox.max_in_flight = 2;
    char chat[16];
    char key[16];
    for (int i = 0; i < 6; i++) {
        snprintf(chat, sizeof chat, "21%02d", i);
        snprintf(key, sizeof key, "f-%d", i);
        enqueue(f, "telegram", chat, key, DB_OUTBOX_INTERACTIVE);
    }
    open_outbox(f, false);
    assert_int_equal(bot_outbox_start(f->ob), CORE_OK);
    wait_counts(f, 6, 0);
    struct arrival seen[8];
    int n = arrivals(f, seen, 8);
    assert_int_equal(n, 6);
    /* A request is open at the stub for 200 ms; a new one only leaves when a slot frees, so no
     * arrival may find two others still open (190: millisecond truncation of both stamps). */
    for (int j = 0; j < n; j++) {
        int open = 0;
        for (int i = 0; i < n; i++) {
            open += seen[i].at_ms <= seen[j].at_ms && seen[j].at_ms < seen[i].at_ms + 190;
        }
        assert_true(open <= 2);
    }
    assert_true(seen[2].at_ms >= seen[0].at_ms + 190); /* the third waited for a free slot */
}

/* ---- dead letters ---- */

static void doomed(const char *key, int nth, struct http_stub_reply *reply)
{
    (void)nth;
    if (strcmp(key, "x-1") == 0) {
        *reply = http_stub_reply_text(500, "boom\x01");
    } else if (strcmp(key, "y-1") == 0) {
        *reply = http_stub_reply_text(403, "Forbidden: bot was blocked by the user");
    }
}

static void test_outbox_dead_letters_keep_reason_and_unblock_chat(void **state)
{
    struct fx *f = *state;
    f->script.decide = doomed;
    f->cfg.outbox.max_attempts = 3;
    enqueue(f, "telegram", "+77011234567", "x-1", DB_OUTBOX_INTERACTIVE);
    enqueue(f, "telegram", "+77011234567", "x-2", DB_OUTBOX_INTERACTIVE);
    enqueue(f, "telegram", "3002", "y-1", DB_OUTBOX_INTERACTIVE);
    enqueue(f, "telegram", "3002", "y-2", DB_OUTBOX_INTERACTIVE);
    open_outbox(f, false);
    assert_int_equal(bot_outbox_start(f->ob), CORE_OK);
    wait_counts(f, 2, 2);

    int64_t id = 0;
    struct db_outbox_info info;
    assert_int_equal(db_outbox_find_by_key(f->db, "x-1", &id), CORE_OK);
    assert_int_equal(db_outbox_find(f->db, id, &info), CORE_OK);
    assert_string_equal(info.status, "dead");
    assert_int_equal(info.attempts, 3);
    assert_string_equal(info.last_error, "HTTP 500: boom?");
    char line[128];
    snprintf(line, sizeof line, "outbox.dead channel=telegram id=%lld attempts=3", (long long)id);
    assert_non_null(strstr(f->logs, line));
    assert_int_equal(db_outbox_find_by_key(f->db, "y-1", &id), CORE_OK);
    assert_int_equal(db_outbox_find(f->db, id, &info), CORE_OK);
    assert_string_equal(info.status, "dead");
    assert_int_equal(info.attempts, 1);
    assert_string_equal(info.last_error, "HTTP 403: Forbidden: bot was blocked by the user");
    assert_int_equal(db_outbox_find_by_key(f->db, "x-2", &id), CORE_OK);
    assert_int_equal(db_outbox_find(f->db, id, &info), CORE_OK);
    assert_string_equal(info.status, "sent");

    struct arrival seen[16];
    int n = arrivals(f, seen, 16);
    assert_int_equal(n, 3 + 1 + 1 + 1);
    struct bot_outbox_counters st[2];
    channel_stats(f, st);
    assert_int_equal(st[0].dead, 2);
    assert_int_equal(st[0].sent, 2);
    assert_int_equal(st[0].retries, 2);
    /* never the recipient or the payload in a log line */
    assert_null(strstr(f->logs, "7011234567"));
    assert_null(strstr(f->logs, "message x-1"));
}

static int render_picky(void *ctx, const struct bot_outbox_msg *msg, struct bot_http_call *out)
{
    if (strcmp(msg->idem_key, "bad-render") == 0) {
        return CORE_EBADINPUT; /* e.g. a payload the channel cannot express */
    }
    return render_json(ctx, msg, out);
}

static void test_outbox_unreadable_rows_are_dead_lettered(void **state)
{
    struct fx *f = *state;
    /* A row sealed under another key (a restored backup with the wrong key file). */
    char other_key[128];
    snprintf(other_key, sizeof other_key, "%s/other.key", f->dir);
    struct bot_crypto *other = NULL;
    assert_int_equal(bot_crypto_open(other_key, true, &other), CORE_OK);
    struct bot_outbox_item item = {
        .channel = "telegram",
        .recipient = "8001",
        .payload = "{}",
        .payload_len = 2,
        .idem_key = "foreign",
    };
    assert_int_equal(bot_outbox_enqueue(f->db, other, &item, bot_outbox_wall_ms(), NULL), CORE_OK);
    bot_crypto_close(other);
    unlink(other_key);
    enqueue(f, "telegram", "8002", "bad-render", DB_OUTBOX_INTERACTIVE);
    enqueue(f, "telegram", "8002", "after-bad", DB_OUTBOX_INTERACTIVE);
    struct bot_outbox_deps deps = {
        .loop = &f->loop, .db = f->db, .crypto = f->crypto, .http = f->http, .cfg = &f->cfg};
    assert_int_equal(bot_outbox_open(&deps, &f->ob), CORE_OK);
    struct bot_outbox_sender s = {.channel = "telegram", .ctx = f, .render = render_picky};
    assert_int_equal(bot_outbox_register(f->ob, &s), CORE_OK);
    assert_int_equal(bot_outbox_start(f->ob), CORE_OK);
    wait_counts(f, 1, 2);
    int64_t id = 0;
    struct db_outbox_info info;
    assert_int_equal(db_outbox_find_by_key(f->db, "foreign", &id), CORE_OK);
    assert_int_equal(db_outbox_find(f->db, id, &info), CORE_OK);
    assert_string_equal(info.status, "dead");
    assert_non_null(strstr(info.last_error, "unseal"));
    assert_int_equal(db_outbox_find_by_key(f->db, "bad-render", &id), CORE_OK);
    assert_int_equal(db_outbox_find(f->db, id, &info), CORE_OK);
    assert_string_equal(info.status, "dead");
    assert_string_equal(info.last_error, "render: bad input");
    assert_int_equal(http_stub_request_count(f->stub), 1); /* only after-bad went out */
}

/* ---- channel pause ---- */

static void throttle_first(const char *key, int nth, struct http_stub_reply *reply)
{
    if (strcmp(key, "p-1") == 0 && nth == 1) {
        *reply = http_stub_reply_text(429, "{\"ok\":false,\"parameters\":{\"retry_after\":1}}");
        snprintf(reply->headers, sizeof reply->headers, "Retry-After: 1\r\n");
    }
}

static void test_outbox_pause_holds_the_whole_channel(void **state)
{
    struct fx *f = *state;
    f->script.decide = throttle_first;
    f->cfg.outbox.max_in_flight = 1;
    enqueue(f, "telegram", "4001", "p-1", DB_OUTBOX_INTERACTIVE);
    enqueue(f, "telegram", "4002", "p-2", DB_OUTBOX_INTERACTIVE);
    enqueue(f, "telegram", "4003", "p-3", DB_OUTBOX_INTERACTIVE);
    open_outbox(f, true);
    assert_int_equal(bot_outbox_start(f->ob), CORE_OK);
    wait_counts(f, 3, 0);
    struct arrival seen[8];
    assert_int_equal(arrivals(f, seen, 8), 4);
    assert_string_equal(seen[0].key, "p-1");
    assert_int_equal(seen[0].status, 429);
    /* other chats waited for the pause too, though they were due */
    assert_true(seen[1].at_ms >= seen[0].at_ms + 950);
    assert_non_null(strstr(f->logs, "outbox.pause channel=telegram"));
}

/* ---- recovery ---- */

static bool contains(const unsigned char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(hay + i, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

static void test_outbox_sending_rows_are_recovered_at_start(void **state)
{
    struct fx *f = *state;
    enqueue(f, "telegram", "5001", "r-1", DB_OUTBOX_INTERACTIVE);
    enqueue(f, "telegram", "5002", "r-2", DB_OUTBOX_BULK);
    /* A previous run claimed both and died before any answer. */
    struct db_outbox_filter filter = {.now_ms = bot_outbox_wall_ms(), .n_channels = 1};
    filter.channels[0] = "telegram";
    struct db_outbox_row rows[4];
    size_t n = 0;
    assert_int_equal(db_outbox_claim(f->db, &filter, rows, 4, &n), CORE_OK);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        /* sealed at rest: no clear recipient or payload in the row */
        assert_false(contains(rows[i].recipient_enc, rows[i].recipient_len, "500"));
        assert_false(contains(rows[i].payload_enc, rows[i].payload_len, "message"));
        db_outbox_row_cleanup(&rows[i]);
    }
    open_outbox(f, false);
    assert_int_equal(bot_outbox_start(f->ob), CORE_OK);
    assert_int_equal(bot_outbox_start(f->ob), CORE_ESTATE);
    wait_counts(f, 2, 0);
    assert_int_equal(http_stub_request_count(f->stub), 2);
    assert_non_null(strstr(f->logs, "outbox.recovered rows=2"));
}

static bool row_gone(void *ctx)
{
    struct fx *f = ctx;
    int64_t id = 0;
    return db_outbox_find_by_key(f->db, "old-1", &id) == CORE_ENOTFOUND;
}

static void test_outbox_prunes_old_sent_rows(void **state)
{
    struct fx *f = *state;
    enqueue(f, "telegram", "5101", "old-1", DB_OUTBOX_INTERACTIVE);
    enqueue(f, "telegram", "5102", "new-1", DB_OUTBOX_INTERACTIVE);
    struct db_outbox_filter filter = {.now_ms = bot_outbox_wall_ms(), .n_channels = 1};
    filter.channels[0] = "telegram";
    struct db_outbox_row rows[4];
    size_t n = 0;
    assert_int_equal(db_outbox_claim(f->db, &filter, rows, 4, &n), CORE_OK);
    assert_int_equal(n, 2);
    int64_t now = bot_outbox_wall_ms();
    assert_int_equal(db_outbox_mark_sent(f->db, rows[0].id, now - BOT_OUTBOX_SENT_RETENTION_MS - 1),
                     CORE_OK);
    assert_int_equal(db_outbox_mark_sent(f->db, rows[1].id, now - 1000), CORE_OK);
    db_outbox_row_cleanup(&rows[0]);
    db_outbox_row_cleanup(&rows[1]);
    open_outbox(f, false);
    assert_int_equal(bot_outbox_start(f->ob), CORE_OK);
    assert_true(http_stub_run_until(&f->loop, row_gone, f, WAIT_MS));
    int64_t id = 0;
    assert_int_equal(db_outbox_find_by_key(f->db, "new-1", &id), CORE_OK);
    assert_non_null(strstr(f->logs, "outbox.pruned rows=1"));
}

/* ---- local sender ---- */

struct local_log {
    char lines[16][128];
    int n;
    int fail_first; /* CORE_EIO on the first call for key "l-2" */
};

static int deliver_local(void *ctx, const struct bot_outbox_msg *msg)
{
    struct local_log *log = ctx;
    if (strcmp(msg->idem_key, "l-bad") == 0) {
        return CORE_EBADINPUT;
    }
    if (strcmp(msg->idem_key, "l-2") == 0 && log->fail_first) {
        log->fail_first = 0;
        return CORE_EIO;
    }
    if (log->n < 16) {
        snprintf(log->lines[log->n++], sizeof log->lines[0], "%s|%s|%d", msg->recipient,
                 msg->payload, msg->attempt);
    }
    return CORE_OK;
}

static void test_outbox_local_sender_delivers_in_order(void **state)
{
    struct fx *f = *state;
    struct local_log log = {.fail_first = 1};
    struct bot_outbox_deps deps = {
        .loop = &f->loop, .db = f->db, .crypto = f->crypto, .cfg = &f->cfg};
    assert_int_equal(bot_outbox_open(&deps, &f->ob), CORE_OK);
    struct bot_outbox_sender bad = {.channel = "console", .ctx = &log};
    assert_int_equal(bot_outbox_register(f->ob, &bad), CORE_EINVAL);
    struct bot_outbox_sender s = {
        .channel = "console", .ctx = &log, .deliver_local = deliver_local};
    assert_int_equal(bot_outbox_register(f->ob, &s), CORE_OK);
    assert_int_equal(bot_outbox_start(f->ob), CORE_OK);
    enqueue(f, "console", "tty", "l-1", DB_OUTBOX_INTERACTIVE);
    enqueue(f, "console", "tty", "l-2", DB_OUTBOX_INTERACTIVE);
    enqueue(f, "console", "tty", "l-bad", DB_OUTBOX_INTERACTIVE);
    enqueue(f, "console", "tty", "l-3", DB_OUTBOX_INTERACTIVE);
    bot_outbox_kick(f->ob);
    wait_counts(f, 3, 1);
    assert_int_equal(log.n, 3);
    assert_string_equal(log.lines[0], "tty|{\"text\":\"message l-1\"}|1");
    assert_string_equal(log.lines[1], "tty|{\"text\":\"message l-2\"}|2");
    assert_string_equal(log.lines[2], "tty|{\"text\":\"message l-3\"}|1");
    struct bot_outbox_counters c;
    assert_int_equal(bot_outbox_stats(f->ob, 0, NULL, &c), CORE_OK);
    assert_int_equal(c.attempts, 5);
    assert_int_equal(c.retries, 1);
    assert_int_equal(c.dead, 1);
    assert_int_equal(http_stub_request_count(f->stub), 0);
}

/* ---- close with messages in flight ---- */

static void hang(const char *key, int nth, struct http_stub_reply *reply)
{
    (void)key;
    if (nth == 1) {
        reply->delay_ms = 20000;
    }
}

static bool stub_has_two(void *ctx)
{
    return http_stub_request_count(ctx) >= 2;
}

static void test_outbox_close_in_flight_releases_rows_for_resend(void **state)
{
    struct fx *f = *state;
    f->script.decide = hang;
    enqueue(f, "telegram", "6001", "h-1", DB_OUTBOX_INTERACTIVE);
    enqueue(f, "telegram", "6002", "h-2", DB_OUTBOX_INTERACTIVE);
    open_outbox(f, false);
    assert_int_equal(bot_outbox_start(f->ob), CORE_OK);
    assert_true(http_stub_run_until(&f->loop, stub_has_two, f->stub, WAIT_MS));
    assert_int_equal(bot_outbox_in_flight(f->ob), 2);
    close_outbox(f);
    struct db_outbox_counts c;
    assert_int_equal(db_outbox_counts(f->db, &c), CORE_OK);
    assert_int_equal(c.pending, 2);
    assert_int_equal(c.sending, 0);
    /* The HTTP client's late answers reach orphaned flights only; then a new run resends. */
    bot_http_client_cancel_all(f->http);
    open_outbox(f, false);
    assert_int_equal(bot_outbox_start(f->ob), CORE_OK);
    wait_counts(f, 2, 0);
    assert_int_equal(http_stub_request_count(f->stub), 4); /* at least once: answers were lost */
}

static void test_outbox_cancelled_requests_cost_no_attempt(void **state)
{
    struct fx *f = *state;
    f->script.decide = hang;
    enqueue(f, "telegram", "6101", "c-1", DB_OUTBOX_INTERACTIVE);
    enqueue(f, "telegram", "6102", "c-2", DB_OUTBOX_INTERACTIVE);
    open_outbox(f, false);
    assert_int_equal(bot_outbox_start(f->ob), CORE_OK);
    assert_true(http_stub_run_until(&f->loop, stub_has_two, f->stub, WAIT_MS));
    bot_http_client_cancel_all(f->http); /* answers come back cancelled */
    assert_int_equal(bot_outbox_in_flight(f->ob), 0);
    struct db_outbox_counts c;
    assert_int_equal(db_outbox_counts(f->db, &c), CORE_OK);
    assert_int_equal(c.pending, 2);
    wait_counts(f, 2, 0); /* claimed again and sent (the stub answers second tries at once) */
    int64_t id = 0;
    struct db_outbox_info info;
    assert_int_equal(db_outbox_find_by_key(f->db, "c-1", &id), CORE_OK);
    assert_int_equal(db_outbox_find(f->db, id, &info), CORE_OK);
    assert_int_equal(info.attempts, 0);
    struct bot_outbox_counters st[2];
    channel_stats(f, st);
    assert_int_equal(st[0].attempts, 2);
    assert_int_equal(st[0].retries, 0);
    assert_int_equal(st[0].sent, 2);
    assert_int_equal(http_stub_request_count(f->stub), 4);
}

/* ---- enqueue ---- */

static void test_outbox_enqueue_duplicate_and_bad_items(void **state)
{
    struct fx *f = *state;
    enqueue(f, "telegram", "7001", "dup", DB_OUTBOX_INTERACTIVE);
    struct bot_outbox_item item = {
        .channel = "telegram",
        .recipient = "7001",
        .payload = "x",
        .payload_len = 1,
        .idem_key = "dup",
    };
    assert_int_equal(bot_outbox_enqueue(f->db, f->crypto, &item, 1, NULL), CORE_EEXIST);
    item.idem_key = "fresh";
    item.recipient = "";
    assert_int_equal(bot_outbox_enqueue(f->db, f->crypto, &item, 1, NULL), CORE_EINVAL);
    item.recipient = "7001";
    item.payload_len = 0;
    assert_int_equal(bot_outbox_enqueue(f->db, f->crypto, &item, 1, NULL), CORE_EINVAL);
    int64_t depth = 0;
    assert_int_equal(db_outbox_depth(f->db, &depth), CORE_OK);
    assert_int_equal(depth, 1);
}

/* ---- pure helpers ---- */

static struct bot_http_response response(int err, long status, const char *body)
{
    struct bot_http_response r = {
        .err = err,
        .status = status,
        .error = err == CORE_OK ? "" : "Failed to connect to 127.0.0.1 port 9",
        .body = body,
        .body_len = strlen(body),
        .label = "t",
    };
    return r;
}

static void test_outbox_classify_default_verdicts(void **state)
{
    (void)state;
    struct bot_send_result r;
    struct bot_http_response resp = response(CORE_OK, 200, "{}");
    bot_outbox_classify_default(NULL, &resp, &r);
    assert_int_equal(r.verdict, BOT_SEND_SENT);
    resp = response(CORE_ETOOBIG, 204, "");
    bot_outbox_classify_default(NULL, &resp, &r);
    assert_int_equal(r.verdict, BOT_SEND_SENT);
    resp = response(CORE_OK, 503, "busy");
    bot_outbox_classify_default(NULL, &resp, &r);
    assert_int_equal(r.verdict, BOT_SEND_RETRY);
    assert_string_equal(r.reason, "HTTP 503: busy");
    resp = response(CORE_OK, 429, "slow"); /* no Retry-After header */
    bot_outbox_classify_default(NULL, &resp, &r);
    assert_int_equal(r.verdict, BOT_SEND_RETRY);
    resp = response(CORE_ETIMEOUT, 0, "");
    bot_outbox_classify_default(NULL, &resp, &r);
    assert_int_equal(r.verdict, BOT_SEND_RETRY);
    resp = response(CORE_ENET, 0, "");
    bot_outbox_classify_default(NULL, &resp, &r);
    assert_int_equal(r.verdict, BOT_SEND_RETRY);
    assert_non_null(strstr(r.reason, "Failed to connect"));
    char body[400];
    memset(body, 'e', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    body[3] = '\n';
    resp = response(CORE_OK, 400, body);
    bot_outbox_classify_default(NULL, &resp, &r);
    assert_int_equal(r.verdict, BOT_SEND_DEAD);
    assert_int_equal(strlen(r.reason), strlen("HTTP 400: ") + 200);
    assert_memory_equal(r.reason, "HTTP 400: eee?eee", 17);
    resp = response(CORE_OK, 408, "");
    bot_outbox_classify_default(NULL, &resp, &r);
    assert_int_equal(r.verdict, BOT_SEND_RETRY);
}

static void test_outbox_parse_retry_after(void **state)
{
    (void)state;
    int delay = -1;
    int64_t now = bot_outbox_wall_ms();
    assert_int_equal(bot_outbox_parse_retry_after("5", now, &delay), CORE_OK);
    assert_int_equal(delay, 5000);
    assert_int_equal(bot_outbox_parse_retry_after(" 12 ", now, &delay), CORE_OK);
    assert_int_equal(delay, 12000);
    assert_int_equal(bot_outbox_parse_retry_after("99999999999", now, &delay), CORE_OK);
    assert_int_equal(delay, BOT_OUTBOX_MAX_DELAY_MS);
    time_t later = (time_t)(now / 1000) + 30;
    struct tm tm;
    gmtime_r(&later, &tm);
    char date[64];
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    assert_int_equal(bot_outbox_parse_retry_after(date, now, &delay), CORE_OK);
    assert_true(delay > 28000 && delay <= 30000);
    assert_int_equal(bot_outbox_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now, &delay),
                     CORE_OK);
    assert_int_equal(delay, 0);
    assert_int_equal(bot_outbox_parse_retry_after("soon", now, &delay), CORE_EBADINPUT);
    assert_int_equal(bot_outbox_parse_retry_after("-5", now, &delay), CORE_EBADINPUT);
    assert_int_equal(bot_outbox_parse_retry_after("", now, &delay), CORE_EBADINPUT);
    assert_int_equal(bot_outbox_parse_retry_after(NULL, now, &delay), CORE_EBADINPUT);
}

static void test_outbox_sanitize_masks_numbers_and_controls(void **state)
{
    (void)state;
    char out[64];
    const char *text = "chat +77011234567 not found\r\n[code 400]";
    bot_outbox_sanitize(text, strlen(text), 200, out, sizeof out);
    assert_string_equal(out, "chat +########### not found?"
                             "?[code 400]");
    bot_outbox_sanitize("abcdef", 6, 3, out, sizeof out);
    assert_string_equal(out, "abc");
}

static void test_outbox_backoff_is_capped_full_jitter(void **state)
{
    struct fx *f = *state; /* crypto is open: the RNG is initialised */
    (void)f;
    int seen_high = 0;
    for (int i = 0; i < 2000; i++) {
        int n = 1 + i % 10;
        int cap = 10 << (n - 1);
        cap = cap > 300 ? 300 : cap;
        int d = bot_outbox_backoff_ms(n, 10, 300);
        assert_true(d >= 0 && d <= cap);
        seen_high = seen_high || d > 150;
    }
    assert_true(seen_high); /* grows past the base */
    assert_int_equal(bot_outbox_backoff_ms(1000, 10, 300) <= 300, 1);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_outbox_retries_deliver_each_key_once_in_chat_order),
        T(test_outbox_interactive_goes_before_bulk),
        T(test_outbox_never_exceeds_max_in_flight),
        T(test_outbox_dead_letters_keep_reason_and_unblock_chat),
        T(test_outbox_unreadable_rows_are_dead_lettered),
        T(test_outbox_pause_holds_the_whole_channel),
        T(test_outbox_sending_rows_are_recovered_at_start),
        T(test_outbox_prunes_old_sent_rows),
        T(test_outbox_local_sender_delivers_in_order),
        T(test_outbox_close_in_flight_releases_rows_for_resend),
        T(test_outbox_cancelled_requests_cost_no_attempt),
        T(test_outbox_enqueue_duplicate_and_bad_items),
        cmocka_unit_test(test_outbox_classify_default_verdicts),
        cmocka_unit_test(test_outbox_parse_retry_after),
        cmocka_unit_test(test_outbox_sanitize_masks_numbers_and_controls),
        T(test_outbox_backoff_is_capped_full_jitter),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
