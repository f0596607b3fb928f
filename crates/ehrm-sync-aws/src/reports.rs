//! Run reports in S3 (`REPORTS_BUCKET`): `reconcile/<run id>/report.csv`, `report.xlsx` and
//! `report.json`; `readiness/<run id>/readiness.*` for readiness runs. Encrypted by the
//! bucket's default (the stack's KMS key).

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;

use ehrm_sync_core::ports::{ReportSink, StoreError};

pub struct S3Reports {
    client: Client,
    bucket: String,
    /// The first part of every key (`reconcile`, `readiness`).
    prefix: String,
}

impl S3Reports {
    /// A client from the shared SDK configuration; against an emulator (`AWS_ENDPOINT_URL`),
    /// path-style addressing, since `bucket.127.0.0.1` does not resolve.
    pub fn from_sdk(sdk: &aws_config::SdkConfig, bucket: impl Into<String>) -> Self {
        let emulated = sdk.endpoint_url().is_some();
        let config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(emulated)
            .build();
        Self::new(Client::from_conf(config), bucket)
    }

    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        S3Reports {
            client,
            bucket: bucket.into(),
            prefix: "reconcile".into(),
        }
    }

    /// Keys under `prefix/` instead of `reconcile/`.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }
}

#[async_trait]
impl ReportSink for S3Reports {
    async fn write(
        &self,
        run_id: &str,
        name: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<String, StoreError> {
        let key = format!("{}/{run_id}/{name}", self.prefix);
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| {
                StoreError::Unavailable(format!(
                    "S3 put s3://{}/{key}: {}",
                    self.bucket,
                    e.into_service_error()
                ))
            })?;
        Ok(format!("s3://{}/{key}", self.bucket))
    }
}
