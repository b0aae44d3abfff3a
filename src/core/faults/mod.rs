//! What makes mockcloud a test tool rather than a fake: rate limits today;
//! latency and error faults join them as tower layers, outside the vendors'
//! handlers.

pub mod rules;
pub mod store;

/// Set on a response that a fault rule (or a rate limit) changed, so the
/// journal and the metrics can say which: `rule` names it, `effect` says
/// what it did (`latency`, `error`, `rate_limit`, ...).
///
/// From the fault layer (`layer.rs`): `rule` is the applied rules' ids and
/// `effect` their kinds (`latency`, `error`, `drop`, `dribble`), each joined
/// with `+` in order (`"slow+down"`, `"latency+error"`). A dropped
/// connection is a response too: it passes back through every outer layer
/// with this extension (effect contains `drop`), but its head is never
/// written, so its status means nothing: record it with no status. A
/// dribbled body is still being sent when the response passes by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedFault {
    pub rule: String,
    pub effect: String,
}
