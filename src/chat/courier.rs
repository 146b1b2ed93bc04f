//! Takes outbox deliveries to Discord: newsletters into groups' channels, updates to members
//! by direct message, safety alerts to the quality team's channel. Each message carries the
//! delivery's nonce with `enforce_nonce`, so Discord recognises a resend after a crash.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use serenity::all::{ChannelId, CreateMessage, Http, Nonce, UserId};
use serenity::http::HttpError;

use super::reply;
use crate::configuration::BotConfig;
use crate::services::outbox::{Destination, Message};
use crate::services::{self, chat::DISCORD};
use crate::workers::{Courier, Delivering, Failure, Parcel};

pub struct DiscordCourier {
    db: DatabaseConnection,
    http: Arc<Http>,
    public_url: String,
    quality_channel: Option<u64>,
}

impl DiscordCourier {
    pub fn new(db: DatabaseConnection, http: Arc<Http>, config: &BotConfig) -> Self {
        Self {
            db,
            http,
            public_url: config.public_url.clone(),
            quality_channel: config.quality_channel,
        }
    }

    async fn text(&self, message: &Message) -> Result<String, Failure> {
        Ok(match message {
            Message::Newsletter {
                title,
                issuer,
                summary,
                path,
                ..
            } => reply::newsletter(
                title,
                issuer,
                summary,
                &format!("{}{path}", self.public_url),
            ),
            Message::ItemUpdate { group_id, .. } => {
                let group = services::groups::get(&self.db, *group_id)
                    .await
                    .map(|g| g.name.as_str().to_owned())
                    .map_err(retry)?;
                reply::item_update(message, &group)
            }
            Message::SafetyAlert { .. } => reply::safety_alert(message, &self.public_url),
        })
    }

    async fn channel(&self, destination: &Destination) -> Result<ChannelId, Failure> {
        let parse = |id: &str| {
            id.parse::<u64>()
                .ok()
                .filter(|n| *n != 0)
                .map(ChannelId::new)
        };
        match destination {
            Destination::GroupChannel(group) => {
                let channels = services::chat::channels_of(&self.db, DISCORD, &[*group])
                    .await
                    .map_err(retry)?;
                channels.get(group).and_then(|c| parse(c)).ok_or_else(|| {
                    Failure::GiveUp("the group has no linked Discord channel".to_owned())
                })
            }
            Destination::Member(member) => {
                let account = services::chat::account_of(&self.db, DISCORD, *member)
                    .await
                    .map_err(retry)?;
                let user = account
                    .and_then(|a| a.parse::<u64>().ok())
                    .filter(|n| *n != 0)
                    .ok_or_else(|| {
                        Failure::GiveUp("the member has not linked a Discord account".to_owned())
                    })?;
                let dm = UserId::new(user)
                    .create_dm_channel(&self.http)
                    .await
                    .map_err(discord_failure)?;
                Ok(dm.id)
            }
            Destination::QualityTeam => self
                .quality_channel
                .filter(|n| *n != 0)
                .map(ChannelId::new)
                .ok_or_else(|| {
                    Failure::GiveUp(
                        "no quality team channel is configured (PYRAMID_DISCORD_QUALITY_CHANNEL)"
                            .to_owned(),
                    )
                }),
        }
    }
}

fn retry(error: crate::error::AppError) -> Failure {
    Failure::Retry {
        reason: format!("Pyramid could not read its database ({})", error.code()),
        after: None,
    }
}

/// Rate limits and Discord's own failures are retried; a refusal (no access, unknown
/// channel) will not change by retrying.
fn discord_failure(error: serenity::Error) -> Failure {
    match &error {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response)) => {
            let status = response.status_code.as_u16();
            let reason = format!("Discord answered {status}: {}", response.error.message);
            if status == 429 || status >= 500 {
                Failure::Retry {
                    reason,
                    after: None,
                }
            } else {
                Failure::GiveUp(reason)
            }
        }
        _ => Failure::Retry {
            reason: format!("could not reach Discord: {error}"),
            after: None,
        },
    }
}

impl Courier for DiscordCourier {
    fn deliver<'a>(&'a self, parcel: &'a Parcel) -> Delivering<'a> {
        Box::pin(async move {
            let text = self.text(&parcel.message).await?;
            let channel = self.channel(&parcel.destination).await?;
            let message = CreateMessage::new()
                .content(super::fit(text))
                .allowed_mentions(super::no_pings())
                .nonce(Nonce::String(parcel.nonce()))
                .enforce_nonce(true);
            channel
                .send_message(&self.http, message)
                .await
                .map_err(discord_failure)?;
            Ok(())
        })
    }
}
