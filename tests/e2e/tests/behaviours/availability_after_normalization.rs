//! `GET /auth/availability?second_login=|phone=|email=` tells a sign-up form
//! whether a value is free, after the same normalization as registration —
//! and is rate-limited per client IP like login, so it is no cheaper an
//! enumeration oracle than registering.

use e2e::{sign_up, Api, OwnHost, OwnRedis};

fn available(api: &Api, kind: &str, value: &str) -> bool {
    let query: String = url_encode(value);
    let reply = api.get(&format!("/api/v1/auth/availability?{kind}={query}"));
    assert_eq!(reply.status, 200, "{kind}={value}: {}", reply.text);
    reply.json()["available"].as_bool().unwrap()
}

fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The full-width spelling of an ASCII login (NFKC folds it back).
fn full_width(login: &str) -> String {
    login
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '.' | '-' | '_' => char::from_u32(c as u32 + 0xFEE0).unwrap(),
            c => c,
        })
        .collect()
}

#[test]
fn taken_values_are_taken_in_every_spelling() {
    let api = Api::new();
    let user = sign_up(&api);
    let p = &user.person;
    for login in [
        p.second_login.clone(),
        p.second_login.to_uppercase(),
        full_width(&p.second_login),
    ] {
        assert!(!available(&api, "second_login", &login), "{login}");
    }
    let digits = &p.phone[2..];
    for phone in [
        p.phone.clone(),
        p.phone_typed.clone(),
        format!(
            "+7 {} {}-{}-{}",
            &digits[..3],
            &digits[3..6],
            &digits[6..8],
            &digits[8..]
        ),
    ] {
        assert!(!available(&api, "phone", &phone), "{phone}");
    }
    assert!(!available(&api, "email", &p.email.to_uppercase()));

    let free = e2e::Person::new();
    assert!(available(&api, "second_login", &free.second_login));
    assert!(available(&api, "phone", &free.phone_typed));
    assert!(available(&api, "email", &free.email));
}

#[test]
fn a_bad_question_is_a_clear_422() {
    let api = Api::new();
    api.get("/api/v1/auth/availability").problem(422);
    api.get("/api/v1/auth/availability?phone=123&email=a%40b.example")
        .problem(422);
    let problem = api
        .get("/api/v1/auth/availability?phone=not-a-phone")
        .problem(422);
    assert_eq!(problem["errors"][0]["field"], "phone");
}

#[test]
fn asking_is_rate_limited_per_client_ip() {
    let redis = OwnRedis::start();
    let mut variables = vec![(
        "SPIN_VARIABLE_AVAILABILITY_RATE_LIMIT_PER_IP",
        "3".to_string(),
    )];
    variables.extend(redis.variables());
    let host = OwnHost::start(&variables);
    for i in 0..3 {
        assert!(available(
            &host.api,
            "second_login",
            &format!("free.login.{i}")
        ));
    }
    let refused = host
        .api
        .get("/api/v1/auth/availability?second_login=one.more");
    refused.problem(429);
    assert!(refused.header("retry-after").is_some());
}
