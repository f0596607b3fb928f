//! The tests on AWS's shapes: DynamoDB, SQS, S3 and Secrets Manager at the endpoint
//! `AWS_ENDPOINT_URL` names (moto here, LocalStack on a laptop), and the Lambda handlers with real
//! event JSON. One test binary for all of them; each module is one subject.

mod console_aws;
mod contract_aws;
mod jabatan_aws;
mod lambda_e2e;
mod lambda_events;
mod outage_aws;
mod readiness_aws;
mod reconcile_aws;
mod retention_aws;
mod sso_aws;
