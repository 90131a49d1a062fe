//! Signing and verification keys for access tokens (SPEC §5).
//!
//! HS256 (default) signs and verifies with `jwt_secret`. EdDSA signs with the
//! Ed25519 `jwt_private_key` and verifies with its public half plus, while keys
//! rotate, a retiring public key; both are published as a JWKS so other
//! services verify tokens without any shared secret. A key's `kid` is derived
//! from the public key itself, so it needs no configuration and changes with it.

use crate::core::secret::Secret;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub struct VerifyKey {
    /// `None` for HS256, which has a single key and no `kid`.
    pub kid: Option<String>,
    pub key: DecodingKey,
    /// The public JWK, for EdDSA keys.
    pub jwk: Option<Value>,
}

pub struct TokenKeys {
    pub algorithm: Algorithm,
    pub signing: Secret<EncodingKey>,
    pub signing_kid: Option<String>,
    /// The current key first, then a retiring one if configured.
    pub verifying: Vec<VerifyKey>,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TokenKeys({:?}, kid {:?})",
            self.algorithm, self.signing_kid
        )
    }
}

/// What was wrong with a key variable, in words for the operator.
pub type KeyError = String;

impl TokenKeys {
    pub fn hs256(secret: &[u8]) -> TokenKeys {
        TokenKeys {
            algorithm: Algorithm::HS256,
            signing: Secret::new(EncodingKey::from_secret(secret)),
            signing_kid: None,
            verifying: vec![VerifyKey {
                kid: None,
                key: DecodingKey::from_secret(secret),
                jwk: None,
            }],
        }
    }

    /// `private_pem`: PKCS#8 PEM of the current key. `retiring_public_pem`:
    /// SPKI PEM of the previous key, still accepted until its tokens expire.
    pub fn eddsa(
        private_pem: &str,
        retiring_public_pem: Option<&str>,
    ) -> Result<TokenKeys, (&'static str, KeyError)> {
        let signing_key = SigningKey::from_pkcs8_pem(private_pem.trim()).map_err(|_| {
            (
                "jwt_private_key",
                "must be an Ed25519 private key in PKCS#8 PEM".to_string(),
            )
        })?;
        let current = verify_key(&signing_key.verifying_key());
        let mut verifying = vec![current];
        if let Some(pem) = retiring_public_pem {
            let public = VerifyingKey::from_public_key_pem(pem.trim()).map_err(|_| {
                (
                    "jwt_retiring_public_key",
                    "must be an Ed25519 public key in SPKI PEM".to_string(),
                )
            })?;
            verifying.push(verify_key(&public));
        }
        let der = signing_key_der(&signing_key);
        Ok(TokenKeys {
            algorithm: Algorithm::EdDSA,
            signing: Secret::new(EncodingKey::from_ed_der(&der)),
            signing_kid: verifying[0].kid.clone(),
            verifying,
        })
    }

    /// `{"keys": [...]}` of the public keys; empty for HS256.
    pub fn jwks(&self) -> Value {
        json!({"keys": self.verifying.iter().filter_map(|k| k.jwk.clone()).collect::<Vec<_>>()})
    }
}

/// jsonwebtoken signs EdDSA from the PKCS#8 DER of the key pair.
fn signing_key_der(key: &SigningKey) -> Vec<u8> {
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    key.to_pkcs8_der()
        .expect("an in-memory key encodes")
        .as_bytes()
        .to_vec()
}

fn verify_key(public: &VerifyingKey) -> VerifyKey {
    let x = URL_SAFE_NO_PAD.encode(public.as_bytes());
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(public.as_bytes()))[..16].to_string();
    VerifyKey {
        key: DecodingKey::from_ed_components(&x).expect("a valid Ed25519 public key"),
        jwk: Some(
            json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"}),
        ),
        kid: Some(kid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::pkcs8::{spki::der::pem::LineEnding, EncodePrivateKey, EncodePublicKey};

    fn pem_pair(seed: u8) -> (String, String) {
        let key = SigningKey::from_bytes(&[seed; 32]);
        (
            key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
            key.verifying_key()
                .to_public_key_pem(LineEnding::LF)
                .unwrap(),
        )
    }

    #[test]
    fn jwks_lists_current_then_retiring_key() {
        let (current, _) = pem_pair(1);
        let (_, retiring) = pem_pair(2);
        let keys = TokenKeys::eddsa(&current, Some(&retiring)).unwrap();
        let jwks = keys.jwks();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
        assert_eq!(jwks["keys"][0]["kid"].as_str(), keys.signing_kid.as_deref());
        assert_ne!(jwks["keys"][0]["kid"], jwks["keys"][1]["kid"]);
        assert_eq!(jwks["keys"][0]["kty"], "OKP");
        assert!(
            jwks["keys"][0].get("d").is_none(),
            "no private part is published"
        );
    }

    #[test]
    fn bad_keys_name_their_variable() {
        assert_eq!(
            TokenKeys::eddsa("nonsense", None).unwrap_err().0,
            "jwt_private_key"
        );
        let (current, _) = pem_pair(1);
        assert_eq!(
            TokenKeys::eddsa(&current, Some("nonsense")).unwrap_err().0,
            "jwt_retiring_public_key"
        );
    }

    #[test]
    fn hs256_publishes_nothing() {
        assert_eq!(
            TokenKeys::hs256(b"0123456789abcdef0123456789abcdef").jwks()["keys"],
            json!([])
        );
    }
}
