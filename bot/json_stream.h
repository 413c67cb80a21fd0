/* SPDX-License-Identifier: MIT
 * A streaming splitter for one large JSON document of the shape
 *   { "key": value, "key": [ element, element, ... ], ... }
 * fed in chunks of any size. It checks the top-level grammar itself and, inside values, tracks
 * strings, escapes and bracket nesting only: it yields each top-level member that is not an
 * array as one byte range, and each element of a top-level array as one byte range, which the
 * caller parses (cJSON_ParseWithLength) and validates. Memory stays bounded by max_item whatever
 * the document's size: a larger value is CORE_ETOOBIG with a clear message.
 * Ownership: the stream owns its buffer (bot_json_stream_cleanup frees it); item data passed to
 * the callback is borrowed for the duration of the callback only. Nothing here logs. */
#ifndef BOT_JSON_STREAM_H
#define BOT_JSON_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#define BOT_JSON_KEY_MAX   64 /* longest top-level key, bytes incl. NUL */
#define BOT_JSON_DEPTH_MAX 32 /* deepest nesting inside one value */

enum bot_json_item_kind {
    BOT_JSON_MEMBER = 0,      /* a top-level member whose value is not an array: data = value */
    BOT_JSON_ARRAY_BEGIN = 1, /* a top-level member whose value is an array starts */
    BOT_JSON_ELEMENT = 2,     /* one element of that array: data = the element, index = 0.. */
    BOT_JSON_ARRAY_END = 3,   /* the array ended; index = its element count */
};

struct bot_json_item {
    enum bot_json_item_kind kind;
    const char *key; /* the top-level key (unescaped only if it had no escapes) */
    size_t index;
    const char *data; /* MEMBER, ELEMENT: the raw JSON text of the value, not NUL-terminated */
    size_t len;
    size_t line; /* 1-based line where the value starts */
};

/** Called for each item in document order. A non-zero return stops the stream: feed returns it. */
typedef int (*bot_json_item_fn)(const struct bot_json_item *item, void *ctx);

struct bot_json_stream {
    /* all private; declared here so callers can keep the stream in their own storage */
    bot_json_item_fn fn;
    void *ctx;
    int state;
    int failed; /* sticky error code once the stream failed */
    struct core_buf value;
    char key[BOT_JSON_KEY_MAX];
    size_t key_len;
    bool key_escaped;
    size_t index;
    size_t members;
    size_t line;
    size_t value_line;
    size_t offset;
    /* value scanner */
    char stack[BOT_JSON_DEPTH_MAX];
    int depth;
    bool in_string;
    bool escape;
    bool scalar;
    char error[160];
};

/** Prepares a stream in caller storage. max_item caps one member value or array element. */
void bot_json_stream_init(struct bot_json_stream *s,
                          size_t max_item,
                          bot_json_item_fn fn,
                          void *ctx);
/** Frees the buffer; safe to call twice. */
void bot_json_stream_cleanup(struct bot_json_stream *s);

/** Feeds the next len bytes. Returns 0, CORE_EBADINPUT (malformed; see bot_json_stream_error),
 * CORE_ETOOBIG (an item exceeds max_item), CORE_ENOMEM, or the callback's non-zero return.
 * After a failure every further call returns the same code. */
CORE_NODISCARD int bot_json_stream_feed(struct bot_json_stream *s, const char *data, size_t len);
/** Declares the end of input: CORE_EBADINPUT unless the document was complete. */
CORE_NODISCARD int bot_json_stream_finish(struct bot_json_stream *s);

/** One line describing the last syntax or size failure ("line 3: ..."), "" if none. */
const char *bot_json_stream_error(const struct bot_json_stream *s);

#endif
