//! The BKN reads a readiness run makes (one port; the BKN client implements it). Every call
//! counts against the shared rate.

use async_trait::async_trait;
use time::Date;

use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::readiness::facts::{
    AngkaKreditRow, BknProfile, GolonganRow, HukdisRow, JabatanRow, PendidikanRow, Proposal, SkpRow,
};

use crate::ports::BknError;

/// A per-person history at BKN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum History {
    Golongan,
    Skp22,
    Jabatan,
    Hukdis,
    AngkaKredit,
    Pendidikan,
}

impl History {
    pub fn path(self) -> &'static str {
        match self {
            History::Golongan => "rw-golongan",
            History::Skp22 => "rw-skp22",
            History::Jabatan => "rw-jabatan",
            History::Hukdis => "rw-hukdis",
            History::AngkaKredit => "rw-angkakredit",
            History::Pendidikan => "rw-pendidikan",
        }
    }
}

/// The histories, parsed.
#[derive(Clone, Debug, PartialEq)]
pub enum HistoryRows {
    Golongan(Vec<GolonganRow>),
    Skp22(Vec<SkpRow>),
    Jabatan(Vec<JabatanRow>),
    Hukdis(Vec<HukdisRow>),
    AngkaKredit(Vec<AngkaKreditRow>),
    Pendidikan(Vec<PendidikanRow>),
}

#[async_trait]
pub trait BknReadiness: Send + Sync {
    /// `list-kp-instansi` of one monthly period, all pages.
    async fn kp_proposals(&self, periode: Date) -> Result<Vec<Proposal>, BknError>;
    /// `list-pensiun-instansi` between two dates (inclusive).
    async fn pension_proposals(&self, from: Date, to: Date) -> Result<Vec<Proposal>, BknError>;
    /// data-utama; `None` when BKN does not know the NIP.
    async fn profile(&self, nip: &Nip) -> Result<Option<BknProfile>, BknError>;
    async fn history(&self, nip: &Nip, which: History) -> Result<HistoryRows, BknError>;
    /// BKN API calls made so far by this client.
    fn calls_made(&self) -> u64;
}
