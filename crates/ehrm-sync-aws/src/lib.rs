//! The AWS adapters of ehrm-sync and their wiring. Each adapter implements the core ports, so the
//! services run on AWS exactly as they run on one machine.
//!
//! * [`dynamo`] — the sync store on one DynamoDB table (design and access patterns in its docs);
//! * [`sqs`] — the delivery queue (standard SQS with a dead-letter queue; why standard, there);
//! * [`secrets`] — the webhook secret, status key and BKN credentials from Secrets Manager;
//! * [`sso_vault`] — pasted BKN SSO tokens in their own secret (`docs/bkn-sso.md`);
//! * [`emf`] — metrics as CloudWatch Embedded Metric Format lines;
//! * [`reports`] — reconciliation reports in S3;
//! * [`launcher`] — the console starts reconciliation by invoking the scheduled function;
//! * [`sdk`] — SDK configuration honouring `AWS_ENDPOINT_URL` (LocalStack, moto);
//! * [`wiring`] — the services of every function built from the environment, once per cold start.
//!
//! May depend on the core ports and services, the domain and the BKN/eHRM clients (to wire them);
//! must not depend on the Lambda runtime, so the `ehrm-sync --aws` commands use it too. Nothing
//! outside this crate names an `aws-sdk-*` type except tests.

pub mod dynamo;
pub mod emf;
pub mod launcher;
pub mod reports;
pub mod sdk;
pub mod secrets;
pub mod sqs;
pub mod sso_vault;
pub mod wiring;

pub use dynamo::DynamoStore;
pub use sqs::SqsQueue;
