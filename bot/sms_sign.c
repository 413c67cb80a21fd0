/* SPDX-License-Identifier: MIT
 * X-Twilio-Signature: HMAC-SHA1 with libcrypto, base64 with libsodium, constant-time compare. */
#include "bot/sms_sign.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BASE_MAX    (AD_FORM_MAX_BODY * 2 + BOT_CFG_URL + 1024)
#define SIG_B64_MAX 64
#define URL_MAX     (BOT_CFG_URL + 1280)

/* ---- the Twilio signature ---- */

static bool signature_for(const char *token,
                          const char *url,
                          const struct ad_form *form,
                          const char *given,
                          size_t given_len)
{
    char *base = malloc(BASE_MAX);
    if (!base) {
        return false;
    }
    bool ok = false;
    if (ad_twilio_signature_base(url, form, base, BASE_MAX) == CORE_OK) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int mac_len = 0;
        char b64[SIG_B64_MAX];
        if (HMAC(EVP_sha1(), token, (int)strlen(token), (const unsigned char *)base, strlen(base),
                 mac, &mac_len) &&
            sodium_base64_ENCODED_LEN(mac_len, sodium_base64_VARIANT_ORIGINAL) <= sizeof b64) {
            sodium_bin2base64(b64, sizeof b64, mac, mac_len, sodium_base64_VARIANT_ORIGINAL);
            ok = strlen(b64) == given_len && sodium_memcmp(b64, given, given_len) == 0;
        }
    }
    free(base);
    return ok;
}

/* The url with its scheme's default port added (add) or removed; false when not applicable. */
static bool port_variant(const char *url, bool add, char *out, size_t out_len)
{
    const char *scheme_end = strstr(url, "://");
    if (!scheme_end) {
        return false;
    }
    const char *host = scheme_end + 3;
    size_t host_len = strcspn(host, "/?#");
    const char *colon = memchr(host, ':', host_len);
    bool https = strncmp(url, "https://", 8) == 0;
    const char *def = https ? ":443" : ":80";
    int n;
    if (add) {
        if (colon) {
            return false;
        }
        n = snprintf(out, out_len, "%.*s%s%s", (int)(host - url + (long)host_len), url, def,
                     host + host_len);
    } else {
        if (!colon || (size_t)(host + host_len - colon) != strlen(def) ||
            strncmp(colon, def, strlen(def)) != 0) {
            return false;
        }
        n = snprintf(out, out_len, "%.*s%s", (int)(colon - url), url, host + host_len);
    }
    return n > 0 && (size_t)n < out_len;
}

bool bot_sms_twilio_signature_ok(const char *auth_token,
                                 const char *url,
                                 const struct ad_form *form,
                                 const char *signature)
{
    if (!auth_token || !auth_token[0] || !signature || !url) {
        return false;
    }
    while (*signature == ' ' || *signature == '\t') {
        signature++;
    }
    size_t len = strlen(signature);
    while (len > 0 && (signature[len - 1] == ' ' || signature[len - 1] == '\t')) {
        len--;
    }
    if (len == 0 || len >= SIG_B64_MAX) {
        return false;
    }
    char variant[URL_MAX];
    bool ok = signature_for(auth_token, url, form, signature, len);
    for (int add = 0; !ok && add < 2; add++) {
        ok = port_variant(url, add == 1, variant, sizeof variant) &&
             signature_for(auth_token, variant, form, signature, len);
    }
    return ok;
}

int bot_sms_webhook_url(const struct bot_config *cfg, const char *query, char *out, size_t out_len)
{
    const char *base = cfg->server.public_url;
    size_t base_len = strlen(base);
    while (base_len > 0 && base[base_len - 1] == '/') {
        base_len--;
    }
    bool has_query = query && query[0];
    int n = snprintf(out, out_len, "%.*s%s%s%s", (int)base_len, base, BOT_SMS_WEBHOOK_PATH,
                     has_query ? "?" : "", has_query ? query : "");
    return n > 0 && (size_t)n < out_len ? CORE_OK : CORE_ETOOBIG;
}
