//! What every vendor shares, and imports no vendor: the clock, ids, cursors,
//! the neutral error type, the deterministic series, rate limiting, fault
//! rules, the request id, query and JSON parsing, ordered filter lists
//! (`seq_lists`), and the world's store.

pub mod changes;
pub mod clock;
pub mod cursor;
pub mod error;
pub mod faults;
pub mod hash;
pub mod http;
pub mod ids;
pub mod memo;
pub mod operation;
pub mod params;
pub mod rate_limit;
pub mod refused;
pub mod request_id;
pub mod seq_lists;
pub mod series;
pub mod store;
pub mod strict_json;
pub mod vendor;
pub mod world;
