/* SPDX-License-Identifier: MIT
 * HTTP/1.1 request framing with http-parser: head and body buffers, the byte limits and the
 * head checks (version, target, route hook, length, size), paused after every complete
 * request. Pure: no I/O, no clock, no logging. */
#include "bot/http_parse.h"

#include <string.h>
#include <strings.h>

#define REQ_LINE_SLACK 16 /* bytes of the request line besides the URL, for the header cap */
#define HDR_LINE_SLACK 4  /* ": " and CRLF of every header line */
#define SHRINK_ABOVE   (16 * 1024)

static int head_add(struct bot_http_parse *p, const char *at, size_t len, int status_if_over)
{
    p->header_bytes += len;
    if (p->header_bytes > p->max_header) {
        p->error_status = status_if_over;
        return -1;
    }
    int rc = core_buf_append(&p->head, at, len);
    if (rc != CORE_OK) {
        p->error_status = rc == CORE_ETOOBIG ? status_if_over : 500;
        return -1;
    }
    return 0;
}

/* Drops the blanks http-parser leaves at the end of a header value (RFC 9110 OWS). */
static void trim_value(struct bot_http_parse *p)
{
    size_t start = p->hdrs[p->n_hdrs - 1].value;
    while (p->head.len > start &&
           (p->head.data[p->head.len - 1] == ' ' || p->head.data[p->head.len - 1] == '\t')) {
        p->head.len--;
    }
}

static int head_terminate(struct bot_http_parse *p)
{
    int rc = core_buf_append(&p->head, "", 1);
    if (rc != CORE_OK) {
        p->error_status = rc == CORE_ETOOBIG ? 431 : 500;
        return -1;
    }
    return 0;
}

static int on_message_begin(http_parser *hp)
{
    struct bot_http_parse *p = hp->data;
    p->phase = BOT_HTTP_PARSE_IN_MESSAGE;
    p->header_bytes = REQ_LINE_SLACK;
    p->url_done = false;
    p->n_hdrs = 0;
    p->hdr_last = 0;
    p->query_off = 0;
    core_buf_reset(&p->head);
    core_buf_reset(&p->body);
    if (p->hooks && p->hooks->begin) {
        p->hooks->begin(p->ctx);
    }
    return 0;
}

static int on_url(http_parser *hp, const char *at, size_t len)
{
    return head_add(hp->data, at, len, 414);
}

static int end_url(struct bot_http_parse *p)
{
    if (p->url_done) {
        return 0;
    }
    p->url_done = true;
    return head_terminate(p);
}

static int on_header_field(http_parser *hp, const char *at, size_t len)
{
    struct bot_http_parse *p = hp->data;
    if (p->hdr_last != 1) {
        if (p->hdr_last == 2) {
            trim_value(p);
        }
        if (end_url(p) != 0 || (p->hdr_last == 2 && head_terminate(p) != 0)) {
            return -1;
        }
        if (p->n_hdrs >= BOT_HTTP_PARSE_MAX_HEADERS) {
            p->error_status = 431;
            return -1;
        }
        p->header_bytes += HDR_LINE_SLACK;
        p->hdrs[p->n_hdrs].name = p->head.len;
        p->hdrs[p->n_hdrs].value = 0;
        p->n_hdrs++;
        p->hdr_last = 1;
    }
    return head_add(p, at, len, 431);
}

static int on_header_value(http_parser *hp, const char *at, size_t len)
{
    struct bot_http_parse *p = hp->data;
    if (p->hdr_last != 2) {
        if (head_terminate(p) != 0) {
            return -1;
        }
        p->hdrs[p->n_hdrs - 1].value = p->head.len;
        p->hdr_last = 2;
    }
    return head_add(p, at, len, 431);
}

static const char *head_str(const struct bot_http_parse *p, size_t off)
{
    return p->head.data ? p->head.data + off : "";
}

static const char *find_header(const struct bot_http_parse *p, const char *name)
{
    for (size_t i = 0; i < p->n_hdrs; i++) {
        if (strcasecmp(head_str(p, p->hdrs[i].name), name) == 0) {
            return head_str(p, p->hdrs[i].value);
        }
    }
    return NULL;
}

/* http-parser accepts "Content-Length :5" and frames the body by it, while the field is then
 * named "Content-Length " for everyone else; RFC 9112 §5.1 requires a 400 for any blank between
 * a field name and its colon (a request smuggling vector). Found by fuzz_http_request. */
static bool blank_in_names(const struct bot_http_parse *p)
{
    for (size_t i = 0; i < p->n_hdrs; i++) {
        if (strpbrk(head_str(p, p->hdrs[i].name), " \t")) {
            return true;
        }
    }
    return false;
}

/* The target must be an origin-form path; the query is cut off it in place. */
static int split_target(struct bot_http_parse *p)
{
    char *url = p->head.data;
    if (!url || url[0] != '/') {
        return 400; /* absolute-form, "*", authority-form: not served here */
    }
    char *query = strchr(url, '?');
    p->query_off = 0;
    if (query) {
        *query = '\0';
        p->query_off = (size_t)(query + 1 - url);
    }
    return 0;
}

/* The head decides: version, then target and route (so an unknown path is 404 before its body
 * is read), then length rules. */
static int check_head(struct bot_http_parse *p)
{
    const http_parser *hp = &p->parser;
    if (hp->http_major != 1) {
        return 505;
    }
    int status = split_target(p);
    if (status == 0 && p->hooks && p->hooks->route) {
        status =
            p->hooks->route(p->ctx, http_method_str((enum http_method)hp->method), p->head.data);
    }
    if (status) {
        return status;
    }
    bool has_length = (hp->flags & (F_CHUNKED | F_CONTENTLENGTH)) != 0;
    bool needs_length =
        hp->method == HTTP_POST || hp->method == HTTP_PUT || hp->method == HTTP_PATCH;
    if (needs_length && !has_length) {
        return 411;
    }
    if ((hp->flags & F_CONTENTLENGTH) && hp->content_length > p->max_body) {
        return 413;
    }
    return 0;
}

static int on_headers_complete(http_parser *hp)
{
    struct bot_http_parse *p = hp->data;
    if (p->hdr_last == 2) {
        trim_value(p);
    }
    if (end_url(p) != 0 || (p->hdr_last == 2 && head_terminate(p) != 0)) {
        return -1;
    }
    if (p->hdr_last == 1) { /* a field without a value cannot happen; be safe */
        p->error_status = 400;
        return -1;
    }
    if (blank_in_names(p)) {
        p->error_status = 400;
        return -1;
    }
    int status = check_head(p);
    if (status) {
        p->error_status = status;
        return -1;
    }
    const char *expect = find_header(p, "expect");
    bool has_body =
        (hp->flags & F_CHUNKED) || ((hp->flags & F_CONTENTLENGTH) && hp->content_length);
    if (expect && strcasecmp(expect, "100-continue") == 0 && hp->http_minor >= 1 && has_body &&
        p->hooks && p->hooks->expect_continue) {
        p->hooks->expect_continue(p->ctx);
    }
    return 0;
}

static int on_body(http_parser *hp, const char *at, size_t len)
{
    struct bot_http_parse *p = hp->data;
    int rc = core_buf_append(&p->body, at, len);
    if (rc != CORE_OK) {
        p->error_status = rc == CORE_ETOOBIG ? 413 : 500;
        return -1;
    }
    return 0;
}

static int on_message_complete(http_parser *hp)
{
    struct bot_http_parse *p = hp->data;
    p->phase = BOT_HTTP_PARSE_COMPLETE;
    http_parser_pause(hp, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void bot_http_parse_init(struct bot_http_parse *p,
                         size_t max_header_bytes,
                         size_t max_body_bytes,
                         const struct bot_http_parse_hooks *hooks,
                         void *ctx)
{
    memset(p, 0, sizeof *p);
    http_parser_init(&p->parser, HTTP_REQUEST);
    p->parser.data = p;
    p->hooks = hooks;
    p->ctx = ctx;
    p->max_header = max_header_bytes;
    p->max_body = max_body_bytes;
    p->error = HPE_OK;
    core_buf_init(&p->head, max_header_bytes + 64);
    core_buf_init(&p->body, max_body_bytes);
}

void bot_http_parse_cleanup(struct bot_http_parse *p)
{
    core_buf_cleanup(&p->head);
    core_buf_cleanup(&p->body);
}

static int status_for_errno(const struct bot_http_parse *p, enum http_errno err)
{
    if (p->error_status) {
        return p->error_status;
    }
    return err == HPE_HEADER_OVERFLOW ? 431 : 400;
}

enum bot_http_parse_status
bot_http_parse_feed(struct bot_http_parse *p, const char *data, size_t len, size_t *used)
{
    size_t total = 0;
    while (total < len) {
        size_t n = http_parser_execute(&p->parser, &settings, data + total, len - total);
        total += n;
        enum http_errno err = HTTP_PARSER_ERRNO(&p->parser);
        if (err == HPE_PAUSED) {
            http_parser_pause(&p->parser, 0);
            if (p->phase == BOT_HTTP_PARSE_COMPLETE) {
                *used = total;
                return BOT_HTTP_PARSE_REQUEST;
            }
            continue;
        }
        if (err != HPE_OK) {
            p->error = err;
            p->error_status = status_for_errno(p, err);
            *used = len;
            return BOT_HTTP_PARSE_ERROR;
        }
        if (p->parser.upgrade || n == 0) {
            *used = len;
            return BOT_HTTP_PARSE_END;
        }
    }
    *used = total;
    return BOT_HTTP_PARSE_MORE;
}

void bot_http_parse_take(struct bot_http_parse *p,
                         struct bot_http_header *scratch,
                         struct bot_http_request *req)
{
    p->phase = BOT_HTTP_PARSE_IDLE;
    const char *url = p->head.data ? p->head.data : "";
    for (size_t i = 0; i < p->n_hdrs; i++) {
        scratch[i].name = head_str(p, p->hdrs[i].name);
        scratch[i].value = head_str(p, p->hdrs[i].value);
    }
    req->method = http_method_str((enum http_method)p->parser.method);
    req->path = url;
    req->query = p->query_off ? url + p->query_off : "";
    req->headers = scratch;
    req->n_headers = p->n_hdrs;
    req->body = p->body.data ? p->body.data : "";
    req->body_len = p->body.len;
}

static void shrink(struct core_buf *buf)
{
    if (buf->cap > SHRINK_ABOVE) {
        core_buf_cleanup(buf);
    } else {
        core_buf_reset(buf);
    }
}

void bot_http_parse_release(struct bot_http_parse *p)
{
    shrink(&p->head);
    shrink(&p->body);
}

void bot_http_parse_abandon(struct bot_http_parse *p)
{
    p->phase = BOT_HTTP_PARSE_IDLE;
}

bool bot_http_parse_busy(const struct bot_http_parse *p)
{
    return p->phase != BOT_HTTP_PARSE_IDLE;
}

int bot_http_parse_error_status(const struct bot_http_parse *p)
{
    return p->error_status;
}

const char *bot_http_parse_error_name(const struct bot_http_parse *p)
{
    return http_errno_name(p->error);
}

bool bot_http_parse_keep_alive(const struct bot_http_parse *p)
{
    return http_should_keep_alive(&p->parser) && !p->parser.upgrade;
}

bool bot_http_parse_is_http10(const struct bot_http_parse *p)
{
    return p->parser.http_major == 1 && p->parser.http_minor == 0;
}
