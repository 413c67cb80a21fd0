/* SPDX-License-Identifier: MIT
 * Test helpers for the registry: a throw-away key file and an in-memory database, paths of the
 * committed fixtures, and the demo registry imported. Owned by the registry tests; any test may
 * use them. Everything opened here is released by tb_registry_close. */
#ifndef TESTS_SUPPORT_REGISTRY_SUPPORT_H
#define TESTS_SUPPORT_REGISTRY_SUPPORT_H

#include <stddef.h>

#include "bot/crypto.h"
#include "bot/import.h"
#include "db/db.h"

struct tb_registry {
    char dir[64];      /* private temporary folder */
    char key_file[96]; /* dir/key */
    struct bot_crypto *crypto;
    struct db *db; /* ":memory:" */
};

/** Creates the folder, a fresh key and an empty migrated database. 0 or a core_err. */
int tb_registry_open(struct tb_registry *r);
/** Closes everything and removes the folder and what is in it. */
void tb_registry_close(struct tb_registry *r);

/** Writes $TABELBOT_SOURCE_DIR/tests/fixtures/<relative> (or a path relative to the current
 * folder's ../.. when the variable is unset) into out. */
void tb_fixture_path(const char *relative, char *out, size_t out_len);

/** Imports tests/fixtures/registry-demo.json; 0 or the import's error (err gets the line). */
int tb_registry_import_demo(struct tb_registry *r, struct bot_import_summary *sum);

#endif
