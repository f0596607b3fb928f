//! What the engine keeps in every run document: who holds it (the lease), its status and the
//! figures of all its invocations.

use serde::{Deserialize, Serialize};

use ehrm_sync_domain::record::Millis;

use crate::ports::RunStatus;

/// Who holds a run, and until when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunLease {
    pub token: String,
    pub until: Millis,
}

/// Runs kept before the engine wrote leases as `{token, until}` held `[token, until]`.
impl<'de> Deserialize<'de> for RunLease {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Shape {
            Named { token: String, until: Millis },
            Pair(String, Millis),
        }
        Ok(match Shape::deserialize(d)? {
            Shape::Named { token, until } | Shape::Pair(token, until) => RunLease { token, until },
        })
    }
}

/// What the engine keeps in every run document (flattened into it, so the keys stay those runs
/// have always had).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunLife {
    pub run_id: String,
    pub status: RunStatus,
    pub started_at: Millis,
    #[serde(default)]
    pub finished_at: Option<Millis>,
    #[serde(default)]
    pub invocations: u32,
    #[serde(default)]
    pub lease: Option<RunLease>,
    /// Why the last invocation stopped before the end.
    #[serde(default)]
    pub pause_reason: Option<String>,
    /// BKN calls made for the run, over all its invocations.
    #[serde(default)]
    pub bkn_calls: u64,
    /// Time spent working on it, over all its invocations.
    #[serde(default)]
    pub active_ms: i64,
}

impl RunLife {
    pub fn new(run_id: String, now: Millis) -> Self {
        RunLife {
            run_id,
            status: RunStatus::Running,
            started_at: now,
            finished_at: None,
            invocations: 0,
            lease: None,
            pause_reason: None,
            bkn_calls: 0,
            active_ms: 0,
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self.status, RunStatus::Running | RunStatus::Paused)
    }
}
