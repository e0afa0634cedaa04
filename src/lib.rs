//! lofte: follow-up of Swedish *medborgarlöften* (citizen pledges between a police area and a municipality).
//!
//! The stages, in the order [`pipeline`] runs them: [`config`] → [`source`] → [`validate`] (against the
//! [`pledge`] document) → [`progress`] → [`report`] → [`archive`] → [`deliver`] → the public site. [`schedule`]
//! decides when, [`cli`] parses arguments. Each stage has its own error type carrying its cause; `main` prints
//! the chain. The design and the behavioural contract are in `docs/` (start at docs/README.md).

/// Prints to standard output; a reader that went away (`lofte status | head`) ends the output quietly instead of
/// panicking, as `println!` would.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = std::io::stdout().lock().write_fmt(format_args!($($arg)*));
    }};
}

/// [`out!`] with a line break.
macro_rules! outln {
    () => { out!("\n") };
    ($($arg:tt)*) => {{ out!($($arg)*); out!("\n"); }};
}

pub mod archive;
pub(crate) mod archive_cli;
pub(crate) mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod daemon;
pub(crate) mod deliver;
pub mod edition;
pub(crate) mod fault;
pub mod followup;
pub mod generate;
pub(crate) mod hash;
pub(crate) mod language;
pub mod logging;
pub mod period;
pub mod pipeline;
pub mod pledge;
pub mod problem;
pub mod progress;
pub mod report;
pub(crate) mod review_cli;
pub(crate) mod schedule;
pub(crate) mod signals;
pub(crate) mod site;
pub mod source;
pub mod state;
pub(crate) mod text;
pub mod validate;
