/* SPDX-License-Identifier: MIT
 * The key file and the database belong together (bot/keystore.h), through the real binary:
 * a database that holds sealed data refuses a missing key file (instead of creating a new key
 * that could read nothing) and refuses another database's key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "support/proc.h"

#define WAIT_MS 30000

static void import_demo(const char *dir, const char *config, int want_rc, char *out, size_t len)
{
    char fixture[512];
    snprintf(fixture, sizeof fixture, "%s/tests/fixtures/registry-demo.json",
             getenv("TABELBOT_SOURCE_DIR"));
    const char *args[] = {"import", "--config", config, fixture, NULL};
    int rc = tb_run_bin(dir, args, NULL, out, len, WAIT_MS);
    assert_int_equal(rc, want_rc);
}

static void test_missing_or_foreign_key_is_refused(void **state)
{
    (void)state;
    char dir[256];
    char other[256];
    assert_int_equal(tb_tempdir(dir, sizeof dir), 0);
    assert_int_equal(tb_tempdir(other, sizeof other), 0);
    char config[300];
    snprintf(config, sizeof config, "%s/t.toml", dir);
    assert_int_equal(tb_write_file(config, "[security]\ndata_key_file = \"k.key\"\n"), 0);
    char out[4096];
    import_demo(dir, config, 0, out, sizeof out); /* first use: the key is created and paired */
    import_demo(dir, config, 0, out, sizeof out); /* the same key again: fine */

    /* Another database's key in its place. */
    char other_config[300];
    snprintf(other_config, sizeof other_config, "%s/t.toml", other);
    assert_int_equal(tb_write_file(other_config, "[security]\ndata_key_file = \"k.key\"\n"), 0);
    import_demo(other, other_config, 0, out, sizeof out);
    char key[300];
    char saved[300];
    char foreign[300];
    snprintf(key, sizeof key, "%s/k.key", dir);
    snprintf(saved, sizeof saved, "%s/k.key.saved", dir);
    snprintf(foreign, sizeof foreign, "%s/k.key", other);
    assert_int_equal(rename(key, saved), 0);
    assert_int_equal(link(foreign, key), 0);
    import_demo(dir, config, 1, out, sizeof out);

    /* No key at all: refused, and no new key file is left behind. */
    assert_int_equal(unlink(key), 0);
    import_demo(dir, config, 1, out, sizeof out);
    assert_int_not_equal(access(key, F_OK), 0);

    /* The right key back: everything works again. */
    assert_int_equal(rename(saved, key), 0);
    import_demo(dir, config, 0, out, sizeof out);

    /* A database from before the pairing (no key id recorded) that holds sealed data is not
     * given a fresh key either. */
    char db_path[300];
    snprintf(db_path, sizeof db_path, "%s/tabelbot.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db, "DELETE FROM meta WHERE key = 'crypto.key_id'", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(rename(key, saved), 0);
    import_demo(dir, config, 1, out, sizeof out);
    assert_int_not_equal(access(key, F_OK), 0);
    tb_rmtree(dir);
    tb_rmtree(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_or_foreign_key_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
