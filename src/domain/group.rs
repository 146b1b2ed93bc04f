//! Groups and the shape of the pyramid: which kind of group sits under which.

use super::GroupId;
use super::text::{self, InvalidInput, parse_text};

stored_enum!(
    /// The three tiers of the pyramid.
    GroupKind {
        /// A Patient Participation Group: one per GP practice.
        Ppg = "PPG",
        /// A District Group: one per borough or commissioning area.
        District = "DISTRICT",
        /// The Patients' Council: the top tier.
        Council = "COUNCIL",
    }
);

impl GroupKind {
    /// The kind of group this kind must sit under; `None` for the top of the pyramid.
    ///
    /// Because each kind's parent is exactly one tier up, the hierarchy cannot contain a
    /// cycle: following parents always climbs a tier and stops at the council.
    pub fn parent_kind(self) -> Option<GroupKind> {
        match self {
            GroupKind::Ppg => Some(GroupKind::District),
            GroupKind::District => Some(GroupKind::Council),
            GroupKind::Council => None,
        }
    }

    /// The word people use for this kind of group.
    pub fn label(self) -> &'static str {
        match self {
            GroupKind::Ppg => "PPG",
            GroupKind::District => "District Group",
            GroupKind::Council => "Patients' Council",
        }
    }

    /// How many current representatives a group of this kind may have on its parent:
    /// a PPG nominates one representative to its district; a district may send several to
    /// the council.
    pub fn max_representatives(self) -> Option<usize> {
        match self {
            GroupKind::Ppg => Some(1),
            GroupKind::District => None,
            GroupKind::Council => Some(0),
        }
    }
}

/// Checks that a group of `kind` may sit under `parent` (given as the parent's kind).
pub fn check_parent(kind: GroupKind, parent: Option<GroupKind>) -> Result<(), InvalidInput> {
    match (kind.parent_kind(), parent) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(InvalidInput::new(
            "parentId",
            "The Patients' Council is the top of the pyramid and cannot sit under another group.",
        )),
        (Some(expected), None) => Err(InvalidInput::new(
            "parentId",
            format!(
                "A {} must sit under a {}: choose its parent group.",
                kind.label(),
                expected.label()
            ),
        )),
        (Some(expected), Some(actual)) if expected == actual => Ok(()),
        (Some(expected), Some(actual)) => Err(InvalidInput::new(
            "parentId",
            format!(
                "A {} must sit under a {}, not under a {}.",
                kind.label(),
                expected.label(),
                actual.label()
            ),
        )),
    }
}

/// A group's name as people will see it in lists and newsletters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupName(String);

impl GroupName {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        parse_text("name", "A group's name", raw, text::NAME).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A GP practice's ODS code: one letter and five digits, such as `M83001`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PracticeCode(String);

impl PracticeCode {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let code = raw.trim().to_ascii_uppercase();
        let mut chars = code.chars();
        let well_formed = code.len() == 6
            && chars.next().is_some_and(|c| c.is_ascii_uppercase())
            && chars.all(|c| c.is_ascii_digit());
        if well_formed {
            Ok(Self(code))
        } else {
            Err(InvalidInput::new(
                "practiceCode",
                format!(
                    "'{}' is not a GP practice code: it is one letter and five digits, such as M83001.",
                    raw.trim()
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A group as the rest of the program sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: GroupId,
    pub kind: GroupKind,
    pub name: GroupName,
    pub parent_id: Option<GroupId>,
    pub practice_code: Option<PracticeCode>,
    /// The council this group is under (a council is its own area).
    pub area_id: GroupId,
}

/// Checks a new or changed group: its kind's parent rule, and that PPGs (and only PPGs)
/// carry a practice code.
pub fn check_group(
    kind: GroupKind,
    parent: Option<GroupKind>,
    practice_code: Option<&PracticeCode>,
) -> Result<(), InvalidInput> {
    check_parent(kind, parent)?;
    match (kind, practice_code) {
        (GroupKind::Ppg, None) => Err(InvalidInput::new(
            "practiceCode",
            "A PPG needs its GP practice code, such as M83001.",
        )),
        (GroupKind::District | GroupKind::Council, Some(_)) => Err(InvalidInput::new(
            "practiceCode",
            format!(
                "Only a PPG has a practice code; a {} does not.",
                kind.label()
            ),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_sits_only_under_the_tier_above() {
        use GroupKind::*;
        for &kind in GroupKind::ALL {
            for parent in [None, Some(Ppg), Some(District), Some(Council)] {
                let allowed = matches!(
                    (kind, parent),
                    (Ppg, Some(District)) | (District, Some(Council)) | (Council, None)
                );
                assert_eq!(
                    check_parent(kind, parent).is_ok(),
                    allowed,
                    "{kind:?} under {parent:?}"
                );
            }
        }
    }

    #[test]
    fn practice_codes_are_a_letter_and_five_digits() {
        assert_eq!(PracticeCode::parse(" m83001 ").unwrap().as_str(), "M83001");
        for bad in [
            "", "M8300", "M830011", "883001", "MM3001", "M83 01", "Ä83001",
        ] {
            let error = PracticeCode::parse(bad).unwrap_err();
            assert_eq!(error.field, "practiceCode", "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            GroupName::parse("  Riverside  ").unwrap().as_str(),
            "Riverside"
        );
        assert!(GroupName::parse("   ").is_err());
        assert!(GroupName::parse(&"x".repeat(201)).is_err());
        assert!(GroupName::parse("two\nlines").is_err());
    }

    #[test]
    fn only_ppgs_carry_practice_codes() {
        let code = PracticeCode::parse("M83001").unwrap();
        assert!(check_group(GroupKind::Ppg, Some(GroupKind::District), Some(&code)).is_ok());
        assert!(check_group(GroupKind::Ppg, Some(GroupKind::District), None).is_err());
        assert!(check_group(GroupKind::District, Some(GroupKind::Council), Some(&code)).is_err());
    }
}
