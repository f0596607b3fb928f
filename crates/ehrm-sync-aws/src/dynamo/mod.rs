//! The sync store on one DynamoDB table.
//!
//! # Table design
//!
//! One table (`SYNC_TABLE_NAME`), keys `PK` (S) and `SK` (S), on-demand billing. Every item an
//! employee owns shares the partition `NIP#<nip>`, so one employee's status is one `Query`.
//!
//! | item | `PK` | `SK` | other attributes |
//! |---|---|---|---|
//! | sync record | `NIP#<nip>` | `REC#<record key>` | the record (serde_dynamo), `revision`, `status`, `updated_at`; `due_pk` + `due_at` only while due |
//! | change (audit) | `NIP#<nip>` | `CHG#<record key>#<received_at>#<webhook id>` | the validated change |
//! | attempt (audit) | `NIP#<nip>` | `ATT#<record key>#<at>#<nonce>` | operation, outcome, HTTP status, BKN's message |
//! | SIASN PNS id | `NIP#<nip>` | `PNSID` | `pns_id`, `fetched_at` |
//! | remembered riwayat list | `NIP#<nip>` | `LIST#skp22`, `LIST#kinerjaperiodik`, `LIST#jabatan` | `doc` (the read and its time, JSON) |
//! | NIP of a PNS id | `PNS#<pns id>` | `NIP` | `nip` |
//! | reconciliation row | `RKN#<run id>` | `ROW#<row key>` | `doc` (the row, JSON) |
//! | reconciliation run | `RKNRUNS` | `<started_at>#<run id>` | `doc` (the summary, JSON) |
//! | idempotency | `EVT#<webhook id>` | `EVT` | payload hash, record key, `expires_at`; `ttl` for cleanup |
//! | guard counter | `GUARD#<name>` | `GUARD` | `revision` |
//! | rate gate | `GATE#bkn` | `STATE` | `doc` (next slot, adaptive rate, its last changes: JSON), `revision` |
//! | control document | `CTL#<name>` | `CTL` | `value` (JSON), `revision` |
//! | event | `EVS#<stream>` | `<at>#<nonce>` | `event` (JSON) |
//! | callback to eHRM | `CB#<id>` | `CB` | the callback, `revision`; `due_pk = CALLBACK` + `due_at` while pending |
//! | pointer to a callback about a person | `NIP#<nip>` | `CBK#<callback id>` | — (a person's report and erasure find their callbacks) |
//! | follow-up mark of a finding | `MARKS` | `<finding id>` | `doc` (JSON) |
//! | chart series bucket | `SER#<series>` | `<bucket start, 13 digits>` | `value` (N, `ADD`ed) |
//!
//! Every item that expires carries `ttl` (epoch seconds: its own time plus its class's
//! retention, `ehrm_sync_core::retention`): changes, attempts, remembered lists, reconciliation
//! rows and runs, events (the audit trail longest), sent callbacks, marks, chart buckets,
//! console sessions and readiness runs' pieces. Records, PNS ids, guards, the gate and other
//! control documents never expire; a synced record's data is removed by the daily purge
//! (`retention`).
//!
//! Two global secondary indexes, both projecting all attributes:
//!
//! * **`due`** — `due_pk` (S) / `due_at` (N). *Sparse*: only records that are pending,
//!   retrying or leased carry the two attributes (`due_pk = DUE`), and only pending callbacks
//!   (`due_pk = CALLBACK`), so settled items (the vast majority) never appear in it and the
//!   sweeper and the callback dispatcher read exactly what is due, oldest first, without a
//!   `Scan`. One partition value each is enough: index writes follow state changes, which are
//!   bounded by the BKN call rate (a few per second), far below a partition's limits.
//! * **`by_status`** — `status` (S) / `updated_at` (N): records in one status within a time
//!   window (replay by status and `--since/--until`), and counts per status (`Select=COUNT`).
//!
//! # Access patterns
//!
//! | pattern | operation |
//! |---|---|
//! | has this webhook id been seen? | `GetItem EVT#id` (expiry checked by the code; the TTL only cleans up) |
//! | accept a change | `TransactWriteItems`: idempotency `Put` if absent or expired (`ReturnValuesOnConditionCheckFailure=ALL_OLD`, so a lost race reads the winner's hash), record `Put` on `revision`, guard `Put` on `revision`, audit `Put` |
//! | one record | `GetItem NIP#nip / REC#key` (strongly consistent) |
//! | write a record | `PutItem` with `attribute_not_exists(PK)` (new) or `revision = :expected` (compare-and-swap) |
//! | an employee's records | `Query PK = NIP#nip, begins_with(SK, REC#)` |
//! | a record's attempts | `Query PK = NIP#nip, begins_with(SK, ATT#<key>#)` |
//! | records due before t | `Query due: due_pk = DUE, due_at <= t` (paged) |
//! | records by status and time | `Query by_status: status = s, updated_at BETWEEN a AND b` |
//! | counts by status | `Query by_status, Select=COUNT` per status |
//! | NIP → PNS id | `GetItem NIP#nip / PNSID`, `PutItem` |
//! | an employee's remembered riwayat list | `GetItem NIP#nip / LIST#family`, `PutItem`, `DeleteItem` |
//! | PNS id → NIP (who heads a unit at BKN) | `GetItem PNS#id / NIP` |
//! | a run's rows (written again on resume: same key, replaced) | `BatchWriteItem`; `Query PK = RKN#run` (paged) |
//! | the last runs | `PutItem RKNRUNS`; `Query PK = RKNRUNS` newest first, `Limit` |
//! | next BKN call slot, a `429` | `GetItem GATE#bkn` + `PutItem … IF revision = :seen` |
//! | breaker state, last sweep | `GetItem CTL#name`, `PutItem … IF revision = :expected` |
//! | breaker history | `PutItem EVS#breaker`, `Query EVS#breaker` newest first |
//! | callbacks due | `Query due: due_pk = CALLBACK, due_at <= now` |
//! | count an outcome (per hour) or a BKN call (per minute) | `UpdateItem SER#… ADD value :1` |
//! | a chart's buckets | `Query PK = SER#name, SK BETWEEN :from AND :last` |
//! | the finding marks | `Query PK = MARKS` (paged) |
//!
//! Nothing on a request or message path scans the table.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValuesOnConditionCheckFailure, Select, TransactWriteItem,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use ehrm_sync_core::ports::{
    AcceptResult, AcceptWrite, AttemptEntry, Callback, CallbackOutbox, CallbackStatus, Control,
    ControlStore, IdempotencyEntry, PnsIdCache, RateGate, ReconcileStore, RiwayatFamily,
    RiwayatLists, StoreError, SyncStore,
};
use ehrm_sync_core::ports::{DataClass, RunSummary};
use ehrm_sync_core::retention::Retention;
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::reconcile::Discrepancy;
use ehrm_sync_domain::record::{Millis, RecordKey, SyncRecord, SyncStatus};

mod callbacks;
mod console;
mod control;
mod gate;
mod pns_ids;
mod reconcile;
mod records;
mod retention;
mod subject;

pub const DUE_INDEX: &str = "due";
pub const STATUS_INDEX: &str = "by_status";
const DUE_PARTITION: &str = "DUE";
const CALLBACK_PARTITION: &str = "CALLBACK";

type Item = HashMap<String, AttributeValue>;

/// The DynamoDB store. Cheap to clone.
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// The TTL of each expiring item (`retention`).
    retention: Retention,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn unavailable<E: std::fmt::Debug>(e: E) -> StoreError {
    StoreError::Unavailable(format!("{e:?}").chars().take(500).collect())
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(corrupt)
}

fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(corrupt)
}

fn nip_pk(nip: &Nip) -> String {
    format!("NIP#{nip}")
}

fn record_sk(key: &RecordKey) -> String {
    format!("REC#{key}")
}

/// Now, for a TTL: the write's own time where the item does not carry one.
fn wall_clock_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or_default()
}

fn number(item: &Item, name: &str) -> Option<i64> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v.parse().ok(),
        _ => None,
    }
}

/// Whether an SDK error is a failed condition.
fn is_condition_failure<E>(err: &SdkError<E>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|c| c == "ConditionalCheckFailedException")
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
            retention: Retention::default(),
        }
    }

    /// Expiring items carry TTLs from these retentions (default: `Retention::default()`).
    pub fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// The `ttl` attribute of an item of `class` written (or last seen) at `at`.
    fn ttl(&self, class: DataClass, at: Millis) -> AttributeValue {
        n(self.retention.expires_at_secs(class, at))
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn record_item(rec: &SyncRecord) -> Result<Item, StoreError> {
        let mut stored = rec.clone();
        stored.revision = rec.revision + 1;
        let mut item = to_item(&stored)?;
        item.insert("PK".into(), s(nip_pk(rec.key.nip())));
        item.insert("SK".into(), s(record_sk(&rec.key)));
        if let Some(due) = rec.due_at() {
            item.insert("due_pk".into(), s(DUE_PARTITION));
            item.insert("due_at".into(), n(due));
        }
        Ok(item)
    }

    /// The `Put` that writes `rec` if the stored revision is still `rec.revision`.
    fn record_put(&self, rec: &SyncRecord) -> Result<Put, StoreError> {
        let builder = Put::builder()
            .table_name(&self.table)
            .set_item(Some(Self::record_item(rec)?));
        let builder = if rec.revision == 0 {
            builder.condition_expression("attribute_not_exists(PK)")
        } else {
            builder
                .condition_expression("revision = :expected")
                .expression_attribute_values(":expected", n(rec.revision))
        };
        builder.build().map_err(corrupt)
    }

    async fn get(&self, pk: String, sk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(pk))
            .key("SK", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item)
    }

    /// All items of a partition whose sort key starts with `prefix` (empty: all), in order.
    async fn query_prefix(&self, pk: String, prefix: String) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .expression_attribute_values(":pk", s(pk.clone()));
            // DynamoDB refuses an empty `begins_with` operand: no prefix, the whole partition.
            let query = if prefix.is_empty() {
                query.key_condition_expression("PK = :pk")
            } else {
                query
                    .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
                    .expression_attribute_values(":prefix", s(prefix.clone()))
            };
            let out = query
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    /// One page of a partition of the sparse `due` index: items due at or before `before`,
    /// oldest first, and where the next page starts.
    async fn query_due(
        &self,
        partition: &str,
        before: Millis,
        limit: usize,
        start: Option<Item>,
    ) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(DUE_INDEX)
            .key_condition_expression("due_pk = :due AND due_at <= :before")
            .expression_attribute_values(":due", s(partition))
            .expression_attribute_values(":before", n(before))
            .limit(limit.clamp(1, 1000) as i32)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(unavailable)?;
        let next = out.last_evaluated_key.filter(|k| !k.is_empty());
        Ok((out.items.unwrap_or_default(), next))
    }

    fn decode_record(item: Item) -> Result<SyncRecord, StoreError> {
        let revision = number(&item, "revision");
        let mut rec: SyncRecord = from_item(item)?;
        if let Some(r) = revision {
            rec.revision = r as u64;
        }
        Ok(rec)
    }
}

/// A pagination cursor: the `LastEvaluatedKey` of the due index, as JSON.
fn encode_cursor(key: &Item) -> Option<String> {
    let map: serde_json::Map<String, serde_json::Value> = key
        .iter()
        .filter_map(|(k, v)| match v {
            AttributeValue::S(x) => Some((k.clone(), serde_json::json!({"S": x}))),
            AttributeValue::N(x) => Some((k.clone(), serde_json::json!({"N": x}))),
            _ => None,
        })
        .collect();
    serde_json::to_string(&map).ok()
}

fn decode_cursor(cursor: &str) -> Option<Item> {
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(cursor).ok()?;
    map.into_iter()
        .map(|(k, v)| {
            if let Some(x) = v.get("S").and_then(|x| x.as_str()) {
                Some((k, s(x)))
            } else {
                v.get("N").and_then(|x| x.as_str()).map(|x| (k, n(x)))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let key: Item = [
            ("PK".to_string(), s("NIP#1")),
            ("due_at".to_string(), n(42)),
        ]
        .into();
        let cursor = encode_cursor(&key).expect("encodes");
        assert_eq!(decode_cursor(&cursor), Some(key));
        assert_eq!(decode_cursor("garbage"), None);
    }
}
