//! Fault injection for crash tests: with `LOFTE_FAULT=<point>` in the environment, the process aborts (no
//! unwinding, no clean-up, like a power cut or `kill -9`) when it reaches that point. Unset, a point costs one
//! environment lookup.

/// Aborts the process if `LOFTE_FAULT` names this point.
pub fn point(name: &str) {
    if std::env::var("LOFTE_FAULT").is_ok_and(|v| v == name) {
        eprintln!("LOFTE_FAULT: aborting at {name}");
        std::process::abort();
    }
}
