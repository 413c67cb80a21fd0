/* SPDX-License-Identifier: MIT
 * Unit tests of dialogs/i18n: the catalog parser on fixture catalogs (tests/fixtures/i18n),
 * the fallback chain, {name} expansion and UTF-8-safe truncation, CLDR plurals, and every
 * month and weekday word and date phrase against shared/domain.md §5.3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dialogs/i18n.h"
#include "dialogs/normalize.h"
#include "support/lang_files.h"

/* Catalogs are 72 KiB each: keep them off the stack. */
static struct dlg_catalog g_good;
static struct dlg_catalog g_fallback;
static struct dlg_catalog g_scratch;

static void load_fixture(const char *name, struct dlg_catalog *cat)
{
    char path[256];
    snprintf(path, sizeof(path), "tests/fixtures/i18n/%s", name);
    size_t len = 0;
    char *data = tb_read_source_file(path, &len);
    assert_non_null(data);
    struct dlg_catalog_error err;
    int rc = dlg_catalog_parse(cat, data, len, &err);
    if (rc != 0) {
        print_error("%s: line %u: %s\n", name, err.line, dlg_catalog_problem_name(err.problem));
    }
    free(data);
    assert_int_equal(rc, 0);
}

/* ---- parser ---- */

static void test_catalog_good_fixture_parses_every_form(void **state)
{
    (void)state;
    load_fixture("good.txt", &g_good);
    assert_int_equal(dlg_catalog_count(&g_good), 10);
    assert_string_equal(dlg_catalog_find(&g_good, "greeting"), "Сәлем, {name}!");
    assert_string_equal(dlg_catalog_find(&g_good, "multi"), "Бірінші жол\nЕкінші жол");
    assert_string_equal(dlg_catalog_find(&g_good, "backslash"), "a\\b");
    assert_string_equal(dlg_catalog_find(&g_good, "indented.key"), "spaced text");
    assert_string_equal(dlg_catalog_find(&g_good, "empty"), "");
    assert_string_equal(dlg_catalog_find(&g_good, "hash"), "text # not a comment");
    assert_string_equal(dlg_catalog_find(&g_good, "crlf"), "windows line");
    assert_null(dlg_catalog_find(&g_good, "missing"));
    assert_null(dlg_catalog_find(&g_good, "greetin"));
    /* Entries come out sorted by key, each with its source line. */
    for (size_t i = 1; i < dlg_catalog_count(&g_good); i++) {
        assert_true(strcmp(dlg_catalog_key(&g_good, i - 1), dlg_catalog_key(&g_good, i)) < 0);
    }
    for (size_t i = 0; i < dlg_catalog_count(&g_good); i++) {
        if (strcmp(dlg_catalog_key(&g_good, i), "greeting") == 0) {
            assert_int_equal(dlg_catalog_line(&g_good, i), 3);
        }
    }
}

struct bad_case {
    const char *file;
    enum dlg_catalog_problem problem;
    unsigned line;
    int rc;
};

static void test_catalog_bad_fixtures_fail_loudly_with_line(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"bad_no_equals.txt", DLG_CAT_NO_EQUALS, 3, CORE_EBADINPUT},
        {"bad_key.txt", DLG_CAT_BAD_KEY, 3, CORE_EBADINPUT},
        {"bad_escape.txt", DLG_CAT_BAD_ESCAPE, 2, CORE_EBADINPUT},
        {"bad_dangling_escape.txt", DLG_CAT_BAD_ESCAPE, 1, CORE_EBADINPUT},
        {"bad_duplicate.txt", DLG_CAT_DUPLICATE, 3, CORE_EBADINPUT},
        {"bad_utf8.txt", DLG_CAT_BAD_UTF8, 2, CORE_EBADINPUT},
        {"bad_control.txt", DLG_CAT_BAD_CONTROL, 2, CORE_EBADINPUT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[256];
        snprintf(path, sizeof(path), "tests/fixtures/i18n/%s", cases[i].file);
        size_t len = 0;
        char *data = tb_read_source_file(path, &len);
        assert_non_null(data);
        struct dlg_catalog_error err = {DLG_CAT_OK, 0};
        int rc = dlg_catalog_parse(&g_scratch, data, len, &err);
        free(data);
        if (rc != cases[i].rc || err.problem != cases[i].problem || err.line != cases[i].line) {
            print_error("%s: rc %d problem %s line %u\n", cases[i].file, rc,
                        dlg_catalog_problem_name(err.problem), err.line);
            fail();
        }
        assert_int_equal(dlg_catalog_count(&g_scratch), 0);
        assert_null(dlg_catalog_find(&g_scratch, "a"));
    }
}

static void test_catalog_key_bounds(void **state)
{
    (void)state;
    char key[DLG_I18N_KEY_MAX + 2];
    char line[256];
    /* 96 bytes of key is the limit, 97 is refused. */
    memset(key, 'k', sizeof(key));
    key[DLG_I18N_KEY_MAX] = '\0';
    snprintf(line, sizeof(line), "%s = x\n", key);
    assert_int_equal(dlg_catalog_parse(&g_scratch, line, strlen(line), NULL), 0);
    assert_string_equal(dlg_catalog_find(&g_scratch, key), "x");
    key[DLG_I18N_KEY_MAX] = 'k';
    key[DLG_I18N_KEY_MAX + 1] = '\0';
    snprintf(line, sizeof(line), "%s = x\n", key);
    assert_int_equal(dlg_catalog_parse(&g_scratch, line, strlen(line), NULL), CORE_EBADINPUT);
    const char *no_key = " = text\n";
    assert_int_equal(dlg_catalog_parse(&g_scratch, no_key, strlen(no_key), NULL), CORE_EBADINPUT);
    assert_int_equal(dlg_catalog_parse(NULL, no_key, 1, NULL), CORE_EINVAL);
    assert_int_equal(dlg_catalog_parse(&g_scratch, NULL, 1, NULL), CORE_EINVAL);
    /* An empty catalog is valid and empty; so is a comment-only one. */
    assert_int_equal(dlg_catalog_parse(&g_scratch, "", 0, NULL), 0);
    assert_int_equal(dlg_catalog_count(&g_scratch), 0);
    assert_int_equal(dlg_catalog_parse(&g_scratch, "# only\n\n", 8, NULL), 0);
    assert_int_equal(dlg_catalog_count(&g_scratch), 0);
}

/* Builds "k0000 = text\n" lines; returns the malloc'd buffer. */
static char *many_keys(size_t n, size_t text_len, size_t *len)
{
    size_t line = 5 + 3 + text_len + 1;
    char *buf = malloc(n * line + 1);
    assert_non_null(buf);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        pos += (size_t)sprintf(buf + pos, "k%04zu = ", i);
        memset(buf + pos, 'x', text_len);
        pos += text_len;
        buf[pos++] = '\n';
    }
    buf[pos] = '\0';
    *len = pos;
    return buf;
}

static void test_catalog_bounds_fail_loudly(void **state)
{
    (void)state;
    size_t len = 0;
    struct dlg_catalog_error err;
    char *buf = many_keys(DLG_I18N_MAX_KEYS, 4, &len);
    assert_int_equal(dlg_catalog_parse(&g_scratch, buf, len, &err), 0);
    assert_int_equal(dlg_catalog_count(&g_scratch), DLG_I18N_MAX_KEYS);
    assert_string_equal(dlg_catalog_find(&g_scratch, "k1023"), "xxxx");
    free(buf);

    buf = many_keys(DLG_I18N_MAX_KEYS + 1, 4, &len);
    assert_int_equal(dlg_catalog_parse(&g_scratch, buf, len, &err), CORE_ETOOBIG);
    assert_int_equal(err.problem, DLG_CAT_TOO_MANY);
    assert_int_equal(err.line, DLG_I18N_MAX_KEYS + 1);
    free(buf);

    /* 100 texts of 700 bytes: 70 KB of text, over the 64 KiB pool. */
    buf = many_keys(100, 700, &len);
    assert_int_equal(dlg_catalog_parse(&g_scratch, buf, len, &err), CORE_ETOOBIG);
    assert_int_equal(err.problem, DLG_CAT_TOO_BIG);
    assert_true(err.line > 80 && err.line <= 100);
    free(buf);
}

/* ---- lookup and fallback ---- */

static void test_lookup_falls_back_to_ru_then_key(void **state)
{
    (void)state;
    load_fixture("good.txt", &g_good);
    load_fixture("fallback.txt", &g_fallback);
    assert_string_equal(dlg_catalog_lookup(&g_good, &g_fallback, "greeting"), "Сәлем, {name}!");
    assert_string_equal(dlg_catalog_lookup(&g_good, &g_fallback, "only.ru"), "Только по-русски");
    assert_string_equal(dlg_catalog_lookup(&g_good, &g_fallback, "no.such.key"), "no.such.key");
    assert_string_equal(dlg_catalog_lookup(NULL, &g_fallback, "only.ru"), "Только по-русски");
    assert_string_equal(dlg_catalog_lookup(NULL, NULL, "x.y"), "x.y");
    assert_string_equal(dlg_catalog_lookup(&g_good, &g_fallback, NULL), "");
}

static void test_compiled_catalogs_load_and_answer(void **state)
{
    (void)state;
    enum dlg_lang failed = DLG_LANG_COUNT;
    struct dlg_catalog_error err = {DLG_CAT_OK, 0};
    int rc = dlg_i18n_init(&failed, &err);
    if (rc != 0) {
        print_error("catalog #%d: line %u: %s\n", (int)failed, err.line,
                    dlg_catalog_problem_name(err.problem));
    }
    assert_int_equal(rc, 0);
    for (int l = 0; l < DLG_LANG_COUNT; l++) {
        const struct dlg_catalog *cat = dlg_i18n_catalog((enum dlg_lang)l);
        assert_non_null(cat);
        assert_true(dlg_catalog_count(cat) > 0);
        for (size_t i = 0; i < dlg_catalog_count(cat); i++) {
            const char *key = dlg_catalog_key(cat, i);
            assert_ptr_equal(dlg_i18n_text((enum dlg_lang)l, key), dlg_catalog_text(cat, i));
            assert_true(dlg_i18n_has((enum dlg_lang)l, key));
        }
    }
    assert_string_equal(dlg_i18n_text(DLG_LANG_KK, "no.such.key.anywhere"), "no.such.key.anywhere");
    assert_false(dlg_i18n_has(DLG_LANG_EN, "no.such.key.anywhere"));
    assert_null(dlg_i18n_catalog(DLG_LANG_COUNT));
    assert_string_equal(dlg_i18n_text(DLG_LANG_RU, NULL), "");
    char out[64];
    assert_int_equal(dlg_i18n_format(DLG_LANG_EN, "no.such.key", out, sizeof(out), 0, NULL), 0);
    assert_string_equal(out, "no.such.key");
}

/* ---- expansion ---- */

static void test_expand_named_placeholders(void **state)
{
    (void)state;
    char out[256];
    const struct dlg_i18n_arg args[] = {{"name", "Айгерім"}, {"month", "қараша"}, {"n", "5"}};
    assert_int_equal(dlg_i18n_expand("Сәлем, {name}! {month}: {n} күн", out, sizeof(out), 3, args),
                     0);
    assert_string_equal(out, "Сәлем, Айгерім! қараша: 5 күн");
    /* Unknown placeholders, stray and empty braces stay verbatim; values are not rescanned. */
    const struct dlg_i18n_arg tricky[] = {{"name", "{month}"}};
    assert_int_equal(
        dlg_i18n_expand("{unknown} {name} { x } {} {name", out, sizeof(out), 1, tricky), 0);
    assert_string_equal(out, "{unknown} {month} { x } {} {name");
    /* First matching argument wins; NULL entries are skipped. */
    const struct dlg_i18n_arg dup[] = {{NULL, "z"}, {"a", NULL}, {"a", "1"}, {"a", "2"}};
    assert_int_equal(dlg_i18n_expand("{a}", out, sizeof(out), 4, dup), 0);
    assert_string_equal(out, "1");
    assert_int_equal(dlg_i18n_expand("no args {a}", out, sizeof(out), 0, NULL), 0);
    assert_string_equal(out, "no args {a}");
    assert_int_equal(dlg_i18n_expand(NULL, out, sizeof(out), 0, NULL), CORE_EINVAL);
    assert_int_equal(dlg_i18n_expand("x", out, 0, 0, NULL), CORE_EINVAL);
    assert_int_equal(dlg_i18n_expand("x", out, sizeof(out), 1, NULL), CORE_EINVAL);
}

static void test_expand_truncates_on_utf8_boundary(void **state)
{
    (void)state;
    /* "Сәлем" is 10 bytes (5 two-byte letters). Every buffer size must give a valid UTF-8
     * prefix of the full text and report the truncation. */
    const char *full = "Сәлем, Айгерім!";
    const struct dlg_i18n_arg args[] = {{"name", "Айгерім"}};
    for (size_t size = 1; size <= strlen(full) + 1; size++) {
        char out[64];
        memset(out, '#', sizeof(out));
        int rc = dlg_i18n_expand("Сәлем, {name}!", out, size, 1, args);
        size_t got = strlen(out);
        assert_true(got < size);
        assert_true(dlg_utf8_valid(out, got));
        assert_memory_equal(out, full, got);
        if (size == strlen(full) + 1) {
            assert_int_equal(rc, 0);
            assert_string_equal(out, full);
        } else {
            assert_int_equal(rc, CORE_ETOOBIG);
            /* The longest boundary prefix: at most one character (2 bytes here) is lost. */
            assert_true(got + 2 >= size - 1);
        }
    }
}

/* ---- plurals ---- */

struct plural_case {
    long long n;
    enum dlg_plural ru;
};

static void test_plural_ru_cldr(void **state)
{
    (void)state;
    static const struct plural_case cases[] = {
        {0, DLG_PLURAL_MANY},   {1, DLG_PLURAL_ONE},     {2, DLG_PLURAL_FEW},
        {3, DLG_PLURAL_FEW},    {4, DLG_PLURAL_FEW},     {5, DLG_PLURAL_MANY},
        {10, DLG_PLURAL_MANY},  {11, DLG_PLURAL_MANY},   {12, DLG_PLURAL_MANY},
        {13, DLG_PLURAL_MANY},  {14, DLG_PLURAL_MANY},   {15, DLG_PLURAL_MANY},
        {19, DLG_PLURAL_MANY},  {20, DLG_PLURAL_MANY},   {21, DLG_PLURAL_ONE},
        {22, DLG_PLURAL_FEW},   {23, DLG_PLURAL_FEW},    {24, DLG_PLURAL_FEW},
        {25, DLG_PLURAL_MANY},  {30, DLG_PLURAL_MANY},   {31, DLG_PLURAL_ONE},
        {100, DLG_PLURAL_MANY}, {101, DLG_PLURAL_ONE},   {102, DLG_PLURAL_FEW},
        {104, DLG_PLURAL_FEW},  {105, DLG_PLURAL_MANY},  {110, DLG_PLURAL_MANY},
        {111, DLG_PLURAL_MANY}, {112, DLG_PLURAL_MANY},  {114, DLG_PLURAL_MANY},
        {121, DLG_PLURAL_ONE},  {122, DLG_PLURAL_FEW},   {125, DLG_PLURAL_MANY},
        {1001, DLG_PLURAL_ONE}, {1011, DLG_PLURAL_MANY}, {-1, DLG_PLURAL_ONE},
        {-22, DLG_PLURAL_FEW},  {-11, DLG_PLURAL_MANY},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum dlg_plural got = dlg_plural_category(DLG_LANG_RU, cases[i].n);
        if (got != cases[i].ru) {
            print_error("ru %lld: got %s\n", cases[i].n, dlg_plural_name(got));
            fail();
        }
    }
    /* Exhaustively 0..125 against the rule written differently. */
    for (long long n = 0; n <= 125; n++) {
        long long t = n % 100;
        long long u = n % 10;
        enum dlg_plural want = (u == 1 && t != 11)                           ? DLG_PLURAL_ONE
                               : (u >= 2 && u <= 4 && !(t >= 12 && t <= 14)) ? DLG_PLURAL_FEW
                                                                             : DLG_PLURAL_MANY;
        assert_int_equal(dlg_plural_category(DLG_LANG_RU, n), want);
    }
    assert_int_equal(dlg_plural_category(DLG_LANG_RU, INT64_MIN), DLG_PLURAL_MANY);
}

static void test_plural_kk_en_one_other(void **state)
{
    (void)state;
    static const long long ns[] = {0, 1, 2, 5, 11, 21, 101, -1};
    for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
        enum dlg_plural want = ns[i] == 1 || ns[i] == -1 ? DLG_PLURAL_ONE : DLG_PLURAL_OTHER;
        assert_int_equal(dlg_plural_category(DLG_LANG_KK, ns[i]), want);
        assert_int_equal(dlg_plural_category(DLG_LANG_EN, ns[i]), want);
    }
    assert_string_equal(dlg_plural_name(DLG_PLURAL_ONE), "one");
    assert_string_equal(dlg_plural_name(DLG_PLURAL_FEW), "few");
    assert_string_equal(dlg_plural_name(DLG_PLURAL_MANY), "many");
    assert_string_equal(dlg_plural_name(DLG_PLURAL_OTHER), "other");
}

static void test_plural_lookup_chain(void **state)
{
    (void)state;
    load_fixture("good.txt", &g_good);
    load_fixture("fallback.txt", &g_fallback);
    /* kk has days.one/other; ru fallback has apples.* only. */
    assert_string_equal(dlg_catalog_plural_lookup(&g_good, DLG_LANG_KK, &g_fallback, "days", 1),
                        "{n} күн");
    assert_string_equal(dlg_catalog_plural_lookup(&g_fallback, DLG_LANG_RU, NULL, "days", 3),
                        "{n} дня");
    assert_string_equal(dlg_catalog_plural_lookup(&g_fallback, DLG_LANG_RU, NULL, "days", 11),
                        "{n} дней");
    assert_string_equal(dlg_catalog_plural_lookup(&g_fallback, DLG_LANG_RU, NULL, "days", 21),
                        "{n} день");
    /* Missing in kk: the Russian variant for n's Russian category. */
    assert_string_equal(dlg_catalog_plural_lookup(&g_good, DLG_LANG_KK, &g_fallback, "apples", 2),
                        "{n} яблока");
    /* A plain key serves when there are no variants; unknown gives the key. */
    assert_string_equal(dlg_catalog_plural_lookup(&g_good, DLG_LANG_KK, &g_fallback, "greeting", 7),
                        "Сәлем, {name}!");
    assert_string_equal(dlg_catalog_plural_lookup(&g_good, DLG_LANG_KK, &g_fallback, "nope", 7),
                        "nope");
}

static void test_plural_format_with_compiled_catalogs(void **state)
{
    (void)state;
    /* Whatever the dialogs engineer writes for a plural key, {n} must be filled in: use every
     * plural group of the ru catalog and check the number appears and no "{n}" is left. */
    const struct dlg_catalog *ru = dlg_i18n_catalog(DLG_LANG_RU);
    assert_non_null(ru);
    int groups = 0;
    for (size_t i = 0; i < dlg_catalog_count(ru); i++) {
        const char *key = dlg_catalog_key(ru, i);
        size_t len = strlen(key);
        if (len < 5 || strcmp(key + len - 4, ".one") != 0) {
            continue;
        }
        char base[DLG_I18N_KEY_MAX + 1];
        snprintf(base, sizeof(base), "%.*s", (int)(len - 4), key);
        for (int l = 0; l < DLG_LANG_COUNT; l++) {
            char out[1024];
            const struct dlg_i18n_arg none[] = {{"unused", "x"}};
            assert_int_equal(dlg_i18n_plural((enum dlg_lang)l, base, 23, out, sizeof(out), 1, none),
                             0);
            assert_null(strstr(out, "{n}"));
        }
        groups++;
    }
    (void)groups;
    char out[64];
    const struct dlg_i18n_arg n_override[] = {{"n", "seven"}};
    assert_int_equal(dlg_i18n_plural(DLG_LANG_EN, "no.such", 7, out, sizeof(out), 1, n_override),
                     0);
    assert_string_equal(out, "no.such");
}

/* ---- months, weekdays, phrases (shared/domain.md §5.3) ---- */

static const char *const kk_nom[12] = {"қаңтар",   "ақпан",  "наурыз", "сәуір",
                                       "мамыр",    "маусым", "шілде",  "тамыз",
                                       "қыркүйек", "қазан",  "қараша", "желтоқсан"};
static const char *const kk_dat[12] = {"қаңтарға",   "ақпанға",  "наурызға", "сәуірге",
                                       "мамырға",    "маусымға", "шілдеге",  "тамызға",
                                       "қыркүйекке", "қазанға",  "қарашаға", "желтоқсанға"};
static const char *const ru_nom[12] = {"январь",   "февраль", "март",   "апрель",
                                       "май",      "июнь",    "июль",   "август",
                                       "сентябрь", "октябрь", "ноябрь", "декабрь"};
static const char *const ru_gen[12] = {"января",   "февраля", "марта",  "апреля",
                                       "мая",      "июня",    "июля",   "августа",
                                       "сентября", "октября", "ноября", "декабря"};
static const char *const ru_prep[12] = {"январе",   "феврале", "марте",  "апреле",
                                        "мае",      "июне",    "июле",   "августе",
                                        "сентябре", "октябре", "ноябре", "декабре"};
static const char *const en_names[12] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};

/* Kazakh vowel harmony, written independently of the tables in i18n.c: the last vowel decides
 * front/back; the final sound decides the consonant of the suffix. */
static bool kk_front(const char *word)
{
    static const char *const front[] = {"ә", "е", "і", "ү", "ө", "и"};
    static const char *const back[] = {"а", "о", "ұ", "ы", "у"};
    bool is_front = false;
    for (const char *p = word; *p; p++) {
        for (size_t i = 0; i < 6; i++) {
            if (strncmp(p, front[i], strlen(front[i])) == 0) {
                is_front = true;
            }
        }
        for (size_t i = 0; i < 5; i++) {
            if (strncmp(p, back[i], strlen(back[i])) == 0) {
                is_front = false;
            }
        }
    }
    return is_front;
}

static const char *kk_last_letter(const char *word)
{
    size_t len = strlen(word);
    size_t start = dlg_utf8_prefix(word, len, len - 1);
    return word + start;
}

static bool is_one_of(const char *letter, const char *set[], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(letter, set[i]) == 0) {
            return true;
        }
    }
    return false;
}

static void kk_suffixed(const char *word, int gram_case, char *out, size_t len)
{
    static const char *vowels[] = {"а", "ә", "е", "о", "ө", "ұ", "ү", "ы", "і", "и", "у"};
    static const char *voiceless[] = {"к", "қ", "п", "с", "т", "ф", "х", "ш", "щ", "ц", "ч"};
    static const char *nasal[] = {"м", "н", "ң"};
    const char *last = kk_last_letter(word);
    bool front = kk_front(word);
    bool vowel = is_one_of(last, vowels, 11);
    bool hard = is_one_of(last, voiceless, 11);
    const char *suffix = "";
    if (gram_case == DLG_CASE_DAT) {
        suffix = hard ? (front ? "ке" : "қа") : (front ? "ге" : "ға");
    } else if (gram_case == DLG_CASE_LOC) {
        suffix = hard ? (front ? "те" : "та") : (front ? "де" : "да");
    } else if (gram_case == DLG_CASE_GEN) {
        bool n_form = vowel || is_one_of(last, nasal, 3);
        suffix = n_form ? (front ? "нің" : "ның")
                        : (hard ? (front ? "тің" : "тың") : (front ? "дің" : "дың"));
    }
    snprintf(out, len, "%s%s", word, suffix);
}

static void test_month_names_every_form(void **state)
{
    (void)state;
    for (int m = 1; m <= 12; m++) {
        assert_string_equal(dlg_month_name(DLG_LANG_KK, m, DLG_CASE_NOM), kk_nom[m - 1]);
        assert_string_equal(dlg_month_name(DLG_LANG_KK, m, DLG_CASE_DAT), kk_dat[m - 1]);
        for (int c = DLG_CASE_GEN; c <= DLG_CASE_LOC; c++) {
            char want[64];
            kk_suffixed(kk_nom[m - 1], c, want, sizeof(want));
            assert_string_equal(dlg_month_name(DLG_LANG_KK, m, (enum dlg_case)c), want);
        }
        assert_string_equal(dlg_month_name(DLG_LANG_RU, m, DLG_CASE_NOM), ru_nom[m - 1]);
        assert_string_equal(dlg_month_name(DLG_LANG_RU, m, DLG_CASE_GEN), ru_gen[m - 1]);
        assert_string_equal(dlg_month_name(DLG_LANG_RU, m, DLG_CASE_LOC), ru_prep[m - 1]);
        for (int c = DLG_CASE_NOM; c <= DLG_CASE_LOC; c++) {
            assert_string_equal(dlg_month_name(DLG_LANG_EN, m, (enum dlg_case)c), en_names[m - 1]);
        }
    }
    static const char *const ru_dat[12] = {"январю",   "февралю", "марту",  "апрелю",
                                           "маю",      "июню",    "июлю",   "августу",
                                           "сентябрю", "октябрю", "ноябрю", "декабрю"};
    for (int m = 1; m <= 12; m++) {
        assert_string_equal(dlg_month_name(DLG_LANG_RU, m, DLG_CASE_DAT), ru_dat[m - 1]);
    }
    assert_string_equal(dlg_month_name(DLG_LANG_RU, 0, DLG_CASE_NOM), "?");
    assert_string_equal(dlg_month_name(DLG_LANG_RU, 13, DLG_CASE_NOM), "?");
    assert_string_equal(dlg_month_name(DLG_LANG_COUNT, 1, DLG_CASE_NOM), "?");
    assert_string_equal(dlg_month_name(DLG_LANG_KK, 1, (enum dlg_case)9), "?");
}

static void test_weekdays(void **state)
{
    (void)state;
    static const char *const kk[7] = {"дс", "сс", "ср", "бс", "жм", "сб", "жс"};
    static const char *const ru[7] = {"пн", "вт", "ср", "чт", "пт", "сб", "вс"};
    static const char *const en[7] = {"Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"};
    static const char *const kk_long[7] = {"дүйсенбі", "сейсенбі", "сәрсенбі", "бейсенбі",
                                           "жұма",     "сенбі",    "жексенбі"};
    static const char *const ru_long[7] = {"понедельник", "вторник", "среда",      "четверг",
                                           "пятница",     "суббота", "воскресенье"};
    for (int d = 0; d < 7; d++) {
        assert_string_equal(dlg_weekday_short(DLG_LANG_KK, d), kk[d]);
        assert_string_equal(dlg_weekday_short(DLG_LANG_RU, d), ru[d]);
        assert_string_equal(dlg_weekday_short(DLG_LANG_EN, d), en[d]);
        assert_string_equal(dlg_weekday_long(DLG_LANG_KK, d), kk_long[d]);
        assert_string_equal(dlg_weekday_long(DLG_LANG_RU, d), ru_long[d]);
    }
    assert_string_equal(dlg_weekday_long(DLG_LANG_EN, 0), "Monday");
    assert_string_equal(dlg_weekday_long(DLG_LANG_EN, 6), "Sunday");
    assert_string_equal(dlg_weekday_short(DLG_LANG_KK, 7), "?");
    assert_string_equal(dlg_weekday_short(DLG_LANG_KK, -1), "?");
}

struct phrase_case {
    enum dlg_lang lang;
    int a; /* year or day */
    int month;
    const char *month_year;
    const char *day_month;
    const char *until;
};

static void test_date_phrases(void **state)
{
    (void)state;
    static const struct phrase_case cases[] = {
        {DLG_LANG_KK, 10, 12, "10 жылғы желтоқсан", "10 желтоқсан", "10 желтоқсанға дейін"},
        {DLG_LANG_RU, 10, 12, "декабрь 10", "10 декабря", "до 10 декабря"},
        {DLG_LANG_EN, 10, 12, "December 10", "10 December", "until 10 December"},
        {DLG_LANG_KK, 10, 9, "10 жылғы қыркүйек", "10 қыркүйек", "10 қыркүйекке дейін"},
        {DLG_LANG_KK, 10, 4, "10 жылғы сәуір", "10 сәуір", "10 сәуірге дейін"},
        {DLG_LANG_RU, 1, 2, "февраль 1", "1 февраля", "до 1 февраля"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[64];
        assert_int_equal(
            dlg_date_month_year(cases[i].lang, cases[i].a, cases[i].month, out, sizeof(out)), 0);
        assert_string_equal(out, cases[i].month_year);
        assert_int_equal(
            dlg_date_day_month(cases[i].lang, cases[i].a, cases[i].month, out, sizeof(out)), 0);
        assert_string_equal(out, cases[i].day_month);
        assert_int_equal(
            dlg_date_until(cases[i].lang, cases[i].a, cases[i].month, out, sizeof(out)), 0);
        assert_string_equal(out, cases[i].until);
    }
    char out[64];
    assert_int_equal(dlg_date_month_year(DLG_LANG_KK, 2026, 11, out, sizeof(out)), 0);
    assert_string_equal(out, "2026 жылғы қараша");
    assert_int_equal(dlg_date_month_year(DLG_LANG_RU, 2026, 11, out, sizeof(out)), 0);
    assert_string_equal(out, "ноябрь 2026");
    assert_int_equal(dlg_date_month_year(DLG_LANG_EN, 2026, 11, out, sizeof(out)), 0);
    assert_string_equal(out, "November 2026");
    /* Every month's until-phrase uses the dative in kk and the genitive in ru. */
    for (int m = 1; m <= 12; m++) {
        char want[64];
        assert_int_equal(dlg_date_until(DLG_LANG_KK, 10, m, out, sizeof(out)), 0);
        snprintf(want, sizeof(want), "10 %s дейін", kk_dat[m - 1]);
        assert_string_equal(out, want);
        assert_int_equal(dlg_date_until(DLG_LANG_RU, 10, m, out, sizeof(out)), 0);
        snprintf(want, sizeof(want), "до 10 %s", ru_gen[m - 1]);
        assert_string_equal(out, want);
    }
}

static void test_date_phrases_bad_input_and_truncation(void **state)
{
    (void)state;
    char out[64] = "unchanged";
    assert_int_equal(dlg_date_until(DLG_LANG_KK, 0, 12, out, sizeof(out)), CORE_EINVAL);
    assert_string_equal(out, "");
    assert_int_equal(dlg_date_until(DLG_LANG_KK, 32, 12, out, sizeof(out)), CORE_EINVAL);
    assert_int_equal(dlg_date_day_month(DLG_LANG_RU, 1, 13, out, sizeof(out)), CORE_EINVAL);
    assert_int_equal(dlg_date_month_year(DLG_LANG_RU, 0, 1, out, sizeof(out)), CORE_EINVAL);
    assert_int_equal(dlg_date_month_year(DLG_LANG_COUNT, 2026, 1, out, sizeof(out)), CORE_EINVAL);
    assert_int_equal(dlg_date_until(DLG_LANG_KK, 10, 12, NULL, 10), CORE_EINVAL);
    /* "10 желтоқсанға дейін" cut to 8 bytes: "10 " + 2 whole letters ("же"), never half. */
    char small[8];
    assert_int_equal(dlg_date_until(DLG_LANG_KK, 10, 12, small, sizeof(small)), CORE_ETOOBIG);
    assert_string_equal(small, "10 же");
    assert_true(dlg_utf8_valid(small, strlen(small)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalog_good_fixture_parses_every_form),
        cmocka_unit_test(test_catalog_bad_fixtures_fail_loudly_with_line),
        cmocka_unit_test(test_catalog_key_bounds),
        cmocka_unit_test(test_catalog_bounds_fail_loudly),
        cmocka_unit_test(test_lookup_falls_back_to_ru_then_key),
        cmocka_unit_test(test_compiled_catalogs_load_and_answer),
        cmocka_unit_test(test_expand_named_placeholders),
        cmocka_unit_test(test_expand_truncates_on_utf8_boundary),
        cmocka_unit_test(test_plural_ru_cldr),
        cmocka_unit_test(test_plural_kk_en_one_other),
        cmocka_unit_test(test_plural_lookup_chain),
        cmocka_unit_test(test_plural_format_with_compiled_catalogs),
        cmocka_unit_test(test_month_names_every_form),
        cmocka_unit_test(test_weekdays),
        cmocka_unit_test(test_date_phrases),
        cmocka_unit_test(test_date_phrases_bad_input_and_truncation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
