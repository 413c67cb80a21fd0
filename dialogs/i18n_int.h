/* SPDX-License-Identifier: MIT
 * Private to dialogs/: the compiled-in catalog bytes that the build step
 * (dialogs/i18n/embed.cmake) generates from dialogs/i18n/<lang>.txt. Read only by i18n.c. */
#ifndef DIALOGS_I18N_INT_H
#define DIALOGS_I18N_INT_H

#include <stddef.h>

/* Each array holds the file's bytes plus one trailing NUL; *_len excludes the NUL. */
extern const unsigned char dlg__catalog_kk[];
extern const size_t dlg__catalog_kk_len;
extern const unsigned char dlg__catalog_ru[];
extern const size_t dlg__catalog_ru_len;
extern const unsigned char dlg__catalog_en[];
extern const size_t dlg__catalog_en_len;

#endif
