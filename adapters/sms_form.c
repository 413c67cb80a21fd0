/* SPDX-License-Identifier: MIT
 * application/x-www-form-urlencoded: decoding untrusted bodies, encoding our own. */
#include <stdio.h>
#include <string.h>

#include "adapters/sms.h"
#include "adapters/utf8.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decodes src[0..len) into dst (room for len + 1); returns the decoded length or -1. */
static long decode(const char *src, size_t len, char *dst)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < len ? hex_value(src[i + 1]) : -1;
            int lo = i + 2 < len ? hex_value(src[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                return -1;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0') {
            return -1;
        }
        dst[o++] = c;
    }
    dst[o] = '\0';
    return (long)o;
}

static int add_pair(struct ad_form *form, const char *pair, size_t len, size_t *used)
{
    if (len == 0) {
        return CORE_OK; /* "a=1&&b=2": an empty pair is no parameter */
    }
    if (form->n_params >= AD_FORM_MAX_PARAMS) {
        return CORE_ETOOBIG;
    }
    const char *eq = memchr(pair, '=', len);
    size_t name_len = eq ? (size_t)(eq - pair) : len;
    size_t value_len = eq ? len - name_len - 1 : 0;
    char *name = form->buf + *used;
    long n = decode(pair, name_len, name);
    if (n <= 0 || !ad_utf8_valid(name, (size_t)n)) {
        return CORE_EBADINPUT;
    }
    *used += (size_t)n + 1;
    char *value = form->buf + *used;
    long v = eq ? decode(eq + 1, value_len, value) : 0;
    if (!eq) {
        value[0] = '\0';
    }
    if (v < 0 || !ad_utf8_valid(value, (size_t)v)) {
        return CORE_EBADINPUT;
    }
    *used += (size_t)v + 1;
    form->params[form->n_params].name = name;
    form->params[form->n_params].value = value;
    form->n_params++;
    return CORE_OK;
}

int ad_form_parse(const char *body, size_t len, struct ad_form *form)
{
    form->n_params = 0;
    if (len > AD_FORM_MAX_BODY) {
        return CORE_ETOOBIG;
    }
    size_t used = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || body[i] == '&') {
            int rc = add_pair(form, body + start, i - start, &used);
            if (rc != CORE_OK) {
                form->n_params = 0;
                return rc;
            }
            start = i + 1;
        }
    }
    return CORE_OK;
}

const char *ad_form_get(const struct ad_form *form, const char *name)
{
    for (size_t i = 0; i < form->n_params; i++) {
        if (strcmp(form->params[i].name, name) == 0) {
            return form->params[i].value;
        }
    }
    return NULL;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

static int encode(char *out, size_t out_len, size_t *used, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        size_t need = unreserved(*p) ? 1 : 3;
        if (*used + need + 1 > out_len) {
            return CORE_ETOOBIG;
        }
        if (need == 1) {
            out[(*used)++] = (char)*p;
        } else {
            out[(*used)++] = '%';
            out[(*used)++] = hex[*p >> 4];
            out[(*used)++] = hex[*p & 15];
        }
    }
    out[*used] = '\0';
    return CORE_OK;
}

int ad_form_append(char *out, size_t out_len, size_t *used, const char *name, const char *value)
{
    size_t start = *used;
    int rc = CORE_OK;
    if (*used > 0) {
        rc = *used + 2 > out_len ? CORE_ETOOBIG : CORE_OK;
        if (rc == CORE_OK) {
            out[(*used)++] = '&';
        }
    }
    if (rc == CORE_OK) {
        rc = encode(out, out_len, used, name);
    }
    if (rc == CORE_OK) {
        rc = *used + 2 > out_len ? CORE_ETOOBIG : CORE_OK;
    }
    if (rc == CORE_OK) {
        out[(*used)++] = '=';
        rc = encode(out, out_len, used, value);
    }
    if (rc != CORE_OK) {
        *used = start;
        if (out_len > 0) {
            out[start < out_len ? start : out_len - 1] = '\0';
        }
    }
    return rc;
}
