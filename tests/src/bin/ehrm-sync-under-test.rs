//! The `ehrm-sync` command, built inside the tests package so crash tests can start it as a
//! child process and abort it (`CARGO_BIN_EXE_ehrm-sync-under-test`).

fn main() -> std::process::ExitCode {
    ehrm_sync::cli::main()
}
