/* SPDX-License-Identifier: MIT
 * UTF-8 helpers shared by the adapters: validation and truncation on a code-point boundary. */
#ifndef ADAPTERS_UTF8_H
#define ADAPTERS_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/** True when bytes[0..len) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool ad_utf8_valid(const char *bytes, size_t len);
/** The largest length <= max that does not split a code point of valid UTF-8 text. */
size_t ad_utf8_truncate(const char *text, size_t len, size_t max);

#endif
