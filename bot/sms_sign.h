/* SPDX-License-Identifier: MIT
 * The Twilio webhook's authentication (DESIGN.md §9): X-Twilio-Signature is the base64
 * HMAC-SHA1 (OpenSSL libcrypto, used for this only: libsodium has no SHA-1) of the URL Twilio
 * called and the sorted form parameters (adapters/sms builds that string), keyed with the auth
 * token, compared in constant time. Kept apart from bot/sms.h so that the HTTP server side
 * (bot/webhook.c) does not see the HTTP client's types. Pure functions, any thread. */
#ifndef BOT_SMS_SIGN_H
#define BOT_SMS_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "adapters/sms.h"
#include "bot/config.h"
#include "core/err.h"

#define BOT_SMS_SIGNATURE_HEADER "X-Twilio-Signature"
#define BOT_SMS_WEBHOOK_PATH     "/webhook/sms"

/** True when signature (the header value, may be NULL) is Twilio's HMAC-SHA1 of url and form
 * keyed with auth_token. Like twilio's own validator it also accepts the url with the scheme's
 * default port added or removed (a TLS proxy in front changes neither what Twilio signed nor
 * what is configured). A missing or empty signature or token is false. */
bool bot_sms_twilio_signature_ok(const char *auth_token,
                                 const char *url,
                                 const struct ad_form *form,
                                 const char *signature);

/** The URL Twilio calls for POST /webhook/sms: server.public_url + "/webhook/sms", then
 * "?" query when query is not "". CORE_ETOOBIG when out is too small. */
CORE_NODISCARD int
bot_sms_webhook_url(const struct bot_config *cfg, const char *query, char *out, size_t out_len);

#endif
