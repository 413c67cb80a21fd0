/* SPDX-License-Identifier: MIT
 * Tests of configuration loading: defaults, a full file, environment overrides of every type,
 * unknown names, wrong types, ranges, every validation rule, secrets kept out of errors, wipe,
 * and the shipped config.example.toml and docs/configuration.md against the schema. */
#include "bot/config.h"

#include "bot/config_int.h"
#include "bot/toml.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define ERR_LEN 512

static char *const no_env[] = {NULL};

static int load_text(const char *text, char *const *env, struct bot_config *cfg, char *err)
{
    return bot_config_load_text("t.toml", text, text ? strlen(text) : 0, env, cfg, err, ERR_LEN);
}

static void expect_error_env(const char *text, char *const *env, const char *want)
{
    struct bot_config cfg;
    char err[ERR_LEN];
    int rc = load_text(text, env, &cfg, err);
    if (rc != CORE_ECONFIG || strcmp(err, want) != 0) {
        print_error("input:\n%s\nrc=%d\n got: %s\nwant: %s\n", text ? text : "(none)", rc, err,
                    want);
        fail();
    }
}

static void expect_error(const char *text, const char *want)
{
    expect_error_env(text, no_env, want);
}

/* "[section]\nkey = value\n" must fail with "t.toml:2:COL: section.key: why", COL being where
 * the value starts. */
static void
expect_key_error(const char *section, const char *key, const char *value, const char *why)
{
    char text[1024];
    char want[ERR_LEN];
    snprintf(text, sizeof text, "[%s]\n%s = %s\n", section, key, value);
    snprintf(want, sizeof want, "t.toml:2:%zu: %s.%s: %s", strlen(key) + 4, section, key, why);
    expect_error(text, want);
}

static void expect_ok_env(const char *text, char *const *env, struct bot_config *cfg)
{
    char err[ERR_LEN];
    int rc = load_text(text, env, cfg, err);
    if (rc != CORE_OK) {
        print_error("input:\n%s\nrc=%d: %s\n", text ? text : "(none)", rc, err);
        fail();
    }
}

static void expect_ok(const char *text, struct bot_config *cfg)
{
    expect_ok_env(text, no_env, cfg);
}

static void
expect_key_ok(const char *section, const char *key, const char *value, struct bot_config *cfg)
{
    char text[1024];
    snprintf(text, sizeof text, "[%s]\n%s = %s\n", section, key, value);
    expect_ok(text, cfg);
}

static const void *field_of(const struct bot_config *cfg, const struct bot_cfg_key *k)
{
    return (const char *)cfg + k->offset;
}

static bool
field_equal(const struct bot_cfg_key *k, const struct bot_config *a, const struct bot_config *b)
{
    const void *fa = field_of(a, k);
    const void *fb = field_of(b, k);
    switch (k->type) {
    case BOT_CFG_T_STRING:
        return strcmp(fa, fb) == 0;
    case BOT_CFG_T_BOOL:
        return *(const bool *)fa == *(const bool *)fb;
    case BOT_CFG_T_INT:
        return *(const int *)fa == *(const int *)fb;
    case BOT_CFG_T_SIZE:
        return *(const size_t *)fa == *(const size_t *)fb;
    case BOT_CFG_T_STRINGS: {
        size_t na = *(const size_t *)((const char *)a + k->count_offset);
        size_t nb = *(const size_t *)((const char *)b + k->count_offset);
        for (size_t i = 0; na == nb && i < na; i++) {
            if (strcmp((const char *)fa + i * k->size, (const char *)fb + i * k->size) != 0) {
                return false;
            }
        }
        return na == nb;
    }
    }
    return false;
}

static bool listed(const char *const *names, const struct bot_cfg_key *k)
{
    char full[128];
    snprintf(full, sizeof full, "%s.%s", k->section, k->key);
    for (size_t i = 0; names && names[i]; i++) {
        if (strcmp(names[i], full) == 0) {
            return true;
        }
    }
    return false;
}

/* Every schema field equal, except the listed "section.key" names, which must differ. */
static void assert_equal_except(const struct bot_config *a,
                                const struct bot_config *b,
                                const char *const *except)
{
    size_t n = 0;
    const struct bot_cfg_key *schema = bot_config_schema(&n);
    for (size_t i = 0; i < n; i++) {
        bool want_equal = !listed(except, &schema[i]);
        if (field_equal(&schema[i], a, b) != want_equal) {
            print_error("%s.%s: expected %s\n", schema[i].section, schema[i].key,
                        want_equal ? "equal" : "different");
            fail();
        }
    }
    assert_int_equal(a->time.utc_offset_s, b->time.utc_offset_s);
}

/* ---- defaults, full file, example ----------------------------------------------------- */

static void test_config_defaults_without_file(void **state)
{
    (void)state;
    struct bot_config want;
    struct bot_config got;
    char err[ERR_LEN];
    bot_config_defaults(&want);
    memset(&got, 0x5A, sizeof got);
    assert_int_equal(bot_config_load(NULL, NULL, &got, err, sizeof err), CORE_OK);
    assert_string_equal(err, "");
    assert_equal_except(&got, &want, NULL);
    assert_int_equal(got.time.utc_offset_s, 18000);
    /* An empty file and an envp with only foreign variables change nothing either. */
    char *const env[] = {"PATH=/bin",
                         "TABELBOT_NOW=2026-12-03T10:00:00+05:00",
                         "TABELBOT_FOO=1",
                         "TABELBOT_SERVER=x",
                         "TABELBOT_SERVER_LISTENER=x",
                         "TABELBOT_TELEGRAM_TOKEN_FILE=/x",
                         "tabelbot_server_listen=bad",
                         NULL};
    expect_ok_env("", env, &got);
    assert_equal_except(&got, &want, NULL);
}

static const char full_file[] = "# every key set to something other than its default\n"
                                "[server]\n"
                                "listen = \"0.0.0.0:9090\"\n"
                                "public_url = \"https://bot.example.kz/\"\n"
                                "max_body_bytes = 2_097_152\n"
                                "max_header_bytes = 8192\n"
                                "max_connections = 100\n"
                                "idle_timeout_ms = 1000\n"
                                "request_timeout_ms = 2000\n"
                                "shutdown_grace_ms = 3000\n"
                                "[database]\n"
                                "path = '/var/lib/tabelbot/t.db'\n"
                                "synchronous = 'normal'\n"
                                "[time]\n"
                                "utc_offset = \"-03:30\"\n"
                                "window_first_day = 2\n"
                                "window_last_day = 12\n"
                                "quiet_start_hour = 22\n"
                                "quiet_end_hour = 8\n"
                                "[log]\n"
                                "level = \"debug\"\n"
                                "[dialog]\n"
                                "idle_timeout_s = 600\n"
                                "consent_version = \"2027-01\"\n"
                                "[otp]\n"
                                "ttl_s = 120\n"
                                "resend_cooldown_s = 30\n"
                                "max_attempts = 3\n"
                                "max_per_phone_per_hour = 4\n"
                                "max_per_chat_per_hour = 6\n"
                                "max_global_per_hour = 500\n"
                                "[outbox]\n"
                                "max_attempts = 4\n"
                                "base_backoff_ms = 500\n"
                                "max_backoff_ms = 60000\n"
                                "max_in_flight = 8\n"
                                "request_timeout_ms = 5000\n"
                                "[telegram]\n"
                                "enabled = true\n"
                                "token = \"123456:ABC-def_GHI\"\n"
                                "secret_token = \"s3cr3t_-X\"\n"
                                "api_base_url = \"http://127.0.0.1:9999/tg\"\n"
                                "mode = \"polling\"\n"
                                "max_messages_per_second = 20\n"
                                "chat_interval_ms = 1500\n"
                                "chat_burst = 2\n"
                                "max_connections = 10\n"
                                "drop_pending_updates = true\n"
                                "poll_timeout_s = 30\n"
                                "poll_interval_ms = 250\n"
                                "[whatsapp]\n"
                                "enabled = true\n"
                                "api_base_url = \"http://127.0.0.1:9998\"\n"
                                "phone_number_id = \"1234567890\"\n"
                                "access_token = \"EAAG\\u0041\"\n"
                                "app_secret = \"appsecret\"\n"
                                "verify_token = \"verify me\"\n"
                                "templates = [\n"
                                "  \"tabel_reminder\",  # comment inside\n"
                                "  \"tabel_last_day\",\n"
                                "]\n"
                                "[sms]\n"
                                "enabled = true\n"
                                "provider = \"mobizon\"\n"
                                "api_base_url = \"https://api.mobizon.kz\"\n"
                                "account = \"login\"\n"
                                "password = \"pass\"\n"
                                "from = \"TABEL\"\n"
                                "max_segments = 2\n"
                                "max_per_second = 50\n"
                                "[portal]\n"
                                "mode = \"remote\"\n"
                                "api_base_url = \"https://portal.example.kz/api\"\n"
                                "[security]\n"
                                "data_key_file = \"/etc/tabelbot/key\"\n"
                                "create_key_if_missing = false\n"
                                "[contact_centre]\n"
                                "phone = \"+7 727 000 00 00\"\n"
                                "whatsapp = \"+7 747 000 00 00\"\n"
                                "hours = \"Дүйсенбі-Жұма 09:00-18:00\"\n"
                                "[dev]\n"
                                "clock_override = true\n"
                                "code_sink = \"console\"\n";

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_config_full_file(void **state)
{
    (void)state;
    char path[] = "test_config_full_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path, full_file, strlen(full_file));
    struct bot_config cfg;
    struct bot_config defaults;
    char err[ERR_LEN];
    bot_config_defaults(&defaults);
    int rc = bot_config_load(path, no_env, &cfg, err, sizeof err);
    unlink(path);
    if (rc != CORE_OK) {
        print_error("%s\n", err);
        fail();
    }
    /* Every key was applied: every field differs from its default. */
    size_t n = 0;
    const struct bot_cfg_key *schema = bot_config_schema(&n);
    for (size_t i = 0; i < n; i++) {
        if (field_equal(&schema[i], &cfg, &defaults)) {
            print_error("%s.%s kept its default\n", schema[i].section, schema[i].key);
            fail();
        }
    }
    assert_string_equal(cfg.server.listen, "0.0.0.0:9090");
    assert_string_equal(cfg.server.public_url, "https://bot.example.kz"); /* '/' removed */
    assert_int_equal(cfg.server.max_body_bytes, 2097152);
    assert_int_equal(cfg.time.utc_offset_s, -(3 * 3600 + 30 * 60));
    assert_string_equal(cfg.whatsapp.access_token, "EAAGA");
    assert_int_equal(cfg.whatsapp.n_templates, 2);
    assert_string_equal(cfg.whatsapp.templates[0], "tabel_reminder");
    assert_string_equal(cfg.whatsapp.templates[1], "tabel_last_day");
    assert_string_equal(cfg.contact_centre.hours, "Дүйсенбі-Жұма 09:00-18:00");
    assert_false(cfg.security.create_key_if_missing);
    assert_true(cfg.dev.clock_override);
    bot_config_wipe(&cfg);
}

static char *source_path(const char *relative)
{
    const char *dir = getenv("TABELBOT_SOURCE_DIR");
    assert_non_null(dir);
    size_t len = strlen(dir) + strlen(relative) + 2;
    char *path = malloc(len);
    assert_non_null(path);
    snprintf(path, len, "%s/%s", dir, relative);
    return path;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(BOT_TOML_MAX_INPUT + 1);
    assert_non_null(buf);
    *len = fread(buf, 1, BOT_TOML_MAX_INPUT, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* The example loads as-is, equals the defaults except the keys it deliberately sets, and
 * spells out every key of the schema in its section. */
static void test_config_example_file(void **state)
{
    (void)state;
    char *path = source_path("config.example.toml");
    struct bot_config cfg;
    struct bot_config defaults;
    char err[ERR_LEN];
    bot_config_defaults(&defaults);
    int rc = bot_config_load(path, no_env, &cfg, err, sizeof err);
    if (rc != CORE_OK) {
        print_error("%s\n", err);
        fail();
    }
    static const char *const deliberately_set[] = {"sms.api_base_url", NULL};
    assert_equal_except(&cfg, &defaults, deliberately_set);
    assert_string_equal(cfg.sms.api_base_url, "https://api.twilio.com");

    size_t len = 0;
    char *text = slurp(path, &len);
    struct bot_toml_doc *doc = NULL;
    assert_int_equal(bot_toml_parse(text, len, &doc, NULL), CORE_OK);
    size_t n = 0;
    const struct bot_cfg_key *schema = bot_config_schema(&n);
    for (size_t i = 0; i < n; i++) {
        const struct bot_toml_table *t = bot_toml_table_find(doc, schema[i].section);
        if (!t || !bot_toml_key_find(t, schema[i].key)) {
            print_error("config.example.toml lacks %s.%s\n", schema[i].section, schema[i].key);
            fail();
        }
    }
    bot_toml_free(doc);
    free(text);
    free(path);
}

/* docs/configuration.md has a table row for every key under its section's heading. */
static void test_config_docs_cover_every_key(void **state)
{
    (void)state;
    char *path = source_path("docs/configuration.md");
    size_t len = 0;
    char *text = slurp(path, &len);
    size_t n = 0;
    const struct bot_cfg_key *schema = bot_config_schema(&n);
    for (size_t i = 0; i < n; i++) {
        char heading[64];
        char row[96];
        snprintf(heading, sizeof heading, "\n### `[%s]`", schema[i].section);
        snprintf(row, sizeof row, "\n| `%s` |", schema[i].key);
        const char *start = strstr(text, heading);
        const char *end = start ? strstr(start + 1, "\n#") : NULL;
        const char *hit = start ? strstr(start, row) : NULL;
        if (!hit || (end && hit > end)) {
            print_error("docs/configuration.md lacks %s.%s\n", schema[i].section, schema[i].key);
            fail();
        }
    }
    free(text);
    free(path);
}

/* ---- environment ---------------------------------------------------------------------- */

static void test_config_env_overrides_each_type(void **state)
{
    (void)state;
    char *const env[] = {
        "TABELBOT_SERVER_LISTEN=[::1]:0",     /* string */
        "TABELBOT_TELEGRAM_ENABLED=true",     /* bool */
        "TABELBOT_TELEGRAM_TOKEN=1:tok",      /* secret from env */
        "TABELBOT_TELEGRAM_SECRET_TOKEN=abc", /* */
        "TABELBOT_SERVER_MAX_CONNECTIONS=-0", /* int, checked against range below */
        "TABELBOT_SECURITY_CREATE_KEY_IF_MISSING=false",
        NULL,
    };
    expect_error_env(NULL, env,
                     "env TABELBOT_SERVER_MAX_CONNECTIONS: out of range: must be 1..1000000");

    char *const env_ok[] = {
        "TABELBOT_SERVER_LISTEN=[::1]:0",
        "TABELBOT_TELEGRAM_ENABLED=true",
        "TABELBOT_TELEGRAM_TOKEN=1:tok",
        "TABELBOT_TELEGRAM_SECRET_TOKEN=abc",
        "TABELBOT_SERVER_MAX_CONNECTIONS=1_000",
        "TABELBOT_SERVER_MAX_BODY_BYTES=4096",
        "TABELBOT_SECURITY_CREATE_KEY_IF_MISSING=false",
        "TABELBOT_WHATSAPP_TEMPLATES= a_1 ,b,c ",
        "TABELBOT_TIME_UTC_OFFSET=+06:00",
        "TABELBOT_CONTACT_CENTRE_HOURS=24/7",
        "TABELBOT_NOW=2026-12-03T10:00:00+05:00",
        "TABELBOT_SERVER_LISTEN=127.0.0.1:1", /* a second entry: the first wins, as getenv */
        NULL,
    };
    struct bot_config cfg;
    /* The environment beats the file. */
    expect_ok_env("[server]\nlisten = \"127.0.0.1:7\"\nmax_connections = 5\n"
                  "[whatsapp]\ntemplates = [\"x\"]\n",
                  env_ok, &cfg);
    assert_string_equal(cfg.server.listen, "[::1]:0");
    assert_true(cfg.telegram.enabled);
    assert_string_equal(cfg.telegram.token, "1:tok");
    assert_int_equal(cfg.server.max_connections, 1000);
    assert_int_equal(cfg.server.max_body_bytes, 4096);
    assert_false(cfg.security.create_key_if_missing);
    assert_int_equal(cfg.whatsapp.n_templates, 3);
    assert_string_equal(cfg.whatsapp.templates[0], "a_1");
    assert_string_equal(cfg.whatsapp.templates[1], "b");
    assert_string_equal(cfg.whatsapp.templates[2], "c");
    assert_int_equal(cfg.time.utc_offset_s, 6 * 3600);
    assert_string_equal(cfg.contact_centre.hours, "24/7");

    /* An empty list clears the array. */
    char *const env_empty[] = {"TABELBOT_WHATSAPP_TEMPLATES=", NULL};
    expect_ok_env("[whatsapp]\ntemplates = [\"x\"]\n", env_empty, &cfg);
    assert_int_equal(cfg.whatsapp.n_templates, 0);
}

static void test_config_env_errors(void **state)
{
    (void)state;
    char *const bad_bool[] = {"TABELBOT_TELEGRAM_ENABLED=yes", NULL};
    expect_error_env(NULL, bad_bool, "env TABELBOT_TELEGRAM_ENABLED: expected true or false");
    char *const bad_int[] = {"TABELBOT_OTP_TTL_S=5m", NULL};
    expect_error_env(NULL, bad_int, "env TABELBOT_OTP_TTL_S: expected a decimal integer");
    char *const empty_int[] = {"TABELBOT_OTP_TTL_S=", NULL};
    expect_error_env(NULL, empty_int, "env TABELBOT_OTP_TTL_S: expected a decimal integer");
    char *const zeros[] = {"TABELBOT_OTP_TTL_S=0300", NULL};
    expect_error_env(NULL, zeros, "env TABELBOT_OTP_TTL_S: leading zeros are not allowed");
    char *const big[] = {"TABELBOT_SERVER_MAX_BODY_BYTES=99999999999999999999", NULL};
    expect_error_env(NULL, big,
                     "env TABELBOT_SERVER_MAX_BODY_BYTES: integer out of range (64-bit signed)");
    char *const long_str[] = {"TABELBOT_TIME_UTC_OFFSET=+05:00:00", NULL};
    expect_error_env(NULL, long_str, "env TABELBOT_TIME_UTC_OFFSET: longer than 7 bytes");
    char *const ctrl[] = {"TABELBOT_DATABASE_PATH=a\tb", NULL};
    expect_error_env(NULL, ctrl, "env TABELBOT_DATABASE_PATH: contains a control character");
    char *const utf8[] = {"TABELBOT_DATABASE_PATH=a\xff", NULL};
    expect_error_env(NULL, utf8, "env TABELBOT_DATABASE_PATH: is not valid UTF-8");
    char *const empty_item[] = {"TABELBOT_WHATSAPP_TEMPLATES=a,,b", NULL};
    expect_error_env(NULL, empty_item,
                     "env TABELBOT_WHATSAPP_TEMPLATES: item 2 is empty (comma-separated list)");
    char *const many[] = {"TABELBOT_WHATSAPP_TEMPLATES=a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", NULL};
    expect_error_env(NULL, many, "env TABELBOT_WHATSAPP_TEMPLATES: at most 16 items");
    char *const bad_item[] = {"TABELBOT_WHATSAPP_TEMPLATES=ok,Not-OK", NULL};
    expect_error_env(NULL, bad_item,
                     "env TABELBOT_WHATSAPP_TEMPLATES: template names are 1+ characters of "
                     "a-z 0-9 _");
    /* A validation failure on a value from the environment names the variable. */
    char *const bad_listen[] = {"TABELBOT_SERVER_LISTEN=example.com:80", NULL};
    expect_error_env("[server]\nlisten = \"127.0.0.1:1\"\n", bad_listen,
                     "env TABELBOT_SERVER_LISTEN: must be host:port with an IPv4 address, "
                     "localhost or [IPv6] as host");
}

static void test_config_env_names_unique(void **state)
{
    (void)state;
    size_t n = 0;
    const struct bot_cfg_key *schema = bot_config_schema(&n);
    assert_true(n > 40);
    for (size_t i = 0; i < n; i++) {
        char a[96];
        bot_config_env_name(&schema[i], a, sizeof a);
        for (size_t j = i + 1; j < n; j++) {
            char b[96];
            bot_config_env_name(&schema[j], b, sizeof b);
            assert_string_not_equal(a, b);
        }
    }
    char name[96];
    bot_config_env_name(&schema[0], name, sizeof name);
    assert_string_equal(name, "TABELBOT_SERVER_LISTEN");
}

/* ---- names, types, ranges, lengths ---------------------------------------------------- */

static void test_config_unknown_names(void **state)
{
    (void)state;
    expect_error("[server]\nlisten = \"127.0.0.1:1\"\nlistne = 1\n",
                 "t.toml:3:1: server.listne: unknown key");
    expect_error("[sever]\nlisten = 1\n", "t.toml:1:2: sever: unknown section");
    expect_error("listen = \"x\"\n", "t.toml:1:1: listen: key outside any [section]");
    expect_error("[time]\nutc_offset_s = 1\n", "t.toml:2:1: time.utc_offset_s: unknown key");
    expect_error("[whatsapp]\nn_templates = 1\n", "t.toml:2:1: whatsapp.n_templates: unknown key");
}

static void test_config_toml_errors_are_reported(void **state)
{
    (void)state;
    expect_error("[server]\nlisten = 127.0.0.1:1\n",
                 "t.toml:2:10: server.listen: dates and times are not supported");
    expect_error("[server]\n\n\x01", "t.toml:3:1: control character not allowed (write it as an "
                                     "escape in a basic string)");
    expect_error("[server]\n[server]\n",
                 "t.toml:2:2: server: duplicate table (first defined on line 1)");
}

static void test_config_wrong_types(void **state)
{
    (void)state;
    expect_key_error("server", "listen", "8080", "expected a string, got integer");
    expect_key_error("server", "max_connections", "\"100\"", "expected an integer, got string");
    expect_key_error("server", "max_body_bytes", "true", "expected an integer, got boolean");
    expect_key_error("telegram", "enabled", "\"true\"",
                     "expected a boolean (true or false), got string");
    expect_key_error("whatsapp", "templates", "\"a\"", "expected an array of strings, got string");
    expect_key_error("database", "path", "['a']", "expected a string, got array");
    expect_error("[whatsapp]\ntemplates = [\"a\", 2]\n",
                 "t.toml:2:19: whatsapp.templates: item 2: expected a string, got integer");
}

static void test_config_ranges(void **state)
{
    (void)state;
    struct bot_config cfg;
    expect_key_error("server", "max_body_bytes", "1023", "out of range: must be 1024..67108864");
    expect_key_error("server", "max_body_bytes", "67108865",
                     "out of range: must be 1024..67108864");
    expect_key_ok("server", "max_body_bytes", "1024", &cfg);
    assert_int_equal(cfg.server.max_body_bytes, 1024);
    expect_key_ok("server", "max_body_bytes", "67_108_864", &cfg);
    assert_int_equal(cfg.server.max_body_bytes, 64 * 1024 * 1024);
    expect_key_error("server", "max_connections", "99999999999",
                     "out of range: must be 1..1000000");
    expect_key_error("server", "max_connections", "-1", "out of range: must be 1..1000000");
    expect_key_error("otp", "ttl_s", "29", "out of range: must be 30..3600");
    /* Timeouts must be positive. */
    static const char *const timeouts[][2] = {
        {"server", "idle_timeout_ms"},    {"server", "request_timeout_ms"},
        {"server", "shutdown_grace_ms"},  {"dialog", "idle_timeout_s"},
        {"outbox", "request_timeout_ms"}, {"outbox", "base_backoff_ms"},
    };
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "[%s]\n%s = 0\n", timeouts[i][0], timeouts[i][1]);
        struct bot_config c;
        char err[ERR_LEN];
        assert_int_equal(load_text(text, no_env, &c, err), CORE_ECONFIG);
        assert_non_null(strstr(err, "out of range: must be 1.."));
    }
}

static void test_config_string_lengths(void **state)
{
    (void)state;
    struct bot_config cfg;
    expect_key_error("time", "utc_offset", "\"+05:00:00\"", "longer than 7 bytes");
    expect_key_error("dev", "code_sink", "\"console-console-\"", "longer than 15 bytes");
    char value[400];
    value[0] = '"';
    memset(value + 1, 'a', 256);
    snprintf(value + 257, sizeof value - 257, "\"");
    expect_key_error("database", "path", value, "longer than 255 bytes");
    value[256] = '"';
    value[257] = '\0'; /* 255 bytes: fits */
    expect_key_ok("database", "path", value, &cfg);
    assert_int_equal(strlen(cfg.database.path), 255);
    expect_key_error("database", "path", "\"a\\u0000b\"", "contains a control character");
    expect_key_error("database", "path", "\"a\\nb\"", "contains a control character");
    /* An item's error points at the item. */
    expect_error("[whatsapp]\ntemplates = ['ok', '0123456789012345678901234567890123456789"
                 "012345678901234567890123']\n",
                 "t.toml:2:20: whatsapp.templates: longer than 63 bytes");
}

/* ---- validation rules ----------------------------------------------------------------- */

static void test_config_rule_listen(void **state)
{
    (void)state;
    struct bot_config cfg;
    static const char *const good[] = {"\"0.0.0.0:0\"", "\"localhost:65535\"", "\"[::1]:8080\"",
                                       "\"[::]:80\"", "\"10.1.2.3:443\""};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        expect_key_ok("server", "listen", good[i], &cfg);
    }
    const char *shape = "must be host:port with an IPv4 address, localhost or [IPv6] as host";
    expect_key_error("server", "listen", "\"example.com:80\"", shape);
    expect_key_error("server", "listen", "\"127.0.0.1\"", shape);
    expect_key_error("server", "listen", "\":8080\"", shape);
    expect_key_error("server", "listen", "\"[::1]8080\"", shape);
    expect_key_error("server", "listen", "\"[::g]:80\"", shape);
    expect_key_error("server", "listen", "\"256.1.1.1:80\"", shape);
    expect_key_error("server", "listen", "\"127.0.0.1:65536\"", "port must be 0..65535");
    expect_key_error("server", "listen", "\"127.0.0.1:-1\"",
                     "must be host:port with a numeric port");
    expect_key_error("server", "listen", "\"127.0.0.1:\"", "must be host:port with a numeric port");
    expect_key_error("server", "listen", "\"[::1]:123456\"",
                     "must be host:port with a numeric port");
}

static void test_config_rule_urls(void **state)
{
    (void)state;
    struct bot_config cfg;
    const char *url = "must be an http:// or https:// URL with a host (no query, no fragment)";
    expect_key_error("server", "public_url", "\"ftp://x\"", url);
    expect_key_error("server", "public_url", "\"http://\"", url);
    expect_key_error("server", "public_url", "\"https:///path\"", url);
    expect_key_error("server", "public_url", "\"HTTP://x\"", url);
    expect_key_error("server", "public_url", "\"http://x/a b\"", url);
    expect_key_error("server", "public_url", "\"http://x/?q=1\"", url);
    expect_key_error("server", "public_url", "\"\"", "must be an http:// or https:// URL");
    static const char *const bases[][2] = {{"telegram", "api_base_url"},
                                           {"whatsapp", "api_base_url"},
                                           {"sms", "api_base_url"},
                                           {"portal", "api_base_url"}};
    for (size_t i = 0; i < 4; i++) {
        expect_key_error(bases[i][0], bases[i][1], "\"api.telegram.org\"", url);
        expect_key_ok(bases[i][0], bases[i][1], "\"http://127.0.0.1:1/base//\"", &cfg);
    }
    assert_string_equal(cfg.portal.api_base_url, "http://127.0.0.1:1/base");
    expect_key_error("telegram", "api_base_url", "\"\"", "must be an http:// or https:// URL");
    expect_key_ok("sms", "api_base_url", "\"\"", &cfg); /* optional while sms is off */
}

static void test_config_rule_time(void **state)
{
    (void)state;
    struct bot_config cfg;
    expect_key_error("time", "utc_offset", "\"+5\"", "must be a UTC offset like \"+05:00\"");
    expect_key_error("time", "utc_offset", "\"+15:00\"", "must be a UTC offset like \"+05:00\"");
    expect_key_error("time", "utc_offset", "\"05:00\"", "must be a UTC offset like \"+05:00\"");
    expect_key_ok("time", "utc_offset", "\"+00:00\"", &cfg);
    assert_int_equal(cfg.time.utc_offset_s, 0);
    expect_key_error("time", "window_first_day", "0", "out of range: must be 1..28");
    expect_key_error("time", "window_last_day", "29", "out of range: must be 1..28");
    expect_error("[time]\nwindow_first_day = 11\n",
                 "t.toml: time.window_last_day: must be >= time.window_first_day (11)");
    expect_error("[time]\nwindow_first_day = 5\nwindow_last_day = 4\n",
                 "t.toml:3:19: time.window_last_day: must be >= time.window_first_day (5)");
    expect_ok("[time]\nwindow_first_day = 28\nwindow_last_day = 28\n", &cfg);
    expect_key_error("time", "quiet_start_hour", "24", "out of range: must be 0..23");
    expect_key_error("time", "quiet_end_hour", "-1", "out of range: must be 0..23");
    expect_key_ok("time", "quiet_end_hour", "0", &cfg);
    expect_error("[outbox]\nbase_backoff_ms = 5000\nmax_backoff_ms = 4999\n",
                 "t.toml:3:18: outbox.max_backoff_ms: must be >= outbox.base_backoff_ms (5000)");
}

static void test_config_rule_enums(void **state)
{
    (void)state;
    struct bot_config cfg;
    expect_key_error("telegram", "mode", "\"hook\"", "must be webhook or polling");
    expect_key_error("sms", "provider", "\"kcell\"", "must be twilio or mobizon");
    expect_key_error("portal", "mode", "\"cloud\"", "must be embedded or remote");
    expect_key_error("dev", "code_sink", "\"sms\"", "must be none or console");
    expect_key_error("database", "synchronous", "\"off\"", "must be full or normal");
    expect_key_error("dialog", "consent_version", "\"2026 ж.\"",
                     "must be printable ASCII without spaces, e.g. \"2026-11\"");
    expect_key_error("log", "level", "\"verbose\"", "must be error, warn, info, debug or trace");
    expect_key_ok("log", "level", "\"INFO\"", &cfg); /* core_log_level_parse ignores case */
    static const char *const levels[] = {"error", "warn", "info", "debug", "trace"};
    for (size_t i = 0; i < 5; i++) {
        char value[32];
        snprintf(value, sizeof value, "\"%s\"", levels[i]);
        expect_key_ok("log", "level", value, &cfg);
        assert_string_equal(cfg.log.level, levels[i]);
    }
    expect_key_ok("sms", "provider", "\"mobizon\"", &cfg);
    expect_key_ok("dev", "code_sink", "\"console\"", &cfg);
    expect_key_error("database", "path", "\"\"", "must not be empty");
    expect_key_error("security", "data_key_file", "\"\"", "must not be empty");
    expect_key_error("dialog", "consent_version", "\"\"", "must not be empty");
    expect_key_error("whatsapp", "phone_number_id", "\"+7701\"", "may hold only digits");
}

static void test_config_rule_telegram(void **state)
{
    (void)state;
    struct bot_config cfg;
    expect_error("[telegram]\nenabled = true\n",
                 "t.toml: telegram.token: required when telegram.enabled = true (set it in the "
                 "file or in TABELBOT_TELEGRAM_TOKEN)");
    expect_error("[telegram]\nenabled = true\ntoken = \"1:a\"\n",
                 "t.toml: telegram.secret_token: required when telegram.mode = \"webhook\" (set "
                 "it in the file or in TABELBOT_TELEGRAM_SECRET_TOKEN)");
    expect_ok("[telegram]\nenabled = true\ntoken = \"1:a\"\nmode = \"polling\"\n", &cfg);
    assert_true(cfg.telegram.enabled);
    /* Without a file, errors name just the key. */
    char *const env[] = {"TABELBOT_TELEGRAM_ENABLED=true", NULL};
    struct bot_config c;
    char err[ERR_LEN];
    assert_int_equal(bot_config_load(NULL, env, &c, err, sizeof err), CORE_ECONFIG);
    assert_string_equal(err, "telegram.token: required when telegram.enabled = true (set it in "
                             "the file or in TABELBOT_TELEGRAM_TOKEN)");

    const char *charset = "must be 1..256 characters of A-Z a-z 0-9 _ -";
    expect_key_error("telegram", "secret_token", "\"has space\"", charset);
    expect_key_error("telegram", "secret_token", "\"dot.dot\"", charset);
    expect_key_error("telegram", "secret_token", "\"ünï\"", charset);
    expect_key_error("telegram", "token", "\"123/../x\"", "may hold only A-Z a-z 0-9 : _ -");
    char value[300];
    value[0] = '"';
    memset(value + 1, 'A', 256);
    snprintf(value + 257, sizeof value - 257, "\"");
    expect_key_ok("telegram", "secret_token", value, &cfg); /* exactly 256: Telegram's max */
    assert_int_equal(strlen(cfg.telegram.secret_token), 256);
    snprintf(value + 257, sizeof value - 257, "B\"");
    expect_key_error("telegram", "secret_token", value, "longer than 256 bytes");
}

static void test_config_rule_other_channels(void **state)
{
    (void)state;
    struct bot_config cfg;
    expect_error("[whatsapp]\nenabled = true\nphone_number_id = \"1\"\naccess_token = \"a\"\n"
                 "app_secret = \"b\"\n",
                 "t.toml: whatsapp.verify_token: required when whatsapp.enabled = true (set it "
                 "in the file or in TABELBOT_WHATSAPP_VERIFY_TOKEN)");
    char *const wa_env[] = {"TABELBOT_WHATSAPP_PHONE_NUMBER_ID=1",
                            "TABELBOT_WHATSAPP_ACCESS_TOKEN=a", "TABELBOT_WHATSAPP_APP_SECRET=b",
                            "TABELBOT_WHATSAPP_VERIFY_TOKEN=c", NULL};
    expect_ok_env("[whatsapp]\nenabled = true\n", wa_env, &cfg);
    assert_string_equal(cfg.whatsapp.verify_token, "c");

    expect_error("[sms]\nenabled = true\napi_base_url = \"http://x\"\naccount = \"a\"\n",
                 "t.toml: sms.password: required when sms.enabled = true (set it in the file or "
                 "in TABELBOT_SMS_PASSWORD)");
    expect_error("[sms]\nenabled = true\napi_base_url = \"http://x\"\naccount = \"a\"\n"
                 "password = \"p\"\n",
                 "t.toml: sms.from: required when sms.provider = \"twilio\" (set it in the file "
                 "or in TABELBOT_SMS_FROM)");
    expect_ok("[sms]\nenabled = true\nprovider = \"mobizon\"\napi_base_url = \"http://x\"\n"
              "account = \"a\"\npassword = \"p\"\n",
              &cfg);
    expect_error("[portal]\nmode = \"remote\"\n",
                 "t.toml: portal.api_base_url: required when portal.mode = \"remote\" (set it in "
                 "the file or in TABELBOT_PORTAL_API_BASE_URL)");
    expect_ok("[portal]\nmode = \"remote\"\napi_base_url = \"https://p.kz\"\n", &cfg);
}

/* ---- secrets, failure semantics, files ------------------------------------------------ */

static void test_config_secrets_stay_out_of_errors(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "[telegram]\ntoken = \"12/SECRETVALUE\"\n",
        "[telegram]\nsecret_token = \"SECRETVALUE!\"\n",
        "[telegram]\nsecret_token = SECRETVALUE\n",
        "[telegram]\ntoken = \"SECRETVALUE\\q\"\n",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct bot_config cfg;
        char err[ERR_LEN];
        assert_int_equal(load_text(cases[i], no_env, &cfg, err), CORE_ECONFIG);
        assert_null(strstr(err, "SECRETVALUE"));
        assert_non_null(strstr(err, "telegram."));
    }
    char *const env[] = {"TABELBOT_TELEGRAM_TOKEN=12/SECRETVALUE", NULL};
    struct bot_config cfg;
    char err[ERR_LEN];
    assert_int_equal(load_text(NULL, env, &cfg, err), CORE_ECONFIG);
    assert_string_equal(err, "env TABELBOT_TELEGRAM_TOKEN: may hold only A-Z a-z 0-9 : _ -");
}

static void test_config_failure_leaves_cfg_untouched(void **state)
{
    (void)state;
    struct bot_config cfg;
    struct bot_config before;
    memset(&cfg, 0x33, sizeof cfg);
    memcpy(&before, &cfg, sizeof cfg);
    char err[ERR_LEN];
    assert_int_equal(
        load_text("[server]\nlisten = \"127.0.0.1:1\"\nmax_connections = 0\n", no_env, &cfg, err),
        CORE_ECONFIG);
    assert_memory_equal(&cfg, &before, sizeof cfg);
    /* Small error buffers truncate, NULL ones are allowed. */
    char tiny[8];
    assert_int_equal(load_text("[x]\n", no_env, &cfg, NULL), CORE_ECONFIG);
    assert_int_equal(bot_config_load_text("t.toml", "[x]\n", 4, NULL, &cfg, tiny, sizeof tiny),
                     CORE_ECONFIG);
    assert_string_equal(tiny, "t.toml:");
    assert_int_equal(bot_config_load(NULL, NULL, NULL, err, sizeof err), CORE_EINVAL);
    /* A buffer without a name is called "config" in errors. */
    const char *text = "[server]\nlisten = \"x:1\"\n";
    assert_int_equal(bot_config_load_text(NULL, text, strlen(text), NULL, &cfg, err, sizeof err),
                     CORE_ECONFIG);
    assert_string_equal(err, "config:2:10: server.listen: must be host:port with an IPv4 "
                             "address, localhost or [IPv6] as host");
}

static void test_config_files(void **state)
{
    (void)state;
    struct bot_config cfg;
    char err[ERR_LEN];
    assert_int_equal(bot_config_load("no/such/tabelbot.toml", NULL, &cfg, err, sizeof err),
                     CORE_ECONFIG);
    assert_string_equal(err, "no/such/tabelbot.toml: cannot open: No such file or directory");

    char dir[] = "test_config_dir_XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(bot_config_load(dir, NULL, &cfg, err, sizeof err), CORE_ECONFIG);
    assert_non_null(strstr(err, ": cannot read: Is a directory"));
    char path[64];
    snprintf(path, sizeof path, "%s/big.toml", dir);
    char *big = malloc(BOT_TOML_MAX_INPUT + 1);
    assert_non_null(big);
    memset(big, '\n', BOT_TOML_MAX_INPUT + 1);
    write_file(path, big, BOT_TOML_MAX_INPUT + 1);
    assert_int_equal(bot_config_load(path, NULL, &cfg, err, sizeof err), CORE_ECONFIG);
    char want[128];
    snprintf(want, sizeof want, "%s: cannot read: larger than 1 MiB", path);
    assert_string_equal(err, want);
    write_file(path, "[server]\n\nlisten = 1\n", strlen("[server]\n\nlisten = 1\n"));
    assert_int_equal(bot_config_load(path, NULL, &cfg, err, sizeof err), CORE_ECONFIG);
    snprintf(want, sizeof want, "%s:3:10: server.listen: expected a string, got integer", path);
    assert_string_equal(err, want);
    /* CRLF files load the same. */
    const char *crlf = "[server]\r\nlisten = \"127.0.0.1:5\"\r\n";
    write_file(path, crlf, strlen(crlf));
    assert_int_equal(bot_config_load(path, NULL, &cfg, err, sizeof err), CORE_OK);
    assert_string_equal(cfg.server.listen, "127.0.0.1:5");
    free(big);
    unlink(path);
    rmdir(dir);
}

static void test_config_wipe(void **state)
{
    (void)state;
    struct bot_config cfg;
    expect_ok(full_file, &cfg);
    struct bot_config before = cfg;
    bot_config_wipe(&cfg);
    static const char *const secrets[] = {"telegram.token",
                                          "telegram.secret_token",
                                          "whatsapp.access_token",
                                          "whatsapp.app_secret",
                                          "whatsapp.verify_token",
                                          "sms.password",
                                          NULL};
    size_t n = 0;
    const struct bot_cfg_key *schema = bot_config_schema(&n);
    size_t wiped = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *f = field_of(&cfg, &schema[i]);
        if (listed(secrets, &schema[i])) {
            assert_true(schema[i].secret);
            for (size_t b = 0; b < schema[i].size; b++) {
                assert_int_equal(f[b], 0);
            }
            wiped++;
        } else {
            assert_false(schema[i].secret);
            assert_true(field_equal(&schema[i], &cfg, &before));
        }
    }
    assert_int_equal(wiped, 6);
    bot_config_wipe(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults_without_file),
        cmocka_unit_test(test_config_full_file),
        cmocka_unit_test(test_config_example_file),
        cmocka_unit_test(test_config_docs_cover_every_key),
        cmocka_unit_test(test_config_env_overrides_each_type),
        cmocka_unit_test(test_config_env_errors),
        cmocka_unit_test(test_config_env_names_unique),
        cmocka_unit_test(test_config_unknown_names),
        cmocka_unit_test(test_config_toml_errors_are_reported),
        cmocka_unit_test(test_config_wrong_types),
        cmocka_unit_test(test_config_ranges),
        cmocka_unit_test(test_config_string_lengths),
        cmocka_unit_test(test_config_rule_listen),
        cmocka_unit_test(test_config_rule_urls),
        cmocka_unit_test(test_config_rule_time),
        cmocka_unit_test(test_config_rule_enums),
        cmocka_unit_test(test_config_rule_telegram),
        cmocka_unit_test(test_config_rule_other_channels),
        cmocka_unit_test(test_config_secrets_stay_out_of_errors),
        cmocka_unit_test(test_config_failure_leaves_cfg_untouched),
        cmocka_unit_test(test_config_files),
        cmocka_unit_test(test_config_wipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
