/* SPDX-License-Identifier: MIT
 * The stub HTTP server of the tests (see http_stub.h): libuv on a private thread, requests
 * parsed with http_parser, answers scripted by the test. Memory: a connection lives until its
 * socket is closed and every answer it owes is finished (reference counted); an answer lives
 * until its timer is closed and its write is done. */
#include "http_stub.h"

#include <ctype.h>
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct http_stub {
    uv_loop_t loop;
    uv_tcp_t server;
    uv_async_t stop;
    uv_thread_t thread;
    uv_mutex_t lock;
    int port;
    int next_conn_id;
    int connections;
    http_stub_handler_fn handler;
    void *handler_ctx;
    struct reply_node *script_head;
    struct reply_node *script_tail;
    struct http_stub_reply fallback;
    struct http_stub_request *requests;
    int n_requests;
    int cap_requests;
};

struct reply_node {
    struct http_stub_reply reply;
    struct reply_node *next;
};

struct conn {
    uv_tcp_t tcp;
    struct http_stub *stub;
    http_parser parser;
    int id;
    int refs;
    bool closing;
    int last_cb; /* 0 none, 1 header field, 2 header value */
    struct http_stub_request cur;
};

struct answer {
    uv_timer_t timer;
    uv_write_t write;
    struct conn *conn;
    char *data;
    size_t len;
    bool drop;
    bool keep_alive;
    int refs;
};

/* ---- reference counting ---- */

static void conn_unref(struct conn *c)
{
    if (--c->refs == 0) {
        free(c);
    }
}

static void conn_tcp_closed(uv_handle_t *handle)
{
    conn_unref(handle->data);
}

static void conn_close(struct conn *c)
{
    if (!c->closing) {
        c->closing = true;
        uv_close((uv_handle_t *)&c->tcp, conn_tcp_closed);
    }
}

static void answer_unref(struct answer *a)
{
    if (--a->refs == 0) {
        conn_unref(a->conn);
        free(a->data);
        free(a);
    }
}

static void answer_timer_closed(uv_handle_t *handle)
{
    answer_unref(handle->data);
}

/* ---- answering ---- */

static void on_written(uv_write_t *req, int status)
{
    struct answer *a = req->data;
    if (status < 0 || !a->keep_alive) {
        conn_close(a->conn);
    }
    answer_unref(a);
}

static void on_answer_due(uv_timer_t *timer)
{
    struct answer *a = timer->data;
    uv_close((uv_handle_t *)timer, answer_timer_closed);
    if (a->conn->closing) {
        return;
    }
    if (a->drop) {
        conn_close(a->conn);
        return;
    }
    uv_buf_t buf = uv_buf_init(a->data, (unsigned int)a->len);
    a->write.data = a;
    a->refs++;
    if (uv_write(&a->write, (uv_stream_t *)&a->conn->tcp, &buf, 1, on_written) != 0) {
        conn_close(a->conn);
        answer_unref(a);
    }
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 404:
        return "Not Found";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    default:
        return "Status";
    }
}

static char *render_answer(const struct http_stub_reply *r, bool keep_alive, size_t *out_len)
{
    size_t body_len = r->body_len ? r->body_len : strlen(r->body);
    size_t total = body_len + r->filler_len;
    size_t cap = 256 + sizeof r->headers + total;
    char *data = malloc(cap);
    if (!data) {
        return NULL;
    }
    int head = snprintf(
        data, cap, "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nConnection: %s\r\n%s\r\n", r->status,
        reason_phrase(r->status), total, keep_alive ? "keep-alive" : "close", r->headers);
    size_t len = (size_t)head;
    memcpy(data + len, r->body, body_len);
    len += body_len;
    memset(data + len, 'x', r->filler_len);
    len += r->filler_len;
    *out_len = len;
    return data;
}

/* Picks the reply for the current request and records it; runs under the lock. */
static void choose_reply(struct http_stub *stub,
                         const struct http_stub_request *req,
                         struct http_stub_reply *reply)
{
    if (stub->n_requests == stub->cap_requests) {
        int cap = stub->cap_requests ? stub->cap_requests * 2 : 64;
        struct http_stub_request *grown = realloc(stub->requests, (size_t)cap * sizeof *grown);
        if (grown) {
            stub->requests = grown;
            stub->cap_requests = cap;
        }
    }
    if (stub->n_requests < stub->cap_requests) {
        stub->requests[stub->n_requests++] = *req;
    }
    if (stub->handler) {
        *reply = stub->fallback;
        stub->handler(stub->handler_ctx, req, reply);
    } else if (stub->script_head) {
        struct reply_node *node = stub->script_head;
        stub->script_head = node->next;
        if (!stub->script_head) {
            stub->script_tail = NULL;
        }
        *reply = node->reply;
        free(node);
    } else {
        *reply = stub->fallback;
    }
}

static void answer_current(struct conn *c, bool keep_alive)
{
    struct http_stub *stub = c->stub;
    struct http_stub_reply reply;
    uv_mutex_lock(&stub->lock);
    c->cur.seq = stub->n_requests;
    c->cur.at_ms = uv_hrtime() / 1000000u;
    choose_reply(stub, &c->cur, &reply);
    uv_mutex_unlock(&stub->lock);
    struct answer *a = calloc(1, sizeof *a);
    if (!a) {
        conn_close(c);
        return;
    }
    a->conn = c;
    a->drop = reply.status == 0;
    a->keep_alive = keep_alive;
    a->data = a->drop ? NULL : render_answer(&reply, keep_alive, &a->len);
    c->refs++;
    a->refs = 1;
    uv_timer_init(&stub->loop, &a->timer);
    a->timer.data = a;
    if (!a->drop && !a->data) {
        a->drop = true;
    }
    uv_timer_start(&a->timer, on_answer_due, (uint64_t)(reply.delay_ms > 0 ? reply.delay_ms : 0),
                   0);
}

/* ---- parsing ---- */

static void append(char *dst, size_t cap, const char *src, size_t len, bool lower)
{
    size_t used = strlen(dst);
    for (size_t i = 0; i < len && used + 1 < cap; i++) {
        dst[used++] = lower ? (char)tolower((unsigned char)src[i]) : src[i];
    }
    dst[used] = '\0';
}

static int on_message_begin(http_parser *p)
{
    struct conn *c = p->data;
    int conn_id = c->id;
    memset(&c->cur, 0, sizeof c->cur);
    c->cur.conn_id = conn_id;
    c->last_cb = 0;
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    struct conn *c = p->data;
    append(c->cur.path, sizeof c->cur.path, at, len, false);
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    struct conn *c = p->data;
    if (c->last_cb == 2) {
        append(c->cur.headers, sizeof c->cur.headers, "\n", 1, false);
    }
    append(c->cur.headers, sizeof c->cur.headers, at, len, true);
    c->last_cb = 1;
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    struct conn *c = p->data;
    if (c->last_cb == 1) {
        append(c->cur.headers, sizeof c->cur.headers, ": ", 2, false);
    }
    append(c->cur.headers, sizeof c->cur.headers, at, len, false);
    c->last_cb = 2;
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    struct conn *c = p->data;
    if (c->last_cb == 2) {
        append(c->cur.headers, sizeof c->cur.headers, "\n", 1, false);
    }
    snprintf(c->cur.method, sizeof c->cur.method, "%s",
             http_method_str((enum http_method)p->method));
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct conn *c = p->data;
    append(c->cur.body, sizeof c->cur.body, at, len, false);
    c->cur.body_len += len;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    struct conn *c = p->data;
    answer_current(c, http_should_keep_alive(p) != 0);
    return 0;
}

static const http_parser_settings parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---- connections ---- */

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    (void)handle;
    buf->base = malloc(suggested);
    buf->len = buf->base ? suggested : 0;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = stream->data;
    if (nread < 0) {
        conn_close(c);
    } else if (nread > 0 && !c->closing) {
        size_t done = http_parser_execute(&c->parser, &parser_settings, buf->base, (size_t)nread);
        if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK || done != (size_t)nread) {
            conn_close(c);
        }
    }
    free(buf->base);
}

static void on_connection(uv_stream_t *server, int status)
{
    struct http_stub *stub = server->data;
    if (status < 0) {
        return;
    }
    struct conn *c = calloc(1, sizeof *c);
    if (!c) {
        return;
    }
    c->stub = stub;
    c->refs = 1;
    uv_tcp_init(&stub->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c);
        return;
    }
    uv_mutex_lock(&stub->lock);
    c->id = stub->next_conn_id++;
    stub->connections++;
    uv_mutex_unlock(&stub->lock);
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

/* ---- lifetime ---- */

static void close_any(uv_handle_t *handle, void *arg)
{
    struct http_stub *stub = arg;
    if (uv_is_closing(handle)) {
        return;
    }
    if (handle == (uv_handle_t *)&stub->server || handle == (uv_handle_t *)&stub->stop) {
        uv_close(handle, NULL);
    } else if (handle->type == UV_TIMER) {
        uv_close(handle, answer_timer_closed);
    } else if (handle->type == UV_TCP) {
        conn_close(handle->data);
    }
}

static void on_stop(uv_async_t *async)
{
    struct http_stub *stub = async->data;
    uv_walk(&stub->loop, close_any, stub);
}

static void stub_thread(void *arg)
{
    struct http_stub *stub = arg;
    uv_run(&stub->loop, UV_RUN_DEFAULT);
}

static int stub_bind(struct http_stub *stub)
{
    struct sockaddr_in addr;
    struct sockaddr_storage bound;
    int len = sizeof bound;
    if (uv_ip4_addr("127.0.0.1", 0, &addr) != 0 || uv_tcp_init(&stub->loop, &stub->server) != 0) {
        return -1;
    }
    stub->server.data = stub;
    if (uv_tcp_bind(&stub->server, (const struct sockaddr *)&addr, 0) != 0 ||
        uv_listen((uv_stream_t *)&stub->server, 512, on_connection) != 0 ||
        uv_tcp_getsockname(&stub->server, (struct sockaddr *)&bound, &len) != 0) {
        return -1;
    }
    stub->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
    return 0;
}

struct http_stub_reply http_stub_reply_text(int status, const char *body)
{
    struct http_stub_reply r;
    memset(&r, 0, sizeof r);
    r.status = status;
    snprintf(r.body, sizeof r.body, "%s", body ? body : "");
    return r;
}

struct http_stub *http_stub_start(void)
{
    struct http_stub *stub = calloc(1, sizeof *stub);
    if (!stub || uv_loop_init(&stub->loop) != 0) {
        free(stub);
        return NULL;
    }
    uv_mutex_init(&stub->lock);
    stub->fallback = http_stub_reply_text(200, "ok");
    uv_async_init(&stub->loop, &stub->stop, on_stop);
    stub->stop.data = stub;
    if (stub_bind(stub) != 0 || uv_thread_create(&stub->thread, stub_thread, stub) != 0) {
        uv_walk(&stub->loop, close_any, stub);
        uv_run(&stub->loop, UV_RUN_DEFAULT);
        uv_loop_close(&stub->loop);
        uv_mutex_destroy(&stub->lock);
        free(stub);
        return NULL;
    }
    return stub;
}

void http_stub_stop(struct http_stub *stub)
{
    if (!stub) {
        return;
    }
    uv_async_send(&stub->stop);
    uv_thread_join(&stub->thread);
    int rc = uv_loop_close(&stub->loop);
    if (rc != 0) {
        fprintf(stderr, "http_stub: loop close: %s\n", uv_strerror(rc));
    }
    while (stub->script_head) {
        struct reply_node *next = stub->script_head->next;
        free(stub->script_head);
        stub->script_head = next;
    }
    uv_mutex_destroy(&stub->lock);
    free(stub->requests);
    free(stub);
}

int http_stub_port(const struct http_stub *stub)
{
    return stub->port;
}

void http_stub_url(const struct http_stub *stub, const char *path, char *out, size_t out_len)
{
    snprintf(out, out_len, "http://127.0.0.1:%d%s", stub->port, path ? path : "");
}

void http_stub_set_handler(struct http_stub *stub, http_stub_handler_fn fn, void *ctx)
{
    uv_mutex_lock(&stub->lock);
    stub->handler = fn;
    stub->handler_ctx = ctx;
    uv_mutex_unlock(&stub->lock);
}

void http_stub_push_reply(struct http_stub *stub, const struct http_stub_reply *reply)
{
    struct reply_node *node = calloc(1, sizeof *node);
    if (!node) {
        return;
    }
    node->reply = *reply;
    uv_mutex_lock(&stub->lock);
    if (stub->script_tail) {
        stub->script_tail->next = node;
    } else {
        stub->script_head = node;
    }
    stub->script_tail = node;
    uv_mutex_unlock(&stub->lock);
}

void http_stub_set_default(struct http_stub *stub, const struct http_stub_reply *reply)
{
    uv_mutex_lock(&stub->lock);
    stub->fallback = *reply;
    uv_mutex_unlock(&stub->lock);
}

void http_stub_lock(struct http_stub *stub)
{
    uv_mutex_lock(&stub->lock);
}

void http_stub_unlock(struct http_stub *stub)
{
    uv_mutex_unlock(&stub->lock);
}

int http_stub_request_count(struct http_stub *stub)
{
    uv_mutex_lock(&stub->lock);
    int n = stub->n_requests;
    uv_mutex_unlock(&stub->lock);
    return n;
}

int http_stub_connection_count(struct http_stub *stub)
{
    uv_mutex_lock(&stub->lock);
    int n = stub->connections;
    uv_mutex_unlock(&stub->lock);
    return n;
}

bool http_stub_request_at(struct http_stub *stub, int i, struct http_stub_request *out)
{
    uv_mutex_lock(&stub->lock);
    bool ok = i >= 0 && i < stub->n_requests;
    if (ok) {
        *out = stub->requests[i];
    }
    uv_mutex_unlock(&stub->lock);
    return ok;
}

bool http_stub_header(const struct http_stub_request *req,
                      const char *name,
                      char *out,
                      size_t out_len)
{
    size_t name_len = strlen(name);
    const char *line = req->headers;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t line_len = end ? (size_t)(end - line) : strlen(line);
        if (line_len >= name_len + 2 && strncmp(line, name, name_len) == 0 &&
            line[name_len] == ':' && line[name_len + 1] == ' ') {
            size_t value_len = line_len - name_len - 2;
            snprintf(out, out_len, "%.*s", (int)value_len, line + name_len + 2);
            return true;
        }
        if (!end) {
            break;
        }
        line = end + 1;
    }
    return false;
}

/* ---- loop helpers for the test thread ---- */

static void on_tick(uv_timer_t *timer)
{
    (void)timer;
}

static void on_tick_closed(uv_handle_t *handle)
{
    *(bool *)handle->data = true;
}

bool http_stub_run_until(uv_loop_t *loop, bool (*cond)(void *ctx), void *ctx, int timeout_ms)
{
    uv_timer_t tick;
    bool closed = false;
    uv_timer_init(loop, &tick);
    tick.data = &closed;
    uv_timer_start(&tick, on_tick, 5, 5);
    uv_update_time(loop);
    uint64_t deadline = uv_now(loop) + (uint64_t)timeout_ms;
    bool ok = cond(ctx);
    while (!ok && uv_now(loop) < deadline) {
        uv_run(loop, UV_RUN_ONCE);
        ok = cond(ctx);
    }
    uv_close((uv_handle_t *)&tick, on_tick_closed);
    while (!closed) {
        uv_run(loop, UV_RUN_NOWAIT);
    }
    return ok;
}

static bool loop_idle(void *ctx)
{
    return !uv_loop_alive(ctx);
}

void http_stub_drain(uv_loop_t *loop, int timeout_ms)
{
    uv_update_time(loop);
    uint64_t deadline = uv_now(loop) + (uint64_t)timeout_ms;
    while (!loop_idle(loop) && uv_now(loop) < deadline) {
        uv_run(loop, UV_RUN_ONCE);
    }
}
