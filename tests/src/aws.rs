//! The AWS side of the tests: the data resources of `infra/template.yaml` (translated offline by
//! `infra/tools/translate.py --data`, path in `EHRM_SYNC_DATA_TEMPLATE`) deployed through
//! CloudFormation to the endpoint in `AWS_ENDPOINT_URL` (moto_server here, LocalStack on a
//! laptop). Physical names come from the stack's outputs; no test defines a table or a queue.
//!
//! Without `AWS_ENDPOINT_URL` these tests fail loudly: `./tests/run.sh` starts an endpoint.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_cloudformation::types::StackStatus;

use ehrm_sync_aws::wiring::Adapters;
use ehrm_sync_aws::{DynamoStore, SqsQueue};
use ehrm_sync_core::clock::SystemClock;
use ehrm_sync_core::readiness::Readiness;
use ehrm_sync_core::reconcile::Reconciler;
use ehrm_sync_core::sweep::Sweeper;
use ehrm_sync_lambda::scheduled::ScheduledHandler;

/// One deployed copy of the data resources.
pub struct DataStack {
    pub sdk: SdkConfig,
    pub name: String,
    pub table: String,
    pub queue_url: String,
    pub dead_letter_url: String,
    /// The NAT gateway's Elastic IP, the one address BKN must whitelist.
    pub bkn_egress_ip: String,
    /// The secret pasted SSO tokens are kept in.
    pub sso_secret_id: String,
}

fn required_env(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v,
        _ => panic!(
            "{name} is not set: the AWS tests need an AWS endpoint and the translated template. \
             Run ./tests/run.sh (it starts moto_server), or export AWS_ENDPOINT_URL and \
             EHRM_SYNC_DATA_TEMPLATE yourself."
        ),
    }
}

/// SDK configuration for the test endpoint (dummy credentials and a region if none are set).
pub async fn sdk() -> SdkConfig {
    required_env("AWS_ENDPOINT_URL");
    // SAFETY of intent: tests only; the same values for every test in the process.
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "ap-southeast-3"),
    ] {
        if std::env::var(k).is_err() {
            // Setting the environment is unsafe in Rust 2024 because other threads may read it;
            // these are fixed test values set before any client is built.
            unsafe { std::env::set_var(k, v) };
        }
    }
    ehrm_sync_aws::sdk::load().await
}

impl DataStack {
    /// Deploys a fresh stack (unique name, so tests can run in parallel).
    pub async fn deploy() -> DataStack {
        Self::deploy_with(&[]).await
    }

    /// Deploys with template parameters overridden.
    pub async fn deploy_with(parameters: &[(&str, &str)]) -> DataStack {
        let template_path = required_env("EHRM_SYNC_DATA_TEMPLATE");
        let template = std::fs::read_to_string(&template_path)
            .unwrap_or_else(|e| panic!("cannot read {template_path}: {e}"));
        let sdk = sdk().await;
        let cf = aws_sdk_cloudformation::Client::new(&sdk);
        let name = format!("ehrm-sync-test-{:08x}", rand::random::<u32>());
        let params: Vec<aws_sdk_cloudformation::types::Parameter> = parameters
            .iter()
            .map(|(k, v)| {
                aws_sdk_cloudformation::types::Parameter::builder()
                    .parameter_key(*k)
                    .parameter_value(*v)
                    .build()
            })
            .collect();
        cf.create_stack()
            .stack_name(&name)
            .template_body(template)
            .set_parameters(Some(params))
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateStack failed: {e:?}"));
        let deadline = Instant::now() + crate::patience::secs(120);
        let stack = loop {
            let out = cf
                .describe_stacks()
                .stack_name(&name)
                .send()
                .await
                .expect("DescribeStacks");
            let stack = out.stacks().first().cloned().expect("the stack exists");
            match stack.stack_status() {
                Some(StackStatus::CreateInProgress) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Some(StackStatus::CreateComplete) => break stack,
                other => panic!(
                    "stack {name} ended {other:?}: {:?}",
                    stack.stack_status_reason()
                ),
            }
        };
        let found = |key: &str| {
            stack
                .outputs()
                .iter()
                .find(|o| o.output_key() == Some(key))
                .and_then(|o| o.output_value())
                .map(str::to_string)
        };
        let output =
            |key: &str| found(key).unwrap_or_else(|| panic!("the template has no output {key}"));
        // moto's CloudFormation skips AWS::SecretsManager::Secret (LocalStack creates it): the
        // same secret, made through the Secrets Manager API.
        let sso_secret_id = match found("BknSsoSecretArn") {
            Some(arn) => arn,
            None => aws_sdk_secretsmanager::Client::new(&sdk)
                .create_secret()
                .name(format!("{name}-bkn-sso"))
                .secret_string("{}")
                .send()
                .await
                .expect("CreateSecret")
                .arn()
                .expect("the secret's ARN")
                .to_string(),
        };
        DataStack {
            table: output("SyncTableName"),
            queue_url: output("DeliveryQueueUrl"),
            dead_letter_url: output("DeadLetterQueueUrl"),
            bkn_egress_ip: output("BknEgressIp"),
            sso_secret_id,
            sdk,
            name,
        }
    }

    /// The stack's resources as the functions are told them.
    pub fn resources(&self) -> ehrm_sync_aws::wiring::AwsResources {
        ehrm_sync_aws::wiring::AwsResources {
            table: self.table.clone(),
            queue_url: self.queue_url.clone(),
            dead_letter_url: Some(self.dead_letter_url.clone()),
            sso_secret_id: Some(self.sso_secret_id.clone()),
            retention: Default::default(),
        }
    }

    pub fn store(&self) -> DynamoStore {
        DynamoStore::new(aws_sdk_dynamodb::Client::new(&self.sdk), &self.table)
    }

    pub fn queue(&self) -> SqsQueue {
        SqsQueue::new(
            aws_sdk_sqs::Client::new(&self.sdk),
            &self.queue_url,
            Some(self.dead_letter_url.clone()),
        )
    }

    /// The redrive policy's `maxReceiveCount`, read from the deployed queue.
    pub async fn max_receives(&self) -> u32 {
        let out = aws_sdk_sqs::Client::new(&self.sdk)
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy)
            .send()
            .await
            .expect("GetQueueAttributes");
        let policy = out
            .attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy))
            .cloned()
            .expect("the queue has a redrive policy");
        let v: serde_json::Value = serde_json::from_str(&policy).expect("JSON");
        v["maxReceiveCount"]
            .as_u64()
            .or_else(|| v["maxReceiveCount"].as_str().and_then(|s| s.parse().ok()))
            .expect("maxReceiveCount") as u32
    }
}

/// An SQS event as the event source mapping builds it from received messages (the shape of the
/// aws_lambda_events sample in `tests/fixtures/sqs-event.json`).
/// A fresh reports bucket on the endpoint (path-style, as emulators need) and its client.
pub async fn reports_bucket(sdk: &SdkConfig) -> (aws_sdk_s3::Client, String) {
    let bucket = format!("ehrm-sync-reports-{}", rand::random::<u32>());
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                    "ap-southeast-3",
                ))
                .build(),
        )
        .send()
        .await
        .expect("bucket");
    (s3, bucket)
}

/// What a long-run test of the scheduled task stands on: the data stack, a reports bucket and
/// the environment the task reads, with short checkpoints and leases so a run spans
/// invocations.
pub struct LongRunStack {
    pub stack: DataStack,
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
    pub env: HashMap<String, String>,
    pub adapters: Adapters,
}

impl LongRunStack {
    pub async fn deploy(world_env: &HashMap<String, String>) -> LongRunStack {
        let stack = DataStack::deploy().await;
        let (s3, bucket) = reports_bucket(&stack.sdk).await;
        let mut env = world_env.clone();
        env.insert("REPORTS_BUCKET".into(), bucket.clone());
        env.insert("RECONCILE_CHECKPOINT_EVERY".into(), "10".into());
        env.insert("RECONCILE_LEASE_SECONDS".into(), "5".into());
        let adapters = Adapters::new(&stack.sdk, &stack.resources());
        LongRunStack {
            stack,
            s3,
            bucket,
            env,
            adapters,
        }
    }

    /// The scheduled handler with only the given long runs configured.
    pub fn handler(
        &self,
        reconcile: Option<Reconciler>,
        readiness: Option<Readiness>,
    ) -> ScheduledHandler {
        ScheduledHandler {
            reconcile,
            readiness,
            sweeper: Sweeper::new(
                Arc::new(self.stack.store()),
                Arc::new(self.stack.queue()),
                Arc::new(SystemClock),
                Default::default(),
            ),
            callbacks: None,
            sso: None,
            units: None,
            purge: None,
            clock: Arc::new(SystemClock),
        }
    }
}

pub fn sqs_event(
    messages: &[ehrm_sync_core::ports::ReceivedMessage],
    queue_url: &str,
) -> aws_lambda_events::event::sqs::SqsEvent {
    use serde_json::{Value, json};
    let mut event: Value =
        serde_json::from_str(include_str!("../fixtures/sqs-event.json")).expect("fixture");
    let template = event["Records"][0].clone();
    let arn = format!(
        "arn:aws:sqs:ap-southeast-3:123456789012:{}",
        queue_url.rsplit('/').next().unwrap_or("q")
    );
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            let mut r = template.clone();
            r["messageId"] = json!(m.message_id);
            r["receiptHandle"] = json!(m.receipt);
            r["body"] = json!(m.body);
            r["attributes"]["ApproximateReceiveCount"] = json!(m.receive_count.to_string());
            r["eventSourceARN"] = json!(arn);
            r["messageAttributes"] = json!({});
            r
        })
        .collect();
    event["Records"] = json!(records);
    serde_json::from_value(event).expect("an SqsEvent")
}

/// The Lambda handlers wired to a deployed data stack and a SIASN simulator: what AWS runs,
/// minus the Lambda service itself.
pub mod world {
    use std::collections::HashMap;
    use std::sync::Arc;

    use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
    use serde_json::{Value, json};
    use tower::ServiceExt;

    use ehrm_sync_aws::SqsQueue;
    use ehrm_sync_aws::emf::EmfMetrics;
    use ehrm_sync_aws::wiring::{Adapters, delivery_service, ingest_service};
    use ehrm_sync_core::ports::{QueueConsumer, ReceivedMessage};
    use ehrm_sync_devkit::events::{SignedEvent, random_secret};
    use ehrm_sync_lambda::deliver::DeliverHandler;
    use ehrm_sync_population::{Population, PopulationSpec, generate};
    use ehrm_sync_webhook::Secret;
    use siasn_sim::{Faults, SiasnSim, SimConfig};

    use super::DataStack;
    use crate::harness::{STATUS_KEY, loopback};

    /// How the HTTP event reaches the ingest function.
    #[derive(Clone, Copy, Debug)]
    pub enum Shape {
        /// API Gateway HTTP API (payload 2.0) on stage `training`.
        HttpApi,
        /// API Gateway HTTP API with a base64-encoded body.
        HttpApiBase64,
        /// A Lambda function URL.
        FunctionUrl,
    }

    pub struct AwsWorld {
        pub stack: DataStack,
        pub sim: SiasnSim,
        pub population: Population,
        pub secret: Secret,
        pub adapters: Adapters,
        pub router: axum::Router,
        pub deliver: DeliverHandler,
        /// Receives as the event source mapping would, with a short visibility so that
        /// messages left in the queue return quickly.
        pub consumer: SqsQueue,
        /// The variables the functions would be configured with (plain secrets).
        pub env: HashMap<String, String>,
    }

    impl AwsWorld {
        pub async fn start(faults: Faults, stack_parameters: &[(&str, &str)]) -> AwsWorld {
            let population = generate(&PopulationSpec {
                seed: 31,
                employees: 12,
                ..Default::default()
            });
            Self::start_with(population, faults, stack_parameters, 100.0).await
        }

        pub async fn start_with(
            population: Population,
            faults: Faults,
            stack_parameters: &[(&str, &str)],
            rate: f64,
        ) -> AwsWorld {
            Self::start_custom(
                population,
                faults,
                stack_parameters,
                rate,
                &[],
                Arc::new(ehrm_sync_core::clock::SystemClock),
            )
            .await
        }

        /// As [`AwsWorld::start_with`], with extra variables for the functions and the clock
        /// every service reads (a test may move time forward).
        pub async fn start_custom(
            population: Population,
            faults: Faults,
            stack_parameters: &[(&str, &str)],
            rate: f64,
            extra_env: &[(&str, &str)],
            clock: Arc<dyn ehrm_sync_core::ports::Clock>,
        ) -> AwsWorld {
            let stack = DataStack::deploy_with(stack_parameters).await;
            let sim = SiasnSim::start(
                SimConfig {
                    faults,
                    ..SimConfig::new(population.clone())
                },
                loopback(),
            )
            .await
            .expect("simulator");
            let secret = random_secret();
            let mut env: HashMap<String, String> =
                ehrm_sync_devkit::world::local_env(&sim, &secret, rate);
            for (k, v) in [
                ("RETRY_BASE_SECONDS", "0.5"),
                ("RETRY_MAX_SECONDS", "2"),
                ("RETRY_MAX_ATTEMPTS", "8"),
                ("BKN_TIMEOUT_SECONDS", "3"),
                ("STATUS_API_KEY", STATUS_KEY),
            ] {
                env.insert(k.into(), v.into());
            }
            for (k, v) in extra_env {
                env.insert(k.to_string(), v.to_string());
            }
            env.insert("SYNC_TABLE_NAME".into(), stack.table.clone());
            env.insert("DELIVERY_QUEUE_URL".into(), stack.queue_url.clone());
            env.insert(
                "DEAD_LETTER_QUEUE_URL".into(),
                stack.dead_letter_url.clone(),
            );
            let mut adapters = Adapters::new(&stack.sdk, &stack.resources());
            adapters.clock = clock;
            let ingest_metrics = Arc::new(EmfMetrics::new("ingest"));
            let (ingest, key) =
                ingest_service(&env, &adapters, ingest_metrics.clone()).expect("ingest config");
            let router = ehrm_sync_lambda::ingest::router(
                ingest,
                Arc::new(adapters.store.clone()),
                key,
                ingest_metrics,
            );
            let deliver_metrics = Arc::new(EmfMetrics::new("deliver"));
            let (delivery, retry) =
                delivery_service(&env, &adapters, deliver_metrics.clone()).expect("deliver config");
            let deliver = DeliverHandler {
                delivery,
                visibility: Arc::new(adapters.queue.clone()),
                clock: adapters.clock.clone(),
                retry,
                settle: ehrm_sync_core::config::settle_policy(&env).expect("settle config"),
                metrics: deliver_metrics,
            };
            let consumer = stack.queue().with_receive_visibility(1);
            AwsWorld {
                stack,
                sim,
                population,
                secret,
                adapters,
                router,
                deliver,
                consumer,
                env,
            }
        }

        /// The JSON Lambda would send for this request.
        pub fn http_event(
            shape: Shape,
            method: &str,
            path: &str,
            headers: &[(&str, String)],
            body: &[u8],
        ) -> Value {
            let fixture = match shape {
                Shape::HttpApi | Shape::HttpApiBase64 => {
                    include_str!("../fixtures/apigw-v2-request.json")
                }
                Shape::FunctionUrl => include_str!("../fixtures/function-url-request.json"),
            };
            let mut event: Value = serde_json::from_str(fixture).expect("fixture is JSON");
            let (raw_path, stage, route) = match shape {
                Shape::HttpApi | Shape::HttpApiBase64 => (
                    format!("/training{path}"),
                    "training",
                    format!("{method} {path}"),
                ),
                Shape::FunctionUrl => (path.to_string(), "$default", "$default".to_string()),
            };
            event["rawPath"] = json!(raw_path);
            event["routeKey"] = json!(route);
            event["requestContext"]["stage"] = json!(stage);
            event["requestContext"]["routeKey"] = json!(route);
            event["requestContext"]["http"]["method"] = json!(method);
            event["requestContext"]["http"]["path"] = json!(raw_path);
            for (k, v) in headers {
                event["headers"][*k] = json!(v);
            }
            event["headers"]["content-length"] = json!(body.len().to_string());
            match shape {
                Shape::HttpApiBase64 => {
                    use base64::Engine;
                    event["body"] = json!(base64::engine::general_purpose::STANDARD.encode(body));
                    event["isBase64Encoded"] = json!(true);
                }
                _ => {
                    event["body"] = json!(String::from_utf8_lossy(body));
                    event["isBase64Encoded"] = json!(false);
                }
            }
            event
        }

        /// Sends an HTTP event through the ingest router, as `lambda_http` would.
        pub async fn invoke_http(&self, event: &Value) -> (u16, Value) {
            let request = lambda_http::request::from_str(&event.to_string())
                .expect("lambda_http reads the event");
            let response = self
                .router
                .clone()
                .oneshot(request)
                .await
                .expect("infallible");
            let status = response.status().as_u16();
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .expect("body");
            (
                status,
                serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            )
        }

        /// A signed webhook through the ingest function.
        pub async fn post_change(&self, shape: Shape, body: &Value) -> (u16, Value) {
            let id = format!("evt_{:016x}", rand::random::<u64>());
            let ev = SignedEvent::sign(&self.secret, &id, body.to_string().into_bytes());
            let headers = [
                ("content-type", "application/json".to_string()),
                ("webhook-id", ev.id.clone()),
                ("webhook-timestamp", ev.timestamp.to_string()),
                ("webhook-signature", ev.signature.clone()),
            ];
            self.invoke_http(&Self::http_event(
                shape,
                "POST",
                "/v1/events",
                &headers,
                &ev.body,
            ))
            .await
        }

        /// An SQS event as the event source mapping builds it from received messages.
        /// Employee `i`'s latest annual record, changed (another rating), as the next version:
        /// a save BKN must make. Its body and its record key.
        pub fn changed_annual(&self, i: usize) -> (Value, ehrm_sync_domain::record::RecordKey) {
            let e = &self.population.employees[i];
            let k = e
                .kinerja
                .iter()
                .filter(|k| k.jenis == "tahunan")
                .max_by_key(|k| k.tahun)
                .cloned()
                .expect("annual");
            let k = ehrm_sync_population::Kinerja {
                hasil_kinerja: if k.hasil_kinerja == 1 { 2 } else { 1 },
                perilaku_kerja: 2,
                predikat: 2,
                ..k
            };
            let key = format!("kinerja.tahunan/{}/{}", e.nip, k.tahun)
                .parse()
                .expect("key");
            (
                ehrm_sync_devkit::events::upsert_body(e, &k, k.version + 1),
                key,
            )
        }

        pub fn sqs_event(&self, messages: &[ReceivedMessage]) -> SqsEvent {
            super::sqs_event(messages, &self.stack.queue_url)
        }

        /// One poll of the event source mapping: receive, invoke deliver, delete what succeeded.
        /// Returns the messages handed over and the handler's answer.
        pub async fn pump(&self) -> (Vec<ReceivedMessage>, SqsBatchResponse) {
            let messages = self
                .consumer
                .receive(10, std::time::Duration::from_secs(1))
                .await
                .expect("receive");
            if messages.is_empty() {
                return (messages, SqsBatchResponse::default());
            }
            let deadline =
                ehrm_sync_core::ports::Clock::now_ms(self.adapters.clock.as_ref()) + 120_000;
            let response = self
                .deliver
                .handle(self.sqs_event(&messages), Some(deadline))
                .await;
            let failed: Vec<&str> = response
                .batch_item_failures
                .iter()
                .map(|f| f.item_identifier.as_str())
                .collect();
            for m in &messages {
                if !failed.contains(&m.message_id.as_str()) {
                    self.consumer.delete(&m.receipt).await.expect("delete");
                }
            }
            (messages, response)
        }
    }
}
