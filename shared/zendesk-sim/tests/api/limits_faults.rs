use std::time::Duration;

use zsync_zendesk_sim::{FaultPlan, RateLimit};

use crate::Harness;

#[tokio::test]
async fn export_budget_answers_429_with_retry_after_and_rate_headers() {
    let h = Harness::start().await;
    let plain = h.get("/api/v2/users/me.json").await;
    assert!(
        !plain.headers().contains_key("x-rate-limit-remaining"),
        "no budget headers while limits are off: clients must not pace against them"
    );

    h.sim.set_rate_limit(Some(RateLimit {
        requests_per_minute: 100,
        export_requests_per_minute: 2,
        window: Duration::from_secs(60),
    }));
    let export = "/api/v2/incremental/tickets/cursor.json?start_time=0";
    for _ in 0..2 {
        let ok = h.get(export).await;
        assert_eq!(ok.status(), 200);
        assert!(
            ok.headers()
                .contains_key("zendesk-ratelimit-incremental-exports")
        );
    }
    let refused = h.get(export).await;
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    for name in [
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
        "x-rate-limit",
        "x-rate-limit-remaining",
    ] {
        assert!(refused.headers().contains_key(name), "{name}");
    }
    // The rest of the API still has budget.
    let other = h.get("/api/v2/users/me.json").await;
    assert_eq!(other.status(), 200);
    assert_eq!(other.headers()["x-rate-limit"], "100");
    assert_eq!(h.sim.request_count("incremental_tickets"), 3);
}

#[tokio::test]
async fn short_window_refills_the_budget() {
    let h = Harness::start().await;
    h.sim.set_rate_limit(Some(RateLimit {
        requests_per_minute: 1,
        export_requests_per_minute: 1,
        window: Duration::from_millis(300),
    }));
    assert_eq!(h.get("/api/v2/users/me.json").await.status(), 200);
    assert_eq!(h.get("/api/v2/users/me.json").await.status(), 429);
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(h.get("/api/v2/users/me.json").await.status(), 200);
}

#[tokio::test]
async fn injected_5xx_and_timeouts_then_recovery() {
    let h = Harness::start().await;
    h.sim.inject_faults(FaultPlan {
        next_5xx: 2,
        next_timeouts: 1,
        timeout_delay: Duration::from_millis(1500),
        ..Default::default()
    });
    for _ in 0..2 {
        let r = h.get("/api/v2/users/me.json").await;
        assert_eq!(r.status(), 503);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"], "ServiceUnavailable");
    }
    let timed_out = h
        .http
        .get(h.url("/api/v2/users/me.json"))
        .basic_auth(format!("{}/token", crate::EMAIL), Some(crate::TOKEN))
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(timed_out.is_err_and(|e| e.is_timeout()));
    assert_eq!(h.get("/api/v2/users/me.json").await.status(), 200);
    assert_eq!(h.sim.request_count("users_me"), 4);
    assert_eq!(h.sim.total_requests(), 4);
}

#[tokio::test]
async fn timeout_after_processing_still_creates_the_ticket() {
    let h = Harness::start().await;
    h.sim.inject_faults(FaultPlan {
        next_timeouts: 1,
        timeouts_after_processing: true,
        timeout_delay: Duration::from_millis(1500),
        endpoints: vec!["tickets_create".into()],
        ..Default::default()
    });
    let attempt = h
        .http
        .post(h.url("/api/v2/tickets.json"))
        .basic_auth(format!("{}/token", crate::EMAIL), Some(crate::TOKEN))
        .json(&serde_json::json!({"ticket": {"subject": "s", "comment": {"body": "b"}, "external_id": "case-1"}}))
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(attempt.is_err_and(|e| e.is_timeout()));
    let found: zsync_mapping::zendesk::TicketList = h
        .get("/api/v2/tickets.json?external_id=case-1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        found.tickets.len(),
        1,
        "the write happened although the client timed out"
    );
}
