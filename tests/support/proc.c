/* SPDX-License-Identifier: MIT
 * Test helpers: temp folders, spawning the real binary, a minimal HTTP client. */
#include "support/proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int64_t tb_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tb_sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

char *tb_fixture_read(const char *rel, size_t *len)
{
    const char *root = getenv("TABELBOT_SOURCE_DIR");
    char path[1024];
    bool absolute = rel[0] == '/';
    snprintf(path, sizeof path, "%s%s%s", root && !absolute ? root : "",
             root && !absolute ? "/" : "", rel);
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    char *data = NULL;
    size_t used = 0;
    size_t cap = 0;
    for (;;) {
        if (used + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *grown = realloc(data, cap);
            if (!grown) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = grown;
        }
        size_t n = fread(data + used, 1, 4096, f);
        used += n;
        if (n < 4096) {
            break;
        }
    }
    fclose(f);
    data[used] = '\0';
    if (len) {
        *len = used;
    }
    return data;
}

int tb_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        return -1;
    }
    int ok = fputs(text, f) >= 0;
    ok = fclose(f) == 0 && ok;
    return ok ? 0 : -1;
}

int tb_tempdir(char *out, size_t out_len)
{
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(out, out_len, "%s/tabelbot-test-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (n < 0 || (size_t)n >= out_len) {
        return -1;
    }
    return mkdtemp(out) ? 0 : -1;
}

void tb_rmtree(const char *path)
{
    if (!path || !path[0] || strcmp(path, "/") == 0) {
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        execlp("rm", "rm", "-rf", "--", path, (char *)NULL);
        _exit(127);
    }
    if (pid > 0) {
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
}

static const char *binary(void)
{
    const char *bin = getenv("TABELBOT_BIN");
    return bin && bin[0] ? bin : "tabelbot";
}

/* In the child: chdir, environment, redirections, exec. Never returns. */
static void exec_child(const char *workdir,
                       const char *const *args,
                       const char *const *env,
                       int out_fd,
                       const char *log_path)
{
    if (workdir && chdir(workdir) != 0) {
        _exit(126);
    }
    for (size_t i = 0; env && env[i]; i++) {
        putenv((char *)env[i]);
    }
    if (out_fd >= 0) {
        dup2(out_fd, STDOUT_FILENO);
    }
    if (log_path) {
        int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (log_fd >= 0) {
            dup2(log_fd, STDERR_FILENO);
        }
    }
    const char *argv[32];
    size_t n = 0;
    argv[n++] = binary();
    for (size_t i = 0; args && args[i] && n < 31; i++) {
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    execv(argv[0], (char *const *)argv);
    _exit(127);
}

/* Reads into buf until the line is complete or the timeout passes. */
static int read_line(int fd, char *buf, size_t cap, int timeout_ms)
{
    size_t used = 0;
    int64_t deadline = tb_now_ms() + timeout_ms;
    while (used + 1 < cap) {
        int64_t left = deadline - tb_now_ms();
        if (left <= 0) {
            return -1;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int rc = poll(&pfd, 1, (int)left);
        if (rc < 0 && errno == EINTR) {
            continue;
        }
        if (rc <= 0) {
            return -1;
        }
        ssize_t n = read(fd, buf + used, 1);
        if (n <= 0) {
            return -1;
        }
        if (buf[used] == '\n') {
            buf[used] = '\0';
            return 0;
        }
        used++;
    }
    return -1;
}

int tb_serve_start(struct tb_proc *proc,
                   const char *workdir,
                   const char *config_path,
                   const char *const *env,
                   int timeout_ms)
{
    memset(proc, 0, sizeof *proc);
    proc->out_fd = -1;
    snprintf(proc->log_path, sizeof proc->log_path, "%s/serve.log", workdir);
    int fds[2];
    if (pipe(fds) != 0) {
        return -1;
    }
    const char *args[] = {"serve", "--config", config_path, NULL};
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        exec_child(workdir, args, env, fds[1], proc->log_path);
    }
    close(fds[1]);
    proc->pid = pid;
    proc->out_fd = fds[0];
    char line[256];
    unsigned port = 0;
    if (read_line(proc->out_fd, line, sizeof line, timeout_ms) != 0 ||
        sscanf(line, "tabelbot listening on http://%63[^:]:%u", proc->host, &port) != 2 ||
        port == 0 || port > 65535) {
        fprintf(stderr, "tb_serve_start: no ready line (see %s)\n", proc->log_path);
        tb_proc_cleanup(proc);
        return -1;
    }
    proc->port = (uint16_t)port;
    return 0;
}

int tb_proc_signal(struct tb_proc *proc, int sig)
{
    if (proc->pid <= 0 || proc->exited) {
        return -1;
    }
    return kill(proc->pid, sig);
}

static int decode_status(int status)
{
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return -1;
}

int tb_proc_wait(struct tb_proc *proc, int timeout_ms)
{
    if (proc->exited) {
        return decode_status(proc->status);
    }
    int64_t deadline = tb_now_ms() + timeout_ms;
    for (;;) {
        int status = 0;
        pid_t rc = waitpid(proc->pid, &status, WNOHANG);
        if (rc == proc->pid) {
            proc->exited = 1;
            proc->status = status;
            return decode_status(status);
        }
        if (rc < 0 && errno != EINTR) {
            return -1;
        }
        if (tb_now_ms() >= deadline) {
            return -1;
        }
        tb_sleep_ms(10);
    }
}

void tb_proc_cleanup(struct tb_proc *proc)
{
    if (proc->pid > 0 && !proc->exited) {
        kill(proc->pid, SIGKILL);
        int status = 0;
        while (waitpid(proc->pid, &status, 0) < 0 && errno == EINTR) {
        }
        proc->exited = 1;
        proc->status = status;
    }
    if (proc->out_fd >= 0) {
        close(proc->out_fd);
        proc->out_fd = -1;
    }
}

int tb_run_bin(const char *workdir,
               const char *const *args,
               const char *const *env,
               char *out,
               size_t out_len,
               int timeout_ms)
{
    int fds[2];
    if (pipe(fds) != 0) {
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        exec_child(workdir, args, env, fds[1], NULL);
    }
    close(fds[1]);
    struct tb_proc proc = {.pid = pid, .out_fd = fds[0]};
    size_t used = 0;
    int64_t deadline = tb_now_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - tb_now_ms();
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
            break;
        }
        char chunk[512];
        ssize_t n = read(fds[0], chunk, sizeof chunk);
        if (n <= 0) {
            break;
        }
        for (ssize_t i = 0; out && i < n && used + 1 < out_len; i++) {
            out[used++] = chunk[i];
        }
    }
    if (out && out_len > 0) {
        out[used] = '\0';
    }
    int64_t left = deadline - tb_now_ms();
    int code = tb_proc_wait(&proc, left > 0 ? (int)left : 1);
    tb_proc_cleanup(&proc);
    return code;
}

/* ---- HTTP ---- */

static int connect_local(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The end of the header block ("\r\n\r\n"), or NULL. */
static const char *header_end(const char *buf, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++) {
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
            return buf + i;
        }
    }
    return NULL;
}

/* Complete when the headers ended and Content-Length bytes of body arrived. */
static int response_complete(const char *buf, size_t len)
{
    const char *end = header_end(buf, len);
    if (!end) {
        return 0;
    }
    size_t head = (size_t)(end - buf) + 4;
    const char *cl = NULL;
    for (const char *p = buf; p < end; p++) {
        if ((p == buf || p[-1] == '\n') && strncasecmp(p, "content-length:", 15) == 0) {
            cl = p + 15;
            break;
        }
    }
    if (!cl) {
        return 0; /* read to EOF */
    }
    size_t want = (size_t)strtoul(cl, NULL, 10);
    return len >= head + want;
}

static int parse_reply(const char *buf, size_t len, struct tb_http_reply *reply)
{
    int status = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) {
        return -1;
    }
    reply->status = status;
    const char *end = header_end(buf, len);
    size_t head = end ? (size_t)(end - buf) + 4 : len;
    snprintf(reply->headers, sizeof reply->headers, "%.*s", (int)head, buf);
    reply->body_len = len - head;
    reply->body = malloc(reply->body_len + 1);
    if (!reply->body) {
        return -1;
    }
    memcpy(reply->body, buf + head, reply->body_len);
    reply->body[reply->body_len] = '\0';
    return 0;
}

int tb_http_raw(
    uint16_t port, const char *raw, size_t raw_len, struct tb_http_reply *reply, int timeout_ms)
{
    memset(reply, 0, sizeof *reply);
    int fd = connect_local(port);
    if (fd < 0) {
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    size_t cap = 65536;
    size_t used = 0;
    size_t sent = 0;
    char *buf = malloc(cap);
    int64_t deadline = tb_now_ms() + timeout_ms;
    /* Send and read interleaved: a server may answer early (413, 431) and close while we are
     * still sending; then sending stops and the answer is still read. */
    while (buf) {
        int64_t left = deadline - tb_now_ms();
        short events = POLLIN | (sent < raw_len ? POLLOUT : 0);
        struct pollfd pfd = {.fd = fd, .events = events};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
            break;
        }
        if ((pfd.revents & POLLOUT) && sent < raw_len) {
            ssize_t n = send(fd, raw + sent, raw_len - sent, MSG_NOSIGNAL);
            if (n > 0) {
                sent += (size_t)n;
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                sent = raw_len; /* the peer closed: read what it said */
            }
        }
        if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
            continue;
        }
        if (used + 4096 + 1 > cap) {
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                break;
            }
            buf = grown;
            cap *= 2;
        }
        ssize_t n = recv(fd, buf + used, cap - used - 1, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        used += (size_t)n;
        buf[used] = '\0';
        if (response_complete(buf, used)) {
            break;
        }
    }
    close(fd);
    int rc = -1;
    if (buf && used > 0) {
        buf[used] = '\0';
        rc = parse_reply(buf, used, reply);
    }
    free(buf);
    return rc;
}

int tb_http(uint16_t port,
            const char *method,
            const char *path,
            const char *const *headers,
            const char *body,
            size_t body_len,
            struct tb_http_reply *reply,
            int timeout_ms)
{
    size_t cap = 4096 + body_len;
    for (size_t i = 0; headers && headers[i]; i++) {
        cap += strlen(headers[i]) + 2;
    }
    char *req = malloc(cap);
    if (!req) {
        return -1;
    }
    int n = snprintf(req, cap, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n",
                     method, path, (unsigned)port);
    for (size_t i = 0; headers && headers[i] && n > 0 && (size_t)n < cap; i++) {
        n += snprintf(req + n, cap - (size_t)n, "%s\r\n", headers[i]);
    }
    if (body && n > 0 && (size_t)n < cap) {
        n += snprintf(req + n, cap - (size_t)n, "Content-Length: %zu\r\n", body_len);
    }
    if (n > 0 && (size_t)n < cap) {
        n += snprintf(req + n, cap - (size_t)n, "\r\n");
    }
    if (n < 0 || (size_t)n + body_len >= cap) {
        free(req);
        return -1;
    }
    if (body) {
        memcpy(req + n, body, body_len);
    }
    int rc = tb_http_raw(port, req, (size_t)n + (body ? body_len : 0), reply, timeout_ms);
    free(req);
    return rc;
}

void tb_http_reply_free(struct tb_http_reply *reply)
{
    free(reply->body);
    reply->body = NULL;
}

/* ---- config and database peeking ---- */

int tb_serve_config(const char *dir,
                    const char *server_extra,
                    const char *dev_extra,
                    char *path_out,
                    size_t path_len)
{
    snprintf(path_out, path_len, "%s/tabelbot.toml", dir);
    char text[4096];
    int n = snprintf(text, sizeof text,
                     "[server]\n"
                     "listen = \"127.0.0.1:0\"\n"
                     "%s\n"
                     "[database]\n"
                     "path = \"%s/tabelbot.db\"\n"
                     "[security]\n"
                     "data_key_file = \"%s/tabelbot.key\"\n"
                     "[log]\n"
                     "level = \"info\"\n"
                     "[telegram]\n"
                     "enabled = true\n"
                     "token = \"123456:TEST-token\"\n"
                     "secret_token = \"" TB_SECRET "\"\n"
                     /* nothing a test sends may leave the machine: a closed local port */
                     "api_base_url = \"http://127.0.0.1:9\"\n"
                     "[dev]\n"
                     "%s\n",
                     server_extra ? server_extra : "", dir, dir, dev_extra ? dev_extra : "");
    if (n < 0 || (size_t)n >= sizeof text) {
        return -1;
    }
    return tb_write_file(path_out, text);
}

int64_t tb_db_int(const char *db_path, const char *sql)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db, 10000);
    sqlite3_stmt *stmt = NULL;
    int64_t value = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
        value = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
}
