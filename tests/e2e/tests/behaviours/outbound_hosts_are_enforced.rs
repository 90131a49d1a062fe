//! The component reaches only the hosts `allowed_outbound_hosts` lists (built
//! from the `db_host`, `redis_host` and `sms_gateway_origin` variables). A database or Redis URL
//! pointing anywhere else is refused by the host, which the service answers
//! with 503 naming the dependency — and nothing is written.

use e2e::{admin_db, env, free_port, sign_up, Api, FakeGateway, OwnHost, Person};

#[test]
fn a_database_outside_the_allowed_hosts_is_refused() {
    // The URL is the real database; only the allowed host differs.
    let host = OwnHost::start(&[(
        "SPIN_VARIABLE_DB_HOST",
        format!("127.0.0.1:{}", free_port()),
    )]);
    let person = Person::new();
    let problem = host.api.register(&person.registration()).problem(503);
    assert!(
        problem["detail"].as_str().unwrap().contains("database"),
        "{problem}"
    );
    let stored: i64 = admin_db()
        .query_one(
            "SELECT count(*) FROM accounts.contacts WHERE value = $1",
            &[&person.second_login],
        )
        .unwrap()
        .get(0);
    assert_eq!(stored, 0);
}

#[test]
fn a_redis_outside_the_allowed_hosts_is_refused() {
    let user = sign_up(&Api::new());
    let redis_port = env("AUTH_REDIS_URL")
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let elsewhere = free_port();
    assert_ne!(redis_port, elsewhere.to_string());
    let host = OwnHost::start(&[("SPIN_VARIABLE_REDIS_HOST", format!("127.0.0.1:{elsewhere}"))]);
    let problem = host.api.me(&user.access_token).problem(503);
    assert!(
        problem["detail"].as_str().unwrap().contains("redis"),
        "{problem}"
    );
}

#[test]
fn an_sms_gateway_outside_the_allowed_hosts_is_refused() {
    let gateway = FakeGateway::start("webhook");
    let mut settings = gateway.variables();
    // The gateway's URL stays; only the allowed origin differs.
    settings.retain(|(name, _)| *name != "SPIN_VARIABLE_SMS_GATEWAY_ORIGIN");
    settings.push((
        "SPIN_VARIABLE_SMS_GATEWAY_ORIGIN",
        format!("http://127.0.0.1:{}", free_port()),
    ));
    let host = OwnHost::start(&settings);
    // A phone nobody holds: a register code goes out to it.
    let phone = e2e::Person::new().phone;
    let reply = host.api.post_json(
        "/api/v1/auth/otp/request",
        &serde_json::json!({"phone": phone, "purpose": "register"}),
    );
    let problem = reply.problem(503);
    assert!(
        problem["detail"].as_str().unwrap().contains("sms gateway"),
        "{problem}"
    );
    assert!(gateway.received().is_empty(), "the host let it through");
}
