/* SPDX-License-Identifier: MIT
 * The schema, as numbered migrations (PRAGMA user_version). Append a new migration for every
 * change once a version has shipped; never edit a shipped one.
 *
 * Personal data is never stored in clear: columns named *_enc hold libsodium AEAD ciphertext
 * (bot/crypto), columns named *_hash hold keyed BLAKE2b hashes used for lookups. */
#include "db/db_int.h"

static const char *const migration_1[] = {
    /* ---- registry (imported or pushed by the portal) ---- */
    "CREATE TABLE kindergartens ("
    "  id TEXT PRIMARY KEY,"
    "  city TEXT NOT NULL,"
    "  name_kk TEXT NOT NULL,"
    "  name_ru TEXT NOT NULL,"
    "  name_en TEXT,"
    "  updated_at INTEGER NOT NULL);",
    "CREATE TABLE parents ("
    "  id INTEGER PRIMARY KEY,"
    "  iin_hash BLOB NOT NULL UNIQUE,"
    "  phone_hash BLOB NOT NULL,"
    "  pii_enc BLOB NOT NULL," /* iin, phone, surname, given_name, patronymic, gender, birth */
    "  pii_hash BLOB,"         /* keyed hash of the plaintext: a re-import skips unchanged rows */
    "  language TEXT NOT NULL DEFAULT 'kk' CHECK (language IN ('kk','ru','en')),"
    "  updated_at INTEGER NOT NULL);",
    "CREATE INDEX parents_by_phone ON parents(phone_hash);",
    "CREATE TABLE children ("
    "  id TEXT PRIMARY KEY,"
    "  parent_id INTEGER NOT NULL REFERENCES parents(id) ON DELETE CASCADE,"
    "  kindergarten_id TEXT NOT NULL REFERENCES kindergartens(id),"
    "  pii_enc BLOB NOT NULL," /* given_name, surname, gender, birth_date */
    "  pii_hash BLOB,"         /* keyed hash of the plaintext: a re-import skips unchanged rows */
    "  updated_at INTEGER NOT NULL);",
    "CREATE INDEX children_by_parent ON children(parent_id);",
    "CREATE TABLE vouchers ("
    "  number TEXT PRIMARY KEY,"
    "  child_id TEXT NOT NULL UNIQUE REFERENCES children(id) ON DELETE CASCADE,"
    "  status TEXT NOT NULL CHECK (status IN ('active','cancelled')),"
    "  updated_at INTEGER NOT NULL);",
    "CREATE TABLE timesheets ("
    "  child_id TEXT NOT NULL REFERENCES children(id) ON DELETE CASCADE,"
    "  month TEXT NOT NULL," /* YYYY-MM, the reporting month */
    "  days TEXT NOT NULL,"  /* one char a day: P A S - */
    "  status TEXT NOT NULL CHECK (status IN ('pending','confirmed','disputed')),"
    "  decided_at INTEGER,"
    "  decided_via TEXT,"
    "  dispute_days TEXT,"
    "  dispute_reason_enc BLOB,"
    "  receipt TEXT,"
    "  updated_at INTEGER NOT NULL,"
    "  PRIMARY KEY (child_id, month));"
    /* ---- conversations ---- */,
    "CREATE TABLE contacts ("
    "  id INTEGER PRIMARY KEY,"
    "  channel TEXT NOT NULL,"
    "  user_hash BLOB NOT NULL,"   /* keyed hash of the channel-scoped user id */
    "  address_enc BLOB NOT NULL," /* the channel-scoped user id (for SMS: the phone) */
    "  parent_id INTEGER REFERENCES parents(id) ON DELETE SET NULL,"
    "  language TEXT CHECK (language IN ('kk','ru','en')),"
    "  reminders INTEGER NOT NULL DEFAULT 1 CHECK (reminders IN (0,1)),"
    "  reachable INTEGER NOT NULL DEFAULT 1 CHECK (reachable IN (0,1)),"
    "  consent_version TEXT,"
    "  consent_at INTEGER,"
    "  linked_at INTEGER,"
    "  created_at INTEGER NOT NULL,"
    "  UNIQUE (channel, user_hash));",
    "CREATE INDEX contacts_by_parent ON contacts(parent_id);",
    "CREATE TABLE sessions ("
    "  contact_id INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,"
    "  state_enc BLOB NOT NULL,"
    "  updated_at INTEGER NOT NULL);",
    "CREATE TABLE otp ("
    "  id INTEGER PRIMARY KEY,"
    "  phone_hash BLOB NOT NULL,"
    /* SET NULL, not CASCADE: an erased contact's codes keep counting against the per-phone
     * hourly cap, or erase-and-register again would be an SMS-bombing loop. */
    "  contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,"
    "  code_hash BLOB NOT NULL,"
    "  issued_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  status TEXT NOT NULL DEFAULT 'live' CHECK (status IN ('live','consumed','superseded')),"
    "  consumed_at INTEGER);",
    "CREATE INDEX otp_by_phone ON otp(phone_hash, issued_at);",
    "CREATE INDEX otp_by_contact ON otp(contact_id, issued_at);",
    "CREATE INDEX otp_by_time ON otp(issued_at);",
    "CREATE INDEX otp_live ON otp(phone_hash, id) WHERE status = 'live';"
    /* ---- durable message flow ---- */,
    "CREATE TABLE inbox ("
    "  id INTEGER PRIMARY KEY,"
    "  channel TEXT NOT NULL,"
    "  external_id TEXT NOT NULL,"
    "  chat_hash BLOB NOT NULL,"
    "  payload_enc BLOB NOT NULL,"
    "  received_at INTEGER NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new','done','failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  error TEXT,"
    "  processed_at INTEGER,"
    "  next_attempt_at INTEGER NOT NULL DEFAULT 0," /* unix ms: retry backoff after a failure */
    "  UNIQUE (channel, external_id));",
    "CREATE INDEX inbox_new ON inbox(id) WHERE status = 'new';",
    "CREATE INDEX inbox_new_by_chat ON inbox(chat_hash, id) WHERE status = 'new';",
    /* Erase finds a chat's old rows; retention finds old handled rows. */
    "CREATE INDEX inbox_by_chat ON inbox(chat_hash);",
    "CREATE INDEX inbox_handled ON inbox(processed_at) WHERE status <> 'new';",
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  channel TEXT NOT NULL,"
    "  chat_hash BLOB NOT NULL,"
    "  recipient_enc BLOB NOT NULL,"
    "  payload_enc BLOB NOT NULL,"
    "  idem_key TEXT NOT NULL UNIQUE,"
    "  priority INTEGER NOT NULL DEFAULT 0," /* 0 interactive, 1 bulk */
    "  status TEXT NOT NULL DEFAULT 'pending'"
    "    CHECK (status IN ('pending','sending','sent','dead')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_at INTEGER NOT NULL," /* unix ms */
    "  last_error TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  sent_at INTEGER,"
    /* the gateway's view of an SMS (db/sms.c): its message id and the furthest delivery state
     * reported (rank: 1 queued, 2 sent, 3 final: delivered / undelivered / failed) */
    "  provider_id TEXT,"
    "  delivery_status TEXT,"
    "  delivery_rank INTEGER NOT NULL DEFAULT 0,"
    "  delivery_at INTEGER);",
    "CREATE INDEX outbox_open ON outbox(chat_hash, id) WHERE status IN ('pending','sending');",
    "CREATE INDEX outbox_by_chat ON outbox(chat_hash);",
    /* claim order: interactive before bulk, then id (db/outbox.c) */
    "CREATE INDEX outbox_due ON outbox(priority, id) WHERE status = 'pending';",
    /* the dispatcher's next wake-up: earliest future attempt */
    "CREATE INDEX outbox_next ON outbox(next_attempt_at) WHERE status = 'pending';"
    /* ---- operators, portal, audit ---- */,
    "CREATE TABLE escalations ("
    "  id INTEGER PRIMARY KEY,"
    "  contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,"
    "  parent_id INTEGER REFERENCES parents(id) ON DELETE SET NULL,"
    "  channel TEXT NOT NULL,"
    "  reason TEXT NOT NULL," /* a machine code: user_request, unknown_input, ... */
    "  note_enc BLOB,"        /* what the parent typed, sealed */
    "  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','taken','closed')),"
    "  opened_at INTEGER NOT NULL,"
    "  closed_at INTEGER);",
    "CREATE UNIQUE INDEX escalations_one_open ON escalations(contact_id)"
    "  WHERE status <> 'closed' AND contact_id IS NOT NULL;",
    "CREATE INDEX escalations_unclosed ON escalations(id) WHERE status <> 'closed';",
    "CREATE TABLE portal_events ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL CHECK (kind IN ('confirmed','disputed')),"
    "  child_id TEXT NOT NULL,"
    "  month TEXT NOT NULL,"
    "  payload_enc BLOB NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','sent','dead')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_at INTEGER NOT NULL," /* unix seconds */
    "  created_at INTEGER NOT NULL,"
    "  sent_at INTEGER,"
    "  UNIQUE (kind, child_id, month));",
    "CREATE INDEX portal_events_due ON portal_events(next_attempt_at, id) WHERE status = "
    "'pending';",
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT," /* ids of deleted rows are never reused */
    "  at INTEGER NOT NULL,"
    "  actor TEXT NOT NULL,"  /* contact:<id>, import, system */
    "  action TEXT NOT NULL," /* confirmed, disputed, linked, unlinked, erased, imported ... */
    "  channel TEXT,"
    "  child_id TEXT,"
    "  month TEXT,"
    "  days_hash TEXT,"
    "  receipt TEXT,"
    "  detail TEXT,"
    "  prev_hash TEXT NOT NULL,"
    "  row_hash TEXT NOT NULL);",
    "CREATE INDEX audit_by_receipt ON audit(receipt) WHERE receipt IS NOT NULL;",
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    "  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;",
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    "  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;",
    /* one "what this service is and how to register" SMS per unknown number and local day */
    "CREATE TABLE sms_notices ("
    "  phone_hash BLOB NOT NULL,"
    "  day INTEGER NOT NULL," /* local days since 1970-01-01 */
    "  PRIMARY KEY (phone_hash, day));",
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL);",
    NULL,
};

const char *const *const db__migrations[] = {migration_1};
const int db__migration_count = (int)(sizeof db__migrations / sizeof db__migrations[0]);
