/* SPDX-License-Identifier: MIT
 * The per-contact dialog state: init, accessors, and its storage form, versioned `key=value`
 * lines with escaped values. Decoding is strict (every key known, every value in range) so a
 * damaged or foreign blob is CORE_EBADINPUT and never a half-read state. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/caltime.h"
#include "dialogs/engine_int.h"

size_t dlg_state_size(void)
{
    return sizeof(struct dlg_state);
}

void dlg_state_init(struct dlg_state *state, enum core_channel channel)
{
    memset(state, 0, sizeof *state);
    state->version = DLG_STATE_VERSION;
    state->step = DLG_ST_LANG;
    state->lang = DLG_LANG_KK;
    state->channel = channel;
    state->decision = DLG_DECISION_CONFIRM;
}

void dlg_state_restore_link(struct dlg_state *state,
                            int64_t parent_id,
                            const char *consent_version,
                            int64_t consent_at,
                            enum dlg_lang lang,
                            bool reminders_on)
{
    if (parent_id <= 0) {
        return;
    }
    state->step = DLG_ST_MENU;
    state->parent_id = parent_id;
    snprintf(state->consent_version, sizeof state->consent_version, "%s",
             consent_version ? consent_version : "");
    state->consent_at = consent_at;
    state->lang = (unsigned)lang < DLG_LANG_COUNT ? lang : DLG_LANG_KK;
    state->lang_chosen = true;
    state->reminders_off = !reminders_on;
}

int64_t dlg_state_parent(const struct dlg_state *state)
{
    return state->parent_id;
}

bool dlg_state_expects_phone(const struct dlg_state *state)
{
    return state->step == DLG_ST_PHONE;
}

enum dlg_lang dlg_state_lang(const struct dlg_state *state)
{
    return state->lang;
}

/* ---- encode ---- */

struct enc {
    char *out;
    size_t cap;
    size_t len;
    bool overflow;
};

static void enc_raw(struct enc *e, const char *s, size_t n)
{
    if (e->overflow || e->len + n + 1 > e->cap) {
        e->overflow = true;
        return;
    }
    memcpy(e->out + e->len, s, n);
    e->len += n;
    e->out[e->len] = '\0';
}

static void enc_str(struct enc *e, const char *key, const char *value)
{
    enc_raw(e, key, strlen(key));
    enc_raw(e, "=", 1);
    for (const char *p = value; *p; p++) {
        if (*p == '\\') {
            enc_raw(e, "\\\\", 2);
        } else if (*p == '\n') {
            enc_raw(e, "\\n", 2);
        } else if (*p == '\r') {
            enc_raw(e, "\\r", 2);
        } else {
            enc_raw(e, p, 1);
        }
    }
    enc_raw(e, "\n", 1);
}

static void enc_int(struct enc *e, const char *key, int64_t value)
{
    char num[24];
    snprintf(num, sizeof num, "%" PRId64, value);
    enc_str(e, key, num);
}

size_t dlg_state_encode(const struct dlg_state *state, char *out, size_t out_len)
{
    struct enc e = {.out = out, .cap = out_len};
    if (out_len == 0) {
        return 0;
    }
    out[0] = '\0';
    const struct dlg_step_def *def = dlg__step_def(state->step);
    enc_int(&e, "v", DLG_STATE_VERSION);
    enc_str(&e, "step", def ? def->name : "LANG");
    enc_str(&e, "lang", dlg_lang_code(state->lang));
    enc_int(&e, "lang_chosen", state->lang_chosen);
    enc_str(&e, "channel", core_channel_name(state->channel));
    enc_str(&e, "phone", state->phone);
    enc_str(&e, "iin", state->iin);
    enc_int(&e, "holder", state->holder_id);
    enc_int(&e, "parent", state->parent_id);
    enc_str(&e, "consent", state->consent_version);
    enc_int(&e, "consent_at", state->consent_at);
    enc_int(&e, "reminders_off", state->reminders_off);
    enc_str(&e, "child", state->child_id);
    enc_str(&e, "month", state->month);
    enc_str(&e, "days", state->days);
    enc_int(&e, "dispute_days", state->dispute_days);
    enc_int(&e, "reason", state->reason);
    enc_str(&e, "reason_text", state->reason_text);
    enc_int(&e, "decision", state->decision);
    enc_int(&e, "unknown", state->unknown_count);
    enc_int(&e, "last_at", state->last_at);
    enc_int(&e, "otp_sent_at", state->otp_sent_at);
    enc_int(&e, "match_fails", state->match_fails);
    enc_int(&e, "match_window_at", state->match_window_at);
    if (e.overflow) {
        out[0] = '\0';
        return 0;
    }
    return e.len;
}

/* ---- decode ---- */

/* Unescapes value[0..n) into out (cap bytes incl. NUL); false when it does not fit or holds a
 * bad escape or a NUL byte. */
static bool unescape(const char *value, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = value[i];
        if (c == '\0') {
            return false;
        }
        if (c == '\\') {
            if (++i >= n) {
                return false;
            }
            switch (value[i]) {
            case '\\':
                c = '\\';
                break;
            case 'n':
                c = '\n';
                break;
            case 'r':
                c = '\r';
                break;
            default:
                return false;
            }
        }
        if (o + 1 >= cap) {
            return false;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

static bool parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!*s || (*s != '-' && (*s < '0' || *s > '9'))) {
        return false;
    }
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max) {
        return false;
    }
    *out = v;
    return true;
}

static bool all_digits(const char *s)
{
    for (; *s; s++) {
        if (*s < '0' || *s > '9') {
            return false;
        }
    }
    return true;
}

#define SEEN(bit) (1u << (bit))

enum { K_V, K_STEP, K_LANG, K_CHANNEL, K_REQUIRED_END };

static int set_str_field(const char *key, const char *val, struct dlg_state *s)
{
    struct {
        const char *key;
        char *dst;
        size_t cap;
    } fields[] = {
        {"phone", s->phone, sizeof s->phone},
        {"iin", s->iin, sizeof s->iin},
        {"consent", s->consent_version, sizeof s->consent_version},
        {"child", s->child_id, sizeof s->child_id},
        {"month", s->month, sizeof s->month},
        {"days", s->days, sizeof s->days},
        {"reason_text", s->reason_text, sizeof s->reason_text},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (strcmp(key, fields[i].key) == 0) {
            if (strlen(val) >= fields[i].cap) {
                return CORE_EBADINPUT;
            }
            memcpy(fields[i].dst, val, strlen(val) + 1);
            return 0;
        }
    }
    return 1; /* not a string field */
}

static int set_int_field(const char *key, const char *val, struct dlg_state *s)
{
    struct {
        const char *key;
        int64_t min, max;
    } ranges[] = {
        {"lang_chosen", 0, 1},
        {"holder", 0, INT64_MAX},
        {"parent", 0, INT64_MAX},
        {"consent_at", 0, INT64_MAX},
        {"reminders_off", 0, 1},
        {"dispute_days", 0, 0xFFFFFFFE},
        {"reason", 0, DLG_REASON_OTHER},
        {"decision", 0, 1},
        {"unknown", 0, 1000},
        {"last_at", 0, INT64_MAX},
        {"otp_sent_at", 0, INT64_MAX},
        {"match_fails", 0, 1000},
        {"match_window_at", 0, INT64_MAX},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        if (strcmp(key, ranges[i].key) != 0) {
            continue;
        }
        int64_t v;
        if (!parse_int(val, ranges[i].min, ranges[i].max, &v)) {
            return CORE_EBADINPUT;
        }
        switch (i) {
        case 0:
            s->lang_chosen = v != 0;
            break;
        case 1:
            s->holder_id = v;
            break;
        case 2:
            s->parent_id = v;
            break;
        case 3:
            s->consent_at = v;
            break;
        case 4:
            s->reminders_off = v != 0;
            break;
        case 5:
            s->dispute_days = (uint32_t)v;
            break;
        case 6:
            s->reason = (enum dlg_reason)v;
            break;
        case 7:
            s->decision = (enum dlg_decision)v;
            break;
        case 8:
            s->unknown_count = (int)v;
            break;
        case 9:
            s->last_at = v;
            break;
        case 10:
            s->otp_sent_at = v;
            break;
        case 11:
            s->match_fails = (int)v;
            break;
        default:
            s->match_window_at = v;
            break;
        }
        return 0;
    }
    return CORE_EBADINPUT; /* unknown key */
}

static int set_field(const char *key, const char *val, struct dlg_state *s, unsigned *seen)
{
    int64_t v;
    int r;
    if (strcmp(key, "v") == 0) {
        if (!parse_int(val, DLG_STATE_VERSION, DLG_STATE_VERSION, &v)) {
            return CORE_EBADINPUT;
        }
        *seen |= SEEN(K_V);
        return 0;
    }
    if (strcmp(key, "step") == 0) {
        r = dlg__step_by_name(val);
        if (r < 0) {
            return CORE_EBADINPUT;
        }
        s->step = (enum dlg_step_id)r;
        *seen |= SEEN(K_STEP);
        return 0;
    }
    if (strcmp(key, "lang") == 0) {
        r = dlg_lang_parse(val);
        if (r < 0) {
            return CORE_EBADINPUT;
        }
        s->lang = (enum dlg_lang)r;
        *seen |= SEEN(K_LANG);
        return 0;
    }
    if (strcmp(key, "channel") == 0) {
        r = core_channel_parse(val);
        if (r < 0) {
            return CORE_EBADINPUT;
        }
        s->channel = (enum core_channel)r;
        *seen |= SEEN(K_CHANNEL);
        return 0;
    }
    r = set_str_field(key, val, s);
    if (r <= 0) {
        return r;
    }
    return set_int_field(key, val, s);
}

/* Cross-field checks: what a well-behaved engine can never write. */
static bool consistent(const struct dlg_state *s)
{
    int month_index;
    if (s->iin[0] && (strlen(s->iin) != DLG_IIN_LEN || !all_digits(s->iin))) {
        return false;
    }
    if (s->month[0] && core_month_parse(s->month, &month_index) != 0) {
        return false;
    }
    if (s->phone[0] && (s->phone[0] != '+' || !all_digits(s->phone + 1))) {
        return false;
    }
    for (const char *d = s->days; *d; d++) {
        if (*d != 'P' && *d != 'A' && *d != 'S' && *d != '-') {
            return false;
        }
    }
    const struct dlg_step_def *def = dlg__step_def(s->step);
    return !(def->linked && s->parent_id == 0);
}

int dlg_state_decode(const char *text, size_t len, struct dlg_state *state)
{
    struct dlg_state s;
    char key[32];
    char val[DLG_REASON_MAX * 2];
    unsigned seen = 0;
    unsigned seen_keys = 0;
    if (!text || !state || len == 0 || len > DLG_STATE_ENCODED_MAX) {
        return CORE_EBADINPUT;
    }
    dlg_state_init(&s, CORE_CH_CONSOLE);
    size_t pos = 0;
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        if (!nl) {
            return CORE_EBADINPUT; /* every line ends with \n: a cut blob is damaged */
        }
        size_t n = (size_t)(nl - line);
        pos += n + 1;
        const char *eq = memchr(line, '=', n);
        if (!eq || eq == line || (size_t)(eq - line) >= sizeof key) {
            return CORE_EBADINPUT;
        }
        memcpy(key, line, (size_t)(eq - line));
        key[eq - line] = '\0';
        if (!unescape(eq + 1, n - (size_t)(eq - line) - 1, val, sizeof val)) {
            return CORE_EBADINPUT;
        }
        if (seen_keys == 0 && strcmp(key, "v") != 0) {
            return CORE_EBADINPUT; /* the version comes first */
        }
        seen_keys++;
        if (set_field(key, val, &s, &seen) != 0) {
            return CORE_EBADINPUT;
        }
    }
    if (seen != (SEEN(K_V) | SEEN(K_STEP) | SEEN(K_LANG) | SEEN(K_CHANNEL)) || !consistent(&s)) {
        return CORE_EBADINPUT;
    }
    *state = s;
    return 0;
}
