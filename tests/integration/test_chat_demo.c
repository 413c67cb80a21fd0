/* SPDX-License-Identifier: MIT
 * The newcomer's path of the README, through the real binary: migrate, import the demo
 * registry, then `tabelbot chat` as Айгерім (kk) and as Дмитрий (ru) from /start to a receipt,
 * reading the one-time code from the dev console sink as a parent reads an SMS. Then the
 * database must show the decision, its audit row with the same receipt, and a portal event. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "support/proc.h"
#include "support/term.h"

#define WAIT_MS 20000

struct demo {
    char dir[256];
    char config[300];
    char bin[512];
};

static int setup(void **state)
{
    struct demo *demo = calloc(1, sizeof *demo);
    assert_non_null(demo);
    assert_int_equal(tb_tempdir(demo->dir, sizeof demo->dir), 0);
    snprintf(demo->bin, sizeof demo->bin, "%s", getenv("TABELBOT_BIN"));
    snprintf(demo->config, sizeof demo->config, "%s/demo.toml", demo->dir);
    assert_int_equal(tb_write_file(demo->config, "[dev]\nclock_override = true\n"
                                                 "code_sink = \"console\"\n"),
                     0);
    char fixture[512];
    snprintf(fixture, sizeof fixture, "%s/tests/fixtures/registry-demo.json",
             getenv("TABELBOT_SOURCE_DIR"));
    const char *migrate[] = {"migrate", "--config", demo->config, NULL};
    const char *import[] = {"import", "--config", demo->config, fixture, NULL};
    char out[2048];
    assert_int_equal(tb_run_bin(demo->dir, migrate, NULL, out, sizeof out, WAIT_MS), 0);
    assert_int_equal(tb_run_bin(demo->dir, import, NULL, out, sizeof out, WAIT_MS), 0);
    *state = demo;
    return 0;
}

static int teardown(void **state)
{
    struct demo *demo = *state;
    tb_rmtree(demo->dir);
    free(demo);
    return 0;
}

static void start_chat(struct demo *demo, struct tb_term *term, const char *user)
{
    char *argv[] = {demo->bin, "chat", "--config", demo->config, "--user", (char *)user, NULL};
    char *env[] = {"TABELBOT_NOW=2026-12-03T10:00:00+05:00", NULL};
    assert_int_equal(tb_term_start(term, demo->dir, argv, env), 0);
}

static void say(struct tb_term *term, const char *line, const char *expect)
{
    assert_int_equal(tb_term_send(term, line), 0);
    assert_true(tb_term_expect(term, expect, WAIT_MS));
}

static void register_parent(struct tb_term *term,
                            const char *lang_choice,
                            const char *phone,
                            const char *iin,
                            const char *code_prompt_fragment)
{
    say(term, lang_choice, "2026-11"); /* the data policy names its version */
    say(term, "1", "+7");              /* consent accepted: the phone is asked */
    assert_int_equal(tb_term_send(term, phone), 0);
    assert_int_equal(tb_term_send(term, iin), 0);
    char code[7]; /* the dev sink prints the code before the bot's "code sent" message */
    assert_true(tb_term_capture_code(term, "tabelbot code: ", code, WAIT_MS));
    assert_true(tb_term_expect(term, code_prompt_fragment, WAIT_MS));
    assert_int_equal(tb_term_send(term, code), 0);
}

static int64_t count_rows(const struct demo *demo, const char *sql)
{
    char path[300];
    snprintf(path, sizeof path, "%s/tabelbot.db", demo->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
}

static void test_kk_parent_confirms_november_and_gets_a_receipt(void **state)
{
    struct demo *demo = *state;
    struct tb_term term;
    start_chat(demo, &term, "aigerim");
    assert_true(tb_term_expect(&term, "Қазақша", WAIT_MS));
    register_parent(&term, "1", "8 701 000 00 01", "900514410006", "код");
    assert_true(tb_term_expect(&term, "Нұрланова", WAIT_MS)); /* registry data shown back */
    say(&term, "1", "Табельді растау");                       /* this is me -> menu */
    say(&term, "1", "Әлихан");                                /* two children: choose */
    say(&term, "1", "қараша 2026");                           /* months, pending first */
    say(&term, "1", "Растау");                                /* the calendar */
    say(&term, "1", "372");                                   /* legally binding, said so */
    say(&term, "1", "-");                                     /* confirmed */
    assert_int_equal(tb_term_finish(&term, WAIT_MS), 0);
    tb_term_cleanup(&term);
    assert_int_equal(count_rows(demo, "SELECT count(*) FROM timesheets WHERE child_id='ch-0001'"
                                      " AND month='2026-11' AND status='confirmed'"
                                      " AND receipt IS NOT NULL AND decided_via='console'"),
                     1);
    assert_int_equal(count_rows(demo, "SELECT count(*) FROM audit a JOIN timesheets t"
                                      " ON a.receipt = t.receipt WHERE a.action='confirmed'"
                                      " AND t.child_id='ch-0001' AND t.month='2026-11'"),
                     1);
    assert_int_equal(count_rows(demo, "SELECT count(*) FROM portal_events WHERE"
                                      " kind='confirmed' AND child_id='ch-0001'"),
                     1);
    /* Nothing personal in clear: the phone and IIN typed are nowhere in the tables. */
    assert_int_equal(count_rows(demo, "SELECT count(*) FROM contacts WHERE"
                                      " instr(CAST(address_enc AS TEXT), 'aigerim') > 0"),
                     0);
}

static void test_ru_parent_at_risk_confirms_with_a_warning_shown(void **state)
{
    struct demo *demo = *state;
    struct tb_term term;
    start_chat(demo, &term, "dmitry");
    assert_true(tb_term_expect(&term, "Русский", WAIT_MS));
    register_parent(&term, "2", "+7 (702) 000-00-02", "881122310372", "код");
    assert_true(tb_term_expect(&term, "Ковалёв", WAIT_MS));
    say(&term, "1", "Главное меню");
    say(&term, "2", "ваучер"); /* my children and vouchers: the standing */
    assert_int_equal(tb_term_send(&term, "меню"), 0);
    say(&term, "1", "ноябрь 2026"); /* one child: straight to the months */
    say(&term, "1", "Подтвердить");
    say(&term, "1", "юридическую силу");
    say(&term, "1", "Код квитанции");
    assert_int_equal(tb_term_finish(&term, WAIT_MS), 0);
    tb_term_cleanup(&term);
    assert_int_equal(count_rows(demo, "SELECT count(*) FROM timesheets WHERE child_id='ch-0003'"
                                      " AND month='2026-11' AND status='confirmed'"),
                     1);
}

static void test_the_link_survives_a_restart(void **state)
{
    struct demo *demo = *state;
    struct tb_term term;
    start_chat(demo, &term, "aigerim");
    /* Already linked (previous test): /start lands in the menu, not in registration. */
    assert_true(tb_term_expect(&term, "Табельді растау", WAIT_MS));
    say(&term, "1", "Аяла");
    assert_int_equal(tb_term_finish(&term, WAIT_MS), 0);
    tb_term_cleanup(&term);
}

static void exec_sql(const struct demo *demo, const char *sql)
{
    char path[300];
    snprintf(path, sizeof path, "%s/tabelbot.db", demo->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_marks_changed_after_review_are_not_signed(void **state)
{
    struct demo *demo = *state;
    struct tb_term term;
    start_chat(demo, &term, "erlan");
    assert_true(tb_term_expect(&term, "Қазақша", WAIT_MS));
    register_parent(&term, "1", "+77070000003", "920303310748", "код");
    assert_true(tb_term_expect(&term, "Жақсыбеков", WAIT_MS));
    say(&term, "1", "Табельді растау");
    say(&term, "1", "қараша 2026"); /* one child: straight to the months */
    say(&term, "1", "Растау");      /* the parent reviews the calendar ... */
    /* ... and the kindergarten corrects a mark before the parent confirms. */
    exec_sql(demo, "UPDATE timesheets SET days = '-PPPPP--AAPPP--PPPPP--PPPPP--A'"
                   " WHERE child_id = 'ch-0004' AND month = '2026-11'");
    say(&term, "1", "372");
    say(&term, "1", "белгілерді өзгертті");
    assert_int_equal(tb_term_finish(&term, WAIT_MS), 0);
    tb_term_cleanup(&term);
    assert_int_equal(count_rows(demo, "SELECT count(*) FROM timesheets WHERE child_id='ch-0004'"
                                      " AND month='2026-11' AND status='pending'"),
                     1);
    assert_int_equal(count_rows(demo, "SELECT count(*) FROM audit WHERE child_id='ch-0004'"
                                      " AND month='2026-11'"),
                     0);
}

static void test_lines_the_terminal_cannot_carry_are_answered_not_sent(void **state)
{
    struct demo *demo = *state;
    struct tb_term term;
    start_chat(demo, &term, "typo");
    assert_true(tb_term_expect(&term, "Қазақша", WAIT_MS));
    say(&term, "\xff\xfe", "not valid UTF-8 and was not sent");
    char *long_line = malloc(5000);
    assert_non_null(long_line);
    memset(long_line, 'a', 4999);
    long_line[4999] = '\0';
    say(&term, long_line, "longer than 2047 bytes and was not sent");
    free(long_line);
    say(&term, "1", "2026-11"); /* the conversation goes on where it was */
    assert_int_equal(tb_term_finish(&term, WAIT_MS), 0);
    tb_term_cleanup(&term);
    assert_int_equal(count_rows(demo, "SELECT count(*) FROM inbox WHERE channel = 'console'"
                                      " AND length(payload_enc) > 4000"),
                     0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kk_parent_confirms_november_and_gets_a_receipt),
        cmocka_unit_test(test_ru_parent_at_risk_confirms_with_a_warning_shown),
        cmocka_unit_test(test_the_link_survives_a_restart),
        cmocka_unit_test(test_marks_changed_after_review_are_not_signed),
        cmocka_unit_test(test_lines_the_terminal_cannot_carry_are_answered_not_sent),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
