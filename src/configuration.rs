//! Settings, each from a command-line flag or its environment variable, with defaults that
//! run Pyramid on an embedded SQLite file with no setup.

use std::net::SocketAddr;

/// The settings every subcommand shares.
#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// Where the data lives: `sqlite://FILE?mode=rwc` (created on first start) or
    /// `postgres://USER@HOST:PORT/DATABASE`.
    #[arg(
        long,
        env = "DATABASE_URL",
        value_name = "DATABASE_URL",
        default_value = "sqlite://pyramid.db?mode=rwc",
        value_parser = parse_database_url,
        global = true
    )]
    pub database_url: DatabaseUrl,

    /// The address and port the HTTP server listens on.
    #[arg(
        long,
        env = "PYRAMID_LISTEN",
        value_name = "PYRAMID_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub listen: SocketAddr,

    /// What to log, as a tracing filter: `info`, `debug`, `pyramid=debug,info`.
    #[arg(
        long = "log",
        env = "RUST_LOG",
        value_name = "RUST_LOG",
        default_value = "info",
        value_parser = parse_log_filter,
        global = true
    )]
    pub log: String,

    /// The Discord bot's token. The bot starts when it is set. Never logged.
    #[arg(
        long,
        env = "PYRAMID_DISCORD_TOKEN",
        value_name = "PYRAMID_DISCORD_TOKEN",
        hide_env_values = true,
        value_parser = parse_secret,
        global = true
    )]
    pub discord_token: Option<Secret>,

    /// Where Discord's REST API is, when requests go through a proxy (or a fake, in tests).
    #[arg(
        long,
        env = "PYRAMID_DISCORD_API_BASE",
        value_name = "PYRAMID_DISCORD_API_BASE",
        global = true
    )]
    pub discord_api_base: Option<String>,

    /// Register the bot's commands in this Discord server (guild) only; they appear at once.
    #[arg(
        long,
        env = "PYRAMID_DISCORD_GUILD",
        value_name = "PYRAMID_DISCORD_GUILD",
        global = true
    )]
    pub discord_guild: Option<u64>,

    /// The Discord channel where safety concerns are announced to the quality team.
    #[arg(
        long,
        env = "PYRAMID_DISCORD_QUALITY_CHANNEL",
        value_name = "PYRAMID_DISCORD_QUALITY_CHANNEL",
        global = true
    )]
    pub discord_quality_channel: Option<u64>,

    /// Pyramid's address as people reach it, for links in chat (default: http://LISTEN).
    #[arg(
        long,
        env = "PYRAMID_PUBLIC_URL",
        value_name = "PYRAMID_PUBLIC_URL",
        global = true
    )]
    pub public_url: Option<String>,

    /// Where e-mail is sent: `smtp://[USER:PASSWORD@]HOST[:PORT]` (add `?tls=required` for
    /// STARTTLS) or `smtps://…` (TLS from the start). Unset: e-mails are written as `.eml`
    /// files to PYRAMID_MAIL_DIR instead. The password is never logged.
    #[arg(
        long,
        env = "PYRAMID_SMTP_URL",
        value_name = "PYRAMID_SMTP_URL",
        hide_env_values = true,
        value_parser = SmtpUrlParser,
        global = true
    )]
    pub smtp_url: Option<SmtpUrl>,

    /// Who Pyramid's e-mails are from, as `Name <address>`.
    #[arg(
        long,
        env = "PYRAMID_MAIL_FROM",
        value_name = "PYRAMID_MAIL_FROM",
        default_value = DEFAULT_MAIL_FROM,
        value_parser = parse_mailbox,
        global = true
    )]
    pub mail_from: String,

    /// Where e-mails are written as `.eml` files when PYRAMID_SMTP_URL is not set.
    #[arg(
        long,
        env = "PYRAMID_MAIL_DIR",
        value_name = "PYRAMID_MAIL_DIR",
        default_value = "./mail-outbox/",
        global = true
    )]
    pub mail_dir: std::path::PathBuf,

    /// Answer the items of the key queries (dashboards, review queues, an item by reference)
    /// directly from what their statement read, instead of field by field (see
    /// `graphql/views.rs`). The answers are the same; set `false` to rule this out when
    /// looking into a wrong answer.
    #[arg(
        long,
        env = "PYRAMID_DIRECT_ANSWERS",
        value_name = "PYRAMID_DIRECT_ANSWERS",
        default_value_t = true,
        action = clap::ArgAction::Set,
        global = true
    )]
    pub direct_answers: bool,

    /// On PostgreSQL, remember who each token signs in as, so a request costs no statement
    /// for its token, while PostgreSQL tells every instance at once of a token revoked or a
    /// membership changed (see `sign_ins.rs`). Set `false` to read the token on every request.
    #[arg(
        long,
        env = "PYRAMID_REMEMBER_SIGN_INS",
        value_name = "PYRAMID_REMEMBER_SIGN_INS",
        default_value_t = true,
        action = clap::ArgAction::Set,
        global = true
    )]
    pub remember_sign_ins: bool,

    #[command(flatten)]
    pub limits: Limits,
}

pub const DEFAULT_MAIL_FROM: &str = "Pyramid <pyramid@localhost>";

/// How much one client, request or outage may cost the server. Every limit answers with a
/// coded error, never a hang.
#[derive(Debug, Clone, clap::Args)]
pub struct Limits {
    /// The largest request body accepted, in bytes.
    #[arg(
        long,
        env = "PYRAMID_MAX_BODY_BYTES",
        default_value_t = 1_048_576,
        global = true
    )]
    pub max_body_bytes: usize,

    /// GraphQL requests one client address may make per minute (bursts of a sixth of it).
    #[arg(
        long,
        env = "PYRAMID_REQUESTS_PER_MINUTE",
        default_value_t = 1_200,
        global = true
    )]
    pub requests_per_minute: u32,

    /// Mutations one member may make per minute (bursts of half of it).
    #[arg(
        long,
        env = "PYRAMID_WRITES_PER_MINUTE",
        default_value_t = 120,
        global = true
    )]
    pub writes_per_minute: u32,

    /// Unrecognised tokens one client address may send per minute before it is made to wait.
    #[arg(
        long,
        env = "PYRAMID_FAILED_SIGN_INS_PER_MINUTE",
        default_value_t = 20,
        global = true
    )]
    pub failed_sign_ins_per_minute: u32,

    /// Take the client's address from the first `X-Forwarded-For` entry (set this behind a
    /// reverse proxy you run, so limits apply per client rather than to the proxy).
    #[arg(
        long,
        env = "PYRAMID_TRUST_FORWARDED_FOR",
        default_value_t = false,
        global = true
    )]
    pub trust_forwarded_for: bool,

    /// Seconds a connection may stay silent before it is closed.
    #[arg(
        long,
        env = "PYRAMID_IDLE_TIMEOUT_SECS",
        default_value_t = 30,
        global = true
    )]
    pub idle_timeout_secs: u64,

    /// Seconds a client has to send a request's body.
    #[arg(
        long,
        env = "PYRAMID_REQUEST_TIMEOUT_SECS",
        default_value_t = 15,
        global = true
    )]
    pub request_timeout_secs: u64,

    /// Connections open at once, in all.
    #[arg(
        long,
        env = "PYRAMID_MAX_CONNECTIONS",
        default_value_t = 2_048,
        global = true
    )]
    pub max_connections: usize,

    /// Connections open at once from one client address.
    #[arg(
        long,
        env = "PYRAMID_MAX_CONNECTIONS_PER_CLIENT",
        default_value_t = 256,
        global = true
    )]
    pub max_connections_per_client: usize,

    /// Milliseconds to wait for a database connection before answering UNAVAILABLE.
    #[arg(
        long,
        env = "PYRAMID_DATABASE_TIMEOUT_MS",
        default_value_t = 1_000,
        global = true
    )]
    pub database_timeout_ms: u64,

    /// Seconds in-flight requests have to finish when the server is asked to stop.
    #[arg(
        long,
        env = "PYRAMID_SHUTDOWN_GRACE_SECS",
        default_value_t = 10,
        global = true
    )]
    pub shutdown_grace_secs: u64,

    /// Read-only connections beside SQLite's one writer, so one slow read cannot block everyone.
    #[arg(
        long,
        env = "PYRAMID_SQLITE_READERS",
        default_value_t = 4,
        global = true
    )]
    pub sqlite_readers: u32,

    /// GraphQL requests worked on at once; later ones wait their turn, first come first served
    /// (0: no limit). A short queue answered in order keeps the slowest answers close to the
    /// typical one under load (BENCHMARKS.md).
    #[arg(
        long,
        env = "PYRAMID_REQUESTS_AT_ONCE",
        default_value_t = 8,
        global = true
    )]
    pub requests_at_once: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1_048_576,
            requests_per_minute: 1_200,
            writes_per_minute: 120,
            failed_sign_ins_per_minute: 20,
            trust_forwarded_for: false,
            idle_timeout_secs: 30,
            request_timeout_secs: 15,
            max_connections: 2_048,
            max_connections_per_client: 256,
            database_timeout_ms: 1_000,
            shutdown_grace_secs: 10,
            sqlite_readers: 4,
            requests_at_once: 8,
        }
    }
}

impl Settings {
    /// Settings for a local run on `database_url`, everything else at its default.
    pub fn local(database_url: DatabaseUrl, listen: SocketAddr) -> Self {
        Self {
            database_url,
            listen,
            log: "warn".to_owned(),
            discord_token: None,
            discord_api_base: None,
            discord_guild: None,
            discord_quality_channel: None,
            public_url: None,
            smtp_url: None,
            mail_from: DEFAULT_MAIL_FROM.to_owned(),
            mail_dir: std::path::PathBuf::from("./mail-outbox/"),
            direct_answers: true,
            remember_sign_ins: true,
            limits: Limits::default(),
        }
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_owned()
    }

    /// The bot's configuration, when a token is set.
    pub fn bot(&self) -> Option<BotConfig> {
        Some(BotConfig {
            token: self.discord_token.clone()?,
            api_base: self.discord_api_base.clone(),
            guild: self.discord_guild,
            public_url: self.public_url(),
            quality_channel: self.discord_quality_channel,
        })
    }
}

impl Settings {
    /// How e-mail is sent.
    pub fn mail(&self) -> MailConfig {
        MailConfig {
            transport: match &self.smtp_url {
                Some(url) => MailTransport::Smtp(url.clone()),
                None => MailTransport::Files(self.mail_dir.clone()),
            },
            from: self.mail_from.clone(),
            public_url: self.public_url(),
        }
    }
}

/// How e-mail leaves Pyramid.
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub transport: MailTransport,
    /// The From line, `Name <address>` (checked when the settings are read).
    pub from: String,
    /// Pyramid's public address, for links and for the host of each `Message-ID`.
    pub public_url: String,
}

#[derive(Debug, Clone)]
pub enum MailTransport {
    /// An SMTP server (a relay or the provider's submission port).
    Smtp(SmtpUrl),
    /// `.eml` files in a folder, for reading in development.
    Files(std::path::PathBuf),
}

/// How the bot reaches Discord.
#[derive(Clone)]
pub struct BotConfig {
    pub token: Secret,
    /// Where Discord's REST API and gateway look-up are (a proxy, or a fake in tests).
    pub api_base: Option<String>,
    /// Register commands in this guild only (they appear at once) instead of globally.
    pub guild: Option<u64>,
    /// Pyramid's public address, for links to newsletters.
    pub public_url: String,
    /// Where safety alerts for the quality team are posted.
    pub quality_channel: Option<u64>,
}

/// A secret (a token). Its `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(hidden)")
    }
}

fn parse_secret(raw: &str) -> Result<Secret, String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.chars().any(char::is_whitespace) {
        Err("a token is one word with no spaces".to_owned())
    } else {
        Ok(Secret(raw.to_owned()))
    }
}

/// A database URL Pyramid can use. Its `Debug`/`Display` hide any password.
#[derive(Clone)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Result<Self, String> {
        parse_database_url(&url.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_sqlite(&self) -> bool {
        self.0.starts_with("sqlite:")
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // postgres://user:secret@host/db -> postgres://user:***@host/db
        match (self.0.split_once("://"), self.0.rfind('@')) {
            (Some((scheme, rest)), Some(_)) => {
                let (credentials, host) = rest.rsplit_once('@').unwrap_or(("", rest));
                let user = credentials.split(':').next().unwrap_or("");
                let hidden = if credentials.contains(':') {
                    ":***"
                } else {
                    ""
                };
                write!(f, "{scheme}://{user}{hidden}@{host}")
            }
            _ => f.write_str(&self.0),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

fn parse_database_url(raw: &str) -> Result<DatabaseUrl, String> {
    let raw = raw.trim();
    let known = ["sqlite:", "postgres://", "postgresql://"];
    if known.iter().any(|scheme| raw.starts_with(scheme)) {
        Ok(DatabaseUrl(raw.to_owned()))
    } else {
        Err("expected sqlite://FILE?mode=rwc or postgres://USER@HOST:PORT/DATABASE".to_owned())
    }
}

/// An SMTP server's URL. Its `Debug`/`Display` hide any password.
#[derive(Clone)]
pub struct SmtpUrl(String);

impl SmtpUrl {
    pub fn new(url: impl Into<String>) -> Result<Self, String> {
        parse_smtp_url(&url.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The same rule as a database URL's: smtp://user:secret@host -> smtp://user:***@host.
        std::fmt::Display::fmt(&DatabaseUrl(self.0.clone()), f)
    }
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SmtpUrl({self})")
    }
}

/// Reads PYRAMID_SMTP_URL, refusing a bad one without repeating it (it may hold a password).
#[derive(Clone)]
struct SmtpUrlParser;

impl clap::builder::TypedValueParser for SmtpUrlParser {
    type Value = SmtpUrl;

    fn parse_ref(
        &self,
        _: &clap::Command,
        _: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<SmtpUrl, clap::Error> {
        value
            .to_str()
            .ok_or_else(|| "it is not UTF-8".to_owned())
            .and_then(parse_smtp_url)
            .map_err(|why| {
                clap::Error::raw(
                    clap::error::ErrorKind::ValueValidation,
                    format!("invalid PYRAMID_SMTP_URL (--smtp-url): {why}\n"),
                )
            })
    }
}

fn parse_smtp_url(raw: &str) -> Result<SmtpUrl, String> {
    let raw = raw.trim();
    let rest = raw
        .strip_prefix("smtp://")
        .or_else(|| raw.strip_prefix("smtps://"))
        .ok_or("expected smtp://[USER:PASSWORD@]HOST[:PORT] or smtps://…")?;
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    if host.is_empty() || host.starts_with([':', '/', '?']) {
        return Err("the SMTP URL names no host (smtp://HOST:PORT)".to_owned());
    }
    Ok(SmtpUrl(raw.to_owned()))
}

fn parse_mailbox(raw: &str) -> Result<String, String> {
    raw.trim()
        .parse::<lettre::message::Mailbox>()
        .map(|mailbox| mailbox.to_string())
        .map_err(|e| format!("not an e-mail sender ({e}); try `Pyramid <pyramid@example.org>`"))
}

fn parse_log_filter(raw: &str) -> Result<String, String> {
    tracing_subscriber::EnvFilter::try_new(raw)
        .map(|_| raw.to_owned())
        .map_err(|e| format!("not a log filter ({e}); try `info` or `pyramid=debug,info`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_when_shown() {
        let url = DatabaseUrl::new("postgres://app:hunter2@db.internal:5432/pyramid").unwrap();
        assert_eq!(
            url.to_string(),
            "postgres://app:***@db.internal:5432/pyramid"
        );
        assert!(!format!("{url:?}").contains("hunter2"));
        let url = DatabaseUrl::new("sqlite://pyramid.db?mode=rwc").unwrap();
        assert_eq!(url.to_string(), "sqlite://pyramid.db?mode=rwc");
    }

    #[test]
    fn the_default_limits_are_the_flags_defaults() {
        #[derive(clap::Parser)]
        struct Only {
            #[command(flatten)]
            limits: Limits,
        }
        let parsed = <Only as clap::Parser>::try_parse_from(["pyramid"]).unwrap();
        assert_eq!(
            format!("{:?}", parsed.limits),
            format!("{:?}", Limits::default())
        );
    }

    #[test]
    fn smtp_passwords_are_hidden_when_shown() {
        let url = SmtpUrl::new("smtp://mailer:s3cret@smtp.example.org:587").unwrap();
        assert_eq!(url.to_string(), "smtp://mailer:***@smtp.example.org:587");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert!(SmtpUrl::new("smtps://smtp.example.org").is_ok());
        assert!(SmtpUrl::new("http://smtp.example.org").is_err());
        assert!(SmtpUrl::new("smtp://").is_err());
        assert_eq!(
            parse_mailbox(DEFAULT_MAIL_FROM).unwrap(),
            "Pyramid <pyramid@localhost>"
        );
        assert!(parse_mailbox("not a sender").is_err());
    }

    #[test]
    fn unknown_databases_are_refused() {
        assert!(DatabaseUrl::new("mysql://root@localhost/db").is_err());
        assert!(DatabaseUrl::new("pyramid.db").is_err());
    }
}
