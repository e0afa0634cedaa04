//! Benchmark: validate + aggregate N generated records (default 1,000,000, about 70 MB of CSV), measured against
//! 3 s and 1 GB on two cores; the product budget is stricter, 1 s and 400 MB (docs/budgets.md). Run with
//! `cargo bench --bench ingest`; `LOFTE_BENCH_RECORDS=10000000` for more.
//!
//! A plain harness, not criterion: one run of this size is the measurement, and peak memory (`VmHWM`) needs a fresh
//! process anyway.

use std::path::PathBuf;
use std::time::Instant;

use lofte::config::{Config, Env};
use lofte::pipeline::{self, RecordsOverride};

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let n: usize = std::env::var("LOFTE_BENCH_RECORDS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = dir.path().join("records.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).expect("create"));
    lofte::generate::large(1, n, &mut out, b',').expect("generate");
    drop(out);
    let size_mb = std::fs::metadata(&file).map_or(0, |m| m.len()) as f64 / 1e6;

    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = Config::load(&root.join("config/lofte.toml"), &Env::default()).expect("shipped config");
    let records = RecordsOverride(vec![file]);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let rss_before = peak_rss_mb();
    let started = Instant::now();
    let follow_up = runtime
        .block_on(pipeline::follow_up(&config, &lofte::period::Period::parse("2021").expect("period"), &records, &[]))
        .expect("pipeline");
    let elapsed = started.elapsed();
    let peak = peak_rss_mb();
    let (accepted, rejected, duplicates) =
        (follow_up.validated.accepted.len(), follow_up.validated.rejected.len(), follow_up.validated.duplicates);
    drop(follow_up);
    // The stages apart, to see where the time goes.
    let pledge = &config.pledges[0];
    let t = Instant::now();
    let validated =
        runtime.block_on(pipeline::ingest(&config, pledge, &records, chrono::NaiveDate::MAX)).expect("ingest");
    let ingest = t.elapsed();
    let t = Instant::now();
    let period = lofte::period::Period::parse("2021").expect("period");
    lofte::progress::compute(pledge, &period, &validated, &[]).expect("progress");
    println!("  of which read+validate {:.2} s, aggregate {:.2} s", ingest.as_secs_f64(), t.elapsed().as_secs_f64());
    println!(
        "ingest+aggregate: {n} records ({size_mb:.0} MB CSV): {:.2} s wall, peak RSS {:.0} MB (before: {rss_before:.0} MB); accepted {}, rejected {}, duplicates {}",
        elapsed.as_secs_f64(),
        peak, accepted, rejected, duplicates
    );
}
