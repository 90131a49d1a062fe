//! An answer before it is written out. Headers may repeat (`Set-Cookie`).

use crate::core::config::Config;
use crate::core::flows::TokenPair;
use crate::core::problem::{ApiError, PROBLEM_CONTENT_TYPE};
use crate::core::web;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Value};

/// The realm named in `WWW-Authenticate`.
const REALM: &str = "auth-service";

/// What a 503 for the database asks the client to wait: a connection the
/// server closed is replaced on the next request, and a lock or statement
/// the service role's timeouts ended (migration 0030) is usually free again.
const DATABASE_RETRY_AFTER_SECONDS: u32 = 2;

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(status: u16, body: &impl Serialize) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }

    /// Status, headers and body as the host writes them. The length is
    /// always declared (a body may never follow a 204 or a HEAD's answer):
    /// a host that does not know it sends head and body apart, and the body
    /// can then wait ≈ 40 ms for the client's delayed ACK (seen under Spin).
    pub fn into_parts(self, method: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let mut headers = self.headers;
        if self.status != 204 && method != "HEAD" {
            headers.push(("content-length".into(), self.body.len().to_string()));
        }
        (self.status, headers, self.body)
    }

    pub fn no_content() -> Reply {
        Reply {
            status: 204,
            headers: vec![],
            body: vec![],
        }
    }

    /// The problem document of `error`, with the headers its status calls
    /// for: `Allow` (405), `WWW-Authenticate` (401: RFC 9110 §15.5.2, RFC
    /// 6750 §3), `Retry-After` (429; 503 when the database cannot serve the
    /// request now: a lost connection, a lock or statement timeout).
    pub fn problem(error: &ApiError) -> Reply {
        let problem = error.problem();
        let mut reply = Reply {
            status: problem.status,
            headers: vec![("content-type".into(), PROBLEM_CONTENT_TYPE.into())],
            body: serde_json::to_vec(&problem).unwrap_or_default(),
        };
        match error {
            ApiError::MethodNotAllowed { allow } => {
                reply = reply.header("allow", allow.join(", "));
            }
            ApiError::InvalidToken => {
                reply = reply.header(
                    "www-authenticate",
                    format!(r#"Bearer realm="{REALM}", error="invalid_token""#),
                );
            }
            ApiError::Unauthenticated
            | ApiError::InvalidCredentials
            | ApiError::InvalidRefreshToken => {
                reply = reply.header("www-authenticate", format!(r#"Bearer realm="{REALM}""#));
            }
            ApiError::TooManyRequests {
                retry_after_seconds,
            } => {
                reply = reply.header("retry-after", retry_after_seconds.to_string());
            }
            ApiError::Unavailable {
                dependency: "database",
                ..
            } => {
                reply = reply.header("retry-after", DATABASE_RETRY_AFTER_SECONDS.to_string());
            }
            _ => {}
        }
        reply.header("cache-control", "no-store")
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Responses carrying tokens or personal data must not be cached.
    pub fn no_store(self) -> Reply {
        self.header("cache-control", "no-store")
    }

    /// A token pair in the body, or in cookies (with a fresh CSRF token) for
    /// browsers in cookie mode, where the body then carries no token at all.
    /// Never cached (RFC 6749 §5.1: `Cache-Control: no-store`, `Pragma: no-cache`).
    pub fn tokens(
        config: &Config,
        status: u16,
        tokens: TokenPair,
        user: Option<Value>,
        cookies: Option<&web::CookieNames>,
    ) -> Result<Reply, ApiError> {
        let mut body = if cookies.is_some() {
            json!({"token_type": tokens.token_type, "expires_in": tokens.expires_in})
        } else {
            serde_json::to_value(&tokens).unwrap_or_default()
        };
        if let Some(user) = user {
            body["user"] = user;
        }
        let mut reply = Reply::json(status, &body)
            .no_store()
            .header("pragma", "no-cache");
        if let Some(names) = cookies {
            let mut csrf = [0u8; 32];
            getrandom::fill(&mut csrf).map_err(|e| ApiError::internal("cookies.csrf_token", e))?;
            let set = web::token_cookies(
                names,
                &tokens.access_token,
                config.access_ttl_seconds()?,
                &tokens.refresh_token,
                config.refresh_ttl_seconds()?,
                &URL_SAFE_NO_PAD.encode(csrf),
            );
            for cookie in set {
                reply = reply.header("set-cookie", cookie);
            }
        }
        Ok(reply)
    }
}
