//! Retention: how long each class of personal data is kept (`RETAIN_<CLASS>_DAYS`, defaults
//! argued in `docs/privacy.md`) and the purge that enforces it — on one machine on a schedule
//! inside `serve` and by `ehrm-sync purge`; on AWS mostly by DynamoDB's TTL, with the scheduled
//! function purging what a TTL cannot (the data of synced records, whose item must stay).

use std::collections::HashMap;

use ehrm_sync_domain::record::Millis;

use crate::config::{ConfigError, EnvSource, optional};
use crate::ports::{ControlStore, DataClass, Purge, Purged, StoreError};
use crate::readiness::{ReadinessRun, finished_runs};

const DAY_MS: Millis = 86_400_000;
/// Longest retention accepted (the audit's 5 years, twice).
const MAX_DAYS: u32 = 3_650;
/// How often `serve` purges.
pub const PURGE_INTERVAL_MS: Millis = 6 * 3_600_000;

/// Days kept per class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retention {
    days: HashMap<DataClass, u32>,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            days: DataClass::ALL
                .iter()
                .map(|c| (*c, c.default_days()))
                .collect(),
        }
    }
}

/// The variable that sets a class's retention.
pub fn variable(class: DataClass) -> String {
    format!("RETAIN_{}_DAYS", class.as_str().to_ascii_uppercase())
}

impl Retention {
    /// `RETAIN_RECORD_DATA_DAYS`, `RETAIN_ATTEMPTS_DAYS`, … (1 to 3,650 days).
    pub fn from_env(env: &dyn EnvSource) -> Result<Self, ConfigError> {
        let mut days = HashMap::new();
        for class in DataClass::ALL {
            let var = variable(class);
            let d: u32 = optional(env, &var, class.default_days())?;
            if !(1..=MAX_DAYS).contains(&d) {
                return Err(ConfigError::new(&var, "must be between 1 and 3650 days"));
            }
            days.insert(class, d);
        }
        Ok(Retention { days })
    }

    pub fn days(&self, class: DataClass) -> u32 {
        self.days
            .get(&class)
            .copied()
            .unwrap_or_else(|| class.default_days())
    }

    /// How long a class is kept, in milliseconds.
    pub fn keep_ms(&self, class: DataClass) -> Millis {
        Millis::from(self.days(class)) * DAY_MS
    }

    /// What of a class written at or before this time has outlived its retention at `now`.
    pub fn cutoff(&self, class: DataClass, now: Millis) -> Millis {
        now - self.keep_ms(class)
    }

    /// When an item of `class` written at `at` expires, in epoch seconds (DynamoDB's TTL).
    pub fn expires_at_secs(&self, class: DataClass, at: Millis) -> i64 {
        (at + self.keep_ms(class)) / 1_000
    }
}

/// What one purge did (or, dry, would do) per class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurgeReport {
    pub dry_run: bool,
    pub classes: Vec<(DataClass, u32, Purged)>,
    /// Readiness runs whose cohort and findings went.
    pub readiness_runs: Vec<String>,
    pub readiness_pieces: Purged,
}

impl PurgeReport {
    pub fn removed(&self) -> u64 {
        let pieces = match self.readiness_pieces {
            Purged::Removed(n) => n,
            Purged::ExpiresByItself => 0,
        };
        self.classes
            .iter()
            .map(|(_, _, p)| match p {
                Purged::Removed(n) => *n,
                Purged::ExpiresByItself => 0,
            })
            .sum::<u64>()
            + pieces
    }
}

/// Purges every class older than its retention at `now`, then the pieces of readiness runs that
/// finished before the runs' cutoff (the current run and newer finished ones keep theirs).
pub async fn purge_all(
    purge: &dyn Purge,
    controls: &dyn ControlStore,
    retention: &Retention,
    now: Millis,
    dry_run: bool,
) -> Result<PurgeReport, StoreError> {
    let mut classes = Vec::new();
    for class in DataClass::ALL {
        let before = retention.cutoff(class, now);
        let purged = purge.purge(class, before, dry_run).await?;
        classes.push((class, retention.days(class), purged));
    }
    let (keep, gone) =
        readiness_runs_kept(controls, retention.cutoff(DataClass::Runs, now)).await?;
    let readiness_pieces = purge
        .purge_run_pieces(READINESS_FAMILY, &keep, dry_run)
        .await?;
    if !dry_run && !gone.is_empty() {
        crate::readiness::forget_finished(controls, &gone).await?;
    }
    let report = PurgeReport {
        dry_run,
        classes,
        readiness_runs: gone,
        readiness_pieces,
    };
    tracing::info!(dry_run, removed = report.removed(), "retention purge done");
    Ok(report)
}

/// The family of a readiness run's control documents (`readiness.<run id>.cohort.<page>`).
const READINESS_FAMILY: &str = "readiness";

/// Readiness runs whose pieces stay (the current one, finished ones newer than `before`) and
/// the finished ones whose retention has ended.
async fn readiness_runs_kept(
    controls: &dyn ControlStore,
    before: Millis,
) -> Result<(Vec<String>, Vec<String>), StoreError> {
    let mut keep = Vec::new();
    let (current, _) =
        crate::ports::load_document::<ReadinessRun>(controls, crate::readiness::RUN_CONTROL)
            .await?;
    if let Some(run) = current {
        keep.push(run.life.run_id);
    }
    let mut gone = Vec::new();
    for run in finished_runs(controls).await? {
        let ended = run.life.finished_at.unwrap_or(run.life.started_at);
        if ended > before {
            keep.push(run.life.run_id);
        } else {
            gone.push(run.life.run_id);
        }
    }
    Ok((keep, gone))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn each_class_has_its_default_and_its_variable() {
        let r = Retention::from_env(&env(&[("RETAIN_AUDIT_DAYS", "3000")])).expect("valid");
        assert_eq!(r.days(DataClass::Audit), 3000);
        assert_eq!(r.days(DataClass::RecordData), 365);
        assert_eq!(r.days(DataClass::Sessions), 1);
        assert_eq!(variable(DataClass::RecordData), "RETAIN_RECORD_DATA_DAYS");
        assert_eq!(r.cutoff(DataClass::Lists, 31 * DAY_MS), DAY_MS);
        assert_eq!(r.expires_at_secs(DataClass::Series, 1_000), 1 + 90 * 86_400);
    }

    #[test]
    fn a_retention_out_of_bounds_names_its_variable() {
        for bad in ["0", "3651", "-1", "x"] {
            let err =
                Retention::from_env(&env(&[("RETAIN_ATTEMPTS_DAYS", bad)])).expect_err("refused");
            assert_eq!(err.var, "RETAIN_ATTEMPTS_DAYS", "{bad}");
        }
    }
}
