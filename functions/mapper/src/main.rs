//! The mapper Lambda: applies sync queue messages to the CRM and pushes CRM changes to Zendesk
//! (SQS event source with `ReportBatchItemFailures`: only the messages that may heal are
//! redelivered; the rest of a batch is done).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use zsync_core::sync::{ReceivedMessage, process_batch};
use zsync_lambda::{Environment, build_context, init_metrics, init_tracing, metered};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let metrics = init_metrics()?;
    let env = Environment::from_process()?;
    let ctx = build_context(&env).await?;
    let (ctx, max_receives) = (&ctx, env.max_receives);
    metered::run(
        metrics,
        service_fn(move |event: LambdaEvent<SqsEvent>| async move {
            let messages = event.payload.records.into_iter().map(received).collect();
            let failed = process_batch(ctx, messages, max_receives).await;
            let mut response = SqsBatchResponse::default();
            response.set_failures(failed);
            Ok::<_, Error>(response)
        }),
    )
    .await
}

fn received(record: aws_lambda_events::event::sqs::SqsMessage) -> ReceivedMessage {
    let receive_count = record
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    ReceivedMessage {
        id: record.message_id.unwrap_or_default(),
        body: record.body.unwrap_or_default(),
        receive_count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqs_records_become_received_messages_with_their_receive_count() {
        let event: SqsEvent = serde_json::from_value(serde_json::json!({"Records": [
            {"messageId": "m-1", "body": "{\"v\":1}",
             "attributes": {"ApproximateReceiveCount": "3"}},
            {"messageId": "m-2", "body": "x", "attributes": {}}
        ]}))
        .unwrap();
        let messages: Vec<ReceivedMessage> = event.records.into_iter().map(received).collect();
        assert_eq!(
            messages,
            vec![
                ReceivedMessage {
                    id: "m-1".into(),
                    body: "{\"v\":1}".into(),
                    receive_count: 3
                },
                ReceivedMessage {
                    id: "m-2".into(),
                    body: "x".into(),
                    receive_count: 1
                },
            ]
        );
    }
}
