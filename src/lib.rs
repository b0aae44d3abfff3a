//! mockcloud: a local, stateful emulator of the Grafana Cloud API, Datadog
//! Usage Metering and the Gcore Cloud usage report.
//!
//! # Start it in a test
//!
//! ```no_run
//! # async fn demo() -> Result<(), mockcloud::StartError> {
//! use mockcloud::{Config, MockCloud};
//!
//! // Port 0: the OS picks a free port, so tests run in parallel.
//! let server = MockCloud::start(Config::default()).await?;
//! let url = format!("{}/api/v1/accesspolicies?region=us", server.base_url());
//! // Point your Grafana client at `server.base_url()` instead of
//! // https://grafana.com, with `Authorization: Bearer mock-grafana-token`.
//! # let _ = url;
//! server.stop().await; // or just drop it
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
//! # Compared with
//!
//! | | mockcloud | recorded fixtures | the real vendor |
//! |---|---|---|---|
//! | state across calls | yes | no | yes |
//! | start-up | milliseconds | instant | an account |
//! | deterministic | yes (seeded) | yes | no |
//! | time travel | yes | no | no |

mod admin;
mod core;
mod engine;
mod probe;
mod scenario;
mod server;
mod snapshot;
mod state_file;
mod vendors;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use crate::core::clock::Clock;
pub use crate::core::faults::rules::{
    Dribble, Effect, ErrorFault, FaultRule, FaultsSpec, Latency, Vendor as FaultVendor,
};
pub use probe::probe_health;
pub use scenario::{Scenario, ScenarioError};

/// Engine entry points timed by `benches/`; not part of the public API.
#[doc(hidden)]
pub mod bench {
    pub use crate::vendors::datadog::usage::hourly::one_org_page as datadog_hourly_one_org_page;
}

/// How to run a server. The default listens on `127.0.0.1:0` with the
/// default scenario.
#[derive(Debug, Clone)]
pub struct Config {
    pub host: String,
    /// 0 picks a free port.
    pub port: u16,
    pub scenario: Scenario,
    /// Overrides the scenario's seed.
    pub seed: Option<u64>,
    /// Fault rules run after the scenario's (`--fault`, `--faults FILE`);
    /// their seed, if any, overrides the scenario's fault seed. Reset keeps them.
    pub faults: FaultsSpec,
    /// When set, every `/__admin` endpoint but health wants it
    /// (`Authorization: Bearer TOKEN` or `X-Admin-Token: TOKEN`).
    pub admin_token: Option<String>,
    /// How many requests the journal keeps (the newest); 0 keeps none.
    pub journal_capacity: usize,
    /// Where the world is kept across restarts: loaded at start when it
    /// exists, saved atomically after changes and at stop.
    pub state_file: Option<PathBuf>,
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
            journal_capacity: admin::journal::DEFAULT_CAPACITY,
            state_file: None,
        }
    }
}

impl Config {
    pub fn with_scenario(mut self, scenario: Scenario) -> Self {
        self.scenario = scenario;
        self
    }

    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Protects `/__admin` (but health) with `token`.
    pub fn with_admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(token.into());
        self
    }

    /// Keeps the newest `capacity` requests in the journal (default 1000).
    pub fn with_journal_capacity(mut self, capacity: usize) -> Self {
        self.journal_capacity = capacity;
        self
    }

    /// Adds fault rules (and their seed) to the scenario's.
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

    pub fn with_address(mut self, host: impl Into<String>, port: u16) -> Self {
        self.host = host.into();
        self.port = port;
        self
    }
}

/// Why a server did not start.
#[derive(Debug)]
pub enum StartError {
    Scenario(ScenarioError),
    Bind(std::io::Error),
    /// The state file exists but cannot be read or loaded.
    StateFile(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Scenario(e) => write!(f, "invalid scenario: {e}"),
            StartError::Bind(e) => write!(f, "cannot listen: {e}"),
            StartError::StateFile(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for StartError {}

/// A running server. Dropping it stops it.
#[derive(Debug)]
pub struct MockCloud {
    addr: SocketAddr,
    engine: Arc<engine::Engine>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    saver: Option<state_file::Saver>,
}

/// How long `stop` waits for in-flight requests before dropping them.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_millis(800);

impl MockCloud {
    /// Loads the scenario, binds, and serves in a background task.
    pub async fn start(config: Config) -> Result<Self, StartError> {
        let mut scenario = config.scenario;
        // Folded into the scenario, so reset restores them with its own.
        scenario.faults.seed = config.faults.seed.or(scenario.faults.seed);
        scenario.faults.rules.extend(config.faults.rules);
        let engine = Arc::new(
            engine::Engine::new(scenario, config.seed, Clock::default())
                .map_err(StartError::Scenario)?,
        );
        if let Some(path) = &config.state_file {
            state_file::load(path, &engine).map_err(StartError::StateFile)?;
        }
        let listener = TcpListener::bind((config.host.as_str(), config.port))
            .await
            .map_err(StartError::Bind)?;
        let addr = listener.local_addr().map_err(StartError::Bind)?;
        let admin = admin::Options {
            token: config.admin_token,
            journal_capacity: config.journal_capacity,
        };
        let app = server::router(engine.clone(), admin)
            .into_make_service_with_connect_info::<SocketAddr>();
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serving.await {
                eprintln!("mockcloud: server error: {e}");
            }
        });
        let saver = config
            .state_file
            .map(|path| state_file::Saver::spawn(path, engine.clone()));
        Ok(MockCloud {
            addr,
            engine,
            shutdown: Some(shutdown),
            task: Some(task),
            saver,
        })
    }

    /// `http://HOST:PORT`, to use in place of the vendors' API hosts.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server clock: freeze, advance or resume it to test expiry.
    pub fn clock(&self) -> &Clock {
        self.engine.clock()
    }

    /// Back to the loaded scenario.
    pub fn reset(&self) {
        self.engine
            .reset()
            .expect("the scenario loaded at start-up loads again");
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
        if let Some(saver) = self.saver.take() {
            saver.finish().await;
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
