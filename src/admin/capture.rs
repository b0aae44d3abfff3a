//! Whole exchanges for the console's live view: each vendor request's head
//! and body and its answer's, kept while someone watches the live view so
//! a click on a journal row can show them.
//!
//! Nothing is copied while nobody watches: [`Capture::start`] costs one
//! atomic load then. While someone does, the request's headers are copied
//! (credentials redacted as they are copied, [`redact_header`]) and its
//! body is teed as the handler reads it: no body is read ahead of the
//! handler, so the body limit (413) and the body deadline (408) behave as
//! they do unwatched. An answer's body is teed the same way when its length
//! is known (a rendered answer); one that streams (the live view's own
//! events, a dribbling fault) passes untouched and is not shown. At most
//! [`BODY_CAP`] bytes of each body are kept, and the newest [`CAPACITY`]
//! exchanges.
//!
//! Bodies are kept as they were sent and redacted whenever they are shown
//! ([`Exchange::request_body`]): credential-like JSON fields (a created
//! token's `token`, a hosted Grafana key's `key`, anything named like a
//! password or secret), credential-like form fields, and wherever else a
//! credential of the request's headers appears.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, Method, StatusCode, Version};
use axum::response::Response;
use http_body::{Frame, SizeHint};
use serde::de::{self, Deserialize, Deserializer};
use serde::{Serialize, Serializer};

use super::AppState;
use super::journal::{Observed, REDACTED, redact_query, vendor_of};
use crate::core::faults::AppliedFault;
use crate::core::request_id::{self, RequestId};

/// Exchanges kept: the newest.
pub const CAPACITY: usize = 200;

/// Bytes kept of each body; the rest is counted, not kept.
pub const BODY_CAP: usize = 64 * 1024;

/// The exchanges of the latest requests answered while someone watched.
#[derive(Debug, Default)]
pub struct Captures {
    /// Live views open; exchanges are captured while it is not 0.
    watchers: AtomicUsize,
    kept: Mutex<VecDeque<Arc<Exchange>>>,
}

impl Captures {
    /// Captures exchanges until the returned guard is dropped (the live
    /// view's event stream holds it while it is open).
    pub fn watch(self: &Arc<Self>) -> Watching {
        self.watchers.fetch_add(1, Ordering::Relaxed);
        Watching(self.clone())
    }

    fn watched(&self) -> bool {
        self.watchers.load(Ordering::Relaxed) > 0
    }

    /// The newest exchange of the request with this id, if it was captured
    /// and is still kept.
    pub fn find(&self, request_id: &str) -> Option<Arc<Exchange>> {
        self.kept()
            .iter()
            .rev()
            .find(|exchange| exchange.request_id.as_str() == request_id)
            .cloned()
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, VecDeque<Arc<Exchange>>> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn keep(&self, exchange: Exchange) {
        let dropped = {
            let mut kept = self.kept();
            let dropped = (kept.len() >= CAPACITY).then(|| kept.pop_front());
            kept.push_back(Arc::new(exchange));
            dropped
        };
        // Freed outside the lock.
        drop(dropped);
    }
}

/// A live view watching: while one is held, exchanges are captured.
#[derive(Debug)]
pub struct Watching(Arc<Captures>);

impl Drop for Watching {
    fn drop(&mut self) {
        self.0.watchers.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A request being captured, or (nobody watching) not.
#[derive(Debug)]
pub struct Capture(Option<Box<Pending>>);

impl Capture {
    /// Starts capturing `request` when someone watches; gives it back with
    /// its body teed then, untouched otherwise. `/__admin` is never
    /// captured (the journal does not show it either).
    #[inline]
    pub fn start(app: &AppState, observed: &Observed, request: Request) -> (Request, Capture) {
        if !app.captures.watched() {
            return (request, Capture(None));
        }
        Pending::start(app, observed, request)
    }

    /// Copies the answer's head, tees its body (when its length is known)
    /// and keeps the exchange. Called before the journal records the
    /// request, so the exchange is there by the time the live view shows it.
    #[inline]
    pub fn finish(self, response: &mut Response) {
        if let Some(pending) = self.0 {
            pending.finish(response);
        }
    }
}

#[derive(Debug)]
struct Pending {
    captures: Arc<Captures>,
    started: Instant,
    request_id: RequestId,
    method: Method,
    target: String,
    version: Version,
    request_headers: Vec<(String, String)>,
    request_content_type: Option<String>,
    request_body: Option<Arc<Teed>>,
    secrets: Vec<String>,
}

impl Pending {
    #[cold]
    fn start(app: &AppState, observed: &Observed, request: Request) -> (Request, Capture) {
        let uri = request.uri();
        if vendor_of(uri.path()) == "admin" {
            return (request, Capture(None));
        }
        let target = match uri.query() {
            Some(query) => format!("{}?{}", uri.path(), redact_query(query)),
            None => uri.path().to_string(),
        };
        let mut secrets = Vec::new();
        let request_headers = copy_headers(request.headers(), &mut secrets);
        let request_content_type = content_type(request.headers());
        let (parts, body) = request.into_parts();
        let (body, request_body) = if http_body::Body::is_end_stream(&body) {
            (body, None)
        } else {
            let teed = Arc::new(Teed::default());
            (Body::new(Tee::new(body, teed.clone())), Some(teed))
        };
        let pending = Pending {
            captures: app.captures.clone(),
            started: Instant::now(),
            request_id: observed.request_id().clone(),
            method: parts.method.clone(),
            target,
            version: parts.version,
            request_headers,
            request_content_type,
            request_body,
            secrets,
        };
        (
            Request::from_parts(parts, body),
            Capture(Some(Box::new(pending))),
        )
    }

    fn finish(self, response: &mut Response) {
        let mut secrets = self.secrets;
        let mut response_headers = copy_headers(response.headers(), &mut secrets);
        // The journal echoes it next, on every answer.
        if !response.headers().contains_key(request_id::HEADER) {
            response_headers.push((
                request_id::HEADER.to_string(),
                self.request_id.as_str().to_string(),
            ));
        }
        let response_body = match http_body::Body::size_hint(response.body()).exact() {
            Some(_) => {
                let teed = Arc::new(Teed::default());
                let body = std::mem::take(response.body_mut());
                *response.body_mut() = Body::new(Tee::new(body, teed.clone()));
                AnswerBody::Teed(teed)
            }
            None => AnswerBody::Streamed,
        };
        let fault = response.extensions().get::<AppliedFault>().cloned();
        self.captures.keep(Exchange {
            request_id: self.request_id,
            method: self.method,
            target: self.target,
            version: self.version,
            request_headers: self.request_headers,
            request_content_type: self.request_content_type,
            request_body: self.request_body,
            status: response.status(),
            response_headers,
            response_content_type: content_type(response.headers()),
            response_body,
            fault,
            latency: self.started.elapsed(),
            secrets,
        });
    }
}

/// One request and its answer, as captured.
#[derive(Debug)]
pub struct Exchange {
    pub request_id: RequestId,
    pub method: Method,
    /// The path and the query, credential values redacted.
    pub target: String,
    pub version: Version,
    /// As sent, credentials redacted.
    pub request_headers: Vec<(String, String)>,
    request_content_type: Option<String>,
    /// `None`: the request had no body.
    request_body: Option<Arc<Teed>>,
    pub status: StatusCode,
    /// As sent, credentials redacted.
    pub response_headers: Vec<(String, String)>,
    response_content_type: Option<String>,
    response_body: AnswerBody,
    /// The fault rule or the rate limit that changed the answer.
    pub fault: Option<AppliedFault>,
    /// To the answer's head.
    pub latency: Duration,
    /// The credentials redacted from the headers, redacted wherever else
    /// they show (a body that echoes one).
    secrets: Vec<String>,
}

#[derive(Debug)]
enum AnswerBody {
    Teed(Arc<Teed>),
    /// Of no known length: streamed untouched, not captured.
    Streamed,
}

/// A body as the details show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownBody {
    /// What there was: `412 bytes`, `the first 65536 of 70000 bytes`,
    /// `no body`, ...
    pub summary: String,
    /// The body, redacted (indented when JSON); `None` when there is
    /// nothing to show.
    pub text: Option<String>,
}

impl Exchange {
    /// Whether a fault dropped the connection: the client saw no answer.
    pub fn dropped(&self) -> bool {
        self.fault
            .as_ref()
            .is_some_and(|f| f.effect.split('+').any(|e| e == "drop"))
    }

    pub fn request_body(&self) -> ShownBody {
        match &self.request_body {
            None => ShownBody {
                summary: "no body".to_string(),
                text: None,
            },
            Some(teed) => self.show(teed, self.request_content_type.as_deref(), "request"),
        }
    }

    pub fn response_body(&self) -> ShownBody {
        match &self.response_body {
            AnswerBody::Streamed if self.dropped() => ShownBody {
                summary: "none: the connection was dropped before the answer".to_string(),
                text: None,
            },
            AnswerBody::Streamed => ShownBody {
                summary: "streamed (no known length): not captured".to_string(),
                text: None,
            },
            AnswerBody::Teed(teed) => {
                self.show(teed, self.response_content_type.as_deref(), "answer")
            }
        }
    }

    fn show(&self, teed: &Teed, content_type: Option<&str>, whose: &str) -> ShownBody {
        let copied = teed.copied();
        let seen = copied.seen;
        let kept = copied.bytes.len() as u64;
        let mut summary = match (&copied.end, seen) {
            (Some(Ok(())), 0) => "empty".to_string(),
            (None, 0) if whose == "request" => {
                "not read: answered before the body was read".to_string()
            }
            (None, 0) => "not sent yet".to_string(),
            (_, seen) if seen > kept => format!("the first {kept} of {seen} bytes"),
            (Some(Ok(())), seen) => format!("{seen} bytes"),
            (_, seen) => format!("{seen} bytes so far"),
        };
        match &copied.end {
            Some(Err(error)) => {
                summary.push_str(&format!("; then the {whose} body failed: {error}"))
            }
            None if seen > 0 && whose == "request" => {
                summary.push_str("; the handler read no further")
            }
            _ => {}
        }
        let text = (seen > 0).then(|| {
            shown_text(
                &copied.bytes,
                seen,
                seen > kept,
                content_type,
                &self.secrets,
            )
        });
        ShownBody { summary, text }
    }
}

/// The `Content-Type` value, if any.
fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The headers as (name, value), credentials redacted; the credentials
/// redacted are added to `secrets`.
fn copy_headers(headers: &HeaderMap, secrets: &mut Vec<String>) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes());
            let (shown, secret) = redact_header(name.as_str(), &value);
            secrets.extend(secret);
            (name.to_string(), shown)
        })
        .collect()
}

/// A header as shown, and the credential it carried. Authorization headers
/// (`authorization`, `proxy-authorization`, anything naming `auth`) keep
/// their scheme (`Bearer REDACTED`); headers named like a credential
/// (`dd-api-key`, `dd-application-key`, `x-api-key`, `cookie`,
/// `set-cookie`, anything naming a token, key, secret, password, session,
/// signature or credential) lose their whole value.
pub fn redact_header(name: &str, value: &str) -> (String, Option<String>) {
    const WORDS: [&str; 8] = [
        "token",
        "key",
        "secret",
        "passw",
        "cookie",
        "session",
        "signature",
        "credential",
    ];
    let name = name.to_ascii_lowercase();
    let kept = |secret: &str| Some(secret.trim().to_string()).filter(|s| !s.is_empty());
    if name.contains("auth") {
        return match value.trim().split_once(' ') {
            Some((scheme, credential)) => (format!("{scheme} {REDACTED}"), kept(credential)),
            None => (REDACTED.to_string(), kept(value)),
        };
    }
    if WORDS.iter().any(|word| name.contains(word)) {
        return (REDACTED.to_string(), kept(value));
    }
    (value.to_string(), None)
}

/// Whether a JSON field holds a credential, by its name: `token`, `key`,
/// `secret`, `password` (`passwd`), or a name containing one of them
/// (`api_key`, `apiKey`, `client_secret`, `machineLearningLogsToken`).
/// Plural `keys` and `tokens` name lists, not values (but a `tokens` list's
/// strings would still be redacted by their own `token` name were they
/// objects).
fn is_secret_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase().replace(['-', '_', '.'], "");
    name.ends_with("key")
        || name.contains("token")
        || name.contains("secret")
        || name.contains("passw")
}

/// A JSON value with its object's fields in the order they were sent
/// (`serde_json::Value` sorts them), to show a body as it was.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = Json;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
                Ok(Json::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
                Ok(Json::Number(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
                Ok(Json::Number(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
                Ok(serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number))
            }
            fn visit_str<E>(self, v: &str) -> Result<Json, E> {
                Ok(Json::String(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Json, E> {
                Ok(Json::String(v))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Json::Array(items))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut fields = Vec::new();
                while let Some(field) = map.next_entry()? {
                    fields.push(field);
                }
                Ok(Json::Object(fields))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(v) => serializer.serialize_bool(*v),
            Json::Number(v) => v.serialize(serializer),
            Json::String(v) => serializer.serialize_str(v),
            Json::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (name, field) in fields {
                    map.serialize_entry(name, field)?;
                }
                map.end()
            }
        }
    }
}

/// Redacts, in place, the strings under credential-like fields. Numbers
/// and booleans stay (`maxTokenExpirationDays`, `disableTokenExpirationEmails`
/// are settings, not secrets). A `key` beside a `value` names the value (a
/// tag, a label) and stays. The strings redacted are added to `found`.
fn redact_json(value: &mut Json, secret: bool, found: &mut Vec<String>) {
    match value {
        Json::String(text) if secret => {
            found.push(std::mem::replace(text, REDACTED.to_string()));
        }
        Json::Array(items) => {
            for item in items {
                redact_json(item, secret, found);
            }
        }
        Json::Object(fields) => {
            let pair = fields.iter().any(|(name, _)| name == "value");
            for (name, field) in fields.iter_mut() {
                let named = is_secret_field(name) && !(pair && name == "key");
                redact_json(field, secret || named, found);
            }
        }
        _ => {}
    }
}

/// A body as text, redacted: indented JSON when it parses as JSON, a form
/// with its credential fields redacted, else the text with JSON-looking
/// credential fields redacted (a JSON body cut at the cap); binary bodies
/// as `<N bytes, binary>`.
fn shown_text(
    bytes: &[u8],
    seen: u64,
    truncated: bool,
    content_type: Option<&str>,
    secrets: &[String],
) -> String {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        // Cut inside a character at the cap: the text before it.
        Err(e) if truncated && e.error_len().is_none() => {
            std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return format!("<{seen} bytes, binary>"),
    };
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return format!("<{seen} bytes, binary>");
    }
    let mut secrets = secrets.to_vec();
    let mut shown = match serde_json::from_str::<Json>(text) {
        Ok(mut json) if !truncated => {
            redact_json(&mut json, false, &mut secrets);
            serde_json::to_string_pretty(&json).unwrap_or_default()
        }
        _ if content_type.is_some_and(|t| t.starts_with("application/x-www-form-urlencoded")) => {
            redact_query(text)
        }
        _ => redact_json_text(text),
    };
    if truncated {
        shown.push_str("\n…");
    }
    // A credential echoed anywhere else (an error message quoting it).
    for secret in secrets.iter().filter(|s| s.len() >= 6) {
        if shown.contains(secret.as_str()) {
            shown = shown.replace(secret.as_str(), REDACTED);
        }
    }
    shown
}

/// JSON-like text that does not parse (cut at the cap): the value after
/// each credential-like `"name":` is redacted, a string up to its closing
/// quote (or the end), anything else up to the next `,`, `}`, `]` or line.
fn redact_json_text(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('"') {
        shown.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        let close = closing_quote(rest).unwrap_or(rest.len());
        let name = &rest[..close];
        shown.push_str(name);
        rest = &rest[close..];
        if rest.is_empty() {
            break;
        }
        // The closing quote.
        shown.push('"');
        rest = &rest[1..];
        let after = rest.trim_start();
        let Some(value) = after.strip_prefix(':') else {
            continue;
        };
        if !is_secret_field(name) {
            continue;
        }
        let value_start = value.len() - value.trim_start().len();
        let value = value.trim_start();
        shown.push_str(&rest[..rest.len() - after.len()]);
        shown.push(':');
        shown.push_str(&after[1..1 + value_start]);
        if let Some(string) = value.strip_prefix('"') {
            shown.push('"');
            shown.push_str(REDACTED);
            rest = match closing_quote(string) {
                Some(close) => {
                    shown.push('"');
                    &string[close + 1..]
                }
                // Cut inside the value: nothing of it is shown.
                None => "",
            };
        } else {
            let end = value.find([',', '}', ']', '\n']).unwrap_or(value.len());
            let literal = value[..end].trim_end();
            // Numbers and booleans stay, as in a body that parses.
            if literal.starts_with(|c: char| c.is_ascii_digit() || c == '-')
                || ["true", "false", "null"].contains(&literal)
            {
                rest = value;
            } else {
                shown.push_str(REDACTED);
                rest = &value[end..];
            }
        }
    }
    shown.push_str(rest);
    shown
}

/// Where the string that starts right after an opening quote closes.
fn closing_quote(string: &str) -> Option<usize> {
    let mut escaped = false;
    for (at, c) in string.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(at),
            _ => {}
        }
    }
    None
}

/// What a tee copied of a body, shared with the exchange that shows it.
#[derive(Debug, Default)]
struct Teed(Mutex<Copied>);

#[derive(Debug, Default)]
struct Copied {
    /// The first [`BODY_CAP`] bytes.
    bytes: Vec<u8>,
    /// Bytes that went through, kept or not.
    seen: u64,
    /// Set when the body ended, or failed (why).
    end: Option<Result<(), String>>,
}

impl Teed {
    fn copied(&self) -> std::sync::MutexGuard<'_, Copied> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A body passed on frame by frame as it is, and copied (up to the cap) as
/// it goes.
struct Tee {
    inner: Body,
    teed: Arc<Teed>,
}

impl Tee {
    fn new(inner: Body, teed: Arc<Teed>) -> Self {
        if http_body::Body::is_end_stream(&inner) {
            teed.copied().end = Some(Ok(()));
        }
        Tee { inner, teed }
    }
}

impl http_body::Body for Tee {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(frame) = &polled {
            let mut copied = self.teed.copied();
            match frame {
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        let room = BODY_CAP.saturating_sub(copied.bytes.len());
                        copied
                            .bytes
                            .extend_from_slice(&data[..data.len().min(room)]);
                        copied.seen += data.len() as u64;
                    }
                    // A body of known length is not polled past its end.
                    if http_body::Body::is_end_stream(&self.inner) {
                        copied.end = Some(Ok(()));
                    }
                }
                Some(Err(error)) => copied.end = Some(Err(error.to_string())),
                None => copied.end = Some(Ok(())),
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(value: serde_json::Value) -> Json {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn authorization_keeps_its_scheme_and_credential_headers_lose_their_value() {
        assert_eq!(
            redact_header("authorization", "Bearer glc_abc"),
            ("Bearer REDACTED".to_string(), Some("glc_abc".to_string()))
        );
        assert_eq!(
            redact_header("Authorization", "APIKey 12$abc").0,
            "APIKey REDACTED"
        );
        for name in [
            "dd-api-key",
            "DD-APPLICATION-KEY",
            "cookie",
            "set-cookie",
            "x-api-key",
            "x-auth-token",
            "x-client-secret",
            "x-password",
        ] {
            assert_eq!(redact_header(name, "hunter2").0, REDACTED, "{name}");
        }
        for (name, value) in [
            ("content-type", "application/json"),
            ("x-request-id", "abc"),
            ("x-ratelimit-remaining", "5"),
        ] {
            assert_eq!(redact_header(name, value), (value.to_string(), None));
        }
    }

    #[test]
    fn secrets_in_json_are_redacted_and_settings_kept() {
        let body = json!({
            "id": "t1", "name": "ci", "token": "glc_secret",
            "key": "glsa_secret", "api_key": "dd", "client_secret": "x",
            "password": "p", "maxTokenExpirationDays": 30,
            "disableTokenExpirationEmails": true,
            "tags": [{"key": "env", "value": "prod"}],
            "nested": {"apiKey": "k", "region": "us"}
        });
        let mut body = parsed(body);
        let mut found = Vec::new();
        redact_json(&mut body, false, &mut found);
        assert_eq!(
            body,
            parsed(json!({
                "id": "t1", "name": "ci", "token": REDACTED,
                "key": REDACTED, "api_key": REDACTED, "client_secret": REDACTED,
                "password": REDACTED, "maxTokenExpirationDays": 30,
                "disableTokenExpirationEmails": true,
                "tags": [{"key": "env", "value": "prod"}],
                "nested": {"apiKey": REDACTED, "region": "us"}
            }))
        );
        assert!(found.contains(&"glc_secret".to_string()));
    }

    #[test]
    fn a_json_body_cut_at_the_cap_is_redacted_too() {
        assert_eq!(
            redact_json_text(r#"{"name": "ci", "token": "glc_abc", "n": 3, "key": "gl"#),
            r#"{"name": "ci", "token": "REDACTED", "n": 3, "key": "REDACTED"#
        );
        assert_eq!(
            redact_json_text(r#"{"password": hunter2, "apiKey": 12}"#),
            r#"{"password": REDACTED, "apiKey": 12}"#
        );
        assert_eq!(
            redact_json_text(r#"["a\"b", "token"]"#),
            r#"["a\"b", "token"]"#
        );
    }

    #[test]
    fn bodies_are_shown_as_text_json_or_binary() {
        // Indented, the fields in the order sent.
        let shown = shown_text(br#"{"b":1,"a":"x"}"#, 13, false, None, &[]);
        assert_eq!(shown, "{\n  \"b\": 1,\n  \"a\": \"x\"\n}");
        assert_eq!(
            shown_text(&[0xff, 0x00, 0x10], 3, false, None, &[]),
            "<3 bytes, binary>"
        );
        assert_eq!(
            shown_text(
                b"a=1&api_key=s",
                13,
                false,
                Some("application/x-www-form-urlencoded"),
                &[]
            ),
            "a=1&api_key=REDACTED"
        );
        // A header's credential echoed in an error message.
        assert_eq!(
            shown_text(
                b"unknown key mock-dd-key-1",
                25,
                false,
                None,
                &["mock-dd-key-1".to_string()]
            ),
            "unknown key REDACTED"
        );
        // Cut in the middle of a two-byte character.
        assert_eq!(
            shown_text("aé".as_bytes()[..2].as_ref(), 3, true, None, &[]),
            "a\n…"
        );
    }
}
