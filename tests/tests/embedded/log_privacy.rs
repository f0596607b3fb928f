//! No log line names an employee: every line the real command writes during reconciliation runs
//! (everyone, one employee, and a run against a BKN that fails half its reads) is searched for
//! every NIP either side holds. Masked NIPs (`1985**********1002`) are fine.

use std::collections::HashSet;
use std::process::Command;

use ehrm_sync_devkit::world::{ReconcileWorld, WorldSpec};
use siasn_sim::Faults;

fn log_lines(world: &ReconcileWorld, db: &std::path::Path, extra: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_ehrm-sync-under-test"))
        .args(["--log-format", "json", "reconcile", "--db"])
        .arg(db)
        .args(extra)
        .envs(&world.env)
        .env("RUST_LOG", "info")
        // Short breaker cool-downs: against a BKN failing half its reads, a run of failed probes
        // at the default 30 s each once kept this test busy for 19 minutes.
        .env("BREAKER_COOLDOWN_SECONDS", "1")
        .env("BREAKER_MAX_COOLDOWN_SECONDS", "2")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    // Every line: the JSON log lines, and what the command prints for the operator.
    stderr
        .lines()
        .chain(stdout.lines())
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciliation_logs_never_carry_a_full_nip() {
    let world = ReconcileWorld::start(WorldSpec {
        employees: 120,
        seed: 71,
        per_kind: 1,
        rate: 500.0,
    })
    .await
    .expect("world");
    let nips: HashSet<String> = world
        .injected
        .ehrm
        .employees
        .iter()
        .chain(world.injected.bkn.employees.iter())
        .map(|e| e.nip.clone())
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let one = world
        .injected
        .expected
        .iter()
        .find_map(|r| r.nip.clone())
        .expect("an injected row with a NIP");

    let mut lines = log_lines(&world, &dir.path().join("all.db"), &[]);
    lines.extend(log_lines(
        &world,
        &dir.path().join("one.db"),
        &["--nip", &one],
    ));
    world.siasn.set_faults(Faults {
        error_rate: 0.5,
        ..Faults::default()
    });
    lines.extend(log_lines(
        &world,
        &dir.path().join("faulty.db"),
        &["--priority-only"],
    ));
    let logged = lines.iter().filter(|l| l.contains("\"level\"")).count();
    assert!(logged >= 9, "three runs logged: {lines:#?}");
    let leaks: Vec<&String> = lines
        .iter()
        .filter(|l| nips.iter().any(|n| l.contains(n.as_str())))
        .collect();
    assert!(leaks.is_empty(), "log lines with a full NIP: {leaks:#?}");
}
