//! A forgotten password is not the end (SPEC §6a; issue 28 item 3). Before:
//! a user who forgot their password had no way back. Now `POST
//! /auth/recovery {login}` sends a `recover` code to the account's verified
//! phone and a link to each verified email; `POST /auth/recovery/complete`
//! with either sets the password, ends every session, clears the login's
//! lockout, writes `password.reset` and tells the other channels.

use e2e::{admin_db, Mailbox, SignedIn};
use serde_json::{json, Value};
use std::time::Instant;

const NEW_PASSWORD: &str = "a brand new passphrase";

/// A second session of `user`, beside the registration's: (access, refresh).
fn second_session(mailbox: &Mailbox, user: &SignedIn) -> (String, String) {
    let login = mailbox
        .api()
        .login(&user.person.second_login, &user.person.password);
    assert_eq!(login.status, 200, "{}", login.text);
    let body = login.json();
    (
        body["access_token"].as_str().unwrap().to_string(),
        body["refresh_token"].as_str().unwrap().to_string(),
    )
}

/// Every earlier session is over and only the new password signs in.
fn everything_before_is_over(mailbox: &Mailbox, user: &SignedIn, second: &(String, String)) {
    for access in [&user.access_token, &second.0] {
        assert_eq!(
            mailbox.api().me(access).status,
            401,
            "an earlier access token"
        );
    }
    for refresh in [&user.refresh_token, &second.1] {
        assert_eq!(
            mailbox.api().refresh(refresh).status,
            401,
            "an earlier refresh token"
        );
    }
    let old = mailbox
        .api()
        .login(&user.person.second_login, &user.person.password);
    assert_eq!(old.status, 401, "the old password");
    let new = mailbox.api().login(&user.person.second_login, NEW_PASSWORD);
    assert_eq!(new.status, 200, "the new password: {}", new.text);
}

fn reset_events(user_id: &str) -> Vec<Value> {
    admin_db()
        .query(
            "SELECT payload FROM auth.outbox WHERE event_type = 'password.reset'
             AND aggregate_id = $1::text::uuid",
            &[&user_id],
        )
        .unwrap()
        .iter()
        .map(|r| r.get::<_, Value>(0))
        .collect()
}

#[test]
fn recovery_by_code_ends_every_session_and_lets_the_new_password_in() {
    let mailbox = Mailbox::start("webhook", &[]);
    let user = mailbox.sign_up_verified();
    let second = second_session(&mailbox, &user);

    let started = Instant::now();
    let asked = mailbox.recover(&user.person.phone_typed);
    let requested = started.elapsed();
    assert_eq!(asked.status, 202, "{}", asked.text);
    assert_eq!(mailbox.recovery_codes_to(&user.person.phone), 1);
    let code = mailbox.codes.gateway.code_for(&user.person.phone).unwrap();
    let completing = Instant::now();
    let done = mailbox.complete(&json!({
        "phone": user.person.phone, "code": code, "new_password": NEW_PASSWORD,
    }));
    let completed = completing.elapsed();
    assert_eq!(done.status, 204, "{}", done.text);
    println!(
        "recovery by code: request {requested:?} (the response floor is 150 ms here), complete {completed:?}, round trip {:?}",
        started.elapsed()
    );
    everything_before_is_over(&mailbox, &user, &second);

    let events = reset_events(&user.user_id);
    assert_eq!(events.len(), 1, "password.reset in the outbox");
    assert_eq!(events[0]["via"], "sms");
    // The other verified channel is told.
    let notices = mailbox.mail.emails_to(&user.person.email);
    assert!(
        notices
            .iter()
            .any(|m| m.subject().as_deref() == Some("Пароль вашего аккаунта сброшен")),
        "the verified email hears of the reset"
    );
    // Nothing secret in the host's log: not the code.
    assert!(!mailbox.codes.host.log().contains(&code));
}

#[test]
fn recovery_by_link_ends_every_session_and_lets_the_new_password_in() {
    let mailbox = Mailbox::start("postmark", &[]);
    let user = mailbox.sign_up_verified();
    let second = second_session(&mailbox, &user);
    let sms_before = mailbox.codes.sent_to(&user.person.phone);

    let started = Instant::now();
    let asked = mailbox.recover(&user.person.email.to_uppercase());
    assert_eq!(asked.status, 202, "{}", asked.text);
    let token = mailbox
        .mail
        .link_for(&user.person.email, "reset-password")
        .expect("a recovery link to the verified email");
    let done = mailbox.complete(&json!({"token": token, "new_password": NEW_PASSWORD}));
    assert_eq!(done.status, 204, "{}", done.text);
    println!("recovery by link: round trip {:?}", started.elapsed());
    everything_before_is_over(&mailbox, &user, &second);
    assert_eq!(reset_events(&user.user_id)[0]["via"], "email");
    // The verified phone got the code (the request sends both) and, after,
    // the notice.
    let texts: Vec<String> = mailbox
        .codes
        .gateway
        .received()
        .iter()
        .filter(|m| m.to().as_deref() == Some(user.person.phone.as_str()))
        .filter_map(|m| m.text())
        .collect();
    assert_eq!(texts.len(), sms_before + 2, "{texts:?}");
    assert!(texts
        .last()
        .unwrap()
        .contains("Пароль вашего аккаунта сброшен"));
    assert!(
        !mailbox.codes.host.log().contains(&token),
        "no link token in the log"
    );

    // Spent with the reset: the code sent with the link no longer works.
    let code = mailbox.codes.gateway.code_for(&user.person.phone).unwrap();
    let late = mailbox.complete(&json!({
        "phone": user.person.phone, "code": code, "new_password": "yet another passphrase",
    }));
    late.problem(401);
}

#[test]
fn a_link_or_code_works_once_and_only_for_recovery_while_it_lives() {
    let mailbox = Mailbox::start("mailgun", &[]);
    let user = mailbox.sign_up_verified();
    let (phone, email) = (&user.person.phone, &user.person.email);

    // A verification link is no recovery link, and the reverse.
    let verify_token = {
        let asked = mailbox.api().bearer(
            "POST",
            "/api/v1/auth/contacts",
            &user.access_token,
            Some(&json!({"type": "email", "value": format!("other.{email}"),
                         "current_password": user.person.password})),
        );
        assert_eq!(asked.status, 201, "{}", asked.text);
        mailbox
            .mail
            .link_for(&format!("other.{email}"), "verify-email")
            .unwrap()
    };
    let wrong_purpose =
        mailbox.complete(&json!({"token": verify_token, "new_password": NEW_PASSWORD}));
    assert_eq!(
        wrong_purpose.problem(400)["type"],
        "urn:auth:problem:invalid-link"
    );
    assert_eq!(mailbox.recover(&user.person.second_login).status, 202);
    let recover_token = mailbox.mail.link_for(email, "reset-password").unwrap();
    let as_verification = mailbox.api().post_json(
        "/api/v1/auth/email/verify",
        &json!({"token": recover_token}),
    );
    as_verification.problem(400);

    // Used once.
    let first = mailbox.complete(&json!({"token": recover_token, "new_password": NEW_PASSWORD}));
    assert_eq!(first.status, 204, "{}", first.text);
    let twice =
        mailbox.complete(&json!({"token": recover_token, "new_password": "another one here"}));
    twice.problem(400);

    // Expired: a link and a code past their lifetime.
    assert_eq!(mailbox.recover(&user.person.second_login).status, 202);
    let token = mailbox.mail.link_for(email, "reset-password").unwrap();
    let code = mailbox.codes.gateway.code_for(phone).unwrap();
    let mut db = admin_db();
    db.execute(
        "UPDATE auth.email_links SET expires_at = now() - interval '1 second'
         WHERE user_id = $1::text::uuid AND purpose = 'recover'",
        &[&user.user_id],
    )
    .unwrap();
    db.execute(
        "UPDATE auth.otp_codes SET expires_at = now() - interval '1 second'
         WHERE user_id = $1::text::uuid AND purpose = 'recover'",
        &[&user.user_id],
    )
    .unwrap();
    mailbox
        .complete(&json!({"token": token, "new_password": "expired link try"}))
        .problem(400);
    mailbox
        .complete(&json!({"phone": phone, "code": code, "new_password": "expired code try"}))
        .problem(401);
    // A login code is no recovery code either.
    let asked = mailbox
        .codes
        .ask(None, &json!({"phone": phone, "purpose": "login"}));
    assert_eq!(asked.status, 202);
    let login_code = mailbox.codes.gateway.code_for(phone).unwrap();
    mailbox
        .complete(&json!({"phone": phone, "code": login_code, "new_password": "login code try"}))
        .problem(401);
    let still = mailbox.api().login(&user.person.second_login, NEW_PASSWORD);
    assert_eq!(still.status, 200, "nothing changed the password since");
}

#[test]
fn a_new_password_that_breaks_a_rule_loses_nothing() {
    let mailbox = Mailbox::start("webhook", &[]);
    let user = mailbox.sign_up_verified();
    assert_eq!(mailbox.recover(&user.person.second_login).status, 202);
    let code = mailbox.codes.gateway.code_for(&user.person.phone).unwrap();
    let same_as_login = mailbox.complete(&json!({
        "phone": user.person.phone, "code": code, "new_password": user.person.email,
    }));
    assert_eq!(
        same_as_login.problem(422)["errors"][0]["field"],
        "new_password"
    );
    let too_long = mailbox.complete(&json!({
        "phone": user.person.phone, "code": code, "new_password": "x".repeat(73),
    }));
    assert_eq!(too_long.problem(422)["errors"][0]["field"], "new_password");
    // The code still works, and the sessions lived until it did.
    assert_eq!(mailbox.api().me(&user.access_token).status, 200);
    let done = mailbox.complete(&json!({
        "phone": user.person.phone, "code": code, "new_password": NEW_PASSWORD,
    }));
    assert_eq!(done.status, 204, "{}", done.text);
}

#[test]
fn wrong_codes_lock_as_login_codes_do_and_a_reset_clears_the_password_lockout() {
    let mailbox = Mailbox::start("webhook", &[("SPIN_VARIABLE_LOGIN_MAX_FAILURES", "3")]);
    let user = mailbox.sign_up_verified();
    let login = &user.person.second_login;

    // The password form locks this client out after three failures…
    for _ in 0..3 {
        assert_eq!(mailbox.api().login(login, "not the password").status, 401);
    }
    let locked = mailbox.api().login(login, &user.person.password);
    assert_eq!(locked.status, 429, "locked even with the right password");

    // …and recovery codes lock the same way, on counters of their own.
    assert_eq!(mailbox.recover(login).status, 202);
    let code = mailbox.codes.gateway.code_for(&user.person.phone).unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..3 {
        let guess = mailbox.complete(&json!({
            "phone": user.person.phone, "code": wrong, "new_password": NEW_PASSWORD,
        }));
        guess.problem(401);
    }
    let fourth = mailbox.complete(&json!({
        "phone": user.person.phone, "code": code, "new_password": NEW_PASSWORD,
    }));
    assert_eq!(fourth.status, 429, "code tries locked: {}", fourth.text);
    assert!(fourth.header("retry-after").is_some());
    // Three wrong tries spent three of the code's five: nothing was reset.
    let tries: i32 = admin_db()
        .query_one(
            "SELECT attempts FROM auth.otp_codes WHERE user_id = $1::text::uuid AND purpose = 'recover'",
            &[&user.user_id],
        )
        .unwrap()
        .get(0);
    assert_eq!(tries, 3);

    // From a recovery by link, the password lockout of every login is
    // cleared: the new password signs in at once.
    assert_eq!(mailbox.recover(&user.person.email).status, 202);
    let token = mailbox
        .mail
        .link_for(&user.person.email, "reset-password")
        .unwrap();
    let done = mailbox.complete(&json!({"token": token, "new_password": NEW_PASSWORD}));
    assert_eq!(done.status, 204, "{}", done.text);
    for each in [login.as_str(), user.person.email.as_str()] {
        let signed_in = mailbox.api().login(each, NEW_PASSWORD);
        assert_eq!(signed_in.status, 200, "{each}: {}", signed_in.text);
    }
}
