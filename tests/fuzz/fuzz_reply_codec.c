/* SPDX-License-Identifier: MIT
 * Fuzz target for the outbox payload codec (adapters/reply_codec.h). Decode treats its input as
 * untrusted (it comes back from the database): a rejected input leaves the reply zeroed; an
 * accepted one has NUL-terminated fields within their bounds, and encodes and decodes back to
 * the very same struct (the codec is an exact inverse on everything it accepts). */
#include "adapters/reply_codec.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i]) {
            return false;
        }
    }
    return true;
}

/* Fields end inside their arrays and nothing past the NUL or past n_options is set, so the
 * struct can be compared with memcmp. */
static void check_reply(const struct core_reply *r)
{
    const char *nul = memchr(r->text, '\0', sizeof r->text);
    CHECK(nul != NULL);
    CHECK(all_zero(nul, sizeof r->text - (size_t)(nul - r->text)));
    CHECK(r->n_options <= CORE_REPLY_OPTIONS_MAX);
    CHECK(r->expect >= CORE_EXPECT_NOTHING && r->expect <= CORE_EXPECT_CODE);
    CHECK(r->bulk == 0 || r->bulk == 1);
    for (size_t i = 0; i < CORE_REPLY_OPTIONS_MAX; i++) {
        const struct core_option *o = &r->options[i];
        if (i >= r->n_options) {
            CHECK(all_zero(o, sizeof *o));
            continue;
        }
        CHECK(memchr(o->id, '\0', sizeof o->id) != NULL);
        CHECK(memchr(o->label, '\0', sizeof o->label) != NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct core_reply *first = malloc(sizeof *first);
    struct core_reply *second = malloc(sizeof *second);
    CHECK(first && second);
    int rc = ad_reply_decode((const char *)data, size, first);
    if (rc != CORE_OK) {
        CHECK(rc == CORE_EBADINPUT);
        CHECK(all_zero(first, sizeof *first));
    } else {
        check_reply(first);
        char *json = NULL;
        size_t len = 0;
        CHECK(ad_reply_encode(first, &json, &len) == CORE_OK);
        CHECK(json != NULL && strlen(json) == len);
        CHECK(ad_reply_decode(json, len, second) == CORE_OK);
        CHECK(memcmp(first, second, sizeof *first) == 0);
        free(json);
    }
    free(first);
    free(second);
    return 0;
}
