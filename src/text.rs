//! Small text helpers shared by the stages: matching place names the way people type them, and NFC.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The form two place names are compared in: without case, accents or spaces, so that "Rödsleskolan",
/// "rodsle skolan" and "RÖDSLESKOLAN" match.
#[must_use]
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c) && !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Text in Unicode normal form C (composed "ö", not "o" + diaeresis), as fonts and PDFs expect it.
#[must_use]
pub fn nfc(text: &str) -> String {
    text.nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn place_names_match_without_case_accents_or_spaces() {
        assert_eq!(fold("Rödsleskolan"), fold("rodsle skolan"));
        assert_eq!(fold("RÖDSLESKOLAN"), fold("Ro\u{308}dsleskolan"));
        assert_eq!(fold("Oscarsgymnasiet"), "oscarsgymnasiet");
        assert_ne!(fold("Vallhallaskolan"), fold("Valhallaskolan"));
    }

    #[test]
    fn nfc_composes_decomposed_letters() {
        assert_eq!(nfc("o\u{308}"), "ö");
    }
}
