/* SPDX-License-Identifier: MIT
 * The `tabelbot` command line (DESIGN.md §11): serve, migrate, import, chat, version, --help.
 * Usage errors print one line to stderr and return 2. */
#ifndef BOT_CLI_H
#define BOT_CLI_H

/** Runs the command line; returns the process exit code. */
int bot_cli_main(int argc, char **argv);

#endif
