//! Login (throttled, `crate::throttle`; audited), logout, and the language switch.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::{Ctx, InPage, Page, address_of, cookie_header, lang_of, unavailable};
use crate::audit::{self, AuditEntry};
use crate::i18n::Lang;
use crate::layout;
use crate::session::{self, LANG_COOKIE, LOGIN_COOKIE, SESSION_COOKIE};
use crate::throttle::{self, Admission};
use crate::{ClientAddr, Console};

fn login_page(console: &Console, lang: Lang, status: StatusCode, error: Option<&str>) -> Response {
    let token = session::random_token();
    let l = lang;
    let mut response = layout::bare(
        l,
        status,
        l.t(
            "Masuk ke konsol ehrm-sync",
            "Sign in to the ehrm-sync console",
        ),
        html! {
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form.stack method="post" action="/console/login" {
                input type="hidden" name="csrf" value=(token);
                label { (l.t("Nama pengguna", "User name")) input name="user" autocomplete="username" required; }
                label { (l.t("Kata sandi", "Password")) input type="password" name="password" autocomplete="current-password" required; }
                button type="submit" id="login" { (l.t("Masuk", "Sign in")) }
            }
            p.muted {
                a href="/console/lang/id?back=/console/login" hreflang="id" { "Bahasa Indonesia" } " · "
                a href="/console/lang/en?back=/console/login" hreflang="en" { "English" }
            }
        },
    );
    let cookie = session::set_cookie(LOGIN_COOKIE, &token, console.settings.secure_cookies, None);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

pub async fn form(State(console): State<Arc<Console>>, headers: HeaderMap) -> Response {
    login_page(&console, lang_of(&headers), StatusCode::OK, None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    user: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

pub async fn submit(
    State(console): State<Arc<Console>>,
    addr: Option<axum::Extension<ClientAddr>>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let l = lang_of(&headers);
    let controls = console.deps.controls.as_ref();
    let now = console.deps.clock.now_ms();
    let address = address_of(addr.as_deref());
    let expected = session::cookie(cookie_header(&headers), LOGIN_COOKIE).unwrap_or("");
    if !session::csrf_matches(expected, &f.csrf) {
        let msg = l.t(
            "Formulir kedaluwarsa; silakan coba lagi.",
            "The form expired; please try again.",
        );
        return login_page(&console, l, StatusCode::FORBIDDEN, Some(msg));
    }
    let user = f.user.trim();
    match throttle::admit(controls, user, &address, now).await {
        Ok(Admission::Refused { until, crossed }) => {
            let minutes = ((until - now) / 60_000 + 1).max(1);
            // Once per counter and window: a flood of refused sign-ins cannot bury real entries.
            if crossed {
                audit::record_or_log(controls, now, entry(user, &address, "login_throttled")).await;
            }
            let msg = match l {
                Lang::Id => {
                    format!("Terlalu banyak percobaan masuk. Coba lagi dalam {minutes} menit.")
                }
                Lang::En => format!("Too many sign-in attempts. Try again in {minutes} minutes."),
            };
            return login_page(&console, l, StatusCode::TOO_MANY_REQUESTS, Some(&msg));
        }
        Ok(Admission::Check) => {}
        Err(e) => return unavailable(l, &e),
    }
    let users = console.users.clone();
    let (name, password) = (user.to_string(), f.password);
    // Argon2 takes tens of milliseconds of CPU: off the async workers.
    let found = tokio::task::spawn_blocking(move || users.authenticate(&name, &password).cloned())
        .await
        .ok()
        .flatten();
    let Some(found) = found else {
        // The attempt was counted before the password was checked.
        audit::record_or_log(controls, now, entry(user, &address, "login_failed")).await;
        let msg = l.t(
            "Nama pengguna atau kata sandi salah.",
            "Wrong user name or password.",
        );
        return login_page(&console, l, StatusCode::UNAUTHORIZED, Some(msg));
    };
    let (token, _) = match session::open(controls, &found.name, found.role, now).await {
        Ok(s) => s,
        Err(e) => return unavailable(l, &e),
    };
    if let Err(e) = throttle::signed_in(controls, user, &address, now).await {
        tracing::warn!(error = %e, "the sign-in was not given back to the throttle");
    }
    audit::record_or_log(controls, now, entry(&found.name, &address, "login")).await;
    let secure = console.settings.secure_cookies;
    let mut response = Redirect::to("/console/").into_response();
    for cookie in [
        session::set_cookie(SESSION_COOKIE, &token, secure, None),
        session::set_cookie(LOGIN_COOKIE, "", secure, Some(0)),
    ] {
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

fn entry(who: &str, address: &str, action: &str) -> AuditEntry {
    AuditEntry {
        who: who.chars().take(64).collect(),
        address: address.to_string(),
        action: action.to_string(),
        what: String::new(),
        count: None,
        people: Vec::new(),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(console): State<Arc<Console>>,
    c: Ctx,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Page {
    c.check_csrf(&f.csrf)?;
    let controls = console.deps.controls.as_ref();
    let token = session::cookie(cookie_header(&headers), SESSION_COOKIE).unwrap_or("");
    let now = console.deps.clock.now_ms();
    if let Some(s) = session::load(controls, token, now).await.in_page(c.lang)? {
        session::revoke(controls, &s).await.in_page(c.lang)?;
    }
    audit::record_or_log(controls, now, entry(&c.user, &c.address, "logout")).await;
    let cookie = session::set_cookie(SESSION_COOKIE, "", console.settings.secure_cookies, Some(0));
    let mut response = Redirect::to("/console/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

#[derive(Deserialize)]
pub struct Back {
    back: Option<String>,
}

/// Sets the language cookie and goes back (only to a console page).
pub async fn switch_language(
    State(console): State<Arc<Console>>,
    Path(lang): Path<String>,
    Query(q): Query<Back>,
) -> Response {
    let value = if lang == "en" { "en" } else { "id" };
    let back = q
        .back
        .filter(|b| b.starts_with("/console/") && !b.starts_with("//") && !b.contains(['\r', '\n']))
        .unwrap_or_else(|| "/console/".into());
    let year = Some(365 * 24 * 3600);
    let cookie = session::set_cookie(LANG_COOKIE, value, console.settings.secure_cookies, year);
    let mut response = Redirect::to(&back).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}
