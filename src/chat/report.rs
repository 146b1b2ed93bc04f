//! The soft-intelligence template as a Discord form. `/report` takes the choices as command
//! options (kind, sentiment, safety, source) and opens a form for the text; "Report as soft
//! intelligence" on a message opens a form pre-filled with the message, which asks for the
//! sentiment and safety too. The form's limits match Pyramid's, so Discord refuses what
//! Pyramid would.

use chrono::NaiveDate;
use serenity::all::{CreateActionRow, CreateInputText, CreateModal, InputTextStyle};

use crate::domain::ids::{ProviderId, ThemeId};
use crate::domain::item::{InformationSource, ItemKind, Sentiment};
use crate::error::AppError;

pub const TITLE: &str = "title";
pub const BODY: &str = "body";
pub const PROVIDER: &str = "provider";
pub const WHEN: &str = "when";
pub const SENTIMENT: &str = "sentiment";
pub const SAFETY: &str = "safety";

/// Discord's longest text input is 4,000 characters.
const BODY_MAX: u16 = 4_000;

/// The choices made before the form opens, carried in the form's custom id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choices {
    pub kind: ItemKind,
    /// `None` when the form asks for it (the message command).
    pub sentiment: Option<Sentiment>,
    pub safety: Option<bool>,
    pub source: InformationSource,
    /// The member agreed that their name may travel with the report.
    pub share_name: bool,
    /// The theme chosen from the vocabulary; without one, Pyramid suggests themes from the text.
    pub theme: Option<ThemeId>,
    /// The provider chosen from the register; the form then does not ask for one.
    pub provider: Option<ProviderId>,
}

impl Choices {
    pub fn to_custom_id(self) -> String {
        format!(
            "report|{}|{}|{}|{}|{}|{}|{}",
            self.kind.as_str(),
            self.sentiment.map_or("", |s| s.as_str()),
            self.safety.map_or("", |s| if s { "Y" } else { "N" }),
            self.source.as_str(),
            if self.share_name { "S" } else { "" },
            self.theme.map(|t| t.0.to_string()).unwrap_or_default(),
            self.provider.map(|p| p.0.to_string()).unwrap_or_default(),
        )
    }

    pub fn from_custom_id(id: &str) -> Option<Self> {
        let mut parts = id.split('|');
        if parts.next()? != "report" {
            return None;
        }
        let kind = ItemKind::from_db(parts.next()?)?;
        let sentiment = match parts.next()? {
            "" => None,
            s => Some(Sentiment::from_db(s)?),
        };
        let safety = match parts.next()? {
            "" => None,
            "Y" => Some(true),
            _ => Some(false),
        };
        let source = InformationSource::from_db(parts.next()?)?;
        // Forms opened before sharing a name, a theme or a provider were asked about have
        // fewer parts.
        let share_name = parts.next() == Some("S");
        let id = |part: Option<&str>| match part {
            None | Some("") => Some(None),
            Some(n) => n.parse::<i64>().ok().map(Some),
        };
        let theme = id(parts.next())?.map(ThemeId);
        let provider = id(parts.next())?.map(ProviderId);
        Some(Self {
            kind,
            sentiment,
            safety,
            source,
            share_name,
            theme,
            provider,
        })
    }
}

fn input(
    style: InputTextStyle,
    label: &str,
    id: &str,
    max: u16,
    required: bool,
) -> CreateActionRow {
    CreateActionRow::InputText(
        CreateInputText::new(style, label, id)
            .max_length(max)
            .required(required),
    )
}

/// The form. `prefill` is the text of a reported message; `typed_provider` what the member
/// typed as the provider when it matched no register entry.
pub fn form(choices: Choices, prefill: Option<&str>, typed_provider: Option<&str>) -> CreateModal {
    let mut body = CreateInputText::new(InputTextStyle::Paragraph, "What happened?", BODY)
        .max_length(BODY_MAX)
        .placeholder("What the patient experienced, in their words if you can. Leave out names and NHS numbers.");
    if let Some(text) = prefill {
        body = body.value(text.chars().take(BODY_MAX as usize).collect::<String>());
    }
    let mut rows = vec![
        input(InputTextStyle::Short, "Title", TITLE, 200, true),
        CreateActionRow::InputText(body),
    ];
    // A provider chosen from the register is not asked for again; one typed that matched
    // nothing is offered back to be corrected or kept as written.
    if choices.provider.is_none() {
        let mut provider = CreateInputText::new(
            InputTextStyle::Short,
            "Provider or service (if any)",
            PROVIDER,
        )
        .max_length(200)
        .required(false)
        .placeholder("e.g. Out-of-hours GP service");
        if let Some(typed) = typed_provider {
            provider = provider.value(typed.chars().take(200).collect::<String>());
        }
        rows.push(CreateActionRow::InputText(provider));
    }
    if choices.sentiment.is_none() {
        rows.push(CreateActionRow::InputText(
            CreateInputText::new(
                InputTextStyle::Short,
                "Positive, negative or mixed?",
                SENTIMENT,
            )
            .max_length(8)
            .placeholder("negative"),
        ));
        rows.push(CreateActionRow::InputText(
            CreateInputText::new(
                InputTextStyle::Short,
                "Is a patient at risk? (yes or no)",
                SAFETY,
            )
            .max_length(3)
            .required(false)
            .placeholder("no"),
        ));
    } else {
        rows.push(CreateActionRow::InputText(
            CreateInputText::new(
                InputTextStyle::Short,
                "When did it happen? (day/month/year)",
                WHEN,
            )
            .max_length(10)
            .required(false)
            .placeholder("21/11/2026"),
        ));
    }
    CreateModal::new(choices.to_custom_id(), "Report soft intelligence").components(rows)
}

/// The parts of the template that come from the form's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filled {
    pub title: String,
    pub body: String,
    pub provider: Option<String>,
    pub experienced_on: Option<NaiveDate>,
    pub sentiment: Sentiment,
    pub safety_concern: bool,
}

pub fn parse_date(text: &str) -> Result<NaiveDate, AppError> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d"))
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%y"))
        .map_err(|_| {
            AppError::bad_input(
                "when",
                format!("'{text}' is not a date: write it as day/month/year, such as 21/11/2026."),
            )
        })
}

pub fn parse_sentiment(text: &str) -> Result<Sentiment, AppError> {
    match text.trim().to_lowercase().as_str() {
        "positive" | "pos" | "+" => Ok(Sentiment::Positive),
        "negative" | "neg" | "-" => Ok(Sentiment::Negative),
        "mixed" => Ok(Sentiment::Mixed),
        other => Err(AppError::bad_input(
            "sentiment",
            format!("'{other}' is not one of positive, negative or mixed."),
        )),
    }
}

pub fn parse_yes_no(text: &str) -> Result<bool, AppError> {
    match text.trim().to_lowercase().as_str() {
        "" | "no" | "n" => Ok(false),
        "yes" | "y" => Ok(true),
        other => Err(AppError::bad_input(
            "safety",
            format!("'{other}' is not yes or no."),
        )),
    }
}

/// Reads the form. Empty and over-long text is left to the items service, which names the
/// field in its error.
pub fn read(choices: Choices, get: impl Fn(&str) -> Option<String>) -> Result<Filled, AppError> {
    let text = |id: &str| get(id).unwrap_or_default();
    let optional = |id: &str| {
        get(id)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let sentiment = match choices.sentiment {
        Some(sentiment) => sentiment,
        None => parse_sentiment(&text(SENTIMENT))?,
    };
    let safety_concern = match choices.safety {
        Some(safety) => safety,
        None => parse_yes_no(&text(SAFETY))?,
    };
    Ok(Filled {
        title: text(TITLE),
        body: text(BODY),
        provider: optional(PROVIDER),
        experienced_on: optional(WHEN).map(|d| parse_date(&d)).transpose()?,
        sentiment,
        safety_concern,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_travel_in_the_custom_id() {
        let choices = Choices {
            kind: ItemKind::Concern,
            sentiment: Some(Sentiment::Mixed),
            safety: Some(true),
            source: InformationSource::FamilyOrCarer,
            share_name: true,
            theme: Some(ThemeId(41)),
            provider: Some(ProviderId(1_234_567)),
        };
        assert_eq!(
            Choices::from_custom_id(&choices.to_custom_id()),
            Some(choices)
        );
        let open = Choices {
            sentiment: None,
            safety: None,
            ..choices
        };
        assert_eq!(Choices::from_custom_id(&open.to_custom_id()), Some(open));
        let unchosen = Choices {
            theme: None,
            provider: None,
            ..choices
        };
        assert_eq!(
            Choices::from_custom_id(&unchosen.to_custom_id()),
            Some(unchosen)
        );
        // A form opened before sharing a name was asked about does not share it.
        assert_eq!(
            Choices::from_custom_id("report|CONCERN|MIXED|Y|FAMILY_OR_CARER"),
            Some(Choices {
                share_name: false,
                ..unchosen
            })
        );
        // A tampered id is not read as some other provider.
        assert_eq!(
            Choices::from_custom_id("report|CONCERN|MIXED|Y|FAMILY_OR_CARER|S|x|"),
            None
        );
        assert!(choices.to_custom_id().len() <= 100, "Discord's limit");
        assert_eq!(Choices::from_custom_id("something|else"), None);
    }

    #[test]
    fn the_form_is_read_with_clear_errors() {
        let open = Choices {
            kind: ItemKind::SoftIntelligence,
            sentiment: None,
            safety: None,
            source: InformationSource::Other,
            share_name: false,
            theme: None,
            provider: None,
        };
        let answers = |sentiment: &'static str, safety: &'static str| {
            move |id: &str| match id {
                TITLE => Some("Waits".to_owned()),
                BODY => Some("Long waits.".to_owned()),
                PROVIDER => Some("  ".to_owned()),
                SENTIMENT => Some(sentiment.to_owned()),
                SAFETY => Some(safety.to_owned()),
                _ => None,
            }
        };
        let filled = read(open, answers("Negative", "yes")).unwrap();
        assert_eq!(
            (filled.sentiment, filled.safety_concern, filled.provider),
            (Sentiment::Negative, true, None)
        );
        assert_eq!(
            read(open, answers("angry", "")).unwrap_err().field(),
            Some("sentiment")
        );
        assert_eq!(
            read(open, answers("mixed", "maybe")).unwrap_err().field(),
            Some("safety")
        );
        assert_eq!(
            parse_date("21/11/2026").unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
        );
        assert_eq!(
            parse_date("last Tuesday").unwrap_err().field(),
            Some("when")
        );
    }
}
