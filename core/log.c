/* SPDX-License-Identifier: MIT
 * Line formatting, level threshold, sink indirection and the personal-data masks. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum core_log_level core_log_threshold = CORE_LOG_INFO;

static core_log_sink_fn log_sink;
static void *log_sink_ctx;

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};

void core_log_set_level(enum core_log_level level)
{
    core_log_threshold = level;
}

int core_log_level_parse(const char *text, enum core_log_level *out)
{
    for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
        if (text && strcasecmp(text, level_names[i]) == 0) {
            *out = (enum core_log_level)i;
            return CORE_OK;
        }
    }
    return CORE_EBADINPUT;
}

void core_log_set_sink(core_log_sink_fn sink, void *ctx)
{
    log_sink = sink;
    log_sink_ctx = ctx;
}

static size_t format_prefix(
    char *line, size_t cap, enum core_log_level level, const char *module, const char *event)
{
    struct timespec now;
    struct tm utc;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &utc);
    int n = snprintf(line, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s %s ",
                     utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                     utc.tm_sec, now.tv_nsec / 1000000L, level_names[level], module, event);
    if (n < 0) {
        return 0;
    }
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

void core_log_emit(
    enum core_log_level level, const char *module, const char *event, const char *fields_fmt, ...)
{
    char line[2048];
    size_t used = format_prefix(line, sizeof line, level, module, event);
    va_list ap;
    va_start(ap, fields_fmt);
    vsnprintf(line + used, sizeof line - used, fields_fmt, ap);
    va_end(ap);
    size_t len = strlen(line);
    while (len > 0 && line[len - 1] == ' ') {
        line[--len] = '\0';
    }
    if (log_sink) {
        log_sink(level, line, log_sink_ctx);
        return;
    }
    fprintf(stderr, "%s\n", line);
}

static void mask_keep(const char *text, size_t head, size_t tail, char *out, size_t out_len)
{
    if (!out || out_len == 0) {
        return;
    }
    size_t len = text ? strlen(text) : 0;
    if (len <= head + tail) {
        snprintf(out, out_len, "***");
        return;
    }
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < out_len; i++) {
        int keep = i < head || i >= len - tail;
        out[o++] = keep ? text[i] : '*';
    }
    out[o] = '\0';
}

void core_mask_phone(const char *phone, char *out, size_t out_len)
{
    mask_keep(phone, 5, 2, out, out_len);
}

void core_mask_iin(const char *iin, char *out, size_t out_len)
{
    mask_keep(iin, 4, 2, out, out_len);
}

void core_log_sanitize(const char *text, size_t text_len, char *out, size_t out_len)
{
    if (!out || out_len == 0) {
        return;
    }
    size_t limit = text_len < 128 ? text_len : 128;
    size_t o = 0;
    for (size_t i = 0; text && i < limit && o + 1 < out_len; i++) {
        unsigned char c = (unsigned char)text[i];
        out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[o] = '\0';
}
