/* SPDX-License-Identifier: MIT
 * bot/keystore: the database is paired with the whole key file, not only with its hash key.
 * A key file whose sealing key or signing seed differs (a damaged or hand-edited file that
 * kept the hash key) would otherwise pass the pairing check, fail to open every stored seal
 * and sign receipts no published key verifies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "bot/config.h"
#include "bot/keystore.h"
#include "core/log.h"
#include "db/db.h"
#include "support/proc.h"

#define MAGIC "tabelbot-keys/1\n"

struct fx {
    char dir[128];
    char db_path[300];
    struct bot_config cfg;
    struct db *db;
    char original[512];
};

static void read_text(const char *path, char *out, size_t out_len)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, out_len - 1, f);
    out[n] = '\0';
    fclose(f);
}

static void write_key(struct fx *f, const char *text)
{
    assert_int_equal(tb_write_file(f->cfg.security.data_key_file, text), 0);
    assert_int_equal(chmod(f->cfg.security.data_key_file, 0600), 0);
}

static int setup(void **state)
{
    core_log_set_level(CORE_LOG_ERROR);
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tb_tempdir(f->dir, sizeof f->dir), 0);
    bot_config_defaults(&f->cfg);
    snprintf(f->cfg.security.data_key_file, sizeof f->cfg.security.data_key_file, "%s/k.key",
             f->dir);
    snprintf(f->db_path, sizeof f->db_path, "%s/t.db", f->dir);
    assert_int_equal(db_open(f->db_path, &f->db), 0);
    int from = 0;
    int to = 0;
    assert_int_equal(db_migrate(f->db, &from, &to), 0);
    struct bot_crypto *crypto = NULL;
    char err[256];
    assert_int_equal(bot_keystore_open(f->db, &f->cfg, &crypto, err, sizeof err), CORE_OK);
    bot_crypto_close(crypto);
    read_text(f->cfg.security.data_key_file, f->original, sizeof f->original);
    assert_true(strncmp(f->original, MAGIC, strlen(MAGIC)) == 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    db_close(f->db);
    tb_rmtree(f->dir);
    free(f);
    return 0;
}

/* The key file with the hex digit at offset (into the material's hex) changed. */
static int open_with_digit_changed(struct fx *f, size_t offset)
{
    char text[512];
    snprintf(text, sizeof text, "%s", f->original);
    char *digit = text + strlen(MAGIC) + offset;
    *digit = *digit == '0' ? '1' : '0';
    write_key(f, text);
    struct bot_crypto *crypto = NULL;
    char err[256] = "";
    int rc = bot_keystore_open(f->db, &f->cfg, &crypto, err, sizeof err);
    if (rc == CORE_OK) {
        bot_crypto_close(crypto);
    } else {
        assert_non_null(strstr(err, "does not belong to this database"));
    }
    return rc;
}

static void test_the_same_file_opens_again(void **state)
{
    struct fx *f = *state;
    struct bot_crypto *crypto = NULL;
    char err[256];
    assert_int_equal(bot_keystore_open(f->db, &f->cfg, &crypto, err, sizeof err), CORE_OK);
    bot_crypto_close(crypto);
}

static void test_another_sealing_key_is_refused(void **state)
{
    struct fx *f = *state;
    /* the material is seal key (32 bytes), hash key (32), signing seed (32), as hex */
    assert_int_equal(open_with_digit_changed(f, 0), CORE_ECRYPTO);
    assert_int_equal(open_with_digit_changed(f, 63), CORE_ECRYPTO);
    write_key(f, f->original);
    test_the_same_file_opens_again(state);
}

static void test_another_signing_seed_is_refused(void **state)
{
    struct fx *f = *state;
    assert_int_equal(open_with_digit_changed(f, 128), CORE_ECRYPTO);
    assert_int_equal(open_with_digit_changed(f, 191), CORE_ECRYPTO);
    write_key(f, f->original);
    test_the_same_file_opens_again(state);
}

static void test_another_hash_key_is_refused(void **state)
{
    struct fx *f = *state;
    assert_int_equal(open_with_digit_changed(f, 64), CORE_ECRYPTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_the_same_file_opens_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_another_sealing_key_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_another_signing_seed_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_another_hash_key_is_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
