/* SPDX-License-Identifier: MIT
 * Cryptography of the service, on libsodium (DESIGN.md §8, §9):
 * - sealing personal data at rest: XChaCha20-Poly1305 AEAD with a random nonce, the table and
 *   column name as associated data so a ciphertext cannot be moved to another column;
 * - keyed lookup hashes: BLAKE2b-256 keyed, with a domain string ("iin", "phone", "chat", ...);
 * - receipt signatures: Ed25519 over a canonical record;
 * - one-time codes: 6 uniform digits from the system RNG.
 * Keys live in one key file outside the database (created with mode 0600 when allowed), held in
 * sodium_malloc'd memory and wiped on close. Nothing here logs. */
#ifndef BOT_CRYPTO_H
#define BOT_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define BOT_HASH_BYTES       32
#define BOT_SIGNATURE_BYTES  64
#define BOT_PUBLIC_KEY_BYTES 32

struct bot_crypto;

/** Initialises libsodium and loads (or, when allowed and missing, creates) the key file.
 * The file holds the sealing key, the hashing key and the Ed25519 seed. *out is owned by the
 * caller: release with bot_crypto_close. A malformed or world-readable key file is an error. */
CORE_NODISCARD int
bot_crypto_open(const char *key_file, bool create_if_missing, struct bot_crypto **out);
void bot_crypto_close(struct bot_crypto *crypto);

/** Seals plain (len bytes) for the column named by `ad` ("parents.pii_enc").
 * *out is malloc'd and owned by the caller (free()). */
CORE_NODISCARD int bot_crypto_seal(const struct bot_crypto *crypto,
                                   const void *plain,
                                   size_t len,
                                   const char *ad,
                                   unsigned char **out,
                                   size_t *out_len);
/** Opens what seal produced for the same `ad`. *out is malloc'd, NUL-terminated (one extra
 * byte, not counted in *out_len) and owned by the caller. Tampering is CORE_ECRYPTO. */
CORE_NODISCARD int bot_crypto_unseal(const struct bot_crypto *crypto,
                                     const unsigned char *sealed,
                                     size_t len,
                                     const char *ad,
                                     unsigned char **out,
                                     size_t *out_len);

/** Keyed, domain-separated hash for lookups: out = BLAKE2b-256(key, domain || 0 || data). */
void bot_crypto_hash(const struct bot_crypto *crypto,
                     const char *domain,
                     const void *data,
                     size_t len,
                     unsigned char out[BOT_HASH_BYTES]);

/** Ed25519 detached signature of msg. */
void bot_crypto_sign(const struct bot_crypto *crypto,
                     const void *msg,
                     size_t len,
                     unsigned char sig[BOT_SIGNATURE_BYTES]);
/** Verifies with any public key (so a receipt can be checked without the service). */
bool bot_crypto_verify(const unsigned char public_key[BOT_PUBLIC_KEY_BYTES],
                       const void *msg,
                       size_t len,
                       const unsigned char sig[BOT_SIGNATURE_BYTES]);
void bot_crypto_public_key(const struct bot_crypto *crypto,
                           unsigned char out[BOT_PUBLIC_KEY_BYTES]);

/** Six uniformly random digits and a NUL (out has 7 bytes). */
void bot_crypto_random_code(char out[7]);
/** Uniform random integer in [0, upper). */
uint32_t bot_crypto_random_below(uint32_t upper);
/** Constant-time equality of two byte strings of the same length. */
bool bot_crypto_equal(const void *a, const void *b, size_t len);
/** Lowercase hex of bytes into out (2*len+1 bytes). */
void bot_crypto_hex(const unsigned char *bytes, size_t len, char *out);

#endif
