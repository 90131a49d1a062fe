//! Each client IP may register and log in only so often per window (Spin
//! variables `register_rate_limit_per_ip`, `login_rate_limit_per_ip`,
//! `rate_limit_window_seconds`): past that, 429 with `Retry-After`, while
//! other IPs go on. The client IP is the connection's, or the last
//! `X-Forwarded-For` entry when `trusted_proxy` is set — and only then.

use e2e::{OwnHost, OwnRedis, Person};
use serde_json::json;

/// A host with low limits and a Redis of its own: the shared one counts every
/// other test's requests from 127.0.0.1 too.
fn host(trusted_proxy: bool) -> (OwnHost, OwnRedis) {
    let redis = OwnRedis::start();
    let mut variables = vec![
        ("SPIN_VARIABLE_TRUSTED_PROXY", trusted_proxy.to_string()),
        ("SPIN_VARIABLE_REGISTER_RATE_LIMIT_PER_IP", "3".into()),
        ("SPIN_VARIABLE_LOGIN_RATE_LIMIT_PER_IP", "5".into()),
        ("SPIN_VARIABLE_RATE_LIMIT_WINDOW_SECONDS", "60".into()),
    ];
    variables.extend(redis.variables());
    (OwnHost::start(&variables), redis)
}

fn register_from(host: &OwnHost, ip: &str) -> e2e::Reply {
    host.api.send(
        "POST",
        "/api/v1/auth/register",
        &[("x-forwarded-for", ip)],
        Some(&Person::new().registration()),
    )
}

#[test]
fn registrations_past_the_limit_of_an_ip_are_refused() {
    let (host, _redis) = host(true);
    for _ in 0..3 {
        assert_eq!(register_from(&host, "198.51.100.20").status, 201);
    }
    let refused = register_from(&host, "198.51.100.20");
    refused.problem(429);
    let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(
        register_from(&host, "198.51.100.21").status,
        201,
        "another IP"
    );
}

#[test]
fn logins_past_the_limit_of_an_ip_are_refused_whatever_the_login() {
    let (host, _redis) = host(true);
    for i in 0..5 {
        let login =
            json!({"login": format!("someone.{i}.{}", e2e::unique_number()), "password": "guess"});
        let reply = host.api.send(
            "POST",
            "/api/v1/auth/login",
            &[("x-forwarded-for", "198.51.100.30")],
            Some(&login),
        );
        reply.problem(401);
    }
    let login = json!({"login": "someone.else", "password": "guess"});
    let reply = host.api.send(
        "POST",
        "/api/v1/auth/login",
        &[("x-forwarded-for", "198.51.100.30")],
        Some(&login),
    );
    reply.problem(429);
    assert!(reply.header("retry-after").is_some());
}

#[test]
fn forwarded_for_is_ignored_without_a_trusted_proxy() {
    // Without trusted_proxy every request here comes from 127.0.0.1, whatever
    // X-Forwarded-For claims: rotating it does not escape the limit.
    let (host, _redis) = host(false);
    for i in 0..3 {
        assert_eq!(
            register_from(&host, &format!("198.51.100.{}", 40 + i)).status,
            201
        );
    }
    register_from(&host, "198.51.100.50").problem(429);
}
