/* SPDX-License-Identifier: MIT
 * Pipe-driven child process for conversation tests of the real binary. */
#include "support/term.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void child_exec(const char *workdir, char *const argv[], char *const env[], int in, int out)
{
    dup2(in, STDIN_FILENO);
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    if (chdir(workdir) != 0) {
        _exit(126);
    }
    for (size_t i = 0; env && env[i]; i++) {
        putenv(env[i]);
    }
    execv(argv[0], argv);
    _exit(127);
}

int tb_term_start(struct tb_term *term, const char *workdir, char *const argv[], char *const env[])
{
    memset(term, 0, sizeof *term);
    int in[2];
    int out[2];
    if (pipe(in) != 0 || pipe(out) != 0) {
        return -1;
    }
    term->pid = fork();
    if (term->pid < 0) {
        return -1;
    }
    if (term->pid == 0) {
        close(in[1]);
        close(out[0]);
        child_exec(workdir, argv, env, in[0], out[1]);
    }
    close(in[0]);
    close(out[1]);
    term->to_child = in[1];
    term->from_child = out[0];
    fcntl(term->from_child, F_SETFL, O_NONBLOCK);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

int tb_term_send(struct tb_term *term, const char *line)
{
    size_t len = strlen(line);
    if (write(term->to_child, line, len) != (ssize_t)len || write(term->to_child, "\n", 1) != 1) {
        return -1;
    }
    return 0;
}

/* Reads what is available within wait_ms; false on EOF or error with nothing read. */
static bool pump(struct tb_term *term, int wait_ms)
{
    struct pollfd pfd = {.fd = term->from_child, .events = POLLIN};
    if (poll(&pfd, 1, wait_ms) <= 0) {
        return true;
    }
    char chunk[4096];
    ssize_t n = read(term->from_child, chunk, sizeof chunk);
    if (n <= 0) {
        return n < 0 && errno == EAGAIN;
    }
    char *grown = realloc(term->out, term->out_len + (size_t)n + 1);
    if (!grown) {
        return false;
    }
    term->out = grown;
    memcpy(term->out + term->out_len, chunk, (size_t)n);
    term->out_len += (size_t)n;
    term->out[term->out_len] = '\0';
    return true;
}

bool tb_term_expect(struct tb_term *term, const char *fragment, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        const char *hit = term->out ? strstr(term->out + term->mark, fragment) : NULL;
        if (hit) {
            term->mark = (size_t)(hit - term->out) + strlen(fragment);
            return true;
        }
        if (now_ms() > deadline || !pump(term, 50)) {
            fprintf(stderr, "expected \"%s\" in:\n%s\n", fragment,
                    term->out ? term->out + term->mark : "(nothing)");
            return false;
        }
    }
}

bool tb_term_capture_code(struct tb_term *term, const char *prefix, char code[7], int timeout_ms)
{
    if (!tb_term_expect(term, prefix, timeout_ms)) {
        return false;
    }
    long long deadline = now_ms() + timeout_ms;
    while (term->out_len < term->mark + 6 && now_ms() < deadline) {
        pump(term, 50);
    }
    const char *digits = term->out + term->mark;
    for (int i = 0; i < 6; i++) {
        if (digits[i] < '0' || digits[i] > '9') {
            return false;
        }
    }
    memcpy(code, digits, 6);
    code[6] = '\0';
    term->mark += 6;
    return true;
}

int tb_term_finish(struct tb_term *term, int timeout_ms)
{
    close(term->to_child);
    term->to_child = -1;
    long long deadline = now_ms() + timeout_ms;
    int status = 0;
    while (now_ms() < deadline) {
        pump(term, 20);
        pid_t done = waitpid(term->pid, &status, WNOHANG);
        if (done == term->pid) {
            term->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
    }
    return -1;
}

void tb_term_cleanup(struct tb_term *term)
{
    if (term->pid > 0) {
        kill(term->pid, SIGKILL);
        waitpid(term->pid, NULL, 0);
    }
    if (term->to_child > 0) {
        close(term->to_child);
    }
    if (term->from_child > 0) {
        close(term->from_child);
    }
    free(term->out);
    memset(term, 0, sizeof *term);
}
