//! One-time phone codes (SPEC §6): six digits from the system's CSPRNG,
//! stored only as a keyed digest, and the one-time proofs a code buys.

use crate::core::secret::Secret;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Signs in: a token pair.
    Login,
    /// Proves the phone for a registration without a password.
    Register,
    /// Proves the phone for adding it to the signed-in user's account.
    VerifyPhone,
    /// Proves the account (a code to the signed-in user's own verified
    /// phone) for a sensitive change, when no password is given.
    Reauth,
    /// Recovers a forgotten password (`POST /auth/recovery`): sent to the
    /// account's verified phone, bound to the account; never asked for
    /// through `/auth/otp/request`.
    Recover,
}

impl Purpose {
    /// The purposes `/auth/otp/request` takes.
    pub fn parse(raw: &str) -> Option<Purpose> {
        match raw {
            "login" => Some(Purpose::Login),
            "register" => Some(Purpose::Register),
            "verify_phone" => Some(Purpose::VerifyPhone),
            "reauth" => Some(Purpose::Reauth),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Login => "login",
            Purpose::Register => "register",
            Purpose::VerifyPhone => "verify_phone",
            Purpose::Reauth => "reauth",
            Purpose::Recover => "recover",
        }
    }

    /// Codes only a signed-in user may ask for, bound to that user
    /// (SPEC §6: `verify_phone` codes only to a signed-in user).
    pub fn needs_sign_in(self) -> bool {
        matches!(self, Purpose::VerifyPhone | Purpose::Reauth)
    }
}

/// A code as the user receives it: exactly six ASCII digits.
pub struct Code(Secret<String>);

impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Code([redacted])")
    }
}

pub const CODE_DIGITS: usize = 6;

impl Code {
    /// A fresh code, uniform over 000000–999999 (rejection sampling: no
    /// modulo bias).
    pub fn generate() -> Result<Code, getrandom::Error> {
        loop {
            let mut bytes = [0u8; 4];
            getrandom::fill(&mut bytes)?;
            let n = u32::from_le_bytes(bytes);
            // The largest multiple of 10^6 below 2^32.
            if n < 4_294_000_000 {
                return Ok(Code(Secret::new(format!("{:06}", n % 1_000_000))));
            }
        }
    }

    /// A code as typed: surrounding spaces allowed, then six digits.
    pub fn parse(raw: &str) -> Option<Code> {
        let code = raw.trim();
        (code.len() == CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit()))
            .then(|| Code(Secret::new(code.to_string())))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// What the database keeps: HMAC-SHA-256 under the service's key, of
    /// the purpose, the phone (for `reauth`, the user id: the database
    /// finds the phone) and the code. Without the key, a digest read
    /// from the database cannot be tried against the million codes.
    pub fn digest(&self, key: &[u8], phone: &str, purpose: Purpose) -> [u8; 32] {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
        for part in ["auth-service otp", purpose.as_str(), phone, self.expose()] {
            mac.update(part.as_bytes());
            mac.update(&[0]);
        }
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: Vec<String> = (0..200)
            .map(|_| Code::generate().unwrap().expose().to_string())
            .collect();
        assert!(codes
            .iter()
            .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert!(unique.len() > 190, "{} distinct of 200", unique.len());
        assert!(format!("{:?}", Code::parse("123456").unwrap()).contains("redacted"));
    }

    #[test]
    fn a_typed_code_is_six_digits() {
        assert_eq!(Code::parse(" 012345 ").unwrap().expose(), "012345");
        for bad in ["12345", "1234567", "12345a", "١٢٣٤٥٦", "", "12 345"] {
            assert!(Code::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn the_digest_binds_key_phone_purpose_and_code() {
        let code = Code::parse("123456").unwrap();
        let d = code.digest(b"key", "+79991234567", Purpose::Login);
        assert_eq!(d, code.digest(b"key", "+79991234567", Purpose::Login));
        assert_ne!(d, code.digest(b"other", "+79991234567", Purpose::Login));
        assert_ne!(d, code.digest(b"key", "+79991234568", Purpose::Login));
        assert_ne!(d, code.digest(b"key", "+79991234567", Purpose::Register));
        let other = Code::parse("123457").unwrap();
        assert_ne!(d, other.digest(b"key", "+79991234567", Purpose::Login));
    }
}
