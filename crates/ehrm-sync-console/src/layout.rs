//! The page shell (navigation, language switch, user and logout), the security headers every
//! answer carries, and the stylesheet embedded in the binary.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, html};

use crate::i18n::Lang;
use crate::pages::Ctx;

const STYLESHEET: &str = include_str!("../assets/console.css");

/// `default-src 'self'`: no inline script, no third party; framing refused; no referrer.
pub async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    let set = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    for (name, value) in set {
        h.insert(name, HeaderValue::from_static(value));
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

pub async fn to_index() -> Redirect {
    Redirect::permanent("/console/")
}

/// The navigation: (path, Indonesian, English, operators only).
const NAV: [(&str, &str, &str, bool); 7] = [
    ("/console/", "Ringkasan", "Overview", false),
    ("/console/pegawai", "Pegawai", "Employee", false),
    (
        "/console/gagal",
        "Gagal & perlu tindakan",
        "Failed & needs action",
        false,
    ),
    ("/console/rekon", "Rekonsiliasi", "Reconciliation", false),
    (
        "/console/kesiapan",
        "Kesiapan KP & Pensiun",
        "Promotion & retirement readiness",
        false,
    ),
    ("/console/tindakan", "Tindakan", "Actions", true),
    ("/console/audit", "Audit", "Audit", false),
];

/// A full page for a signed-in user.
pub fn page(ctx: &Ctx, title: &str, current: &str, body: Markup) -> Response {
    let l = ctx.lang;
    let other = match l {
        Lang::Id => ("en", "English"),
        Lang::En => ("id", "Bahasa Indonesia"),
    };
    let markup = html! {
        (DOCTYPE)
        html lang=(l.code()) {
            (head(title))
            body {
                header.top {
                    span.brand { "ehrm-sync" }
                    nav {
                        @for (path, id, en, operators) in NAV {
                            @if !operators || ctx.is_operator() {
                                a href=(path) class=[(path == current).then_some("current")] { (l.t(id, en)) }
                            }
                        }
                    }
                    span.who {
                        a.lang href={ "/console/lang/" (other.0) "?back=" (current) } hreflang=(other.0) { (other.1) }
                        " · " (ctx.user) " (" (ctx.lang.t(ctx.role.words().0, ctx.role.words().1)) ") "
                        form.inline method="post" action="/console/logout" {
                            input type="hidden" name="csrf" value=(ctx.csrf);
                            button type="submit" id="logout" { (l.t("Keluar", "Log out")) }
                        }
                    }
                }
                (crate::pages::sso::banner(ctx))
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    };
    Html(markup.into_string()).into_response()
}

pub fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · ehrm-sync" }
            link rel="stylesheet" href="/console/static/console.css";
        }
    }
}

/// A page without navigation (login, errors before a session).
/// A page the console does not have, said in the reader's language, with the way back.
pub async fn not_found(headers: axum::http::HeaderMap) -> Response {
    let l = crate::pages::lang_of(&headers);
    bare(
        l,
        StatusCode::NOT_FOUND,
        l.t("Halaman tidak ditemukan", "Page not found"),
        html! {
            p { (l.t("Alamat ini tidak ada di konsol ehrm-sync.", "The ehrm-sync console has no page at this address.")) }
            p { a href="/console/" { (l.t("Kembali ke Ringkasan", "Back to the overview")) } }
        },
    )
}

pub fn bare(lang: Lang, status: StatusCode, title: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(title))
            body.bare { main { h1 { (title) } (body) } }
        }
    };
    (status, Html(markup.into_string())).into_response()
}

/// The units eHRM lists, for a unit box's suggestions (`list="unit-list"`): the code as the
/// value, the name as its text, so typing either finds it.
pub fn unit_list(people: &ehrm_sync_core::people::Directory) -> Markup {
    html! {
        datalist id="unit-list" {
            @for (code, unit) in people.units() { option value=(code) { (unit.name.as_deref().unwrap_or(code)) } }
        }
    }
}
