//! The pages and actions, one module each, and what they share: the signed-in context (an
//! extractor, [`Ctx`]), role and CSRF checks, error pages in the page's language ([`Page`]; `?`
//! works through [`InPage`]), times in Jakarta, downloads.

pub mod actions;
pub mod audit_page;
pub mod data_pribadi;
pub mod failed;
pub mod kesiapan;
pub mod login;
pub mod marks;
pub mod overview;
pub mod pegawai;
pub mod rekon;
pub mod sso;

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use ehrm_sync_core::ports::{QueueError, StoreError, Table, XLSX_TYPE};
use ehrm_sync_domain::record::Millis;
use ehrm_sync_domain::sso::Standing;

use crate::i18n::Lang;
use crate::label::BadParam;
use crate::layout;
use crate::session::{self, LANG_COOKIE, SESSION_COOKIE};
use crate::users::Role;
use crate::{ClientAddr, Console};

/// A signed-in request: language, user, role (as configured now), the session's CSRF token and
/// the client's address. Handlers take it as an argument; without a session the browser is sent
/// to the login page.
pub struct Ctx {
    pub lang: Lang,
    pub user: String,
    pub role: Role,
    pub csrf: String,
    pub address: String,
    /// How the BKN SSO login stands (the banner on every page); `None` if it cannot be read.
    pub sso: Option<Standing>,
    /// When the page was asked for.
    pub now: Millis,
    /// The page asked for, with its query (what an access audit entry names).
    pub request: String,
}

impl FromRequestParts<Arc<Console>> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        console: &Arc<Console>,
    ) -> Result<Self, Self::Rejection> {
        let addr = parts.extensions.get::<ClientAddr>().cloned();
        let mut c = ctx(console, &parts.headers, addr.as_ref()).await?;
        c.request = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().chars().take(300).collect())
            .unwrap_or_default();
        Ok(c)
    }
}

/// The page's language alone (pages shown before signing in).
impl FromRequestParts<Arc<Console>> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _console: &Arc<Console>,
    ) -> Result<Self, Self::Rejection> {
        Ok(lang_of(&parts.headers))
    }
}

impl Ctx {
    pub fn is_operator(&self) -> bool {
        self.role == Role::Operator
    }

    /// 403 unless an operator (the page keeps its navigation: the viewer carries on).
    pub fn require_operator(&self) -> Result<(), PageError> {
        if self.is_operator() {
            return Ok(());
        }
        let mut e = PageError::new(self.lang, Problem::OperatorsOnly);
        e.signed_in = Some((self.user.clone(), self.role, self.csrf.clone()));
        Err(e)
    }

    /// 403 unless the form carries the session's CSRF token.
    pub fn check_csrf(&self, given: &str) -> Result<(), PageError> {
        if session::csrf_matches(&self.csrf, given) {
            return Ok(());
        }
        Err(PageError::new(self.lang, Problem::FormExpired))
    }

    /// A request the page cannot serve, said in its language.
    pub fn bad(&self, what: impl Into<String>) -> PageError {
        PageError::new(self.lang, Problem::BadRequest(what.into()))
    }

    /// Nothing by that name.
    pub fn not_found(&self) -> PageError {
        PageError::new(self.lang, Problem::NotFound)
    }
}

/// What a page answers instead of itself.
#[derive(Debug)]
pub enum Problem {
    /// The store or queue cannot be read (503).
    Unavailable(String),
    /// Something in the request is wrong (400), said in the page's language.
    BadRequest(String),
    /// A filter value the page does not know (400).
    BadParam(BadParam),
    /// Nothing by that name (404).
    NotFound,
    /// A viewer asked for an operator's action (403).
    OperatorsOnly,
    /// A form without the session's CSRF token (403).
    FormExpired,
}

/// A page's failure, rendered in the page's language with the right status.
#[derive(Debug)]
pub struct PageError {
    lang: Lang,
    problem: Problem,
    /// The signed-in user (name, role, CSRF) when the answer keeps the page's navigation.
    signed_in: Option<(String, Role, String)>,
}

impl PageError {
    pub fn new(lang: Lang, problem: Problem) -> Self {
        PageError {
            lang,
            problem,
            signed_in: None,
        }
    }
}

/// What a page handler returns: the page, or why not.
pub type Page = Result<Response, PageError>;

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let l = self.lang;
        match self.problem {
            Problem::Unavailable(why) => {
                tracing::warn!(error = %why, "console: store unavailable");
                layout::bare(
                    l,
                    StatusCode::SERVICE_UNAVAILABLE,
                    l.t("Penyimpanan tidak dapat dibaca", "The store cannot be read"),
                    html! { p.message { (why) } p { (l.t("Coba lagi sebentar lagi.", "Try again shortly.")) } },
                )
            }
            Problem::BadRequest(what) => bad_request(l, &what),
            Problem::BadParam(p) => bad_request(
                l,
                &match l {
                    Lang::Id => format!("Pilihan «{}» tidak dikenal untuk {}.", p.value, p.field),
                    Lang::En => format!("«{}» is not a known choice for {}.", p.value, p.field),
                },
            ),
            Problem::NotFound => layout::bare(
                l,
                StatusCode::NOT_FOUND,
                l.t("Tidak ditemukan", "Not found"),
                html! { p { a href="/console/" { (l.t("Ke ringkasan", "To the overview")) } } },
            ),
            Problem::OperatorsOnly => {
                let title = l.t("Tidak diizinkan", "Forbidden");
                let body = html! {
                    p.error role="alert" { (l.t("Tindakan ini hanya untuk operator.", "This action is for operators only.")) }
                };
                let mut page = match self.signed_in {
                    Some((user, role, csrf)) => {
                        let c = Ctx {
                            lang: l,
                            user,
                            role,
                            csrf,
                            address: String::new(),
                            sso: None,
                            now: 0,
                            request: String::new(),
                        };
                        layout::page(&c, title, "", body)
                    }
                    None => layout::bare(l, StatusCode::FORBIDDEN, title, body),
                };
                *page.status_mut() = StatusCode::FORBIDDEN;
                page
            }
            Problem::FormExpired => layout::bare(
                l,
                StatusCode::FORBIDDEN,
                l.t("Formulir kedaluwarsa", "Form expired"),
                html! { p { (l.t("Muat ulang halaman lalu coba lagi.", "Reload the page and try again.")) } },
            ),
        }
    }
}

/// `?` on a store, queue or filter error inside a page: the error page in the page's language.
pub trait InPage<T> {
    fn in_page(self, lang: Lang) -> Result<T, PageError>;
}

impl<T> InPage<T> for Result<T, StoreError> {
    fn in_page(self, lang: Lang) -> Result<T, PageError> {
        self.map_err(|e| PageError::new(lang, Problem::Unavailable(e.to_string())))
    }
}

impl<T> InPage<T> for Result<T, QueueError> {
    fn in_page(self, lang: Lang) -> Result<T, PageError> {
        self.map_err(|e| PageError::new(lang, Problem::Unavailable(e.to_string())))
    }
}

impl<T> InPage<T> for Result<T, ehrm_sync_core::status::OverviewError> {
    fn in_page(self, lang: Lang) -> Result<T, PageError> {
        self.map_err(|e| PageError::new(lang, Problem::Unavailable(e.to_string())))
    }
}

impl<T> InPage<T> for Result<T, BadParam> {
    fn in_page(self, lang: Lang) -> Result<T, PageError> {
        self.map_err(|p| PageError::new(lang, Problem::BadParam(p)))
    }
}

pub fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::from_cookie(session::cookie(cookie_header(headers), LANG_COOKIE))
}

pub fn cookie_header(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::COOKIE).and_then(|v| v.to_str().ok())
}

pub fn address_of(addr: Option<&ClientAddr>) -> String {
    addr.map_or_else(|| "unknown".to_string(), |a| a.0.clone())
}

/// The signed-in context, or the answer to give instead (to the login page, or 503).
async fn ctx(
    console: &Console,
    headers: &HeaderMap,
    addr: Option<&ClientAddr>,
) -> Result<Ctx, Response> {
    let lang = lang_of(headers);
    let token = session::cookie(cookie_header(headers), SESSION_COOKIE);
    let now = console.deps.clock.now_ms();
    let session = match token {
        Some(t) => session::load(console.deps.controls.as_ref(), t, now)
            .await
            .in_page(lang)
            .map_err(IntoResponse::into_response)?,
        None => None,
    };
    // A user removed from the file loses access at once; a changed role applies at once.
    let Some((session, user)) =
        session.and_then(|s| console.users.get(&s.user).cloned().map(|u| (s, u)))
    else {
        return Err(Redirect::to("/console/login").into_response());
    };
    let sso = match console.deps.sso.standing().await {
        Ok((_, standing)) => Some(standing),
        Err(e) => {
            tracing::warn!(error = %e, "console: the SSO status cannot be read");
            None
        }
    };
    Ok(Ctx {
        lang,
        user: user.name,
        role: user.role,
        csrf: session.csrf,
        address: address_of(addr),
        sso,
        now,
        request: String::new(),
    })
}

/// 503: the store cannot be read (pages before signing in, which have no [`Page`] result).
pub fn unavailable(lang: Lang, error: &dyn std::fmt::Display) -> Response {
    PageError::new(lang, Problem::Unavailable(error.to_string())).into_response()
}

/// 400 with what was wrong in the request.
pub fn bad_request(lang: Lang, what: &str) -> Response {
    layout::bare(
        lang,
        StatusCode::BAD_REQUEST,
        lang.t("Permintaan tidak valid", "Invalid request"),
        html! { p { (what) } p { a href="/console/" { (lang.t("Kembali", "Back")) } } },
    )
}

/// `2026-12-01 17:56 WIB`.
pub fn when(ms: Millis) -> String {
    let text = ehrm_sync_core::clock::format_ms(ms);
    match (text.get(..10), text.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t} WIB"),
        _ => text,
    }
}

/// The tables as an `.xlsx` download named `filename`.
pub async fn xlsx(console: &Console, c: &Ctx, tables: &[Table], filename: &str) -> Page {
    let bytes = console
        .deps
        .workbooks
        .workbook(tables)
        .map_err(|e| c.bad(e.to_string()))?;
    let rows = tables.iter().map(|t| t.rows.len()).max().unwrap_or(0);
    let people = people_in(
        tables
            .iter()
            .flat_map(|t| t.rows.iter().flatten())
            .filter_map(|cell| match cell {
                ehrm_sync_core::ports::Cell::Text(t) => Some(t.as_str()),
                _ => None,
            }),
    );
    audit_download(console, c, rows, people).await;
    Ok(attachment(XLSX_TYPE, filename, bytes))
}

/// The NIPs among a download's values (employees, appraisers), each once, in order.
pub fn people_in<'a>(values: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    values
        .filter(|v| v.len() == 18 && ehrm_sync_domain::nip::Nip::parse(v).is_ok())
        .filter(|v| seen.insert(v.to_string()))
        .take(crate::audit::PEOPLE_KEPT)
        .map(str::to_string)
        .collect()
}

/// Puts a download on record with the people it held.
pub async fn audit_download(console: &Console, c: &Ctx, rows: usize, people: Vec<String>) {
    audit_with_people(console, c, "download", rows, people).await;
}

/// Puts a view or download of personal data on record: who, from where, which page with which
/// filter, how many rows (`docs/console.md`, "Audit").
pub async fn audit_access(console: &Console, c: &Ctx, action: &str, rows: usize) {
    audit_with_people(console, c, action, rows, Vec::new()).await;
}

/// As [`audit_access`], naming the people the page or file held.
async fn audit_with_people(
    console: &Console,
    c: &Ctx,
    action: &str,
    rows: usize,
    people: Vec<String>,
) {
    let entry = crate::audit::AuditEntry {
        who: c.user.clone(),
        address: c.address.clone(),
        action: action.to_string(),
        what: c.request.clone(),
        count: Some(rows as u64),
        people,
    };
    crate::audit::record_or_log(console.deps.controls.as_ref(), c.now, entry).await;
}

/// A file download.
pub fn attachment(content_type: &'static str, filename: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{filename}\"");
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}
