//! Kesiapan KP & Pensiun: the readiness runs and one run's findings (the newest by default),
//! filtered by unit (with its sub-units), service, period, severity, rule, side, NIP and
//! follow-up; follow-up marks keyed by the finding's stable key, so they carry over to the next
//! run while the same blocker persists; the filtered view as Excel.

use ehrm_sync_core::people::Directory;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use maud::{Markup, html};
use serde::Deserialize;

use ehrm_sync_core::ports::StoreError;
use ehrm_sync_core::ports::{FindingMark, MarkState};
use ehrm_sync_core::ports::{RunStatus, load_document};
use ehrm_sync_core::readiness::ReadinessRun;
use ehrm_sync_core::readiness::state::{self, RUN_CONTROL};
use ehrm_sync_core::reconcile::UNIT_TREE_CONTROL;
use ehrm_sync_domain::dates::{format_iso_date, jakarta_date};
use ehrm_sync_domain::readiness::rules::{RuleId, rule};
use ehrm_sync_domain::readiness::{ReadinessFinding, Service, Severity, Side};
use time::Date;

use super::marks::{self, MarkForm, mark_form};
use super::rekon::marks_by_id;
use super::{Ctx, InPage, Page, when, xlsx};
use crate::deadlines::{Due, Urgency};
use crate::findings::{encode, unit_with_descendants};
use crate::i18n::Lang;
use crate::label::{self, BadParam, Label, parse_param};
use crate::{Console, layout};
use ehrm_sync_core::readiness::ReadinessLine;

const PAGE: usize = 100;
/// Marks of readiness findings are kept beside reconciliation's, under this prefix.
const MARK_PREFIX: &str = "kesiapan|";

/// The filters as the query string carries them (empty = any).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct KesiapanQuery {
    pub run: String,
    pub unit: String,
    pub service: String,
    /// `YYYY-MM`.
    pub period: String,
    pub severity: String,
    pub rule: String,
    pub side: String,
    pub nip: String,
    pub state: String,
    /// `overdue` or `month` (`crate::deadlines::Due`).
    pub due: String,
    pub page: usize,
}

/// The filters, checked (`None` = any).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub run: Option<String>,
    pub unit: Option<String>,
    pub service: Option<Service>,
    /// `YYYY-MM`.
    pub period: Option<String>,
    pub severity: Option<Severity>,
    pub rule: Option<RuleId>,
    pub side: Option<Side>,
    pub nip: Option<String>,
    pub state: Option<MarkState>,
    pub due: Option<Due>,
    pub page: usize,
}

impl KesiapanQuery {
    fn parse(&self) -> Result<Filter, BadParam> {
        let text = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
        let period = text(&self.period);
        if let Some(p) = &period
            && !is_month(p)
        {
            return Err(BadParam {
                field: "period",
                value: p.clone(),
            });
        }
        Ok(Filter {
            run: text(&self.run),
            unit: text(&self.unit),
            service: parse_param("service", &self.service)?,
            period,
            severity: parse_param("severity", &self.severity)?,
            rule: parse_param("rule", &self.rule.to_uppercase())?,
            side: parse_param("side", &self.side)?,
            nip: text(&self.nip),
            state: parse_param("state", &self.state)?,
            due: Due::parse(&self.due).map_err(|value| BadParam {
                field: "due",
                value,
            })?,
            page: self.page,
        })
    }
}

/// `YYYY-MM`.
fn is_month(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || c.is_ascii_digit())
        && matches!(
            &p[5..],
            "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "09" | "10" | "11" | "12"
        )
}

impl Filter {
    fn query(&self) -> String {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let code = |v: Option<&'static str>| v.map(str::to_string).unwrap_or_default();
        let pairs = [
            ("run", text(&self.run)),
            ("unit", text(&self.unit)),
            ("service", code(self.service.map(Label::code))),
            ("period", text(&self.period)),
            ("severity", code(self.severity.map(Label::code))),
            ("rule", code(self.rule.map(Label::code))),
            ("side", code(self.side.map(Label::code))),
            ("nip", text(&self.nip)),
            ("state", code(self.state.map(Label::code))),
            ("due", code(self.due.map(Due::code))),
        ];
        let refs: Vec<(&str, &String)> = pairs.iter().map(|(k, v)| (*k, v)).collect();
        crate::findings::query_of(&refs)
    }
}

/// The runs, newest first: the open one (if any) and the finished ones.
pub(crate) async fn runs(console: &Console) -> Result<Vec<ReadinessRun>, StoreError> {
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

/// People blocked per unit in the newest run, for promotion and for retirement (each person
/// once per service), most blocked first.
pub async fn blocked_per_unit(
    console: &Console,
) -> Result<Vec<(String, usize, usize)>, StoreError> {
    let Some(run) = runs(console).await?.into_iter().next() else {
        return Ok(Vec::new());
    };
    let mut by: HashMap<String, (HashSet<String>, HashSet<String>)> = HashMap::new();
    for x in findings_of(console, &run).await?.iter() {
        if x.severity != Severity::Block {
            continue;
        }
        let unit = x.unit.clone().unwrap_or_else(|| "—".into());
        let entry = by.entry(unit).or_default();
        match x.service {
            Service::Kp => entry.0.insert(x.nip.clone()),
            Service::Pensiun => entry.1.insert(x.nip.clone()),
        };
    }
    let mut out: Vec<(String, usize, usize)> = by
        .into_iter()
        .map(|(unit, (kp, pensiun))| (unit, kp.len(), pensiun.len()))
        .collect();
    out.sort_by_key(|(unit, kp, pensiun)| (std::cmp::Reverse(kp + pensiun), unit.clone()));
    Ok(out)
}

/// The chosen run and its findings that pass the filter, with their marks.
struct View {
    runs: Vec<ReadinessRun>,
    run: Option<ReadinessRun>,
    /// Most urgent first: open findings past their deadline, then due this month, then the
    /// rest, each by deadline.
    picked: Vec<(ReadinessFinding, Option<FindingMark>)>,
    /// The months (`YYYY-MM`) the run's periods fall in, for the period list.
    months: Vec<String>,
}

/// How urgent a finding is for the people who must act: only an open one can be overdue.
fn urgency(x: &ReadinessFinding, mark: Option<&FindingMark>, today: Date) -> Urgency {
    match mark.map_or(MarkState::Open, |m| m.state) {
        MarkState::Open => Urgency::of(x.deadline, today),
        _ => Urgency::Later,
    }
}

async fn view(console: &Console, f: &Filter, today: Date) -> Result<View, StoreError> {
    let runs = runs(console).await?;
    let run = runs
        .iter()
        .find(|r| f.run.as_ref().is_none_or(|id| &r.life.run_id == id))
        .cloned();
    let Some(chosen) = &run else {
        return Ok(View {
            runs,
            run,
            picked: Vec::new(),
            months: Vec::new(),
        });
    };
    let findings = findings_of(console, chosen).await?;
    let marks = marks_by_id(console).await?;
    let units = match &f.unit {
        None => None,
        Some(unit) => {
            let tree: HashMap<String, Option<String>> = console
                .deps
                .controls
                .control(UNIT_TREE_CONTROL)
                .await?
                .and_then(|c| serde_json::from_value(c.value).ok())
                .unwrap_or_default();
            Some(unit_with_descendants(&tree, unit))
        }
    };
    let mut months: Vec<String> = findings
        .iter()
        .map(|x| format_iso_date(x.period)[..7].to_string())
        .collect();
    months.sort();
    months.dedup();
    let mut picked: Vec<(ReadinessFinding, Option<FindingMark>)> = findings
        .iter()
        .filter(|x| {
            units
                .as_ref()
                .is_none_or(|u| x.unit.as_ref().is_some_and(|unit| u.contains(unit)))
        })
        .filter(|x| f.service.is_none_or(|s| x.service == s))
        .filter(|x| {
            f.period
                .as_ref()
                .is_none_or(|p| format_iso_date(x.period).starts_with(p.as_str()))
        })
        .filter(|x| f.severity.is_none_or(|s| x.severity == s))
        .filter(|x| f.rule.is_none_or(|r| x.rule == r))
        .filter(|x| f.side.is_none_or(|s| x.side == s))
        .filter(|x| f.nip.as_ref().is_none_or(|n| &x.nip == n))
        .map(|x| (x.clone(), marks.get(&mark_id(x)).cloned()))
        .filter(|(_, m)| {
            f.state
                .is_none_or(|s| m.as_ref().map_or(MarkState::Open, |m| m.state) == s)
        })
        .filter(|(x, m)| {
            f.due
                .is_none_or(|d| d.admits(urgency(x, m.as_ref(), today)))
        })
        .collect();
    picked.sort_by_key(|(x, m)| (urgency(x, m.as_ref(), today), x.deadline));
    Ok(View {
        runs,
        run,
        picked,
        months,
    })
}

/// The follow-up mark's id of a readiness finding.
pub fn mark_id(f: &ReadinessFinding) -> String {
    format!("{MARK_PREFIX}{}", f.key())
}

pub async fn page(
    State(console): State<Arc<Console>>,
    c: Ctx,
    Query(q): Query<KesiapanQuery>,
) -> Page {
    let l = c.lang;
    let f = q.parse().in_page(l)?;
    let today = jakarta_date(c.now);
    let v = view(&console, &f, today).await.in_page(l)?;
    let people = console.people().await.in_page(l)?;
    if f.nip.is_some() {
        // A search by NIP is an access to that person's data.
        super::audit_access(&console, &c, "search_nip", v.picked.len()).await;
    }
    let pages = v.picked.len().div_ceil(PAGE).max(1);
    let page = f.page.min(pages - 1);
    let q = f.query();
    let back = format!("/console/kesiapan?{q}&page={page}");
    let body = html! {
        (runs_table(l, &v.runs))
        @if let Some(run) = &v.run {
            h2 { (l.t("Temuan", "Findings")) " " (run.life.run_id) }
            (filter_form(l, &f, &v.months, &people))
            p {
                a id="due-month" href="/console/kesiapan?due=month" { (l.t("Bulan ini: lewat atau jatuh tempo bulan ini", "This month: past or due this month")) } " · "
                (v.picked.len()) " " (l.t("temuan cocok", "matching findings")) " · "
                a id="download-xlsx" href={ "/console/kesiapan.xlsx?" (q) } { (l.t("Unduh Excel (.xlsx)", "Download Excel (.xlsx)")) }
            }
            @if v.picked.is_empty() {
                p.notice id="no-findings" { (l.t("Tidak ada temuan yang cocok: tidak ada yang menghalangi atau perlu diwaspadai untuk pilihan ini.", "No matching findings: nothing blocks or needs watching for this choice.")) }
            } @else {
            table id="readiness" class="stack" {
                tr { th { (l.t("Pegawai / unit", "Employee / unit")) } th { (l.t("Layanan · periode/TMT", "Service · period/TMT")) } th { (l.t("Aturan · tingkat", "Rule · severity")) }
                     th { (l.t("Pihak", "Side")) } th { (l.t("Batas waktu", "Deadline")) } th { (l.t("Masalah", "Problem")) }
                     th { (l.t("Tindakan", "Action")) } th { (l.t("Tindak lanjut", "Follow-up")) } }
                @for (x, mark) in v.picked.iter().skip(page * PAGE).take(PAGE) {
                    @let due = urgency(x, mark.as_ref(), today).shown(l);
                    tr data-finding=(mark_id(x)) class=[due.map(|d| d.0)] {
                        td data-label=(l.t("Pegawai / unit", "Employee / unit")) {
                            @if let Some(name) = people.name(&x.nip) { span.name { (name) } br; }
                            span.nip { (x.nip) } @if let Some(u) = &x.unit { br; span.muted data-code=(u) { (people.unit_label(u)) } } }
                        td data-label=(l.t("Layanan · periode/TMT", "Service · period/TMT")) data-code=(x.service.code()) { (x.service.label(l)) br; (format_iso_date(x.period)) }
                        td data-label=(l.t("Aturan · tingkat", "Rule · severity")) data-code=(x.severity.code()) { span title=(rule(x.rule).basis) { (x.rule.as_str()) " " (x.rule.label(l)) } " · " (x.severity.label(l)) }
                        (label::cell_in(l, x.side, l.t("Pihak", "Side")))
                        td data-label=(l.t("Batas waktu", "Deadline")) { (format_iso_date(x.deadline))
                            @if let Some((class, words)) = due { br; strong class={ "badge " (class) } { (words) } } }
                        td data-label=(l.t("Masalah", "Problem")) { (if matches!(l, Lang::Id) { &x.problem_id } else { &x.problem_en })
                             @if let Some(b) = &x.bkn_value { br; span.muted { "BKN: " (b) } }
                             @if let Some(e) = &x.ehrm_value { br; span.muted { "eHRM: " (e) } } }
                        td data-label=(l.t("Tindakan", "Action")) { @if let Some(a) = x.action { (a.label(l)) } }
                        td data-label=(l.t("Tindak lanjut", "Follow-up")) { (mark_form(&c, "/console/kesiapan/tandai", &mark_id(x), mark.as_ref(), &back)) }
                    }
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
    Ok(layout::page(
        &c,
        l.t("Kesiapan KP & Pensiun", "Promotion & retirement readiness"),
        "/console/kesiapan",
        body,
    ))
}

fn runs_table(l: Lang, runs: &[ReadinessRun]) -> Markup {
    html! {
        @if runs.is_empty() {
            p.muted { (l.t("Belum ada pemeriksaan kesiapan. Operator menjalankannya di Tindakan (atau: ehrm-sync readiness); di AWS jadwalnya menjalankan pemeriksaan tiap bulan.", "No readiness check yet. An operator starts one under Actions (or: ehrm-sync readiness); on AWS its schedule runs one each month.")) }
        } @else {
            div.table-scroll {
            table id="readiness-runs" {
                tr { th { (l.t("Pemeriksaan", "Run")) } th { (l.t("Cakupan", "Scope")) } th { (l.t("Keadaan", "State")) } th.num { (l.t("Orang", "People")) }
                     th.num { (l.t("Temuan", "Findings")) } th.num { (l.t("Panggilan BKN / orang", "BKN calls / person")) } th.num { (l.t("SKP dikirim", "SKP sent")) } th { (l.t("Mulai", "Started")) } }
                @for r in runs.iter().take(12) {
                    tr {
                        td { a href={ "/console/kesiapan?run=" (encode(&r.life.run_id)) } { (r.life.run_id) } }
                        td { (crate::describe::scope(l, &r.scope)) }
                        td { (r.life.status.label(l))
                             @if let Some(p) = &r.life.pause_reason { br; span.muted { (crate::ours::shown(l, p)) } } }
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
}

fn filter_form(l: Lang, f: &Filter, months: &[String], people: &Directory) -> Markup {
    html! {
        form.filters method="get" action="/console/kesiapan" {
            input type="hidden" name="run" value=(f.run.as_deref().unwrap_or(""));
            label { (l.t("Unit (dengan sub-unit)", "Unit (with sub-units)")) input name="unit" id="f-unit" value=(f.unit.as_deref().unwrap_or("")) list="unit-list" size="12" placeholder=(l.t("kode atau nama", "code or name")); }
                (layout::unit_list(people))
            label { (l.t("Layanan", "Service")) (label::select::<Service>(l, "service", f.service)) }
            label { (l.t("Periode", "Period")) select name="period" id="f-period" {
                option value="" selected[f.period.is_none()] { (l.t("semua", "all")) }
                @for m in months { option value=(m) selected[f.period.as_deref() == Some(m.as_str())] { (month_words(l, m)) } }
            } }
            label { (l.t("Batas waktu", "Deadline")) select name="due" id="f-due" {
                option value="" selected[f.due.is_none()] { (l.t("semua", "all")) }
                option value="overdue" selected[f.due == Some(Due::Overdue)] { (l.t("lewat batas waktu", "past the deadline")) }
                option value="month" selected[f.due == Some(Due::Month)] { (l.t("lewat atau bulan ini", "past or this month")) }
            } }
            label { (l.t("Tingkat", "Severity")) (label::select::<Severity>(l, "severity", f.severity)) }
            label { (l.t("Aturan", "Rule")) select name="rule" id="f-rule" {
                option value="" selected[f.rule.is_none()] { (l.t("semua", "all")) }
                @for r in <RuleId as Label>::ALL { option value=(r.code()) selected[f.rule == Some(*r)] { (r.code()) " · " (r.label(l)) } }
            } }
            label { (l.t("Pihak", "Side")) (label::select::<Side>(l, "side", f.side)) }
            label { "NIP" input name="nip" id="f-nip" value=(f.nip.as_deref().unwrap_or("")) size="20"; }
            label { (l.t("Tindak lanjut", "Follow-up")) (label::select::<MarkState>(l, "state", f.state)) }
            button type="submit" id="filter" { (l.t("Saring", "Filter")) }
        }
    }
}

/// Records the follow-up of one readiness finding of the newest run (both roles).
pub async fn mark(State(console): State<Arc<Console>>, c: Ctx, Form(f): Form<MarkForm>) -> Page {
    c.check_csrf(&f.csrf)?;
    let l = c.lang;
    let state = marks::state_of(&c, &f)?;
    let known = view(&console, &Filter::default(), jakarta_date(c.now))
        .await
        .in_page(l)?
        .picked
        .iter()
        .any(|(x, _)| mark_id(x) == f.finding_id);
    if !known {
        return Err(c.bad(l.t(
            "Temuan tidak ada di pemeriksaan terakhir.",
            "No such finding in the newest run.",
        )));
    }
    let what = format!("readiness finding {} → {}", f.finding_id, state.code());
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
    c: Ctx,
    Query(q): Query<KesiapanQuery>,
) -> Page {
    let l = c.lang;
    let f = q.parse().in_page(l)?;
    let v = view(&console, &f, jakarta_date(c.now)).await.in_page(l)?;
    let Some(run) = &v.run else {
        return Err(c.bad(l.t("Belum ada pemeriksaan.", "No run yet.")));
    };
    let lines: Vec<ReadinessLine<'_>> = v
        .picked
        .iter()
        .map(|(finding, mark)| ReadinessLine {
            finding,
            follow_up: mark.as_ref().map(|m| (m.state, m.note.as_str())),
        })
        .collect();
    let people = console.people().await.in_page(l)?;
    let tables = ehrm_sync_core::readiness::tables(run, &lines, &people);
    xlsx(
        &console,
        &c,
        &tables,
        &format!("kesiapan-{}.xlsx", run.today),
    )
    .await
}

/// `2027-03` as `Maret 2027`.
fn month_words(l: Lang, ym: &str) -> String {
    const ID: [&str; 12] = [
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let month: usize = ym.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(0);
    let names = if l == Lang::Id { &ID } else { &EN };
    match (month.checked_sub(1).and_then(|i| names.get(i)), ym.get(..4)) {
        (Some(name), Some(year)) => format!("{name} {year}"),
        _ => ym.to_string(),
    }
}
