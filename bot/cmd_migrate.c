/* SPDX-License-Identifier: MIT
 * `tabelbot migrate`: placeholder until its issue lands; says so and exits 1. */
#include "bot/commands.h"

#include <stdio.h>

int bot_cmd_migrate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tabelbot: 'migrate' is not built yet\n");
    return 1;
}
