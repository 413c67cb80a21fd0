/* SPDX-License-Identifier: MIT
 * Key file <-> database pairing through meta "crypto.key_id". */
#include "bot/keystore.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db/db.h"
#include "db/meta.h"

#define META_KEY_ID    "crypto.key_id"
#define META_KEY_CHECK "crypto.key_check"
#define META_SIGN_PK   "crypto.sign_pk"
#define KEY_ID_HEX     33
#define CHECK_TEXT     "tabelbot key check"
#define CHECK_AD       "meta.crypto.key_check"
#define CHECK_HEX      256
#define SIGN_PK_HEX    (BOT_PUBLIC_KEY_BYTES * 2 + 1)

/* An identifier of the key: a keyed hash of a fixed label, so it proves nothing and leaks
 * nothing about the key, yet differs for every key. */
static void key_id(const struct bot_crypto *crypto, char out[KEY_ID_HEX])
{
    unsigned char hash[BOT_HASH_BYTES];
    bot_crypto_hash(crypto, "key-id", "tabelbot", 8, hash);
    bot_crypto_hex(hash, 16, out);
}

/* The id covers only the hash key. The other two keys are proven separately: a sentinel sealed
 * with the sealing key must open, and the signing public key must be the one recorded. Values
 * from before these were kept are recorded now (trust on first use, like the id itself). */
static int check_seal_key(struct db *db, const struct bot_crypto *crypto, bool *ok)
{
    char hex[CHECK_HEX];
    int rc = db_meta_get(db, META_KEY_CHECK, hex, sizeof hex);
    unsigned char sealed[CHECK_HEX / 2];
    size_t sealed_len = 0;
    unsigned char *plain = NULL;
    size_t plain_len = 0;
    if (rc == CORE_OK) {
        *ok =
            sodium_hex2bin(sealed, sizeof sealed, hex, strlen(hex), NULL, &sealed_len, NULL) == 0 &&
            bot_crypto_unseal(crypto, sealed, sealed_len, CHECK_AD, &plain, &plain_len) ==
                CORE_OK &&
            plain_len == strlen(CHECK_TEXT) && memcmp(plain, CHECK_TEXT, plain_len) == 0;
        free(plain);
        return CORE_OK;
    }
    if (rc != CORE_ENOTFOUND) {
        return rc;
    }
    *ok = true;
    unsigned char *fresh = NULL;
    rc = bot_crypto_seal(crypto, CHECK_TEXT, strlen(CHECK_TEXT), CHECK_AD, &fresh, &sealed_len);
    if (rc == CORE_OK && sealed_len * 2 + 1 > sizeof hex) {
        rc = CORE_ETOOBIG;
    }
    if (rc == CORE_OK) {
        bot_crypto_hex(fresh, sealed_len, hex);
        rc = db_meta_set(db, META_KEY_CHECK, hex);
    }
    free(fresh);
    return rc;
}

static int check_sign_key(struct db *db, const struct bot_crypto *crypto, bool *ok)
{
    unsigned char pk[BOT_PUBLIC_KEY_BYTES];
    char actual[SIGN_PK_HEX];
    char stored[SIGN_PK_HEX + 1];
    bot_crypto_public_key(crypto, pk);
    bot_crypto_hex(pk, sizeof pk, actual);
    int rc = db_meta_get(db, META_SIGN_PK, stored, sizeof stored);
    if (rc == CORE_OK) {
        *ok = strcmp(stored, actual) == 0;
        return CORE_OK;
    }
    *ok = true;
    return rc == CORE_ENOTFOUND ? db_meta_set(db, META_SIGN_PK, actual) : rc;
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
    bool seal_ok = false;
    bool sign_ok = false;
    rc = check_seal_key(db, crypto, &seal_ok);
    if (rc == CORE_OK) {
        rc = check_sign_key(db, crypto, &sign_ok);
    }
    if (rc != CORE_OK) {
        bot_crypto_close(crypto);
        snprintf(err, err_len, "cannot check the key file against the database: %s",
                 core_strerror(rc));
        return rc;
    }
    if (!seal_ok || !sign_ok) {
        bot_crypto_close(crypto);
        snprintf(err, err_len, "key file %s does not belong to this database (its %s key differs)",
                 path, !seal_ok ? "sealing" : "signing");
        return CORE_ECRYPTO;
    }
    *out = crypto;
    return CORE_OK;
}
