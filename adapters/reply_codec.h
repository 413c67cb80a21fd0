/* SPDX-License-Identifier: MIT
 * The outbox payload: a channel-neutral reply (core/msg.h) as compact JSON, so a queued
 * message can be rendered for its channel at send time. Encode and decode are exact inverses;
 * decode treats its input as untrusted (it comes back from the database). */
#ifndef ADAPTERS_REPLY_CODEC_H
#define ADAPTERS_REPLY_CODEC_H

#include <stddef.h>

#include "core/err.h"
#include "core/msg.h"

/** Encodes reply as JSON {"v":1,"text":..,"expect":..,"bulk":..,"options":[{"id","label"}]}.
 * *out is malloc'd (NUL-terminated), owned by the caller (free()). */
CORE_NODISCARD int ad_reply_encode(const struct core_reply *reply, char **out, size_t *out_len);
/** Decodes what encode wrote. Oversized fields, wrong types or a wrong version are
 * CORE_EBADINPUT and leave *reply zeroed. */
CORE_NODISCARD int ad_reply_decode(const char *json, size_t len, struct core_reply *reply);

#endif
