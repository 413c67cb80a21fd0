/* SPDX-License-Identifier: MIT
 * The HTTP/1.1 server of the service, on a caller's libuv loop with http-parser 2.9. It owns
 * connections, request framing and limits (bot_config.server), a small router and the
 * per-request metrics; it knows nothing of webhooks or SQL. Handlers are synchronous: they
 * run on the loop thread, fill a response and return. Everything here is loop-thread only.
 *
 * Behaviour: keep-alive (HTTP/1.1 default, HTTP/1.0 with "Connection: keep-alive"),
 * pipelined requests answered in order, Content-Length and chunked bodies, Expect:
 * 100-continue. Errors answered with a short JSON reason and then the connection is closed:
 * 400 malformed, 404 unknown path, 405 + Allow, 408 request not fully received within
 * request_timeout_ms, 411 POST/PUT/PATCH without a length, 413 body over max_body_bytes
 * (answered from the headers, the body is not read), 414/431 request line/headers over
 * max_header_bytes, 503 + Retry-After over max_connections, 505 for HTTP other than 1.x.
 * Version, route (404/405), length (411) and size (413) are all decided from the request head,
 * in that order, before any body byte is read.
 * An idle keep-alive connection (or a new one that sends nothing within request_timeout_ms)
 * is closed silently; a client that stops reading is dropped after idle_timeout_ms without
 * write progress, and the server stops reading its requests meanwhile (backpressure).
 * Every response carries Content-Length (except 204, which must not); "Connection: close"
 * when the server closes. A HEAD route's answer keeps the length and drops the body bytes.
 * Handler answers (any status) keep the connection alive; server-generated errors close it.
 * Each response is counted in BOT_METRIC_HTTP_REQUESTS{route,status} and observed in
 * BOT_METRIC_HTTP_DURATION{route}; route is the route's name or "unmatched", never the path.
 * BOT_METRIC_HTTP_CONNECTIONS follows the open client connections.
 * Nothing personal is logged: only route names, statuses and sizes. */
#ifndef BOT_HTTP_SERVER_H
#define BOT_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "bot/config.h"
#include "bot/metrics.h"
#include "core/buf.h"
#include "core/err.h"

#define BOT_HTTP_MAX_ROUTES        32
#define BOT_HTTP_MAX_EXTRA_HEADERS 6
#define BOT_HTTP_MAX_BODY_OUT      (16u * 1024u * 1024u) /* cap of a response body */
#define BOT_HTTP_ROUTE_UNMATCHED   "unmatched"

struct bot_http_header {
    const char *name;  /* as received; compare case-insensitively */
    const char *value; /* leading and trailing blanks removed */
};

/** A complete request. Every pointer is borrowed for the duration of the handler call only;
 * copy what must outlive it. All strings are NUL-terminated. */
struct bot_http_request {
    const char *method;    /* "GET", "POST", ... */
    const char *path;      /* raw path (not percent-decoded), without the query */
    const char *query;     /* raw query after '?', "" when none */
    const char *param;     /* the {segment} of a parameter route, "" for exact routes */
    const char *route;     /* the matched route's name (the metrics label) */
    const char *remote_ip; /* peer address, "" when unknown */
    const struct bot_http_header *headers;
    size_t n_headers;
    const char *body; /* NUL-terminated copy ("" when none); may contain NUL bytes */
    size_t body_len;
};

struct bot_http_extra_header {
    char name[48];
    char value[208];
};

/** What a handler fills. The server initialises it to 200, "text/plain; charset=utf-8" and an
 * empty body (capped at BOT_HTTP_MAX_BODY_OUT) before the call and owns it afterwards.
 * A status outside 200..599 becomes 500. */
struct bot_http_response {
    int status;
    char content_type[64];
    struct core_buf body;
    struct bot_http_extra_header extra[BOT_HTTP_MAX_EXTRA_HEADERS];
    size_t n_extra;
};

/** A route handler: runs on the loop thread, must not block, must not keep req pointers. */
typedef void (*bot_http_handler_fn)(const struct bot_http_request *req,
                                    struct bot_http_response *res,
                                    void *ctx);

struct bot_http_server;

/** Called once when a stop or close has finished: the listener and every connection handle
 * of the server are closed. The callback may call bot_http_server_free. */
typedef void (*bot_http_stopped_fn)(struct bot_http_server *server, void *ctx);

/** Case-insensitive header lookup: the first header named `name`, or NULL. Borrowed from req. */
const char *bot_http_header_get(const struct bot_http_request *req, const char *name);

/** Adds a response header such as Allow, Retry-After or WWW-Authenticate (copied). Returns
 * CORE_EINVAL for a name or value with control characters, for a name the server writes itself
 * (Content-Length, Content-Type, Connection, Transfer-Encoding, Date) and CORE_ETOOBIG when a
 * field is too long or the BOT_HTTP_MAX_EXTRA_HEADERS slots are used up. */
CORE_NODISCARD int
bot_http_response_add_header(struct bot_http_response *res, const char *name, const char *value);

/** Convenience: sets status, content type and replaces the body with `text`. Returns the
 * core_buf error when the body cannot be stored (the status and type are set anyway). */
CORE_NODISCARD int bot_http_response_set(struct bot_http_response *res,
                                         int status,
                                         const char *content_type,
                                         const char *text);

/** Creates a server on `loop` with the limits of cfg->server (copied; listen is "host:port",
 * host an IPv4 or IPv6 literal, "[::1]:8080" accepted, port 0 = ephemeral). `metrics` may be
 * NULL (nothing recorded); otherwise it is borrowed and must outlive the server, and the
 * three HTTP metrics are registered in it. Nothing listens until bot_http_server_start.
 * *out is owned by the caller: release with bot_http_server_free.
 * Returns CORE_ECONFIG for an unusable listen address or limit, CORE_ENOMEM. */
CORE_NODISCARD int bot_http_server_new(uv_loop_t *loop,
                                       const struct bot_config *cfg,
                                       struct bot_metrics *metrics,
                                       struct bot_http_server **out);

/** Registers a route before start. `method` is an upper-case method ("GET"); `pattern` is an
 * exact path ("/healthz") or a prefix ending in one parameter segment ("/webhook/{channel}":
 * matches "/webhook/<one non-empty segment without '/'>", the segment is req->param). `name`
 * is the metrics label (copied, bounded: use a fixed word such as "webhook"). handler_ctx is
 * borrowed. An unknown path answers 404; a known path with another method answers 405 with
 * Allow listing the registered methods. Returns CORE_EINVAL (bad pattern, method or name),
 * CORE_ETOOBIG (more than BOT_HTTP_MAX_ROUTES), CORE_EEXIST (same method and pattern twice),
 * CORE_ESTATE (server already started). */
CORE_NODISCARD int bot_http_server_route(struct bot_http_server *server,
                                         const char *method,
                                         const char *pattern,
                                         const char *name,
                                         bot_http_handler_fn handler,
                                         void *handler_ctx);

/** Binds and listens. Returns CORE_ENET when the address cannot be bound (logged with the uv
 * error), CORE_ESTATE when already started or stopped. */
CORE_NODISCARD int bot_http_server_start(struct bot_http_server *server);

/** The bound TCP port (the real one when configured with port 0); 0 before start. */
uint16_t bot_http_server_port(const struct bot_http_server *server);

/** Number of open client connections (including ones being refused with 503). */
size_t bot_http_server_connections(const struct bot_http_server *server);

/** Graceful stop: closes the listener at once, closes idle connections at once, lets each busy
 * connection finish the request it is receiving or answering (the response then carries
 * "Connection: close"), and closes whatever remains after shutdown_grace_ms. Calls done(server,
 * ctx) once everything is closed (done may be NULL). Returns CORE_ESTATE when a stop or close is
 * already under way (the first callback stays in force). */
CORE_NODISCARD int
bot_http_server_stop(struct bot_http_server *server, bot_http_stopped_fn done, void *ctx);

/** Immediate close for teardown: listener and every connection closed now, in-flight requests
 * dropped. done as for stop; if a stop is under way it is hurried and its callback kept. */
void bot_http_server_close(struct bot_http_server *server, bot_http_stopped_fn done, void *ctx);

/** Frees the server; NULL is fine. When handles are still open it closes them (as
 * bot_http_server_close), cancels a pending stopped callback, and the memory is released from
 * the last close callback: the caller must still run the loop before uv_loop_close. May be
 * called from the stopped callback. */
void bot_http_server_free(struct bot_http_server *server);

#endif
