//! Every failure the API can answer with, and its RFC 9457 problem document.
//! This is the one place where errors become HTTP statuses.

use crate::core::config::ConfigError;
use crate::core::ports::{CacheError, StoreError};
use serde::Serialize;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    // What the client did wrong.
    /// An HTTP/1.1 request that names no host (RFC 9112 §3.2).
    MissingHost,
    MalformedJson,
    Validation(Vec<FieldError>),
    UnsupportedMediaType,
    PayloadTooLarge {
        limit: usize,
    },
    NotFound,
    MethodNotAllowed {
        allow: &'static [&'static str],
    },
    Conflict {
        field: String,
    },
    RolesNotAllowed {
        roles: Vec<String>,
    },
    /// Signed in, but not allowed to do this (the reason is safe to show).
    Forbidden {
        reason: &'static str,
    },
    /// A second_login or phone can be replaced, never removed.
    LastContactOfItsKind {
        field: &'static str,
    },
    /// Members join only an active organization.
    OrganizationInactive,
    /// An invitation that cannot be accepted now (the reason is safe to
    /// show: it is the invited person's own state).
    CannotJoin {
        reason: &'static str,
    },
    /// A sensitive change (SPEC §2) without a fresh proof of the account.
    ReauthRequired,
    /// A staff endpoint, for a role that needs a second factor, with a
    /// token of a session opened without one (SPEC §6a).
    SecondFactorRequired,
    /// A link that claims an address for another account, opened without
    /// being signed in to it.
    ClaimNeedsItsAccount,
    /// A verification link opened signed in to another account than its.
    LinkOfAnotherAccount,
    /// Enrolling a second factor while one is on, or turning off one that
    /// is not (`reason`, safe to show).
    SecondFactorState {
        reason: &'static str,
    },
    InvalidCredentials,
    /// A phone code that is wrong, used, expired or out of attempts: one
    /// answer for all.
    InvalidCode,
    /// An `mfa_token` that is unknown, used, expired or out of tries: the
    /// sign-in starts again from the first factor.
    SecondStepExpired,
    /// An email link that is unknown, used, expired or for something else:
    /// one answer for all.
    InvalidLink,
    /// No access token at all.
    Unauthenticated,
    /// An access token was presented, but it is invalid, blacklisted or its
    /// session has ended: the same answer as `Unauthenticated`, with
    /// `error="invalid_token"` in `WWW-Authenticate` (RFC 6750 §3).
    InvalidToken,
    /// Locked out or rate-limited; try again after this many seconds.
    TooManyRequests {
        retry_after_seconds: u32,
    },
    InvalidRefreshToken,
    CsrfFailed,
    // What broke on our side.
    Misconfigured(ConfigError),
    /// A dependency cannot serve the request now (503); `cause` is its own
    /// words, for the log.
    Unavailable {
        dependency: &'static str,
        cause: Option<String>,
    },
    /// Something broke on our side (500): `site` names where (a fixed
    /// label to grep for), `cause` why (the failure's own words, never a row
    /// value or a secret). Logged once, at the HTTP boundary, with the
    /// request id (`audit::failure`).
    Internal {
        site: &'static str,
        cause: String,
    },
}

/// An `application/problem+json` body.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

impl ApiError {
    /// An internal error at `site` (a fixed label: `flow.step`), for `cause`.
    pub fn internal(site: &'static str, cause: impl std::fmt::Display) -> ApiError {
        ApiError::Internal {
            site,
            cause: cause.to_string(),
        }
    }

    pub fn status(&self) -> u16 {
        self.problem().status
    }

    pub fn problem(&self) -> Problem {
        let p = |type_uri, title, status, detail: String| Problem {
            type_uri,
            title,
            status,
            detail,
            errors: vec![],
        };
        match self {
            ApiError::MissingHost => p(
                "about:blank",
                "Bad Request",
                400,
                "The request names no host: send the Host header.".into(),
            ),
            ApiError::MalformedJson => p(
                "urn:auth:problem:malformed-json",
                "Malformed JSON",
                400,
                "The request body is not valid JSON.".into(),
            ),
            ApiError::Validation(errors) => Problem {
                errors: errors.clone(),
                ..p(
                    "urn:auth:problem:validation",
                    "Invalid request",
                    422,
                    "Some fields are missing or invalid; see errors.".into(),
                )
            },
            ApiError::UnsupportedMediaType => p(
                "about:blank",
                "Unsupported Media Type",
                415,
                "Send the body as application/json.".into(),
            ),
            ApiError::PayloadTooLarge { limit } => p(
                "about:blank",
                "Content Too Large",
                413,
                format!("The request body must be at most {limit} bytes."),
            ),
            ApiError::NotFound => p("about:blank", "Not Found", 404, "There is nothing at this path.".into()),
            ApiError::MethodNotAllowed { allow } => p(
                "about:blank",
                "Method Not Allowed",
                405,
                format!("This path accepts {}.", allow.join(", ")),
            ),
            ApiError::Conflict { field } => Problem {
                errors: vec![FieldError::new(field, "is already taken")],
                ..p(
                    "urn:auth:problem:already-taken",
                    "Already taken",
                    409,
                    format!("This {field} belongs to another account."),
                )
            },
            ApiError::Forbidden { reason } => p(
                "urn:auth:problem:forbidden",
                "Forbidden",
                403,
                (*reason).to_string(),
            ),
            ApiError::LastContactOfItsKind { field } => Problem {
                errors: vec![FieldError::new(field, "can be replaced, not removed")],
                ..p(
                    "urn:auth:problem:last-contact",
                    "Last contact of its kind",
                    409,
                    format!("An account always keeps one {field}: add a new one to replace it."),
                )
            },
            ApiError::OrganizationInactive => p(
                "urn:auth:problem:organization-inactive",
                "Organization inactive",
                409,
                "This organization is deactivated: nobody joins it until it is active again.".into(),
            ),
            ApiError::CannotJoin { reason } => p(
                "urn:auth:problem:cannot-join",
                "Cannot join",
                409,
                (*reason).to_string(),
            ),
            ApiError::ReauthRequired => Problem {
                errors: vec![FieldError::new(
                    "current_password",
                    "is required (or a reauth_proof from a reauth code)",
                )],
                ..p(
                    "urn:auth:problem:reauth-required",
                    "Confirm it is you",
                    403,
                    "Changing how you sign in needs your current password, or a reauth_proof: ask for a reauth code (POST /auth/otp/request {\"purpose\":\"reauth\"}), sent to your verified phone, and verify it.".into(),
                )
            },
            ApiError::RolesNotAllowed { roles } => p(
                "urn:auth:problem:role-not-allowed",
                "Role not allowed",
                403,
                format!("These roles cannot be granted here: {}.", roles.join(", ")),
            ),
            ApiError::InvalidCredentials => p(
                "urn:auth:problem:invalid-credentials",
                "Invalid credentials",
                401,
                "The login or the password is wrong.".into(),
            ),
            ApiError::SecondFactorRequired => p(
                "urn:auth:problem:second-factor-required",
                "Second factor required",
                403,
                "Your role uses this only with a second factor: enrol at POST /auth/mfa/totp, then sign in again with it.".into(),
            ),
            ApiError::ClaimNeedsItsAccount => p(
                "urn:auth:problem:claim-needs-its-account",
                "Sign in to the account that asked",
                403,
                "This link moves the address to the account that asked for it: it works only signed in to that account. If you did not ask for it, ignore it: nothing changed.".into(),
            ),
            ApiError::LinkOfAnotherAccount => p(
                "urn:auth:problem:link-of-another-account",
                "A link for another account",
                403,
                "This link verifies the address for another account than the one you are signed in to. If you did not ask for it, ignore it: nothing changed.".into(),
            ),
            ApiError::SecondFactorState { reason } => p(
                "urn:auth:problem:second-factor-state",
                "Second factor",
                409,
                reason.to_string(),
            ),
            ApiError::InvalidCode => p(
                "urn:auth:problem:invalid-code",
                "Invalid code",
                401,
                "The code is wrong, used or expired: request a new one.".into(),
            ),
            ApiError::SecondStepExpired => Problem {
                errors: vec![FieldError::new(
                    "mfa_token",
                    "is used, expired or out of tries: sign in again",
                )],
                ..p(
                    "urn:auth:problem:second-step-expired",
                    "Sign in again",
                    401,
                    "This sign-in took too long or too many tries: start again with your password or a login code.".into(),
                )
            },
            ApiError::InvalidLink => Problem {
                errors: vec![FieldError::new(
                    "token",
                    "is not a valid link: it is used, expired or for something else",
                )],
                ..p(
                    "urn:auth:problem:invalid-link",
                    "Invalid link",
                    400,
                    "The link is used, expired or for something else: ask for a new one.".into(),
                )
            },
            ApiError::Unauthenticated | ApiError::InvalidToken => p(
                "urn:auth:problem:unauthenticated",
                "Not signed in",
                401,
                "A valid access token of an active session is required.".into(),
            ),
            ApiError::TooManyRequests {
                retry_after_seconds,
            } => p(
                "urn:auth:problem:too-many-requests",
                "Too many requests",
                429,
                format!("Too many attempts; try again in {retry_after_seconds} seconds."),
            ),
            ApiError::InvalidRefreshToken => p(
                "urn:auth:problem:invalid-refresh-token",
                "Invalid refresh token",
                401,
                "The refresh token is not valid; sign in again.".into(),
            ),
            ApiError::CsrfFailed => p(
                "urn:auth:problem:csrf",
                "CSRF check failed",
                403,
                "Requests authenticated by cookie must send X-CSRF-Token equal to the csrf_token cookie.".into(),
            ),
            ApiError::Misconfigured(e) if e.unreadable => p(
                "urn:auth:problem:misconfigured",
                "Configuration unavailable",
                503,
                format!("The service could not read its configuration: {e}; try again shortly."),
            ),
            ApiError::Misconfigured(e) => p(
                "urn:auth:problem:misconfigured",
                "Service misconfigured",
                500,
                format!("The service cannot run with its configuration: {e}."),
            ),
            ApiError::Unavailable { dependency, .. } => p(
                "urn:auth:problem:unavailable",
                "Service unavailable",
                503,
                format!("A service this one depends on ({dependency}) cannot be reached; try again shortly."),
            ),
            ApiError::Internal { .. } => p(
                "urn:auth:problem:internal",
                "Internal error",
                500,
                "Something went wrong on our side; it has been logged.".into(),
            ),
        }
    }
}

/// Redis is where the blacklist and the abuse counters live: without it,
/// everything that needs it fails closed.
impl From<CacheError> for ApiError {
    fn from(e: CacheError) -> ApiError {
        if let CacheError::Misconfigured(e) = e {
            return ApiError::Misconfigured(e);
        }
        ApiError::Unavailable {
            dependency: "redis",
            cause: Some(e.to_string()),
        }
    }
}

/// A setting a request needed is missing or bad.
impl From<ConfigError> for ApiError {
    fn from(e: ConfigError) -> Self {
        ApiError::Misconfigured(e)
    }
}

/// What the database adapter reports, as the client will hear it.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Unavailable => ApiError::Unavailable {
                dependency: "database",
                cause: None,
            },
            StoreError::Misconfigured(e) => ApiError::Misconfigured(e),
            StoreError::Failed(cause) => ApiError::Internal {
                site: "store",
                cause,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_problem_lists_fields() {
        let e = ApiError::Validation(vec![FieldError::new("phone", "must be a phone number")]);
        let json = serde_json::to_value(e.problem()).unwrap();
        assert_eq!(json["status"], 422);
        assert_eq!(json["errors"][0]["field"], "phone");
        assert!(
            json["type"].is_string() && json["title"].is_string() && json["detail"].is_string()
        );
    }

    #[test]
    fn unknown_login_and_wrong_password_are_one_problem() {
        let json = serde_json::to_string(&ApiError::InvalidCredentials.problem()).unwrap();
        assert!(!json.contains("errors"));
        assert_eq!(ApiError::InvalidCredentials.status(), 401);
    }
}
