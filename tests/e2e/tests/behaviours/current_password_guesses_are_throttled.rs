//! Checking a current password through an access token (changing the
//! password, adding a contact) is counted in the same lockout as login, so a
//! stolen token is no faster a password oracle than the login form, and
//! every guess past the lock costs no bcrypt. Creating users is bounded per
//! caller too. Each test has a Redis and host of its own.

use e2e::{sign_up, OwnHost, OwnRedis, Person};
use serde_json::json;

fn host(variables: &[(&str, &str)]) -> (OwnHost, OwnRedis) {
    let redis = OwnRedis::start();
    let mut all: Vec<(&str, String)> = variables.iter().map(|(k, v)| (*k, v.to_string())).collect();
    all.extend(redis.variables());
    (OwnHost::start(&all), redis)
}

#[test]
fn a_hundred_wrong_current_passwords_reach_bcrypt_at_most_fifteen_times() {
    let (host, _redis) = host(&[("SPIN_VARIABLE_LOGIN_MAX_FAILURES", "15")]);
    let user = sign_up(&host.api);
    let (mut checked, mut refused) = (0, 0);
    for i in 0..100 {
        let (path, body) = if i % 2 == 0 {
            (
                "/api/v1/auth/password",
                json!({"current_password": format!("wrong guess {i}"), "new_password": "a new passphrase 42"}),
            )
        } else {
            (
                "/api/v1/auth/contacts",
                json!({"type": "email", "value": format!("g{i}@example.com"), "current_password": format!("wrong guess {i}")}),
            )
        };
        let reply = host
            .api
            .bearer("POST", path, &user.access_token, Some(&body));
        match reply.status {
            422 => checked += 1,
            429 => {
                refused += 1;
                let wait: u64 = reply.header("retry-after").unwrap().parse().unwrap();
                assert!((1..=300).contains(&wait), "{wait}");
            }
            other => panic!("guess {i} answered {other}: {}", reply.text),
        }
    }
    assert!(checked <= 15, "{checked} guesses reached bcrypt");
    assert_eq!(checked + refused, 100);
    // The same lock as login's: the right password is refused too, there
    // and at the login form, from this address.
    let right =
        json!({"current_password": user.person.password, "new_password": "a new passphrase 42"});
    host.api
        .bearer(
            "POST",
            "/api/v1/auth/password",
            &user.access_token,
            Some(&right),
        )
        .problem(429);
    host.api
        .login(&user.person.second_login, &user.person.password)
        .problem(429);
}

#[test]
fn failed_logins_lock_the_current_password_check_too() {
    let (host, _redis) = host(&[("SPIN_VARIABLE_LOGIN_MAX_FAILURES", "3")]);
    let user = sign_up(&host.api);
    for _ in 0..3 {
        host.api
            .login(&user.person.phone, "not the password")
            .problem(401);
    }
    let right =
        json!({"current_password": user.person.password, "new_password": "a new passphrase 42"});
    host.api
        .bearer(
            "POST",
            "/api/v1/auth/password",
            &user.access_token,
            Some(&right),
        )
        .problem(429);
}

#[test]
fn a_right_current_password_is_forgiven_like_a_login() {
    let (host, _redis) = host(&[("SPIN_VARIABLE_LOGIN_MAX_FAILURES", "3")]);
    let user = sign_up(&host.api);
    for round in 0..3 {
        let wrong = json!({"current_password": "wrong", "new_password": "a new passphrase 42"});
        let reply = host.api.bearer(
            "POST",
            "/api/v1/auth/password",
            &user.access_token,
            Some(&wrong),
        );
        assert_eq!(reply.status, 422, "round {round}");
        let email = format!("r{round}.{}@example.com", e2e::unique_number());
        let add =
            json!({"type": "email", "value": email, "current_password": user.person.password});
        let added = host.api.bearer(
            "POST",
            "/api/v1/auth/contacts",
            &user.access_token,
            Some(&add),
        );
        assert_eq!(added.status, 201, "round {round}: {}", added.text);
    }
}

#[test]
fn one_caller_creates_a_bounded_number_of_users() {
    let (host, _redis) = host(&[("SPIN_VARIABLE_CREATE_USER_RATE_LIMIT_PER_CALLER", "3")]);
    let admin = sign_up(&host.api);
    e2e::set_roles(&admin.user_id, &["superadmin"]);
    let create = |person: &Person| {
        let mut body = person.registration();
        body.as_object_mut().unwrap().remove("interface");
        host.api
            .bearer("POST", "/api/v1/users", &admin.access_token, Some(&body))
    };
    for _ in 0..3 {
        let made = create(&Person::new());
        assert_eq!(made.status, 201, "{}", made.text);
    }
    let refused = create(&Person::new());
    refused.problem(429);
    assert!(refused.header("retry-after").is_some());
}
