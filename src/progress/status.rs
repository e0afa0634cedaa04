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
    /// Some milestones done, not all.
    InProgress,
}

impl Status {
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
