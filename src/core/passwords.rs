//! bcrypt hashing and verification. Verifying for an unknown login costs the
//! same bcrypt work as for a known one, so timing tells nothing.

use crate::core::identity::Password;
use crate::core::secret::Secret;

/// A well-formed bcrypt hash that no password matches, at the given cost.
fn decoy_hash(cost: u32) -> String {
    format!("$2b${cost:02}${}", ".".repeat(53))
}

pub fn hash(password: &Password, cost: u32) -> Result<Secret<String>, bcrypt::BcryptError> {
    bcrypt::hash(password.secret().expose(), cost).map(Secret::new)
}

/// Whether `password` matches `stored`. With no stored hash (unknown login, or
/// an account without a password) it still spends one verification at `cost`.
pub fn verify(password: &Password, stored: Option<&str>, cost: u32) -> bool {
    match stored {
        Some(hash) => bcrypt::verify(password.secret().expose(), hash).unwrap_or(false),
        None => {
            let _ = bcrypt::verify(password.secret().expose(), &decoy_hash(cost));
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let p = Password::parse("correct horse").unwrap();
        let h = hash(&p, 4).unwrap();
        assert!(h.expose().starts_with("$2b$04$"));
        assert!(verify(&p, Some(h.expose()), 4));
        assert!(!verify(
            &Password::parse("wrong horse").unwrap(),
            Some(h.expose()),
            4
        ));
    }

    #[test]
    fn decoy_is_a_valid_hash_that_matches_nothing() {
        let p = Password::parse("correct horse").unwrap();
        // The decoy must parse, or the unknown-login path would skip the work.
        assert!(!bcrypt::verify("correct horse", &decoy_hash(4)).unwrap());
        assert!(!verify(&p, None, 4));
    }
}
