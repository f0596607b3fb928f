//! What the console reads besides records: follow-up marks (`MARKS` / `<finding id>`) and the
//! time series of its charts (`SER#<series>` / `<bucket, 13 digits>`, `value` N, counted with
//! `UpdateItem ADD`, so concurrent writers never lose a count).

use ehrm_sync_core::ports::Series;
use ehrm_sync_core::ports::{FindingMark, FindingMarks};

use super::*;

const MARKS_PARTITION: &str = "MARKS";

fn series_pk(series: &str) -> String {
    format!("SER#{series}")
}

fn bucket_sk(bucket: Millis) -> String {
    format!("{bucket:013}")
}

impl DynamoStore {
    /// Counts one event in a series; a failure is logged, never fails the caller's write.
    pub(super) async fn count(&self, series: &str, bucket: Millis) {
        if let Err(e) = self.add_to_series(series, bucket, 1).await {
            tracing::warn!(error = %e, series, "series not counted");
        }
    }
}

#[async_trait]
impl FindingMarks for DynamoStore {
    async fn put_mark(&self, mark: &FindingMark) -> Result<(), StoreError> {
        let doc = serde_json::to_string(mark).map_err(corrupt)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("PK", s(MARKS_PARTITION))
            .item("SK", s(mark.finding_id.clone()))
            .item("doc", s(doc))
            .item("ttl", self.ttl(DataClass::Runs, mark.at))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn marks(&self) -> Result<Vec<FindingMark>, StoreError> {
        self.query_prefix(MARKS_PARTITION.into(), String::new())
            .await?
            .into_iter()
            .map(|item| match item.get("doc") {
                Some(AttributeValue::S(d)) => serde_json::from_str(d).map_err(corrupt),
                _ => Err(StoreError::Corrupt("a finding mark without a body".into())),
            })
            .collect()
    }
}

#[async_trait]
impl Series for DynamoStore {
    async fn add_to_series(&self, series: &str, bucket: Millis, n_: i64) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(series_pk(series)))
            .key("SK", s(bucket_sk(bucket)))
            .update_expression("ADD #v :n SET #ttl = :ttl")
            .expression_attribute_names("#v", "value")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":n", n(n_))
            .expression_attribute_values(":ttl", self.ttl(DataClass::Series, bucket))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn set_in_series(
        &self,
        series: &str,
        bucket: Millis,
        value: i64,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("PK", s(series_pk(series)))
            .item("SK", s(bucket_sk(bucket)))
            .item("value", n(value))
            .item("ttl", self.ttl(DataClass::Series, bucket))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn series(
        &self,
        series: &str,
        from: Millis,
        until: Millis,
    ) -> Result<Vec<(Millis, i64)>, StoreError> {
        let mut points = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :last")
                .expression_attribute_values(":pk", s(series_pk(series)))
                .expression_attribute_values(":from", s(bucket_sk(from.max(0))))
                .expression_attribute_values(":last", s(bucket_sk((until - 1).max(0))))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items.unwrap_or_default() {
                let bucket = match item.get("SK") {
                    Some(AttributeValue::S(k)) => k.parse().map_err(corrupt)?,
                    _ => continue,
                };
                points.push((bucket, number(&item, "value").unwrap_or(0)));
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(points),
            }
        }
    }
}
