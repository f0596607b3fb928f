//! Rekonsiliasi: the runs (scope, state, progress, counts, duration, BKN calls, repairs) and one
//! run's findings, filtered, with their follow-up (tindak lanjut) marks; downloads of the
//! filtered view as Excel or CSV.

use ehrm_sync_core::people::Directory;
use std::collections::HashMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use maud::{Markup, html};

use ehrm_sync_core::ports::StoreError;
use ehrm_sync_core::ports::{FindingMark, MarkState};
use ehrm_sync_core::ports::{RunStatus, RunSummary};
use ehrm_sync_core::reconcile::UNIT_TREE_CONTROL;
use ehrm_sync_core::tables::{FindingLine, RunFacts, findings_tables};
use ehrm_sync_domain::reconcile::{
    Action, Authority, DataSet, Discrepancy, Kind, Priority, report,
};

use super::marks::{self, MarkForm, mark_form};
use super::{Ctx, InPage, Page, attachment, when, xlsx};
use crate::findings::{
    FindingFilter, FindingQuery, RunRows, encode, select, unit_with_descendants,
};
use crate::i18n::Lang;
use crate::label::{self, Label};
use crate::{Console, layout};

const PAGE: usize = 100;
const RUNS_SHOWN: usize = 50;

/// A run's rows, sorted as in the report; finished runs are cached.
pub async fn rows_of(
    console: &Console,
    run_id: &str,
    finished: bool,
) -> Result<Arc<RunRows>, StoreError> {
    if let Some(rows) = console.rows_cache.get(run_id) {
        return Ok(rows);
    }
    let rows = Arc::new(RunRows::new(console.deps.reconcile.rows(run_id).await?));
    if finished {
        console.rows_cache.put(run_id, rows.clone());
    }
    Ok(rows)
}

pub async fn marks_by_id(console: &Console) -> Result<HashMap<String, FindingMark>, StoreError> {
    Ok(console
        .deps
        .marks
        .marks()
        .await?
        .into_iter()
        .map(|m| (m.finding_id.clone(), m))
        .collect())
}

async fn unit_tree(console: &Console) -> Result<HashMap<String, Option<String>>, StoreError> {
    Ok(console
        .deps
        .controls
        .control(UNIT_TREE_CONTROL)
        .await?
        .and_then(|c| serde_json::from_value(c.value).ok())
        .unwrap_or_default())
}

async fn run_of(console: &Console, run_id: &str) -> Result<Option<RunSummary>, StoreError> {
    Ok(console
        .deps
        .reconcile
        .runs(RUNS_SHOWN)
        .await?
        .into_iter()
        .find(|r| r.run_id == run_id))
}

pub async fn runs(State(console): State<Arc<Console>>, c: Ctx) -> Page {
    let l = c.lang;
    let runs = console.deps.reconcile.runs(RUNS_SHOWN).await.in_page(l)?;
    let body = html! {
        @if runs.is_empty() { p.muted { (l.t("Belum ada rekonsiliasi.", "No reconciliation yet.")) } }
        @else {
            div.table-scroll {
            table id="runs" {
                tr { th { (l.t("Rekon", "Run")) } th { (l.t("Cakupan", "Scope")) } th { (l.t("Keadaan", "State")) } th { (l.t("Kemajuan", "Progress")) }
                     th.num { (l.t("Temuan", "Findings")) } th { (l.t("Per set data / jenis / prioritas", "By data set / kind / priority")) }
                     th.num { (l.t("Durasi", "Duration")) } th.num { (l.t("Panggilan BKN", "BKN calls")) } th.num { (l.t("Perbaikan", "Repairs")) } th { (l.t("Mulai", "Started")) } }
                @for r in &runs {
                    tr {
                        td { a href={ "/console/rekon/" (r.run_id) } { (r.run_id) } }
                        td { (crate::describe::scope(l, &r.scope)) @if r.dry_run { " (" (l.t("uji, tanpa perbaikan", "trial, nothing repaired")) ")" } }
                        td { (r.status.label(l)) @if let Some(p) = &r.pause_reason { br; span.muted { (crate::ours::shown(l, p)) } } }
                        td { (r.employees_done) " / " (r.employees_total) }
                        td.num { (r.rows.map_or("—".into(), |n| n.to_string())) }
                        td { (counts_text(l, r)) }
                        td.num { (r.duration_ms / 1000) " s" }
                        td.num { (r.bkn_calls) }
                        td.num { (r.repairs_queued) " / " (r.callbacks_sent) }
                        td { (when(r.started_at)) }
                    }
                }
            }
            }
            p.muted { (l.t("Perbaikan: diantrekan ke BKN / dikirim ke eHRM.", "Repairs: queued for BKN / sent to eHRM.")) }
        }
    };
    Ok(layout::page(
        &c,
        l.t("Rekonsiliasi", "Reconciliation"),
        "/console/rekon",
        body,
    ))
}

fn counts_text(l: Lang, r: &RunSummary) -> String {
    r.counts
        .iter()
        .flatten()
        .map(|c| {
            format!(
                "{}, {}, {}: {}",
                c.data_set.label(l),
                c.kind.label(l),
                c.priority.label(l),
                c.count
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The run, its rows filtered with their marks.
struct View {
    run: RunSummary,
    rows: Arc<RunRows>,
    marks: HashMap<String, FindingMark>,
    units: Option<std::collections::HashSet<String>>,
}

async fn view(
    console: &Console,
    run_id: &str,
    f: &FindingFilter,
) -> Result<Option<View>, StoreError> {
    let Some(run) = run_of(console, run_id).await? else {
        return Ok(None);
    };
    let rows = rows_of(console, run_id, run.status == RunStatus::Finished).await?;
    let marks = marks_by_id(console).await?;
    let units = match &f.unit {
        None => None,
        Some(unit) => Some(unit_with_descendants(&unit_tree(console).await?, unit)),
    };
    Ok(Some(View {
        run,
        rows,
        marks,
        units,
    }))
}

/// The run and its findings, or the page saying there is no such run.
async fn view_or_not_found(
    console: &Console,
    c: &Ctx,
    run_id: &str,
    f: &FindingFilter,
) -> Result<View, super::PageError> {
    view(console, run_id, f)
        .await
        .in_page(c.lang)?
        .ok_or_else(|| c.not_found())
}

pub async fn findings_page(
    State(console): State<Arc<Console>>,
    c: Ctx,
    Path(run_id): Path<String>,
    Query(q): Query<FindingQuery>,
) -> Page {
    let l = c.lang;
    let f = q.parse().in_page(l)?;
    let v = view_or_not_found(&console, &c, &run_id, &f).await?;
    let picked = select(&v.rows, &v.marks, &f, v.units.as_ref());
    let people = console.people().await.in_page(l)?;
    if f.nip.is_some() {
        // A search by NIP is an access to that person's data.
        super::audit_access(&console, &c, "search_nip", picked.len()).await;
    }
    let pages = picked.len().div_ceil(PAGE).max(1);
    let page = f.page.min(pages - 1);
    let shown = picked.iter().skip(page * PAGE).take(PAGE);
    let q = f.query();
    let back = format!("/console/rekon/{}?{}&page={page}", encode(&run_id), q);
    let body = html! {
        p { (crate::describe::scope(l, &v.run.scope)) " · " (v.run.status.label(l)) " · " (when(v.run.started_at)) " · " (v.rows.len()) " " (l.t("temuan", "findings")) }
        (filter_form(l, &run_id, &f, &people))
        p {
            (picked.len()) " " (l.t("temuan cocok", "matching findings")) " · "
            a id="download-xlsx" href={ "/console/rekon/" (encode(&run_id)) "/temuan.xlsx?" (q) } { (l.t("Unduh Excel (.xlsx)", "Download Excel (.xlsx)")) } " · "
            a id="download-csv" href={ "/console/rekon/" (encode(&run_id)) "/temuan.csv?" (q) } { "CSV" }
        }
        p.muted id="authority-help" { (l.t(
            "Berwenang: pihak yang nilainya dianggap benar untuk kolom itu — eHRM untuk riwayat kinerja dan jabatan, BKN untuk pangkat, pensiun dan identitas. Yang perlu dilakukan tertulis di bawah tindakan.",
            "Authority: the side whose value counts as right for that field — eHRM for performance and position history, BKN for rank, retirement and identity. What to do is written under the action.")) }
        table id="findings" class="stack" {
            tr { th { (l.t("Data", "Data")) } th { (l.t("Pegawai / unit", "Employee / unit")) } th { (l.t("Kolom", "Field")) } th { (l.t("Nilai eHRM", "eHRM value")) } th { (l.t("Nilai BKN", "BKN value")) }
                 th title=(l.t("Pihak yang nilainya dianggap benar", "The side whose value counts as right")) { (l.t("Berwenang · tindakan", "Authority · action")) } th { (l.t("Prioritas", "Priority")) } th { (l.t("Tindak lanjut", "Follow-up")) } }
            @for (r, id, mark) in shown {
                tr data-finding=(id) {
                    td data-label=(l.t("Data", "Data")) data-code=(r.data_set.code()) { (r.data_set.label(l)) br; span.muted data-code=(r.kind.code()) { (r.kind.label(l)) } }
                    td data-label=(l.t("Pegawai / unit", "Employee / unit")) {
                        @if let Some(name) = r.nip.as_deref().and_then(|n| people.name(n)) { span.name { (name) } br; }
                        span.nip { (r.nip.as_deref().or(r.unor_id.as_deref()).unwrap_or("")) }
                        @if let Some(unit) = r.unit_code() { br; span.muted data-code=(unit) { (people.unit_label(unit)) } } }
                    td data-label=(l.t("Kolom", "Field")) data-code=(r.field.as_deref().unwrap_or("")) { (field_words(l, r.field.as_deref())) @if let Some(n) = &r.note { br; span.muted { (n) } } }
                    td data-label=(l.t("Nilai eHRM", "eHRM value")) { (value_words(l, r.field.as_deref(), r.ehrm_value.as_deref())) }
                    td data-label=(l.t("Nilai BKN", "BKN value")) { (value_words(l, r.field.as_deref(), r.bkn_value.as_deref())) }
                    td data-label=(l.t("Berwenang · tindakan", "Authority · action")) data-code=(r.action.code()) { (r.authority.label(l)) " · " (r.action.label(l))
                        br; span.todo { (what_to_do(l, r.authority, r.action)) } }
                    (label::cell_in(l, r.priority, l.t("Prioritas", "Priority")))
                    td data-label=(l.t("Tindak lanjut", "Follow-up")) { (mark_form(&c, &format!("/console/rekon/{}/tandai", encode(&run_id)), id, *mark, &back)) }
                }
            }
        }
        div.pager {
            @if page > 0 { a href={ "/console/rekon/" (encode(&run_id)) "?" (q) "&page=" (page - 1) } { (l.t("« Sebelumnya", "« Previous")) } }
            span { (page + 1) " / " (pages) }
            @if page + 1 < pages { a id="next-page" href={ "/console/rekon/" (encode(&run_id)) "?" (q) "&page=" (page + 1) } { (l.t("Berikutnya »", "Next »")) } }
        }
    };
    Ok(layout::page(
        &c,
        &format!("{} {run_id}", l.t("Rekon", "Run")),
        "/console/rekon",
        body,
    ))
}

/// What a finding asks of the HR officer, and where.
fn what_to_do(l: Lang, authority: Authority, action: Action) -> &'static str {
    match (action, authority) {
        (Action::QueuedForBkn, _) => l.t(
            "Tidak perlu apa-apa: data eHRM sudah diantrekan ke BKN.",
            "Nothing: eHRM's data is already queued for BKN.",
        ),
        (Action::SentToEhrm, _) => l.t(
            "Perbaiki di eHRM: nilai BKN yang benar sudah dikirim ke eHRM.",
            "Fix it in eHRM: BKN's value, the right one, was sent to eHRM.",
        ),
        (Action::NeedsReview, Authority::Ehrm) => l.t(
            "Periksa dan perbaiki data di eHRM; perubahan akan dikirim ke BKN.",
            "Check and fix the data in eHRM; the change will reach BKN.",
        ),
        (Action::NeedsReview, Authority::Bkn) => l.t(
            "Bila nilai BKN keliru, ajukan perbaikan di SIASN; bila benar, perbaiki eHRM.",
            "If BKN's value is wrong, ask for a correction at SIASN; if it is right, fix eHRM.",
        ),
    }
}

fn filter_form(l: Lang, run_id: &str, f: &FindingFilter, people: &Directory) -> Markup {
    html! {
        form.filters method="get" action={ "/console/rekon/" (encode(run_id)) } {
            label { (l.t("Set data", "Data set")) (label::select::<DataSet>(l, "data_set", f.data_set)) }
            label { (l.t("Jenis", "Kind")) (label::select::<Kind>(l, "kind", f.kind)) }
            label { (l.t("Prioritas", "Priority")) (label::select::<Priority>(l, "priority", f.priority)) }
            label { (l.t("Berwenang", "Authority")) (label::select::<Authority>(l, "authority", f.authority)) }
            label { (l.t("Tindakan", "Action")) (label::select::<Action>(l, "action", f.action)) }
            label { (l.t("Unit (dengan sub-unit)", "Unit (with sub-units)")) input name="unit" id="f-unit" value=(f.unit.as_deref().unwrap_or("")) list="unit-list" size="12" placeholder=(l.t("kode atau nama", "code or name")); }
                (layout::unit_list(people))
            label { "NIP" input name="nip" id="f-nip" value=(f.nip.as_deref().unwrap_or("")) size="20"; }
            label { (l.t("Tindak lanjut", "Follow-up")) (label::select::<MarkState>(l, "state", f.state)) }
            button type="submit" id="filter" { (l.t("Saring", "Filter")) }
        }
    }
}

/// Records the follow-up of one finding (both roles: HR officers record what they did).
pub async fn mark(
    State(console): State<Arc<Console>>,
    c: Ctx,
    Path(run_id): Path<String>,
    Form(f): Form<MarkForm>,
) -> Page {
    c.check_csrf(&f.csrf)?;
    let l = c.lang;
    let state = marks::state_of(&c, &f)?;
    let run = run_of(&console, &run_id)
        .await
        .in_page(l)?
        .ok_or_else(|| c.not_found())?;
    let rows = rows_of(&console, &run_id, run.status == RunStatus::Finished)
        .await
        .in_page(l)?;
    if !rows.ids.contains(&f.finding_id) {
        return Err(c.bad(l.t(
            "Temuan tidak ada di rekon ini.",
            "No such finding in this run.",
        )));
    }
    let what = format!("run {run_id}, finding {} → {}", f.finding_id, state.code());
    let fallback = format!("/console/rekon/{}", encode(&run_id));
    marks::save(&console, &c, f, state, what, "/console/rekon/", fallback).await
}

pub async fn download_xlsx(
    State(console): State<Arc<Console>>,
    c: Ctx,
    Path(run_id): Path<String>,
    Query(q): Query<FindingQuery>,
) -> Page {
    let f = q.parse().in_page(c.lang)?;
    let v = view_or_not_found(&console, &c, &run_id, &f).await?;
    let picked = select(&v.rows, &v.marks, &f, v.units.as_ref());
    let lines: Vec<FindingLine<'_>> = picked
        .iter()
        .map(|(row, _, mark)| FindingLine {
            row,
            follow_up: mark.map(|m| (m.state, m.note.as_str())),
        })
        .collect();
    let facts = RunFacts {
        run_id: v.run.run_id.clone(),
        scope: crate::describe::scope(Lang::Id, &v.run.scope),
        started: v.run.started_at,
        finished: v.run.finished_at,
        selection: f.describe(),
    };
    let people = console.people().await.in_page(c.lang)?;
    let tables = findings_tables(&facts, &lines, &people);
    xlsx(
        &console,
        &c,
        &tables,
        &format!("temuan-{}.xlsx", safe(&run_id)),
    )
    .await
}

pub async fn download_csv(
    State(console): State<Arc<Console>>,
    c: Ctx,
    Path(run_id): Path<String>,
    Query(q): Query<FindingQuery>,
) -> Page {
    let f = q.parse().in_page(c.lang)?;
    let v = view_or_not_found(&console, &c, &run_id, &f).await?;
    let rows: Vec<Discrepancy> = select(&v.rows, &v.marks, &f, v.units.as_ref())
        .into_iter()
        .map(|(r, _, _)| Discrepancy {
            unit: None,
            ..r.clone()
        })
        .collect();
    let people = super::people_in(rows.iter().filter_map(|r| r.nip.as_deref()));
    super::audit_download(&console, &c, rows.len(), people).await;
    Ok(attachment(
        "text/csv; charset=utf-8",
        &format!("temuan-{}.csv", safe(&run_id)),
        report::to_csv(&rows).into_bytes(),
    ))
}

fn safe(v: &str) -> String {
    v.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect()
}

/// A finding's value in the reader's words (`ehrm_sync_domain::reconcile::words`): golongan
/// `III/d` on both sides, eselon `III.a`, predikat by name.
fn value_words(l: Lang, field: Option<&str>, value: Option<&str>) -> String {
    let Some(v) = value else {
        return "—".into();
    };
    let (id, en) = ehrm_sync_domain::reconcile::words::value_words(field, v);
    match l {
        Lang::Id => id,
        Lang::En => en,
    }
}

/// A finding's field in the reader's words (`ehrm_sync_domain::reconcile::words`).
fn field_words(l: Lang, field: Option<&str>) -> String {
    let Some(f) = field else {
        return String::new();
    };
    let (id, en) = ehrm_sync_domain::reconcile::words::field_words(f);
    match l {
        Lang::Id => id,
        Lang::En => en,
    }
}
