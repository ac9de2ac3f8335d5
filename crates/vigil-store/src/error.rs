//! The store's error type.

use std::path::PathBuf;

use vigil_query::QueryError;

/// What went wrong in the event store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The search query does not parse; `position` in the [`QueryError`] says where (the API answers
    /// HTTP 400 with code `bad_query`).
    #[error("bad query: {0}")]
    Query(#[from] QueryError),
    /// The query parses but one of its parts cannot be searched: a range whose bounds are reversed,
    /// a non-time on `@timestamp`, a word too long to be indexed, a wildcard too complex. The
    /// message names the part (the API answers HTTP 400 with code `bad_query`).
    #[error("bad query: {0}")]
    BadQuery(String),
    /// The request is well-formed but not acceptable: page size too large, a cursor that is not
    /// ours, an aggregation that would make too many buckets, a wildcard too complex to compile.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The [`StoreConfig`](crate::StoreConfig) is not usable.
    #[error("bad store configuration: {0}")]
    Config(String),
    /// A file-system operation failed.
    #[error("{context} ({path}): {source}")]
    Io {
        context: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The index library failed (I/O underneath, a corrupt or incompatible partition).
    #[error("{context}: {source}")]
    Index {
        context: String,
        #[source]
        source: tantivy::TantivyError,
    },
    /// The store was opened with [`EventStore::open_read_only`](crate::EventStore::open_read_only).
    #[error("the event store is open read-only")]
    ReadOnly,
    /// Stored data could not be read back.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub(crate) fn io(context: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> StoreError {
        let path = path.into();
        move |source| StoreError::Io { context, path, source }
    }
}

/// Adds context to tantivy results.
pub(crate) trait IndexContext<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T, StoreError>;
}

impl<T> IndexContext<T> for tantivy::Result<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Index {
            context: context(),
            source,
        })
    }
}
