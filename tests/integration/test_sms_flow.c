/* SPDX-License-Identifier: MIT
 * The SMS channel through the real binary: `tabelbot serve` with [sms] enabled (Twilio
 * dialect) and api_base_url at a stub gateway that records every outbound request. Parents
 * "text" by POSTing signed form bodies to /webhook/sms; the one-time code is read from the SMS
 * the stub received. Covered: registration to receipt in Kazakh and in Russian, STOP / СТОП /
 * ТОҚТА and START on the contact's reminders flag, an unknown number told once a day, the 6th
 * code in an hour refused with a clear message, every SMS within 3 segments, the segment
 * counters in /metrics, the code SMS naming service, purpose and expiry and never the IIN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "adapters/sms.h"
#include "support/http_stub.h"
#include "support/proc.h"
#include "support/sms_support.h"

#define TOKEN    "twilio-auth-token-0123456789abcd"
#define ACCOUNT  "AC0123456789abcdef0123456789abcd"
#define PUBLIC   "https://tabelbot.test"
#define NOW      "TABELBOT_NOW=2026-12-03T10:00:00+05:00"
#define WAIT_MS  60000
#define TEXT_MAX 4096

struct fx {
    char dir[512];
    char config[600];
    char db[600];
    struct http_stub *stub;
    struct tb_proc proc;
    int seen;    /* stub requests already read */
    int sid_seq; /* MessageSid counter */
};

static void gateway(void *ctx, const struct http_stub_request *req, struct http_stub_reply *reply)
{
    int *count = ctx;
    (*count)++;
    *reply = http_stub_reply_text(201, "");
    snprintf(reply->body, sizeof reply->body,
             "{\"sid\":\"SM%032d\",\"status\":\"queued\",\"num_segments\":\"1\"}", *count);
    snprintf(reply->headers, sizeof reply->headers, "Content-Type: application/json\r\n");
    (void)req;
}

static int gateway_count;

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tb_tempdir(f->dir, sizeof f->dir), 0);
    f->stub = http_stub_start();
    assert_non_null(f->stub);
    http_stub_set_handler(f->stub, gateway, &gateway_count);
    char base[128];
    http_stub_url(f->stub, "", base, sizeof base);
    char text[2048];
    snprintf(text, sizeof text,
             "[server]\nlisten = \"127.0.0.1:0\"\npublic_url = \"" PUBLIC "\"\n"
             "[database]\npath = \"%s/tabelbot.db\"\n"
             "[security]\ndata_key_file = \"%s/tabelbot.key\"\n"
             "[otp]\nresend_cooldown_s = 0\n"
             "[outbox]\nbase_backoff_ms = 50\nmax_backoff_ms = 500\n"
             "[sms]\nenabled = true\nprovider = \"twilio\"\napi_base_url = \"%s\"\n"
             "account = \"" ACCOUNT "\"\npassword = \"" TOKEN "\"\nfrom = \"+15005550006\"\n"
             "max_per_second = 1000\n"
             "[dev]\nclock_override = true\n",
             f->dir, f->dir, base);
    snprintf(f->config, sizeof f->config, "%s/tabelbot.toml", f->dir);
    snprintf(f->db, sizeof f->db, "%s/tabelbot.db", f->dir);
    assert_int_equal(tb_write_file(f->config, text), 0);
    char fixture[512];
    snprintf(fixture, sizeof fixture, "%s/tests/fixtures/registry-demo.json",
             getenv("TABELBOT_SOURCE_DIR"));
    const char *import[] = {"import", "--config", f->config, fixture, NULL};
    char out[2048];
    assert_int_equal(tb_run_bin(f->dir, import, NULL, out, sizeof out, WAIT_MS), 0);
    const char *env[] = {NOW, NULL};
    assert_int_equal(tb_serve_start(&f->proc, f->dir, f->config, env, TB_START_TIMEOUT_MS), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    tb_proc_cleanup(&f->proc);
    http_stub_stop(f->stub);
    tb_rmtree(f->dir);
    free(f);
    return 0;
}

/* Waits until every stored SMS was handled and every reply answered by the gateway. */
static void settle(struct fx *f)
{
    int64_t deadline = tb_now_ms() + WAIT_MS;
    while (tb_now_ms() < deadline) {
        int64_t open = tb_db_int(f->db, "SELECT (SELECT count(*) FROM inbox WHERE status = 'new')"
                                        " + (SELECT count(*) FROM outbox WHERE status IN "
                                        "('pending','sending'))");
        if (open == 0) {
            return;
        }
        tb_sleep_ms(20);
    }
    fail_msg("the SMS flow did not settle");
}

/* The parent texts `text` from `from`; returns the HTTP status. */
static int sms_in(struct fx *f, const char *from, const char *text)
{
    char sid[40];
    char body[2048];
    char signature[64];
    char header[96];
    snprintf(sid, sizeof sid, "SMfeed%026d", ++f->sid_seq);
    assert_int_equal(sms_test_form(sid, from, text, body, sizeof body), 0);
    assert_int_equal(sms_test_sign(TOKEN, PUBLIC "/webhook/sms", body, signature, 64), 0);
    snprintf(header, sizeof header, "X-Twilio-Signature: %s", signature);
    const char *const headers[] = {header, "Content-Type: application/x-www-form-urlencoded", NULL};
    struct tb_http_reply r;
    assert_int_equal(tb_http(f->proc.port, "POST", "/webhook/sms", headers, body, strlen(body), &r,
                             TB_HTTP_TIMEOUT_MS),
                     0);
    int status = r.status;
    tb_http_reply_free(&r);
    return status;
}

/* Every SMS the gateway received since the last call, to `to`, joined by "\n---\n"; checks
 * each one is a well-formed Messages API call within 3 segments. */
static void sms_out(struct fx *f, const char *to, char *out, size_t out_len)
{
    out[0] = '\0';
    struct http_stub_request *req = malloc(sizeof *req);
    struct ad_form *form = malloc(sizeof *form);
    assert_non_null(req);
    assert_non_null(form);
    while (http_stub_request_at(f->stub, f->seen, req)) {
        f->seen++;
        assert_string_equal(req->method, "POST");
        assert_string_equal(req->path, "/2010-04-01/Accounts/" ACCOUNT "/Messages.json");
        char auth[256];
        assert_true(http_stub_header(req, "authorization", auth, sizeof auth));
        assert_int_equal(strncmp(auth, "Basic ", 6), 0);
        assert_int_equal(ad_form_parse(req->body, req->body_len, form), CORE_OK);
        const char *body = ad_form_get(form, "Body");
        assert_non_null(body);
        assert_string_equal(ad_form_get(form, "From"), "+15005550006");
        const char *callback = ad_form_get(form, "StatusCallback");
        assert_non_null(callback);
        assert_int_equal(strncmp(callback, PUBLIC "/webhook/sms?o=", 35), 0);
        struct ad_sms_count count;
        assert_int_equal(ad_sms_count(body, strlen(body), &count), CORE_OK);
        assert_true(count.segments >= 1 && count.segments <= 3);
        if (strcmp(ad_form_get(form, "To"), to) != 0) {
            continue;
        }
        if (out[0]) {
            strncat(out, "\n---\n", out_len - strlen(out) - 1);
        }
        strncat(out, body, out_len - strlen(out) - 1);
    }
    free(req);
    free(form);
}

/* Texts and returns what came back. */
static void say(struct fx *f, const char *from, const char *text, char *reply, size_t len)
{
    assert_int_equal(sms_in(f, from, text), 200);
    settle(f);
    sms_out(f, from, reply, len);
}

static void expect(const char *reply, const char *fragment)
{
    if (!strstr(reply, fragment)) {
        fail_msg("expected \"%s\" in:\n%s", fragment, reply);
    }
}

/* The six digits of the code SMS. */
static void code_of(const char *sms, char code[7])
{
    for (const char *p = sms; *p; p++) {
        if (strspn(p, "0123456789") == 6 && (p == sms || p[-1] < '0' || p[-1] > '9')) {
            memcpy(code, p, 6);
            code[6] = '\0';
            return;
        }
    }
    fail_msg("no code in: %s", sms);
}

static int64_t confirmed(struct fx *f, const char *child)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM timesheets WHERE child_id = '%s' AND month = '2026-11' AND "
             "status = 'confirmed' AND decided_via = 'sms' AND receipt IS NOT NULL",
             child);
    return tb_db_int(f->db, sql);
}

static void test_register_to_receipt_kk(void **state)
{
    struct fx *f = *state;
    const char *from = "+77470000004"; /* Гүлнар prefers SMS; IIN 950717411116 */
    char *r = malloc(TEXT_MAX);
    assert_non_null(r);
    say(f, from, "сәлем", r, TEXT_MAX);
    expect(r, "1 - Қазақша");
    say(f, from, "1", r, TEXT_MAX);
    expect(r, "1 - ");
    say(f, from, "1", r, TEXT_MAX); /* accept the data policy */
    expect(r, "+7 747 *** ** 04");  /* the sender's number is the phone: no phone step */
    expect(r, "ЖСН");
    say(f, from, "950717411116", r, TEXT_MAX);
    /* the code SMS: the service, the purpose, the expiry; never the IIN */
    expect(r, "Балабақша табелі: кіру коды ");
    expect(r, "5 мин жарамды");
    assert_null(strstr(r, "950717411116"));
    char code[7];
    code_of(r, code);
    say(f, from, code, r, TEXT_MAX);
    expect(r, "Бекова");
    say(f, from, "1", r, TEXT_MAX); /* this is me */
    assert_int_equal(tb_db_int(f->db, "SELECT count(*) FROM contacts WHERE channel = 'sms' AND "
                                      "parent_id IS NOT NULL"),
                     1);
    say(f, from, "1", r, TEXT_MAX); /* confirm a timesheet */
    expect(r, "қараша 2026");
    say(f, from, "қараша", r, TEXT_MAX);
    expect(r, "Томирис");
    say(f, from, "1", r, TEXT_MAX); /* confirm */
    say(f, from, "1", r, TEXT_MAX); /* the same "1" again (a slow SMS): back, never a signature */
    assert_int_equal(confirmed(f, "ch-0005"), 0);
    say(f, from, "1", r, TEXT_MAX); /* confirm */
    say(f, from, "2", r, TEXT_MAX); /* sure: on SMS the signature is option 2 */
    assert_int_equal(confirmed(f, "ch-0005"), 1);
    /* every sent SMS keeps the gateway's message id for delivery reports */
    assert_int_equal(tb_db_int(f->db, "SELECT count(*) FROM outbox WHERE channel = 'sms' AND "
                                      "status = 'sent' AND provider_id IS NULL"),
                     0);
    assert_true(tb_db_int(f->db, "SELECT count(*) FROM outbox WHERE provider_id LIKE 'SM%'") > 5);
    /* the log carries no phone, IIN or code */
    char rel[600];
    snprintf(rel, sizeof rel, "%s", f->proc.log_path);
    FILE *log = fopen(rel, "r");
    assert_non_null(log);
    char line[2048];
    int lines = 0;
    while (fgets(line, sizeof line, log)) {
        lines++;
        assert_null(strstr(line, "77470000004"));
        assert_null(strstr(line, "950717411116"));
        assert_null(strstr(line, code));
    }
    fclose(log);
    assert_true(lines > 10);
    free(r);
}

static void test_register_to_receipt_ru_and_stop(void **state)
{
    struct fx *f = *state;
    const char *from = "+77020000002"; /* Дмитрий; IIN 881122310372 */
    char *r = malloc(TEXT_MAX);
    assert_non_null(r);
    say(f, from, "привет", r, TEXT_MAX);
    say(f, from, "2", r, TEXT_MAX); /* Русский */
    expect(r, "Политика данных");
    say(f, from, "1", r, TEXT_MAX);
    expect(r, "+7 702 *** ** 02");
    say(f, from, "881122310372", r, TEXT_MAX);
    expect(r, "Табель садика: код входа ");
    expect(r, "действует 5 мин");
    assert_null(strstr(r, "881122310372"));
    char code[7];
    code_of(r, code);
    say(f, from, code, r, TEXT_MAX);
    expect(r, "Ковалёв");
    say(f, from, "1", r, TEXT_MAX);
    expect(r, "Главное меню");
    say(f, from, "подтвердить табель", r, TEXT_MAX);
    expect(r, "ноябрь 2026");
    say(f, from, "Ноябрь 2026", r, TEXT_MAX);
    expect(r, "Мирон");
    say(f, from, "1", r, TEXT_MAX);
    expect(r, "юридическую силу");
    say(f, from, "да", r, TEXT_MAX);
    expect(r, "Код квитанции");
    assert_int_equal(confirmed(f, "ch-0003"), 1);

    /* STOP / СТОП / ТОҚТА stop bulk messages; START resumes */
    const char *reminders = "SELECT reminders FROM contacts WHERE channel = 'sms'";
    assert_int_equal(tb_db_int(f->db, reminders), 1);
    say(f, from, "СТОП", r, TEXT_MAX);
    expect(r, "Напоминания отключены");
    assert_int_equal(tb_db_int(f->db, reminders), 0);
    say(f, from, "START", r, TEXT_MAX);
    expect(r, "Напоминания включены");
    assert_int_equal(tb_db_int(f->db, reminders), 1);
    say(f, from, "ТОҚТА", r, TEXT_MAX);
    assert_int_equal(tb_db_int(f->db, reminders), 0);
    say(f, from, "STOP", r, TEXT_MAX);
    assert_int_equal(tb_db_int(f->db, reminders), 0);
    say(f, from, "start", r, TEXT_MAX);
    assert_int_equal(tb_db_int(f->db, reminders), 1);

    /* a delivery report for one of those SMS moves its row forward only */
    char body[256];
    char signature[64];
    char url[128];
    char header[96];
    int64_t id = tb_db_int(f->db, "SELECT max(id) FROM outbox WHERE channel = 'sms'");
    snprintf(url, sizeof url, PUBLIC "/webhook/sms?o=%lld", (long long)id);
    snprintf(body, sizeof body, "MessageSid=SMabc&MessageStatus=delivered");
    assert_int_equal(sms_test_sign(TOKEN, url, body, signature, 64), 0);
    snprintf(header, sizeof header, "X-Twilio-Signature: %s", signature);
    const char *const headers[] = {header, "Content-Type: application/x-www-form-urlencoded", NULL};
    struct tb_http_reply reply;
    assert_int_equal(tb_http(f->proc.port, "POST", url + strlen(PUBLIC), headers, body,
                             strlen(body), &reply, TB_HTTP_TIMEOUT_MS),
                     0);
    assert_int_equal(reply.status, 200);
    tb_http_reply_free(&reply);
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM outbox WHERE id = %lld AND delivery_status = 'delivered'",
             (long long)id);
    assert_int_equal(tb_db_int(f->db, sql), 1);

    /* segments are counted by kind */
    assert_int_equal(
        tb_http(f->proc.port, "GET", "/metrics", NULL, NULL, 0, &reply, TB_HTTP_TIMEOUT_MS), 0);
    expect(reply.body, "tabelbot_sms_segments_total{kind=\"code\"} 1");
    expect(reply.body, "tabelbot_sms_segments_total{kind=\"interactive\"}");
    /* the compact SMS forms fit: no reply of these flows had to be cut */
    assert_null(strstr(reply.body, "tabelbot_sms_shortened_total{"));
    tb_http_reply_free(&reply);
    free(r);
}

static void test_unknown_number_told_once_a_day(void **state)
{
    struct fx *f = *state;
    const char *from = "+77019999999";
    char *r = malloc(TEXT_MAX);
    assert_non_null(r);
    say(f, from, "сәлем", r, TEXT_MAX);
    expect(r, "Нөміріңіз ваучер тізілімінде жоқ");
    expect(r, "8 (727) 339-72-22");
    say(f, from, "привет", r, TEXT_MAX);
    assert_string_equal(r, ""); /* the same day: nothing more */
    say(f, from, "1", r, TEXT_MAX);
    assert_string_equal(r, "");
    assert_int_equal(tb_db_int(f->db, "SELECT count(*) FROM contacts"), 0);
    assert_int_equal(tb_db_int(f->db, "SELECT count(*) FROM inbox WHERE status = 'done'"), 3);
    free(r);
}

static void test_sixth_code_in_an_hour_is_refused(void **state)
{
    struct fx *f = *state;
    const char *from = "+77770000005"; /* Ольга; IIN 870208411489 */
    char *r = malloc(TEXT_MAX);
    assert_non_null(r);
    say(f, from, "привет", r, TEXT_MAX);
    say(f, from, "2", r, TEXT_MAX);
    say(f, from, "1", r, TEXT_MAX);
    say(f, from, "870208411489", r, TEXT_MAX); /* code 1 */
    expect(r, "код входа");
    for (int i = 2; i <= 5; i++) {
        say(f, from, "Отправить код", r, TEXT_MAX);
        expect(r, "код входа");
    }
    say(f, from, "Отправить код", r, TEXT_MAX); /* the 6th */
    expect(r, "Код запрашивали слишком часто");
    assert_null(strstr(r, "код входа"));
    assert_int_equal(tb_db_int(f->db, "SELECT count(*) FROM otp"), 5);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register_to_receipt_kk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_register_to_receipt_ru_and_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_number_told_once_a_day, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sixth_code_in_an_hour_is_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
