/* SPDX-License-Identifier: MIT
 * Unit tests of the dialog engine's contract (dialogs/dialog.h) beyond the transcripts: a failing
 * registry view fails the step and leaves the state as it was; stale results change nothing;
 * NULL arguments are CORE_EINVAL; the step table is consistent (unique names, valid edges, every
 * step reachable, every help text in all three catalogs) and the diagram shows all of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "adapters/sms.h"

#include "core/caltime.h"
#include "dialogs/diagram.h"
#include "dialogs/dialog.h"
#include "dialogs/engine_int.h"
#include "dialogs/i18n.h"
#include "support/dialogs_registry.h"

static struct tdr_registry g_reg;
static struct dlg_registry_view g_view;
static struct dlg_config g_cfg;
static struct dlg_output g_out;
static struct dlg_event g_ev;
static int64_t g_now;

static int setup(void **unused)
{
    (void)unused;
    char path[512];
    const char *src = getenv("TABELBOT_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/tests/fixtures/registry-demo.json", src ? src : ".");
    if (tdr_load(&g_reg, path) != 0) {
        return -1;
    }
    tdr_view(&g_reg, &g_view);
    dlg_config_defaults(&g_cfg);
    return core_iso8601_parse("2026-12-03T10:00:00+05:00", &g_now);
}

static int teardown(void **unused)
{
    (void)unused;
    tdr_free(&g_reg);
    return 0;
}

static int send_text(struct dlg_state *st, const char *text)
{
    memset(&g_ev, 0, sizeof g_ev);
    g_ev.kind = DLG_EV_INBOUND;
    g_ev.in.channel = st->channel;
    g_ev.in.kind = CORE_IN_TEXT;
    snprintf(g_ev.in.text, sizeof g_ev.in.text, "%s", text);
    return dlg_step(&g_cfg, &g_view, st, &g_ev, g_now, &g_out);
}

/* A console chat at the IIN step of registration with Айгерім's phone. */
static void at_iin_step(struct dlg_state *st)
{
    dlg_state_init(st, CORE_CH_CONSOLE);
    assert_int_equal(send_text(st, "start"), 0);
    assert_int_equal(send_text(st, "1"), 0); /* қазақша */
    assert_int_equal(send_text(st, "1"), 0); /* accept */
    assert_int_equal(send_text(st, "+7 701 000 00 01"), 0);
    assert_int_equal(st->step, DLG_ST_IIN);
}

static void test_view_failure_keeps_state(void **unused)
{
    (void)unused;
    struct dlg_state st, before;
    at_iin_step(&st);
    before = st;
    g_reg.fail_calls = 1;
    assert_int_equal(send_text(&st, "900514410006"), CORE_EDB);
    assert_memory_equal(&st, &before, sizeof st);
    assert_int_equal(g_out.n_replies, 0);
    assert_int_equal(g_out.n_effects, 0);
    /* the retry (bot/ replays the inbox row) succeeds */
    assert_int_equal(send_text(&st, "900514410006"), 0);
    assert_int_equal(st.step, DLG_ST_OTP_WAIT);
    assert_int_equal(g_out.n_effects, 1);
    assert_int_equal(g_out.effects[0].kind, DLG_FX_OTP_SEND);
    assert_string_equal(g_out.effects[0].phone, "+77010000001");
}

static void test_bad_input_changes_nothing_but_the_clock(void **unused)
{
    (void)unused;
    struct dlg_state st, before;
    at_iin_step(&st);
    before = st;
    assert_int_equal(send_text(&st, "900514410007"), 0); /* bad check digit */
    assert_int_equal(g_out.n_effects, 0);
    assert_int_equal(g_out.n_replies, 1);
    assert_int_equal(g_out.replies[0].expect, CORE_EXPECT_TEXT);
    assert_int_equal(st.step, before.step);
    assert_string_equal(st.iin, "");
    assert_int_equal(st.holder_id, 0);
}

static void test_stale_results_ignored(void **unused)
{
    (void)unused;
    struct dlg_state st, before;
    at_iin_step(&st);
    before = st;
    memset(&g_ev, 0, sizeof g_ev);
    g_ev.kind = DLG_EV_OTP_CHECKED;
    g_ev.u.otp_checked.result = DLG_OTP_MATCH;
    assert_int_equal(dlg_step(&g_cfg, &g_view, &st, &g_ev, g_now, &g_out), 0);
    assert_memory_equal(&st, &before, sizeof st);
    assert_int_equal(g_out.n_replies, 0);
    g_ev.kind = DLG_EV_DECIDED;
    assert_int_equal(dlg_step(&g_cfg, &g_view, &st, &g_ev, g_now, &g_out), 0);
    assert_memory_equal(&st, &before, sizeof st);
    g_ev.kind = DLG_EV_OTP_SENT;
    assert_int_equal(dlg_step(&g_cfg, &g_view, &st, &g_ev, g_now, &g_out), 0);
    assert_memory_equal(&st, &before, sizeof st);
    g_ev.kind = (enum dlg_event_kind)99;
    assert_int_equal(dlg_step(&g_cfg, &g_view, &st, &g_ev, g_now, &g_out), CORE_EINVAL);
    assert_memory_equal(&st, &before, sizeof st);
}

static void test_holder_gone_restarts_iin(void **unused)
{
    (void)unused;
    struct dlg_state st;
    at_iin_step(&st);
    assert_int_equal(send_text(&st, "900514410006"), 0);
    memset(&g_ev, 0, sizeof g_ev);
    g_ev.kind = DLG_EV_OTP_SENT;
    assert_int_equal(dlg_step(&g_cfg, &g_view, &st, &g_ev, g_now, &g_out), 0);
    assert_int_equal(send_text(&st, "123456"), 0);
    assert_int_equal(st.step, DLG_ST_CODE_WAIT);
    st.holder_id = 999; /* removed from the registry meanwhile */
    memset(&g_ev, 0, sizeof g_ev);
    g_ev.kind = DLG_EV_OTP_CHECKED;
    g_ev.u.otp_checked.result = DLG_OTP_MATCH;
    assert_int_equal(dlg_step(&g_cfg, &g_view, &st, &g_ev, g_now, &g_out), 0);
    assert_int_equal(st.step, DLG_ST_IIN);
    assert_int_equal(st.holder_id, 0);
    assert_int_equal(g_out.n_effects, 0);
    assert_non_null(strstr(g_out.replies[0].text, "ваучер иесі табылмады"));
}

static size_t chars(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    }
    return w;
}

/* The calendar of every month of two years, in every language, with every mark and the
 * longest count texts, stays within DLG_CAL_WIDTH characters a line and shows every day. */
static void test_calendar_fits_sms_lines(void **unused)
{
    (void)unused;
    static struct dlg_output out;
    struct dlg_state st;
    for (int lang = 0; lang < DLG_LANG_COUNT; lang++) {
        for (int mi = 2026 * 12; mi < 2028 * 12; mi++) {
            char month[8], days[DLG_DAYS_MAX];
            int y = mi / 12, m = mi % 12 + 1;
            int nd = core_days_in_month(y, m);
            core_month_format(mi, month, sizeof month);
            for (int d = 0; d < nd; d++) {
                days[d] = "PPASP-S-"[(d + mi) % 8];
            }
            days[nd] = '\0';
            dlg_state_init(&st, CORE_CH_WEBCHAT); /* SMS shows ranges instead (below) */
            st.lang = (enum dlg_lang)lang;
            memset(&out, 0, sizeof out);
            struct dlg_ctx ctx = {
                .cfg = &g_cfg, .view = &g_view, .st = &st, .now = g_now, .out = &out};
            assert_int_equal(dlg__say_calendar(&ctx, "Нұрсұлтан", month, days), 0);
            assert_int_equal(out.n_replies, 1);
            const char *text = out.replies[0].text;
            for (const char *line = text; *line;) {
                const char *nl = strchr(line, '\n');
                size_t n = nl ? (size_t)(nl - line) : strlen(line);
                if (chars(line, n) > DLG_CAL_WIDTH) {
                    fail_msg("%s %s: line too wide: %.*s", dlg_lang_code(st.lang), month, (int)n,
                             line);
                }
                line += n + (nl ? 1 : 0);
            }
            char last[8];
            snprintf(last, sizeof last, "%d", nd);
            assert_non_null(strstr(text, last));
        }
    }
}

/* On SMS the month is ranges per mark: a working month (weekdays present, a sick spell, an
 * absence) fits one or two UCS-2 segments in every language, every marked day is named and
 * no grid is drawn. */
static void test_calendar_sms_ranges(void **unused)
{
    (void)unused;
    static struct dlg_output out;
    struct dlg_state st;
    for (int lang = 0; lang < DLG_LANG_COUNT; lang++) {
        for (int mi = 2026 * 12; mi < 2028 * 12; mi++) {
            char month[8], days[DLG_DAYS_MAX];
            int y = mi / 12, m = mi % 12 + 1;
            int nd = core_days_in_month(y, m);
            core_month_format(mi, month, sizeof month);
            for (int d = 1; d <= nd; d++) {
                int wd = core_weekday(y, m, d);
                days[d - 1] = d == 17 ? 'A' : (d >= 10 && d <= 12) ? 'S' : wd >= 5 ? '-' : 'P';
            }
            days[nd] = '\0';
            dlg_state_init(&st, CORE_CH_SMS);
            st.lang = (enum dlg_lang)lang;
            memset(&out, 0, sizeof out);
            struct dlg_ctx ctx = {
                .cfg = &g_cfg, .view = &g_view, .st = &st, .now = g_now, .out = &out};
            assert_int_equal(dlg__say_calendar(&ctx, "Нұрсұлтан", month, days), 0);
            assert_int_equal(out.n_replies, 1);
            const char *text = out.replies[0].text;
            struct ad_sms_count count;
            assert_int_equal(ad_sms_count(text, strlen(text), &count), 0);
            if (count.segments > 2) {
                fail_msg("%s %s: %d segments: %s", dlg_lang_code(st.lang), month, count.segments,
                         text);
            }
            assert_null(strstr(text, "\n 1")); /* no grid rows */
            if (!strstr(text, "(1): 17")) {    /* the absence */
                fail_msg("%s", text);
            }
            assert_non_null(strstr(text, "10"
                                         "\xE2\x80\x93"
                                         "12")); /* the sick spell, 10–12 */
        }
    }
}

static void test_null_arguments(void **unused)
{
    (void)unused;
    struct dlg_state st;
    dlg_state_init(&st, CORE_CH_SMS);
    memset(&g_ev, 0, sizeof g_ev);
    assert_int_equal(dlg_step(NULL, &g_view, &st, &g_ev, g_now, &g_out), CORE_EINVAL);
    assert_int_equal(dlg_step(&g_cfg, NULL, &st, &g_ev, g_now, &g_out), CORE_EINVAL);
    assert_int_equal(dlg_step(&g_cfg, &g_view, NULL, &g_ev, g_now, &g_out), CORE_EINVAL);
    assert_int_equal(dlg_step(&g_cfg, &g_view, &st, NULL, g_now, &g_out), CORE_EINVAL);
    assert_int_equal(dlg_step(&g_cfg, &g_view, &st, &g_ev, g_now, NULL), CORE_EINVAL);
}

static void test_lang_codes(void **unused)
{
    (void)unused;
    assert_string_equal(dlg_lang_code(DLG_LANG_KK), "kk");
    assert_string_equal(dlg_lang_code(DLG_LANG_RU), "ru");
    assert_string_equal(dlg_lang_code(DLG_LANG_EN), "en");
    assert_int_equal(dlg_lang_parse("ru"), DLG_LANG_RU);
    assert_int_equal(dlg_lang_parse("de"), -1);
    assert_int_equal(dlg_lang_parse(NULL), -1);
    struct dlg_config c;
    dlg_config_defaults(&c);
    assert_int_equal(c.utc_offset_s, 18000);
    assert_int_equal(c.window_last_day, 10);
    assert_string_equal(c.contact_phone, "8 (727) 339-72-22");
}

static void test_step_table(void **unused)
{
    (void)unused;
    bool reached[DLG_ST_COUNT] = {false};
    reached[DLG_ST_LANG] = true;
    reached[DLG_ST_MENU] = true;      /* global jump: "menu" */
    reached[DLG_ST_LANG_PICK] = true; /* global jump: "language" */
    for (int i = 0; i < DLG_ST_COUNT; i++) {
        const struct dlg_step_def *def = dlg__step_def((enum dlg_step_id)i);
        assert_non_null(def);
        assert_int_equal(def->id, i);
        assert_int_equal(dlg__step_by_name(def->name), i);
        assert_non_null(def->input);
        for (int l = 0; l < DLG_LANG_COUNT; l++) {
            if (!dlg_i18n_has((enum dlg_lang)l, def->help_key)) {
                fail_msg("%s: help %s missing in %s", def->name, def->help_key,
                         dlg_lang_code((enum dlg_lang)l));
            }
        }
        assert_non_null(def->edges[0].label); /* every step leads somewhere */
    }
    /* reachability along declared edges */
    for (int round = 0; round < DLG_ST_COUNT; round++) {
        for (int i = 0; i < DLG_ST_COUNT; i++) {
            const struct dlg_step_def *def = dlg__step_def((enum dlg_step_id)i);
            for (size_t e = 0; reached[i] && e < DLG_MAX_EDGES && def->edges[e].label; e++) {
                assert_true(def->edges[e].to < DLG_ST_COUNT);
                reached[def->edges[e].to] = true;
            }
        }
    }
    for (int i = 0; i < DLG_ST_COUNT; i++) {
        if (!reached[i]) {
            fail_msg("step %s is unreachable", dlg__step_def((enum dlg_step_id)i)->name);
        }
    }
    assert_int_equal(dlg__step_by_name("NOPE"), -1);
    assert_null(dlg__step_def(DLG_ST_COUNT));
}

static void test_diagram(void **unused)
{
    (void)unused;
    static char out[32768];
    char small[32];
    int n = dlg_diagram_mermaid(out, sizeof out);
    assert_true(n > 0);
    assert_int_equal(strncmp(out, "stateDiagram-v2\n", 16), 0);
    for (int i = 0; i < DLG_ST_COUNT; i++) {
        const struct dlg_step_def *def = dlg__step_def((enum dlg_step_id)i);
        for (size_t e = 0; e < DLG_MAX_EDGES && def->edges[e].label; e++) {
            char line[256];
            snprintf(line, sizeof line, "    %s --> %s : %s\n", def->name,
                     dlg__step_def(def->edges[e].to)->name, def->edges[e].label);
            assert_non_null(strstr(out, line));
            assert_null(strchr(def->edges[e].label, ':')); /* Mermaid label separator */
        }
    }
    assert_int_equal(dlg_diagram_mermaid(small, sizeof small), CORE_ETOOBIG);
}

/* ---- robustness: a long random walk ---- */

static unsigned g_seed = 20261203;

static unsigned rnd(unsigned n)
{
    g_seed = g_seed * 1103515245u + 12345u;
    return (g_seed >> 8) % n;
}

/* One random event: mostly what a parent might send (an offered option by button, number or
 * label; a keyword; an IIN, a code, a day list; garbage, invalid UTF-8, a huge text), sometimes
 * an effect result, sometimes a command. */
static void random_event(const struct dlg_state *st, const struct dlg_output *last)
{
    static const char *const words[] = {"иә",
                                        "нет",
                                        "0",
                                        "меню",
                                        "help",
                                        "stop",
                                        "артқа",
                                        "русский",
                                        "english",
                                        "қазақша",
                                        "подтвердить",
                                        "не согласен",
                                        "3, 7, 15-17",
                                        "40",
                                        "17-15",
                                        "900514410006",
                                        "900514410007",
                                        "+77010000001",
                                        "8 727 339 72 22",
                                        "123456",
                                        "12 34",
                                        "",
                                        "   ",
                                        "\xff\xfe",
                                        "\xd0",
                                        "бүкіл ай",
                                        "whole month",
                                        "💥💥",
                                        "1",
                                        "2",
                                        "3",
                                        "7",
                                        "14",
                                        "99"};
    memset(&g_ev, 0, sizeof g_ev);
    g_ev.kind = DLG_EV_INBOUND;
    g_ev.in.channel = st->channel;
    g_ev.in.kind = CORE_IN_TEXT;
    if (st->channel == CORE_CH_SMS || st->channel == CORE_CH_WHATSAPP) {
        snprintf(g_ev.in.verified_phone, sizeof g_ev.in.verified_phone, "+77010000001");
    }
    if (rnd(2)) {
        /* half the time, what moves registration on, so the walk reaches the linked flows */
        switch (st->step) {
        case DLG_ST_PHONE:
            snprintf(g_ev.in.text, sizeof g_ev.in.text, "87010000001");
            return;
        case DLG_ST_IIN:
            snprintf(g_ev.in.text, sizeof g_ev.in.text, "900514410006");
            return;
        case DLG_ST_OTP_WAIT:
            g_ev.kind = DLG_EV_OTP_SENT;
            return;
        case DLG_ST_CODE:
            snprintf(g_ev.in.text, sizeof g_ev.in.text, "123456");
            return;
        case DLG_ST_CODE_WAIT:
            g_ev.kind = DLG_EV_OTP_CHECKED;
            return;
        case DLG_ST_DECIDE_WAIT:
            g_ev.kind = DLG_EV_DECIDED;
            return;
        case DLG_ST_DISPUTE_DAYS:
            snprintf(g_ev.in.text, sizeof g_ev.in.text, "3, 7, 15-17");
            return;
        case DLG_ST_DISPUTE_TEXT:
            snprintf(g_ev.in.text, sizeof g_ev.in.text, "Бала басқа топқа барды");
            return;
        default:
            break;
        }
    }
    unsigned what = rnd(20);
    const struct core_reply *rep = last->n_replies ? &last->replies[last->n_replies - 1] : NULL;
    if (what < 7 && rep && rep->n_options) {
        const struct core_option *o = &rep->options[rnd((unsigned)rep->n_options)];
        g_ev.in.kind = CORE_IN_BUTTON;
        snprintf(g_ev.in.button_id, sizeof g_ev.in.button_id, "%s", o->id);
    } else if (what < 9 && rep && rep->n_options) {
        g_ev.in.kind = CORE_IN_TEXT;
        snprintf(g_ev.in.text, sizeof g_ev.in.text, "%s",
                 rep->options[rnd((unsigned)rep->n_options)].label);
    } else if (what < 14) {
        g_ev.in.kind = CORE_IN_TEXT;
        snprintf(g_ev.in.text, sizeof g_ev.in.text, "%s",
                 words[rnd(sizeof words / sizeof words[0])]);
    } else if (what == 14) {
        g_ev.in.kind = CORE_IN_TEXT;
        memset(g_ev.in.text, 'x', sizeof g_ev.in.text - 1); /* the longest text there is */
    } else if (what == 15) {
        g_ev.in.kind = rnd(2) ? CORE_IN_CONTACT : CORE_IN_COMMAND;
        snprintf(g_ev.in.verified_phone, sizeof g_ev.in.verified_phone, "+77010000001");
        snprintf(g_ev.in.text, sizeof g_ev.in.text, rnd(2) ? "start" : "whatever");
    } else if (what == 16) {
        g_ev.kind = DLG_EV_OTP_SENT;
        g_ev.u.otp_sent.result = (enum dlg_otp_send_result)rnd(3);
        g_ev.u.otp_sent.retry_after_s = (int)rnd(100);
    } else if (what == 17) {
        g_ev.kind = DLG_EV_OTP_CHECKED;
        g_ev.u.otp_checked.result = (enum dlg_otp_check_result)rnd(5);
        g_ev.u.otp_checked.attempts_left = (int)rnd(6);
    } else if (what == 18) {
        g_ev.kind = DLG_EV_DECIDED;
        g_ev.u.decided.result = (enum dlg_decide_result)rnd(4);
        snprintf(g_ev.u.decided.receipt, sizeof g_ev.u.decided.receipt, "R%u", rnd(99999));
    } else {
        g_ev.in.kind = CORE_IN_BUTTON;
        snprintf(g_ev.in.button_id, sizeof g_ev.in.button_id, "child:nope");
    }
}

static void test_random_walk_never_breaks(void **unused)
{
    (void)unused;
    static struct dlg_output out;
    struct dlg_state st;
    char enc[DLG_STATE_ENCODED_MAX];
    int64_t now = g_now - 3 * 86400; /* before, inside and after the November window */
    int linked = 0;
    bool visited[DLG_ST_COUNT] = {false};
    for (int walk = 0; walk < 40; walk++) {
        dlg_state_init(&st, (enum core_channel)rnd(CORE_CH_COUNT));
        memset(&out, 0, sizeof out);
        for (int i = 0; i < 400; i++) {
            random_event(&st, &out);
            now += rnd(10) == 0 ? (int64_t)rnd(2500) : (int64_t)rnd(30);
            int rc = dlg_step(&g_cfg, &g_view, &st, &g_ev, now, &out);
            assert_int_equal(rc, 0);
            assert_true(out.n_replies <= DLG_MAX_REPLIES);
            for (size_t k = 0; k < out.n_replies; k++) {
                assert_true(out.replies[k].text[0] || out.replies[k].n_options);
                assert_true(out.replies[k].n_options <= CORE_REPLY_OPTIONS_MAX);
            }
            if (g_ev.kind == DLG_EV_INBOUND && st.step != DLG_ST_OTP_WAIT &&
                st.step != DLG_ST_CODE_WAIT && st.step != DLG_ST_DECIDE_WAIT) {
                assert_true(out.n_replies > 0); /* every message gets an answer */
            }
            size_t len = dlg_state_encode(&st, enc, sizeof enc);
            assert_true(len > 0);
            assert_int_equal(dlg_state_decode(enc, len, &st), 0);
            linked += st.parent_id != 0;
            visited[st.step] = true;
        }
    }
    assert_true(linked > 0); /* the walk does get past registration */
    for (int i = 0; i < DLG_ST_COUNT; i++) {
        if (!visited[i]) {
            fail_msg("the walk never reached %s", dlg__step_def((enum dlg_step_id)i)->name);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_view_failure_keeps_state),
        cmocka_unit_test(test_bad_input_changes_nothing_but_the_clock),
        cmocka_unit_test(test_stale_results_ignored),
        cmocka_unit_test(test_holder_gone_restarts_iin),
        cmocka_unit_test(test_calendar_fits_sms_lines),
        cmocka_unit_test(test_calendar_sms_ranges),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_lang_codes),
        cmocka_unit_test(test_step_table),
        cmocka_unit_test(test_diagram),
        cmocka_unit_test(test_random_walk_never_breaks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
