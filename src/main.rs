//! The `mockcloud` command line: parse, then call the library.

mod log_sink;
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
    Serve(Box<ServeArgs>),
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
    /// or `X-Admin-Token: TOKEN`. An empty token is refused.
    #[arg(
        long,
        env = "MOCKCLOUD_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    admin_token: Option<String>,
    /// A name /__admin answers to besides localhost, loopback and the address
    /// listened on (e.g. the service name other containers use); `.domain`
    /// for a domain and its subdomains, `*` for any. Repeatable, or
    /// comma-separated. Requests with another Host, or another site's
    /// Origin, get 403.
    #[arg(
        long = "allowed-host",
        env = "MOCKCLOUD_ALLOWED_HOSTS",
        value_name = "NAME",
        value_delimiter = ','
    )]
    allowed_hosts: Vec<String>,
    /// How many requests the journal (/__admin/journal) keeps; 0 keeps none.
    #[arg(
        long,
        env = "MOCKCLOUD_JOURNAL_SIZE",
        value_name = "N",
        default_value_t = 1000
    )]
    journal_size: usize,
    /// Request logs on stderr, one line per request: text, or json (one
    /// object a line).
    #[arg(
        long,
        env = "MOCKCLOUD_LOG_FORMAT",
        value_name = "text|json",
        default_value = "text"
    )]
    log_format: LogFormat,
    /// What is logged: info (a line per request; the default), debug (health
    /// checks too), warn, error or off. Without it RUST_LOG applies
    /// (tracing's directives, e.g. "mockcloud=debug").
    #[arg(
        long,
        env = "MOCKCLOUD_LOG_LEVEL",
        value_name = "LEVEL",
        value_parser = ["off", "error", "warn", "info", "debug", "trace"]
    )]
    log_level: Option<String>,
    /// How long a request's line and headers may take from their first byte;
    /// then the connection is closed. A number of seconds, or with a unit
    /// (500ms, 10s, 2m).
    #[arg(long, env = "MOCKCLOUD_HEADER_TIMEOUT", value_name = "DURATION", default_value = "10s", value_parser = duration)]
    header_timeout: Duration,
    /// How long a request's body may take from its headers; then the request
    /// is answered 408 in the vendor's error shape.
    #[arg(long, env = "MOCKCLOUD_BODY_TIMEOUT", value_name = "DURATION", default_value = "30s", value_parser = duration)]
    body_timeout: Duration,
    /// How long a keep-alive connection may wait for its next request; then
    /// it is closed.
    #[arg(long, env = "MOCKCLOUD_IDLE_TIMEOUT", value_name = "DURATION", default_value = "60s", value_parser = duration)]
    idle_timeout: Duration,
    /// How many connections are served at once (lowered to fit the open-file
    /// limit); at the cap the connection idle longest is closed, and
    /// /__admin/health still answers.
    #[arg(long, env = "MOCKCLOUD_MAX_CONNECTIONS", value_name = "N", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// How many threads serve connections, each connection on one (0: one
    /// per CPU, the most useful). Started as connections come.
    #[arg(long, env = "MOCKCLOUD_THREADS", value_name = "N", default_value_t = 0)]
    threads: usize,
}

/// A positive duration: seconds (`10`, `0.5`), or with a unit (`500ms`,
/// `10s`, `2m`).
fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let number: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. 500ms, 10s, 2m)"))?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "s" => number,
        "m" => number * 60.0,
        other => return Err(format!("unknown unit {other:?}: use ms, s or m")),
    };
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| !d.is_zero() && *d <= Duration::from_secs(24 * 3600))
        .ok_or_else(|| format!("{text:?}: a duration above 0 and at most a day"))
}

fn main() -> ExitCode {
    let cli = parse();
    match cli.command {
        Command::Serve(args) => serve(*args),
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

/// The command line, with what only the library knows (the built-in
/// scenarios) added to the help.
fn parse() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let built_in: Vec<&str> = Scenario::built_in_names().collect();
    let scenario_help = format!(
        "Scenario to load: a built-in name ({}) or a path to a JSON file",
        built_in.join(", ")
    );
    let command = Cli::command().mut_subcommand("serve", |serve| {
        serve.mut_arg("scenario", |arg| arg.help(scenario_help))
    });
    let matches = command.get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

fn validate_scenarios(files: &[String]) -> ExitCode {
    let mut failed = false;
    for file in files {
        match Scenario::validate_name_or_path(file) {
            Ok(_) => println!("{file}: ok"),
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

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Writes the library's events (a line per request) to stderr, from a
/// background thread: a slow reader never blocks a request (lines beyond
/// its buffer are dropped). stdout keeps the one "listening" line. The
/// guard flushes what is buffered when dropped, at exit.
fn init_logs(format: LogFormat, level: Option<&str>) -> Result<log_sink::Guard, String> {
    use std::io::IsTerminal;
    use tracing_subscriber::filter::{FilterExt, LevelFilter, Targets};
    use tracing_subscriber::{EnvFilter, Layer, Registry, prelude::*};
    // A level (or none) is a plain target filter, cheap to build (start-up
    // stays in milliseconds); RUST_LOG gets tracing's full directives.
    let targets = |level: &str| -> Result<Targets, String> {
        let level: LevelFilter = level
            .parse()
            .map_err(|e| format!("invalid log level {level:?}: {e}"))?;
        Ok(Targets::new()
            .with_default(LevelFilter::WARN.min(level))
            .with_target("mockcloud", level))
    };
    let filter: Box<dyn tracing_subscriber::layer::Filter<Registry> + Send + Sync> =
        match (level, std::env::var("RUST_LOG")) {
            (Some(level), _) => FilterExt::boxed(targets(level)?),
            (None, Ok(rust_log)) if !rust_log.trim().is_empty() => FilterExt::boxed(
                EnvFilter::try_new(&rust_log)
                    .map_err(|e| format!("invalid RUST_LOG {rust_log:?}: {e}"))?,
            ),
            (None, _) => FilterExt::boxed(targets("info")?),
        };
    let (writer, guard) = log_sink::start(std::io::stderr());
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(std::io::stderr().is_terminal());
    let lines = match format {
        // Written as the default full format would, for less per line.
        LogFormat::Text => lines
            .event_format(log_sink::TextLine)
            .with_filter(filter)
            .boxed(),
        LogFormat::Json => lines
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_filter(filter)
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(lines)
        .try_init()
        .map_err(|e| e.to_string())?;
    Ok(guard)
}

fn serve(args: ServeArgs) -> ExitCode {
    let faults = match fault_rules(&args) {
        Ok(faults) => faults,
        Err(e) => {
            eprintln!("mockcloud: invalid fault rule: {e}");
            return ExitCode::FAILURE;
        }
    };
    let has_token = args.admin_token.is_some();
    let config = Config {
        host: args.host,
        port: args.port,
        // Read by `begin`'s thread, while the logs and the runtime start.
        scenario: Scenario::new(""),
        seed: args.seed,
        state_file: args.state_file,
        state_sync: args.state_sync,
        faults,
        // An empty token is refused by `begin`, not taken for none.
        admin_token: args.admin_token,
        // MOCKCLOUD_ALLOWED_HOSTS="" (an unset compose variable) adds none.
        allowed_hosts: args
            .allowed_hosts
            .into_iter()
            .filter(|name| !name.trim().is_empty())
            .collect(),
        journal_capacity: args.journal_size,
        connection_limits: mockcloud::ConnectionLimits {
            header_read_timeout: args.header_timeout,
            body_read_timeout: args.body_timeout,
            idle_timeout: args.idle_timeout,
            max_connections: args.max_connections as usize,
            threads: args.threads,
        },
    };
    let named = args.scenario;
    let starting = MockCloud::begin(config, move || Scenario::resolve(&named));
    let _logs = match init_logs(args.log_format, args.log_level.as_deref()) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("mockcloud: {e}");
            return ExitCode::FAILURE;
        }
    };
    // This thread accepts connections; they are served on threads of
    // their own (`--threads`), started as they come.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("mockcloud: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let started = match starting {
            Ok(starting) => starting.finish().await,
            Err(e) => Err(e),
        };
        let server = match started {
            Ok(server) => server,
            Err(mockcloud::StartError::Scenario(e)) => {
                eprintln!("mockcloud: cannot load scenario: {e}");
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("mockcloud: {e}");
                return ExitCode::FAILURE;
            }
        };
        // Installed before the "listening" line: a harness may signal at once.
        let shutdown = shutdown_signal();
        if !server.addr().ip().is_loopback() && !has_token {
            eprintln!(
                "mockcloud: warning: listening on {} (not loopback) without an admin token: \
                 anyone who can reach this address can change the mock through /__admin \
                 (faults, reset, state import) and read its secrets (GET /__admin/state). \
                 Set --admin-token TOKEN (MOCKCLOUD_ADMIN_TOKEN), or listen on 127.0.0.1.",
                server.addr()
            );
        }
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
