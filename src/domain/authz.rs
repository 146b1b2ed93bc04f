//! Who may do what. Every permission decision in Pyramid is one of these functions, called
//! from the service layer with what it has loaded about the caller and the target.

use super::member::Role;
use super::{GroupId, MemberId};

/// Whoever is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// No token: may see the public structure (group names and the hierarchy) only.
    Anonymous,
    /// A member, identified by an API token or a linked chat account.
    Member(Principal),
    /// The operator at the command line (`pyramid seed`, `pyramid token create`).
    System,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub member_id: MemberId,
    pub administrator: bool,
    pub commissioner: bool,
    /// The member's current memberships, loaded with the member when they authenticate, so
    /// that permission decisions in one request need no further look-ups.
    pub seats: Vec<Seat>,
}

/// A current membership: a role in a group, and for a representative the group represented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seat {
    pub group: GroupId,
    pub role: Role,
    pub represents: Option<GroupId>,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Nobody is signed in, and the action needs somebody.
    Unauthenticated,
    /// The caller is known but this is not theirs to do; the sentence says what would be.
    Forbidden(&'static str),
}

impl Actor {
    pub fn member_id(&self) -> Option<MemberId> {
        match self {
            Actor::Member(p) => Some(p.member_id),
            _ => None,
        }
    }

    /// The caller's current memberships (none for anonymous callers and the operator).
    pub fn seats(&self) -> &[Seat] {
        match self {
            Actor::Member(p) => &p.seats,
            _ => &[],
        }
    }

    /// The groups where the caller is a current officer (secretary or chair).
    pub fn officer_of(&self) -> Vec<GroupId> {
        self.seats()
            .iter()
            .filter(|s| s.role.is_officer())
            .map(|s| s.group)
            .collect()
    }

    pub fn is_commissioner(&self) -> bool {
        matches!(self, Actor::Member(p) if p.commissioner)
    }

    pub(crate) fn is_administrator(&self) -> bool {
        match self {
            Actor::System => true,
            Actor::Member(p) => p.administrator,
            Actor::Anonymous => false,
        }
    }

    /// Sees everything: administrators, commissioners and the operator.
    pub fn sees_everything(&self) -> bool {
        match self {
            Actor::System => true,
            Actor::Member(p) => p.administrator || p.commissioner,
            Actor::Anonymous => false,
        }
    }
}

/// Anything beyond the public structure needs a signed-in caller.
pub fn may_see_people(actor: &Actor) -> Result<(), Refusal> {
    match actor {
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        _ => Ok(()),
    }
}

/// A member's e-mail address is seen by the member and by administrators.
pub fn may_see_email(actor: &Actor, member: MemberId) -> bool {
    actor.is_administrator() || actor.member_id() == Some(member)
}

/// Groups, providers and organisation-wide roles are set up by administrators only.
pub fn may_manage_structure(actor: &Actor) -> Result<(), Refusal> {
    match actor {
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        _ if actor.is_administrator() => Ok(()),
        _ => Err(Refusal::Forbidden(
            "Only an administrator can change the groups, providers and organisation-wide roles.",
        )),
    }
}

/// Memberships (and nominations, which are memberships of the receiving group) of a group
/// are managed by administrators and by the officers (secretary, chair) of that group or of
/// any group above it: a district secretary manages the district and its PPGs.
///
/// `officer_of` lists the groups where the caller is a current officer; `target_path` is the
/// target group followed by its ancestors.
pub fn may_manage_memberships(
    actor: &Actor,
    officer_of: &[GroupId],
    target_path: &[GroupId],
) -> Result<(), Refusal> {
    match actor {
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        _ if actor.is_administrator() => Ok(()),
        _ if target_path.iter().any(|g| officer_of.contains(g)) => Ok(()),
        _ => Err(Refusal::Forbidden(
            "Only an administrator, or the secretary or chair of this group or a group above it, can change its members.",
        )),
    }
}

/// Whether the caller runs a group's business (its meetings, its newsletters, its chat
/// channel): its officers (secretary, chair) and administrators.
pub fn runs_group(actor: &Actor, group: GroupId) -> bool {
    actor.is_administrator()
        || actor
            .seats()
            .iter()
            .any(|s| s.group == group && s.role.is_officer())
}

/// `runs_group`, as a decision with the sentence a refused caller sees.
pub fn may_run_group(actor: &Actor, group: GroupId, why: &'static str) -> Result<(), Refusal> {
    match actor {
        _ if runs_group(actor, group) => Ok(()),
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        _ => Err(Refusal::Forbidden(why)),
    }
}

/// A member manages their own API tokens; administrators manage anyone's.
pub fn may_manage_tokens(actor: &Actor, owner: MemberId) -> Result<(), Refusal> {
    match actor {
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        _ if actor.is_administrator() || actor.member_id() == Some(owner) => Ok(()),
        _ => Err(Refusal::Forbidden(
            "You can only manage your own API tokens.",
        )),
    }
}

/// What the caller is in relation to the group holding an item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Standing {
    /// Secretary or chair of the holding group.
    pub officer: bool,
    /// Represents the holding group on the tier above (a PPG's representative, a district's
    /// council representative).
    pub representative: bool,
}

impl Standing {
    /// The standing of a report that travels with its lead: it moves on the lead's
    /// authority, which `plan_move` has already checked for the lead.
    pub const FOLLOWING_LEAD: Standing = Standing {
        officer: true,
        representative: true,
    };
}

/// What the caller is at `group`: an officer of it, or its representative on the tier above.
pub fn standing(actor: &Actor, group: GroupId) -> Standing {
    let seats = actor.seats();
    Standing {
        officer: seats
            .iter()
            .any(|s| s.group == group && s.role.is_officer()),
        representative: seats
            .iter()
            .any(|s| s.role == Role::Representative && s.represents == Some(group)),
    }
}

/// Whether the caller sits in a group (in any role, current).
pub fn sits_in(actor: &Actor, group: GroupId) -> bool {
    actor.seats().iter().any(|s| s.group == group)
}

/// Which items a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Commissioners, administrators and the operator.
    Everything,
    /// Items raised in, or that have reached, any of these groups (the caller's groups).
    Groups(Vec<GroupId>),
}

/// Members of a group see the items raised in it and every item that has reached it or
/// passed through it; commissioners and administrators see everything.
pub fn visibility(actor: &Actor) -> Visibility {
    if actor.sees_everything() {
        Visibility::Everything
    } else {
        let mut groups: Vec<GroupId> = actor.seats().iter().map(|s| s.group).collect();
        groups.sort();
        groups.dedup();
        Visibility::Groups(groups)
    }
}

/// Who may raise an item in a group: its current members (in any role), and administrators.
pub fn may_raise_in(actor: &Actor, group: GroupId) -> Result<(), Refusal> {
    match actor {
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        Actor::System => Ok(()),
        Actor::Member(p) if p.administrator => Ok(()),
        _ if sits_in(actor, group) => Ok(()),
        _ => Err(Refusal::Forbidden(
            "You can raise items only in a group you are a member of.",
        )),
    }
}

/// Who may join other reports to an item as one matter: the officers or representative of
/// the group holding it, and those who see everything.
pub fn may_link_items(actor: &Actor, standing: Standing) -> Result<(), Refusal> {
    match actor {
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        _ if standing.officer || standing.representative || actor.sees_everything() => Ok(()),
        _ => Err(Refusal::Forbidden(
            "Only the officers or representative of the group holding an item can link others to it.",
        )),
    }
}

/// A group's meetings are seen by its members and by those who see everything; to anyone
/// else they do not exist.
pub fn may_see_meetings_of(actor: &Actor, group: GroupId) -> bool {
    actor.sees_everything() || sits_in(actor, group)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(administrator: bool, commissioner: bool) -> Actor {
        Actor::Member(Principal {
            member_id: MemberId(7),
            administrator,
            commissioner,
            seats: vec![],
        })
    }

    #[test]
    fn structure_is_for_administrators() {
        assert_eq!(
            may_manage_structure(&Actor::Anonymous),
            Err(Refusal::Unauthenticated)
        );
        assert!(matches!(
            may_manage_structure(&member(false, true)),
            Err(Refusal::Forbidden(_))
        ));
        assert!(may_manage_structure(&member(true, false)).is_ok());
        assert!(may_manage_structure(&Actor::System).is_ok());
    }

    #[test]
    fn officers_manage_their_group_and_the_groups_below() {
        let (ppg, district, council) = (GroupId(3), GroupId(2), GroupId(1));
        let ppg_path = [ppg, district, council];
        let district_path = [district, council];
        let officer = member(false, false);
        assert!(may_manage_memberships(&officer, &[district], &ppg_path).is_ok());
        assert!(may_manage_memberships(&officer, &[district], &district_path).is_ok());
        assert!(may_manage_memberships(&officer, &[ppg], &district_path).is_err());
        assert!(may_manage_memberships(&officer, &[], &ppg_path).is_err());
        assert!(may_manage_memberships(&member(true, false), &[], &ppg_path).is_ok());
        // A commissioner sees everything but does not run groups.
        assert!(may_manage_memberships(&member(false, true), &[], &ppg_path).is_err());
    }

    #[test]
    fn officers_and_administrators_run_a_group() {
        let seat = |role| Seat {
            group: GroupId(2),
            role,
            represents: None,
        };
        let with = |seats| {
            Actor::Member(Principal {
                member_id: MemberId(7),
                administrator: false,
                commissioner: false,
                seats,
            })
        };
        assert!(runs_group(&with(vec![seat(Role::Secretary)]), GroupId(2)));
        assert!(runs_group(&with(vec![seat(Role::Chair)]), GroupId(2)));
        assert!(!runs_group(&with(vec![seat(Role::Member)]), GroupId(2)));
        assert!(!runs_group(&with(vec![seat(Role::Secretary)]), GroupId(3)));
        assert!(runs_group(&member(true, false), GroupId(3)));
        assert_eq!(
            may_run_group(&Actor::Anonymous, GroupId(2), "no"),
            Err(Refusal::Unauthenticated)
        );
        assert_eq!(
            may_run_group(&member(false, true), GroupId(2), "no"),
            Err(Refusal::Forbidden("no"))
        );
    }

    #[test]
    fn emails_are_private() {
        assert!(may_see_email(&member(false, false), MemberId(7)));
        assert!(!may_see_email(&member(false, false), MemberId(8)));
        assert!(may_see_email(&member(true, false), MemberId(8)));
        assert!(!may_see_email(&Actor::Anonymous, MemberId(8)));
    }
}
