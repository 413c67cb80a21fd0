/* SPDX-License-Identifier: MIT
 * bot/http_server over real sockets: the server runs on a loop in a thread, a blocking client
 * writes raw bytes. Framing, limits, routing, keep-alive, pipelining, timeouts, connection cap
 * and graceful stop. Every test closes its loop and checks uv_loop_close() == 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "bot/http_server.h"
#include "bot/metrics.h"
#include "support/raw_http.h"

#define BIG_BODY (100 * 1024)

struct fixture {
    struct raw_http_loop l;
    struct bot_config cfg;
    struct bot_metrics *metrics;
    struct bot_http_server *srv;
    uint16_t port;
    int start_rc;
    int seq;          /* requests answered by /seq, loop thread only */
    int stopped;      /* stop callback runs, loop thread only */
    int stopped_seen; /* snapshot of stopped taken together with conns */
    int seq_seen;     /* snapshot of seq taken together with conns */
    int stop_rc;
    int loop_failures; /* LOOP_CHECK failures, read by the test thread after a loop call */
    size_t conns;      /* read back from the loop */
    char text[8192];
};

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Loop-thread checks: cmocka asserts may only fail on the test thread, so code running on the
 * loop counts failures and the test thread asserts the count. */
#define LOOP_CHECK(f, cond)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "loop check failed at line %d: %s\n", __LINE__, #cond);                \
            (f)->loop_failures++;                                                                  \
        }                                                                                          \
    } while (0)

/* ---- handlers ---- */

static void h_hello(const struct bot_http_request *req, struct bot_http_response *res, void *ctx)
{
    (void)req;
    struct fixture *f = ctx;
    LOOP_CHECK(f, (bot_http_response_set(res, 200, NULL, "hello")) == 0);
}

static void h_echo(const struct bot_http_request *req, struct bot_http_response *res, void *ctx)
{
    struct fixture *f = ctx;
    snprintf(res->content_type, sizeof res->content_type, "application/octet-stream");
    LOOP_CHECK(f, core_buf_append(&res->body, req->body, req->body_len) == 0);
    LOOP_CHECK(f, req->body[req->body_len] == '\0');
}

static void h_webhook(const struct bot_http_request *req, struct bot_http_response *res, void *ctx)
{
    struct fixture *f = ctx;
    const char *secret = bot_http_header_get(req, "x-telegram-bot-api-secret-token");
    LOOP_CHECK(f, core_buf_appendf(&res->body, "route=%s channel=%s secret=%s query=%s body=%s",
                                   req->route, req->param, secret ? secret : "-", req->query,
                                   req->body) == 0);
}

static void h_seq(const struct bot_http_request *req, struct bot_http_response *res, void *ctx)
{
    (void)req;
    struct fixture *f = ctx;
    LOOP_CHECK(f, (core_buf_appendf(&res->body, "seq=%d", f->seq++)) == 0);
}

static void h_big(const struct bot_http_request *req, struct bot_http_response *res, void *ctx)
{
    (void)req;
    struct fixture *f = ctx;
    char seq[16];
    snprintf(seq, sizeof seq, "%d", f->seq++);
    LOOP_CHECK(f, (bot_http_response_add_header(res, "X-Seq", seq)) == 0);
    for (int i = 0; i < BIG_BODY / 8; i++) {
        LOOP_CHECK(f, (core_buf_append(&res->body, "abcdefgh", 8)) == 0);
    }
}

static void
h_bad_status(const struct bot_http_request *req, struct bot_http_response *res, void *ctx)
{
    (void)req;
    (void)ctx;
    res->status = 42;
}

static void h_created(const struct bot_http_request *req, struct bot_http_response *res, void *ctx)
{
    (void)req;
    struct fixture *f = ctx;
    LOOP_CHECK(f, (bot_http_response_set(res, 201, "application/json", "{\"ok\":true}")) == 0);
    LOOP_CHECK(f, (bot_http_response_add_header(res, "WWW-Authenticate", "Bearer")) == 0);
}

static void on_stopped(struct bot_http_server *srv, void *ctx);

/* An admin-style handler that stops the server it runs in: its own answer must still go out. */
static void h_stop(const struct bot_http_request *req, struct bot_http_response *res, void *ctx)
{
    (void)req;
    struct fixture *f = ctx;
    f->stop_rc = bot_http_server_stop(f->srv, on_stopped, f);
    LOOP_CHECK(f, bot_http_response_set(res, 202, NULL, "stopping") == 0);
}

/* ---- fixture ---- */

static void add_routes(struct fixture *f)
{
    struct bot_http_server *s = f->srv;
    LOOP_CHECK(f, (bot_http_server_route(s, "GET", "/hello", "hello", h_hello, f)) == 0);
    LOOP_CHECK(f, (bot_http_server_route(s, "POST", "/echo", "echo", h_echo, f)) == 0);
    LOOP_CHECK(
        f, (bot_http_server_route(s, "POST", "/webhook/{channel}", "webhook", h_webhook, f)) == 0);
    LOOP_CHECK(f, (bot_http_server_route(s, "GET", "/seq", "seq", h_seq, f)) == 0);
    LOOP_CHECK(f, (bot_http_server_route(s, "POST", "/seq", "seq", h_seq, f)) == 0);
    LOOP_CHECK(f, (bot_http_server_route(s, "GET", "/big", "big", h_big, f)) == 0);
    LOOP_CHECK(f, (bot_http_server_route(s, "GET", "/bad", "bad", h_bad_status, f)) == 0);
    LOOP_CHECK(f, (bot_http_server_route(s, "PUT", "/created", "created", h_created, f)) == 0);
    LOOP_CHECK(f, bot_http_server_route(s, "POST", "/stop", "stop", h_stop, f) == 0);
}

static void on_loop_setup(void *arg)
{
    struct fixture *f = arg;
    LOOP_CHECK(f, (bot_metrics_new(&f->metrics)) == 0);
    LOOP_CHECK(f, (bot_http_server_new(&f->l.loop, &f->cfg, f->metrics, &f->srv)) == 0);
    add_routes(f);
    f->start_rc = bot_http_server_start(f->srv);
    f->port = bot_http_server_port(f->srv);
}

static void on_loop_teardown(void *arg)
{
    struct fixture *f = arg;
    bot_http_server_free(f->srv);
    f->srv = NULL;
}

static void test_config(struct bot_config *cfg)
{
    bot_config_defaults(cfg);
    snprintf(cfg->server.listen, sizeof cfg->server.listen, "127.0.0.1:0");
    cfg->server.max_body_bytes = 4096;
    cfg->server.max_header_bytes = 1024;
    cfg->server.max_connections = 1100;
    cfg->server.idle_timeout_ms = 300;
    cfg->server.request_timeout_ms = 300;
    cfg->server.shutdown_grace_ms = 5000;
}

static struct fixture *fixture_start(const struct bot_config *cfg)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->cfg = *cfg;
    assert_int_equal(raw_http_loop_start(&f->l), 0);
    raw_http_loop_call(&f->l, on_loop_setup, f);
    assert_int_equal(f->loop_failures, 0);
    assert_int_equal(f->start_rc, 0);
    assert_true(f->port > 0);
    return f;
}

static int setup(void **state)
{
    struct bot_config cfg;
    test_config(&cfg);
    *state = fixture_start(&cfg);
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    raw_http_loop_call(&f->l, on_loop_teardown, f);
    assert_int_equal(raw_http_loop_stop(&f->l), 0);
    assert_int_equal(f->loop_failures, 0);
    bot_metrics_free(f->metrics);
    free(f);
    return 0;
}

static void on_render(void *arg)
{
    struct fixture *f = arg;
    struct core_buf out;
    core_buf_init(&out, sizeof f->text - 1);
    LOOP_CHECK(f, bot_metrics_render(f->metrics, &out) == 0);
    snprintf(f->text, sizeof f->text, "%s", out.data ? out.data : "");
    core_buf_cleanup(&out);
}

static void on_count_conns(void *arg)
{
    struct fixture *f = arg;
    f->conns = bot_http_server_connections(f->srv);
}

/* Sends request on a fresh connection and checks the status and that the server closes. */
static void expect_error_and_close(struct fixture *f, const char *request, int status)
{
    struct raw_http_client c;
    struct raw_http_response res;
    assert_int_equal(raw_http_connect(&c, f->port), 0);
    assert_int_equal(raw_http_send_str(&c, request), 0);
    assert_int_equal(raw_http_read_response(&c, &res), 0);
    assert_int_equal(res.status, status);
    assert_string_equal(raw_http_header(&res, "connection"), "close");
    assert_non_null(raw_http_header(&res, "content-length"));
    assert_non_null(strstr(res.body, "\"error\""));
    assert_true(raw_http_wait_closed(&c, RAW_HTTP_TIMEOUT_MS));
    raw_http_response_cleanup(&res);
    raw_http_close(&c);
}

/* ---- tests ---- */

static void test_http_get_keep_alive_reuses_connection(void **state)
{
    struct fixture *f = *state;
    struct raw_http_client c;
    struct raw_http_response res;
    assert_int_equal(raw_http_connect(&c, f->port), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(raw_http_send_str(&c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
        assert_int_equal(raw_http_read_response(&c, &res), 0);
        assert_int_equal(res.status, 200);
        assert_string_equal(res.body, "hello");
        assert_string_equal(raw_http_header(&res, "content-length"), "5");
        assert_string_equal(raw_http_header(&res, "content-type"), "text/plain; charset=utf-8");
        assert_null(raw_http_header(&res, "connection"));
        raw_http_response_cleanup(&res);
    }
    raw_http_close(&c);
}

static void test_http_route_param_query_headers_body(void **state)
{
    struct fixture *f = *state;
    struct raw_http_response res;
    assert_int_equal(raw_http_roundtrip(f->port,
                                        "POST /webhook/telegram?a=1&b=2 HTTP/1.1\r\nHost: t\r\n"
                                        "X-Telegram-Bot-Api-Secret-Token:  s3cr3t \t\r\n"
                                        "Content-Length: 7\r\n\r\n{\"x\":1}",
                                        &res),
                     0);
    assert_int_equal(res.status, 200);
    assert_string_equal(
        res.body, "route=webhook channel=telegram secret=s3cr3t query=a=1&b=2 body={\"x\":1}");
    raw_http_response_cleanup(&res);
    /* The parameter is one non-empty segment: deeper or empty paths are unknown. */
    expect_error_and_close(f, "POST /webhook/a/b HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 404);
    expect_error_and_close(f, "POST /webhook/ HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 404);
}

static void test_http_404_405_allow(void **state)
{
    struct fixture *f = *state;
    expect_error_and_close(f, "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n", 404);
    struct raw_http_response res;
    assert_int_equal(raw_http_roundtrip(f->port, "DELETE /seq HTTP/1.1\r\nHost: t\r\n\r\n", &res),
                     0);
    assert_int_equal(res.status, 405);
    assert_string_equal(raw_http_header(&res, "allow"), "GET, POST");
    assert_string_equal(raw_http_header(&res, "connection"), "close");
    raw_http_response_cleanup(&res);
    expect_error_and_close(f, "GET /hello/ HTTP/1.1\r\nHost: t\r\n\r\n", 404);
    /* Routing is decided from the head: no body is awaited, length rules come after. */
    expect_error_and_close(f, "POST /nope HTTP/1.1\r\nContent-Length: 1000000000\r\n\r\n", 404);
    expect_error_and_close(f, "PUT /hello HTTP/1.1\r\nHost: t\r\n\r\n", 405);
    expect_error_and_close(f,
                           "POST /nope HTTP/1.1\r\nContent-Length: 10\r\n"
                           "Expect: 100-continue\r\n\r\n",
                           404);
}

static void test_http_malformed_requests_get_400(void **state)
{
    struct fixture *f = *state;
    static const char *const bad[] = {
        "GARBAGE\r\n\r\n",
        "GET /hello HTTP/1.1 extra\r\n\r\n",
        "GET /hello HTX/1.1\r\n\r\n",
        "GET /hello HTTP/1.1\r\nNo colon here\r\n\r\n",
        "GET /hello HTTP/1.1\r\nBad\x01Name: v\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: a\rb\r\n\r\n",
        "GET http://example.org/hello HTTP/1.1\r\nHost: t\r\n\r\n",
        "POST /echo HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        "POST /echo HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        "POST /echo HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_error_and_close(f, bad[i], 400);
    }
}

static void test_http_oversized_headers_431_and_url_414(void **state)
{
    struct fixture *f = *state;
    char request[4096];
    char big[2000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    snprintf(request, sizeof request, "GET /hello HTTP/1.1\r\nX-Big: %s\r\n\r\n", big);
    expect_error_and_close(f, request, 431);
    snprintf(request, sizeof request, "GET /hello?%s HTTP/1.1\r\n\r\n", big);
    expect_error_and_close(f, request, 414);
    /* Many small headers add up too. */
    size_t used = (size_t)snprintf(request, sizeof request, "GET /hello HTTP/1.1\r\n");
    for (int i = 0; i < 150; i++) {
        used += (size_t)snprintf(request + used, sizeof request - used, "X-%d: y\r\n", i);
    }
    snprintf(request + used, sizeof request - used, "\r\n");
    expect_error_and_close(f, request, 431);
}

static void test_http_body_too_large_413_without_reading_it(void **state)
{
    struct fixture *f = *state;
    /* Only the headers are sent: the answer must come from them alone. */
    expect_error_and_close(f, "POST /echo HTTP/1.1\r\nContent-Length: 1000000000\r\n\r\n", 413);
    expect_error_and_close(f,
                           "POST /echo HTTP/1.1\r\nContent-Length: 5000\r\n"
                           "Expect: 100-continue\r\n\r\n",
                           413);
    /* A chunked body that grows past the cap. */
    struct raw_http_client c;
    struct raw_http_response res;
    assert_int_equal(raw_http_connect(&c, f->port), 0);
    assert_int_equal(
        raw_http_send_str(&c, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), 0);
    char chunk[1100];
    memset(chunk, 'z', sizeof chunk);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(raw_http_send_str(&c, "400\r\n"), 0);
        if (raw_http_send(&c, chunk, 1024) != 0 || raw_http_send_str(&c, "\r\n") != 0) {
            break; /* the server may already have answered and closed */
        }
    }
    assert_int_equal(raw_http_read_response(&c, &res), 0);
    assert_int_equal(res.status, 413);
    raw_http_response_cleanup(&res);
    raw_http_close(&c);
    /* Exactly at the cap is fine. */
    char request[4096 + 128];
    int n =
        snprintf(request, sizeof request, "POST /echo HTTP/1.1\r\nContent-Length: 4096\r\n\r\n");
    memset(request + n, 'q', 4096);
    request[n + 4096] = '\0';
    assert_int_equal(raw_http_roundtrip(f->port, request, &res), 0);
    assert_int_equal(res.status, 200);
    assert_int_equal(res.body_len, 4096);
    raw_http_response_cleanup(&res);
}

static void test_http_post_without_length_411(void **state)
{
    struct fixture *f = *state;
    expect_error_and_close(f, "POST /echo HTTP/1.1\r\nHost: t\r\n\r\n", 411);
    expect_error_and_close(f, "PUT /created HTTP/1.1\r\nHost: t\r\n\r\n", 411);
}

static void test_http_chunked_body_and_bad_chunks(void **state)
{
    struct fixture *f = *state;
    struct raw_http_response res;
    assert_int_equal(
        raw_http_roundtrip(f->port,
                           "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
                           &res),
        0);
    assert_int_equal(res.status, 200);
    assert_string_equal(res.body, "hello world");
    assert_string_equal(raw_http_header(&res, "content-length"), "11");
    raw_http_response_cleanup(&res);
    expect_error_and_close(
        f, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhi\r\n", 400);
    expect_error_and_close(
        f, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n", 400);
}

static void test_http_slow_client_gets_408(void **state)
{
    struct fixture *f = *state;
    struct raw_http_client c;
    struct raw_http_response res;
    assert_int_equal(raw_http_connect(&c, f->port), 0);
    assert_int_equal(
        raw_http_send_str(&c, "POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\n12345"), 0);
    assert_int_equal(raw_http_read_response(&c, &res), 0);
    assert_int_equal(res.status, 408);
    assert_string_equal(raw_http_header(&res, "connection"), "close");
    assert_true(raw_http_wait_closed(&c, RAW_HTTP_TIMEOUT_MS));
    raw_http_response_cleanup(&res);
    raw_http_close(&c);
}

static void test_http_idle_keep_alive_closed_silently(void **state)
{
    struct fixture *f = *state;
    struct raw_http_client c;
    struct raw_http_response res;
    assert_int_equal(raw_http_connect(&c, f->port), 0);
    assert_int_equal(raw_http_send_str(&c, "GET /hello HTTP/1.1\r\n\r\n"), 0);
    assert_int_equal(raw_http_read_response(&c, &res), 0);
    raw_http_response_cleanup(&res);
    /* No partial request: the idle timeout closes without a word. */
    assert_true(raw_http_wait_closed(&c, RAW_HTTP_TIMEOUT_MS));
    raw_http_close(&c);
    /* A connection that never sends anything is closed the same way. */
    assert_int_equal(raw_http_connect(&c, f->port), 0);
    assert_true(raw_http_wait_closed(&c, RAW_HTTP_TIMEOUT_MS));
    raw_http_close(&c);
}

static void test_http_pipelined_requests_answered_in_order(void **state)
{
    struct fixture *f = *state;
    struct raw_http_client c;
    struct raw_http_response res;
    assert_int_equal(raw_http_connect(&c, f->port), 0);
    assert_int_equal(raw_http_send_str(&c, "GET /seq HTTP/1.1\r\n\r\n"
                                           "POST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                                           "GET /seq HTTP/1.1\r\n\r\n"),
                     0);
    assert_int_equal(raw_http_read_response(&c, &res), 0);
    assert_string_equal(res.body, "seq=0");
    raw_http_response_cleanup(&res);
    assert_int_equal(raw_http_read_response(&c, &res), 0);
    assert_string_equal(res.body, "abc");
    raw_http_response_cleanup(&res);
    assert_int_equal(raw_http_read_response(&c, &res), 0);
    assert_string_equal(res.body, "seq=1");
    assert_null(raw_http_header(&res, "connection"));
    raw_http_response_cleanup(&res);
    raw_http_close(&c);
}

static void test_http_pipelined_backpressure_loses_nothing(void **state)
{
    struct fixture *f = *state;
    enum { N = 40 };
    struct raw_http_client c;
    struct raw_http_response res;
    assert_int_equal(raw_http_connect(&c, f->port), 0);
    char request[N * 32];
    size_t used = 0;
    for (int i = 0; i < N; i++) {
        used +=
            (size_t)snprintf(request + used, sizeof request - used, "GET /big HTTP/1.1\r\n\r\n");
    }
    /* 40 x 100 KiB answers, far more than the socket buffers: the server must pause. */
    assert_int_equal(raw_http_send(&c, request, used), 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(raw_http_read_response(&c, &res), 0);
        assert_int_equal(res.status, 200);
        assert_int_equal(res.body_len, BIG_BODY);
        assert_int_equal(strtol(raw_http_header(&res, "x-seq"), NULL, 10), i);
        raw_http_response_cleanup(&res);
    }
    raw_http_close(&c);
}

static void on_read_seq(void *arg)
{
    struct fixture *f = arg;
    f->conns = bot_http_server_connections(f->srv);
    f->seq_seen = f->seq;
}

static void test_http_client_that_never_reads_is_dropped(void **state)
{
    struct fixture *f = *state;
    enum { N = 2000 };
    struct raw_http_client c;
    assert_int_equal(raw_http_connect(&c, f->port), 0);
    static char request[N * 24];
    size_t used = 0;
    for (int i = 0; i < N; i++) {
        used +=
            (size_t)snprintf(request + used, sizeof request - used, "GET /big HTTP/1.1\r\n\r\n");
    }
    assert_int_equal(raw_http_send(&c, request, used), 0);
    /* 2000 x 100 KiB would be 200 MB of answers: the server must stop producing them once the
     * socket is full, then drop the connection when no write progresses for idle_timeout. */
    for (int i = 0; i < 400; i++) {
        raw_http_loop_call(&f->l, on_read_seq, f);
        if (f->conns == 0 && f->seq_seen > 0) {
            break;
        }
        sleep_ms(25);
    }
    assert_int_equal(f->conns, 0);
    assert_true(f->seq_seen > 0);
    assert_true(f->seq_seen < N / 2); /* about 40 here: what the socket buffers hold */
    raw_http_close(&c);
}

static void test_http_10_keep_alive_and_close(void **state)
{
    struct fixture *f = *state;
    struct raw_http_client c;
    struct raw_http_response res;
    assert_int_equal(raw_http_connect(&c, f->port), 0);
    assert_int_equal(raw_http_send_str(&c, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
                     0);
    assert_int_equal(raw_http_read_response(&c, &res), 0);
    assert_string_equal(raw_http_header(&res, "connection"), "keep-alive");
    raw_http_response_cleanup(&res);
    assert_int_equal(raw_http_send_str(&c, "GET /hello HTTP/1.0\r\n\r\n"), 0);
    assert_int_equal(raw_http_read_response(&c, &res), 0);
    assert_int_equal(res.status, 200);
    assert_string_equal(raw_http_header(&res, "connection"), "close");
    raw_http_response_cleanup(&res);
    assert_true(raw_http_wait_closed(&c, RAW_HTTP_TIMEOUT_MS));
    raw_http_close(&c);
    /* HTTP/1.1 with Connection: close: answered, then closed. */
    assert_int_equal(raw_http_connect(&c, f->port), 0);
    assert_int_equal(raw_http_send_str(&c, "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n"
                                           "GET /hello HTTP/1.1\r\n\r\n"),
                     0);
    assert_int_equal(raw_http_read_response(&c, &res), 0);
    assert_string_equal(raw_http_header(&res, "connection"), "close");
    raw_http_response_cleanup(&res);
    assert_true(raw_http_wait_closed(&c, RAW_HTTP_TIMEOUT_MS));
    raw_http_close(&c);
}

static void test_http_version_2_gets_505(void **state)
{
    struct fixture *f = *state;
    expect_error_and_close(f, "GET /hello HTTP/2.0\r\n\r\n", 505);
}

static void test_http_expect_continue(void **state)
{
    struct fixture *f = *state;
    struct raw_http_client c;
    struct raw_http_response res;
    assert_int_equal(raw_http_connect(&c, f->port), 0);
    assert_int_equal(raw_http_send_str(&c, "POST /echo HTTP/1.1\r\nContent-Length: 4\r\n"
                                           "Expect: 100-continue\r\n\r\n"),
                     0);
    assert_int_equal(raw_http_read_response(&c, &res), 0);
    assert_int_equal(res.status, 100);
    raw_http_response_cleanup(&res);
    assert_int_equal(raw_http_send_str(&c, "ping"), 0);
    assert_int_equal(raw_http_read_response(&c, &res), 0);
    assert_int_equal(res.status, 200);
    assert_string_equal(res.body, "ping");
    raw_http_response_cleanup(&res);
    raw_http_close(&c);
}

static void test_http_handler_status_headers_and_bad_status(void **state)
{
    struct fixture *f = *state;
    struct raw_http_response res;
    assert_int_equal(
        raw_http_roundtrip(f->port, "PUT /created HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &res), 0);
    assert_int_equal(res.status, 201);
    assert_string_equal(raw_http_header(&res, "www-authenticate"), "Bearer");
    assert_string_equal(raw_http_header(&res, "content-type"), "application/json");
    assert_string_equal(res.body, "{\"ok\":true}");
    raw_http_response_cleanup(&res);
    assert_int_equal(raw_http_roundtrip(f->port, "GET /bad HTTP/1.1\r\n\r\n", &res), 0);
    assert_int_equal(res.status, 500);
    raw_http_response_cleanup(&res);
}

static void test_http_client_half_close_still_answered(void **state)
{
    struct fixture *f = *state;
    struct raw_http_client c;
    struct raw_http_response res;
    assert_int_equal(raw_http_connect(&c, f->port), 0);
    assert_int_equal(raw_http_send_str(&c, "GET /hello HTTP/1.1\r\n\r\n"), 0);
    assert_int_equal(shutdown(c.fd, SHUT_WR), 0);
    assert_int_equal(raw_http_read_response(&c, &res), 0);
    assert_string_equal(res.body, "hello");
    raw_http_response_cleanup(&res);
    assert_true(raw_http_wait_closed(&c, RAW_HTTP_TIMEOUT_MS));
    raw_http_close(&c);
}

static void test_http_metrics_record_route_and_status(void **state)
{
    struct fixture *f = *state;
    struct raw_http_response res;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(raw_http_roundtrip(f->port, "GET /hello HTTP/1.1\r\n\r\n", &res), 0);
        raw_http_response_cleanup(&res);
    }
    assert_int_equal(raw_http_roundtrip(f->port, "GET /secret/77011234567 HTTP/1.1\r\n\r\n", &res),
                     0);
    raw_http_response_cleanup(&res);
    raw_http_loop_call(&f->l, on_render, f);
    assert_non_null(
        strstr(f->text, "tabelbot_http_requests_total{route=\"hello\",status=\"200\"} 2\n"));
    assert_non_null(
        strstr(f->text, "tabelbot_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n"));
    assert_non_null(strstr(f->text, "tabelbot_http_request_duration_seconds_count{route=\"hello\"} "
                                    "2\n"));
    assert_non_null(strstr(f->text, "tabelbot_http_request_duration_seconds_bucket{route=\"hello\","
                                    "le=\"+Inf\"} 2\n"));
    assert_null(strstr(f->text, "77011234567")); /* never the raw path */
    /* The connections are all closed by now (the client closed each after its answer). */
    for (int i = 0; i < 200 && !strstr(f->text, "\ntabelbot_http_connections 0\n"); i++) {
        sleep_ms(25);
        raw_http_loop_call(&f->l, on_render, f);
    }
    assert_non_null(strstr(f->text, "# TYPE tabelbot_http_connections gauge\n"));
    assert_non_null(strstr(f->text, "\ntabelbot_http_connections 0\n"));
}

static void test_http_over_max_connections_503(void **state)
{
    (void)state;
    struct bot_config cfg;
    test_config(&cfg);
    cfg.server.max_connections = 2;
    cfg.server.idle_timeout_ms = 20000;
    cfg.server.request_timeout_ms = 20000;
    struct fixture *f = fixture_start(&cfg);
    struct raw_http_client a;
    struct raw_http_client b;
    struct raw_http_client c;
    struct raw_http_response res;
    assert_int_equal(raw_http_connect(&a, f->port), 0);
    assert_int_equal(raw_http_connect(&b, f->port), 0);
    /* A request on each proves both were accepted before the third arrives. */
    for (int i = 0; i < 2; i++) {
        struct raw_http_client *x = i ? &b : &a;
        assert_int_equal(raw_http_send_str(x, "GET /hello HTTP/1.1\r\n\r\n"), 0);
        assert_int_equal(raw_http_read_response(x, &res), 0);
        assert_int_equal(res.status, 200);
        raw_http_response_cleanup(&res);
    }
    assert_int_equal(raw_http_connect(&c, f->port), 0);
    assert_int_equal(raw_http_send_str(&c, "GET /hello HTTP/1.1\r\n\r\n"), 0);
    assert_int_equal(raw_http_read_response(&c, &res), 0);
    assert_int_equal(res.status, 503);
    assert_string_equal(raw_http_header(&res, "retry-after"), "1");
    assert_string_equal(raw_http_header(&res, "connection"), "close");
    raw_http_response_cleanup(&res);
    assert_true(raw_http_wait_closed(&c, RAW_HTTP_TIMEOUT_MS));
    raw_http_close(&c);
    /* A slot freed is a slot usable again. */
    raw_http_close(&a);
    int status = 0;
    for (int tries = 0; tries < 100 && status != 200; tries++) {
        raw_http_loop_call(&f->l, on_count_conns, f);
        if (f->conns > 1) {
            sleep_ms(50);
            continue;
        }
        assert_int_equal(raw_http_roundtrip(f->port, "GET /hello HTTP/1.1\r\n\r\n", &res), 0);
        status = res.status;
        raw_http_response_cleanup(&res);
    }
    assert_int_equal(status, 200);
    raw_http_close(&b);
    void *fs = f;
    teardown(&fs);
}

static void test_http_thousand_concurrent_keep_alive(void **state)
{
    (void)state;
    enum { N = 1000 };
    /* Both ends live in this process: 2000 sockets and some, past a 1024 default. */
    struct rlimit lim;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &lim), 0);
    if (lim.rlim_cur < 2 * N + 64) {
        lim.rlim_cur = lim.rlim_max < 4 * N ? lim.rlim_max : 4 * N;
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
        assert_true(lim.rlim_cur >= 2 * N + 64);
    }
    struct bot_config cfg;
    test_config(&cfg);
    cfg.server.idle_timeout_ms = 60000;
    cfg.server.request_timeout_ms = 60000;
    struct fixture *f = fixture_start(&cfg);
    struct raw_http_client *c = calloc(N, sizeof *c);
    assert_non_null(c);
    for (int i = 0; i < N; i++) {
        assert_int_equal(raw_http_connect(&c[i], f->port), 0);
    }
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            assert_int_equal(raw_http_send_str(&c[i], "GET /hello HTTP/1.1\r\n\r\n"), 0);
        }
        for (int i = 0; i < N; i++) {
            struct raw_http_response res;
            assert_int_equal(raw_http_read_response(&c[i], &res), 0);
            assert_int_equal(res.status, 200);
            assert_string_equal(res.body, "hello");
            raw_http_response_cleanup(&res);
        }
    }
    raw_http_loop_call(&f->l, on_count_conns, f);
    assert_int_equal(f->conns, N);
    raw_http_loop_call(&f->l, on_render, f);
    assert_non_null(strstr(f->text, "\ntabelbot_http_connections 1000\n"));
    for (int i = 0; i < N; i++) {
        raw_http_close(&c[i]);
    }
    free(c);
    void *fs = f;
    teardown(&fs);
}

static void on_stopped(struct bot_http_server *srv, void *ctx)
{
    struct fixture *f = ctx;
    /* Loop thread: record, the test thread asserts. */
    f->stopped += srv == f->srv ? 1 : 100;
}

static void on_stop(void *arg)
{
    struct fixture *f = arg;
    f->stop_rc = bot_http_server_stop(f->srv, on_stopped, f);
}

static void on_read_stopped(void *arg)
{
    struct fixture *f = arg;
    f->conns = bot_http_server_connections(f->srv);
    f->stopped_seen = f->stopped; /* one snapshot with conns: the test thread reads these */
}

/* Polls (generously) until the stopped callback ran; f->conns then holds the count. */
static void wait_stopped(struct fixture *f)
{
    for (int i = 0; i < 300; i++) {
        raw_http_loop_call(&f->l, on_read_stopped, f);
        if (f->stopped_seen) {
            break;
        }
        sleep_ms(50);
    }
}

static void test_http_graceful_stop_finishes_in_flight_request(void **state)
{
    (void)state;
    struct bot_config cfg;
    test_config(&cfg);
    cfg.server.idle_timeout_ms = 20000;
    cfg.server.request_timeout_ms = 20000;
    cfg.server.shutdown_grace_ms = 20000;
    struct fixture *f = fixture_start(&cfg);
    struct raw_http_client busy;
    struct raw_http_client idle;
    struct raw_http_response res;
    assert_int_equal(raw_http_connect(&idle, f->port), 0);
    assert_int_equal(raw_http_send_str(&idle, "GET /hello HTTP/1.1\r\n\r\n"), 0);
    assert_int_equal(raw_http_read_response(&idle, &res), 0);
    raw_http_response_cleanup(&res);
    assert_int_equal(raw_http_connect(&busy, f->port), 0);
    assert_int_equal(raw_http_send_str(&busy, "POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\n"
                                              "12345"),
                     0);
    /* Wait until the server has seen the first half (it has two connections by then and the
     * busy one is mid-request: a request sent on a third connection is answered after it). */
    struct raw_http_client probe;
    assert_int_equal(raw_http_connect(&probe, f->port), 0);
    assert_int_equal(raw_http_send_str(&probe, "GET /hello HTTP/1.1\r\n\r\n"), 0);
    assert_int_equal(raw_http_read_response(&probe, &res), 0);
    raw_http_response_cleanup(&res);
    raw_http_close(&probe);

    raw_http_loop_call(&f->l, on_stop, f);
    assert_int_equal(f->stop_rc, 0);
    /* The idle connection is closed at once, new connections are refused. */
    assert_true(raw_http_wait_closed(&idle, RAW_HTTP_TIMEOUT_MS));
    raw_http_close(&idle);
    struct raw_http_client late;
    assert_int_not_equal(raw_http_connect(&late, f->port), 0);
    /* The in-flight request completes and is answered, with Connection: close. */
    assert_int_equal(raw_http_send_str(&busy, "67890"), 0);
    assert_int_equal(raw_http_read_response(&busy, &res), 0);
    assert_int_equal(res.status, 200);
    assert_string_equal(res.body, "1234567890");
    assert_string_equal(raw_http_header(&res, "connection"), "close");
    raw_http_response_cleanup(&res);
    assert_true(raw_http_wait_closed(&busy, RAW_HTTP_TIMEOUT_MS));
    raw_http_close(&busy);
    /* The done callback runs once the last connection is gone. */
    wait_stopped(f);
    assert_int_equal(f->stopped_seen, 1);
    assert_int_equal(f->conns, 0);
    void *fs = f;
    teardown(&fs);
}

static void on_close_now(void *arg)
{
    struct fixture *f = arg;
    bot_http_server_close(f->srv, on_stopped, f);
}

static void test_http_close_drops_in_flight_request(void **state)
{
    struct fixture *f = *state;
    struct raw_http_client c;
    assert_int_equal(raw_http_connect(&c, f->port), 0);
    assert_int_equal(raw_http_send_str(&c, "POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\n1"),
                     0);
    raw_http_loop_call(&f->l, on_count_conns, f);
    raw_http_loop_call(&f->l, on_close_now, f);
    assert_true(raw_http_wait_closed(&c, RAW_HTTP_TIMEOUT_MS));
    raw_http_close(&c);
    wait_stopped(f);
    assert_int_equal(f->stopped_seen, 1);
    assert_int_equal(f->conns, 0);
}

static void test_http_stop_from_a_handler_answers_first(void **state)
{
    struct fixture *f = *state;
    struct raw_http_client c;
    struct raw_http_response res;
    assert_int_equal(raw_http_connect(&c, f->port), 0);
    assert_int_equal(raw_http_send_str(&c, "POST /stop HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), 0);
    assert_int_equal(raw_http_read_response(&c, &res), 0);
    assert_int_equal(res.status, 202);
    assert_string_equal(res.body, "stopping");
    assert_string_equal(raw_http_header(&res, "connection"), "close");
    raw_http_response_cleanup(&res);
    assert_true(raw_http_wait_closed(&c, RAW_HTTP_TIMEOUT_MS));
    raw_http_close(&c);
    wait_stopped(f);
    assert_int_equal(f->stop_rc, 0);
    assert_int_equal(f->stopped_seen, 1);
}

/* Deterministic xorshift: the same garbage on every run. */
static uint32_t next_random(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static size_t make_garbage(uint32_t *seed, char *out, size_t cap)
{
    static const char *const prefixes[] = {
        "", "GET / HTTP/1.1\r\n", "POST /echo HTTP/1.1\r\n",
        "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET "};
    static const char alphabet[] = "GETPOST /:\r\n\r\n0123456789abcdefHTP1.-; \t\x01\x7f\xff";
    const char *prefix = prefixes[next_random(seed) % (sizeof prefixes / sizeof prefixes[0])];
    size_t n = strlen(prefix);
    memcpy(out, prefix, n);
    size_t extra = next_random(seed) % (cap - n);
    for (size_t i = 0; i < extra; i++) {
        out[n++] = alphabet[next_random(seed) % (sizeof alphabet - 1)];
    }
    return n;
}

static void test_http_garbage_never_hurts_the_server(void **state)
{
    struct fixture *f = *state;
    uint32_t seed = 0x9e3779b9u;
    char garbage[600];
    char sink[4096];
    for (int round = 0; round < 300; round++) {
        struct raw_http_client c;
        size_t len = make_garbage(&seed, garbage, sizeof garbage);
        assert_int_equal(raw_http_connect(&c, f->port), 0);
        if (raw_http_send(&c, garbage, len) == 0) {
            shutdown(c.fd, SHUT_WR);
        }
        /* Whatever comes back, the server must end the exchange (answer and/or close). */
        ssize_t n;
        size_t total = 0;
        while ((n = recv(c.fd, sink, sizeof sink, 0)) > 0) {
            total += (size_t)n;
        }
        assert_true(n == 0 || errno == ECONNRESET);
        assert_true(total < 1024 * 1024);
        raw_http_close(&c);
    }
    struct raw_http_response res;
    assert_int_equal(raw_http_roundtrip(f->port, "GET /hello HTTP/1.1\r\n\r\n", &res), 0);
    assert_int_equal(res.status, 200);
    raw_http_response_cleanup(&res);
}

/* ---- API contracts without a network ---- */

static void test_http_route_and_header_validation(void **state)
{
    (void)state;
    uv_loop_t loop;
    struct bot_config cfg;
    struct bot_http_server *srv = NULL;
    assert_int_equal(uv_loop_init(&loop), 0);
    test_config(&cfg);
    assert_int_equal(bot_http_server_new(&loop, &cfg, NULL, &srv), 0);
    assert_int_equal(bot_http_server_route(srv, "GET", "nope", "x", h_hello, NULL), CORE_EINVAL);
    assert_int_equal(bot_http_server_route(srv, "GET", "/a/{x}/b", "x", h_hello, NULL),
                     CORE_EINVAL);
    assert_int_equal(bot_http_server_route(srv, "GET", "/a{x}", "x", h_hello, NULL), CORE_EINVAL);
    assert_int_equal(bot_http_server_route(srv, "GET", "/a/{}", "x", h_hello, NULL), CORE_EINVAL);
    assert_int_equal(bot_http_server_route(srv, "G T", "/a", "x", h_hello, NULL), CORE_EINVAL);
    assert_int_equal(bot_http_server_route(srv, "GET", "/a", "bad name", h_hello, NULL),
                     CORE_EINVAL);
    assert_int_equal(bot_http_server_route(srv, "GET", "/a/{x}", "a", h_hello, NULL), 0);
    assert_int_equal(bot_http_server_route(srv, "GET", "/a/{y}", "a", h_hello, NULL), CORE_EEXIST);
    assert_int_equal(bot_http_server_port(srv), 0);
    bot_http_server_free(srv); /* never started: freed at once */
    static const char *const good[] = {"[::1]:0", "localhost:8080", ":0", "0.0.0.0:65535"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        snprintf(cfg.server.listen, sizeof cfg.server.listen, "%s", good[i]);
        assert_int_equal(bot_http_server_new(&loop, &cfg, NULL, &srv), 0);
        bot_http_server_free(srv);
    }
    static const char *const bad[] = {"[::1]", "example.org:80", "1.2.3.4:", "1.2.3.4:-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(cfg.server.listen, sizeof cfg.server.listen, "%s", bad[i]);
        assert_int_equal(bot_http_server_new(&loop, &cfg, NULL, &srv), CORE_ECONFIG);
    }
    snprintf(cfg.server.listen, sizeof cfg.server.listen, "no-port");
    assert_int_equal(bot_http_server_new(&loop, &cfg, NULL, &srv), CORE_ECONFIG);
    snprintf(cfg.server.listen, sizeof cfg.server.listen, "127.0.0.1:99999");
    assert_int_equal(bot_http_server_new(&loop, &cfg, NULL, &srv), CORE_ECONFIG);
    assert_int_equal(uv_loop_close(&loop), 0);

    struct bot_http_response res;
    memset(&res, 0, sizeof res);
    core_buf_init(&res.body, 0);
    assert_int_equal(bot_http_response_add_header(&res, "X-A", "ok\r\nInjected: 1"), CORE_EINVAL);
    assert_int_equal(bot_http_response_add_header(&res, "Content-Length", "1"), CORE_EINVAL);
    assert_int_equal(bot_http_response_add_header(&res, "Bad Name", "1"), CORE_EINVAL);
    for (int i = 0; i < BOT_HTTP_MAX_EXTRA_HEADERS; i++) {
        assert_int_equal(bot_http_response_add_header(&res, "X-N", "v"), 0);
    }
    assert_int_equal(bot_http_response_add_header(&res, "X-N", "v"), CORE_ETOOBIG);
    core_buf_cleanup(&res.body);
}

static void on_start_twice(void *arg)
{
    struct fixture *f = arg;
    struct bot_http_server *other = NULL;
    struct bot_config cfg = f->cfg;
    snprintf(cfg.server.listen, sizeof cfg.server.listen, "127.0.0.1:%u", (unsigned)f->port);
    LOOP_CHECK(f, bot_http_server_new(&f->l.loop, &cfg, f->metrics, &other) == 0);
    f->start_rc = other ? bot_http_server_start(other) : -1;
    bot_http_server_free(other); /* handles still closing: released from their callbacks */
}

static void test_http_port_in_use_fails_cleanly(void **state)
{
    struct fixture *f = *state;
    raw_http_loop_call(&f->l, on_start_twice, f);
    assert_int_equal(f->start_rc, CORE_ENET);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_http_get_keep_alive_reuses_connection, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_http_route_param_query_headers_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_404_405_allow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_malformed_requests_get_400, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_oversized_headers_431_and_url_414, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_http_body_too_large_413_without_reading_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_http_post_without_length_411, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_chunked_body_and_bad_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_slow_client_gets_408, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_idle_keep_alive_closed_silently, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_pipelined_requests_answered_in_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_http_pipelined_backpressure_loses_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_http_client_that_never_reads_is_dropped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_http_10_keep_alive_and_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_version_2_gets_505, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_expect_continue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_handler_status_headers_and_bad_status, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_http_client_half_close_still_answered, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_http_metrics_record_route_and_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_close_drops_in_flight_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_port_in_use_fails_cleanly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_stop_from_a_handler_answers_first, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_http_garbage_never_hurts_the_server, setup, teardown),
        cmocka_unit_test(test_http_over_max_connections_503),
        cmocka_unit_test(test_http_thousand_concurrent_keep_alive),
        cmocka_unit_test(test_http_graceful_stop_finishes_in_flight_request),
        cmocka_unit_test(test_http_route_and_header_validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
