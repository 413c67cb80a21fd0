/* SPDX-License-Identifier: MIT
 * Tests of the strict TOML subset reader: every value type, escapes, UTF-8, CRLF, comments,
 * empty and huge input, and every error path with its line:column, key and message. */
#include "bot/toml.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct bot_toml_doc *parse_ok(const char *text, size_t len)
{
    struct bot_toml_doc *doc = NULL;
    struct bot_toml_error err;
    int rc = bot_toml_parse(text, len, &doc, &err);
    if (rc != CORE_OK) {
        print_error("unexpected error %d at %zu:%zu key=%s: %s\n", rc, err.pos.line, err.pos.col,
                    err.key, err.msg);
        fail();
    }
    assert_non_null(doc);
    return doc;
}

static const struct bot_toml_value *
get(const struct bot_toml_doc *doc, const char *table, const char *key)
{
    const struct bot_toml_table *t = bot_toml_table_find(doc, table);
    assert_non_null(t);
    const struct bot_toml_keyval *kv = bot_toml_key_find(t, key);
    assert_non_null(kv);
    return &kv->value;
}

static void assert_str(const struct bot_toml_value *v, const char *want, size_t want_len)
{
    assert_int_equal(v->type, BOT_TOML_STRING);
    assert_int_equal(v->u.str.len, want_len);
    assert_memory_equal(v->u.str.ptr, want, want_len);
    assert_int_equal(v->u.str.ptr[want_len], '\0');
}

static void test_toml_every_value_type(void **state)
{
    (void)state;
    const char *text = "# top comment\n"
                       "root = 1\n"
                       "[types]\n"
                       "s = \"hello\"   # trailing comment\n"
                       "lit = 'C:\\path\\n'\n"
                       "i = 42\n"
                       "neg = -17\n"
                       "pos = +5\n"
                       "big = 1_000_000\n"
                       "zero = 0\n"
                       "max = 9223372036854775807\n"
                       "min = -9223372036854775808\n"
                       "t = true\n"
                       "f = false\n"
                       "arr = [ 1, \"two\", true ]\n"
                       "empty_arr = []\n"
                       "empty_s = \"\"\n"
                       "Key_with-dash9 = 'x'\n"
                       "true = 1\n";
    struct bot_toml_doc *doc = parse_ok(text, strlen(text));
    assert_int_equal(doc->n_tables, 2);
    assert_int_equal(get(doc, "", "root")->u.integer, 1);
    assert_str(get(doc, "types", "s"), "hello", 5);
    assert_str(get(doc, "types", "lit"), "C:\\path\\n", 9);
    assert_int_equal(get(doc, "types", "i")->u.integer, 42);
    assert_int_equal(get(doc, "types", "neg")->u.integer, -17);
    assert_int_equal(get(doc, "types", "pos")->u.integer, 5);
    assert_int_equal(get(doc, "types", "big")->u.integer, 1000000);
    assert_int_equal(get(doc, "types", "zero")->u.integer, 0);
    assert_true(get(doc, "types", "max")->u.integer == INT64_MAX);
    assert_true(get(doc, "types", "min")->u.integer == INT64_MIN);
    assert_int_equal(get(doc, "types", "t")->type, BOT_TOML_BOOLEAN);
    assert_true(get(doc, "types", "t")->u.boolean);
    assert_false(get(doc, "types", "f")->u.boolean);
    const struct bot_toml_value *arr = get(doc, "types", "arr");
    assert_int_equal(arr->type, BOT_TOML_ARRAY);
    assert_int_equal(arr->u.array.len, 3);
    assert_int_equal(arr->u.array.items[0].u.integer, 1);
    assert_str(&arr->u.array.items[1], "two", 3);
    assert_true(arr->u.array.items[2].u.boolean);
    assert_int_equal(arr->u.array.items[1].pos.line, 15);
    assert_int_equal(arr->u.array.items[1].pos.col, 12);
    assert_int_equal(get(doc, "types", "empty_arr")->u.array.len, 0);
    assert_str(get(doc, "types", "empty_s"), "", 0);
    assert_str(get(doc, "types", "Key_with-dash9"), "x", 1);
    assert_int_equal(get(doc, "types", "true")->u.integer, 1);
    /* Positions of keys and values, 1-based. */
    const struct bot_toml_keyval *kv = bot_toml_key_find(bot_toml_table_find(doc, "types"), "i");
    assert_int_equal(kv->pos.line, 6);
    assert_int_equal(kv->pos.col, 1);
    assert_int_equal(kv->value.pos.col, 5);
    assert_int_equal(bot_toml_table_find(doc, "types")->pos.line, 3);
    assert_int_equal(bot_toml_table_find(doc, "types")->pos.col, 2);
    /* Lookups of what is not there. */
    assert_null(bot_toml_table_find(doc, "nope"));
    assert_null(bot_toml_key_find(bot_toml_table_find(doc, "types"), "nope"));
    assert_null(bot_toml_key_find(bot_toml_table_find(doc, ""), "s"));
    bot_toml_free(doc);
}

static void test_toml_escapes_and_utf8(void **state)
{
    (void)state;
    const char *text = "a = \"\\b\\t\\n\\f\\r\\\"\\\\\"\n"
                       "b = \"\\u00e9\\u0416\\U0001F600\"\n"
                       "c = \"\\u0000x\"\n"
                       "d = \"Айгерім\tқатысу\"\n"
                       "e = 'no \\escapes \"here\"'\n"
                       "f = \"\\uFFFD\\U0010FFFF\"\n";
    struct bot_toml_doc *doc = parse_ok(text, strlen(text));
    assert_str(get(doc, "", "a"), "\b\t\n\f\r\"\\", 7);
    assert_str(get(doc, "", "b"), "\xc3\xa9\xd0\x96\xf0\x9f\x98\x80", 8);
    assert_str(get(doc, "", "c"), "\0x", 2);
    assert_str(get(doc, "", "d"), "Айгерім\tқатысу", strlen("Айгерім\tқатысу"));
    assert_str(get(doc, "", "e"), "no \\escapes \"here\"", 18);
    assert_str(get(doc, "", "f"), "\xef\xbf\xbd\xf4\x8f\xbf\xbf", 7);
    bot_toml_free(doc);
}

static void test_toml_crlf_comments_bom_and_multiline_arrays(void **state)
{
    (void)state;
    const char *text = "\xEF\xBB\xBF# comment with ünïcode and\ttab\r\n"
                       "\r\n"
                       "  [ sec ]  # header comment\r\n"
                       "\tlist = [  # opening comment\r\n"
                       "    \"a\",\r\n"
                       "    # between items\r\n"
                       "    'b' ,\r\n"
                       "\r\n"
                       "]\r\n"
                       "n = 7#tight comment\r\n"
                       "last = 1";
    struct bot_toml_doc *doc = parse_ok(text, strlen(text));
    const struct bot_toml_value *list = get(doc, "sec", "list");
    assert_int_equal(list->u.array.len, 2);
    assert_str(&list->u.array.items[0], "a", 1);
    assert_str(&list->u.array.items[1], "b", 1);
    assert_int_equal(list->u.array.items[1].pos.line, 7);
    assert_int_equal(list->u.array.items[1].pos.col, 5);
    assert_int_equal(get(doc, "sec", "n")->u.integer, 7);
    assert_int_equal(get(doc, "sec", "last")->u.integer, 1);
    /* The BOM is not a character: the header sits at line 3 col 5 as an editor shows it. */
    assert_int_equal(bot_toml_table_find(doc, "sec")->pos.line, 3);
    assert_int_equal(bot_toml_table_find(doc, "sec")->pos.col, 5);
    bot_toml_free(doc);
}

static void test_toml_empty_and_comment_only(void **state)
{
    (void)state;
    const char *inputs[] = {"", "\n\n", "# only a comment", "  \t\n# x\r\n   \n"};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        struct bot_toml_doc *doc = parse_ok(inputs[i], strlen(inputs[i]));
        assert_int_equal(doc->n_tables, 1);
        assert_int_equal(doc->tables[0].n_keys, 0);
        bot_toml_free(doc);
    }
    struct bot_toml_doc *doc = parse_ok(NULL, 0);
    assert_int_equal(doc->n_tables, 1);
    bot_toml_free(doc);
    bot_toml_free(NULL);
}

#define ESC "invalid escape (use \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)"

struct err_case {
    const char *in;
    size_t len; /* 0: strlen(in) */
    size_t line;
    size_t col;
    const char *key;
    const char *msg;
};

static const struct err_case err_cases[] = {
    {"a = 1\nb = 2\na = 3\n", 0, 3, 1, "a", "duplicate key (first set on line 1)"},
    {"[s]\nx = 1\n[t]\n[s]\n", 0, 4, 2, "s", "duplicate table (first defined on line 1)"},
    {"[s]\nx = 1\nx = 2\n", 0, 3, 1, "s.x", "duplicate key (first set on line 2)"},
    {"s = 1\n[s]\n", 0, 2, 2, "s", "name already used by a key on line 1"},
    {"[a.b]\n", 0, 1, 3, "a", "dotted table names are not supported"},
    {"[[a]]\n", 0, 1, 2, "", "arrays of tables ([[...]]) are not supported"},
    {"[]\n", 0, 1, 2, "", "expected a table name (letters, digits, '_', '-')"},
    {"[\"a\"]\n", 0, 1, 2, "", "quoted table names are not supported (use a bare table name)"},
    {"[a\n", 0, 1, 3, "a", "expected ']' after the table name"},
    {"[a] x\n", 0, 1, 5, "a", "expected the end of the line after the table header"},
    {"a.b = 1\n", 0, 1, 2, "a", "dotted keys are not supported"},
    {"\"a\" = 1\n", 0, 1, 1, "", "quoted keys are not supported (use a bare key)"},
    {"a 1\n", 0, 1, 3, "a", "expected '=' after the key"},
    {"a =\n", 0, 1, 4, "a", "expected a value"},
    {"a = ", 0, 1, 5, "a", "expected a value"},
    {"a = # c\n", 0, 1, 5, "a", "expected a value"},
    {"= 1\n", 0, 1, 1, "", "expected a key, a [table] header or a comment"},
    {"a = \"\"\"x\"\"\"\n", 0, 1, 5, "a", "multi-line strings are not supported"},
    {"a = '''x'''\n", 0, 1, 5, "a", "multi-line strings are not supported"},
    {"a = 1.5\n", 0, 1, 5, "a", "floats are not supported"},
    {"a = 1e3\n", 0, 1, 5, "a", "floats are not supported"},
    {"a = -inf\n", 0, 1, 5, "a", "floats are not supported"},
    {"a = nan\n", 0, 1, 5, "a", "floats are not supported"},
    {"a = 1979-05-27\n", 0, 1, 5, "a", "dates and times are not supported"},
    {"a = 1979-05-27T07:32:00Z\n", 0, 1, 5, "a", "dates and times are not supported"},
    {"a = 07:32:00\n", 0, 1, 5, "a", "dates and times are not supported"},
    {"a = 0x1F\n", 0, 1, 5, "a", "only decimal integers are supported (no 0x, 0o, 0b)"},
    {"a = 0o17\n", 0, 1, 5, "a", "only decimal integers are supported (no 0x, 0o, 0b)"},
    {"a = { b = 1 }\n", 0, 1, 5, "a", "inline tables are not supported"},
    {"a = [[1]]\n", 0, 1, 6, "a", "nested arrays are not supported"},
    {"a = [1, {}]\n", 0, 1, 9, "a", "inline tables are not supported"},
    {"a = [1, 2\n", 0, 1, 5, "a", "unterminated array (no closing ']')"},
    {"a = [1,\n", 0, 1, 5, "a", "unterminated array (no closing ']')"},
    {"a = [1 2]\n", 0, 1, 8, "a", "expected ',' or ']' in the array"},
    {"a = [,]\n", 0, 1, 6, "a", "expected a value"},
    {"a = [1] 2\n", 0, 1, 9, "a", "expected the end of the line after the value"},
    {"a = 012\n", 0, 1, 5, "a", "leading zeros are not allowed"},
    {"a = -00\n", 0, 1, 5, "a", "leading zeros are not allowed"},
    {"a = 1__2\n", 0, 1, 5, "a", "'_' must sit between two digits"},
    {"a = 12_\n", 0, 1, 5, "a", "'_' must sit between two digits"},
    {"a = _12\n", 0, 1, 5, "a",
     "expected a value (strings need quotes; booleans are true or false)"},
    {"a = -\n", 0, 1, 5, "a", "expected a decimal integer"},
    {"a = 9223372036854775808\n", 0, 1, 5, "a", "integer out of range (64-bit signed)"},
    {"a = -9223372036854775809\n", 0, 1, 5, "a", "integer out of range (64-bit signed)"},
    {"a = hello\n", 0, 1, 5, "a",
     "expected a value (strings need quotes; booleans are true or false)"},
    {"a = True\n", 0, 1, 5, "a",
     "expected a value (strings need quotes; booleans are true or false)"},
    {"a = 1 2\n", 0, 1, 7, "a", "expected the end of the line after the value"},
    {"a = \"abc\nb = 1\n", 0, 1, 5, "a", "unterminated string (strings end on their line)"},
    {"a = 'abc\n", 0, 1, 5, "a", "unterminated string (strings end on their line)"},
    {"a = \"abc\\\"\n", 0, 1, 5, "a", "unterminated string (strings end on their line)"},
    {"a = \"x\\qy\"\n", 0, 1, 7, "a", ESC},
    {"a = \"\\e\"\n", 0, 1, 6, "a", ESC},
    {"a = \"\\x41\"\n", 0, 1, 6, "a", ESC},
    {"a = \"\\ \"\n", 0, 1, 6, "a", ESC},
    {"a = \"\\u12\"\n", 0, 1, 6, "a", "\\u needs exactly 4 hex digits"},
    {"a = \"\\u12G4\"\n", 0, 1, 6, "a", "\\u needs exactly 4 hex digits"},
    {"a = \"\\U0001F60\"\n", 0, 1, 6, "a", "\\U needs exactly 8 hex digits"},
    {"a = \"\\uD800\"\n", 0, 1, 6, "a",
     "escape is not a Unicode scalar value (surrogate or above U+10FFFF)"},
    {"a = \"\\uDFFF\"\n", 0, 1, 6, "a",
     "escape is not a Unicode scalar value (surrogate or above U+10FFFF)"},
    {"a = \"\\U00110000\"\n", 0, 1, 6, "a",
     "escape is not a Unicode scalar value (surrogate or above U+10FFFF)"},
    {"a = \"x\xff\"\n", 0, 1, 7, "", "invalid UTF-8"},
    {"a = \"\xc0\xaf\"\n", 0, 1, 6, "", "invalid UTF-8"},
    {"a = \"\xed\xa0\x80\"\n", 0, 1, 6, "", "invalid UTF-8"},
    {"a = \"\xf4\x90\x80\x80\"\n", 0, 1, 6, "", "invalid UTF-8"},
    {"a = \"\xe2\x82\"\n", 0, 1, 6, "", "invalid UTF-8"},
    {"# \xe2\x82", 0, 1, 3, "", "invalid UTF-8"},
    {"a = \"\x01\"\n", 0, 1, 6, "",
     "control character not allowed (write it as an escape in a basic string)"},
    {"a = 1 # \x7f\n", 0, 1, 9, "",
     "control character not allowed (write it as an escape in a basic string)"},
    {"a = 1\0", 6, 1, 6, "",
     "control character not allowed (write it as an escape in a basic string)"},
    {"a = 1\rb = 2\n", 0, 1, 6, "", "carriage return not followed by a line feed"},
    {"a = 1\r\nb = ?\r\n", 0, 2, 5, "b", "expected a value"},
    /* Columns count characters, not bytes: ж is two bytes but one column. */
    {"a = \"жж\" x\n", 0, 1, 10, "a", "expected the end of the line after the value"},
    {"# ж\n[s]\nk = 'қ' 'x'\n", 0, 3, 9, "s.k", "expected the end of the line after the value"},
    {"[s]\na = x\n", 0, 2, 5, "s.a",
     "expected a value (strings need quotes; booleans are true or false)"},
};

static void test_toml_error_paths(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
        const struct err_case *c = &err_cases[i];
        size_t len = c->len ? c->len : strlen(c->in);
        struct bot_toml_doc *doc = (struct bot_toml_doc *)&doc; /* must be reset to NULL */
        struct bot_toml_error err;
        int rc = bot_toml_parse(c->in, len, &doc, &err);
        if (rc != CORE_EBADINPUT || doc != NULL || err.pos.line != c->line ||
            err.pos.col != c->col || strcmp(err.key, c->key) != 0 || strcmp(err.msg, c->msg) != 0) {
            print_error("case %zu (%s): rc=%d at %zu:%zu key='%s' msg='%s'\n", i, c->in, rc,
                        err.pos.line, err.pos.col, err.key, err.msg);
            fail();
        }
    }
}

static void test_toml_long_key(void **state)
{
    (void)state;
    char text[300];
    memset(text, 'k', 129);
    snprintf(text + 129, sizeof text - 129, " = 1\n");
    struct bot_toml_doc *doc = NULL;
    struct bot_toml_error err;
    assert_int_equal(bot_toml_parse(text, strlen(text), &doc, &err), CORE_EBADINPUT);
    assert_int_equal(err.pos.line, 1);
    assert_int_equal(err.pos.col, 1);
    assert_string_equal(err.msg, "key longer than 128 bytes");
    memmove(text, text + 1, strlen(text)); /* 128 k's: accepted */
    doc = parse_ok(text, strlen(text));
    bot_toml_free(doc);
}

static void test_toml_too_big(void **state)
{
    (void)state;
    size_t len = BOT_TOML_MAX_INPUT + 1;
    char *text = malloc(len);
    assert_non_null(text);
    memset(text, '\n', len);
    struct bot_toml_doc *doc = NULL;
    struct bot_toml_error err;
    assert_int_equal(bot_toml_parse(text, len, &doc, &err), CORE_ETOOBIG);
    assert_null(doc);
    assert_int_equal(err.pos.line, 0);
    assert_string_equal(err.msg, "input larger than 1 MiB");
    /* Exactly the cap is fine. */
    doc = parse_ok(text, len - 1);
    bot_toml_free(doc);
    free(text);
}

/* A 1 MiB file of distinct keys, and one of one long array: both parse (the hash index keeps
 * the duplicate checks linear) and a duplicate at the very end is still found. */
static void test_toml_huge_input(void **state)
{
    (void)state;
    size_t cap = BOT_TOML_MAX_INPUT;
    char *text = malloc(cap + 1);
    assert_non_null(text);
    size_t len = 0;
    size_t n = 0;
    len += (size_t)snprintf(text, cap, "[big]\n");
    while (len + 32 < cap) {
        len += (size_t)snprintf(text + len, cap - len, "k%zu = %zu\n", n, n);
        n++;
    }
    struct bot_toml_doc *doc = parse_ok(text, len);
    const struct bot_toml_table *t = bot_toml_table_find(doc, "big");
    assert_int_equal(t->n_keys, n);
    char key[32];
    snprintf(key, sizeof key, "k%zu", n / 2);
    assert_int_equal(bot_toml_key_find(t, key)->value.u.integer, (int64_t)(n / 2));
    bot_toml_free(doc);

    len += (size_t)snprintf(text + len, cap - len, "k0 = 1\n");
    struct bot_toml_error err;
    assert_int_equal(bot_toml_parse(text, len, &doc, &err), CORE_EBADINPUT);
    assert_int_equal(err.pos.line, n + 2);
    assert_string_equal(err.msg, "duplicate key (first set on line 2)");

    len = (size_t)snprintf(text, cap, "a = [");
    size_t items = 0;
    while (len + 8 < cap) {
        len += (size_t)snprintf(text + len, cap - len, "%zu,", items++ % 10);
    }
    text[len++] = ']';
    doc = parse_ok(text, len);
    assert_int_equal(get(doc, "", "a")->u.array.len, items);
    bot_toml_free(doc);
    free(text);
}

static void test_toml_integer_parse(void **state)
{
    (void)state;
    int64_t v = 0;
    const char *why = NULL;
    assert_int_equal(bot_toml_integer_parse("1_234", 5, &v, &why), CORE_OK);
    assert_int_equal(v, 1234);
    assert_int_equal(bot_toml_integer_parse("-0", 2, &v, &why), CORE_OK);
    assert_int_equal(v, 0);
    assert_int_equal(bot_toml_integer_parse("", 0, &v, &why), CORE_EBADINPUT);
    assert_string_equal(why, "expected a decimal integer");
    assert_int_equal(bot_toml_integer_parse("12a", 3, &v, &why), CORE_EBADINPUT);
    assert_string_equal(why, "expected a decimal integer");
    assert_int_equal(bot_toml_integer_parse(" 1", 2, &v, &why), CORE_EBADINPUT);
    /* Only len bytes are read. */
    assert_int_equal(bot_toml_integer_parse("129", 2, &v, &why), CORE_OK);
    assert_int_equal(v, 12);
}

static void test_toml_utf8_and_names(void **state)
{
    (void)state;
    assert_true(bot_toml_utf8_valid("", 0));
    assert_true(bot_toml_utf8_valid("қ😀", strlen("қ😀")));
    assert_false(bot_toml_utf8_valid("\xe0\x80\x80", 3)); /* overlong */
    assert_false(bot_toml_utf8_valid("\xf0\x9f\x98", 3)); /* truncated */
    assert_false(bot_toml_utf8_valid("\x80", 1));
    assert_string_equal(bot_toml_type_name(BOT_TOML_STRING), "string");
    assert_string_equal(bot_toml_type_name(BOT_TOML_INTEGER), "integer");
    assert_string_equal(bot_toml_type_name(BOT_TOML_BOOLEAN), "boolean");
    assert_string_equal(bot_toml_type_name(BOT_TOML_ARRAY), "array");
}

static void test_toml_bad_arguments(void **state)
{
    (void)state;
    struct bot_toml_doc *doc = NULL;
    assert_int_equal(bot_toml_parse(NULL, 3, &doc, NULL), CORE_EINVAL);
    assert_int_equal(bot_toml_parse("a = 1", 5, NULL, NULL), CORE_EINVAL);
    /* err may be NULL. */
    assert_int_equal(bot_toml_parse("a = ", 4, &doc, NULL), CORE_EBADINPUT);
    assert_null(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_toml_every_value_type),
        cmocka_unit_test(test_toml_escapes_and_utf8),
        cmocka_unit_test(test_toml_crlf_comments_bom_and_multiline_arrays),
        cmocka_unit_test(test_toml_empty_and_comment_only),
        cmocka_unit_test(test_toml_error_paths),
        cmocka_unit_test(test_toml_long_key),
        cmocka_unit_test(test_toml_too_big),
        cmocka_unit_test(test_toml_huge_input),
        cmocka_unit_test(test_toml_integer_parse),
        cmocka_unit_test(test_toml_utf8_and_names),
        cmocka_unit_test(test_toml_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
