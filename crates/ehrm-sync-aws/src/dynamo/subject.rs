//! [`PersonalHistory`] on DynamoDB: one person's items share their partition (`NIP#<nip>`), so
//! their changes, attempts, lists, PNS id and callback pointers are one `Query`; an erasure
//! deletes those items, the callbacks pointed to and the PNS id's reverse item, clears the data
//! of each record under compare-and-swap, and deletes the findings and marks the plan names.

use ehrm_sync_core::ports::{Callback, ChangeLogEntry, Erased, ErasurePlan, PersonalHistory};

use super::*;

/// Tries of one record's compare-and-swap before the erasure gives up (the caller retries).
const RECORD_TRIES: usize = 5;

impl DynamoStore {
    async fn delete(&self, pk: String, sk: String) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("PK", s(pk))
            .key("SK", s(sk))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// Clears one record's data and last message; `true` when there was something to clear.
    async fn clear_record(&self, key: &RecordKey) -> Result<bool, StoreError> {
        for _ in 0..RECORD_TRIES {
            let Some(mut rec) = self.record(key).await? else {
                return Ok(false);
            };
            if rec.data.is_none() && rec.last_error.is_none() {
                return Ok(false);
            }
            rec.data = None;
            rec.last_error = None;
            match self.put_record(&rec).await {
                Ok(()) => return Ok(true),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Conflict)
    }
}

#[async_trait]
impl PersonalHistory for DynamoStore {
    async fn changes_of(&self, nip: &Nip) -> Result<Vec<ChangeLogEntry>, StoreError> {
        let mut changes: Vec<ChangeLogEntry> = self
            .query_prefix(nip_pk(nip), "CHG#".into())
            .await?
            .into_iter()
            .map(from_item)
            .collect::<Result<_, _>>()?;
        changes.sort_by_key(|c| c.received_at);
        Ok(changes)
    }

    async fn callbacks_of(&self, nip: &Nip) -> Result<Vec<Callback>, StoreError> {
        let mut callbacks = Vec::new();
        for item in self.query_prefix(nip_pk(nip), "CBK#".into()).await? {
            let sk = match item.get("SK") {
                Some(AttributeValue::S(sk)) => sk.clone(),
                _ => continue,
            };
            if let Some(cb) = self.callback(&sk["CBK#".len()..]).await? {
                callbacks.push(cb);
            }
        }
        callbacks.sort_by_key(|c| c.created_at);
        Ok(callbacks)
    }

    async fn erase(&self, nip: &Nip, plan: &ErasurePlan) -> Result<Erased, StoreError> {
        let mut erased = Erased::default();
        for rec in self.records_for_nip(nip).await? {
            if self.clear_record(&rec.key).await? {
                erased.records += 1;
            }
        }
        for item in self.query_prefix(nip_pk(nip), String::new()).await? {
            let sk = match item.get("SK") {
                Some(AttributeValue::S(sk)) => sk.clone(),
                _ => continue,
            };
            let counter = if sk.starts_with("ATT#") {
                &mut erased.attempts
            } else if sk.starts_with("CHG#") {
                &mut erased.changes
            } else if let Some(id) = sk.strip_prefix("CBK#") {
                self.delete(format!("CB#{id}"), "CB".into()).await?;
                &mut erased.callbacks
            } else if sk == "PNSID" {
                if let Some(AttributeValue::S(pns)) = item.get("pns_id") {
                    self.delete(format!("PNS#{}", pns.to_uppercase()), "NIP".into())
                        .await?;
                }
                &mut erased.read_from_bkn
            } else if sk.starts_with("LIST#") {
                &mut erased.read_from_bkn
            } else {
                continue; // the records themselves stay
            };
            self.delete(nip_pk(nip), sk).await?;
            *counter += 1;
        }
        for (run_id, row_key) in &plan.rows {
            self.delete(format!("RKN#{run_id}"), format!("ROW#{row_key}"))
                .await?;
            erased.findings += 1;
        }
        for id in &plan.marks {
            self.delete("MARKS".into(), id.clone()).await?;
            erased.marks += 1;
        }
        Ok(erased)
    }
}
