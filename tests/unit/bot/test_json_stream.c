/* SPDX-License-Identifier: MIT
 * The streaming JSON splitter: items come out identical whatever the chunking (down to one
 * byte at a time), strings with escaped quotes and brackets do not confuse it, nested values
 * stay whole, malformed documents and oversized items fail with a line number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bot/json_stream.h"

struct trace {
    char text[4096];
    size_t len;
    int stop_at; /* element index at which the callback fails, -1 never */
};

static void append(struct trace *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->text + t->len, sizeof t->text - t->len, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof t->text - t->len);
    t->len += (size_t)n;
}

static int record(const struct bot_json_item *item, void *ctx)
{
    struct trace *t = ctx;
    switch (item->kind) {
    case BOT_JSON_MEMBER:
        append(t, "M %s=%.*s @%zu\n", item->key, (int)item->len, item->data, item->line);
        break;
    case BOT_JSON_ARRAY_BEGIN:
        append(t, "B %s\n", item->key);
        break;
    case BOT_JSON_ELEMENT:
        if (t->stop_at >= 0 && item->index == (size_t)t->stop_at) {
            return -99;
        }
        append(t, "E %s[%zu]=%.*s @%zu\n", item->key, item->index, (int)item->len, item->data,
               item->line);
        break;
    case BOT_JSON_ARRAY_END:
        append(t, "X %s/%zu\n", item->key, item->index);
        break;
    }
    return 0;
}

/* Feeds doc in chunks of `chunk` bytes; returns the first failure (or finish's result). */
static int run(const char *doc, size_t chunk, size_t max, struct trace *t, char *err, size_t elen)
{
    struct bot_json_stream s;
    memset(t, 0, sizeof *t);
    t->stop_at = -1;
    bot_json_stream_init(&s, max, record, t);
    size_t len = strlen(doc);
    int rc = 0;
    for (size_t off = 0; rc == 0 && off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        rc = bot_json_stream_feed(&s, doc + off, n);
    }
    if (rc == 0) {
        rc = bot_json_stream_finish(&s);
    }
    if (err) {
        snprintf(err, elen, "%s", bot_json_stream_error(&s));
    }
    bot_json_stream_cleanup(&s);
    return rc;
}

static const char doc_main[] =
    "\xEF\xBB\xBF{\n"
    "  \"format\": \"x/1\",\n"
    "  \"n\": 42,\n"
    "  \"kids\": [\n"
    "    {\"a\": \"q\\\"u]o}te\\\\\", \"b\": [1, {\"c\": [true, null]}]},\n"
    "    \"]}\\\"\",\n"
    "    -1.5e3,\n"
    "    [[], {}]\n"
    "  ],\n"
    "  \"empty\": [],\n"
    "  \"obj\": {\"k\": [1,2]}\n"
    "}\n";

static const char expect_main[] =
    "M format=\"x/1\" @2\n"
    "M n=42 @3\n"
    "B kids\n"
    "E kids[0]={\"a\": \"q\\\"u]o}te\\\\\", \"b\": [1, {\"c\": [true, null]}]} @5\n"
    "E kids[1]=\"]}\\\"\" @6\n"
    "E kids[2]=-1.5e3 @7\n"
    "E kids[3]=[[], {}] @8\n"
    "X kids/4\n"
    "B empty\n"
    "X empty/0\n"
    "M obj={\"k\": [1,2]} @11\n";

static void test_split_whole_and_every_chunk_size(void **state)
{
    (void)state;
    struct trace t;
    for (size_t chunk = 1; chunk <= sizeof doc_main; chunk++) {
        assert_int_equal(run(doc_main, chunk, 1024, &t, NULL, 0), 0);
        assert_string_equal(t.text, expect_main);
    }
}

static void expect_bad(const char *doc, int code, const char *needle)
{
    struct trace t;
    char err[200];
    for (size_t chunk = 1; chunk <= 64; chunk *= 4) {
        assert_int_equal(run(doc, chunk, 64, &t, err, sizeof err), code);
        if (!strstr(err, needle)) {
            fail_msg("error '%s' lacks '%s' for %s", err, needle, doc);
        }
    }
}

static void test_malformed(void **state)
{
    (void)state;
    expect_bad("[1,2]", CORE_EBADINPUT, "line 1: the document must be a JSON object");
    expect_bad("{\"a\": [1, 2,]}", CORE_EBADINPUT, "trailing ','");
    expect_bad("{\"a\": [{\"b\": 1]]}", CORE_EBADINPUT, "']' does not close '{'");
    expect_bad("{\"a\" 1}", CORE_EBADINPUT, "expected ':'");
    expect_bad("{\"a\": 1 \"b\": 2}", CORE_EBADINPUT, "expected ',' or '}'");
    expect_bad("{\"a\": [1 2]}", CORE_EBADINPUT, "expected ',' or ']'");
    expect_bad("{\"a\": [1]", CORE_EBADINPUT, "ends before it is complete");
    expect_bad("{\"a\": [\"open", CORE_EBADINPUT, "ends before it is complete");
    expect_bad("{\"a\": 1} x", CORE_EBADINPUT, "after the end");
    expect_bad("{\n\n\"a\": [\"x\ny\"]}", CORE_EBADINPUT, "line 3: control character");
    expect_bad("{\"a\": [@]}", CORE_EBADINPUT, "where a value should start");
    expect_bad("{, }", CORE_EBADINPUT, "expected a quoted key");
    expect_bad("{\"a\": 1,}", CORE_EBADINPUT, "expected a quoted key");
    expect_bad("", CORE_EBADINPUT, "ends before");
    expect_bad("\xEF\xBB{}", CORE_EBADINPUT, "byte-order mark");
    expect_bad("{\"a\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
               CORE_EBADINPUT, "nesting deeper");
}

static void test_element_too_big(void **state)
{
    (void)state;
    char doc[512];
    char big[200];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    snprintf(doc, sizeof doc, "{\"parents\": [1, \"%s\"]}", big);
    expect_bad(doc, CORE_ETOOBIG, "parents[1] is larger than 64 bytes");
    snprintf(doc, sizeof doc, "{\"note\": \"%s\"}", big);
    expect_bad(doc, CORE_ETOOBIG, "the value of \"note\" is larger than 64 bytes");
    /* Exactly at the cap passes. */
    struct trace t;
    assert_int_equal(run("{\"a\": [\"123456\"]}", 1, 8, &t, NULL, 0), 0);
    assert_int_equal(run("{\"a\": [\"1234567\"]}", 1, 8, &t, NULL, 0), CORE_ETOOBIG);
}

static void test_callback_stops_stream(void **state)
{
    (void)state;
    struct bot_json_stream s;
    struct trace t;
    memset(&t, 0, sizeof t);
    t.stop_at = 1;
    bot_json_stream_init(&s, 128, record, &t);
    const char doc[] = "{\"a\": [1, 2, 3]}";
    assert_int_equal(bot_json_stream_feed(&s, doc, sizeof doc - 1), -99);
    assert_int_equal(bot_json_stream_feed(&s, "}", 1), -99); /* sticky */
    assert_int_equal(bot_json_stream_finish(&s), -99);
    assert_string_equal(t.text, "B a\nE a[0]=1 @1\n");
    bot_json_stream_cleanup(&s);
    bot_json_stream_cleanup(&s);
}

static void test_literal_at_chunk_end(void **state)
{
    (void)state;
    struct trace t;
    assert_int_equal(run("{\"a\":[12345,true],\"b\":null}", 3, 64, &t, NULL, 0), 0);
    assert_string_equal(t.text, "B a\nE a[0]=12345 @1\nE a[1]=true @1\nX a/2\nM b=null @1\n");
    assert_int_equal(run("{}", 1, 64, &t, NULL, 0), 0);
    assert_string_equal(t.text, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_whole_and_every_chunk_size),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_element_too_big),
        cmocka_unit_test(test_callback_stops_stream),
        cmocka_unit_test(test_literal_at_chunk_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
