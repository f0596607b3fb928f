//! The AWS adapters of ehrm-sync. Each implements the core ports, so the ingest and deliver
//! services run on AWS exactly as they run on one machine.
//!
//! * [`dynamo`] — the sync store on one DynamoDB table (design and access patterns in its docs);
//! * [`sqs`] — the delivery queue (standard SQS with a dead-letter queue; why standard, there);
//! * [`secrets`] — the webhook secret, status key and BKN credentials from Secrets Manager;
//! * [`emf`] — metrics as CloudWatch Embedded Metric Format lines;
//! * [`sdk`] — SDK configuration honouring `AWS_ENDPOINT_URL` (LocalStack, moto).

pub mod dynamo;
pub mod emf;
pub mod reports;
pub mod sdk;
pub mod secrets;
pub mod sqs;

pub use dynamo::DynamoStore;
pub use sqs::SqsQueue;
