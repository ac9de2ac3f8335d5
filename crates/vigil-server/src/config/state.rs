//! `[state]`: where users, keys, sessions, alerts, dead letters and the audit trail live.
//! Absent: SQLite in the data directory (`state.db`), nothing to set up.
//!
//! ```toml
//! [state]
//! url = "postgres://vigil@db.example.org:5432/vigil?sslmode=verify-full"
//! max_connections = 10
//! ```
//!
//! The password is best kept out of the file: PostgreSQL's `PGPASSWORD` or a `~/.pgpass` file of
//! the user Vigil runs as are read when the URL has none.

use serde::Deserialize;

use super::reader::Reader;

const SECTION: &str = "state";

/// Where the state lives.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum StateStore {
    /// `state.db` in the data directory.
    #[default]
    Sqlite,
    /// A PostgreSQL database, shared by every Vigil process pointed at it.
    Postgres {
        /// `postgres://…`; may hold a password, so never shown (see the `Debug` impl).
        url: String,
        max_connections: u32,
    },
}

impl std::fmt::Debug for StateStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateStore::Sqlite => f.write_str("Sqlite"),
            StateStore::Postgres { max_connections, .. } => f
                .debug_struct("Postgres")
                .field("url", &"<redacted>")
                .field("max_connections", max_connections)
                .finish(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    url: Option<String>,
    max_connections: Option<u32>,
}

/// Reads `[state]`; SQLite when the section or its `url` is absent.
pub(super) fn read(r: &mut Reader, table: &toml::Table) -> StateStore {
    let file: StateFile = r.section(table, SECTION);
    let max_connections = r
        .within(SECTION, "max_connections", file.max_connections, 1..=1000)
        .unwrap_or(vigil_state::DEFAULT_POSTGRES_CONNECTIONS);
    let Some(url) = file.url else {
        if file.max_connections.is_some() {
            r.problem(
                Some(SECTION),
                "max_connections",
                "applies to a PostgreSQL url only; set url too",
            );
        }
        return StateStore::Sqlite;
    };
    if let Err(e) = vigil_state::check_postgres_url(&url) {
        r.problem(Some(SECTION), "url", e.to_string());
        return StateStore::Sqlite;
    }
    StateStore::Postgres { url, max_connections }
}
