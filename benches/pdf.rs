//! Benchmark: rendering the shipped sample's public PDF (docs/budgets.md: under 300 KB; issue budget: under 100 ms).
//! Run with `cargo bench --bench pdf`.

use std::path::PathBuf;
use std::time::Instant;

use lofte::config::{Config, Env};
use lofte::edition::Edition;
use lofte::pipeline::{self, RecordsOverride};
use lofte::report::templates::Texts;
use lofte::report::{input_hash, pdf, ReportInput};

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = Config::load(&root.join("config/lofte.toml"), &Env::default()).expect("shipped config");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let follow_up = runtime
        .block_on(pipeline::follow_up(
            &config,
            &lofte::period::Period::parse("2021-H1").expect("period"),
            &RecordsOverride::default(),
            &[],
        ))
        .expect("pipeline");
    let texts = Texts::load(config.language).expect("templates");
    let hash = input_hash(&follow_up.validated);
    let input = ReportInput {
        pledge: &follow_up.pledge,
        progress: &follow_up.progress,
        validated: &follow_up.validated,
        edition: Edition::Public,
        generated_at: chrono::DateTime::from_timestamp(1_625_122_800, 0).expect("time"),
        input_hash: &hash,
        stamp: lofte::report::Stamp::None,
        max_rejected_rows: 200,
    };
    let runs = 30;
    let mut size = 0;
    let started = Instant::now();
    for _ in 0..runs {
        size = pdf::render(&input, &texts).expect("render").len();
    }
    let per_run = started.elapsed().as_secs_f64() * 1000.0 / f64::from(runs);
    println!("public PDF of the sample: {per_run:.1} ms per render (mean of {runs}), {size} bytes");
}
