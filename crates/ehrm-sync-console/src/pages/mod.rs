//! The pages and actions, one module each, and what they share: the signed-in context, role and
//! CSRF checks, error pages, times in Jakarta.

pub mod actions;
pub mod audit_page;
pub mod failed;
pub mod kesiapan;
pub mod login;
pub mod marks;
pub mod overview;
pub mod pegawai;
pub mod rekon;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use ehrm_sync_domain::record::Millis;

use crate::i18n::Lang;
use crate::layout;
use crate::session::{self, LANG_COOKIE, SESSION_COOKIE};
use crate::users::Role;
use crate::{ClientAddr, Console};

/// A signed-in request: language, user, role (as configured now) and the session's CSRF token.
pub struct Ctx {
    pub lang: Lang,
    pub user: String,
    pub role: Role,
    pub csrf: String,
    pub address: String,
}

impl Ctx {
    pub fn is_operator(&self) -> bool {
        self.role == Role::Operator
    }

    /// 403 unless an operator (the page keeps its navigation: the viewer carries on).
    pub fn require_operator(&self) -> Result<(), Response> {
        if self.is_operator() {
            return Ok(());
        }
        let l = self.lang;
        let body = html! {
            p.error role="alert" { (l.t("Tindakan ini hanya untuk operator.", "This action is for operators only.")) }
        };
        let mut page = layout::page(self, l.t("Tidak diizinkan", "Forbidden"), "", body);
        *page.status_mut() = StatusCode::FORBIDDEN;
        Err(page)
    }

    /// 403 unless the form carries the session's CSRF token.
    pub fn check_csrf(&self, given: &str) -> Result<(), Response> {
        if session::csrf_matches(&self.csrf, given) {
            return Ok(());
        }
        let l = self.lang;
        Err(layout::bare(
            l,
            StatusCode::FORBIDDEN,
            l.t("Formulir kedaluwarsa", "Form expired"),
            html! { p { (l.t("Muat ulang halaman lalu coba lagi.", "Reload the page and try again.")) } },
        ))
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
pub async fn ctx(
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
            .map_err(|e| unavailable(lang, &e))?,
        None => None,
    };
    // A user removed from the file loses access at once; a changed role applies at once.
    let Some((session, user)) =
        session.and_then(|s| console.users.get(&s.user).cloned().map(|u| (s, u)))
    else {
        return Err(Redirect::to("/console/login").into_response());
    };
    Ok(Ctx {
        lang,
        user: user.name,
        role: user.role,
        csrf: session.csrf,
        address: address_of(addr),
    })
}

/// 503 with the reason (the store cannot be read).
pub fn unavailable(lang: Lang, error: &dyn std::fmt::Display) -> Response {
    tracing::warn!(error = %error, "console: store unavailable");
    layout::bare(
        lang,
        StatusCode::SERVICE_UNAVAILABLE,
        lang.t("Penyimpanan tidak dapat dibaca", "The store cannot be read"),
        html! { p.message { (error.to_string()) } p { (lang.t("Coba lagi sebentar lagi.", "Try again shortly.")) } },
    )
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

/// A filter's choices: the code is the value (and the query string's), the label is in the
/// page's language.
pub fn code_select(l: Lang, name: &str, chosen: &str, codes: &[&str]) -> Markup {
    html! {
        select name=(name) id={ "f-" (name) } {
            option value="" selected[chosen.is_empty()] { (l.t("semua", "all")) }
            @for code in codes { option value=(code) selected[chosen == *code] { (l.finding_code(code)) } }
        }
    }
}

/// `2026-12-01 17:56 WIB`.
pub fn when(ms: Millis) -> String {
    let text = ehrm_sync_core::clock::format_ms(ms);
    match (text.get(..10), text.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t} WIB"),
        _ => text,
    }
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

/// Unwraps a page step: `Ok` value or the ready answer.
#[macro_export]
macro_rules! try_page {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(response) => return response,
        }
    };
}
