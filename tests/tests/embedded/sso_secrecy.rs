//! A BKN SSO token is never written where people or other programs read (`docs/bkn-sso.md`):
//! the real command sets a refresh token from standard input, reconciles with it (renewing it at
//! the simulator's Keycloak), prints its status, and is refused an expired token; every log line
//! (debug level, JSON), everything printed, every report file and the database file itself are
//! searched for the token and each of its parts.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ehrm_sync_devkit::world::{ReconcileWorld, WorldSpec};
use siasn_sim::{Faults, SsoPolicy};

/// Runs the command under test with `stdin`; everything it wrote, and whether it succeeded.
fn run(world: &ReconcileWorld, key: &str, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ehrm-sync-under-test"))
        .args(["--log-format", "json"])
        .args(args)
        .envs(&world.env)
        .env("BKN_SSO_USERNAME", "")
        .env("BKN_SSO_PASSWORD", "")
        .env("BKN_TOKEN_KEY", key)
        .env("RUST_LOG", "debug")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).expect("stdin");
    }
    let out = child.wait_with_output().expect("ends");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The token and the parts of it that are secret (a JWT's claims and signature).
fn secret_parts(token: &str) -> Vec<String> {
    let mut parts = vec![token.to_string()];
    parts.extend(
        token
            .split('.')
            .skip(1)
            .filter(|p| p.len() >= 16)
            .map(str::to_string),
    );
    parts
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            found.extend(files_under(&p));
        } else {
            found.push(p);
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_sso_token_appears_in_any_log_line_output_report_or_the_database() {
    let world = ReconcileWorld::start(WorldSpec {
        employees: 30,
        seed: 17,
        per_kind: 1,
        rate: 400.0,
    })
    .await
    .expect("world");
    // Short access tokens: the run renews the pasted refresh token at least once.
    world.siasn.set_faults(Faults {
        sso: SsoPolicy {
            access_ttl_secs: 20,
            browser_login_only: true,
            ..SsoPolicy::default()
        },
        ..Faults::default()
    });
    let key = ehrm_sync_local::vault::new_key().expect("key");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("store.db");
    let db_arg = db.display().to_string();
    let tokens = world.siasn.browser_login();
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    let access = tokens["access_token"].as_str().expect("access").to_string();

    let mut output = Vec::new();
    let (ok, text) = run(
        &world,
        &key,
        &["bkn-token", "set", "--db", &db_arg],
        &format!("{refresh}\n"),
    );
    assert!(ok, "set: {text}");
    assert!(
        text.contains("refresh token yang ditempel"),
        "says what it is: {text}"
    );
    output.push(text);
    let (ok, text) = run(&world, &key, &["reconcile", "--db", &db_arg], "");
    assert!(ok, "reconcile with the pasted token: {text}");
    output.push(text);
    assert!(
        world.siasn.stats().refresh_grants >= 1,
        "the token was renewed during the run"
    );
    for args in [
        vec!["status", "--db", &db_arg],
        vec!["status", "--json", "--db", &db_arg],
    ] {
        let (ok, text) = run(&world, &key, &args, "");
        assert!(ok, "{args:?}: {text}");
        output.push(text);
    }
    // An expired token is refused with words, and not echoed.
    let (_, expired) = {
        let b64 = |v: &[u8]| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v)
        };
        let claims = serde_json::json!({"exp": 1_600_000_000, "typ": "Bearer",
            "jti": "5f0c1d2e3a4b5c6d7e8f9a0b1c2d3e4f"});
        let old = format!(
            "{}.{}.c2lnbmF0dXJlLW9mLWFuLW9sZC10b2tlbg",
            b64(br#"{"alg":"HS256"}"#),
            b64(claims.to_string().as_bytes())
        );
        let (ok, text) = run(
            &world,
            &key,
            &["bkn-token", "set", "--db", &db_arg],
            &format!("{old}\n"),
        );
        assert!(!ok, "an expired token is refused: {text}");
        assert!(text.contains("kedaluwarsa"), "in words: {text}");
        assert!(!text.contains(&old), "not echoed: {text}");
        (ok, text)
    };
    output.push(expired);

    let logged = output
        .iter()
        .flat_map(|t| t.lines())
        .filter(|l| l.contains("\"level\""))
        .count();
    assert!(logged >= 5, "the runs logged: {output:#?}");
    let secrets: Vec<String> = secret_parts(&refresh)
        .into_iter()
        .chain(secret_parts(&access))
        .collect();
    for text in &output {
        for line in text.lines() {
            for s in &secrets {
                assert!(!line.contains(s.as_str()), "a token part in: {line}");
            }
        }
    }
    let mut files = files_under(dir.path());
    files.retain(|p| p.extension().is_some_and(|e| e != "db-shm"));
    assert!(
        files
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "csv")),
        "the run wrote its report: {files:?}"
    );
    for path in files {
        let bytes = std::fs::read(&path).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        for s in &secrets {
            assert!(
                !text.contains(s.as_str()),
                "a token part in {}",
                path.display()
            );
        }
    }
}
