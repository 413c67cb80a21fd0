/* SPDX-License-Identifier: MIT
 * Confirming a timesheet (DESIGN.md §6): child (skipped when there is one; a cancelled voucher
 * is said so), month (pending ones first, with status and deadline), the month's calendar,
 * Confirm -> "legally binding" -> Confirm -> DECIDE -> receipt; or Dispute -> wrong days ->
 * reason -> summary -> DECIDE(dispute). Outside the window the month can be reviewed but not
 * decided; a decided month shows its status and receipt. The window and standings come from
 * dialogs/rules.h only. */
#include <stdio.h>
#include <string.h>

#include "core/caltime.h"
#include "dialogs/engine_int.h"
#include "dialogs/i18n.h"
#include "dialogs/normalize.h"
#include "dialogs/rules.h"

#define TS_MAX (DLG_MAX_MONTHS * 2)

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) {
        n = cap - 1;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int dlg__load_children(struct dlg_ctx *ctx, struct dlg_child *out, size_t *n)
{
    *n = 0;
    int r = ctx->view->children(ctx->view->ctx, ctx->st->parent_id, out, DLG_MAX_CHILDREN, n);
    if (r == 0 && *n > DLG_MAX_CHILDREN) {
        *n = DLG_MAX_CHILDREN;
    }
    return r;
}

/* The selected child; 1 when it is no longer there. */
static int selected_child(struct dlg_ctx *ctx, struct dlg_child *out, size_t *n_children)
{
    struct dlg_child kids[DLG_MAX_CHILDREN];
    size_t n = 0;
    int r = dlg__load_children(ctx, kids, &n);
    if (r < 0) {
        return r;
    }
    if (n_children) {
        *n_children = n;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(kids[i].id, ctx->st->child_id) == 0) {
            *out = kids[i];
            return 0;
        }
    }
    return 1;
}

static int load_timesheets(struct dlg_ctx *ctx, struct dlg_timesheet *ts, size_t *n)
{
    *n = 0;
    int r = ctx->view->timesheets(ctx->view->ctx, ctx->st->child_id, ts, TS_MAX, n);
    if (r == 0 && *n > TS_MAX) {
        *n = TS_MAX;
    }
    return r;
}

static bool voucher_cancelled(struct dlg_ctx *ctx, const struct dlg_child *child, int *err)
{
    struct dlg_timesheet ts[TS_MAX];
    size_t n = 0;
    struct dlg_voucher_standing vs;
    *err = ctx->view->timesheets(ctx->view->ctx, child->id, ts, TS_MAX, &n);
    if (*err < 0) {
        return false;
    }
    struct dlg_voucher_input in = {child->voucher_cancelled, ts, n < TS_MAX ? n : TS_MAX};
    if (dlg_rules_voucher_standing(ctx->cfg, &in, ctx->now, &vs) != 0) {
        return child->voucher_cancelled;
    }
    return vs.state == DLG_VOUCHER_CANCELLED;
}

static int say_cancelled(struct dlg_ctx *ctx, const struct dlg_child *child)
{
    int r = dlg__say(ctx, "child.cancelled", "name", child->given_name, "voucher",
                     child->voucher_number, NULL);
    return r < 0 ? r : dlg__say_contact(ctx);
}

/* Selects a child: a cancelled voucher is said so (the dialog stays where it is). */
static int pick_child(struct dlg_ctx *ctx, const struct dlg_child *child)
{
    int err = 0;
    bool cancelled = voucher_cancelled(ctx, child, &err);
    if (err < 0) {
        return err;
    }
    if (cancelled) {
        int r = say_cancelled(ctx, child);
        return r < 0 ? r : dlg__reattach(ctx);
    }
    copy_str(ctx->st->child_id, sizeof ctx->st->child_id, child->id);
    return dlg__go_show(ctx, DLG_ST_MONTH);
}

int dlg__start_confirm(struct dlg_ctx *ctx)
{
    struct dlg_child kids[DLG_MAX_CHILDREN];
    size_t n = 0;
    int r = dlg__load_children(ctx, kids, &n);
    if (r < 0) {
        return r;
    }
    if (n == 0) {
        r = dlg__say(ctx, "children.none", NULL);
        if (r == 0) {
            r = dlg__say_contact(ctx);
        }
        return r < 0 ? r : dlg__reattach(ctx);
    }
    if (n == 1) {
        return pick_child(ctx, &kids[0]);
    }
    return dlg__go_show(ctx, DLG_ST_CHILD);
}

/* ---- child ---- */

int dlg__child_prompt(struct dlg_ctx *ctx)
{
    return dlg__say(ctx, "child.prompt", NULL);
}

int dlg__child_options(struct dlg_ctx *ctx)
{
    struct dlg_child kids[DLG_MAX_CHILDREN];
    char id[CORE_OPTION_ID_MAX];
    char label[CORE_OPTION_LABEL_MAX];
    size_t n = 0;
    int r = dlg__load_children(ctx, kids, &n);
    for (size_t i = 0; r == 0 && i < n; i++) {
        if (!dlg__concat(id, sizeof id, "child:", kids[i].id, "")) {
            continue; /* an id too long for a button cannot be offered */
        }
        dlg__concat(label, sizeof label, kids[i].given_name, " ", kids[i].surname);
        r = dlg__opt_raw(ctx, id, label);
    }
    return r < 0 ? r : dlg__opt(ctx, "back", "opt.back");
}

int dlg__child_input(struct dlg_ctx *ctx, const struct dlg_input *input)
{
    struct dlg_child kids[DLG_MAX_CHILDREN];
    size_t n = 0;
    if (input->choice && strcmp(input->choice, "back") == 0) {
        return dlg__go_show(ctx, DLG_ST_MENU);
    }
    int r = dlg__load_children(ctx, kids, &n);
    if (r < 0) {
        return r;
    }
    for (size_t i = 0; i < n; i++) {
        bool by_id = input->choice && strncmp(input->choice, "child:", 6) == 0 &&
                     strcmp(input->choice + 6, kids[i].id) == 0;
        /* the child's given name typed on its own ("Аяла") also picks the child */
        bool by_name = !input->choice && dlg__fold_eq(input->text, kids[i].given_name);
        if (by_id || by_name) {
            return pick_child(ctx, &kids[i]);
        }
    }
    return 1;
}

/* ---- month ---- */

static int
ts_standing(struct dlg_ctx *ctx, const struct dlg_timesheet *ts, enum dlg_ts_standing *out)
{
    return dlg_rules_timesheet_standing(ctx->cfg, ts, ctx->now, out);
}

int dlg__month_prompt(struct dlg_ctx *ctx)
{
    struct dlg_child child;
    int r = selected_child(ctx, &child, NULL);
    if (r != 0) {
        return r < 0 ? r : dlg__say(ctx, "month.prompt", "name", "", NULL);
    }
    struct dlg_timesheet ts[TS_MAX];
    size_t n = 0;
    r = load_timesheets(ctx, ts, &n);
    if (r < 0) {
        return r;
    }
    return dlg__say(ctx, n ? "month.prompt" : "month.none", "name", child.given_name, NULL);
}

static void month_label(struct dlg_ctx *ctx,
                        const struct dlg_timesheet *ts,
                        enum dlg_ts_standing s,
                        char *out,
                        size_t len)
{
    static const char *const keys[] = {
        [DLG_TSS_CONFIRMED] = "month.status.confirmed",
        [DLG_TSS_DISPUTED] = "month.status.disputed",
        [DLG_TSS_PENDING_OPEN] = "month.status.pending",
        [DLG_TSS_PENDING_NOT_YET] = "month.status.not_yet",
        [DLG_TSS_MISSED] = "month.status.missed",
    };
    int mi;
    char until[96] = "";
    char name[64] = "";
    char year[16] = "";
    if (core_month_parse(ts->month, &mi) == 0) {
        copy_str(name, sizeof name, dlg_month_name(ctx->st->lang, mi % 12 + 1, DLG_CASE_NOM));
        snprintf(year, sizeof year, "%d", mi / 12);
    }
    dlg__deadline(ctx, ts->month, until, sizeof until);
    char status[96];
    if (dlg__fmt(ctx, status, sizeof status, keys[s], "until", until, NULL) != 0) {
        status[0] = '\0';
    }
    if (dlg__fmt(ctx, out, len, "month.label", "month", name, "year", year, "status", status,
                 NULL) != 0 &&
        !out[0]) {
        copy_str(out, len, ts->month);
    }
}

int dlg__month_options(struct dlg_ctx *ctx)
{
    struct dlg_timesheet ts[TS_MAX];
    enum dlg_ts_standing st[TS_MAX];
    size_t n = 0;
    char id[CORE_OPTION_ID_MAX];
    char label[CORE_OPTION_LABEL_MAX];
    int r = load_timesheets(ctx, ts, &n);
    if (r < 0) {
        return r;
    }
    for (size_t i = 0; i < n; i++) {
        if (ts_standing(ctx, &ts[i], &st[i]) != 0) {
            st[i] = DLG_TSS_MISSED; /* a malformed row is shown, never offered for decision */
        }
    }
    size_t shown = 0;
    /* pending ones (can be confirmed now) first, then the rest newest first */
    for (int pass = 0; pass < 2 && r == 0; pass++) {
        for (size_t i = 0; i < n && r == 0 && shown < DLG_MAX_MONTHS; i++) {
            if ((st[i] == DLG_TSS_PENDING_OPEN) != (pass == 0)) {
                continue;
            }
            dlg__concat(id, sizeof id, "month:", ts[i].month, "");
            month_label(ctx, &ts[i], st[i], label, sizeof label);
            r = dlg__opt_raw(ctx, id, label);
            shown++;
        }
    }
    return r < 0 ? r : dlg__opt(ctx, "back", "opt.back");
}

/* The selected month's row, from the registry as it is now; 1 when it is gone. */
static int selected_ts(struct dlg_ctx *ctx, struct dlg_timesheet *out)
{
    struct dlg_timesheet ts[TS_MAX];
    size_t n = 0;
    int r = load_timesheets(ctx, ts, &n);
    if (r < 0) {
        return r;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ts[i].month, ctx->st->month) == 0) {
            *out = ts[i];
            return 0;
        }
    }
    return 1;
}

/* A month typed by name ("ноябрь", "қараша 2026"): the first offered month of that name (the
 * options list pending months first, then newest first). */
static const char *month_by_name(struct dlg_ctx *ctx, const char *text)
{
    for (size_t i = 0; i < ctx->n_opts; i++) {
        int mi;
        char with_year[96];
        if (strncmp(ctx->opts[i].id, "month:", 6) != 0 ||
            core_month_parse(ctx->opts[i].id + 6, &mi) != 0) {
            continue;
        }
        const char *name = dlg_month_name(ctx->st->lang, mi % 12 + 1, DLG_CASE_NOM);
        snprintf(with_year, sizeof with_year, "%s %d", name, mi / 12);
        if (dlg__fold_eq(text, name) || dlg__fold_eq(text, with_year)) {
            return ctx->opts[i].id;
        }
    }
    return NULL;
}

int dlg__month_input(struct dlg_ctx *ctx, const struct dlg_input *input)
{
    struct dlg_timesheet ts;
    const char *choice = input->choice ? input->choice : month_by_name(ctx, input->text);
    if (!choice) {
        return 1;
    }
    if (strcmp(choice, "back") == 0) {
        struct dlg_child child;
        size_t n = 0;
        int r = selected_child(ctx, &child, &n);
        if (r < 0) {
            return r;
        }
        return dlg__go_show(ctx, n > 1 ? DLG_ST_CHILD : DLG_ST_MENU);
    }
    if (strncmp(choice, "month:", 6) != 0) {
        return 1;
    }
    copy_str(ctx->st->month, sizeof ctx->st->month, choice + 6);
    int r = selected_ts(ctx, &ts);
    if (r != 0) {
        return r < 0 ? r : 1;
    }
    return dlg__go_show(ctx, DLG_ST_REVIEW);
}

/* ---- review ---- */

/* "from 1 to 10 December" words for the month's window. */
static int say_window(struct dlg_ctx *ctx, const char *key)
{
    int mi, y, m, d;
    char title[96], from[16], to[64];
    if (core_month_parse(ctx->st->month, &mi) != 0 ||
        dlg_rules_deadline_day(ctx->cfg, mi, &y, &m, &d) != 0 ||
        dlg_date_day_month(ctx->st->lang, d, m, to, sizeof to) != 0) {
        return dlg__say(ctx, "review.bad_days", NULL);
    }
    dlg__month_title(ctx, ctx->st->month, title, sizeof title);
    snprintf(from, sizeof from, "%d", ctx->cfg->window_first_day);
    return dlg__say(ctx, key, "month", title, "from", from, "to", to, NULL);
}

static void decided_date(struct dlg_ctx *ctx, int64_t at, char *out, size_t len)
{
    struct core_civil c;
    char dm[64];
    char year[8];
    out[0] = '\0';
    if (at <= 0) {
        return;
    }
    core_civil_from_unix(at, ctx->cfg->utc_offset_s, &c);
    snprintf(year, sizeof year, "%d", c.year);
    if (dlg_date_day_month(ctx->st->lang, c.day, c.month, dm, sizeof dm) != 0 ||
        dlg__fmt(ctx, out, len, "date.full", "day_month", dm, "year", year, NULL) != 0) {
        out[0] = '\0';
    }
}

static int say_status(struct dlg_ctx *ctx, const struct dlg_timesheet *ts, enum dlg_ts_standing s)
{
    char until[96], date[96];
    int r;
    switch (s) {
    case DLG_TSS_PENDING_OPEN:
        dlg__deadline(ctx, ts->month, until, sizeof until);
        return dlg__say(ctx, ctx->st->channel == CORE_CH_SMS ? "review.check.sms" : "review.check",
                        "until", until, NULL);
    case DLG_TSS_PENDING_NOT_YET:
        return say_window(ctx, "review.not_yet");
    case DLG_TSS_MISSED:
        r = say_window(ctx, "review.missed");
        return r < 0 ? r : dlg__say_contact(ctx);
    default:
        decided_date(ctx, ts->decided_at, date, sizeof date);
        r = dlg__say(ctx, s == DLG_TSS_CONFIRMED ? "review.confirmed" : "review.disputed", "date",
                     date, NULL);
        if (r == 0 && ts->receipt[0]) {
            r = dlg__say(ctx, "review.receipt", "receipt", ts->receipt, NULL);
        }
        if (r == 0) {
            r = dlg__say(ctx, "review.final", NULL);
        }
        return r < 0 ? r : dlg__say_contact(ctx);
    }
}

int dlg__review_prompt(struct dlg_ctx *ctx)
{
    struct dlg_timesheet ts;
    struct dlg_child child;
    enum dlg_ts_standing s;
    int r = selected_child(ctx, &child, NULL);
    if (r == 0) {
        r = selected_ts(ctx, &ts);
    }
    if (r != 0) {
        return r < 0 ? r : dlg__say(ctx, "review.gone", NULL);
    }
    copy_str(ctx->st->days, sizeof ctx->st->days, ts.days);
    if (ts_standing(ctx, &ts, &s) != 0) {
        return dlg__say(ctx, "review.bad_days", NULL);
    }
    r = dlg__say_calendar(ctx, child.given_name, ts.month, ts.days);
    return r < 0 ? r : say_status(ctx, &ts, s);
}

/* The standing of the selected month now; -1 when it is gone. */
static int current_standing(struct dlg_ctx *ctx, enum dlg_ts_standing *s)
{
    struct dlg_timesheet ts;
    int r = selected_ts(ctx, &ts);
    if (r != 0) {
        return r < 0 ? r : -1;
    }
    return ts_standing(ctx, &ts, s) == 0 ? 0 : -1;
}

int dlg__review_options(struct dlg_ctx *ctx)
{
    enum dlg_ts_standing s;
    int r = current_standing(ctx, &s);
    if (r < -1) {
        return r;
    }
    if (r == 0 && s == DLG_TSS_PENDING_OPEN) {
        r = dlg__opt(ctx, "ts:confirm", "opt.confirm");
        if (r == 0) {
            r = dlg__opt(ctx, "ts:dispute", "opt.dispute");
        }
        if (r < 0) {
            return r;
        }
    }
    r = dlg__opt(ctx, "back", "opt.back");
    return r < 0 ? r : dlg__opt(ctx, "menu", "opt.menu");
}

/* Confirm or dispute asked for a month that cannot be decided now: explain why. */
static int refuse_decision(struct dlg_ctx *ctx, enum dlg_ts_standing s)
{
    int r;
    if (s == DLG_TSS_PENDING_NOT_YET || s == DLG_TSS_MISSED) {
        r = say_window(ctx, "window.refused");
    } else {
        r = dlg__say(ctx, "review.final", NULL);
        if (r == 0) {
            r = dlg__say_contact(ctx);
        }
    }
    return r < 0 ? r : dlg__reattach(ctx);
}

int dlg__review_input(struct dlg_ctx *ctx, const struct dlg_input *input)
{
    enum dlg_ts_standing s;
    int r;
    if (input->choice && strcmp(input->choice, "back") == 0) {
        return dlg__go_show(ctx, DLG_ST_MONTH);
    }
    /* confirm / dispute asked by word even when the month does not offer them (to explain) */
    bool wants_confirm = input->choice ? strcmp(input->choice, "ts:confirm") == 0
                                       : input->keyword == DLG_KW_CONFIRM ||
                                             dlg__text_is_label(ctx, input->text, "opt.confirm");
    bool wants_dispute = input->choice ? strcmp(input->choice, "ts:dispute") == 0
                                       : input->keyword == DLG_KW_DISPUTE ||
                                             dlg__text_is_label(ctx, input->text, "opt.dispute");
    if (!wants_confirm && !wants_dispute) {
        return 1;
    }
    r = current_standing(ctx, &s);
    if (r < -1) {
        return r;
    }
    if (r < 0) {
        r = dlg__say(ctx, "review.gone", NULL);
        return r < 0 ? r : dlg__jump(ctx, DLG_ST_MENU);
    }
    if (s != DLG_TSS_PENDING_OPEN) {
        return refuse_decision(ctx, s);
    }
    if (wants_dispute) {
        ctx->st->dispute_days = 0;
        ctx->st->reason = DLG_REASON_NONE;
        ctx->st->reason_text[0] = '\0';
        return dlg__go_show(ctx, DLG_ST_DISPUTE_DAYS);
    }
    return dlg__go_show(ctx, DLG_ST_CONFIRM_SURE);
}

/* ---- confirm ---- */

int dlg__sure_prompt(struct dlg_ctx *ctx)
{
    char title[96];
    dlg__month_title(ctx, ctx->st->month, title, sizeof title);
    /* SMS: the same legal notice, compact enough for one message within the segment cap */
    return dlg__say(ctx, ctx->st->channel == CORE_CH_SMS ? "sure.prompt.sms" : "sure.prompt",
                    "month", title, NULL);
}

int dlg__sure_options(struct dlg_ctx *ctx)
{
    /* On SMS the review's "confirm" is option 1: a parent who sends "1" again because the
     * answer was slow must land on "back", never on a legally binding signature. */
    if (ctx->st->channel == CORE_CH_SMS) {
        int r = dlg__opt(ctx, "back", "opt.back");
        return r < 0 ? r : dlg__opt(ctx, DLG_OPT_SIGN, "opt.confirm");
    }
    int r = dlg__opt(ctx, DLG_OPT_SIGN, "opt.confirm");
    return r < 0 ? r : dlg__opt(ctx, "back", "opt.back");
}

static int decide(struct dlg_ctx *ctx, enum dlg_decision decision)
{
    enum dlg_ts_standing s;
    struct dlg_effect *fx;
    int r = current_standing(ctx, &s);
    if (r < -1) {
        return r;
    }
    if (r < 0 || s != DLG_TSS_PENDING_OPEN) {
        /* the window closed (or someone decided) between review and confirm */
        r = r < 0 ? dlg__say(ctx, "review.gone", NULL) : say_window(ctx, "window.refused");
        return r < 0 ? r : dlg__go_show(ctx, DLG_ST_REVIEW);
    }
    r = dlg__effect(ctx, DLG_FX_DECIDE, &fx);
    if (r < 0) {
        return r;
    }
    fx->decision = decision;
    copy_str(fx->child_id, sizeof fx->child_id, ctx->st->child_id);
    copy_str(fx->month, sizeof fx->month, ctx->st->month);
    copy_str(fx->days_hash_input, sizeof fx->days_hash_input, ctx->st->days);
    if (decision == DLG_DECISION_DISPUTE) {
        static const char *const ids[] = {"", "was_absent", "was_present", "was_ill", ""};
        if (dlg_daylist_canonical(ctx->st->dispute_days, fx->dispute_days,
                                  sizeof fx->dispute_days) != 0) {
            return CORE_ETOOBIG;
        }
        copy_str(fx->reason, sizeof fx->reason,
                 ctx->st->reason == DLG_REASON_OTHER ? ctx->st->reason_text : ids[ctx->st->reason]);
    }
    ctx->st->decision = decision;
    return dlg__go(ctx, DLG_ST_DECIDE_WAIT);
}

int dlg__sure_input(struct dlg_ctx *ctx, const struct dlg_input *input)
{
    if (!input->choice) {
        return 1;
    }
    if (strcmp(input->choice, DLG_OPT_SIGN) == 0) {
        return decide(ctx, DLG_DECISION_CONFIRM);
    }
    return dlg__go_show(ctx, DLG_ST_REVIEW);
}

/* ---- dispute ---- */

int dlg__ddays_prompt(struct dlg_ctx *ctx)
{
    return dlg__say(ctx, "ddays.prompt", NULL);
}

int dlg__ddays_options(struct dlg_ctx *ctx)
{
    int r = dlg__opt(ctx, "days:all", "opt.whole_month");
    return r < 0 ? r : dlg__opt(ctx, "back", "opt.back");
}

int dlg__ddays_input(struct dlg_ctx *ctx, const struct dlg_input *input)
{
    int mi;
    struct dlg_daylist_result res;
    char a[16], b[16];
    int r;
    if (core_month_parse(ctx->st->month, &mi) != 0) {
        return dlg__jump(ctx, DLG_ST_MENU);
    }
    int ndays = core_days_in_month(mi / 12, mi % 12 + 1);
    /* here a typed number is a day ("2"), not an option number */
    int number;
    const char *choice =
        input->in->kind == CORE_IN_TEXT && dlg_option_number(input->text, &number) == 0
            ? NULL
            : input->choice;
    if (choice && strcmp(choice, "back") == 0) {
        return dlg__go_show(ctx, DLG_ST_REVIEW);
    }
    if (choice && strcmp(choice, "days:all") == 0) {
        ctx->st->dispute_days = (uint32_t)(((1ull << ndays) - 1) << 1);
        return dlg__go_show(ctx, DLG_ST_DISPUTE_REASON);
    }
    if (input->in->kind != CORE_IN_TEXT) {
        return 1;
    }
    switch (dlg_daylist_parse(input->text, ndays, &res)) {
    case DLG_DAYLIST_OK:
        ctx->st->dispute_days = res.days;
        return dlg__go_show(ctx, DLG_ST_DISPUTE_REASON);
    case DLG_DAYLIST_OUT_OF_RANGE:
        snprintf(a, sizeof a, "%d", res.bad_day);
        snprintf(b, sizeof b, "%d", ndays);
        r = dlg__say(ctx, "ddays.range", "day", a, "last", b, NULL);
        break;
    case DLG_DAYLIST_REVERSED:
        snprintf(a, sizeof a, "%d", res.bad_day);
        snprintf(b, sizeof b, "%d", res.bad_day_to);
        r = dlg__say(ctx, "ddays.reversed", "from", a, "to", b, NULL);
        break;
    default:
        return 1;
    }
    return r < 0 ? r : dlg__reattach(ctx);
}

int dlg__reason_prompt(struct dlg_ctx *ctx)
{
    return dlg__say(ctx, "reason.prompt", NULL);
}

int dlg__reason_options(struct dlg_ctx *ctx)
{
    int r = dlg__opt(ctx, "reason:absent", "reason.was_absent");
    if (r == 0) {
        r = dlg__opt(ctx, "reason:present", "reason.was_present");
    }
    if (r == 0) {
        r = dlg__opt(ctx, "reason:ill", "reason.was_ill");
    }
    if (r == 0) {
        r = dlg__opt(ctx, "reason:other", "reason.custom");
    }
    return r < 0 ? r : dlg__opt(ctx, "back", "opt.back");
}

int dlg__reason_input(struct dlg_ctx *ctx, const struct dlg_input *input)
{
    static const struct {
        const char *id;
        enum dlg_reason reason;
    } map[] = {{"reason:absent", DLG_REASON_WAS_ABSENT},
               {"reason:present", DLG_REASON_WAS_PRESENT},
               {"reason:ill", DLG_REASON_WAS_ILL}};
    if (!input->choice) {
        return 1;
    }
    if (strcmp(input->choice, "back") == 0) {
        return dlg__go_show(ctx, DLG_ST_DISPUTE_DAYS);
    }
    if (strcmp(input->choice, "reason:other") == 0) {
        ctx->st->reason = DLG_REASON_OTHER;
        return dlg__go_show(ctx, DLG_ST_DISPUTE_TEXT);
    }
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(input->choice, map[i].id) == 0) {
            ctx->st->reason = map[i].reason;
            ctx->st->reason_text[0] = '\0';
            return dlg__go_show(ctx, DLG_ST_DISPUTE_SEND);
        }
    }
    return 1;
}

int dlg__rtext_prompt(struct dlg_ctx *ctx)
{
    return dlg__say(ctx, "rtext.prompt", NULL);
}

int dlg__back_options(struct dlg_ctx *ctx)
{
    return dlg__opt(ctx, "back", "opt.back");
}

/* Characters in valid UTF-8 text, or -1 when it is not valid UTF-8 (overlongs, surrogates and
 * code points past U+10FFFF included). */
static long utf8_chars(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    long n = 0;
    while (*p) {
        unsigned c = *p;
        size_t len = c < 0x80             ? 1
                     : (c & 0xE0) == 0xC0 ? 2
                     : (c & 0xF0) == 0xE0 ? 3
                     : (c & 0xF8) == 0xF0 ? 4
                                          : 0;
        if (len == 0) {
            return -1;
        }
        uint32_t cp = len == 1 ? c : c & (0x7Fu >> len);
        for (size_t i = 1; i < len; i++) {
            if ((p[i] & 0xC0) != 0x80) {
                return -1;
            }
            cp = (cp << 6) | (p[i] & 0x3Fu);
        }
        static const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return -1;
        }
        p += len;
        n++;
    }
    return n;
}

/* The reason travels in the DECIDE effect's 512-byte field: 250 characters fit in any script
 * the parents use (Cyrillic takes two bytes a character). */
#define REASON_CHARS_MAX 250

int dlg__rtext_input(struct dlg_ctx *ctx, const struct dlg_input *input)
{
    if (input->choice && strcmp(input->choice, "back") == 0) {
        return dlg__go_show(ctx, DLG_ST_DISPUTE_REASON);
    }
    if (input->in->kind != CORE_IN_TEXT || !input->text[0]) {
        return 1;
    }
    long chars = utf8_chars(input->text);
    if (chars < 0) {
        return 1; /* not text: help */
    }
    if (chars > REASON_CHARS_MAX || strlen(input->text) >= sizeof ctx->st->reason_text) {
        char n[16];
        snprintf(n, sizeof n, "%d", REASON_CHARS_MAX);
        int r = dlg__say(ctx, "rtext.too_long", "max", n, NULL);
        return r < 0 ? r : dlg__reattach(ctx);
    }
    copy_str(ctx->st->reason_text, sizeof ctx->st->reason_text, input->text);
    return dlg__go_show(ctx, DLG_ST_DISPUTE_SEND);
}

int dlg__dsend_prompt(struct dlg_ctx *ctx)
{
    static const char *const keys[] = {"", "reason.was_absent", "reason.was_present",
                                       "reason.was_ill", ""};
    char title[96], days[DLG_DAYLIST_MAX];
    dlg__month_title(ctx, ctx->st->month, title, sizeof title);
    dlg__days_text(ctx->st->dispute_days, days, sizeof days);
    const char *reason = ctx->st->reason == DLG_REASON_OTHER
                             ? ctx->st->reason_text
                             : dlg_i18n_text(ctx->st->lang, keys[ctx->st->reason]);
    return dlg__say(ctx, "dsend.prompt", "month", title, "days", days, "reason", reason, NULL);
}

int dlg__dsend_options(struct dlg_ctx *ctx)
{
    int r = dlg__opt(ctx, DLG_OPT_SEND_DISPUTE, "opt.send_kg");
    return r < 0 ? r : dlg__opt(ctx, "back", "opt.back");
}

int dlg__dsend_input(struct dlg_ctx *ctx, const struct dlg_input *input)
{
    if (!input->choice) {
        return 1;
    }
    if (strcmp(input->choice, DLG_OPT_SEND_DISPUTE) == 0) {
        return decide(ctx, DLG_DECISION_DISPUTE);
    }
    return dlg__go_show(ctx, DLG_ST_DISPUTE_REASON);
}

/* ---- the result ---- */

int dlg__on_decided(struct dlg_ctx *ctx)
{
    struct dlg_state *st = ctx->st;
    char title[96];
    int r;
    if (st->step != DLG_ST_DECIDE_WAIT || st->parent_id == 0) {
        return 0; /* a stale result: the dialog has moved on */
    }
    dlg__month_title(ctx, st->month, title, sizeof title);
    switch (ctx->ev->u.decided.result) {
    case DLG_DECIDE_OK:
        r = dlg__say(
            ctx, st->decision == DLG_DECISION_DISPUTE ? "decided.disputed" : "decided.confirmed",
            "month", title, "receipt", ctx->ev->u.decided.receipt, NULL);
        if (r == 0 && ctx->st->channel == CORE_CH_SMS) {
            /* SMS: the receipt is its own message, never cut to make room for the menu */
            dlg__finish_reply(ctx, CORE_EXPECT_NOTHING);
        }
        break;
    case DLG_DECIDE_ALREADY:
        r = dlg__say(ctx, "decided.already", "month", title, NULL);
        if (r == 0) {
            r = dlg__say_contact(ctx);
        }
        break;
    case DLG_DECIDE_WINDOW_CLOSED:
        r = say_window(ctx, "decided.closed");
        break;
    case DLG_DECIDE_CHANGED:
        r = dlg__say(ctx, "decided.changed", "month", title, NULL);
        break;
    default:
        r = dlg__say(ctx, "decided.failed", NULL);
        if (r == 0) {
            r = dlg__say_contact(ctx);
        }
        break;
    }
    if (r < 0) {
        return r;
    }
    r = dlg__go(ctx, DLG_ST_MENU);
    if (r < 0) {
        return r;
    }
    st->child_id[0] = '\0';
    st->month[0] = '\0';
    st->days[0] = '\0';
    st->dispute_days = 0;
    st->reason = DLG_REASON_NONE;
    st->reason_text[0] = '\0';
    return dlg__show(ctx);
}
