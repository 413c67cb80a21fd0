/* SPDX-License-Identifier: MIT
 * The meta table: small service-wide key/value facts (the audit chain head, ...). Keys are
 * static ASCII names owned by the module that writes them; values never hold personal data. */
#ifndef DB_META_H
#define DB_META_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

struct db;

/** Copies the value into out (NUL-terminated). CORE_ENOTFOUND when the key is absent,
 * CORE_ETOOBIG when out is too small (nothing useful is copied then). */
CORE_NODISCARD int db_meta_get(struct db *db, const char *key, char *out, size_t out_len);
/** Whether any table that holds sealed data has a row (parents, contacts, inbox, outbox):
 * such a database must never be given a freshly created key. */
CORE_NODISCARD int db_holds_sealed_data(struct db *db, bool *yes);
/** Inserts or replaces. */
CORE_NODISCARD int db_meta_set(struct db *db, const char *key, const char *value);

#endif
