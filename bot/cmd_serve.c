/* SPDX-License-Identifier: MIT
 * `tabelbot serve [--config FILE]`: load the config, build the runtime, run until a signal.
 * Exit codes: 0 after a clean stop, 1 when the start fails (one line), 2 for usage errors. */
#include "bot/commands.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/app.h"
#include "bot/cli.h"
#include "bot/config.h"
#include "bot/wiring.h"
#include "core/log.h"

extern char **environ;

static int serve(const struct bot_config *cfg)
{
    char err[512] = "";
    struct bot_app *app = NULL;
    if (bot_app_new(cfg, getenv("TABELBOT_NOW"), &app, err, sizeof err) != CORE_OK) {
        fprintf(stderr, "tabelbot serve: %s\n", err);
        return 1;
    }
    struct bot_wiring *wiring = malloc(sizeof *wiring);
    int rc = wiring ? bot_wiring_attach(wiring, app, err, sizeof err) : CORE_ENOMEM;
    if (rc == CORE_OK) {
        rc = bot_app_run(app, stdout, err, sizeof err);
    }
    bot_app_free(app);
    free(wiring);
    if (rc != CORE_OK) {
        fprintf(stderr, "tabelbot serve: %s\n", err);
        return 1;
    }
    return 0;
}

int bot_cmd_serve(int argc, char **argv)
{
    const char *config_path = NULL;
    int usage = bot_cli_config_only("serve", "serve [--config FILE]", argc, argv, &config_path);
    if (usage != 0) {
        return usage;
    }
    struct bot_config *cfg = malloc(sizeof *cfg);
    if (!cfg) {
        fprintf(stderr, "tabelbot serve: out of memory\n");
        return 1;
    }
    char err[512] = "";
    if (bot_config_load(config_path, environ, cfg, err, sizeof err) != CORE_OK) {
        fprintf(stderr, "tabelbot serve: config: %s\n", err);
        free(cfg);
        return 1;
    }
    enum core_log_level level = CORE_LOG_INFO;
    if (core_log_level_parse(cfg->log.level, &level) == CORE_OK) {
        core_log_set_level(level);
    }
    signal(SIGPIPE, SIG_IGN); /* a peer closing early is an error return, not a process kill */
    int rc = serve(cfg);
    bot_config_wipe(cfg);
    free(cfg);
    return rc;
}
