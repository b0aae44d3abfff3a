//! Serving the listener: hyper's HTTP/1 connection, one task per
//! connection, with the limits axum::serve lacks.
//!
//! - **Header read timeout:** a request head (request line and headers)
//!   must be complete within it of its first byte; the connection is closed
//!   otherwise (a client that never sent a complete head gets no answer).
//! - **Idle timeout:** a keep-alive connection with no request for that
//!   long is closed. hyper's own `header_read_timeout` starts when the
//!   previous answer is sent, so it is also an idle timeout and the two could
//!   not differ; a watchdog per connection tells them apart.
//! - **Body read timeout:** a request body must be received within it of
//!   the head; a body that stalls fails, and the answer is a 408 in the
//!   shape of the path's owner (`super::shape_errors`).
//! - **Connection cap:** at most `max_connections` connections are served.
//!   At the cap, a new connection closes the one that has waited longest for
//!   a request (idle or with a partial head), so clients that hold
//!   connections open without sending requests cannot keep others out; when
//!   every connection has a request in progress, a small health lane of
//!   [`HEALTH_LANE`] more connections answers `/__admin/health` (and 503
//!   elsewhere), and beyond it new connections are closed at once.
//! - **Vendor-shaped errors from hyper:** the answers hyper writes itself to
//!   a request it cannot parse (400, 414, 431, with no body) are rewritten
//!   to the path owner's JSON error ([`Watched`]).

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::Response;
use futures_util::FutureExt;
use futures_util::task::AtomicWaker;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

use super::threads::Threads;

/// The per-connection limits (see the module documentation). The defaults
/// suit tests and demos on one machine; every one can be changed with a
/// `mockcloud serve` flag or its environment variable.
///
/// ```
/// use std::time::Duration;
/// use mockcloud::{Config, ConnectionLimits};
///
/// let config = Config::default().with_connection_limits(ConnectionLimits {
///     header_read_timeout: Duration::from_secs(2),
///     ..ConnectionLimits::default()
/// });
/// assert_eq!(config.connection_limits.max_connections, 512);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long a request head may take from its first byte
    /// (`--header-timeout`, 10 s).
    pub header_read_timeout: Duration,
    /// How long a request body may take from its head (`--body-timeout`,
    /// 30 s); then the request is answered 408.
    pub body_read_timeout: Duration,
    /// How long a keep-alive connection may wait for its next request
    /// (`--idle-timeout`, 60 s).
    pub idle_timeout: Duration,
    /// How many connections are served at once (`--max-connections`, 512);
    /// lowered at start to stay under the open-file limit (`ulimit -n`).
    pub max_connections: usize,
    /// How many threads serve connections (`--threads`); 0, the default,
    /// is one per CPU. Each connection stays on one thread, given to the
    /// thread serving the fewest; threads start as connections come.
    pub threads: usize,
}

pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            threads: 0,
        }
    }
}

/// Connections beyond the cap that may still ask `/__admin/health`.
pub const HEALTH_LANE: usize = 16;

/// File descriptors kept for everything but connections (the state file,
/// the runtime) when the cap is fitted under the open-file limit.
const SPARE_FDS: u64 = 64;

/// The request line and headers must fit in this many bytes (hyper's read
/// buffer), else 431.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// At most this many header fields (hyper's default, which it keeps to
/// unless told another), else 431.
pub const MAX_HEADERS: usize = 100;

/// How long a connection being stopped may finish its request.
const STOP_GRACE: Duration = Duration::from_millis(700);

/// How long a new connection waits for the slot of the one it closed.
const EVICTION_WAIT: Duration = Duration::from_secs(1);

/// Serves `listener` until `shutdown` fires, then lets each connection
/// finish its request (briefly) and returns.
pub async fn serve(
    listener: TcpListener,
    app: super::App,
    limits: ConnectionLimits,
    shutdown: oneshot::Receiver<()>,
) {
    let limits = ConnectionLimits {
        max_connections: fit_under_open_file_limit(limits.max_connections),
        ..limits
    };
    let shared = Arc::new(Shared {
        app,
        limits,
        slots: Arc::new(Semaphore::new(limits.max_connections)),
        lane: Arc::new(Semaphore::new(HEALTH_LANE)),
        conns: Mutex::default(),
        next_id: AtomicU64::new(0),
    });
    // Each connection task holds a sender; `recv` returns None once all
    // have ended.
    let threads = Arc::new(Threads::new(limits.threads));
    let (alive, mut all_ended) = mpsc::channel::<()>(1);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors (or memory): wait for some to
                    // be freed instead of spinning.
                    if !matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::ConnectionReset
                            | io::ErrorKind::ConnectionRefused
                    ) {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let task = Task {
            shared: shared.clone(),
            remote,
            _alive: alive.clone(),
        };
        if let Ok(slot) = shared.slots.clone().try_acquire_owned() {
            threads.spawn(stream, move |stream| task.run(stream, Lane::Full, slot));
        } else if shared.evict_longest_waiting() {
            let slots = shared.slots.clone();
            let threads = threads.clone();
            tokio::spawn(async move {
                if let Ok(Ok(slot)) =
                    tokio::time::timeout(EVICTION_WAIT, slots.acquire_owned()).await
                {
                    threads.spawn(stream, move |stream| task.run(stream, Lane::Full, slot));
                }
            });
        } else if let Ok(slot) = shared.lane.clone().try_acquire_owned() {
            // Served where accepted: the health lane's connections are
            // short, and it must answer when every thread is busy.
            tokio::spawn(task.run(stream, Lane::Health, slot));
        }
        // Else the stream is dropped: closed at once.
    }
    drop(listener);
    shared.stop_all();
    drop(alive);
    let _ = all_ended.recv().await;
}

/// What the accept loop and the connections share.
struct Shared {
    app: super::App,
    limits: ConnectionLimits,
    slots: Arc<Semaphore>,
    lane: Arc<Semaphore>,
    /// Every connection, by id: to close the one served in full that has
    /// waited longest when the cap is reached, and to stop them all.
    conns: Mutex<Conns>,
    next_id: AtomicU64,
}

#[derive(Default)]
struct Conns {
    by_id: HashMap<u64, (Lane, Arc<Conn>)>,
    /// Set once the server stops: a connection that comes after stops too.
    stopping: bool,
}

impl Shared {
    fn conns(&self) -> std::sync::MutexGuard<'_, Conns> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Asks the connection without a request in progress that has waited
    /// longest to close; false when every connection has one.
    fn evict_longest_waiting(&self) -> bool {
        let conns = self.conns();
        let longest = conns
            .by_id
            .values()
            .filter(|(lane, _)| *lane == Lane::Full)
            .map(|(_, conn)| conn)
            .filter(|conn| !conn.control.signalled(Control::EVICT))
            .filter_map(|conn| conn.waiting_since().map(|since| (since, conn)))
            .min_by_key(|(since, _)| *since);
        match longest {
            Some((_, conn)) => {
                conn.control.signal(Control::EVICT);
                true
            }
            None => false,
        }
    }

    /// Tells every connection, and any still to start, to finish.
    fn stop_all(&self) {
        let mut conns = self.conns();
        conns.stopping = true;
        for (_, conn) in conns.by_id.values() {
            conn.control.signal(Control::STOP);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lane {
    /// A connection within the cap: every endpoint, keep-alive.
    Full,
    /// Beyond the cap: `/__admin/health` only, one request.
    Health,
}

struct Task {
    shared: Arc<Shared>,
    remote: SocketAddr,
    _alive: mpsc::Sender<()>,
}

impl Task {
    async fn run(self, stream: TcpStream, lane: Lane, _slot: tokio::sync::OwnedSemaphorePermit) {
        let Task {
            shared,
            remote,
            _alive,
        } = self;
        let conn = Arc::new(Conn::new());
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        {
            let mut conns = shared.conns();
            if conns.stopping {
                conn.control.signal(Control::STOP);
            }
            conns.by_id.insert(id, (lane, conn.clone()));
        }
        let limits = shared.limits;
        let app = shared.app.clone();
        let on = conn.clone();
        let service = service_fn(move |request: Request<Incoming>| {
            let guard = InFlight::start(on.clone());
            let app = app.clone();
            async move {
                let response = match lane {
                    Lane::Full => answer(app, request, remote, limits).await,
                    Lane::Health => answer_on_health_lane(app, request, remote).await,
                };
                Ok::<_, Infallible>(response.map(|body| Body::new(Guarded { body, guard })))
            }
        });
        let io = TokioIo::new(Watched::new(stream, conn.clone()));
        let mut builder = http1::Builder::new();
        // MAX_HEADERS is hyper's default: setting it would make hyper fill
        // a table of that many entries for every request it parses.
        builder
            .max_buf_size(MAX_HEAD_BYTES)
            .keep_alive(lane == Lane::Full);
        let mut connection = std::pin::pin!(builder.serve_connection(io, service));
        let mut check_at = Instant::now() + limits.header_read_timeout.min(limits.idle_timeout);
        loop {
            tokio::select! {
                _ = connection.as_mut() => break,
                _ = tokio::time::sleep_until(check_at) => match conn.next_check(&limits, Instant::now()) {
                    Some(at) => check_at = at,
                    None => break,
                },
                signals = conn.control.wait() => {
                    if signals & Control::STOP != 0 {
                        connection.as_mut().graceful_shutdown();
                        let _ = tokio::time::timeout(STOP_GRACE, connection.as_mut()).await;
                    }
                    // Evicted: closed at once.
                    break;
                }
            }
        }
        shared.conns().by_id.remove(&id);
    }
}

/// A request on a connection within the cap: through the application, its
/// body bounded in time.
async fn answer(
    app: super::App,
    request: Request<Incoming>,
    remote: SocketAddr,
    limits: ConnectionLimits,
) -> Response {
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(ConnectInfo(remote));
    let body = if http_body::Body::is_end_stream(&body) {
        Body::new(body)
    } else {
        let timeout = BodyTimeout {
            after: limits.body_read_timeout,
            expired: Arc::default(),
        };
        parts.extensions.insert(timeout.clone());
        Body::new(DeadlineBody {
            inner: Body::new(body),
            deadline: Box::pin(tokio::time::sleep(limits.body_read_timeout)),
            expired: timeout.expired,
        })
    };
    let request = Request::from_parts(parts, body);
    app.oneshot(request).await.unwrap_or_else(|e| match e {})
}

/// A request on the health lane: health is answered, anything else is 503
/// in its owner's shape.
async fn answer_on_health_lane(
    app: super::App,
    request: Request<Incoming>,
    remote: SocketAddr,
) -> Response {
    if request.uri().path() == "/__admin/health" {
        let (mut parts, body) = request.into_parts();
        parts.extensions.insert(ConnectInfo(remote));
        let request = Request::from_parts(parts, Body::new(body));
        return app.oneshot(request).await.unwrap_or_else(|e| match e {});
    }
    let mut response = super::error_for(
        request.uri().path(),
        StatusCode::SERVICE_UNAVAILABLE,
        "too many connections: the server is at its connection limit (--max-connections); retry shortly",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(1));
    response
}

/// What a request learns of its body's deadline, as a request extension:
/// `super::shape_errors` answers 408 when it expired.
#[derive(Debug, Clone)]
pub struct BodyTimeout {
    pub after: Duration,
    expired: Arc<AtomicBool>,
}

impl BodyTimeout {
    pub fn expired(&self) -> bool {
        self.expired.load(Ordering::Relaxed)
    }
}

/// Why a request body failed: not received within the body read timeout.
#[derive(Debug)]
struct BodyTimedOut;

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("request body not received in time")
    }
}

impl std::error::Error for BodyTimedOut {}

/// A request body that fails once its deadline has passed (the whole body,
/// not the gap between chunks: a body dribbled a byte at a time is bounded
/// too).
struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<Sleep>>,
    expired: Arc<AtomicBool>,
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.expired.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Where a connection stands, for its watchdog and for eviction.
struct Conn {
    state: Mutex<ConnState>,
    control: Control,
}

/// What a connection's task is told from outside: to close (evicted) or to
/// finish (the server stops). Polled on every wake of the task, so it is a
/// flag and a waker, not a `Notify` (whose every poll takes its lock).
#[derive(Default)]
struct Control {
    signals: AtomicU8,
    waker: AtomicWaker,
}

impl Control {
    const EVICT: u8 = 1;
    const STOP: u8 = 2;

    fn signal(&self, signal: u8) {
        self.signals.fetch_or(signal, Ordering::AcqRel);
        self.waker.wake();
    }

    fn signalled(&self, signal: u8) -> bool {
        self.signals.load(Ordering::Acquire) & signal != 0
    }

    /// The signals, once there are any.
    fn wait(&self) -> impl Future<Output = u8> + '_ {
        std::future::poll_fn(|cx| {
            self.waker.register(cx.waker());
            match self.signals.load(Ordering::Acquire) {
                0 => Poll::Pending,
                signals => Poll::Ready(signals),
            }
        })
    }
}

struct ConnState {
    /// Requests whose answer is not yet sent.
    in_flight: usize,
    /// Since when the connection has had no request in progress.
    waiting_since: Instant,
    /// When the first byte of the next request head came, if one did.
    head_started: Option<Instant>,
}

impl Conn {
    fn new() -> Self {
        Conn {
            state: Mutex::new(ConnState {
                in_flight: 0,
                waiting_since: Instant::now(),
                head_started: None,
            }),
            control: Control::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ConnState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn bytes_read(&self) {
        let mut state = self.state();
        if state.in_flight == 0 && state.head_started.is_none() {
            state.head_started = Some(Instant::now());
        }
    }

    fn request_started(&self) {
        let mut state = self.state();
        state.in_flight += 1;
        state.head_started = None;
    }

    fn request_ended(&self) {
        let mut state = self.state();
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0 {
            state.waiting_since = Instant::now();
            state.head_started = None;
        }
    }

    fn in_flight(&self) -> bool {
        self.state().in_flight > 0
    }

    fn waiting_since(&self) -> Option<Instant> {
        let state = self.state();
        (state.in_flight == 0).then_some(state.waiting_since)
    }

    /// When to look again, or None to close the connection now.
    fn next_check(&self, limits: &ConnectionLimits, now: Instant) -> Option<Instant> {
        let state = self.state();
        let deadline = if state.in_flight > 0 {
            // The body's own deadline bounds a request in progress.
            return Some(now + limits.header_read_timeout.min(limits.idle_timeout));
        } else if let Some(started) = state.head_started {
            started + limits.header_read_timeout
        } else {
            state.waiting_since + limits.idle_timeout
        };
        (deadline > now).then_some(deadline)
    }
}

/// A request in progress on its connection, from its head until its answer
/// is sent (or dropped).
struct InFlight(Arc<Conn>);

impl InFlight {
    fn start(conn: Arc<Conn>) -> Self {
        conn.request_started();
        InFlight(conn)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_ended();
    }
}

/// An answer's body, holding its request in progress until it is sent.
struct Guarded {
    body: Body,
    #[allow(dead_code)]
    guard: InFlight,
}

impl http_body::Body for Guarded {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The connection's socket as hyper sees it: reads mark the start of a
/// request head (for the header timeout), and the empty-bodied error hyper
/// writes for a request it cannot parse is replaced by the JSON error of the
/// path's owner. The request line is known from the first bytes read since
/// the last answer was written.
struct Watched {
    inner: TcpStream,
    conn: Arc<Conn>,
    /// The first bytes read since the last write (the request line).
    recent: Vec<u8>,
    /// A write happened: the next read starts a new request.
    written: bool,
    /// The replacement answer, still to be written.
    pending: Option<(Vec<u8>, usize)>,
    /// An answer was replaced: hyper is closing, further writes are dropped.
    replaced: bool,
}

/// Enough of the request line to know the path's owner.
const RECENT_BYTES: usize = 2048;

impl Watched {
    fn new(inner: TcpStream, conn: Arc<Conn>) -> Self {
        Watched {
            inner,
            conn,
            recent: Vec::new(),
            written: false,
            pending: None,
            replaced: false,
        }
    }

    /// Takes `buf` (hyper's write) in place of writing it when it is one of
    /// hyper's own parse-error answers; returns whether it did.
    fn replace_parse_error(&mut self, buf: &[u8]) -> bool {
        if self.replaced {
            return true;
        }
        if self.conn.in_flight() {
            return false;
        }
        let Some(status) = hyper_parse_error(buf) else {
            return false;
        };
        let path = request_path(&self.recent);
        self.pending = Some((parse_error_answer(&path, status), 0));
        self.replaced = true;
        true
    }

    /// Writes what is left of the replacement answer.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.pending {
            if *written == bytes.len() {
                self.pending = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        let read = buf.filled().len() - before;
        if read > 0 {
            let this = &mut *self;
            this.conn.bytes_read();
            if this.written {
                this.written = false;
                this.recent.clear();
            }
            let take = read.min(RECENT_BYTES.saturating_sub(this.recent.len()));
            this.recent
                .extend_from_slice(&buf.filled()[before..before + take]);
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.replace_parse_error(buf) {
            // Written on flush or shutdown, which hyper calls next.
            let _ = self.poll_pending(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        let n = ready!(Pin::new(&mut self.inner).poll_write(cx, buf))?;
        if n > 0 {
            self.written = true;
        }
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let first = bufs.iter().find(|b| !b.is_empty());
        if let Some(first) = first
            && self.replace_parse_error(first)
        {
            let _ = self.poll_pending(cx)?;
            return Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()));
        }
        let n = ready!(Pin::new(&mut self.inner).poll_write_vectored(cx, bufs))?;
        if n > 0 {
            self.written = true;
        }
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The status of an answer hyper wrote on its own for a request it could
/// not parse: a bare head (`content-length: 0`, nothing after it) with 400,
/// 414 or 431. Every error the application sends has a JSON body.
fn hyper_parse_error(buf: &[u8]) -> Option<StatusCode> {
    let rest = buf.strip_prefix(b"HTTP/1.1 ")?;
    let status = match rest.get(..4)? {
        b"400 " => StatusCode::BAD_REQUEST,
        b"414 " => StatusCode::URI_TOO_LONG,
        b"431 " => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        _ => return None,
    };
    let head_only =
        buf.ends_with(b"\r\n\r\n") && buf.windows(4).filter(|w| w == b"\r\n\r\n").count() == 1;
    let empty = buf
        .to_ascii_lowercase()
        .windows(19)
        .any(|w| w == b"\r\ncontent-length: 0");
    (head_only && empty).then_some(status)
}

/// The path of the request line at the start of `recent` (lossily decoded;
/// empty when there is none).
fn request_path(recent: &[u8]) -> String {
    let line = recent
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n'))
        .map_or(&[][..], |start| &recent[start..]);
    let Some(target) = line
        .splitn(3, |b| *b == b' ')
        .nth(1)
        .map(|t| t.split(|b| matches!(b, b'\r' | b'\n')).next().unwrap_or(t))
    else {
        return String::new();
    };
    let target = String::from_utf8_lossy(target);
    // The absolute form (`http://host/path`) names a path too.
    let target = match target.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |at| &rest[at..]).to_string(),
        None => target.into_owned(),
    };
    target
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The whole answer (head and body) replacing hyper's bare `status`.
fn parse_error_answer(path: &str, status: StatusCode) -> Vec<u8> {
    let message = match status {
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => format!(
            "request header fields too large: the request line and headers must fit in \
             {MAX_HEAD_BYTES} bytes, with at most {MAX_HEADERS} headers"
        ),
        StatusCode::URI_TOO_LONG => "request URI too long".to_string(),
        _ => "malformed request: the request line or a header is not valid HTTP/1.1 \
              (bytes that are not printable ASCII, such as UTF-8 or raw 0xFF in the \
              path or query, must be percent-encoded)"
            .to_string(),
    };
    let response = super::error_for(path, status, message);
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .now_or_never()
        .and_then(Result::ok)
        .unwrap_or_default();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_str(),
        status.canonical_reason().unwrap_or("Error")
    )
    .into_bytes();
    for (name, value) in &parts.headers {
        if name == header::CONTENT_LENGTH || name == header::CONNECTION {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(
        format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&body);
    out
}

/// Lowers `max` so that the connections, the health lane and some spare
/// descriptors fit under the process's open-file limit, saying so.
fn fit_under_open_file_limit(max: usize) -> usize {
    let max = max.max(1);
    let Some(limit) = open_file_limit() else {
        return max;
    };
    let room = limit.saturating_sub(HEALTH_LANE as u64 + SPARE_FDS).max(1);
    if (max as u64) <= room {
        return max;
    }
    let lowered = usize::try_from(room).unwrap_or(max);
    eprintln!(
        "mockcloud: serving at most {lowered} connections, not {max}: the open-file limit \
         (ulimit -n) is {limit}"
    );
    lowered
}

#[cfg(unix)]
// rlim_t is u64 on the platforms at hand, not on every unix.
#[allow(clippy::unnecessary_cast)]
fn open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    let done = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    (done == 0 && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur as u64)
}

#[cfg(not(unix))]
fn open_file_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_comes_from_the_request_line() {
        assert_eq!(
            request_path(b"\r\nGET /api/v1/accesspolicies?region=us HTTP/1.1\r\nHost: x"),
            "/api/v1/accesspolicies"
        );
        assert_eq!(
            request_path(b"GET http://h:1/cloud/v1/x HTTP/1.1\r\n"),
            "/cloud/v1/x"
        );
        assert_eq!(
            request_path(b"GET /api/v1/usage/\xff"),
            "/api/v1/usage/\u{fffd}"
        );
        assert_eq!(request_path(b"GET"), "");
    }

    #[test]
    fn only_hyper_s_bare_error_heads_are_replaced() {
        let bare =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        assert_eq!(
            hyper_parse_error(bare),
            Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n\r\n{\"errors\":1}";
        assert_eq!(hyper_parse_error(with_body), None);
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(hyper_parse_error(ok), None);
    }
}
