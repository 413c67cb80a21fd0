/* SPDX-License-Identifier: MIT
 * Guards the real message catalogs (dialogs/i18n/{kk,ru,en}.txt, read from the source tree):
 * they parse, every key exists in all three languages (plural keys as a group: ru one/few/many,
 * kk and en one/other), the placeholders of each key agree, the Kazakh catalog is Kazakh, and
 * the catalogs compiled into the binary are the ones in the tree. Fails when a translation is
 * forgotten. */
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

static struct dlg_catalog g_cat[DLG_LANG_COUNT];
static const char *const g_code[DLG_LANG_COUNT] = {"kk", "ru", "en"};

static int load_all(void **state)
{
    (void)state;
    for (int l = 0; l < DLG_LANG_COUNT; l++) {
        char path[64];
        snprintf(path, sizeof(path), "dialogs/i18n/%s.txt", g_code[l]);
        size_t len = 0;
        char *data = tb_read_source_file(path, &len);
        if (!data) {
            print_error("cannot read %s (TABELBOT_SOURCE_DIR set?)\n", path);
            return -1;
        }
        struct dlg_catalog_error err = {DLG_CAT_OK, 0};
        int rc = dlg_catalog_parse(&g_cat[l], data, len, &err);
        free(data);
        if (rc != 0) {
            print_error("%s:%u: %s\n", path, err.line, dlg_catalog_problem_name(err.problem));
            return -1;
        }
    }
    return 0;
}

/* ---- key groups ---- */

static const char *const g_plural_suffix[] = {".one", ".few", ".many", ".other"};

/* Length of the base when key ends in a plural suffix, else 0. */
static size_t plural_base_len(const char *key)
{
    size_t len = strlen(key);
    for (size_t i = 0; i < 4; i++) {
        size_t sl = strlen(g_plural_suffix[i]);
        if (len > sl && strcmp(key + len - sl, g_plural_suffix[i]) == 0) {
            return len - sl;
        }
    }
    return 0;
}

static bool
has_variant(const struct dlg_catalog *cat, const char *base, size_t base_len, const char *suffix)
{
    char key[DLG_I18N_KEY_MAX + 16];
    snprintf(key, sizeof(key), "%.*s%s", (int)base_len, base, suffix);
    return dlg_catalog_find(cat, key) != NULL;
}

/* Does language l have the plural group of base with the variants it needs? */
static bool group_complete(int l, const char *base, size_t base_len)
{
    const struct dlg_catalog *cat = &g_cat[l];
    if (l == DLG_LANG_RU) {
        return has_variant(cat, base, base_len, ".one") &&
               has_variant(cat, base, base_len, ".few") &&
               has_variant(cat, base, base_len, ".many");
    }
    return has_variant(cat, base, base_len, ".one") && has_variant(cat, base, base_len, ".other");
}

static void test_every_key_in_every_language(void **state)
{
    (void)state;
    int problems = 0;
    for (int from = 0; from < DLG_LANG_COUNT; from++) {
        for (size_t i = 0; i < dlg_catalog_count(&g_cat[from]); i++) {
            const char *key = dlg_catalog_key(&g_cat[from], i);
            size_t base = plural_base_len(key);
            for (int to = 0; to < DLG_LANG_COUNT; to++) {
                bool ok = base ? group_complete(to, key, base)
                               : dlg_catalog_find(&g_cat[to], key) != NULL;
                if (!ok) {
                    print_error("%s.txt:%u: \"%s\" has no %s in %s.txt\n", g_code[from],
                                dlg_catalog_line(&g_cat[from], i), key,
                                base ? "complete plural group" : "translation", g_code[to]);
                    problems++;
                }
            }
        }
    }
    assert_int_equal(problems, 0);
}

/* ---- placeholders ---- */

#define MAX_NAMES 16

struct names {
    char name[MAX_NAMES][64];
    size_t n;
    bool overflow;
};

static void names_add(struct names *set, const char *name, size_t len)
{
    for (size_t i = 0; i < set->n; i++) {
        if (strlen(set->name[i]) == len && memcmp(set->name[i], name, len) == 0) {
            return;
        }
    }
    if (set->n == MAX_NAMES || len >= sizeof(set->name[0])) {
        set->overflow = true;
        return;
    }
    memcpy(set->name[set->n], name, len);
    set->name[set->n][len] = '\0';
    set->n++;
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static void collect_names(const char *text, struct names *set)
{
    for (const char *p = strchr(text, '{'); p; p = strchr(p + 1, '{')) {
        size_t n = 0;
        while (name_char(p[1 + n])) {
            n++;
        }
        if (n > 0 && p[1 + n] == '}') {
            names_add(set, p + 1, n);
        }
    }
}

/* Placeholders of a key, or of the whole plural group (union over the variants). */
static void key_names(const struct dlg_catalog *cat, const char *key, struct names *set)
{
    memset(set, 0, sizeof(*set));
    size_t base = plural_base_len(key);
    if (!base) {
        const char *text = dlg_catalog_find(cat, key);
        if (text) {
            collect_names(text, set);
        }
        return;
    }
    for (size_t i = 0; i < 4; i++) {
        char variant[DLG_I18N_KEY_MAX + 16];
        snprintf(variant, sizeof(variant), "%.*s%s", (int)base, key, g_plural_suffix[i]);
        const char *text = dlg_catalog_find(cat, variant);
        if (text) {
            collect_names(text, set);
        }
    }
}

static bool names_equal(const struct names *a, const struct names *b)
{
    if (a->n != b->n) {
        return false;
    }
    for (size_t i = 0; i < a->n; i++) {
        bool found = false;
        for (size_t j = 0; j < b->n; j++) {
            found = found || strcmp(a->name[i], b->name[j]) == 0;
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

static void print_names(const char *lang, const struct names *set)
{
    print_error("    %s:", lang);
    for (size_t i = 0; i < set->n; i++) {
        print_error(" {%s}", set->name[i]);
    }
    print_error("\n");
}

static void test_placeholders_match_across_languages(void **state)
{
    (void)state;
    int problems = 0;
    const struct dlg_catalog *ru = &g_cat[DLG_LANG_RU];
    for (size_t i = 0; i < dlg_catalog_count(ru); i++) {
        const char *key = dlg_catalog_key(ru, i);
        struct names want;
        key_names(ru, key, &want);
        assert_false(want.overflow);
        for (int l = 0; l < DLG_LANG_COUNT; l++) {
            struct names got;
            key_names(&g_cat[l], key, &got);
            if (!names_equal(&want, &got)) {
                print_error("\"%s\": placeholders differ\n", key);
                print_names("ru", &want);
                print_names(g_code[l], &got);
                problems++;
            }
        }
    }
    assert_int_equal(problems, 0);
}

/* ---- language content ---- */

static bool has_kazakh_letter(const char *text)
{
    size_t len = strlen(text);
    size_t pos = 0;
    while (pos < len) {
        uint32_t cp = 0;
        size_t n = dlg_utf8_decode(text + pos, len - pos, &cp);
        if (n == 0) {
            return false;
        }
        pos += n;
        switch (cp) {
        case 0x04D8:
        case 0x04D9:
        case 0x0492:
        case 0x0493:
        case 0x049A:
        case 0x049B:
        case 0x04A2:
        case 0x04A3:
        case 0x04E8:
        case 0x04E9:
        case 0x04B0:
        case 0x04B1:
        case 0x04AE:
        case 0x04AF:
        case 0x04BA:
        case 0x04BB:
        case 0x0406:
        case 0x0456:
            return true;
        default:
            break;
        }
    }
    return false;
}

static size_t cyrillic_letters(const char *text)
{
    size_t len = strlen(text);
    size_t pos = 0;
    size_t count = 0;
    while (pos < len) {
        uint32_t cp = 0;
        size_t n = dlg_utf8_decode(text + pos, len - pos, &cp);
        if (n == 0) {
            break;
        }
        pos += n;
        count += cp >= 0x0400 && cp <= 0x04FF;
    }
    return count;
}

static void test_texts_valid_utf8_and_kazakh_is_kazakh(void **state)
{
    (void)state;
    int kazakh_texts = 0;
    int problems = 0;
    for (int l = 0; l < DLG_LANG_COUNT; l++) {
        for (size_t i = 0; i < dlg_catalog_count(&g_cat[l]); i++) {
            const char *text = dlg_catalog_text(&g_cat[l], i);
            assert_true(dlg_utf8_valid(text, strlen(text)));
        }
    }
    const struct dlg_catalog *kk = &g_cat[DLG_LANG_KK];
    for (size_t i = 0; i < dlg_catalog_count(kk); i++) {
        const char *key = dlg_catalog_key(kk, i);
        const char *text = dlg_catalog_text(kk, i);
        kazakh_texts += has_kazakh_letter(text);
        /* A longer Cyrillic text identical to the Russian one was not translated. */
        const char *ru = dlg_catalog_find(&g_cat[DLG_LANG_RU], key);
        if (ru && cyrillic_letters(text) >= 12 && strcmp(ru, text) == 0) {
            print_error("kk.txt:%u: \"%s\" is the Russian text\n", dlg_catalog_line(kk, i), key);
            problems++;
        }
    }
    if (kazakh_texts == 0) {
        print_error("kk.txt has no Kazakh letter (ә ғ қ ң ө ұ ү һ і) anywhere\n");
    }
    assert_true(kazakh_texts > 0);
    assert_int_equal(problems, 0);
}

static void test_compiled_catalogs_are_the_tree_catalogs(void **state)
{
    (void)state;
    assert_int_equal(dlg_i18n_init(NULL, NULL), 0);
    for (int l = 0; l < DLG_LANG_COUNT; l++) {
        const struct dlg_catalog *built = dlg_i18n_catalog((enum dlg_lang)l);
        assert_non_null(built);
        assert_int_equal(dlg_catalog_count(built), dlg_catalog_count(&g_cat[l]));
        for (size_t i = 0; i < dlg_catalog_count(built); i++) {
            assert_string_equal(dlg_catalog_key(built, i), dlg_catalog_key(&g_cat[l], i));
            assert_string_equal(dlg_catalog_text(built, i), dlg_catalog_text(&g_cat[l], i));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_key_in_every_language),
        cmocka_unit_test(test_placeholders_match_across_languages),
        cmocka_unit_test(test_texts_valid_utf8_and_kazakh_is_kazakh),
        cmocka_unit_test(test_compiled_catalogs_are_the_tree_catalogs),
    };
    return cmocka_run_group_tests(tests, load_all, NULL);
}
