//! The [`ZendeskApi`] calls on top of the transport: paths, pagination, chunking and the few
//! answers that need more than decoding.

use async_trait::async_trait;
use reqwest::Method;
use secrecy::SecretString;
use zsync_core::ports::{
    ExportFrom, NewComment, NewEndUser, NewTicket, NewWebhook, TicketChanges, TicketComments,
    ZendeskApi, ZendeskError, ZendeskResult,
};
use zsync_mapping::zendesk::{
    CommentPage, SigningSecretEnvelope, Ticket, TicketEnvelope, TicketEventPage, TicketExportPage,
    TicketList, User, UserEnvelope, UserList, Webhook, WebhookEnvelope,
};
use zsync_mapping::{Timestamp, ZendeskId};

use crate::factory::ZendeskClient;
use crate::transport::Call;
use crate::wire;

/// `show_many` endpoints take at most this many ids.
const SHOW_MANY_LIMIT: usize = 100;
const COMMENT_PAGE_SIZE: u32 = 100;
/// 100 pages of 100 comments; a ticket with more is not something to sync comment by comment.
const MAX_COMMENT_PAGES: usize = 100;

#[async_trait]
impl ZendeskApi for ZendeskClient {
    async fn current_user(&self) -> ZendeskResult<User> {
        let answer = self
            .conn
            .send(Call::new(Method::GET, &["api", "v2", "users", "me.json"]))
            .await?;
        let value: serde_json::Value = answer.json()?;
        let user = value.get("user").ok_or_else(|| ZendeskError::Decode {
            endpoint: answer.endpoint.clone(),
            reason: "no `user` in the answer".into(),
        })?;
        // A bad token is not refused: Zendesk answers as the anonymous user, who has no id.
        let id = user.get("id").filter(|id| !id.is_null());
        if id.is_none() {
            return Err(ZendeskError::Auth {
                endpoint: answer.endpoint,
                reason: "the e-mail/API token pair was not accepted (Zendesk answered as the anonymous user)".into(),
            });
        }
        serde_json::from_value(user.clone()).map_err(|e| ZendeskError::Decode {
            endpoint: answer.endpoint,
            reason: e.to_string(),
        })
    }

    async fn export_tickets(&self, from: &ExportFrom) -> ZendeskResult<TicketExportPage> {
        let page_size = self.conn.config.export_page_size.clamp(1, 1000);
        let call = Call::new(
            Method::GET,
            &["api", "v2", "incremental", "tickets", "cursor.json"],
        )
        .export();
        let call = match from {
            // Zendesk refuses a start_time less than a minute old; starting a little earlier
            // only re-exports tickets, which the sync applies idempotently.
            ExportFrom::StartTime(t) => {
                let latest = chrono::Utc::now().timestamp() - 61;
                call.query("start_time", (*t).clamp(0, latest))
            }
            ExportFrom::Cursor(c) => call.query("cursor", c),
        };
        let answer = self
            .conn
            .send(call.query("per_page", page_size).query("include", "users"))
            .await?;
        let page = parse_export_page(&answer.body)?;
        tracing::debug!(
            integration = %self.conn.integration_id,
            tickets = page.tickets.len(),
            end_of_stream = page.end_of_stream,
            "ticket export page"
        );
        Ok(page)
    }

    async fn export_ticket_events(&self, start_time: i64) -> ZendeskResult<TicketEventPage> {
        let call = Call::new(
            Method::GET,
            &["api", "v2", "incremental", "ticket_events.json"],
        )
        .export()
        .query("start_time", start_time.max(0))
        .query("include", "comment_events");
        self.conn.send(call).await?.json()
    }

    async fn ticket_comments(&self, ticket_id: ZendeskId) -> ZendeskResult<TicketComments> {
        let id = ticket_id.to_string();
        let mut comments = Vec::new();
        let mut users: Vec<User> = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_COMMENT_PAGES {
            let mut call = Call::new(Method::GET, &["api", "v2", "tickets", &id, "comments.json"])
                .about_ticket(ticket_id)
                .query("page[size]", COMMENT_PAGE_SIZE)
                .query("include", "users");
            if let Some(cursor) = &after {
                call = call.query("page[after]", cursor);
            }
            let answer = self.conn.send(call).await?;
            let page: CommentPage = answer.json()?;
            comments.extend(page.comments);
            for user in page.users {
                if !users.iter().any(|known| known.id == user.id) {
                    users.push(user);
                }
            }
            if !page.meta.has_more {
                return Ok(TicketComments { comments, users });
            }
            match page.meta.after_cursor {
                Some(next) if after.as_ref() != Some(&next) => after = Some(next),
                _ => {
                    return Err(ZendeskError::Decode {
                        endpoint: answer.endpoint,
                        reason: "has_more without a new after_cursor".into(),
                    });
                }
            }
        }
        Err(ZendeskError::Decode {
            endpoint: format!("GET /api/v2/tickets/{ticket_id}/comments.json"),
            reason: format!("more than {MAX_COMMENT_PAGES} pages of comments"),
        })
    }

    async fn show_ticket(&self, ticket_id: ZendeskId) -> ZendeskResult<TicketEnvelope> {
        let file = format!("{ticket_id}.json");
        let call = Call::new(Method::GET, &["api", "v2", "tickets", &file])
            .about_ticket(ticket_id)
            .query("include", "users");
        self.conn.send(call).await?.json()
    }

    async fn show_tickets(&self, ids: &[ZendeskId]) -> ZendeskResult<Vec<Ticket>> {
        let mut tickets = Vec::with_capacity(ids.len());
        for chunk in unique(ids).chunks(SHOW_MANY_LIMIT) {
            let call = Call::new(Method::GET, &["api", "v2", "tickets", "show_many.json"])
                .query("ids", join_ids(chunk));
            let list: TicketList = self.conn.send(call).await?.json()?;
            tickets.extend(list.tickets);
        }
        Ok(tickets)
    }

    async fn create_ticket(&self, ticket: &NewTicket) -> ZendeskResult<Ticket> {
        let call = Call::new(Method::POST, &["api", "v2", "tickets.json"])
            .body(wire::create_ticket(ticket))
            .only_unsent();
        let created: TicketEnvelope = self.conn.send(call).await?.json()?;
        tracing::info!(integration = %self.conn.integration_id, ticket_id = created.ticket.id, "created Zendesk ticket");
        Ok(created.ticket)
    }

    async fn update_ticket(
        &self,
        ticket_id: ZendeskId,
        changes: &TicketChanges,
        updated_stamp: Timestamp,
    ) -> ZendeskResult<Ticket> {
        if changes.is_empty() {
            return Ok(self.show_ticket(ticket_id).await?.ticket);
        }
        let file = format!("{ticket_id}.json");
        let call = Call::new(Method::PUT, &["api", "v2", "tickets", &file])
            .about_ticket(ticket_id)
            .body(wire::update_ticket(changes, updated_stamp));
        let updated: TicketEnvelope = self.conn.send(call).await?.json()?;
        Ok(updated.ticket)
    }

    async fn add_comment(
        &self,
        ticket_id: ZendeskId,
        comment: &NewComment,
    ) -> ZendeskResult<Ticket> {
        let file = format!("{ticket_id}.json");
        let call = Call::new(Method::PUT, &["api", "v2", "tickets", &file])
            .about_ticket(ticket_id)
            .body(wire::add_comment(comment))
            .only_unsent();
        let updated: TicketEnvelope = self.conn.send(call).await?.json()?;
        Ok(updated.ticket)
    }

    async fn find_tickets_by_external_id(&self, external_id: &str) -> ZendeskResult<Vec<Ticket>> {
        let call = Call::new(Method::GET, &["api", "v2", "tickets.json"])
            .query("external_id", external_id);
        let list: TicketList = self.conn.send(call).await?.json()?;
        let mut tickets: Vec<Ticket> = list
            .tickets
            .into_iter()
            .filter(|t| t.external_id.as_deref() == Some(external_id))
            .collect();
        tickets.sort_by_key(|t| t.id);
        Ok(tickets)
    }

    async fn show_users(&self, ids: &[ZendeskId]) -> ZendeskResult<Vec<User>> {
        let mut users = Vec::with_capacity(ids.len());
        for chunk in unique(ids).chunks(SHOW_MANY_LIMIT) {
            let call = Call::new(Method::GET, &["api", "v2", "users", "show_many.json"])
                .query("ids", join_ids(chunk));
            let list: UserList = self.conn.send(call).await?.json()?;
            users.extend(list.users);
        }
        Ok(users)
    }

    async fn find_user_by_email(&self, email: &str) -> ZendeskResult<Option<User>> {
        let wanted = email.trim();
        if wanted.is_empty() {
            return Ok(None);
        }
        let call = Call::new(Method::GET, &["api", "v2", "users", "search.json"])
            .query("query", format!("email:{wanted}"));
        let list: UserList = self.conn.send(call).await?.json()?;
        // Search is fuzzy; only an exact (case-insensitive) address is a match.
        Ok(list.users.into_iter().find(|u| {
            u.email
                .as_deref()
                .is_some_and(|e| e.trim().eq_ignore_ascii_case(wanted))
        }))
    }

    async fn create_or_update_end_user(&self, user: &NewEndUser) -> ZendeskResult<User> {
        let call = Call::new(
            Method::POST,
            &["api", "v2", "users", "create_or_update.json"],
        )
        .body(wire::end_user(user));
        let answer: UserEnvelope = self.conn.send(call).await?.json()?;
        Ok(answer.user)
    }

    async fn create_webhook(&self, webhook: &NewWebhook) -> ZendeskResult<Webhook> {
        let call = Call::new(Method::POST, &["api", "v2", "webhooks"])
            .body(wire::webhook(webhook))
            .only_unsent();
        let created: WebhookEnvelope = self.conn.send(call).await?.json()?;
        Ok(created.webhook)
    }

    async fn delete_webhook(&self, webhook_id: &str) -> ZendeskResult<()> {
        match self
            .conn
            .send(Call::new(
                Method::DELETE,
                &["api", "v2", "webhooks", webhook_id],
            ))
            .await
        {
            Ok(_) | Err(ZendeskError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn webhook_signing_secret(&self, webhook_id: &str) -> ZendeskResult<SecretString> {
        let call = Call::new(
            Method::GET,
            &["api", "v2", "webhooks", webhook_id, "signing_secret"],
        );
        let answer: SigningSecretEnvelope = self.conn.send(call).await?.json()?;
        Ok(SecretString::from(answer.signing_secret.secret))
    }
}

/// Decodes one page of the cursor ticket export as [`ZendeskApi::export_tickets`] does
/// (public for the parse benchmark).
pub fn parse_export_page(body: &[u8]) -> ZendeskResult<TicketExportPage> {
    let mut page: TicketExportPage =
        serde_json::from_slice(body).map_err(|e| ZendeskError::Decode {
            endpoint: "GET /api/v2/incremental/tickets/cursor.json".into(),
            reason: e.to_string(),
        })?;
    if page.after_cursor.is_none() {
        page.after_cursor = page.after_url.as_deref().and_then(cursor_from_url);
    }
    Ok(page)
}

/// Ids in first-seen order without repeats.
fn unique(ids: &[ZendeskId]) -> Vec<ZendeskId> {
    let mut seen = std::collections::HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

fn join_ids(ids: &[ZendeskId]) -> String {
    ids.iter()
        .map(ZendeskId::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The `cursor` parameter of an `after_url`, for answers that only carry the URL.
fn cursor_from_url(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == "cursor")
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_deduplicated_and_joined() {
        assert_eq!(join_ids(&unique(&[3, 1, 3, 2, 1])), "3,1,2");
    }

    #[test]
    fn cursor_is_read_from_an_after_url() {
        let url = "https://x.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor=MTY5%3D&per_page=1";
        assert_eq!(cursor_from_url(url).as_deref(), Some("MTY5="));
        assert_eq!(cursor_from_url("not a url"), None);
    }
}
