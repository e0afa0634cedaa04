//! The HTTP API source against a real HTTP server on 127.0.0.1 (`tiny_http`, in-process).

use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use lofte::config::ApiConfig;
use lofte::source::{api, RawRecord, SourceError};
use tiny_http::{Header, Response, Server};

/// What the server answers: status, extra headers, body, and a delay before answering.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    delay: Duration,
    chunked: bool,
}

impl Reply {
    fn json(body: &str) -> Reply {
        Reply {
            status: 200,
            headers: vec![("Content-Type", "application/json".into())],
            body: body.as_bytes().to_vec(),
            delay: Duration::ZERO,
            chunked: false,
        }
    }

    fn status(status: u16) -> Reply {
        Reply { status, ..Reply::json("{\"error\": \"x\"}") }
    }
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    url: String,
    authorization: Option<String>,
    at: Instant,
}

struct TestServer {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    server: Arc<Server>,
}

impl TestServer {
    /// Serves `handler(n, url)` for the n-th request (0-based).
    fn start(handler: impl Fn(usize, &str) -> Reply + Send + 'static) -> TestServer {
        let server = Arc::new(Server::http("127.0.0.1:0").unwrap());
        let port = server.server_addr().to_ip().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s, log) = (server.clone(), seen.clone());
        thread::spawn(move || {
            let count = AtomicUsize::new(0);
            for request in s.incoming_requests() {
                let n = count.fetch_add(1, Ordering::SeqCst);
                let url = request.url().to_string();
                let authorization = request
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("Authorization"))
                    .map(|h| h.value.as_str().to_string());
                log.lock().unwrap().push(Seen { url: url.clone(), authorization, at: Instant::now() });
                let reply = handler(n, &url);
                thread::sleep(reply.delay);
                let length = if reply.chunked { None } else { Some(reply.body.len()) };
                let mut response =
                    Response::new(reply.status.into(), Vec::new(), Cursor::new(reply.body), length, None);
                for (name, value) in reply.headers {
                    response.add_header(Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap());
                }
                let _ = request.respond(response);
            }
        });
        TestServer { base: format!("http://127.0.0.1:{port}"), seen, server }
    }

    fn config(&self, path: &str) -> ApiConfig {
        ApiConfig {
            name: "api".into(),
            url: format!("{}{path}", self.base),
            token_env: None,
            timeout_secs: 2,
            connect_timeout_secs: 2,
            retries: 3,
            retry_base_ms: 10,
            max_pages: 50,
            max_records: 10_000,
            max_body_bytes: 8 * 1024 * 1024,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

fn record(id: &str) -> String {
    format!(
        r#"{{"id": "{id}", "date": "2021-03-01", "party": "polisen", "activity": "hastighetskontroll", "count": 2}}"#
    )
}

async fn read(config: &ApiConfig) -> (Result<usize, SourceError>, Vec<RawRecord>) {
    let mut records = Vec::new();
    let result = api::read(config, &mut |r| records.push(r)).await;
    (result, records)
}

fn reason(result: Result<usize, SourceError>) -> String {
    match result {
        Err(e @ SourceError::Api { .. }) => e.to_string(),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn follows_next_links_across_pages_relative_and_absolute() {
    let server = TestServer::start(|_, url| match url {
        "/records" => {
            Reply::json(&format!(r#"{{"records": [{}, {}], "next": "/records?page=2"}}"#, record("a"), record("b")))
        }
        "/records?page=2" => Reply::json(&format!(r#"{{"records": [{}], "next": "page3"}}"#, record("c"))),
        "/page3" => Reply::json(&format!(r#"{{"records": [{}], "next": null}}"#, record("d"))),
        _ => Reply::status(404),
    });
    let (result, records) = read(&server.config("/records")).await;
    assert_eq!(result.unwrap(), 4);
    let ids: Vec<_> = records.iter().map(|r| r.fields.id.clone().unwrap()).collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);
    assert_eq!(records[0].fields.count.as_deref(), Some("2"), "numbers arrive as text for the one validation");
    assert_eq!(records[2].locator.to_string(), format!("{}/records?page=2 record 0", server.base));
    let urls: Vec<String> = server.seen().into_iter().map(|s| s.url).collect();
    assert_eq!(urls, ["/records", "/records?page=2", "/page3"]);
}

#[tokio::test]
async fn sends_the_bearer_token_from_the_named_variable() {
    let server = TestServer::start(|_, _| Reply::json(r#"{"records": [], "next": null}"#));
    let mut config = server.config("/");
    config.token_env = Some("LOFTE_TEST_API_TOKEN_SENT".into());
    std::env::set_var("LOFTE_TEST_API_TOKEN_SENT", "token-123");
    let (result, _) = read(&config).await;
    assert_eq!(result.unwrap(), 0);
    assert_eq!(server.seen()[0].authorization.as_deref(), Some("Bearer token-123"));

    config.token_env = Some("LOFTE_TEST_API_TOKEN_UNSET".into());
    let (result, _) = read(&config).await;
    assert!(reason(result).contains("the environment variable LOFTE_TEST_API_TOKEN_UNSET (token_env) is not set"));
}

#[tokio::test]
async fn a_500_then_success_is_retried() {
    let server = TestServer::start(|n, _| {
        if n == 0 {
            Reply::status(500)
        } else {
            Reply::json(&format!(r#"{{"records": [{}], "next": null}}"#, record("a")))
        }
    });
    let (result, records) = read(&server.config("/")).await;
    assert_eq!(result.unwrap(), 1);
    assert_eq!(records.len(), 1);
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn a_429_waits_as_long_as_retry_after_says() {
    let server = TestServer::start(|n, _| {
        if n == 0 {
            Reply { headers: vec![("Retry-After", "1".into())], ..Reply::status(429) }
        } else {
            Reply::json(r#"{"records": [], "next": null}"#)
        }
    });
    let (result, _) = read(&server.config("/")).await;
    assert_eq!(result.unwrap(), 0);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let waited = seen[1].at - seen[0].at;
    assert!(waited >= Duration::from_millis(950), "waited only {waited:?}; the backoff base is 10 ms");
}

#[tokio::test]
async fn server_errors_that_persist_give_up_after_the_retries() {
    let server = TestServer::start(|_, _| Reply::status(503));
    let (result, records) = read(&server.config("/")).await;
    let message = reason(result);
    assert!(message.contains("the server answered 503 Service Unavailable; gave up after 4 attempts"), "{message}");
    assert!(records.is_empty());
    assert_eq!(server.seen().len(), 4);
}

#[tokio::test]
async fn a_response_slower_than_the_timeout_fails_after_retries() {
    let server = TestServer::start(|_, _| Reply { delay: Duration::from_millis(1500), ..Reply::json("{}") });
    let mut config = server.config("/");
    config.timeout_secs = 1;
    config.retries = 1;
    let started = Instant::now();
    let (result, _) = read(&config).await;
    let message = reason(result);
    assert!(message.contains("timed out"), "{message}");
    assert!(message.contains("gave up after 2 attempts"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn truncated_json_fails_and_names_the_page() {
    let server = TestServer::start(|_, _| Reply::json(r#"{"records": [{"id": "a", "date": "2021-0"#));
    let (result, _) = read(&server.config("/records")).await;
    let message = reason(result);
    assert!(message.contains("/records"), "{message}");
    assert!(message.contains("not valid JSON"), "{message}");
    assert!(message.contains("nothing was used"), "{message}");
}

#[tokio::test]
async fn a_next_loop_is_detected() {
    let server = TestServer::start(|_, url| match url {
        "/a" => Reply::json(r#"{"records": [], "next": "/b"}"#),
        _ => Reply::json(r#"{"records": [], "next": "/a"}"#),
    });
    let (result, _) = read(&server.config("/a")).await;
    assert!(reason(result).contains("lead back to a page already read (a loop)"));
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn a_ten_megabyte_response_is_over_the_bound_with_or_without_a_length() {
    let big = format!(r#"{{"records": [], "pad": "{}"}}"#, "x".repeat(10 * 1024 * 1024));
    for chunked in [false, true] {
        let body = big.clone();
        let server = TestServer::start(move |_, _| Reply { chunked, ..Reply::json(&body) });
        let (result, _) = read(&server.config("/")).await;
        let message = reason(result);
        assert!(message.contains("larger than 8388608 bytes (max_body_bytes)"), "chunked={chunked}: {message}");
    }
}

#[tokio::test]
async fn bounds_on_pages_and_records() {
    let server =
        TestServer::start(|n, _| Reply::json(&format!(r#"{{"records": [{}], "next": "/p{}"}}"#, record("x"), n + 1)));
    let mut config = server.config("/p0");
    config.max_pages = 3;
    assert!(reason(read(&config).await.0).contains("more than 3 pages (max_pages)"));

    let server = TestServer::start(|_, _| {
        Reply::json(&format!(r#"{{"records": [{}, {}, {}], "next": null}}"#, record("a"), record("b"), record("c")))
    });
    let mut config = server.config("/");
    config.max_records = 2;
    assert!(reason(read(&config).await.0).contains("more than 2 records (max_records)"));
}

#[tokio::test]
async fn client_errors_and_wrong_content_are_not_retried() {
    let server = TestServer::start(|_, _| Reply::status(401));
    let message = reason(read(&server.config("/")).await.0);
    assert!(message.contains("401 Unauthorized: check the token"), "{message}");
    assert_eq!(server.seen().len(), 1);

    let server = TestServer::start(|_, _| Reply {
        headers: vec![("Content-Type", "text/html".into())],
        ..Reply::json("<html>login</html>")
    });
    let message = reason(read(&server.config("/")).await.0);
    assert!(message.contains("\"text/html\", not JSON"), "{message}");
}

#[tokio::test]
async fn a_next_link_to_a_plain_http_host_is_refused() {
    let server = TestServer::start(|_, _| Reply::json(r#"{"records": [], "next": "http://example.se/page2"}"#));
    let message = reason(read(&server.config("/")).await.0);
    // Another origin is refused before its scheme matters (HTTPS for the configured URL is a config check).
    assert!(message.contains("`next` points to http://example.se, another origin"), "{message}");
    assert_eq!(server.seen().len(), 1, "nothing is sent to the plain-http host");
}

#[tokio::test]
async fn a_server_that_is_down_is_an_error_naming_the_source() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut config = TestServer::start(|_, _| Reply::status(500)).config("/");
    config.url = format!("http://127.0.0.1:{port}/records");
    config.retries = 1;
    let message = reason(read(&config).await.0);
    assert!(message.starts_with("source \"api\""), "{message}");
    assert!(message.contains("could not connect"), "{message}");
}

// Issue 13 ("Security and reliability"): the bearer token goes only to the configured origin. Each test below
// failed before the fix and passes now.

#[tokio::test]
async fn a_next_link_to_another_port_is_another_origin_and_is_never_requested() {
    let other = TestServer::start(|_, _| Reply::json(r#"{"records": [], "next": null}"#));
    let next = format!("{}/records?page=2", other.base);
    let server =
        TestServer::start(move |_, _| Reply::json(&format!(r#"{{"records": [{}], "next": "{next}"}}"#, record("a"))));
    let mut config = server.config("/records");
    config.token_env = Some("LOFTE_TEST_API_TOKEN_ORIGIN".into());
    std::env::set_var("LOFTE_TEST_API_TOKEN_ORIGIN", "token-origin-456");
    let message = reason(read(&config).await.0);
    assert!(message.contains("another origin than the configured"), "{message}");
    assert!(message.contains(&format!("`next` points to {},", other.base)), "{message}");
    assert_eq!(server.seen()[0].authorization.as_deref(), Some("Bearer token-origin-456"));
    assert!(other.seen().is_empty(), "the other origin saw a request (and the token): {:?}", other.seen());
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_not_followed() {
    let other = TestServer::start(|_, _| Reply::json(r#"{"records": [], "next": null}"#));
    let location = format!("{}/records", other.base);
    let server =
        TestServer::start(move |_, _| Reply { headers: vec![("Location", location.clone())], ..Reply::status(302) });
    let mut config = server.config("/records");
    config.token_env = Some("LOFTE_TEST_API_TOKEN_REDIRECT".into());
    std::env::set_var("LOFTE_TEST_API_TOKEN_REDIRECT", "token-redirect-789");
    let message = reason(read(&config).await.0);
    assert!(message.contains(&format!("a redirect to {}", other.base)), "{message}");
    assert!(message.contains("does not follow redirects"), "{message}");
    assert_eq!(server.seen().len(), 1, "a redirect is not retried");
    assert!(other.seen().is_empty(), "the redirect was followed: {:?}", other.seen());
}
