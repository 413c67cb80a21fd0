/* SPDX-License-Identifier: MIT
 * Test helpers for the HTTP server: a blocking-socket client that writes raw bytes and reads
 * responses framed by Content-Length (what bot/http_server always sends), and a libuv loop
 * running in its own thread with a synchronous "run this on the loop" call. Test code only. */
#ifndef TESTS_SUPPORT_RAW_HTTP_H
#define TESTS_SUPPORT_RAW_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define RAW_HTTP_TIMEOUT_MS  15000 /* generous: the machine is shared and loaded */
#define RAW_HTTP_MAX_HEADERS 32

struct raw_http_client {
    int fd;    /* -1 when closed */
    char *buf; /* received and not yet consumed; owned */
    size_t len;
    size_t cap;
};

struct raw_http_response {
    int status;
    int minor; /* HTTP/1.x */
    char names[RAW_HTTP_MAX_HEADERS][64];
    char values[RAW_HTTP_MAX_HEADERS][256];
    size_t n_headers;
    char *body; /* owned, NUL-terminated; free with raw_http_response_cleanup */
    size_t body_len;
};

/** Connects to 127.0.0.1:port (blocking, receive timeout RAW_HTTP_TIMEOUT_MS). 0 or -1. */
int raw_http_connect(struct raw_http_client *client, uint16_t port);
/** Closes the socket and frees the buffer; safe twice. */
void raw_http_close(struct raw_http_client *client);
/** Writes all bytes (MSG_NOSIGNAL). 0 or -1. */
int raw_http_send(struct raw_http_client *client, const void *data, size_t len);
int raw_http_send_str(struct raw_http_client *client, const char *text);
/** Reads one response (status line, headers, Content-Length body). 0, or -1 on EOF, timeout
 * or anything malformed. Bytes after the response stay buffered for the next call. */
int raw_http_read_response(struct raw_http_client *client, struct raw_http_response *res);
void raw_http_response_cleanup(struct raw_http_response *res);
/** Case-insensitive header lookup in a response, NULL when absent. */
const char *raw_http_header(const struct raw_http_response *res, const char *name);
/** True when the server closes the connection (EOF or reset) within timeout_ms with no
 * further bytes; false on data or on timeout. */
bool raw_http_wait_closed(struct raw_http_client *client, int timeout_ms);
/** True when nothing at all arrives within ms (the connection stays open and silent). */
bool raw_http_silent_for(struct raw_http_client *client, int ms);

/** One request, one response, on a fresh connection. 0 or -1. */
int raw_http_roundtrip(uint16_t port, const char *request, struct raw_http_response *res);

typedef void (*raw_http_loop_fn)(void *arg);

/** A loop in a thread. The async handle keeps it alive until raw_http_loop_stop. */
struct raw_http_loop {
    uv_loop_t loop;
    uv_thread_t thread;
    uv_async_t async;
    uv_sem_t done;
    uv_mutex_t lock;
    raw_http_loop_fn fn;
    void *arg;
    bool stopping;
};

/** Initialises the loop and starts its thread. 0 or -1. */
int raw_http_loop_start(struct raw_http_loop *l);
/** Runs fn(arg) on the loop thread and waits until it has returned. */
void raw_http_loop_call(struct raw_http_loop *l, raw_http_loop_fn fn, void *arg);
/** Closes the async handle, waits for the loop to run out of active handles, joins the thread
 * and returns uv_loop_close() (0 when nothing leaked). Free the servers first: an active
 * handle left behind keeps the loop running (the ctest timeout then reports it). */
int raw_http_loop_stop(struct raw_http_loop *l);

#endif
