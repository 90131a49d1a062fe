//! Redis only ever refuses: whatever it loses — one key, every key, or all
//! it learned since an older snapshot it restarted from — no ended session,
//! logged-out token or deactivated user is accepted again by any protected
//! route, `/me` with a warm cache included. Each test breaks a Redis of its
//! own, behind a host of its own.

use e2e::{claims_of, free_port, sign_up, Api, OwnHost, OwnRedis, SignedIn};
use serde_json::json;

fn redis_at(port: u16) -> redis::Connection {
    redis::Client::open(format!("redis://127.0.0.1:{port}"))
        .unwrap()
        .get_connection()
        .unwrap()
}

fn session_of(token: &str) -> String {
    claims_of(token)["sid"].as_str().unwrap().to_string()
}

/// `/me` twice: the first sets the user's fence, the second caches.
fn warm(api: &Api, token: &str) {
    for _ in 0..2 {
        assert_eq!(api.me(token).status, 200);
    }
}

/// Every protected route refuses `token` with 401.
fn refused_everywhere(api: &Api, token: &str, why: &str) {
    let nobody = "00000000-0000-0000-0000-000000000000";
    let routes: Vec<(&str, String, Option<serde_json::Value>)> = vec![
        ("GET", "/api/v1/auth/me".into(), None),
        ("GET", "/api/v1/auth/sessions".into(), None),
        ("DELETE", format!("/api/v1/auth/sessions/{nobody}"), None),
        ("GET", "/api/v1/auth/roles".into(), None),
        (
            "POST",
            "/api/v1/auth/password".into(),
            Some(
                json!({"current_password": "whatever it was", "new_password": "a new passphrase 42"}),
            ),
        ),
        (
            "POST",
            "/api/v1/auth/contacts".into(),
            Some(
                json!({"type": "email", "value": "x@example.com", "current_password": "whatever it was"}),
            ),
        ),
        ("DELETE", format!("/api/v1/auth/contacts/{nobody}"), None),
        ("GET", "/api/v1/users".into(), None),
        (
            "POST",
            format!("/api/v1/users/{nobody}/roles"),
            Some(json!({"add": ["customer"]})),
        ),
        (
            "PATCH",
            format!("/api/v1/users/{nobody}"),
            Some(json!({"is_active": true})),
        ),
        ("POST", "/api/v1/auth/logout".into(), None),
    ];
    for (method, path, body) in routes {
        let reply = api.bearer(method, &path, token, body.as_ref());
        assert_eq!(
            reply.status, 401,
            "{why}: {method} {path} answered {}",
            reply.text
        );
    }
}

/// A staff member signed up through `api`, with a token.
fn staff(api: &Api) -> SignedIn {
    let admin = sign_up(api);
    e2e::set_roles(&admin.user_id, &["superadmin"]);
    admin
}

fn deactivate(api: &Api, admin: &SignedIn, user: &SignedIn) {
    let off = api.bearer(
        "PATCH",
        &format!("/api/v1/users/{}", user.user_id),
        &admin.access_token,
        Some(&json!({"is_active": false})),
    );
    assert_eq!(off.status, 200, "{}", off.text);
}

fn logout(api: &Api, token: &str) {
    assert_eq!(
        api.bearer("POST", "/api/v1/auth/logout", token, None)
            .status,
        204
    );
}

#[test]
fn deleting_the_key_of_a_revoked_session_does_not_revive_it() {
    let redis = OwnRedis::start();
    let host = OwnHost::start(&redis.variables());
    let user = sign_up(&host.api);
    let second = host
        .api
        .login(&user.person.second_login, &user.person.password);
    let other = second.json()["access_token"].as_str().unwrap().to_string();
    warm(&host.api, &user.access_token);

    let revoked = host.api.bearer(
        "DELETE",
        &format!("/api/v1/auth/sessions/{}", session_of(&user.access_token)),
        &other,
        None,
    );
    assert_eq!(revoked.status, 204);
    host.api.me(&user.access_token).problem(401);

    let mut conn = redis_at(redis.port);
    let key = format!("auth:ended-session:{}", session_of(&user.access_token));
    let deleted: i64 = redis::cmd("DEL").arg(&key).query(&mut conn).unwrap();
    assert_eq!(deleted, 1, "the revocation was recorded in Redis");
    refused_everywhere(&host.api, &user.access_token, "its key deleted");

    // Every key of the user's, one by one, then all at once.
    let keys: Vec<String> = redis::cmd("KEYS").arg("auth:*").query(&mut conn).unwrap();
    for key in &keys {
        let _: i64 = redis::cmd("DEL").arg(key).query(&mut conn).unwrap();
        assert_eq!(host.api.me(&user.access_token).status, 401, "without {key}");
    }
    refused_everywhere(&host.api, &user.access_token, "every key deleted");
    assert_eq!(
        host.api.me(&other).status,
        200,
        "the other session lives on"
    );
}

#[test]
fn a_flush_revives_no_ended_session_no_logged_out_token_and_no_deactivated_user() {
    let redis = OwnRedis::start();
    let host = OwnHost::start(&redis.variables());
    let admin = staff(&host.api);
    let out = sign_up(&host.api);
    let off = sign_up(&host.api);
    let live = sign_up(&host.api);
    for user in [&out, &off, &live] {
        warm(&host.api, &user.access_token);
    }
    logout(&host.api, &out.access_token);
    deactivate(&host.api, &admin, &off);

    let _: () = redis::cmd("FLUSHALL")
        .query(&mut redis_at(redis.port))
        .unwrap();
    refused_everywhere(&host.api, &out.access_token, "logged out, then a flush");
    refused_everywhere(&host.api, &off.access_token, "deactivated, then a flush");
    assert_eq!(host.api.me(&live.access_token).status, 200);
    assert_eq!(host.api.me(&live.access_token).status, 200);
}

#[test]
fn a_restart_from_an_older_snapshot_revives_nothing() {
    let dir = std::env::temp_dir().join(format!("auth-e2e-snapshot-{}", e2e::unique_number()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let mut redis = e2e::start_redis_saving_in(port, &dir);
    let host = OwnHost::start(&e2e::redis_variables(port));
    let admin = staff(&host.api);
    let out = sign_up(&host.api);
    let off = sign_up(&host.api);
    let live = sign_up(&host.api);
    for user in [&out, &off, &live] {
        warm(&host.api, &user.access_token);
    }
    // The snapshot holds their cached /me answers, and no end of anything.
    let _: () = redis::cmd("SAVE").query(&mut redis_at(port)).unwrap();
    logout(&host.api, &out.access_token);
    deactivate(&host.api, &admin, &off);
    host.api.me(&out.access_token).problem(401);

    // Redis dies without saving and comes back from that older snapshot.
    redis.kill().unwrap();
    redis.wait().unwrap();
    let mut redis = e2e::start_redis_saving_in(port, &dir);
    let restored: Vec<String> = redis::cmd("KEYS")
        .arg("auth:me:*")
        .query(&mut redis_at(port))
        .unwrap();
    assert!(!restored.is_empty(), "the old cached answers are back");
    refused_everywhere(&host.api, &out.access_token, "older snapshot, logged out");
    refused_everywhere(&host.api, &off.access_token, "older snapshot, deactivated");
    assert_eq!(host.api.me(&live.access_token).status, 200);
    redis.kill().unwrap();
    redis.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn keys_lost_while_a_revocation_is_in_flight_revive_nothing() {
    let redis = OwnRedis::start();
    let host = OwnHost::start(&redis.variables());
    for round in 0..8 {
        let user = sign_up(&host.api);
        warm(&host.api, &user.access_token);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        // /me keeps asking (and caching) while the session ends and Redis
        // keeps losing the user's keys.
        let asking = {
            let (base, token, stop) = (host.base.clone(), user.access_token.clone(), stop.clone());
            std::thread::spawn(move || {
                let api = Api::at(&base);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    api.me(&token);
                }
            })
        };
        let losing = {
            let (port, stop) = (redis.port, stop.clone());
            let session = session_of(&user.access_token);
            std::thread::spawn(move || {
                let mut conn = redis_at(port);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let _: i64 = redis::cmd("DEL")
                        .arg(format!("auth:ended-session:{session}"))
                        .query(&mut conn)
                        .unwrap();
                }
            })
        };
        logout(&host.api, &user.access_token);
        std::thread::sleep(std::time::Duration::from_millis(200));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        asking.join().unwrap();
        losing.join().unwrap();
        let _: i64 = redis::cmd("DEL")
            .arg(format!(
                "auth:ended-session:{}",
                session_of(&user.access_token)
            ))
            .arg(format!(
                "auth:revoked-jti:{}",
                claims_of(&user.access_token)["jti"].as_str().unwrap()
            ))
            .query(&mut redis_at(redis.port))
            .unwrap();
        for _ in 0..3 {
            assert_eq!(host.api.me(&user.access_token).status, 401, "round {round}");
        }
        refused_everywhere(&host.api, &user.access_token, "revoked while keys vanished");
    }
}

#[test]
fn a_revocation_outlasts_every_token_it_covers() {
    // A token passes until its exp and 30 s of leeway: the record of its
    // end in Redis must last that long, not only the token's lifetime. (And
    // should it go sooner, PostgreSQL refuses the token: the test above.)
    let api = Api::new();
    let user = sign_up(&api);
    logout(&api, &user.access_token);
    let claims = claims_of(&user.access_token);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let passes_for = claims["exp"].as_i64().unwrap() + 30 - now;
    let mut conn = redis::Client::open(e2e::env("AUTH_REDIS_URL"))
        .unwrap()
        .get_connection()
        .unwrap();
    for key in [
        format!("auth:ended-session:{}", session_of(&user.access_token)),
        format!("auth:revoked-jti:{}", claims["jti"].as_str().unwrap()),
    ] {
        let ttl: i64 = redis::cmd("TTL").arg(&key).query(&mut conn).unwrap();
        assert!(
            ttl >= passes_for - 3,
            "{key} lasts {ttl} s, the token passes {passes_for} s"
        );
    }
}
