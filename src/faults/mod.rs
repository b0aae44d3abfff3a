//! What makes mockcloud a test tool rather than a fake: rate limits today;
//! latency and error faults join them as tower layers, outside the vendors'
//! handlers.

pub mod rate_limit;
