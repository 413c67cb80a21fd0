/* SPDX-License-Identifier: MIT
 * A scriptable stub HTTP/1.1 server for tests: its own libuv loop on its own thread, bound to
 * 127.0.0.1 on an ephemeral port. Each request is answered from a handler callback, else from a
 * FIFO of scripted replies, else from the default reply (200 "ok"). A reply can be delayed, or
 * dropped (the connection closes without an answer). Every request is recorded (method, path,
 * headers, body, connection number, arrival order) and TCP accepts are counted, so tests can
 * check exactly-once delivery, ordering and connection reuse. Also: a helper that runs a loop
 * until a condition holds. Not for production: no limits beyond what tests need. */
#ifndef TESTS_SUPPORT_HTTP_STUB_H
#define TESTS_SUPPORT_HTTP_STUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define HTTP_STUB_PATH_MAX    512
#define HTTP_STUB_HEADERS_MAX 2048
#define HTTP_STUB_BODY_MAX    4096

struct http_stub_request {
    int seq;        /* arrival order, from 0 */
    uint64_t at_ms; /* arrival time, uv_hrtime in ms (monotonic) */
    int conn_id;    /* accepted connection number, from 0 */
    char method[16];
    char path[HTTP_STUB_PATH_MAX];       /* path and query as sent */
    char headers[HTTP_STUB_HEADERS_MAX]; /* "name: value\n" lines, names lowercased */
    char body[HTTP_STUB_BODY_MAX];       /* first bytes, NUL-terminated */
    size_t body_len;                     /* full length received */
};

struct http_stub_reply {
    int status;         /* 0: close the connection without answering */
    char headers[1024]; /* extra "Name: value\r\n" lines */
    char body[HTTP_STUB_BODY_MAX];
    size_t body_len;   /* bytes of body used (strlen(body) when 0 and body is set) */
    size_t filler_len; /* then this many 'x' bytes (large responses) */
    int delay_ms;      /* answer after this long */
};

/** Handler: fills reply for req. Runs on the stub thread with the stub lock held. */
typedef void (*http_stub_handler_fn)(void *ctx,
                                     const struct http_stub_request *req,
                                     struct http_stub_reply *reply);

struct http_stub;

/** Starts the server thread. Returns NULL on failure. */
struct http_stub *http_stub_start(void);
/** Stops the thread, closes every connection and frees everything. NULL is fine. */
void http_stub_stop(struct http_stub *stub);

int http_stub_port(const struct http_stub *stub);
/** "http://127.0.0.1:<port>" followed by path, into out. */
void http_stub_url(const struct http_stub *stub, const char *path, char *out, size_t out_len);

void http_stub_set_handler(struct http_stub *stub, http_stub_handler_fn fn, void *ctx);
void http_stub_push_reply(struct http_stub *stub, const struct http_stub_reply *reply);
void http_stub_set_default(struct http_stub *stub, const struct http_stub_reply *reply);
/** A reply with status and body text (helper for the two calls above). */
struct http_stub_reply http_stub_reply_text(int status, const char *body);

/** Lock for reading state a handler shares with the test. */
void http_stub_lock(struct http_stub *stub);
void http_stub_unlock(struct http_stub *stub);

int http_stub_request_count(struct http_stub *stub);
int http_stub_connection_count(struct http_stub *stub);
/** Copies recorded request i (0-based, arrival order). false when there is none. */
bool http_stub_request_at(struct http_stub *stub, int i, struct http_stub_request *out);
/** Copies header name (lowercase) of a recorded request into out; false when absent. */
bool http_stub_header(const struct http_stub_request *req,
                      const char *name,
                      char *out,
                      size_t out_len);

/** Runs loop until cond(ctx) is true or timeout_ms pass. Returns cond's last value. */
bool http_stub_run_until(uv_loop_t *loop, bool (*cond)(void *ctx), void *ctx, int timeout_ms);
/** Runs loop until it has no more active handles (or timeout_ms). */
void http_stub_drain(uv_loop_t *loop, int timeout_ms);

#endif
