//! `ehrm-sync bkn-token`: the BKN SSO token from a shell, as Tindakan → Token SSO BKN does it on
//! the console (`docs/bkn-sso.md`). `set` reads the token from standard input (never from an
//! argument, which shell history and `ps` would keep) and says what it is, never the token.

use std::io::Read;
use std::process::ExitCode;

use ehrm_sync_core::clock::format_ms;
use ehrm_sync_domain::sso::{SsoKind, duration_words_id};

use crate::status::{Backend, BackendArgs};

#[derive(clap::Subcommand, Debug)]
pub enum BknTokenCommand {
    /// Keep the access or refresh token read from standard input (one line), as pasted on the
    /// console; the store needs BKN_TOKEN_KEY (on AWS: the BKN SSO secret).
    Set {
        #[command(flatten)]
        backend: BackendArgs,
        /// Who sets it, for the audit trail (default: $USER).
        #[arg(long, env = "USER", default_value = "cli")]
        by: String,
    },
    /// Ask for the password login to be tried again once the account is fixed.
    RetryLogin {
        #[command(flatten)]
        backend: BackendArgs,
        #[arg(long, env = "USER", default_value = "cli")]
        by: String,
    },
    /// Print a new random BKN_TOKEN_KEY (64 hex digits).
    NewKey,
}

pub async fn run(command: BknTokenCommand) -> ExitCode {
    let result = match command {
        BknTokenCommand::NewKey => ehrm_sync_local::vault::new_key()
            .map(|k| println!("{k}"))
            .map_err(|e| e.to_string()),
        BknTokenCommand::Set { backend, by } => set(&backend, &by).await,
        BknTokenCommand::RetryLogin { backend, by } => retry(&backend, &by).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn set(args: &BackendArgs, by: &str) -> Result<(), String> {
    let mut text = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    let backend = Backend::open_with(args, true).await?;
    let pasted = backend
        .sso
        .paste(&text, &format!("{by} (cli)"))
        .await
        .map_err(|e| e.words_id())?;
    let now = backend.clock.now_ms();
    let account = pasted
        .subject_nip
        .as_deref()
        .map_or(String::new(), |n| format!(", akun {n}"));
    let until = pasted.expires_at.map_or_else(
        || "masa berlaku tidak tertulis di token".to_string(),
        |at| {
            if pasted.kind == SsoKind::RefreshToken {
                return "diperbarui otomatis sampai sesi SSO-nya berakhir".to_string();
            }
            format!(
                "berlaku sampai {}, {} lagi",
                format_ms(at),
                duration_words_id(at - now)
            )
        },
    );
    println!(
        "Token SSO BKN disimpan: {}{account}; {until}.",
        pasted.kind.words_id()
    );
    Ok(())
}

async fn retry(args: &BackendArgs, by: &str) -> Result<(), String> {
    let backend = Backend::open(args).await?;
    backend
        .sso
        .retry_login(&format!("{by} (cli)"))
        .await
        .map_err(|e| e.to_string())?;
    println!("Masuk dengan kata sandi akan dicoba lagi pada panggilan BKN berikutnya.");
    Ok(())
}
