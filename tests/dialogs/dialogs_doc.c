/* SPDX-License-Identifier: MIT
 * docs/dialogs.md keeper: `--write FILE` replaces the block between the markers with the
 * diagram generated from the engine's step table; `--check FILE` fails when they differ and
 * prints the command that regenerates it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialogs/diagram.h"

#define BEGIN "<!-- BEGIN GENERATED DIAGRAM (cmake --build build --target dialogs-doc) -->\n"
#define END   "<!-- END GENERATED DIAGRAM -->\n"

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf) {
        buf[n] = '\0';
    }
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    static char diagram[32768];
    static char block[33000];
    if (argc != 3 || (strcmp(argv[1], "--check") != 0 && strcmp(argv[1], "--write") != 0)) {
        fprintf(stderr, "usage: %s --check|--write docs/dialogs.md\n", argv[0]);
        return 2;
    }
    if (dlg_diagram_mermaid(diagram, sizeof diagram) < 0) {
        fprintf(stderr, "diagram too big\n");
        return 1;
    }
    snprintf(block, sizeof block, "```mermaid\n%s```\n", diagram);
    char *doc = read_all(argv[2]);
    if (!doc) {
        fprintf(stderr, "%s: cannot read\n", argv[2]);
        return 1;
    }
    char *b = strstr(doc, BEGIN);
    char *e = b ? strstr(b, END) : NULL;
    if (!b || !e) {
        fprintf(stderr, "%s: markers not found\n", argv[2]);
        free(doc);
        return 1;
    }
    char *inner = b + strlen(BEGIN);
    size_t inner_len = (size_t)(e - inner);
    int rc = 0;
    if (strcmp(argv[1], "--check") == 0) {
        if (inner_len != strlen(block) || strncmp(inner, block, inner_len) != 0) {
            fprintf(stderr,
                    "%s is stale: the diagram differs from the engine's step table.\n"
                    "Regenerate it with: cmake --build build --target dialogs-doc\n",
                    argv[2]);
            rc = 1;
        }
    } else {
        FILE *f = fopen(argv[2], "wb");
        if (!f) {
            rc = 1;
        } else {
            fwrite(doc, 1, (size_t)(inner - doc), f);
            fputs(block, f);
            fputs(e, f);
            rc = fclose(f) == 0 ? 0 : 1;
        }
    }
    free(doc);
    return rc;
}
