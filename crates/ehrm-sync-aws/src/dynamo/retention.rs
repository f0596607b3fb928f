//! [`Purge`] on DynamoDB: every expiring item carries a `ttl` (epoch seconds) set when it is
//! written, and DynamoDB deletes it after that time, so most classes expire by themselves. A
//! synced record cannot: its item must stay (key, versions, BKN id). Its data and last message
//! are removed here, found through the `by_status` index (`status = synced`, `updated_at` up to
//! the cutoff) without a scan, each under compare-and-swap on its revision.

use ehrm_sync_core::ports::{DataClass, Purge, Purged};

use super::*;

/// Records read per page of the index.
const PAGE: i32 = 500;

impl DynamoStore {
    async fn purge_record_data(&self, before: Millis, dry_run: bool) -> Result<u64, StoreError> {
        let mut purged = 0;
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(STATUS_INDEX)
                .key_condition_expression("#status = :status AND updated_at <= :before")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":status", s(SyncStatus::Synced.as_str()))
                .expression_attribute_values(":before", n(before))
                .limit(PAGE)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items.unwrap_or_default() {
                let mut rec = Self::decode_record(item)?;
                if rec.data.is_none() && rec.last_error.is_none() {
                    continue;
                }
                if !dry_run {
                    rec.data = None;
                    rec.last_error = None;
                    match self.put_record(&rec).await {
                        Ok(()) => {}
                        // Changed meanwhile (a new version arrived): not synced any more.
                        Err(StoreError::Conflict) => continue,
                        Err(e) => return Err(e),
                    }
                }
                purged += 1;
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(purged),
            }
        }
    }
}

#[async_trait]
impl Purge for DynamoStore {
    async fn purge(
        &self,
        class: DataClass,
        before: Millis,
        dry_run: bool,
    ) -> Result<Purged, StoreError> {
        match class {
            DataClass::RecordData => Ok(Purged::Removed(
                self.purge_record_data(before, dry_run).await?,
            )),
            _ => Ok(Purged::ExpiresByItself),
        }
    }

    async fn purge_run_pieces(
        &self,
        _family: &str,
        _keep: &[String],
        _dry_run: bool,
    ) -> Result<Purged, StoreError> {
        Ok(Purged::ExpiresByItself)
    }
}
