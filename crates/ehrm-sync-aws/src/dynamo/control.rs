//! [`ControlStore`]: control documents (breaker, last sweep, reconciliation run) and event
//! streams.

use super::*;

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
        let req = match self.control_ttl(name, value) {
            Some(ttl) => req.item("ttl", ttl),
            None => req,
        };
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
            .item("ttl", self.ttl(event_class(stream), at))
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

/// The audit trail is kept longest; other streams (breaker, SSO) as events.
fn event_class(stream: &str) -> DataClass {
    if stream == ehrm_sync_core::ports::AUDIT_STREAM {
        DataClass::Audit
    } else {
        DataClass::Events
    }
}

impl DynamoStore {
    /// Console sessions expire a retention after they were last seen; a readiness run's cohort
    /// and findings a runs' retention after they were written. Other documents (checkpoints,
    /// breaker, the unit map, the vault) never expire.
    fn control_ttl(&self, name: &str, value: &serde_json::Value) -> Option<AttributeValue> {
        if name.starts_with("console.session.") {
            let seen = value["seen"].as_i64()?;
            return Some(self.ttl(DataClass::Sessions, seen));
        }
        let piece = name
            .strip_prefix("readiness.")
            .is_some_and(|rest| rest.contains(".cohort.") || rest.contains(".findings."));
        piece.then(|| self.ttl(DataClass::Runs, wall_clock_ms()))
    }
}
