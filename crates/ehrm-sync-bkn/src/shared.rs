//! BKN's per-employee answers (data-utama, rw-*) shared between the runs of one day: every
//! read the client makes is kept (control documents in the shared store, `bkn.read.<path>`), and
//! a reader that accepts them — the readiness check — takes today's answer instead of calling
//! BKN again, unless ehrm-sync saved a record of that employee since (`bkn.saved.<nip>`).
//! Personal fields of data-utama (NIK, contacts, tax and insurance numbers) are not kept.

use std::sync::Arc;

use serde_json::{Value, json};

use ehrm_sync_core::ports::{Clock, ControlStore, StoreError, overwrite_control};

/// data-utama fields never kept at rest.
const PERSONAL: [&str; 12] = [
    "nik",
    "noHp",
    "email",
    "emailGov",
    "alamat",
    "noNpwp",
    "npwpNomor",
    "noBpjs",
    "bpjs",
    "noTaspen",
    "noAkteKelahiran",
    "akteKelahiran",
];
const DAY_MS: i64 = 86_400_000;
const JAKARTA_OFFSET_MS: i64 = 7 * 3_600_000;

pub struct SharedReads {
    controls: Arc<dyn ControlStore>,
    clock: Arc<dyn Clock>,
}

/// Only per-employee reads are shared (not lists, tokens or reference data).
fn shareable(path: &str) -> bool {
    path.starts_with("/pns/data-utama/") || path.starts_with("/pns/rw-")
}

impl SharedReads {
    pub fn new(controls: Arc<dyn ControlStore>, clock: Arc<dyn Clock>) -> Self {
        SharedReads { controls, clock }
    }

    async fn put(&self, name: &str, value: &Value) -> Result<(), StoreError> {
        overwrite_control(self.controls.as_ref(), name, value).await
    }

    /// Keeps an answer (`None`: BKN does not know the NIP). Best effort: a failure costs only
    /// a later call.
    pub async fn remember(&self, path: &str, answer: Option<&Value>) {
        if !shareable(path) {
            return;
        }
        let mut body = answer.cloned().unwrap_or(Value::Null);
        if let Some(data) = body.get_mut("data").and_then(Value::as_object_mut) {
            for key in PERSONAL {
                data.remove(key);
            }
        }
        let doc = json!({"at": self.clock.now_ms(), "body": body});
        if let Err(e) = self.put(&format!("bkn.read.{path}"), &doc).await {
            tracing::warn!(error = %e, "a BKN answer was not kept for sharing");
        }
    }

    /// Today's answer for `path` (Jakarta days), when none of the employee's records was saved
    /// since; `Some(None)` is a kept "not found".
    pub async fn recall(&self, path: &str, nip: &str) -> Option<Option<Value>> {
        let now = self.clock.now_ms();
        let day_start = now - (now + JAKARTA_OFFSET_MS).rem_euclid(DAY_MS);
        let kept = self
            .controls
            .control(&format!("bkn.read.{path}"))
            .await
            .ok()??;
        let at = kept.value.get("at")?.as_i64()?;
        let saved = self
            .controls
            .control(&format!("bkn.saved.{nip}"))
            .await
            .ok()?
            .and_then(|c| c.value.as_i64())
            .unwrap_or(i64::MIN);
        if at < day_start || at <= saved {
            return None;
        }
        Some(kept.value.get("body").cloned().filter(|b| !b.is_null()))
    }

    /// An employee's record was saved at BKN: their kept answers are stale from now.
    pub async fn saved(&self, nip: &str) {
        let now = json!(self.clock.now_ms());
        if let Err(e) = self.put(&format!("bkn.saved.{nip}"), &now).await {
            tracing::warn!(error = %e, "a save was not noted for shared reads");
        }
    }
}
