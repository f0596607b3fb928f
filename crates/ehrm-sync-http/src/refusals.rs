//! Refused webhooks in the log without letting a flood write one line each: per source and
//! kind of refusal, the first of each minute is logged whole (with the source address); the
//! rest of that minute are counted, and the count is logged when the minute is over (at the
//! next refusal). The ingest metrics count every refusal.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One line per source and kind this often.
const WINDOW: Duration = Duration::from_secs(60);
/// Sources tracked at once; beyond, refusals are counted under one shared source.
const MAX_SOURCES: usize = 1024;

struct Window {
    started: Instant,
    suppressed: u64,
}

#[derive(Default)]
pub struct RefusalLog {
    windows: Mutex<HashMap<(String, &'static str), Window>>,
}

impl RefusalLog {
    /// A webhook from `source` was refused as `kind` (the error code) with HTTP `status`;
    /// `detail` is safe to log (never the body).
    pub fn refused(&self, source: &str, kind: &'static str, status: u16, detail: Option<&str>) {
        let now = Instant::now();
        let Ok(mut windows) = self.windows.lock() else {
            return;
        };
        let over: Vec<(String, &'static str)> = windows
            .iter()
            .filter(|(_, w)| now.duration_since(w.started) >= WINDOW)
            .map(|(k, _)| k.clone())
            .collect();
        for key in over {
            if let Some(w) = windows.remove(&key)
                && w.suppressed > 0
            {
                tracing::info!(source = %key.0, kind = key.1, more = w.suppressed,
                    "more webhooks refused alike in the last minute");
            }
        }
        let source = if windows.len() >= MAX_SOURCES && !windows.keys().any(|(s, _)| s == source) {
            "(many sources)"
        } else {
            source
        };
        match windows.get_mut(&(source.to_string(), kind)) {
            Some(w) => w.suppressed += 1,
            None => {
                tracing::info!(source, kind, status, detail, "webhook refused");
                windows.insert(
                    (source.to_string(), kind),
                    Window {
                        started: now,
                        suppressed: 0,
                    },
                );
            }
        }
    }
}
