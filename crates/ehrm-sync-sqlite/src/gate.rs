//! [`RateGate`] on SQLite: the shared BKN call schedule and its adaptive rate, one row.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use ehrm_sync_core::ports as series;
use ehrm_sync_core::ports::{RateGate, StoreError};
use ehrm_sync_domain::rate::{self as pacer, GateState, RatePolicy};
use ehrm_sync_domain::record::Millis;

use crate::store::{SqliteStore, db_err};

#[async_trait]
impl RateGate for SqliteStore {
    async fn reserve(&self, now: Millis, policy: &RatePolicy) -> Result<Millis, StoreError> {
        let policy = *policy;
        self.actor
            .call(move |c| {
                let slot = update_gate(c, |st| policy.reserve(st, now))?;
                let minute = series::bucket(slot, series::MINUTE_MS);
                crate::console::add(c, series::BKN_CALLS, minute, 1)?;
                Ok(slot)
            })
            .await
    }

    async fn throttled(
        &self,
        now: Millis,
        slot: Option<Millis>,
        hold_until: Millis,
        policy: &RatePolicy,
    ) -> Result<(), StoreError> {
        let policy = *policy;
        self.actor
            .call(move |c| update_gate(c, |st| (policy.throttled(st, now, slot, hold_until), ())))
            .await
    }

    async fn hold_until(&self, until: Millis, policy: &RatePolicy) -> Result<(), StoreError> {
        let policy = *policy;
        self.actor
            .call(move |c| update_gate(c, |st| (pacer::hold(&policy, st, until), ())))
            .await
    }

    async fn gate_state(&self) -> Result<Option<GateState>, StoreError> {
        self.actor.call(read_gate).await
    }
}

fn read_gate(c: &Connection) -> Result<Option<GateState>, StoreError> {
    let doc: Option<String> = c
        .query_row("SELECT doc FROM rate_state WHERE name = 'bkn'", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(db_err)?;
    doc.map(|d| serde_json::from_str(&d).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()
}

/// One change of the gate: the actor runs it in its own savepoint of an immediate transaction,
/// so it is atomic also against other processes on the same file.
fn update_gate<T>(
    c: &Connection,
    step: impl FnOnce(Option<GateState>) -> (GateState, T),
) -> Result<T, StoreError> {
    // An unreadable state (hand-edited) starts over rather than stopping every call.
    let (next, out) = step(read_gate(c).ok().flatten());
    let doc = serde_json::to_string(&next).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    c.execute(
        "INSERT INTO rate_state (name, doc) VALUES ('bkn', ?1)
         ON CONFLICT(name) DO UPDATE SET doc = excluded.doc",
        params![doc],
    )
    .map_err(db_err)?;
    Ok(out)
}
