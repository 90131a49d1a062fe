//! The second factor (SPEC §6a): TOTP codes (RFC 6238: SHA-1, 6 digits, 30 s
//! steps, one step of drift either way), the secret sealed at rest with
//! AES-256-GCM under `mfa_encryption_key` (the user id as associated data,
//! so a sealed secret moved to another user opens for nobody), the
//! `otpauth://` URI and its QR code for authenticator apps, and the
//! one-time recovery codes, stored only as keyed digests.

use crate::core::secret::Secret;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use totp_rs::{Algorithm, Builder, Totp};

/// Seconds per step.
pub const STEP_SECONDS: u64 = 30;
/// 160 bits, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;
/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;
const NONCE_BYTES: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpError {
    Randomness,
    /// The sealed secret does not open with this key for this user.
    Unsealable,
    Sealing,
}

impl std::fmt::Display for TotpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TotpError::Randomness => "no randomness from the host",
            TotpError::Unsealable => {
                "a stored second-factor secret does not open with mfa_encryption_key"
            }
            TotpError::Sealing => "the second-factor secret could not be sealed",
        })
    }
}

impl std::error::Error for TotpError {}

/// A TOTP secret in the clear: only between generating or opening it and
/// using it. Its `Debug` prints nothing.
pub struct TotpSecret(Secret<Vec<u8>>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

impl TotpSecret {
    pub fn generate() -> Result<TotpSecret, TotpError> {
        let mut bytes = vec![0u8; SECRET_BYTES];
        getrandom::fill(&mut bytes).map_err(|_| TotpError::Randomness)?;
        Ok(TotpSecret(Secret::new(bytes)))
    }

    fn totp(&self) -> Totp {
        // RFC 6238's parameters; a 20-byte secret always builds.
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_skew(1)
            .with_step_duration(STEP_SECONDS)
            .with_secret(self.0.expose().clone())
            .build_noncompliant()
    }

    /// The time step (`unix time / 30`) the code matches, within one step
    /// of `now` either way, or `None`. The caller accepts a step once.
    pub fn matching_step(&self, code: &str, now: u64) -> Option<u64> {
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        self.totp().check(code, now)
    }

    /// The code of the step `now` falls in (for tests and the demo).
    pub fn code_at(&self, now: u64) -> String {
        self.totp().generate(now).to_string()
    }

    /// The secret as authenticator apps take it typed: base32, no padding.
    pub fn base32(&self) -> String {
        totp_rs::Secret::from(self.0.expose().clone()).to_base32()
    }

    /// `otpauth://totp/{issuer}:{account}?secret=…&issuer=…` (Google
    /// Authenticator's key URI format).
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let escape = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        // byte_serialize writes spaces as '+', which a path must not hold.
        let label = format!("{}:{}", escape(issuer), escape(account)).replace('+', "%20");
        format!(
            "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits=6&period={STEP_SECONDS}",
            self.base32(),
            escape(issuer).replace('+', "%20")
        )
    }

    /// Seals the secret for `user_id`: a fresh 96-bit nonce, then the
    /// ciphertext and its tag.
    pub fn seal(&self, key: &[u8; 32], user_id: &str) -> Result<Vec<u8>, TotpError> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|_| TotpError::Randomness)?;
        let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key));
        let sealed = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: self.0.expose(),
                    aad: user_id.as_bytes(),
                },
            )
            .map_err(|_| TotpError::Sealing)?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    /// Opens what `seal` made for the same user with the same key.
    pub fn open(sealed: &[u8], key: &[u8; 32], user_id: &str) -> Result<TotpSecret, TotpError> {
        if sealed.len() <= NONCE_BYTES {
            return Err(TotpError::Unsealable);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        let nonce = Nonce::try_from(nonce).map_err(|_| TotpError::Unsealable)?;
        let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key));
        cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: user_id.as_bytes(),
                },
            )
            .map(|bytes| TotpSecret(Secret::new(bytes)))
            .map_err(|_| TotpError::Unsealable)
    }
}

/// The QR code of `text` as an SVG document (for the apps to scan).
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .build(),
        // An otpauth URI is far below a QR code's capacity.
        Err(_) => String::new(),
    }
}

/// A recovery code as shown once: ten characters of an alphabet without
/// look-alikes, in two groups (`xxxxx-xxxxx`), about 50 bits.
pub struct RecoveryCode(Secret<String>);

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode([redacted])")
    }
}

/// 32 symbols: no i, l or o (the digits 0 and 1 stay unmistakable then).
const RECOVERY_ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz023456789";

impl RecoveryCode {
    pub fn generate_set() -> Result<Vec<RecoveryCode>, TotpError> {
        (0..RECOVERY_CODES)
            .map(|_| {
                let mut bytes = [0u8; 10];
                getrandom::fill(&mut bytes).map_err(|_| TotpError::Randomness)?;
                let chars: String = bytes
                    .iter()
                    .map(|b| RECOVERY_ALPHABET[usize::from(b % 32)] as char)
                    .collect();
                Ok(RecoveryCode(Secret::new(format!(
                    "{}-{}",
                    &chars[..5],
                    &chars[5..]
                ))))
            })
            .collect()
    }

    /// As typed: trimmed, lower-cased, the dash optional.
    pub fn parse(raw: &str) -> Option<RecoveryCode> {
        let compact: String = raw
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| *c != '-' && *c != ' ')
            .collect();
        (compact.len() == 10 && compact.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)))
            .then(|| RecoveryCode(Secret::new(format!("{}-{}", &compact[..5], &compact[5..]))))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// What the database keeps: HMAC-SHA-256 under a service key (the second
    /// factor's own, `mfa_encryption_key`) over the user id and the code, so
    /// a dump alone cannot try codes offline.
    pub fn digest(&self, key: &[u8], user_id: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key");
        mac.update(b"mfa-recovery\0");
        mac.update(user_id.as_bytes());
        mac.update(b"\0");
        mac.update(self.0.expose().as_bytes());
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 (its 8-digit values, last 6 digits: a
    /// 6-digit code is the same truncation modulo 10^6).
    #[test]
    fn rfc_6238_appendix_b_sha1_vectors() {
        let secret = TotpSecret(Secret::new(b"12345678901234567890".to_vec()));
        for (time, eight) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(secret.code_at(time), &eight[2..], "T = {time}");
        }
    }

    #[test]
    fn one_step_of_drift_either_way_is_accepted_two_are_not() {
        let secret = TotpSecret::generate().unwrap();
        let now = 1_800_000_015;
        let step = now / STEP_SECONDS;
        for (offset, accepted) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let at = ((step as i64 + offset) as u64) * STEP_SECONDS;
            let code = secret.code_at(at);
            let matched = secret.matching_step(&code, now);
            if accepted {
                assert_eq!(matched, Some((step as i64 + offset) as u64), "{offset}");
            } else {
                // A code of another step may collide by chance (1 in 10^6
                // per step): it must not match as that step.
                assert_ne!(matched, Some((step as i64 + offset) as u64), "{offset}");
            }
        }
        assert_eq!(secret.matching_step("12345", now), None);
        assert_eq!(secret.matching_step("12345a", now), None);
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_for_its_user() {
        let secret = TotpSecret::generate().unwrap();
        let key = [7u8; 32];
        let sealed = secret.seal(&key, "user-a").unwrap();
        assert!(!sealed
            .windows(SECRET_BYTES)
            .any(|w| w == secret.0.expose().as_slice()));
        let opened = TotpSecret::open(&sealed, &key, "user-a").unwrap();
        assert_eq!(opened.0.expose(), secret.0.expose());
        assert!(TotpSecret::open(&sealed, &[8u8; 32], "user-a").is_err());
        assert!(TotpSecret::open(&sealed, &key, "user-b").is_err());
        assert_ne!(
            sealed,
            secret.seal(&key, "user-a").unwrap(),
            "a fresh nonce"
        );
    }

    #[test]
    fn the_uri_and_qr_code_carry_the_secret_for_apps() {
        let secret = TotpSecret(Secret::new(b"12345678901234567890".to_vec()));
        assert_eq!(secret.base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let uri = secret.otpauth_uri("Logistics Auth", "ivan@example.com");
        assert_eq!(
            uri,
            "otpauth://totp/Logistics%20Auth:ivan%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Logistics%20Auth&algorithm=SHA1&digits=6&period=30"
        );
        let svg = qr_svg(&uri);
        assert!(
            svg.starts_with("<?xml") && svg.contains("<svg"),
            "{svg:.80}"
        );
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_typed_loosely() {
        let codes = RecoveryCode::generate_set().unwrap();
        assert_eq!(codes.len(), 10);
        let mut shown: Vec<&str> = codes.iter().map(|c| c.expose()).collect();
        shown.sort();
        shown.dedup();
        assert_eq!(shown.len(), 10);
        let typed = RecoveryCode::parse(&format!(" {} ", shown[0].to_uppercase().replace('-', "")))
            .unwrap();
        assert_eq!(typed.expose(), shown[0]);
        assert_eq!(
            typed.digest(b"k", "u"),
            RecoveryCode::parse(shown[0]).unwrap().digest(b"k", "u")
        );
        assert_ne!(typed.digest(b"k", "u"), typed.digest(b"k", "v"));
        assert!(RecoveryCode::parse("short").is_none());
        assert!(
            RecoveryCode::parse("abcde-fghj1").is_none(),
            "1 is not in the alphabet"
        );
        let mut symbols = RECOVERY_ALPHABET.to_vec();
        symbols.sort_unstable();
        symbols.dedup();
        assert_eq!(symbols.len(), 32, "32 distinct symbols: 50 bits a code");
    }
}
