/* SPDX-License-Identifier: MIT
 * Calendar and monotonic clocks, with the demo override anchored on the monotonic clock. */
#include "bot/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/caltime.h"

uint64_t bot_clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int64_t real_unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + (int64_t)ts.tv_nsec / 1000000;
}

int bot_clock_init(struct bot_clock *clock,
                   bool override,
                   const char *now_env,
                   enum bot_clock_note *note,
                   char *err,
                   size_t err_len)
{
    memset(clock, 0, sizeof *clock);
    *note = BOT_CLOCK_REAL;
    if (!now_env || !now_env[0]) {
        return CORE_OK;
    }
    if (!override) {
        *note = BOT_CLOCK_IGNORED;
        return CORE_OK;
    }
    int64_t unix_s = 0;
    if (core_iso8601_parse(now_env, &unix_s) != CORE_OK) {
        snprintf(err, err_len,
                 "TABELBOT_NOW is not an ISO 8601 time with an offset "
                 "(e.g. 2026-12-03T10:00:00+05:00)");
        return CORE_ECONFIG;
    }
    clock->pinned = true;
    clock->base_unix_ms = unix_s * 1000;
    clock->base_mono_ms = bot_clock_mono_ms();
    *note = BOT_CLOCK_PINNED;
    return CORE_OK;
}

int64_t bot_clock_now_ms(const struct bot_clock *clock)
{
    if (!clock || !clock->pinned) {
        return real_unix_ms();
    }
    return clock->base_unix_ms + (int64_t)(bot_clock_mono_ms() - clock->base_mono_ms);
}

int64_t bot_clock_now_s(const struct bot_clock *clock)
{
    int64_t ms = bot_clock_now_ms(clock);
    return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}
