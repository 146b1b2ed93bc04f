//! Who may do what. Every permission decision in Pyramid is one of these functions, called
//! from the service layer with what it has loaded about the caller and the target.
//!
//! England has 42 areas (ICBs), each its own data controller: a council and everything under
//! it is an area. Organisation roles are held in an area: an area's administrators set up its
//! structure (they do not read or move items), and its commissioners see all of its items and
//! answer those referred to them. Nothing of one area is visible through a role in another.

use super::member::Role;
use super::{GroupId, MemberId};

/// Whoever is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// No token: may see the public structure (group names and the hierarchy), the
    /// providers register and published newsletters only.
    Anonymous,
    /// A member, identified by an API token or a linked chat account.
    Member(Principal),
    /// The operator at the command line (`pyramid seed`, `pyramid area create`).
    System,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub member_id: MemberId,
    /// The member's current memberships, loaded with the member when they authenticate, so
    /// that permission decisions in one request need no further look-ups.
    pub seats: Vec<Seat>,
    /// The organisation roles the member holds now, each in one area.
    pub area_roles: Vec<AreaRole>,
}

/// A current membership: a role in a group, and for a representative the group represented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seat {
    pub group: GroupId,
    pub role: Role,
    pub represents: Option<GroupId>,
}

stored_enum!(
    /// A role held for a whole area rather than in one group.
    OrgRole {
        /// Sets up the area: its groups, members, nominations, chat channels.
        Administrator = "ADMINISTRATOR",
        /// Works in the commissioners' quality team: sees the area's items and answers those
        /// referred to them.
        Commissioner = "COMMISSIONER",
    }
);

/// An organisation role held in an area (the area is its council's id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AreaRole {
    pub area: GroupId,
    pub role: OrgRole,
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

    fn area_roles(&self) -> &[AreaRole] {
        match self {
            Actor::Member(p) => &p.area_roles,
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

    fn holds(&self, role: OrgRole, area: GroupId) -> bool {
        self.area_roles()
            .iter()
            .any(|r| r.role == role && r.area == area)
    }

    /// The areas where the caller holds `role`.
    pub fn areas_where(&self, role: OrgRole) -> Vec<GroupId> {
        self.area_roles()
            .iter()
            .filter(|r| r.role == role)
            .map(|r| r.area)
            .collect()
    }

    /// Sets up this area's structure: its administrators, and the operator.
    pub fn administers(&self, area: GroupId) -> bool {
        matches!(self, Actor::System) || self.holds(OrgRole::Administrator, area)
    }

    /// In this area's quality team.
    pub fn is_commissioner_of(&self, area: GroupId) -> bool {
        self.holds(OrgRole::Commissioner, area)
    }

    /// An administrator of at least one area, or the operator.
    pub fn is_any_administrator(&self) -> bool {
        matches!(self, Actor::System) || !self.areas_where(OrgRole::Administrator).is_empty()
    }
}

/// Anything beyond the public structure needs a signed-in caller.
pub fn may_see_people(actor: &Actor) -> Result<(), Refusal> {
    match actor {
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        _ => Ok(()),
    }
}

/// A member's e-mail address is seen by the member, by the administrators of an area the
/// member belongs to (`in_administered_area`: the member has a seat or role in an area the
/// caller administers), and by the operator.
pub fn may_see_email(actor: &Actor, member: MemberId, in_administered_area: bool) -> bool {
    matches!(actor, Actor::System) || actor.member_id() == Some(member) || in_administered_area
}

/// A new area (a Patients' Council) is set up by the operator at the command line
/// (`pyramid area create`); the groups under a council, by the area's administrators.
pub fn may_manage_structure(actor: &Actor, area: Option<GroupId>) -> Result<(), Refusal> {
    match (actor, area) {
        (Actor::Anonymous, _) => Err(Refusal::Unauthenticated),
        (_, Some(area)) if actor.administers(area) => Ok(()),
        (Actor::System, None) => Ok(()),
        (_, None) => Err(Refusal::Forbidden(
            "A new area (Patients' Council) is set up by the operator at the command line: pyramid area create.",
        )),
        (_, Some(_)) => Err(Refusal::Forbidden(
            "Only an administrator of this area can change its groups.",
        )),
    }
}

/// The providers register is shared by every area: any area's administrators keep it.
pub fn may_manage_providers(actor: &Actor) -> Result<(), Refusal> {
    match actor {
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        _ if actor.is_any_administrator() => Ok(()),
        _ => Err(Refusal::Forbidden(
            "Only an area's administrator can change the providers register.",
        )),
    }
}

/// Organisation roles in an area are given and taken away by its administrators.
pub fn may_grant_area_roles(actor: &Actor, area: GroupId) -> Result<(), Refusal> {
    match actor {
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        _ if actor.administers(area) => Ok(()),
        _ => Err(Refusal::Forbidden(
            "Only an administrator of this area can give or end its organisation roles.",
        )),
    }
}

/// Memberships (and nominations, which are memberships of the receiving group) of a group
/// are managed by the administrators of its area and by the officers (secretary, chair) of
/// that group or of any group above it: a district secretary manages the district and its
/// PPGs.
///
/// `target_path` is the target group followed by its ancestors; `area` is its area.
pub fn may_manage_memberships(
    actor: &Actor,
    target_path: &[GroupId],
    area: GroupId,
) -> Result<(), Refusal> {
    let officer_of = actor.officer_of();
    match actor {
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        _ if actor.administers(area) => Ok(()),
        _ if target_path.iter().any(|g| officer_of.contains(g)) => Ok(()),
        _ => Err(Refusal::Forbidden(
            "Only an administrator of this area, or the secretary or chair of this group or a group above it, can change its members.",
        )),
    }
}

/// Whether the caller runs a group's business (its meetings and newsletters): its officers
/// (secretary, chair), and the operator.
pub fn runs_group(actor: &Actor, group: GroupId) -> bool {
    matches!(actor, Actor::System)
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

/// Who may link a chat channel to a group (or take a channel over from the group holding
/// it): the group's officers and its area's administrators.
pub fn may_link_channel(actor: &Actor, group: GroupId, area: GroupId) -> Result<(), Refusal> {
    match actor {
        _ if runs_group(actor, group) || actor.administers(area) => Ok(()),
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        _ => Err(Refusal::Forbidden(
            "Only an administrator or the group's secretary or chair can link its chat channel.",
        )),
    }
}

/// A group's mailing address (where its newsletters are e-mailed) is set or removed by those
/// who may link its chat channel: its officers and its area's administrators.
pub fn may_set_mailing_address(
    actor: &Actor,
    group: GroupId,
    area: GroupId,
) -> Result<(), Refusal> {
    match actor {
        _ if runs_group(actor, group) || actor.administers(area) => Ok(()),
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        _ => Err(Refusal::Forbidden(
            "Only an administrator or the group's secretary or chair can set its mailing address.",
        )),
    }
}

/// Deliveries to a group (and to its members about their items) that were given up are seen
/// by its officers and its area's administrators, who can put them right.
pub fn may_see_deliveries_of(actor: &Actor, group: GroupId, area: GroupId) -> bool {
    runs_group(actor, group) || actor.administers(area)
}

/// How a member hears, and their own e-mail address, are theirs to set: a member confirms
/// their address and chooses their delivery preference themself.
pub fn may_choose_delivery(actor: &Actor) -> Result<super::MemberId, Refusal> {
    match actor {
        Actor::Member(principal) => Ok(principal.member_id),
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        Actor::System => Err(Refusal::Forbidden(
            "A member chooses how they hear and confirms their own address, with their own token.",
        )),
    }
}

/// A member manages their own API tokens; the administrators of an area the owner belongs
/// to (`owner_areas`) may revoke them too.
pub fn may_manage_tokens(
    actor: &Actor,
    owner: MemberId,
    owner_areas: &[GroupId],
) -> Result<(), Refusal> {
    match actor {
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        _ if actor.member_id() == Some(owner) => Ok(()),
        _ if owner_areas.iter().any(|a| actor.administers(*a)) => Ok(()),
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
    /// In the quality team of the item's area.
    pub commissioner: bool,
}

impl Standing {
    /// The standing of a report that travels with its lead: it moves on the lead's
    /// authority, which `plan_move` has already checked for the lead.
    pub const FOLLOWING_LEAD: Standing = Standing {
        officer: true,
        representative: true,
        commissioner: true,
    };
}

/// What the caller is at `group` (in `area`): an officer of it, its representative on the
/// tier above, a commissioner of the area.
pub fn standing(actor: &Actor, group: GroupId, area: GroupId) -> Standing {
    let seats = actor.seats();
    Standing {
        officer: seats
            .iter()
            .any(|s| s.group == group && s.role.is_officer()),
        representative: seats
            .iter()
            .any(|s| s.role == Role::Representative && s.represents == Some(group)),
        commissioner: actor.is_commissioner_of(area),
    }
}

/// Whether the caller sits in a group (in any role, current).
pub fn sits_in(actor: &Actor, group: GroupId) -> bool {
    actor.seats().iter().any(|s| s.group == group)
}

/// Which items a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// The operator at the command line.
    Everything,
    /// Items of these areas (the caller's quality teams), and items raised in or that have
    /// reached any of these groups (the caller's seats).
    Scoped {
        areas: Vec<GroupId>,
        groups: Vec<GroupId>,
    },
}

impl Visibility {
    /// Whether an item of `area` that reached `reached` is visible.
    pub fn allows(&self, area: GroupId, reached: &[GroupId]) -> bool {
        match self {
            Visibility::Everything => true,
            Visibility::Scoped { areas, groups } => {
                areas.contains(&area) || reached.iter().any(|g| groups.contains(g))
            }
        }
    }
}

/// Members of a group see the items raised in it and every item that has reached it or
/// passed through it; an area's commissioners see all of its items. Administrators see
/// items only through the groups they sit in.
pub fn visibility(actor: &Actor) -> Visibility {
    match actor {
        Actor::System => Visibility::Everything,
        _ => {
            let mut groups: Vec<GroupId> = actor.seats().iter().map(|s| s.group).collect();
            groups.sort();
            groups.dedup();
            let mut areas = actor.areas_where(OrgRole::Commissioner);
            areas.sort();
            areas.dedup();
            Visibility::Scoped { areas, groups }
        }
    }
}

/// Who acknowledges, takes up or dismisses a pattern: the officers of the group it belongs
/// to.
pub fn may_act_on_pattern(actor: &Actor, owner: GroupId) -> Result<(), Refusal> {
    may_run_group(
        actor,
        owner,
        "Only the secretary or chair of the group a pattern belongs to can acknowledge, take up or dismiss it.",
    )
}

/// Who sets an item's themes, provider or severity: the officers of the group holding it and
/// the area's commissioners; for themes and the provider, also whoever raised it while it is
/// still at its PPG.
pub fn may_classify(
    actor: &Actor,
    standing: Standing,
    is_submitter_at_ppg: bool,
) -> Result<(), Refusal> {
    match actor {
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        Actor::System => Ok(()),
        _ if standing.officer || standing.commissioner || is_submitter_at_ppg => Ok(()),
        _ => Err(Refusal::Forbidden(
            "Only the secretary or chair of the group holding an item, or the commissioners, can change how it is classified.",
        )),
    }
}

/// Who may raise an item in a group: its current members (in any role).
pub fn may_raise_in(actor: &Actor, group: GroupId) -> Result<(), Refusal> {
    match actor {
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        Actor::System => Ok(()),
        _ if sits_in(actor, group) => Ok(()),
        _ => Err(Refusal::Forbidden(
            "You can raise items only in a group you are a member of.",
        )),
    }
}

/// Who may join other reports to an item as one matter: the officers or representative of
/// the group holding it, and the commissioners of its area.
pub fn may_link_items(actor: &Actor, standing: Standing) -> Result<(), Refusal> {
    match actor {
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        Actor::System => Ok(()),
        _ if standing.officer || standing.representative || standing.commissioner => Ok(()),
        _ => Err(Refusal::Forbidden(
            "Only the officers or representative of the group holding an item can link others to it.",
        )),
    }
}

/// A group's meetings (their agendas name the items waiting there) are seen by its members
/// and its area's commissioners; to anyone else they do not exist.
pub fn may_see_meetings_of(actor: &Actor, group: GroupId, area: GroupId) -> bool {
    matches!(actor, Actor::System) || sits_in(actor, group) || actor.is_commissioner_of(area)
}

/// Whether the caller may see who raised an item: the submitter, the officers of the PPG it
/// was raised in, and anyone who may see the item when the submitter agreed to share their
/// name.
pub fn may_see_submitter(
    actor: &Actor,
    submitter: MemberId,
    origin: GroupId,
    shared: bool,
) -> bool {
    shared
        || matches!(actor, Actor::System)
        || actor.member_id() == Some(submitter)
        || actor
            .seats()
            .iter()
            .any(|s| s.group == origin && s.role.is_officer())
}

/// Feedback from other sources (FFT, complaints, PALS, Care Opinion) is imported into an area
/// by its commissioners, who triangulate it, or by the operator; the ODS register, which every
/// area shares, by an administrator of the area the import is recorded in.
pub fn may_import(actor: &Actor, area: GroupId, register: bool) -> Result<(), Refusal> {
    match actor {
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        Actor::System => Ok(()),
        _ if register && actor.administers(area) => Ok(()),
        _ if !register && actor.is_commissioner_of(area) => Ok(()),
        _ if register => Err(Refusal::Forbidden(
            "Only an administrator of this area can import the ODS register.",
        )),
        _ => Err(Refusal::Forbidden(
            "Only the commissioners of this area can import its complaints, PALS, FFT and Care Opinion figures.",
        )),
    }
}

/// An area's imports are listed, and undone, by its commissioners and administrators.
pub fn may_see_imports(actor: &Actor, area: GroupId) -> bool {
    actor.administers(area) || actor.is_commissioner_of(area)
}

/// Triangulation figures are about organisations, not people. For a provider they are seen by
/// the area's commissioners and its council's members, and by the members of a district whose
/// PPGs have reported the provider (`reporting_districts`).
pub fn may_triangulate(
    actor: &Actor,
    area: GroupId,
    reporting_districts: &[GroupId],
) -> Result<(), Refusal> {
    match actor {
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        Actor::System => Ok(()),
        _ if actor.is_commissioner_of(area) || sits_in(actor, area) => Ok(()),
        _ if reporting_districts.iter().any(|d| sits_in(actor, *d)) => Ok(()),
        _ => Err(Refusal::Forbidden(
            "Triangulation for a provider is seen by the council and the commissioners of the area, and by districts whose PPGs have reported the provider.",
        )),
    }
}

/// An area's monthly patient-experience report, before it is published, is read by its
/// commissioners and its council's members (it counts every tier's items and the imported
/// figures of every provider).
pub fn may_see_monthly_report(actor: &Actor, area: GroupId) -> Result<(), Refusal> {
    match actor {
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        Actor::System => Ok(()),
        _ if actor.is_commissioner_of(area) || sits_in(actor, area) => Ok(()),
        _ => Err(Refusal::Forbidden(
            "The monthly report is read by the Patients' Council and the commissioners of the area until it is published.",
        )),
    }
}

/// The monthly report is published (for everyone to read, as it was that day) by the area's
/// commissioners or the council's secretary or chair.
pub fn may_publish_monthly_report(actor: &Actor, area: GroupId) -> Result<(), Refusal> {
    match actor {
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        Actor::System => Ok(()),
        _ if actor.is_commissioner_of(area) || actor.officer_of().contains(&area) => Ok(()),
        _ => Err(Refusal::Forbidden(
            "Only the commissioners of the area or the Patients' Council's secretary or chair can publish its monthly report.",
        )),
    }
}

/// A planned change is followed (recorded as made, given a new date, abandoned) by the
/// commissioners of the item's area, who answered it, by its owner when the owner is a member,
/// or by the operator.
pub fn may_follow_change(
    actor: &Actor,
    area: GroupId,
    owner: Option<MemberId>,
) -> Result<(), Refusal> {
    match actor {
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        Actor::System => Ok(()),
        _ if actor.is_commissioner_of(area) => Ok(()),
        _ if owner.is_some() && actor.member_id() == owner => Ok(()),
        _ => Err(Refusal::Forbidden(
            "Only the commissioners of this area, or the member who owns the change, can record what became of it.",
        )),
    }
}

/// An area's register of consultations is kept by its commissioners (and the operator).
pub fn may_manage_consultations(actor: &Actor, area: GroupId) -> Result<(), Refusal> {
    match actor {
        Actor::Anonymous => Err(Refusal::Unauthenticated),
        Actor::System => Ok(()),
        _ if actor.is_commissioner_of(area) => Ok(()),
        _ => Err(Refusal::Forbidden(
            "Only the commissioners of this area can record, change or remove its consultations and publish the consultation report.",
        )),
    }
}

/// The whole of an area's register is read by its commissioners and its council's members.
pub fn may_read_consultations_of(actor: &Actor, area: GroupId) -> bool {
    matches!(actor, Actor::System) || actor.is_commissioner_of(area) || sits_in(actor, area)
}

/// One consultation is read by whoever reads the area's register, and by the members of the
/// groups it involved (a PPG asked about its practice sees what was recorded of it).
pub fn may_read_consultation(actor: &Actor, area: GroupId, involved: &[GroupId]) -> bool {
    may_read_consultations_of(actor, area) || involved.iter().any(|g| sits_in(actor, *g))
}

#[cfg(test)]
mod tests {
    use super::*;

    const AREA: GroupId = GroupId(1);
    const OTHER_AREA: GroupId = GroupId(100);

    fn with(seats: Vec<Seat>, area_roles: Vec<AreaRole>) -> Actor {
        Actor::Member(Principal {
            member_id: MemberId(7),
            seats,
            area_roles,
        })
    }

    fn holding(role: OrgRole, area: GroupId) -> Actor {
        with(vec![], vec![AreaRole { area, role }])
    }

    fn seat(group: i64, role: Role) -> Seat {
        Seat {
            group: GroupId(group),
            role,
            represents: None,
        }
    }

    #[test]
    fn areas_are_set_up_by_the_operator_and_run_by_their_administrators() {
        let admin = holding(OrgRole::Administrator, AREA);
        assert_eq!(
            may_manage_structure(&Actor::Anonymous, Some(AREA)),
            Err(Refusal::Unauthenticated)
        );
        assert!(may_manage_structure(&admin, Some(AREA)).is_ok());
        assert!(may_manage_structure(&admin, Some(OTHER_AREA)).is_err());
        assert!(may_manage_structure(&admin, None).is_err());
        assert!(may_manage_structure(&Actor::System, None).is_ok());
        let commissioner = holding(OrgRole::Commissioner, AREA);
        assert!(may_manage_structure(&commissioner, Some(AREA)).is_err());
        assert!(may_grant_area_roles(&admin, AREA).is_ok());
        assert!(may_grant_area_roles(&admin, OTHER_AREA).is_err());
        assert!(may_manage_providers(&admin).is_ok());
        assert!(may_manage_providers(&commissioner).is_err());
    }

    #[test]
    fn officers_manage_their_group_and_the_groups_below() {
        let (ppg, district, council) = (GroupId(3), GroupId(2), GroupId(1));
        let ppg_path = [ppg, district, council];
        let district_path = [district, council];
        let officer = with(vec![seat(2, Role::Secretary)], vec![]);
        assert!(may_manage_memberships(&officer, &ppg_path, AREA).is_ok());
        assert!(may_manage_memberships(&officer, &district_path, AREA).is_ok());
        let ppg_chair = with(vec![seat(3, Role::Chair)], vec![]);
        assert!(may_manage_memberships(&ppg_chair, &district_path, AREA).is_err());
        let admin = holding(OrgRole::Administrator, AREA);
        assert!(may_manage_memberships(&admin, &ppg_path, AREA).is_ok());
        assert!(may_manage_memberships(&admin, &ppg_path, OTHER_AREA).is_err());
        // A commissioner sees the area's items but does not run its groups.
        let commissioner = holding(OrgRole::Commissioner, AREA);
        assert!(may_manage_memberships(&commissioner, &ppg_path, AREA).is_err());
    }

    #[test]
    fn officers_run_a_group_and_administrators_do_not_read_its_business() {
        assert!(runs_group(
            &with(vec![seat(2, Role::Secretary)], vec![]),
            GroupId(2)
        ));
        assert!(runs_group(
            &with(vec![seat(2, Role::Chair)], vec![]),
            GroupId(2)
        ));
        assert!(!runs_group(
            &with(vec![seat(2, Role::Member)], vec![]),
            GroupId(2)
        ));
        assert!(!runs_group(
            &with(vec![seat(2, Role::Secretary)], vec![]),
            GroupId(3)
        ));
        let admin = holding(OrgRole::Administrator, AREA);
        assert!(!runs_group(&admin, GroupId(3)));
        assert!(may_link_channel(&admin, GroupId(3), AREA).is_ok());
        assert!(may_link_channel(&admin, GroupId(3), OTHER_AREA).is_err());
        assert_eq!(
            may_run_group(&Actor::Anonymous, GroupId(2), "no"),
            Err(Refusal::Unauthenticated)
        );
    }

    #[test]
    fn commissioners_see_their_own_area_only() {
        let commissioner = holding(OrgRole::Commissioner, AREA);
        let visibility = visibility(&commissioner);
        assert!(visibility.allows(AREA, &[]));
        assert!(!visibility.allows(OTHER_AREA, &[]));
        let admin = holding(OrgRole::Administrator, AREA);
        assert!(!super::visibility(&admin).allows(AREA, &[GroupId(3)]));
        let member = with(vec![seat(3, Role::Member)], vec![]);
        assert!(super::visibility(&member).allows(AREA, &[GroupId(3), GroupId(2)]));
        assert!(!super::visibility(&member).allows(AREA, &[GroupId(4)]));
        assert_eq!(super::visibility(&Actor::System), Visibility::Everything);
    }

    #[test]
    fn mailing_addresses_and_failed_deliveries_are_for_officers_and_administrators() {
        let admin = holding(OrgRole::Administrator, AREA);
        let secretary = with(vec![seat(3, Role::Secretary)], vec![]);
        let member = with(vec![seat(3, Role::Member)], vec![]);
        assert!(may_set_mailing_address(&admin, GroupId(3), AREA).is_ok());
        assert!(may_set_mailing_address(&admin, GroupId(3), OTHER_AREA).is_err());
        assert!(may_set_mailing_address(&secretary, GroupId(3), AREA).is_ok());
        assert!(may_set_mailing_address(&member, GroupId(3), AREA).is_err());
        assert!(may_see_deliveries_of(&secretary, GroupId(3), AREA));
        assert!(!may_see_deliveries_of(&secretary, GroupId(2), AREA));
        assert!(!may_see_deliveries_of(&member, GroupId(3), AREA));
        assert!(may_see_deliveries_of(&admin, GroupId(3), AREA));
        assert_eq!(may_choose_delivery(&member), Ok(MemberId(7)));
        assert!(may_choose_delivery(&Actor::Anonymous).is_err());
    }

    #[test]
    fn emails_are_private() {
        let member = with(vec![], vec![]);
        assert!(may_see_email(&member, MemberId(7), false));
        assert!(!may_see_email(&member, MemberId(8), false));
        let admin = holding(OrgRole::Administrator, AREA);
        assert!(may_see_email(&admin, MemberId(8), true));
        assert!(!may_see_email(&admin, MemberId(8), false));
        assert!(!may_see_email(&Actor::Anonymous, MemberId(8), false));
    }

    #[test]
    fn the_submitter_is_named_only_where_they_agreed() {
        let origin = GroupId(3);
        let submitter = MemberId(9);
        let chair = with(vec![seat(3, Role::Chair)], vec![]);
        let district_secretary = with(vec![seat(2, Role::Secretary)], vec![]);
        let commissioner = holding(OrgRole::Commissioner, AREA);
        assert!(may_see_submitter(&chair, submitter, origin, false));
        assert!(!may_see_submitter(
            &district_secretary,
            submitter,
            origin,
            false
        ));
        assert!(!may_see_submitter(&commissioner, submitter, origin, false));
        assert!(may_see_submitter(&commissioner, submitter, origin, true));
        let own = Actor::Member(Principal {
            member_id: submitter,
            seats: vec![],
            area_roles: vec![],
        });
        assert!(may_see_submitter(&own, submitter, origin, false));
    }

    #[test]
    fn a_planned_change_is_followed_by_the_commissioners_and_its_owner() {
        let commissioner = holding(OrgRole::Commissioner, AREA);
        assert!(may_follow_change(&commissioner, AREA, None).is_ok());
        assert!(may_follow_change(&commissioner, OTHER_AREA, None).is_err());
        let owner = with(vec![], vec![]);
        assert!(may_follow_change(&owner, AREA, Some(MemberId(7))).is_ok());
        assert!(may_follow_change(&owner, AREA, Some(MemberId(8))).is_err());
        assert!(may_follow_change(&owner, AREA, None).is_err());
        let ppg_officer = with(vec![seat(3, Role::Chair)], vec![]);
        assert!(matches!(
            may_follow_change(&ppg_officer, AREA, None),
            Err(Refusal::Forbidden(_))
        ));
        assert_eq!(
            may_follow_change(&Actor::Anonymous, AREA, None),
            Err(Refusal::Unauthenticated)
        );
        assert!(may_follow_change(&Actor::System, AREA, None).is_ok());
    }

    #[test]
    fn the_register_is_kept_by_commissioners_and_read_by_those_it_involved() {
        let (ppg, other_ppg) = (GroupId(3), GroupId(4));
        let commissioner = holding(OrgRole::Commissioner, AREA);
        assert!(may_manage_consultations(&commissioner, AREA).is_ok());
        assert!(may_manage_consultations(&commissioner, OTHER_AREA).is_err());
        assert!(may_manage_consultations(&holding(OrgRole::Administrator, AREA), AREA).is_err());
        assert!(may_manage_consultations(&Actor::System, AREA).is_ok());
        assert_eq!(
            may_manage_consultations(&Actor::Anonymous, AREA),
            Err(Refusal::Unauthenticated)
        );
        let council_member = with(vec![seat(1, Role::Member)], vec![]);
        let ppg_member = with(vec![seat(3, Role::Member)], vec![]);
        assert!(may_manage_consultations(&council_member, AREA).is_err());
        assert!(may_read_consultations_of(&council_member, AREA));
        assert!(may_read_consultations_of(&commissioner, AREA));
        assert!(!may_read_consultations_of(&ppg_member, AREA));
        assert!(may_read_consultation(&ppg_member, AREA, &[ppg]));
        assert!(!may_read_consultation(&ppg_member, AREA, &[other_ppg]));
        assert!(!may_read_consultation(&commissioner, OTHER_AREA, &[]));
    }
}
