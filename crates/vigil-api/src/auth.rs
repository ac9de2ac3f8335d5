//! How requests prove who sends them: bearer secrets checked against the token table, for the
//! API's routes and (through [`IngestAuth`]) the ingest inputs.

use std::{future::Future, pin::Pin};

use vigil_ingest::IngestAuth;
use vigil_state::{Scope, State};

/// Checks bearer secrets against the token table.
#[derive(Debug, Clone)]
pub struct TokenAuth {
    pub state: State,
}

impl TokenAuth {
    /// The token's scope allows `needed`.
    pub async fn allows(&self, secret: &str, needed: Scope) -> bool {
        match self.state.verify_token(secret).await {
            Ok(Some(info)) => !info.revoked && info.scope.allows(needed),
            Ok(None) => false,
            Err(e) => {
                tracing::error!(error = %e, "token check failed");
                false
            }
        }
    }
}

impl IngestAuth for TokenAuth {
    fn allows_ingest(&self, token: &str) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        let token = token.to_string();
        Box::pin(async move { self.allows(&token, Scope::Ingest).await })
    }
}
