/* SPDX-License-Identifier: MIT
 * Reads source-tree files for tests (see lang_files.h). */
#include "lang_files.h"

#include <stdio.h>
#include <stdlib.h>

#define READ_MAX (4u * 1024u * 1024u)

char *tb_read_source_file(const char *rel_path, size_t *len)
{
    const char *root = getenv("TABELBOT_SOURCE_DIR");
    char path[4096];
    if (!root || !rel_path ||
        (size_t)snprintf(path, sizeof(path), "%s/%s", root, rel_path) >= sizeof(path)) {
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    char *buf = malloc(READ_MAX + 1);
    size_t n = buf ? fread(buf, 1, READ_MAX + 1, f) : 0;
    int bad = ferror(f) || n > READ_MAX;
    fclose(f);
    if (!buf || bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (len) {
        *len = n;
    }
    return buf;
}
