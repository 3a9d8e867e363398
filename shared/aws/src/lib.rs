//! AWS adapters of the zendesk-sync ports: the DynamoDB store ([`DynamoStore`]), the SQS queue
//! ([`SqsQueue`]) and the Secrets Manager secret store ([`SecretsManagerStore`]).
//!
//! Clients come from `aws-config` (see [`load_sdk_config`]), which honours `AWS_ENDPOINT_URL`:
//! the same code talks to AWS in the cloud and to a local emulator (moto) in tests.

pub mod counter;
pub mod dynamo;
pub mod secrets;
pub mod sqs;

// The SDK crates, so users (tests, tooling) build clients with the same versions.
pub use aws_config::SdkConfig;
pub use aws_sdk_dynamodb;
pub use aws_sdk_secretsmanager;
pub use aws_sdk_sqs;
pub use counter::{OperationStats, RequestCounter};
pub use dynamo::{DynamoStore, create_table};
pub use secrets::SecretsManagerStore;
pub use sqs::{QueuePair, SqsQueue, create_queue_pair};

/// Loads the SDK configuration from the environment (region, credentials, `AWS_ENDPOINT_URL`).
pub async fn load_sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
}
