//! Items: soft intelligence, concerns, suggestions, compliments and questions that travel up
//! the pyramid, and the one place that says how an item's status may change and who may
//! change it.

use chrono::{DateTime, NaiveDate, Utc};

use super::authz::{Actor, Refusal, Standing};
use super::group::GroupKind;
use super::text::InvalidInput;
use super::{GroupId, ItemEventId, ItemId, MeetingId, MemberId, ProviderId, RedactedText};

stored_enum!(
    /// What sort of thing the member is telling the pyramid.
    ItemKind {
        SoftIntelligence = "SOFT_INTELLIGENCE",
        Concern = "CONCERN",
        Suggestion = "SUGGESTION",
        Compliment = "COMPLIMENT",
        Question = "QUESTION",
    }
);

stored_enum!(Sentiment {
    Positive = "POSITIVE",
    Negative = "NEGATIVE",
    Mixed = "MIXED",
});

stored_enum!(
    /// Where the information came from.
    InformationSource {
        OwnExperience = "OWN_EXPERIENCE",
        FamilyOrCarer = "FAMILY_OR_CARER",
        HeardFromAnotherPatient = "HEARD_FROM_ANOTHER_PATIENT",
        Other = "OTHER",
    }
);

stored_enum!(
    /// How the item reached Pyramid.
    Channel {
        Graphql = "GRAPHQL",
        Discord = "DISCORD",
        Import = "IMPORT",
    }
);

stored_enum!(
    /// Where an item is on its journey.
    Status {
        /// Raised at a PPG, waiting there.
        Raised = "RAISED",
        AtDistrict = "AT_DISTRICT",
        AtCouncil = "AT_COUNCIL",
        /// Referred to the commissioners' quality team.
        Referred = "REFERRED",
        /// Answered: "you said, we did".
        Responded = "RESPONDED",
        Closed = "CLOSED",
    }
);

stored_enum!(
    /// What the answer to an item changed.
    Outcome {
        NoAction = "NO_ACTION",
        ActionPlanned = "ACTION_PLANNED",
        ChangeMade = "CHANGE_MADE",
    }
);

impl Outcome {
    /// What the answer did, as told to the person who raised the item ("answered (a change
    /// was made)"), by chat and by e-mail alike.
    pub fn told(self) -> &'static str {
        match self {
            Outcome::ChangeMade => "a change was made",
            Outcome::ActionPlanned => "action is planned",
            Outcome::NoAction => "no action will be taken",
        }
    }
}

stored_enum!(
    /// What happened to an item, as recorded in its trail.
    EventKind {
        Raised = "RAISED",
        Escalated = "ESCALATED",
        Referred = "REFERRED",
        /// Referred at once because it suggests a patient is at risk.
        SafetyReferred = "SAFETY_REFERRED",
        Responded = "RESPONDED",
        Closed = "CLOSED",
        /// Joined to a lead item as one matter.
        Linked = "LINKED",
        /// Discussed at a meeting with nothing moved.
        Noted = "NOTED",
        /// A planned change reached its due date and came back to the tier that referred
        /// the item: "was it done?".
        ChangeDue = "CHANGE_DUE",
        /// The planned change was made (the only event that makes a change "done").
        ChangeMade = "CHANGE_MADE",
        /// The planned change was given a new date; the note says why.
        ChangeRescheduled = "CHANGE_RESCHEDULED",
        /// The planned change will not be made; the note says why.
        ChangeAbandoned = "CHANGE_ABANDONED",
    }
);

impl Status {
    /// Whether the item is still waiting for somebody to do something with it.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Responded | Status::Closed)
    }

    /// The status an item has when it is raised in (or arrives at) a group of this kind.
    pub fn held_at(kind: GroupKind) -> Status {
        match kind {
            GroupKind::Ppg => Status::Raised,
            GroupKind::District => Status::AtDistrict,
            GroupKind::Council => Status::AtCouncil,
        }
    }
}

/// The things people do to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// PPG -> district -> council -> commissioners.
    Escalate,
    Respond,
    Close,
}

/// Where an escalation takes an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// Up to the parent group, arriving with this status.
    Parent(Status),
    /// To the commissioners: the item stays held where it is, with status `Referred`.
    Commissioners,
}

/// The single table of allowed moves: what `action` does to an item in `status` held at a
/// group of `holder`, and whether this caller may do it. The tier holding an item moves it
/// (its representative or officers take it up; at the council only the officers refer); an
/// item referred to the commissioners is answered or closed by the commissioners of its area
/// only. Administrators run structure, not items.
pub fn plan_move(
    actor: &Actor,
    standing: Standing,
    status: Status,
    holder: GroupKind,
    action: Move,
) -> Result<Plan, MoveRefused> {
    let operator = matches!(actor, Actor::System);
    let (to, allowed, rule) = match (action, status) {
        (_, Status::Closed) => return Err(MoveRefused::NotAllowed("This item is closed.")),
        (Move::Escalate, Status::Raised | Status::AtDistrict) => {
            let next = match holder.parent_kind() {
                Some(kind) => Destination::Parent(Status::held_at(kind)),
                None => Destination::Commissioners,
            };
            let rule = match holder {
                GroupKind::Ppg => {
                    "Only the PPG's representative, secretary or chair can take its items to the district."
                }
                GroupKind::District => {
                    "Only the district's secretary, chair or council representative can take its items to the Patients' Council."
                }
                GroupKind::Council => {
                    "At the Patients' Council only the secretary or chair can refer items to the commissioners."
                }
            };
            // A PPG's or district's representative carries its items up, as do its officers.
            (next, standing.officer || standing.representative, rule)
        }
        (Move::Escalate, Status::AtCouncil) => (
            Destination::Commissioners,
            standing.officer,
            "At the Patients' Council only the secretary or chair can refer items to the commissioners.",
        ),
        (Move::Escalate, Status::Referred) => {
            return Err(MoveRefused::NotAllowed(
                "This item is already with the commissioners.",
            ));
        }
        (Move::Escalate, Status::Responded) => {
            return Err(MoveRefused::NotAllowed(
                "This item has been answered; it cannot be taken further up.",
            ));
        }
        (Move::Respond, Status::Responded) => {
            return Err(MoveRefused::NotAllowed(
                "This item has already been answered.",
            ));
        }
        (Move::Respond | Move::Close, Status::Referred) => (
            Destination::Commissioners,
            standing.commissioner,
            "This item is with the commissioners: only the quality team of its area can answer or close it.",
        ),
        (Move::Respond | Move::Close, _) => (
            Destination::Commissioners,
            standing.officer,
            match holder {
                GroupKind::Ppg => {
                    "Only the PPG's secretary or chair can answer or close its items."
                }
                GroupKind::District => {
                    "Only the district's secretary or chair can answer or close the items it holds."
                }
                GroupKind::Council => {
                    "Only the Patients' Council's secretary or chair can answer or close the items it holds."
                }
            },
        ),
    };
    if !(allowed || operator) {
        return Err(match actor {
            Actor::Anonymous => MoveRefused::Refused(Refusal::Unauthenticated),
            _ => MoveRefused::Refused(Refusal::Forbidden(rule)),
        });
    }
    let to_status = match action {
        Move::Escalate => match to {
            Destination::Parent(status) => status,
            Destination::Commissioners => Status::Referred,
        },
        Move::Respond => Status::Responded,
        Move::Close => Status::Closed,
    };
    Ok(Plan {
        destination: to,
        to_status,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub destination: Destination,
    pub to_status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveRefused {
    /// The move does not exist from this status (`CONFLICT`).
    NotAllowed(&'static str),
    /// The caller may not make it.
    Refused(Refusal),
}

/// An item as the rest of the program sees it. Its text is already redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: ItemId,
    pub reference: String,
    pub kind: ItemKind,
    pub title: RedactedText,
    pub body: RedactedText,
    pub provider_id: Option<ProviderId>,
    /// The provider's name as typed, when it is not in the register.
    pub provider_name: Option<RedactedText>,
    pub experienced_on: Option<NaiveDate>,
    pub sentiment: Sentiment,
    pub information_source: InformationSource,
    pub raised_with_pals: bool,
    pub raised_as_complaint: bool,
    /// Suggests a patient is at risk: referred to the commissioners at once.
    pub safety_concern: bool,
    /// Harm or risk, set by a tier's officers, with why.
    pub severity: Option<Severity>,
    pub severity_reason: Option<RedactedText>,
    pub origin_group_id: GroupId,
    /// The area (council) it belongs to.
    pub area_id: GroupId,
    /// The group holding the item now.
    pub current_group_id: GroupId,
    pub status: Status,
    pub submitter_id: MemberId,
    /// The submitter agreed that their name may travel with the item beyond their PPG's
    /// officers.
    pub share_name: bool,
    pub channel: Channel,
    /// The item this one travels with, when several are one matter.
    pub lead_item_id: Option<ItemId>,
    pub latest_event_id: Option<ItemEventId>,
    pub referred_at: Option<DateTime<Utc>>,
    pub responded_at: Option<DateTime<Utc>>,
    /// When the commissioners' answer is due (set at referral; see `clock`).
    pub response_due_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Item {
    /// Who raised it, as `actor` may know: the member where they agreed to share their name
    /// (or `actor` is entitled to know it, see `authz::may_see_submitter`), else `None`, which
    /// people see as "a member of <the PPG>".
    pub fn submitter_seen_by(&self, actor: &Actor) -> Option<MemberId> {
        super::authz::may_see_submitter(
            actor,
            self.submitter_id,
            self.origin_group_id,
            self.share_name,
        )
        .then_some(self.submitter_id)
    }

    /// Referred, not yet answered, and past the day its answer was due.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.status == Status::Referred && self.response_due_on.is_some_and(|due| due < today)
    }

    /// For a referred item: whole hours it waited (or, unanswered, has been waiting until
    /// `now`) for the commissioners' answer.
    pub fn hours_waiting(&self, now: DateTime<Utc>) -> Option<i64> {
        let since = self.referred_at?;
        let until = self.responded_at.unwrap_or(now);
        Some((until - since).num_hours().max(0))
    }
}

/// The answer in an item's trail ("you said, we did"): its latest response.
pub fn answer(events: &[ItemEvent]) -> Option<&ItemEvent> {
    events.iter().rev().find(|e| e.kind == EventKind::Responded)
}

/// One step of an item's trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemEvent {
    pub id: ItemEventId,
    pub item_id: ItemId,
    pub at: DateTime<Utc>,
    pub actor_id: Option<MemberId>,
    pub kind: EventKind,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub from_group_id: Option<GroupId>,
    /// The group holding the item after this step.
    pub group_id: GroupId,
    pub note: Option<RedactedText>,
    pub outcome: Option<Outcome>,
    pub meeting_id: Option<MeetingId>,
}

/// The key a client sends so that a retry of the same submission is recognised: letters,
/// digits and `.`, `_`, `:`, `-`, at most 100 of them. Not free text, so never a place for a
/// patient's details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let key = raw.trim();
        let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-');
        if key.is_empty() || key.len() > Self::MAX || !key.chars().all(safe) {
            return Err(InvalidInput::new(
                "idempotencyKey",
                format!(
                    "An idempotency key is 1 to {} letters, digits, dots, dashes, underscores or colons, such as form-2026-11-22-01.",
                    Self::MAX
                ),
            ));
        }
        Ok(Self(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub const MAX_TAGS: usize = 5;

/// Tags are free, short lower-case words beside an item's tags ("access", "winter",
/// "a&e"). A tag that would hold a name or another identifier is refused rather than stored
/// with a marker in it.
pub fn parse_tags(raw: &[String]) -> Result<Vec<RedactedText>, InvalidInput> {
    let mut tags: Vec<RedactedText> = Vec::new();
    for tag in raw {
        let (redacted, removed) = RedactedText::redact(tag.trim());
        if !removed.is_empty() {
            return Err(InvalidInput::new(
                "tags",
                "A tag names a subject, such as 'access' or 'winter', never a person or their details.",
            ));
        }
        let tag = redacted.as_str().to_lowercase();
        if tag.is_empty()
            || tag.chars().count() > 40
            || !tag
                .chars()
                .all(|c| c.is_alphanumeric() || " -&'/.,".contains(c))
        {
            return Err(InvalidInput::new(
                "tags",
                format!(
                    "'{tag}' is not a tag: use a word or two (letters, digits, spaces and - & ' / . ,), at most 40 characters."
                ),
            ));
        }
        let tag = RedactedText::scrub(&tag);
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(InvalidInput::new(
            "tags",
            format!("An item can have at most {MAX_TAGS} tags."),
        ));
    }
    Ok(tags)
}

/// Harm or risk to patients, 0 (none) to 5 (catastrophic), as moderators score stories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Severity(u8);

impl Severity {
    pub const MAX: u8 = 5;

    pub fn parse(raw: i32) -> Result<Self, InvalidInput> {
        u8::try_from(raw)
            .ok()
            .filter(|s| *s <= Self::MAX)
            .map(Severity)
            .ok_or_else(|| {
                InvalidInput::new(
                    "severity",
                    "Severity is a whole number from 0 (no harm) to 5 (catastrophic harm).",
                )
            })
    }

    /// As stored; `None` for a stored value outside 0 to 5.
    pub fn from_db(raw: i16) -> Option<Self> {
        Self::parse(i32::from(raw)).ok()
    }

    pub fn value(self) -> u8 {
        self.0
    }

    /// 4 and 5 behave like a safety concern: straight to the commissioners.
    pub fn is_safety(self) -> bool {
        self.0 >= 4
    }
}

/// The short reference people can say on the phone: `SI-2026-000123`.
pub fn reference(year: i32, id: i64) -> String {
    format!("SI-{year}-{id:06}")
}

/// Checks the date the experience happened: not in the future.
pub fn check_experienced_on(date: NaiveDate, today: NaiveDate) -> Result<(), InvalidInput> {
    if date > today {
        Err(InvalidInput::new(
            "experiencedOn",
            "The date of the experience cannot be in the future.",
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MemberId;
    use crate::domain::authz::Principal;

    fn member() -> Actor {
        Actor::Member(Principal {
            member_id: MemberId(1),
            seats: vec![],
            area_roles: vec![],
        })
    }

    const OFFICER: Standing = Standing {
        officer: true,
        representative: false,
        commissioner: false,
    };
    const REPRESENTATIVE: Standing = Standing {
        officer: false,
        representative: true,
        commissioner: false,
    };
    const COMMISSIONER: Standing = Standing {
        officer: false,
        representative: false,
        commissioner: true,
    };
    const NOBODY: Standing = Standing {
        officer: false,
        representative: false,
        commissioner: false,
    };

    fn refusal(result: Result<Plan, MoveRefused>) -> &'static str {
        match result {
            Err(MoveRefused::Refused(Refusal::Forbidden(why))) => why,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn escalation_climbs_one_tier_then_goes_to_the_commissioners() {
        let up = |status, holder, standing| {
            plan_move(&member(), standing, status, holder, Move::Escalate)
        };
        assert_eq!(
            up(Status::Raised, GroupKind::Ppg, REPRESENTATIVE)
                .unwrap()
                .to_status,
            Status::AtDistrict
        );
        assert_eq!(
            up(Status::AtDistrict, GroupKind::District, OFFICER)
                .unwrap()
                .to_status,
            Status::AtCouncil
        );
        assert_eq!(
            up(Status::AtDistrict, GroupKind::District, REPRESENTATIVE)
                .unwrap()
                .to_status,
            Status::AtCouncil
        );
        let referral = up(Status::AtCouncil, GroupKind::Council, OFFICER).unwrap();
        assert_eq!(
            referral,
            Plan {
                destination: Destination::Commissioners,
                to_status: Status::Referred
            }
        );
        // At the council only officers refer, and the refusal says so.
        assert_eq!(
            refusal(up(Status::AtCouncil, GroupKind::Council, REPRESENTATIVE)),
            "At the Patients' Council only the secretary or chair can refer items to the commissioners."
        );
        assert_eq!(
            refusal(up(Status::Raised, GroupKind::Ppg, NOBODY)),
            "Only the PPG's representative, secretary or chair can take its items to the district."
        );
        assert!(
            refusal(up(Status::AtDistrict, GroupKind::District, NOBODY)).contains("district's")
        );
        assert!(matches!(
            up(Status::Referred, GroupKind::Council, OFFICER),
            Err(MoveRefused::NotAllowed(_))
        ));
        assert!(matches!(
            up(Status::Closed, GroupKind::Ppg, OFFICER),
            Err(MoveRefused::NotAllowed(_))
        ));
    }

    #[test]
    fn commissioners_act_only_on_what_was_referred_to_them() {
        for status in [Status::Raised, Status::AtDistrict, Status::AtCouncil] {
            for action in [Move::Escalate, Move::Respond, Move::Close] {
                let holder = match status {
                    Status::Raised => GroupKind::Ppg,
                    Status::AtDistrict => GroupKind::District,
                    _ => GroupKind::Council,
                };
                assert!(
                    plan_move(&member(), COMMISSIONER, status, holder, action).is_err(),
                    "{status:?} {action:?}"
                );
            }
        }
        assert!(
            plan_move(
                &member(),
                OFFICER,
                Status::Referred,
                GroupKind::Council,
                Move::Respond
            )
            .is_err()
        );
        let answer = plan_move(
            &member(),
            COMMISSIONER,
            Status::Referred,
            GroupKind::Council,
            Move::Respond,
        )
        .unwrap();
        assert_eq!(answer.to_status, Status::Responded);
        assert!(matches!(
            plan_move(
                &member(),
                COMMISSIONER,
                Status::Responded,
                GroupKind::Council,
                Move::Respond
            ),
            Err(MoveRefused::NotAllowed(_))
        ));
    }

    #[test]
    fn a_tier_can_resolve_an_item_itself() {
        for status in [Status::Raised, Status::AtDistrict, Status::Responded] {
            assert_eq!(
                plan_move(&member(), OFFICER, status, GroupKind::Ppg, Move::Close)
                    .unwrap()
                    .to_status,
                Status::Closed
            );
        }
        assert!(
            plan_move(
                &member(),
                REPRESENTATIVE,
                Status::Raised,
                GroupKind::Ppg,
                Move::Close
            )
            .is_err()
        );
        assert!(
            plan_move(
                &Actor::Anonymous,
                NOBODY,
                Status::Raised,
                GroupKind::Ppg,
                Move::Close
            ) == Err(MoveRefused::Refused(Refusal::Unauthenticated))
        );
    }

    #[test]
    fn idempotency_keys_are_a_safe_word() {
        assert_eq!(
            IdempotencyKey::parse(" form-2026-11-22-01 ")
                .unwrap()
                .as_str(),
            "form-2026-11-22-01"
        );
        for bad in [
            "",
            "has space",
            "nul\u{0}",
            "Mrs Jane Doe",
            &"k".repeat(101),
        ] {
            assert_eq!(
                IdempotencyKey::parse(bad).unwrap_err().field,
                "idempotencyKey",
                "{bad}"
            );
        }
    }

    #[test]
    fn references_are_short_and_padded() {
        assert_eq!(reference(2026, 123), "SI-2026-000123");
        assert_eq!(reference(2027, 1_500_000), "SI-2027-1500000");
    }

    #[test]
    fn themes_are_tidied_and_bounded() {
        let themes = parse_tags(&[
            "Access ".into(),
            "access".into(),
            "out-of-hours".into(),
            "A&E".into(),
        ])
        .unwrap();
        let themes: Vec<&str> = themes.iter().map(RedactedText::as_str).collect();
        assert_eq!(themes, vec!["access", "out-of-hours", "a&e"]);
        assert!(parse_tags(&["<script>".into()]).is_err());
        assert!(parse_tags(&["tel 07700 900123".into()]).is_err());
        let many: Vec<String> = (0..6).map(|n| format!("t{n}")).collect();
        assert!(parse_tags(&many).is_err());
    }
}
