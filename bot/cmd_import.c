/* SPDX-License-Identifier: MIT
 * `tabelbot import`: placeholder until its issue lands; says so and exits 1. */
#include "bot/commands.h"

#include <stdio.h>

int bot_cmd_import(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tabelbot: 'import' is not built yet\n");
    return 1;
}
