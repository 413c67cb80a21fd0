/* SPDX-License-Identifier: MIT
 * Registry test helpers: temporary key, in-memory db, fixture paths, the demo import. */
#include "registry_support.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int tb_registry_open(struct tb_registry *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "/tmp/tb-registry-XXXXXX");
    if (!mkdtemp(r->dir)) {
        return CORE_EIO;
    }
    snprintf(r->key_file, sizeof r->key_file, "%s/key", r->dir);
    int rc = bot_crypto_open(r->key_file, true, &r->crypto);
    if (rc == CORE_OK) {
        rc = db_open(":memory:", &r->db);
    }
    if (rc != CORE_OK) {
        tb_registry_close(r);
    }
    return rc;
}

static void remove_folder(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            char path[512];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    }
    if (d) {
        closedir(d);
    }
    rmdir(dir);
}

void tb_registry_close(struct tb_registry *r)
{
    db_close(r->db);
    r->db = NULL;
    bot_crypto_close(r->crypto);
    r->crypto = NULL;
    if (r->dir[0]) {
        remove_folder(r->dir);
        r->dir[0] = '\0';
    }
}

void tb_fixture_path(const char *relative, char *out, size_t out_len)
{
    const char *root = getenv("TABELBOT_SOURCE_DIR");
    snprintf(out, out_len, "%s/tests/fixtures/%s", root ? root : "../..", relative);
}

int tb_registry_import_demo(struct tb_registry *r, struct bot_import_summary *sum)
{
    char path[512];
    char err[BOT_IMPORT_ERROR_MAX];
    tb_fixture_path("registry-demo.json", path, sizeof path);
    int rc = bot_import_file(r->db, r->crypto, path, 1796300000, sum, err, sizeof err);
    if (rc != CORE_OK) {
        fprintf(stderr, "demo import failed: %s\n", err);
    }
    return rc;
}
