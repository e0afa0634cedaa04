//! The command line (clap derive; the commands are in README.md and docs/README.md), and the dispatch of each
//! command to the pipeline.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::archive_cli::ArchiveAction;
use crate::config::{Config, Env};
use crate::deliver::outbox::DeliveryStatus;
use crate::edition::Edition;
use crate::logging::LogFormat;
use crate::period::Period;
use crate::pipeline::{self, PipelineError, RecordsOverride};
use crate::problem::Problem;
use crate::progress::json;
use crate::report::templates::Texts;
use crate::report::ReportInput;

/// One example per command, shown under `lofte --help`.
const EXAMPLES: &str = "\
Examples:
  lofte check                                        validate config, pledges and sources
  lofte report --period 2021-H1 --format json --out -   results.json for the first half of 2021
  lofte publish --period 2021-H1 --dry-run           build, archive and write mail to the outbox
  lofte daemon                                       publish on the configured schedule
  lofte archive verify                               re-check every archived file's SHA-256
  lofte deliver --retry                              retry pending deliveries
  lofte status                                       last runs, next runs, pending deliveries";

/// lofte: follow-up of medborgarlöften. Reads activity records, measures progress toward every commitment,
/// and publishes the follow-up report.
#[derive(Debug, Parser)]
#[command(name = "lofte", version, about, long_about = None, propagate_version = true, after_help = EXAMPLES)]
pub struct Cli {
    /// Settings file.
    #[arg(long, global = true, default_value = "config/lofte.toml", value_name = "PATH")]
    pub config: PathBuf,
    /// Use these CSV files (or glob patterns) instead of the configured sources. Repeatable.
    #[arg(long = "records", global = true, value_name = "PATH")]
    pub records: Vec<PathBuf>,
    /// Override the configured archive folder (alone, it moves the state, outbox and site beside it too:
    /// `<archive-dir>-state`, `<archive-dir>-state-outbox`, `<archive-dir>-site`).
    #[arg(long, global = true, value_name = "DIR")]
    pub archive_dir: Option<PathBuf>,
    /// Override the configured state folder.
    #[arg(long, global = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Override the configured public site folder (with --archive-dir alone, the site goes beside that archive as
    /// `<archive-dir>-site`, never to the configured public site).
    #[arg(long, global = true, value_name = "DIR")]
    pub site_dir: Option<PathBuf>,
    /// Override the configured outbox folder (with --state-dir alone, the outbox goes beside that state as
    /// `<state-dir>-outbox`).
    #[arg(long, global = true, value_name = "DIR")]
    pub outbox_dir: Option<PathBuf>,
    /// More log output (-v progress, -vv detail).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less log output: errors only.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub quiet: u8,
    /// Log line format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate config, pledge documents and sources; print every problem at once.
    ///
    /// Example: lofte check --records config/data/oskarshamn-2021.csv
    Check,
    /// Build a report on demand; publishes nothing.
    ///
    /// Example: lofte report --period 2021-H1 --format json --out -
    Report(ReportArgs),
    /// The full job: build both editions, archive them, deliver them.
    ///
    /// Example: lofte publish --period 2021-H1 --dry-run
    Publish(PublishArgs),
    /// Run the publishing schedule until SIGTERM/SIGINT.
    ///
    /// Example: lofte daemon -v
    Daemon,
    /// The archive of published results.
    ///
    /// Example: lofte archive verify
    Archive {
        /// What to do with the archive.
        #[command(subcommand)]
        action: ArchiveAction,
    },
    /// Retry deliveries that are still pending.
    ///
    /// Example: lofte deliver --retry
    Deliver {
        /// Retry pending deliveries now.
        #[arg(long)]
        retry: bool,
        /// Move the delivery database aside and rebuild it from the archive's manifests (what each records as sent
        /// stays sent), then retry what is pending.
        #[arg(long)]
        rebuild: bool,
    },
    /// Release a draft waiting for review: exactly its figures, to the public list and the site.
    ///
    /// Example: lofte approve --period 2021-H1 --by "Anders Pleijel, lokalpolischef"
    Approve(crate::review_cli::ApproveArgs),
    /// Drop a draft waiting for review; a new publish makes a new draft.
    ///
    /// Example: lofte reject --period 2021-H1 --reason "Fel i underlaget för maj"
    Reject(crate::review_cli::RejectArgs),
    /// Last runs, next runs, drafts waiting for review and pending deliveries.
    ///
    /// Example: lofte status
    Status,
}

/// Options of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Period: 2021, 2021-H1, 2021-H2, 2021-T1, 2021-T2 or 2021-T3.
    #[arg(long)]
    pub period: String,
    /// Count records up to this date instead of the period's end (YYYY-MM-DD).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<NaiveDate>,
    /// Which edition.
    #[arg(long, value_enum, default_value_t = Edition::Public)]
    pub edition: Edition,
    /// Output file; `-` for standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Pdf)]
    pub format: Format,
    /// Generation time printed in the report (RFC 3339, e.g. 2021-07-01T09:00:00Z); default `SOURCE_DATE_EPOCH` or
    /// now. The same inputs and time give a byte-identical PDF.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub generated_at: Option<DateTime<Utc>>,
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{e}: write e.g. 2021-07-01T09:00:00Z"))
}

/// Report output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The A4 report.
    Pdf,
    /// results.json.
    Json,
}

/// Options of `publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// Period: 2021, 2021-H1, 2021-H2, 2021-T1, 2021-T2 or 2021-T3.
    #[arg(long)]
    pub period: String,
    /// Build and write the messages to the file outbox; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Publish again a period already published (the earlier version is kept).
    #[arg(long)]
    pub force: bool,
    /// Generation time printed in the reports (RFC 3339); default `SOURCE_DATE_EPOCH` or now.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub generated_at: Option<DateTime<Utc>>,
    /// With --force: why the period is published again; the correction's mail says it.
    #[arg(long, requires = "force", value_name = "TEXT")]
    pub reason: Option<String>,
    /// With review on: approve the draft at once, as this person ("Namn, titel"), for a coordinator who is also the
    /// approver. The reviewers still get the draft first; the public gets it approved by this name.
    #[arg(long, value_name = "NAME", conflicts_with = "dry_run")]
    pub approve_as: Option<String>,
}

/// Why a command failed, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The configuration has problems (all of them are listed).
    #[error("{} problem(s) in the configuration:\n{}", .0.len(), list(.0))]
    Config(Vec<Problem>),
    /// A pipeline stage failed.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// A report could not be rendered.
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    /// `SOURCE_DATE_EPOCH` is not a number.
    #[error(transparent)]
    GeneratedAt(#[from] crate::report::SourceDateEpochError),
    /// Writing output failed.
    #[error("cannot write {path}: {source}")]
    Output {
        /// The file, or `-` for standard output.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The archive could not be read or written.
    #[error(transparent)]
    Archive(#[from] crate::archive::ArchiveError),
    /// An archive action failed.
    #[error(transparent)]
    ArchiveCommand(#[from] crate::archive_cli::ArchiveCommandError),
    /// The daemon could not start.
    #[error(transparent)]
    Daemon(#[from] crate::daemon::DaemonError),
    /// The run state (lock and history) could not be read.
    #[error(transparent)]
    State(crate::state::LockError),
    /// Some deliveries failed or are still pending.
    #[error(transparent)]
    Delivery(#[from] DeliveryLeft),
}

/// Deliveries that a command could not complete (each is a row `lofte deliver` lists with its reason).
#[derive(Debug, thiserror::Error)]
pub enum DeliveryLeft {
    /// `deliver --retry` left rows pending or failed.
    #[error("{0} delivery(ies) not sent: see the list above")]
    NotSent(usize),
    /// `publish` had permanent refusals.
    #[error("{0} delivery(ies) failed for good; see `lofte deliver`")]
    Failed(usize),
}

fn list(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n")
}

impl CliError {
    /// The exit code (docs/README.md): 1 the job failed, 2 bad usage or bad configuration.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Config(_) | CliError::GeneratedAt(_) => 2,
            CliError::ArchiveCommand(e) => e.exit_code(),
            CliError::Pipeline(e) => e.exit_code(),
            CliError::Output { .. }
            | CliError::Report(_)
            | CliError::Archive(_)
            | CliError::Delivery(_)
            | CliError::Daemon(_)
            | CliError::State(_) => 1,
        }
    }
}

impl Cli {
    /// -v minus -q.
    #[must_use]
    pub fn verbosity(&self) -> i8 {
        self.verbose.min(10) as i8 - self.quiet.min(10) as i8
    }

    /// Loads the configuration and applies the folder overrides.
    pub fn load_config(&self) -> Result<Config, CliError> {
        let mut config = Config::load(&self.config, &Env::from_process()).map_err(CliError::Config)?;
        if let Some(dir) = &self.archive_dir {
            config.archive_dir.clone_from(dir);
            // A trial archive must never rewrite the configured public site, nor use the configured delivery
            // state: its rows would stand for the real entries and mark the real follow-up as sent.
            config.site_dir = beside(dir, "site");
            config.state_dir = beside(dir, "state");
            config.outbox_dir = beside(&config.state_dir, "outbox");
        }
        if let Some(dir) = &self.state_dir {
            config.state_dir.clone_from(dir);
            // Mail recorded as sent in a trial state belongs beside it, not in the configured outbox.
            config.outbox_dir = beside(dir, "outbox");
        }
        if let Some(dir) = &self.site_dir {
            config.site_dir.clone_from(dir);
        }
        if let Some(dir) = &self.outbox_dir {
            config.outbox_dir.clone_from(dir);
        }
        Ok(config)
    }
}

/// `<dir>-<what>` next to `dir` (`try/` → `try-site`).
fn beside(dir: &Path, what: &str) -> PathBuf {
    let name = dir.file_name().map_or_else(|| "lofte".into(), |n| n.to_string_lossy().into_owned());
    dir.with_file_name(format!("{name}-{what}"))
}

/// Runs the command.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let records = RecordsOverride(cli.records.clone());
    match &cli.command {
        Command::Check => {
            let config = cli.load_config()?;
            let checked = crate::check::run(&config, &records).await;
            out!("{}", checked.text);
            if checked.problems.is_empty() {
                outln!("\nok: {} has no problems", config.path.display());
                Ok(())
            } else {
                Err(CliError::Config(checked.problems))
            }
        }
        Command::Report(args) => {
            let config = cli.load_config()?;
            report(&config, args, &records).await
        }
        Command::Publish(args) => {
            let config = cli.load_config()?;
            publish(&config, args, &records).await
        }
        Command::Daemon => {
            let config = cli.load_config()?;
            let load = || cli.load_config().map_err(|e| e.to_string());
            // The signals are the program's edge: the daemon gets a shutdown future and a reload request.
            let signals = crate::signals::listen().map_err(crate::daemon::DaemonError::Signals)?;
            let reload = crate::daemon::Reload { requested: &signals.reload, load: &load };
            let clock = crate::clock::SystemClock;
            Ok(crate::daemon::run(&config, &records, &clock, reload, signals.shutdown).await?)
        }
        Command::Archive { action } => {
            let config = cli.load_config()?;
            out!("{}", crate::archive_cli::run(&config, action)?);
            Ok(())
        }
        Command::Deliver { retry, rebuild } => {
            let config = cli.load_config()?;
            deliver(&config, *retry, *rebuild).await
        }
        Command::Approve(args) => {
            let config = cli.load_config()?;
            out!("{}", crate::review_cli::approve(&config, args).await?);
            Ok(())
        }
        Command::Reject(args) => {
            let config = cli.load_config()?;
            out!("{}", crate::review_cli::reject(&config, args)?);
            Ok(())
        }
        Command::Status => {
            let config = cli.load_config()?;
            status(&config)
        }
    }
}

async fn report(config: &Config, args: &ReportArgs, records: &RecordsOverride) -> Result<(), CliError> {
    let generated_at = crate::report::generation_time(args.generated_at)?;
    // An on-demand report publishes nothing, so no publication of its own counts.
    let mut period = Period::parse(&args.period).map_err(PipelineError::from)?;
    if let Some(d) = args.as_of {
        period = period.with_as_of(d);
    }
    let follow_up = pipeline::follow_up(config, &period, records, &[]).await?;
    match args.format {
        Format::Json => {
            let mut bytes =
                serde_json::to_vec_pretty(&json::results(&follow_up.progress, args.edition, follow_up.provisional))
                    .map_err(|source| CliError::Output { path: "results.json".into(), source: source.into() })?;
            bytes.push(b'\n');
            write_output(args.out.as_deref(), &bytes)
        }
        Format::Pdf => {
            let texts = Texts::load(config.language).map_err(crate::report::ReportError::from)?;
            let hash = crate::report::input_hash(&follow_up.validated);
            let input = ReportInput {
                pledge: &follow_up.pledge,
                progress: &follow_up.progress,
                validated: &follow_up.validated,
                edition: args.edition,
                generated_at,
                input_hash: &hash,
                stamp: crate::report::Stamp::provisional(follow_up.provisional),
                max_rejected_rows: config.max_rejected_rows,
            };
            let bytes = crate::report::pdf::render(&input, &texts)?;
            let default =
                PathBuf::from(crate::report::pdf_name(&follow_up.pledge.id, &follow_up.period.name, args.edition));
            let out = args.out.as_deref().unwrap_or(&default);
            write_output(Some(out), &bytes)?;
            if out != Path::new("-") {
                tracing::info!(file = %out.display(), bytes = bytes.len(), "wrote report");
            }
            Ok(())
        }
    }
}

fn status(config: &Config) -> Result<(), CliError> {
    outln!("last runs:");
    // Read-only throughout: `status` works on a state folder it may not write (another user's, a read-only mount).
    let runs = crate::state::last_runs(&config.state_dir, 10).map_err(CliError::State)?;
    if runs.is_empty() {
        outln!("  none yet");
    }
    for r in runs {
        outln!("  {}  {:<8} {:<9} {}", r.started_at, r.period, r.outcome.key(), r.message);
    }
    out!("{}", crate::check::next_runs(config));
    out!("{}", crate::review_cli::drafts(config)?);
    let outbox = crate::deliver::outbox::Outbox::open_read_only(&config.state_dir).map_err(deliver_error)?;
    let rows = match &outbox {
        Some(outbox) => outbox.all().map_err(deliver_error)?,
        None => Vec::new(),
    };
    let pending: Vec<_> = rows.into_iter().filter(|r| r.status == DeliveryStatus::Pending).collect();
    outln!("\npending deliveries: {}", pending.len());
    for r in pending {
        let next = chrono::DateTime::from_timestamp(r.next_attempt_at, 0).map(|t| t.to_rfc3339()).unwrap_or_default();
        outln!(
            "  {} {} {} {}  next attempt {next}  {}",
            r.document,
            r.period,
            r.role,
            r.address,
            r.last_error.unwrap_or_default()
        );
    }
    Ok(())
}

fn deliver_error(e: crate::deliver::DeliverError) -> CliError {
    CliError::Pipeline(PipelineError::Deliver(e))
}

async fn deliver(config: &Config, retry: bool, rebuild: bool) -> Result<(), CliError> {
    use crate::deliver::outbox::Outbox;
    let archive = crate::archive::Archive::new(&config.archive_dir);
    if rebuild {
        let (mut outbox, moved) = Outbox::rebuild(&config.state_dir).map_err(deliver_error)?;
        if let Some(moved) = moved {
            outln!("the old delivery database was moved to {}", moved.display());
        }
        let added =
            crate::deliver::enqueue_archive(&mut outbox, &archive, crate::deliver::now()).map_err(deliver_error)?;
        outln!("rebuilt from the archive's manifests: {added} deliveries recorded (what a manifest records as sent stays sent)");
    }
    if retry || rebuild {
        archive.clean_leftovers()?;
        let mut outbox = Outbox::open(&config.state_dir).map_err(deliver_error)?;
        crate::deliver::enqueue_archive(&mut outbox, &archive, crate::deliver::now()).map_err(deliver_error)?;
        let transport = crate::deliver::transport::Transport::from_config(config).map_err(deliver_error)?;
        let s = crate::deliver::send_due(config, &mut outbox, &transport, crate::deliver::now(), true)
            .await
            .map_err(deliver_error)?;
        outln!("retried: {} sent, {} failed, {} still pending", s.sent, s.failed, s.pending);
    }
    let outbox = Outbox::open_read_only(&config.state_dir).map_err(deliver_error)?;
    let rows = match &outbox {
        Some(outbox) => outbox.all().map_err(deliver_error)?,
        None => Vec::new(),
    };
    if rows.is_empty() {
        outln!("no deliveries recorded yet");
    }
    for r in &rows {
        let error = r.last_error.as_deref().map(|e| format!("  ({e})")).unwrap_or_default();
        outln!(
            "{:<18} {:<8} v{:<2} {:<13} {:<45} {:<10} attempts {}{error}",
            r.document,
            r.period,
            r.version,
            r.role,
            r.address,
            r.status,
            r.attempts
        );
    }
    // A row another live process is sending right now is in hand, not left undone.
    let mut open = 0;
    for r in &rows {
        let in_hand = match &outbox {
            Some(o) if r.status == DeliveryStatus::Pending => {
                o.held_elsewhere(r, crate::deliver::now()).map_err(deliver_error)?
            }
            _ => false,
        };
        if matches!(r.status, DeliveryStatus::Pending | DeliveryStatus::Failed) && !in_hand {
            open += 1;
        }
    }
    if retry && open > 0 {
        return Err(DeliveryLeft::NotSent(open).into());
    }
    Ok(())
}

async fn publish(config: &Config, args: &PublishArgs, records: &RecordsOverride) -> Result<(), CliError> {
    let options = pipeline::PublishOptions {
        period: Period::parse(&args.period).map_err(PipelineError::from)?,
        generated_at: crate::report::generation_time(args.generated_at)?,
        force: args.force,
        dry_run: args.dry_run,
        reason: args.reason.clone(),
    };
    if args.approve_as.is_some() && !config.review.required {
        return Err(PipelineError::Review(pipeline::review::ReviewError::ReviewOff).into());
    }
    let done = pipeline::publish(config, records, &options).await?;
    if let (Some(by), Some(_)) = (&args.approve_as, &done.manifest.review) {
        outln!("drafted {} {}: {}", done.manifest.document, done.manifest.period, done.dir.display());
        let approve = crate::review_cli::ApproveArgs {
            period: args.period.clone(),
            document: Some(done.manifest.document.clone()),
            by: by.clone(),
        };
        out!("{}", crate::review_cli::approve(config, &approve).await?);
        return Ok(());
    }
    let m = &done.manifest;
    if done.dry_run {
        outln!(
            "dry run: {} {} built into {} (nothing archived, nothing sent)",
            m.document,
            m.period,
            done.dir.display()
        );
    } else if m.review.is_some() {
        let reviewers: Vec<&str> = config.review.reviewers.iter().map(|r| r.key()).collect();
        outln!(
            "drafted {} {}: {} ({} files); waiting for review by {}: nothing goes to the public list or the site until \
             `lofte approve --period {} --by \"Namn, titel\"`",
            m.document,
            m.period,
            done.dir.display(),
            m.files.len(),
            reviewers.join(" and "),
            m.period
        );
    } else {
        outln!("published {} {}: {} ({} files)", m.document, m.period, done.dir.display(), m.files.len());
    }
    if let Some(site) = &done.site {
        outln!("public site: {}", site.display());
    }
    if let Some(stale) = &done.stale {
        outln!("warning: {stale}");
    }
    let d = &done.delivery;
    if done.dry_run {
        outln!(
            "delivery: {} message(s) written to {} and sent nowhere",
            d.pending,
            config.outbox_dir.join("dry-run").display()
        );
    } else {
        outln!("delivery: {} sent, {} failed, {} pending", d.sent, d.failed, d.pending);
        for (who, status) in m.deliveries.iter().filter(|(_, s)| *s != DeliveryStatus::Sent.key()) {
            outln!("  {who}: {status}");
        }
    }
    if !done.dry_run && d.failed > 0 {
        return Err(DeliveryLeft::Failed(d.failed).into());
    }
    Ok(())
}

/// Writes to a file, or to standard output for `-` or no file.
pub fn write_output(out: Option<&Path>, bytes: &[u8]) -> Result<(), CliError> {
    let name = out.map_or_else(|| "-".to_string(), |p| p.display().to_string());
    let err = |source| CliError::Output { path: name.clone(), source };
    match out {
        Some(path) if path != Path::new("-") => std::fs::write(path, bytes).map_err(err),
        // A reader that stopped early (`| head`) took what it wanted; that is not a failure.
        _ => match std::io::stdout().write_all(bytes) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other.map_err(err),
        },
    }
}
