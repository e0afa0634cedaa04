//! A small but real SMTP server on 127.0.0.1 for the delivery tests: it speaks the protocol lettre speaks (EHLO,
//! MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT), keeps every accepted message, and answers RCPT with
//! whatever the test decides per address and attempt (250, 451, 550 …, or `delay:MS:250 ok` for a slow server).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// A message the server accepted: its recipients and its bytes.
#[derive(Debug, Clone)]
pub struct Received {
    pub rcpts: Vec<String>,
    pub data: Vec<u8>,
}

type Policy = dyn Fn(&str, usize) -> String + Send + Sync;

pub struct SmtpServer {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Received>>>,
    /// Decoded `AUTH PLAIN` credentials the server was given.
    pub auth: Arc<Mutex<Vec<String>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SmtpServer {
    /// Accepts every recipient.
    pub fn start() -> SmtpServer {
        Self::with_policy(0, |_, _| "250 2.1.5 ok".to_string())
    }

    /// `policy(address, attempt)` answers each RCPT (attempt counts from 1 per address); port 0 picks a free one.
    pub fn with_policy(port: u16, policy: impl Fn(&str, usize) -> String + Send + Sync + 'static) -> SmtpServer {
        let received = Arc::new(Mutex::new(Vec::new()));
        let auth = Arc::new(Mutex::new(Vec::new()));
        let auth_log = auth.clone();
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let store = received.clone();
        let policy: Arc<Policy> = Arc::new(policy);
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let attempts = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
                let accept = async {
                    loop {
                        let Ok((socket, _)) = listener.accept().await else { continue };
                        let (store, policy, attempts, auth) =
                            (store.clone(), policy.clone(), attempts.clone(), auth_log.clone());
                        tokio::spawn(async move {
                            let _ = session(socket, store, policy, attempts, auth).await;
                        });
                    }
                };
                tokio::select! { () = accept => {}, _ = rx => {} }
            });
        });
        SmtpServer { port, received, auth, shutdown: Some(tx), thread: Some(thread) }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn auth(&self) -> Vec<String> {
        self.auth.lock().unwrap().clone()
    }

    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Messages received for `address`.
    pub fn count_for(&self, address: &str) -> usize {
        self.messages().iter().filter(|m| m.rcpts.iter().any(|r| r == address)).count()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn session(
    socket: tokio::net::TcpStream,
    store: Arc<Mutex<Vec<Received>>>,
    policy: Arc<Policy>,
    attempts: Arc<Mutex<HashMap<String, usize>>>,
    auth: Arc<Mutex<Vec<String>>>,
) -> std::io::Result<()> {
    let (r, mut w) = socket.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 test.local ESMTP\r\n").await?;
    let mut rcpts = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        let upper = text.to_ascii_uppercase();
        let reply = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            "250-test.local\r\n250-8BITMIME\r\n250-AUTH PLAIN\r\n250 SIZE 50000000".to_string()
        } else if upper.starts_with("AUTH PLAIN ") {
            let decoded = base64_decode(text["AUTH PLAIN ".len()..].trim());
            auth.lock().unwrap().push(String::from_utf8_lossy(&decoded).replace('\0', " "));
            "235 2.7.0 authenticated".to_string()
        } else if upper.starts_with("MAIL") {
            rcpts.clear();
            "250 2.1.0 ok".to_string()
        } else if upper.starts_with("RCPT") {
            let address = text.split('<').nth(1).and_then(|s| s.split('>').next()).unwrap_or("").to_string();
            let n = {
                let mut a = attempts.lock().unwrap();
                let n = a.entry(address.clone()).or_insert(0);
                *n += 1;
                *n
            };
            let mut answer = policy(&address, n);
            // "delay:MS:reply" makes a slow server.
            if let Some(rest) = answer.strip_prefix("delay:") {
                let (ms, reply) = rest.split_once(':').unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(ms.parse().unwrap())).await;
                answer = reply.to_string();
            }
            if answer.starts_with('2') {
                rcpts.push(address);
            }
            answer
        } else if upper == "DATA" {
            w.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = Vec::new();
            loop {
                line.clear();
                if r.read_until(b'\n', &mut line).await? == 0 {
                    return Ok(());
                }
                if line == b".\r\n" {
                    break;
                }
                data.extend_from_slice(line.strip_prefix(b".").unwrap_or(&line));
            }
            store.lock().unwrap().push(Received { rcpts: std::mem::take(&mut rcpts), data });
            "250 2.0.0 queued".to_string()
        } else if upper == "QUIT" {
            w.write_all(b"221 2.0.0 bye\r\n").await?;
            return Ok(());
        } else {
            "250 2.0.0 ok".to_string()
        };
        w.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| *c != b'=') {
        let Some(v) = ALPHABET.iter().position(|a| *a == c) else { continue };
        bits = (bits << 6) | v as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    out
}
