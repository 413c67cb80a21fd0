/* SPDX-License-Identifier: MIT
 * db/registry against a real in-memory sqlite: upserts and their change detection, the
 * pending-only decision, lookups and their order, counts, the import scratch table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "db/registry.h"

struct fixture {
    struct db *db;
    int64_t parent_id;
};

static void fill(unsigned char *hash, unsigned char byte)
{
    memset(hash, byte, DB_HASH_BYTES);
}

static const unsigned char pii_a[] = "sealed-parent-a";

static int64_t add_parent(struct db *db, unsigned char iin, unsigned char phone)
{
    unsigned char iin_hash[DB_HASH_BYTES], phone_hash[DB_HASH_BYTES], pii_hash[DB_HASH_BYTES];
    fill(iin_hash, iin);
    fill(phone_hash, phone);
    fill(pii_hash, 0x55);
    struct db_parent_in p = {iin_hash, phone_hash, pii_hash, pii_a, sizeof pii_a, "kk"};
    int64_t id = 0;
    assert_int_equal(db_parent_upsert(db, &p, 1000, &id, NULL), CORE_OK);
    return id;
}

static void add_child(struct db *db, const char *id, int64_t parent_id, const char *voucher)
{
    unsigned char pii_hash[DB_HASH_BYTES];
    fill(pii_hash, 0x66);
    struct db_child_in c = {id, parent_id, "kg-1", pii_hash, (const unsigned char *)"c", 1};
    assert_int_equal(db_child_upsert(db, &c, 1000, NULL), CORE_OK);
    assert_int_equal(db_voucher_upsert(db, voucher, id, false, 1000, NULL), CORE_OK);
}

static void add_ts(struct db *db, const char *child, const char *month, enum db_upsert *what)
{
    struct db_timesheet_in ts = {child, month, "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPP", DB_TS_PENDING, 0,
                                 NULL,  0};
    assert_int_equal(db_timesheet_upsert(db, &ts, 1000, what), CORE_OK);
}

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof f);
    assert_int_equal(db_open(":memory:", &f.db), CORE_OK);
    struct db_kindergarten kg = {"kg-1", "Алматы", "Балапан", "Балапан ru", NULL};
    assert_int_equal(db_kindergarten_upsert(f.db, &kg, 1000, NULL), CORE_OK);
    f.parent_id = add_parent(f.db, 0x11, 0x21);
    add_child(f.db, "ch-2", f.parent_id, "V-2");
    add_child(f.db, "ch-1", f.parent_id, "V-1");
    add_ts(f.db, "ch-1", "2026-11", NULL);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    db_close(f->db);
    return 0;
}

static struct db_decision confirm(const char *child, const char *month)
{
    struct db_decision d = {child, month, DB_TS_CONFIRMED, 2000, "telegram", NULL,
                            NULL,  0,     "R-ABC"};
    return d;
}

static void test_decide_updates_pending_only(void **state)
{
    struct fixture *f = *state;
    struct db_decision d = confirm("ch-1", "2026-11");
    assert_int_equal(db_timesheet_decide(f->db, &d), CORE_OK);
    struct db_timesheet_row row;
    assert_int_equal(db_timesheet_get(f->db, "ch-1", "2026-11", &row), CORE_OK);
    assert_int_equal(row.status, DB_TS_CONFIRMED);
    assert_int_equal(row.decided_at, 2000);
    assert_string_equal(row.decided_via, "telegram");
    assert_string_equal(row.receipt, "R-ABC");
    db_timesheet_rows_cleanup(&row, 1);

    /* A second decision (a dispute this time) is refused and changes nothing. */
    struct db_decision again = {
        "ch-1", "2026-11", DB_TS_DISPUTED, 3000, "sms", "3", (const unsigned char *)"x",
        1,      "R-DEF"};
    assert_int_equal(db_timesheet_decide(f->db, &again), CORE_ESTATE);
    assert_int_equal(db_timesheet_get(f->db, "ch-1", "2026-11", &row), CORE_OK);
    assert_int_equal(row.status, DB_TS_CONFIRMED);
    assert_string_equal(row.receipt, "R-ABC");
    assert_null(row.dispute_reason_enc);
    db_timesheet_rows_cleanup(&row, 1);
}

static void test_decide_absent_and_invalid(void **state)
{
    struct fixture *f = *state;
    struct db_decision d = confirm("ch-1", "2026-10");
    assert_int_equal(db_timesheet_decide(f->db, &d), CORE_ENOTFOUND);
    d = confirm("ch-9", "2026-11");
    assert_int_equal(db_timesheet_decide(f->db, &d), CORE_ENOTFOUND);
    d = confirm("ch-1", "2026-11");
    d.status = DB_TS_PENDING;
    assert_int_equal(db_timesheet_decide(f->db, &d), CORE_EINVAL);
}

static void test_dispute_stores_days_and_reason(void **state)
{
    struct fixture *f = *state;
    struct db_decision d = {"ch-1",
                            "2026-11",
                            DB_TS_DISPUTED,
                            2500,
                            "sms",
                            "3,7,15-17",
                            (const unsigned char *)"sealed",
                            6,
                            "R-1"};
    assert_int_equal(db_timesheet_decide(f->db, &d), CORE_OK);
    struct db_timesheet_row row;
    assert_int_equal(db_timesheet_get(f->db, "ch-1", "2026-11", &row), CORE_OK);
    assert_int_equal(row.status, DB_TS_DISPUTED);
    assert_string_equal(row.dispute_days, "3,7,15-17");
    assert_int_equal(row.dispute_reason_len, 6);
    assert_memory_equal(row.dispute_reason_enc, "sealed", 6);
    db_timesheet_rows_cleanup(&row, 1);
}

static void test_timesheet_upsert_never_downgrades(void **state)
{
    struct fixture *f = *state;
    enum db_upsert what;
    add_ts(f->db, "ch-1", "2026-11", &what);
    assert_int_equal(what, DB_UPSERT_UNCHANGED);
    struct db_decision d = confirm("ch-1", "2026-11");
    assert_int_equal(db_timesheet_decide(f->db, &d), CORE_OK);
    add_ts(f->db, "ch-1", "2026-11", &what); /* the portal still says pending */
    assert_int_equal(what, DB_UPSERT_KEPT);
    struct db_timesheet_row row;
    assert_int_equal(db_timesheet_get(f->db, "ch-1", "2026-11", &row), CORE_OK);
    assert_int_equal(row.status, DB_TS_CONFIRMED);
    assert_string_equal(row.receipt, "R-ABC");
    db_timesheet_rows_cleanup(&row, 1);
}

static void test_timesheet_upsert_updates_pending(void **state)
{
    struct fixture *f = *state;
    struct db_timesheet_in ts = {
        "ch-1", "2026-11", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", DB_TS_PENDING, 0, NULL, 0};
    enum db_upsert what;
    assert_int_equal(db_timesheet_upsert(f->db, &ts, 1100, &what), CORE_OK);
    assert_int_equal(what, DB_UPSERT_UPDATED);
    ts.status = DB_TS_CONFIRMED; /* decided on the portal: an upgrade is applied */
    ts.decided_at = 1200;
    assert_int_equal(db_timesheet_upsert(f->db, &ts, 1100, &what), CORE_OK);
    assert_int_equal(what, DB_UPSERT_UPDATED);
    assert_int_equal(db_timesheet_upsert(f->db, &ts, 1100, &what), CORE_OK);
    assert_int_equal(what, DB_UPSERT_UNCHANGED);
    ts.decided_at = 1300; /* the same decision echoed with another time: no conflict */
    assert_int_equal(db_timesheet_upsert(f->db, &ts, 1100, &what), CORE_OK);
    assert_int_equal(what, DB_UPSERT_UNCHANGED);
    ts.status = DB_TS_DISPUTED; /* a different decision: ours stays */
    assert_int_equal(db_timesheet_upsert(f->db, &ts, 1100, &what), CORE_OK);
    assert_int_equal(what, DB_UPSERT_KEPT);
    ts.status = DB_TS_CONFIRMED;
    struct db_timesheet_row row;
    assert_int_equal(db_timesheet_get(f->db, "ch-1", "2026-11", &row), CORE_OK);
    assert_int_equal(row.status, DB_TS_CONFIRMED);
    assert_int_equal(row.decided_at, 1200);
    assert_string_equal(row.decided_via, "portal");
    assert_string_equal(row.days, ts.days);
    db_timesheet_rows_cleanup(&row, 1);
}

static void test_parent_upsert_change_detection(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(add_parent(f->db, 0x11, 0x21), f->parent_id);
    unsigned char iin[DB_HASH_BYTES], phone[DB_HASH_BYTES], pii[DB_HASH_BYTES];
    fill(iin, 0x11);
    fill(phone, 0x21);
    fill(pii, 0x55);
    struct db_parent_in p = {iin, phone, pii, pii_a, sizeof pii_a, "kk"};
    int64_t id = 0;
    enum db_upsert what;
    assert_int_equal(db_parent_upsert(f->db, &p, 1, &id, &what), CORE_OK);
    assert_int_equal(what, DB_UPSERT_UNCHANGED);
    p.language = "ru";
    assert_int_equal(db_parent_upsert(f->db, &p, 1, &id, &what), CORE_OK);
    assert_int_equal(what, DB_UPSERT_UPDATED);
    assert_int_equal(id, f->parent_id);
    struct db_parent_row row;
    assert_int_equal(db_parent_find_by_iin_hash(f->db, iin, &row), CORE_OK);
    assert_int_equal(row.id, f->parent_id);
    assert_string_equal(row.language, "ru");
    assert_memory_equal(row.phone_hash, phone, DB_HASH_BYTES);
    assert_int_equal(row.pii_len, sizeof pii_a);
    assert_memory_equal(row.pii_enc, pii_a, sizeof pii_a);
    db_parent_row_cleanup(&row);
    fill(iin, 0x12);
    assert_int_equal(db_parent_find_by_iin_hash(f->db, iin, &row), CORE_ENOTFOUND);
    assert_int_equal(db_parent_get(f->db, f->parent_id + 100, &row), CORE_ENOTFOUND);
    assert_int_equal(db_parent_get(f->db, f->parent_id, &row), CORE_OK);
    db_parent_row_cleanup(&row);
}

static void test_children_ordered_with_voucher(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(db_voucher_upsert(f->db, "V-2", "ch-2", true, 5, NULL), CORE_OK);
    struct db_child_row rows[4];
    size_t n = 0;
    assert_int_equal(db_children_of_parent(f->db, f->parent_id, rows, 4, &n), CORE_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].id, "ch-1");
    assert_string_equal(rows[0].voucher_number, "V-1");
    assert_false(rows[0].voucher_cancelled);
    assert_string_equal(rows[0].kg_name_kk, "Балапан");
    assert_string_equal(rows[0].kg_name_ru, "Балапан ru");
    assert_string_equal(rows[0].kg_name_en, "");
    assert_string_equal(rows[1].id, "ch-2");
    assert_true(rows[1].voucher_cancelled);
    db_child_rows_cleanup(rows, n);
    assert_int_equal(db_children_of_parent(f->db, f->parent_id, rows, 1, &n), CORE_OK);
    assert_int_equal(n, 1);
    db_child_rows_cleanup(rows, n);
}

static void test_voucher_replaced_and_moved(void **state)
{
    struct fixture *f = *state;
    enum db_upsert what;
    assert_int_equal(db_voucher_upsert(f->db, "V-1", "ch-1", false, 5, &what), CORE_OK);
    assert_int_equal(what, DB_UPSERT_UNCHANGED);
    assert_int_equal(db_voucher_upsert(f->db, "V-9", "ch-1", false, 5, &what), CORE_OK);
    assert_int_equal(what, DB_UPSERT_UPDATED);
    assert_int_equal(db_voucher_upsert(f->db, "V-2", "ch-1", false, 5, &what), CORE_OK);
    struct db_registry_counts c;
    assert_int_equal(db_registry_counts(f->db, &c), CORE_OK);
    assert_int_equal(c.vouchers, 1); /* V-2 moved from ch-2 to ch-1, V-9 replaced */
    struct db_child_row rows[2];
    size_t n = 0;
    assert_int_equal(db_children_of_parent(f->db, f->parent_id, rows, 2, &n), CORE_OK);
    assert_string_equal(rows[0].voucher_number, "V-2");
    assert_string_equal(rows[1].voucher_number, "");
    db_child_rows_cleanup(rows, n);
}

static void test_timesheets_newest_first(void **state)
{
    struct fixture *f = *state;
    add_ts(f->db, "ch-1", "2026-09", NULL);
    add_ts(f->db, "ch-1", "2026-10", NULL);
    add_ts(f->db, "ch-2", "2026-12", NULL);
    struct db_timesheet_row rows[2];
    size_t n = 0;
    assert_int_equal(db_timesheets_of_child(f->db, "ch-1", rows, 2, &n), CORE_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].month, "2026-11");
    assert_string_equal(rows[1].month, "2026-10");
    assert_int_equal(rows[0].status, DB_TS_PENDING);
    assert_int_equal(rows[0].decided_at, 0);
    db_timesheet_rows_cleanup(rows, n);
    assert_int_equal(db_timesheets_of_child(f->db, "ch-9", rows, 2, &n), CORE_OK);
    assert_int_equal(n, 0);
}

static void test_kindergarten_and_child_outcomes(void **state)
{
    struct fixture *f = *state;
    struct db_kindergarten kg = {"kg-1", "Алматы", "Балапан", "Балапан ru", NULL};
    enum db_upsert what;
    assert_int_equal(db_kindergarten_upsert(f->db, &kg, 1, &what), CORE_OK);
    assert_int_equal(what, DB_UPSERT_UNCHANGED);
    kg.name_en = "Balapan";
    assert_int_equal(db_kindergarten_upsert(f->db, &kg, 1, &what), CORE_OK);
    assert_int_equal(what, DB_UPSERT_UPDATED);
    kg.id = "kg-2";
    assert_int_equal(db_kindergarten_upsert(f->db, &kg, 1, &what), CORE_OK);
    assert_int_equal(what, DB_UPSERT_INSERTED);
    unsigned char pii_hash[DB_HASH_BYTES];
    fill(pii_hash, 0x66);
    struct db_child_in c = {"ch-1", f->parent_id, "kg-1", pii_hash, (const unsigned char *)"c", 1};
    assert_int_equal(db_child_upsert(f->db, &c, 1, &what), CORE_OK);
    assert_int_equal(what, DB_UPSERT_UNCHANGED);
    c.kindergarten_id = "kg-2";
    assert_int_equal(db_child_upsert(f->db, &c, 1, &what), CORE_OK);
    assert_int_equal(what, DB_UPSERT_UPDATED);
    c.kindergarten_id = "kg-missing"; /* foreign key */
    assert_int_not_equal(db_child_upsert(f->db, &c, 1, &what), CORE_OK);
}

static void test_counts(void **state)
{
    struct fixture *f = *state;
    struct db_registry_counts c;
    assert_int_equal(db_registry_counts(f->db, &c), CORE_OK);
    assert_int_equal(c.kindergartens, 1);
    assert_int_equal(c.parents, 1);
    assert_int_equal(c.children, 2);
    assert_int_equal(c.vouchers, 2);
    assert_int_equal(c.timesheets, 1);
    assert_int_equal(c.timesheets_pending, 1);
}

static void test_import_scratch(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(db_import_scratch_begin(f->db), CORE_OK);
    assert_int_equal(db_begin(f->db), CORE_OK);
    assert_int_equal(db_import_seen_add(f->db, DB_SEEN_CHILD, "ch-1", 4, 7), CORE_OK);
    assert_int_equal(db_import_seen_add(f->db, DB_SEEN_CHILD, "ch-1", 4, 8), CORE_EEXIST);
    assert_int_equal(db_import_seen_add(f->db, DB_SEEN_VOUCHER, "ch-1", 4, 0), CORE_OK);
    int64_t ref = 0;
    assert_int_equal(db_import_seen_find(f->db, DB_SEEN_CHILD, "ch-1", 4, &ref), CORE_OK);
    assert_int_equal(ref, 7);
    assert_int_equal(db_import_seen_find(f->db, DB_SEEN_CHILD, "ch-2", 4, &ref), CORE_ENOTFOUND);
    assert_int_equal(db_import_scratch_begin(f->db), CORE_ESTATE);
    assert_int_equal(db_commit(f->db), CORE_OK);
    db_import_scratch_end(f->db);
    /* A new import starts empty. */
    assert_int_equal(db_import_scratch_begin(f->db), CORE_OK);
    assert_int_equal(db_import_seen_find(f->db, DB_SEEN_CHILD, "ch-1", 4, &ref), CORE_ENOTFOUND);
    db_import_scratch_end(f->db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_decide_updates_pending_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decide_absent_and_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dispute_stores_days_and_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timesheet_upsert_never_downgrades, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timesheet_upsert_updates_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parent_upsert_change_detection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_children_ordered_with_voucher, setup, teardown),
        cmocka_unit_test_setup_teardown(test_voucher_replaced_and_moved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timesheets_newest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kindergarten_and_child_outcomes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_scratch, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
