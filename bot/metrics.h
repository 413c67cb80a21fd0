/* SPDX-License-Identifier: MIT
 * The metrics registry: counters, gauges (set directly or read through a callback at scrape
 * time) and histograms, each with a small fixed label set, rendered in the Prometheus text
 * exposition format 0.0.4. One registry per process, created by the runtime (bot/serve) and
 * passed to whoever records; it is used from the loop thread only (no locking).
 * Cardinality is bounded: each metric holds at most BOT_METRICS_MAX_SERIES label combinations;
 * further combinations are folded into one series whose label values are all "other".
 * Label values are copied (truncated to BOT_METRICS_MAX_VALUE - 1 bytes) and escaped on render.
 *
 * Names used across the service (register them once, record by name):
 *   tabelbot_http_requests_total{route,status}            counter   (bot/http_server)
 *   tabelbot_http_request_duration_seconds{route}          histogram (bot/http_server)
 *   tabelbot_http_connections                              gauge     (bot/http_server)
 *   tabelbot_inbox_depth, tabelbot_outbox_depth            gauge callbacks (runtime)
 *   tabelbot_outbox_attempts_total{channel}                counter   (outbox)
 *   tabelbot_outbox_failures_total{channel,reason}         counter   (outbox) */
#ifndef BOT_METRICS_H
#define BOT_METRICS_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#define BOT_METRICS_MAX_LABELS  4   /* label names per metric */
#define BOT_METRICS_MAX_SERIES  256 /* label combinations per metric, "other" included */
#define BOT_METRICS_MAX_VALUE   64  /* bytes kept of a label value, NUL included */
#define BOT_METRICS_MAX_BUCKETS 24  /* histogram upper bounds, +Inf excluded */

/* Names of the metrics other parts record into. */
#define BOT_METRIC_HTTP_REQUESTS    "tabelbot_http_requests_total"
#define BOT_METRIC_HTTP_DURATION    "tabelbot_http_request_duration_seconds"
#define BOT_METRIC_HTTP_CONNECTIONS "tabelbot_http_connections"
#define BOT_METRIC_INBOX_DEPTH      "tabelbot_inbox_depth"
#define BOT_METRIC_OUTBOX_DEPTH     "tabelbot_outbox_depth"
#define BOT_METRIC_OUTBOX_ATTEMPTS  "tabelbot_outbox_attempts_total"
#define BOT_METRIC_OUTBOX_FAILURES  "tabelbot_outbox_failures_total"
#define BOT_METRICS_CONTENT_TYPE    "text/plain; version=0.0.4; charset=utf-8"

struct bot_metrics;

/** Reads a gauge at scrape time (on the loop thread, inside bot_metrics_render). Returns 0 and
 * writes *value, or a negative core_err: the sample is then left out of that scrape. */
typedef int (*bot_metrics_gauge_fn)(void *ctx, double *value);

/** Creates an empty registry. *out is owned by the caller: release with bot_metrics_free. */
CORE_NODISCARD int bot_metrics_new(struct bot_metrics **out);
/** Frees the registry and every series; NULL is fine. Gauge callback contexts are not touched. */
void bot_metrics_free(struct bot_metrics *metrics);

/** Registers a counter named `name` ([a-zA-Z_:][a-zA-Z0-9_:]*) with `help` text and
 * n_labels label names ([a-zA-Z_][a-zA-Z0-9_]*, not "le", not starting with "__"). Strings are
 * copied. Registering the same name again with the same kind and label names returns 0 (so
 * every user may register what it records); any other clash returns CORE_EEXIST.
 * Returns CORE_EINVAL for a bad name, label or count, CORE_ENOMEM. */
CORE_NODISCARD int bot_metrics_register_counter(struct bot_metrics *metrics,
                                                const char *name,
                                                const char *help,
                                                const char *const *label_names,
                                                size_t n_labels);
/** Same contract as bot_metrics_register_counter, for a gauge set with bot_metrics_gauge_set. */
CORE_NODISCARD int bot_metrics_register_gauge(struct bot_metrics *metrics,
                                              const char *name,
                                              const char *help,
                                              const char *const *label_names,
                                              size_t n_labels);
/** Registers an unlabelled gauge whose value `fn(ctx, &v)` provides at every render. ctx is
 * borrowed and must outlive the registry (or the next re-registration). Registering the name
 * again as a callback gauge replaces fn and ctx. */
CORE_NODISCARD int bot_metrics_register_gauge_fn(struct bot_metrics *metrics,
                                                 const char *name,
                                                 const char *help,
                                                 bot_metrics_gauge_fn fn,
                                                 void *ctx);
/** A histogram registration. `bounds` are n_bounds strictly increasing finite upper bounds
 * (at most BOT_METRICS_MAX_BUCKETS); NULL uses the latency default 0.001 .. 10 seconds
 * (0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10). +Inf is always added.
 * Everything is borrowed for the call (copied). */
struct bot_metrics_histogram_spec {
    const char *name;
    const char *help;
    const char *const *label_names;
    size_t n_labels;
    const double *bounds;
    size_t n_bounds;
};

/** Registers a histogram; same rules and returns as bot_metrics_register_counter (the same
 * bounds are part of "the same shape"), CORE_EINVAL for bad bounds. */
CORE_NODISCARD int bot_metrics_register_histogram(struct bot_metrics *metrics,
                                                  const struct bot_metrics_histogram_spec *spec);

/** Adds delta (>= 0, finite) to the counter series named by label_values (one value per
 * registered label, in order; NULL when the metric has no labels). Returns CORE_ENOTFOUND for
 * an unknown name, CORE_EINVAL for a kind mismatch or a bad delta, CORE_ENOMEM. */
CORE_NODISCARD int bot_metrics_counter_add(struct bot_metrics *metrics,
                                           const char *name,
                                           const char *const *label_values,
                                           double delta);
/** Sets a gauge series (registered with bot_metrics_register_gauge). Same returns. */
CORE_NODISCARD int bot_metrics_gauge_set(struct bot_metrics *metrics,
                                         const char *name,
                                         const char *const *label_values,
                                         double value);
/** Adds a (possibly negative) delta to a gauge series. Same returns. */
CORE_NODISCARD int bot_metrics_gauge_add(struct bot_metrics *metrics,
                                         const char *name,
                                         const char *const *label_values,
                                         double delta);
/** Records one observation (finite) in a histogram series. Same returns. */
CORE_NODISCARD int bot_metrics_observe(struct bot_metrics *metrics,
                                       const char *name,
                                       const char *const *label_values,
                                       double value);

/** Appends the whole registry in text format 0.0.4 to out (registration order; each metric's
 * HELP and TYPE lines, then its series in first-seen order). Calls the gauge callbacks.
 * Serve it with Content-Type BOT_METRICS_CONTENT_TYPE. Returns CORE_ETOOBIG or CORE_ENOMEM
 * from the buffer (out then holds a truncated rendering: discard it). */
CORE_NODISCARD int bot_metrics_render(struct bot_metrics *metrics, struct core_buf *out);

#endif
