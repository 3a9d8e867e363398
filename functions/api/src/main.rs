//! The api Lambda: the HTTP API's axum Router behind API Gateway's HTTP API. The JWT authorizer
//! has verified the caller's token; the Router reads its claims from the request context. The
//! adapters are built once per cold start and shared by every invocation.

use zsync_api::{Auth, api_router};
use zsync_lambda::{Environment, build_context, init_metrics, init_tracing, metered};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init_tracing();
    let metrics = init_metrics()?;
    let env = Environment::from_process()?;
    // Activation registers Zendesk webhooks at this URL: refuse to start without a usable one.
    env.require_https_public_url()?;
    let ctx = build_context(&env).await?;
    metered::run_http(metrics, api_router(ctx, Auth::api_gateway())).await
}
