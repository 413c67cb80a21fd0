/* SPDX-License-Identifier: MIT
 * The commands of the CLI, one file each (cmd_<name>.c). argv starts after the command name.
 * Each returns the process exit code: 0 ok, 1 runtime failure, 2 usage error. */
#ifndef BOT_COMMANDS_H
#define BOT_COMMANDS_H

int bot_cmd_serve(int argc, char **argv);
int bot_cmd_migrate(int argc, char **argv);
int bot_cmd_import(int argc, char **argv);
int bot_cmd_chat(int argc, char **argv);
int bot_cmd_telegram(int argc, char **argv);

#endif
