/* SPDX-License-Identifier: MIT
 * Outbox throughput on one machine: enqueue (seal + insert, one transaction per message, as the
 * conversation code does), then dispatch over HTTP to the stub server on 127.0.0.1 (claim,
 * unseal, libcurl multi, settle) and through a local sender. File-backed sqlite in WAL mode.
 * Build and run (after building ./build):
 *   cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. -Itests \
 *      bench/outbox_bench.c tests/support/http_stub.c build/libtb_bot.a build/libtb_db.a \
 *      build/libtb_core.a -luv -lcurl -lsqlite3 -lsodium -lhttp_parser -lm -o /tmp/outbox_bench
 *   /tmp/outbox_bench [messages]
 * Prints one line per phase: messages and messages per second. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "bot/outbox.h"
#include "core/log.h"
#include "support/http_stub.h"

struct bench {
    uv_loop_t loop;
    struct db *db;
    struct bot_crypto *crypto;
    struct bot_config cfg;
    char url[128];
    long delivered;
};

static double seconds(void)
{
    return (double)uv_hrtime() / 1e9;
}

static int render(void *ctx, const struct bot_outbox_msg *msg, struct bot_http_call *out)
{
    struct bench *b = ctx;
    snprintf(out->method, sizeof out->method, "POST");
    int err = bot_http_call_set_url(out, b->url);
    if (err == CORE_OK) {
        err = bot_http_call_add_header(out, "Idempotency-Key", msg->idem_key);
    }
    return err == CORE_OK ? bot_http_call_set_body(out, msg->payload, msg->payload_len) : err;
}

static int deliver(void *ctx, const struct bot_outbox_msg *msg)
{
    struct bench *b = ctx;
    b->delivered += msg->payload_len > 0;
    return CORE_OK;
}

static void fill(struct bench *b, const char *channel, long n, const char *tag)
{
    double t0 = seconds();
    for (long i = 0; i < n; i++) {
        char chat[32];
        char key[64];
        char text[160];
        snprintf(chat, sizeof chat, "%ld", 100000 + i);
        snprintf(key, sizeof key, "%s-%ld", tag, i);
        snprintf(text, sizeof text, "{\"chat_id\":%ld,\"text\":\"Қараша айының табелі дайын\"}", i);
        struct bot_outbox_item item = {channel,      chat, text,
                                       strlen(text), key,  DB_OUTBOX_INTERACTIVE};
        if (db_begin(b->db) != CORE_OK ||
            bot_outbox_enqueue(b->db, b->crypto, &item, bot_outbox_wall_ms(), NULL) != CORE_OK ||
            db_commit(b->db) != CORE_OK) {
            fprintf(stderr, "enqueue failed\n");
            exit(1);
        }
    }
    double dt = seconds() - t0;
    printf("enqueue %-6s %6ld msgs %8.0f msg/s\n", channel, n, (double)n / dt);
}

static bool all_sent(void *ctx)
{
    struct bench *b = ctx;
    int64_t depth = 0;
    return db_outbox_depth(b->db, &depth) == CORE_OK && depth == 0;
}

static void drain(struct bench *b, struct bot_outbox *ob, long n, const char *what)
{
    double t0 = seconds();
    if (bot_outbox_start(ob) != CORE_OK || !http_stub_run_until(&b->loop, all_sent, b, 600000)) {
        fprintf(stderr, "dispatch did not finish\n");
        exit(1);
    }
    double dt = seconds() - t0;
    printf("dispatch %-5s %6ld msgs %8.0f msg/s\n", what, n, (double)n / dt);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 5000;
    struct bench b;
    memset(&b, 0, sizeof b);
    char dir[] = "/tmp/tb_outbox_bench_XXXXXX";
    char db_path[128];
    char key_path[128];
    if (!mkdtemp(dir)) {
        return 1;
    }
    snprintf(db_path, sizeof db_path, "%s/bench.db", dir);
    snprintf(key_path, sizeof key_path, "%s/bench.key", dir);
    core_log_set_level(CORE_LOG_ERROR);
    struct http_stub *stub = http_stub_start();
    struct bot_http_client *http = NULL;
    if (!stub || uv_loop_init(&b.loop) != 0 || db_open(db_path, &b.db) != CORE_OK ||
        bot_crypto_open(key_path, true, &b.crypto) != CORE_OK ||
        bot_http_client_open(&b.loop, NULL, &http) != CORE_OK) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    http_stub_url(stub, "/send", b.url, sizeof b.url);
    bot_config_defaults(&b.cfg);
    struct bot_outbox_deps deps = {
        .loop = &b.loop, .db = b.db, .crypto = b.crypto, .http = http, .cfg = &b.cfg};

    fill(&b, "http", n, "h");
    struct bot_outbox *ob = NULL;
    struct bot_outbox_sender hs = {.channel = "http", .ctx = &b, .render = render};
    if (bot_outbox_open(&deps, &ob) != CORE_OK || bot_outbox_register(ob, &hs) != CORE_OK) {
        return 1;
    }
    drain(&b, ob, n, "http");
    bot_outbox_close(ob);

    fill(&b, "local", n, "l");
    struct bot_outbox_sender ls = {.channel = "local", .ctx = &b, .deliver_local = deliver};
    if (bot_outbox_open(&deps, &ob) != CORE_OK || bot_outbox_register(ob, &ls) != CORE_OK) {
        return 1;
    }
    drain(&b, ob, n, "local");
    bot_outbox_close(ob);

    printf("stub requests %d, tcp connections %d\n", http_stub_request_count(stub),
           http_stub_connection_count(stub));
    bot_http_client_close(http);
    http_stub_drain(&b.loop, 10000);
    uv_loop_close(&b.loop);
    http_stub_stop(stub);
    db_close(b.db);
    bot_crypto_close(b.crypto);
    unlink(db_path);
    unlink(key_path);
    rmdir(dir);
    return 0;
}
