//! The HTTP JSON API source (docs/records.md): `GET url` returns `{"records": [...], "next": url | null}`; `next`
//! is followed until null.
//!
//! Every request has connect, read and total timeouts (reqwest sets none by default). Connect errors, timeouts,
//! 5xx and 429 are retried with exponential backoff and jitter, honouring `Retry-After`. Pages, records and body
//! size are bounded, a `next` loop is detected, and HTTPS is required except to loopback. The bearer token comes
//! from the environment variable the config names and never appears in a log or an error.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use serde_json::Value;
use tracing::{debug, warn};

use super::{Fields, Locator, Position, RawRecord, SourceError};
use crate::config::ApiConfig;

/// The longest wait a `Retry-After` header can impose; a server asking for more is treated as down.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// Reads every page of the API into `sink`; returns the number of records read.
pub async fn read(api: &ApiConfig, sink: &mut dyn FnMut(RawRecord)) -> Result<usize, SourceError> {
    let fail =
        |url: &str, reason: String| SourceError::Api { source_name: api.name.clone(), url: url.to_string(), reason };
    let token = match &api.token_env {
        None => None,
        Some(var) => Some(std::env::var(var).map_err(|_| {
            fail(&api.url, format!("the environment variable {var} (token_env) is not set: export the API token in it"))
        })?),
    };
    // `Client::new()` panics on a machine without CA certificates; the builder returns an error instead.
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(api.connect_timeout_secs))
        .read_timeout(Duration::from_secs(api.timeout_secs))
        .timeout(Duration::from_secs(api.timeout_secs))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| fail(&api.url, format!("cannot set up the HTTP client: {e}")))?;

    let source: Arc<str> = Arc::from(api.name.as_str());
    let mut url = Url::parse(&api.url).map_err(|e| fail(&api.url, format!("not a URL: {e}")))?;
    // The token (and the trust in the records) belongs to the configured origin only.
    let configured = url.origin();
    let mut seen = HashSet::new();
    let mut total = 0usize;
    for page in 0.. {
        if page >= api.max_pages {
            return Err(fail(
                url.as_str(),
                format!("more than {} pages (max_pages); raise the bound if this is real", api.max_pages),
            ));
        }
        if !seen.insert(url.clone()) {
            return Err(fail(
                url.as_str(),
                "the `next` links lead back to a page already read (a loop); fix the API's paging".into(),
            ));
        }
        check_scheme(&url).map_err(|r| fail(url.as_str(), r))?;
        let body = get_with_retries(&client, api, &url, token.as_deref()).await.map_err(|r| fail(url.as_str(), r))?;
        let value: Value = serde_json::from_slice(&body)
            .map_err(|e| fail(url.as_str(), format!("the response is not valid JSON ({e}); nothing was used")))?;
        let Some(records) = value.get("records").and_then(Value::as_array) else {
            return Err(fail(url.as_str(), "the response has no \"records\" array".into()));
        };
        if total + records.len() > api.max_records {
            return Err(fail(
                url.as_str(),
                format!("more than {} records (max_records); raise the bound if this is real", api.max_records),
            ));
        }
        let origin: Arc<str> = Arc::from(url.as_str());
        for (index, record) in records.iter().enumerate() {
            sink(RawRecord {
                locator: Locator {
                    source: source.clone(),
                    origin: origin.clone(),
                    position: Position::Index(index as u64),
                },
                fields: fields(record),
                raw: record.to_string(),
            });
        }
        total += records.len();
        debug!(source = %api.name, page, records = records.len(), "read api page");
        match value.get("next") {
            None | Some(Value::Null) => break,
            Some(Value::String(next)) => {
                let joined =
                    url.join(next).map_err(|e| fail(url.as_str(), format!("`next` {next:?} is not a URL: {e}")))?;
                if joined.origin() != configured {
                    return Err(fail(
                        url.as_str(),
                        format!(
                            "`next` points to {}, another origin than the configured {}; lofte sends the token and takes records only from the configured origin. Nothing was used",
                            joined.origin().ascii_serialization(),
                            configured.ascii_serialization()
                        ),
                    ));
                }
                url = joined;
            }
            Some(other) => return Err(fail(url.as_str(), format!("`next` must be a URL or null, not {other}"))),
        }
    }
    Ok(total)
}

fn check_scheme(url: &Url) -> Result<(), String> {
    let loopback = url.host().is_some_and(|h| crate::config::is_loopback_host(&h));
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err("HTTPS is required (plain http only to a loopback address)".into()),
    }
}

/// One GET with retries on connect errors, timeouts, 5xx and 429. Returns the body.
async fn get_with_retries(
    client: &reqwest::Client,
    api: &ApiConfig,
    url: &Url,
    token: Option<&str>,
) -> Result<Vec<u8>, String> {
    let mut attempt = 0u32;
    loop {
        let outcome = get_once(client, api, url, token).await;
        let (reason, retry_after) = match outcome {
            Attempt::Done(body) => return Ok(body),
            Attempt::Fatal(reason) => return Err(reason),
            Attempt::Transient { reason, retry_after } => (reason, retry_after),
        };
        if attempt >= api.retries {
            return Err(format!("{reason}; gave up after {} attempts", attempt + 1));
        }
        let wait = match retry_after {
            Some(d) if d > MAX_RETRY_AFTER => {
                return Err(format!("{reason}; the server asks to wait {}s, longer than lofte will", d.as_secs()))
            }
            Some(d) => d,
            None => backoff(api.retry_base_ms, attempt),
        };
        warn!(url = %url, attempt = attempt + 1, wait_ms = wait.as_millis() as u64, "{reason}; retrying");
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

enum Attempt {
    Done(Vec<u8>),
    Transient { reason: String, retry_after: Option<Duration> },
    Fatal(String),
}

async fn get_once(client: &reqwest::Client, api: &ApiConfig, url: &Url, token: Option<&str>) -> Attempt {
    let mut request = client.get(url.clone()).header("Accept", "application/json");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let mut response = match request.send().await {
        Ok(r) => r,
        Err(e) if e.is_connect() || e.is_timeout() => {
            return Attempt::Transient { reason: describe(&e), retry_after: None }
        }
        Err(e) => return Attempt::Fatal(describe(&e)),
    };
    let status = response.status();
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        return Attempt::Transient {
            reason: format!("the server answered {status}"),
            retry_after: retry_after(response.headers()),
        };
    }
    if status.is_redirection() {
        let location = response.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("");
        let target = url.join(location).map_or_else(|_| location.to_string(), |u| u.origin().ascii_serialization());
        return Attempt::Fatal(format!(
            "the server answered {status}, a redirect to {target}; lofte does not follow redirects (the token must not go elsewhere): put the final address in the config"
        ));
    }
    if !status.is_success() {
        let hint = if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            ": check the token in the variable named by token_env"
        } else {
            ""
        };
        return Attempt::Fatal(format!("the server answered {status}{hint}"));
    }
    if let Some(kind) = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        if !kind.to_ascii_lowercase().contains("json") {
            return Attempt::Fatal(format!("the response is {kind:?}, not JSON; check the URL"));
        }
    }
    let too_big = || {
        Attempt::Fatal(format!(
            "the response is larger than {} bytes (max_body_bytes); nothing was used",
            api.max_body_bytes
        ))
    };
    if response.content_length().is_some_and(|n| n > api.max_body_bytes as u64) {
        return too_big();
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > api.max_body_bytes {
                    return too_big();
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Attempt::Done(body),
            Err(e) if e.is_timeout() => return Attempt::Transient { reason: describe(&e), retry_after: None },
            Err(e) => return Attempt::Fatal(format!("the response broke off: {}", describe(&e))),
        }
    }
}

/// reqwest's error text without the URL's query (which could hold a key) and with its cause.
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    match std::error::Error::source(e) {
        Some(cause) => format!("{kind} ({cause})"),
        None => kind.to_string(),
    }
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// Exponential backoff with up to 50 % jitter, capped at a minute.
fn backoff(base_ms: u64, attempt: u32) -> Duration {
    let exp = base_ms.saturating_mul(1u64 << attempt.min(16)).min(60_000);
    let nanos = u64::from(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos(),
    );
    let jitter = if exp == 0 { 0 } else { nanos % (exp / 2 + 1) };
    Duration::from_millis(exp + jitter)
}

/// The record's fields; numbers become text, so that one validation serves CSV and JSON alike.
fn fields(record: &Value) -> Fields {
    let get = |name: &str| match record.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Some(other) => Some(other.to_string()),
    };
    Fields {
        id: get("id"),
        date: get("date"),
        party: get("party"),
        activity: get("activity"),
        location: get("location"),
        count: get("count"),
        milestone: get("milestone"),
        note: get("note"),
        municipality: get("municipality"),
        value: get("value"),
        document: get("document"),
    }
}
