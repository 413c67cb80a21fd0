/* SPDX-License-Identifier: MIT
 * Input normalisation for matching what parents type: UTF-8 decoding, case and look-alike
 * folding for kk / ru / en, keywords, option numbers, one-time codes and day lists. Pure:
 * no I/O, no heap, no global mutable state; untrusted input never crashes it. */
#include "dialogs/normalize.h"

#include <stdio.h>
#include <string.h>

/* ---- UTF-8 ---- */

size_t dlg_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
    if (!s || len == 0) {
        return 0;
    }
    const unsigned char *u = (const unsigned char *)s;
    uint32_t c = u[0];
    size_t n = 0;
    uint32_t min = 0;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        c &= 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        c &= 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        c &= 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len < n) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (u[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        return 0;
    }
    *cp = c;
    return n;
}

bool dlg_utf8_valid(const char *s, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        uint32_t cp = 0;
        size_t n = dlg_utf8_decode(s + pos, len - pos, &cp);
        if (n == 0) {
            return false;
        }
        pos += n;
    }
    return true;
}

size_t dlg_utf8_prefix(const char *s, size_t len, size_t max)
{
    if (!s || len <= max) {
        return s ? len : 0;
    }
    /* s[max] is the first byte cut off: back up while it is a continuation byte, so the
     * character it belongs to is dropped whole. */
    size_t cut = max;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80) {
        cut--;
    }
    return cut;
}

/* Appends a code point as UTF-8; returns false when it does not fit (room for a NUL kept). */
static bool put_cp(char *out, size_t out_len, size_t *pos, uint32_t cp)
{
    unsigned char b[4];
    size_t n = 0;
    if (cp < 0x80) {
        b[n++] = (unsigned char)cp;
    } else if (cp < 0x800) {
        b[n++] = (unsigned char)(0xC0 | (cp >> 6));
        b[n++] = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        b[n++] = (unsigned char)(0xE0 | (cp >> 12));
        b[n++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[n++] = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        b[n++] = (unsigned char)(0xF0 | (cp >> 18));
        b[n++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[n++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[n++] = (unsigned char)(0x80 | (cp & 0x3F));
    }
    if (*pos + n + 1 > out_len) {
        return false;
    }
    memcpy(out + *pos, b, n);
    *pos += n;
    return true;
}

/* ---- character classes ---- */

static bool is_space_cp(uint32_t cp)
{
    return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

/* Emoji, pictographs, dingbats, variation selectors, joiners and other decoration that
 * carries no meaning for matching. */
static bool is_noise_cp(uint32_t cp)
{
    return (cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x2600 && cp <= 0x27BF) ||
           (cp >= 0x2300 && cp <= 0x23FF) || (cp >= 0x2B00 && cp <= 0x2BFF) ||
           (cp >= 0x2190 && cp <= 0x21FF) || (cp >= 0xFE00 && cp <= 0xFE0F) ||
           (cp >= 0xE0000 && cp <= 0xE007F) || cp == 0x200B || cp == 0x200C || cp == 0x200D ||
           cp == 0x2060 || cp == 0xFEFF || cp == 0x20E3 || cp == 0x00A9 || cp == 0x00AE ||
           cp == 0x2122 || cp == 0x3030 || cp == 0x303D || (cp < 0x20 && cp != '\t') || cp == 0x7F;
}

static bool is_cyrillic_cp(uint32_t cp)
{
    return cp >= 0x0400 && cp <= 0x04FF;
}

static bool is_kazakh_cp(uint32_t cp)
{
    switch (cp) {
    case 0x04D8:
    case 0x04D9:
    case 0x0492:
    case 0x0493:
    case 0x049A:
    case 0x049B: /* ә ғ қ */
    case 0x04A2:
    case 0x04A3:
    case 0x04E8:
    case 0x04E9:
    case 0x04B0:
    case 0x04B1: /* ң ө ұ */
    case 0x04AE:
    case 0x04AF:
    case 0x04BA:
    case 0x04BB:
    case 0x0406:
    case 0x0456: /* ү һ і */
        return true;
    default:
        return false;
    }
}

/* Lowercase + Kazakh-to-Russian look-alike + ё->е, for one code point. */
static uint32_t fold_cp(uint32_t cp)
{
    if (cp >= 'A' && cp <= 'Z') {
        return cp + 32;
    }
    if (cp >= 0x0410 && cp <= 0x042F) {
        cp += 0x20; /* А..Я -> а..я */
    } else if (cp >= 0x0400 && cp <= 0x040F && cp != 0x0406) {
        cp += 0x50; /* Ѐ..Џ -> ѐ..џ */
    }
    switch (cp) {
    case 0x0451: /* ё */
        return 0x0435;
    case 0x04D8:
    case 0x04D9: /* Ә ә -> а */
        return 0x0430;
    case 0x0492:
    case 0x0493: /* Ғ ғ -> г */
        return 0x0433;
    case 0x049A:
    case 0x049B: /* Қ қ -> к */
        return 0x043A;
    case 0x04A2:
    case 0x04A3: /* Ң ң -> н */
        return 0x043D;
    case 0x04E8:
    case 0x04E9: /* Ө ө -> о */
        return 0x043E;
    case 0x04B0:
    case 0x04B1:
    case 0x04AE:
    case 0x04AF: /* Ұ ұ Ү ү -> у */
        return 0x0443;
    case 0x04BA:
    case 0x04BB: /* Һ һ -> х */
        return 0x0445;
    case 0x0406:
    case 0x0456: /* І і -> и */
        return 0x0438;
    default:
        return cp;
    }
}

/* Latin look-alikes typed inside a Cyrillic word (already lowercased). */
static uint32_t latin_to_cyrillic(uint32_t cp)
{
    switch (cp) {
    case 'a':
        return 0x0430;
    case 'b':
        return 0x0432;
    case 'c':
        return 0x0441;
    case 'e':
        return 0x0435;
    case 'h':
        return 0x043D;
    case 'i':
        return 0x0438;
    case 'k':
        return 0x043A;
    case 'm':
        return 0x043C;
    case 'o':
        return 0x043E;
    case 'p':
        return 0x0440;
    case 't':
        return 0x0442;
    case 'x':
        return 0x0445;
    case 'y':
        return 0x0443;
    default:
        return cp;
    }
}

/* ---- folding ---- */

/* A word: [start, end) of the input, between whitespace. */
/* A word is "otherwise Cyrillic" when it has a Cyrillic letter and every Latin letter in it is
 * one of the look-alikes: only then are those Latin letters taken for Cyrillic ones. */
static bool word_is_cyrillic(const char *s, size_t len)
{
    bool cyrillic = false;
    size_t pos = 0;
    while (pos < len) {
        uint32_t cp = 0;
        pos += dlg_utf8_decode(s + pos, len - pos, &cp);
        uint32_t lower = fold_cp(cp);
        if (lower >= 'a' && lower <= 'z' && latin_to_cyrillic(lower) == lower) {
            return false;
        }
        cyrillic = cyrillic || is_cyrillic_cp(cp);
    }
    return cyrillic;
}

/* Emits one folded word; returns false when out is full. *emitted says if anything was. */
static bool
fold_word(const char *s, size_t len, char *out, size_t out_len, size_t *pos, bool *emitted)
{
    bool cyrillic = word_is_cyrillic(s, len);
    size_t i = 0;
    *emitted = false;
    while (i < len) {
        uint32_t cp = 0;
        i += dlg_utf8_decode(s + i, len - i, &cp);
        if (is_noise_cp(cp)) {
            continue;
        }
        cp = fold_cp(cp);
        if (cyrillic) {
            cp = latin_to_cyrillic(cp);
        }
        if (!put_cp(out, out_len, pos, cp)) {
            return false;
        }
        *emitted = true;
    }
    return true;
}

static bool is_trailing_punct(uint32_t cp)
{
    return cp == '.' || cp == '!' || cp == '?' || cp == ',' || cp == ';' || cp == ':' ||
           cp == 0x2026 /* … */ || cp == 0x00BF || cp == 0x00A1;
}

/* Strips trailing punctuation and spaces, unless that would leave nothing. */
static void strip_trailing(char *out, size_t *len)
{
    size_t end = *len;
    for (;;) {
        size_t start = dlg_utf8_prefix(out, end, end > 0 ? end - 1 : 0);
        uint32_t cp = 0;
        if (end == 0 || dlg_utf8_decode(out + start, end - start, &cp) == 0) {
            break;
        }
        if (!is_trailing_punct(cp) && cp != ' ') {
            break;
        }
        end = start;
    }
    if (end > 0) {
        *len = end;
        out[end] = '\0';
    }
}

/* Next whitespace-separated word of s starting at *pos: [*start, *end). */
static bool next_word(const char *s, size_t len, size_t *pos, size_t *start, size_t *end)
{
    uint32_t cp = 0;
    while (*pos < len) {
        size_t n = dlg_utf8_decode(s + *pos, len - *pos, &cp);
        if (!is_space_cp(cp)) {
            break;
        }
        *pos += n;
    }
    if (*pos >= len) {
        return false;
    }
    *start = *pos;
    while (*pos < len) {
        size_t n = dlg_utf8_decode(s + *pos, len - *pos, &cp);
        if (is_space_cp(cp)) {
            break;
        }
        *pos += n;
    }
    *end = *pos;
    return true;
}

int dlg_fold(const char *text, char *out, size_t out_len)
{
    if (!text || !out || out_len == 0) {
        return CORE_EINVAL;
    }
    out[0] = '\0';
    size_t len = strlen(text);
    if (!dlg_utf8_valid(text, len)) {
        return CORE_EBADINPUT;
    }
    size_t pos = 0;
    size_t in = 0;
    size_t start = 0;
    size_t end = 0;
    while (next_word(text, len, &in, &start, &end)) {
        size_t mark = pos;
        bool emitted = false;
        if (pos > 0 && !put_cp(out, out_len, &pos, ' ')) {
            out[0] = '\0';
            return CORE_ETOOBIG;
        }
        if (!fold_word(text + start, end - start, out, out_len, &pos, &emitted)) {
            out[0] = '\0';
            return CORE_ETOOBIG;
        }
        if (!emitted) {
            pos = mark; /* a word of emoji only: drop it and its space */
        }
    }
    out[pos] = '\0';
    strip_trailing(out, &pos);
    return 0;
}

int dlg_guess_lang(const char *text)
{
    if (!text) {
        return -1;
    }
    size_t len = strlen(text);
    bool cyrillic = false;
    bool latin = false;
    size_t pos = 0;
    while (pos < len) {
        uint32_t cp = 0;
        size_t n = dlg_utf8_decode(text + pos, len - pos, &cp);
        if (n == 0) {
            return -1;
        }
        pos += n;
        if (is_kazakh_cp(cp)) {
            return DLG_LANG_KK;
        }
        cyrillic = cyrillic || is_cyrillic_cp(cp);
        latin = latin || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    }
    if (cyrillic) {
        return DLG_LANG_RU;
    }
    return latin ? DLG_LANG_EN : -1;
}

/* ---- keywords ---- */

struct synonym {
    enum dlg_keyword keyword;
    const char *text; /* as people write it; folded at match time */
};

/* Whole-message synonyms. To add one, append a line; test_normalize checks that no folded
 * synonym maps to two keywords. Single letters only where they collide with nothing ("y",
 * "n"); not "ә" (it folds to the Russian conjunction "а"). */
static const struct synonym g_synonyms[] = {
    {DLG_KW_YES, "иә"},
    {DLG_KW_YES, "ия"},
    {DLG_KW_YES, "йә"},
    {DLG_KW_YES, "иә растаймын"},
    {DLG_KW_YES, "да"},
    {DLG_KW_YES, "ага"},
    {DLG_KW_YES, "ок"},
    {DLG_KW_YES, "ok"},
    {DLG_KW_YES, "okay"},
    {DLG_KW_YES, "yes"},
    {DLG_KW_YES, "y"},
    {DLG_KW_YES, "дұрыс"},
    {DLG_KW_YES, "верно"},
    {DLG_KW_NO, "жоқ"},
    {DLG_KW_NO, "нет"},
    {DLG_KW_NO, "неа"},
    {DLG_KW_NO, "no"},
    {DLG_KW_NO, "n"},
    {DLG_KW_NO, "қате"},
    {DLG_KW_MENU, "мәзір"},
    {DLG_KW_MENU, "басты мәзір"},
    {DLG_KW_MENU, "басты"},
    {DLG_KW_MENU, "меню"},
    {DLG_KW_MENU, "главное"},
    {DLG_KW_MENU, "главное меню"},
    {DLG_KW_MENU, "menu"},
    {DLG_KW_MENU, "main menu"},
    {DLG_KW_OPERATOR, "оператор"},
    {DLG_KW_OPERATOR, "operator"},
    {DLG_KW_OPERATOR, "адам"},
    {DLG_KW_OPERATOR, "человек"},
    {DLG_KW_OPERATOR, "маман"},
    {DLG_KW_OPERATOR, "0"},
    {DLG_KW_OPERATOR, "байланыс орталығы"},
    {DLG_KW_OPERATOR, "контакт-центр"},
    {DLG_KW_OPERATOR, "contact centre"},
    {DLG_KW_OPERATOR, "contact center"},
    {DLG_KW_OPERATOR, "human"},
    {DLG_KW_OPERATOR, "agent"},
    {DLG_KW_STOP, "тоқтату"},
    {DLG_KW_STOP, "тоқта"},
    {DLG_KW_STOP, "стоп"},
    {DLG_KW_STOP, "stop"},
    {DLG_KW_STOP, "отписаться"},
    {DLG_KW_STOP, "unsubscribe"},
    {DLG_KW_START, "бастау"},
    {DLG_KW_START, "старт"},
    {DLG_KW_START, "start"},
    {DLG_KW_START, "/start"},
    {DLG_KW_START, "сәлем"},
    {DLG_KW_START, "сәлеметсіз бе"},
    {DLG_KW_START, "привет"},
    {DLG_KW_START, "здравствуйте"},
    {DLG_KW_START, "hello"},
    {DLG_KW_START, "hi"},
    {DLG_KW_HELP, "көмек"},
    {DLG_KW_HELP, "анықтама"},
    {DLG_KW_HELP, "помощь"},
    {DLG_KW_HELP, "справка"},
    {DLG_KW_HELP, "help"},
    {DLG_KW_HELP, "?"},
    {DLG_KW_BACK, "артқа"},
    {DLG_KW_BACK, "кері"},
    {DLG_KW_BACK, "назад"},
    {DLG_KW_BACK, "back"},
    {DLG_KW_LANGUAGE, "тіл"},
    {DLG_KW_LANGUAGE, "тілді ауыстыру"},
    {DLG_KW_LANGUAGE, "язык"},
    {DLG_KW_LANGUAGE, "сменить язык"},
    {DLG_KW_LANGUAGE, "language"},
    {DLG_KW_LANGUAGE, "change language"},
    {DLG_KW_CONFIRM, "растау"},
    {DLG_KW_CONFIRM, "растаймын"},
    {DLG_KW_CONFIRM, "подтвердить"},
    {DLG_KW_CONFIRM, "подтверждаю"},
    {DLG_KW_CONFIRM, "confirm"},
    {DLG_KW_CONFIRM, "i confirm"},
    {DLG_KW_DISPUTE, "келіспеймін"},
    {DLG_KW_DISPUTE, "бас тарту"},
    {DLG_KW_DISPUTE, "не согласен"},
    {DLG_KW_DISPUTE, "не согласна"},
    {DLG_KW_DISPUTE, "оспорить"},
    {DLG_KW_DISPUTE, "dispute"},
    {DLG_KW_DISPUTE, "disagree"},
    {DLG_KW_RESEND, "қайта жіберу"},
    {DLG_KW_RESEND, "жаңа код"},
    {DLG_KW_RESEND, "кодты қайта жіберу"},
    {DLG_KW_RESEND, "отправить снова"},
    {DLG_KW_RESEND, "отправить код снова"},
    {DLG_KW_RESEND, "новый код"},
    {DLG_KW_RESEND, "resend"},
    {DLG_KW_RESEND, "new code"},
    {DLG_KW_RESEND, "send again"},
    {DLG_KW_CHILDREN, "балалар"},
    {DLG_KW_CHILDREN, "балаларым"},
    {DLG_KW_CHILDREN, "дети"},
    {DLG_KW_CHILDREN, "мои дети"},
    {DLG_KW_CHILDREN, "children"},
    {DLG_KW_CHILDREN, "my children"},
    {DLG_KW_CHILDREN, "ваучерлер"},
    {DLG_KW_CHILDREN, "ваучеры"},
    {DLG_KW_CHILDREN, "vouchers"},
    {DLG_KW_LANG_KK, "қазақша"},
    {DLG_KW_LANG_KK, "қазақ"},
    {DLG_KW_LANG_KK, "қазақ тілі"},
    {DLG_KW_LANG_KK, "казахский"},
    {DLG_KW_LANG_KK, "kazakh"},
    {DLG_KW_LANG_KK, "kk"},
    {DLG_KW_LANG_KK, "kz"},
    {DLG_KW_LANG_RU, "русский"},
    {DLG_KW_LANG_RU, "орысша"},
    {DLG_KW_LANG_RU, "орыс тілі"},
    {DLG_KW_LANG_RU, "russian"},
    {DLG_KW_LANG_RU, "ru"},
    {DLG_KW_LANG_EN, "english"},
    {DLG_KW_LANG_EN, "ағылшынша"},
    {DLG_KW_LANG_EN, "английский"},
    {DLG_KW_LANG_EN, "en"},
    {DLG_KW_LANG_EN, "eng"},
    {DLG_KW_UNLINK, "ажырату"},
    {DLG_KW_UNLINK, "деректерді жою"},
    {DLG_KW_UNLINK, "отвязать"},
    {DLG_KW_UNLINK, "удалить данные"},
    {DLG_KW_UNLINK, "удалить мои данные"},
    {DLG_KW_UNLINK, "unlink"},
    {DLG_KW_UNLINK, "delete my data"},
    {DLG_KW_CANCEL, "болдырмау"},
    {DLG_KW_CANCEL, "отмена"},
    {DLG_KW_CANCEL, "отменить"},
    {DLG_KW_CANCEL, "cancel"},
};

#define N_SYNONYMS       (sizeof(g_synonyms) / sizeof(g_synonyms[0]))
#define KEYWORD_TEXT_MAX 256

const char *dlg_keyword_synonym(size_t i, enum dlg_keyword *keyword)
{
    if (i >= N_SYNONYMS) {
        return NULL;
    }
    if (keyword) {
        *keyword = g_synonyms[i].keyword;
    }
    return g_synonyms[i].text;
}

/* The synonyms folded once, on first use, into static storage (the same one-time pattern as
 * the i18n catalogs: call from the loop thread). A synonym too long to fold stays "" and can
 * never match; test_normalize checks that every synonym matches its own keyword. */
#define SYNONYM_FOLDED_MAX 96

static const char *folded_synonym(size_t i)
{
    static char folded[N_SYNONYMS][SYNONYM_FOLDED_MAX];
    static bool ready;
    if (!ready) {
        for (size_t k = 0; k < N_SYNONYMS; k++) {
            if (dlg_fold(g_synonyms[k].text, folded[k], sizeof(folded[k])) != 0) {
                folded[k][0] = '\0';
            }
        }
        ready = true;
    }
    return folded[i];
}

static enum dlg_keyword keyword_lookup(const char *folded)
{
    for (size_t i = 0; i < N_SYNONYMS; i++) {
        const char *syn = folded_synonym(i);
        if (syn[0] == folded[0] && strcmp(syn, folded) == 0) {
            return g_synonyms[i].keyword;
        }
    }
    return DLG_KW_NONE;
}

/* A message of one answering emoji (with optional skin tone and variation selector): 👍 ✅ for
 * yes, 👎 ❌ for no. Folding drops emoji, so these are recognised before it. */
static enum dlg_keyword emoji_keyword(const char *text)
{
    static const struct {
        uint32_t cp;
        enum dlg_keyword keyword;
    } answers[] = {
        {0x1F44D, DLG_KW_YES}, {0x2705, DLG_KW_YES}, {0x1F44E, DLG_KW_NO}, {0x274C, DLG_KW_NO}};
    enum dlg_keyword found = DLG_KW_NONE;
    size_t len = strlen(text);
    size_t pos = 0;
    while (pos < len) {
        uint32_t cp = 0;
        size_t n = dlg_utf8_decode(text + pos, len - pos, &cp);
        if (n == 0) {
            return DLG_KW_NONE;
        }
        pos += n;
        if (is_space_cp(cp) || cp == 0xFE0F || (cp >= 0x1F3FB && cp <= 0x1F3FF)) {
            continue;
        }
        enum dlg_keyword kw = DLG_KW_NONE;
        for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
            kw = answers[i].cp == cp ? answers[i].keyword : kw;
        }
        if (kw == DLG_KW_NONE || found != DLG_KW_NONE) {
            return DLG_KW_NONE; /* anything else, or two answers */
        }
        found = kw;
    }
    return found;
}

enum dlg_keyword dlg_keyword_match(const char *text)
{
    char folded[2 * KEYWORD_TEXT_MAX + 1];
    if (!text || strlen(text) > KEYWORD_TEXT_MAX || dlg_fold(text, folded, sizeof(folded)) != 0) {
        return DLG_KW_NONE;
    }
    if (folded[0] == '\0') {
        return emoji_keyword(text);
    }
    enum dlg_keyword kw = keyword_lookup(folded);
    if (kw == DLG_KW_NONE && folded[0] == '/' && folded[1] != '\0') {
        kw = keyword_lookup(folded + 1); /* "/menu", "/help" typed as commands */
    }
    return kw;
}

const char *dlg_keyword_name(enum dlg_keyword keyword)
{
    static const char *const names[DLG_KW_COUNT] = {
        [DLG_KW_NONE] = "none",
        [DLG_KW_YES] = "yes",
        [DLG_KW_NO] = "no",
        [DLG_KW_MENU] = "menu",
        [DLG_KW_OPERATOR] = "operator",
        [DLG_KW_STOP] = "stop",
        [DLG_KW_START] = "start",
        [DLG_KW_HELP] = "help",
        [DLG_KW_BACK] = "back",
        [DLG_KW_LANGUAGE] = "language",
        [DLG_KW_CONFIRM] = "confirm",
        [DLG_KW_DISPUTE] = "dispute",
        [DLG_KW_RESEND] = "resend",
        [DLG_KW_CHILDREN] = "children",
        [DLG_KW_LANG_KK] = "lang_kk",
        [DLG_KW_LANG_RU] = "lang_ru",
        [DLG_KW_LANG_EN] = "lang_en",
        [DLG_KW_UNLINK] = "unlink",
        [DLG_KW_CANCEL] = "cancel",
    };
    if ((int)keyword < 0 || keyword >= DLG_KW_COUNT) {
        return "none";
    }
    return names[keyword];
}

/* ---- option numbers ---- */

#define OPTION_TEXT_MAX 64

int dlg_option_number(const char *text, int *number)
{
    char folded[2 * OPTION_TEXT_MAX + 1];
    if (!text || !number || strlen(text) > OPTION_TEXT_MAX ||
        dlg_fold(text, folded, sizeof(folded)) != 0) {
        return CORE_EBADINPUT;
    }
    const char *p = folded;
    if (strncmp(p, "\xE2\x84\x96", 3) == 0) { /* № */
        p += 3;
    } else if (*p == '#') {
        p++;
    }
    if (p != folded && *p == ' ') {
        p++;
    }
    int value = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 3) {
        value = value * 10 + (*p - '0');
        digits++;
        p++;
    }
    if (*p == ')' || *p == '.') {
        p++;
    }
    if (digits == 0 || digits > 2 || *p != '\0') {
        return CORE_EBADINPUT;
    }
    *number = value;
    return 0;
}

/* ---- one-time codes ---- */

/* Length of a separator allowed between code digits at s (0 if none). */
static size_t code_separator(const char *s, size_t len)
{
    uint32_t cp = 0;
    size_t n = dlg_utf8_decode(s, len, &cp);
    if (n == 0) {
        return 0;
    }
    bool sep = cp == ' ' || cp == '-' || cp == '.' || cp == 0xA0 || cp == 0x2013 || cp == 0x2014 ||
               cp == 0x2212 || cp == 0x202F;
    return sep ? n : 0;
}

int dlg_code_extract(const char *text, char *out, size_t out_len)
{
    if (!out || out_len < DLG_CODE_DIGITS + 1) {
        return CORE_EINVAL;
    }
    if (!text) {
        return CORE_EBADINPUT;
    }
    size_t len = strlen(text);
    if (!dlg_utf8_valid(text, len)) {
        return CORE_EBADINPUT;
    }
    size_t pos = strcspn(text, "0123456789");
    char digits[DLG_CODE_DIGITS + 1];
    size_t n = 0;
    while (pos < len) {
        if (text[pos] >= '0' && text[pos] <= '9') {
            if (n == DLG_CODE_DIGITS) {
                return CORE_EBADINPUT; /* more digits than a code has */
            }
            digits[n++] = text[pos++];
            continue;
        }
        size_t sep = code_separator(text + pos, len - pos);
        if (sep == 0) {
            break;
        }
        pos += sep;
    }
    if (n != DLG_CODE_DIGITS || strpbrk(text + pos, "0123456789") != NULL) {
        return CORE_EBADINPUT;
    }
    memcpy(out, digits, n);
    out[n] = '\0';
    return 0;
}

/* ---- day lists ---- */

static size_t dash_at(const char *s, size_t len)
{
    uint32_t cp = 0;
    size_t n = dlg_utf8_decode(s, len, &cp);
    return n > 0 && (cp == '-' || cp == 0x2010 || cp == 0x2011 || cp == 0x2012 || cp == 0x2013 ||
                     cp == 0x2014 || cp == 0x2212)
               ? n
               : 0;
}

static size_t list_separator_at(const char *s, size_t len)
{
    uint32_t cp = 0;
    size_t n = dlg_utf8_decode(s, len, &cp);
    return n > 0 && (cp == ',' || cp == ';' || is_space_cp(cp)) ? n : 0;
}

static size_t skip_spaces(const char *s, size_t len, size_t pos)
{
    while (pos < len) {
        uint32_t cp = 0;
        size_t n = dlg_utf8_decode(s + pos, len - pos, &cp);
        if (n == 0 || !is_space_cp(cp)) {
            break;
        }
        pos += n;
    }
    return pos;
}

/* Reads 1..3 ASCII digits at *pos; false when there are none or more than 3. */
static bool read_day(const char *s, size_t len, size_t *pos, int *value)
{
    int v = 0;
    int digits = 0;
    while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9') {
        if (++digits > 3) {
            return false;
        }
        v = v * 10 + (s[*pos] - '0');
        (*pos)++;
    }
    *value = v;
    return digits > 0;
}

struct daylist_state {
    uint32_t days;
    enum dlg_daylist_verdict first_error; /* first range problem, in text order */
    int bad_day;
    int bad_day_to;
    int items;
};

static void daylist_add(struct daylist_state *st, int from, int to, int days_in_month)
{
    st->items++;
    if (st->first_error != DLG_DAYLIST_OK) {
        return;
    }
    int bad = from < 1 || from > days_in_month ? from : (to < 1 || to > days_in_month ? to : -1);
    if (bad >= 0) {
        st->first_error = DLG_DAYLIST_OUT_OF_RANGE;
        st->bad_day = bad;
        return;
    }
    if (to < from) {
        st->first_error = DLG_DAYLIST_REVERSED;
        st->bad_day = from;
        st->bad_day_to = to;
        return;
    }
    for (int d = from; d <= to; d++) {
        st->days |= 1U << d;
    }
}

/* One item "N" or "N-M" at *pos; false on a syntax error. */
static bool
daylist_item(const char *s, size_t len, size_t *pos, struct daylist_state *st, int days_in_month)
{
    int from = 0;
    int to = 0;
    if (!read_day(s, len, pos, &from)) {
        return false;
    }
    size_t after = skip_spaces(s, len, *pos);
    size_t dash = after < len ? dash_at(s + after, len - after) : 0;
    if (dash == 0) {
        daylist_add(st, from, from, days_in_month);
        return true;
    }
    *pos = skip_spaces(s, len, after + dash);
    if (!read_day(s, len, pos, &to)) {
        return false;
    }
    daylist_add(st, from, to, days_in_month);
    return true;
}

static enum dlg_daylist_verdict daylist_finish(struct dlg_daylist_result *out,
                                               enum dlg_daylist_verdict v,
                                               const struct daylist_state *st)
{
    out->verdict = v;
    out->days = v == DLG_DAYLIST_OK ? st->days : 0;
    out->bad_day = v == DLG_DAYLIST_OUT_OF_RANGE || v == DLG_DAYLIST_REVERSED ? st->bad_day : 0;
    out->bad_day_to = v == DLG_DAYLIST_REVERSED ? st->bad_day_to : 0;
    return v;
}

enum dlg_daylist_verdict
dlg_daylist_parse(const char *text, int days_in_month, struct dlg_daylist_result *out)
{
    struct dlg_daylist_result ignored;
    struct daylist_state st = {0, DLG_DAYLIST_OK, 0, 0, 0};
    if (!out) {
        out = &ignored;
    }
    if (days_in_month < 1 || days_in_month > 31) {
        days_in_month = 31;
    }
    size_t len = text ? strlen(text) : 0;
    if (!text || !dlg_utf8_valid(text, len)) {
        return daylist_finish(out, DLG_DAYLIST_NOT_A_LIST, &st);
    }
    while (len > 0 && (text[len - 1] == '.' || text[len - 1] == ' ')) {
        len--; /* "3, 7." */
    }
    size_t pos = 0;
    while (pos < len) {
        size_t sep = list_separator_at(text + pos, len - pos);
        if (sep > 0) {
            pos += sep;
            continue;
        }
        if (!daylist_item(text, len, &pos, &st, days_in_month)) {
            return daylist_finish(out, DLG_DAYLIST_NOT_A_LIST, &st);
        }
        if (pos < len && list_separator_at(text + pos, len - pos) == 0) {
            return daylist_finish(out, DLG_DAYLIST_NOT_A_LIST, &st); /* "3a", "5-7-9" */
        }
    }
    if (st.items == 0) {
        return daylist_finish(out, DLG_DAYLIST_EMPTY, &st);
    }
    return daylist_finish(out, st.first_error, &st);
}

static int
daylist_write(uint32_t days, char *out, size_t out_len, const char *sep, const char *dash)
{
    if (!out || out_len == 0) {
        return CORE_EINVAL;
    }
    size_t pos = 0;
    out[0] = '\0';
    for (int d = 1; d <= 31; d++) {
        if (!(days & (1U << d))) {
            continue;
        }
        int end = d;
        while (end < 31 && (days & (1U << (end + 1)))) {
            end++;
        }
        char item[16];
        size_t n = 0;
        if (end - d >= 2) {
            n = (size_t)snprintf(item, sizeof(item), "%s%d%s%d", pos ? sep : "", d, dash, end);
            d = end;
        } else {
            n = (size_t)snprintf(item, sizeof(item), "%s%d", pos ? sep : "", d);
        }
        if (pos + n + 1 > out_len) {
            out[0] = '\0';
            return CORE_ETOOBIG;
        }
        memcpy(out + pos, item, n + 1);
        pos += n;
    }
    return 0;
}

int dlg_daylist_format(uint32_t days, char *out, size_t out_len)
{
    return daylist_write(days, out, out_len, ", ", "\xE2\x80\x93");
}

int dlg_daylist_canonical(uint32_t days, char *out, size_t out_len)
{
    return daylist_write(days, out, out_len, ",", "-");
}

int dlg_dayset_count(uint32_t days)
{
    int n = 0;
    days &= ~1U; /* bit 0 is never a day */
    while (days) {
        days &= days - 1;
        n++;
    }
    return n;
}
