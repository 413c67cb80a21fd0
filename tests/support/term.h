/* SPDX-License-Identifier: MIT
 * Drives an interactive command (the real `tabelbot chat`) through pipes: send a line, wait
 * for a fragment of its output. Test helper; blocking calls with timeouts. */
#ifndef TESTS_SUPPORT_TERM_H
#define TESTS_SUPPORT_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tb_term {
    pid_t pid;
    int to_child;   /* its stdin */
    int from_child; /* its stdout + stderr */
    char *out;      /* everything read so far (NUL-terminated) */
    size_t out_len;
    size_t mark; /* expectations search from here */
};

/** Starts argv[0] (a path) in workdir with extra environment entries "K=V" (NULL-terminated). */
int tb_term_start(struct tb_term *term, const char *workdir, char *const argv[], char *const env[]);
/** Writes line + "\n". */
int tb_term_send(struct tb_term *term, const char *line);
/** Waits until fragment appears after the mark; moves the mark past it. */
bool tb_term_expect(struct tb_term *term, const char *fragment, int timeout_ms);
/** Finds "prefix" + 6 digits in the output after the mark; copies the digits into code[7]. */
bool tb_term_capture_code(struct tb_term *term, const char *prefix, char code[7], int timeout_ms);
/** Closes stdin and waits for the exit; returns the exit status or -1. */
int tb_term_finish(struct tb_term *term, int timeout_ms);
void tb_term_cleanup(struct tb_term *term);

#endif
