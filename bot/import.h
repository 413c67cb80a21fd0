/* SPDX-License-Identifier: MIT
 * Import of a `tabelbot-registry/1` file (DESIGN.md §8, §12) into the registry tables:
 * streamed in bounded memory (bot/json_stream splits the top-level arrays, cJSON parses one
 * record at a time), every record validated, personal data sealed and hashed with bot/crypto,
 * everything in one transaction. A bad file imports nothing and yields one line naming the
 * array, the index, the record (persons masked), the field and why. Importing the same file
 * again changes nothing; a timesheet decided here is never set back to pending ("kept").
 * Ownership: db and crypto are borrowed; nothing is retained after the call.
 * Thread: the thread that owns db. */
#ifndef BOT_IMPORT_H
#define BOT_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bot/crypto.h"
#include "core/err.h"
#include "db/db.h"

#define BOT_IMPORT_FORMAT     "tabelbot-registry/1"
#define BOT_IMPORT_MAX_RECORD (64 * 1024) /* one array element, bytes */
#define BOT_IMPORT_ERROR_MAX  512         /* recommended err_len */

struct bot_import_summary {
    size_t kindergartens; /* records read from the file */
    size_t parents;
    size_t children;
    size_t timesheets;
    size_t kept;      /* timesheets decided in the database, left as they were */
    size_t inserted;  /* rows (all tables) */
    size_t updated;   /* rows (all tables) */
    size_t unchanged; /* rows (all tables) */
    size_t iin_hints; /* parents whose IIN digits disagree with the birth date or sex (allowed) */
};

/** Imports the file at path ("-" reads stdin). `now` (unix seconds) stamps updated_at.
 * The db must not be inside a transaction. On success *out holds the counts and the data is
 * committed. On failure nothing is written, *out is untouched and err holds one line:
 * CORE_EBADINPUT / CORE_ETOOBIG for a bad file, CORE_EIO when it cannot be read, or the
 * database or crypto failure. */
CORE_NODISCARD int bot_import_file(struct db *db,
                                   const struct bot_crypto *crypto,
                                   const char *path,
                                   int64_t now,
                                   struct bot_import_summary *out,
                                   char *err,
                                   size_t err_len);

/** The same from an open stream (not closed here). */
CORE_NODISCARD int bot_import_stream(struct db *db,
                                     const struct bot_crypto *crypto,
                                     FILE *in,
                                     int64_t now,
                                     struct bot_import_summary *out,
                                     char *err,
                                     size_t err_len);

/** "imported: 3 kindergartens, 5 parents, 6 children, 13 timesheets" plus
 * " (2 decided timesheets kept)" when some were kept. */
void bot_import_summary_format(const struct bot_import_summary *summary, char *out, size_t len);

#endif
