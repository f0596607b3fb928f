//! Metrics as CloudWatch Embedded Metric Format: JSON lines on stdout that CloudWatch Logs turns
//! into metrics (namespace `EhrmSync`, dimension `Function`, and `Reason` for rejections).
//! Counts are gathered during an invocation and written once at its end by [`EmfMetrics::flush`].

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use ehrm_sync_core::ports::{Metric, Metrics};

pub const NAMESPACE: &str = "EhrmSync";

#[derive(Default)]
struct Tally {
    counts: BTreeMap<&'static str, u64>,
    rejected: BTreeMap<String, u64>,
    latencies: Vec<i64>,
    /// The last reading of the SSO login's seconds left.
    sso_seconds_left: Option<i64>,
}

pub struct EmfMetrics {
    function: String,
    tally: Mutex<Tally>,
}

impl EmfMetrics {
    pub fn new(function: impl Into<String>) -> Self {
        EmfMetrics {
            function: function.into(),
            tally: Mutex::new(Tally::default()),
        }
    }

    /// The EMF documents for what was counted since the last flush, and resets the tally.
    pub fn drain(&self) -> Vec<Value> {
        let Ok(mut t) = self.tally.lock() else {
            return Vec::new();
        };
        let tally = std::mem::take(&mut *t);
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let mut docs = Vec::new();
        if !tally.counts.is_empty() || !tally.latencies.is_empty() {
            let mut doc = json!({"Function": self.function});
            let mut metrics = Vec::new();
            for (name, value) in &tally.counts {
                metrics.push(json!({"Name": name, "Unit": "Count"}));
                doc[*name] = json!(value);
            }
            if !tally.latencies.is_empty() {
                metrics.push(json!({"Name": "BknLatency", "Unit": "Milliseconds"}));
                doc["BknLatency"] = json!(tally.latencies);
            }
            doc["_aws"] = json!({"Timestamp": ts, "CloudWatchMetrics": [
                {"Namespace": NAMESPACE, "Dimensions": [["Function"]], "Metrics": metrics}]});
            docs.push(doc);
        }
        if let Some(seconds) = tally.sso_seconds_left {
            // No dimension: one series for the whole deployment, whichever function read it.
            docs.push(json!({
                "_aws": {"Timestamp": ts, "CloudWatchMetrics": [{"Namespace": NAMESPACE,
                    "Dimensions": [[]], "Metrics": [{"Name": "BknSsoSecondsLeft", "Unit": "Seconds"}]}]},
                "BknSsoSecondsLeft": seconds,
            }));
        }
        for (reason, value) in &tally.rejected {
            docs.push(json!({
                "_aws": {"Timestamp": ts, "CloudWatchMetrics": [{"Namespace": NAMESPACE,
                    "Dimensions": [["Function", "Reason"]], "Metrics": [{"Name": "Rejected", "Unit": "Count"}]}]},
                "Function": self.function, "Reason": reason, "Rejected": value,
            }));
        }
        docs
    }

    /// Writes the tally to stdout, one EMF document per line.
    pub fn flush(&self) {
        let docs = self.drain();
        if docs.is_empty() {
            return;
        }
        // println! (not a locked handle) so test harnesses capture it; in Lambda it is stdout.
        let lines: Vec<String> = docs.iter().map(Value::to_string).collect();
        println!("{}", lines.join("\n"));
    }
}

impl Metrics for EmfMetrics {
    fn record(&self, metric: Metric<'_>) {
        let Ok(mut t) = self.tally.lock() else { return };
        let name = match metric {
            Metric::Accepted => "Accepted",
            Metric::Duplicate => "Duplicate",
            Metric::Stale => "Stale",
            Metric::Delivered => "Delivered",
            Metric::Retried => "Retried",
            Metric::Failed => "Failed",
            Metric::Dead => "Dead",
            Metric::NeedsAction => "NeedsAction",
            Metric::Rejected { reason } => {
                *t.rejected.entry(reason.to_string()).or_default() += 1;
                return;
            }
            Metric::BknLatency { ms } => {
                t.latencies.push(ms);
                return;
            }
            Metric::SsoSecondsLeft { seconds } => {
                t.sso_seconds_left = Some(seconds);
                return;
            }
        };
        *t.counts.entry(name).or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_follow_the_embedded_metric_format() {
        let m = EmfMetrics::new("deliver");
        m.record(Metric::Delivered);
        m.record(Metric::Delivered);
        m.record(Metric::Retried);
        m.record(Metric::BknLatency { ms: 120 });
        m.record(Metric::Rejected {
            reason: "signature",
        });
        m.record(Metric::SsoSecondsLeft { seconds: 5400 });
        let docs = m.drain();
        assert_eq!(docs.len(), 3);
        let sso = &docs[1];
        assert_eq!(sso["BknSsoSecondsLeft"], 5400);
        assert_eq!(
            sso["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([[]])
        );
        let main = &docs[0];
        assert_eq!(main["Delivered"], 2);
        assert_eq!(main["Retried"], 1);
        assert_eq!(main["BknLatency"], json!([120]));
        let decl = &main["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(decl["Namespace"], NAMESPACE);
        assert_eq!(decl["Dimensions"], json!([["Function"]]));
        let names: Vec<&str> = decl["Metrics"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|x| x["Name"].as_str())
            .collect();
        assert_eq!(names, ["Delivered", "Retried", "BknLatency"]);
        assert_eq!(docs[2]["Reason"], "signature");
        assert_eq!(docs[2]["Rejected"], 1);
        assert!(m.drain().is_empty(), "the tally resets after a flush");
    }
}
