/* SPDX-License-Identifier: MIT
 * SMS wire formats (DESIGN.md §5, shared/channels.md §3): exact segment arithmetic (GSM-7 with
 * the extension table, UCS-2 with surrogate pairs), application/x-www-form-urlencoded bodies,
 * the reply as a plain-text numbered menu kept within a segment cap, and two gateway dialects:
 *   - twilio: inbound webhook and status callbacks (form bodies), the X-Twilio-Signature base
 *     string (the HMAC itself is bot/'s: adapters do no crypto), the Messages REST API body
 *     and its JSON answer;
 *   - mobizon (Kazakhstan): outbound only (codes and reminders): SendSmsMessage and its JSON
 *     answer. Mobizon documents no inbound (MO) webhook; SMSC.kz's inbound callback contract
 *     could not be confirmed (docs/channels.md), so no Kazakh gateway receives SMS here.
 * Pure functions over caller buffers: no I/O, no allocation unless stated, no logging. */
#ifndef ADAPTERS_SMS_H
#define ADAPTERS_SMS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/msg.h"

/* ---- segments ---- */

enum ad_sms_encoding { AD_SMS_GSM7 = 0, AD_SMS_UCS2 = 1 };

#define AD_SMS_GSM7_SINGLE 160 /* septets in a lone segment */
#define AD_SMS_GSM7_PART   153 /* septets per part of a concatenated message (6-byte UDH) */
#define AD_SMS_UCS2_SINGLE 70  /* UTF-16 units in a lone segment */
#define AD_SMS_UCS2_PART   67  /* UTF-16 units per part */

struct ad_sms_count {
    enum ad_sms_encoding encoding;
    size_t chars; /* code points */
    size_t units; /* septets (GSM-7, an extension character is two) or UTF-16 units */
    int segments; /* 0 for empty text */
};

/** Counts the segments of UTF-8 text exactly as a gateway splits it: GSM-7 when every character
 * is in the GSM 03.38 default alphabet or its extension table (^ { } \ [ ] ~ | € and form feed
 * cost two septets), else UCS-2. A concatenated message never splits an extension escape or a
 * surrogate pair across parts, so a part may hold one unit less than 153 / 67.
 * CORE_EBADINPUT for malformed UTF-8. */
CORE_NODISCARD int ad_sms_count(const char *text, size_t len, struct ad_sms_count *out);

/* ---- the reply as SMS text ---- */

#define AD_SMS_TEXT_MAX 1600 /* Twilio's Body limit, in characters; we keep bytes below it */

struct ad_sms_rendered {
    struct ad_sms_count count;
    bool compact_menu; /* options as "1-label; 2-label" on one line */
    bool shortened;    /* the text was cut to fit the cap (it never splits into several SMS) */
};

/** Renders reply as one SMS: the text, then each option as "N - label" on its own line (the
 * option's 1-based position is what the parent types back; ASCII " - " keeps Latin text in
 * GSM-7). When that exceeds max_segments, the menu is written compactly ("1-label; 2-label");
 * when still too long, the text is cut on a character boundary with "…" so the whole menu
 * survives; when the menu alone is too long, text and menu are cut as one. Never more than
 * max_segments (>= 1). out gets NUL-terminated UTF-8 (out_len >= 64). CORE_EBADINPUT for
 * malformed text, CORE_ETOOBIG when out is too small for the result. */
CORE_NODISCARD int ad_sms_render(const struct core_reply *reply,
                                 int max_segments,
                                 char *out,
                                 size_t out_len,
                                 struct ad_sms_rendered *info);

/* ---- application/x-www-form-urlencoded ---- */

#define AD_FORM_MAX_PARAMS 64
#define AD_FORM_MAX_BODY                                                                           \
    24576                          /* bytes of a body we accept (a 1600-character SMS of 4-byte    \
                                    * characters, percent-encoded, and Twilio's other fields) */
#define AD_SMS_BODY_MAX_CHARS 1600 /* Twilio's limit for one (concatenated) message */

struct ad_form_param {
    char *name; /* decoded, NUL-terminated, points into the form's buffer */
    char *value;
};

/** A decoded form. The strings live in buf (owned by the struct, no heap). */
struct ad_form {
    struct ad_form_param params[AD_FORM_MAX_PARAMS];
    size_t n_params;
    char buf[AD_FORM_MAX_BODY + AD_FORM_MAX_PARAMS];
};

/** Decodes body ('+' is a space, %XX a byte). CORE_ETOOBIG past AD_FORM_MAX_BODY bytes or
 * AD_FORM_MAX_PARAMS pairs; CORE_EBADINPUT for a broken escape, a NUL byte or a name or value
 * that is not valid UTF-8 (a gateway that sends windows-1251 is told so rather than misread). */
CORE_NODISCARD int ad_form_parse(const char *body, size_t len, struct ad_form *form);
/** The value of the first parameter called name, or NULL. */
const char *ad_form_get(const struct ad_form *form, const char *name);
/** Appends "name=value" (percent-encoded, '&' between pairs) to out at *used. CORE_ETOOBIG when
 * it does not fit (out is then left NUL-terminated at the old end). */
CORE_NODISCARD int
ad_form_append(char *out, size_t out_len, size_t *used, const char *name, const char *value);

/* ---- Twilio ---- */

/** The string Twilio signs: url exactly as configured, then every parameter sorted by name
 * (then by value, as twilio's own validator does for repeated names) as name immediately
 * followed by value. CORE_ETOOBIG when out is too small. */
CORE_NODISCARD int
ad_twilio_signature_base(const char *url, const struct ad_form *form, char *out, size_t out_len);

enum ad_sms_kind {
    AD_SMS_MESSAGE = 0, /* a parent's SMS */
    AD_SMS_STATUS = 1,  /* a status callback for a message we sent */
};

enum ad_sms_status {
    AD_SMS_ST_UNKNOWN = 0,
    AD_SMS_ST_QUEUED = 1, /* queued, accepted, sending */
    AD_SMS_ST_SENT = 2,
    AD_SMS_ST_DELIVERED = 3,   /* final */
    AD_SMS_ST_UNDELIVERED = 4, /* final */
    AD_SMS_ST_FAILED = 5,      /* final */
};

/** "queued", "sent", "delivered", "undelivered", "failed", "unknown". */
const char *ad_sms_status_name(enum ad_sms_status status);
/** True for delivered, undelivered and failed: a later callback never changes them. */
bool ad_sms_status_final(enum ad_sms_status status);

#define AD_SMS_SID_MAX 64

struct ad_sms_meta {
    enum ad_sms_kind kind;
    char message_sid[AD_SMS_SID_MAX]; /* SM… / MM… */
    enum ad_sms_status status;        /* AD_SMS_STATUS */
    char error_code[16];              /* AD_SMS_STATUS, may be "" */
    const char *reason;               /* static ASCII, set when parsing fails */
};

/** A Twilio webhook form -> a parent's message (channel sms, user_id and verified_phone the
 * sender's E.164 number, external_id the MessageSid, the Body as text) or a status callback
 * (meta only). A Body longer than CORE_TEXT_MAX - 1 bytes is kept up to that, on a character
 * boundary. CORE_EBADINPUT with meta->reason for: no MessageSid, no From or a From that is not
 * E.164, an empty Body, a Body over AD_SMS_BODY_MAX_CHARS characters (no SMS is that long),
 * media without text. */
CORE_NODISCARD int
ad_twilio_parse(const struct ad_form *form, struct core_inbound *in, struct ad_sms_meta *meta);

/** The Messages API request body: To, From, Body and (when not "") StatusCallback. */
CORE_NODISCARD int ad_twilio_send_body(const char *to,
                                       const char *from,
                                       const char *text,
                                       const char *status_callback,
                                       char *out,
                                       size_t out_len);

/** Reads a Messages API answer: the sid (when 2xx) or Twilio's error code and message.
 * CORE_EBADINPUT when the body is not a Twilio JSON object. */
struct ad_sms_answer {
    char sid[AD_SMS_SID_MAX];
    int segments;    /* num_segments when given, else 0 */
    long error_code; /* Twilio "code" / Mobizon "code"; 0 when none */
    char message[160];
};
CORE_NODISCARD int ad_twilio_answer(const char *body, size_t len, struct ad_sms_answer *out);

/* ---- Mobizon (outbound only) ---- */

/** Path and query after api_base_url: "/service/Message/SendSmsMessage?output=json&api=v1
 * &apiKey=<key>" (the key is a secret: the URL is never logged). */
CORE_NODISCARD int ad_mobizon_send_path(const char *api_key, char *out, size_t out_len);
/** The form body: recipient (digits, no '+'), text, and from when not "". */
CORE_NODISCARD int ad_mobizon_send_body(
    const char *to_e164, const char *from, const char *text, char *out, size_t out_len);
/** Reads {"code":N,"data":{"messageId":..},"message":".."}: error_code = code, sid = messageId. */
CORE_NODISCARD int ad_mobizon_answer(const char *body, size_t len, struct ad_sms_answer *out);

#endif
