/* SPDX-License-Identifier: MIT
 * Blocking test client for raw HTTP/1.1 and a loop-in-a-thread harness (see raw_http.h). */
#include "raw_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

int raw_http_connect(struct raw_http_client *client, uint16_t port)
{
    memset(client, 0, sizeof *client);
    client->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (client->fd < 0) {
        return -1;
    }
    struct timeval tv = {.tv_sec = RAW_HTTP_TIMEOUT_MS / 1000, .tv_usec = 0};
    setsockopt(client->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(client->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(client->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(client->fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(client->fd);
        client->fd = -1;
        return -1;
    }
    return 0;
}

void raw_http_close(struct raw_http_client *client)
{
    if (client->fd >= 0) {
        close(client->fd);
    }
    client->fd = -1;
    free(client->buf);
    client->buf = NULL;
    client->len = 0;
    client->cap = 0;
}

int raw_http_send(struct raw_http_client *client, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(client->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int raw_http_send_str(struct raw_http_client *client, const char *text)
{
    return raw_http_send(client, text, strlen(text));
}

/* Reads more bytes into the buffer: 1 got some, 0 EOF, -1 error or timeout. */
static int fill(struct raw_http_client *client)
{
    if (client->cap - client->len < 4096) {
        size_t cap = client->cap ? client->cap * 2 : 16384;
        char *grown = realloc(client->buf, cap);
        if (!grown) {
            return -1;
        }
        client->buf = grown;
        client->cap = cap;
    }
    for (;;) {
        ssize_t n = recv(client->fd, client->buf + client->len, client->cap - client->len - 1, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -1;
        }
        client->len += (size_t)n;
        client->buf[client->len] = '\0';
        return n > 0 ? 1 : 0;
    }
}

static void consume(struct raw_http_client *client, size_t n)
{
    memmove(client->buf, client->buf + n, client->len - n);
    client->len -= n;
}

static char *find_head_end(struct raw_http_client *client)
{
    if (!client->buf) {
        return NULL;
    }
    for (size_t i = 0; i + 3 < client->len; i++) {
        if (memcmp(client->buf + i, "\r\n\r\n", 4) == 0) {
            return client->buf + i;
        }
    }
    return NULL;
}

static int parse_header_line(struct raw_http_response *res, const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);
    if (!colon || res->n_headers >= RAW_HTTP_MAX_HEADERS) {
        return -1;
    }
    size_t name_len = (size_t)(colon - line);
    const char *value = colon + 1;
    while (value < line + len && *value == ' ') {
        value++;
    }
    size_t value_len = (size_t)(line + len - value);
    if (name_len >= 64 || value_len >= 256) {
        return -1;
    }
    memcpy(res->names[res->n_headers], line, name_len);
    res->names[res->n_headers][name_len] = '\0';
    memcpy(res->values[res->n_headers], value, value_len);
    res->values[res->n_headers][value_len] = '\0';
    res->n_headers++;
    return 0;
}

static int parse_head(struct raw_http_response *res, const char *head, size_t len)
{
    const char *end = head + len;
    const char *eol = strstr(head, "\r\n");
    if (!eol) {
        eol = end; /* a status line alone, e.g. "100 Continue" */
    }
    if (sscanf(head, "HTTP/1.%d %d", &res->minor, &res->status) != 2) {
        return -1;
    }
    const char *line = eol + 2;
    while (line < end) {
        const char *next = strstr(line, "\r\n");
        if (!next || next > end) {
            next = end;
        }
        if (parse_header_line(res, line, (size_t)(next - line)) != 0) {
            return -1;
        }
        line = next + 2;
    }
    return 0;
}

int raw_http_read_response(struct raw_http_client *client, struct raw_http_response *res)
{
    memset(res, 0, sizeof *res);
    char *head_end;
    while (!(head_end = find_head_end(client))) {
        if (fill(client) <= 0) {
            return -1;
        }
    }
    size_t head_len = (size_t)(head_end - client->buf);
    *head_end = '\0';
    if (parse_head(res, client->buf, head_len) != 0) {
        return -1;
    }
    const char *cl = raw_http_header(res, "content-length");
    long body_len = cl ? strtol(cl, NULL, 10) : 0;
    if (body_len < 0) {
        return -1;
    }
    size_t need = head_len + 4 + (size_t)body_len;
    while (client->len < need) {
        if (fill(client) <= 0) {
            return -1;
        }
    }
    res->body = malloc((size_t)body_len + 1);
    if (!res->body) {
        return -1;
    }
    memcpy(res->body, client->buf + head_len + 4, (size_t)body_len);
    res->body[body_len] = '\0';
    res->body_len = (size_t)body_len;
    consume(client, need);
    return 0;
}

void raw_http_response_cleanup(struct raw_http_response *res)
{
    free(res->body);
    res->body = NULL;
}

const char *raw_http_header(const struct raw_http_response *res, const char *name)
{
    for (size_t i = 0; i < res->n_headers; i++) {
        if (strcasecmp(res->names[i], name) == 0) {
            return res->values[i];
        }
    }
    return NULL;
}

static int wait_readable(int fd, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int rc;
    do {
        rc = poll(&pfd, 1, timeout_ms);
    } while (rc < 0 && errno == EINTR);
    return rc;
}

bool raw_http_wait_closed(struct raw_http_client *client, int timeout_ms)
{
    if (client->len > 0 || wait_readable(client->fd, timeout_ms) <= 0) {
        return false;
    }
    char byte;
    ssize_t n = recv(client->fd, &byte, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

bool raw_http_silent_for(struct raw_http_client *client, int ms)
{
    return client->len == 0 && wait_readable(client->fd, ms) == 0;
}

int raw_http_roundtrip(uint16_t port, const char *request, struct raw_http_response *res)
{
    struct raw_http_client client;
    memset(res, 0, sizeof *res);
    if (raw_http_connect(&client, port) != 0) {
        return -1;
    }
    int rc = raw_http_send_str(&client, request);
    if (rc == 0) {
        rc = raw_http_read_response(&client, res);
    }
    raw_http_close(&client);
    return rc;
}

/* ---- loop thread ---- */

static void on_async(uv_async_t *async)
{
    struct raw_http_loop *l = async->data;
    uv_mutex_lock(&l->lock);
    raw_http_loop_fn fn = l->fn;
    void *arg = l->arg;
    l->fn = NULL;
    bool stopping = l->stopping;
    uv_mutex_unlock(&l->lock);
    if (fn) {
        fn(arg);
        uv_sem_post(&l->done);
    }
    if (stopping) {
        uv_close((uv_handle_t *)&l->async, NULL);
    }
}

static void loop_thread(void *arg)
{
    struct raw_http_loop *l = arg;
    uv_run(&l->loop, UV_RUN_DEFAULT);
}

int raw_http_loop_start(struct raw_http_loop *l)
{
    memset(l, 0, sizeof *l);
    if (uv_loop_init(&l->loop) != 0) {
        return -1;
    }
    uv_async_init(&l->loop, &l->async, on_async);
    l->async.data = l;
    uv_sem_init(&l->done, 0);
    uv_mutex_init(&l->lock);
    return uv_thread_create(&l->thread, loop_thread, l) == 0 ? 0 : -1;
}

void raw_http_loop_call(struct raw_http_loop *l, raw_http_loop_fn fn, void *arg)
{
    uv_mutex_lock(&l->lock);
    l->fn = fn;
    l->arg = arg;
    uv_mutex_unlock(&l->lock);
    uv_async_send(&l->async);
    uv_sem_wait(&l->done);
}

int raw_http_loop_stop(struct raw_http_loop *l)
{
    uv_mutex_lock(&l->lock);
    l->stopping = true;
    uv_mutex_unlock(&l->lock);
    uv_async_send(&l->async);
    uv_thread_join(&l->thread);
    uv_sem_destroy(&l->done);
    uv_mutex_destroy(&l->lock);
    return uv_loop_close(&l->loop);
}
