/* SPDX-License-Identifier: MIT
 * The terminal channel of `tabelbot chat`: one typed line is one inbound message; a reply is
 * printed as text with numbered options ("1 — Қазақша"). A typed number picks that option,
 * exactly as an SMS parent would. Pure translation: no I/O here. */
#ifndef ADAPTERS_CONSOLE_H
#define ADAPTERS_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/msg.h"

/** Turns a typed line into an inbound event for user_id at time `at`. "/start" becomes a
 * command; trailing CR/LF are dropped; invalid UTF-8 or an over-long line is CORE_EBADINPUT. */
CORE_NODISCARD int ad_console_parse(const char *line,
                                    size_t len,
                                    const char *user_id,
                                    const char *external_id,
                                    int64_t at,
                                    struct core_inbound *out);

/** Appends the printable form of reply to out: the text, then "N — label" per option. */
CORE_NODISCARD int ad_console_render(const struct core_reply *reply, struct core_buf *out);

#endif
