//! Missing or malformed configuration stops `ehrm-sync serve` with one line naming the variable.

use std::process::Command;

fn valid_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("BKN_API_BASE_URL", "http://127.0.0.1:1/apisiasn/1.0"),
        ("BKN_APIM_TOKEN_URL", "http://127.0.0.1:1/oauth2/token"),
        (
            "BKN_SSO_TOKEN_URL",
            "http://127.0.0.1:1/auth/realms/public-siasn/protocol/openid-connect/token",
        ),
        ("BKN_CONSUMER_KEY", "key"),
        ("BKN_CONSUMER_SECRET", "secret"),
        ("BKN_SSO_CLIENT_ID", "client"),
        ("BKN_SSO_USERNAME", "199001012015031001"),
        ("BKN_SSO_PASSWORD", "password"),
        (
            "EHRM_WEBHOOK_SECRET",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ),
        ("STATUS_API_KEY", "status-key-0123456789"),
    ]
}

fn serve_with(env: &[(&str, &str)]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_ehrm-sync-under-test"))
        .args([
            "--log-format",
            "text",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
        ])
        .arg(dir.path().join("s.db"))
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn each_missing_or_malformed_variable_is_named() {
    let cases: Vec<(&str, Option<&str>)> = vec![
        ("BKN_API_BASE_URL", None),
        ("BKN_API_BASE_URL", Some("apimws.bkn.go.id")),
        ("BKN_CONSUMER_SECRET", None),
        ("BKN_SSO_PASSWORD", None),
        ("EHRM_WEBHOOK_SECRET", None),
        ("EHRM_WEBHOOK_SECRET", Some("not-a-whsec")),
        ("STATUS_API_KEY", Some("short")),
        ("BKN_RATE_PER_SEC", Some("fast")),
        ("RETRY_MAX_ATTEMPTS", Some("-1")),
        ("RETRY_BASE_SECONDS", Some("0")),
    ];
    for (var, value) in cases {
        let mut env: Vec<(&str, &str)> =
            valid_env().into_iter().filter(|(k, _)| *k != var).collect();
        if let Some(v) = value {
            env.push((var, v));
        }
        let (code, stderr) = serve_with(&env);
        assert_eq!(code, Some(2), "{var}={value:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line: {stderr}");
        assert!(lines[0].contains(var), "the line names {var}: {stderr}");
    }
}
