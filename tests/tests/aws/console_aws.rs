//! The console's cases (`tests/src/console/cases.rs`) on DynamoDB and SQS at `AWS_ENDPOINT_URL`,
//! through the console function's router and API Gateway's HTTP API event shape.

ehrm_sync_tests::console_cases!(ehrm_sync_tests::console::ConsoleFixture::aws().await);

#[tokio::test]
async fn without_users_the_console_function_answers_404() {
    use tower::ServiceExt;
    let router = ehrm_sync_lambda::console::router(None);
    let req = axum::http::Request::get("/console/")
        .body(axum::body::Body::empty())
        .expect("request");
    let res = router.oneshot(req).await.expect("infallible");
    assert_eq!(res.status(), 404);
}

#[test]
fn the_console_launch_event_is_a_reconcile_task_of_the_scheduled_function() {
    use ehrm_sync_core::ports::LaunchRequest;
    use ehrm_sync_core::ports::Scope;
    use ehrm_sync_lambda::scheduled::Task;
    for launch in [
        LaunchRequest::Start(Scope::All),
        LaunchRequest::Restart(Scope::Unit("PU.01".into())),
        LaunchRequest::Start(Scope::Nip("198501012010011001".into())),
        LaunchRequest::Resume,
    ] {
        let event = ehrm_sync_aws::launcher::launch_event(&launch);
        let task: Task = serde_json::from_value(event.clone()).expect("a task");
        assert_eq!(
            task,
            Task::Reconcile {
                launch: Some(launch)
            },
            "{event}"
        );
    }
    let scheduled: Task = serde_json::from_str(r#"{"task": "reconcile"}"#).expect("the schedule's");
    assert_eq!(scheduled, Task::Reconcile { launch: None });
}

#[test]
fn the_console_readiness_event_is_a_readiness_task_of_the_scheduled_function() {
    use ehrm_sync_lambda::scheduled::Task;
    for restart in [false, true] {
        let event = ehrm_sync_aws::launcher::readiness_event(restart);
        let task: Task = serde_json::from_value(event.clone()).expect("a task");
        assert_eq!(task, Task::Readiness { restart }, "{event}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_named_stage_every_path_the_browser_gets_carries_the_stage() {
    use ehrm_sync_tests::console::{Client, ConsoleFixture, VIEWER};
    let c = ConsoleFixture::aws().await;
    let b = Client::new((c.as_served)("10.9.9.9"));
    let form = b.get("/console/login").await;
    assert!(form.text().contains("action=\"/training/console/login\""));
    assert!(
        form.text()
            .contains("href=\"/training/console/static/console.css\"")
    );
    let login = b
        .post(
            "/console/login",
            &[
                ("user", VIEWER.0),
                ("password", VIEWER.1),
                ("csrf", &form.csrf()),
            ],
        )
        .await;
    assert_eq!(login.location().as_deref(), Some("/training/console/"));
    let cookie = login.header("set-cookie").expect("a session cookie");
    assert!(
        cookie.contains("Path=/training/console") && cookie.contains("; Secure"),
        "{cookie}"
    );
    let page = b.get("/training/console/").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("href=\"/training/console/pegawai\""));
    assert!(
        !page.text().contains("href=\"/console/"),
        "no path outside the stage"
    );
}
