/* SPDX-License-Identifier: MIT
 * dlg_registry_view over the registry tables: keyed-hash lookups, unsealing into caller-owned
 * dlg_* structs, wiping every temporary plaintext. */
#include "bot/registry_view.h"

#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/registry.h"
#include "dialogs/validate.h"

/* Copies at most cap-1 bytes without cutting a UTF-8 sequence in half. */
static void copy_text(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80) {
            n--;
        }
    }
    if (n) {
        memcpy(dst, src, n);
    }
    dst[n] = '\0';
}

static void wipe_tree(cJSON *node)
{
    for (; node; node = node->next) {
        if (node->valuestring) {
            sodium_memzero(node->valuestring, strlen(node->valuestring));
        }
        wipe_tree(node->child);
    }
}

/* Unseals a JSON object sealed for `ad`; *out is the parsed tree (release with drop_json). */
static int open_json(const struct bot_crypto *crypto,
                     const unsigned char *sealed,
                     size_t len,
                     const char *ad,
                     cJSON **out)
{
    unsigned char *plain = NULL;
    size_t plain_len = 0;
    int rc = bot_crypto_unseal(crypto, sealed, len, ad, &plain, &plain_len);
    if (rc != CORE_OK) {
        return rc;
    }
    *out = cJSON_ParseWithLength((const char *)plain, plain_len);
    sodium_memzero(plain, plain_len);
    free(plain);
    if (!cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return CORE_ECRYPTO; /* opened but not what we sealed: treat as damaged */
    }
    return CORE_OK;
}

static void drop_json(cJSON *json)
{
    wipe_tree(json);
    cJSON_Delete(json);
}

static const char *field(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(item) ? item->valuestring : "";
}

static enum dlg_lang lang_of(const char *code)
{
    if (strcmp(code, "ru") == 0) {
        return DLG_LANG_RU;
    }
    return strcmp(code, "en") == 0 ? DLG_LANG_EN : DLG_LANG_KK;
}

static int fill_parent(const struct bot_registry_view *v,
                       const struct db_parent_row *row,
                       struct dlg_parent *out)
{
    cJSON *pii = NULL;
    int rc = open_json(v->crypto, row->pii_enc, row->pii_len, "parents.pii_enc", &pii);
    if (rc != CORE_OK) {
        return rc;
    }
    memset(out, 0, sizeof *out);
    out->id = row->id;
    out->lang = lang_of(row->language);
    copy_text(out->person.surname, sizeof out->person.surname, field(pii, "surname"));
    copy_text(out->person.given_name, sizeof out->person.given_name, field(pii, "given_name"));
    copy_text(out->person.patronymic, sizeof out->person.patronymic, field(pii, "patronymic"));
    copy_text(out->person.birth_date, sizeof out->person.birth_date, field(pii, "birth_date"));
    out->person.sex = field(pii, "gender")[0] == 'F' ? 'F' : 'M';
    drop_json(pii);
    return CORE_OK;
}

static int find_holder(void *ctx,
                       const char *phone_e164,
                       const char *iin,
                       enum dlg_match *match,
                       struct dlg_parent *out)
{
    struct bot_registry_view *v = ctx;
    char phone[16];
    *match = DLG_MATCH_NONE;
    if (!iin || !phone_e164 || dlg_iin_check(iin) != DLG_IIN_OK ||
        dlg_phone_normalize(phone_e164, false, phone, sizeof phone) != DLG_PHONE_OK) {
        return CORE_OK;
    }
    unsigned char iin_hash[BOT_HASH_BYTES];
    unsigned char phone_hash[BOT_HASH_BYTES];
    bot_crypto_hash(v->crypto, "iin", iin, strlen(iin), iin_hash);
    bot_crypto_hash(v->crypto, "phone", phone, strlen(phone), phone_hash);
    sodium_memzero(phone, sizeof phone);
    struct db_parent_row row = {0};
    int rc = db_parent_find_by_iin_hash(v->db, iin_hash, &row);
    if (rc == CORE_ENOTFOUND) {
        return CORE_OK;
    }
    if (rc == CORE_OK && bot_crypto_equal(row.phone_hash, phone_hash, BOT_HASH_BYTES)) {
        rc = fill_parent(v, &row, out);
        if (rc == CORE_OK) {
            *match = DLG_MATCH_OK;
        }
    }
    db_parent_row_cleanup(&row);
    return rc;
}

static int get_parent(void *ctx, int64_t parent_id, struct dlg_parent *out)
{
    struct bot_registry_view *v = ctx;
    struct db_parent_row row = {0};
    int rc = db_parent_get(v->db, parent_id, &row);
    if (rc == CORE_OK) {
        rc = fill_parent(v, &row, out);
    }
    db_parent_row_cleanup(&row);
    return rc;
}

static int
fill_child(const struct bot_registry_view *v, const struct db_child_row *row, struct dlg_child *out)
{
    cJSON *pii = NULL;
    int rc = open_json(v->crypto, row->pii_enc, row->pii_len, "children.pii_enc", &pii);
    if (rc != CORE_OK) {
        return rc;
    }
    memset(out, 0, sizeof *out);
    copy_text(out->id, sizeof out->id, row->id);
    copy_text(out->given_name, sizeof out->given_name, field(pii, "given_name"));
    copy_text(out->surname, sizeof out->surname, field(pii, "surname"));
    copy_text(out->voucher_number, sizeof out->voucher_number, row->voucher_number);
    out->voucher_cancelled = row->voucher_cancelled;
    copy_text(out->kindergarten[DLG_LANG_KK], sizeof out->kindergarten[0], row->kg_name_kk);
    copy_text(out->kindergarten[DLG_LANG_RU], sizeof out->kindergarten[0], row->kg_name_ru);
    copy_text(out->kindergarten[DLG_LANG_EN], sizeof out->kindergarten[0], row->kg_name_en);
    drop_json(pii);
    return CORE_OK;
}

static int children(void *ctx, int64_t parent_id, struct dlg_child *out, size_t max, size_t *count)
{
    struct bot_registry_view *v = ctx;
    *count = 0;
    if (max == 0) {
        return CORE_OK;
    }
    struct db_child_row *rows = calloc(max, sizeof *rows);
    if (!rows) {
        return CORE_ENOMEM;
    }
    size_t n = 0;
    int rc = db_children_of_parent(v->db, parent_id, rows, max, &n);
    for (size_t i = 0; rc == CORE_OK && i < n; i++) {
        rc = fill_child(v, &rows[i], &out[i]);
    }
    if (rc == CORE_OK) {
        *count = n;
    } else {
        sodium_memzero(out, max * sizeof *out); /* no half-filled personal data on failure */
    }
    db_child_rows_cleanup(rows, n);
    free(rows);
    return rc;
}

static enum dlg_ts_status ts_status(enum db_ts_status status)
{
    switch (status) {
    case DB_TS_CONFIRMED:
        return DLG_TS_CONFIRMED;
    case DB_TS_DISPUTED:
        return DLG_TS_DISPUTED;
    case DB_TS_PENDING:
        break;
    }
    return DLG_TS_PENDING;
}

static int
timesheets(void *ctx, const char *child_id, struct dlg_timesheet *out, size_t max, size_t *count)
{
    struct bot_registry_view *v = ctx;
    *count = 0;
    if (max == 0 || !child_id) {
        return CORE_OK;
    }
    struct db_timesheet_row *rows = calloc(max, sizeof *rows);
    if (!rows) {
        return CORE_ENOMEM;
    }
    size_t n = 0;
    int rc = db_timesheets_of_child(v->db, child_id, rows, max, &n);
    for (size_t i = 0; rc == CORE_OK && i < n; i++) {
        struct dlg_timesheet *t = &out[i];
        memset(t, 0, sizeof *t);
        copy_text(t->month, sizeof t->month, rows[i].month);
        copy_text(t->days, sizeof t->days, rows[i].days);
        t->status = ts_status(rows[i].status);
        t->decided_at = rows[i].status == DB_TS_PENDING ? 0 : rows[i].decided_at;
        copy_text(t->receipt, sizeof t->receipt, rows[i].receipt);
    }
    if (rc == CORE_OK) {
        *count = n;
    }
    db_timesheet_rows_cleanup(rows, n);
    free(rows);
    return rc;
}

void bot_registry_view_init(struct bot_registry_view *v,
                            struct db *db,
                            const struct bot_crypto *crypto)
{
    memset(v, 0, sizeof *v);
    v->db = db;
    v->crypto = crypto;
    v->view.ctx = v;
    v->view.find_holder = find_holder;
    v->view.get_parent = get_parent;
    v->view.children = children;
    v->view.timesheets = timesheets;
}
