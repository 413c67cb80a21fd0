/* SPDX-License-Identifier: MIT
 * Writing the engine's replies: catalog texts with named arguments into the open reply,
 * options, the contact-centre lines, masked phones, month names and deadlines, and the month
 * calendar of a timesheet (weeks as rows Mon..Sun, a mark per day, a legend and the counts),
 * kept within DLG_CAL_WIDTH (40) characters a line; on SMS the month as ranges per mark. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/caltime.h"
#include "dialogs/engine_int.h"
#include "dialogs/i18n.h"
#include "dialogs/normalize.h"
#include "dialogs/rules.h"

#define MAX_ARGS 8

static size_t collect_args(va_list ap, struct dlg_i18n_arg *args)
{
    size_t n = 0;
    for (;;) {
        const char *name = va_arg(ap, const char *);
        if (!name) {
            break;
        }
        const char *value = va_arg(ap, const char *);
        if (n < MAX_ARGS) {
            args[n].name = name;
            args[n].value = value ? value : "";
            n++;
        }
    }
    return n;
}

int dlg__new_reply(struct dlg_ctx *ctx)
{
    if (ctx->out->n_replies >= DLG_MAX_REPLIES) {
        return CORE_ETOOBIG;
    }
    ctx->reply = &ctx->out->replies[ctx->out->n_replies++];
    memset(ctx->reply, 0, sizeof *ctx->reply);
    return 0;
}

/* Appends text as a new line of the open reply (a new reply when none is open or it is full). */
static int append_line(struct dlg_ctx *ctx, const char *text)
{
    size_t n = strlen(text);
    int r;
    if (n == 0) {
        return 0;
    }
    if (ctx->reply) {
        size_t used = strlen(ctx->reply->text);
        if (used + 1 + n + 1 <= sizeof ctx->reply->text) {
            if (used > 0) {
                ctx->reply->text[used++] = '\n';
            }
            memcpy(ctx->reply->text + used, text, n + 1);
            return 0;
        }
        ctx->reply = NULL;
    }
    if (n + 1 > sizeof ctx->reply->text) {
        return CORE_ETOOBIG;
    }
    r = dlg__new_reply(ctx);
    if (r < 0) {
        return r;
    }
    memcpy(ctx->reply->text, text, n + 1);
    return 0;
}

static int vfmt(struct dlg_ctx *ctx, char *buf, size_t len, const char *key, va_list ap)
{
    struct dlg_i18n_arg args[MAX_ARGS];
    size_t n = collect_args(ap, args);
    return dlg_i18n_format(ctx->st->lang, key, buf, len, n, args);
}

int dlg__fmt(struct dlg_ctx *ctx, char *buf, size_t len, const char *key, ...)
{
    va_list ap;
    va_start(ap, key);
    int r = vfmt(ctx, buf, len, key, ap);
    va_end(ap);
    return r;
}

int dlg__say(struct dlg_ctx *ctx, const char *key, ...)
{
    char buf[CORE_REPLY_TEXT_MAX];
    va_list ap;
    va_start(ap, key);
    int r = vfmt(ctx, buf, sizeof buf, key, ap);
    va_end(ap);
    return r < 0 ? r : append_line(ctx, buf);
}

int dlg__say_raw(struct dlg_ctx *ctx, const char *text)
{
    return append_line(ctx, text);
}

int dlg__opt_raw(struct dlg_ctx *ctx, const char *id, const char *label)
{
    if (ctx->n_opts >= CORE_REPLY_OPTIONS_MAX || strlen(id) >= CORE_OPTION_ID_MAX) {
        return CORE_ETOOBIG;
    }
    struct core_option *o = &ctx->opts[ctx->n_opts++];
    memcpy(o->id, id, strlen(id) + 1);
    size_t n = strlen(label);
    if (n >= sizeof o->label) {
        /* cut on a UTF-8 boundary */
        n = sizeof o->label - 1;
        while (n > 0 && ((unsigned char)label[n] & 0xC0) == 0x80) {
            n--;
        }
    }
    memcpy(o->label, label, n);
    o->label[n] = '\0';
    return 0;
}

int dlg__opt(struct dlg_ctx *ctx, const char *id, const char *label_key)
{
    return dlg__opt_raw(ctx, id, dlg_i18n_text(ctx->st->lang, label_key));
}

void dlg__finish_reply(struct dlg_ctx *ctx, enum core_expect expect)
{
    if (!ctx->reply) {
        if (ctx->n_opts == 0 || dlg__new_reply(ctx) < 0) {
            return;
        }
    }
    memcpy(ctx->reply->options, ctx->opts, ctx->n_opts * sizeof ctx->opts[0]);
    ctx->reply->n_options = ctx->n_opts;
    ctx->reply->expect = expect;
    ctx->reply = NULL;
}

int dlg__say_contact(struct dlg_ctx *ctx)
{
    int r = dlg__say(ctx, "contact.numbers", "phone", ctx->cfg->contact_phone, "whatsapp",
                     ctx->cfg->contact_whatsapp, NULL);
    if (r == 0 && ctx->cfg->contact_hours[0]) {
        r = dlg__say(ctx, "contact.hours", "hours", ctx->cfg->contact_hours, NULL);
    }
    return r;
}

void dlg__mask_phone(const char *e164, char *out, size_t len)
{
    size_t n = strlen(e164);
    if (n != 12 || strncmp(e164, "+7", 2) != 0) {
        snprintf(out, len, "***");
        return;
    }
    snprintf(out, len, "+7 %.3s *** ** %.2s", e164 + 2, e164 + 10);
}

void dlg__month_title(struct dlg_ctx *ctx, const char *month, char *out, size_t len)
{
    int mi;
    out[0] = '\0';
    if (core_month_parse(month, &mi) != 0 ||
        dlg_date_month_year(ctx->st->lang, mi / 12, mi % 12 + 1, out, len) != 0) {
        snprintf(out, len, "%s", month);
    }
}

void dlg__deadline(struct dlg_ctx *ctx, const char *month, char *out, size_t len)
{
    int mi, y, m, d;
    out[0] = '\0';
    if (core_month_parse(month, &mi) != 0 ||
        dlg_rules_deadline_day(ctx->cfg, mi, &y, &m, &d) != 0 ||
        dlg_date_until(ctx->st->lang, d, m, out, len) != 0) {
        out[0] = '\0';
    }
}

bool dlg__concat(char *out, size_t cap, const char *a, const char *b, const char *c)
{
    size_t na = strlen(a), nb = strlen(b), nc = strlen(c);
    if (na + nb + nc + 1 > cap) {
        if (cap) {
            out[0] = '\0';
        }
        return false;
    }
    memcpy(out, a, na);
    memcpy(out + na, b, nb);
    memcpy(out + na + nb, c, nc + 1);
    return true;
}

void dlg__days_text(uint32_t days, char *out, size_t len)
{
    if (dlg_daylist_format(days, out, len) != 0) {
        out[0] = '\0';
    }
}

/* ---- the calendar ---- */

static const char *mark_key(char c)
{
    switch (c) {
    case 'P':
        return "cal.mark.present";
    case 'A':
        return "cal.mark.absent";
    case 'S':
        return "cal.mark.excused";
    default:
        return "cal.mark.off";
    }
}

static void cat(char *buf, size_t cap, const char *s)
{
    size_t used = strlen(buf);
    size_t n = strlen(s);
    if (used + n + 1 <= cap) {
        memcpy(buf + used, s, n + 1);
    }
}

static void rtrim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ') {
        s[--n] = '\0';
    }
}

static int say_weeks(struct dlg_ctx *ctx, int year, int month, const char *days)
{
    char line[256];
    char cell[32];
    int ndays = core_days_in_month(year, month);
    int first = core_weekday(year, month, 1);
    int r;
    line[0] = '\0';
    for (int wd = 0; wd < 7; wd++) {
        snprintf(cell, sizeof cell, "%s  ", dlg_weekday_short(ctx->st->lang, wd));
        cat(line, sizeof line, cell);
    }
    rtrim(line);
    r = append_line(ctx, line);
    line[0] = '\0';
    for (int i = 0; i < first; i++) {
        cat(line, sizeof line, "    ");
    }
    for (int day = 1; day <= ndays && r == 0; day++) {
        snprintf(cell, sizeof cell, "%2d%s ", day,
                 dlg_i18n_text(ctx->st->lang, mark_key(days[day - 1])));
        cat(line, sizeof line, cell);
        if ((first + day) % 7 == 0 || day == ndays) {
            rtrim(line);
            r = append_line(ctx, line);
            line[0] = '\0';
        }
    }
    return r;
}

/* Characters (not bytes) of UTF-8 text. */
static size_t text_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}

/* "18 күн қатысты, 3 күн болмады, 1 күн себепті", wrapped before DLG_CAL_WIDTH characters. */
static int say_counts(struct dlg_ctx *ctx, const struct dlg_day_counts *c)
{
    static const char *const keys[] = {"count.present", "count.absent", "count.excused"};
    const int values[] = {c->present, c->absent, c->excused};
    char line[512] = "";
    char part[160];
    size_t width = 0;
    for (size_t i = 0; i < 3; i++) {
        if (values[i] == 0 && i > 0) {
            continue;
        }
        if (dlg_i18n_plural(ctx->st->lang, keys[i], values[i], part, sizeof part, 0, NULL) != 0) {
            return CORE_ETOOBIG;
        }
        size_t w = text_width(part);
        if (line[0] && width + 2 + w > DLG_CAL_WIDTH) {
            cat(line, sizeof line, ",\n");
            width = 0;
        } else if (line[0]) {
            cat(line, sizeof line, ", ");
            width += 2;
        }
        cat(line, sizeof line, part);
        width += w;
    }
    return append_line(ctx, line);
}

/* SMS: the month as ranges per mark ("Был (19): 2–6, 9–13, 16–20"), days off left out, so a
 * review fits the segment cap that a 7-row grid would triple. */
static int say_ranges(struct dlg_ctx *ctx, const char *days, int ndays)
{
    static const struct {
        char mark;
        const char *key;
    } kinds[] = {{'P', "cal.sms.present"}, {'A', "cal.sms.absent"}, {'S', "cal.sms.excused"}};
    int r = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0] && r == 0; k++) {
        uint32_t set = 0;
        for (int day = 1; day <= ndays; day++) {
            if (days[day - 1] == kinds[k].mark) {
                set |= (uint32_t)1 << day; /* bit d is day d (dialogs/normalize.h) */
            }
        }
        if (set == 0) {
            continue;
        }
        char list[DLG_DAYLIST_MAX];
        char n[16];
        snprintf(n, sizeof n, "%d", dlg_dayset_count(set));
        r = dlg_daylist_format(set, list, sizeof list);
        if (r == 0) {
            r = dlg__say(ctx, kinds[k].key, "n", n, "days", list, NULL);
        }
    }
    return r;
}

int dlg__say_calendar(struct dlg_ctx *ctx, const char *name, const char *month, const char *days)
{
    int mi;
    struct dlg_day_counts counts;
    char title[96];
    if (core_month_parse(month, &mi) != 0 || dlg_rules_day_counts(mi, days, &counts) != 0) {
        return dlg__say(ctx, "review.bad_days", NULL);
    }
    dlg__month_title(ctx, month, title, sizeof title);
    int r = dlg__say(ctx, "review.title", "name", name, "month", title, NULL);
    if (r == 0 && ctx->st->channel == CORE_CH_SMS) {
        return say_ranges(ctx, days, core_days_in_month(mi / 12, mi % 12 + 1));
    }
    if (r == 0) {
        r = say_weeks(ctx, mi / 12, mi % 12 + 1, days);
    }
    if (r == 0) {
        r = dlg__say(ctx, "cal.legend", NULL);
    }
    return r < 0 ? r : say_counts(ctx, &counts);
}
