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
    use ehrm_sync_console::LaunchRequest;
    use ehrm_sync_core::reconcile::Scope;
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
