/* SPDX-License-Identifier: MIT
 * libsodium-backed sealing, keyed hashing, signatures, codes; the key file. */
#include "bot/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_FILE_MAGIC  "tabelbot-keys/1\n"
#define SEAL_KEY_BYTES  crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define HASH_KEY_BYTES  crypto_generichash_KEYBYTES
#define SIGN_SEED_BYTES crypto_sign_SEEDBYTES

struct keys {
    unsigned char seal[SEAL_KEY_BYTES];
    unsigned char hash[HASH_KEY_BYTES];
    unsigned char seed[SIGN_SEED_BYTES];
    unsigned char sign_pk[crypto_sign_PUBLICKEYBYTES];
    unsigned char sign_sk[crypto_sign_SECRETKEYBYTES];
};

struct bot_crypto {
    struct keys *keys; /* sodium_malloc'd, read-only after open */
};

enum { KEY_MATERIAL = SEAL_KEY_BYTES + HASH_KEY_BYTES + SIGN_SEED_BYTES };

static int write_new_key_file(const char *path)
{
    unsigned char material[KEY_MATERIAL];
    char hex[KEY_MATERIAL * 2 + 1];
    randombytes_buf(material, sizeof material);
    sodium_bin2hex(hex, sizeof hex, material, sizeof material);
    sodium_memzero(material, sizeof material);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        sodium_memzero(hex, sizeof hex);
        return CORE_EIO;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        sodium_memzero(hex, sizeof hex);
        return CORE_EIO;
    }
    int ok = fprintf(f, "%s%s\n", KEY_FILE_MAGIC, hex) > 0;
    ok = fflush(f) == 0 && fsync(fd) == 0 && ok;
    fclose(f);
    sodium_memzero(hex, sizeof hex);
    return ok ? CORE_OK : CORE_EIO;
}

static int read_key_file(const char *path, unsigned char material[KEY_MATERIAL])
{
    /* Open once and check what was opened (no stat-then-open race); never follow a link. */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return errno == ENOENT ? CORE_ENOTFOUND : CORE_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & (S_IRWXG | S_IRWXO))) {
        close(fd);
        return CORE_ECRYPTO; /* not a plain file, or readable by others: refuse to trust it */
    }
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        return CORE_EIO;
    }
    char text[sizeof KEY_FILE_MAGIC + KEY_MATERIAL * 2 + 8] = {0};
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    size_t magic = strlen(KEY_FILE_MAGIC);
    size_t bin_len = 0;
    int rc = CORE_ECRYPTO;
    if (n > magic && memcmp(text, KEY_FILE_MAGIC, magic) == 0 &&
        sodium_hex2bin(material, KEY_MATERIAL, text + magic, n - magic, "\n", &bin_len, NULL) ==
            0 &&
        bin_len == KEY_MATERIAL) {
        rc = CORE_OK;
    }
    sodium_memzero(text, sizeof text);
    return rc;
}

static int load_material(const char *path, bool create, unsigned char material[KEY_MATERIAL])
{
    int rc = read_key_file(path, material);
    if (rc == CORE_ENOTFOUND && create) {
        rc = write_new_key_file(path);
        if (rc == CORE_OK) {
            rc = read_key_file(path, material);
        }
    }
    return rc;
}

int bot_crypto_open(const char *key_file, bool create_if_missing, struct bot_crypto **out)
{
    if (sodium_init() < 0) {
        return CORE_ECRYPTO;
    }
    unsigned char material[KEY_MATERIAL];
    int rc = load_material(key_file, create_if_missing, material);
    if (rc != CORE_OK) {
        sodium_memzero(material, sizeof material); /* a partial decode may have written some */
        return rc;
    }
    struct bot_crypto *crypto = calloc(1, sizeof *crypto);
    struct keys *keys = sodium_malloc(sizeof *keys);
    if (!crypto || !keys) {
        free(crypto);
        if (keys) {
            sodium_free(keys);
        }
        sodium_memzero(material, sizeof material);
        return CORE_ENOMEM;
    }
    memcpy(keys->seal, material, SEAL_KEY_BYTES);
    memcpy(keys->hash, material + SEAL_KEY_BYTES, HASH_KEY_BYTES);
    memcpy(keys->seed, material + SEAL_KEY_BYTES + HASH_KEY_BYTES, SIGN_SEED_BYTES);
    sodium_memzero(material, sizeof material);
    crypto_sign_seed_keypair(keys->sign_pk, keys->sign_sk, keys->seed);
    sodium_mprotect_readonly(keys);
    crypto->keys = keys;
    *out = crypto;
    return CORE_OK;
}

void bot_crypto_close(struct bot_crypto *crypto)
{
    if (!crypto) {
        return;
    }
    sodium_free(crypto->keys); /* sodium_free wipes the memory */
    free(crypto);
}

int bot_crypto_seal(const struct bot_crypto *crypto,
                    const void *plain,
                    size_t len,
                    const char *ad,
                    unsigned char **out,
                    size_t *out_len)
{
    enum { NONCE = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES };
    size_t total = NONCE + len + crypto_aead_xchacha20poly1305_ietf_ABYTES;
    unsigned char *sealed = malloc(total);
    if (!sealed) {
        return CORE_ENOMEM;
    }
    randombytes_buf(sealed, NONCE);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(sealed + NONCE, &clen, plain, len,
                                               (const unsigned char *)ad, strlen(ad), NULL, sealed,
                                               crypto->keys->seal);
    *out = sealed;
    *out_len = NONCE + (size_t)clen;
    return CORE_OK;
}

int bot_crypto_unseal(const struct bot_crypto *crypto,
                      const unsigned char *sealed,
                      size_t len,
                      const char *ad,
                      unsigned char **out,
                      size_t *out_len)
{
    enum { NONCE = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES };
    if (!sealed || len < NONCE + crypto_aead_xchacha20poly1305_ietf_ABYTES) {
        return CORE_ECRYPTO;
    }
    size_t max_plain = len - NONCE - crypto_aead_xchacha20poly1305_ietf_ABYTES;
    unsigned char *plain = malloc(max_plain + 1);
    if (!plain) {
        return CORE_ENOMEM;
    }
    unsigned long long plen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plen, NULL, sealed + NONCE, len - NONCE,
                                                   (const unsigned char *)ad, strlen(ad), sealed,
                                                   crypto->keys->seal) != 0) {
        free(plain);
        return CORE_ECRYPTO;
    }
    plain[plen] = 0;
    *out = plain;
    *out_len = (size_t)plen;
    return CORE_OK;
}

void bot_crypto_hash(const struct bot_crypto *crypto,
                     const char *domain,
                     const void *data,
                     size_t len,
                     unsigned char out[BOT_HASH_BYTES])
{
    crypto_generichash_state state;
    crypto_generichash_init(&state, crypto->keys->hash, HASH_KEY_BYTES, BOT_HASH_BYTES);
    crypto_generichash_update(&state, (const unsigned char *)domain, strlen(domain) + 1);
    crypto_generichash_update(&state, data, len);
    crypto_generichash_final(&state, out, BOT_HASH_BYTES);
}

void bot_crypto_sign(const struct bot_crypto *crypto,
                     const void *msg,
                     size_t len,
                     unsigned char sig[BOT_SIGNATURE_BYTES])
{
    crypto_sign_detached(sig, NULL, msg, len, crypto->keys->sign_sk);
}

bool bot_crypto_verify(const unsigned char public_key[BOT_PUBLIC_KEY_BYTES],
                       const void *msg,
                       size_t len,
                       const unsigned char sig[BOT_SIGNATURE_BYTES])
{
    return crypto_sign_verify_detached(sig, msg, len, public_key) == 0;
}

void bot_crypto_public_key(const struct bot_crypto *crypto, unsigned char out[BOT_PUBLIC_KEY_BYTES])
{
    memcpy(out, crypto->keys->sign_pk, BOT_PUBLIC_KEY_BYTES);
}

void bot_crypto_random_code(char out[7])
{
    uint32_t n = randombytes_uniform(1000000);
    snprintf(out, 7, "%06u", (unsigned)n);
}

uint32_t bot_crypto_random_below(uint32_t upper)
{
    return randombytes_uniform(upper);
}

bool bot_crypto_equal(const void *a, const void *b, size_t len)
{
    return sodium_memcmp(a, b, len) == 0;
}

void bot_crypto_hex(const unsigned char *bytes, size_t len, char *out)
{
    sodium_bin2hex(out, len * 2 + 1, bytes, len);
}
