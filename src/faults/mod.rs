//! What makes mockcloud a test tool rather than a fake: rate limits today;
//! latency and error faults join them as tower layers, outside the vendors'
//! handlers.

pub mod layer;
pub mod rate_limit;
pub mod rules;
pub mod store;

/// Set on a response that a fault rule (or a rate limit) changed, so the
/// journal and the metrics can say which: `rule` names it, `effect` says
/// what it did (`latency`, `error`, `rate_limit`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedFault {
    pub rule: String,
    pub effect: String,
}
