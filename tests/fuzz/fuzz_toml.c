/* SPDX-License-Identifier: MIT
 * Fuzz target for the TOML reader and the configuration loader on top of it. Beyond "no crash,
 * no leak, no UB" it checks the contracts: a failure leaves no tree and says where; a success
 * gives a tree whose every table and key is found again by name, whose strings are as long as
 * they say, whose arrays hold only scalars; and a config error always names the file. */
#include "bot/config.h"
#include "bot/config_int.h"
#include "bot/toml.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static size_t count_lines(const uint8_t *data, size_t size)
{
    size_t lines = 1;
    for (size_t i = 0; i < size; i++) {
        lines += data[i] == '\n';
    }
    return lines;
}

static void check_value(const struct bot_toml_value *v, bool in_array, size_t max_line)
{
    CHECK(v->pos.line >= 1 && v->pos.line <= max_line && v->pos.col >= 1);
    switch (v->type) {
    case BOT_TOML_STRING:
        CHECK(v->u.str.ptr != NULL && v->u.str.ptr[v->u.str.len] == '\0');
        CHECK(bot_toml_utf8_valid(v->u.str.ptr, v->u.str.len));
        break;
    case BOT_TOML_INTEGER:
    case BOT_TOML_BOOLEAN:
        break;
    case BOT_TOML_ARRAY:
        CHECK(!in_array);
        CHECK(v->u.array.len == 0 || v->u.array.items != NULL);
        for (size_t i = 0; i < v->u.array.len; i++) {
            check_value(&v->u.array.items[i], true, max_line);
        }
        break;
    default:
        CHECK(0);
    }
}

static void check_tree(const struct bot_toml_doc *doc, size_t max_line)
{
    CHECK(doc->n_tables >= 1 && doc->tables[0].name[0] == '\0');
    for (size_t t = 0; t < doc->n_tables; t++) {
        const struct bot_toml_table *table = &doc->tables[t];
        CHECK(bot_toml_table_find(doc, table->name) == table);
        CHECK(strlen(table->name) <= BOT_TOML_MAX_KEY);
        for (size_t k = 0; k < table->n_keys; k++) {
            const struct bot_toml_keyval *kv = &table->keys[k];
            CHECK(kv->key[0] != '\0' && strlen(kv->key) <= BOT_TOML_MAX_KEY);
            CHECK(bot_toml_key_find(table, kv->key) == kv);
            CHECK(kv->pos.line >= 1 && kv->pos.line <= max_line);
            check_value(&kv->value, false, max_line);
        }
    }
}

static void fuzz_toml(const uint8_t *data, size_t size)
{
    struct bot_toml_doc *doc = (struct bot_toml_doc *)&doc;
    struct bot_toml_error err;
    int rc = bot_toml_parse((const char *)data, size, &doc, &err);
    size_t max_line = count_lines(data, size);
    if (rc == CORE_OK) {
        CHECK(doc != NULL);
        check_tree(doc, max_line);
        bot_toml_free(doc);
        return;
    }
    CHECK(doc == NULL);
    CHECK(rc == CORE_EBADINPUT || rc == CORE_ETOOBIG || rc == CORE_ENOMEM);
    CHECK(err.msg[0] != '\0');
    if (rc == CORE_EBADINPUT) {
        CHECK(err.pos.line >= 1 && err.pos.line <= max_line && err.pos.col >= 1);
    }
}

static void fuzz_config(const uint8_t *data, size_t size)
{
    struct bot_config cfg;
    char err[256];
    int rc =
        bot_config_load_text("fuzz.toml", (const char *)data, size, NULL, &cfg, err, sizeof err);
    if (rc == CORE_OK) {
        CHECK(cfg.time.window_first_day <= cfg.time.window_last_day);
        CHECK(cfg.server.max_body_bytes >= 1024);
        bot_config_wipe(&cfg);
        return;
    }
    CHECK(rc == CORE_ECONFIG || rc == CORE_ENOMEM);
    CHECK(rc != CORE_ECONFIG || strncmp(err, "fuzz.toml", 9) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_toml(data, size);
    fuzz_config(data, size);
    return 0;
}
