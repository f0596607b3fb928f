//! [`RateGate`]: the shared schedule of BKN calls and its adaptive rate, one item changed
//! with compare-and-swap on `revision` (the policy's pure functions compute each change).

use super::*;
use ehrm_sync_core::ports as series;
use ehrm_sync_domain::rate::{self as pacer, GateState, RatePolicy};

const GATE_PK: &str = "GATE#bkn";
const GATE_SK: &str = "STATE";

impl DynamoStore {
    async fn read_gate(&self) -> Result<(Option<GateState>, Option<i64>), StoreError> {
        let Some(item) = self.get(GATE_PK.into(), GATE_SK).await? else {
            return Ok((None, None));
        };
        let revision = number(&item, "revision");
        // An unreadable state (hand-edited) starts over rather than stopping every call.
        let state = match item.get("doc") {
            Some(AttributeValue::S(doc)) => serde_json::from_str(doc).ok(),
            _ => None,
        };
        Ok((state, revision))
    }

    /// Applies `step` to the gate atomically; retried while other workers win the race.
    async fn update_gate<T>(
        &self,
        step: impl Fn(Option<GateState>) -> (GateState, T),
    ) -> Result<T, StoreError> {
        for _ in 0..50 {
            let (state, revision) = self.read_gate().await?;
            let (next, out) = step(state);
            let doc =
                serde_json::to_string(&next).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let req = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("PK", s(GATE_PK))
                .item("SK", s(GATE_SK))
                .item("doc", s(doc))
                .item("revision", n(revision.unwrap_or(0) + 1));
            let req = match revision {
                Some(r) => req
                    .condition_expression("revision = :seen")
                    .expression_attribute_values(":seen", n(r)),
                None => req.condition_expression("attribute_not_exists(PK)"),
            };
            match req.send().await {
                Ok(_) => return Ok(out),
                Err(e) if is_condition_failure(&e) => continue,
                Err(e) => return Err(unavailable(e)),
            }
        }
        Err(StoreError::Unavailable(
            "the rate gate is too contended".into(),
        ))
    }
}

#[async_trait]
impl RateGate for DynamoStore {
    async fn reserve(&self, now: Millis, policy: &RatePolicy) -> Result<Millis, StoreError> {
        let slot = self.update_gate(|st| policy.reserve(st, now)).await?;
        self.count(series::BKN_CALLS, series::bucket(slot, series::MINUTE_MS))
            .await;
        Ok(slot)
    }

    async fn throttled(
        &self,
        now: Millis,
        slot: Option<Millis>,
        hold_until: Millis,
        policy: &RatePolicy,
    ) -> Result<(), StoreError> {
        self.update_gate(|st| (policy.throttled(st, now, slot, hold_until), ()))
            .await
    }

    async fn hold_until(&self, until: Millis, policy: &RatePolicy) -> Result<(), StoreError> {
        self.update_gate(|st| (pacer::hold(policy, st, until), ()))
            .await
    }

    async fn gate_state(&self) -> Result<Option<GateState>, StoreError> {
        Ok(self.read_gate().await?.0)
    }
}
