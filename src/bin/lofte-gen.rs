//! `lofte-gen`: writes the shipped sample data, or large synthetic record sets for benchmarks.
//!
//! `cargo run --bin lofte-gen -- sample --out config/data/oskarshamn-2021.csv` regenerates the sample (same seed,
//! same bytes); `cargo run --release --bin lofte-gen -- large --records 1000000 --out /tmp/1m.csv` a benchmark set.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "lofte-gen", about = "Generate lofte activity records")]
struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand)]
enum What {
    /// The Oskarshamn 2021 sample: a realistic year plus a handful of bad rows.
    Sample {
        /// Seed; the shipped file uses 2021.
        #[arg(long, default_value_t = 2021)]
        seed: u64,
        /// Output file (standard output when absent).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// COUNT municipalities, each with its own config, pledge document and RECORDS rows (benchmarks).
    Municipalities {
        /// How many municipalities.
        #[arg(long, default_value_t = 290)]
        count: usize,
        /// Rows per municipality.
        #[arg(long, default_value_t = 500)]
        records: usize,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
    },
    /// N synthetic records for the Oskarshamn 2021 document, about 1 % bad.
    Large {
        /// How many records.
        #[arg(long)]
        records: usize,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Use semicolons instead of commas.
        #[arg(long)]
        semicolon: bool,
        /// Output file (standard output when absent).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn open(out: Option<&PathBuf>) -> io::Result<Box<dyn Write>> {
    Ok(match out {
        Some(path) => Box::new(BufWriter::new(File::create(path)?)),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    })
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match &args.what {
        What::Municipalities { count, records, seed, out } => {
            lofte::generate::municipalities(*seed, *count, *records, out)
        }
        What::Sample { seed, out } => open(out.as_ref()).and_then(|mut w| {
            lofte::generate::write_sample(*seed, &mut w)?;
            w.flush()
        }),
        What::Large { records, seed, semicolon, out } => open(out.as_ref()).and_then(|mut w| {
            lofte::generate::large(*seed, *records, &mut w, if *semicolon { b';' } else { b',' })?;
            w.flush()
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
