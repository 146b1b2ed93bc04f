//! What the bot says. Pure functions from what the services returned to plain text a member
//! reads in Discord (no embeds needed), unit-tested here.

use chrono::{DateTime, Utc};

use crate::domain::delivery::Hearing;
use crate::domain::item::{EventKind, Item, ItemEvent, Outcome, Status};
use crate::domain::language::Language;
use crate::domain::newsletter::Newsletter;
use crate::domain::pattern::PatternEventKind;
use crate::error::AppError;
use crate::services::outbox::Message;

/// The bot's own short sentences, each in English and, where someone has translated it,
/// in Welsh. A member hears the one in their Discord locale (`interaction.locale`) when it
/// exists, English otherwise. Placeholders (`{name}`, `{group}`, `{reference}`) are filled in
/// by `say`. Longer replies (a report's receipt, an item's history, direct messages) are in
/// English for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sentence {
    NotLinked,
    Linked,
    NotFound,
    NothingRaised,
    NoNewsletter,
    ChannelLinked,
    NeedsManageChannels,
    NotInAGroup,
    TryAgainLater,
}

impl Sentence {
    pub const ALL: [Sentence; 9] = [
        Sentence::NotLinked,
        Sentence::Linked,
        Sentence::NotFound,
        Sentence::NothingRaised,
        Sentence::NoNewsletter,
        Sentence::ChannelLinked,
        Sentence::NeedsManageChannels,
        Sentence::NotInAGroup,
        Sentence::TryAgainLater,
    ];

    fn english(self) -> &'static str {
        match self {
            Sentence::NotLinked => {
                "You are not linked to Pyramid yet, so nothing you send here is saved. Ask in Pyramid for a link code (your group's secretary can help), then type /link followed by the code."
            }
            Sentence::Linked => {
                "Thank you, {name}: your Discord account is now linked to Pyramid. Use /report to tell us about a patient's experience."
            }
            Sentence::NotFound => {
                "There is no item {reference} that you can see. Check the reference (it looks like SI-2026-000123)."
            }
            Sentence::NothingRaised => {
                "You have not raised any items yet. Use /report to tell us about a patient's experience."
            }
            Sentence::NoNewsletter => "This channel's group has not received a newsletter yet.",
            Sentence::ChannelLinked => {
                "This channel is now linked to {group}: its newsletters will be posted here, and reports made here are raised in it."
            }
            Sentence::NeedsManageChannels => {
                "Linking a channel needs Discord's Manage Channels permission in this server."
            }
            Sentence::NotInAGroup => {
                "You are not a member of a group in Pyramid yet, so there is nowhere to raise this. Ask your group's secretary to add you."
            }
            Sentence::TryAgainLater => {
                "Pyramid could not do that just now. Nothing was changed. Please try again in a few minutes."
            }
        }
    }

    /// Cymraeg. `None` where there is no translation yet (English is said instead).
    fn welsh(self) -> Option<&'static str> {
        Some(match self {
            Sentence::NotLinked => {
                "Nid ydych wedi cysylltu â Pyramid eto, felly nid yw dim a anfonwch yma yn cael ei gadw. Gofynnwch yn Pyramid am god cysylltu (gall ysgrifennydd eich grŵp helpu), yna teipiwch /link a'r cod."
            }
            Sentence::Linked => {
                "Diolch, {name}: mae eich cyfrif Discord bellach wedi'i gysylltu â Pyramid. Defnyddiwch /report i ddweud wrthym am brofiad claf."
            }
            Sentence::NotFound => {
                "Nid oes eitem {reference} y gallwch ei gweld. Gwiriwch y cyfeirnod (mae'n edrych fel SI-2026-000123)."
            }
            Sentence::NothingRaised => {
                "Nid ydych wedi codi unrhyw eitemau eto. Defnyddiwch /report i ddweud wrthym am brofiad claf."
            }
            Sentence::NoNewsletter => "Nid yw grŵp y sianel hon wedi cael cylchlythyr eto.",
            Sentence::ChannelLinked => {
                "Mae'r sianel hon bellach wedi'i chysylltu â {group}: bydd ei chylchlythyrau'n cael eu postio yma, a bydd adroddiadau a wneir yma yn cael eu codi ynddo."
            }
            Sentence::NeedsManageChannels => {
                "Mae cysylltu sianel yn gofyn am ganiatâd Manage Channels Discord yn y gweinydd hwn."
            }
            Sentence::NotInAGroup => {
                "Nid ydych yn aelod o grŵp yn Pyramid eto, felly nid oes unman i godi hyn. Gofynnwch i ysgrifennydd eich grŵp eich ychwanegu."
            }
            Sentence::TryAgainLater => {
                "Ni allai Pyramid wneud hynny ar hyn o bryd. Ni newidiwyd dim. Rhowch gynnig arall arni ymhen ychydig funudau."
            }
        })
    }
}

/// A sentence in `language` (English when it has no translation), its placeholders filled.
pub fn say(language: Language, sentence: Sentence, fill: &[(&str, &str)]) -> String {
    let template = match language {
        Language::Welsh => sentence.welsh().unwrap_or(sentence.english()),
        _ => sentence.english(),
    };
    fill.iter().fold(template.to_owned(), |text, (key, value)| {
        text.replace(&format!("{{{key}}}"), value)
    })
}

/// The language to answer a member in, from their Discord locale (`cy`, `en-GB`, `pl`).
pub fn language_of(locale: &str) -> Language {
    Language::parse(locale).unwrap_or(Language::English)
}

pub fn not_linked(language: Language) -> String {
    say(language, Sentence::NotLinked, &[])
}

pub fn linked(language: Language, name: &str) -> String {
    say(language, Sentence::Linked, &[("name", name)])
}

pub fn status_words(status: Status, group: &str) -> String {
    match status {
        Status::Raised => format!("with {group}, waiting for the PPG to discuss it"),
        Status::AtDistrict => format!("taken up to {group}"),
        Status::AtCouncil => format!("taken up to {group}"),
        Status::Referred => "referred to the commissioners' quality team".to_owned(),
        Status::Responded => "answered".to_owned(),
        Status::Closed => "closed".to_owned(),
    }
}

/// The private reply to a saved report. `pattern` says when it joined a pattern of
/// concern; `hearing` is how the member will hear what happens to it (by default here, in
/// Discord).
pub fn report_saved(
    item: &Item,
    notice: Option<&str>,
    pattern: Option<&str>,
    group: &str,
    duplicate: bool,
    hearing: Hearing,
) -> String {
    let mut lines = Vec::new();
    if duplicate {
        lines.push(format!(
            "We already have this report: it is {}.",
            item.reference
        ));
    } else {
        lines.push(format!(
            "Thank you. Your report is saved as {} in {group}.",
            item.reference
        ));
    }
    if let Some(notice) = notice {
        lines.push(format!(
            "{notice} Please don't share personal details such as NHS numbers or phone numbers."
        ));
    }
    if let Some(pattern) = pattern {
        lines.push(pattern.to_owned());
    }
    let told = match hearing {
        Hearing::Chat => Some("You will get a message here when it moves or is answered."),
        Hearing::Both => {
            Some("You will get a message here, and an e-mail, when it moves or is answered.")
        }
        Hearing::Email => Some("You will get an e-mail when it moves or is answered."),
        Hearing::NotAtAll | Hearing::NotSetUp { .. } => None,
    };
    if item.safety_concern {
        lines.push("Because you said a patient may be at risk, it has gone straight to the commissioners' quality team.".to_owned());
    } else {
        lines.push(format!(
            "What happens next: your group will discuss it, and its representative may take it to the district.{}",
            told.map(|t| format!(" {t}")).unwrap_or_default()
        ));
    }
    if told.is_none() {
        lines.push(hearing.sentence());
    }
    lines.push(format!("To follow it, type /status {}.", item.reference));
    lines.join("\n")
}

/// The private reply when a report could not be saved.
pub fn report_not_saved(error: &AppError) -> String {
    match error {
        AppError::BadUserInput { field, message } => {
            format!("Your report was not saved. {} ({}) Please try again.", message, field_label(field))
        }
        AppError::Internal(_) => "Your report was not saved: Pyramid could not store it just now, and nothing was kept. Please try again in a few minutes.".to_owned(),
        other => format!("Your report was not saved. {}", other.message()),
    }
}

/// The words a member sees on the form for a field Pyramid names.
pub fn field_label(field: &str) -> &str {
    match field {
        "title" => "field: Title",
        "body" => "field: What happened",
        "providerName" => "field: Provider or service",
        "experiencedOn" | "when" => "field: When",
        "sentiment" => "field: Positive, negative or mixed",
        "safety" => "field: Is a patient at risk",
        "themes" => "field: Themes",
        "code" => "the link code",
        _ => "check what you typed",
    }
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y").to_string()
}

/// An item's status and history, for `/status`.
pub fn status(item: &Item, events: &[ItemEvent], group_name: &dyn Fn(i64) -> String) -> String {
    let mut lines = vec![
        format!("{}: {}", item.reference, item.title),
        format!(
            "Now: {}.",
            status_words(item.status, &group_name(item.current_group_id.0))
        ),
        "History:".to_owned(),
    ];
    for event in events {
        let what = match event.kind {
            EventKind::Raised => format!("raised in {}", group_name(event.group_id.0)),
            EventKind::Escalated => format!("taken up to {}", group_name(event.group_id.0)),
            EventKind::Referred => "referred to the commissioners".to_owned(),
            EventKind::SafetyReferred => {
                "sent straight to the quality team as a safety concern".to_owned()
            }
            EventKind::Responded => "answered".to_owned(),
            EventKind::Closed => "closed".to_owned(),
            EventKind::Linked => "joined with other reports of the same matter".to_owned(),
            EventKind::Noted => {
                format!("discussed at a meeting of {}", group_name(event.group_id.0))
            }
            EventKind::ChangeDue => format!(
                "the planned change was due; back at {} to ask whether it was done",
                group_name(event.group_id.0)
            ),
            EventKind::ChangeMade => "the planned change was made".to_owned(),
            EventKind::ChangeRescheduled => "the planned change was given a new date".to_owned(),
            EventKind::ChangeAbandoned => "the planned change was abandoned".to_owned(),
        };
        lines.push(format!("- {}: {what}", day(event.at)));
    }
    if let Some(answer) = crate::domain::item::answer(events) {
        let outcome = answer.outcome.map(Outcome::told).unwrap_or("answered");
        lines.push(format!(
            "Answer ({outcome}): {}",
            answer.note.as_deref().unwrap_or("")
        ));
    }
    if item.status == Status::Referred
        && let Some(hours) = item.hours_waiting(Utc::now())
    {
        lines.push(format!("Waiting for the commissioners for {hours} hours."));
    }
    lines.join("\n")
}

pub fn not_found(language: Language, reference: &str) -> String {
    say(
        language,
        Sentence::NotFound,
        &[("reference", reference.trim())],
    )
}

/// The member's own recent items, for `/mine`.
pub fn mine(language: Language, items: &[Item]) -> String {
    if items.is_empty() {
        return say(language, Sentence::NothingRaised, &[]);
    }
    let mut lines = vec!["Your recent items:".to_owned()];
    for item in items {
        lines.push(format!(
            "- {} ({}): {}",
            item.reference,
            day(item.created_at),
            item.title
        ));
        lines.push(format!("  {}", status_words(item.status, "your PPG")));
    }
    lines.join("\n")
}

/// A newsletter as posted into a channel, or shown by `/newsletter`.
pub fn newsletter(title: &str, issuer: &str, summary: &str, url: &str) -> String {
    format!(
        "New newsletter from {issuer}: {title}\n{summary}\nRead it in full (also in large print and plain text): {url}"
    )
}

pub fn no_newsletter(language: Language) -> String {
    say(language, Sentence::NoNewsletter, &[])
}

pub fn newsletter_view(newsletter: &Newsletter, issuer: &str, url: &str) -> String {
    self::newsletter(
        &newsletter.title,
        issuer,
        &crate::services::newsletters::summary(newsletter),
        url,
    )
}

/// A direct message telling a member what happened to their item.
pub fn item_update(message: &Message, group: &str) -> String {
    let Message::ItemUpdate {
        reference,
        title,
        event,
        answer,
        outcome,
        ..
    } = message
    else {
        return String::new();
    };
    match event {
        EventKind::Responded => {
            let outcome = outcome.map(Outcome::told).unwrap_or("answered");
            format!(
                "Your item {reference} ({title}) has been answered ({outcome}):\n{}\nThank you for raising it.",
                answer.as_deref().unwrap_or("")
            )
        }
        EventKind::Referred => format!(
            "Your item {reference} ({title}) has been referred to the commissioners' quality team."
        ),
        EventKind::ChangeMade => match answer.as_deref().filter(|a| !a.is_empty()) {
            Some(what) => format!(
                "The change planned for your item {reference} ({title}) has been made: {what}\nThank you for raising it."
            ),
            None => format!(
                "The change planned for your item {reference} ({title}) has been made.\nThank you for raising it."
            ),
        },
        _ => format!("Your item {reference} ({title}) has been taken up to {group}."),
    }
}

/// Posted in the referring group's channel when a planned change reaches its due date.
pub fn change_due(message: &Message, url_base: &str) -> String {
    let Message::ChangeDue {
        reference,
        owner,
        due_on,
        ..
    } = message
    else {
        return String::new();
    };
    format!(
        "{} If you know, tell your secretary or the commissioners; they record it in Pyramid ({url_base}/graphql) as made, or give a new date with the reason.",
        crate::domain::change::due_question(reference, owner, *due_on)
    )
}

/// The quality team's alert about a safety concern.
pub fn safety_alert(message: &Message, url_base: &str) -> String {
    let Message::SafetyAlert {
        reference, title, ..
    } = message
    else {
        return String::new();
    };
    format!(
        "Safety concern {reference}: {title}. Please look at it in Pyramid ({url_base}/graphql)."
    )
}

/// A direct message to a group's officers: a pattern of concern opened, reopened or moved
/// to them. Counts only.
pub fn pattern_alert(message: &Message, group: &str, url_base: &str) -> String {
    let Message::PatternAlert {
        change,
        provider,
        theme,
        ppg_count,
        item_count,
        window_days,
        reopened_because,
        ..
    } = message
    else {
        return String::new();
    };
    let about = match theme {
        Some(theme) => format!("{provider} ({theme})"),
        None => provider.clone(),
    };
    let what = match change {
        PatternEventKind::Reopened => format!(
            "A pattern of concern you dismissed has reopened: {about}. {}",
            reopened_because.as_deref().unwrap_or("")
        ),
        PatternEventKind::Moved => {
            format!("A pattern of concern now spans districts, so it comes to {group}: {about}.")
        }
        _ => format!("A pattern of concern has opened for {group}: {about}."),
    };
    format!(
        "{} {item_count} reports from {ppg_count} PPGs, within {window_days} days of each other. Look at it in Pyramid ({url_base}/graphql) to acknowledge it, take it up or dismiss it.",
        what.trim_end()
    )
}

/// A member's digest of what one of their watches caught.
pub fn watch_digest(message: &Message) -> String {
    let Message::WatchDigest {
        about,
        items,
        patterns,
        ..
    } = message
    else {
        return String::new();
    };
    let mut text = format!("Your watch on {about}:");
    if !items.is_empty() {
        text.push_str("\nNew items:");
        for line in items {
            text.push_str("\n- ");
            text.push_str(line.as_str());
        }
    }
    if !patterns.is_empty() {
        text.push_str("\nPatterns of concern:");
        for line in patterns {
            text.push_str("\n- ");
            text.push_str(line);
        }
    }
    text
}

pub fn channel_linked(language: Language, group: &str) -> String {
    say(language, Sentence::ChannelLinked, &[("group", group)])
}

pub fn needs_manage_channels(language: Language) -> String {
    say(language, Sentence::NeedsManageChannels, &[])
}

pub fn not_in_a_group(language: Language) -> String {
    say(language, Sentence::NotInAGroup, &[])
}

pub fn try_again_later(language: Language) -> String {
    say(language, Sentence::TryAgainLater, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sentence_has_a_welsh_counterpart_with_the_same_placeholders() {
        let placeholders = |text: &str| -> Vec<String> {
            text.split('{')
                .skip(1)
                .filter_map(|rest| rest.split_once('}').map(|(key, _)| key.to_owned()))
                .collect()
        };
        for sentence in Sentence::ALL {
            let welsh = sentence
                .welsh()
                .unwrap_or_else(|| panic!("{sentence:?} has no Welsh"));
            assert_ne!(welsh, sentence.english(), "{sentence:?}");
            assert_eq!(
                placeholders(welsh),
                placeholders(sentence.english()),
                "{sentence:?}"
            );
        }
    }

    #[test]
    fn a_member_hears_their_discord_language_or_else_english() {
        assert_eq!(language_of("cy"), Language::Welsh);
        assert_eq!(
            linked(language_of("cy"), "Sam"),
            "Diolch, Sam: mae eich cyfrif Discord bellach wedi'i gysylltu â Pyramid. Defnyddiwch /report i ddweud wrthym am brofiad claf."
        );
        // Polish is a language Pyramid knows, but the bot has no Polish yet: English.
        for locale in ["en-GB", "en-US", "pl", "fr", ""] {
            assert_eq!(
                try_again_later(language_of(locale)),
                "Pyramid could not do that just now. Nothing was changed. Please try again in a few minutes.",
                "{locale}"
            );
        }
        assert_eq!(
            not_found(Language::Welsh, " SI-2026-000009 "),
            "Nid oes eitem SI-2026-000009 y gallwch ei gweld. Gwiriwch y cyfeirnod (mae'n edrych fel SI-2026-000123)."
        );
    }
    use crate::domain::item::{Channel, InformationSource, ItemKind, Sentiment};
    use crate::domain::{GroupId, ItemEventId, ItemId, MemberId};
    use chrono::TimeZone;

    fn item(safety: bool) -> Item {
        let at = Utc.with_ymd_and_hms(2026, 11, 3, 10, 0, 0).unwrap();
        Item {
            id: ItemId(1),
            reference: "SI-2026-000001".into(),
            kind: ItemKind::SoftIntelligence,
            title: "Long waits".into(),
            body: "".into(),
            provider_id: None,
            provider_name: None,
            experienced_on: None,
            sentiment: Sentiment::Negative,
            information_source: InformationSource::OwnExperience,
            raised_with_pals: false,
            raised_as_complaint: false,
            safety_concern: safety,
            severity: None,
            severity_reason: None,
            origin_group_id: GroupId(3),
            area_id: GroupId(1),
            share_name: false,
            current_group_id: GroupId(2),
            status: if safety {
                Status::Referred
            } else {
                Status::AtDistrict
            },
            submitter_id: MemberId(1),
            channel: Channel::Discord,
            lead_item_id: None,
            latest_event_id: None,
            referred_at: None,
            response_due_on: None,
            responded_at: None,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn a_saved_report_gives_the_reference_what_was_removed_and_what_happens_next() {
        let reply = report_saved(
            &item(false),
            Some("We removed an NHS number before saving."),
            Some(
                "2 other PPGs reported this provider in the last 90 days; Northside District Group has been told.",
            ),
            "Riverside PPG",
            false,
            Hearing::Chat,
        );
        assert!(reply.contains("2 other PPGs reported this provider"));
        assert!(
            reply
                .starts_with("Thank you. Your report is saved as SI-2026-000001 in Riverside PPG.")
        );
        assert!(reply.contains("We removed an NHS number"));
        assert!(reply.contains("What happens next"));
        assert!(reply.ends_with("/status SI-2026-000001."));
        assert!(reply.contains("You will get a message here when it moves or is answered."));
        let safety = report_saved(
            &item(true),
            None,
            None,
            "Riverside PPG",
            false,
            Hearing::Chat,
        );
        assert!(safety.contains("gone straight to the commissioners' quality team"));
    }

    #[test]
    fn a_member_who_will_not_hear_here_is_told_so() {
        let by_email = report_saved(
            &item(false),
            None,
            None,
            "Riverside PPG",
            false,
            Hearing::Email,
        );
        assert!(by_email.contains("You will get an e-mail when it moves or is answered."));
        let nowhere = report_saved(
            &item(false),
            None,
            None,
            "Riverside PPG",
            false,
            Hearing::NotAtAll,
        );
        assert!(!nowhere.contains("You will get"));
        assert!(nowhere.contains("You chose not to be told"));
        assert!(nowhere.ends_with("/status SI-2026-000001."));
    }

    #[test]
    fn a_report_that_was_not_saved_says_why_in_plain_words() {
        let bad = AppError::bad_input("title", "The title cannot be empty.");
        assert_eq!(
            report_not_saved(&bad),
            "Your report was not saved. The title cannot be empty. (field: Title) Please try again."
        );
        let internal = AppError::internal(anyhow::anyhow!("disk full"), "test");
        let text = report_not_saved(&internal);
        assert!(text.contains("nothing was kept") && !text.contains("disk"));
    }

    #[test]
    fn status_lists_the_history_and_the_answer() {
        let at = Utc.with_ymd_and_hms(2026, 11, 3, 10, 0, 0).unwrap();
        let event = |id, kind, group, note: Option<&str>, outcome| ItemEvent {
            id: ItemEventId(id),
            item_id: ItemId(1),
            at,
            actor_id: None,
            kind,
            from_status: None,
            to_status: Status::Raised,
            from_group_id: None,
            group_id: GroupId(group),
            note: note.map(Into::into),
            outcome,
            meeting_id: None,
        };
        let mut answered = item(false);
        answered.status = Status::Responded;
        let events = vec![
            event(1, EventKind::Raised, 3, None, None),
            event(2, EventKind::Escalated, 2, None, None),
            event(
                3,
                EventKind::Responded,
                2,
                Some("Two more clinicians."),
                Some(Outcome::ChangeMade),
            ),
        ];
        let names = |id: i64| {
            if id == 3 {
                "Riverside PPG".to_owned()
            } else {
                "North District".to_owned()
            }
        };
        let text = status(&answered, &events, &names);
        assert_eq!(
            text,
            "SI-2026-000001: Long waits\nNow: answered.\nHistory:\n- 3 Nov 2026: raised in Riverside PPG\n- 3 Nov 2026: taken up to North District\n- 3 Nov 2026: answered\nAnswer (a change was made): Two more clinicians."
        );
    }

    #[test]
    fn updates_say_what_happened_to_the_item() {
        let update = |event, answer: Option<&str>, outcome| Message::ItemUpdate {
            item_id: crate::domain::ItemId(1),
            event_id: crate::domain::ItemEventId(2),
            reference: "SI-2026-000001".into(),
            title: "Long waits".into(),
            event,
            status: Status::Responded,
            group_id: crate::domain::GroupId(3),
            answer: answer.map(Into::into),
            outcome,
            origin_group_id: None,
        };
        let payload = update(
            EventKind::Responded,
            Some("Reviewing rotas."),
            Some(Outcome::ActionPlanned),
        );
        assert_eq!(
            item_update(&payload, "North"),
            "Your item SI-2026-000001 (Long waits) has been answered (action is planned):\nReviewing rotas.\nThank you for raising it."
        );
        let moved = update(EventKind::Escalated, None, None);
        assert_eq!(
            item_update(&moved, "North District"),
            "Your item SI-2026-000001 (Long waits) has been taken up to North District."
        );
    }
}
