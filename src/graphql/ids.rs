//! Opaque global ids (`Node.id`) and pagination cursors. Both are base64 of a readable form
//! ("Group:42", "cursor:42") so clients treat them as opaque while people debugging can
//! still decode them.

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{AppError, AppResult};

/// The type names that global ids carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeType {
    Group,
    Member,
    Membership,
    Provider,
    ApiToken,
    Item,
    Meeting,
    Newsletter,
    NewsletterEntry,
}

impl NodeType {
    const ALL: [NodeType; 9] = [
        NodeType::Group,
        NodeType::Member,
        NodeType::Membership,
        NodeType::Provider,
        NodeType::ApiToken,
        NodeType::Item,
        NodeType::Meeting,
        NodeType::Newsletter,
        NodeType::NewsletterEntry,
    ];

    fn name(self) -> &'static str {
        match self {
            NodeType::Group => "Group",
            NodeType::Member => "Member",
            NodeType::Membership => "Membership",
            NodeType::Provider => "Provider",
            NodeType::ApiToken => "ApiToken",
            NodeType::Item => "Item",
            NodeType::Meeting => "Meeting",
            NodeType::Newsletter => "Newsletter",
            NodeType::NewsletterEntry => "NewsletterEntry",
        }
    }
}

pub fn encode(kind: NodeType, id: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name())))
}

/// Decodes any global id into its type and number; `None` when it is not one of ours.
pub fn decode_any(id: &str) -> Option<(NodeType, i64)> {
    let bytes = URL_SAFE_NO_PAD.decode(id.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (name, number) = text.split_once(':')?;
    let kind = NodeType::ALL.into_iter().find(|k| k.name() == name)?;
    Some((kind, number.parse().ok()?))
}

/// Decodes a global id that must be of one type, naming the input field when it is not.
pub fn decode(kind: NodeType, id: &ID, field: &'static str) -> AppResult<i64> {
    match decode_any(id) {
        Some((found, number)) if found == kind => Ok(number),
        Some((found, _)) => Err(AppError::bad_input(
            field,
            format!(
                "This is the id of a {}, but a {} was expected.",
                found.name(),
                kind.name()
            ),
        )),
        None => Err(AppError::bad_input(
            field,
            format!("'{}' is not a {} id.", id.as_str(), kind.name()),
        )),
    }
}

pub fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("cursor:{id}"))
}

pub fn decode_cursor(cursor: &str) -> AppResult<i64> {
    URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("cursor:")?.parse().ok())
        .ok_or_else(|| {
            AppError::bad_input(
                "after",
                "This cursor is not one Pyramid gave out: use an endCursor from a previous page.",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_keep_their_type() {
        let id = encode(NodeType::Group, 42);
        assert_eq!(decode(NodeType::Group, &id, "id").unwrap(), 42);
        let error = decode(NodeType::Member, &id, "memberId").unwrap_err();
        assert_eq!(error.field(), Some("memberId"));
        assert!(decode(NodeType::Group, &ID("nonsense".into()), "id").is_err());
    }

    #[test]
    fn cursors_round_trip() {
        assert_eq!(decode_cursor(&encode_cursor(7)).unwrap(), 7);
        assert!(decode_cursor("bm9wZQ").is_err());
    }
}
