/* SPDX-License-Identifier: MIT
 * The SMS channel's bot/ side (DESIGN.md §5, §9; docs/channels.md):
 *   - X-Twilio-Signature: HMAC-SHA1 (OpenSSL libcrypto, for this only) of the base string that
 *     adapters/sms builds, base64, compared in constant time;
 *   - the outbox sender of channel "sms": each queued reply rendered as one SMS within
 *     sms.max_segments (adapters/sms), sent through the configured gateway (Twilio Messages API
 *     with basic auth and a status callback that names the outbox row, or Mobizon), at most
 *     sms.max_per_second requests a second (the dispatcher's per-channel limit), the gateway's
 *     message id kept on the row, segments counted in /metrics by kind (interactive / code /
 *     bulk);
 *   - the production code sink: the code SMS (service, purpose, expiry; never the IIN) queued
 *     in the outbox inside the caller's transaction, so it commits with the code row, is
 *     durable and is retried;
 *   - the gate for inbound SMS from numbers that are neither linked nor in the registry: they
 *     get one notice a local day (what the service is and how to register) and no dialog.
 * Codes and phone numbers are never logged (phones masked). Loop thread only. */
#ifndef BOT_SMS_H
#define BOT_SMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adapters/sms.h"
#include "bot/config.h"
#include "bot/crypto.h"
#include "bot/metrics.h"
#include "bot/otp.h"
#include "bot/outbox.h"
#include "bot/sms_sign.h"
#include "core/err.h"
#include "core/msg.h"

struct db;

#define BOT_SMS_METRIC_SEGMENTS  "tabelbot_sms_segments_total"
#define BOT_SMS_METRIC_SHORTENED "tabelbot_sms_shortened_total"
#define BOT_SMS_CODE_IDEM_PREFIX "otp:"

/** Registers the SMS counters (segments by kind, shortened texts) on metrics. */
CORE_NODISCARD int bot_sms_register_metrics(struct bot_metrics *metrics);

/** The outbox sender of channel "sms". cfg, metrics and db (both may be NULL) are borrowed and
 * must outlive it; db receives the gateway's message id of each sent row. *out is owned by the
 * caller: release with bot_sms_sender_free after the dispatcher is closed. */
struct bot_sms_sender;
CORE_NODISCARD int bot_sms_sender_new(const struct bot_config *cfg,
                                      struct bot_metrics *metrics,
                                      struct db *db,
                                      struct bot_sms_sender **out);
void bot_sms_sender_free(struct bot_sms_sender *sender);
/** Fills an outbox sender registration whose ctx is sender. */
void bot_sms_sender_fill(struct bot_sms_sender *sender, struct bot_outbox_sender *out);

/** "interactive", "code" or "bulk": what an outbox message is, from its priority and key. */
const char *bot_sms_kind(int priority, const char *idem_key);

/** The production code sink's state: everything borrowed, must outlive the sink. */
struct bot_sms_code_sink {
    struct db *db;
    const struct bot_crypto *crypto;
    int ttl_s;
    struct bot_code_sink also; /* [dev] code_sink = "console": the code is also shown there */
};

/** Makes sink deliver codes as SMS queued in the outbox (channel "sms", recipient the phone,
 * interactive, key "otp:<random>"), in the caller's open transaction. also (may be NULL or
 * have no deliver) is the dev sink that also gets each queued code. */
void bot_code_sink_sms(struct bot_sms_code_sink *state,
                       struct db *db,
                       const struct bot_crypto *crypto,
                       const struct bot_config *cfg,
                       const struct bot_code_sink *also,
                       struct bot_code_sink *sink);

/** The code SMS text in lang ("kk", "ru", "en"; anything else: kk). */
CORE_NODISCARD int
bot_sms_code_text(const char *lang, const char *code, int ttl_s, char *out, size_t out_len);

/** The notice for an unknown number, in Kazakh when text holds a Kazakh letter, else Russian. */
CORE_NODISCARD int
bot_sms_notice_text(const struct bot_config *cfg, const char *text, char *out, size_t out_len);

/** The gate in front of the dialog for an inbound SMS (in: channel sms, user_id the E.164
 * sender). *dialog is true when the dialog should run: the number has a linked contact or is
 * some voucher holder's phone. Otherwise the first SMS of the local day gets the notice
 * (queued with key "<idem_prefix>:notice"), later ones nothing. Runs inside the caller's
 * transaction. */
CORE_NODISCARD int bot_sms_gate(struct db *db,
                                const struct bot_crypto *crypto,
                                const struct bot_config *cfg,
                                const struct core_inbound *in,
                                const char *idem_prefix,
                                int64_t now_s,
                                bool *dialog);

#endif
