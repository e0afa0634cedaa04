//! The status rules (docs/progress.md), decided in their order with exact integer arithmetic.

use serde::{Deserialize, Serialize};

/// Where a commitment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The target is reached.
    Achieved,
    /// The period is over and the target was not reached.
    NotMet,
    /// Nothing done and nothing due yet.
    NotStarted,
    /// At or above the expected pace.
    OnTrack,
    /// At least 80 % of the expected pace.
    AtRisk,
    /// Below 80 % of the expected pace.
    Behind,
    /// Some milestones done, not all; or requests answered in part.
    InProgress,
    /// A count without a number promised: something has been done.
    Active,
    /// A rate: some buckets met, some not.
    Partly,
    /// An outcome without any measurement yet.
    NoData,
    /// An outcome better than its baseline.
    Improving,
    /// An outcome equal to its baseline.
    Unchanged,
    /// An outcome worse than its baseline.
    Worsening,
    /// A qualitative promise that nobody has judged yet.
    NotAssessed,
    /// A conditional promise without any request.
    NotApplicable,
}

impl Status {
    /// Every status, in declaration order.
    pub const ALL: [Status; 15] = [
        Status::Achieved,
        Status::NotMet,
        Status::NotStarted,
        Status::OnTrack,
        Status::AtRisk,
        Status::Behind,
        Status::InProgress,
        Status::Active,
        Status::Partly,
        Status::NoData,
        Status::Improving,
        Status::Unchanged,
        Status::Worsening,
        Status::NotAssessed,
        Status::NotApplicable,
    ];

    /// Behind, at risk, not met or partly kept: a follow-up should say why (SPEC §11).
    #[must_use]
    pub fn falls_short(self) -> bool {
        matches!(self, Status::Behind | Status::AtRisk | Status::NotMet | Status::Partly)
    }

    /// The key used in results.json.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Status::Achieved => "achieved",
            Status::NotMet => "not_met",
            Status::NotStarted => "not_started",
            Status::OnTrack => "on_track",
            Status::AtRisk => "at_risk",
            Status::Behind => "behind",
            Status::InProgress => "in_progress",
            Status::Active => "active",
            Status::Partly => "partly",
            Status::NoData => "no_data",
            Status::Improving => "improving",
            Status::Unchanged => "unchanged",
            Status::Worsening => "worsening",
            Status::NotAssessed => "not_assessed",
            Status::NotApplicable => "not_applicable",
        }
    }
}

/// Status of an at-least target (an increase over B is an at-least target of B + 1).
///
/// With `expected = target × elapsed / total`: achieved ≥ target → achieved; the period over → not met; nothing
/// done and expected < 1 → not started; achieved ≥ expected → on track; achieved ≥ 0.8 × expected → at risk; else
/// behind. Each comparison is made on integers (multiplied through by `total`), so the boundaries are exact.
#[must_use]
pub fn at_least(target: u32, achieved: u64, elapsed: u32, total: u32) -> Status {
    let (t, a, e, n) = (u128::from(target), u128::from(achieved), u128::from(elapsed), u128::from(total));
    if a >= t {
        Status::Achieved
    } else if e >= n {
        Status::NotMet
    } else if a == 0 && t * e < n {
        Status::NotStarted
    } else if a * n >= t * e {
        Status::OnTrack
    } else if 5 * a * n >= 4 * t * e {
        Status::AtRisk
    } else {
        Status::Behind
    }
}

/// Status of a milestone target: all done → achieved; the period over → not met; some → in progress; none → not
/// started.
#[must_use]
pub fn milestones(done: usize, total: usize, ended: bool) -> Status {
    if done >= total {
        Status::Achieved
    } else if ended {
        Status::NotMet
    } else if done > 0 {
        Status::InProgress
    } else {
        Status::NotStarted
    }
}

/// Status of a `count` commitment (no number promised): something done → active; the period over → not met;
/// else not started.
#[must_use]
pub fn count(achieved: u64, ended: bool) -> Status {
    if achieved > 0 {
        Status::Active
    } else if ended {
        Status::NotMet
    } else {
        Status::NotStarted
    }
}

/// Status of a decrease below baseline `b`: met when the total is at most `b − 1` at the end; while running, on
/// track when the total at today's pace (`achieved × total / elapsed`) stays at most `b − 1`, else behind.
#[must_use]
pub fn decrease(baseline: u32, achieved: u64, elapsed: u32, total: u32) -> Status {
    let limit = u128::from(baseline.saturating_sub(1));
    let (a, e, n) = (u128::from(achieved), u128::from(elapsed), u128::from(total));
    if e >= n {
        if a <= limit {
            Status::Achieved
        } else {
            Status::NotMet
        }
    } else if a * n <= limit * e {
        Status::OnTrack
    } else {
        Status::Behind
    }
}

/// Status of a conditional promise: no request → not applicable; answers ≥ requests → achieved; the period over
/// → not met; else in progress.
#[must_use]
pub fn on_request(requests: u64, answers: u64, ended: bool) -> Status {
    if requests == 0 {
        Status::NotApplicable
    } else if answers >= requests {
        Status::Achieved
    } else if ended {
        Status::NotMet
    } else {
        Status::InProgress
    }
}

/// Status of an outcome from its latest measurement (`None` when there is none).
#[must_use]
pub fn outcome(
    direction: crate::pledge::Direction,
    baseline: f64,
    target: Option<f64>,
    latest: Option<f64>,
    ended: bool,
) -> Status {
    let Some(value) = latest else { return Status::NoData };
    // Positive when `a` is better than `b` in the promised direction.
    let better = |a: f64, b: f64| match direction {
        crate::pledge::Direction::Increase => a - b,
        crate::pledge::Direction::Decrease => b - a,
    };
    if target.is_some_and(|t| better(value, t) >= 0.0) {
        Status::Achieved
    } else if ended && target.is_some() {
        Status::NotMet
    } else if better(value, baseline) > 0.0 {
        Status::Improving
    } else if better(value, baseline) == 0.0 {
        Status::Unchanged
    } else {
        Status::Worsening
    }
}

/// Status of a rate from its buckets' statuses (the last judged bucket is the current one). `current_complete` is
/// true when the current bucket ends on the as-of day.
///
/// At the end: achieved if every bucket is, partly if some are, not met if none. While the document runs, the
/// commitment gets no verdict (docs/progress.md): partly once a bucket has closed short (the one closing on the
/// as-of day included); else on track while the buckets so far are met (also when the current one is already met
/// or has just begun); else the current bucket's pace (at risk or behind), or not started when nothing is due yet.
#[must_use]
pub fn buckets(statuses: &[Status], current_complete: bool, ended: bool) -> Status {
    let Some((current, completed)) = statuses.split_last() else { return Status::NotStarted };
    if ended {
        let met = statuses.iter().filter(|s| **s == Status::Achieved).count();
        return if met == statuses.len() {
            Status::Achieved
        } else if met > 0 {
            Status::Partly
        } else {
            Status::NotMet
        };
    }
    if completed.contains(&Status::NotMet) || (current_complete && *current == Status::NotMet) {
        return Status::Partly;
    }
    match current {
        Status::Achieved => Status::OnTrack,
        Status::NotStarted if !completed.is_empty() => Status::OnTrack,
        other => *other,
    }
}

/// A person's verdict on a commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Genomfört.
    Achieved,
    /// Delvis genomfört.
    Partly,
    /// Ej genomfört.
    NotMet,
    /// Pågår.
    InProgress,
    /// Ej aktuellt.
    NotApplicable,
}

impl Verdict {
    /// The status a verdict gives a commitment whose status is a person's to give (`assessed`, `count`).
    #[must_use]
    pub fn status(self) -> Status {
        match self {
            Verdict::Achieved => Status::Achieved,
            Verdict::Partly => Status::Partly,
            Verdict::NotMet => Status::NotMet,
            Verdict::InProgress => Status::InProgress,
            Verdict::NotApplicable => Status::NotApplicable,
        }
    }

    /// The key as written in notes and `results.json`.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Achieved => "achieved",
            Verdict::Partly => "partly",
            Verdict::NotMet => "not_met",
            Verdict::InProgress => "in_progress",
            Verdict::NotApplicable => "not_applicable",
        }
    }
}

/// A verdict with its reason, as `results.json` carries it under `assessment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// The verdict.
    pub verdict: Verdict,
    /// Why: required with every verdict.
    pub justification: String,
}
