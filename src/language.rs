//! The language of reports, mail and the site: Swedish by default, English selectable.

/// Report language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Swedish, the default.
    Sv,
    /// English.
    En,
}
