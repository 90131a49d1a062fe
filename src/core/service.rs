//! The flow of each endpoint (registration, login, the token lifecycle),
//! independent of Spin: given the parsed request and the ports, decide and answer.

use crate::core::abuse::{self, Limited, Verdict, Window};
use crate::core::config::Config;
use crate::core::guard::Principal;
use crate::core::identity::Password;
use crate::core::passwords;
use crate::core::ports::{
    Caller, ClientInfo, ContactAdded, ContactRemoved, Ending, EventMessage, Events, GrantableRoles,
    InterfaceRoles, MeCache, MeLookup, NewRegistration, NewSession, NewUser, PageAfter,
    PasswordChangeOutcome, PasswordCredentials, Reachable, RegistrationOutcome, Revocation,
    Revocations, Role, Rotation, SessionOutcome, Store, StoreError, Throttle, UserChanged,
    UserCreated, UsersFilter, UsersPage,
};
use crate::core::problem::{ApiError, FieldError};
use crate::core::requests::{
    users_cursor, AvailabilityQuery, LoginRequest, NewContact, PasswordChange, Registration,
    RoleChange, UsersQuery,
};
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

/// A new pair for the session. The access token never outlives the session
/// (`session_seconds_left` until its absolute expiry): the guard asks only
/// Redis, which knows when a session was ended, not when it expires.
fn token_pair(
    config: &Config,
    subject: &Subject<'_>,
    refresh: &RefreshToken,
    session_seconds_left: i64,
) -> Result<TokenPair, ApiError> {
    let ttl_seconds = access_lifetime(config.access_ttl_seconds()?, session_seconds_left);
    let settings = SigningSettings {
        keys: config.keys()?,
        issuer: config.jwt_issuer()?,
        audience: config.jwt_audience()?,
        ttl_seconds,
    };
    let access = tokens::issue_access_token(&settings, subject, now_unix())
        .map_err(|_| ApiError::Internal)?;
    Ok(TokenPair {
        access_token: access.expose().clone(),
        refresh_token: refresh.token.expose().clone(),
        token_type: "bearer",
        expires_in: ttl_seconds,
    })
}

/// The configured access lifetime, cut to what is left of the session.
fn access_lifetime(access_ttl_seconds: u32, session_seconds_left: i64) -> u32 {
    u32::try_from(session_seconds_left.max(0))
        .map_or(access_ttl_seconds, |left| access_ttl_seconds.min(left))
}

/// Publishes committed events on Redis and marks those that went out.
async fn announce(store: &mut impl Store, events: &mut impl Events, messages: &[EventMessage]) {
    let mut published = Vec::new();
    for message in messages {
        match events
            .publish(EVENTS_CHANNEL, message.to_json().to_string().as_bytes())
            .await
        {
            Ok(()) => published.push(message.event_id.clone()),
            Err(e) => {
                eprintln!(
                    "event {} stays in the outbox for later: {e}",
                    message.event_id
                );
                break;
            }
        }
    }
    if !published.is_empty() {
        if let Err(e) = store.mark_published(&published).await {
            // Announced but not marked: it may be announced again, same id.
            eprintln!("announced events not marked published: {e:?}");
        }
    }
}

/// Counts an attempt in `windows` before any work is done for it: 429 when
/// a limit refuses it, 503 when Redis cannot count (fail closed).
async fn admit(throttle: &mut impl Throttle, windows: &[Window]) -> Result<(), ApiError> {
    match throttle.hit(windows).await? {
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
pub async fn admit_registration(
    config: &Config,
    throttle: &mut impl Throttle,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let window = abuse::rate_window(config.limits()?, Limited::Register, client.ip.as_deref());
    match admit(throttle, &[window]).await {
        Err(ApiError::Unavailable { .. }) => {
            eprintln!("registration rate limit not applied: Redis unavailable");
            Ok(())
        }
        other => other,
    }
}

pub async fn register(
    config: &Config,
    store: &mut impl Store,
    events: &mut impl Events,
    request: Registration,
    client: &ClientInfo,
) -> Result<RegistrationResponse, ApiError> {
    let password_hash: Secret<String> = passwords::hash(&request.password, config.bcrypt_cost()?)
        .map_err(|_| ApiError::Internal)?;
    let refresh = RefreshToken::generate().map_err(|_| ApiError::Internal)?;
    let outcome = store
        .register(&NewRegistration {
            second_login: request.second_login.as_str(),
            phone: request.phone.as_str(),
            email: request.email.as_ref().map(|e| e.as_str()),
            password_hash: password_hash.expose(),
            profile: &request.profile,
            group_names: &request.group_names,
            interface: &request.interface,
            session: NewSession {
                refresh_token_hash: &refresh.hash,
                ttl_seconds: config.refresh_ttl_seconds()?,
                max_sessions: config.max_active_sessions()?,
                client,
            },
            outbox_retry_seconds: config.outbox_retry_seconds()?,
        })
        .await?;
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

    // The outbox rows are committed; announcing them is the low-latency
    // path. What cannot be announced now stays unpublished and goes out with
    // a later registration or the operator command: never lost, and a repeat
    // carries the same event_id.
    announce(store, events, &registered.events).await;

    let subject = Subject {
        user_id: &registered.user_id,
        session_id: &registered.session_id,
        roles: &registered.roles,
    };
    // A new session: all of its lifetime is left.
    let session_seconds = i64::from(config.refresh_ttl_seconds()?);
    let tokens = token_pair(config, &subject, &refresh, session_seconds)?;
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
pub async fn login(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl Throttle + Revocations),
    request: LoginRequest,
    client: &ClientInfo,
) -> Result<TokenPair, ApiError> {
    let ip = client.ip.as_deref();
    admit(
        cache,
        &abuse::login_windows(config.limits()?, &request.attempted, ip),
    )
    .await?;

    let credentials = match &request.login {
        Some(login) => {
            let (contact_type, value) = login.contact();
            store.find_credentials(contact_type, value).await?
        }
        None => None,
    };
    // Exactly one bcrypt verification whatever was found, so an unknown login
    // takes as long as a wrong password and answers the same.
    let stored_hash = credentials
        .as_ref()
        .and_then(|c| c.password_hash.as_deref());
    let matches = passwords::verify(&request.password, stored_hash, config.bcrypt_cost()?);
    let (user_id, checked_hash) = match (&credentials, stored_hash) {
        (Some(c), Some(hash)) if matches => (c.user_id.as_str(), hash),
        _ => return Err(ApiError::InvalidCredentials),
    };

    let refresh = RefreshToken::generate().map_err(|_| ApiError::Internal)?;
    let new_session = NewSession {
        refresh_token_hash: &refresh.hash,
        ttl_seconds: config.refresh_ttl_seconds()?,
        max_sessions: config.max_active_sessions()?,
        client,
    };
    let retention_days = config.retention_days()?;
    // One statement, committed on its own, unless the user is at the session
    // limit: then again in a transaction that ends the oldest and tells
    // Redis before it commits.
    let mut outcome = store
        .sign_in(user_id, checked_hash, &new_session, retention_days, false)
        .await?;
    if let SessionOutcome::AtSessionLimit = outcome {
        outcome = ending_sessions(config, store, cache, user_id, None, async |store| {
            store
                .sign_in(user_id, checked_hash, &new_session, retention_days, true)
                .await
        })
        .await?;
    }
    let session = match outcome {
        SessionOutcome::Opened(session) => session,
        // Deactivated, or the password changed, while it was checked: as if
        // the password had been wrong.
        SessionOutcome::UserInactive | SessionOutcome::CredentialsChanged => {
            return Err(ApiError::InvalidCredentials)
        }
        // Eviction was allowed: cannot be the answer.
        SessionOutcome::AtSessionLimit => {
            return Err(ApiError::from(StoreError::Failed(
                "auth.sign_in: at_session_limit although eviction was allowed".into(),
            )))
        }
    };
    if let Err(e) = cache
        .forgive(&abuse::login_succeeded(&request.attempted, ip))
        .await
    {
        // The sign-in stands; the counters expire by themselves.
        eprintln!("login counters not cleared: {e}");
    }
    let subject = Subject {
        user_id,
        session_id: &session.session_id,
        roles: &session.roles,
    };
    token_pair(config, &subject, &refresh, session.seconds_left)
}

/// A protected call whose session turned out to have ended.
fn inactive_is_unauthenticated<T>(value: Option<T>) -> Result<T, ApiError> {
    value.ok_or(ApiError::InvalidToken)
}

fn caller(principal: &Principal) -> Caller<'_> {
    Caller {
        user_id: principal.user_id(),
        session_id: principal.session_id(),
    }
}

/// Runs `work` in one transaction that ends sessions of `user_id` and,
/// before committing, records them in Redis, where the guard refuses them at
/// once. If Redis cannot take them nothing is committed: the answer is 503
/// and the request can be retried. After the commit Redis hears once more,
/// so that a `/me` answer read from PostgreSQL while the transaction was
/// still open is not cached after it (see `MeCache`).
async fn ending_sessions<S: Store, T>(
    config: &Config,
    store: &mut S,
    revocations: &mut impl Revocations,
    user_id: &str,
    blacklisted_jti: Option<&str>,
    work: impl AsyncFnOnce(&mut S) -> Result<T, StoreError>,
) -> Result<T, ApiError> {
    store.begin().await?;
    let recorded: Result<(T, Ending<'_>), ApiError> = async {
        let value = work(store).await?;
        let ending = Ending {
            user_id,
            sessions: store.sessions_ended_now().await?,
            blacklisted_jti,
        };
        tell_redis(config, revocations, &ending).await?;
        Ok((value, ending))
    }
    .await;
    let (value, ending) = match recorded {
        Ok(recorded) => recorded,
        Err(e) => {
            store.rollback().await;
            return Err(e);
        }
    };
    store.commit().await?;
    tell_redis_again(config, revocations, &ending).await;
    Ok(value)
}

/// Ends sessions known beforehand with one statement, `work`: Redis hears
/// first (if it cannot, 503 and nothing ended), and once more after.
async fn ending_known_sessions<S: Store, T>(
    config: &Config,
    store: &mut S,
    revocations: &mut impl Revocations,
    ending: &Ending<'_>,
    work: impl AsyncFnOnce(&mut S) -> Result<T, StoreError>,
) -> Result<T, ApiError> {
    tell_redis(config, revocations, ending).await?;
    let value = work(store).await?;
    tell_redis_again(config, revocations, ending).await;
    Ok(value)
}

/// How long Redis refuses an ended session or a logged-out token at once:
/// as long as an access token issued now can pass (its lifetime and the
/// leeway of its expiry check). Past that, or if Redis loses the key sooner,
/// PostgreSQL refuses it: nothing depends on this key for safety.
fn refusal_seconds(config: &Config) -> Result<u64, ApiError> {
    Ok(u64::from(config.access_ttl_seconds()?) + tokens::LEEWAY_SECONDS)
}

/// Records sessions about to end (and a logged-out token) in Redis, always
/// before PostgreSQL ends them, so a failure here leaves nothing ended.
/// Nothing to record (a transaction that ended no session), nothing sent.
async fn tell_redis(
    config: &Config,
    revocations: &mut impl Revocations,
    ending: &Ending<'_>,
) -> Result<(), ApiError> {
    if ending.sessions.is_empty() && ending.blacklisted_jti.is_none() {
        return Ok(());
    }
    Ok(revocations
        .record_ending(ending, refusal_seconds(config)?)
        .await?)
}

/// The same, once the end has committed: moves the user's fence past any
/// `/me` answer read while it was committing. Best effort: the record made
/// before the commit already refuses the session.
async fn tell_redis_again(
    config: &Config,
    revocations: &mut impl Revocations,
    ending: &Ending<'_>,
) {
    if let Err(e) = tell_redis(config, revocations, ending).await {
        eprintln!("ended sessions not recorded again after the commit: {e:?}");
    }
}

/// Rotation (RFC 9700 §4.14.2): the presented token is consumed and a new pair
/// issued for the same session. Unknown, malformed, expired, revoked and
/// replayed tokens all get the same 401.
pub async fn refresh(
    config: &Config,
    store: &mut impl Store,
    revocations: &mut impl Revocations,
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
    let grace = config.refresh_reuse_grace_seconds()?;
    let presented = tokens::hash_refresh_token(presented);
    // One statement, committed on its own; a replay is only reported.
    match store
        .rotate_refresh_token(&presented, &successor.hash, grace)
        .await?
    {
        Rotation::Rotated(session) | Rotation::Concurrent(session) => {
            let subject = Subject {
                user_id: &session.user_id,
                session_id: &session.session_id,
                roles: &session.roles,
            };
            token_pair(config, &subject, &successor, session.seconds_left)
        }
        Rotation::ReuseDetected {
            session_id,
            user_id,
        } => {
            // The session is marked in PostgreSQL and ends now: Redis hears
            // first, then PostgreSQL ends it (tried twice). If either fails,
            // the answer is 503 and the mark stays: every refresh in the
            // session reports the replay again until its end is written.
            let ending = Ending {
                user_id: &user_id,
                sessions: vec![session_id.clone()],
                blacklisted_jti: None,
            };
            let ended =
                ending_known_sessions(
                    config,
                    store,
                    revocations,
                    &ending,
                    async |store| match store.end_reused_session(&session_id, &presented).await {
                        Ok(ended) => Ok(ended),
                        Err(e) => {
                            eprintln!("ending a replayed session failed, trying once more: {e:?}");
                            store.end_reused_session(&session_id, &presented).await
                        }
                    },
                )
                .await?;
            if ended {
                eprintln!("refresh token reuse detected: session {session_id} revoked");
            }
            Err(ApiError::InvalidRefreshToken)
        }
        Rotation::Invalid => Err(ApiError::InvalidRefreshToken),
    }
}

/// How long a `/me` answer may be served from Redis. Every change made
/// through the API forgets it at once; one made behind the API's back (an
/// operator's SQL) shows within this time — well within an access token's
/// life, whose roles are as old as the token.
pub const ME_CACHE_SECONDS: u64 = 60;

/// The signed-in user: from Redis when a cached answer is fresh (read along
/// with the guard's check), else from PostgreSQL, which also checks the
/// session, then cached under the fence read before it was asked.
pub async fn me(
    store: &mut impl Store,
    cache: &mut impl MeCache,
    principal: &Principal,
    cached: MeLookup,
) -> Result<Value, ApiError> {
    let fence = match cached {
        MeLookup::Fresh(me) => return Ok(me),
        MeLookup::Missing(fence) => fence,
        MeLookup::Revoked => return Err(ApiError::InvalidToken),
    };
    let me = inactive_is_unauthenticated(store.me(&caller(principal)).await?)?;
    let remembered = cache
        .remember_me(
            principal.session_id(),
            principal.user_id(),
            &fence,
            &me,
            ME_CACHE_SECONDS,
        )
        .await;
    if let Err(e) = remembered {
        eprintln!("/me not cached: {e}");
    }
    Ok(me)
}

/// After a change to what `/me` shows: every cached answer of the user goes
/// stale at once (if Redis cannot be told, they are at most
/// ME_CACHE_SECONDS old).
async fn forget_me(cache: &mut impl MeCache, user_id: &str) {
    if let Err(e) = cache.forget_me(user_id).await {
        eprintln!("/me of a changed user not forgotten: {e}");
    }
}

pub async fn list_sessions(
    store: &mut impl Store,
    principal: &Principal,
) -> Result<Value, ApiError> {
    inactive_is_unauthenticated(store.list_sessions(&caller(principal)).await?)
}

pub async fn revoke_session(
    config: &Config,
    store: &mut impl Store,
    revocations: &mut impl Revocations,
    principal: &Principal,
    target: &str,
) -> Result<(), ApiError> {
    // Not a session id at all: as absent as someone else's session.
    let Ok(target) = uuid::Uuid::try_parse(target) else {
        return Err(ApiError::NotFound);
    };
    let target = target.hyphenated().to_string();
    let outcome = ending_sessions(
        config,
        store,
        revocations,
        principal.user_id(),
        None,
        async |store| store.revoke_session(&caller(principal), &target).await,
    )
    .await?;
    match outcome {
        Revocation::Revoked => Ok(()),
        Revocation::NotFound => Err(ApiError::NotFound),
        Revocation::SessionInactive => Err(ApiError::InvalidToken),
    }
}

/// Revokes the session (or all of the user's) and blacklists the access
/// token, both in Redis before the database: if Redis is down, nothing
/// changes and the answer is 503. One session is known beforehand, so Redis
/// hears first and one statement ends it; all of them are listed by the
/// transaction that ends them, before it commits.
pub async fn logout(
    config: &Config,
    store: &mut impl Store,
    revocations: &mut impl Revocations,
    principal: &Principal,
    all: bool,
) -> Result<(), ApiError> {
    let jti = Some(principal.jti());
    let logged_out = if all {
        ending_sessions(
            config,
            store,
            revocations,
            principal.user_id(),
            jti,
            async |store| store.logout(&caller(principal), true).await,
        )
        .await?
    } else {
        let ending = Ending {
            user_id: principal.user_id(),
            sessions: vec![principal.session_id().to_string()],
            blacklisted_jti: jti,
        };
        ending_known_sessions(config, store, revocations, &ending, async |store| {
            store.logout(&caller(principal), false).await
        })
        .await?
    };
    if logged_out {
        Ok(())
    } else {
        Err(ApiError::InvalidToken)
    }
}

/// Checks a signed-in user's current password, counted like a login of each
/// of their logins before bcrypt runs (429 once locked, 503 if Redis cannot
/// count), so a stolen access token is no faster a password oracle than
/// login. The stored hash when it matches; a right password forgives as a
/// successful login does.
async fn check_current_password<'c>(
    config: &Config,
    throttle: &mut impl Throttle,
    credentials: &'c PasswordCredentials,
    given: &Password,
    client: &ClientInfo,
) -> Result<Option<&'c str>, ApiError> {
    let ip = client.ip.as_deref();
    let logins = &credentials.identifiers;
    admit(
        throttle,
        &abuse::password_check_windows(config.limits()?, logins, ip),
    )
    .await?;
    // An account without a password (phone-only) has no current one to give;
    // it still costs one verification.
    let stored = credentials.password_hash.as_deref();
    if !passwords::verify(given, stored, config.bcrypt_cost()?) {
        return Ok(None);
    }
    if let Err(e) = throttle
        .forgive(&abuse::password_check_succeeded(logins, ip))
        .await
    {
        eprintln!("credential check counters not cleared (Redis): {e}");
    }
    Ok(stored)
}

pub async fn change_password(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl Revocations + Throttle),
    principal: &Principal,
    request: PasswordChange,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let not_current = || {
        ApiError::Validation(vec![FieldError::new(
            "current_password",
            "is not your current password",
        )])
    };
    let credentials =
        inactive_is_unauthenticated(store.password_credentials(&caller(principal)).await?)?;
    let verified =
        check_current_password(config, cache, &credentials, &request.current, client).await?;
    let Some(checked_hash) = verified else {
        return Err(not_current());
    };
    let identifiers: Vec<&str> = credentials.identifiers.iter().map(String::as_str).collect();
    if request
        .new
        .repeats_identifier(&identifiers, config.default_phone_region()?)
    {
        return Err(ApiError::Validation(vec![FieldError::new(
            "new_password",
            "must not be your login, phone or email",
        )]));
    }
    let hash =
        passwords::hash(&request.new, config.bcrypt_cost()?).map_err(|_| ApiError::Internal)?;
    // The user's other sessions end: mirrored before the change commits.
    let outcome = ending_sessions(
        config,
        store,
        cache,
        principal.user_id(),
        None,
        async |store| {
            store
                .change_password(&caller(principal), checked_hash, hash.expose())
                .await
        },
    )
    .await?;
    match outcome {
        PasswordChangeOutcome::Changed => Ok(()),
        PasswordChangeOutcome::SessionInactive => Err(ApiError::InvalidToken),
        // A racing change won: the password verified above is no longer current.
        PasswordChangeOutcome::CredentialsChanged => Err(not_current()),
    }
}

/// Readiness: which dependency answers. Names only, never addresses.
#[derive(Debug, Serialize)]
pub struct Readiness {
    pub ready: bool,
    pub checks: Map<String, Value>,
}

impl Readiness {
    pub fn misconfigured(reason: String) -> Readiness {
        let mut checks = Map::new();
        checks.insert("configuration".into(), Value::String(reason));
        Readiness {
            ready: false,
            checks,
        }
    }
}

pub async fn readiness(store: &mut impl Store, cache: &mut impl Reachable) -> Readiness {
    let mut checks = Map::new();
    checks.insert("configuration".into(), json!("ok"));
    let postgresql = match store.ping().await {
        Ok(()) => "ok",
        Err(e) => {
            eprintln!("readiness: PostgreSQL: {e:?}");
            "unavailable"
        }
    };
    let redis = match cache.ping().await {
        Ok(()) => "ok",
        Err(e) => {
            eprintln!("readiness: {e}");
            "unavailable"
        }
    };
    checks.insert("postgresql".into(), json!(postgresql));
    checks.insert("redis".into(), json!(redis));
    Readiness {
        ready: postgresql == "ok" && redis == "ok",
        checks,
    }
}

/// Whether a login, phone or email is free, rate-limited per client IP like
/// login so it is no cheaper an enumeration oracle than registration.
pub async fn availability(
    config: &Config,
    store: &mut impl Store,
    throttle: &mut impl Throttle,
    query: &AvailabilityQuery,
    client: &ClientInfo,
) -> Result<bool, ApiError> {
    let window = abuse::rate_window(
        config.limits()?,
        Limited::Availability,
        client.ip.as_deref(),
    );
    admit(throttle, &[window]).await?;
    Ok(store.contact_available(query.kind, &query.value).await?)
}

/// The roles a person may self-register into through `interface`.
pub async fn self_registration_roles(
    store: &mut impl Store,
    interface: &str,
) -> Result<Vec<Role>, ApiError> {
    match store.self_registration_roles(interface).await? {
        InterfaceRoles::Roles { roles } => Ok(roles),
        InterfaceRoles::UnknownInterface => Err(ApiError::Validation(vec![FieldError::new(
            "interface",
            "is not a known interface",
        )])),
    }
}

/// The roles the signed-in caller may grant, as the database has their
/// memberships now.
pub async fn grantable_roles(
    store: &mut impl Store,
    principal: &Principal,
) -> Result<Vec<Role>, ApiError> {
    match store.grantable_roles(&caller(principal)).await? {
        GrantableRoles::Roles { roles } => Ok(roles),
        GrantableRoles::SessionInactive => Err(ApiError::InvalidToken),
    }
}

/// Adds a contact for the signed-in user, after checking their password.
pub async fn add_contact(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl MeCache + Throttle),
    principal: &Principal,
    request: NewContact,
    client: &ClientInfo,
) -> Result<Value, ApiError> {
    let not_current = || {
        ApiError::Validation(vec![FieldError::new(
            "current_password",
            "is not your current password",
        )])
    };
    let credentials =
        inactive_is_unauthenticated(store.password_credentials(&caller(principal)).await?)?;
    let verified = check_current_password(
        config,
        cache,
        &credentials,
        &request.current_password,
        client,
    )
    .await?;
    let checked = verified.ok_or_else(not_current)?;
    match store
        .add_contact(&caller(principal), checked, request.kind, &request.value)
        .await?
    {
        ContactAdded::Added { contact } => {
            forget_me(cache, principal.user_id()).await;
            Ok(contact)
        }
        ContactAdded::Taken { field } => Err(ApiError::Conflict {
            field: field.as_str().to_string(),
        }),
        ContactAdded::SessionInactive => Err(ApiError::InvalidToken),
        ContactAdded::CredentialsChanged => Err(not_current()),
    }
}

/// Deactivates one of the signed-in user's contacts (kept as history).
pub async fn remove_contact(
    store: &mut impl Store,
    cache: &mut impl MeCache,
    principal: &Principal,
    id: &str,
) -> Result<(), ApiError> {
    let Ok(id) = uuid::Uuid::try_parse(id) else {
        return Err(ApiError::NotFound);
    };
    match store
        .remove_contact(&caller(principal), &id.hyphenated().to_string())
        .await?
    {
        ContactRemoved::Removed => {
            forget_me(cache, principal.user_id()).await;
            Ok(())
        }
        ContactRemoved::NotFound => Err(ApiError::NotFound),
        ContactRemoved::LastOfItsKind { field } => Err(ApiError::LastContactOfItsKind {
            field: field.as_str(),
        }),
        ContactRemoved::SessionInactive => Err(ApiError::InvalidToken),
    }
}

/// One page of users for staff, with the cursor of the next page (none on
/// the last one).
pub async fn list_users(
    store: &mut impl Store,
    principal: &Principal,
    query: &UsersQuery,
) -> Result<Value, ApiError> {
    let filter = UsersFilter {
        limit: query.limit,
        after: query
            .after
            .as_ref()
            .map(|(created_at, id)| PageAfter { created_at, id }),
        role: query.role.as_deref(),
        contact: query.contact.as_ref().map(|c| (c.kind, c.value.as_str())),
    };
    match store.list_users(&caller(principal), &filter).await? {
        UsersPage::Users { users } => {
            let next = match users.last() {
                Some(last) if users.len() as u32 == query.limit => {
                    let at = last["created_at"].as_str().unwrap_or_default();
                    let id = last["id"].as_str().unwrap_or_default();
                    Value::String(users_cursor(at, id))
                }
                _ => Value::Null,
            };
            Ok(json!({"users": users, "next_cursor": next}))
        }
        UsersPage::NotStaff => Err(ApiError::Forbidden {
            reason: "Only staff (superadmin, support, manager) may list users.",
        }),
        UsersPage::SessionInactive => Err(ApiError::InvalidToken),
    }
}

/// A grantor creates a user with roles they may grant; no tokens are issued.
pub async fn create_user(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl Events + Throttle),
    principal: &Principal,
    request: Registration,
) -> Result<Value, ApiError> {
    // Each creation costs a bcrypt hash: bounded per caller before it runs.
    let window = abuse::create_user_window(config.limits()?, principal.user_id());
    admit(cache, &[window]).await?;
    let password_hash = passwords::hash(&request.password, config.bcrypt_cost()?)
        .map_err(|_| ApiError::Internal)?;
    let outcome = store
        .create_user(
            &caller(principal),
            &NewUser {
                second_login: request.second_login.as_str(),
                phone: request.phone.as_str(),
                email: request.email.as_ref().map(|e| e.as_str()),
                password_hash: password_hash.expose(),
                profile: &request.profile,
                group_names: &request.group_names,
                outbox_retry_seconds: config.outbox_retry_seconds()?,
            },
        )
        .await?;
    match outcome {
        UserCreated::Created {
            user,
            events: messages,
        } => {
            announce(store, cache, &messages).await;
            Ok(user)
        }
        UserCreated::RolesNotAllowed { roles } => Err(ApiError::RolesNotAllowed { roles }),
        UserCreated::Taken { field } => Err(ApiError::Conflict {
            field: field.as_str().to_string(),
        }),
        UserCreated::SessionInactive => Err(ApiError::InvalidToken),
    }
}

/// What a change of another user answers, as the client hears it.
fn user_changed(outcome: UserChanged) -> Result<Value, ApiError> {
    match outcome {
        UserChanged::Changed { now } => Ok(Value::Object(now)),
        UserChanged::RolesNotAllowed { roles } => Err(ApiError::RolesNotAllowed { roles }),
        UserChanged::TargetOutOfReach => Err(ApiError::Forbidden {
            reason: "This user holds a role you may not grant, or is you.",
        }),
        UserChanged::NoRoleLeft => Err(ApiError::Validation(vec![FieldError::new(
            "remove",
            "a user keeps at least one role",
        )])),
        UserChanged::OwnLastStaffRole => Err(ApiError::Validation(vec![FieldError::new(
            "remove",
            "you cannot remove your own last staff role",
        )])),
        UserChanged::NotFound => Err(ApiError::NotFound),
        UserChanged::SessionInactive => Err(ApiError::InvalidToken),
    }
}

fn user_id(raw: &str) -> Result<String, ApiError> {
    uuid::Uuid::try_parse(raw)
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| ApiError::NotFound)
}

pub async fn change_user_roles(
    store: &mut impl Store,
    cache: &mut impl MeCache,
    principal: &Principal,
    target: &str,
    change: &RoleChange,
) -> Result<Value, ApiError> {
    let target = user_id(target)?;
    let now = user_changed(
        store
            .change_user_roles(&caller(principal), &target, &change.add, &change.remove)
            .await?,
    )?;
    forget_me(cache, &target).await;
    Ok(now)
}

pub async fn set_user_active(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl Revocations + MeCache),
    principal: &Principal,
    target: &str,
    active: bool,
) -> Result<Value, ApiError> {
    let target = user_id(target)?;
    // Deactivation ends every session of the user: mirrored before it commits.
    let now = user_changed(
        ending_sessions(config, store, cache, &target, None, async |store| {
            store
                .set_user_active(&caller(principal), &target, active)
                .await
        })
        .await?,
    )?;
    forget_me(cache, &target).await;
    Ok(now)
}

#[cfg(test)]
mod tests {
    use super::access_lifetime;

    #[test]
    fn an_access_token_never_outlives_its_session() {
        assert_eq!(access_lifetime(1800, 2_592_000), 1800, "a young session");
        assert_eq!(access_lifetime(1800, 600), 600, "ten minutes left");
        assert_eq!(access_lifetime(1800, 0), 0, "expiring now");
        assert_eq!(access_lifetime(1800, -5), 0, "already past");
    }
}
