/* SPDX-License-Identifier: MIT
 * The dialog's read-only view of the registry (struct dlg_registry_view of dialogs/dialog.h)
 * over db/registry and bot/crypto: finds a voucher holder by phone + IIN through the keyed
 * hashes, and unseals names only into the dlg_* structs the caller owns. Temporary plaintext
 * is wiped before it is freed. Nothing here logs or writes.
 * Ownership: db and crypto are borrowed and must outlive the view; the view holds no heap
 * memory (nothing to clean up) but its callbacks' ctx points at v itself, so v must stay where
 * it was initialised (do not copy it). Thread: the thread that owns db. */
#ifndef BOT_REGISTRY_VIEW_H
#define BOT_REGISTRY_VIEW_H

#include "bot/crypto.h"
#include "db/db.h"
#include "dialogs/dialog.h"

struct bot_registry_view {
    struct dlg_registry_view view; /* pass &v->view to dlg_step */
    struct db *db;
    const struct bot_crypto *crypto;
};

/** Fills v so that v->view's callbacks read through db and crypto.
 * find_holder: DLG_MATCH_OK only when the IIN's parent has exactly this phone (any typed form
 * that normalises to it); DLG_MATCH_NONE otherwise, without telling which part failed.
 * get_parent: CORE_ENOTFOUND for an unknown id. children: ordered by child id, names
 * decrypted, kindergarten name per language (en "" when the registry has none).
 * timesheets: newest month first. Sealed data that fails to open is CORE_ECRYPTO. */
void bot_registry_view_init(struct bot_registry_view *v,
                            struct db *db,
                            const struct bot_crypto *crypto);

#endif
