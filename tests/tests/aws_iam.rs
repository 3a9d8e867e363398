//! Permissions proven by running: every function's real flows on moto with IAM enforced, each
//! function with exactly its role from template.yaml (SAM-expanded, translated into moto's
//! terms by `aws_iam_common::policy`), plus the check of what moto cannot judge (resources and
//! `dynamodb:LeadingKeys` conditions) that the template lint runs too.
//!
//! Needs `ZSYNC_EXPANDED_TEMPLATE` and the IAM-enforcing moto (`ZSYNC_IAM_MOTO_ENDPOINT`);
//! scripts/test.sh provides both.

mod api_common;
mod aws_common;
mod aws_iam_common;
mod export_common;

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_iam_common::coverage::{Request, allows};
use aws_iam_common::policy::{Stack, Template};
use aws_iam_common::{Fixture, Function, World};
use axum::http::{Method, StatusCode};
use serde_json::json;
use zsync_api::webhook_route::webhook_router;
use zsync_aws::SqsQueue;
use zsync_aws::dynamo::keys;
use zsync_core::context::SyncContext;
use zsync_core::export::RunEnd;
use zsync_core::message::SyncMessage;
use zsync_core::ports::CrmStore;
use zsync_core::ports::secrets::{api_token_name, webhook_secret_name};
use zsync_mapping::zendesk::UserRole;
use zsync_mapping::zendesk::{TicketPriority, TicketStatus};
use zsync_mapping::{CaseId, IntegrationId};
use zsync_zendesk_sim::{NewTicket, SeedSpec, TicketChange};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_is_enforced_and_each_role_is_refused_what_it_lacks() {
    let fx = Fixture::new().await;
    let nobody = fx.user_with("nobody", &[]).await;
    let ctx = fx.context(Function::Api, nobody).await;
    let denied = ctx.store.list_users(None, 10).await;
    assert!(
        denied
            .as_ref()
            .is_err_and(|e| e.to_string().contains("AccessDenied")),
        "a user without statements must be refused: {denied:?}"
    );

    let webhook = fx.statements(Function::Webhook).await;
    let keys = fx.user_with("webhook", &webhook).await;
    let webhook = fx.context(Function::Webhook, keys).await;
    let cases = webhook
        .store
        .list_cases(&Default::default(), None, 10)
        .await;
    assert!(cases.is_err(), "the webhook has no Query: {cases:?}");
    let value = secrecy::SecretString::from("forged");
    let put = webhook.secrets.put(&api_token_name("i-1"), &value).await;
    assert!(put.is_err(), "nor CreateSecret/PutSecretValue: {put:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_intake_verifies_dedupes_forgets_a_failed_enqueue_and_enqueues() {
    let w = World::start().await;
    let ticket = w.sim.seed(seed_spec(1, 1)).ticket_ids[0];
    let first = w.deliver_event(&w.webhooks, ticket, "01HIAMHOOK1").await;
    assert_eq!(
        (first.status, first.json),
        (StatusCode::OK, json!({"accepted": 1}))
    );
    assert_eq!(w.queue_depth().await, 1);
    let again = w.deliver_event(&w.webhooks, ticket, "01HIAMHOOK1").await;
    assert_eq!(again.json, json!({"accepted": 0, "duplicate": true}));

    // The queue refuses the enqueue: the dedupe record is forgotten (DeleteItem with the
    // webhook's role), so Zendesk's retry of the same delivery is taken.
    let webhook = w.ctx(Function::Webhook);
    let missing = format!("{}-missing", w.fx.urls.queue_url);
    let broken = SyncContext {
        queue: Arc::new(SqsQueue::new(
            w.sqs_of(Function::Webhook).await,
            missing,
            &w.fx.urls.dlq_url,
        )),
        ..webhook.clone()
    };
    let failed = w
        .deliver_event(&webhook_router(broken), ticket, "01HIAMHOOK2")
        .await;
    assert!(failed.status.is_server_error(), "{}", failed.text);
    let retried = w.deliver_event(&w.webhooks, ticket, "01HIAMHOOK2").await;
    assert_eq!(
        (retried.status, retried.json),
        (StatusCode::OK, json!({"accepted": 1})),
        "the retry after a failed enqueue is taken"
    );
    assert_eq!(w.queue_depth().await, 2);
    let pumped = w.pump().await;
    assert!(pumped.failed.is_empty(), "{pumped:?}");
}

fn seed_spec(tickets: usize, comments_per_ticket: usize) -> SeedSpec {
    SeedSpec {
        tickets,
        users: 12,
        agents: 2,
        comments_per_ticket,
        seed: 23,
    }
}

async fn comments_of(w: &World, ticket: u64) -> Vec<String> {
    let record = w
        .admin_store
        .get_ticket_record(&w.integration, ticket)
        .await
        .expect("record")
        .expect("the ticket has a record")
        .value;
    let comments = w.admin_store.list_comments(&record.case_id).await;
    comments
        .expect("comments")
        .into_iter()
        .map(|c| c.body)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduler_exports_and_mapper_applies_comments_split_snapshots_and_parks_poison() {
    let w = World::start().await;
    let tickets = w.sim.seed(seed_spec(6, 3)).ticket_ids;
    // Poison: parked in the DLQ with its reason by the mapper (SendMessage to the DLQ).
    let poison = "}{ not json";
    w.admin_sqs
        .send_message()
        .queue_url(&w.fx.urls.queue_url)
        .message_body(poison)
        .send()
        .await
        .expect("send poison");

    let scheduler = w.ctx(Function::Scheduler);
    let run = w.export_with(scheduler).await;
    assert_eq!(run.end, RunEnd::Complete, "{run:?}");
    assert_eq!(run.tickets_enqueued, 6);
    assert!(run.job_id.is_some(), "the export runs as a job");
    let pumped = w.pump().await;
    assert!(pumped.failed.is_empty(), "nothing redelivered: {pumped:?}");
    for ticket in &tickets {
        let stored = comments_of(&w, *ticket).await;
        assert!(stored.len() >= 2, "several comments, written in one batch");
        assert_eq!(
            stored.len(),
            w.sim.comments(*ticket).len(),
            "ticket {ticket}: every comment"
        );
    }

    let dead = aws_common::dead_letters(&w.admin_sqs, &w.fx.urls.dlq_url).await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].0, poison);
    assert!(
        dead[0].1.contains("undecodable"),
        "parked by the mapper with its reason, not moved by the redrive policy: {dead:?}"
    );

    // A second run: the cursor and the lease were kept; nothing new.
    let again = w.export_with(scheduler).await;
    assert_eq!(again.end, RunEnd::Complete, "{again:?}");
    assert_eq!((again.tickets_enqueued, again.comment_messages), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mapper_applies_a_snapshot_split_over_several_messages() {
    let w = World::start().await;
    w.sim.seed(seed_spec(1, 1));
    let requester = w
        .sim
        .users()
        .into_iter()
        .find(|u| u.role == Some(UserRole::EndUser))
        .expect("an end user");
    let ticket = w.sim.add_ticket(NewTicket {
        subject: "Too large for one message".into(),
        description: "See the comments.".into(),
        requester_id: requester.id,
        ..NewTicket::default()
    });
    let long: Vec<String> = (0..3)
        .map(|i| format!("long comment {i}: {}", "x".repeat(6000)))
        .collect();
    for body in &long {
        w.sim
            .add_comment(ticket, requester.id, body, true)
            .expect("comment");
    }
    let snapshot = SyncMessage::TicketSnapshot {
        integration_id: w.integration.clone(),
        job_id: None,
        ticket: Box::new(w.sim.ticket(ticket).expect("ticket")),
        users: vec![requester],
        comments: w.sim.comments(ticket),
        part: None,
    };
    let parts = snapshot.split_to_fit(16 * 1024).expect("splits");
    assert!(parts.len() >= 2, "{} parts", parts.len());
    for part in &parts {
        w.admin_sqs
            .send_message()
            .queue_url(&w.fx.urls.queue_url)
            .message_body(part.encode())
            .send()
            .await
            .expect("send part");
    }
    let pumped = w.pump().await;
    assert!(pumped.failed.is_empty(), "{pumped:?}");
    assert_eq!(pumped.received, parts.len());
    let stored = comments_of(&w, ticket).await;
    assert_eq!(stored.len(), w.sim.comments(ticket).len());
    assert!(long.iter().all(|c| stored.contains(c)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crm_changes_are_pushed_and_a_conflict_is_merged_again() {
    let w = World::start().await;
    let ticket = w.sim.seed(seed_spec(1, 1)).ticket_ids[0];
    w.export_with(w.ctx(Function::Scheduler)).await;
    assert!(w.pump().await.failed.is_empty());
    let record = w
        .admin_store
        .get_ticket_record(&w.integration, ticket)
        .await
        .expect("record")
        .expect("synced")
        .value;
    let case = record.case_id.as_str().to_owned();

    // An export picks up an agent's comment (snapshot S queued), then the agent sets the
    // ticket pending and the CRM raises the case's priority. Applying S, older than Zendesk by
    // now, the mapper pushes the priority with S's stamp: Zendesk answers 409, the mapper
    // re-reads the ticket and merges again.
    let change = |change: TicketChange| {
        w.sim
            .agent_update_ticket(ticket, change)
            .expect("agent change")
    };
    change(TicketChange {
        comment: Some(("Any news?".into(), true)),
        ..TicketChange::default()
    });
    let run = w.export_with(w.ctx(Function::Scheduler)).await;
    assert_eq!(run.tickets_enqueued, 1, "{run:?}");
    change(TicketChange {
        status: Some(TicketStatus::Pending),
        ..TicketChange::default()
    });
    let edited = w
        .call(
            Method::PATCH,
            "/cases/{id}",
            &format!("/cases/{case}"),
            Some(json!({"priority": "high"})),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    w.sim.reset_request_counts();
    let pumped = w.pump_in_batches_of(1).await;
    assert!(pumped.failed.is_empty(), "{pumped:?}");
    let now = w.sim.ticket(ticket).expect("ticket");
    assert_eq!(
        (now.priority, now.status),
        (Some(TicketPriority::High), Some(TicketStatus::Pending)),
        "both changes kept"
    );
    assert_eq!(
        w.sim.request_count("tickets_update"),
        2,
        "refused once, then merged"
    );

    // A CRM comment is pushed to Zendesk.
    let comment = w
        .call(
            Method::POST,
            "/cases/{id}/comments",
            &format!("/cases/{case}/comments"),
            Some(json!({"body": "Called the customer back.", "public": true})),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED, "{}", comment.text);
    assert!(w.pump().await.failed.is_empty());
    assert!(
        w.sim
            .comments(ticket)
            .iter()
            .any(|c| c.body.contains("Called the customer back"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_serves_every_route_with_its_role() {
    let w = World::start().await;
    let id = w.integration.as_str().to_owned();
    let ok = |reply: &aws_iam_common::Reply, status: StatusCode| {
        assert_eq!(reply.status, status, "{}", reply.text);
    };
    let call = |method: Method, route: &'static str, path: String, body| {
        let w = &w;
        async move { w.call(method, route, &path, body).await }
    };
    ok(
        &call(Method::GET, "/health", "/health".into(), None).await,
        StatusCode::OK,
    );
    ok(
        &call(Method::GET, "/openapi.json", "/openapi.json".into(), None).await,
        StatusCode::OK,
    );
    ok(
        &call(Method::GET, "/users", "/users".into(), None).await,
        StatusCode::OK,
    );
    ok(
        &call(Method::GET, "/integrations", "/integrations".into(), None).await,
        StatusCode::OK,
    );
    ok(
        &call(
            Method::GET,
            "/integrations/{id}",
            format!("/integrations/{id}"),
            None,
        )
        .await,
        StatusCode::OK,
    );
    // A new API token of an active integration: checked with Zendesk (users/me), then
    // PutSecretValue.
    w.sim.add_api_user(
        aws_iam_common::ZD_EMAIL,
        "zd-token-rotated-91",
        UserRole::Admin,
    );
    let edit = call(
        Method::PATCH,
        "/integrations/{id}",
        format!("/integrations/{id}"),
        Some(json!({"name": "Acme Zendesk (EU)", "api_token": "zd-token-rotated-91"})),
    )
    .await;
    ok(&edit, StatusCode::OK);
    assert_eq!(
        w.admin_secret(&api_token_name(&id)).await.as_deref(),
        Some("zd-token-rotated-91")
    );
    // The account claim (docs/sync-rules.md §2): a second integration for the account is
    // refused by the claim's condition; moving to another account and back (nothing imported
    // yet) moves the claim and the webhook.
    let owner = edit.json["owner_id"].clone();
    let duplicate = call(
        Method::POST,
        "/integrations",
        "/integrations".into(),
        Some(json!({
            "type": "zendesk", "name": "Acme twice", "url": w.sim.base_url(),
            "api_email": aws_iam_common::ZD_EMAIL, "api_token": "zd-token-rotated-91",
            "owner_id": owner,
        })),
    )
    .await;
    ok(&duplicate, StatusCode::CONFLICT);
    let other = zsync_zendesk_sim::Simulator::start(zsync_zendesk_sim::SimConfig::default())
        .await
        .expect("simulator");
    other.add_api_user(
        aws_iam_common::ZD_EMAIL,
        "zd-token-rotated-91",
        UserRole::Admin,
    );
    for url in [other.base_url(), w.sim.base_url()] {
        let moved = call(
            Method::PATCH,
            "/integrations/{id}",
            format!("/integrations/{id}"),
            Some(json!({"url": url})),
        )
        .await;
        ok(&moved, StatusCode::OK);
    }
    assert!(
        other.webhooks().is_empty(),
        "moved back: its webhook is gone"
    );

    // A sync job through the API, run by the scheduler and the mapper.
    w.sim.seed(seed_spec(3, 2));
    let sync = call(
        Method::POST,
        "/integrations/{id}/sync",
        format!("/integrations/{id}/sync"),
        Some(json!({})),
    )
    .await;
    assert!(sync.status.is_success(), "{}", sync.text);
    w.export_with(w.ctx(Function::Scheduler)).await;
    assert!(w.pump().await.failed.is_empty());
    let jobs = call(
        Method::GET,
        "/integrations/{id}/jobs",
        format!("/integrations/{id}/jobs"),
        None,
    )
    .await;
    ok(&jobs, StatusCode::OK);
    let job = jobs.json["items"][0]["id"]
        .as_str()
        .expect("a job")
        .to_owned();
    ok(
        &call(
            Method::GET,
            "/integrations/{id}/jobs/{job_id}",
            format!("/integrations/{id}/jobs/{job}"),
            None,
        )
        .await,
        StatusCode::OK,
    );
    ok(
        &call(
            Method::GET,
            "/integrations/{id}/log",
            format!("/integrations/{id}/log"),
            None,
        )
        .await,
        StatusCode::OK,
    );

    let contacts = call(Method::GET, "/contacts", "/contacts".into(), None).await;
    ok(&contacts, StatusCode::OK);
    let contact = contacts.json["items"][0]["id"]
        .as_str()
        .expect("a contact")
        .to_owned();
    ok(
        &call(
            Method::GET,
            "/contacts/{id}",
            format!("/contacts/{contact}"),
            None,
        )
        .await,
        StatusCode::OK,
    );

    let created = call(
        Method::POST,
        "/cases",
        "/cases".into(),
        Some(json!({"subject": "Printer on fire", "priority": "normal"})),
    )
    .await;
    ok(&created, StatusCode::CREATED);
    let case = created.json["id"].as_str().expect("case id").to_owned();
    ok(
        &call(Method::GET, "/cases", "/cases".into(), None).await,
        StatusCode::OK,
    );
    ok(
        &call(Method::GET, "/cases/{id}", format!("/cases/{case}"), None).await,
        StatusCode::OK,
    );
    ok(
        &call(
            Method::PATCH,
            "/cases/{id}",
            format!("/cases/{case}"),
            Some(json!({"priority": "high"})),
        )
        .await,
        StatusCode::OK,
    );
    ok(
        &call(
            Method::POST,
            "/cases/{id}/comments",
            format!("/cases/{case}/comments"),
            Some(json!({"body": "On it."})),
        )
        .await,
        StatusCode::CREATED,
    );
    let publish = call(
        Method::POST,
        "/cases/{id}/publish",
        format!("/cases/{case}/publish"),
        Some(json!({"integration_id": id})),
    )
    .await;
    ok(&publish, StatusCode::CREATED);
    assert!(publish.json["ticket"]["ticket_number"].as_u64().is_some());
    assert!(w.pump().await.failed.is_empty());

    // Deactivation, activation again (a new webhook secret), deletion (both secrets go).
    ok(
        &call(
            Method::POST,
            "/integrations/{id}/deactivate",
            format!("/integrations/{id}/deactivate"),
            Some(json!({})),
        )
        .await,
        StatusCode::OK,
    );
    ok(
        &call(
            Method::POST,
            "/integrations/{id}/activate",
            format!("/integrations/{id}/activate"),
            Some(json!({})),
        )
        .await,
        StatusCode::OK,
    );
    assert!(w.admin_secret(&webhook_secret_name(&id)).await.is_some());
    // A purge: cases found on GSI3 and unlinked, jobs, cursor, log and outbox deleted.
    let deleted = call(
        Method::DELETE,
        "/integrations/{id}",
        format!("/integrations/{id}?purge=true"),
        None,
    )
    .await;
    ok(&deleted, StatusCode::NO_CONTENT);
    let integration = zsync_mapping::IntegrationId::new(id.clone());
    assert!(
        w.admin_store
            .list_jobs(&integration, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        w.admin_store
            .get_export_cursor(&integration)
            .await
            .unwrap()
            .is_none()
    );
    let unlinked = w
        .admin_store
        .get_case(&zsync_mapping::CaseId::new(case.clone()))
        .await
        .unwrap();
    assert_eq!(unlinked.expect("the case stays").value.integration_id, None);
    assert_eq!(w.admin_secret(&webhook_secret_name(&id)).await, None);
    assert_eq!(w.admin_secret(&api_token_name(&id)).await, None);

    // Every route of the API (the webhook route is the webhook function's).
    let documented: BTreeSet<(String, String)> = zsync_api::openapi()
        .paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            let methods = [
                ("get", item.get.is_some()),
                ("post", item.post.is_some()),
                ("patch", item.patch.is_some()),
                ("put", item.put.is_some()),
                ("delete", item.delete.is_some()),
            ];
            methods
                .into_iter()
                .filter(|(_, present)| *present)
                .map(|(m, _)| (m.to_owned(), path.clone()))
                .collect::<Vec<_>>()
        })
        .filter(|(_, path)| !path.starts_with("/webhooks/"))
        .collect();
    let called = w.routes.lock().expect("routes").clone();
    let missing: Vec<_> = documented.difference(&called).collect();
    assert!(
        missing.is_empty(),
        "routes not exercised under IAM: {missing:?}"
    );
}

/// The check of what moto cannot judge, on the template itself (the lint runs it too):
/// every function's statements, with their resources and `dynamodb:LeadingKeys` conditions,
/// allow the requests its code makes — names taken from the code's own constants — and refuse
/// a few it must not make.
#[test]
fn template_resources_and_conditions_cover_what_each_function_uses() {
    let template = Template::load();
    let stack = Stack {
        partition: "aws".into(),
        region: "eu-west-1".into(),
        account: "111122223333".into(),
        table: "zsync-table-7".into(),
        queue_url: "https://sqs.eu-west-1.amazonaws.com/111122223333/zsync-sync".into(),
        dlq_url: "https://sqs.eu-west-1.amazonaws.com/111122223333/zsync-dlq".into(),
        parameters: [
            ("Stage", "prod"),
            ("MaxReceiveCount", "5"),
            ("AllowInsecureZendeskUrls", "false"),
            ("LogLevel", "info"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
    };
    let table = format!(
        "arn:aws:dynamodb:eu-west-1:111122223333:table/{}",
        stack.table
    );
    let queue = "arn:aws:sqs:eu-west-1:111122223333:zsync-sync".to_owned();
    let dlq = "arn:aws:sqs:eu-west-1:111122223333:zsync-dlq".to_owned();
    let env = template.environment(Function::Api.logical_id(), &stack);
    let prefix = env[zsync_lambda::SECRET_PREFIX].clone();
    // Secrets Manager appends six random characters to a secret's ARN.
    let secret = |name: String| {
        format!("arn:aws:secretsmanager:eu-west-1:111122223333:secret:{prefix}{name}-Ab12Cd")
    };
    let integration = IntegrationId::new("01HINTEGRATION");
    let case = CaseId::new("01HCASE");
    let indexes: Vec<String> = keys::INDEXES
        .iter()
        .map(|(name, _, _)| format!("{table}/index/{name}"))
        .collect();
    let store_actions = [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
    ];
    let store_keys = [
        keys::integrations_pk(),
        keys::case_pk(&case),
        keys::integration_pk(&integration),
        keys::log_pk(&integration),
        keys::ticket_pk(&integration, 7),
    ];
    let full_store = |extra: &[&str]| {
        let mut requests = Vec::new();
        for action in store_actions.iter().chain(extra) {
            requests.push(Request::new(action, &table).keys(&store_keys));
        }
        requests.push(Request::new("dynamodb:Query", &table).keys(&store_keys));
        for index in &indexes {
            requests.push(Request::new("dynamodb:Query", index));
        }
        requests
    };
    let id = integration.as_str();
    let needs: Vec<(Function, Vec<Request>, Vec<Request>)> = vec![
        (
            Function::Webhook,
            vec![
                Request::new("dynamodb:GetItem", &table).keys(&[keys::integrations_pk()]),
                Request::new("dynamodb:PutItem", &table).keys(&[keys::dedupe_pk("delivery-1")]),
                Request::new("dynamodb:DeleteItem", &table).keys(&[keys::dedupe_pk("delivery-1")]),
                Request::new(
                    "secretsmanager:GetSecretValue",
                    secret(webhook_secret_name(id)),
                ),
                Request::new("sqs:SendMessage", &queue),
            ],
            vec![
                Request::new("dynamodb:GetItem", &table).keys(&[keys::case_pk(&case)]),
                Request::new("dynamodb:PutItem", &table).keys(&[keys::integrations_pk()]),
                Request::new("secretsmanager:GetSecretValue", secret(api_token_name(id))),
                Request::new("sqs:SendMessage", &dlq),
            ],
        ),
        (
            Function::Scheduler,
            [
                full_store(&[]),
                vec![
                    Request::new("secretsmanager:GetSecretValue", secret(api_token_name(id))),
                    Request::new("sqs:SendMessage", &queue),
                    // A message the queue keeps refusing is parked with its reason
                    // (export::enqueue) and the export moves on.
                    Request::new("sqs:SendMessage", &dlq),
                ],
            ]
            .concat(),
            vec![Request::new(
                "secretsmanager:GetSecretValue",
                secret(webhook_secret_name(id)),
            )],
        ),
        (
            Function::Mapper,
            [
                full_store(&[]),
                vec![
                    Request::new("dynamodb:BatchWriteItem", &table).keys(&[keys::case_pk(&case)]),
                    Request::new("secretsmanager:GetSecretValue", secret(api_token_name(id))),
                    Request::new("sqs:SendMessage", &dlq),
                    // A message waiting on Zendesk is hidden for its delay (sync::batch).
                    Request::new("sqs:ChangeMessageVisibility", &queue),
                ],
            ]
            .concat(),
            vec![
                Request::new("dynamodb:BatchWriteItem", &table).keys(&[keys::integrations_pk()]),
                Request::new(
                    "secretsmanager:GetSecretValue",
                    secret(webhook_secret_name(id)),
                ),
                Request::new("sqs:SendMessage", &queue),
            ],
        ),
        (
            Function::Api,
            [
                full_store(&[]),
                [
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:CreateSecret",
                    "secretsmanager:DeleteSecret",
                ]
                .iter()
                .flat_map(|a| {
                    [
                        Request::new(a, secret(api_token_name(id))),
                        Request::new(a, secret(webhook_secret_name(id))),
                    ]
                })
                .chain([Request::new("sqs:SendMessage", &queue)])
                .collect(),
            ]
            .concat(),
            vec![Request::new("sqs:SendMessage", &dlq)],
        ),
    ];
    assert_eq!(
        template.functions().len(),
        needs.len(),
        "every function is checked"
    );
    let mut problems = Vec::new();
    for (function, allowed, refused) in &needs {
        let role = template.role(function.logical_id());
        let mut statements = Vec::new();
        for document in &role.inline {
            let resolved = stack.resolve(document).expect("resolves");
            statements.extend(aws_iam_common::policy::statements(&resolved).expect("modelled"));
        }
        for request in allowed {
            if !allows(&statements, request).expect("judged") {
                problems.push(format!("{function:?} needs {request:?}"));
            }
        }
        for request in refused {
            if allows(&statements, request).expect("judged") {
                problems.push(format!("{function:?} must not be allowed {request:?}"));
            }
        }
    }
    // The SQS event source polls with the mapper's role: SAM attaches AWS's managed policy.
    let mapper = template.role(Function::Mapper.logical_id());
    if !mapper
        .managed
        .iter()
        .any(|arn| arn.ends_with("/AWSLambdaSQSQueueExecutionRole"))
    {
        problems.push("the mapper's role lacks AWSLambdaSQSQueueExecutionRole".into());
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
