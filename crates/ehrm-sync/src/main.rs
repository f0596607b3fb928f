//! `ehrm-sync`: see `ehrm-sync --help` and the README.

fn main() -> std::process::ExitCode {
    ehrm_sync::cli::main()
}
