/* SPDX-License-Identifier: MIT
 * The dialog engine (DESIGN.md §6): the step table and dlg_step. One call takes the parent's
 * message (or an effect's result), resolves it against the current step's options (button id,
 * number, keyword in kk/ru/en, or the label itself), applies the everywhere-rules (operator,
 * menu, help, stop, language, idle timeout, the third unknown input) and hands the rest to the
 * step's handler. Handlers move only along the edges the table declares; the same table
 * generates the diagram in docs/dialogs.md (dialogs/diagram.c). */
#include <stdarg.h>
#include <string.h>

#include "dialogs/engine_int.h"
#include "dialogs/i18n.h"
#include "dialogs/normalize.h"

/* ---- the step table ---- */

/* The table reads better one step per block, so it is kept out of clang-format.
 * A step: id, name, what it expects, linked-only, part of registration; help text, prompt,
 * options, input handler; and its edges E(to, what takes it). */
/* clang-format off */
#define E(to, label) {to, label}

static const struct dlg_step_def steps[DLG_ST_COUNT] = {
    [DLG_ST_LANG] = {DLG_ST_LANG, "LANG", CORE_EXPECT_CHOICE, false, false,
        "help.lang", dlg__lang_prompt, dlg__lang_options, dlg__lang_input,
        {E(DLG_ST_CONSENT, "language chosen")}},
    [DLG_ST_CONSENT] = {DLG_ST_CONSENT, "CONSENT", CORE_EXPECT_CHOICE, false, false,
        "help.consent", dlg__consent_prompt, dlg__consent_options, dlg__consent_input,
        {E(DLG_ST_PHONE, "accepted (Telegram, web, console)"),
         E(DLG_ST_IIN, "accepted, phone known (SMS, WhatsApp)"),
         E(DLG_ST_MENU, "new policy version accepted (linked), LINK"),
         E(DLG_ST_DECLINED, "refused")}},
    [DLG_ST_DECLINED] = {DLG_ST_DECLINED, "DECLINED", CORE_EXPECT_CHOICE, false, false,
        "help.declined", dlg__declined_prompt, dlg__declined_options, dlg__declined_input,
        {E(DLG_ST_CONSENT, "any message"),
         E(DLG_ST_UNLINK_SURE, "unlink (linked)")}},
    [DLG_ST_PHONE] = {DLG_ST_PHONE, "PHONE", CORE_EXPECT_PHONE, false, true,
        /* no options: Telegram shows its share-contact keyboard instead */
        "help.phone", dlg__phone_prompt, NULL, dlg__phone_input,
        {E(DLG_ST_IIN, "mobile number shared or typed")}},
    [DLG_ST_IIN] = {DLG_ST_IIN, "IIN", CORE_EXPECT_TEXT, false, true,
        "help.iin", dlg__iin_prompt, dlg__iin_options, dlg__iin_input,
        {E(DLG_ST_OTP_WAIT, "holder found, OTP_SEND"),
         E(DLG_ST_PHONE, "change phone")}},
    [DLG_ST_OTP_WAIT] = {DLG_ST_OTP_WAIT, "OTP_WAIT", CORE_EXPECT_NOTHING, false, true,
        "help.wait", NULL, NULL, dlg__wait_input,
        {E(DLG_ST_CODE, "OTP_SENT ok / rate limited / failed")}},
    [DLG_ST_CODE] = {DLG_ST_CODE, "CODE", CORE_EXPECT_CODE, false, true,
        "help.code", dlg__code_prompt, dlg__code_options, dlg__code_input,
        {E(DLG_ST_CODE_WAIT, "code typed, OTP_VERIFY"),
         E(DLG_ST_OTP_WAIT, "resend, OTP_SEND"),
         E(DLG_ST_IIN, "change IIN")}},
    [DLG_ST_CODE_WAIT] = {DLG_ST_CODE_WAIT, "CODE_WAIT", CORE_EXPECT_NOTHING, false, true,
        "help.wait", NULL, NULL, dlg__wait_input,
        {E(DLG_ST_IDENTITY, "OTP_CHECKED match"),
         E(DLG_ST_CODE, "wrong / expired / locked"),
         E(DLG_ST_IIN, "holder no longer in the registry")}},
    [DLG_ST_IDENTITY] = {DLG_ST_IDENTITY, "IDENTITY", CORE_EXPECT_CHOICE, false, true,
        "help.identity", dlg__identity_prompt, dlg__identity_options, dlg__identity_input,
        {E(DLG_ST_MENU, "this is me, LINK"),
         E(DLG_ST_IIN, "not me")}},
    [DLG_ST_MENU] = {DLG_ST_MENU, "MENU", CORE_EXPECT_CHOICE, true, false,
        "help.menu", dlg__menu_prompt, dlg__menu_options, dlg__menu_input,
        {E(DLG_ST_CHILD, "confirm a timesheet"),
         E(DLG_ST_MONTH, "confirm, one child"),
         E(DLG_ST_MENU, "children, stop, resume"),
         E(DLG_ST_LANG_PICK, "language"),
         E(DLG_ST_UNLINK_SURE, "unlink")}},
    [DLG_ST_LANG_PICK] = {DLG_ST_LANG_PICK, "LANG_PICK", CORE_EXPECT_CHOICE, true, false,
        "help.lang", dlg__lang_prompt, dlg__lang_options, dlg__lang_input,
        {E(DLG_ST_MENU, "language chosen, SET_LANGUAGE")}},
    [DLG_ST_UNLINK_SURE] = {DLG_ST_UNLINK_SURE, "UNLINK_SURE", CORE_EXPECT_CHOICE, true, false,
        "help.unlink", dlg__unlink_prompt, dlg__yes_no_options, dlg__unlink_input,
        {E(DLG_ST_LANG, "yes, UNLINK_ERASE, fresh chat"),
         E(DLG_ST_MENU, "no")}},
    [DLG_ST_CHILD] = {DLG_ST_CHILD, "CHILD", CORE_EXPECT_CHOICE, true, false,
        "help.child", dlg__child_prompt, dlg__child_options, dlg__child_input,
        {E(DLG_ST_MONTH, "child chosen"),
         E(DLG_ST_MENU, "back / voucher cancelled")}},
    [DLG_ST_MONTH] = {DLG_ST_MONTH, "MONTH", CORE_EXPECT_CHOICE, true, false,
        "help.month", dlg__month_prompt, dlg__month_options, dlg__month_input,
        {E(DLG_ST_REVIEW, "month chosen"),
         E(DLG_ST_CHILD, "back"),
         E(DLG_ST_MENU, "back (one child)")}},
    [DLG_ST_REVIEW] = {DLG_ST_REVIEW, "REVIEW", CORE_EXPECT_CHOICE, true, false,
        "help.review", dlg__review_prompt, dlg__review_options, dlg__review_input,
        {E(DLG_ST_CONFIRM_SURE, "confirm (window open)"),
         E(DLG_ST_DISPUTE_DAYS, "dispute (window open)"),
         E(DLG_ST_MONTH, "back")}},
    [DLG_ST_CONFIRM_SURE] = {DLG_ST_CONFIRM_SURE, "CONFIRM_SURE", CORE_EXPECT_CHOICE, true, false,
        "help.sure", dlg__sure_prompt, dlg__sure_options, dlg__sure_input,
        {E(DLG_ST_DECIDE_WAIT, "confirm, DECIDE(confirm)"),
         E(DLG_ST_REVIEW, "back / window closed")}},
    [DLG_ST_DISPUTE_DAYS] = {DLG_ST_DISPUTE_DAYS, "DISPUTE_DAYS", CORE_EXPECT_TEXT, true, false,
        "help.ddays", dlg__ddays_prompt, dlg__ddays_options, dlg__ddays_input,
        {E(DLG_ST_DISPUTE_REASON, "days typed or whole month"),
         E(DLG_ST_REVIEW, "back")}},
    [DLG_ST_DISPUTE_REASON] = {DLG_ST_DISPUTE_REASON, "DISPUTE_REASON", CORE_EXPECT_CHOICE,
        true, false,
        "help.reason", dlg__reason_prompt, dlg__reason_options, dlg__reason_input,
        {E(DLG_ST_DISPUTE_SEND, "reason chosen"),
         E(DLG_ST_DISPUTE_TEXT, "other"),
         E(DLG_ST_DISPUTE_DAYS, "back")}},
    [DLG_ST_DISPUTE_TEXT] = {DLG_ST_DISPUTE_TEXT, "DISPUTE_TEXT", CORE_EXPECT_TEXT, true, false,
        "help.rtext", dlg__rtext_prompt, dlg__back_options, dlg__rtext_input,
        {E(DLG_ST_DISPUTE_SEND, "reason typed"),
         E(DLG_ST_DISPUTE_REASON, "back")}},
    [DLG_ST_DISPUTE_SEND] = {DLG_ST_DISPUTE_SEND, "DISPUTE_SEND", CORE_EXPECT_CHOICE, true, false,
        "help.dsend", dlg__dsend_prompt, dlg__dsend_options, dlg__dsend_input,
        {E(DLG_ST_DECIDE_WAIT, "send, DECIDE(dispute)"),
         E(DLG_ST_DISPUTE_REASON, "back"),
         E(DLG_ST_REVIEW, "window closed")}},
    [DLG_ST_DECIDE_WAIT] = {DLG_ST_DECIDE_WAIT, "DECIDE_WAIT", CORE_EXPECT_NOTHING, true, false,
        "help.wait", NULL, NULL, dlg__wait_input,
        {E(DLG_ST_MENU, "DECIDED, receipt / already / closed / failed")}},
};
/* clang-format on */

const struct dlg_step_def *dlg__step_def(enum dlg_step_id id)
{
    if ((int)id < 0 || id >= DLG_ST_COUNT) {
        return NULL;
    }
    return &steps[id];
}

int dlg__step_by_name(const char *name)
{
    for (int i = 0; i < DLG_ST_COUNT; i++) {
        if (strcmp(steps[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

/* ---- small public helpers of dialog.h ---- */

static const char *const lang_codes[DLG_LANG_COUNT] = {"kk", "ru", "en"};

const char *dlg_lang_code(enum dlg_lang lang)
{
    if ((int)lang < 0 || lang >= DLG_LANG_COUNT) {
        return "kk";
    }
    return lang_codes[lang];
}

int dlg_lang_parse(const char *code)
{
    for (int i = 0; code && i < DLG_LANG_COUNT; i++) {
        if (strcmp(code, lang_codes[i]) == 0) {
            return i;
        }
    }
    return -1;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) {
        n = cap - 1;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void dlg_config_defaults(struct dlg_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->utc_offset_s = 5 * 3600;
    cfg->window_first_day = 1;
    cfg->window_last_day = 10;
    cfg->idle_timeout_s = 1800;
    cfg->otp_ttl_s = 300;
    cfg->otp_resend_cooldown_s = 60;
    cfg->otp_max_attempts = 5;
    copy_str(cfg->consent_version, sizeof cfg->consent_version, "2026-11");
    copy_str(cfg->contact_phone, sizeof cfg->contact_phone, "8 (727) 339-72-22");
    copy_str(cfg->contact_whatsapp, sizeof cfg->contact_whatsapp, "8 (747) 339-72-22");
}

/* ---- moving between steps ---- */

int dlg__go(struct dlg_ctx *ctx, enum dlg_step_id to)
{
    const struct dlg_step_def *def = dlg__step_def(ctx->st->step);
    for (size_t i = 0; def && i < DLG_MAX_EDGES && def->edges[i].label; i++) {
        if (def->edges[i].to == to) {
            ctx->st->step = to;
            return 0;
        }
    }
    return CORE_ESTATE; /* an undeclared edge: the table (and the diagram) would lie */
}

int dlg__show(struct dlg_ctx *ctx)
{
    const struct dlg_step_def *def = dlg__step_def(ctx->st->step);
    int r;
    ctx->n_opts = 0;
    if (def->prompt) {
        r = def->prompt(ctx);
        if (r < 0) {
            return r;
        }
    }
    if (def->options) {
        r = def->options(ctx);
        if (r < 0) {
            return r;
        }
    }
    if (ctx->reply) {
        dlg__finish_reply(ctx, def->expect);
    }
    return 0;
}

int dlg__go_show(struct dlg_ctx *ctx, enum dlg_step_id to)
{
    int r = dlg__go(ctx, to);
    return r < 0 ? r : dlg__show(ctx);
}

/* Clears what a dialog in progress had selected. */
static void clear_selection(struct dlg_state *st)
{
    st->child_id[0] = '\0';
    st->month[0] = '\0';
    st->days[0] = '\0';
    st->dispute_days = 0;
    st->reason = DLG_REASON_NONE;
    st->reason_text[0] = '\0';
}

int dlg__jump(struct dlg_ctx *ctx, enum dlg_step_id to)
{
    struct dlg_state *st = ctx->st;
    if (to == DLG_ST_MENU || to == DLG_ST_LANG) {
        clear_selection(st);
    }
    if (to == DLG_ST_LANG && st->parent_id == 0) {
        /* a fresh start of registration: nothing typed so far is kept */
        st->phone[0] = '\0';
        st->iin[0] = '\0';
        st->holder_id = 0;
        st->otp_sent_at = 0;
    }
    st->step = to;
    return dlg__show(ctx);
}

int dlg__effect(struct dlg_ctx *ctx, enum dlg_effect_kind kind, struct dlg_effect **fx)
{
    if (ctx->out->n_effects >= DLG_MAX_EFFECTS) {
        return CORE_ETOOBIG;
    }
    struct dlg_effect *e = &ctx->out->effects[ctx->out->n_effects++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->lang = ctx->st->lang;
    if (fx) {
        *fx = e;
    }
    return 0;
}

int dlg__escalate(struct dlg_ctx *ctx, const char *reason)
{
    struct dlg_effect *fx;
    int r = dlg__effect(ctx, DLG_FX_ESCALATE, &fx);
    if (r < 0) {
        return r;
    }
    copy_str(fx->reason, sizeof fx->reason, reason);
    r = dlg__say(ctx, "operator.escalated", NULL);
    return r < 0 ? r : dlg__say_contact(ctx);
}

/* ---- input resolution ---- */

/* Keywords that stand for an option id, first match in the step's options wins. */
static const struct {
    enum dlg_keyword kw;
    const char *ids[8];
} kw_options[] = {
    {DLG_KW_YES, {"yes", DLG_OPT_SIGN, DLG_OPT_SEND_DISPUTE, DLG_OPT_ERASE, DLG_OPT_ITS_ME, NULL}},
    {DLG_KW_NO, {"no", "back", NULL}},
    {DLG_KW_BACK, {"back", "no", NULL}},
    {DLG_KW_CANCEL, {"back", "no", NULL}},
    {DLG_KW_CONFIRM,
     {"ts:confirm", "yes", DLG_OPT_SIGN, DLG_OPT_SEND_DISPUTE, DLG_OPT_ERASE, DLG_OPT_ITS_ME,
      NULL}},
    {DLG_KW_DISPUTE, {"ts:dispute", NULL}},
    {DLG_KW_RESEND, {"otp:resend", NULL}},
    {DLG_KW_CHILDREN, {"menu:children", NULL}},
    {DLG_KW_UNLINK, {"menu:unlink", NULL}},
    {DLG_KW_LANG_KK, {"lang:kk", NULL}},
    {DLG_KW_LANG_RU, {"lang:ru", NULL}},
    {DLG_KW_LANG_EN, {"lang:en", NULL}},
};

static const char *find_opt(const struct dlg_ctx *ctx, const char *id)
{
    for (size_t i = 0; i < ctx->n_opts; i++) {
        if (strcmp(ctx->opts[i].id, id) == 0) {
            return ctx->opts[i].id;
        }
    }
    return NULL;
}

static const char *resolve_by_keyword(const struct dlg_ctx *ctx, enum dlg_keyword kw)
{
    for (size_t i = 0; i < sizeof kw_options / sizeof kw_options[0]; i++) {
        if (kw_options[i].kw != kw) {
            continue;
        }
        for (size_t j = 0; j < 8 && kw_options[i].ids[j]; j++) {
            const char *id = find_opt(ctx, kw_options[i].ids[j]);
            if (id) {
                return id;
            }
        }
    }
    return NULL;
}

static const char *resolve_by_label(const struct dlg_ctx *ctx, const char *text)
{
    char folded[256];
    char label[CORE_OPTION_LABEL_MAX * 2 + 1];
    if (strlen(text) >= 120 || dlg_fold(text, folded, sizeof folded) != 0 || !folded[0]) {
        return NULL;
    }
    for (size_t i = 0; i < ctx->n_opts; i++) {
        if (dlg_fold(ctx->opts[i].label, label, sizeof label) == 0 && strcmp(label, folded) == 0) {
            return ctx->opts[i].id;
        }
    }
    return NULL;
}

bool dlg__fold_eq(const char *a, const char *b)
{
    char fa[256];
    char fb[256];
    return strlen(a) < 120 && strlen(b) < 120 && dlg_fold(a, fa, sizeof fa) == 0 && fa[0] &&
           dlg_fold(b, fb, sizeof fb) == 0 && strcmp(fa, fb) == 0;
}

bool dlg__text_is_label(const struct dlg_ctx *ctx, const char *text, const char *label_key)
{
    return dlg__fold_eq(text, dlg_i18n_text(ctx->st->lang, label_key));
}

/* The current step's options into ctx->opts, without any text. */
static int load_options(struct dlg_ctx *ctx)
{
    const struct dlg_step_def *def = dlg__step_def(ctx->st->step);
    ctx->n_opts = 0;
    return def->options ? def->options(ctx) : 0;
}

static const char *
resolve(struct dlg_ctx *ctx, const struct core_inbound *in, const char *text, enum dlg_keyword kw)
{
    int number;
    if (in->kind == CORE_IN_BUTTON) {
        return find_opt(ctx, in->button_id);
    }
    if (in->kind != CORE_IN_TEXT) {
        return NULL;
    }
    if (dlg_option_number(text, &number) == 0 && number >= 1 && (size_t)number <= ctx->n_opts) {
        return ctx->opts[number - 1].id;
    }
    const char *id = kw != DLG_KW_NONE ? resolve_by_keyword(ctx, kw) : NULL;
    return id ? id : resolve_by_label(ctx, text);
}

/* ---- everywhere-rules ---- */

/* Re-shows only the options of the current step under the text said so far. */
int dlg__reattach(struct dlg_ctx *ctx)
{
    const struct dlg_step_def *def = dlg__step_def(ctx->st->step);
    int r = load_options(ctx);
    if (r < 0) {
        return r;
    }
    dlg__finish_reply(ctx, def->expect);
    return 0;
}

int dlg__set_language(struct dlg_ctx *ctx, enum dlg_lang lang)
{
    struct dlg_effect *fx;
    ctx->st->lang = lang;
    ctx->st->lang_chosen = true;
    int r = dlg__effect(ctx, DLG_FX_SET_LANGUAGE, &fx);
    if (r == 0) {
        fx->lang = lang;
    }
    return r;
}

int dlg__set_reminders(struct dlg_ctx *ctx, bool on)
{
    struct dlg_effect *fx;
    int r = dlg__effect(ctx, DLG_FX_SET_REMINDERS, &fx);
    if (r < 0) {
        return r;
    }
    fx->on = on;
    ctx->st->reminders_off = !on;
    return dlg__say(ctx, on ? "resume.done" : "stop.done", NULL);
}

static int global_stop(struct dlg_ctx *ctx)
{
    int r = dlg__set_reminders(ctx, false);
    return r < 0 ? r : dlg__reattach(ctx);
}

static enum dlg_keyword button_keyword(const char *id)
{
    if (strcmp(id, "op") == 0) {
        return DLG_KW_OPERATOR;
    }
    if (strcmp(id, "menu") == 0) {
        return DLG_KW_MENU;
    }
    if (strcmp(id, "help") == 0) {
        return DLG_KW_HELP;
    }
    if (strcmp(id, "lang:kk") == 0) {
        return DLG_KW_LANG_KK;
    }
    if (strcmp(id, "lang:ru") == 0) {
        return DLG_KW_LANG_RU;
    }
    if (strcmp(id, "lang:en") == 0) {
        return DLG_KW_LANG_EN;
    }
    return DLG_KW_NONE;
}

static bool at_language_step(const struct dlg_state *st)
{
    return st->step == DLG_ST_LANG || st->step == DLG_ST_LANG_PICK;
}

/* SMS: START / СТАРТ / БАСТАУ (not a greeting, which is the same keyword) undoes STOP. */
static bool resume_word(const struct dlg_ctx *ctx)
{
    static const char *const words[] = {"start", "старт", "бастау"};
    char folded[32];
    if (ctx->ev->kind != DLG_EV_INBOUND || ctx->ev->in.kind != CORE_IN_TEXT ||
        dlg_fold(ctx->ev->in.text, folded, sizeof folded) != 0) {
        return false;
    }
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strcmp(folded, words[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Returns 1 when kw is not an everywhere-keyword here. */
static int global_keyword(struct dlg_ctx *ctx, enum dlg_keyword kw)
{
    struct dlg_state *st = ctx->st;
    bool linked = st->parent_id != 0;
    int r;
    switch (kw) {
    case DLG_KW_OPERATOR:
        r = dlg__escalate(ctx, "operator");
        return r < 0 ? r : dlg__reattach(ctx);
    case DLG_KW_START:
        if (st->channel == CORE_CH_SMS && st->reminders_off && resume_word(ctx)) {
            /* SMS convention: START undoes STOP (reminders back on), then the menu */
            r = dlg__set_reminders(ctx, true);
            if (r < 0) {
                return r;
            }
        }
        return dlg__jump(ctx, linked ? DLG_ST_MENU : DLG_ST_LANG);
    case DLG_KW_MENU:
        return dlg__jump(ctx, linked ? DLG_ST_MENU : DLG_ST_LANG);
    case DLG_KW_HELP:
        r = dlg__say(ctx, dlg__step_def(st->step)->help_key, NULL);
        return r < 0 ? r : dlg__reattach(ctx);
    case DLG_KW_STOP:
        return global_stop(ctx);
    case DLG_KW_LANGUAGE:
        return dlg__jump(ctx, linked ? DLG_ST_LANG_PICK : DLG_ST_LANG);
    case DLG_KW_LANG_KK:
    case DLG_KW_LANG_RU:
    case DLG_KW_LANG_EN:
        if (at_language_step(st)) {
            return 1; /* the step itself takes it */
        }
        r = dlg__set_language(ctx, (enum dlg_lang)(kw - DLG_KW_LANG_KK));
        return r < 0 ? r : dlg__show(ctx);
    default:
        return 1;
    }
}

/* A command (/start, /menu, /help, /stop, /language, /operator) as a keyword. */
static enum dlg_keyword command_keyword(const char *cmd)
{
    static const struct {
        const char *name;
        enum dlg_keyword kw;
    } cmds[] = {{"start", DLG_KW_START},       {"menu", DLG_KW_MENU},
                {"help", DLG_KW_HELP},         {"stop", DLG_KW_STOP},
                {"language", DLG_KW_LANGUAGE}, {"lang", DLG_KW_LANGUAGE},
                {"operator", DLG_KW_OPERATOR}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(cmd, cmds[i].name) == 0) {
            return cmds[i].kw;
        }
    }
    return DLG_KW_HELP;
}

/* After a long silence: a linked chat goes back to the menu; a registration step starts
 * again (a step waiting for a result goes back to the step that asked). Returns true when
 * the dialog was moved. */
static bool idle_reset(struct dlg_state *st)
{
    const struct dlg_step_def *def = dlg__step_def(st->step);
    if (st->step == DLG_ST_OTP_WAIT) {
        st->step = DLG_ST_IIN;
        return true;
    }
    if (st->step == DLG_ST_CODE_WAIT) {
        st->step = DLG_ST_CODE;
        return true;
    }
    if (def->registration) {
        return true; /* the same step is shown again */
    }
    if (!def->linked || st->step == DLG_ST_MENU) {
        return false; /* language, consent, menu: nothing to restart */
    }
    clear_selection(st);
    st->step = DLG_ST_MENU;
    return true;
}

/* A linked parent who accepted an older data-policy version (or none) must accept the current
 * one before anything else; the consent and declined steps themselves are where that happens. */
static bool needs_consent(const struct dlg_ctx *ctx)
{
    const struct dlg_state *st = ctx->st;
    return st->parent_id != 0 && st->step != DLG_ST_CONSENT && st->step != DLG_ST_DECLINED &&
           st->step != DLG_ST_UNLINK_SURE &&
           strcmp(st->consent_version, ctx->cfg->consent_version) != 0;
}

static void trim_copy(const char *src, char *dst, size_t cap)
{
    while (*src == ' ' || *src == '\t' || *src == '\n' || *src == '\r') {
        src++;
    }
    copy_str(dst, cap, src);
    size_t n = strlen(dst);
    while (n > 0 &&
           (dst[n - 1] == ' ' || dst[n - 1] == '\t' || dst[n - 1] == '\n' || dst[n - 1] == '\r')) {
        dst[--n] = '\0';
    }
}

static int unknown_input(struct dlg_ctx *ctx)
{
    const struct dlg_step_def *def = dlg__step_def(ctx->st->step);
    int r;
    ctx->st->unknown_count++;
    r = dlg__say(ctx, def->help_key, NULL);
    if (r == 0 && ctx->st->unknown_count >= 3) {
        r = dlg__say(ctx, "unknown.third", NULL);
        if (r == 0) {
            r = dlg__say_contact(ctx);
        }
    }
    if (r < 0) {
        return r;
    }
    r = load_options(ctx);
    if (r == 0 && ctx->st->unknown_count >= 3 && !find_opt(ctx, "op")) {
        r = dlg__opt(ctx, "op", "opt.operator");
    }
    if (r < 0) {
        return r;
    }
    dlg__finish_reply(ctx, def->expect);
    return 0;
}

static int on_inbound(struct dlg_ctx *ctx)
{
    const struct core_inbound *in = &ctx->ev->in;
    struct dlg_state *st = ctx->st;
    char text[CORE_TEXT_MAX];
    enum dlg_keyword kw = DLG_KW_NONE;
    int r;

    bool idle = st->last_at != 0 && ctx->cfg->idle_timeout_s > 0 &&
                ctx->now - st->last_at > ctx->cfg->idle_timeout_s;
    st->last_at = ctx->now;
    trim_copy(in->kind == CORE_IN_BUTTON ? "" : in->text, text, sizeof text);
    if (in->kind == CORE_IN_COMMAND) {
        kw = command_keyword(text[0] == '/' ? text + 1 : text);
    } else if (in->kind == CORE_IN_TEXT) {
        kw = dlg_keyword_match(text);
    } else if (in->kind == CORE_IN_BUTTON) {
        kw = button_keyword(in->button_id);
    }
    if (idle && idle_reset(st)) {
        st->unknown_count = 0;
        r = dlg__say(ctx, st->parent_id ? "idle.menu" : "idle.restart", NULL);
        if (r < 0) {
            return r;
        }
        r = global_keyword(ctx, kw);
        return r <= 0 ? r : dlg__show(ctx); /* what was typed belonged to the old context */
    }
    if (needs_consent(ctx) && kw != DLG_KW_OPERATOR && kw != DLG_KW_STOP) {
        /* the data policy changed since this parent accepted it: ask again first */
        r = dlg__say(ctx, "consent.updated", NULL);
        return r < 0 ? r : dlg__jump(ctx, DLG_ST_CONSENT);
    }
    r = global_keyword(ctx, kw);
    if (r <= 0) {
        if (r == 0 && kw != DLG_KW_HELP) {
            st->unknown_count = 0;
        }
        return r;
    }
    r = load_options(ctx);
    if (r < 0) {
        return r;
    }
    struct dlg_input input = {
        .in = in, .choice = resolve(ctx, in, text, kw), .text = text, .keyword = kw};
    if (input.choice && in->kind != CORE_IN_BUTTON) {
        /* a number or label that picked an everywhere-option ("op", "help", "menu") */
        enum dlg_keyword picked = button_keyword(input.choice);
        if (picked != DLG_KW_NONE && (picked < DLG_KW_LANG_KK || !at_language_step(st))) {
            r = global_keyword(ctx, picked);
            if (r <= 0) {
                return r;
            }
        }
    }
    const struct dlg_step_def *def = dlg__step_def(st->step);
    r = def->input(ctx, &input);
    if (r < 0) {
        return r;
    }
    if (r > 0) {
        return unknown_input(ctx);
    }
    st->unknown_count = 0;
    return 0;
}

int dlg__wait_input(struct dlg_ctx *ctx, const struct dlg_input *input)
{
    (void)input;
    int r = dlg__say(ctx, "wait.busy", NULL);
    return r < 0 ? r : 0;
}

int dlg_step(const struct dlg_config *cfg,
             const struct dlg_registry_view *view,
             struct dlg_state *state,
             const struct dlg_event *event,
             int64_t now,
             struct dlg_output *out)
{
    if (!cfg || !view || !state || !event || !out || !dlg__step_def(state->step)) {
        return CORE_EINVAL;
    }
    struct dlg_state work = *state;
    struct dlg_ctx ctx = {
        .cfg = cfg, .view = view, .st = &work, .ev = event, .now = now, .out = out};
    memset(out, 0, sizeof *out);
    int r;
    switch (event->kind) {
    case DLG_EV_INBOUND:
        r = on_inbound(&ctx);
        break;
    case DLG_EV_OTP_SENT:
        r = dlg__on_otp_sent(&ctx);
        break;
    case DLG_EV_OTP_CHECKED:
        r = dlg__on_otp_checked(&ctx);
        break;
    case DLG_EV_DECIDED:
        r = dlg__on_decided(&ctx);
        break;
    default:
        r = CORE_EINVAL;
        break;
    }
    if (r == 0 && ctx.reply) {
        r = dlg__reattach(&ctx);
    }
    if (r < 0) {
        memset(out, 0, sizeof *out);
        return r;
    }
    *state = work;
    return 0;
}
