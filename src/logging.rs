//! Structured logs with tracing, to stderr: quiet by default (warnings and errors), `-v` for progress, `-vv` for
//! detail, `-q` for errors only; `--log-format json` for a log collector. `RUST_LOG` overrides the level.

use tracing_subscriber::EnvFilter;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the global subscriber. `verbosity` is the number of `-v` minus the number of `-q`.
pub fn init(verbosity: i8, format: LogFormat) {
    let level = match verbosity {
        i8::MIN..=-1 => "error",
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(format!("lofte={level},warn")));
    // Colour codes only for a person at a terminal, never in a file or a log collector.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(ansi);
    // A second init (tests calling the CLI twice in one process) is harmless: keep the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
