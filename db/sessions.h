/* SPDX-License-Identifier: MIT
 * Dialog sessions: one sealed state blob per contact (the caller seals the encoded dialog state
 * with ad "sessions.state_enc"; db/ only stores bytes). Deleted with its contact. */
#ifndef DB_SESSIONS_H
#define DB_SESSIONS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

/** Loads the state of a contact. On success *state_enc is malloc'd (NUL-terminated one byte past
 * *len, for convenience) and owned by the caller (free()). CORE_ENOTFOUND when there is none. */
CORE_NODISCARD int
db_session_load(struct db *db, int64_t contact_id, unsigned char **state_enc, size_t *len);
/** Inserts or replaces the state (len >= 1) and stamps updated_at = now. CORE_EDB when the
 * contact does not exist (foreign key). */
CORE_NODISCARD int db_session_save(
    struct db *db, int64_t contact_id, const unsigned char *state_enc, size_t len, int64_t now);
/** Deletes the state; deleting a missing state is not an error. */
CORE_NODISCARD int db_session_delete(struct db *db, int64_t contact_id);

#endif
