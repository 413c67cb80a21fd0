/* SPDX-License-Identifier: MIT
 * Telegram long polling on the loop: getUpdates through the HTTP client; each update goes
 * through the webhook's ingest (commit to the inbox, dedupe on update_id); only then does the
 * offset move past it, and the offset is persisted, so a restart neither loses nor replays.
 * Errors back off exponentially; an early empty answer (a server that ignores `timeout`) waits
 * poll_interval_ms before the next call. One request at a time. */
#include "bot/telegram.h"

#define LOG_MODULE "telegram.poll"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/telegram.h"
#include "core/log.h"
#include "db/meta.h"

#define BACKOFF_MIN_MS     1000
#define BACKOFF_MAX_MS     30000
#define HTTP_SLACK_MS      15000             /* beyond the long-poll hold */
#define MAX_RESPONSE_BYTES (8 * 1024 * 1024) /* 100 updates of the largest kind, with room */

struct bot_telegram_poller {
    struct bot_telegram_poller_deps deps;
    uv_timer_t timer;
    int64_t offset;
    uint64_t stored;
    int backoff_ms;
    uint64_t sent_at; /* uv_now of the request in flight */
    bool in_flight;
    bool one_at_a_time; /* an answer could not be read: ask for single updates to find it */
    bool started;
    bool closing;
    bool timer_closed;
};

struct walk {
    struct bot_telegram_poller *p;
    int64_t committed; /* highest update_id committed so far, -1 none */
    int failed;        /* the ingest's error, when the database refused */
};

static void on_timer(uv_timer_t *timer);

static void schedule(struct bot_telegram_poller *p, uint64_t delay_ms)
{
    if (!p->closing) {
        uv_timer_start(&p->timer, on_timer, delay_ms, 0);
    }
}

static void back_off(struct bot_telegram_poller *p, const char *why, long status)
{
    p->backoff_ms = p->backoff_ms == 0 ? BACKOFF_MIN_MS : p->backoff_ms * 2;
    if (p->backoff_ms > BACKOFF_MAX_MS) {
        p->backoff_ms = BACKOFF_MAX_MS;
    }
    if (status == 409) {
        LOG_ERROR("conflict", "status=409 note=\"a webhook is set or another poller runs on this "
                              "token: run `tabelbot telegram delete-webhook`\"");
    } else {
        LOG_WARN("failed", "why=%s status=%ld retry_in_ms=%d", why, status, p->backoff_ms);
    }
    schedule(p, (uint64_t)p->backoff_ms);
}

static void persist_offset(struct bot_telegram_poller *p)
{
    char text[32];
    snprintf(text, sizeof text, "%" PRId64, p->offset);
    int rc = db_meta_set(p->deps.db, BOT_TELEGRAM_OFFSET_KEY, text);
    if (rc != CORE_OK) {
        /* The updates are committed; a replay after a restart is deduplicated by the inbox. */
        LOG_ERROR("offset_not_saved", "err=%s db=\"%s\"", core_strerror(rc),
                  db_last_error(p->deps.db));
    }
}

static int ingest_one(void *ctx, const char *update, size_t len, int64_t update_id)
{
    struct walk *w = ctx;
    enum bot_webhook_outcome outcome = BOT_WEBHOOK_REJECTED;
    const char *reason = "";
    int rc = bot_webhook_ingest_telegram(w->p->deps.ingest, update, len, &outcome, &reason);
    if (rc != CORE_OK) {
        w->failed = rc;
        return rc; /* stop: the offset must not pass an update the inbox did not take */
    }
    if (outcome == BOT_WEBHOOK_STORED) {
        w->p->stored++;
    } else if (outcome == BOT_WEBHOOK_REJECTED) {
        LOG_INFO("rejected", "reason=\"%s\"", reason); /* cannot ever be stored: skip it */
    }
    if (update_id > w->committed) {
        w->committed = update_id;
    }
    return 0;
}

/* An answer that cannot be read as a whole must not stop every parent's updates for ever:
 * the poller asks again one update at a time, and a single update that still cannot be read
 * is named by a plain scan, logged and skipped. Returns true when it moved the offset. */
static bool skip_unreadable(struct bot_telegram_poller *p, const struct bot_http_response *resp)
{
    if (!p->one_at_a_time) {
        p->one_at_a_time = true;
        LOG_WARN("unreadable_answer", "note=\"asking for one update at a time to find it\"");
        return false;
    }
    int64_t id = 0;
    if (!ad_telegram_scan_update_id(resp->body, resp->body_len, &id) || id < p->offset) {
        return false;
    }
    LOG_ERROR("skipped_update",
              "update_id=%" PRId64 " note=\"Telegram sent an update that "
              "cannot be read; it was skipped\"",
              id);
    p->offset = id + 1;
    persist_offset(p);
    return true;
}

/* Commits every update of a successful answer; false when nothing new came. */
static bool take_updates(struct bot_telegram_poller *p, const struct bot_http_response *resp)
{
    struct walk w = {.p = p, .committed = -1, .failed = CORE_OK};
    int rc = ad_telegram_each_update(resp->body, resp->body_len, ingest_one, &w, NULL);
    if (w.committed >= 0 && w.committed + 1 > p->offset) {
        p->offset = w.committed + 1;
        persist_offset(p);
    }
    if (w.failed == CORE_OK && rc == CORE_EBADINPUT && w.committed < 0 &&
        skip_unreadable(p, resp)) {
        p->backoff_ms = 0;
        return true;
    }
    if (w.failed != CORE_OK || (rc != CORE_OK && rc != w.failed)) {
        back_off(p, w.failed != CORE_OK ? "inbox" : "answer", resp->status);
        return true;
    }
    p->one_at_a_time = false;
    p->backoff_ms = 0;
    return w.committed >= 0;
}

static void on_done(void *ctx, const struct bot_http_response *resp)
{
    struct bot_telegram_poller *p = ctx;
    p->in_flight = false;
    if (p->closing) {
        if (p->timer_closed) {
            free(p);
        }
        return;
    }
    if (resp->err != CORE_OK || resp->status != 200) {
        back_off(p, resp->err != CORE_OK ? core_strerror(resp->err) : "status", resp->status);
        return;
    }
    bool got = take_updates(p, resp);
    if (p->backoff_ms > 0) {
        return; /* already scheduled by back_off */
    }
    /* An empty answer well before the hold ran out (or a short poll) means the server does not
     * hold requests: pause before asking again instead of spinning. */
    uint64_t took = uv_now(p->deps.loop) - p->sent_at;
    uint64_t hold = (uint64_t)p->deps.cfg->telegram.poll_timeout_s * 1000;
    bool early = !got && (hold == 0 || took < hold / 2);
    schedule(p, early ? (uint64_t)p->deps.cfg->telegram.poll_interval_ms : 0);
}

static int submit(struct bot_telegram_poller *p)
{
    const struct bot_config *cfg = p->deps.cfg;
    struct bot_http_call call;
    bot_http_call_init(&call);
    char *body = NULL;
    size_t body_len = 0;
    char url[BOT_CFG_URL + BOT_CFG_STR + 64];
    int rc = ad_telegram_render_get_updates_limit(p->offset, cfg->telegram.poll_timeout_s,
                                                  p->one_at_a_time ? 1 : 0, &body, &body_len);
    if (rc == CORE_OK) {
        rc = bot_telegram_url(cfg, "getUpdates", url, sizeof url);
    }
    if (rc == CORE_OK) {
        rc = bot_http_call_set_url(&call, url);
    }
    if (rc == CORE_OK) {
        rc = bot_http_call_add_header(&call, "Content-Type", "application/json");
    }
    if (rc == CORE_OK) {
        rc = bot_http_call_set_body(&call, body, body_len);
    }
    if (rc == CORE_OK) {
        snprintf(call.method, sizeof call.method, "POST");
        snprintf(call.label, sizeof call.label, "telegram.getUpdates");
        call.timeout_ms = cfg->telegram.poll_timeout_s * 1000 + HTTP_SLACK_MS;
        call.max_response_bytes = MAX_RESPONSE_BYTES;
        rc = bot_http_submit(p->deps.http, &call, on_done, p);
    }
    memset(url, 0, sizeof url);
    free(body);
    bot_http_call_cleanup(&call);
    return rc;
}

static void on_timer(uv_timer_t *timer)
{
    struct bot_telegram_poller *p = timer->data;
    if (p->closing || p->in_flight) {
        return;
    }
    p->sent_at = uv_now(p->deps.loop);
    int rc = submit(p);
    if (rc != CORE_OK) {
        back_off(p, core_strerror(rc), 0);
        return;
    }
    p->in_flight = true;
}

int bot_telegram_poller_new(const struct bot_telegram_poller_deps *deps,
                            struct bot_telegram_poller **out)
{
    if (!deps || !deps->loop || !deps->cfg || !deps->db || !deps->http || !deps->ingest || !out) {
        return CORE_EINVAL;
    }
    struct bot_telegram_poller *p = calloc(1, sizeof *p);
    if (!p) {
        return CORE_ENOMEM;
    }
    p->deps = *deps;
    if (uv_timer_init(deps->loop, &p->timer) != 0) {
        free(p);
        return CORE_EIO;
    }
    p->timer.data = p;
    *out = p;
    return CORE_OK;
}

static int load_offset(struct bot_telegram_poller *p)
{
    char text[32];
    int rc = db_meta_get(p->deps.db, BOT_TELEGRAM_OFFSET_KEY, text, sizeof text);
    if (rc == CORE_ENOTFOUND) {
        p->offset = 0;
        return CORE_OK;
    }
    if (rc != CORE_OK) {
        return rc;
    }
    char *end = NULL;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end != '\0' || v < 0) {
        LOG_WARN("offset_unreadable", "note=\"starting from Telegram's oldest update; the inbox "
                                      "drops replays\"");
        v = 0;
    }
    p->offset = (int64_t)v;
    return CORE_OK;
}

int bot_telegram_poller_start(struct bot_telegram_poller *p)
{
    if (!p || p->closing || p->started) {
        return CORE_ESTATE;
    }
    int rc = load_offset(p);
    if (rc != CORE_OK) {
        return rc;
    }
    p->started = true;
    LOG_INFO("started", "offset=%" PRId64 " timeout_s=%d", p->offset,
             p->deps.cfg->telegram.poll_timeout_s);
    schedule(p, 0);
    return CORE_OK;
}

int64_t bot_telegram_poller_offset(const struct bot_telegram_poller *p)
{
    return p ? p->offset : 0;
}

uint64_t bot_telegram_poller_stored(const struct bot_telegram_poller *p)
{
    return p ? p->stored : 0;
}

static void on_timer_closed(uv_handle_t *handle)
{
    struct bot_telegram_poller *p = handle->data;
    p->timer_closed = true;
    if (!p->in_flight) {
        free(p);
    }
}

void bot_telegram_poller_close(struct bot_telegram_poller *p)
{
    if (!p || p->closing) {
        return;
    }
    p->closing = true;
    uv_timer_stop(&p->timer);
    uv_close((uv_handle_t *)&p->timer, on_timer_closed);
}
