//! The one validation pass over the settings and the pledge documents: every problem, with its place.

use std::io;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use sha2::{Digest, Sha256};
use toml::Spanned;

use super::raw::{RawMail, RawRecipients, RawSchedule, RawSettings, RawSource, SourceKind};
use super::{
    ApiConfig, Config, Env, Freshness, Language, MailConfig, Recipients, ScheduleConfig, ScheduledRun, SmtpConfig,
    SmtpSettings, SourceConfig,
};
use crate::pledge;
use crate::problem::{Problem, Problems};
use crate::schedule;

/// Rejected rows listed in the internal edition unless `[report] max_rejected_rows` says otherwise.
pub const DEFAULT_MAX_REJECTED_ROWS: usize = 200;

/// Everything `Config::load` does after reading the settings file; `read` reads the pledge documents, so tests can
/// hand in files without touching the disk.
pub(super) fn from_text(
    path: &Path,
    text: &str,
    base: &Path,
    env: &Env,
    read: &dyn Fn(&Path) -> io::Result<String>,
) -> Result<Config, Vec<Problem>> {
    let raw: RawSettings = toml::from_str(text)
        .map_err(|e| vec![Problem::at(path, text, e.span(), crate::problem::without_values(e.message()))])?;
    let mut problems = Problems::new(path, text);
    let mut others = Vec::new();
    let mut warnings = Vec::new();
    let mut hasher = Sha256::new();
    hasher.update(text.as_bytes());
    let pledges = pledges(
        &raw.pledges,
        base,
        &mut |p: &Path| {
            let t = read(p)?;
            hasher.update(t.as_bytes());
            Ok(t)
        },
        &mut problems,
        &mut others,
        &mut warnings,
    );
    let config_hash = crate::hash::hex(&hasher.finalize());
    let sources = sources(raw.sources, base, path, &mut problems, &mut others);
    let recipients_span = raw.recipients.span();
    let recipients = recipients(raw.recipients, &mut problems);
    check_mail(&raw.mail, &mut problems);
    let smtp_settings = smtp(env, raw.smtp.url.as_ref(), &mut problems, &mut others);
    let schedule = schedule(raw.schedule, &mut problems);
    let review = review(&raw.review, &mut problems);
    if review.required {
        for role in &review.reviewers {
            for address in recipients.of(*role) {
                if recipients.public_list.iter().any(|p| p.eq_ignore_ascii_case(address)) {
                    problems.at(
                        recipients_span.clone(),
                        format!("{address} is both a {} (a reviewer, who gets unapproved drafts) and on the public list: a draft must never reach the public; use another address for one of them", role.key()),
                    );
                }
            }
        }
    }

    others.extend(problems.list);
    if !others.is_empty() {
        return Err(others);
    }
    Ok(Config {
        path: path.to_path_buf(),
        language: raw.language.unwrap_or(Language::Sv),
        pledges,
        sources,
        archive_dir: resolve(base, raw.archive_dir.as_deref().unwrap_or("../archive")),
        state_dir: resolve(base, raw.state_dir.as_deref().unwrap_or("../state")),
        outbox_dir: resolve(base, raw.outbox_dir.as_deref().unwrap_or("../outbox")),
        site_dir: resolve(base, raw.site_dir.as_deref().unwrap_or("../site")),
        followups_dir: resolve(base, raw.followups_dir.as_deref().unwrap_or("followups")),
        config_hash,
        recipients,
        mail: MailConfig {
            from: raw.mail.from.into_inner(),
            reply_to: raw.mail.reply_to.map(Spanned::into_inner),
            list_id: raw.mail.list_id.into_inner(),
            unsubscribe: raw.mail.unsubscribe.into_inner(),
        },
        smtp: SmtpConfig { settings: smtp_settings, timeout_secs: raw.smtp.timeout_secs.unwrap_or(60) },
        schedule,
        max_rejected_rows: raw.report.max_rejected_rows.unwrap_or(DEFAULT_MAX_REJECTED_ROWS),
        review,
        freshness: Freshness { max_age_days: raw.freshness.max_age_days, refuse_publish: raw.freshness.refuse_publish },
        warnings,
    })
}

/// The sources, each checked, and no two with one name.
fn sources(
    raw: Vec<Spanned<RawSource>>,
    base: &Path,
    path: &Path,
    problems: &mut Problems,
    others: &mut Vec<Problem>,
) -> Vec<SourceConfig> {
    let sources: Vec<SourceConfig> = raw.into_iter().filter_map(|s| source(s, base, problems)).collect();
    for (i, s) in sources.iter().enumerate() {
        if sources[..i].iter().any(|t| t.name() == s.name()) {
            others.push(Problem::whole(path, format!("two sources are named {:?}: give each its own name", s.name())));
        }
    }
    sources
}

/// `[mail]`: list headers and addresses that are safe to put into a header.
fn check_mail(mail: &RawMail, problems: &mut Problems) {
    if mail.list_id.get_ref().chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        || !mail.list_id.get_ref().contains('.')
    {
        problems.at(
            mail.list_id.span(),
            "mail.list_id must be a dotted name without spaces, e.g. \"medborgarloften.kommun.example.se\"",
        );
    }
    let unsubscribe = mail.unsubscribe.get_ref();
    if !(unsubscribe.starts_with("mailto:") || unsubscribe.starts_with("https://"))
        || unsubscribe.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        problems.at(
            mail.unsubscribe.span(),
            "mail.unsubscribe must be a mailto: or https: address without spaces or line breaks",
        );
    }
    for address in [Some(&mail.from), mail.reply_to.as_ref()].into_iter().flatten() {
        if address.get_ref().chars().any(char::is_control) {
            problems.at(
                address.span(),
                format!("{:?} holds a line break or control character, which would break the mail headers: write it on one line", address.get_ref()),
            );
        } else if !is_valid_address(bare_address(address.get_ref()))
            || address.get_ref().parse::<lettre::message::Mailbox>().is_err()
        {
            problems.at(address.span(), format!("{:?} is not a valid e-mail address", address.get_ref()));
        }
    }
}

/// The SMTP settings from `LOFTE_SMTP_URL` (which wins) or `[smtp] url`, parsed once for the check and the
/// transport alike.
fn smtp(
    env: &Env,
    url: Option<&Spanned<String>>,
    problems: &mut Problems,
    others: &mut Vec<Problem>,
) -> Option<SmtpSettings> {
    match (&env.smtp_url, url) {
        (Some(url), _) => {
            SmtpSettings::parse(url).map_err(|p| others.push(Problem::whole("environment LOFTE_SMTP_URL", p))).ok()
        }
        (None, Some(url)) => SmtpSettings::parse(url.get_ref()).map_err(|p| problems.at(url.span(), p)).ok(),
        (None, None) => None,
    }
}

/// Reads and validates each listed pledge document; their problems go to `others` (they are in other files).
fn pledges(
    list: &Spanned<Vec<Spanned<String>>>,
    base: &Path,
    read: &mut dyn FnMut(&Path) -> io::Result<String>,
    problems: &mut Problems,
    others: &mut Vec<Problem>,
    warnings: &mut Vec<Problem>,
) -> Vec<pledge::Pledge> {
    if list.get_ref().is_empty() {
        problems.at(list.span(), "no pledge documents listed: add pledges = [\"pledges/<kommun>-<år>.toml\"]");
    }
    let mut pledges: Vec<pledge::Pledge> = Vec::new();
    for entry in list.get_ref() {
        let file = resolve(base, entry.get_ref());
        let text = match read(&file) {
            Ok(text) => text,
            Err(e) => {
                problems.at(entry.span(), format!("cannot read pledge document {}: {e}", file.display()));
                continue;
            }
        };
        match pledge::parse(&file, &text) {
            Ok(p) => {
                for c in &p.commitments {
                    let baseline = c.target.baseline_text().unwrap_or_default();
                    if c.target.example_baseline() {
                        warnings.push(Problem::whole(
                            &file,
                            format!(
                                "commitment {:?}: baseline {baseline} is an example figure; put the real figure in and set baseline_is_example = false",
                                c.id
                            ),
                        ));
                    }
                }
                if pledges.iter().any(|q| q.id == p.id) {
                    problems.at(entry.span(), format!("two pledge documents have the id {:?}", p.id));
                }
                pledges.push(p);
            }
            Err(more) => others.extend(more),
        }
    }
    pledges
}

fn recipients(raw: Spanned<RawRecipients>, problems: &mut Problems) -> Recipients {
    let span = raw.span();
    let raw = raw.into_inner();
    let mut role = |name: &str, list: Option<Spanned<Vec<Spanned<String>>>>| -> Vec<String> {
        let Some(list) = list else {
            problems.at(span.clone(), format!("role {name} has no recipients: add {name} = [\"namn@example.se\"]"));
            return Vec::new();
        };
        if list.get_ref().is_empty() {
            problems.at(list.span(), format!("role {name} has no recipients: add at least one address"));
        }
        let mut out = Vec::new();
        for address in list.into_inner() {
            if !is_valid_address(address.get_ref()) {
                problems.at(address.span(), format!("{name}: {:?} is not a valid e-mail address", address.get_ref()));
            }
            out.push(address.into_inner());
        }
        out
    };
    Recipients {
        police_chief: role("police_chief", raw.police_chief),
        board_chair: role("board_chair", raw.board_chair),
        public_list: role("public_list", raw.public_list),
    }
}

fn schedule(raw: RawSchedule, problems: &mut Problems) -> ScheduleConfig {
    let timezone = match &raw.timezone {
        None => chrono_tz::Europe::Stockholm,
        Some(tz) => tz.get_ref().parse::<Tz>().unwrap_or_else(|_| {
            problems
                .at(tz.span(), format!("time zone {:?} is not known: write e.g. \"Europe/Stockholm\"", tz.get_ref()));
            chrono_tz::Europe::Stockholm
        }),
    };
    let mut runs = Vec::new();
    for run in raw.runs {
        if let Err(e) = schedule::parse_cron(run.cron.get_ref()) {
            problems.at(run.cron.span(), e.to_string());
        }
        let sample = chrono::Utc::now().with_timezone(&timezone);
        if let Err(e) = schedule::period_for_run(run.period.get_ref(), &sample) {
            problems.at(run.period.span(), e.to_string());
        }
        runs.push(ScheduledRun { cron: run.cron.into_inner(), period: run.period.into_inner() });
    }
    ScheduleConfig {
        timezone,
        catch_up_days: raw.catch_up_days.unwrap_or(30),
        busy_retry_secs: raw.busy_retry_secs.unwrap_or(120),
        runs,
    }
}

fn source(s: Spanned<RawSource>, base: &Path, problems: &mut Problems) -> Option<SourceConfig> {
    let (span, s) = (s.span(), s.into_inner());
    let name = s.name.get_ref().clone();
    if !pledge::is_safe_id(&name) {
        problems.at(s.name.span(), format!("source name {name:?} may only hold a–z, 0–9 and '-'"));
    }
    match s.kind {
        SourceKind::Csv => {
            let api_only = [
                ("url", s.url.is_some()),
                ("token_env", s.token_env.is_some()),
                ("timeout_secs", s.timeout_secs.is_some()),
                ("connect_timeout_secs", s.connect_timeout_secs.is_some()),
                ("retries", s.retries.is_some()),
                ("retry_base_ms", s.retry_base_ms.is_some()),
                ("max_pages", s.max_pages.is_some()),
                ("max_records", s.max_records.is_some()),
                ("max_body_bytes", s.max_body_bytes.is_some()),
            ];
            let given: Vec<&str> = api_only.iter().filter(|(_, set)| *set).map(|(key, _)| *key).collect();
            if !given.is_empty() {
                problems.at(
                    span.clone(),
                    format!(
                        "csv source {name:?} has {}, which only an api source uses: remove it, or set kind = \"api\"",
                        given.join(", ")
                    ),
                );
            }
            let Some(path) = s.path else {
                problems.at(span, format!("csv source {name:?} needs path = \"data/*.csv\""));
                return None;
            };
            let pattern = resolve(base, path.get_ref()).to_string_lossy().into_owned();
            if let Err(e) = glob::Pattern::new(&pattern) {
                problems.at(path.span(), format!("path {:?} is not a valid glob pattern: {e}", path.get_ref()));
            }
            Some(SourceConfig::Csv { name, pattern })
        }
        SourceKind::Api => {
            let Some(url) = s.url else {
                problems.at(span, format!("api source {name:?} needs url = \"https://…\""));
                return None;
            };
            if let Some(p) = api_url_problem(url.get_ref()) {
                problems.at(url.span(), p);
            }
            if let Some(var) = &s.token_env {
                let valid = var.get_ref().chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                    && !var.get_ref().is_empty()
                    && !var.get_ref().starts_with(|c: char| c.is_ascii_digit());
                if !valid {
                    problems.at(
                        var.span(),
                        "token_env must name an environment variable (e.g. LOFTE_API_TOKEN), not hold the token itself",
                    );
                }
            }
            Some(SourceConfig::Api(ApiConfig {
                name,
                url: url.into_inner(),
                token_env: s.token_env.map(Spanned::into_inner),
                timeout_secs: s.timeout_secs.unwrap_or(30),
                connect_timeout_secs: s.connect_timeout_secs.unwrap_or(10),
                retries: s.retries.unwrap_or(4),
                retry_base_ms: s.retry_base_ms.unwrap_or(500),
                max_pages: s.max_pages.unwrap_or(10_000),
                max_records: s.max_records.unwrap_or(5_000_000),
                max_body_bytes: s.max_body_bytes.unwrap_or(8 * 1024 * 1024),
            }))
        }
    }
}

/// `path` against `base`, with `dir/..` removed so that messages show `outbox`, not `config/../outbox`.
fn resolve(base: &Path, path: &str) -> PathBuf {
    super::lexical_normal(&base.join(path))
}

/// `Name <a@b.se>` → `a@b.se`; a bare address stays as it is.
fn bare_address(text: &str) -> &str {
    match (text.rfind('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close => &text[open + 1..close],
        _ => text,
    }
}

/// A plain check of an e-mail address: one `@`, a local part without spaces or specials, a dotted domain.
#[must_use]
pub fn is_valid_address(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else { return false };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

/// Whether a URL's host is this machine.
#[must_use]
pub fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        // Non-special schemes such as smtp:// leave IP addresses as domain text.
        url::Host::Domain(d) => {
            d.eq_ignore_ascii_case("localhost")
                || d.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Why an SMTP URL is refused, or `None` when it is fine (see [`SmtpSettings::parse`]).
#[must_use]
pub fn smtp_url_problem(text: &str) -> Option<String> {
    SmtpSettings::parse(text).err()
}

/// HTTPS is required for an API, except to a loopback address (a test server or a local proxy).
fn api_url_problem(text: &str) -> Option<String> {
    match url::Url::parse(text) {
        Err(e) => Some(format!("API URL {text:?} is not a URL: {e}")),
        Ok(u) if u.scheme() == "https" => None,
        Ok(u) if u.scheme() == "http" && u.host().is_some_and(|h| is_loopback_host(&h)) => None,
        Ok(_) => Some(format!("API URL {text:?} must use https:// (plain http is allowed to a loopback address only)")),
    }
}

/// `[review]`: off unless `required = true`; reviewers are roles, by default the police chief and the board chair
/// (the public list reviews nothing: it is who the review protects).
fn review(raw: &super::raw::RawReview, problems: &mut Problems) -> super::ReviewConfig {
    use crate::edition::Role;
    let mut reviewers = Vec::new();
    match &raw.reviewers {
        None => reviewers.extend([Role::PoliceChief, Role::BoardChair]),
        Some(list) => {
            for role in list.get_ref() {
                match Role::from_key(role.get_ref()) {
                    Some(Role::PublicList) => problems
                        .at(role.span(), "the public list cannot review a draft: name police_chief and/or board_chair"),
                    Some(r) if !reviewers.contains(&r) => reviewers.push(r),
                    Some(_) => problems.at(role.span(), format!("reviewer {:?} is named twice", role.get_ref())),
                    None => problems.at(
                        role.span(),
                        format!("reviewer {:?} is not a role: write police_chief or board_chair", role.get_ref()),
                    ),
                }
            }
            if list.get_ref().is_empty() {
                problems.at(list.span(), "reviewers is empty: name police_chief and/or board_chair");
            } else if raw.required == Some(true) && reviewers.len() < 2 {
                // The internal edition is rendered once, as the draft the reviewers read; an internal recipient
                // outside the review would get that draft as the follow-up (docs/review.md).
                problems.at(
                    list.span(),
                    "with review on, both internal roles review the draft (their internal edition is the draft they read): write reviewers = [\"police_chief\", \"board_chair\"] or leave the key out",
                );
            }
        }
    }
    super::ReviewConfig {
        required: raw.required.unwrap_or(false),
        reviewers,
        remind_after_days: raw.remind_after_days.unwrap_or(7),
    }
}
