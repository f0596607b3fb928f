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
//! | NIP of a PNS id | `PNS#<pns id>` | `NIP` | `nip` |
//! | reconciliation row | `RKN#<run id>` | `ROW#<row key>` | `doc` (the row, JSON) |
//! | reconciliation run | `RKNRUNS` | `<started_at>#<run id>` | `doc` (the summary, JSON) |
//! | idempotency | `EVT#<webhook id>` | `EVT` | payload hash, record key, `expires_at`; `ttl` for cleanup |
//! | guard counter | `GUARD#<name>` | `GUARD` | `revision` |
//! | rate gate | `GATE#bkn` | `GATE` | `next_at` |
//! | control document | `CTL#<name>` | `CTL` | `value` (JSON), `revision` |
//! | event | `EVS#<stream>` | `<at>#<nonce>` | `event` (JSON) |
//! | callback to eHRM | `CB#<id>` | `CB` | the callback, `revision`; `due_pk = CALLBACK` + `due_at` while pending |
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
//! | PNS id → NIP (who heads a unit at BKN) | `GetItem PNS#id / NIP` |
//! | a run's rows (written again on resume: same key, replaced) | `BatchWriteItem`; `Query PK = RKN#run` (paged) |
//! | the last runs | `PutItem RKNRUNS`; `Query PK = RKNRUNS` newest first, `Limit` |
//! | next BKN call slot | `GetItem GATE#bkn` + `UpdateItem … IF next_at = :seen` |
//! | breaker state, last sweep | `GetItem CTL#name`, `PutItem … IF revision = :expected` |
//! | breaker history | `PutItem EVS#breaker`, `Query EVS#breaker` newest first |
//! | callbacks due | `Query due: due_pk = CALLBACK, due_at <= now` |
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
    ControlStore, IdempotencyEntry, PnsIdCache, RateGate, ReconcileStore, StoreError, SyncStore,
};
use ehrm_sync_core::reconcile::RunSummary;
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::reconcile::Discrepancy;
use ehrm_sync_domain::record::{Millis, RecordKey, SyncRecord, SyncStatus};

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
        }
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

    /// All items of a partition whose sort key starts with `prefix`, in order.
    async fn query_prefix(&self, pk: String, prefix: String) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
                .expression_attribute_values(":pk", s(pk.clone()))
                .expression_attribute_values(":prefix", s(prefix.clone()))
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

#[async_trait]
impl SyncStore for DynamoStore {
    async fn idempotency(
        &self,
        webhook_id: &str,
        now: Millis,
    ) -> Result<Option<IdempotencyEntry>, StoreError> {
        match self.get(format!("EVT#{webhook_id}"), "EVT").await? {
            Some(item) => {
                let entry: IdempotencyEntry = from_item(item)?;
                Ok((entry.expires_at > now).then_some(entry))
            }
            None => Ok(None),
        }
    }

    async fn accept(&self, write: &AcceptWrite) -> Result<AcceptResult, StoreError> {
        let i = &write.idempotency;
        let mut idem = to_item(i)?;
        idem.insert("PK".into(), s(format!("EVT#{}", i.webhook_id)));
        idem.insert("SK".into(), s("EVT"));
        idem.insert("ttl".into(), n(i.expires_at / 1000));
        let mut items = vec![
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(idem))
                        .condition_expression("attribute_not_exists(PK) OR expires_at <= :now")
                        .expression_attribute_values(":now", n(i.created_at))
                        .return_values_on_condition_check_failure(
                            ReturnValuesOnConditionCheckFailure::AllOld,
                        )
                        .build()
                        .map_err(corrupt)?,
                )
                .build(),
        ];
        if let Some(g) = &write.guard {
            let put = Put::builder()
                .table_name(&self.table)
                .item("PK", s(format!("GUARD#{}", g.key)))
                .item("SK", s("GUARD"))
                .item("revision", n(g.revision + 1));
            let put = if g.revision == 0 {
                put.condition_expression("attribute_not_exists(PK)")
            } else {
                put.condition_expression("revision = :r")
                    .expression_attribute_values(":r", n(g.revision))
            };
            items.push(
                TransactWriteItem::builder()
                    .put(put.build().map_err(corrupt)?)
                    .build(),
            );
        }
        if let Some(rec) = &write.record {
            items.push(
                TransactWriteItem::builder()
                    .put(self.record_put(rec)?)
                    .build(),
            );
        }
        let log = &write.change_log;
        let nip = write
            .record
            .as_ref()
            .map(|r| r.key.nip().to_string())
            .or_else(|| {
                log.record_key
                    .parse::<RecordKey>()
                    .ok()
                    .map(|k| k.nip().to_string())
            })
            .unwrap_or_default();
        let mut log_item = to_item(log)?;
        log_item.insert("PK".into(), s(format!("NIP#{nip}")));
        log_item.insert(
            "SK".into(),
            s(format!(
                "CHG#{}#{:013}#{}",
                log.record_key, log.received_at, log.webhook_id
            )),
        );
        items.push(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(log_item))
                        .build()
                        .map_err(corrupt)?,
                )
                .build(),
        );

        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(AcceptResult::Written),
            Err(err) => {
                let reasons = match err.as_service_error() {
                    Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(e)) => {
                        Some(e.cancellation_reasons().to_vec())
                    }
                    _ => None,
                };
                let Some(reasons) = reasons else {
                    return Err(unavailable(err));
                };
                let failed = |r: &aws_sdk_dynamodb::types::CancellationReason| {
                    r.code().is_some_and(|c| c == "ConditionalCheckFailed")
                };
                if let Some(first) = reasons.first()
                    && failed(first)
                {
                    // The webhook id won the race elsewhere: report the winner.
                    if let Some(item) = first.item().cloned()
                        && let Ok(seen) = from_item::<IdempotencyEntry>(item)
                    {
                        return Ok(AcceptResult::DuplicateEvent(seen));
                    }
                    return match self.idempotency(&i.webhook_id, i.created_at).await? {
                        Some(seen) => Ok(AcceptResult::DuplicateEvent(seen)),
                        None => Err(StoreError::Conflict),
                    };
                }
                // A record or guard moved, or a concurrent transaction touched them: retry.
                Err(StoreError::Conflict)
            }
        }
    }

    async fn record(&self, key: &RecordKey) -> Result<Option<SyncRecord>, StoreError> {
        self.get(nip_pk(key.nip()), &record_sk(key))
            .await?
            .map(Self::decode_record)
            .transpose()
    }

    async fn records_for_nip(&self, nip: &Nip) -> Result<Vec<SyncRecord>, StoreError> {
        self.query_prefix(nip_pk(nip), "REC#".into())
            .await?
            .into_iter()
            .map(Self::decode_record)
            .collect()
    }

    async fn guard_revision(&self, key: &str) -> Result<u64, StoreError> {
        Ok(self
            .get(format!("GUARD#{key}"), "GUARD")
            .await?
            .and_then(|item| number(&item, "revision"))
            .unwrap_or(0) as u64)
    }

    async fn put_record(&self, record: &SyncRecord) -> Result<(), StoreError> {
        let put = self.record_put(record)?;
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(put.item().clone()))
            .set_condition_expression(put.condition_expression().map(str::to_string));
        if let Some(values) = put.expression_attribute_values() {
            req = req.set_expression_attribute_values(Some(values.clone()));
        }
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Err(StoreError::Conflict),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn append_attempt(&self, a: &AttemptEntry) -> Result<(), StoreError> {
        let key: RecordKey = a.record_key.parse().map_err(corrupt)?;
        let mut item = to_item(a)?;
        item.insert("PK".into(), s(nip_pk(key.nip())));
        item.insert(
            "SK".into(),
            s(format!(
                "ATT#{}#{:013}#{:08x}",
                a.record_key,
                a.at,
                rand::random::<u32>()
            )),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn attempts(&self, key: &RecordKey) -> Result<Vec<AttemptEntry>, StoreError> {
        self.query_prefix(nip_pk(key.nip()), format!("ATT#{key}#"))
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    async fn due_records(
        &self,
        before: Millis,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<(Vec<SyncRecord>, Option<String>), StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(DUE_INDEX)
            .key_condition_expression("due_pk = :due AND due_at <= :before")
            .expression_attribute_values(":due", s(DUE_PARTITION))
            .expression_attribute_values(":before", n(before))
            .limit(limit.clamp(1, 1000) as i32)
            .set_exclusive_start_key(cursor.as_deref().and_then(decode_cursor))
            .send()
            .await
            .map_err(unavailable)?;
        let records = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(Self::decode_record)
            .collect::<Result<Vec<_>, _>>()?;
        let next = out
            .last_evaluated_key
            .filter(|k| !k.is_empty())
            .and_then(|k| encode_cursor(&k));
        Ok((records, next))
    }

    async fn records_by_status(
        &self,
        status: SyncStatus,
        since: Millis,
        until: Millis,
        limit: usize,
    ) -> Result<Vec<SyncRecord>, StoreError> {
        let mut records = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(STATUS_INDEX)
                .key_condition_expression(
                    "#status = :status AND updated_at BETWEEN :since AND :until",
                )
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":status", s(status.as_str()))
                .expression_attribute_values(":since", n(since))
                .expression_attribute_values(":until", n(until))
                .limit((limit - records.len()).clamp(1, 1000) as i32)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items.unwrap_or_default() {
                records.push(Self::decode_record(item)?);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() && records.len() < limit => start = Some(k),
                _ => return Ok(records),
            }
        }
    }

    async fn count_by_status(&self) -> Result<Vec<(SyncStatus, u64)>, StoreError> {
        let mut counts = Vec::new();
        for status in SyncStatus::ALL {
            let mut total = 0u64;
            let mut start = None;
            loop {
                let out = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(STATUS_INDEX)
                    .key_condition_expression("#status = :status")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":status", s(status.as_str()))
                    .select(Select::Count)
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(unavailable)?;
                total += out.count.max(0) as u64;
                match out.last_evaluated_key {
                    Some(k) if !k.is_empty() => start = Some(k),
                    _ => break,
                }
            }
            if total > 0 {
                counts.push((status, total));
            }
        }
        Ok(counts)
    }
}

#[async_trait]
impl PnsIdCache for DynamoStore {
    async fn pns_id(&self, nip: &Nip) -> Result<Option<String>, StoreError> {
        Ok(self
            .get(nip_pk(nip), "PNSID")
            .await?
            .and_then(|item| match item.get("pns_id") {
                Some(AttributeValue::S(v)) => Some(v.clone()),
                _ => None,
            }))
    }

    async fn put_pns_id(&self, nip: &Nip, pns_id: &str, now: Millis) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("PK", s(nip_pk(nip)))
            .item("SK", s("PNSID"))
            .item("pns_id", s(pns_id))
            .item("fetched_at", n(now))
            .send()
            .await
            .map_err(unavailable)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("PK", s(format!("PNS#{}", pns_id.to_uppercase())))
            .item("SK", s("NIP"))
            .item("nip", s(nip.as_str()))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn nip_for_pns_id(&self, pns_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .get(format!("PNS#{}", pns_id.to_uppercase()), "NIP")
            .await?
            .and_then(|item| match item.get("nip") {
                Some(AttributeValue::S(v)) => Some(v.clone()),
                _ => None,
            }))
    }
}

impl DynamoStore {
    async fn query_docs(
        &self,
        pk: String,
        newest_first: bool,
        limit: Option<usize>,
    ) -> Result<Vec<String>, StoreError> {
        let mut docs = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", s(pk.clone()))
                .scan_index_forward(!newest_first)
                .set_exclusive_start_key(start.take());
            if let Some(l) = limit {
                q = q.limit(l.clamp(1, 1000) as i32);
            }
            let out = q.send().await.map_err(unavailable)?;
            for item in out.items.unwrap_or_default() {
                match item.get("doc") {
                    Some(AttributeValue::S(d)) => docs.push(d.clone()),
                    _ => return Err(StoreError::Corrupt(format!("{pk}: an item without a doc"))),
                }
            }
            if limit.is_some_and(|l| docs.len() >= l) {
                docs.truncate(limit.unwrap_or(docs.len()));
                return Ok(docs);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(docs),
            }
        }
    }
}

#[async_trait]
impl ReconcileStore for DynamoStore {
    async fn put_rows(&self, run_id: &str, rows: &[Discrepancy]) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        let mut requests = Vec::with_capacity(rows.len());
        let mut seen = std::collections::HashSet::new();
        for r in rows {
            let key = r.row_key();
            if !seen.insert(key.clone()) {
                continue; // one batch may not name an item twice
            }
            let put = PutRequest::builder()
                .item("PK", s(format!("RKN#{run_id}")))
                .item("SK", s(format!("ROW#{key}")))
                .item("doc", s(serde_json::to_string(r).map_err(corrupt)?))
                .build()
                .map_err(corrupt)?;
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        for batch in requests.chunks(25) {
            let mut pending = batch.to_vec();
            for round in 0..8 {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(self.table.clone(), pending)
                    .send()
                    .await
                    .map_err(unavailable)?;
                pending = out
                    .unprocessed_items
                    .and_then(|mut m| m.remove(&self.table))
                    .unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50 << round)).await;
            }
            if !pending.is_empty() {
                return Err(StoreError::Unavailable(
                    "DynamoDB left reconciliation rows unprocessed".into(),
                ));
            }
        }
        Ok(())
    }

    async fn rows(&self, run_id: &str) -> Result<Vec<Discrepancy>, StoreError> {
        self.query_docs(format!("RKN#{run_id}"), false, None)
            .await?
            .iter()
            .map(|d| serde_json::from_str(d).map_err(corrupt))
            .collect()
    }

    async fn put_run(&self, run_id: &str, summary: &RunSummary) -> Result<(), StoreError> {
        let started_at = summary.started_at;
        let doc = serde_json::to_string(summary).map_err(corrupt)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("PK", s("RKNRUNS"))
            .item("SK", s(format!("{started_at:013}#{run_id}")))
            .item("doc", s(doc))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn runs(&self, limit: usize) -> Result<Vec<RunSummary>, StoreError> {
        self.query_docs("RKNRUNS".into(), true, Some(limit))
            .await?
            .iter()
            .map(|d| serde_json::from_str(d).map_err(corrupt))
            .collect()
    }
}

#[async_trait]
impl RateGate for DynamoStore {
    async fn reserve(&self, now: Millis, interval_ms: i64) -> Result<Millis, StoreError> {
        for _ in 0..50 {
            let seen = self
                .get("GATE#bkn".into(), "GATE")
                .await?
                .and_then(|item| number(&item, "next_at"));
            let slot = seen.unwrap_or(now).max(now);
            let req = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("PK", s("GATE#bkn"))
                .key("SK", s("GATE"))
                .update_expression("SET next_at = :next")
                .expression_attribute_values(":next", n(slot + interval_ms));
            let req = match seen {
                Some(v) => req
                    .condition_expression("next_at = :seen")
                    .expression_attribute_values(":seen", n(v)),
                None => req.condition_expression("attribute_not_exists(next_at)"),
            };
            match req.send().await {
                Ok(_) => return Ok(slot),
                Err(e) if is_condition_failure(&e) => continue,
                Err(e) => return Err(unavailable(e)),
            }
        }
        Err(StoreError::Unavailable(
            "the rate gate is too contended".into(),
        ))
    }

    async fn hold_until(&self, until: Millis) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s("GATE#bkn"))
            .key("SK", s("GATE"))
            .update_expression("SET next_at = :until")
            .condition_expression("attribute_not_exists(next_at) OR next_at < :until")
            .expression_attribute_values(":until", n(until))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}

#[async_trait]
impl ControlStore for DynamoStore {
    async fn control(&self, name: &str) -> Result<Option<Control>, StoreError> {
        let Some(item) = self.get(format!("CTL#{name}"), "CTL").await? else {
            return Ok(None);
        };
        let value = match item.get("value") {
            Some(AttributeValue::S(v)) => serde_json::from_str(v).map_err(corrupt)?,
            _ => return Err(StoreError::Corrupt(format!("control {name} has no value"))),
        };
        Ok(Some(Control {
            value,
            revision: number(&item, "revision").unwrap_or(0) as u64,
        }))
    }

    async fn put_control(
        &self,
        name: &str,
        value: &serde_json::Value,
        expected: u64,
    ) -> Result<(), StoreError> {
        let req = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("PK", s(format!("CTL#{name}")))
            .item("SK", s("CTL"))
            .item("value", s(value.to_string()))
            .item("revision", n(expected + 1));
        let req = if expected == 0 {
            req.condition_expression("attribute_not_exists(PK)")
        } else {
            req.condition_expression("revision = :expected")
                .expression_attribute_values(":expected", n(expected))
        };
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Err(StoreError::Conflict),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn append_event(
        &self,
        stream: &str,
        at: Millis,
        event: &serde_json::Value,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("PK", s(format!("EVS#{stream}")))
            .item("SK", s(format!("{at:013}#{:08x}", rand::random::<u32>())))
            .item("at", n(at))
            .item("event", s(event.to_string()))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn events(
        &self,
        stream: &str,
        limit: usize,
    ) -> Result<Vec<(Millis, serde_json::Value)>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(format!("EVS#{stream}")))
            .scan_index_forward(false)
            .limit(limit.clamp(1, 1000) as i32)
            .send()
            .await
            .map_err(unavailable)?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                let at = number(&item, "at").unwrap_or(0);
                match item.get("event") {
                    Some(AttributeValue::S(e)) => {
                        Ok((at, serde_json::from_str(e).map_err(corrupt)?))
                    }
                    _ => Err(StoreError::Corrupt("an event without a body".into())),
                }
            })
            .collect()
    }
}

impl DynamoStore {
    fn callback_item(cb: &Callback, revision: u64) -> Result<Item, StoreError> {
        let mut stored = cb.clone();
        stored.revision = revision;
        let mut item = to_item(&stored)?;
        // `status` and `updated_at` are the keys of the records' `by_status` index; renamed so
        // callbacks stay out of it.
        for (from, to) in [("status", "cb_status"), ("updated_at", "cb_updated_at")] {
            if let Some(v) = item.remove(from) {
                item.insert(to.into(), v);
            }
        }
        item.insert("PK".into(), s(format!("CB#{}", cb.id)));
        item.insert("SK".into(), s("CB"));
        if cb.status == CallbackStatus::Pending {
            item.insert("due_pk".into(), s(CALLBACK_PARTITION));
            item.insert(
                "due_at".into(),
                n(cb.next_attempt_at.unwrap_or(cb.created_at)),
            );
        }
        Ok(item)
    }

    fn decode_callback(mut item: Item) -> Result<Callback, StoreError> {
        for (from, to) in [("cb_status", "status"), ("cb_updated_at", "updated_at")] {
            if let Some(v) = item.remove(from) {
                item.insert(to.into(), v);
            }
        }
        let revision = number(&item, "revision");
        let mut cb: Callback = from_item(item)?;
        if let Some(r) = revision {
            cb.revision = r as u64;
        }
        Ok(cb)
    }
}

#[async_trait]
impl CallbackOutbox for DynamoStore {
    async fn add_callback(&self, callback: &Callback) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::callback_item(callback, 1)?))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn callback(&self, id: &str) -> Result<Option<Callback>, StoreError> {
        self.get(format!("CB#{id}"), "CB")
            .await?
            .map(Self::decode_callback)
            .transpose()
    }

    async fn due_callbacks(
        &self,
        before: Millis,
        limit: usize,
    ) -> Result<Vec<Callback>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(DUE_INDEX)
            .key_condition_expression("due_pk = :due AND due_at <= :before")
            .expression_attribute_values(":due", s(CALLBACK_PARTITION))
            .expression_attribute_values(":before", n(before))
            .limit(limit.clamp(1, 1000) as i32)
            .send()
            .await
            .map_err(unavailable)?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(Self::decode_callback)
            .collect()
    }

    async fn put_callback(&self, callback: &Callback) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::callback_item(callback, callback.revision + 1)?))
            .condition_expression("revision = :expected")
            .expression_attribute_values(":expected", n(callback.revision))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Err(StoreError::Conflict),
            Err(e) => Err(unavailable(e)),
        }
    }
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
