//! The request as the handlers see it: the head read, the body not yet.

use crate::core::config::Config;
use crate::core::guard::{self, Presented, Principal};
use crate::core::ports::ClientInfo;
use crate::core::problem::ApiError;
use crate::core::web::{self, BrowserContext};
use crate::edge::client::client_info;
use crate::edge::redis::Redis;
use futures::TryStreamExt;
use serde_json::Value;
use spin_sdk::http::IncomingRequest;

/// Larger bodies are refused with 413 before they are read further.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

pub struct Incoming {
    pub request: IncomingRequest,
    pub method: String,
    pub headers: Vec<(String, String)>,
}

impl Incoming {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        web::cookie(self.header("cookie"), name)
    }

    pub fn client(&self, config: &Config) -> ClientInfo {
        client_info(|name| self.header(name).map(str::to_string), config.trusted_proxy)
    }

    /// Reads the body, refusing more than the limit as it streams (not
    /// trusting Content-Length alone).
    async fn body(self) -> Result<Vec<u8>, ApiError> {
        let declared = self
            .header("content-length")
            .and_then(|l| l.trim().parse::<usize>().ok());
        if declared.is_some_and(|len| len > MAX_BODY_BYTES) {
            return Err(ApiError::PayloadTooLarge {
                limit: MAX_BODY_BYTES,
            });
        }
        let mut stream = self.request.into_body_stream();
        let mut body = Vec::new();
        while let Some(chunk) = stream
            .try_next()
            .await
            .map_err(|_| ApiError::MalformedJson)?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BODY_BYTES {
                return Err(ApiError::PayloadTooLarge {
                    limit: MAX_BODY_BYTES,
                });
            }
        }
        Ok(body)
    }

    fn is_json(&self) -> bool {
        let content_type = self.header("content-type").unwrap_or_default();
        content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .eq_ignore_ascii_case("application/json")
    }

    /// The JSON body: 415 unless it is JSON, 413 past the limit, 400 if it
    /// does not parse.
    pub async fn json_body(self) -> Result<Value, ApiError> {
        if !self.is_json() {
            return Err(ApiError::UnsupportedMediaType);
        }
        let body = self.body().await?;
        serde_json::from_slice(&body).map_err(|_| ApiError::MalformedJson)
    }

    /// Like `json_body`, for endpoints whose body may be left out.
    pub async fn optional_json_body(self) -> Result<Option<Value>, ApiError> {
        let is_json = self.is_json();
        let body = self.body().await?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        serde_json::from_slice(&body)
            .map(Some)
            .map_err(|_| ApiError::MalformedJson)
    }

    /// What cookie mode decides on (see `core::web::BrowserContext`).
    pub fn browser(&self, config: &Config) -> BrowserContext<'_> {
        BrowserContext {
            wants_cookies: config.cookie_mode
                || self
                    .header("x-auth-mode")
                    .is_some_and(|m| m.eq_ignore_ascii_case("cookie")),
            state_changing: web::is_state_changing(&self.method),
            csrf_header: self.header(web::CSRF_HEADER),
            csrf_cookie: self.cookie(web::CSRF_COOKIE),
        }
    }

    /// The access token from `Authorization: Bearer`, else from its cookie.
    pub fn presented(&self, config: &Config) -> Presented<'_> {
        let bearer = self.header("authorization").and_then(|h| {
            let (scheme, token) = h.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
        Presented {
            token: bearer.or_else(|| self.cookie(web::ACCESS_COOKIE)),
            from_cookie: bearer.is_none(),
            browser: self.browser(config),
        }
    }

    /// The access-token guard: the only way a handler gets a `Principal`.
    pub fn authenticate(&self, config: &Config, redis: &mut Redis<'_>) -> Result<Principal, ApiError> {
        guard::authenticate(config, &self.presented(config), redis)
    }
}
