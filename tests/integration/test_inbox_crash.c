/* SPDX-License-Identifier: MIT
 * Inbox crash safety: 200 stored updates over 20 chats; a child process runs the app with a
 * test-double handler that records each update in a table `processed(external_id UNIQUE)` inside
 * the processing transaction; the parent SIGKILLs it mid-way, restarts it and lets it finish.
 * Every update must be processed exactly once (200 rows, no UNIQUE violation, inbox all 'done'),
 * and each chat's updates in arrival order. The double lives here, never in the binary. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "bot/app.h"
#include "bot/crypto.h"
#include "core/log.h"
#include "db/db.h"
#include "db/db_int.h"
#include "db/inbox.h"
#include "support/proc.h"

#define UPDATES 200
#define CHATS   20

struct env {
    char dir[160];
    char db_path[200];
    char key_path[200];
    struct bot_config cfg;
};

/* The test double: "chat=<c> seq=<n>" -> processed(external_id, chat, seq), then a pause inside
 * the transaction so the kill lands while rows are in flight. */
static int record_handler(void *ctx, struct db *db, const struct bot_inbox_row *row, int64_t now_s)
{
    (void)ctx;
    (void)now_s;
    int chat = -1;
    int seq = -1;
    if (sscanf(row->payload, "chat=%d seq=%d", &chat, &seq) != 2) {
        return CORE_EBADINPUT;
    }
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db__conn(db),
                           "INSERT INTO processed (external_id, chat, seq) VALUES (?1, ?2, ?3)", -1,
                           &stmt, NULL) != SQLITE_OK) {
        return CORE_EDB;
    }
    sqlite3_bind_text(stmt, 1, row->external_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 2, chat);
    sqlite3_bind_int(stmt, 3, seq);
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    tb_sleep_ms(10); /* leaves the parent a wide window (160 rows x 10 ms) to kill mid-way */
    return rc == SQLITE_DONE ? CORE_OK : CORE_EDB;
}

/* The child: the real runtime with the double, until SIGTERM (or SIGKILL). Never returns. */
static void run_child(const struct env *e)
{
    core_log_set_level(CORE_LOG_WARN);
    char err[256];
    struct bot_app *app = NULL;
    if (bot_app_new(&e->cfg, NULL, &app, err, sizeof err) != CORE_OK) {
        fprintf(stderr, "child: %s\n", err);
        _exit(3);
    }
    struct bot_inbox_options opt;
    bot_inbox_options_default(&opt);
    opt.batch = 8;
    opt.max_attempts = 1; /* a UNIQUE violation would mark the row 'failed': visible below */
    bot_app_set_inbox_options(app, &opt);
    bot_app_set_inbox_handler(app, record_handler, NULL);
    int rc = bot_app_run(app, NULL, err, sizeof err);
    bot_app_free(app);
    exit(rc == CORE_OK ? 0 : 4); /* exit, not _exit: the sanitizer build checks for leaks */
}

static pid_t spawn_child(const struct env *e)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        run_child(e);
    }
    return pid;
}

static int wait_exit(pid_t pid)
{
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void store_updates(const struct env *e)
{
    struct bot_crypto *crypto = NULL;
    assert_int_equal(bot_crypto_open(e->key_path, true, &crypto), 0);
    struct db *db = NULL;
    assert_int_equal(db_open(e->db_path, &db), 0);
    assert_int_equal(sqlite3_exec(db__conn(db),
                                  "CREATE TABLE processed (n INTEGER PRIMARY KEY, external_id TEXT "
                                  "NOT NULL UNIQUE, chat INTEGER NOT NULL, seq INTEGER NOT NULL)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    for (int i = 0; i < UPDATES; i++) {
        char payload[64];
        char ext[32];
        char chat_key[32];
        int chat = i % CHATS;
        snprintf(payload, sizeof payload, "chat=%d seq=%d", chat, i);
        snprintf(ext, sizeof ext, "%d", 5000 + i);
        snprintf(chat_key, sizeof chat_key, "telegram:%d", chat);
        unsigned char hash[BOT_HASH_BYTES];
        bot_crypto_hash(crypto, "chat", chat_key, strlen(chat_key), hash);
        unsigned char *sealed = NULL;
        size_t sealed_len = 0;
        assert_int_equal(bot_crypto_seal(crypto, payload, strlen(payload), BOT_INBOX_PAYLOAD_AD,
                                         &sealed, &sealed_len),
                         0);
        assert_int_equal(db_inbox_insert(db, "telegram", ext, hash, sizeof hash, sealed, sealed_len,
                                         1764745200, NULL),
                         0);
        free(sealed);
    }
    db_close(db);
    bot_crypto_close(crypto);
}

static int64_t count(const struct env *e, const char *sql)
{
    return tb_db_int(e->db_path, sql);
}

static void test_kill_mid_way_then_restart_processes_each_once(void **state)
{
    (void)state;
    struct env *e = calloc(1, sizeof *e);
    assert_non_null(e);
    assert_int_equal(tb_tempdir(e->dir, sizeof e->dir), 0);
    snprintf(e->db_path, sizeof e->db_path, "%s/tabelbot.db", e->dir);
    snprintf(e->key_path, sizeof e->key_path, "%s/tabelbot.key", e->dir);
    bot_config_defaults(&e->cfg);
    snprintf(e->cfg.server.listen, sizeof e->cfg.server.listen, "127.0.0.1:0");
    snprintf(e->cfg.database.path, sizeof e->cfg.database.path, "%s", e->db_path);
    snprintf(e->cfg.security.data_key_file, sizeof e->cfg.security.data_key_file, "%s",
             e->key_path);
    store_updates(e);

    /* First run: killed without warning once some rows are done. */
    pid_t child = spawn_child(e);
    int64_t deadline = tb_now_ms() + 120000;
    int64_t done = 0;
    while ((done = count(e, "SELECT count(*) FROM processed")) < 40 && tb_now_ms() < deadline) {
        tb_sleep_ms(2);
    }
    kill(child, SIGKILL);
    assert_int_equal(wait_exit(child), 128 + SIGKILL);
    int64_t after_kill = count(e, "SELECT count(*) FROM processed");
    printf("# processed before the kill: %lld of %d\n", (long long)after_kill, UPDATES);
    assert_true(after_kill >= 40);
    assert_true(after_kill < UPDATES); /* the kill really landed mid-way */
    /* What committed is consistent: a processed row <=> its inbox row is done. */
    assert_int_equal(count(e, "SELECT count(*) FROM inbox WHERE status = 'done'"), after_kill);

    /* Second run: picks up the rows left 'new' and finishes; then a clean stop. */
    child = spawn_child(e);
    deadline = tb_now_ms() + 120000;
    while (count(e, "SELECT count(*) FROM inbox WHERE status <> 'done'") != 0 &&
           tb_now_ms() < deadline) {
        tb_sleep_ms(20);
    }
    kill(child, SIGTERM);
    assert_int_equal(wait_exit(child), 0);

    assert_int_equal(count(e, "SELECT count(*) FROM processed"), UPDATES);
    assert_int_equal(count(e, "SELECT count(DISTINCT external_id) FROM processed"), UPDATES);
    assert_int_equal(count(e, "SELECT count(*) FROM inbox WHERE status = 'done'"), UPDATES);
    assert_int_equal(count(e, "SELECT count(*) FROM inbox WHERE attempts > 0"), 0);
    /* Per-chat order: within a chat, processing order (n) follows arrival order (seq). */
    assert_int_equal(count(e, "SELECT count(*) FROM processed a JOIN processed b"
                              " ON a.chat = b.chat AND a.seq < b.seq AND a.n > b.n"),
                     0);
    tb_rmtree(e->dir);
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_mid_way_then_restart_processes_each_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
