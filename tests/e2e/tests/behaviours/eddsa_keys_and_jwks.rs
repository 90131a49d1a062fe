//! With `jwt_algorithm = EdDSA` other services verify tokens from the JWKS
//! alone, no shared secret; an HS256 token made with the public key is
//! refused (algorithm confusion); and after a key rotation, tokens signed with
//! the retiring key stay valid until they expire.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use e2e::{claims_of, sign_up, OwnHost};
use ed25519_dalek::pkcs8::{spki::der::pem::LineEnding, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::SigningKey;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde_json::Value;

struct KeyPair {
    private_pem: String,
    public_pem: String,
    public_raw: [u8; 32],
}

fn key_pair() -> KeyPair {
    let key = SigningKey::from_bytes(&e2e::unique_bytes::<32>());
    KeyPair {
        private_pem: key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
        public_pem: key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap(),
        public_raw: key.verifying_key().to_bytes(),
    }
}

fn eddsa_host(current: &KeyPair, retiring: Option<&KeyPair>) -> OwnHost {
    let mut vars = vec![
        ("SPIN_VARIABLE_JWT_ALGORITHM", "EdDSA".to_string()),
        ("SPIN_VARIABLE_JWT_PRIVATE_KEY", current.private_pem.clone()),
    ];
    if let Some(old) = retiring {
        vars.push((
            "SPIN_VARIABLE_JWT_RETIRING_PUBLIC_KEY",
            old.public_pem.clone(),
        ));
    }
    OwnHost::start(&vars)
}

/// What a relying service does: fetch the JWKS, pick the key by `kid`, verify.
fn verify_with_jwks_only(jwks: &Value, token: &str) -> Result<Value, String> {
    let set: JwkSet = serde_json::from_value(jwks.clone()).map_err(|e| e.to_string())?;
    let kid = decode_header(token)
        .map_err(|e| e.to_string())?
        .kid
        .ok_or("no kid")?;
    let jwk = set.find(&kid).ok_or("kid not in the JWKS")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&["auth-service"]);
    validation.set_audience(&["logistics-platform"]);
    decode::<Value>(token, &key, &validation)
        .map(|d| d.claims)
        .map_err(|e| e.to_string())
}

#[test]
fn a_verifier_holding_only_the_jwks_validates_tokens() {
    let key = key_pair();
    let host = eddsa_host(&key, None);
    let user = sign_up(&host.api);
    let header = decode_header(&user.access_token).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));

    let reply = host.api.get("/api/v1/auth/.well-known/jwks.json");
    assert_eq!(reply.status, 200);
    let jwks = reply.json();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert!(
        jwks["keys"][0].get("d").is_none(),
        "no private key material"
    );
    let claims = verify_with_jwks_only(&jwks, &user.access_token).expect("valid against the JWKS");
    assert_eq!(claims["sub"], user.user_id.as_str());
    assert_eq!(host.api.me(&user.access_token).status, 200);
}

#[test]
fn hs256_tokens_are_refused_by_an_eddsa_service() {
    let key = key_pair();
    let host = eddsa_host(&key, None);
    let user = sign_up(&host.api);
    let claims = claims_of(&user.access_token);
    let mut hs = Header::new(Algorithm::HS256);
    hs.typ = Some("at+jwt".into());
    hs.kid = decode_header(&user.access_token).unwrap().kid;
    // The classic confusion: the public key (raw, as in the JWKS, or PEM) used as an HMAC secret.
    for secret in [
        key.public_raw.to_vec(),
        key.public_pem.clone().into_bytes(),
        URL_SAFE_NO_PAD.encode(key.public_raw).into_bytes(),
        e2e::env("AUTH_JWT_SECRET").into_bytes(),
    ] {
        let forged = encode(&hs, &claims, &EncodingKey::from_secret(&secret)).unwrap();
        host.api.me(&forged).problem(401);
    }
}

#[test]
fn tokens_of_the_retiring_key_stay_valid_after_rotation() {
    let (old, new) = (key_pair(), key_pair());
    let before = eddsa_host(&old, None);
    let user = sign_up(&before.api);
    let old_kid = decode_header(&user.access_token).unwrap().kid.unwrap();
    drop(before);

    let rotated = eddsa_host(&new, Some(&old));
    assert_eq!(
        rotated.api.me(&user.access_token).status,
        200,
        "signed with the retiring key"
    );
    let jwks = rotated.api.get("/api/v1/auth/.well-known/jwks.json").json();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    assert!(verify_with_jwks_only(&jwks, &user.access_token).is_ok());
    let fresh = rotated
        .api
        .login(&user.person.second_login, &user.person.password)
        .json();
    let fresh_token = fresh["access_token"].as_str().unwrap();
    let new_kid = decode_header(fresh_token).unwrap().kid.unwrap();
    assert_ne!(new_kid, old_kid, "new tokens are signed with the new key");
    assert_eq!(jwks["keys"][0]["kid"], new_kid.as_str());
    drop(rotated);

    // Once the old key is no longer listed, its tokens are refused.
    let retired = eddsa_host(&new, None);
    retired.api.me(&user.access_token).problem(401);
    assert_eq!(retired.api.me(fresh_token).status, 200);
}
