//! `POST /api/v1/auth/login` and `/logout`: a local user's browser session.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::Me;

/// What `POST /api/v1/auth/login` takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// The user name.
    pub username: String,
    /// The password (12 to 1,024 characters).
    pub password: String,
}

/// The answer of a successful login (the session itself is the `__Host-vigil_session` cookie).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LoginAnswer {
    #[serde(flatten)]
    pub me: Me,
    /// The password was generated (bootstrap or reset): the user should choose their own.
    pub must_change_password: bool,
    /// Seconds until the session ends at the latest (it also ends after 30 minutes idle).
    pub expires_in: u64,
}

/// What `POST /api/v1/auth/password` takes: a local user choosing a new password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    /// The password in use now (the generated one, after bootstrap or a reset).
    pub current_password: String,
    /// The new password: 12 to 1,024 characters, not the current one.
    pub new_password: String,
}
