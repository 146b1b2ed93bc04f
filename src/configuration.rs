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
    fn unknown_databases_are_refused() {
        assert!(DatabaseUrl::new("mysql://root@localhost/db").is_err());
        assert!(DatabaseUrl::new("pyramid.db").is_err());
    }
}
