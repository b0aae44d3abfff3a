//! The `mockcloud` command line: parse, then call the library.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use mockcloud::{Config, MockCloud, Scenario};

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Healthcheck(args) => {
            match mockcloud::probe_health(&args.host, args.port, Duration::from_secs(2)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("mockcloud: {e}");
                    ExitCode::FAILURE
                }
            }
        }
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
        };
        let server = match MockCloud::start(config).await {
            Ok(server) => server,
            Err(e) => {
                eprintln!("mockcloud: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("mockcloud listening on {}", server.base_url());
        shutdown_signal().await;
        server.stop().await;
        ExitCode::SUCCESS
    })
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
