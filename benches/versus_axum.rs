//! mockcloud side by side with a bare axum server, in one run, on this
//! machine (issue 14, "every answer in milliseconds"):
//!
//! - start-up (spawn to the "listening" line, median) and idle RSS of the
//!   release `mockcloud` binary on the default scenario and of a bare axum
//!   server (this bench binary, run again as one);
//! - requests a second over 64 keep-alive connections for the hot reads,
//!   `GET /api/instances/{slug}` and `GET /api/v1/accesspolicies/{id}`
//!   with the default token, against the bare server answering a body of
//!   the same bytes on the same route, and the ratio;
//! - single-client latency (p50 of several runs, and the first, cold one)
//!   of the heavy usage reports on `--scenario demo`, and the p99 of
//!   `/__admin/health` while 8 clients loop on `historical_cost`.
//!
//! Each figure is printed with its target and PASS or MISS.
//!
//! Run with `cargo bench --bench versus_axum` (about three minutes);
//! `MOCKCLOUD_BENCH_QUICK=1` for a quick pass (under a minute);
//! `-- startup`, `-- hot` or `-- usage` for one part; `-- load URL
//! [SECONDS]` runs only the load generator against a server started by
//! hand (to profile it). Cargo builds the release `mockcloud` binary
//! first (`CARGO_BIN_EXE_mockcloud`).
//!
//! The load generator is a minimal HTTP/1.1 client (one request at a time
//! per connection, as wrk does without pipelining) on one thread, so both
//! servers share the same cores with the same client. The access-policy
//! endpoints' rate limit (600 an hour by default) is raised, not removed,
//! so every request is still counted.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, Months, Utc};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MOCKCLOUD: &str = env!("CARGO_BIN_EXE_mockcloud");

/// Set in the environment of this binary run as the bare server: the file
/// holding the body it answers.
const BARE_BODY: &str = "VERSUS_AXUM_BARE_BODY";

/// The routes the bare server answers, as mockcloud's.
const BARE_ROUTES: [&str; 2] = ["/api/instances/{slug}", "/api/v1/accesspolicies/{id}"];

const CONNECTIONS: usize = 64;

#[derive(Clone, Copy)]
struct Settings {
    startups: usize,
    warm_up: Duration,
    measure: Duration,
    /// Bare and mockcloud, back to back, this many times each (which goes
    /// first alternates); the figures are the medians, and the ratio is the
    /// median of each pair's ratio (a pair shares the machine's load of the
    /// moment).
    rounds: usize,
    latency_runs: usize,
    health_for: Duration,
}

impl Settings {
    fn from_env() -> Self {
        if std::env::var_os("MOCKCLOUD_BENCH_QUICK").is_some_and(|v| v != "0") {
            Settings {
                startups: 21,
                warm_up: Duration::from_millis(200),
                measure: Duration::from_millis(800),
                rounds: 3,
                latency_runs: 5,
                health_for: Duration::from_secs(1),
            }
        } else {
            Settings {
                startups: 101,
                warm_up: Duration::from_millis(300),
                measure: Duration::from_secs(2),
                rounds: 7,
                latency_runs: 9,
                health_for: Duration::from_secs(3),
            }
        }
    }
}

fn main() {
    if let Some(body) = std::env::var_os(BARE_BODY) {
        bare_axum(PathBuf::from(body));
        return;
    }
    let settings = Settings::from_env();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == "load") {
        load_alone(&args[at + 1..], &settings);
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut report = Report::default();
    println!(
        "machine: {} cores, {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model()
    );
    println!("mockcloud: {MOCKCLOUD}");

    // `-- startup`, `-- hot` or `-- usage` runs that part alone.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let run = |part: &str| only.is_empty() || only.iter().any(|o| o == part);
    if run("startup") {
        start_up(&settings, &mut report);
    }
    if run("hot") {
        runtime.block_on(hot_reads(&settings, &mut report));
    }
    if run("usage") {
        runtime.block_on(usage_reports(&settings, &mut report));
    }
    report.print();
    let _ = std::fs::remove_dir_all(scratch_dir());
}

// ---------------------------------------------------------------- servers

/// A child server, killed when dropped (a failing bench leaves none behind).
struct Server {
    child: Child,
    base_url: String,
    addr: SocketAddr,
    started_in: Duration,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Spawns `command` and waits for its "listening on URL" line.
    fn spawn(mut command: Command) -> Server {
        // Request logs stay on (the default, a line per request), written
        // to /dev/null: their cost is measured, not their terminal's.
        command.stdout(Stdio::piped()).stderr(Stdio::null());
        let started = Instant::now();
        let mut child = command.spawn().expect("the server starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).expect("a listening line");
        let started_in = started.elapsed();
        let base_url = line
            .trim()
            .split_once("listening on ")
            .map(|(_, url)| url.to_string())
            .unwrap_or_else(|| panic!("not a listening line: {line:?}"));
        let addr = base_url
            .trim_start_matches("http://")
            .parse()
            .expect("an address");
        // Whatever else it prints is not read: keep the pipe drained.
        std::thread::spawn(move || for _ in stdout.lines() {});
        Server {
            child,
            base_url,
            addr,
            started_in,
        }
    }

    fn mockcloud(scenario: &str) -> Server {
        let mut command = Command::new(MOCKCLOUD);
        command.args(["serve", "--port", "0", "--scenario", scenario]);
        // The environment must not change what is measured.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("MOCKCLOUD_") {
                command.env_remove(name);
            }
        }
        Server::spawn(command)
    }

    fn bare(body: &std::path::Path) -> Server {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command.env(BARE_BODY, body);
        Server::spawn(command)
    }

    /// Resident memory now (VmRSS), in bytes.
    fn rss(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    }
}

/// This binary, run as the baseline: a bare axum server (the same runtime
/// mockcloud's command line builds) answering the body in `body_file` on
/// mockcloud's two hot routes, and nothing else.
fn bare_axum(body_file: PathBuf) {
    use axum::Router;
    use axum::body::Bytes;
    use axum::http::header::CONTENT_TYPE;
    use axum::routing::get;

    let body = Bytes::from(std::fs::read(body_file).expect("the body file"));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let answer = move || {
            let body = body.clone();
            async move { ([(CONTENT_TYPE, "application/json")], body) }
        };
        let mut app = Router::new();
        for route in BARE_ROUTES {
            app = app.route(route, get(answer.clone()));
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!(
            "bare axum listening on http://{}",
            listener.local_addr().unwrap()
        );
        axum::serve(listener, app).await.unwrap();
    });
}

// ---------------------------------------------------------------- start-up

fn start_up(settings: &Settings, report: &mut Report) {
    let dir = scratch_dir();
    let body = dir.join("startup-body.json");
    std::fs::write(&body, vec![b' '; 4096]).unwrap();
    let mut mock = Vec::new();
    let mut bare = Vec::new();
    // Alternately, so both meet the same machine.
    for _ in 0..settings.startups {
        mock.push(Server::mockcloud("default").started_in);
        bare.push(Server::bare(&body).started_in);
    }
    let mock_startup = median(&mut mock);
    let bare_startup = median(&mut bare);
    let idle = |server: Server| {
        std::thread::sleep(Duration::from_millis(500));
        server.rss().unwrap_or(0)
    };
    let mock_rss = idle(Server::mockcloud("default"));
    let bare_rss = idle(Server::bare(&body));
    report.section(format!(
        "start-up, spawn to the listening line, median of {}",
        settings.startups
    ));
    report.line(
        "mockcloud start-up (default scenario)",
        ms(mock_startup),
        "<= 10 ms",
        mock_startup <= Duration::from_millis(10),
    );
    report.info("bare axum start-up", ms(bare_startup));
    let ratio = mock_startup.as_secs_f64() / bare_startup.as_secs_f64();
    report.line(
        "start-up / bare axum's",
        format!("{ratio:.2}x"),
        "<= 1.5x",
        ratio <= 1.5,
    );
    report.line(
        "mockcloud idle RSS",
        mb(mock_rss),
        "<= 15 MB",
        mock_rss <= 15 * 1024 * 1024,
    );
    report.info("bare axum idle RSS", mb(bare_rss));
}

// ---------------------------------------------------------------- hot reads

async fn hot_reads(settings: &Settings, report: &mut Report) {
    let mock = Server::mockcloud("default");
    let client = reqwest::Client::new();
    let token = mockcloud::credentials::GRAFANA_TOKEN;
    // Raised, not removed: every request is still counted.
    let raised = client
        .put(format!("{}/__admin/rate-limits/grafana", mock.base_url))
        .json(
            &json!([{"name": "accesspolicies", "limit": 4_000_000_000u32, "period_seconds": 3600}]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(raised.status(), 200, "{}", raised.text().await.unwrap());
    let policies: Value = get_json(
        &client,
        &format!("{}/api/v1/accesspolicies?region=us", mock.base_url),
        token,
    )
    .await;
    let policy = policies["items"][0]["id"]
        .as_str()
        .expect("a policy")
        .to_string();
    let targets = [
        (
            "GET /api/instances/{slug}",
            "/api/instances/mockstack".to_string(),
        ),
        (
            "GET /api/v1/accesspolicies/{id}",
            format!("/api/v1/accesspolicies/{policy}?region=us"),
        ),
    ];
    report.section(format!(
        "hot reads: {CONNECTIONS} keep-alive connections, {:?} after {:?} of warm-up, \
         {} rounds of both back to back; medians, and the median of each round's ratio",
        settings.measure, settings.warm_up, settings.rounds
    ));
    let dir = scratch_dir();
    for (name, path) in targets {
        let body = client
            .get(format!("{}{path}", mock.base_url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let body_file = dir.join("hot-body.json");
        std::fs::write(&body_file, &body).unwrap();
        let bare = Server::bare(&body_file);
        let request = |addr: SocketAddr| {
            format!(
                "GET {path} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\n\
                 accept: application/json\r\n\r\n"
            )
        };
        let (mut bares, mut mocks, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..settings.rounds {
            let (bare_rate, mock_rate) = if round % 2 == 0 {
                let bare_rate = load(bare.addr, request(bare.addr), settings).await;
                (
                    bare_rate,
                    load(mock.addr, request(mock.addr), settings).await,
                )
            } else {
                let mock_rate = load(mock.addr, request(mock.addr), settings).await;
                (
                    load(bare.addr, request(bare.addr), settings).await,
                    mock_rate,
                )
            };
            bares.push(bare_rate);
            mocks.push(mock_rate);
            ratios.push(mock_rate / bare_rate);
        }
        let ratio = median_of(&mut ratios);
        report.info(&format!("{name}: body"), format!("{} bytes", body.len()));
        report.info(&format!("{name}: bare axum"), rate(median_of(&mut bares)));
        report.info(&format!("{name}: mockcloud"), rate(median_of(&mut mocks)));
        report.line(
            &format!("{name}: mockcloud / bare axum"),
            format!("{ratio:.2}x"),
            ">= 0.7x",
            ratio >= 0.7,
        );
    }
    let after = mock.rss().unwrap_or(0);
    report.info("mockcloud RSS after the load", mb(after));
}

/// Requests a second `CONNECTIONS` connections get answered 200 with
/// `request` over `settings.measure`, after the warm-up. Any other answer
/// fails the bench: a refusal is not a served request.
async fn load(addr: SocketAddr, request: String, settings: &Settings) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let request: Arc<[u8]> = Arc::from(request.into_bytes());
    // The client on a thread of its own, the same for both servers.
    let generator = {
        let (done, stop) = (done.clone(), stop.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let connections: Vec<_> = (0..CONNECTIONS)
                    .map(|_| {
                        tokio::spawn(keep_asking(
                            addr,
                            request.clone(),
                            done.clone(),
                            stop.clone(),
                        ))
                    })
                    .collect();
                for connection in connections {
                    connection.await.unwrap();
                }
            });
        })
    };
    tokio::time::sleep(settings.warm_up).await;
    let (from, at) = (done.load(Ordering::Relaxed), Instant::now());
    tokio::time::sleep(settings.measure).await;
    let (to, elapsed) = (done.load(Ordering::Relaxed), at.elapsed());
    stop.store(true, Ordering::Relaxed);
    tokio::task::spawn_blocking(move || generator.join().unwrap())
        .await
        .unwrap();
    (to - from) as f64 / elapsed.as_secs_f64()
}

/// One connection: a request, its whole answer, the next request, until
/// told to stop.
async fn keep_asking(
    addr: SocketAddr,
    request: Arc<[u8]>,
    done: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) {
    let mut stream = TcpStream::connect(addr).await.expect("a connection");
    stream.set_nodelay(true).unwrap();
    let mut buffer = Vec::with_capacity(64 * 1024);
    while !stop.load(Ordering::Relaxed) {
        stream.write_all(&request).await.expect("the request sent");
        let status = read_answer(&mut stream, &mut buffer).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&buffer));
        done.fetch_add(1, Ordering::Relaxed);
    }
}

/// Reads one answer (head, then a `content-length` body) into `buffer`;
/// its status.
async fn read_answer(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> u16 {
    buffer.clear();
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        read_more(stream, buffer).await;
    };
    let head = std::str::from_utf8(&buffer[..head_end]).expect("an ASCII head");
    let status: u16 = head[9..12].parse().expect("a status");
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .expect("a content-length");
    while buffer.len() < head_end + length {
        read_more(stream, buffer).await;
    }
    status
}

async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk).await.expect("the answer");
    assert!(n > 0, "the server closed the connection");
    buffer.extend_from_slice(&chunk[..n]);
}

/// `-- load URL [SECONDS]`: only the load generator, against a server
/// started by hand (to profile it), with the default Grafana token.
fn load_alone(args: &[String], settings: &Settings) {
    let url = args
        .first()
        .expect("-- load http://HOST:PORT/PATH [SECONDS]");
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (addr, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let addr: SocketAddr = addr.parse().expect("an IP address and port");
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let settings = Settings {
        measure: Duration::from_secs(seconds),
        ..*settings
    };
    let token = mockcloud::credentials::GRAFANA_TOKEN;
    let request = format!(
        "GET {path} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\n\
         accept: application/json\r\n\r\n"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let per_second = runtime.block_on(load(addr, request, &settings));
    println!("{} {url}", rate(per_second));
}

// ---------------------------------------------------------------- usage

async fn usage_reports(settings: &Settings, report: &mut Report) {
    let mock = Server::mockcloud("demo");
    let base = mock.base_url.clone();
    let client = reqwest::Client::new();
    // Refusals would be fast and say nothing: Datadog's limits are lifted
    // for the run.
    let cleared = client
        .delete(format!("{base}/__admin/rate-limits/datadog"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 200);
    let clock: Value = client
        .get(format!("{base}/__admin/clock"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let now: DateTime<Utc> = clock["now"].as_str().unwrap().parse().unwrap();
    let month = |back: u32| {
        let t = now.with_day(1).unwrap() - Months::new(back);
        t.format("%Y-%m").to_string()
    };
    let hour_month_ago = (now - Months::new(1)).format("%Y-%m-%dT%H").to_string();
    let demo = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/demo.json"),
    )
    .unwrap();
    let demo: Value = serde_json::from_str(&demo).unwrap();
    // The Gcore report over the whole life of the demo world: from its
    // first resource's day to now, every line.
    let gcore_from = demo["gcore"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["created_at"].as_str())
        .min()
        .unwrap()
        .to_string();
    let gcore_body = json!({
        "time_from": gcore_from,
        "time_to": now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "enable_last_day": true,
        "limit": 1000,
    });

    let datadog = [
        (
            "historical_cost, 15 months, sub-org",
            format!(
                "/api/v2/usage/historical_cost?start_month={}&view=sub-org",
                month(15)
            ),
            20,
        ),
        (
            "monthly-attribution, 15 months, fields=*",
            format!(
                "/api/v1/usage/monthly-attribution?start_month={}&fields=*",
                month(15)
            ),
            20,
        ),
        (
            "estimated_cost, last month, sub-org",
            format!(
                "/api/v2/usage/estimated_cost?start_month={}&view=sub-org",
                month(1)
            ),
            10,
        ),
        (
            "billable-summary, last month",
            format!("/api/v1/usage/billable-summary?month={}", month(1)),
            10,
        ),
        (
            "top_avg_metrics, last month",
            format!("/api/v1/usage/top_avg_metrics?month={}", month(1)),
            10,
        ),
        (
            "hourly-attribution, from a month ago",
            format!(
                "/api/v1/usage/hourly-attribution?start_hr={hour_month_ago}&usage_type=infra_host_usage"
            ),
            20,
        ),
    ];
    report.section(format!(
        "usage on --scenario demo, one client: p50 of {} runs (the first, cold run in brackets)",
        settings.latency_runs
    ));
    for (name, path, target_ms) in &datadog {
        let url = format!("{base}{path}");
        let mut times = Vec::new();
        for _ in 0..settings.latency_runs {
            let started = Instant::now();
            let reply = datadog_get(&client, &url).await;
            let status = reply.status();
            let body = reply.bytes().await.unwrap();
            assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
            times.push(started.elapsed());
        }
        let first = times[0];
        let p50 = median(&mut times);
        report.line(
            name,
            format!("{} ({})", ms(p50), ms(first)),
            &format!("<= {target_ms} ms"),
            p50 <= Duration::from_millis(*target_ms),
        );
    }
    let mut times = Vec::new();
    for _ in 0..settings.latency_runs {
        let started = Instant::now();
        let reply = client
            .post(format!("{base}/cloud/v1/usage_report"))
            .header("authorization", "APIKey mock-gcore-demo-key")
            .json(&gcore_body)
            .send()
            .await
            .unwrap();
        let status = reply.status();
        let body = reply.bytes().await.unwrap();
        assert_eq!(status, 200, "gcore: {}", String::from_utf8_lossy(&body));
        times.push(started.elapsed());
    }
    let first = times[0];
    let p50 = median(&mut times);
    report.line(
        &format!("gcore usage_report, {} to now", &gcore_from[..10]),
        format!("{} ({})", ms(p50), ms(first)),
        "<= 20 ms",
        p50 <= Duration::from_millis(20),
    );

    // Health while 8 clients ask for the heaviest report, back to back.
    let stop = Arc::new(AtomicBool::new(false));
    let heavy_url = format!("{base}{}", datadog[0].1);
    let heavy: Vec<_> = (0..8)
        .map(|_| {
            let (client, url, stop) = (reqwest::Client::new(), heavy_url.clone(), stop.clone());
            tokio::spawn(async move {
                let mut answered = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let reply = datadog_get(&client, &url).await;
                    assert_eq!(reply.status(), 200);
                    reply.bytes().await.unwrap();
                    answered += 1;
                }
                answered
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let health = reqwest::Client::new();
    let mut times = Vec::new();
    let until = Instant::now() + settings.health_for;
    while Instant::now() < until {
        let started = Instant::now();
        let reply = health
            .get(format!("{base}/__admin/health"))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        reply.bytes().await.unwrap();
        times.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut reports = 0;
    for task in heavy {
        reports += task.await.unwrap();
    }
    times.sort();
    let p99 = times[(times.len() - 1) * 99 / 100];
    report.info(
        "health asks; historical_cost answers meanwhile",
        format!("{}; {reports}", times.len()),
    );
    report.line(
        "health p99 while 8 clients loop on historical_cost",
        ms(p99),
        "<= 10 ms",
        p99 <= Duration::from_millis(10),
    );
}

async fn datadog_get(client: &reqwest::Client, url: &str) -> reqwest::Response {
    client
        .get(url)
        .header("DD-API-KEY", "mock-dd-demo-api-key")
        .header("DD-APPLICATION-KEY", "mock-dd-demo-app-key")
        .send()
        .await
        .unwrap()
}

async fn get_json(client: &reqwest::Client, url: &str, token: &str) -> Value {
    let reply = client.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(reply.status(), 200);
    reply.json().await.unwrap()
}

// ---------------------------------------------------------------- report

#[derive(Default)]
struct Report {
    lines: Vec<String>,
    missed: usize,
}

impl Report {
    fn section(&mut self, title: String) {
        eprintln!("{title}");
        self.lines.push(String::new());
        self.lines.push(title);
    }

    fn push(&mut self, line: String) {
        eprintln!("{line}");
        self.lines.push(line);
    }

    fn line(&mut self, name: &str, figure: String, target: &str, pass: bool) {
        let verdict = if pass { "PASS" } else { "MISS" };
        if !pass {
            self.missed += 1;
        }
        self.push(format!("  {name:<58} {figure:>22}  {target:<9} {verdict}"));
    }

    fn info(&mut self, name: &str, figure: String) {
        self.push(format!("  {name:<58} {figure:>22}"));
    }

    /// The whole table again, on standard output, once everything ran.
    fn print(&self) {
        for line in &self.lines {
            println!("{line}");
        }
        println!();
        println!("{} target(s) missed", self.missed);
    }
}

fn median_of(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

fn rate(per_second: f64) -> String {
    format!("{:.1}k req/s", per_second / 1000.0)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string())
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mockcloud-versus-axum-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
