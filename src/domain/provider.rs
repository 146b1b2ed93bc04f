//! Providers: the organisations that deliver care, and their services, that items are about.

use super::ProviderId;
use super::text::{self, InvalidInput, parse_text};

stored_enum!(ProviderKind {
    AcuteTrust = "ACUTE_TRUST",
    MentalHealthTrust = "MENTAL_HEALTH_TRUST",
    CommunityTrust = "COMMUNITY_TRUST",
    AmbulanceTrust = "AMBULANCE_TRUST",
    OutOfHours = "OUT_OF_HOURS",
    GpPractice = "GP_PRACTICE",
    /// A service run by one of the organisations above (a ward, a clinic, a helpline).
    Service = "SERVICE",
    Other = "OTHER",
});

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderName(String);

impl ProviderName {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        parse_text("name", "A provider's name", raw, text::NAME).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An organisation's code in the NHS Organisation Data Service, such as `RJE` or `RJE01`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OdsCode(String);

impl OdsCode {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let code = raw.trim().to_ascii_uppercase();
        if (3..=10).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric()) {
            Ok(Self(code))
        } else {
            Err(InvalidInput::new(
                "odsCode",
                format!(
                    "'{}' is not an ODS code: 3 to 10 letters and digits, such as RJE.",
                    raw.trim()
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub id: ProviderId,
    pub name: ProviderName,
    pub kind: ProviderKind,
    pub ods_code: Option<OdsCode>,
    /// The organisation that runs this service, for a service.
    pub parent_id: Option<ProviderId>,
}

/// A service sits under an organisation, and only one level deep.
pub fn check_provider_parent(
    kind: ProviderKind,
    parent: Option<&Provider>,
) -> Result<(), InvalidInput> {
    match (kind, parent) {
        (ProviderKind::Service, None) => Err(InvalidInput::new(
            "parentId",
            "A service needs the organisation that runs it: give its parentId.",
        )),
        (ProviderKind::Service, Some(parent)) if parent.parent_id.is_some() => {
            Err(InvalidInput::new(
                "parentId",
                format!(
                    "'{}' is itself a service; a service sits under an organisation.",
                    parent.name.as_str()
                ),
            ))
        }
        (ProviderKind::Service, Some(_)) => Ok(()),
        (_, Some(_)) => Err(InvalidInput::new(
            "parentId",
            "Only a service (kind SERVICE) sits under another provider.",
        )),
        (_, None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ods_codes_are_short_and_alphanumeric() {
        assert_eq!(OdsCode::parse(" rje ").unwrap().as_str(), "RJE");
        for bad in ["", "RJ", "RJE-01", "ABCDEFGHIJK"] {
            assert!(OdsCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn services_sit_one_level_under_an_organisation() {
        let trust = Provider {
            id: ProviderId(1),
            name: ProviderName::parse("Trust").unwrap(),
            kind: ProviderKind::AcuteTrust,
            ods_code: None,
            parent_id: None,
        };
        let ward = Provider {
            id: ProviderId(2),
            parent_id: Some(ProviderId(1)),
            kind: ProviderKind::Service,
            ..trust.clone()
        };
        assert!(check_provider_parent(ProviderKind::Service, Some(&trust)).is_ok());
        assert!(check_provider_parent(ProviderKind::Service, Some(&ward)).is_err());
        assert!(check_provider_parent(ProviderKind::Service, None).is_err());
        assert!(check_provider_parent(ProviderKind::AcuteTrust, Some(&trust)).is_err());
        assert!(check_provider_parent(ProviderKind::AcuteTrust, None).is_ok());
    }
}
