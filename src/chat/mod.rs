//! The Discord bot: the front door for representatives and members who live in their group's
//! channel. Handlers are thin: read the interaction, call a service (the same ones GraphQL
//! calls), and reply with text from `reply.rs`. Deliveries to Discord (newsletters, direct
//! messages) go through the outbox and `courier.rs`.

mod courier;
pub mod reply;
pub mod report;
pub mod suggest;

use std::sync::Arc;

use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use serenity::all::{
    Client, ClientBuilder, Command, CommandDataOption, CommandDataOptionValue, CommandInteraction,
    CommandOptionType, CommandType, Context, CreateAllowedMentions, CreateAutocompleteResponse,
    CreateCommand, CreateCommandOption, CreateInteractionResponse,
    CreateInteractionResponseMessage, EventHandler, GatewayIntents, GuildId, Http, HttpBuilder,
    Interaction, ModalInteraction, Permissions, Ready, ResolvedTarget, ShardManager,
};
use tokio::task::JoinHandle;

pub use courier::DiscordCourier;

use crate::configuration::BotConfig;
use crate::domain::authz::Actor;
use crate::domain::item::{Channel, InformationSource, ItemKind, Sentiment};
use crate::domain::language::Language;
use crate::domain::page::PageRequest;
use crate::domain::theme::Polarity;
use crate::error::AppError;
use crate::services::{self, chat::DISCORD, items};
use report::Choices;

/// A running bot.
pub struct BotHandle {
    pub http: Arc<Http>,
    /// The reqwest client inside `http`, which the courier sends with.
    client: reqwest::Client,
    shards: Arc<ShardManager>,
    task: JoinHandle<()>,
}

impl BotHandle {
    /// The courier that delivers the outbox through this bot.
    pub fn courier(&self, db: DatabaseConnection, config: &BotConfig) -> DiscordCourier {
        DiscordCourier::new(db, self.http.clone(), self.client.clone(), config)
    }

    pub async fn stop(self) {
        self.shards.shutdown_all().await;
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), self.task).await;
    }
}

/// serenity's client for Discord's REST API, and the reqwest client it is built on (the same
/// one serenity would make for itself), which the courier sends with (see `courier.rs`).
pub fn http_client(config: &BotConfig) -> anyhow::Result<(Http, reqwest::Client)> {
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .build()
        .context("could not set up the HTTP client for Discord")?;
    let mut builder = HttpBuilder::new(config.token.expose()).client(client.clone());
    if let Some(base) = &config.api_base {
        // Proxied requests must bypass serenity's rate limiter (it would send them straight
        // to discord.com); rate limits then come back as 429s, and the courier reads how long
        // they last.
        builder = builder
            .proxy(base.trim_end_matches('/'))
            .ratelimiter_disabled(true);
    }
    Ok((builder.build(), client))
}

/// Connects to Discord and starts answering members.
pub async fn start(db: DatabaseConnection, config: BotConfig) -> anyhow::Result<BotHandle> {
    let handler = Handler {
        db,
        config: Arc::new(config.clone()),
    };
    let (http, rest) = http_client(&config)?;
    let mut client: Client = ClientBuilder::new_with_http(http, GatewayIntents::GUILDS)
        .event_handler(handler)
        .await
        .context("could not set up the Discord client")?;
    let http = client.http.clone();
    let shards = client.shard_manager.clone();
    let task = tokio::spawn(async move {
        if let Err(error) = client.start().await {
            tracing::error!(%error, "the Discord bot stopped");
        }
    });
    Ok(BotHandle {
        http,
        client: rest,
        shards,
        task,
    })
}

/// The commands members use, registered at startup.
pub fn commands() -> Vec<CreateCommand> {
    let choice = |name: &str, description: &str, choices: &[(&str, &str)]| {
        choices.iter().fold(
            CreateCommandOption::new(CommandOptionType::String, name, description),
            |option, (label, value)| option.add_string_choice(*label, *value),
        )
    };
    vec![
        CreateCommand::new("link")
            .description("Link your Discord account to Pyramid with the code Pyramid gave you")
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::String,
                    "code",
                    "The code, such as ABCD-2345",
                )
                .required(true)
                .max_length(20),
            ),
        CreateCommand::new("report")
            .description("Report a patient's experience (soft intelligence) to your group")
            .add_option(choice(
                "sentiment",
                "Was the experience positive, negative or mixed?",
                &[
                    ("Negative", "NEGATIVE"),
                    ("Positive", "POSITIVE"),
                    ("Mixed", "MIXED"),
                ],
            ))
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::String,
                    "theme",
                    "What it is about, such as waiting times (start typing, then choose)",
                )
                .set_autocomplete(true)
                .max_length(100),
            )
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::String,
                    "provider",
                    "The provider or service, from the register (type a name or ODS code)",
                )
                .set_autocomplete(true)
                .max_length(200),
            )
            .add_option(CreateCommandOption::new(
                CommandOptionType::Boolean,
                "safety",
                "Could a patient be at risk? It then goes straight to the quality team",
            ))
            .add_option(CreateCommandOption::new(
                CommandOptionType::Boolean,
                "share_my_name",
                "May your name travel with it beyond your PPG's officers? (Default: no)",
            ))
            .add_option(choice(
                "kind",
                "What sort of report",
                &[
                    ("Soft intelligence", "SOFT_INTELLIGENCE"),
                    ("Concern", "CONCERN"),
                    ("Suggestion", "SUGGESTION"),
                    ("Compliment", "COMPLIMENT"),
                    ("Question", "QUESTION"),
                ],
            ))
            .add_option(choice(
                "source",
                "Where the information came from",
                &[
                    ("My own experience", "OWN_EXPERIENCE"),
                    ("Family or carer", "FAMILY_OR_CARER"),
                    ("Heard from another patient", "HEARD_FROM_ANOTHER_PATIENT"),
                    ("Other", "OTHER"),
                ],
            )),
        CreateCommand::new("Report as soft intelligence").kind(CommandType::Message),
        CreateCommand::new("status")
            .description("See where an item is and any answer")
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::String,
                    "reference",
                    "The item's reference, such as SI-2026-000123",
                )
                .required(true)
                .max_length(20),
            ),
        CreateCommand::new("mine").description("Your recent items and where they are"),
        CreateCommand::new("newsletter")
            .description("The latest newsletter for this channel's group"),
        CreateCommand::new("pyramid")
            .description("Set up Pyramid in this server")
            .default_member_permissions(Permissions::MANAGE_CHANNELS)
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::SubCommand,
                    "link-channel",
                    "Link this channel to a Pyramid group",
                )
                .add_sub_option(
                    CreateCommandOption::new(
                        CommandOptionType::String,
                        "group",
                        "The group's exact name or practice code",
                    )
                    .required(true)
                    .max_length(200),
                ),
            ),
    ]
}

struct Handler {
    db: DatabaseConnection,
    config: Arc<BotConfig>,
}

fn option<'a>(options: &'a [CommandDataOption], name: &str) -> Option<&'a CommandDataOptionValue> {
    options.iter().find(|o| o.name == name).map(|o| &o.value)
}

fn string_option(options: &[CommandDataOption], name: &str) -> Option<String> {
    match option(options, name) {
        Some(CommandDataOptionValue::String(value)) => Some(value.clone()),
        _ => None,
    }
}

/// Discord refuses messages over 2,000 characters.
fn fit(text: String) -> String {
    if text.chars().count() <= 2_000 {
        text
    } else {
        let mut cut: String = text.chars().take(1_990).collect();
        cut.push_str(" [...]");
        cut
    }
}

/// Mentions in what the bot says render as text and ping nobody: an item titled
/// "@everyone ..." must not wake the whole server.
pub(crate) fn no_pings() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
}

fn private(text: String) -> CreateInteractionResponse {
    CreateInteractionResponse::Message(
        CreateInteractionResponseMessage::new()
            .content(fit(text))
            .allowed_mentions(no_pings())
            .ephemeral(true),
    )
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        let registered = match self.config.guild {
            Some(guild) => {
                GuildId::new(guild)
                    .set_commands(&ctx.http, commands())
                    .await
            }
            None => Command::set_global_commands(&ctx.http, commands()).await,
        };
        match registered {
            Ok(commands) => {
                tracing::info!(bot = %ready.user.name, commands = commands.len(), "the Discord bot is ready")
            }
            Err(error) => tracing::error!(%error, "could not register the bot's commands"),
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let result = match interaction {
            Interaction::Command(command) => self.command(&ctx, &command).await,
            Interaction::Modal(modal) => self.submit_report(&ctx, &modal).await,
            Interaction::Autocomplete(command) => self.autocomplete(&ctx, &command).await,
            _ => Ok(()),
        };
        if let Err(error) = result {
            tracing::warn!(%error, "could not answer a Discord interaction");
        }
    }
}

impl Handler {
    /// The Pyramid member behind a Discord user; `None` when not linked.
    async fn actor(&self, user: &str) -> Result<Option<Actor>, AppError> {
        services::chat::actor_for(&self.db, DISCORD, user).await
    }

    async fn command(&self, ctx: &Context, command: &CommandInteraction) -> serenity::Result<()> {
        let user = command.user.id.to_string();
        // The member's Discord language: the bot's own sentences are said in it where they
        // are translated.
        let lang = reply::language_of(&command.locale);
        if command.data.name == "link" {
            let code = string_option(&command.data.options, "code").unwrap_or_default();
            let linked = match services::chat::link_account(&self.db, DISCORD, &user, &code).await {
                Ok(member) => services::members::get(&self.db, &Actor::System, member).await,
                Err(error) => Err(error),
            };
            let text = match linked {
                Ok(member) => reply::linked(lang, member.name.as_str()),
                Err(error @ AppError::BadUserInput { .. }) => error.message(),
                Err(_) => reply::try_again_later(lang),
            };
            return command.create_response(&ctx.http, private(text)).await;
        }
        let actor = match self.actor(&user).await {
            Ok(Some(actor)) => actor,
            Ok(None) => {
                return command
                    .create_response(&ctx.http, private(reply::not_linked(lang)))
                    .await;
            }
            Err(_) => {
                return command
                    .create_response(&ctx.http, private(reply::try_again_later(lang)))
                    .await;
            }
        };
        if command.data.kind == CommandType::Message {
            let text = match command.data.target() {
                Some(ResolvedTarget::Message(message)) => Some(message.content.clone()),
                _ => None,
            };
            let choices = Choices {
                kind: ItemKind::SoftIntelligence,
                sentiment: None,
                safety: None,
                source: InformationSource::HeardFromAnotherPatient,
                share_name: false,
                theme: None,
                provider: None,
            };
            return command
                .create_response(
                    &ctx.http,
                    CreateInteractionResponse::Modal(report::form(choices, text.as_deref(), None)),
                )
                .await;
        }
        let text = match command.data.name.as_str() {
            "report" => {
                let options = &command.data.options;
                let sentiment =
                    string_option(options, "sentiment").and_then(|s| Sentiment::from_db(&s));
                let safety = match option(options, "safety") {
                    Some(CommandDataOptionValue::Boolean(b)) => Some(*b),
                    _ => None,
                };
                let chosen = match self.chosen(options).await {
                    Ok(chosen) => chosen,
                    Err(error @ AppError::BadUserInput { .. }) => {
                        return command
                            .create_response(&ctx.http, private(error.message()))
                            .await;
                    }
                    Err(_) => {
                        return command
                            .create_response(&ctx.http, private(reply::try_again_later(lang)))
                            .await;
                    }
                };
                let (provider, typed_provider) = match chosen.1 {
                    suggest::ProviderChoice::Registered(id) => (Some(id), None),
                    suggest::ProviderChoice::Typed(text) => (None, Some(text)),
                    suggest::ProviderChoice::None => (None, None),
                };
                let choices = Choices {
                    theme: chosen.0,
                    provider,
                    kind: string_option(options, "kind")
                        .and_then(|k| ItemKind::from_db(&k))
                        .unwrap_or(ItemKind::SoftIntelligence),
                    // With the sentiment chosen up front the form asks when it happened;
                    // without it, the form asks for the sentiment and safety instead.
                    safety: sentiment.map(|_| safety.unwrap_or(false)),
                    sentiment,
                    source: string_option(options, "source")
                        .and_then(|s| InformationSource::from_db(&s))
                        .unwrap_or(InformationSource::OwnExperience),
                    share_name: matches!(
                        option(options, "share_my_name"),
                        Some(CommandDataOptionValue::Boolean(true))
                    ),
                };
                return command
                    .create_response(
                        &ctx.http,
                        CreateInteractionResponse::Modal(report::form(
                            choices,
                            None,
                            typed_provider.as_deref(),
                        )),
                    )
                    .await;
            }
            "status" => {
                let reference =
                    string_option(&command.data.options, "reference").unwrap_or_default();
                self.status(&actor, &reference, lang).await
            }
            "mine" => self.mine(&actor, lang).await,
            "newsletter" => self.newsletter(&command.channel_id.to_string(), lang).await,
            "pyramid" => self.link_channel(&actor, command, lang).await,
            _ => return Ok(()),
        };
        command.create_response(&ctx.http, private(text)).await
    }

    /// The theme and provider given as `/report` options.
    async fn chosen(
        &self,
        options: &[CommandDataOption],
    ) -> Result<(Option<crate::domain::ids::ThemeId>, suggest::ProviderChoice), AppError> {
        let theme = match string_option(options, "theme") {
            Some(typed) => suggest::read_theme(&services::themes::all(&self.db).await?, &typed)?,
            None => None,
        };
        let provider = match string_option(options, "provider") {
            Some(typed) => suggest::read_provider(&self.db, &typed).await?,
            None => suggest::ProviderChoice::None,
        };
        Ok((theme, provider))
    }

    /// Suggestions as the member types a theme or a provider into `/report`.
    async fn autocomplete(
        &self,
        ctx: &Context,
        command: &CommandInteraction,
    ) -> serenity::Result<()> {
        let Some(focused) = command.data.autocomplete() else {
            return Ok(());
        };
        let found = match focused.name {
            "theme" => suggest::themes(&self.db, focused.value).await,
            "provider" => suggest::providers(&self.db, focused.value).await,
            _ => Ok(Vec::new()),
        };
        // With the database away the member can still type the name in full.
        let choices = found.unwrap_or_else(|error| {
            tracing::warn!(error = ?error, "could not look up suggestions for /report");
            Vec::new()
        });
        let response = choices.into_iter().fold(
            CreateAutocompleteResponse::new(),
            |response, (label, value)| response.add_string_choice(label, value),
        );
        command
            .create_response(&ctx.http, CreateInteractionResponse::Autocomplete(response))
            .await
    }

    async fn status(&self, actor: &Actor, reference: &str, lang: Language) -> String {
        match items::trail(&self.db, actor, reference).await {
            Ok(trail) => {
                let name = |id: i64| {
                    trail
                        .group_names
                        .get(&crate::domain::GroupId(id))
                        .cloned()
                        .unwrap_or_default()
                };
                reply::status(&trail.item, &trail.events, &name)
            }
            Err(AppError::NotFound(_)) => reply::not_found(lang, reference),
            Err(_) => reply::try_again_later(lang),
        }
    }

    async fn mine(&self, actor: &Actor, lang: Language) -> String {
        let filter = items::ItemFilter {
            submitted_by: actor.member_id(),
            ..Default::default()
        };
        let page = PageRequest {
            first: 10,
            after: None,
        };
        match items::list(&self.db, actor, filter, items::ItemOrder::Newest, page).await {
            Ok(page) => reply::mine(lang, &page.items),
            Err(_) => reply::try_again_later(lang),
        }
    }

    async fn newsletter(&self, channel: &str, lang: Language) -> String {
        let group = match services::chat::group_of_channel(&self.db, DISCORD, channel).await {
            Ok(Some(group)) => group,
            Ok(None) => return "This channel is not linked to a Pyramid group yet (an officer can use /pyramid link-channel).".to_owned(),
            Err(_) => {
                return reply::try_again_later(lang);
            }
        };
        match services::newsletters::latest_for(&self.db, group).await {
            Ok(Some(newsletter)) => {
                let issuer = services::groups::get(&self.db, newsletter.group_id)
                    .await
                    .map(|g| g.name.as_str().to_owned())
                    .unwrap_or_default();
                let url = format!(
                    "{}{}",
                    self.config.public_url,
                    crate::domain::newsletter::PageFormat::Html.path(newsletter.id)
                );
                reply::newsletter_view(&newsletter, &issuer, &url)
            }
            Ok(None) => reply::no_newsletter(lang),
            Err(_) => reply::try_again_later(lang),
        }
    }

    /// `/pyramid link-channel <group>`: needs Discord's Manage Channels permission here and a
    /// Pyramid role for the group.
    async fn link_channel(
        &self,
        actor: &Actor,
        command: &CommandInteraction,
        lang: Language,
    ) -> String {
        let may_manage = command
            .member
            .as_ref()
            .and_then(|m| m.permissions)
            .is_some_and(|p| p.manage_channels());
        if !may_manage {
            return reply::needs_manage_channels(lang);
        }
        let group = match command.data.options.first().map(|o| &o.value) {
            Some(CommandDataOptionValue::SubCommand(options)) => {
                string_option(options, "group").unwrap_or_default()
            }
            _ => String::new(),
        };
        let group = match services::groups::find(&self.db, &group).await {
            Ok(group) => group,
            Err(error) => return error.message(),
        };
        let channel = command.channel_id.to_string();
        match services::chat::link_channel(&self.db, actor, group.id, DISCORD, &channel).await {
            Ok(()) => reply::channel_linked(lang, group.name.as_str()),
            Err(error) => error.message(),
        }
    }

    /// A filled-in report form: raise the item (once, whatever Discord redelivers) and say
    /// privately what happened.
    async fn submit_report(&self, ctx: &Context, modal: &ModalInteraction) -> serenity::Result<()> {
        let lang = reply::language_of(&modal.locale);
        let Some(choices) = Choices::from_custom_id(&modal.data.custom_id) else {
            return Ok(());
        };
        let user = modal.user.id.to_string();
        let actor = match self.actor(&user).await {
            Ok(Some(actor)) => actor,
            Ok(None) => {
                return modal
                    .create_response(&ctx.http, private(reply::not_linked(lang)))
                    .await;
            }
            Err(error) => {
                return modal
                    .create_response(&ctx.http, private(reply::report_not_saved(&error)))
                    .await;
            }
        };
        let answers: Vec<(String, String)> = modal
            .data
            .components
            .iter()
            .flat_map(|row| row.components.iter())
            .filter_map(|c| match c {
                serenity::all::ActionRowComponent::InputText(input) => Some((
                    input.custom_id.clone(),
                    input.value.clone().unwrap_or_default(),
                )),
                _ => None,
            })
            .collect();
        let text = match self
            .raise(
                &actor,
                choices,
                &answers,
                &modal.channel_id.to_string(),
                &modal.id.to_string(),
                lang,
            )
            .await
        {
            Ok(text) => text,
            Err(error) => reply::report_not_saved(&error),
        };
        modal.create_response(&ctx.http, private(text)).await
    }

    async fn raise(
        &self,
        actor: &Actor,
        choices: Choices,
        answers: &[(String, String)],
        channel: &str,
        interaction: &str,
        lang: Language,
    ) -> Result<String, AppError> {
        let filled = report::read(choices, |id| {
            answers
                .iter()
                .find(|(k, _)| k == id)
                .map(|(_, v)| v.clone())
        })?;
        let Some(group) = services::chat::report_group(&self.db, actor, Some(channel)).await?
        else {
            return Ok(reply::not_in_a_group(lang));
        };
        let raise = items::RaiseItem {
            group_id: group,
            kind: choices.kind,
            title: filled.title,
            body: filled.body,
            provider_id: choices.provider,
            provider_name: filled.provider,
            experienced_on: filled.experienced_on,
            sentiment: filled.sentiment,
            information_source: choices.source,
            raised_with_pals: false,
            raised_as_complaint: false,
            safety_concern: filled.safety_concern,
            themes: choices
                .theme
                .map(|theme_id| items::ThemeChoice {
                    theme_id,
                    polarity: Polarity::from(filled.sentiment),
                })
                .into_iter()
                .collect(),
            tags: Vec::new(),
            // Discord may deliver the same submission twice: it is one item.
            idempotency_key: Some(format!("discord:{interaction}")),
            channel: Channel::Discord,
            share_name: choices.share_name,
        };
        let raised = items::raise(&self.db, actor, raise).await?;
        let group_name = services::groups::get(&self.db, raised.item.origin_group_id)
            .await?
            .name
            .as_str()
            .to_owned();
        let pattern = services::patterns::notice(&self.db, &raised.patterns).await?;
        Ok(reply::report_saved(
            &raised.item,
            raised.notice.as_deref(),
            pattern.as_deref(),
            &group_name,
            !raised.created,
            raised.hearing,
        ))
    }
}
