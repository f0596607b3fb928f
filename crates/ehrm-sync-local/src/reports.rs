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
