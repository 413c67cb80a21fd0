/* SPDX-License-Identifier: MIT
 * An in-memory registry for dialog tests: loads tests/fixtures/registry-demo.json
 * (tabelbot-registry/1) and serves it through struct dlg_registry_view. Decisions can be applied
 * to it so a transcript sees what the database would show next. The registry owns everything it
 * loads; tdr_free releases it. Parent ids are 1-based in file order. */
#ifndef TESTS_SUPPORT_DIALOGS_REGISTRY_H
#define TESTS_SUPPORT_DIALOGS_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "dialogs/dialog.h"

struct tdr_parent {
    struct dlg_parent p;
    char iin[13];
    char phone[CORE_PHONE_MAX];
};

struct tdr_child {
    struct dlg_child c;
    int64_t parent_id;
};

struct tdr_timesheet {
    char child_id[DLG_ID_MAX];
    struct dlg_timesheet ts;
};

struct tdr_registry {
    struct tdr_parent *parents;
    size_t n_parents;
    struct tdr_child *children;
    size_t n_children;
    struct tdr_timesheet *timesheets;
    size_t n_timesheets;
    int fail_calls; /* > 0: the next view call fails with CORE_EDB (counts down) */
    int calls;      /* view calls made */
};

/** Loads the registry file. Returns 0 or a negative core_err; *reg is empty on failure. */
int tdr_load(struct tdr_registry *reg, const char *path);
void tdr_free(struct tdr_registry *reg);
/** The view over reg (reg must outlive it). */
void tdr_view(struct tdr_registry *reg, struct dlg_registry_view *view);
/** Records a decision on child/month as the database would; false when there is no such row. */
bool tdr_decide(struct tdr_registry *reg,
                const char *child_id,
                const char *month,
                enum dlg_decision decision,
                int64_t at,
                const char *receipt);
/** Parent id by phone, or 0. */
int64_t tdr_parent_by_phone(const struct tdr_registry *reg, const char *phone);

#endif
