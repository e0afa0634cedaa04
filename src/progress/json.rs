//! `results.json` (docs/progress.md): the machine-readable follow-up. Its field names are fixed; record ids appear
//! only in the internal edition, under `provenance`.

use serde_json::{json, Map, Value};

use super::Progress;
use crate::edition::Edition;

/// Rounds to two decimals for publication (`25.79`, docs/progress.md); full precision stays in [`Progress`].
#[must_use]
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The results document for `edition`.
#[must_use]
pub fn results(progress: &Progress, edition: Edition) -> Value {
    let pledges: Vec<Value> = progress
        .pledges
        .iter()
        .map(|p| {
            let mut o = Map::new();
            o.insert("id".into(), json!(p.id));
            o.insert("party".into(), json!(p.party));
            o.insert("target".into(), json!(p.target));
            o.insert("achieved".into(), json!(p.achieved));
            o.insert("expected_by_now".into(), json!(p.expected_by_now.map(round2)));
            o.insert("forecast".into(), json!(p.forecast.map(round2)));
            o.insert("status".into(), json!(p.status));
            o.insert("by_month".into(), json!(p.by_month));
            o.insert("by_location".into(), json!(p.by_location));
            if let Some(b) = p.baseline {
                o.insert("baseline".into(), json!(b));
            }
            if !p.milestones.is_empty() {
                o.insert("milestones".into(), json!(p.milestones));
            }
            if p.publications > 0 {
                o.insert("publications".into(), json!(p.publications));
            }
            if edition == Edition::Internal {
                o.insert("provenance".into(), json!(p.provenance));
            }
            Value::Object(o)
        })
        .collect();
    json!({
        "document": progress.document,
        "period": progress.period,
        "as_of": progress.as_of.to_string(),
        "edition": edition,
        "days_elapsed": progress.days_elapsed,
        "days_total": progress.days_total,
        "pledges": pledges,
        "by_party": progress.by_party,
        "records": &progress.records,
    })
}
