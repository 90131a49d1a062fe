//! Access tokens (JWT, SPEC §5) and opaque refresh tokens, of which only the
//! SHA-256 is ever stored.

use crate::core::jwt_crypto;
use crate::core::keys::TokenKeys;
use crate::core::secret::Secret;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Header, Validation};
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
    /// The organizations the user was a current member of when the token was
    /// issued, for resource services to scope their own data by. Ending a
    /// membership ends the sessions whose tokens name it. Absent in tokens
    /// issued before organizations existed.
    #[serde(default)]
    pub orgs: Vec<String>,
    /// How the session was opened (RFC 8176): `pwd`, `sms`, and `otp` and
    /// `mfa` after a second factor. Absent in tokens issued before it was.
    #[serde(default)]
    pub amr: Vec<String>,
}

/// The `typ` header of access tokens (RFC 9068), which refresh tokens never carry.
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// Clock skew tolerated when checking `exp` (SPEC §5: at most 30 s).
pub const LEEWAY_SECONDS: u64 = 30;

pub struct SigningSettings<'a> {
    pub keys: &'a TokenKeys,
    pub issuer: &'a str,
    pub audience: &'a str,
    pub ttl_seconds: u32,
}

pub struct Subject<'a> {
    pub user_id: &'a str,
    pub session_id: &'a str,
    pub roles: &'a [String],
    pub organizations: &'a [String],
    /// The session's authentication methods (RFC 8176).
    pub amr: &'a [String],
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
        orgs: subject.organizations.to_vec(),
        amr: subject.amr.to_vec(),
    };
    let mut header = Header::new(settings.keys.algorithm);
    header.typ = Some(ACCESS_TOKEN_TYPE.to_string());
    header.kid = settings.keys.signing_kid.clone();
    jwt_crypto::install();
    jsonwebtoken::encode(&header, &claims, settings.keys.signing.expose())
        .map(Secret::new)
        .map_err(|_| TokenError::Signing)
}

/// Why a presented access token is not accepted. The client only ever learns
/// "401"; the reason is for tests and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejected {
    Malformed,
    WrongType,
    WrongAlgorithm,
    /// `jku`, `jwk`, `x5u` or `x5c`: keys chosen by the token itself.
    EmbeddedKeyReference,
    UnknownKey,
    Invalid,
}

/// Verifies an access token: algorithm pinned to the configured one, `typ`
/// must be `at+jwt`, no header may point at keys, every claim present, and
/// `iss`, `aud` and `exp` (with 30 s leeway) checked.
pub fn verify_access_token(
    keys: &TokenKeys,
    issuer: &str,
    audience: &str,
    token: &str,
) -> Result<AccessClaims, Rejected> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| Rejected::Malformed)?;
    if header.alg != keys.algorithm {
        return Err(Rejected::WrongAlgorithm);
    }
    if header.typ.as_deref() != Some(ACCESS_TOKEN_TYPE) {
        return Err(Rejected::WrongType);
    }
    if header.jku.is_some() || header.jwk.is_some() || header.x5u.is_some() || header.x5c.is_some()
    {
        return Err(Rejected::EmbeddedKeyReference);
    }
    let key = keys
        .verifying
        .iter()
        .find(|k| k.kid == header.kid)
        .ok_or(Rejected::UnknownKey)?;
    let mut validation = Validation::new(keys.algorithm);
    validation.leeway = LEEWAY_SECONDS;
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["iss", "aud", "sub", "exp", "iat"]);
    jwt_crypto::install();
    jsonwebtoken::decode::<AccessClaims>(token, &key.key, &validation)
        .map(|data| data.claims)
        .map_err(|_| Rejected::Invalid)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    Randomness,
    Signing,
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenError::Randomness => write!(f, "no randomness from the host"),
            TokenError::Signing => write!(f, "the access token could not be signed"),
        }
    }
}

impl std::error::Error for TokenError {}

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

/// The random per-session value every refresh token of a session carries
/// (`auth.sessions.refresh_seed`).
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshSeed(pub [u8; SEED_BYTES]);

const SEED_BYTES: usize = 16;
const SESSION_ID_BYTES: usize = 16;
const GENERATION_BYTES: usize = 8;
const MAC_BYTES: usize = 32;
/// What the MAC covers: session id, generation, seed.
const SIGNED_BYTES: usize = SESSION_ID_BYTES + GENERATION_BYTES + SEED_BYTES;
/// A session's refresh token in base64url: 96 characters.
const SESSION_TOKEN_CHARS: usize = (SIGNED_BYTES + MAC_BYTES) * 4 / 3;

impl RefreshSeed {
    pub fn generate() -> Result<RefreshSeed, TokenError> {
        let mut bytes = [0u8; SEED_BYTES];
        getrandom::fill(&mut bytes).map_err(|_| TokenError::Randomness)?;
        Ok(RefreshSeed(bytes))
    }
}

impl std::fmt::Debug for RefreshSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshSeed(..)")
    }
}

/// The key refresh tokens are signed with, derived from `jwt_secret` (as the
/// code digests are): separate from it by its label, so a MAC of one kind
/// is never valid as the other.
pub fn refresh_key(jwt_secret: &[u8]) -> Secret<[u8; 32]> {
    Secret::new(mac(jwt_secret, &[b"auth-service refresh tokens v1"]))
}

fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<Sha256> as hmac::digest::KeyInit>::new_from_slice(key)
        .expect("HMAC takes a key of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The refresh token of generation `generation` of a session (migration
/// 0035 says why): session id, generation, seed and their MAC, base64url.
/// None when `session_id` is not a UUID (the database gave it: a bug).
pub fn session_refresh_token(
    key: &Secret<[u8; 32]>,
    session_id: &str,
    generation: u64,
    seed: &RefreshSeed,
) -> Option<Secret<String>> {
    let id = uuid_bytes(session_id)?;
    let generation = generation.to_be_bytes();
    let tag = mac(key.expose(), &[&id, &generation, &seed.0]);
    let mut bytes = Vec::with_capacity(SIGNED_BYTES + MAC_BYTES);
    bytes.extend_from_slice(&id);
    bytes.extend_from_slice(&generation);
    bytes.extend_from_slice(&seed.0);
    bytes.extend_from_slice(&tag);
    Some(Secret::new(URL_SAFE_NO_PAD.encode(bytes)))
}

/// A refresh token as presented, once its shape (and MAC) is checked.
#[derive(Debug, PartialEq, Eq)]
pub enum PresentedRefresh {
    /// Issued before migration 0035: only its SHA-256 is stored.
    Stored([u8; 32]),
    /// A session's token of some generation; its MAC was right.
    Session {
        session_id: String,
        generation: u64,
        seed: RefreshSeed,
    },
}

impl PresentedRefresh {
    /// The seed the session of this token has or is to take: the one a
    /// session's token carries, or, for a token of the stored scheme, one
    /// derived from it (the same for every tab presenting it, known only
    /// to whoever holds the token and the key).
    pub fn seed(&self, key: &Secret<[u8; 32]>) -> RefreshSeed {
        match self {
            PresentedRefresh::Session { seed, .. } => seed.clone(),
            PresentedRefresh::Stored(hash) => {
                let derived = mac(key.expose(), &[b"seed of a stored token\0", hash]);
                let mut seed = [0u8; SEED_BYTES];
                seed.copy_from_slice(&derived[..SEED_BYTES]);
                RefreshSeed(seed)
            }
        }
    }

    /// None for anything this service did not issue: a wrong shape, or a
    /// session token whose MAC is wrong (never worth asking the database).
    pub fn parse(key: &Secret<[u8; 32]>, raw: &str) -> Option<PresentedRefresh> {
        if is_opaque_token(raw) {
            return Some(PresentedRefresh::Stored(hash_refresh_token(raw)));
        }
        if raw.len() != SESSION_TOKEN_CHARS {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        let (signed, tag) = bytes.split_at(SIGNED_BYTES);
        let expected = mac(key.expose(), &[signed]);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(&expected[..], tag)) {
            return None;
        }
        let (id, rest) = signed.split_at(SESSION_ID_BYTES);
        let (generation, seed) = rest.split_at(GENERATION_BYTES);
        Some(PresentedRefresh::Session {
            session_id: uuid_text(id),
            generation: u64::from_be_bytes(generation.try_into().ok()?),
            seed: RefreshSeed(seed.try_into().ok()?),
        })
    }
}

fn uuid_bytes(id: &str) -> Option<[u8; SESSION_ID_BYTES]> {
    let hex: Vec<u8> = id.bytes().filter(|b| *b != b'-').collect();
    if hex.len() != 32 || id.len() != 36 {
        return None;
    }
    let mut bytes = [0u8; SESSION_ID_BYTES];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(std::str::from_utf8(&hex[2 * i..2 * i + 2]).ok()?, 16).ok()?;
    }
    Some(bytes)
}

fn uuid_text(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Whether `raw` has the shape of a token `RefreshToken::generate` makes
/// (refresh tokens, phone proofs): 43 characters of base64url.
pub fn is_opaque_token(raw: &str) -> bool {
    raw.len() == 43
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
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
    use jsonwebtoken::Algorithm;

    fn refresh_key_for_tests() -> Secret<[u8; 32]> {
        refresh_key(b"0123456789abcdef0123456789abcdef")
    }

    const SESSION: &str = "0b7e2f3a-54c1-4d6e-9f80-1a2b3c4d5e6f";

    #[test]
    fn a_session_token_names_its_session_generation_and_seed() {
        let key = refresh_key_for_tests();
        let seed = RefreshSeed::generate().unwrap();
        let token = session_refresh_token(&key, SESSION, 7, &seed).unwrap();
        assert_eq!(token.expose().len(), 96);
        assert_eq!(
            PresentedRefresh::parse(&key, token.expose()),
            Some(PresentedRefresh::Session {
                session_id: SESSION.to_string(),
                generation: 7,
                seed: seed.clone(),
            })
        );
        // The next generation is another token; the same one is the same.
        let next = session_refresh_token(&key, SESSION, 8, &seed).unwrap();
        assert_ne!(next.expose(), token.expose());
        let again = session_refresh_token(&key, SESSION, 7, &seed).unwrap();
        assert_eq!(again.expose(), token.expose());
    }

    #[test]
    fn a_session_token_not_made_with_the_key_is_refused_before_any_lookup() {
        let key = refresh_key_for_tests();
        let seed = RefreshSeed::generate().unwrap();
        let token = session_refresh_token(&key, SESSION, 3, &seed).unwrap();
        // Another deployment's key.
        let other = refresh_key(b"another secret of thirty-two bytes!!");
        assert_eq!(PresentedRefresh::parse(&other, token.expose()), None);
        // Any byte changed: the generation moved forward, or the session id.
        let mut bytes = URL_SAFE_NO_PAD.decode(token.expose()).unwrap();
        for at in [0, 16 + 7, 24, 40, 71] {
            bytes[at] ^= 1;
            let forged = URL_SAFE_NO_PAD.encode(&bytes);
            assert_eq!(PresentedRefresh::parse(&key, &forged), None, "byte {at}");
            bytes[at] ^= 1;
        }
        // Wrong lengths and alphabets.
        assert_eq!(PresentedRefresh::parse(&key, &token.expose()[..95]), None);
        assert_eq!(PresentedRefresh::parse(&key, &"=".repeat(96)), None);
        assert_eq!(PresentedRefresh::parse(&key, ""), None);
    }

    #[test]
    fn a_token_of_the_stored_scheme_is_looked_up_by_its_hash() {
        let key = refresh_key_for_tests();
        let old = RefreshToken::generate().unwrap();
        assert_eq!(
            PresentedRefresh::parse(&key, old.token.expose()),
            Some(PresentedRefresh::Stored(old.hash))
        );
    }

    #[test]
    fn a_stored_token_moves_to_a_seed_of_its_own_and_a_seed_prints_nothing() {
        let key = refresh_key_for_tests();
        let old = RefreshToken::generate().unwrap();
        let presented = PresentedRefresh::parse(&key, old.token.expose()).unwrap();
        // Two tabs with the same old token: the same seed; another token,
        // or another key: another seed.
        assert_eq!(presented.seed(&key), presented.seed(&key));
        let other = RefreshToken::generate().unwrap();
        let other = PresentedRefresh::parse(&key, other.token.expose()).unwrap();
        assert_ne!(presented.seed(&key), other.seed(&key));
        let another_key = refresh_key(b"another secret of thirty-two bytes!!");
        assert_ne!(presented.seed(&key), presented.seed(&another_key));
        let seed = presented.seed(&key);
        assert_eq!(format!("{seed:?}"), "RefreshSeed(..)");
    }

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    /// Signs as an attacker would: any HMAC algorithm the header names, by
    /// hand (the service's own backend signs HS256 and EdDSA only).
    fn sign(header: Header, claims: &serde_json::Value, secret: &[u8]) -> String {
        use hmac::{Hmac, Mac};
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        fn mac<M: Mac + hmac::digest::KeyInit>(secret: &[u8], message: &str) -> Vec<u8> {
            let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(secret).unwrap();
            mac.update(message.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        let signature = match header.alg {
            Algorithm::HS256 => mac::<Hmac<sha2::Sha256>>(secret, &signed),
            Algorithm::HS384 => mac::<Hmac<sha2::Sha384>>(secret, &signed),
            Algorithm::HS512 => mac::<Hmac<sha2::Sha512>>(secret, &signed),
            other => panic!("no HMAC for {other:?}"),
        };
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    fn issued(keys: &TokenKeys, now: u64) -> String {
        let roles = vec!["customer".to_string()];
        let subject = Subject {
            user_id: "u1",
            session_id: "s1",
            roles: &roles,
            organizations: &[],
            amr: &[],
        };
        let settings = SigningSettings {
            keys,
            issuer: "auth",
            audience: "platform",
            ttl_seconds: 1800,
        };
        issue_access_token(&settings, &subject, now)
            .unwrap()
            .expose()
            .clone()
    }

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    fn verify(keys: &TokenKeys, token: &str) -> Result<AccessClaims, Rejected> {
        verify_access_token(keys, "auth", "platform", token)
    }

    fn claims(exp_offset: i64) -> serde_json::Value {
        let n = now() as i64;
        serde_json::json!({"iss": "auth", "aud": "platform", "sub": "u1", "sid": "s1", "jti": "j",
                           "iat": n, "exp": n + exp_offset, "roles": []})
    }

    fn typed(alg: Algorithm) -> Header {
        let mut h = Header::new(alg);
        h.typ = Some("at+jwt".into());
        h
    }

    #[test]
    fn issued_tokens_verify_with_every_claim() {
        let keys = TokenKeys::hs256(SECRET);
        let c = verify(&keys, &issued(&keys, now())).unwrap();
        assert_eq!((c.sub.as_str(), c.sid.as_str()), ("u1", "s1"));
        assert_eq!(c.exp - c.iat, 1800);
        assert_eq!(c.roles, vec!["customer".to_string()]);
        assert_eq!(c.jti.len(), 22);
    }

    #[test]
    fn expiry_allows_thirty_seconds_of_skew_and_no_more() {
        let keys = TokenKeys::hs256(SECRET);
        assert!(verify(&keys, &sign(typed(Algorithm::HS256), &claims(-20), SECRET)).is_ok());
        assert_eq!(
            verify(&keys, &sign(typed(Algorithm::HS256), &claims(-40), SECRET)),
            Err(Rejected::Invalid)
        );
    }

    #[test]
    fn header_tricks_are_rejected() {
        let keys = TokenKeys::hs256(SECRET);
        let mut no_type = Header::new(Algorithm::HS256);
        no_type.typ = Some("JWT".into());
        assert_eq!(
            verify(&keys, &sign(no_type, &claims(600), SECRET)),
            Err(Rejected::WrongType)
        );
        let mut jku = typed(Algorithm::HS256);
        jku.jku = Some("https://attacker.example/keys".into());
        assert_eq!(
            verify(&keys, &sign(jku, &claims(600), SECRET)),
            Err(Rejected::EmbeddedKeyReference)
        );
        assert_eq!(
            verify(&keys, &sign(typed(Algorithm::HS384), &claims(600), SECRET)),
            Err(Rejected::WrongAlgorithm)
        );
        // alg "none": header {"alg":"none","typ":"at+jwt"}, no signature.
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"at+jwt"}"#),
            URL_SAFE_NO_PAD.encode(claims(600).to_string())
        );
        assert!(verify(&keys, &none).is_err());
    }

    #[test]
    fn missing_claims_wrong_audience_and_wrong_key_are_rejected() {
        let keys = TokenKeys::hs256(SECRET);
        let mut c = claims(600);
        c.as_object_mut().unwrap().remove("sid");
        assert_eq!(
            verify(&keys, &sign(typed(Algorithm::HS256), &c, SECRET)),
            Err(Rejected::Invalid)
        );
        let mut c = claims(600);
        c["aud"] = "someone-else".into();
        assert_eq!(
            verify(&keys, &sign(typed(Algorithm::HS256), &c, SECRET)),
            Err(Rejected::Invalid)
        );
        let other = b"another secret that is 32 bytes!";
        assert_eq!(
            verify(&keys, &sign(typed(Algorithm::HS256), &claims(600), other)),
            Err(Rejected::Invalid)
        );
    }

    #[test]
    fn refresh_tokens_are_random_and_only_their_hash_is_kept() {
        let a = RefreshToken::generate().unwrap();
        let b = RefreshToken::generate().unwrap();
        assert_ne!(a.token.expose(), b.token.expose());
        assert_eq!(a.token.expose().len(), 43); // 256 bits in base64url
        assert_eq!(a.hash, hash_refresh_token(a.token.expose()));
        assert_eq!(
            verify(&TokenKeys::hs256(SECRET), a.token.expose()),
            Err(Rejected::Malformed)
        );
    }
}
