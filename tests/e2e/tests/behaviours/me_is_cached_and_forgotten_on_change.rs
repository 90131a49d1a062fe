//! `/me` is answered from Redis once cached (read in the guard's own round
//! trip, so it needs no PostgreSQL), per session, for at most a minute, and
//! every change made through the API shows at once.

use e2e::{claims_of, env, sign_up, Api};
use serde_json::{json, Value};

/// The TTL of the cached `/me` of the session `token` belongs to.
fn cached_me_ttl(token: &str) -> i64 {
    let session_id = claims_of(token)["sid"].as_str().unwrap().to_string();
    let mut redis = redis::Client::open(env("AUTH_REDIS_URL"))
        .unwrap()
        .get_connection()
        .unwrap();
    redis::cmd("TTL")
        .arg(format!("auth:me:{session_id}"))
        .query(&mut redis)
        .unwrap()
}

fn emails(me: &Value) -> Vec<String> {
    me["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "email")
        .map(|c| c["value"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_contact_change_shows_in_me_at_once() {
    let api = Api::new();
    let user = sign_up(&api);
    assert_eq!(
        cached_me_ttl(&user.access_token),
        -2,
        "nothing cached before /me"
    );
    // The first /me of a user sets their fence; the next caches under it.
    let first = api.me(&user.access_token).json();
    assert_eq!(api.me(&user.access_token).json(), first);
    let ttl = cached_me_ttl(&user.access_token);
    assert!(
        (1..=60).contains(&ttl),
        "cached for at most a minute: {ttl}"
    );
    assert_eq!(
        api.me(&user.access_token).json(),
        first,
        "the cached answer is the same"
    );

    let email = format!("cached.{}@example.com", e2e::unique_number());
    let added = api.bearer(
        "POST",
        "/api/v1/auth/contacts",
        &user.access_token,
        Some(&json!({"type": "email", "value": email, "current_password": user.person.password})),
    );
    assert_eq!(added.status, 201, "{}", added.text);
    let now = emails(&api.me(&user.access_token).json());
    assert!(now.contains(&email), "{now:?}");
    assert_eq!(now.len(), emails(&first).len() + 1);

    let id = added.json()["contact"]["id"].as_str().unwrap().to_string();
    let removed = api.bearer(
        "DELETE",
        &format!("/api/v1/auth/contacts/{id}"),
        &user.access_token,
        None,
    );
    assert_eq!(removed.status, 204, "{}", removed.text);
    assert_eq!(emails(&api.me(&user.access_token).json()), emails(&first));
}

#[test]
fn a_cached_me_does_not_outlive_the_session() {
    let api = Api::new();
    let user = sign_up(&api);
    assert_eq!(api.me(&user.access_token).status, 200);
    assert_eq!(api.me(&user.access_token).status, 200);
    assert!(cached_me_ttl(&user.access_token) > 0);
    let out = api.bearer("POST", "/api/v1/auth/logout", &user.access_token, None);
    assert_eq!(out.status, 204);
    api.me(&user.access_token).problem(401);
}
