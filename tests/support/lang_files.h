/* SPDX-License-Identifier: MIT
 * Test helper of the dialogs/i18n work: reads a file of the source tree (catalogs, fixtures)
 * by its path relative to TABELBOT_SOURCE_DIR, which ctest sets. */
#ifndef TESTS_SUPPORT_LANG_FILES_H
#define TESTS_SUPPORT_LANG_FILES_H

#include <stddef.h>

/**
 * Reads TABELBOT_SOURCE_DIR/rel_path whole (at most 4 MiB) into a malloc'd, NUL-terminated
 * buffer; *len (may be NULL) receives the size without the NUL. Returns NULL when the
 * variable is unset or the file cannot be read. The caller frees the buffer.
 */
char *tb_read_source_file(const char *rel_path, size_t *len);

#endif
