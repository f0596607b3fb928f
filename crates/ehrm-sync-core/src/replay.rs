//! Replay: records that ended `dead` or `failed` are given another go, by status and time window
//! (their last update within `[since, until]`, at most 14 days). A dry run lists exactly what a
//! real run would replay. Replayed records go back to `pending` with fresh attempts and are
//! queued; a record refused by BKN goes through if the cause was fixed meanwhile (at BKN, or by a
//! corrected version from eHRM, which restarts delivery by itself).

use std::sync::Arc;

use ehrm_sync_domain::record::{Millis, SyncRecord, SyncStatus};

use crate::ports::{Clock, DeliveryMessage, DeliveryQueue, QueueError, StoreError, SyncStore};

pub const MAX_WINDOW_MS: i64 = 14 * 24 * 3600 * 1000;
const MAX_RECORDS: usize = 1_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayRequest {
    pub status: SyncStatus,
    pub since: Millis,
    pub until: Millis,
    pub dry_run: bool,
}

impl ReplayRequest {
    /// A request as operators write it: `status` by name, `since`/`until` as dates
    /// (`YYYY-MM-DD`, Jakarta) or RFC 3339 times; `until` defaults to now, `since` to the
    /// longest window before it. Checked.
    pub fn parse(
        status: &str,
        since: Option<&str>,
        until: Option<&str>,
        dry_run: bool,
        now: Millis,
    ) -> Result<Self, ReplayError> {
        let status =
            SyncStatus::parse(status).ok_or_else(|| ReplayError::Unknown(status.into()))?;
        let time = |name: &'static str, v: Option<&str>, default: Millis| match v {
            Some(s) => crate::clock::parse_time(s).ok_or(ReplayError::BadTime(name)),
            None => Ok(default),
        };
        let until = time("until", until, now)?;
        let since = time("since", since, until - MAX_WINDOW_MS)?;
        let request = ReplayRequest {
            status,
            since,
            until,
            dry_run,
        };
        request.check()?;
        Ok(request)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("status must be dead or failed, not {0:?}")]
    Unknown(String),
    #[error("{0} is not a date (YYYY-MM-DD) or an RFC 3339 time")]
    BadTime(&'static str),
    #[error("only dead or failed records can be replayed, not {0}")]
    Status(SyncStatus),
    #[error("the window must end after it starts")]
    EmptyWindow,
    #[error("the window may span at most 14 days")]
    WindowTooLong,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl ReplayError {
    /// The same, in Indonesian, for the console (the English form is [`std::fmt::Display`]).
    pub fn words_id(&self) -> String {
        match self {
            ReplayError::Unknown(s) => {
                format!("Status harus gagal permanen atau ditolak BKN, bukan «{s}».")
            }
            ReplayError::BadTime(which) => format!(
                "{} bukan tanggal (TTTT-BB-HH) atau waktu RFC 3339.",
                if *which == "since" {
                    "Tanggal mulai"
                } else {
                    "Tanggal akhir"
                }
            ),
            ReplayError::Status(s) => format!(
                "Hanya rekaman gagal permanen atau ditolak BKN yang dapat dikirim ulang, bukan {}.",
                s.as_str()
            ),
            ReplayError::EmptyWindow => "Rentang waktu harus berakhir sesudah dimulai.".into(),
            ReplayError::WindowTooLong => "Rentang waktu paling lama 14 hari.".into(),
            ReplayError::Store(e) => format!("Penyimpanan tidak dapat dibaca: {e}"),
            ReplayError::Queue(e) => format!("Antrean tidak dapat ditulisi: {e}"),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct ReplayReport {
    /// The records that matched (all of them listed in a dry run).
    pub matched: Vec<SyncRecord>,
    /// How many were put back to `pending` and queued.
    pub replayed: usize,
    /// Changed meanwhile (a new version arrived): left as they are.
    pub skipped: usize,
}

impl ReplayRequest {
    pub fn check(&self) -> Result<(), ReplayError> {
        if !matches!(self.status, SyncStatus::Dead | SyncStatus::Failed) {
            return Err(ReplayError::Status(self.status));
        }
        if self.until <= self.since {
            return Err(ReplayError::EmptyWindow);
        }
        if self.until - self.since > MAX_WINDOW_MS {
            return Err(ReplayError::WindowTooLong);
        }
        Ok(())
    }
}

/// Runs a replay. `progress(done, total)` is called as records are replayed.
pub async fn replay(
    store: &Arc<dyn SyncStore>,
    queue: &Arc<dyn DeliveryQueue>,
    clock: &Arc<dyn Clock>,
    request: &ReplayRequest,
    progress: &(dyn Fn(usize, usize) + Send + Sync),
) -> Result<ReplayReport, ReplayError> {
    request.check()?;
    let matched = store
        .records_by_status(request.status, request.since, request.until, MAX_RECORDS)
        .await?;
    let mut report = ReplayReport {
        matched,
        ..ReplayReport::default()
    };
    if request.dry_run {
        return Ok(report);
    }
    let total = report.matched.len();
    let mut batch = Vec::new();
    for (i, rec) in report.matched.iter().enumerate() {
        let mut rec = rec.clone();
        if rec.replay(clock.now_ms()) {
            rec.last_enqueued_at = Some(clock.now_ms());
            match store.put_record(&rec).await {
                Ok(()) => {
                    batch.push(DeliveryMessage {
                        key: rec.key.clone(),
                        version: rec.received_version,
                    });
                    report.replayed += 1;
                }
                Err(StoreError::Conflict) => report.skipped += 1,
                Err(e) => return Err(e.into()),
            }
        } else {
            report.skipped += 1;
        }
        if batch.len() == 10 {
            queue.enqueue(&batch).await?;
            batch.clear();
        }
        progress(i + 1, total);
    }
    if !batch.is_empty() {
        queue.enqueue(&batch).await?;
    }
    tracing::info!(replayed = report.replayed, skipped = report.skipped, status = %request.status, "replay finished");
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_statuses_are_checked() {
        let ok = ReplayRequest {
            status: SyncStatus::Dead,
            since: 0,
            until: MAX_WINDOW_MS,
            dry_run: true,
        };
        assert!(ok.check().is_ok());
        let cases = [
            ReplayRequest {
                status: SyncStatus::Synced,
                ..ok.clone()
            },
            ReplayRequest {
                until: 0,
                ..ok.clone()
            },
            ReplayRequest {
                until: MAX_WINDOW_MS + 1,
                ..ok.clone()
            },
        ];
        for c in cases {
            assert!(c.check().is_err(), "{c:?}");
        }
        assert!(
            ReplayRequest {
                status: SyncStatus::Failed,
                ..ok
            }
            .check()
            .is_ok()
        );
    }
}
