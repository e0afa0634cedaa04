//! lofte: follow-up of Swedish *medborgarlöften* (citizen pledges between a police area and a municipality).
//!
//! The stages, in the order [`pipeline`] runs them: [`config`] → [`source`] → [`validate`] (against the
//! [`pledge`] document) → [`progress`] → report → deliver → archive. [`schedule`] decides when, [`cli`] parses
//! arguments. Each stage has its own error type; only `main` uses `anyhow`.

pub mod archive;
pub mod archive_cli;
pub mod check;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod deliver;
pub mod edition;
pub mod fault;
pub mod generate;
pub mod logging;
pub mod period;
pub mod pipeline;
pub mod pledge;
pub mod problem;
pub mod progress;
pub mod report;
pub mod schedule;
pub mod source;
pub mod text;
pub mod validate;
