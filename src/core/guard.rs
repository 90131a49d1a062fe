//! The access-token guard of every protected endpoint: a valid JWT, the CSRF
//! check when the token came from a cookie, then one Redis round trip — the
//! token not blacklisted at logout and its session not ended. Every session
//! that ends is mirrored in Redis before its transaction commits (see
//! `service::ending_sessions`), so checking a token needs no PostgreSQL;
//! only after Redis lost its data are the recently ended sessions copied
//! back from PostgreSQL first. Redis unreachable: 503, never open.
//! (Endpoints that call the database check the session there too.)

use crate::core::config::Config;
use crate::core::ports::{CacheError, Revocations, Standing, Store};
use crate::core::problem::ApiError;
use crate::core::tokens::verify_access_token;
use crate::core::web::BrowserContext;
use serde_json::Value;

/// Who is calling, from a verified access token. Its fields are private and
/// `authenticate` is the only way to make one, so a handler cannot act for
/// anyone without having passed the guard.
#[derive(Debug, Clone)]
pub struct Principal {
    user_id: String,
    session_id: String,
    jti: String,
}

impl Principal {
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// The access token's id, for the blacklist.
    pub fn jti(&self) -> &str {
        &self.jti
    }
}

/// The access token as the request carried it.
pub struct Presented<'a> {
    pub token: Option<&'a str>,
    pub from_cookie: bool,
    pub browser: BrowserContext<'a>,
}

pub fn authenticate(
    config: &Config,
    presented: &Presented<'_>,
    revocations: &mut impl Revocations,
    store: &mut impl Store,
) -> Result<Principal, ApiError> {
    check(config, presented, revocations, store, false).map(|(principal, _)| principal)
}

/// `authenticate`, reading the caller's cached `/me` answer in the same
/// Redis round trip.
pub fn authenticate_reading_me(
    config: &Config,
    presented: &Presented<'_>,
    revocations: &mut impl Revocations,
    store: &mut impl Store,
) -> Result<(Principal, Option<Value>), ApiError> {
    check(config, presented, revocations, store, true)
}

fn check(
    config: &Config,
    presented: &Presented<'_>,
    revocations: &mut impl Revocations,
    store: &mut impl Store,
    read_me: bool,
) -> Result<(Principal, Option<Value>), ApiError> {
    let token = presented.token.ok_or(ApiError::Unauthenticated)?;
    let claims = verify_access_token(
        config.keys()?,
        config.jwt_issuer()?,
        config.jwt_audience()?,
        token,
    )
    .map_err(|_| ApiError::InvalidToken)?;
    presented.browser.check_csrf(presented.from_cookie)?;
    let me_of = read_me.then_some(claims.sub.as_str());
    let (standing, me) = match revocations.standing(&claims.jti, &claims.sid, me_of)? {
        (Standing::MirrorMissing, _) => {
            // Redis restarted empty: copy back every session ended within
            // one access-token lifetime, then ask again.
            let ttl = config.access_ttl_seconds()?;
            let ended = store.recently_ended_sessions(ttl)?;
            revocations.restore(&ended, u64::from(ttl))?;
            revocations.standing(&claims.jti, &claims.sid, me_of)?
        }
        known => known,
    };
    match standing {
        Standing::Good => Ok((
            Principal {
                user_id: claims.sub,
                session_id: claims.sid,
                jti: claims.jti,
            },
            me,
        )),
        Standing::Revoked => Err(ApiError::InvalidToken),
        Standing::MirrorMissing => {
            Err(CacheError::Failed("the mirror of ended sessions went missing again".into()).into())
        }
    }
}
