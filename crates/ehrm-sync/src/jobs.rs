//! What the two long-run commands (`reconcile`, `readiness`) share: stopping at the next
//! checkpoint on Ctrl-C, and an invocation's outcome as a message and an exit code (0 done or
//! nothing to do, 3 paused or busy — run the same command again — 1 failed, 2 bad input).

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ehrm_sync_core::job::{JobError, Outcome};

/// The exit code of a command whose arguments or configuration are wrong.
pub const BAD_INPUT: u8 = 2;
/// The exit code of a run that stopped before its end and is resumed by running it again.
pub const RESUMABLE: u8 = 3;

/// Sets `cancel` on Ctrl-C (or SIGTERM): the run stops at its next checkpoint.
pub fn stop_on_signal(cancel: Arc<AtomicBool>) {
    tokio::spawn(async move {
        ehrm_sync_local::wait_for_signal().await;
        eprintln!("\nstopping at the next checkpoint (run the same command to resume)…");
        cancel.store(true, Ordering::Relaxed);
    });
}

/// Prints what became of the invocation (the run through `print`) and says how to go on.
pub fn finish<R>(outcome: Result<Outcome<R>, JobError>, print: impl Fn(&R)) -> ExitCode {
    match outcome {
        Ok(Outcome::Finished(run)) => {
            print(&run);
            ExitCode::SUCCESS
        }
        Ok(Outcome::Paused { run, halt }) => {
            print(&run);
            eprintln!("run paused: {halt}. Run the same command again to resume.");
            ExitCode::from(RESUMABLE)
        }
        Ok(Outcome::Busy { run_id }) => {
            eprintln!(
                "run {run_id} is being worked on by another process (or one that stopped less than its lease ago); try again shortly"
            );
            ExitCode::from(RESUMABLE)
        }
        Ok(Outcome::Idle) => {
            eprintln!("nothing to do: the last run is recent");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// An error before the run starts (arguments, configuration).
pub fn bad_input(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(BAD_INPUT)
}
