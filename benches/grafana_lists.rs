//! The access-policy and token lists at 200k policies (one token each),
//! through the engine (no HTTP): the time of a page (500, the default size)
//! for each documented filter, side by side with the unfiltered page, and
//! the ratio. From the first page, and from a cursor halfway through the
//! collection. Then the worst case of the expiry filters: two bounds on
//! expiries correlated with creation order. The world is described in
//! `mockcloud::bench::grafana_lists`.
//!
//! Run with `cargo bench --bench grafana_lists` (`-- 50000` for another
//! number of policies).

use std::hint::black_box;
use std::time::{Duration, Instant};

use mockcloud::bench::grafana_lists::{ListsWorld, PageShape, RARE_STACK};
use mockcloud::chrono::{DateTime, Duration as Span, SecondsFormat, Utc};

/// Calls `f` for at least a quarter of a second (and 3 times); the mean
/// time a call.
fn time_per_call<T>(mut f: impl FnMut() -> T) -> Duration {
    let started = Instant::now();
    let mut calls = 0u32;
    while calls < 3 || started.elapsed() < Duration::from_millis(250) {
        black_box(f());
        calls += 1;
    }
    started.elapsed() / calls
}

/// The process's resident memory (Linux), to see what the world holds.
fn resident() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!("{} MB resident", kb / 1024))
        })
        .unwrap_or_else(|| "resident memory unknown".into())
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The cursor after the first `pages` pages of `query`.
fn cursor_after(pages: usize, page: impl Fn(&str) -> PageShape, query: &str) -> String {
    let mut cursor = String::new();
    for _ in 0..pages {
        cursor = page(&format!("{query}&pageCursor={cursor}"))
            .next_cursor
            .expect("a next page");
    }
    cursor
}

/// Times each filter's page against the unfiltered one (timed again beside
/// each, so that a busy machine slows both alike), from the start and from
/// `middle` (a cursor halfway through).
fn table(
    title: &str,
    region: &str,
    filters: &[(String, String)],
    page: impl Fn(&str) -> PageShape,
    middle: &str,
) {
    println!("\n  {title}");
    println!(
        "    {:<64} {:>5} {:>9} {:>9} {:>5}   {:>5} {:>9} {:>9} {:>5}",
        "filter", "items", "first", "unfilt.", "ratio", "items", "middle", "unfilt.", "ratio"
    );
    let run = |filter: &str, cursor: &str| {
        let query = format!("region={region}{filter}&pageCursor={cursor}");
        let unfiltered = format!("region={region}&pageCursor={cursor}");
        let items = page(&query).items;
        let time = time_per_call(|| page(&query));
        let base = time_per_call(|| page(&unfiltered));
        (items, time, base)
    };
    for (name, filter) in filters {
        let mut cells = Vec::new();
        for cursor in ["", middle] {
            let (items, time, base) = run(filter, cursor);
            cells.push(format!(
                "{items:>5} {:>9} {:>9} {:>5.2}",
                format!("{time:.1?}"),
                format!("{base:.1?}"),
                time.as_secs_f64() / base.as_secs_f64()
            ));
        }
        println!("    {name:<64} {}   {}", cells[0], cells[1]);
    }
}

fn main() {
    let count: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200_000);
    let started = Instant::now();
    let world = ListsWorld::build(count);
    println!(
        "grafana lists: {count} policies and {count} tokens in one org and region \
         (and {count} tokens of one policy in another), built in {:.1?}, {}",
        started.elapsed(),
        resident()
    );
    let now = world.now();
    let at = |days: i64| iso(now + Span::days(days));
    let (id, name) = world.policy(count * 3 / 4);
    let ids: Vec<String> = (1..=5)
        .map(|k| world.policy(count * k / 6).0.to_string())
        .collect();

    let f = |name: &str, filter: String| (name.to_string(), filter);
    let policies = [
        f(&format!("name={name}"), format!("&name={name}")),
        f("realmType=org", "&realmType=org".into()),
        f("realmType=stack", "&realmType=stack".into()),
        f(
            "realmType=stack&realmIdentifier=456",
            "&realmType=stack&realmIdentifier=456".into(),
        ),
        f(
            &format!("realmType=stack&realmIdentifier={RARE_STACK} (1%)"),
            format!("&realmType=stack&realmIdentifier={RARE_STACK}"),
        ),
        f("status=active (95%)", "&status=active".into()),
        f("status=inactive (5%)", "&status=inactive".into()),
        f(
            "realmType=stack&status=active",
            "&realmType=stack&status=active".into(),
        ),
        f(
            &format!("realmType=stack&realmIdentifier={RARE_STACK}&status=inactive"),
            format!("&realmType=stack&realmIdentifier={RARE_STACK}&status=inactive"),
        ),
    ];
    let tokens = [
        f("name=token-…", format!("&name=token-{}", count * 3 / 4)),
        f("accessPolicyId", format!("&accessPolicyId={id}")),
        f(
            "accessPolicyIds (5)",
            format!("&accessPolicyIds={}", ids.join(",")),
        ),
        f("accessPolicyName", format!("&accessPolicyName={name}")),
        f(
            "accessPolicyRealmType=stack",
            "&accessPolicyRealmType=stack".into(),
        ),
        f(
            &format!("accessPolicyRealmType=stack&accessPolicyRealmIdentifier={RARE_STACK}"),
            format!("&accessPolicyRealmType=stack&accessPolicyRealmIdentifier={RARE_STACK}"),
        ),
        f(
            "accessPolicyStatus=active",
            "&accessPolicyStatus=active".into(),
        ),
        f(
            "accessPolicyStatus=inactive",
            "&accessPolicyStatus=inactive".into(),
        ),
        f(
            "expiresBefore=now-360d (0.3%)",
            format!("&expiresBefore={}", at(-360)),
        ),
        f(
            "expiresBefore=now (33%)",
            format!("&expiresBefore={}", at(0)),
        ),
        f(
            "expiresAfter=now+360d (0.3%)",
            format!("&expiresAfter={}", at(360)),
        ),
        f("expiresAfter=now (33%)", format!("&expiresAfter={}", at(0))),
        f("includeExpired=false (67%)", "&includeExpired=false".into()),
        f("includeExpired=true", "&includeExpired=true".into()),
        f(
            "accessPolicyStatus=inactive&expiresBefore=now-360d",
            format!("&accessPolicyStatus=inactive&expiresBefore={}", at(-360)),
        ),
        f(
            "two bounds: includeExpired=false&expiresBefore=now+7d (0.6%)",
            format!("&includeExpired=false&expiresBefore={}", at(7)),
        ),
        f(
            "two bounds: expiresAfter=now-1d&expiresBefore=now+1d (0.2%)",
            format!("&expiresAfter={}&expiresBefore={}", at(-1), at(1)),
        ),
        f(
            "two bounds: expiresAfter=now-180d&expiresBefore=now+180d (33%)",
            format!("&expiresAfter={}&expiresBefore={}", at(-180), at(180)),
        ),
    ];
    let policies_page = |query: &str| world.policies_page(query);
    let tokens_page = |query: &str| world.tokens_page(query);
    let half = count / 500 / 2;
    let middle = cursor_after(half, policies_page, "region=us");
    table(
        "GET /api/v1/accesspolicies?region=us&…",
        "us",
        &policies,
        policies_page,
        &middle,
    );
    let middle = cursor_after(half, tokens_page, "region=us");
    table(
        "GET /api/v1/tokens?region=us&…",
        "us",
        &tokens,
        tokens_page,
        &middle,
    );
    // Expiries correlated with creation order: the first three quarters
    // on either side of the window in turn, the last quarter within it.
    let (after, before) = world.worst_case_window();
    let worst = [f(
        "two bounds, correlated: expiresAfter=now-2d&expiresBefore=now+2d",
        format!("&expiresAfter={}&expiresBefore={}", iso(after), iso(before)),
    )];
    let middle = cursor_after(half, tokens_page, "region=eu");
    table(
        "GET /api/v1/tokens?region=eu&… (the worst case: 25% in the window, all created last)",
        "eu",
        &worst,
        tokens_page,
        &middle,
    );
}
