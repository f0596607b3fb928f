//! Pegawai → *Laporan data pribadi* and *Hapus data pribadi* (operators only; UU 27/2022
//! Art. 32, 43–44): one person's report as Excel or JSON, and their erasure — refused, with the
//! reason, while their records are on their way or an open run covers them. Every request and
//! its outcome is audited.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use maud::{Markup, html};
use serde::Deserialize;

use ehrm_sync_core::subject::{SubjectDeps, SubjectReport, forget, report, subject_tables};
use ehrm_sync_domain::nip::Nip;

use super::{Ctx, InPage, Page, attachment};
use crate::audit::{self, AuditEntry};
use crate::i18n::Lang;
use crate::{Console, layout};

fn deps(console: &Console) -> SubjectDeps {
    let d = &console.deps;
    SubjectDeps {
        store: d.store.clone(),
        history: d.history.clone(),
        pns: d.pns.clone(),
        reconcile: d.reconcile.clone(),
        controls: d.controls.clone(),
        marks: d.marks.clone(),
        clock: d.clock.clone(),
    }
}

async fn audit(console: &Console, c: &Ctx, action: &str, nip: &Nip, count: u64) {
    let entry = AuditEntry {
        who: c.user.clone(),
        address: c.address.clone(),
        action: action.into(),
        what: format!("nip {nip}"),
        count: Some(count),
        people: Vec::new(),
    };
    audit::record_or_log(console.deps.controls.as_ref(), c.now, entry).await;
}

fn parse(c: &Ctx, raw: &str) -> Result<Nip, super::PageError> {
    Nip::parse(raw.trim()).map_err(|e| c.bad(crate::ours::bad_nip(c.lang, &e)))
}

/// The person's report, audited before it is read.
async fn read(console: &Console, c: &Ctx, raw: &str) -> Result<SubjectReport, super::PageError> {
    c.require_operator()?;
    let nip = parse(c, raw)?;
    audit(console, c, "subject_report", &nip, 0).await;
    report(&deps(console), &nip).await.in_page(c.lang)
}

pub async fn xlsx(State(console): State<Arc<Console>>, c: Ctx, Path(nip): Path<String>) -> Page {
    let report = read(&console, &c, &nip).await?;
    let bytes = console
        .deps
        .workbooks
        .workbook(&subject_tables(&report))
        .map_err(|e| c.bad(e.to_string()))?;
    let name = format!("data-pribadi-{}.xlsx", report.nip);
    Ok(attachment(ehrm_sync_core::ports::XLSX_TYPE, &name, bytes))
}

pub async fn json(State(console): State<Arc<Console>>, c: Ctx, Path(nip): Path<String>) -> Page {
    let report = read(&console, &c, &nip).await?;
    let bytes = serde_json::to_vec_pretty(&report).map_err(|e| c.bad(e.to_string()))?;
    let name = format!("data-pribadi-{}.json", report.nip);
    Ok(attachment("application/json", &name, bytes))
}

#[derive(Deserialize)]
pub struct ForgetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: Option<String>,
}

pub async fn erase(
    State(console): State<Arc<Console>>,
    c: Ctx,
    Path(raw): Path<String>,
    Form(f): Form<ForgetForm>,
) -> Page {
    c.require_operator()?;
    c.check_csrf(&f.csrf)?;
    let l = c.lang;
    let nip = parse(&c, &raw)?;
    let outcome = if f.confirm.is_none() {
        html! { p.error role="alert" id="forget-refused" { (l.t("Centang konfirmasi dulu: penghapusan tidak dapat dibatalkan.", "Tick the confirmation first: an erasure cannot be undone.")) } }
    } else {
        match forget(&deps(&console), &nip).await.in_page(l)? {
            Err(refusal) => {
                audit(&console, &c, "forget_refused", &nip, 0).await;
                html! { p.error role="alert" id="forget-refused" { (if l == Lang::Id { refusal.indonesian() } else { refusal.to_string() }) } }
            }
            Ok(done) => {
                let total = done.total();
                audit(&console, &c, "forget", &nip, total).await;
                html! {
                    div.notice id="forget-done" {
                        p { (l.t("Data pribadi dihapus: ", "Personal data erased: ")) strong { (total) } (l.t(" butir.", " items.")) }
                        p { (l.t("Yang tersisa hanya kunci rekaman, versi, status dan ID BKN (mencegah pengiriman ganda), serta catatan audit.", "What is left are record keys, versions, statuses and BKN ids (they prevent a resend), and the audit.")) }
                    }
                }
            }
        }
    };
    let body = html! {
        h2 { "NIP " (nip.as_str()) }
        (outcome)
        (section(&c, &nip))
        p { a href={ "/console/pegawai?nip=" (nip.as_str()) } { (l.t("Kembali ke halaman pegawai", "Back to the employee's page")) } }
    };
    Ok(layout::page(
        &c,
        l.t("Data pribadi", "Personal data"),
        "/console/pegawai",
        body,
    ))
}

/// The section on an employee's page (operators): the report's downloads and the erasure form.
pub fn section(c: &Ctx, nip: &Nip) -> Markup {
    let l = c.lang;
    if !c.is_operator() {
        return html! {};
    }
    let base = format!("/console/pegawai/{}", nip.as_str());
    html! {
        section.personal-data id="data-pribadi" {
            h2 { (l.t("Data pribadi (UU 27/2022)", "Personal data (UU 27/2022)")) }
            p { (l.t("Semua yang disimpan ehrm-sync tentang pegawai ini dan riwayat pemrosesannya, untuk permintaan pegawai (Pasal 32):", "Everything ehrm-sync holds about this employee and its processing history, for the employee's request (Art. 32):")) }
            p {
                a.button id="subject-xlsx" href={ (base) "/data-pribadi.xlsx" } { (l.t("Laporan data pribadi (Excel)", "Personal data report (Excel)")) }
                " "
                a id="subject-json" href={ (base) "/data-pribadi.json" } { "JSON" }
            }
            form method="post" action={ (base) "/hapus" } id="forget-form" {
                input type="hidden" name="csrf" value=(c.csrf);
                label { input type="checkbox" name="confirm" value="1" required;
                    " " (l.t("Saya mengerti: data dan riwayat pegawai ini dihapus (Pasal 43–44); hanya kunci, versi dan ID BKN yang tersisa. Tidak dapat dibatalkan.", "I understand: this employee's data and history are erased (Art. 43–44); only keys, versions and BKN ids stay. This cannot be undone.")) }
                button type="submit" id="forget" { (l.t("Hapus data pribadi", "Erase personal data")) }
            }
        }
    }
}
