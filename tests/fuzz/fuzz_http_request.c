/* SPDX-License-Identifier: MIT
 * Fuzz target for the server's HTTP/1.1 request framing (bot/http_parse.h, the code every
 * connection runs). The first two bytes pick the limits (max_header_bytes 256..4096,
 * max_body_bytes 1..8161), the third a chunking seed; the rest is what a client sends on one
 * connection. It is parsed as the server does (requests one at a time, stop after a request
 * that does not keep the connection, after an error or a protocol switch), whole, one byte
 * at a time and in pseudo-random chunks, and all three must give the same requests and the
 * same outcome (one exception, found by this target and accepted: a head that is both over
 * max_header_bytes and malformed further on may be answered 400 or 414/431 depending on where
 * a read ends, because http-parser reports a span only at its end; either way it is refused
 * and nothing of it is stored past the cap). Each request must be well-formed as handlers rely on:
 * a known method, an origin-form path without its query, trimmed headers, head and body within the
 * limits, a NUL after the body; an error is one of the documented statuses; a route hook only ever
 * sees a path that starts with '/' and no request passes a route that rejected it. */
#include "bot/http_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct trace {
    struct core_buf log;
    size_t max_header;
    size_t max_body;
    int begins;
    int continues;
    int last_route; /* what the route hook answered for the request being parsed */
    int outcome;    /* 0 more input wanted, 1 closed after a request, 2 protocol switch, else
                       the HTTP status of the error */
};

static void on_begin(void *ctx)
{
    struct trace *t = ctx;
    t->begins++;
    t->last_route = -1;
}

/* A toy router: "/missing..." is 404, "/get-only" serves GET only (405), the rest is served. */
static int on_route(void *ctx, const char *method, const char *path)
{
    struct trace *t = ctx;
    CHECK(method != NULL && method[0] != '\0' && strcmp(method, "<unknown>") != 0);
    CHECK(path != NULL && path[0] == '/' && strchr(path, '?') == NULL);
    if (strncmp(path, "/missing", 8) == 0) {
        t->last_route = 404;
    } else if (strcmp(path, "/get-only") == 0 && strcmp(method, "GET") != 0) {
        t->last_route = 405;
    } else {
        t->last_route = 0;
    }
    return t->last_route;
}

static void on_continue(void *ctx)
{
    struct trace *t = ctx;
    t->continues++;
}

static const struct bot_http_parse_hooks hooks = {
    .begin = on_begin,
    .route = on_route,
    .expect_continue = on_continue,
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static void log_str(struct trace *t, const char *tag, const char *text, size_t len)
{
    CHECK(core_buf_appendf(&t->log, "%s%zu:", tag, len) == CORE_OK);
    CHECK(core_buf_append(&t->log, text, len) == CORE_OK);
}

static void check_request(struct trace *t, const struct bot_http_request *req)
{
    CHECK(t->last_route == 0); /* routed, and served */
    CHECK(req->method[0] != '\0' && strcmp(req->method, "<unknown>") != 0);
    CHECK(req->path[0] == '/' && strchr(req->path, '?') == NULL);
    size_t head = strlen(req->path) + strlen(req->query);
    CHECK(req->n_headers <= BOT_HTTP_PARSE_MAX_HEADERS);
    for (size_t i = 0; i < req->n_headers; i++) {
        const char *name = req->headers[i].name;
        const char *value = req->headers[i].value;
        size_t vlen = strlen(value);
        CHECK(name[0] != '\0' && strpbrk(name, ": \t") == NULL);
        CHECK(vlen == 0 || (!is_blank(value[0]) && !is_blank(value[vlen - 1])));
        head += strlen(name) + vlen;
    }
    /* The cap counts 16 bytes of request line and 4 per header line besides the text. */
    CHECK(16 + head + 4 * req->n_headers <= t->max_header);
    CHECK(req->body_len <= t->max_body && req->body[req->body_len] == '\0');
    bool needs_length = strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0 ||
                        strcmp(req->method, "PATCH") == 0;
    if (needs_length) {
        struct bot_http_request view = *req;
        CHECK(bot_http_header_get(&view, "content-length") ||
              bot_http_header_get(&view, "transfer-encoding"));
    }
}

static void log_request(struct trace *t, const struct bot_http_request *req, bool keep, bool v10)
{
    log_str(t, "M", req->method, strlen(req->method));
    log_str(t, "P", req->path, strlen(req->path));
    log_str(t, "Q", req->query, strlen(req->query));
    for (size_t i = 0; i < req->n_headers; i++) {
        log_str(t, "H", req->headers[i].name, strlen(req->headers[i].name));
        log_str(t, "V", req->headers[i].value, strlen(req->headers[i].value));
    }
    log_str(t, "B", req->body, req->body_len);
    CHECK(core_buf_appendf(&t->log, "K%d%d|", keep, v10) == CORE_OK);
}

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* One connection's bytes through the parser, as the server drives it; chunk 0 = random. */
static void run(const char *data, size_t size, size_t chunk, uint64_t seed, struct trace *t)
{
    static struct bot_http_header scratch[BOT_HTTP_PARSE_MAX_HEADERS];
    struct bot_http_parse p;
    bot_http_parse_init(&p, t->max_header, t->max_body, &hooks, t);
    size_t off = 0;
    int outcome = 0; /* 0 more input wanted, 1 closed after a request, else an HTTP status */
    while (off < size && outcome == 0) {
        size_t n = chunk ? chunk : 1 + (size_t)(next_rand(&seed) % 97);
        n = n < size - off ? n : size - off;
        size_t done = 0;
        while (done < n && outcome == 0) {
            size_t used = 0;
            size_t rest = n - done;
            enum bot_http_parse_status st = bot_http_parse_feed(&p, data + off + done, rest, &used);
            CHECK(used <= rest);
            CHECK(st == BOT_HTTP_PARSE_REQUEST || used == rest);
            done += used;
            if (st == BOT_HTTP_PARSE_REQUEST) {
                CHECK(bot_http_parse_busy(&p));
                struct bot_http_request req = {.param = "", .route = "fuzz", .remote_ip = ""};
                bot_http_parse_take(&p, scratch, &req);
                CHECK(!bot_http_parse_busy(&p));
                check_request(t, &req);
                bool keep = bot_http_parse_keep_alive(&p);
                log_request(t, &req, keep, bot_http_parse_is_http10(&p));
                bot_http_parse_release(&p);
                outcome = keep ? 0 : 1;
            } else if (st == BOT_HTTP_PARSE_ERROR) {
                outcome = bot_http_parse_error_status(&p);
                CHECK(bot_http_parse_error_name(&p) != NULL);
            } else if (st == BOT_HTTP_PARSE_END) {
                outcome = 2;
            } else {
                CHECK(st == BOT_HTTP_PARSE_MORE);
            }
        }
        off += n;
    }
    static const int allowed[] = {0, 1, 2, 400, 404, 405, 411, 413, 414, 431, 505};
    bool known = false;
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        known = known || outcome == allowed[i];
    }
    CHECK(known);
    if (outcome == 404 || outcome == 405) {
        CHECK(t->last_route == outcome);
    }
    t->outcome = outcome;
    CHECK(core_buf_appendf(&t->log, "busy%d|begins%d|continues%d",
                           outcome == 0 && bot_http_parse_busy(&p), t->begins,
                           t->continues) == CORE_OK);
    bot_http_parse_cleanup(&p);
    bot_http_parse_cleanup(&p); /* twice is fine */
}

static bool head_refusal(int status)
{
    return status == 400 || status == 414 || status == 431;
}

static void same(const struct trace *a, const struct trace *b)
{
    CHECK(a->log.len == b->log.len && memcmp(a->log.data, b->log.data, a->log.len) == 0);
    CHECK(a->outcome == b->outcome || (head_refusal(a->outcome) && head_refusal(b->outcome)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) {
        return 0;
    }
    size_t max_header = 256 + (size_t)(data[0] % 16) * 256;
    size_t max_body = 1 + (size_t)data[1] * 32;
    uint64_t seed = 0x9E3779B97F4A7C15ull ^ ((uint64_t)data[2] << 32) ^ size;
    const char *stream = (const char *)data + 3;
    size_t len = size - 3;

    struct trace whole = {.max_header = max_header, .max_body = max_body};
    struct trace bytes = whole;
    struct trace chunks = whole;
    core_buf_init(&whole.log, 0);
    core_buf_init(&bytes.log, 0);
    core_buf_init(&chunks.log, 0);
    run(stream, len, len ? len : 1, seed, &whole);
    run(stream, len, 1, seed, &bytes);
    run(stream, len, 0, seed, &chunks);
    same(&whole, &bytes);
    same(&whole, &chunks);
    core_buf_cleanup(&whole.log);
    core_buf_cleanup(&bytes.log);
    core_buf_cleanup(&chunks.log);
    return 0;
}
