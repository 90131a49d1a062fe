//! The HTTP entry point: find the route (404 and 405 read no setting), let
//! the route's handler answer (reading the settings it needs), and add what
//! every answer carries (CORS, `nosniff`). Every error leaves as
//! `application/problem+json`.

mod auth;
mod contacts;
mod contract;
mod incoming;
mod keys;
mod organizations;
mod otp;
mod probes;
mod reply;
mod roles;
mod routes;
mod sessions;
mod users;

use crate::core::config::Config;
use crate::core::problem::ApiError;
use crate::core::web;
pub use incoming::Incoming;
pub use reply::Reply;
use crate::api::routes::Route;

/// The answer to a request, whichever build received it.
pub async fn respond(incoming: Incoming, config: &Config) -> Reply {
    let (method, path) = (incoming.method.clone(), incoming.path.clone());
    let origin = incoming.header("origin").map(str::to_string);
    let mut reply = match answer(&incoming, &path, config).await {
        Ok(reply) => reply,
        Err(e) => {
            if let ApiError::Misconfigured(e) = &e {
                eprintln!("configuration error: {e}");
            }
            Reply::problem(&e)
        }
    };
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
    reply.header("x-content-type-options", "nosniff")
}

/// Route, method, handler — each only when the step before allows it. No
/// setting is read before a handler (or a CORS preflight) needs it.
async fn answer(incoming: &Incoming, path: &str, config: &Config) -> Result<Reply, ApiError> {
    let (route, _template) = Route::find(path)?;
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
    route.handle(incoming, config).await
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
