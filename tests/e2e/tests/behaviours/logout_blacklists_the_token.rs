//! Logout ends the session at once: the access token is blacklisted in Redis
//! for exactly its remaining lifetime, and the refresh token dies with the
//! session. `all` ends every session of the user and nobody else's.

use e2e::{claims_of, env, sign_up, Api};
use serde_json::json;

fn redis() -> redis::Connection {
    redis::Client::open(env("AUTH_REDIS_URL"))
        .unwrap()
        .get_connection()
        .unwrap()
}

#[test]
fn logout_blacklists_the_access_token_until_it_can_no_longer_pass() {
    let api = Api::new();
    let user = sign_up(&api);
    assert_eq!(api.me(&user.access_token).status, 200);

    let reply = api.bearer("POST", "/api/v1/auth/logout", &user.access_token, None);
    assert_eq!(reply.status, 204, "{}", reply.text);
    api.me(&user.access_token).problem(401);
    api.refresh(&user.refresh_token).problem(401);

    let claims = claims_of(&user.access_token);
    let key = format!("auth:revoked-jti:{}", claims["jti"].as_str().unwrap());
    let ttl: i64 = redis::cmd("TTL").arg(&key).query(&mut redis()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    // Until the token can no longer pass: its exp and the 30 s leeway.
    let remaining = claims["exp"].as_i64().unwrap() + 30 - now;
    assert!(
        (ttl - remaining).abs() <= 3,
        "TTL {ttl} s, token passes {remaining} s more"
    );
}

#[test]
fn logout_all_ends_every_session_of_the_user_and_no_one_elses() {
    let api = Api::new();
    let user = sign_up(&api);
    let other = sign_up(&api);
    let second = api
        .login(&user.person.second_login, &user.person.password)
        .json();
    let second_access = second["access_token"].as_str().unwrap();

    let reply = api.bearer(
        "POST",
        "/api/v1/auth/logout",
        &user.access_token,
        Some(&json!({"all": true})),
    );
    assert_eq!(reply.status, 204, "{}", reply.text);
    api.me(&user.access_token).problem(401);
    api.me(second_access).problem(401);
    api.refresh(second["refresh_token"].as_str().unwrap())
        .problem(401);
    assert_eq!(
        api.me(&other.access_token).status,
        200,
        "another user is untouched"
    );
    assert_eq!(api.refresh(&other.refresh_token).status, 200);
}

#[test]
fn logout_without_a_token_is_401() {
    Api::new()
        .post_json("/api/v1/auth/logout", &json!({}))
        .problem(401);
}
