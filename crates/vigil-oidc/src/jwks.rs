//! Discovery and the signing-key cache. Documents are read with redirects off, a timeout and a
//! size bound; a failed fetch keeps the keys held before (a provider outage must not log every
//! user out); a key of a type Vigil does not verify with is skipped, not fatal.

use std::{
    collections::HashMap,
    sync::{
        Arc, RwLock,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::{Duration, Instant},
};

use jsonwebtoken::{DecodingKey, jwk::Jwk};
use serde::Deserialize;

use crate::{OidcConfig, OidcError};

/// The discovery document's members Vigil uses (OpenID Connect Discovery 1.0 §3).
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub jwks_uri: String,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
}

/// One verification key with the JWK members that say what it may verify.
pub(crate) struct VerifyKey {
    pub kty: String,
    pub crv: Option<String>,
    pub alg: Option<String>,
    pub key: DecodingKey,
}

/// Largest discovery or JWKS document read.
const MAX_DOCUMENT: usize = 1 << 20;

/// The HTTP client for the provider: no redirects (a redirect could point anywhere), bounded time.
pub(crate) fn http_client() -> Result<reqwest::Client, OidcError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("vigil/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| OidcError::Config(format!("cannot build the HTTP client: {e}")))
}

/// `https://`, or `http://` on a loopback address when allowed.
pub(crate) fn check_url(text: &str, allow_http: bool) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(text).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    let host = url.host_str().unwrap_or_default();
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback());
    match url.scheme() {
        "https" => Ok(url),
        "http" if allow_http && loopback => Ok(url),
        "http" if allow_http => Err(format!("`{text}`: plain http only on a loopback address")),
        _ => Err(format!(
            "`{text}`: https required (allow_http only for a loopback provider)"
        )),
    }
}

async fn get_json<T: serde::de::DeserializeOwned>(http: &reqwest::Client, url: reqwest::Url) -> Result<T, OidcError> {
    let failed = |message: String| OidcError::Fetch {
        url: url.to_string(),
        message,
    };
    let mut response = http
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| failed(e.to_string()))?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(failed(format!("HTTP {}", response.status())));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| failed(e.to_string()))? {
        if body.len() + chunk.len() > MAX_DOCUMENT {
            return Err(failed(format!("larger than {MAX_DOCUMENT} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| failed(format!("not the expected JSON: {e}")))
}

/// How long a request with an unknown key id waits for a key fetch already in progress.
const REFETCH_WAIT: Duration = Duration::from_secs(2);

/// The provider's discovery document and keys.
pub(crate) struct KeyCache {
    discovery: RwLock<Option<Arc<Discovery>>>,
    keys: RwLock<Arc<HashMap<String, Arc<VerifyKey>>>>,
    /// Serialises fetches; the time of the last re-fetch bounds re-fetches on unknown keys.
    last_fetch: Arc<tokio::sync::Mutex<Option<Instant>>>,
    min_refetch: Duration,
    fetches: AtomicU64,
}

impl KeyCache {
    pub fn new(min_refetch: Duration) -> KeyCache {
        KeyCache {
            discovery: RwLock::new(None),
            keys: RwLock::new(Arc::default()),
            last_fetch: Arc::new(tokio::sync::Mutex::new(None)),
            min_refetch,
            fetches: AtomicU64::new(0),
        }
    }

    pub fn fetches(&self) -> u64 {
        self.fetches.load(Relaxed)
    }

    pub fn discovery(&self) -> Option<Arc<Discovery>> {
        self.discovery
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn get(&self, kid: &str) -> Option<Arc<VerifyKey>> {
        self.keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(kid)
            .cloned()
    }

    /// The key `kid`; when unknown, the keys are fetched again unless that happened less than
    /// `min_refetch` ago (so a flood of made-up key ids costs one fetch per interval). A request
    /// waits at most [`REFETCH_WAIT`] for a fetch in progress, never queueing behind a slow
    /// provider; the fetch runs in its own task, holding the lock, so a request that goes away
    /// neither cancels it nor spends the interval for nothing.
    pub async fn key(
        self: &Arc<Self>,
        http: &reqwest::Client,
        config: &OidcConfig,
        kid: &str,
    ) -> Result<Arc<VerifyKey>, OidcError> {
        if let Some(key) = self.get(kid) {
            return Ok(key);
        }
        if self.discovery().is_none() {
            return Err(OidcError::NotReady);
        }
        let unknown = || OidcError::Fetch {
            url: config.issuer.clone(),
            message: "no signing key has this token's key id".into(),
        };
        let Ok(mut last) = tokio::time::timeout(REFETCH_WAIT, self.last_fetch.clone().lock_owned()).await else {
            return self.get(kid).ok_or_else(unknown);
        };
        if let Some(key) = self.get(kid) {
            return Ok(key);
        }
        if last.is_none_or(|t| t.elapsed() >= self.min_refetch) {
            *last = Some(Instant::now());
            let (cache, http, config) = (Arc::clone(self), http.clone(), config.clone());
            let fetch = tokio::spawn(async move {
                if let Err(e) = cache.fetch_keys(&http, &config).await {
                    tracing::warn!(error = %e, "re-fetching the OpenID provider's keys failed");
                }
                drop(last);
            });
            let _ = tokio::time::timeout(REFETCH_WAIT * 5, fetch).await;
        }
        self.get(kid).ok_or_else(unknown)
    }

    /// Discovery (once) and the keys.
    pub async fn refresh(&self, http: &reqwest::Client, config: &OidcConfig) -> Result<usize, OidcError> {
        // Serialized with the re-fetches, but not counted against their limit: a rotation just
        // after a scheduled refresh is still picked up at once.
        let _serial = self.last_fetch.lock().await;
        if self.discovery().is_none() {
            let discovery = discover(http, config).await?;
            *self
                .discovery
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(discovery));
        }
        self.fetch_keys(http, config).await
    }

    async fn fetch_keys(&self, http: &reqwest::Client, config: &OidcConfig) -> Result<usize, OidcError> {
        #[derive(Deserialize)]
        struct RawSet {
            keys: Vec<serde_json::Value>,
        }
        let discovery = self.discovery().ok_or(OidcError::NotReady)?;
        let url = check_url(&discovery.jwks_uri, config.allow_http).map_err(OidcError::Config)?;
        self.fetches.fetch_add(1, Relaxed);
        let raw: RawSet = get_json(http, url.clone()).await?;
        let keys = read_keys(raw.keys);
        if keys.is_empty() {
            return Err(OidcError::Fetch {
                url: url.to_string(),
                message: "no usable signing key".into(),
            });
        }
        let n = keys.len();
        *self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(keys);
        Ok(n)
    }
}

/// The usable signature keys of a JWKS, by key id: never a symmetric (`oct`) key, nor one
/// meant for encryption; members that do not read are skipped.
fn read_keys(raw: Vec<serde_json::Value>) -> HashMap<String, Arc<VerifyKey>> {
    let mut keys = HashMap::new();
    for value in raw {
        let text = |member: &str| value.get(member).and_then(|v| v.as_str()).map(str::to_owned);
        let (Some(kid), Some(kty)) = (text("kid"), text("kty")) else {
            continue;
        };
        if !matches!(kty.as_str(), "RSA" | "EC" | "OKP") || text("use").is_some_and(|u| u != "sig") {
            continue;
        }
        let Ok(jwk) = serde_json::from_value::<Jwk>(value.clone()) else {
            continue;
        };
        let Ok(key) = DecodingKey::from_jwk(&jwk) else {
            continue;
        };
        keys.insert(
            kid,
            Arc::new(VerifyKey {
                kty,
                crv: text("crv"),
                alg: text("alg"),
                key,
            }),
        );
    }
    keys
}

#[cfg(test)]
impl KeyCache {
    /// A provider "fetched" without the network: for unit tests of verification.
    pub(crate) fn load_for_test(&self, discovery: Discovery, jwks: Vec<serde_json::Value>) {
        *self
            .discovery
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(discovery));
        *self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(read_keys(jwks));
    }
}

/// `{issuer}/.well-known/openid-configuration`, whose `issuer` must be ours exactly (Discovery §4.3).
async fn discover(http: &reqwest::Client, config: &OidcConfig) -> Result<Discovery, OidcError> {
    let text = format!(
        "{}/.well-known/openid-configuration",
        config.issuer.trim_end_matches('/')
    );
    let url = check_url(&text, config.allow_http).map_err(OidcError::Config)?;
    let discovery: Discovery = get_json(http, url).await?;
    if discovery.issuer != config.issuer {
        return Err(OidcError::Config(format!(
            "the provider names itself `{}`, not the configured issuer `{}`",
            discovery.issuer, config.issuer
        )));
    }
    Ok(discovery)
}
