//! Criterion benchmarks of the in-process stages on the shipped sample: reading and validating the CSV, the polars
//! aggregation, and rendering the public PDF. `cargo bench --bench stages`.

use std::path::PathBuf;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use lofte::config::{Config, Env};
use lofte::edition::Edition;
use lofte::period::Period;
use lofte::report::templates::Texts;
use lofte::report::{input_hash, pdf, ReportInput};
use lofte::source::csv::read_bytes;
use lofte::validate::validate_all;

fn stages(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = Config::load(&root.join("config/lofte.toml"), &Env::default()).expect("shipped config");
    let pledge = &config.pledges[0];
    let bytes = std::fs::read(root.join("config/data/oskarshamn-2021.csv")).expect("sample");
    let read_and_validate = || {
        let mut rows = Vec::new();
        read_bytes(&Arc::from("s"), &Arc::from("sample.csv"), &bytes, &mut |r| rows.push(r)).expect("readable");
        validate_all(pledge, rows)
    };
    c.bench_function("sample: read + validate", |b| b.iter(read_and_validate));

    let validated = read_and_validate();
    let period = Period::parse("2021-H1").expect("period");
    c.bench_function("sample: aggregate (polars)", |b| {
        b.iter(|| lofte::progress::compute(pledge, &period, &validated, &[]).expect("progress"));
    });

    let progress = lofte::progress::compute(pledge, &period, &validated, &[]).expect("progress");
    let texts = Texts::load(config.language).expect("templates");
    let hash = input_hash(&validated);
    let input = ReportInput {
        pledge,
        progress: &progress,
        validated: &validated,
        edition: Edition::Public,
        generated_at: chrono::DateTime::from_timestamp(1_625_122_800, 0).expect("time"),
        input_hash: &hash,
        stamp: lofte::report::Stamp::None,
        max_rejected_rows: 200,
    };
    c.bench_function("sample: render public PDF", |b| b.iter(|| pdf::render(&input, &texts).expect("render")));
}

criterion_group!(benches, stages);
criterion_main!(benches);
