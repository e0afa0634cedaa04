//! Pledge documents of SPEC §10 that are wrong: every rule names the file, line and column of the mistake and
//! what to do, and every problem of a document is reported at once.

mod common;

use std::path::Path;

use common::line_of;
use lofte::pledge::{self, Bucket, Pledge, Target};
use lofte::problem::Problem;

/// A document over `start`–`end` with `top` as extra top-level keys (after the municipality, when `top` names
/// none), activity kinds `a`, `b` and `c`, `tables` (parties, places, signatories) and `commitments`.
fn text(top: &str, start: &str, end: &str, tables: &str, commitments: &str) -> String {
    let municipality = if top.contains("municipalit") { "" } else { "municipality = \"Testby kommun\"\n" };
    format!(
        "id = \"testby-2021\"\ntitle = \"Medborgarlöfte Testby\"\n{municipality}{top}\npolice_area = \"LPO Test\"\n\
         [period]\nstart = {start}\nend = {end}\n[signed]\ndate = {start}\nplace = \"Testby\"\n{tables}\n\
         [[activities]]\nkind = \"a\"\nlabel = \"A\"\n[[activities]]\nkind = \"b\"\nlabel = \"B\"\n\
         [[activities]]\nkind = \"c\"\nlabel = \"C\"\n{commitments}"
    )
}

/// A commitment table `id` with `body`.
fn commitment(id: &str, body: &str) -> String {
    format!("[[commitments]]\nid = \"{id}\"\ntitle = \"{id}\"\ntext = \"Vi lovar.\"\n{body}\n")
}

/// A 2021 document for one municipality with the one commitment `body`.
fn with(body: &str) -> String {
    text("", "2021-01-01", "2021-12-31", "", &commitment("c1", body))
}

fn parse(text: &str) -> Result<Pledge, Vec<Problem>> {
    pledge::parse(Path::new("lofte/p.toml"), text)
}

fn accepted(text: &str) -> Pledge {
    parse(text).unwrap_or_else(|p| panic!("{p:#?}\n{text}"))
}

/// The one problem of `text` that says `needle`: on the line holding `line`, at the column where `column` starts
/// on that line, printed as `file:line:column: message`.
fn expect(text: &str, needle: &str, line: &str, column: &str) -> Problem {
    let problems = parse(text).err().unwrap_or_else(|| panic!("accepted:\n{text}"));
    let found: Vec<&Problem> = problems.iter().filter(|p| p.message.contains(needle)).collect();
    assert_eq!(found.len(), 1, "one problem saying {needle:?} expected in {problems:#?}");
    let p = found[0].clone();
    let line = line_of(text, line);
    let on_line = text.lines().nth(line - 1).unwrap();
    let at = on_line.find(column).unwrap_or_else(|| panic!("{column:?} is not on line {on_line:?}"));
    let column = on_line[..at].chars().count() + 1;
    assert!(p.to_string().starts_with(&format!("lofte/p.toml:{line}:{column}: ")), "{p}");
    p
}

const AT_LEAST: &str = "activity = \"a\"\ntarget_kind = \"at_least\"\ntarget = 2";

#[test]
fn an_unknown_party_names_the_parties_of_the_document() {
    let p = expect(
        &with(&format!("party = \"brandkaren\"\n{AT_LEAST}")),
        "party \"brandkaren\" is not a party of this document",
        "party = \"brandkaren\"",
        "\"brandkaren\"",
    );
    assert!(p.message.ends_with("write one of \"polisen\", \"kommunen\""), "{p}");
    expect(
        &with(&format!("parties = [\"polisen\", \"brandkaren\"]\n{AT_LEAST}")),
        "party \"brandkaren\" is not a party of this document",
        "parties = ",
        "[",
    );
    // Declared parties are the complete list: polisen is then unknown.
    let parties = "[[parties]]\nkey = \"lpo\"\nname = \"LPO Stenungsund\"\n\
                   [[parties]]\nkey = \"raddningstjansten\"\nname = \"Räddningstjänsten\"\n\
                   [[signatories]]\nname = \"A B\"\ntitle = \"Chef\"\nparty = \"kommunen\"\n";
    let doc =
        text("", "2021-01-01", "2021-12-31", parties, &commitment("c1", &format!("party = \"polisen\"\n{AT_LEAST}")));
    let p = expect(&doc, "party \"polisen\" is not", "party = \"polisen\"", "\"polisen\"");
    assert!(p.message.ends_with("write one of \"lpo\", \"raddningstjansten\""), "{p}");
    expect(&doc, "party \"kommunen\" is not", "party = \"kommunen\"", "\"kommunen\"");
    let doc = text(
        "",
        "2021-01-01",
        "2021-12-31",
        &parties[..parties.find("[[signatories]]").unwrap()],
        &commitment("c1", &format!("parties = [\"*\"]\n{AT_LEAST}")),
    );
    assert_eq!(accepted(&doc).parties.len(), 2);
}

#[test]
fn party_and_parties_both_given() {
    expect(
        &with(&format!("party = \"polisen\"\nparties = [\"polisen\", \"kommunen\"]\n{AT_LEAST}")),
        "commitment \"c1\": give either party or parties, not both",
        "party = \"polisen\"",
        "\"polisen\"",
    );
}

#[test]
fn an_unknown_place_list() {
    let p = expect(
        &with(&format!("party = \"polisen\"\n{AT_LEAST}\nplaces = \"skolor\"")),
        "commitment \"c1\" names place list \"skolor\", which is not defined",
        "places = \"skolor\"",
        "\"skolor\"",
    );
    assert!(p.message.contains("the document has no [places.<key>] lists"), "{p}");
    let lists = "[places.delar]\nlabel = \"per kommundel\"\nnames = [\"Norr\", \"Söder\"]\n";
    let doc = text(
        "",
        "2021-01-01",
        "2021-12-31",
        lists,
        &commitment("c1", &format!("party = \"polisen\"\n{AT_LEAST}\nplaces = \"skolor\"")),
    );
    let p = expect(&doc, "which is not defined", "places = \"skolor\"", "\"skolor\"");
    assert!(p.message.contains("known lists: delar"), "{p}");
}

#[test]
fn per_only_on_an_at_least_target_with_a_number() {
    for (kind, extra) in
        [("count", ""), ("assessed", ""), ("milestones", "\n[[commitments.milestones]]\nkey = \"x\"\nlabel = \"X\"")]
    {
        // `per` goes before the milestone tables, which end the commitment's own keys.
        let doc =
            with(&format!("party = \"polisen\"\nactivity = \"a\"\ntarget_kind = \"{kind}\"\nper = \"month\"{extra}"));
        let p = expect(&doc, "`per` does not apply", "per = \"month\"", "\"month\"");
        assert_eq!(
            p.message,
            format!("commitment \"c1\": `per` does not apply to target_kind \"{kind}\" (only an at_least target with a number can be a rate): remove it")
        );
    }
    expect(
        &with("party = \"polisen\"\nactivity = \"a\"\ntarget_kind = \"at_least\"\non_request = true\nrequest_activity = \"b\"\nper = \"half\""),
        "`per` does not apply to target_kind \"at_least\"",
        "per = \"half\"",
        "\"half\"",
    );
    let ok = accepted(&with(&format!("party = \"polisen\"\n{AT_LEAST}\nper = \"half\"")));
    assert_eq!(ok.commitments[0].target, Target::AtLeast { value: 2, per: Some(Bucket::Half) });
}

#[test]
fn an_outcome_needs_a_direction() {
    let doc = with("party = \"kommunen\"\nactivity = \"a\"\ntarget_kind = \"outcome\"\nbaseline = 61.5");
    expect(
        &doc,
        "commitment \"c1\": an outcome needs direction = \"increase\" or \"decrease\"",
        "[[commitments]]",
        "[[commitments]]",
    );
    accepted(&with(
        "party = \"kommunen\"\nactivity = \"a\"\ntarget_kind = \"outcome\"\nbaseline = 61.5\ndirection = \"increase\"",
    ));
}

#[test]
fn a_bucket_longer_than_the_period() {
    let rate = |bucket: &str| commitment("c1", &format!("party = \"polisen\"\n{AT_LEAST}\nper = \"{bucket}\""));
    let doc = text("", "2021-01-01", "2021-06-30", "", &rate("year"));
    let p = expect(&doc, "is longer than the pledge period", "per = \"year\"", "\"year\"");
    assert_eq!(
        p.message,
        "commitment \"c1\": per = \"year\" is longer than the pledge period 2021-01-01 – 2021-06-30; use a shorter unit or no per"
    );
    accepted(&text("", "2021-01-01", "2021-06-30", "", &rate("half")));
    accepted(&text("", "2021-01-01", "2021-12-31", "", &rate("year")));
    // Twelve months over a leap day are a year; a day less is not.
    accepted(&text("", "2024-03-01", "2025-02-28", "", &rate("year")));
    expect(&text("", "2024-03-01", "2025-02-27", "", &rate("year")), "is longer than", "per = ", "\"year\"");
    accepted(&text("", "2021-01-01", "2021-01-07", "", &rate("week")));
    expect(&text("", "2021-01-01", "2021-01-06", "", &rate("week")), "is longer than", "per = ", "\"week\"");
}

#[test]
fn a_period_of_more_than_five_years() {
    let one = commitment("c1", &format!("party = \"polisen\"\n{AT_LEAST}"));
    let p = expect(
        &text("", "2021-01-01", "2026-01-01", "", &one),
        "is longer than 5 years",
        "end = 2026-01-01",
        "2026-01-01",
    );
    assert_eq!(p.message, "period 2021-01-01 – 2026-01-01 is longer than 5 years: a pledge document covers at most 5");
    let five = accepted(&text("", "2021-01-01", "2025-12-31", "", &one));
    assert_eq!(five.end.to_string(), "2025-12-31");
}

#[test]
fn on_request_and_request_activity_go_together() {
    expect(
        &with("party = \"kommunen\"\nactivity = \"a\"\ntarget_kind = \"at_least\"\non_request = true"),
        "commitment \"c1\": on_request needs request_activity = \"kind\"",
        "[[commitments]]",
        "[[commitments]]",
    );
    let p = expect(
        &with(&format!("party = \"kommunen\"\n{AT_LEAST}\nrequest_activity = \"b\"")),
        "`request_activity` does not apply",
        "request_activity = \"b\"",
        "\"b\"",
    );
    assert!(p.message.contains("it names the requests of an on_request commitment"), "{p}");
    let ok = accepted(&with(
        "party = \"kommunen\"\nactivity = \"a\"\ntarget_kind = \"at_least\"\non_request = true\nrequest_activity = \"b\"",
    ));
    assert_eq!(ok.commitments[0].request_activity(), Some("b"));
    expect(
        &with("party = \"kommunen\"\nactivity = \"a\"\ntarget_kind = \"at_least\"\ntarget = 3\non_request = true\nrequest_activity = \"b\""),
        "`target` does not apply to target_kind \"at_least\" (the requests are the target)",
        "target = 3",
        "3",
    );
}

#[test]
fn each_municipality_needs_several_municipalities() {
    let body = format!("party = \"polisen\"\n{AT_LEAST}\neach_municipality = true");
    expect(
        &with(&body),
        "commitment \"c1\": each_municipality needs a document signed for several municipalities",
        "each_municipality = true",
        "true",
    );
    let several =
        text("municipalities = [\"Stenungsund\", \"Orust\"]", "2021-01-01", "2021-12-31", "", &commitment("c1", &body));
    let ok = accepted(&several);
    assert!(ok.commitments[0].each_municipality);
    assert_eq!(ok.municipality, "Stenungsund, Orust");
}

#[test]
fn each_municipality_only_on_kinds_judged_per_municipality() {
    let several = |body: &str| {
        text("municipalities = [\"Stenungsund\", \"Orust\"]", "2021-01-01", "2021-12-31", "", &commitment("c1", body))
    };
    for body in [
        "party = \"polisen\"\nactivity = \"a\"\ntarget_kind = \"at_least\"\ntarget = 2\nper = \"half\"",
        "party = \"polisen\"\nactivity = \"a\"\ntarget_kind = \"assessed\"",
        "party = \"polisen\"\nactivity = \"a\"\ntarget_kind = \"at_least\"\non_request = true\nrequest_activity = \"b\"",
    ] {
        expect(
            &several(&format!("{body}\neach_municipality = true")),
            "each_municipality applies to at_least (without per or on_request), count, increase and decrease targets",
            "each_municipality = true",
            "true",
        );
    }
    let ok =
        accepted(&several("party = \"polisen\"\nactivity = \"a\"\ntarget_kind = \"count\"\neach_municipality = true"));
    assert!(ok.commitments[0].each_municipality);
}

#[test]
fn coverage_does_not_fit_a_decrease_or_an_outcome() {
    let body = "party = \"polisen\"\nactivity = \"a\"\ntarget_kind = \"decrease\"\nbaseline = 10\n\
                places = [\"Torget\", \"Hamnen\"]\nplaces_rule = \"each\"";
    expect(
        &with(body),
        "places_rule = \"each\" (every place covered) does not fit a decrease",
        "places_rule",
        "\"each\"",
    );
    accepted(&with(&body.replace("\"each\"", "\"report\"")));
}

#[test]
fn an_activity_counts_toward_one_commitment_only() {
    let doc = text(
        "",
        "2021-01-01",
        "2021-12-31",
        "",
        &(commitment("c1", &format!("party = \"polisen\"\n{AT_LEAST}"))
            + &commitment("c2", "party = \"kommunen\"\nactivities = [\"b\", \"a\"]\ntarget_kind = \"count\"")),
    );
    expect(
        &doc,
        "activity kind \"a\" already counts toward commitment \"c1\"; each kind may count toward one commitment, once",
        "activities = [\"b\", \"a\"]",
        "[",
    );
    // Nor can the requests of one commitment be the answers of another.
    let doc = text(
        "",
        "2021-01-01",
        "2021-12-31",
        "",
        &(commitment("c1", &format!("party = \"polisen\"\n{AT_LEAST}"))
            + &commitment("c2", "party = \"kommunen\"\nactivity = \"b\"\ntarget_kind = \"at_least\"\non_request = true\nrequest_activity = \"a\"")),
    );
    expect(&doc, "activity kind \"a\" already counts toward commitment \"c1\"", "request_activity = \"a\"", "\"a\"");
}

#[test]
fn a_count_promises_no_number() {
    expect(
        &with("party = \"polisen\"\nactivity = \"a\"\ntarget_kind = \"count\"\ntarget = 5"),
        "commitment \"c1\": `target` does not apply to target_kind \"count\" (this kind promises no number): remove it",
        "target = 5",
        "5",
    );
}

#[test]
fn a_decrease_below_zero_is_impossible() {
    let body = |baseline: u32| {
        format!("party = \"polisen\"\nactivity = \"a\"\ntarget_kind = \"decrease\"\nbaseline = {baseline}")
    };
    expect(&with(&body(0)), "commitment \"c1\": baseline must be a positive whole number, not 0", "baseline = 0", "0");
    let ok = accepted(&with(&body(1)));
    assert_eq!(ok.commitments[0].target, Target::Decrease { baseline: 1, baseline_is_example: false });
    // An increase may start from nothing.
    accepted(&with("party = \"polisen\"\nactivity = \"a\"\ntarget_kind = \"increase\"\nbaseline = 0"));
}

#[test]
fn per_place_only_with_places_rule_each() {
    let base = format!("party = \"polisen\"\n{AT_LEAST}");
    expect(
        &with(&format!("{base}\nplaces = [\"Norr\", \"Söder\"]\nper_place = 2")),
        "commitment \"c1\": per_place applies only with places_rule = \"each\": remove it",
        "per_place = 2",
        "2",
    );
    expect(
        &with(&format!("{base}\nplaces = [\"Norr\", \"Söder\"]\nplaces_rule = \"report\"\nper_place = 2")),
        "per_place applies only with places_rule = \"each\"",
        "per_place = 2",
        "2",
    );
    expect(
        &with(&format!("{base}\nper_place = 2")),
        "commitment \"c1\": per_place without places: remove it",
        "per_place = 2",
        "2",
    );
    accepted(&with(&format!("{base}\nplaces = [\"Norr\", \"Söder\"]\nplaces_rule = \"each\"\nper_place = 2")));
}

#[test]
fn every_problem_of_a_document_is_reported_at_once() {
    let doc = text(
        "",
        "2021-01-01",
        "2021-12-31",
        "",
        &(commitment("c1", "party = \"brandkaren\"\nactivity = \"a\"\ntarget_kind = \"count\"\nper = \"week\"")
            + &commitment("c2", "party = \"polisen\"\nactivity = \"b\"\ntarget_kind = \"decrease\"\nbaseline = 0")
            + &commitment("c3", "party = \"kommunen\"\nactivity = \"c\"\ntarget_kind = \"outcome\"\nbaseline = 1")),
    );
    let problems = parse(&doc).unwrap_err();
    let lines: Vec<Option<usize>> = problems.iter().map(|p| p.line).collect();
    assert_eq!(problems.len(), 4, "{problems:#?}");
    assert!(lines.iter().all(Option::is_some), "{problems:#?}");
    for needle in ["\"brandkaren\" is not a party", "`per` does not apply", "baseline must be", "needs direction"] {
        assert!(problems.iter().any(|p| p.message.contains(needle)), "{needle} missing from {problems:#?}");
    }
}
