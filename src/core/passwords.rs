//! bcrypt hashing and verification. Verifying for an unknown login costs the
//! same bcrypt work as for a known one, so timing tells nothing.
//!
//! The hash is computed here from the `blowfish` crate's bcrypt primitives
//! (the ones the `bcrypt` crate uses, and checked against it in the tests)
//! for one reason: the expensive key schedule pauses after every round
//! (`pause_with`). A WebAssembly instance cannot be interrupted, so under
//! the p3 build a cost-12 hash (≈ 0.3 s) would otherwise hold the host
//! thread that runs it, and every request waiting for that thread with it.

use crate::core::identity::Password;
use crate::core::secret::Secret;
use base64::alphabet::BCRYPT;
use base64::engine::general_purpose::{GeneralPurpose, NO_PAD};
use base64::Engine;
use blowfish::Blowfish;
use std::sync::OnceLock;
use subtle::ConstantTimeEq;

/// bcrypt's own base64 (`./A-Za-z0-9`, no padding).
const BCRYPT_BASE64: GeneralPurpose = GeneralPurpose::new(&BCRYPT, NO_PAD);
/// Rounds of the key schedule between pauses. One round is ≈ 70 µs of CPU;
/// measured under Spin 4.1 with two cost-12 logins beside 8 clients of
/// `/me` (bench `mixed`), `/me` p99 was 277 ms without pauses, 64 ms with
/// one every 16 rounds, 17 ms every 2 and 11 ms every round (3.6 ms
/// alone), while a hash took ≈ 14 µs more per pause.
const ROUNDS_BETWEEN_PAUSES: u32 = 1;
/// A hash at this cost or below (≤ 64 rounds, ≈ 5 ms) runs straight
/// through: it stalls little, and the pauses would add ≈ 20 %.
const COST_RUN_THROUGH: u32 = 6;

static PAUSE: OnceLock<fn()> = OnceLock::new();

/// What to call between rounds of the key schedule: under the p3 build, a
/// yield to the host (`edge::host`). Without it, the hash runs straight
/// through (the p2 build: an instance serves one request, and Spin runs it
/// on a thread of its own until it ends).
pub fn pause_with(pause: fn()) {
    let _ = PAUSE.set(pause);
}

fn pause() {
    if let Some(pause) = PAUSE.get() {
        pause();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashError {
    /// Outside bcrypt's 4..=31.
    CostNotAllowed(u32),
}

impl std::fmt::Display for HashError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HashError::CostNotAllowed(cost) => write!(f, "bcrypt cost {cost} outside 4..=31"),
        }
    }
}

impl std::error::Error for HashError {}

/// A well-formed bcrypt hash that no password matches, at the given cost.
fn decoy_hash(cost: u32) -> String {
    format!("$2b${cost:02}${}", ".".repeat(53))
}

pub fn hash(password: &Password, cost: u32) -> Result<Secret<String>, HashError> {
    if !(4..=31).contains(&cost) {
        return Err(HashError::CostNotAllowed(cost));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the host gives random bytes");
    let raw = eks_blowfish(cost, &salt, password.secret().expose().as_bytes());
    Ok(Secret::new(format(cost, &salt, &raw)))
}

/// Whether `password` matches `stored`. With no stored hash (unknown login, or
/// an account without a password) it still spends one verification at `cost`.
pub fn verify(password: &Password, stored: Option<&str>, cost: u32) -> bool {
    let given = password.secret().expose().as_bytes();
    match stored {
        Some(hash) => matches(given, hash),
        None => {
            let _ = matches(given, &decoy_hash(cost));
            false
        }
    }
}

fn matches(password: &[u8], stored: &str) -> bool {
    let Some((cost, salt)) = parse(stored) else {
        return false;
    };
    let computed = format(cost, &salt, &eks_blowfish(cost, &salt, password));
    // Salt and hash; the prefix may be any of the four.
    computed.as_bytes()[7..]
        .ct_eq(&stored.as_bytes()[7..])
        .into()
}

/// Cost and salt of a `$2a$`, `$2b$`, `$2x$` or `$2y$` hash (60 ASCII bytes).
fn parse(stored: &str) -> Option<(u32, [u8; 16])> {
    let bytes = stored.as_bytes();
    if bytes.len() != 60
        || !stored.is_ascii()
        || bytes[0] != b'$'
        || bytes[3] != b'$'
        || bytes[6] != b'$'
    {
        return None;
    }
    if !matches!(&stored[1..3], "2a" | "2b" | "2x" | "2y") {
        return None;
    }
    let cost: u32 = stored[4..6].parse().ok().filter(|c| (4..=31).contains(c))?;
    let mut salt = [0u8; 16];
    BCRYPT_BASE64.decode_slice(&stored[7..29], &mut salt).ok()?;
    Some((cost, salt))
}

/// The `$2b$` form of a computed hash (its first 23 bytes, as bcrypt has it).
fn format(cost: u32, salt: &[u8; 16], raw: &[u8; 24]) -> String {
    format!(
        "$2b${cost:02}${}{}",
        BCRYPT_BASE64.encode(salt),
        BCRYPT_BASE64.encode(&raw[..23])
    )
}

/// bcrypt's EksBlowfish: the password NUL-terminated and cut to 72 bytes,
/// 2^cost rounds of key expansion (pausing between some), then
/// "OrpheanBeholderScryDoubt" encrypted 64 times.
fn eks_blowfish(cost: u32, salt: &[u8; 16], password: &[u8]) -> [u8; 24] {
    let mut key = [0u8; 72];
    let copied = password.len().min(72);
    key[..copied].copy_from_slice(&password[..copied]);
    let key = &key[..(copied + 1).min(72)];

    let pauses = cost > COST_RUN_THROUGH;
    let mut state = Blowfish::bc_init_state();
    state.salted_expand_key(salt, key);
    for round in 1..=(1u64 << cost) {
        state.bc_expand_key(key);
        state.bc_expand_key(salt);
        if pauses && round % u64::from(ROUNDS_BETWEEN_PAUSES) == 0 {
            pause();
        }
    }
    #[allow(clippy::unreadable_literal)]
    let mut text: [u32; 6] = [
        0x4f727068, 0x65616e42, 0x65686f6c, 0x64657253, 0x63727944, 0x6f756274,
    ];
    let mut out = [0u8; 24];
    for i in (0..6).step_by(2) {
        for _ in 0..64 {
            [text[i], text[i + 1]] = state.bc_encrypt([text[i], text[i + 1]]);
        }
        out[i * 4..i * 4 + 4].copy_from_slice(&text[i].to_be_bytes());
        out[i * 4 + 4..i * 4 + 8].copy_from_slice(&text[i + 1].to_be_bytes());
    }
    out
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
        assert!(parse(&decoy_hash(4)).is_some());
        assert!(!bcrypt::verify("correct horse", &decoy_hash(4)).unwrap());
        assert!(!verify(&p, None, 4));
    }

    /// Passwords of every length around bcrypt's 72-byte cut, and non-ASCII.
    fn samples() -> Vec<String> {
        let mut out: Vec<String> = [1, 8, 55, 71, 72, 73, 100]
            .iter()
            .map(|n| "x".repeat(*n))
            .collect();
        out.push("пароль из кириллицы, достаточно длинный".into());
        out.push("ok ".repeat(30));
        out
    }

    #[test]
    fn the_same_hashes_as_the_bcrypt_crate() {
        for cost in [4, 5, 6] {
            for password in samples() {
                let salt: [u8; 16] = std::array::from_fn(|i| (i * 7 + password.len()) as u8);
                let theirs = bcrypt::hash_with_salt(&password, cost, salt)
                    .unwrap()
                    .format_for_version(bcrypt::Version::TwoB);
                let ours = format(cost, &salt, &eks_blowfish(cost, &salt, password.as_bytes()));
                assert_eq!(ours, theirs, "cost {cost}, {} bytes", password.len());
            }
        }
    }

    #[test]
    fn each_verifies_the_others_hashes() {
        for password in samples()
            .into_iter()
            .filter(|p| (8..=72).contains(&p.len()))
        {
            let p = Password::parse(&password).unwrap();
            let ours = hash(&p, 4).unwrap();
            assert!(bcrypt::verify(&password, ours.expose()).unwrap());
            let theirs = bcrypt::hash(&password, 4).unwrap();
            assert!(verify(&p, Some(&theirs), 4));
            // The other prefixes bcrypt implementations write.
            for prefix in ["$2a$", "$2y$"] {
                let other = format!("{prefix}{}", &theirs[4..]);
                assert!(verify(&p, Some(&other), 4), "{prefix}");
            }
            assert!(!verify(
                &Password::parse("not the one 123").unwrap(),
                Some(&theirs),
                4
            ));
        }
    }

    #[test]
    fn malformed_hashes_match_nothing() {
        let p = Password::parse("correct horse").unwrap();
        let good = bcrypt::hash("correct horse", 4).unwrap();
        for bad in [
            String::new(),
            good[..59].to_string(),
            format!("$3b${}", &good[4..]),
            format!("$2b$03${}", &good[7..]),
            format!("$2b$xx${}", &good[7..]),
            good.replacen('$', "!", 1),
            format!("{}é", &good[..58]),
        ] {
            assert!(!verify(&p, Some(&bad), 4), "{bad}");
        }
    }

    #[test]
    fn the_key_schedule_pauses_after_every_round_above_cost_6() {
        use std::sync::atomic::{AtomicU32, Ordering};
        static PAUSES: AtomicU32 = AtomicU32::new(0);
        pause_with(|| {
            PAUSES.fetch_add(1, Ordering::Relaxed);
        });
        // (No other test hashes above cost 6, so the counts are exact.)
        let before = PAUSES.load(Ordering::Relaxed);
        eks_blowfish(7, &[1; 16], b"pw");
        assert_eq!(PAUSES.load(Ordering::Relaxed) - before, 128);
        let before = PAUSES.load(Ordering::Relaxed);
        eks_blowfish(6, &[1; 16], b"pw");
        assert_eq!(
            PAUSES.load(Ordering::Relaxed) - before,
            0,
            "cost 6 runs through"
        );
    }
}
