//! Every session that ends is recorded in Redis before its end commits, so
//! the guard refuses it without PostgreSQL; Redis never vouches for a
//! session by the absence of a key, so losing what it holds cannot revive
//! one. These tests break Redis at the worst moments, on a Redis and host of
//! their own.

use e2e::{claims_of, sign_up, start_redis, Api, OwnHost, OwnRedis};

fn redis_at(port: u16) -> redis::Connection {
    redis::Client::open(format!("redis://127.0.0.1:{port}"))
        .unwrap()
        .get_connection()
        .unwrap()
}

/// Redis keeps answering reads but refuses every write (as it does when it
/// cannot reach the replicas it must write to), or takes them again.
fn refuse_writes(port: u16, refuse: bool) {
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("min-replicas-to-write")
        .arg(if refuse { "1" } else { "0" })
        .query(&mut redis_at(port))
        .unwrap();
}

fn logout(api: &Api, token: &str, all: bool) -> u16 {
    api.bearer(
        "POST",
        "/api/v1/auth/logout",
        token,
        Some(&serde_json::json!({ "all": all })),
    )
    .status
}

#[test]
fn a_logout_that_cannot_reach_redis_ends_nothing_and_can_be_retried() {
    let redis = OwnRedis::start();
    let host = OwnHost::start(&redis.variables());
    let user = sign_up(&host.api);
    assert_eq!(host.api.me(&user.access_token).status, 200);

    // The guard's check (a read) passes; writing the end of the session
    // (the moment between the database's work and its commit) fails.
    refuse_writes(redis.port, true);
    let problem = host
        .api
        .bearer("POST", "/api/v1/auth/logout", &user.access_token, None)
        .problem(503);
    assert!(problem["detail"].as_str().unwrap().contains("redis"));
    // Nothing was committed: the session goes on, by token and by refresh.
    assert_eq!(host.api.me(&user.access_token).status, 200);
    let sessions = host
        .api
        .bearer("GET", "/api/v1/auth/sessions", &user.access_token, None);
    assert_eq!(sessions.status, 200);
    assert_eq!(sessions.json()["sessions"].as_array().unwrap().len(), 1);

    refuse_writes(redis.port, false);
    assert_eq!(
        logout(&host.api, &user.access_token, false),
        204,
        "the retry"
    );
    host.api.me(&user.access_token).problem(401);
    assert_eq!(host.api.refresh(&user.refresh_token).status, 401);
}

#[test]
fn a_password_change_that_cannot_reach_redis_changes_nothing() {
    let redis = OwnRedis::start();
    let host = OwnHost::start(&redis.variables());
    let user = sign_up(&host.api);
    let other = host
        .api
        .login(&user.person.second_login, &user.person.password);
    let other_token = other.json()["access_token"].as_str().unwrap().to_string();
    assert_eq!(host.api.me(&other_token).status, 200);

    refuse_writes(redis.port, true);
    let change = serde_json::json!({
        "current_password": user.person.password,
        "new_password": "a brand new passphrase 7",
    });
    host.api
        .bearer(
            "POST",
            "/api/v1/auth/password",
            &user.access_token,
            Some(&change),
        )
        .problem(503);
    refuse_writes(redis.port, false);
    // The old password still works and the other session lives on.
    assert_eq!(host.api.me(&other_token).status, 200);
    assert_eq!(
        host.api
            .login(&user.person.second_login, &user.person.password)
            .status,
        200
    );

    let changed = host.api.bearer(
        "POST",
        "/api/v1/auth/password",
        &user.access_token,
        Some(&change),
    );
    assert_eq!(changed.status, 204, "{}", changed.text);
    host.api.me(&other_token).problem(401);
    assert_eq!(
        host.api.me(&user.access_token).status,
        200,
        "the caller's own session stays"
    );
}

#[test]
fn a_replay_that_cannot_reach_redis_ends_nothing_until_it_is_found_again() {
    let redis = OwnRedis::start();
    let host = OwnHost::start(&redis.variables());
    let user = sign_up(&host.api);
    assert_eq!(host.api.me(&user.access_token).status, 200);
    let rotated = host.api.refresh(&user.refresh_token);
    assert_eq!(rotated.status, 200);
    let successor = rotated.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    std::thread::sleep(std::time::Duration::from_secs(3)); // past the reuse grace

    // The replay is found, but Redis cannot be told the session ends: 503,
    // and the session is not ended anywhere (a retry finds the replay again).
    refuse_writes(redis.port, true);
    host.api.refresh(&user.refresh_token).problem(503);
    assert_eq!(host.api.me(&user.access_token).status, 200);
    let sessions = host
        .api
        .bearer("GET", "/api/v1/auth/sessions", &user.access_token, None);
    assert_eq!(sessions.json()["sessions"].as_array().unwrap().len(), 1);
    // The replay was marked in PostgreSQL: the successor does not rotate
    // either, it reports the replay again.
    host.api.refresh(&successor).problem(503);

    refuse_writes(redis.port, false);
    host.api.refresh(&user.refresh_token).problem(401);
    host.api.me(&user.access_token).problem(401);
    host.api.refresh(&successor).problem(401);
}

#[test]
fn sessions_ended_before_redis_lost_its_data_stay_ended() {
    let port = e2e::free_port();
    let mut redis = start_redis(port);
    let host = OwnHost::start(&e2e::redis_variables(port));
    let gone = sign_up(&host.api);
    let replayed = sign_up(&host.api);
    let staying = sign_up(&host.api);

    // Three ways a session ends: logout, logout of all sessions, and a
    // replayed refresh token.
    assert_eq!(logout(&host.api, &gone.access_token, false), 204);
    let second = host
        .api
        .login(&staying.person.second_login, &staying.person.password);
    let second_token = second.json()["access_token"].as_str().unwrap().to_string();
    assert_eq!(logout(&host.api, &second_token, true), 204);
    let staying = {
        let again = host
            .api
            .login(&staying.person.second_login, &staying.person.password);
        again.json()["access_token"].as_str().unwrap().to_string()
    };
    assert_eq!(host.api.refresh(&replayed.refresh_token).status, 200);
    std::thread::sleep(std::time::Duration::from_secs(3)); // past the reuse grace
    assert_eq!(host.api.refresh(&replayed.refresh_token).status, 401);

    // Each end is in Redis, for at most one access-token lifetime.
    let mut conn = redis_at(port);
    for token in [&gone.access_token, &second_token, &replayed.access_token] {
        let key = format!(
            "auth:ended-session:{}",
            claims_of(token)["sid"].as_str().unwrap()
        );
        let ttl: i64 = redis::cmd("TTL").arg(&key).query(&mut conn).unwrap();
        // One access-token lifetime and the leeway of its expiry check.
        assert!((1..=1830).contains(&ttl), "{key} has TTL {ttl}");
    }

    // Redis restarts empty: nothing there refuses them any more, and
    // PostgreSQL does.
    redis.kill().unwrap();
    redis.wait().unwrap();
    let mut redis = start_redis(port);
    for token in [&gone.access_token, &second_token, &replayed.access_token] {
        host.api.me(token).problem(401);
    }
    assert_eq!(host.api.me(&staying).status, 200);
    redis.kill().unwrap();
    redis.wait().unwrap();
}

#[test]
fn the_guard_decides_from_redis_alone() {
    let api = Api::new();
    let ended = sign_up(&api);
    let live = sign_up(&api);
    // The first /me sets the user's fence, the second caches the answer.
    assert_eq!(api.me(&live.access_token).status, 200);
    assert_eq!(api.me(&live.access_token).status, 200);
    assert_eq!(logout(&api, &ended.access_token, false), 204);

    // The same Redis and keys, but no database at all.
    let dead = e2e::free_port();
    let host = OwnHost::start(&[
        (
            "SPIN_VARIABLE_DB_URL",
            format!("postgres://auth_service:x@127.0.0.1:{dead}/auth?sslmode=disable"),
        ),
        ("SPIN_VARIABLE_DB_HOST", format!("127.0.0.1:{dead}")),
    ]);
    // The ended session is refused by the guard, from Redis...
    host.api.me(&ended.access_token).problem(401);
    // ...while a live one passes it: /me answers from Redis alone (cached
    // by the call above), and what needs the database says so.
    assert_eq!(host.api.me(&live.access_token).status, 200);
    let problem = host
        .api
        .bearer("GET", "/api/v1/auth/sessions", &live.access_token, None)
        .problem(503);
    assert!(problem["detail"].as_str().unwrap().contains("database"));
}
