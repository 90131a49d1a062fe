//! The access-token guard of every protected endpoint: a valid JWT, the CSRF
//! check when the token came from a cookie, and a token not blacklisted at
//! logout. (That its session is still active is checked by the endpoint's own
//! stored function, in the same database call as its work.)

use crate::core::config::Config;
use crate::core::ports::Revocations;
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
    exp: u64,
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

    /// When the access token expires (Unix seconds).
    pub fn exp(&self) -> u64 {
        self.exp
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
) -> Result<Principal, ApiError> {
    let token = presented.token.ok_or(ApiError::Unauthenticated)?;
    let claims = verify_access_token(
        config.keys()?,
        config.jwt_issuer()?,
        config.jwt_audience()?,
        token,
    )
    .map_err(|_| ApiError::InvalidToken)?;
    presented.browser.check_csrf(presented.from_cookie)?;
    // Fail closed: if Redis cannot say, nobody gets in.
    match revocations.is_revoked(&claims.jti) {
        Ok(false) => {}
        Ok(true) => return Err(ApiError::InvalidToken),
        Err(e) => return Err(e.into()),
    }
    Ok(Principal {
        user_id: claims.sub,
        session_id: claims.sid,
        jti: claims.jti,
        exp: claims.exp,
    })
}
