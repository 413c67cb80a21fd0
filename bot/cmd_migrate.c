/* SPDX-License-Identifier: MIT
 * `tabelbot migrate [--config FILE]`: open the database, apply pending migrations, print
 * "schema FROM -> TO". Exit codes: 0 ok, 1 failure (one line), 2 usage error. */
#include "bot/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/cli.h"
#include "bot/config.h"
#include "db/db.h"

extern char **environ;

static int migrate(const char *path)
{
    struct db *db = NULL;
    int rc = db_open_raw(path, &db);
    if (rc != CORE_OK) {
        fprintf(stderr, "tabelbot migrate: cannot open database %s: %s\n", path, core_strerror(rc));
        return 1;
    }
    int from = 0;
    int to = 0;
    rc = db_migrate(db, &from, &to);
    if (rc != CORE_OK) {
        fprintf(stderr, "tabelbot migrate: %s: %s\n", path, db_last_error(db));
        db_close(db);
        return 1;
    }
    db_close(db);
    printf("schema %d -> %d\n", from, to);
    return fflush(stdout) == 0 ? 0 : 1;
}

int bot_cmd_migrate(int argc, char **argv)
{
    const char *config_path = NULL;
    int usage = bot_cli_config_only("migrate", "migrate [--config FILE]", argc, argv, &config_path);
    if (usage != 0) {
        return usage;
    }
    struct bot_config *cfg = malloc(sizeof *cfg);
    if (!cfg) {
        fprintf(stderr, "tabelbot migrate: out of memory\n");
        return 1;
    }
    char err[512] = "";
    if (bot_config_load(config_path, environ, cfg, err, sizeof err) != CORE_OK) {
        fprintf(stderr, "tabelbot migrate: config: %s\n", err);
        free(cfg);
        return 1;
    }
    int rc = migrate(cfg->database.path);
    bot_config_wipe(cfg);
    free(cfg);
    return rc;
}
