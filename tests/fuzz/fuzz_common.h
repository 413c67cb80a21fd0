/* SPDX-License-Identifier: MIT
 * Small helpers shared by the fuzz targets (header only, so each target stays one .c file):
 * CHECK aborts on a broken property (libFuzzer and the replay both report an abort), and the
 * string checks every parser's output must pass. */
#ifndef TESTS_FUZZ_FUZZ_COMMON_H
#define TESTS_FUZZ_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/utf8.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A NUL inside field[0..cap) and valid UTF-8 before it. */
static inline bool fuzz_str_ok(const char *field, size_t cap)
{
    const char *nul = memchr(field, '\0', cap);
    return nul != NULL && ad_utf8_valid(field, (size_t)(nul - field));
}

/* A NUL inside field[0..cap) and only printable ASCII before it. */
static inline bool fuzz_ascii_ok(const char *field, size_t cap)
{
    const char *nul = memchr(field, '\0', cap);
    if (!nul) {
        return false;
    }
    for (const char *p = field; p < nul; p++) {
        if (*p < 0x21 || *p > 0x7e) {
            return false;
        }
    }
    return true;
}

/* A tiny deterministic byte reader over the fuzz input, for targets that draw decisions. */
struct fuzz_in {
    const uint8_t *data;
    size_t size;
    size_t pos;
};

static inline uint8_t fuzz_byte(struct fuzz_in *in)
{
    return in->pos < in->size ? in->data[in->pos++] : 0;
}

static inline bool fuzz_done(const struct fuzz_in *in)
{
    return in->pos >= in->size;
}

#endif
