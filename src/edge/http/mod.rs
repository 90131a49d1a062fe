//! The HTTP entry point: find the route (404 and 405 read no setting), let
//! the route's handler answer (reading the settings it needs), and add what
//! every answer carries (CORS, `nosniff`). Every error leaves as
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

use crate::core::config::Config;
use crate::core::problem::ApiError;
use crate::core::web;
use crate::edge::variables;
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

    let config = variables::config();
    let mut reply = answer(&incoming, &path, &config).unwrap_or_else(|e| {
        if let ApiError::Misconfigured(e) = &e {
            eprintln!("configuration error: {e}");
        }
        Reply::problem(&e)
    });
    if reply.status >= 500 {
        eprintln!("{method} {path}: answered {}", reply.status);
    }
    if method == "HEAD" {
        reply.body.clear();
    }
    if let Some(origin) = origin.as_deref() {
        // CORS on every answer to a listed origin, errors included.
        if let Ok(allowed) = config.cors_allowed_origins() {
            for (name, value) in web::cors_headers(Some(origin), allowed) {
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

/// Route, method, handler — each only when the step before allows it. No
/// setting is read before a handler (or a CORS preflight) needs it.
fn answer(incoming: &Incoming, path: &str, config: &Config) -> Result<Reply, ApiError> {
    let route = Route::find(path)?;
    let allowed = route.allowed_methods();
    if incoming.method == "OPTIONS" {
        let listed = match (incoming.header("origin"), config.cors_allowed_origins()) {
            (Some(origin), Ok(allowed)) => allowed.iter().any(|a| a == origin),
            _ => false,
        };
        return Ok(options(allowed, listed));
    }
    if !allowed.contains(&incoming.method.as_str()) {
        return Err(ApiError::MethodNotAllowed { allow: allowed });
    }
    route.handle(incoming, config)
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

/// Hands the answer to the host. Its length is declared and the body is
/// written before the response is handed over, so the host can send head and
/// body at once: a head sent alone can wait ≈ 40 ms for the client's delayed
/// ACK before the body follows (seen under Spin: p90 of login at 48 ms).
async fn send(reply: Reply, response_out: ResponseOutparam) {
    let mut entries: Vec<(String, Vec<u8>)> = reply
        .headers
        .into_iter()
        .map(|(k, v)| (k, v.into_bytes()))
        .collect();
    if !reply.body.is_empty() {
        entries.push((
            "content-length".into(),
            reply.body.len().to_string().into_bytes(),
        ));
    }
    let headers = Fields::from_list(&entries).unwrap_or_else(|_| Fields::new());
    let response = OutgoingResponse::new(headers);
    let _ = response.set_status_code(reply.status);
    let mut body = response.take_body();
    if !reply.body.is_empty() {
        let _ = body.send(reply.body).await;
    }
    response_out.set(response);
}
