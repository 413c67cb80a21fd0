/* SPDX-License-Identifier: MIT
 * Localised texts for kk / ru / en (DESIGN.md §5-§6, shared/domain.md §5): the message
 * catalogs, named-placeholder formatting, CLDR plural selection, and the date words (months in
 * each grammatical case, weekdays, "10 December", "until 10 December", "November 2026").
 *
 * Catalogs are dialogs/i18n/<lang>.txt (format: dialogs/i18n/README.md), compiled into the
 * binary at build time and parsed once, on first use, into static storage. Nothing here does
 * I/O, reads the clock, logs or allocates. Every returned string is static storage (borrowed,
 * valid for the life of the process) and never NULL.
 *
 * Threads: the first call parses the compiled catalogs; call dlg_i18n_init() once at startup
 * (from one thread) so that a broken catalog fails there, loudly, and later lookups are
 * read-only. */
#ifndef DIALOGS_I18N_H
#define DIALOGS_I18N_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "dialogs/dialog.h"

/* Bounds of one catalog. A catalog beyond them fails to parse (CORE_ETOOBIG), which
 * dlg_i18n_init() and tests/unit/dialogs/test_catalogs.c report. */
#define DLG_I18N_MAX_KEYS 1024
#define DLG_I18N_POOL_MAX (64 * 1024) /* bytes of keys + texts after unescaping, per language */
#define DLG_I18N_KEY_MAX  96          /* longest key, bytes */

/* ---- catalogs ---- */

/** One parsed catalog: an index sorted by key over a private text pool. Treat as opaque; use
 * the dlg_catalog_* functions. A plain value: no pointers into other memory, nothing to free. */
struct dlg_catalog {
    uint32_t n_entries;
    uint32_t pool_used;
    struct {
        uint32_t key_off;  /* into pool, NUL-terminated */
        uint32_t text_off; /* into pool, NUL-terminated, escapes resolved */
        uint32_t line;     /* line number in the source, for error reports */
    } entries[DLG_I18N_MAX_KEYS];
    char pool[DLG_I18N_POOL_MAX];
};

enum dlg_catalog_problem {
    DLG_CAT_OK = 0,
    DLG_CAT_NO_EQUALS = 1,   /* a non-comment line without '=' */
    DLG_CAT_BAD_KEY = 2,     /* empty, too long, or a character outside [a-z0-9_.] */
    DLG_CAT_BAD_ESCAPE = 3,  /* '\' followed by anything but 'n' or '\' */
    DLG_CAT_BAD_UTF8 = 4,    /* the line is not valid UTF-8 */
    DLG_CAT_DUPLICATE = 5,   /* the same key twice */
    DLG_CAT_TOO_MANY = 6,    /* more than DLG_I18N_MAX_KEYS entries */
    DLG_CAT_TOO_BIG = 7,     /* the pool would exceed DLG_I18N_POOL_MAX */
    DLG_CAT_BAD_CONTROL = 8, /* a control character (other than tab) inside a line */
};

/** Where and why a parse failed. */
struct dlg_catalog_error {
    enum dlg_catalog_problem problem;
    uint32_t line; /* 1-based line number of the offending line (0 if not tied to a line) */
};

/**
 * Parses catalog text (`key = text` lines, '#' comments, blank lines; see
 * dialogs/i18n/README.md) into *cat. The input is borrowed and need not be NUL-terminated.
 * @param err  may be NULL; filled on failure with the first problem found.
 * @return 0; CORE_EBADINPUT for a syntax, escape, UTF-8 or duplicate problem; CORE_ETOOBIG when
 *         a bound is exceeded; CORE_EINVAL for NULL cat or data. *cat is unusable after a
 *         failure (n_entries is 0).
 */
CORE_NODISCARD int dlg_catalog_parse(struct dlg_catalog *cat,
                                     const char *data,
                                     size_t len,
                                     struct dlg_catalog_error *err);

/** The text for `key`, or NULL when the catalog has no such key. Borrowed from *cat. */
const char *dlg_catalog_find(const struct dlg_catalog *cat, const char *key);
/** Number of entries; entries are in ascending byte order of their keys. */
size_t dlg_catalog_count(const struct dlg_catalog *cat);
/** Key / text / source line of entry i (i < count); borrowed from *cat. */
const char *dlg_catalog_key(const struct dlg_catalog *cat, size_t i);
const char *dlg_catalog_text(const struct dlg_catalog *cat, size_t i);
unsigned dlg_catalog_line(const struct dlg_catalog *cat, size_t i);
/** The fallback chain on explicit catalogs: the text of key in cat; else in fallback; else the
 * key itself. Either catalog may be NULL. Never NULL (a NULL key gives ""). dlg_i18n_text is
 * this with the compiled catalogs of lang and ru. */
const char *dlg_catalog_lookup(const struct dlg_catalog *cat,
                               const struct dlg_catalog *fallback,
                               const char *key);
/** The plural chain on explicit catalogs (see dlg_i18n_plural): "<key>.<category of n in
 * lang>", "<key>.other", "<key>" in cat; the same in fallback with Russian categories; else
 * the key. Never NULL. */
const char *dlg_catalog_plural_lookup(const struct dlg_catalog *cat,
                                      enum dlg_lang lang,
                                      const struct dlg_catalog *fallback,
                                      const char *key,
                                      long long n);
/** A short English description of a problem, for test and startup messages. */
const char *dlg_catalog_problem_name(enum dlg_catalog_problem problem);

/**
 * Parses the three compiled-in catalogs (once; later calls return the first result).
 * @param failed_lang  may be NULL; on failure, the language whose catalog is broken.
 * @param err          may be NULL; on failure, what is wrong with it.
 * @return 0, or the dlg_catalog_parse code of the first broken catalog.
 */
CORE_NODISCARD int dlg_i18n_init(enum dlg_lang *failed_lang, struct dlg_catalog_error *err);

/** The compiled-in catalog of `lang`, or NULL when it failed to parse (or lang is invalid). */
const struct dlg_catalog *dlg_i18n_catalog(enum dlg_lang lang);

/* ---- lookup and formatting ---- */

/** A named argument for a `{name}` placeholder. Both strings are borrowed for the call. */
struct dlg_i18n_arg {
    const char *name;  /* without braces, e.g. "month" */
    const char *value; /* UTF-8 */
};

/**
 * The text of `key` in `lang`; if missing, the Russian text; if missing there too, the key
 * itself (so a forgotten text is visible, never blank). Never NULL. Placeholders unexpanded.
 */
const char *dlg_i18n_text(enum dlg_lang lang, const char *key);

/** True when `lang`'s own catalog has `key` (no fallback). */
bool dlg_i18n_has(enum dlg_lang lang, const char *key);

/**
 * Looks up `key` (with dlg_i18n_text's fallback) and expands `{name}` placeholders from args
 * into out. A placeholder with no matching argument is copied verbatim ("{name}"), so the
 * mistake shows. Argument values are inserted as-is (not scanned for placeholders).
 * @param out      caller buffer, always NUL-terminated when out_len > 0.
 * @param n_args   number of entries in args (args may be NULL when 0).
 * @return 0; CORE_ETOOBIG when the result did not fit: out then holds the longest prefix that
 *         ends on a UTF-8 character boundary; CORE_EINVAL for NULL out / out_len 0 / NULL key.
 */
CORE_NODISCARD int dlg_i18n_format(enum dlg_lang lang,
                                   const char *key,
                                   char *out,
                                   size_t out_len,
                                   size_t n_args,
                                   const struct dlg_i18n_arg *args);

/** Same expansion as dlg_i18n_format, on a template string instead of a catalog key. */
CORE_NODISCARD int dlg_i18n_expand(
    const char *tmpl, char *out, size_t out_len, size_t n_args, const struct dlg_i18n_arg *args);

/* ---- plurals (CLDR, shared/domain.md §5.5) ---- */

enum dlg_plural {
    DLG_PLURAL_ONE = 0,
    DLG_PLURAL_FEW = 1,
    DLG_PLURAL_MANY = 2,
    DLG_PLURAL_OTHER = 3,
};

/** CLDR category of the integer n (negative n uses |n|): ru one/few/many, kk and en
 * one/other. */
enum dlg_plural dlg_plural_category(enum dlg_lang lang, long long n);
/** "one", "few", "many", "other". */
const char *dlg_plural_name(enum dlg_plural category);

/**
 * Formats the plural variant of `key` for the count n: looks up "<key>.<category>", then
 * "<key>.other", then the plain "<key>", in lang and then in ru (with ru's own category for n),
 * and finally shows the key. The argument {n} is provided automatically (decimal n) in addition
 * to args (an explicit "n" in args wins).
 * Returns as dlg_i18n_format.
 */
CORE_NODISCARD int dlg_i18n_plural(enum dlg_lang lang,
                                   const char *key,
                                   long long n,
                                   char *out,
                                   size_t out_len,
                                   size_t n_args,
                                   const struct dlg_i18n_arg *args);

/* ---- dates (shared/domain.md §5.3) ---- */

/** Grammatical case of a month name. Languages without a case give their nearest form. */
enum dlg_case {
    DLG_CASE_NOM = 0, /* kk қараша, ru ноябрь, en November */
    DLG_CASE_GEN = 1, /* kk қарашаның, ru ноября («10 ноября»), en November */
    DLG_CASE_DAT = 2, /* kk қарашаға («қарашаға дейін»), ru ноябрю, en November */
    DLG_CASE_LOC = 3, /* kk қарашада, ru (prepositional) ноябре («в ноябре»), en November */
};

/** The month name (1..12), lowercase for kk and ru, capitalised for en. "?" when out of range. */
const char *dlg_month_name(enum dlg_lang lang, int month, enum dlg_case gram_case);
/** Short weekday, 0 = Monday .. 6 = Sunday: kk дс..жс, ru пн..вс, en Mo..Su. "?" if out of
 * range. */
const char *dlg_weekday_short(enum dlg_lang lang, int weekday);
/** Full weekday, lowercase for kk and ru (дүйсенбі, понедельник), en Monday. */
const char *dlg_weekday_long(enum dlg_lang lang, int weekday);

/* The date phrases below write into out (NUL-terminated) and return 0, CORE_EINVAL for an
 * out-of-range month (1..12) / day (1..31) / year (1..9999) or NULL out, or CORE_ETOOBIG when out
 * is too small (truncated on a UTF-8 boundary). 64 bytes always suffice. */

/** kk «2026 жылғы қараша», ru «ноябрь 2026», en «November 2026». */
CORE_NODISCARD int
dlg_date_month_year(enum dlg_lang lang, int year, int month, char *out, size_t out_len);
/** kk «10 желтоқсан», ru «10 декабря», en «10 December». */
CORE_NODISCARD int
dlg_date_day_month(enum dlg_lang lang, int day, int month, char *out, size_t out_len);
/** kk «10 желтоқсанға дейін», ru «до 10 декабря», en «until 10 December». */
CORE_NODISCARD int
dlg_date_until(enum dlg_lang lang, int day, int month, char *out, size_t out_len);

#endif
