//! The id of the request being answered: the client's `X-Request-Id` when it
//! sent a usable one, a fresh one otherwise. The journal records it, every
//! answer echoes it in `X-Request-Id`, and the vendors' error bodies that
//! carry a request id (Grafana's `requestId`, Gcore's `request_id`) use it,
//! so a failing call can be found in the journal by the id the client saw.

use std::future::Future;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use rand::RngCore;

/// A name, not a `&str`: a map given a `&str` name copies it for each
/// answer.
pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Longer client ids are replaced, so a hostile header cannot grow the
/// journal.
const MAX_CLIENT_ID_BYTES: usize = 128;

/// A request's id, held as the header value it is echoed in: the journal,
/// the answer's header and the task-local share one copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(HeaderValue);

impl RequestId {
    pub fn as_str(&self) -> &str {
        // Made only from printable ASCII.
        self.0.to_str().unwrap_or_default()
    }

    /// The value of the answer's `X-Request-Id`.
    pub fn header_value(&self) -> HeaderValue {
        self.0.clone()
    }
}

tokio::task_local! {
    static CURRENT: RequestId;
}

/// The client's id when it is printable ASCII of a sensible length, or a
/// fresh one. A client's id is copied: the journal keeps it longer than
/// the request's buffer should live.
pub fn for_request(headers: &HeaderMap) -> RequestId {
    headers
        .get(&HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|id| {
            !id.is_empty()
                && id.len() <= MAX_CLIENT_ID_BYTES
                && id.bytes().all(|b| b.is_ascii_graphic())
        })
        .and_then(|id| HeaderValue::from_str(id).ok())
        .map_or_else(fresh, RequestId)
}

fn fresh() -> RequestId {
    // 32 hex digits, the shape of Gcore's request ids: 128 random bits, as
    // a v4 UUID has, from the thread's generator (no system call each).
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bits = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bits);
    let mut digits = [0u8; 32];
    for (i, byte) in bits.iter().enumerate() {
        digits[2 * i] = HEX[usize::from(byte >> 4)];
        digits[2 * i + 1] = HEX[usize::from(byte & 0xf)];
    }
    RequestId(HeaderValue::from_bytes(&digits).expect("hex digits"))
}

/// Runs `answer` with `id` as the current request's id.
pub async fn scope<F: Future>(id: RequestId, answer: F) -> F::Output {
    CURRENT.scope(id, answer).await
}

/// The id of the request being answered; a fresh one outside a request
/// (unit tests that render an error directly).
pub fn current() -> String {
    CURRENT
        .try_with(|id| id.as_str().to_string())
        .unwrap_or_else(|_| fresh().as_str().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_usable_client_id_is_kept_and_anything_else_replaced() {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, HeaderValue::from_static("trace-42"));
        assert_eq!(for_request(&headers).as_str(), "trace-42");
        for bad in ["", "has space", &"x".repeat(129)] {
            headers.insert(HEADER, HeaderValue::from_str(bad).unwrap());
            let id = for_request(&headers);
            assert_ne!(id.as_str(), bad);
            assert_eq!(id.as_str().len(), 32, "a fresh id");
            assert!(id.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
        }
        assert_ne!(
            for_request(&HeaderMap::new()),
            for_request(&HeaderMap::new())
        );
    }

    #[tokio::test]
    async fn the_current_id_is_the_scopes() {
        let id = RequestId(HeaderValue::from_static("abc"));
        assert_eq!(scope(id, async { current() }).await, "abc");
        assert_ne!(current(), current(), "outside a request each call is fresh");
    }
}
