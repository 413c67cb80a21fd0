/* SPDX-License-Identifier: MIT
 * The log API: one line per event, "ts level module event k=v ...", to a sink bot/ installs
 * (stderr by default). The level is checked before any argument is evaluated. Personal data
 * (IIN, phone, names, codes) never goes into a log line: use the core_mask_* helpers, which
 * keep just enough to correlate. adapters/ and dialogs/ never log; they return codes. */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#include <stddef.h>

#include "err.h"

enum core_log_level {
    CORE_LOG_ERROR = 0, /* a human must act */
    CORE_LOG_WARN = 1,  /* degraded but recovering */
    CORE_LOG_INFO = 2,  /* lifecycle, at most one line per request */
    CORE_LOG_DEBUG = 3,
    CORE_LOG_TRACE = 4,
};

/** Sink for finished lines (without trailing newline). Called on the logging thread. */
typedef void (*core_log_sink_fn)(enum core_log_level level, const char *line, void *ctx);

extern enum core_log_level core_log_threshold;

void core_log_set_level(enum core_log_level level);
/** Parses "error|warn|info|debug|trace"; returns CORE_EBADINPUT otherwise. */
CORE_NODISCARD int core_log_level_parse(const char *text, enum core_log_level *out);
/** Installs a sink; NULL restores stderr. */
void core_log_set_sink(core_log_sink_fn sink, void *ctx);

/** Formats and emits one line. `fields` is printf-style key=value text. Use the macros. */
void core_log_emit(enum core_log_level level,
                   const char *module,
                   const char *event,
                   const char *fields_fmt,
                   ...) CORE_PRINTF(4, 5);

#define CORE_LOG(level, event, ...)                                                                \
    do {                                                                                           \
        if ((level) <= core_log_threshold)                                                         \
            core_log_emit((level), LOG_MODULE, (event), __VA_ARGS__);                              \
    } while (0)

#define LOG_ERROR(event, ...) CORE_LOG(CORE_LOG_ERROR, event, __VA_ARGS__)
#define LOG_WARN(event, ...)  CORE_LOG(CORE_LOG_WARN, event, __VA_ARGS__)
#define LOG_INFO(event, ...)  CORE_LOG(CORE_LOG_INFO, event, __VA_ARGS__)
#define LOG_DEBUG(event, ...) CORE_LOG(CORE_LOG_DEBUG, event, __VA_ARGS__)

/* Masks: write a safe rendering into out (always NUL-terminated, truncated to out_len).
 * Phone "+77011234567" -> "+7701***67"; IIN "900514410006" -> "9005******06";
 * any other secret -> "***". */
void core_mask_phone(const char *phone, char *out, size_t out_len);
void core_mask_iin(const char *iin, char *out, size_t out_len);
/** Copies untrusted text for a log field: at most 128 bytes, non-printables as '?'. */
void core_log_sanitize(const char *text, size_t text_len, char *out, size_t out_len);

#endif
