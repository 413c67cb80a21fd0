/* SPDX-License-Identifier: MIT
 * The registry importer: file -> json_stream -> one cJSON record at a time -> validation ->
 * sealing and keyed hashes -> db/registry upserts, all inside one transaction. Duplicate keys
 * and references are checked through the db's on-disk import scratch table, so memory stays
 * bounded by one record whatever the file's size. Error lines name the record, never show a
 * person's IIN or phone in clear. */
#define LOG_MODULE "import"
#include "bot/import.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bot/json_stream.h"
#include "core/caltime.h"
#include "core/log.h"
#include "db/registry.h"
#include "dialogs/validate.h"

#define CHUNK_BYTES  (64 * 1024)
#define NAME_MAX_LEN 95  /* DLG_NAME_MAX - 1 */
#define KG_NAME_MAX  159 /* dlg_child.kindergarten[] - 1 */
#define ID_MAX_LEN   47  /* DB_ID_MAX - 1 */
#define REASON_MAX   511 /* DLG_REASON_MAX - 1 */
#define SEEN_KEY_MAX (ID_MAX_LEN + 1 + 8)

enum section { SEC_NONE = 0, SEC_KINDERGARTENS, SEC_PARENTS, SEC_CHILDREN, SEC_TIMESHEETS };

static const char *const section_names[] = {"", "kindergartens", "parents", "children",
                                            "timesheets"};

struct import {
    struct db *db;
    const struct bot_crypto *crypto;
    int64_t now;
    int64_t today; /* days since 1970-01-01, for "not in the future" */
    struct bot_import_summary sum;
    enum section section;
    enum section last;
    bool have_format;
    bool have_note;
    char *err;
    size_t err_len;
};

/* One record being validated. */
struct rec {
    struct import *ix;
    const char *array;
    size_t index;
    size_t line;
    char who[80]; /* " (iin 9005******06)", " (id kg-1)" or "" */
    const cJSON *obj;
};

/* ---- error lines ---- */

static int ix_fail(struct import *ix, size_t line, const char *fmt, ...) CORE_PRINTF(3, 4);

static int ix_fail(struct import *ix, size_t line, const char *fmt, ...)
{
    int n = snprintf(ix->err, ix->err_len, "line %zu: ", line);
    if (n > 0 && (size_t)n < ix->err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ix->err + n, ix->err_len - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return CORE_EBADINPUT;
}

static int rec_fail(struct rec *r, const char *field, const char *fmt, ...) CORE_PRINTF(3, 4);

static int rec_fail(struct rec *r, const char *field, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    char safe_field[48];
    core_log_sanitize(field, strlen(field), safe_field, sizeof safe_field);
    return ix_fail(r->ix, r->line, "%s[%zu]%s: %s: %s", r->array, r->index, r->who, safe_field,
                   why);
}

static int rec_db_fail(struct rec *r, int code)
{
    ix_fail(r->ix, r->line, "%s[%zu]%s: cannot store the record: %s (%s)", r->array, r->index,
            r->who, core_strerror(code), db_last_error(r->ix->db));
    return code;
}

static void who_iin(struct rec *r, const cJSON *iin)
{
    char masked[32];
    char safe[32];
    if (!cJSON_IsString(iin) || strlen(iin->valuestring) > 16) {
        return;
    }
    core_mask_iin(iin->valuestring, masked, sizeof masked);
    core_log_sanitize(masked, strlen(masked), safe, sizeof safe);
    snprintf(r->who, sizeof r->who, " (iin %s)", safe);
}

static void who_id(struct rec *r, const char *label, const cJSON *id)
{
    char safe[64];
    if (!cJSON_IsString(id) || strlen(id->valuestring) > ID_MAX_LEN) {
        return;
    }
    core_log_sanitize(id->valuestring, strlen(id->valuestring), safe, sizeof safe);
    snprintf(r->who, sizeof r->who, " (%s %s)", label, safe);
}

/* ---- field checks ---- */

static bool utf8_text_ok(const char *s, bool multiline)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        size_t extra = c < 0x80             ? 0
                       : (c & 0xE0) == 0xC0 ? 1
                       : (c & 0xF0) == 0xE0 ? 2
                       : (c & 0xF8) == 0xF0 ? 3
                                            : 4;
        bool control = (c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) || c == 0x7f;
        if (extra == 4 || (extra == 1 && c < 0xC2) || (extra == 3 && c > 0xF4) || control) {
            return false;
        }
        unsigned int cp = c & (0x7Fu >> extra);
        for (size_t i = 1; i <= extra; i++) {
            if ((p[i] & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (p[i] & 0x3Fu);
        }
        if ((extra == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
            return false;
        }
        p += extra + 1;
    }
    return true;
}

static bool id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > ID_MAX_LEN) {
        return false;
    }
    for (const char *p = s; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || strchr("._:/-", *p);
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* Rejects fields not in `allowed` and fields given twice. */
static int
check_fields(struct rec *r, const cJSON *obj, const char *prefix, const char *const *allowed)
{
    for (const cJSON *f = obj->child; f; f = f->next) {
        char name[64];
        snprintf(name, sizeof name, "%s%s", prefix, f->string ? f->string : "");
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++) {
            known = f->string && strcmp(f->string, *a) == 0;
        }
        if (!known) {
            return rec_fail(r, name, "unknown field");
        }
        for (const cJSON *g = obj->child; g != f; g = g->next) {
            if (strcmp(g->string, f->string) == 0) {
                return rec_fail(r, name, "given twice");
            }
        }
    }
    return CORE_OK;
}

enum { OPTIONAL = 0, REQUIRED = 1, MULTILINE = 2 /* newlines and tabs allowed */ };

/* *out = the string (borrowed from the tree) or NULL when optional and absent. */
static int get_text(struct rec *r,
                    const cJSON *obj,
                    const char *field,
                    const char *label,
                    int flags,
                    size_t max,
                    const char **out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);
    *out = NULL;
    if (!item || cJSON_IsNull(item)) {
        return flags & REQUIRED ? rec_fail(r, label, "missing") : CORE_OK;
    }
    if (!cJSON_IsString(item)) {
        return rec_fail(r, label, "must be a string");
    }
    const char *s = item->valuestring;
    size_t n = strlen(s);
    if (n == 0) {
        return flags & REQUIRED ? rec_fail(r, label, "must not be empty") : CORE_OK;
    }
    if (n > max) {
        return rec_fail(r, label, "longer than %zu bytes", max);
    }
    if (!utf8_text_ok(s, flags & MULTILINE)) {
        return rec_fail(r, label, "not valid UTF-8 text (or contains control characters)");
    }
    *out = s;
    return CORE_OK;
}

static int
get_id(struct rec *r, const cJSON *obj, const char *field, const char *label, const char **out)
{
    int rc = get_text(r, obj, field, label, REQUIRED, ID_MAX_LEN, out);
    if (rc == CORE_OK && !id_ok(*out)) {
        return rec_fail(r, label, "must be 1-%d characters of A-Z a-z 0-9 . _ : / -", ID_MAX_LEN);
    }
    return rc;
}

static int get_choice(struct rec *r,
                      const cJSON *obj,
                      const char *field,
                      const char *label,
                      const char *const *choices,
                      int required,
                      int *out)
{
    const char *s = NULL;
    int rc = get_text(r, obj, field, label, required, 16, &s);
    *out = -1;
    if (rc != CORE_OK || !s) {
        return rc;
    }
    for (int i = 0; choices[i]; i++) {
        if (strcmp(s, choices[i]) == 0) {
            *out = i;
            return CORE_OK;
        }
    }
    char list[96] = "";
    for (int i = 0; choices[i]; i++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", i ? "|" : "", choices[i]);
    }
    return rec_fail(r, label, "must be one of %s", list);
}

/* A real calendar date YYYY-MM-DD, 1900 or later, not after today. */
static int get_date(struct rec *r, const cJSON *obj, const char *field, const char **out)
{
    int rc = get_text(r, obj, field, field, REQUIRED, 10, out);
    if (rc != CORE_OK) {
        return rc;
    }
    const char *s = *out;
    int y = 0, m = 0, d = 0;
    bool shape = strlen(s) == 10 && s[4] == '-' && s[7] == '-';
    for (int i = 0; shape && i < 10; i++) {
        shape = i == 4 || i == 7 || (s[i] >= '0' && s[i] <= '9');
    }
    if (shape) {
        y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
        m = (s[5] - '0') * 10 + (s[6] - '0');
        d = (s[8] - '0') * 10 + (s[9] - '0');
    }
    if (!shape || y < 1900 || m < 1 || m > 12 || d < 1 || d > core_days_in_month(y, m)) {
        return rec_fail(r, field, "must be a real date YYYY-MM-DD");
    }
    if (core_days_from_civil(y, m, d) > r->ix->today) {
        return rec_fail(r, field, "is in the future");
    }
    return CORE_OK;
}

/* ---- sealing ---- */

struct sealed {
    unsigned char *enc;
    size_t len;
    unsigned char hash[BOT_HASH_BYTES];
};

/* Seals the record's plaintext JSON for `ad`; the plaintext is wiped before it is freed. */
static int seal_json(
    struct import *ix, cJSON *plain, const char *ad, const char *hash_domain, struct sealed *out)
{
    char *text = cJSON_PrintUnformatted(plain);
    if (!text) {
        return CORE_ENOMEM;
    }
    size_t len = strlen(text);
    bot_crypto_hash(ix->crypto, hash_domain, text, len, out->hash);
    int rc = bot_crypto_seal(ix->crypto, text, len, ad, &out->enc, &out->len);
    sodium_memzero(text, len);
    cJSON_free(text);
    return rc;
}

/* Adds string members; a NULL value is stored as "". */
static int put_strings(cJSON *obj, const char *const *kv)
{
    for (size_t i = 0; kv[i]; i += 2) {
        if (!cJSON_AddStringToObject(obj, kv[i], kv[i + 1] ? kv[i + 1] : "")) {
            return CORE_ENOMEM;
        }
    }
    return CORE_OK;
}

/* Zeroes every string of a parsed record before it is freed (it held personal data). */
static void wipe_tree(cJSON *node)
{
    for (; node; node = node->next) {
        if (node->valuestring) {
            sodium_memzero(node->valuestring, strlen(node->valuestring));
        }
        wipe_tree(node->child); /* depth is bounded by the splitter */
    }
}

static void count(struct import *ix, enum db_upsert what)
{
    switch (what) {
    case DB_UPSERT_INSERTED:
        ix->sum.inserted++;
        break;
    case DB_UPSERT_UPDATED:
        ix->sum.updated++;
        break;
    case DB_UPSERT_UNCHANGED:
        ix->sum.unchanged++;
        break;
    case DB_UPSERT_KEPT:
        ix->sum.kept++;
        ix->sum.unchanged++;
        break;
    }
}

/* Records key as seen; a duplicate is an error naming the field. */
static int mark_seen(struct rec *r,
                     enum db_seen_kind kind,
                     const void *key,
                     size_t len,
                     int64_t ref,
                     const char *field)
{
    int rc = db_import_seen_add(r->ix->db, kind, key, len, ref);
    if (rc == CORE_EEXIST) {
        return rec_fail(r, field, "the same value appears earlier in %s", r->array);
    }
    return rc == CORE_OK ? CORE_OK : rec_db_fail(r, rc);
}

static int
check_unseen(struct rec *r, enum db_seen_kind kind, const void *key, size_t len, const char *field)
{
    int rc = db_import_seen_find(r->ix->db, kind, key, len, NULL);
    if (rc == CORE_OK) {
        return rec_fail(r, field, "the same value appears earlier in %s", r->array);
    }
    return rc == CORE_ENOTFOUND ? CORE_OK : rec_db_fail(r, rc);
}

/* ---- kindergartens ---- */

static int import_kindergarten(struct rec *r)
{
    static const char *const fields[] = {"id", "city", "name", NULL};
    static const char *const name_fields[] = {"kk", "ru", "en", NULL};
    struct db_kindergarten kg = {0};
    who_id(r, "id", cJSON_GetObjectItemCaseSensitive(r->obj, "id"));
    int rc = check_fields(r, r->obj, "", fields);
    rc = rc ? rc : get_id(r, r->obj, "id", "id", &kg.id);
    rc = rc ? rc : get_text(r, r->obj, "city", "city", REQUIRED, NAME_MAX_LEN, &kg.city);
    if (rc != CORE_OK) {
        return rc;
    }
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(r->obj, "name");
    if (!cJSON_IsObject(name)) {
        return rec_fail(r, "name", name ? "must be an object {kk, ru, en}" : "missing");
    }
    rc = check_fields(r, name, "name.", name_fields);
    rc = rc ? rc : get_text(r, name, "kk", "name.kk", REQUIRED, KG_NAME_MAX, &kg.name_kk);
    rc = rc ? rc : get_text(r, name, "ru", "name.ru", REQUIRED, KG_NAME_MAX, &kg.name_ru);
    rc = rc ? rc : get_text(r, name, "en", "name.en", OPTIONAL, KG_NAME_MAX, &kg.name_en);
    rc = rc ? rc : mark_seen(r, DB_SEEN_KINDERGARTEN, kg.id, strlen(kg.id), 0, "id");
    if (rc != CORE_OK) {
        return rc;
    }
    enum db_upsert what;
    rc = db_kindergarten_upsert(r->ix->db, &kg, r->ix->now, &what);
    if (rc != CORE_OK) {
        return rec_db_fail(r, rc);
    }
    count(r->ix, what);
    r->ix->sum.kindergartens++;
    return CORE_OK;
}

/* ---- parents ---- */

struct person {
    const char *iin;
    char phone[16];
    const char *surname;
    const char *given_name;
    const char *patronymic;
    const char *gender;
    const char *birth_date;
    const char *language;
};

static const char *const genders[] = {"M", "F", NULL};
static const char *const languages[] = {"kk", "ru", "en", NULL};

static int check_iin(struct rec *r, const char *field, const char *iin)
{
    switch (dlg_iin_check(iin)) {
    case DLG_IIN_OK:
        return CORE_OK;
    case DLG_IIN_NOT_12_DIGITS:
        return rec_fail(r, field, "must be exactly 12 digits");
    case DLG_IIN_BAD_CENTURY:
        return rec_fail(r, field, "7th digit must be 1-6");
    case DLG_IIN_BAD_CHECKSUM:
        break;
    }
    return rec_fail(r, field, "check digit does not match (not a valid IIN)");
}

static int check_phone(struct rec *r, const char *text, char *e164, size_t len)
{
    switch (dlg_phone_normalize(text, true, e164, len)) {
    case DLG_PHONE_OK:
        return CORE_OK;
    case DLG_PHONE_NOT_KZ:
        return rec_fail(r, "phone", "not a Kazakhstan number");
    case DLG_PHONE_NOT_MOBILE:
        return rec_fail(r, "phone", "not a Kazakhstan mobile number");
    case DLG_PHONE_BAD_FORMAT:
        break;
    }
    return rec_fail(r, "phone", "not a phone number (+77XXXXXXXXX)");
}

static int read_person(struct rec *r, struct person *p)
{
    static const char *const fields[] = {"iin",        "phone",      "surname",
                                         "given_name", "patronymic", "gender",
                                         "birth_date", "language",   NULL};
    const char *phone = NULL;
    int g = -1, lang = -1;
    int rc = check_fields(r, r->obj, "", fields);
    rc = rc ? rc : get_text(r, r->obj, "iin", "iin", REQUIRED, 32, &p->iin);
    rc = rc ? rc : check_iin(r, "iin", p->iin);
    rc = rc ? rc : get_text(r, r->obj, "phone", "phone", REQUIRED, 32, &phone);
    rc = rc ? rc : check_phone(r, phone, p->phone, sizeof p->phone);
    rc = rc ? rc : get_text(r, r->obj, "surname", "surname", REQUIRED, NAME_MAX_LEN, &p->surname);
    rc = rc ? rc
            : get_text(r, r->obj, "given_name", "given_name", REQUIRED, NAME_MAX_LEN,
                       &p->given_name);
    rc = rc ? rc
            : get_text(r, r->obj, "patronymic", "patronymic", OPTIONAL, NAME_MAX_LEN,
                       &p->patronymic);
    rc = rc ? rc : get_choice(r, r->obj, "gender", "gender", genders, REQUIRED, &g);
    rc = rc ? rc : get_date(r, r->obj, "birth_date", &p->birth_date);
    rc = rc ? rc : get_choice(r, r->obj, "language", "language", languages, OPTIONAL, &lang);
    if (rc == CORE_OK) {
        p->gender = genders[g];
        p->language = lang < 0 ? "kk" : languages[lang];
    }
    return rc;
}

/* The IIN's date and sex digits are only a hint (domain.md §1.2): count disagreements. */
static void note_iin_hint(struct import *ix, const struct person *p)
{
    struct dlg_iin_hint hint;
    dlg_iin_hint(p->iin, &hint);
    char date[16];
    snprintf(date, sizeof date, "%04d-%02d-%02d", hint.year, hint.month, hint.day);
    if (!hint.date_plausible || strcmp(date, p->birth_date) != 0 || hint.sex != p->gender[0]) {
        ix->sum.iin_hints++;
    }
}

static int seal_person(struct import *ix, const struct person *p, struct sealed *out)
{
    const char *kv[] = {"iin",      p->iin,       "phone",       p->phone,      "surname",
                        p->surname, "given_name", p->given_name, "patronymic",  p->patronymic,
                        "gender",   p->gender,    "birth_date",  p->birth_date, NULL};
    cJSON *plain = cJSON_CreateObject();
    int rc = plain ? put_strings(plain, kv) : CORE_ENOMEM;
    if (rc == CORE_OK) {
        rc = seal_json(ix, plain, "parents.pii_enc", "parents.pii", out);
    }
    wipe_tree(plain);
    cJSON_Delete(plain);
    return rc;
}

static int import_parent(struct rec *r)
{
    struct import *ix = r->ix;
    struct person p = {0};
    who_iin(r, cJSON_GetObjectItemCaseSensitive(r->obj, "iin"));
    int rc = read_person(r, &p);
    if (rc != CORE_OK) {
        return rc;
    }
    unsigned char iin_hash[BOT_HASH_BYTES];
    unsigned char phone_hash[BOT_HASH_BYTES];
    bot_crypto_hash(ix->crypto, "iin", p.iin, strlen(p.iin), iin_hash);
    bot_crypto_hash(ix->crypto, "phone", p.phone, strlen(p.phone), phone_hash);
    rc = check_unseen(r, DB_SEEN_PARENT, iin_hash, sizeof iin_hash, "iin");
    if (rc != CORE_OK) {
        return rc;
    }
    note_iin_hint(ix, &p);
    struct sealed pii = {0};
    rc = seal_person(ix, &p, &pii);
    if (rc != CORE_OK) {
        return rec_db_fail(r, rc);
    }
    struct db_parent_in in = {iin_hash, phone_hash, pii.hash, pii.enc, pii.len, p.language};
    int64_t id = 0;
    enum db_upsert what;
    rc = db_parent_upsert(ix->db, &in, ix->now, &id, &what);
    free(pii.enc);
    sodium_memzero(p.phone, sizeof p.phone);
    if (rc != CORE_OK) {
        return rec_db_fail(r, rc);
    }
    count(ix, what);
    ix->sum.parents++;
    return mark_seen(r, DB_SEEN_PARENT, iin_hash, sizeof iin_hash, id, "iin");
}

/* ---- children ---- */

struct child {
    const char *id;
    int64_t parent_id;
    const char *given_name;
    const char *surname;
    const char *gender;
    const char *birth_date;
    const char *kindergarten_id;
    const char *voucher;
    bool cancelled;
};

static int resolve_parent(struct rec *r, struct child *c)
{
    const char *iin = NULL;
    int rc = get_text(r, r->obj, "parent_iin", "parent_iin", REQUIRED, 32, &iin);
    rc = rc ? rc : check_iin(r, "parent_iin", iin);
    if (rc != CORE_OK) {
        return rc;
    }
    unsigned char hash[BOT_HASH_BYTES];
    bot_crypto_hash(r->ix->crypto, "iin", iin, strlen(iin), hash);
    rc = db_import_seen_find(r->ix->db, DB_SEEN_PARENT, hash, sizeof hash, &c->parent_id);
    if (rc == CORE_ENOTFOUND) {
        char masked[32];
        core_mask_iin(iin, masked, sizeof masked);
        return rec_fail(r, "parent_iin", "no parent with IIN %s earlier in the file", masked);
    }
    return rc == CORE_OK ? CORE_OK : rec_db_fail(r, rc);
}

static int resolve_kindergarten(struct rec *r, struct child *c)
{
    int rc = get_id(r, r->obj, "kindergarten_id", "kindergarten_id", &c->kindergarten_id);
    if (rc != CORE_OK) {
        return rc;
    }
    rc = db_import_seen_find(r->ix->db, DB_SEEN_KINDERGARTEN, c->kindergarten_id,
                             strlen(c->kindergarten_id), NULL);
    if (rc == CORE_ENOTFOUND) {
        return rec_fail(r, "kindergarten_id", "no kindergarten \"%s\" earlier in the file",
                        c->kindergarten_id);
    }
    return rc == CORE_OK ? CORE_OK : rec_db_fail(r, rc);
}

static int read_voucher(struct rec *r, struct child *c)
{
    static const char *const fields[] = {"number", "status", NULL};
    static const char *const statuses[] = {"active", "cancelled", NULL};
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->obj, "voucher");
    if (!cJSON_IsObject(v)) {
        return rec_fail(r, "voucher", v ? "must be an object {number, status}" : "missing");
    }
    int status = -1;
    int rc = check_fields(r, v, "voucher.", fields);
    rc = rc ? rc : get_id(r, v, "number", "voucher.number", &c->voucher);
    rc = rc ? rc : get_choice(r, v, "status", "voucher.status", statuses, REQUIRED, &status);
    c->cancelled = status == 1;
    return rc;
}

static int read_child(struct rec *r, struct child *c)
{
    static const char *const fields[] = {"id",     "parent_iin", "given_name",      "surname",
                                         "gender", "birth_date", "kindergarten_id", "voucher",
                                         NULL};
    int g = -1;
    int rc = check_fields(r, r->obj, "", fields);
    rc = rc ? rc : get_id(r, r->obj, "id", "id", &c->id);
    rc = rc ? rc : check_unseen(r, DB_SEEN_CHILD, c->id, strlen(c->id), "id");
    rc = rc ? rc : resolve_parent(r, c);
    rc = rc ? rc
            : get_text(r, r->obj, "given_name", "given_name", REQUIRED, NAME_MAX_LEN,
                       &c->given_name);
    rc = rc ? rc : get_text(r, r->obj, "surname", "surname", REQUIRED, NAME_MAX_LEN, &c->surname);
    rc = rc ? rc : get_choice(r, r->obj, "gender", "gender", genders, REQUIRED, &g);
    rc = rc ? rc : get_date(r, r->obj, "birth_date", &c->birth_date);
    rc = rc ? rc : resolve_kindergarten(r, c);
    rc = rc ? rc : read_voucher(r, c);
    if (rc == CORE_OK) {
        c->gender = genders[g];
    }
    return rc;
}

static int seal_child(struct import *ix, const struct child *c, struct sealed *out)
{
    const char *kv[] = {"given_name", c->given_name, "surname",     c->surname, "gender",
                        c->gender,    "birth_date",  c->birth_date, NULL};
    cJSON *plain = cJSON_CreateObject();
    int rc = plain ? put_strings(plain, kv) : CORE_ENOMEM;
    if (rc == CORE_OK) {
        rc = seal_json(ix, plain, "children.pii_enc", "children.pii", out);
    }
    wipe_tree(plain);
    cJSON_Delete(plain);
    return rc;
}

static int import_child(struct rec *r)
{
    struct import *ix = r->ix;
    struct child c = {0};
    who_id(r, "id", cJSON_GetObjectItemCaseSensitive(r->obj, "id"));
    int rc = read_child(r, &c);
    rc = rc ? rc : mark_seen(r, DB_SEEN_VOUCHER, c.voucher, strlen(c.voucher), 0, "voucher.number");
    rc = rc ? rc : mark_seen(r, DB_SEEN_CHILD, c.id, strlen(c.id), 0, "id");
    if (rc != CORE_OK) {
        return rc;
    }
    struct sealed pii = {0};
    rc = seal_child(ix, &c, &pii);
    if (rc != CORE_OK) {
        return rec_db_fail(r, rc);
    }
    struct db_child_in in = {c.id, c.parent_id, c.kindergarten_id, pii.hash, pii.enc, pii.len};
    enum db_upsert what;
    enum db_upsert voucher_what = DB_UPSERT_UNCHANGED;
    rc = db_child_upsert(ix->db, &in, ix->now, &what);
    free(pii.enc);
    if (rc == CORE_OK) {
        count(ix, what);
        rc = db_voucher_upsert(ix->db, c.voucher, c.id, c.cancelled, ix->now, &voucher_what);
    }
    if (rc != CORE_OK) {
        return rec_db_fail(r, rc);
    }
    count(ix, voucher_what);
    ix->sum.children++;
    return CORE_OK;
}

/* ---- timesheets ---- */

static const char *const ts_statuses[] = {"pending", "confirmed", "disputed", NULL};

static int check_days(struct rec *r, const char *days, int month_index)
{
    int year = month_index / 12;
    int month = month_index % 12 + 1;
    size_t want = (size_t)core_days_in_month(year, month);
    size_t have = strlen(days);
    if (have != want) {
        return rec_fail(r, "days", "has %zu days, %04d-%02d has %zu", have, year, month, want);
    }
    for (size_t i = 0; i < have; i++) {
        if (!strchr("PAS-", days[i])) {
            return rec_fail(r, "days", "day %zu is '%c': only P A S - are allowed", i + 1,
                            days[i] > 0x20 && days[i] < 0x7f ? days[i] : '?');
        }
    }
    return CORE_OK;
}

static int read_decision(struct rec *r, struct db_timesheet_in *ts, const char **reason)
{
    const char *decided = NULL;
    int rc = get_text(r, r->obj, "decided_at", "decided_at", OPTIONAL, 40, &decided);
    rc = rc ? rc
            : get_text(r, r->obj, "dispute_reason", "dispute_reason", OPTIONAL | MULTILINE,
                       REASON_MAX, reason);
    if (rc != CORE_OK) {
        return rc;
    }
    if (ts->status == DB_TS_PENDING && decided) {
        return rec_fail(r, "decided_at", "only a confirmed or disputed timesheet has one");
    }
    if (ts->status != DB_TS_PENDING && !decided) {
        return rec_fail(r, "decided_at", "missing (required when the status is %s)",
                        ts_statuses[ts->status]);
    }
    if (decided && core_iso8601_parse(decided, &ts->decided_at) != CORE_OK) {
        return rec_fail(r, "decided_at", "must be an ISO 8601 time with an offset");
    }
    if (*reason && ts->status != DB_TS_DISPUTED) {
        return rec_fail(r, "dispute_reason", "only a disputed timesheet has one");
    }
    return CORE_OK;
}

static int read_timesheet(struct rec *r, struct db_timesheet_in *ts, const char **reason)
{
    static const char *const fields[] = {"child_id",   "month",          "days", "status",
                                         "decided_at", "dispute_reason", NULL};
    int month_index = 0;
    int status = -1;
    int rc = check_fields(r, r->obj, "", fields);
    rc = rc ? rc : get_id(r, r->obj, "child_id", "child_id", &ts->child_id);
    if (rc != CORE_OK) {
        return rc;
    }
    rc = db_import_seen_find(r->ix->db, DB_SEEN_CHILD, ts->child_id, strlen(ts->child_id), NULL);
    if (rc == CORE_ENOTFOUND) {
        return rec_fail(r, "child_id", "no child \"%s\" earlier in the file", ts->child_id);
    }
    if (rc != CORE_OK) {
        return rec_db_fail(r, rc);
    }
    rc = get_text(r, r->obj, "month", "month", REQUIRED, 7, &ts->month);
    if (rc == CORE_OK && core_month_parse(ts->month, &month_index) != CORE_OK) {
        return rec_fail(r, "month", "must be a month YYYY-MM");
    }
    rc = rc ? rc : get_text(r, r->obj, "days", "days", REQUIRED, 31, &ts->days);
    rc = rc ? rc : check_days(r, ts->days, month_index);
    rc = rc ? rc : get_choice(r, r->obj, "status", "status", ts_statuses, REQUIRED, &status);
    if (rc == CORE_OK) {
        ts->status = (enum db_ts_status)status;
        rc = read_decision(r, ts, reason);
    }
    return rc;
}

static int import_timesheet(struct rec *r)
{
    struct import *ix = r->ix;
    struct db_timesheet_in ts = {0};
    const char *reason = NULL;
    const cJSON *child = cJSON_GetObjectItemCaseSensitive(r->obj, "child_id");
    const cJSON *month = cJSON_GetObjectItemCaseSensitive(r->obj, "month");
    if (cJSON_IsString(child) && cJSON_IsString(month) && id_ok(child->valuestring) &&
        strlen(month->valuestring) <= 7) {
        snprintf(r->who, sizeof r->who, " (child %s, month %s)", child->valuestring,
                 utf8_text_ok(month->valuestring, false) ? month->valuestring : "?");
    }
    int rc = read_timesheet(r, &ts, &reason);
    if (rc != CORE_OK) {
        return rc;
    }
    char key[SEEN_KEY_MAX];
    int n = snprintf(key, sizeof key, "%s%c%s", ts.child_id, 0, ts.month);
    rc = mark_seen(r, DB_SEEN_TIMESHEET, key, (size_t)n, 0, "month");
    unsigned char *sealed = NULL;
    if (rc == CORE_OK && reason) {
        rc = bot_crypto_seal(ix->crypto, reason, strlen(reason), "timesheets.dispute_reason_enc",
                             &sealed, &ts.dispute_reason_len);
        ts.dispute_reason_enc = sealed;
        rc = rc == CORE_OK ? CORE_OK : rec_db_fail(r, rc);
    }
    enum db_upsert what;
    if (rc == CORE_OK) {
        rc = db_timesheet_upsert(ix->db, &ts, ix->now, &what);
        rc = rc == CORE_OK ? CORE_OK : rec_db_fail(r, rc);
    }
    free(sealed);
    if (rc == CORE_OK) {
        count(ix, what);
        ix->sum.timesheets++;
    }
    return rc;
}

/* ---- the document ---- */

static int on_member(struct import *ix, const struct bot_json_item *item)
{
    bool is_format = strcmp(item->key, "format") == 0;
    if (!is_format && strcmp(item->key, "note") != 0) {
        for (int s = SEC_KINDERGARTENS; s <= SEC_TIMESHEETS; s++) {
            if (strcmp(item->key, section_names[s]) == 0) {
                return ix_fail(ix, item->line, "\"%s\" must be an array", item->key);
            }
        }
        char safe[BOT_JSON_KEY_MAX];
        core_log_sanitize(item->key, strlen(item->key), safe, sizeof safe);
        return ix_fail(ix, item->line, "unknown top-level field \"%s\"", safe);
    }
    bool *seen = is_format ? &ix->have_format : &ix->have_note;
    if (*seen) {
        return ix_fail(ix, item->line, "\"%s\" given twice", item->key);
    }
    *seen = true;
    cJSON *value = cJSON_ParseWithLength(item->data, item->len);
    bool ok = cJSON_IsString(value);
    bool right = ok && (!is_format || strcmp(value->valuestring, BOT_IMPORT_FORMAT) == 0);
    cJSON_Delete(value);
    if (!ok) {
        return ix_fail(ix, item->line, "\"%s\" must be a string", item->key);
    }
    if (!right) {
        return ix_fail(ix, item->line, "format must be \"%s\"", BOT_IMPORT_FORMAT);
    }
    return CORE_OK;
}

static int on_array(struct import *ix, const struct bot_json_item *item)
{
    enum section sec = SEC_NONE;
    for (int s = SEC_KINDERGARTENS; s <= SEC_TIMESHEETS; s++) {
        if (strcmp(item->key, section_names[s]) == 0) {
            sec = (enum section)s;
        }
    }
    if (sec == SEC_NONE) {
        char safe[BOT_JSON_KEY_MAX];
        core_log_sanitize(item->key, strlen(item->key), safe, sizeof safe);
        return ix_fail(ix, item->line, "unknown top-level field \"%s\"", safe);
    }
    if (!ix->have_format) {
        return ix_fail(ix, item->line, "\"format\": \"%s\" must come before the arrays",
                       BOT_IMPORT_FORMAT);
    }
    if (sec <= ix->last) {
        return ix_fail(ix, item->line,
                       "\"%s\" out of order or repeated: the arrays go kindergartens, parents,"
                       " children, timesheets",
                       item->key);
    }
    ix->section = sec;
    ix->last = sec;
    return CORE_OK;
}

/* cJSON silently cuts a string at an escaped NUL; such text is never a real name. */
static bool has_nul_escape(const char *data, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (data[i] != '\\') {
            continue;
        }
        if (data[i + 1] == 'u' && i + 5 < len && memcmp(data + i + 2, "0000", 4) == 0) {
            return true;
        }
        i++; /* skip the escaped character */
    }
    return false;
}

static int on_element(struct import *ix, const struct bot_json_item *item)
{
    struct rec r = {
        .ix = ix, .array = section_names[ix->section], .index = item->index, .line = item->line};
    if (has_nul_escape(item->data, item->len)) {
        return ix_fail(ix, item->line, "%s[%zu]: text contains \\u0000", r.array, r.index);
    }
    cJSON *obj = cJSON_ParseWithLength(item->data, item->len);
    if (!cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        return ix_fail(ix, item->line, "%s[%zu]: %s", r.array, r.index,
                       obj ? "must be an object" : "not valid JSON");
    }
    r.obj = obj;
    int rc = CORE_EINVAL;
    switch (ix->section) {
    case SEC_KINDERGARTENS:
        rc = import_kindergarten(&r);
        break;
    case SEC_PARENTS:
        rc = import_parent(&r);
        break;
    case SEC_CHILDREN:
        rc = import_child(&r);
        break;
    case SEC_TIMESHEETS:
        rc = import_timesheet(&r);
        break;
    case SEC_NONE:
        break;
    }
    wipe_tree(obj);
    cJSON_Delete(obj);
    return rc;
}

static int on_item(const struct bot_json_item *item, void *ctx)
{
    struct import *ix = ctx;
    switch (item->kind) {
    case BOT_JSON_MEMBER:
        return on_member(ix, item);
    case BOT_JSON_ARRAY_BEGIN:
        return on_array(ix, item);
    case BOT_JSON_ELEMENT:
        return on_element(ix, item);
    case BOT_JSON_ARRAY_END:
        ix->section = SEC_NONE;
        return CORE_OK;
    }
    return CORE_EINVAL;
}

/* Streams the whole input through the splitter; the caller owns the transaction. */
static int pump(struct import *ix, FILE *in)
{
    struct bot_json_stream s;
    bot_json_stream_init(&s, BOT_IMPORT_MAX_RECORD, on_item, ix);
    char *chunk = malloc(CHUNK_BYTES);
    int rc = chunk ? CORE_OK : CORE_ENOMEM;
    while (rc == CORE_OK) {
        size_t n = fread(chunk, 1, CHUNK_BYTES, in);
        if (n == 0) {
            break;
        }
        rc = bot_json_stream_feed(&s, chunk, n);
    }
    if (rc == CORE_OK && ferror(in)) {
        rc = CORE_EIO;
        snprintf(ix->err, ix->err_len, "cannot read the file: %s", strerror(errno));
    }
    rc = rc ? rc : bot_json_stream_finish(&s);
    if (rc != CORE_OK && !ix->err[0]) {
        const char *why = bot_json_stream_error(&s);
        snprintf(ix->err, ix->err_len, "%s", why[0] ? why : core_strerror(rc));
    }
    if (rc == CORE_OK && !ix->have_format) {
        rc = ix_fail(ix, 1, "not a %s file: \"format\" is missing", BOT_IMPORT_FORMAT);
    }
    if (s.value.data) {
        sodium_memzero(s.value.data, s.value.cap);
    }
    bot_json_stream_cleanup(&s);
    free(chunk);
    return rc;
}

int bot_import_stream(struct db *db,
                      const struct bot_crypto *crypto,
                      FILE *in,
                      int64_t now,
                      struct bot_import_summary *out,
                      char *err,
                      size_t err_len)
{
    if (!db || !crypto || !in || !err || err_len == 0) {
        return CORE_EINVAL;
    }
    err[0] = '\0';
    struct import ix = {.db = db, .crypto = crypto, .now = now, .err = err, .err_len = err_len};
    ix.today = now / 86400 + 1; /* a day of slack for time zones east of UTC */
    int rc = db_import_scratch_begin(db);
    if (rc == CORE_OK) {
        rc = db_begin(db);
        if (rc == CORE_OK) {
            rc = pump(&ix, in);
            rc = rc ? rc : db_commit(db);
            if (rc != CORE_OK) {
                db_rollback(db);
            }
        }
        db_import_scratch_end(db);
    }
    if (rc != CORE_OK) {
        if (!err[0]) {
            snprintf(err, err_len, "database: %s (%s)", core_strerror(rc), db_last_error(db));
        }
        return rc;
    }
    *out = ix.sum;
    if (ix.sum.iin_hints) {
        LOG_WARN("iin_hints", "parents=%zu note=iin_digits_differ_from_birth_date_or_sex",
                 ix.sum.iin_hints);
    }
    return CORE_OK;
}

int bot_import_file(struct db *db,
                    const struct bot_crypto *crypto,
                    const char *path,
                    int64_t now,
                    struct bot_import_summary *out,
                    char *err,
                    size_t err_len)
{
    if (!path || !err || err_len == 0) {
        return CORE_EINVAL;
    }
    bool use_stdin = strcmp(path, "-") == 0;
    FILE *in = use_stdin ? stdin : fopen(path, "rb");
    if (!in) {
        snprintf(err, err_len, "cannot open %s: %s", path, strerror(errno));
        return CORE_EIO;
    }
    int rc = bot_import_stream(db, crypto, in, now, out, err, err_len);
    if (!use_stdin) {
        fclose(in);
    }
    return rc;
}

void bot_import_summary_format(const struct bot_import_summary *s, char *out, size_t len)
{
    int n =
        snprintf(out, len, "imported: %zu kindergartens, %zu parents, %zu children, %zu timesheets",
                 s->kindergartens, s->parents, s->children, s->timesheets);
    if (s->kept && n > 0 && (size_t)n < len) {
        snprintf(out + n, len - (size_t)n, " (%zu decided timesheets kept)", s->kept);
    }
}
