/* SPDX-License-Identifier: MIT
 * Contacts (DESIGN.md §8): one row per channel identity (a Telegram user, a WhatsApp number, an
 * SMS phone, a web-chat visitor), found by (channel, keyed hash of the channel-scoped user id),
 * with the id itself sealed by bot/ (ad "contacts.address_enc"). A contact is linked to a voucher
 * holder once the parent proved who they are; erasing a contact removes the row and everything
 * that cascades from it (its session); its one-time codes are retired and unlinked but kept
 * until they age out, so they still count against the per-phone hourly cap.
 * All structs are plain fixed-size values: nothing to free. */
#ifndef DB_CONTACTS_H
#define DB_CONTACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

#ifndef DB_HASH_BYTES
#define DB_HASH_BYTES 32 /* keyed BLAKE2b-256 lookups computed by bot/crypto */
#endif
#define DB_CHANNEL_MAX         16
#define DB_CONTACT_ADDRESS_MAX 192 /* sealed channel user id: 24 nonce + <=152 text + 16 tag */
#define DB_CONSENT_VERSION_MAX 16

struct db_contact {
    int64_t id;
    char channel[DB_CHANNEL_MAX]; /* core_channel_name(): "telegram", "sms", ... */
    unsigned char user_hash[DB_HASH_BYTES];
    unsigned char address_enc[DB_CONTACT_ADDRESS_MAX];
    size_t address_len;
    int64_t parent_id; /* 0: not linked */
    char language[4];  /* "kk" / "ru" / "en"; "" when never chosen */
    bool reminders;
    bool reachable;
    char consent_version[DB_CONSENT_VERSION_MAX]; /* "" before consent */
    int64_t consent_at;                           /* unix seconds; 0 when absent */
    int64_t linked_at;
    int64_t created_at;
};

/** Returns the contact for (channel, user_hash), creating it with address_enc when missing.
 * Idempotent: a second call with the same identity returns the same row and *created false
 * (the stored address is kept). created may be NULL. address_len must be 1..
 * DB_CONTACT_ADDRESS_MAX (CORE_EINVAL otherwise). */
CORE_NODISCARD int db_contact_find_or_create(struct db *db,
                                             const char *channel,
                                             const unsigned char user_hash[DB_HASH_BYTES],
                                             const unsigned char *address_enc,
                                             size_t address_len,
                                             int64_t now,
                                             struct db_contact *out,
                                             bool *created);
/** Looks up without creating: CORE_ENOTFOUND when unknown. */
CORE_NODISCARD int db_contact_find(struct db *db,
                                   const char *channel,
                                   const unsigned char user_hash[DB_HASH_BYTES],
                                   struct db_contact *out);
/** By id: CORE_ENOTFOUND when no such contact. */
CORE_NODISCARD int db_contact_get(struct db *db, int64_t id, struct db_contact *out);

/** Links the contact to a voucher holder and records the consent given (version, time). When it
 * is already linked to the same parent (a consent to a new policy version), linked_at keeps its
 * first value.
 * CORE_ENOTFOUND for an unknown contact; CORE_EDB when the parent does not exist (foreign key). */
CORE_NODISCARD int db_contact_link(struct db *db,
                                   int64_t id,
                                   int64_t parent_id,
                                   const char *consent_version,
                                   int64_t consent_at,
                                   int64_t linked_at);
/** Forgets the link (parent, consent, linked_at) but keeps the contact. */
CORE_NODISCARD int db_contact_unlink(struct db *db, int64_t id);
/** lang must be "kk", "ru" or "en" (CORE_EINVAL otherwise). */
CORE_NODISCARD int db_contact_set_language(struct db *db, int64_t id, const char *lang);
CORE_NODISCARD int db_contact_set_reminders(struct db *db, int64_t id, bool on);
/** false after the channel said the user cannot be reached (blocked the bot, number gone). */
CORE_NODISCARD int db_contact_set_reachable(struct db *db, int64_t id, bool reachable);

/** The contacts linked to a parent, oldest first; at most max, *count says how many. */
CORE_NODISCARD int db_contact_list_by_parent(
    struct db *db, int64_t parent_id, struct db_contact *out, size_t max, size_t *count);

/** "Unlink and erase my data": deletes the contact row; its session goes with it (ON DELETE
 * CASCADE); its live one-time codes are retired and unlinked (they hold only keyed hashes and
 * keep counting against the per-phone cap); its escalations lose the link to it and their sealed
 * notes (what the parent typed). CORE_ENOTFOUND when absent. Audit rows hold no personal data and
 * stay. Two statements: call inside a transaction. */
CORE_NODISCARD int db_contact_erase(struct db *db, int64_t id);

#endif
