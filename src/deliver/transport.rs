//! How a message leaves: SMTP (implicit TLS, STARTTLS required, or plain to a loopback relay) with every send
//! bounded by a timeout, or, with no SMTP configured, a folder of `.eml` files named by Message-ID.

use std::path::PathBuf;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::message::Built;
use super::DeliverError;
use crate::config::{Config, SmtpSecurity};

/// The outcome of one failed send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Worth retrying later: a 4xx reply, no connection, a timeout.
    Transient(String),
    /// Final: a 5xx reply (with the server's text).
    Permanent(String),
}

/// Where messages go.
pub enum Transport {
    /// An SMTP server, and the bound on one send.
    Smtp(AsyncSmtpTransport<Tokio1Executor>, Duration),
    /// A folder of `.eml` files.
    Files(PathBuf),
}

impl Transport {
    /// The transport the configuration asks for; the password only ever comes from `LOFTE_SMTP_PASSWORD`. It is
    /// built from the same parsed [`SmtpSettings`] that the config check judged, never from the URL text again.
    pub fn from_config(config: &Config) -> Result<Transport, DeliverError> {
        let Some(settings) = &config.smtp.settings else {
            return Ok(Transport::Files(config.outbox_dir.clone()));
        };
        let bound = Duration::from_secs(config.smtp.timeout_secs);
        let tls = || {
            TlsParameters::new(settings.host.clone())
                .map_err(|source| DeliverError::Transport { server: settings.to_string(), source })
        };
        let builder = match settings.security {
            SmtpSecurity::ImplicitTls => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host).tls(Tls::Wrapper(tls()?))
            }
            SmtpSecurity::StartTlsRequired => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host).tls(Tls::Required(tls()?))
            }
            SmtpSecurity::Opportunistic => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host).tls(Tls::Opportunistic(tls()?))
            }
            SmtpSecurity::Plain => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host).tls(Tls::None)
            }
        };
        // A pooled connection returns as soon as the server has accepted a message, without waiting for the
        // reply to QUIT, so the status is recorded as close to the acceptance as SMTP allows (docs in `deliver`).
        let pool = PoolConfig::new().max_size(1).idle_timeout(Duration::from_secs(30));
        let mut builder = builder.port(settings.port).timeout(Some(bound)).pool_config(pool);
        if let Ok(password) = std::env::var("LOFTE_SMTP_PASSWORD") {
            builder = builder.credentials(Credentials::new(settings.user.clone().unwrap_or_default(), password));
        }
        Ok(Transport::Smtp(builder.build(), bound))
    }

    /// Closes pooled connections politely (QUIT), at the end of a pass.
    pub async fn close(&self) {
        if let Transport::Smtp(smtp, _) = self {
            smtp.shutdown().await;
        }
    }

    /// Sends one message to its one recipient.
    pub async fn send(&self, built: &Built) -> Result<(), SendError> {
        match self {
            Transport::Files(dir) => {
                write_eml(dir, built).map_err(|e| SendError::Transient(format!("{}: {e}", dir.display())))
            }
            Transport::Smtp(smtp, bound) => {
                match tokio::time::timeout(*bound, smtp.send_raw(&built.envelope, &built.bytes)).await {
                    Err(_) => Err(SendError::Transient(format!(
                        "no answer from the SMTP server within {} s",
                        bound.as_secs()
                    ))),
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) if e.is_permanent() => Err(SendError::Permanent(reply(&e))),
                    Ok(Err(e)) => Err(SendError::Transient(reply(&e))),
                }
            }
        }
    }
}

/// The error with the server's reply text, which is what a coordinator needs to act on.
fn reply(e: &lettre::transport::smtp::Error) -> String {
    match (e.status(), std::error::Error::source(e)) {
        (Some(code), Some(text)) => format!("{code} {text}"),
        (_, Some(cause)) => format!("{e}: {cause}"),
        _ => e.to_string(),
    }
}

/// The file name of a message: its Message-ID without the brackets, `/` and other risky characters replaced.
#[must_use]
pub fn eml_name(message_id: &str) -> String {
    let id: String = message_id
        .trim_matches(['<', '>'])
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@') { c } else { '_' })
        .collect();
    format!("{id}.eml")
}

/// Writes the message atomically (temporary name, then rename), so a crash never leaves half a message. A file
/// that is there already is this message delivered by an earlier attempt that stopped before recording it (the
/// name is the Message-ID, unique per recipient and version), so it is not written twice.
fn write_eml(dir: &std::path::Path, built: &Built) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(eml_name(&built.message_id));
    if path.exists() {
        return Ok(());
    }
    let temp = dir.join(format!(".{}.tmp", eml_name(&built.message_id)));
    std::fs::write(&temp, &built.bytes)?;
    std::fs::File::open(&temp)?.sync_all()?;
    std::fs::rename(&temp, &path)
}
