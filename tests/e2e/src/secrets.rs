//! The secrets the suite sends and receives — passwords, access and refresh
//! tokens, phone and reauth proofs, email links' tokens, CSRF tokens — written one per line to
//! `$AUTH_SECRETS_FILE` when it is set. After each pass the test command
//! looks for every one of them in every log of that pass (the shared
//! host's, Spin's component logs, and each own host's): none may appear.
//! Values under 8 characters are left out (a short "password" of a bad-
//! input test would match anywhere); codes are checked by the phone-code
//! tests in their own host's log.

use std::io::Write;

const KEYS: &[&str] = &[
    "password",
    "current_password",
    "new_password",
    "access_token",
    "refresh_token",
    "phone_proof",
    "reauth_proof",
    "token",
    "mfa_token",
    "secret",
    "recovery_code",
    "recovery_codes",
];

fn record(value: &str) {
    let Ok(path) = std::env::var("AUTH_SECRETS_FILE") else {
        return;
    };
    if value.len() < 8 || value.contains('\n') {
        return;
    }
    // One write per line: test processes append to the file at once, and
    // a line written in two pieces could interleave into an empty one.
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = file.write_all(format!("{value}\n").as_bytes());
    }
}

fn from_json(value: &serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (value, KEYS.contains(&key.as_str())) {
                    (serde_json::Value::String(secret), true) => record(secret),
                    (serde_json::Value::Array(items), true) => {
                        items.iter().filter_map(|i| i.as_str()).for_each(record)
                    }
                    _ => from_json(value),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(from_json),
        _ => {}
    }
}

pub fn from_request(headers: &[(&str, &[u8])], body: Option<&[u8]>) {
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value);
        if name.eq_ignore_ascii_case("authorization") {
            if let Some((_, token)) = value.split_once(' ') {
                record(token.trim());
            }
        }
    }
    if let Some(Ok(body)) = body.map(serde_json::from_slice::<serde_json::Value>) {
        from_json(&body);
    }
}

pub fn from_reply(reply: &crate::Reply) {
    if let Ok(body) = serde_json::from_str::<serde_json::Value>(&reply.text) {
        from_json(&body);
    }
    for cookie in reply.all_headers("set-cookie") {
        if let Some((_, value)) = cookie.split(';').next().unwrap_or_default().split_once('=') {
            record(value);
        }
    }
}
