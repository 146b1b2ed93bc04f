//! The append-only audit log of changes to the structure, written in the same transaction as
//! the change it records.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::Value;

use crate::domain::authz::Actor;
use crate::entities::audit_event;
use crate::error::AppResult;

/// What a change was made to.
#[derive(Debug, Clone, Copy)]
pub enum Subject {
    Group(i64),
    Member(i64),
    Membership(i64),
    Provider(i64),
    ApiToken(i64),
    Meeting(i64),
    Newsletter(i64),
    Theme(i64),
    Pattern(i64),
    Watch(i64),
    Item(i64),
    FeedbackImport(i64),
    Report(i64),
    Consultation(i64),
}

impl Subject {
    fn parts(self) -> (&'static str, i64) {
        match self {
            Subject::Group(id) => ("group", id),
            Subject::Member(id) => ("member", id),
            Subject::Membership(id) => ("membership", id),
            Subject::Provider(id) => ("provider", id),
            Subject::ApiToken(id) => ("api_token", id),
            Subject::Meeting(id) => ("meeting", id),
            Subject::Newsletter(id) => ("newsletter", id),
            Subject::Theme(id) => ("theme", id),
            Subject::Pattern(id) => ("pattern", id),
            Subject::Watch(id) => ("watch", id),
            Subject::Item(id) => ("item", id),
            Subject::FeedbackImport(id) => ("feedback_import", id),
            Subject::Report(id) => ("report", id),
            Subject::Consultation(id) => ("consultation", id),
        }
    }
}

pub async fn record(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    subject: Subject,
    details: Value,
) -> AppResult<()> {
    let (subject_type, subject_id) = subject.parts();
    audit_event::ActiveModel {
        at: Set(super::now()),
        actor_member_id: Set(actor.member_id().map(|m| m.0)),
        action: Set(action.to_owned()),
        subject_type: Set(subject_type.to_owned()),
        subject_id: Set(subject_id),
        details: Set(details.to_string()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}
