/* SPDX-License-Identifier: MIT
 * IIN checksum (two-pass mod 11) and Kazakh phone normalisation. */
#include "dialogs/validate.h"

#include <stdio.h>
#include <string.h>

#include "core/caltime.h"

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return true;
}

int dlg_iin_check_digit(const char *first11)
{
    int sum = 0;
    for (int i = 0; i < 11; i++) {
        sum += (i + 1) * (first11[i] - '0');
    }
    int r = sum % 11;
    if (r != 10) {
        return r;
    }
    sum = 0;
    for (int i = 0; i < 11; i++) {
        int weight = (i + 2) % 11 + 1; /* 3,4,...,11,1,2 */
        sum += weight * (first11[i] - '0');
    }
    r = sum % 11;
    return r == 10 ? -1 : r;
}

enum dlg_iin_verdict dlg_iin_check(const char *iin)
{
    if (!iin || strlen(iin) != 12 || !all_digits(iin, 12)) {
        return DLG_IIN_NOT_12_DIGITS;
    }
    if (iin[6] < '1' || iin[6] > '6') {
        return DLG_IIN_BAD_CENTURY;
    }
    int check = dlg_iin_check_digit(iin);
    if (check < 0 || check != iin[11] - '0') {
        return DLG_IIN_BAD_CHECKSUM;
    }
    return DLG_IIN_OK;
}

void dlg_iin_hint(const char *iin, struct dlg_iin_hint *out)
{
    memset(out, 0, sizeof *out);
    out->sex = '?';
    if (!iin || strlen(iin) != 12 || !all_digits(iin, 12)) {
        return;
    }
    int yy = (iin[0] - '0') * 10 + (iin[1] - '0');
    out->month = (iin[2] - '0') * 10 + (iin[3] - '0');
    out->day = (iin[4] - '0') * 10 + (iin[5] - '0');
    int c = iin[6] - '0';
    out->looks_like_bin = iin[4] >= '4';
    if (c >= 1 && c <= 6) {
        out->year = 1800 + 100 * ((c - 1) / 2) + yy;
        out->sex = c % 2 ? 'M' : 'F';
        out->date_plausible = out->month >= 1 && out->month <= 12 && out->day >= 1 &&
                              out->day <= core_days_in_month(out->year, out->month);
    }
}

bool dlg_iin_extract(const char *text, char *out)
{
    size_t n = 0;
    for (const char *p = text; p && *p; p++) {
        if (*p >= '0' && *p <= '9') {
            if (n == 12) {
                return false;
            }
            out[n++] = *p;
        } else if (*p != ' ' && *p != '-' && *p != '.' && *p != '\t') {
            return false;
        }
    }
    out[n] = '\0';
    return n == 12;
}

static bool kz_mobile(const char *national10)
{
    /* 7(?:0[0-25-8]|47|6[0-4]|7[15-8]|85)\d{7} (libphonenumber KZ metadata). */
    const char *p = national10;
    if (p[0] != '7') {
        return false;
    }
    switch (p[1]) {
    case '0':
        return strchr("0125678", p[2]) != NULL;
    case '4':
        return p[2] == '7';
    case '6':
        return p[2] >= '0' && p[2] <= '4';
    case '7':
        return strchr("15678", p[2]) != NULL;
    case '8':
        return p[2] == '5';
    default:
        return false;
    }
}

static size_t collect_digits(const char *text, char *digits, size_t cap, bool *bad)
{
    size_t n = 0;
    *bad = false;
    for (const char *p = text; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            if (n + 1 >= cap) {
                *bad = true;
                return n;
            }
            digits[n++] = *p;
        } else if (!strchr(" -()+.\t", *p)) {
            *bad = true;
            return n;
        }
    }
    digits[n] = '\0';
    return n;
}

enum dlg_phone_verdict
dlg_phone_normalize(const char *text, bool require_mobile, char *out, size_t out_len)
{
    char digits[24];
    bool bad = false;
    if (!text || out_len < 13) {
        return DLG_PHONE_BAD_FORMAT;
    }
    size_t n = collect_digits(text, digits, sizeof digits, &bad);
    if (bad) {
        return DLG_PHONE_BAD_FORMAT;
    }
    const char *d = digits;
    if (n == 13 && d[0] == '0' && d[1] == '0' && d[2] == '7') {
        d += 2, n -= 2; /* 007... international prefix */
    }
    char national[11];
    if (n == 11 && (d[0] == '8' || d[0] == '7')) {
        memcpy(national, d + 1, 10);
    } else if (n == 10) {
        memcpy(national, d, 10);
    } else {
        return DLG_PHONE_BAD_FORMAT;
    }
    national[10] = '\0';
    if (national[0] != '7' && national[0] != '6' && national[0] != '0') {
        return DLG_PHONE_NOT_KZ;
    }
    if (require_mobile && !kz_mobile(national)) {
        return DLG_PHONE_NOT_MOBILE;
    }
    snprintf(out, out_len, "+7%s", national);
    return DLG_PHONE_OK;
}
