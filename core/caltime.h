/* SPDX-License-Identifier: MIT
 * Calendar arithmetic with a pinned UTC offset (Kazakhstan: +05:00, no DST, DESIGN.md §7).
 * Pure functions: nothing here reads the clock; "now" is always a parameter. Proleptic
 * Gregorian, years 1900..9999. */
#ifndef CORE_CALTIME_H
#define CORE_CALTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct core_civil {
    int year;
    int month; /* 1..12 */
    int day;   /* 1..31 */
    int hour;
    int minute;
    int second;
};

bool core_is_leap_year(int year);
int core_days_in_month(int year, int month);
/** 0 = Monday .. 6 = Sunday. */
int core_weekday(int year, int month, int day);
/** Days since 1970-01-01 for a civil date (may be negative). */
int64_t core_days_from_civil(int year, int month, int day);

/** Unix seconds -> local civil time at offset_s seconds east of UTC. */
void core_civil_from_unix(int64_t unix_s, int offset_s, struct core_civil *out);
/** Local civil time at offset_s -> unix seconds. Fields must be in range. */
int64_t core_unix_from_civil(const struct core_civil *civil, int offset_s);

/** Parses "+05:00", "-03:30", "Z" into seconds east of UTC. */
CORE_NODISCARD int core_offset_parse(const char *text, int *offset_s);
/** Parses ISO 8601 "YYYY-MM-DDTHH:MM[:SS][.fff](Z|±HH:MM)" into unix seconds.
 * An offset is required: a time without one is CORE_EBADINPUT. */
CORE_NODISCARD int core_iso8601_parse(const char *text, int64_t *unix_s);
/** Formats unix seconds as "YYYY-MM-DDTHH:MM:SS+05:00" at the given offset; out >= 26 bytes. */
void core_iso8601_format(int64_t unix_s, int offset_s, char *out, size_t out_len);

/** A reporting month "YYYY-MM" as a number year*12 + (month-1); parse rejects anything else. */
CORE_NODISCARD int core_month_parse(const char *text, int *month_index);
void core_month_format(int month_index, char *out, size_t out_len); /* out >= 8 bytes */

#endif
