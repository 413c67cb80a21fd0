/* SPDX-License-Identifier: MIT
 * The outbound HTTP client: curl multi_socket on the libuv loop. curl tells us which sockets to
 * watch (socket callback -> uv_poll) and when to call it back (timer callback -> uv_timer); we
 * feed events back with curl_multi_socket_action and collect finished transfers with
 * curl_multi_info_read. Never logs a URL: host and label only. */
#include "bot/http_client.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"

#define LOG_MODULE "http"

struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    struct bot_http_client *client;
    struct sock_ctx *prev;
    struct sock_ctx *next;
};

struct request {
    struct bot_http_client *client;
    CURL *easy;
    struct curl_slist *headers;
    struct core_buf body;
    bool over_cap;
    bool out_of_memory;
    bot_http_done_fn done;
    void *ctx;
    char label[BOT_HTTP_LABEL_MAX];
    char host[128];
    char error[CURL_ERROR_SIZE];
    struct request *prev;
    struct request *next;
};

struct bot_http_client {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    struct bot_http_options opt;
    struct sock_ctx *socks;
    struct request *requests;
    size_t in_flight;
    uint64_t connects;
    int dispatch_depth; /* > 0 while completion callbacks run */
    bool close_requested;
    bool closing;
    int open_handles; /* uv handles not yet through their close callback */
};

/* ---- calls ---- */

void bot_http_call_init(struct bot_http_call *call)
{
    memset(call, 0, sizeof *call);
    memcpy(call->method, "GET", 4);
}

void bot_http_call_cleanup(struct bot_http_call *call)
{
    free(call->url);
    for (size_t i = 0; i < call->n_headers; i++) {
        free(call->headers[i]);
    }
    free(call->body);
    bot_http_call_init(call);
}

int bot_http_call_set_url(struct bot_http_call *call, const char *url)
{
    if (!url || !*url) {
        return CORE_EINVAL;
    }
    char *copy = strdup(url);
    if (!copy) {
        return CORE_ENOMEM;
    }
    free(call->url);
    call->url = copy;
    return CORE_OK;
}

static bool has_crlf(const char *text)
{
    return strpbrk(text, "\r\n") != NULL;
}

int bot_http_call_add_header(struct bot_http_call *call, const char *name, const char *value)
{
    if (!name || !*name || !value || has_crlf(name) || has_crlf(value) || strchr(name, ':')) {
        return CORE_EINVAL;
    }
    if (call->n_headers >= BOT_HTTP_MAX_HEADERS) {
        return CORE_ETOOBIG;
    }
    size_t len = strlen(name) + strlen(value) + 3;
    char *line = malloc(len);
    if (!line) {
        return CORE_ENOMEM;
    }
    snprintf(line, len, "%s: %s", name, value);
    call->headers[call->n_headers++] = line;
    return CORE_OK;
}

int bot_http_call_set_body(struct bot_http_call *call, const void *body, size_t len)
{
    unsigned char *copy = malloc(len ? len : 1);
    if (!copy) {
        return CORE_ENOMEM;
    }
    if (len) {
        memcpy(copy, body, len);
    }
    free(call->body);
    call->body = copy;
    call->body_len = len;
    return CORE_OK;
}

/* ---- options and lifetime ---- */

void bot_http_options_defaults(struct bot_http_options *opt)
{
    opt->max_host_connections = 8;
    opt->max_cached_connections = 32;
    opt->default_timeout_ms = 15000;
    opt->connect_timeout_ms = 5000;
    opt->default_max_response = 1024 * 1024;
}

static void handle_closed(uv_handle_t *handle);

static void maybe_free(struct bot_http_client *client)
{
    if (client->closing && client->open_handles == 0 && !client->multi) {
        free(client);
    }
}

static void sock_closed(uv_handle_t *handle)
{
    struct sock_ctx *sock = handle->data;
    struct bot_http_client *client = sock->client;
    free(sock);
    client->open_handles--;
    maybe_free(client);
}

static void handle_closed(uv_handle_t *handle)
{
    struct bot_http_client *client = handle->data;
    client->open_handles--;
    maybe_free(client);
}

static void sock_unlink(struct sock_ctx *sock)
{
    struct bot_http_client *client = sock->client;
    if (sock->prev) {
        sock->prev->next = sock->next;
    } else {
        client->socks = sock->next;
    }
    if (sock->next) {
        sock->next->prev = sock->prev;
    }
    sock->prev = sock->next = NULL;
}

static void sock_destroy(struct sock_ctx *sock)
{
    sock_unlink(sock);
    uv_poll_stop(&sock->poll);
    uv_close((uv_handle_t *)&sock->poll, sock_closed);
}

/* ---- completion ---- */

static void teardown(struct bot_http_client *client);

static void request_unlink(struct request *req)
{
    struct bot_http_client *client = req->client;
    if (req->prev) {
        req->prev->next = req->next;
    } else {
        client->requests = req->next;
    }
    if (req->next) {
        req->next->prev = req->prev;
    }
    client->in_flight--;
}

static void request_free(struct request *req)
{
    if (req->easy) {
        curl_easy_cleanup(req->easy);
    }
    curl_slist_free_all(req->headers);
    core_buf_cleanup(&req->body);
    free(req);
}

static int map_curl_code(CURLcode code, const struct request *req)
{
    switch (code) {
    case CURLE_OK:
        return CORE_OK;
    case CURLE_OPERATION_TIMEDOUT:
        return CORE_ETIMEOUT;
    case CURLE_WRITE_ERROR:
        return req->over_cap ? CORE_ETOOBIG : (req->out_of_memory ? CORE_ENOMEM : CORE_ENET);
    case CURLE_OUT_OF_MEMORY:
        return CORE_ENOMEM;
    default:
        return CORE_ENET;
    }
}

/* Removes req from the multi, reports it through its callback and frees it. */
static void request_finish(struct request *req, int err)
{
    struct bot_http_client *client = req->client;
    request_unlink(req);
    curl_multi_remove_handle(client->multi, req->easy);
    long status = 0;
    curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);
    long connects = 0;
    curl_easy_getinfo(req->easy, CURLINFO_NUM_CONNECTS, &connects);
    client->connects += connects > 0 ? (uint64_t)connects : 0;
    if (err != CORE_OK && err != CORE_ESTATE) {
        LOG_WARN("http.fail", "label=%s host=%s status=%ld err=%s detail=\"%s\"", req->label,
                 req->host, status, core_strerror(err), req->error);
    } else {
        LOG_DEBUG("http.done", "label=%s host=%s status=%ld", req->label, req->host, status);
    }
    struct bot_http_response resp = {
        .err = err,
        .status = status,
        .error = err == CORE_OK ? "" : (req->error[0] ? req->error : core_strerror(err)),
        .body = req->body.data ? req->body.data : "",
        .body_len = req->body.len,
        .label = req->label,
        .internal_ = req,
    };
    client->dispatch_depth++;
    req->done(req->ctx, &resp);
    client->dispatch_depth--;
    request_free(req);
    if (client->close_requested && client->dispatch_depth == 0) {
        teardown(client);
    }
}

static void check_done(struct bot_http_client *client)
{
    CURLMsg *msg;
    int left = 0;
    while (client->multi && (msg = curl_multi_info_read(client->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        struct request *req = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&req);
        CURLcode code = msg->data.result;
        request_finish(req, map_curl_code(code, req));
    }
}

const char *bot_http_response_header(const struct bot_http_response *resp, const char *name)
{
    const struct request *req = resp->internal_;
    if (!req || !req->easy || !name) {
        return NULL;
    }
    struct curl_header *header = NULL;
    if (curl_easy_header(req->easy, name, 0, CURLH_HEADER, -1, &header) != CURLHE_OK) {
        return NULL;
    }
    return header->value;
}

/* ---- curl <-> uv glue ---- */

static void on_poll(uv_poll_t *poll, int status, int events)
{
    struct sock_ctx *sock = poll->data;
    struct bot_http_client *client = sock->client;
    int flags = 0;
    if (status < 0) {
        flags = CURL_CSELECT_ERR;
    } else {
        flags |= (events & UV_READABLE) ? CURL_CSELECT_IN : 0;
        flags |= (events & UV_WRITABLE) ? CURL_CSELECT_OUT : 0;
    }
    int running = 0;
    curl_multi_socket_action(client->multi, sock->fd, flags, &running);
    check_done(client);
}

static void on_timer(uv_timer_t *timer)
{
    struct bot_http_client *client = timer->data;
    int running = 0;
    curl_multi_socket_action(client->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(client);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct bot_http_client *client = userp;
    if (timeout_ms < 0) {
        uv_timer_stop(&client->timer);
        return 0;
    }
    return uv_timer_start(&client->timer, on_timer, (uint64_t)timeout_ms, 0) == 0 ? 0 : -1;
}

static struct sock_ctx *sock_create(struct bot_http_client *client, curl_socket_t fd)
{
    struct sock_ctx *sock = calloc(1, sizeof *sock);
    if (!sock) {
        return NULL;
    }
    if (uv_poll_init_socket(client->loop, &sock->poll, fd) != 0) {
        free(sock);
        return NULL;
    }
    sock->fd = fd;
    sock->client = client;
    sock->poll.data = sock;
    sock->next = client->socks;
    if (client->socks) {
        client->socks->prev = sock;
    }
    client->socks = sock;
    client->open_handles++;
    curl_multi_assign(client->multi, fd, sock);
    return sock;
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    struct bot_http_client *client = userp;
    struct sock_ctx *sock = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (sock) {
            curl_multi_assign(client->multi, fd, NULL);
            sock_destroy(sock);
        }
        return 0;
    }
    if (!sock) {
        sock = sock_create(client, fd);
        if (!sock) {
            LOG_ERROR("http.poll_init", "err=%s", core_strerror(CORE_ENOMEM));
            return -1;
        }
    }
    int events = 0;
    events |= (what & CURL_POLL_IN) ? UV_READABLE : 0;
    events |= (what & CURL_POLL_OUT) ? UV_WRITABLE : 0;
    return uv_poll_start(&sock->poll, events, on_poll) == 0 ? 0 : -1;
}

/* ---- open / submit ---- */

int bot_http_client_open(uv_loop_t *loop,
                         const struct bot_http_options *opt,
                         struct bot_http_client **out)
{
    if (!loop || !out) {
        return CORE_EINVAL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return CORE_ENET;
    }
    struct bot_http_client *client = calloc(1, sizeof *client);
    if (!client) {
        curl_global_cleanup();
        return CORE_ENOMEM;
    }
    client->loop = loop;
    bot_http_options_defaults(&client->opt);
    if (opt) {
        client->opt = *opt;
    }
    client->multi = curl_multi_init();
    if (!client->multi || uv_timer_init(loop, &client->timer) != 0) {
        if (client->multi) {
            curl_multi_cleanup(client->multi);
        }
        free(client);
        curl_global_cleanup();
        return CORE_ENOMEM;
    }
    client->timer.data = client;
    client->open_handles = 1;
    curl_multi_setopt(client->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(client->multi, CURLMOPT_SOCKETDATA, client);
    curl_multi_setopt(client->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(client->multi, CURLMOPT_TIMERDATA, client);
    curl_multi_setopt(client->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                      client->opt.max_host_connections);
    curl_multi_setopt(client->multi, CURLMOPT_MAXCONNECTS, client->opt.max_cached_connections);
    *out = client;
    return CORE_OK;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    struct request *req = userp;
    size_t len = size * nmemb;
    int err = core_buf_append(&req->body, data, len);
    if (err == CORE_ETOOBIG) {
        /* Keep what fits, then stop the transfer: curl reports a write error. */
        size_t room = req->body.max - req->body.len;
        if (room > 0 && core_buf_append(&req->body, data, room) != CORE_OK) {
            room = 0;
        }
        req->over_cap = true;
        return 0;
    }
    req->out_of_memory = err == CORE_ENOMEM;
    return err == CORE_OK ? len : 0;
}

static void copy_host(struct request *req, const char *url)
{
    CURLU *u = curl_url();
    char *host = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        snprintf(req->host, sizeof req->host, "%s", host);
    } else {
        snprintf(req->host, sizeof req->host, "?");
    }
    curl_free(host);
    curl_url_cleanup(u);
}

static int build_headers(struct request *req, const struct bot_http_call *call)
{
    /* An empty Expect stops curl from waiting for "100 Continue" on larger bodies. */
    struct curl_slist *list = curl_slist_append(NULL, "Expect:");
    for (size_t i = 0; list && i < call->n_headers; i++) {
        struct curl_slist *grown = curl_slist_append(list, call->headers[i]);
        if (!grown) {
            curl_slist_free_all(list);
            list = NULL;
            break;
        }
        list = grown;
    }
    if (!list) {
        return CORE_ENOMEM;
    }
    req->headers = list;
    return CORE_OK;
}

static int configure_method(struct request *req, const struct bot_http_call *call)
{
    CURL *e = req->easy;
    CURLcode rc = CURLE_OK;
    bool is_get = strcmp(call->method, "GET") == 0;
    if (call->body || !is_get) {
        rc = curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->body_len);
        if (rc == CURLE_OK) {
            rc = curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, call->body ? (char *)call->body : "");
        }
    }
    if (rc == CURLE_OK && strcmp(call->method, "POST") != 0 && !is_get) {
        rc = curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, call->method);
    }
    if (rc == CURLE_OK && is_get && call->body) {
        rc = curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "GET");
    }
    return rc == CURLE_OK ? CORE_OK : (rc == CURLE_OUT_OF_MEMORY ? CORE_ENOMEM : CORE_EINVAL);
}

static int configure_easy(struct bot_http_client *client,
                          struct request *req,
                          const struct bot_http_call *call)
{
    CURL *e = req->easy;
    long timeout = call->timeout_ms > 0 ? call->timeout_ms : client->opt.default_timeout_ms;
    long connect = client->opt.connect_timeout_ms;
    CURLcode rc = curl_easy_setopt(e, CURLOPT_URL, call->url);
    if (rc != CURLE_OK) {
        return rc == CURLE_OUT_OF_MEMORY ? CORE_ENOMEM : CORE_EINVAL;
    }
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect < timeout ? connect : timeout);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "tabelbot/" TABELBOT_VERSION);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->error);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)req);
    return configure_method(req, call);
}

static bool call_is_valid(const struct bot_http_call *call)
{
    return call && call->url && call->url[0] && call->method[0] &&
           strspn(call->method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == strlen(call->method);
}

int bot_http_submit(struct bot_http_client *client,
                    const struct bot_http_call *call,
                    bot_http_done_fn done,
                    void *ctx)
{
    if (!client || !done || !call_is_valid(call)) {
        return CORE_EINVAL;
    }
    if (client->closing || client->close_requested) {
        return CORE_ESTATE;
    }
    struct request *req = calloc(1, sizeof *req);
    if (!req) {
        return CORE_ENOMEM;
    }
    req->client = client;
    req->done = done;
    req->ctx = ctx;
    snprintf(req->label, sizeof req->label, "%s", call->label[0] ? call->label : "-");
    core_buf_init(&req->body, call->max_response_bytes ? call->max_response_bytes
                                                       : client->opt.default_max_response);
    copy_host(req, call->url);
    req->easy = curl_easy_init();
    int err = req->easy ? build_headers(req, call) : CORE_ENOMEM;
    if (err == CORE_OK) {
        err = configure_easy(client, req, call);
    }
    if (err == CORE_OK && curl_multi_add_handle(client->multi, req->easy) != CURLM_OK) {
        err = CORE_ENOMEM;
    }
    if (err != CORE_OK) {
        request_free(req);
        return err;
    }
    req->next = client->requests;
    if (client->requests) {
        client->requests->prev = req;
    }
    client->requests = req;
    client->in_flight++;
    return CORE_OK;
}

size_t bot_http_client_in_flight(const struct bot_http_client *client)
{
    return client ? client->in_flight : 0;
}

uint64_t bot_http_client_connects(const struct bot_http_client *client)
{
    return client ? client->connects : 0;
}

void bot_http_client_cancel_all(struct bot_http_client *client)
{
    if (!client) {
        return;
    }
    while (client->requests) {
        struct request *req = client->requests;
        snprintf(req->error, sizeof req->error, "cancelled");
        request_finish(req, CORE_ESTATE);
    }
}

/* Frees curl and closes every uv handle; the client itself goes in the last close callback. */
static void teardown(struct bot_http_client *client)
{
    if (client->closing) {
        return;
    }
    client->closing = true;
    bot_http_client_cancel_all(client);
    /* Cleanup may still report sockets through on_curl_socket, which closes their polls. */
    curl_multi_cleanup(client->multi);
    client->multi = NULL;
    while (client->socks) {
        sock_destroy(client->socks);
    }
    uv_timer_stop(&client->timer);
    uv_close((uv_handle_t *)&client->timer, handle_closed);
    curl_global_cleanup();
}

void bot_http_client_close(struct bot_http_client *client)
{
    if (!client || client->close_requested) {
        return;
    }
    client->close_requested = true;
    if (client->dispatch_depth == 0) {
        teardown(client);
    }
}
