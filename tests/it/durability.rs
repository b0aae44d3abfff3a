//! Acknowledged means durable: a server with `--state-file`, under
//! concurrent creates and deletes of access policies, is killed with
//! SIGKILL at random moments (`--state-sync` `fsync` and `write` in turn)
//! and restarted; every create it answered is
//! there, every delete it answered stays deleted.
//!
//! CI runs a few kills (`MOCKCLOUD_CRASH_KILLS`, default 4, raises it); the
//! seed of the moments is printed, `MOCKCLOUD_CRASH_SEED` replays it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::*;
use serde_json::{Value, json};

/// What the clients were told.
#[derive(Debug, Default)]
struct Told {
    /// Created (200) and not deleted since, by id: must be there.
    live: BTreeMap<String, String>,
    /// Deleted (2xx): must not come back.
    deleted: BTreeSet<String>,
    /// Asked to delete, no answer (the kill): either way.
    unsure: BTreeSet<String>,
}

/// A small xorshift: the moments of the kills and the clients' choices.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A child server, killed when dropped (a failed assertion leaves none).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(state_file: &Path, sync: &str) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mockcloud"))
        .args(["serve", "--port", "0", "--log-level", "warn"])
        .args(["--state-sync", sync, "--state-file"])
        .arg(state_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("mockcloud starts");
    let url = listening_url(&mut child);
    (Server(child), url)
}

fn kill(server: &mut Server) {
    // `Child::kill` is SIGKILL on Unix.
    server.0.kill().expect("the server is killed");
    server.0.wait().unwrap();
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mockcloud-durable-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The ids of the access policies in the world, from `/__admin/state`.
async fn stored_policies(url: &str) -> BTreeSet<String> {
    let state: Value = reqwest::get(format!("{url}/__admin/state"))
        .await
        .expect("the state is read")
        .json()
        .await
        .unwrap();
    state["grafana"]["access_policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

fn check(round: usize, stored: &BTreeSet<String>, told: &Told) {
    let lost: Vec<_> = told
        .live
        .iter()
        .filter(|(id, _)| !stored.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "after kill {round}: {} acknowledged creates lost: {lost:?}",
        lost.len()
    );
    let back: Vec<_> = told.deleted.intersection(stored).collect();
    assert!(
        back.is_empty(),
        "after kill {round}: {} acknowledged deletes came back: {back:?}",
        back.len()
    );
}

/// One client: creates policies, and deletes one of those it made now
/// and then, until it is aborted (or the server dies under it).
async fn client(url: String, round: usize, client: usize, told: Arc<Mutex<Told>>, seed: u64) {
    let grafana = Grafana {
        base_url: url,
        token: Some(BOOTSTRAP_TOKEN.to_string()),
        client: reqwest::Client::new(),
    };
    let mut rng = Rng(seed | 1);
    let mut mine: Vec<String> = Vec::new();
    for i in 0.. {
        if !mine.is_empty() && rng.below(3) == 0 {
            let id = mine.swap_remove(rng.below(mine.len() as u64) as usize);
            told.lock().unwrap().live.remove(&id);
            told.lock().unwrap().unsure.insert(id.clone());
            let deleted = grafana
                .client
                .delete(format!(
                    "{}/api/v1/accesspolicies/{id}?region=us",
                    grafana.base_url
                ))
                .bearer_auth(BOOTSTRAP_TOKEN)
                .send()
                .await;
            // No answer (killed under the request): it may have been made.
            if let Ok(response) = deleted {
                assert!(response.status().is_success(), "delete {id}: {response:?}");
                let mut told = told.lock().unwrap();
                told.unsure.remove(&id);
                told.deleted.insert(id);
            }
            continue;
        }
        let name = format!("r{round}-c{client}-{i}");
        let body = json!({"name": name, "scopes": ["metrics:read"],
                          "realms": [{"type": "org", "identifier": "1"}]});
        let Ok(response) = grafana
            .client
            .post(format!(
                "{}/api/v1/accesspolicies?region=us",
                grafana.base_url
            ))
            .bearer_auth(BOOTSTRAP_TOKEN)
            .json(&body)
            .send()
            .await
        else {
            // Killed under the request: it may or may not have been made.
            continue;
        };
        let Ok(created) = response.json::<Value>().await else {
            continue;
        };
        let id = created["id"].as_str().expect("a policy id").to_string();
        told.lock().unwrap().live.insert(id.clone(), name);
        mine.push(id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_changes_survive_sigkill() {
    let kills: usize = std::env::var("MOCKCLOUD_CRASH_KILLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(4);
    let seed = std::env::var("MOCKCLOUD_CRASH_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("acknowledged_changes_survive_sigkill: MOCKCLOUD_CRASH_SEED={seed}");
    let mut rng = Rng(seed | 1);
    let path = temp_dir("sigkill").join("state.json");
    let told = Arc::new(Mutex::new(Told::default()));
    let mut changes = 0;
    for round in 0..=kills {
        // Both modes that promise to survive a kill of the process.
        let sync = if round % 2 == 0 { "fsync" } else { "write" };
        let (mut child, url) = serve(&path, sync);
        if round == 0 {
            // Thousands of policy calls: past Grafana's 600 an hour.
            let cleared = reqwest::Client::new()
                .delete(format!("{url}/__admin/rate-limits/grafana"))
                .send()
                .await
                .unwrap();
            assert_eq!(cleared.status(), 200);
        } else {
            let stored = stored_policies(&url).await;
            let told = told.lock().unwrap();
            check(round, &stored, &told);
            changes = told.live.len() + told.deleted.len();
        }
        if round == kills {
            kill(&mut child);
            break;
        }
        let clients: Vec<_> = (0..4)
            .map(|c| {
                let seed = rng.below(u64::MAX);
                tokio::spawn(client(url.clone(), round, c, told.clone(), seed))
            })
            .collect();
        // Early kills land in the compaction that follows a restart.
        tokio::time::sleep(Duration::from_millis(rng.below(750))).await;
        kill(&mut child);
        for client in clients {
            client.abort();
            let _ = client.await;
        }
    }
    assert!(changes > kills, "the clients made changes: {changes}");
    eprintln!(
        "acknowledged_changes_survive_sigkill: {kills} kills, {changes} acknowledged changes kept"
    );
}

#[tokio::test]
async fn a_torn_last_line_is_ignored_with_a_warning() {
    let path = temp_dir("torn").join("state.json");
    let (mut child, url) = serve(&path, "fsync");
    let grafana = Grafana {
        base_url: url,
        token: Some(BOOTSTRAP_TOKEN.to_string()),
        client: reqwest::Client::new(),
    };
    let policy = grafana.create_policy("us", "kept", &["metrics:read"]).await;
    kill(&mut child);
    // A write cut short: half a line at the end of the log.
    let log = path.with_extension("json.log");
    let mut bytes = std::fs::read(&log).unwrap();
    let whole = bytes.len();
    bytes.extend_from_slice(b"0123456789abcdef {\"seq\": 99, \"chan");
    std::fs::write(&log, &bytes).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_mockcloud"))
        .args(["serve", "--port", "0", "--state-file"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mockcloud starts");
    let url = listening_url(&mut child);
    let mut child = Server(child);
    assert!(
        stored_policies(&url)
            .await
            .contains(policy["id"].as_str().unwrap())
    );
    kill(&mut child);
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("warning") && stderr.contains("not a whole change"),
        "{stderr}"
    );
    assert!(
        std::fs::read(&log).unwrap().len() <= whole,
        "the torn tail is cut off before anything is appended"
    );
}
