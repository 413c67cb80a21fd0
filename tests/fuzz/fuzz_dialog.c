/* SPDX-License-Identifier: MIT
 * Fuzz target for the dialog engine (dlg_step) over random conversations. The input is a
 * program: a start time around the demo month and a channel, then operations that become
 * events (a word from a vocabulary of what parents type, free text, the id of an option the
 * last reply offered or a random one, a shared contact, a command, an OTP / decision result)
 * or let time pass. The registry is the demo one (tests/fixtures/registry-demo.json, read
 * once from $TABELBOT_SOURCE_DIR or the source folder this binary was built from).
 * Properties: dlg_step never fails; every reply is NUL-terminated valid UTF-8 with at most
 * CORE_REPLY_OPTIONS_MAX options whose ids are printable ASCII shorter than 64 bytes; every
 * effect's strings are terminated; and the state round-trips through encode/decode after
 * every step (the conversation goes on from the decoded state, as the service does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/caltime.h"
#include "dialogs/dialog.h"
#include "fuzz_common.h"
#include "support/dialogs_registry.h"

#ifndef TABELBOT_FUZZ_SOURCE_DIR
#define TABELBOT_FUZZ_SOURCE_DIR "."
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tdr_registry g_reg;
static struct dlg_registry_view g_view;
static struct dlg_config g_cfg;
static int64_t g_base;

/* What parents type: keywords in three languages, demo phones and IINs, codes, day lists. */
static const char *const vocabulary[] = {
    "1",
    "2",
    "3",
    "4",
    "5",
    "0",
    "9",
    "10",
    "15",
    "иә",
    "да",
    "yes",
    "жоқ",
    "нет",
    "no",
    "мәзір",
    "меню",
    "menu",
    "оператор",
    "operator",
    "тоқтату",
    "стоп",
    "stop",
    "көмек",
    "help",
    "+77010000001",
    "87020000002",
    "+7 707 000 00 03",
    "8 (747) 000-00-04",
    "77770000005",
    "900514410006",
    "881122310372",
    "920303310748",
    "950717411116",
    "870208411489",
    "900514410007",
    "123456",
    "000000",
    "12345",
    "1234567",
    "3, 7, 15-17",
    "1-31",
    "32",
    "5,5,5",
    "7-3",
    "Бала ауырды",
    "Ребёнок болел",
    "wrong days",
    "",
    " ",
    "қазақша",
    "русский",
    "english",
    "kk",
    "ru",
};

static int load_once(void)
{
    static int loaded; /* 0 not yet, 1 ok, -1 failed */
    if (loaded) {
        return loaded;
    }
    char path[1024];
    const char *src = getenv("TABELBOT_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/tests/fixtures/registry-demo.json",
             src && src[0] ? src : TABELBOT_FUZZ_SOURCE_DIR);
    if (tdr_load(&g_reg, path) != 0 ||
        core_iso8601_parse("2026-12-03T10:00:00+05:00", &g_base) != 0) {
        fprintf(stderr, "fuzz_dialog: cannot load %s (set TABELBOT_SOURCE_DIR)\n", path);
        loaded = -1;
        return loaded;
    }
    tdr_view(&g_reg, &g_view);
    dlg_config_defaults(&g_cfg);
    loaded = 1;
    return loaded;
}

/* Copies up to n input bytes into out as valid UTF-8 (a byte that starts no valid sequence
 * becomes '?'), as every adapter guarantees for what it hands the dialogs. */
static void take_utf8(struct fuzz_in *in, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    size_t end = in->pos + n < in->size ? in->pos + n : in->size;
    while (in->pos < end && o + 5 < cap) {
        const char *p = (const char *)in->data + in->pos;
        size_t len = 0;
        for (size_t k = 1; k <= 4 && in->pos + k <= end; k++) {
            if (ad_utf8_valid(p, k)) {
                len = k;
                break;
            }
        }
        if (len == 0 || p[0] == '\0') {
            out[o++] = '?';
            in->pos++;
            continue;
        }
        memcpy(out + o, p, len);
        o += len;
        in->pos += len;
    }
    out[o] = '\0';
}

struct convo {
    struct dlg_state *state;
    struct dlg_output out;
    struct core_reply last; /* the last reply with options, for button presses */
    enum core_channel channel;
    int64_t now;
    unsigned seq;
};

static void inbound(struct convo *c, struct dlg_event *ev, enum core_inbound_kind kind)
{
    ev->kind = DLG_EV_INBOUND;
    ev->in.channel = c->channel;
    ev->in.kind = kind;
    snprintf(ev->in.user_id, sizeof ev->in.user_id, "fuzz-user");
    snprintf(ev->in.external_id, sizeof ev->in.external_id, "ext-%u", c->seq++);
    ev->in.at = c->now;
}

static void make_contact(struct convo *c, struct fuzz_in *in, struct dlg_event *ev)
{
    static const char *const phones[] = {"+77010000001", "+77020000002", "+77070000003",
                                         "+77470000004", "+77770000005", "+77019999999"};
    uint8_t b = fuzz_byte(in);
    inbound(c, ev, CORE_IN_CONTACT);
    const char *phone = phones[(b & 0x7f) % 6];
    snprintf(ev->in.text, sizeof ev->in.text, "%s", phone);
    if (b & 0x80) {
        snprintf(ev->in.verified_phone, sizeof ev->in.verified_phone, "%s", phone);
    }
}

static void make_result(struct fuzz_in *in, struct dlg_event *ev)
{
    uint8_t kind = fuzz_byte(in) % 3;
    uint8_t result = fuzz_byte(in);
    uint8_t extra = fuzz_byte(in);
    if (kind == 0) {
        ev->kind = DLG_EV_OTP_SENT;
        ev->u.otp_sent.result = (enum dlg_otp_send_result)(result % 3);
        ev->u.otp_sent.retry_after_s = extra;
    } else if (kind == 1) {
        ev->kind = DLG_EV_OTP_CHECKED;
        ev->u.otp_checked.result = (enum dlg_otp_check_result)(result % 5);
        ev->u.otp_checked.attempts_left = extra % 6;
    } else {
        ev->kind = DLG_EV_DECIDED;
        ev->u.decided.result = (enum dlg_decide_result)(result % 5);
        snprintf(ev->u.decided.receipt, sizeof ev->u.decided.receipt, "TB-%02X%02X", result, extra);
    }
}

/* Builds the next event from the input; false when the operation only moved the clock. */
static bool next_event(struct convo *c, struct fuzz_in *in, struct dlg_event *ev)
{
    memset(ev, 0, sizeof *ev);
    uint8_t op = fuzz_byte(in);
    switch (op % 9) {
    case 0:
    case 1:
        inbound(c, ev, CORE_IN_TEXT);
        snprintf(ev->in.text, sizeof ev->in.text, "%s",
                 vocabulary[fuzz_byte(in) % (sizeof vocabulary / sizeof vocabulary[0])]);
        return true;
    case 2:
        inbound(c, ev, CORE_IN_TEXT);
        take_utf8(in, fuzz_byte(in), ev->in.text, sizeof ev->in.text);
        return true;
    case 3:
    case 4:
        inbound(c, ev, CORE_IN_BUTTON);
        if (c->last.n_options > 0) {
            const struct core_option *o = &c->last.options[fuzz_byte(in) % c->last.n_options];
            snprintf(ev->in.button_id, sizeof ev->in.button_id, "%s", o->id);
        }
        return true;
    case 5:
        inbound(c, ev, CORE_IN_BUTTON);
        take_utf8(in, fuzz_byte(in) % CORE_OPTION_ID_MAX, ev->in.button_id,
                  sizeof ev->in.button_id);
        return true;
    case 6:
        make_contact(c, in, ev);
        return true;
    case 7:
        if (op & 0x80) {
            make_result(in, ev);
            return true;
        }
        inbound(c, ev, CORE_IN_COMMAND);
        snprintf(ev->in.text, sizeof ev->in.text, "%s", (op & 0x40) ? "start" : "start x-1");
        return true;
    default:
        /* Time passes: up to ~4 days in 30-minute steps (idle timeouts, windows, code expiry). */
        c->now += (int64_t)fuzz_byte(in) * 1800;
        return false;
    }
}

static void check_reply(const struct core_reply *r)
{
    CHECK(fuzz_str_ok(r->text, sizeof r->text));
    CHECK(r->n_options <= CORE_REPLY_OPTIONS_MAX);
    CHECK(r->expect >= CORE_EXPECT_NOTHING && r->expect <= CORE_EXPECT_CODE);
    CHECK(r->bulk == 0);
    for (size_t i = 0; i < r->n_options; i++) {
        const struct core_option *o = &r->options[i];
        CHECK(o->id[0] != '\0' && fuzz_ascii_ok(o->id, sizeof o->id) && strlen(o->id) <= 64);
        CHECK(fuzz_str_ok(o->label, sizeof o->label) && o->label[0] != '\0');
    }
}

static void check_effect(const struct dlg_effect *e)
{
    CHECK(e->kind >= DLG_FX_OTP_SEND && e->kind <= DLG_FX_ESCALATE);
    CHECK(memchr(e->phone, '\0', sizeof e->phone) && memchr(e->code, '\0', sizeof e->code));
    CHECK(memchr(e->child_id, '\0', sizeof e->child_id) && memchr(e->month, '\0', sizeof e->month));
    CHECK(memchr(e->consent_version, '\0', sizeof e->consent_version));
    CHECK(memchr(e->days_hash_input, '\0', sizeof e->days_hash_input));
    CHECK(memchr(e->dispute_days, '\0', sizeof e->dispute_days));
    CHECK(fuzz_str_ok(e->reason, sizeof e->reason));
    CHECK(e->lang >= DLG_LANG_KK && e->lang < DLG_LANG_COUNT);
}

/* Encode -> decode -> encode is a fixed point; the conversation continues from the decoded
 * state, as it would after the service stored and reloaded it. */
static void round_trip(struct convo *c, char *first, char *second)
{
    size_t len1 = dlg_state_encode(c->state, first, DLG_STATE_ENCODED_MAX);
    CHECK(len1 > 0);
    CHECK(dlg_state_decode(first, len1, c->state) == CORE_OK);
    size_t len2 = dlg_state_encode(c->state, second, DLG_STATE_ENCODED_MAX);
    CHECK(len2 == len1 && memcmp(first, second, len1) == 0);
}

static void step(struct convo *c, const struct dlg_event *ev, char *first, char *second)
{
    int rc = dlg_step(&g_cfg, &g_view, c->state, ev, c->now, &c->out);
    CHECK(rc == CORE_OK);
    CHECK(c->out.n_replies <= DLG_MAX_REPLIES && c->out.n_effects <= DLG_MAX_EFFECTS);
    for (size_t i = 0; i < c->out.n_replies; i++) {
        check_reply(&c->out.replies[i]);
        if (c->out.replies[i].n_options > 0) {
            c->last = c->out.replies[i];
        }
    }
    for (size_t i = 0; i < c->out.n_effects; i++) {
        check_effect(&c->out.effects[i]);
    }
    round_trip(c, first, second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (load_once() < 0) {
        abort(); /* a harness that cannot load its registry must not pass silently */
    }
    struct fuzz_in in = {.data = data, .size = size};
    struct convo *c = calloc(1, sizeof *c);
    char *first = malloc(DLG_STATE_ENCODED_MAX);
    char *second = malloc(DLG_STATE_ENCODED_MAX);
    struct dlg_event *ev = malloc(sizeof *ev);
    CHECK(c && first && second && ev);
    c->state = malloc(dlg_state_size());
    CHECK(c->state != NULL);
    static const enum core_channel channels[] = {CORE_CH_TELEGRAM, CORE_CH_SMS, CORE_CH_WHATSAPP,
                                                 CORE_CH_CONSOLE, CORE_CH_WEBCHAT};
    uint8_t setup = fuzz_byte(&in);
    c->channel = channels[setup % 5];
    /* From 2026-11-25 to 2026-12-15 local, in quarter hours. */
    uint16_t offset = (uint16_t)(fuzz_byte(&in) | (fuzz_byte(&in) << 8));
    c->now = g_base - 8 * 86400 + (int64_t)(offset % (20 * 96)) * 900;
    dlg_state_init(c->state, c->channel);
    for (int steps = 0; steps < 200 && !fuzz_done(&in); steps++) {
        if (next_event(c, &in, ev)) {
            step(c, ev, first, second);
        }
    }
    free(c->state);
    free(c);
    free(first);
    free(second);
    free(ev);
    return 0;
}
