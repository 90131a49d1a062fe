//! The route table: every path of the API, the methods it takes and the
//! handler that answers it. Find a handler by its URL here.

use super::incoming::Incoming;
use super::reply::Reply;
use super::{auth, keys, sessions};
use crate::core::config::Config;
use crate::core::problem::ApiError;

const API_PREFIX: &str = "/api/v1";

pub enum Route {
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
    pub fn find(path: &str) -> Result<Route, ApiError> {
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

    /// The methods this path answers (HEAD wherever GET: RFC 9110 §9.1).
    pub fn allowed_methods(&self) -> &'static [&'static str] {
        match self {
            Route::Health | Route::Me | Route::Sessions | Route::Jwks => &["GET", "HEAD"],
            Route::Session(_) => &["DELETE"],
            Route::Register | Route::Login | Route::Refresh | Route::Logout | Route::Password => {
                &["POST"]
            }
        }
    }

    /// Liveness needs no configuration, database or Redis.
    pub fn needs_config(&self) -> bool {
        !matches!(self, Route::Health)
    }

    pub fn handle(self, incoming: &Incoming, config: Option<&Config>) -> Result<Reply, ApiError> {
        let Some(config) = config else {
            return match self {
                Route::Health => Ok(Reply::json(200, &serde_json::json!({"status": "ok"}))),
                _ => Err(ApiError::Internal),
            };
        };
        match self {
            Route::Health => Ok(Reply::json(200, &serde_json::json!({"status": "ok"}))),
            Route::Jwks => keys::jwks(config),
            Route::Register => auth::register(incoming, config),
            Route::Login => auth::login(incoming, config),
            Route::Refresh => auth::refresh(incoming, config),
            Route::Logout => auth::logout(incoming, config),
            Route::Me => auth::me(incoming, config),
            Route::Password => auth::change_password(incoming, config),
            Route::Sessions => sessions::list(incoming, config),
            Route::Session(id) => sessions::revoke(incoming, config, &id),
        }
    }
}
