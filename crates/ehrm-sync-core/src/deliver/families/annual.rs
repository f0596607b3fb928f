//! Annual SKP 2022: one record per employee and year. BKN lists them in `rw-skp22` (found by
//! year), saves them with `skp22/save`, and offers no delete: a record deleted in eHRM that BKN
//! holds is left for a person (`needs_action`).

use async_trait::async_trait;

use ehrm_sync_domain::kinerja::AnnualKinerja;
use ehrm_sync_domain::record::{RecordData, RecordKey, SyncRecord};

use super::super::family::{Found, RecordFamily};
use crate::ports::{Bkn, BknAnnualRecord, BknError, RiwayatFamily, WriteGuard};

pub struct Annual;

#[async_trait]
impl RecordFamily for Annual {
    type Listed = BknAnnualRecord;
    type Data = AnnualKinerja;

    fn list_kind(&self) -> RiwayatFamily {
        RiwayatFamily::Skp22
    }

    fn data<'a>(&self, rec: &'a SyncRecord) -> Option<&'a AnnualKinerja> {
        match (&rec.key, &rec.data) {
            (RecordKey::Tahunan { .. }, Some(RecordData::Tahunan(d))) => Some(d),
            _ => None,
        }
    }

    async fn list(
        &self,
        bkn: &dyn Bkn,
        rec: &SyncRecord,
    ) -> Result<Vec<BknAnnualRecord>, BknError> {
        bkn.annual_records(rec.key.nip()).await
    }

    fn find(&self, rec: &SyncRecord, list: &[BknAnnualRecord]) -> Found<BknAnnualRecord> {
        let tahun = rec.key.tahun();
        match list.iter().find(|r| r.tahun.is_some() && r.tahun == tahun) {
            Some(found) => Found::One(found.clone()),
            None => Found::None,
        }
    }

    fn id_of<'a>(&self, listed: &'a BknAnnualRecord) -> &'a str {
        &listed.id
    }

    fn holds(&self, found: &BknAnnualRecord, data: &AnnualKinerja) -> bool {
        found.hasil_kinerja == Some(data.hasil_kinerja.code())
            && found.perilaku_kerja == Some(data.perilaku_kerja.code())
            && found.kuadran == Some(data.predikat.code())
            && found.penilai_nip.as_deref() == Some(data.penilai.nip.as_str())
    }

    async fn save(
        &self,
        bkn: &dyn Bkn,
        id: Option<&str>,
        pns_id: &str,
        data: &AnnualKinerja,
        guard: &dyn WriteGuard,
    ) -> Result<Option<String>, BknError> {
        bkn.save_annual(id, pns_id, data, guard).await
    }

    fn no_delete(&self, key: &RecordKey, id: &str) -> Option<String> {
        let tahun = key.tahun().unwrap_or_default();
        Some(format!(
            "dihapus di eHRM, tetapi BKN SIASN tidak menyediakan penghapusan riwayat SKP 2022: hapus riwayat SKP {tahun} (id BKN {id}) di SIASN secara manual / deleted in eHRM, but BKN SIASN offers no delete for annual SKP 2022 records: remove riwayat SKP {tahun} (BKN id {id}) in SIASN by hand"
        ))
    }

    async fn delete(
        &self,
        _bkn: &dyn Bkn,
        id: &str,
        _guard: &dyn WriteGuard,
    ) -> Result<(), BknError> {
        Err(BknError::permanent(
            format!("BKN SIASN offers no delete for annual SKP 2022 records (BKN id {id})"),
            None,
        ))
    }
}
