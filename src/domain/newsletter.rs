//! Newsletters: what a district's or the council's newsletter contains, and in what order.
//! The service gathers the group's activity in the period; `compose` turns it into the draft.

use chrono::{DateTime, NaiveDate, Utc};

use super::item::{Outcome, Status};
use super::{GroupId, InvalidInput, ItemId};

/// The parts of a newsletter, most important first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    /// Safety concerns referred to the quality team.
    Safety,
    /// "You said, we did": answers received, changes made first.
    Answers,
    /// Several reports of one matter, seen together.
    Patterns,
    /// Items taken up to this group from the tier below.
    Received,
    /// Items this group took further up.
    TakenUp,
    Closed,
    Meetings,
    /// Items still waiting at this group.
    Waiting,
    /// A free entry the secretary wrote: an event, a consultation to take part in.
    Notice,
}

impl Section {
    pub const ALL: [Section; 9] = [
        Section::Safety,
        Section::Answers,
        Section::Patterns,
        Section::Received,
        Section::TakenUp,
        Section::Closed,
        Section::Meetings,
        Section::Waiting,
        Section::Notice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Section::Safety => "SAFETY",
            Section::Answers => "ANSWERS",
            Section::Patterns => "PATTERNS",
            Section::Received => "RECEIVED",
            Section::TakenUp => "TAKEN_UP",
            Section::Closed => "CLOSED",
            Section::Meetings => "MEETINGS",
            Section::Waiting => "WAITING",
            Section::Notice => "NOTICE",
        }
    }

    pub fn from_db(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// The section's heading in the newsletter.
    pub fn title(self) -> &'static str {
        match self {
            Section::Safety => "Safety concerns",
            Section::Answers => "You said, we did",
            Section::Patterns => "Patterns of concern",
            Section::Received => "Raised with us",
            Section::TakenUp => "Taken further",
            Section::Closed => "Resolved",
            Section::Meetings => "Our meetings",
            Section::Waiting => "Still waiting",
            Section::Notice => "Notices",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewsletterStatus {
    Draft,
    Published,
}

impl NewsletterStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NewsletterStatus::Draft => "DRAFT",
            NewsletterStatus::Published => "PUBLISHED",
        }
    }

    pub fn from_db(value: &str) -> Option<Self> {
        [NewsletterStatus::Draft, NewsletterStatus::Published]
            .into_iter()
            .find(|s| s.as_str() == value)
    }
}

/// The dates a newsletter covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Period {
    pub fn parse(start: NaiveDate, end: NaiveDate) -> Result<Self, InvalidInput> {
        if end < start {
            return Err(InvalidInput::new(
                "period",
                format!("The period ends ({end}) before it starts ({start})."),
            ));
        }
        if (end - start).num_days() > 366 {
            return Err(InvalidInput::new(
                "period",
                "A newsletter covers at most a year.",
            ));
        }
        Ok(Self { start, end })
    }

    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        let day = at.date_naive();
        self.start <= day && day <= self.end
    }

    /// "1 October to 31 December 2026".
    pub fn describe(&self) -> String {
        let end = self.end.format("%-d %B %Y");
        if self.start.year_ce() == self.end.year_ce() {
            format!("{} to {end}", self.start.format("%-d %B"))
        } else {
            format!("{} to {end}", self.start.format("%-d %B %Y"))
        }
    }
}

use chrono::Datelike;

/// One entry of a newsletter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: Option<i64>,
    pub section: Section,
    pub item_id: Option<ItemId>,
    pub heading: String,
    pub body: String,
}

/// What an item looks like to a newsletter: no names, only what the item says (already
/// redacted when it was raised).
#[derive(Debug, Clone)]
pub struct ItemFact {
    pub id: ItemId,
    pub reference: String,
    pub title: String,
    pub provider: Option<String>,
    pub status: Status,
    pub safety_concern: bool,
    pub origin_group: String,
}

/// Something that happened to an item at or from the issuing group in the period.
#[derive(Debug, Clone)]
pub enum Happening {
    /// Taken up to this group from `from`.
    Received { item: ItemFact, from: String },
    /// Taken further by this group, to `to` (or to the commissioners).
    TakenUp { item: ItemFact, to: String },
    Answered {
        item: ItemFact,
        answer: String,
        outcome: Outcome,
    },
    Closed {
        item: ItemFact,
        note: Option<String>,
    },
}

/// A meeting held in the period and what it decided.
#[derive(Debug, Clone)]
pub struct MeetingFact {
    pub title: String,
    pub held_on: NaiveDate,
    pub decisions: Vec<String>,
}

/// A lead item and the reports linked to it.
#[derive(Debug, Clone)]
pub struct PatternFact {
    pub lead: ItemFact,
    pub reports: usize,
    pub groups: Vec<String>,
}

/// Everything about the issuing group's period that a newsletter may report.
#[derive(Debug, Clone, Default)]
pub struct Activity {
    pub safety: Vec<ItemFact>,
    pub happenings: Vec<Happening>,
    pub patterns: Vec<PatternFact>,
    pub meetings: Vec<MeetingFact>,
    pub waiting: Vec<ItemFact>,
}

fn about(item: &ItemFact) -> String {
    match &item.provider {
        Some(provider) => format!("{} ({provider})", item.title),
        None => item.title.clone(),
    }
}

fn outcome_words(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::ChangeMade => "Change made",
        Outcome::ActionPlanned => "Action planned",
        Outcome::NoAction => "No action",
    }
}

/// Builds a draft's entries from the period's activity, most important first: safety,
/// answers (changes made before plans, plans before no action), patterns, then what came in,
/// what went up, what was resolved, meetings, and what is still waiting.
pub fn compose(activity: &Activity) -> Vec<Entry> {
    let mut entries = Vec::new();
    let entry = |section, item: Option<&ItemFact>, heading: String, body: String| Entry {
        id: None,
        section,
        item_id: item.map(|i| i.id),
        heading,
        body,
    };
    for item in &activity.safety {
        let state = if item.status == Status::Referred {
            "Referred to the commissioners' quality team and awaiting their response."
        } else {
            "Referred to the commissioners' quality team, who have responded."
        };
        entries.push(entry(
            Section::Safety,
            Some(item),
            about(item),
            format!(
                "Reported by {}. {state} Reference {}.",
                item.origin_group, item.reference
            ),
        ));
    }
    let mut answers: Vec<(&ItemFact, &String, Outcome)> = activity
        .happenings
        .iter()
        .filter_map(|h| match h {
            Happening::Answered {
                item,
                answer,
                outcome,
            } => Some((item, answer, *outcome)),
            _ => None,
        })
        .collect();
    let rank = |o: Outcome| match o {
        Outcome::ChangeMade => 0,
        Outcome::ActionPlanned => 1,
        Outcome::NoAction => 2,
    };
    answers.sort_by_key(|(item, _, outcome)| (rank(*outcome), item.id));
    for (item, answer, outcome) in answers {
        entries.push(entry(
            Section::Answers,
            Some(item),
            about(item),
            format!(
                "You said: {}. We did: {answer} ({}.) Reference {}.",
                item.title,
                outcome_words(outcome),
                item.reference
            ),
        ));
    }
    for pattern in &activity.patterns {
        entries.push(entry(
            Section::Patterns,
            Some(&pattern.lead),
            about(&pattern.lead),
            format!(
                "{} reports of the same matter, from {}, are being taken forward together. Reference {}.",
                pattern.reports,
                join_names(&pattern.groups),
                pattern.lead.reference
            ),
        ));
    }
    for happening in &activity.happenings {
        match happening {
            Happening::Received { item, from } => entries.push(entry(
                Section::Received,
                Some(item),
                about(item),
                format!("Brought to us by {from}. Reference {}.", item.reference),
            )),
            Happening::TakenUp { item, to } => entries.push(entry(
                Section::TakenUp,
                Some(item),
                about(item),
                format!("We took this to {to}. Reference {}.", item.reference),
            )),
            Happening::Closed { item, note } => entries.push(entry(
                Section::Closed,
                Some(item),
                about(item),
                match note {
                    Some(note) => format!("Resolved: {note} Reference {}.", item.reference),
                    None => format!("Resolved. Reference {}.", item.reference),
                },
            )),
            Happening::Answered { .. } => {}
        }
    }
    for meeting in &activity.meetings {
        let body = if meeting.decisions.is_empty() {
            format!("Held on {}.", meeting.held_on.format("%-d %B %Y"))
        } else {
            format!(
                "Held on {}. We decided: {}",
                meeting.held_on.format("%-d %B %Y"),
                meeting.decisions.join(" ")
            )
        };
        entries.push(entry(Section::Meetings, None, meeting.title.clone(), body));
    }
    for item in &activity.waiting {
        entries.push(entry(
            Section::Waiting,
            Some(item),
            about(item),
            format!(
                "Raised by {}; we will discuss it at our next meeting. Reference {}.",
                item.origin_group, item.reference
            ),
        ));
    }
    // Stable order by section, keeping the order within each section built above.
    entries.sort_by_key(|e| e.section);
    entries
}

fn join_names(names: &[String]) -> String {
    match names {
        [] => "several groups".to_owned(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Parses a free entry's or a rewritten entry's text.
pub fn parse_entry(heading: &str, body: &str) -> Result<(String, String), InvalidInput> {
    let heading = super::parse_text("heading", "The heading", heading, 300)?;
    let body = super::item::parse_body("body", "The entry's text", body, 4_000)?;
    Ok((heading, body))
}

/// A newsletter as the rest of the program sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Newsletter {
    pub id: i64,
    pub group_id: GroupId,
    pub period: Period,
    pub title: String,
    pub introduction: String,
    pub status: NewsletterStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub entries: Vec<Entry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(id: i64, title: &str) -> ItemFact {
        ItemFact {
            id: ItemId(id),
            reference: format!("SI-2026-{id:06}"),
            title: title.to_owned(),
            provider: Some("Out-of-Hours GP Service".to_owned()),
            status: Status::AtDistrict,
            safety_concern: false,
            origin_group: "Riverside PPG".to_owned(),
        }
    }

    #[test]
    fn the_most_important_comes_first() {
        let activity = Activity {
            safety: vec![ItemFact {
                status: Status::Referred,
                safety_concern: true,
                ..fact(1, "Wrong dose")
            }],
            happenings: vec![
                Happening::Received {
                    item: fact(2, "Long waits"),
                    from: "Riverside PPG".into(),
                },
                Happening::Answered {
                    item: fact(3, "Parking"),
                    answer: "No space to expand.".into(),
                    outcome: Outcome::NoAction,
                },
                Happening::Answered {
                    item: fact(4, "Call-backs"),
                    answer: "Two more clinicians.".into(),
                    outcome: Outcome::ChangeMade,
                },
            ],
            patterns: vec![PatternFact {
                lead: fact(5, "No doctor overnight"),
                reports: 3,
                groups: vec!["A PPG".into(), "B PPG".into(), "C PPG".into()],
            }],
            meetings: vec![MeetingFact {
                title: "Autumn meeting".into(),
                held_on: NaiveDate::from_ymd_opt(2026, 11, 3).unwrap(),
                decisions: vec![],
            }],
            waiting: vec![fact(6, "Hand gel")],
        };
        let entries = compose(&activity);
        let sections: Vec<Section> = entries.iter().map(|e| e.section).collect();
        assert_eq!(
            sections,
            vec![
                Section::Safety,
                Section::Answers,
                Section::Answers,
                Section::Patterns,
                Section::Received,
                Section::Meetings,
                Section::Waiting
            ]
        );
        assert_eq!(
            entries[1].item_id,
            Some(ItemId(4)),
            "changes made before no action"
        );
        assert!(entries[3].body.contains("A PPG, B PPG and C PPG"));
        assert!(entries[1].body.contains("We did: Two more clinicians."));
    }

    #[test]
    fn periods_run_forwards_and_describe_themselves() {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert_eq!(
            Period::parse(day(10, 1), day(12, 31)).unwrap().describe(),
            "1 October to 31 December 2026"
        );
        assert_eq!(
            Period::parse(day(12, 31), day(10, 1)).unwrap_err().field,
            "period"
        );
    }
}
