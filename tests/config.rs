//! Configuration and pledge-document validation: every rule names its file, line and what to do, and one run
//! reports every problem.

mod common;

use common::{line_of, stderr, stdout, Fixture};
use lofte::config::{Config, Env};
use lofte::pledge::{Parties, Party, PlacesRule, Target};
use lofte::problem::Problem;

const PLEDGE: &str = "config/pledges/oskarshamn-2021.toml";
const SETTINGS: &str = "config/lofte.toml";

fn problems(f: &Fixture) -> Vec<Problem> {
    problems_with(f, &Env::default())
}

fn problems_with(f: &Fixture, env: &Env) -> Vec<Problem> {
    match Config::load(&f.config(), env) {
        Ok(_) => panic!("the configuration was accepted"),
        Err(p) => p,
    }
}

/// The one problem whose message contains `needle`; checks it is in file `rel` at the line holding `at`.
fn expect(problems: &[Problem], f: &Fixture, rel: &str, needle: &str, at: &str) {
    expect_on_line(problems, f, rel, needle, line_of(&f.read(rel), at));
}

/// The one problem whose message contains `needle`; checks it is in file `rel` on 1-based line `line`.
fn expect_on_line(problems: &[Problem], f: &Fixture, rel: &str, needle: &str, line: usize) {
    let found: Vec<&Problem> = problems.iter().filter(|p| p.message.contains(needle)).collect();
    assert_eq!(found.len(), 1, "one problem saying {needle:?} expected in {problems:#?}");
    let p = found[0];
    assert_eq!(p.file, f.path(rel), "{p}");
    assert_eq!(p.line, Some(line), "{p}");
    assert!(p.column.is_some(), "{p}");
}

#[test]
fn the_shipped_configuration_loads() {
    let f = Fixture::new();
    let config = Config::load(&f.config(), &Env::default()).unwrap();
    let pledge = &config.pledges[0];
    assert_eq!(pledge.id, "oskarshamn-2021");
    assert_eq!(pledge.municipality, "Oskarshamns kommun");
    assert_eq!(pledge.commitments.len(), 8);
    assert_eq!(pledge.signatories.len(), 2);
    assert_eq!(pledge.signatories[0].name, "Anders Pleijel");
    assert_eq!(pledge.signatories[1].title, "Kommunstyrelsens ordförande");
    let patrols = pledge.commitments.iter().find(|c| c.id == "fotpatrull-skolor").unwrap();
    let places = patrols.places.as_ref().unwrap();
    assert_eq!(places.list.names, ["Vallhallaskolan", "Kristinebergskolan", "Rödsleskolan", "Oscarsgymnasiet"]);
    assert_eq!(places.rule, PlacesRule::Only);
    assert_eq!(patrols.target, Target::AtLeast { value: 20, per: None });
    let lupp = pledge.commitments.iter().find(|c| c.id == "lupp-enkat").unwrap();
    assert_eq!(lupp.parties, Parties::Listed(vec![Party::kommunen()]));
    match &lupp.target {
        Target::Milestones { milestones } => {
            assert_eq!(milestones.iter().map(|m| m.key.as_str()).collect::<Vec<_>>(), ["ak8", "gy2"]);
        }
        other => panic!("{other:?}"),
    }
    // No example figure: `sociala-medier` counts its baseline from the records of 2020 (issue 16).
    assert!(!config.warnings.iter().any(|w| w.message.contains("example figure")), "{:?}", config.warnings);
    let posts = pledge.commitments.iter().find(|c| c.id == "sociala-medier").unwrap();
    let (start, end) = posts.baseline_from.expect("sociala-medier counts its baseline from records");
    assert_eq!(start, chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap());
    assert_eq!(end, chrono::NaiveDate::from_ymd_opt(2020, 12, 31).unwrap());
    assert!(matches!(posts.target, Target::Increase { baseline_is_example: false, .. }), "{:?}", posts.target);
    // Review before release is on in the shipped configuration (the fixture turns it off; this reads the original).
    let shipped = Config::load(&Fixture::reviewed().config(), &Env::default()).unwrap();
    assert!(shipped.review.required);
    assert!(!config.review.required, "Fixture::new turns review off");
    assert_eq!(config.schedule.runs.len(), 2);
    assert_eq!(config.schedule.timezone, chrono_tz::Europe::Stockholm);
}

#[test]
fn every_commitment_text_is_verbatim_from_the_signed_document() {
    let f = Fixture::new();
    let config = Config::load(&f.config(), &Env::default()).unwrap();
    let signed = std::fs::read_to_string(common::root().join("config/pledges/oskarshamn-2021.txt")).unwrap();
    let pledge = &config.pledges[0];
    for c in &pledge.commitments {
        assert!(signed.contains(&c.text), "{} is not verbatim", c.id);
    }
    for text in [&pledge.introduction, &pledge.situation, &pledge.purpose] {
        assert!(signed.contains(text.as_str()), "{text}");
    }
    for area in &pledge.focus_areas {
        assert!(signed.contains(area.as_str()), "{area}");
    }
}

#[test]
fn duplicate_commitment_id() {
    let f = Fixture::new();
    f.edit(PLEDGE, "id = \"motorburen-ungdom\"", "id = \"hastighetskontroller\"");
    let p = problems(&f);
    let text = f.read(PLEDGE);
    let second = text.match_indices("id = \"hastighetskontroller\"").nth(1).unwrap().0;
    let dup = p.iter().find(|p| p.message.contains("is used twice")).unwrap();
    assert_eq!(dup.line, Some(text[..second].lines().count() + 1), "{dup}");
    assert!(dup.message.contains("\"hastighetskontroller\""));
}

#[test]
fn commitment_naming_an_undefined_activity_kind() {
    let f = Fixture::new();
    f.edit(PLEDGE, "activity = \"trygghetsvandring\"", "activity = \"trygghetsvandringar\"");
    expect(&problems(&f), &f, PLEDGE, "which no [[activities]] entry defines", "activity = \"trygghetsvandringar\"");
}

#[test]
fn target_not_positive() {
    let f = Fixture::new();
    f.edit(PLEDGE, "target = 52", "target = 0");
    expect(&problems(&f), &f, PLEDGE, "target must be a positive whole number, not 0", "target = 0");
}

#[test]
fn period_end_before_start() {
    let f = Fixture::new();
    f.edit(PLEDGE, "end = 2021-12-31", "end = 2020-12-31");
    // The line of [period]'s end; `sociala-medier`'s `baseline_from = { …, end = 2020-12-31 }` holds the text too.
    let text = f.read(PLEDGE);
    let end: Vec<usize> =
        text.lines().enumerate().filter(|(_, l)| *l == "end = 2020-12-31").map(|(i, _)| i + 1).collect();
    assert_eq!(end.len(), 1, "one period end");
    expect_on_line(&problems(&f), &f, PLEDGE, "period ends (2020-12-31) before it starts (2021-01-01)", end[0]);
}

#[test]
fn milestone_commitment_without_milestones() {
    let f = Fixture::new();
    let text = f.read(PLEDGE);
    let start = text.find("[[commitments.milestones]]").unwrap();
    let end = text.find("[[commitments]]\nid = \"trygghetsvandring\"").unwrap();
    std::fs::write(f.path(PLEDGE), format!("{}{}", &text[..start], &text[end..])).unwrap();
    let p = problems(&f);
    let found = p.iter().find(|p| p.message.contains("milestone commitment without milestones")).unwrap();
    assert!(found.message.contains("\"lupp-enkat\""), "{found}");
    assert_eq!(found.file, f.path(PLEDGE));
    assert!(found.line.is_some());
}

#[test]
fn role_without_recipients() {
    let f = Fixture::new();
    f.edit(SETTINGS, "board_chair = [\"ks.ordforande@oskarshamn.example.se\"]", "board_chair = []");
    expect(&problems(&f), &f, SETTINGS, "role board_chair has no recipients", "board_chair = []");

    let f = Fixture::new();
    f.edit(SETTINGS, "board_chair = [\"ks.ordforande@oskarshamn.example.se\"]\n", "");
    let p = problems(&f);
    let found = p.iter().find(|p| p.message.contains("role board_chair has no recipients")).unwrap();
    assert_eq!(found.line, Some(line_of(&f.read(SETTINGS), "[recipients]")), "{found}");
}

#[test]
fn invalid_email_address() {
    let f = Fixture::new();
    f.edit(SETTINGS, "ks.ordforande@oskarshamn.example.se", "ks.ordforande.oskarshamn.example.se");
    expect(
        &problems(&f),
        &f,
        SETTINGS,
        "board_chair: \"ks.ordforande.oskarshamn.example.se\" is not a valid e-mail address",
        "board_chair = [",
    );
}

#[test]
fn invalid_cron_expression() {
    let f = Fixture::new();
    f.edit(SETTINGS, "cron = \"0 0 9 1 7 *\"", "cron = \"0 0 9 31 2 * *\"");
    expect(&problems(&f), &f, SETTINGS, "has 7 fields; lofte wants six", "cron = \"0 0 9 31 2 * *\"");

    let f = Fixture::new();
    f.edit(SETTINGS, "cron = \"0 0 9 1 7 *\"", "cron = \"0 0 25 1 7 *\"");
    expect(&problems(&f), &f, SETTINGS, "cron expression \"0 0 25 1 7 *\" is not valid", "cron = \"0 0 25 1 7 *\"");
}

#[test]
fn smtp_url_without_tls_to_a_remote_host() {
    let f = Fixture::new();
    f.edit(SETTINGS, "# url = \"smtps://lofte@mail.oskarshamn.example.se:465\"", "url = \"smtp://mail.example.se:25\"");
    expect(&problems(&f), &f, SETTINGS, "which is not a loopback address", "url = \"smtp://mail.example.se:25\"");

    // The same rule for the environment variable, which names itself as the place.
    let f = Fixture::new();
    let env = Env { smtp_url: Some("smtp://mail.example.se".into()) };
    let p = problems_with(&f, &env);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].file.to_str(), Some("environment LOFTE_SMTP_URL"));
    assert!(p[0].message.contains("use smtps://mail.example.se:465"), "{}", p[0]);
}

#[test]
fn smtp_urls_with_tls_or_to_loopback_are_accepted() {
    use lofte::config::{SmtpSecurity, SmtpSettings};
    let expected = [
        ("smtps://lofte@mail.example.se:465", "mail.example.se", 465, Some("lofte"), SmtpSecurity::ImplicitTls),
        ("smtp://mail.example.se:587?tls=required", "mail.example.se", 587, None, SmtpSecurity::StartTlsRequired),
        ("smtp://127.0.0.1:2525", "127.0.0.1", 2525, None, SmtpSecurity::Plain),
    ];
    for (url, host, port, user, security) in expected {
        let f = Fixture::new();
        let env = Env { smtp_url: Some(url.into()) };
        let config = Config::load(&f.config(), &env).unwrap_or_else(|p| panic!("{url}: {p:?}"));
        let want = SmtpSettings { host: host.into(), port, user: user.map(String::from), security };
        assert_eq!(config.smtp.settings, Some(want), "{url}");
    }
}

#[test]
fn a_password_in_the_smtp_url_is_refused() {
    let f = Fixture::new();
    let env = Env { smtp_url: Some("smtps://lofte:hemligt-losen@mail.example.se:465".into()) };
    let p = problems_with(&f, &env);
    assert!(p[0].message.contains("set LOFTE_SMTP_PASSWORD instead"), "{}", p[0]);
    assert!(!p[0].to_string().contains("hemligt-losen"), "the message must not repeat the secret");
}

#[test]
fn a_misspelt_key_is_an_error_with_its_line() {
    let f = Fixture::new();
    f.edit(SETTINGS, "catch_up_days = 30", "catchup_days = 30");
    let p = problems(&f);
    assert_eq!(p.len(), 1);
    assert!(p[0].message.contains("unknown field `catchup_days`"), "{}", p[0]);
    assert_eq!(p[0].line, Some(line_of(&f.read(SETTINGS), "catchup_days = 30")));
}

#[test]
fn a_missing_pledge_document_is_named() {
    let f = Fixture::new();
    f.edit(SETTINGS, "pledges = [\"pledges/oskarshamn-2021.toml\"]", "pledges = [\"pledges/oskarshamn-2022.toml\"]");
    let p = problems(&f);
    assert!(p[0].message.contains("cannot read pledge document"), "{}", p[0]);
    assert!(p[0].message.contains("oskarshamn-2022.toml"), "{}", p[0]);
}

#[test]
fn five_mistakes_are_all_reported_in_one_run_with_exit_code_2() {
    let f = Fixture::new();
    f.edit(PLEDGE, "id = \"motorburen-ungdom\"", "id = \"hastighetskontroller\"");
    f.edit(PLEDGE, "activity = \"trygghetsvandring\"", "activity = \"trygghetsvandringar\"");
    f.edit(PLEDGE, "target = 20", "target = -20");
    f.edit(SETTINGS, "ks.ordforande@oskarshamn.example.se", "ks.ordforande(at)oskarshamn.example.se");
    f.edit(SETTINGS, "cron = \"0 0 9 15 1 *\"", "cron = \"0 0 9 15 13 *\"");
    let out = f.lofte(&["check"]);
    assert_eq!(out.status.code(), Some(2), "{}{}", stdout(&out), stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("5 problem(s)"), "{err}");
    let pledge = f.path(PLEDGE).display().to_string();
    let settings = f.path(SETTINGS).display().to_string();
    let pledge_text = f.read(PLEDGE);
    let settings_text = f.read(SETTINGS);
    for (file, line, what) in [
        (&pledge, line_of(&pledge_text, "target = -20"), "target must be a positive whole number, not -20"),
        (&pledge, line_of(&pledge_text, "trygghetsvandringar"), "which no [[activities]] entry defines"),
        (&settings, line_of(&settings_text, "(at)"), "is not a valid e-mail address"),
        (&settings, line_of(&settings_text, "0 0 9 15 13 *"), "is not valid"),
    ] {
        let expected = format!("{file}:{line}:");
        assert!(err.lines().any(|l| l.contains(&expected) && l.contains(what)), "{expected} {what} in\n{err}");
    }
    assert!(err.lines().any(|l| l.contains(&pledge) && l.contains("is used twice")), "{err}");
}

#[test]
fn check_on_the_shipped_configuration_prints_what_lofte_will_do() {
    let out = common::lofte_in(&common::root(), &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for expected in [
        "document oskarshamn-2021",
        "Lokalpolisområde Västervik and Oskarshamns kommun",
        "fotpatrull-skolor",
        "Vallhallaskolan, Kristinebergskolan, Rödsleskolan, Oscarsgymnasiet",
        "police_chief",
        "lokalpolischef.vastervik@polisen.example.se",
        "next scheduled runs (Europe/Stockholm",
        "09:00",
        "data quality for oskarshamn-2021",
        "ok:",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from\n{text}");
    }
}
