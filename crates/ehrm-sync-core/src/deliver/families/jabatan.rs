//! Riwayat jabatan: one record per history row eHRM keeps (nip + `riwayat_id`). BKN lists them
//! in `rw-jabatan`, where an entry is found by what identifies a position — its kind and TMT,
//! and its SK number or BKN's reference (the JF or JFU id, or the unit of a structural post).
//! Saved with `jabatan/save`, deleted with `jabatan/delete/{id}`; the SK document and the
//! data-utama refresh that follow a save are delivery's steps (`deliver::jabatan`).

use async_trait::async_trait;

use ehrm_sync_domain::jabatan::{JenisJabatan, RiwayatJabatan};
use ehrm_sync_domain::record::{RecordData, RecordKey, SyncRecord};

use super::super::family::{Found, RecordFamily};
use crate::ports::{Bkn, BknError, BknJabatanRecord, RiwayatFamily, WriteGuard};

pub struct Jabatan;

/// Two SK numbers are the same when they differ only in case and spacing.
fn same_text(a: Option<&str>, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<String>()
            .to_ascii_lowercase()
    };
    a.is_some_and(|a| norm(a) == norm(b))
}

/// BKN's reference of a listed position (the one its kind uses).
fn listed_reference(r: &BknJabatanRecord, jenis: JenisJabatan) -> Option<&str> {
    match jenis {
        JenisJabatan::Struktural => r.unor_id.as_deref(),
        JenisJabatan::Fungsional => r.jabatan_fungsional_id.as_deref(),
        JenisJabatan::Pelaksana => r.jabatan_fungsional_umum_id.as_deref(),
    }
}

/// Whether BKN's entry is the position `d` describes.
pub fn same_position(r: &BknJabatanRecord, d: &RiwayatJabatan) -> bool {
    let jenis = d.jenis_jabatan;
    let same_kind = r
        .jenis_jabatan
        .as_deref()
        .and_then(JenisJabatan::from_bkn_code)
        == Some(jenis);
    let same_tmt = r.tmt_jabatan.as_deref() == Some(d.tmt_jabatan.as_str());
    let same_sk = same_text(r.nomor_sk.as_deref(), &d.nomor_sk);
    let same_ref = d
        .reference()
        .is_some_and(|x| listed_reference(r, jenis) == Some(x));
    same_kind && same_tmt && (same_sk || same_ref)
}

#[async_trait]
impl RecordFamily for Jabatan {
    type Listed = BknJabatanRecord;
    type Data = RiwayatJabatan;

    fn list_kind(&self) -> RiwayatFamily {
        RiwayatFamily::Jabatan
    }

    fn data<'a>(&self, rec: &'a SyncRecord) -> Option<&'a RiwayatJabatan> {
        match (&rec.key, &rec.data) {
            (RecordKey::Jabatan { .. }, Some(RecordData::Jabatan(d))) => Some(d),
            _ => None,
        }
    }

    async fn list(
        &self,
        bkn: &dyn Bkn,
        rec: &SyncRecord,
    ) -> Result<Vec<BknJabatanRecord>, BknError> {
        bkn.jabatan_records(rec.key.nip()).await
    }

    fn find(&self, rec: &SyncRecord, list: &[BknJabatanRecord]) -> Found<BknJabatanRecord> {
        let Some(d) = self.data(rec) else {
            return Found::None;
        };
        let matches: Vec<&BknJabatanRecord> = list.iter().filter(|r| same_position(r, d)).collect();
        match matches.as_slice() {
            [] => Found::None,
            [one] => Found::One((*one).clone()),
            many => Found::Unmatchable {
                reason: format!(
                    "BKN SIASN mencantumkan {n} riwayat jabatan yang sama dengan baris ini (jenis, TMT {tmt}, nomor SK atau referensi jabatan): tidak dapat dipastikan mana yang dimaksud, jadi tidak ada yang diubah. Hapus duplikatnya di SIASN, lalu replay / BKN SIASN lists {n} position records matching this row (kind, TMT {tmt}, SK number or reference): it cannot be told which one is meant, so nothing was changed. Remove the duplicates in SIASN, then replay",
                    n = many.len(),
                    tmt = d.tmt_jabatan
                ),
            },
        }
    }

    fn id_of<'a>(&self, listed: &'a BknJabatanRecord) -> &'a str {
        &listed.id
    }

    fn holds(&self, r: &BknJabatanRecord, d: &RiwayatJabatan) -> bool {
        let opt = |a: &Option<String>, b: &Option<String>| a.as_deref() == b.as_deref();
        same_position(r, d)
            && same_text(r.nomor_sk.as_deref(), &d.nomor_sk)
            && r.tanggal_sk.as_deref() == Some(d.tanggal_sk.as_str())
            && opt(&r.tmt_pelantikan, &d.tmt_pelantikan)
            && opt(&r.unor_id, &d.unor_id_bkn)
            && opt(&r.eselon_id, &d.eselon_id)
            && opt(&r.jabatan_fungsional_id, &d.jabatan_fungsional_id)
            && opt(&r.jabatan_fungsional_umum_id, &d.jabatan_fungsional_umum_id)
    }

    async fn save(
        &self,
        bkn: &dyn Bkn,
        id: Option<&str>,
        pns_id: &str,
        data: &RiwayatJabatan,
        guard: &dyn WriteGuard,
    ) -> Result<Option<String>, BknError> {
        bkn.save_jabatan(id, pns_id, data, guard).await
    }

    /// Positions are deleted by delivery's own step (`deliver::jabatan`), which reads the list
    /// afresh and keeps someone's only position; the shared path never deletes one.
    fn no_delete(&self, _key: &RecordKey, id: &str) -> Option<String> {
        Some(format!(
            "a position (BKN id {id}) is deleted by its own step, not the shared path"
        ))
    }

    async fn delete(
        &self,
        _bkn: &dyn Bkn,
        id: &str,
        _guard: &dyn WriteGuard,
    ) -> Result<(), BknError> {
        Err(BknError::permanent(
            format!("a position (BKN id {id}) is deleted by its own step, not the shared path"),
            None,
        ))
    }
}
