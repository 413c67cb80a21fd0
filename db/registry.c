/* SPDX-License-Identifier: MIT
 * Registry SQL: upserts with change detection (so a re-import rewrites nothing it already
 * holds), the dialog's lookups, the pending-only decision write, counts, and the on-disk import
 * scratch table used for duplicate and reference checks. Blobs are opaque here. */
#include "db/registry.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"

static const char *const ts_status_names[] = {"pending", "confirmed", "disputed"};

const char *db_ts_status_name(enum db_ts_status status)
{
    return (unsigned)status < 3 ? ts_status_names[status] : "pending";
}

static enum db_ts_status ts_status_parse(const unsigned char *text)
{
    for (int i = 0; i < 3; i++) {
        if (text && strcmp((const char *)text, ts_status_names[i]) == 0) {
            return (enum db_ts_status)i;
        }
    }
    return DB_TS_PENDING;
}

/* ---- binding helpers: every value bound by copy; NULL pointers bind SQL NULL ---- */

static int bind_text(struct db *db, sqlite3_stmt *stmt, int idx, const char *text)
{
    int rc = text ? sqlite3_bind_text(stmt, idx, text, -1, SQLITE_TRANSIENT)
                  : sqlite3_bind_null(stmt, idx);
    return db__err(db, rc);
}

static int bind_blob(struct db *db, sqlite3_stmt *stmt, int idx, const void *blob, size_t len)
{
    if (len > INT_MAX) {
        return CORE_ETOOBIG;
    }
    int rc = blob ? sqlite3_bind_blob(stmt, idx, blob, (int)len, SQLITE_TRANSIENT)
                  : sqlite3_bind_null(stmt, idx);
    return db__err(db, rc);
}

static int bind_int(struct db *db, sqlite3_stmt *stmt, int idx, int64_t value)
{
    return db__err(db, sqlite3_bind_int64(stmt, idx, value));
}

/* Steps a query expected to give at most one row. CORE_OK with *row set when it did.
 * The statement is left positioned on the row (the caller reads then resets). */
static int step_row(struct db *db, sqlite3_stmt *stmt, bool *row)
{
    int rc = sqlite3_step(stmt);
    *row = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        return CORE_OK;
    }
    int err = db__err(db, rc);
    sqlite3_reset(stmt);
    return err;
}

static bool column_blob_equals(sqlite3_stmt *stmt, int col, const unsigned char *bytes, size_t len)
{
    if (sqlite3_column_type(stmt, col) == SQLITE_NULL) {
        return bytes == NULL;
    }
    const void *blob = sqlite3_column_blob(stmt, col);
    int n = sqlite3_column_bytes(stmt, col);
    return bytes && n >= 0 && (size_t)n == len && (len == 0 || memcmp(blob, bytes, len) == 0);
}

static bool column_text_equals(sqlite3_stmt *stmt, int col, const char *text)
{
    const unsigned char *value = sqlite3_column_text(stmt, col);
    if (!value || !text) {
        return !value && !text;
    }
    return strcmp((const char *)value, text) == 0;
}

/* ---- kindergartens ---- */

static int kindergarten_exists(struct db *db, const char *id, bool *exists)
{
    static const char sql[] = "SELECT 1 FROM kindergartens WHERE id = ?1";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    int err = bind_text(db, stmt, 1, id);
    if (err == CORE_OK) {
        err = step_row(db, stmt, exists);
    }
    sqlite3_reset(stmt);
    return err;
}

int db_kindergarten_upsert(struct db *db,
                           const struct db_kindergarten *kg,
                           int64_t now,
                           enum db_upsert *out)
{
    static const char sql[] =
        "INSERT INTO kindergartens (id, city, name_kk, name_ru, name_en, updated_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        " ON CONFLICT (id) DO UPDATE SET city = excluded.city, name_kk = excluded.name_kk,"
        "  name_ru = excluded.name_ru, name_en = excluded.name_en,"
        "  updated_at = excluded.updated_at"
        " WHERE city IS NOT excluded.city OR name_kk IS NOT excluded.name_kk"
        "  OR name_ru IS NOT excluded.name_ru OR name_en IS NOT excluded.name_en";
    bool existed = false;
    int err = kindergarten_exists(db, kg->id, &existed);
    if (err != CORE_OK) {
        return err;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    err = bind_text(db, stmt, 1, kg->id);
    err = err ? err : bind_text(db, stmt, 2, kg->city);
    err = err ? err : bind_text(db, stmt, 3, kg->name_kk);
    err = err ? err : bind_text(db, stmt, 4, kg->name_ru);
    err = err ? err : bind_text(db, stmt, 5, kg->name_en);
    err = err ? err : bind_int(db, stmt, 6, now);
    err = err ? err : db__exec_stmt(db, stmt);
    if (err == CORE_OK && out) {
        bool changed = sqlite3_changes(db__conn(db)) > 0;
        *out = !existed ? DB_UPSERT_INSERTED : changed ? DB_UPSERT_UPDATED : DB_UPSERT_UNCHANGED;
    }
    sqlite3_reset(stmt);
    return err;
}

/* ---- parents ---- */

struct parent_current {
    bool found;
    bool same;
    int64_t id;
};

static int parent_current(struct db *db, const struct db_parent_in *p, struct parent_current *cur)
{
    static const char sql[] =
        "SELECT id, phone_hash, pii_hash, language FROM parents WHERE iin_hash = ?1";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    int err = bind_blob(db, stmt, 1, p->iin_hash, DB_HASH_BYTES);
    err = err ? err : step_row(db, stmt, &cur->found);
    if (err == CORE_OK && cur->found) {
        cur->id = sqlite3_column_int64(stmt, 0);
        cur->same = column_blob_equals(stmt, 1, p->phone_hash, DB_HASH_BYTES) &&
                    column_blob_equals(stmt, 2, p->pii_hash, DB_HASH_BYTES) &&
                    column_text_equals(stmt, 3, p->language);
    }
    sqlite3_reset(stmt);
    return err;
}

static int parent_write(struct db *db, const struct db_parent_in *p, int64_t now, int64_t id)
{
    static const char insert_sql[] =
        "INSERT INTO parents (iin_hash, phone_hash, pii_enc, pii_hash, language, updated_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    static const char update_sql[] =
        "UPDATE parents SET iin_hash = ?1, phone_hash = ?2, pii_enc = ?3, pii_hash = ?4,"
        " language = ?5, updated_at = ?6 WHERE id = ?7";
    sqlite3_stmt *stmt = db__stmt(db, id ? update_sql : insert_sql);
    if (!stmt) {
        return CORE_EDB;
    }
    int err = bind_blob(db, stmt, 1, p->iin_hash, DB_HASH_BYTES);
    err = err ? err : bind_blob(db, stmt, 2, p->phone_hash, DB_HASH_BYTES);
    err = err ? err : bind_blob(db, stmt, 3, p->pii_enc, p->pii_len);
    err = err ? err : bind_blob(db, stmt, 4, p->pii_hash, DB_HASH_BYTES);
    err = err ? err : bind_text(db, stmt, 5, p->language);
    err = err ? err : bind_int(db, stmt, 6, now);
    if (id) {
        err = err ? err : bind_int(db, stmt, 7, id);
    }
    err = err ? err : db__exec_stmt(db, stmt);
    sqlite3_reset(stmt);
    return err;
}

int db_parent_upsert(
    struct db *db, const struct db_parent_in *parent, int64_t now, int64_t *id, enum db_upsert *out)
{
    if (!parent->iin_hash || !parent->phone_hash || !parent->pii_hash || !parent->pii_enc ||
        !parent->language) {
        return CORE_EINVAL;
    }
    struct parent_current cur = {0};
    int err = parent_current(db, parent, &cur);
    if (err != CORE_OK) {
        return err;
    }
    enum db_upsert what = DB_UPSERT_UNCHANGED;
    if (!cur.found || !cur.same) {
        err = parent_write(db, parent, now, cur.found ? cur.id : 0);
        if (err != CORE_OK) {
            return err;
        }
        what = cur.found ? DB_UPSERT_UPDATED : DB_UPSERT_INSERTED;
    }
    *id = cur.found ? cur.id : sqlite3_last_insert_rowid(db__conn(db));
    if (out) {
        *out = what;
    }
    return CORE_OK;
}

/* ---- children ---- */

static int child_current(struct db *db, const struct db_child_in *c, bool *found, bool *same)
{
    static const char sql[] =
        "SELECT parent_id, kindergarten_id, pii_hash FROM children WHERE id = ?1";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    int err = bind_text(db, stmt, 1, c->id);
    err = err ? err : step_row(db, stmt, found);
    if (err == CORE_OK && *found) {
        *same = sqlite3_column_int64(stmt, 0) == c->parent_id &&
                column_text_equals(stmt, 1, c->kindergarten_id) &&
                column_blob_equals(stmt, 2, c->pii_hash, DB_HASH_BYTES);
    }
    sqlite3_reset(stmt);
    return err;
}

int db_child_upsert(struct db *db,
                    const struct db_child_in *child,
                    int64_t now,
                    enum db_upsert *out)
{
    static const char sql[] =
        "INSERT INTO children (id, parent_id, kindergarten_id, pii_enc, pii_hash, updated_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        " ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id,"
        "  kindergarten_id = excluded.kindergarten_id, pii_enc = excluded.pii_enc,"
        "  pii_hash = excluded.pii_hash, updated_at = excluded.updated_at";
    if (!child->id || !child->kindergarten_id || !child->pii_hash || !child->pii_enc) {
        return CORE_EINVAL;
    }
    bool found = false;
    bool same = false;
    int err = child_current(db, child, &found, &same);
    if (err != CORE_OK || (found && same)) {
        if (err == CORE_OK && out) {
            *out = DB_UPSERT_UNCHANGED;
        }
        return err;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    err = bind_text(db, stmt, 1, child->id);
    err = err ? err : bind_int(db, stmt, 2, child->parent_id);
    err = err ? err : bind_text(db, stmt, 3, child->kindergarten_id);
    err = err ? err : bind_blob(db, stmt, 4, child->pii_enc, child->pii_len);
    err = err ? err : bind_blob(db, stmt, 5, child->pii_hash, DB_HASH_BYTES);
    err = err ? err : bind_int(db, stmt, 6, now);
    err = err ? err : db__exec_stmt(db, stmt);
    sqlite3_reset(stmt);
    if (err == CORE_OK && out) {
        *out = found ? DB_UPSERT_UPDATED : DB_UPSERT_INSERTED;
    }
    return err;
}

/* ---- vouchers ---- */

static int
voucher_current(struct db *db, const char *child_id, const char *number, bool cancelled, int *state)
{
    /* state: 0 none, 1 same number other status, 2 same number and status, 3 other number */
    static const char sql[] = "SELECT number, status FROM vouchers WHERE child_id = ?1";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    bool row = false;
    int err = bind_text(db, stmt, 1, child_id);
    err = err ? err : step_row(db, stmt, &row);
    *state = 0;
    if (err == CORE_OK && row) {
        if (!column_text_equals(stmt, 0, number)) {
            *state = 3;
        } else {
            *state = column_text_equals(stmt, 1, cancelled ? "cancelled" : "active") ? 2 : 1;
        }
    }
    sqlite3_reset(stmt);
    return err;
}

static int voucher_drop_other(struct db *db, const char *child_id)
{
    static const char sql[] = "DELETE FROM vouchers WHERE child_id = ?1";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    int err = bind_text(db, stmt, 1, child_id);
    err = err ? err : db__exec_stmt(db, stmt);
    sqlite3_reset(stmt);
    return err;
}

int db_voucher_upsert(struct db *db,
                      const char *number,
                      const char *child_id,
                      bool cancelled,
                      int64_t now,
                      enum db_upsert *out)
{
    static const char sql[] =
        "INSERT INTO vouchers (number, child_id, status, updated_at) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (number) DO UPDATE SET child_id = excluded.child_id,"
        "  status = excluded.status, updated_at = excluded.updated_at";
    if (!number || !child_id) {
        return CORE_EINVAL;
    }
    int state = 0;
    int err = voucher_current(db, child_id, number, cancelled, &state);
    if (err == CORE_OK && state == 3) {
        err = voucher_drop_other(db, child_id);
    }
    if (err != CORE_OK || state == 2) {
        if (err == CORE_OK && out) {
            *out = DB_UPSERT_UNCHANGED;
        }
        return err;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    err = bind_text(db, stmt, 1, number);
    err = err ? err : bind_text(db, stmt, 2, child_id);
    err = err ? err : bind_text(db, stmt, 3, cancelled ? "cancelled" : "active");
    err = err ? err : bind_int(db, stmt, 4, now);
    err = err ? err : db__exec_stmt(db, stmt);
    sqlite3_reset(stmt);
    if (err == CORE_OK && out) {
        *out = state == 0 ? DB_UPSERT_INSERTED : DB_UPSERT_UPDATED;
    }
    return err;
}

/* ---- timesheets: writes ---- */

enum ts_current { TS_NONE, TS_PENDING_SAME, TS_PENDING_OTHER, TS_DECIDED_SAME, TS_DECIDED_OTHER };

static int timesheet_current(struct db *db, const struct db_timesheet_in *ts, enum ts_current *cur)
{
    static const char sql[] = "SELECT days, status FROM timesheets"
                              " WHERE child_id = ?1 AND month = ?2";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    bool row = false;
    int err = bind_text(db, stmt, 1, ts->child_id);
    err = err ? err : bind_text(db, stmt, 2, ts->month);
    err = err ? err : step_row(db, stmt, &row);
    *cur = TS_NONE;
    if (err == CORE_OK && row) {
        enum db_ts_status status = ts_status_parse(sqlite3_column_text(stmt, 1));
        bool same = column_text_equals(stmt, 0, ts->days) && status == ts->status;
        if (status == DB_TS_PENDING) {
            *cur = same ? TS_PENDING_SAME : TS_PENDING_OTHER;
        } else {
            /* The same decision reported back with its own time is not a conflict. */
            *cur = same ? TS_DECIDED_SAME : TS_DECIDED_OTHER;
        }
    }
    sqlite3_reset(stmt);
    return err;
}

static int timesheet_write(struct db *db, const struct db_timesheet_in *ts, int64_t now)
{
    /* The WHERE keeps the pending-only rule inside the statement too. */
    static const char sql[] =
        "INSERT INTO timesheets (child_id, month, days, status, decided_at, decided_via,"
        "  dispute_reason_enc, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        " ON CONFLICT (child_id, month) DO UPDATE SET days = excluded.days,"
        "  status = excluded.status, decided_at = excluded.decided_at,"
        "  decided_via = excluded.decided_via, dispute_reason_enc = excluded.dispute_reason_enc,"
        "  updated_at = excluded.updated_at"
        " WHERE timesheets.status = 'pending'";
    bool decided = ts->status != DB_TS_PENDING;
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    int err = bind_text(db, stmt, 1, ts->child_id);
    err = err ? err : bind_text(db, stmt, 2, ts->month);
    err = err ? err : bind_text(db, stmt, 3, ts->days);
    err = err ? err : bind_text(db, stmt, 4, db_ts_status_name(ts->status));
    if (decided) {
        err = err ? err : bind_int(db, stmt, 5, ts->decided_at);
        err = err ? err : bind_text(db, stmt, 6, "portal");
        err = err ? err : bind_blob(db, stmt, 7, ts->dispute_reason_enc, ts->dispute_reason_len);
    }
    err = err ? err : bind_int(db, stmt, 8, now);
    err = err ? err : db__exec_stmt(db, stmt);
    sqlite3_reset(stmt);
    return err;
}

int db_timesheet_upsert(struct db *db,
                        const struct db_timesheet_in *ts,
                        int64_t now,
                        enum db_upsert *out)
{
    if (!ts->child_id || !ts->month || !ts->days || (unsigned)ts->status > DB_TS_DISPUTED) {
        return CORE_EINVAL;
    }
    enum ts_current cur = TS_NONE;
    int err = timesheet_current(db, ts, &cur);
    if (err != CORE_OK) {
        return err;
    }
    enum db_upsert what = DB_UPSERT_UNCHANGED;
    switch (cur) {
    case TS_NONE:
        what = DB_UPSERT_INSERTED;
        break;
    case TS_PENDING_OTHER:
        what = DB_UPSERT_UPDATED;
        break;
    case TS_DECIDED_OTHER:
        what = DB_UPSERT_KEPT;
        break;
    case TS_PENDING_SAME:
    case TS_DECIDED_SAME:
        break;
    }
    if (what == DB_UPSERT_INSERTED || what == DB_UPSERT_UPDATED) {
        err = timesheet_write(db, ts, now);
    }
    if (err == CORE_OK && out) {
        *out = what;
    }
    return err;
}

/* ---- the decision ---- */

static int timesheet_exists(struct db *db, const char *child_id, const char *month, bool *exists)
{
    static const char sql[] = "SELECT 1 FROM timesheets WHERE child_id = ?1 AND month = ?2";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    int err = bind_text(db, stmt, 1, child_id);
    err = err ? err : bind_text(db, stmt, 2, month);
    err = err ? err : step_row(db, stmt, exists);
    sqlite3_reset(stmt);
    return err;
}

int db_timesheet_decide(struct db *db, const struct db_decision *d)
{
    static const char sql[] =
        "UPDATE timesheets SET status = ?3, decided_at = ?4, decided_via = ?5,"
        " dispute_days = ?6, dispute_reason_enc = ?7, receipt = ?8, updated_at = ?4"
        " WHERE child_id = ?1 AND month = ?2 AND status = 'pending'";
    if (!d->child_id || !d->month || !d->via ||
        (d->status != DB_TS_CONFIRMED && d->status != DB_TS_DISPUTED)) {
        return CORE_EINVAL;
    }
    bool disputed = d->status == DB_TS_DISPUTED;
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    int err = bind_text(db, stmt, 1, d->child_id);
    err = err ? err : bind_text(db, stmt, 2, d->month);
    err = err ? err : bind_text(db, stmt, 3, db_ts_status_name(d->status));
    err = err ? err : bind_int(db, stmt, 4, d->decided_at);
    err = err ? err : bind_text(db, stmt, 5, d->via);
    err = err ? err : bind_text(db, stmt, 6, disputed ? d->dispute_days : NULL);
    err = err ? err
              : bind_blob(db, stmt, 7, disputed ? d->dispute_reason_enc : NULL,
                          d->dispute_reason_len);
    err = err ? err : bind_text(db, stmt, 8, d->receipt);
    err = err ? err : db__exec_stmt(db, stmt);
    sqlite3_reset(stmt);
    if (err != CORE_OK) {
        return err;
    }
    if (sqlite3_changes(db__conn(db)) > 0) {
        return CORE_OK;
    }
    bool exists = false;
    err = timesheet_exists(db, d->child_id, d->month, &exists);
    if (err != CORE_OK) {
        return err;
    }
    return exists ? CORE_ESTATE : CORE_ENOTFOUND;
}

/* ---- reads ---- */

static int parent_read(struct db *db, sqlite3_stmt *stmt, struct db_parent_row *out)
{
    bool row = false;
    int err = step_row(db, stmt, &row);
    if (err == CORE_OK && !row) {
        err = CORE_ENOTFOUND;
    }
    if (err == CORE_OK) {
        memset(out, 0, sizeof *out);
        out->id = sqlite3_column_int64(stmt, 0);
        const void *hash = sqlite3_column_blob(stmt, 1);
        if (hash && sqlite3_column_bytes(stmt, 1) == DB_HASH_BYTES) {
            memcpy(out->phone_hash, hash, DB_HASH_BYTES);
        }
        err = db__copy_blob(stmt, 2, &out->pii_enc, &out->pii_len);
        db__copy_text(stmt, 3, out->language, sizeof out->language);
    }
    sqlite3_reset(stmt);
    return err;
}

int db_parent_find_by_iin_hash(struct db *db,
                               const unsigned char iin_hash[DB_HASH_BYTES],
                               struct db_parent_row *out)
{
    static const char sql[] =
        "SELECT id, phone_hash, pii_enc, language FROM parents WHERE iin_hash = ?1";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    int err = bind_blob(db, stmt, 1, iin_hash, DB_HASH_BYTES);
    return err ? err : parent_read(db, stmt, out);
}

int db_parent_get(struct db *db, int64_t id, struct db_parent_row *out)
{
    static const char sql[] = "SELECT id, phone_hash, pii_enc, language FROM parents WHERE id = ?1";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    int err = bind_int(db, stmt, 1, id);
    return err ? err : parent_read(db, stmt, out);
}

void db_parent_row_cleanup(struct db_parent_row *row)
{
    free(row->pii_enc);
    row->pii_enc = NULL;
    row->pii_len = 0;
}

static int child_row_read(sqlite3_stmt *stmt, struct db_child_row *row)
{
    memset(row, 0, sizeof *row);
    db__copy_text(stmt, 0, row->id, sizeof row->id);
    db__copy_text(stmt, 1, row->kindergarten_id, sizeof row->kindergarten_id);
    db__copy_text(stmt, 2, row->kg_name_kk, sizeof row->kg_name_kk);
    db__copy_text(stmt, 3, row->kg_name_ru, sizeof row->kg_name_ru);
    db__copy_text(stmt, 4, row->kg_name_en, sizeof row->kg_name_en);
    db__copy_text(stmt, 5, row->voucher_number, sizeof row->voucher_number);
    row->voucher_cancelled = column_text_equals(stmt, 6, "cancelled");
    return db__copy_blob(stmt, 7, &row->pii_enc, &row->pii_len);
}

int db_children_of_parent(
    struct db *db, int64_t parent_id, struct db_child_row *out, size_t max, size_t *count)
{
    static const char sql[] =
        "SELECT c.id, c.kindergarten_id, k.name_kk, k.name_ru, COALESCE(k.name_en, ''),"
        "  COALESCE(v.number, ''), COALESCE(v.status, ''), c.pii_enc"
        " FROM children c JOIN kindergartens k ON k.id = c.kindergarten_id"
        " LEFT JOIN vouchers v ON v.child_id = c.id"
        " WHERE c.parent_id = ?1 ORDER BY c.id LIMIT ?2";
    *count = 0;
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    int err = bind_int(db, stmt, 1, parent_id);
    err = err ? err : bind_int(db, stmt, 2, (int64_t)(max > INT_MAX ? INT_MAX : max));
    size_t n = 0;
    bool row = true;
    while (err == CORE_OK && n < max) {
        err = step_row(db, stmt, &row);
        if (err != CORE_OK || !row) {
            break;
        }
        err = child_row_read(stmt, &out[n]);
        n++;
    }
    sqlite3_reset(stmt);
    if (err != CORE_OK) {
        db_child_rows_cleanup(out, n);
        return err;
    }
    *count = n;
    return CORE_OK;
}

void db_child_rows_cleanup(struct db_child_row *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(rows[i].pii_enc);
        rows[i].pii_enc = NULL;
        rows[i].pii_len = 0;
    }
}

#define TS_COLUMNS                                                                                 \
    "child_id, month, days, status, COALESCE(decided_at, 0), COALESCE(decided_via, ''),"           \
    " COALESCE(dispute_days, ''), dispute_reason_enc, COALESCE(receipt, '')"

static int timesheet_row_read(sqlite3_stmt *stmt, struct db_timesheet_row *row)
{
    memset(row, 0, sizeof *row);
    db__copy_text(stmt, 0, row->child_id, sizeof row->child_id);
    db__copy_text(stmt, 1, row->month, sizeof row->month);
    db__copy_text(stmt, 2, row->days, sizeof row->days);
    row->status = ts_status_parse(sqlite3_column_text(stmt, 3));
    row->decided_at = sqlite3_column_int64(stmt, 4);
    db__copy_text(stmt, 5, row->decided_via, sizeof row->decided_via);
    db__copy_text(stmt, 6, row->dispute_days, sizeof row->dispute_days);
    db__copy_text(stmt, 8, row->receipt, sizeof row->receipt);
    return db__copy_blob(stmt, 7, &row->dispute_reason_enc, &row->dispute_reason_len);
}

int db_timesheets_of_child(
    struct db *db, const char *child_id, struct db_timesheet_row *out, size_t max, size_t *count)
{
    static const char sql[] = "SELECT " TS_COLUMNS " FROM timesheets WHERE child_id = ?1"
                              " ORDER BY month DESC LIMIT ?2";
    *count = 0;
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    int err = bind_text(db, stmt, 1, child_id);
    err = err ? err : bind_int(db, stmt, 2, (int64_t)(max > INT_MAX ? INT_MAX : max));
    size_t n = 0;
    bool row = true;
    while (err == CORE_OK && n < max) {
        err = step_row(db, stmt, &row);
        if (err != CORE_OK || !row) {
            break;
        }
        err = timesheet_row_read(stmt, &out[n]);
        n++;
    }
    sqlite3_reset(stmt);
    if (err != CORE_OK) {
        db_timesheet_rows_cleanup(out, n);
        return err;
    }
    *count = n;
    return CORE_OK;
}

int db_timesheet_get(struct db *db,
                     const char *child_id,
                     const char *month,
                     struct db_timesheet_row *out)
{
    static const char sql[] =
        "SELECT " TS_COLUMNS " FROM timesheets WHERE child_id = ?1 AND month = ?2";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    bool row = false;
    int err = bind_text(db, stmt, 1, child_id);
    err = err ? err : bind_text(db, stmt, 2, month);
    err = err ? err : step_row(db, stmt, &row);
    if (err == CORE_OK) {
        err = row ? timesheet_row_read(stmt, out) : CORE_ENOTFOUND;
    }
    sqlite3_reset(stmt);
    return err;
}

void db_timesheet_rows_cleanup(struct db_timesheet_row *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(rows[i].dispute_reason_enc);
        rows[i].dispute_reason_enc = NULL;
        rows[i].dispute_reason_len = 0;
    }
}

/* ---- counts ---- */

int db_registry_counts(struct db *db, struct db_registry_counts *out)
{
    static const char sql[] =
        "SELECT (SELECT count(*) FROM kindergartens), (SELECT count(*) FROM parents),"
        " (SELECT count(*) FROM children), (SELECT count(*) FROM vouchers),"
        " (SELECT count(*) FROM timesheets),"
        " (SELECT count(*) FROM timesheets WHERE status = 'pending')";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    bool row = false;
    int err = step_row(db, stmt, &row);
    if (err == CORE_OK && row) {
        out->kindergartens = sqlite3_column_int64(stmt, 0);
        out->parents = sqlite3_column_int64(stmt, 1);
        out->children = sqlite3_column_int64(stmt, 2);
        out->vouchers = sqlite3_column_int64(stmt, 3);
        out->timesheets = sqlite3_column_int64(stmt, 4);
        out->timesheets_pending = sqlite3_column_int64(stmt, 5);
    } else if (err == CORE_OK) {
        err = CORE_EDB;
    }
    sqlite3_reset(stmt);
    return err;
}

/* ---- import scratch ---- */

static int exec_plain(struct db *db, const char *sql)
{
    return db__err(db, sqlite3_exec(db__conn(db), sql, NULL, NULL, NULL));
}

int db_import_scratch_begin(struct db *db)
{
    if (db_in_transaction(db)) {
        return CORE_ESTATE; /* temp_store cannot change inside a transaction */
    }
    /* On disk (spilled through a bounded page cache), so a million keys cost no RAM. */
    int err = exec_plain(db, "PRAGMA temp_store = FILE;");
    err = err ? err
              : exec_plain(db, "CREATE TEMP TABLE IF NOT EXISTS import_seen ("
                               " kind INTEGER NOT NULL, key BLOB NOT NULL, ref INTEGER,"
                               " PRIMARY KEY (kind, key)) WITHOUT ROWID;"
                               "DELETE FROM temp.import_seen;");
    return err;
}

void db_import_scratch_end(struct db *db)
{
    if (db_in_transaction(db)) {
        return;
    }
    (void)exec_plain(db, "DROP TABLE IF EXISTS temp.import_seen;");
    (void)exec_plain(db, "PRAGMA temp_store = MEMORY;");
}

int db_import_seen_add(
    struct db *db, enum db_seen_kind kind, const void *key, size_t len, int64_t ref)
{
    static const char sql[] = "INSERT INTO temp.import_seen (kind, key, ref) VALUES (?1, ?2, ?3)";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    int err = bind_int(db, stmt, 1, kind);
    err = err ? err : bind_blob(db, stmt, 2, key, len);
    err = err ? err : bind_int(db, stmt, 3, ref);
    err = err ? err : db__exec_stmt(db, stmt);
    /* Extended result codes are off on the connection, so db__err cannot tell a duplicate key
     * from another constraint failure: ask for the extended code here. */
    if (err != CORE_OK && sqlite3_extended_errcode(db__conn(db)) == SQLITE_CONSTRAINT_PRIMARYKEY) {
        err = CORE_EEXIST;
    }
    sqlite3_reset(stmt);
    return err;
}

int db_import_seen_find(
    struct db *db, enum db_seen_kind kind, const void *key, size_t len, int64_t *ref)
{
    static const char sql[] = "SELECT ref FROM temp.import_seen WHERE kind = ?1 AND key = ?2";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    bool row = false;
    int err = bind_int(db, stmt, 1, kind);
    err = err ? err : bind_blob(db, stmt, 2, key, len);
    err = err ? err : step_row(db, stmt, &row);
    if (err == CORE_OK && !row) {
        err = CORE_ENOTFOUND;
    }
    if (err == CORE_OK && ref) {
        *ref = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_reset(stmt);
    return err;
}
