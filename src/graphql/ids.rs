//! Opaque global ids (`Node.id`) and pagination cursors. Both are base64 of a readable form
//! ("Group:42", "cursor:42") so clients treat them as opaque while people debugging can
//! still decode them.

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::domain::{
    ApiTokenId, ConsultationId, DeliveryId, FeedbackImportId, GroupId, ItemId, MeetingId, MemberId,
    MembershipId, NewsletterEntryId, NewsletterId, PatternId, ProviderId, ReportId, ThemeId,
    WatchId,
};
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
    Theme,
    Pattern,
    Watch,
    FeedbackImport,
    Report,
    Consultation,
    Delivery,
}

impl NodeType {
    const ALL: [NodeType; 16] = [
        NodeType::Group,
        NodeType::Member,
        NodeType::Membership,
        NodeType::Provider,
        NodeType::ApiToken,
        NodeType::Item,
        NodeType::Meeting,
        NodeType::Newsletter,
        NodeType::NewsletterEntry,
        NodeType::Theme,
        NodeType::Pattern,
        NodeType::Watch,
        NodeType::FeedbackImport,
        NodeType::Report,
        NodeType::Consultation,
        NodeType::Delivery,
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
            NodeType::Theme => "Theme",
            NodeType::Pattern => "Pattern",
            NodeType::Watch => "Watch",
            NodeType::FeedbackImport => "FeedbackImport",
            NodeType::Report => "Report",
            NodeType::Consultation => "Consultation",
            NodeType::Delivery => "Delivery",
        }
    }
}

impl NodeType {
    /// The type as a person says it, with its article: "a group", "an item".
    fn spoken(self) -> &'static str {
        match self {
            NodeType::Group => "a group",
            NodeType::Member => "a member",
            NodeType::Membership => "a membership",
            NodeType::Provider => "a provider",
            NodeType::ApiToken => "an API token",
            NodeType::Item => "an item",
            NodeType::Meeting => "a meeting",
            NodeType::Newsletter => "a newsletter",
            NodeType::NewsletterEntry => "a newsletter entry",
            NodeType::Theme => "a theme",
            NodeType::Pattern => "a pattern",
            NodeType::Watch => "a watch",
            NodeType::FeedbackImport => "an import",
            NodeType::Report => "a report",
            NodeType::Consultation => "a consultation",
            NodeType::Delivery => "a delivery",
        }
    }
}

/// A typed id with a global id of its own type.
pub trait GlobalId: Copy {
    const NODE: NodeType;
    fn from_number(number: i64) -> Self;
    fn number(self) -> i64;
}

macro_rules! global_ids {
    ($($id:ident => $node:ident),* $(,)?) => {$(
        impl GlobalId for $id {
            const NODE: NodeType = NodeType::$node;
            fn from_number(number: i64) -> Self {
                $id(number)
            }
            fn number(self) -> i64 {
                self.0
            }
        }
    )*};
}

global_ids!(
    GroupId => Group,
    MemberId => Member,
    MembershipId => Membership,
    ProviderId => Provider,
    ApiTokenId => ApiToken,
    ItemId => Item,
    MeetingId => Meeting,
    NewsletterId => Newsletter,
    NewsletterEntryId => NewsletterEntry,
    ThemeId => Theme,
    PatternId => Pattern,
    WatchId => Watch,
    FeedbackImportId => FeedbackImport,
    ReportId => Report,
    ConsultationId => Consultation,
    DeliveryId => Delivery,
);

/// The global id of a typed id.
pub fn to_global<T: GlobalId>(id: T) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{}", T::NODE.name(), id.number())))
}

/// Decodes a global id that must be of `T`'s type, naming the input field when it is not.
pub fn from_global<T: GlobalId>(id: &ID, field: &'static str) -> AppResult<T> {
    decode(T::NODE, id, field).map(T::from_number)
}

/// Decodes any global id into its type and number; `None` when it is not one of ours.
pub fn decode_any(id: &str) -> Option<(NodeType, i64)> {
    let bytes = URL_SAFE_NO_PAD.decode(id.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (name, number) = text.split_once(':')?;
    let kind = NodeType::ALL.into_iter().find(|k| k.name() == name)?;
    Some((kind, number.parse().ok()?))
}

fn decode(kind: NodeType, id: &ID, field: &'static str) -> AppResult<i64> {
    match decode_any(id) {
        Some((found, number)) if found == kind => Ok(number),
        Some((found, _)) => Err(AppError::bad_input(
            field,
            format!(
                "This is the id of {}, but the id of {} was expected.",
                found.spoken(),
                kind.spoken()
            ),
        )),
        None => Err(AppError::bad_input(
            field,
            format!(
                "'{}' is not the id of {}: use an id Pyramid gave out.",
                id.as_str(),
                kind.spoken()
            ),
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
        let id = to_global(GroupId(42));
        assert_eq!(from_global::<GroupId>(&id, "id").unwrap(), GroupId(42));
        let error = from_global::<ItemId>(&id, "itemId").unwrap_err();
        assert_eq!(error.field(), Some("itemId"));
        assert_eq!(
            error.message(),
            "This is the id of a group, but the id of an item was expected."
        );
        assert!(from_global::<GroupId>(&ID("nonsense".into()), "id").is_err());
    }

    #[test]
    fn cursors_round_trip() {
        assert_eq!(decode_cursor(&encode_cursor(7)).unwrap(), 7);
        assert!(decode_cursor("bm9wZQ").is_err());
    }
}
