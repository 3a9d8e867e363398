//! The mapper Lambda: applies sync queue messages to the CRM and pushes CRM changes to Zendesk
//! (SQS event source with `ReportBatchItemFailures`: only the messages that may heal are
//! redelivered; the rest of a batch is done). The invocation's deadline reaches the batch:
//! messages not finished shortly before it are reported as failures instead of the whole batch
//! timing out (see `zsync_core::sync::process_batch_within`).

use std::time::{Duration, SystemTime};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use tokio::time::Instant;
use zsync_core::sync::{ReceivedMessage, process_batch_within};
use zsync_lambda::{Environment, build_context, init_metrics, init_tracing, metered};

/// Kept back before the Lambda deadline: delaying waiting messages and answering.
const MARGIN: Duration = Duration::from_secs(3);

/// The monotonic instant `MARGIN` before the wall-clock `deadline` (now if already past).
fn deadline_from(deadline: SystemTime, wall_now: SystemTime, now: Instant) -> Instant {
    let left = deadline.duration_since(wall_now).unwrap_or_default();
    now + left.saturating_sub(MARGIN)
}

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
            let deadline =
                deadline_from(event.context.deadline(), SystemTime::now(), Instant::now());
            let messages = event.payload.records.into_iter().map(received).collect();
            let failed = process_batch_within(ctx, messages, max_receives, deadline).await;
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
        receipt: record.receipt_handle,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqs_records_become_received_messages_with_their_receive_count() {
        let event: SqsEvent = serde_json::from_value(serde_json::json!({"Records": [
            {"messageId": "m-1", "body": "{\"v\":1}", "receiptHandle": "rh-1",
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
                    receive_count: 3,
                    receipt: Some("rh-1".into()),
                },
                ReceivedMessage {
                    id: "m-2".into(),
                    body: "x".into(),
                    receive_count: 1,
                    receipt: None,
                },
            ]
        );
    }

    #[test]
    fn the_deadline_keeps_a_margin_and_never_lies_before_now() {
        let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let now = Instant::now();
        assert_eq!(
            deadline_from(wall + Duration::from_secs(120), wall, now),
            now + Duration::from_secs(120) - MARGIN
        );
        assert_eq!(deadline_from(wall + Duration::from_secs(1), wall, now), now);
        assert_eq!(deadline_from(wall - Duration::from_secs(5), wall, now), now);
    }
}
