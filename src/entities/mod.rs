//! sea-orm entities: one module per table. The schema itself is created by `migrations/`.
//! Kinds and roles are stored as the domain's upper-case names.

pub mod api_token;
pub mod area_role;
pub mod area_setting;
pub mod audit_event;
pub mod chat_channel;
pub mod chat_identity;
pub mod chat_link_code;
pub mod consultation;
pub mod consultation_group;
pub mod consultation_item;
pub mod consultation_newsletter;
pub mod email_confirmation;
pub mod email_link;
pub mod external_feedback;
pub mod feedback_import;
pub mod group;
pub mod group_mailing_address;
pub mod item;
pub mod item_classification;
pub mod item_event;
pub mod item_group;
pub mod item_tag;
pub mod meeting;
pub mod member;
pub mod membership;
pub mod newsletter;
pub mod newsletter_audio;
pub mod newsletter_easy_read;
pub mod newsletter_entry;
pub mod newsletter_entry_translation;
pub mod newsletter_receipt;
pub mod newsletter_translation;
pub mod outbox;
pub mod pattern;
pub mod pattern_event;
pub mod pattern_item;
pub mod planned_change;
pub mod provider;
pub mod report;
pub mod report_audio;
pub mod theme;
pub mod theme_rule;
pub mod watch;

/// `RedactedText` as a text column. Writing one needs a `RedactedText`, which only the redactor
/// makes; reading one back trusts what was stored.
mod redacted_column {
    use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, ValueType, ValueTypeErr};
    use sea_orm::{ColIdx, QueryResult, TryGetError, TryGetable, Value};

    use crate::domain::RedactedText;

    impl From<RedactedText> for Value {
        fn from(text: RedactedText) -> Self {
            text.into_string().into()
        }
    }

    impl TryGetable for RedactedText {
        fn try_get_by<I: ColIdx>(res: &QueryResult, idx: I) -> Result<Self, TryGetError> {
            String::try_get_by(res, idx).map(RedactedText::from_storage)
        }
    }

    impl ValueType for RedactedText {
        fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
            <String as ValueType>::try_from(v).map(RedactedText::from_storage)
        }

        fn type_name() -> String {
            "RedactedText".to_owned()
        }

        fn array_type() -> ArrayType {
            ArrayType::String
        }

        fn column_type() -> ColumnType {
            ColumnType::Text
        }
    }

    impl Nullable for RedactedText {
        fn null() -> Value {
            <String as Nullable>::null()
        }
    }

    impl sea_orm::sea_query::postgres_array::NotU8 for RedactedText {}

    /// Part of a composite key (an item's theme): never an auto-increment value.
    impl sea_orm::TryFromU64 for RedactedText {
        fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
            Err(sea_orm::DbErr::ConvertFromU64("RedactedText"))
        }
    }
}
