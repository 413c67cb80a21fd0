/* SPDX-License-Identifier: MIT
 * The registry importer end to end against an in-memory database: the demo file's counts and
 * decrypted names, idempotent re-import, one bad file per validation rule importing nothing
 * with a line naming record/field/why (and no IIN or phone in clear), rollback over earlier
 * data, the IIN hint rule, decided timesheets never set back to pending, the record size cap,
 * and the `tabelbot import` command's exit codes and output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "bot/import.h"
#include "db/registry.h"
#include "support/registry_support.h"

#define NOW 1796300000 /* 2026-12-03 */

static int setup(void **state)
{
    static struct tb_registry r;
    assert_int_equal(tb_registry_open(&r), CORE_OK);
    *state = &r;
    return 0;
}

static int teardown(void **state)
{
    tb_registry_close(*state);
    return 0;
}

static int import_fixture(struct tb_registry *r,
                          const char *rel,
                          struct bot_import_summary *sum,
                          char *err,
                          size_t err_len)
{
    char path[512];
    tb_fixture_path(rel, path, sizeof path);
    return bot_import_file(r->db, r->crypto, path, NOW, sum, err, err_len);
}

static void assert_counts(struct tb_registry *r, int kg, int parents, int children, int ts)
{
    struct db_registry_counts c;
    assert_int_equal(db_registry_counts(r->db, &c), CORE_OK);
    assert_int_equal(c.kindergartens, kg);
    assert_int_equal(c.parents, parents);
    assert_int_equal(c.children, children);
    assert_int_equal(c.vouchers, children);
    assert_int_equal(c.timesheets, ts);
}

/* Decrypts the parent with this IIN; returns the parsed PII (cJSON_Delete it). */
static cJSON *parent_pii(struct tb_registry *r, const char *iin, struct db_parent_row *row)
{
    unsigned char hash[BOT_HASH_BYTES];
    bot_crypto_hash(r->crypto, "iin", iin, strlen(iin), hash);
    assert_int_equal(db_parent_find_by_iin_hash(r->db, hash, row), CORE_OK);
    unsigned char *plain = NULL;
    size_t len = 0;
    assert_int_equal(
        bot_crypto_unseal(r->crypto, row->pii_enc, row->pii_len, "parents.pii_enc", &plain, &len),
        CORE_OK);
    cJSON *json = cJSON_ParseWithLength((const char *)plain, len);
    free(plain);
    assert_non_null(json);
    return json;
}

static bool contains(const unsigned char *bytes, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(bytes + i, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

static const char *str(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    assert_true(cJSON_IsString(item));
    return item->valuestring;
}

static void test_demo_counts_and_decrypts(void **state)
{
    struct tb_registry *r = *state;
    struct bot_import_summary sum;
    assert_int_equal(tb_registry_import_demo(r, &sum), CORE_OK);
    assert_int_equal(sum.kindergartens, 3);
    assert_int_equal(sum.parents, 5);
    assert_int_equal(sum.children, 6);
    assert_int_equal(sum.timesheets, 13);
    assert_int_equal(sum.kept, 0);
    assert_int_equal(sum.iin_hints, 0);
    char line[256];
    bot_import_summary_format(&sum, line, sizeof line);
    assert_string_equal(line, "imported: 3 kindergartens, 5 parents, 6 children, 13 timesheets");
    assert_counts(r, 3, 5, 6, 13);

    struct db_parent_row row;
    cJSON *pii = parent_pii(r, "900514410006", &row);
    assert_string_equal(str(pii, "given_name"), "Айгерім");
    assert_string_equal(str(pii, "surname"), "Нұрланова");
    assert_string_equal(str(pii, "patronymic"), "Серікқызы");
    assert_string_equal(str(pii, "phone"), "+77010000001");
    assert_string_equal(str(pii, "gender"), "F");
    assert_string_equal(str(pii, "birth_date"), "1990-05-14");
    assert_string_equal(row.language, "kk");
    unsigned char phone_hash[BOT_HASH_BYTES];
    bot_crypto_hash(r->crypto, "phone", "+77010000001", 12, phone_hash);
    assert_memory_equal(row.phone_hash, phone_hash, BOT_HASH_BYTES);
    /* The IIN is not stored in clear anywhere in the row. */
    assert_false(contains(row.pii_enc, row.pii_len, "900514410006"));
    cJSON_Delete(pii);

    struct db_child_row kids[4];
    size_t n = 0;
    assert_int_equal(db_children_of_parent(r->db, row.id, kids, 4, &n), CORE_OK);
    assert_int_equal(n, 2);
    unsigned char *plain = NULL;
    size_t len = 0;
    assert_int_equal(bot_crypto_unseal(r->crypto, kids[1].pii_enc, kids[1].pii_len,
                                       "children.pii_enc", &plain, &len),
                     CORE_OK);
    assert_non_null(strstr((const char *)plain, "\"given_name\":\"Аяла\""));
    free(plain);
    db_child_rows_cleanup(kids, n);
    db_parent_row_cleanup(&row);

    struct db_timesheet_row ts;
    assert_int_equal(db_timesheet_get(r->db, "ch-0004", "2026-10", &ts), CORE_OK);
    assert_int_equal(ts.status, DB_TS_DISPUTED);
    assert_int_equal(ts.decided_at, 1793970120); /* 2026-11-06T18:02:00+05:00 */
    assert_int_equal(bot_crypto_unseal(r->crypto, ts.dispute_reason_enc, ts.dispute_reason_len,
                                       "timesheets.dispute_reason_enc", &plain, &len),
                     CORE_OK);
    assert_string_equal((const char *)plain,
                        "Бала 20-23 қазанда ауырды, табельде қатысты деп белгіленген");
    free(plain);
    db_timesheet_rows_cleanup(&ts, 1);
}

static void test_reimport_changes_nothing(void **state)
{
    struct tb_registry *r = *state;
    struct bot_import_summary first, second;
    assert_int_equal(tb_registry_import_demo(r, &first), CORE_OK);
    struct db_parent_row before, after;
    cJSON *pii = parent_pii(r, "881122310372", &before);
    cJSON_Delete(pii);
    assert_int_equal(tb_registry_import_demo(r, &second), CORE_OK);
    assert_int_equal(second.parents, first.parents);
    assert_int_equal(second.timesheets, first.timesheets);
    assert_int_equal(second.inserted, 0);
    assert_int_equal(second.updated, 0);
    assert_int_equal(second.unchanged, first.inserted);
    assert_counts(r, 3, 5, 6, 13);
    pii = parent_pii(r, "881122310372", &after);
    cJSON_Delete(pii);
    assert_int_equal(after.id, before.id);
    assert_int_equal(after.pii_len, before.pii_len);
    assert_memory_equal(after.pii_enc, before.pii_enc, before.pii_len); /* not rewritten */
    db_parent_row_cleanup(&before);
    db_parent_row_cleanup(&after);
}

struct bad_case {
    const char *file;
    int code;
    const char *needle;
};

static const struct bad_case bad_cases[] = {
    {"bad-format-wrong.json", CORE_EBADINPUT, "line 2: format must be \"tabelbot-registry/1\""},
    {"bad-format-missing.json", CORE_EBADINPUT, "\"format\": \"tabelbot-registry/1\" must come"},
    {"bad-arrays-out-of-order.json", CORE_EBADINPUT, "\"kindergartens\" out of order"},
    {"bad-top-unknown-field.json", CORE_EBADINPUT, "unknown top-level field \"parent\""},
    {"bad-syntax-truncated.json", CORE_EBADINPUT, "ends before it is complete"},
    {"bad-record-not-object.json", CORE_EBADINPUT, "parents[0]: must be an object"},
    {"bad-record-nul-escape.json", CORE_EBADINPUT, "parents[0]: text contains \\u0000"},
    {"bad-kindergarten-name-missing.json", CORE_EBADINPUT,
     "kindergartens[0] (id kg-1): name: missing"},
    {"bad-kindergarten-id-bad.json", CORE_EBADINPUT, "kindergartens[0] (id kg 1): id: must be"},
    {"bad-kindergarten-duplicate.json", CORE_EBADINPUT,
     "kindergartens[1] (id kg-1): id: the same value appears earlier"},
    {"bad-parent-iin-missing.json", CORE_EBADINPUT, "parents[0]: iin: missing"},
    {"bad-parent-iin-checksum.json", CORE_EBADINPUT,
     "parents[0] (iin 9005******07): iin: check digit does not match"},
    {"bad-parent-iin-century.json", CORE_EBADINPUT, "iin: 7th digit must be 1-6"},
    {"bad-parent-iin-not-12-digits.json", CORE_EBADINPUT, "iin: must be exactly 12 digits"},
    {"bad-parent-phone-landline.json", CORE_EBADINPUT,
     "parents[0] (iin 9005******06): phone: not a Kazakhstan mobile number"},
    {"bad-parent-phone-russian.json", CORE_EBADINPUT, "phone: not a Kazakhstan number"},
    {"bad-parent-phone-garbage.json", CORE_EBADINPUT, "phone: not a phone number"},
    {"bad-parent-gender.json", CORE_EBADINPUT, "gender: must be one of M|F"},
    {"bad-parent-birth-date-unreal.json", CORE_EBADINPUT, "birth_date: must be a real date"},
    {"bad-parent-birth-date-future.json", CORE_EBADINPUT, "birth_date: is in the future"},
    {"bad-parent-surname-type.json", CORE_EBADINPUT, "surname: must be a string"},
    {"bad-parent-surname-not-utf8.json", CORE_EBADINPUT, "surname: not valid UTF-8"},
    {"bad-parent-given-name-empty.json", CORE_EBADINPUT, "given_name: must not be empty"},
    {"bad-parent-unknown-field.json", CORE_EBADINPUT, "email: unknown field"},
    {"bad-parent-language.json", CORE_EBADINPUT, "language: must be one of kk|ru|en"},
    {"bad-parent-duplicate.json", CORE_EBADINPUT,
     "parents[1] (iin 9005******06): iin: the same value appears earlier"},
    {"bad-child-unknown-parent.json", CORE_EBADINPUT,
     "children[0] (id ch-1): parent_iin: no parent with IIN 8811******72 earlier in the file"},
    {"bad-child-unknown-kindergarten.json", CORE_EBADINPUT,
     "kindergarten_id: no kindergarten \"kg-9\" earlier in the file"},
    {"bad-child-voucher-missing.json", CORE_EBADINPUT, "children[0] (id ch-1): voucher: missing"},
    {"bad-child-voucher-status.json", CORE_EBADINPUT,
     "voucher.status: must be one of active|cancelled"},
    {"bad-child-duplicate-id.json", CORE_EBADINPUT,
     "children[1] (id ch-1): id: the same value appears earlier"},
    {"bad-child-duplicate-voucher.json", CORE_EBADINPUT,
     "children[1] (id ch-2): voucher.number: the same value appears earlier"},
    {"bad-timesheet-unknown-child.json", CORE_EBADINPUT,
     "timesheets[0] (child ch-9, month 2026-11): child_id: no child \"ch-9\""},
    {"bad-timesheet-month.json", CORE_EBADINPUT, "month: must be a month YYYY-MM"},
    {"bad-timesheet-days-length.json", CORE_EBADINPUT, "days: has 31 days, 2026-11 has 30"},
    {"bad-timesheet-days-char.json", CORE_EBADINPUT, "days: day 5 is 'X'"},
    {"bad-timesheet-status.json", CORE_EBADINPUT,
     "status: must be one of pending|confirmed|disputed"},
    {"bad-timesheet-decided-missing.json", CORE_EBADINPUT, "decided_at: missing"},
    {"bad-timesheet-decided-on-pending.json", CORE_EBADINPUT,
     "decided_at: only a confirmed or disputed timesheet has one"},
    {"bad-timesheet-decided-bad.json", CORE_EBADINPUT, "decided_at: must be an ISO 8601"},
    {"bad-timesheet-reason-not-disputed.json", CORE_EBADINPUT,
     "dispute_reason: only a disputed timesheet has one"},
    {"bad-timesheet-duplicate.json", CORE_EBADINPUT,
     "timesheets[1] (child ch-1, month 2026-11): month: the same value appears earlier"},
};

static void test_each_bad_file_imports_nothing(void **state)
{
    struct tb_registry *r = *state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        char rel[160];
        char err[BOT_IMPORT_ERROR_MAX];
        struct bot_import_summary sum;
        memset(&sum, 0x5a, sizeof sum);
        snprintf(rel, sizeof rel, "import/%s", bad_cases[i].file);
        int rc = import_fixture(r, rel, &sum, err, sizeof err);
        if (rc != bad_cases[i].code || !strstr(err, bad_cases[i].needle)) {
            fail_msg("%s: rc %d, error '%s', expected '%s'", bad_cases[i].file, rc, err,
                     bad_cases[i].needle);
        }
        assert_null(strstr(err, "900514410006"));
        assert_null(strstr(err, "881122310372"));
        assert_null(strstr(err, "+7701"));
        assert_null(strchr(err, '\n'));
        assert_int_equal(sum.parents, 0x5a5a5a5a5a5a5a5a); /* untouched on failure */
        assert_counts(r, 0, 0, 0, 0);
        assert_false(db_in_transaction(r->db));
    }
    /* The same database still takes a good file afterwards. */
    struct bot_import_summary sum;
    char err[BOT_IMPORT_ERROR_MAX];
    assert_int_equal(import_fixture(r, "import/ok-minimal.json", &sum, err, sizeof err), CORE_OK);
    assert_counts(r, 1, 1, 1, 1);
}

/* Writes text to a file in the fixture's folder and returns its path in out. */
static void
write_temp(struct tb_registry *r, const char *name, const char *text, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", r->dir, name);
    FILE *f = fopen(out, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char text[64 * 1024];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char *copy = strdup(text);
    assert_non_null(copy);
    return copy;
}

static void replace_all(char **text, const char *from, const char *to)
{
    size_t from_len = strlen(from), to_len = strlen(to);
    size_t cap = strlen(*text) * 2 + 1;
    char *out = calloc(1, cap);
    assert_non_null(out);
    const char *p = *text;
    const char *hit;
    size_t o = 0;
    while ((hit = strstr(p, from)) != NULL) {
        memcpy(out + o, p, (size_t)(hit - p));
        o += (size_t)(hit - p);
        memcpy(out + o, to, to_len);
        o += to_len;
        p = hit + from_len;
    }
    strcpy(out + o, p);
    free(*text);
    *text = out;
}

static void test_failed_reimport_keeps_previous_data(void **state)
{
    struct tb_registry *r = *state;
    struct bot_import_summary sum;
    assert_int_equal(tb_registry_import_demo(r, &sum), CORE_OK);
    char demo[512], path[512], err[BOT_IMPORT_ERROR_MAX];
    tb_fixture_path("registry-demo.json", demo, sizeof demo);
    char *text = read_all(demo);
    replace_all(&text, "Нұрланова", "Өзгерген");              /* changes that must not survive */
    replace_all(&text, "\"V-0006-2025\"", "\"V-0001-2025\""); /* fails late: a duplicate */
    write_temp(r, "changed.json", text, path, sizeof path);
    free(text);
    assert_int_equal(bot_import_file(r->db, r->crypto, path, NOW, &sum, err, sizeof err),
                     CORE_EBADINPUT);
    assert_non_null(strstr(err, "children[5] (id ch-0006): voucher.number"));
    struct db_parent_row row;
    cJSON *pii = parent_pii(r, "900514410006", &row);
    assert_string_equal(str(pii, "surname"), "Нұрланова");
    cJSON_Delete(pii);
    db_parent_row_cleanup(&row);
    assert_counts(r, 3, 5, 6, 13);
}

static void test_changed_record_is_updated(void **state)
{
    struct tb_registry *r = *state;
    struct bot_import_summary sum;
    assert_int_equal(tb_registry_import_demo(r, &sum), CORE_OK);
    struct db_parent_row before;
    cJSON_Delete(parent_pii(r, "900514410006", &before));
    char demo[512], path[512], err[BOT_IMPORT_ERROR_MAX];
    tb_fixture_path("registry-demo.json", demo, sizeof demo);
    char *text = read_all(demo);
    replace_all(&text, "+77010000001", "8 (705) 123-45-67"); /* a new phone, typed loosely */
    replace_all(&text, "\"status\": \"cancelled\"", "\"status\": \"active\"");
    write_temp(r, "changed.json", text, path, sizeof path);
    free(text);
    assert_int_equal(bot_import_file(r->db, r->crypto, path, NOW, &sum, err, sizeof err), CORE_OK);
    assert_int_equal(sum.updated, 2); /* the parent and Ольга's voucher */
    assert_int_equal(sum.inserted, 0);
    struct db_parent_row after;
    cJSON *pii = parent_pii(r, "900514410006", &after);
    assert_string_equal(str(pii, "phone"), "+77051234567");
    cJSON_Delete(pii);
    assert_int_equal(after.id, before.id);
    assert_memory_not_equal(after.phone_hash, before.phone_hash, BOT_HASH_BYTES);
    db_parent_row_cleanup(&before);
    db_parent_row_cleanup(&after);
    assert_counts(r, 3, 5, 6, 13);
}

static void test_import_from_open_stream(void **state)
{
    struct tb_registry *r = *state;
    char path[512], err[BOT_IMPORT_ERROR_MAX];
    tb_fixture_path("import/ok-minimal.json", path, sizeof path);
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    struct bot_import_summary sum;
    assert_int_equal(bot_import_stream(r->db, r->crypto, in, NOW, &sum, err, sizeof err), CORE_OK);
    fclose(in);
    assert_int_equal(sum.timesheets, 1);
    assert_counts(r, 1, 1, 1, 1);
}

static void test_multiline_reason_but_not_names(void **state)
{
    struct tb_registry *r = *state;
    char minimal[512], path[512], err[BOT_IMPORT_ERROR_MAX];
    struct bot_import_summary sum;
    tb_fixture_path("import/ok-minimal.json", minimal, sizeof minimal);
    char *text = read_all(minimal);
    replace_all(&text, "\"status\": \"pending\"",
                "\"status\": \"disputed\", \"decided_at\": \"2026-12-02T10:00:00+05:00\","
                " \"dispute_reason\": \"Бала ауырды.\\nАнықтама бар.\"");
    write_temp(r, "reason.json", text, path, sizeof path);
    assert_int_equal(bot_import_file(r->db, r->crypto, path, NOW, &sum, err, sizeof err), CORE_OK);
    struct db_timesheet_row ts;
    assert_int_equal(db_timesheet_get(r->db, "ch-1", "2026-11", &ts), CORE_OK);
    unsigned char *plain = NULL;
    size_t len = 0;
    assert_int_equal(bot_crypto_unseal(r->crypto, ts.dispute_reason_enc, ts.dispute_reason_len,
                                       "timesheets.dispute_reason_enc", &plain, &len),
                     CORE_OK);
    assert_string_equal((const char *)plain, "Бала ауырды.\nАнықтама бар.");
    free(plain);
    db_timesheet_rows_cleanup(&ts, 1);
    replace_all(&text, "\"Айгерім\"", "\"Ай\\nгерім\"");
    write_temp(r, "name.json", text, path, sizeof path);
    free(text);
    assert_int_equal(bot_import_file(r->db, r->crypto, path, NOW, &sum, err, sizeof err),
                     CORE_EBADINPUT);
    assert_non_null(strstr(err, "given_name: not valid UTF-8 text (or contains control"));
}

static void test_iin_digits_not_matching_birth_date_import(void **state)
{
    struct tb_registry *r = *state;
    struct bot_import_summary sum;
    char err[BOT_IMPORT_ERROR_MAX];
    assert_int_equal(
        import_fixture(r, "import/ok-iin-not-matching-birth-date.json", &sum, err, sizeof err),
        CORE_OK);
    assert_int_equal(sum.parents, 1);
    assert_int_equal(sum.iin_hints, 1);
    struct db_parent_row row;
    cJSON *pii = parent_pii(r, "850101300005", &row); /* IIN says 1985-01-01, male */
    assert_string_equal(str(pii, "birth_date"), "1990-05-14");
    assert_string_equal(str(pii, "gender"), "F");
    cJSON_Delete(pii);
    db_parent_row_cleanup(&row);
    assert_int_equal(import_fixture(r, "import/ok-minimal.json", &sum, err, sizeof err), CORE_OK);
    assert_int_equal(sum.iin_hints, 0);
}

static void test_decided_timesheets_not_downgraded(void **state)
{
    struct tb_registry *r = *state;
    struct bot_import_summary sum;
    assert_int_equal(tb_registry_import_demo(r, &sum), CORE_OK);
    struct db_decision d = {"ch-0001", "2026-11", DB_TS_CONFIRMED, NOW, "telegram", NULL,
                            NULL,      0,         "TB-7K2Q"};
    assert_int_equal(db_timesheet_decide(r->db, &d), CORE_OK);
    d.child_id = "ch-0002";
    d.status = DB_TS_DISPUTED;
    d.dispute_days = "2";
    assert_int_equal(db_timesheet_decide(r->db, &d), CORE_OK);
    assert_int_equal(tb_registry_import_demo(r, &sum), CORE_OK); /* the file still says pending */
    assert_int_equal(sum.kept, 2);
    assert_int_equal(sum.timesheets, 13);
    char line[256];
    bot_import_summary_format(&sum, line, sizeof line);
    assert_string_equal(line, "imported: 3 kindergartens, 5 parents, 6 children, 13 timesheets"
                              " (2 decided timesheets kept)");
    struct db_timesheet_row ts;
    assert_int_equal(db_timesheet_get(r->db, "ch-0001", "2026-11", &ts), CORE_OK);
    assert_int_equal(ts.status, DB_TS_CONFIRMED);
    assert_string_equal(ts.receipt, "TB-7K2Q");
    assert_string_equal(ts.decided_via, "telegram");
    db_timesheet_rows_cleanup(&ts, 1);
    assert_int_equal(db_timesheet_get(r->db, "ch-0002", "2026-11", &ts), CORE_OK);
    assert_int_equal(ts.status, DB_TS_DISPUTED);
    db_timesheet_rows_cleanup(&ts, 1);
    struct db_registry_counts c;
    assert_int_equal(db_registry_counts(r->db, &c), CORE_OK);
    assert_int_equal(c.timesheets_pending, 6);
}

static void test_record_too_big(void **state)
{
    struct tb_registry *r = *state;
    size_t big = BOT_IMPORT_MAX_RECORD + 10;
    char *text = malloc(big + 1024);
    assert_non_null(text);
    int n = snprintf(text, 1024,
                     "{\"format\": \"tabelbot-registry/1\", \"kindergartens\": [],"
                     " \"parents\": [{\"iin\": \"900514410006\", \"patronymic\": \"");
    memset(text + n, 'x', big);
    strcpy(text + n + big, "\"}]}");
    char path[512], err[BOT_IMPORT_ERROR_MAX];
    struct bot_import_summary sum;
    write_temp(r, "big.json", text, path, sizeof path);
    free(text);
    assert_int_equal(bot_import_file(r->db, r->crypto, path, NOW, &sum, err, sizeof err),
                     CORE_ETOOBIG);
    assert_non_null(strstr(err, "parents[0] is larger than 65536 bytes"));
    assert_int_equal(
        bot_import_file(r->db, r->crypto, "/nonexistent/x.json", NOW, &sum, err, sizeof err),
        CORE_EIO);
    assert_non_null(strstr(err, "cannot open /nonexistent/x.json"));
}

/* ---- the command ---- */

struct run_result {
    int code;
    char out[1024];
    char err[1024];
};

static void slurp(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(out, 1, len - 1, f) : 0;
    out[n] = '\0';
    if (f) {
        fclose(f);
    }
}

/* Runs the built binary with argv in folder dir (so the default config's tabelbot.db and
 * tabelbot.key land there). */
static void run_cli(const char *dir, char *const argv[], struct run_result *res)
{
    const char *bin = getenv("TABELBOT_BIN");
    if (!bin) {
        skip();
    }
    char out_path[256], err_path[256];
    snprintf(out_path, sizeof out_path, "%s/stdout", dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (chdir(dir) != 0 || !freopen(out_path, "w", stdout) || !freopen(err_path, "w", stderr)) {
            _exit(127);
        }
        execv(bin, argv);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    res->code = WEXITSTATUS(status);
    slurp(out_path, res->out, sizeof res->out);
    slurp(err_path, res->err, sizeof res->err);
}

static int count_lines(const char *text)
{
    int n = 0;
    for (; *text; text++) {
        n += *text == '\n';
    }
    return n;
}

static void test_command(void **state)
{
    struct tb_registry *r = *state;
    char demo[512], bad[512];
    tb_fixture_path("registry-demo.json", demo, sizeof demo);
    tb_fixture_path("import/bad-parent-iin-checksum.json", bad, sizeof bad);
    struct run_result res;

    char *no_file[] = {"tabelbot", "import", NULL};
    run_cli(r->dir, no_file, &res);
    assert_int_equal(res.code, 2);
    assert_int_equal(count_lines(res.err), 1);
    assert_non_null(strstr(res.err, "missing FILE"));

    char *unknown[] = {"tabelbot", "import", "--frobnicate", demo, NULL};
    run_cli(r->dir, unknown, &res);
    assert_int_equal(res.code, 2);
    assert_non_null(strstr(res.err, "unknown option '--frobnicate'"));

    char *two[] = {"tabelbot", "import", demo, demo, NULL};
    run_cli(r->dir, two, &res);
    assert_int_equal(res.code, 2);

    char *missing[] = {"tabelbot", "import", "no-such-file.json", NULL};
    run_cli(r->dir, missing, &res);
    assert_int_equal(res.code, 1);
    assert_int_equal(count_lines(res.err), 1);
    assert_non_null(strstr(res.err, "cannot open no-such-file.json"));
    char db_path[256];
    snprintf(db_path, sizeof db_path, "%s/tabelbot.db", r->dir);
    assert_int_not_equal(access(db_path, F_OK), 0); /* nothing created for a wrong path */

    char *bad_run[] = {"tabelbot", "import", bad, NULL};
    run_cli(r->dir, bad_run, &res);
    assert_int_equal(res.code, 1);
    assert_int_equal(count_lines(res.err), 1);
    assert_non_null(strstr(res.err, "parents[0] (iin 9005******07): iin: check digit"));
    assert_string_equal(res.out, "");

    char *good[] = {"tabelbot", "import", demo, NULL};
    for (int i = 0; i < 2; i++) { /* the second run imports the same again */
        run_cli(r->dir, good, &res);
        assert_int_equal(res.code, 0);
        assert_string_equal(res.out,
                            "imported: 3 kindergartens, 5 parents, 6 children, 13 timesheets\n");
    }
    char config[512];
    char cfg_text[600];
    snprintf(cfg_text, sizeof cfg_text, "[database]\npath = \"%s/other.db\"\n", r->dir);
    write_temp(r, "import.toml", cfg_text, config, sizeof config);
    char *with_config[] = {"tabelbot", "import", "--config", config, "--stats", demo, NULL};
    run_cli(r->dir, with_config, &res);
    assert_int_equal(res.code, 0);
    assert_non_null(strstr(res.err, "peak_rss_kib="));
    char other[256];
    snprintf(other, sizeof other, "%s/other.db", r->dir);
    assert_int_equal(access(other, F_OK), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_demo_counts_and_decrypts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reimport_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_bad_file_imports_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_reimport_keeps_previous_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_record_is_updated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_from_open_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multiline_reason_but_not_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_iin_digits_not_matching_birth_date_import, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_decided_timesheets_not_downgraded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_too_big, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
