/* SPDX-License-Identifier: MIT
 * The conversation service end to end over the demo registry, one console row at a time
 * through bot_conversation_handle_row (the inbox handler): registration with the code the sink
 * received, the decision path (window, receipt, audit, portal event) and the time a decision
 * is judged at. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "adapters/reply_codec.h"
#include "bot/conversation.h"
#include "bot/import.h"
#include "bot/outbox.h"
#include "core/caltime.h"
#include "db/db_int.h"
#include "db/inbox.h"
#include "support/records_env.h"
#include "support/registry_support.h"

struct fx {
    struct tb_registry reg;
    struct bot_config cfg;
    struct records_sink codes;
    struct bot_code_sink sink;
    struct bot_conversation conv;
    int64_t next_id;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tb_registry_open(&f->reg), CORE_OK);
    struct bot_import_summary sum;
    assert_int_equal(tb_registry_import_demo(&f->reg, &sum), CORE_OK);
    bot_config_defaults(&f->cfg);
    records_sink_bind(&f->codes, &f->sink);
    bot_conversation_init(&f->conv, f->reg.db, f->reg.crypto, &f->cfg, &f->sink);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    tb_registry_close(&f->reg);
    bot_config_wipe(&f->cfg);
    free(f);
    return 0;
}

static int64_t at(const char *iso)
{
    int64_t t = 0;
    assert_int_equal(core_iso8601_parse(iso, &t), CORE_OK);
    return t;
}

/* One typed line as the inbox processor handles it: stored at received_at (sealed, keyed by
 * its chat), handled at now inside a transaction with the row's 'done' mark. */
static void send_at(struct fx *f, const char *user, const char *line, int64_t received, int64_t now)
{
    char payload[512];
    int len = bot_conversation_console_payload(user, line, payload, sizeof payload);
    assert_true(len > 0);
    char ext[32];
    snprintf(ext, sizeof ext, "t-%lld", (long long)++f->next_id);
    unsigned char hash[BOT_HASH_BYTES];
    bot_inbox_chat_hash(f->reg.crypto, "console", user, hash);
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    assert_int_equal(bot_crypto_seal(f->reg.crypto, payload, (size_t)len, BOT_INBOX_PAYLOAD_AD,
                                     &sealed, &sealed_len),
                     CORE_OK);
    int64_t id = 0;
    assert_int_equal(db_inbox_insert(f->reg.db, "console", ext, hash, sizeof hash, sealed,
                                     sealed_len, received, &id),
                     CORE_OK);
    free(sealed);
    struct bot_inbox_row row = {.id = id,
                                .channel = "console",
                                .external_id = ext,
                                .chat_hash = hash,
                                .chat_hash_len = sizeof hash,
                                .payload = payload,
                                .payload_len = (size_t)len,
                                .received_at = received};
    assert_int_equal(db_begin(f->reg.db), CORE_OK);
    assert_int_equal(bot_conversation_handle_row(&f->conv, f->reg.db, &row, now), CORE_OK);
    assert_int_equal(db_inbox_mark_done(f->reg.db, id, now), CORE_OK);
    assert_int_equal(db_commit(f->reg.db), CORE_OK);
}

/* True when some inbox row still unseals to a payload containing needle. */
static bool inbox_holds(struct fx *f, const char *needle)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db__conn(f->reg.db), "SELECT payload_enc FROM inbox", -1, &stmt, NULL),
        SQLITE_OK);
    bool found = false;
    while (!found && sqlite3_step(stmt) == SQLITE_ROW) {
        unsigned char *plain = NULL;
        size_t len = 0;
        if (bot_crypto_unseal(f->reg.crypto, sqlite3_column_blob(stmt, 0),
                              (size_t)sqlite3_column_bytes(stmt, 0), BOT_INBOX_PAYLOAD_AD, &plain,
                              &len) == CORE_OK) {
            found = strstr((const char *)plain, needle) != NULL;
            free(plain);
        }
    }
    sqlite3_finalize(stmt);
    return found;
}

static void say(struct fx *f, const char *user, const char *line, int64_t now)
{
    send_at(f, user, line, now, now);
}

/* The text of the newest reply queued (unsealed). */
static void last_reply(struct fx *f, char *out, size_t out_len)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db__conn(f->reg.db),
                                        "SELECT payload_enc FROM outbox ORDER BY id DESC LIMIT 1",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    unsigned char *plain = NULL;
    size_t len = 0;
    assert_int_equal(bot_crypto_unseal(f->reg.crypto, sqlite3_column_blob(stmt, 0),
                                       (size_t)sqlite3_column_bytes(stmt, 0), BOT_OUTBOX_AD_PAYLOAD,
                                       &plain, &len),
                     CORE_OK);
    sqlite3_finalize(stmt);
    struct core_reply *reply = calloc(1, sizeof *reply);
    assert_non_null(reply);
    assert_int_equal(ad_reply_decode((const char *)plain, len, reply), CORE_OK);
    snprintf(out, out_len, "%s", reply->text);
    free(reply);
    free(plain);
}

static int64_t count(struct fx *f, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db__conn(f->reg.db), sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return n;
}

/* Erlan (kk, one child ch-0004): /start to the menu, linked. */
static void register_erlan(struct fx *f, const char *user, int64_t now)
{
    say(f, user, "/start", now);
    say(f, user, "1", now); /* қазақша */
    say(f, user, "1", now); /* the data policy accepted */
    say(f, user, "+77070000003", now);
    say(f, user, "920303310748", now);
    assert_int_equal(f->codes.delivered, 1);
    say(f, user, f->codes.last_code, now);
    say(f, user, "1", now); /* this is me */
    assert_int_equal(count(f, "SELECT count(*) FROM contacts WHERE parent_id IS NOT NULL"), 1);
}

static const char *const erlan_november =
    "SELECT count(*) FROM timesheets WHERE child_id = 'ch-0004' AND month = '2026-11'"
    " AND status = 'confirmed' AND receipt IS NOT NULL";

static void test_confirm_inside_the_window(void **state)
{
    struct fx *f = *state;
    int64_t now = at("2026-12-03T10:00:00+05:00");
    register_erlan(f, "erlan", now);
    say(f, "erlan", "1", now); /* confirm a timesheet -> the months */
    say(f, "erlan", "1", now); /* November -> its calendar */
    say(f, "erlan", "1", now); /* confirm -> legally binding, sure? */
    say(f, "erlan", "1", now); /* yes */
    assert_int_equal(count(f, erlan_november), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action = 'confirmed'"), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM portal_events"), 1);
}

/* The parent pressed "yes" a second before the window closed; the service stored it then
 * (200 to the channel), but the processor reached it after midnight (a backlog on the last
 * evening, a retry, a restart). The decision was made in time: it counts. */
static void test_decision_judged_when_it_was_received(void **state)
{
    struct fx *f = *state;
    int64_t evening = at("2026-12-10T23:50:00+05:00");
    register_erlan(f, "erlan", evening);
    say(f, "erlan", "1", evening);
    say(f, "erlan", "1", evening);
    say(f, "erlan", "1", evening);
    send_at(f, "erlan", "1", at("2026-12-10T23:59:59+05:00"), at("2026-12-11T00:00:40+05:00"));
    char text[CORE_REPLY_TEXT_MAX];
    last_reply(f, text, sizeof text);
    assert_non_null(strstr(text, "-")); /* the receipt reference XXXXX-XXXXX */
    assert_int_equal(count(f, erlan_november), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM timesheets WHERE child_id = 'ch-0004'"
                              " AND month = '2026-11' AND decided_at = 1796929199"),
                     1);
}

/* "Unlink and erase" says the phone and IIN are erased from the bot: no stored update of the
 * chat may still hold them (sealed or not: the key opens them). */
static void test_erase_leaves_no_typed_iin_behind(void **state)
{
    struct fx *f = *state;
    int64_t now = at("2026-12-03T10:00:00+05:00");
    register_erlan(f, "erlan", now);
    say(f, "erlan", "7", now); /* unlink and erase */
    say(f, "erlan", "1", now); /* yes */
    assert_int_equal(count(f, "SELECT count(*) FROM contacts"), 0);
    assert_false(inbox_holds(f, "920303310748"));
    assert_false(inbox_holds(f, "+77070000003"));
    assert_false(inbox_holds(f, f->codes.last_code));
    assert_int_equal(count(f, "SELECT count(*) FROM inbox WHERE status = 'done'"), 9);
}

/* Erase also empties the durable queues of the chat: failed inbox rows lose what the parent
 * typed, settled outbox rows (our answers, with names in them) go; the goodbye still waiting
 * to be sent stays, and another chat's rows are untouched. */
static void test_erase_forgets_the_chats_queued_messages(void **state)
{
    struct fx *f = *state;
    int64_t now = at("2026-12-03T10:00:00+05:00");
    register_erlan(f, "erlan", now);
    register_erlan(f, "other", now); /* the same parent in a second chat */
    sqlite3 *raw = db__conn(f->reg.db);
    assert_int_equal(sqlite3_exec(raw, "UPDATE outbox SET status = 'sent'", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw,
                                  "UPDATE inbox SET status = 'failed', payload_enc = X'0102'"
                                  " WHERE id = (SELECT min(id) FROM inbox)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    int64_t other_sent = count(f, "SELECT count(*) FROM outbox WHERE status = 'sent'") / 2;
    say(f, "erlan", "7", now); /* unlink and erase */
    say(f, "erlan", "1", now); /* yes */
    assert_int_equal(count(f, "SELECT count(*) FROM inbox WHERE status = 'failed'"
                              " AND length(payload_enc) > 0"),
                     0);
    /* Only the other chat's answers remain sent; this chat keeps just what is still to go. */
    assert_true(count(f, "SELECT count(*) FROM outbox WHERE status = 'sent'") >= other_sent);
    assert_true(count(f, "SELECT count(*) FROM outbox WHERE status = 'sent'") < 2 * other_sent);
    assert_true(count(f, "SELECT count(*) FROM outbox WHERE status = 'pending'") > 0);
}

/* A row the processor gave up on: the chat hears one apology, in its language when it chose
 * one (kk and ru when it never did), with the contact-centre number; twice is still once. */
static void apologize(struct fx *f, const char *user, int64_t id)
{
    char payload[128];
    int len = bot_conversation_console_payload(user, "hello", payload, sizeof payload);
    struct bot_inbox_row row = {.id = id,
                                .channel = "console",
                                .external_id = "x",
                                .payload = payload,
                                .payload_len = (size_t)len,
                                .received_at = 1};
    assert_int_equal(db_begin(f->reg.db), CORE_OK);
    assert_int_equal(bot_conversation_apologize_row(&f->conv, f->reg.db, &row, 2), CORE_OK);
    assert_int_equal(db_commit(f->reg.db), CORE_OK);
}

static void test_a_row_given_up_on_gets_one_apology(void **state)
{
    struct fx *f = *state;
    int64_t now = at("2026-12-03T10:00:00+05:00");
    register_erlan(f, "erlan", now); /* chose Kazakh */
    int64_t before = count(f, "SELECT count(*) FROM outbox");
    apologize(f, "erlan", 9001);
    apologize(f, "erlan", 9001);
    assert_int_equal(count(f, "SELECT count(*) FROM outbox"), before + 1);
    char text[CORE_REPLY_TEXT_MAX];
    last_reply(f, text, sizeof text);
    assert_non_null(strstr(text, "Кешіріңіз"));
    assert_null(strstr(text, "Извините"));
    assert_non_null(strstr(text, "8 (727) 339-72-22"));
    apologize(f, "stranger", 9002); /* never chose a language */
    last_reply(f, text, sizeof text);
    assert_non_null(strstr(text, "Кешіріңіз"));
    assert_non_null(strstr(text, "Извините"));
}

/* A new policy version accepted by a linked parent is recorded as a consent: the link keeps
 * its first time and the audit chain gets "consented", not a second "linked". */
static void test_new_policy_consent_keeps_the_link(void **state)
{
    struct fx *f = *state;
    int64_t now = at("2026-12-03T10:00:00+05:00");
    register_erlan(f, "erlan", now);
    int64_t linked_at = count(f, "SELECT linked_at FROM contacts");
    snprintf(f->conv.dialog.consent_version, sizeof f->conv.dialog.consent_version, "2027-01");
    say(f, "erlan", "мәзір", now + 600); /* the new policy is asked first */
    say(f, "erlan", "1", now + 600);     /* accepted */
    assert_int_equal(count(f, "SELECT count(*) FROM contacts WHERE consent_version = '2027-01'"),
                     1);
    assert_int_equal(count(f, "SELECT linked_at FROM contacts"), linked_at);
    assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action = 'linked'"), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action = 'consented'"), 1);
}

/* The IIN step answers whether a phone and an IIN belong together: a chat that keeps getting
 * it wrong is stopped for an hour, also across /start, before it can walk the IIN's serial
 * digits for a known phone. */
static void test_registry_tries_are_bounded(void **state)
{
    struct fx *f = *state;
    static const char *const wrong[] = {"920303310006", "920303310016", "920303310026",
                                        "920303310036", "920303310046"};
    int64_t now = at("2026-12-03T10:00:00+05:00");
    say(f, "mallory", "/start", now);
    say(f, "mallory", "1", now);
    say(f, "mallory", "1", now);
    say(f, "mallory", "+77070000003", now);
    char text[CORE_REPLY_TEXT_MAX];
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        say(f, "mallory", wrong[i], now + (int64_t)i);
        last_reply(f, text, sizeof text);
    }
    say(f, "mallory", "920303310748", now + 60); /* the right one, too late */
    assert_int_equal(f->codes.delivered, 0);
    say(f, "mallory", "/start", now + 120); /* starting again does not reset the count */
    say(f, "mallory", "1", now + 120);
    say(f, "mallory", "1", now + 120);
    say(f, "mallory", "+77070000003", now + 120);
    say(f, "mallory", "920303310748", now + 120);
    assert_int_equal(f->codes.delivered, 0);
    last_reply(f, text, sizeof text);
    assert_non_null(strstr(text, "58"));           /* minutes left, in the parent's language */
    say(f, "mallory", "920303310748", now + 3600); /* idle: the IIN step is asked again */
    say(f, "mallory", "920303310748", now + 3601);
    assert_int_equal(f->codes.delivered, 1);
}

/* The link lives with the contact; a session this version cannot read (a newer or older
 * state format, a damaged row) restarts the dialog in the menu, not in registration. */
/* Confirms November from the menu; the contact is linked. */
static void confirm_november(struct fx *f, int64_t now)
{
    say(f, "erlan", "1", now); /* the menu: confirm a timesheet */
    say(f, "erlan", "1", now); /* November */
    say(f, "erlan", "1", now); /* confirm */
    say(f, "erlan", "1", now); /* yes */
    assert_int_equal(count(f, erlan_november), 1);
    assert_int_equal(f->codes.delivered, 1); /* no second registration */
}

/* A session row whose seal no longer opens (bit rot, a bad restore) is damaged, not a reason
 * to fail every message of that parent for ever. */
static void test_damaged_session_row_is_not_a_dead_end(void **state)
{
    struct fx *f = *state;
    int64_t now = at("2026-12-03T10:00:00+05:00");
    register_erlan(f, "erlan", now);
    assert_int_equal(sqlite3_exec(db__conn(f->reg.db),
                                  "UPDATE sessions SET state_enc = zeroblob(96)", NULL, NULL, NULL),
                     SQLITE_OK);
    confirm_november(f, now);
}

static void test_unreadable_session_keeps_the_link(void **state)
{
    struct fx *f = *state;
    int64_t now = at("2026-12-03T10:00:00+05:00");
    register_erlan(f, "erlan", now);
    static const char foreign[] = "v=99\nstep=SOMEWHERE\n";
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    assert_int_equal(bot_crypto_seal(f->reg.crypto, foreign, strlen(foreign), "sessions.state_enc",
                                     &sealed, &sealed_len),
                     CORE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db__conn(f->reg.db), "UPDATE sessions SET state_enc = ?1",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(stmt, 1, sealed, (int)sealed_len, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
    free(sealed);
    confirm_november(f, now);
}

/* The importer takes registry ids with '/' (A-Z a-z 0-9 . _ : / -); the receipt record allows
 * any printable ASCII but '|'. A child whose id has a '/' must be confirmable like any other. */
static void test_child_id_with_slash_is_confirmable(void **state)
{
    struct fx *f = *state;
    char path[300];
    snprintf(path, sizeof path, "%s/slash.json", f->reg.dir);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs("{\"format\": \"tabelbot-registry/1\","
          " \"kindergartens\": [{\"id\": \"kg/9\", \"city\": \"Астана\","
          "  \"name\": {\"kk\": \"Күншуақ\", \"ru\": \"Солнышко\"}}],"
          " \"parents\": [{\"iin\": \"910101420002\", \"phone\": \"+77010000099\","
          "  \"surname\": \"Сапарова\", \"given_name\": \"Мәдина\", \"gender\": \"F\","
          "  \"birth_date\": \"1991-01-01\", \"language\": \"kk\"}],"
          " \"children\": [{\"id\": \"kg/9/ch-1\", \"parent_iin\": \"910101420002\","
          "  \"given_name\": \"Нұр\", \"surname\": \"Сапаров\", \"gender\": \"M\","
          "  \"birth_date\": \"2021-04-02\", \"kindergarten_id\": \"kg/9\","
          "  \"voucher\": {\"number\": \"V/9\", \"status\": \"active\"}}],"
          " \"timesheets\": [{\"child_id\": \"kg/9/ch-1\", \"month\": \"2026-11\","
          "  \"days\": \"-PPPPP--PPPPP--PAAAP--PPPPP--P\", \"status\": \"pending\"}]}",
          file);
    assert_int_equal(fclose(file), 0);
    struct bot_import_summary sum;
    char err[BOT_IMPORT_ERROR_MAX] = "";
    int64_t now = at("2026-12-03T10:00:00+05:00");
    assert_int_equal(bot_import_file(f->reg.db, f->reg.crypto, path, now, &sum, err, sizeof err),
                     CORE_OK);
    say(f, "madina", "/start", now);
    say(f, "madina", "1", now);
    say(f, "madina", "1", now);
    say(f, "madina", "+77010000099", now);
    say(f, "madina", "910101420002", now);
    say(f, "madina", f->codes.last_code, now);
    say(f, "madina", "1", now); /* this is me */
    say(f, "madina", "1", now); /* confirm a timesheet (one child: the months) */
    say(f, "madina", "1", now); /* November */
    say(f, "madina", "1", now); /* confirm */
    say(f, "madina", "1", now); /* yes */
    assert_int_equal(count(f, "SELECT count(*) FROM timesheets WHERE child_id = 'kg/9/ch-1'"
                              " AND status = 'confirmed' AND receipt IS NOT NULL"),
                     1);
    assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE child_id = 'kg/9/ch-1'"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_confirm_inside_the_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decision_judged_when_it_was_received, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase_leaves_no_typed_iin_behind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase_forgets_the_chats_queued_messages, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_row_given_up_on_gets_one_apology, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_policy_consent_keeps_the_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_registry_tries_are_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_session_keeps_the_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_session_row_is_not_a_dead_end, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_child_id_with_slash_is_confirmable, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
