//! What `/report` offers as the member types a theme or a provider (Discord autocomplete), and
//! how what they chose (or typed without choosing) is read back.

use sea_orm::ConnectionTrait;

use crate::domain::ids::{ProviderId, ThemeId};
use crate::domain::theme::Theme;
use crate::error::{AppError, AppResult};
use crate::services;

/// Discord shows at most 25 suggestions, each named in at most 100 characters.
const MAX_CHOICES: usize = 25;
const MAX_LABEL: usize = 100;

/// A suggestion: what the member reads, and the value Discord sends back when it is chosen.
pub type Suggestion = (String, String);

/// Chosen values carry a prefix, so that something typed without choosing ("111", for NHS
/// 111) is never taken for the id of whatever has that number.
const THEME: &str = "theme:";
const PROVIDER: &str = "provider:";

fn chosen_id(typed: &str, prefix: &str) -> Option<i64> {
    typed.strip_prefix(prefix)?.parse().ok()
}

fn fit(label: String) -> String {
    if label.chars().count() <= MAX_LABEL {
        label
    } else {
        let mut cut: String = label.chars().take(MAX_LABEL - 1).collect();
        cut.push('…');
        cut
    }
}

/// How a theme reads in the list: "Heading" or "Heading › Subheading".
fn label(theme: &Theme, all: &[Theme]) -> String {
    match theme
        .parent_id
        .and_then(|parent| all.iter().find(|t| t.id == parent))
    {
        Some(heading) => format!("{} › {}", heading.name, theme.name),
        None => theme.name.clone(),
    }
}

/// The themes to offer for what has been typed so far: the headings before anything is
/// typed, then every theme whose heading or name contains it, headings first.
pub fn matching_themes(all: &[Theme], typed: &str) -> Vec<Suggestion> {
    let typed = typed.trim().to_lowercase();
    let mut found: Vec<(bool, String, ThemeId)> = all
        .iter()
        .filter(|t| {
            if typed.is_empty() {
                t.parent_id.is_none()
            } else {
                label(t, all).to_lowercase().contains(&typed) || t.slug.starts_with(&typed)
            }
        })
        .map(|t| (t.parent_id.is_some(), label(t, all), t.id))
        .collect();
    found.sort();
    found
        .into_iter()
        .take(MAX_CHOICES)
        .map(|(_, label, id)| (fit(label), format!("{THEME}{id}")))
        .collect()
}

/// The theme a `/report` option stands for: the one chosen from the list (its id), or one
/// whose name the member typed in full. Nothing typed is no theme.
pub fn read_theme(all: &[Theme], typed: &str) -> Result<Option<ThemeId>, AppError> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    if let Some(id) = chosen_id(typed, THEME)
        && let Some(theme) = all.iter().find(|t| t.id.0 == id)
    {
        return Ok(Some(theme.id));
    }
    let lower = typed.to_lowercase();
    all.iter()
        .find(|t| {
            t.name.to_lowercase() == lower
                || t.slug == lower
                || label(t, all).to_lowercase() == lower
        })
        .map(|t| Some(t.id))
        .ok_or_else(|| {
            AppError::bad_input(
                "theme",
                format!(
                    "'{}' is not one of Pyramid's themes. Start typing and choose one from the list Discord shows, or leave the theme out and Pyramid will suggest one.",
                    typed.chars().take(100).collect::<String>()
                ),
            )
        })
}

pub async fn themes(conn: &impl ConnectionTrait, typed: &str) -> AppResult<Vec<Suggestion>> {
    Ok(matching_themes(&services::themes::all(conn).await?, typed))
}

/// Register entries whose name contains what was typed or whose ODS code starts with it.
pub async fn providers(conn: &impl ConnectionTrait, typed: &str) -> AppResult<Vec<Suggestion>> {
    let typed: String = typed.chars().take(200).collect();
    let found = services::providers::search(conn, &typed, MAX_CHOICES as u64).await?;
    Ok(found
        .into_iter()
        .map(|p| {
            let label = match &p.ods_code {
                Some(code) => format!("{} ({})", p.name.as_str(), code.as_str()),
                None => p.name.as_str().to_owned(),
            };
            (fit(label), format!("{PROVIDER}{}", p.id))
        })
        .collect())
}

/// What a `/report` provider option stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderChoice {
    None,
    Registered(ProviderId),
    /// Typed without choosing, and matching no single register entry: the form offers it
    /// back to be kept as written.
    Typed(String),
}

pub async fn read_provider(conn: &impl ConnectionTrait, typed: &str) -> AppResult<ProviderChoice> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(ProviderChoice::None);
    }
    if let Some(id) = chosen_id(typed, PROVIDER) {
        match services::providers::get(conn, ProviderId(id)).await {
            Ok(provider) => return Ok(ProviderChoice::Registered(provider.id)),
            Err(AppError::NotFound(_)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(match services::providers::match_name(conn, typed).await? {
        Some(provider) => ProviderChoice::Registered(provider.id),
        None => ProviderChoice::Typed(typed.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theme(id: i64, parent: Option<i64>, slug: &str, name: &str) -> Theme {
        Theme {
            id: ThemeId(id),
            parent_id: parent.map(ThemeId),
            slug: slug.to_owned(),
            name: name.to_owned(),
            ko41_subject: None,
            cqc_key_question: None,
        }
    }

    fn vocabulary() -> Vec<Theme> {
        vec![
            theme(1, None, "waiting-times", "Waiting times"),
            theme(
                2,
                Some(1),
                "waiting-times/for-a-call-back",
                "Waiting for a call back",
            ),
            theme(
                3,
                None,
                "urgent-out-of-hours",
                "Urgent and out-of-hours care",
            ),
            theme(4, Some(3), "urgent-out-of-hours/nhs-111", "NHS 111"),
            theme(5, None, "a-and-e", "A&E"),
        ]
    }

    #[test]
    fn before_typing_the_headings_are_offered_then_whatever_contains_the_text() {
        let all = vocabulary();
        let labels = |typed: &str| -> Vec<String> {
            matching_themes(&all, typed)
                .into_iter()
                .map(|(l, _)| l)
                .collect()
        };
        assert_eq!(
            labels(""),
            ["A&E", "Urgent and out-of-hours care", "Waiting times"]
        );
        assert_eq!(
            labels("wait"),
            ["Waiting times", "Waiting times › Waiting for a call back"]
        );
        assert_eq!(labels("111"), ["Urgent and out-of-hours care › NHS 111"]);
        assert_eq!(labels("a&e"), ["A&E"]);
        assert!(labels("podiatry").is_empty());
        assert_eq!(
            matching_themes(&all, "111")[0].1,
            "theme:4",
            "the value is the id"
        );
    }

    #[test]
    fn a_theme_is_read_from_its_id_or_its_name_and_anything_else_is_explained() {
        let all = vocabulary();
        assert_eq!(read_theme(&all, "theme:4").unwrap(), Some(ThemeId(4)));
        // A number typed without choosing is not taken for an id.
        assert!(read_theme(&all, "4").is_err());
        assert_eq!(read_theme(&all, " nhs 111 ").unwrap(), Some(ThemeId(4)));
        assert_eq!(
            read_theme(&all, "Urgent and out-of-hours care › NHS 111").unwrap(),
            Some(ThemeId(4))
        );
        assert_eq!(read_theme(&all, "").unwrap(), None);
        let error = read_theme(&all, "parking").unwrap_err();
        assert_eq!(error.field(), Some("theme"));
        assert!(error.message().contains("'parking' is not one of"));
        // An id that is no theme is not taken as one.
        assert!(read_theme(&all, "theme:99").is_err());
    }

    #[test]
    fn long_names_are_cut_to_what_discord_accepts() {
        let long = "x".repeat(150);
        assert_eq!(fit(long).chars().count(), MAX_LABEL);
        assert_eq!(fit("short".to_owned()), "short");
    }
}
