//! The access-token guard of every protected endpoint: a valid JWT, the CSRF
//! check when the token came from a cookie, then one Redis round trip that
//! refuses a token logged out or a session ended (recorded there before the
//! end commits, see `flows::ending_sessions`). Redis can lose what it
//! holds, so passing this check proves nothing by itself: every handler
//! behind it checks the session in PostgreSQL, except `/me` answered from a
//! cached answer that PostgreSQL confirmed for this very session within the
//! life of this Redis process (`MeLookup::Fresh`). Redis unreachable: 503,
//! never open.

use crate::core::config::Config;
use crate::core::ports::{MeCache, MeLookup, Revocations, Standing};
use crate::core::problem::ApiError;
use crate::core::tokens::verify_access_token;
use crate::core::web::BrowserContext;

/// Who is calling, from a verified access token. Its fields are private and
/// `authenticate` is the only way to make one, so a handler cannot act for
/// anyone without having passed the guard.
#[derive(Debug, Clone)]
pub struct Principal {
    user_id: String,
    session_id: String,
    jti: String,
    /// The roles and authentication methods (RFC 8176) the token names.
    roles: Vec<String>,
    amr: Vec<String>,
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

    /// Staff endpoints, for holders of a role in `mfa_required_roles`:
    /// only with a token of a session opened with a second factor (SPEC
    /// §6a). Until they enrol, 403 naming what is missing.
    pub fn require_second_factor(&self, config: &Config) -> Result<(), ApiError> {
        let mfa = config.mfa()?;
        if mfa.required_for(&self.roles) && !self.amr.iter().any(|m| m == "mfa") {
            return Err(ApiError::SecondFactorRequired);
        }
        Ok(())
    }
}

/// The access token as the request carried it.
pub struct Presented<'a> {
    pub token: Option<&'a str>,
    pub from_cookie: bool,
    pub browser: BrowserContext<'a>,
}

pub async fn authenticate(
    config: &Config,
    presented: &Presented<'_>,
    revocations: &mut impl Revocations,
) -> Result<Principal, ApiError> {
    let principal = verify(config, presented)?;
    match revocations
        .standing(&principal.jti, &principal.session_id)
        .await?
    {
        Standing::NotKnownRevoked => Ok(principal),
        Standing::Revoked => Err(ApiError::InvalidToken),
    }
}

/// `authenticate`, reading the caller's cached `/me` answer in the same
/// Redis round trip.
pub async fn authenticate_reading_me(
    config: &Config,
    presented: &Presented<'_>,
    cache: &mut impl MeCache,
) -> Result<(Principal, MeLookup), ApiError> {
    let principal = verify(config, presented)?;
    match cache
        .standing_with_me(&principal.jti, &principal.session_id, &principal.user_id)
        .await?
    {
        MeLookup::Revoked => Err(ApiError::InvalidToken),
        found => Ok((principal, found)),
    }
}

/// The token's signature and claims, and the CSRF check of cookie mode.
fn verify(config: &Config, presented: &Presented<'_>) -> Result<Principal, ApiError> {
    let token = presented.token.ok_or(ApiError::Unauthenticated)?;
    let claims = verify_access_token(
        config.keys()?,
        config.jwt_issuer()?,
        config.jwt_audience()?,
        token,
    )
    .map_err(|_| ApiError::InvalidToken)?;
    presented.browser.check_csrf(presented.from_cookie)?;
    Ok(Principal {
        user_id: claims.sub,
        session_id: claims.sid,
        jti: claims.jti,
        roles: claims.roles,
        amr: claims.amr,
    })
}
