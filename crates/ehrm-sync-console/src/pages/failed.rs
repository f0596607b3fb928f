//! Gagal & perlu tindakan: failed, dead and needs_action records, filtered by status, record
//! type, tahun, time range and text in BKN's message; paged by key (last update time, record
//! key) so that a page is as fast at record 90,000 as at record 1; downloadable as Excel.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{Query, State};
use maud::{Markup, html};
use serde::Deserialize;

use ehrm_sync_core::clock::parse_time;
use ehrm_sync_core::people::Directory;
use ehrm_sync_core::ports::StoreError;
use ehrm_sync_core::tables::{RecordLine, records_tables};
use ehrm_sync_domain::record::{Millis, RecordType, SyncRecord, SyncStatus};

use super::pegawai::status_class;
use super::{Ctx, InPage, Page, PageError, when, xlsx};
use crate::findings::encode;
use crate::i18n::Lang;
use crate::label::{self, Label, parse_param};
use crate::{Console, describe, layout};

const PAGE: usize = 50;
const BATCH: usize = 500;
/// The most rows one download carries.
const DOWNLOAD_MAX: usize = 100_000;
const STATUSES: [SyncStatus; 3] = [
    SyncStatus::Failed,
    SyncStatus::Dead,
    SyncStatus::NeedsAction,
];

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Filter {
    status: String,
    jenis: String,
    tahun: String,
    from: String,
    to: String,
    q: String,
    /// eHRM's unit code: the unit and its sub-units.
    unit: String,
    /// `<updated_at>~<record key>` of the last row of the previous page.
    after: String,
}

impl Filter {
    fn query(&self) -> String {
        crate::findings::query_of(&[
            ("status", &self.status),
            ("jenis", &self.jenis),
            ("tahun", &self.tahun),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
            ("unit", &self.unit),
        ])
    }
}

/// The checked filter.
struct Selection {
    statuses: Vec<SyncStatus>,
    jenis: Option<RecordType>,
    tahun: Option<i32>,
    since: Millis,
    until: Millis,
    text: Option<String>,
    after: Option<(Millis, String)>,
    /// The unit and its sub-units, with the directory that says whose unit is whose.
    units: Option<(HashSet<String>, Arc<Directory>)>,
}

fn selection(
    f: &Filter,
    now: Millis,
    c: &Ctx,
    people: &Arc<Directory>,
) -> Result<Selection, PageError> {
    let l = c.lang;
    let units = match f.unit.trim() {
        "" => None,
        unit if people.knows_unit(unit) => {
            Some((people.unit_with_descendants(unit), people.clone()))
        }
        unit => return Err(c.bad(unknown_unit(l, unit, people.fetched_at == 0))),
    };
    let statuses = match parse_param::<SyncStatus>("status", &f.status).in_page(l)? {
        None => STATUSES.to_vec(),
        Some(s) if STATUSES.contains(&s) => vec![s],
        Some(s) => {
            return Err(c.bad(match l {
                Lang::Id => format!("Halaman ini tidak menampilkan status «{}».", s.label(l)),
                Lang::En => format!("This page does not list status «{}».", s.label(l)),
            }));
        }
    };
    let time = |v: &str, default: Millis| -> Result<Millis, PageError> {
        if v.trim().is_empty() {
            return Ok(default);
        }
        parse_time(v).ok_or_else(|| {
            c.bad(match l {
                Lang::Id => format!("«{v}» bukan tanggal (TTTT-BB-HH)."),
                Lang::En => format!("«{v}» is not a date (YYYY-MM-DD)."),
            })
        })
    };
    let tahun = match f.tahun.trim() {
        "" => None,
        t => Some(t.parse().map_err(|_| {
            c.bad(match l {
                Lang::Id => format!("«{t}» bukan tahun."),
                Lang::En => format!("«{t}» is not a year."),
            })
        })?),
    };
    let after = match f.after.split_once('~') {
        Some((at, key)) => Some((
            at.parse()
                .map_err(|_| c.bad(l.t("Halaman tidak dikenal.", "Unknown page.")))?,
            key.to_string(),
        )),
        None => None,
    };
    Ok(Selection {
        statuses,
        jenis: parse_param::<RecordType>("jenis", &f.jenis).in_page(l)?,
        tahun,
        since: time(&f.from, 0)?,
        // `to` as a date means the end of that day.
        until: time(&f.to, now)?.saturating_add(if f.to.trim().len() == 10 {
            86_399_999
        } else {
            0
        }),
        text: Some(f.q.trim().to_lowercase()).filter(|q| !q.is_empty()),
        after,
        units,
    })
}

fn unknown_unit(l: Lang, unit: &str, never_read: bool) -> String {
    match (l, never_read) {
        (Lang::Id, true) => "Daftar unit dan pegawai dari eHRM belum terbaca, jadi belum bisa menyaring per unit. Coba lagi nanti.".into(),
        (Lang::En, true) => "eHRM's units and employees have not been read yet, so records cannot be filtered by unit. Try again later.".into(),
        (Lang::Id, false) => format!("Unit «{unit}» tidak ada di daftar unit eHRM. Pilih unit dari daftar."),
        (Lang::En, false) => format!("Unit «{unit}» is not in eHRM's unit list. Choose a unit from the list."),
    }
}

fn matches(s: &Selection, r: &SyncRecord) -> bool {
    let key = r.key.to_string();
    s.after
        .as_ref()
        .is_none_or(|(at, k)| (r.updated_at, key.as_str()) > (*at, k.as_str()))
        && s.jenis.is_none_or(|j| r.key.record_type() == j)
        && s.tahun.is_none_or(|t| r.key.tahun() == Some(t))
        && s.units.as_ref().is_none_or(|(units, people)| {
            people
                .unit_of(r.key.nip().as_str())
                .is_some_and(|u| units.contains(u))
        })
        && s.text.as_deref().is_none_or(|q| {
            r.last_error
                .as_deref()
                .is_some_and(|m| m.to_lowercase().contains(q))
        })
}

/// Up to `limit` matching records in (updated_at, key) order, and whether there are more.
async fn collect(
    console: &Console,
    s: &Selection,
    limit: usize,
) -> Result<(Vec<SyncRecord>, bool), StoreError> {
    let store = &console.deps.store;
    let start = s
        .after
        .as_ref()
        .map_or(s.since, |(at, _)| (*at).max(s.since));
    let mut all = Vec::new();
    for status in &s.statuses {
        let mut since = start;
        let mut found = 0;
        loop {
            let batch = match &s.text {
                Some(q) => {
                    store
                        .records_by_status_with_error(*status, since, s.until, q, BATCH)
                        .await?
                }
                None => {
                    store
                        .records_by_status(*status, since, s.until, BATCH)
                        .await?
                }
            };
            let full = batch.len() == BATCH;
            let last_at = batch.last().map(|r| r.updated_at);
            for r in batch.into_iter().filter(|r| matches(s, r)) {
                found += 1;
                all.push(r);
            }
            match last_at {
                Some(at) if full && found <= limit => since = if at == since { at + 1 } else { at },
                _ => break,
            }
        }
    }
    all.sort_by_cached_key(|r| (r.updated_at, r.key.to_string()));
    all.dedup_by(|a, b| a.key == b.key);
    let more = all.len() > limit;
    all.truncate(limit);
    Ok((all, more))
}

pub async fn page(State(console): State<Arc<Console>>, c: Ctx, Query(f): Query<Filter>) -> Page {
    let l = c.lang;
    let people = console.people().await.in_page(l)?;
    let s = selection(&f, console.deps.clock.now_ms(), &c, &people)?;
    let (records, more) = collect(&console, &s, PAGE).await.in_page(l)?;
    let next = records
        .last()
        .filter(|_| more)
        .map(|r| format!("{}~{}", r.updated_at, r.key));
    let body = html! {
        (filters(l, &f, &people))
        p { a id="download-failed" href={ "/console/gagal.xlsx?" (f.query()) } { (l.t("Unduh Excel (.xlsx)", "Download Excel (.xlsx)")) } }
        (table(l, &records, &people))
        div.pager {
            @if !f.after.is_empty() { a href={ "/console/gagal?" (f.query()) } { (l.t("« Halaman pertama", "« First page")) } }
            @if let Some(n) = next { a id="next-page" href={ "/console/gagal?" (f.query()) "&after=" (encode(&n)) } { (l.t("Berikutnya »", "Next »")) } }
        }
    };
    Ok(layout::page(
        &c,
        l.t("Gagal & perlu tindakan", "Failed & needs action"),
        "/console/gagal",
        body,
    ))
}

fn filters(l: Lang, f: &Filter, people: &Directory) -> Markup {
    html! {
        form.filters method="get" action="/console/gagal" {
            label { (l.t("Unit (dengan sub-unitnya)", "Unit (with its sub-units)"))
                input id="f-unit" name="unit" value=(f.unit) list="unit-list" size="14" placeholder=(l.t("kode atau nama", "code or name")); }
            (layout::unit_list(people))
            label { "Status" (label::options(l, "status", SyncStatus::parse(&f.status), &STATUSES)) }
            label { (l.t("Jenis", "Type")) (label::select(l, "jenis", RecordType::parse(&f.jenis))) }
            label { "Tahun" input name="tahun" value=(f.tahun) size="5" inputmode="numeric"; }
            label { (l.t("Dari (diperbarui)", "From (updated)")) input type="date" name="from" value=(f.from); }
            label { (l.t("Sampai", "Until")) input type="date" name="to" value=(f.to); }
            label { (l.t("Teks pesan BKN", "Text in BKN's message")) input name="q" value=(f.q); }
            button type="submit" id="filter" { (l.t("Saring", "Filter")) }
        }
    }
}

fn table(l: Lang, records: &[SyncRecord], people: &Directory) -> Markup {
    html! {
        @if records.is_empty() { p.muted { (l.t("Tidak ada rekaman yang cocok.", "No matching records.")) } }
        @else {
            table id="failed" class="stack" {
                tr { th { (l.t("Pegawai", "Employee")) } th { "Unit" } th { (l.t("Rekaman", "Record")) } th { "Status" } th.num { (l.t("Dicoba ulang", "Retries")) } th { (l.t("Diperbarui", "Updated")) } th { (l.t("Pesan BKN", "BKN's message")) } }
                @for r in records {
                    tr {
                        td data-label=(l.t("Pegawai", "Employee")) {
                            @if let Some(name) = people.name(r.key.nip().as_str()) { (name) br; }
                            a.nip href={ "/console/pegawai?nip=" (r.key.nip().as_str()) } { (r.key.nip().as_str()) } }
                        td data-label="Unit" data-code=(people.unit_of(r.key.nip().as_str()).unwrap_or_default()) {
                            (people.unit_of(r.key.nip().as_str()).map(|u| people.unit_label(u)).unwrap_or_else(|| "—".into())) }
                        td data-label=(l.t("Rekaman", "Record")) data-code=(r.key.to_string()) { (describe::record(l, r)) }
                        td data-label="Status" class=(status_class(r.status)) data-code=(r.status.code()) { (r.status.label(l)) }
                        td.num data-label=(l.t("Dicoba ulang", "Retries")) { (r.attempts) }
                        td data-label=(l.t("Diperbarui", "Updated")) { (when(r.updated_at)) }
                        td.message data-label=(l.t("Pesan BKN", "BKN's message")) { (crate::ours::shown(l, r.last_error.as_deref().unwrap_or(""))) }
                    }
                }
            }
        }
    }
}

pub async fn download(
    State(console): State<Arc<Console>>,
    c: Ctx,
    Query(f): Query<Filter>,
) -> Page {
    let people = console.people().await.in_page(c.lang)?;
    let s = selection(&f, console.deps.clock.now_ms(), &c, &people)?;
    let (records, _) = collect(&console, &s, DOWNLOAD_MAX).await.in_page(c.lang)?;
    let lines: Vec<RecordLine> = records.iter().map(|r| line(c.lang, r, &people)).collect();
    xlsx(&console, &c, &records_tables(&lines), "perlu-tindakan.xlsx").await
}

fn line(l: Lang, r: &SyncRecord, people: &Directory) -> RecordLine {
    let nip = r.key.nip().as_str();
    RecordLine {
        nip: nip.to_string(),
        name: people.name(nip).map(str::to_string),
        unit: people.unit_of(nip).map(|u| people.unit_label(u)),
        record_key: r.key.to_string(),
        record_type: Label::label(r.key.record_type(), l).to_string(),
        kind: describe::record(l, r),
        tahun: r.key.tahun().map(|t| t.to_string()).unwrap_or_default(),
        status: r.status.label(l).to_string(),
        received_version: r.received_version,
        delivered_version: r.delivered_version,
        bkn_id: r.bkn_id.clone(),
        attempts: r.attempts,
        updated: r.updated_at,
        next_attempt: r.next_attempt_at,
        last_error: r
            .last_error
            .as_deref()
            .map(|m| crate::ours::shown(l, m).to_string()),
    }
}
