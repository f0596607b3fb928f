//! A riwayat jabatan's delivery, in steps (`docs/delivery.md`, "Riwayat jabatan"): the unit
//! mapped to its SIASN UNOR id; the save through the shared push path (PNS id, BKN's entry
//! found before any create, the write guard); then the SK document uploaded once per document
//! version; then BKN asked to refresh data-utama. What each step left at BKN is kept on the
//! record ([`Progress`]), so a retry after a failed upload uploads again without saving the
//! position again. A delete reads BKN's list afresh: someone's only position at BKN is left
//! for a person (`needs_action`).

use sha2::{Digest, Sha256};

use ehrm_sync_domain::jabatan::{ID_REF_DOKUMEN_SK_JABATAN, RiwayatJabatan};
use ehrm_sync_domain::record::{DeliveryOutcome, Millis, Progress, RecordData, SyncRecord};

use super::DeliveryService;
use super::families::Jabatan;
use super::families::jabatan::same_position;
use super::family::RecordFamily;
use super::pushed::Pushed;
use crate::ports::{Operation, Upload};
use crate::unor_map::{UnitMapping, lookup};

fn permanent(ops: Vec<Operation>, error: String) -> Pushed {
    Pushed::new(ops, DeliveryOutcome::Permanent { error })
}

fn transient(ops: Vec<Operation>, error: String) -> Pushed {
    Pushed::new(
        ops,
        DeliveryOutcome::Transient {
            error,
            retry_after_ms: None,
            ambiguous_create: false,
        },
    )
}

impl DeliveryService {
    pub(super) async fn push_jabatan(&self, rec: &SyncRecord, lease_until: Millis) -> Pushed {
        if rec.deleted {
            return self.remove_jabatan(rec, lease_until).await;
        }
        let Some(RecordData::Jabatan(data)) = &rec.data else {
            return permanent(
                vec![Operation::Check],
                "the stored record has no data matching its type".into(),
            );
        };
        let data = match self.with_unit(data).await {
            Ok(d) => d,
            Err(p) => return p,
        };
        let version = rec.received_version;
        let (bkn_id, mut ops, pns) = match (&rec.bkn_id, rec.saved_version) {
            (Some(id), Some(saved)) if saved == version => (id.clone(), Vec::new(), None),
            _ => {
                let mut with_unit = rec.clone();
                with_unit.data = Some(RecordData::Jabatan(Box::new(data.clone())));
                let saved = self.upsert(&Jabatan, &with_unit, lease_until).await;
                match &saved.outcome {
                    DeliveryOutcome::Delivered {
                        bkn_id: Some(id), ..
                    } => (id.clone(), saved.ops.0.clone(), saved.pns.clone()),
                    DeliveryOutcome::Delivered { bkn_id: None, .. } => {
                        let error = "BKN confirmed the save of a position without naming it".into();
                        return transient(saved.ops.0.clone(), error);
                    }
                    _ => return saved,
                }
            }
        };
        let mut progress = Progress {
            version,
            bkn_id: bkn_id.clone(),
            document_sha256: rec
                .document_sha256
                .clone()
                .filter(|_| rec.bkn_id.as_deref() == Some(bkn_id.as_str())),
        };
        let with_pns = |p: Pushed| match &pns {
            Some(id) => p.with_pns(id),
            None => p,
        };
        if let Err(failed) = self
            .attach_document(&data, &mut progress, &mut ops, lease_until)
            .await
        {
            return with_pns(failed.with_progress(progress));
        }
        let pns_id = match &pns {
            Some(p) => Some(p.id().to_string()),
            None => rec.siasn_pns_id.clone(),
        };
        let done = self.refresh_data_utama(rec, pns_id, ops).await;
        with_pns(done.with_progress(progress))
    }

    /// The record's data with its unit's SIASN UNOR id, or why it cannot be sent.
    async fn with_unit(&self, data: &RiwayatJabatan) -> Result<RiwayatJabatan, Pushed> {
        let mut data = data.clone();
        let Some(unor_id) = data.unor_id.clone() else {
            return Ok(data);
        };
        let Some(controls) = &self.unit_map else {
            if data.unor_id_bkn.is_some() {
                return Ok(data);
            }
            return Err(permanent(
                vec![Operation::Check],
                format!(
                    "peta unit eHRM tidak tersedia (EHRM_API_BASE_URL belum diatur): unit {unor_id} tidak dapat dipetakan ke UNOR SIASN / eHRM's unit map is not available (EHRM_API_BASE_URL is not set): unit {unor_id} cannot be mapped to a SIASN UNOR id"
                ),
            ));
        };
        match lookup(controls.as_ref(), &unor_id).await {
            Ok(UnitMapping::Mapped(id)) => data.unor_id_bkn = Some(id),
            Ok(UnitMapping::NotLoaded) if data.unor_id_bkn.is_some() => {}
            Ok(UnitMapping::NotLoaded) => {
                return Err(transient(
                    vec![Operation::Check],
                    "peta unit eHRM belum dibaca; dicoba lagi / eHRM's unit map has not been read yet; trying again".into(),
                ));
            }
            Ok(other) => {
                let reason = other.refusal(&unor_id).unwrap_or_default();
                return Err(permanent(vec![Operation::Check], reason));
            }
            Err(e) => return Err(transient(vec![Operation::Check], e.to_string())),
        }
        Ok(data)
    }

    /// Uploads the SK document unless BKN holds this version of it already.
    async fn attach_document(
        &self,
        data: &RiwayatJabatan,
        progress: &mut Progress,
        ops: &mut Vec<Operation>,
        lease_until: Millis,
    ) -> Result<(), Pushed> {
        let Some(dok) = &data.dokumen_sk else {
            return Ok(());
        };
        if progress.document_sha256.as_deref() == Some(dok.sha256.as_str()) {
            return Ok(());
        }
        let Some(documents) = &self.documents else {
            return Err(permanent(
                ops.clone(),
                "API baca eHRM belum diatur (EHRM_API_BASE_URL): dokumen SK tidak dapat diambil / eHRM's read API is not configured: the SK document cannot be read".into(),
            ));
        };
        ops.push(Operation::Document);
        let bytes = match documents.document(&dok.id).await {
            Ok(b) => b,
            Err(e) if e.transient => return Err(transient(ops.clone(), e.message)),
            Err(e) => return Err(permanent(ops.clone(), e.message)),
        };
        let sha = hex(&Sha256::digest(&bytes));
        if bytes.len() as u64 != dok.ukuran || sha != dok.sha256 {
            return Err(permanent(
                ops.clone(),
                format!(
                    "dokumen SK {id} dari eHRM tidak cocok dengan webhook (ukuran {got} byte, sha256 {sha}; diharapkan {want} byte, {want_sha}) / eHRM's SK document {id} does not match the webhook",
                    id = dok.id,
                    got = bytes.len(),
                    want = dok.ukuran,
                    want_sha = dok.sha256
                ),
            ));
        }
        let guard = self.write_guard(lease_until);
        if let Err(e) = crate::ports::WriteGuard::check(&guard) {
            return Err(Pushed::not_attempted(ops.clone(), e));
        }
        ops.push(Operation::Upload);
        let upload = Upload {
            riwayat_id: &progress.bkn_id,
            id_ref_dokumen: ID_REF_DOKUMEN_SK_JABATAN,
            file_name: &dok.nama,
            bytes: &bytes,
        };
        match self.bkn.upload_document(&upload, &guard).await {
            Ok(()) => {
                progress.document_sha256 = Some(dok.sha256.clone());
                Ok(())
            }
            Err(e) => Err(Self::write_failed(ops.clone(), e, false, &guard)),
        }
    }

    /// Asks BKN to bring data-utama's position up to date; delivered when it did.
    async fn refresh_data_utama(
        &self,
        rec: &SyncRecord,
        pns_id: Option<String>,
        mut ops: Vec<Operation>,
    ) -> Pushed {
        let pns_id = match pns_id {
            Some(id) => id,
            None => match self.resolve_pns_id(rec, false).await {
                Ok(Some(id)) => id.id().to_string(),
                Ok(None) => {
                    ops.push(Operation::DataUtama);
                    return permanent(
                        ops,
                        "the NIP is not known at BKN SIASN (data-utama: Data tidak ditemukan)"
                            .into(),
                    );
                }
                Err(e) => return Pushed::failed(ops, e, false),
            },
        };
        ops.push(Operation::Refresh);
        match self
            .bkn
            .refresh_data_utama_jabatan(rec.key.nip(), &pns_id)
            .await
        {
            Ok(()) => {
                let id = if rec.deleted {
                    None
                } else {
                    rec.bkn_id.clone()
                };
                Pushed::delivered(ops, id, rec.deleted)
            }
            Err(e) => Pushed::failed(ops, e, false),
        }
    }

    /// Deletes BKN's entry for the row (read afresh), unless it is the person's only one, then
    /// refreshes data-utama.
    async fn remove_jabatan(&self, rec: &SyncRecord, lease_until: Millis) -> Pushed {
        let version = rec.received_version;
        if rec.saved_version == Some(version)
            && let Some(id) = &rec.bkn_id
        {
            // Deleted already; only data-utama's refresh is left.
            let progress = Progress {
                version,
                bkn_id: id.clone(),
                document_sha256: None,
            };
            let pns_id = rec.siasn_pns_id.clone();
            return self
                .refresh_data_utama(rec, pns_id, Vec::new())
                .await
                .with_progress(progress);
        }
        let mut ops = vec![Operation::Lookup];
        let list = match Jabatan.list(self.bkn.as_ref(), rec).await {
            Ok(l) => l,
            Err(e) => return Pushed::failed(ops, e, false),
        };
        let data = Jabatan.data(rec);
        let found = list.iter().find(|r| match &rec.bkn_id {
            Some(id) => &r.id == id,
            None => data.is_some_and(|d| same_position(r, d)),
        });
        let Some(found) = found else {
            // BKN holds nothing for it: the delete is complete.
            return Pushed::delivered(ops, None, true);
        };
        if list.len() == 1 {
            return Pushed::new(
                ops,
                DeliveryOutcome::NeedsAction {
                    reason: format!(
                        "dihapus di eHRM, tetapi ini satu-satunya riwayat jabatan pegawai di SIASN (id BKN {id}): tidak dihapus otomatis; periksa dan hapus di SIASN bila memang benar / deleted in eHRM, but it is the employee's only position at BKN SIASN (BKN id {id}): not deleted automatically; check it and delete it in SIASN if that is right",
                        id = found.id
                    ),
                },
            );
        }
        let guard = self.write_guard(lease_until);
        if let Err(e) = crate::ports::WriteGuard::check(&guard) {
            return Pushed::not_attempted(ops, e);
        }
        ops.push(Operation::Delete);
        if let Err(e) = self
            .bkn
            .delete_jabatan(rec.key.nip(), &found.id, &guard)
            .await
        {
            return Self::write_failed(ops, e, false, &guard);
        }
        self.forget_list(rec, Jabatan.list_kind()).await;
        let progress = Progress {
            version,
            bkn_id: found.id.clone(),
            document_sha256: None,
        };
        let pns_id = rec.siasn_pns_id.clone();
        self.refresh_data_utama(rec, pns_id, ops)
            .await
            .with_progress(progress)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
