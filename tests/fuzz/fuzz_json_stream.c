/* SPDX-License-Identifier: MIT
 * Fuzz target for the streaming JSON splitter (bot/json_stream). Beyond "no crash, no leak, no
 * UB" it checks the contracts: the items and the result do not depend on how the input is cut
 * into chunks (the first byte picks the chunk size); no item exceeds the cap; a failure always
 * comes with an error line; element indexes count up from 0 within each array. */
#include "bot/json_stream.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define MAX_ITEM 256

struct trace {
    uint64_t hash; /* FNV-1a over every item */
    size_t items;
    size_t next_index;
};

static void mix(struct trace *t, const void *bytes, size_t len)
{
    const unsigned char *p = bytes;
    for (size_t i = 0; i < len; i++) {
        t->hash = (t->hash ^ p[i]) * 0x100000001b3ull;
    }
}

static int record(const struct bot_json_item *item, void *ctx)
{
    struct trace *t = ctx;
    CHECK(item->len <= MAX_ITEM);
    CHECK(item->line >= 1);
    if (item->kind == BOT_JSON_ARRAY_BEGIN) {
        t->next_index = 0;
    }
    if (item->kind == BOT_JSON_ELEMENT) {
        CHECK(item->index == t->next_index);
        t->next_index++;
        CHECK(item->len > 0);
    }
    if (item->kind == BOT_JSON_ARRAY_END) {
        CHECK(item->index == t->next_index);
    }
    int kind = (int)item->kind;
    mix(t, &kind, sizeof kind);
    mix(t, item->key, strlen(item->key) + 1);
    mix(t, &item->index, sizeof item->index);
    mix(t, &item->line, sizeof item->line);
    mix(t, item->data, item->len);
    t->items++;
    return 0;
}

static int run(const uint8_t *data, size_t size, size_t chunk, struct trace *t)
{
    struct bot_json_stream s;
    memset(t, 0, sizeof *t);
    t->hash = 0xcbf29ce484222325ull;
    bot_json_stream_init(&s, MAX_ITEM, record, t);
    int rc = 0;
    for (size_t off = 0; rc == 0 && off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        rc = bot_json_stream_feed(&s, (const char *)data + off, n);
    }
    if (rc == 0) {
        rc = bot_json_stream_finish(&s);
    }
    if (rc != 0) {
        CHECK(bot_json_stream_error(&s)[0] != '\0');
        CHECK(bot_json_stream_feed(&s, "{", 1) == rc); /* failures are sticky */
    }
    bot_json_stream_cleanup(&s);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    size_t chunk = (size_t)data[0] % 17 + 1;
    data++;
    size--;
    struct trace whole, pieces;
    int rc_whole = run(data, size, size ? size : 1, &whole);
    int rc_pieces = run(data, size, chunk, &pieces);
    CHECK(rc_whole == rc_pieces);
    CHECK(whole.items == pieces.items);
    CHECK(whole.hash == pieces.hash);
    return 0;
}
