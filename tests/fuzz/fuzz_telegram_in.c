/* SPDX-License-Identifier: MIT
 * Fuzz target for the Telegram Update parser (adapters/telegram.h). Beyond "no crash, no leak,
 * no UB": a rejected body says why; an accepted one fills only NUL-terminated, valid UTF-8
 * strings within their fields, ids are decimal, a button id stays a button id, a verified
 * phone is "+digits" and is the shared number, and parsing is deterministic. */
#include "adapters/telegram.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "-?[0-9]+" within cap (negative only where allowed), or "" when allow_empty. */
static bool decimal_ok(const char *text, size_t cap, bool allow_negative, bool allow_empty)
{
    const char *nul = memchr(text, '\0', cap);
    if (!nul) {
        return false;
    }
    const char *p = text;
    if (allow_negative && *p == '-') {
        p++;
    }
    if (p == nul) {
        return allow_empty && nul == text;
    }
    for (; p < nul; p++) {
        if (*p < '0' || *p > '9') {
            return false;
        }
    }
    return true;
}

static bool phone_ok(const char *phone)
{
    if (phone[0] == '\0') {
        return true;
    }
    size_t len = strlen(phone);
    if (phone[0] != '+' || len < 2 || len > 16) {
        return false;
    }
    for (size_t i = 1; i < len; i++) {
        if (phone[i] < '0' || phone[i] > '9') {
            return false;
        }
    }
    return true;
}

static void check_inbound(const struct core_inbound *in)
{
    CHECK(in->kind >= CORE_IN_TEXT && in->kind <= CORE_IN_COMMAND);
    CHECK(fuzz_str_ok(in->text, sizeof in->text));
    CHECK(fuzz_str_ok(in->button_id, sizeof in->button_id));
    CHECK(phone_ok(in->verified_phone) && memchr(in->verified_phone, '\0', CORE_PHONE_MAX));
    if (in->kind != CORE_IN_BUTTON) {
        CHECK(in->button_id[0] == '\0');
    } else {
        CHECK(in->text[0] == '\0' && in->at == 0);
    }
    if (in->kind == CORE_IN_CONTACT) {
        CHECK(phone_ok(in->text));
        CHECK(in->verified_phone[0] == '\0' || strcmp(in->verified_phone, in->text) == 0);
    } else {
        CHECK(in->verified_phone[0] == '\0');
    }
    CHECK(in->at >= 0);
}

static void check_success(const struct core_inbound *in, const struct ad_telegram_meta *meta)
{
    CHECK(meta->reason != NULL);
    CHECK(decimal_ok(meta->update_id, sizeof meta->update_id, false, false));
    CHECK(decimal_ok(meta->from_id, sizeof meta->from_id, false, true));
    CHECK(fuzz_str_ok(meta->callback_query_id, sizeof meta->callback_query_id));
    switch (meta->kind) {
    case AD_TG_INBOUND:
        check_inbound(in);
        CHECK(meta->reason[0] == '\0');
        CHECK(in->kind == CORE_IN_BUTTON || meta->callback_query_id[0] == '\0');
        break;
    case AD_TG_BLOCKED:
    case AD_TG_UNBLOCKED:
        CHECK(in->text[0] == '\0' && in->button_id[0] == '\0');
        break;
    case AD_TG_IGNORED:
        CHECK(meta->reason[0] != '\0');
        return;
    default:
        CHECK(0);
    }
    CHECK(in->channel == CORE_CH_TELEGRAM);
    CHECK(decimal_ok(in->user_id, sizeof in->user_id, true, false));
    CHECK(strcmp(in->external_id, meta->update_id) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct core_inbound in;
    struct ad_telegram_meta meta;
    int rc = ad_telegram_parse_update((const char *)data, size, &in, &meta);
    if (rc != CORE_OK) {
        CHECK(rc == CORE_EBADINPUT);
        CHECK(meta.reason != NULL && meta.reason[0] != '\0');
        return 0;
    }
    check_success(&in, &meta);
    /* Same bytes, same answer: nothing depends on leftovers of an earlier call. */
    struct core_inbound again;
    struct ad_telegram_meta meta2;
    CHECK(ad_telegram_parse_update((const char *)data, size, &again, &meta2) == CORE_OK);
    CHECK(memcmp(&in, &again, sizeof in) == 0);
    CHECK(meta.kind == meta2.kind && strcmp(meta.update_id, meta2.update_id) == 0);
    return 0;
}
