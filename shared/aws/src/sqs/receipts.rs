//! Bodies of received messages by receipt handle, so `dead_letter` can forward the original
//! body (SQS cannot look a body up by receipt). Bounded: the oldest entries are forgotten
//! first; a forgotten receipt can still be acknowledged or retried, only not dead-lettered.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

pub const CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct InFlight {
    inner: Mutex<(HashMap<String, String>, VecDeque<String>)>,
}

/// Shows how many bodies are held, not the bodies (customer data, possibly large).
impl std::fmt::Debug for InFlight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = self.inner.lock().map(|g| g.0.len()).unwrap_or(0);
        f.debug_struct("InFlight").field("held", &held).finish()
    }
}

impl InFlight {
    pub fn remember(&self, receipt: &str, body: &str) {
        let Ok(mut guard) = self.inner.lock() else {
            return;
        };
        let (bodies, order) = &mut *guard;
        if bodies.insert(receipt.to_owned(), body.to_owned()).is_none() {
            order.push_back(receipt.to_owned());
        }
        while bodies.len() > CAPACITY {
            match order.pop_front() {
                Some(oldest) => {
                    bodies.remove(&oldest);
                }
                None => break,
            }
        }
    }

    pub fn body(&self, receipt: &str) -> Option<String> {
        self.inner.lock().ok()?.0.get(receipt).cloned()
    }

    pub fn forget(&self, receipt: &str) {
        if let Ok(mut guard) = self.inner.lock() {
            let (bodies, order) = &mut *guard;
            if bodies.remove(receipt).is_some() {
                order.retain(|r| r != receipt);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_until_forgotten_and_stays_bounded() {
        let in_flight = InFlight::default();
        in_flight.remember("r1", "body 1");
        assert_eq!(in_flight.body("r1").as_deref(), Some("body 1"));
        in_flight.forget("r1");
        assert_eq!(in_flight.body("r1"), None);
        for i in 0..CAPACITY + 5 {
            in_flight.remember(&format!("r{i}"), "b");
        }
        assert_eq!(in_flight.body("r0"), None, "oldest forgotten");
        assert!(in_flight.body(&format!("r{}", CAPACITY + 4)).is_some());
        assert_eq!(
            format!("{in_flight:?}"),
            format!("InFlight {{ held: {CAPACITY} }}")
        );
    }
}
