//! Who is calling: an API key (`Authorization: Bearer <key>` or `X-Api-Key`), looked
//! up by its SHA-256 hash, or a trusted proxy that passes the employee's email in a
//! header next to a shared secret (compared in constant time). No credentials, or
//! wrong ones, is 401. Which person a request acts for is decided here too: a caller
//! acts as its own email unless its key carries the `impersonate` scope.

use std::collections::HashMap;

use config::serve::{Scope, ServeConfig};
use http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The key's name, or `proxy`.
    pub name: String,
    /// The person the caller is (a proxy's employee, a key's own email).
    pub email: Option<String>,
    /// What the caller may do.
    pub scopes: Vec<Scope>,
}

impl Caller {
    /// Whether the caller holds `scope` (admin implies every scope but impersonate).
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// The email a request acts for: `requested` when given (needs `impersonate`
    /// unless it is the caller's own), else the caller's own.
    pub fn acting_as(&self, requested: Option<&str>) -> Result<String, AuthError> {
        if !self.has(Scope::Search) && !self.has(Scope::Impersonate) {
            return Err(AuthError::Forbidden(format!(
                "{} may not search (no search scope)",
                self.name
            )));
        }
        let own = self.email.as_deref().map(access::normalize_email);
        match requested.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                let r = access::normalize_email(r);
                if own.as_deref() == Some(r.as_str()) || self.has(Scope::Impersonate) {
                    Ok(r)
                } else {
                    Err(AuthError::Forbidden(format!(
                        "{} may not search as someone else (needs the impersonate scope)",
                        self.name
                    )))
                }
            }
            None => own.ok_or_else(|| {
                AuthError::BadRequest(format!(
                    "{} has no identity of its own: name the person to act for (`as`)",
                    self.name
                ))
            }),
        }
    }
}

/// Why a request was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// No credentials, or unknown ones (401).
    #[error("authentication required: {0}")]
    Unauthorized(String),
    /// Credentials without the scope the request needs (403).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A malformed credential header (400).
    #[error("bad request: {0}")]
    BadRequest(String),
}

/// Checks credentials against the configured keys and proxy.
pub struct Authenticator {
    keys: HashMap<String, Caller>,
    proxy: Option<Proxy>,
}

struct Proxy {
    email_header: String,
    secret_header: String,
    secret_hash: [u8; 32],
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("keys", &self.keys.len())
            .field("proxy", &self.proxy.is_some())
            .finish()
    }
}

/// A new random API key (256 bits from the OS, hex).
pub fn new_key() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    format!("jik_{}", hex::encode(bytes))
}

/// Lowercase hex SHA-256 of a key (what the config stores).
pub fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

impl Authenticator {
    /// From the `[serve]` table; `proxy_secret` from its environment variable.
    pub fn new(cfg: &ServeConfig, proxy_secret: Option<&str>) -> Self {
        let keys = cfg
            .api_keys
            .iter()
            .map(|k| {
                (
                    k.sha256.clone(),
                    Caller {
                        name: k.name.clone(),
                        email: k.email.clone(),
                        scopes: k.scopes.clone(),
                    },
                )
            })
            .collect();
        let proxy = match (&cfg.trusted_proxy, proxy_secret) {
            (Some(p), Some(secret)) => Some(Proxy {
                email_header: p.email_header.clone(),
                secret_header: p.secret_header.clone(),
                secret_hash: Sha256::digest(secret.as_bytes()).into(),
            }),
            _ => None,
        };
        Self { keys, proxy }
    }

    /// The caller of a request, from its headers.
    /// Whether the request carries the trusted proxy's secret header.
    pub fn has_proxy_headers(&self, headers: &HeaderMap) -> bool {
        self.proxy
            .as_ref()
            .is_some_and(|p| headers.contains_key(p.secret_header.as_str()))
    }

    /// Who sent a request: an API key, or the trusted proxy's employee.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, AuthError> {
        if let Some(key) = bearer(headers) {
            return self
                .keys
                .get(&key_hash(key))
                .cloned()
                .ok_or_else(|| AuthError::Unauthorized("unknown API key".into()));
        }
        if let Some(proxy) = &self.proxy
            && headers.contains_key(proxy.secret_header.as_str())
        {
            let secret = single_ascii(headers, &proxy.secret_header)?.unwrap_or_default();
            let given: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
            if !bool::from(given.ct_eq(&proxy.secret_hash)) {
                return Err(AuthError::Unauthorized("wrong proxy secret".into()));
            }
            let email = single_ascii(headers, &proxy.email_header)?
                .map(str::trim)
                .filter(|e| e.contains('@'))
                .ok_or_else(|| {
                    AuthError::Unauthorized(format!(
                        "the proxy sent no email in {}",
                        proxy.email_header
                    ))
                })?;
            return Ok(Caller {
                name: "proxy".into(),
                email: Some(access::normalize_email(email)),
                scopes: vec![Scope::Search],
            });
        }
        Err(AuthError::Unauthorized(
            "send an API key (Authorization: Bearer <key>)".into(),
        ))
    }
}

/// The one value of a trusted-proxy header: refused when it comes more than once
/// (a client could add its own next to the proxy's) or is not printable ASCII.
fn single_ascii<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, AuthError> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AuthError::Unauthorized(format!(
            "{name} was sent more than once"
        )));
    }
    first
        .to_str()
        .map(Some)
        .map_err(|_| AuthError::Unauthorized(format!("{name} is not printable ASCII")))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, rest) = v.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then_some(rest.trim())
            .filter(|k| !k.is_empty());
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use config::serve::{ApiKeyConfig, TrustedProxyConfig};

    fn auth() -> Authenticator {
        let cfg = ServeConfig {
            api_keys: vec![
                ApiKeyConfig {
                    name: "alice-key".into(),
                    sha256: key_hash("alice-secret-key"),
                    email: Some("Alice@Example.com".into()),
                    scopes: vec![Scope::Search],
                },
                ApiKeyConfig {
                    name: "frontend".into(),
                    sha256: key_hash("frontend-secret-key"),
                    email: None,
                    scopes: vec![Scope::Impersonate],
                },
            ],
            trusted_proxy: Some(TrustedProxyConfig {
                email_header: "x-forwarded-email".into(),
                secret_header: "x-proxy-secret".into(),
                secret_env: "UNUSED".into(),
            }),
            ..Default::default()
        };
        Authenticator::new(&cfg, Some("proxy-secret-0123456789"))
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn keys_and_impersonation() {
        let a = auth();
        let alice = a
            .authenticate(&headers(&[("authorization", "Bearer alice-secret-key")]))
            .unwrap();
        assert_eq!(alice.acting_as(None).unwrap(), "alice@example.com");
        assert_eq!(
            alice.acting_as(Some("ALICE@example.com")).unwrap(),
            "alice@example.com"
        );
        assert!(matches!(
            alice.acting_as(Some("bob@example.com")),
            Err(AuthError::Forbidden(_))
        ));
        let fe = a
            .authenticate(&headers(&[("x-api-key", "frontend-secret-key")]))
            .unwrap();
        assert_eq!(
            fe.acting_as(Some("bob@example.com")).unwrap(),
            "bob@example.com"
        );
        assert!(matches!(fe.acting_as(None), Err(AuthError::BadRequest(_))));
    }

    #[test]
    fn missing_or_wrong_credentials_are_401() {
        let a = auth();
        for h in [
            headers(&[]),
            headers(&[("authorization", "Bearer nope")]),
            headers(&[("authorization", "Basic abc")]),
            headers(&[
                ("x-proxy-secret", "wrong"),
                ("x-forwarded-email", "bob@example.com"),
            ]),
            headers(&[("x-proxy-secret", "proxy-secret-0123456789")]),
            // an email header alone is never trusted
            headers(&[("x-forwarded-email", "bob@example.com")]),
        ] {
            assert!(
                matches!(a.authenticate(&h), Err(AuthError::Unauthorized(_))),
                "{h:?}"
            );
        }
    }

    #[test]
    fn repeated_or_non_ascii_proxy_headers_are_refused() {
        let a = auth();
        let secret = "proxy-secret-0123456789";
        let mut twice_email = headers(&[("x-proxy-secret", secret)]);
        twice_email.append("x-forwarded-email", "bob@example.com".parse().unwrap());
        twice_email.append("x-forwarded-email", "carol@example.com".parse().unwrap());
        let mut twice_secret = headers(&[("x-forwarded-email", "bob@example.com")]);
        twice_secret.append("x-proxy-secret", secret.parse().unwrap());
        twice_secret.append("x-proxy-secret", "other".parse().unwrap());
        let mut non_ascii = headers(&[("x-proxy-secret", secret)]);
        non_ascii.insert(
            "x-forwarded-email",
            http::HeaderValue::from_bytes(b"b\xc3\xb6b@example.com").unwrap(),
        );
        for (h, why) in [
            (twice_email, "more than once"),
            (twice_secret, "more than once"),
            (non_ascii, "ASCII"),
        ] {
            match a.authenticate(&h) {
                Err(AuthError::Unauthorized(m)) => assert!(m.contains(why), "{m}"),
                other => panic!("{h:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn proxy_passes_the_employee() {
        let c = auth()
            .authenticate(&headers(&[
                ("x-proxy-secret", "proxy-secret-0123456789"),
                ("x-forwarded-email", "Bob@Example.com"),
            ]))
            .unwrap();
        assert_eq!(c.acting_as(None).unwrap(), "bob@example.com");
        assert!(c.acting_as(Some("carol@example.com")).is_err());
    }

    #[test]
    fn debug_shows_no_key_material() {
        let s = format!("{:?}", auth());
        assert!(!s.contains("proxy-secret-0123456789"), "{s}");
        assert!(!s.contains(&key_hash("alice-secret-key")), "{s}");
        assert!(!s.contains("alice"), "{s}");
    }
}
