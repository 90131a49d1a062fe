//! The HTTP entry point: find the route (404, 405 and liveness need no
//! configuration), read the configuration, let the route's handler answer,
//! and add what every answer carries (CORS, `nosniff`). Every error leaves as
//! `application/problem+json`.

mod auth;
mod contacts;
mod incoming;
mod keys;
mod probes;
mod reply;
mod roles;
mod routes;
mod sessions;
mod users;

use crate::core::config::{Config, ConfigError};
use crate::core::problem::ApiError;
use crate::core::web;
use crate::edge::variables::load_config;
use futures::SinkExt;
use incoming::Incoming;
use reply::Reply;
use routes::Route;
use spin_sdk::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
async fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
    let incoming = Incoming::read(request).await;
    let (method, path) = (incoming.method.clone(), incoming.path.clone());
    let origin = incoming.header("origin").map(str::to_string);

    let mut config: Option<Result<Config, ConfigError>> = None;
    let mut reply = answer(&incoming, &path, &mut config).unwrap_or_else(|e| Reply::problem(&e));
    if reply.status >= 500 {
        eprintln!("{method} {path}: answered {}", reply.status);
    }
    if method == "HEAD" {
        reply.body.clear();
    }
    if let Some(origin) = origin.as_deref() {
        // CORS on every answer to a listed origin, errors included.
        if let Ok(config) = config.get_or_insert_with(load_config) {
            for (name, value) in web::cors_headers(Some(origin), &config.cors_allowed_origins) {
                reply = reply.header(name, value);
            }
        }
    }
    send(
        reply.header("x-content-type-options", "nosniff"),
        response_out,
    )
    .await;
}

/// Route, method, configuration, handler — each only when the step before
/// allows it. `config` keeps what was read, for the CORS headers.
fn answer(
    incoming: &Incoming,
    path: &str,
    config: &mut Option<Result<Config, ConfigError>>,
) -> Result<Reply, ApiError> {
    let route = Route::find(path)?;
    let allowed = route.allowed_methods();
    if incoming.method == "OPTIONS" {
        let origin = incoming.header("origin").map(str::to_string);
        let listed = match (origin, config.get_or_insert_with(load_config)) {
            (Some(origin), Ok(config)) => config.cors_allowed_origins.contains(&origin),
            _ => false,
        };
        return Ok(options(allowed, listed));
    }
    if !allowed.contains(&incoming.method.as_str()) {
        return Err(ApiError::MethodNotAllowed { allow: allowed });
    }
    if !route.needs_config() {
        return route.handle(incoming, None);
    }
    match config.get_or_insert_with(load_config) {
        Ok(config) => route.handle(incoming, Some(config)),
        Err(e) => {
            eprintln!("configuration error: {e}");
            Err(ApiError::Misconfigured(e.clone()))
        }
    }
}

/// `OPTIONS`: the methods of the path (RFC 9110 §9.3.7), and a CORS
/// preflight grant when the origin is listed.
fn options(allowed: &[&str], listed_origin: bool) -> Reply {
    let mut methods = allowed.to_vec();
    methods.push("OPTIONS");
    let mut reply = Reply::no_content().header("allow", methods.join(", "));
    if listed_origin {
        for (name, value) in web::preflight_headers(allowed) {
            reply = reply.header(name, value);
        }
    }
    reply
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
