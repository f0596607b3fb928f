//! The endpoints, implementing the core [`Bkn`] port.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use reqwest::Method;
use reqwest::header::{ACCEPT, COOKIE, RETRY_AFTER};
use serde_json::Value;

use ehrm_sync_core::clock::SystemClock;
use ehrm_sync_core::memory::MemoryControls;
use ehrm_sync_core::ports::WriteGuard;
use ehrm_sync_core::ports::{
    Bkn, BknAnnualRecord, BknError, BknErrorKind, BknJabatanRecord, BknPeriodicRecord, Pacer,
    Upload,
};
use ehrm_sync_core::sso::SsoDesk;
use ehrm_sync_domain::jabatan::RiwayatJabatan;
use ehrm_sync_domain::kinerja::{AnnualKinerja, PeriodicKinerja};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::sso::WaitReason;

use crate::classify::{
    Answer, CallKind, cap_retry_after, classify_call, classify_transport, message_of, success_flag,
};
use crate::config::BknConfig;
use crate::cookies::CookieJar;
use crate::sso::{FormAnswer, FormPost, SsoLogin};
use crate::tokens::ApimTokens;
use crate::wire::{
    KinerjaPeriodikSave, RwKinerjaPeriodikItem, Skp22Save, data_list, data_object, saved_id,
};

/// A request's body.
pub(crate) enum Payload {
    Json(Value),
    Raw {
        content_type: String,
        bytes: Vec<u8>,
    },
}

pub struct BknClient {
    http: reqwest::Client,
    pub(crate) config: BknConfig,
    apim: ApimTokens,
    sso: Arc<SsoLogin>,
    /// The gateway's load-balancer cookies.
    cookies: CookieJar,
    pacer: Arc<dyn Pacer>,
    /// Requests sent (token requests included): what the shared rate budget paid.
    calls: std::sync::atomic::AtomicU64,
    /// Where per-employee answers are kept for other runs of the day.
    shared: Option<crate::shared::SharedReads>,
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
        let mut builder = reqwest::Client::builder();
        if let Some(proxy) = &config.proxy {
            let proxy = reqwest::Proxy::all(proxy.as_str()).map_err(|_| {
                BknError::permanent("BKN_PROXY_URL is not a proxy URL".to_string(), None)
            })?;
            builder = builder.proxy(proxy);
        }
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in &config.extra_headers {
            let (Ok(name), Ok(mut value)) = (
                reqwest::header::HeaderName::from_bytes(name.as_bytes()),
                reqwest::header::HeaderValue::from_str(value),
            ) else {
                return Err(BknError::permanent(
                    "BKN_EXTRA_HEADERS holds a header HTTP does not allow".to_string(),
                    None,
                ));
            };
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let http = builder
            .default_headers(headers)
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(std::time::Duration::from_secs(10)))
            .pool_idle_timeout(std::time::Duration::from_secs(30))
            .user_agent(concat!("ehrm-sync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| BknError::permanent(format!("cannot build the HTTP client: {e}"), None))?;
        // On its own the client keeps the SSO status in memory; a stack gives it the shared desk.
        let desk = Arc::new(SsoDesk::new(
            Arc::new(MemoryControls::default()),
            None,
            Arc::new(SystemClock),
        ));
        let sso = Arc::new(SsoLogin::new(desk, config.sso.clone()));
        Ok(BknClient {
            http,
            config,
            apim: ApimTokens::default(),
            sso,
            cookies: CookieJar::default(),
            pacer,
            calls: std::sync::atomic::AtomicU64::new(0),
            shared: None,
        })
    }

    /// Uses `sso` (the shared SSO desk and login) instead of a process-local one.
    pub fn with_sso(mut self, sso: Arc<SsoLogin>) -> Self {
        self.sso = sso;
        self
    }

    pub fn sso(&self) -> &Arc<SsoLogin> {
        &self.sso
    }

    async fn token_request(
        &self,
        url: String,
        form: Vec<(&'static str, String)>,
        basic: Option<(String, String)>,
    ) -> Result<FormAnswer, BknError> {
        self.pacer
            .wait_turn()
            .await
            .map_err(|e| BknError::transient(e.to_string()))?;
        self.count_call();
        let mut req = self
            .http
            .post(&url)
            .form(&form)
            .header(ACCEPT, "application/json");
        if let Some((user, pass)) = basic {
            req = req.basic_auth(user, Some(pass));
        }
        if let Some(cookies) = self
            .cookies
            .header_for(&url, self.config.cookies.as_deref())
        {
            req = req.header(COOKIE, cookies);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| classify_transport(&e, false))?;
        self.cookies.keep(&url, resp.headers());
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

    /// A token error: the APIM token of `generation` and the gateway's cookies go.
    async fn drop_tokens(&self, generation: u64) {
        self.apim.invalidate(generation).await;
        self.cookies.clear();
    }

    fn count_call(&self) {
        self.calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Requests sent so far (token requests included).
    pub fn calls_made(&self) -> u64 {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A failure with its `Retry-After` capped; the shared gate is held for that long, and a
    /// `429` of the call given `slot` cuts the shared rate.
    async fn held(&self, e: BknError, slot: Option<i64>) -> BknError {
        let e = cap_retry_after(e, self.config.retry_after_max.as_millis() as i64);
        let retry_after = e.retry_after_ms();
        if e.is_throttled() {
            self.pacer.throttled(slot, retry_after).await;
        } else if let Some(ms) = retry_after {
            self.pacer.hold_for(ms).await;
        }
        e
    }

    /// Keeps per-employee answers for other runs of the day ([`crate::shared`]).
    pub fn with_shared_reads(mut self, shared: crate::shared::SharedReads) -> Self {
        self.shared = Some(shared);
        self
    }

    /// A read: no guard needed. Per-employee answers are kept for sharing.
    pub(crate) async fn get(&self, path: &str) -> Result<Option<Value>, BknError> {
        let answer = self.call(Method::GET, path, None, None).await?;
        if let Some(shared) = &self.shared {
            shared.remember(path, answer.as_ref()).await;
        }
        Ok(answer)
    }

    /// A read that takes today's kept answer when there is one (no call to BKN).
    pub(crate) async fn get_shared(
        &self,
        path: &str,
        nip: &Nip,
    ) -> Result<Option<Value>, BknError> {
        if let Some(shared) = &self.shared
            && let Some(answer) = shared.recall(path, nip.as_str()).await
        {
            return Ok(answer);
        }
        self.get(path).await
    }

    async fn note_saved(&self, nip: &Nip) {
        if let Some(shared) = &self.shared {
            shared.saved(nip.as_str()).await;
        }
    }

    /// One API call with both tokens and a JSON body ([`BknClient::call_with`]).
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        guard: Option<&dyn WriteGuard>,
    ) -> Result<Option<Value>, BknError> {
        self.call_with(method, path, body.map(Payload::Json), guard)
            .await
    }

    /// One API call with both tokens and any body (JSON, a multipart upload). `Ok(None)` means
    /// BKN has nothing ("Data tidak ditemukan"). A write is sent only if `guard` allows it after
    /// tokens and the gate's wait.
    /// Long because pacing, both tokens, one renewal after a token error, the timeout and the
    /// classification are one protocol per request; each step depends on the one before.
    pub(crate) async fn call_with(
        &self,
        method: Method,
        path: &str,
        body: Option<Payload>,
        guard: Option<&dyn WriteGuard>,
    ) -> Result<Option<Value>, BknError> {
        let write = method != Method::GET;
        let kind = match method {
            Method::GET => CallKind::Read,
            Method::DELETE => CallKind::Delete,
            _ => CallKind::Save,
        };
        let url = format!("{}{}", self.config.api_base, path);
        for attempt in 0..2 {
            let sso = match self.sso.token(self).await {
                Ok(t) => t,
                // No usable SSO token: no request at all.
                Err(e) if e.awaiting_sso().is_some() => return Err(e),
                Err(e) => return Err(self.held(e, None).await),
            };
            let apim = match self
                .apim
                .token(&self.config, |u, f, b| self.token_request(u, f, b))
                .await
            {
                Ok(t) => t,
                Err(e) => return Err(self.held(e, None).await),
            };
            if let Some(lifetime) = apim.renewed_for {
                let expires_at = self.sso.desk().clock().now_ms() + lifetime.as_millis() as i64;
                if let Err(e) = self.sso.desk().apim_renewed(expires_at).await {
                    tracing::warn!(error = %e, "APIM token expiry not recorded");
                }
            }
            let slot = self
                .pacer
                .wait_turn()
                .await
                .map_err(|e| BknError::transient(e.to_string()))?;
            // The turn may have come after the SSO token's end: never send an expired one.
            let sso = if self.sso.still_usable(&sso) {
                sso
            } else {
                match self.sso.token(self).await {
                    Ok(t) => t,
                    Err(e) if e.awaiting_sso().is_some() => return Err(e),
                    Err(e) => return Err(self.held(e, None).await),
                }
            };
            if let Some(guard) = guard {
                // Immediately before sending: after any token renewal and the gate's wait.
                guard.check()?;
            }
            self.count_call();
            let mut req = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(&apim.value)
                .header("Auth", format!("bearer {}", sso.token.expose()))
                .header(ACCEPT, "application/json");
            if let Some(cookies) = self
                .cookies
                .header_for(&url, self.config.cookies.as_deref())
            {
                req = req.header(COOKIE, cookies);
            }
            match &body {
                Some(Payload::Json(b)) => req = req.json(b),
                Some(Payload::Raw {
                    content_type,
                    bytes,
                }) => {
                    req = req
                        .header(reqwest::header::CONTENT_TYPE, content_type.as_str())
                        .body(bytes.clone());
                }
                None => {}
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    let err = classify_transport(&e, write);
                    if !e.is_connect() && !e.is_timeout() {
                        // A reset connection is among BKN's token symptoms: renew the tokens.
                        // Only reads are repeated at once; a write may have been applied.
                        self.drop_tokens(apim.generation).await;
                        self.sso.refused(&sso, false).await;
                        if attempt == 0 && !write {
                            continue;
                        }
                    }
                    return Err(err);
                }
            };
            self.cookies.keep(&url, resp.headers());
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
            match classify_call(status, retry_after.as_deref(), &bytes, kind, now_unix()) {
                Answer::Ok(v) => return Ok(Some(v)),
                Answer::Empty => return Ok(None),
                Answer::TokenError(msg) => {
                    self.drop_tokens(apim.generation).await;
                    self.sso.refused(&sso, attempt == 1).await;
                    if attempt == 0 {
                        tracing::info!(
                            status,
                            "BKN token error; renewing the tokens and retrying once"
                        );
                        continue;
                    }
                    if sso.kind.pasted() {
                        // The pasted token itself is refused: work waits for a new one.
                        return Err(BknError::awaiting(WaitReason::TokenRefused));
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
                Answer::Fail(e) => return Err(self.held(e, Some(slot)).await),
            }
        }
        Err(BknError::transient(
            "BKN call abandoned after a token renewal",
        ))
    }

    /// A save is a success only when BKN clearly says so (`success` true or `"true"`) and,
    /// for a create, names the new record (`docs/bkn-api.md`, "Replies"). A create acknowledged without an id may have
    /// been stored: it is retried as an ambiguous create, whose look-up adopts the record.
    pub(crate) async fn save(
        &self,
        path: &str,
        body: Value,
        creating: bool,
        guard: &dyn WriteGuard,
    ) -> Result<Option<String>, BknError> {
        let Some(answer) = self
            .call(Method::POST, path, Some(body), Some(guard))
            .await?
        else {
            return Err(BknError::permanent("BKN: Data tidak ditemukan", Some(404)));
        };
        let id = saved_id(&answer);
        if success_flag(&answer) != Some(true) {
            return Err(BknError::permanent(
                format!(
                    "BKN did not confirm the save (no `success: true`): {}",
                    message_of(&answer)
                ),
                Some(200),
            ));
        }
        if creating && id.is_none() {
            return Err(BknError {
                kind: BknErrorKind::Transient {
                    retry_after_ms: None,
                    maybe_applied: true,
                    suspended: false,
                },
                message: format!(
                    "BKN confirmed the create but gave no id; it is looked up before any retry: {}",
                    message_of(&answer)
                ),
                http_status: Some(200),
            });
        }
        Ok(id)
    }

    /// The full data-utama object of an employee (for reconciliation and diagnostics).
    pub async fn data_utama(
        &self,
        nip: &Nip,
    ) -> Result<Option<serde_json::Map<String, Value>>, BknError> {
        Ok(self
            .get(&format!("/pns/data-utama/{nip}"))
            .await?
            .as_ref()
            .and_then(data_object))
    }
}

#[async_trait]
impl FormPost for BknClient {
    async fn post_form(
        &self,
        url: &str,
        form: Vec<(&'static str, String)>,
    ) -> Result<FormAnswer, BknError> {
        self.token_request(url.to_string(), form, None).await
    }
}

#[async_trait]
impl ehrm_sync_core::ports::SsoKeeper for BknClient {
    async fn keep_alive(&self) {
        match self.sso.token(self).await {
            Ok(_) => {}
            // Nothing to renew with: the status already says why work waits.
            Err(e) if e.awaiting_sso().is_some() => {}
            Err(e) => tracing::warn!(error = %e, "the SSO session could not be kept alive"),
        }
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
        let answer = self.get(&format!("/pns/rw-skp22/{nip}")).await?;
        Ok(crate::wire::annual_from(answer.as_ref()))
    }

    async fn save_annual(
        &self,
        id: Option<&str>,
        pns_id: &str,
        data: &AnnualKinerja,
        guard: &dyn WriteGuard,
    ) -> Result<Option<String>, BknError> {
        let body = serde_json::to_value(Skp22Save::new(id, pns_id, data))
            .map_err(|e| BknError::permanent(e.to_string(), None))?;
        let saved = self.save("/skp22/save", body, id.is_none(), guard).await?;
        self.note_saved(&data.nip).await;
        Ok(saved)
    }

    async fn periodic_records(&self, nip: &Nip) -> Result<Vec<BknPeriodicRecord>, BknError> {
        let answer = self.get(&format!("/pns/rw-kinerjaperiodik/{nip}")).await?;
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
        guard: &dyn WriteGuard,
    ) -> Result<Option<String>, BknError> {
        let body = serde_json::to_value(KinerjaPeriodikSave::new(id, pns_id, data))
            .map_err(|e| BknError::permanent(e.to_string(), None))?;
        let saved = self
            .save("/kinerjaperiodik/save", body, id.is_none(), guard)
            .await?;
        self.note_saved(&data.nip).await;
        Ok(saved)
    }

    async fn delete_periodic(&self, id: &str, guard: &dyn WriteGuard) -> Result<(), BknError> {
        self.call(
            Method::DELETE,
            &format!("/kinerjaperiodik/delete/{id}"),
            None,
            Some(guard),
        )
        .await
        .map(|_| ())
    }

    async fn jabatan_records(&self, nip: &Nip) -> Result<Vec<BknJabatanRecord>, BknError> {
        self.rw_jabatan_records(nip).await
    }

    async fn save_jabatan(
        &self,
        id: Option<&str>,
        pns_id: &str,
        data: &RiwayatJabatan,
        guard: &dyn WriteGuard,
    ) -> Result<Option<String>, BknError> {
        let saved = self.jabatan_save(id, pns_id, data, guard).await?;
        // Readiness and reconciliation keep the day's answers (rw-jabatan among them).
        self.note_saved(&data.nip).await;
        Ok(saved)
    }

    async fn delete_jabatan(
        &self,
        nip: &Nip,
        id: &str,
        guard: &dyn WriteGuard,
    ) -> Result<(), BknError> {
        self.jabatan_delete(id, guard).await?;
        self.note_saved(nip).await;
        Ok(())
    }

    async fn upload_document(
        &self,
        upload: &Upload<'_>,
        guard: &dyn WriteGuard,
    ) -> Result<(), BknError> {
        self.upload_dok_rw(upload, guard).await
    }

    async fn refresh_data_utama_jabatan(&self, nip: &Nip, pns_id: &str) -> Result<(), BknError> {
        self.data_utama_jabatansync(pns_id).await?;
        // data-utama changed: the day's kept answers of this employee are stale.
        self.note_saved(nip).await;
        Ok(())
    }
}
