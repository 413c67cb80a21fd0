/* SPDX-License-Identifier: MIT
 * Fuzz target for the terminal channel (adapters/console.h). The input is one typed line for
 * ad_console_parse and, cut at its '\n's, a reply for ad_console_render (first piece the text,
 * the others option labels). Properties: a parsed line is NUL-terminated valid UTF-8 without a
 * trailing CR/LF, a command exactly when it starts with '/', and a rejected one is EBADINPUT
 * and leaves the event zeroed; a render is exactly the text followed by "\n  N — label" per
 * option and a final '\n', and a capped buffer fails with ETOOBIG instead of overflowing. */
#include "adapters/console.h"

#include <stdio.h>
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

static void fuzz_parse(const char *line, size_t len)
{
    struct core_inbound *in = malloc(sizeof *in);
    CHECK(in != NULL);
    int rc = ad_console_parse(line, len, "fuzz-user", "fuzz-1", 1764745200, in);
    size_t trimmed = len;
    while (trimmed > 0 && (line[trimmed - 1] == '\n' || line[trimmed - 1] == '\r')) {
        trimmed--;
    }
    if (rc != CORE_OK) {
        CHECK(rc == CORE_EBADINPUT);
        CHECK(all_zero(in, sizeof *in));
        CHECK(trimmed >= CORE_TEXT_MAX || !ad_utf8_valid(line, trimmed));
        free(in);
        return;
    }
    CHECK(ad_utf8_valid(line, trimmed) && trimmed < CORE_TEXT_MAX);
    CHECK(in->channel == CORE_CH_CONSOLE && in->at == 1764745200);
    CHECK(strcmp(in->user_id, "fuzz-user") == 0 && strcmp(in->external_id, "fuzz-1") == 0);
    CHECK(memchr(in->text, '\0', sizeof in->text) != NULL);
    bool command = trimmed > 1 && line[0] == '/';
    CHECK(in->kind == (command ? CORE_IN_COMMAND : CORE_IN_TEXT));
    /* The text is the line (without '/' for a command) up to its first NUL byte. */
    const char *want = command ? line + 1 : line;
    size_t want_len = command ? trimmed - 1 : trimmed;
    size_t got = strlen(in->text);
    CHECK(got <= want_len && memcmp(in->text, want, got) == 0);
    CHECK(got == want_len || want[got] == '\0');
    free(in);
}

/* Splits the input at '\n' into a reply: text, then up to CORE_REPLY_OPTIONS_MAX labels. */
static void build_reply(const char *data, size_t size, struct core_reply *r)
{
    memset(r, 0, sizeof *r);
    size_t start = 0;
    size_t field = 0;
    for (size_t i = 0; i <= size && field <= CORE_REPLY_OPTIONS_MAX; i++) {
        if (i < size && data[i] != '\n') {
            continue;
        }
        size_t n = i - start;
        char *dst = field == 0 ? r->text : r->options[field - 1].label;
        size_t cap = field == 0 ? sizeof r->text : sizeof r->options[0].label;
        n = n < cap - 1 ? n : cap - 1;
        memcpy(dst, data + start, n);
        if (field > 0) {
            snprintf(r->options[field - 1].id, sizeof r->options[0].id, "opt:%zu", field);
            r->n_options = field;
        }
        field++;
        start = i + 1;
    }
}

/* The render as it must be, built independently. */
static void expected_render(const struct core_reply *r, struct core_buf *out)
{
    CHECK(core_buf_append_str(out, r->text) == CORE_OK);
    for (size_t i = 0; i < r->n_options; i++) {
        char num[32];
        snprintf(num, sizeof num, "\n  %zu \xE2\x80\x94 ", i + 1);
        CHECK(core_buf_append_str(out, num) == CORE_OK);
        CHECK(core_buf_append_str(out, r->options[i].label) == CORE_OK);
    }
    CHECK(core_buf_append_str(out, "\n") == CORE_OK);
}

static void fuzz_render(const char *data, size_t size)
{
    struct core_reply *r = malloc(sizeof *r);
    CHECK(r != NULL);
    build_reply(data, size, r);
    struct core_buf got;
    struct core_buf want;
    core_buf_init(&got, 0);
    core_buf_init(&want, 0);
    CHECK(ad_console_render(r, &got) == CORE_OK);
    expected_render(r, &want);
    CHECK(got.len == want.len && memcmp(got.data, want.data, got.len) == 0);
    /* The same render into a buffer one byte too small must fail cleanly (a cap of 0 would
     * mean "no cap", so only from two bytes on). */
    if (want.len >= 2) {
        struct core_buf small;
        core_buf_init(&small, want.len - 1);
        CHECK(ad_console_render(r, &small) == CORE_ETOOBIG);
        CHECK(small.len <= want.len - 1);
        core_buf_cleanup(&small);
    }
    core_buf_cleanup(&got);
    core_buf_cleanup(&want);
    free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_parse((const char *)data, size);
    fuzz_render((const char *)data, size);
    return 0;
}
