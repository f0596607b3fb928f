//! `ehrm-sync audit` (issue 24, item 5): the real command answers "who saw or downloaded whose
//! data, when" from the console's audit trail, by time, NIP and user.

use std::process::Command;

use ehrm_sync_console::audit::{AuditEntry, record};
use ehrm_sync_core::clock::parse_time;
use ehrm_sync_sqlite::SqliteStore;

fn entry(who: &str, action: &str, what: &str) -> AuditEntry {
    AuditEntry {
        who: who.into(),
        address: "127.0.0.1".into(),
        action: action.into(),
        what: what.into(),
        count: None,
        people: Vec::new(),
    }
}

fn audit(db: &std::path::Path, args: &[&str]) -> Vec<serde_json::Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_ehrm-sync-under-test"))
        .arg("audit")
        .arg("--db")
        .arg(db)
        .arg("--json")
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_saw_whose_data_when() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("store.db");
    let store = SqliteStore::open(&db).expect("store");
    let nip = "198507142010011002";
    let at = |s: &str| parse_time(s).expect("time");
    let entries = [
        (
            "2026-12-01T09:00:00+07:00",
            entry(
                "ani",
                "view_employee",
                &format!("/console/pegawai nip={nip}"),
            ),
        ),
        (
            "2026-12-01T10:00:00+07:00",
            entry(
                "budi",
                "view_employee",
                "/console/pegawai nip=197001011995031001",
            ),
        ),
        (
            "2026-12-02T11:00:00+07:00",
            entry("budi", "download", &format!("/console/gagal q={nip}")),
        ),
        ("2026-12-03T08:00:00+07:00", entry("ani", "login", "")),
        (
            "2026-12-03T09:00:00+07:00",
            AuditEntry {
                people: vec!["197001011995031001".into(), nip.into()],
                count: Some(2),
                ..entry("citra", "download", "/console/gagal.xlsx?unit=PU.01")
            },
        ),
    ];
    for (t, e) in &entries {
        record(&store, at(t), e).await.expect("recorded");
    }
    drop(store);

    let about = audit(&db, &["--nip", nip]);
    let who: Vec<(&str, &str)> = about
        .iter()
        .map(|e| {
            (
                e["who"].as_str().unwrap_or(""),
                e["action"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        who,
        vec![
            ("ani", "view_employee"),
            ("budi", "download"),
            ("citra", "download")
        ],
        "oldest first; a download that held the person, whatever its filter"
    );
    assert_eq!(about[2]["people"][1], nip);

    let one_day = audit(&db, &["--since", "2026-12-01", "--until", "2026-12-01"]);
    assert_eq!(one_day.len(), 2, "a bare --until covers its whole day");
    let by_user = audit(&db, &["--user", "ani", "--since", "2026-12-02"]);
    assert_eq!(by_user.len(), 1);
    assert_eq!(by_user[0]["action"], "login");
}
