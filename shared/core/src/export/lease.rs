//! Keeping an export run's lease while it runs (docs/sync-rules.md §6): the lease is short (see
//! [`super::LEASE_TTL`]), so it is renewed in the background while a page is in flight, not only
//! between pages. A renewal is the same conditional write as the acquire (it succeeds only for
//! the holder, or once the lease expired); when it fails another run has the lease, and the run
//! stops at its next page boundary.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::oneshot;
use zsync_mapping::IntegrationId;

use super::lease_name;
use crate::context::SyncContext;

/// Renewals happen at least this far apart (a tiny test TTL must not spin).
const MIN_RENEWAL_GAP: Duration = Duration::from_millis(100);

/// How often a lease of `ttl` is renewed: three times per TTL, so one slow or failed renewal
/// does not lose it.
pub(crate) fn renewal_gap(ttl: chrono::Duration) -> Duration {
    (ttl / 3)
        .to_std()
        .unwrap_or(MIN_RENEWAL_GAP)
        .max(MIN_RENEWAL_GAP)
}

/// Renews the lease until `finished` fires or is dropped; sets `lost` and returns when another
/// run holds it. A store error is logged and the next renewal tried (the lease may still hold;
/// the run's own check before each page decides).
pub(crate) async fn keep_lease(
    ctx: &SyncContext,
    integration_id: &IntegrationId,
    holder: &str,
    lost: &AtomicBool,
    mut finished: oneshot::Receiver<()>,
) {
    let name = lease_name(integration_id);
    let ttl = ctx.settings.export_lease_ttl;
    let gap = renewal_gap(ttl);
    loop {
        tokio::select! {
            _ = &mut finished => return,
            () = tokio::time::sleep(gap) => {}
        }
        match ctx
            .store
            .acquire_lease(&name, holder, ttl, ctx.clock.now())
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                lost.store(true, Ordering::SeqCst);
                tracing::warn!(integration = %integration_id, "the export lease was taken over; the run stops at its next page");
                return;
            }
            Err(e) => {
                tracing::warn!(integration = %integration_id, error = %e, "could not renew the export lease; retrying");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_lease_frees_a_crashed_run_within_a_minute_and_is_renewed_thrice() {
        assert!(super::super::LEASE_TTL <= chrono::Duration::seconds(60));
        assert_eq!(
            renewal_gap(super::super::LEASE_TTL),
            Duration::from_secs(15)
        );
        assert_eq!(
            renewal_gap(chrono::Duration::milliseconds(30)),
            MIN_RENEWAL_GAP
        );
        assert_eq!(renewal_gap(chrono::Duration::seconds(-5)), MIN_RENEWAL_GAP);
    }
}
