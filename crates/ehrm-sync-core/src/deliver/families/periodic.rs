//! Monthly and quarterly evaluations: one record per employee, year, kind and first month.
//! BKN lists them in `rw-kinerjaperiodik`, found by year, kind and first month — a list whose
//! records of the year carry no month fields cannot place the period, which is never a reason
//! to create (`docs/bkn-api.md`, "Lists"); saved with `kinerjaperiodik/save`, deleted with
//! `kinerjaperiodik/delete/{id}`.

use async_trait::async_trait;

use ehrm_sync_domain::kinerja::PeriodicKinerja;
use ehrm_sync_domain::record::{RecordData, RecordKey, SyncRecord};

use super::super::family::{Found, RecordFamily};
use crate::ports::{Bkn, BknError, BknPeriodicRecord, RiwayatFamily, WriteGuard};

pub struct Periodic;

#[async_trait]
impl RecordFamily for Periodic {
    type Listed = BknPeriodicRecord;
    type Data = PeriodicKinerja;

    fn list_kind(&self) -> RiwayatFamily {
        RiwayatFamily::KinerjaPeriodik
    }

    fn data<'a>(&self, rec: &'a SyncRecord) -> Option<&'a PeriodicKinerja> {
        match (&rec.key, &rec.data) {
            (RecordKey::Periodik { .. }, Some(RecordData::Periodik(d))) => Some(d),
            _ => None,
        }
    }

    async fn list(
        &self,
        bkn: &dyn Bkn,
        rec: &SyncRecord,
    ) -> Result<Vec<BknPeriodicRecord>, BknError> {
        bkn.periodic_records(rec.key.nip()).await
    }

    fn find(&self, rec: &SyncRecord, list: &[BknPeriodicRecord]) -> Found<BknPeriodicRecord> {
        let RecordKey::Periodik {
            tahun,
            periodik,
            bulan_mulai,
            ..
        } = &rec.key
        else {
            return Found::None;
        };
        let same_kind = |r: &BknPeriodicRecord| r.periodik.is_none_or(|p| p == *periodik);
        if let Some(found) = list.iter().find(|r| {
            r.tahun == Some(*tahun) && r.bulan_mulai == Some(*bulan_mulai) && same_kind(r)
        }) {
            return Found::One(found.clone());
        }
        let unplaced = list
            .iter()
            .filter(|r| r.tahun.is_none_or(|t| t == *tahun) && same_kind(r))
            .filter(|r| r.bulan_mulai.is_none() || r.tahun.is_none())
            .count();
        if unplaced > 0 {
            return Found::Unmatchable {
                reason: format!(
                    "BKN SIASN mencantumkan {unplaced} riwayat kinerja periodik tahun {tahun} tanpa bulannya (bulanMulaiPenilaian/bulanSelesaiPenilaian): tidak dapat dipastikan periode ini sudah ada atau belum, jadi tidak ada yang dibuat. Periksa di SIASN, lalu replay / BKN SIASN lists {unplaced} riwayat kinerja periodik record(s) for {tahun} without their months (bulanMulaiPenilaian/bulanSelesaiPenilaian): it cannot be told whether this period is already held, so nothing was created. Check the record in SIASN, then replay it"
                ),
            };
        }
        Found::None
    }

    fn id_of<'a>(&self, listed: &'a BknPeriodicRecord) -> &'a str {
        &listed.id
    }

    fn holds(&self, found: &BknPeriodicRecord, data: &PeriodicKinerja) -> bool {
        found.bulan_selesai == Some(data.bulan_selesai)
            && found.hasil_kinerja == Some(data.hasil_kinerja.code())
            && found.perilaku_kerja == Some(data.perilaku_kerja.code())
            && found.kuadran == Some(data.predikat.code())
            && found.koefisien_id.as_deref() == Some(data.koefisien_id.as_str())
            && found.penilai_nip.as_deref() == Some(data.penilai.nip.as_str())
    }

    async fn save(
        &self,
        bkn: &dyn Bkn,
        id: Option<&str>,
        pns_id: &str,
        data: &PeriodicKinerja,
        guard: &dyn WriteGuard,
    ) -> Result<Option<String>, BknError> {
        bkn.save_periodic(id, pns_id, data, guard).await
    }

    fn no_delete(&self, _key: &RecordKey, _id: &str) -> Option<String> {
        None
    }

    async fn delete(
        &self,
        bkn: &dyn Bkn,
        id: &str,
        guard: &dyn WriteGuard,
    ) -> Result<(), BknError> {
        bkn.delete_periodic(id, guard).await
    }
}
