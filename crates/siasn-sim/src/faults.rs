//! What can go wrong, set at start or through `PUT /_sim/faults`.
//!
//! Where BKN's real behaviour is unknown (`docs/bkn-api.md`, "Unknowns"), the simulator makes it a setting
//! rather than picking the convenient answer: the status of a rejected save, the shape of
//! `mapData`, whether BKN deduplicates creates.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

pub use crate::keycloak::SsoPolicy;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Share of API calls answered with a 5xx.
    pub error_rate: f64,
    /// Added latency per call, uniformly in `[min, max]` milliseconds.
    pub latency_ms: (u64, u64),
    /// Windows (milliseconds since the simulator started) during which BKN is unreachable.
    pub outages: Vec<Window>,
    /// Unreachable now (operator switch), in addition to `outages`.
    pub down: bool,
    /// How an outage looks: `drop` (connection closed unanswered) or `http503`.
    pub outage_mode: OutageMode,
    /// Windows during which the WSO2 gateway answers `Runtime Error … SUSPENDED`.
    pub suspended: Vec<Window>,
    /// Share of calls answered 429 with `Retry-After: retry_after_secs`.
    pub rate_429: f64,
    pub retry_after_secs: u64,
    /// WSO2 throttling: more calls than this in any second are answered 429.
    pub throttle_per_sec: Option<f64>,
    /// Every token stops working after this many API calls.
    pub token_expire_after_calls: Option<u64>,
    /// Share of writes that are stored, then answered by closing the connection.
    pub lost_response_rate: f64,
    /// NIPs whose saves BKN refuses, with the message it gives.
    pub reject_nips: HashMap<String, String>,
    /// NIPs whose calls (any path naming them) fail with a 503, as if their partition were down.
    pub unavailable_nips: Vec<String>,
    /// HTTP status of a refused save (`success:false`): 200 or 400 (unknown at BKN).
    pub reject_status: u16,
    /// `public_clients` (skp22 a bare string, kinerjaperiodik `{"rwKinerjaPeriodikId": …}`, as
    /// public clients read them, `docs/bkn-api.md` "Replies"), `string` (`"mapData": "<id>"`) or `object` for every save.
    pub map_data: MapDataStyle,
    /// How a refused save is written: `success: false`, `success: "false"` or PascalCase
    /// `{"Error": true, "Message": …}` (`docs/bkn-api.md`, "Replies").
    pub reject_style: RejectStyle,
    /// `clear`: `{"success": true, "mapData": …}`; `unclear`: a 200 with BKN's message and no
    /// `success` flag (whether it was stored is unknown: it is stored).
    pub save_reply: SaveReply,
    /// rw-kinerjaperiodik items without `bulanMulaiPenilaian`/`bulanSelesaiPenilaian` (`docs/bkn-api.md`, "Lists").
    pub periodic_without_months: bool,
    /// A whitelisting gateway in front of BKN: calls without this header (name, value) are
    /// refused with a 403 before they reach BKN.
    pub gateway_header: Option<(String, String)>,
    /// An empty rw-kinerjaperiodik list answered with this non-2xx status and `code: 0` (`docs/bkn-api.md`, "Replies").
    pub empty_periodic_status: Option<u16>,
    /// BKN deduplicates a create for a year/period it already holds (unknown; off by default).
    pub dedupe_creates: bool,
    /// `jabatan/save` refuses a body without `path` (a document) — unknown whether BKN does;
    /// SIASN's own forms make the SK mandatory, B and R's clients upload it after the save.
    pub jabatan_requires_document: bool,
    /// The SSO (Keycloak) and the gateway's load-balancer cookie.
    pub sso: SsoPolicy,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            error_rate: 0.0,
            latency_ms: (0, 0),
            outages: Vec::new(),
            down: false,
            outage_mode: OutageMode::Drop,
            suspended: Vec::new(),
            rate_429: 0.0,
            retry_after_secs: 2,
            throttle_per_sec: None,
            token_expire_after_calls: None,
            lost_response_rate: 0.0,
            reject_nips: HashMap::new(),
            unavailable_nips: Vec::new(),
            reject_status: 200,
            map_data: MapDataStyle::PublicClients,
            reject_style: RejectStyle::SuccessFalse,
            save_reply: SaveReply::Clear,
            periodic_without_months: false,
            empty_periodic_status: None,
            gateway_header: None,
            dedupe_creates: false,
            jabatan_requires_document: false,
            sso: SsoPolicy::default(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub from_ms: u64,
    pub to_ms: u64,
}

impl Window {
    pub fn contains(&self, t: u64) -> bool {
        self.from_ms <= t && t < self.to_ms
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutageMode {
    Drop,
    Http503,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MapDataStyle {
    #[serde(rename = "public_clients")]
    PublicClients,
    String,
    Object,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectStyle {
    /// `{"success": false, "message": …}`
    SuccessFalse,
    /// `{"success": "false", "message": …}`
    SuccessFalseString,
    /// `{"Error": true, "Message": …}`
    Pascal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaveReply {
    Clear,
    Unclear,
}
