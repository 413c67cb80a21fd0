/* SPDX-License-Identifier: MIT
 * The key file and the database belong together: the database remembers the id of the key
 * that sealed its data (meta "crypto.key_id", a keyed hash that reveals nothing of the key),
 * a sentinel sealed with its sealing key ("crypto.key_check") and its signing public key
 * ("crypto.sign_pk"), so a file that differs in any of its three keys is refused.
 * Opening with another key file is refused (it could read nothing stored and would seal new
 * data no old key can read), and a missing key file is created only for a database that has
 * never had one — never silently next to a database full of sealed data. */
#ifndef BOT_KEYSTORE_H
#define BOT_KEYSTORE_H

#include <stddef.h>

#include "bot/config.h"
#include "bot/crypto.h"
#include "core/err.h"

struct db;

/** Opens cfg->security.data_key_file for the open, migrated db. On success *out is owned by
 * the caller (bot_crypto_close). On failure one line goes to err: CORE_ECRYPTO for a key that
 * belongs to another database, CORE_ENOTFOUND for a missing key the database needs. */
CORE_NODISCARD int bot_keystore_open(struct db *db,
                                     const struct bot_config *cfg,
                                     struct bot_crypto **out,
                                     char *err,
                                     size_t err_len);

#endif
