/* SPDX-License-Identifier: MIT
 * The HTTP/1.1 server: accept, per-connection framing (bot/http_parse.h: stops after every
 * request so requests are dispatched one at a time, in order, and decides the limits from the
 * bytes), routing, response writing with backpressure, timers, graceful stop. A connection's memory
 * is released only in the close callback of its last handle. Loop thread only; no personal data in
 * logs. */
#include "bot/http_server.h"

#include <http_parser.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bot/http_parse.h"
#include "core/log.h"

#define LOG_MODULE "http"

#define READ_BUF_BYTES 65536        /* one shared read buffer: reads are consumed at once */
#define HIGH_WATER     (256 * 1024) /* queued response bytes before we stop reading */
#define LINGER_MS      2000         /* reading (and dropping) after our FIN, against RST */
#define REFUSE_MAX     64           /* connections at once being answered 503 */
#define LISTEN_BACKLOG 1024
#define ALLOW_LEN      128 /* "GET, POST, ..." of one path, for a 405 */

enum srv_state {
    SRV_NEW,
    SRV_RUNNING,
    SRV_STOPPING,
    SRV_CLOSED,
};

struct route {
    char method[16];
    char prefix[128]; /* the exact path, or the prefix before the parameter segment */
    bool has_param;
    char name[BOT_METRICS_MAX_VALUE];
    bot_http_handler_fn handler;
    void *ctx; /* borrowed */
};

struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_shutdown_t shutdown;
    struct bot_http_parse rp; /* request framing and limits */
    struct bot_http_server *srv;
    struct conn *prev;
    struct conn *next;
    char remote_ip[64];
    int handles_open;           /* tcp + timer until their close callbacks ran */
    bool closing;               /* uv_close issued */
    bool refused;               /* over max_connections: answered 503 */
    bool close_after;           /* no further requests: close once the writes are out */
    bool lingering;             /* FIN sent, dropping input until EOF or LINGER_MS */
    bool peer_eof;              /* the client closed its side */
    bool read_paused;           /* reading stopped by backpressure, input kept in pending_in */
    bool dispatching;           /* inside conn_dispatch (a handler may stop the server) */
    const struct route *route;  /* chosen from the request head, before the body */
    size_t param_off;           /* offset of the {segment} in the path, for parameter routes */
    char allow[ALLOW_LEN];      /* the path's methods, for a 405 */
    uint64_t req_start_ms;      /* uv_now at the start of the request (or accept) */
    uint64_t req_start_ns;      /* uv_hrtime, for the latency histogram */
    struct core_buf pending_in; /* unparsed input kept while writes are backed up */
    size_t write_bytes;         /* queued and not yet written */
    size_t writes_pending;
    unsigned long n_requests;
};

struct write_req {
    uv_write_t req;
    struct conn *conn;
    char *head; /* owned */
    char *body; /* owned, may be NULL */
    size_t bytes;
};

struct bot_http_server {
    uv_loop_t *loop; /* borrowed */
    uv_tcp_t listener;
    uv_timer_t grace_timer;
    uv_tcp_t reject_tcp; /* accepts and drops a client when a conn cannot be allocated */
    bool reject_busy;
    int handles_open; /* listener, grace timer, reject handle */
    bool handles_made;
    struct sockaddr_storage addr;
    size_t max_body;
    size_t max_header;
    size_t max_conns;
    uint64_t idle_ms;
    uint64_t request_ms;
    uint64_t grace_ms;
    struct bot_metrics *metrics; /* borrowed, may be NULL */
    struct route routes[BOT_HTTP_MAX_ROUTES];
    size_t n_routes;
    struct conn *conns;
    size_t n_conns;  /* in the list, including those closing */
    size_t n_active; /* counted against max_conns */
    size_t n_refusing;
    enum srv_state state;
    bool finishing; /* grace timer close issued */
    bool in_done;
    bool free_when_closed;
    bot_http_stopped_fn done;
    void *done_ctx;
    uint16_t port;
    uint64_t refused_log_ms;     /* rate limit of the overload warnings */
    unsigned long refused_quiet; /* overload events not logged since the last line */
    struct bot_http_header scratch[BOT_HTTP_PARSE_MAX_HEADERS];
    char read_buf[READ_BUF_BYTES];
};

static void conn_close(struct conn *c);
static void conn_fail(struct conn *c, int status);
static void conn_arm_timer(struct conn *c);
static void conn_resume(struct conn *c);
static void server_check_done(struct bot_http_server *srv);

/* ---- responses ---- */

const char *bot_http_header_get(const struct bot_http_request *req, const char *name)
{
    if (!req || !name) {
        return NULL;
    }
    for (size_t i = 0; i < req->n_headers; i++) {
        if (strcasecmp(req->headers[i].name, name) == 0) {
            return req->headers[i].value;
        }
    }
    return NULL;
}

static bool has_ctl(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
            return true;
        }
    }
    return false;
}

static bool valid_token(const char *text)
{
    if (!text[0]) {
        return false;
    }
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", *p)) {
            return false;
        }
    }
    return true;
}

static bool reserved_header(const char *name)
{
    static const char *const names[] = {"content-length", "content-type", "connection",
                                        "transfer-encoding", "date"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(name, names[i]) == 0) {
            return true;
        }
    }
    return false;
}

int bot_http_response_add_header(struct bot_http_response *res, const char *name, const char *value)
{
    if (!res || !name || !value || !valid_token(name) || has_ctl(value) || reserved_header(name)) {
        return CORE_EINVAL;
    }
    if (res->n_extra >= BOT_HTTP_MAX_EXTRA_HEADERS || strlen(name) >= sizeof res->extra[0].name ||
        strlen(value) >= sizeof res->extra[0].value) {
        return CORE_ETOOBIG;
    }
    struct bot_http_extra_header *h = &res->extra[res->n_extra++];
    snprintf(h->name, sizeof h->name, "%s", name);
    snprintf(h->value, sizeof h->value, "%s", value);
    return CORE_OK;
}

int bot_http_response_set(struct bot_http_response *res,
                          int status,
                          const char *content_type,
                          const char *text)
{
    if (!res) {
        return CORE_EINVAL;
    }
    res->status = status;
    if (content_type) {
        snprintf(res->content_type, sizeof res->content_type, "%s", content_type);
    }
    core_buf_reset(&res->body);
    return text ? core_buf_append_str(&res->body, text) : CORE_OK;
}

static void response_init(struct bot_http_response *res)
{
    memset(res, 0, sizeof *res);
    res->status = 200;
    snprintf(res->content_type, sizeof res->content_type, "text/plain; charset=utf-8");
    core_buf_init(&res->body, BOT_HTTP_MAX_BODY_OUT);
}

static const char *reason_phrase(int status)
{
    const char *text = http_status_str((enum http_status)status);
    return (text && text[0] != '<') ? text : "Status";
}

/* ---- writing ---- */

static void write_req_free(struct write_req *w)
{
    free(w->head);
    free(w->body);
    free(w);
}

static void conn_finish(struct conn *c);

static void conn_maybe_finish(struct conn *c)
{
    if (c->close_after && c->writes_pending == 0 && !c->lingering && !c->closing) {
        conn_finish(c);
    }
}

static void on_write(uv_write_t *req, int status)
{
    struct write_req *w = req->data;
    struct conn *c = w->conn;
    c->write_bytes -= w->bytes;
    c->writes_pending--;
    write_req_free(w);
    if (c->closing) {
        return;
    }
    if (status < 0) {
        LOG_DEBUG("write_failed", "err=%s", uv_err_name(status));
        conn_close(c);
        return;
    }
    if (c->close_after) {
        conn_maybe_finish(c);
        return;
    }
    if (c->write_bytes <= HIGH_WATER / 2) {
        conn_resume(c);
    }
    if (!c->closing) {
        conn_arm_timer(c);
    }
}

/* Queues head (+ body) on the connection; takes ownership of both on every path. */
static int conn_write(struct conn *c, char *head, size_t head_len, char *body, size_t body_len)
{
    struct write_req *w = calloc(1, sizeof *w);
    if (!w) {
        free(head);
        free(body);
        return CORE_ENOMEM;
    }
    w->conn = c;
    w->head = head;
    w->body = body;
    w->bytes = head_len + body_len;
    w->req.data = w;
    uv_buf_t bufs[2] = {uv_buf_init(head, (unsigned)head_len),
                        uv_buf_init(body, (unsigned)body_len)};
    int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, bufs, body_len ? 2 : 1, on_write);
    if (rc < 0) {
        LOG_DEBUG("write_failed", "err=%s", uv_err_name(rc));
        write_req_free(w);
        return CORE_ENET;
    }
    c->write_bytes += w->bytes;
    c->writes_pending++;
    return CORE_OK;
}

static int append_head(struct core_buf *head,
                       const struct bot_http_response *res,
                       size_t body_len,
                       bool keep_alive_10,
                       bool closing)
{
    int rc = core_buf_appendf(head, "HTTP/1.1 %d %s\r\n", res->status, reason_phrase(res->status));
    if (rc == CORE_OK && res->status != 204) {
        const char *type = has_ctl(res->content_type) ? "text/plain" : res->content_type;
        rc = core_buf_appendf(head, "Content-Type: %s\r\nContent-Length: %zu\r\n", type, body_len);
    }
    for (size_t i = 0; rc == CORE_OK && i < res->n_extra && i < BOT_HTTP_MAX_EXTRA_HEADERS; i++) {
        const struct bot_http_extra_header *h = &res->extra[i];
        if (h->name[0] && valid_token(h->name) && !has_ctl(h->value) && !reserved_header(h->name)) {
            rc = core_buf_appendf(head, "%s: %s\r\n", h->name, h->value);
        }
    }
    if (rc == CORE_OK && closing) {
        rc = core_buf_append_str(head, "Connection: close\r\n");
    } else if (rc == CORE_OK && keep_alive_10) {
        rc = core_buf_append_str(head, "Connection: keep-alive\r\n");
    }
    return rc == CORE_OK ? core_buf_append_str(head, "\r\n") : rc;
}

/* Serialises and queues res (its body is taken); a HEAD answer keeps the length, drops the
 * bytes. Closes the connection when even that fails. */
static void conn_send(struct conn *c, struct bot_http_response *res, bool head_only)
{
    if (c->closing) {
        return; /* closed under the handler (server close or free): nobody to answer */
    }
    bool http10 = bot_http_parse_is_http10(&c->rp);
    size_t body_len = res->status == 204 ? 0 : res->body.len;
    struct core_buf head;
    core_buf_init(&head, 16 * 1024);
    int rc = append_head(&head, res, body_len, http10 && !c->close_after, c->close_after);
    size_t head_len = head.len;
    char *head_bytes = core_buf_take(&head);
    char *body = (head_only || body_len == 0) ? NULL : core_buf_take(&res->body);
    if (rc == CORE_OK) {
        rc = conn_write(c, head_bytes, head_len, body, body ? body_len : 0);
    } else {
        free(head_bytes);
        free(body);
    }
    if (rc != CORE_OK) {
        LOG_WARN("response_failed", "status=%d err=%s", res->status, core_strerror(rc));
        conn_close(c);
    }
}

static void record(struct conn *c, const char *route, int status)
{
    struct bot_metrics *metrics = c->srv->metrics;
    if (!metrics) {
        return;
    }
    char status_text[8];
    snprintf(status_text, sizeof status_text, "%d", status);
    const char *counter_labels[] = {route, status_text};
    const char *hist_labels[] = {route};
    double seconds = c->req_start_ns ? (double)(uv_hrtime() - c->req_start_ns) / 1e9 : 0.0;
    if (bot_metrics_counter_add(metrics, BOT_METRIC_HTTP_REQUESTS, counter_labels, 1) != 0 ||
        bot_metrics_observe(metrics, BOT_METRIC_HTTP_DURATION, hist_labels, seconds) != 0) {
        LOG_DEBUG("metrics_failed", "route=%s", route);
    }
}

static const char *error_reason(int status)
{
    switch (status) {
    case 400:
        return "malformed request";
    case 404:
        return "not found";
    case 405:
        return "method not allowed";
    case 408:
        return "request not received in time";
    case 411:
        return "length required";
    case 413:
        return "request body too large";
    case 414:
        return "request target too long";
    case 431:
        return "request header fields too large";
    case 503:
        return "server busy, retry later";
    case 505:
        return "http version not supported";
    default:
        return "internal error";
    }
}

/* Answers a server-generated error (and Allow, for 405); the connection closes afterwards. */
static void conn_send_error(struct conn *c, int status, const char *allow)
{
    if (c->closing) {
        return;
    }
    struct bot_http_response res;
    response_init(&res);
    c->close_after = true;
    int rc = bot_http_response_set(&res, status, "application/json", "{\"error\":\"");
    if (rc == CORE_OK) {
        rc = core_buf_appendf(&res.body, "%s\"}\n", error_reason(status));
    }
    if (rc == CORE_OK && allow) {
        rc = bot_http_response_add_header(&res, "Allow", allow);
    }
    if (rc == CORE_OK && status == 503) {
        rc = bot_http_response_add_header(&res, "Retry-After", "1");
    }
    if (rc != CORE_OK) {
        core_buf_cleanup(&res.body);
        conn_close(c);
        return;
    }
    LOG_DEBUG("request_rejected", "status=%d", status);
    conn_send(c, &res, false);
    record(c, BOT_HTTP_ROUTE_UNMATCHED, status);
    core_buf_cleanup(&res.body);
    if (!c->closing) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        conn_maybe_finish(c);
    }
}

/* ---- connection lifecycle ---- */

/* Keeps BOT_METRIC_HTTP_CONNECTIONS equal to the open client connections. */
static void count_connection(struct bot_http_server *srv, double delta)
{
    if (srv->metrics &&
        bot_metrics_gauge_add(srv->metrics, BOT_METRIC_HTTP_CONNECTIONS, NULL, delta) != 0) {
        LOG_DEBUG("metrics_failed", "metric=%s", BOT_METRIC_HTTP_CONNECTIONS);
    }
}

static void conn_unlink(struct conn *c)
{
    struct bot_http_server *srv = c->srv;
    if (c->prev) {
        c->prev->next = c->next;
    } else {
        srv->conns = c->next;
    }
    if (c->next) {
        c->next->prev = c->prev;
    }
    srv->n_conns--;
    count_connection(srv, -1);
    if (c->refused) {
        srv->n_refusing--;
    } else {
        srv->n_active--;
    }
}

static void on_conn_handle_closed(uv_handle_t *handle)
{
    struct conn *c = handle->data;
    if (--c->handles_open > 0) {
        return;
    }
    struct bot_http_server *srv = c->srv;
    conn_unlink(c);
    bot_http_parse_cleanup(&c->rp);
    core_buf_cleanup(&c->pending_in);
    free(c);
    server_check_done(srv);
}

static void conn_close(struct conn *c)
{
    if (c->closing) {
        return;
    }
    c->closing = true;
    uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
}

static void on_conn_timer(uv_timer_t *timer)
{
    struct conn *c = timer->data;
    if (c->closing) {
        return;
    }
    if (bot_http_parse_busy(&c->rp) && c->writes_pending == 0 && !c->lingering && !c->close_after) {
        conn_fail(c, 408);
        return;
    }
    conn_close(c);
}

static void conn_arm_timer(struct conn *c)
{
    if (c->closing || c->lingering) {
        return;
    }
    struct bot_http_server *srv = c->srv;
    uint64_t now = uv_now(srv->loop);
    uint64_t timeout = srv->idle_ms;
    if (bot_http_parse_busy(&c->rp) || (c->n_requests == 0 && c->writes_pending == 0)) {
        uint64_t deadline = c->req_start_ms + srv->request_ms;
        timeout = deadline > now ? deadline - now : 0;
    }
    uv_timer_start(&c->timer, on_conn_timer, timeout, 0);
}

static void on_linger_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    struct conn *c = stream->data;
    if (nread < 0 && !c->closing) {
        conn_close(c);
    }
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct conn *c = handle->data;
    *buf = uv_buf_init(c->srv->read_buf, READ_BUF_BYTES);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct conn *c = req->data;
    if (c->closing) {
        return;
    }
    if (status < 0 || c->peer_eof) {
        conn_close(c);
        return;
    }
    /* Drain what the client still sends, so closing does not reset the connection before it
     * has read our answer. */
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_linger_read) < 0) {
        conn_close(c);
        return;
    }
    uv_timer_start(&c->timer, on_conn_timer, LINGER_MS, 0);
}

/* All answers are out and no more will come: send FIN, then linger. */
static void conn_finish(struct conn *c)
{
    c->lingering = true;
    uv_read_stop((uv_stream_t *)&c->tcp);
    uv_timer_stop(&c->timer);
    c->shutdown.data = c;
    if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
        conn_close(c);
    }
}

static void conn_fail(struct conn *c, int status)
{
    bot_http_parse_abandon(&c->rp);
    conn_send_error(c, status, status == 405 ? c->allow : NULL);
}

/* ---- request framing hooks (bot/http_parse.h) ---- */

/* A request's first byte: its clock starts, the timer runs against request_timeout_ms. */
static void on_request_begin(void *ctx)
{
    struct conn *c = ctx;
    c->req_start_ms = uv_now(c->srv->loop);
    c->req_start_ns = uv_hrtime();
    c->route = NULL;
    conn_arm_timer(c);
}

static void send_continue(void *ctx)
{
    struct conn *c = ctx;
    static const char text[] = "HTTP/1.1 100 Continue\r\n\r\n";
    char *copy = malloc(sizeof text);
    if (!copy) {
        return; /* the client sends the body anyway after its own wait */
    }
    memcpy(copy, text, sizeof text);
    if (conn_write(c, copy, sizeof text - 1, NULL, 0) != CORE_OK) {
        LOG_DEBUG("continue_failed", "conns=%zu", c->srv->n_conns);
    }
}

/* ---- routing and dispatch ---- */

static bool route_matches(const struct route *r, const char *path, const char **param)
{
    if (!r->has_param) {
        return strcmp(path, r->prefix) == 0;
    }
    size_t n = strlen(r->prefix);
    if (strncmp(path, r->prefix, n) != 0 || !path[n] || strchr(path + n, '/')) {
        return false;
    }
    *param = path + n;
    return true;
}

struct route_match {
    const struct route *route; /* NULL: none for this method */
    const char *param;         /* the {segment}, "" for exact routes */
    char allow[ALLOW_LEN];     /* methods of the path when route is NULL, "" when unknown */
};

static bool allow_has(const char *allow, const char *method)
{
    size_t len = strlen(method);
    for (const char *p = allow; (p = strstr(p, method)) != NULL; p += len) {
        bool starts = p == allow || p[-1] == ' ';
        if (starts && (p[len] == ',' || p[len] == '\0')) {
            return true;
        }
    }
    return false;
}

/* Finds the route for (method, path); otherwise collects the path's methods for Allow. */
static void route_find(const struct bot_http_server *srv,
                       const char *method,
                       const char *path,
                       struct route_match *out)
{
    out->route = NULL;
    out->param = "";
    out->allow[0] = '\0';
    for (size_t i = 0; i < srv->n_routes; i++) {
        const struct route *r = &srv->routes[i];
        const char *seg = "";
        if (!route_matches(r, path, &seg)) {
            continue;
        }
        if (strcmp(r->method, method) == 0) {
            out->route = r;
            out->param = seg;
            return;
        }
        if (!allow_has(out->allow, r->method)) {
            size_t used = strlen(out->allow);
            snprintf(out->allow + used, sizeof out->allow - used, "%s%s", used ? ", " : "",
                     r->method);
        }
    }
}

/* The route hook of the framing: 404 or 405 (Allow kept in c->allow) when no route serves
 * (method, path); 0 with c->route set otherwise. */
static int route_request(void *ctx, const char *method, const char *path)
{
    struct conn *c = ctx;
    struct route_match match;
    route_find(c->srv, method, path, &match);
    if (!match.route) {
        memcpy(c->allow, match.allow, sizeof c->allow);
        return match.allow[0] ? 405 : 404;
    }
    c->route = match.route;
    c->param_off = match.route->has_param ? (size_t)(match.param - path) : 0;
    return 0;
}

static const struct bot_http_parse_hooks framing_hooks = {
    .begin = on_request_begin,
    .route = route_request,
    .expect_continue = send_continue,
};

static void run_handler(struct conn *c, const struct route *r, struct bot_http_request *req)
{
    req->route = r->name;
    struct bot_http_response res;
    response_init(&res);
    r->handler(req, &res, r->ctx);
    if (res.status < 200 || res.status > 599) {
        LOG_WARN("handler_bad_status", "route=%s status=%d", r->name, res.status);
        if (bot_http_response_set(&res, 500, "application/json", "{\"error\":\"internal\"}\n")) {
            core_buf_reset(&res.body);
        }
        res.n_extra = 0;
    }
    int status = res.status;
    conn_send(c, &res, strcmp(req->method, "HEAD") == 0);
    core_buf_cleanup(&res.body);
    record(c, r->name, status);
    LOG_DEBUG("request", "route=%s status=%d", r->name, status);
}

static void conn_dispatch(struct conn *c)
{
    struct bot_http_request req = {.remote_ip = c->remote_ip};
    bot_http_parse_take(&c->rp, c->srv->scratch, &req);
    c->n_requests++;
    if (!bot_http_parse_keep_alive(&c->rp) || c->srv->state != SRV_RUNNING) {
        c->close_after = true;
    }
    const struct route *r = c->route;
    if (!r) {
        conn_send_error(c, 500, NULL); /* cannot happen: the head was routed or rejected */
        return;
    }
    req.param = r->has_param ? req.path + c->param_off : "";
    c->dispatching = true;
    run_handler(c, r, &req);
    c->dispatching = false;
    bot_http_parse_release(&c->rp);
    if (!c->closing) {
        conn_arm_timer(c);
        conn_maybe_finish(c);
    }
}

static bool conn_blocked(const struct conn *c)
{
    return c->closing || c->close_after || c->lingering || c->write_bytes > HIGH_WATER;
}

/* Parses and dispatches; returns how many bytes were consumed (the rest waits while the
 * connection is blocked by backpressure, or is dropped when it is closing). */
static size_t conn_feed(struct conn *c, const char *data, size_t len)
{
    size_t used = 0;
    while (used < len && !conn_blocked(c)) {
        size_t n = 0;
        enum bot_http_parse_status st = bot_http_parse_feed(&c->rp, data + used, len - used, &n);
        used += n;
        if (st == BOT_HTTP_PARSE_REQUEST) {
            conn_dispatch(c);
            continue;
        }
        if (st == BOT_HTTP_PARSE_ERROR) {
            LOG_DEBUG("parse_failed", "err=%s", bot_http_parse_error_name(&c->rp));
            conn_fail(c, bot_http_parse_error_status(&c->rp));
            return len;
        }
        if (st == BOT_HTTP_PARSE_END) {
            c->close_after = true; /* no protocol switch here */
            conn_maybe_finish(c);
            return len;
        }
    }
    return used;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

static void conn_on_eof(struct conn *c)
{
    c->peer_eof = true;
    uv_read_stop((uv_stream_t *)&c->tcp);
    if (bot_http_parse_busy(&c->rp) || (c->writes_pending == 0 && c->pending_in.len == 0)) {
        conn_close(c); /* a half request or nothing to answer */
        return;
    }
    if (c->pending_in.len == 0) {
        c->close_after = true; /* answer what was asked, then close */
    }
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = stream->data;
    if (c->closing || nread == 0) {
        return;
    }
    if (nread < 0) {
        if (nread != UV_EOF) {
            LOG_DEBUG("read_failed", "err=%s", uv_err_name((int)nread));
            conn_close(c);
            return;
        }
        conn_on_eof(c);
        return;
    }
    size_t len = (size_t)nread;
    size_t used = conn_feed(c, buf->base, len);
    if (used >= len || c->closing || c->close_after || c->lingering) {
        return;
    }
    /* Backpressure: keep the rest, stop reading until the writes drain. */
    if (core_buf_append(&c->pending_in, buf->base + used, len - used) != CORE_OK) {
        conn_close(c);
        return;
    }
    c->read_paused = true;
    uv_read_stop(stream);
}

static void conn_resume(struct conn *c)
{
    if (!c->read_paused || conn_blocked(c)) {
        return;
    }
    if (c->pending_in.len > 0) {
        size_t used = conn_feed(c, c->pending_in.data, c->pending_in.len);
        if (c->closing) {
            return;
        }
        size_t left = used < c->pending_in.len ? c->pending_in.len - used : 0;
        memmove(c->pending_in.data, c->pending_in.data + used, left);
        c->pending_in.len = left;
        if (left > 0 || conn_blocked(c)) {
            return;
        }
    }
    c->read_paused = false;
    if (c->peer_eof) {
        c->close_after = true;
        conn_maybe_finish(c);
        return;
    }
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0) {
        conn_close(c);
    }
}

/* ---- accepting ---- */

static void on_reject_closed(uv_handle_t *handle)
{
    struct bot_http_server *srv = handle->data;
    srv->reject_busy = false;
    srv->handles_open--;
    server_check_done(srv);
}

/* No memory for a connection: accept and drop it so the listener keeps working. */
static void reject_without_memory(struct bot_http_server *srv)
{
    LOG_ERROR("accept_no_memory", "conns=%zu", srv->n_conns);
    if (srv->reject_busy || uv_tcp_init(srv->loop, &srv->reject_tcp) < 0) {
        return;
    }
    srv->reject_busy = true;
    srv->handles_open++;
    srv->reject_tcp.data = srv;
    (void)uv_accept((uv_stream_t *)&srv->listener, (uv_stream_t *)&srv->reject_tcp);
    uv_close((uv_handle_t *)&srv->reject_tcp, on_reject_closed);
}

static void conn_peer_name(struct conn *c)
{
    struct sockaddr_storage peer;
    int len = (int)sizeof peer;
    c->remote_ip[0] = '\0';
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&peer, &len) == 0) {
        (void)uv_ip_name((struct sockaddr *)&peer, c->remote_ip, sizeof c->remote_ip);
    }
}

/* A new connection in the list; `refused` ones are counted apart from max_connections. */
static struct conn *conn_new(struct bot_http_server *srv, bool refused)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c) {
        return NULL;
    }
    c->srv = srv;
    uv_tcp_init(srv->loop, &c->tcp);
    uv_timer_init(srv->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->handles_open = 2;
    bot_http_parse_init(&c->rp, srv->max_header, srv->max_body, &framing_hooks, c);
    core_buf_init(&c->pending_in, READ_BUF_BYTES);
    c->req_start_ms = uv_now(srv->loop);
    c->next = srv->conns;
    if (srv->conns) {
        srv->conns->prev = c;
    }
    srv->conns = c;
    srv->n_conns++;
    c->refused = refused;
    if (refused) {
        srv->n_refusing++;
    } else {
        srv->n_active++;
    }
    count_connection(srv, 1);
    return c;
}

/* At most one overload line per second; the rest are counted in the next line. */
static bool log_allowed(struct bot_http_server *srv)
{
    uint64_t now = uv_now(srv->loop);
    if (srv->refused_log_ms && now - srv->refused_log_ms < 1000) {
        srv->refused_quiet++;
        return false;
    }
    srv->refused_log_ms = now;
    return true;
}

/* Over max_connections: a short 503 (Retry-After), unless too many are being refused already,
 * then the connection is just closed. */
static void conn_refuse(struct conn *c)
{
    struct bot_http_server *srv = c->srv;
    if (srv->n_refusing > REFUSE_MAX) {
        conn_close(c);
        return;
    }
    if (log_allowed(srv)) {
        LOG_WARN("connection_refused", "active=%zu max=%zu suppressed=%lu", srv->n_active,
                 srv->max_conns, srv->refused_quiet);
        srv->refused_quiet = 0;
    }
    conn_send_error(c, 503, NULL);
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct bot_http_server *srv = listener->data;
    if (status < 0) {
        if (log_allowed(srv)) {
            LOG_WARN("accept_failed", "err=%s suppressed=%lu", uv_err_name(status),
                     srv->refused_quiet);
            srv->refused_quiet = 0;
        }
        return;
    }
    struct conn *c = conn_new(srv, srv->n_active >= srv->max_conns);
    if (!c) {
        reject_without_memory(srv);
        return;
    }
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) < 0) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    conn_peer_name(c);
    if (c->refused) {
        conn_refuse(c);
        return;
    }
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0) {
        conn_close(c);
        return;
    }
    conn_arm_timer(c);
}

/* ---- server lifecycle ---- */

static int parse_port(const char *text, uint16_t *port)
{
    char *end = NULL;
    long value = strtol(text, &end, 10);
    if (!text[0] || *end || value < 0 || value > 65535) {
        return CORE_ECONFIG;
    }
    *port = (uint16_t)value;
    return CORE_OK;
}

/* "host:port", "[v6]:port", ":port" (all IPv4 interfaces), "localhost:port". */
static int parse_listen(const char *listen, struct sockaddr_storage *addr)
{
    char host[BOT_CFG_STR];
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof host) {
        return CORE_ECONFIG;
    }
    uint16_t port = 0;
    if (parse_port(colon + 1, &port) != CORE_OK) {
        return CORE_ECONFIG;
    }
    size_t host_len = (size_t)(colon - listen);
    memcpy(host, listen, host_len);
    host[host_len] = '\0';
    if (host_len >= 2 && host[0] == '[' && host[host_len - 1] == ']') {
        host[host_len - 1] = '\0';
        return uv_ip6_addr(host + 1, port, (struct sockaddr_in6 *)addr) == 0 ? CORE_OK
                                                                             : CORE_ECONFIG;
    }
    const char *v4 = host_len == 0                    ? "0.0.0.0"
                     : strcmp(host, "localhost") == 0 ? "127.0.0.1"
                                                      : host;
    return uv_ip4_addr(v4, port, (struct sockaddr_in *)addr) == 0 ? CORE_OK : CORE_ECONFIG;
}

int bot_http_server_new(uv_loop_t *loop,
                        const struct bot_config *cfg,
                        struct bot_metrics *metrics,
                        struct bot_http_server **out)
{
    if (!loop || !cfg || !out) {
        return CORE_EINVAL;
    }
    if (cfg->server.max_connections <= 0 || cfg->server.idle_timeout_ms <= 0 ||
        cfg->server.request_timeout_ms <= 0 || cfg->server.shutdown_grace_ms < 0 ||
        cfg->server.max_header_bytes < 256 || cfg->server.max_body_bytes == 0) {
        return CORE_ECONFIG;
    }
    struct bot_http_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        return CORE_ENOMEM;
    }
    int rc = parse_listen(cfg->server.listen, &srv->addr);
    if (rc == CORE_OK && metrics) {
        static const char *const counter_labels[] = {"route", "status"};
        static const char *const hist_labels[] = {"route"};
        rc = bot_metrics_register_counter(metrics, BOT_METRIC_HTTP_REQUESTS,
                                          "HTTP responses by route and status", counter_labels, 2);
        if (rc == CORE_OK) {
            const struct bot_metrics_histogram_spec spec = {
                .name = BOT_METRIC_HTTP_DURATION,
                .help = "HTTP request latency from first byte to response",
                .label_names = hist_labels,
                .n_labels = 1,
            };
            rc = bot_metrics_register_histogram(metrics, &spec);
        }
        if (rc == CORE_OK) {
            rc = bot_metrics_register_gauge(metrics, BOT_METRIC_HTTP_CONNECTIONS,
                                            "Open HTTP client connections", NULL, 0);
        }
    }
    if (rc != CORE_OK) {
        free(srv);
        return rc;
    }
    srv->loop = loop;
    srv->metrics = metrics;
    srv->max_body = cfg->server.max_body_bytes;
    srv->max_header = cfg->server.max_header_bytes;
    srv->max_conns = (size_t)cfg->server.max_connections;
    srv->idle_ms = (uint64_t)cfg->server.idle_timeout_ms;
    srv->request_ms = (uint64_t)cfg->server.request_timeout_ms;
    srv->grace_ms = (uint64_t)cfg->server.shutdown_grace_ms;
    *out = srv;
    return CORE_OK;
}

static int parse_pattern(struct route *r, const char *pattern)
{
    size_t len = strlen(pattern);
    const char *brace = strchr(pattern, '{');
    if (pattern[0] != '/' || len >= sizeof r->prefix || strchr(pattern, '?')) {
        return CORE_EINVAL;
    }
    if (!brace) {
        if (strchr(pattern, '}')) {
            return CORE_EINVAL;
        }
        memcpy(r->prefix, pattern, len + 1);
        return CORE_OK;
    }
    /* "{name}" must be the whole last segment. */
    if (brace[-1] != '/' || pattern[len - 1] != '}' || brace + 2 >= pattern + len ||
        strchr(brace + 1, '{') || strchr(brace, '}') != pattern + len - 1 || strchr(brace, '/')) {
        return CORE_EINVAL;
    }
    size_t n = (size_t)(brace - pattern);
    memcpy(r->prefix, pattern, n);
    r->prefix[n] = '\0';
    r->has_param = true;
    return CORE_OK;
}

int bot_http_server_route(struct bot_http_server *server,
                          const char *method,
                          const char *pattern,
                          const char *name,
                          bot_http_handler_fn handler,
                          void *handler_ctx)
{
    if (!server || !method || !pattern || !name || !handler || !valid_token(method) ||
        strlen(method) >= sizeof server->routes[0].method || !valid_token(name) ||
        strlen(name) >= sizeof server->routes[0].name) {
        return CORE_EINVAL;
    }
    if (server->state != SRV_NEW) {
        return CORE_ESTATE;
    }
    if (server->n_routes >= BOT_HTTP_MAX_ROUTES) {
        return CORE_ETOOBIG;
    }
    struct route r = {.handler = handler, .ctx = handler_ctx};
    if (parse_pattern(&r, pattern) != CORE_OK) {
        return CORE_EINVAL;
    }
    snprintf(r.method, sizeof r.method, "%s", method);
    snprintf(r.name, sizeof r.name, "%s", name);
    for (size_t i = 0; i < server->n_routes; i++) {
        const struct route *o = &server->routes[i];
        if (strcmp(o->method, r.method) == 0 && strcmp(o->prefix, r.prefix) == 0 &&
            o->has_param == r.has_param) {
            return CORE_EEXIST;
        }
    }
    server->routes[server->n_routes++] = r;
    return CORE_OK;
}

static void on_server_handle_closed(uv_handle_t *handle)
{
    struct bot_http_server *srv = handle->data;
    srv->handles_open--;
    server_check_done(srv);
}

static void server_release(struct bot_http_server *srv)
{
    free(srv);
}

static void on_grace_timer_closed(uv_handle_t *handle)
{
    struct bot_http_server *srv = handle->data;
    srv->handles_open--;
    srv->state = SRV_CLOSED;
    LOG_INFO("stopped", "port=%u", (unsigned)srv->port);
    bot_http_stopped_fn done = srv->done;
    srv->done = NULL;
    if (done) {
        srv->in_done = true;
        done(srv, srv->done_ctx);
        srv->in_done = false;
    }
    if (srv->free_when_closed) {
        server_release(srv);
    }
}

/* Once the listener and every connection are closed, closes the grace timer: its close
 * callback is the end of the server. */
static void server_check_done(struct bot_http_server *srv)
{
    if (srv->state != SRV_STOPPING || srv->finishing || srv->n_conns > 0 || srv->handles_open > 1) {
        return;
    }
    srv->finishing = true;
    uv_close((uv_handle_t *)&srv->grace_timer, on_grace_timer_closed);
}

static int start_listening(struct bot_http_server *srv)
{
    int rc = uv_tcp_bind(&srv->listener, (const struct sockaddr *)&srv->addr, 0);
    if (rc == 0) {
        rc = uv_listen((uv_stream_t *)&srv->listener, LISTEN_BACKLOG, on_connection);
    }
    if (rc < 0) {
        return rc;
    }
    struct sockaddr_storage bound;
    int len = (int)sizeof bound;
    rc = uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&bound, &len);
    if (rc == 0) {
        srv->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                      : ((struct sockaddr_in *)&bound)->sin_port);
    }
    return rc;
}

int bot_http_server_start(struct bot_http_server *server)
{
    if (!server) {
        return CORE_EINVAL;
    }
    if (server->state != SRV_NEW) {
        return CORE_ESTATE;
    }
    uv_tcp_init(server->loop, &server->listener);
    uv_timer_init(server->loop, &server->grace_timer);
    server->listener.data = server;
    server->grace_timer.data = server;
    server->handles_open = 2;
    server->handles_made = true;
    server->state = SRV_RUNNING;
    int rc = start_listening(server);
    if (rc < 0) {
        LOG_ERROR("listen_failed", "err=%s", uv_strerror(rc));
        server->state = SRV_STOPPING;
        uv_close((uv_handle_t *)&server->listener, on_server_handle_closed);
        return CORE_ENET;
    }
    LOG_INFO("listening", "port=%u max_connections=%zu", (unsigned)server->port, server->max_conns);
    return CORE_OK;
}

uint16_t bot_http_server_port(const struct bot_http_server *server)
{
    return server ? server->port : 0;
}

size_t bot_http_server_connections(const struct bot_http_server *server)
{
    return server ? server->n_conns : 0;
}

static bool conn_is_idle(const struct conn *c)
{
    return !bot_http_parse_busy(&c->rp) && !c->dispatching && c->writes_pending == 0 &&
           c->pending_in.len == 0;
}

static void close_all(struct bot_http_server *srv, bool only_idle)
{
    struct conn *c = srv->conns;
    while (c) {
        struct conn *next = c->next;
        if (!only_idle || conn_is_idle(c)) {
            conn_close(c);
        } else if (!bot_http_parse_busy(&c->rp) && c->pending_in.len == 0) {
            c->close_after = true; /* answering: close once the answer is out */
        }
        c = next;
    }
}

static void on_grace_timeout(uv_timer_t *timer)
{
    struct bot_http_server *srv = timer->data;
    LOG_WARN("stop_grace_expired", "conns=%zu", srv->n_conns);
    close_all(srv, false);
}

/* Common start of stop/close: the listener goes first. */
static void begin_stop(struct bot_http_server *srv, bot_http_stopped_fn done, void *ctx)
{
    srv->state = SRV_STOPPING;
    srv->done = done;
    srv->done_ctx = ctx;
    uv_close((uv_handle_t *)&srv->listener, on_server_handle_closed);
}

int bot_http_server_stop(struct bot_http_server *server, bot_http_stopped_fn done, void *ctx)
{
    if (!server || server->state != SRV_RUNNING) {
        return CORE_ESTATE;
    }
    LOG_INFO("stopping", "conns=%zu grace_ms=%llu", server->n_conns,
             (unsigned long long)server->grace_ms);
    begin_stop(server, done, ctx);
    close_all(server, true);
    uv_timer_start(&server->grace_timer, on_grace_timeout, server->grace_ms, 0);
    server_check_done(server);
    return CORE_OK;
}

void bot_http_server_close(struct bot_http_server *server, bot_http_stopped_fn done, void *ctx)
{
    if (!server) {
        return;
    }
    if (server->state == SRV_NEW || server->state == SRV_CLOSED) {
        server->state = SRV_CLOSED;
        if (done) {
            done(server, ctx);
        }
        return;
    }
    if (server->state == SRV_RUNNING) {
        begin_stop(server, done, ctx);
    } else if (!server->done) {
        server->done = done;
        server->done_ctx = ctx;
    }
    uv_timer_stop(&server->grace_timer);
    close_all(server, false);
    server_check_done(server);
}

void bot_http_server_free(struct bot_http_server *server)
{
    if (!server) {
        return;
    }
    if (server->in_done || (server->state != SRV_NEW && server->state != SRV_CLOSED)) {
        server->free_when_closed = true;
        if (!server->in_done) {
            server->done = NULL; /* the owner is gone: nobody to tell */
            bot_http_server_close(server, NULL, NULL);
        }
        return;
    }
    server_release(server);
}
