/* SPDX-License-Identifier: MIT
 * Unit tests of the dialog state's storage form (dialogs/state.c): a full round trip with every
 * field set (including values that need escaping), the encode buffer bound, and garbage of
 * every kind rejected with CORE_EBADINPUT leaving the target state untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dialogs/dialog.h"
#include "dialogs/engine_int.h"

static void full_state(struct dlg_state *s)
{
    dlg_state_init(s, CORE_CH_TELEGRAM);
    s->step = DLG_ST_DISPUTE_SEND;
    s->lang = DLG_LANG_RU;
    s->lang_chosen = true;
    snprintf(s->phone, sizeof s->phone, "+77010000001");
    snprintf(s->iin, sizeof s->iin, "900514410006");
    s->holder_id = 7;
    s->parent_id = 1234567890123LL;
    snprintf(s->consent_version, sizeof s->consent_version, "2026-11");
    s->consent_at = 1796000000;
    s->reminders_off = true;
    snprintf(s->child_id, sizeof s->child_id, "ch-0001");
    snprintf(s->month, sizeof s->month, "2026-11");
    snprintf(s->days, sizeof s->days, "-PPPPP--PPPPP--PAAAP--PPPPP--P");
    s->dispute_days = (1u << 3) | (1u << 17) | (1u << 31);
    s->reason = DLG_REASON_OTHER;
    snprintf(s->reason_text, sizeof s->reason_text, "line one\nline = two \\ back\r\nӘ");
    s->decision = DLG_DECISION_DISPUTE;
    s->unknown_count = 2;
    s->last_at = 1796100000;
    s->otp_sent_at = 1796099000;
}

static void test_round_trip(void **unused)
{
    (void)unused;
    struct dlg_state a, b;
    char enc[DLG_STATE_ENCODED_MAX];
    full_state(&a);
    size_t len = dlg_state_encode(&a, enc, sizeof enc);
    assert_true(len > 0);
    assert_int_equal(strlen(enc), len);
    assert_non_null(strstr(enc, "v=1\n"));
    assert_null(strstr(enc, "line one\n")); /* the newline inside a value is escaped */
    memset(&b, 0xAB, sizeof b);
    assert_int_equal(dlg_state_decode(enc, len, &b), 0);
    assert_int_equal(b.step, a.step);
    assert_int_equal(b.lang, a.lang);
    assert_int_equal(b.channel, CORE_CH_TELEGRAM);
    assert_true(b.lang_chosen);
    assert_string_equal(b.phone, a.phone);
    assert_string_equal(b.iin, a.iin);
    assert_int_equal(b.holder_id, 7);
    assert_int_equal(b.parent_id, a.parent_id);
    assert_int_equal(dlg_state_parent(&b), a.parent_id);
    assert_int_equal(dlg_state_lang(&b), DLG_LANG_RU);
    assert_string_equal(b.consent_version, "2026-11");
    assert_int_equal(b.consent_at, a.consent_at);
    assert_true(b.reminders_off);
    assert_string_equal(b.child_id, "ch-0001");
    assert_string_equal(b.month, "2026-11");
    assert_string_equal(b.days, a.days);
    assert_int_equal(b.dispute_days, a.dispute_days);
    assert_int_equal(b.reason, DLG_REASON_OTHER);
    assert_string_equal(b.reason_text, a.reason_text);
    assert_int_equal(b.decision, DLG_DECISION_DISPUTE);
    assert_int_equal(b.unknown_count, 2);
    assert_int_equal(b.last_at, a.last_at);
    assert_int_equal(b.otp_sent_at, a.otp_sent_at);
    /* encoding the decoded state gives the same text */
    char enc2[DLG_STATE_ENCODED_MAX];
    assert_int_equal(dlg_state_encode(&b, enc2, sizeof enc2), len);
    assert_string_equal(enc, enc2);
}

static void test_fresh_state_round_trip(void **unused)
{
    (void)unused;
    struct dlg_state a, b;
    char enc[DLG_STATE_ENCODED_MAX];
    for (int ch = 0; ch < CORE_CH_COUNT; ch++) {
        dlg_state_init(&a, (enum core_channel)ch);
        size_t len = dlg_state_encode(&a, enc, sizeof enc);
        assert_true(len > 0);
        assert_int_equal(dlg_state_decode(enc, len, &b), 0);
        assert_int_equal(b.channel, ch);
        assert_int_equal(b.step, DLG_ST_LANG);
        assert_int_equal(dlg_state_parent(&b), 0);
    }
    assert_int_equal(dlg_state_size(), sizeof(struct dlg_state));
}

static void test_encode_small_buffer(void **unused)
{
    (void)unused;
    struct dlg_state a;
    char small[64];
    full_state(&a);
    assert_int_equal(dlg_state_encode(&a, small, sizeof small), 0);
    assert_string_equal(small, "");
}

/* Replaces the line starting with `key=` in a valid encoding by `line` ("" drops it). */
static void mutate(const char *key, const char *line, char *out, size_t cap)
{
    struct dlg_state a;
    char enc[DLG_STATE_ENCODED_MAX];
    char prefix[64];
    full_state(&a);
    dlg_state_encode(&a, enc, sizeof enc);
    snprintf(prefix, sizeof prefix, "%s=", key);
    out[0] = '\0';
    for (char *p = enc; *p;) {
        char *nl = strchr(p, '\n');
        size_t n = (size_t)(nl - p) + 1;
        if (strncmp(p, prefix, strlen(prefix)) == 0 && (p == enc || p[-1] == '\n')) {
            strncat(out, line, cap - strlen(out) - 1);
        } else {
            strncat(out, p, n < cap - strlen(out) - 1 ? n : cap - strlen(out) - 1);
        }
        p += n;
    }
}

static void expect_rejected(const char *text, size_t len)
{
    struct dlg_state s, before;
    full_state(&s);
    s.step = DLG_ST_MENU;
    before = s;
    assert_int_equal(dlg_state_decode(text, len, &s), CORE_EBADINPUT);
    assert_memory_equal(&s, &before, sizeof s); /* untouched */
}

static void test_garbage_rejected(void **unused)
{
    (void)unused;
    static const struct {
        const char *key;
        const char *line;
    } cases[] = {
        {"v", "v=2\n"},               /* another version */
        {"v", ""},                    /* no version */
        {"step", "step=NOPE\n"},      /* unknown step */
        {"step", ""},                 /* no step */
        {"lang", "lang=de\n"},        /* unknown language */
        {"channel", "channel=fax\n"}, /* unknown channel */
        {"parent", "parent=-5\n"},    /* negative id */
        {"parent", "parent=12x\n"},   /* not a number */
        {"parent", "parent=99999999999999999999\n"},
        {"iin", "iin=90051441000X\n"},           /* not digits */
        {"iin", "iin=9005144100\n"},             /* wrong length */
        {"month", "month=2026-13\n"},            /* not a month */
        {"days", "days=PPXP\n"},                 /* not a day mark */
        {"phone", "phone=87010000001\n"},        /* not E.164 */
        {"reason", "reason=9\n"},                /* out of range */
        {"unknown", "unknown=-1\n"},             /* out of range */
        {"reason_text", "reason_text=bad\\q\n"}, /* bad escape */
        {"reason_text", "reason_text=trailing\\\n"},
        {"child", "child=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"},
        {"lang_chosen", "lang_chosen=2\n"},
        {"decision", "decision=\n"},
        {"otp_sent_at", "bogus=1\n"}, /* unknown key */
        {"otp_sent_at", "=1\n"},      /* empty key */
        {"otp_sent_at", "no equals sign\n"},
    };
    char text[DLG_STATE_ENCODED_MAX];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mutate(cases[i].key, cases[i].line, text, sizeof text);
        expect_rejected(text, strlen(text));
    }
}

static void test_linked_step_needs_parent(void **unused)
{
    (void)unused;
    char text[DLG_STATE_ENCODED_MAX];
    mutate("parent", "parent=0\n", text, sizeof text); /* DISPUTE_SEND is a linked step */
    expect_rejected(text, strlen(text));
}

static void test_damaged_blobs(void **unused)
{
    (void)unused;
    struct dlg_state a;
    char enc[DLG_STATE_ENCODED_MAX];
    full_state(&a);
    size_t len = dlg_state_encode(&a, enc, sizeof enc);
    expect_rejected(enc, len - 1);           /* cut: the last line has no newline */
    expect_rejected(enc, len / 2);           /* cut in the middle */
    expect_rejected("", 0);                  /* empty */
    expect_rejected("\n", 1);                /* empty line */
    expect_rejected("step=MENU\nv=1\n", 15); /* version not first */
    char nul[64] = "v=1\nstep=LANG\nlang=kk\nchannel=sms\nphone=+7\0001\n";
    expect_rejected(nul, 46); /* NUL byte inside */
    /* random bytes never crash and never pass */
    unsigned seed = 12345;
    char junk[512];
    for (int round = 0; round < 2000; round++) {
        size_t n = 1 + (size_t)(round % 511);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            junk[i] = (char)(seed >> 16);
        }
        expect_rejected(junk, n);
    }
    /* the accepted text decodes from a buffer that is not NUL-terminated */
    char copy[DLG_STATE_ENCODED_MAX];
    memcpy(copy, enc, len);
    memset(copy + len, 'x', sizeof copy - len);
    struct dlg_state b;
    assert_int_equal(dlg_state_decode(copy, len, &b), 0);
    assert_string_equal(b.reason_text, a.reason_text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_fresh_state_round_trip),
        cmocka_unit_test(test_encode_small_buffer),
        cmocka_unit_test(test_garbage_rejected),
        cmocka_unit_test(test_linked_step_needs_parent),
        cmocka_unit_test(test_damaged_blobs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
