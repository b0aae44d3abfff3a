//! The console at `/__admin/ui/`: server-rendered pages that show and steer
//! each vendor's world. Pages read the world through the same engine
//! functions the vendor handlers use, so they cannot disagree with the API;
//! every change goes through the admin API the documentation describes (the
//! page's script calls it), except the stack delete-protection toggle,
//! a console endpoint that calls the Grafana model's `update_stack`.
//!
//! Templates (`templates/`, askama) and assets (`assets/`) are compiled in:
//! nothing is fetched at run time. Charts are SVG drawn by `plotters`.

mod charts;
mod controls;
mod datadog;
mod gcore;
mod grafana;
mod live;
mod overview;

use std::time::Instant;

use askama::Template;
use axum::extract::{Request, State};
use axum::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;

use crate::admin::token::{ADMIN_TOKEN_COOKIE, holds_token, same};
use crate::admin::{AppState, admin_error, guard};

pub const PREFIX: &str = "/__admin/ui";

/// When this server started (its routers were built): the uptime on the
/// overview.
#[derive(Debug, Clone, Copy)]
struct Started(Instant);

/// The console's routes: a router of their own (the front sends it the
/// paths under [`PREFIX`]), under the admin API's Host and Origin checks.
/// Each route carries its guards (a route layer wraps each route it covers
/// either way; merging routers would insert every route again). `started`:
/// since when the overview counts the server's uptime.
pub fn routes(state: AppState, started: Instant) -> Router<AppState> {
    let open = |route: MethodRouter<AppState>| {
        route.route_layer(middleware::from_fn_with_state(
            state.clone(),
            guard::host_and_origin,
        ))
    };
    let page = |route: MethodRouter<AppState>| {
        route.route_layer(middleware::from_fn_with_state(state.clone(), guard_page))
    };
    Router::new()
        .route(
            "/__admin/ui",
            open(get(|| async { Redirect::permanent("/__admin/ui/") })),
        )
        .route("/__admin/ui/login", open(get(login_page)))
        .route("/__admin/ui/assets/console.css", open(get(css)))
        .route("/__admin/ui/assets/console.js", open(get(js)))
        .route(
            "/__admin/ui/session",
            post(log_in).route_layer(middleware::from_fn_with_state(state.clone(), guard_session)),
        )
        .route("/__admin/ui/", page(get(overview::page)))
        .route("/__admin/ui/grafana", page(get(grafana::page)))
        .route(
            "/__admin/ui/grafana/stacks/{slug}/delete-protection",
            page(post(grafana::set_delete_protection)),
        )
        .route("/__admin/ui/datadog", page(get(datadog::page)))
        .route("/__admin/ui/gcore", page(get(gcore::page)))
        .route("/__admin/ui/live", page(get(live::page)))
        .route("/__admin/ui/live/events", page(get(live::events)))
        .route(
            "/__admin/ui/live/requests/{request_id}",
            page(get(live::exchange)),
        )
        .route("/__admin/ui/controls", page(get(controls::page)))
        .layer(Extension(Started(started)))
}

/// Whether `path` is the console's (under [`PREFIX`]).
pub fn owns(path: &str) -> bool {
    path.strip_prefix(PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// A page's guards, outermost first: Host and Origin, the login, JSON for
/// a change.
async fn guard_page(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let refused = guard::host_refusal(&app, &request)
        .or_else(|| login_refusal(&app, &request))
        .or_else(|| guard::json_refusal(&request));
    guard::unless(refused, request, next).await
}

/// The login form's post: Host and Origin, then JSON.
async fn guard_session(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let refused = guard::host_refusal(&app, &request).or_else(|| guard::json_refusal(&request));
    guard::unless(refused, request, next).await
}

/// With `--admin-token`, pages want the token (the login cookie or a
/// header); without it a browser is sent to the login form, anything else
/// gets a 401.
fn login_refusal(app: &AppState, request: &Request) -> Option<Response> {
    let expected = app.admin_token.as_deref()?;
    if holds_token(request.headers(), expected) {
        return None;
    }
    // A browser opening a page is sent to the login form; anything else
    // gets the admin API's 401.
    let wants_html = request
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if request.method() == axum::http::Method::GET && wants_html {
        let next_page = request
            .uri()
            .path_and_query()
            .map_or(format!("{PREFIX}/"), |p| p.to_string());
        let query = serde_urlencoded::to_string([("next", next_page)]).unwrap_or_default();
        return Some(Redirect::to(&format!("{PREFIX}/login?{query}")).into_response());
    }
    Some(
        admin_error(
            StatusCode::UNAUTHORIZED,
            "admin token required: log in at /__admin/ui/login",
        )
        .into_response(),
    )
}

#[derive(Template)]
#[template(path = "login.html")]
struct Login {
    next: String,
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

async fn login_page(axum::extract::Query(query): axum::extract::Query<LoginQuery>) -> Response {
    // Only back into the console: never an open redirect.
    let next = query
        .next
        .filter(|next| next.starts_with("/__admin/ui/") && !next.contains("//"))
        .unwrap_or_else(|| format!("{PREFIX}/"));
    render(&Login { next })
}

#[derive(Deserialize)]
struct Credentials {
    token: String,
}

/// `POST /__admin/ui/session {"token": ...}`: sets the login cookie when
/// the token is the admin token (or none is set).
async fn log_in(State(app): State<AppState>, Json(given): Json<Credentials>) -> Response {
    if let Some(expected) = app.admin_token.as_deref()
        && !same(given.token.as_bytes(), expected.as_bytes())
    {
        return admin_error(StatusCode::UNAUTHORIZED, "wrong admin token").into_response();
    }
    let cookie = format!(
        "{ADMIN_TOKEN_COOKIE}={}; Path=/__admin; HttpOnly; SameSite=Strict",
        given.token
    );
    let mut response = StatusCode::NO_CONTENT.into_response();
    match HeaderValue::from_str(&cookie) {
        Ok(value) => {
            response.headers_mut().insert(SET_COOKIE, value);
            response
        }
        Err(_) => admin_error(
            StatusCode::BAD_REQUEST,
            "the token cannot be kept in a cookie: use Authorization: Bearer",
        )
        .into_response(),
    }
}

async fn css() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("assets/console.css"),
    )
}

async fn js() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("assets/console.js"),
    )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// A page, or a 500 naming the template error (a bug).
fn render(page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The navigation: (path, title) of every page.
pub const PAGES: [(&str, &str); 6] = [
    ("/__admin/ui/", "Overview"),
    ("/__admin/ui/grafana", "Grafana"),
    ("/__admin/ui/datadog", "Datadog"),
    ("/__admin/ui/gcore", "Gcore"),
    ("/__admin/ui/live", "Live requests"),
    ("/__admin/ui/controls", "Controls"),
];

/// What every page's layout shows.
pub struct Chrome {
    /// The page's path, to mark it in the navigation.
    pub current: &'static str,
    pub scenario: String,
    pub now: String,
    pub frozen: bool,
}

impl Chrome {
    fn of(app: &AppState, current: &'static str) -> Self {
        let clock = app.engine.clock();
        Chrome {
            current,
            scenario: app.engine.scenario().name.clone(),
            now: crate::core::clock::timestamp(clock.now()),
            frozen: clock.is_frozen(),
        }
    }

    pub fn pages(&self) -> &'static [(&'static str, &'static str)] {
        &PAGES
    }
}
