/* SPDX-License-Identifier: MIT
 * Fuzz target for the SMS channel's inbound side (adapters/sms.h): the form decoder and the
 * Twilio dialect on top of it, and the segment counter over whatever text came in.
 * Properties: a decoded form has at most AD_FORM_MAX_PARAMS NUL-terminated parameters; a
 * parsed message has a "+digits" sender that is also the verified phone, NUL-terminated valid
 * UTF-8 text within its bound, and a printable-ASCII MessageSid; a rejected form says why;
 * every text counts to at least one segment. */
#include "adapters/sms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_message(const struct core_inbound *in, const struct ad_sms_meta *meta)
{
    CHECK(in->channel == CORE_CH_SMS);
    CHECK(fuzz_str_ok(in->text, sizeof in->text));
    CHECK(in->text[0] != '\0');
    CHECK(fuzz_ascii_ok(in->external_id, sizeof in->external_id));
    CHECK(in->user_id[0] == '+' && strcmp(in->user_id, in->verified_phone) == 0);
    for (const char *p = in->user_id + 1; *p; p++) {
        CHECK(*p >= '0' && *p <= '9');
    }
    CHECK(fuzz_ascii_ok(meta->message_sid, sizeof meta->message_sid));
}

static void check_segments(const char *text)
{
    struct ad_sms_count count;
    if (ad_sms_count(text, strlen(text), &count) == CORE_OK) {
        CHECK(count.segments >= 1 || text[0] == '\0');
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ad_form *form = malloc(sizeof *form);
    struct core_inbound *in = malloc(sizeof *in);
    CHECK(form != NULL && in != NULL);
    if (ad_form_parse((const char *)data, size, form) == CORE_OK) {
        CHECK(form->n_params <= AD_FORM_MAX_PARAMS);
        for (size_t i = 0; i < form->n_params; i++) {
            CHECK(form->params[i].name != NULL && form->params[i].value != NULL);
        }
        struct ad_sms_meta meta;
        memset(&meta, 0, sizeof meta);
        int rc = ad_twilio_parse(form, in, &meta);
        if (rc == CORE_OK && meta.kind == AD_SMS_MESSAGE) {
            check_message(in, &meta);
            check_segments(in->text);
        } else if (rc != CORE_OK) {
            CHECK(rc == CORE_EBADINPUT && meta.reason != NULL);
        }
    }
    free(in);
    free(form);
    return 0;
}
