/* SPDX-License-Identifier: MIT
 * Command-line parsing and dispatch to the commands. */
#include "bot/cli.h"

#include "bot/commands.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: tabelbot <command> [options]\n"
    "commands:\n"
    "  serve [--config FILE]          run the service\n"
    "  migrate [--config FILE]        create or upgrade the database schema\n"
    "  import [--config FILE] FILE    load a tabelbot-registry/1 file\n"
    "  chat [--config FILE]           talk to the bot in this terminal\n"
    "  telegram set-webhook [--config FILE]\n"
    "                                 point Telegram at server.public_url/webhook/telegram\n"
    "  telegram delete-webhook [--config FILE]\n"
    "                                 remove the webhook (needed before polling mode)\n"
    "  version                        print the version\n"
    "  --help                         this text\n";

int bot_cli_take_config(const char *command, int argc, char **argv, int *i, const char **path)
{
    const char *arg = argv[*i];
    const char *value = NULL;
    if (strcmp(arg, "--config") == 0) {
        value = *i + 1 < argc ? argv[*i + 1] : "";
        *i += *i + 1 < argc ? 1 : 0;
    } else if (strncmp(arg, "--config=", 9) == 0) {
        value = arg + 9;
    } else {
        return 0;
    }
    if (value[0] == '\0') {
        fprintf(stderr, "tabelbot %s: --config needs a file name\n", command);
        return -1;
    }
    *path = value;
    return 1;
}

int bot_cli_config_only(
    const char *command, const char *usage_line, int argc, char **argv, const char **path)
{
    *path = NULL;
    for (int i = 0; i < argc; i++) {
        int taken = bot_cli_take_config(command, argc, argv, &i, path);
        if (taken < 0) {
            return 2;
        }
        if (taken == 0) {
            fprintf(stderr, "tabelbot %s: unknown argument '%s' (usage: %s)\n", command, argv[i],
                    usage_line);
            return 2;
        }
    }
    return 0;
}

int bot_cli_main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "tabelbot: missing command (try --help)\n");
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(argv[1], "version") == 0) {
        printf("tabelbot %s\n", TABELBOT_VERSION);
        return 0;
    }
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } commands[] = {
        {"serve", bot_cmd_serve}, {"migrate", bot_cmd_migrate},   {"import", bot_cmd_import},
        {"chat", bot_cmd_chat},   {"telegram", bot_cmd_telegram},
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            return commands[i].run(argc - 2, argv + 2);
        }
    }
    fprintf(stderr, "tabelbot: unknown command '%s' (try --help)\n", argv[1]);
    return 2;
}
