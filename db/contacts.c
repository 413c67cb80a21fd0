/* SPDX-License-Identifier: MIT
 * Contacts storage: channel identities and their link to a parent. */
#include "db/contacts.h"

#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"

#define CONTACT_COLUMNS                                                                            \
    "id, channel, user_hash, address_enc, parent_id, language, reminders, reachable,"              \
    " consent_version, consent_at, linked_at, created_at"

static int read_contact(sqlite3_stmt *stmt, struct db_contact *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(stmt, 0);
    db__copy_text(stmt, 1, out->channel, sizeof out->channel);
    const void *hash = sqlite3_column_blob(stmt, 2);
    if (!hash || sqlite3_column_bytes(stmt, 2) != DB_HASH_BYTES) {
        return CORE_EDB;
    }
    memcpy(out->user_hash, hash, DB_HASH_BYTES);
    const void *address = sqlite3_column_blob(stmt, 3);
    int address_len = sqlite3_column_bytes(stmt, 3);
    if (!address || address_len <= 0 || address_len > DB_CONTACT_ADDRESS_MAX) {
        return CORE_EDB;
    }
    memcpy(out->address_enc, address, (size_t)address_len);
    out->address_len = (size_t)address_len;
    out->parent_id = sqlite3_column_int64(stmt, 4);
    db__copy_text(stmt, 5, out->language, sizeof out->language);
    out->reminders = sqlite3_column_int(stmt, 6) != 0;
    out->reachable = sqlite3_column_int(stmt, 7) != 0;
    db__copy_text(stmt, 8, out->consent_version, sizeof out->consent_version);
    out->consent_at = sqlite3_column_int64(stmt, 9);
    out->linked_at = sqlite3_column_int64(stmt, 10);
    out->created_at = sqlite3_column_int64(stmt, 11);
    return CORE_OK;
}

/* Steps a statement expected to yield at most one contact row. */
static int fetch_one(struct db *db, sqlite3_stmt *stmt, struct db_contact *out)
{
    int rc = sqlite3_step(stmt);
    int err;
    if (rc == SQLITE_ROW) {
        err = read_contact(stmt, out);
    } else if (rc == SQLITE_DONE) {
        err = CORE_ENOTFOUND;
    } else {
        err = db__err(db, rc);
    }
    sqlite3_reset(stmt);
    return err;
}

static bool channel_ok(const char *channel)
{
    return channel && channel[0] && strlen(channel) < DB_CHANNEL_MAX;
}

int db_contact_find(struct db *db,
                    const char *channel,
                    const unsigned char user_hash[DB_HASH_BYTES],
                    struct db_contact *out)
{
    static const char sql[] =
        "SELECT " CONTACT_COLUMNS " FROM contacts WHERE channel = ?1 AND user_hash = ?2";
    if (!channel_ok(channel) || !user_hash) {
        return CORE_EINVAL;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_text(stmt, 1, channel, -1, SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 2, user_hash, DB_HASH_BYTES, SQLITE_STATIC);
    return fetch_one(db, stmt, out);
}

int db_contact_find_or_create(struct db *db,
                              const char *channel,
                              const unsigned char user_hash[DB_HASH_BYTES],
                              const unsigned char *address_enc,
                              size_t address_len,
                              int64_t now,
                              struct db_contact *out,
                              bool *created)
{
    static const char sql[] =
        "INSERT INTO contacts (channel, user_hash, address_enc, created_at)"
        " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (channel, user_hash) DO NOTHING";
    if (!channel_ok(channel) || !user_hash || !address_enc || address_len == 0 ||
        address_len > DB_CONTACT_ADDRESS_MAX) {
        return CORE_EINVAL;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_text(stmt, 1, channel, -1, SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 2, user_hash, DB_HASH_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 3, address_enc, (int)address_len, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, now);
    int err = db__exec_stmt(db, stmt);
    if (err != CORE_OK) {
        return err;
    }
    bool inserted = sqlite3_changes(db__conn(db)) == 1;
    err = db_contact_find(db, channel, user_hash, out);
    if (err == CORE_OK && created) {
        *created = inserted;
    }
    return err == CORE_ENOTFOUND ? CORE_EDB : err;
}

int db_contact_get(struct db *db, int64_t id, struct db_contact *out)
{
    static const char sql[] = "SELECT " CONTACT_COLUMNS " FROM contacts WHERE id = ?1";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, id);
    return fetch_one(db, stmt, out);
}

/* Runs an UPDATE/DELETE whose ?1 is the contact id; no row touched is CORE_ENOTFOUND. */
static int change_one(struct db *db, sqlite3_stmt *stmt)
{
    int err = db__exec_stmt(db, stmt);
    if (err != CORE_OK) {
        return err;
    }
    return sqlite3_changes(db__conn(db)) == 1 ? CORE_OK : CORE_ENOTFOUND;
}

int db_contact_link(struct db *db,
                    int64_t id,
                    int64_t parent_id,
                    const char *consent_version,
                    int64_t consent_at,
                    int64_t linked_at)
{
    /* A new consent by the same parent (a new policy version) keeps the original link time. */
    static const char sql[] =
        "UPDATE contacts SET consent_version = ?3, consent_at = ?4,"
        " linked_at = CASE WHEN parent_id = ?2 AND linked_at IS NOT NULL THEN linked_at"
        "             ELSE ?5 END,"
        " parent_id = ?2 WHERE id = ?1";
    if (parent_id <= 0 || !consent_version || !consent_version[0] ||
        strlen(consent_version) >= DB_CONSENT_VERSION_MAX) {
        return CORE_EINVAL;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, parent_id);
    sqlite3_bind_text(stmt, 3, consent_version, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, consent_at);
    sqlite3_bind_int64(stmt, 5, linked_at);
    return change_one(db, stmt);
}

int db_contact_unlink(struct db *db, int64_t id)
{
    static const char sql[] = "UPDATE contacts SET parent_id = NULL, consent_version = NULL,"
                              " consent_at = NULL, linked_at = NULL WHERE id = ?1";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, id);
    return change_one(db, stmt);
}

int db_contact_set_language(struct db *db, int64_t id, const char *lang)
{
    static const char sql[] = "UPDATE contacts SET language = ?2 WHERE id = ?1";
    if (!lang || (strcmp(lang, "kk") != 0 && strcmp(lang, "ru") != 0 && strcmp(lang, "en") != 0)) {
        return CORE_EINVAL;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_text(stmt, 2, lang, -1, SQLITE_STATIC);
    return change_one(db, stmt);
}

int db_contact_set_reminders(struct db *db, int64_t id, bool on)
{
    static const char sql[] = "UPDATE contacts SET reminders = ?2 WHERE id = ?1";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int(stmt, 2, on ? 1 : 0);
    return change_one(db, stmt);
}

int db_contact_set_reachable(struct db *db, int64_t id, bool reachable)
{
    static const char sql[] = "UPDATE contacts SET reachable = ?2 WHERE id = ?1";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int(stmt, 2, reachable ? 1 : 0);
    return change_one(db, stmt);
}

int db_contact_list_by_parent(
    struct db *db, int64_t parent_id, struct db_contact *out, size_t max, size_t *count)
{
    static const char sql[] =
        "SELECT " CONTACT_COLUMNS " FROM contacts WHERE parent_id = ?1 ORDER BY id LIMIT ?2";
    *count = 0;
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, parent_id);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)max);
    int rc;
    int err = CORE_OK;
    while (err == CORE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        err = read_contact(stmt, &out[*count]);
        if (err == CORE_OK) {
            (*count)++;
        }
    }
    if (err == CORE_OK && rc != SQLITE_DONE) {
        err = db__err(db, rc);
    }
    sqlite3_reset(stmt);
    if (err != CORE_OK) {
        *count = 0;
    }
    return err;
}

int db_contact_erase(struct db *db, int64_t id)
{
    static const char drop_notes[] = "UPDATE escalations SET note_enc = NULL WHERE contact_id = ?1";
    static const char retire_codes[] =
        "UPDATE otp SET status = 'superseded' WHERE contact_id = ?1 AND status = 'live'";
    static const char sql[] = "DELETE FROM contacts WHERE id = ?1";
    static const char *const before[] = {drop_notes, retire_codes};
    for (size_t i = 0; i < sizeof before / sizeof before[0]; i++) {
        sqlite3_stmt *stmt = db__stmt(db, before[i]);
        if (!stmt) {
            return CORE_EDB;
        }
        sqlite3_bind_int64(stmt, 1, id);
        int err = db__exec_stmt(db, stmt);
        if (err != CORE_OK) {
            return err;
        }
    }
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, id);
    return change_one(db, stmt);
}
