//! The pure per-ticket work of the mapper: decide what a ticket is (create/update/stale), build
//! the case for a new ticket and merge a changed one against its shadow. Parsing an export page
//! has its own bench in zsync-zendesk (`cargo bench -p zsync-zendesk`).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use zsync_mapping::Shadow;
use zsync_mapping::case_mapping::{disposition, new_case};
use zsync_mapping::merge::{CaseSide, MergeRules, TicketSide, merge_fields};
use zsync_mapping::people::TicketPeople;
use zsync_mapping::zendesk::{Ticket, TicketExportPage};
use zsync_mapping::{CaseId, ContactId, Integration, IntegrationId, PersonRef, UserId};

/// The recorded Zendesk responses, kept in the repository (`tests/fixtures/zendesk`).
const ZENDESK_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/zendesk");

fn recorded_ticket() -> Ticket {
    let path = PathBuf::from(ZENDESK_FIXTURES).join("incremental_tickets_cursor_page.json");
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("Zendesk fixture {} missing ({e})", path.display()));
    let page: TicketExportPage = serde_json::from_slice(&bytes).expect("export page");
    page.tickets.into_iter().next().expect("a ticket")
}

fn integration() -> Integration {
    let now = chrono::Utc::now();
    Integration {
        id: IntegrationId::new("bench"),
        name: "Bench".into(),
        url: "https://acme.zendesk.com".into(),
        api_email: "a@acme.test".into(),
        api_token_set: true,
        default_zendesk_user_email: None,
        owner_id: UserId::new("owner"),
        two_way_sync: true,
        sync_priority: Some(zsync_mapping::SyncPriority::Remote),
        active: true,
        webhook_id: None,
        created_at: now,
        updated_at: now,
    }
}

fn map_and_merge(c: &mut Criterion) {
    let ticket = recorded_ticket();
    let integration = integration();
    let people = TicketPeople {
        requester: Some(PersonRef::Contact(ContactId::new("c-1"))),
        submitter: Some(PersonRef::Contact(ContactId::new("c-1"))),
        assignee: Some(UserId::new("owner")),
        collaborators: Vec::new(),
    };
    let now = chrono::Utc::now();
    c.bench_function("map a new ticket to a case", |b| {
        b.iter(|| {
            let _ = black_box(disposition(black_box(&ticket), None));
            black_box(new_case(
                black_box(&ticket),
                CaseId::new("case-1"),
                integration.id.clone(),
                &people,
                now,
            ))
        })
    });
    let case = new_case(
        &ticket,
        CaseId::new("case-1"),
        integration.id.clone(),
        &people,
        now,
    );
    let case_side = CaseSide::new(&case, None);
    let ticket_side = TicketSide::new(&ticket, &people);
    let shadow = Shadow::agreed(&case_side, &ticket_side);
    let mut changed = ticket.clone();
    changed.subject = Some("Changed in Zendesk".into());
    let changed_side = TicketSide::new(&changed, &people);
    let rules = MergeRules::for_ticket(&integration, None);
    c.bench_function("merge a changed ticket into its case", |b| {
        b.iter(|| {
            black_box(merge_fields(
                black_box(&shadow),
                &case_side,
                black_box(&changed_side),
                rules,
            ))
        })
    });
}

criterion_group!(benches, map_and_merge);
criterion_main!(benches);
