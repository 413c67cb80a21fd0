/* SPDX-License-Identifier: MIT
 * Mermaid rendering of the step table (dialogs/engine.c): one state per step, one arrow per
 * declared edge, and a note for the everywhere-rules that may interrupt any step. */
#include "dialogs/diagram.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "dialogs/engine_int.h"

struct sink {
    char *out;
    size_t cap;
    size_t len;
    bool overflow;
};

static void put(struct sink *s, const char *fmt, ...) CORE_PRINTF(2, 3);

static void put(struct sink *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s->out + s->len, s->cap - s->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= s->cap - s->len) {
        s->overflow = true;
        s->len = s->cap - 1;
        return;
    }
    s->len += (size_t)n;
}

int dlg_diagram_mermaid(char *out, size_t out_len)
{
    struct sink s = {out, out_len, 0, false};
    if (!out || out_len < 2) {
        return CORE_ETOOBIG;
    }
    out[0] = '\0';
    put(&s, "stateDiagram-v2\n");
    put(&s, "    [*] --> LANG\n");
    for (int i = 0; i < DLG_ST_COUNT; i++) {
        const struct dlg_step_def *def = dlg__step_def((enum dlg_step_id)i);
        for (size_t e = 0; e < DLG_MAX_EDGES && def->edges[e].label; e++) {
            put(&s, "    %s --> %s : %s\n", def->name, dlg__step_def(def->edges[e].to)->name,
                def->edges[e].label);
        }
    }
    put(&s, "    note right of MENU\n");
    put(&s, "        Everywhere: operator or 0 = ESCALATE + contact centre;\n");
    put(&s, "        menu = MENU (LANG when unlinked); help = help of the step;\n");
    put(&s, "        stop = SET_REMINDERS off; language = LANG_PICK;\n");
    put(&s, "        3rd unknown input in a row = help + contact centre;\n");
    put(&s, "        idle timeout = MENU (registration: the same step again)\n");
    put(&s, "    end note\n");
    return s.overflow ? CORE_ETOOBIG : (int)s.len;
}
