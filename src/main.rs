//! The `lofte` binary: parse arguments, set up logging, run the command, turn the outcome into an exit code
//! (0 success, 1 the job failed, 2 bad usage or configuration).

use std::process::ExitCode;

use clap::Parser;
use lofte::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    lofte::logging::init(cli.verbosity(), cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = e.exit_code();
            eprintln!("error: {}", message(&e));
            ExitCode::from(code)
        }
    }
}

/// The error and its causes on one line, each cause once: most messages already quote their cause, so a cause
/// whose text is in the line already is not repeated.
fn message(e: &dyn std::error::Error) -> String {
    let mut line = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = c.source();
    }
    line
}
