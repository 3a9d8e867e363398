//! The time a unit of work has left (a Lambda invocation's deadline), carried with the work
//! itself so that code deep below a flow — the Zendesk client deciding whether to sleep out a
//! rate limit — can see it without every port call passing it along. Unset means no deadline
//! (the local worker, tests, the API).

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `work` with `deadline` visible to [`time_left`] inside it.
pub async fn within<F: Future>(deadline: Instant, work: F) -> F::Output {
    DEADLINE.scope(deadline, work).await
}

/// Time until the deadline of the work this is called from (zero once it passed), or `None`
/// outside [`within`].
pub fn time_left() -> Option<Duration> {
    DEADLINE
        .try_with(|deadline| deadline.saturating_duration_since(Instant::now()))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_deadline_is_seen_inside_and_only_inside() {
        assert_eq!(time_left(), None);
        let deadline = Instant::now() + Duration::from_secs(10);
        let left = within(deadline, async {
            tokio::time::sleep(Duration::from_secs(4)).await;
            time_left()
        })
        .await;
        assert_eq!(left, Some(Duration::from_secs(6)));
        let past = within(deadline, async {
            tokio::time::sleep(Duration::from_secs(20)).await;
            time_left()
        })
        .await;
        assert_eq!(past, Some(Duration::ZERO));
        assert_eq!(time_left(), None);
    }
}
