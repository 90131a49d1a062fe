//! The guard asks Redis only, and Redis hears when a session is ended, not
//! when it reaches its absolute expiry. So an access token is never issued
//! for longer than its session has left.

use e2e::{admin_db, claims_of, sign_up, Api};

#[test]
fn a_refresh_near_the_sessions_end_gets_a_shorter_access_token() {
    let api = Api::new();
    let user = sign_up(&api);
    let first = claims_of(&user.access_token);
    let full = first["exp"].as_i64().unwrap() - first["iat"].as_i64().unwrap();
    assert_eq!(full, 1800, "a young session: the configured lifetime");

    let session = first["sid"].as_str().unwrap().to_string();
    admin_db()
        .execute(
            "UPDATE auth.sessions SET expires_at = now() + interval '120 seconds' WHERE id = $1::text::uuid",
            &[&session],
        )
        .unwrap();
    let pair = api.refresh(&user.refresh_token);
    assert_eq!(pair.status, 200, "{}", pair.text);
    let pair = pair.json();
    let expires_in = pair["expires_in"].as_i64().unwrap();
    assert!((100..=120).contains(&expires_in), "expires_in {expires_in}");
    let claims = claims_of(pair["access_token"].as_str().unwrap());
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(lifetime, expires_in, "the token says what the answer says");
    assert_eq!(claims["sid"], first["sid"], "the same session");
}
