//! Why a request was refused, as the client was told: kept on the answer
//! (a response extension) so the request log can say it without reading
//! the body.

use std::sync::Arc;

use axum::response::Response;

/// The message of a refused request's error body.
#[derive(Debug, Clone)]
pub struct Refused(pub Arc<str>);

/// Marks `response` as refused with `message`.
pub fn mark(mut response: Response, message: &str) -> Response {
    response
        .extensions_mut()
        .insert(Refused(Arc::from(message)));
    response
}
