//! Live requests: the journal, newest first, then each request as it is
//! answered (server-sent events), filtered as `GET /__admin/journal` is;
//! and each request's whole exchange, captured while the stream is open
//! (`crate::admin::capture`).

use std::convert::Infallible;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::{Chrome, render};
use crate::admin::capture::{Exchange, ShownBody, Watching};
use crate::admin::journal::{Entry, Filter, Subscription};
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
    let subscription = app.journal.subscribe();
    // Exchanges are captured while the stream is open.
    let watching = app.captures.watch();
    Sse::new(stream(subscription, filter, watching))
        .keep_alive(KeepAlive::default())
        .into_response()
}

fn stream(
    subscription: Subscription,
    filter: Filter,
    watching: Watching,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let state = (subscription, filter, watching);
    futures_util::stream::unfold(state, |(mut receiver, filter, watching)| async move {
        loop {
            match receiver.receiver.recv().await {
                Ok(entry) if filter.admits(&entry) => {
                    let event = Event::default()
                        .event("entry")
                        .json_data(&entry)
                        .unwrap_or_else(|_| Event::default().comment("unencodable entry"));
                    return Some((Ok(event), (receiver, filter, watching)));
                }
                Ok(_) => continue,
                // Fell behind: say so, and go on from the newest.
                Err(RecvError::Lagged(missed)) => {
                    let event = Event::default().event("lagged").data(missed.to_string());
                    return Some((Ok(event), (receiver, filter, watching)));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}

/// A request's whole exchange, for the live view's details panel.
#[derive(Template)]
#[template(path = "live_request.html")]
struct ExchangeDetails {
    request_id: String,
    request_line: String,
    request_headers: Vec<(String, String)>,
    request_body: ShownBody,
    /// `200 OK`, or what the client saw instead.
    status: String,
    latency_ms: f64,
    /// The fault rule or rate limit that changed the answer, said in words.
    fault: Option<String>,
    response_headers: Vec<(String, String)>,
    response_body: ShownBody,
}

impl ExchangeDetails {
    fn of(exchange: &Exchange) -> Self {
        let status = if exchange.dropped() {
            "none: the connection was dropped".to_string()
        } else {
            exchange.status.to_string()
        };
        let fault = exchange.fault.as_ref().map(|fault| {
            if fault.effect == "rate_limit" {
                format!("rate limit {}: the request was refused", fault.rule)
            } else {
                format!("fault rule {}: {}", fault.rule, fault.effect)
            }
        });
        ExchangeDetails {
            request_id: exchange.request_id.as_str().to_string(),
            request_line: format!(
                "{} {} {:?}",
                exchange.method, exchange.target, exchange.version
            ),
            request_headers: exchange.request_headers.clone(),
            request_body: exchange.request_body(),
            status,
            latency_ms: (exchange.latency.as_secs_f64() * 1_000_000.0).round() / 1000.0,
            fault,
            response_headers: exchange.response_headers.clone(),
            response_body: exchange.response_body(),
        }
    }
}

/// What the panel says of a request whose exchange was not captured.
#[derive(Template)]
#[template(
    source = r#"<p class="uncaptured" data-request-id="{{ request_id }}">Not captured: exchanges are recorded only while a live view is open, and only the latest {{ kept }} are kept. This request was answered while nobody watched, or has left them. The journal entry below is all there is.</p>"#,
    ext = "html"
)]
struct Uncaptured {
    request_id: String,
    kept: usize,
}

/// `GET /__admin/ui/live/requests/{request_id}`: the request's whole
/// exchange as an HTML fragment for the details panel; a 404 fragment
/// saying so when it was not captured.
pub async fn exchange(State(app): State<AppState>, Path(request_id): Path<String>) -> Response {
    match app.captures.find(&request_id) {
        Some(exchange) => render(&ExchangeDetails::of(&exchange)),
        None => {
            let mut response = render(&Uncaptured {
                request_id,
                kept: crate::admin::capture::CAPACITY,
            });
            *response.status_mut() = StatusCode::NOT_FOUND;
            response
        }
    }
}
