/* SPDX-License-Identifier: MIT
 * core_buf: capped growable buffer. */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void core_buf_init(struct core_buf *buf, size_t max)
{
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    buf->max = max ? max : SIZE_MAX / 2;
}

void core_buf_cleanup(struct core_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
}

void core_buf_reset(struct core_buf *buf)
{
    buf->len = 0;
    if (buf->data) {
        buf->data[0] = '\0';
    }
}

static int reserve(struct core_buf *buf, size_t extra)
{
    if (extra > buf->max - buf->len) {
        return CORE_ETOOBIG;
    }
    size_t need = buf->len + extra + 1;
    if (need <= buf->cap) {
        return CORE_OK;
    }
    size_t cap = buf->cap ? buf->cap : 64;
    while (cap < need) {
        cap *= 2;
    }
    char *grown = realloc(buf->data, cap);
    if (!grown) {
        return CORE_ENOMEM;
    }
    buf->data = grown;
    buf->cap = cap;
    return CORE_OK;
}

int core_buf_append(struct core_buf *buf, const void *bytes, size_t len)
{
    int rc = reserve(buf, len);
    if (rc != CORE_OK) {
        return rc;
    }
    if (len) {
        memcpy(buf->data + buf->len, bytes, len);
    }
    buf->len += len;
    buf->data[buf->len] = '\0';
    return CORE_OK;
}

int core_buf_append_str(struct core_buf *buf, const char *text)
{
    return core_buf_append(buf, text, strlen(text));
}

int core_buf_appendf(struct core_buf *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return CORE_EINVAL;
    }
    int rc = reserve(buf, (size_t)n);
    if (rc != CORE_OK) {
        return rc;
    }
    va_start(ap, fmt);
    vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
    return CORE_OK;
}

char *core_buf_take(struct core_buf *buf)
{
    char *data = buf->data;
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    return data;
}
