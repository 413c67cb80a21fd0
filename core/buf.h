/* SPDX-License-Identifier: MIT
 * A growable byte buffer with a hard size cap. The buffer owns its memory; core_buf_cleanup
 * frees it and may be called twice. A failed append leaves the contents unchanged. */
#ifndef CORE_BUF_H
#define CORE_BUF_H

#include <stddef.h>

#include "err.h"

struct core_buf {
    char *data; /* always NUL-terminated when non-NULL; owned */
    size_t len;
    size_t cap;
    size_t max; /* hard cap on len; 0 means SIZE_MAX/2 */
};

void core_buf_init(struct core_buf *buf, size_t max);
void core_buf_cleanup(struct core_buf *buf);
void core_buf_reset(struct core_buf *buf);
/** Returns CORE_ETOOBIG past the cap, CORE_ENOMEM when allocation fails. */
CORE_NODISCARD int core_buf_append(struct core_buf *buf, const void *bytes, size_t len);
CORE_NODISCARD int core_buf_append_str(struct core_buf *buf, const char *text);
CORE_NODISCARD int core_buf_appendf(struct core_buf *buf, const char *fmt, ...) CORE_PRINTF(2, 3);
/** Hands the data to the caller (free() it) and leaves the buffer empty. */
char *core_buf_take(struct core_buf *buf);

#endif
