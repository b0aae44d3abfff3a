//! What keeps web pages off `/__admin` (every endpoint but health): a page
//! the user visits must not drive or read the admin API, whether it posts
//! to it cross-site or rebinds its own name to the server's address.
//!
//! - **Host** (DNS rebinding): the request's `Host` must name the server:
//!   `localhost` (or `*.localhost`), a loopback address, the address it
//!   listens on (any IP address when it listens on all of them, `0.0.0.0`
//!   or `::`), the `--host` it was given, or a name configured with
//!   `--allowed-host` (`name`, `.domain` for the domain and its subdomains,
//!   `*` for any). The port is not compared: a port mapping (`docker run -p
//!   9000:8080`) changes it, and a rebound name is refused whatever its port.
//!   A request without a `Host` (HTTP/1.0) is let through: browsers always
//!   send one.
//! - **Origin** (cross-site requests): when present, `Origin` must be the
//!   server's own: the same host and port as `Host` (`null` is refused).
//! - **Content type**: every `POST`, `PUT` and `PATCH` must say
//!   `Content-Type: application/json` (parameters such as `charset` allowed),
//!   a body-less one (`/__admin/reset`) included; a browser cannot send that
//!   cross-site without a CORS preflight, which mockcloud never grants.
//!   `GET`, `HEAD` and `DELETE` need none (a browser preflights a
//!   cross-site `DELETE`).
//!
//! Refusals are the admin API's JSON errors: 403 for Host and Origin, 415
//! for the content type.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, HOST, ORIGIN};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{AppState, admin_error};

/// The names the server answers to, besides `localhost` and loopback.
#[derive(Debug, Clone)]
pub struct Hosts {
    /// The address listened on.
    addr: SocketAddr,
    /// The `--host` given, when it is a name (lowercase, no trailing dot).
    name: Option<String>,
    allowed: Vec<Allowed>,
}

#[derive(Debug, Clone, PartialEq)]
enum Allowed {
    Any,
    Ip(IpAddr),
    Exact(String),
    /// `.example.com`: `example.com` and every name under it (stored
    /// without the leading dot).
    Domain(String),
}

impl Hosts {
    /// The server listening on `addr`, started with `--host host` and
    /// `--allowed-host` entries `allowed`.
    ///
    /// # Errors
    /// An entry that is not a host name, an IP address, `.domain` or `*`.
    pub fn new(addr: SocketAddr, host: &str, allowed: &[String]) -> Result<Self, String> {
        let allowed = allowed
            .iter()
            .map(|entry| parse_allowed(entry))
            .collect::<Result<_, _>>()?;
        let host = normalize(host);
        let name =
            (unbracket(&host).parse::<IpAddr>().is_err() && !host.is_empty()).then_some(host);
        Ok(Hosts {
            addr,
            name,
            allowed,
        })
    }

    /// Whether `hostname` (lowercase, no port, no trailing dot; IPv6 in
    /// brackets or not) names this server.
    fn admits(&self, hostname: &str) -> bool {
        if let Ok(ip) = unbracket(hostname).parse::<IpAddr>() {
            let listening = self.addr.ip();
            return is_loopback(ip)
                || listening.is_unspecified()
                || ip == listening
                || self.allowed.contains(&Allowed::Any)
                || self.allowed.contains(&Allowed::Ip(ip));
        }
        hostname == "localhost"
            || hostname.ends_with(".localhost")
            || self.name.as_deref() == Some(hostname)
            || self.allowed.iter().any(|allowed| match allowed {
                Allowed::Any => true,
                Allowed::Ip(_) => false,
                Allowed::Exact(name) => name == hostname,
                Allowed::Domain(domain) => {
                    hostname == domain
                        || hostname
                            .strip_suffix(domain.as_str())
                            .is_some_and(|sub| sub.ends_with('.'))
                }
            })
    }
}

/// Host and Origin: 403 unless both name this server.
pub async fn host_and_origin(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let refused = host_refusal(&app, &request);
    unless(refused, request, next).await
}

/// The admin API's guards as one layer, outermost first: addressed to this
/// server by its own name and not from another site's page (DNS
/// rebinding, cross-site requests), from a holder of the admin token
/// (when one is set), and a change sent as JSON (no browser sends that
/// cross-site without a preflight). One layer, not three: a route layer
/// wraps every route it covers, at start-up and on each call.
pub async fn admin_api(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let refused = host_refusal(&app, &request)
        .or_else(|| super::token::refusal(&app, request.headers()))
        .or_else(|| json_refusal(&request));
    unless(refused, request, next).await
}

/// A guard's end: the refusal if there is one, else the route's answer.
pub async fn unless(refused: Option<Response>, request: Request, next: Next) -> Response {
    match refused {
        None => next.run(request).await,
        Some(refused) => refused,
    }
}

/// 403 when the request is not addressed to this server by one of its
/// names, or comes from another site's page.
pub fn host_refusal(app: &AppState, request: &Request) -> Option<Response> {
    check_host_and_origin(&app.hosts, request)
        .err()
        .map(|reason| admin_error(StatusCode::FORBIDDEN, reason).into_response())
}

/// 415 for a request that changes something and is not JSON.
pub fn json_refusal(request: &Request) -> Option<Response> {
    let needs_json = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::DELETE | Method::OPTIONS
    );
    if needs_json && !is_json(request.headers().get(CONTENT_TYPE)) {
        return Some(
            admin_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "the admin API takes JSON: send {} with Content-Type: application/json \
                     (an empty body is fine where none is needed), e.g. curl --json '{{}}'",
                    request.method()
                ),
            )
            .into_response(),
        );
    }
    None
}

fn check_host_and_origin(hosts: &Hosts, request: &Request) -> Result<(), String> {
    let host = match request.headers().get(HOST) {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| "the Host header is not ASCII".to_string())?,
        ),
        // HTTP/2 carries the host in the request target.
        None => request.uri().authority().map(|a| a.as_str()),
    };
    let Some(host) = host else {
        // Not a browser: browsers always send Host (and Origin needs it).
        return match request.headers().get(ORIGIN) {
            None => Ok(()),
            Some(_) => Err("a request with an Origin must have a Host".to_string()),
        };
    };
    let (hostname, port) = split_authority(host)
        .ok_or_else(|| format!("the Host header {host:?} is not a host name"))?;
    let hostname = normalize(hostname);
    if !hosts.admits(&hostname) {
        return Err(format!(
            "the admin API does not answer to the host {host:?}: use the server's own address \
             (localhost, 127.0.0.1) or start it with --allowed-host {hostname} \
             (MOCKCLOUD_ALLOWED_HOSTS)"
        ));
    }
    let Some(origin) = request.headers().get(ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("");
    let cross_site =
        || format!("cross-site requests are refused: Origin {origin:?} is not {host:?}");
    let (scheme, authority) = origin.split_once("://").ok_or_else(cross_site)?;
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        _ => return Err(cross_site()),
    };
    let (origin_host, origin_port) = split_authority(authority).ok_or_else(cross_site)?;
    let port_of = |port: Option<u16>| port.unwrap_or(default_port);
    if normalize(origin_host) == hostname && port_of(origin_port) == port_of(port) {
        Ok(())
    } else {
        Err(cross_site())
    }
}

/// `host[:port]` or `[v6][:port]`, nothing else (no user info, no path).
fn split_authority(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, rest) = authority.split_at(end + 1);
        unbracket(host).parse::<std::net::Ipv6Addr>().ok()?;
        match rest {
            "" => (host, None),
            _ => (host, Some(rest.strip_prefix(':')?)),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(port) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            Some(port.parse().ok()?)
        }
        Some(_) => return None,
        None => None,
    };
    let name_like = host.starts_with('[')
        || (!host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')));
    name_like.then_some((host, port))
}

fn parse_allowed(entry: &str) -> Result<Allowed, String> {
    let entry = entry.trim();
    if entry == "*" {
        return Ok(Allowed::Any);
    }
    let (domain, name) = match entry.strip_prefix('.') {
        Some(rest) => (true, rest),
        None => (false, entry),
    };
    let name = normalize(name);
    let bare = unbracket(&name);
    let valid = bare.parse::<IpAddr>().is_ok()
        || (!name.is_empty()
            && !name.starts_with('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')));
    if !valid || (domain && bare.parse::<IpAddr>().is_ok()) {
        return Err(format!(
            "invalid allowed host {entry:?}: give a host name without scheme or port \
             (mockcloud), .domain for a domain and its subdomains (.example.com), \
             an IP address, or *"
        ));
    }
    Ok(match bare.parse::<IpAddr>() {
        Ok(ip) => Allowed::Ip(ip),
        Err(_) if domain => Allowed::Domain(name),
        Err(_) => Allowed::Exact(name),
    })
}

/// Lowercase, without one trailing dot (`localhost.` is `localhost`).
fn normalize(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    match host.strip_suffix('.') {
        Some(stripped) => stripped.to_string(),
        None => host,
    }
}

fn unbracket(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

fn is_json(content_type: Option<&axum::http::HeaderValue>) -> bool {
    content_type
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(addr: &str, host: &str, allowed: &[&str]) -> Hosts {
        let allowed: Vec<String> = allowed.iter().map(|s| s.to_string()).collect();
        Hosts::new(addr.parse().unwrap(), host, &allowed).unwrap()
    }

    #[test]
    fn loopback_names_and_addresses_are_the_servers() {
        let local = hosts("127.0.0.1:8080", "127.0.0.1", &[]);
        for name in [
            "localhost",
            "app.localhost",
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "::1",
        ] {
            assert!(local.admits(name), "{name}");
        }
        for name in [
            "evil.example",
            "10.0.0.1",
            "[fe80::1]",
            "localhost.evil.example",
        ] {
            assert!(!local.admits(name), "{name}");
        }
    }

    #[test]
    fn listening_on_every_address_admits_every_ip_but_no_foreign_name() {
        let all = hosts("0.0.0.0:8080", "0.0.0.0", &[]);
        assert!(all.admits("10.0.0.1"));
        assert!(all.admits("[fe80::1]"));
        assert!(!all.admits("mockcloud"));
        let one = hosts("10.0.0.1:8080", "10.0.0.1", &[]);
        assert!(one.admits("10.0.0.1"));
        assert!(!one.admits("10.0.0.2"));
    }

    #[test]
    fn configured_names_domains_and_any() {
        let named = hosts("0.0.0.0:8080", "0.0.0.0", &["MockCloud", ".corp.example"]);
        assert!(named.admits("mockcloud"));
        assert!(named.admits("corp.example"));
        assert!(named.admits("a.b.corp.example"));
        assert!(!named.admits("evilcorp.example"));
        assert!(hosts("127.0.0.1:1", "127.0.0.1", &["*"]).admits("anything.example"));
        assert!(hosts("127.0.0.1:1", "box.lan", &[]).admits("box.lan"));
        let ip = hosts("127.0.0.1:1", "127.0.0.1", &["[2001:db8::1]", "10.0.0.9"]);
        assert!(ip.admits("[2001:db8:0::1]"));
        assert!(ip.admits("10.0.0.9"));
        assert!(!ip.admits("10.0.0.8"));
    }

    #[test]
    fn bad_allowed_hosts_are_refused() {
        let addr: SocketAddr = "127.0.0.1:1".parse().unwrap();
        for bad in ["", "http://x", "x:8080", "a b", "x/y", ".", ".10.0.0.1"] {
            assert!(
                Hosts::new(addr, "127.0.0.1", &[bad.to_string()]).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn authorities_split_into_host_and_port() {
        assert_eq!(split_authority("a.b:80"), Some(("a.b", Some(80))));
        assert_eq!(split_authority("[::1]:9"), Some(("[::1]", Some(9))));
        assert_eq!(split_authority("[::1]"), Some(("[::1]", None)));
        assert_eq!(split_authority("x"), Some(("x", None)));
        for bad in [
            "", "x:", "x:y", "u@x", "x:1:2", "[::1", "[zz]", "x/", "x:99999",
        ] {
            assert_eq!(split_authority(bad), None, "{bad:?}");
        }
    }
}
