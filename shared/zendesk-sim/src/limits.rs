//! Rate limiting (fixed windows, like Zendesk's per-minute budgets) and fault injection.

use std::time::{Duration, Instant};

use crate::config::{FaultPlan, RateLimit};
use crate::rng::SplitMix64;

/// Budgets in use; counts are kept even when limits are off so headers stay truthful.
#[derive(Debug)]
pub(crate) struct RateState {
    pub limit: Option<RateLimit>,
    window_start: Instant,
    used: u32,
    export_used: u32,
}

/// What the rate limiter says about one request, and the headers to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RateVerdict {
    pub allowed: bool,
    /// Limits are on; with them off no rate-limit headers are sent, so clients do not pace
    /// themselves against a budget nobody enforces (benchmarks, the demo).
    pub enforced: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window resets (at least 1 while a request is refused).
    pub reset_secs: u64,
    /// For export endpoints: (limit, remaining) of the export budget.
    pub export: Option<(u32, u32)>,
}

impl RateState {
    pub fn new(limit: Option<RateLimit>) -> Self {
        Self {
            limit,
            window_start: Instant::now(),
            used: 0,
            export_used: 0,
        }
    }

    pub fn set(&mut self, limit: Option<RateLimit>) {
        *self = Self::new(limit);
    }

    pub fn check(&mut self, is_export: bool, now: Instant) -> RateVerdict {
        let enforce = self.limit.is_some();
        let limit = self.limit.clone().unwrap_or_default();
        let window = limit.window.max(Duration::from_millis(1));
        if now.duration_since(self.window_start) >= window {
            self.window_start = now;
            self.used = 0;
            self.export_used = 0;
        }
        let elapsed = now.duration_since(self.window_start);
        let left = window.saturating_sub(elapsed);
        let reset_secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        let over_general = self.used >= limit.requests_per_minute;
        let over_export = is_export && self.export_used >= limit.export_requests_per_minute;
        let allowed = !enforce || !(over_general || over_export);
        if allowed {
            self.used = self.used.saturating_add(1);
            if is_export {
                self.export_used = self.export_used.saturating_add(1);
            }
        }
        RateVerdict {
            allowed,
            enforced: enforce,
            limit: limit.requests_per_minute,
            remaining: limit.requests_per_minute.saturating_sub(self.used),
            reset_secs: reset_secs.max(1),
            export: is_export.then(|| {
                let total = limit.export_requests_per_minute;
                (total, total.saturating_sub(self.export_used))
            }),
        }
    }
}

#[derive(Debug)]
pub(crate) struct FaultState {
    plan: FaultPlan,
    rng: SplitMix64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Fault {
    ServiceUnavailable,
    /// Hang for this long, before or after processing the request.
    Timeout {
        delay: Duration,
        after_processing: bool,
    },
}

impl FaultPlan {
    fn timeout(&self) -> Fault {
        Fault::Timeout {
            delay: self.timeout_delay,
            after_processing: self.timeouts_after_processing,
        }
    }
}

impl FaultState {
    pub fn new(plan: FaultPlan) -> Self {
        let rng = SplitMix64::new(plan.seed);
        Self { plan, rng }
    }

    pub fn draw(&mut self, endpoint: &str) -> Option<Fault> {
        let plan = &mut self.plan;
        if !plan.endpoints.is_empty() && !plan.endpoints.iter().any(|e| e == endpoint) {
            return None;
        }
        if plan.next_5xx > 0 {
            plan.next_5xx -= 1;
            return Some(Fault::ServiceUnavailable);
        }
        if plan.next_timeouts > 0 {
            plan.next_timeouts -= 1;
            return Some(plan.timeout());
        }
        let roll = self.rng.next_f64();
        if roll < plan.error_5xx_rate {
            Some(Fault::ServiceUnavailable)
        } else if roll < plan.error_5xx_rate + plan.timeout_rate {
            Some(plan.timeout())
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_budget_is_separate_and_resets_with_the_window() {
        let limit = RateLimit {
            requests_per_minute: 5,
            export_requests_per_minute: 2,
            window: Duration::from_secs(60),
        };
        let mut rate = RateState::new(Some(limit));
        let t0 = Instant::now();
        assert!(rate.check(true, t0).allowed);
        assert!(rate.check(true, t0).allowed);
        let refused = rate.check(true, t0);
        assert!(!refused.allowed);
        assert_eq!(refused.export, Some((2, 0)));
        assert!(refused.reset_secs >= 59);
        // Other endpoints still have budget: 5 - 2 used.
        assert_eq!(rate.check(false, t0).remaining, 2);
        assert!(rate.check(true, t0 + Duration::from_secs(61)).allowed);
    }

    #[test]
    fn limits_off_never_refuse() {
        let mut rate = RateState::new(None);
        let t0 = Instant::now();
        assert!((0..2000).all(|_| rate.check(true, t0).allowed));
    }

    #[test]
    fn fault_plan_forced_errors_then_seeded_draws_replay() {
        let plan = FaultPlan {
            next_5xx: 2,
            error_5xx_rate: 0.5,
            seed: 9,
            ..Default::default()
        };
        let mut a = FaultState::new(plan.clone());
        let mut b = FaultState::new(plan);
        assert_eq!(a.draw("x"), Some(Fault::ServiceUnavailable));
        assert_eq!(a.draw("x"), Some(Fault::ServiceUnavailable));
        b.draw("x");
        b.draw("x");
        let seq_a: Vec<_> = (0..100).map(|_| a.draw("x")).collect();
        let seq_b: Vec<_> = (0..100).map(|_| b.draw("x")).collect();
        assert_eq!(seq_a, seq_b);
        let errors = seq_a.iter().filter(|f| f.is_some()).count();
        assert!((25..=75).contains(&errors), "{errors} errors at rate 0.5");
    }

    #[test]
    fn fault_plan_limited_to_named_endpoints() {
        let plan = FaultPlan {
            error_5xx_rate: 1.0,
            endpoints: vec!["comments".into()],
            ..Default::default()
        };
        let mut f = FaultState::new(plan);
        assert_eq!(f.draw("tickets_show"), None);
        assert_eq!(f.draw("comments"), Some(Fault::ServiceUnavailable));
    }
}
