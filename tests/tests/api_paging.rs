//! `GET /integrations/{id}/jobs` and `/log` page with cursors like `/cases`, and the log filters
//! by ticket and outcome (docs/http-api.md), through the HTTP API on the embedded store with
//! the mapper and the scheduler as the local server runs them, against the simulator.

mod api_common;

use api_common::{Api, Reply, published};
use axum::http::StatusCode;
use serde_json::{Value, json};

/// Every item of a paged list, following `next_cursor` (bounded); checks each page's size.
async fn walk(api: &Api, token: &str, path: &str, limit: usize) -> Vec<Value> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let url = match &cursor {
            Some(c) => format!("{path}{separator}limit={limit}&cursor={c}"),
            None => format!("{path}{separator}limit={limit}"),
        };
        let page = api.get(&url, token).await;
        assert_eq!(page.status, StatusCode::OK, "{url}: {}", page.text);
        let got = page.json["items"].as_array().expect("items").clone();
        assert!(got.len() <= limit, "{url}: {} items", got.len());
        items.extend(got);
        match page.json["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
    panic!("{path}: paging did not end");
}

fn refused(reply: &Reply, field: &str, naming: &str) {
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(
        reply.json["error"]["fields"][0]["field"], field,
        "{}",
        reply.text
    );
    assert!(
        reply.text.contains(naming),
        "names {naming:?}: {}",
        reply.text
    );
}

#[tokio::test]
async fn the_log_pages_with_cursors_and_filters_by_ticket_and_outcome() {
    let api = Api::start().await;
    let (integration, first_case, first, token) = published(&api).await;
    let second_case = api
        .post("/cases", &token, json!({"subject": "Second"}))
        .await;
    let second_case = second_case.json["id"].as_str().expect("id").to_owned();
    let linked = api
        .post(
            &format!("/cases/{second_case}/publish"),
            &token,
            json!({"integration_id": integration}),
        )
        .await;
    assert_eq!(linked.status, StatusCode::CREATED, "{}", linked.text);
    let second = linked.json["ticket"]["ticket_number"]
        .as_u64()
        .expect("ticket");
    for (case, subject) in [
        (&first_case, "First, renamed"),
        (&second_case, "Second, renamed"),
        (&first_case, "First, renamed again"),
    ] {
        let edited = api
            .patch(
                &format!("/cases/{case}"),
                &token,
                json!({"subject": subject}),
            )
            .await;
        assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
        api.mapper().await;
    }
    let log = format!("/integrations/{integration}/log");

    let all = api.get(&format!("{log}?limit=200"), &token).await;
    let all = all.json["items"].as_array().expect("items").clone();
    assert!(all.len() >= 5, "{all:?}");
    assert_eq!(
        walk(&api, &token, &log, 2).await,
        all,
        "pages in order, nothing twice"
    );

    let of_second = walk(&api, &token, &format!("{log}?ticket={second}"), 1).await;
    assert!(!of_second.is_empty());
    let expected: Vec<_> = all
        .iter()
        .filter(|e| e["ticket_number"] == second)
        .cloned()
        .collect();
    assert_eq!(of_second, expected);

    let pushed_first = walk(
        &api,
        &token,
        &format!("{log}?ticket={first}&outcome=pushed"),
        1,
    )
    .await;
    let expected: Vec<_> = all
        .iter()
        .filter(|e| e["ticket_number"] == first && e["outcome"] == "pushed")
        .cloned()
        .collect();
    assert_eq!(
        pushed_first.len(),
        2,
        "two renames pushed: {pushed_first:?}"
    );
    assert_eq!(pushed_first, expected);

    refused(
        &api.get(&format!("{log}?outcome=bogus"), &token).await,
        "outcome",
        "bogus",
    );
    refused(
        &api.get(&format!("{log}?ticket=abc"), &token).await,
        "ticket",
        "abc",
    );
    refused(
        &api.get(&format!("{log}?cursor=garbage"), &token).await,
        "cursor",
        "cursor",
    );
}

#[tokio::test]
async fn jobs_page_with_cursors() {
    let api = Api::start().await;
    let (integration, _, _, token) = published(&api).await;
    for full in [true, false, true] {
        let scheduled = api
            .post(
                &format!("/integrations/{integration}/sync"),
                &token,
                json!({"full": full}),
            )
            .await;
        assert_eq!(scheduled.status, StatusCode::ACCEPTED, "{}", scheduled.text);
        api.scheduler().await;
        api.mapper().await;
    }
    let jobs = format!("/integrations/{integration}/jobs");
    let all = api.get(&format!("{jobs}?limit=200"), &token).await;
    assert!(all.json["next_cursor"].is_null(), "{}", all.text);
    let all = all.json["items"].as_array().expect("items").clone();
    assert!(all.len() >= 3, "{all:?}");
    assert_eq!(
        walk(&api, &token, &jobs, 1).await,
        all,
        "pages in order, nothing twice"
    );
    refused(
        &api.get(&format!("{jobs}?cursor=garbage"), &token).await,
        "cursor",
        "cursor",
    );
}
