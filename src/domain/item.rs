//! Items: soft intelligence, concerns, suggestions, compliments and questions that travel up
//! the pyramid, and the one place that says how an item's status may change and who may
//! change it.

use chrono::{DateTime, NaiveDate, Utc};

use super::authz::{Actor, Refusal, Standing};
use super::group::GroupKind;
use super::text::{self, InvalidInput, parse_text};
use super::{GroupId, ItemEventId, ItemId, MeetingId, MemberId, ProviderId};

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
/// group of `holder`, and whether this caller may do it.
pub fn plan_move(
    actor: &Actor,
    standing: Standing,
    status: Status,
    holder: GroupKind,
    action: Move,
) -> Result<Plan, MoveRefused> {
    let commissioner = matches!(actor, Actor::System)
        || matches!(actor, Actor::Member(p) if p.commissioner || p.administrator);
    let (to, allowed) = match (action, status) {
        (_, Status::Closed) => return Err(MoveRefused::NotAllowed("This item is closed.")),
        (Move::Escalate, Status::Raised | Status::AtDistrict) => {
            let next = match holder.parent_kind() {
                Some(kind) => Destination::Parent(Status::held_at(kind)),
                None => Destination::Commissioners,
            };
            // A PPG's or district's representative carries its items up, as do its officers.
            (
                next,
                standing.officer || standing.representative || commissioner,
            )
        }
        (Move::Escalate, Status::AtCouncil) => {
            (Destination::Commissioners, standing.officer || commissioner)
        }
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
        (Move::Respond, Status::Referred) => (Destination::Commissioners, commissioner),
        (Move::Respond, Status::Responded) => {
            return Err(MoveRefused::NotAllowed(
                "This item has already been answered.",
            ));
        }
        (Move::Respond, _) => (Destination::Commissioners, standing.officer || commissioner),
        (Move::Close, Status::Referred) => (Destination::Commissioners, commissioner),
        (Move::Close, _) => (Destination::Commissioners, standing.officer || commissioner),
    };
    if !allowed {
        return Err(match actor {
            Actor::Anonymous => MoveRefused::Refused(Refusal::Unauthenticated),
            _ => MoveRefused::Refused(Refusal::Forbidden(match (action, status) {
                (_, Status::Referred) => {
                    "Only the commissioners' quality team can answer or close an item referred to them."
                }
                (Move::Escalate, _) => {
                    "Only the group's representative, secretary or chair can take its items further up."
                }
                _ => {
                    "Only the secretary or chair of the group holding this item, or a commissioner, can do this."
                }
            })),
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
    pub title: String,
    pub body: String,
    pub provider_id: Option<ProviderId>,
    /// The provider's name as typed, when it is not in the register.
    pub provider_name: Option<String>,
    pub experienced_on: Option<NaiveDate>,
    pub sentiment: Sentiment,
    pub information_source: InformationSource,
    pub raised_with_pals: bool,
    pub raised_as_complaint: bool,
    /// Suggests a patient is at risk: referred to the commissioners at once.
    pub safety_concern: bool,
    pub origin_group_id: GroupId,
    /// The group holding the item now.
    pub current_group_id: GroupId,
    pub status: Status,
    pub submitter_id: MemberId,
    pub channel: Channel,
    /// The item this one travels with, when several are one matter.
    pub lead_item_id: Option<ItemId>,
    pub latest_event_id: Option<ItemEventId>,
    pub referred_at: Option<DateTime<Utc>>,
    pub responded_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Item {
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
    pub note: Option<String>,
    pub outcome: Option<Outcome>,
    pub meeting_id: Option<MeetingId>,
}

/// An item's title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemTitle(String);

impl ItemTitle {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        parse_text("title", "The title", raw, text::TITLE).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub const MAX_THEMES: usize = 5;

/// Themes are short lower-case tags ("access", "discharge", "communication").
pub fn parse_themes(raw: &[String]) -> Result<Vec<String>, InvalidInput> {
    let mut themes: Vec<String> = Vec::new();
    for theme in raw {
        let theme = theme.trim().to_lowercase();
        if theme.is_empty()
            || theme.chars().count() > 40
            || !theme
                .chars()
                .all(|c| c.is_alphanumeric() || c == ' ' || c == '-')
        {
            return Err(InvalidInput::new(
                "themes",
                format!(
                    "'{theme}' is not a theme: use a word or two (letters, digits, spaces, hyphens), at most 40 characters."
                ),
            ));
        }
        if !themes.contains(&theme) {
            themes.push(theme);
        }
    }
    if themes.len() > MAX_THEMES {
        return Err(InvalidInput::new(
            "themes",
            format!("An item can have at most {MAX_THEMES} themes."),
        ));
    }
    Ok(themes)
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

    fn member(commissioner: bool) -> Actor {
        Actor::Member(Principal {
            member_id: MemberId(1),
            administrator: false,
            commissioner,
            seats: vec![],
        })
    }

    const OFFICER: Standing = Standing {
        officer: true,
        representative: false,
    };
    const REPRESENTATIVE: Standing = Standing {
        officer: false,
        representative: true,
    };
    const NOBODY: Standing = Standing {
        officer: false,
        representative: false,
    };

    #[test]
    fn escalation_climbs_one_tier_then_goes_to_the_commissioners() {
        let up = |status, holder, standing| {
            plan_move(&member(false), standing, status, holder, Move::Escalate)
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
        // A council representative does not exist; only council officers refer.
        assert!(up(Status::AtCouncil, GroupKind::Council, REPRESENTATIVE).is_err());
        assert!(matches!(
            up(Status::Raised, GroupKind::Ppg, NOBODY),
            Err(MoveRefused::Refused(_))
        ));
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
    fn referred_items_are_answered_by_commissioners_only() {
        assert!(
            plan_move(
                &member(false),
                OFFICER,
                Status::Referred,
                GroupKind::Council,
                Move::Respond
            )
            .is_err()
        );
        let answer = plan_move(
            &member(true),
            NOBODY,
            Status::Referred,
            GroupKind::Council,
            Move::Respond,
        )
        .unwrap();
        assert_eq!(answer.to_status, Status::Responded);
        assert!(matches!(
            plan_move(
                &member(true),
                NOBODY,
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
                plan_move(&member(false), OFFICER, status, GroupKind::Ppg, Move::Close)
                    .unwrap()
                    .to_status,
                Status::Closed
            );
        }
        assert!(
            plan_move(
                &member(false),
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
    fn references_are_short_and_padded() {
        assert_eq!(reference(2026, 123), "SI-2026-000123");
        assert_eq!(reference(2027, 1_500_000), "SI-2027-1500000");
    }

    #[test]
    fn themes_are_tidied_and_bounded() {
        let themes =
            parse_themes(&["Access ".into(), "access".into(), "out-of-hours".into()]).unwrap();
        assert_eq!(themes, vec!["access", "out-of-hours"]);
        assert!(parse_themes(&["<script>".into()]).is_err());
        let many: Vec<String> = (0..6).map(|n| format!("t{n}")).collect();
        assert!(parse_themes(&many).is_err());
    }
}
