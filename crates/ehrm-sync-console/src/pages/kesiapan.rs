//! Kesiapan KP & Pensiun: the readiness runs and one run's findings (the newest by default),
//! filtered by unit (with its sub-units), service, period, severity, rule, side, NIP and
//! follow-up; follow-up marks keyed by the finding's stable key, so they carry over to the next
//! run while the same blocker persists; the filtered view as Excel.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use ehrm_sync_core::ports::StoreError;
use ehrm_sync_core::ports::{FindingMark, MarkState};
use ehrm_sync_core::ports::{RunStatus, XLSX_TYPE, load_document};
use ehrm_sync_core::readiness::ReadinessRun;
use ehrm_sync_core::readiness::state::{self, RUN_CONTROL};
use ehrm_sync_core::reconcile::UNIT_TREE_CONTROL;
use ehrm_sync_domain::dates::format_iso_date;
use ehrm_sync_domain::readiness::{RULES, ReadinessFinding, rules::rule};

use super::marks::{self, MarkForm, mark_form};
use super::rekon::marks_by_id;
use super::{attachment, bad_request, code_select, ctx, unavailable, when};
use crate::findings::{encode, unit_with_descendants};
use crate::i18n::Lang;
use crate::{ClientAddr, Console, layout};

const PAGE: usize = 100;
/// Marks of readiness findings are kept beside reconciliation's, under this prefix.
const MARK_PREFIX: &str = "kesiapan|";

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Filter {
    pub run: String,
    pub unit: String,
    pub service: String,
    /// `YYYY-MM` (or a full date).
    pub period: String,
    pub severity: String,
    pub rule: String,
    pub side: String,
    pub nip: String,
    pub state: String,
    pub page: usize,
}

impl Filter {
    fn query(&self) -> String {
        crate::findings::query_of(&[
            ("run", &self.run),
            ("unit", &self.unit),
            ("service", &self.service),
            ("period", &self.period),
            ("severity", &self.severity),
            ("rule", &self.rule),
            ("side", &self.side),
            ("nip", &self.nip),
            ("state", &self.state),
        ])
    }
}

/// The runs, newest first: the open one (if any) and the finished ones.
async fn runs(console: &Console) -> Result<Vec<ReadinessRun>, StoreError> {
    let controls = console.deps.controls.as_ref();
    let mut runs = state::finished_runs(controls).await?;
    if let (Some(open), _) = load_document::<ReadinessRun>(controls, RUN_CONTROL).await?
        && open.life.is_open()
    {
        runs.insert(0, open);
    }
    Ok(runs)
}

async fn findings_of(
    console: &Console,
    run: &ReadinessRun,
) -> Result<Arc<Vec<ReadinessFinding>>, StoreError> {
    if let Some(f) = console.readiness_cache.get(&run.life.run_id) {
        return Ok(f);
    }
    let f = Arc::new(state::all_findings(console.deps.controls.as_ref(), run).await?);
    if run.life.status == RunStatus::Finished {
        console.readiness_cache.put(&run.life.run_id, f.clone());
    }
    Ok(f)
}

/// The chosen run and its findings that pass the filter, with their marks.
struct View {
    runs: Vec<ReadinessRun>,
    run: Option<ReadinessRun>,
    picked: Vec<(ReadinessFinding, Option<FindingMark>)>,
}

async fn view(console: &Console, f: &Filter) -> Result<View, StoreError> {
    let runs = runs(console).await?;
    let run = runs
        .iter()
        .find(|r| f.run.is_empty() || r.life.run_id == f.run)
        .cloned();
    let Some(chosen) = &run else {
        return Ok(View {
            runs,
            run,
            picked: Vec::new(),
        });
    };
    let findings = findings_of(console, chosen).await?;
    let marks = marks_by_id(console).await?;
    let units = if f.unit.trim().is_empty() {
        None
    } else {
        let tree: HashMap<String, Option<String>> = console
            .deps
            .controls
            .control(UNIT_TREE_CONTROL)
            .await?
            .and_then(|c| serde_json::from_value(c.value).ok())
            .unwrap_or_default();
        Some(unit_with_descendants(&tree, f.unit.trim()))
    };
    let picked = findings
        .iter()
        .filter(|x| {
            units
                .as_ref()
                .is_none_or(|u| x.unit.as_ref().is_some_and(|unit| u.contains(unit)))
        })
        .filter(|x| f.service.is_empty() || x.service.as_str() == f.service)
        .filter(|x| f.period.is_empty() || format_iso_date(x.period).starts_with(f.period.trim()))
        .filter(|x| f.severity.is_empty() || x.severity.as_str() == f.severity)
        .filter(|x| f.rule.is_empty() || x.rule.as_str().eq_ignore_ascii_case(f.rule.trim()))
        .filter(|x| f.side.is_empty() || x.side.as_str() == f.side)
        .filter(|x| f.nip.trim().is_empty() || x.nip == f.nip.trim())
        .map(|x| (x.clone(), marks.get(&mark_id(x)).cloned()))
        .filter(|(_, m)| {
            f.state.is_empty() || m.as_ref().map_or("open", |m| m.state.as_str()) == f.state
        })
        .collect();
    Ok(View { runs, run, picked })
}

/// The follow-up mark's id of a readiness finding.
pub fn mark_id(f: &ReadinessFinding) -> String {
    format!("{MARK_PREFIX}{}", f.key())
}

pub async fn page(
    State(console): State<Arc<Console>>,
    addr: Option<axum::Extension<ClientAddr>>,
    headers: HeaderMap,
    Query(f): Query<Filter>,
) -> Response {
    let c = crate::try_page!(ctx(&console, &headers, addr.as_deref()).await);
    let l = c.lang;
    let v = match view(&console, &f).await {
        Ok(v) => v,
        Err(e) => return unavailable(l, &e),
    };
    let pages = v.picked.len().div_ceil(PAGE).max(1);
    let page = f.page.min(pages - 1);
    let q = f.query();
    let back = format!("/console/kesiapan?{q}&page={page}");
    let body = html! {
        (runs_table(l, &v.runs))
        @if let Some(run) = &v.run {
            h2 { (l.t("Temuan", "Findings")) " " (run.life.run_id) }
            (filter_form(l, &f))
            p {
                (v.picked.len()) " " (l.t("temuan cocok", "matching findings")) " · "
                a id="download-xlsx" href={ "/console/kesiapan.xlsx?" (q) } { (l.t("Unduh Excel (.xlsx)", "Download Excel (.xlsx)")) }
            }
            table id="readiness" {
                tr { th { "NIP" } th { "Unit" } th { (l.t("Layanan", "Service")) } th { (l.t("Periode/TMT", "Period/TMT")) } th { (l.t("Aturan", "Rule")) }
                     th { (l.t("Tingkat", "Severity")) } th { (l.t("Pihak", "Side")) } th { (l.t("Batas waktu", "Deadline")) } th { (l.t("Masalah", "Problem")) }
                     th { (l.t("Tindakan", "Action")) } th { (l.t("Tindak lanjut", "Follow-up")) } }
                @for (x, mark) in v.picked.iter().skip(page * PAGE).take(PAGE) {
                    tr data-finding=(mark_id(x)) {
                        td { (x.nip) } td { (x.unit.as_deref().unwrap_or("")) } td data-code=(x.service.as_str()) { (l.finding_code(x.service.as_str())) }
                        td { (format_iso_date(x.period)) }
                        td title=(rule(x.rule).basis) { (x.rule.as_str()) }
                        td data-code=(x.severity.as_str()) { (l.finding_code(x.severity.as_str())) }
                        td data-code=(x.side.as_str()) { (l.finding_code(x.side.as_str())) } td { (format_iso_date(x.deadline)) }
                        td { (if matches!(l, Lang::Id) { &x.problem_id } else { &x.problem_en })
                             @if let Some(b) = &x.bkn_value { br; span.muted { "BKN: " (b) } }
                             @if let Some(e) = &x.ehrm_value { br; span.muted { "eHRM: " (e) } } }
                        td { (l.finding_code(x.action.map_or("", |a| a.as_str()))) }
                        td { (mark_form(&c, "/console/kesiapan/tandai", &mark_id(x), mark.as_ref(), &back)) }
                    }
                }
            }
            div.pager {
                @if page > 0 { a href={ "/console/kesiapan?" (q) "&page=" (page - 1) } { (l.t("« Sebelumnya", "« Previous")) } }
                span { (page + 1) " / " (pages) }
                @if page + 1 < pages { a id="next-page" href={ "/console/kesiapan?" (q) "&page=" (page + 1) } { (l.t("Berikutnya »", "Next »")) } }
            }
        }
    };
    layout::page(
        &c,
        l.t("Kesiapan KP & Pensiun", "Promotion & retirement readiness"),
        "/console/kesiapan",
        body,
    )
}

fn runs_table(l: Lang, runs: &[ReadinessRun]) -> Markup {
    html! {
        @if runs.is_empty() {
            p.muted { (l.t("Belum ada pemeriksaan kesiapan. Operator menjalankannya di Tindakan (atau: ehrm-sync readiness); di AWS jadwalnya menjalankan pemeriksaan tiap bulan.", "No readiness check yet. An operator starts one under Actions (or: ehrm-sync readiness); on AWS its schedule runs one each month.")) }
        } @else {
            table id="readiness-runs" {
                tr { th { (l.t("Pemeriksaan", "Run")) } th { (l.t("Cakupan", "Scope")) } th { (l.t("Keadaan", "State")) } th.num { (l.t("Orang", "People")) }
                     th.num { (l.t("Temuan", "Findings")) } th.num { (l.t("Panggilan BKN / orang", "BKN calls / person")) } th.num { (l.t("SKP dikirim", "SKP sent")) } th { (l.t("Mulai", "Started")) } }
                @for r in runs.iter().take(12) {
                    tr {
                        td { a href={ "/console/kesiapan?run=" (encode(&r.life.run_id)) } { (r.life.run_id) } }
                        td { (r.scope) }
                        td { @if r.life.status == RunStatus::Finished { (l.t("selesai", "finished")) } @else { (l.t("berjalan", "running")) }
                             @if let Some(p) = &r.life.pause_reason { br; span.muted { (p) } } }
                        td.num { (r.done) " / " (r.people) }
                        td.num { (r.findings) }
                        td.num { (format!("{:.2}", r.calls_per_person())) }
                        td.num { (r.queued_for_bkn) }
                        td { (when(r.life.started_at)) }
                    }
                }
            }
        }
    }
}

fn filter_form(l: Lang, f: &Filter) -> Markup {
    let any = l.t("semua", "all");
    let rules: Vec<&str> = RULES.iter().map(|r| r.code).collect();
    html! {
        form.filters method="get" action="/console/kesiapan" {
            input type="hidden" name="run" value=(f.run);
            label { (l.t("Unit (dengan sub-unit)", "Unit (with sub-units)")) input name="unit" id="f-unit" value=(f.unit) size="10"; }
            label { (l.t("Layanan", "Service")) (code_select(l, "service", &f.service, &["kp", "pensiun"])) }
            label { (l.t("Periode (YYYY-MM)", "Period (YYYY-MM)")) input name="period" id="f-period" value=(f.period) size="8"; }
            label { (l.t("Tingkat", "Severity")) (code_select(l, "severity", &f.severity, &["block", "warn"])) }
            label { (l.t("Aturan", "Rule")) (code_select(l, "rule", &f.rule, &rules)) }
            label { (l.t("Pihak", "Side")) (code_select(l, "side", &f.side, &["bkn_data", "ehrm_data", "usulan"])) }
            label { "NIP" input name="nip" id="f-nip" value=(f.nip) size="20"; }
            label { (l.t("Tindak lanjut", "Follow-up")) select name="state" id="f-state" { option value="" { (any) } @for s in MarkState::ALL { option value=(s.as_str()) selected[f.state == s.as_str()] { (l.mark(s.as_str())) } } } }
            button type="submit" id="filter" { (l.t("Saring", "Filter")) }
        }
    }
}

/// Records the follow-up of one readiness finding of the newest run (both roles).
pub async fn mark(
    State(console): State<Arc<Console>>,
    addr: Option<axum::Extension<ClientAddr>>,
    headers: HeaderMap,
    Form(f): Form<MarkForm>,
) -> Response {
    let c = crate::try_page!(ctx(&console, &headers, addr.as_deref()).await);
    crate::try_page!(c.check_csrf(&f.csrf));
    let l = c.lang;
    let state = crate::try_page!(marks::state_of(&c, &f));
    let known = match view(&console, &Filter::default()).await {
        Ok(v) => v.picked.iter().any(|(x, _)| mark_id(x) == f.finding_id),
        Err(e) => return unavailable(l, &e),
    };
    if !known {
        return bad_request(
            l,
            l.t(
                "Temuan tidak ada di pemeriksaan terakhir.",
                "No such finding in the newest run.",
            ),
        );
    }
    let what = format!("readiness finding {} → {}", f.finding_id, state.as_str());
    marks::save(
        &console,
        &c,
        f,
        state,
        what,
        "/console/kesiapan",
        "/console/kesiapan".into(),
    )
    .await
}

/// The filtered findings as `readiness.xlsx` (the run's summary and rule table included).
pub async fn download(
    State(console): State<Arc<Console>>,
    addr: Option<axum::Extension<ClientAddr>>,
    headers: HeaderMap,
    Query(f): Query<Filter>,
) -> Response {
    let c = crate::try_page!(ctx(&console, &headers, addr.as_deref()).await);
    let l = c.lang;
    let v = match view(&console, &f).await {
        Ok(v) => v,
        Err(e) => return unavailable(l, &e),
    };
    let Some(run) = &v.run else {
        return bad_request(l, l.t("Belum ada pemeriksaan.", "No run yet."));
    };
    let rows: Vec<ReadinessFinding> = v.picked.into_iter().map(|(x, _)| x).collect();
    let tables = ehrm_sync_core::readiness::tables(run, &rows);
    match console.deps.workbooks.workbook(&tables) {
        Ok(bytes) => attachment(XLSX_TYPE, &format!("kesiapan-{}.xlsx", run.today), bytes),
        Err(e) => bad_request(l, &e.to_string()),
    }
}
