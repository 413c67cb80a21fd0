/* SPDX-License-Identifier: MIT
 * bot/metrics: registration rules, recording, bounded cardinality and the exact Prometheus
 * text format 0.0.4 (HELP/TYPE lines, label escaping, histogram buckets, +Inf, _sum, _count). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bot/metrics.h"

static char *render(struct bot_metrics *m, struct core_buf *out)
{
    core_buf_init(out, 0);
    assert_int_equal(bot_metrics_render(m, out), 0);
    return out->data ? out->data : "";
}

static void test_metrics_counter_text_format(void **state)
{
    (void)state;
    struct bot_metrics *m = NULL;
    assert_int_equal(bot_metrics_new(&m), 0);
    const char *labels[] = {"channel", "reason"};
    assert_int_equal(bot_metrics_register_counter(m, BOT_METRIC_OUTBOX_FAILURES,
                                                  "Failed sends\\by \"reason\"\nsecond line",
                                                  labels, 2),
                     0);
    assert_int_equal(bot_metrics_counter_add(m, BOT_METRIC_OUTBOX_FAILURES,
                                             (const char *[]){"sms", "http 500"}, 1),
                     0);
    assert_int_equal(bot_metrics_counter_add(m, BOT_METRIC_OUTBOX_FAILURES,
                                             (const char *[]){"sms", "http 500"}, 2),
                     0);
    assert_int_equal(bot_metrics_counter_add(m, BOT_METRIC_OUTBOX_FAILURES,
                                             (const char *[]){"tg", "q\"b\\s\nn"}, 0.5),
                     0);
    struct core_buf out;
    const char *text = render(m, &out);
    assert_string_equal(text,
                        "# HELP tabelbot_outbox_failures_total Failed sends\\\\by "
                        "\"reason\"\\nsecond line\n"
                        "# TYPE tabelbot_outbox_failures_total counter\n"
                        "tabelbot_outbox_failures_total{channel=\"sms\",reason=\"http 500\"} "
                        "3\n"
                        "tabelbot_outbox_failures_total{channel=\"tg\",reason=\"q\\\"b\\\\s\\nn\"}"
                        " 0.5\n");
    core_buf_cleanup(&out);
    bot_metrics_free(m);
}

static void test_metrics_histogram_buckets_sum_count(void **state)
{
    (void)state;
    struct bot_metrics *m = NULL;
    assert_int_equal(bot_metrics_new(&m), 0);
    const double bounds[] = {0.1, 1, 10};
    const char *labels[] = {"route"};
    const struct bot_metrics_histogram_spec spec = {"lat_seconds", "Latency", labels, 1, bounds, 3};
    assert_int_equal(bot_metrics_register_histogram(m, &spec), 0);
    assert_int_equal(bot_metrics_register_histogram(m, &spec), 0); /* same shape: fine */
    const struct bot_metrics_histogram_spec other = {"lat_seconds", "Latency", labels, 1,
                                                     bounds,        2};
    assert_int_equal(bot_metrics_register_histogram(m, &other), CORE_EEXIST);
    const char *route[] = {"hook"};
    assert_int_equal(bot_metrics_observe(m, "lat_seconds", route, 0.05), 0);
    assert_int_equal(bot_metrics_observe(m, "lat_seconds", route, 0.1), 0); /* le is inclusive */
    assert_int_equal(bot_metrics_observe(m, "lat_seconds", route, 2), 0);
    assert_int_equal(bot_metrics_observe(m, "lat_seconds", route, 100), 0);
    struct core_buf out;
    const char *text = render(m, &out);
    assert_string_equal(text, "# HELP lat_seconds Latency\n"
                              "# TYPE lat_seconds histogram\n"
                              "lat_seconds_bucket{route=\"hook\",le=\"0.1\"} 2\n"
                              "lat_seconds_bucket{route=\"hook\",le=\"1\"} 2\n"
                              "lat_seconds_bucket{route=\"hook\",le=\"10\"} 3\n"
                              "lat_seconds_bucket{route=\"hook\",le=\"+Inf\"} 4\n"
                              "lat_seconds_sum{route=\"hook\"} 102.15\n"
                              "lat_seconds_count{route=\"hook\"} 4\n");
    core_buf_cleanup(&out);
    assert_int_equal(bot_metrics_observe(m, "lat_seconds", route, NAN), CORE_EINVAL);
    bot_metrics_free(m);
}

static void test_metrics_default_latency_buckets_unlabelled(void **state)
{
    (void)state;
    struct bot_metrics *m = NULL;
    assert_int_equal(bot_metrics_new(&m), 0);
    const struct bot_metrics_histogram_spec spec = {.name = "d_seconds", .help = "D"};
    assert_int_equal(bot_metrics_register_histogram(m, &spec), 0);
    struct core_buf out;
    const char *text = render(m, &out);
    /* Unlabelled metrics exist from registration, at zero. */
    assert_non_null(strstr(text, "d_seconds_bucket{le=\"0.001\"} 0\n"));
    assert_non_null(strstr(text, "d_seconds_bucket{le=\"0.0025\"} 0\n"));
    assert_non_null(strstr(text, "d_seconds_bucket{le=\"10\"} 0\n"));
    assert_non_null(strstr(text, "d_seconds_bucket{le=\"+Inf\"} 0\n"));
    assert_non_null(strstr(text, "d_seconds_sum 0\nd_seconds_count 0\n"));
    core_buf_cleanup(&out);
    bot_metrics_free(m);
}

static int depth_value;

static int read_depth(void *ctx, double *value)
{
    int *calls = ctx;
    (*calls)++;
    *value = depth_value;
    return depth_value < 0 ? CORE_EDB : CORE_OK;
}

static void test_metrics_gauges_and_callbacks(void **state)
{
    (void)state;
    struct bot_metrics *m = NULL;
    int calls = 0;
    assert_int_equal(bot_metrics_new(&m), 0);
    assert_int_equal(
        bot_metrics_register_gauge_fn(m, BOT_METRIC_INBOX_DEPTH, "Inbox rows", read_depth, &calls),
        0);
    assert_int_equal(bot_metrics_register_gauge(m, "g", "G", NULL, 0), 0);
    assert_int_equal(bot_metrics_gauge_set(m, "g", NULL, 5), 0);
    assert_int_equal(bot_metrics_gauge_add(m, "g", NULL, -7.25), 0);
    depth_value = 42;
    struct core_buf out;
    const char *text = render(m, &out);
    assert_string_equal(text, "# HELP tabelbot_inbox_depth Inbox rows\n"
                              "# TYPE tabelbot_inbox_depth gauge\n"
                              "tabelbot_inbox_depth 42\n"
                              "# HELP g G\n# TYPE g gauge\ng -2.25\n");
    core_buf_cleanup(&out);
    assert_int_equal(calls, 1);
    depth_value = -1; /* a failing callback leaves its sample out */
    text = render(m, &out);
    assert_null(strstr(text, "tabelbot_inbox_depth -1"));
    assert_non_null(strstr(text, "# TYPE tabelbot_inbox_depth gauge\n# HELP g G"));
    core_buf_cleanup(&out);
    assert_int_equal(calls, 2);
    bot_metrics_free(m);
}

static void test_metrics_registration_rules(void **state)
{
    (void)state;
    struct bot_metrics *m = NULL;
    assert_int_equal(bot_metrics_new(&m), 0);
    const char *ch[] = {"channel"};
    const char *other[] = {"kind"};
    const char *le[] = {"le"};
    const char *dunder[] = {"__x"};
    const char *dup[] = {"a", "a"};
    assert_int_equal(bot_metrics_register_counter(m, "c_total", "C", ch, 1), 0);
    assert_int_equal(bot_metrics_register_counter(m, "c_total", "C again", ch, 1), 0);
    assert_int_equal(bot_metrics_register_counter(m, "c_total", "C", other, 1), CORE_EEXIST);
    assert_int_equal(bot_metrics_register_gauge(m, "c_total", "C", ch, 1), CORE_EEXIST);
    assert_int_equal(bot_metrics_register_counter(m, "1bad", "x", NULL, 0), CORE_EINVAL);
    assert_int_equal(bot_metrics_register_counter(m, "bad-name", "x", NULL, 0), CORE_EINVAL);
    assert_int_equal(bot_metrics_register_counter(m, "x", "x", le, 1), CORE_EINVAL);
    assert_int_equal(bot_metrics_register_counter(m, "x", "x", dunder, 1), CORE_EINVAL);
    assert_int_equal(bot_metrics_register_counter(m, "x", "x", dup, 2), CORE_EINVAL);
    assert_int_equal(bot_metrics_register_counter(m, "x", "x", ch, BOT_METRICS_MAX_LABELS + 1),
                     CORE_EINVAL);
    const double unordered[] = {1, 0.5};
    const struct bot_metrics_histogram_spec bad = {"h", "h", NULL, 0, unordered, 2};
    assert_int_equal(bot_metrics_register_histogram(m, &bad), CORE_EINVAL);
    assert_int_equal(bot_metrics_register_histogram(m, NULL), CORE_EINVAL);
    assert_int_equal(bot_metrics_counter_add(m, "missing", NULL, 1), CORE_ENOTFOUND);
    assert_int_equal(bot_metrics_counter_add(m, "c_total", NULL, 1), CORE_EINVAL);
    assert_int_equal(bot_metrics_counter_add(m, "c_total", ch, -1), CORE_EINVAL);
    assert_int_equal(bot_metrics_gauge_set(m, "c_total", ch, 1), CORE_EINVAL);
    assert_int_equal(bot_metrics_observe(m, "c_total", ch, 1), CORE_EINVAL);
    bot_metrics_free(m);
    bot_metrics_free(NULL);
}

static void test_metrics_cardinality_is_capped(void **state)
{
    (void)state;
    struct bot_metrics *m = NULL;
    assert_int_equal(bot_metrics_new(&m), 0);
    const char *labels[] = {"chat"};
    assert_int_equal(bot_metrics_register_counter(m, "abuse_total", "A", labels, 1), 0);
    for (int i = 0; i < 1000; i++) {
        char value[16];
        snprintf(value, sizeof value, "v%d", i);
        assert_int_equal(bot_metrics_counter_add(m, "abuse_total", (const char *[]){value}, 1), 0);
    }
    struct core_buf out;
    const char *text = render(m, &out);
    size_t lines = 0;
    for (const char *p = text; *p; p++) {
        lines += *p == '\n';
    }
    assert_int_equal(lines, 2 + BOT_METRICS_MAX_SERIES);
    char other[64];
    snprintf(other, sizeof other, "abuse_total{chat=\"other\"} %d\n",
             1000 - (BOT_METRICS_MAX_SERIES - 1));
    assert_non_null(strstr(text, other));
    assert_non_null(strstr(text, "abuse_total{chat=\"v0\"} 1\n"));
    core_buf_cleanup(&out);
    /* An existing series keeps counting after the cap. */
    assert_int_equal(bot_metrics_counter_add(m, "abuse_total", (const char *[]){"v1"}, 1), 0);
    text = render(m, &out);
    assert_non_null(strstr(text, "abuse_total{chat=\"v1\"} 2\n"));
    core_buf_cleanup(&out);
    bot_metrics_free(m);
}

static void test_metrics_long_label_value_truncated_on_utf8_boundary(void **state)
{
    (void)state;
    struct bot_metrics *m = NULL;
    assert_int_equal(bot_metrics_new(&m), 0);
    const char *labels[] = {"v"};
    assert_int_equal(bot_metrics_register_counter(m, "t_total", "T", labels, 1), 0);
    char value[200];
    for (int i = 0; i < 40; i++) {
        memcpy(value + 2 * i, "ә", 2); /* two bytes each: 80 bytes */
    }
    value[80] = '\0';
    assert_int_equal(bot_metrics_counter_add(m, "t_total", (const char *[]){value}, 1), 0);
    struct core_buf out;
    const char *text = render(m, &out);
    /* 63 bytes fit; the 32nd letter would be cut in half, so 31 letters (62 bytes) stay. */
    char kept[100];
    for (int i = 0; i < (BOT_METRICS_MAX_VALUE - 1) / 2; i++) {
        memcpy(kept + 2 * i, "ә", 2);
    }
    kept[BOT_METRICS_MAX_VALUE - 2] = '\0';
    char expect[200];
    snprintf(expect, sizeof expect, "t_total{v=\"%s\"} 1\n", kept);
    assert_non_null(strstr(text, expect));
    core_buf_cleanup(&out);
    /* Bytes that are not UTF-8 never reach the exposition. */
    assert_int_equal(
        bot_metrics_counter_add(m, "t_total", (const char *[]){"a\xff\xc3 b\xe2\x82"}, 1), 0);
    text = render(m, &out);
    assert_non_null(strstr(text, "t_total{v=\"a?? b??\"} 1\n"));
    core_buf_cleanup(&out);
    bot_metrics_free(m);
}

static void test_metrics_number_formatting(void **state)
{
    (void)state;
    struct bot_metrics *m = NULL;
    assert_int_equal(bot_metrics_new(&m), 0);
    assert_int_equal(bot_metrics_register_gauge(m, "a", "a", NULL, 0), 0);
    assert_int_equal(bot_metrics_register_gauge(m, "b", "b", NULL, 0), 0);
    assert_int_equal(bot_metrics_register_gauge(m, "c", "c", NULL, 0), 0);
    assert_int_equal(bot_metrics_gauge_set(m, "a", NULL, 0.1), 0);
    assert_int_equal(bot_metrics_gauge_set(m, "b", NULL, 1e20), 0);
    assert_int_equal(bot_metrics_gauge_set(m, "c", NULL, INFINITY), 0);
    struct core_buf out;
    const char *text = render(m, &out);
    assert_non_null(strstr(text, "\na 0.1\n"));
    assert_non_null(strstr(text, "\nb 1e+20\n"));
    assert_non_null(strstr(text, "\nc +Inf\n"));
    core_buf_cleanup(&out);
    /* A capped buffer reports the overflow instead of a silent cut. */
    core_buf_init(&out, 16);
    assert_int_equal(bot_metrics_render(m, &out), CORE_ETOOBIG);
    core_buf_cleanup(&out);
    bot_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_counter_text_format),
        cmocka_unit_test(test_metrics_histogram_buckets_sum_count),
        cmocka_unit_test(test_metrics_default_latency_buckets_unlabelled),
        cmocka_unit_test(test_metrics_gauges_and_callbacks),
        cmocka_unit_test(test_metrics_registration_rules),
        cmocka_unit_test(test_metrics_cardinality_is_capped),
        cmocka_unit_test(test_metrics_long_label_value_truncated_on_utf8_boundary),
        cmocka_unit_test(test_metrics_number_formatting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
