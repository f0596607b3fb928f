//! [`RateGate`]: the shared schedule of BKN calls.

use super::*;
use ehrm_sync_core::series;

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
                Ok(_) => {
                    let minute = series::bucket(slot, series::MINUTE_MS);
                    self.count(series::BKN_CALLS, minute).await;
                    return Ok(slot);
                }
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
