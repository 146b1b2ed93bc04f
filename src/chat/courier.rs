//! Takes outbox deliveries to Discord: newsletters into groups' channels, updates to members
//! by direct message, safety alerts to the quality team's channel. Each message carries the
//! delivery's nonce with `enforce_nonce`, so Discord recognises a resend after a crash.
//!
//! The courier sends its two requests (open a direct-message channel, post a message) itself
//! instead of calling serenity's `send_message` and `create_dm_channel`, because it has to read
//! Discord's refusals. serenity 0.12.5 turns any unsuccessful answer into an `ErrorResponse`
//! that keeps only the status, the URL and a decoded `{code, message}`, and drops the headers
//! (`http/error.rs`, `ErrorResponse::from_response`); a 429's body has no `code`, so even its
//! message becomes a decode error and its `retry_after` is lost. When requests are proxied
//! serenity's rate limiter is off (`chat::http_client`), so nothing else would wait as long as
//! Discord asks. The requests are still built by serenity (`Request::build`: the same URL,
//! proxy, `Authorization` and user agent; the body is the serialised `CreateMessage`) and
//! sent as `Http::request` sends them: through serenity's rate limiter when it is on, or else
//! with the reqwest client serenity was built with. Only the answer is read here.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use serenity::all::{ChannelId, CreateMessage, Http, Nonce, UserId};
use serenity::http::{LightMethod, Request, Route};

use super::reply;
use crate::configuration::BotConfig;
use crate::services::outbox::{Destination, Message};
use crate::services::{self, chat::DISCORD};
use crate::workers::{Courier, Delivering, Failure, Parcel};

/// The longest a rate limit is waited out. Discord's longest are about an hour (a
/// Cloudflare ban); a longer ask is taken as this, so an odd answer cannot park a delivery
/// for years.
const LONGEST_WAIT: Duration = Duration::from_secs(24 * 3_600);

pub struct DiscordCourier {
    db: DatabaseConnection,
    http: Arc<Http>,
    /// The reqwest client `http` was built with.
    client: reqwest::Client,
    public_url: String,
    quality_channel: Option<u64>,
}

impl DiscordCourier {
    pub fn new(
        db: DatabaseConnection,
        http: Arc<Http>,
        client: reqwest::Client,
        config: &BotConfig,
    ) -> Self {
        Self {
            db,
            http,
            client,
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
            Message::PatternAlert { group_id, .. } => {
                let group = services::groups::get(&self.db, *group_id)
                    .await
                    .map(|g| g.name.as_str().to_owned())
                    .map_err(retry)?;
                reply::pattern_alert(message, &group, &self.public_url)
            }
            Message::WatchDigest { .. } => reply::watch_digest(message),
            Message::ChangeDue { .. } => reply::change_due(message, &self.public_url),
            Message::EmailConfirmation { .. } => {
                return Err(Failure::GiveUp(
                    "an address's confirmation goes by e-mail, not by chat".to_owned(),
                ));
            }
            Message::NewsletterAudio { .. } | Message::ReportAudio { .. } => {
                return Err(Failure::GiveUp(
                    "an audio version is made on the server, not posted".to_owned(),
                ));
            }
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
                self.open_direct_messages(UserId::new(user)).await
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
            Destination::MemberEmail(_)
            | Destination::GroupEmail(_)
            | Destination::Confirmation(_) => Err(Failure::GiveUp(
                "an e-mail address is not a Discord destination".to_owned(),
            )),
            Destination::NewsletterAudio(_) | Destination::ReportAudio(_) => Err(Failure::GiveUp(
                "an audio version is not a Discord destination".to_owned(),
            )),
        }
    }

    /// The direct-message channel with `user` (what serenity's `create_dm_channel` asks).
    async fn open_direct_messages(&self, user: UserId) -> Result<ChannelId, Failure> {
        #[derive(serde::Deserialize)]
        struct Opened {
            id: ChannelId,
        }
        let body = encode(&json!({ "recipient_id": user }))?;
        let request = Request::new(Route::UserMeDmChannels, LightMethod::Post).body(Some(body));
        let answer = self.call(request).await?;
        let opened: Opened = serde_json::from_slice(&answer).map_err(|e| Failure::Retry {
            reason: format!("Discord's answer to opening a direct message could not be read: {e}"),
            after: None,
        })?;
        Ok(opened.id)
    }

    /// Sends `request` as serenity's `Http::request` does, and returns the body of a
    /// successful answer; an unsuccessful one becomes the failure it calls for.
    async fn call(&self, request: Request<'_>) -> Result<Vec<u8>, Failure> {
        let response = match &self.http.ratelimiter {
            Some(limiter) => limiter.perform(request).await.map_err(unreachable)?,
            None => {
                let request = request
                    .build(&self.client, self.http.token(), self.http.proxy.as_deref())
                    .map_err(unreachable)?
                    .build()
                    .map_err(unreachable)?;
                self.client.execute(request).await.map_err(unreachable)?
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(unreachable)?;
        if status.is_success() {
            Ok(body.to_vec())
        } else {
            Err(refusal(status.as_u16(), &headers, &body))
        }
    }
}

fn retry(error: crate::error::AppError) -> Failure {
    Failure::Retry {
        reason: format!("Pyramid could not read its database ({})", error.code()),
        after: None,
    }
}

fn unreachable(error: impl fmt::Display) -> Failure {
    Failure::Retry {
        reason: format!("could not reach Discord: {error}"),
        after: None,
    }
}

/// A request body. Encoding a builder cannot fail in practice, and retrying would not help.
fn encode(body: &impl serde::Serialize) -> Result<Vec<u8>, Failure> {
    serde_json::to_vec(body)
        .map_err(|e| Failure::GiveUp(format!("the message could not be encoded: {e}")))
}

/// What an unsuccessful answer means. A rate limit is retried no earlier than Discord asks;
/// Discord's own failures are retried with back-off; any other refusal (no access, unknown
/// channel) will not change by retrying.
fn refusal(status: u16, headers: &HeaderMap, body: &[u8]) -> Failure {
    let answer: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if status == 429 {
        let limit = RateLimit::read(headers, &answer);
        return Failure::Retry {
            reason: format!("Discord answered 429: {limit}"),
            after: limit.wait,
        };
    }
    let message = match answer["message"].as_str() {
        Some(message) => message.to_owned(),
        // Not Discord's JSON (a proxy's error page, say): the start of it, on one line.
        None => {
            let text = String::from_utf8_lossy(body);
            let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            match text.chars().count() {
                0 => "(no message)".to_owned(),
                n if n > 200 => format!("{} [...]", text.chars().take(200).collect::<String>()),
                _ => text,
            }
        }
    };
    let reason = format!("Discord answered {status}: {message}");
    if status >= 500 {
        Failure::Retry {
            reason,
            after: None,
        }
    } else {
        Failure::GiveUp(reason)
    }
}

/// What a 429 says: how long to wait and which limit was hit.
#[derive(Debug, PartialEq)]
struct RateLimit {
    /// The longest of the body's `retry_after` (seconds, with a fraction) and the
    /// `Retry-After` and `X-RateLimit-Reset-After` headers, rounded up to whole seconds.
    wait: Option<Duration>,
    /// `X-RateLimit-Scope`: `user`, `shared` or `global`.
    scope: Option<&'static str>,
    /// The body's `global` or `X-RateLimit-Global`.
    global: bool,
}

impl RateLimit {
    fn read(headers: &HeaderMap, body: &Value) -> RateLimit {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let seconds = |name: &str| header(name).and_then(|v| v.parse::<f64>().ok());
        let longest = [
            body["retry_after"].as_f64(),
            seconds("retry-after"),
            seconds("x-ratelimit-reset-after"),
        ]
        .into_iter()
        .flatten()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .reduce(f64::max);
        let wait = longest.map(|s| {
            // `as` saturates; the cap keeps it well inside what the clock can add.
            Duration::from_secs(s.ceil() as u64).min(LONGEST_WAIT)
        });
        let scope = header("x-ratelimit-scope").and_then(|scope| {
            ["user", "shared", "global"]
                .into_iter()
                .find(|known| scope.eq_ignore_ascii_case(known))
        });
        let global = body["global"].as_bool() == Some(true)
            || header("x-ratelimit-global").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        RateLimit {
            wait,
            scope,
            global,
        }
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.wait {
            Some(wait) => write!(f, "rate limited for {} s", wait.as_secs())?,
            None => f.write_str("rate limited, without saying for how long")?,
        }
        match (self.scope, self.global) {
            (Some("global"), _) | (None, true) => f.write_str(" (global limit)"),
            (Some(scope), false) => write!(f, " ({scope} limit)"),
            (Some(scope), true) => write!(f, " ({scope} limit, global)"),
            (None, false) => Ok(()),
        }
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
            let request = Request::new(
                Route::ChannelMessages {
                    channel_id: channel,
                },
                LightMethod::Post,
            )
            .body(Some(encode(&message)?));
            self.call(request).await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    reqwest::header::HeaderName::from_static(name),
                    value.parse().unwrap(),
                )
            })
            .collect()
    }

    /// Discord's three examples (developers/topics/rate-limits.mdx), as in
    /// `../shared/discord-payloads/rate_limit_429_*.json`.
    #[test]
    fn a_rate_limit_waits_the_longest_it_is_told_rounded_up() {
        let user = refusal(
            429,
            &headers(&[
                ("retry-after", "65"),
                ("x-ratelimit-reset-after", "64.57"),
                ("x-ratelimit-scope", "user"),
            ]),
            br#"{"message": "You are being rate limited.", "retry_after": 64.57, "global": false}"#,
        );
        assert_eq!(
            user,
            Failure::Retry {
                reason: "Discord answered 429: rate limited for 65 s (user limit)".to_owned(),
                after: Some(Duration::from_secs(65)),
            }
        );
        // A shared resource's limit outlasts the route's bucket (`X-RateLimit-Reset-After`).
        let shared = refusal(
            429,
            &headers(&[
                ("retry-after", "1337"),
                ("x-ratelimit-reset-after", "64.57"),
                ("x-ratelimit-scope", "shared"),
            ]),
            br#"{"message": "The resource is being rate limited.", "retry_after": 1336.57, "global": false}"#,
        );
        assert_eq!(
            shared,
            Failure::Retry {
                reason: "Discord answered 429: rate limited for 1337 s (shared limit)".to_owned(),
                after: Some(Duration::from_secs(1_337)),
            }
        );
        let global = refusal(
            429,
            &headers(&[
                ("retry-after", "65"),
                ("x-ratelimit-global", "true"),
                ("x-ratelimit-scope", "global"),
            ]),
            br#"{"message": "You are being rate limited.", "retry_after": 64.57, "global": true}"#,
        );
        assert_eq!(
            global,
            Failure::Retry {
                reason: "Discord answered 429: rate limited for 65 s (global limit)".to_owned(),
                after: Some(Duration::from_secs(65)),
            }
        );
    }

    #[test]
    fn a_rate_limit_is_read_from_whatever_part_of_the_answer_survives() {
        // Only the body (a proxy that drops headers).
        let body_only = RateLimit::read(&HeaderMap::new(), &json!({"retry_after": 0.05}));
        assert_eq!(body_only.wait, Some(Duration::from_secs(1)));
        // Only a header, and a body that is not JSON.
        let header_only = refusal(
            429,
            &headers(&[("retry-after", "7")]),
            b"<html>slow down</html>",
        );
        assert_eq!(
            header_only,
            Failure::Retry {
                reason: "Discord answered 429: rate limited for 7 s".to_owned(),
                after: Some(Duration::from_secs(7)),
            }
        );
        // Nothing usable: the worker's back-off decides.
        let nothing = refusal(
            429,
            &headers(&[("retry-after", "NaN"), ("x-ratelimit-reset-after", "-3")]),
            b"",
        );
        assert_eq!(
            nothing,
            Failure::Retry {
                reason: "Discord answered 429: rate limited, without saying for how long"
                    .to_owned(),
                after: None,
            }
        );
        // An absurd ask is capped, and an unknown scope is not repeated.
        let absurd = RateLimit::read(
            &headers(&[("x-ratelimit-scope", "everything")]),
            &json!({"retry_after": 1e300, "global": true}),
        );
        assert_eq!(
            absurd,
            RateLimit {
                wait: Some(LONGEST_WAIT),
                scope: None,
                global: true
            }
        );
    }

    #[test]
    fn discord_failing_is_retried_and_a_refusal_is_given_up_with_its_message() {
        assert_eq!(
            refusal(
                500,
                &HeaderMap::new(),
                br#"{"message": "Internal Server Error", "code": 0}"#
            ),
            Failure::Retry {
                reason: "Discord answered 500: Internal Server Error".to_owned(),
                after: None,
            }
        );
        assert_eq!(
            refusal(
                502,
                &HeaderMap::new(),
                b"<html>\n  <body>Bad gateway</body>\n</html>"
            ),
            Failure::Retry {
                reason: "Discord answered 502: <html> <body>Bad gateway</body> </html>".to_owned(),
                after: None,
            }
        );
        assert_eq!(
            refusal(
                403,
                &HeaderMap::new(),
                br#"{"message": "Missing Access", "code": 50001}"#
            ),
            Failure::GiveUp("Discord answered 403: Missing Access".to_owned())
        );
        assert_eq!(
            refusal(404, &HeaderMap::new(), b""),
            Failure::GiveUp("Discord answered 404: (no message)".to_owned())
        );
    }
}
