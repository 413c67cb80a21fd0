/* SPDX-License-Identifier: MIT
 * bot/clock: the TABELBOT_NOW override pins the start and advances; ignored without the setting;
 * an unparsable value with the setting on is a startup error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "bot/clock.h"
#include "support/proc.h"

static void test_pinned_start_advances_with_monotonic_time(void **state)
{
    (void)state;
    struct bot_clock clock;
    enum bot_clock_note note = BOT_CLOCK_REAL;
    char err[128] = "";
    assert_int_equal(
        bot_clock_init(&clock, true, "2026-12-03T10:00:00+05:00", &note, err, sizeof err), 0);
    assert_int_equal(note, BOT_CLOCK_PINNED);
    int64_t start = 1796274000; /* 2026-12-03T05:00:00Z */
    int64_t first = bot_clock_now_s(&clock);
    assert_true(first >= start && first <= start + 5);
    tb_sleep_ms(1100);
    int64_t later_ms = bot_clock_now_ms(&clock);
    assert_true(later_ms >= start * 1000 + 1100);
    assert_true(later_ms < start * 1000 + 600000); /* pinned, not the real date */
}

static void test_ignored_without_override(void **state)
{
    (void)state;
    struct bot_clock clock;
    enum bot_clock_note note = BOT_CLOCK_REAL;
    char err[128] = "";
    assert_int_equal(
        bot_clock_init(&clock, false, "2026-12-03T10:00:00+05:00", &note, err, sizeof err), 0);
    assert_int_equal(note, BOT_CLOCK_IGNORED);
    int64_t real = (int64_t)time(NULL);
    int64_t now = bot_clock_now_s(&clock);
    assert_true(now >= real - 2 && now <= real + 2); /* real time, not the given value */
    assert_false(clock.pinned);
    assert_int_equal(bot_clock_init(&clock, true, NULL, &note, err, sizeof err), 0);
    assert_int_equal(note, BOT_CLOCK_REAL);
    assert_false(clock.pinned);
}

static void test_unparsable_with_override_is_an_error(void **state)
{
    (void)state;
    struct bot_clock clock;
    enum bot_clock_note note = BOT_CLOCK_REAL;
    char err[160] = "";
    assert_int_equal(bot_clock_init(&clock, true, "2026-12-03 10:00", &note, err, sizeof err),
                     CORE_ECONFIG);
    assert_non_null(strstr(err, "TABELBOT_NOW"));
    assert_int_equal(bot_clock_init(&clock, true, "2026-12-03T10:00:00", &note, err, sizeof err),
                     CORE_ECONFIG); /* no offset */
}

static void test_monotonic_never_goes_back(void **state)
{
    (void)state;
    uint64_t a = bot_clock_mono_ms();
    tb_sleep_ms(5);
    assert_true(bot_clock_mono_ms() >= a + 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pinned_start_advances_with_monotonic_time),
        cmocka_unit_test(test_ignored_without_override),
        cmocka_unit_test(test_unparsable_with_override_is_an_error),
        cmocka_unit_test(test_monotonic_never_goes_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
