/* SPDX-License-Identifier: MIT
 * Unit tests of dialogs/rules (DESIGN.md §7): window edges at +05:00, December -> January,
 * leap February, timesheet and voucher standings (the demo registry of
 * tests/fixtures/registry-demo.json at the two "now"s of the brief, plus streak breakers), day
 * counts and quiet hours. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/caltime.h"
#include "dialogs/rules.h"
#include "support/lang_files.h"

static struct dlg_config cfg_kz(void)
{
    struct dlg_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.utc_offset_s = 5 * 3600;
    cfg.window_first_day = 1;
    cfg.window_last_day = 10;
    return cfg;
}

static int64_t at(const char *iso)
{
    int64_t t = 0;
    if (core_iso8601_parse(iso, &t) != 0) {
        print_error("bad time in test: %s\n", iso);
        fail();
    }
    return t;
}

static int month(const char *text)
{
    int m = 0;
    if (core_month_parse(text, &m) != 0) {
        print_error("bad month in test: %s\n", text);
        fail();
    }
    return m;
}

/* ---- windows ---- */

struct phase_case {
    const char *month;
    const char *now;
    enum dlg_phase phase;
};

static void test_window_edges_at_plus_five(void **state)
{
    (void)state;
    struct dlg_config cfg = cfg_kz();
    static const struct phase_case cases[] = {
        {"2026-11", "2026-11-30T23:59:59+05:00", DLG_PHASE_NOT_YET_OPEN},
        {"2026-11", "2026-12-01T00:00:00+05:00", DLG_PHASE_OPEN},
        {"2026-11", "2026-11-30T19:00:00Z", DLG_PHASE_OPEN}, /* the same instant in UTC */
        {"2026-11", "2026-11-30T18:59:59Z", DLG_PHASE_NOT_YET_OPEN},
        {"2026-11", "2026-12-10T23:59:59+05:00", DLG_PHASE_OPEN},
        {"2026-11", "2026-12-11T00:00:00+05:00", DLG_PHASE_CLOSED},
        {"2026-11", "2026-12-10T19:00:00Z", DLG_PHASE_CLOSED},
        {"2026-11", "2026-12-10T18:59:59Z", DLG_PHASE_OPEN},
        {"2026-11", "2026-11-15T12:00:00+05:00", DLG_PHASE_NOT_YET_OPEN},
        {"2026-12", "2026-12-31T23:59:59+05:00", DLG_PHASE_NOT_YET_OPEN},
        {"2026-12", "2027-01-01T00:00:00+05:00", DLG_PHASE_OPEN},
        {"2026-12", "2027-01-10T23:59:59+05:00", DLG_PHASE_OPEN},
        {"2026-12", "2027-01-11T00:00:00+05:00", DLG_PHASE_CLOSED},
        {"2028-01", "2028-02-10T23:59:59+05:00", DLG_PHASE_OPEN},
        {"2028-02", "2028-02-29T23:59:59+05:00", DLG_PHASE_NOT_YET_OPEN}, /* leap day */
        {"2028-02", "2028-03-01T00:00:00+05:00", DLG_PHASE_OPEN},
        {"2026-02", "2026-03-01T00:00:00+05:00", DLG_PHASE_OPEN},
        {"2026-02", "2026-02-28T23:59:59+05:00", DLG_PHASE_NOT_YET_OPEN},
        {"2026-10", "2026-12-03T10:00:00+05:00", DLG_PHASE_CLOSED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum dlg_phase got = dlg_rules_phase(&cfg, month(cases[i].month), at(cases[i].now));
        if (got != cases[i].phase) {
            print_error("%s at %s: phase %d, want %d\n", cases[i].month, cases[i].now, got,
                        cases[i].phase);
            fail();
        }
    }
    /* domain.md §3: January 2026 is open from 2026-01-31T19:00Z until 2026-02-10T19:00Z. */
    struct dlg_window w;
    assert_int_equal(dlg_rules_window(&cfg, month("2026-01"), &w), 0);
    assert_int_equal(w.opens_at, at("2026-01-31T19:00:00Z"));
    assert_int_equal(w.closes_at, at("2026-02-10T19:00:00Z"));
    assert_int_equal(dlg_rules_window(&cfg, month("2026-12"), &w), 0);
    assert_int_equal(w.opens_at, at("2027-01-01T00:00:00+05:00"));
    assert_int_equal(w.closes_at, at("2027-01-11T00:00:00+05:00"));
}

static void test_window_configurable_and_validated(void **state)
{
    (void)state;
    struct dlg_config cfg = cfg_kz();
    cfg.window_first_day = 3;
    cfg.window_last_day = 7;
    cfg.utc_offset_s = 0;
    struct dlg_window w;
    assert_int_equal(dlg_rules_window(&cfg, month("2026-11"), &w), 0);
    assert_int_equal(w.opens_at, at("2026-12-03T00:00:00Z"));
    assert_int_equal(w.closes_at, at("2026-12-08T00:00:00Z"));
    int y = 0;
    int m = 0;
    int d = 0;
    assert_int_equal(dlg_rules_deadline_day(&cfg, month("2026-12"), &y, &m, &d), 0);
    assert_int_equal(y, 2027);
    assert_int_equal(m, 1);
    assert_int_equal(d, 7);

    static const int bad[][3] = {
        {0, 10, 0}, {5, 4, 0}, {1, 29, 0}, {1, 10, 15 * 3600}, {1, 10, -15 * 3600}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct dlg_config b = cfg_kz();
        b.window_first_day = bad[i][0];
        b.window_last_day = bad[i][1];
        b.utc_offset_s = bad[i][2];
        assert_int_equal(dlg_rules_config_check(&b), CORE_EINVAL);
        assert_int_equal(dlg_rules_window(&b, month("2026-11"), &w), CORE_EINVAL);
        assert_int_equal(dlg_rules_phase(&b, month("2026-11"), 0), DLG_PHASE_CLOSED);
    }
    struct dlg_config good = cfg_kz();
    assert_int_equal(dlg_rules_config_check(&good), 0);
    assert_int_equal(dlg_rules_config_check(NULL), CORE_EINVAL);
    assert_int_equal(dlg_rules_window(&good, 1899 * 12, &w), CORE_EINVAL);
    assert_int_equal(dlg_rules_window(&good, month("2026-11"), NULL), CORE_EINVAL);
}

static void test_reporting_month_and_deadline(void **state)
{
    (void)state;
    struct dlg_config cfg = cfg_kz();
    assert_int_equal(dlg_rules_reporting_month(&cfg, at("2026-12-03T10:00:00+05:00")),
                     month("2026-11"));
    /* Local New Year while UTC is still 31 December: the local calendar decides. */
    assert_int_equal(dlg_rules_reporting_month(&cfg, at("2027-01-01T00:00:00+05:00")),
                     month("2026-12"));
    assert_int_equal(dlg_rules_reporting_month(&cfg, at("2026-12-31T23:59:59+05:00")),
                     month("2026-11"));
    int y = 0;
    int m = 0;
    int d = 0;
    assert_int_equal(dlg_rules_deadline_day(&cfg, month("2026-11"), &y, &m, &d), 0);
    assert_true(y == 2026 && m == 12 && d == 10);
    assert_int_equal(dlg_rules_deadline_day(&cfg, month("2026-12"), &y, &m, &d), 0);
    assert_true(y == 2027 && m == 1 && d == 10);
    assert_int_equal(dlg_rules_deadline_day(&cfg, month("2026-12"), NULL, &m, &d), CORE_EINVAL);
}

/* ---- one timesheet ---- */

static struct dlg_timesheet sheet(const char *m, enum dlg_ts_status status)
{
    struct dlg_timesheet ts;
    memset(&ts, 0, sizeof(ts));
    snprintf(ts.month, sizeof(ts.month), "%s", m);
    ts.status = status;
    return ts;
}

struct ts_case {
    const char *month;
    enum dlg_ts_status status;
    const char *now;
    enum dlg_ts_standing standing;
};

static void test_timesheet_standing(void **state)
{
    (void)state;
    struct dlg_config cfg = cfg_kz();
    static const struct ts_case cases[] = {
        {"2026-11", DLG_TS_PENDING, "2026-11-30T23:59:59+05:00", DLG_TSS_PENDING_NOT_YET},
        {"2026-11", DLG_TS_PENDING, "2026-12-01T00:00:00+05:00", DLG_TSS_PENDING_OPEN},
        {"2026-11", DLG_TS_PENDING, "2026-12-10T23:59:59+05:00", DLG_TSS_PENDING_OPEN},
        {"2026-11", DLG_TS_PENDING, "2026-12-11T00:00:00+05:00", DLG_TSS_MISSED},
        {"2026-11", DLG_TS_CONFIRMED, "2026-12-11T00:00:00+05:00", DLG_TSS_CONFIRMED},
        {"2026-11", DLG_TS_DISPUTED, "2027-06-01T00:00:00+05:00", DLG_TSS_DISPUTED},
        {"2026-11", DLG_TS_CONFIRMED, "2026-11-05T00:00:00+05:00", DLG_TSS_CONFIRMED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct dlg_timesheet ts = sheet(cases[i].month, cases[i].status);
        enum dlg_ts_standing got = DLG_TSS_CONFIRMED;
        assert_int_equal(dlg_rules_timesheet_standing(&cfg, &ts, at(cases[i].now), &got), 0);
        if (got != cases[i].standing) {
            print_error("%s/%d at %s: %s\n", cases[i].month, cases[i].status, cases[i].now,
                        dlg_ts_standing_name(got));
            fail();
        }
    }
    enum dlg_ts_standing got = DLG_TSS_CONFIRMED;
    struct dlg_timesheet bad = sheet("2026-13", DLG_TS_PENDING);
    assert_int_equal(dlg_rules_timesheet_standing(&cfg, &bad, 0, &got), CORE_EBADINPUT);
    bad = sheet("26-11", DLG_TS_PENDING);
    assert_int_equal(dlg_rules_timesheet_standing(&cfg, &bad, 0, &got), CORE_EBADINPUT);
    bad = sheet("2026-11", (enum dlg_ts_status)7);
    assert_int_equal(dlg_rules_timesheet_standing(&cfg, &bad, 0, &got), CORE_EBADINPUT);
    memset(bad.month, 'x', sizeof(bad.month)); /* no NUL at all */
    assert_int_equal(dlg_rules_timesheet_standing(&cfg, &bad, 0, &got), CORE_EBADINPUT);
    assert_int_equal(dlg_rules_timesheet_standing(&cfg, NULL, 0, &got), CORE_EINVAL);
    assert_string_equal(dlg_ts_standing_name(DLG_TSS_MISSED), "missed");
    assert_string_equal(dlg_ts_standing_name(DLG_TSS_PENDING_OPEN), "pending_open");
}

/* ---- the demo registry ---- */

#define DEMO_MAX_ROWS 8

struct demo_child {
    char id[16];
    bool cancelled;
    struct dlg_timesheet rows[DEMO_MAX_ROWS];
    size_t n;
};

static struct demo_child g_demo[8];
static size_t g_demo_n;

static enum dlg_ts_status status_of(const char *s)
{
    if (strcmp(s, "confirmed") == 0) {
        return DLG_TS_CONFIRMED;
    }
    return strcmp(s, "disputed") == 0 ? DLG_TS_DISPUTED : DLG_TS_PENDING;
}

static struct demo_child *demo_child(const char *id)
{
    for (size_t i = 0; i < g_demo_n; i++) {
        if (strcmp(g_demo[i].id, id) == 0) {
            return &g_demo[i];
        }
    }
    return NULL;
}

static void load_children(const cJSON *root)
{
    const cJSON *child = NULL;
    cJSON_ArrayForEach(child, cJSON_GetObjectItemCaseSensitive(root, "children")) {
        assert_true(g_demo_n < 8);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(child, "id");
        const cJSON *voucher = cJSON_GetObjectItemCaseSensitive(child, "voucher");
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(voucher, "status");
        assert_true(cJSON_IsString(id) && cJSON_IsString(status));
        struct demo_child *c = &g_demo[g_demo_n++];
        snprintf(c->id, sizeof(c->id), "%s", id->valuestring);
        c->cancelled = strcmp(status->valuestring, "cancelled") == 0;
    }
}

static void load_timesheets(const cJSON *root)
{
    const cJSON *row = NULL;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(root, "timesheets")) {
        const cJSON *child_id = cJSON_GetObjectItemCaseSensitive(row, "child_id");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(row, "month");
        const cJSON *days = cJSON_GetObjectItemCaseSensitive(row, "days");
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(row, "status");
        assert_true(cJSON_IsString(child_id) && cJSON_IsString(m) && cJSON_IsString(days) &&
                    cJSON_IsString(status));
        struct demo_child *c = demo_child(child_id->valuestring);
        assert_non_null(c);
        assert_true(c->n < DEMO_MAX_ROWS);
        struct dlg_timesheet *ts = &c->rows[c->n++];
        *ts = sheet(m->valuestring, status_of(status->valuestring));
        snprintf(ts->days, sizeof(ts->days), "%s", days->valuestring);
    }
}

static int load_demo(void **state)
{
    (void)state;
    size_t len = 0;
    char *json = tb_read_source_file("tests/fixtures/registry-demo.json", &len);
    if (!json) {
        print_error("cannot read tests/fixtures/registry-demo.json\n");
        return -1;
    }
    cJSON *root = cJSON_ParseWithLength(json, len);
    free(json);
    if (!root) {
        return -1;
    }
    g_demo_n = 0;
    load_children(root);
    load_timesheets(root);
    cJSON_Delete(root);
    return 0;
}

static struct dlg_voucher_standing standing_of(const struct demo_child *c, const char *now)
{
    struct dlg_config cfg = cfg_kz();
    struct dlg_voucher_input in = {c->cancelled, c->rows, c->n};
    struct dlg_voucher_standing out;
    assert_int_equal(dlg_rules_voucher_standing(&cfg, &in, at(now), &out), 0);
    return out;
}

struct demo_case {
    const char *child; /* whose: */
    const char *now;
    enum dlg_voucher_state state;
    const char *missed; /* comma-separated months, "" for none */
    const char *open_month;
    bool open_has_row;
    enum dlg_ts_standing open_standing;
    const char *cancelled_month;
};

static void missed_text(const struct dlg_voucher_standing *s, char *out, size_t len)
{
    out[0] = '\0';
    for (size_t i = 0; i < s->n_missed; i++) {
        char m[8];
        core_month_format(s->missed[i], m, sizeof(m));
        size_t used = strlen(out);
        snprintf(out + used, len - used, "%s%s", i ? "," : "", m);
    }
}

static void test_demo_registry_standings(void **state)
{
    (void)state;
    static const char *const t1 = "2026-12-03T10:00:00+05:00";
    static const char *const t2 = "2026-12-11T00:00:00+05:00";
    static const struct demo_case cases[] = {
        /* Айгерім: two children, October confirmed, November pending and open. */
        {"ch-0001", t1, DLG_VOUCHER_ACTIVE, "", "2026-11", true, DLG_TSS_PENDING_OPEN, NULL},
        {"ch-0002", t1, DLG_VOUCHER_ACTIVE, "", "2026-11", true, DLG_TSS_PENDING_OPEN, NULL},
        /* Дмитрий: October missed, November open and pending. */
        {"ch-0003", t1, DLG_VOUCHER_AT_RISK, "2026-10", "2026-11", true, DLG_TSS_PENDING_OPEN,
         NULL},
        /* Ерлан: October disputed is not missed. */
        {"ch-0004", t1, DLG_VOUCHER_ACTIVE, "", "2026-11", true, DLG_TSS_PENDING_OPEN, NULL},
        /* Гүлнар. */
        {"ch-0005", t1, DLG_VOUCHER_ACTIVE, "", "2026-11", true, DLG_TSS_PENDING_OPEN, NULL},
        /* Ольга: cancelled in the registry, and by the rule (September and October missed). */
        {"ch-0006", t1, DLG_VOUCHER_CANCELLED, "2026-09,2026-10", "2026-11", false,
         DLG_TSS_PENDING_NOT_YET, "2026-10"},
        /* At the close of the window, November still pending: */
        {"ch-0003", t2, DLG_VOUCHER_CANCELLED, "2026-10,2026-11", NULL, false,
         DLG_TSS_PENDING_NOT_YET, "2026-11"},
        {"ch-0001", t2, DLG_VOUCHER_ACTIVE, "2026-11", NULL, false, DLG_TSS_PENDING_NOT_YET, NULL},
        {"ch-0004", t2, DLG_VOUCHER_ACTIVE, "2026-11", NULL, false, DLG_TSS_PENDING_NOT_YET, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct demo_case *c = &cases[i];
        const struct demo_child *child = demo_child(c->child);
        assert_non_null(child);
        struct dlg_voucher_standing s = standing_of(child, c->now);
        char missed[128];
        missed_text(&s, missed, sizeof(missed));
        int open = c->open_month ? month(c->open_month) : -1;
        int cancelled = c->cancelled_month ? month(c->cancelled_month) : -1;
        if (s.state != c->state || strcmp(missed, c->missed) != 0 || s.open_month != open ||
            s.open_month_has_timesheet != c->open_has_row ||
            (c->open_has_row && s.open_standing != c->open_standing) ||
            s.cancelled_month != cancelled) {
            print_error("%s at %s: %s missed [%s] open %d (%s) cancelled %d\n", c->child, c->now,
                        dlg_voucher_state_name(s.state), missed, s.open_month,
                        dlg_ts_standing_name(s.open_standing), s.cancelled_month);
            fail();
        }
    }
    struct dlg_voucher_standing olga = standing_of(demo_child("ch-0006"), t1);
    assert_true(olga.cancelled_by_registry && olga.cancelled_by_rule);
    struct dlg_voucher_standing dmitry = standing_of(demo_child("ch-0003"), t2);
    assert_false(dmitry.cancelled_by_registry);
    assert_true(dmitry.cancelled_by_rule);
}

/* ---- streak rules on synthetic rows ---- */

struct streak_case {
    const char *name;
    const char *rows; /* "2026-08:p 2026-09:c ..." p pending, c confirmed, d disputed */
    bool registry_cancelled;
    const char *now;
    enum dlg_voucher_state state;
    size_t n_missed;
};

static size_t parse_rows(const char *spec, struct dlg_timesheet *rows, size_t max)
{
    size_t n = 0;
    const char *p = spec;
    while (*p && n < max) {
        char m[8];
        char st = 0;
        int used = 0;
        if (sscanf(p, " %7[0-9-]:%c%n", m, &st, &used) != 2) {
            break;
        }
        rows[n++] =
            sheet(m, st == 'c' ? DLG_TS_CONFIRMED : (st == 'd' ? DLG_TS_DISPUTED : DLG_TS_PENDING));
        p += used;
    }
    return n;
}

static void test_streak_rules(void **state)
{
    (void)state;
    static const char *const dec3 = "2026-12-03T10:00:00+05:00";
    static const struct streak_case cases[] = {
        {"disputed breaks a streak", "2026-08:p 2026-09:d 2026-10:p 2026-11:c", false, dec3,
         DLG_VOUCHER_ACTIVE, 2},
        {"a month without a row breaks a streak", "2026-08:p 2026-10:p 2026-11:c", false, dec3,
         DLG_VOUCHER_ACTIVE, 2},
        {"two misses in a row cancel, any order", "2026-11:c 2026-09:p 2026-08:p", false, dec3,
         DLG_VOUCHER_CANCELLED, 2},
        {"cancellation is final", "2026-06:p 2026-07:p 2026-08:c 2026-09:c 2026-10:c", false, dec3,
         DLG_VOUCHER_CANCELLED, 2},
        {"duplicate row: the decided one wins", "2026-09:p 2026-10:p 2026-10:c 2026-11:p", false,
         dec3, DLG_VOUCHER_ACTIVE, 1},
        {"duplicate decided first", "2026-10:d 2026-10:p 2026-11:p", false, dec3,
         DLG_VOUCHER_ACTIVE, 0},
        {"at risk needs a pending open month", "2026-10:p 2026-11:c", false, dec3,
         DLG_VOUCHER_ACTIVE, 1},
        {"at risk needs a row for the open month", "2026-10:p", false, dec3, DLG_VOUCHER_ACTIVE, 1},
        {"not at risk before the window opens", "2026-10:p 2026-11:p", false,
         "2026-11-20T12:00:00+05:00", DLG_VOUCHER_ACTIVE, 1},
        {"at risk on the last second", "2026-10:p 2026-11:p", false, "2026-12-10T23:59:59+05:00",
         DLG_VOUCHER_AT_RISK, 1},
        {"registry cancelled wins", "2026-10:c 2026-11:c", true, dec3, DLG_VOUCHER_CANCELLED, 0},
        {"no rows at all", "", false, dec3, DLG_VOUCHER_ACTIVE, 0},
        {"December then January", "2026-12:p 2027-01:p", false, "2027-02-11T00:00:00+05:00",
         DLG_VOUCHER_CANCELLED, 2},
        {"December missed, January open", "2026-12:p 2027-01:p", false, "2027-02-01T00:00:00+05:00",
         DLG_VOUCHER_AT_RISK, 1},
    };
    struct dlg_config cfg = cfg_kz();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct dlg_timesheet rows[8];
        size_t n = parse_rows(cases[i].rows, rows, 8);
        struct dlg_voucher_input in = {cases[i].registry_cancelled, rows, n};
        struct dlg_voucher_standing s;
        assert_int_equal(dlg_rules_voucher_standing(&cfg, &in, at(cases[i].now), &s), 0);
        if (s.state != cases[i].state || s.n_missed != cases[i].n_missed) {
            print_error("%s: %s, %zu missed\n", cases[i].name, dlg_voucher_state_name(s.state),
                        s.n_missed);
            fail();
        }
    }
}

static void test_voucher_standing_bad_input_and_caps(void **state)
{
    (void)state;
    struct dlg_config cfg = cfg_kz();
    struct dlg_voucher_standing s;
    memset(&s, 0x5A, sizeof(s));
    struct dlg_timesheet rows[40];
    rows[0] = sheet("2026-10", DLG_TS_PENDING);
    rows[1] = sheet("2026-1x", DLG_TS_PENDING);
    struct dlg_voucher_input in = {false, rows, 2};
    assert_int_equal(dlg_rules_voucher_standing(&cfg, &in, 0, &s), CORE_EBADINPUT);
    assert_int_equal(s.n_missed, 0x5A5A5A5A5A5A5A5AULL); /* untouched */
    in.timesheets = NULL;
    assert_int_equal(dlg_rules_voucher_standing(&cfg, &in, 0, &s), CORE_EINVAL);
    assert_int_equal(dlg_rules_voucher_standing(&cfg, NULL, 0, &s), CORE_EINVAL);
    /* 40 missed months: the list keeps the oldest 24 in order; cancelled at the second. */
    for (int i = 0; i < 40; i++) {
        char m[8];
        core_month_format(month("2020-01") + i, m, sizeof(m));
        rows[39 - i] = sheet(m, DLG_TS_PENDING);
    }
    in.timesheets = rows;
    in.n_timesheets = 40;
    assert_int_equal(dlg_rules_voucher_standing(&cfg, &in, at("2026-12-03T10:00:00+05:00"), &s), 0);
    assert_int_equal(s.state, DLG_VOUCHER_CANCELLED);
    assert_int_equal(s.n_missed, DLG_RULES_MISSED_MAX);
    for (size_t i = 0; i < s.n_missed; i++) {
        assert_int_equal(s.missed[i], month("2020-01") + (int)i);
    }
    assert_int_equal(s.cancelled_month, month("2020-02"));
    assert_string_equal(dlg_voucher_state_name(DLG_VOUCHER_AT_RISK), "at_risk");
}

/* ---- day counts ---- */

static void test_day_counts(void **state)
{
    (void)state;
    struct dlg_day_counts c;
    /* Айгерім's son, October 2026, from the demo registry. */
    const struct demo_child *child = demo_child("ch-0001");
    assert_non_null(child);
    assert_int_equal(dlg_rules_day_counts(month("2026-10"), child->rows[0].days, &c), 0);
    assert_int_equal(c.present, 19);
    assert_int_equal(c.absent, 0);
    assert_int_equal(c.excused, 2);
    assert_int_equal(c.non_working, 10);
    assert_int_equal(dlg_rules_day_counts(month("2026-11"), "-PPPPP--PPPPP--PAAAP--PPPPP--P", &c),
                     0);
    assert_int_equal(c.present, 18);
    assert_int_equal(c.absent, 3);
    assert_int_equal(c.excused, 0);
    assert_int_equal(c.non_working, 9);
    /* Leap February has 29 days, a common one 28. */
    const char *feb29 = "PPPPP--PPPPP--PPPPP--PPPPP--P";
    assert_int_equal(dlg_rules_day_counts(month("2028-02"), feb29, &c), 0);
    assert_int_equal(c.present + c.absent + c.excused + c.non_working, 29);
    struct dlg_day_counts keep = c;
    assert_int_equal(dlg_rules_day_counts(month("2026-02"), feb29, &c), CORE_EBADINPUT);
    assert_memory_equal(&c, &keep, sizeof(c));
    assert_int_equal(dlg_rules_day_counts(month("2026-11"), "-PPPPP--PPPPP--PAAAP--PPPPP--", &c),
                     CORE_EBADINPUT);
    assert_int_equal(dlg_rules_day_counts(month("2026-11"), "-PPPPP--PPPPP--PAXAP--PPPPP--P", &c),
                     CORE_EBADINPUT);
    assert_int_equal(dlg_rules_day_counts(month("2026-11"), "-pPPPP--PPPPP--PAAAP--PPPPP--P", &c),
                     CORE_EBADINPUT);
    assert_int_equal(dlg_rules_day_counts(month("2026-11"), "", &c), CORE_EBADINPUT);
    assert_int_equal(dlg_rules_day_counts(-5, "P", &c), CORE_EBADINPUT);
    assert_int_equal(dlg_rules_day_counts(month("2026-11"), NULL, &c), CORE_EINVAL);
}

/* ---- quiet hours ---- */

struct quiet_case {
    const char *now;
    bool quiet;
    const char *until;
};

static void test_quiet_hours(void **state)
{
    (void)state;
    const struct dlg_quiet_hours night = {21 * 60, 9 * 60};
    static const struct quiet_case cases[] = {
        {"2026-12-03T20:59:59+05:00", false, "2026-12-03T20:59:59+05:00"},
        {"2026-12-03T21:00:00+05:00", true, "2026-12-04T09:00:00+05:00"},
        {"2026-12-03T23:30:00+05:00", true, "2026-12-04T09:00:00+05:00"},
        {"2026-12-04T00:00:00+05:00", true, "2026-12-04T09:00:00+05:00"},
        {"2026-12-04T03:00:00+05:00", true, "2026-12-04T09:00:00+05:00"},
        {"2026-12-04T08:59:30+05:00", true, "2026-12-04T09:00:00+05:00"},
        {"2026-12-04T09:00:00+05:00", false, "2026-12-04T09:00:00+05:00"},
        {"2026-12-04T12:00:00+05:00", false, "2026-12-04T12:00:00+05:00"},
        {"2026-12-03T17:00:00Z", true, "2026-12-04T09:00:00+05:00"}, /* 22:00 local */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t now = at(cases[i].now);
        if (dlg_rules_is_quiet(&night, 5 * 3600, now) != cases[i].quiet ||
            dlg_rules_quiet_until(&night, 5 * 3600, now) != at(cases[i].until)) {
            print_error("quiet at %s\n", cases[i].now);
            fail();
        }
    }
    const struct dlg_quiet_hours lunch = {13 * 60, 14 * 60};
    assert_true(dlg_rules_is_quiet(&lunch, 0, at("2026-12-03T13:00:00Z")));
    assert_false(dlg_rules_is_quiet(&lunch, 0, at("2026-12-03T14:00:00Z")));
    assert_false(dlg_rules_is_quiet(&lunch, 0, at("2026-12-03T12:59:59Z")));
    const struct dlg_quiet_hours none = {600, 600};
    assert_false(dlg_rules_is_quiet(&none, 0, at("2026-12-03T10:00:00Z")));
    const struct dlg_quiet_hours broken = {-1, 1500};
    assert_false(dlg_rules_is_quiet(&broken, 0, at("2026-12-03T10:00:00Z")));
    assert_false(dlg_rules_is_quiet(NULL, 0, 0));
    /* Before 1970 (negative seconds) the local time of day is still right. */
    assert_true(dlg_rules_is_quiet(&night, 5 * 3600, at("1969-12-31T22:00:00+05:00")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_edges_at_plus_five),
        cmocka_unit_test(test_window_configurable_and_validated),
        cmocka_unit_test(test_reporting_month_and_deadline),
        cmocka_unit_test(test_timesheet_standing),
        cmocka_unit_test(test_demo_registry_standings),
        cmocka_unit_test(test_streak_rules),
        cmocka_unit_test(test_voucher_standing_bad_input_and_caps),
        cmocka_unit_test(test_day_counts),
        cmocka_unit_test(test_quiet_hours),
    };
    return cmocka_run_group_tests(tests, load_demo, NULL);
}
