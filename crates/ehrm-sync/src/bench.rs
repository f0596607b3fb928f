//! Load commands behind the README's figures.

use std::process::ExitCode;

#[derive(clap::Subcommand, Debug)]
pub enum BenchCommand {
    /// Signed webhooks per second and latency percentiles against an embedded `serve`.
    Ingest {
        #[arg(long, default_value_t = 20_000)]
        events: usize,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
    },
}

pub async fn run(cmd: BenchCommand) -> ExitCode {
    match cmd {
        BenchCommand::Ingest { .. } => {
            eprintln!("not built yet");
            ExitCode::FAILURE
        }
    }
}
