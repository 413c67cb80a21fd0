/* SPDX-License-Identifier: MIT
 * Registration of an unlinked chat (DESIGN.md §6): language, data-policy consent, phone (the
 * SMS/WhatsApp sender's number is the phone), IIN (12 digits and the check digit; the birth
 * date and sex digits are never a hard check), the registry match, the one-time code and the
 * registry data shown back ("this is me"), then LINK. The bot never asks for a password. */
#include <stdio.h>
#include <string.h>

#include "dialogs/engine_int.h"
#include "dialogs/i18n.h"
#include "dialogs/normalize.h"
#include "dialogs/validate.h"

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) {
        n = cap - 1;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int count_digits(const char *text)
{
    int n = 0;
    for (; *text; text++) {
        n += *text >= '0' && *text <= '9';
    }
    return n;
}

static bool phone_known_by_channel(enum core_channel channel)
{
    return channel == CORE_CH_SMS || channel == CORE_CH_WHATSAPP;
}

/* ---- language ---- */

int dlg__lang_prompt(struct dlg_ctx *ctx)
{
    if (ctx->st->step == DLG_ST_LANG) {
        int r = dlg__say(ctx, "lang.welcome", NULL);
        if (r < 0) {
            return r;
        }
    }
    return dlg__say(ctx, "lang.choose", NULL);
}

int dlg__lang_options(struct dlg_ctx *ctx)
{
    static const char *const ids[DLG_LANG_COUNT] = {"lang:kk", "lang:ru", "lang:en"};
    for (int l = 0; l < DLG_LANG_COUNT; l++) {
        int r = dlg__opt_raw(ctx, ids[l], dlg_i18n_text((enum dlg_lang)l, "lang.name"));
        if (r < 0) {
            return r;
        }
    }
    return 0;
}

int dlg__lang_input(struct dlg_ctx *ctx, const struct dlg_input *input)
{
    if (!input->choice || strncmp(input->choice, "lang:", 5) != 0) {
        return 1;
    }
    int lang = dlg_lang_parse(input->choice + 5);
    if (lang < 0) {
        return 1;
    }
    int r = dlg__set_language(ctx, (enum dlg_lang)lang);
    if (r < 0) {
        return r;
    }
    if (ctx->st->step == DLG_ST_LANG_PICK) {
        r = dlg__say(ctx, "lang.changed", NULL);
        return r < 0 ? r : dlg__go_show(ctx, DLG_ST_MENU);
    }
    return dlg__go_show(ctx, DLG_ST_CONSENT);
}

/* ---- consent ---- */

int dlg__consent_prompt(struct dlg_ctx *ctx)
{
    /* SMS: the compact policy, so that it reads as one message within the segment cap */
    const char *key = ctx->st->channel == CORE_CH_SMS ? "consent.prompt.sms" : "consent.prompt";
    return dlg__say(ctx, key, "version", ctx->cfg->consent_version, NULL);
}

int dlg__consent_options(struct dlg_ctx *ctx)
{
    int r = dlg__opt(ctx, "yes", "consent.accept");
    return r < 0 ? r : dlg__opt(ctx, "no", "consent.decline");
}

/* After consent: the channel's own verified number, when it is a Kazakh mobile, is the phone. */
static int after_consent(struct dlg_ctx *ctx, const struct core_inbound *in)
{
    char phone[CORE_PHONE_MAX];
    if (in->verified_phone[0] && phone_known_by_channel(ctx->st->channel)) {
        enum dlg_phone_verdict v =
            dlg_phone_normalize(in->verified_phone, true, phone, sizeof phone);
        if (v == DLG_PHONE_OK) {
            char masked[32];
            copy_str(ctx->st->phone, sizeof ctx->st->phone, phone);
            dlg__mask_phone(phone, masked, sizeof masked);
            int r = dlg__say(ctx, "phone.known", "phone", masked, NULL);
            return r < 0 ? r : dlg__go_show(ctx, DLG_ST_IIN);
        }
        int r = dlg__say(ctx, v == DLG_PHONE_NOT_KZ ? "phone.not_kz" : "phone.not_mobile", NULL);
        if (r < 0) {
            return r;
        }
    }
    return dlg__go_show(ctx, DLG_ST_PHONE);
}

int dlg__consent_input(struct dlg_ctx *ctx, const struct dlg_input *input)
{
    if (!input->choice) {
        return 1;
    }
    if (strcmp(input->choice, "no") == 0) {
        if (ctx->st->parent_id == 0) {
            ctx->st->consent_version[0] = '\0';
            ctx->st->consent_at = 0;
        }
        return dlg__go_show(ctx, DLG_ST_DECLINED);
    }
    copy_str(ctx->st->consent_version, sizeof ctx->st->consent_version, ctx->cfg->consent_version);
    ctx->st->consent_at = ctx->now;
    if (ctx->st->parent_id != 0) {
        /* a linked parent accepted a new policy version: LINK records it */
        struct dlg_effect *fx;
        int r = dlg__effect(ctx, DLG_FX_LINK, &fx);
        if (r < 0) {
            return r;
        }
        fx->parent_id = ctx->st->parent_id;
        copy_str(fx->consent_version, sizeof fx->consent_version, ctx->st->consent_version);
        fx->consent_at = ctx->st->consent_at;
        return dlg__go_show(ctx, DLG_ST_MENU);
    }
    return after_consent(ctx, input->in);
}

int dlg__declined_prompt(struct dlg_ctx *ctx)
{
    return dlg__say(ctx, "consent.declined", NULL);
}

int dlg__declined_options(struct dlg_ctx *ctx)
{
    int r = dlg__opt(ctx, "yes", "consent.again");
    if (r == 0 && ctx->st->parent_id != 0) {
        r = dlg__opt(ctx, "menu:unlink", "menu.unlink");
    }
    return r;
}

int dlg__declined_input(struct dlg_ctx *ctx, const struct dlg_input *input)
{
    if (input->choice && strcmp(input->choice, "menu:unlink") == 0) {
        return dlg__go_show(ctx, DLG_ST_UNLINK_SURE);
    }
    return dlg__go_show(ctx, DLG_ST_CONSENT);
}

/* ---- phone ---- */

int dlg__phone_prompt(struct dlg_ctx *ctx)
{
    return dlg__say(
        ctx, ctx->st->channel == CORE_CH_TELEGRAM ? "phone.prompt_share" : "phone.prompt", NULL);
}

static int phone_refusal(struct dlg_ctx *ctx, enum dlg_phone_verdict v)
{
    const char *key = v == DLG_PHONE_NOT_KZ       ? "phone.not_kz"
                      : v == DLG_PHONE_NOT_MOBILE ? "phone.not_mobile"
                                                  : "phone.bad";
    int r = dlg__say(ctx, key, NULL);
    return r < 0 ? r : dlg__reattach(ctx);
}

int dlg__phone_input(struct dlg_ctx *ctx, const struct dlg_input *input)
{
    char phone[CORE_PHONE_MAX];
    const char *typed = input->text;
    if (input->in->kind == CORE_IN_CONTACT) {
        if (!input->in->verified_phone[0]) {
            int r = dlg__say(ctx, "phone.not_own", NULL);
            return r < 0 ? r : dlg__reattach(ctx);
        }
        typed = input->in->verified_phone;
    } else if (input->in->kind != CORE_IN_TEXT || count_digits(typed) == 0) {
        return 1;
    }
    enum dlg_phone_verdict v = dlg_phone_normalize(typed, true, phone, sizeof phone);
    if (v != DLG_PHONE_OK) {
        return phone_refusal(ctx, v);
    }
    copy_str(ctx->st->phone, sizeof ctx->st->phone, phone);
    return dlg__go_show(ctx, DLG_ST_IIN);
}

/* ---- IIN ---- */

int dlg__iin_prompt(struct dlg_ctx *ctx)
{
    return dlg__say(ctx, "iin.prompt", NULL);
}

int dlg__iin_options(struct dlg_ctx *ctx)
{
    int r = 0;
    if (!phone_known_by_channel(ctx->st->channel)) {
        r = dlg__opt(ctx, "reg:phone", "opt.change_phone");
    }
    return r < 0 ? r : dlg__opt(ctx, "op", "opt.operator");
}

/* The IIN step tells whether a phone and an IIN belong together, so unbounded tries would let
 * whoever knows a parent's phone walk the IIN's serial digits (10^4 per birth date) until the
 * registry answers. A chat gets MATCH_FAILS_MAX misses per MATCH_WINDOW_S; the counter lives
 * in the chat's state and survives /start (an unlinked chat cannot erase itself). */
#define MATCH_FAILS_MAX 5
#define MATCH_WINDOW_S  3600

/* 1 (and the answer said) when this chat has used up its misses; 0 when it may try. */
static int match_locked(struct dlg_ctx *ctx)
{
    struct dlg_state *st = ctx->st;
    int64_t since = ctx->now - st->match_window_at;
    if (st->match_fails < MATCH_FAILS_MAX || since < 0 || since >= MATCH_WINDOW_S) {
        return 0;
    }
    char minutes[16];
    snprintf(minutes, sizeof minutes, "%d", (int)((MATCH_WINDOW_S - since + 59) / 60));
    int r = dlg__say(ctx, "iin.too_many", "minutes", minutes, NULL);
    if (r == 0) {
        r = dlg__say_contact(ctx);
    }
    return r < 0 ? r : 1;
}

static void match_missed(struct dlg_ctx *ctx)
{
    struct dlg_state *st = ctx->st;
    int64_t since = ctx->now - st->match_window_at;
    if (st->match_window_at == 0 || since < 0 || since >= MATCH_WINDOW_S) {
        st->match_window_at = ctx->now;
        st->match_fails = 0;
    }
    st->match_fails++;
}

static int send_code(struct dlg_ctx *ctx)
{
    struct dlg_effect *fx;
    int r = dlg__effect(ctx, DLG_FX_OTP_SEND, &fx);
    if (r < 0) {
        return r;
    }
    copy_str(fx->phone, sizeof fx->phone, ctx->st->phone);
    return dlg__go(ctx, DLG_ST_OTP_WAIT);
}

int dlg__iin_input(struct dlg_ctx *ctx, const struct dlg_input *input)
{
    char iin[DLG_IIN_LEN + 1];
    int r;
    if (input->choice && strcmp(input->choice, "reg:phone") == 0) {
        ctx->st->phone[0] = '\0';
        return dlg__go_show(ctx, DLG_ST_PHONE);
    }
    if (input->in->kind != CORE_IN_TEXT || count_digits(input->text) == 0) {
        return 1;
    }
    if (!dlg_iin_extract(input->text, iin)) {
        r = dlg__say(ctx, "iin.need12", NULL);
        return r < 0 ? r : dlg__reattach(ctx);
    }
    /* The structural checks of the spec: 12 digits, the check digit, and a 7th
     * (century and sex) digit from 1 to 6. The date and sex it encodes are never compared with
     * the person (domain.md §1.2): the registry name shown back is the real check. */
    enum dlg_iin_verdict verdict = dlg_iin_check(iin);
    if (verdict != DLG_IIN_OK) {
        r = dlg__say(ctx, verdict == DLG_IIN_BAD_CENTURY ? "iin.century" : "iin.checksum", NULL);
        return r < 0 ? r : dlg__reattach(ctx);
    }
    r = match_locked(ctx);
    if (r != 0) {
        return r < 0 ? r : dlg__reattach(ctx);
    }
    enum dlg_match match = DLG_MATCH_NONE;
    struct dlg_parent holder;
    memset(&holder, 0, sizeof holder);
    r = ctx->view->find_holder(ctx->view->ctx, ctx->st->phone, iin, &match, &holder);
    if (r < 0) {
        return r;
    }
    if (match != DLG_MATCH_OK || holder.id <= 0) {
        /* never say which of the two did not match */
        match_missed(ctx);
        r = dlg__say(ctx, "iin.nomatch", NULL);
        if (r == 0) {
            r = dlg__say_contact(ctx);
        }
        return r < 0 ? r : dlg__reattach(ctx);
    }
    copy_str(ctx->st->iin, sizeof ctx->st->iin, iin);
    ctx->st->holder_id = holder.id;
    return send_code(ctx);
}

/* ---- the one-time code ---- */

int dlg__code_prompt(struct dlg_ctx *ctx)
{
    return dlg__say(ctx, "code.prompt", NULL);
}

int dlg__code_options(struct dlg_ctx *ctx)
{
    int r = dlg__opt(ctx, "otp:resend", "opt.resend");
    if (r == 0) {
        r = dlg__opt(ctx, "reg:iin", "opt.change_iin");
    }
    return r < 0 ? r : dlg__opt(ctx, "op", "opt.operator");
}

static int resend(struct dlg_ctx *ctx)
{
    int64_t since = ctx->now - ctx->st->otp_sent_at;
    if (ctx->st->otp_sent_at && since < ctx->cfg->otp_resend_cooldown_s) {
        char secs[16];
        snprintf(secs, sizeof secs, "%d", (int)(ctx->cfg->otp_resend_cooldown_s - since));
        int r = dlg__say(ctx, "otp.cooldown", "seconds", secs, NULL);
        return r < 0 ? r : dlg__reattach(ctx);
    }
    return send_code(ctx);
}

int dlg__code_input(struct dlg_ctx *ctx, const struct dlg_input *input)
{
    char code[DLG_CODE_DIGITS + 1];
    if (input->choice && strcmp(input->choice, "otp:resend") == 0) {
        return resend(ctx);
    }
    if (input->choice && strcmp(input->choice, "reg:iin") == 0) {
        ctx->st->iin[0] = '\0';
        ctx->st->holder_id = 0;
        return dlg__go_show(ctx, DLG_ST_IIN);
    }
    if (input->in->kind != CORE_IN_TEXT || count_digits(input->text) == 0) {
        return 1;
    }
    if (dlg_code_extract(input->text, code, sizeof code) != 0) {
        int r = dlg__say(ctx, "code.format", NULL);
        return r < 0 ? r : dlg__reattach(ctx);
    }
    struct dlg_effect *fx;
    int r = dlg__effect(ctx, DLG_FX_OTP_VERIFY, &fx);
    if (r < 0) {
        return r;
    }
    copy_str(fx->phone, sizeof fx->phone, ctx->st->phone);
    copy_str(fx->code, sizeof fx->code, code);
    return dlg__go(ctx, DLG_ST_CODE_WAIT);
}

int dlg__on_otp_sent(struct dlg_ctx *ctx)
{
    char buf[32];
    int r;
    if (ctx->st->step != DLG_ST_OTP_WAIT) {
        return 0; /* a stale result: the dialog has moved on */
    }
    switch (ctx->ev->u.otp_sent.result) {
    case DLG_OTP_SENT_OK: {
        char minutes[16];
        ctx->st->otp_sent_at = ctx->now;
        dlg__mask_phone(ctx->st->phone, buf, sizeof buf);
        snprintf(minutes, sizeof minutes, "%d", (ctx->cfg->otp_ttl_s + 59) / 60);
        r = dlg__say(ctx, "otp.sent", "phone", buf, "minutes", minutes, NULL);
        break;
    }
    case DLG_OTP_SENT_RATE_LIMITED:
        snprintf(buf, sizeof buf, "%d",
                 ctx->ev->u.otp_sent.retry_after_s > 0 ? ctx->ev->u.otp_sent.retry_after_s : 60);
        r = dlg__say(ctx, "otp.rate_limited", "seconds", buf, NULL);
        break;
    default:
        r = dlg__say(ctx, "otp.failed", NULL);
        if (r == 0) {
            r = dlg__say_contact(ctx);
        }
        break;
    }
    return r < 0 ? r : dlg__go_show(ctx, DLG_ST_CODE);
}

/* The registry no longer has the holder found before the code (removed meanwhile): start the
 * IIN step again rather than fail the step forever. */
static int holder_gone(struct dlg_ctx *ctx)
{
    ctx->st->iin[0] = '\0';
    ctx->st->holder_id = 0;
    int r = dlg__say(ctx, "iin.nomatch", NULL);
    if (r == 0) {
        r = dlg__say_contact(ctx);
    }
    return r < 0 ? r : dlg__go_show(ctx, DLG_ST_IIN);
}

int dlg__on_otp_checked(struct dlg_ctx *ctx)
{
    int r;
    if (ctx->st->step != DLG_ST_CODE_WAIT) {
        return 0;
    }
    int left = ctx->ev->u.otp_checked.attempts_left;
    switch (ctx->ev->u.otp_checked.result) {
    case DLG_OTP_MATCH: {
        struct dlg_parent p;
        r = ctx->view->get_parent(ctx->view->ctx, ctx->st->holder_id, &p);
        if (r == CORE_ENOTFOUND) {
            return holder_gone(ctx);
        }
        return r < 0 ? r : dlg__go_show(ctx, DLG_ST_IDENTITY);
    }
    case DLG_OTP_WRONG:
        if (left > 0) {
            char text[256];
            r = dlg_i18n_plural(ctx->st->lang, "code.wrong", left, text, sizeof text, 0, NULL);
            if (r == 0) {
                r = dlg__say_raw(ctx, text);
            }
            break;
        }
        r = dlg__say(ctx, "code.locked", NULL);
        break;
    case DLG_OTP_EXPIRED:
        r = dlg__say(ctx, "code.expired", NULL);
        break;
    case DLG_OTP_LOCKED:
        r = dlg__say(ctx, "code.locked", NULL);
        break;
    default:
        r = dlg__say(ctx, "code.none", NULL);
        break;
    }
    return r < 0 ? r : dlg__go_show(ctx, DLG_ST_CODE);
}

/* ---- identity ---- */

static void birth_date_text(struct dlg_ctx *ctx, const char *iso, char *out, size_t len)
{
    int y, m, d;
    char dm[64];
    char year[8];
    if (sscanf(iso, "%4d-%2d-%2d", &y, &m, &d) != 3 ||
        dlg_date_day_month(ctx->st->lang, d, m, dm, sizeof dm) != 0) {
        copy_str(out, len, iso);
        return;
    }
    snprintf(year, sizeof year, "%d", y);
    if (dlg__fmt(ctx, out, len, "date.full", "day_month", dm, "year", year, NULL) != 0) {
        copy_str(out, len, iso);
    }
}

int dlg__identity_prompt(struct dlg_ctx *ctx)
{
    struct dlg_parent p;
    char birth[96];
    memset(&p, 0, sizeof p);
    int r = ctx->view->get_parent(ctx->view->ctx, ctx->st->holder_id, &p);
    if (r < 0) {
        return r;
    }
    birth_date_text(ctx, p.person.birth_date, birth, sizeof birth);
    const char *sex = dlg_i18n_text(ctx->st->lang, p.person.sex == 'F'   ? "sex.f"
                                                   : p.person.sex == 'M' ? "sex.m"
                                                                         : "sex.unknown");
    return dlg__say(ctx, "identity.prompt", "surname", p.person.surname, "given_name",
                    p.person.given_name, "patronymic",
                    p.person.patronymic[0] ? p.person.patronymic : "—", "sex", sex, "birth_date",
                    birth, NULL);
}

int dlg__identity_options(struct dlg_ctx *ctx)
{
    int r = dlg__opt(ctx, DLG_OPT_ITS_ME, "identity.yes");
    return r < 0 ? r : dlg__opt(ctx, "no", "identity.no");
}

static int link_parent(struct dlg_ctx *ctx)
{
    struct dlg_state *st = ctx->st;
    struct dlg_effect *fx;
    struct dlg_parent p;
    memset(&p, 0, sizeof p);
    int r = ctx->view->get_parent(ctx->view->ctx, st->holder_id, &p);
    if (r == CORE_ENOTFOUND) {
        return holder_gone(ctx);
    }
    if (r < 0) {
        return r;
    }
    r = dlg__effect(ctx, DLG_FX_LINK, &fx);
    if (r < 0) {
        return r;
    }
    fx->parent_id = st->holder_id;
    copy_str(fx->consent_version, sizeof fx->consent_version, st->consent_version);
    fx->consent_at = st->consent_at;
    st->parent_id = st->holder_id;
    st->holder_id = 0;
    st->iin[0] = '\0';
    st->phone[0] = '\0';
    st->otp_sent_at = 0;
    r = dlg__say(ctx, "linked.welcome", "given_name", p.person.given_name, NULL);
    return r < 0 ? r : dlg__go_show(ctx, DLG_ST_MENU);
}

int dlg__identity_input(struct dlg_ctx *ctx, const struct dlg_input *input)
{
    if (!input->choice) {
        return 1;
    }
    if (strcmp(input->choice, DLG_OPT_ITS_ME) == 0) {
        return link_parent(ctx);
    }
    ctx->st->iin[0] = '\0';
    ctx->st->holder_id = 0;
    int r = dlg__say(ctx, "identity.not_me", NULL);
    if (r == 0) {
        r = dlg__say_contact(ctx);
    }
    return r < 0 ? r : dlg__go_show(ctx, DLG_ST_IIN);
}
