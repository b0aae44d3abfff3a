//! Live requests: the journal, newest first, then each request as it is
//! answered (server-sent events), filtered as `GET /__admin/journal` is.

use std::convert::Infallible;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::{Chrome, render};
use crate::admin::journal::{Entry, Filter};
use crate::admin::{AppState, admin_error};

/// Entries shown when the page opens.
const SHOWN: usize = 200;

#[derive(Template)]
#[template(path = "live.html")]
struct LivePage {
    chrome: Chrome,
    vendor: String,
    status: String,
    path: String,
    method: String,
    entries: Vec<Row>,
}

/// An entry as the table shows it, with its whole JSON for the details.
struct Row {
    entry: Entry,
    json: String,
}

impl Row {
    fn status(&self) -> String {
        self.entry
            .status
            .map_or_else(|| "dropped".to_string(), |s| s.to_string())
    }

    fn fault(&self) -> String {
        self.entry
            .fault
            .as_ref()
            .map(|f| format!("{} ({})", f.rule, f.effect))
            .unwrap_or_default()
    }
}

/// The filter as the page's form sends it: an empty field is no filter.
fn given(filter: Filter) -> Filter {
    let some = |value: Option<String>| value.filter(|v| !v.is_empty());
    Filter {
        vendor: some(filter.vendor),
        path: some(filter.path),
        method: some(filter.method),
        status: some(filter.status),
        limit: filter.limit,
    }
}

pub async fn page(State(app): State<AppState>, Query(filter): Query<Filter>) -> Response {
    let filter = given(filter);
    if let Err(problem) = filter.check() {
        return admin_error(StatusCode::BAD_REQUEST, problem).into_response();
    }
    let mut entries = app.journal.matching(&Filter {
        limit: Some(filter.limit.unwrap_or(SHOWN)),
        vendor: filter.vendor.clone(),
        path: filter.path.clone(),
        method: filter.method.clone(),
        status: filter.status.clone(),
    });
    entries.reverse();
    render(&LivePage {
        chrome: Chrome::of(&app, "/__admin/ui/live"),
        vendor: filter.vendor.clone().unwrap_or_default(),
        status: filter.status.clone().unwrap_or_default(),
        path: filter.path.clone().unwrap_or_default(),
        method: filter.method.clone().unwrap_or_default(),
        entries: entries
            .into_iter()
            .map(|entry| Row {
                json: serde_json::to_string_pretty(&entry).unwrap_or_default(),
                entry,
            })
            .collect(),
    })
}

/// `GET /__admin/ui/live/events?vendor=&status=&path=&method=`: each entry
/// recorded from now on that passes the filter, as an SSE `entry` event
/// whose data is the entry's JSON (as `GET /__admin/journal` shows it).
pub async fn events(State(app): State<AppState>, Query(filter): Query<Filter>) -> Response {
    let filter = given(filter);
    if let Err(problem) = filter.check() {
        return admin_error(StatusCode::BAD_REQUEST, problem).into_response();
    }
    let receiver = app.journal.subscribe();
    Sse::new(stream(receiver, filter))
        .keep_alive(KeepAlive::default())
        .into_response()
}

fn stream(
    receiver: tokio::sync::broadcast::Receiver<Entry>,
    filter: Filter,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold((receiver, filter), |(mut receiver, filter)| async move {
        loop {
            match receiver.recv().await {
                Ok(entry) if filter.admits(&entry) => {
                    let event = Event::default()
                        .event("entry")
                        .json_data(&entry)
                        .unwrap_or_else(|_| Event::default().comment("unencodable entry"));
                    return Some((Ok(event), (receiver, filter)));
                }
                Ok(_) => continue,
                // Fell behind: say so, and go on from the newest.
                Err(RecvError::Lagged(missed)) => {
                    let event = Event::default().event("lagged").data(missed.to_string());
                    return Some((Ok(event), (receiver, filter)));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}
