//! mockcloud: a local, stateful emulator of the Grafana Cloud API, Datadog
//! Usage Metering and the Gcore Cloud usage report.
//!
//! # Start it in a test
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use mockcloud::{Config, MockCloud, credentials};
//!
//! // Port 0: the OS picks a free port, so tests run in parallel.
//! let server = MockCloud::start(Config::default()).await?;
//! // Point your Grafana client at `server.base_url()` instead of
//! // https://grafana.com, with the default scenario's token.
//! let reply = reqwest::Client::new()
//!     .get(format!("{}/api/v1/accesspolicies?region=us", server.base_url()))
//!     .bearer_auth(credentials::GRAFANA_TOKEN)
//!     .send()
//!     .await?;
//! assert_eq!(reply.status(), 200);
//! server.stop().await; // or just drop it
//! # Ok(()) }
//! ```
//!
//! # What a test can reach without HTTP
//!
//! - [`scenario`]: every type of a scenario, to build one in code or edit
//!   [`Scenario::default_scenario`] before [`MockCloud::start`];
//! - [`credentials`]: the default scenario's keys and tokens;
//! - on a running [`MockCloud`]: [`faults`](MockCloud::faults),
//!   [`journal`](MockCloud::journal), [`rate_limits`](MockCloud::rate_limits),
//!   [`clock`](MockCloud::clock), [`reset`](MockCloud::reset),
//!   [`load_scenario`](MockCloud::load_scenario),
//!   [`export_state`](MockCloud::export_state) and
//!   [`import_state`](MockCloud::import_state): what `/__admin` offers.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use mockcloud::{Config, Effect, FaultRule, JournalFilter, MockCloud, Vendor, credentials};
//!
//! let server = MockCloud::start(Config::default()).await?;
//! server
//!     .faults()
//!     .add(FaultRule::new(Effect::error(503)).with_id("down").for_vendor(Vendor::GCORE))?;
//! let reply = reqwest::Client::new()
//!     .post(format!("{}/cloud/v1/usage_report", server.base_url()))
//!     .header("Authorization", format!("APIKey {}", credentials::GCORE_API_KEY))
//!     .json(&serde_json::json!({"time_from": "2026-01-01T00:00:00Z", "time_to": "2026-02-01T00:00:00Z"}))
//!     .send()
//!     .await?;
//! assert_eq!(reply.status(), 503);
//! let seen = server.journal().entries(&JournalFilter::new().vendor(Vendor::GCORE));
//! assert_eq!(seen[0].fault.as_ref().map(|f| f.rule.as_str()), Some("down"));
//! server.reset(); // back to the scenario: the fault rule is gone
//! assert!(server.faults().list().is_empty());
//! # Ok(()) }
//! ```
//!
//! # Test isolation
//!
//! Each `MockCloud` owns its own world, built from its scenario: two servers
//! never share state. Within one server, [`MockCloud::reset`] (or
//! `POST /__admin/reset`) returns to the scenario, ids included, and
//! [`MockCloud::clock`] moves time without waiting.
//!
//! # Features
//!
//! `cli` (default) builds the `mockcloud` command line and brings its
//! dependencies (`clap`, Tokio's multi-threaded runtime and signals). A
//! library user can leave it out:
//! `mockcloud = { path = "../mockcloud", default-features = false }` (or a `git` dependency).
//!
//! # Compared with
//!
//! | | mockcloud | recorded fixtures | the real vendor |
//! |---|---|---|---|
//! | state across calls | yes | no | yes |
//! | start-up | milliseconds | instant | an account |
//! | deterministic | yes (seeded) | yes | no |
//! | time travel | yes | no | no |

mod admin;
mod console;
mod core;
pub mod credentials;
mod engine;
mod handles;
mod logs;
pub mod scenario;
mod server;
mod snapshot;
mod state_file;
mod vendors;

use crate::engine::World;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use crate::core::clock::{Clock, OutOfRange};
pub use crate::core::faults::rules::{Dribble, Effect, ErrorFault, FaultRule, FaultsSpec, Latency};
pub use crate::core::vendor::Vendor;
pub use handles::{
    ChangeError, Faults, Journal, JournalEntry, JournalFault, JournalFilter, RateLimits,
};
pub use scenario::{Scenario, ScenarioError};
pub use server::connections::ConnectionLimits;
pub use state_file::StateSync;

/// The date and time types [`Clock`] and [`JournalEntry`] use.
pub use chrono;

/// Engine entry points timed by `benches/`; not part of the public API.
#[doc(hidden)]
pub mod bench {
    pub use crate::vendors::datadog::usage::hourly::one_org_page as datadog_hourly_one_org_page;
    pub use crate::vendors::grafana::bench as grafana_lists;
}

/// How to run a server. The default listens on `127.0.0.1:0` (a free port)
/// with the default scenario, whose credentials are in [`credentials`].
///
/// ```
/// use mockcloud::scenario::OrgSpec;
/// use mockcloud::{Config, Scenario};
///
/// let mut scenario = Scenario::default_scenario();
/// scenario.grafana.orgs.push(OrgSpec::new(2, "other", "Other Org"));
/// let config = Config::default()
///     .with_scenario(scenario)
///     .with_seed(7)
///     .with_journal_capacity(100);
/// assert_eq!(config.port, 0);
/// assert_eq!(config.scenario.grafana.orgs.len(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    /// The address to listen on (`127.0.0.1`).
    pub host: String,
    /// 0 picks a free port (read it from [`MockCloud::base_url`]).
    pub port: u16,
    /// The world the server starts from and [`MockCloud::reset`] returns to.
    pub scenario: Scenario,
    /// Overrides the scenario's seed (ids, secrets, usage).
    pub seed: Option<u64>,
    /// Fault rules run after the scenario's (`--fault`, `--faults FILE`);
    /// their seed, if any, overrides the scenario's fault seed. Reset keeps them.
    pub faults: FaultsSpec,
    /// When set, every `/__admin` endpoint but health wants it
    /// (`Authorization: Bearer TOKEN` or `X-Admin-Token: TOKEN`). The typed
    /// handles on [`MockCloud`] do not. An empty token does not start.
    pub admin_token: Option<String>,
    /// Names `/__admin` answers to besides the server's own (`localhost`,
    /// loopback, the address listened on, [`Config::host`]): `name`,
    /// `.domain` (the domain and its subdomains) or `*` (any). A request
    /// whose `Host` names none of them, or whose `Origin` is another
    /// site, gets 403; health is exempt, the vendors' endpoints unaffected.
    pub allowed_hosts: Vec<String>,
    /// How many requests the journal keeps (the newest); 0 keeps none.
    pub journal_capacity: usize,
    /// Where the world is kept across restarts: loaded at start when it
    /// exists; every change is logged beside it (`PATH.log`) before its
    /// answer is sent, and the log compacted into it in the background.
    pub state_file: Option<PathBuf>,
    /// Timeouts and the connection cap (header read 10 s, body read 30 s,
    /// idle 60 s, 512 connections).
    pub connection_limits: ConnectionLimits,
    /// When a change to the state file counts as saved (default: fsynced).
    pub state_sync: StateSync,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".to_string(),
            port: 0,
            scenario: Scenario::default_scenario(),
            seed: None,
            faults: FaultsSpec::default(),
            admin_token: None,
            allowed_hosts: Vec::new(),
            journal_capacity: admin::journal::DEFAULT_CAPACITY,
            state_file: None,
            connection_limits: ConnectionLimits::default(),
            state_sync: StateSync::default(),
        }
    }
}

impl Config {
    /// Starts from `scenario` instead of the default one.
    pub fn with_scenario(mut self, scenario: Scenario) -> Self {
        self.scenario = scenario;
        self
    }

    /// Fixes ids, secrets and usage (see [`Config::seed`]).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Protects `/__admin` (but health) with `token`.
    pub fn with_admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(token.into());
        self
    }

    /// Lets `/__admin` answer to `name` too (see [`Config::allowed_hosts`]),
    /// e.g. the service name other containers reach it by.
    ///
    /// ```
    /// let config = mockcloud::Config::default().with_allowed_host("mockcloud");
    /// assert_eq!(config.allowed_hosts, ["mockcloud"]);
    /// ```
    pub fn with_allowed_host(mut self, name: impl Into<String>) -> Self {
        self.allowed_hosts.push(name.into());
        self
    }

    /// Keeps the newest `capacity` requests in the journal (default 1000).
    pub fn with_journal_capacity(mut self, capacity: usize) -> Self {
        self.journal_capacity = capacity;
        self
    }

    /// Adds fault rules (and their seed) to the scenario's.
    ///
    /// ```
    /// use mockcloud::{Config, Effect, FaultRule, FaultsSpec, Vendor};
    ///
    /// let config = Config::default().with_faults(FaultsSpec {
    ///     seed: Some(7),
    ///     rules: vec![FaultRule::new(Effect::error(503)).for_vendor(Vendor::GCORE)],
    /// });
    /// assert_eq!(config.faults.rules.len(), 1);
    /// ```
    pub fn with_faults(mut self, faults: FaultsSpec) -> Self {
        self.faults.seed = faults.seed.or(self.faults.seed);
        self.faults.rules.extend(faults.rules);
        self
    }

    /// Keeps the world in `path` (see [`Config::state_file`]).
    pub fn with_state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Sets the timeouts and the connection cap (see [`ConnectionLimits`]).
    pub fn with_connection_limits(mut self, limits: ConnectionLimits) -> Self {
        self.connection_limits = limits;
        self
    }

    /// Trades durability for speed (see [`StateSync`]).
    pub fn with_state_sync(mut self, sync: StateSync) -> Self {
        self.state_sync = sync;
        self
    }

    /// Listens on `host:port` (port 0 picks a free one).
    pub fn with_address(mut self, host: impl Into<String>, port: u16) -> Self {
        self.host = host.into();
        self.port = port;
        self
    }
}

/// Why a server did not start.
#[derive(Debug)]
pub enum StartError {
    /// The scenario (or the configured fault rules) does not load.
    Scenario(ScenarioError),
    /// The address (`host:port` as configured) cannot be listened on.
    Bind {
        address: String,
        error: std::io::Error,
    },
    /// The state file exists but cannot be read or loaded.
    StateFile(String),
    /// A setting that cannot be honoured: an empty admin token, an allowed
    /// host that is not a host name.
    Config(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Scenario(e) => write!(f, "invalid scenario: {e}"),
            StartError::Bind { address, error } => {
                write!(f, "cannot listen on {address}: {error}")?;
                if error.kind() == std::io::ErrorKind::AddrInUse {
                    f.write_str(
                        " (another server has that port: choose another, or 0 for a free one)",
                    )?;
                }
                Ok(())
            }
            StartError::StateFile(e) => f.write_str(e),
            StartError::Config(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for StartError {}

/// A running server, serving in a background task of the current Tokio
/// runtime. Dropping it stops it.
///
/// Besides the vendor APIs and `/__admin` over HTTP, it offers typed
/// handles on the same controls: [`faults`](MockCloud::faults),
/// [`journal`](MockCloud::journal), [`rate_limits`](MockCloud::rate_limits),
/// [`clock`](MockCloud::clock), [`reset`](MockCloud::reset),
/// [`load_scenario`](MockCloud::load_scenario) and
/// [`export_state`](MockCloud::export_state) /
/// [`import_state`](MockCloud::import_state).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use mockcloud::{Config, MockCloud, credentials};
///
/// let server = MockCloud::start(Config::default()).await?;
/// let reply = reqwest::Client::new()
///     .get(format!("{}/api/v1/accesspolicies?region=us", server.base_url()))
///     .bearer_auth(credentials::GRAFANA_TOKEN)
///     .send()
///     .await?;
/// assert_eq!(reply.status(), 200);
/// server.stop().await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct MockCloud {
    addr: SocketAddr,
    engine: Arc<engine::Engine>,
    journal: Arc<admin::journal::Journal>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    durability: Option<state_file::Durability>,
}

/// How long `stop` waits for in-flight requests before dropping them.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_millis(800);

impl MockCloud {
    /// Loads the scenario, binds, and serves in a background task.
    ///
    /// # Errors
    /// When the scenario does not load, the address cannot be listened on,
    /// the state file cannot be loaded, the admin token is empty or an
    /// allowed host is not a host name ([`StartError::Config`]).
    pub async fn start(mut config: Config) -> Result<Self, StartError> {
        let scenario = std::mem::replace(&mut config.scenario, Scenario::new(""));
        MockCloud::start_loading(config, move || Ok(scenario)).await
    }

    /// [`MockCloud::start`] with a scenario still to be read (`config.scenario`
    /// is not used): `load` runs on a thread of its own, and the world is
    /// built there from what it returns, while the server binds and builds
    /// its routers. [`MockCloud::begin`] then [`Starting::finish`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use mockcloud::{Config, MockCloud, Scenario};
    ///
    /// let server = MockCloud::start_loading(Config::default(), || Scenario::resolve("demo")).await?;
    /// assert_eq!(server.scenario().name, "demo");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`MockCloud::start`]; what `load` fails with is
    /// [`StartError::Scenario`].
    pub async fn start_loading(
        config: Config,
        load: impl FnOnce() -> Result<Scenario, ScenarioError> + Send + 'static,
    ) -> Result<Self, StartError> {
        MockCloud::begin(config, load)?.finish().await
    }

    /// The first half of [`MockCloud::start_loading`], needing no runtime:
    /// checks `config` and sets `load` and the world's building off on a
    /// thread of their own. Called first thing, the scenario is read while
    /// the caller starts its logs and its runtime (the command line does).
    ///
    /// ```
    /// use mockcloud::{Config, MockCloud, Scenario};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let starting = MockCloud::begin(Config::default(), || Scenario::resolve("empty"))?;
    /// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    /// let server = runtime.block_on(starting.finish())?;
    /// assert_eq!(server.scenario().name, "empty");
    /// runtime.block_on(server.stop());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// An empty admin token ([`StartError::Config`]); the rest is told by
    /// [`Starting::finish`].
    pub fn begin(
        mut config: Config,
        load: impl FnOnce() -> Result<Scenario, ScenarioError> + Send + 'static,
    ) -> Result<Starting, StartError> {
        if config
            .admin_token
            .as_deref()
            .is_some_and(|token| token.trim().is_empty())
        {
            // Not "no token": the admin API would look protected and be open.
            return Err(StartError::Config(
                "the admin token is empty: give a non-empty --admin-token \
                 (MOCKCLOUD_ADMIN_TOKEN), or none to leave /__admin open"
                    .to_string(),
            ));
        }
        // The scenario is read and its world built on a thread of its own
        // while the routers are built (and, from the command line, the logs
        // and the runtime started): each takes a few tenths of a
        // millisecond.
        // The thread first (it is running only a tenth of a millisecond
        // after), the engine it will fill meanwhile.
        let clock = Clock::default();
        let world = {
            let (seed, faults, clock) = (
                config.seed,
                std::mem::take(&mut config.faults),
                clock.clone(),
            );
            Beside::run(move || {
                let mut scenario = load()?;
                // Folded into the scenario, so reset restores them with its own.
                scenario.faults.seed = faults.seed.or(scenario.faults.seed);
                scenario.faults.rules.extend(faults.rules);
                let seed = seed.unwrap_or(scenario.seed);
                let world = World::from_scenario(&scenario, seed, clock)?;
                Ok((scenario, world))
            })
        };
        let engine = Arc::new(engine::Engine::starting(config.seed, clock));
        Ok(Starting {
            config,
            engine,
            world,
        })
    }
}

/// A server on its way up ([`MockCloud::begin`]): its scenario is being read
/// and its world built on a thread of their own.
pub struct Starting {
    config: Config,
    engine: Arc<engine::Engine>,
    world: Beside<(Scenario, World)>,
}

impl std::fmt::Debug for Starting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Starting")
            .field("host", &self.config.host)
            .field("port", &self.config.port)
            .finish_non_exhaustive()
    }
}

impl Starting {
    /// Binds, builds the routers, waits for the world and serves in a
    /// background task: the second half of [`MockCloud::start_loading`].
    ///
    /// # Errors
    /// As [`MockCloud::start_loading`].
    pub async fn finish(self) -> Result<MockCloud, StartError> {
        let Starting {
            config,
            engine,
            world,
        } = self;
        let bind_error = |error| StartError::Bind {
            address: if config.host.contains(':') {
                format!("[{}]:{}", config.host, config.port)
            } else {
                format!("{}:{}", config.host, config.port)
            },
            error,
        };
        let bound = match TcpListener::bind((config.host.as_str(), config.port)).await {
            Ok(listener) => listener.local_addr().map(|addr| (listener, addr)),
            Err(error) => Err(error),
        };
        let (listener, addr) = match bound {
            Ok(bound) => bound,
            // A bad scenario is told first, as when it was read first.
            Err(error) => {
                world.join().map_err(StartError::Scenario)?;
                return Err(bind_error(error));
            }
        };
        let hosts = match admin::guard::Hosts::new(addr, &config.host, &config.allowed_hosts) {
            Ok(hosts) => hosts,
            Err(problem) => {
                world.join().map_err(StartError::Scenario)?;
                return Err(StartError::Config(problem));
            }
        };
        let journal = Arc::new(admin::journal::Journal::new(config.journal_capacity));
        let admin = admin::Options {
            token: config.admin_token,
            journal: journal.clone(),
            hosts,
        };
        let mut app = server::router(engine.clone(), admin);
        let (scenario, world) = world.join().map_err(StartError::Scenario)?;
        engine.install(scenario, world);
        let durability = match config.state_file {
            Some(path) => Some(
                state_file::Durability::open(path, engine.clone(), config.state_sync)
                    .map_err(StartError::StateFile)?,
            ),
            None => None,
        };
        if let Some(durability) = durability.as_ref().filter(|d| d.acknowledges()) {
            // Outermost: an answer waits for its changes to be on disk.
            app = app.layered(|router| {
                router.layer(axum::middleware::from_fn_with_state(
                    durability.queue(),
                    state_file::acknowledge,
                ))
            });
        }
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server::connections::serve(
            listener,
            app,
            config.connection_limits,
            stopped,
        ));
        Ok(MockCloud {
            addr,
            engine,
            journal,
            shutdown: Some(shutdown),
            task: Some(task),
            durability,
        })
    }
}

impl MockCloud {
    /// `http://HOST:PORT`, to use in place of the vendors' API hosts.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server clock: freeze, advance or resume it to test expiry.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use mockcloud::chrono::Duration;
    /// use mockcloud::{Config, MockCloud};
    ///
    /// let server = MockCloud::start(Config::default()).await?;
    /// let at = "2026-01-31T23:00:00Z".parse()?;
    /// server.clock().freeze(Some(at));
    /// server.clock().advance(Duration::hours(2));
    /// assert_eq!(server.clock().now().to_rfc3339(), "2026-02-01T01:00:00+00:00");
    /// server.clock().resume();
    /// # Ok(()) }
    /// ```
    pub fn clock(&self) -> &Clock {
        self.engine.clock()
    }

    /// The fault rules in force.
    pub fn faults(&self) -> Faults {
        Faults::new(self.engine.clone())
    }

    /// The request journal.
    pub fn journal(&self) -> Journal {
        Journal::new(self.journal.clone())
    }

    /// Every vendor's rate limits.
    pub fn rate_limits(&self) -> RateLimits {
        RateLimits::new(self.engine.clone())
    }

    /// Back to the loaded scenario: the world (ids included), the fault
    /// rules and the rate limits. The journal and the clock are kept.
    pub fn reset(&self) {
        self.engine
            .reset()
            .expect("the scenario loaded at start-up loads again");
    }

    /// The scenario the world was built from (what [`reset`](MockCloud::reset)
    /// returns to).
    pub fn scenario(&self) -> Scenario {
        Scenario::clone(&self.engine.scenario())
    }

    /// The seed the world was built with.
    pub fn seed(&self) -> u64 {
        self.engine.seed()
    }

    /// Replaces the world with `scenario`'s; [`reset`](MockCloud::reset)
    /// returns to it from then on. The configured seed, if any, still wins.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use mockcloud::{Config, MockCloud, Scenario};
    ///
    /// let server = MockCloud::start(Config::default()).await?;
    /// server.load_scenario(Scenario::built_in("empty")?)?;
    /// assert_eq!(server.scenario().name, "empty");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// When the world cannot be built from it; nothing changes then.
    pub fn load_scenario(&self, scenario: Scenario) -> Result<(), ScenarioError> {
        self.engine.load(scenario)
    }

    /// The whole world as the JSON document `GET /__admin/state` answers.
    pub fn export_state(&self) -> serde_json::Value {
        serde_json::to_value(self.engine.export()).expect("the state serializes to JSON")
    }

    /// Replaces the world with an exported one (`PUT /__admin/state`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use mockcloud::{Config, MockCloud};
    ///
    /// let first = MockCloud::start(Config::default()).await?;
    /// let second = MockCloud::start(Config::default()).await?;
    /// second.import_state(&first.export_state())?;
    /// assert_eq!(second.export_state(), first.export_state());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// A document that is not a valid state, with where it is wrong; the
    /// world is left as it was.
    pub fn import_state(&self, state: &serde_json::Value) -> Result<(), ScenarioError> {
        let bytes = serde_json::to_vec(state).expect("a JSON value serializes");
        self.engine.import(snapshot::parse(&bytes)?)
    }

    /// Stops accepting connections, waits for in-flight requests (for
    /// under a second; slower ones are dropped), then saves the state file.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            task.abort();
            let _ = task.await;
        }
        if let Some(durability) = self.durability.take() {
            durability.finish().await;
        }
    }
}

impl Drop for MockCloud {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Work done on a thread of its own while the caller goes on (start-up's
/// world); on the caller's thread, at `join`, when no thread can be started.
/// The thread sends what the work returned as soon as it has it: `join`
/// does not wait for the thread to end (which takes a tenth of a
/// millisecond here).
enum Beside<T> {
    Thread(std::sync::mpsc::Receiver<std::thread::Result<Result<T, ScenarioError>>>),
    Here(BesideWork<T>),
}

type BesideWork<T> = Box<dyn FnOnce() -> Result<T, ScenarioError> + Send>;

impl<T: Send + 'static> Beside<T> {
    fn run(work: impl FnOnce() -> Result<T, ScenarioError> + Send + 'static) -> Self {
        // Where the work waits to be taken: by the thread, or (none could
        // be started, so the thread's closure never ran) back here.
        let slot = Arc::new(std::sync::Mutex::new(Some(Box::new(work) as BesideWork<T>)));
        let take = |slot: &std::sync::Mutex<Option<BesideWork<T>>>| {
            slot.lock().unwrap_or_else(|e| e.into_inner()).take()
        };
        let on_thread = slot.clone();
        let (answer, answered) = std::sync::mpsc::sync_channel(1);
        match std::thread::Builder::new()
            .name("mockcloud-start".to_string())
            .spawn(move || {
                if let Some(work) = take(&on_thread) {
                    // A panic is the caller's, at `join`.
                    let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
                    let _ = answer.send(done);
                }
            }) {
            Ok(_) => Beside::Thread(answered),
            Err(_) => Beside::Here(take(&slot).expect("a thread that never started")),
        }
    }

    fn join(self) -> Result<T, ScenarioError> {
        match self {
            Beside::Thread(answered) => answered
                .recv()
                .expect("the thread answers once it has taken the work")
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Beside::Here(work) => work(),
        }
    }
}
