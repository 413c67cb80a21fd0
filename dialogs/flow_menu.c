/* SPDX-License-Identifier: MIT
 * The linked chat's main menu (DESIGN.md §6): confirm a timesheet, my children and vouchers
 * (with each voucher's standing from dialogs/rules.h), language, contact centre, help, stop or
 * resume reminders, unlink and erase (with a confirmation step). */
#include <stdio.h>
#include <string.h>

#include "core/caltime.h"
#include "dialogs/engine_int.h"
#include "dialogs/i18n.h"
#include "dialogs/rules.h"

int dlg__menu_prompt(struct dlg_ctx *ctx)
{
    return dlg__say(ctx, "menu.prompt", NULL);
}

int dlg__menu_options(struct dlg_ctx *ctx)
{
    int r = dlg__opt(ctx, "menu:confirm", "menu.confirm");
    if (r == 0) {
        r = dlg__opt(ctx, "menu:children", "menu.children");
    }
    if (r == 0) {
        r = dlg__opt(ctx, "menu:lang", "menu.lang");
    }
    if (r == 0) {
        r = dlg__opt(ctx, "op", "opt.operator");
    }
    if (r == 0) {
        r = dlg__opt(ctx, "help", "menu.help");
    }
    if (r == 0) {
        r = ctx->st->reminders_off ? dlg__opt(ctx, "menu:resume", "menu.resume")
                                   : dlg__opt(ctx, "menu:stop", "menu.stop");
    }
    return r < 0 ? r : dlg__opt(ctx, "menu:unlink", "menu.unlink");
}

int dlg__menu_input(struct dlg_ctx *ctx, const struct dlg_input *input)
{
    const char *c = input->choice;
    int r;
    if (!c) {
        return 1;
    }
    if (strcmp(c, "menu:confirm") == 0) {
        return dlg__start_confirm(ctx);
    }
    if (strcmp(c, "menu:children") == 0) {
        r = dlg__say_children(ctx);
        return r < 0 ? r : dlg__go_show(ctx, DLG_ST_MENU);
    }
    if (strcmp(c, "menu:lang") == 0) {
        return dlg__go_show(ctx, DLG_ST_LANG_PICK);
    }
    if (strcmp(c, "menu:stop") == 0 || strcmp(c, "menu:resume") == 0) {
        r = dlg__set_reminders(ctx, strcmp(c, "menu:resume") == 0);
        return r < 0 ? r : dlg__go_show(ctx, DLG_ST_MENU);
    }
    if (strcmp(c, "menu:unlink") == 0) {
        return dlg__go_show(ctx, DLG_ST_UNLINK_SURE);
    }
    return 1;
}

/* ---- unlink and erase ---- */

int dlg__unlink_prompt(struct dlg_ctx *ctx)
{
    return dlg__say(ctx, "unlink.prompt", NULL);
}

int dlg__yes_no_options(struct dlg_ctx *ctx)
{
    int r = dlg__opt(ctx, DLG_OPT_ERASE, "opt.yes_unlink");
    return r < 0 ? r : dlg__opt(ctx, "no", "opt.no_keep");
}

int dlg__unlink_input(struct dlg_ctx *ctx, const struct dlg_input *input)
{
    if (!input->choice) {
        return 1;
    }
    if (strcmp(input->choice, DLG_OPT_ERASE) != 0) {
        return dlg__go_show(ctx, DLG_ST_MENU);
    }
    struct dlg_state *st = ctx->st;
    int r = dlg__effect(ctx, DLG_FX_UNLINK_ERASE, NULL);
    if (r == 0) {
        r = dlg__say(ctx, "unlink.done", NULL);
    }
    if (r < 0) {
        return r;
    }
    r = dlg__go(ctx, DLG_ST_LANG);
    if (r < 0) {
        return r;
    }
    /* a fresh unlinked chat: nothing of the old one is kept but the channel and the clock */
    enum core_channel channel = st->channel;
    int64_t last_at = st->last_at;
    dlg_state_init(st, channel);
    st->last_at = last_at;
    return dlg__show(ctx);
}

/* ---- my children and vouchers ---- */

static int say_standing(struct dlg_ctx *ctx, const struct dlg_child *child)
{
    struct dlg_timesheet ts[DLG_MAX_MONTHS * 2];
    size_t n = 0;
    struct dlg_voucher_standing vs;
    char missed[96], open[96], until[96], month[8];
    int r = ctx->view->timesheets(ctx->view->ctx, child->id, ts, DLG_MAX_MONTHS * 2, &n);
    if (r < 0) {
        return r;
    }
    struct dlg_voucher_input in = {child->voucher_cancelled, ts, n};
    if (dlg_rules_voucher_standing(ctx->cfg, &in, ctx->now, &vs) != 0) {
        return dlg__say(ctx, "children.unknown", NULL);
    }
    switch (vs.state) {
    case DLG_VOUCHER_CANCELLED:
        return dlg__say(ctx, "children.cancelled", NULL);
    case DLG_VOUCHER_AT_RISK:
        core_month_format(vs.missed[vs.n_missed - 1], month, sizeof month);
        dlg__month_title(ctx, month, missed, sizeof missed);
        core_month_format(vs.open_month, month, sizeof month);
        dlg__month_title(ctx, month, open, sizeof open);
        dlg__deadline(ctx, month, until, sizeof until);
        return dlg__say(ctx, "children.at_risk", "missed", missed, "month", open, "until", until,
                        NULL);
    default:
        return dlg__say(ctx, "children.active", NULL);
    }
}

int dlg__say_children(struct dlg_ctx *ctx)
{
    struct dlg_child kids[DLG_MAX_CHILDREN];
    size_t n = 0;
    int r = dlg__load_children(ctx, kids, &n);
    if (r < 0) {
        return r;
    }
    if (n == 0) {
        r = dlg__say(ctx, "children.none", NULL);
        return r < 0 ? r : dlg__say_contact(ctx);
    }
    for (size_t i = 0; i < n && r == 0; i++) {
        const struct dlg_child *c = &kids[i];
        const char *kg = c->kindergarten[ctx->st->lang][0] ? c->kindergarten[ctx->st->lang]
                                                           : c->kindergarten[DLG_LANG_RU];
        r = dlg__say(ctx, "children.item", "name", c->given_name, "surname", c->surname,
                     "kindergarten", kg, "voucher", c->voucher_number, NULL);
        if (r == 0) {
            r = say_standing(ctx, c);
        }
    }
    return r;
}
