/* SPDX-License-Identifier: MIT
 * The in-memory demo registry behind dialog tests (see dialogs_registry.h). */
#include "support/dialogs_registry.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/caltime.h"
#include "core/err.h"

static void copy(char *dst, size_t cap, const cJSON *item)
{
    const char *s = cJSON_IsString(item) ? item->valuestring : "";
    snprintf(dst, cap, "%s", s);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, 4096, f);
        len += n;
        if (n == 0) {
            break;
        }
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static int load_parents(struct tdr_registry *reg, const cJSON *arr)
{
    size_t n = (size_t)cJSON_GetArraySize(arr);
    reg->parents = calloc(n ? n : 1, sizeof *reg->parents);
    if (!reg->parents) {
        return CORE_ENOMEM;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        struct tdr_parent *p = &reg->parents[reg->n_parents++];
        p->p.id = (int64_t)reg->n_parents;
        copy(p->iin, sizeof p->iin, cJSON_GetObjectItem(it, "iin"));
        copy(p->phone, sizeof p->phone, cJSON_GetObjectItem(it, "phone"));
        copy(p->p.person.surname, sizeof p->p.person.surname, cJSON_GetObjectItem(it, "surname"));
        copy(p->p.person.given_name, sizeof p->p.person.given_name,
             cJSON_GetObjectItem(it, "given_name"));
        copy(p->p.person.patronymic, sizeof p->p.person.patronymic,
             cJSON_GetObjectItem(it, "patronymic"));
        copy(p->p.person.birth_date, sizeof p->p.person.birth_date,
             cJSON_GetObjectItem(it, "birth_date"));
        char g[4];
        copy(g, sizeof g, cJSON_GetObjectItem(it, "gender"));
        p->p.person.sex = g[0];
        char lang[4];
        copy(lang, sizeof lang, cJSON_GetObjectItem(it, "language"));
        int l = dlg_lang_parse(lang);
        p->p.lang = l < 0 ? DLG_LANG_KK : (enum dlg_lang)l;
    }
    return 0;
}

static int64_t parent_by_iin(const struct tdr_registry *reg, const char *iin)
{
    for (size_t i = 0; i < reg->n_parents; i++) {
        if (strcmp(reg->parents[i].iin, iin) == 0) {
            return reg->parents[i].p.id;
        }
    }
    return 0;
}

static const cJSON *kindergarten(const cJSON *root, const char *id)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(root, "kindergartens")) {
        const cJSON *kid = cJSON_GetObjectItem(it, "id");
        if (cJSON_IsString(kid) && strcmp(kid->valuestring, id) == 0) {
            return it;
        }
    }
    return NULL;
}

static int load_children(struct tdr_registry *reg, const cJSON *root)
{
    const cJSON *arr = cJSON_GetObjectItem(root, "children");
    size_t n = (size_t)cJSON_GetArraySize(arr);
    reg->children = calloc(n ? n : 1, sizeof *reg->children);
    if (!reg->children) {
        return CORE_ENOMEM;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        struct tdr_child *c = &reg->children[reg->n_children++];
        char iin[16], kg_id[64];
        copy(c->c.id, sizeof c->c.id, cJSON_GetObjectItem(it, "id"));
        copy(c->c.given_name, sizeof c->c.given_name, cJSON_GetObjectItem(it, "given_name"));
        copy(c->c.surname, sizeof c->c.surname, cJSON_GetObjectItem(it, "surname"));
        copy(iin, sizeof iin, cJSON_GetObjectItem(it, "parent_iin"));
        c->parent_id = parent_by_iin(reg, iin);
        const cJSON *v = cJSON_GetObjectItem(it, "voucher");
        copy(c->c.voucher_number, sizeof c->c.voucher_number, cJSON_GetObjectItem(v, "number"));
        const cJSON *status = cJSON_GetObjectItem(v, "status");
        c->c.voucher_cancelled =
            cJSON_IsString(status) && strcmp(status->valuestring, "cancelled") == 0;
        copy(kg_id, sizeof kg_id, cJSON_GetObjectItem(it, "kindergarten_id"));
        const cJSON *kg = kindergarten(root, kg_id);
        const cJSON *names = cJSON_GetObjectItem(kg, "name");
        copy(c->c.kindergarten[DLG_LANG_KK], sizeof c->c.kindergarten[0],
             cJSON_GetObjectItem(names, "kk"));
        copy(c->c.kindergarten[DLG_LANG_RU], sizeof c->c.kindergarten[0],
             cJSON_GetObjectItem(names, "ru"));
        copy(c->c.kindergarten[DLG_LANG_EN], sizeof c->c.kindergarten[0],
             cJSON_GetObjectItem(names, "en"));
    }
    return 0;
}

static int load_timesheets(struct tdr_registry *reg, const cJSON *arr)
{
    size_t n = (size_t)cJSON_GetArraySize(arr);
    reg->timesheets = calloc(n ? n : 1, sizeof *reg->timesheets);
    if (!reg->timesheets) {
        return CORE_ENOMEM;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        struct tdr_timesheet *t = &reg->timesheets[reg->n_timesheets++];
        char status[16], at[40];
        copy(t->child_id, sizeof t->child_id, cJSON_GetObjectItem(it, "child_id"));
        copy(t->ts.month, sizeof t->ts.month, cJSON_GetObjectItem(it, "month"));
        copy(t->ts.days, sizeof t->ts.days, cJSON_GetObjectItem(it, "days"));
        copy(status, sizeof status, cJSON_GetObjectItem(it, "status"));
        t->ts.status = strcmp(status, "confirmed") == 0  ? DLG_TS_CONFIRMED
                       : strcmp(status, "disputed") == 0 ? DLG_TS_DISPUTED
                                                         : DLG_TS_PENDING;
        copy(at, sizeof at, cJSON_GetObjectItem(it, "decided_at"));
        if (at[0] && core_iso8601_parse(at, &t->ts.decided_at) != 0) {
            return CORE_EBADINPUT;
        }
        copy(t->ts.receipt, sizeof t->ts.receipt, cJSON_GetObjectItem(it, "receipt"));
    }
    return 0;
}

int tdr_load(struct tdr_registry *reg, const char *path)
{
    memset(reg, 0, sizeof *reg);
    char *text = read_all(path);
    if (!text) {
        return CORE_EIO;
    }
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root) {
        return CORE_EBADINPUT;
    }
    int r = load_parents(reg, cJSON_GetObjectItem(root, "parents"));
    if (r == 0) {
        r = load_children(reg, root);
    }
    if (r == 0) {
        r = load_timesheets(reg, cJSON_GetObjectItem(root, "timesheets"));
    }
    cJSON_Delete(root);
    if (r != 0) {
        tdr_free(reg);
    }
    return r;
}

void tdr_free(struct tdr_registry *reg)
{
    free(reg->parents);
    free(reg->children);
    free(reg->timesheets);
    memset(reg, 0, sizeof *reg);
}

static int fail_now(struct tdr_registry *reg)
{
    reg->calls++;
    if (reg->fail_calls > 0) {
        reg->fail_calls--;
        return 1;
    }
    return 0;
}

static int v_find_holder(
    void *ctx, const char *phone, const char *iin, enum dlg_match *match, struct dlg_parent *out)
{
    struct tdr_registry *reg = ctx;
    if (fail_now(reg)) {
        return CORE_EDB;
    }
    *match = DLG_MATCH_NONE;
    for (size_t i = 0; i < reg->n_parents; i++) {
        if (strcmp(reg->parents[i].phone, phone) == 0 && strcmp(reg->parents[i].iin, iin) == 0) {
            *match = DLG_MATCH_OK;
            *out = reg->parents[i].p;
        }
    }
    return 0;
}

static int v_get_parent(void *ctx, int64_t id, struct dlg_parent *out)
{
    struct tdr_registry *reg = ctx;
    if (fail_now(reg)) {
        return CORE_EDB;
    }
    if (id < 1 || (size_t)id > reg->n_parents) {
        return CORE_ENOTFOUND;
    }
    *out = reg->parents[id - 1].p;
    return 0;
}

static int v_children(void *ctx, int64_t parent_id, struct dlg_child *out, size_t max, size_t *n)
{
    struct tdr_registry *reg = ctx;
    if (fail_now(reg)) {
        return CORE_EDB;
    }
    *n = 0;
    for (size_t i = 0; i < reg->n_children && *n < max; i++) {
        if (reg->children[i].parent_id == parent_id) {
            out[(*n)++] = reg->children[i].c;
        }
    }
    return 0;
}

static int
v_timesheets(void *ctx, const char *child_id, struct dlg_timesheet *out, size_t max, size_t *n)
{
    struct tdr_registry *reg = ctx;
    if (fail_now(reg)) {
        return CORE_EDB;
    }
    *n = 0;
    for (size_t i = 0; i < reg->n_timesheets && *n < max; i++) {
        if (strcmp(reg->timesheets[i].child_id, child_id) == 0) {
            out[(*n)++] = reg->timesheets[i].ts;
        }
    }
    /* newest month first */
    for (size_t i = 1; i < *n; i++) {
        for (size_t j = i; j > 0 && strcmp(out[j - 1].month, out[j].month) < 0; j--) {
            struct dlg_timesheet t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    }
    return 0;
}

void tdr_view(struct tdr_registry *reg, struct dlg_registry_view *view)
{
    view->ctx = reg;
    view->find_holder = v_find_holder;
    view->get_parent = v_get_parent;
    view->children = v_children;
    view->timesheets = v_timesheets;
}

bool tdr_decide(struct tdr_registry *reg,
                const char *child_id,
                const char *month,
                enum dlg_decision decision,
                int64_t at,
                const char *receipt)
{
    for (size_t i = 0; i < reg->n_timesheets; i++) {
        struct tdr_timesheet *t = &reg->timesheets[i];
        if (strcmp(t->child_id, child_id) == 0 && strcmp(t->ts.month, month) == 0) {
            t->ts.status = decision == DLG_DECISION_DISPUTE ? DLG_TS_DISPUTED : DLG_TS_CONFIRMED;
            t->ts.decided_at = at;
            snprintf(t->ts.receipt, sizeof t->ts.receipt, "%s", receipt);
            return true;
        }
    }
    return false;
}

int64_t tdr_parent_by_phone(const struct tdr_registry *reg, const char *phone)
{
    for (size_t i = 0; i < reg->n_parents; i++) {
        if (strcmp(reg->parents[i].phone, phone) == 0) {
            return reg->parents[i].p.id;
        }
    }
    return 0;
}
