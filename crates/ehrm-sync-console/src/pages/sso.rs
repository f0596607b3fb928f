//! Tindakan → Token SSO BKN (`docs/bkn-sso.md`): how ehrm-sync logs in to BKN now, until when,
//! for which account, and why work waits if it does; operators paste an access or refresh
//! token (shown once as what it is — kind, expiry, account — never as text again) or ask for
//! the password login to be tried again. Every change is audited. The banner every page
//! carries from two hours before the login ends is here too.

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use maud::{Markup, html};
use serde::Deserialize;

use ehrm_sync_core::sso::{PasteError, SsoEvent};
use ehrm_sync_domain::record::Millis;
use ehrm_sync_domain::sso::{
    SsoKind, SsoStatus, Standing, WaitReason, duration_words_en, duration_words_id,
};

use super::{Ctx, InPage, Page, when};
use crate::audit::{self, AuditEntry};
use crate::i18n::Lang;
use crate::label::Label;
use crate::{Console, layout};

const PATH: &str = "/console/tindakan/token-sso";
/// How many changes the page lists.
const HISTORY: usize = 20;

/// "berlaku sampai 2026-12-03 14:05 WIB, 1 jam 20 menit lagi".
pub fn until_words(l: Lang, ends_at: Millis, now: Millis) -> String {
    match l {
        Lang::Id => format!(
            "berlaku sampai {}, {} lagi",
            when(ends_at),
            duration_words_id(ends_at - now)
        ),
        Lang::En => format!(
            "valid until {}, {} left",
            when(ends_at),
            duration_words_en(ends_at - now)
        ),
    }
}

/// The warning on every page: work waits for a token, or the login ends within two hours.
pub fn banner(c: &Ctx) -> Markup {
    let l = c.lang;
    let link = html! {
        @if c.is_operator() {
            a href=(PATH) { (l.t("Tempel token", "Paste a token")) }
        }
    };
    match c.sso {
        Some(Standing::Waiting { reason }) => html! {
            div.banner.bad id="sso-banner" role="alert" {
                strong { (l.t("Pengiriman ke BKN menunggu token SSO.", "BKN work waits for an SSO token.")) }
                " " (reason.label(l)) " "
                (l.t("Tidak ada data yang gagal selama menunggu.", "Nothing fails while it waits."))
                (link)
            }
        },
        Some(Standing::Ending { ends_at }) => html! {
            div.banner.warn id="sso-banner" role="status" {
                strong { (l.t("Token SSO BKN segera berakhir: ", "The BKN SSO token ends soon: ")) }
                (until_words(l, ends_at, c.now)) "."
                (link)
            }
        },
        _ => html! {},
    }
}

/// The login's facts, for this page and the overview.
pub fn facts(l: Lang, status: &SsoStatus, standing: Standing, now: Millis) -> Markup {
    let state = match standing {
        Standing::Waiting { reason } => html! { span.bad { (reason.label(l)) } },
        Standing::Ending { ends_at } => html! { span.warn { (until_words(l, ends_at, now)) } },
        Standing::Usable { ends_at: Some(at) } => html! { span.ok { (until_words(l, at, now)) } },
        Standing::Usable { ends_at: None } => html! {
            span.ok { (l.t("berlaku, diperbarui otomatis", "valid, renews itself")) }
        },
        Standing::Unknown => html! {
            span.muted { (l.t("belum ada panggilan ke BKN sejak mulai", "no call to BKN since the start")) }
        },
    };
    html! {
        dl.facts id="sso-facts" {
            dt { (l.t("Keadaan", "State")) } dd id="sso-state" { (state) }
            dt { (l.t("Cara masuk", "Login")) }
            dd id="sso-kind" { (status.kind.map_or("—", |k| k.label(l))) }
            dt { (l.t("Akun (NIP)", "Account (NIP)")) }
            dd id="sso-subject" { (status.subject_nip.as_deref().unwrap_or("—")) }
            dt { (l.t("Access token berakhir", "Access token expires")) }
            dd { (status.access_expires_at.map_or_else(|| "—".to_string(), when)) }
            @if let Some(at) = status.session_expires_at {
                @if status.session_capped {
                    dt { (l.t("Sesi SSO berakhir", "SSO session ends")) }
                    dd { (when(at)) " " span.muted { (l.t("(tidak dapat diperpanjang)", "(cannot be extended)")) } }
                } @else {
                    dt { (l.t("Refresh token berlaku sampai", "Refresh token valid until")) }
                    dd { (when(at)) " " span.muted { (l.t("(diperpanjang setiap diperbarui)", "(extended at each renewal)")) } }
                }
            }
            dt { (l.t("Token APIM berakhir", "APIM token expires")) }
            dd { (status.apim_expires_at.map_or_else(|| "—".to_string(), when)) }
            @if let Some(w) = &status.waiting {
                @if let Some(detail) = &w.detail {
                    dt { (l.t("Pesan SSO BKN", "BKN SSO's message")) }
                    dd { span.message { (detail) } }
                }
                dt { (l.t("Menunggu sejak", "Waiting since")) } dd { (when(w.since)) }
            }
            @if let (Some(by), Some(at)) = (&status.set_by, status.set_at) {
                dt { (l.t("Ditempel oleh", "Pasted by")) } dd { (by) " · " (when(at)) }
            }
        }
    }
}

pub async fn page(State(console): State<Arc<Console>>, c: Ctx) -> Page {
    c.require_operator()?;
    show(&console, &c, html! {}).await
}

async fn show(console: &Console, c: &Ctx, outcome: Markup) -> Page {
    let l = c.lang;
    let desk = &console.deps.sso;
    let (status, standing) = desk.standing().await.in_page(l)?;
    let history = desk.history(HISTORY).await.in_page(l)?;
    let password_refused = status
        .waiting
        .as_ref()
        .is_some_and(|w| w.reason.refuses_password());
    let body = html! {
        (outcome)
        (facts(l, &status, standing, c.now))
        h2 { (l.t("Tempel token", "Paste a token")) }
        p.muted { (l.t(
            "Masuk ke SIASN di peramban, salin access token atau refresh token SSO, lalu tempel di sini. Refresh token diperbarui otomatis sampai sesinya berakhir; access token berlaku sampai kedaluwarsa. Token disimpan terenkripsi dan tidak pernah ditampilkan lagi.",
            "Log in to SIASN in the browser, copy the SSO access or refresh token, and paste it here. A refresh token renews itself until its session ends; an access token lasts until it expires. The token is kept encrypted and never shown again.")) }
        form.stack method="post" action=(PATH) autocomplete="off" {
            input type="hidden" name="csrf" value=(c.csrf);
            label { (l.t("Token", "Token"))
                textarea.token name="token" id="sso-token" spellcheck="false" autocomplete="off" required {}
            }
            div { button type="submit" id="sso-save" { (l.t("Simpan token", "Save the token")) } }
        }
        @if password_refused {
            h2 { (l.t("Masuk dengan kata sandi lagi", "Password login again")) }
            p.muted { (l.t("Setelah akun diperbaiki (kata sandi, OTP, buka kunci), minta ehrm-sync mencoba sekali lagi.",
                           "Once the account is fixed (password, OTP, unlocked), ask ehrm-sync to try once more.")) }
            form method="post" action={ (PATH) "/coba-lagi" } {
                input type="hidden" name="csrf" value=(c.csrf);
                button type="submit" id="sso-retry" { (l.t("Coba masuk lagi", "Try logging in again")) }
            }
        }
        h2 { (l.t("Perubahan terakhir", "Recent changes")) }
        (history_table(l, &history))
    };
    Ok(layout::page(
        c,
        l.t("Token SSO BKN", "BKN SSO token"),
        PATH,
        body,
    ))
}

fn action_words(l: Lang, e: &SsoEvent) -> &'static str {
    match e.action.as_str() {
        "pasted" => l.t("token ditempel", "token pasted"),
        "retry_login" => l.t(
            "masuk dengan kata sandi diminta lagi",
            "password login asked again",
        ),
        "waiting" => l.t("mulai menunggu token", "started waiting for a token"),
        "resumed" => l.t("berjalan lagi", "resumed"),
        _ => l.t("perubahan lain", "other change"),
    }
}

fn history_table(l: Lang, history: &[(Millis, SsoEvent)]) -> Markup {
    html! {
        @if history.is_empty() {
            p.muted { (l.t("Belum ada.", "None yet.")) }
        } @else {
            div.table-scroll { table id="sso-history" {
                thead { tr {
                    th { (l.t("Waktu", "Time")) } th { (l.t("Apa", "What")) } th { (l.t("Oleh", "By")) }
                    th { (l.t("Cara masuk", "Login")) } th { (l.t("Berakhir", "Ends")) } th { (l.t("Alasan", "Reason")) }
                } }
                tbody {
                    @for (at, e) in history {
                        tr {
                            td { (when(*at)) }
                            td { (action_words(l, e)) }
                            td { (e.who) }
                            td { (e.kind.map_or("—", |k| k.label(l))) }
                            td { (e.expires_at.map_or_else(|| "—".to_string(), when)) }
                            td { (e.reason.map_or("—", |r: WaitReason| r.label(l))) }
                        }
                    }
                }
            } }
        }
    }
}

#[derive(Deserialize)]
pub struct PasteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
}

pub async fn paste(State(console): State<Arc<Console>>, c: Ctx, Form(f): Form<PasteForm>) -> Page {
    c.require_operator()?;
    c.check_csrf(&f.csrf)?;
    let l = c.lang;
    let d = &console.deps;
    let outcome = match d.sso.paste(&f.token, &c.user).await {
        Ok(p) => {
            let what = format!(
                "BKN SSO {}, expires {}",
                p.kind.as_str(),
                p.expires_at.map_or_else(|| "unknown".to_string(), when)
            );
            let entry = AuditEntry {
                who: c.user.clone(),
                address: c.address.clone(),
                action: "sso_token".into(),
                what,
                count: None,
                people: Vec::new(),
            };
            audit::record_or_log(d.controls.as_ref(), d.clock.now_ms(), entry).await;
            html! {
                div.notice id="sso-saved" role="status" {
                    p {
                        strong { (l.t("Token disimpan: ", "Token saved: ")) } (p.kind.label(l))
                        @if let Some(nip) = &p.subject_nip { ", " (l.t("akun ", "account ")) (nip) }
                        ", "
                        @match p.expires_at {
                            Some(_) if p.kind == SsoKind::RefreshToken => {
                                (l.t("diperbarui otomatis sampai sesi SSO-nya berakhir", "renewed until its SSO session ends"))
                            }
                            Some(at) => { (until_words(l, at, c.now)) }
                            None => { (l.t("masa berlakunya tidak tertulis di token", "the token does not say when it expires")) }
                        }
                        ". " (l.t("Pengiriman ke BKN berjalan lagi dalam semenit.", "BKN work resumes within a minute."))
                    }
                }
            }
        }
        Err(e) => {
            let words = match l {
                Lang::Id => e.words_id(),
                Lang::En => e.to_string(),
            };
            if !matches!(
                e,
                PasteError::Empty | PasteError::NotAToken | PasteError::Expired(_)
            ) {
                tracing::warn!(error = %e, "console: a pasted SSO token was not kept");
            }
            html! { div.error id="sso-refused" role="alert" { p { (words) } } }
        }
    };
    // A fresh context: the banner reflects the paste.
    let mut c = c;
    c.sso = d.sso.standing().await.ok().map(|(_, s)| s);
    show(&console, &c, outcome).await
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn retry_login(
    State(console): State<Arc<Console>>,
    c: Ctx,
    Form(f): Form<CsrfForm>,
) -> Page {
    c.require_operator()?;
    c.check_csrf(&f.csrf)?;
    let l = c.lang;
    let d = &console.deps;
    d.sso.retry_login(&c.user).await.in_page(l)?;
    let entry = AuditEntry {
        who: c.user.clone(),
        address: c.address.clone(),
        action: "sso_retry_login".into(),
        what: "BKN SSO password login".into(),
        count: None,
        people: Vec::new(),
    };
    audit::record_or_log(d.controls.as_ref(), d.clock.now_ms(), entry).await;
    let mut c = c;
    c.sso = d.sso.standing().await.ok().map(|(_, s)| s);
    let outcome = html! { div.notice id="sso-retry-asked" role="status" { p {
        (l.t("ehrm-sync akan mencoba masuk sekali lagi pada panggilan BKN berikutnya.", "ehrm-sync tries to log in once more with the next BKN call."))
    } } };
    show(&console, &c, outcome).await
}
