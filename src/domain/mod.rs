//! The domain: Pyramid's types and rules, with no I/O and no web, GraphQL, chat or database
//! crate. Input is parsed into these types once, at the edge; code past the edge can rely on them.

pub mod authz;
pub mod group;
pub mod ids;
pub mod item;
pub mod member;
pub mod newsletter;
pub mod page;
pub mod provider;
pub mod redaction;

pub use ids::*;

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

/// Trims a free-text field and checks it is present, printable and not too long.
pub(crate) fn parse_text(
    field: &'static str,
    label: &str,
    raw: &str,
    max_chars: usize,
) -> Result<String, InvalidInput> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(InvalidInput::new(
            field,
            format!("{label} cannot be empty."),
        ));
    }
    if text.chars().count() > max_chars {
        return Err(InvalidInput::new(
            field,
            format!("{label} can be at most {max_chars} characters long."),
        ));
    }
    if text.chars().any(|c| c.is_control()) {
        return Err(InvalidInput::new(
            field,
            format!("{label} cannot contain line breaks or control characters."),
        ));
    }
    Ok(text.to_owned())
}
