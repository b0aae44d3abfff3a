//! The id of the request being answered: the client's `X-Request-Id` when it
//! sent a usable one, a fresh one otherwise. The journal records it, every
//! answer echoes it in `X-Request-Id`, and the vendors' error bodies that
//! carry a request id (Grafana's `requestId`, Gcore's `request_id`) use it,
//! so a failing call can be found in the journal by the id the client saw.

use std::future::Future;
use std::sync::Arc;

use axum::http::HeaderMap;

pub const HEADER: &str = "x-request-id";

/// Longer client ids are replaced, so a hostile header cannot grow the
/// journal.
const MAX_CLIENT_ID_BYTES: usize = 128;

tokio::task_local! {
    static CURRENT: Arc<str>;
}

/// The client's id when it is printable ASCII of a sensible length, or a
/// fresh one.
pub fn for_request(headers: &HeaderMap) -> Arc<str> {
    headers
        .get(HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|id| {
            !id.is_empty()
                && id.len() <= MAX_CLIENT_ID_BYTES
                && id.bytes().all(|b| b.is_ascii_graphic())
        })
        .map_or_else(fresh, Arc::from)
}

fn fresh() -> Arc<str> {
    // 32 hex digits, the shape of Gcore's request ids.
    Arc::from(uuid::Uuid::new_v4().simple().to_string())
}

/// Runs `answer` with `id` as the current request's id.
pub async fn scope<F: Future>(id: Arc<str>, answer: F) -> F::Output {
    CURRENT.scope(id, answer).await
}

/// The id of the request being answered; a fresh one outside a request
/// (unit tests that render an error directly).
pub fn current() -> String {
    CURRENT
        .try_with(|id| id.to_string())
        .unwrap_or_else(|_| fresh().to_string())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn a_usable_client_id_is_kept_and_anything_else_replaced() {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, HeaderValue::from_static("trace-42"));
        assert_eq!(&*for_request(&headers), "trace-42");
        for bad in ["", "has space", &"x".repeat(129)] {
            headers.insert(HEADER, HeaderValue::from_str(bad).unwrap());
            let id = for_request(&headers);
            assert_ne!(&*id, bad);
            assert_eq!(id.len(), 32, "a fresh id");
        }
        assert_ne!(
            for_request(&HeaderMap::new()),
            for_request(&HeaderMap::new())
        );
    }

    #[tokio::test]
    async fn the_current_id_is_the_scopes() {
        let id: Arc<str> = Arc::from("abc");
        assert_eq!(scope(id, async { current() }).await, "abc");
        assert_ne!(current(), current(), "outside a request each call is fresh");
    }
}
