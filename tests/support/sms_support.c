/* SPDX-License-Identifier: MIT
 * SMS test helpers: Twilio signatures and inbound forms. */
#include "support/sms_support.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/sms.h"

int sms_test_sign(const char *token, const char *url, const char *body, char *out, size_t out_len)
{
    struct ad_form *form = malloc(sizeof *form);
    char *base = malloc(3 * AD_FORM_MAX_BODY);
    int rc = form && base ? ad_form_parse(body, strlen(body), form) : -1;
    if (rc == 0) {
        rc = ad_twilio_signature_base(url, form, base, 3 * AD_FORM_MAX_BODY);
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (rc == 0 && !HMAC(EVP_sha1(), token, (int)strlen(token), (const unsigned char *)base,
                         strlen(base), mac, &mac_len)) {
        rc = -1;
    }
    if (rc == 0) {
        sodium_bin2base64(out, out_len, mac, mac_len, sodium_base64_VARIANT_ORIGINAL);
    }
    free(form);
    free(base);
    return rc;
}

int sms_test_form(const char *sid, const char *from, const char *text, char *out, size_t out_len)
{
    size_t used = 0;
    out[0] = '\0';
    int rc = ad_form_append(out, out_len, &used, "MessageSid", sid);
    if (rc == 0) {
        rc = ad_form_append(out, out_len, &used, "AccountSid", "AC0123456789abcdef0123456789abcd");
    }
    if (rc == 0 && from) {
        rc = ad_form_append(out, out_len, &used, "From", from);
    }
    if (rc == 0) {
        rc = ad_form_append(out, out_len, &used, "To", "+77470000000");
    }
    if (rc == 0 && text) {
        rc = ad_form_append(out, out_len, &used, "Body", text);
    }
    if (rc == 0) {
        rc = ad_form_append(out, out_len, &used, "SmsStatus", "received");
    }
    return rc;
}
