//! Two months of `hourly_usage` for every product family of one org,
//! through the engine (no HTTP): the first page, the last page (a page is
//! computed from its record numbers alone, so it costs the same anywhere),
//! and a walk over every page.
//!
//! Run with `cargo bench --bench datadog_hourly`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use mockcloud::bench::datadog_hourly_one_org_page as page;

const SEED: u64 = 1;
const PAGE_LIMIT: u64 = 500;

/// Calls `f` for at least a second (and 3 times); the mean time a call.
fn time_per_call<T>(mut f: impl FnMut() -> T) -> Duration {
    let started = Instant::now();
    let mut calls = 0u32;
    while calls < 3 || started.elapsed() < Duration::from_secs(1) {
        black_box(f());
        calls += 1;
    }
    started.elapsed() / calls
}

fn main() {
    let at = |text: &str| text.parse::<DateTime<Utc>>().expect("a timestamp");
    let now = at("2026-06-15T12:00:00Z");
    let window = (at("2026-03-01T00:00:00Z"), at("2026-05-01T00:00:00Z"));

    let walk = || {
        let mut after = 0;
        loop {
            let (records, more) = page(SEED, now, window, PAGE_LIMIT, after);
            after += records as u64;
            if !more {
                return after;
            }
        }
    };
    let records = walk();
    let pages = records.div_ceil(PAGE_LIMIT);

    let first = time_per_call(|| page(SEED, now, window, PAGE_LIMIT, 0));
    let last = time_per_call(|| page(SEED, now, window, PAGE_LIMIT, (pages - 1) * PAGE_LIMIT));
    let whole = time_per_call(walk);
    println!("datadog hourly_usage, one org, every product family, 2026-03-01 to 2026-05-01");
    println!("  {records} records in {pages} pages of {PAGE_LIMIT}");
    println!("  first page:  {first:?} a call");
    println!("  last page:   {last:?} a call");
    println!(
        "  every page:  {whole:?} a walk ({:?} a record)",
        whole / records as u32
    );
}
