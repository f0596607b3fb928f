//! Riwayat jabatan at BKN (`docs/bkn-api.md`, "Riwayat jabatan"): `pns/rw-jabatan/{nip}`,
//! `jabatan/save`, `jabatan/delete/{id}`, the SK document through `upload-dok-rw`, and
//! `pns/data-utama-jabatansync` so data-utama catches up after a change.

use reqwest::Method;

use ehrm_sync_core::ports::{BknError, BknJabatanRecord, Upload, WriteGuard};
use ehrm_sync_domain::jabatan::RiwayatJabatan;
use ehrm_sync_domain::nip::Nip;

use crate::classify::{message_of, success_flag};
use crate::client::{BknClient, Payload};
use crate::wire::data_list;
use crate::wire::jabatan::{Instansi, JabatanSave, jabatan_item, upload_body};

impl BknClient {
    pub(crate) async fn rw_jabatan_records(
        &self,
        nip: &Nip,
    ) -> Result<Vec<BknJabatanRecord>, BknError> {
        let answer = self.get(&format!("/pns/rw-jabatan/{nip}")).await?;
        Ok(answer
            .as_ref()
            .map(data_list)
            .unwrap_or_default()
            .iter()
            .filter_map(jabatan_item)
            .collect())
    }

    fn instansi(&self) -> Result<Instansi<'_>, BknError> {
        match (&self.config.instansi_id, &self.config.satuan_kerja_id) {
            (Some(i), Some(s)) => Ok(Instansi {
                instansi_id: i,
                satuan_kerja_id: s,
            }),
            _ => Err(BknError::permanent(
                "BKN_INSTANSI_ID dan BKN_SATUAN_KERJA_ID belum diatur: riwayat jabatan tidak dapat dikirim / BKN_INSTANSI_ID and BKN_SATUAN_KERJA_ID are not set: positions cannot be sent",
                None,
            )),
        }
    }

    pub(crate) async fn jabatan_save(
        &self,
        id: Option<&str>,
        pns_id: &str,
        data: &RiwayatJabatan,
        guard: &dyn WriteGuard,
    ) -> Result<Option<String>, BknError> {
        let body = JabatanSave::new(id, pns_id, data, self.instansi()?);
        let body =
            serde_json::to_value(body).map_err(|e| BknError::permanent(e.to_string(), None))?;
        self.save("/jabatan/save", body, id.is_none(), guard).await
    }

    pub(crate) async fn jabatan_delete(
        &self,
        id: &str,
        guard: &dyn WriteGuard,
    ) -> Result<(), BknError> {
        self.call(
            Method::DELETE,
            &format!("/jabatan/delete/{id}"),
            None,
            Some(guard),
        )
        .await
        .map(|_| ())
    }

    /// An upload is done only when BKN clearly says so.
    pub(crate) async fn upload_dok_rw(
        &self,
        upload: &Upload<'_>,
        guard: &dyn WriteGuard,
    ) -> Result<(), BknError> {
        let boundary = format!("ehrm-sync-{}", ehrm_sync_core::ids::new_token());
        let (content_type, bytes) = upload_body(upload, &boundary);
        let payload = Payload::Raw {
            content_type,
            bytes,
        };
        let answer = self
            .call_with(Method::POST, "/upload-dok-rw", Some(payload), Some(guard))
            .await?;
        match answer {
            Some(a) if success_flag(&a) == Some(true) => Ok(()),
            Some(a) => Err(BknError::permanent(
                format!("BKN did not confirm the upload: {}", message_of(&a)),
                Some(200),
            )),
            None => Err(BknError::permanent(
                "BKN: Data tidak ditemukan (upload-dok-rw)",
                Some(404),
            )),
        }
    }

    pub(crate) async fn data_utama_jabatansync(&self, pns_id: &str) -> Result<(), BknError> {
        let path = format!("/pns/data-utama-jabatansync?pns_orang_id={pns_id}");
        match self.get(&path).await? {
            Some(a) if success_flag(&a) == Some(false) => {
                Err(BknError::permanent(message_of(&a), Some(200)))
            }
            Some(_) => Ok(()),
            None => Err(BknError::permanent(
                "BKN: Data tidak ditemukan (data-utama-jabatansync)",
                Some(404),
            )),
        }
    }
}
