/* SPDX-License-Identifier: MIT
 * Key file <-> database pairing through meta "crypto.key_id". */
#include "bot/keystore.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "db/db.h"
#include "db/meta.h"

#define META_KEY_ID "crypto.key_id"
#define KEY_ID_HEX  33

/* An identifier of the key: a keyed hash of a fixed label, so it proves nothing and leaks
 * nothing about the key, yet differs for every key. */
static void key_id(const struct bot_crypto *crypto, char out[KEY_ID_HEX])
{
    unsigned char hash[BOT_HASH_BYTES];
    bot_crypto_hash(crypto, "key-id", "tabelbot", 8, hash);
    bot_crypto_hex(hash, 16, out);
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 || errno != ENOENT;
}

int bot_keystore_open(
    struct db *db, const struct bot_config *cfg, struct bot_crypto **out, char *err, size_t err_len)
{
    const char *path = cfg->security.data_key_file;
    char stored[KEY_ID_HEX] = "";
    int rc = db_meta_get(db, META_KEY_ID, stored, sizeof stored);
    if (rc != CORE_OK && rc != CORE_ENOTFOUND) {
        snprintf(err, err_len, "cannot read the database's key id: %s", core_strerror(rc));
        return rc;
    }
    bool paired = rc == CORE_OK;
    bool holds_data = paired;
    if (!paired) {
        /* A database from before the pairing: its data needs the key it was sealed with. */
        rc = db_holds_sealed_data(db, &holds_data);
        if (rc != CORE_OK) {
            snprintf(err, err_len, "cannot inspect the database: %s", core_strerror(rc));
            return rc;
        }
    }
    if (holds_data && !file_exists(path)) {
        snprintf(err, err_len,
                 "key file %s is missing, and this database holds data sealed with it: restore "
                 "the key file (a new key could not read it)",
                 path);
        return CORE_ENOTFOUND;
    }
    struct bot_crypto *crypto = NULL;
    rc = bot_crypto_open(path, cfg->security.create_key_if_missing, &crypto);
    if (rc != CORE_OK) {
        snprintf(err, err_len, "cannot open key file %s: %s", path, core_strerror(rc));
        return rc;
    }
    char actual[KEY_ID_HEX];
    key_id(crypto, actual);
    if (paired && strcmp(stored, actual) != 0) {
        bot_crypto_close(crypto);
        snprintf(err, err_len, "key file %s does not belong to this database (key id differs)",
                 path);
        return CORE_ECRYPTO;
    }
    if (!paired) {
        rc = db_meta_set(db, META_KEY_ID, actual);
        if (rc != CORE_OK) {
            bot_crypto_close(crypto);
            snprintf(err, err_len, "cannot record the key id: %s", core_strerror(rc));
            return rc;
        }
    }
    *out = crypto;
    return CORE_OK;
}
