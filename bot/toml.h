/* SPDX-License-Identifier: MIT
 * A small strict TOML reader for the configuration file (Debian 12 ships no C TOML library).
 * The subset: comments, [table] headers, `key = value` with bare keys, basic strings (all TOML
 * escapes), literal strings, decimal integers, booleans and single-level arrays of those
 * (multi-line, trailing comma allowed). Everything else TOML has (multi-line strings, floats,
 * dates, inline tables, arrays of tables, dotted or quoted keys, nested arrays) is refused with
 * a clear "not supported" error. Duplicate keys and tables are errors.
 * Errors carry a 1-based line and a 1-based column counted in characters (Unicode scalar
 * values, a tab is one character), plus the key or table they concern. The parser uses no
 * recursion; the input is capped at BOT_TOML_MAX_INPUT bytes. String values are wiped before
 * they are freed (the config carries secrets). Nothing here logs or does I/O. */
#ifndef BOT_TOML_H
#define BOT_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define BOT_TOML_MAX_INPUT (1024 * 1024) /* bytes */
#define BOT_TOML_MAX_KEY   128           /* bytes in a key or table name */

enum bot_toml_type {
    BOT_TOML_STRING = 1,
    BOT_TOML_INTEGER,
    BOT_TOML_BOOLEAN,
    BOT_TOML_ARRAY,
};

struct bot_toml_pos {
    size_t line; /* 1-based */
    size_t col;  /* 1-based, in characters */
};

struct bot_toml_value {
    enum bot_toml_type type;
    struct bot_toml_pos pos; /* where the value starts */
    union {
        struct {
            char *ptr; /* NUL-terminated; may hold NUL bytes (\u0000): trust len */
            size_t len;
        } str;
        int64_t integer;
        bool boolean;
        struct {
            struct bot_toml_value *items; /* scalars only: arrays do not nest */
            size_t len;
        } array;
    } u;
};

struct bot_toml_keyval {
    char *key;               /* bare key, NUL-terminated */
    struct bot_toml_pos pos; /* where the key starts */
    struct bot_toml_value value;
};

struct bot_toml_index; /* private hash index of names */

struct bot_toml_table {
    char *name;              /* "" for the root table (keys before any header) */
    struct bot_toml_pos pos; /* where the name starts in its header; 1:1 for the root */
    struct bot_toml_keyval *keys;
    size_t n_keys;
    size_t cap_keys;
    struct bot_toml_index *index;
};

/** A parsed document: tables[0] is the root table, the others follow in file order. */
struct bot_toml_doc {
    struct bot_toml_table *tables;
    size_t n_tables;
    size_t cap_tables;
    struct bot_toml_index *index;
};

struct bot_toml_error {
    struct bot_toml_pos pos; /* 0:0 when the error is not tied to a place (out of memory) */
    char key[BOT_TOML_MAX_KEY * 2 + 2]; /* "table.key", "key", "table" or "" */
    char msg[128];
};

/** Parses len bytes of text (NUL bytes in it are errors). On success *out is an owned tree:
 * release it with bot_toml_free. On failure *out is NULL and err (if not NULL) says where and
 * why. Returns 0, CORE_EBADINPUT (not valid in the subset), CORE_ETOOBIG (over the cap),
 * CORE_ENOMEM or CORE_EINVAL (NULL text with len > 0, NULL out). */
CORE_NODISCARD int
bot_toml_parse(const char *text, size_t len, struct bot_toml_doc **out, struct bot_toml_error *err);

/** Wipes every string value and frees the tree. NULL is a no-op. */
void bot_toml_free(struct bot_toml_doc *doc);

/** The table named `name` ("" for the root) or NULL; borrowed from doc. */
const struct bot_toml_table *bot_toml_table_find(const struct bot_toml_doc *doc, const char *name);

/** The key/value named `key` in table or NULL; borrowed from the tree. */
const struct bot_toml_keyval *bot_toml_key_find(const struct bot_toml_table *table,
                                                const char *key);

/** "string", "integer", "boolean" or "array"; static storage. */
const char *bot_toml_type_name(enum bot_toml_type type);

/** Parses a TOML decimal integer (optional sign, '_' only between digits, no leading zeros)
 * from exactly len bytes. On failure returns CORE_EBADINPUT and sets *why (static text). */
CORE_NODISCARD int
bot_toml_integer_parse(const char *text, size_t len, int64_t *out, const char **why);

/** True when bytes[0..len) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool bot_toml_utf8_valid(const char *bytes, size_t len);

#endif
