/* SPDX-License-Identifier: MIT
 * The registry tables (kindergartens, parents, children, vouchers, timesheets): every SQL string
 * that reads or writes them. Personal data arrives here already sealed (opaque BLOBs) and
 * lookups use keyed hashes: bot/ seals, hashes and unseals, db/ never sees a key or plaintext.
 * Every value is bound, never spliced into SQL.
 * Ownership: input structs are borrowed for the call. Output rows are caller storage; the only
 * heap members are the sealed blobs (*_enc), released with the matching *_cleanup function.
 * Thread: the thread that owns the db handle. */
#ifndef DB_REGISTRY_H
#define DB_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "db/db.h"

#define DB_HASH_BYTES  32 /* BOT_HASH_BYTES: keyed BLAKE2b-256 */
#define DB_ID_MAX      48 /* kindergarten, child and voucher ids (bytes incl. NUL) */
#define DB_NAME_MAX    160
#define DB_DAYS_MAX    32
#define DB_MONTH_MAX   8
#define DB_VIA_MAX     16
#define DB_DAYLIST_MAX 128
#define DB_RECEIPT_MAX 32

/** What an upsert did with the row. */
enum db_upsert {
    DB_UPSERT_INSERTED = 0,
    DB_UPSERT_UPDATED = 1,
    DB_UPSERT_UNCHANGED = 2, /* the row already held exactly this */
    DB_UPSERT_KEPT = 3,      /* timesheets: decided in the db, the input would have changed it */
};

enum db_ts_status { DB_TS_PENDING = 0, DB_TS_CONFIRMED = 1, DB_TS_DISPUTED = 2 };

/** "pending" / "confirmed" / "disputed". */
const char *db_ts_status_name(enum db_ts_status status);

/* ---- writes (the importer, the portal push) ---- */

struct db_kindergarten {
    const char *id;
    const char *city;
    const char *name_kk;
    const char *name_ru;
    const char *name_en; /* NULL: none */
};

/** Inserts or updates by id. *out says which (may be NULL). */
CORE_NODISCARD int db_kindergarten_upsert(struct db *db,
                                          const struct db_kindergarten *kg,
                                          int64_t now,
                                          enum db_upsert *out);

struct db_parent_in {
    const unsigned char *iin_hash;   /* DB_HASH_BYTES */
    const unsigned char *phone_hash; /* DB_HASH_BYTES */
    const unsigned char *pii_hash;   /* DB_HASH_BYTES: keyed hash of the plaintext, change check */
    const unsigned char *pii_enc;    /* sealed personal data */
    size_t pii_len;
    const char *language; /* "kk" | "ru" | "en" */
};

/** Inserts or updates the parent whose iin_hash matches; a row whose pii_hash, phone_hash and
 * language already match is left untouched (UNCHANGED). *id receives the parent's id. */
CORE_NODISCARD int db_parent_upsert(struct db *db,
                                    const struct db_parent_in *parent,
                                    int64_t now,
                                    int64_t *id,
                                    enum db_upsert *out);

struct db_child_in {
    const char *id;
    int64_t parent_id;
    const char *kindergarten_id;
    const unsigned char *pii_hash; /* DB_HASH_BYTES */
    const unsigned char *pii_enc;
    size_t pii_len;
};

/** Inserts or updates by id (parent, kindergarten and pii may all change). */
CORE_NODISCARD int
db_child_upsert(struct db *db, const struct db_child_in *child, int64_t now, enum db_upsert *out);

/** Makes `number` the child's one voucher with `cancelled` status: a different voucher the child
 * held is replaced; a number held by another child moves to this one. */
CORE_NODISCARD int db_voucher_upsert(struct db *db,
                                     const char *number,
                                     const char *child_id,
                                     bool cancelled,
                                     int64_t now,
                                     enum db_upsert *out);

struct db_timesheet_in {
    const char *child_id;
    const char *month; /* YYYY-MM */
    const char *days;
    enum db_ts_status status;
    int64_t decided_at;                      /* unix seconds; 0 when pending */
    const unsigned char *dispute_reason_enc; /* NULL unless disputed with a reason */
    size_t dispute_reason_len;
};

/** Inserts, or updates a row that is still pending. A row already confirmed or disputed is
 * never changed (the decision was made through us or reported before): if the input has another
 * status or other days, *out is DB_UPSERT_KEPT, else UNCHANGED (the same decision with another
 * decided_at is the portal echoing ours). Decisions written here are "via portal". */
CORE_NODISCARD int db_timesheet_upsert(struct db *db,
                                       const struct db_timesheet_in *ts,
                                       int64_t now,
                                       enum db_upsert *out);

/* ---- reads (the dialog's registry view, tests) ---- */

struct db_parent_row {
    int64_t id;
    unsigned char phone_hash[DB_HASH_BYTES];
    unsigned char *pii_enc; /* owned: db_parent_row_cleanup */
    size_t pii_len;
    char language[4];
};

/** CORE_ENOTFOUND when no parent has this hash. */
CORE_NODISCARD int db_parent_find_by_iin_hash(struct db *db,
                                              const unsigned char iin_hash[DB_HASH_BYTES],
                                              struct db_parent_row *out);
/** CORE_ENOTFOUND when absent. */
CORE_NODISCARD int db_parent_get(struct db *db, int64_t id, struct db_parent_row *out);
/** Frees the blob; the row may be cleaned twice. */
void db_parent_row_cleanup(struct db_parent_row *row);

struct db_child_row {
    char id[DB_ID_MAX];
    char kindergarten_id[DB_ID_MAX];
    char kg_name_kk[DB_NAME_MAX];
    char kg_name_ru[DB_NAME_MAX];
    char kg_name_en[DB_NAME_MAX];   /* "" when the registry has none */
    char voucher_number[DB_ID_MAX]; /* "" when the child has no voucher row */
    bool voucher_cancelled;
    unsigned char *pii_enc; /* owned: db_child_rows_cleanup */
    size_t pii_len;
};

/** The children of a parent ordered by child id, at most max; *count is how many were written.
 * On failure nothing is left allocated. */
CORE_NODISCARD int db_children_of_parent(
    struct db *db, int64_t parent_id, struct db_child_row *out, size_t max, size_t *count);
void db_child_rows_cleanup(struct db_child_row *rows, size_t count);

struct db_timesheet_row {
    char child_id[DB_ID_MAX];
    char month[DB_MONTH_MAX];
    char days[DB_DAYS_MAX];
    enum db_ts_status status;
    int64_t decided_at; /* 0 when pending */
    char decided_via[DB_VIA_MAX];
    char dispute_days[DB_DAYLIST_MAX];
    unsigned char *dispute_reason_enc; /* owned (NULL when none): db_timesheet_rows_cleanup */
    size_t dispute_reason_len;
    char receipt[DB_RECEIPT_MAX];
};

/** The child's timesheets, newest month first, at most max. */
CORE_NODISCARD int db_timesheets_of_child(
    struct db *db, const char *child_id, struct db_timesheet_row *out, size_t max, size_t *count);
/** One timesheet; CORE_ENOTFOUND when absent. */
CORE_NODISCARD int db_timesheet_get(struct db *db,
                                    const char *child_id,
                                    const char *month,
                                    struct db_timesheet_row *out);
void db_timesheet_rows_cleanup(struct db_timesheet_row *rows, size_t count);

/* ---- the decision (the conversation code) ---- */

struct db_decision {
    const char *child_id;
    const char *month;
    enum db_ts_status status;                /* DB_TS_CONFIRMED or DB_TS_DISPUTED */
    int64_t decided_at;                      /* unix seconds */
    const char *via;                         /* the channel name ("telegram", "sms", ...) */
    const char *dispute_days;                /* disputed: "3,7,15-17"; NULL otherwise */
    const unsigned char *dispute_reason_enc; /* disputed: sealed reason; NULL otherwise */
    size_t dispute_reason_len;
    const char *receipt; /* the reference code */
};

/** Records a decision on a timesheet that is still pending. CORE_ESTATE when it is already
 * confirmed or disputed (nothing changes), CORE_ENOTFOUND when there is no such timesheet,
 * CORE_EINVAL for a status other than confirmed/disputed. Call inside the caller's transaction
 * when it must be atomic with other writes. */
CORE_NODISCARD int db_timesheet_decide(struct db *db, const struct db_decision *decision);

/* ---- counts ---- */

struct db_registry_counts {
    int64_t kindergartens;
    int64_t parents;
    int64_t children;
    int64_t vouchers;
    int64_t timesheets;
    int64_t timesheets_pending;
};

CORE_NODISCARD int db_registry_counts(struct db *db, struct db_registry_counts *out);

/* ---- import scratch: duplicate and reference checks in bounded memory ---- */

enum db_seen_kind {
    DB_SEEN_KINDERGARTEN = 1,
    DB_SEEN_PARENT = 2, /* key: the iin hash; ref: the parent id */
    DB_SEEN_CHILD = 3,
    DB_SEEN_VOUCHER = 4,
    DB_SEEN_TIMESHEET = 5, /* key: child_id NUL month */
};

/** Prepares an on-disk temporary table recording the keys an import has seen so far (so a
 * million-row file needs no in-memory set). Call before db_begin; pair with
 * db_import_scratch_end. */
CORE_NODISCARD int db_import_scratch_begin(struct db *db);
/** Drops the scratch table and restores in-memory temporary storage. */
void db_import_scratch_end(struct db *db);
/** Records key (with ref) as seen. CORE_EEXIST when it was seen before in this import. */
CORE_NODISCARD int
db_import_seen_add(struct db *db, enum db_seen_kind kind, const void *key, size_t len, int64_t ref);
/** Looks a key up: CORE_ENOTFOUND when not seen in this import; *ref (may be NULL) gets its ref. */
CORE_NODISCARD int db_import_seen_find(
    struct db *db, enum db_seen_kind kind, const void *key, size_t len, int64_t *ref);

#endif
