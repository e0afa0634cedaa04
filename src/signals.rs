//! The signals `lofte daemon` answers, at the edge of the program: `cli` turns them into the shutdown future and
//! the reload request that [`crate::daemon::run`] takes, so the daemon itself never handles a signal or exits the
//! process (docs/schedule.md, "Signals").

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{oneshot, Notify};
use tracing::info;

/// The exit code after a second SIGTERM or SIGINT: 128 + SIGINT, what a shell reports for an interrupted program.
pub const EXIT_ON_SECOND_SIGNAL: i32 = 130;

/// What the process's signals ask the daemon for.
pub struct DaemonSignals {
    /// Resolves at the first SIGTERM or SIGINT: stop once the run in hand is done. A second one does not wait for
    /// that: it ends the process at once with [`EXIT_ON_SECOND_SIGNAL`].
    pub shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
    /// Notified at every SIGHUP (`systemctl reload lofte`): read the configuration again.
    pub reload: Arc<Notify>,
}

/// Starts listening for SIGTERM, SIGINT and SIGHUP; from then on they no longer end the process by their default
/// action. Must be called inside a tokio runtime (it spawns the task that listens).
pub fn listen() -> std::io::Result<DaemonSignals> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let (stop, stopped) = oneshot::channel::<()>();
    let reload = Arc::new(Notify::new());
    let notify = reload.clone();
    tokio::spawn(async move {
        let mut stop = Some(stop);
        loop {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
                _ = hup.recv() => {
                    info!("SIGHUP: reloading the configuration");
                    notify.notify_one();
                    continue;
                }
            }
            let Some(stop) = stop.take() else {
                // The operator chose not to wait for the run in hand; what this interrupts is picked up at the
                // next start, like after a kill (docs/delivery.md).
                eprintln!("lofte: second signal, exiting now");
                std::process::exit(EXIT_ON_SECOND_SIGNAL);
            };
            info!("stop requested: finishing the run in hand (a second signal exits at once)");
            let _ = stop.send(());
        }
    });
    // If the listening task ended (it does not), the daemon would stop rather than run on deaf to signals.
    let shutdown = Box::pin(async move {
        let _ = stopped.await;
    });
    Ok(DaemonSignals { shutdown, reload })
}
