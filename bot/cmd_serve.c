/* SPDX-License-Identifier: MIT
 * `tabelbot serve`: placeholder until its issue lands; says so and exits 1. */
#include "bot/commands.h"

#include <stdio.h>

int bot_cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tabelbot: 'serve' is not built yet\n");
    return 1;
}
