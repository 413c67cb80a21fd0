/* SPDX-License-Identifier: MIT
 * Strict UTF-8 validation (RFC 3629) and boundary-safe truncation. */
#include "adapters/utf8.h"

static size_t sequence_length(unsigned char lead, unsigned *min, unsigned *cp)
{
    if (lead < 0x80) {
        *cp = lead;
        *min = 0;
        return 1;
    }
    if ((lead & 0xE0) == 0xC0) {
        *cp = lead & 0x1Fu;
        *min = 0x80;
        return 2;
    }
    if ((lead & 0xF0) == 0xE0) {
        *cp = lead & 0x0Fu;
        *min = 0x800;
        return 3;
    }
    if ((lead & 0xF8) == 0xF0) {
        *cp = lead & 0x07u;
        *min = 0x10000;
        return 4;
    }
    return 0;
}

bool ad_utf8_valid(const char *bytes, size_t len)
{
    const unsigned char *s = (const unsigned char *)bytes;
    size_t i = 0;
    while (i < len) {
        unsigned min = 0;
        unsigned cp = 0;
        size_t n = sequence_length(s[i], &min, &cp);
        if (n == 0 || i + n > len) {
            return false;
        }
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += n;
    }
    return true;
}

size_t ad_utf8_truncate(const char *text, size_t len, size_t max)
{
    if (len <= max) {
        return len;
    }
    size_t cut = max;
    while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80) {
        cut--;
    }
    return cut;
}
