//! Reconciliation reports in a folder: `<dir>/<run id>/report.csv`, `report.json` and `report.xlsx`.

use std::path::PathBuf;

use async_trait::async_trait;

use ehrm_sync_core::ports::{ReportSink, StoreError};

pub struct FolderReports {
    dir: PathBuf,
}

impl FolderReports {
    pub fn new(dir: PathBuf) -> Self {
        FolderReports { dir }
    }
}

#[async_trait]
impl ReportSink for FolderReports {
    async fn write(
        &self,
        run_id: &str,
        name: &str,
        _content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<String, StoreError> {
        let dir = self.dir.join(run_id);
        let path = dir.join(name);
        let shown = path.display().to_string();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::create_dir_all(&dir)?;
            // Written beside and renamed, so a reader never sees half a report.
            let tmp = path.with_extension("partial");
            std::fs::write(&tmp, &bytes)?;
            std::fs::rename(&tmp, &path)
        })
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?
        .map_err(|e| StoreError::Unavailable(format!("cannot write {shown}: {e}")))?;
        Ok(shown)
    }
}

/// The folder beside the store where a run's reports go (`<store's folder>/reports`).
pub fn folder_beside(db_path: &std::path::Path) -> PathBuf {
    db_path
        .parent()
        .map_or_else(|| "reports".into(), |p| p.join("reports"))
}

/// Removes (or, dry, counts) the run folders in `dir` whose newest file is older than
/// `before` (Unix ms): reports hold findings, so they follow the runs' retention
/// (`RETAIN_RUNS_DAYS`). A missing folder has nothing to remove.
pub fn purge_folder(dir: &std::path::Path, before: i64, dry_run: bool) -> std::io::Result<u64> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let run = entry?.path();
        if !run.is_dir() {
            continue;
        }
        let newest = newest_ms(&run)?;
        if newest.is_some_and(|ms| ms <= before) {
            if !dry_run {
                std::fs::remove_dir_all(&run)?;
            }
            removed += 1;
        }
    }
    Ok(removed)
}

/// The newest modification time of the files in a run's folder (Unix ms).
fn newest_ms(run: &std::path::Path) -> std::io::Result<Option<i64>> {
    let mut newest = None;
    for file in std::fs::read_dir(run)? {
        let modified = file?.metadata()?.modified()?;
        let ms = modified
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        newest = Some(newest.map_or(ms, |n: i64| n.max(ms)));
    }
    Ok(newest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_run_folders_go_new_ones_stay() {
        let dir = std::env::temp_dir().join(format!("ehrm-sync-reports-{}", std::process::id()));
        for run in ["old", "new"] {
            std::fs::create_dir_all(dir.join(run)).expect("run dir");
            std::fs::write(dir.join(run).join("report.csv"), "nip\n").expect("file");
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .expect("time");
        assert_eq!(purge_folder(&dir, now - 60_000, false).expect("purge"), 0);
        assert_eq!(purge_folder(&dir, now + 60_000, true).expect("dry"), 2);
        assert!(dir.join("old").exists(), "a dry run removes nothing");
        assert_eq!(purge_folder(&dir, now + 60_000, false).expect("purge"), 2);
        assert!(!dir.join("old").exists());
        assert_eq!(
            purge_folder(&dir.join("none"), now, false).expect("nothing"),
            0
        );
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
