/* SPDX-License-Identifier: MIT
 * A channel-neutral reply as one SMS: the text and a numbered menu, within a segment cap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/sms.h"

#define ELLIPSIS "\xE2\x80\xA6" /* U+2026: one UCS-2 unit (text this long is UCS-2 anyway) */

static int cat(char *out, size_t out_len, size_t *used, const char *text, size_t len)
{
    if (*used + len + 1 > out_len) {
        return CORE_ETOOBIG;
    }
    memcpy(out + *used, text, len);
    *used += len;
    out[*used] = '\0';
    return CORE_OK;
}

/* The menu: "1 - label" lines, or "1-label; 2-label" when compact. */
static int menu(const struct core_reply *reply, bool compact, char *out, size_t out_len)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < reply->n_options; i++) {
        char item[CORE_OPTION_LABEL_MAX + 32];
        const char *sep = i == 0 ? "" : compact ? "; " : "\n";
        int n = snprintf(item, sizeof item, "%s%zu%s%s", sep, i + 1, compact ? "-" : " - ",
                         reply->options[i].label);
        if (n < 0 || (size_t)n >= sizeof item) {
            return CORE_ETOOBIG;
        }
        int rc = cat(out, out_len, &used, item, (size_t)n);
        if (rc != CORE_OK) {
            return rc;
        }
    }
    return CORE_OK;
}

/* text, '\n' when both are non-empty, then menu. */
static int join(const char *text,
                size_t text_len,
                const char *tail,
                const char *menu_text,
                char *out,
                size_t out_len)
{
    size_t used = 0;
    out[0] = '\0';
    int rc = cat(out, out_len, &used, text, text_len);
    if (rc == CORE_OK && tail[0]) {
        rc = cat(out, out_len, &used, tail, strlen(tail));
    }
    if (rc == CORE_OK && menu_text[0] && used > 0) {
        rc = cat(out, out_len, &used, "\n", 1);
    }
    if (rc == CORE_OK) {
        rc = cat(out, out_len, &used, menu_text, strlen(menu_text));
    }
    return rc;
}

static int fits(const char *text, int cap, struct ad_sms_count *count, bool *ok)
{
    int rc = ad_sms_count(text, strlen(text), count);
    *ok = rc == CORE_OK && count->segments <= cap;
    return rc;
}

/* The longest prefix of text (on a character boundary) such that prefix + "…" + menu fits. */
static int shorten(const char *text, const char *menu_text, int cap, char *out, size_t out_len)
{
    size_t lo = 0;
    size_t hi = strlen(text);
    struct ad_sms_count count;
    bool ok = false;
    while (lo < hi) {
        size_t mid = (lo + hi + 1) / 2;
        while (mid > lo && ((unsigned char)text[mid] & 0xC0) == 0x80) {
            mid--;
        }
        if (mid == lo) {
            break;
        }
        int rc = join(text, mid, ELLIPSIS, menu_text, out, out_len);
        if (rc == CORE_OK) {
            rc = fits(out, cap, &count, &ok);
        }
        if (rc == CORE_EBADINPUT) {
            return rc;
        }
        if (rc == CORE_OK && ok) {
            lo = mid;
        } else {
            hi = mid - 1;
            while (hi > lo && ((unsigned char)text[hi] & 0xC0) == 0x80) {
                hi--;
            }
        }
    }
    return join(text, lo, lo > 0 ? ELLIPSIS : "", menu_text, out, out_len);
}

int ad_sms_render(const struct core_reply *reply,
                  int max_segments,
                  char *out,
                  size_t out_len,
                  struct ad_sms_rendered *info)
{
    memset(info, 0, sizeof *info);
    if (max_segments < 1 || out_len < 64) {
        return CORE_EINVAL;
    }
    char menu_text[CORE_REPLY_OPTIONS_MAX * (CORE_OPTION_LABEL_MAX + 32)];
    int rc = menu(reply, false, menu_text, sizeof menu_text);
    bool ok = false;
    if (rc == CORE_OK) {
        rc = join(reply->text, strlen(reply->text), "", menu_text, out, out_len);
    }
    if (rc == CORE_OK) {
        rc = fits(out, max_segments, &info->count, &ok);
    }
    if (rc == CORE_EBADINPUT || (rc == CORE_OK && ok)) {
        return rc;
    }
    info->compact_menu = reply->n_options > 0;
    rc = menu(reply, true, menu_text, sizeof menu_text);
    if (rc == CORE_OK) {
        rc = join(reply->text, strlen(reply->text), "", menu_text, out, out_len);
    }
    if (rc == CORE_OK) {
        rc = fits(out, max_segments, &info->count, &ok);
    }
    if (rc == CORE_EBADINPUT || (rc == CORE_OK && ok)) {
        return rc;
    }
    /* Still too long: shorten the text and keep the menu; when the menu alone is too long,
     * shorten everything as one text. */
    info->shortened = true;
    rc = shorten(reply->text, menu_text, max_segments, out, out_len);
    if (rc == CORE_OK) {
        rc = fits(out, max_segments, &info->count, &ok);
    }
    if (rc == CORE_OK && !ok) {
        char *whole = malloc(sizeof menu_text + CORE_REPLY_TEXT_MAX + 2);
        rc = whole ? join(reply->text, strlen(reply->text), "", menu_text, whole,
                          sizeof menu_text + CORE_REPLY_TEXT_MAX + 2)
                   : CORE_ENOMEM;
        if (rc == CORE_OK) {
            rc = shorten(whole, "", max_segments, out, out_len);
        }
        free(whole);
    }
    if (rc == CORE_OK) {
        rc = ad_sms_count(out, strlen(out), &info->count);
    }
    return rc;
}
