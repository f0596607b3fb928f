//! The scheduled function's tasks stay inside their time: a hanging eHRM callback endpoint (it
//! accepts connections and never answers) cannot hold the callbacks task past its budget or the
//! invocation's deadline, and the sweep that shares the function still runs at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ehrm_sync_core::callbacks::{BknFinding, CallbackEvent, new_callback};
use ehrm_sync_core::clock::SystemClock;
use ehrm_sync_core::config::retry_policy;
use ehrm_sync_core::ports::{CallbackOutbox, Clock};
use ehrm_sync_core::sweep::Sweeper;
use ehrm_sync_domain::reconcile::{Authority, DataSet};
use ehrm_sync_lambda::scheduled::{ScheduledHandler, Task, TaskReport};
use ehrm_sync_sqlite::{QueueOptions, SqliteStore};

/// Accepts connections and keeps them open without a word.
async fn hanging_endpoint() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("http://{addr}/callbacks")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_callback_endpoint_cannot_hold_the_scheduled_function() {
    let dir = std::env::temp_dir().join(format!("ehrm-sync-budget-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("dir");
    let store = SqliteStore::open(dir.join("sync.db")).expect("store");
    let queue = store.queue(QueueOptions::default());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    for i in 0..20 {
        let event = CallbackEvent::BknAuthoritative {
            occurred_at: "2026-12-01T10:00:00+07:00".into(),
            data: BknFinding {
                run_id: "r1".into(),
                data_set: DataSet::Pegawai,
                nip: Some(format!("19850714201001{i:04}")),
                field: Some("golongan".into()),
                ehrm_value: Some("III/c".into()),
                bkn_value: Some("III/d".into()),
                authority: Authority::Bkn,
            },
        };
        store
            .add_callback(&new_callback(
                &event,
                &format!("finding-{i}"),
                clock.now_ms(),
            ))
            .await
            .expect("queued");
    }
    let env: std::collections::HashMap<String, String> = [
        ("EHRM_CALLBACK_URL", hanging_endpoint().await),
        (
            "EHRM_CALLBACK_SECRET",
            ehrm_sync_devkit::events::random_secret().to_whsec(),
        ),
        ("EHRM_CALLBACK_TIMEOUT_SECONDS", "1".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let config = ehrm_sync_ehrm::CallbackConfig::from_env(&env)
        .expect("config")
        .expect("configured");
    let sender = ehrm_sync_ehrm::HttpCallbackSender::new(config).expect("sender");
    let dispatcher = ehrm_sync_core::callbacks::CallbackDispatcher::new(
        Arc::new(store.clone()),
        Arc::new(sender),
        clock.clone(),
        retry_policy(&env).expect("retry"),
    )
    .with_send_timeout_ms(1_000);
    let handler = ScheduledHandler {
        reconcile: None,
        readiness: None,
        sweeper: Sweeper::new(
            Arc::new(store.clone()),
            Arc::new(queue),
            clock.clone(),
            Default::default(),
        ),
        callbacks: Some(dispatcher),
        sso: None,
        units: None,
        purge: None,
        clock: clock.clone(),
    };

    // 20 callbacks of one second each against an invocation with 9 seconds left: it stops
    // starting sends 5 s (margin) + 3 s (one send and its margin) before the deadline.
    let started = Instant::now();
    let deadline = clock.now_ms() + 9_000;
    let report = handler
        .run(Task::Callbacks, Some(deadline))
        .await
        .expect("callbacks task");
    let took = started.elapsed();
    assert!(
        clock.now_ms() < deadline,
        "returned before the invocation's deadline (took {took:?})"
    );
    let TaskReport::Callbacks {
        retrying, deferred, ..
    } = report
    else {
        panic!("{report:?}");
    };
    let (retrying, deferred) = (retrying.unwrap_or(0), deferred.unwrap_or(0));
    assert!(retrying >= 1, "the endpoint was tried");
    assert_eq!(
        retrying + deferred,
        20,
        "every callback is either tried or left for later"
    );
    assert!(deferred > 0, "the rest waits for the next invocation");

    // The sweep sharing the function does not wait for the callbacks left for later (sending
    // them would take a second each).
    let started = Instant::now();
    handler
        .run(Task::Sweep, Some(clock.now_ms() + 60_000))
        .await
        .expect("sweep");
    assert!(
        started.elapsed() < Duration::from_secs(deferred),
        "the sweep ran without sending what was deferred"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
