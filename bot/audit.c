/* SPDX-License-Identifier: MIT
 * The audit hash chain: field rules, canonical serialisation, append, verify. */
#define LOG_MODULE "audit"
#include "bot/audit.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/caltime.h"
#include "core/log.h"
#include "core/msg.h"
#include "db/db.h"
#include "db/meta.h"

#define CHAIN_MAGIC    "tabelbot-audit/1"
#define HEAD_KEY       "audit.head"
#define DETAIL_MAX_LEN 400
#define HASH_BYTES     32

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* ---- field rules (no personal data: ASCII ids, codes and hashes only) ---- */

static bool empty(const char *s)
{
    return !s || !s[0];
}

static bool digits_only(const char *s)
{
    if (!*s) {
        return false;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9') {
            return false;
        }
    }
    return true;
}

static bool actor_ok(const char *actor)
{
    if (empty(actor) || strlen(actor) >= DB_AUDIT_ACTOR_MAX) {
        return false;
    }
    if (strcmp(actor, "import") == 0 || strcmp(actor, "system") == 0) {
        return true;
    }
    if (strncmp(actor, "contact:", 8) == 0) {
        return digits_only(actor + 8);
    }
    return strncmp(actor, "operator:", 9) == 0 && digits_only(actor + 9);
}

static bool action_ok(const char *action)
{
    size_t len = action ? strlen(action) : 0;
    if (len == 0 || len >= DB_AUDIT_ACTION_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!((action[i] >= 'a' && action[i] <= 'z') || action[i] == '_')) {
            return false;
        }
    }
    return true;
}

static bool id_ok(const char *id)
{
    size_t len = strlen(id);
    if (len >= DB_AUDIT_CHILD_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && c != '-' && c != '_' && c != '.' && c != ':' && c != '/') {
            return false;
        }
    }
    return true;
}

static bool hex64_ok(const char *hex)
{
    if (strlen(hex) != 64) {
        return false;
    }
    for (size_t i = 0; i < 64; i++) {
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

static bool receipt_ok(const char *ref)
{
    if (strlen(ref) != 11 || ref[5] != '-') {
        return false;
    }
    for (size_t i = 0; i < 11; i++) {
        if (i != 5 && !strchr(crockford, ref[i])) {
            return false;
        }
    }
    return true;
}

static bool printable_ok(const char *text, size_t max)
{
    size_t len = strlen(text);
    if (len > max) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (text[i] < 0x20 || text[i] > 0x7e) {
            return false;
        }
    }
    return true;
}

static bool month_ok(const char *month)
{
    int index = 0;
    return strlen(month) == 7 && core_month_parse(month, &index) == CORE_OK;
}

static bool entry_ok(const struct bot_audit_entry *e)
{
    return actor_ok(e->actor) && action_ok(e->action) &&
           (empty(e->channel) || core_channel_parse(e->channel) >= 0) &&
           (empty(e->child_id) || id_ok(e->child_id)) && (empty(e->month) || month_ok(e->month)) &&
           (empty(e->days_hash) || hex64_ok(e->days_hash)) &&
           (empty(e->receipt) || receipt_ok(e->receipt)) &&
           (empty(e->detail) || printable_ok(e->detail, DETAIL_MAX_LEN));
}

/* ---- hashing ---- */

static void hash_field(crypto_generichash_state *state, const char *value)
{
    char prefix[32];
    size_t len = strlen(value);
    int n = snprintf(prefix, sizeof prefix, "\n%zu:", len);
    crypto_generichash_update(state, (const unsigned char *)prefix, (size_t)n);
    crypto_generichash_update(state, (const unsigned char *)value, len);
}

void bot_audit_row_hash(const struct db_audit_row *row, char out[BOT_AUDIT_HEX])
{
    crypto_generichash_state state;
    unsigned char digest[HASH_BYTES];
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, row->at);
    crypto_generichash_init(&state, NULL, 0, HASH_BYTES);
    crypto_generichash_update(&state, (const unsigned char *)CHAIN_MAGIC, strlen(CHAIN_MAGIC));
    const char *fields[] = {row->prev_hash, at,         row->actor,     row->action,  row->channel,
                            row->child_id,  row->month, row->days_hash, row->receipt, row->detail};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        hash_field(&state, fields[i]);
    }
    crypto_generichash_final(&state, digest, HASH_BYTES);
    sodium_bin2hex(out, BOT_AUDIT_HEX, digest, HASH_BYTES);
}

void bot_audit_days_hash(const char *days, char out[BOT_AUDIT_HEX])
{
    unsigned char digest[HASH_BYTES];
    crypto_generichash(digest, HASH_BYTES, (const unsigned char *)days, strlen(days), NULL, 0);
    sodium_bin2hex(out, BOT_AUDIT_HEX, digest, HASH_BYTES);
}

/* ---- append ---- */

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* The hash the next row chains to: the head in meta, else the last row, else genesis. */
static int current_head(struct db *db, char prev[BOT_AUDIT_HEX])
{
    char head[96];
    int err = db_meta_get(db, HEAD_KEY, head, sizeof head);
    if (err == CORE_OK) {
        const char *space = strchr(head, ' ');
        if (!space || !hex64_ok(space + 1)) {
            return CORE_EDB;
        }
        copy(prev, BOT_AUDIT_HEX, space + 1);
        return CORE_OK;
    }
    if (err != CORE_ENOTFOUND) {
        return err;
    }
    struct db_audit_row last;
    err = db_audit_last(db, &last);
    if (err == CORE_ENOTFOUND) {
        copy(prev, BOT_AUDIT_HEX, BOT_AUDIT_GENESIS);
        return CORE_OK;
    }
    if (err == CORE_OK) {
        copy(prev, BOT_AUDIT_HEX, last.row_hash);
    }
    return err;
}

static int append_in_tx(struct db *db, const struct bot_audit_entry *e, int64_t now, int64_t *id)
{
    struct db_audit_row row;
    memset(&row, 0, sizeof row);
    row.at = now;
    copy(row.actor, sizeof row.actor, e->actor);
    copy(row.action, sizeof row.action, e->action);
    copy(row.channel, sizeof row.channel, e->channel);
    copy(row.child_id, sizeof row.child_id, e->child_id);
    copy(row.month, sizeof row.month, e->month);
    copy(row.days_hash, sizeof row.days_hash, e->days_hash);
    copy(row.receipt, sizeof row.receipt, e->receipt);
    copy(row.detail, sizeof row.detail, e->detail);
    int err = current_head(db, row.prev_hash);
    if (err != CORE_OK) {
        return err;
    }
    bot_audit_row_hash(&row, row.row_hash);
    err = db_audit_insert(db, &row, id);
    if (err != CORE_OK) {
        return err;
    }
    char head[96];
    snprintf(head, sizeof head, "%" PRId64 " %s", *id, row.row_hash);
    return db_meta_set(db, HEAD_KEY, head);
}

int bot_audit_append_id(struct db *db,
                        const struct bot_audit_entry *entry,
                        int64_t now,
                        int64_t *id)
{
    int64_t new_id = 0;
    if (!entry || !entry_ok(entry)) {
        return CORE_EINVAL;
    }
    bool own_tx = !db_in_transaction(db);
    int err = own_tx ? db_begin(db) : CORE_OK;
    if (err != CORE_OK) {
        return err;
    }
    err = append_in_tx(db, entry, now, &new_id);
    if (own_tx) {
        if (err == CORE_OK) {
            err = db_commit(db);
        }
        if (err != CORE_OK) {
            db_rollback(db);
        }
    }
    if (err != CORE_OK) {
        LOG_ERROR("audit_append_failed", "action=%s err=%s", entry->action, core_strerror(err));
        return err;
    }
    if (id) {
        *id = new_id;
    }
    return CORE_OK;
}

int bot_audit_append(struct db *db, const struct bot_audit_entry *entry, int64_t now)
{
    return bot_audit_append_id(db, entry, now, NULL);
}

/* ---- verify ---- */

/* Compares the walked chain's end (last_id, last_hash) with the head kept in meta. */
static int check_head(struct db *db, int64_t last_id, const char *last_hash, int64_t *bad)
{
    char head[96];
    int err = db_meta_get(db, HEAD_KEY, head, sizeof head);
    if (err == CORE_ENOTFOUND) {
        *bad = last_id == 0 ? 0 : last_id + 1;
        return CORE_OK;
    }
    if (err != CORE_OK) {
        return err;
    }
    long long head_id = 0;
    char head_hash[BOT_AUDIT_HEX] = "";
    if (sscanf(head, "%lld %64s", &head_id, head_hash) != 2 || head_id > last_id) {
        *bad = last_id + 1;
    } else if (head_id < last_id) {
        *bad = head_id + 1;
    } else if (strcmp(head_hash, last_hash) != 0) {
        *bad = last_id;
    }
    return CORE_OK;
}

int bot_audit_verify(struct db *db, int64_t *first_bad_id)
{
    char prev[BOT_AUDIT_HEX];
    char expect[BOT_AUDIT_HEX];
    *first_bad_id = 0;
    if (sodium_init() < 0) { /* an auditor's tool may not have opened the service's keys */
        return CORE_ECRYPTO;
    }
    copy(prev, sizeof prev, BOT_AUDIT_GENESIS);
    int64_t last_id = 0;
    int64_t bad = 0;
    struct db_audit_row row;
    int err;
    while (bad == 0 && (err = db_audit_next(db, last_id, &row)) == CORE_OK) {
        bot_audit_row_hash(&row, expect);
        if (row.oversize || strcmp(row.prev_hash, prev) != 0 || strcmp(row.row_hash, expect) != 0) {
            bad = row.id;
        }
        copy(prev, sizeof prev, row.row_hash);
        last_id = row.id;
    }
    if (bad == 0 && err != CORE_ENOTFOUND) {
        return err;
    }
    if (bad == 0) {
        err = check_head(db, last_id, prev, &bad);
        if (err != CORE_OK) {
            return err;
        }
    }
    *first_bad_id = bad;
    if (bad != 0) {
        LOG_ERROR("audit_chain_broken", "first_bad_id=%lld", (long long)bad);
        return CORE_ECRYPTO;
    }
    return CORE_OK;
}
