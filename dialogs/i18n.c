/* SPDX-License-Identifier: MIT
 * Message catalogs (parse once into a sorted static index), {name} expansion, CLDR plural
 * selection and the date words of kk / ru / en. Pure: no I/O, no clock, no logging, no heap;
 * the compiled catalogs come from the build step in dialogs/CMakeLists.txt. */
#include "dialogs/i18n.h"

#include <stdio.h>
#include <string.h>

#include "dialogs/i18n_int.h"
#include "dialogs/normalize.h"

/* ---- catalog parsing ---- */

static bool key_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int fail(struct dlg_catalog *cat,
                struct dlg_catalog_error *err,
                enum dlg_catalog_problem problem,
                uint32_t line)
{
    cat->n_entries = 0;
    cat->pool_used = 0;
    if (err) {
        err->problem = problem;
        err->line = line;
    }
    return problem == DLG_CAT_TOO_MANY || problem == DLG_CAT_TOO_BIG ? CORE_ETOOBIG
                                                                     : CORE_EBADINPUT;
}

/* A line may hold tabs but no other control character (a stray CR mid-line, NUL, ESC...). */
static bool line_controls_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return false;
        }
    }
    return true;
}

/* Copies the key into the pool; returns its offset or a problem. */
static enum dlg_catalog_problem
pool_add_key(struct dlg_catalog *cat, const char *key, size_t len, uint32_t *off)
{
    if (len == 0 || len > DLG_I18N_KEY_MAX) {
        return DLG_CAT_BAD_KEY;
    }
    for (size_t i = 0; i < len; i++) {
        if (!key_char_ok(key[i])) {
            return DLG_CAT_BAD_KEY;
        }
    }
    if (cat->pool_used + len + 1 > DLG_I18N_POOL_MAX) {
        return DLG_CAT_TOO_BIG;
    }
    *off = cat->pool_used;
    memcpy(cat->pool + cat->pool_used, key, len);
    cat->pool[cat->pool_used + len] = '\0';
    cat->pool_used += (uint32_t)len + 1;
    return DLG_CAT_OK;
}

/* Unescapes the text into the pool (\n -> newline, \\ -> backslash). */
static enum dlg_catalog_problem
pool_add_text(struct dlg_catalog *cat, const char *text, size_t len, uint32_t *off)
{
    if (cat->pool_used + len + 1 > DLG_I18N_POOL_MAX) {
        return DLG_CAT_TOO_BIG;
    }
    char *dst = cat->pool + cat->pool_used;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '\\') {
            dst[n++] = text[i];
            continue;
        }
        if (i + 1 >= len || (text[i + 1] != 'n' && text[i + 1] != '\\')) {
            return DLG_CAT_BAD_ESCAPE;
        }
        dst[n++] = text[i + 1] == 'n' ? '\n' : '\\';
        i++;
    }
    dst[n] = '\0';
    *off = cat->pool_used;
    cat->pool_used += (uint32_t)n + 1;
    return DLG_CAT_OK;
}

/* Binary search: index of key, or the insertion point with *found = false. */
static size_t catalog_search(const struct dlg_catalog *cat, const char *key, bool *found)
{
    size_t lo = 0;
    size_t hi = cat->n_entries;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(cat->pool + cat->entries[mid].key_off, key);
        if (cmp == 0) {
            *found = true;
            return mid;
        }
        if (cmp < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *found = false;
    return lo;
}

/* Parses one `key = text` line (already trimmed on the left, not a comment). */
static enum dlg_catalog_problem
parse_entry(struct dlg_catalog *cat, const char *s, size_t len, uint32_t line)
{
    const char *eq = memchr(s, '=', len);
    if (!eq) {
        return DLG_CAT_NO_EQUALS;
    }
    size_t key_len = (size_t)(eq - s);
    while (key_len > 0 && is_blank(s[key_len - 1])) {
        key_len--;
    }
    const char *text = eq + 1;
    size_t text_len = len - (size_t)(text - s);
    while (text_len > 0 && is_blank(*text)) {
        text++;
        text_len--;
    }
    while (text_len > 0 && is_blank(text[text_len - 1])) {
        text_len--;
    }
    if (cat->n_entries >= DLG_I18N_MAX_KEYS) {
        return DLG_CAT_TOO_MANY;
    }
    uint32_t key_off = 0;
    uint32_t text_off = 0;
    enum dlg_catalog_problem p = pool_add_key(cat, s, key_len, &key_off);
    if (p != DLG_CAT_OK) {
        return p;
    }
    bool found = false;
    size_t at = catalog_search(cat, cat->pool + key_off, &found);
    if (found) {
        return DLG_CAT_DUPLICATE;
    }
    p = pool_add_text(cat, text, text_len, &text_off);
    if (p != DLG_CAT_OK) {
        return p;
    }
    memmove(&cat->entries[at + 1], &cat->entries[at],
            (cat->n_entries - at) * sizeof(cat->entries[0]));
    cat->entries[at].key_off = key_off;
    cat->entries[at].text_off = text_off;
    cat->entries[at].line = line;
    cat->n_entries++;
    return DLG_CAT_OK;
}

static enum dlg_catalog_problem
parse_line(struct dlg_catalog *cat, const char *s, size_t len, uint32_t line)
{
    if (len > 0 && s[len - 1] == '\r') {
        len--;
    }
    if (!dlg_utf8_valid(s, len)) {
        return DLG_CAT_BAD_UTF8;
    }
    if (!line_controls_ok(s, len)) {
        return DLG_CAT_BAD_CONTROL;
    }
    while (len > 0 && is_blank(*s)) {
        s++;
        len--;
    }
    if (len == 0 || *s == '#') {
        return DLG_CAT_OK;
    }
    return parse_entry(cat, s, len, line);
}

int dlg_catalog_parse(struct dlg_catalog *cat,
                      const char *data,
                      size_t len,
                      struct dlg_catalog_error *err)
{
    if (!cat || !data) {
        return CORE_EINVAL;
    }
    cat->n_entries = 0;
    cat->pool_used = 0;
    if (err) {
        err->problem = DLG_CAT_OK;
        err->line = 0;
    }
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3; /* a UTF-8 byte-order mark some editors add */
        len -= 3;
    }
    uint32_t line = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - (data + pos)) : len - pos;
        line++;
        enum dlg_catalog_problem p = parse_line(cat, data + pos, line_len, line);
        if (p != DLG_CAT_OK) {
            return fail(cat, err, p, line);
        }
        pos += line_len + 1;
    }
    return 0;
}

const char *dlg_catalog_find(const struct dlg_catalog *cat, const char *key)
{
    if (!cat || !key) {
        return NULL;
    }
    bool found = false;
    size_t at = catalog_search(cat, key, &found);
    return found ? cat->pool + cat->entries[at].text_off : NULL;
}

size_t dlg_catalog_count(const struct dlg_catalog *cat)
{
    return cat ? cat->n_entries : 0;
}

const char *dlg_catalog_key(const struct dlg_catalog *cat, size_t i)
{
    return cat && i < cat->n_entries ? cat->pool + cat->entries[i].key_off : "";
}

const char *dlg_catalog_text(const struct dlg_catalog *cat, size_t i)
{
    return cat && i < cat->n_entries ? cat->pool + cat->entries[i].text_off : "";
}

unsigned dlg_catalog_line(const struct dlg_catalog *cat, size_t i)
{
    return cat && i < cat->n_entries ? cat->entries[i].line : 0;
}

const char *dlg_catalog_problem_name(enum dlg_catalog_problem problem)
{
    switch (problem) {
    case DLG_CAT_OK:
        return "ok";
    case DLG_CAT_NO_EQUALS:
        return "line without '='";
    case DLG_CAT_BAD_KEY:
        return "bad key (empty, too long, or not [a-z0-9_.])";
    case DLG_CAT_BAD_ESCAPE:
        return "bad escape (only \\n and \\\\)";
    case DLG_CAT_BAD_UTF8:
        return "invalid UTF-8";
    case DLG_CAT_DUPLICATE:
        return "duplicate key";
    case DLG_CAT_TOO_MANY:
        return "too many keys";
    case DLG_CAT_TOO_BIG:
        return "catalog text too big";
    case DLG_CAT_BAD_CONTROL:
        return "control character in a line";
    }
    return "unknown problem";
}

/* ---- the compiled-in catalogs ---- */

static struct {
    bool done;
    int result;
    enum dlg_lang failed_lang;
    struct dlg_catalog_error err;
    bool ok[DLG_LANG_COUNT];
    struct dlg_catalog cat[DLG_LANG_COUNT];
} g_i18n;

static void compiled_source(enum dlg_lang lang, const char **data, size_t *len)
{
    switch (lang) {
    case DLG_LANG_KK:
        *data = (const char *)dlg__catalog_kk;
        *len = dlg__catalog_kk_len;
        return;
    case DLG_LANG_RU:
        *data = (const char *)dlg__catalog_ru;
        *len = dlg__catalog_ru_len;
        return;
    case DLG_LANG_EN:
    case DLG_LANG_COUNT:
        break;
    }
    *data = (const char *)dlg__catalog_en;
    *len = dlg__catalog_en_len;
}

static void i18n_load(void)
{
    if (g_i18n.done) {
        return;
    }
    g_i18n.done = true;
    g_i18n.result = 0;
    for (int l = 0; l < DLG_LANG_COUNT; l++) {
        const char *data = NULL;
        size_t len = 0;
        struct dlg_catalog_error err = {DLG_CAT_OK, 0};
        compiled_source((enum dlg_lang)l, &data, &len);
        int rc = dlg_catalog_parse(&g_i18n.cat[l], data, len, &err);
        g_i18n.ok[l] = rc == 0;
        if (rc != 0 && g_i18n.result == 0) {
            g_i18n.result = rc;
            g_i18n.failed_lang = (enum dlg_lang)l;
            g_i18n.err = err;
        }
    }
}

int dlg_i18n_init(enum dlg_lang *failed_lang, struct dlg_catalog_error *err)
{
    i18n_load();
    if (g_i18n.result != 0) {
        if (failed_lang) {
            *failed_lang = g_i18n.failed_lang;
        }
        if (err) {
            *err = g_i18n.err;
        }
    }
    return g_i18n.result;
}

const struct dlg_catalog *dlg_i18n_catalog(enum dlg_lang lang)
{
    if ((int)lang < 0 || lang >= DLG_LANG_COUNT) {
        return NULL;
    }
    i18n_load();
    return g_i18n.ok[lang] ? &g_i18n.cat[lang] : NULL;
}

static const char *find_in(enum dlg_lang lang, const char *key)
{
    return dlg_catalog_find(dlg_i18n_catalog(lang), key);
}

bool dlg_i18n_has(enum dlg_lang lang, const char *key)
{
    return find_in(lang, key) != NULL;
}

const char *dlg_catalog_lookup(const struct dlg_catalog *cat,
                               const struct dlg_catalog *fallback,
                               const char *key)
{
    if (!key) {
        return "";
    }
    const char *text = dlg_catalog_find(cat, key);
    if (!text) {
        text = dlg_catalog_find(fallback, key);
    }
    return text ? text : key;
}

const char *dlg_i18n_text(enum dlg_lang lang, const char *key)
{
    return dlg_catalog_lookup(dlg_i18n_catalog(lang), dlg_i18n_catalog(DLG_LANG_RU), key);
}

/* ---- expansion ---- */

/* Appends into a caller buffer; once something does not fit, the output is cut back to a
 * UTF-8 boundary and further appends are ignored. */
struct writer {
    char *out;
    size_t cap; /* bytes available for text (out_len - 1) */
    size_t len;
    bool truncated;
};

static void writer_put(struct writer *w, const char *s, size_t n)
{
    if (w->truncated) {
        return;
    }
    size_t room = w->cap - w->len;
    if (n <= room) {
        memcpy(w->out + w->len, s, n);
        w->len += n;
        return;
    }
    size_t keep = dlg_utf8_prefix(s, n, room);
    memcpy(w->out + w->len, s, keep);
    w->len += keep;
    w->truncated = true;
}

static int writer_finish(struct writer *w)
{
    w->out[w->len] = '\0';
    return w->truncated ? CORE_ETOOBIG : 0;
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static const char *arg_value(const char *name,
                             size_t len,
                             size_t n_args,
                             const struct dlg_i18n_arg *args,
                             const struct dlg_i18n_arg *extra)
{
    for (size_t i = 0; i < n_args; i++) {
        if (args[i].name && args[i].value && strlen(args[i].name) == len &&
            memcmp(args[i].name, name, len) == 0) {
            return args[i].value;
        }
    }
    if (extra && strlen(extra->name) == len && memcmp(extra->name, name, len) == 0) {
        return extra->value;
    }
    return NULL;
}

#define PLACEHOLDER_NAME_MAX 64

static int expand(const char *tmpl,
                  char *out,
                  size_t out_len,
                  size_t n_args,
                  const struct dlg_i18n_arg *args,
                  const struct dlg_i18n_arg *extra)
{
    if (!tmpl || !out || out_len == 0 || (n_args > 0 && !args)) {
        if (out && out_len > 0) {
            out[0] = '\0';
        }
        return CORE_EINVAL;
    }
    struct writer w = {out, out_len - 1, 0, false};
    const char *p = tmpl;
    while (*p) {
        const char *brace = strchr(p, '{');
        if (!brace) {
            writer_put(&w, p, strlen(p));
            break;
        }
        writer_put(&w, p, (size_t)(brace - p));
        size_t n = 0;
        while (n < PLACEHOLDER_NAME_MAX && name_char(brace[1 + n])) {
            n++;
        }
        const char *value = NULL;
        if (n > 0 && brace[1 + n] == '}') {
            value = arg_value(brace + 1, n, n_args, args, extra);
        }
        if (value) {
            writer_put(&w, value, strlen(value));
            p = brace + n + 2;
        } else {
            writer_put(&w, "{", 1); /* not a known placeholder: kept verbatim */
            p = brace + 1;
        }
    }
    return writer_finish(&w);
}

int dlg_i18n_expand(
    const char *tmpl, char *out, size_t out_len, size_t n_args, const struct dlg_i18n_arg *args)
{
    return expand(tmpl, out, out_len, n_args, args, NULL);
}

int dlg_i18n_format(enum dlg_lang lang,
                    const char *key,
                    char *out,
                    size_t out_len,
                    size_t n_args,
                    const struct dlg_i18n_arg *args)
{
    if (!key) {
        return expand(NULL, out, out_len, 0, NULL, NULL);
    }
    return expand(dlg_i18n_text(lang, key), out, out_len, n_args, args, NULL);
}

/* ---- plurals ---- */

enum dlg_plural dlg_plural_category(enum dlg_lang lang, long long n)
{
    unsigned long long v = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
    if (lang != DLG_LANG_RU) {
        return v == 1 ? DLG_PLURAL_ONE : DLG_PLURAL_OTHER; /* kk and en: one / other */
    }
    unsigned mod10 = (unsigned)(v % 10);
    unsigned mod100 = (unsigned)(v % 100);
    if (mod10 == 1 && mod100 != 11) {
        return DLG_PLURAL_ONE;
    }
    if (mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14)) {
        return DLG_PLURAL_FEW;
    }
    return DLG_PLURAL_MANY;
}

const char *dlg_plural_name(enum dlg_plural category)
{
    switch (category) {
    case DLG_PLURAL_ONE:
        return "one";
    case DLG_PLURAL_FEW:
        return "few";
    case DLG_PLURAL_MANY:
        return "many";
    case DLG_PLURAL_OTHER:
        return "other";
    }
    return "other";
}

/* "<key>.<category>", then "<key>.other", then "<key>" in one catalog. */
static const char *
plural_find(const struct dlg_catalog *cat, enum dlg_lang lang, const char *key, long long n)
{
    char variant[DLG_I18N_KEY_MAX + 8];
    const char *category = dlg_plural_name(dlg_plural_category(lang, n));
    const char *text = NULL;
    if (!cat) {
        return NULL;
    }
    if (strlen(key) <= DLG_I18N_KEY_MAX) {
        snprintf(variant, sizeof(variant), "%s.%s", key, category);
        text = dlg_catalog_find(cat, variant);
        if (!text) {
            snprintf(variant, sizeof(variant), "%s.other", key);
            text = dlg_catalog_find(cat, variant);
        }
    }
    return text ? text : dlg_catalog_find(cat, key);
}

const char *dlg_catalog_plural_lookup(const struct dlg_catalog *cat,
                                      enum dlg_lang lang,
                                      const struct dlg_catalog *fallback,
                                      const char *key,
                                      long long n)
{
    if (!key) {
        return "";
    }
    const char *text = plural_find(cat, lang, key, n);
    if (!text) {
        text = plural_find(fallback, DLG_LANG_RU, key, n);
    }
    return text ? text : key;
}

int dlg_i18n_plural(enum dlg_lang lang,
                    const char *key,
                    long long n,
                    char *out,
                    size_t out_len,
                    size_t n_args,
                    const struct dlg_i18n_arg *args)
{
    if (!key) {
        return expand(NULL, out, out_len, 0, NULL, NULL);
    }
    const char *text = dlg_catalog_plural_lookup(dlg_i18n_catalog(lang), lang,
                                                 dlg_i18n_catalog(DLG_LANG_RU), key, n);
    char number[24];
    snprintf(number, sizeof(number), "%lld", n);
    struct dlg_i18n_arg extra = {"n", number};
    return expand(text, out, out_len, n_args, args, &extra);
}

/* ---- dates ---- */

/* Month names, [lang][case][month-1]: shared/domain.md §5.3 (CLDR 48). The Kazakh case forms
 * follow vowel harmony (back vowels а о ұ ы -> -ға/-да/-дың; front ә е і ү ө -> -ге/-де/-дің)
 * and the final sound (after к, қ, п, т, с... the suffix starts with қ/к/т; after a vowel the
 * dative is -ға/-ге and the genitive -ның/-нің; after м, н, ң the genitive is -ның/-нің). */
static const char
    *const g_months[DLG_LANG_COUNT][4]
                   [12] =
                       {
                           [DLG_LANG_KK] =
                               {
                                   [DLG_CASE_NOM] = {"қаңтар", "ақпан", "наурыз", "сәуір", "мамыр",
                                                     "маусым", "шілде", "тамыз", "қыркүйек",
                                                     "қазан", "қараша", "желтоқсан"},
                                   [DLG_CASE_GEN] =
                                       {"қаңтардың", "ақпанның", "наурыздың",
                                        "сәуірдің", "мамырдың", "маусымның",
                                        "шілденің", "тамыздың", "қыркүйектің", "қазанның", "қарашаның",
                                        "желтоқсанның"},
                                   [DLG_CASE_DAT] =
                                       {"қаңтарға", "ақпанға", "наурызға", "сәуірге", "мамырға",
                                        "маусымға", "шілдеге", "тамызға", "қыркүйекке", "қазанға",
                                        "қарашаға", "желтоқсанға"},
                                   [DLG_CASE_LOC] =
                                       {"қаңтарда", "ақпанда", "наурызда", "сәуірде", "мамырда",
                                        "маусымда", "шілдеде", "тамызда", "қыркүйекте", "қазанда",
                                        "қарашада", "желтоқсанда"},
                               },
                           [DLG_LANG_RU] =
                               {
                                   [DLG_CASE_NOM] = {"январь", "февраль", "март", "апрель", "май",
                                                     "июнь", "июль", "август", "сентябрь",
                                                     "октябрь", "ноябрь", "декабрь"},
                                   [DLG_CASE_GEN] = {"января", "февраля", "марта", "апреля", "мая",
                                                     "июня", "июля", "августа", "сентября",
                                                     "октября", "ноября", "декабря"},
                                   [DLG_CASE_DAT] = {"январю", "февралю", "марту", "апрелю", "маю",
                                                     "июню", "июлю", "августу", "сентябрю",
                                                     "октябрю", "ноябрю", "декабрю"},
                                   [DLG_CASE_LOC] = {"январе", "феврале", "марте", "апреле", "мае",
                                                     "июне", "июле", "августе", "сентябре",
                                                     "октябре", "ноябре", "декабре"},
                               },
                           [DLG_LANG_EN] =
                               {
                                   [DLG_CASE_NOM] = {"January", "February", "March", "April", "May",
                                                     "June", "July", "August", "September",
                                                     "October", "November", "December"},
                                   [DLG_CASE_GEN] = {"January", "February", "March", "April", "May",
                                                     "June", "July", "August", "September",
                                                     "October", "November", "December"},
                                   [DLG_CASE_DAT] = {"January", "February", "March", "April", "May",
                                                     "June", "July", "August", "September",
                                                     "October", "November", "December"},
                                   [DLG_CASE_LOC] = {"January", "February", "March", "April", "May",
                                                     "June", "July", "August", "September",
                                                     "October", "November", "December"},
                               },
};

static const char *const g_weekdays_short[DLG_LANG_COUNT][7] = {
    [DLG_LANG_KK] = {"дс", "сс", "ср", "бс", "жм", "сб", "жс"},
    [DLG_LANG_RU] = {"пн", "вт", "ср", "чт", "пт", "сб", "вс"},
    [DLG_LANG_EN] = {"Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"},
};

static const char *const g_weekdays_long[DLG_LANG_COUNT][7] = {
    [DLG_LANG_KK] = {"дүйсенбі", "сейсенбі", "сәрсенбі", "бейсенбі", "жұма", "сенбі", "жексенбі"},
    [DLG_LANG_RU] = {"понедельник", "вторник", "среда", "четверг", "пятница", "суббота",
                     "воскресенье"},
    [DLG_LANG_EN] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"},
};

static bool lang_ok(enum dlg_lang lang)
{
    return (int)lang >= 0 && lang < DLG_LANG_COUNT;
}

const char *dlg_month_name(enum dlg_lang lang, int month, enum dlg_case gram_case)
{
    if (!lang_ok(lang) || month < 1 || month > 12 || (int)gram_case < 0 ||
        gram_case > DLG_CASE_LOC) {
        return "?";
    }
    return g_months[lang][gram_case][month - 1];
}

const char *dlg_weekday_short(enum dlg_lang lang, int weekday)
{
    if (!lang_ok(lang) || weekday < 0 || weekday > 6) {
        return "?";
    }
    return g_weekdays_short[lang][weekday];
}

const char *dlg_weekday_long(enum dlg_lang lang, int weekday)
{
    if (!lang_ok(lang) || weekday < 0 || weekday > 6) {
        return "?";
    }
    return g_weekdays_long[lang][weekday];
}

/* snprintf, then cut back to a UTF-8 boundary when it did not fit. */
static int date_finish(char *out, size_t out_len, int written)
{
    if (written < 0) {
        out[0] = '\0';
        return CORE_EINVAL;
    }
    if ((size_t)written < out_len) {
        return 0;
    }
    size_t keep = dlg_utf8_prefix(out, out_len - 1, out_len - 1);
    out[keep] = '\0';
    return CORE_ETOOBIG;
}

static int date_args_ok(enum dlg_lang lang, int day, int month, const char *out, size_t out_len)
{
    return lang_ok(lang) && day >= 1 && day <= 31 && month >= 1 && month <= 12 && out &&
           out_len > 0;
}

int dlg_date_month_year(enum dlg_lang lang, int year, int month, char *out, size_t out_len)
{
    if (!date_args_ok(lang, 1, month, out, out_len) || year < 1 || year > 9999) {
        if (out && out_len > 0) {
            out[0] = '\0';
        }
        return CORE_EINVAL;
    }
    const char *name = g_months[lang][DLG_CASE_NOM][month - 1];
    int n = lang == DLG_LANG_KK ? snprintf(out, out_len, "%d жылғы %s", year, name)
                                : snprintf(out, out_len, "%s %d", name, year);
    return date_finish(out, out_len, n);
}

int dlg_date_day_month(enum dlg_lang lang, int day, int month, char *out, size_t out_len)
{
    if (!date_args_ok(lang, day, month, out, out_len)) {
        if (out && out_len > 0) {
            out[0] = '\0';
        }
        return CORE_EINVAL;
    }
    /* Kazakh puts the nominative after the day («10 желтоқсан»), Russian the genitive. */
    enum dlg_case c = lang == DLG_LANG_RU ? DLG_CASE_GEN : DLG_CASE_NOM;
    int n = snprintf(out, out_len, "%d %s", day, g_months[lang][c][month - 1]);
    return date_finish(out, out_len, n);
}

int dlg_date_until(enum dlg_lang lang, int day, int month, char *out, size_t out_len)
{
    if (!date_args_ok(lang, day, month, out, out_len)) {
        if (out && out_len > 0) {
            out[0] = '\0';
        }
        return CORE_EINVAL;
    }
    int n = 0;
    switch (lang) {
    case DLG_LANG_KK:
        n = snprintf(out, out_len, "%d %s дейін", day, g_months[lang][DLG_CASE_DAT][month - 1]);
        break;
    case DLG_LANG_RU:
        n = snprintf(out, out_len, "до %d %s", day, g_months[lang][DLG_CASE_GEN][month - 1]);
        break;
    case DLG_LANG_EN:
    case DLG_LANG_COUNT:
        n = snprintf(out, out_len, "until %d %s", day, g_months[lang][DLG_CASE_NOM][month - 1]);
        break;
    }
    return date_finish(out, out_len, n);
}
