//! The journeys synthetic items take up the pyramid: which events, from which status and tier
//! to which, and how common each journey is.

use pyramid::domain::item::{EventKind, Status};

/// Where an item's journey ends; `JOURNEYS` says how common each is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Journey {
    Raised,
    ClosedAtPpg,
    SafetyReferred,
    AtDistrict,
    RespondedAtDistrict,
    AtCouncil,
    Referred,
    RespondedAtCouncil,
}

/// Items per thousand on each journey: most wait at their PPG, some at a district, fewer at
/// the council, with the commissioners or answered.
pub const JOURNEYS: [(Journey, u32); 8] = [
    (Journey::Raised, 560),
    (Journey::ClosedAtPpg, 50),
    (Journey::SafetyReferred, 5),
    (Journey::AtDistrict, 190),
    (Journey::RespondedAtDistrict, 15),
    (Journey::AtCouncil, 90),
    (Journey::Referred, 55),
    (Journey::RespondedAtCouncil, 35),
];

/// One event of a journey. Tiers: 0 the PPG, 1 its district, 2 the council.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub kind: EventKind,
    pub from: Option<Status>,
    pub to: Status,
    /// The tier the item leaves, for a step that moves it up.
    pub from_tier: Option<usize>,
    /// The tier holding the item after this step.
    pub tier: usize,
}

const fn step(
    kind: EventKind,
    from: Option<Status>,
    to: Status,
    from_tier: Option<usize>,
    tier: usize,
) -> Step {
    Step {
        kind,
        from,
        to,
        from_tier,
        tier,
    }
}

pub const RAISE: Step = step(EventKind::Raised, None, Status::Raised, None, 0);
const CLOSE_AT_PPG: Step = step(
    EventKind::Closed,
    Some(Status::Raised),
    Status::Closed,
    None,
    0,
);
const SAFETY: Step = step(
    EventKind::SafetyReferred,
    Some(Status::Raised),
    Status::Referred,
    None,
    0,
);
const TO_DISTRICT: Step = step(
    EventKind::Escalated,
    Some(Status::Raised),
    Status::AtDistrict,
    Some(0),
    1,
);
const ANSWER_AT_DISTRICT: Step = step(
    EventKind::Responded,
    Some(Status::AtDistrict),
    Status::Responded,
    None,
    1,
);
const TO_COUNCIL: Step = step(
    EventKind::Escalated,
    Some(Status::AtDistrict),
    Status::AtCouncil,
    Some(1),
    2,
);
const REFER: Step = step(
    EventKind::Referred,
    Some(Status::AtCouncil),
    Status::Referred,
    None,
    2,
);
const ANSWER_AT_COUNCIL: Step = step(
    EventKind::Responded,
    Some(Status::AtCouncil),
    Status::Responded,
    None,
    2,
);

impl Journey {
    /// The journey of the item that rolled `roll` (0..1000).
    pub fn of(roll: u32) -> Journey {
        let mut left = roll % 1000;
        for (journey, share) in JOURNEYS {
            if left < share {
                return journey;
            }
            left -= share;
        }
        Journey::Raised
    }

    pub fn steps(self) -> &'static [Step] {
        match self {
            Journey::Raised => &[RAISE],
            Journey::ClosedAtPpg => &[RAISE, CLOSE_AT_PPG],
            Journey::SafetyReferred => &[RAISE, SAFETY],
            Journey::AtDistrict => &[RAISE, TO_DISTRICT],
            Journey::RespondedAtDistrict => &[RAISE, TO_DISTRICT, ANSWER_AT_DISTRICT],
            Journey::AtCouncil => &[RAISE, TO_DISTRICT, TO_COUNCIL],
            Journey::Referred => &[RAISE, TO_DISTRICT, TO_COUNCIL, REFER],
            Journey::RespondedAtCouncil => &[RAISE, TO_DISTRICT, TO_COUNCIL, ANSWER_AT_COUNCIL],
        }
    }
}

#[cfg(test)]
mod tests {
    use pyramid::domain::authz;
    use pyramid::domain::authz::{Actor, AreaRole, OrgRole, Principal, Seat};
    use pyramid::domain::group::GroupKind;
    use pyramid::domain::item::{Destination, Move, plan_move};
    use pyramid::domain::member::Role;
    use pyramid::domain::{GroupId, MemberId};

    use super::*;

    #[test]
    fn journeys_cover_every_roll_and_each_trail_is_a_chain() {
        assert_eq!(JOURNEYS.iter().map(|(_, s)| s).sum::<u32>(), 1000);
        assert_eq!(Journey::of(0), Journey::Raised);
        assert_eq!(Journey::of(999), Journey::RespondedAtCouncil);
        for (journey, _) in JOURNEYS {
            let steps = journey.steps();
            assert!((1..=4).contains(&steps.len()), "{journey:?}");
            assert_eq!(steps[0].kind, EventKind::Raised);
            for pair in steps.windows(2) {
                assert_eq!(pair[1].from, Some(pair[0].to), "{journey:?}");
                if let Some(from) = pair[1].from_tier {
                    assert_eq!(from, pair[0].tier, "{journey:?}");
                    assert_eq!(pair[1].tier, from + 1, "{journey:?}");
                } else {
                    assert_eq!(pair[1].tier, pair[0].tier, "{journey:?}");
                }
            }
        }
    }

    /// The area the test's groups are in (its council is group 3).
    const AREA: GroupId = GroupId(3);

    /// The kind of group holding an item at each tier.
    const KINDS: [GroupKind; 3] = [GroupKind::Ppg, GroupKind::District, GroupKind::Council];

    /// Someone the rules let move an item in `status` held at `holder`: a commissioner once
    /// it is with the commissioners, else the holding group's secretary.
    fn mover(status: Status, holder: GroupId) -> Actor {
        let referred = status == Status::Referred;
        Actor::Member(Principal {
            member_id: MemberId(1),
            area_roles: if referred {
                vec![AreaRole {
                    area: AREA,
                    role: OrgRole::Commissioner,
                }]
            } else {
                Vec::new()
            },
            seats: if referred {
                Vec::new()
            } else {
                vec![Seat {
                    group: holder,
                    role: Role::Secretary,
                    represents: None,
                }]
            },
        })
    }

    #[test]
    fn every_step_is_a_move_plan_move_allows() {
        for (journey, _) in JOURNEYS {
            for step in journey.steps() {
                let at = format!("{journey:?}, {:?} from {:?}", step.kind, step.from);
                // Raising and the safety fast path are not moves: checked against what the
                // items service does instead.
                match step.kind {
                    EventKind::Raised => {
                        assert_eq!(step.from, None, "{at}");
                        assert_eq!(step.to, Status::held_at(GroupKind::Ppg), "{at}");
                        assert_eq!((step.from_tier, step.tier), (None, 0), "{at}");
                        continue;
                    }
                    EventKind::SafetyReferred => {
                        assert_eq!(step.from, Some(Status::held_at(GroupKind::Ppg)), "{at}");
                        assert_eq!(step.to, Status::Referred, "{at}");
                        assert_eq!((step.from_tier, step.tier), (None, 0), "{at}");
                        continue;
                    }
                    _ => {}
                }
                let action = match step.kind {
                    EventKind::Escalated | EventKind::Referred => Move::Escalate,
                    EventKind::Responded => Move::Respond,
                    EventKind::Closed => Move::Close,
                    other => panic!("{at}: {other:?} is not a move"),
                };
                let from = step.from.expect("a move starts from a status");
                let holder_tier = step.from_tier.unwrap_or(step.tier);
                let holder = KINDS[holder_tier];
                if matches!(
                    from,
                    Status::Raised | Status::AtDistrict | Status::AtCouncil
                ) {
                    assert_eq!(
                        from,
                        Status::held_at(holder),
                        "{at}: held at the wrong tier"
                    );
                }
                let group = GroupId(holder_tier as i64 + 1);
                let actor = mover(from, group);
                let plan = plan_move(
                    &actor,
                    authz::standing(&actor, group, AREA),
                    from,
                    holder,
                    action,
                )
                .unwrap_or_else(|refused| panic!("{at}: plan_move refuses: {refused:?}"));
                assert_eq!(plan.to_status, step.to, "{at}");
                match (action, plan.destination) {
                    (Move::Escalate, Destination::Parent(_)) => {
                        assert_eq!(step.kind, EventKind::Escalated, "{at}");
                        assert_eq!(step.from_tier, Some(holder_tier), "{at}");
                        assert_eq!(holder.parent_kind(), Some(KINDS[step.tier]), "{at}");
                    }
                    (Move::Escalate, Destination::Commissioners) => {
                        assert_eq!(step.kind, EventKind::Referred, "{at}");
                        assert_eq!(step.from_tier, None, "{at}: stays where it is held");
                    }
                    _ => assert_eq!(step.from_tier, None, "{at}: stays where it is held"),
                }
            }
        }
    }
}
