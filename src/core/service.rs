//! The flow of each endpoint (registration, login, the token lifecycle),
//! independent of Spin: given the parsed request and the ports, decide and answer.

use crate::core::abuse::{self, Limited, Verdict, Window};
use crate::core::config::Config;
use crate::core::guard::Principal;
use crate::core::passwords;
use crate::core::ports::{
    Caller, ClientInfo, Events, NewRegistration, NewSession, PasswordChangeOutcome,
    RegistrationOutcome, Revocation, Revocations, Rotation, SessionOutcome, Store, Throttle,
};
use crate::core::problem::{ApiError, FieldError};
use crate::core::requests::{LoginRequest, PasswordChange, Registration};
use crate::core::secret::Secret;
use crate::core::tokens::{self, RefreshToken, SigningSettings, Subject};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// The channel on which committed events are announced.
pub const EVENTS_CHANNEL: &str = "auth.events";

#[derive(Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    pub expires_in: u32,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenPair([redacted])")
    }
}

#[derive(Serialize)]
pub struct RegisteredUser {
    pub id: String,
    pub second_login: String,
    pub phone: String,
    pub email: Option<String>,
    pub roles: Vec<String>,
    pub profile: Map<String, Value>,
    pub created_at: String,
}

pub struct RegistrationResponse {
    pub tokens: TokenPair,
    pub user: RegisteredUser,
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn token_pair(
    config: &Config,
    subject: &Subject<'_>,
    refresh: &RefreshToken,
) -> Result<TokenPair, ApiError> {
    let settings = SigningSettings {
        keys: &config.keys,
        issuer: &config.jwt_issuer,
        audience: &config.jwt_audience,
        ttl_seconds: config.access_ttl_seconds,
    };
    let access = tokens::issue_access_token(&settings, subject, now_unix())
        .map_err(|_| ApiError::Internal)?;
    Ok(TokenPair {
        access_token: access.expose().clone(),
        refresh_token: refresh.token.expose().clone(),
        token_type: "bearer",
        expires_in: config.access_ttl_seconds,
    })
}

/// Counts an attempt in `windows` before any work is done for it: 429 when
/// a limit refuses it, 503 when Redis cannot count (fail closed).
fn admit(throttle: &mut impl Throttle, windows: &[Window]) -> Result<(), ApiError> {
    match throttle.hit(windows)? {
        Verdict::Allowed => Ok(()),
        Verdict::Refused {
            retry_after_seconds,
        } => Err(ApiError::TooManyRequests {
            retry_after_seconds,
        }),
    }
}

/// The per-client-IP rate limit of registration, counted before the body is
/// even parsed. Unlike login it fails open: registration needs no Redis
/// otherwise (the event waits in the outbox), and a signup outage is worse
/// than a few unthrottled signups while Redis is down.
pub fn admit_registration(
    config: &Config,
    throttle: &mut impl Throttle,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let window = abuse::rate_window(&config.limits, Limited::Register, client.ip.as_deref());
    match admit(throttle, &[window]) {
        Err(ApiError::Unavailable { .. }) => {
            eprintln!("registration rate limit not applied: Redis unavailable");
            Ok(())
        }
        other => other,
    }
}

pub fn register(
    config: &Config,
    store: &mut impl Store,
    events: &mut impl Events,
    request: Registration,
    client: &ClientInfo,
) -> Result<RegistrationResponse, ApiError> {
    let password_hash: Secret<String> =
        passwords::hash(&request.password, config.bcrypt_cost).map_err(|_| ApiError::Internal)?;
    let refresh = RefreshToken::generate().map_err(|_| ApiError::Internal)?;
    let outcome = store.register(&NewRegistration {
        second_login: request.second_login.as_str(),
        phone: request.phone.as_str(),
        email: request.email.as_ref().map(|e| e.as_str()),
        password_hash: password_hash.expose(),
        profile: &request.profile,
        group_names: &request.group_names,
        interface: &request.interface,
        session: NewSession {
            refresh_token_hash: &refresh.hash,
            ttl_seconds: config.refresh_ttl_seconds,
            max_sessions: config.max_active_sessions,
            client,
        },
    })?;
    let registered = match outcome {
        RegistrationOutcome::Registered(registered) => registered,
        RegistrationOutcome::Taken { field } => {
            return Err(ApiError::Conflict {
                field: field.as_str().to_string(),
            })
        }
        RegistrationOutcome::UnknownInterface => {
            return Err(ApiError::Validation(vec![FieldError::new(
                "interface",
                "is not a known interface",
            )]))
        }
        RegistrationOutcome::RolesNotAllowed { roles } => {
            return Err(ApiError::RolesNotAllowed { roles })
        }
    };

    // The outbox row is already committed; this is the low-latency notice.
    // Losing it loses nothing (the CDC pipeline reads the outbox), so a
    // Redis failure here is logged, not returned.
    let event = json!({
        "type": "user.registered",
        "user_id": registered.user_id,
        "second_login": request.second_login.as_str(),
        "roles": registered.roles,
        "created_at": registered.created_at,
    });
    if let Err(e) = events.publish(EVENTS_CHANNEL, event.to_string().as_bytes()) {
        eprintln!("user.registered not announced on Redis (the outbox still has it): {e}");
    }

    let subject = Subject {
        user_id: &registered.user_id,
        session_id: &registered.session_id,
        roles: &registered.roles,
    };
    let tokens = token_pair(config, &subject, &refresh)?;
    Ok(RegistrationResponse {
        tokens,
        user: RegisteredUser {
            id: registered.user_id,
            second_login: request.second_login.as_str().to_string(),
            phone: request.phone.as_str().to_string(),
            email: request.email.map(|e| e.as_str().to_string()),
            roles: registered.roles,
            profile: request.profile,
            created_at: registered.created_at,
        },
    })
}

/// Login (SPEC §6): the attempt is counted before the password is checked,
/// for the (login, IP) pair, the login from every IP and the client IP, so a
/// locked pair is refused even with the right password and parallel guesses
/// cannot slip past. A success takes the count back.
pub fn login(
    config: &Config,
    store: &mut impl Store,
    throttle: &mut impl Throttle,
    request: LoginRequest,
    client: &ClientInfo,
) -> Result<TokenPair, ApiError> {
    let ip = client.ip.as_deref();
    admit(
        throttle,
        &abuse::login_windows(&config.limits, &request.attempted, ip),
    )?;

    let credentials = match &request.login {
        Some(login) => {
            let (contact_type, value) = login.contact();
            store.find_credentials(contact_type, value)?
        }
        None => None,
    };
    // Exactly one bcrypt verification whatever was found, so an unknown login
    // takes as long as a wrong password and answers the same.
    let stored_hash = credentials
        .as_ref()
        .and_then(|c| c.password_hash.as_deref());
    let matches = passwords::verify(&request.password, stored_hash, config.bcrypt_cost);
    let (user_id, checked_hash) = match (&credentials, stored_hash) {
        (Some(c), Some(hash)) if matches => (c.user_id.as_str(), hash),
        _ => return Err(ApiError::InvalidCredentials),
    };

    let refresh = RefreshToken::generate().map_err(|_| ApiError::Internal)?;
    let new_session = NewSession {
        refresh_token_hash: &refresh.hash,
        ttl_seconds: config.refresh_ttl_seconds,
        max_sessions: config.max_active_sessions,
        client,
    };
    let session = match store.sign_in(user_id, checked_hash, &new_session, config.retention_days)? {
        SessionOutcome::Opened(session) => session,
        // Deactivated, or the password changed, while it was checked: as if
        // the password had been wrong.
        SessionOutcome::UserInactive | SessionOutcome::CredentialsChanged => {
            return Err(ApiError::InvalidCredentials)
        }
    };
    if let Err(e) = throttle.forgive(&abuse::login_succeeded(&request.attempted, ip)) {
        // The sign-in stands; the counters expire by themselves.
        eprintln!("login counters not cleared: {e}");
    }
    let subject = Subject {
        user_id,
        session_id: &session.session_id,
        roles: &session.roles,
    };
    token_pair(config, &subject, &refresh)
}

/// A protected call whose session turned out to have ended.
fn inactive_is_unauthenticated<T>(value: Option<T>) -> Result<T, ApiError> {
    value.ok_or(ApiError::InvalidToken)
}

fn caller(principal: &Principal) -> Caller<'_> {
    Caller {
        user_id: &principal.user_id,
        session_id: &principal.session_id,
    }
}

/// Rotation (RFC 9700 §4.14.2): the presented token is consumed and a new pair
/// issued for the same session. Unknown, malformed, expired, revoked and
/// replayed tokens all get the same 401.
pub fn refresh(
    config: &Config,
    store: &mut impl Store,
    presented: &str,
) -> Result<TokenPair, ApiError> {
    // A token of the wrong shape was never issued: no need to ask the database.
    let well_formed = presented.len() == 43
        && presented
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(ApiError::InvalidRefreshToken);
    }
    let successor = RefreshToken::generate().map_err(|_| ApiError::Internal)?;
    let rotation = store.rotate_refresh_token(
        &tokens::hash_refresh_token(presented),
        &successor.hash,
        config.refresh_reuse_grace_seconds,
    )?;
    match rotation {
        Rotation::Rotated(session) | Rotation::Concurrent(session) => {
            let subject = Subject {
                user_id: &session.user_id,
                session_id: &session.session_id,
                roles: &session.roles,
            };
            token_pair(config, &subject, &successor)
        }
        Rotation::ReuseDetected { session_id } => {
            eprintln!("refresh token reuse detected: session {session_id} revoked");
            Err(ApiError::InvalidRefreshToken)
        }
        Rotation::Invalid => Err(ApiError::InvalidRefreshToken),
    }
}

pub fn me(store: &mut impl Store, principal: &Principal) -> Result<Value, ApiError> {
    inactive_is_unauthenticated(store.me(&caller(principal))?)
}

pub fn list_sessions(store: &mut impl Store, principal: &Principal) -> Result<Value, ApiError> {
    inactive_is_unauthenticated(store.list_sessions(&caller(principal))?)
}

pub fn revoke_session(
    store: &mut impl Store,
    principal: &Principal,
    target: &str,
) -> Result<(), ApiError> {
    // Not a session id at all: as absent as someone else's session.
    let Ok(target) = uuid::Uuid::try_parse(target) else {
        return Err(ApiError::NotFound);
    };
    let target = target.hyphenated().to_string();
    match store.revoke_session(&caller(principal), &target)? {
        Revocation::Revoked => Ok(()),
        Revocation::NotFound => Err(ApiError::NotFound),
        Revocation::SessionInactive => Err(ApiError::InvalidToken),
    }
}

/// Blacklists the access token until it expires, then revokes the session
/// (or all of the user's). Redis first: if it is down, nothing changes and
/// the answer is 503.
pub fn logout(
    store: &mut impl Store,
    revocations: &mut impl Revocations,
    principal: &Principal,
    all: bool,
) -> Result<(), ApiError> {
    let remaining = principal.exp.saturating_sub(now_unix()).max(1);
    revocations.revoke(&principal.jti, remaining)?;
    if store.logout(&caller(principal), all)? {
        Ok(())
    } else {
        Err(ApiError::InvalidToken)
    }
}

pub fn change_password(
    config: &Config,
    store: &mut impl Store,
    principal: &Principal,
    request: PasswordChange,
) -> Result<(), ApiError> {
    let not_current = || {
        ApiError::Validation(vec![FieldError::new(
            "current_password",
            "is not your current password",
        )])
    };
    let credentials = inactive_is_unauthenticated(store.password_credentials(&caller(principal))?)?;
    let Some(checked_hash) = credentials.password_hash.as_deref() else {
        // An account without a password (phone-only) has no current one to give.
        passwords::verify(&request.current, None, config.bcrypt_cost);
        return Err(not_current());
    };
    if !passwords::verify(&request.current, Some(checked_hash), config.bcrypt_cost) {
        return Err(not_current());
    }
    let identifiers: Vec<&str> = credentials.identifiers.iter().map(String::as_str).collect();
    if request
        .new
        .repeats_identifier(&identifiers, config.default_phone_region)
    {
        return Err(ApiError::Validation(vec![FieldError::new(
            "new_password",
            "must not be your login, phone or email",
        )]));
    }
    let hash = passwords::hash(&request.new, config.bcrypt_cost).map_err(|_| ApiError::Internal)?;
    match store.change_password(&caller(principal), checked_hash, hash.expose())? {
        PasswordChangeOutcome::Changed => Ok(()),
        PasswordChangeOutcome::SessionInactive => Err(ApiError::InvalidToken),
        // A racing change won: the password verified above is no longer current.
        PasswordChangeOutcome::CredentialsChanged => Err(not_current()),
    }
}
