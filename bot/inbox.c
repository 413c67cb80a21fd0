/* SPDX-License-Identifier: MIT
 * The inbox processor: batch fetch, unseal, handler inside a transaction, retry bookkeeping. */
#include "bot/inbox.h"

#define LOG_MODULE "inbox"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "db/db.h"
#include "db/inbox.h"

#define METRIC_PROCESSED "tabelbot_inbox_processed_total"
#define BATCH_MAX        1024

struct bot_inbox {
    uv_loop_t *loop;
    struct db *db;
    const struct bot_crypto *crypto;
    const struct bot_clock *clock;
    struct bot_metrics *metrics;
    struct bot_inbox_options opt;
    bot_inbox_handler_fn handler;
    void *handler_ctx;
    bot_inbox_giveup_fn giveup;
    void *giveup_ctx;
    uv_timer_t work;  /* fires at 0 after a kick, and again while batches find rows */
    uv_timer_t sweep; /* periodic */
    struct db_inbox_row *rows;
    bool started;
    bool closing;
    int open_handles;
    uint64_t last_prune_ms; /* monotonic */
};

/* Handled rows are kept a week (far beyond any channel's re-delivery, Telegram's is 24 h, so
 * dedupe holds), then deleted a bounded batch at a time, once a minute. */
#define RETENTION_S      (7 * 86400)
#define PRUNE_EVERY_MS   60000
#define PRUNE_BATCH_ROWS 1000

void bot_inbox_options_default(struct bot_inbox_options *opt)
{
    opt->batch = 64;
    opt->max_attempts = 5;
    opt->base_backoff_ms = 1000;
    opt->max_backoff_ms = 60000;
    opt->sweep_ms = 1000;
    opt->budget_ms = 25;
}

int bot_inbox_new(uv_loop_t *loop,
                  struct db *db,
                  const struct bot_crypto *crypto,
                  const struct bot_clock *clock,
                  struct bot_metrics *metrics,
                  const struct bot_inbox_options *opt,
                  struct bot_inbox **out)
{
    struct bot_inbox *inbox = calloc(1, sizeof *inbox);
    if (!inbox) {
        return CORE_ENOMEM;
    }
    if (opt) {
        inbox->opt = *opt;
    } else {
        bot_inbox_options_default(&inbox->opt);
    }
    if (inbox->opt.batch == 0 || inbox->opt.batch > BATCH_MAX || inbox->opt.sweep_ms <= 0 ||
        inbox->opt.budget_ms <= 0 || inbox->opt.base_backoff_ms < 0 ||
        inbox->opt.max_backoff_ms < inbox->opt.base_backoff_ms) {
        free(inbox);
        return CORE_EINVAL;
    }
    inbox->rows = calloc(inbox->opt.batch, sizeof *inbox->rows);
    if (!inbox->rows) {
        free(inbox);
        return CORE_ENOMEM;
    }
    if (metrics) {
        static const char *const labels[] = {"result"};
        int err = bot_metrics_register_counter(metrics, METRIC_PROCESSED,
                                               "Inbox rows handled, by result.", labels, 1);
        if (err != CORE_OK) {
            free(inbox->rows);
            free(inbox);
            return err;
        }
    }
    inbox->loop = loop;
    inbox->db = db;
    inbox->crypto = crypto;
    inbox->clock = clock;
    inbox->metrics = metrics;
    uv_timer_init(loop, &inbox->work);
    uv_timer_init(loop, &inbox->sweep);
    inbox->work.data = inbox;
    inbox->sweep.data = inbox;
    inbox->open_handles = 2;
    *out = inbox;
    return CORE_OK;
}

void bot_inbox_set_giveup(struct bot_inbox *inbox, bot_inbox_giveup_fn giveup, void *ctx)
{
    inbox->giveup = giveup;
    inbox->giveup_ctx = ctx;
}

void bot_inbox_set_handler(struct bot_inbox *inbox, bot_inbox_handler_fn handler, void *ctx)
{
    inbox->handler = handler;
    inbox->handler_ctx = ctx;
}

static void count(struct bot_inbox *inbox, const char *result)
{
    if (!inbox->metrics) {
        return;
    }
    const char *values[] = {result};
    if (bot_metrics_counter_add(inbox->metrics, METRIC_PROCESSED, values, 1.0) != CORE_OK) {
        LOG_DEBUG("inbox.metric_dropped", "result=%s", result); /* metrics are best effort */
    }
}

static int64_t backoff_ms(const struct bot_inbox *inbox, int attempts)
{
    int64_t delay = inbox->opt.base_backoff_ms;
    for (int i = 1; i < attempts && delay < inbox->opt.max_backoff_ms; i++) {
        delay *= 2;
    }
    return delay < inbox->opt.max_backoff_ms ? delay : inbox->opt.max_backoff_ms;
}

/* The give-up hook in a transaction of its own; a failure is logged and dropped. */
static void run_giveup(struct bot_inbox *inbox, const struct bot_inbox_row *view)
{
    if (!inbox->giveup || !view) {
        return;
    }
    int err = db_begin(inbox->db);
    if (err == CORE_OK) {
        err = inbox->giveup(inbox->giveup_ctx, inbox->db, view, bot_clock_now_s(inbox->clock));
    }
    if (err == CORE_OK) {
        err = db_commit(inbox->db);
    }
    if (err != CORE_OK) {
        db_rollback(inbox->db);
        LOG_WARN("inbox.giveup_hook_failed", "id=%lld channel=%s err=%s", (long long)view->id,
                 view->channel, core_strerror(err));
    }
}

/* Counts a failed attempt in its own transaction; logs; gives up loudly at the limit, then
 * runs the give-up hook with view (NULL when the row could not be unsealed). */
static int record_failure(struct bot_inbox *inbox,
                          const struct db_inbox_row *row,
                          const struct bot_inbox_row *view,
                          int cause,
                          const char *what,
                          bool permanent)
{
    int64_t now_ms = bot_clock_now_ms(inbox->clock);
    int attempts = row->attempts + 1;
    char text[DB_INBOX_ERROR_MAX];
    snprintf(text, sizeof text, "%s: %s", what, core_strerror(cause));
    bool gave_up = false;
    int err = db_begin(inbox->db);
    if (err == CORE_OK) {
        err =
            db_inbox_mark_failure(inbox->db, row->id, text, permanent ? 1 : inbox->opt.max_attempts,
                                  now_ms + backoff_ms(inbox, attempts), now_ms / 1000, &gave_up);
    }
    if (err == CORE_OK) {
        err = db_commit(inbox->db);
    }
    if (err != CORE_OK) {
        db_rollback(inbox->db);
        LOG_ERROR("inbox.failure_not_recorded", "id=%lld channel=%s err=%s db=\"%s\"",
                  (long long)row->id, row->channel, core_strerror(err), db_last_error(inbox->db));
        return err;
    }
    if (gave_up) {
        count(inbox, "failed");
        LOG_ERROR("inbox.gave_up",
                  "id=%lld channel=%s attempts=%d cause=\"%s\" note=\"row set to failed; its "
                  "chat continues with the next update\"",
                  (long long)row->id, row->channel, attempts, text);
        run_giveup(inbox, view);
    } else {
        count(inbox, "retry");
        LOG_WARN("inbox.retry", "id=%lld channel=%s attempts=%d retry_in_ms=%lld cause=\"%s\"",
                 (long long)row->id, row->channel, attempts, (long long)backoff_ms(inbox, attempts),
                 text);
    }
    return CORE_OK;
}

/* The handler and the 'done' mark in one transaction. */
static int apply(struct bot_inbox *inbox, const struct bot_inbox_row *view, int *stage)
{
    *stage = 0;
    int err = db_begin(inbox->db);
    if (err != CORE_OK) {
        return err;
    }
    *stage = 1;
    int64_t now_s = bot_clock_now_s(inbox->clock);
    err = inbox->handler(inbox->handler_ctx, inbox->db, view, now_s);
    if (err == CORE_OK) {
        *stage = 2;
        err = db_inbox_mark_done(inbox->db, view->id, now_s);
    }
    if (err == CORE_OK) {
        *stage = 3;
        err = db_commit(inbox->db);
    }
    if (err != CORE_OK) {
        db_rollback(inbox->db);
    }
    return err;
}

/* Returns a db error that should stop the batch; handler failures are recorded, not returned. */
static int process_row(struct bot_inbox *inbox, const struct db_inbox_row *row)
{
    unsigned char *plain = NULL;
    size_t plain_len = 0;
    int err = bot_crypto_unseal(inbox->crypto, row->payload_enc, row->payload_len,
                                BOT_INBOX_PAYLOAD_AD, &plain, &plain_len);
    if (err == CORE_ENOMEM) {
        return err;
    }
    if (err != CORE_OK) {
        return record_failure(inbox, row, NULL, err, "unseal", true);
    }
    struct bot_inbox_row view = {
        .id = row->id,
        .channel = row->channel,
        .external_id = row->external_id,
        .chat_hash = row->chat_hash,
        .chat_hash_len = row->chat_hash_len,
        .payload = (const char *)plain,
        .payload_len = plain_len,
        .received_at = row->received_at,
        .attempts = row->attempts,
    };
    int stage = 0;
    err = apply(inbox, &view, &stage);
    if (err == CORE_OK) {
        free(plain);
        count(inbox, "done");
        LOG_DEBUG("inbox.done", "id=%lld channel=%s", (long long)row->id, row->channel);
        return CORE_OK;
    }
    int result = CORE_OK;
    if (stage == 0 || stage == 3 || err == CORE_EBUSY) {
        result = err; /* the database, not the update: stop and retry the batch later */
    } else if (stage != 2 || err != CORE_ESTATE) { /* ESTATE at 2: handled elsewhere already */
        result =
            record_failure(inbox, row, &view, err, stage == 1 ? "handler" : "mark_done", false);
    }
    free(plain);
    return result;
}

/* One batch; *more tells whether rows were fetched: the next rows of those chats, or rows
 * beyond a full batch, may be ready now. */
static int run_batch(struct bot_inbox *inbox, size_t *handled, bool *more)
{
    *handled = 0;
    *more = false;
    size_t n = 0;
    int err =
        db_inbox_next(inbox->db, bot_clock_now_ms(inbox->clock), inbox->rows, inbox->opt.batch, &n);
    uint64_t until = bot_clock_mono_ms() + (uint64_t)inbox->opt.budget_ms;
    for (size_t i = 0; err == CORE_OK && i < n; i++) {
        if (i > 0 && bot_clock_mono_ms() >= until) {
            break; /* keep the loop responsive; the rest stays 'new' for the next turn */
        }
        err = process_row(inbox, &inbox->rows[i]);
        *handled += err == CORE_OK;
    }
    db_inbox_rows_cleanup(inbox->rows, n);
    if (err != CORE_OK) {
        LOG_WARN("inbox.batch_stopped", "handled=%zu err=%s db=\"%s\"", *handled,
                 core_strerror(err), db_last_error(inbox->db));
    }
    *more = err == CORE_OK && n > 0;
    return err;
}

int bot_inbox_run_once(struct bot_inbox *inbox, size_t *processed)
{
    size_t handled = 0;
    bool more = false;
    int err = inbox->handler ? run_batch(inbox, &handled, &more) : CORE_ESTATE;
    if (processed) {
        *processed = handled;
    }
    return err;
}

static void on_work(uv_timer_t *timer)
{
    struct bot_inbox *inbox = timer->data;
    if (inbox->closing) {
        return;
    }
    size_t handled = 0;
    bool more = false;
    if (run_batch(inbox, &handled, &more) == CORE_OK && more) {
        uv_timer_start(&inbox->work, on_work, 0, 0); /* yield to the loop, then go on */
    }
}

static void prune(struct bot_inbox *inbox)
{
    uint64_t now = bot_clock_mono_ms();
    if (inbox->last_prune_ms != 0 && now - inbox->last_prune_ms < PRUNE_EVERY_MS) {
        return;
    }
    inbox->last_prune_ms = now;
    int64_t deleted = 0;
    int64_t cutoff = bot_clock_now_s(inbox->clock) - RETENTION_S;
    int err = db_inbox_prune(inbox->db, cutoff, PRUNE_BATCH_ROWS, &deleted);
    if (err != CORE_OK) {
        LOG_WARN("inbox.prune_failed", "err=\"%s\"", core_strerror(err));
    } else if (deleted > 0) {
        LOG_INFO("inbox.pruned", "rows=%lld", (long long)deleted);
    }
}

static void on_sweep(uv_timer_t *timer)
{
    struct bot_inbox *inbox = timer->data;
    if (!inbox->closing) {
        prune(inbox);
    }
    bot_inbox_kick(inbox);
}

void bot_inbox_kick(struct bot_inbox *inbox)
{
    if (!inbox || !inbox->started || inbox->closing || uv_is_active((uv_handle_t *)&inbox->work)) {
        return;
    }
    uv_timer_start(&inbox->work, on_work, 0, 0);
}

int bot_inbox_start(struct bot_inbox *inbox)
{
    if (!inbox->handler || inbox->started || inbox->closing) {
        return CORE_ESTATE;
    }
    inbox->started = true;
    uv_timer_start(&inbox->sweep, on_sweep, (uint64_t)inbox->opt.sweep_ms,
                   (uint64_t)inbox->opt.sweep_ms);
    bot_inbox_kick(inbox);
    return CORE_OK;
}

static void on_closed(uv_handle_t *handle)
{
    struct bot_inbox *inbox = handle->data;
    if (--inbox->open_handles == 0) {
        free(inbox->rows);
        free(inbox);
    }
}

void bot_inbox_close(struct bot_inbox *inbox)
{
    if (!inbox || inbox->closing) {
        return;
    }
    inbox->closing = true;
    uv_close((uv_handle_t *)&inbox->work, on_closed);
    uv_close((uv_handle_t *)&inbox->sweep, on_closed);
}

void bot_inbox_chat_hash(const struct bot_crypto *crypto,
                         const char *channel,
                         const char *chat_id,
                         unsigned char out[BOT_HASH_BYTES])
{
    char chat_key[CORE_USER_ID_MAX + 16];
    int n = snprintf(chat_key, sizeof chat_key, "%s:%s", channel, chat_id);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof chat_key ? (size_t)n : sizeof chat_key - 1;
    bot_crypto_hash(crypto, "chat", chat_key, len, out);
}
