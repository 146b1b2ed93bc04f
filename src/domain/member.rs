//! Members, their roles in groups, and nominations.

use chrono::NaiveDate;

use super::delivery::DeliveryPreference;
use super::text::{self, InvalidInput, parse_text};
use super::{GroupId, MemberId, MembershipId};

/// A person's name as their groups know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberName(String);

impl MemberName {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        parse_text("name", "A member's name", raw, text::NAME).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address, kept in lower case so that one person is one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let email = raw.trim().to_lowercase();
        let invalid = || {
            InvalidInput::new(
                "email",
                format!(
                    "'{}' does not look like an e-mail address (name@example.org).",
                    raw.trim()
                ),
            )
        };
        if email.len() > 320 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@');
        if local.is_empty() || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

stored_enum!(
    /// What a person does in a group.
    Role {
        Member = "MEMBER",
        /// Sits in this group on behalf of a group in the tier below (a nomination).
        Representative = "REPRESENTATIVE",
        Secretary = "SECRETARY",
        Chair = "CHAIR",
        /// Commissioner or practice staff attending the group.
        Staff = "STAFF",
    }
);

impl Role {
    /// Officers run the group: they manage its memberships and those of the groups below.
    pub fn is_officer(self) -> bool {
        matches!(self, Role::Secretary | Role::Chair)
    }
}

/// A person known to Pyramid. Their organisation roles are held in areas
/// (`authz::AreaRole`); their places in groups are memberships.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: MemberId,
    pub name: MemberName,
    pub email: Option<Email>,
    /// How they hear, seen by whoever may see their e-mail address (`None` for anyone else).
    pub delivery: Option<DeliverySettings>,
}

/// What a member set up for hearing from Pyramid, as stored on their record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliverySettings {
    /// Their choice; `None` means the default (`delivery::Reach::preference`).
    pub chosen: Option<DeliveryPreference>,
    /// Their e-mail address is confirmed, so it may be written to.
    pub email_confirmed: bool,
}

/// A person's term in a role in a group. A nomination is a membership with the role
/// `Representative` that names the group it represents; ending one keeps the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub id: MembershipId,
    pub member_id: MemberId,
    pub group_id: GroupId,
    pub role: Role,
    pub represents: Option<GroupId>,
    pub since: NaiveDate,
    pub until: Option<NaiveDate>,
}

impl Membership {
    pub fn is_current(&self) -> bool {
        self.until.is_none()
    }
}

/// Checks the end date of a term.
pub fn check_term_end(since: NaiveDate, until: NaiveDate) -> Result<(), InvalidInput> {
    if until < since {
        Err(InvalidInput::new(
            "until",
            format!("A term cannot end ({until}) before it started ({since})."),
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(
            Email::parse(" Jo.Bloggs@Example.ORG ").unwrap().as_str(),
            "jo.bloggs@example.org"
        );
        for bad in [
            "",
            "jo",
            "jo@",
            "@example.org",
            "jo@example",
            "jo bloggs@example.org",
        ] {
            assert_eq!(Email::parse(bad).unwrap_err().field, "email", "{bad}");
        }
    }

    #[test]
    fn only_secretaries_and_chairs_are_officers() {
        let officers: Vec<Role> = Role::ALL
            .iter()
            .copied()
            .filter(|r| r.is_officer())
            .collect();
        assert_eq!(officers, vec![Role::Secretary, Role::Chair]);
    }

    #[test]
    fn a_term_cannot_end_before_it_starts() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        assert!(check_term_end(day(10), day(10)).is_ok());
        assert_eq!(check_term_end(day(10), day(9)).unwrap_err().field, "until");
    }
}
