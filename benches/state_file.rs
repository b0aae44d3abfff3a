//! What `--state-file` costs a write: the latency of creating an access
//! policy (p50, p99; one client, one request at a time, over loopback) in a
//! world of 10k and 100k policies, without a state file and with one in each
//! `--state-sync` mode, and the bytes each change adds to the log. Side by
//! side, in one run.
//!
//! Run with `cargo bench --bench state_file` (`-- 10000` for one size,
//! `MOCKCLOUD_BENCH_CREATES=N` for more or fewer creates a row).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mockcloud::{Config, MockCloud, StateSync, Vendor, credentials};
use serde_json::{Value, json};

/// The state document of the default world with `count` more policies.
async fn world_of(count: usize) -> Value {
    let server = MockCloud::start(Config::default().with_seed(1))
        .await
        .expect("a server starts");
    let client = reqwest::Client::new();
    let made: Value = client
        .post(format!(
            "{}/api/v1/accesspolicies?region=us",
            server.base_url()
        ))
        .bearer_auth(credentials::GRAFANA_TOKEN)
        .json(&json!({"name": "template", "scopes": ["metrics:read"],
                      "realms": [{"type": "org", "identifier": "1"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(made["id"].is_string(), "{made}");
    let mut state = server.export_state();
    let template = state["grafana"]["access_policies"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let first = state["ids"]["next_seq"].as_u64().unwrap();
    let policies = state["grafana"]["access_policies"].as_array_mut().unwrap();
    for i in 0..count as u64 {
        let mut policy = template.clone();
        policy["id"] = json!(format!("00000000-0000-4000-8000-{i:012x}"));
        policy["seq"] = json!(first + i);
        policy["name"] = json!(format!("bulk-{i:06}"));
        policy["display_name"] = json!(format!("Bulk {i:06}"));
        policies.push(policy);
    }
    state["ids"]["next_seq"] = json!(first + count as u64);
    server.stop().await;
    state
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    Memory,
    StateFile(StateSync),
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Memory => "no state file",
            Mode::StateFile(StateSync::Fsync) => "--state-file (fsync)",
            Mode::StateFile(StateSync::Write) => "--state-file (write)",
            Mode::StateFile(StateSync::None) => "--state-file (none)",
        }
    }
}

struct Row {
    p50: Duration,
    p99: Duration,
    /// Log bytes per change, and the snapshot's size.
    log_per_change: Option<f64>,
    snapshot: Option<u64>,
}

#[cfg(unix)]
fn inode(path: &Path) -> u64 {
    std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(path).unwrap())
}

#[cfg(not(unix))]
fn inode(_path: &Path) -> u64 {
    0
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

async fn run(world: &Value, mode: Mode, creates: usize, dir: &Path) -> Row {
    let mut config = Config::default();
    let mut state_file: Option<PathBuf> = None;
    if let Mode::StateFile(sync) = mode {
        let path = dir.join("state.json");
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(dir.join("state.json.log"));
        std::fs::write(&path, serde_json::to_vec_pretty(world).unwrap()).unwrap();
        config = config.with_state_file(&path).with_state_sync(sync);
        state_file = Some(path);
    }
    let written = state_file.as_deref().map(inode);
    let server = MockCloud::start(config).await.expect("a server starts");
    if state_file.is_none() {
        server.import_state(world).expect("the world imports");
    }
    server.rate_limits().clear(Vendor::GRAFANA);
    // The compaction that follows a start (the file was written by the
    // bench, not by a server), out of the way: it renames a new file in.
    if let Some(path) = &state_file {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Some(inode(path)) == written && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = state_file.as_ref().map(|p| p.with_extension("json.log"));
    let log_before = log.as_deref().map_or(0, file_len);
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/accesspolicies?region=us", server.base_url());
    let mut latencies = Vec::with_capacity(creates);
    for i in 0..creates {
        let body = json!({"name": format!("bench-{i:06}"), "scopes": ["metrics:read"],
                          "realms": [{"type": "org", "identifier": "1"}]});
        let started = Instant::now();
        let reply = client
            .post(&url)
            .bearer_auth(credentials::GRAFANA_TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        reply.bytes().await.unwrap();
        latencies.push(started.elapsed());
    }
    let log_after = log.as_deref().map_or(0, file_len);
    let snapshot = state_file.as_deref().map(file_len);
    server.stop().await;
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    Row {
        p50: at(0.50),
        p99: at(0.99),
        // Less than the log holds when a compaction came in between.
        log_per_change: log
            .filter(|_| log_after > log_before)
            .map(|_| (log_after - log_before) as f64 / creates as f64),
        snapshot,
    }
}

fn main() {
    let sizes: Vec<usize> = match std::env::args().skip(1).find_map(|a| a.parse().ok()) {
        Some(size) => vec![size],
        None => vec![10_000, 100_000],
    };
    let creates: usize = std::env::var("MOCKCLOUD_BENCH_CREATES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let dir = std::env::temp_dir().join(format!("mockcloud-bench-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("{creates} creates a row, one at a time");
    println!(
        "{:>8}  {:<22} {:>9} {:>9} {:>16} {:>12}",
        "policies", "mode", "p50", "p99", "log bytes/change", "snapshot"
    );
    for size in sizes {
        let world = runtime.block_on(world_of(size));
        for mode in [
            Mode::Memory,
            Mode::StateFile(StateSync::Fsync),
            Mode::StateFile(StateSync::Write),
            Mode::StateFile(StateSync::None),
        ] {
            let row = runtime.block_on(run(&world, mode, creates, &dir));
            println!(
                "{:>8}  {:<22} {:>9.3?} {:>9.3?} {:>16} {:>12}",
                size,
                mode.name(),
                row.p50,
                row.p99,
                row.log_per_change
                    .map_or("-".to_string(), |b| format!("{b:.0}")),
                row.snapshot
                    .map_or("-".to_string(), |b| format!("{:.1} MB", b as f64 / 1e6)),
            );
        }
    }
    println!(
        "(before the log, the whole snapshot was rewritten every 200 ms while anything changed)"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
