/* SPDX-License-Identifier: MIT
 * The conversation service's Telegram path against a real sqlite file: a button press queues
 * its answerCallbackQuery before the replies (the chat's order) and only once however often
 * the row is retried; a shared contact the dialog accepts is acknowledged (masked) first so the
 * contact keyboard goes; my_chat_member kicked / member marks the contact unreachable and
 * reachable again (found by the exposed contact hash). The queued rows are read back in order
 * by claiming and settling them one by one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/conversation.h"
#include "bot/outbox.h"
#include "db/contacts.h"
#include "db/outbox.h"
#include "support/proc.h"
#include "support/records_env.h"

#define CHAT "5120734561"

struct fx {
    struct records_env env;
    struct bot_config cfg;
    struct bot_conversation conv;
    int64_t next_row;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    records_env_open(&f->env);
    bot_config_defaults(&f->cfg);
    bot_conversation_init(&f->conv, f->env.db, f->env.crypto, &f->cfg, NULL);
    f->next_row = 1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    records_env_close(&f->env);
    free(f);
    return 0;
}

/* Handles an update as the inbox processor would (inside a transaction) with inbox row id. */
static void handle_as(struct fx *f, const char *update, int64_t id)
{
    struct bot_inbox_row row = {.id = id,
                                .channel = "telegram",
                                .external_id = "x",
                                .payload = update,
                                .payload_len = strlen(update),
                                .received_at = 1764745200};
    assert_int_equal(db_begin(f->env.db), CORE_OK);
    assert_int_equal(bot_conversation_handle_row(&f->conv, f->env.db, &row, 1764745200), CORE_OK);
    assert_int_equal(db_commit(f->env.db), CORE_OK);
}

static void handle(struct fx *f, const char *update)
{
    handle_as(f, update, f->next_row++);
}

static void handle_fixture(struct fx *f, const char *name)
{
    char rel[128];
    snprintf(rel, sizeof rel, "tests/fixtures/telegram/%s", name);
    char *body = tb_fixture_read(rel, NULL);
    assert_non_null(body);
    handle(f, body);
    free(body);
}

/* A button press in the chat with data. */
static void press(struct fx *f, const char *data, int n)
{
    char update[512];
    snprintf(update, sizeof update,
             "{\"update_id\":%d,\"callback_query\":{\"id\":\"cb-%d\",\"from\":{\"id\":" CHAT
             "},\"message\":{\"message_id\":1,\"chat\":{\"id\":" CHAT ",\"type\":\"private\"},"
             "\"date\":1764745200},\"data\":\"%s\"}}",
             1000 + n, n, data);
    handle(f, update);
}

/* The next queued row of the chat in order (claimed, read, settled as sent); false if none. */
static bool next_row(struct fx *f, char *payload, size_t payload_len, char *idem, size_t idem_len)
{
    struct db_outbox_filter filter = {.now_ms = INT64_MAX / 2, .n_channels = 1};
    filter.channels[0] = "telegram";
    struct db_outbox_row row;
    size_t n = 0;
    assert_int_equal(db_outbox_claim(f->env.db, &filter, &row, 1, &n), CORE_OK);
    if (n == 0) {
        return false;
    }
    unsigned char *clear = NULL;
    size_t clear_len = 0;
    assert_int_equal(bot_crypto_unseal(f->env.crypto, row.payload_enc, row.payload_len,
                                       BOT_OUTBOX_AD_PAYLOAD, &clear, &clear_len),
                     CORE_OK);
    snprintf(payload, payload_len, "%.*s", (int)clear_len, (const char *)clear);
    snprintf(idem, idem_len, "%s", row.idem_key);
    free(clear);
    assert_int_equal(db_outbox_mark_sent(f->env.db, row.id, 1), CORE_OK);
    db_outbox_row_cleanup(&row);
    return true;
}

static void drain(struct fx *f)
{
    char payload[8192];
    char idem[128];
    while (next_row(f, payload, sizeof payload, idem, sizeof idem)) {
    }
}

static void test_button_press_is_answered_first_and_once(void **state)
{
    struct fx *f = *state;
    handle_fixture(f, "start.json");
    drain(f);
    handle_as(f,
              "{\"update_id\":904512304,\"callback_query\":{\"id\":\"2199450733412234567\","
              "\"from\":{\"id\":" CHAT "},\"message\":{\"message_id\":120,\"chat\":{\"id\":" CHAT
              ",\"type\":\"private\"},\"date\":1764745280},\"data\":\"lang:kk\"}}",
              77);
    char payload[8192];
    char idem[128];
    assert_true(next_row(f, payload, sizeof payload, idem, sizeof idem));
    assert_string_equal(idem, "in:77:cb");
    cJSON *env = cJSON_Parse(payload);
    assert_string_equal(cJSON_GetObjectItem(env, "kind")->valuestring, "telegram.answer_callback");
    assert_string_equal(cJSON_GetObjectItem(env, "callback_query_id")->valuestring,
                        "2199450733412234567");
    cJSON_Delete(env);
    assert_true(next_row(f, payload, sizeof payload, idem, sizeof idem));
    assert_string_equal(idem, "in:77:0"); /* then the dialog's replies */
    drain(f);
    /* A retried row (same inbox id) queues nothing twice. */
    int64_t before = records_env_raw_int(&f->env, "SELECT count(*) FROM outbox");
    handle_as(f,
              "{\"update_id\":904512304,\"callback_query\":{\"id\":\"2199450733412234567\","
              "\"from\":{\"id\":" CHAT "},\"message\":{\"message_id\":120,\"chat\":{\"id\":" CHAT
              ",\"type\":\"private\"},\"date\":1764745280},\"data\":\"lang:kk\"}}",
              77);
    assert_int_equal(records_env_raw_int(&f->env, "SELECT count(*) FROM outbox"), before);
}

static void test_accepted_contact_is_acknowledged_before_the_next_question(void **state)
{
    struct fx *f = *state;
    handle_fixture(f, "start.json");
    press(f, "lang:kk", 1);
    press(f, "yes", 2); /* the data policy */
    drain(f);
    handle_fixture(f, "contact_own.json");
    char payload[8192];
    char idem[128];
    assert_true(next_row(f, payload, sizeof payload, idem, sizeof idem));
    assert_non_null(strstr(idem, ":contact"));
    assert_non_null(strstr(payload, "\xE2\x9C\x85 +7701"));
    assert_null(strstr(payload, "77011234567")); /* masked */
    assert_true(next_row(f, payload, sizeof payload, idem, sizeof idem));
    assert_non_null(strstr(payload, "\"expect\":2")); /* the IIN question: free text */
    drain(f);
    /* someone else's contact is not acknowledged: the dialog asks again */
    handle_fixture(f, "contact_foreign.json");
    while (next_row(f, payload, sizeof payload, idem, sizeof idem)) {
        assert_null(strstr(idem, ":contact"));
    }
    /* past the phone step the dialog ignores a shared contact: no tick says otherwise */
    handle_fixture(f, "contact_own.json");
    while (next_row(f, payload, sizeof payload, idem, sizeof idem)) {
        assert_null(strstr(idem, ":contact"));
    }
}

static void test_blocked_and_unblocked_mark_the_contact(void **state)
{
    struct fx *f = *state;
    handle_fixture(f, "start.json");
    unsigned char hash[BOT_HASH_BYTES];
    bot_conversation_contact_hash(f->env.crypto, "telegram", CHAT, hash);
    struct db_contact contact;
    assert_int_equal(db_contact_find(f->env.db, "telegram", hash, &contact), CORE_OK);
    assert_true(contact.reachable);
    handle_fixture(f, "my_chat_member_kicked.json");
    assert_int_equal(db_contact_find(f->env.db, "telegram", hash, &contact), CORE_OK);
    assert_false(contact.reachable);
    handle(f, "{\"update_id\":904512306,\"my_chat_member\":{\"chat\":{\"id\":" CHAT
              ",\"type\":\"private\"},\"from\":{\"id\":" CHAT "},\"date\":1764745300,"
              "\"new_chat_member\":{\"user\":{\"id\":7000000001},\"status\":\"member\"}}}");
    assert_int_equal(db_contact_find(f->env.db, "telegram", hash, &contact), CORE_OK);
    assert_true(contact.reachable);
    /* the sender's path: a 403 marks it through the same function */
    assert_int_equal(
        bot_conversation_set_reachable(f->env.db, f->env.crypto, "telegram", CHAT, false), CORE_OK);
    assert_int_equal(db_contact_find(f->env.db, "telegram", hash, &contact), CORE_OK);
    assert_false(contact.reachable);
    /* a chat never seen: nothing to mark, not an error */
    assert_int_equal(
        bot_conversation_set_reachable(f->env.db, f->env.crypto, "telegram", "42", false), CORE_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_button_press_is_answered_first_and_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_accepted_contact_is_acknowledged_before_the_next_question, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blocked_and_unblocked_mark_the_contact, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
