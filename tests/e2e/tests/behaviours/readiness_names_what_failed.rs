//! `GET /auth/ready` checks what the service needs — its configuration,
//! PostgreSQL and Redis — and answers 200, or 503 naming what failed, without
//! an address or a secret. It recovers by itself when the dependency does.

use e2e::{env, eventually, OwnHost, OwnRedis, Reply, Switch};
use serde_json::json;

const READY: &str = "/api/v1/auth/ready";

fn assert_names_nothing_secret(reply: &Reply) {
    for secret in ["127.0.0.1", "postgres://", "redis://", "auth_service"] {
        assert!(!reply.text.contains(secret), "{secret} in {}", reply.text);
    }
}

#[test]
fn ready_when_everything_answers() {
    let reply = e2e::Api::new().get(READY);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.json(),
        json!({"status": "ready", "checks": {"configuration": "ok", "postgresql": "ok", "redis": "ok"}})
    );
}

#[test]
fn postgresql_stopped_is_named_and_recovered_from() {
    let service_url = env("AUTH_DB_SERVICE_URL");
    let port: u16 = service_url
        .split('@')
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let switch = Switch::to(port);
    let host = OwnHost::start(&[
        (
            "SPIN_VARIABLE_DB_URL",
            service_url.replace(&format!(":{port}/"), &format!(":{}/", switch.port)),
        ),
        (
            "SPIN_VARIABLE_DB_HOST",
            format!("127.0.0.1:{}", switch.port),
        ),
    ]);
    assert_eq!(host.api.get(READY).status, 200);
    switch.cut();
    let reply = host.api.get(READY);
    assert_eq!(reply.status, 503, "{}", reply.text);
    assert_eq!(reply.json()["checks"]["postgresql"], "unavailable");
    assert_eq!(reply.json()["checks"]["redis"], "ok");
    assert_names_nothing_secret(&reply);
    switch.restore();
    let back = eventually(10, || host.api.get(READY), |r| r.status == 200);
    assert_eq!(back.status, 200, "{}", back.text);
}

#[test]
fn redis_stopped_is_named() {
    let redis = OwnRedis::start();
    let host = OwnHost::start(&redis.variables());
    assert_eq!(host.api.get(READY).status, 200);
    drop(redis);
    let reply = host.api.get(READY);
    assert_eq!(reply.status, 503, "{}", reply.text);
    assert_eq!(reply.json()["checks"]["redis"], "unavailable");
    assert_eq!(reply.json()["checks"]["postgresql"], "ok");
    assert_names_nothing_secret(&reply);
}

#[test]
fn a_bad_variable_is_named() {
    let host = OwnHost::start_with(&[], &[("bcrypt_cost", "twelve")]);
    let reply = host.api.get(READY);
    assert_eq!(reply.status, 503, "{}", reply.text);
    assert!(reply.json()["checks"]["configuration"]
        .as_str()
        .unwrap()
        .contains("bcrypt_cost"));
}
