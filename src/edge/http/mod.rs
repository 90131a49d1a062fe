//! The HTTP entry point: find the route (404 and 405 read no setting), let
//! the route's handler answer (reading the settings it needs), and add what
//! every answer carries (CORS, `nosniff`). Every error leaves as
//! `application/problem+json`.

mod auth;
mod contacts;
mod contract;
mod incoming;
mod invitations;
mod keys;
mod organizations;
mod otp;
mod probes;
mod recovery;
mod reply;
mod roles;
mod routes;
mod second_factor;
mod sessions;
mod users;

use crate::api::routes::Route;
use crate::core::audit;
use crate::core::config::Config;
use crate::core::problem::ApiError;
use crate::core::web;
pub use incoming::Incoming;
pub use reply::Reply;

/// The answer to a request, whichever build received it, and its line in
/// the request log.
pub async fn respond(incoming: Incoming, config: &Config) -> Reply {
    let started = std::time::Instant::now();
    let request_id = request_id(&incoming);
    let (method, path) = (incoming.method.clone(), incoming.path.clone());
    let origin = incoming.header("origin").map(str::to_string);
    let found = Route::find(&path);
    let template = found.as_ref().ok().map(|(_, template)| *template);
    let mut reply = match answer(&incoming, found, config).await {
        Ok(reply) => reply,
        Err(e) => {
            audit::failure(&request_id, &e);
            Reply::problem(&e)
        }
    };
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
    audit::request(&audit::RequestLine {
        request_id: &request_id,
        method: &method,
        route: template,
        status: reply.status,
        duration: started.elapsed(),
        user_id: incoming.caller_id().as_deref(),
    });
    reply
        .header("x-content-type-options", "nosniff")
        .header("x-request-id", request_id)
}

/// The caller's `X-Request-Id` when it is a plain token (1–64 letters,
/// digits, `.`, `_`, `-`), else a new random one.
fn request_id(incoming: &Incoming) -> String {
    let given = incoming.header("x-request-id").filter(|id| {
        (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    });
    if let Some(id) = given {
        return id.to_string();
    }
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Route, method, handler — each only when the step before allows it. No
/// setting is read before a handler (or a CORS preflight) needs it.
async fn answer(
    incoming: &Incoming,
    found: Result<(Route, &'static str), ApiError>,
    config: &Config,
) -> Result<Reply, ApiError> {
    if !incoming.names_its_host() {
        return Err(ApiError::MissingHost);
    }
    let (route, _) = found?;
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
