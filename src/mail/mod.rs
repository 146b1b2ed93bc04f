//! E-mail, the outbox's second medium: the `MailCourier` takes e-mail deliveries (a member's
//! news, a newsletter for a group's mailing address, an address's confirmation) to an SMTP
//! server with lettre, or, when no server is configured, writes each one as an `.eml` file
//! that a person can open. What the e-mails say is in `letters.rs`.
//!
//! Each e-mail's `Message-ID` is derived from its delivery (`<pyramid-delivery-ID@HOST>`), so
//! a resend after a crash is recognisable as the same e-mail, and an `.eml` file is named
//! after it (a resend replaces the file). The address is read when the e-mail is sent, so a
//! withdrawn address or a stopped preference is respected. Links are made as the e-mail is
//! sent (`services::email::issue_link`): no token is ever stored, only its hash.
//!
//! What the server answers decides what happens: a 4xx is tried again later, a 5xx is given
//! up (and shows in the group's `failedDeliveries`), except a refused sign-in, which is
//! Pyramid's configuration and is tried again. Bounces that arrive later by e-mail are not
//! read.

pub mod letters;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sea_orm::DatabaseConnection;

use crate::configuration::{MailConfig, MailTransport};
use crate::domain::DeliveryId;
use crate::domain::authz::Actor;
use crate::domain::delivery::Medium;
use crate::error::AppError;
use crate::render::NewsletterView;
use crate::services::email::{self, CONFIRMATION_LIFETIME_HOURS, Recipient};
use crate::services::outbox::Message;
use crate::services::{groups, newsletters};
use crate::workers::{Courier, Delivering, Failure, Parcel};
use letters::Letter;

/// How long one SMTP conversation may take before it is tried again later.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

pub struct MailCourier {
    db: DatabaseConnection,
    transport: Transport,
    from: Mailbox,
    public_url: String,
    /// The host of the public address: the right-hand side of every `Message-ID`.
    host: String,
}

/// The host part of a URL (`https://pyramid.example:8443/x` -> `pyramid.example`).
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = if authority.starts_with('[') {
        authority
            .split_once(']')
            .map_or(authority.to_owned(), |(h, _)| format!("{h}]"))
    } else {
        authority.split(':').next().unwrap_or(authority).to_owned()
    };
    if host.is_empty() {
        "localhost".to_owned()
    } else {
        host
    }
}

impl MailCourier {
    pub fn new(db: DatabaseConnection, config: &MailConfig) -> anyhow::Result<Self> {
        let host = host_of(&config.public_url);
        let transport = match &config.transport {
            MailTransport::Smtp(url) => {
                let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .with_context(|| format!("PYRAMID_SMTP_URL ({url}) cannot be used"))?
                    .timeout(Some(SMTP_TIMEOUT));
                // Greet the server as Pyramid's public host unless the URL names a greeting.
                let path = url.expose().split_once("://").map_or("", |(_, rest)| rest);
                let names_greeting = path
                    .split_once('/')
                    .is_some_and(|(_, p)| !p.split('?').next().unwrap_or("").is_empty());
                if !names_greeting {
                    builder = builder.hello_name(ClientId::Domain(host.clone()));
                }
                Transport::Smtp(builder.build())
            }
            MailTransport::Files(dir) => Transport::Files(dir.clone()),
        };
        let from = config
            .from
            .parse::<Mailbox>()
            .with_context(|| format!("PYRAMID_MAIL_FROM ({}) is not a sender", config.from))?;
        Ok(Self {
            db,
            transport,
            from,
            public_url: config.public_url.trim_end_matches('/').to_owned(),
            host,
        })
    }

    /// Where e-mails go, in words, for the log at startup.
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_) => "by SMTP (PYRAMID_SMTP_URL)".to_owned(),
            Transport::Files(dir) => format!(
                "as .eml files in {} (set PYRAMID_SMTP_URL to send them)",
                dir.display()
            ),
        }
    }

    /// The `Message-ID` of a delivery's e-mail: the same on every attempt.
    pub fn message_id(&self, delivery: DeliveryId) -> String {
        format!("<pyramid-delivery-{delivery}@{}>", self.host)
    }

    async fn letter(
        &self,
        parcel: &Parcel,
        recipient: &Recipient,
        link: &str,
    ) -> Result<Letter, Failure> {
        Ok(match &parcel.message {
            Message::EmailConfirmation { .. } => letters::confirmation(
                &recipient.name,
                recipient.of,
                recipient.address.as_str(),
                link,
                CONFIRMATION_LIFETIME_HOURS,
            ),
            Message::ItemUpdate { group_id, .. } => {
                let group = groups::get(&self.db, *group_id).await.map_err(retry)?;
                letters::item_update(&parcel.message, group.name.as_str(), &self.public_url, link)
            }
            Message::Newsletter { newsletter_id, .. } => {
                let newsletter =
                    match newsletters::get(&self.db, &Actor::Anonymous, *newsletter_id).await {
                        Ok(newsletter) => newsletter,
                        Err(AppError::NotFound(_)) => {
                            return Err(Failure::GiveUp(
                                "the newsletter is no longer published".to_owned(),
                            ));
                        }
                        Err(error) => return Err(retry(error)),
                    };
                let issuer = groups::get(&self.db, newsletter.group_id)
                    .await
                    .map_err(retry)?;
                let view = NewsletterView::new(&newsletter, issuer.name.as_str());
                letters::newsletter(&view, &self.public_url, link)
            }
            Message::SafetyAlert { .. } => {
                return Err(Failure::GiveUp(
                    "safety alerts go to the quality team's chat channel, not by e-mail".to_owned(),
                ));
            }
            Message::NewsletterAudio { .. } | Message::ReportAudio { .. } => {
                return Err(Failure::GiveUp(
                    "an audio version is made on the server, not e-mailed".to_owned(),
                ));
            }
            Message::PatternAlert {
                group_id, provider, ..
            } => {
                let group = groups::get(&self.db, *group_id).await.map_err(retry)?;
                letters::lines(
                    format!("A pattern of concern about {provider}"),
                    &crate::chat::reply::pattern_alert(
                        &parcel.message,
                        group.name.as_str(),
                        &self.public_url,
                    ),
                    "You get this e-mail because you are an officer of the group this pattern belongs to.",
                    link,
                )
            }
            Message::ChangeDue { reference, .. } => letters::lines(
                format!("Was the change planned for {reference} made?"),
                &crate::chat::reply::change_due(&parcel.message, &self.public_url),
                "You get this e-mail because it is your group's mailing address and your group referred this item to the commissioners.",
                link,
            ),
            Message::WatchDigest { about, .. } => letters::lines(
                format!("Your watch on {about}"),
                &crate::chat::reply::watch_digest(&parcel.message),
                "You get this e-mail because you asked Pyramid to watch this for you.",
                link,
            ),
        })
    }

    fn compose(
        &self,
        parcel: &Parcel,
        recipient: &Recipient,
        letter: Letter,
        unsubscribe: Option<&str>,
    ) -> Result<lettre::Message, Failure> {
        let address = recipient
            .address
            .as_str()
            .parse()
            .map_err(|e| Failure::GiveUp(format!("the address cannot be written to ({e})")))?;
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(Some(recipient.name.clone()), address))
            .subject(letter.subject)
            .message_id(Some(self.message_id(DeliveryId(parcel.id))))
            .header(AutoSubmitted("auto-generated".to_owned()));
        if let Some(unsubscribe) = unsubscribe {
            builder = builder
                .header(ListUnsubscribe(format!("<{unsubscribe}>")))
                .header(ListUnsubscribePost("List-Unsubscribe=One-Click".to_owned()));
        }
        builder
            .multipart(MultiPart::alternative_plain_html(letter.text, letter.html))
            .map_err(|e| Failure::GiveUp(format!("the e-mail could not be put together ({e})")))
    }

    async fn send(&self, parcel: &Parcel, message: lettre::Message) -> Result<(), Failure> {
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(refusal),
            Transport::Files(dir) => write_file(dir, DeliveryId(parcel.id), &message.formatted())
                .await
                .map_err(|e| Failure::Retry {
                    reason: format!("the e-mail could not be written to {} ({e})", dir.display()),
                    after: None,
                }),
        }
    }
}

impl Courier for MailCourier {
    fn deliver<'a>(&'a self, parcel: &'a Parcel) -> Delivering<'a> {
        Box::pin(async move {
            let recipient = email::recipient(&self.db, &parcel.destination)
                .await
                .map_err(retry)?
                .map_err(|why| Failure::GiveUp(why.to_owned()))?;
            let path = email::issue_link(&self.db, &recipient, DeliveryId(parcel.id))
                .await
                .map_err(retry)?;
            let link = format!("{}{path}", self.public_url);
            let letter = self.letter(parcel, &recipient, &link).await?;
            let unsubscribe = match parcel.message {
                Message::EmailConfirmation { .. } => None,
                _ => Some(link.as_str()),
            };
            let message = self.compose(parcel, &recipient, letter, unsubscribe)?;
            self.send(parcel, message).await
        })
    }

    fn media(&self) -> Vec<Medium> {
        vec![Medium::Email]
    }
}

fn retry(error: AppError) -> Failure {
    Failure::Retry {
        reason: format!("Pyramid could not read its database ({})", error.code()),
        after: None,
    }
}

/// What the server's refusal means: a 4xx (or no answer) is tried again; a 5xx is about the
/// e-mail or the address and is given up, except a refused sign-in, which is Pyramid's
/// configuration and will work once it is put right.
fn refusal(error: lettre::transport::smtp::Error) -> Failure {
    let code = error.status().map(|code| code.to_string());
    let sign_in = matches!(code.as_deref(), Some("530" | "534" | "535" | "538"));
    if error.is_permanent() && !sign_in {
        Failure::GiveUp(format!("the mail server refused it: {error}"))
    } else if sign_in {
        Failure::Retry {
            reason: format!(
                "the mail server refused Pyramid's sign-in ({error}): check PYRAMID_SMTP_URL"
            ),
            after: None,
        }
    } else {
        Failure::Retry {
            reason: format!("the mail server did not take it: {error}"),
            after: None,
        }
    }
}

/// Writes `delivery-ID.eml` whole or not at all (a temporary file renamed into place), so a
/// reader never sees half an e-mail and a resend replaces the same file.
async fn write_file(
    dir: &std::path::Path,
    delivery: DeliveryId,
    bytes: &[u8],
) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    let name = format!("pyramid-delivery-{delivery}.eml");
    let partial = dir.join(format!(".{name}.partial"));
    tokio::fs::write(&partial, bytes).await?;
    tokio::fs::rename(&partial, dir.join(name)).await
}

/// Headers lettre has no type for: `List-Unsubscribe` (RFC 2369) with
/// `List-Unsubscribe-Post` (RFC 8058, so mail programs can offer one-click unsubscribing), and
/// `Auto-Submitted` (RFC 3834, so out-of-office replies are not sent back). lettre keys
/// headers by type, so each name is a type of its own.
macro_rules! plain_header {
    ($($ty:ident = $name:expr),* $(,)?) => {$(
        #[derive(Clone)]
        struct $ty(String);

        impl Header for $ty {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($name)
            }

            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok(Self(s.to_owned()))
            }

            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), self.0.clone())
            }
        }
    )*};
}

plain_header!(
    AutoSubmitted = "Auto-Submitted",
    ListUnsubscribe = "List-Unsubscribe",
    ListUnsubscribePost = "List-Unsubscribe-Post",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_use_the_public_host() {
        assert_eq!(host_of("https://pyramid.example:8443/x"), "pyramid.example");
        assert_eq!(host_of("http://127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(host_of("http://[::1]:8080/"), "[::1]");
        assert_eq!(host_of(""), "localhost");
    }
}
