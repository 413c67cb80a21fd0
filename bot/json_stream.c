/* SPDX-License-Identifier: MIT
 * The streaming splitter: a byte-at-a-time state machine for the top-level object and its
 * arrays, and a small scanner (strings, escapes, bracket stack) that finds where one value ends.
 * Bytes of the value in progress are copied in runs, one copy per chunk, into a capped buffer. */
#include "bot/json_stream.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum state {
    ST_BOM1 = 0, /* inside a UTF-8 byte-order mark */
    ST_BOM2,
    ST_START,
    ST_KEY_OR_END,
    ST_KEY_START, /* after ',' in the object: a key must follow */
    ST_KEY,
    ST_COLON,
    ST_VALUE,
    ST_MEMBER_VALUE,
    ST_AFTER_MEMBER,
    ST_ELEM_OR_END,
    ST_ELEM_START, /* after ',' in an array: an element must follow */
    ST_ELEM,
    ST_AFTER_ELEM,
    ST_DONE,
};

enum scan { SCAN_MORE = 0, SCAN_DONE = 1, SCAN_DONE_BEFORE = 2, SCAN_BAD = 3 };

void bot_json_stream_init(struct bot_json_stream *s,
                          size_t max_item,
                          bot_json_item_fn fn,
                          void *ctx)
{
    memset(s, 0, sizeof *s);
    s->fn = fn;
    s->ctx = ctx;
    s->state = ST_START;
    s->line = 1;
    core_buf_init(&s->value, max_item ? max_item : 64 * 1024);
}

void bot_json_stream_cleanup(struct bot_json_stream *s)
{
    core_buf_cleanup(&s->value);
}

const char *bot_json_stream_error(const struct bot_json_stream *s)
{
    return s->error;
}

static int fail(struct bot_json_stream *s, int code, const char *fmt, ...) CORE_PRINTF(3, 4);

static int fail(struct bot_json_stream *s, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(s->error, sizeof s->error, "line %zu: ", s->line);
    if (n > 0 && (size_t)n < sizeof s->error) {
        vsnprintf(s->error + n, sizeof s->error - (size_t)n, fmt, ap);
    }
    va_end(ap);
    s->failed = code;
    return code;
}

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool in_value(const struct bot_json_stream *s)
{
    return s->state == ST_MEMBER_VALUE || s->state == ST_ELEM;
}

static int emit(struct bot_json_stream *s, enum bot_json_item_kind kind)
{
    struct bot_json_item item = {
        .kind = kind,
        .key = s->key,
        .index = s->index,
        .data = s->value.data ? s->value.data : "",
        .len = s->value.len,
        .line = s->value_line,
    };
    int rc = s->fn ? s->fn(&item, s->ctx) : 0;
    core_buf_reset(&s->value);
    if (rc != 0) {
        s->failed = rc;
    }
    return rc;
}

/* ---- the value scanner ---- */

static int begin_value(struct bot_json_stream *s, unsigned char c)
{
    s->depth = 0;
    s->in_string = false;
    s->escape = false;
    s->scalar = false;
    s->value_line = s->line;
    core_buf_reset(&s->value);
    if (c == '{' || c == '[') {
        s->stack[s->depth++] = (char)c;
    } else if (c == '"') {
        s->in_string = true;
    } else if (c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n') {
        s->scalar = true;
    } else if (c == ']' && s->state == ST_ELEM_START) {
        return fail(s, CORE_EBADINPUT, "trailing ',' in \"%s\"", s->key);
    } else {
        return fail(s, CORE_EBADINPUT, "unexpected character '%c' where a value should start",
                    c >= 0x20 && c < 0x7f ? c : '?');
    }
    return CORE_OK;
}

static enum scan scan_string(struct bot_json_stream *s, unsigned char c)
{
    if (s->escape) {
        s->escape = false;
    } else if (c == '\\') {
        s->escape = true;
    } else if (c == '"') {
        s->in_string = false;
        return s->depth == 0 ? SCAN_DONE : SCAN_MORE;
    } else if (c < 0x20) {
        fail(s, CORE_EBADINPUT, "control character inside a string");
        return SCAN_BAD;
    }
    return SCAN_MORE;
}

static enum scan scan_scalar(struct bot_json_stream *s, unsigned char c)
{
    if (is_ws(c) || c == ',' || c == ']' || c == '}') {
        return SCAN_DONE_BEFORE;
    }
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '.' || c == '+' || c == '-' ||
        c == 'E') {
        return SCAN_MORE;
    }
    fail(s, CORE_EBADINPUT, "unexpected character in a literal");
    return SCAN_BAD;
}

static enum scan scan_nested(struct bot_json_stream *s, unsigned char c)
{
    if (c == '"') {
        s->in_string = true;
    } else if (c == '{' || c == '[') {
        if (s->depth >= BOT_JSON_DEPTH_MAX) {
            fail(s, CORE_EBADINPUT, "nesting deeper than %d", BOT_JSON_DEPTH_MAX);
            return SCAN_BAD;
        }
        s->stack[s->depth++] = (char)c;
    } else if (c == '}' || c == ']') {
        char open = c == '}' ? '{' : '[';
        if (s->stack[s->depth - 1] != open) {
            fail(s, CORE_EBADINPUT, "'%c' does not close '%c'", c, s->stack[s->depth - 1]);
            return SCAN_BAD;
        }
        if (--s->depth == 0) {
            return SCAN_DONE;
        }
    }
    return SCAN_MORE;
}

static enum scan scan(struct bot_json_stream *s, unsigned char c)
{
    if (s->in_string) {
        return scan_string(s, c);
    }
    if (s->scalar) {
        return scan_scalar(s, c);
    }
    return scan_nested(s, c);
}

/* ---- the top-level grammar ---- */

static int key_byte(struct bot_json_stream *s, unsigned char c)
{
    if (s->escape) {
        s->escape = false;
    } else if (c == '\\') {
        s->escape = true;
        s->key_escaped = true;
    } else if (c == '"') {
        s->key[s->key_len] = '\0';
        s->state = ST_COLON;
        return CORE_OK;
    } else if (c < 0x20) {
        return fail(s, CORE_EBADINPUT, "control character inside a key");
    }
    if (s->key_len + 1 >= sizeof s->key) {
        return fail(s, CORE_EBADINPUT, "key longer than %d bytes", BOT_JSON_KEY_MAX - 1);
    }
    s->key[s->key_len++] = (char)c;
    return CORE_OK;
}

static void start_key(struct bot_json_stream *s)
{
    s->key_len = 0;
    s->key[0] = '\0';
    s->key_escaped = false;
    s->escape = false;
    s->state = ST_KEY;
}

static int after_value(struct bot_json_stream *s, unsigned char c)
{
    if (s->state == ST_AFTER_MEMBER) {
        if (c == ',') {
            s->state = ST_KEY_START;
        } else if (c == '}') {
            s->state = ST_DONE;
        } else {
            return fail(s, CORE_EBADINPUT, "expected ',' or '}' after \"%s\"", s->key);
        }
        return CORE_OK;
    }
    if (c == ',') {
        s->state = ST_ELEM_START;
        return CORE_OK;
    }
    if (c == ']') {
        s->state = ST_AFTER_MEMBER;
        s->value_line = s->line;
        return emit(s, BOT_JSON_ARRAY_END);
    }
    return fail(s, CORE_EBADINPUT, "expected ',' or ']' after %s[%zu]", s->key,
                s->index ? s->index - 1 : 0);
}

/* One byte outside any value. Enters a value state when a value starts. */
static int structure(struct bot_json_stream *s, unsigned char c)
{
    if (s->state == ST_KEY) {
        return key_byte(s, c);
    }
    if (s->state == ST_BOM1 || s->state == ST_BOM2) {
        if (c != (s->state == ST_BOM1 ? 0xBB : 0xBF)) {
            return fail(s, CORE_EBADINPUT, "broken byte-order mark");
        }
        s->state = s->state == ST_BOM1 ? ST_BOM2 : ST_START;
        return CORE_OK;
    }
    if (is_ws(c)) {
        return CORE_OK;
    }
    switch (s->state) {
    case ST_START:
        if (c == 0xEF && s->offset == 0) {
            s->state = ST_BOM1;
            return CORE_OK;
        }
        if (c != '{') {
            return fail(s, CORE_EBADINPUT, "the document must be a JSON object");
        }
        s->state = ST_KEY_OR_END;
        return CORE_OK;
    case ST_KEY_OR_END:
    case ST_KEY_START:
        if (c == '"') {
            start_key(s);
            return CORE_OK;
        }
        if (c == '}' && s->state == ST_KEY_OR_END) {
            s->state = ST_DONE;
            return CORE_OK;
        }
        return fail(s, CORE_EBADINPUT, "expected a quoted key");
    case ST_COLON:
        if (c != ':') {
            return fail(s, CORE_EBADINPUT, "expected ':' after \"%s\"", s->key);
        }
        s->state = ST_VALUE;
        return CORE_OK;
    case ST_VALUE:
        s->members++;
        if (c == '[') {
            s->index = 0;
            s->state = ST_ELEM_OR_END;
            s->value_line = s->line;
            return emit(s, BOT_JSON_ARRAY_BEGIN);
        }
        s->state = ST_MEMBER_VALUE;
        return begin_value(s, c);
    case ST_ELEM_OR_END:
        if (c == ']') {
            s->state = ST_AFTER_MEMBER;
            return emit(s, BOT_JSON_ARRAY_END);
        }
        s->state = ST_ELEM;
        return begin_value(s, c);
    case ST_ELEM_START: {
        int rc = begin_value(s, c);
        s->state = ST_ELEM;
        return rc;
    }
    case ST_AFTER_MEMBER:
    case ST_AFTER_ELEM:
        return after_value(s, c);
    case ST_DONE:
        return fail(s, CORE_EBADINPUT, "data after the end of the document");
    default:
        return fail(s, CORE_EINVAL, "splitter in an impossible state");
    }
}

static int too_big(struct bot_json_stream *s)
{
    if (s->state == ST_ELEM) {
        return fail(s, CORE_ETOOBIG, "%s[%zu] is larger than %zu bytes", s->key, s->index,
                    s->value.max);
    }
    return fail(s, CORE_ETOOBIG, "the value of \"%s\" is larger than %zu bytes", s->key,
                s->value.max);
}

static int keep_run(struct bot_json_stream *s, const char *run, size_t len)
{
    int rc = core_buf_append(&s->value, run, len);
    if (rc == CORE_ETOOBIG) {
        return too_big(s);
    }
    if (rc != CORE_OK) {
        s->failed = rc;
    }
    return rc;
}

static int finish_value(struct bot_json_stream *s)
{
    if (s->state == ST_ELEM) {
        s->state = ST_AFTER_ELEM;
        int rc = emit(s, BOT_JSON_ELEMENT);
        s->index++;
        return rc;
    }
    s->state = ST_AFTER_MEMBER;
    return emit(s, BOT_JSON_MEMBER);
}

/* Looks at data[i] inside a value; returns CORE_OK or a failure. *run marks where the
 * uncopied part of the value starts in this chunk. *again is set when data[i] ended a literal
 * without belonging to it, so the structure must see it. */
static int
value_byte(struct bot_json_stream *s, const char *data, size_t i, size_t *run, bool *again)
{
    unsigned char c = (unsigned char)data[i];
    *again = false;
    enum scan r = scan(s, c);
    if (r == SCAN_BAD) {
        return s->failed;
    }
    size_t end = r == SCAN_DONE_BEFORE ? i : i + 1;
    if (s->value.len + (end - *run) > s->value.max) {
        return too_big(s);
    }
    if (r == SCAN_MORE) {
        return CORE_OK;
    }
    int rc = keep_run(s, data + *run, end - *run);
    *run = SIZE_MAX;
    if (rc == CORE_OK) {
        rc = finish_value(s);
    }
    *again = r == SCAN_DONE_BEFORE; /* the delimiter belongs to the structure */
    return rc;
}

int bot_json_stream_feed(struct bot_json_stream *s, const char *data, size_t len)
{
    if (s->failed) {
        return s->failed;
    }
    size_t run = in_value(s) ? 0 : SIZE_MAX;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        int rc;
        if (in_value(s)) {
            bool again = false;
            rc = value_byte(s, data, i, &run, &again);
            if (rc == CORE_OK && again) {
                rc = structure(s, c);
            }
        } else {
            rc = structure(s, c);
            if (rc == CORE_OK && in_value(s)) {
                run = i;
            }
        }
        if (rc != CORE_OK) {
            return rc;
        }
        s->offset++;
        if (c == '\n') {
            s->line++;
        }
    }
    if (run != SIZE_MAX && in_value(s)) {
        return keep_run(s, data + run, len - run);
    }
    return CORE_OK;
}

int bot_json_stream_finish(struct bot_json_stream *s)
{
    if (s->failed) {
        return s->failed;
    }
    if (s->state != ST_DONE) {
        return fail(s, CORE_EBADINPUT, "the document ends before it is complete");
    }
    return CORE_OK;
}
