/* SPDX-License-Identifier: MIT
 * Conversation-transcript runner: plays the tests/dialogs transcripts against the real dialog
 * engine over the in-memory demo registry (tests/support/dialogs_registry.h). Between every two
 * steps the state goes through dlg_state_encode/decode, as bot/ stores it. Every reply is checked
 * for well-formedness (ASCII option ids that fit Telegram callback_data, no unexpanded
 * placeholders, no text left as a bare catalog key).
 *
 * Usage: run_transcripts REGISTRY.json TRANSCRIPT.txt...
 *
 * Transcript lines (one command each; '#' comments and blank lines ignored):
 *   @now ISO8601           set the clock          @channel NAME     channel of the chat
 *   @from +77...           verified sender phone of later inbounds (SMS, WhatsApp)
 *   @hours TEXT            the contact centre's hours in the config
 *   @consent VERSION       the data-policy version in the config
 *   + HH:MM:SS             advance the clock
 *   > TEXT                 the parent types TEXT          >btn ID      presses a button
 *   >cmd NAME              sends /NAME                    >contact +7… shares own contact
 *   >contact-other +7…     shares someone else's contact (not verified)
 *   < FRAGMENT             a reply (text or option label) of the last step contains FRAGMENT
 *   <! FRAGMENT            no reply of the last step contains FRAGMENT
 *   ? ID                   the last reply offers option ID       ?! ID   it does not
 *   ~ EXPECT               the last reply expects choice|text|phone|code|nothing
 *   ! KIND ARGS...         the last step emitted effect KIND whose fields start with ARGS
 *   !none                  the last step emitted no effect
 *   = OTP_SENT ok|rate_limited N|failed
 *   = OTP_CHECKED match|wrong N|expired|locked|none
 *   = DECIDED ok RECEIPT|already|closed|failed      (ok also records it in the registry)
 *   @step NAME             the engine is at step NAME
 *   @noreply               the last step sent no reply */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/caltime.h"
#include "dialogs/dialog.h"
#include "dialogs/engine_int.h"
#include "dialogs/i18n.h"
#include "support/dialogs_registry.h"

struct run {
    const char *file;
    int line;
    struct tdr_registry reg;
    struct dlg_registry_view view;
    struct dlg_config cfg;
    struct dlg_state *st;
    int64_t now;
    enum core_channel channel;
    char from[CORE_PHONE_MAX];
    struct dlg_output out;
    struct dlg_effect last_decide;
    bool have_decide;
    int failures;
    int steps;
};

static void fail(struct run *r, const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "%s:%d: ", r->file, r->line);
    fprintf(stderr, fmt, a ? a : "", b ? b : "");
    fputc('\n', stderr);
    r->failures++;
}

static void dump_output(const struct run *r)
{
    for (size_t i = 0; i < r->out.n_replies; i++) {
        const struct core_reply *rep = &r->out.replies[i];
        fprintf(stderr, "  reply %zu (expect %d):\n%s\n", i, (int)rep->expect, rep->text);
        for (size_t j = 0; j < rep->n_options; j++) {
            fprintf(stderr, "    [%s] %s\n", rep->options[j].id, rep->options[j].label);
        }
    }
    for (size_t i = 0; i < r->out.n_effects; i++) {
        fprintf(stderr, "  effect %d\n", (int)r->out.effects[i].kind);
    }
}

/* A catalog key looks like "a.b" or "a.b.c" in [a-z_.] only. */
static bool looks_like_key(const char *text)
{
    size_t dots = 0;
    if (!*text) {
        return false;
    }
    for (const char *p = text; *p; p++) {
        if (*p == '.') {
            dots++;
        } else if (!((*p >= 'a' && *p <= 'z') || *p == '_')) {
            return false;
        }
    }
    return dots > 0;
}

static bool has_placeholder(const char *text)
{
    for (const char *p = strchr(text, '{'); p; p = strchr(p + 1, '{')) {
        const char *q = p + 1;
        while ((*q >= 'a' && *q <= 'z') || *q == '_') {
            q++;
        }
        if (q > p + 1 && *q == '}') {
            return true;
        }
    }
    return false;
}

static void check_output(struct run *r)
{
    for (size_t i = 0; i < r->out.n_replies; i++) {
        const struct core_reply *rep = &r->out.replies[i];
        if (!rep->text[0] && rep->n_options == 0) {
            fail(r, "empty reply%s%s", NULL, NULL);
        }
        if (has_placeholder(rep->text)) {
            fail(r, "unexpanded placeholder in: %s%s", rep->text, NULL);
        }
        for (const char *line = rep->text; *line;) {
            const char *nl = strchr(line, '\n');
            size_t n = nl ? (size_t)(nl - line) : strlen(line);
            char buf[256];
            snprintf(buf, sizeof buf, "%.*s", (int)(n < 255 ? n : 255), line);
            if (looks_like_key(buf)) {
                fail(r, "catalog key shown as text: %s%s", buf, NULL);
            }
            line += n + (nl ? 1 : 0);
        }
        for (size_t j = 0; j < rep->n_options; j++) {
            const struct core_option *o = &rep->options[j];
            if (!o->id[0] || strlen(o->id) > 64 || !o->label[0] || looks_like_key(o->label)) {
                fail(r, "bad option [%s] %s", o->id, o->label);
            }
            for (const char *p = o->id; *p; p++) {
                if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7E) {
                    fail(r, "non-ASCII option id [%s]%s", o->id, NULL);
                    break;
                }
            }
        }
    }
}

static void step(struct run *r, const struct dlg_event *ev)
{
    char enc[DLG_STATE_ENCODED_MAX];
    size_t len = dlg_state_encode(r->st, enc, sizeof enc);
    if (len == 0 || dlg_state_decode(enc, len, r->st) != 0) {
        fail(r, "state does not survive encode/decode%s%s", NULL, NULL);
    }
    int rc = dlg_step(&r->cfg, &r->view, r->st, ev, r->now, &r->out);
    r->steps++;
    if (rc != 0) {
        fail(r, "dlg_step failed: %s%s", core_strerror(rc), NULL);
        memset(&r->out, 0, sizeof r->out);
        return;
    }
    for (size_t i = 0; i < r->out.n_effects; i++) {
        if (r->out.effects[i].kind == DLG_FX_DECIDE) {
            r->last_decide = r->out.effects[i];
            r->have_decide = true;
        }
    }
    check_output(r);
    if (getenv("TRANSCRIPT_VERBOSE")) {
        fprintf(stderr, "---- %s:%d\n", r->file, r->line);
        dump_output(r);
    }
}

static void send_inbound(struct run *r, enum core_inbound_kind kind, const char *arg)
{
    static struct dlg_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = DLG_EV_INBOUND;
    ev.in.channel = r->channel;
    ev.in.kind = kind;
    ev.in.at = r->now;
    snprintf(ev.in.user_id, sizeof ev.in.user_id, "u1");
    snprintf(ev.in.external_id, sizeof ev.in.external_id, "m%d", r->steps);
    snprintf(ev.in.verified_phone, sizeof ev.in.verified_phone, "%s", r->from);
    switch (kind) {
    case CORE_IN_BUTTON:
        snprintf(ev.in.button_id, sizeof ev.in.button_id, "%s", arg);
        break;
    case CORE_IN_CONTACT:
        ev.in.verified_phone[0] = '\0';
        if (strncmp(arg, "other ", 6) == 0) {
            snprintf(ev.in.text, sizeof ev.in.text, "%s", arg + 6);
        } else {
            snprintf(ev.in.verified_phone, sizeof ev.in.verified_phone, "%s", arg);
            snprintf(ev.in.text, sizeof ev.in.text, "%s", arg);
        }
        break;
    default:
        snprintf(ev.in.text, sizeof ev.in.text, "%s", arg);
        break;
    }
    step(r, &ev);
}

static void feed_result(struct run *r, const char *what)
{
    static struct dlg_event ev;
    char kind[32] = "", a[32] = "", b[32] = "";
    memset(&ev, 0, sizeof ev);
    if (sscanf(what, "%31s %31s %31s", kind, a, b) < 2) {
        fail(r, "bad result line: %s%s", what, NULL);
        return;
    }
    if (strcmp(kind, "OTP_SENT") == 0) {
        ev.kind = DLG_EV_OTP_SENT;
        ev.u.otp_sent.result = strcmp(a, "ok") == 0             ? DLG_OTP_SENT_OK
                               : strcmp(a, "rate_limited") == 0 ? DLG_OTP_SENT_RATE_LIMITED
                                                                : DLG_OTP_SENT_FAILED;
        ev.u.otp_sent.retry_after_s = atoi(b);
    } else if (strcmp(kind, "OTP_CHECKED") == 0) {
        ev.kind = DLG_EV_OTP_CHECKED;
        ev.u.otp_checked.result = strcmp(a, "match") == 0     ? DLG_OTP_MATCH
                                  : strcmp(a, "wrong") == 0   ? DLG_OTP_WRONG
                                  : strcmp(a, "expired") == 0 ? DLG_OTP_EXPIRED
                                  : strcmp(a, "locked") == 0  ? DLG_OTP_LOCKED
                                                              : DLG_OTP_NONE;
        ev.u.otp_checked.attempts_left = atoi(b);
    } else if (strcmp(kind, "DECIDED") == 0) {
        ev.kind = DLG_EV_DECIDED;
        ev.u.decided.result = strcmp(a, "ok") == 0        ? DLG_DECIDE_OK
                              : strcmp(a, "already") == 0 ? DLG_DECIDE_ALREADY
                              : strcmp(a, "closed") == 0  ? DLG_DECIDE_WINDOW_CLOSED
                              : strcmp(a, "changed") == 0 ? DLG_DECIDE_CHANGED
                                                          : DLG_DECIDE_FAILED;
        snprintf(ev.u.decided.receipt, sizeof ev.u.decided.receipt, "%s", b);
        if (ev.u.decided.result == DLG_DECIDE_OK) {
            if (!r->have_decide ||
                !tdr_decide(&r->reg, r->last_decide.child_id, r->last_decide.month,
                            r->last_decide.decision, r->now, b)) {
                fail(r, "DECIDED ok without a DECIDE effect to apply%s%s", NULL, NULL);
            }
        }
    } else {
        fail(r, "unknown result kind: %s%s", kind, NULL);
        return;
    }
    step(r, &ev);
}

static const char *effect_name(enum dlg_effect_kind k)
{
    static const char *const names[] = {"OTP_SEND",     "OTP_VERIFY",    "LINK",   "UNLINK_ERASE",
                                        "SET_LANGUAGE", "SET_REMINDERS", "DECIDE", "ESCALATE"};
    return (size_t)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

/* The effect as "KIND field field ...", for matching a prefix. */
static void effect_text(const struct dlg_effect *e, char *out, size_t len)
{
    switch (e->kind) {
    case DLG_FX_OTP_SEND:
        snprintf(out, len, "OTP_SEND %s %s", e->phone, dlg_lang_code(e->lang));
        break;
    case DLG_FX_OTP_VERIFY:
        snprintf(out, len, "OTP_VERIFY %s %s", e->phone, e->code);
        break;
    case DLG_FX_LINK:
        snprintf(out, len, "LINK %lld %s", (long long)e->parent_id, e->consent_version);
        break;
    case DLG_FX_SET_LANGUAGE:
        snprintf(out, len, "SET_LANGUAGE %s", dlg_lang_code(e->lang));
        break;
    case DLG_FX_SET_REMINDERS:
        snprintf(out, len, "SET_REMINDERS %s", e->on ? "on" : "off");
        break;
    case DLG_FX_DECIDE:
        snprintf(out, len, "DECIDE %s %s %s %s %s %s",
                 e->decision == DLG_DECISION_DISPUTE ? "dispute" : "confirm", e->child_id, e->month,
                 e->days_hash_input, e->dispute_days[0] ? e->dispute_days : "-",
                 e->reason[0] ? e->reason : "-");
        break;
    case DLG_FX_ESCALATE:
        snprintf(out, len, "ESCALATE %s", e->reason);
        break;
    default:
        snprintf(out, len, "%s", effect_name(e->kind));
        break;
    }
}

static void expect_effect(struct run *r, const char *want)
{
    char text[1024];
    if (strcmp(want, "none") == 0) {
        if (r->out.n_effects != 0) {
            effect_text(&r->out.effects[0], text, sizeof text);
            fail(r, "expected no effect, got %s%s", text, NULL);
        }
        return;
    }
    for (size_t i = 0; i < r->out.n_effects; i++) {
        effect_text(&r->out.effects[i], text, sizeof text);
        if (strncmp(text, want, strlen(want)) == 0) {
            if (r->out.effects[i].kind == DLG_FX_LINK && r->out.effects[i].consent_at == 0) {
                fail(r, "LINK without a consent time%s%s", NULL, NULL);
            }
            return;
        }
    }
    fail(r, "no effect matching '%s'%s", want, NULL);
    for (size_t i = 0; i < r->out.n_effects; i++) {
        effect_text(&r->out.effects[i], text, sizeof text);
        fprintf(stderr, "  effect: %s\n", text);
    }
}

static bool any_reply_contains(const struct run *r, const char *frag)
{
    for (size_t i = 0; i < r->out.n_replies; i++) {
        const struct core_reply *rep = &r->out.replies[i];
        if (strstr(rep->text, frag)) {
            return true;
        }
        for (size_t j = 0; j < rep->n_options; j++) {
            if (strstr(rep->options[j].label, frag)) {
                return true;
            }
        }
    }
    return false;
}

static const struct core_reply *last_reply(const struct run *r)
{
    return r->out.n_replies ? &r->out.replies[r->out.n_replies - 1] : NULL;
}

static bool offers(const struct run *r, const char *id)
{
    const struct core_reply *rep = last_reply(r);
    for (size_t j = 0; rep && j < rep->n_options; j++) {
        if (strcmp(rep->options[j].id, id) == 0) {
            return true;
        }
    }
    return false;
}

static void expect_kind(struct run *r, const char *want)
{
    static const char *const names[] = {"nothing", "choice", "text", "phone", "code"};
    const struct core_reply *rep = last_reply(r);
    if (!rep || (size_t)rep->expect >= 5 || strcmp(names[rep->expect], want) != 0) {
        fail(r, "expected expect=%s%s", want, NULL);
    }
}

static void expect_step(struct run *r, const char *name)
{
    const struct dlg_step_def *def = dlg__step_def(r->st->step);
    if (!def || strcmp(def->name, name) != 0) {
        fail(r, "expected step %s, engine is at %s", name, def ? def->name : "?");
    }
}

static void advance(struct run *r, const char *hms)
{
    int h, m, s;
    if (sscanf(hms, "%d:%d:%d", &h, &m, &s) != 3) {
        fail(r, "bad time step: %s%s", hms, NULL);
        return;
    }
    r->now += (int64_t)h * 3600 + m * 60 + s;
}

static void directive(struct run *r, const char *cmd, const char *arg)
{
    if (strcmp(cmd, "@now") == 0) {
        if (core_iso8601_parse(arg, &r->now) != 0) {
            fail(r, "bad time: %s%s", arg, NULL);
        }
    } else if (strcmp(cmd, "@channel") == 0) {
        int ch = core_channel_parse(arg);
        if (ch < 0) {
            fail(r, "bad channel: %s%s", arg, NULL);
            return;
        }
        r->channel = (enum core_channel)ch;
        dlg_state_init(r->st, r->channel);
    } else if (strcmp(cmd, "@from") == 0) {
        snprintf(r->from, sizeof r->from, "%s", arg);
    } else if (strcmp(cmd, "@hours") == 0) {
        snprintf(r->cfg.contact_hours, sizeof r->cfg.contact_hours, "%s", arg);
    } else if (strcmp(cmd, "@consent") == 0) {
        snprintf(r->cfg.consent_version, sizeof r->cfg.consent_version, "%s", arg);
    } else if (strcmp(cmd, "@step") == 0) {
        expect_step(r, arg);
    } else if (strcmp(cmd, "@noreply") == 0) {
        if (r->out.n_replies) {
            fail(r, "expected no reply%s%s", NULL, NULL);
        }
    } else {
        fail(r, "unknown directive %s%s", cmd, NULL);
    }
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ')) {
        s[--n] = '\0';
    }
}

static void command(struct run *r, char *line)
{
    char *sp = strchr(line, ' ');
    const char *arg = "";
    if (sp) {
        *sp = '\0';
        arg = sp + 1;
    }
    int before = r->failures;
    if (strcmp(line, ">") == 0) {
        send_inbound(r, CORE_IN_TEXT, arg);
    } else if (strcmp(line, ">btn") == 0) {
        send_inbound(r, CORE_IN_BUTTON, arg);
    } else if (strcmp(line, ">cmd") == 0) {
        send_inbound(r, CORE_IN_COMMAND, arg);
    } else if (strcmp(line, ">contact") == 0) {
        send_inbound(r, CORE_IN_CONTACT, arg);
    } else if (strcmp(line, ">contact-other") == 0) {
        char other[64];
        snprintf(other, sizeof other, "other %s", arg);
        send_inbound(r, CORE_IN_CONTACT, other);
    } else if (strcmp(line, "<") == 0) {
        if (!any_reply_contains(r, arg)) {
            fail(r, "no reply contains '%s'%s", arg, NULL);
        }
    } else if (strcmp(line, "<!") == 0) {
        if (any_reply_contains(r, arg)) {
            fail(r, "a reply contains '%s'%s", arg, NULL);
        }
    } else if (strcmp(line, "?") == 0) {
        if (!offers(r, arg)) {
            fail(r, "option '%s' not offered%s", arg, NULL);
        }
    } else if (strcmp(line, "?!") == 0) {
        if (offers(r, arg)) {
            fail(r, "option '%s' offered%s", arg, NULL);
        }
    } else if (strcmp(line, "~") == 0) {
        expect_kind(r, arg);
    } else if (strcmp(line, "!") == 0) {
        expect_effect(r, arg);
    } else if (strcmp(line, "!none") == 0) {
        expect_effect(r, "none");
    } else if (strcmp(line, "=") == 0) {
        feed_result(r, arg);
    } else if (strcmp(line, "+") == 0) {
        advance(r, arg);
    } else if (line[0] == '@') {
        directive(r, line, arg);
    } else {
        fail(r, "unknown command: %s%s", line, NULL);
    }
    if (r->failures != before && line[0] != '>' && line[0] != '=') {
        dump_output(r);
    }
}

static int run_file(const char *registry, const char *path)
{
    struct run r;
    memset(&r, 0, sizeof r);
    r.file = path;
    r.st = calloc(1, dlg_state_size());
    if (!r.st || tdr_load(&r.reg, registry) != 0) {
        fprintf(stderr, "%s: cannot load %s\n", path, registry);
        free(r.st);
        return 1;
    }
    tdr_view(&r.reg, &r.view);
    dlg_config_defaults(&r.cfg);
    dlg_state_init(r.st, CORE_CH_CONSOLE);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", path);
        r.failures++;
    }
    char line[4096];
    while (f && fgets(line, sizeof line, f)) {
        r.line++;
        trim(line);
        if (!line[0] || line[0] == '#') {
            continue;
        }
        command(&r, line);
    }
    if (f) {
        fclose(f);
    }
    if (r.steps == 0) {
        fprintf(stderr, "%s: no steps\n", path);
        r.failures++;
    }
    printf("%s: %d steps, %d failures\n", path, r.steps, r.failures);
    tdr_free(&r.reg);
    free(r.st);
    return r.failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s REGISTRY.json TRANSCRIPT.txt...\n", argv[0]);
        return 2;
    }
    if (dlg_i18n_init(NULL, NULL) != 0) {
        fprintf(stderr, "catalogs do not parse\n");
        return 1;
    }
    int rc = 0;
    for (int i = 2; i < argc; i++) {
        rc |= run_file(argv[1], argv[i]);
    }
    return rc;
}
