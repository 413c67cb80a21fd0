/* SPDX-License-Identifier: MIT
 * Entry point: hands argv to the CLI. Only main() may exit the process. */
#include "bot/cli.h"

int main(int argc, char **argv)
{
    return bot_cli_main(argc, argv);
}
