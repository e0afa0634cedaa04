//! Delivery against a real SMTP server on 127.0.0.1: the right edition to each role, the headers, the attachment
//! bytes, transient and permanent refusals, a server that is down, and a sender killed between two recipients.

mod common;

use common::smtp::SmtpServer;
use common::{stderr, stdout, Fixture};
use mail_parser::{MessageParser, MimeHeaders};

const AT: &str = "2021-07-01T07:00:00Z";
const CHIEF: &str = "lokalpolischef.vastervik@polisen.example.se";
const CHAIR: &str = "ks.ordforande@oskarshamn.example.se";
const LIST: &str = "medborgarloften@lista.oskarshamn.example.se";

fn publish(f: &Fixture, smtp_url: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["publish", "--period", "2021-H1", "--generated-at", AT];
    args.extend_from_slice(extra);
    f.lofte_env(&args, &[("LOFTE_SMTP_URL", smtp_url)])
}

fn deliver_retry(f: &Fixture, smtp_url: &str) -> std::process::Output {
    f.lofte_env(&["deliver", "--retry"], &[("LOFTE_SMTP_URL", smtp_url)])
}

fn archived(f: &Fixture, edition: &str) -> Vec<u8> {
    std::fs::read(f.path(&format!("archive/oskarshamn-2021/2021-H1/oskarshamn-2021-2021-H1-{edition}.pdf"))).unwrap()
}

fn manifest_deliveries(f: &Fixture) -> serde_json::Value {
    let bytes = std::fs::read(f.path("archive/oskarshamn-2021/2021-H1/manifest.json")).unwrap();
    serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["deliveries"].clone()
}

#[test]
fn each_role_gets_its_edition_once_with_the_right_headers_and_the_archived_pdf() {
    let f = Fixture::new();
    let server = SmtpServer::start();
    let out = publish(&f, &server.url(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("delivery: 3 sent, 0 failed, 0 pending"), "{}", stdout(&out));
    let messages = server.messages();
    assert_eq!(messages.len(), 3, "one envelope per recipient");
    for (address, edition) in [(CHIEF, "internal"), (CHAIR, "internal"), (LIST, "public")] {
        let received =
            messages.iter().find(|m| m.rcpts == [address]).unwrap_or_else(|| panic!("nothing for {address}"));
        let message = MessageParser::default().parse(&received.data).unwrap();
        assert_eq!(message.to().and_then(|a| a.first()).and_then(|a| a.address()), Some(address));
        assert_eq!(message.subject(), Some("Uppföljning av medborgarlöftet: Oskarshamns kommun 2021-H1"));
        assert_eq!(
            message.reply_to().and_then(|a| a.first()).and_then(|a| a.address()),
            Some("trygghet@oskarshamn.example.se")
        );
        let attachment = message.attachments().next().expect("the report is attached");
        assert_eq!(attachment.attachment_name(), Some("Uppföljning medborgarlöfte Oskarshamns kommun 2021-H1.pdf"));
        assert!(
            attachment.contents() == archived(&f, edition).as_slice(),
            "{address} must get the archived {edition} PDF"
        );
        let id = message.message_id().unwrap();
        assert!(id.starts_with("oskarshamn-2021.2021-H1."), "{id}");
        let text = message.body_text(0).unwrap();
        assert!(
            text.contains("Hastighetskontroller där medborgarna påtalat trafikproblem: 28 (minst 52), I fas"),
            "{text}"
        );
        let list_id = message.header_raw("List-Id");
        let unsubscribe = message.header_raw("List-Unsubscribe");
        // RFC 3834: every message is marked automatic, so out-of-office replies stay away.
        assert_eq!(message.header_raw("Auto-Submitted").map(str::trim), Some("auto-generated"), "{address}");
        let precedence = message.header_raw("Precedence").map(str::trim);
        if address == LIST {
            assert_eq!(list_id.map(str::trim), Some("<medborgarloften.oskarshamn.example.se>"));
            assert!(unsubscribe.unwrap().contains("mailto:medborgarloften-unsubscribe@"), "{unsubscribe:?}");
            assert!(text.contains("Avsluta prenumerationen"));
            assert_eq!(precedence, Some("bulk"));
        } else {
            assert!(list_id.is_none() && unsubscribe.is_none(), "list headers only on the public list's mail");
            assert_eq!(precedence, None, "personal mail is not bulk");
        }
    }
    let deliveries = manifest_deliveries(&f);
    assert!(deliveries.as_object().unwrap().values().all(|s| s == "sent"), "{deliveries}");

    // Publishing the same period again (forced) is a correction: each recipient gets it once, under a subject
    // that says so, and the new manifest records it sent (issue 13: it used to stay "pending" and never go out).
    let again = publish(&f, &server.url(), &["--force", "--reason", "En rad räknades två gånger."]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(server.messages().len(), 6);
    for received in &server.messages()[3..] {
        let message = MessageParser::default().parse(&received.data).unwrap();
        assert_eq!(message.subject(), Some("Rättelse: Uppföljning av medborgarlöftet: Oskarshamns kommun 2021-H1"));
        let text = message.body_text(0).unwrap();
        assert!(text.contains("rättad version") && text.contains("En rad räknades två gånger."), "{text}");
    }
    let first_ids: Vec<String> = server.messages()[..3].iter().map(|r| message_id(&r.data)).collect();
    let later = server.messages()[3..].iter().map(|r| message_id(&r.data)).collect::<Vec<_>>();
    assert!(later.iter().all(|id| !first_ids.contains(id)), "a correction has its own Message-ID");
    let deliveries = manifest_deliveries(&f);
    assert!(deliveries.as_object().unwrap().values().all(|s| s == "sent"), "{deliveries}");
    assert_eq!(deliver_retry(&f, &server.url()).status.code(), Some(0));
    assert_eq!(server.messages().len(), 6, "a retry sends nothing more");
}

fn message_id(data: &[u8]) -> String {
    MessageParser::default().parse(data).unwrap().message_id().unwrap().to_string()
}

#[test]
fn a_451_once_then_250_is_delivered_exactly_once() {
    let f = Fixture::new();
    let server = SmtpServer::with_policy(0, |address, attempt| {
        if address == CHAIR && attempt == 1 {
            "451 4.3.0 try again later".into()
        } else {
            "250 2.1.5 ok".into()
        }
    });
    let out = publish(&f, &server.url(), &[]);
    assert_eq!(out.status.code(), Some(0), "a transient refusal is not a failed job: {}", stderr(&out));
    assert!(stdout(&out).contains("delivery: 2 sent, 0 failed, 1 pending"), "{}", stdout(&out));
    assert_eq!(server.count_for(CHAIR), 0);
    let status = manifest_deliveries(&f);
    assert!(status[format!("board_chair:{CHAIR}")].as_str().unwrap().starts_with("pending: 451"), "{status}");

    let retry = deliver_retry(&f, &server.url());
    assert_eq!(retry.status.code(), Some(0), "{}{}", stdout(&retry), stderr(&retry));
    for address in [CHIEF, CHAIR, LIST] {
        assert_eq!(server.count_for(address), 1, "{address}");
    }
    assert_eq!(manifest_deliveries(&f)[format!("board_chair:{CHAIR}")], "sent");
}

#[test]
fn a_550_for_one_address_fails_it_alone_with_the_servers_reply() {
    let f = Fixture::new();
    let server = SmtpServer::with_policy(0, |address, _| {
        if address == LIST {
            "550 5.1.1 no such list here".into()
        } else {
            "250 2.1.5 ok".into()
        }
    });
    let out = publish(&f, &server.url(), &[]);
    assert_eq!(out.status.code(), Some(1), "a permanent failure fails the job");
    assert!(stderr(&out).contains("1 delivery(ies) failed for good"), "{}", stderr(&out));
    assert_eq!(server.count_for(CHIEF), 1);
    assert_eq!(server.count_for(CHAIR), 1);
    assert_eq!(server.count_for(LIST), 0);
    let listing = stdout(&f.lofte(&["deliver"]));
    let line = listing.lines().find(|l| l.contains(LIST)).unwrap();
    assert!(line.contains("failed") && line.contains("550") && line.contains("no such list here"), "{line}");
    assert!(manifest_deliveries(&f)[format!("public_list:{LIST}")].as_str().unwrap().contains("no such list here"));
    // A failed row is not retried.
    let retry = deliver_retry(&f, &server.url());
    assert_eq!(retry.status.code(), Some(1));
    assert_eq!(server.messages().len(), 2);
}

#[test]
fn a_server_that_is_down_leaves_everything_pending_until_deliver_retry() {
    let f = Fixture::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("smtp://127.0.0.1:{port}");
    let out = publish(&f, &url, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("delivery: 0 sent, 0 failed, 3 pending"), "{}", stdout(&out));
    assert!(f.path("archive/oskarshamn-2021/2021-H1/manifest.json").exists(), "archived all the same");

    let server = SmtpServer::with_policy(port, |_, _| "250 2.1.5 ok".into());
    let retry = deliver_retry(&f, &url);
    assert_eq!(retry.status.code(), Some(0), "{}{}", stdout(&retry), stderr(&retry));
    assert_eq!(server.messages().len(), 3);
}

#[test]
fn a_sender_killed_between_two_recipients_resumes_without_sending_twice() {
    let f = Fixture::new();
    let server = SmtpServer::start();
    let crash = f.lofte_env(
        &["publish", "--period", "2021-H1", "--generated-at", AT],
        &[("LOFTE_SMTP_URL", &server.url()), ("LOFTE_FAULT", "mid-delivery")],
    );
    assert_ne!(crash.status.code(), Some(0));
    assert!(stderr(&crash).contains("aborting at mid-delivery"));
    assert_eq!(server.messages().len(), 1, "killed after the first recipient");

    let restart = deliver_retry(&f, &server.url());
    assert_eq!(restart.status.code(), Some(0), "{}{}", stdout(&restart), stderr(&restart));
    for address in [CHIEF, CHAIR, LIST] {
        assert_eq!(server.count_for(address), 1, "{address} must have exactly one message");
    }
    assert_eq!(f.lofte(&["archive", "verify"]).status.code(), Some(0));
}

#[test]
fn without_smtp_the_messages_go_to_the_outbox_folder_named_by_message_id() {
    let f = Fixture::new();
    let out = f.lofte(&["publish", "--period", "2021-H1", "--generated-at", AT]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut names: Vec<String> =
        std::fs::read_dir(f.path("outbox")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names.len(), 3);
    for (name, role) in names.iter().zip(["board_chair", "police_chief", "public_list"]) {
        assert!(
            name.starts_with(&format!("oskarshamn-2021.2021-H1.{role}."))
                && name.ends_with("@oskarshamn.example.se.eml"),
            "{name}"
        );
        let bytes = std::fs::read(f.path("outbox").join(name)).unwrap();
        let message = MessageParser::default().parse(&bytes).unwrap();
        assert_eq!(format!("{}.eml", message.message_id().unwrap()), *name);
    }
    // A dry run writes its messages elsewhere and sends nothing.
    let dry = f.lofte(&["publish", "--period", "2021", "--dry-run", "--generated-at", AT]);
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    assert_eq!(std::fs::read_dir(f.path("outbox/dry-run")).unwrap().count(), 3);
    assert_eq!(std::fs::read_dir(f.path("outbox")).unwrap().count(), 4, "three messages and the dry-run folder");
}

#[test]
fn html_bodies_escape_data_and_an_https_unsubscribe_adds_one_click_post() {
    let f = Fixture::new();
    f.edit(
        "config/pledges/oskarshamn-2021.toml",
        "title = \"Fotpatrullering i skolmiljö\"",
        "title = \"Fotpatrull <script>alert(1)</script> & co\"",
    );
    f.edit(
        "config/lofte.toml",
        "unsubscribe = \"mailto:medborgarloften-unsubscribe@lista.oskarshamn.example.se\"",
        "unsubscribe = \"https://oskarshamn.example.se/avregistrera\"",
    );
    let out = f.lofte(&["publish", "--period", "2021-H1", "--generated-at", AT]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let name = std::fs::read_dir(f.path("outbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("public_list"))
        .unwrap();
    let bytes = std::fs::read(name).unwrap();
    let message = MessageParser::default().parse(&bytes).unwrap();
    let html = message.body_html(0).unwrap();
    assert!(html.contains("Fotpatrull &lt;script&gt;alert(1)&lt;"), "{html}");
    assert!(html.contains("&amp; co"), "{html}");
    assert!(!html.contains("<script>"));
    assert_eq!(
        message.header_raw("List-Unsubscribe").map(str::trim),
        Some("<https://oskarshamn.example.se/avregistrera>")
    );
    assert_eq!(message.header_raw("List-Unsubscribe-Post").map(str::trim), Some("List-Unsubscribe=One-Click"));
}
