/* SPDX-License-Identifier: MIT
 * Fuzz target for the stored dialog state (dlg_state_decode / dlg_state_encode). The blob comes
 * back from the database, so decode treats it as untrusted: a rejected blob is EBADINPUT and
 * leaves the state untouched; an accepted one encodes to a non-empty text that decodes again,
 * and decode -> encode -> decode -> encode gives the same text twice (a fixed point). */
#include <stdlib.h>
#include <string.h>

#include "dialogs/dialog.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dlg_state *state = malloc(dlg_state_size());
    struct dlg_state *again = malloc(dlg_state_size());
    char *before = malloc(DLG_STATE_ENCODED_MAX);
    char *first = malloc(DLG_STATE_ENCODED_MAX);
    char *second = malloc(DLG_STATE_ENCODED_MAX);
    CHECK(state && again && before && first && second);
    dlg_state_init(state, CORE_CH_TELEGRAM);
    size_t before_len = dlg_state_encode(state, before, DLG_STATE_ENCODED_MAX);
    CHECK(before_len > 0);

    int rc = dlg_state_decode((const char *)data, size, state);
    if (rc != CORE_OK) {
        CHECK(rc == CORE_EBADINPUT);
        size_t len = dlg_state_encode(state, first, DLG_STATE_ENCODED_MAX);
        CHECK(len == before_len && memcmp(first, before, len) == 0);
    } else {
        size_t len1 = dlg_state_encode(state, first, DLG_STATE_ENCODED_MAX);
        CHECK(len1 > 0 && len1 < DLG_STATE_ENCODED_MAX && first[len1] == '\0');
        CHECK(strlen(first) == len1);
        CHECK(dlg_state_lang(state) >= DLG_LANG_KK && dlg_state_lang(state) < DLG_LANG_COUNT);
        CHECK(dlg_state_parent(state) >= 0);
        CHECK(dlg_state_decode(first, len1, again) == CORE_OK);
        size_t len2 = dlg_state_encode(again, second, DLG_STATE_ENCODED_MAX);
        CHECK(len2 == len1 && memcmp(first, second, len1) == 0);
        CHECK(dlg_state_parent(again) == dlg_state_parent(state));
        CHECK(dlg_state_lang(again) == dlg_state_lang(state));
    }
    free(state);
    free(again);
    free(before);
    free(first);
    free(second);
    return 0;
}
