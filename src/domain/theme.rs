//! Themes: a two-level vocabulary of what reports are about (headings and their subheadings),
//! each mapped to the NHS complaints (KO41a) subject area and the CQC key question it belongs
//! to, so other sources can be lined up with Pyramid's own; the polarity of an item's theme;
//! and the transparent keyword rules that suggest themes from an item's text.

use super::text::{self, InvalidInput, parse_text};
use super::{RuleId, ThemeId};

stored_enum!(
    /// Whether what a report says about a theme is good, bad or both.
    Polarity {
        Positive = "POSITIVE",
        Negative = "NEGATIVE",
        Mixed = "MIXED",
    }
);

impl From<super::item::Sentiment> for Polarity {
    fn from(sentiment: super::item::Sentiment) -> Self {
        use super::item::Sentiment;
        match sentiment {
            Sentiment::Positive => Polarity::Positive,
            Sentiment::Negative => Polarity::Negative,
            Sentiment::Mixed => Polarity::Mixed,
        }
    }
}

impl Polarity {
    /// A concern: what patterns of concern are made of.
    pub fn is_concern(self) -> bool {
        matches!(self, Polarity::Negative | Polarity::Mixed)
    }
}

stored_enum!(
    /// The CQC's five key questions.
    CqcKeyQuestion {
        Safe = "SAFE",
        Effective = "EFFECTIVE",
        Caring = "CARING",
        Responsive = "RESPONSIVE",
        WellLed = "WELL_LED",
    }
);

/// A theme of the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub id: ThemeId,
    /// The heading it sits under; `None` for a heading.
    pub parent_id: Option<ThemeId>,
    pub slug: String,
    pub name: String,
    pub ko41_subject: Option<String>,
    pub cqc_key_question: Option<CqcKeyQuestion>,
}

impl Theme {
    /// The heading a theme counts under in patterns and reports: itself or its parent.
    pub fn heading(&self) -> ThemeId {
        self.parent_id.unwrap_or(self.id)
    }
}

/// A theme on an item, with what the item says about it; `suggested` (with the rule that
/// fired) until a person accepts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub theme_id: ThemeId,
    pub polarity: Polarity,
    pub suggested: bool,
    pub rule_id: Option<RuleId>,
}

/// Refuses a vocabulary word that would hold a name or another identifier: themes and rules
/// name subjects, never people.
fn no_identifiers(field: &'static str, text: String) -> Result<String, InvalidInput> {
    let (_, removed) = text::RedactedText::redact(&text);
    if removed.is_empty() {
        Ok(text)
    } else {
        Err(InvalidInput::new(
            field,
            "Themes and their rules name subjects, such as 'waiting times', never a person or their details.",
        ))
    }
}

/// A theme's name, as an administrator adds it: ordinary punctuation allowed ("A&E").
pub fn parse_theme_name(raw: &str) -> Result<String, InvalidInput> {
    let name = parse_text("name", "A theme's name", raw, text::TextRule::line(120))?;
    no_identifiers("name", name)
}

/// A short machine name for a theme, made from its name ("A&E waits" -> "a-e-waits").
pub fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').chars().take(60).collect()
}

/// A keyword rule: text containing the phrase as whole words (any case) suggests the theme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: RuleId,
    pub theme_id: ThemeId,
    pub phrase: String,
}

/// A rule's phrase: a word or a few, lower case, at most 80 characters.
pub fn parse_phrase(raw: &str) -> Result<String, InvalidInput> {
    let phrase = parse_text("phrase", "A rule's phrase", raw, text::TextRule::line(80))?;
    no_identifiers("phrase", phrase.to_lowercase())
}

/// Whether `phrase` occurs in `text` as whole words (case and spacing aside).
pub fn contains_words(text: &str, phrase: &str) -> bool {
    let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    let mut from = 0;
    while let Some(found) = text[from..].find(phrase) {
        let start = from + found;
        let end = start + phrase.len();
        if boundary(text[..start].chars().next_back()) && boundary(text[end..].chars().next()) {
            return true;
        }
        from = start + phrase.chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// The themes the rules suggest for a report's text, each with the first rule (in the order
/// given) that fired: transparent, so a person can see why.
pub fn suggest(rules: &[Rule], text: &str) -> Vec<(ThemeId, RuleId)> {
    let text = text
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut found: Vec<(ThemeId, RuleId)> = Vec::new();
    for rule in rules {
        if !found.iter().any(|(theme, _)| *theme == rule.theme_id)
            && contains_words(&text, &rule.phrase)
        {
            found.push((rule.theme_id, rule.id));
        }
    }
    found
}

/// How the labels of other sources (a complaint's KO41 subject area, a PALS subject, a Care
/// Opinion tag) are placed under the vocabulary's headings: a label naming a theme (its KO41a
/// subject area, its name or its slug, in any case) counts under that theme's heading;
/// otherwise the keyword rules are tried, as for an item's text; otherwise it has no heading.
pub struct Crosswalk<'a> {
    themes: &'a [Theme],
    rules: &'a [Rule],
}

impl<'a> Crosswalk<'a> {
    pub fn new(themes: &'a [Theme], rules: &'a [Rule]) -> Self {
        Self { themes, rules }
    }

    pub fn heading_of(&self, label: &str) -> Option<ThemeId> {
        let wanted = letters(label);
        if wanted.is_empty() {
            return None;
        }
        let named = self.themes.iter().find(|theme| {
            theme.ko41_subject.as_deref().map(letters).as_deref() == Some(wanted.as_str())
                && theme.parent_id.is_none()
        });
        let named = named.or_else(|| {
            self.themes
                .iter()
                .find(|theme| letters(&theme.name) == wanted || letters(&theme.slug) == wanted)
        });
        if let Some(theme) = named {
            return Some(theme.heading());
        }
        let (theme, _) = *suggest(self.rules, label).first()?;
        let theme = self.themes.iter().find(|t| t.id == theme)?;
        Some(theme.heading())
    }
}

fn letters(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Vec<Rule> {
        [
            (1, "waited"),
            (1, "waiting"),
            (2, "out of hours"),
            (2, "out-of-hours"),
            (2, "call-back"),
            (3, "rude"),
            (4, "discharge"),
            (4, "discharged"),
            (5, "a&e"),
            (6, "tablets"),
        ]
        .into_iter()
        .enumerate()
        .map(|(n, (theme, phrase))| Rule {
            id: RuleId(n as i64 + 1),
            theme_id: ThemeId(theme),
            phrase: phrase.to_owned(),
        })
        .collect()
    }

    /// Text, and the themes expected (in the order the rules are listed).
    const CASES: &[(&str, &[i64])] = &[
        ("Waited six hours for an out-of-hours call-back", &[1, 2]),
        ("The receptionist was RUDE to my mother", &[3]),
        ("Discharged at 2am with no letter", &[4]),
        ("Seen quickly in A&E, staff lovely", &[5]),
        ("Given the wrong tablets twice", &[6]),
        // Whole words only: "prudent" is not "rude", "awaiting" is not "waiting".
        ("A prudent choice, awaiting results", &[]),
        ("Out   of    hours line never answered", &[2]),
        ("Nothing to say about any theme", &[]),
    ];

    #[test]
    fn rules_suggest_themes_from_whole_words_and_say_which_fired() {
        let rules = rules();
        for (text, expected) in CASES {
            let found: Vec<i64> = suggest(&rules, text).iter().map(|(t, _)| t.0).collect();
            assert_eq!(&found, expected, "{text}");
        }
        let fired = suggest(&rules, "she waited and was waiting");
        assert_eq!(
            fired,
            vec![(ThemeId(1), RuleId(1))],
            "the first rule that fired"
        );
    }

    #[test]
    fn names_allow_punctuation_and_slugs_are_tidy() {
        assert_eq!(parse_theme_name(" A&E waits ").unwrap(), "A&E waits");
        assert_eq!(slug("A&E waits"), "a-e-waits");
        assert_eq!(
            slug("Staff attitude and behaviour"),
            "staff-attitude-and-behaviour"
        );
        assert!(parse_phrase("").is_err());
        assert!(parse_theme_name("Call 07700 900123").is_err());
        assert!(parse_phrase("jo@example.org").is_err());
        assert_eq!(parse_phrase("Call-Back").unwrap(), "call-back");
    }

    #[test]
    fn other_sources_labels_are_placed_under_headings() {
        let theme =
            |id, parent_id: Option<i64>, slug: &str, name: &str, ko41: Option<&str>| Theme {
                id: ThemeId(id),
                parent_id: parent_id.map(ThemeId),
                slug: slug.to_owned(),
                name: name.to_owned(),
                ko41_subject: ko41.map(str::to_owned),
                cqc_key_question: None,
            };
        let themes = [
            theme(1, None, "waiting", "Waiting times", Some("Waiting times")),
            theme(
                2,
                Some(1),
                "waiting-call-back",
                "Waiting for a call-back",
                Some("Waiting times"),
            ),
            theme(
                3,
                None,
                "staff",
                "Staff attitude and behaviour",
                Some("Staff attitude/behaviour"),
            ),
            theme(
                4,
                None,
                "discharge",
                "Discharge and transfers",
                Some("Admissions and discharges"),
            ),
        ];
        let rules = rules();
        let crosswalk = Crosswalk::new(&themes, &rules);
        for (label, heading) in [
            ("Admissions and discharges", Some(4)),
            ("STAFF ATTITUDE / BEHAVIOUR", Some(3)),
            ("Waiting for a call-back", Some(1)),
            ("waiting-call-back", Some(1)),
            // No theme is named, so the keyword rules decide (rule theme 4 is "discharge").
            ("discharged too early", Some(4)),
            ("Consent", None),
            ("", None),
        ] {
            assert_eq!(crosswalk.heading_of(label), heading.map(ThemeId), "{label}");
        }
    }
}
