//! Access tokens (JWT, SPEC §5) and opaque refresh tokens, of which only the
//! SHA-256 is ever stored.

use crate::core::secret::Secret;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The claims of an access token; every one is required when verifying.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: String,
    /// The session id.
    pub sid: String,
    pub jti: String,
    pub iat: u64,
    pub exp: u64,
    pub roles: Vec<String>,
}

/// The `typ` header of access tokens (RFC 9068), which refresh tokens never carry.
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

pub struct SigningSettings<'a> {
    pub secret: &'a Secret<Vec<u8>>,
    pub issuer: &'a str,
    pub audience: &'a str,
    pub ttl_seconds: u32,
}

pub struct Subject<'a> {
    pub user_id: &'a str,
    pub session_id: &'a str,
    pub roles: &'a [String],
}

pub fn issue_access_token(
    settings: &SigningSettings<'_>,
    subject: &Subject<'_>,
    now: u64,
) -> Result<Secret<String>, TokenError> {
    let claims = AccessClaims {
        iss: settings.issuer.to_string(),
        aud: settings.audience.to_string(),
        sub: subject.user_id.to_string(),
        sid: subject.session_id.to_string(),
        jti: random_id()?,
        iat: now,
        exp: now + u64::from(settings.ttl_seconds),
        roles: subject.roles.to_vec(),
    };
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some(ACCESS_TOKEN_TYPE.to_string());
    jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_secret(settings.secret.expose()),
    )
    .map(Secret::new)
    .map_err(|_| TokenError::Signing)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    Randomness,
    Signing,
}

/// A new refresh token: 256 random bits, base64url. The caller hands the
/// token to the client and only `hash` to the database.
pub struct RefreshToken {
    pub token: Secret<String>,
    pub hash: [u8; 32],
}

impl RefreshToken {
    pub fn generate() -> Result<RefreshToken, TokenError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|_| TokenError::Randomness)?;
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let hash = hash_refresh_token(&token);
        Ok(RefreshToken {
            token: Secret::new(token),
            hash,
        })
    }
}

pub fn hash_refresh_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// 128 random bits, base64url: token ids.
fn random_id() -> Result<String, TokenError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| TokenError::Randomness)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{decode, decode_header, DecodingKey, Validation};

    fn settings(secret: &Secret<Vec<u8>>) -> SigningSettings<'_> {
        SigningSettings {
            secret,
            issuer: "auth",
            audience: "platform",
            ttl_seconds: 1800,
        }
    }

    #[test]
    fn access_token_carries_every_claim_and_the_type() {
        let secret = Secret::new(b"0123456789abcdef0123456789abcdef".to_vec());
        let roles = vec!["customer".to_string()];
        let subject = Subject {
            user_id: "u1",
            session_id: "s1",
            roles: &roles,
        };
        let now = 1_800_000_000;
        let token = issue_access_token(&settings(&secret), &subject, now).unwrap();

        let header = decode_header(token.expose()).unwrap();
        assert_eq!(header.alg, Algorithm::HS256);
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));

        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&["platform"]);
        validation.set_issuer(&["auth"]);
        validation.validate_exp = false;
        let claims = decode::<AccessClaims>(
            token.expose(),
            &DecodingKey::from_secret(secret.expose()),
            &validation,
        )
        .unwrap()
        .claims;
        assert_eq!((claims.sub.as_str(), claims.sid.as_str()), ("u1", "s1"));
        assert_eq!(claims.exp - claims.iat, 1800);
        assert_eq!(claims.roles, roles);
        assert_eq!(claims.jti.len(), 22);
    }

    #[test]
    fn refresh_tokens_are_random_and_only_their_hash_is_kept() {
        let a = RefreshToken::generate().unwrap();
        let b = RefreshToken::generate().unwrap();
        assert_ne!(a.token.expose(), b.token.expose());
        assert_eq!(a.token.expose().len(), 43); // 256 bits in base64url
        assert_eq!(a.hash, hash_refresh_token(a.token.expose()));
    }
}
