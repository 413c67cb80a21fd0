/* SPDX-License-Identifier: MIT
 * `tabelbot telegram set-webhook [--config FILE]` and `tabelbot telegram delete-webhook
 * [--config FILE]`: tell Telegram where to deliver updates (webhook mode) or to stop (polling
 * mode needs no webhook: getUpdates answers 409 while one is set). setWebhook gets url =
 * server.public_url + "/webhook/telegram", the secret token, allowed_updates, max_connections
 * and drop_pending_updates from [telegram]. Blocks until Telegram answers (a CLI, not the loop).
 * Exit codes: 0 done, 1 refused or unreachable (one line says why), 2 usage. The token never
 * reaches the output. */
#include "bot/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/telegram.h"
#include "bot/cli.h"
#include "bot/config.h"
#include "bot/telegram.h"
#include "core/log.h"

#define CALL_TIMEOUT_MS 30000

extern char **environ;

static const char usage_line[] =
    "usage: tabelbot telegram set-webhook|delete-webhook [--config FILE]";

static int parse_args(int argc, char **argv, const char **action, const char **config_path)
{
    *action = NULL;
    *config_path = NULL;
    for (int i = 0; i < argc; i++) {
        int taken = bot_cli_take_config("telegram", argc, argv, &i, config_path);
        if (taken < 0) {
            return 2;
        }
        if (taken > 0) {
            continue;
        }
        if (!*action &&
            (strcmp(argv[i], "set-webhook") == 0 || strcmp(argv[i], "delete-webhook") == 0)) {
            *action = argv[i];
        } else {
            fprintf(stderr, "tabelbot telegram: unexpected argument '%s' (%s)\n", argv[i],
                    usage_line);
            return 2;
        }
    }
    if (!*action) {
        fprintf(stderr, "tabelbot telegram: missing action (%s)\n", usage_line);
        return 2;
    }
    return 0;
}

static int render_body(const struct bot_config *cfg, bool set, char **body, size_t *len)
{
    if (!set) {
        return ad_telegram_render_delete_webhook(cfg->telegram.drop_pending_updates, body, len);
    }
    char url[BOT_CFG_URL + 32];
    snprintf(url, sizeof url, "%s/webhook/telegram", cfg->server.public_url);
    struct ad_telegram_webhook hook = {.url = url,
                                       .secret_token = cfg->telegram.secret_token,
                                       .max_connections = cfg->telegram.max_connections,
                                       .drop_pending_updates = cfg->telegram.drop_pending_updates};
    return ad_telegram_render_set_webhook(&hook, body, len);
}

static int check_config(const struct bot_config *cfg, bool set)
{
    if (!cfg->telegram.token[0]) {
        fprintf(stderr, "tabelbot telegram: telegram.token is not set "
                        "(in the file or TABELBOT_TELEGRAM_TOKEN)\n");
        return 1;
    }
    if (set && !cfg->telegram.secret_token[0]) {
        fprintf(stderr, "tabelbot telegram: telegram.secret_token is not set: the webhook "
                        "would accept anyone's updates\n");
        return 1;
    }
    if (set && strncmp(cfg->server.public_url, "https://", 8) != 0) {
        fprintf(stderr, "tabelbot telegram: warning: server.public_url is not https://; "
                        "Telegram delivers webhooks over HTTPS only\n");
    }
    return 0;
}

static int run(const struct bot_config *cfg, bool set)
{
    int bad = check_config(cfg, set);
    if (bad) {
        return bad;
    }
    char *body = NULL;
    size_t len = 0;
    if (render_body(cfg, set, &body, &len) != CORE_OK) {
        fprintf(stderr, "tabelbot telegram: out of memory\n");
        return 1;
    }
    long status = 0;
    char description[256] = "";
    const char *method = set ? "setWebhook" : "deleteWebhook";
    int rc = bot_telegram_call_blocking(cfg, method, body, CALL_TIMEOUT_MS, &status, description,
                                        sizeof description);
    free(body);
    if (rc != CORE_OK) {
        fprintf(stderr, "tabelbot telegram: %s failed (HTTP %ld): %s\n", method, status,
                description[0] ? description : core_strerror(rc));
        return 1;
    }
    if (set) {
        printf("telegram: webhook set to %s/webhook/telegram\n", cfg->server.public_url);
    } else {
        printf("telegram: webhook deleted\n");
    }
    return 0;
}

int bot_cmd_telegram(int argc, char **argv)
{
    const char *action = NULL;
    const char *config_path = NULL;
    int usage = parse_args(argc, argv, &action, &config_path);
    if (usage != 0) {
        return usage;
    }
    struct bot_config *cfg = malloc(sizeof *cfg);
    if (!cfg) {
        fprintf(stderr, "tabelbot telegram: out of memory\n");
        return 1;
    }
    char err[512] = "";
    if (bot_config_load(config_path, environ, cfg, err, sizeof err) != CORE_OK) {
        fprintf(stderr, "tabelbot telegram: config: %s\n", err);
        free(cfg);
        return 1;
    }
    core_log_set_level(CORE_LOG_WARN);
    int rc = run(cfg, strcmp(action, "set-webhook") == 0);
    bot_config_wipe(cfg);
    free(cfg);
    return rc;
}
