//! Signing in and the token lifecycle: login (`POST /auth/login`), refresh
//! with rotation and reuse detection (`POST /auth/refresh`), logout.

use super::fields::*;
use super::second_factor::{self, SignedIn};
use super::*;
use crate::core::abuse::{self};
use crate::core::config::Config;
use crate::core::guard::Principal;
use crate::core::identity::{LoginId, Password, PhoneRegion};
use crate::core::passwords;
use crate::core::ports::{
    ClientInfo, Ending, NewSession, Revocations, Rotation, SessionOutcome, Store, StoreError,
    Throttle,
};
use crate::core::problem::{ApiError, FieldError};
use crate::core::tokens::{PresentedRefresh, Subject};
use serde_json::Value;

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
) -> Result<SignedIn, ApiError> {
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
    if credentials.as_ref().is_some_and(|c| c.second_factor) {
        // The password was right: the first of two factors. No session yet.
        let challenge =
            second_factor::challenge_after_password(config, store, user_id, checked_hash).await?;
        forgive_login(cache, &request.attempted, ip).await;
        return Ok(SignedIn::SecondFactor(challenge));
    }

    let refresh = new_refresh_seed("login.refresh_token")?;
    let new_session = NewSession {
        refresh_seed: &refresh,
        ttl_seconds: config.refresh_ttl_seconds()?,
        max_sessions: config.max_active_sessions()?,
        client,
    };
    let retention_days = config.retention_days()?;
    // One statement, committed on its own, unless the user is at the session
    // limit (as the credentials said, or as the statement finds): then in a
    // transaction that ends the oldest and tells Redis before it commits.
    let at_limit = credentials
        .as_ref()
        .is_some_and(|c| c.active_sessions >= new_session.max_sessions);
    let mut outcome = if at_limit {
        SessionOutcome::AtSessionLimit
    } else {
        store
            .sign_in(user_id, checked_hash, &new_session, retention_days, false)
            .await?
    };
    if let SessionOutcome::AtSessionLimit = outcome {
        // The statement answers what it evicted: no second question.
        outcome = ending_listed_sessions(config, store, cache, user_id, None, async |store| {
            let outcome = store
                .sign_in(user_id, checked_hash, &new_session, retention_days, true)
                .await?;
            let evicted = match &outcome {
                SessionOutcome::Opened(session) => session.evicted.clone(),
                _ => Vec::new(),
            };
            Ok((outcome, evicted))
        })
        .await?;
    }
    let session = match outcome {
        SessionOutcome::Opened(session) => session,
        SessionOutcome::SecondFactorRequired => {
            let challenge =
                second_factor::challenge_after_password(config, store, user_id, checked_hash)
                    .await?;
            forgive_login(cache, &request.attempted, ip).await;
            return Ok(SignedIn::SecondFactor(challenge));
        }
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
    forgive_login(cache, &request.attempted, ip).await;
    let subject = Subject {
        user_id,
        session_id: &session.session_id,
        roles: &session.roles,
        organizations: &session.organizations,
        amr: &["pwd".to_string()],
    };
    Ok(SignedIn::Tokens(token_pair(
        config,
        &subject,
        (&refresh, 0),
        session.seconds_left,
    )?))
}

/// A right password takes its counted attempt back.
async fn forgive_login(cache: &mut impl Throttle, attempted: &str, ip: Option<&str>) {
    if let Err(e) = cache.forgive(&abuse::login_succeeded(attempted, ip)).await {
        // The sign-in stands; the counters expire by themselves.
        eprintln!("login counters not cleared: {e}");
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
    // A token of the wrong shape, or whose MAC is wrong, was never issued:
    // no need to ask the database.
    let key = config.refresh_key()?;
    let presented = PresentedRefresh::parse(key, presented).ok_or(ApiError::InvalidRefreshToken)?;
    let seed = presented.seed(key);
    let grace = config.refresh_reuse_grace_seconds()?;
    // One statement, committed on its own; a replay is only reported.
    match store.rotate_refresh_token(&presented, &seed, grace).await? {
        Rotation::Rotated(session) => {
            let subject = Subject {
                user_id: &session.user_id,
                session_id: &session.session_id,
                roles: &session.roles,
                organizations: &session.organizations,
                amr: &session.amr,
            };
            token_pair(
                config,
                &subject,
                (&seed, session.generation),
                session.seconds_left,
            )
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
                audit::security(SecurityEvent::RefreshReplayDetected {
                    user_id: &user_id,
                    session_id: &session_id,
                });
            }
            Err(ApiError::InvalidRefreshToken)
        }
        Rotation::Invalid => Err(ApiError::InvalidRefreshToken),
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
        if all {
            audit::security(SecurityEvent::LoggedOutEverywhere {
                user_id: principal.user_id(),
            });
        }
        Ok(())
    } else {
        Err(ApiError::InvalidToken)
    }
}

#[derive(Debug)]
pub struct LoginRequest {
    /// `None` when the login cannot be any account's (wrong shape): the
    /// answer is then the same 401 as for an unknown one.
    pub login: Option<LoginId>,
    pub password: Password,
    /// The login as the lockout counts it: normalized when it has a known
    /// shape, else trimmed and lower-cased as typed.
    pub attempted: String,
}

impl LoginRequest {
    pub fn parse(body: &Value, region: PhoneRegion) -> Result<LoginRequest, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let raw_login = f.text("login");
        if raw_login.is_some_and(|l| l.trim().is_empty()) {
            f.fail("login", "must not be empty");
        }
        let raw_password = f.text("password");
        let password = f.parsed("password", raw_password, Password::parse_for_login);
        let login = raw_login.map(|l| LoginId::parse(l, region).ok());
        let attempted = match (&login, raw_login) {
            (Some(Some(id)), _) => Some(id.contact().1.to_string()),
            (_, Some(raw)) => Some(raw.trim().to_lowercase()),
            _ => None,
        };
        let all = (|| {
            Some(LoginRequest {
                login: login?,
                password: password?,
                attempted: attempted?,
            })
        })();
        f.finish(all)
    }
}

/// `{"all": bool}`, optional: an absent or empty body means this session only.
pub fn parse_logout(body: Option<&Value>) -> Result<bool, Vec<FieldError>> {
    if body.is_some_and(|b| !b.is_object()) {
        return Err(vec![FieldError::new("", "the body must be a JSON object")]);
    }
    match body.map(|b| b.get("all")) {
        None | Some(None) | Some(Some(Value::Null)) => Ok(false),
        Some(Some(Value::Bool(all))) => Ok(*all),
        Some(Some(_)) => Err(vec![FieldError::new("all", "must be true or false")]),
    }
}

/// The refresh token of a JSON body (`{"refresh_token": "..."}`); absent
/// (`{}`) in cookie mode, where the refresh cookie carries it.
pub fn parse_refresh(body: &Value) -> Result<Option<String>, Vec<FieldError>> {
    let mut f = Fields::of(body)?;
    let token = f.optional_text("refresh_token").map(str::to_string);
    f.finish(Some(token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::identity::PhoneRegion;
    use crate::core::problem::FieldError;
    use serde_json::json;

    fn ru() -> PhoneRegion {
        "RU".parse().unwrap()
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_refresh_body_may_leave_the_token_to_the_cookie() {
        assert_eq!(
            parse_refresh(&json!({"refresh_token": "t"})),
            Ok(Some("t".to_string()))
        );
        assert_eq!(parse_refresh(&json!({})), Ok(None));
        assert_eq!(parse_refresh(&json!({"refresh_token": null})), Ok(None));
        assert_eq!(
            fields(&parse_refresh(&json!({"refresh_token": 5})).unwrap_err()),
            ["refresh_token"]
        );
    }

    #[test]
    fn logout_takes_no_body_an_object_or_all_and_nothing_else() {
        assert_eq!(parse_logout(None), Ok(false));
        assert_eq!(parse_logout(Some(&json!({}))), Ok(false));
        assert_eq!(parse_logout(Some(&json!({"all": true}))), Ok(true));
        assert!(parse_logout(Some(&json!([null, null]))).is_err());
        assert!(parse_logout(Some(&json!("all"))).is_err());
        assert_eq!(
            fields(&parse_logout(Some(&json!({"all": 1}))).unwrap_err()),
            ["all"]
        );
    }

    #[test]
    fn the_lockout_counts_the_login_as_normalized() {
        let r = LoginRequest::parse(
            &json!({"login": "8 (912) 345-67-89", "password": "x"}),
            ru(),
        );
        assert_eq!(r.unwrap().attempted, "+79123456789");
        let r = LoginRequest::parse(&json!({"login": " Not A Login! ", "password": "x"}), ru());
        assert_eq!(r.unwrap().attempted, "not a login!");
    }

    #[test]
    fn login_of_impossible_shape_is_not_a_validation_error() {
        let r = LoginRequest::parse(
            &json!({"login": "1 not a phone", "password": "whatever"}),
            ru(),
        )
        .unwrap();
        assert!(r.login.is_none());
        let errors = LoginRequest::parse(&json!({"password": 12}), ru()).unwrap_err();
        assert_eq!(fields(&errors), vec!["login", "password"]);
    }
}
