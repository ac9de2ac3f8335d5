//! Policy enforcement at connection time: resolve a host name and keep only permitted addresses.
//!
//! The HTTP client resolves names through [`PolicyResolver`], and the e-mail transport through
//! [`resolve_allowed`], so the addresses connected to are exactly the ones checked here.

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::Rules;

/// How many refused addresses an error message lists.
const LISTED: usize = 4;

/// A host name whose every address the policy forbids.
#[derive(Debug, thiserror::Error)]
#[error("{host}: {reason}")]
pub(crate) struct AddressRefused {
    pub(crate) host: String,
    pub(crate) reason: String,
}

/// Why resolving a host name gave nothing to connect to.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ResolveError {
    #[error(transparent)]
    Refused(AddressRefused),
    #[error("cannot resolve {host}: {source}")]
    Lookup {
        host: String,
        #[source]
        source: std::io::Error,
    },
}

/// Resolves `host` with the system resolver (on tokio's blocking pool) and returns the addresses
/// the policy permits, in the resolver's order.
pub(crate) async fn resolve_allowed(rules: &Rules, host: &str, port: u16) -> Result<Vec<SocketAddr>, ResolveError> {
    let found: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|source| ResolveError::Lookup {
            host: host.to_owned(),
            source,
        })?
        .collect();
    filter(rules, host, found).map_err(ResolveError::Refused)
}

/// Keeps the permitted addresses; refuses when none is left.
pub(crate) fn filter(rules: &Rules, host: &str, found: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, AddressRefused> {
    let name_allowed = rules.name_allowed(host);
    let mut reasons = Vec::new();
    let mut allowed = Vec::new();
    for addr in found {
        match rules.check_ip(addr.ip(), name_allowed) {
            Ok(()) => allowed.push(addr),
            Err(reason) => reasons.push(reason),
        }
    }
    if !allowed.is_empty() {
        if !reasons.is_empty() {
            tracing::debug!(host, dropped = reasons.len(), "dropped forbidden addresses");
        }
        return Ok(allowed);
    }
    let reason = if reasons.is_empty() {
        "resolves to no address".to_owned()
    } else {
        let shown: Vec<&str> = reasons.iter().take(LISTED).map(String::as_str).collect();
        format!("resolves only to forbidden addresses: {}", shown.join("; "))
    };
    Err(AddressRefused {
        host: host.to_owned(),
        reason,
    })
}

/// The HTTP client's resolver: every answer goes through the policy.
#[derive(Debug)]
pub(crate) struct PolicyResolver {
    rules: Arc<Rules>,
}

impl PolicyResolver {
    pub(crate) fn new(rules: Arc<Rules>) -> Self {
        Self { rules }
    }
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let rules = Arc::clone(&self.rules);
        Box::pin(async move {
            match resolve_allowed(&rules, name.as_str(), 0).await {
                Ok(addrs) => Ok(Box::new(addrs.into_iter()) as Addrs),
                // Boxed as itself, so the caller finds it in the error chain.
                Err(ResolveError::Refused(refused)) => Err(Box::new(refused) as _),
                Err(other) => Err(Box::new(other) as _),
            }
        })
    }
}
