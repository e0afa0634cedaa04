//! The SMTP URL, parsed once: the same [`SmtpSettings`] value is what `lofte check` judges and what the transport
//! connects with, so the check can never pass a URL that the mail library would read differently.
//!
//! Accepted forms: `smtps://user@host[:465]` (implicit TLS), `smtp://user@host[:587]?tls=required` (STARTTLS,
//! required), and plain `smtp://host[:25]` or `?tls=opportunistic` to a loopback relay only. Every query parameter
//! other than one `tls` is refused, as is a password in the URL (it comes from `LOFTE_SMTP_PASSWORD`).

use std::fmt;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// TLS from the first byte (`smtps://`, port 465).
    ImplicitTls,
    /// STARTTLS, and the send fails if the server does not offer it (`?tls=required`, port 587).
    StartTlsRequired,
    /// STARTTLS when offered, else plain: loopback only (`?tls=opportunistic`).
    Opportunistic,
    /// No TLS: loopback only.
    Plain,
}

/// A checked SMTP URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    /// Host name or IP address.
    pub host: String,
    /// Port (the scheme's default when the URL names none).
    pub port: u16,
    /// User name for authentication, if any.
    pub user: Option<String>,
    /// TLS mode.
    pub security: SmtpSecurity,
}

impl SmtpSettings {
    /// Parses and checks an SMTP URL; the error says what is wrong and what to write instead.
    pub fn parse(text: &str) -> Result<SmtpSettings, String> {
        let url = url::Url::parse(text)
            .map_err(|e| format!("SMTP URL is not a URL ({e}): write e.g. smtps://user@mail.example.se:465"))?;
        if url.password().is_some() {
            return Err("SMTP URL holds a password: remove it and set LOFTE_SMTP_PASSWORD instead".into());
        }
        let Some(host) = url.host() else {
            return Err("SMTP URL has no host: write e.g. smtps://user@mail.example.se:465".into());
        };
        if !matches!(url.path(), "" | "/") || url.fragment().is_some() {
            return Err(format!(
                "SMTP URL has a path or fragment ({}); write only scheme, user, host and port",
                url.path()
            ));
        }
        let loopback = super::is_loopback_host(&host);
        let host_text = host.to_string();
        let mut tls: Option<String> = None;
        for (key, value) in url.query_pairs() {
            if key != "tls" {
                return Err(format!(
                    "SMTP URL parameter {key:?} is not supported: only tls (tls=required; to a loopback relay also tls=opportunistic)"
                ));
            }
            if let Some(first) = &tls {
                return Err(format!(
                    "SMTP URL names tls twice (tls={first} and tls={value}); give it once, e.g. ?tls=required"
                ));
            }
            tls = Some(value.into_owned());
        }
        let security = match (url.scheme(), tls.as_deref()) {
            ("smtps", None) => SmtpSecurity::ImplicitTls,
            ("smtps", Some(value)) => {
                return Err(format!(
                    "SMTP URL smtps:// is implicit TLS already; remove ?tls={value} (or use smtp://…?tls=required for STARTTLS)"
                ))
            }
            ("smtp", Some("required")) => SmtpSecurity::StartTlsRequired,
            ("smtp", Some("opportunistic")) if loopback => SmtpSecurity::Opportunistic,
            ("smtp", None) if loopback => SmtpSecurity::Plain,
            ("smtp", None) => {
                return Err(format!(
                    "SMTP URL sends without TLS to {host_text}, which is not a loopback address: use smtps://{host_text}:465 (implicit TLS) or smtp://{host_text}:587?tls=required (STARTTLS)"
                ))
            }
            ("smtp", Some("opportunistic")) => {
                return Err(format!(
                    "SMTP URL tls=opportunistic could send in clear to {host_text}, which is not a loopback address: use tls=required"
                ))
            }
            ("smtp", Some(other)) => {
                return Err(format!("SMTP URL tls={other:?} is not understood: write tls=required"));
            }
            (other, _) => return Err(format!("SMTP URL scheme {other:?} is not supported: use smtps:// or smtp://")),
        };
        let default_port = match security {
            SmtpSecurity::ImplicitTls => 465,
            SmtpSecurity::StartTlsRequired => 587,
            SmtpSecurity::Opportunistic | SmtpSecurity::Plain => 25,
        };
        let user = Some(url.username()).filter(|u| !u.is_empty()).map(percent_decode);
        Ok(SmtpSettings {
            host: host_text.trim_matches(['[', ']']).to_string(),
            port: url.port().unwrap_or(default_port),
            user,
            security,
        })
    }
}

/// `%40` and friends in a user name (`user%40example.se`) back to text.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl fmt::Display for SmtpSettings {
    /// The URL without the user name, for `check` and logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (scheme, query) = match self.security {
            SmtpSecurity::ImplicitTls => ("smtps", ""),
            SmtpSecurity::StartTlsRequired => ("smtp", "?tls=required"),
            SmtpSecurity::Opportunistic => ("smtp", "?tls=opportunistic"),
            SmtpSecurity::Plain => ("smtp", ""),
        };
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        write!(f, "{scheme}://{host}:{}{query}", self.port)
    }
}
