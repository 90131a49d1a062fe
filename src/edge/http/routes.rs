//! The route table: every path of the API, the methods it takes and the
//! handler that answers it. Find a handler by its URL here.

use super::incoming::Incoming;
use super::reply::Reply;
use super::{auth, contacts, keys, organizations, otp, probes, roles, sessions, users};
use crate::core::config::Config;
use crate::core::problem::ApiError;

const API_PREFIX: &str = "/api/v1";

pub enum Route {
    Health,
    Ready,
    Availability,
    Roles,
    Register,
    Login,
    /// A code by SMS.
    OtpRequest,
    OtpVerify,
    Refresh,
    Logout,
    Me,
    Sessions,
    Session(String),
    Contacts,
    Contact(String),
    Users,
    User(String),
    UserRoles(String),
    Organizations,
    Organization(String),
    /// An organization's members.
    Members(String),
    /// (organization, user)
    Member(String, String),
    /// An organization's heads.
    Heads(String),
    /// (organization, user)
    Head(String, String),
    Password,
    Jwks,
}

impl Route {
    /// The route for a path, or 404.
    pub fn find(path: &str) -> Result<Route, ApiError> {
        let rest = path.strip_prefix(API_PREFIX).ok_or(ApiError::NotFound)?;
        Ok(match rest {
            "/auth/health" => Route::Health,
            "/auth/ready" => Route::Ready,
            "/auth/availability" => Route::Availability,
            "/auth/roles" => Route::Roles,
            "/auth/register" => Route::Register,
            "/auth/login" => Route::Login,
            "/auth/otp/request" => Route::OtpRequest,
            "/auth/otp/verify" => Route::OtpVerify,
            "/auth/refresh" => Route::Refresh,
            "/auth/logout" => Route::Logout,
            "/auth/me" => Route::Me,
            "/auth/sessions" => Route::Sessions,
            "/auth/contacts" => Route::Contacts,
            "/users" => Route::Users,
            "/organizations" => Route::Organizations,
            "/auth/password" => Route::Password,
            "/auth/.well-known/jwks.json" => Route::Jwks,
            _ => {
                let item = |prefix: &str| {
                    rest.strip_prefix(prefix)
                        .filter(|id| !id.is_empty() && !id.contains('/'))
                        .map(str::to_string)
                };
                if let Some(id) = item("/auth/sessions/") {
                    Route::Session(id)
                } else if let Some(id) = item("/auth/contacts/") {
                    Route::Contact(id)
                } else if let Some(id) = item("/users/") {
                    Route::User(id)
                } else if let Some(id) = rest
                    .strip_prefix("/users/")
                    .and_then(|r| r.strip_suffix("/roles"))
                    .filter(|id| !id.is_empty() && !id.contains('/'))
                {
                    Route::UserRoles(id.to_string())
                } else if let Some(tail) = rest.strip_prefix("/organizations/") {
                    Route::in_organization(tail)?
                } else {
                    return Err(ApiError::NotFound);
                }
            }
        })
    }

    /// `/organizations/{id}`, `…/{id}/members[/{user_id}]`,
    /// `…/{id}/heads[/{user_id}]`: each segment non-empty.
    fn in_organization(tail: &str) -> Result<Route, ApiError> {
        let parts: Vec<&str> = tail.split('/').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(ApiError::NotFound);
        }
        let owned = |i: usize| parts[i].to_string();
        Ok(match parts[..] {
            [_] => Route::Organization(owned(0)),
            [_, "members"] => Route::Members(owned(0)),
            [_, "members", _] => Route::Member(owned(0), owned(2)),
            [_, "heads"] => Route::Heads(owned(0)),
            [_, "heads", _] => Route::Head(owned(0), owned(2)),
            _ => return Err(ApiError::NotFound),
        })
    }

    /// The methods this path answers (HEAD wherever GET: RFC 9110 §9.1).
    pub fn allowed_methods(&self) -> &'static [&'static str] {
        match self {
            Route::Health
            | Route::Ready
            | Route::Availability
            | Route::Roles
            | Route::Me
            | Route::Sessions
            | Route::Jwks => &["GET", "HEAD"],
            Route::Session(_) | Route::Contact(_) => &["DELETE"],
            Route::Contacts | Route::UserRoles(_) => &["POST"],
            Route::Users | Route::Organizations | Route::Members(_) => &["GET", "HEAD", "POST"],
            Route::User(_) => &["PATCH"],
            Route::Organization(_) => &["GET", "HEAD", "PATCH"],
            Route::Member(..) | Route::Head(..) => &["DELETE"],
            Route::Heads(_) => &["POST"],
            Route::Register
            | Route::Login
            | Route::OtpRequest
            | Route::OtpVerify
            | Route::Refresh
            | Route::Logout
            | Route::Password => &["POST"],
        }
    }

    /// The handler's answer. Each reads the settings it needs, when it needs
    /// them: liveness none, readiness all (and reports a bad one itself).
    pub async fn handle(self, incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
        match self {
            Route::Health => probes::health().await,
            Route::Ready => probes::ready(config).await,
            Route::Availability => probes::availability(incoming, config).await,
            Route::Roles => roles::list(incoming, config).await,
            Route::Jwks => keys::jwks(config).await,
            Route::Register => auth::register(incoming, config).await,
            Route::Login => auth::login(incoming, config).await,
            Route::OtpRequest => otp::request(incoming, config).await,
            Route::OtpVerify => otp::verify(incoming, config).await,
            Route::Refresh => auth::refresh(incoming, config).await,
            Route::Logout => auth::logout(incoming, config).await,
            Route::Me => auth::me(incoming, config).await,
            Route::Password => auth::change_password(incoming, config).await,
            Route::Sessions => sessions::list(incoming, config).await,
            Route::Session(id) => sessions::revoke(incoming, config, &id).await,
            Route::Contacts => contacts::add(incoming, config).await,
            Route::Contact(id) => contacts::remove(incoming, config, &id).await,
            Route::Users if incoming.method == "POST" => users::create(incoming, config).await,
            Route::Users => users::list(incoming, config).await,
            Route::User(id) => users::patch(incoming, config, &id).await,
            Route::UserRoles(id) => users::change_roles(incoming, config, &id).await,
            Route::Organizations if incoming.method == "POST" => {
                organizations::create(incoming, config).await
            }
            Route::Organizations => organizations::list(incoming, config).await,
            Route::Organization(id) if incoming.method == "PATCH" => {
                organizations::patch(incoming, config, &id).await
            }
            Route::Organization(id) => organizations::get(incoming, config, &id).await,
            Route::Members(id) if incoming.method == "POST" => {
                organizations::add_member(incoming, config, &id).await
            }
            Route::Members(id) => organizations::members(incoming, config, &id).await,
            Route::Member(id, user) => {
                organizations::remove_member(incoming, config, &id, &user).await
            }
            Route::Heads(id) => organizations::appoint_head(incoming, config, &id).await,
            Route::Head(id, user) => {
                organizations::dismiss_head(incoming, config, &id, &user).await
            }
        }
    }
}
