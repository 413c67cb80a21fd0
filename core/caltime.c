/* SPDX-License-Identifier: MIT
 * Civil-date arithmetic (days-from-civil after H. Hinnant's public-domain algorithm, written
 * from its description) and strict ISO 8601 parsing for the dev clock and timestamps. */
#include "caltime.h"

#include <stdio.h>
#include <string.h>

bool core_is_leap_year(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int core_days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12) {
        return 0;
    }
    return month == 2 && core_is_leap_year(year) ? 29 : days[month - 1];
}

int64_t core_days_from_civil(int year, int month, int day)
{
    int64_t y = year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int core_weekday(int year, int month, int day)
{
    int64_t days = core_days_from_civil(year, month, day);
    /* 1970-01-01 was a Thursday (index 3 when Monday is 0). */
    int64_t wd = (days + 3) % 7;
    return (int)(wd < 0 ? wd + 7 : wd);
}

static void civil_from_days(int64_t days, int *year, int *month, int *day)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)(yoe + era * 400 + (m <= 2));
    *month = (int)m;
    *day = (int)d;
}

void core_civil_from_unix(int64_t unix_s, int offset_s, struct core_civil *out)
{
    int64_t local = unix_s + offset_s;
    int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
    int64_t secs = local - days * 86400;
    civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(secs / 3600);
    out->minute = (int)(secs / 60 % 60);
    out->second = (int)(secs % 60);
}

int64_t core_unix_from_civil(const struct core_civil *civil, int offset_s)
{
    int64_t days = core_days_from_civil(civil->year, civil->month, civil->day);
    return days * 86400 + civil->hour * 3600 + civil->minute * 60 + civil->second - offset_s;
}

static int digits(const char *text, size_t count, int *value)
{
    int v = 0;
    for (size_t i = 0; i < count; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return CORE_EBADINPUT;
        }
        v = v * 10 + (text[i] - '0');
    }
    *value = v;
    return CORE_OK;
}

int core_offset_parse(const char *text, int *offset_s)
{
    if (!text) {
        return CORE_EBADINPUT;
    }
    if (strcmp(text, "Z") == 0 || strcmp(text, "z") == 0) {
        *offset_s = 0;
        return CORE_OK;
    }
    int hh = 0;
    int mm = 0;
    if (strlen(text) != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':' ||
        digits(text + 1, 2, &hh) != CORE_OK || digits(text + 4, 2, &mm) != CORE_OK || hh > 14 ||
        mm > 59) {
        return CORE_EBADINPUT;
    }
    int s = hh * 3600 + mm * 60;
    *offset_s = text[0] == '-' ? -s : s;
    return CORE_OK;
}

static int parse_date_time(const char *t, struct core_civil *c, const char **rest)
{
    if (strlen(t) < 16 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != ' ') ||
        t[13] != ':') {
        return CORE_EBADINPUT;
    }
    if (digits(t, 4, &c->year) || digits(t + 5, 2, &c->month) || digits(t + 8, 2, &c->day) ||
        digits(t + 11, 2, &c->hour) || digits(t + 14, 2, &c->minute)) {
        return CORE_EBADINPUT;
    }
    const char *p = t + 16;
    c->second = 0;
    if (*p == ':') {
        if (digits(p + 1, 2, &c->second)) {
            return CORE_EBADINPUT;
        }
        p += 3;
        if (*p == '.') {
            p++;
            const char *start = p;
            while (*p >= '0' && *p <= '9') {
                p++;
            }
            if (p == start) {
                return CORE_EBADINPUT;
            }
        }
    }
    *rest = p;
    return CORE_OK;
}

int core_iso8601_parse(const char *text, int64_t *unix_s)
{
    struct core_civil c;
    const char *rest = NULL;
    int offset = 0;
    if (!text || parse_date_time(text, &c, &rest) != CORE_OK) {
        return CORE_EBADINPUT;
    }
    if (c.year < 1900 || c.month < 1 || c.month > 12 || c.day < 1 ||
        c.day > core_days_in_month(c.year, c.month) || c.hour > 23 || c.minute > 59 ||
        c.second > 59) {
        return CORE_EBADINPUT;
    }
    if (core_offset_parse(rest, &offset) != CORE_OK) {
        return CORE_EBADINPUT;
    }
    *unix_s = core_unix_from_civil(&c, offset);
    return CORE_OK;
}

void core_iso8601_format(int64_t unix_s, int offset_s, char *out, size_t out_len)
{
    struct core_civil c;
    core_civil_from_unix(unix_s, offset_s, &c);
    int off = offset_s < 0 ? -offset_s : offset_s;
    snprintf(out, out_len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", c.year, c.month, c.day,
             c.hour, c.minute, c.second, offset_s < 0 ? '-' : '+', off / 3600, off / 60 % 60);
}

int core_month_parse(const char *text, int *month_index)
{
    int year = 0;
    int month = 0;
    if (!text || strlen(text) != 7 || text[4] != '-' || digits(text, 4, &year) ||
        digits(text + 5, 2, &month) || month < 1 || month > 12 || year < 1900) {
        return CORE_EBADINPUT;
    }
    *month_index = year * 12 + month - 1;
    return CORE_OK;
}

void core_month_format(int month_index, char *out, size_t out_len)
{
    snprintf(out, out_len, "%04d-%02d", month_index / 12, month_index % 12 + 1);
}
