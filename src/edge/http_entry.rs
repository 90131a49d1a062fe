//! The HTTP entry point: routing, body limits and content types, then the
//! core's flows; every error leaves as `application/problem+json`.

use super::client::client_info;
use super::postgres::PgStore;
use super::redis::RedisEvents;
use super::variables::load_config;
use crate::core::config::Config;
use crate::core::ports::ClientInfo;
use crate::core::problem::{ApiError, PROBLEM_CONTENT_TYPE};
use crate::core::requests::{LoginRequest, Registration};
use crate::core::service;
use futures::TryStreamExt;
use serde::Serialize;
use serde_json::Value;
use spin_sdk::http::{IncomingRequest, Response};
use spin_sdk::http_component;

/// Larger bodies are refused with 413 before they are read further.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

const API_PREFIX: &str = "/api/v1";

enum Route {
    Health,
    Register,
    Login,
}

impl Route {
    /// The route for a path, or 404.
    fn find(path: &str) -> Result<Route, ApiError> {
        match path.strip_prefix(API_PREFIX) {
            Some("/auth/health") => Ok(Route::Health),
            Some("/auth/register") => Ok(Route::Register),
            Some("/auth/login") => Ok(Route::Login),
            _ => Err(ApiError::NotFound),
        }
    }

    fn allowed_methods(&self) -> &'static [&'static str] {
        match self {
            Route::Health => &["GET", "HEAD"],
            Route::Register | Route::Login => &["POST"],
        }
    }
}

/// The request as the handlers see it: head read, body not yet.
struct Incoming {
    request: IncomingRequest,
    method: String,
}

impl Incoming {
    fn header(&self, name: &str) -> Option<String> {
        self.request
            .headers()
            .get(&name.to_string())
            .first()
            .and_then(|v| String::from_utf8(v.clone()).ok())
    }

    /// Reads the JSON body: 415 unless it is JSON, 413 past the limit
    /// (counting as it streams, not trusting Content-Length alone), 400 if
    /// it does not parse.
    async fn json_body(self) -> Result<Value, ApiError> {
        let content_type = self.header("content-type").unwrap_or_default();
        let media_type = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if media_type != "application/json" {
            return Err(ApiError::UnsupportedMediaType);
        }
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
        serde_json::from_slice(&body).map_err(|_| ApiError::MalformedJson)
    }
}

#[http_component]
async fn handle(request: IncomingRequest) -> anyhow::Result<Response> {
    let method = request.method().to_string();
    let path = request.path_with_query().unwrap_or_default();
    let path = path.split('?').next().unwrap_or_default().to_string();
    let incoming = Incoming { request, method };
    Ok(match route(incoming, &path).await {
        Ok(response) => response,
        Err(error) => {
            if error.status() >= 500 {
                eprintln!("{path}: answered {}", error.status());
            }
            problem_response(&error)
        }
    })
}

async fn route(incoming: Incoming, path: &str) -> Result<Response, ApiError> {
    let route = Route::find(path)?;
    let allowed = route.allowed_methods();
    if !allowed.contains(&incoming.method.as_str()) {
        return Err(ApiError::MethodNotAllowed { allow: allowed });
    }
    match route {
        // Liveness only: no configuration, database or Redis involved.
        Route::Health => Ok(json_response(200, &serde_json::json!({"status": "ok"}))),
        Route::Register => {
            let (config, client) = setup(&incoming)?;
            let body = incoming.json_body().await?;
            let request = Registration::parse(&body, config.default_phone_region)
                .map_err(ApiError::Validation)?;
            let mut store = PgStore::new(&config.db_url);
            let mut events = RedisEvents::new(&config.redis_url);
            let registered = service::register(&config, &mut store, &mut events, request, &client)?;
            Ok(no_store(json_response(201, &registered)))
        }
        Route::Login => {
            let (config, client) = setup(&incoming)?;
            let body = incoming.json_body().await?;
            let request = LoginRequest::parse(&body, config.default_phone_region)
                .map_err(ApiError::Validation)?;
            let mut store = PgStore::new(&config.db_url);
            let tokens = service::login(&config, &mut store, request, &client)?;
            Ok(no_store(json_response(200, &tokens)))
        }
    }
}

fn setup(incoming: &Incoming) -> Result<(Config, ClientInfo), ApiError> {
    let config = load_config().map_err(|e| {
        eprintln!("configuration error: {e}");
        ApiError::Misconfigured(e)
    })?;
    let client = client_info(|name| incoming.header(name), config.trusted_proxy);
    Ok((config, client))
}

fn json_response(status: u16, body: &impl Serialize) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap_or_default())
        .build()
}

/// Token responses must not be cached (RFC 6749 §5.1).
fn no_store(mut response: Response) -> Response {
    response.set_header("cache-control", "no-store");
    response
}

fn problem_response(error: &ApiError) -> Response {
    let problem = error.problem();
    let mut builder = Response::builder();
    builder
        .status(problem.status)
        .header("content-type", PROBLEM_CONTENT_TYPE)
        .header("cache-control", "no-store");
    if let ApiError::MethodNotAllowed { allow } = error {
        builder.header("allow", allow.join(", "));
    }
    builder
        .body(serde_json::to_vec(&problem).unwrap_or_default())
        .build()
}
