//! Raising an item: the soft-intelligence template parsed and redacted, the item stored with
//! its first event, its provider matched to the register, its themes (chosen or suggested),
//! the safety fast path, the patterns of concern it joins, and idempotency (the same key
//! gives the same item).

use chrono::{Datelike, NaiveDate};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};

use super::Redactions;
use super::rows::{from_model, not_found};
use super::trail::{self, NewEvent};
use crate::domain::authz::{self, Actor};
use crate::domain::delivery::Hearing;
use crate::domain::item::{
    self, Channel, EventKind, IdempotencyKey, InformationSource, Item, ItemKind, Sentiment, Status,
};
use crate::domain::redaction::Identifier;
use crate::domain::text::{self, RedactedText, parse_redacted};
use crate::domain::theme::Polarity;
use crate::domain::{GroupId, MemberId, ProviderId, ThemeId};
use crate::entities::{item as db, item_classification, item_tag};
use crate::error::{AppError, AppResult};
use crate::services::patterns::{self, Joined};
use crate::services::{groups, providers, themes};

/// What a member fills in on the soft-intelligence template.
#[derive(Debug, Clone)]
pub struct RaiseItem {
    pub group_id: GroupId,
    pub kind: ItemKind,
    pub title: String,
    pub body: String,
    pub provider_id: Option<ProviderId>,
    pub provider_name: Option<String>,
    pub experienced_on: Option<NaiveDate>,
    pub sentiment: Sentiment,
    pub information_source: InformationSource,
    pub raised_with_pals: bool,
    pub raised_as_complaint: bool,
    pub safety_concern: bool,
    /// Themes from the vocabulary, each with its own polarity; when none are given, the
    /// keyword rules suggest some from the text.
    pub themes: Vec<ThemeChoice>,
    /// Free tags, beside the themes.
    pub tags: Vec<String>,
    /// The same key from the same member gives the same item, never two.
    pub idempotency_key: Option<String>,
    pub channel: Channel,
    /// The member agrees that their name may travel with the item beyond their PPG's
    /// officers (by default it does not: tiers above see "a member of <PPG>").
    pub share_name: bool,
}

/// A theme chosen for an item, and what the item says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThemeChoice {
    pub theme_id: ThemeId,
    pub polarity: Polarity,
}

/// A raised item, with what was removed from its text before it was stored.
#[derive(Debug, Clone)]
pub struct Raised {
    pub item: Item,
    pub removed: Vec<(Identifier, usize)>,
    pub notice: Option<String>,
    /// False when the idempotency key matched an item raised before.
    pub created: bool,
    /// The patterns of concern the report joined (empty for a repeat delivery).
    pub patterns: Vec<Joined>,
    /// How the submitter will hear what happens to it (they are told at once when they have
    /// no way set up).
    pub hearing: Hearing,
}

/// The template's text, parsed and redacted: what will be stored.
struct Form {
    title: RedactedText,
    body: RedactedText,
    provider_name: Option<RedactedText>,
    tags: Vec<RedactedText>,
    key: Option<IdempotencyKey>,
    /// A fingerprint of everything submitted, to tell a retry from a different report.
    fingerprint: String,
    redactions: Redactions,
}

fn parse_form(input: &RaiseItem) -> AppResult<Form> {
    let mut removed = Vec::new();
    let title = parse_redacted(
        "title",
        "The title",
        &input.title,
        text::TITLE,
        &mut removed,
    )?;
    let body = parse_redacted(
        "body",
        "What happened",
        &input.body,
        text::BODY,
        &mut removed,
    )?;
    let tags = item::parse_tags(&input.tags)?;
    if input.themes.len() > item::MAX_TAGS {
        return Err(AppError::bad_input(
            "themes",
            format!("An item can have at most {} themes.", item::MAX_TAGS),
        ));
    }
    let provider_name = input
        .provider_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .map(|n| {
            parse_redacted(
                "providerName",
                "A provider's name",
                n,
                text::NAME,
                &mut removed,
            )
        })
        .transpose()?;
    if let Some(date) = input.experienced_on {
        item::check_experienced_on(date, crate::services::today())?;
    }
    let key = input
        .idempotency_key
        .as_deref()
        .filter(|k| !k.trim().is_empty())
        .map(IdempotencyKey::parse)
        .transpose()?;
    let fingerprint = fingerprint(input, &title, &body, provider_name.as_ref(), &tags);
    Ok(Form {
        title,
        body,
        provider_name,
        tags,
        key,
        fingerprint,
        redactions: Redactions::summarise(removed),
    })
}

/// SHA-256 over everything the member submitted (after redaction), field by field.
fn fingerprint(
    input: &RaiseItem,
    title: &RedactedText,
    body: &RedactedText,
    provider_name: Option<&RedactedText>,
    tags: &[RedactedText],
) -> String {
    use sha2::{Digest, Sha256};
    let fields = serde_json::json!([
        input.group_id.0,
        input.kind.as_str(),
        title,
        body,
        input.provider_id.map(|p| p.0),
        provider_name,
        input.experienced_on,
        input.sentiment.as_str(),
        input.information_source.as_str(),
        input.raised_with_pals,
        input.raised_as_complaint,
        input.safety_concern,
        tags,
        input
            .themes
            .iter()
            .map(|t| (t.theme_id.0, t.polarity.as_str()))
            .collect::<Vec<_>>(),
        input.share_name,
    ]);
    let digest = Sha256::digest(fields.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

async fn find_by_key(
    conn: &impl ConnectionTrait,
    submitter: MemberId,
    key: &str,
) -> AppResult<Option<db::Model>> {
    Ok(db::Entity::find()
        .filter(db::Column::SubmitterId.eq(submitter.0))
        .filter(db::Column::IdempotencyKey.eq(key))
        .one(conn)
        .await?)
}

/// Raises an item in a group. Personal identifiers are removed from its text before anything
/// is stored; a safety concern goes straight to the commissioners.
#[tracing::instrument(skip_all, fields(group = %input.group_id, member = ?actor.member_id()))]
pub async fn raise(db: &DatabaseConnection, actor: &Actor, input: RaiseItem) -> AppResult<Raised> {
    authz::may_raise_in(actor, input.group_id)?;
    let submitter = actor.member_id().ok_or_else(|| {
        AppError::bad_input(
            "submitter",
            "Items are raised by a member: use a member's token.",
        )
    })?;
    let form = parse_form(&input)?;
    let hearing = crate::services::delivery::hearing_of(db, submitter).await?;
    let earlier = |model: db::Model, form: Form| {
        // The same key for another report: the earlier one stands and this one is not saved.
        if model
            .submission_hash
            .as_deref()
            .is_some_and(|hash| hash != form.fingerprint)
        {
            return Err(AppError::Conflict(format!(
                "This idempotency key was already used for another report ({}), so this one was not saved. Send it again with a new key.",
                model.reference
            )));
        }
        Ok(Raised {
            item: from_model(model)?,
            removed: form.redactions.removed,
            notice: form.redactions.notice,
            created: false,
            patterns: Vec::new(),
            hearing,
        })
    };
    if let Some(key) = &form.key
        && let Some(existing) = find_by_key(db, submitter, key.as_str()).await?
    {
        return earlier(existing, form);
    }
    let txn = db.begin().await?;
    let inserted = match insert(&txn, &input, &form, submitter).await? {
        Some(model) => model,
        None => {
            // Two deliveries of the same submission raced: the other one won; answer with it.
            txn.rollback().await?;
            let key = form.key.as_ref().map_or("", IdempotencyKey::as_str);
            let existing = find_by_key(db, submitter, key)
                .await?
                .ok_or_else(not_found)?;
            return earlier(existing, form);
        }
    };
    let model = record_raise(&txn, actor, inserted, &form, input.safety_concern).await?;
    let themes = classify(&txn, &model, &input.themes, submitter).await?;
    let patterns = patterns::detect::observe_in(&txn, &model, &themes).await?;
    txn.commit().await?;
    Ok(Raised {
        item: from_model(model)?,
        removed: form.redactions.removed,
        notice: form.redactions.notice,
        created: true,
        patterns,
        hearing,
    })
}

/// The item raised earlier by the caller with this idempotency key, if any (visible to
/// them, as their own).
pub async fn raised_with_key(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    key: &str,
) -> AppResult<Option<Item>> {
    let Some(submitter) = actor.member_id() else {
        return Ok(None);
    };
    find_by_key(conn, submitter, key)
        .await?
        .map(from_model)
        .transpose()
}

/// Gives a new item its themes: those chosen, or else those the keyword rules suggest from
/// its text (marked as suggestions, with the rule that fired), each with the item's
/// sentiment as its polarity.
async fn classify(
    txn: &sea_orm::DatabaseTransaction,
    item: &db::Model,
    chosen: &[ThemeChoice],
    submitter: MemberId,
) -> AppResult<Vec<(ThemeId, Polarity)>> {
    let now = item.created_at;
    let rows: Vec<item_classification::ActiveModel> = if chosen.is_empty() {
        let sentiment = Sentiment::from_db(&item.sentiment)
            .ok_or_else(|| super::rows::bad_stored(item.id, "sentiment"))?;
        let text = format!("{}\n{}", item.title.as_str(), item.body.as_str());
        themes::suggest(txn, &text)
            .await?
            .into_iter()
            .map(|(theme, rule)| item_classification::ActiveModel {
                item_id: Set(item.id),
                theme_id: Set(theme.0),
                polarity: Set(Polarity::from(sentiment).as_str().to_owned()),
                suggested: Set(true),
                rule_id: Set(Some(rule.0)),
                set_by: Set(None),
                set_at: Set(now),
            })
            .collect()
    } else {
        let ids: Vec<ThemeId> = chosen.iter().map(|c| c.theme_id).collect();
        let known = themes::get_many(txn, &ids).await?;
        let mut rows = Vec::new();
        let mut seen = Vec::new();
        for choice in chosen {
            if !known.contains_key(&choice.theme_id) {
                return Err(AppError::bad_input(
                    "themes",
                    "One of the themes is not in the vocabulary: ask for `themes` to see them.",
                ));
            }
            if seen.contains(&choice.theme_id) {
                continue;
            }
            seen.push(choice.theme_id);
            rows.push(item_classification::ActiveModel {
                item_id: Set(item.id),
                theme_id: Set(choice.theme_id.0),
                polarity: Set(choice.polarity.as_str().to_owned()),
                suggested: Set(false),
                rule_id: Set(None),
                set_by: Set(Some(submitter.0)),
                set_at: Set(now),
            });
        }
        rows
    };
    let themes = rows
        .iter()
        .filter_map(|row| {
            let theme = ThemeId(*row.theme_id.as_ref());
            Polarity::from_db(row.polarity.as_ref()).map(|p| (theme, p))
        })
        .collect();
    if !rows.is_empty() {
        item_classification::Entity::insert_many(rows)
            .exec(txn)
            .await?;
    }
    Ok(themes)
}

/// Stores the item's row (with a placeholder reference until its id is known); `None` when
/// another delivery with the same idempotency key was stored first.
async fn insert(
    txn: &sea_orm::DatabaseTransaction,
    input: &RaiseItem,
    form: &Form,
    submitter: MemberId,
) -> AppResult<Option<db::Model>> {
    let group = groups::get(txn, input.group_id)
        .await
        .map_err(|_| AppError::bad_input("groupId", "There is no group with that id."))?;
    let provider_id = match input.provider_id {
        Some(provider) => {
            providers::get(txn, provider).await.map_err(|_| {
                AppError::bad_input(
                    "providerId",
                    "There is no provider with that id in the register.",
                )
            })?;
            Some(provider)
        }
        // A provider typed by name, or named in the text, is linked to its register entry.
        None => match &form.provider_name {
            Some(name) => providers::match_name(txn, name.as_str()).await?,
            None => {
                providers::match_text(
                    txn,
                    &format!("{} {}", form.title.as_str(), form.body.as_str()),
                )
                .await?
            }
        }
        .map(|p| p.id),
    };
    let now = crate::services::now();
    let placeholder: u64 = rand::rng().random();
    let inserted = db::ActiveModel {
        reference: Set(format!("pending-{placeholder:x}")),
        kind: Set(input.kind.as_str().to_owned()),
        title: Set(form.title.clone()),
        body: Set(form.body.clone()),
        provider_id: Set(provider_id.map(|p| p.0)),
        provider_name: Set(form.provider_name.clone()),
        experienced_on: Set(input.experienced_on),
        sentiment: Set(input.sentiment.as_str().to_owned()),
        information_source: Set(input.information_source.as_str().to_owned()),
        raised_with_pals: Set(input.raised_with_pals),
        raised_as_complaint: Set(input.raised_as_complaint),
        safety_concern: Set(input.safety_concern),
        origin_group_id: Set(group.id.0),
        current_group_id: Set(group.id.0),
        area_id: Set(Some(group.area_id.0)),
        share_name: Set(input.share_name),
        submission_hash: Set(Some(form.fingerprint.clone())),
        status: Set(Status::held_at(group.kind).as_str().to_owned()),
        submitter_id: Set(submitter.0),
        channel: Set(input.channel.as_str().to_owned()),
        idempotency_key: Set(form.key.as_ref().map(|k| k.as_str().to_owned())),
        lead_item_id: Set(None),
        latest_event_id: Set(None),
        referred_at: Set(None),
        responded_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await;
    match inserted {
        Ok(model) => Ok(Some(model)),
        Err(error)
            if form.key.is_some()
                && matches!(
                    error.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) =>
        {
            Ok(None)
        }
        Err(error) => Err(error.into()),
    }
}

/// Gives a new item its reference, tags, the group it reached and its first event; a safety
/// concern takes the fast path (`classify::refer_for_safety`).
async fn record_raise(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    inserted: db::Model,
    form: &Form,
    safety_concern: bool,
) -> AppResult<db::Model> {
    let group = GroupId(inserted.origin_group_id);
    let status = super::rows::status_of(&inserted)?;
    trail::reach(txn, inserted.id, group).await?;
    for tag in &form.tags {
        item_tag::ActiveModel {
            item_id: Set(inserted.id),
            tag: Set(tag.clone()),
        }
        .insert(txn)
        .await?;
    }
    let raised = NewEvent {
        from_status: None,
        ..NewEvent::new(&inserted, EventKind::Raised, status)
    };
    let raised_event = trail::record(txn, actor, raised).await?;
    let now = inserted.created_at;
    let mut row: db::ActiveModel = inserted.clone().into();
    row.reference = Set(item::reference(now.year(), inserted.id));
    row.latest_event_id = Set(Some(raised_event));
    let model = row.update(txn).await?;
    if !safety_concern {
        return Ok(model);
    }
    let note = RedactedText::scrub(
        "Flagged as a safety concern: referred to the commissioners' quality team at once.",
    );
    super::classify::refer_for_safety(txn, actor, model, note).await
}
