/* SPDX-License-Identifier: MIT
 * The `tabelbot` command line (DESIGN.md §11): serve, migrate, import, chat, version, --help.
 * Usage errors print one line to stderr and return 2. */
#ifndef BOT_CLI_H
#define BOT_CLI_H

/** Runs the command line; returns the process exit code. */
int bot_cli_main(int argc, char **argv);

/** The one option every command takes. If argv[*i] is "--config FILE" or "--config=FILE",
 * stores the (borrowed) path, moves *i to the last argument it used and returns 1; returns 0
 * when argv[*i] is something else; on a missing or empty FILE prints
 * "tabelbot <command>: --config needs a file name" and returns -1 (a usage error). */
int bot_cli_take_config(const char *command, int argc, char **argv, int *i, const char **path);

/** For commands whose only option is --config: 0 when argv is fine (*path set or NULL), else
 * prints one line naming `usage` and returns 2. */
int bot_cli_config_only(
    const char *command, const char *usage_line, int argc, char **argv, const char **path);

#endif
