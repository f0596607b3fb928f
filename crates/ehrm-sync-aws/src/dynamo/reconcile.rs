//! [`ReconcileStore`]: a run's rows and the runs' summaries.

use super::*;

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
                .item("ttl", self.ttl(DataClass::Runs, wall_clock_ms()))
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
            .item(
                "ttl",
                self.ttl(DataClass::Runs, summary.finished_at.unwrap_or(started_at)),
            )
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
