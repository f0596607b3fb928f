//! A control store in one process's memory (compare-and-swap documents, event streams): for a
//! BKN client used on its own (tools, tests) and for unit tests. Nothing survives the process.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::ports::{Control, ControlStore, StoreError};

#[derive(Default)]
pub struct MemoryControls {
    pub docs: Mutex<HashMap<String, (serde_json::Value, u64)>>,
    /// `(stream, at, event)` in the order appended.
    pub events: Mutex<Vec<(String, i64, serde_json::Value)>>,
}

#[async_trait::async_trait]
impl ControlStore for MemoryControls {
    async fn control(&self, name: &str) -> Result<Option<Control>, StoreError> {
        Ok(self
            .docs
            .lock()
            .ok()
            .and_then(|d| d.get(name).cloned())
            .map(|(value, revision)| Control { value, revision }))
    }

    async fn put_control(
        &self,
        name: &str,
        value: &serde_json::Value,
        expected: u64,
    ) -> Result<(), StoreError> {
        let mut docs = self
            .docs
            .lock()
            .map_err(|_| StoreError::Unavailable("lock".into()))?;
        let current = docs.get(name).map_or(0, |(_, r)| *r);
        if current != expected {
            return Err(StoreError::Conflict);
        }
        docs.insert(name.into(), (value.clone(), expected + 1));
        Ok(())
    }

    async fn append_event(
        &self,
        stream: &str,
        at: i64,
        event: &serde_json::Value,
    ) -> Result<(), StoreError> {
        if let Ok(mut e) = self.events.lock() {
            e.push((stream.to_string(), at, event.clone()));
        }
        Ok(())
    }

    async fn events(
        &self,
        stream: &str,
        limit: usize,
    ) -> Result<Vec<(i64, serde_json::Value)>, StoreError> {
        let events = self.events.lock().map(|e| e.clone()).unwrap_or_default();
        Ok(events
            .into_iter()
            .rev()
            .filter(|(s, _, _)| s == stream)
            .take(limit)
            .map(|(_, at, e)| (at, e))
            .collect())
    }
}
