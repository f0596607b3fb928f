//! A person's report and erasure (issue 24, items 3 and 4) through the real commands: a change
//! BKN refuses and then one it accepts, a finding and its follow-up, a callback and a console
//! view all appear in `ehrm-sync subject-report`; `ehrm-sync forget` is refused while a record is
//! still on its way and while an open run covers the person, then leaves only what prevents a
//! resend: a repeat is still ignored and the next version updates BKN's one record.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ehrm_sync_console::audit::{AuditEntry, record};
use ehrm_sync_core::callbacks::outcome_callback;
use ehrm_sync_core::ports::{
    CallbackOutbox, Clock, FindingMark, FindingMarks, MarkState, ReconcileStore, RunSummary,
    SyncStore,
};
use ehrm_sync_devkit::events::{rated, upsert_body};
use ehrm_sync_domain::reconcile::{Action, Authority, DataSet, Discrepancy, Kind, Priority};
use ehrm_sync_domain::record::RecordKey;
use ehrm_sync_population::{PopulationSpec, generate};
use ehrm_sync_tests::harness::{Harness, HarnessOptions, records_with};
use siasn_sim::Faults;

const WAIT: Duration = Duration::from_secs(30);

fn cli(db: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ehrm-sync-under-test"))
        .args(args)
        .arg("--db")
        .arg(db)
        .output()
        .expect("runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run_summary(run_id: &str, status: &str, now: i64) -> RunSummary {
    serde_json::from_value(serde_json::json!({
        "run_id": run_id, "scope": "all", "dry_run": false, "status": status,
        "phase": "report", "started_at": now, "started_at_text": "", "finished_at": null,
        "duration_ms": 0, "active_ms": 0, "invocations": 1, "employees_total": 40,
        "employees_done": 40, "priority_employees": 0, "bkn_calls": 0, "repairs_queued": 0,
        "callbacks_sent": 0, "unreadable": 0, "unreadable_examples": [], "missing_at_bkn": 0,
        "pause_reason": null, "report": []
    }))
    .expect("a run summary")
}

async fn wait_status(h: &Harness, nip: &str, prefix: &str, status: &str, version: u64) {
    let s = h
        .wait_for(nip, WAIT, |r| {
            records_with(r, prefix)
                .first()
                .is_some_and(|x| x["status"] == status && x["received_version"] == version)
        })
        .await;
    let rec = records_with(s["records"].as_array().expect("records"), prefix)[0].clone();
    assert_eq!(
        (rec["status"].as_str(), rec["received_version"].as_u64()),
        (Some(status), Some(version)),
        "{s}"
    );
}

fn report_json(dir: &Path, nip: &str, suffix: &str) -> serde_json::Value {
    let path = dir.join(format!("data-pribadi-{nip}{suffix}.json"));
    let text = std::fs::read_to_string(&path).expect("the report's JSON");
    assert!(
        dir.join(format!("data-pribadi-{nip}{suffix}.xlsx"))
            .exists()
    );
    serde_json::from_str(&text).expect("JSON")
}

fn count(report: &serde_json::Value, part: &str) -> usize {
    report[part].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_lists_every_processing_and_forget_leaves_only_keys() {
    let who = 2;
    let population = generate(&PopulationSpec {
        seed: HarnessOptions::default().seed,
        employees: HarnessOptions::default().employees,
        ..Default::default()
    });
    let nip = population.employees[who].nip.clone();
    let mut faults = Faults::default();
    faults
        .reject_nips
        .insert(nip.clone(), "Penilai tidak ditemukan".into());
    let h = Harness::start(HarnessOptions {
        faults,
        // While BKN is down below, the record must stay on its way however slow the machine.
        env: vec![("RETRY_MAX_ATTEMPTS", "100".into())],
        ..HarnessOptions::default()
    })
    .await;
    let store = h.runtime.as_ref().expect("running").store.clone();
    let db = h.dir.path().join("store.db");
    let e = h.employee(who).clone();
    let k = e.latest_annual().cloned().expect("annual record");
    let prefix = format!("kinerja.tahunan/{nip}/{}", k.tahun);
    let key: RecordKey = prefix.parse().expect("key");
    let now = ehrm_sync_core::clock::SystemClock.now_ms();

    // BKN refuses, then accepts.
    let first = if (k.hasil_kinerja, k.perilaku_kerja) == (1, 2) {
        (2, 2, 2)
    } else {
        (1, 2, 2)
    };
    assert_eq!(
        h.send(&upsert_body(
            &e,
            &rated(&k, first.0, first.1, first.2),
            k.version + 1
        ))
        .await
        .0,
        202
    );
    wait_status(&h, &nip, &prefix, "failed", k.version + 1).await;
    h.sim.set_faults(Faults::default());
    assert_eq!(
        h.send(&upsert_body(&e, &rated(&k, 3, 3, 5), k.version + 2))
            .await
            .0,
        202
    );
    wait_status(&h, &nip, &prefix, "synced", k.version + 2).await;

    // A finding and its follow-up, a callback, a console view.
    let row = Discrepancy {
        data_set: DataSet::Pegawai,
        kind: Kind::Differs,
        nip: Some(nip.clone()),
        unor_id: None,
        field: Some("tmt_pensiun".into()),
        ehrm_value: Some("2033-10-01".into()),
        bkn_value: Some("2034-10-02".into()),
        authority: Authority::Bkn,
        action: Action::SentToEhrm,
        priority: Priority::Pensiun,
        note: None,
        unit: None,
    };
    store
        .put_rows("run-1", std::slice::from_ref(&row))
        .await
        .expect("rows");
    store
        .put_run("run-1", &run_summary("run-1", "finished", now))
        .await
        .expect("run");
    store
        .put_mark(&FindingMark {
            finding_id: row.finding_id(),
            state: MarkState::Handled,
            note: "SK pensiun dikirim ulang".into(),
            by: "ana".into(),
            at: now,
        })
        .await
        .expect("mark");
    let rec = store.record(&key).await.expect("read").expect("record");
    store
        .add_callback(&outcome_callback(&rec, now))
        .await
        .expect("callback");
    let view = AuditEntry {
        who: "budi".into(),
        address: "10.0.0.7".into(),
        action: "view_employee".into(),
        what: format!("/console/pegawai/{nip}"),
        count: None,
        people: Vec::new(),
    };
    record(&store, now, &view).await.expect("audit");

    let out = tempfile::tempdir().expect("dir");
    let out_dir = out.path().to_str().expect("path");
    let (ok, _, err) = cli(&db, &["subject-report", &nip, "--out", out_dir]);
    assert!(ok, "{err}");
    let report = report_json(out.path(), &nip, "");
    assert_eq!(count(&report, "records"), 1);
    let versions: Vec<u64> = report["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["version"].as_u64())
        .collect();
    assert_eq!(
        versions,
        vec![k.version + 1, k.version + 2],
        "each change received"
    );
    let outcomes: Vec<&str> = report["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .filter_map(|a| a["outcome"].as_str())
        .collect();
    assert!(
        outcomes.contains(&"permanent") && outcomes.contains(&"delivered"),
        "{outcomes:?}"
    );
    let refused = report["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .any(|a| {
            a["message"]
                .as_str()
                .is_some_and(|m| m.contains("Penilai tidak ditemukan"))
        });
    assert!(refused, "BKN's words, verbatim: {report}");
    assert_eq!(
        (
            count(&report, "callbacks"),
            count(&report, "findings"),
            count(&report, "marks")
        ),
        (1, 1, 1)
    );
    let accesses: Vec<&str> = report["accesses"]
        .as_array()
        .expect("accesses")
        .iter()
        .filter_map(|a| a["entry"]["action"].as_str())
        .collect();
    assert!(
        accesses.contains(&"view_employee") && accesses.contains(&"subject_report"),
        "{accesses:?}"
    );

    // Refused while a record is on its way, then while an open run covers everyone.
    h.sim.set_faults(Faults {
        down: true,
        ..Faults::default()
    });
    assert_eq!(
        h.send(&upsert_body(&e, &rated(&k, 2, 3, 4), k.version + 3))
            .await
            .0,
        202
    );
    let (ok, _, err) = cli(&db, &["forget", &nip, "--out", out_dir]);
    assert!(!ok && err.contains("still on their way"), "{err}");
    h.sim.set_faults(Faults::default());
    wait_status(&h, &nip, &prefix, "synced", k.version + 3).await;
    store
        .put_run("run-2", &run_summary("run-2", "running", now + 1))
        .await
        .expect("run");
    let (ok, _, err) = cli(&db, &["forget", &nip, "--out", out_dir]);
    assert!(!ok && err.contains("run-2"), "{err}");
    store
        .put_run("run-2", &run_summary("run-2", "finished", now + 1))
        .await
        .expect("run");

    let (ok, stdout, err) = cli(&db, &["forget", &nip, "--out", out_dir]);
    assert!(ok, "{err}");
    assert!(stdout.contains("erased: data of 1 records"), "{stdout}");
    let after = report_json(out.path(), &nip, "-setelah-dihapus");
    for part in ["changes", "attempts", "callbacks", "findings", "marks"] {
        assert_eq!(count(&after, part), 0, "{part} left: {after}");
    }
    let kept = &after["records"][0];
    assert_eq!(
        (kept["data"].is_null(), kept["received_version"].as_u64()),
        (true, Some(k.version + 3)),
        "{kept}"
    );
    assert!(kept["bkn_id"].is_string(), "BKN's id stays: {kept}");
    assert!(
        store.rows("run-1").await.expect("rows").is_empty(),
        "the finding is gone"
    );

    // What prevents a resend held: an old version is ignored, the next one updates the one record.
    let (s, body) = h
        .send(&upsert_body(&e, &rated(&k, 2, 3, 4), k.version + 3))
        .await;
    assert_eq!(
        (s, body["result"].as_str()),
        (202, Some("ignored_stale")),
        "{body}"
    );
    assert_eq!(
        h.send(&upsert_body(&e, &rated(&k, 1, 1, 1), k.version + 4))
            .await
            .0,
        202
    );
    wait_status(&h, &nip, &prefix, "synced", k.version + 4).await;
    let at_bkn: Vec<_> = h
        .sim
        .annual_records(&nip)
        .into_iter()
        .filter(|r| r.1 == i64::from(k.tahun))
        .collect();
    assert_eq!(at_bkn.len(), 1, "{at_bkn:?}");
    assert_eq!(h.sim.stats().duplicates, 0);
    h.shutdown().await;
}
