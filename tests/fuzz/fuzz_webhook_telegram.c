/* SPDX-License-Identifier: MIT
 * Fuzz target for the whole Telegram webhook handler (bot/webhook.h) over a fresh in-memory
 * database per input. The first byte picks the authentication (right secret, with blanks,
 * missing, wrong, empty) and whether Telegram is enabled; the rest is the POST body.
 * Properties: an unauthenticated or disabled request stores nothing (401 / 404); an
 * authenticated one is answered exactly as the adapter judges the body: 400 for what
 * ad_telegram_parse_update rejects, 200 without a row for an ignored kind, 200 with exactly one
 * row (and one after-commit call) for the rest; the same body again is a 200 duplicate that
 * stores nothing; every answer is JSON; and no log line carries the chat id or the text. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/telegram.h"
#include "bot/webhook.h"
#include "core/log.h"
#include "db/db.h"
#include "db/inbox.h"
#include "fuzz_common.h"
#include "support/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECRET "fuzz-secret_Token-1"

static struct bot_crypto *g_crypto;
static char g_dir[160];
static struct core_buf g_logs;

static void capture(enum core_log_level level, const char *line, void *ctx)
{
    (void)level;
    (void)ctx;
    if (core_buf_append_str(&g_logs, line) != CORE_OK ||
        core_buf_append_str(&g_logs, "\n") != CORE_OK) {
        abort();
    }
}

static void cleanup(void)
{
    bot_crypto_close(g_crypto);
    tb_rmtree(g_dir);
    core_buf_cleanup(&g_logs);
}

static void setup_once(void)
{
    if (g_crypto) {
        return;
    }
    char key[256];
    CHECK(tb_tempdir(g_dir, sizeof g_dir) == 0);
    snprintf(key, sizeof key, "%s/data.key", g_dir);
    CHECK(bot_crypto_open(key, true, &g_crypto) == CORE_OK);
    core_buf_init(&g_logs, 0);
    core_log_set_level(CORE_LOG_DEBUG);
    core_log_set_sink(capture, NULL);
    atexit(cleanup);
}

struct fx {
    struct bot_config cfg;
    struct bot_clock clock;
    struct db *db;
    struct bot_webhook *webhook;
    int stored;
};

static void on_stored(void *ctx)
{
    ((struct fx *)ctx)->stored++;
}

static int64_t rows(struct fx *f)
{
    int64_t n = -1;
    CHECK(db_inbox_depth(f->db, &n, NULL) == CORE_OK);
    return n;
}

/* Calls the handler as the server does; returns the status and checks the body is JSON. */
static int call(struct fx *f, const char *secret, const char *body, size_t len)
{
    struct bot_http_header headers[2] = {{"Content-Type", "application/json"}, {NULL, NULL}};
    size_t n = 1;
    if (secret) {
        headers[n++] = (struct bot_http_header){"x-telegram-bot-api-secret-token", secret};
    }
    struct bot_http_request req = {.method = "POST",
                                   .path = "/webhook/telegram",
                                   .query = "",
                                   .param = "telegram",
                                   .route = "webhook",
                                   .remote_ip = "127.0.0.1",
                                   .headers = headers,
                                   .n_headers = n,
                                   .body = body,
                                   .body_len = len};
    struct bot_http_response res;
    memset(&res, 0, sizeof res);
    res.status = 200;
    core_buf_init(&res.body, BOT_HTTP_MAX_BODY_OUT);
    bot_webhook_handle(&req, &res, f->webhook);
    cJSON *json = cJSON_ParseWithLength(res.body.data ? res.body.data : "", res.body.len);
    CHECK(cJSON_IsObject(json));
    cJSON_Delete(json);
    core_buf_cleanup(&res.body);
    return res.status;
}

/* What the handler must have answered for an authenticated, enabled request. */
static void check_against_adapter(struct fx *f, const char *body, size_t len, int status)
{
    struct core_inbound in;
    struct ad_telegram_meta meta;
    int rc = ad_telegram_parse_update(body, len, &in, &meta);
    if (rc != CORE_OK) {
        CHECK(status == 400 && rows(f) == 0 && f->stored == 0);
        return;
    }
    CHECK(status == 200);
    int64_t want = meta.kind == AD_TG_IGNORED ? 0 : 1;
    CHECK(rows(f) == want && f->stored == want);
    /* The same update again: a duplicate, nothing more stored. */
    CHECK(call(f, SECRET, body, len) == 200);
    CHECK(rows(f) == want && f->stored == want);
    /* No personal data in the logs: neither the chat id nor the text. */
    CHECK(core_buf_append(&g_logs, "", 0) == CORE_OK); /* makes data non-NULL */
    if (strlen(in.user_id) >= 7) {
        CHECK(strstr(g_logs.data, in.user_id) == NULL);
    }
    if (strlen(in.text) >= 16) {
        CHECK(strstr(g_logs.data, in.text) == NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    setup_once();
    core_buf_reset(&g_logs);
    struct fx *f = calloc(1, sizeof *f);
    CHECK(f != NULL);
    bot_config_defaults(&f->cfg);
    f->cfg.telegram.enabled = (data[0] & 0x80) == 0;
    snprintf(f->cfg.telegram.secret_token, sizeof f->cfg.telegram.secret_token, SECRET);
    enum bot_clock_note note;
    char err[64];
    CHECK(bot_clock_init(&f->clock, false, NULL, &note, err, sizeof err) == CORE_OK);
    CHECK(db_open(":memory:", &f->db) == CORE_OK);
    CHECK(bot_webhook_new(&f->cfg, f->db, g_crypto, &f->clock, &f->webhook) == CORE_OK);
    bot_webhook_on_stored(f->webhook, on_stored, f);

    static const char *const secrets[] = {SECRET, " " SECRET "\t", NULL, SECRET "x", ""};
    const char *secret = secrets[(data[0] & 0x7f) % 5];
    bool authentic = secret && strstr(secret, SECRET) && strlen(secret) != strlen(SECRET "x");
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    int status = call(f, secret, body, len);
    if (!f->cfg.telegram.enabled) {
        CHECK(status == 404 && rows(f) == 0);
    } else if (!authentic) {
        CHECK(status == 401 && rows(f) == 0 && f->stored == 0);
    } else {
        check_against_adapter(f, body, len, status);
    }
    bot_webhook_free(f->webhook);
    db_close(f->db);
    free(f);
    return 0;
}
