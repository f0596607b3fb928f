//! eHRM's documents (`docs/ehrm-contract.md`, "Riwayat jabatan"): `GET {base}/v1/ehrm/dokumen/{id}`
//! with the read API's session, answering the bytes of a PDF; the core [`EhrmDocuments`] port.
//! The size and SHA-256 are checked by delivery against what the webhook said.

use async_trait::async_trait;
use reqwest::StatusCode;

use ehrm_sync_core::ports::{EhrmDocuments, SourceError};
use ehrm_sync_domain::jabatan::MAX_DOKUMEN_BYTES;

use crate::read::{EhrmApiClient, answer_error, encode, permanent, transient, without_url};

#[async_trait]
impl EhrmDocuments for EhrmApiClient {
    async fn document(&self, id: &str) -> Result<Vec<u8>, SourceError> {
        let url = format!("{}/v1/ehrm/dokumen/{}", self.config.base_url, encode(id));
        for attempt in 0..2 {
            let token = self.session(attempt > 0).await?;
            let resp = self
                .http
                .get(&url)
                .header("X-DreamFactory-Api-Key", &self.config.api_key)
                .header("X-DreamFactory-Session-Token", &token)
                .send()
                .await
                .map_err(|e| transient(format!("eHRM dokumen: {}", without_url(e))))?;
            let status = resp.status();
            if resp.content_length().is_some_and(|n| n > MAX_DOKUMEN_BYTES) {
                return Err(permanent(format!(
                    "eHRM dokumen {id}: larger than {MAX_DOKUMEN_BYTES} bytes"
                )));
            }
            let body = resp
                .bytes()
                .await
                .map_err(|e| transient(format!("eHRM dokumen: {}", without_url(e))))?;
            if status == StatusCode::UNAUTHORIZED && attempt == 0 {
                continue;
            }
            if !status.is_success() {
                return Err(answer_error(status, &body));
            }
            return Ok(body.to_vec());
        }
        Err(permanent("eHRM dokumen: refused a fresh session (401)"))
    }
}
