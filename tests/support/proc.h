/* SPDX-License-Identifier: MIT
 * Test helpers for driving the real binary: temp folders, fixture files, spawning `tabelbot`
 * (TABELBOT_BIN) and waiting for its ready line on an ephemeral port, signals and reaping, and a
 * minimal blocking HTTP/1.1 client (one request per connection). Timeouts are generous: the
 * machine is shared and sanitizer builds are slow. Nothing here is used by the shipped binary. */
#ifndef TESTS_SUPPORT_PROC_H
#define TESTS_SUPPORT_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TB_START_TIMEOUT_MS 60000
#define TB_HTTP_TIMEOUT_MS  30000

/** Reads $TABELBOT_SOURCE_DIR/rel (or rel from the working folder when unset) into a malloc'd
 * NUL-terminated buffer owned by the caller; *len (may be NULL) gets the size. NULL on error. */
char *tb_fixture_read(const char *rel, size_t *len);
/** Writes text to path (truncating). 0 or -1. */
int tb_write_file(const char *path, const char *text);
/** Creates a fresh folder under $TMPDIR (or /tmp); out gets its path. 0 or -1. */
int tb_tempdir(char *out, size_t out_len);
/** Removes a folder tree (best effort). */
void tb_rmtree(const char *path);

/** A spawned process. stdout is a pipe read up to the ready line; stderr goes to log_path. */
struct tb_proc {
    pid_t pid;
    int out_fd;
    uint16_t port; /* from the ready line */
    char host[64]; /* from the ready line */
    char log_path[512];
    int exited; /* reaped already */
    int status; /* raw wait status once reaped */
};

/** Runs `TABELBOT_BIN serve --config <config>` in workdir with extra "K=V" environment entries
 * (NULL-terminated list or NULL), stderr to <workdir>/serve.log, and waits up to timeout_ms for
 * "tabelbot listening on http://HOST:PORT". 0 on success; -1 (the child is killed and reaped)
 * when it exits or stays silent. */
int tb_serve_start(struct tb_proc *proc,
                   const char *workdir,
                   const char *config_path,
                   const char *const *env,
                   int timeout_ms);
/** Spawns TABELBOT_BIN with args (NULL-terminated, without argv[0]) in workdir, waits for it
 * and returns its exit code (or 128 + signal); stdout is captured into out (NUL-terminated,
 * truncated) when out is not NULL. -1 when it cannot run or exceeds timeout_ms. */
int tb_run_bin(const char *workdir,
               const char *const *args,
               const char *const *env,
               char *out,
               size_t out_len,
               int timeout_ms);
/** Sends a signal. 0 or -1. */
int tb_proc_signal(struct tb_proc *proc, int sig);
/** Waits up to timeout_ms for the exit. Returns the exit code, 128 + signal when killed by a
 * signal, or -1 on timeout. */
int tb_proc_wait(struct tb_proc *proc, int timeout_ms);
/** SIGKILL and reap if still running; closes the pipe. Safe twice. */
void tb_proc_cleanup(struct tb_proc *proc);

/** A parsed HTTP answer; body is malloc'd and NUL-terminated, owned by the reply. */
struct tb_http_reply {
    int status;
    char headers[4096]; /* raw header block, truncated */
    char *body;
    size_t body_len;
};

/** Sends one request (Connection: close) to 127.0.0.1:port. `headers` are extra "Name: value"
 * lines (NULL-terminated list or NULL). Content-Length is added when body is not NULL.
 * 0 on an answer (any status); -1 when no answer came within timeout_ms. */
int tb_http(uint16_t port,
            const char *method,
            const char *path,
            const char *const *headers,
            const char *body,
            size_t body_len,
            struct tb_http_reply *reply,
            int timeout_ms);
/** Sends raw bytes and reads the answer until the server closes or timeout. Same returns. */
int tb_http_raw(
    uint16_t port, const char *raw, size_t raw_len, struct tb_http_reply *reply, int timeout_ms);
void tb_http_reply_free(struct tb_http_reply *reply);

#define TB_SECRET "Tb-test_secret-0123456789"

/** Writes <dir>/tabelbot.toml for serve: listen 127.0.0.1:0, database <dir>/tabelbot.db, key
 * <dir>/tabelbot.key, Telegram enabled (webhook mode, secret TB_SECRET). server_extra and
 * dev_extra (may be NULL) are lines added inside [server] and [dev]. path_out gets the file
 * path. 0 or -1. */
int tb_serve_config(const char *dir,
                    const char *server_extra,
                    const char *dev_extra,
                    char *path_out,
                    size_t path_len);

/** Opens the sqlite file read-only and returns the single integer the query yields, or -1. */
int64_t tb_db_int(const char *db_path, const char *sql);

/** Milliseconds of a monotonic clock. */
int64_t tb_now_ms(void);
/** Sleeps ms milliseconds. */
void tb_sleep_ms(int ms);

#endif
