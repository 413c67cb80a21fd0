/* SPDX-License-Identifier: MIT
 * Escalations to the contact centre (DESIGN.md §2, §6): a contact asked for a person (or the bot
 * gave up). At most one unclosed escalation per contact: opening again returns the same one.
 * `reason` is a short machine code ("user_request", "unknown_input", ...); anything the parent
 * typed goes sealed by bot/ into note_enc (ad "escalations.note_enc"), never in clear.
 * The operator console comes later; this is the storage it will use. */
#ifndef DB_ESCALATIONS_H
#define DB_ESCALATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

#define DB_ESC_REASON_MAX  32
#define DB_ESC_CHANNEL_MAX 16
#define DB_ESC_STATUS_MAX  8

struct db_escalation {
    int64_t id;
    int64_t contact_id; /* 0 when the contact was erased */
    int64_t parent_id;  /* 0 when not linked */
    char channel[DB_ESC_CHANNEL_MAX];
    char reason[DB_ESC_REASON_MAX];
    char status[DB_ESC_STATUS_MAX]; /* open, taken, closed */
    bool has_note;                  /* a sealed note is stored (db_escalation_note reads it) */
    int64_t opened_at;
    int64_t closed_at; /* 0 while unclosed */
};

/** Opens an escalation for a contact, or returns the unclosed one it already has (*reused
 * true; its reason and note are kept). reason: 1..31 chars of [a-z0-9_] (CORE_EINVAL otherwise).
 * parent_id 0 stores NULL; note_enc may be NULL. reused may be NULL. */
CORE_NODISCARD int db_escalation_open(struct db *db,
                                      int64_t contact_id,
                                      int64_t parent_id,
                                      const char *channel,
                                      const char *reason,
                                      const unsigned char *note_enc,
                                      size_t note_len,
                                      int64_t now,
                                      int64_t *id,
                                      bool *reused);
/** CORE_ENOTFOUND when no such escalation. */
CORE_NODISCARD int db_escalation_get(struct db *db, int64_t id, struct db_escalation *out);
/** The sealed note: *note_enc malloc'd and owned by the caller; NULL/0 when there is none. */
CORE_NODISCARD int
db_escalation_note(struct db *db, int64_t id, unsigned char **note_enc, size_t *note_len);
/** Unclosed escalations (open or taken) with id > after_id, oldest first; page with the last
 * id returned. */
CORE_NODISCARD int db_escalation_list_open(
    struct db *db, int64_t after_id, struct db_escalation *out, size_t max, size_t *count);
/** Closes it (closed_at = now). CORE_ENOTFOUND when unknown, CORE_ESTATE when already closed. */
CORE_NODISCARD int db_escalation_close(struct db *db, int64_t id, int64_t now);

#endif
