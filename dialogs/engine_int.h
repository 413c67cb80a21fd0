/* SPDX-License-Identifier: MIT
 * Private to the dialog engine (dialogs/engine.c, state.c, render.c, flow_*.c): the per-contact
 * state, the step table that drives dlg_step and generates docs/dialogs.md, and the helpers the
 * flows share. Nothing here allocates; every buffer is inside the structs. */
#ifndef DIALOGS_ENGINE_INT_H
#define DIALOGS_ENGINE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/msg.h"
#include "dialogs/dialog.h"

#define DLG_STATE_VERSION 1

/* The steps of the dialog. Their names (the step table) are what the encoded state stores, so
 * renaming one is an incompatible change of DLG_STATE_VERSION. */
enum dlg_step_id {
    DLG_ST_LANG = 0,       /* unlinked: choose the language */
    DLG_ST_CONSENT,        /* unlinked: accept the data policy */
    DLG_ST_DECLINED,       /* unlinked: the policy was refused; any input offers it again */
    DLG_ST_PHONE,          /* unlinked: share or type the phone */
    DLG_ST_IIN,            /* unlinked: type the IIN */
    DLG_ST_OTP_WAIT,       /* unlinked: OTP_SEND emitted, waiting for DLG_EV_OTP_SENT */
    DLG_ST_CODE,           /* unlinked: type the one-time code */
    DLG_ST_CODE_WAIT,      /* unlinked: OTP_VERIFY emitted, waiting for DLG_EV_OTP_CHECKED */
    DLG_ST_IDENTITY,       /* unlinked: registry data shown, "this is me" / "not me" */
    DLG_ST_MENU,           /* linked: main menu */
    DLG_ST_LANG_PICK,      /* linked: change the language */
    DLG_ST_UNLINK_SURE,    /* linked: confirm unlink and erase */
    DLG_ST_CHILD,          /* linked: choose a child */
    DLG_ST_MONTH,          /* linked: choose a month */
    DLG_ST_REVIEW,         /* linked: the month's calendar; confirm / dispute / back */
    DLG_ST_CONFIRM_SURE,   /* linked: "this is legally binding", confirm again */
    DLG_ST_DISPUTE_DAYS,   /* linked: which days are wrong */
    DLG_ST_DISPUTE_REASON, /* linked: why */
    DLG_ST_DISPUTE_TEXT,   /* linked: the reason in free text */
    DLG_ST_DISPUTE_SEND,   /* linked: summary, "send to the kindergarten" */
    DLG_ST_DECIDE_WAIT,    /* linked: DECIDE emitted, waiting for DLG_EV_DECIDED */
    DLG_ST_COUNT
};

enum dlg_reason {
    DLG_REASON_NONE = 0,
    DLG_REASON_WAS_ABSENT = 1,  /* marked present but was absent */
    DLG_REASON_WAS_PRESENT = 2, /* marked absent but was present */
    DLG_REASON_WAS_ILL = 3,     /* was ill: should be excused */
    DLG_REASON_OTHER = 4,       /* free text in reason_text */
};

#define DLG_IIN_LEN 12

/* The "yes" of a step with a lasting effect has an id of its own: Telegram keeps the buttons of
 * earlier messages pressable, so a plain "yes" pressed on an old message (the data policy) would
 * otherwise sign a timesheet, send a dispute, erase the account or link the chat. */
#define DLG_OPT_SIGN         "ts:sign"
#define DLG_OPT_SEND_DISPUTE "dispute:send"
#define DLG_OPT_ERASE        "unlink:erase"
#define DLG_OPT_ITS_ME       "identity:yes"

struct dlg_state {
    int version;
    enum dlg_step_id step;
    enum dlg_lang lang;
    bool lang_chosen;
    enum core_channel channel;
    char phone[CORE_PHONE_MAX]; /* E.164 under registration; "" once linked */
    char iin[DLG_IIN_LEN + 1];  /* under registration; "" once linked */
    int64_t holder_id;          /* find_holder's answer, before the code is checked */
    int64_t parent_id;          /* linked parent, 0 when unlinked */
    char consent_version[16];   /* accepted data-policy version, "" when none */
    int64_t consent_at;         /* when it was accepted */
    bool reminders_off;         /* the parent said "stop" */
    char child_id[DLG_ID_MAX];  /* selected child */
    char month[8];              /* selected month "YYYY-MM" */
    char days[DLG_DAYS_MAX];    /* the days string the parent reviewed */
    uint32_t dispute_days;      /* bit d set = day d (1..31) disputed */
    enum dlg_reason reason;     /* dispute reason choice */
    char reason_text[DLG_REASON_MAX];
    enum dlg_decision decision; /* the decision under way (DECIDE_WAIT) */
    int unknown_count;          /* unknown inputs in a row */
    int64_t last_at;            /* last inbound, 0 before the first */
    int64_t otp_sent_at;        /* last code sent, 0 when none */
    int match_fails;            /* phone + IIN pairs the registry did not know, this window */
    int64_t match_window_at;    /* when that window started, 0 before the first miss */
};

/* ---- the step table ---- */

struct dlg_ctx;

/** What the parent sent, resolved against the current step's options. */
struct dlg_input {
    const struct core_inbound *in;
    const char *choice; /* the option id chosen (button, number, keyword, label), or NULL */
    const char *text;   /* the typed text, trimmed ("" for buttons) */
    int keyword;        /* enum dlg_keyword of the whole text (DLG_KW_NONE = 0) */
};

#define DLG_MAX_EDGES 10

struct dlg_edge {
    enum dlg_step_id to;
    const char *label; /* what takes it, for the diagram */
};

struct dlg_step_def {
    enum dlg_step_id id;
    const char *name; /* stable, stored in the encoded state and shown in the diagram */
    enum core_expect expect;
    bool linked;          /* true: only a linked chat can be here */
    bool registration;    /* part of registration: idle restarts this step */
    const char *help_key; /* catalog key of the step's help */
    /** Appends the step's prompt text (may be NULL: the step only waits). */
    int (*prompt)(struct dlg_ctx *ctx);
    /** Fills ctx->opts with the step's options (may be NULL: none). */
    int (*options)(struct dlg_ctx *ctx);
    /** Handles input; returns 1 when it was not understood (help follows), 0 or an error. */
    int (*input)(struct dlg_ctx *ctx, const struct dlg_input *input);
    struct dlg_edge edges[DLG_MAX_EDGES]; /* terminated by label == NULL */
};

const struct dlg_step_def *dlg__step_def(enum dlg_step_id id);
/** The step whose name is `name`, or -1. */
int dlg__step_by_name(const char *name);

/* ---- the context of one dlg_step call ---- */

struct dlg_ctx {
    const struct dlg_config *cfg;
    const struct dlg_registry_view *view;
    struct dlg_state *st; /* the working copy */
    const struct dlg_event *ev;
    int64_t now;
    struct dlg_output *out;
    struct core_reply *reply; /* the reply being written, NULL before the first text */
    struct core_option opts[CORE_REPLY_OPTIONS_MAX];
    size_t n_opts;
};

/* engine.c */
/** Moves to `to`; fails with CORE_ESTATE when the table does not declare that edge. */
CORE_NODISCARD int dlg__go(struct dlg_ctx *ctx, enum dlg_step_id to);
/** Moves to `to` (a global jump: menu, language, fresh start) and shows its prompt. */
CORE_NODISCARD int dlg__jump(struct dlg_ctx *ctx, enum dlg_step_id to);
/** Moves along a declared edge and shows the new step's prompt and options. */
CORE_NODISCARD int dlg__go_show(struct dlg_ctx *ctx, enum dlg_step_id to);
/** Shows the current step's prompt and options (again). */
CORE_NODISCARD int dlg__show(struct dlg_ctx *ctx);
/** Re-shows the current step's options (not its prompt) under the text said so far. */
CORE_NODISCARD int dlg__reattach(struct dlg_ctx *ctx);
/** Sets the language (and emits SET_LANGUAGE). */
CORE_NODISCARD int dlg__set_language(struct dlg_ctx *ctx, enum dlg_lang lang);
/** Emits SET_REMINDERS(on) and says so. */
CORE_NODISCARD int dlg__set_reminders(struct dlg_ctx *ctx, bool on);
/** Appends an effect; CORE_ETOOBIG past DLG_MAX_EFFECTS. */
CORE_NODISCARD int
dlg__effect(struct dlg_ctx *ctx, enum dlg_effect_kind kind, struct dlg_effect **fx);
/** True when two texts are equal after dlg_fold (and not empty). */
bool dlg__fold_eq(const char *a, const char *b);
/** True when typed text is (after folding) the label of catalog key label_key. */
bool dlg__text_is_label(const struct dlg_ctx *ctx, const char *text, const char *label_key);
/** Answer to "operator": ESCALATE effect + the contact centre's numbers. */
CORE_NODISCARD int dlg__escalate(struct dlg_ctx *ctx, const char *reason);

/* render.c: text into the current reply (a new reply is started when none is open). */
/** Appends a catalog text formatted with name/value pairs (const char *), NULL-terminated. */
CORE_NODISCARD int dlg__say(struct dlg_ctx *ctx, const char *key, ...);
/** Appends raw text (already localized or data) as its own line. */
CORE_NODISCARD int dlg__say_raw(struct dlg_ctx *ctx, const char *text);
/** Formats a catalog text into buf. */
CORE_NODISCARD int dlg__fmt(struct dlg_ctx *ctx, char *buf, size_t len, const char *key, ...);
/** Adds an option (id, label from the catalog key) to ctx->opts. */
CORE_NODISCARD int dlg__opt(struct dlg_ctx *ctx, const char *id, const char *label_key);
/** Adds an option with a ready label. */
CORE_NODISCARD int dlg__opt_raw(struct dlg_ctx *ctx, const char *id, const char *label);
/** Starts a new reply (the next text goes into a separate message). */
CORE_NODISCARD int dlg__new_reply(struct dlg_ctx *ctx);
/** Copies ctx->opts into the open reply with `expect`. */
void dlg__finish_reply(struct dlg_ctx *ctx, enum core_expect expect);
/** The contact centre lines (numbers and hours). */
CORE_NODISCARD int dlg__say_contact(struct dlg_ctx *ctx);
/** "+7 701 *** ** 01" */
void dlg__mask_phone(const char *e164, char *out, size_t len);
/** Widest line of the calendar, legend and counts, in characters (plain-text SMS). */
#define DLG_CAL_WIDTH 40

/** The month calendar of a child's days string with legend and counts. */
CORE_NODISCARD int
dlg__say_calendar(struct dlg_ctx *ctx, const char *name, const char *month, const char *days);
/** "қараша 2026" / "ноябрь 2026" / "November 2026" for "YYYY-MM". */
void dlg__month_title(struct dlg_ctx *ctx, const char *month, char *out, size_t len);
/** "10 желтоқсанға дейін" for the last day of the month's window. */
void dlg__deadline(struct dlg_ctx *ctx, const char *month, char *out, size_t len);
/** out = a + b + c; false (out "") when it does not fit. */
bool dlg__concat(char *out, size_t cap, const char *a, const char *b, const char *c);
/** Writes "3, 7, 15–17" for a day set. */
void dlg__days_text(uint32_t days, char *out, size_t len);

/* flow_register.c, flow_menu.c, flow_confirm.c: the handlers the table points at. */
int dlg__lang_prompt(struct dlg_ctx *ctx);
int dlg__lang_options(struct dlg_ctx *ctx);
int dlg__lang_input(struct dlg_ctx *ctx, const struct dlg_input *input);
int dlg__consent_prompt(struct dlg_ctx *ctx);
int dlg__consent_options(struct dlg_ctx *ctx);
int dlg__consent_input(struct dlg_ctx *ctx, const struct dlg_input *input);
int dlg__declined_prompt(struct dlg_ctx *ctx);
int dlg__declined_options(struct dlg_ctx *ctx);
int dlg__declined_input(struct dlg_ctx *ctx, const struct dlg_input *input);
int dlg__phone_prompt(struct dlg_ctx *ctx);
int dlg__phone_input(struct dlg_ctx *ctx, const struct dlg_input *input);
int dlg__iin_prompt(struct dlg_ctx *ctx);
int dlg__iin_options(struct dlg_ctx *ctx);
int dlg__iin_input(struct dlg_ctx *ctx, const struct dlg_input *input);
int dlg__wait_input(struct dlg_ctx *ctx, const struct dlg_input *input);
int dlg__code_prompt(struct dlg_ctx *ctx);
int dlg__code_options(struct dlg_ctx *ctx);
int dlg__code_input(struct dlg_ctx *ctx, const struct dlg_input *input);
int dlg__identity_prompt(struct dlg_ctx *ctx);
int dlg__identity_options(struct dlg_ctx *ctx);
int dlg__identity_input(struct dlg_ctx *ctx, const struct dlg_input *input);
CORE_NODISCARD int dlg__on_otp_sent(struct dlg_ctx *ctx);
CORE_NODISCARD int dlg__on_otp_checked(struct dlg_ctx *ctx);

int dlg__menu_prompt(struct dlg_ctx *ctx);
int dlg__menu_options(struct dlg_ctx *ctx);
int dlg__menu_input(struct dlg_ctx *ctx, const struct dlg_input *input);
int dlg__unlink_prompt(struct dlg_ctx *ctx);
int dlg__yes_no_options(struct dlg_ctx *ctx);
int dlg__unlink_input(struct dlg_ctx *ctx, const struct dlg_input *input);

int dlg__child_prompt(struct dlg_ctx *ctx);
int dlg__child_options(struct dlg_ctx *ctx);
int dlg__child_input(struct dlg_ctx *ctx, const struct dlg_input *input);
int dlg__month_prompt(struct dlg_ctx *ctx);
int dlg__month_options(struct dlg_ctx *ctx);
int dlg__month_input(struct dlg_ctx *ctx, const struct dlg_input *input);
int dlg__review_prompt(struct dlg_ctx *ctx);
int dlg__review_options(struct dlg_ctx *ctx);
int dlg__review_input(struct dlg_ctx *ctx, const struct dlg_input *input);
int dlg__sure_prompt(struct dlg_ctx *ctx);
int dlg__sure_options(struct dlg_ctx *ctx);
int dlg__sure_input(struct dlg_ctx *ctx, const struct dlg_input *input);
int dlg__ddays_prompt(struct dlg_ctx *ctx);
int dlg__ddays_options(struct dlg_ctx *ctx);
int dlg__ddays_input(struct dlg_ctx *ctx, const struct dlg_input *input);
int dlg__reason_prompt(struct dlg_ctx *ctx);
int dlg__reason_options(struct dlg_ctx *ctx);
int dlg__reason_input(struct dlg_ctx *ctx, const struct dlg_input *input);
int dlg__rtext_prompt(struct dlg_ctx *ctx);
int dlg__back_options(struct dlg_ctx *ctx);
int dlg__rtext_input(struct dlg_ctx *ctx, const struct dlg_input *input);
int dlg__dsend_prompt(struct dlg_ctx *ctx);
int dlg__dsend_options(struct dlg_ctx *ctx);
int dlg__dsend_input(struct dlg_ctx *ctx, const struct dlg_input *input);
CORE_NODISCARD int dlg__on_decided(struct dlg_ctx *ctx);
/** "Confirm a timesheet" from the menu: the child step, or the month step for one child. */
CORE_NODISCARD int dlg__start_confirm(struct dlg_ctx *ctx);
/** The linked parent's children (at most DLG_MAX_CHILDREN). */
CORE_NODISCARD int dlg__load_children(struct dlg_ctx *ctx, struct dlg_child *out, size_t *n);
/** "My children and vouchers" (shown from the menu). */
CORE_NODISCARD int dlg__say_children(struct dlg_ctx *ctx);

#endif
