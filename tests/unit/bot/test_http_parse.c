/* SPDX-License-Identifier: MIT
 * bot/http_parse without sockets: pipelined requests come out one at a time with their
 * method, path, query, trimmed headers and body; each limit answers its status from the bytes
 * (505, 400, the route's 404/405, 411, 413, 414, 431) in the documented order; the result does
 * not depend on how the bytes are chunked; hooks run when the server needs them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "bot/http_parse.h"

struct calls {
    int begins;
    int routes;
    int continues;
    char last_path[128];
};

static void on_begin(void *ctx)
{
    ((struct calls *)ctx)->begins++;
}

static int on_route(void *ctx, const char *method, const char *path)
{
    struct calls *c = ctx;
    c->routes++;
    snprintf(c->last_path, sizeof c->last_path, "%s", path);
    if (strcmp(path, "/missing") == 0) {
        return 404;
    }
    return strcmp(path, "/get-only") == 0 && strcmp(method, "GET") != 0 ? 405 : 0;
}

static void on_continue(void *ctx)
{
    ((struct calls *)ctx)->continues++;
}

static const struct bot_http_parse_hooks hooks = {on_begin, on_route, on_continue};

struct parsed {
    struct bot_http_parse p;
    struct calls calls;
    struct bot_http_header scratch[BOT_HTTP_PARSE_MAX_HEADERS];
    struct bot_http_request req;
    char log[4096]; /* "METHOD path?query [name=value;...] body|" per request */
    size_t log_len;
    int status; /* 0 none, else the error status; -1 END, -2 closed after a request */
};

static void log_request(struct parsed *x)
{
    const struct bot_http_request *r = &x->req;
    int n = snprintf(x->log + x->log_len, sizeof x->log - x->log_len, "%s %s?%s [", r->method,
                     r->path, r->query);
    x->log_len += (size_t)n;
    for (size_t i = 0; i < r->n_headers; i++) {
        n = snprintf(x->log + x->log_len, sizeof x->log - x->log_len, "%s=%s;", r->headers[i].name,
                     r->headers[i].value);
        x->log_len += (size_t)n;
    }
    n = snprintf(x->log + x->log_len, sizeof x->log - x->log_len, "] %.*s|", (int)r->body_len,
                 r->body);
    x->log_len += (size_t)n;
}

/* Feeds text in chunks of `chunk` bytes, taking every request, until an error, the end, or a
 * request that does not keep the connection (as the server does). */
static void parse(struct parsed *x, const char *text, size_t chunk, size_t max_hdr, size_t max_body)
{
    memset(x, 0, sizeof *x);
    bot_http_parse_init(&x->p, max_hdr, max_body, &hooks, &x->calls);
    size_t len = strlen(text);
    for (size_t off = 0; off < len && x->status == 0;) {
        size_t n = len - off < chunk ? len - off : chunk;
        size_t used = 0;
        enum bot_http_parse_status st = bot_http_parse_feed(&x->p, text + off, n, &used);
        off += used;
        if (st == BOT_HTTP_PARSE_REQUEST) {
            bot_http_parse_take(&x->p, x->scratch, &x->req);
            log_request(x);
            bot_http_parse_release(&x->p);
            x->status = bot_http_parse_keep_alive(&x->p) ? 0 : -2;
        } else if (st == BOT_HTTP_PARSE_ERROR) {
            x->status = bot_http_parse_error_status(&x->p);
        } else if (st == BOT_HTTP_PARSE_END) {
            x->status = -1;
        }
    }
}

static void test_http_parse_pipelined_requests_in_order(void **state)
{
    (void)state;
    static const char text[] = "GET /a?x=1&y=2 HTTP/1.1\r\nHost:  h \t\r\nX-Empty:\r\n\r\n"
                               "POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
                               "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    struct parsed x;
    parse(&x, text, sizeof text, 1024, 1024);
    assert_int_equal(x.status, 0);
    assert_string_equal(x.log, "GET /a?x=1&y=2 [Host=h;X-Empty=;] |"
                               "POST /b? [Content-Length=5;] hello|"
                               "PUT /c? [Transfer-Encoding=chunked;] abcde|");
    assert_int_equal(x.calls.begins, 3);
    assert_false(bot_http_parse_busy(&x.p));
    bot_http_parse_cleanup(&x.p);
}

static void test_http_parse_same_result_for_any_chunking(void **state)
{
    (void)state;
    static const char text[] = "POST /webhook/telegram?a=b HTTP/1.1\r\nHost: h\r\n"
                               "Content-Length: 11\r\n\r\n{\"ok\":true}"
                               "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                               "GET /missing HTTP/1.1\r\n\r\n";
    struct parsed whole;
    parse(&whole, text, sizeof text, 1024, 1024);
    assert_int_equal(whole.status, 404);
    assert_true(bot_http_parse_is_http10(&whole.p) || whole.calls.routes == 3);
    for (size_t chunk = 1; chunk < 40; chunk++) {
        struct parsed x;
        parse(&x, text, chunk, 1024, 1024);
        assert_int_equal(x.status, whole.status);
        assert_string_equal(x.log, whole.log);
        bot_http_parse_cleanup(&x.p);
    }
    bot_http_parse_cleanup(&whole.p);
}

struct status_case {
    const char *text;
    size_t max_header;
    size_t max_body;
    int status;
};

static void test_http_parse_limits_answer_their_status(void **state)
{
    (void)state;
    static const struct status_case cases[] = {
        {"GET / HTTP/2.0\r\n\r\n", 1024, 64, 505},
        {"GET http://h/ HTTP/1.1\r\n\r\n", 1024, 64, 400},
        {"OPTIONS * HTTP/1.1\r\n\r\n", 1024, 64, 400},
        {"BREW / HTTP/1.1\r\n\r\n", 1024, 64, 400},
        {"GET /missing HTTP/1.1\r\n\r\n", 1024, 64, 404},
        {"POST /get-only HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 1024, 64, 405},
        /* route before length: a POST without a length to an unknown path is 404 */
        {"POST /missing HTTP/1.1\r\n\r\n", 1024, 64, 404},
        {"POST /x HTTP/1.1\r\n\r\n", 1024, 64, 411},
        /* a blank before the colon: http-parser would frame by it, RFC 9112 says 400 */
        {"POST /x HTTP/1.1\r\nContent-Length :2\r\n\r\nab", 1024, 64, 400},
        {"POST /x HTTP/1.1\r\nTransfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n", 1024, 64, 400},
        {"POST /x HTTP/1.1\r\nContent-Length: 65\r\n\r\n", 1024, 64, 413},
        {"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n", 1024, 64, 0},
        {"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
         "HTTP/1.1\r\n",
         128, 64, 414},
        {"GET / HTTP/1.1\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
         128, 64, 431},
        /* a protocol switch is served as a request that closes the connection */
        {"GET /chat HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nframes", 1024, 64,
         -2},
        {"GET /x HTTP/1.1\r\nConnection: close\r\n\r\nGET /missing HTTP/1.1\r\n\r\n", 1024, 64, -2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct parsed x;
        parse(&x, cases[i].text, 4096, cases[i].max_header, cases[i].max_body);
        if (x.status != cases[i].status) {
            print_error("case %zu: status %d, want %d\n", i, x.status, cases[i].status);
        }
        assert_int_equal(x.status, cases[i].status);
        bot_http_parse_cleanup(&x.p);
    }
}

static void test_http_parse_chunked_body_over_the_cap_is_413(void **state)
{
    (void)state;
    struct parsed x;
    parse(&x,
          "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n"
          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n0\r\n\r\n",
          4096, 1024, 64);
    assert_int_equal(x.status, 413);
    assert_string_equal(x.log, "");
    bot_http_parse_cleanup(&x.p);
}

static void test_http_parse_too_many_headers_is_431(void **state)
{
    (void)state;
    char text[4096];
    size_t len = (size_t)snprintf(text, sizeof text, "GET / HTTP/1.1\r\n");
    for (int i = 0; i <= BOT_HTTP_PARSE_MAX_HEADERS; i++) {
        len += (size_t)snprintf(text + len, sizeof text - len, "H%d: v\r\n", i);
    }
    snprintf(text + len, sizeof text - len, "\r\n");
    struct parsed x;
    parse(&x, text, sizeof text, 8192, 64);
    assert_int_equal(x.status, 431);
    bot_http_parse_cleanup(&x.p);
}

static void test_http_parse_keep_alive_and_continue(void **state)
{
    (void)state;
    struct parsed x;
    parse(&x, "POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok", 4096, 1024,
          64);
    assert_int_equal(x.calls.continues, 1);
    assert_true(bot_http_parse_keep_alive(&x.p));
    assert_false(bot_http_parse_is_http10(&x.p));
    bot_http_parse_cleanup(&x.p);
    parse(&x, "GET /x HTTP/1.0\r\n\r\n", 4096, 1024, 64);
    assert_false(bot_http_parse_keep_alive(&x.p));
    assert_true(bot_http_parse_is_http10(&x.p));
    bot_http_parse_cleanup(&x.p);
    /* Expect without a body, or over HTTP/1.0, asks for nothing. */
    parse(&x, "GET /x HTTP/1.1\r\nExpect: 100-continue\r\n\r\n", 4096, 1024, 64);
    assert_int_equal(x.calls.continues, 0);
    bot_http_parse_cleanup(&x.p);
}

static void test_http_parse_busy_until_taken(void **state)
{
    (void)state;
    struct bot_http_parse p;
    struct calls calls = {0};
    bot_http_parse_init(&p, 1024, 64, &hooks, &calls);
    assert_false(bot_http_parse_busy(&p));
    size_t used = 0;
    assert_int_equal(bot_http_parse_feed(&p, "GET /x HT", 9, &used), BOT_HTTP_PARSE_MORE);
    assert_int_equal(used, 9);
    assert_true(bot_http_parse_busy(&p));
    bot_http_parse_abandon(&p);
    assert_false(bot_http_parse_busy(&p));
    bot_http_parse_cleanup(&p);
    bot_http_parse_cleanup(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_parse_pipelined_requests_in_order),
        cmocka_unit_test(test_http_parse_same_result_for_any_chunking),
        cmocka_unit_test(test_http_parse_limits_answer_their_status),
        cmocka_unit_test(test_http_parse_chunked_body_over_the_cap_is_413),
        cmocka_unit_test(test_http_parse_too_many_headers_is_431),
        cmocka_unit_test(test_http_parse_keep_alive_and_continue),
        cmocka_unit_test(test_http_parse_busy_until_taken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
