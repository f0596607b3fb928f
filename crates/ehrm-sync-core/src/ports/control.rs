//! Small documents shared by every worker and process (the breaker's state, run checkpoints,
//! console sessions), written with compare-and-swap, and append-only event streams.

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use ehrm_sync_domain::record::Millis;

use super::store::StoreError;

/// A small shared document (breaker state, markers, checkpoints) and its revision.
#[derive(Clone, Debug, PartialEq)]
pub struct Control {
    pub value: serde_json::Value,
    pub revision: u64,
}

/// Small documents shared by every worker, written with compare-and-swap, and append-only
/// event streams (the breaker's opens and closes, for operators).
#[async_trait]
pub trait ControlStore: Send + Sync {
    async fn control(&self, name: &str) -> Result<Option<Control>, StoreError>;
    /// Writes `value` if the stored revision is `expected` (0: absent); `Conflict` otherwise.
    async fn put_control(
        &self,
        name: &str,
        value: &serde_json::Value,
        expected: u64,
    ) -> Result<(), StoreError>;
    async fn append_event(
        &self,
        stream: &str,
        at: Millis,
        event: &serde_json::Value,
    ) -> Result<(), StoreError>;
    /// The newest events of a stream, newest first.
    async fn events(
        &self,
        stream: &str,
        limit: usize,
    ) -> Result<Vec<(Millis, serde_json::Value)>, StoreError>;
}

/// Writes a control document whatever its revision, for documents whose last writer simply wins
/// (a run's pieces under its lease, answers kept for sharing).
pub async fn overwrite_control(
    controls: &dyn ControlStore,
    name: &str,
    value: &serde_json::Value,
) -> Result<(), StoreError> {
    for _ in 0..3 {
        let revision = controls.control(name).await?.map_or(0, |c| c.revision);
        match controls.put_control(name, value, revision).await {
            Err(StoreError::Conflict) => continue,
            other => return other,
        }
    }
    Err(StoreError::Conflict)
}

/// A document as `T`, and its revision (0 when absent).
pub async fn load_document<T: DeserializeOwned>(
    controls: &dyn ControlStore,
    name: &str,
) -> Result<(Option<T>, u64), StoreError> {
    match controls.control(name).await? {
        Some(c) => {
            let value = serde_json::from_value(c.value)
                .map_err(|e| StoreError::Corrupt(format!("{name}: {e}")))?;
            Ok((Some(value), c.revision))
        }
        None => Ok((None, 0)),
    }
}

/// Writes `value` as a document if the stored revision is `expected` (0: absent); returns the
/// new revision. `Conflict` when another writer got there first.
pub async fn save_document<T: Serialize>(
    controls: &dyn ControlStore,
    name: &str,
    value: &T,
    expected: u64,
) -> Result<u64, StoreError> {
    let value = serde_json::to_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    controls.put_control(name, &value, expected).await?;
    Ok(expected + 1)
}

/// [`overwrite_control`] of a typed document (pieces only one invocation writes, under a run's
/// lease).
pub async fn overwrite_document<T: Serialize>(
    controls: &dyn ControlStore,
    name: &str,
    value: &T,
) -> Result<(), StoreError> {
    let value = serde_json::to_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    overwrite_control(controls, name, &value).await
}
