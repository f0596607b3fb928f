//! The endpoints, implementing the core [`Bkn`] port.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use reqwest::Method;
use reqwest::header::{ACCEPT, COOKIE, RETRY_AFTER};
use serde_json::Value;

use ehrm_sync_core::ports::{
    Bkn, BknAnnualRecord, BknError, BknErrorKind, BknPeriodicRecord, Pacer,
};
use ehrm_sync_domain::kinerja::{AnnualKinerja, PeriodicKinerja};
use ehrm_sync_domain::nip::Nip;

use crate::classify::{Answer, classify, classify_transport};
use crate::config::BknConfig;
use crate::tokens::TokenCache;
use crate::wire::{
    KinerjaPeriodikSave, RwKinerjaPeriodikItem, RwSkp22Item, Skp22Save, data_list, data_object,
    saved_id,
};

pub struct BknClient {
    http: reqwest::Client,
    config: BknConfig,
    tokens: TokenCache,
    pacer: Arc<dyn Pacer>,
    /// Requests sent (token requests included): what the shared rate budget paid.
    calls: std::sync::atomic::AtomicU64,
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn to_u8(v: Option<i64>) -> Option<u8> {
    v.and_then(|n| u8::try_from(n).ok())
}

impl BknClient {
    pub fn new(config: BknConfig, pacer: Arc<dyn Pacer>) -> Result<Self, BknError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(std::time::Duration::from_secs(10)))
            .pool_idle_timeout(std::time::Duration::from_secs(30))
            .user_agent(concat!("ehrm-sync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| BknError::permanent(format!("cannot build the HTTP client: {e}"), None))?;
        Ok(BknClient {
            http,
            config,
            tokens: TokenCache::new(),
            pacer,
            calls: std::sync::atomic::AtomicU64::new(0),
        })
    }

    async fn token_request(
        &self,
        url: String,
        form: Vec<(&'static str, String)>,
        basic: Option<(String, String)>,
    ) -> Result<(u16, Option<String>, Vec<u8>), BknError> {
        self.pacer
            .wait_turn()
            .await
            .map_err(|e| BknError::transient(e.to_string()))?;
        self.count_call();
        let mut req = self
            .http
            .post(url)
            .form(&form)
            .header(ACCEPT, "application/json");
        if let Some((user, pass)) = basic {
            req = req.basic_auth(user, Some(pass));
        }
        let resp = req
            .send()
            .await
            .map_err(|e| classify_transport(&e, false))?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = resp
            .bytes()
            .await
            .map_err(|e| classify_transport(&e, false))?;
        Ok((status, retry_after, body.to_vec()))
    }

    fn count_call(&self) {
        self.calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Requests sent so far (token requests included).
    pub fn calls_made(&self) -> u64 {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// One API call with both tokens. `Ok(None)` means BKN has nothing ("Data tidak ditemukan").
    /// Long because pacing, both tokens, one renewal after a token error, the timeout and the
    /// classification are one protocol per request; each step depends on the one before.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Option<Value>, BknError> {
        let write = method != Method::GET;
        let url = format!("{}{}", self.config.api_base, path);
        for attempt in 0..2 {
            let pair = match self
                .tokens
                .pair(&self.config, |u, f, b| self.token_request(u, f, b))
                .await
            {
                Ok(p) => p,
                Err(e) => {
                    if let BknErrorKind::Transient {
                        retry_after_ms: Some(ms),
                        ..
                    } = e.kind
                    {
                        self.pacer.hold_for(ms).await;
                    }
                    return Err(e);
                }
            };
            self.pacer
                .wait_turn()
                .await
                .map_err(|e| BknError::transient(e.to_string()))?;
            self.count_call();
            let mut req = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(&pair.apim)
                .header("Auth", format!("bearer {}", pair.sso))
                .header(ACCEPT, "application/json");
            if let Some(cookies) = &self.config.cookies {
                req = req.header(COOKIE, cookies);
            }
            if let Some(b) = &body {
                req = req.json(b);
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    let err = classify_transport(&e, write);
                    if !e.is_connect() && !e.is_timeout() {
                        // A reset connection is among BKN's token symptoms: renew the tokens.
                        // Only reads are repeated at once; a write may have been applied.
                        self.tokens.invalidate(pair.generation).await;
                        if attempt == 0 && !write {
                            continue;
                        }
                    }
                    return Err(err);
                }
            };
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let bytes = resp
                .bytes()
                .await
                .map_err(|e| classify_transport(&e, write))?;
            match classify(status, retry_after.as_deref(), &bytes, write, now_unix()) {
                Answer::Ok(v) => return Ok(Some(v)),
                Answer::Empty => return Ok(None),
                Answer::TokenError(msg) => {
                    self.tokens.invalidate(pair.generation).await;
                    if attempt == 0 {
                        tracing::info!(
                            status,
                            "BKN token error; renewing both tokens and retrying once"
                        );
                        continue;
                    }
                    return Err(BknError {
                        kind: BknErrorKind::Transient {
                            retry_after_ms: None,
                            maybe_applied: false,
                            suspended: false,
                        },
                        message: format!("BKN refused freshly renewed tokens: {msg}"),
                        http_status: Some(status),
                    });
                }
                Answer::Fail(e) => {
                    if let BknErrorKind::Transient {
                        retry_after_ms: Some(ms),
                        ..
                    } = e.kind
                    {
                        self.pacer.hold_for(ms).await;
                    }
                    return Err(e);
                }
            }
        }
        Err(BknError::transient(
            "BKN call abandoned after a token renewal",
        ))
    }

    async fn save(&self, path: &str, body: Value) -> Result<Option<String>, BknError> {
        match self.call(Method::POST, path, Some(body)).await? {
            Some(answer) => Ok(saved_id(&answer)),
            None => Err(BknError::permanent("BKN: Data tidak ditemukan", Some(404))),
        }
    }

    /// The full data-utama object of an employee (for reconciliation and diagnostics).
    pub async fn data_utama(
        &self,
        nip: &Nip,
    ) -> Result<Option<serde_json::Map<String, Value>>, BknError> {
        Ok(self
            .call(Method::GET, &format!("/pns/data-utama/{nip}"), None)
            .await?
            .as_ref()
            .and_then(data_object))
    }
}

#[async_trait]
impl Bkn for BknClient {
    async fn pns_id(&self, nip: &Nip) -> Result<Option<String>, BknError> {
        let data = self.data_utama(nip).await?;
        Ok(data.and_then(|d| match d.get("id") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        }))
    }

    async fn annual_records(&self, nip: &Nip) -> Result<Vec<BknAnnualRecord>, BknError> {
        let answer = self
            .call(Method::GET, &format!("/pns/rw-skp22/{nip}"), None)
            .await?;
        let items = answer.as_ref().map(data_list).unwrap_or_default();
        Ok(items
            .into_iter()
            .filter_map(|v| serde_json::from_value::<RwSkp22Item>(v).ok())
            .filter_map(|i| {
                Some(BknAnnualRecord {
                    id: i.id?,
                    tahun: i.tahun.and_then(|t| i32::try_from(t).ok()),
                    hasil_kinerja: to_u8(i.hasil_kinerja_nilai),
                    perilaku_kerja: to_u8(i.perilaku_kerja_nilai),
                    kuadran: to_u8(i.kuadran_kinerja_nilai),
                    penilai_nip: i.nip_nrp_penilai,
                })
            })
            .collect())
    }

    async fn save_annual(
        &self,
        id: Option<&str>,
        pns_id: &str,
        data: &AnnualKinerja,
    ) -> Result<Option<String>, BknError> {
        let body = serde_json::to_value(Skp22Save::new(id, pns_id, data))
            .map_err(|e| BknError::permanent(e.to_string(), None))?;
        self.save("/skp22/save", body).await
    }

    async fn periodic_records(&self, nip: &Nip) -> Result<Vec<BknPeriodicRecord>, BknError> {
        let answer = self
            .call(Method::GET, &format!("/pns/rw-kinerjaperiodik/{nip}"), None)
            .await?;
        let items = answer.as_ref().map(data_list).unwrap_or_default();
        Ok(items
            .into_iter()
            .filter_map(|v| serde_json::from_value::<RwKinerjaPeriodikItem>(v).ok())
            .filter_map(|i| {
                let periodik = i.periodik();
                Some(BknPeriodicRecord {
                    id: i.id?,
                    tahun: i.tahun.and_then(|t| i32::try_from(t).ok()),
                    periodik,
                    bulan_mulai: to_u8(i.bulan_mulai),
                    bulan_selesai: to_u8(i.bulan_selesai),
                    hasil_kinerja: to_u8(i.hasil_kinerja_nilai),
                    perilaku_kerja: to_u8(i.perilaku_kerja_nilai),
                    kuadran: to_u8(i.kuadran_kinerja_nilai),
                    koefisien_id: i.koefisien_id,
                    penilai_nip: i.penilai_nip_nrp,
                })
            })
            .collect())
    }

    async fn save_periodic(
        &self,
        id: Option<&str>,
        pns_id: &str,
        data: &PeriodicKinerja,
    ) -> Result<Option<String>, BknError> {
        let body = serde_json::to_value(KinerjaPeriodikSave::new(id, pns_id, data))
            .map_err(|e| BknError::permanent(e.to_string(), None))?;
        self.save("/kinerjaperiodik/save", body).await
    }

    async fn delete_periodic(&self, id: &str) -> Result<(), BknError> {
        self.call(
            Method::DELETE,
            &format!("/kinerjaperiodik/delete/{id}"),
            None,
        )
        .await
        .map(|_| ())
    }
}
