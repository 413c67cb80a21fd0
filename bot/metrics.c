/* SPDX-License-Identifier: MIT
 * The metrics registry and its Prometheus text rendering (format 0.0.4). Metrics are kept in
 * registration order, series in first-seen order; lookups are linear, which is cheap at the
 * sizes the caps allow. Loop thread only; nothing here logs. */
#include "bot/metrics.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum metric_kind {
    KIND_COUNTER,
    KIND_GAUGE,
    KIND_GAUGE_FN,
    KIND_HISTOGRAM,
};

struct series {
    char values[BOT_METRICS_MAX_LABELS][BOT_METRICS_MAX_VALUE];
    double value;                              /* counter, gauge; histogram sum */
    uint64_t count;                            /* histogram observations */
    uint64_t buckets[BOT_METRICS_MAX_BUCKETS]; /* histogram, not cumulative */
};

struct metric {
    char *name; /* owned */
    char *help; /* owned */
    enum metric_kind kind;
    char *labels[BOT_METRICS_MAX_LABELS]; /* owned */
    size_t n_labels;
    double bounds[BOT_METRICS_MAX_BUCKETS];
    size_t n_bounds;
    bot_metrics_gauge_fn fn; /* KIND_GAUGE_FN */
    void *fn_ctx;            /* borrowed */
    struct series *series;   /* owned array */
    size_t n_series;
    size_t cap_series;
};

/* A registration request, all borrowed. */
struct spec {
    enum metric_kind kind;
    const char *name;
    const char *help;
    const char *const *labels;
    size_t n_labels;
    const double *bounds;
    size_t n_bounds;
};

struct bot_metrics {
    struct metric **items; /* owned */
    size_t n;
    size_t cap;
};

static const double default_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                        0.25,  0.5,    1,     2.5,  5,     10};

int bot_metrics_new(struct bot_metrics **out)
{
    if (!out) {
        return CORE_EINVAL;
    }
    struct bot_metrics *metrics = calloc(1, sizeof *metrics);
    if (!metrics) {
        return CORE_ENOMEM;
    }
    *out = metrics;
    return CORE_OK;
}

static void metric_free(struct metric *m)
{
    if (!m) {
        return;
    }
    free(m->name);
    free(m->help);
    for (size_t i = 0; i < m->n_labels; i++) {
        free(m->labels[i]);
    }
    free(m->series);
    free(m);
}

void bot_metrics_free(struct bot_metrics *metrics)
{
    if (!metrics) {
        return;
    }
    for (size_t i = 0; i < metrics->n; i++) {
        metric_free(metrics->items[i]);
    }
    free(metrics->items);
    free(metrics);
}

static bool is_name_char(char c, bool first, bool colon_ok)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
        return true;
    }
    if (c == ':') {
        return colon_ok;
    }
    return !first && c >= '0' && c <= '9';
}

static bool valid_name(const char *name, bool colon_ok)
{
    if (!name || !name[0] || strlen(name) > 200) {
        return false;
    }
    for (size_t i = 0; name[i]; i++) {
        if (!is_name_char(name[i], i == 0, colon_ok)) {
            return false;
        }
    }
    return true;
}

static bool valid_label_names(const char *const *labels, size_t n)
{
    if (n > BOT_METRICS_MAX_LABELS || (n > 0 && !labels)) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!valid_name(labels[i], false) || strcmp(labels[i], "le") == 0 ||
            strncmp(labels[i], "__", 2) == 0) {
            return false;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(labels[i], labels[j]) == 0) {
                return false;
            }
        }
    }
    return true;
}

static bool valid_bounds(const double *bounds, size_t n)
{
    if (n == 0 || n > BOT_METRICS_MAX_BUCKETS) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) {
            return false;
        }
    }
    return true;
}

static struct metric *find(const struct bot_metrics *metrics, const char *name)
{
    for (size_t i = 0; i < metrics->n; i++) {
        if (strcmp(metrics->items[i]->name, name) == 0) {
            return metrics->items[i];
        }
    }
    return NULL;
}

/* True when an existing metric has exactly the shape of a new registration. */
static bool same_shape(const struct metric *m, const struct spec *spec)
{
    if (m->kind != spec->kind || m->n_labels != spec->n_labels || m->n_bounds != spec->n_bounds) {
        return false;
    }
    for (size_t i = 0; i < spec->n_labels; i++) {
        if (strcmp(m->labels[i], spec->labels[i]) != 0) {
            return false;
        }
    }
    for (size_t i = 0; i < spec->n_bounds; i++) {
        if (m->bounds[i] != spec->bounds[i]) {
            return false;
        }
    }
    return true;
}

static char *dup_str(const char *text)
{
    size_t len = strlen(text);
    char *copy = malloc(len + 1);
    if (copy) {
        memcpy(copy, text, len + 1);
    }
    return copy;
}

static int grow_items(struct bot_metrics *metrics)
{
    if (metrics->n < metrics->cap) {
        return CORE_OK;
    }
    size_t cap = metrics->cap ? metrics->cap * 2 : 16;
    struct metric **items = realloc(metrics->items, cap * sizeof *items);
    if (!items) {
        return CORE_ENOMEM;
    }
    metrics->items = items;
    metrics->cap = cap;
    return CORE_OK;
}

static int series_reserve(struct metric *m)
{
    if (m->n_series < m->cap_series) {
        return CORE_OK;
    }
    size_t cap = m->cap_series ? m->cap_series * 2 : 4;
    if (cap > BOT_METRICS_MAX_SERIES) {
        cap = BOT_METRICS_MAX_SERIES;
    }
    struct series *grown = realloc(m->series, cap * sizeof *grown);
    if (!grown) {
        return CORE_ENOMEM;
    }
    m->series = grown;
    m->cap_series = cap;
    return CORE_OK;
}

static struct metric *metric_alloc(const struct spec *spec)
{
    struct metric *m = calloc(1, sizeof *m);
    if (!m) {
        return NULL;
    }
    m->kind = spec->kind;
    m->name = dup_str(spec->name);
    m->help = dup_str(spec->help ? spec->help : "");
    bool ok = m->name && m->help;
    for (size_t i = 0; ok && i < spec->n_labels; i++) {
        m->labels[i] = dup_str(spec->labels[i]);
        m->n_labels = i + 1;
        ok = m->labels[i] != NULL;
    }
    for (size_t i = 0; i < spec->n_bounds; i++) {
        m->bounds[i] = spec->bounds[i];
    }
    m->n_bounds = spec->n_bounds;
    /* An unlabelled metric has one series from the start, so it renders as 0. */
    if (ok && spec->n_labels == 0 && spec->kind != KIND_GAUGE_FN) {
        ok = series_reserve(m) == CORE_OK;
        if (ok) {
            memset(&m->series[0], 0, sizeof m->series[0]);
            m->n_series = 1;
        }
    }
    if (!ok) {
        metric_free(m);
        return NULL;
    }
    return m;
}

static int register_metric(struct bot_metrics *metrics, const struct spec *spec)
{
    if (!metrics || !valid_name(spec->name, true) ||
        !valid_label_names(spec->labels, spec->n_labels)) {
        return CORE_EINVAL;
    }
    const struct metric *existing = find(metrics, spec->name);
    if (existing) {
        return same_shape(existing, spec) ? CORE_OK : CORE_EEXIST;
    }
    if (grow_items(metrics) != CORE_OK) {
        return CORE_ENOMEM;
    }
    struct metric *m = metric_alloc(spec);
    if (!m) {
        return CORE_ENOMEM;
    }
    metrics->items[metrics->n++] = m;
    return CORE_OK;
}

int bot_metrics_register_counter(struct bot_metrics *metrics,
                                 const char *name,
                                 const char *help,
                                 const char *const *label_names,
                                 size_t n_labels)
{
    struct spec spec = {KIND_COUNTER, name, help, label_names, n_labels, NULL, 0};
    return register_metric(metrics, &spec);
}

int bot_metrics_register_gauge(struct bot_metrics *metrics,
                               const char *name,
                               const char *help,
                               const char *const *label_names,
                               size_t n_labels)
{
    struct spec spec = {KIND_GAUGE, name, help, label_names, n_labels, NULL, 0};
    return register_metric(metrics, &spec);
}

int bot_metrics_register_gauge_fn(struct bot_metrics *metrics,
                                  const char *name,
                                  const char *help,
                                  bot_metrics_gauge_fn fn,
                                  void *ctx)
{
    if (!fn) {
        return CORE_EINVAL;
    }
    struct spec spec = {KIND_GAUGE_FN, name, help, NULL, 0, NULL, 0};
    int rc = register_metric(metrics, &spec);
    if (rc != CORE_OK) {
        return rc;
    }
    struct metric *m = find(metrics, name);
    m->fn = fn;
    m->fn_ctx = ctx;
    return CORE_OK;
}

int bot_metrics_register_histogram(struct bot_metrics *metrics,
                                   const struct bot_metrics_histogram_spec *histogram)
{
    if (!histogram) {
        return CORE_EINVAL;
    }
    struct spec spec = {KIND_HISTOGRAM,         histogram->name,     histogram->help,
                        histogram->label_names, histogram->n_labels, histogram->bounds,
                        histogram->n_bounds};
    if (!spec.bounds) {
        spec.bounds = default_bounds;
        spec.n_bounds = sizeof default_bounds / sizeof default_bounds[0];
    }
    if (!valid_bounds(spec.bounds, spec.n_bounds)) {
        return CORE_EINVAL;
    }
    return register_metric(metrics, &spec);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when the bytes there are not one. */
static size_t utf8_len(const unsigned char *p)
{
    size_t n = p[0] < 0x80                    ? 1
               : p[0] >= 0xC2 && p[0] <= 0xDF ? 2
               : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
               : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4
                                              : 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    return n;
}

/* Copies a label value: invalid UTF-8 bytes become '?' (the format requires UTF-8), and the
 * copy is cut to the slot without splitting a sequence. */
static void copy_value(char *dst, const char *src)
{
    const unsigned char *p = (const unsigned char *)src;
    size_t o = 0;
    while (*p) {
        size_t n = utf8_len(p);
        if (o + (n ? n : 1) > BOT_METRICS_MAX_VALUE - 1) {
            break;
        }
        if (n == 0) {
            dst[o++] = '?';
            p++;
            continue;
        }
        memcpy(dst + o, p, n);
        o += n;
        p += n;
    }
    dst[o] = '\0';
}

static bool
series_matches(const struct series *s, const char (*values)[BOT_METRICS_MAX_VALUE], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s->values[i], values[i]) != 0) {
            return false;
        }
    }
    return true;
}

static struct series *series_lookup(struct metric *m, const char (*values)[BOT_METRICS_MAX_VALUE])
{
    for (size_t i = 0; i < m->n_series; i++) {
        if (series_matches(&m->series[i], values, m->n_labels)) {
            return &m->series[i];
        }
    }
    return NULL;
}

static struct series *series_add(struct metric *m, const char (*values)[BOT_METRICS_MAX_VALUE])
{
    if (series_reserve(m) != CORE_OK || !m->series) {
        return NULL;
    }
    struct series *s = &m->series[m->n_series++];
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < m->n_labels; i++) {
        memcpy(s->values[i], values[i], BOT_METRICS_MAX_VALUE);
    }
    return s;
}

/* Finds or creates the series for label_values; past the cap, the shared "other" series. */
static int series_get(struct metric *m, const char *const *label_values, struct series **out)
{
    char values[BOT_METRICS_MAX_LABELS][BOT_METRICS_MAX_VALUE];
    if (m->n_labels > 0 && !label_values) {
        return CORE_EINVAL;
    }
    for (size_t i = 0; i < m->n_labels; i++) {
        if (!label_values[i]) {
            return CORE_EINVAL;
        }
        copy_value(values[i], label_values[i]);
    }
    struct series *s = series_lookup(m, (const char(*)[BOT_METRICS_MAX_VALUE])values);
    if (!s && m->n_series + 1 >= BOT_METRICS_MAX_SERIES) {
        for (size_t i = 0; i < m->n_labels; i++) {
            copy_value(values[i], "other");
        }
        s = series_lookup(m, (const char(*)[BOT_METRICS_MAX_VALUE])values);
    }
    if (!s) {
        s = series_add(m, (const char(*)[BOT_METRICS_MAX_VALUE])values);
    }
    if (!s) {
        return CORE_ENOMEM;
    }
    *out = s;
    return CORE_OK;
}

static int lookup(struct bot_metrics *metrics,
                  const char *name,
                  enum metric_kind kind,
                  const char *const *label_values,
                  struct series **out)
{
    if (!metrics || !name) {
        return CORE_EINVAL;
    }
    struct metric *m = find(metrics, name);
    if (!m) {
        return CORE_ENOTFOUND;
    }
    if (m->kind != kind) {
        return CORE_EINVAL;
    }
    return series_get(m, label_values, out);
}

int bot_metrics_counter_add(struct bot_metrics *metrics,
                            const char *name,
                            const char *const *label_values,
                            double delta)
{
    if (!isfinite(delta) || delta < 0) {
        return CORE_EINVAL;
    }
    struct series *s = NULL;
    int rc = lookup(metrics, name, KIND_COUNTER, label_values, &s);
    if (rc == CORE_OK) {
        s->value += delta;
    }
    return rc;
}

int bot_metrics_gauge_set(struct bot_metrics *metrics,
                          const char *name,
                          const char *const *label_values,
                          double value)
{
    struct series *s = NULL;
    int rc = lookup(metrics, name, KIND_GAUGE, label_values, &s);
    if (rc == CORE_OK) {
        s->value = value;
    }
    return rc;
}

int bot_metrics_gauge_add(struct bot_metrics *metrics,
                          const char *name,
                          const char *const *label_values,
                          double delta)
{
    if (!isfinite(delta)) {
        return CORE_EINVAL;
    }
    struct series *s = NULL;
    int rc = lookup(metrics, name, KIND_GAUGE, label_values, &s);
    if (rc == CORE_OK) {
        s->value += delta;
    }
    return rc;
}

int bot_metrics_observe(struct bot_metrics *metrics,
                        const char *name,
                        const char *const *label_values,
                        double value)
{
    if (!isfinite(value)) {
        return CORE_EINVAL;
    }
    struct series *s = NULL;
    int rc = lookup(metrics, name, KIND_HISTOGRAM, label_values, &s);
    if (rc != CORE_OK) {
        return rc;
    }
    struct metric *m = find(metrics, name);
    for (size_t i = 0; i < m->n_bounds; i++) {
        if (value <= m->bounds[i]) {
            s->buckets[i]++;
            break;
        }
    }
    s->count++;
    s->value += value;
    return CORE_OK;
}

/* ---- rendering ---- */

/* Shortest of %.15g / %.17g that reads back exactly; Prometheus spellings for the specials. */
static int append_number(struct core_buf *out, double v)
{
    if (isnan(v)) {
        return core_buf_append_str(out, "NaN");
    }
    if (isinf(v)) {
        return core_buf_append_str(out, v > 0 ? "+Inf" : "-Inf");
    }
    char text[40];
    snprintf(text, sizeof text, "%.15g", v);
    if (strtod(text, NULL) != v) {
        snprintf(text, sizeof text, "%.17g", v);
    }
    return core_buf_append_str(out, text);
}

/* Escapes backslash and newline (HELP), plus the double quote for label values. */
static int append_escaped(struct core_buf *out, const char *text, bool quote)
{
    int rc = CORE_OK;
    for (const char *p = text; *p && rc == CORE_OK; p++) {
        if (*p == '\\') {
            rc = core_buf_append_str(out, "\\\\");
        } else if (*p == '\n') {
            rc = core_buf_append_str(out, "\\n");
        } else if (*p == '"' && quote) {
            rc = core_buf_append_str(out, "\\\"");
        } else {
            rc = core_buf_append(out, p, 1);
        }
    }
    return rc;
}

/* Writes `{a="x",b="y"[,le="..."]}` or nothing when there are no labels at all. */
static int append_labels(struct core_buf *out,
                         const struct metric *m,
                         const struct series *s,
                         const double *le)
{
    if (m->n_labels == 0 && !le) {
        return CORE_OK;
    }
    int rc = core_buf_append_str(out, "{");
    for (size_t i = 0; i < m->n_labels && rc == CORE_OK; i++) {
        rc = core_buf_appendf(out, "%s%s=\"", i ? "," : "", m->labels[i]);
        if (rc == CORE_OK) {
            rc = append_escaped(out, s->values[i], true);
        }
        if (rc == CORE_OK) {
            rc = core_buf_append_str(out, "\"");
        }
    }
    if (rc == CORE_OK && le) {
        rc = core_buf_append_str(out, m->n_labels ? ",le=\"" : "le=\"");
        if (rc == CORE_OK) {
            rc = append_number(out, *le);
        }
        if (rc == CORE_OK) {
            rc = core_buf_append_str(out, "\"");
        }
    }
    return rc == CORE_OK ? core_buf_append_str(out, "}") : rc;
}

/* One sample line: name+suffix, labels (+ le), value. */
struct sample {
    const char *suffix; /* "", "_bucket", "_sum", "_count" */
    const double *le;   /* histogram bucket bound, NULL otherwise */
    double value;
};

static int append_sample(struct core_buf *out,
                         const struct metric *m,
                         const struct series *s,
                         struct sample sample)
{
    int rc = core_buf_appendf(out, "%s%s", m->name, sample.suffix);
    if (rc == CORE_OK) {
        rc = append_labels(out, m, s, sample.le);
    }
    if (rc == CORE_OK) {
        rc = core_buf_append_str(out, " ");
    }
    if (rc == CORE_OK) {
        rc = append_number(out, sample.value);
    }
    return rc == CORE_OK ? core_buf_append_str(out, "\n") : rc;
}

static int
render_histogram_series(struct core_buf *out, const struct metric *m, const struct series *s)
{
    uint64_t cumulative = 0;
    int rc = CORE_OK;
    for (size_t i = 0; i < m->n_bounds && rc == CORE_OK; i++) {
        cumulative += s->buckets[i];
        rc =
            append_sample(out, m, s, (struct sample){"_bucket", &m->bounds[i], (double)cumulative});
    }
    const double inf = INFINITY;
    if (rc == CORE_OK) {
        rc = append_sample(out, m, s, (struct sample){"_bucket", &inf, (double)s->count});
    }
    if (rc == CORE_OK) {
        rc = append_sample(out, m, s, (struct sample){"_sum", NULL, s->value});
    }
    if (rc == CORE_OK) {
        rc = append_sample(out, m, s, (struct sample){"_count", NULL, (double)s->count});
    }
    return rc;
}

static const char *kind_word(enum metric_kind kind)
{
    switch (kind) {
    case KIND_COUNTER:
        return "counter";
    case KIND_GAUGE:
    case KIND_GAUGE_FN:
        return "gauge";
    case KIND_HISTOGRAM:
        return "histogram";
    }
    return "untyped";
}

static int render_metric(struct core_buf *out, const struct metric *m)
{
    int rc = core_buf_appendf(out, "# HELP %s ", m->name);
    if (rc == CORE_OK) {
        rc = append_escaped(out, m->help, false);
    }
    if (rc == CORE_OK) {
        rc = core_buf_appendf(out, "\n# TYPE %s %s\n", m->name, kind_word(m->kind));
    }
    if (rc == CORE_OK && m->kind == KIND_GAUGE_FN) {
        double value = 0;
        if (m->fn(m->fn_ctx, &value) == CORE_OK) {
            struct series none = {0};
            rc = append_sample(out, m, &none, (struct sample){"", NULL, value});
        }
        return rc;
    }
    for (size_t i = 0; i < m->n_series && rc == CORE_OK; i++) {
        if (m->kind == KIND_HISTOGRAM) {
            rc = render_histogram_series(out, m, &m->series[i]);
        } else {
            rc =
                append_sample(out, m, &m->series[i], (struct sample){"", NULL, m->series[i].value});
        }
    }
    return rc;
}

int bot_metrics_render(struct bot_metrics *metrics, struct core_buf *out)
{
    if (!metrics || !out) {
        return CORE_EINVAL;
    }
    int rc = CORE_OK;
    for (size_t i = 0; i < metrics->n && rc == CORE_OK; i++) {
        rc = render_metric(out, metrics->items[i]);
    }
    return rc;
}
