//! Metric sinks that need no AWS.

use crate::ports::{Metric, Metrics};

/// Discards everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoMetrics;

impl Metrics for NoMetrics {
    fn record(&self, _metric: Metric<'_>) {}
}

/// Emits each metric as a `tracing` event at debug level (local runs).
#[derive(Clone, Copy, Debug, Default)]
pub struct LogMetrics;

impl Metrics for LogMetrics {
    fn record(&self, metric: Metric<'_>) {
        tracing::debug!(target: "metrics", metric = ?metric);
    }
}
