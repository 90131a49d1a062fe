//! A person registers through an app, gets a working token pair, and can then
//! log in with any of their identifiers, typed any way that normalizes alike.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use e2e::{admin_db, env, Api, Person};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn verify_access_token(token: &str) -> Value {
    let header = decode_header(token).expect("a JWT");
    assert_eq!(header.alg, Algorithm::HS256);
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&["auth-service"]);
    validation.set_audience(&["logistics-platform"]);
    validation.set_required_spec_claims(&["iss", "aud", "sub", "exp", "iat"]);
    decode::<Value>(
        token,
        &DecodingKey::from_secret(env("AUTH_JWT_SECRET").as_bytes()),
        &validation,
    )
    .expect("signed with the service's secret, with its issuer and audience")
    .claims
}

fn assert_token_pair(body: &Value) -> Value {
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 1800);
    let refresh = body["refresh_token"].as_str().unwrap();
    let claims = verify_access_token(body["access_token"].as_str().unwrap());
    // Session id, generation, the session's 128 random bits, a 256-bit MAC.
    let bytes = URL_SAFE_NO_PAD.decode(refresh).expect("base64url");
    assert_eq!(bytes.len(), 72);
    let sid: String = bytes[..16].iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(sid, claims["sid"].as_str().unwrap().replace('-', ""));
    assert_eq!(bytes[16..24], [0; 8], "a new session's first generation");
    claims
}

#[test]
fn registration_returns_tokens_and_the_normalized_user() {
    let api = Api::new();
    let person = Person::new();
    let mut body = person.registration();
    body["second_login"] = format!("  {}  ", person.second_login.to_uppercase()).into();
    body["email"] = person.email.to_uppercase().into();

    let reply = api.register(&body);
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let body = reply.json();
    let claims = assert_token_pair(&body);

    let user = &body["user"];
    assert_eq!(user["second_login"], person.second_login);
    assert_eq!(user["phone"], person.phone, "stored as E.164");
    assert_eq!(user["email"], person.email);
    assert_eq!(user["roles"], serde_json::json!(["customer"]));
    assert_eq!(user["profile"]["name"], "Test Person");
    assert_eq!(claims["sub"], user["id"]);
    assert_eq!(claims["roles"], serde_json::json!(["customer"]));
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert_eq!(exp - iat, 1800);
    for claim in ["sid", "jti"] {
        assert!(
            claims[claim].as_str().is_some_and(|s| !s.is_empty()),
            "claim {claim}"
        );
    }

    // The session is in the database; of its refresh token only the SHA-256
    // of the per-session seed is, never the token, the seed or its MAC (a
    // dump mints none).
    let refresh = body["refresh_token"].as_str().unwrap();
    let token = URL_SAFE_NO_PAD.decode(refresh).unwrap();
    let mut db = admin_db();
    let row = db
        .query_one(
            "SELECT s.id::text, s.user_id::text, s.refresh_seed_digest,
                    (s.expires_at - s.created_at) = interval '30 days' AS thirty_days,
                    s::text
             FROM auth.sessions s WHERE s.id = $1::text::uuid",
            &[&claims["sid"].as_str().unwrap()],
        )
        .expect("the session is stored");
    assert_eq!(row.get::<_, String>(1), user["id"].as_str().unwrap());
    assert_eq!(
        row.get::<_, Vec<u8>>(2),
        Sha256::digest(&token[24..40]).to_vec(),
        "only the seed's SHA-256"
    );
    assert!(
        row.get::<_, bool>(3),
        "absolute session lifetime is refresh_ttl_seconds"
    );
    let stored_row: String = row.get(4);
    let mac_hex: String = token[40..].iter().map(|b| format!("{b:02x}")).collect();
    assert!(
        !stored_row.contains(refresh),
        "the token itself is never stored"
    );
    assert!(!stored_row.contains(&mac_hex), "nor its MAC");
    let seed_hex: String = token[24..40].iter().map(|b| format!("{b:02x}")).collect();
    assert!(!stored_row.contains(&seed_hex), "nor its seed");
    let stored_tokens: i64 = db
        .query_one(
            "SELECT count(*) FROM auth.refresh_tokens WHERE session_id = $1::text::uuid",
            &[&claims["sid"].as_str().unwrap()],
        )
        .unwrap()
        .get(0);
    assert_eq!(stored_tokens, 0, "nothing per token is written");

    // The stored password is a bcrypt hash, never the password.
    let hash: String = db
        .query_one(
            "SELECT password_hash FROM accounts.users WHERE id = $1::text::uuid",
            &[&user["id"].as_str().unwrap()],
        )
        .unwrap()
        .get(0);
    assert!(hash.starts_with("$2b$04$"), "bcrypt at the configured cost");
}

#[test]
fn login_works_with_each_identifier_in_any_spelling() {
    let api = Api::new();
    let person = Person::new();
    assert_eq!(api.register(&person.registration()).status, 201);

    let spellings = [
        person.second_login.clone(),
        format!(" {} ", person.second_login.to_uppercase()),
        person.phone.clone(),
        person.phone_typed.clone(),
        person.email.to_uppercase(),
    ];
    let mut sessions = Vec::new();
    for login in spellings {
        let reply = api.login(&login, &person.password);
        assert_eq!(reply.status, 200, "login as {login:?}: {}", reply.text);
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        let claims = assert_token_pair(&reply.json());
        assert_eq!(claims["roles"], serde_json::json!(["customer"]));
        sessions.push(claims["sid"].as_str().unwrap().to_string());
    }
    sessions.sort();
    sessions.dedup();
    assert_eq!(sessions.len(), 5, "each login opens its own session");
}

#[test]
fn health_answers_ok() {
    let reply = Api::new().get("/api/v1/auth/health");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), serde_json::json!({"status": "ok"}));
}
