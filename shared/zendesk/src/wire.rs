//! Request bodies Zendesk expects, built from the port's types. Only set fields are sent, so
//! an update never overwrites what it did not mean to change.

use chrono::SecondsFormat;
use serde_json::{Map, Value, json};
use zsync_core::ports::{NewComment, NewEndUser, NewTicket, NewWebhook, Requester, TicketChanges};
use zsync_mapping::Timestamp;

fn comment(c: &NewComment) -> Value {
    let mut body = Map::new();
    body.insert("body".into(), json!(c.body));
    body.insert("public".into(), json!(c.public));
    if let Some(author) = c.author_id {
        body.insert("author_id".into(), json!(author));
    }
    Value::Object(body)
}

pub fn create_ticket(t: &NewTicket) -> Value {
    let mut ticket = Map::new();
    ticket.insert("subject".into(), json!(t.subject));
    ticket.insert("comment".into(), comment(&t.comment));
    match &t.requester {
        Some(Requester::Id(id)) => {
            ticket.insert("requester_id".into(), json!(id));
        }
        Some(Requester::Email(email)) => {
            ticket.insert("requester".into(), json!({ "email": email }));
        }
        Some(Requester::Named { name, email }) => {
            ticket.insert("requester".into(), json!({ "name": name, "email": email }));
        }
        None => {}
    }
    if let Some(id) = t.assignee_id {
        ticket.insert("assignee_id".into(), json!(id));
    }
    if let Some(p) = &t.priority {
        ticket.insert("priority".into(), json!(p.as_str()));
    }
    if let Some(s) = &t.status {
        ticket.insert("status".into(), json!(s.as_str()));
    }
    if let Some(k) = &t.ticket_type {
        ticket.insert("type".into(), json!(k.as_str()));
    }
    if let Some(e) = &t.external_id {
        ticket.insert("external_id".into(), json!(e));
    }
    json!({ "ticket": ticket })
}

/// A safe update: Zendesk refuses it with 409 if the ticket changed after `updated_stamp`.
pub fn update_ticket(changes: &TicketChanges, updated_stamp: Timestamp) -> Value {
    let mut ticket = Map::new();
    if let Some(s) = &changes.subject {
        ticket.insert("subject".into(), json!(s));
    }
    if let Some(s) = &changes.status {
        ticket.insert("status".into(), json!(s.as_str()));
    }
    if let Some(p) = &changes.priority {
        ticket.insert("priority".into(), json!(p.as_str()));
    }
    if let Some(a) = changes.assignee_id {
        ticket.insert("assignee_id".into(), json!(a));
    }
    if let Some(c) = &changes.comment {
        ticket.insert("comment".into(), comment(c));
    }
    ticket.insert("safe_update".into(), json!(true));
    ticket.insert(
        "updated_stamp".into(),
        json!(updated_stamp.to_rfc3339_opts(SecondsFormat::Secs, true)),
    );
    json!({ "ticket": ticket })
}

pub fn add_comment(c: &NewComment) -> Value {
    json!({ "ticket": { "comment": comment(c) } })
}

pub fn end_user(u: &NewEndUser) -> Value {
    json!({ "user": { "name": u.name, "email": u.email, "role": "end-user" } })
}

pub fn webhook(w: &NewWebhook) -> Value {
    json!({ "webhook": {
        "name": w.name,
        "endpoint": w.endpoint,
        "http_method": "POST",
        "request_format": "json",
        "status": "active",
        "subscriptions": w.subscriptions,
    }})
}

#[cfg(test)]
mod tests {
    use super::*;
    use zsync_mapping::zendesk::{TicketPriority, TicketStatus};

    #[test]
    fn update_sends_only_changed_fields_as_a_safe_update() {
        let changes = TicketChanges {
            status: Some(TicketStatus::Pending),
            ..TicketChanges::default()
        };
        let stamp = "2023-09-18T15:57:42Z".parse().unwrap();
        assert_eq!(
            update_ticket(&changes, stamp),
            json!({ "ticket": {
                "status": "pending",
                "safe_update": true,
                "updated_stamp": "2023-09-18T15:57:42Z",
            }})
        );
    }

    #[test]
    fn create_names_the_requester_each_way() {
        let mut t = NewTicket {
            subject: "Printer".into(),
            comment: NewComment {
                body: "It jams".into(),
                public: true,
                author_id: None,
            },
            requester: Some(Requester::Id(5)),
            assignee_id: None,
            priority: Some(TicketPriority::High),
            status: None,
            ticket_type: None,
            external_id: Some("case-1".into()),
        };
        let body = create_ticket(&t);
        assert_eq!(body["ticket"]["requester_id"], json!(5));
        assert_eq!(
            body["ticket"]["comment"],
            json!({"body": "It jams", "public": true})
        );
        assert_eq!(body["ticket"]["priority"], json!("high"));
        assert_eq!(body["ticket"]["external_id"], json!("case-1"));
        assert!(body["ticket"].get("status").is_none());

        t.requester = Some(Requester::Email("a@example.com".into()));
        assert_eq!(
            create_ticket(&t)["ticket"]["requester"],
            json!({"email": "a@example.com"})
        );
        t.requester = Some(Requester::Named {
            name: "Ann".into(),
            email: "a@example.com".into(),
        });
        assert_eq!(
            create_ticket(&t)["ticket"]["requester"],
            json!({"name": "Ann", "email": "a@example.com"})
        );
    }
}
