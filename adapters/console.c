/* SPDX-License-Identifier: MIT
 * Terminal channel: typed lines in, numbered text out. */
#include "adapters/console.h"

#include <stdio.h>
#include <string.h>

#include "adapters/utf8.h"

static size_t trim_line_end(const char *line, size_t len)
{
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
        len--;
    }
    return len;
}

int ad_console_parse(const char *line,
                     size_t len,
                     const char *user_id,
                     const char *external_id,
                     int64_t at,
                     struct core_inbound *out)
{
    memset(out, 0, sizeof *out);
    len = trim_line_end(line, len);
    if (len >= sizeof out->text || !ad_utf8_valid(line, len) ||
        strlen(user_id) >= CORE_USER_ID_MAX || strlen(external_id) >= CORE_EXT_ID_MAX) {
        return CORE_EBADINPUT;
    }
    out->channel = CORE_CH_CONSOLE;
    snprintf(out->user_id, sizeof out->user_id, "%s", user_id);
    snprintf(out->external_id, sizeof out->external_id, "%s", external_id);
    out->at = at;
    if (len > 1 && line[0] == '/') {
        out->kind = CORE_IN_COMMAND;
        memcpy(out->text, line + 1, len - 1);
        return CORE_OK;
    }
    out->kind = CORE_IN_TEXT;
    memcpy(out->text, line, len);
    return CORE_OK;
}

int ad_console_render(const struct core_reply *reply, struct core_buf *out)
{
    int rc = core_buf_append_str(out, reply->text);
    for (size_t i = 0; rc == CORE_OK && i < reply->n_options; i++) {
        rc = core_buf_appendf(out, "\n  %zu — %s", i + 1, reply->options[i].label);
    }
    if (rc == CORE_OK) {
        rc = core_buf_append_str(out, "\n");
    }
    return rc;
}
