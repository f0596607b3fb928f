//! Audit: every login, logout, action and access to personal data, newest first; with a NIP,
//! every entry that named that person or a download that held them — "who saw or downloaded
//! whose data, when", the first question of a breach notice (`docs/privacy.md`).

use std::sync::Arc;

use axum::extract::{Query, State};
use maud::html;
use serde::Deserialize;

use ehrm_sync_domain::nip::Nip;

use super::{Ctx, InPage, Page, when};
use crate::audit::{AuditEntry, SHOWN, recent};
use crate::i18n::Lang;
use crate::{Console, layout};

/// Entries searched for one NIP (the newest).
const SEARCHED: usize = 200_000;

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    nip: Option<String>,
}

/// An entry's action in words (the code stays in `data-code`).
fn action_words(l: Lang, code: &str) -> &'static str {
    match code {
        "login" => l.t("masuk", "signed in"),
        "login_failed" => l.t(
            "gagal masuk (kata sandi salah)",
            "sign-in failed (wrong password)",
        ),
        "login_throttled" => l.t(
            "masuk ditahan (terlalu banyak percobaan)",
            "sign-in held (too many tries)",
        ),
        "logout" => l.t("keluar", "signed out"),
        "view_employee" => l.t("melihat halaman pegawai", "viewed an employee's page"),
        "search_nip" => l.t("mencari temuan menurut NIP", "searched findings by NIP"),
        "view_audit" => l.t(
            "melihat siapa mengakses data seorang pegawai",
            "looked up who accessed a person's data",
        ),
        "download" => l.t("mengunduh", "downloaded"),
        "replay" => l.t("mengirim ulang rekaman gagal", "sent failed records again"),
        "redrive" => l.t(
            "mengembalikan pesan yang disisihkan",
            "moved set-aside messages back",
        ),
        "reconcile" => l.t("menjalankan rekonsiliasi", "ran a reconciliation"),
        "readiness" => l.t("menjalankan pemeriksaan kesiapan", "ran a readiness check"),
        "mark" => l.t(
            "menandai tindak lanjut temuan",
            "marked a finding's follow-up",
        ),
        "sso_token" => l.t("memasang token SSO BKN", "set the BKN SSO token"),
        "sso_retry_login" => l.t("mencoba lagi login SSO BKN", "retried the BKN SSO login"),
        "subject_report" => l.t(
            "membuat laporan data pribadi",
            "made a personal data report",
        ),
        "forget" => l.t("menghapus data pribadi", "erased personal data"),
        "forget_refused" => l.t(
            "penghapusan data pribadi ditolak",
            "personal data erasure refused",
        ),
        _ => l.t("tindakan lain", "other action"),
    }
}

fn names(e: &AuditEntry, nip: &str) -> bool {
    e.what.contains(nip) || e.people.iter().any(|p| p == nip)
}

pub async fn page(
    State(console): State<Arc<Console>>,
    c: Ctx,
    Query(q): Query<AuditQuery>,
) -> Page {
    let l = c.lang;
    let raw = q.nip.unwrap_or_default();
    let wanted = match raw.trim() {
        "" => None,
        t => Some(Nip::parse(t).map_err(|e| c.bad(crate::ours::bad_nip(l, &e)))?),
    };
    let read = if wanted.is_some() { SEARCHED } else { SHOWN };
    let mut entries = recent(console.deps.controls.as_ref(), read)
        .await
        .in_page(l)?;
    if let Some(nip) = &wanted {
        entries.retain(|(_, e)| names(e, nip.as_str()));
        // Looking up whose data someone saw is itself an access to that person's data.
        super::audit_access(&console, &c, "view_audit", entries.len()).await;
    }
    entries.truncate(SHOWN);
    let body = html! {
        form.filters method="get" action="/console/audit" {
            label { (l.t("Siapa yang melihat atau mengunduh data NIP", "Who saw or downloaded the data of NIP"))
                input name="nip" id="audit-nip" value=(raw.trim()) inputmode="numeric" pattern="[0-9 ]{18,20}"; }
            button type="submit" id="audit-search" { (l.t("Cari", "Search")) }
        }
        table id="audit" {
            tr { th { (l.t("Waktu", "Time")) } th { (l.t("Siapa", "Who")) } th { (l.t("Dari", "From")) } th { (l.t("Tindakan", "Action")) } th { (l.t("Apa", "What")) } th.num { (l.t("Jumlah", "Count")) } th.num { (l.t("Orang dalam unduhan", "People in the download")) } }
            @for (at, e) in &entries {
                tr { td { (when(*at)) } td { (e.who) } td { (e.address) } td data-code=(e.action) { (action_words(l, &e.action)) } td { (crate::audit::what_words(l, &e.what)) } td.num { (e.count.map_or(String::new(), |n| n.to_string())) }
                    td.num { @if !e.people.is_empty() { (e.people.len()) } } }
            }
        }
        @if entries.is_empty() { p.notice { (l.t("Tidak ada entri.", "No entries.")) } }
        @if entries.len() == SHOWN { p.muted { (l.t("Hanya 500 entri terbaru yang ditampilkan.", "Only the newest 500 entries are shown.")) } }
    };
    Ok(layout::page(&c, "Audit", "/console/audit", body))
}
