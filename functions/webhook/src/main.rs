//! The webhook Lambda: `POST /webhooks/zendesk/{integration_id}` behind API Gateway's HTTP API
//! (no JWT: the Zendesk signature authenticates). It only checks and enqueues, so Zendesk gets
//! its answer fast. lambda_http hands the route the exact body bytes (it decodes
//! `isBase64Encoded` bodies), which the signature check needs.

use zsync_api::webhook_route::webhook_router;
use zsync_lambda::{Environment, build_context, init_metrics, init_tracing, metered};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init_tracing();
    let metrics = init_metrics()?;
    let ctx = build_context(&Environment::from_process()?).await?;
    metered::run_http(metrics, webhook_router(ctx)).await
}
