//! Pegawai: one employee by full NIP — every record with its status, versions, BKN id, attempts,
//! next attempt, last error (BKN's message verbatim) and the attempt history.

use std::sync::Arc;

use axum::extract::{Query, State};
use maud::{Markup, html};
use serde::Deserialize;

use ehrm_sync_core::people::Directory;
use ehrm_sync_core::ports::AttemptEntry;
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::record::{SyncRecord, SyncStatus};

use super::{Ctx, InPage, Page, when};
use crate::i18n::Lang;
use crate::label::{self, Label};
use crate::{Console, describe, layout};

#[derive(Deserialize, Default)]
pub struct Search {
    nip: Option<String>,
}

pub async fn page(State(console): State<Arc<Console>>, c: Ctx, Query(q): Query<Search>) -> Page {
    let l = c.lang;
    let raw = q.nip.unwrap_or_default();
    let raw = raw.trim();
    let result = if raw.is_empty() {
        html! {}
    } else {
        match Nip::parse(raw) {
            Err(e) => {
                html! { p.error role="alert" { (crate::ours::bad_nip(l, &e)) } }
            }
            Ok(nip) => {
                let found = records_with_attempts(&console, &nip).await.in_page(l)?;
                // Whose data was seen, by whom (the NIP is what this entry must answer for).
                super::audit_access(&console, &c, "view_employee", found.len()).await;
                let people = console.people().await.in_page(l)?;
                html! { (heading(&people, &nip)) (employee(l, &found)) (super::data_pribadi::section(&c, &nip)) }
            }
        }
    };
    let body = html! {
        form.filters method="get" action="/console/pegawai" {
            label { (l.t("NIP lengkap (18 digit)", "Full NIP (18 digits)"))
                input name="nip" id="nip" value=(raw) inputmode="numeric" pattern="[0-9 ]{18,20}" required; }
            button type="submit" id="search" { (l.t("Cari", "Search")) }
        }
        (result)
    };
    Ok(layout::page(
        &c,
        l.t("Pegawai", "Employee"),
        "/console/pegawai",
        body,
    ))
}

async fn records_with_attempts(
    console: &Console,
    nip: &Nip,
) -> Result<Vec<(SyncRecord, Vec<AttemptEntry>)>, ehrm_sync_core::ports::StoreError> {
    let store = &console.deps.store;
    let mut out = Vec::new();
    for rec in store.records_for_nip(nip).await? {
        let attempts = store.attempts(&rec.key).await?;
        out.push((rec, attempts));
    }
    Ok(out)
}

/// The person's name and unit from eHRM's list, then the NIP.
fn heading(people: &Directory, nip: &Nip) -> Markup {
    html! {
        h2 id="employee" {
            @if let Some(name) = people.name(nip.as_str()) { (name) " · " }
            "NIP " span.nip { (nip.as_str()) }
        }
        @if let Some(unit) = people.unit_of(nip.as_str()) { p.muted data-code=(unit) { (people.unit_label(unit)) } }
    }
}

fn employee(l: Lang, found: &[(SyncRecord, Vec<AttemptEntry>)]) -> Markup {
    html! {
        @if found.is_empty() {
            p.notice { (l.t("Belum ada riwayat kinerja atau jabatan dari eHRM untuk NIP ini.", "No performance or position record from eHRM for this NIP yet.")) }
        }
        @for (rec, attempts) in found {
            section.record id={ "record-" (rec.key.to_string().replace(['/', '.'], "-")) } {
                h2 data-code=(rec.key.to_string()) { (describe::record(l, rec)) }
                table {
                    @if let Some(doc) = describe::document(l, rec) {
                        tr { th { (l.t("Dokumen SK", "SK document")) } td { (doc) } }
                    }
                    tr { th { "Status" } td class=(status_class(rec.status)) data-code=(rec.status.code()) { (rec.status.label(l)) } }
                    tr { th { (l.t("Versi eHRM / di BKN", "eHRM version / at BKN")) } td { (rec.received_version) " / " (rec.delivered_version.map_or("—".into(), |v| v.to_string())) } }
                    tr { th { (l.t("ID BKN", "BKN id")) } td { (rec.bkn_id.as_deref().unwrap_or("—")) } }
                    tr { th { (l.t("Dicoba ulang (gangguan sementara)", "Retries (transient failures)")) } td { (rec.attempts) } }
                    tr { th { (l.t("Percobaan berikutnya", "Next attempt")) } td { (rec.next_attempt_at.map_or("—".into(), when)) } }
                    tr { th { (l.t("Pesan terakhir (dari BKN, apa adanya)", "Last error (BKN's message, verbatim)")) }
                        td.message.last-error { (crate::ours::shown(l, rec.last_error.as_deref().unwrap_or("—"))) } }
                    tr { th { (l.t("Diperbarui", "Updated")) } td { (when(rec.updated_at)) } }
                }
                @if !attempts.is_empty() {
                    details open[attempts.len() <= 10] {
                        summary { (l.t("Riwayat percobaan", "Attempt history")) " (" (attempts.len()) ")" }
                        table {
                            tr { th { (l.t("Waktu", "Time")) } th { (l.t("Versi", "Version")) } th { (l.t("Operasi", "Operation")) } th { (l.t("Hasil", "Outcome")) } th { "HTTP" } th { (l.t("Pesan BKN", "BKN's message")) } th.num { "ms" } }
                            @for a in attempts.iter().rev() {
                                tr { td { (when(a.at)) } td { (a.version) } td data-code=(a.operation.to_string()) { (label::operations(l, &a.operation)) } (label::cell(l, a.outcome))
                                    td { (a.http_status.map_or(String::new(), |s| s.to_string())) } td.message { (crate::ours::shown(l, a.message.as_deref().unwrap_or(""))) } td.num { (a.duration_ms) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn status_class(status: SyncStatus) -> &'static str {
    match status {
        SyncStatus::Failed | SyncStatus::Dead | SyncStatus::NeedsAction => "bad",
        SyncStatus::Retrying | SyncStatus::Pending | SyncStatus::Sending => "warn",
        SyncStatus::Synced => "ok",
    }
}
