/* SPDX-License-Identifier: MIT
 * The strict TOML subset reader (see toml.h for the subset). A first pass checks the bytes
 * (UTF-8, no raw control characters, CR only before LF) so the grammar pass can assume clean
 * text. The grammar pass is a loop over lines with no recursion: arrays hold scalars only.
 * Names are indexed in small open-addressing hash tables so duplicate checks and lookups stay
 * linear in the input even for a 1 MiB file of keys. */
#include "bot/toml.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct index_slot {
    const char *name; /* borrowed from the table or key it names; NULL = empty slot */
    size_t idx;
};

struct bot_toml_index {
    size_t cap; /* power of two */
    size_t n;
    struct index_slot slots[];
};

struct cursor {
    const char *p;
    const char *end;
    struct bot_toml_pos pos;
};

struct parser {
    struct cursor c;
    struct bot_toml_doc *doc;
    size_t table; /* index of the table keys go into */
    struct bot_toml_error *err;
    char key[sizeof((struct bot_toml_error *)0)->key]; /* what errors name */
};

/* ---- names index ---------------------------------------------------------------------- */

static uint64_t name_hash(const char *name)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
        h = (h ^ *s) * 1099511628211ULL;
    }
    return h;
}

static size_t index_find(const struct bot_toml_index *index, const char *name)
{
    if (!index) {
        return SIZE_MAX;
    }
    size_t mask = index->cap - 1;
    for (size_t i = (size_t)name_hash(name) & mask;; i = (i + 1) & mask) {
        if (!index->slots[i].name) {
            return SIZE_MAX;
        }
        if (strcmp(index->slots[i].name, name) == 0) {
            return index->slots[i].idx;
        }
    }
}

static void index_put(struct bot_toml_index *index, const char *name, size_t idx)
{
    size_t mask = index->cap - 1;
    size_t i = (size_t)name_hash(name) & mask;
    while (index->slots[i].name) {
        i = (i + 1) & mask;
    }
    index->slots[i].name = name;
    index->slots[i].idx = idx;
    index->n++;
}

/* Adds name -> idx, growing (and rehashing) so the table stays at most half full. */
static int index_add(struct bot_toml_index **indexp, const char *name, size_t idx)
{
    struct bot_toml_index *old = *indexp;
    if (!old || (old->n + 1) * 2 > old->cap) {
        size_t cap = old ? old->cap * 2 : 16;
        struct bot_toml_index *grown = calloc(1, sizeof *grown + cap * sizeof grown->slots[0]);
        if (!grown) {
            return CORE_ENOMEM;
        }
        grown->cap = cap;
        for (size_t i = 0; old && i < old->cap; i++) {
            if (old->slots[i].name) {
                index_put(grown, old->slots[i].name, old->slots[i].idx);
            }
        }
        free(old);
        *indexp = grown;
    }
    index_put(*indexp, name, idx);
    return CORE_OK;
}

/* ---- tree ownership ------------------------------------------------------------------- */

static void value_cleanup(struct bot_toml_value *v)
{
    if (v->type == BOT_TOML_STRING && v->u.str.ptr) {
        sodium_memzero(v->u.str.ptr, v->u.str.len);
        free(v->u.str.ptr);
    } else if (v->type == BOT_TOML_ARRAY) {
        for (size_t i = 0; i < v->u.array.len; i++) {
            value_cleanup(&v->u.array.items[i]);
        }
        free(v->u.array.items);
    }
    memset(v, 0, sizeof *v);
}

static void table_cleanup(struct bot_toml_table *t)
{
    for (size_t i = 0; i < t->n_keys; i++) {
        value_cleanup(&t->keys[i].value);
        free(t->keys[i].key);
    }
    free(t->keys);
    free(t->index);
    free(t->name);
}

void bot_toml_free(struct bot_toml_doc *doc)
{
    if (!doc) {
        return;
    }
    for (size_t i = 0; i < doc->n_tables; i++) {
        table_cleanup(&doc->tables[i]);
    }
    free(doc->tables);
    free(doc->index);
    free(doc);
}

static char *dup_bytes(const char *bytes, size_t len)
{
    char *s = malloc(len + 1);
    if (s) {
        memcpy(s, bytes, len);
        s[len] = '\0';
    }
    return s;
}

/* Appends a table owning `name` (taken on every path). */
static int doc_add_table(struct bot_toml_doc *doc, char *name, struct bot_toml_pos pos)
{
    if (doc->n_tables == doc->cap_tables) {
        size_t cap = doc->cap_tables ? doc->cap_tables * 2 : 8;
        struct bot_toml_table *grown = realloc(doc->tables, cap * sizeof *grown);
        if (!grown) {
            free(name);
            return CORE_ENOMEM;
        }
        doc->tables = grown;
        doc->cap_tables = cap;
    }
    if (index_add(&doc->index, name, doc->n_tables) != CORE_OK) {
        free(name);
        return CORE_ENOMEM;
    }
    struct bot_toml_table *t = &doc->tables[doc->n_tables++];
    memset(t, 0, sizeof *t);
    t->name = name;
    t->pos = pos;
    return CORE_OK;
}

/* Appends key = *value to t, taking `key` and the value's contents on every path. */
static int table_add_key(struct bot_toml_table *t,
                         char *key,
                         struct bot_toml_pos pos,
                         struct bot_toml_value *value)
{
    if (t->n_keys == t->cap_keys) {
        size_t cap = t->cap_keys ? t->cap_keys * 2 : 8;
        struct bot_toml_keyval *grown = realloc(t->keys, cap * sizeof *grown);
        if (!grown) {
            goto fail;
        }
        t->keys = grown;
        t->cap_keys = cap;
    }
    if (index_add(&t->index, key, t->n_keys) != CORE_OK) {
        goto fail;
    }
    struct bot_toml_keyval *kv = &t->keys[t->n_keys++];
    kv->key = key;
    kv->pos = pos;
    kv->value = *value;
    memset(value, 0, sizeof *value);
    return CORE_OK;
fail:
    free(key);
    value_cleanup(value);
    return CORE_ENOMEM;
}

/* ---- lookups -------------------------------------------------------------------------- */

const struct bot_toml_table *bot_toml_table_find(const struct bot_toml_doc *doc, const char *name)
{
    if (!doc || !name) {
        return NULL;
    }
    size_t i = index_find(doc->index, name);
    return i == SIZE_MAX ? NULL : &doc->tables[i];
}

const struct bot_toml_keyval *bot_toml_key_find(const struct bot_toml_table *table, const char *key)
{
    if (!table || !key) {
        return NULL;
    }
    size_t i = index_find(table->index, key);
    return i == SIZE_MAX ? NULL : &table->keys[i];
}

const char *bot_toml_type_name(enum bot_toml_type type)
{
    switch (type) {
    case BOT_TOML_STRING:
        return "string";
    case BOT_TOML_INTEGER:
        return "integer";
    case BOT_TOML_BOOLEAN:
        return "boolean";
    case BOT_TOML_ARRAY:
        return "array";
    }
    return "unknown";
}

/* ---- bytes: UTF-8 and control characters ---------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not valid. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
    unsigned char b = s[0];
    if (b < 0x80) {
        return 1;
    }
    size_t n;
    uint32_t cp;
    uint32_t min;
    if (b >= 0xC2 && b <= 0xDF) {
        n = 2, cp = b & 0x1Fu, min = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
        n = 3, cp = b & 0x0Fu, min = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4, cp = b & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (avail < n) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

bool bot_toml_utf8_valid(const char *bytes, size_t len)
{
    const unsigned char *s = (const unsigned char *)bytes;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(s + i, len - i);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

static void cursor_advance(struct cursor *c)
{
    unsigned char b = (unsigned char)*c->p++;
    if (b == '\n') {
        c->pos.line++;
        c->pos.col = 1;
    } else if ((b & 0xC0) != 0x80) {
        c->pos.col++;
    }
}

static int peek(const struct cursor *c)
{
    return c->p < c->end ? (unsigned char)*c->p : -1;
}

static int peek_at(const struct cursor *c, size_t ahead)
{
    return (size_t)(c->end - c->p) > ahead ? (unsigned char)c->p[ahead] : -1;
}

/* ---- errors --------------------------------------------------------------------------- */

static int fail_at(struct parser *ps, struct bot_toml_pos pos, int code, const char *msg)
{
    if (ps->err) {
        ps->err->pos = pos;
        snprintf(ps->err->key, sizeof ps->err->key, "%s", ps->key);
        snprintf(ps->err->msg, sizeof ps->err->msg, "%s", msg);
    }
    return code;
}

static int fail(struct parser *ps, const char *msg)
{
    return fail_at(ps, ps->c.pos, CORE_EBADINPUT, msg);
}

static int fail_nomem(struct parser *ps)
{
    struct bot_toml_pos nowhere = {0, 0};
    return fail_at(ps, nowhere, CORE_ENOMEM, "out of memory");
}

/* Checks every byte once: valid UTF-8, no control characters but tab and LF, CR only as part
 * of CRLF. Leaves the cursor where it started. */
static int check_bytes(struct parser *ps)
{
    struct cursor c = ps->c;
    while (c.p < c.end) {
        unsigned char b = (unsigned char)*c.p;
        size_t n = utf8_seq_len((const unsigned char *)c.p, (size_t)(c.end - c.p));
        const char *msg = NULL;
        if (b == '\r' && peek_at(&c, 1) != '\n') {
            msg = "carriage return not followed by a line feed";
        } else if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7F) {
            msg = "control character not allowed (write it as an escape in a basic string)";
        } else if (n == 0) {
            msg = "invalid UTF-8";
        }
        if (msg) {
            return fail_at(ps, c.pos, CORE_EBADINPUT, msg);
        }
        while (n-- > 0) {
            cursor_advance(&c);
        }
    }
    return CORE_OK;
}

/* ---- lexical helpers ------------------------------------------------------------------ */

static bool is_bare_key_char(int ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-';
}

static void skip_ws(struct cursor *c)
{
    while (peek(c) == ' ' || peek(c) == '\t') {
        cursor_advance(c);
    }
}

static void skip_comment(struct cursor *c)
{
    if (peek(c) == '#') {
        while (c->p < c->end && *c->p != '\n' && *c->p != '\r') {
            cursor_advance(c);
        }
    }
}

/* Skips a LF or CRLF; returns false when the cursor is not at one. */
static bool skip_newline(struct cursor *c)
{
    if (peek(c) == '\r' && peek_at(c, 1) == '\n') {
        cursor_advance(c);
    }
    if (peek(c) == '\n') {
        cursor_advance(c);
        return true;
    }
    return false;
}

/* After a header or a key/value: spaces, an optional comment, then the end of the line. */
static int expect_line_end(struct parser *ps, const char *after)
{
    skip_ws(&ps->c);
    skip_comment(&ps->c);
    if (ps->c.p == ps->c.end || skip_newline(&ps->c)) {
        return CORE_OK;
    }
    char msg[96];
    snprintf(msg, sizeof msg, "expected the end of the line after %s", after);
    return fail(ps, msg);
}

/* Reads a bare key or table name; *out is owned by the caller. what = "key" | "table name". */
static int read_bare_name(struct parser *ps, const char *what, char **out)
{
    const char *start = ps->c.p;
    struct bot_toml_pos pos = ps->c.pos;
    while (is_bare_key_char(peek(&ps->c))) {
        cursor_advance(&ps->c);
    }
    size_t len = (size_t)(ps->c.p - start);
    char msg[96];
    if (len == 0) {
        int ch = peek(&ps->c);
        if (ch == '"' || ch == '\'') {
            snprintf(msg, sizeof msg, "quoted %ss are not supported (use a bare %s)", what, what);
        } else {
            snprintf(msg, sizeof msg, "expected a %s (letters, digits, '_', '-')", what);
        }
        return fail(ps, msg);
    }
    if (len > BOT_TOML_MAX_KEY) {
        snprintf(msg, sizeof msg, "%s longer than %d bytes", what, BOT_TOML_MAX_KEY);
        return fail_at(ps, pos, CORE_EBADINPUT, msg);
    }
    *out = dup_bytes(start, len);
    return *out ? CORE_OK : fail_nomem(ps);
}

/* ---- scalars -------------------------------------------------------------------------- */

static int hex_digit(int ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* \uXXXX or \UXXXXXXXX with the cursor on the u/U; appends the UTF-8 to out. */
static int
read_unicode_escape(struct parser *ps, struct bot_toml_pos esc_pos, char *out, size_t *len)
{
    size_t digits = peek(&ps->c) == 'u' ? 4 : 8;
    cursor_advance(&ps->c);
    uint32_t cp = 0;
    for (size_t i = 0; i < digits; i++) {
        int d = hex_digit(peek(&ps->c));
        if (d < 0) {
            return fail_at(ps, esc_pos, CORE_EBADINPUT,
                           digits == 4 ? "\\u needs exactly 4 hex digits"
                                       : "\\U needs exactly 8 hex digits");
        }
        cp = (cp << 4) | (uint32_t)d;
        cursor_advance(&ps->c);
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return fail_at(ps, esc_pos, CORE_EBADINPUT,
                       "escape is not a Unicode scalar value (surrogate or above U+10FFFF)");
    }
    *len += utf8_encode(cp, out + *len);
    return CORE_OK;
}

/* One escape with the cursor on the backslash. */
static int read_escape(struct parser *ps, char *out, size_t *len)
{
    struct bot_toml_pos esc_pos = ps->c.pos;
    cursor_advance(&ps->c);
    static const char from[] = "btnfr\"\\";
    static const char to[] = "\b\t\n\f\r\"\\";
    int ch = peek(&ps->c);
    const char *hit = ch > 0 ? strchr(from, ch) : NULL;
    if (hit) {
        out[(*len)++] = to[hit - from];
        cursor_advance(&ps->c);
        return CORE_OK;
    }
    if (ch == 'u' || ch == 'U') {
        return read_unicode_escape(ps, esc_pos, out, len);
    }
    /* The message does not quote the character: the string may be a secret. */
    return fail_at(ps, esc_pos, CORE_EBADINPUT,
                   "invalid escape (use \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)");
}

/* Raw length of a one-line string body starting at the cursor (after the opening quote), up to
 * the closing quote; SIZE_MAX when the line or the input ends first. */
static size_t string_body_len(const struct cursor *c, char quote)
{
    for (const char *p = c->p; p < c->end; p++) {
        if (*p == '\n' || *p == '\r') {
            return SIZE_MAX;
        }
        if (*p == quote) {
            return (size_t)(p - c->p);
        }
        if (quote == '"' && *p == '\\' && p + 1 < c->end && p[1] != '\n' && p[1] != '\r') {
            p++;
        }
    }
    return SIZE_MAX;
}

/* A basic ("...") or literal ('...') string with the cursor on the opening quote. */
static int read_string(struct parser *ps, struct bot_toml_value *v)
{
    char quote = *ps->c.p;
    if (peek_at(&ps->c, 1) == quote && peek_at(&ps->c, 2) == quote) {
        return fail(ps, "multi-line strings are not supported");
    }
    struct bot_toml_pos start = ps->c.pos;
    cursor_advance(&ps->c);
    size_t raw = string_body_len(&ps->c, quote);
    if (raw == SIZE_MAX) {
        return fail_at(ps, start, CORE_EBADINPUT,
                       "unterminated string (strings end on their line)");
    }
    char *out = malloc(raw + 1);
    if (!out) {
        return fail_nomem(ps);
    }
    size_t len = 0;
    const char *close = ps->c.p + raw;
    while (ps->c.p < close) {
        if (quote == '"' && *ps->c.p == '\\') {
            int rc = read_escape(ps, out, &len);
            if (rc != CORE_OK) {
                sodium_memzero(out, raw + 1);
                free(out);
                return rc;
            }
        } else {
            out[len++] = *ps->c.p;
            cursor_advance(&ps->c);
        }
    }
    cursor_advance(&ps->c); /* the closing quote */
    out[len] = '\0';
    v->type = BOT_TOML_STRING;
    v->u.str.ptr = out;
    v->u.str.len = len;
    return CORE_OK;
}

int bot_toml_integer_parse(const char *text, size_t len, int64_t *out, const char **why)
{
    size_t i = 0;
    bool neg = false;
    if (len > 0 && (text[0] == '+' || text[0] == '-')) {
        neg = text[0] == '-';
        i++;
    }
    if (i == len || text[i] < '0' || text[i] > '9') {
        *why = "expected a decimal integer";
        return CORE_EBADINPUT;
    }
    if (text[i] == '0' && i + 1 < len) {
        *why = "leading zeros are not allowed";
        return CORE_EBADINPUT;
    }
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t mag = 0;
    for (; i < len; i++) {
        char ch = text[i];
        if (ch == '_') {
            if (i + 1 >= len || text[i + 1] < '0' || text[i + 1] > '9' || text[i - 1] == '_') {
                *why = "'_' must sit between two digits";
                return CORE_EBADINPUT;
            }
            continue;
        }
        if (ch < '0' || ch > '9') {
            *why = "expected a decimal integer";
            return CORE_EBADINPUT;
        }
        unsigned d = (unsigned)(ch - '0');
        if (mag > (limit - d) / 10) {
            *why = "integer out of range (64-bit signed)";
            return CORE_EBADINPUT;
        }
        mag = mag * 10 + d;
    }
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return CORE_OK;
}

static bool is_token_char(int ch)
{
    return is_bare_key_char(ch) || ch == '+' || ch == '.' || ch == ':';
}

static bool token_is(const char *tok, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(tok, word, len) == 0;
}

/* Why a number-like token is outside the subset, or NULL when it may be a decimal integer. */
static const char *number_unsupported(const char *tok, size_t len)
{
    size_t i = (tok[0] == '+' || tok[0] == '-') ? 1 : 0;
    if (len - i == 3 && (memcmp(tok + i, "inf", 3) == 0 || memcmp(tok + i, "nan", 3) == 0)) {
        return "floats are not supported";
    }
    if (len - i >= 2 && tok[i] == '0' &&
        (tok[i + 1] == 'x' || tok[i + 1] == 'o' || tok[i + 1] == 'b')) {
        return "only decimal integers are supported (no 0x, 0o, 0b)";
    }
    if (i < len && (tok[i] < '0' || tok[i] > '9')) {
        return NULL;
    }
    if (memchr(tok + i, ':', len - i) || memchr(tok + i, '-', len - i)) {
        return "dates and times are not supported";
    }
    if (memchr(tok, '.', len) || memchr(tok, 'e', len) || memchr(tok, 'E', len)) {
        return "floats are not supported";
    }
    return NULL;
}

/* A bare value: true, false or a decimal integer. */
static int read_bare_value(struct parser *ps, struct bot_toml_value *v)
{
    const char *tok = ps->c.p;
    struct bot_toml_pos start = ps->c.pos;
    while (is_token_char(peek(&ps->c))) {
        cursor_advance(&ps->c);
    }
    size_t len = (size_t)(ps->c.p - tok);
    if (len == 0) {
        return fail(ps, "expected a value");
    }
    if (token_is(tok, len, "true") || token_is(tok, len, "false")) {
        v->type = BOT_TOML_BOOLEAN;
        v->u.boolean = tok[0] == 't';
        return CORE_OK;
    }
    const char *why = number_unsupported(tok, len);
    if (why) {
        return fail_at(ps, start, CORE_EBADINPUT, why);
    }
    bool numeric = (tok[0] >= '0' && tok[0] <= '9') || tok[0] == '+' || tok[0] == '-';
    if (!numeric) {
        return fail_at(ps, start, CORE_EBADINPUT,
                       "expected a value (strings need quotes; booleans are true or false)");
    }
    if (bot_toml_integer_parse(tok, len, &v->u.integer, &why) != CORE_OK) {
        return fail_at(ps, start, CORE_EBADINPUT, why);
    }
    v->type = BOT_TOML_INTEGER;
    return CORE_OK;
}

/* One scalar value at the cursor (no arrays). */
static int read_scalar(struct parser *ps, struct bot_toml_value *v)
{
    v->pos = ps->c.pos;
    switch (peek(&ps->c)) {
    case '"':
    case '\'':
        return read_string(ps, v);
    case '{':
        return fail(ps, "inline tables are not supported");
    case '[':
        return fail(ps, "nested arrays are not supported");
    case -1:
    case '\n':
    case '\r':
    case '#':
        return fail(ps, "expected a value");
    default:
        return read_bare_value(ps, v);
    }
}

/* ---- arrays --------------------------------------------------------------------------- */

/* Spaces, newlines and comments between array items. */
static void skip_array_space(struct cursor *c)
{
    for (;;) {
        skip_ws(c);
        skip_comment(c);
        if (!skip_newline(c)) {
            return;
        }
    }
}

static int
array_push(struct parser *ps, struct bot_toml_value *arr, size_t *cap, struct bot_toml_value *item)
{
    if (arr->u.array.len == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 4;
        struct bot_toml_value *grown = realloc(arr->u.array.items, grown_cap * sizeof *grown);
        if (!grown) {
            value_cleanup(item);
            return fail_nomem(ps);
        }
        arr->u.array.items = grown;
        *cap = grown_cap;
    }
    arr->u.array.items[arr->u.array.len++] = *item;
    return CORE_OK;
}

/* Items after the '[' up to and including the ']'. */
static int read_array_items(struct parser *ps, struct bot_toml_value *arr, struct bot_toml_pos open)
{
    size_t cap = 0;
    for (;;) {
        skip_array_space(&ps->c);
        if (peek(&ps->c) == -1) {
            return fail_at(ps, open, CORE_EBADINPUT, "unterminated array (no closing ']')");
        }
        if (peek(&ps->c) == ']') {
            break;
        }
        struct bot_toml_value item = {0};
        int rc = read_scalar(ps, &item);
        if (rc == CORE_OK) {
            rc = array_push(ps, arr, &cap, &item);
        }
        if (rc != CORE_OK) {
            return rc;
        }
        skip_array_space(&ps->c);
        if (peek(&ps->c) == ',') {
            cursor_advance(&ps->c);
        } else if (peek(&ps->c) == -1) {
            return fail_at(ps, open, CORE_EBADINPUT, "unterminated array (no closing ']')");
        } else if (peek(&ps->c) != ']') {
            return fail(ps, "expected ',' or ']' in the array");
        }
    }
    cursor_advance(&ps->c);
    return CORE_OK;
}

static int read_value(struct parser *ps, struct bot_toml_value *v)
{
    if (peek(&ps->c) != '[') {
        return read_scalar(ps, v);
    }
    v->pos = ps->c.pos;
    v->type = BOT_TOML_ARRAY;
    cursor_advance(&ps->c);
    int rc = read_array_items(ps, v, v->pos);
    if (rc != CORE_OK) {
        value_cleanup(v);
    }
    return rc;
}

/* ---- lines ---------------------------------------------------------------------------- */

static void set_error_key(struct parser *ps, const char *table, const char *key)
{
    if (table[0] && key) {
        snprintf(ps->key, sizeof ps->key, "%s.%s", table, key);
    } else {
        snprintf(ps->key, sizeof ps->key, "%s", key ? key : table);
    }
}

/* "[name]" with the cursor on the '['. */
static int read_header(struct parser *ps)
{
    ps->key[0] = '\0';
    cursor_advance(&ps->c);
    if (peek(&ps->c) == '[') {
        return fail(ps, "arrays of tables ([[...]]) are not supported");
    }
    skip_ws(&ps->c);
    struct bot_toml_pos pos = ps->c.pos;
    char *name = NULL;
    int rc = read_bare_name(ps, "table name", &name);
    if (rc != CORE_OK) {
        return rc;
    }
    set_error_key(ps, name, NULL);
    skip_ws(&ps->c);
    if (peek(&ps->c) == '.') {
        free(name);
        return fail(ps, "dotted table names are not supported");
    }
    if (peek(&ps->c) != ']') {
        free(name);
        return fail(ps, "expected ']' after the table name");
    }
    cursor_advance(&ps->c);
    size_t seen = index_find(ps->doc->index, name);
    if (seen != SIZE_MAX) {
        free(name);
        char msg[96];
        snprintf(msg, sizeof msg, "duplicate table (first defined on line %zu)",
                 ps->doc->tables[seen].pos.line);
        return fail_at(ps, pos, CORE_EBADINPUT, msg);
    }
    const struct bot_toml_keyval *clash = bot_toml_key_find(&ps->doc->tables[0], name);
    if (clash) {
        char msg[96];
        snprintf(msg, sizeof msg, "name already used by a key on line %zu", clash->pos.line);
        free(name);
        return fail_at(ps, pos, CORE_EBADINPUT, msg);
    }
    if (doc_add_table(ps->doc, name, pos) != CORE_OK) {
        return fail_nomem(ps);
    }
    ps->table = ps->doc->n_tables - 1;
    return expect_line_end(ps, "the table header");
}

/* "key = value" with the cursor on the first character of the key. */
static int read_keyval(struct parser *ps)
{
    struct bot_toml_table *t = &ps->doc->tables[ps->table];
    ps->key[0] = '\0';
    struct bot_toml_pos pos = ps->c.pos;
    char *key = NULL;
    int rc = read_bare_name(ps, "key", &key);
    if (rc != CORE_OK) {
        return rc;
    }
    set_error_key(ps, t->name, key);
    skip_ws(&ps->c);
    const char *why = NULL;
    size_t seen = index_find(t->index, key);
    if (peek(&ps->c) == '.') {
        why = "dotted keys are not supported";
    } else if (peek(&ps->c) != '=') {
        why = "expected '=' after the key";
    }
    if (why || seen != SIZE_MAX) {
        free(key);
        if (why) {
            return fail(ps, why);
        }
        char msg[96];
        snprintf(msg, sizeof msg, "duplicate key (first set on line %zu)", t->keys[seen].pos.line);
        return fail_at(ps, pos, CORE_EBADINPUT, msg);
    }
    cursor_advance(&ps->c);
    skip_ws(&ps->c);
    struct bot_toml_value v = {0};
    rc = read_value(ps, &v);
    if (rc != CORE_OK) {
        free(key);
        return rc;
    }
    if (table_add_key(t, key, pos, &v) != CORE_OK) {
        return fail_nomem(ps);
    }
    return expect_line_end(ps, "the value");
}

static int read_line(struct parser *ps)
{
    skip_ws(&ps->c);
    int ch = peek(&ps->c);
    if (ch == -1 || skip_newline(&ps->c)) {
        return CORE_OK;
    }
    if (ch == '#') {
        return expect_line_end(ps, "the comment");
    }
    if (ch == '[') {
        return read_header(ps);
    }
    ps->key[0] = '\0';
    if (is_bare_key_char(ch) || ch == '"' || ch == '\'') {
        return read_keyval(ps);
    }
    return fail(ps, "expected a key, a [table] header or a comment");
}

/* Builds the tree from checked text: the root table, then one line (or array) at a time. On
 * failure frees what was built. */
static int parse_lines(struct parser *ps)
{
    ps->doc = calloc(1, sizeof *ps->doc);
    char *root = dup_bytes("", 0);
    if (!ps->doc || !root) {
        free(ps->doc);
        free(root);
        ps->doc = NULL;
        return fail_nomem(ps);
    }
    struct bot_toml_pos first = {1, 1};
    int rc = doc_add_table(ps->doc, root, first);
    while (rc == CORE_OK && ps->c.p < ps->c.end) {
        rc = read_line(ps);
    }
    if (rc != CORE_OK) {
        if (rc == CORE_ENOMEM) {
            fail_nomem(ps);
        }
        bot_toml_free(ps->doc);
        ps->doc = NULL;
    }
    return rc;
}

int bot_toml_parse(const char *text,
                   size_t len,
                   struct bot_toml_doc **out,
                   struct bot_toml_error *err)
{
    if (err) {
        memset(err, 0, sizeof *err);
    }
    if (!out || (!text && len > 0)) {
        return CORE_EINVAL;
    }
    *out = NULL;
    if (!text) {
        text = "";
    }
    struct parser ps = {.c = {text, text + len, {1, 1}}, .err = err};
    if (len > BOT_TOML_MAX_INPUT) {
        struct bot_toml_pos nowhere = {0, 0};
        return fail_at(&ps, nowhere, CORE_ETOOBIG, "input larger than 1 MiB");
    }
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        ps.c.p += 3; /* a UTF-8 byte order mark; not a character of line 1 */
    }
    int rc = check_bytes(&ps);
    if (rc != CORE_OK) {
        return rc;
    }
    rc = parse_lines(&ps);
    if (rc != CORE_OK) {
        return rc;
    }
    *out = ps.doc;
    return CORE_OK;
}
