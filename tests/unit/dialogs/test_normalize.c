/* SPDX-License-Identifier: MIT
 * Unit tests of dialogs/normalize: UTF-8 decoding, folding (case, Kazakh and Latin
 * look-alikes, whitespace, punctuation, emoji), keywords in kk/ru/en, option numbers,
 * one-time codes and day lists with every error kind, and invalid UTF-8 everywhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dialogs/normalize.h"

/* ---- UTF-8 ---- */

static void test_utf8_decode_and_validate(void **state)
{
    (void)state;
    uint32_t cp = 0;
    assert_int_equal(dlg_utf8_decode("A", 1, &cp), 1);
    assert_int_equal(cp, 'A');
    assert_int_equal(dlg_utf8_decode("ә", 2, &cp), 2);
    assert_int_equal(cp, 0x04D9);
    assert_int_equal(dlg_utf8_decode("–", 3, &cp), 3);
    assert_int_equal(cp, 0x2013);
    assert_int_equal(dlg_utf8_decode("😀", 4, &cp), 4);
    assert_int_equal(cp, 0x1F600);
    static const char *const bad[] = {
        "\x80",             /* lone continuation */
        "\xC0\xAF",         /* overlong '/' */
        "\xE0\x80\xAF",     /* overlong */
        "\xED\xA0\x80",     /* surrogate */
        "\xF4\x90\x80\x80", /* past U+10FFFF */
        "\xFF",             /* never valid */
        "\xD0",             /* truncated */
        "\xE2\x80",         /* truncated */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(dlg_utf8_decode(bad[i], strlen(bad[i]), &cp), 0);
        assert_false(dlg_utf8_valid(bad[i], strlen(bad[i])));
    }
    assert_true(dlg_utf8_valid("иә, ok 😀", strlen("иә, ok 😀")));
    /* Prefix on a boundary: "иә" is 4 bytes; max 3 keeps only "и". */
    assert_int_equal(dlg_utf8_prefix("иә", 4, 3), 2);
    assert_int_equal(dlg_utf8_prefix("иә", 4, 4), 4);
    assert_int_equal(dlg_utf8_prefix("иә", 4, 1), 0);
    assert_int_equal(dlg_utf8_prefix("ab", 2, 1), 1);
}

/* ---- folding ---- */

struct fold_case {
    const char *in;
    const char *out;
};

static void test_fold_table(void **state)
{
    (void)state;
    static const struct fold_case cases[] = {
        {"ДА", "да"},
        {"Да.", "да"},
        {"  Да  !!! ", "да"},
        {"ИӘ", "иа"},
        {"иә", "иа"},
        {"ӘҒҚҢӨҰҮҺІ", "агкноуухи"},
        {"әғқңөұүһі", "агкноуухи"},
        {"Ёлка ЁЖ", "елка еж"},
        {"оК", "ок"},   /* Latin o + Cyrillic К */
        {"OK", "ok"},   /* all Latin stays Latin */
        {"Дa", "да"},   /* Cyrillic Д + Latin a */
        {"тiл", "тил"}, /* Latin i typed for і */
        {"HELLO World", "hello world"},
        {"pacтay", "растау"},   /* Latin p, a, c, y in a Cyrillic word */
        {"abc где", "abc где"}, /* look-alikes only inside a Cyrillic word */
        {"да\t\n  нет", "да нет"},
        {"да\xC2\xA0нет", "да нет"}, /* no-break space */
        {"👍 да 👍", "да"},
        {"😀😀", ""},
        {"да👍", "да"},
        {"1️⃣", "1"}, /* keycap emoji: digit, VS16, combining keycap */
        {"?", "?"},       /* punctuation only is kept */
        {"...", "..."},
        {"да?!", "да"},
        {"мәзір…", "мазир"},
        {"", ""},
        {"   ", ""},
        {"15-17, 3", "15-17, 3"},
        {"/start", "/start"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[256];
        int rc = dlg_fold(cases[i].in, out, sizeof(out));
        if (rc != 0 || strcmp(out, cases[i].out) != 0) {
            print_error("fold(\"%s\") = %d \"%s\", want \"%s\"\n", cases[i].in, rc, out,
                        cases[i].out);
            fail();
        }
    }
}

static void test_fold_bad_input_and_sizes(void **state)
{
    (void)state;
    char out[16] = "x";
    assert_int_equal(dlg_fold("да\xFFнет", out, sizeof(out)), CORE_EBADINPUT);
    assert_string_equal(out, "");
    assert_int_equal(dlg_fold("\xD0", out, sizeof(out)), CORE_EBADINPUT);
    assert_int_equal(dlg_fold(NULL, out, sizeof(out)), CORE_EINVAL);
    assert_int_equal(dlg_fold("x", NULL, 4), CORE_EINVAL);
    assert_int_equal(dlg_fold("x", out, 0), CORE_EINVAL);
    /* "pacтay": 6 Latin/Cyrillic letters become 12 bytes; 2 * len + 1 always fits. */
    char exact[2 * 6 + 1 + 1];
    assert_int_equal(dlg_fold("pacтay", exact, sizeof(exact)), 0);
    char small[6];
    assert_int_equal(dlg_fold("pacтay", small, sizeof(small)), CORE_ETOOBIG);
    assert_string_equal(small, "");
    /* Worst case: every byte a Latin look-alike in a Cyrillic word doubles. */
    char worst_in[64];
    snprintf(worst_in, sizeof(worst_in), "ж%s", "aeopcxykmthbiaeopcxykmthbi");
    char worst_out[2 * sizeof(worst_in) + 1];
    assert_int_equal(dlg_fold(worst_in, worst_out, 2 * strlen(worst_in) + 1), 0);
}

/* ---- keywords ---- */

struct kw_case {
    const char *text;
    enum dlg_keyword kw;
};

static void test_keywords_every_language_case_and_lookalike(void **state)
{
    (void)state;
    static const struct kw_case cases[] = {
        {"иә", DLG_KW_YES},
        {"ИӘ", DLG_KW_YES},
        {"Иә!", DLG_KW_YES},
        {"ия", DLG_KW_YES},
        {"йә", DLG_KW_YES},
        {"ДА", DLG_KW_YES},
        {"Да.", DLG_KW_YES},
        {"да", DLG_KW_YES},
        {"ok", DLG_KW_YES},
        {"OK", DLG_KW_YES},
        {"оК", DLG_KW_YES},
        {"ок", DLG_KW_YES},
        {"Yes", DLG_KW_YES},
        {"y", DLG_KW_YES},
        {"иа", DLG_KW_YES},
        {"👍 да", DLG_KW_YES},
        {"жоқ", DLG_KW_NO},
        {"ЖОҚ", DLG_KW_NO},
        {"жок", DLG_KW_NO},
        {"Нет", DLG_KW_NO},
        {"no", DLG_KW_NO},
        {"NO.", DLG_KW_NO},
        {"мәзір", DLG_KW_MENU},
        {"мазир", DLG_KW_MENU},
        {"Меню", DLG_KW_MENU},
        {"menu", DLG_KW_MENU},
        {"басты мәзір", DLG_KW_MENU},
        {"Главное  меню", DLG_KW_MENU},
        {"/menu", DLG_KW_MENU},
        {"оператор", DLG_KW_OPERATOR},
        {"ОПЕРАТОР", DLG_KW_OPERATOR},
        {"operator", DLG_KW_OPERATOR},
        {"адам", DLG_KW_OPERATOR},
        {"человек", DLG_KW_OPERATOR},
        {"маман", DLG_KW_OPERATOR},
        {"0", DLG_KW_OPERATOR},
        {" 0 ", DLG_KW_OPERATOR},
        {"тоқтату", DLG_KW_STOP},
        {"токтату", DLG_KW_STOP},
        {"тоқта", DLG_KW_STOP},
        {"СТОП", DLG_KW_STOP},
        {"stop", DLG_KW_STOP},
        {"отписаться", DLG_KW_STOP},
        {"unsubscribe", DLG_KW_STOP},
        {"бастау", DLG_KW_START},
        {"старт", DLG_KW_START},
        {"start", DLG_KW_START},
        {"/start", DLG_KW_START},
        {"көмек", DLG_KW_HELP},
        {"помощь", DLG_KW_HELP},
        {"help", DLG_KW_HELP},
        {"?", DLG_KW_HELP},
        {"/help", DLG_KW_HELP},
        {"артқа", DLG_KW_BACK},
        {"назад", DLG_KW_BACK},
        {"Back", DLG_KW_BACK},
        {"тіл", DLG_KW_LANGUAGE},
        {"тiл", DLG_KW_LANGUAGE},
        {"язык", DLG_KW_LANGUAGE},
        {"language", DLG_KW_LANGUAGE},
        {"растау", DLG_KW_CONFIRM},
        {"Растаймын", DLG_KW_CONFIRM},
        {"подтвердить", DLG_KW_CONFIRM},
        {"Подтверждаю!", DLG_KW_CONFIRM},
        {"confirm", DLG_KW_CONFIRM},
        {"келіспеймін", DLG_KW_DISPUTE},
        {"бас тарту", DLG_KW_DISPUTE},
        {"Не согласен", DLG_KW_DISPUTE},
        {"оспорить", DLG_KW_DISPUTE},
        {"dispute", DLG_KW_DISPUTE},
        {"қайта жіберу", DLG_KW_RESEND},
        {"новый код", DLG_KW_RESEND},
        {"resend", DLG_KW_RESEND},
        {"балалар", DLG_KW_CHILDREN},
        {"дети", DLG_KW_CHILDREN},
        {"children", DLG_KW_CHILDREN},
        {"Қазақша", DLG_KW_LANG_KK},
        {"казакша", DLG_KW_LANG_KK},
        {"русский", DLG_KW_LANG_RU},
        {"орысша", DLG_KW_LANG_RU},
        {"English", DLG_KW_LANG_EN},
        {"ағылшынша", DLG_KW_LANG_EN},
        {"ажырату", DLG_KW_UNLINK},
        {"отвязать", DLG_KW_UNLINK},
        {"unlink", DLG_KW_UNLINK},
        {"отмена", DLG_KW_CANCEL},
        {"cancel", DLG_KW_CANCEL},
        {"болдырмау", DLG_KW_CANCEL},
        /* Whole message only; unknown words; noise. */
        {"да, но не сейчас", DLG_KW_NONE},
        {"я сказал да", DLG_KW_NONE},
        {"нет проблем", DLG_KW_NONE},
        {"stop it", DLG_KW_NONE},
        {"а", DLG_KW_NONE},
        {"ә", DLG_KW_NONE},
        {"д", DLG_KW_NONE},
        {"", DLG_KW_NONE},
        {"   ", DLG_KW_NONE},
        {"😀", DLG_KW_NONE},
        {"00", DLG_KW_NONE},
        {"1", DLG_KW_NONE},
        {"/", DLG_KW_NONE},
        {"да\xFF", DLG_KW_NONE},
        {"\xD0", DLG_KW_NONE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum dlg_keyword got = dlg_keyword_match(cases[i].text);
        if (got != cases[i].kw) {
            print_error("\"%s\": got %s, want %s\n", cases[i].text, dlg_keyword_name(got),
                        dlg_keyword_name(cases[i].kw));
            fail();
        }
    }
    assert_int_equal(dlg_keyword_match(NULL), DLG_KW_NONE);
    char longtext[600];
    memset(longtext, ' ', sizeof(longtext));
    memcpy(longtext + 300, "да", 5); /* "да" (4 bytes) and its NUL, after 300 spaces */
    assert_int_equal(dlg_keyword_match(longtext), DLG_KW_NONE);
}

static void test_keyword_table_is_consistent(void **state)
{
    (void)state;
    /* Every synonym matches its own keyword (so no folded duplicate points elsewhere), every
     * keyword has a synonym and a name. */
    bool seen[DLG_KW_COUNT] = {false};
    enum dlg_keyword kw = DLG_KW_NONE;
    const char *text = NULL;
    size_t n = 0;
    for (size_t i = 0; (text = dlg_keyword_synonym(i, &kw)) != NULL; i++) {
        enum dlg_keyword got = dlg_keyword_match(text);
        if (got != kw) {
            print_error("synonym \"%s\" of %s matches %s\n", text, dlg_keyword_name(kw),
                        dlg_keyword_name(got));
            fail();
        }
        seen[kw] = true;
        n++;
    }
    assert_true(n > 50);
    for (int k = 1; k < DLG_KW_COUNT; k++) {
        assert_true(seen[k]);
        assert_string_not_equal(dlg_keyword_name((enum dlg_keyword)k), "none");
    }
    assert_string_equal(dlg_keyword_name(DLG_KW_COUNT), "none");
    assert_null(dlg_keyword_synonym(n, &kw));
}

static void test_guess_lang(void **state)
{
    (void)state;
    assert_int_equal(dlg_guess_lang("Сәлеметсіз бе"), DLG_LANG_KK);
    assert_int_equal(dlg_guess_lang("Здравствуйте"), DLG_LANG_RU);
    assert_int_equal(dlg_guess_lang("Hello"), DLG_LANG_EN);
    assert_int_equal(dlg_guess_lang("123 😀"), -1);
    assert_int_equal(dlg_guess_lang("\xFF"), -1);
    assert_int_equal(dlg_guess_lang(NULL), -1);
}

/* ---- option numbers ---- */

struct option_case {
    const char *text;
    int rc;
    int number;
};

static void test_option_numbers(void **state)
{
    (void)state;
    static const struct option_case cases[] = {
        {"1", 0, 1},    {"1.", 0, 1},  {"1)", 0, 1},  {" 1 ", 0, 1},    {"№1", 0, 1},
        {"#1", 0, 1},   {"№ 2", 0, 2}, {"12", 0, 12}, {"0", 0, 0},      {"1️⃣", 0, 1},
        {"3!", 0, 3},   {"07", 0, 7},  {"", -2, 0},   {"1 2", -2, 0},   {"100", -2, 0},
        {"one", -2, 0}, {"1a", -2, 0}, {"-1", -2, 0}, {"١", -2, 0},     {"１", -2, 0},
        {"1.5", -2, 0}, {"#", -2, 0},  {"№", -2, 0},  {"1\xFF", -2, 0}, {"((1", -2, 0},
        {"1))", -2, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int number = -99;
        int rc = dlg_option_number(cases[i].text, &number);
        if (rc != cases[i].rc || (rc == 0 && number != cases[i].number) ||
            (rc != 0 && number != -99)) {
            print_error("option(\"%s\") = %d, %d\n", cases[i].text, rc, number);
            fail();
        }
    }
    int number = 0;
    assert_int_equal(dlg_option_number(NULL, &number), CORE_EBADINPUT);
    assert_int_equal(dlg_option_number("1", NULL), CORE_EBADINPUT);
}

/* ---- codes ---- */

struct code_case {
    const char *text;
    const char *code; /* NULL: not a code */
};

static void test_codes(void **state)
{
    (void)state;
    static const struct code_case cases[] = {
        {"123456", "123456"},
        {"123 456", "123456"},
        {"123-456", "123456"},
        {"код 123456", "123456"},
        {"Код: 123 456.", "123456"},
        {"code 12-34-56", "123456"},
        {" 654321 ", "654321"},
        {"123–456", "123456"},
        {"12345", NULL},
        {"1234567", NULL},
        {"123 4567", NULL},
        {"123456 7", NULL},
        {"1 123456", NULL},
        {"123456, 2", NULL},
        {"код", NULL},
        {"", NULL},
        {"+7 701 123 45 67", NULL},
        {"12:34:56", NULL},
        {"１２３４５６", NULL},
        {"123456\xFF", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[DLG_CODE_DIGITS + 1] = "-";
        int rc = dlg_code_extract(cases[i].text, out, sizeof(out));
        if (cases[i].code ? (rc != 0 || strcmp(out, cases[i].code) != 0)
                          : (rc != CORE_EBADINPUT || strcmp(out, "-") != 0)) {
            print_error("code(\"%s\") = %d \"%s\"\n", cases[i].text, rc, out);
            fail();
        }
    }
    char small[DLG_CODE_DIGITS];
    assert_int_equal(dlg_code_extract("123456", small, sizeof(small)), CORE_EINVAL);
    char out[8];
    assert_int_equal(dlg_code_extract(NULL, out, sizeof(out)), CORE_EBADINPUT);
}

/* ---- day lists ---- */

#define D(d) (1U << (d))

struct daylist_case {
    const char *text;
    int days_in_month;
    enum dlg_daylist_verdict verdict;
    uint32_t days;
    int bad_day;
    int bad_day_to;
};

static void test_daylist_parse(void **state)
{
    (void)state;
    static const struct daylist_case cases[] = {
        {"3, 7, 15-17", 30, DLG_DAYLIST_OK, D(3) | D(7) | D(15) | D(16) | D(17), 0, 0},
        {"3 7 15–17", 30, DLG_DAYLIST_OK, D(3) | D(7) | D(15) | D(16) | D(17), 0, 0},
        {"3 7 15—17", 30, DLG_DAYLIST_OK, D(3) | D(7) | D(15) | D(16) | D(17), 0, 0},
        {"1,3, 5-7", 30, DLG_DAYLIST_OK, D(1) | D(3) | D(5) | D(6) | D(7), 0, 0},
        {"15-17, 3", 30, DLG_DAYLIST_OK, D(3) | D(15) | D(16) | D(17), 0, 0},
        {"15 - 17", 30, DLG_DAYLIST_OK, D(15) | D(16) | D(17), 0, 0},
        {"3;4.", 30, DLG_DAYLIST_OK, D(3) | D(4), 0, 0},
        {"5-5, 5", 30, DLG_DAYLIST_OK, D(5), 0, 0},
        {"1-31", 31, DLG_DAYLIST_OK, 0xFFFFFFFEU, 0, 0},
        {"29", 29, DLG_DAYLIST_OK, D(29), 0, 0},
        {"", 30, DLG_DAYLIST_EMPTY, 0, 0, 0},
        {" , ;", 30, DLG_DAYLIST_EMPTY, 0, 0, 0},
        {"abc", 30, DLG_DAYLIST_NOT_A_LIST, 0, 0, 0},
        {"3, 7 and 9", 30, DLG_DAYLIST_NOT_A_LIST, 0, 0, 0},
        {"3--5", 30, DLG_DAYLIST_NOT_A_LIST, 0, 0, 0},
        {"5-7-9", 30, DLG_DAYLIST_NOT_A_LIST, 0, 0, 0},
        {"-5", 30, DLG_DAYLIST_NOT_A_LIST, 0, 0, 0},
        {"5-", 30, DLG_DAYLIST_NOT_A_LIST, 0, 0, 0},
        {"3a", 30, DLG_DAYLIST_NOT_A_LIST, 0, 0, 0},
        {"1000", 30, DLG_DAYLIST_NOT_A_LIST, 0, 0, 0},
        {"3.5", 30, DLG_DAYLIST_NOT_A_LIST, 0, 0, 0},
        {"3, \xFF", 30, DLG_DAYLIST_NOT_A_LIST, 0, 0, 0},
        {"40, x", 30, DLG_DAYLIST_NOT_A_LIST, 0, 0, 0}, /* syntax before range */
        {"3, 31", 30, DLG_DAYLIST_OUT_OF_RANGE, 0, 31, 0},
        {"30", 29, DLG_DAYLIST_OUT_OF_RANGE, 0, 30, 0}, /* leap February */
        {"29", 28, DLG_DAYLIST_OUT_OF_RANGE, 0, 29, 0},
        {"0", 30, DLG_DAYLIST_OUT_OF_RANGE, 0, 0, 0},
        {"25-32", 31, DLG_DAYLIST_OUT_OF_RANGE, 0, 32, 0},
        {"100", 31, DLG_DAYLIST_OUT_OF_RANGE, 0, 100, 0},
        {"17-15", 30, DLG_DAYLIST_REVERSED, 0, 17, 15},
        {"3, 20–10, 40", 30, DLG_DAYLIST_REVERSED, 0, 20, 10}, /* first problem in order */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct daylist_case *c = &cases[i];
        struct dlg_daylist_result r;
        memset(&r, 0x5A, sizeof(r));
        enum dlg_daylist_verdict v = dlg_daylist_parse(c->text, c->days_in_month, &r);
        if (v != c->verdict || r.verdict != c->verdict || r.days != c->days ||
            r.bad_day != c->bad_day || r.bad_day_to != c->bad_day_to) {
            print_error("daylist(\"%s\", %d) = %d days %08x bad %d..%d\n", c->text,
                        c->days_in_month, v, r.days, r.bad_day, r.bad_day_to);
            fail();
        }
    }
    assert_int_equal(dlg_daylist_parse(NULL, 30, NULL), DLG_DAYLIST_NOT_A_LIST);
    assert_int_equal(dlg_daylist_parse("3", 30, NULL), DLG_DAYLIST_OK);
}

static void test_daylist_format_round_trip(void **state)
{
    (void)state;
    char out[DLG_DAYLIST_MAX];
    uint32_t set = D(3) | D(7) | D(15) | D(16) | D(17);
    assert_int_equal(dlg_daylist_format(set, out, sizeof(out)), 0);
    assert_string_equal(out, "3, 7, 15–17");
    assert_int_equal(dlg_daylist_canonical(set, out, sizeof(out)), 0);
    assert_string_equal(out, "3,7,15-17");
    assert_int_equal(dlg_daylist_format(D(1) | D(2) | D(31), out, sizeof(out)), 0);
    assert_string_equal(out, "1, 2, 31");
    assert_int_equal(dlg_daylist_format(0, out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(dlg_daylist_format(0xFFFFFFFEU, out, sizeof(out)), 0);
    assert_string_equal(out, "1–31");
    /* Bit 0 is not a day. */
    assert_int_equal(dlg_daylist_canonical(1U | D(5), out, sizeof(out)), 0);
    assert_string_equal(out, "5");
    /* Alternate days: the longest display form, fits DLG_DAYLIST_MAX. */
    uint32_t odd = 0;
    for (int d = 1; d <= 31; d += 2) {
        odd |= D(d);
    }
    assert_int_equal(dlg_daylist_format(odd, out, sizeof(out)), 0);
    char tiny[4] = "xyz";
    assert_int_equal(dlg_daylist_format(set, tiny, sizeof(tiny)), CORE_ETOOBIG);
    assert_string_equal(tiny, "");
    assert_int_equal(dlg_daylist_format(set, NULL, 5), CORE_EINVAL);
    /* Every formatted set parses back to itself (display and canonical forms). */
    for (uint32_t seed = 1; seed < 2000; seed++) {
        uint32_t days = (seed * 2654435761U) & 0xFFFFFFFEU;
        struct dlg_daylist_result r;
        assert_int_equal(dlg_daylist_format(days, out, sizeof(out)), 0);
        if (days == 0) {
            continue;
        }
        assert_int_equal(dlg_daylist_parse(out, 31, &r), DLG_DAYLIST_OK);
        assert_int_equal(r.days, days);
        assert_int_equal(dlg_daylist_canonical(days, out, sizeof(out)), 0);
        assert_int_equal(dlg_daylist_parse(out, 31, &r), DLG_DAYLIST_OK);
        assert_int_equal(r.days, days);
    }
    assert_int_equal(dlg_dayset_count(set), 5);
    assert_int_equal(dlg_dayset_count(0xFFFFFFFFU), 31);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_decode_and_validate),
        cmocka_unit_test(test_fold_table),
        cmocka_unit_test(test_fold_bad_input_and_sizes),
        cmocka_unit_test(test_keywords_every_language_case_and_lookalike),
        cmocka_unit_test(test_keyword_table_is_consistent),
        cmocka_unit_test(test_guess_lang),
        cmocka_unit_test(test_option_numbers),
        cmocka_unit_test(test_codes),
        cmocka_unit_test(test_daylist_parse),
        cmocka_unit_test(test_daylist_format_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
