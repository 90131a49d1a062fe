//! Asking to recover an account tells nobody whether it exists (SPEC §6a;
//! issue 28): an unknown login, a login whose contacts are all unverified
//! and a known one get the same status, body and headers, in the same time
//! (the response floor), and only verified contacts are sent anything.
//! Requests are capped per login (known or not) and per client IP.

use e2e::{sign_up, Mailbox, Reply};
use serde_json::json;
use std::time::Instant;

/// What a client can compare between two answers: status, body, headers.
type Looks = (u16, String, Vec<(String, Option<String>)>);

fn looks(reply: &Reply) -> Looks {
    let headers = [
        "content-type",
        "cache-control",
        "content-length",
        "set-cookie",
        "retry-after",
        "www-authenticate",
    ]
    .iter()
    .map(|h| (h.to_string(), reply.header(h).map(str::to_string)))
    .collect();
    (reply.status, reply.text.clone(), headers)
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[samples.len() / 2]
}

#[test]
fn unknown_unverified_and_known_logins_get_the_same_answer_in_the_same_time() {
    let mailbox = Mailbox::start(
        "webhook",
        &[
            ("SPIN_VARIABLE_RECOVERY_PER_LOGIN_PER_HOUR", "1000"),
            ("SPIN_VARIABLE_EMAIL_PER_ADDRESS_PER_HOUR", "1000"),
            ("SPIN_VARIABLE_OTP_SMS_PER_PHONE_PER_HOUR", "1000"),
        ],
    );
    let known = mailbox.sign_up_verified();
    let unverified = sign_up(mailbox.api());
    let unknown = format!("nobody.{}", known.person.second_login);
    let logins = [
        ("unknown", unknown.as_str()),
        ("unverified", unverified.person.second_login.as_str()),
        ("known", known.person.second_login.as_str()),
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); logins.len()];
    let mut first: Option<Looks> = None;
    for _ in 0..9 {
        for (i, (_, login)) in logins.iter().enumerate() {
            let started = Instant::now();
            let reply = mailbox.recover(login);
            times[i].push(started.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(reply.status, 202, "{}", reply.text);
            let seen = looks(&reply);
            match &first {
                None => first = Some(seen),
                Some(first) => assert_eq!(&seen, first, "{login} answers like the others"),
            }
        }
    }
    let medians: Vec<f64> = times.into_iter().map(median).collect();
    println!(
        "recovery request medians (ms): unknown {:.1}, unverified {:.1}, known {:.1}",
        medians[0], medians[1], medians[2]
    );
    let (low, high) = medians
        .iter()
        .fold((f64::MAX, 0.0f64), |(l, h), m| (l.min(*m), h.max(*m)));
    assert!(
        high <= low * 1.15,
        "medians within 15 % of each other: {medians:?}"
    );
    // Nothing went to the unverified account's phone or email, and the
    // known account's verified ones were sent a code and a link each time.
    assert_eq!(mailbox.recovery_codes_to(&unverified.person.phone), 0);
    assert_eq!(
        mailbox
            .mail
            .emails_to(&unverified.person.email)
            .iter()
            .filter(|m| m.email_text().is_some_and(|t| t.contains("reset-password")))
            .count(),
        0
    );
    assert_eq!(mailbox.recovery_codes_to(&known.person.phone), 9);
    assert!(mailbox
        .mail
        .link_for(&known.person.email, "reset-password")
        .is_some());
}

#[test]
fn requests_are_capped_per_login_known_or_not() {
    let mailbox = Mailbox::start(
        "webhook",
        &[("SPIN_VARIABLE_RECOVERY_PER_LOGIN_PER_HOUR", "3")],
    );
    let known = mailbox.sign_up_verified();
    let unknown = format!("nobody.{}", known.person.second_login);
    for login in [known.person.second_login.as_str(), unknown.as_str()] {
        for _ in 0..3 {
            assert_eq!(mailbox.recover(login).status, 202);
        }
        let capped = mailbox.recover(login);
        let problem = capped.problem(429);
        assert_eq!(problem["status"], 429);
        assert!(capped.header("retry-after").is_some(), "{login}");
    }
    assert_eq!(
        mailbox.recovery_codes_to(&known.person.phone),
        3,
        "counted before anything was sent"
    );
}

#[test]
fn a_recovery_request_is_a_clear_problem_when_malformed() {
    let mailbox = Mailbox::start("webhook", &[]);
    let missing = mailbox
        .api()
        .post_json("/api/v1/auth/recovery", &json!({"email": "x@example.com"}));
    assert_eq!(missing.problem(422)["errors"][0]["field"], "login");
    let bad_code = mailbox.complete(&json!({
        "phone": "+79991234567", "code": "12ab56", "new_password": "whatever it is",
    }));
    assert_eq!(bad_code.problem(422)["errors"][0]["field"], "code");
}

#[test]
fn requests_that_send_nothing_use_up_no_messages_of_the_account() {
    // Two SMS per phone in an hour, and a resend delay: a stranger asking
    // again and again inside the delay sends one code and keeps the owner
    // from none.
    let mailbox = Mailbox::start(
        "webhook",
        &[
            ("SPIN_VARIABLE_OTP_SMS_PER_PHONE_PER_HOUR", "2"),
            ("SPIN_VARIABLE_OTP_RESEND_SECONDS", "60"),
        ],
    );
    let user = mailbox.sign_up_verified();
    for _ in 0..4 {
        assert_eq!(mailbox.recover(&user.person.second_login).status, 202);
    }
    assert_eq!(mailbox.recovery_codes_to(&user.person.phone), 1);
    e2e::admin_db()
        .execute(
            "UPDATE auth.otp_codes SET created_at = now() - interval '2 minutes'
             WHERE user_id = $1::text::uuid AND purpose = 'recover'",
            &[&user.user_id],
        )
        .unwrap();
    assert_eq!(mailbox.recover(&user.person.second_login).status, 202);
    assert_eq!(
        mailbox.recovery_codes_to(&user.person.phone),
        2,
        "the second of the hour still went out"
    );
}
