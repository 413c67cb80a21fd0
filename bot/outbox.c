/* SPDX-License-Identifier: MIT
 * The outbox dispatcher: claim -> unseal -> send (HTTP or local) -> settle, on the loop.
 * Flights (messages handed to a sender) are kept in a list; a flight whose database update
 * failed stays in the list and is settled again on the next wake-up, so its chat is not
 * blocked until a restart. On close, flights are released and orphaned: the HTTP client still
 * holds their pointers and frees them when it calls back. */
#include "bot/outbox.h"

#include <ctype.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bot/outbox_limit.h"
#include "core/log.h"

#define LOG_MODULE "outbox"

#define CLAIM_BATCH     64
#define MAX_BATCHES     8    /* per wake-up, so one wake-up cannot starve the loop */
#define IDLE_TICK_MS    1000 /* also notices rows queued by another process */
#define SETTLE_RETRY_MS 200
#define PRUNE_BATCH     1000
#define PRUNE_EVERY_MS  (3600 * 1000)
#define CHAT_LIMIT_KEYS 4096 /* chats remembered by a per-chat limiter (see outbox_limit.h) */

struct slot {
    struct bot_outbox_sender sender;
    char channel[DB_OUTBOX_CHANNEL_MAX];
    int64_t paused_until; /* wall ms; 0 when not paused */
    struct bot_outbox_counters counters;
    struct bot_rate_limit *rate;      /* the channel's rate, NULL: unlimited */
    struct bot_rate_limit *chat_rate; /* per chat (keyed by chat hash), NULL: unlimited */
    int64_t throttled_until;          /* wall ms: the channel's rate is spent until then */
};

struct flight {
    struct bot_outbox *ob; /* NULL once orphaned by close */
    int64_t id;
    size_t slot;
    int attempts;    /* failed attempts before this one */
    char *recipient; /* in clear, kept only for a sender with classify_msg; wiped when freed */
    char idem_key[DB_OUTBOX_IDEM_MAX];
    int priority;
    bool answered;
    struct bot_send_result result;
    struct flight *prev;
    struct flight *next;
};

struct bot_outbox {
    struct bot_outbox_deps deps;
    uv_timer_t timer;
    struct slot slots[BOT_OUTBOX_MAX_SENDERS];
    size_t n_slots;
    struct flight *flights;
    size_t in_flight;
    uint64_t next_prune; /* loop time (uv_now) of the next prune */
    bool started;
    bool closing;
};

/* ---- small helpers ---- */

int64_t bot_outbox_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_ms(const struct bot_outbox *ob)
{
    return ob->deps.now_ms ? ob->deps.now_ms(ob->deps.clock_ctx) : bot_outbox_wall_ms();
}

void bot_outbox_sanitize(const char *text, size_t len, size_t max_bytes, char *out, size_t out_len)
{
    if (!out || out_len == 0) {
        return;
    }
    size_t limit = len < max_bytes ? len : max_bytes;
    size_t o = 0;
    for (size_t i = 0; text && i < limit && o + 1 < out_len; i++) {
        unsigned char c = (unsigned char)text[i];
        out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[o] = '\0';
    /* Mask runs of 6+ digits: an API may echo a phone number or an account id. */
    for (size_t i = 0; i < o;) {
        size_t j = i;
        while (j < o && isdigit((unsigned char)out[j])) {
            j++;
        }
        if (j - i >= 6) {
            memset(out + i, '#', j - i);
        }
        i = j > i ? j : i + 1;
    }
}

int bot_outbox_backoff_ms(int failed_attempts, int base_ms, int max_ms)
{
    if (base_ms <= 0 || max_ms <= 0) {
        return 0;
    }
    int64_t cap = base_ms;
    for (int i = 1; i < failed_attempts && cap < max_ms; i++) {
        cap *= 2;
    }
    if (cap > max_ms) {
        cap = max_ms;
    }
    return (int)bot_crypto_random_below((uint32_t)cap + 1);
}

int bot_outbox_parse_retry_after(const char *value, int64_t now, int *delay_ms)
{
    if (!value) {
        return CORE_EBADINPUT;
    }
    while (*value == ' ' || *value == '\t') {
        value++;
    }
    int64_t delay = 0;
    size_t digits = strspn(value, "0123456789");
    if (digits > 0 && value[digits + strspn(value + digits, " \t")] == '\0') {
        if (digits > 9) {
            delay = BOT_OUTBOX_MAX_DELAY_MS;
        } else {
            delay = strtoll(value, NULL, 10) * 1000;
        }
    } else {
        time_t at = curl_getdate(value, NULL);
        if (at == (time_t)-1) {
            return CORE_EBADINPUT;
        }
        delay = (int64_t)at * 1000 - now;
    }
    if (delay < 0) {
        delay = 0;
    }
    *delay_ms = delay > BOT_OUTBOX_MAX_DELAY_MS ? BOT_OUTBOX_MAX_DELAY_MS : (int)delay;
    return CORE_OK;
}

static void http_reason(const struct bot_http_response *resp, struct bot_send_result *out)
{
    char body[201];
    bot_outbox_sanitize(resp->body, resp->body_len, 200, body, sizeof body);
    snprintf(out->reason, sizeof out->reason, "HTTP %ld: %s", resp->status, body);
}

static void classify_status(const struct bot_http_response *resp, struct bot_send_result *out)
{
    long s = resp->status;
    http_reason(resp, out);
    if (s >= 200 && s < 300) {
        out->verdict = BOT_SEND_SENT;
        out->reason[0] = '\0';
    } else if (s == 429) {
        int delay = 0;
        const char *ra = bot_http_response_header(resp, "Retry-After");
        if (bot_outbox_parse_retry_after(ra, bot_outbox_wall_ms(), &delay) == CORE_OK) {
            out->verdict = BOT_SEND_RETRY_AFTER;
            out->retry_after_ms = delay;
        } else {
            out->verdict = BOT_SEND_RETRY;
        }
    } else if (s >= 400 && s < 500 && s != 408 && s != 425) {
        out->verdict = BOT_SEND_DEAD;
    } else {
        out->verdict = BOT_SEND_RETRY; /* 5xx, 408, 425, and anything unexpected */
    }
}

void bot_outbox_classify_default(void *ctx,
                                 const struct bot_http_response *resp,
                                 struct bot_send_result *out)
{
    (void)ctx;
    memset(out, 0, sizeof *out);
    bool have_status = resp->err == CORE_OK || (resp->err == CORE_ETOOBIG && resp->status > 0);
    if (have_status) {
        classify_status(resp, out);
        return;
    }
    out->verdict = BOT_SEND_RETRY;
    char detail[160];
    bot_outbox_sanitize(resp->error, strlen(resp->error), 128, detail, sizeof detail);
    snprintf(out->reason, sizeof out->reason, "%s: %s", core_strerror(resp->err), detail);
}

/* ---- settling ---- */

static void log_dead(const struct bot_outbox *ob, const struct flight *f, const char *reason)
{
    LOG_WARN("outbox.dead", "channel=%s id=%" PRId64 " attempts=%d reason=\"%s\"",
             ob->slots[f->slot].channel, f->id, f->attempts + 1, reason);
}

/* Writes the verdict of flight f; CORE_OK when the row is settled (or gone). */
static int settle_db(struct bot_outbox *ob, struct flight *f)
{
    struct slot *slot = &ob->slots[f->slot];
    const struct bot_send_result *r = &f->result;
    const int max_attempts = ob->deps.cfg->outbox.max_attempts;
    int64_t now = now_ms(ob);
    int err;
    if (r->verdict == BOT_SEND_SENT) {
        err = db_outbox_mark_sent(ob->deps.db, f->id, now);
    } else if (r->verdict == BOT_SEND_DEAD || f->attempts + 1 >= max_attempts) {
        err = db_outbox_dead(ob->deps.db, f->id, r->reason, now);
    } else {
        int delay =
            r->verdict == BOT_SEND_RETRY_AFTER
                ? r->retry_after_ms
                : bot_outbox_backoff_ms(f->attempts + 1, ob->deps.cfg->outbox.base_backoff_ms,
                                        ob->deps.cfg->outbox.max_backoff_ms);
        delay = delay < 0 ? 0 : (delay > BOT_OUTBOX_MAX_DELAY_MS ? BOT_OUTBOX_MAX_DELAY_MS : delay);
        err = db_outbox_reschedule(ob->deps.db, f->id, now + delay, r->reason);
    }
    if (err == CORE_ENOTFOUND) {
        LOG_WARN("outbox.settle_lost", "channel=%s id=%" PRId64, slot->channel, f->id);
        return CORE_OK; /* the row changed under us (e.g. another node recovered it) */
    }
    if (err != CORE_OK) {
        LOG_ERROR("outbox.settle_failed", "channel=%s id=%" PRId64 " err=%s db=\"%s\"",
                  slot->channel, f->id, core_strerror(err), db_last_error(ob->deps.db));
        return err;
    }
    if (r->verdict == BOT_SEND_SENT) {
        slot->counters.sent++;
    } else if (r->verdict == BOT_SEND_DEAD || f->attempts + 1 >= max_attempts) {
        slot->counters.dead++;
        log_dead(ob, f, r->reason);
    } else {
        slot->counters.retries++;
        LOG_DEBUG("outbox.retry", "channel=%s id=%" PRId64 " attempts=%d reason=\"%s\"",
                  slot->channel, f->id, f->attempts + 1, r->reason);
    }
    return CORE_OK;
}

static void pause_if_asked(struct bot_outbox *ob, struct flight *f)
{
    struct slot *slot = &ob->slots[f->slot];
    if (f->result.verdict != BOT_SEND_RETRY_AFTER || !f->result.pause_channel) {
        return;
    }
    int delay = f->result.retry_after_ms;
    delay = delay < 0 ? 0 : (delay > BOT_OUTBOX_MAX_DELAY_MS ? BOT_OUTBOX_MAX_DELAY_MS : delay);
    int64_t until = now_ms(ob) + delay;
    if (until > slot->paused_until) {
        slot->paused_until = until;
        LOG_WARN("outbox.pause", "channel=%s for_ms=%d", slot->channel, delay);
    }
}

static void flight_free(struct flight *f)
{
    if (f && f->recipient) {
        memset(f->recipient, 0, strlen(f->recipient));
        free(f->recipient);
    }
    free(f);
}

static void flight_unlink(struct bot_outbox *ob, struct flight *f)
{
    if (f->prev) {
        f->prev->next = f->next;
    } else {
        ob->flights = f->next;
    }
    if (f->next) {
        f->next->prev = f->prev;
    }
    f->prev = f->next = NULL;
    ob->in_flight--;
}

/* Records the verdict and settles; on a database failure the flight waits for the next pump. */
static void flight_settle(struct bot_outbox *ob, struct flight *f, const struct bot_send_result *r)
{
    f->answered = true;
    f->result = *r;
    pause_if_asked(ob, f);
    if (settle_db(ob, f) == CORE_OK) {
        flight_unlink(ob, f);
        flight_free(f);
    }
}

static void settle_simple(struct bot_outbox *ob,
                          struct flight *f,
                          enum bot_send_verdict verdict,
                          const char *what,
                          int err)
{
    struct bot_send_result r;
    memset(&r, 0, sizeof r);
    r.verdict = verdict;
    if (what) {
        snprintf(r.reason, sizeof r.reason, "%s: %s", what, core_strerror(err));
    }
    flight_settle(ob, f, &r);
}

static void retry_unsettled(struct bot_outbox *ob)
{
    struct flight *f = ob->flights;
    while (f) {
        struct flight *next = f->next;
        if (f->answered && settle_db(ob, f) == CORE_OK) {
            flight_unlink(ob, f);
            flight_free(f);
        }
        f = next;
    }
}

/* ---- sending ---- */

/* Gives a claimed row back without counting an attempt; a failure leaves it 'sending' until the
 * next start (recovery), which is logged. */
static void release_row(struct bot_outbox *ob, int64_t id, int64_t at)
{
    int err = db_outbox_release(ob->deps.db, id, at);
    if (err != CORE_OK && err != CORE_ENOTFOUND) {
        LOG_ERROR("outbox.release_failed", "id=%" PRId64 " err=%s db=\"%s\"", id,
                  core_strerror(err), db_last_error(ob->deps.db));
    }
}

/* Ends a try that never reached the channel: the row goes back without counting an attempt. */
static void abandon(struct bot_outbox *ob, struct flight *f, int delay_ms)
{
    release_row(ob, f->id, now_ms(ob) + delay_ms);
    if (ob->slots[f->slot].counters.attempts > 0) {
        ob->slots[f->slot].counters.attempts--;
    }
    flight_unlink(ob, f);
    flight_free(f);
}

static void on_http_done(void *ctx, const struct bot_http_response *resp)
{
    struct flight *f = ctx;
    struct bot_outbox *ob = f->ob;
    if (!ob) {
        flight_free(f); /* orphaned by close; the row was released */
        return;
    }
    if (resp->err == CORE_ESTATE) {
        /* Cancelled (shutdown): the try is abandoned, not failed; no hurry to claim it again. */
        abandon(ob, f, IDLE_TICK_MS);
        return;
    }
    const struct bot_outbox_sender *s = &ob->slots[f->slot].sender;
    struct bot_send_result r;
    memset(&r, 0, sizeof r);
    if (s->classify_msg) {
        struct bot_outbox_msg msg = {.id = f->id,
                                     .channel = ob->slots[f->slot].channel,
                                     .recipient = f->recipient ? f->recipient : "",
                                     .idem_key = f->idem_key,
                                     .attempt = f->attempts + 1,
                                     .priority = f->priority};
        s->classify_msg(s->ctx, &msg, resp, &r);
    } else if (s->classify) {
        s->classify(s->ctx, resp, &r);
    } else {
        bot_outbox_classify_default(NULL, resp, &r);
    }
    if (r.verdict != BOT_SEND_SENT && !r.reason[0]) {
        snprintf(r.reason, sizeof r.reason, "HTTP %ld", resp->status);
    }
    flight_settle(ob, f, &r);
    bot_outbox_kick(ob);
}

static bool is_permanent(int err)
{
    return err == CORE_EBADINPUT || err == CORE_EINVAL;
}

static void send_http(struct bot_outbox *ob, struct flight *f, const struct bot_outbox_msg *msg)
{
    const struct bot_outbox_sender *s = &ob->slots[f->slot].sender;
    struct bot_http_call call;
    bot_http_call_init(&call);
    call.timeout_ms = ob->deps.cfg->outbox.request_timeout_ms;
    int err = s->render(s->ctx, msg, &call);
    if (err != CORE_OK) {
        bot_http_call_cleanup(&call);
        settle_simple(ob, f, is_permanent(err) ? BOT_SEND_DEAD : BOT_SEND_RETRY, "render", err);
        return;
    }
    if (!call.label[0]) {
        snprintf(call.label, sizeof call.label, "%s", msg->channel);
    }
    err = bot_http_submit(ob->deps.http, &call, on_http_done, f);
    if (call.body) {
        memset(call.body, 0, call.body_len); /* the payload in clear */
    }
    bot_http_call_cleanup(&call);
    if (err == CORE_ESTATE) {
        abandon(ob, f, IDLE_TICK_MS); /* the client is shutting down: not the message's fault */
    } else if (err != CORE_OK) {
        settle_simple(ob, f, is_permanent(err) ? BOT_SEND_DEAD : BOT_SEND_RETRY, "submit", err);
    }
}

static void send_local(struct bot_outbox *ob, struct flight *f, const struct bot_outbox_msg *msg)
{
    const struct bot_outbox_sender *s = &ob->slots[f->slot].sender;
    int err = s->deliver_local(s->ctx, msg);
    if (err == CORE_OK) {
        settle_simple(ob, f, BOT_SEND_SENT, NULL, 0);
    } else {
        settle_simple(ob, f, is_permanent(err) ? BOT_SEND_DEAD : BOT_SEND_RETRY, "local", err);
    }
}

static int unseal_both(struct bot_outbox *ob,
                       const struct db_outbox_row *row,
                       unsigned char **recipient,
                       unsigned char **payload,
                       size_t *payload_len)
{
    size_t recipient_len = 0;
    int err = bot_crypto_unseal(ob->deps.crypto, row->recipient_enc, row->recipient_len,
                                BOT_OUTBOX_AD_RECIPIENT, recipient, &recipient_len);
    if (err != CORE_OK) {
        return err;
    }
    err = bot_crypto_unseal(ob->deps.crypto, row->payload_enc, row->payload_len,
                            BOT_OUTBOX_AD_PAYLOAD, payload, payload_len);
    if (err != CORE_OK) {
        memset(*recipient, 0, recipient_len);
        free(*recipient);
        *recipient = NULL;
    }
    return err;
}

static size_t slot_of(const struct bot_outbox *ob, const char *channel)
{
    for (size_t i = 0; i < ob->n_slots; i++) {
        if (strcmp(ob->slots[i].channel, channel) == 0) {
            return i;
        }
    }
    return ob->n_slots;
}

static struct flight *
flight_new(struct bot_outbox *ob, const struct db_outbox_row *row, size_t slot)
{
    struct flight *f = calloc(1, sizeof *f);
    if (!f) {
        return NULL;
    }
    f->ob = ob;
    f->id = row->id;
    f->slot = slot;
    f->attempts = row->attempts;
    f->priority = row->priority;
    snprintf(f->idem_key, sizeof f->idem_key, "%s", row->idem_key);
    f->next = ob->flights;
    if (ob->flights) {
        ob->flights->prev = f;
    }
    ob->flights = f;
    ob->in_flight++;
    return f;
}

/* Takes a unit of the channel's and the chat's rate when both allow one now; otherwise takes
 * nothing and returns the wait in ms (a channel-wide wait also throttles the channel). */
static int64_t rate_gate(struct bot_outbox *ob, struct slot *slot, const struct db_outbox_row *row)
{
    if (!slot->rate && !slot->chat_rate) {
        return 0;
    }
    int64_t now = now_ms(ob);
    int64_t channel_wait = bot_rate_limit_wait(slot->rate, NULL, 0, now);
    if (channel_wait > 0) {
        slot->throttled_until = now + channel_wait;
        return channel_wait;
    }
    int64_t chat_wait =
        bot_rate_limit_take(slot->chat_rate, row->chat_hash, row->chat_hash_len, now);
    if (chat_wait > 0) {
        return chat_wait;
    }
    return bot_rate_limit_take(slot->rate, NULL, 0, now); /* 0: checked just above */
}

/* Keeps the recipient for a sender that classifies knowing it; false on ENOMEM. */
static bool keep_recipient(struct flight *f, const struct slot *slot, const char *recipient)
{
    if (!slot->sender.classify_msg) {
        return true;
    }
    size_t n = strlen(recipient);
    f->recipient = malloc(n + 1);
    if (f->recipient) {
        memcpy(f->recipient, recipient, n + 1);
    }
    return f->recipient != NULL;
}

static void dispatch_row(struct bot_outbox *ob, const struct db_outbox_row *row)
{
    size_t slot = slot_of(ob, row->channel);
    int64_t wait = slot < ob->n_slots ? rate_gate(ob, &ob->slots[slot], row) : 0;
    if (wait > 0) {
        release_row(ob, row->id, now_ms(ob) + wait); /* its turn comes; order is kept */
        return;
    }
    struct flight *f = slot < ob->n_slots ? flight_new(ob, row, slot) : NULL;
    if (!f) {
        release_row(ob, row->id, now_ms(ob) + SETTLE_RETRY_MS);
        return;
    }
    ob->slots[slot].counters.attempts++;
    unsigned char *recipient = NULL;
    unsigned char *payload = NULL;
    size_t payload_len = 0;
    int err = unseal_both(ob, row, &recipient, &payload, &payload_len);
    if (err == CORE_OK && !keep_recipient(f, &ob->slots[slot], (const char *)recipient)) {
        memset(payload, 0, payload_len);
        memset(recipient, 0, strlen((const char *)recipient));
        free(payload);
        free(recipient);
        err = CORE_ENOMEM;
    }
    if (err != CORE_OK) {
        settle_simple(ob, f, err == CORE_ENOMEM ? BOT_SEND_RETRY : BOT_SEND_DEAD, "unseal", err);
        return;
    }
    struct bot_outbox_msg msg = {
        .id = row->id,
        .channel = ob->slots[slot].channel,
        .recipient = (const char *)recipient,
        .payload = (const char *)payload,
        .payload_len = payload_len,
        .idem_key = row->idem_key,
        .attempt = row->attempts + 1,
        .priority = row->priority,
    };
    if (ob->slots[slot].sender.deliver_local) {
        send_local(ob, f, &msg);
    } else {
        send_http(ob, f, &msg);
    }
    memset(payload, 0, payload_len);
    memset(recipient, 0, strlen((const char *)recipient));
    free(payload);
    free(recipient);
}

/* ---- the pump ---- */

static void build_filter(const struct bot_outbox *ob, int64_t now, struct db_outbox_filter *filter)
{
    memset(filter, 0, sizeof *filter);
    filter->now_ms = now;
    for (size_t i = 0; i < ob->n_slots; i++) {
        if (ob->slots[i].paused_until <= now && ob->slots[i].throttled_until <= now) {
            filter->channels[filter->n_channels++] = ob->slots[i].channel;
        }
    }
}

/* How many rows one claim may take so that rate-limited channels are not over-claimed: the sum
 * of what each claimable channel could send now (CLAIM_BATCH for an unlimited one). A channel
 * whose rate is spent is throttled until its next unit, so the pump sleeps rather than spins. */
static size_t rate_room(struct bot_outbox *ob, int64_t now)
{
    size_t room = 0;
    for (size_t i = 0; i < ob->n_slots && room < CLAIM_BATCH; i++) {
        struct slot *s = &ob->slots[i];
        if (s->paused_until > now || s->throttled_until > now) {
            continue;
        }
        if (!s->rate) {
            room += CLAIM_BATCH;
            continue;
        }
        int available = bot_rate_limit_available(s->rate, NULL, 0, now);
        if (available == 0) {
            s->throttled_until = now + bot_rate_limit_wait(s->rate, NULL, 0, now);
        }
        room += (size_t)available;
    }
    return room < CLAIM_BATCH ? room : CLAIM_BATCH;
}

/* Claims one batch and dispatches it; returns the number of rows claimed (0 when there is no
 * room or nothing is due), or -1. A local sender settles at once, which may unblock the next
 * row of its chat, so the caller claims again until a claim comes back empty. */
static int pump_batch(struct bot_outbox *ob, const struct db_outbox_filter *filter)
{
    int max_in_flight = ob->deps.cfg->outbox.max_in_flight;
    size_t room = max_in_flight > (int)ob->in_flight ? (size_t)max_in_flight - ob->in_flight : 0;
    size_t want = room < CLAIM_BATCH ? room : CLAIM_BATCH;
    size_t rated = rate_room(ob, filter->now_ms);
    want = want < rated ? want : rated;
    if (want == 0) {
        return 0;
    }
    struct db_outbox_row rows[CLAIM_BATCH];
    size_t n = 0;
    int err = db_outbox_claim(ob->deps.db, filter, rows, want, &n);
    if (err != CORE_OK) {
        LOG_ERROR("outbox.claim_failed", "err=%s db=\"%s\"", core_strerror(err),
                  db_last_error(ob->deps.db));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!ob->closing) {
            dispatch_row(ob, &rows[i]);
        } else {
            release_row(ob, rows[i].id, now_ms(ob));
        }
        db_outbox_row_cleanup(&rows[i]);
    }
    return (int)n;
}

static void on_timer(uv_timer_t *timer);

/* The next wake-up: the earliest future row or pause end, at most IDLE_TICK_MS away. */
static void schedule(struct bot_outbox *ob, int64_t now, bool more)
{
    int64_t wait = more ? 0 : IDLE_TICK_MS;
    struct db_outbox_filter filter;
    build_filter(ob, now, &filter);
    int64_t at = 0;
    if (!more && filter.n_channels > 0 &&
        db_outbox_next_due(ob->deps.db, &filter, &at) == CORE_OK && at - now < wait) {
        wait = at - now;
    }
    for (size_t i = 0; i < ob->n_slots; i++) {
        int64_t until = ob->slots[i].paused_until;
        if (ob->slots[i].throttled_until > until) {
            until = ob->slots[i].throttled_until;
        }
        if (until > now && until - now < wait) {
            wait = until - now;
        }
    }
    bool unsettled = false;
    for (const struct flight *f = ob->flights; f; f = f->next) {
        unsettled = unsettled || f->answered;
    }
    if (unsettled && wait > SETTLE_RETRY_MS) {
        wait = SETTLE_RETRY_MS;
    }
    uv_timer_start(&ob->timer, on_timer, (uint64_t)(wait > 0 ? wait : 0), 0);
}

/* Deletes old 'sent' rows a batch at a time: hourly, or every tick while a backlog remains. */
static void maybe_prune(struct bot_outbox *ob)
{
    uint64_t loop_now = uv_now(ob->deps.loop);
    if (ob->deps.sent_retention_ms < 0 || loop_now < ob->next_prune) {
        return;
    }
    int64_t keep =
        ob->deps.sent_retention_ms ? ob->deps.sent_retention_ms : BOT_OUTBOX_SENT_RETENTION_MS;
    int64_t n = 0;
    int err = db_outbox_prune_sent(ob->deps.db, now_ms(ob) - keep, PRUNE_BATCH, &n);
    if (err != CORE_OK) {
        LOG_ERROR("outbox.prune_failed", "err=%s db=\"%s\"", core_strerror(err),
                  db_last_error(ob->deps.db));
    } else if (n > 0) {
        LOG_INFO("outbox.pruned", "rows=%" PRId64, n);
    }
    ob->next_prune = loop_now + (n == PRUNE_BATCH ? IDLE_TICK_MS : PRUNE_EVERY_MS);
}

static void pump(struct bot_outbox *ob)
{
    retry_unsettled(ob);
    maybe_prune(ob);
    int64_t now = now_ms(ob);
    struct db_outbox_filter filter;
    build_filter(ob, now, &filter);
    bool more = false;
    for (int batch = 0; filter.n_channels > 0 && batch < MAX_BATCHES && !ob->closing; batch++) {
        int n = pump_batch(ob, &filter);
        more = n > 0 && batch == MAX_BATCHES - 1;
        if (n <= 0) {
            break;
        }
    }
    if (!ob->closing) {
        schedule(ob, now_ms(ob), more);
    }
}

static void on_timer(uv_timer_t *timer)
{
    pump(timer->data);
}

/* ---- lifetime ---- */

int bot_outbox_open(const struct bot_outbox_deps *deps, struct bot_outbox **out)
{
    if (!deps || !deps->loop || !deps->db || !deps->crypto || !deps->cfg || !out ||
        deps->cfg->outbox.max_in_flight <= 0 || deps->cfg->outbox.max_attempts <= 0) {
        return CORE_EINVAL;
    }
    struct bot_outbox *ob = calloc(1, sizeof *ob);
    if (!ob) {
        return CORE_ENOMEM;
    }
    ob->deps = *deps;
    if (uv_timer_init(deps->loop, &ob->timer) != 0) {
        free(ob);
        return CORE_EINVAL;
    }
    ob->timer.data = ob;
    *out = ob;
    return CORE_OK;
}

static void free_limits(struct slot *slot)
{
    bot_rate_limit_free(slot->rate);
    bot_rate_limit_free(slot->chat_rate);
    slot->rate = slot->chat_rate = NULL;
}

static int make_limits(const struct bot_outbox_limits *lim, struct slot *slot)
{
    if (lim->per_second < 0 || lim->chat_per_second < 0) {
        return CORE_EINVAL;
    }
    int rc = CORE_OK;
    if (lim->per_second > 0) {
        rc = bot_rate_limit_new(lim->per_second, lim->burst < 1 ? 1 : lim->burst, 1, &slot->rate);
    }
    if (rc == CORE_OK && lim->chat_per_second > 0) {
        rc = bot_rate_limit_new(lim->chat_per_second, lim->chat_burst < 1 ? 1 : lim->chat_burst,
                                CHAT_LIMIT_KEYS, &slot->chat_rate);
    }
    if (rc != CORE_OK) {
        free_limits(slot);
    }
    return rc;
}

int bot_outbox_register(struct bot_outbox *ob, const struct bot_outbox_sender *s)
{
    if (!ob || !s || !s->channel || !s->channel[0] || strlen(s->channel) >= DB_OUTBOX_CHANNEL_MAX ||
        !s->render == !s->deliver_local || (s->render && !ob->deps.http)) {
        return CORE_EINVAL;
    }
    if (slot_of(ob, s->channel) < ob->n_slots) {
        return CORE_EEXIST;
    }
    if (ob->n_slots >= BOT_OUTBOX_MAX_SENDERS) {
        return CORE_ETOOBIG;
    }
    struct slot *slot = &ob->slots[ob->n_slots];
    memset(slot, 0, sizeof *slot);
    int rc = make_limits(&s->limits, slot);
    if (rc != CORE_OK) {
        return rc;
    }
    ob->n_slots++;
    slot->sender = *s;
    snprintf(slot->channel, sizeof slot->channel, "%s", s->channel);
    bot_outbox_kick(ob);
    return CORE_OK;
}

int bot_outbox_start(struct bot_outbox *ob)
{
    if (!ob || ob->closing) {
        return CORE_EINVAL;
    }
    if (ob->started) {
        return CORE_ESTATE;
    }
    int64_t reset = 0;
    int err = db_outbox_recover(ob->deps.db, &reset);
    if (err != CORE_OK) {
        LOG_ERROR("outbox.recover_failed", "err=%s db=\"%s\"", core_strerror(err),
                  db_last_error(ob->deps.db));
        return err;
    }
    if (reset > 0) {
        LOG_INFO("outbox.recovered", "rows=%" PRId64, reset);
    }
    ob->started = true;
    bot_outbox_kick(ob);
    return CORE_OK;
}

void bot_outbox_kick(struct bot_outbox *ob)
{
    if (ob && ob->started && !ob->closing) {
        uv_timer_start(&ob->timer, on_timer, 0, 0);
    }
}

size_t bot_outbox_in_flight(const struct bot_outbox *ob)
{
    return ob ? ob->in_flight : 0;
}

int bot_outbox_stats(const struct bot_outbox *ob,
                     size_t i,
                     const char **channel,
                     struct bot_outbox_counters *out)
{
    if (!ob || i >= ob->n_slots) {
        return CORE_ENOTFOUND;
    }
    if (channel) {
        *channel = ob->slots[i].channel;
    }
    if (out) {
        *out = ob->slots[i].counters;
    }
    return CORE_OK;
}

static void on_closed(uv_handle_t *handle)
{
    struct bot_outbox *ob = handle->data;
    for (size_t i = 0; i < ob->n_slots; i++) {
        free_limits(&ob->slots[i]);
    }
    free(ob);
}

void bot_outbox_close(struct bot_outbox *ob)
{
    if (!ob || ob->closing) {
        return;
    }
    ob->closing = true;
    while (ob->flights) {
        struct flight *f = ob->flights;
        flight_unlink(ob, f);
        if (!f->answered || settle_db(ob, f) != CORE_OK) {
            release_row(ob, f->id, now_ms(ob));
        }
        if (f->answered) {
            flight_free(f); /* the sender already called back */
        } else {
            f->ob = NULL; /* the HTTP client frees it when it calls back */
        }
    }
    uv_timer_stop(&ob->timer);
    uv_close((uv_handle_t *)&ob->timer, on_closed);
}

/* ---- enqueue ---- */

int bot_outbox_enqueue(struct db *db,
                       const struct bot_crypto *crypto,
                       const struct bot_outbox_item *item,
                       int64_t now,
                       int64_t *id_out)
{
    if (!db || !crypto || !item || !item->channel || !item->recipient || !item->recipient[0] ||
        !item->payload || item->payload_len == 0) {
        return CORE_EINVAL;
    }
    unsigned char hash[BOT_HASH_BYTES];
    if (bot_outbox_chat_hash(crypto, item->channel, item->recipient, hash) != CORE_OK) {
        return CORE_EINVAL;
    }
    unsigned char *recipient = NULL;
    unsigned char *payload = NULL;
    size_t recipient_len = 0;
    size_t payload_len = 0;
    int err = bot_crypto_seal(crypto, item->recipient, strlen(item->recipient),
                              BOT_OUTBOX_AD_RECIPIENT, &recipient, &recipient_len);
    if (err == CORE_OK) {
        err = bot_crypto_seal(crypto, item->payload, item->payload_len, BOT_OUTBOX_AD_PAYLOAD,
                              &payload, &payload_len);
    }
    if (err == CORE_OK) {
        struct db_outbox_new row = {
            .channel = item->channel,
            .chat_hash = hash,
            .chat_hash_len = sizeof hash,
            .recipient_enc = recipient,
            .recipient_len = recipient_len,
            .payload_enc = payload,
            .payload_len = payload_len,
            .idem_key = item->idem_key,
            .priority = item->priority,
        };
        err = db_outbox_enqueue(db, &row, now, id_out);
    }
    free(recipient);
    free(payload);
    return err;
}

int bot_outbox_chat_hash(const struct bot_crypto *crypto,
                         const char *channel,
                         const char *recipient,
                         unsigned char out[BOT_HASH_BYTES])
{
    char chat[256];
    int n = snprintf(chat, sizeof chat, "%s:%s", channel, recipient);
    if (n < 0 || (size_t)n >= sizeof chat) {
        return CORE_EINVAL;
    }
    bot_crypto_hash(crypto, "outbox.chat", chat, (size_t)n, out);
    memset(chat, 0, sizeof chat); /* the recipient is personal data */
    return CORE_OK;
}
