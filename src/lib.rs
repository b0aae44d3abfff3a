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
mod app;
mod faults;
mod probe;
mod scenario;
mod state;
mod usage;
mod vendors;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use probe::probe_health;
pub use scenario::{Scenario, ScenarioError};
pub use state::clock::Clock;

/// Engine entry points timed by `benches/`; not part of the public API.
#[doc(hidden)]
pub mod bench {
    pub use crate::usage::datadog_hourly::one_org_page as datadog_hourly_one_org_page;
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
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".to_string(),
            port: 0,
            scenario: Scenario::default_scenario(),
            seed: None,
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
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Scenario(e) => write!(f, "invalid scenario: {e}"),
            StartError::Bind(e) => write!(f, "cannot listen: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

/// A running server. Dropping it stops it.
#[derive(Debug)]
pub struct MockCloud {
    addr: SocketAddr,
    engine: Arc<state::Engine>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl MockCloud {
    /// Loads the scenario, binds, and serves in a background task.
    pub async fn start(config: Config) -> Result<Self, StartError> {
        let engine = Arc::new(
            state::Engine::new(config.scenario, config.seed, Clock::default())
                .map_err(StartError::Scenario)?,
        );
        let listener = TcpListener::bind((config.host.as_str(), config.port))
            .await
            .map_err(StartError::Bind)?;
        let addr = listener.local_addr().map_err(StartError::Bind)?;
        let app = app::router(engine.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serving.await {
                eprintln!("mockcloud: server error: {e}");
            }
        });
        Ok(MockCloud {
            addr,
            engine,
            shutdown: Some(shutdown),
            task: Some(task),
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

    /// Stops accepting connections and waits for in-flight requests.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
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
