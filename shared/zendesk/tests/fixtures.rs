//! The client against real recorded Zendesk answers (the repository's `tests/fixtures/zendesk`),
//! served with their recorded status codes by a tiny stub on 127.0.0.1.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use secrecy::SecretString;
use zsync_core::ports::{
    ExportFrom, NewComment, NewTicket, TicketChanges, ZendeskAccount, ZendeskApi, ZendeskError,
};
use zsync_mapping::IntegrationId;
use zsync_mapping::zendesk::TicketStatus;
use zsync_zendesk::{ClientConfig, ZendeskClient, ZendeskClientFactory};

const TOKEN: &str = "fixture-token-6f1c2a9e";

/// The recorded Zendesk responses, kept in the repository (`tests/fixtures/zendesk`).
const ZENDESK_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/zendesk");

fn fixtures_dir() -> PathBuf {
    let dir = PathBuf::from(ZENDESK_FIXTURES);
    assert!(
        dir.join("ticket_show.json").is_file(),
        "Zendesk fixtures not found at {}",
        dir.display()
    );
    dir
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixtures_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// (method, path, query contains) → (status, fixture file).
const ROUTES: &[(&str, &str, &str, u16, &str)] = &[
    ("GET", "/api/v2/tickets/1.json", "", 200, "ticket_show.json"),
    (
        "POST",
        "/api/v2/tickets.json",
        "",
        201,
        "ticket_create_201.json",
    ),
    (
        "GET",
        "/api/v2/incremental/tickets/cursor.json",
        "cursor=",
        200,
        "incremental_tickets_cursor_final_page.json",
    ),
    (
        "GET",
        "/api/v2/incremental/tickets/cursor.json",
        "start_time=",
        200,
        "incremental_tickets_cursor_page.json",
    ),
    (
        "GET",
        "/api/v2/tickets/33/comments.json",
        "",
        200,
        "ticket_comments_page.json",
    ),
    (
        "GET",
        "/api/v2/users/show_many.json",
        "",
        200,
        "users_show_many.json",
    ),
    (
        "GET",
        "/api/v2/webhooks/01HANAHHBNJDDW768TX5J4YFX7/signing_secret",
        "",
        200,
        "webhook_signing_secret.json",
    ),
    (
        "GET",
        "/api/v2/tickets/9223372036854775807.json",
        "",
        404,
        "error_404_record_not_found.json",
    ),
    (
        "PUT",
        "/api/v2/tickets/9223372036854775807.json",
        "",
        404,
        "error_404_record_not_found.json",
    ),
    (
        "PUT",
        "/api/v2/tickets/4014.json",
        "",
        422,
        "error_422_closed_ticket.json",
    ),
    // Not a recorded answer: a 200 whose body is not a ticket (ids must be numbers).
    (
        "GET",
        "/api/v2/tickets/3.json",
        "",
        200,
        "inline:{\"ticket\":{\"id\":\"three\"}}",
    ),
];

#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    query: String,
    authorization: String,
}

struct Stub {
    base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn start_stub() -> Stub {
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |req: Request<Body>| {
        let log = log.clone();
        async move {
            let method = req.method().to_string();
            let path = req.uri().path().to_owned();
            let query = req.uri().query().unwrap_or("").to_owned();
            let authorization = req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            log.lock().unwrap().push(Seen {
                method: method.clone(),
                path: path.clone(),
                query: query.clone(),
                authorization,
            });
            let route = ROUTES
                .iter()
                .find(|(m, p, q, _, _)| *m == method && *p == path && query.contains(q));
            match route {
                Some((_, _, _, status, file)) => Response::builder()
                    .status(*status)
                    .header("content-type", "application/json; charset=utf-8")
                    .body(Body::from(match file.strip_prefix("inline:") {
                        Some(inline) => inline.as_bytes().to_vec(),
                        None => fixture(file),
                    }))
                    .unwrap(),
                None => Response::builder()
                    .status(StatusCode::IM_A_TEAPOT)
                    .body(Body::from(format!("no fixture for {method} {path}")))
                    .unwrap(),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Stub {
        base_url: format!("http://{addr}"),
        seen,
    }
}

fn client(base_url: &str) -> ZendeskClient {
    ZendeskClientFactory::new(ClientConfig::default())
        .unwrap()
        .client(ZendeskAccount {
            integration_id: IntegrationId::new("int-fixtures"),
            base_url: base_url.to_owned(),
            api_email: "admin@example.com".into(),
            api_token: SecretString::from(TOKEN),
        })
        .unwrap()
}

#[tokio::test]
async fn reads_every_recorded_payload() {
    let _ = fixtures_dir();
    let stub = start_stub().await;
    let zd = client(&stub.base_url);

    let shown = zd.show_ticket(1).await.unwrap();
    assert_eq!(shown.ticket.id, 1);
    assert_eq!(
        shown.ticket.subject.as_deref(),
        Some("Sample ticket: Meet the ticket")
    );
    assert_eq!(shown.ticket.status, Some(TicketStatus::Open));
    assert_eq!(shown.ticket.tags, ["sample", "support", "zendesk"]);

    let created = zd
        .create_ticket(&NewTicket {
            subject: "test".into(),
            comment: NewComment {
                body: "test".into(),
                public: true,
                author_id: None,
            },
            requester: None,
            assignee_id: None,
            priority: None,
            status: None,
            ticket_type: None,
            external_id: None,
        })
        .await
        .unwrap();
    assert_eq!(created.id, 4014);
    assert_eq!(created.status, Some(TicketStatus::New));

    let first = zd.export_tickets(&ExportFrom::StartTime(0)).await.unwrap();
    assert_eq!(first.tickets.len(), 1);
    assert!(!first.end_of_stream);
    let cursor = first.after_cursor.clone().unwrap();
    assert_eq!(cursor, "MTY5NTA1MjY2My4wfHwyOHw=");
    let last = zd
        .export_tickets(&ExportFrom::Cursor(cursor))
        .await
        .unwrap();
    assert_eq!(last.tickets.len(), 87);
    assert!(last.end_of_stream);
    // Kept at the end of the stream: the next scheduled run polls with it.
    assert_eq!(
        last.after_cursor.as_deref(),
        Some("MTcwNzI3MTc0MS4wfHw0MDQ1fA==")
    );
    assert_eq!(last.tickets.iter().filter(|t| t.is_deleted()).count(), 1);

    let comments = zd.ticket_comments(33).await.unwrap().comments;
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].body, "Some comment");
    assert!(comments[0].public);

    let users = zd.show_users(&[6164069176474]).await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].email, None);

    let secret = zd
        .webhook_signing_secret("01HANAHHBNJDDW768TX5J4YFX7")
        .await
        .unwrap();
    use secrecy::ExposeSecret;
    assert_eq!(
        secret.expose_secret(),
        "wMZJU7Dlw7pdGPBAs7fz3lVSjF5Hef8mqD7avv5n7zs="
    );

    // What the client sent: the export parameters and Zendesk's token auth.
    let seen = stub.seen.lock().unwrap().clone();
    let export_queries: Vec<&str> = seen
        .iter()
        .filter(|s| s.path.ends_with("cursor.json"))
        .map(|s| s.query.as_str())
        .collect();
    assert_eq!(
        export_queries,
        [
            "start_time=0&per_page=1000&include=users",
            "cursor=MTY5NTA1MjY2My4wfHwyOHw%3D&per_page=1000&include=users",
        ]
    );
    let comments_query = &seen
        .iter()
        .find(|s| s.path.ends_with("comments.json"))
        .unwrap()
        .query;
    assert_eq!(comments_query, "page%5Bsize%5D=100&include=users");
    use base64::Engine as _;
    let expected_auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("admin@example.com/token:{TOKEN}"))
    );
    assert!(
        seen.iter().all(|s| s.authorization == expected_auth),
        "{seen:?}"
    );
}

#[tokio::test]
async fn recorded_errors_become_typed_errors_without_retries() {
    let stub = start_stub().await;
    let zd = client(&stub.base_url);

    let missing = zd.show_ticket(9223372036854775807).await.unwrap_err();
    assert!(
        matches!(missing, ZendeskError::NotFound { .. }),
        "{missing:?}"
    );

    let changes = TicketChanges {
        subject: Some("x".into()),
        ..TicketChanges::default()
    };
    let stamp = "2023-09-18T23:25:58Z".parse().unwrap();
    let closed = zd.update_ticket(4014, &changes, stamp).await.unwrap_err();
    assert!(
        matches!(closed, ZendeskError::ClosedTicket { ticket_id: 4014 }),
        "{closed:?}"
    );

    let gone = zd
        .update_ticket(9223372036854775807, &changes, stamp)
        .await
        .unwrap_err();
    assert!(matches!(gone, ZendeskError::NotFound { .. }), "{gone:?}");

    // 4xx are answers, not failures: each was asked exactly once.
    let puts = stub
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.method == "PUT")
        .count();
    assert_eq!(puts, 2);

    let unexpected = zd.show_ticket(2).await.unwrap_err();
    match &unexpected {
        ZendeskError::Invalid { status: 418, .. } => {}
        e => panic!("{e:?}"),
    }

    let undecodable = zd.show_ticket(3).await.unwrap_err();
    match &undecodable {
        ZendeskError::Decode { endpoint, reason } => {
            assert_eq!(endpoint, "GET /api/v2/tickets/3.json");
            assert!(reason.contains("three"), "{reason}");
        }
        e => panic!("{e:?}"),
    }

    for err in [missing, closed, gone, unexpected, undecodable] {
        for text in [format!("{err:?}"), err.to_string()] {
            assert!(!text.contains(TOKEN), "{text}");
            assert!(!text.to_ascii_lowercase().contains("basic "), "{text}");
        }
    }
    assert!(!format!("{zd:?}").contains(TOKEN));
}
