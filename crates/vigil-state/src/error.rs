//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong in [`crate::State`].
///
/// `Display` never contains SQL or database internals, so it is safe to show to API users; the wrapped
/// source error (reachable through [`std::error::Error::source`]) carries the details for server logs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The database failed (I/O, lock timeout, constraint, ...). Details are in the source.
    #[error("state database error")]
    Database(#[source] sqlx::Error),
    /// Applying the embedded schema migrations failed.
    #[error("state database schema migration failed")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// The directory for the database file could not be created.
    #[error("cannot create state directory {path}")]
    CreateDir {
        /// The directory that could not be created.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A pagination cursor was not produced by this crate (or belongs to another listing).
    #[error("invalid pagination cursor")]
    InvalidCursor,
    /// A caller-supplied value was rejected (e.g. an unknown level or an empty token name).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The change does not apply to the object's current state (a status transition that is not
    /// allowed, a count that no longer matches).
    #[error("{0}")]
    Conflict(String),
    /// A stored row could not be decoded (e.g. an unknown scope or broken JSON).
    #[error("stored state is unreadable: {0}")]
    Corrupt(String),
    /// A key file (audit checkpoint signing or public key) could not be read or written.
    #[error("cannot read or write key file {path}")]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A key file does not hold a usable key.
    #[error("key file {path} is not usable: {reason}")]
    InvalidKey {
        /// The key file.
        path: PathBuf,
        /// Why not, for people.
        reason: String,
    },
    /// The operating system's random number generator failed.
    #[error("random number generator failed")]
    Random(#[source] getrandom::Error),
}

impl StateError {
    /// True when the caller sent something invalid (an HTTP API answers 400), false for server-side failures.
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            StateError::InvalidCursor | StateError::InvalidInput(_) | StateError::Conflict(_)
        )
    }
}

impl From<sqlx::Error> for StateError {
    fn from(e: sqlx::Error) -> Self {
        StateError::Database(e)
    }
}

impl From<sqlx::migrate::MigrateError> for StateError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StateError::Migrate(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_errors_do_not_leak_details_into_display() {
        let inner = sqlx::Error::Protocol("near \"SELEC\": syntax error in SELEC * FROM tokens".into());
        let e = StateError::from(inner);
        assert_eq!(e.to_string(), "state database error");
        assert!(std::error::Error::source(&e).is_some());
        assert!(!e.is_client_error());
    }

    #[test]
    fn client_errors_are_classified() {
        assert!(StateError::InvalidCursor.is_client_error());
        assert!(StateError::InvalidInput("x".into()).is_client_error());
        assert!(!StateError::Corrupt("x".into()).is_client_error());
    }
}
