//! The request as the handlers see it, read whole before anyone answers: a
//! server that answers while request bytes are still unread may close the
//! connection with a reset that destroys its own answer in flight. (Once,
//! under Spin 4.1, a 401 sent before the request body was read arrived
//! without its body; not reproduced since, but no answer now leaves a body
//! unread.)

use crate::core::config::Config;
use crate::core::guard::{self, Presented, Principal};
use crate::core::ports::ClientInfo;
use crate::core::ports::MeLookup;
use crate::core::problem::ApiError;
use crate::core::web::{self, BrowserContext};
use crate::edge::client::client_info;
use crate::edge::redis::Redis;
use futures::{Stream, StreamExt};
use serde_json::Value;

/// Larger bodies are refused with 413.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// How much of a too-large body is still read (and dropped) so the answer
/// is not lost to a reset; past this the connection may be cut.
const DRAIN_LIMIT_BYTES: usize = 1024 * 1024;

/// The body length the client announced, if it announced one.
fn declared_length(headers: &[(String, String)]) -> Option<usize> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
}

pub struct Incoming {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query's `name=value` pairs, decoded.
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    /// The request target's authority as the host hands it over (from an
    /// absolute-form target or HTTP/2's `:authority`; Spin also copies the
    /// `Host` header into it).
    authority: Option<String>,
    body: Result<Vec<u8>, ApiError>,
    /// The signed-in caller's user id, once the guard has let it in (for
    /// the request log).
    caller: std::cell::RefCell<Option<String>>,
}

impl Incoming {
    /// The request's head; its body is read by `read_body`, unless the
    /// declared length is already too large: then the 413 goes out at once,
    /// rather than after the client sent (or gave up sending) all it
    /// announced.
    pub fn head(
        method: String,
        target: &str,
        authority: Option<String>,
        headers: Vec<(String, String)>,
    ) -> Incoming {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let declared_too_large = declared_length(&headers).is_some_and(|len| len > MAX_BODY_BYTES);
        Incoming {
            method,
            path: path.to_string(),
            query: form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
            headers,
            authority,
            body: if declared_too_large {
                Err(ApiError::PayloadTooLarge {
                    limit: MAX_BODY_BYTES,
                })
            } else {
                Ok(Vec::new())
            },
            caller: Default::default(),
        }
    }

    /// Whether the request names the host it is for: a `Host` header, or an
    /// authority in its target. HTTP/1.1 requires `Host` (RFC 9112 §3.2);
    /// Spin closes the connection of an origin-form request without one,
    /// and passes an absolute-form one on with the target's authority,
    /// exactly as it passes an HTTP/2 request (whose `:authority` stands
    /// for `Host`): the two cannot be told apart here, so only a request
    /// with neither is refused.
    pub fn names_its_host(&self) -> bool {
        self.header("host").is_some_and(|h| !h.trim().is_empty())
            || self.authority.as_deref().is_some_and(|a| !a.is_empty())
    }

    pub fn caller_id(&self) -> Option<String> {
        self.caller.borrow().clone()
    }

    /// Whether there is a body to read. A request with `Content-Length`
    /// has one; so may any POST, PUT, PATCH or DELETE, since a chunked body
    /// announces itself only by `Transfer-Encoding`, which the host removes
    /// before the component sees the headers (a hop-by-hop header WASI HTTP
    /// forbids). A GET or HEAD without `Content-Length` has none worth
    /// reading: reading an empty body still costs a round of calls to the
    /// host.
    pub fn wants_body(&self) -> bool {
        let announced = self.headers.iter().any(|(k, _)| {
            k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("transfer-encoding")
        });
        let may_carry_one = matches!(self.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE");
        self.body.is_ok() && (announced || may_carry_one)
    }

    /// Reads the whole body, refusing more than the limit (not trusting
    /// Content-Length alone).
    pub async fn read_body<C: AsRef<[u8]>, E>(
        &mut self,
        mut stream: impl Stream<Item = Result<C, E>> + Unpin,
    ) {
        let mut body = Vec::new();
        let mut seen = 0usize;
        let mut failed = None;
        loop {
            match stream.next().await {
                Some(Ok(chunk)) => {
                    let chunk = chunk.as_ref();
                    seen += chunk.len();
                    if seen <= MAX_BODY_BYTES {
                        body.extend_from_slice(chunk);
                    } else if seen > DRAIN_LIMIT_BYTES {
                        break;
                    }
                }
                None => break,
                Some(Err(_)) => {
                    failed = Some(ApiError::MalformedJson);
                    break;
                }
            }
        }
        self.body = match failed {
            Some(e) => Err(e),
            None if seen > MAX_BODY_BYTES => Err(ApiError::PayloadTooLarge {
                limit: MAX_BODY_BYTES,
            }),
            None => Ok(body),
        };
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        web::cookie(self.header("cookie"), name)
    }

    pub fn client(&self, config: &Config) -> Result<ClientInfo, ApiError> {
        Ok(client_info(&self.headers, config.trusted_proxy()?))
    }

    fn body(&self) -> Result<&[u8], ApiError> {
        self.body.as_deref().map_err(Clone::clone)
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
    pub fn json_body(&self) -> Result<Value, ApiError> {
        if !self.is_json() {
            return Err(ApiError::UnsupportedMediaType);
        }
        serde_json::from_slice(self.body()?).map_err(|_| ApiError::MalformedJson)
    }

    /// Like `json_body`, for endpoints whose body may be left out.
    pub fn optional_json_body(&self) -> Result<Option<Value>, ApiError> {
        let body = self.body()?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        if !self.is_json() {
            return Err(ApiError::UnsupportedMediaType);
        }
        serde_json::from_slice(body)
            .map(Some)
            .map_err(|_| ApiError::MalformedJson)
    }

    /// What cookie mode decides on (see `core::web::BrowserContext`).
    pub fn browser(&self, config: &Config) -> Result<BrowserContext<'_>, ApiError> {
        let asked = self
            .header("x-auth-mode")
            .is_some_and(|m| m.eq_ignore_ascii_case("cookie"));
        Ok(self.browser_context(asked || config.cookie_mode()?))
    }

    fn browser_context(&self, wants_cookies: bool) -> BrowserContext<'_> {
        BrowserContext {
            wants_cookies,
            state_changing: web::is_state_changing(&self.method),
            csrf_header: self.header(web::CSRF_HEADER),
            csrf_cookie: self.cookie(self.cookie_names().csrf),
        }
    }

    /// Whether the request came over HTTPS: as the host received it
    /// (`spin-full-url`), or as the TLS-terminating proxy in front says it
    /// did (the last `X-Forwarded-Proto` value, which a proxy sets or
    /// appends). A false claim only renames the cookies of the one who
    /// makes it (a browser refuses prefixed cookies over plain HTTP), and a
    /// page of another origin cannot add the header to a victim's request
    /// without passing CORS.
    fn https(&self) -> bool {
        let proxied = self
            .header("x-forwarded-proto")
            .and_then(|p| p.rsplit(',').next())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
        let received = self
            .header("spin-full-url")
            .and_then(|url| url.get(..8))
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"));
        received || proxied
    }

    /// Cookie mode's cookie names for this request (`__Host-` over HTTPS).
    pub fn cookie_names(&self) -> &'static web::CookieNames {
        web::CookieNames::for_scheme(self.https())
    }

    /// The access token from `Authorization: Bearer`, else from its cookie.
    pub fn presented(&self) -> Presented<'_> {
        let bearer = self.header("authorization").and_then(|h| {
            let (scheme, token) = h.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
        Presented {
            token: bearer.or_else(|| self.cookie(self.cookie_names().access)),
            from_cookie: bearer.is_none(),
            // The guard only checks CSRF, which cookie mode does not change:
            // checking a token reads no `cookie_mode`.
            browser: self.browser_context(false),
        }
    }

    /// The access-token guard: the only way a handler gets a `Principal`.
    pub async fn authenticate(
        &self,
        config: &Config,
        redis: &mut Redis<'_>,
    ) -> Result<Principal, ApiError> {
        let principal = guard::authenticate(config, &self.presented(), redis).await?;
        *self.caller.borrow_mut() = Some(principal.user_id().to_string());
        Ok(principal)
    }

    /// `authenticate` when the request carries an access token (a bearer
    /// or the cookie); `None` when it carries none. A token that does not
    /// pass is refused, never taken as anonymous.
    pub async fn authenticate_if_presented(
        &self,
        config: &Config,
        redis: &mut Redis<'_>,
    ) -> Result<Option<Principal>, ApiError> {
        if self.presented().token.is_none() {
            return Ok(None);
        }
        self.authenticate(config, redis).await.map(Some)
    }

    /// `authenticate`, for a staff endpoint: a holder of a role in
    /// `mfa_required_roles` must have signed in with a second factor.
    pub async fn authenticate_for_staff_work(
        &self,
        config: &Config,
        redis: &mut Redis<'_>,
    ) -> Result<Principal, ApiError> {
        let principal = self.authenticate(config, redis).await?;
        principal.require_second_factor(config)?;
        Ok(principal)
    }

    /// `authenticate`, reading the caller's cached `/me` answer along.
    pub async fn authenticate_reading_me(
        &self,
        config: &Config,
        redis: &mut Redis<'_>,
    ) -> Result<(Principal, MeLookup), ApiError> {
        let (principal, me) =
            guard::authenticate_reading_me(config, &self.presented(), redis).await?;
        *self.caller.borrow_mut() = Some(principal.user_id().to_string());
        Ok((principal, me))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(authority: Option<&str>, headers: &[(&str, &str)]) -> Incoming {
        let headers = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Incoming::head("GET".into(), "/health", authority.map(Into::into), headers)
    }

    #[test]
    fn a_request_names_its_host_by_header_or_by_authority() {
        assert!(get(None, &[("Host", "auth.example")]).names_its_host());
        // HTTP/2, or an absolute-form target: the authority stands for Host.
        assert!(get(Some("auth.example"), &[]).names_its_host());
        assert!(!get(None, &[]).names_its_host());
        assert!(!get(None, &[("host", " ")]).names_its_host());
        assert!(!get(Some(""), &[("x-forwarded-host", "a")]).names_its_host());
    }
}
