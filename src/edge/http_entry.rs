//! The HTTP entry point: routing, body limits and content types, the access
//! guard, cookie mode and CORS, then the core's flows. Every error leaves as
//! `application/problem+json`.

use super::client::client_info;
use super::postgres::PgStore;
use super::redis::Redis;
use super::variables::load_config;
use crate::core::config::Config;
use crate::core::guard::{self, Presented, Principal};
use crate::core::problem::{ApiError, PROBLEM_CONTENT_TYPE};
use crate::core::requests::{self, LoginRequest, PasswordChange, Registration};
use crate::core::service::{self, TokenPair};
use crate::core::web;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures::{SinkExt, TryStreamExt};
use serde::Serialize;
use serde_json::{json, Value};
use spin_sdk::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};
use spin_sdk::http_component;

/// Larger bodies are refused with 413 before they are read further.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

const API_PREFIX: &str = "/api/v1";

enum Route {
    Health,
    Register,
    Login,
    Refresh,
    Logout,
    Me,
    Sessions,
    Session(String),
    Password,
    Jwks,
}

impl Route {
    /// The route for a path, or 404.
    fn find(path: &str) -> Result<Route, ApiError> {
        let rest = path.strip_prefix(API_PREFIX).ok_or(ApiError::NotFound)?;
        Ok(match rest {
            "/auth/health" => Route::Health,
            "/auth/register" => Route::Register,
            "/auth/login" => Route::Login,
            "/auth/refresh" => Route::Refresh,
            "/auth/logout" => Route::Logout,
            "/auth/me" => Route::Me,
            "/auth/sessions" => Route::Sessions,
            "/auth/password" => Route::Password,
            "/auth/.well-known/jwks.json" => Route::Jwks,
            _ => match rest.strip_prefix("/auth/sessions/") {
                Some(id) if !id.is_empty() && !id.contains('/') => Route::Session(id.to_string()),
                _ => return Err(ApiError::NotFound),
            },
        })
    }

    fn allowed_methods(&self) -> &'static [&'static str] {
        match self {
            Route::Health => &["GET", "HEAD"],
            Route::Me | Route::Sessions | Route::Jwks => &["GET"],
            Route::Session(_) => &["DELETE"],
            Route::Register | Route::Login | Route::Refresh | Route::Logout | Route::Password => {
                &["POST"]
            }
        }
    }
}

/// An answer before it is written out; headers may repeat (`Set-Cookie`).
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn json(status: u16, body: &impl Serialize) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }

    fn no_content() -> Reply {
        Reply {
            status: 204,
            headers: vec![],
            body: vec![],
        }
    }

    fn problem(error: &ApiError) -> Reply {
        let problem = error.problem();
        let mut reply = Reply {
            status: problem.status,
            headers: vec![("content-type".into(), PROBLEM_CONTENT_TYPE.into())],
            body: serde_json::to_vec(&problem).unwrap_or_default(),
        };
        if let ApiError::MethodNotAllowed { allow } = error {
            reply = reply.header("allow", allow.join(", "));
        }
        reply.header("cache-control", "no-store")
    }

    fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Responses carrying tokens or personal data must not be cached.
    fn no_store(self) -> Reply {
        self.header("cache-control", "no-store")
    }
}

/// The request as the handlers see it: head read, body not yet.
struct Incoming {
    request: IncomingRequest,
    method: String,
    headers: Vec<(String, String)>,
}

impl Incoming {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn cookie(&self, name: &str) -> Option<&str> {
        web::cookie(self.header("cookie"), name)
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
    async fn json_body(self) -> Result<Value, ApiError> {
        if !self.is_json() {
            return Err(ApiError::UnsupportedMediaType);
        }
        let body = self.body().await?;
        serde_json::from_slice(&body).map_err(|_| ApiError::MalformedJson)
    }

    /// Like `json_body`, for endpoints whose body may be left out.
    async fn optional_json_body(self) -> Result<Option<Value>, ApiError> {
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

    fn wants_cookies(&self, config: &Config) -> bool {
        config.cookie_mode
            || self
                .header("x-auth-mode")
                .is_some_and(|m| m.eq_ignore_ascii_case("cookie"))
    }

    /// The access token from `Authorization: Bearer`, else from its cookie.
    fn presented(&self) -> Presented<'_> {
        let bearer = self.header("authorization").and_then(|h| {
            let (scheme, token) = h.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
        let from_cookie = bearer.is_none();
        Presented {
            token: bearer.or_else(|| self.cookie(web::ACCESS_COOKIE)),
            from_cookie,
            state_changing: web::is_state_changing(&self.method),
            csrf_header: self.header(web::CSRF_HEADER),
            csrf_cookie: self.cookie(web::CSRF_COOKIE),
        }
    }
}

#[http_component]
async fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
    let method = request.method().to_string();
    let path = request.path_with_query().unwrap_or_default();
    let path = path.split('?').next().unwrap_or_default().to_string();
    let headers = request
        .headers()
        .entries()
        .into_iter()
        .filter_map(|(k, v)| String::from_utf8(v).ok().map(|v| (k, v)))
        .collect();
    let incoming = Incoming {
        request,
        method,
        headers,
    };
    let origin = incoming.header("origin").map(str::to_string);

    // Health is liveness only: no configuration, database or Redis involved.
    let config = match Route::find(&path) {
        Ok(Route::Health) => None,
        _ => Some(load_config()),
    };
    let mut reply = match &config {
        Some(Err(e)) => {
            eprintln!("configuration error: {e}");
            Reply::problem(&ApiError::Misconfigured(e.clone()))
        }
        Some(Ok(config)) => route(incoming, &path, Some(config))
            .await
            .unwrap_or_else(|e| Reply::problem(&e)),
        None => route(incoming, &path, None)
            .await
            .unwrap_or_else(|e| Reply::problem(&e)),
    };
    if reply.status >= 500 {
        eprintln!("{path}: answered {}", reply.status);
    }
    if let Some(Ok(config)) = &config {
        for (name, value) in web::cors_headers(origin.as_deref(), &config.cors_allowed_origins) {
            reply = reply.header(name, value);
        }
    }
    send(reply, response_out).await;
}

async fn send(reply: Reply, response_out: ResponseOutparam) {
    let entries: Vec<(String, Vec<u8>)> = reply
        .headers
        .into_iter()
        .map(|(k, v)| (k, v.into_bytes()))
        .collect();
    let headers = Fields::from_list(&entries).unwrap_or_else(|_| Fields::new());
    let response = OutgoingResponse::new(headers);
    let _ = response.set_status_code(reply.status);
    let mut body = response.take_body();
    response_out.set(response);
    if !reply.body.is_empty() {
        let _ = body.send(reply.body).await;
    }
}

async fn route(incoming: Incoming, path: &str, config: Option<&Config>) -> Result<Reply, ApiError> {
    let route = Route::find(path)?;
    let allowed = route.allowed_methods();
    if incoming.method == "OPTIONS" {
        return Ok(preflight(&incoming, config, allowed));
    }
    if !allowed.contains(&incoming.method.as_str()) {
        return Err(ApiError::MethodNotAllowed { allow: allowed });
    }
    // Liveness: answered before (and without) configuration.
    let config = match (&route, config) {
        (Route::Health, _) => return Ok(Reply::json(200, &json!({"status": "ok"}))),
        (_, Some(config)) => config,
        (_, None) => return Err(ApiError::Internal),
    };
    match route {
        Route::Health => unreachable!("answered above"),
        Route::Jwks => Ok(
            Reply::json(200, &config.keys.jwks()).header("cache-control", "public, max-age=300")
        ),
        Route::Register => {
            let client = client_info(
                |name| incoming.header(name).map(str::to_string),
                config.trusted_proxy,
            );
            let cookies = incoming.wants_cookies(config);
            let body = incoming.json_body().await?;
            let request = Registration::parse(&body, config.default_phone_region)
                .map_err(ApiError::Validation)?;
            let mut store = PgStore::new(&config.db_url);
            let mut events = Redis::new(&config.redis_url);
            let registered = service::register(config, &mut store, &mut events, request, &client)?;
            let user = serde_json::to_value(&registered.user).map_err(|_| ApiError::Internal)?;
            Ok(token_reply(
                config,
                201,
                registered.tokens,
                Some(user),
                cookies,
            ))
        }
        Route::Login => {
            let client = client_info(
                |name| incoming.header(name).map(str::to_string),
                config.trusted_proxy,
            );
            let cookies = incoming.wants_cookies(config);
            let body = incoming.json_body().await?;
            let request = LoginRequest::parse(&body, config.default_phone_region)
                .map_err(ApiError::Validation)?;
            let mut store = PgStore::new(&config.db_url);
            let tokens = service::login(config, &mut store, request, &client)?;
            Ok(token_reply(config, 200, tokens, None, cookies))
        }
        Route::Refresh => {
            let cookies = incoming.wants_cookies(config);
            let from_cookie = incoming.cookie(web::REFRESH_COOKIE).map(str::to_string);
            let csrf_ok = web::csrf_matches(
                incoming.header(web::CSRF_HEADER),
                incoming.cookie(web::CSRF_COOKIE),
            );
            let presented = match incoming.optional_json_body().await? {
                Some(body) => requests::parse_refresh(&body).map_err(ApiError::Validation)?,
                // A refresh by cookie is a cookie-authenticated state change.
                None if from_cookie.is_some() && !csrf_ok => return Err(ApiError::CsrfFailed),
                None => from_cookie.ok_or(ApiError::InvalidRefreshToken)?,
            };
            let mut store = PgStore::new(&config.db_url);
            let tokens = service::refresh(config, &mut store, &presented)?;
            Ok(token_reply(config, 200, tokens, None, cookies))
        }
        Route::Logout => {
            let mut redis = Redis::new(&config.redis_url);
            let principal = authenticate(config, &incoming, &mut redis)?;
            let cookies = incoming.wants_cookies(config) || incoming.presented().from_cookie;
            let body = incoming.optional_json_body().await?;
            let all = requests::parse_logout(body.as_ref()).map_err(ApiError::Validation)?;
            let mut store = PgStore::new(&config.db_url);
            service::logout(&mut store, &mut redis, &principal, all)?;
            let mut reply = Reply::no_content();
            if cookies {
                for cookie in web::cleared_cookies() {
                    reply = reply.header("set-cookie", cookie);
                }
            }
            Ok(reply)
        }
        Route::Me => {
            let principal = authenticate(config, &incoming, &mut Redis::new(&config.redis_url))?;
            let me = service::me(&mut PgStore::new(&config.db_url), &principal)?;
            Ok(Reply::json(200, &me).no_store())
        }
        Route::Sessions => {
            let principal = authenticate(config, &incoming, &mut Redis::new(&config.redis_url))?;
            let sessions = service::list_sessions(&mut PgStore::new(&config.db_url), &principal)?;
            Ok(Reply::json(200, &json!({"sessions": sessions})).no_store())
        }
        Route::Session(id) => {
            let principal = authenticate(config, &incoming, &mut Redis::new(&config.redis_url))?;
            service::revoke_session(&mut PgStore::new(&config.db_url), &principal, &id)?;
            Ok(Reply::no_content())
        }
        Route::Password => {
            let principal = authenticate(config, &incoming, &mut Redis::new(&config.redis_url))?;
            let body = incoming.json_body().await?;
            let request = PasswordChange::parse(&body).map_err(ApiError::Validation)?;
            service::change_password(
                config,
                &mut PgStore::new(&config.db_url),
                &principal,
                request,
            )?;
            Ok(Reply::no_content())
        }
    }
}

fn authenticate(
    config: &Config,
    incoming: &Incoming,
    redis: &mut Redis<'_>,
) -> Result<Principal, ApiError> {
    guard::authenticate(config, &incoming.presented(), redis)
}

/// A CORS preflight: granted only for listed origins.
fn preflight(incoming: &Incoming, config: Option<&Config>, allowed: &[&str]) -> Reply {
    let mut reply = Reply::no_content();
    let listed = match (incoming.header("origin"), config) {
        (Some(origin), Some(config)) => config.cors_allowed_origins.iter().any(|o| o == origin),
        _ => false,
    };
    if listed {
        for (name, value) in web::preflight_headers(allowed) {
            reply = reply.header(name, value);
        }
    }
    reply
}

/// A token pair in the body, or in cookies (with a fresh CSRF token) for
/// browsers in cookie mode, where the body then carries no token at all.
fn token_reply(
    config: &Config,
    status: u16,
    tokens: TokenPair,
    user: Option<Value>,
    cookies: bool,
) -> Reply {
    let mut body = if cookies {
        json!({"token_type": tokens.token_type, "expires_in": tokens.expires_in})
    } else {
        serde_json::to_value(&tokens).unwrap_or_default()
    };
    if let Some(user) = user {
        body["user"] = user;
    }
    let mut reply = Reply::json(status, &body).no_store();
    if cookies {
        let mut csrf = [0u8; 32];
        if getrandom::fill(&mut csrf).is_err() {
            return Reply::problem(&ApiError::Internal);
        }
        let set = web::token_cookies(
            &tokens.access_token,
            config.access_ttl_seconds,
            &tokens.refresh_token,
            config.refresh_ttl_seconds,
            &URL_SAFE_NO_PAD.encode(csrf),
        );
        for cookie in set {
            reply = reply.header("set-cookie", cookie);
        }
    }
    reply
}
