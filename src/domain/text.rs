//! Free text as people type it: one parser for every text field, with the field's limit and
//! whether it may hold line breaks, the named limits the fields use, and `RedactedText`, the
//! type every stored free-text field has.

use super::redaction::{self, Identifier};

/// A value a user typed that the domain refused, with the field it came from and a sentence
/// the user can act on. Transports turn it into `BAD_USER_INPUT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput {
    pub field: &'static str,
    pub message: String,
}

impl InvalidInput {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// What a text field accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    pub max_chars: usize,
    /// Paragraphs (line breaks and tabs allowed) rather than one line.
    pub multiline: bool,
}

impl TextRule {
    /// One line of at most `max_chars` characters (a title, a name, a heading).
    pub const fn line(max_chars: usize) -> Self {
        Self {
            max_chars,
            multiline: false,
        }
    }

    /// Paragraphs of at most `max_chars` characters in all (what happened, an answer).
    pub const fn paragraphs(max_chars: usize) -> Self {
        Self {
            max_chars,
            multiline: true,
        }
    }
}

/// A title: an item's, a newsletter's, a meeting's; an agenda line.
pub const TITLE: TextRule = TextRule::line(200);
/// A person's or an organisation's name.
pub const NAME: TextRule = TextRule::line(200);
/// A newsletter entry's heading.
pub const HEADING: TextRule = TextRule::line(300);
/// What happened, in the member's words.
pub const BODY: TextRule = TextRule::paragraphs(10_000);
/// A note on a move, an answer, a newsletter's introduction or entry.
pub const NOTE: TextRule = TextRule::paragraphs(4_000);

/// Free text with personal identifiers and names removed. The only way to make one from what
/// somebody typed is [`RedactedText::redact`], so an entity column of this type cannot be
/// written without going through the redactor. (Text read back from the database was
/// redacted when it was written: `from_storage` is for the entities' column mapping only.)
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct RedactedText(String);

impl RedactedText {
    /// Removes identifiers and names, and says which were removed.
    pub fn redact(raw: &str) -> (RedactedText, Vec<Identifier>) {
        let redacted = redaction::redact(raw);
        (RedactedText(redacted.text), redacted.removed)
    }

    /// `redact`, when nobody needs to be told what was removed (text Pyramid composed from
    /// values already redacted, such as a newsletter heading made from an item's title).
    pub fn scrub(raw: &str) -> RedactedText {
        Self::redact(raw).0
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Text as it was stored. Only the entities' column mapping and stored JSON call this.
    #[doc(hidden)]
    pub fn from_storage(stored: String) -> RedactedText {
        RedactedText(stored)
    }
}

/// In unit tests, `"text".into()` redacts like `scrub`.
#[cfg(test)]
impl From<&str> for RedactedText {
    fn from(raw: &str) -> Self {
        RedactedText::scrub(raw)
    }
}

/// Reading redacted text is reading a `str`; only making one is guarded.
impl std::ops::Deref for RedactedText {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RedactedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Stored JSON (a meeting's agenda) holds text that was redacted when it was written.
impl<'de> serde::Deserialize<'de> for RedactedText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(RedactedText)
    }
}

/// Parses a free-text field by its rule and redacts it, collecting what was removed.
pub fn parse_redacted(
    field: &'static str,
    label: &str,
    raw: &str,
    rule: TextRule,
    removed: &mut Vec<Identifier>,
) -> Result<RedactedText, InvalidInput> {
    let text = parse_text(field, label, raw, rule)?;
    let (text, found) = RedactedText::redact(&text);
    removed.extend(found);
    Ok(text)
}

/// Trims a free-text field and checks it is present, printable and within its rule. Line
/// breaks are kept (as `\n`) only where the rule allows them.
pub fn parse_text(
    field: &'static str,
    label: &str,
    raw: &str,
    rule: TextRule,
) -> Result<String, InvalidInput> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(InvalidInput::new(
            field,
            format!("{label} cannot be empty."),
        ));
    }
    if text.chars().count() > rule.max_chars {
        return Err(InvalidInput::new(
            field,
            format!("{label} can be at most {} characters long.", rule.max_chars),
        ));
    }
    let allowed = |c: char| rule.multiline && matches!(c, '\n' | '\r' | '\t');
    if text.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(InvalidInput::new(
            field,
            if rule.multiline {
                format!("{label} contains characters that cannot be stored.")
            } else {
                format!("{label} cannot contain line breaks or control characters.")
            },
        ));
    }
    Ok(if rule.multiline {
        text.replace("\r\n", "\n")
    } else {
        text.to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_refuses_breaks_and_paragraphs_keep_them() {
        assert_eq!(parse_text("t", "The title", "  Hi  ", TITLE).unwrap(), "Hi");
        assert!(parse_text("t", "The title", "a\nb", TITLE).is_err());
        assert_eq!(
            parse_text("b", "What happened", "a\r\nb\tc", BODY).unwrap(),
            "a\nb\tc"
        );
        assert!(parse_text("b", "What happened", "a\u{0}b", BODY).is_err());
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let rule = TextRule::line(3);
        assert!(parse_text("t", "It", "äöü", rule).is_ok());
        let error = parse_text("t", "It", "äöüß", rule).unwrap_err();
        assert_eq!(error.message, "It can be at most 3 characters long.");
        assert_eq!(
            parse_text("t", "It", "   ", rule).unwrap_err().message,
            "It cannot be empty."
        );
    }
}
