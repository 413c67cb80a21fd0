/* SPDX-License-Identifier: MIT
 * Fuzz target for the importer's streaming JSON splitter (bot/json_stream.h). The input is one
 * document; it is fed whole, one byte at a time, and in pseudo-random chunk sizes drawn from
 * the input itself, and every feeding must give the same items (kind, key, index, bytes, line)
 * and the same final code. Items respect max_item, indexes count up from 0 within an array and
 * ARRAY_END carries the count; a failure is sticky and explained; a callback's own failure code
 * comes back unchanged. */
#include "bot/json_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ITEM   1024
#define STOP_CODE  (-7777)
#define NEVER_STOP ((size_t)-1)

struct trace {
    struct core_buf log;
    size_t items;
    size_t stop_at;  /* the callback fails on this item (NEVER_STOP: never) */
    size_t elements; /* elements seen in the current array */
    bool in_array;
};

static int record(const struct bot_json_item *item, void *ctx)
{
    struct trace *t = ctx;
    if (t->items++ == t->stop_at) {
        return STOP_CODE;
    }
    CHECK(item->key != NULL && strlen(item->key) < BOT_JSON_KEY_MAX);
    CHECK(item->line >= 1);
    switch (item->kind) {
    case BOT_JSON_MEMBER:
        CHECK(!t->in_array && item->len > 0 && item->len <= MAX_ITEM && item->data);
        break;
    case BOT_JSON_ARRAY_BEGIN:
        CHECK(!t->in_array);
        t->in_array = true;
        t->elements = 0;
        break;
    case BOT_JSON_ELEMENT:
        CHECK(t->in_array && item->index == t->elements++);
        CHECK(item->len > 0 && item->len <= MAX_ITEM && item->data);
        break;
    case BOT_JSON_ARRAY_END:
        CHECK(t->in_array && item->index == t->elements);
        t->in_array = false;
        break;
    default:
        CHECK(0);
    }
    bool has_data = item->kind == BOT_JSON_MEMBER || item->kind == BOT_JSON_ELEMENT;
    CHECK(core_buf_appendf(&t->log, "%d|%s|%zu|%zu|%zu|", (int)item->kind, item->key, item->index,
                           item->line, has_data ? item->len : 0) == CORE_OK);
    if (has_data) {
        CHECK(core_buf_append(&t->log, item->data, item->len) == CORE_OK);
    }
    return 0;
}

/* xorshift64 seeded from the input: chunk sizes that vary with the document. */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Feeds the document in chunks (chunk 0: random sizes 1..64 from seed); returns the code. */
static int run(const uint8_t *data, size_t size, size_t chunk, uint64_t seed, struct trace *t)
{
    struct bot_json_stream s;
    core_buf_init(&t->log, 0);
    t->items = 0;
    t->elements = 0;
    t->in_array = false;
    bot_json_stream_init(&s, MAX_ITEM, record, t);
    int rc = 0;
    size_t off = 0;
    while (rc == 0 && off < size) {
        size_t n = chunk ? chunk : 1 + (size_t)(next_rand(&seed) % 64);
        n = n < size - off ? n : size - off;
        rc = bot_json_stream_feed(&s, (const char *)data + off, n);
        off += n;
    }
    if (rc == 0) {
        rc = bot_json_stream_finish(&s);
    }
    if (rc == CORE_EBADINPUT || rc == CORE_ETOOBIG) {
        CHECK(bot_json_stream_error(&s)[0] != '\0');
    }
    if (rc != 0) {
        /* Sticky: a failed stream keeps answering with the same code. */
        CHECK(bot_json_stream_feed(&s, "{", 1) == rc);
        CHECK(bot_json_stream_finish(&s) == rc);
    }
    CHECK(rc == 0 || rc == CORE_EBADINPUT || rc == CORE_ETOOBIG || rc == CORE_ENOMEM ||
          rc == STOP_CODE);
    bot_json_stream_cleanup(&s);
    bot_json_stream_cleanup(&s); /* twice is fine */
    return rc;
}

static void same(const struct trace *a, int rc_a, const struct trace *b, int rc_b)
{
    CHECK(rc_a == rc_b);
    CHECK(a->log.len == b->log.len);
    CHECK(a->log.len == 0 || memcmp(a->log.data, b->log.data, a->log.len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t seed = 0x9E3779B97F4A7C15ull ^ size;
    for (size_t i = 0; i < size && i < 16; i++) {
        seed = seed * 131 + data[i];
    }
    seed |= 1;
    struct trace whole = {.stop_at = NEVER_STOP};
    int rc = run(data, size, size ? size : 1, seed, &whole);
    /* A callback failing part way: the same prefix of items, then its code. */
    struct trace stopped = {.stop_at = whole.items > 0 ? (size_t)(seed % whole.items) : 0};
    int rc_stop = run(data, size, size ? size : 1, seed, &stopped);
    CHECK(whole.items == 0 || rc_stop == STOP_CODE);
    CHECK(stopped.log.len <= whole.log.len);
    CHECK(stopped.log.len == 0 || memcmp(stopped.log.data, whole.log.data, stopped.log.len) == 0);

    struct trace bytes = {.stop_at = NEVER_STOP};
    int rc_bytes = run(data, size, 1, seed, &bytes);
    same(&whole, rc, &bytes, rc_bytes);
    struct trace chunks = {.stop_at = NEVER_STOP};
    int rc_chunks = run(data, size, 0, seed, &chunks);
    same(&whole, rc, &chunks, rc_chunks);

    core_buf_cleanup(&whole.log);
    core_buf_cleanup(&stopped.log);
    core_buf_cleanup(&bytes.log);
    core_buf_cleanup(&chunks.log);
    return 0;
}
