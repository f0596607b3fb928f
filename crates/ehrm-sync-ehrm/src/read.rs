//! eHRM's read API (`docs/ehrm-contract.md`, "The read API"), the core [`EhrmDirectory`] port: a DreamFactory-style
//! gateway with a session (`POST {base}/user/session`), both headers on every read, paged
//! resources under `{base}/v1/ehrm/`, and `filter=nip=…` for one employee. A 401 logs in again
//! once. eHRM's field names are mapped to the comparison engine's facts in [`fields`], the one
//! place to change if the real resource names differ.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use serde_json::{Map, Value, json};
use tokio::sync::Mutex;

use ehrm_sync_core::config::{ConfigError, EnvSource, optional_string, required, url};
use ehrm_sync_core::ports::{EhrmDirectory, SourceError};
use ehrm_sync_domain::reconcile::{EmployeeFacts, PegawaiFacts, StructuralPost, UnitFacts};

/// Rows asked per page.
const PAGE: usize = 500;
const MAX_PAGES: usize = 10_000;

#[derive(Clone)]
pub struct EhrmApiConfig {
    /// e.g. `https://ehrm.pu.go.id/api/v2` (resources are read under `{base}/v1/ehrm/`).
    pub base_url: String,
    pub api_key: String,
    pub username: String,
    pub password: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for EhrmApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EhrmApiConfig")
            .field("base_url", &self.base_url)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl EhrmApiConfig {
    /// `EHRM_API_BASE_URL`, `EHRM_API_KEY`, `EHRM_USERNAME`, `EHRM_PASSWORD`; `None` when the
    /// base URL is not set (reconciliation is then unavailable, and says so).
    pub fn from_env(env: &dyn EnvSource) -> Result<Option<Self>, ConfigError> {
        if optional_string(env, "EHRM_API_BASE_URL").is_none() {
            return Ok(None);
        }
        Ok(Some(EhrmApiConfig {
            base_url: url(env, "EHRM_API_BASE_URL")?
                .trim_end_matches('/')
                .to_string(),
            api_key: required(env, "EHRM_API_KEY")?,
            username: required(env, "EHRM_USERNAME")?,
            password: required(env, "EHRM_PASSWORD")?,
            timeout: Duration::from_secs(30),
        }))
    }
}

pub struct EhrmApiClient {
    pub(crate) http: reqwest::Client,
    pub(crate) config: EhrmApiConfig,
    session: Mutex<Option<String>>,
}

pub(crate) fn transient(message: impl Into<String>) -> SourceError {
    SourceError {
        message: message.into(),
        transient: true,
    }
}

pub(crate) fn permanent(message: impl Into<String>) -> SourceError {
    SourceError {
        message: message.into(),
        transient: false,
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
pub(crate) fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) fn answer_error(status: StatusCode, body: &[u8]) -> SourceError {
    // DreamFactory errors: {"error": {"message": …}}. Only the message is kept, never the body.
    let message = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.pointer("/error/message")?.as_str().map(str::to_string))
        .unwrap_or_default();
    let text = format!("eHRM answered {status}: {message}");
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        transient(text)
    } else {
        permanent(text)
    }
}

impl EhrmApiClient {
    pub fn new(config: EhrmApiConfig) -> Result<Self, SourceError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!("ehrm-sync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| permanent(format!("cannot build the HTTP client: {e}")))?;
        Ok(EhrmApiClient {
            http,
            config,
            session: Mutex::new(None),
        })
    }

    async fn login(&self) -> Result<String, SourceError> {
        let resp = self
            .http
            .post(format!("{}/user/session", self.config.base_url))
            .header("X-DreamFactory-Api-Key", &self.config.api_key)
            .json(&json!({"email": self.config.username, "password": self.config.password}))
            .send()
            .await
            .map_err(|e| transient(format!("eHRM login: {}", without_url(e))))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| transient(format!("eHRM login: {}", without_url(e))))?;
        if !status.is_success() {
            let mut e = answer_error(status, &body);
            e.message = format!("eHRM login refused: {}", e.message);
            return Err(e);
        }
        serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("session_token")?.as_str().map(str::to_string))
            .ok_or_else(|| permanent("eHRM login answered without a session_token"))
    }

    pub(crate) async fn session(&self, renew: bool) -> Result<String, SourceError> {
        let mut held = self.session.lock().await;
        if !renew && let Some(token) = held.as_ref() {
            return Ok(token.clone());
        }
        let token = self.login().await?;
        *held = Some(token.clone());
        Ok(token)
    }

    /// One page of a resource: its rows and the total count.
    async fn page(
        &self,
        resource: &str,
        query: &[(&str, String)],
    ) -> Result<(Vec<Map<String, Value>>, Option<u64>), SourceError> {
        let encoded: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        let url = format!(
            "{}/v1/ehrm/{resource}?{}",
            self.config.base_url,
            encoded.join("&")
        );
        for attempt in 0..2 {
            let token = self.session(attempt > 0).await?;
            let resp = self
                .http
                .get(&url)
                .header("X-DreamFactory-Api-Key", &self.config.api_key)
                .header("X-DreamFactory-Session-Token", &token)
                .send()
                .await
                .map_err(|e| transient(format!("eHRM {resource}: {}", without_url(e))))?;
            let status = resp.status();
            let body = resp
                .bytes()
                .await
                .map_err(|e| transient(format!("eHRM {resource}: {}", without_url(e))))?;
            if status == StatusCode::UNAUTHORIZED && attempt == 0 {
                tracing::info!(resource, "eHRM session expired; logging in again");
                continue;
            }
            if !status.is_success() {
                return Err(answer_error(status, &body));
            }
            let v: Value = serde_json::from_slice(&body)
                .map_err(|e| permanent(format!("eHRM {resource}: not JSON ({e})")))?;
            let rows = v
                .get("resource")
                .and_then(Value::as_array)
                .ok_or_else(|| permanent(format!("eHRM {resource}: no `resource` list")))?
                .iter()
                .filter_map(|r| r.as_object().cloned())
                .collect();
            let count = v.pointer("/meta/count").and_then(Value::as_u64);
            return Ok((rows, count));
        }
        Err(permanent(format!(
            "eHRM {resource}: refused a fresh session (401)"
        )))
    }

    /// Every row of a resource, page by page.
    async fn all(
        &self,
        resource: &str,
        filter: Option<String>,
    ) -> Result<Vec<Map<String, Value>>, SourceError> {
        let mut out = Vec::new();
        for _ in 0..MAX_PAGES {
            let mut query = vec![
                ("limit", PAGE.to_string()),
                ("offset", out.len().to_string()),
                ("include_count", "true".to_string()),
            ];
            if let Some(f) = &filter {
                query.push(("filter", f.clone()));
            }
            let (rows, count) = self.page(resource, &query).await?;
            let got = rows.len();
            out.extend(rows);
            if got == 0 || got < PAGE || count.is_some_and(|c| out.len() as u64 >= c) {
                break;
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl EhrmDirectory for EhrmApiClient {
    async fn employees(&self) -> Result<Vec<PegawaiFacts>, SourceError> {
        Ok(self
            .all(fields::PEGAWAI, None)
            .await?
            .iter()
            .filter_map(fields::pegawai)
            .collect())
    }

    async fn employee(&self, nip: &str) -> Result<Option<EmployeeFacts>, SourceError> {
        let filter = Some(format!("nip={nip}"));
        let Some(pegawai) = self
            .all(fields::PEGAWAI, filter.clone())
            .await?
            .iter()
            .filter_map(fields::pegawai)
            .find(|p| p.nip == nip)
        else {
            return Ok(None);
        };
        let jabatan = self
            .all(fields::RIWAYAT_JABATAN, filter.clone())
            .await?
            .iter()
            .filter(|r| fields::nip_of(r).as_deref() == Some(nip))
            .map(fields::jabatan)
            .collect();
        let kinerja = self
            .all(fields::KINERJA, filter)
            .await?
            .iter()
            .filter(|r| fields::nip_of(r).as_deref() == Some(nip))
            .filter_map(fields::kinerja)
            .collect();
        Ok(Some(EmployeeFacts {
            pegawai,
            jabatan,
            kinerja,
        }))
    }

    async fn units(&self) -> Result<Vec<UnitFacts>, SourceError> {
        Ok(self
            .all(fields::UNOR, None)
            .await?
            .iter()
            .filter_map(fields::unit)
            .collect())
    }

    async fn structural_posts(&self) -> Result<Vec<StructuralPost>, SourceError> {
        Ok(self
            .all(fields::PEJABAT_STRUKTURAL, None)
            .await?
            .iter()
            .filter_map(fields::post)
            .collect())
    }
}

/// eHRM's resource and field names → the comparison engine's facts.
pub mod fields {
    use serde_json::{Map, Value};

    use ehrm_sync_domain::reconcile::{
        JabatanFacts, KinerjaFacts, PegawaiFacts, PenilaiFacts, StructuralPost, UnitFacts,
    };

    pub const PEGAWAI: &str = "pegawai";
    pub const RIWAYAT_JABATAN: &str = "riwayat_jabatan";
    pub const PEJABAT_STRUKTURAL: &str = "pejabat_struktural";
    pub const UNOR: &str = "unor";
    pub const KINERJA: &str = "kinerja";

    fn s(o: &Map<String, Value>, key: &str) -> Option<String> {
        match o.get(key)? {
            Value::String(v) if !v.trim().is_empty() => Some(v.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    fn num(o: &Map<String, Value>, key: &str) -> Option<u64> {
        match o.get(key)? {
            Value::Number(n) => n.as_u64(),
            Value::String(v) => v.trim().parse().ok(),
            _ => None,
        }
    }

    fn small(o: &Map<String, Value>, key: &str) -> Option<u8> {
        num(o, key).and_then(|n| u8::try_from(n).ok())
    }

    /// `nama_lengkap` as eHRM prints it carries the titles (`Ir. BUDI, M.T.`); BKN keeps them
    /// apart, so they are taken off here.
    pub fn without_titles(full: &str, depan: Option<&str>, belakang: Option<&str>) -> String {
        let mut name = full.trim();
        if let Some(d) = depan.map(str::trim).filter(|d| !d.is_empty()) {
            name = name.strip_prefix(d).unwrap_or(name).trim_start();
        }
        if let Some(b) = belakang.map(str::trim).filter(|b| !b.is_empty()) {
            name = name.strip_suffix(b).unwrap_or(name).trim_end();
            name = name.strip_suffix(',').unwrap_or(name).trim_end();
        }
        name.to_string()
    }

    pub fn nip_of(o: &Map<String, Value>) -> Option<String> {
        s(o, "nip")
    }

    pub fn pegawai(o: &Map<String, Value>) -> Option<PegawaiFacts> {
        let gelar_depan = s(o, "gelar_depan");
        let gelar_belakang = s(o, "gelar_belakang");
        Some(PegawaiFacts {
            nip: s(o, "nip")?,
            nama: s(o, "nama_lengkap")
                .map(|n| without_titles(&n, gelar_depan.as_deref(), gelar_belakang.as_deref())),
            gelar_depan,
            gelar_belakang,
            tgl_lahir: s(o, "tgl_lahir"),
            jenis_kelamin: s(o, "jenis_kelamin"),
            golongan: s(o, "golongan"),
            tmt_golongan: s(o, "tmt_golongan"),
            jenis_jabatan: s(o, "jenis_jabatan"),
            jabatan: s(o, "jabatan_lengkap"),
            // `kd_eselon` is what eHRM's older gateway calls it.
            eselon: s(o, "eselon").or_else(|| s(o, "kd_eselon")),
            unor: s(o, "unor_id"),
            tmt_cpns: s(o, "tmt_cpns"),
            tmt_pensiun: s(o, "tmt_pensiun"),
            pns_id: None,
        })
    }

    pub fn jabatan(o: &Map<String, Value>) -> JabatanFacts {
        JabatanFacts {
            bkn_id: None,
            riwayat_id: s(o, "riwayat_id"),
            version: o.get("version").and_then(|v| match v {
                Value::Number(n) => n.as_u64(),
                Value::String(t) => t.trim().parse().ok(),
                _ => None,
            }),
            referensi: s(o, "jabatan_fungsional_id").or_else(|| s(o, "jabatan_fungsional_umum_id")),
            jenis_jabatan: s(o, "jenis_jabatan"),
            nama_jabatan: s(o, "nama_jabatan"),
            unor: s(o, "unor_id"),
            eselon: s(o, "eselon"),
            nomor_sk: s(o, "nomor_sk"),
            tanggal_sk: s(o, "tanggal_sk"),
            tmt_jabatan: s(o, "tmt_jabatan"),
            tmt_pelantikan: s(o, "tmt_pelantikan"),
        }
    }

    pub fn kinerja(o: &Map<String, Value>) -> Option<KinerjaFacts> {
        let penilai = s(o, "penilai_nip").map(|nip| PenilaiFacts {
            nip,
            nama: s(o, "penilai_nama").unwrap_or_default(),
            jabatan: s(o, "penilai_jabatan").unwrap_or_default(),
            unor_nama: s(o, "penilai_unor_nama").unwrap_or_default(),
            golongan_id: s(o, "penilai_golongan_id").unwrap_or_default(),
            status: s(o, "penilai_status").unwrap_or_else(|| "ASN".into()),
        });
        Some(KinerjaFacts {
            tahun: i32::try_from(num(o, "tahun")?).ok()?,
            jenis: s(o, "jenis").unwrap_or_else(|| "tahunan".into()),
            periodik: s(o, "periodik"),
            bulan_mulai: small(o, "bulan_mulai"),
            bulan_selesai: small(o, "bulan_selesai"),
            hasil_kinerja: small(o, "hasil_kinerja"),
            perilaku_kerja: small(o, "perilaku_kerja"),
            predikat: small(o, "predikat"),
            koefisien_id: s(o, "koefisien_id"),
            version: num(o, "version"),
            bkn_id: None,
            penilai,
        })
    }

    pub fn unit(o: &Map<String, Value>) -> Option<UnitFacts> {
        Some(UnitFacts {
            id: s(o, "unor_id")?,
            bkn_id: s(o, "unor_id_bkn"),
            nama: s(o, "nama"),
            parent: s(o, "parent_id"),
            eselon: s(o, "eselon"),
            nama_jabatan: s(o, "nama_jabatan"),
            head_pns_id: None,
        })
    }

    pub fn post(o: &Map<String, Value>) -> Option<StructuralPost> {
        Some(StructuralPost {
            unor_id: s(o, "unor_id")?,
            nama_jabatan: s(o, "nama_jabatan"),
            eselon: s(o, "eselon"),
            nip: s(o, "nip"),
            tmt_jabatan: s(o, "tmt_jabatan"),
        })
    }
}

/// A transport error without its URL: the query may name an employee (`filter=nip=…`), and
/// messages end up in logs and reports.
pub(crate) fn without_url(e: reqwest::Error) -> String {
    e.without_url().to_string()
}
