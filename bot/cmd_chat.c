/* SPDX-License-Identifier: MIT
 * `tabelbot chat`: placeholder until its issue lands; says so and exits 1. */
#include "bot/commands.h"

#include <stdio.h>

int bot_cmd_chat(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tabelbot: 'chat' is not built yet\n");
    return 1;
}
