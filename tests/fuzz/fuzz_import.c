/* SPDX-License-Identifier: MIT
 * Fuzz target for the registry importer (bot/import) on a fresh in-memory database. Beyond "no
 * crash, no leak, no UB" it checks the contracts: a failure writes nothing and explains itself
 * in one line; a success stores exactly the records it counted. The key is created once per
 * process in a private temporary folder. */
#include "bot/crypto.h"
#include "bot/import.h"
#include "db/db.h"
#include "db/registry.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static struct bot_crypto *crypto;
static char key_dir[64];
static char key_file[96];

static void forget_key(void)
{
    bot_crypto_close(crypto);
    unlink(key_file);
    rmdir(key_dir);
}

static const struct bot_crypto *key(void)
{
    if (!crypto) {
        snprintf(key_dir, sizeof key_dir, "/tmp/tb-fuzz-import-XXXXXX");
        CHECK(mkdtemp(key_dir) != NULL);
        snprintf(key_file, sizeof key_file, "%s/key", key_dir);
        CHECK(bot_crypto_open(key_file, true, &crypto) == CORE_OK);
        atexit(forget_key);
    }
    return crypto;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct db *db = NULL;
    CHECK(db_open(":memory:", &db) == CORE_OK);
    FILE *in = fmemopen(size ? (void *)data : (void *)"", size ? size : 1, "rb");
    CHECK(in != NULL);
    struct bot_import_summary sum = {0};
    char err[BOT_IMPORT_ERROR_MAX];
    int rc = bot_import_stream(db, key(), in, 1796300000, &sum, err, sizeof err);
    fclose(in);
    struct db_registry_counts c;
    CHECK(db_registry_counts(db, &c) == CORE_OK);
    CHECK(!db_in_transaction(db));
    if (rc != CORE_OK) {
        CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
        CHECK(c.kindergartens == 0 && c.parents == 0 && c.children == 0 && c.timesheets == 0);
    } else {
        CHECK(c.kindergartens == (int64_t)sum.kindergartens);
        CHECK(c.parents == (int64_t)sum.parents);
        CHECK(c.children == (int64_t)sum.children && c.vouchers == (int64_t)sum.children);
        CHECK(c.timesheets == (int64_t)sum.timesheets);
    }
    db_close(db);
    return 0;
}
