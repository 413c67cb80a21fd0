/* SPDX-License-Identifier: MIT
 * Unit tests of core/: errors, buffers, masks, calendar arithmetic and ISO 8601. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/caltime.h"
#include "core/err.h"
#include "core/log.h"
#include "core/msg.h"

static void test_strerror_every_code_has_text(void **state)
{
    (void)state;
    for (int code = 0; code >= CORE_ESTATE; code--) {
        assert_string_not_equal(core_strerror(code), "unknown error");
    }
    assert_string_equal(core_strerror(-999), "unknown error");
}

static void test_buf_cap_refuses_and_keeps_contents(void **state)
{
    (void)state;
    struct core_buf buf;
    core_buf_init(&buf, 8);
    assert_int_equal(core_buf_append_str(&buf, "12345"), CORE_OK);
    assert_int_equal(core_buf_append_str(&buf, "6789"), CORE_ETOOBIG);
    assert_string_equal(buf.data, "12345");
    assert_int_equal(core_buf_appendf(&buf, "%d", 678), CORE_OK);
    assert_string_equal(buf.data, "12345678");
    char *taken = core_buf_take(&buf);
    assert_string_equal(taken, "12345678");
    free(taken);
    assert_null(buf.data);
    core_buf_cleanup(&buf);
    core_buf_cleanup(&buf);
}

static void test_masks_hide_the_middle(void **state)
{
    (void)state;
    char out[32];
    core_mask_phone("+77011234567", out, sizeof out);
    assert_string_equal(out, "+7701*****67");
    core_mask_iin("900514410006", out, sizeof out);
    assert_string_equal(out, "9005******06");
    core_mask_iin("123", out, sizeof out);
    assert_string_equal(out, "***");
    core_mask_phone(NULL, out, sizeof out);
    assert_string_equal(out, "***");
}

static void test_sanitize_caps_and_masks_nonprintables(void **state)
{
    (void)state;
    char big[300];
    memset(big, 'a', sizeof big);
    big[3] = '\n';
    char out[256];
    core_log_sanitize(big, sizeof big, out, sizeof out);
    assert_int_equal(strlen(out), 128);
    assert_int_equal(out[3], '?');
}

static void test_calendar_basics(void **state)
{
    (void)state;
    assert_true(core_is_leap_year(2000));
    assert_false(core_is_leap_year(1900));
    assert_int_equal(core_days_in_month(2028, 2), 29);
    assert_int_equal(core_days_in_month(2026, 2), 28);
    assert_int_equal(core_days_in_month(2026, 11), 30);
    assert_int_equal(core_weekday(2026, 12, 3), 3); /* Thursday */
    assert_int_equal(core_weekday(2026, 11, 1), 6); /* Sunday */
    assert_int_equal(core_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(core_days_from_civil(1969, 12, 31), -1);
}

static void test_iso8601_round_trip_with_offset(void **state)
{
    (void)state;
    int64_t t = 0;
    /* January 2026 window opens 2026-01-31T19:00:00Z (domain.md §3). */
    assert_int_equal(core_iso8601_parse("2026-02-01T00:00:00+05:00", &t), CORE_OK);
    assert_int_equal(t, 1769886000);
    char text[32];
    core_iso8601_format(t, 5 * 3600, text, sizeof text);
    assert_string_equal(text, "2026-02-01T00:00:00+05:00");
    core_iso8601_format(t, 0, text, sizeof text);
    assert_string_equal(text, "2026-01-31T19:00:00+00:00");
    assert_int_equal(core_iso8601_parse("2026-12-03T10:00+05:00", &t), CORE_OK);
    assert_int_equal(core_iso8601_parse("2026-12-03T10:00:00.250Z", &t), CORE_OK);
}

static void test_iso8601_rejects_garbage(void **state)
{
    (void)state;
    int64_t t = 0;
    const char *bad[] = {"",
                         "2026-12-03",
                         "2026-12-03T10:00:00",
                         "2026-13-01T00:00:00Z",
                         "2026-02-29T00:00:00Z",
                         "2026-12-03T24:00:00Z",
                         "2026-12-03T10:00:00+5",
                         "2026-12-03T10:00:00+05:00x",
                         "abcd-ef-ghT10:00:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(core_iso8601_parse(bad[i], &t), CORE_EBADINPUT);
    }
}

static void test_civil_from_unix_negative_and_offset(void **state)
{
    (void)state;
    struct core_civil c;
    core_civil_from_unix(-1, 0, &c);
    assert_int_equal(c.year, 1969);
    assert_int_equal(c.second, 59);
    core_civil_from_unix(1769886000, 5 * 3600, &c);
    assert_int_equal(c.month, 2);
    assert_int_equal(c.day, 1);
    assert_int_equal(c.hour, 0);
    assert_int_equal(core_unix_from_civil(&c, 5 * 3600), 1769886000);
}

static void test_month_parse_and_format(void **state)
{
    (void)state;
    int m = 0;
    assert_int_equal(core_month_parse("2026-11", &m), CORE_OK);
    char out[8];
    core_month_format(m + 1, out, sizeof out);
    assert_string_equal(out, "2026-12");
    core_month_format(m + 2, out, sizeof out);
    assert_string_equal(out, "2027-01");
    assert_int_equal(core_month_parse("2026-13", &m), CORE_EBADINPUT);
    assert_int_equal(core_month_parse("2026-1", &m), CORE_EBADINPUT);
}

static void test_channel_names_round_trip(void **state)
{
    (void)state;
    for (int ch = 0; ch < CORE_CH_COUNT; ch++) {
        assert_int_equal(core_channel_parse(core_channel_name((enum core_channel)ch)), ch);
    }
    assert_int_equal(core_channel_parse("fax"), -1);
    assert_null(core_channel_name(CORE_CH_COUNT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror_every_code_has_text),
        cmocka_unit_test(test_buf_cap_refuses_and_keeps_contents),
        cmocka_unit_test(test_masks_hide_the_middle),
        cmocka_unit_test(test_sanitize_caps_and_masks_nonprintables),
        cmocka_unit_test(test_calendar_basics),
        cmocka_unit_test(test_iso8601_round_trip_with_offset),
        cmocka_unit_test(test_iso8601_rejects_garbage),
        cmocka_unit_test(test_civil_from_unix_negative_and_offset),
        cmocka_unit_test(test_month_parse_and_format),
        cmocka_unit_test(test_channel_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
