/* SPDX-License-Identifier: MIT
 * Portal events: the decisions (confirmed / disputed timesheets) the service owes the portal
 * (DESIGN.md §3). At most one event per (kind, child, month), so retrying the transaction that
 * produced it adds nothing. The payload is sealed by bot/ (ad "portal_events.payload_enc").
 * Delivery (with retries) comes later; these are its queue operations. Times: unix seconds. */
#ifndef DB_PORTAL_EVENTS_H
#define DB_PORTAL_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

#define DB_PE_KIND_MAX  12
#define DB_PE_CHILD_MAX 48

struct db_portal_event {
    int64_t id;
    char kind[DB_PE_KIND_MAX]; /* confirmed | disputed */
    char child_id[DB_PE_CHILD_MAX];
    char month[8];
    unsigned char *payload_enc; /* malloc'd; release with db_portal_events_release */
    size_t payload_len;
    int attempts;
    int64_t next_attempt_at;
    int64_t created_at;
};

/** Queues an event, due now. kind must be "confirmed" or "disputed" (CORE_EINVAL otherwise).
 * When the same (kind, child_id, month) is already queued nothing changes: *id receives the
 * existing id and *created is false. id and created may be NULL. */
CORE_NODISCARD int db_portal_event_enqueue(struct db *db,
                                           const char *kind,
                                           const char *child_id,
                                           const char *month,
                                           const unsigned char *payload_enc,
                                           size_t payload_len,
                                           int64_t now,
                                           int64_t *id,
                                           bool *created);
/** Pending events due at `now` (next_attempt_at <= now), oldest first; at most max. On success
 * the caller owns each payload: call db_portal_events_release(out, *count). On failure nothing
 * is left allocated. */
CORE_NODISCARD int db_portal_events_pending(
    struct db *db, int64_t now, struct db_portal_event *out, size_t max, size_t *count);
/** Frees the payloads of n events (and clears them). */
void db_portal_events_release(struct db_portal_event *events, size_t n);
/** Delivered: status sent, sent_at = now. CORE_ENOTFOUND when unknown, CORE_ESTATE when not
 * pending. */
CORE_NODISCARD int db_portal_event_mark_sent(struct db *db, int64_t id, int64_t now);
/** A failed try: attempts + 1 and retry at next_attempt_at, or status dead when dead is true. */
CORE_NODISCARD int
db_portal_event_defer(struct db *db, int64_t id, int64_t next_attempt_at, bool dead);

#endif
