//! AWS adapters of the zendesk-sync ports: DynamoDB store, SQS queue, Secrets Manager.
