//! The signatures access tokens use, and no others: HS256 (HMAC-SHA-256,
//! `jwt_secret`) and EdDSA (Ed25519, `jwt_private_key`). `jsonwebtoken`'s own
//! RustCrypto backend also carries RSA and ECDSA (≈ 0.3 MB of the component,
//! and the `rsa` crate with its timing advisory), which the service never
//! uses; this backend makes any other algorithm an error by construction.
//! It is installed before the first token is signed or checked.

use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use hmac::{Hmac, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{ErrorKind, Result};
use jsonwebtoken::signature::{Error as SignatureError, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};
use sha2::Sha256;

static BACKEND: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    key_utils: KeyUtils::new_unimplemented(),
};

/// Makes this backend `jsonwebtoken`'s, once per instance; a no-op after.
pub fn install() {
    // Fails only when a backend is already installed: this one, as nothing
    // else installs one (and a crate feature's default is never asked for
    // first: every use of jsonwebtoken goes through tokens.rs, which calls this).
    let _ = BACKEND.install_default();
}

fn signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    match (algorithm, key.family()) {
        (Algorithm::HS256, AlgorithmFamily::Hmac) => Ok(Box::new(Hs256::keyed(key.as_bytes())?)),
        (Algorithm::EdDSA, AlgorithmFamily::Ed) => {
            let key = SigningKey::from_pkcs8_der(key.as_bytes())
                .map_err(|_| ErrorKind::InvalidEddsaKey)?;
            Ok(Box::new(Ed25519Signer(key)))
        }
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    match (algorithm, key.family()) {
        (Algorithm::HS256, AlgorithmFamily::Hmac) => {
            Ok(Box::new(Hs256::keyed(key.try_get_as_bytes()?)?))
        }
        (Algorithm::EdDSA, AlgorithmFamily::Ed) => {
            let public: &[u8; 32] = key
                .try_get_as_bytes()?
                .try_into()
                .map_err(|_| ErrorKind::InvalidEddsaKey)?;
            let key = VerifyingKey::from_bytes(public).map_err(|_| ErrorKind::InvalidEddsaKey)?;
            Ok(Box::new(Ed25519Verifier(key)))
        }
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

struct Hs256(Hmac<Sha256>);

impl Hs256 {
    fn keyed(secret: &[u8]) -> Result<Hs256> {
        Hmac::new_from_slice(secret)
            .map(Hs256)
            .map_err(|_| ErrorKind::InvalidKeyFormat.into())
    }
}

impl Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, SignatureError> {
        let mut mac = self.0.clone();
        mac.update(message);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl Verifier<Vec<u8>> for Hs256 {
    fn verify(
        &self,
        message: &[u8],
        signature: &Vec<u8>,
    ) -> std::result::Result<(), SignatureError> {
        let mut mac = self.0.clone();
        mac.update(message);
        // Compared in constant time.
        mac.verify_slice(signature)
            .map_err(|_| SignatureError::new())
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

struct Ed25519Signer(SigningKey);

impl Signer<Vec<u8>> for Ed25519Signer {
    fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, SignatureError> {
        Ok(self.0.sign(message).to_bytes().to_vec())
    }
}

impl JwtSigner for Ed25519Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

struct Ed25519Verifier(VerifyingKey);

impl Verifier<Vec<u8>> for Ed25519Verifier {
    fn verify(
        &self,
        message: &[u8],
        signature: &Vec<u8>,
    ) -> std::result::Result<(), SignatureError> {
        let signature = Signature::from_slice(signature)?;
        // Strict: no small-order keys, no malleable signatures.
        self.0.verify_strict(message, &signature)
    }
}

impl JwtVerifier for Ed25519Verifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hs256_and_eddsa_have_a_backend() {
        let secret = EncodingKey::from_secret(b"a secret of thirty-two bytes ok!");
        assert!(signer(&Algorithm::HS256, &secret).is_ok());
        for other in [
            Algorithm::HS384,
            Algorithm::RS256,
            Algorithm::ES256,
            Algorithm::PS256,
        ] {
            assert!(signer(&other, &secret).is_err(), "{other:?}");
        }
        let public = DecodingKey::from_secret(b"a secret of thirty-two bytes ok!");
        assert!(verifier(&Algorithm::HS256, &public).is_ok());
        assert!(verifier(&Algorithm::HS512, &public).is_err());
    }

    #[test]
    fn a_key_of_the_other_family_is_refused() {
        // The classic confusion: an Ed25519 public key used as an HMAC secret.
        let ed_public = DecodingKey::from_ed_der(&[7u8; 32]);
        assert!(verifier(&Algorithm::HS256, &ed_public).is_err());
        let hmac_secret = DecodingKey::from_secret(&[7u8; 32]);
        assert!(verifier(&Algorithm::EdDSA, &hmac_secret).is_err());
    }

    #[test]
    fn hs256_signs_and_verifies_and_refuses_a_changed_message() {
        let signing = Hs256::keyed(b"k").unwrap();
        let signature = signing.try_sign(b"message").unwrap();
        assert_eq!(signature.len(), 32);
        assert!(signing.verify(b"message", &signature).is_ok());
        assert!(signing.verify(b"messagf", &signature).is_err());
    }

    #[test]
    fn ed25519_signs_and_verifies_and_refuses_a_changed_message() {
        let key = SigningKey::from_bytes(&[3u8; 32]);
        let signature = Ed25519Signer(key.clone()).try_sign(b"message").unwrap();
        let verifying = Ed25519Verifier(key.verifying_key());
        assert!(verifying.verify(b"message", &signature).is_ok());
        assert!(verifying.verify(b"messagf", &signature).is_err());
        assert!(verifying
            .verify(b"message", &signature[..63].to_vec())
            .is_err());
    }
}
