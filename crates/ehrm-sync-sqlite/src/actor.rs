//! The writer thread: owns the connection, batches operations into group commits.

use std::path::Path;
use std::sync::mpsc;
use std::thread;

use ehrm_sync_core::ports::StoreError;
use rusqlite::Connection;

type Finisher = Box<dyn FnOnce(Result<(), String>) + Send>;
type Job = Box<dyn FnOnce(&Connection) -> (bool, Finisher) + Send>;

/// Operations taken into one transaction at most.
const MAX_GROUP: usize = 256;

/// Handle to the writer thread. Cloning shares the thread.
#[derive(Clone)]
pub(crate) struct Actor {
    tx: mpsc::Sender<Job>,
}

impl Actor {
    pub(crate) fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=OFF;",
        )
        .map_err(|e| StoreError::Unavailable(format!("cannot configure the store: {e}")))?;
        crate::schema::migrate(&conn)?;
        let (tx, rx) = mpsc::channel::<Job>();
        thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, rx))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the store thread: {e}")))?;
        Ok(Actor { tx })
    }

    /// Runs `f` inside a transaction on the writer thread; resolves once committed.
    pub(crate) async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel::<Result<R, StoreError>>();
        let job: Job = Box::new(move |conn| match f(conn) {
            Ok(value) => (
                true,
                Box::new(move |commit: Result<(), String>| {
                    let _ = tx.send(commit.map(|()| value).map_err(StoreError::Unavailable));
                }),
            ),
            Err(e) => (
                false,
                Box::new(move |_| {
                    let _ = tx.send(Err(e));
                }),
            ),
        });
        self.tx
            .send(job)
            .map_err(|_| StoreError::Unavailable("the store thread has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Unavailable("the store thread dropped the operation".into()))?
    }
}

fn run(conn: Connection, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            // Dropping a job drops its reply channel: each caller hears "unavailable".
            tracing::error!(error = %e, "cannot begin a transaction");
            drop(jobs);
            continue;
        }
        let mut finishers = Vec::with_capacity(jobs.len());
        for job in jobs {
            if conn.execute_batch("SAVEPOINT op").is_err() {
                drop(job);
                continue;
            }
            let (ok, fin) = job(&conn);
            let end = if ok {
                "RELEASE op"
            } else {
                "ROLLBACK TO op; RELEASE op"
            };
            if let Err(e) = conn.execute_batch(end) {
                tracing::error!(error = %e, "savepoint could not be closed");
            }
            finishers.push(fin);
        }
        let commit = conn
            .execute_batch("COMMIT")
            .map_err(|e| format!("commit failed: {e}"));
        if commit.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        for fin in finishers {
            fin(commit.clone());
        }
    }
}
