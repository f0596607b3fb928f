//! Ringkasan: records by status with the oldest pending, dead letters, the breaker and its
//! recent opens and closes, the last sweep and reconciliation runs, open findings per unit and
//! priority, and the charts (deliveries per hour by outcome, BKN calls per minute against the
//! configured rate, backlog, findings of the last run).

use ehrm_sync_core::people::Directory;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::{Query, State};
use maud::{Markup, html};
use serde::Deserialize;

use ehrm_sync_core::breaker::{BreakerEvent, BreakerMode};
use ehrm_sync_core::ports::AttemptOutcome;
use ehrm_sync_core::ports::MarkState;
use ehrm_sync_core::ports::{self as series, BACKLOG, BKN_CALLS, HOUR_MS, MINUTE_MS};
use ehrm_sync_core::status::{Overview, overview};
use ehrm_sync_domain::rate::GateState;
use ehrm_sync_domain::reconcile::{DataSet, Priority};
use ehrm_sync_domain::record::Millis;

use super::{Ctx, InPage, Page, when};
use crate::charts::{self, Column};
use crate::i18n::Lang;
use crate::label::Label;
use crate::{Console, layout};

const OUTCOMES: [AttemptOutcome; 4] = [
    AttemptOutcome::Delivered,
    AttemptOutcome::Transient,
    AttemptOutcome::Permanent,
    AttemptOutcome::NeedsAction,
];

#[derive(Deserialize, Default)]
pub struct Range {
    /// `24h` (default) or `7d`.
    range: Option<String>,
}

pub async fn page(State(console): State<Arc<Console>>, c: Ctx, Query(q): Query<Range>) -> Page {
    let l = c.lang;
    let d = &console.deps;
    let o = overview(
        d.store.as_ref(),
        d.controls.as_ref(),
        d.dead_letters.as_ref(),
        d.reconcile.as_ref(),
        d.gate.as_ref(),
    )
    .await
    .in_page(l)?;
    let week = q.range.as_deref() == Some("7d");
    let charts = chart_section(&console, &c, &o, week).await.in_page(l)?;
    let open = open_findings(&console, &o).await.in_page(l)?;
    let blocked = super::kesiapan::blocked_per_unit(&console)
        .await
        .in_page(l)?;
    let (sso_status, sso_standing) = d.sso.standing().await.in_page(l)?;
    let last_call = last_bkn_call(d.series.as_ref(), c.now).await.in_page(l)?;
    let people = console.people().await.in_page(l)?;
    let readiness = super::kesiapan::runs(&console).await.in_page(l)?;
    let body = html! {
        (status_cards(l, &o))
        h2 { (l.t("Login SSO BKN", "BKN SSO login")) }
        (super::sso::facts(l, &sso_status, sso_standing, c.now))
        (breaker_section(l, &o, last_call))
        (charts)
        (open_section(l, &open, &people))
        (readiness_runs(l, &readiness))
        (blocked_section(l, &blocked, &people))
    };
    Ok(layout::page(
        &c,
        l.t("Ringkasan", "Overview"),
        "/console/",
        body,
    ))
}

fn status_cards(l: Lang, o: &Overview) -> Markup {
    let bad = |s: &str| matches!(s, "failed" | "dead" | "needs_action");
    html! {
        div.cards {
            @for (status, n) in &o.records {
                div class={ "card" @if bad(status.as_str()) && *n > 0 { " bad" } } id={ "count-" (status.as_str()) } {
                    div.n { (n) }
                    div { (status.label(l)) }
                }
            }
            div class={ "card" @if o.dead_letters > 0 { " bad" } } id="count-dlq" {
                div.n { (o.dead_letters) }
                div title=(l.t("Istilah teknis: antrean surat mati (DLQ)", "Technical term: dead-letter queue (DLQ)")) { (l.t("pesan tersisih (tidak dapat diproses)", "messages set aside (could not be processed)")) }
            }
        }
        p {
            (l.t("Menunggu paling lama sejak: ", "Oldest pending since: "))
            strong { (o.oldest_pending.map_or_else(|| "—".to_string(), when)) }
            " · " span title=(l.t("Istilah teknis: penyapuan (sweep)", "Technical term: sweep")) { (l.t("Pemeriksaan terakhir atas rekaman yang terlewat: ", "Last check for records left behind: ")) }
            @match &o.last_sweep {
                Some(s) => { (when(s.at)) " (" (s.examined) " " (l.t("rekaman sudah waktunya dikirim", "records due")) ", " (s.queued) " " (l.t("dimasukkan lagi ke antrean", "put back in the queue")) ")" }
                None => { "—" }
            }
        }
    }
}

/// The minute of the last call to BKN within a week, from the calls-per-minute series.
async fn last_bkn_call(
    s: &dyn ehrm_sync_core::ports::Series,
    now: Millis,
) -> Result<Option<Millis>, ehrm_sync_core::ports::StoreError> {
    let points = s
        .series(BKN_CALLS, now - 7 * DAY_MS, now + MINUTE_MS)
        .await?;
    Ok(points.iter().filter(|(_, v)| *v > 0).map(|(b, _)| *b).max())
}

fn breaker_section(l: Lang, o: &Overview, last_call: Option<Millis>) -> Markup {
    let (class, text) = match o.breaker.as_ref().map(|b| b.mode) {
        None | Some(BreakerMode::Closed) => ("ok", l.t("BKN dapat dihubungi", "BKN reachable")),
        Some(BreakerMode::Open) => (
            "bad",
            l.t(
                "BKN sedang tidak dihubungi (terlalu banyak gangguan); pengiriman menunggu",
                "BKN is not being called (too many failures); deliveries wait",
            ),
        ),
        Some(BreakerMode::HalfOpen) => (
            "warn",
            l.t(
                "Mencoba BKN lagi dengan satu panggilan",
                "Trying BKN again with one call",
            ),
        ),
    };
    html! {
        h2 title=(l.t("Istilah teknis: pemutus sirkuit (circuit breaker)", "Technical term: circuit breaker")) { (l.t("Hubungan ke BKN", "Connection to BKN")) }
        p id="breaker" class=(class) {
            strong { (text) }
            @if let Some(b) = &o.breaker {
                @if let Some(reason) = &b.reason { " — " span.message { (crate::ours::shown(l, reason)) } }
                @if let (BreakerMode::Open, Some(at)) = (b.mode, b.retry_at) { " · " (l.t("uji berikutnya ", "next probe ")) (when(at)) }
            }
            " · " span id="last-bkn-call" { @match last_call {
                Some(at) => { (l.t("panggilan BKN terakhir: ", "last call to BKN: ")) (when(at)) }
                None => { (l.t("belum ada panggilan BKN dalam 7 hari", "no call to BKN in 7 days")) }
            } }
        }
        @if !o.breaker_events.is_empty() {
            table {
                tr { th { (l.t("Waktu", "Time")) } th { (l.t("Kejadian", "Event")) } th { (l.t("Alasan", "Reason")) } }
                @for (at, e) in &o.breaker_events {
                    tr {
                        td { (when(*at)) }
                        @match e {
                            BreakerEvent::Opened { reason, consecutive_failures, .. } => {
                                td.bad { (l.t("dihentikan sementara", "stopped calling")) " (" (consecutive_failures) (l.t(" gangguan berturut-turut)", " failures in a row)")) }
                                td.message { (crate::ours::shown(l, reason.as_deref().unwrap_or(""))) }
                            }
                            BreakerEvent::Closed { was_open_ms, reason } => {
                                td.ok { (l.t("pulih", "resumed")) " (" (l.t("setelah ", "after ")) (was_open_ms / 60_000) (l.t(" menit", " min")) ")" }
                                td.message { (crate::ours::shown(l, reason)) }
                            }
                        }
                    }
                }
            }
        }
        h2 { (l.t("Rekonsiliasi terakhir", "Last reconciliation runs")) }
        @if o.reconciliation_runs.is_empty() { p.muted { (l.t("Belum ada.", "None yet.")) } }
        @for r in o.reconciliation_runs.iter().take(3) {
            p { a href={ "/console/rekon/" (r.run_id) } { (r.run_id) } " — " (crate::describe::scope(l, &r.scope)) ", " (r.status.label(l))
                ", " (r.employees_done) "/" (r.employees_total) " " (l.t("pegawai", "employees")) ", " (r.bkn_calls) " " (l.t("panggilan BKN", "BKN calls"))
                ", " (r.rows.unwrap_or(0)) " " (l.t("temuan", "findings"))
                @if let Some(p) = &r.pause_reason { br; span.muted { (crate::ours::shown(l, p)) } } }
        }
    }
}

/// Buckets from `from` to `until` of `width`, with the series' values (missing = 0).
fn filled(
    points: &[(Millis, i64)],
    from: Millis,
    until: Millis,
    width: Millis,
) -> Vec<(Millis, f64)> {
    let by: HashMap<Millis, i64> = points.iter().copied().collect();
    (0..)
        .map(|i| from + i * width)
        .take_while(|b| *b < until)
        .map(|b| (b, by.get(&b).copied().unwrap_or(0) as f64))
        .collect()
}

const DAY_MS: Millis = 24 * HOUR_MS;
/// Jakarta is UTC+7 all year.
const WIB_OFFSET_MS: Millis = 7 * HOUR_MS;

/// The start of the Jakarta day holding `ms`.
fn jakarta_midnight(ms: Millis) -> Millis {
    (ms + WIB_OFFSET_MS).div_euclid(DAY_MS) * DAY_MS - WIB_OFFSET_MS
}

/// Hourly columns from `from` (a Jakarta midnight) summed into one column per day, labelled
/// `dd/mm`, oldest first.
fn by_day(hourly: Vec<Column>, from: Millis) -> Vec<Column> {
    let mut days: Vec<Column> = Vec::new();
    for (i, col) in hourly.into_iter().enumerate() {
        let day = i / 24;
        if days.len() <= day {
            let date = when(from + day as i64 * DAY_MS);
            let label = match (date.get(8..10), date.get(5..7)) {
                (Some(d), Some(m)) => format!("{d}/{m}"),
                _ => date,
            };
            days.push(Column {
                label,
                parts: col.parts.iter().map(|(k, _)| (*k, 0.0)).collect(),
            });
        }
        if let Some(d) = days.get_mut(day) {
            for (sum, (_, v)) in d.parts.iter_mut().zip(&col.parts) {
                sum.1 += v;
            }
        }
    }
    days
}

fn hour_label(ms: Millis) -> String {
    let t = when(ms);
    t.get(11..16).unwrap_or("").to_string()
}

/// The charts' titles (deliveries, their x axis, calls, backlog, findings).
fn chart_titles(
    l: Lang,
    week: bool,
) -> (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
) {
    let t_deliveries = if week {
        l.t(
            "Pengiriman per hari menurut hasil (7 hari)",
            "Deliveries per day by outcome (7 days)",
        )
    } else {
        l.t(
            "Pengiriman per jam menurut hasil (24 jam)",
            "Deliveries per hour by outcome (24 hours)",
        )
    };
    let x_deliveries = if week {
        l.t("tanggal", "date")
    } else {
        l.t("jam (WIB)", "hour (WIB)")
    };
    let t_calls = l.t(
        "Panggilan BKN per menit (garis: laju saat ini)",
        "BKN calls per minute (line: the rate now)",
    );
    let t_backlog = l.t(
        "Rekaman yang sudah waktunya dikirim (tiap pemeriksaan)",
        "Records due, found by each check",
    );
    let t_findings = l.t(
        "Temuan rekon terakhir per set data × prioritas",
        "Findings of the last run by data set × priority",
    );
    (t_deliveries, x_deliveries, t_calls, t_backlog, t_findings)
}

async fn chart_section(
    console: &Console,
    c: &Ctx,
    o: &Overview,
    week: bool,
) -> Result<Markup, ehrm_sync_core::ports::StoreError> {
    let l = c.lang;
    let s = console.deps.series.as_ref();
    let now = console.deps.clock.now_ms();
    let until = series::bucket(now, HOUR_MS) + HOUR_MS;
    // A week is seven Jakarta days, today's included, one bar per day in order.
    let from = if week {
        jakarta_midnight(now) - 6 * DAY_MS
    } else {
        until - 24 * HOUR_MS
    };
    let hourly = delivery_columns(s, from, until).await?;
    let deliveries = if week { by_day(hourly, from) } else { hourly };
    let call_cols = call_columns(s, now).await?;
    let backlog_pts = s.series(BACKLOG, from, until).await?;
    let backlog: Vec<(String, f64)> = backlog_pts
        .iter()
        .map(|(b, v)| (hour_label(*b), *v as f64))
        .collect();
    let findings = findings_columns(l, o);
    // The line is the shared adaptive rate now (the configured ceiling before any call).
    let rate_now = o
        .bkn_rate
        .as_ref()
        .map_or(console.settings.bkn_rate_per_sec, |g| g.rate);
    let rate_per_min = rate_now * 60.0;
    let legend = [
        ("delivered", l.t("terkirim", "delivered")),
        ("transient", l.t("gangguan sementara", "transient")),
        ("permanent", l.t("ditolak", "refused")),
        ("needs_action", l.t("perlu tindakan", "needs action")),
    ];
    let (t_deliveries, x_deliveries, t_calls, t_backlog, t_findings) = chart_titles(l, week);
    let priorities = Priority::ALL.map(|p| (p.as_str(), p.label(l)));
    let calls_name = [("calls", l.t("panggilan", "calls"))];
    let empty = |what| html! { p.muted.empty-chart { (what) } };
    let no_data = l.t(
        "Belum ada data dalam rentang ini.",
        "No data in this range yet.",
    );
    Ok(html! {
        h2 { (l.t("Grafik", "Charts")) }
        p {
            a href="/console/?range=24h" { "24 " (l.t("jam", "h")) } " · " a href="/console/?range=7d" { "7 " (l.t("hari", "d")) }
        }
        div.charts {
            figure id="chart-deliveries" { figcaption { (t_deliveries) }
                @if charts::has_values(&deliveries) {
                    (charts::stacked_bars(t_deliveries, charts::Axes { x: x_deliveries, y: l.t("pengiriman", "deliveries"), names: &legend }, &deliveries, None)) (charts::legend(&legend))
                } @else { (empty(no_data)) } }
            figure id="chart-calls" { figcaption { (t_calls) }
                (charts::stacked_bars(t_calls, charts::Axes { x: l.t("menit (WIB), 60 menit terakhir", "minute (WIB), last 60 minutes"), y: l.t("panggilan per menit", "calls per minute"), names: &calls_name }, &call_cols, Some(rate_per_min)))
                (rate_changes(l, o.bkn_rate.as_ref(), console.settings.bkn_rate_per_sec)) }
            figure id="chart-backlog" { figcaption { (t_backlog) }
                @if backlog.is_empty() { (empty(l.t("Belum ada pemeriksaan tercatat.", "No check recorded yet."))) }
                @else { (charts::line(t_backlog, charts::Axes { x: l.t("jam (WIB)", "hour (WIB)"), y: l.t("rekaman", "records"), names: &[] }, &backlog)) } }
            figure id="chart-findings" { figcaption { (t_findings) }
                @if charts::has_values(&findings) {
                    (charts::stacked_bars(t_findings, charts::Axes { x: l.t("set data", "data set"), y: l.t("temuan", "findings"), names: &priorities }, &findings, None))
                    (charts::legend(&priorities))
                } @else { (empty(l.t("Belum ada rekonsiliasi yang selesai, atau tanpa temuan.", "No finished reconciliation yet, or no findings."))) } }
        }
    })
}

/// The adaptive rate in words, and its last changes (cuts after BKN's `429`, recoveries).
fn rate_changes(l: Lang, gate: Option<&GateState>, configured: f64) -> Markup {
    let Some(g) = gate else {
        return html! { p.muted id="bkn-rate" { (l.t("Laju BKN: ", "BKN rate: ")) (format!("{configured:.2}")) (l.t(" panggilan/detik (belum ada panggilan)", " calls/s (no call yet)")) } };
    };
    html! {
        p id="bkn-rate" {
            (l.t("Laju BKN sekarang: ", "BKN rate now: ")) strong { (format!("{:.2}", g.rate)) } (l.t(" panggilan/detik", " calls/s"))
            " (" (l.t("batas atas ", "ceiling ")) (format!("{:.2}", g.ceiling)) ", " (l.t("batas bawah ", "floor ")) (format!("{:.2}", g.floor)) ")"
            @if let Some(limit) = g.limit_seen { "; " (l.t("BKN terakhir membatasi pada ", "BKN last throttled at ")) (format!("{limit:.2}")) }
        }
        @if !g.changes.is_empty() {
            table.rate-changes {
                thead { tr { th { (l.t("Waktu", "Time")) } th { (l.t("Dari", "From")) } th { (l.t("Ke", "To")) } th { (l.t("Sebab", "Why")) } } }
                tbody { @for c in g.changes.iter().rev().take(5) { tr {
                    td { (when(c.at)) } td { (format!("{:.2}", c.from)) } td { (format!("{:.2}", c.to)) }
                    td { @if c.why == "429" { (l.t("BKN menjawab 429: laju diturunkan", "BKN answered 429: cut")) } @else { (l.t("pulih ke batas atas", "back at the ceiling")) } }
                } } }
            }
        }
    }
}

/// Attempts per hour, stacked by outcome.
async fn delivery_columns(
    s: &dyn ehrm_sync_core::ports::Series,
    from: Millis,
    until: Millis,
) -> Result<Vec<Column>, ehrm_sync_core::ports::StoreError> {
    let mut per_outcome = Vec::new();
    for o in OUTCOMES {
        let pts = s.series(&series::outcome_series(o), from, until).await?;
        per_outcome.push((o.as_str(), filled(&pts, from, until, HOUR_MS)));
    }
    let hours = ((until - from) / HOUR_MS) as usize;
    Ok((0..hours)
        .map(|i| Column {
            label: hour_label(from + i as i64 * HOUR_MS),
            parts: per_outcome
                .iter()
                .map(|(name, v)| (*name, v.get(i).map_or(0.0, |p| p.1)))
                .collect(),
        })
        .collect())
}

/// BKN calls per minute over the last hour.
async fn call_columns(
    s: &dyn ehrm_sync_core::ports::Series,
    now: Millis,
) -> Result<Vec<Column>, ehrm_sync_core::ports::StoreError> {
    let until = series::bucket(now, MINUTE_MS) + MINUTE_MS;
    let from = until - 60 * MINUTE_MS;
    let calls = filled(
        &s.series(BKN_CALLS, from, until).await?,
        from,
        until,
        MINUTE_MS,
    );
    Ok(calls
        .iter()
        .map(|(b, v)| Column {
            label: hour_label(*b),
            parts: vec![("calls", *v)],
        })
        .collect())
}

/// A data set's name short enough for a bar's label.
fn short_name(l: Lang, d: DataSet) -> &'static str {
    match d {
        DataSet::Pegawai => l.t("pegawai", "employees"),
        DataSet::Jabatan => l.t("jabatan", "positions"),
        DataSet::PejabatStruktural => l.t("struktural", "structural"),
        DataSet::Unor => l.t("unit", "units"),
        DataSet::Kinerja => l.t("kinerja", "performance"),
    }
}

fn findings_columns(l: Lang, o: &Overview) -> Vec<Column> {
    let last = o.reconciliation_runs.iter().find(|r| r.counts.is_some());
    let mut by: BTreeMap<DataSet, BTreeMap<Priority, f64>> = BTreeMap::new();
    for count in last.and_then(|r| r.counts.as_ref()).into_iter().flatten() {
        *by.entry(count.data_set)
            .or_default()
            .entry(count.priority)
            .or_default() += count.count as f64;
    }
    DataSet::ALL
        .iter()
        .map(|d| Column {
            label: short_name(l, *d).to_string(),
            parts: Priority::ALL
                .iter()
                .map(|p| {
                    (
                        p.as_str(),
                        by.get(d).and_then(|m| m.get(p)).copied().unwrap_or(0.0),
                    )
                })
                .collect(),
        })
        .collect()
}

/// Open findings of the last finished run, per unit and priority (most first).
async fn open_findings(
    console: &Console,
    o: &Overview,
) -> Result<Vec<(String, BTreeMap<Priority, u64>)>, ehrm_sync_core::ports::StoreError> {
    let Some(run) = o.reconciliation_runs.iter().find(|r| r.counts.is_some()) else {
        return Ok(Vec::new());
    };
    let rows = super::rekon::rows_of(console, &run.run_id, true).await?;
    let marks = super::rekon::marks_by_id(console).await?;
    let mut by: HashMap<String, BTreeMap<Priority, u64>> = HashMap::new();
    for (r, id) in rows.iter() {
        let state = crate::findings::state_of(marks.get(id));
        if state == MarkState::Open {
            let unit = r.unit_code().unwrap_or("—").to_string();
            *by.entry(unit).or_default().entry(r.priority).or_default() += 1;
        }
    }
    let mut out: Vec<_> = by.into_iter().collect();
    out.sort_by_key(|(u, m)| (std::cmp::Reverse(m.values().sum::<u64>()), u.clone()));
    Ok(out)
}

/// The newest readiness checks as they stand: running (with progress), paused (with the
/// reason), finished.
fn readiness_runs(l: Lang, runs: &[ehrm_sync_core::readiness::ReadinessRun]) -> Markup {
    html! {
        h2 { (l.t("Pemeriksaan kesiapan terakhir", "Last readiness checks")) }
        @if runs.is_empty() { p.muted { (l.t("Belum ada.", "None yet.")) } }
        @for r in runs.iter().take(2) {
            p.readiness-run { a href={ "/console/kesiapan?run=" (crate::findings::encode(&r.life.run_id)) } { (r.life.run_id) }
                " — " (crate::describe::scope(l, &r.scope)) ", " (r.life.status.label(l))
                ", " (r.done) "/" (r.people) " " (l.t("orang", "people")) ", " (r.life.bkn_calls) " " (l.t("panggilan BKN", "BKN calls"))
                ", " (r.findings) " " (l.t("temuan", "findings"))
                @if let Some(p) = &r.life.pause_reason { br; span.muted { (crate::ours::shown(l, p)) } } }
        }
    }
}

/// Readiness at a glance: people whose promotion or retirement is blocked, per unit.
fn blocked_section(l: Lang, blocked: &[(String, usize, usize)], people: &Directory) -> Markup {
    html! {
        h2 { (l.t("Kesiapan: pegawai yang terhambat per unit (pemeriksaan terakhir)", "Readiness: people blocked per unit (newest check)")) }
        @if blocked.is_empty() { p.muted { (l.t("Tidak ada pegawai yang terhambat, atau belum ada pemeriksaan.", "Nobody blocked, or no check yet.")) } }
        @else {
            table id="blocked-per-unit" {
                tr { th { "Unit" } th.num { (l.t("Kenaikan pangkat", "Promotion")) } th.num { (l.t("Pensiun", "Retirement")) } }
                @for (unit, kp, pensiun) in blocked.iter().take(30) {
                    tr { td { a href={ "/console/kesiapan?severity=block&unit=" (crate::findings::encode(unit)) } { (people.unit_label(unit)) } }
                        td.num { (kp) } td.num { (pensiun) } }
                }
            }
        }
    }
}

fn open_section(l: Lang, open: &[(String, BTreeMap<Priority, u64>)], people: &Directory) -> Markup {
    html! {
        h2 { (l.t("Temuan terbuka per unit dan prioritas (rekon terakhir)", "Open findings per unit and priority (last run)")) }
        @if open.is_empty() { p.muted { (l.t("Tidak ada temuan terbuka.", "No open findings.")) } }
        @else {
            table id="open-findings" {
                tr { th { "Unit" } @for p in Priority::ALL { th.num { (p.label(l)) } } th.num { (l.t("Jumlah", "Total")) } }
                @for (unit, m) in open.iter().take(30) {
                    tr { td { (people.unit_label(unit)) }
                        @for p in Priority::ALL { td.num { (m.get(&p).copied().unwrap_or(0)) } }
                        td.num { (m.values().sum::<u64>()) } }
                }
            }
            @if open.len() > 30 { p.muted { (open.len() - 30) " " (l.t("unit lainnya", "more units")) } }
        }
    }
}
