//! The console in a real browser: headless Chromium driven over WebDriver (`chromedriver`,
//! installed by the test command) against `ehrm-sync serve` with both simulators. An operator
//! and an HR officer do what they came for; a screenshot of every page is kept under
//! `target/console-screenshots/`.

use std::collections::{HashMap, HashSet};
use std::io::Cursor;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use calamine::{Data, Reader, Xlsx};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use ehrm_sync_core::ports::{ReconcileStore, RunStatus, SyncStore};
use ehrm_sync_devkit::events::{SignedEvent, upsert_body};
use ehrm_sync_devkit::world::{ReconcileWorld, WorldSpec};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::record::SyncStatus;
use ehrm_sync_local::{LocalSettings, Runtime};
use ehrm_sync_population::{Employee, Kinerja};
use ehrm_sync_tests::console::{OPERATOR, VIEWER, users_text};
use ehrm_sync_tests::harness::{fast_env, loopback};
use siasn_sim::Faults;

const REFUSAL: &str = "Data penilai tidak ditemukan di SIASN (NIP penilai salah)";

pub(crate) struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub(crate) async fn browser() -> (Client, Driver) {
    let port = free_port();
    let driver =
        Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (the test command installs Debian's chromium-driver)");
    let driver = Driver(driver);
    let caps = json!({"goog:chromeOptions": {"args": [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"
    ]}});
    let caps = caps.as_object().cloned().expect("an object");
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let started = Instant::now();
    loop {
        let attempt = ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await;
        match attempt {
            Ok(c) => {
                // Elements a submitted form's answer brings are waited for, up to 10 s on an idle machine.
                let timeouts = fantoccini::wd::TimeoutConfiguration::new(
                    None,
                    Some(ehrm_sync_tests::patience::secs(30)),
                    Some(ehrm_sync_tests::patience::secs(10)),
                );
                c.update_timeouts(timeouts).await.expect("timeouts");
                return (c, driver);
            }
            Err(e) if started.elapsed() < ehrm_sync_tests::patience::secs(20) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("no WebDriver session: {e}"),
        }
    }
}

pub(crate) fn shots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/console-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

pub(crate) async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "{name} is a PNG");
    std::fs::write(shots_dir().join(format!("{name}.png")), png).expect("write screenshot");
}

/// The page's width and the window's, in CSS pixels, once the window is `width` wide.
pub(crate) async fn widths_at(c: &Client, width: u32) -> (i64, i64) {
    c.set_window_size(width, 900).await.expect("window size");
    let got = c
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .expect("widths");
    let n = |i: usize| got[i].as_i64().expect("a number");
    (n(0), n(1))
}

/// The page fits an office screen (1366 px) and a phone (390 px) without sideways scrolling;
/// screenshots of both.
pub(crate) async fn fits_both_widths(c: &Client, name: &str) {
    for width in [1366, 390] {
        let (page, window) = widths_at(c, width).await;
        shot(c, &format!("{name}-{width}")).await;
        assert!(
            page <= window,
            "{name} at {width} px: the page is {page} px wide in a {window} px window"
        );
    }
    c.set_window_size(1400, 1000).await.expect("window size");
}

pub(crate) async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .expect(css)
        .text()
        .await
        .expect("text")
}

pub(crate) async fn fill(c: &Client, css: &str, value: &str) {
    let e = c.find(Locator::Css(css)).await.expect(css);
    e.clear().await.expect("clear");
    e.send_keys(value).await.expect("type");
}

pub(crate) async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .expect(css)
        .click()
        .await
        .expect("click");
}

async fn choose(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .expect(css)
        .select_by_value(value)
        .await
        .expect("choose");
}

/// Waits until the page's address contains `needle` (a form was submitted, its answer loaded).
pub(crate) async fn wait_for_url(c: &Client, needle: &str) {
    let started = Instant::now();
    while !c
        .current_url()
        .await
        .expect("url")
        .as_str()
        .contains(needle)
    {
        assert!(
            started.elapsed() < ehrm_sync_tests::patience::secs(10),
            "no page with {needle}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn login(c: &Client, base: &str, user: &str, password: &str) {
    c.goto(&format!("{base}/console/login"))
        .await
        .expect("login page");
    fill(c, "input[name=user]", user).await;
    fill(c, "input[name=password]", password).await;
    click(c, "#login").await;
    let started = Instant::now();
    while c.current_url().await.expect("url").path() != "/console/" {
        assert!(
            started.elapsed() < ehrm_sync_tests::patience::secs(10),
            "signed in as {user}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `serve` over `world`'s simulators with the test users and quick retries; `extra` adds or
/// overrides variables. The store lives as long as the value.
pub(crate) struct Served {
    pub runtime: Runtime,
    pub base: String,
    pub env: HashMap<String, String>,
    _dir: tempfile::TempDir,
}

pub(crate) async fn serve_world(world: &ReconcileWorld, extra: Vec<(&str, String)>) -> Served {
    let dir = tempfile::tempdir().expect("temp dir");
    let users = dir.path().join("users.txt");
    std::fs::write(&users, users_text()).expect("users file");
    let mut env = world.env.clone();
    for (k, v) in fast_env() {
        env.insert(k.into(), v);
    }
    env.insert("CONSOLE_USERS_FILE".into(), users.display().to_string());
    for (k, v) in extra {
        env.insert(k.into(), v);
    }
    let settings = LocalSettings::from_env(&env, dir.path().join("store.db"), loopback(), 2)
        .expect("settings");
    let runtime = Runtime::start(settings).await.expect("serve");
    let base = format!("http://{}", runtime.addr);
    Served {
        runtime,
        base,
        env,
        _dir: dir,
    }
}

/// The first employee eHRM holds an annual record for, and that record.
pub(crate) fn annual_record(world: &ReconcileWorld) -> (&Employee, &Kinerja) {
    let employee = world
        .injected
        .ehrm
        .employees
        .iter()
        .find(|e| e.kinerja.iter().any(|k| k.jenis == "tahunan"))
        .expect("someone");
    let record = employee
        .kinerja
        .iter()
        .find(|k| k.jenis == "tahunan")
        .expect("annual");
    (employee, record)
}

/// Sends version 2 of `record` with another appraiser than BKN holds: a save BKN must make.
pub(crate) async fn send_new_appraiser(
    served: &Served,
    employee: &Employee,
    record: &Kinerja,
    id: &str,
) {
    let mut body = upsert_body(employee, record, 2);
    body["data"]["penilai"] = json!({
        "nip": "197001011995031001", "nama": "Penilai Pengganti", "jabatan": "Direktur",
        "unor_nama": "Direktorat", "golongan_id": "41", "status": "ASN"
    });
    let secret =
        ehrm_sync_webhook::Secret::parse(served.env.get("EHRM_WEBHOOK_SECRET").expect("secret"))
            .expect("whsec");
    let event = SignedEvent::sign(&secret, id, body.to_string().into_bytes());
    let (status, _) = event
        .send(&reqwest::Client::new(), &served.base)
        .await
        .expect("ingest");
    assert_eq!(status, 202);
}

/// Starts a reconciliation from the Tindakan page and waits for a new finished run.
async fn reconcile_from_console(
    c: &Client,
    base: &str,
    store: &dyn ReconcileStore,
    shot_name: Option<&str>,
) -> String {
    let before: HashSet<String> = store
        .runs(50)
        .await
        .expect("runs")
        .into_iter()
        .map(|r| r.run_id)
        .collect();
    c.goto(&format!("{base}/console/tindakan"))
        .await
        .expect("actions");
    choose(c, "select[name=mode]", "start").await;
    choose(c, "select[name=scope]", "all").await;
    click(c, "#reconcile").await;
    c.find(Locator::Css("#reconcile-started"))
        .await
        .expect("started");
    if let Some(name) = shot_name {
        shot(c, name).await;
    }
    let started = Instant::now();
    loop {
        let runs = store.runs(50).await.expect("runs");
        if let Some(r) = runs
            .iter()
            .find(|r| !before.contains(&r.run_id) && r.rows.is_some())
        {
            return r.run_id.clone();
        }
        assert!(
            started.elapsed() < ehrm_sync_tests::patience::secs(120),
            "the run finishes"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// An HR officer filters Gagal by their unit: the refused record is there, with the
/// employee's name from eHRM's list.
async fn failed_in_my_unit(c: &Client, served: &Served, employee: &Employee) {
    let started = Instant::now();
    while ehrm_sync_core::people::fetched_at(&served.runtime.store)
        .await
        .expect("the list")
        == 0
    {
        assert!(
            started.elapsed() < ehrm_sync_tests::patience::secs(60),
            "eHRM's employees are read at start"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    c.goto(&format!("{}/console/gagal", served.base))
        .await
        .expect("gagal");
    fill(c, "#f-unit", &employee.unor_id).await;
    click(c, "#filter").await;
    wait_for_url(c, "unit=").await;
    let listed = text_of(c, "#failed").await;
    assert!(
        listed.contains(&employee.nip) && listed.contains(REFUSAL),
        "the unit's refused record: {listed}"
    );
    assert!(listed.contains(&employee.nama), "the employee's name");
    shot(c, "04b-gagal-unit").await;
    fits_both_widths(c, "04b-gagal-unit-lebar").await;
    c.goto(&format!("{}/console/gagal?unit=XYZ", served.base))
        .await
        .expect("an unknown unit");
    assert!(
        text_of(c, "main")
            .await
            .contains("Unit «XYZ» tidak ada di daftar unit eHRM")
    );
}

/// Waits for the newest reconciliation run to reach `status`, and returns its id.
async fn newest_run_reaches(store: &dyn ReconcileStore, status: RunStatus) -> String {
    let started = Instant::now();
    loop {
        let runs = store.runs(1).await.expect("runs");
        if let Some(r) = runs.first().filter(|r| r.status == status) {
            return r.run_id.clone();
        }
        assert!(
            started.elapsed() < ehrm_sync_tests::patience::secs(120),
            "the run reaches {status:?}: {runs:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A run started while BKN is down is shown paused with its reason, in Indonesian; resumed
/// while BKN answers slowly, it is shown running with its progress; then it finishes.
async fn a_run_shows_while_paused_and_while_running(
    c: &Client,
    served: &Served,
    world: &ReconcileWorld,
) {
    let store = served.runtime.store.clone();
    world.siasn.set_faults(Faults {
        down: true,
        ..Faults::default()
    });
    c.goto(&format!("{}/console/tindakan", served.base))
        .await
        .expect("actions");
    choose(c, "select[name=mode]", "start").await;
    choose(c, "select[name=scope]", "all").await;
    click(c, "#reconcile").await;
    let run_id = newest_run_reaches(&store, RunStatus::Paused).await;
    c.goto(&format!("{}/console/rekon", served.base))
        .await
        .expect("runs");
    let row = text_of(c, "#runs").await;
    assert!(
        row.contains(&run_id) && row.contains("jeda"),
        "the paused run is listed: {row}"
    );
    for english in ehrm_sync_console::ours::english_starts() {
        assert!(!row.contains(english), "its reason in Indonesian: {row}");
    }
    assert!(row.contains("semua pegawai"), "the scope in words: {row}");
    shot(c, "05a-rekon-jeda").await;
    c.goto(&format!("{}/console/", served.base))
        .await
        .expect("overview");
    let overview = text_of(c, "main").await;
    assert!(
        overview.contains(&run_id)
            && overview.contains("jeda")
            && overview.contains("BKN tidak tersedia"),
        "the overview shows the paused run and why"
    );

    world.siasn.set_faults(Faults {
        latency_ms: (300, 300),
        ..Faults::default()
    });
    c.goto(&format!("{}/console/tindakan", served.base))
        .await
        .expect("actions");
    choose(c, "select[name=mode]", "resume").await;
    click(c, "#reconcile").await;
    c.find(Locator::Css("#reconcile-started"))
        .await
        .expect("resumed");
    newest_run_reaches(&store, RunStatus::Running).await;
    c.goto(&format!("{}/console/rekon", served.base))
        .await
        .expect("runs");
    let row = text_of(c, "#runs").await;
    assert!(
        row.contains(&run_id) && row.contains("berjalan"),
        "the running run is listed with its progress: {row}"
    );
    shot(c, "05b-rekon-berjalan").await;
    world.siasn.set_faults(Faults::default());
    newest_run_reaches(&store, RunStatus::Finished).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_and_an_hr_officer_use_the_console_in_a_real_browser() {
    let world = ReconcileWorld::start(WorldSpec {
        employees: 40,
        seed: 23,
        per_kind: 1,
        rate: 400.0,
    })
    .await
    .expect("world");
    let served = serve_world(&world, Vec::new()).await;
    let (runtime, base) = (&served.runtime, served.base.clone());

    // One employee's annual record is refused by BKN, in BKN's words.
    let (employee, record) = annual_record(&world);
    world.siasn.set_faults(Faults {
        reject_nips: [(employee.nip.clone(), REFUSAL.to_string())].into(),
        ..Faults::default()
    });
    send_new_appraiser(&served, employee, record, "evt_console_browser_1").await;
    let nip = Nip::parse(&employee.nip).expect("nip");
    let started = Instant::now();
    while !runtime
        .store
        .records_for_nip(&nip)
        .await
        .expect("records")
        .iter()
        .any(|r| r.status == SyncStatus::Failed)
    {
        let now = runtime.store.records_for_nip(&nip).await.expect("records");
        assert!(
            started.elapsed() < ehrm_sync_tests::patience::secs(30),
            "the record is refused: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    world.siasn.set_faults(Faults::default());

    let (c, _driver) = browser().await;
    c.goto(&format!("{base}/console/login"))
        .await
        .expect("login page");
    shot(&c, "01-masuk").await;
    login(&c, &base, OPERATOR.0, OPERATOR.1).await;
    shot(&c, "02-ringkasan").await;

    // Search the NIP and read BKN's message, verbatim.
    c.goto(&format!("{base}/console/pegawai"))
        .await
        .expect("pegawai");
    fill(&c, "#nip", &employee.nip).await;
    click(&c, "#search").await;
    wait_for_url(&c, "nip=").await;
    assert_eq!(text_of(&c, ".last-error").await, REFUSAL);
    assert!(
        text_of(&c, "#data-pribadi")
            .await
            .contains("Laporan data pribadi"),
        "the person's report is offered to operators"
    );
    shot(&c, "03-pegawai").await;
    c.goto(&format!("{base}/console/gagal"))
        .await
        .expect("gagal");
    assert!(text_of(&c, "#failed").await.contains(REFUSAL));
    shot(&c, "04-gagal").await;
    fits_both_widths(&c, "04-gagal-lebar").await;
    failed_in_my_unit(&c, &served, employee).await;
    a_run_shows_while_paused_and_while_running(&c, &served, &world).await;

    // Reconcile; filter the findings by unit and priority; download them.
    let store = runtime.store.clone();
    let run1 = reconcile_from_console(&c, &base, &store, Some("05-tindakan-rekon")).await;
    let rows = store.rows(&run1).await.expect("rows");
    let target = rows
        .iter()
        .find(|r| r.nip.is_some() && r.unit.is_some())
        .expect("an employee finding with a unit");
    let (unit, priority) = (target.unit.clone().expect("unit"), target.priority.as_str());
    c.goto(&format!("{base}/console/rekon"))
        .await
        .expect("runs");
    shot(&c, "06-rekonsiliasi").await;
    c.goto(&format!("{base}/console/rekon/{run1}"))
        .await
        .expect("findings");
    fill(&c, "#f-unit", &unit).await;
    choose(&c, "#f-priority", priority).await;
    click(&c, "#filter").await;
    wait_for_url(&c, "priority=").await;
    let shown: Vec<String> = {
        let mut nips = Vec::new();
        for row in c
            .find_all(Locator::Css("#findings tr[data-finding]"))
            .await
            .expect("rows")
        {
            let cells = row.find_all(Locator::Css("td")).await.expect("cells");
            // "Employee / unit": the name, the NIP, the unit.
            let nip = cells[1]
                .find(Locator::Css("span.nip"))
                .await
                .expect("the NIP")
                .text()
                .await
                .expect("nip");
            nips.push(nip);
            let code = cells[6].attr("data-code").await.expect("priority");
            assert_eq!(code.as_deref(), Some(priority));
        }
        nips
    };
    assert!(
        shown.contains(target.nip.as_ref().expect("nip")),
        "the unit's finding is listed"
    );
    shot(&c, "07-temuan-tersaring").await;
    fits_both_widths(&c, "07-temuan-lebar").await;

    let href = c
        .find(Locator::Css("#download-xlsx"))
        .await
        .expect("link")
        .attr("href")
        .await
        .expect("href")
        .expect("a link");
    let session = c
        .get_named_cookie("ehrm_console")
        .await
        .expect("the session cookie");
    let xlsx = reqwest::Client::new()
        .get(format!("{base}{href}"))
        .header("cookie", format!("ehrm_console={}", session.value()))
        .send()
        .await
        .expect("download")
        .bytes()
        .await
        .expect("bytes");
    let mut book = Xlsx::new(Cursor::new(xlsx.to_vec())).expect("an xlsx file");
    let sheet = book.worksheet_range("Temuan").expect("findings sheet");
    let in_file: Vec<String> = (1..sheet.height())
        .map(|r| match sheet.get((r, 2)) {
            Some(Data::String(s)) => s.clone(),
            other => panic!("row {r}: the NIP cell is not text: {other:?}"),
        })
        .collect();
    assert_eq!(
        in_file, shown,
        "the file holds exactly the filtered rows, NIPs exact"
    );

    // Mark the finding handled; the next run carries the mark.
    let row = c
        .find(Locator::Css("#findings tr[data-finding]"))
        .await
        .expect("a finding");
    let finding_id = row.attr("data-finding").await.expect("attr").expect("id");
    row.find(Locator::Css("select[name=state]"))
        .await
        .expect("state")
        .select_by_value("handled")
        .await
        .expect("choose");
    row.find(Locator::Css("input[name=note]"))
        .await
        .expect("note")
        .send_keys("SK sudah diunggah")
        .await
        .expect("type");
    row.find(Locator::Css("button"))
        .await
        .expect("save")
        .click()
        .await
        .expect("save");
    let saved = format!("tr[data-finding='{finding_id}'] span.muted");
    c.find(Locator::Css(&saved))
        .await
        .expect("the mark is shown");
    let run2 = reconcile_from_console(&c, &base, &store, None).await;
    assert_ne!(run1, run2);
    c.goto(&format!("{base}/console/rekon/{run2}?state=handled"))
        .await
        .expect("run 2");
    let carried = c
        .find(Locator::Css(&format!("tr[data-finding='{finding_id}']")))
        .await
        .expect("carried over");
    assert!(
        carried
            .html(false)
            .await
            .expect("html")
            .contains("SK sudah diunggah")
    );
    shot(&c, "08-tindak-lanjut-terbawa").await;

    // Replay the refused record after the dry-run count.
    c.goto(&format!("{base}/console/tindakan"))
        .await
        .expect("actions");
    choose(&c, "select[name=status]", "failed").await;
    click(&c, "#replay-count").await;
    assert!(
        text_of(&c, "#replay-dry-run")
            .await
            .contains("1 rekaman akan diulang")
    );
    shot(&c, "09-replay-hitung").await;
    click(&c, "#replay-confirm").await;
    assert!(
        text_of(&c, "#replay-done")
            .await
            .contains("1 rekaman diantrekan lagi")
    );
    c.goto(&format!("{base}/console/audit"))
        .await
        .expect("audit");
    let audit = text_of(&c, "#audit").await;
    // Who saw and downloaded whose data is on record (UU 27/2022 Art. 31, 46).
    for action in [
        "masuk",
        "melihat halaman pegawai",
        "mengunduh",
        "menjalankan rekonsiliasi",
        "menandai tindak lanjut temuan",
        "mengirim ulang rekaman gagal",
    ] {
        assert!(audit.contains(action), "audited: {action}");
    }
    shot(&c, "10-audit").await;

    // The readiness check of the same world, started by the operator (this month's run), on
    // the page HR officers read it.
    c.goto(&format!("{base}/console/tindakan"))
        .await
        .expect("actions");
    click(&c, "#readiness").await;
    c.find(Locator::Css("#readiness-started"))
        .await
        .expect("started");
    let started = Instant::now();
    while ehrm_sync_core::readiness::finished_runs(&runtime.store)
        .await
        .expect("readiness runs")
        .is_empty()
    {
        assert!(
            started.elapsed() < ehrm_sync_tests::patience::secs(120),
            "the readiness check finishes"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    c.goto(&format!("{base}/console/kesiapan"))
        .await
        .expect("readiness");
    assert!(text_of(&c, "#readiness-runs").await.contains("kesiapan-"));
    shot(&c, "13-kesiapan").await;
    fits_both_widths(&c, "13-kesiapan-lebar").await;
    c.goto(&format!("{base}/console/")).await.expect("overview");
    fits_both_widths(&c, "14-ringkasan-lebar").await;

    // In English, then out.
    click(&c, "a.lang").await;
    assert_eq!(
        c.find(Locator::Css("html"))
            .await
            .expect("html")
            .attr("lang")
            .await
            .expect("lang")
            .as_deref(),
        Some("en")
    );
    c.goto(&format!("{base}/console/")).await.expect("overview");
    assert!(c.source().await.expect("html").contains("Overview"));
    shot(&c, "11-overview-en").await;
    click(&c, "#logout").await;
    wait_for_url(&c, "/console/login").await;

    // A viewer is refused the actions.
    login(&c, &base, VIEWER.0, VIEWER.1).await;
    c.goto(&format!("{base}/console/tindakan"))
        .await
        .expect("actions");
    assert!(c.source().await.expect("html").contains("Forbidden"));
    shot(&c, "12-viewer-403").await;
    click(&c, "#logout").await;
    c.close().await.expect("close");
    served.runtime.shutdown().await;
}
