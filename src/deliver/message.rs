//! One e-mail per recipient, built from the archive entry: plain-text and HTML bodies from `templates/mail.*`, the
//! edition's PDF attached under a Swedish file name, a Message-ID that is the same every time for the same
//! (document, period, recipient), and list headers on the public list's mail. The same entry gives the same bytes.

use std::time::{Duration, UNIX_EPOCH};

use lettre::address::Envelope;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};
use minijinja::value::Serde;
use minijinja::{context, Environment};

use super::outbox::Row;
use crate::archive::{Entry, Manifest, RESULTS_FILE};
use crate::config::{Config, Language};
use crate::edition::{Edition, Role};
use crate::hash::sha256;
use crate::pledge::Pledge;
use crate::progress::json::{Results, ResultsError};
use crate::report::format;
use crate::report::templates::Texts;
use crate::report::words::{paragraphs, summary_rows};

/// A message ready to send to one address.
pub struct Built {
    /// The Message-ID, with angle brackets.
    pub message_id: String,
    /// The envelope: our sender, this one recipient.
    pub envelope: Envelope,
    /// The message as sent (CRLF, ASCII).
    pub bytes: Vec<u8>,
}

/// Why a message could not be built. Each names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// The archived PDF to attach could not be read.
    #[error("{}: {source}", path.display())]
    Attachment {
        /// The PDF.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The archived `results.json` could not be read back.
    #[error(transparent)]
    Results(#[from] ResultsError),
    /// An address from the configuration or the outbox is not usable.
    #[error("{what} {value:?} is not a usable e-mail address: {source}")]
    Address {
        /// Which setting.
        what: &'static str,
        /// As written.
        value: String,
        /// The parser's reason.
        source: lettre::address::AddressError,
    },
    /// A value that goes into a header holds a line break.
    #[error("{what} contains a line break, which would let it inject mail headers: {value:?}")]
    LineBreak {
        /// Which setting.
        what: &'static str,
        /// As written.
        value: String,
    },
    /// A mail template is broken (a bug in lofte's templates).
    #[error("mail template: {0}")]
    Template(#[from] minijinja::Error),
    /// The message could not be assembled.
    #[error("the message cannot be assembled: {0}")]
    Assemble(#[from] lettre::error::Error),
}

/// Refuses CR or LF in a value that goes into a header, where it could start a header of its own.
fn one_line<'a>(what: &'static str, value: &'a str) -> Result<&'a str, MessageError> {
    if value.contains(['\r', '\n']) {
        Err(MessageError::LineBreak { what, value: value.to_string() })
    } else {
        Ok(value)
    }
}

/// Builds the message of `row` from the archive entry `entry` of `pledge`.
pub fn build(config: &Config, texts: &Texts, row: &Row, entry: &Entry, pledge: &Pledge) -> Result<Built, MessageError> {
    let lang = texts.language();
    let m = &entry.manifest;
    let edition = row.role.edition();
    let pdf_path = entry.dir.join(crate::report::pdf_name(&m.document, &m.period, edition));
    let pdf = std::fs::read(&pdf_path).map_err(|source| MessageError::Attachment { path: pdf_path.clone(), source })?;
    let results = Results::read(&entry.dir.join(RESULTS_FILE))?;
    let commitments = results.commitments();
    // Baselines counted from records are figures of the follow-up, not of the document (docs/progress.md).
    let pledge = &crate::progress::published_baselines(pledge, &commitments);
    let mut rows = summary_rows(texts, pledge, &commitments);
    // The internal edition of a draft goes to the reviewers (SPEC §11): it says so, and how to decide on it.
    let draft = edition == Edition::Internal && m.is_draft();
    if draft {
        crate::report::words::mark_examples(texts, pledge, &mut rows);
    }
    // The follow-up notes' summary near the top; the archived results.json is the public one, so the mail holds
    // no internal note whichever edition it carries.
    let summary_paragraphs = results.summary.as_deref().map(paragraphs).unwrap_or_default();
    let summary = (!summary_paragraphs.is_empty()).then(|| summary_paragraphs.join("\n\n"));

    let vars = context! { municipality => pledge.municipality.clone(), period => m.period.clone() };
    let corrected = m.is_correction();
    let mut subject = texts.render(if corrected { "mail_subject_correction" } else { "mail_subject" }, vars.clone());
    let draft_line = draft.then(|| {
        let (approve, reject) = decide_commands(config, m);
        texts.render("mail_draft", context! { approve => approve, reject => reject })
    });
    if draft {
        subject = texts.render("mail_subject_draft", context! { subject => subject });
    }
    let correction = corrected.then(|| {
        let line = texts.plain("mail_correction");
        match &m.correction {
            Some(reason) => format!("{line} {reason}"),
            None => line,
        }
    });
    let attachment = texts.render("mail_attachment", vars);
    let unsubscribe = (row.role == Role::PublicList).then(|| config.mail.unsubscribe.clone());
    let edition_label = texts.plain(&format!("edition_{}", edition.key()));
    let ctx = context! {
        municipality => pledge.municipality.clone(), police_area => pledge.police_area.clone(), period => m.period.clone(),
        as_of => format::date(m.as_of, lang), rows => Serde(&rows), attachment => attachment.clone(),
        edition => edition_label, unsubscribe => unsubscribe.clone(), subject => subject.clone(),
        correction => correction, summary => summary, summary_paragraphs => summary_paragraphs,
        draft => draft_line,
    };
    let (text, html) = bodies(lang, &ctx)?;

    let from: Mailbox = one_line("mail.from", &config.mail.from)?.parse().map_err(|source| MessageError::Address {
        what: "mail.from",
        value: config.mail.from.clone(),
        source,
    })?;
    let to: Address = one_line("recipient", &row.address)?.parse().map_err(|source| MessageError::Address {
        what: "recipient",
        value: row.address.clone(),
        source,
    })?;
    // The first version keeps the Message-ID it always had; each correction is a message of its own.
    let key = if row.version > 1 {
        sha256(format!("{}|{}|v{}|{}|{}", m.document, m.period, row.version, row.role, row.address).as_bytes())
    } else {
        sha256(format!("{}|{}|{}|{}", m.document, m.period, row.role, row.address).as_bytes())
    };
    let message_id = format!("<{}.{}.{}.{}@{}>", m.document, m.period, row.role, &key[..16], from.email.domain());
    // A release after review is dated when it was approved, not when its draft was made.
    let date = chrono::DateTime::parse_from_rfc3339(m.released_at()).map_or(0, |t| t.timestamp()).max(0) as u64;

    let mut builder = Message::builder()
        .from(from.clone())
        .to(Mailbox::new(None, to.clone()))
        .subject(subject)
        .message_id(Some(message_id.clone()))
        .date(UNIX_EPOCH + Duration::from_secs(date));
    if let Some(reply_to) = &config.mail.reply_to {
        builder =
            builder.reply_to(one_line("mail.reply_to", reply_to)?.parse().map_err(|source| MessageError::Address {
                what: "mail.reply_to",
                value: reply_to.clone(),
                source,
            })?);
    }
    let header = |name: &'static str, value: String| HeaderValue::new(HeaderName::new_from_ascii_str(name), value);
    // RFC 3834: an automatic message, so out-of-office replies are not sent back to it.
    builder = builder.raw_header(header("Auto-Submitted", "auto-generated".into()));
    if let Some(unsubscribe) = &unsubscribe {
        builder = builder
            .raw_header(header("Precedence", "bulk".into()))
            .raw_header(header("List-Id", format!("<{}>", one_line("mail.list_id", &config.mail.list_id)?)))
            .raw_header(header("List-Unsubscribe", format!("<{}>", one_line("mail.unsubscribe", unsubscribe)?)));
        if unsubscribe.starts_with("https://") {
            builder = builder.raw_header(header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".into()));
        }
    }
    let pdf_type = ContentType::parse("application/pdf").expect("application/pdf is a valid content type");
    let message = builder.multipart(
        MultiPart::mixed()
            .boundary(format!("lofte-mixed-{}", &key[..24]))
            .multipart(
                MultiPart::alternative()
                    .boundary(format!("lofte-alt-{}", &key[..24]))
                    .singlepart(SinglePart::plain(text))
                    .singlepart(SinglePart::html(html)),
            )
            .singlepart(Attachment::new(attachment).body(pdf, pdf_type)),
    )?;
    let envelope = Envelope::new(Some(from.email), vec![to])?;
    Ok(Built { message_id, envelope, bytes: message.formatted() })
}

/// The commands that approve and reject the draft `m`: `lofte approve --period P --by "Namn, titel"` and `lofte
/// reject --period P --reason "…"`, with `--document` when the configuration has more than one document.
fn decide_commands(config: &Config, m: &Manifest) -> (String, String) {
    let document = if config.pledges.len() > 1 { format!(" --document {}", m.document) } else { String::new() };
    let by = match config.language {
        Language::Sv => "Namn, titel",
        Language::En => "Name, title",
    };
    (
        format!("lofte approve --period {}{document} --by \"{by}\"", m.period),
        format!("lofte reject --period {}{document} --reason \"…\"", m.period),
    )
}

/// The reminder to one reviewer (`role`, `address`) that the draft `entry` of `pledge` has waited for review since
/// its `drafted_at` (SPEC §11, `[review] remind_after_days`): a short plain-text message with the commands that
/// approve or reject it, no attachment (the reviewer has the draft's PDF from the draft's own message). Dated
/// `now`; its Message-ID is the same for the same (document, period, version, recipient), so a reminder sent
/// again after a crash is recognisable as the same message.
pub fn reminder(
    config: &Config,
    texts: &Texts,
    entry: &Entry,
    pledge: &Pledge,
    role: Role,
    address: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Built, MessageError> {
    let lang = texts.language();
    let m = &entry.manifest;
    let drafted = m.review.as_ref().map_or(m.generated_at.as_str(), |r| r.drafted_at.as_str());
    let drafted = chrono::DateTime::parse_from_rfc3339(drafted).map_or(now, |t| t.with_timezone(&chrono::Utc));
    let days = (now - drafted).num_days().max(0);
    let vars = context! { municipality => pledge.municipality.clone(), period => m.period.clone() };
    let subject = texts.render("reminder_subject", vars.clone());
    let draft_subject = texts.render(
        "mail_subject_draft",
        context! { subject => texts.render(if m.is_correction() { "mail_subject_correction" } else { "mail_subject" }, vars) },
    );
    let (approve, reject) = decide_commands(config, m);
    let local = drafted.with_timezone(&config.schedule.timezone).date_naive();
    let body = texts.render(
        "reminder_body",
        context! {
            municipality => pledge.municipality.clone(), period => m.period.clone(), days => days,
            drafted => format::date(local, lang), approve => approve, reject => reject, draft_subject => draft_subject,
        },
    );
    let from: Mailbox = one_line("mail.from", &config.mail.from)?.parse().map_err(|source| MessageError::Address {
        what: "mail.from",
        value: config.mail.from.clone(),
        source,
    })?;
    let to: Address = one_line("recipient", address)?.parse().map_err(|source| MessageError::Address {
        what: "recipient",
        value: address.to_string(),
        source,
    })?;
    let key = sha256(format!("{}|{}|v{}|reminder|{role}|{address}", m.document, m.period, m.version).as_bytes());
    let message_id = format!("<{}.{}.reminder.{role}.{}@{}>", m.document, m.period, &key[..16], from.email.domain());
    let date = u64::try_from(now.timestamp()).unwrap_or(0);
    let message = Message::builder()
        .from(from.clone())
        .to(Mailbox::new(None, to.clone()))
        .subject(subject)
        .message_id(Some(message_id.clone()))
        .date(UNIX_EPOCH + Duration::from_secs(date))
        .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("Auto-Submitted"), "auto-generated".into()))
        .singlepart(SinglePart::plain(body))?;
    let envelope = Envelope::new(Some(from.email), vec![to])?;
    Ok(Built { message_id, envelope, bytes: message.formatted() })
}

fn bodies(lang: Language, ctx: &minijinja::Value) -> Result<(String, String), MessageError> {
    let (txt, html) = match lang {
        Language::Sv => (include_str!("../../templates/mail.sv.txt"), include_str!("../../templates/mail.sv.html")),
        Language::En => (include_str!("../../templates/mail.en.txt"), include_str!("../../templates/mail.en.html")),
    };
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template("mail.txt", txt)?;
    env.add_template("mail.html", html)?;
    let render = |name: &str| env.get_template(name).and_then(|t| t.render(ctx)).map_err(MessageError::from);
    Ok((render("mail.txt")?, render("mail.html")?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{Review, ReviewState};
    use crate::config::Env;

    fn draft_entry() -> Entry {
        let manifest = Manifest {
            document: "oskarshamn-2021".into(),
            period: "2021-H1".into(),
            as_of: chrono::NaiveDate::from_ymd_opt(2021, 6, 30).unwrap(),
            generated_at: "2021-07-01T07:00:00Z".into(),
            tool_version: "test".into(),
            config_hash: String::new(),
            input_hash: String::new(),
            files: std::collections::BTreeMap::new(),
            deliveries: std::collections::BTreeMap::new(),
            version: 1,
            correction: None,
            review: Some(Review {
                state: ReviewState::Draft,
                drafted_at: "2021-07-01T07:00:00Z".into(),
                approved_by: None,
                decided_at: None,
                rejected_because: None,
                reminded_at: None,
                examples: Vec::new(),
            }),
        };
        Entry { dir: std::path::PathBuf::from("/nonexistent"), manifest, superseded: false }
    }

    #[test]
    fn a_reminder_names_the_draft_how_long_it_has_waited_and_how_to_decide() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/lofte.toml");
        let config = Config::load(&path, &Env::default()).unwrap();
        let pledge = config.pledges[0].clone();
        let texts = Texts::load(Language::Sv).unwrap();
        let now =
            chrono::DateTime::parse_from_rfc3339("2021-07-09T08:00:00+02:00").unwrap().with_timezone(&chrono::Utc);
        let address = "lokalpolischef.vastervik@polisen.example.se";
        let built = reminder(&config, &texts, &draft_entry(), &pledge, Role::PoliceChief, address, now).unwrap();
        let again = reminder(&config, &texts, &draft_entry(), &pledge, Role::PoliceChief, address, now).unwrap();
        assert_eq!(built.bytes, again.bytes, "the same reminder gives the same bytes");
        assert!(built.message_id.contains(".reminder.police_chief."), "{}", built.message_id);
        let decoded = mail_decode(&built.bytes);
        assert_eq!(decoded.0, "Påminnelse: utkast väntar på granskning – Oskarshamns kommun 2021-H1");
        for expected in [
            "period 2021-H1, har väntat på granskning i 7 dagar (sedan 1 juli 2021)",
            "Det har inte skickats till allmänheten.",
            "lofte approve --period 2021-H1 --by \"Namn, titel\"",
            "lofte reject --period 2021-H1 --reason \"…\"",
            "Utkast för granskning: Uppföljning av medborgarlöftet: Oskarshamns kommun 2021-H1",
        ] {
            assert!(decoded.1.contains(expected), "{expected:?} missing from:\n{}", decoded.1);
        }
        assert!(!decoded.1.contains("HEMLIG"));
        let english = Texts::load(Language::En).unwrap();
        let built = reminder(&config, &english, &draft_entry(), &pledge, Role::BoardChair, address, now).unwrap();
        let decoded = mail_decode(&built.bytes);
        assert_eq!(decoded.0, "Reminder: draft waiting for review – Oskarshamns kommun 2021-H1");
        assert!(decoded.1.contains("has waited for review for 7 days (since 1 July 2021)"), "{}", decoded.1);
    }

    /// The subject and plain-text body, decoded.
    fn mail_decode(bytes: &[u8]) -> (String, String) {
        let m = mail_parser::MessageParser::default().parse(bytes).unwrap();
        (m.subject().unwrap().to_string(), m.body_text(0).unwrap().replace("\r\n", "\n"))
    }
}
