/* SPDX-License-Identifier: MIT
 * Corpus replay for any compiler: runs every regular file named on the command line, or found
 * directly inside a directory named on it, through LLVMFuzzerTestOneInput once. Each input is
 * read into a buffer of exactly its size so the sanitizers see any read past the end. Fails
 * when an argument cannot be read or when no input was found (an empty corpus proves nothing).
 * When an input aborts (a broken property), its path is printed before the process dies. */
#include <dirent.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *volatile g_current; /* the input being replayed, for the abort message */

/* Names the input that aborted (async-signal-safe writes only), then dies as it would have. */
static void on_abort(int sig)
{
    static const char prefix[] = "replay: aborted on ";
    const char *path = g_current;
    if (path) {
        (void)!write(STDERR_FILENO, prefix, sizeof prefix - 1);
        (void)!write(STDERR_FILENO, path, strlen(path));
        (void)!write(STDERR_FILENO, "\n", 1);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || st.st_size < 0) {
        fclose(f);
        fprintf(stderr, "replay: cannot stat %s\n", path);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *data = malloc(size ? size : 1);
    if (!data || fread(data, 1, size, f) != size) {
        free(data);
        fclose(f);
        fprintf(stderr, "replay: cannot read %s\n", path);
        return -1;
    }
    fclose(f);
    g_current = path;
    LLVMFuzzerTestOneInput(data, size);
    g_current = NULL;
    free(data);
    return 0;
}

/* Replays the regular files directly inside dir; adds their number to *count. */
static int replay_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "replay: cannot open directory %s\n", dir);
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            rc = replay_file(path);
            (*count)++;
        }
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    signal(SIGABRT, on_abort);
    for (int i = 1; i < argc; i++) {
        struct stat st;
        int rc = -1;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = replay_dir(argv[i], &count);
        } else if (stat(argv[i], &st) == 0) {
            rc = replay_file(argv[i]);
            count++;
        } else {
            fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
        }
        if (rc != 0) {
            return 1;
        }
    }
    if (count == 0) {
        fprintf(stderr, "replay: no inputs found\n");
        return 1;
    }
    printf("replay: %zu inputs ran clean\n", count);
    return 0;
}
