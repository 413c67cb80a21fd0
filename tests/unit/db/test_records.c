/* SPDX-License-Identifier: MIT
 * Unit tests of the records storage against a real sqlite file: contacts (find-or-create,
 * link, settings, erase with its cascade), sessions, escalations, portal events, meta. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bot/crypto.h"
#include "db/contacts.h"
#include "db/escalations.h"
#include "db/meta.h"
#include "db/otp.h"
#include "db/portal_events.h"
#include "db/sessions.h"
#include "support/records_env.h"

#define NOW 1796274000 /* 2026-12-03T10:00:00+05:00 */

static int setup(void **state)
{
    struct records_env *env = calloc(1, sizeof *env);
    assert_non_null(env);
    records_env_open(env);
    *state = env;
    return 0;
}

static int teardown(void **state)
{
    struct records_env *env = *state;
    records_env_close(env);
    free(env);
    return 0;
}

/* Creates (or finds) the contact of a channel user, sealing the user id like bot/ does. */
static struct db_contact
make_contact(struct records_env *env, const char *channel, const char *user_id, bool *created)
{
    unsigned char hash[BOT_HASH_BYTES];
    bot_crypto_hash(env->crypto, "chat", user_id, strlen(user_id), hash);
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    assert_int_equal(bot_crypto_seal(env->crypto, user_id, strlen(user_id), "contacts.address_enc",
                                     &sealed, &sealed_len),
                     CORE_OK);
    struct db_contact c;
    assert_int_equal(
        db_contact_find_or_create(env->db, channel, hash, sealed, sealed_len, NOW, &c, created),
        CORE_OK);
    free(sealed);
    return c;
}

static void test_contact_find_or_create_is_idempotent(void **state)
{
    struct records_env *env = *state;
    bool created = false;
    struct db_contact a = make_contact(env, "telegram", "tg-user-555000", &created);
    assert_true(created);
    assert_true(a.id > 0);
    assert_string_equal(a.channel, "telegram");
    assert_true(a.reminders);
    assert_true(a.reachable);
    assert_int_equal(a.parent_id, 0);
    assert_string_equal(a.language, "");
    assert_int_equal(a.created_at, NOW);

    struct db_contact again = make_contact(env, "telegram", "tg-user-555000", &created);
    assert_false(created);
    assert_int_equal(again.id, a.id);
    /* The stored address is the first one and still opens to the user id. */
    assert_int_equal(again.address_len, a.address_len);
    assert_memory_equal(again.address_enc, a.address_enc, a.address_len);
    unsigned char *plain = NULL;
    size_t plain_len = 0;
    assert_int_equal(bot_crypto_unseal(env->crypto, again.address_enc, again.address_len,
                                       "contacts.address_enc", &plain, &plain_len),
                     CORE_OK);
    assert_string_equal((char *)plain, "tg-user-555000");
    free(plain);

    /* Same user id on another channel is another contact. */
    struct db_contact other = make_contact(env, "whatsapp", "tg-user-555000", &created);
    assert_true(created);
    assert_int_not_equal(other.id, a.id);
    assert_int_equal(records_env_raw_int(env, "SELECT count(*) FROM contacts"), 2);

    struct db_contact found;
    assert_int_equal(db_contact_find(env->db, "telegram", a.user_hash, &found), CORE_OK);
    assert_int_equal(found.id, a.id);
    unsigned char unknown[DB_HASH_BYTES] = {1};
    assert_int_equal(db_contact_find(env->db, "telegram", unknown, &found), CORE_ENOTFOUND);
    assert_int_equal(db_contact_get(env->db, 9999, &found), CORE_ENOTFOUND);

    /* Bad input changes nothing. */
    assert_int_equal(db_contact_find_or_create(env->db, "sms", unknown, (const unsigned char *)"x",
                                               0, NOW, &found, NULL),
                     CORE_EINVAL);
    assert_int_equal(db_contact_find_or_create(env->db, "", unknown, (const unsigned char *)"x", 1,
                                               NOW, &found, NULL),
                     CORE_EINVAL);
    assert_int_equal(records_env_raw_int(env, "SELECT count(*) FROM contacts"), 2);
    /* The user id is nowhere in clear. */
    assert_false(records_env_file_contains(env, "tg-user-555000"));
}

static void test_contact_link_and_settings(void **state)
{
    struct records_env *env = *state;
    records_env_add_parent(env, 7);
    struct db_contact a = make_contact(env, "telegram", "u-1", NULL);
    struct db_contact b = make_contact(env, "sms", "+77011234567", NULL);
    struct db_contact c = make_contact(env, "webchat", "w-3", NULL);

    assert_int_equal(db_contact_link(env->db, a.id, 7, "2026-11", NOW - 60, NOW), CORE_OK);
    assert_int_equal(db_contact_link(env->db, b.id, 7, "2026-11", NOW - 30, NOW + 5), CORE_OK);
    /* A parent that does not exist is refused and the contact stays unlinked. */
    assert_int_equal(db_contact_link(env->db, c.id, 8, "2026-11", NOW, NOW), CORE_EDB);
    assert_int_equal(db_contact_link(env->db, 4242, 7, "2026-11", NOW, NOW), CORE_ENOTFOUND);
    assert_int_equal(db_contact_link(env->db, c.id, 7, "", NOW, NOW), CORE_EINVAL);

    struct db_contact got;
    assert_int_equal(db_contact_get(env->db, a.id, &got), CORE_OK);
    assert_int_equal(got.parent_id, 7);
    assert_string_equal(got.consent_version, "2026-11");
    assert_int_equal(got.consent_at, NOW - 60);
    assert_int_equal(got.linked_at, NOW);
    assert_int_equal(db_contact_get(env->db, c.id, &got), CORE_OK);
    assert_int_equal(got.parent_id, 0);

    assert_int_equal(db_contact_set_language(env->db, a.id, "ru"), CORE_OK);
    assert_int_equal(db_contact_set_language(env->db, a.id, "de"), CORE_EINVAL);
    assert_int_equal(db_contact_set_reminders(env->db, a.id, false), CORE_OK);
    assert_int_equal(db_contact_set_reachable(env->db, a.id, false), CORE_OK);
    assert_int_equal(db_contact_set_reminders(env->db, 4242, false), CORE_ENOTFOUND);
    assert_int_equal(db_contact_get(env->db, a.id, &got), CORE_OK);
    assert_string_equal(got.language, "ru");
    assert_false(got.reminders);
    assert_false(got.reachable);
    assert_int_equal(db_contact_set_reminders(env->db, a.id, true), CORE_OK);
    assert_int_equal(db_contact_get(env->db, a.id, &got), CORE_OK);
    assert_true(got.reminders);

    struct db_contact list[4];
    size_t n = 0;
    assert_int_equal(db_contact_list_by_parent(env->db, 7, list, 4, &n), CORE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, a.id);
    assert_int_equal(list[1].id, b.id);
    assert_int_equal(db_contact_list_by_parent(env->db, 7, list, 1, &n), CORE_OK);
    assert_int_equal(n, 1);

    assert_int_equal(db_contact_unlink(env->db, b.id), CORE_OK);
    assert_int_equal(db_contact_get(env->db, b.id, &got), CORE_OK);
    assert_int_equal(got.parent_id, 0);
    assert_string_equal(got.consent_version, "");
    assert_int_equal(db_contact_list_by_parent(env->db, 7, list, 4, &n), CORE_OK);
    assert_int_equal(n, 1);
}

static void add_otp_row(struct records_env *env, int64_t contact_id, unsigned char tag)
{
    unsigned char phone_hash[DB_HASH_BYTES];
    unsigned char code_hash[DB_HASH_BYTES];
    memset(phone_hash, tag, sizeof phone_hash);
    memset(code_hash, tag + 1, sizeof code_hash);
    assert_int_equal(
        db_otp_insert(env->db, phone_hash, contact_id, code_hash, NOW, NOW + 300, NULL), CORE_OK);
}

static void test_contact_erase_cascades(void **state)
{
    struct records_env *env = *state;
    records_env_add_parent(env, 3);
    struct db_contact gone = make_contact(env, "sms", "+77017654321", NULL);
    struct db_contact kept = make_contact(env, "telegram", "keep-me", NULL);
    assert_int_equal(db_contact_link(env->db, gone.id, 3, "2026-11", NOW, NOW), CORE_OK);
    const unsigned char state_blob[] = "sealed-state";
    assert_int_equal(db_session_save(env->db, gone.id, state_blob, sizeof state_blob, NOW),
                     CORE_OK);
    assert_int_equal(db_session_save(env->db, kept.id, state_blob, sizeof state_blob, NOW),
                     CORE_OK);
    add_otp_row(env, gone.id, 0x10);
    add_otp_row(env, gone.id, 0x20);
    add_otp_row(env, kept.id, 0x30);
    int64_t esc = 0;
    const unsigned char note[] = "sealed-note";
    assert_int_equal(db_escalation_open(env->db, gone.id, 3, "sms", "user_request", note,
                                        sizeof note, NOW, &esc, NULL),
                     CORE_OK);

    assert_int_equal(db_contact_erase(env->db, gone.id), CORE_OK);

    struct db_contact got;
    assert_int_equal(db_contact_get(env->db, gone.id, &got), CORE_ENOTFOUND);
    unsigned char *blob = NULL;
    size_t len = 0;
    assert_int_equal(db_session_load(env->db, gone.id, &blob, &len), CORE_ENOTFOUND);
    assert_null(blob);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM otp WHERE contact_id = %lld",
             (long long)gone.id);
    assert_int_equal(records_env_raw_int(env, sql), 0);
    /* The erased contact's codes stay (unlinked, no longer usable) so that they keep counting
     * against the per-phone cap: erase-and-register again must not reset it. */
    assert_int_equal(records_env_raw_int(env, "SELECT count(*) FROM otp"), 3);
    assert_int_equal(records_env_raw_int(env, "SELECT count(*) FROM otp WHERE contact_id IS NULL"
                                              " AND status = 'superseded'"),
                     2);
    struct db_escalation e;
    assert_int_equal(db_escalation_get(env->db, esc, &e), CORE_OK);
    assert_int_equal(e.contact_id, 0);
    assert_int_equal(e.parent_id, 3);
    assert_false(e.has_note);

    /* The other contact keeps everything. */
    assert_int_equal(db_session_load(env->db, kept.id, &blob, &len), CORE_OK);
    assert_int_equal(len, sizeof state_blob);
    free(blob);
    assert_int_equal(db_contact_erase(env->db, gone.id), CORE_ENOTFOUND);
}

static void test_session_round_trip(void **state)
{
    struct records_env *env = *state;
    struct db_contact c = make_contact(env, "console", "local", NULL);
    unsigned char *blob = NULL;
    size_t len = 99;
    assert_int_equal(db_session_load(env->db, c.id, &blob, &len), CORE_ENOTFOUND);
    assert_null(blob);
    assert_int_equal(len, 0);

    const unsigned char one[] = {0x00, 0x01, 0xfe, 0xff, 0x00, 0x42};
    assert_int_equal(db_session_save(env->db, c.id, one, sizeof one, NOW), CORE_OK);
    assert_int_equal(db_session_load(env->db, c.id, &blob, &len), CORE_OK);
    assert_int_equal(len, sizeof one);
    assert_memory_equal(blob, one, sizeof one);
    free(blob);

    const unsigned char two[] = "a longer second state";
    assert_int_equal(db_session_save(env->db, c.id, two, sizeof two, NOW + 10), CORE_OK);
    assert_int_equal(db_session_load(env->db, c.id, &blob, &len), CORE_OK);
    assert_int_equal(len, sizeof two);
    assert_memory_equal(blob, two, sizeof two);
    free(blob);
    assert_int_equal(records_env_raw_int(env, "SELECT updated_at FROM sessions"), NOW + 10);
    assert_int_equal(records_env_raw_int(env, "SELECT count(*) FROM sessions"), 1);

    assert_int_equal(db_session_save(env->db, 4242, one, sizeof one, NOW), CORE_EDB);
    assert_int_equal(db_session_save(env->db, c.id, one, 0, NOW), CORE_EINVAL);
    assert_int_equal(db_session_delete(env->db, c.id), CORE_OK);
    assert_int_equal(db_session_load(env->db, c.id, &blob, &len), CORE_ENOTFOUND);
    assert_int_equal(db_session_delete(env->db, c.id), CORE_OK);
}

static void test_escalation_reuse_list_close(void **state)
{
    struct records_env *env = *state;
    struct db_contact a = make_contact(env, "telegram", "esc-a", NULL);
    struct db_contact b = make_contact(env, "whatsapp", "esc-b", NULL);
    const unsigned char note[] = "sealed-note";
    int64_t id1 = 0;
    int64_t again = 0;
    int64_t id2 = 0;
    bool reused = true;
    assert_int_equal(db_escalation_open(env->db, a.id, 0, "telegram", "user_request", note,
                                        sizeof note, NOW, &id1, &reused),
                     CORE_OK);
    assert_false(reused);
    assert_int_equal(db_escalation_open(env->db, a.id, 0, "telegram", "unknown_input", NULL, 0,
                                        NOW + 60, &again, &reused),
                     CORE_OK);
    assert_true(reused);
    assert_int_equal(again, id1);
    assert_int_equal(db_escalation_open(env->db, b.id, 0, "whatsapp", "otp_locked", NULL, 0,
                                        NOW + 1, &id2, &reused),
                     CORE_OK);
    assert_false(reused);
    assert_int_not_equal(id2, id1);

    struct db_escalation e;
    assert_int_equal(db_escalation_get(env->db, id1, &e), CORE_OK);
    assert_string_equal(e.reason, "user_request"); /* the first reason is kept */
    assert_string_equal(e.status, "open");
    assert_true(e.has_note);
    assert_int_equal(e.parent_id, 0);
    unsigned char *got = NULL;
    size_t got_len = 0;
    assert_int_equal(db_escalation_note(env->db, id1, &got, &got_len), CORE_OK);
    assert_int_equal(got_len, sizeof note);
    assert_memory_equal(got, note, sizeof note);
    free(got);
    assert_int_equal(db_escalation_note(env->db, id2, &got, &got_len), CORE_OK);
    assert_null(got);

    struct db_escalation list[4];
    size_t n = 0;
    assert_int_equal(db_escalation_list_open(env->db, 0, list, 4, &n), CORE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, id1);
    assert_int_equal(db_escalation_list_open(env->db, id1, list, 4, &n), CORE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, id2);

    assert_int_equal(db_escalation_close(env->db, id1, NOW + 100), CORE_OK);
    assert_int_equal(db_escalation_close(env->db, id1, NOW + 101), CORE_ESTATE);
    assert_int_equal(db_escalation_close(env->db, 9999, NOW), CORE_ENOTFOUND);
    assert_int_equal(db_escalation_get(env->db, id1, &e), CORE_OK);
    assert_string_equal(e.status, "closed");
    assert_int_equal(e.closed_at, NOW + 100);
    assert_int_equal(db_escalation_list_open(env->db, 0, list, 4, &n), CORE_OK);
    assert_int_equal(n, 1);

    /* After closing, asking again opens a new one. */
    int64_t id3 = 0;
    assert_int_equal(db_escalation_open(env->db, a.id, 0, "telegram", "user_request", NULL, 0,
                                        NOW + 200, &id3, &reused),
                     CORE_OK);
    assert_false(reused);
    assert_true(id3 != id1 && id3 != id2);

    /* Bad input is refused and adds nothing. */
    int64_t bad = 0;
    assert_int_equal(db_escalation_open(env->db, b.id, 0, "whatsapp", "Call me: +77011234567", NULL,
                                        0, NOW, &bad, NULL),
                     CORE_EINVAL);
    assert_int_equal(
        db_escalation_open(env->db, 0, 0, "whatsapp", "user_request", NULL, 0, NOW, &bad, NULL),
        CORE_EINVAL);
    assert_int_equal(records_env_raw_int(env, "SELECT count(*) FROM escalations"), 3);
}

static void test_portal_events_unique_and_queue(void **state)
{
    struct records_env *env = *state;
    const unsigned char payload[] = "sealed-payload";
    int64_t id1 = 0;
    int64_t id_again = 0;
    int64_t id2 = 0;
    bool created = false;
    assert_int_equal(db_portal_event_enqueue(env->db, "confirmed", "ch-001", "2026-11", payload,
                                             sizeof payload, NOW, &id1, &created),
                     CORE_OK);
    assert_true(created);
    /* A retry of the same decision adds nothing. */
    assert_int_equal(db_portal_event_enqueue(env->db, "confirmed", "ch-001", "2026-11", payload,
                                             sizeof payload, NOW + 5, &id_again, &created),
                     CORE_OK);
    assert_false(created);
    assert_int_equal(id_again, id1);
    assert_int_equal(records_env_raw_int(env, "SELECT count(*) FROM portal_events"), 1);
    assert_int_equal(db_portal_event_enqueue(env->db, "disputed", "ch-001", "2026-11", payload,
                                             sizeof payload, NOW + 1, &id2, &created),
                     CORE_OK);
    assert_true(created);
    assert_int_equal(db_portal_event_enqueue(env->db, "approved", "ch-001", "2026-11", payload,
                                             sizeof payload, NOW, NULL, NULL),
                     CORE_EINVAL);
    assert_int_equal(db_portal_event_enqueue(env->db, "confirmed", "ch-002", "2026-1", payload,
                                             sizeof payload, NOW, NULL, NULL),
                     CORE_EINVAL);
    assert_int_equal(db_portal_event_enqueue(env->db, "confirmed", "ch-002", "2026-13", payload,
                                             sizeof payload, NOW, NULL, NULL),
                     CORE_EINVAL);
    assert_int_equal(records_env_raw_int(env, "SELECT count(*) FROM portal_events"), 2);

    struct db_portal_event ev[4];
    size_t n = 0;
    assert_int_equal(db_portal_events_pending(env->db, NOW + 10, ev, 4, &n), CORE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ev[0].id, id1);
    assert_string_equal(ev[0].kind, "confirmed");
    assert_string_equal(ev[0].child_id, "ch-001");
    assert_string_equal(ev[0].month, "2026-11");
    assert_int_equal(ev[0].payload_len, sizeof payload);
    assert_memory_equal(ev[0].payload_enc, payload, sizeof payload);
    assert_string_equal(ev[1].kind, "disputed");
    db_portal_events_release(ev, n);

    assert_int_equal(db_portal_event_mark_sent(env->db, id1, NOW + 20), CORE_OK);
    assert_int_equal(db_portal_event_mark_sent(env->db, id1, NOW + 21), CORE_ESTATE);
    assert_int_equal(db_portal_event_mark_sent(env->db, 9999, NOW), CORE_ENOTFOUND);
    assert_int_equal(db_portal_event_defer(env->db, id2, NOW + 600, false), CORE_OK);
    assert_int_equal(db_portal_events_pending(env->db, NOW + 30, ev, 4, &n), CORE_OK);
    assert_int_equal(n, 0);
    assert_int_equal(db_portal_events_pending(env->db, NOW + 600, ev, 4, &n), CORE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].id, id2);
    assert_int_equal(ev[0].attempts, 1);
    db_portal_events_release(ev, n);
    assert_int_equal(db_portal_event_defer(env->db, id2, NOW + 900, true), CORE_OK);
    assert_int_equal(db_portal_events_pending(env->db, NOW + 9999, ev, 4, &n), CORE_OK);
    assert_int_equal(n, 0);
    /* A sent event is still unique: a late retry does not queue it again. */
    assert_int_equal(db_portal_event_enqueue(env->db, "confirmed", "ch-001", "2026-11", payload,
                                             sizeof payload, NOW + 50, NULL, &created),
                     CORE_OK);
    assert_false(created);
}

static void test_meta_round_trip(void **state)
{
    struct records_env *env = *state;
    char value[16];
    assert_int_equal(db_meta_get(env->db, "k", value, sizeof value), CORE_ENOTFOUND);
    assert_int_equal(db_meta_set(env->db, "k", "one"), CORE_OK);
    assert_int_equal(db_meta_set(env->db, "k", "two"), CORE_OK);
    assert_int_equal(db_meta_get(env->db, "k", value, sizeof value), CORE_OK);
    assert_string_equal(value, "two");
    assert_int_equal(db_meta_set(env->db, "k", "a value that is far too long"), CORE_OK);
    assert_int_equal(db_meta_get(env->db, "k", value, sizeof value), CORE_ETOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_contact_find_or_create_is_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_contact_link_and_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_contact_erase_cascades, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escalation_reuse_list_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_portal_events_unique_and_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta_round_trip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
