/* SPDX-License-Identifier: MIT
 * The voucher rules (DESIGN.md §7, Order No. 372 para. 49 sub. 24): the confirmation window of
 * a reporting month, the standing of a timesheet and of a voucher, day counts of a timesheet,
 * and quiet hours. This is the ONE place these rules live: dialogs, reminders and the portal
 * API all ask here.
 *
 * Pure: `now` is always a parameter (unix seconds), local time is UTC + cfg->utc_offset_s
 * (pinned, no DST). A reporting month is a month index as core_month_parse gives it:
 * year * 12 + (month - 1). Nothing here allocates; inputs are borrowed for the call. */
#ifndef DIALOGS_RULES_H
#define DIALOGS_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "dialogs/dialog.h"

/* ---- the window ---- */

/** The confirmation window of a reporting month M, half-open [opens_at, closes_at):
 * from day cfg->window_first_day of M+1 at 00:00 local to day cfg->window_last_day + 1 of M+1 at
 * 00:00 local (December's window is in January of the next year). */
struct dlg_window {
    int64_t opens_at;  /* unix seconds, inclusive */
    int64_t closes_at; /* unix seconds, exclusive */
};

/**
 * Computes the window of month_index.
 * @return 0; CORE_EINVAL when cfg is NULL or invalid (see dlg_rules_config_check) or the month
 *         is outside years 1900..9998.
 */
CORE_NODISCARD int
dlg_rules_window(const struct dlg_config *cfg, int month_index, struct dlg_window *out);

/** 0 when the window settings are usable: 1 <= window_first_day <= window_last_day <= 28 and
 * |utc_offset_s| <= 14 h; CORE_EINVAL otherwise. */
CORE_NODISCARD int dlg_rules_config_check(const struct dlg_config *cfg);

enum dlg_phase {
    DLG_PHASE_NOT_YET_OPEN = 0,
    DLG_PHASE_OPEN = 1,
    DLG_PHASE_CLOSED = 2,
};

/** Phase of month_index's window at now. An invalid cfg or month counts as CLOSED. */
enum dlg_phase dlg_rules_phase(const struct dlg_config *cfg, int month_index, int64_t now);

/** The reporting month whose window a parent would think of at now: the local month before
 * now's local month (on 2026-12-03 that is 2026-11, whether or not its window is open yet). */
int dlg_rules_reporting_month(const struct dlg_config *cfg, int64_t now);

/** The last local calendar day on which month_index can be confirmed (for "until 10 December"):
 * *year, *month, *day of M+1's day window_last_day. CORE_EINVAL as dlg_rules_window. */
CORE_NODISCARD int dlg_rules_deadline_day(
    const struct dlg_config *cfg, int month_index, int *year, int *month, int *day);

/* ---- standing of one timesheet ---- */

enum dlg_ts_standing {
    DLG_TSS_CONFIRMED = 0,
    DLG_TSS_DISPUTED = 1,        /* refused with reasons: not missed */
    DLG_TSS_PENDING_OPEN = 2,    /* pending and the window is open: can confirm now */
    DLG_TSS_PENDING_NOT_YET = 3, /* pending, the window has not opened yet */
    DLG_TSS_MISSED = 4,          /* the window closed while pending */
};

/**
 * Standing of one timesheet at now. The status decides for CONFIRMED and DISPUTED; a pending
 * row is placed by the window's phase.
 * @return 0; CORE_EBADINPUT when ts->month is not "YYYY-MM" or status is unknown; CORE_EINVAL
 *         for NULL arguments or an invalid cfg.
 */
CORE_NODISCARD int dlg_rules_timesheet_standing(const struct dlg_config *cfg,
                                                const struct dlg_timesheet *ts,
                                                int64_t now,
                                                enum dlg_ts_standing *out);

/** "confirmed", "disputed", "pending_open", "pending_not_yet", "missed". */
const char *dlg_ts_standing_name(enum dlg_ts_standing standing);

/* ---- standing of a voucher ---- */

enum dlg_voucher_state {
    DLG_VOUCHER_ACTIVE = 0,
    DLG_VOUCHER_AT_RISK = 1,   /* previous month MISSED, current month's window OPEN, pending */
    DLG_VOUCHER_CANCELLED = 2, /* registry says so, or two consecutive months MISSED */
};

/** What the voucher-standing rule reads. */
struct dlg_voucher_input {
    bool registry_cancelled;                /* the registry's own cancelled flag */
    const struct dlg_timesheet *timesheets; /* any order; borrowed; may be NULL when n is 0 */
    size_t n_timesheets;
};

/** Bound on missed months reported. */
#define DLG_RULES_MISSED_MAX 24

struct dlg_voucher_standing {
    enum dlg_voucher_state state;
    bool cancelled_by_registry; /* CANCELLED because the registry says so */
    bool cancelled_by_rule;     /* two consecutive months MISSED (both may be true) */
    int cancelled_month;        /* by rule: the second missed month of the first such pair, or -1 */
    int missed[DLG_RULES_MISSED_MAX];   /* month indexes MISSED, ascending */
    size_t n_missed;                    /* capped at DLG_RULES_MISSED_MAX (oldest kept) */
    int open_month;                     /* the month whose window is OPEN at now, or -1 */
    bool open_month_has_timesheet;      /* a row exists for open_month */
    enum dlg_ts_standing open_standing; /* its standing when it has a row */
};

/**
 * The voucher's standing at now from its timesheets (DESIGN.md §7):
 * - CANCELLED when the registry says so, or when two consecutive months (M and M+1) are both
 *   MISSED. Cancellation by rule is final: later months do not undo it.
 * - A DISPUTED month breaks a streak of misses. A month with NO timesheet row also breaks it:
 *   there was nothing the parent could confirm, so it is not counted as missed.
 * - AT_RISK when the month before the open month was MISSED and the open month's window is
 *   OPEN at now and its timesheet is still pending (a missing row is not "pending").
 * - ACTIVE otherwise.
 * Duplicate rows for one month: the decided one (confirmed/disputed) wins.
 * @return 0; CORE_EBADINPUT when a row's month or status is malformed (out untouched);
 *         CORE_EINVAL for NULL arguments or an invalid cfg.
 */
CORE_NODISCARD int dlg_rules_voucher_standing(const struct dlg_config *cfg,
                                              const struct dlg_voucher_input *in,
                                              int64_t now,
                                              struct dlg_voucher_standing *out);

/** "active", "at_risk", "cancelled". */
const char *dlg_voucher_state_name(enum dlg_voucher_state state);

/* ---- day counts ---- */

struct dlg_day_counts {
    int present;     /* 'P' */
    int absent;      /* 'A' */
    int excused;     /* 'S' absent with an excuse (sick) */
    int non_working; /* '-' */
};

/**
 * Counts the marks of a days string for month_index and validates it: its length must equal
 * the number of days in that month and it may hold only 'P', 'A', 'S', '-'.
 * @return 0 and *out; CORE_EBADINPUT when invalid (out untouched); CORE_EINVAL for NULL.
 */
CORE_NODISCARD int
dlg_rules_day_counts(int month_index, const char *days, struct dlg_day_counts *out);

/* ---- quiet hours ---- */

/** Quiet hours as minutes after local midnight, [start, end); start > end wraps midnight
 * (21:00-09:00 is {1260, 540}); start == end means no quiet hours. */
struct dlg_quiet_hours {
    int start_min; /* 0..1439 */
    int end_min;   /* 0..1439 */
};

/** True when local time at now (UTC + utc_offset_s) falls in the quiet hours. Out-of-range
 * minutes count as no quiet hours. */
bool dlg_rules_is_quiet(const struct dlg_quiet_hours *quiet, int utc_offset_s, int64_t now);

/** The first moment >= now that is not quiet (now itself when not quiet). */
int64_t dlg_rules_quiet_until(const struct dlg_quiet_hours *quiet, int utc_offset_s, int64_t now);

#endif
