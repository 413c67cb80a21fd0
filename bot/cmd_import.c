/* SPDX-License-Identifier: MIT
 * `tabelbot import [--config FILE] [--stats] FILE`: loads a tabelbot-registry/1 file ("-" for
 * stdin) into the database named by the config, in one transaction. Prints one summary line
 * on success (exit 0), one error line on a bad file or a runtime failure (exit 1), one usage
 * line on bad arguments (exit 2). --stats adds elapsed time and peak memory on stderr. */
#include "bot/commands.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bot/cli.h"
#include "bot/config.h"
#include "bot/crypto.h"
#include "bot/import.h"
#include "bot/keystore.h"
#include "db/db.h"

extern char **environ;

struct import_args {
    const char *config;
    const char *file;
    bool stats;
};

static int usage(const char *why)
{
    fprintf(stderr,
            "tabelbot: import: %s (usage: tabelbot import [--config FILE] [--stats] FILE)\n", why);
    return 2;
}

/* Returns -1 when the arguments are fine, else the exit code. */
static int parse_args(int argc, char **argv, struct import_args *a)
{
    bool options = true;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        int taken = options ? bot_cli_take_config("import", argc, argv, &i, &a->config) : 0;
        if (taken < 0) {
            return 2;
        }
        if (taken > 0) {
            continue;
        }
        if (options && strcmp(arg, "--") == 0) {
            options = false;
        } else if (options && strcmp(arg, "--stats") == 0) {
            a->stats = true;
        } else if (options && arg[0] == '-' && arg[1] != '\0') {
            char why[96];
            snprintf(why, sizeof why, "unknown option '%.40s'", arg);
            return usage(why);
        } else if (a->file) {
            return usage("only one FILE at a time");
        } else {
            a->file = arg;
        }
    }
    if (!a->file) {
        return usage("missing FILE");
    }
    return -1;
}

/* Peak resident memory of this process in KiB, from /proc (0 when unavailable). */
static long peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    long kib = 0;
    char line[128];
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1) {
            break;
        }
    }
    if (f) {
        fclose(f);
    }
    return kib;
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Opens the key and the database (creating them when the config allows). 0 or exit code 1. */
static int open_store(const struct bot_config *cfg, struct bot_crypto **crypto, struct db **db)
{
    int rc = db_open(cfg->database.path, db);
    if (rc != CORE_OK) {
        fprintf(stderr, "tabelbot: import: cannot open the database %s: %s\n", cfg->database.path,
                core_strerror(rc));
        return 1;
    }
    char err[512];
    rc = bot_keystore_open(*db, cfg, crypto, err, sizeof err);
    if (rc != CORE_OK) {
        fprintf(stderr, "tabelbot: import: %s\n", err);
        db_close(*db);
        *db = NULL;
        return 1;
    }
    return 0;
}

static int run_import(const struct bot_config *cfg, const struct import_args *a)
{
    /* The file first: a wrong path must not leave a new database or key behind. */
    bool use_stdin = strcmp(a->file, "-") == 0;
    FILE *in = use_stdin ? stdin : fopen(a->file, "rb");
    if (!in) {
        fprintf(stderr, "tabelbot: import: cannot open %s: %s\n", a->file, strerror(errno));
        return 1;
    }
    struct bot_crypto *crypto = NULL;
    struct db *db = NULL;
    if (open_store(cfg, &crypto, &db) != 0) {
        if (!use_stdin) {
            fclose(in);
        }
        return 1;
    }
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    struct bot_import_summary sum = {0};
    char err[BOT_IMPORT_ERROR_MAX];
    int rc = bot_import_stream(db, crypto, in, (int64_t)time(NULL), &sum, err, sizeof err);
    if (!use_stdin) {
        fclose(in);
    }
    if (rc != CORE_OK) {
        fprintf(stderr, "tabelbot: import: %s: %s (nothing imported)\n", a->file, err);
    } else {
        char line[256];
        bot_import_summary_format(&sum, line, sizeof line);
        printf("%s\n", line);
    }
    if (a->stats) {
        fprintf(stderr,
                "stats: elapsed_s=%.2f peak_rss_kib=%ld inserted=%zu updated=%zu unchanged=%zu"
                " iin_hints=%zu\n",
                seconds_since(&start), peak_rss_kib(), sum.inserted, sum.updated, sum.unchanged,
                sum.iin_hints);
    }
    db_close(db);
    bot_crypto_close(crypto);
    return rc == CORE_OK ? 0 : 1;
}

int bot_cmd_import(int argc, char **argv)
{
    struct import_args args = {0};
    int code = parse_args(argc, argv, &args);
    if (code >= 0) {
        return code;
    }
    struct bot_config cfg;
    char err[512];
    if (bot_config_load(args.config, environ, &cfg, err, sizeof err) != CORE_OK) {
        fprintf(stderr, "tabelbot: import: %s\n", err);
        bot_config_wipe(&cfg);
        return 1;
    }
    code = run_import(&cfg, &args);
    bot_config_wipe(&cfg);
    return code;
}
