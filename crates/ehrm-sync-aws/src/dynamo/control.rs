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
