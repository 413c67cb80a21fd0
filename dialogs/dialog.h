/* SPDX-License-Identifier: MIT
 * The dialog engine's contract (DESIGN.md §6): a pure function from (config, read-only registry
 * view, state, event, now) to (new state, replies, effects). No I/O, no clock, no SQL, no
 * channel inside dialogs/: time comes in as `now`, the registry through the view's callbacks
 * (reads only), and every write the dialog wants is an effect that bot/ performs in the same
 * transaction. Effects that have an outcome the parent must hear about (a code sent, a code
 * checked, a timesheet decided) are answered by bot/ with a follow-up result event fed back
 * through dlg_step, so the dialog itself words every message.
 *
 * All structs are plain fixed-size values; nothing is heap-allocated; nothing to free. */
#ifndef DIALOGS_DIALOG_H
#define DIALOGS_DIALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/msg.h"

enum dlg_lang { DLG_LANG_KK = 0, DLG_LANG_RU = 1, DLG_LANG_EN = 2, DLG_LANG_COUNT };

/** "kk" / "ru" / "en"; parse returns -1 for anything else. */
const char *dlg_lang_code(enum dlg_lang lang);
int dlg_lang_parse(const char *code);

#define DLG_NAME_MAX     96
#define DLG_ID_MAX       48
#define DLG_DAYS_MAX     32 /* one char a day + NUL */
#define DLG_MAX_CHILDREN 8
#define DLG_MAX_MONTHS   12
#define DLG_RECEIPT_MAX  32
#define DLG_REASON_MAX   512
#define DLG_DAYLIST_MAX  128

struct dlg_person {
    char surname[DLG_NAME_MAX];
    char given_name[DLG_NAME_MAX];
    char patronymic[DLG_NAME_MAX];
    char sex;            /* 'M' / 'F' */
    char birth_date[11]; /* YYYY-MM-DD */
};

struct dlg_parent {
    int64_t id;
    struct dlg_person person;
    enum dlg_lang lang; /* the registry's preferred language */
};

struct dlg_child {
    char id[DLG_ID_MAX];
    char given_name[DLG_NAME_MAX];
    char surname[DLG_NAME_MAX];
    char voucher_number[DLG_ID_MAX];
    bool voucher_cancelled;                 /* cancelled in the registry */
    char kindergarten[DLG_LANG_COUNT][160]; /* name per language ("" falls back to ru) */
};

enum dlg_ts_status { DLG_TS_PENDING = 0, DLG_TS_CONFIRMED = 1, DLG_TS_DISPUTED = 2 };

struct dlg_timesheet {
    char month[8];           /* YYYY-MM */
    char days[DLG_DAYS_MAX]; /* P present, A absent, S excused, '-' non-working */
    enum dlg_ts_status status;
    int64_t decided_at; /* unix seconds, 0 when pending */
    char receipt[DLG_RECEIPT_MAX];
};

enum dlg_match {
    DLG_MATCH_OK = 0,   /* phone and IIN belong to one voucher holder */
    DLG_MATCH_NONE = 1, /* no voucher holder with this phone and IIN */
};

/** Read-only access to the registry. Every callback returns 0 or a negative core_err; a
 * callback failure makes dlg_step fail with that code (bot/ then retries the inbox row). */
struct dlg_registry_view {
    void *ctx;
    int (*find_holder)(void *ctx,
                       const char *phone_e164,
                       const char *iin,
                       enum dlg_match *match,
                       struct dlg_parent *out);
    int (*get_parent)(void *ctx, int64_t parent_id, struct dlg_parent *out);
    /** Children of a parent, in a stable order; *count <= max. */
    int (*children)(void *ctx, int64_t parent_id, struct dlg_child *out, size_t max, size_t *count);
    /** Timesheets of a child, newest month first; *count <= max. */
    int (*timesheets)(
        void *ctx, const char *child_id, struct dlg_timesheet *out, size_t max, size_t *count);
};

struct dlg_config {
    int utc_offset_s;          /* +05:00 = 18000 */
    int window_first_day;      /* 1 */
    int window_last_day;       /* 10: the window closes at 00:00 of the next day */
    int idle_timeout_s;        /* back to the menu after this much silence (default 1800) */
    int otp_ttl_s;             /* 300 */
    int otp_resend_cooldown_s; /* 60 */
    int otp_max_attempts;      /* 5 */
    char consent_version[16];  /* the data-policy version parents accept, e.g. "2026-11" */
    char contact_phone[24];    /* "8 (727) 339-72-22" as shown to parents */
    char contact_whatsapp[24]; /* "8 (747) 339-72-22" */
    char contact_hours[64]; /* shown after the numbers when not "" (bot's contact_centre.hours) */
};

/** Fills a config with the defaults above. */
void dlg_config_defaults(struct dlg_config *cfg);

/* ---- events into the engine ---- */

enum dlg_event_kind {
    DLG_EV_INBOUND = 0,     /* the parent sent something: `in` */
    DLG_EV_OTP_SENT = 1,    /* result of DLG_FX_OTP_SEND */
    DLG_EV_OTP_CHECKED = 2, /* result of DLG_FX_OTP_VERIFY */
    DLG_EV_DECIDED = 3,     /* result of DLG_FX_DECIDE */
};

enum dlg_otp_send_result {
    DLG_OTP_SENT_OK = 0,
    DLG_OTP_SENT_RATE_LIMITED = 1,
    DLG_OTP_SENT_FAILED = 2
};
enum dlg_otp_check_result {
    DLG_OTP_MATCH = 0,
    DLG_OTP_WRONG = 1, /* attempts_left says how many remain */
    DLG_OTP_EXPIRED = 2,
    DLG_OTP_LOCKED = 3, /* too many wrong attempts: a new code is needed */
    DLG_OTP_NONE = 4,   /* no code outstanding */
};
enum dlg_decide_result {
    DLG_DECIDE_OK = 0,            /* receipt holds the reference code */
    DLG_DECIDE_ALREADY = 1,       /* someone (portal, another chat) decided it first */
    DLG_DECIDE_WINDOW_CLOSED = 2, /* the window closed between review and confirm */
    DLG_DECIDE_FAILED = 3,
    DLG_DECIDE_CHANGED = 4, /* the marks changed after the parent reviewed them: review again */
};

struct dlg_event {
    enum dlg_event_kind kind;
    struct core_inbound in; /* DLG_EV_INBOUND */
    union {
        struct {
            enum dlg_otp_send_result result;
            int retry_after_s;
        } otp_sent;
        struct {
            enum dlg_otp_check_result result;
            int attempts_left;
        } otp_checked;
        struct {
            enum dlg_decide_result result;
            char receipt[DLG_RECEIPT_MAX];
        } decided;
    } u;
};

/* ---- effects out of the engine ---- */

enum dlg_effect_kind {
    DLG_FX_OTP_SEND = 0,      /* issue a code to phone; answer with DLG_EV_OTP_SENT */
    DLG_FX_OTP_VERIFY = 1,    /* check code for phone; answer with DLG_EV_OTP_CHECKED */
    DLG_FX_LINK = 2,          /* link this contact to parent_id; record consent */
    DLG_FX_UNLINK_ERASE = 3,  /* unlink and erase this contact's personal data */
    DLG_FX_SET_LANGUAGE = 4,  /* remember lang on the contact */
    DLG_FX_SET_REMINDERS = 5, /* on = reminders wanted */
    DLG_FX_DECIDE = 6,        /* confirm or dispute; answer with DLG_EV_DECIDED */
    DLG_FX_ESCALATE = 7,      /* open an escalation to the contact centre */
};

enum dlg_decision { DLG_DECISION_CONFIRM = 0, DLG_DECISION_DISPUTE = 1 };

struct dlg_effect {
    enum dlg_effect_kind kind;
    char phone[CORE_PHONE_MAX];         /* OTP_SEND, OTP_VERIFY */
    char code[8];                       /* OTP_VERIFY */
    int64_t parent_id;                  /* LINK */
    char consent_version[16];           /* LINK */
    int64_t consent_at;                 /* LINK */
    enum dlg_lang lang;                 /* SET_LANGUAGE, OTP_SEND (language of the SMS) */
    bool on;                            /* SET_REMINDERS */
    char child_id[DLG_ID_MAX];          /* DECIDE */
    char month[8];                      /* DECIDE */
    enum dlg_decision decision;         /* DECIDE */
    char days_hash_input[DLG_DAYS_MAX]; /* DECIDE: the days string the parent reviewed */
    char dispute_days[DLG_DAYLIST_MAX]; /* DECIDE dispute: "3,7,15-17" normalised */
    char reason[DLG_REASON_MAX];        /* DECIDE dispute, ESCALATE: free text or reason id */
};

#define DLG_MAX_REPLIES 4
#define DLG_MAX_EFFECTS 4

struct dlg_output {
    struct core_reply replies[DLG_MAX_REPLIES];
    size_t n_replies;
    struct dlg_effect effects[DLG_MAX_EFFECTS];
    size_t n_effects;
};

/* ---- state ---- */

/** The per-contact dialog state. Its fields belong to the engine (see dialogs/engine.c);
 * bot/ stores it through dlg_state_encode/decode and reads only the accessors below. */
struct dlg_state;

#define DLG_STATE_ENCODED_MAX 4096

/** Size of struct dlg_state, for callers that allocate it. */
size_t dlg_state_size(void);
/** A fresh state for a new contact on `channel`. */
void dlg_state_init(struct dlg_state *state, enum core_channel channel);
/** Serialises to a versioned text (key=value lines); out_len >= DLG_STATE_ENCODED_MAX.
 * Returns the length written. */
size_t dlg_state_encode(const struct dlg_state *state, char *out, size_t out_len);
/** Parses what encode wrote; unknown or damaged input is CORE_EBADINPUT (state untouched). */
CORE_NODISCARD int dlg_state_decode(const char *text, size_t len, struct dlg_state *state);
/** Makes a fresh state (dlg_state_init) that of a parent already linked: the main menu, the
 * consent they accepted, their language and reminder choice. bot/ calls it when a linked
 * contact's session is missing or unreadable, since the link itself lives with the contact. */
void dlg_state_restore_link(struct dlg_state *state,
                            int64_t parent_id,
                            const char *consent_version,
                            int64_t consent_at,
                            enum dlg_lang lang,
                            bool reminders_on);
/** The linked parent, or 0. */
int64_t dlg_state_parent(const struct dlg_state *state);
enum dlg_lang dlg_state_lang(const struct dlg_state *state);
/** True while the dialog waits for the phone (a shared contact is an answer only then). */
bool dlg_state_expects_phone(const struct dlg_state *state);

/** Advances the dialog by one event. On success *state is the new state and *out holds the
 * replies and effects (in order). On a view failure returns its code and leaves *state as it
 * was. Never fails on bad user input: that is answered with help. */
CORE_NODISCARD int dlg_step(const struct dlg_config *cfg,
                            const struct dlg_registry_view *view,
                            struct dlg_state *state,
                            const struct dlg_event *event,
                            int64_t now,
                            struct dlg_output *out);

#endif
