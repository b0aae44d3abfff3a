//! The `mockcloud` command line: parse, then call the library.

mod probe;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use mockcloud::{Config, FaultRule, FaultsSpec, MockCloud, Scenario, StateSync};

#[derive(Debug, Parser)]
#[command(
    name = "mockcloud",
    version,
    about = "A local, stateful emulator of the Grafana Cloud, Datadog Usage Metering and Gcore usage-report APIs",
    long_about = "A local, stateful emulator of the Grafana Cloud API, the Datadog Usage Metering API \
                  and the Gcore Cloud usage report, all on one port. Point a client's base URL at it \
                  instead of the vendor's API host."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the vendor APIs until SIGINT or SIGTERM.
    Serve(ServeArgs),
    /// Exit 0 if a server on this machine answers /__admin/health (for container health checks).
    Healthcheck(HealthcheckArgs),
    /// Check scenario files, or print their JSON Schema.
    #[command(subcommand)]
    Scenario(ScenarioCommand),
}

#[derive(Debug, Subcommand)]
enum ScenarioCommand {
    /// Report every problem that would stop `serve --scenario FILE` (with its
    /// location), or print "ok"; exits non-zero on any problem.
    Validate {
        /// Scenario files (or built-in scenario names).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
    },
    /// Print the JSON Schema of scenario files (scenarios/schema.json).
    Schema,
}

#[derive(Debug, clap::Args)]
struct HealthcheckArgs {
    /// Host of the server to ask.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port of the server to ask.
    #[arg(long, env = "MOCKCLOUD_PORT", default_value_t = 8080)]
    port: u16,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on (0.0.0.0 to accept connections from other hosts).
    #[arg(long, env = "MOCKCLOUD_HOST", default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on; 0 picks a free port (read it from the "listening" line).
    #[arg(long, env = "MOCKCLOUD_PORT", default_value_t = 8080)]
    port: u16,
    /// Scenario to load: a built-in name (e.g. "default") or a path to a JSON file.
    #[arg(
        long,
        env = "MOCKCLOUD_SCENARIO",
        default_value = "default",
        value_name = "NAME|PATH"
    )]
    scenario: String,
    /// Seed for generated ids, secrets and usage; overrides the scenario's seed.
    #[arg(long, env = "MOCKCLOUD_SEED", value_name = "N")]
    seed: Option<u64>,
    /// Keep the world in this file: loaded at start if it exists (instead of
    /// the scenario); every change is logged beside it (PATH.log) before it
    /// is answered, and the log is compacted into it in the background.
    #[arg(long, env = "MOCKCLOUD_STATE_FILE", value_name = "PATH")]
    state_file: Option<std::path::PathBuf>,
    /// When a change counts as saved: fsync (on disk before the answer; the
    /// default), write (handed to the OS before the answer, fsynced within a
    /// second: survives kill -9, not a power cut) or none (answered at once,
    /// saved a few milliseconds later).
    #[arg(
        long,
        env = "MOCKCLOUD_STATE_SYNC",
        value_name = "fsync|write|none",
        default_value = "fsync"
    )]
    state_sync: StateSync,
    /// A fault rule as JSON, run after the scenario's rules; repeatable.
    /// E.g. '{"vendor": "datadog", "probability": 0.2, "effect": {"error": {"status": 503}}}'.
    #[arg(long = "fault", value_name = "JSON")]
    fault: Vec<String>,
    /// A JSON file of fault rules: {"seed": N, "rules": [...]} or a list of rules.
    #[arg(long = "faults", value_name = "FILE")]
    faults_file: Option<std::path::PathBuf>,
    /// Protect /__admin (all but health): clients send `Authorization: Bearer TOKEN`
    /// or `X-Admin-Token: TOKEN`.
    #[arg(
        long,
        env = "MOCKCLOUD_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    admin_token: Option<String>,
    /// How many requests the journal (/__admin/journal) keeps; 0 keeps none.
    #[arg(
        long,
        env = "MOCKCLOUD_JOURNAL_SIZE",
        value_name = "N",
        default_value_t = 1000
    )]
    journal_size: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Scenario(ScenarioCommand::Validate { files }) => validate_scenarios(&files),
        Command::Scenario(ScenarioCommand::Schema) => {
            print!("{}", Scenario::json_schema());
            ExitCode::SUCCESS
        }
        Command::Healthcheck(args) => {
            match probe::probe_health(&args.host, args.port, Duration::from_secs(2)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("mockcloud: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn validate_scenarios(files: &[String]) -> ExitCode {
    let mut failed = false;
    for file in files {
        match Scenario::validate_name_or_path(file) {
            Ok(scenario) => println!("{file}: ok (scenario {:?})", scenario.name),
            Err(problems) => {
                failed = true;
                for problem in problems {
                    eprintln!("{problem}");
                }
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    let scenario = match Scenario::resolve(&args.scenario) {
        Ok(scenario) => scenario,
        Err(e) => {
            eprintln!("mockcloud: cannot load scenario: {e}");
            return ExitCode::FAILURE;
        }
    };
    let faults = match fault_rules(&args) {
        Ok(faults) => faults,
        Err(e) => {
            eprintln!("mockcloud: invalid fault rule: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("mockcloud: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let config = Config {
            host: args.host,
            port: args.port,
            scenario,
            seed: args.seed,
            state_file: args.state_file,
            state_sync: args.state_sync,
            faults,
            admin_token: args.admin_token.filter(|token| !token.is_empty()),
            journal_capacity: args.journal_size,
        };
        let server = match MockCloud::start(config).await {
            Ok(server) => server,
            Err(e) => {
                eprintln!("mockcloud: {e}");
                return ExitCode::FAILURE;
            }
        };
        // Installed before the "listening" line: a harness may signal at once.
        let shutdown = shutdown_signal();
        println!("mockcloud listening on {}", server.base_url());
        shutdown.await;
        server.stop().await;
        ExitCode::SUCCESS
    })
}

/// `--faults FILE` first, then each `--fault`, in the order given.
fn fault_rules(args: &ServeArgs) -> Result<FaultsSpec, mockcloud::ScenarioError> {
    let mut faults = match &args.faults_file {
        Some(path) => {
            let location = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| mockcloud::ScenarioError {
                location: location.clone(),
                message: e.to_string(),
            })?;
            FaultsSpec::from_json_str(&text, &location)?
        }
        None => FaultsSpec::default(),
    };
    for (i, json) in args.fault.iter().enumerate() {
        faults
            .rules
            .push(FaultRule::from_json_str(json, &format!("--fault[{i}]"))?);
    }
    Ok(faults)
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed by the call,
/// not by the first poll, so a signal sent right after it is never missed.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let terminate = signal(SignalKind::terminate());
        let interrupt = signal(SignalKind::interrupt());
        async move {
            match (terminate, interrupt) {
                (Ok(mut terminate), Ok(mut interrupt)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
