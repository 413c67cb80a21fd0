/* SPDX-License-Identifier: MIT
 * Benchmark data: writes a valid tabelbot-registry/1 document with N parents to stdout, each
 * with one child, one voucher and three timesheets (2026-09 confirmed, 2026-10 pending or
 * disputed, 2026-11 pending). IINs are unique with real check digits (dlg_iin_check_digit),
 * phones unique Kazakh mobiles. Every person is invented.
 * Build: cc -O2 -I. bench/import/gen_registry.c dialogs/validate.c core/caltime.c -o gen
 * Usage: gen N > registry.json */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/caltime.h"
#include "dialogs/validate.h"

static const char *const surnames[] = {"Нұрланова", "Ковалёва", "Жақсыбекова", "Бекова",
                                       "Ким",       "Сейтқали", "Омарова",     "Иванова"};
static const char *const given[] = {"Айгерім", "Дана", "Гүлнар", "Ольга", "Әсел", "Мария"};
static const char *const kids[] = {"Әлихан", "Аяла", "Мирон", "Томирис", "Нұрсұлтан", "Алиса"};

/* The n-th valid IIN of women born in the 1900s, from 1975-01-01 on: 10000 serials a day. */
static void next_iin(long *cursor, char out[13])
{
    for (;;) {
        long c = (*cursor)++;
        int64_t day = core_days_from_civil(1975, 1, 1) + c / 10000;
        struct core_civil civil;
        core_civil_from_unix(day * 86400, 0, &civil);
        char first11[32];
        snprintf(first11, sizeof first11, "%02d%02d%02d4%04ld", civil.year % 100, civil.month,
                 civil.day, c % 10000);
        memcpy(out, first11, 11);
        int check = dlg_iin_check_digit(out);
        if (check >= 0) {
            out[11] = (char)('0' + check);
            out[12] = '\0';
            return;
        }
    }
}

static void days_string(int year, int month, long seed, char *out)
{
    int n = core_days_in_month(year, month);
    for (int d = 1; d <= n; d++) {
        int wd = core_weekday(year, month, d);
        char mark = wd >= 5 ? '-' : 'P';
        if (mark == 'P' && (seed + d) % 17 == 0) {
            mark = (seed + d) % 2 ? 'A' : 'S';
        }
        out[d - 1] = mark;
    }
    out[n] = '\0';
}

static void kindergartens(long count)
{
    printf("  \"kindergartens\": [\n");
    for (long k = 0; k < count; k++) {
        printf("    {\"id\": \"kg-%05ld\", \"city\": \"Алматы\", \"name\": {\"kk\": \"№%ld "
               "балабақша\", \"ru\": \"Детский сад №%ld\"}}%s\n",
               k, k, k, k + 1 < count ? "," : "");
    }
    printf("  ],\n");
}

static void parents(long n)
{
    long cursor = 0;
    char iin[13];
    printf("  \"parents\": [\n");
    for (long i = 0; i < n; i++) {
        next_iin(&cursor, iin);
        printf("    {\"iin\": \"%s\", \"phone\": \"+77%02ld%07ld\", \"surname\": \"%s\", "
               "\"given_name\": \"%s\", \"patronymic\": \"Серікқызы\", \"gender\": \"F\", "
               "\"birth_date\": \"19%.2s-%.2s-%.2s\", \"language\": \"%s\"}%s\n",
               iin, 1 + i / 10000000, i % 10000000, surnames[i % 8], given[i % 6], iin, iin + 2,
               iin + 4, i % 3 ? "kk" : "ru", i + 1 < n ? "," : "");
    }
    printf("  ],\n");
}

static void children(long n, long kg)
{
    long cursor = 0;
    char iin[13];
    printf("  \"children\": [\n");
    for (long i = 0; i < n; i++) {
        next_iin(&cursor, iin);
        printf("    {\"id\": \"ch-%08ld\", \"parent_iin\": \"%s\", \"given_name\": \"%s\", "
               "\"surname\": \"%s\", \"gender\": \"%s\", \"birth_date\": \"2021-%02ld-%02ld\", "
               "\"kindergarten_id\": \"kg-%05ld\", \"voucher\": {\"number\": \"V-%08ld-2025\", "
               "\"status\": \"%s\"}}%s\n",
               i, iin, kids[i % 6], surnames[i % 8], i % 2 ? "M" : "F", 1 + i % 12, 1 + i % 28,
               i % kg, i, i % 97 ? "active" : "cancelled", i + 1 < n ? "," : "");
    }
    printf("  ],\n");
}

static void timesheets(long n)
{
    char sep[32], oct[32], nov[32];
    printf("  \"timesheets\": [\n");
    for (long i = 0; i < n; i++) {
        days_string(2026, 9, i, sep);
        days_string(2026, 10, i, oct);
        days_string(2026, 11, i, nov);
        printf("    {\"child_id\": \"ch-%08ld\", \"month\": \"2026-09\", \"days\": \"%s\", "
               "\"status\": \"confirmed\", \"decided_at\": \"2026-10-0%ldT10:00:00+05:00\"},\n",
               i, sep, 1 + i % 9);
        if (i % 50 == 0) {
            printf("    {\"child_id\": \"ch-%08ld\", \"month\": \"2026-10\", \"days\": \"%s\", "
                   "\"status\": \"disputed\", \"decided_at\": \"2026-11-05T12:00:00+05:00\", "
                   "\"dispute_reason\": \"Бала ауырды\"},\n",
                   i, oct);
        } else {
            printf("    {\"child_id\": \"ch-%08ld\", \"month\": \"2026-10\", \"days\": \"%s\", "
                   "\"status\": \"pending\"},\n",
                   i, oct);
        }
        printf("    {\"child_id\": \"ch-%08ld\", \"month\": \"2026-11\", \"days\": \"%s\", "
               "\"status\": \"pending\"}%s\n",
               i, nov, i + 1 < n ? "," : "");
    }
    printf("  ]\n");
}

int main(int argc, char **argv)
{
    char *end = NULL;
    long n = argc == 2 ? strtol(argv[1], &end, 10) : 0;
    if (argc != 2 || !end || *end || n < 1 || n > 90000000) {
        fprintf(stderr, "usage: gen_registry N   (1 <= N <= 90000000) > registry.json\n");
        return 2;
    }
    long kg = n / 200 > 0 ? n / 200 : 1;
    printf("{\n  \"format\": \"tabelbot-registry/1\",\n"
           "  \"note\": \"Synthetic benchmark data: every person and number is invented.\",\n");
    kindergartens(kg);
    parents(n);
    children(n, kg);
    timesheets(n);
    printf("}\n");
    return fflush(stdout) == 0 ? 0 : 1;
}
