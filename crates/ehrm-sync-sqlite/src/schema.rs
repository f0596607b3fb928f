//! Tables and indexes, created on open.

use ehrm_sync_core::ports::StoreError;
use rusqlite::Connection;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS idempotency (
    webhook_id   TEXT PRIMARY KEY,
    payload_hash TEXT NOT NULL,
    record_key   TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    key        TEXT PRIMARY KEY,
    nip        TEXT NOT NULL,
    status     TEXT NOT NULL,
    due_at     INTEGER,
    updated_at INTEGER NOT NULL,
    revision   INTEGER NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_nip ON records(nip);
CREATE INDEX IF NOT EXISTS records_due ON records(due_at, key) WHERE due_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_by_status ON records(status, updated_at);
CREATE TABLE IF NOT EXISTS change_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id  TEXT NOT NULL,
    record_key  TEXT NOT NULL,
    version     INTEGER NOT NULL,
    event_type  TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    outcome     TEXT NOT NULL,
    change      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS change_log_by_record ON change_log(record_key, id);
CREATE TABLE IF NOT EXISTS attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    record_key  TEXT NOT NULL,
    at          INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    operation   TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    http_status INTEGER,
    message     TEXT,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_by_record ON attempts(record_key, id);
CREATE TABLE IF NOT EXISTS guards (
    key      TEXT PRIMARY KEY,
    revision INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pns_ids (
    nip        TEXT PRIMARY KEY,
    pns_id     TEXT NOT NULL,
    fetched_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS riwayat_lists (
    nip    TEXT NOT NULL,
    family TEXT NOT NULL,
    doc    TEXT NOT NULL,
    PRIMARY KEY (nip, family)
);
CREATE TABLE IF NOT EXISTS queue_messages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    queue         TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    body          TEXT NOT NULL,
    sent_at       INTEGER NOT NULL,
    visible_at    INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    receipt       TEXT
);
CREATE INDEX IF NOT EXISTS queue_visible ON queue_messages(queue, visible_at, id);
CREATE UNIQUE INDEX IF NOT EXISTS queue_receipt ON queue_messages(receipt) WHERE receipt IS NOT NULL;
CREATE TABLE IF NOT EXISTS dead_letters (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    queue         TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    body          TEXT NOT NULL,
    sent_at       INTEGER NOT NULL,
    moved_at      INTEGER NOT NULL,
    receive_count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS controls (
    name     TEXT PRIMARY KEY,
    value    TEXT NOT NULL,
    revision INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    stream TEXT NOT NULL,
    at     INTEGER NOT NULL,
    event  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_stream ON events(stream, id);
CREATE TABLE IF NOT EXISTS callbacks (
    id       TEXT PRIMARY KEY,
    status   TEXT NOT NULL,
    due_at   INTEGER,
    revision INTEGER NOT NULL,
    doc      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS callbacks_due ON callbacks(due_at) WHERE due_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS pns_ids_reverse ON pns_ids(pns_id);
CREATE TABLE IF NOT EXISTS reconcile_rows (
    run_id  TEXT NOT NULL,
    row_key TEXT NOT NULL,
    doc     TEXT NOT NULL,
    PRIMARY KEY (run_id, row_key)
);
CREATE TABLE IF NOT EXISTS reconcile_runs (
    run_id     TEXT PRIMARY KEY,
    started_at INTEGER NOT NULL,
    doc        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rate_state (
    name TEXT PRIMARY KEY,
    doc  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS finding_marks (
    finding_id TEXT PRIMARY KEY,
    doc        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS series (
    series TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    value  INTEGER NOT NULL,
    PRIMARY KEY (series, bucket)
) WITHOUT ROWID;
"#;

pub(crate) fn migrate(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(SCHEMA)
        .map_err(|e| StoreError::Unavailable(format!("cannot create the schema: {e}")))
}
