/* SPDX-License-Identifier: MIT
 * GCRA rate limiting with a bounded open-addressing table of keys. Times are in microseconds
 * inside, milliseconds at the interface. */
#include "bot/outbox_limit.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_WINDOW 16 /* slots searched for a key; the table is sized well above live keys */

struct rate_slot {
    unsigned char key[BOT_RATE_KEY_MAX];
    size_t key_len;
    int64_t tat_us; /* theoretical arrival time; <= now means the bucket is full (free slot) */
    bool used;
};

struct bot_rate_limit {
    int64_t interval_us;  /* one unit every interval */
    int64_t tolerance_us; /* (burst - 1) intervals of credit */
    int burst;
    size_t mask;
    uint64_t overflows;
    struct rate_slot slots[]; /* mask + 1 */
};

int bot_rate_limit_new(double per_second, int burst, size_t max_keys, struct bot_rate_limit **out)
{
    if (!out || !isfinite(per_second) || per_second <= 0 || per_second > 1e6 || burst < 1 ||
        max_keys == 0 || max_keys > ((size_t)1 << 24)) {
        return CORE_EINVAL;
    }
    size_t n = 1;
    while (n < max_keys) {
        n <<= 1;
    }
    struct bot_rate_limit *rl = calloc(1, sizeof *rl + n * sizeof rl->slots[0]);
    if (!rl) {
        return CORE_ENOMEM;
    }
    rl->interval_us = (int64_t)llround(1e6 / per_second);
    if (rl->interval_us < 1) {
        rl->interval_us = 1;
    }
    rl->tolerance_us = (int64_t)(burst - 1) * rl->interval_us;
    rl->burst = burst;
    rl->mask = n - 1;
    *out = rl;
    return CORE_OK;
}

void bot_rate_limit_free(struct bot_rate_limit *rl)
{
    free(rl);
}

uint64_t bot_rate_limit_overflows(const struct bot_rate_limit *rl)
{
    return rl ? rl->overflows : 0;
}

static size_t key_hash(const unsigned char *key, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; key && i < len; i++) {
        h = (h ^ key[i]) * 1099511628211ULL;
    }
    return (size_t)h;
}

static bool same_key(const struct rate_slot *s, const void *key, size_t len)
{
    return s->used && s->key_len == len && (len == 0 || memcmp(s->key, key, len) == 0);
}

/* The slot holding key, or NULL. */
static const struct rate_slot *find(const struct bot_rate_limit *rl, const void *key, size_t len)
{
    size_t h = key_hash(key, len);
    for (size_t i = 0; i < PROBE_WINDOW && i <= rl->mask; i++) {
        const struct rate_slot *s = &rl->slots[(h + i) & rl->mask];
        if (same_key(s, key, len)) {
            return s;
        }
    }
    return NULL;
}

/* The slot for key: its own, else a free or forgotten one in its window; NULL when full. */
static struct rate_slot *claim(struct bot_rate_limit *rl, const void *key, size_t len, int64_t now)
{
    struct rate_slot *own = (struct rate_slot *)find(rl, key, len);
    if (own) {
        return own;
    }
    size_t h = key_hash(key, len);
    for (size_t i = 0; i < PROBE_WINDOW && i <= rl->mask; i++) {
        struct rate_slot *s = &rl->slots[(h + i) & rl->mask];
        if (!s->used || s->tat_us <= now) {
            memset(s, 0, sizeof *s);
            if (len > 0) {
                memcpy(s->key, key, len); /* the global key is NULL with length 0 */
            }
            s->key_len = len;
            s->tat_us = now;
            s->used = true;
            return s;
        }
    }
    return NULL;
}

static size_t cut(size_t len)
{
    return len > BOT_RATE_KEY_MAX ? BOT_RATE_KEY_MAX : len;
}

/* Microseconds to wait for a bucket whose arrival time is tat. */
static int64_t wait_us(const struct bot_rate_limit *rl, int64_t tat, int64_t now)
{
    int64_t start = tat > now ? tat : now;
    int64_t excess = start - now - rl->tolerance_us;
    return excess > 0 ? excess : 0;
}

static int64_t to_ms_ceil(int64_t us)
{
    return (us + 999) / 1000;
}

int64_t bot_rate_limit_wait(const struct bot_rate_limit *rl,
                            const void *key,
                            size_t key_len,
                            int64_t now_ms)
{
    if (!rl) {
        return 0;
    }
    int64_t now = now_ms * 1000;
    const struct rate_slot *s = find(rl, key, cut(key_len));
    return s ? to_ms_ceil(wait_us(rl, s->tat_us, now)) : 0;
}

int64_t
bot_rate_limit_take(struct bot_rate_limit *rl, const void *key, size_t key_len, int64_t now_ms)
{
    if (!rl) {
        return 0;
    }
    int64_t now = now_ms * 1000;
    struct rate_slot *s = claim(rl, key, cut(key_len), now);
    if (!s) {
        rl->overflows++;
        return 0;
    }
    int64_t w = wait_us(rl, s->tat_us, now);
    if (w > 0) {
        return to_ms_ceil(w);
    }
    s->tat_us = (s->tat_us > now ? s->tat_us : now) + rl->interval_us;
    return 0;
}

int bot_rate_limit_available(const struct bot_rate_limit *rl,
                             const void *key,
                             size_t key_len,
                             int64_t now_ms)
{
    if (!rl) {
        return 0;
    }
    int64_t now = now_ms * 1000;
    const struct rate_slot *s = find(rl, key, cut(key_len));
    int64_t tat = s && s->tat_us > now ? s->tat_us : now;
    int64_t credit = rl->tolerance_us - (tat - now); /* may be negative */
    if (credit < 0) {
        return 0;
    }
    int64_t n = credit / rl->interval_us + 1;
    return n > rl->burst ? rl->burst : (int)n;
}
