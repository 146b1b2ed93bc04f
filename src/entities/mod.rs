//! sea-orm entities: one module per table. The schema itself is created by `migrations/`.
//! Kinds and roles are stored as the domain's upper-case names.

pub mod api_token;
pub mod audit_event;
pub mod chat_channel;
pub mod chat_identity;
pub mod chat_link_code;
pub mod group;
pub mod item;
pub mod item_event;
pub mod item_group;
pub mod item_theme;
pub mod meeting;
pub mod member;
pub mod membership;
pub mod newsletter;
pub mod newsletter_entry;
pub mod newsletter_receipt;
pub mod outbox;
pub mod provider;
