/* SPDX-License-Identifier: MIT
 * HTTP/1.1 request framing, the pure part of the server (bot/http_server.c): http-parser 2.9
 * callbacks, the request head and body buffers, and every limit decided from the bytes alone:
 * 505 (HTTP other than 1.x), 400 (malformed, a blank between a field name and its colon, or
 * a target that is not an origin-form path),
 * 411 (POST/PUT/PATCH without a length), 413 (body over max_body_bytes, from the head), 414
 * (request target over max_header_bytes), 431 (head over max_header_bytes or over
 * BOT_HTTP_PARSE_MAX_HEADERS fields). Routing (404/405) is the caller's, asked through a hook
 * between the version check and the length rules, so that order is kept.
 * No sockets, no loop, no clock, no logging: bytes in, requests or an error status out, so the
 * same code serves the connections and the fuzz target. Feeding is incremental (any chunking)
 * and stops after each complete request, so pipelined requests come out one at a time.
 * Ownership: the parser lives in caller storage (it must not move after init) and owns its
 * buffers (bot_http_parse_cleanup frees them); a request view borrows them. */
#ifndef BOT_HTTP_PARSE_H
#define BOT_HTTP_PARSE_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>

#include "bot/http_server.h"
#include "core/buf.h"

#define BOT_HTTP_PARSE_MAX_HEADERS 100 /* header fields per request, then 431 */

enum bot_http_parse_status {
    BOT_HTTP_PARSE_MORE = 0,    /* every byte consumed, no complete request yet */
    BOT_HTTP_PARSE_REQUEST = 1, /* a request is complete: bot_http_parse_take it */
    BOT_HTTP_PARSE_ERROR = 2,   /* rejected: answer bot_http_parse_error_status and close */
    BOT_HTTP_PARSE_END = 3,     /* no further request can follow (protocol switch): close */
};

/** What the parser asks of its owner. Every hook may be NULL (route NULL: every path is
 * served). ctx is the one given to bot_http_parse_init. */
struct bot_http_parse_hooks {
    /** The first byte of a request arrived (the server starts its request clock). */
    void (*begin)(void *ctx);
    /** The head passed the version and target checks: returns 0 to serve the request, or the
     * status to reject it with (404, 405). path is NUL-terminated, without the query, and
     * stays valid (same address) until the request is released. */
    int (*route)(void *ctx, const char *method, const char *path);
    /** "Expect: 100-continue" on an HTTP/1.1 request with a body that passed every check. */
    void (*expect_continue)(void *ctx);
};

struct bot_http_parse_hdr {
    size_t name; /* offsets into head */
    size_t value;
};

enum bot_http_parse_phase {
    BOT_HTTP_PARSE_IDLE = 0,   /* between requests */
    BOT_HTTP_PARSE_IN_MESSAGE, /* a request has begun */
    BOT_HTTP_PARSE_COMPLETE,   /* a complete request waits to be taken */
};

struct bot_http_parse {
    /* all private; declared here so callers can keep the parser in their own storage */
    http_parser parser;
    const struct bot_http_parse_hooks *hooks; /* borrowed */
    void *ctx;
    size_t max_header;
    size_t max_body;
    enum bot_http_parse_phase phase;
    int error_status;      /* set by a callback that rejects the request */
    enum http_errno error; /* http-parser's code of the failure */
    size_t header_bytes;   /* request line + headers seen, against max_header */
    struct core_buf head;  /* url NUL name NUL value NUL ... */
    bool url_done;
    struct bot_http_parse_hdr hdrs[BOT_HTTP_PARSE_MAX_HEADERS];
    size_t n_hdrs;
    int hdr_last;     /* 0 nothing yet, 1 field, 2 value */
    size_t query_off; /* offset of the query in head, 0 when there is none */
    struct core_buf body;
};

/** Prepares a parser for one connection's requests. Allocates nothing; never fails.
 * max_header_bytes caps the request line plus headers, max_body_bytes the body. hooks (may be
 * NULL) and ctx are borrowed and must outlive the parser. */
void bot_http_parse_init(struct bot_http_parse *p,
                         size_t max_header_bytes,
                         size_t max_body_bytes,
                         const struct bot_http_parse_hooks *hooks,
                         void *ctx);
/** Frees the buffers; safe to call twice. */
void bot_http_parse_cleanup(struct bot_http_parse *p);

/** Parses data[0..len). *used says how many bytes were consumed: all of them for MORE, ERROR
 * and END; up to the end of the request for REQUEST (feed the rest after taking it). After
 * ERROR or END the parser accepts nothing more. Hooks are called from inside this call. */
enum bot_http_parse_status
bot_http_parse_feed(struct bot_http_parse *p, const char *data, size_t len, size_t *used);

/** After REQUEST: fills method, path, query, headers (in scratch, which must hold
 * BOT_HTTP_PARSE_MAX_HEADERS entries), body and body_len of *req; leaves param, route and
 * remote_ip alone. Marks the request as taken (bot_http_parse_busy turns false). Everything
 * is borrowed from p (and scratch) until bot_http_parse_release or the next feed. */
void bot_http_parse_take(struct bot_http_parse *p,
                         struct bot_http_header *scratch,
                         struct bot_http_request *req);
/** The taken request has been answered: shrinks the buffers a large request grew. */
void bot_http_parse_release(struct bot_http_parse *p);
/** Forgets a request the caller rejected (a timeout) so the parser is no longer busy. */
void bot_http_parse_abandon(struct bot_http_parse *p);

/** A request has begun and has not been taken yet. */
bool bot_http_parse_busy(const struct bot_http_parse *p);
/** After ERROR: the status to answer (400, 411, 413, 414, 431, 505, a route's 404/405, or
 * 500 when memory ran out). */
int bot_http_parse_error_status(const struct bot_http_parse *p);
/** After ERROR: http-parser's name of the failure ("HPE_INVALID_METHOD"), for logs. */
const char *bot_http_parse_error_name(const struct bot_http_parse *p);
/** The last request allows another one on the connection (keep-alive, no protocol switch). */
bool bot_http_parse_keep_alive(const struct bot_http_parse *p);
/** The last request was HTTP/1.0 (its answer says "Connection: keep-alive" to keep it). */
bool bot_http_parse_is_http10(const struct bot_http_parse *p);

#endif
