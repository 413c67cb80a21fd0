/* SPDX-License-Identifier: MIT
 * What SMS texts cost: prints the segment count of the one-time code SMS and of every catalog
 * text longer than 70 characters in kk and ru (placeholders filled with typical values), and
 * checks the budget: the code SMS is one segment, the unknown-number notice at most two, and
 * every text written for SMS (keys ending in ".sms") at most the default cap of 3.
 * Run: ctest -R sms_catalog_segments -V  (or build/tests/unit_test_sms_catalog_segments). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "adapters/sms.h"
#include "bot/sms.h"
#include "dialogs/i18n.h"
#include "support/proc.h"

static const struct dlg_i18n_arg typical[] = {
    {"n", "19"},
    {"month", "қараша 2026"},
    {"name", "Томирис"},
    {"until", "10 желтоқсанға дейін"},
    {"to", "10"},
    {"from", "1"},
    {"phone", "8 (727) 339-72-22"},
    {"whatsapp", "8 (747) 339-72-22"},
    {"days", "2–6, 9–13, 16–20, 25–27, 30"},
    {"receipt", "R4T7Z-Q8M2C"},
    {"year", "2026"},
    {"voucher", "V-0003-2025"},
    {"version", "2026-11"},
    {"surname", "Бекова"},
    {"given_name", "Гүлнар"},
    {"patronymic", "Ахметқызы"},
    {"seconds", "60"},
    {"minutes", "5"},
    {"date", "3 желтоқсан 2026"},
    {"status", "растауды күтуде"},
    {"sex", "әйел"},
    {"reason", "Ауырды"},
    {"missed", "қазан 2026"},
    {"max", "5"},
    {"last", "10"},
    {"kindergarten", "«Айгөлек» балабақшасы"},
    {"hours", "Mon-Fri 09:00-18:00"},
    {"day", "40"},
    {"day_month", "3 желтоқсан"},
    {"code", "123456"},
    {"birth_date", "1995 ж. 17 шілде"},
};

static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}

static int segments(const char *text)
{
    struct ad_sms_count c;
    assert_int_equal(ad_sms_count(text, strlen(text), &c), CORE_OK);
    return c.segments;
}

/* Every "key = text" of the catalog file, formatted and measured. */
static void report_catalog(enum dlg_lang lang)
{
    char rel[64];
    snprintf(rel, sizeof rel, "dialogs/i18n/%s.txt", dlg_lang_code(lang));
    char *file = tb_fixture_read(rel, NULL);
    assert_non_null(file);
    char *text = malloc(CORE_REPLY_TEXT_MAX);
    assert_non_null(text);
    int listed = 0;
    for (char *line = strtok(file, "\n"); line; line = strtok(NULL, "\n")) {
        char key[96];
        if (line[0] == '#' || sscanf(line, "%95[a-z0-9_.] =", key) != 1 || !strchr(line, '=')) {
            continue;
        }
        if (dlg_i18n_format(lang, key, text, CORE_REPLY_TEXT_MAX,
                            sizeof typical / sizeof typical[0], typical) != 0) {
            continue;
        }
        size_t n = chars(text);
        int seg = segments(text);
        size_t klen = strlen(key);
        if (klen > 4 && strcmp(key + klen - 4, ".sms") == 0 && seg > 3) {
            fail_msg("%s %s: %d segments for an SMS text", dlg_lang_code(lang), key, seg);
        }
        if (n > 70) {
            printf("%s  %-28s %4zu chars  %d segments\n", dlg_lang_code(lang), key, n, seg);
            listed++;
        }
    }
    printf("%s: %d catalog texts longer than 70 characters\n", dlg_lang_code(lang), listed);
    free(text);
    free(file);
}

static void test_segment_report(void **state)
{
    (void)state;
    static const char *const langs[] = {"kk", "ru"};
    for (size_t i = 0; i < 2; i++) {
        char text[512];
        assert_int_equal(bot_sms_code_text(langs[i], "123456", 300, text, sizeof text), 0);
        printf("%s  %-28s %4zu chars  %d segments  \"%s\"\n", langs[i], "sms.code (the code SMS)",
               chars(text), segments(text), text);
        assert_int_equal(segments(text), 1);
        assert_int_equal(dlg_i18n_format(dlg_lang_parse(langs[i]), "sms.unknown", text, sizeof text,
                                         sizeof typical / sizeof typical[0], typical),
                         0);
        assert_true(segments(text) <= 2);
    }
    report_catalog(DLG_LANG_KK);
    report_catalog(DLG_LANG_RU);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_segment_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
