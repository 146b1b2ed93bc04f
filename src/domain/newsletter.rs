//! Newsletters: what a district's or the council's newsletter contains, and in what order.
//! The service gathers the group's activity in the period; `compose` turns it into the draft.

use chrono::{DateTime, NaiveDate, Utc};

use super::change::{self, PlannedChange};
use super::item::{EventKind, ItemEvent, Outcome, Status};
use super::text::{self, InvalidInput, parse_redacted};
use super::{GroupId, ItemId, NewsletterEntryId, NewsletterId, RedactedText};

stored_enum!(
    /// The parts of a newsletter, most important first.
    Section {
        /// Safety concerns referred to the quality team.
        Safety = "SAFETY",
        /// "You said, we did": answers received, changes made first.
        Answers = "ANSWERS",
        /// Several reports of one matter, seen together.
        Patterns = "PATTERNS",
        /// Items taken up to this group from the tier below.
        Received = "RECEIVED",
        /// Items this group took further up.
        TakenUp = "TAKEN_UP",
        Closed = "CLOSED",
        Meetings = "MEETINGS",
        /// Items still waiting at this group.
        Waiting = "WAITING",
        /// A free entry the secretary wrote: an event, a consultation to take part in.
        Notice = "NOTICE",
    }
);

impl Section {
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

stored_enum!(NewsletterStatus {
    Draft = "DRAFT",
    Published = "PUBLISHED",
});

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
    /// `None` until it is stored.
    pub id: Option<NewsletterEntryId>,
    pub section: Section,
    pub item_id: Option<ItemId>,
    pub heading: RedactedText,
    pub body: RedactedText,
    /// Derived from an item's text and still holding words that could be a person's name:
    /// the secretary rewrites it or marks it reviewed before the newsletter can be published.
    pub review: Review,
}

/// Whether an entry needs a person to look at it before publishing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Review {
    /// Nothing in it looks like a name.
    #[default]
    NotNeeded,
    /// These words could be names.
    Needed(Vec<String>),
    /// A secretary looked at it and let it stand.
    Reviewed,
}

/// What an item looks like to a newsletter: no names, only what the item says (already
/// redacted when it was raised).
#[derive(Debug, Clone)]
pub struct ItemFact {
    pub id: ItemId,
    pub reference: String,
    pub title: RedactedText,
    pub provider: Option<String>,
    pub status: Status,
    pub safety_concern: bool,
    pub origin_group: String,
    /// The day it was raised.
    pub raised_on: NaiveDate,
    /// For a referred item: whole hours it waited (or has been waiting) for an answer.
    pub hours_waiting: Option<i64>,
}

/// Something that happened to an item at or from the issuing group in the period, on the
/// day `on`.
#[derive(Debug, Clone)]
pub enum Happening {
    /// Taken up to this group from `from`.
    Received {
        item: ItemFact,
        from: String,
        on: NaiveDate,
    },
    /// Taken further by this group, to `to` (or to the commissioners).
    TakenUp {
        item: ItemFact,
        to: String,
        on: NaiveDate,
    },
    /// Answered by `by` ("the commissioners", a group's name, or `None` for the issuing
    /// group itself).
    Answered {
        item: ItemFact,
        answer: RedactedText,
        outcome: Outcome,
        by: Option<String>,
        on: NaiveDate,
    },
    Closed {
        item: ItemFact,
        note: Option<RedactedText>,
        on: NaiveDate,
    },
    /// A planned change was made, given a new date or abandoned (`step` is the event's kind),
    /// with what was done or why.
    ChangeFollowed {
        item: ItemFact,
        step: EventKind,
        note: Option<RedactedText>,
        on: NaiveDate,
    },
}

/// A meeting held in the period and what it decided.
#[derive(Debug, Clone)]
pub struct MeetingFact {
    pub title: RedactedText,
    pub held_on: NaiveDate,
    pub decisions: Vec<DecisionFact>,
}

/// What a meeting decided about one item: "Long waits (SI-2026-000001) taken further."
#[derive(Debug, Clone)]
pub struct DecisionFact {
    pub title: RedactedText,
    pub reference: String,
    /// `decided(kind)`: "taken further", "answered", "resolved", "discussed".
    pub what: &'static str,
}

/// A lead item and the reports linked to it.
#[derive(Debug, Clone)]
pub struct PatternFact {
    pub lead: ItemFact,
    /// The reports linked to the lead: told with it, never on their own.
    pub followers: Vec<ItemId>,
    pub reports: usize,
    pub groups: Vec<String>,
    /// The days its reports were raised (the lead's and its followers').
    pub raised: Vec<NaiveDate>,
}

/// Everything about the issuing group's period that a newsletter may report.
#[derive(Debug, Clone, Default)]
pub struct Activity {
    pub safety: Vec<ItemFact>,
    pub happenings: Vec<Happening>,
    pub patterns: Vec<PatternFact>,
    pub meetings: Vec<MeetingFact>,
    pub waiting: Vec<ItemFact>,
    /// The planned changes of the items told (as they stand now): who owns each and when it
    /// is due, so that a plan reads as a plan and a new date is told.
    pub changes: Vec<PlannedChange>,
    /// Names that are not people's (the groups and providers the entries mention), so
    /// that the check for names left in item text does not flag them.
    pub known_names: Vec<String>,
}

fn about(item: &ItemFact) -> String {
    match &item.provider {
        Some(provider) => format!("{} ({provider})", item.title),
        None => item.title.to_string(),
    }
}

/// "5 hours", "3 days".
fn duration_words(hours: i64) -> String {
    match hours {
        1 => "1 hour".to_owned(),
        0..24 => format!("{hours} hours"),
        24..48 => "1 day".to_owned(),
        _ => format!("{} days", hours / 24),
    }
}

/// Whether the item texts an entry was made from (titles, answers, notes) still hold words
/// that could be a person's name. Pyramid's own words around them are not checked.
pub fn review_of(from_items: &[&RedactedText], known: &[String]) -> Review {
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    let mut words: Vec<String> = Vec::new();
    for text in from_items {
        for word in super::redaction::person_like_words(text.as_str(), &known) {
            if !words.contains(&word) {
                words.push(word);
            }
        }
    }
    if words.is_empty() {
        Review::NotNeeded
    } else {
        Review::Needed(words)
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
    // `from_items`: the item texts the entry quotes, which are checked for names left in.
    let entry = |section,
                 item: Option<&ItemFact>,
                 from_items: &[&RedactedText],
                 heading: String,
                 body: String| Entry {
        id: None,
        section,
        item_id: item.map(|i| i.id),
        review: review_of(from_items, &activity.known_names),
        heading: RedactedText::scrub(&heading),
        body: RedactedText::scrub(&body),
    };
    // Safety concerns by reference, status and time waiting only: the quality team has the
    // details, and a safety report is the most likely to describe a patient.
    for item in &activity.safety {
        let waited = item.hours_waiting.map(duration_words);
        let state = match (item.status, waited) {
            (Status::Referred, Some(waited)) => format!(
                "Referred to the commissioners' quality team at once; waiting for their answer for {waited}."
            ),
            (Status::Referred, None) => {
                "Referred to the commissioners' quality team at once; waiting for their answer."
                    .to_owned()
            }
            (_, Some(waited)) => format!(
                "Referred to the commissioners' quality team at once; they answered after {waited}."
            ),
            (_, None) => {
                "Referred to the commissioners' quality team, who have answered.".to_owned()
            }
        };
        let heading = match &item.provider {
            Some(provider) => format!("Safety concern {} ({provider})", item.reference),
            None => format!("Safety concern {}", item.reference),
        };
        entries.push(entry(
            Section::Safety,
            Some(item),
            &[],
            heading,
            format!("Reported by {}. {state}", item.origin_group),
        ));
    }
    // One entry per matter (an item and the reports linked to it), in the section of its most
    // important state in the period, telling what happened across the period.
    let stories = stories(activity);
    let told: Vec<&str> = activity
        .safety
        .iter()
        .chain(stories.iter().map(|s| s.item))
        .map(|i| i.reference.as_str())
        .collect();
    for story in &stories {
        let item = story.item;
        let mut quoted: Vec<&RedactedText> = vec![&item.title];
        quoted.extend(story.answer.map(|answer| answer.text));
        quoted.extend(story.closed.and_then(|(note, _)| note));
        quoted.extend(story.followed.and_then(|(_, note, _)| note));
        quoted.extend(story.plan.map(|plan| &plan.owner));
        entries.push(entry(
            story.section(),
            Some(item),
            &quoted,
            about(item),
            story.body(),
        ));
    }

    for meeting in &activity.meetings {
        let decisions: Vec<String> = meeting
            .decisions
            .iter()
            .map(|d| {
                // A safety concern is never described, here as in its own section; a matter
                // with an entry of its own is named by its title, so no reference appears twice.
                if activity.safety.iter().any(|i| i.reference == d.reference) {
                    format!("A safety concern (above): {}.", d.what)
                } else if told.contains(&d.reference.as_str()) {
                    format!("{}: {}.", d.title, d.what)
                } else {
                    format!("{} ({}) {}.", d.title, d.reference, d.what)
                }
            })
            .collect();
        let body = if decisions.is_empty() {
            format!("Held on {}.", meeting.held_on.format("%-d %B %Y"))
        } else {
            format!(
                "Held on {}. We decided: {}",
                meeting.held_on.format("%-d %B %Y"),
                decisions.join(" ")
            )
        };
        let titles: Vec<&RedactedText> = meeting
            .decisions
            .iter()
            .filter(|d| !activity.safety.iter().any(|i| i.reference == d.reference))
            .map(|d| &d.title)
            .collect();
        entries.push(entry(
            Section::Meetings,
            None,
            &titles,
            meeting.title.to_string(),
            body,
        ));
    }
    // Stable order by section, keeping the order within each section built above.
    entries.sort_by_key(|e| e.section);
    entries
}

/// What happened to one matter in the period, gathered from every fact about it, each step
/// with its day.
struct Story<'a> {
    item: &'a ItemFact,
    received_from: Vec<(&'a str, NaiveDate)>,
    taken_to: Option<(&'a str, NaiveDate)>,
    answer: Option<Answer<'a>>,
    closed: Option<(Option<&'a RedactedText>, NaiveDate)>,
    linked: Option<&'a PatternFact>,
    waiting: bool,
    /// The latest step of its planned change in the period (made, new date, abandoned).
    followed: Option<(EventKind, Option<&'a RedactedText>, NaiveDate)>,
    /// Its planned change, if its answer planned one.
    plan: Option<&'a PlannedChange>,
}

#[derive(Clone, Copy)]
struct Answer<'a> {
    text: &'a RedactedText,
    outcome: Outcome,
    by: Option<&'a str>,
    on: NaiveDate,
}

/// Says the month of each step of a story only when it is not the month last said ("Raised by
/// three PPGs in October. We took it to the council. The commissioners answered in
/// November: ..."), with the year when it is not the year the story ends in.
struct Months {
    last: Option<(i32, u32)>,
    year: i32,
}

impl Months {
    fn new(days: impl Iterator<Item = NaiveDate>) -> Self {
        Months {
            last: None,
            year: days.map(|d| d.year()).max().unwrap_or_default(),
        }
    }

    fn name(&self, day: NaiveDate) -> String {
        if day.year() == self.year {
            day.format("%B").to_string()
        } else {
            day.format("%B %Y").to_string()
        }
    }

    /// " in October", or nothing when October was the month last said.
    fn said(&mut self, day: NaiveDate) -> String {
        let month = (day.year(), day.month());
        if self.last == Some(month) {
            return String::new();
        }
        self.last = Some(month);
        format!(" in {}", self.name(day))
    }

    /// " in September and October": every month of `days`, oldest first.
    fn all(&mut self, days: &[NaiveDate]) -> String {
        let mut months: Vec<(i32, u32)> = days.iter().map(|d| (d.year(), d.month())).collect();
        months.sort_unstable();
        months.dedup();
        let Some(&last) = months.last() else {
            return String::new();
        };
        if months.len() == 1 {
            return self.said(days[0]);
        }
        self.last = Some(last);
        let names: Vec<String> = months
            .iter()
            .filter_map(|&(y, m)| NaiveDate::from_ymd_opt(y, m, 1))
            .map(|d| self.name(d))
            .collect();
        format!(" in {}", join_names(&names))
    }
}

impl Story<'_> {
    /// The section of its most important state: an answer, then its resolution, then the
    /// reports seen together, what went up, what came in, and what is waiting.
    fn section(&self) -> Section {
        if self.answer.is_some() || self.followed.is_some() {
            Section::Answers
        } else if self.closed.is_some() {
            Section::Closed
        } else if self.linked.is_some() {
            Section::Patterns
        } else if self.taken_to.is_some() {
            Section::TakenUp
        } else if !self.received_from.is_empty() {
            Section::Received
        } else {
            Section::Waiting
        }
    }

    /// Every day the story tells.
    fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        let raised: &[NaiveDate] = self.linked.map_or(&[], |l| l.raised.as_slice());
        std::iter::once(self.item.raised_on)
            .chain(raised.iter().copied())
            .chain(self.received_from.iter().map(|(_, on)| *on))
            .chain(self.taken_to.map(|(_, on)| on))
            .chain(self.answer.map(|a| a.on))
            .chain(self.closed.map(|(_, on)| on))
            .chain(self.followed.map(|(_, _, on)| on))
    }

    /// The period in plain words: where it came from and when, where it went, how it ended.
    fn body(&self) -> String {
        let item = self.item;
        let mut months = Months::new(self.days());
        let settled = self.answer.is_some() || self.closed.is_some() || self.followed.is_some();
        let mut origin = match (self.linked, self.received_from.as_slice()) {
            (Some(linked), _) if settled => format!(
                "Raised in {} reports{}, from {}",
                linked.reports,
                months.all(&linked.raised),
                join_names(&linked.groups)
            ),
            (Some(linked), _) => format!(
                "{} reports of the same matter{}, from {}, are being taken forward together",
                linked.reports,
                months.all(&linked.raised),
                join_names(&linked.groups)
            ),
            (None, []) => format!(
                "Raised by {}{}",
                item.origin_group,
                months.said(item.raised_on)
            ),
            (None, from) => {
                let names: Vec<String> = from.iter().map(|(f, _)| (*f).to_owned()).collect();
                let days: Vec<NaiveDate> = from.iter().map(|(_, on)| *on).collect();
                format!(
                    "Brought to us by {}{}",
                    join_names(&names),
                    months.all(&days)
                )
            }
        };
        if self.waiting && !settled && self.taken_to.is_none() {
            origin.push_str("; we will discuss it at our next meeting");
        }
        let mut sentences = vec![format!("{origin}.")];
        if let Some((to, on)) = self.taken_to {
            sentences.push(format!("We took it to {to}{}.", months.said(on)));
        }
        if let Some(answer) = self.answer {
            let by = match answer.by {
                Some(by) => capitalised(by),
                None => "We".to_owned(),
            };
            sentences.push(format!(
                "{by} answered{}: {} ({}.)",
                months.said(answer.on),
                answer.text,
                outcome_words(answer.outcome)
            ));
        }
        // A change is told as done only when it was recorded made; a plan reads as a plan.
        let planned = matches!(
            self.answer,
            Some(Answer {
                outcome: Outcome::ActionPlanned,
                ..
            })
        );
        match (self.followed, self.plan) {
            (Some((EventKind::ChangeMade, note, _)), plan) => {
                let on = plan
                    .and_then(|p| p.made_on)
                    .map(|day| format!(" on {}", change::day(day)))
                    .unwrap_or_default();
                sentences.push(match note {
                    Some(note) => format!("Done: the change was made{on}. {note}"),
                    None => format!("Done: the change was made{on}."),
                });
            }
            (Some((EventKind::ChangeAbandoned, reason, on)), _) => sentences.push(format!(
                "We heard{} that the planned change will not be made: {}",
                months.said(on),
                reason.map_or("no reason was given.", RedactedText::as_str)
            )),
            (Some((EventKind::ChangeRescheduled, reason, _)), Some(plan)) => {
                sentences.push(format!(
                    "The change has a new date: {} is now to make it by {}.",
                    plan.owner,
                    change::day(plan.due_on)
                ));
                if let Some(reason) = reason {
                    sentences.push(format!("Why: {reason}"));
                }
            }
            // Its day came and nobody has said yet whether it was done.
            (None, Some(plan))
                if (planned || self.waiting)
                    && plan.state == change::ChangeState::Planned
                    && plan.returned_at.is_some() =>
            {
                sentences.push(format!(
                    "Planned: {} was to make the change by {}; it is not yet recorded as made.",
                    plan.owner,
                    change::day(plan.due_on)
                ));
                if self.waiting {
                    sentences.push("We are asking whether it was done.".to_owned());
                }
            }
            (_, Some(plan)) if planned => {
                sentences.push(change::planned_sentence(plan.owner.as_str(), plan.due_on));
            }
            _ => {}
        }
        match self.closed {
            Some((Some(note), on)) => {
                sentences.push(format!("Resolved{}: {note}", months.said(on)));
            }
            Some((None, on)) => sentences.push(format!("Resolved{}.", months.said(on))),
            None => {}
        }
        sentences.push(format!("Reference {}.", item.reference));
        sentences.join(" ")
    }
}

/// "the commissioners" -> "The commissioners" at the start of a sentence.
fn capitalised(words: &str) -> String {
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The period's matters, each once: a report linked to a lead is told with its lead, and a
/// safety concern only in its own section (reference, status and time waiting).
fn stories<'a>(activity: &'a Activity) -> Vec<Story<'a>> {
    let safety: Vec<ItemId> = activity.safety.iter().map(|i| i.id).collect();
    let lead_of = |id: ItemId| {
        activity
            .patterns
            .iter()
            .find(|p| p.followers.contains(&id))
            .map_or(id, |p| p.lead.id)
    };
    let mut stories: Vec<Story<'a>> = Vec::new();
    let mut story_of = |item: &'a ItemFact| -> Option<usize> {
        let id = lead_of(item.id);
        if safety.contains(&id) {
            return None;
        }
        if let Some(n) = stories.iter().position(|s| s.item.id == id) {
            return Some(n);
        }
        // A follower's fact stands for its lead only until the lead's own fact is seen.
        let item = activity
            .patterns
            .iter()
            .find(|p| p.lead.id == id)
            .map_or(item, |p| &p.lead);
        stories.push(Story {
            item,
            received_from: Vec::new(),
            taken_to: None,
            answer: None,
            closed: None,
            linked: None,
            waiting: false,
            followed: None,
            plan: activity.changes.iter().find(|c| c.item_id == id),
        });
        Some(stories.len() - 1)
    };
    let mut found: Vec<(usize, &Happening)> = Vec::new();
    let mut linked: Vec<(usize, &PatternFact)> = Vec::new();
    let mut waiting: Vec<usize> = Vec::new();
    for happening in &activity.happenings {
        let item = match happening {
            Happening::Received { item, .. }
            | Happening::TakenUp { item, .. }
            | Happening::Answered { item, .. }
            | Happening::Closed { item, .. }
            | Happening::ChangeFollowed { item, .. } => item,
        };
        if let Some(n) = story_of(item) {
            found.push((n, happening));
        }
    }
    for pattern in &activity.patterns {
        if let Some(n) = story_of(&pattern.lead) {
            linked.push((n, pattern));
        }
    }
    for item in &activity.waiting {
        if let Some(n) = story_of(item) {
            waiting.push(n);
        }
    }
    for (n, happening) in found {
        let story = &mut stories[n];
        match happening {
            Happening::Received { from, on, .. } => {
                if !story.received_from.iter().any(|(f, _)| f == from) {
                    story.received_from.push((from, *on));
                }
            }
            Happening::TakenUp { to, on, .. } => story.taken_to = Some((to, *on)),
            Happening::Answered {
                answer,
                outcome,
                by,
                on,
                ..
            } => {
                story.answer = Some(Answer {
                    text: answer,
                    outcome: *outcome,
                    by: by.as_deref(),
                    on: *on,
                });
            }
            Happening::Closed { note, on, .. } => story.closed = Some((note.as_ref(), *on)),
            Happening::ChangeFollowed { step, note, on, .. } => {
                story.followed = Some((*step, note.as_ref(), *on));
            }
        }
    }
    for (n, pattern) in linked {
        stories[n].linked = Some(pattern);
    }
    for n in waiting {
        stories[n].waiting = true;
    }
    // Changes made before plans, plans before no action, within the answers.
    let rank = |s: &Story| match s.answer.map(|a| a.outcome) {
        _ if matches!(s.followed, Some((EventKind::ChangeMade, _, _))) => 0,
        Some(Outcome::ChangeMade) => 0,
        Some(Outcome::ActionPlanned) => 1,
        Some(Outcome::NoAction) => 2,
        None => 3,
    };
    stories.sort_by_key(|s| (s.section(), rank(s), s.item.id));
    stories
}

fn join_names(names: &[String]) -> String {
    match names {
        [] => "several groups".to_owned(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Parses and redacts a free entry's or a rewritten entry's text.
pub fn parse_entry(
    heading: &str,
    body: &str,
) -> Result<(RedactedText, RedactedText), InvalidInput> {
    let mut removed = Vec::new();
    let heading = parse_redacted(
        "heading",
        "The heading",
        heading,
        text::HEADING,
        &mut removed,
    )?;
    let body = parse_redacted("body", "The entry's text", body, text::NOTE, &mut removed)?;
    Ok((heading, body))
}

/// Why a draft cannot be published yet: the entries (by position) that still hold words that
/// could be a person's name, with those words. `None` when every entry is clear.
pub fn unreviewed(newsletter: &Newsletter) -> Option<String> {
    let flagged: Vec<String> = newsletter
        .entries
        .iter()
        .enumerate()
        .filter_map(|(index, entry)| match &entry.review {
            Review::Needed(words) => Some(format!(
                "entry {} (\"{}\": {})",
                index + 1,
                entry.heading,
                words.join(", ")
            )),
            _ => None,
        })
        .collect();
    (!flagged.is_empty()).then(|| {
        format!(
            "Some entries may still name a person, so the newsletter was not published: {}. Rewrite each of them, or mark it reviewed if nobody is named, then publish again.",
            flagged.join("; ")
        )
    })
}

/// Where an item goes when the issuing group takes it further.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Onward {
    Group(GroupId),
    Commissioners,
}

/// What one event on an item means for the newsletter of the group `issuer`, which the item
/// reached: brought to it, taken further by it, answered (wherever the answer came from), or
/// resolved by it. Reports that travel with a lead item are told through their lead (under
/// "Patterns of concern"), so their own events mean nothing here.
pub fn meaning(issuer: GroupId, event: &ItemEvent, follower: bool) -> Option<Meaning> {
    if follower {
        return None;
    }
    match event.kind {
        EventKind::Escalated if event.group_id == issuer => {
            event.from_group_id.map(|from| Meaning::Received { from })
        }
        EventKind::Escalated if event.from_group_id == Some(issuer) => Some(Meaning::TakenUp {
            to: Onward::Group(event.group_id),
        }),
        EventKind::Referred if event.group_id == issuer => Some(Meaning::TakenUp {
            to: Onward::Commissioners,
        }),
        EventKind::Responded => Some(Meaning::Answered),
        EventKind::ChangeMade | EventKind::ChangeRescheduled | EventKind::ChangeAbandoned => {
            Some(Meaning::ChangeFollowed(event.kind))
        }
        EventKind::Closed if event.group_id == issuer => Some(Meaning::Closed),
        _ => None,
    }
}

/// See [`meaning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    Received {
        from: GroupId,
    },
    TakenUp {
        to: Onward,
    },
    Answered,
    Closed,
    /// A step of a planned change: made, given a new date, or abandoned.
    ChangeFollowed(EventKind),
}

/// How a meeting's decision on an item reads in the newsletter ("taken further").
pub fn decided(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Escalated | EventKind::Referred => "taken further",
        EventKind::Responded => "answered",
        EventKind::Closed => "resolved",
        _ => "discussed",
    }
}

/// The forms a newsletter is published in, each at a stable address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageFormat {
    /// `/newsletters/7`
    Html,
    /// `/newsletters/7?format=large-print`
    LargePrint,
    /// `/newsletters/7.txt`
    Text,
    /// `/newsletters/7.md`
    Markdown,
    /// `/newsletters/7.ogg`: the audio version (Ogg/Opus), once it is made.
    Audio,
    /// `/newsletters/7.easy.txt`: easy read, one short sentence a line.
    EasyRead,
}

impl PageFormat {
    pub const ALL: [PageFormat; 6] = [
        PageFormat::Html,
        PageFormat::LargePrint,
        PageFormat::Text,
        PageFormat::Markdown,
        PageFormat::Audio,
        PageFormat::EasyRead,
    ];

    /// Where a newsletter can be read in this form, relative to Pyramid's public address.
    pub fn path(self, id: NewsletterId) -> String {
        match self {
            PageFormat::Html => format!("/newsletters/{id}"),
            PageFormat::LargePrint => format!("/newsletters/{id}?format=large-print"),
            PageFormat::Text => format!("/newsletters/{id}.txt"),
            PageFormat::Markdown => format!("/newsletters/{id}.md"),
            PageFormat::Audio => format!("/newsletters/{id}.ogg"),
            PageFormat::EasyRead => format!("/newsletters/{id}.easy.txt"),
        }
    }

    /// Reads an address back: the last path segment (`7`, `7.txt`) and the `format` query
    /// parameter. `None` for anything that is not one of the forms above.
    pub fn parse(segment: &str, format: Option<&str>) -> Option<(NewsletterId, PageFormat)> {
        let (number, extension) = match segment.split_once('.') {
            Some((number, extension)) => (number, Some(extension)),
            None => (segment, None),
        };
        let id = NewsletterId(number.parse().ok().filter(|n: &i64| *n > 0)?);
        let page = match (extension, format) {
            (None, None) => PageFormat::Html,
            (None, Some("large-print")) => PageFormat::LargePrint,
            (Some("txt"), None) => PageFormat::Text,
            (Some("md"), None) => PageFormat::Markdown,
            (Some("ogg"), None) => PageFormat::Audio,
            (Some("easy.txt"), None) => PageFormat::EasyRead,
            _ => return None,
        };
        Some((id, page))
    }
}

/// Where a newsletter's translation is read: `/newsletters/7/cy`, and in large print
/// `/newsletters/7/cy?format=large-print` (the page handler reads the language back with
/// `Language::parse`).
pub fn translated_path(
    id: NewsletterId,
    language: super::language::Language,
    large_print: bool,
) -> String {
    let suffix = if large_print {
        "?format=large-print"
    } else {
        ""
    };
    format!("/newsletters/{id}/{}{suffix}", language.as_str())
}

/// A newsletter as the rest of the program sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Newsletter {
    pub id: NewsletterId,
    pub group_id: GroupId,
    pub period: Period,
    pub title: RedactedText,
    pub introduction: RedactedText,
    pub status: NewsletterStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub entries: Vec<Entry>,
}

/// A newsletter's human translation into one language: its title and introduction, and the
/// entries someone translated (by entry id; the others stay in English).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    pub language: super::language::Language,
    pub title: RedactedText,
    pub introduction: RedactedText,
    pub entries: Vec<EntryTranslation>,
}

/// One entry's heading and body in a translation's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryTranslation {
    pub entry_id: NewsletterEntryId,
    pub heading: RedactedText,
    pub body: RedactedText,
}

/// The newsletter as read in a translation: its title, introduction and translated entries
/// replaced, in the same order and sections; and the entries still in English (which a page
/// marks as English, so a screen reader reads them in an English voice). An empty translated
/// introduction leaves none, rather than showing the English one in a translated page.
pub fn translate(
    newsletter: &Newsletter,
    translation: &Translation,
) -> (Newsletter, Vec<NewsletterEntryId>) {
    let mut translated = newsletter.clone();
    translated.title = translation.title.clone();
    translated.introduction = translation.introduction.clone();
    let mut english = Vec::new();
    for entry in &mut translated.entries {
        let found = entry
            .id
            .and_then(|id| translation.entries.iter().find(|t| t.entry_id == id));
        match found {
            Some(t) => {
                entry.heading = t.heading.clone();
                entry.body = t.body.clone();
            }
            None => english.extend(entry.id),
        }
    }
    (translated, english)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_translation_replaces_what_it_translates_and_leaves_the_rest_in_english() {
        let entry = |id: i64, heading: &str| Entry {
            id: Some(NewsletterEntryId(id)),
            section: Section::Notice,
            item_id: None,
            heading: RedactedText::scrub(heading),
            body: RedactedText::scrub("Body"),
            review: Review::NotNeeded,
        };
        let newsletter = Newsletter {
            id: NewsletterId(1),
            group_id: GroupId(2),
            period: Period {
                start: chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
                end: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            },
            title: RedactedText::scrub("News"),
            introduction: RedactedText::scrub("Thank you."),
            status: NewsletterStatus::Published,
            published_at: None,
            entries: vec![entry(5, "Have your say"), entry(6, "Opening hours")],
        };
        let welsh = Translation {
            language: super::super::language::Language::Welsh,
            title: RedactedText::scrub("Newyddion"),
            introduction: RedactedText::scrub("Diolch."),
            entries: vec![EntryTranslation {
                entry_id: NewsletterEntryId(6),
                heading: RedactedText::scrub("Oriau agor"),
                body: RedactedText::scrub("Corff"),
            }],
        };
        let (read, english) = translate(&newsletter, &welsh);
        assert_eq!(read.title.as_str(), "Newyddion");
        assert_eq!(read.introduction.as_str(), "Diolch.");
        assert_eq!(read.entries[0].heading.as_str(), "Have your say");
        assert_eq!(read.entries[1].heading.as_str(), "Oriau agor");
        assert_eq!(read.entries[1].body.as_str(), "Corff");
        assert_eq!(english, [NewsletterEntryId(5)]);
    }

    fn day(month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, month, day).unwrap()
    }

    fn fact(id: i64, title: &str) -> ItemFact {
        ItemFact {
            id: ItemId(id),
            reference: format!("SI-2026-{id:06}"),
            title: title.into(),
            provider: Some("Out-of-Hours GP Service".to_owned()),
            status: Status::AtDistrict,
            safety_concern: false,
            origin_group: "Riverside PPG".to_owned(),
            raised_on: day(10, 20),
            hours_waiting: None,
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
                    on: day(11, 2),
                },
                Happening::Answered {
                    item: fact(3, "Parking"),
                    answer: "No space to expand.".into(),
                    outcome: Outcome::NoAction,
                    by: None,
                    on: day(11, 4),
                },
                Happening::Answered {
                    item: fact(4, "Call-backs"),
                    answer: "Two more clinicians.".into(),
                    outcome: Outcome::ChangeMade,
                    by: Some("the commissioners".into()),
                    on: day(11, 5),
                },
            ],
            patterns: vec![PatternFact {
                lead: fact(5, "No doctor overnight"),
                followers: vec![ItemId(51), ItemId(52)],
                reports: 3,
                groups: vec!["A PPG".into(), "B PPG".into(), "C PPG".into()],
                raised: vec![day(9, 28), day(10, 3), day(10, 20)],
            }],
            meetings: vec![MeetingFact {
                title: "Autumn meeting".into(),
                held_on: NaiveDate::from_ymd_opt(2026, 11, 3).unwrap(),
                decisions: vec![],
            }],
            waiting: vec![fact(6, "Hand gel")],
            changes: vec![],
            known_names: vec!["Riverside PPG".into(), "Out-of-Hours GP Service".into()],
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
        assert_eq!(
            entries[3].body.as_str(),
            "3 reports of the same matter in September and October, from A PPG, B PPG and C PPG, are being taken forward together. Reference SI-2026-000005."
        );
        assert_eq!(
            entries[1].body.as_str(),
            "Raised by Riverside PPG in October. The commissioners answered in November: Two more clinicians. (Change made.) Reference SI-2026-000004."
        );
        assert!(
            entries[2]
                .body
                .contains("We answered in November: No space to expand.")
        );
    }

    fn planned(id: i64, state: change::ChangeState) -> PlannedChange {
        let at = NaiveDate::from_ymd_opt(2026, 11, 3)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
            .and_utc();
        PlannedChange {
            item_id: ItemId(id),
            area_id: GroupId(1),
            referring_group_id: GroupId(1),
            owner: "the practice manager".into(),
            owner_member_id: None,
            due_on: NaiveDate::from_ymd_opt(2027, 1, 31).unwrap(),
            state,
            returned_at: None,
            made_on: (state == change::ChangeState::Made)
                .then(|| NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()),
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn a_plan_reads_as_a_plan_and_only_a_made_change_as_done() {
        let activity = Activity {
            happenings: vec![
                Happening::Answered {
                    item: fact(3, "Parking"),
                    answer: "More spaces will be marked out.".into(),
                    outcome: Outcome::ActionPlanned,
                    by: None,
                    on: day(11, 3),
                },
                Happening::Answered {
                    item: fact(4, "Call-backs"),
                    answer: "Evening clinicians will be added.".into(),
                    outcome: Outcome::ActionPlanned,
                    by: None,
                    on: day(11, 3),
                },
                Happening::ChangeFollowed {
                    item: fact(4, "Call-backs"),
                    step: EventKind::ChangeMade,
                    note: Some("Two evening clinicians since Monday.".into()),
                    on: day(11, 20),
                },
                Happening::ChangeFollowed {
                    item: fact(7, "Hand gel"),
                    step: EventKind::ChangeAbandoned,
                    note: Some("The dispensers were withdrawn nationally.".into()),
                    on: day(11, 24),
                },
            ],
            changes: vec![
                planned(3, change::ChangeState::Planned),
                planned(4, change::ChangeState::Made),
                planned(7, change::ChangeState::Abandoned),
            ],
            ..Default::default()
        };
        let entries = compose(&activity);
        let told: Vec<(Option<ItemId>, Section)> =
            entries.iter().map(|e| (e.item_id, e.section)).collect();
        assert_eq!(
            told,
            vec![
                (Some(ItemId(4)), Section::Answers),
                (Some(ItemId(3)), Section::Answers),
                (Some(ItemId(7)), Section::Answers),
            ],
            "a change made comes first, each matter once"
        );
        assert!(entries[0].body.contains(
            "Done: the change was made on 20 November 2026. Two evening clinicians since Monday."
        ));
        assert!(
            entries[1].body.contains(
                "Planned: the practice manager is to make the change by 31 January 2027."
            )
        );
        assert!(!entries[1].body.contains("Done"));
        assert!(entries[2].body.contains(
            "Raised by Riverside PPG in October. We heard in November that the planned change will not be made: The dispensers were withdrawn nationally."
        ));

        // Come back at its due date and not yet recorded: still not done, and said so.
        let mut back = activity.clone();
        back.changes[0].returned_at = Some(back.changes[0].created_at);
        back.waiting = vec![fact(3, "Parking")];
        let entries = compose(&back);
        let parking = entries
            .iter()
            .find(|e| e.item_id == Some(ItemId(3)))
            .unwrap();
        assert!(
            parking.body.contains(
                "Planned: the practice manager was to make the change by 31 January 2027; it is not yet recorded as made. We are asking whether it was done."
            ),
            "{}",
            parking.body
        );
    }

    #[test]
    fn each_matter_is_one_story_told_where_it_ended_up() {
        let lead = fact(5, "No doctor overnight");
        let activity = Activity {
            happenings: vec![
                Happening::Received {
                    item: lead.clone(),
                    from: "A PPG".into(),
                    on: day(10, 22),
                },
                // A linked report's own move is part of its lead's story.
                Happening::Received {
                    item: fact(51, "No doctor at the weekend"),
                    from: "B PPG".into(),
                    on: day(10, 26),
                },
                Happening::TakenUp {
                    item: lead.clone(),
                    to: "the Patients' Council".into(),
                    on: day(10, 30),
                },
                Happening::Answered {
                    item: lead.clone(),
                    answer: "Two evening call-back clinicians added.".into(),
                    outcome: Outcome::ChangeMade,
                    by: Some("the commissioners".into()),
                    on: day(11, 12),
                },
                Happening::Received {
                    item: ItemFact {
                        raised_on: day(11, 1),
                        ..fact(7, "Hand gel")
                    },
                    from: "C PPG".into(),
                    on: day(11, 2),
                },
            ],
            patterns: vec![PatternFact {
                lead: lead.clone(),
                followers: vec![ItemId(51)],
                reports: 2,
                groups: vec!["A PPG".into(), "B PPG".into()],
                raised: vec![day(10, 20), day(10, 24)],
            }],
            meetings: vec![MeetingFact {
                title: "Autumn meeting".into(),
                held_on: NaiveDate::from_ymd_opt(2026, 11, 3).unwrap(),
                decisions: vec![DecisionFact {
                    title: lead.title.clone(),
                    reference: lead.reference.clone(),
                    what: "taken further",
                }],
            }],
            waiting: vec![fact(7, "Hand gel")],
            known_names: vec!["Out-of-Hours GP Service".into()],
            ..Default::default()
        };
        let entries = compose(&activity);
        let summary: Vec<(Section, Option<ItemId>)> =
            entries.iter().map(|e| (e.section, e.item_id)).collect();
        assert_eq!(
            summary,
            [
                (Section::Answers, Some(ItemId(5))),
                (Section::Received, Some(ItemId(7))),
                (Section::Meetings, None),
            ]
        );
        assert_eq!(
            entries[0].body.as_str(),
            "Raised in 2 reports in October, from A PPG and B PPG. We took it to the Patients' Council. The commissioners answered in November: Two evening call-back clinicians added. (Change made.) Reference SI-2026-000005."
        );
        assert_eq!(
            entries[1].body.as_str(),
            "Brought to us by C PPG in November; we will discuss it at our next meeting. Reference SI-2026-000007."
        );
        let text: String = entries
            .iter()
            .map(|e| format!("{} {}", e.heading, e.body))
            .collect();
        for reference in ["SI-2026-000005", "SI-2026-000007"] {
            assert_eq!(text.matches(reference).count(), 1, "{reference}: {text}");
        }
        assert!(!text.contains("SI-2026-000051"), "told with its lead");
        assert!(
            entries[2]
                .body
                .contains("No doctor overnight: taken further.")
        );

        // A safety concern minuted at a meeting is not described there either.
        let wrong_dose = ItemFact {
            safety_concern: true,
            ..fact(9, "Wrong dose given")
        };
        let minuted = Activity {
            safety: vec![wrong_dose.clone()],
            meetings: vec![MeetingFact {
                title: "Autumn meeting".into(),
                held_on: NaiveDate::from_ymd_opt(2026, 11, 3).unwrap(),
                decisions: vec![DecisionFact {
                    title: wrong_dose.title.clone(),
                    reference: wrong_dose.reference.clone(),
                    what: "taken further",
                }],
            }],
            ..Default::default()
        };
        let text: String = compose(&minuted)
            .iter()
            .map(|e| format!("{} {}", e.heading, e.body))
            .collect();
        assert!(!text.contains("Wrong dose"), "{text}");
        assert_eq!(text.matches("SI-2026-000009").count(), 1, "{text}");
    }

    #[test]
    fn a_story_says_each_month_once_and_the_year_when_it_changes() {
        let december = NaiveDate::from_ymd_opt(2025, 12, 15).unwrap();
        let item = ItemFact {
            raised_on: NaiveDate::from_ymd_opt(2025, 12, 10).unwrap(),
            ..fact(8, "Repeat prescriptions late")
        };
        let activity = Activity {
            happenings: vec![
                Happening::Received {
                    item: item.clone(),
                    from: "Riverside PPG".into(),
                    on: december,
                },
                Happening::TakenUp {
                    item: item.clone(),
                    to: "the Patients' Council".into(),
                    on: december,
                },
                Happening::Answered {
                    item: item.clone(),
                    answer: "The pharmacy now has a second dispenser.".into(),
                    outcome: Outcome::ChangeMade,
                    by: Some("the commissioners".into()),
                    on: NaiveDate::from_ymd_opt(2026, 1, 8).unwrap(),
                },
                Happening::Closed {
                    item,
                    note: None,
                    on: NaiveDate::from_ymd_opt(2026, 1, 20).unwrap(),
                },
            ],
            ..Default::default()
        };
        let entries = compose(&activity);
        assert_eq!(
            entries[0].body.as_str(),
            "Brought to us by Riverside PPG in December 2025. We took it to the Patients' Council. The commissioners answered in January: The pharmacy now has a second dispenser. (Change made.) Resolved. Reference SI-2026-000008."
        );
    }

    #[test]
    fn every_page_format_reads_back_from_its_own_address() {
        for format in PageFormat::ALL {
            let path = format.path(NewsletterId(7));
            let rest = path.strip_prefix("/newsletters/").unwrap();
            let (segment, query) = match rest.split_once("?format=") {
                Some((segment, query)) => (segment, Some(query)),
                None => (rest, None),
            };
            assert_eq!(
                PageFormat::parse(segment, query),
                Some((NewsletterId(7), format)),
                "{path}"
            );
        }
        assert_eq!(PageFormat::parse("7.pdf", None), None);
        assert_eq!(PageFormat::parse("seven", None), None);
        assert_eq!(PageFormat::parse("7", Some("huge")), None);
        assert_eq!(PageFormat::parse("7.txt", Some("large-print")), None);
    }

    fn event(kind: EventKind, from: Option<i64>, to: i64) -> ItemEvent {
        ItemEvent {
            id: crate::domain::ItemEventId(1),
            item_id: ItemId(1),
            at: DateTime::<Utc>::MIN_UTC,
            actor_id: None,
            kind,
            from_status: None,
            to_status: Status::AtDistrict,
            from_group_id: from.map(GroupId),
            group_id: GroupId(to),
            note: None,
            outcome: None,
            meeting_id: None,
        }
    }

    #[test]
    fn an_event_means_what_it_did_at_the_issuing_group() {
        let district = GroupId(2);
        let meaning = |e: &ItemEvent, follower| super::meaning(district, e, follower);
        // From a PPG up to the district: received.
        assert_eq!(
            meaning(&event(EventKind::Escalated, Some(5), 2), false),
            Some(Meaning::Received { from: GroupId(5) })
        );
        // From the district up to the council: taken further.
        assert_eq!(
            meaning(&event(EventKind::Escalated, Some(2), 1), false),
            Some(Meaning::TakenUp {
                to: Onward::Group(GroupId(1))
            })
        );
        assert_eq!(
            meaning(&event(EventKind::Referred, None, 2), false),
            Some(Meaning::TakenUp {
                to: Onward::Commissioners
            })
        );
        // Referred by the council is not the district's doing.
        assert_eq!(meaning(&event(EventKind::Referred, None, 1), false), None);
        // Answers count wherever they were given; closing only here.
        assert_eq!(
            meaning(&event(EventKind::Responded, None, 1), false),
            Some(Meaning::Answered)
        );
        assert_eq!(
            meaning(&event(EventKind::Closed, None, 2), false),
            Some(Meaning::Closed)
        );
        assert_eq!(meaning(&event(EventKind::Closed, None, 5), false), None);
        assert_eq!(meaning(&event(EventKind::Noted, None, 2), false), None);
        // A report travelling with its lead is told through the lead.
        assert_eq!(meaning(&event(EventKind::Responded, None, 1), true), None);
        assert_eq!(decided(EventKind::Referred), "taken further");
        assert_eq!(decided(EventKind::Noted), "discussed");
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
