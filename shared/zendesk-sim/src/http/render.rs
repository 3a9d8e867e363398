//! JSON renderings: the zsync-mapping wire types plus the fields real Zendesk responses carry
//! that the mapping does not read (so clients see the real shape, fixtures/zendesk/*.json).

use serde_json::{Map, Value, json};
use zsync_mapping::zendesk::{Comment, Ticket, User};

use crate::state::{Audit, AuditEvent, State};

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn to_object<T: serde::Serialize>(value: &T) -> Map<String, Value> {
    serde_json::to_value(value).map(object).unwrap_or_default()
}

pub(crate) fn via(channel: &str) -> Value {
    json!({"channel": channel, "source": {"from": {}, "to": {}, "rel": null}})
}

pub(crate) fn ticket(state: &State, t: &Ticket) -> Value {
    let mut map = to_object(t);
    let channel = state
        .tickets
        .get(&t.id)
        .map_or("api", |s| s.via_channel.as_str());
    let extras = json!({
        "via": via(channel),
        "follower_ids": [],
        "email_cc_ids": [],
        "forum_topic_id": null,
        "has_incidents": false,
        "is_public": true,
        "due_at": null,
        "custom_fields": [],
        "satisfaction_rating": null,
        "sharing_agreement_ids": [],
        "custom_status_id": null,
        "fields": [],
        "followup_ids": [],
        "ticket_form_id": 360000000002u64,
        "brand_id": 360000000001u64,
        "allow_channelback": false,
        "allow_attachments": true,
        "from_messaging_channel": false,
    });
    for (k, v) in object(extras) {
        map.entry(k).or_insert(v);
    }
    Value::Object(map)
}

pub(crate) fn tickets<'a>(state: &State, list: impl IntoIterator<Item = &'a Ticket>) -> Vec<Value> {
    list.into_iter().map(|t| ticket(state, t)).collect()
}

pub(crate) fn user(u: &User) -> Value {
    let mut map = to_object(u);
    let extras = json!({
        "time_zone": "Eastern Time (US & Canada)",
        "iana_time_zone": "America/New_York",
        "shared_phone_number": null,
        "photo": null,
        "locale_id": 1,
        "locale": "en-US",
        "organization_id": null,
        "verified": u.email.is_some(),
        "tags": [],
        "alias": null,
        "shared": false,
        "shared_agent": false,
        "last_login_at": null,
        "two_factor_auth_enabled": false,
        "signature": null,
        "details": null,
        "notes": null,
        "role_type": null,
        "custom_role_id": null,
        "moderator": u.is_staff(),
        "ticket_restriction": if u.is_staff() { Value::Null } else { json!("requested") },
        "only_private_comments": false,
        "restricted_agent": !u.is_staff(),
        "suspended": false,
        "default_group_id": null,
        "report_csv": false,
        "user_fields": {},
    });
    for (k, v) in object(extras) {
        map.entry(k).or_insert(v);
    }
    Value::Object(map)
}

pub(crate) fn users<'a>(list: impl IntoIterator<Item = &'a User>) -> Vec<Value> {
    list.into_iter().map(user).collect()
}

/// What Zendesk answers on `users/me` without valid credentials.
pub(crate) fn anonymous_user() -> Value {
    json!({
        "id": null, "url": null, "name": "Anonymous user", "email": "invalid@example.com",
        "created_at": null, "updated_at": null, "time_zone": "Eastern Time (US & Canada)",
        "iana_time_zone": "America/New_York", "phone": null, "shared_phone_number": null,
        "photo": null, "locale_id": 1, "locale": "en-US", "organization_id": null,
        "role": "end-user", "verified": false, "authenticity_token": "anonymous",
        "external_id": null, "tags": [], "alias": null, "active": true, "shared": false,
        "shared_agent": false, "last_login_at": null, "two_factor_auth_enabled": null,
        "signature": null, "details": null, "notes": null, "role_type": null,
        "custom_role_id": null, "moderator": false, "ticket_restriction": "requested",
        "only_private_comments": false, "restricted_agent": true, "suspended": false,
        "default_group_id": null, "report_csv": false, "user_fields": {},
    })
}

fn html(body: &str) -> String {
    let escaped = body
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    format!("<div class=\"zd-comment\" dir=\"auto\"><p dir=\"auto\">{escaped}</p></div>")
}

pub(crate) fn comment(c: &Comment) -> Value {
    let mut map = to_object(c);
    let extras = json!({
        "type": "Comment",
        "html_body": html(&c.body),
        "attachments": [],
        "via": via("api"),
        "metadata": {"system": {}, "custom": {}},
    });
    for (k, v) in object(extras) {
        map.entry(k).or_insert(v);
    }
    Value::Object(map)
}

fn audit_event(
    state: &State,
    ticket_id: u64,
    id: u64,
    event: &AuditEvent,
    with_comments: bool,
) -> Option<Value> {
    match event {
        AuditEvent::Comment(c) if with_comments => {
            // Comment events show the comment as it is now: edits and redactions included.
            let c = state.current_comment(ticket_id, c.id).unwrap_or(c);
            Some(json!({
                "id": c.id, "event_type": "Comment", "type": "Comment", "author_id": c.author_id,
                "body": c.body, "html_body": html(&c.body), "plain_body": c.body,
                "public": c.public, "attachments": [], "created_at": c.created_at,
            }))
        }
        AuditEvent::Comment(_) => None,
        AuditEvent::CommentRedaction(comment_id) => Some(json!({
            "id": id, "event_type": "CommentRedactionEvent", "type": "CommentRedactionEvent",
            "comment_id": comment_id,
        })),
        AuditEvent::CommentPrivacyChange { comment_id, public } => Some(json!({
            "id": id, "event_type": "CommentPrivacyChange", "type": "CommentPrivacyChange",
            "comment_id": comment_id, "public": public,
        })),
        AuditEvent::Create { field, value } => Some(json!({
            "id": id, "event_type": "Create", "type": "Create", "field_name": field,
            "value": value, field.to_string(): value,
        })),
        AuditEvent::Change {
            field,
            value,
            previous,
        } => Some(json!({
            "id": id, "event_type": "Change", "type": "Change", "field_name": field,
            "value": value, "previous_value": previous, field.to_string(): value,
        })),
    }
}

/// An audit as the `ticket_events` export shows it (`child_events`).
pub(crate) fn ticket_event(state: &State, a: &Audit, with_comments: bool) -> Value {
    let children: Vec<Value> = a
        .events
        .iter()
        .enumerate()
        .filter_map(|(n, e)| {
            audit_event(state, a.ticket_id, a.id * 100 + n as u64, e, with_comments)
        })
        .collect();
    json!({
        "id": a.id,
        "ticket_id": a.ticket_id,
        "timestamp": a.timestamp,
        "created_at": crate::state::ts_to_time(a.timestamp),
        "updater_id": a.updater_id,
        "via": a.via,
        "system": {},
        "metadata": {"system": {}, "custom": {}},
        "event_type": "Audit",
        "child_events": children,
    })
}

/// An audit as create/update responses show it (`events`).
pub(crate) fn audit(state: &State, a: &Audit) -> Value {
    let events: Vec<Value> = a
        .events
        .iter()
        .enumerate()
        .filter_map(|(n, e)| audit_event(state, a.ticket_id, a.id * 100 + n as u64, e, true))
        .collect();
    json!({
        "id": a.id,
        "ticket_id": a.ticket_id,
        "created_at": crate::state::ts_to_time(a.timestamp),
        "author_id": a.updater_id,
        "metadata": {"system": {"client": "zendesk-sim"}, "custom": {}},
        "events": events,
        "via": via(&a.via),
    })
}

#[cfg(test)]
mod tests {
    use zsync_mapping::zendesk::UserRole;

    use super::*;
    use crate::limits::RateState;
    use crate::model::NewTicket;

    /// Field names of the recorded responses in fixtures/zendesk (ticket_show.json,
    /// users_show_many.json, ticket_comments_page.json, minus `audit_id`).
    const TICKET_KEYS: &str = "url id external_id via created_at updated_at type subject raw_subject \
        description priority status recipient requester_id submitter_id assignee_id organization_id \
        group_id collaborator_ids follower_ids email_cc_ids forum_topic_id problem_id has_incidents \
        is_public due_at tags custom_fields satisfaction_rating sharing_agreement_ids custom_status_id \
        fields followup_ids ticket_form_id brand_id allow_channelback allow_attachments \
        from_messaging_channel";
    const USER_KEYS: &str = "id url name email created_at updated_at time_zone iana_time_zone phone \
        shared_phone_number photo locale_id locale organization_id role verified external_id tags \
        alias active shared shared_agent last_login_at two_factor_auth_enabled signature details \
        notes role_type custom_role_id moderator ticket_restriction only_private_comments \
        restricted_agent suspended default_group_id report_csv user_fields";
    const COMMENT_KEYS: &str =
        "id type author_id body html_body plain_body public attachments via created_at metadata";

    fn missing(value: &Value, keys: &str) -> Vec<String> {
        keys.split_whitespace()
            .filter(|k| value.get(*k).is_none())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn renderings_carry_every_field_of_the_recorded_responses() {
        let mut state = State::new("http://127.0.0.1:1".into(), 1, RateState::new(None));
        let requester = state.add_user("Ann Lee", Some("ann@example.com"), UserRole::EndUser, None);
        let ticket = state.create_ticket(
            NewTicket {
                subject: "s".into(),
                description: "d".into(),
                requester_id: requester,
                ..Default::default()
            },
            "web",
            None,
        );
        assert_eq!(
            missing(&self::ticket(&state, &ticket), TICKET_KEYS),
            Vec::<String>::new()
        );
        let user_value = user(&state.users[&requester]);
        assert_eq!(missing(&user_value, USER_KEYS), Vec::<String>::new());
        let comment_value = comment(&state.comments[&ticket.id][0]);
        assert_eq!(missing(&comment_value, COMMENT_KEYS), Vec::<String>::new());
        assert_eq!(missing(&anonymous_user(), USER_KEYS), Vec::<String>::new());
    }

    #[test]
    fn html_bodies_are_escaped() {
        assert!(html("<script>&\"").contains("&lt;script&gt;&amp;&quot;"));
    }
}
