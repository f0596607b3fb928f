//! What a long run is given: its dependencies and how it paces itself.

use std::sync::Arc;

use crate::breaker::Breaker;
use crate::ports::{
    Clock, ControlStore, DeliveryQueue, EhrmDirectory, ReportSink, SyncStore, Workbooks,
};

/// What every long run reads and writes, besides its own BKN reads.
#[derive(Clone)]
pub struct RunDeps {
    pub ehrm: Arc<dyn EhrmDirectory>,
    pub store: Arc<dyn SyncStore>,
    pub queue: Arc<dyn DeliveryQueue>,
    pub controls: Arc<dyn ControlStore>,
    /// Where the run's files go; none: no files.
    pub reports: Option<Arc<dyn ReportSink>>,
    /// Writes the run's workbook; none: no `.xlsx`.
    pub workbooks: Option<Arc<dyn Workbooks>>,
    pub breaker: Option<Arc<Breaker>>,
    pub clock: Arc<dyn Clock>,
}

/// How a long run paces itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunSettings {
    /// People between checkpoints.
    pub chunk: usize,
    /// People read at once (the rate gate is what bounds BKN calls).
    pub concurrency: usize,
    /// Tries of one read before the run halts (transient failures).
    pub read_tries: u32,
    /// Stop this long before the invocation's deadline.
    pub deadline_margin_ms: i64,
    /// An invocation holds the run this long past its last checkpoint; a killed one is taken
    /// over after that.
    pub lease_ms: i64,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            chunk: 25,
            concurrency: 4,
            read_tries: 3,
            deadline_margin_ms: 60_000,
            lease_ms: 120_000,
        }
    }
}

impl RunSettings {
    pub fn engine(&self) -> EngineSettings {
        EngineSettings {
            deadline_margin_ms: self.deadline_margin_ms,
            lease_ms: self.lease_ms,
            read_tries: self.read_tries,
        }
    }
}

/// The engine's timing settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineSettings {
    /// Stop this long before the invocation's deadline.
    pub deadline_margin_ms: i64,
    /// Without a deadline, an invocation holds the run this long past its last checkpoint
    /// (or three steps' time, if longer); a killed one is taken over after that.
    pub lease_ms: i64,
    /// Tries of one read before the run halts.
    pub read_tries: u32,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            deadline_margin_ms: 60_000,
            lease_ms: 120_000,
            read_tries: 3,
        }
    }
}
