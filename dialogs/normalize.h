/* SPDX-License-Identifier: MIT
 * Understanding what parents type (DESIGN.md §5-§6, shared/domain.md §5.2): a folding step for
 * matching (never for storing or displaying), keywords in kk/ru/en with their synonyms, option
 * numbers, one-time codes, and day lists ("3, 7, 15-17") with their display form.
 *
 * Pure: no I/O, no allocation; the only global state is a table of folded keyword synonyms
 * built once on first use (call from one thread, like the i18n catalogs). All input is
 * untrusted UTF-8 that may be
 * invalid or arbitrarily long; every function treats bad input as "not understood" and never
 * reads past the terminating NUL. Strings are borrowed for the call. */
#ifndef DIALOGS_NORMALIZE_H
#define DIALOGS_NORMALIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "dialogs/dialog.h"

/* ---- UTF-8 ---- */

/**
 * Decodes the code point starting at s[0] (len bytes available). Rejects overlong forms,
 * surrogates, values past U+10FFFF and truncated sequences.
 * @return the sequence length 1..4 and *cp; 0 when the bytes are not valid UTF-8 (or len 0).
 */
size_t dlg_utf8_decode(const char *s, size_t len, uint32_t *cp);
/** True when the len bytes at s are valid UTF-8. */
bool dlg_utf8_valid(const char *s, size_t len);
/** The longest prefix of s (at most max bytes) that does not end inside a multi-byte
 * character, for cutting text on a character boundary. */
size_t dlg_utf8_prefix(const char *s, size_t len, size_t max);

/* ---- folding ---- */

/**
 * Folds text for matching: lowercase (Latin, Russian Cyrillic incl. Ё->е, the Kazakh letters);
 * Kazakh letters to their Russian look-alikes (ә->а, ғ->г, қ->к, ң->н, ө->о, ұ/ү->у, һ->х,
 * і->и); Latin look-alikes (a e o p c x y k m t h b i) to Cyrillic inside a word that is
 * otherwise Cyrillic (has Cyrillic letters and no other Latin letter); whitespace trimmed and
 * collapsed to one space; trailing punctuation (. ! ? , ; : … and their repeats) stripped
 * unless nothing else is left; emoji and other symbols dropped.
 * @param out      caller buffer; a result of at most 2 * strlen(text) + 1 bytes always fits.
 * @return 0; CORE_EBADINPUT when text is not valid UTF-8 (out is then ""); CORE_ETOOBIG when
 *         out is too small (out is then ""); CORE_EINVAL for NULL arguments or out_len 0.
 */
CORE_NODISCARD int dlg_fold(const char *text, char *out, size_t out_len);

/** The language a text looks written in, for greeting a new chat: kk when it has any
 * Kazakh-specific letter, ru when it has other Cyrillic, en when it has Latin letters only;
 * -1 when it has no letters or is not valid UTF-8. */
int dlg_guess_lang(const char *text);

/* ---- keywords ---- */

/** What a whole message means when it is one of the known words. Appended, never
 * renumbered; the table in normalize.c lists every synonym. */
enum dlg_keyword {
    DLG_KW_NONE = 0,
    DLG_KW_YES = 1,      /* иә, ия, йә, да, ок, ok, yes, y, ага */
    DLG_KW_NO = 2,       /* жоқ, нет, no, n */
    DLG_KW_MENU = 3,     /* мәзір, меню, menu, басты, главное */
    DLG_KW_OPERATOR = 4, /* оператор, operator, адам, человек, маман, "0" */
    DLG_KW_STOP = 5, /* тоқтату, тоқта, стоп, stop, отписаться, unsubscribe */
    DLG_KW_START = 6, /* бастау, старт, start, /start, сәлем, привет, hello */
    DLG_KW_HELP = 7,  /* көмек, помощь, help, "?" */
    DLG_KW_BACK = 8,  /* артқа, назад, back */
    DLG_KW_LANGUAGE = 9, /* тіл, язык, language */
    DLG_KW_CONFIRM = 10, /* растау, растаймын, подтвердить, подтверждаю, confirm */
    DLG_KW_DISPUTE = 11, /* келіспеймін, бас тарту, не согласен, оспорить, dispute */
    DLG_KW_RESEND = 12, /* қайта жіберу, жаңа код, отправить снова, новый код, resend */
    DLG_KW_CHILDREN = 13, /* балалар, дети, children, vouchers */
    DLG_KW_LANG_KK = 14,  /* қазақша, қазақ, kazakh */
    DLG_KW_LANG_RU = 15,  /* русский, орысша, russian */
    DLG_KW_LANG_EN = 16,  /* english, ағылшынша, английский */
    DLG_KW_UNLINK = 17, /* ажырату, отвязать, удалить данные, unlink */
    DLG_KW_CANCEL = 18, /* болдырмау, отмена, cancel */
    DLG_KW_COUNT
};

/**
 * The keyword the whole message is, after dlg_fold ("ДА", "Да.", "иә", "оК" with a Latin o all
 * give DLG_KW_YES; so does a lone 👍 or ✅, and 👎 or ❌ give DLG_KW_NO). A sentence that merely
 * contains a keyword is DLG_KW_NONE, as is invalid
 * UTF-8 or text longer than 256 bytes.
 */
enum dlg_keyword dlg_keyword_match(const char *text);
/** "yes", "no", "menu", ... for tests and logs; "none" for DLG_KW_NONE or out of range. */
const char *dlg_keyword_name(enum dlg_keyword keyword);
/** Walks the synonym table: the i-th synonym as written (unfolded) and its keyword, or NULL
 * past the end. For help texts and tests. */
const char *dlg_keyword_synonym(size_t i, enum dlg_keyword *keyword);

/* ---- option numbers ---- */

/**
 * An option number: "1", "1.", "1)", " 1 ", "№1", "#1", "12" -> the number. ASCII digits only,
 * 0..99, no other text. "0" gives 0 (the caller decides; dlg_keyword_match("0") is
 * DLG_KW_OPERATOR).
 * @return 0 and *number; CORE_EBADINPUT when the text is not an option number (*number kept).
 */
CORE_NODISCARD int dlg_option_number(const char *text, int *number);

/* ---- one-time codes ---- */

#define DLG_CODE_DIGITS 6

/**
 * Extracts a one-time code of exactly DLG_CODE_DIGITS digits: "123456", "123 456", "123-456",
 * "код 123456", "code: 123-456". The digits must form one group (separated only by spaces,
 * '-', '.', en/em dashes); words may stand before or after it. Any other digit count, or a
 * second group of digits, is not a code.
 * @param out  at least DLG_CODE_DIGITS + 1 bytes; receives the digits only.
 * @return 0; CORE_EBADINPUT when it is not a code (out untouched); CORE_EINVAL for a small out.
 */
CORE_NODISCARD int dlg_code_extract(const char *text, char *out, size_t out_len);

/* ---- day lists ---- */

/* A set of days of a month is a uint32_t: bit d set = day d (1..31); bit 0 is never set. */

enum dlg_daylist_verdict {
    DLG_DAYLIST_OK = 0,
    DLG_DAYLIST_EMPTY = 1,        /* nothing but spaces and separators */
    DLG_DAYLIST_NOT_A_LIST = 2,   /* letters, stray symbols, "3--5", a number over 3 digits */
    DLG_DAYLIST_OUT_OF_RANGE = 3, /* a day 0 or past the month's last day: see bad_day */
    DLG_DAYLIST_REVERSED = 4,     /* "17-15": see bad_day (from) and bad_day_to (to) */
};

struct dlg_daylist_result {
    enum dlg_daylist_verdict verdict;
    uint32_t days;  /* the set on DLG_DAYLIST_OK, else 0 */
    int bad_day;    /* OUT_OF_RANGE: the offending day; REVERSED: the range start */
    int bad_day_to; /* REVERSED: the range end */
};

/**
 * Parses "3, 7, 15-17", "3 7 15–17" (hyphen, en dash, em dash), "1,3, 5-7", "15-17, 3" into a
 * sorted set, validated against days_in_month (28..31). Separators: commas, semicolons and
 * spaces; a trailing '.' is ignored. Duplicates and overlaps merge.
 * @return the verdict (also in out->verdict).
 */
enum dlg_daylist_verdict
dlg_daylist_parse(const char *text, int days_in_month, struct dlg_daylist_result *out);

/**
 * Formats a set for parents: "3, 7, 15–17" (runs of three or more days as an en-dash range,
 * ", " between items). "" for the empty set.
 * @return 0; CORE_ETOOBIG when out is too small (out then ""); CORE_EINVAL for NULL/0 out.
 *         DLG_DAYLIST_MAX bytes always suffice.
 */
CORE_NODISCARD int dlg_daylist_format(uint32_t days, char *out, size_t out_len);

/** The canonical ASCII form for storage and the portal: "3,7,15-17" (runs of three or more as
 * ranges). Returns as dlg_daylist_format. */
CORE_NODISCARD int dlg_daylist_canonical(uint32_t days, char *out, size_t out_len);

/** Number of days in the set. */
int dlg_dayset_count(uint32_t days);

#endif
