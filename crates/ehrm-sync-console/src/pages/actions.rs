//! Tindakan (operators only): replay by status and time window (the CLI's filters), always
//! counted first by a dry run and confirmed; redrive the dead-letter queue; start, resume or
//! restart a reconciliation. Every action is audited with who, when, what and how many.

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use ehrm_sync_core::ports::Scope;
use ehrm_sync_core::replay::{ReplayRequest, replay as run_replay};

use ehrm_sync_domain::record::SyncStatus;

use super::{Ctx, InPage, Page, PageError, when};
use crate::audit::{self, AuditEntry};
use crate::i18n::Lang;
use crate::label::Label;
use crate::{Console, LaunchError, LaunchRequest, Launched, Launcher, layout};

/// The most dead letters one redrive moves.
const REDRIVE_MAX: usize = 10_000;

pub async fn page(State(console): State<Arc<Console>>, c: Ctx) -> Page {
    c.require_operator()?;
    let dead = console.deps.dead_letters.depth().await.ok();
    Ok(show(&c, &console, html! {}, dead))
}

/// Every action's gate: the operator role, the form's CSRF token.
fn operator_post(c: &Ctx, csrf: &str) -> Result<(), PageError> {
    c.require_operator()?;
    c.check_csrf(csrf)
}

fn show(c: &Ctx, console: &Console, outcome: Markup, dead: Option<u64>) -> Response {
    show_with(c, console, outcome, dead, ("dead", "", ""))
}

/// The page, its replay form filled with (status, since, until).
fn show_with(
    c: &Ctx,
    console: &Console,
    outcome: Markup,
    dead: Option<u64>,
    replay: (&str, &str, &str),
) -> Response {
    let l = c.lang;
    let body = html! {
        (outcome)
        h2 { (l.t("Token SSO BKN", "BKN SSO token")) }
        p { a href="/console/tindakan/token-sso" id="to-sso" { (l.t("Lihat dan tempel token SSO BKN", "See and paste the BKN SSO token")) } }
        h2 title=(l.t("Istilah teknis: replay", "Technical term: replay")) { (l.t("Kirim ulang rekaman yang gagal", "Send failed records again")) }
        p.muted { (l.t("Rekaman gagal permanen atau ditolak BKN yang terakhir diperbarui dalam rentang (paling lama 14 hari) dikembalikan ke antrean. Jumlahnya ditampilkan dulu untuk dikonfirmasi.",
                       "Dead or refused records last updated in the window (at most 14 days) go back to the queue. Their number is shown first, for confirmation.")) }
        (replay_form(c, replay.0, replay.1, replay.2, false))
        h2 title=(l.t("Istilah teknis: redrive antrean surat mati (DLQ)", "Technical term: redrive the dead-letter queue (DLQ)")) {
            (l.t("Kirim lagi pesan yang tersisih", "Send set-aside messages again")) }
        p.muted { (l.t("Pesan pengiriman yang berkali-kali tidak dapat diproses disisihkan agar tidak menghambat yang lain. Tombol ini mengembalikannya ke antrean pengiriman.",
                       "Delivery messages that could not be processed many times are set aside so they do not hold up the others. This button puts them back in the delivery queue.")) }
        p { (l.t("Pesan yang tersisih: ", "Messages set aside: ")) strong id="dlq-depth" { (dead.map_or("?".into(), |d| d.to_string())) } }
        form method="post" action="/console/tindakan/redrive" {
            input type="hidden" name="csrf" value=(c.csrf);
            button type="submit" id="redrive" title="redrive" { (l.t("Kembalikan ke antrean", "Put back in the queue")) }
        }
        h2 { (l.t("Rekonsiliasi", "Reconciliation")) }
        @if console.deps.launcher.is_none() {
            p.muted { (l.t("Tidak tersedia di sini.", "Not available here.")) }
        } @else {
            form.filters method="post" action="/console/tindakan/rekon" {
                input type="hidden" name="csrf" value=(c.csrf);
                label { (l.t("Mode", "Mode")) select name="mode" {
                    option value="start" { (l.t("mulai / lanjutkan cakupan ini", "start / resume this scope")) }
                    option value="resume" { (l.t("lanjutkan rekon yang terbuka", "resume the open run")) }
                    option value="restart" { (l.t("mulai ulang (tinggalkan yang terbuka)", "restart (abandon the open run)")) }
                } }
                label { (l.t("Cakupan", "Scope")) select name="scope" {
                    option value="all" { (l.t("semua pegawai", "everyone")) }
                    option value="priority" { (l.t("hanya prioritas", "priority only")) }
                    option value="unit" { "unit" }
                    option value="nip" { "NIP" }
                } }
                label { (l.t("Unit atau NIP", "Unit or NIP")) input name="target" size="20"; }
                button type="submit" id="reconcile" { (l.t("Jalankan", "Run")) }
            }
            h2 { (l.t("Kesiapan KP & Pensiun", "Promotion & retirement readiness")) }
            p.muted { (l.t("«Lanjutkan» meneruskan pemeriksaan yang terbuka, atau memulai pemeriksaan bulan ini bila belum ada (seperti jadwalnya); «mulai ulang» memulai pemeriksaan baru sekarang.",
                           "«Continue» carries on with the open check, or starts this month's when there is none (as its schedule does); «restart» starts a new check now.")) }
            form.filters method="post" action="/console/tindakan/kesiapan" {
                input type="hidden" name="csrf" value=(c.csrf);
                label { (l.t("Mode", "Mode")) select name="mode" {
                    option value="continue" { (l.t("lanjutkan / bulan ini", "continue / this month's")) }
                    option value="restart" { (l.t("mulai ulang sekarang", "restart now")) }
                } }
                button type="submit" id="readiness" { (l.t("Jalankan", "Run")) }
            }
        }
    };
    layout::page(c, l.t("Tindakan", "Actions"), "/console/tindakan", body)
}

fn replay_form(c: &Ctx, status: &str, since: &str, until: &str, confirm: bool) -> Markup {
    let l = c.lang;
    html! {
        form.filters method="post" action="/console/tindakan/replay" {
            input type="hidden" name="csrf" value=(c.csrf);
            @if confirm {
                input type="hidden" name="status" value=(status);
                input type="hidden" name="since" value=(since);
                input type="hidden" name="until" value=(until);
                input type="hidden" name="confirm" value="yes";
                button.danger type="submit" id="replay-confirm" { (l.t("Ya, ulangi semuanya", "Yes, replay them")) }
                a href="/console/tindakan" { (l.t("Batal", "Cancel")) }
            } @else {
                label { "Status" select name="status" {
                    option value="dead" selected[status == "dead"] { (SyncStatus::Dead.label(l)) }
                    option value="failed" selected[status == "failed"] { (SyncStatus::Failed.label(l)) }
                } }
                label { (l.t("Sejak (tanggal)", "Since (date)")) input type="date" name="since" value=(since); }
                label { (l.t("Sampai", "Until")) input type="date" name="until" value=(until); }
                button type="submit" id="replay-count" { (l.t("Hitung dulu, tanpa mengubah apa pun", "Count first, changing nothing")) }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct ReplayForm {
    #[serde(default)]
    csrf: String,
    status: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    confirm: String,
}

fn opt(v: &str) -> Option<&str> {
    Some(v.trim()).filter(|v| !v.is_empty())
}

pub async fn replay(
    State(console): State<Arc<Console>>,
    c: Ctx,
    Form(f): Form<ReplayForm>,
) -> Page {
    operator_post(&c, &f.csrf)?;
    let l = c.lang;
    let d = &console.deps;
    let now = d.clock.now_ms();
    let dry_run = f.confirm != "yes";
    let words = |e: ehrm_sync_core::replay::ReplayError| match l {
        Lang::Id => e.words_id(),
        Lang::En => e.to_string(),
    };
    let request = ReplayRequest::parse(&f.status, opt(&f.since), opt(&f.until), dry_run, now)
        .map_err(|e| c.bad(words(e)))?;
    let report = run_replay(&d.store, &d.queue, &d.clock, &request, &|_, _| {})
        .await
        .map_err(|e| c.bad(words(e)))?;
    let what = format!(
        "status {}, updated {} to {}",
        request.status.as_str(),
        when(request.since),
        when(request.until)
    );
    let dead = d.dead_letters.depth().await.ok();
    if dry_run {
        let n = report.matched.len();
        let outcome = html! {
            div.notice id="replay-dry-run" {
                p { strong { (n) } " " (l.t("rekaman akan diulang", "records would be replayed")) ": "
                    (request.status.label(l)) ", " (l.t("diperbarui ", "updated ")) (when(request.since)) " – " (when(request.until)) "." }
                @if n > 0 { (replay_form(&c, &f.status, &f.since, &f.until, true)) }
            }
        };
        return Ok(show_with(
            &c,
            &console,
            outcome,
            dead,
            (&f.status, &f.since, &f.until),
        ));
    }
    let entry = AuditEntry {
        who: c.user.clone(),
        address: c.address.clone(),
        action: "replay".into(),
        what: what.clone(),
        count: Some(report.replayed as u64),
        people: Vec::new(),
    };
    audit::record_or_log(d.controls.as_ref(), now, entry).await;
    let outcome = html! {
        div.notice id="replay-done" { p { strong { (report.replayed) } " " (l.t("rekaman diantrekan lagi", "records queued again"))
            @if report.skipped > 0 { "; " (report.skipped) " " (l.t("dilewati (berubah sementara itu)", "skipped (changed meanwhile)")) } "." } }
    };
    Ok(show(&c, &console, outcome, dead))
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn redrive(State(console): State<Arc<Console>>, c: Ctx, Form(f): Form<CsrfOnly>) -> Page {
    operator_post(&c, &f.csrf)?;
    let l = c.lang;
    let d = &console.deps;
    let moved = d.dead_letters.redrive(REDRIVE_MAX).await.in_page(l)?;
    let now = d.clock.now_ms();
    let entry = AuditEntry {
        who: c.user.clone(),
        address: c.address.clone(),
        action: "redrive".into(),
        what: "dead-letter queue".into(),
        count: Some(moved),
        people: Vec::new(),
    };
    audit::record_or_log(d.controls.as_ref(), now, entry).await;
    let dead = d.dead_letters.depth().await.ok();
    let outcome = html! { div.notice id="redrive-done" { p { strong { (moved) } " " (l.t("pesan dikembalikan ke antrean", "messages moved back to the queue")) "." } } };
    Ok(show(&c, &console, outcome, dead))
}

#[derive(Deserialize)]
pub struct ReconcileForm {
    #[serde(default)]
    csrf: String,
    mode: String,
    scope: String,
    #[serde(default)]
    target: String,
}

fn scope_of(l: Lang, scope: &str, target: &str) -> Result<Scope, String> {
    let target = target.trim();
    match (scope, target.is_empty()) {
        ("all", _) => Ok(Scope::All),
        ("priority", _) => Ok(Scope::PriorityOnly),
        ("unit", false) => Ok(Scope::Unit(target.to_string())),
        ("nip", false) => ehrm_sync_domain::nip::Nip::parse(target)
            .map(|n| Scope::Nip(n.as_str().to_string()))
            .map_err(|_| {
                l.t(
                    "NIP tidak valid: harus 18 angka dengan susunan NIP PNS atau PPPK.",
                    "Not a valid NIP: it must be 18 digits in the PNS or PPPK layout.",
                )
                .to_string()
            }),
        _ => Err(l
            .t(
                "Isi unit atau NIP untuk cakupan ini.",
                "Give the unit or NIP for this scope.",
            )
            .into()),
    }
}

pub async fn reconcile(
    State(console): State<Arc<Console>>,
    c: Ctx,
    Form(f): Form<ReconcileForm>,
) -> Page {
    let launcher = launch_post(&console, &c, &f.csrf)?;
    let l = c.lang;
    let request = match f.mode.as_str() {
        "resume" => LaunchRequest::Resume,
        mode => match scope_of(l, &f.scope, &f.target) {
            Ok(scope) if mode == "restart" => LaunchRequest::Restart(scope),
            Ok(scope) => LaunchRequest::Start(scope),
            Err(e) => return Err(c.bad(e)),
        },
    };
    if let LaunchRequest::Start(Scope::Unit(u)) | LaunchRequest::Restart(Scope::Unit(u)) = &request
        && let Some(refusal) = unknown_unit(&console, l, u).await
    {
        return Err(c.bad(refusal));
    }
    let started = launcher.reconcile(request.clone()).await;
    let what = match &request {
        LaunchRequest::Start(s) => format!("start {}", s.masked()),
        LaunchRequest::Restart(s) => format!("restart {}", s.masked()),
        LaunchRequest::Resume => "resume".into(),
    };
    let launch = Launch {
        action: "reconcile",
        started_text: l.t("Rekonsiliasi dijalankan: ", "Reconciliation started: "),
        progress: "/console/rekon",
    };
    Ok(after_launch(&c, &console, launch, what, started).await)
}

#[derive(Deserialize)]
pub struct ReadinessForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    mode: String,
}

/// Continues the readiness check or starts this month's (`mode=continue`), or starts a new
/// one now (`mode=restart`).
pub async fn readiness(
    State(console): State<Arc<Console>>,
    c: Ctx,
    Form(f): Form<ReadinessForm>,
) -> Page {
    let launcher = launch_post(&console, &c, &f.csrf)?;
    let l = c.lang;
    let restart = match f.mode.as_str() {
        "continue" => false,
        "restart" => true,
        _ => return Err(c.bad(l.t("Mode tidak dikenal.", "Unknown mode."))),
    };
    let started = launcher.readiness(restart).await;
    let launch = Launch {
        action: "readiness",
        started_text: l.t(
            "Pemeriksaan kesiapan dijalankan: ",
            "Readiness check started: ",
        ),
        progress: "/console/kesiapan",
    };
    let what = if restart { "restart" } else { "continue" };
    Ok(after_launch(&c, &console, launch, what.into(), started).await)
}

/// Why a unit cannot be reconciled, when eHRM's unit map (read at start and every 6 hours)
/// does not hold it: refused before any BKN call. Before the map was first read nothing can
/// be said, and the run goes ahead.
async fn unknown_unit(console: &Console, l: Lang, unit: &str) -> Option<String> {
    use ehrm_sync_core::unor_map::{UnitMapping, lookup};
    match lookup(console.deps.controls.as_ref(), unit).await {
        Ok(UnitMapping::Unknown) => Some(match l {
            Lang::Id => format!(
                "Ditolak: unit {unit} tidak ada di daftar unit eHRM. Periksa kode unitnya (misalnya PU.03.02)."
            ),
            Lang::En => format!(
                "Refused: unit {unit} is not in eHRM's unit list. Check the unit code (e.g. PU.03.02)."
            ),
        }),
        _ => None,
    }
}

/// An operator's launch form, and the launcher (none: this server cannot start runs).
fn launch_post(console: &Console, c: &Ctx, csrf: &str) -> Result<Arc<dyn Launcher>, PageError> {
    operator_post(c, csrf)?;
    console.deps.launcher.clone().ok_or_else(|| {
        c.bad(c.lang.t(
            "Rekonsiliasi dan pemeriksaan kesiapan tidak dapat dijalankan dari sini.",
            "Reconciliation and the readiness check cannot be started from here.",
        ))
    })
}

/// What a launch form started, for the audit and the notice.
struct Launch {
    /// The audit's action, and the notice's id (`<action>-started`, `<action>-refused`).
    action: &'static str,
    started_text: &'static str,
    /// The page that shows its progress.
    progress: &'static str,
}

/// Audits a launch and shows how it went.
async fn after_launch(
    c: &Ctx,
    console: &Console,
    launch: Launch,
    what: String,
    started: Result<Launched, LaunchError>,
) -> Response {
    let l = c.lang;
    let entry = AuditEntry {
        who: c.user.clone(),
        address: c.address.clone(),
        action: launch.action.into(),
        what: match &started {
            Ok(Launched::Busy { run_id }) => format!("{what}: refused: {run_id} is busy elsewhere"),
            Ok(_) => what,
            Err(e) => format!("{what}: refused: {e}"),
        },
        count: None,
        people: Vec::new(),
    };
    let now = console.deps.clock.now_ms();
    audit::record_or_log(console.deps.controls.as_ref(), now, entry).await;
    let dead = console.deps.dead_letters.depth().await.ok();
    let outcome = match started {
        Ok(Launched::Busy { run_id }) => {
            let text = match l {
                Lang::Id => format!(
                    "Ditolak: proses {run_id} sedang dikerjakan proses lain. Tunggu sampai selesai."
                ),
                Lang::En => format!(
                    "Refused: run {run_id} is being worked on by another process. Wait until it finishes."
                ),
            };
            html! { div.error id={ (launch.action) "-refused" } { p { (text) }
            p { a href=(launch.progress) { (l.t("Lihat kemajuannya", "See its progress")) } } } }
        }
        Ok(s) => html! { div.notice id={ (launch.action) "-started" } {
        p { (launch.started_text) (launched_text(l, &s)) }
        p { a href=(launch.progress) { (l.t("Lihat kemajuannya", "See its progress")) } } } },
        Err(e) => {
            html! { div.error id={ (launch.action) "-refused" } { p { (launch_error_text(l, &e)) } } }
        }
    };
    show(c, console, outcome, dead)
}

fn launch_error_text(l: Lang, e: &LaunchError) -> String {
    match e {
        LaunchError::OtherRunOpen { run_id, scope } => match l {
            Lang::Id => format!(
                "Ditolak: proses {run_id} ({scope}) belum selesai. Lanjutkan proses itu, atau mulai ulang."
            ),
            Lang::En => {
                format!("Refused: run {run_id} ({scope}) is not finished. Continue it, or restart.")
            }
        },
        LaunchError::Unavailable(why) => match l {
            Lang::Id => format!("Tidak dapat dijalankan: {why}"),
            Lang::En => format!("Could not be started: {why}"),
        },
    }
}

fn launched_text(l: Lang, launched: &Launched) -> String {
    match launched {
        Launched::InBackground => l
            .t("berjalan di latar belakang", "running in the background")
            .into(),
        Launched::Invoked { function } => match l {
            Lang::Id => format!("{function} dipanggil, berjalan di latar belakang"),
            Lang::En => format!("{function} invoked, running in the background"),
        },
        Launched::Finished { run_id, findings } => match l {
            Lang::Id => format!("{run_id} selesai, {findings} temuan"),
            Lang::En => format!("{run_id} finished, {findings} findings"),
        },
        Launched::Paused { run_id, reason } => match l {
            Lang::Id => format!("{run_id} dijeda: {reason}"),
            Lang::En => format!("{run_id} paused: {reason}"),
        },
        Launched::Busy { run_id } => match l {
            Lang::Id => format!("{run_id} sedang dikerjakan proses lain"),
            Lang::En => format!("{run_id} is being worked on by another process"),
        },
        Launched::Idle => l
            .t(
                "tidak ada yang perlu dijalankan; yang terakhir masih baru",
                "nothing to run; the last run is recent",
            )
            .into(),
    }
}
