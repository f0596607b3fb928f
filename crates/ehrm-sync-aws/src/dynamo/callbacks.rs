//! [`CallbackOutbox`]: outcome callbacks to eHRM, due through the sparse `due` index.

use super::*;

impl DynamoStore {
    fn callback_item(&self, cb: &Callback, revision: u64) -> Result<Item, StoreError> {
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
        // Only a sent callback expires: one eHRM refused, or gave up on, stays for operators.
        if cb.status == CallbackStatus::Sent {
            item.insert("ttl".into(), self.ttl(DataClass::Callbacks, cb.updated_at));
        }
        Ok(item)
    }

    /// A pointer in the person's partition (`NIP#<nip>` / `CBK#<id>`), so their callbacks are
    /// found without a scan (a person's report, their erasure).
    async fn point_to_callback(&self, cb: &Callback) -> Result<(), StoreError> {
        let Some(nip) = cb.payload["data"]["nip"].as_str() else {
            return Ok(());
        };
        self.client
            .put_item()
            .table_name(&self.table)
            .item("PK", s(format!("NIP#{nip}")))
            .item("SK", s(format!("CBK#{}", cb.id)))
            .item("ttl", self.ttl(DataClass::Attempts, cb.created_at))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
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
            .set_item(Some(self.callback_item(callback, 1)?))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match result {
            Ok(_) => self.point_to_callback(callback).await,
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
        let (items, _) = self
            .query_due(CALLBACK_PARTITION, before, limit, None)
            .await?;
        items.into_iter().map(Self::decode_callback).collect()
    }

    async fn put_callback(&self, callback: &Callback) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(self.callback_item(callback, callback.revision + 1)?))
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
