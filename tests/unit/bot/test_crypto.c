/* SPDX-License-Identifier: MIT
 * bot/crypto: the key file rules, sealing bound to its column, keyed hashes, signatures. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "bot/crypto.h"
#include "support/proc.h"

struct fx {
    char dir[256];
    char key[300];
};

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    assert_int_equal(tb_tempdir(fx->dir, sizeof fx->dir), 0);
    snprintf(fx->key, sizeof fx->key, "%s/t.key", fx->dir);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    tb_rmtree(fx->dir);
    free(fx);
    return 0;
}

static bool contains(const unsigned char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(hay + i, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

static void test_key_file_is_created_private_and_reloaded(void **state)
{
    struct fx *fx = *state;
    struct bot_crypto *a = NULL;
    struct bot_crypto *b = NULL;
    assert_int_equal(bot_crypto_open(fx->key, false, &a), CORE_ENOTFOUND);
    assert_int_equal(bot_crypto_open(fx->key, true, &a), CORE_OK);
    struct stat st;
    assert_int_equal(stat(fx->key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(bot_crypto_open(fx->key, false, &b), CORE_OK);
    unsigned char ha[BOT_HASH_BYTES];
    unsigned char hb[BOT_HASH_BYTES];
    bot_crypto_hash(a, "iin", "900514410006", 12, ha);
    bot_crypto_hash(b, "iin", "900514410006", 12, hb);
    assert_memory_equal(ha, hb, sizeof ha); /* the same key: the same lookup hash */
    bot_crypto_hash(a, "phone", "900514410006", 12, hb);
    assert_memory_not_equal(ha, hb, sizeof ha); /* domains separate */
    bot_crypto_close(a);
    bot_crypto_close(b);
}

static void test_key_file_readable_by_others_or_a_link_is_refused(void **state)
{
    struct fx *fx = *state;
    struct bot_crypto *c = NULL;
    assert_int_equal(bot_crypto_open(fx->key, true, &c), CORE_OK);
    bot_crypto_close(c);
    assert_int_equal(chmod(fx->key, 0644), 0);
    assert_int_equal(bot_crypto_open(fx->key, false, &c), CORE_ECRYPTO);
    assert_int_equal(chmod(fx->key, 0600), 0);
    char link_path[320];
    snprintf(link_path, sizeof link_path, "%s/link.key", fx->dir);
    assert_int_equal(symlink(fx->key, link_path), 0);
    assert_int_not_equal(bot_crypto_open(link_path, false, &c), CORE_OK);
    char garbage[320];
    snprintf(garbage, sizeof garbage, "%s/garbage.key", fx->dir);
    assert_int_equal(tb_write_file(garbage, "tabelbot-keys/1\nnot hex at all\n"), 0);
    assert_int_equal(chmod(garbage, 0600), 0);
    assert_int_equal(bot_crypto_open(garbage, false, &c), CORE_ECRYPTO);
}

static void test_sealed_data_opens_only_for_its_column_and_untampered(void **state)
{
    struct fx *fx = *state;
    struct bot_crypto *c = NULL;
    assert_int_equal(bot_crypto_open(fx->key, true, &c), CORE_OK);
    const char plain[] = "Нұрланова Айгерім";
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    assert_int_equal(
        bot_crypto_seal(c, plain, strlen(plain), "parents.pii_enc", &sealed, &sealed_len), CORE_OK);
    assert_false(contains(sealed, sealed_len, "Айгерім"));
    unsigned char *opened = NULL;
    size_t opened_len = 0;
    assert_int_equal(
        bot_crypto_unseal(c, sealed, sealed_len, "parents.pii_enc", &opened, &opened_len), CORE_OK);
    assert_int_equal(opened_len, strlen(plain));
    assert_string_equal((char *)opened, plain);
    free(opened);
    assert_int_equal(
        bot_crypto_unseal(c, sealed, sealed_len, "children.pii_enc", &opened, &opened_len),
        CORE_ECRYPTO); /* moved to another column */
    sealed[sealed_len / 2] ^= 1;
    assert_int_equal(
        bot_crypto_unseal(c, sealed, sealed_len, "parents.pii_enc", &opened, &opened_len),
        CORE_ECRYPTO); /* tampered */
    assert_int_equal(bot_crypto_unseal(c, sealed, 10, "parents.pii_enc", &opened, &opened_len),
                     CORE_ECRYPTO); /* truncated */
    free(sealed);
    bot_crypto_close(c);
}

static void test_signatures_and_codes(void **state)
{
    struct fx *fx = *state;
    struct bot_crypto *c = NULL;
    assert_int_equal(bot_crypto_open(fx->key, true, &c), CORE_OK);
    unsigned char pk[BOT_PUBLIC_KEY_BYTES];
    unsigned char sig[BOT_SIGNATURE_BYTES];
    bot_crypto_public_key(c, pk);
    bot_crypto_sign(c, "record", 6, sig);
    assert_true(bot_crypto_verify(pk, "record", 6, sig));
    assert_false(bot_crypto_verify(pk, "recorD", 6, sig));
    int seen[10] = {0};
    for (int i = 0; i < 200; i++) {
        char code[7];
        bot_crypto_random_code(code);
        assert_int_equal(strlen(code), 6);
        for (int k = 0; k < 6; k++) {
            assert_true(code[k] >= '0' && code[k] <= '9');
            seen[code[k] - '0']++;
        }
    }
    for (int d = 0; d < 10; d++) {
        assert_true(seen[d] > 0); /* 1,200 digits: every digit shows up */
    }
    bot_crypto_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_key_file_is_created_private_and_reloaded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_key_file_readable_by_others_or_a_link_is_refused,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sealed_data_opens_only_for_its_column_and_untampered,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_signatures_and_codes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
