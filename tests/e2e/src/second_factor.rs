//! The second factor as a user's authenticator app sees it: the base32
//! secret from enrolment, and the RFC 6238 code of any time step, computed
//! here independently of the service's own implementation.

use crate::*;
use serde_json::{json, Value};

/// The app's copy of a TOTP secret.
pub struct AuthenticatorApp {
    secret: Vec<u8>,
}

impl AuthenticatorApp {
    /// From the base32 secret (RFC 4648, no padding) an enrolment showed.
    pub fn from_base32(text: &str) -> AuthenticatorApp {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let (mut bits, mut value, mut secret) = (0u32, 0u32, Vec::new());
        for c in text.trim_end_matches('=').bytes() {
            let index = ALPHABET
                .iter()
                .position(|a| *a == c.to_ascii_uppercase())
                .expect("base32") as u32;
            value = (value << 5) | index;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                secret.push((value >> bits) as u8);
                value &= (1 << bits) - 1;
            }
        }
        AuthenticatorApp { secret }
    }

    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// The code of the 30-second step `steps_from_now` away from now.
    pub fn code(&self, steps_from_now: i64) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        self.code_of_step((now / 30 + steps_from_now) as u64)
    }

    pub fn code_of_step(&self, step: u64) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&self.secret).unwrap();
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let offset = (digest[19] & 0x0f) as usize;
        let number =
            u32::from_be_bytes(digest[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff;
        format!("{:06}", number % 1_000_000)
    }
}

/// Seconds left in the current 30-second step.
pub fn seconds_left_in_step() -> u64 {
    30 - std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 30
}

/// Enrols `user` (signed in with `token`, proving the account with their
/// password) and confirms with the current step's code: the app and the
/// ten recovery codes.
pub fn enrol_second_factor(
    api: &Api,
    token: &str,
    password: &str,
) -> (AuthenticatorApp, Vec<String>) {
    let started = api.bearer(
        "POST",
        "/api/v1/auth/mfa/totp",
        token,
        Some(&json!({"current_password": password})),
    );
    assert_eq!(started.status, 201, "{}", started.text);
    let app = AuthenticatorApp::from_base32(started.json()["secret"].as_str().unwrap());
    let confirmed = api.bearer(
        "POST",
        "/api/v1/auth/mfa/totp/confirm",
        token,
        Some(&json!({"code": app.code(0)})),
    );
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    let codes = confirmed.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    (app, codes)
}

/// The first step of a sign-in of a user with a second factor: the
/// `mfa_token` a right password gives.
pub fn first_factor(api: &Api, login: &str, password: &str) -> String {
    let reply = api.login(login, password);
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["mfa_required"], true, "{body}");
    assert!(body.get("access_token").is_none(), "no tokens yet");
    body["mfa_token"].as_str().unwrap().to_string()
}

/// `POST /auth/login/mfa`.
pub fn second_factor(api: &Api, mfa_token: &str, answer: Value) -> Reply {
    let mut body = answer;
    body["mfa_token"] = mfa_token.into();
    api.post_json("/api/v1/auth/login/mfa", &body)
}
