/* SPDX-License-Identifier: MIT
 * The voucher rules of DESIGN.md §7: confirmation windows, timesheet and voucher standing,
 * day counts and quiet hours. Pure: `now` comes in as a parameter, no clock, no I/O. */
#include "dialogs/rules.h"

#include <string.h>

#include "core/caltime.h"

#define MAX_OFFSET_S (14 * 3600)
#define MIN_MONTH    (1900 * 12)
#define MAX_MONTH    (9998 * 12 + 11)

int dlg_rules_config_check(const struct dlg_config *cfg)
{
    if (!cfg || cfg->window_first_day < 1 || cfg->window_last_day < cfg->window_first_day ||
        cfg->window_last_day > 28 || cfg->utc_offset_s < -MAX_OFFSET_S ||
        cfg->utc_offset_s > MAX_OFFSET_S) {
        return CORE_EINVAL;
    }
    return 0;
}

/* Local midnight of day `day` of the month after month_index. */
static int64_t next_month_midnight(int month_index, int day, int offset_s)
{
    int next = month_index + 1;
    struct core_civil c = {next / 12, next % 12 + 1, day, 0, 0, 0};
    return core_unix_from_civil(&c, offset_s);
}

int dlg_rules_window(const struct dlg_config *cfg, int month_index, struct dlg_window *out)
{
    if (dlg_rules_config_check(cfg) != 0 || !out || month_index < MIN_MONTH ||
        month_index > MAX_MONTH) {
        return CORE_EINVAL;
    }
    out->opens_at = next_month_midnight(month_index, cfg->window_first_day, cfg->utc_offset_s);
    out->closes_at = next_month_midnight(month_index, cfg->window_last_day + 1, cfg->utc_offset_s);
    return 0;
}

enum dlg_phase dlg_rules_phase(const struct dlg_config *cfg, int month_index, int64_t now)
{
    struct dlg_window w;
    if (dlg_rules_window(cfg, month_index, &w) != 0) {
        return DLG_PHASE_CLOSED;
    }
    if (now < w.opens_at) {
        return DLG_PHASE_NOT_YET_OPEN;
    }
    return now < w.closes_at ? DLG_PHASE_OPEN : DLG_PHASE_CLOSED;
}

int dlg_rules_reporting_month(const struct dlg_config *cfg, int64_t now)
{
    struct core_civil c;
    core_civil_from_unix(now, cfg ? cfg->utc_offset_s : 0, &c);
    return c.year * 12 + (c.month - 1) - 1;
}

int dlg_rules_deadline_day(
    const struct dlg_config *cfg, int month_index, int *year, int *month, int *day)
{
    struct dlg_window w;
    if (!year || !month || !day || dlg_rules_window(cfg, month_index, &w) != 0) {
        return CORE_EINVAL;
    }
    *year = (month_index + 1) / 12;
    *month = (month_index + 1) % 12 + 1;
    *day = cfg->window_last_day;
    return 0;
}

/* ---- one timesheet ---- */

static bool status_ok(enum dlg_ts_status status)
{
    return status == DLG_TS_PENDING || status == DLG_TS_CONFIRMED || status == DLG_TS_DISPUTED;
}

/* Month index of a row, or CORE_EBADINPUT. The month field may lack a NUL: bounded read. */
static int row_month(const struct dlg_timesheet *ts, int *month_index)
{
    char month[sizeof(ts->month) + 1];
    memcpy(month, ts->month, sizeof(ts->month));
    month[sizeof(ts->month)] = '\0';
    if (core_month_parse(month, month_index) != 0 || !status_ok(ts->status) ||
        *month_index < MIN_MONTH || *month_index > MAX_MONTH) {
        return CORE_EBADINPUT;
    }
    return 0;
}

static enum dlg_ts_standing
standing_of(const struct dlg_config *cfg, enum dlg_ts_status status, int month_index, int64_t now)
{
    if (status == DLG_TS_CONFIRMED) {
        return DLG_TSS_CONFIRMED;
    }
    if (status == DLG_TS_DISPUTED) {
        return DLG_TSS_DISPUTED;
    }
    switch (dlg_rules_phase(cfg, month_index, now)) {
    case DLG_PHASE_NOT_YET_OPEN:
        return DLG_TSS_PENDING_NOT_YET;
    case DLG_PHASE_OPEN:
        return DLG_TSS_PENDING_OPEN;
    case DLG_PHASE_CLOSED:
        break;
    }
    return DLG_TSS_MISSED;
}

int dlg_rules_timesheet_standing(const struct dlg_config *cfg,
                                 const struct dlg_timesheet *ts,
                                 int64_t now,
                                 enum dlg_ts_standing *out)
{
    if (!ts || !out || dlg_rules_config_check(cfg) != 0) {
        return CORE_EINVAL;
    }
    int month_index = 0;
    if (row_month(ts, &month_index) != 0) {
        return CORE_EBADINPUT;
    }
    *out = standing_of(cfg, ts->status, month_index, now);
    return 0;
}

const char *dlg_ts_standing_name(enum dlg_ts_standing standing)
{
    switch (standing) {
    case DLG_TSS_CONFIRMED:
        return "confirmed";
    case DLG_TSS_DISPUTED:
        return "disputed";
    case DLG_TSS_PENDING_OPEN:
        return "pending_open";
    case DLG_TSS_PENDING_NOT_YET:
        return "pending_not_yet";
    case DLG_TSS_MISSED:
        return "missed";
    }
    return "unknown";
}

/* ---- a voucher ---- */

struct rows {
    const struct dlg_config *cfg;
    const struct dlg_timesheet *ts;
    size_t n;
    int64_t now;
};

/* The standing of month_index over all rows: a decided row wins over a pending duplicate.
 * Returns false when no row has that month. Rows were validated before. */
static bool month_standing(const struct rows *r, int month_index, enum dlg_ts_standing *out)
{
    bool found = false;
    for (size_t i = 0; i < r->n; i++) {
        int m = 0;
        if (row_month(&r->ts[i], &m) != 0 || m != month_index) {
            continue;
        }
        enum dlg_ts_standing s = standing_of(r->cfg, r->ts[i].status, m, r->now);
        if (!found || s == DLG_TSS_CONFIRMED || s == DLG_TSS_DISPUTED) {
            *out = s;
        }
        found = true;
        if (s == DLG_TSS_CONFIRMED || s == DLG_TSS_DISPUTED) {
            break;
        }
    }
    return found;
}

static bool month_missed(const struct rows *r, int month_index)
{
    enum dlg_ts_standing s = DLG_TSS_PENDING_NOT_YET;
    return month_standing(r, month_index, &s) && s == DLG_TSS_MISSED;
}

/* Inserts m into the ascending, capped list (no duplicates; the oldest months are kept). */
static void missed_insert(struct dlg_voucher_standing *out, int m)
{
    size_t at = 0;
    while (at < out->n_missed && out->missed[at] < m) {
        at++;
    }
    if ((at < out->n_missed && out->missed[at] == m) || at >= DLG_RULES_MISSED_MAX) {
        return;
    }
    size_t keep = out->n_missed < DLG_RULES_MISSED_MAX ? out->n_missed : DLG_RULES_MISSED_MAX - 1;
    memmove(&out->missed[at + 1], &out->missed[at], (keep - at) * sizeof(out->missed[0]));
    out->missed[at] = m;
    out->n_missed = keep + 1;
}

static void scan_missed(const struct rows *r, struct dlg_voucher_standing *out)
{
    for (size_t i = 0; i < r->n; i++) {
        int m = 0;
        if (row_month(&r->ts[i], &m) != 0 || !month_missed(r, m)) {
            continue;
        }
        missed_insert(out, m);
        if (month_missed(r, m + 1) && (out->cancelled_month < 0 || m + 1 < out->cancelled_month)) {
            out->cancelled_by_rule = true;
            out->cancelled_month = m + 1;
        }
    }
}

static void find_open_month(const struct rows *r, struct dlg_voucher_standing *out)
{
    int month = dlg_rules_reporting_month(r->cfg, r->now);
    if (dlg_rules_phase(r->cfg, month, r->now) != DLG_PHASE_OPEN) {
        return;
    }
    out->open_month = month;
    out->open_month_has_timesheet = month_standing(r, month, &out->open_standing);
}

int dlg_rules_voucher_standing(const struct dlg_config *cfg,
                               const struct dlg_voucher_input *in,
                               int64_t now,
                               struct dlg_voucher_standing *out)
{
    if (!in || !out || dlg_rules_config_check(cfg) != 0 ||
        (in->n_timesheets > 0 && !in->timesheets)) {
        return CORE_EINVAL;
    }
    for (size_t i = 0; i < in->n_timesheets; i++) {
        int m = 0;
        if (row_month(&in->timesheets[i], &m) != 0) {
            return CORE_EBADINPUT;
        }
    }
    struct rows r = {cfg, in->timesheets, in->n_timesheets, now};
    memset(out, 0, sizeof(*out));
    out->cancelled_month = -1;
    out->open_month = -1;
    out->open_standing = DLG_TSS_PENDING_NOT_YET;
    out->cancelled_by_registry = in->registry_cancelled;
    scan_missed(&r, out);
    find_open_month(&r, out);
    if (out->cancelled_by_registry || out->cancelled_by_rule) {
        out->state = DLG_VOUCHER_CANCELLED;
    } else if (out->open_month >= 0 && out->open_month_has_timesheet &&
               out->open_standing == DLG_TSS_PENDING_OPEN &&
               month_missed(&r, out->open_month - 1)) {
        out->state = DLG_VOUCHER_AT_RISK;
    } else {
        out->state = DLG_VOUCHER_ACTIVE;
    }
    return 0;
}

const char *dlg_voucher_state_name(enum dlg_voucher_state state)
{
    switch (state) {
    case DLG_VOUCHER_ACTIVE:
        return "active";
    case DLG_VOUCHER_AT_RISK:
        return "at_risk";
    case DLG_VOUCHER_CANCELLED:
        return "cancelled";
    }
    return "unknown";
}

/* ---- day counts ---- */

int dlg_rules_day_counts(int month_index, const char *days, struct dlg_day_counts *out)
{
    if (!days || !out) {
        return CORE_EINVAL;
    }
    if (month_index < MIN_MONTH || month_index > MAX_MONTH) {
        return CORE_EBADINPUT;
    }
    size_t expected = (size_t)core_days_in_month(month_index / 12, month_index % 12 + 1);
    if (strnlen(days, expected + 1) != expected) {
        return CORE_EBADINPUT;
    }
    struct dlg_day_counts c = {0, 0, 0, 0};
    for (size_t i = 0; i < expected; i++) {
        switch (days[i]) {
        case 'P':
            c.present++;
            break;
        case 'A':
            c.absent++;
            break;
        case 'S':
            c.excused++;
            break;
        case '-':
            c.non_working++;
            break;
        default:
            return CORE_EBADINPUT;
        }
    }
    *out = c;
    return 0;
}

/* ---- quiet hours ---- */

static bool quiet_valid(const struct dlg_quiet_hours *q)
{
    return q && q->start_min >= 0 && q->start_min < 1440 && q->end_min >= 0 && q->end_min < 1440 &&
           q->start_min != q->end_min;
}

/* Seconds since local midnight at now. */
static int64_t local_second_of_day(int utc_offset_s, int64_t now)
{
    int64_t s = (now + utc_offset_s) % 86400;
    return s < 0 ? s + 86400 : s;
}

bool dlg_rules_is_quiet(const struct dlg_quiet_hours *quiet, int utc_offset_s, int64_t now)
{
    if (!quiet_valid(quiet)) {
        return false;
    }
    int64_t minute = local_second_of_day(utc_offset_s, now) / 60;
    if (quiet->start_min < quiet->end_min) {
        return minute >= quiet->start_min && minute < quiet->end_min;
    }
    return minute >= quiet->start_min || minute < quiet->end_min;
}

int64_t dlg_rules_quiet_until(const struct dlg_quiet_hours *quiet, int utc_offset_s, int64_t now)
{
    if (!dlg_rules_is_quiet(quiet, utc_offset_s, now)) {
        return now;
    }
    int64_t delta = (int64_t)quiet->end_min * 60 - local_second_of_day(utc_offset_s, now);
    if (delta <= 0) {
        delta += 86400;
    }
    return now + delta;
}
