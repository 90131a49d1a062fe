//! The component writes one JSON line per request (time, request id,
//! method, route template, status, duration, user id when signed in) and
//! one per security event, on stdout, where Spin keeps them in its log
//! directory. Neither kind holds a secret, and an unknown path is not
//! copied into the log. A failure on our side writes one `error` line: its
//! site, its cause and the request id the client was given. A host (and Redis) of its own, to read its log.

use e2e::{sign_up, OwnHost, OwnRedis};
use serde_json::{json, Value};

/// The JSON lines of the component's standard output.
fn json_lines(host: &OwnHost) -> Vec<Value> {
    std::fs::read_to_string(host.component_log_path("stdout"))
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["time"].is_string())
        .collect()
}

/// The lines of `kind` matching `wanted`, waiting a little for the log
/// file (Spin writes the component's output as it comes).
fn lines_where(host: &OwnHost, wanted: impl Fn(&Value) -> bool) -> Vec<Value> {
    for _ in 0..50 {
        let found: Vec<Value> = json_lines(host).into_iter().filter(|l| wanted(l)).collect();
        if !found.is_empty() {
            return found;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    vec![]
}

#[test]
fn every_request_leaves_one_line_with_its_route_status_and_caller() {
    let redis = OwnRedis::start();
    let host = OwnHost::start(&redis.variables());
    let user = sign_up(&host.api);
    let bearer = format!("Bearer {}", user.access_token);
    let reply = host.api.send(
        "GET",
        "/api/v1/auth/me",
        &[("authorization", &bearer), ("x-request-id", "e2e-me-1")],
        None,
    );
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("x-request-id"),
        Some("e2e-me-1"),
        "the id comes back"
    );

    let lines = lines_where(&host, |l| l["request_id"] == "e2e-me-1");
    assert_eq!(lines.len(), 1, "one line per request");
    let line = &lines[0];
    assert_eq!(line["kind"], "request");
    assert_eq!(line["method"], "GET");
    assert_eq!(line["route"], "/auth/me");
    assert_eq!(line["status"], 200);
    assert_eq!(line["user_id"], json!(user.user_id));
    assert!(
        line["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
        "{line}"
    );
    assert!(line["time"].as_str().unwrap().ends_with('Z'), "{line}");

    // A request without a usable id gets one of its own; an unknown path
    // is logged without its path, an anonymous one without a user.
    let odd_path = format!("/api/v1/users/{}/whatever-secret-here", user.user_id);
    let reply = host.api.send(
        "GET",
        &odd_path,
        &[("x-request-id", "not ok: spaces")],
        None,
    );
    assert_eq!(reply.status, 404);
    let id = reply.header("x-request-id").expect("an id").to_string();
    assert!(
        id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    let lines = lines_where(&host, |l| l["request_id"] == id.as_str());
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["route"], Value::Null);
    assert_eq!(lines[0]["user_id"], Value::Null);
    assert_eq!(lines[0]["status"], 404);
    assert!(!host.log().contains("whatever-secret-here"));
}

#[test]
fn security_events_name_who_and_what_but_no_secret() {
    let redis = OwnRedis::start();
    let mut variables = redis.variables().to_vec();
    variables.push(("SPIN_VARIABLE_LOGIN_MAX_FAILURES", "3".to_string()));
    // No email in development mode, which writes each email (its address,
    // here the login's look-alike) to the log on purpose.
    variables.push(("SPIN_VARIABLE_EMAIL_GATEWAY", String::new()));
    let host = OwnHost::start(&variables);
    let user = sign_up(&host.api);

    // Password changed: the other sessions end.
    let changed = host.api.bearer(
        "POST",
        "/api/v1/auth/password",
        &user.access_token,
        Some(&json!({"current_password": user.person.password, "new_password": "a brand new passphrase"})),
    );
    assert_eq!(changed.status, 204, "{}", changed.text);
    let event = lines_where(&host, |l| l["event"] == "password_changed");
    assert_eq!(event.len(), 1);
    assert_eq!(event[0]["kind"], "security");
    assert_eq!(event[0]["user_id"], json!(user.user_id));

    // Logged out everywhere.
    let pair = host
        .api
        .login(&user.person.second_login, "a brand new passphrase");
    assert_eq!(pair.status, 200, "{}", pair.shown());
    let access = pair.json()["access_token"].as_str().unwrap().to_string();
    let out = host.api.bearer(
        "POST",
        "/api/v1/auth/logout",
        &access,
        Some(&json!({"all": true})),
    );
    assert_eq!(out.status, 204);
    let event = lines_where(&host, |l| l["event"] == "logout_all");
    assert_eq!(event[0]["user_id"], json!(user.user_id));

    // Locked out: the counters name the login only as a hash.
    let mut last = 0;
    for _ in 0..5 {
        last = host
            .api
            .login(&user.person.second_login, "wrong password!")
            .status;
    }
    assert_eq!(last, 429);
    let throttled = lines_where(&host, |l| l["event"] == "throttled");
    assert!(!throttled.is_empty());
    assert!(throttled[0]["retry_after_seconds"].as_u64().unwrap() > 0);
    let counters = throttled[0]["counters"].to_string();
    assert!(counters.contains("login-pair:"), "{counters}");

    let log = host.log();
    for secret in [
        user.person.password.as_str(),
        "a brand new passphrase",
        "wrong password!",
        user.access_token.as_str(),
        user.refresh_token.as_str(),
        access.as_str(),
        user.person.second_login.as_str(),
    ] {
        assert!(!log.contains(secret), "the log holds a secret or a login");
    }
}

#[test]
fn an_internal_error_is_logged_once_with_where_why_and_the_request_id() {
    // A database whose functions the service may no longer run: every call
    // fails with SQLSTATE 42501, a failure on our side (500).
    let (owner, service) = e2e::fresh_database("internal_error_logged");
    let host = OwnHost::start(&[("SPIN_VARIABLE_DB_URL", service)]);
    let mut db = postgres::Client::connect(&owner, postgres::NoTls).unwrap();
    db.batch_execute("REVOKE USAGE ON SCHEMA auth FROM auth_service")
        .unwrap();
    let person = e2e::Person::new();
    let reply = host.api.send(
        "POST",
        "/api/v1/auth/register",
        &[
            ("content-type", "application/json"),
            ("x-request-id", "internal-error-test-1"),
        ],
        Some(&person.registration()),
    );
    let problem = reply.problem(500);
    assert!(
        !problem.to_string().contains("SQLSTATE") && !problem.to_string().contains("auth."),
        "the answer names no internals: {problem}"
    );
    // The registration's rate limit needs Redis and gets it; only the
    // database fails. Wait for the request's own line, then count.
    lines_where(&host, |l| {
        l["request_id"] == "internal-error-test-1" && l["kind"] == "request"
    });
    let errors = lines_where(&host, |l| l["kind"] == "error");
    assert_eq!(errors.len(), 1, "logged once: {errors:?}");
    let line = &errors[0];
    println!("the error line: {line}");
    assert_eq!(line["request_id"], "internal-error-test-1");
    assert_eq!(line["status"], 500);
    assert_eq!(line["site"], "store");
    let cause = line["cause"].as_str().unwrap();
    assert!(cause.contains("SQLSTATE 42501"), "{cause}");
    let log = host.log();
    for secret in [&person.password, &person.phone, &person.second_login] {
        assert!(!log.contains(secret.as_str()), "the log holds a secret");
    }
}
