//! Port: an employee's remembered riwayat lists at BKN (when a remembered read may serve a
//! delivery is the deliver service's rule: `deliver/lists.rs`).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::record::Millis;

use crate::ports::StoreError;

/// One of an employee's riwayat lists at BKN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RiwayatFamily {
    /// `rw-skp22`: annual SKP 2022 records.
    Skp22,
    /// `rw-kinerjaperiodik`: monthly and quarterly evaluations.
    KinerjaPeriodik,
}

impl RiwayatFamily {
    pub fn as_str(self) -> &'static str {
        match self {
            RiwayatFamily::Skp22 => "skp22",
            RiwayatFamily::KinerjaPeriodik => "kinerjaperiodik",
        }
    }
}

/// The last answer of one riwayat list, kept with its time (the document the store holds is
/// this, as JSON: the store does not look inside).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRead<T> {
    pub read_at: Millis,
    pub records: Vec<T>,
}

/// Remembered riwayat lists: one read of an employee's list serves every record of theirs.
#[async_trait]
pub trait RiwayatLists: Send + Sync {
    async fn riwayat_list(
        &self,
        nip: &Nip,
        family: RiwayatFamily,
    ) -> Result<Option<String>, StoreError>;
    async fn put_riwayat_list(
        &self,
        nip: &Nip,
        family: RiwayatFamily,
        doc: &str,
    ) -> Result<(), StoreError>;
    async fn forget_riwayat_list(&self, nip: &Nip, family: RiwayatFamily)
    -> Result<(), StoreError>;
}
