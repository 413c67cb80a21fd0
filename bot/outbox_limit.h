/* SPDX-License-Identifier: MIT
 * Send-rate limits for the outbox dispatcher, per channel and per chat (Telegram: ~30 msg/s per
 * bot, ~1 msg/s per chat; WhatsApp and SMS gateways have their own). A limiter is the generic
 * cell rate algorithm (GCRA, a token bucket kept as one "theoretical arrival time" per key):
 * `per_second` units a second sustained, up to `burst` at once. Keys are short byte strings
 * (a chat hash); the table has a fixed number of slots, and a key whose bucket is full again is
 * forgotten, so memory stays bounded whatever the number of chats. When every slot near a key
 * is busy the limiter lets the unit through (fail open) and counts it: a send is never blocked
 * by bookkeeping. Pure (time is passed in); not thread-safe: the loop thread owns it. */
#ifndef BOT_OUTBOX_LIMIT_H
#define BOT_OUTBOX_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define BOT_RATE_KEY_MAX 32

struct bot_rate_limit;

/** Creates a limiter of per_second (> 0) units a second with bursts of up to burst (>= 1),
 * remembering up to max_keys keys (rounded up to a power of two; 1 for a single global bucket).
 * *out is owned by the caller: bot_rate_limit_free. CORE_EINVAL for a bad rate. */
CORE_NODISCARD int
bot_rate_limit_new(double per_second, int burst, size_t max_keys, struct bot_rate_limit **out);
/** NULL is fine. */
void bot_rate_limit_free(struct bot_rate_limit *rl);

/** Milliseconds until key may take a unit at now_ms (0: now). Takes nothing. key_len is at most
 * BOT_RATE_KEY_MAX (longer keys are cut); 0 is the single global key. */
int64_t bot_rate_limit_wait(const struct bot_rate_limit *rl,
                            const void *key,
                            size_t key_len,
                            int64_t now_ms);

/** Takes one unit for key at now_ms when it may (returns 0), else takes nothing and returns the
 * milliseconds to wait (> 0). */
int64_t
bot_rate_limit_take(struct bot_rate_limit *rl, const void *key, size_t key_len, int64_t now_ms);

/** How many units key could take at once at now_ms (0..burst). */
int bot_rate_limit_available(const struct bot_rate_limit *rl,
                             const void *key,
                             size_t key_len,
                             int64_t now_ms);

/** Units let through because the table had no room for their key (since creation). */
uint64_t bot_rate_limit_overflows(const struct bot_rate_limit *rl);

#endif
