/* SPDX-License-Identifier: MIT
 * The calendar "now" every rule sees, and the monotonic clock for timers (DESIGN.md §11).
 * With [dev] clock_override = true, TABELBOT_NOW (ISO 8601 with offset) fixes the *starting*
 * calendar time; from there the calendar advances with the monotonic clock, so expiries still
 * work in a demo. Without the setting the variable is ignored (the caller is told, to warn).
 * A struct bot_clock is a plain value owned by its holder; nothing to free. Thread-safe reads. */
#ifndef BOT_CLOCK_H
#define BOT_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct bot_clock {
    bool pinned;           /* TABELBOT_NOW is in force */
    int64_t base_unix_ms;  /* calendar time at base_mono_ms (pinned only) */
    uint64_t base_mono_ms; /* monotonic reading when pinned */
};

enum bot_clock_note {
    BOT_CLOCK_REAL = 0,    /* real time, no TABELBOT_NOW given */
    BOT_CLOCK_PINNED = 1,  /* TABELBOT_NOW honoured */
    BOT_CLOCK_IGNORED = 2, /* TABELBOT_NOW given but the override is off: warn */
};

/** Sets up the clock. `now_env` is the value of TABELBOT_NOW or NULL. With `override` on, an
 * unparsable value is CORE_ECONFIG and a one-line reason goes to err. *note says what happened
 * so the caller can log it (this module does not log). */
CORE_NODISCARD int bot_clock_init(struct bot_clock *clock,
                                  bool override,
                                  const char *now_env,
                                  enum bot_clock_note *note,
                                  char *err,
                                  size_t err_len);

/** Calendar time, unix milliseconds / seconds. */
int64_t bot_clock_now_ms(const struct bot_clock *clock);
int64_t bot_clock_now_s(const struct bot_clock *clock);
/** Monotonic milliseconds (arbitrary origin), for timers and durations. */
uint64_t bot_clock_mono_ms(void);

#endif
