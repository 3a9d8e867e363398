//! Who is calling: the authenticated identity (verified JWT claims) mapped to a CRM user, and
//! the rights that gives (docs/http-api.md "Authentication").

use zsync_mapping::email::normalize_email;
use zsync_mapping::{CrmUser, Integration, UserId};

use super::error::{AdminError, AdminResult};
use crate::context::SyncContext;

/// Verified claims of the caller's token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub email: String,
    /// The token's `roles` claim contains `admin`.
    pub admin_claim: bool,
}

/// An authenticated caller the service accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// Normalised e-mail of the token.
    pub email: String,
    /// The CRM user with that e-mail; `None` only for an admin token (bootstrap of the first
    /// users).
    pub user: Option<CrmUser>,
    pub admin: bool,
}

impl Caller {
    /// Maps an identity to a CRM user. Admin rights come from the token's roles or the CRM
    /// user's roles. A token whose e-mail is no CRM user is accepted only with the admin role.
    pub async fn resolve(ctx: &SyncContext, identity: &Identity) -> AdminResult<Caller> {
        let email = normalize_email(&identity.email);
        if email.is_empty() {
            return Err(AdminError::Forbidden(
                "the token carries no e-mail claim".to_owned(),
            ));
        }
        let user = ctx.store.find_user_by_email(&email).await?;
        let admin = identity.admin_claim || user.as_ref().is_some_and(CrmUser::is_admin);
        if user.is_none() && !admin {
            return Err(AdminError::Forbidden(format!(
                "{email} is not a CRM user; ask an admin to create the user first"
            )));
        }
        Ok(Caller { email, user, admin })
    }

    pub fn user_id(&self) -> Option<&UserId> {
        self.user.as_ref().map(|u| &u.id)
    }

    /// Owner or admin (docs/sync-rules.md §2).
    pub fn may_manage(&self, integration: &Integration) -> bool {
        self.admin || self.user_id() == Some(&integration.owner_id)
    }

    pub fn require_manage(&self, integration: &Integration) -> AdminResult<()> {
        if self.may_manage(integration) {
            Ok(())
        } else {
            Err(AdminError::Forbidden(format!(
                "only the owner of integration {} or an admin may manage it",
                integration.id
            )))
        }
    }

    pub fn require_admin(&self, action: &str) -> AdminResult<()> {
        if self.admin {
            Ok(())
        } else {
            Err(AdminError::Forbidden(format!("only admins may {action}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use zsync_mapping::{IntegrationId, Role};

    fn caller(user: Option<&str>, admin: bool) -> Caller {
        Caller {
            email: "a@example.com".into(),
            user: user.map(|id| CrmUser {
                id: UserId::new(id),
                email: "a@example.com".into(),
                name: "A".into(),
                roles: if admin { vec![Role::Admin] } else { vec![] },
            }),
            admin,
        }
    }

    fn integration(owner: &str) -> Integration {
        let now = Utc::now();
        Integration {
            id: IntegrationId::new("i1"),
            name: "n".into(),
            url: "https://acme.zendesk.com".into(),
            api_email: "x@acme.com".into(),
            api_token_set: true,
            default_zendesk_user_email: None,
            owner_id: UserId::new(owner),
            two_way_sync: false,
            sync_priority: None,
            active: false,
            webhook_id: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn owners_and_admins_manage_others_do_not() {
        assert!(caller(Some("u1"), false).may_manage(&integration("u1")));
        assert!(!caller(Some("u2"), false).may_manage(&integration("u1")));
        assert!(caller(Some("u2"), true).may_manage(&integration("u1")));
        assert!(caller(None, true).may_manage(&integration("u1")));
        assert!(matches!(
            caller(Some("u2"), false).require_manage(&integration("u1")),
            Err(AdminError::Forbidden(_))
        ));
    }
}
