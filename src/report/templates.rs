//! The report's prose, from `templates/report.<language>.toml`: one minijinja template per key. The files are built
//! into the binary, so a report never depends on the working folder; `lofte check` verifies that both languages
//! define every key and that every template renders.

use std::collections::BTreeMap;

use minijinja::{Environment, UndefinedBehavior, Value};

use crate::language::Language;
use crate::progress::Verdict;

const SV: &str = include_str!("../../templates/report.sv.toml");
const EN: &str = include_str!("../../templates/report.en.toml");

/// A template file that cannot be used (a build problem: the files are compiled in).
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The file is not TOML of strings.
    #[error("templates/report.{language}.toml: {source}")]
    Toml {
        /// `sv` or `en`.
        language: &'static str,
        /// The parser's reason.
        source: toml::de::Error,
    },
    /// One text is not a valid template.
    #[error("templates/report.{language}.toml: {key}: {source}")]
    Text {
        /// `sv` or `en`.
        language: &'static str,
        /// The key of the text.
        key: String,
        /// minijinja's reason.
        source: minijinja::Error,
    },
}

/// The prose of one language.
pub struct Texts {
    language: Language,
    env: Environment<'static>,
    keys: Vec<String>,
}

fn source(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::Sv => ("sv", SV),
        Language::En => ("en", EN),
    }
}

impl Texts {
    /// Loads the templates of `language`.
    pub fn load(language: Language) -> Result<Texts, TemplateError> {
        let (code, text) = source(language);
        let strings: BTreeMap<String, String> =
            toml::from_str(text).map_err(|source| TemplateError::Toml { language: code, source })?;
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (key, value) in &strings {
            env.add_template_owned(key.clone(), value.clone()).map_err(|source| TemplateError::Text {
                language: code,
                key: key.clone(),
                source,
            })?;
        }
        Ok(Texts { language, env, keys: strings.into_keys().collect() })
    }

    /// The language.
    #[must_use]
    pub fn language(&self) -> Language {
        self.language
    }

    /// The text of `key` with `context` filled in. A key that is missing or fails to render (which `lofte check`
    /// catches before any report is made) shows as `[key]` rather than stopping a report.
    #[must_use]
    pub fn render(&self, key: &str, context: Value) -> String {
        self.env
            .get_template(key)
            .and_then(|t| t.render(context))
            .map_or_else(|_| format!("[{key}]"), |s| crate::text::nfc(&s))
    }

    /// Every key that needs no variables, rendered (for the site's templates).
    #[must_use]
    pub fn all_plain(&self) -> BTreeMap<String, String> {
        self.keys
            .iter()
            .filter_map(|k| {
                let t = self.env.get_template(k).ok()?.render(Value::UNDEFINED).ok()?;
                Some((k.clone(), crate::text::nfc(&t)))
            })
            .collect()
    }

    /// Whether the texts define `key` (a party key the report has its own word for, say).
    #[must_use]
    pub fn has(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k == key)
    }

    /// The text of a key without variables.
    #[must_use]
    pub fn plain(&self, key: &str) -> String {
        self.render(key, Value::UNDEFINED)
    }
}

/// Every problem with the built-in templates: unreadable files and keys that one language lacks.
#[must_use]
pub fn problems() -> Vec<String> {
    let mut problems = Vec::new();
    let mut loaded = Vec::new();
    for language in [Language::Sv, Language::En] {
        match Texts::load(language) {
            Ok(t) => loaded.push(t),
            Err(e) => problems.push(e.to_string()),
        }
    }
    if let [sv, en] = loaded.as_slice() {
        for (a, b) in [(sv, en), (en, sv)] {
            for key in a.keys.iter().filter(|k| !b.keys.contains(k)) {
                let (code, _) = source(b.language);
                problems.push(format!("templates/report.{code}.toml lacks the key {key:?}"));
            }
        }
    }
    // Every status, verdict and rejection reason has a label: a report never shows a key instead of words.
    let verdicts = [Verdict::Achieved, Verdict::Partly, Verdict::NotMet, Verdict::InProgress, Verdict::NotApplicable];
    let needed = crate::progress::Status::ALL
        .iter()
        .map(|s| format!("status_{}", s.key()))
        .chain(verdicts.iter().map(|v| format!("verdict_{}", v.key())))
        .chain(crate::validate::REASON_CODES.iter().map(|c| format!("reason_{c}")));
    for key in needed {
        for t in &loaded {
            if !t.has(&key) {
                let (code, _) = source(t.language);
                problems.push(format!("templates/report.{code}.toml lacks the key {key:?}"));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_load_and_agree_on_keys() {
        assert_eq!(problems(), Vec::<String>::new());
        let sv = Texts::load(Language::Sv).unwrap();
        assert_eq!(sv.plain("status_on_track"), "I fas");
        assert_eq!(sv.render("target_at_least", minijinja::context! { value => "52" }), "minst 52");
        assert_eq!(sv.render("no_such_key", Value::UNDEFINED), "[no_such_key]");
        // Strict: a template that needs a value it is not given does not render half-empty.
        assert_eq!(sv.render("target_at_least", Value::UNDEFINED), "[target_at_least]");
    }
}
