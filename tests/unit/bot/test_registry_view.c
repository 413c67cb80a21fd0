/* SPDX-License-Identifier: MIT
 * The dialog's registry view over the imported demo registry: find_holder for every demo
 * parent, wrong phone, wrong IIN, typed phone forms; get_parent; Айгерім's two children with
 * decrypted names, kindergartens and vouchers; timesheets newest first with November pending;
 * Ольга's cancelled voucher. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bot/registry_view.h"
#include "db/registry.h"
#include "support/registry_support.h"

struct fixture {
    struct tb_registry reg;
    struct bot_registry_view view;
};

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof f);
    assert_int_equal(tb_registry_open(&f.reg), CORE_OK);
    struct bot_import_summary sum;
    assert_int_equal(tb_registry_import_demo(&f.reg, &sum), CORE_OK);
    bot_registry_view_init(&f.view, f.reg.db, f.reg.crypto);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    tb_registry_close(&f->reg);
    return 0;
}

static const struct {
    const char *iin;
    const char *phone;
    const char *given_name;
    const char *surname;
    const char *patronymic;
    char sex;
    const char *birth_date;
    enum dlg_lang lang;
} demo[] = {
    {"900514410006", "+77010000001", "Айгерім", "Нұрланова", "Серікқызы", 'F', "1990-05-14",
     DLG_LANG_KK},
    {"881122310372", "+77020000002", "Дмитрий", "Ковалёв", "Сергеевич", 'M', "1988-11-22",
     DLG_LANG_RU},
    {"920303310748", "+77070000003", "Ерлан", "Жақсыбеков", "Маратұлы", 'M', "1992-03-03",
     DLG_LANG_KK},
    {"950717411116", "+77470000004", "Гүлнар", "Бекова", "Асқарқызы", 'F', "1995-07-17",
     DLG_LANG_KK},
    {"870208411489", "+77770000005", "Ольга", "Ким", "Викторовна", 'F', "1987-02-08", DLG_LANG_RU},
};

static enum dlg_match
find(struct fixture *f, const char *phone, const char *iin, struct dlg_parent *out)
{
    enum dlg_match match = DLG_MATCH_OK;
    assert_int_equal(f->view.view.find_holder(f->view.view.ctx, phone, iin, &match, out), 0);
    return match;
}

static void test_find_holder_every_demo_parent(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < sizeof demo / sizeof demo[0]; i++) {
        struct dlg_parent p;
        assert_int_equal(find(f, demo[i].phone, demo[i].iin, &p), DLG_MATCH_OK);
        assert_string_equal(p.person.given_name, demo[i].given_name);
        assert_string_equal(p.person.surname, demo[i].surname);
        assert_string_equal(p.person.patronymic, demo[i].patronymic);
        assert_int_equal(p.person.sex, demo[i].sex);
        assert_string_equal(p.person.birth_date, demo[i].birth_date);
        assert_int_equal(p.lang, demo[i].lang);
        struct dlg_parent again;
        assert_int_equal(f->view.view.get_parent(f->view.view.ctx, p.id, &again), 0);
        assert_int_equal(again.id, p.id);
        assert_string_equal(again.person.given_name, demo[i].given_name);
    }
}

static void test_find_holder_mismatches(void **state)
{
    struct fixture *f = *state;
    struct dlg_parent p;
    memset(&p, 0x77, sizeof p);
    /* Айгерім's IIN with Дмитрий's phone, and the other way round. */
    assert_int_equal(find(f, "+77020000002", "900514410006", &p), DLG_MATCH_NONE);
    assert_int_equal(find(f, "+77010000001", "881122310372", &p), DLG_MATCH_NONE);
    /* A valid IIN nobody in the registry has. */
    assert_int_equal(find(f, "+77010000001", "850101300005", &p), DLG_MATCH_NONE);
    /* Garbage in either part. */
    assert_int_equal(find(f, "+77010000001", "900514410007", &p), DLG_MATCH_NONE);
    assert_int_equal(find(f, "hello", "900514410006", &p), DLG_MATCH_NONE);
    assert_int_equal(find(f, "+77010000001", "", &p), DLG_MATCH_NONE);
    assert_int_equal(find(f, NULL, "900514410006", &p), DLG_MATCH_NONE);
    unsigned char untouched[sizeof p];
    memset(untouched, 0x77, sizeof untouched);
    assert_memory_equal(&p, untouched, sizeof p); /* nothing revealed on a miss */
    /* The phone as a parent might type it still matches. */
    assert_int_equal(find(f, "8 (701) 000-00-01", "900514410006", &p), DLG_MATCH_OK);
    assert_string_equal(p.person.given_name, "Айгерім");
}

static void test_get_parent_unknown(void **state)
{
    struct fixture *f = *state;
    struct dlg_parent p;
    assert_int_equal(f->view.view.get_parent(f->view.view.ctx, 999999, &p), CORE_ENOTFOUND);
}

static int64_t parent_id(struct fixture *f, const char *phone, const char *iin)
{
    struct dlg_parent p;
    assert_int_equal(find(f, phone, iin, &p), DLG_MATCH_OK);
    return p.id;
}

static void test_children_of_aigerim(void **state)
{
    struct fixture *f = *state;
    int64_t id = parent_id(f, "+77010000001", "900514410006");
    struct dlg_child kids[DLG_MAX_CHILDREN];
    size_t n = 0;
    assert_int_equal(f->view.view.children(f->view.view.ctx, id, kids, DLG_MAX_CHILDREN, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(kids[0].id, "ch-0001");
    assert_string_equal(kids[0].given_name, "Әлихан");
    assert_string_equal(kids[0].surname, "Нұрланов");
    assert_string_equal(kids[0].voucher_number, "V-0001-2025");
    assert_false(kids[0].voucher_cancelled);
    assert_string_equal(kids[0].kindergarten[DLG_LANG_KK], "№14 «Балапан» бөбекжай-бақшасы");
    assert_string_equal(kids[0].kindergarten[DLG_LANG_RU], "Ясли-сад №14 «Балапан»");
    assert_string_equal(kids[0].kindergarten[DLG_LANG_EN], "");
    assert_string_equal(kids[1].id, "ch-0002");
    assert_string_equal(kids[1].given_name, "Аяла");
    assert_string_equal(kids[1].voucher_number, "V-0002-2025");
    /* max bounds the answer. */
    assert_int_equal(f->view.view.children(f->view.view.ctx, id, kids, 1, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(kids[0].id, "ch-0001");
}

static void test_cancelled_voucher(void **state)
{
    struct fixture *f = *state;
    int64_t id = parent_id(f, "+77770000005", "870208411489");
    struct dlg_child kids[DLG_MAX_CHILDREN];
    size_t n = 0;
    assert_int_equal(f->view.view.children(f->view.view.ctx, id, kids, DLG_MAX_CHILDREN, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(kids[0].given_name, "Алиса");
    assert_true(kids[0].voucher_cancelled);
}

static void test_timesheets_newest_first(void **state)
{
    struct fixture *f = *state;
    struct dlg_timesheet ts[DLG_MAX_MONTHS];
    size_t n = 0;
    for (int k = 0; k < 2; k++) {
        const char *child = k ? "ch-0002" : "ch-0001";
        assert_int_equal(f->view.view.timesheets(f->view.view.ctx, child, ts, DLG_MAX_MONTHS, &n),
                         0);
        assert_int_equal(n, 2);
        assert_string_equal(ts[0].month, "2026-11");
        assert_int_equal(ts[0].status, DLG_TS_PENDING);
        assert_int_equal(ts[0].decided_at, 0);
        assert_int_equal(strlen(ts[0].days), 30);
        assert_string_equal(ts[1].month, "2026-10");
        assert_int_equal(ts[1].status, DLG_TS_CONFIRMED);
        assert_true(ts[1].decided_at > 0);
    }
    assert_string_equal(ts[0].days, "-SPPPP--PPPPP--PPPPP--PPPPP--P");
    assert_int_equal(f->view.view.timesheets(f->view.view.ctx, "ch-0004", ts, 1, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(ts[0].month, "2026-11");
    assert_int_equal(f->view.view.timesheets(f->view.view.ctx, "ch-0004", ts, 2, &n), 0);
    assert_int_equal(ts[1].status, DLG_TS_DISPUTED);
    assert_int_equal(f->view.view.timesheets(f->view.view.ctx, "nope", ts, 2, &n), 0);
    assert_int_equal(n, 0);
}

static void test_receipt_after_decision(void **state)
{
    struct fixture *f = *state;
    struct db_decision d = {"ch-0001", "2026-11", DB_TS_CONFIRMED, 1796300000, "sms", NULL,
                            NULL,      0,         "TB-AB12"};
    assert_int_equal(db_timesheet_decide(f->reg.db, &d), CORE_OK);
    struct dlg_timesheet ts[2];
    size_t n = 0;
    assert_int_equal(f->view.view.timesheets(f->view.view.ctx, "ch-0001", ts, 2, &n), 0);
    assert_int_equal(ts[0].status, DLG_TS_CONFIRMED);
    assert_int_equal(ts[0].decided_at, 1796300000);
    assert_string_equal(ts[0].receipt, "TB-AB12");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_find_holder_every_demo_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_holder_mismatches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_parent_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_children_of_aigerim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancelled_voucher, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timesheets_newest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receipt_after_decision, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
