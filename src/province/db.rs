//! Reaching the province's PostgreSQL: the address, TLS (rustls, Mozilla's roots and the
//! province's own CA), the schema's migrations, and every failure sorted into a [`DbFault`]
//! the operator can act on.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

/// The schema: `docs/province-schema.sql`, one file for the database and the binary.
pub const SCHEMA: &str = include_str!("../../docs/province-schema.sql");

/// How long connecting (TCP and TLS) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What went wrong, as the operator can act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DbFault {
    /// No connection (no network, the server down, a wrong host or port).
    Unreachable,
    /// The TLS handshake failed (an untrusted certificate, no TLS where it was required).
    Tls,
    /// The server refused the login (wrong user or password, not allowed from here).
    Refused,
    /// The database has no loaxa schema, or an older one than this loaxa needs.
    SchemaMissing,
    /// No station is registered at the province for this login and `station_code`.
    NotRegistered,
    /// The province holds records this station's log does not (another log under the same
    /// code, or a log replaced): nothing more is sent until someone looks.
    Diverged,
    /// The login may not do this (row-level security, a missing grant).
    Forbidden,
    /// Anything else the server said.
    Other,
}

/// A failure with what the server or the network said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{detail}")]
pub struct DbError {
    pub fault: DbFault,
    pub detail: String,
}

impl DbError {
    pub fn new(fault: DbFault, detail: impl Into<String>) -> Self {
        DbError {
            fault,
            detail: detail.into(),
        }
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        use tokio_postgres::error::SqlState;
        let detail = error_text(&e);
        let fault = match e.code() {
            Some(c)
                if *c == SqlState::INVALID_PASSWORD
                    || *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
                    || *c == SqlState::INVALID_CATALOG_NAME =>
            {
                DbFault::Refused
            }
            Some(c) if *c == SqlState::INVALID_SCHEMA_NAME || *c == SqlState::UNDEFINED_TABLE => {
                DbFault::SchemaMissing
            }
            Some(c) if *c == SqlState::INSUFFICIENT_PRIVILEGE => DbFault::Forbidden,
            // The server shutting down or starting (57), the connection lost (08), the
            // server out of connections or memory (53): it is not there for now.
            Some(c)
                if ["57", "08", "53"]
                    .iter()
                    .any(|class| c.code().starts_with(class)) =>
            {
                DbFault::Unreachable
            }
            Some(_) => DbFault::Other,
            None if detail.contains("TLS") || detail.contains("certificate") => DbFault::Tls,
            None => DbFault::Unreachable,
        };
        DbError { fault, detail }
    }
}

/// The error and its causes on one line (tokio-postgres puts the server's words in the
/// source).
fn error_text(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{}: {}", db.code().code(), db.message());
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// A checked `postgres://` address: what it connects to, and how it is shown (no password).
#[derive(Clone)]
pub struct DbUrl {
    config: tokio_postgres::Config,
    shown: String,
}

impl std::fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl PartialEq for DbUrl {
    fn eq(&self, other: &Self) -> bool {
        self.shown == other.shown && self.config.get_password() == other.config.get_password()
    }
}

impl Eq for DbUrl {}

/// Why an address cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum DbUrlProblem {
    /// Not `postgres://` or `postgresql://`.
    Scheme,
    /// It does not parse (the parser's words).
    Syntax {
        detail: String,
    },
    NoHost,
    NoUser,
    NoDatabase,
}

impl DbUrl {
    pub fn parse(text: &str) -> Result<DbUrl, DbUrlProblem> {
        let text = text.trim();
        if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
            return Err(DbUrlProblem::Scheme);
        }
        let mut config: tokio_postgres::Config =
            text.parse()
                .map_err(|e: tokio_postgres::Error| DbUrlProblem::Syntax {
                    detail: e.to_string(),
                })?;
        if config.get_hosts().is_empty() {
            return Err(DbUrlProblem::NoHost);
        }
        if config.get_user().is_none() {
            return Err(DbUrlProblem::NoUser);
        }
        if config.get_dbname().is_none() {
            return Err(DbUrlProblem::NoDatabase);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.keepalives_idle(Duration::from_secs(60));
        config.application_name("loaxa");
        Ok(DbUrl {
            shown: hide_password(text),
            config,
        })
    }

    /// The address without its password.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    pub fn user(&self) -> &str {
        self.config.get_user().unwrap_or_default()
    }
}

/// `postgres://user:***@host/db`.
pub fn hide_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match auth.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((u, _)) => format!("{scheme}://{u}:***@{host}{tail}"),
            None => format!("{scheme}://{user}@{host}{tail}"),
        },
        None => url.to_string(),
    }
}

/// Connects (TLS as the address's `sslmode` says: `prefer` when it says nothing, `require`
/// to refuse a plain connection; certificates are always verified, against Mozilla's roots
/// and `ca_certs`). The connection's task runs on the current tokio runtime.
pub async fn connect(url: &DbUrl, ca_certs: &[Vec<u8>]) -> Result<Client, DbError> {
    let tls = crate::relay::net::tls_config(ca_certs).map_err(|e| DbError::new(DbFault::Tls, e))?;
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(Arc::unwrap_or_clone(tls));
    let (client, connection) = url.config.connect(tls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "the province database connection ended");
        }
    });
    Ok(client)
}

/// One migration of [`SCHEMA`]: the text after its `-- migration N: title` line up to the
/// next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub version: i32,
    pub title: &'static str,
    pub sql: &'static str,
}

/// The migrations in [`SCHEMA`], in order.
pub fn migrations() -> Vec<Migration> {
    let mut out: Vec<Migration> = Vec::new();
    let mut offset = 0;
    for line in SCHEMA.split_inclusive('\n') {
        if let Some(head) = line.trim_end().strip_prefix("-- migration ")
            && let Some((n, title)) = head.split_once(':')
            && let Ok(version) = n.trim().parse()
        {
            if let Some(last) = out.last_mut() {
                last.sql = &SCHEMA[sql_start(last.sql)..offset];
            }
            out.push(Migration {
                version,
                title: title.trim(),
                sql: &SCHEMA[offset + line.len()..],
            });
        }
        offset += line.len();
    }
    out
}

/// Where `sql` (a tail of [`SCHEMA`]) starts in it.
fn sql_start(sql: &str) -> usize {
    SCHEMA.len() - sql.len()
}

/// The schema version this loaxa writes to.
pub fn latest_version() -> i32 {
    migrations().last().map_or(0, |m| m.version)
}

/// The database's schema version (0: no loaxa schema).
pub async fn schema_version(client: &Client) -> Result<i32, DbError> {
    let row = client
        .query_one(
            "SELECT to_regclass('loaxa.migrations') IS NOT NULL AS present",
            &[],
        )
        .await?;
    if !row.try_get::<_, bool>(0)? {
        return Ok(0);
    }
    let row = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM loaxa.migrations",
            &[],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// Brings the schema up to [`latest_version`]: each missing migration in its own
/// transaction. Returns the versions applied (none when up to date).
pub async fn migrate(client: &mut Client) -> Result<Vec<i32>, DbError> {
    let have = schema_version(client).await?;
    let mut applied = Vec::new();
    for m in migrations().into_iter().filter(|m| m.version > have) {
        let tx = client.transaction().await?;
        tx.batch_execute(m.sql).await?;
        tx.execute(
            "INSERT INTO loaxa.migrations (version) VALUES ($1)",
            &[&m.version],
        )
        .await?;
        tx.commit().await?;
        applied.push(m.version);
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_from_one_in_order() {
        let all = migrations();
        assert!(!all.is_empty());
        for (i, m) in all.iter().enumerate() {
            assert_eq!(m.version, i as i32 + 1, "{}", m.title);
            assert!(
                m.sql.contains("CREATE") || m.sql.contains("ALTER"),
                "{}",
                m.title
            );
            assert!(!m.sql.contains("-- migration "), "{}", m.title);
        }
        assert!(all[0].sql.contains("CREATE TABLE loaxa.records"));
        assert_eq!(latest_version(), all.len() as i32);
    }

    #[test]
    fn addresses_are_checked_and_shown_without_password() {
        let url = DbUrl::parse("postgres://xa_ba_to:s3cret@10.0.0.5:5432/loaxa?sslmode=require")
            .expect("valid");
        assert_eq!(
            url.shown(),
            "postgres://xa_ba_to:***@10.0.0.5:5432/loaxa?sslmode=require"
        );
        assert_eq!(url.user(), "xa_ba_to");
        assert_eq!(
            DbUrl::parse("mysql://a@b/c").err(),
            Some(DbUrlProblem::Scheme)
        );
        assert_eq!(
            DbUrl::parse("postgres://10.0.0.5/loaxa").err(),
            Some(DbUrlProblem::NoUser)
        );
        assert_eq!(
            DbUrl::parse("postgres://a@10.0.0.5").err(),
            Some(DbUrlProblem::NoDatabase)
        );
        assert!(matches!(
            DbUrl::parse("postgres://a@h/d?sslmode=maybe"),
            Err(DbUrlProblem::Syntax { .. })
        ));
    }
}
