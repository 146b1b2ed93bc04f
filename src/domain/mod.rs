//! The domain: Pyramid's types and rules, with no I/O and no web, GraphQL, chat or database
//! crate. Input is parsed into these types once, at the edge; code past the edge can rely on them.

/// An enum stored as a fixed string (`"AT_DISTRICT"`): `as_str` for writing, `from_db` for
/// reading (`None` for a value this build does not know, which callers report as corrupt),
/// `ALL` in declaration order, and serde as the same string.
macro_rules! stored_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vdoc])* $variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            pub fn from_db(value: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == value)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(deserializer)?;
                Self::from_db(&text).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "unknown {} '{}'",
                        stringify!($name),
                        text
                    ))
                })
            }
        }
    };
}

pub mod authz;
pub mod change;
pub mod clock;
pub mod consultation;
pub mod delivery;
pub mod feedback;
pub mod group;
pub mod ids;
pub mod item;
pub mod language;
pub mod meeting;
pub mod member;
pub mod monthly;
pub mod newsletter;
pub mod page;
pub mod pattern;
pub mod provider;
pub mod redaction;
pub mod report;
pub mod spc;
pub mod text;
pub mod theme;
pub mod watch;

pub use ids::*;
pub use text::{InvalidInput, RedactedText, TextRule, parse_text};
