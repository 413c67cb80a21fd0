/* SPDX-License-Identifier: MIT
 * bot/http_client against the stub server: GET and POST, header lookup, timeout, refused
 * connection, capped response, 100 concurrent requests, connection reuse, cancel and close with
 * requests in flight (every test ends with uv_loop_close == 0), and no URL in the logs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "bot/http_client.h"
#include "core/log.h"
#include "support/http_stub.h"

#define WAIT_MS 20000

struct result {
    int calls;
    int err;
    long status;
    char body[256];
    size_t body_len;
    char retry_after[32];
    char error[256];
};

struct fixture {
    uv_loop_t loop;
    struct http_stub *stub;
    struct bot_http_client *client;
};

static void on_done(void *ctx, const struct bot_http_response *resp)
{
    struct result *r = ctx;
    r->calls++;
    r->err = resp->err;
    r->status = resp->status;
    r->body_len = resp->body_len;
    snprintf(r->body, sizeof r->body, "%s", resp->body);
    snprintf(r->error, sizeof r->error, "%s", resp->error);
    const char *ra = bot_http_response_header(resp, "Retry-After");
    snprintf(r->retry_after, sizeof r->retry_after, "%s", ra ? ra : "");
}

static bool result_done(void *ctx)
{
    return ((struct result *)ctx)->calls > 0;
}

static int setup_with(void **state, const struct bot_http_options *opt)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->stub = http_stub_start();
    assert_non_null(f->stub);
    assert_int_equal(bot_http_client_open(&f->loop, opt, &f->client), CORE_OK);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, NULL);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    bot_http_client_close(f->client);
    http_stub_drain(&f->loop, WAIT_MS);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    http_stub_stop(f->stub);
    free(f);
    return 0;
}

static void
make_call(struct fixture *f, struct bot_http_call *call, const char *method, const char *path)
{
    char url[256];
    http_stub_url(f->stub, path, url, sizeof url);
    bot_http_call_init(call);
    snprintf(call->method, sizeof call->method, "%s", method);
    snprintf(call->label, sizeof call->label, "test.%s", method);
    assert_int_equal(bot_http_call_set_url(call, url), CORE_OK);
}

static void run_one(struct fixture *f, struct bot_http_call *call, struct result *r)
{
    memset(r, 0, sizeof *r);
    assert_int_equal(bot_http_submit(f->client, call, on_done, r), CORE_OK);
    bot_http_call_cleanup(call);
    assert_true(http_stub_run_until(&f->loop, result_done, r, WAIT_MS));
    assert_int_equal(r->calls, 1);
}

static void test_http_get_returns_status_body_and_headers(void **state)
{
    struct fixture *f = *state;
    struct http_stub_reply reply = http_stub_reply_text(429, "slow down");
    snprintf(reply.headers, sizeof reply.headers, "Retry-After: 7\r\nX-Other: 1\r\n");
    http_stub_push_reply(f->stub, &reply);
    struct bot_http_call call;
    make_call(f, &call, "GET", "/things?id=5");
    struct result r;
    run_one(f, &call, &r);
    assert_int_equal(r.err, CORE_OK);
    assert_int_equal(r.status, 429);
    assert_string_equal(r.body, "slow down");
    assert_string_equal(r.retry_after, "7");
    struct http_stub_request seen;
    assert_true(http_stub_request_at(f->stub, 0, &seen));
    assert_string_equal(seen.method, "GET");
    assert_string_equal(seen.path, "/things?id=5");
    assert_int_equal(seen.body_len, 0);
}

static void test_http_post_sends_body_and_headers(void **state)
{
    struct fixture *f = *state;
    struct bot_http_call call;
    make_call(f, &call, "POST", "/send");
    assert_int_equal(bot_http_call_add_header(&call, "Content-Type", "application/json"), CORE_OK);
    assert_int_equal(bot_http_call_add_header(&call, "Idempotency-Key", "k-1"), CORE_OK);
    const char *json = "{\"chat_id\":42,\"text\":\"salem\"}";
    assert_int_equal(bot_http_call_set_body(&call, json, strlen(json)), CORE_OK);
    struct result r;
    run_one(f, &call, &r);
    assert_int_equal(r.err, CORE_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok");
    assert_string_equal(r.retry_after, "");
    struct http_stub_request seen;
    assert_true(http_stub_request_at(f->stub, 0, &seen));
    assert_string_equal(seen.method, "POST");
    assert_string_equal(seen.body, json);
    char value[64];
    assert_true(http_stub_header(&seen, "idempotency-key", value, sizeof value));
    assert_string_equal(value, "k-1");
    assert_true(http_stub_header(&seen, "content-type", value, sizeof value));
    assert_string_equal(value, "application/json");
    assert_false(http_stub_header(&seen, "expect", value, sizeof value));
}

static void test_http_put_with_large_body_arrives_whole(void **state)
{
    struct fixture *f = *state;
    struct bot_http_call call;
    make_call(f, &call, "PUT", "/big");
    char body[3000];
    memset(body, 'b', sizeof body);
    assert_int_equal(bot_http_call_set_body(&call, body, sizeof body), CORE_OK);
    struct result r;
    run_one(f, &call, &r);
    assert_int_equal(r.err, CORE_OK);
    struct http_stub_request seen;
    assert_true(http_stub_request_at(f->stub, 0, &seen));
    assert_string_equal(seen.method, "PUT");
    assert_int_equal(seen.body_len, sizeof body);
}

static void test_http_bad_headers_are_rejected(void **state)
{
    (void)state;
    struct bot_http_call call;
    bot_http_call_init(&call);
    assert_int_equal(bot_http_call_add_header(&call, "X-A", "v\r\nInjected: 1"), CORE_EINVAL);
    assert_int_equal(bot_http_call_add_header(&call, "X:B", "v"), CORE_EINVAL);
    assert_int_equal(bot_http_call_add_header(&call, "", "v"), CORE_EINVAL);
    assert_int_equal(bot_http_call_set_url(&call, ""), CORE_EINVAL);
    for (int i = 0; i < BOT_HTTP_MAX_HEADERS; i++) {
        assert_int_equal(bot_http_call_add_header(&call, "X-N", "1"), CORE_OK);
    }
    assert_int_equal(bot_http_call_add_header(&call, "X-N", "1"), CORE_ETOOBIG);
    bot_http_call_cleanup(&call);
    bot_http_call_cleanup(&call);
}

static void test_http_submit_rejects_invalid_calls(void **state)
{
    struct fixture *f = *state;
    struct bot_http_call call;
    bot_http_call_init(&call);
    struct result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(bot_http_submit(f->client, &call, on_done, &r), CORE_EINVAL);
    make_call(f, &call, "get", "/x");
    assert_int_equal(bot_http_submit(f->client, &call, on_done, &r), CORE_EINVAL);
    bot_http_call_cleanup(&call);
    assert_int_equal(r.calls, 0);
    assert_int_equal(bot_http_client_in_flight(f->client), 0);
}

static void test_http_slow_server_times_out(void **state)
{
    struct fixture *f = *state;
    struct http_stub_reply reply = http_stub_reply_text(200, "late");
    reply.delay_ms = 5000;
    http_stub_push_reply(f->stub, &reply);
    struct bot_http_call call;
    make_call(f, &call, "GET", "/slow");
    call.timeout_ms = 200;
    struct result r;
    run_one(f, &call, &r);
    assert_int_equal(r.err, CORE_ETIMEOUT);
    assert_int_equal(r.status, 0);
    assert_true(strlen(r.error) > 0);
}

static int closed_port(void)
{
    uv_loop_t loop;
    uv_tcp_t tcp;
    struct sockaddr_in addr;
    struct sockaddr_storage bound;
    int len = sizeof bound;
    assert_int_equal(uv_loop_init(&loop), 0);
    uv_tcp_init(&loop, &tcp);
    uv_ip4_addr("127.0.0.1", 0, &addr);
    assert_int_equal(uv_tcp_bind(&tcp, (const struct sockaddr *)&addr, 0), 0);
    assert_int_equal(uv_tcp_getsockname(&tcp, (struct sockaddr *)&bound, &len), 0);
    uv_close((uv_handle_t *)&tcp, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    return ntohs(((struct sockaddr_in *)&bound)->sin_port);
}

struct log_capture {
    char text[8192];
};

static void capture_sink(enum core_log_level level, const char *line, void *ctx)
{
    (void)level;
    struct log_capture *cap = ctx;
    size_t used = strlen(cap->text);
    snprintf(cap->text + used, sizeof cap->text - used, "%s\n", line);
}

static void test_http_refused_connection_is_enet_and_url_not_logged(void **state)
{
    struct fixture *f = *state;
    struct log_capture cap = {{0}};
    core_log_set_sink(capture_sink, &cap);
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/bot123:SECRETTOKEN/sendMessage", closed_port());
    struct bot_http_call call;
    bot_http_call_init(&call);
    snprintf(call.label, sizeof call.label, "telegram.sendMessage");
    assert_int_equal(bot_http_call_set_url(&call, url), CORE_OK);
    struct result r;
    run_one(f, &call, &r);
    core_log_set_sink(NULL, NULL);
    assert_int_equal(r.err, CORE_ENET);
    assert_int_equal(r.status, 0);
    assert_true(strlen(r.error) > 0);
    assert_null(strstr(r.error, "SECRETTOKEN"));
    assert_non_null(strstr(cap.text, "label=telegram.sendMessage"));
    assert_non_null(strstr(cap.text, "host=127.0.0.1"));
    assert_null(strstr(cap.text, "SECRETTOKEN"));
}

static void test_http_large_response_is_capped(void **state)
{
    struct fixture *f = *state;
    struct http_stub_reply reply = http_stub_reply_text(200, "");
    reply.filler_len = 4 * 1024 * 1024;
    http_stub_push_reply(f->stub, &reply);
    struct bot_http_call call;
    make_call(f, &call, "GET", "/huge");
    call.max_response_bytes = 64 * 1024;
    struct result r;
    run_one(f, &call, &r);
    assert_int_equal(r.err, CORE_ETOOBIG);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 64 * 1024);
    assert_int_equal(r.body[0], 'x');
}

static void test_http_response_at_cap_is_whole(void **state)
{
    struct fixture *f = *state;
    struct http_stub_reply reply = http_stub_reply_text(200, "");
    reply.filler_len = 1000;
    http_stub_push_reply(f->stub, &reply);
    struct bot_http_call call;
    make_call(f, &call, "GET", "/exact");
    call.max_response_bytes = 1000;
    struct result r;
    run_one(f, &call, &r);
    assert_int_equal(r.err, CORE_OK);
    assert_int_equal(r.body_len, 1000);
}

struct many {
    struct result results[100];
    int done;
};

static bool many_done(void *ctx)
{
    struct many *m = ctx;
    int n = 0;
    for (int i = 0; i < 100; i++) {
        n += m->results[i].calls;
    }
    m->done = n;
    return n == 100;
}

static void test_http_hundred_concurrent_requests_share_few_connections(void **state)
{
    struct fixture *f = *state;
    struct http_stub_reply reply = http_stub_reply_text(200, "fine");
    reply.delay_ms = 20;
    http_stub_set_default(f->stub, &reply);
    struct many *m = calloc(1, sizeof *m);
    assert_non_null(m);
    for (int i = 0; i < 100; i++) {
        struct bot_http_call call;
        char path[32];
        snprintf(path, sizeof path, "/n/%d", i);
        make_call(f, &call, "POST", path);
        assert_int_equal(bot_http_call_set_body(&call, path, strlen(path)), CORE_OK);
        assert_int_equal(bot_http_submit(f->client, &call, on_done, &m->results[i]), CORE_OK);
        bot_http_call_cleanup(&call);
    }
    assert_int_equal(bot_http_client_in_flight(f->client), 100);
    assert_true(http_stub_run_until(&f->loop, many_done, m, WAIT_MS));
    for (int i = 0; i < 100; i++) {
        assert_int_equal(m->results[i].calls, 1);
        assert_int_equal(m->results[i].err, CORE_OK);
        assert_int_equal(m->results[i].status, 200);
        assert_string_equal(m->results[i].body, "fine");
    }
    assert_int_equal(http_stub_request_count(f->stub), 100);
    int conns = http_stub_connection_count(f->stub);
    assert_true(conns >= 1 && conns <= 8); /* the default max_host_connections */
    assert_int_equal(bot_http_client_connects(f->client), (uint64_t)conns);
    assert_int_equal(bot_http_client_in_flight(f->client), 0);
    free(m);
}

static void test_http_sequential_requests_reuse_one_connection(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 20; i++) {
        struct bot_http_call call;
        make_call(f, &call, "GET", "/again");
        struct result r;
        run_one(f, &call, &r);
        assert_int_equal(r.err, CORE_OK);
    }
    assert_int_equal(http_stub_request_count(f->stub), 20);
    assert_int_equal(http_stub_connection_count(f->stub), 1);
    for (int i = 0; i < 20; i++) {
        struct http_stub_request seen;
        assert_true(http_stub_request_at(f->stub, i, &seen));
        assert_int_equal(seen.conn_id, 0);
    }
}

static void test_http_dropped_connection_is_enet(void **state)
{
    struct fixture *f = *state;
    struct http_stub_reply reply = http_stub_reply_text(0, "");
    http_stub_push_reply(f->stub, &reply);
    struct bot_http_call call;
    make_call(f, &call, "POST", "/lost");
    struct result r;
    run_one(f, &call, &r);
    assert_int_equal(r.err, CORE_ENET);
}

static bool stub_has_six(void *ctx)
{
    return http_stub_request_count(ctx) >= 6;
}

static void test_http_close_with_requests_in_flight_frees_everything(void **state)
{
    struct fixture *f = *state;
    struct http_stub_reply reply = http_stub_reply_text(200, "never seen");
    reply.delay_ms = 10000;
    http_stub_set_default(f->stub, &reply);
    struct result results[6]; /* fewer than max_host_connections: all reach the stub */
    memset(results, 0, sizeof results);
    for (int i = 0; i < 6; i++) {
        struct bot_http_call call;
        make_call(f, &call, "GET", "/hang");
        assert_int_equal(bot_http_submit(f->client, &call, on_done, &results[i]), CORE_OK);
        bot_http_call_cleanup(&call);
    }
    /* Wait until some requests are really on the wire (sockets polled, bodies pending). */
    assert_true(http_stub_run_until(&f->loop, stub_has_six, f->stub, WAIT_MS));
    assert_int_equal(bot_http_client_in_flight(f->client), 6);
    bot_http_client_close(f->client);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(results[i].calls, 1);
        assert_int_equal(results[i].err, CORE_ESTATE);
    }
    f->client = NULL; /* teardown's close(NULL) is a no-op; the loop must still close cleanly */
}

struct closer {
    struct bot_http_client *client;
    int calls;
    int errs[3];
};

static void close_from_callback(void *ctx, const struct bot_http_response *resp)
{
    struct closer *c = ctx;
    c->errs[c->calls++] = resp->err;
    bot_http_client_close(c->client);
}

static bool closer_done(void *ctx)
{
    return ((struct closer *)ctx)->calls >= 3;
}

static void
fast_or_slow(void *ctx, const struct http_stub_request *req, struct http_stub_reply *reply)
{
    (void)ctx;
    *reply = http_stub_reply_text(200, req->path);
    reply->delay_ms = strcmp(req->path, "/fast") == 0 ? 0 : 10000;
}

static void test_http_close_from_a_callback_cancels_the_rest(void **state)
{
    struct fixture *f = *state;
    http_stub_set_handler(f->stub, fast_or_slow, NULL);
    struct closer c = {.client = f->client};
    const char *paths[] = {"/slow1", "/fast", "/slow2"};
    for (int i = 0; i < 3; i++) {
        struct bot_http_call call;
        make_call(f, &call, "GET", paths[i]);
        assert_int_equal(bot_http_submit(f->client, &call, close_from_callback, &c), CORE_OK);
        bot_http_call_cleanup(&call);
    }
    assert_true(http_stub_run_until(&f->loop, closer_done, &c, WAIT_MS));
    assert_int_equal(c.errs[0], CORE_OK);
    assert_int_equal(c.errs[1], CORE_ESTATE);
    assert_int_equal(c.errs[2], CORE_ESTATE);
    f->client = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_http_get_returns_status_body_and_headers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_http_post_sends_body_and_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_put_with_large_body_arrives_whole, setup,
                                        teardown),
        cmocka_unit_test(test_http_bad_headers_are_rejected),
        cmocka_unit_test_setup_teardown(test_http_submit_rejects_invalid_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_slow_server_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_refused_connection_is_enet_and_url_not_logged,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_large_response_is_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_response_at_cap_is_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_hundred_concurrent_requests_share_few_connections,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_sequential_requests_reuse_one_connection, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_http_dropped_connection_is_enet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_close_with_requests_in_flight_frees_everything,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_close_from_a_callback_cancels_the_rest, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
