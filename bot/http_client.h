/* SPDX-License-Identifier: MIT
 * The asynchronous outbound HTTP client: libcurl's multi interface driven by the service's one
 * libuv loop (one uv_poll per socket curl asks about, one uv_timer for curl's timeout). Nothing
 * here blocks the loop. Requests are submitted with a completion callback; each in-flight
 * request owns its easy handle, header list and capped response buffer, all freed right after
 * its callback returns. Connections are kept in the multi's cache and reused.
 * URLs may carry secrets (Telegram puts the bot token in the path): logs name the host and the
 * caller's label only. Thread: every function is called on the loop thread. */
#ifndef BOT_HTTP_CLIENT_H
#define BOT_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/err.h"

#define BOT_HTTP_MAX_HEADERS 16
#define BOT_HTTP_LABEL_MAX   48

/** One request, as a sender renders it. Every pointer member is owned by the struct (malloc'd);
 * fill it with the helpers below and release it with bot_http_call_cleanup. */
struct bot_http_call {
    char method[8];                      /* "GET", "POST", "PUT", "DELETE" */
    char *url;                           /* owned; may hold a secret: never logged */
    char *headers[BOT_HTTP_MAX_HEADERS]; /* owned "Name: value" lines */
    size_t n_headers;
    unsigned char *body; /* owned, may be NULL */
    size_t body_len;
    char label[BOT_HTTP_LABEL_MAX]; /* for logs and metrics: "telegram.sendMessage" */
    int timeout_ms;                 /* whole transfer; 0: the client's default */
    size_t max_response_bytes;      /* response body cap; 0: the client's default */
};

/** Empties a call (no allocation). */
void bot_http_call_init(struct bot_http_call *call);
/** Frees every owned member and re-initialises; safe to call twice. */
void bot_http_call_cleanup(struct bot_http_call *call);
/** Copies url. CORE_EINVAL for an empty url, CORE_ENOMEM. */
CORE_NODISCARD int bot_http_call_set_url(struct bot_http_call *call, const char *url);
/** Copies "name: value". CORE_ETOOBIG past BOT_HTTP_MAX_HEADERS; CORE_EINVAL when either part
 * holds CR or LF (header injection). */
CORE_NODISCARD int
bot_http_call_add_header(struct bot_http_call *call, const char *name, const char *value);
/** Copies len bytes of body (replacing any previous one). */
CORE_NODISCARD int bot_http_call_set_body(struct bot_http_call *call, const void *body, size_t len);

/** What arrived. Every pointer is borrowed until the completion callback returns. */
struct bot_http_response {
    /* CORE_OK: an HTTP response arrived (any status). CORE_ETIMEOUT: the transfer took longer
     * than its timeout. CORE_ENET: DNS, connect, TLS or protocol failure (see error).
     * CORE_ETOOBIG: the body passed the cap; status and the first cap bytes are kept.
     * CORE_ESTATE: cancelled (cancel-all or close). CORE_ENOMEM. */
    int err;
    long status;       /* HTTP status, 0 when no response line arrived */
    const char *error; /* curl's error text when err != CORE_OK, else "" */
    const char *body;  /* NUL-terminated (the NUL is not counted) */
    size_t body_len;
    const char *label; /* the call's label */
    void *internal_;   /* for bot_http_response_header only */
};

/** Value of the response header called name (case-insensitive; the last one when repeated), or
 * NULL. Borrowed until the next lookup on this response or the end of the callback. */
const char *bot_http_response_header(const struct bot_http_response *resp, const char *name);

/** Completion: called exactly once per accepted request, on the loop thread. It may submit new
 * requests, cancel all or close the client (the close then happens once it returns). */
typedef void (*bot_http_done_fn)(void *ctx, const struct bot_http_response *resp);

struct bot_http_options {
    long max_host_connections;   /* parallel connections per host; 8 */
    long max_cached_connections; /* idle connections kept for reuse; 32 */
    int default_timeout_ms;      /* 15000 */
    int connect_timeout_ms;      /* 5000 */
    size_t default_max_response; /* 1 MiB */
};

struct bot_http_client;

/** Fills the defaults listed above. */
void bot_http_options_defaults(struct bot_http_options *opt);

/** Creates a client on loop (opt NULL: defaults). *out is owned by the caller and released with
 * bot_http_client_close. */
CORE_NODISCARD int bot_http_client_open(uv_loop_t *loop,
                                        const struct bot_http_options *opt,
                                        struct bot_http_client **out);

/** Starts a request. call is borrowed (everything is copied). On CORE_OK done will be called
 * exactly once, never from inside this function. On failure done is never called. */
CORE_NODISCARD int bot_http_submit(struct bot_http_client *client,
                                   const struct bot_http_call *call,
                                   bot_http_done_fn done,
                                   void *ctx);

/** Number of requests submitted and not yet completed. */
size_t bot_http_client_in_flight(const struct bot_http_client *client);
/** Number of TCP connections curl has opened so far (for tests and metrics). */
uint64_t bot_http_client_connects(const struct bot_http_client *client);

/** Completes every in-flight request with CORE_ESTATE (each callback runs before this returns). */
void bot_http_client_cancel_all(struct bot_http_client *client);

/** Cancels everything, drops the connection cache and closes the uv handles. The memory is
 * released from the last close callback: keep running the loop afterwards (uv_run) and the
 * loop ends up with no handle of this client. NULL is fine. */
void bot_http_client_close(struct bot_http_client *client);

#endif
