//! The audit trail of the console: every login (and failed login), logout and action, with who,
//! when, from where, what and how many records. An append-only event stream in the control
//! store, newest first.

use serde::{Deserialize, Serialize};

use ehrm_sync_core::ports::{ControlStore, StoreError};
use ehrm_sync_domain::record::Millis;

pub const STREAM: &str = ehrm_sync_core::ports::AUDIT_STREAM;
/// How many entries the audit page shows.
pub const SHOWN: usize = 500;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub who: String,
    pub address: String,
    /// `login`, `login_failed`, `login_throttled`, `logout`, `replay`, `redrive`, `reconcile`,
    /// `readiness`, `mark`, `sso_token`, `sso_retry_login`; and the accesses to personal data:
    /// `view_employee` (an employee's page; `what` is the page with the NIP) and `download`
    /// (`what` is the page with its filter, `count` the rows).
    pub action: String,
    /// What exactly (filters, run, finding and state); never a secret or a NIK.
    pub what: String,
    pub count: Option<u64>,
    /// The NIPs a download held (whose data left the console), so "whose data was downloaded"
    /// has an answer; at most [`PEOPLE_KEPT`], the filter in `what` reproduces the rest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<String>,
}

/// The most NIPs one download's entry lists.
pub const PEOPLE_KEPT: usize = 5_000;

pub async fn record(
    controls: &dyn ControlStore,
    at: Millis,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    let value = serde_json::to_value(entry).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    controls.append_event(STREAM, at, &value).await
}

/// Records an entry; a failure is logged (the action itself already happened).
pub async fn record_or_log(controls: &dyn ControlStore, at: Millis, entry: AuditEntry) {
    if let Err(e) = record(controls, at, &entry).await {
        tracing::error!(error = %e, action = %entry.action, "console audit entry not written");
    }
}

/// The newest entries first.
pub async fn recent(
    controls: &dyn ControlStore,
    limit: usize,
) -> Result<Vec<(Millis, AuditEntry)>, StoreError> {
    Ok(controls
        .events(STREAM, limit)
        .await?
        .into_iter()
        .filter_map(|(at, v)| serde_json::from_value(v).ok().map(|e| (at, e)))
        .collect())
}

/// English words of stored `what` texts and their Indonesian, longest first where one
/// contains another. The stored text stays as written (the command-line audit prints it).
const WHAT_ID: [(&str, &str); 22] = [
    ("readiness finding ", "temuan kesiapan "),
    ("run ", "rekon "),
    (", finding ", ", temuan "),
    ("→ handled", "→ sudah ditangani"),
    ("→ ignored", "→ diabaikan"),
    ("→ open", "→ terbuka"),
    ("status dead", "status gagal permanen"),
    ("status failed", "status ditolak BKN"),
    (", updated ", ", diperbarui "),
    (" WIB to ", " WIB sampai "),
    ("dead-letter queue", "antrean pesan gagal"),
    ("restart", "mulai ulang"),
    ("start ", "mulai "),
    ("resume", "lanjutkan"),
    ("continue", "lanjutkan"),
    (": refused: ", ": ditolak: "),
    (" is busy elsewhere", " sedang dikerjakan proses lain"),
    ("BKN SSO password login", "login SSO BKN dengan kata sandi"),
    ("BKN SSO ", "SSO BKN "),
    (", expires ", ", berlaku sampai "),
    ("unknown", "tidak diketahui"),
    ("nip ", "NIP "),
];

/// An entry's `what` in the page's language.
pub fn what_words(l: crate::i18n::Lang, what: &str) -> String {
    if matches!(l, crate::i18n::Lang::En) {
        return what.to_string();
    }
    let mut out = what.to_string();
    for (en, id) in WHAT_ID {
        if out.contains(en) {
            out = out.replace(en, id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn what_reads_in_indonesian() {
        assert_eq!(
            what_words(Lang::Id, "run rekon-1, finding ab12 → handled"),
            "rekon rekon-1, temuan ab12 → sudah ditangani"
        );
        assert_eq!(
            what_words(
                Lang::Id,
                "status failed, updated 2026-12-01 10:00 WIB to 2026-12-03 10:00 WIB"
            ),
            "status ditolak BKN, diperbarui 2026-12-01 10:00 WIB sampai 2026-12-03 10:00 WIB"
        );
        assert_eq!(
            what_words(
                Lang::Id,
                "restart unit PU.01: refused: rekon-2 is busy elsewhere"
            ),
            "mulai ulang unit PU.01: ditolak: rekon-2 sedang dikerjakan proses lain"
        );
        assert_eq!(what_words(Lang::En, "resume"), "resume");
    }
}
