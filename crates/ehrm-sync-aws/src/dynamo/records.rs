//! [`SyncStore`]: sync records, accepted changes with their idempotency entries, attempts,
//! and the `due` and `by_status` indexes.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use ehrm_sync_core::ports as series;
use ehrm_sync_core::ports::Guard;

use super::*;

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
        let items = self.accept_items(write)?;
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(AcceptResult::Written),
            Err(err) => self.accept_refused(err, &write.idempotency).await,
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
        item.insert("ttl".into(), self.ttl(DataClass::Attempts, a.at));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(unavailable)?;
        let hour = series::bucket(a.at, series::HOUR_MS);
        self.count(&series::outcome_series(a.outcome), hour).await;
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
        let (items, next) = self
            .query_due(
                DUE_PARTITION,
                before,
                limit,
                cursor.as_deref().and_then(decode_cursor),
            )
            .await?;
        let records = items
            .into_iter()
            .map(Self::decode_record)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((records, next.and_then(|k| encode_cursor(&k))))
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

/// The transaction that accepts a change: idempotency entry, guard, record, change log.
impl DynamoStore {
    fn accept_items(&self, write: &AcceptWrite) -> Result<Vec<TransactWriteItem>, StoreError> {
        let put = |p: Put| TransactWriteItem::builder().put(p).build();
        let mut items = vec![put(self.idempotency_put(&write.idempotency)?)];
        if let Some(g) = &write.guard {
            items.push(put(self.guard_put(g)?));
        }
        if let Some(rec) = &write.record {
            items.push(put(self.record_put(rec)?));
        }
        items.push(put(self.change_log_put(write)?));
        Ok(items)
    }

    /// Written only if the webhook id is new or its entry expired; a lost race returns the
    /// winner's entry (`ALL_OLD`).
    fn idempotency_put(&self, i: &IdempotencyEntry) -> Result<Put, StoreError> {
        let mut idem = to_item(i)?;
        idem.insert("PK".into(), s(format!("EVT#{}", i.webhook_id)));
        idem.insert("SK".into(), s("EVT"));
        idem.insert("ttl".into(), n(i.expires_at / 1000));
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(idem))
            .condition_expression("attribute_not_exists(PK) OR expires_at <= :now")
            .expression_attribute_values(":now", n(i.created_at))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(corrupt)
    }

    fn guard_put(&self, g: &Guard) -> Result<Put, StoreError> {
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
        put.build().map_err(corrupt)
    }

    /// The audit entry, in the employee's partition.
    fn change_log_put(&self, write: &AcceptWrite) -> Result<Put, StoreError> {
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
        log_item.insert("ttl".into(), self.ttl(DataClass::Changes, log.received_at));
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(log_item))
            .build()
            .map_err(corrupt)
    }

    /// A refused transaction: a duplicate webhook id (the winner's entry), or a conflict on the
    /// record or guard (the caller tries again), or DynamoDB unavailable.
    async fn accept_refused(
        &self,
        err: SdkError<TransactWriteItemsError>,
        i: &IdempotencyEntry,
    ) -> Result<AcceptResult, StoreError> {
        let reasons = match err.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(e)) => {
                e.cancellation_reasons().to_vec()
            }
            _ => return Err(unavailable(err)),
        };
        let idempotency_refused = reasons
            .first()
            .filter(|r| r.code().is_some_and(|c| c == "ConditionalCheckFailed"));
        let Some(first) = idempotency_refused else {
            // A record or guard moved, or a concurrent transaction touched them: retry.
            return Err(StoreError::Conflict);
        };
        // The webhook id won the race elsewhere: report the winner.
        if let Some(item) = first.item().cloned()
            && let Ok(seen) = from_item::<IdempotencyEntry>(item)
        {
            return Ok(AcceptResult::DuplicateEvent(seen));
        }
        match self.idempotency(&i.webhook_id, i.created_at).await? {
            Some(seen) => Ok(AcceptResult::DuplicateEvent(seen)),
            None => Err(StoreError::Conflict),
        }
    }
}
