//! The route template a request matched (its `MatchedPath`), told by what
//! runs inside the router (the fault layer around every route, and a
//! vendor's own layers, which may answer first) to the front of the server,
//! which records the answer outside the router, in the same task.

use std::cell::RefCell;
use std::future::Future;

use axum::extract::{MatchedPath, Request};

tokio::task_local! {
    static OPERATION: RefCell<Option<MatchedPath>>;
}

/// Notes the route `request` matched, for the request being answered.
/// Outside [`scope`] (a router served on its own) nobody asks.
pub fn note(request: &Request) {
    if let Some(matched) = request.extensions().get::<MatchedPath>() {
        let _ = OPERATION.try_with(|operation| {
            let mut operation = operation.borrow_mut();
            if operation.is_none() {
                *operation = Some(matched.clone());
            }
        });
    }
}

/// Runs `answer` and tells what route it noted, if any.
pub async fn scope<T>(answer: impl Future<Output = T>) -> (T, Option<MatchedPath>) {
    OPERATION
        .scope(RefCell::new(None), async move {
            let answered = answer.await;
            (answered, OPERATION.with(RefCell::take))
        })
        .await
}
