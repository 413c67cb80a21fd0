/* SPDX-License-Identifier: MIT
 * SMS segment arithmetic: GSM 03.38 (default alphabet + extension table) or UCS-2 (UTF-16
 * units, surrogate pairs kept whole), 160/153 and 70/67 per segment. */
#include <stdint.h>
#include <string.h>

#include "adapters/sms.h"

/* The GSM 03.38 default alphabet as Unicode code points (the escape 0x1B excluded). */
static const uint32_t gsm_basic[] = {
    '@',    0x00A3, '$',    0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, '\n',
    0x00D8, 0x00F8, '\r',   0x00C5, 0x00E5, 0x0394, '_',    0x03A6, 0x0393, 0x039B, 0x03A9,
    0x03A0, 0x03A8, 0x03A3, 0x0398, 0x039E, 0x00C6, 0x00E6, 0x00DF, 0x00C9, ' ',    '!',
    '"',    '#',    0x00A4, '%',    '&',    '\'',   '(',    ')',    '*',    '+',    ',',
    '-',    '.',    '/',    ':',    ';',    '<',    '=',    '>',    '?',    0x00A1, 0x00C4,
    0x00D6, 0x00D1, 0x00DC, 0x00A7, 0x00BF, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

/* The extension table: each costs an escape septet plus its own. */
static const uint32_t gsm_ext[] = {'\f', '^', '{', '}', '\\', '[', ']', '~', '|', 0x20AC};

static bool in_table(const uint32_t *table, size_t n, uint32_t cp)
{
    for (size_t i = 0; i < n; i++) {
        if (table[i] == cp) {
            return true;
        }
    }
    return false;
}

/* Septets of cp in GSM-7: 1, 2 (extension) or 0 (not representable). */
static int gsm_septets(uint32_t cp)
{
    if ((cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z')) {
        return 1;
    }
    if (in_table(gsm_basic, sizeof gsm_basic / sizeof gsm_basic[0], cp)) {
        return 1;
    }
    return in_table(gsm_ext, sizeof gsm_ext / sizeof gsm_ext[0], cp) ? 2 : 0;
}

/* Decodes one well-formed UTF-8 sequence at s (len bytes left); returns its length, 0 when
 * malformed (overlong, surrogate, beyond U+10FFFF, truncated). */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
    if (n == 0 || n > len || s[0] > 0xF4) {
        return 0;
    }
    uint32_t v = s[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        return 0;
    }
    *cp = v;
    return n;
}

/* Packs items of width 1 or 2 into parts of `part` units, never splitting an item. */
struct packer {
    size_t part;
    size_t used; /* units in the current part */
    int parts;
};

static void pack(struct packer *p, size_t width)
{
    if (p->parts == 0 || p->used + width > p->part) {
        p->parts++;
        p->used = 0;
    }
    p->used += width;
}

int ad_sms_count(const char *text, size_t len, struct ad_sms_count *out)
{
    memset(out, 0, sizeof *out);
    const unsigned char *s = (const unsigned char *)text;
    size_t septets = 0;
    size_t utf16 = 0;
    bool gsm = true;
    for (size_t i = 0; i < len;) {
        uint32_t cp = 0;
        size_t n = utf8_next(s + i, len - i, &cp);
        if (n == 0) {
            return CORE_EBADINPUT;
        }
        int w = gsm_septets(cp);
        gsm = gsm && w > 0;
        septets += (size_t)w;
        utf16 += cp >= 0x10000 ? 2 : 1;
        out->chars++;
        i += n;
    }
    out->encoding = gsm ? AD_SMS_GSM7 : AD_SMS_UCS2;
    out->units = gsm ? septets : utf16;
    size_t single = gsm ? AD_SMS_GSM7_SINGLE : AD_SMS_UCS2_SINGLE;
    if (out->units == 0) {
        return CORE_OK;
    }
    if (out->units <= single) {
        out->segments = 1;
        return CORE_OK;
    }
    struct packer p = {.part = gsm ? AD_SMS_GSM7_PART : AD_SMS_UCS2_PART};
    for (size_t i = 0; i < len;) {
        uint32_t cp = 0;
        size_t n = utf8_next(s + i, len - i, &cp);
        pack(&p, gsm ? (size_t)gsm_septets(cp) : cp >= 0x10000 ? 2 : 1);
        i += n;
    }
    out->segments = p.parts;
    return CORE_OK;
}
