/* SPDX-License-Identifier: MIT
 * The dialog's state diagram, generated from the engine's own step table (so the picture in
 * docs/dialogs.md cannot drift from the code: tests/dialogs/dialogs_doc.c checks it). */
#ifndef DIALOGS_DIAGRAM_H
#define DIALOGS_DIAGRAM_H

#include <stddef.h>

#include "core/err.h"

/** Writes a Mermaid stateDiagram-v2 of every step and declared edge into out (NUL-terminated).
 * Returns the length, or CORE_ETOOBIG when out is too small (16 KiB is plenty). */
CORE_NODISCARD int dlg_diagram_mermaid(char *out, size_t out_len);

#endif
