//! A second factor for the people who can change everything (SPEC §6a;
//! issue 29). Before: a phished password, or an SMS code read off a
//! swapped SIM, was all it took to hold a staff account. Now a user may
//! enrol a TOTP app (with ten one-time recovery codes); a password or SMS
//! sign-in of such a user gives only an `mfa_token`, and the token pair
//! comes with a code; every access token says how its session was opened
//! (`amr`, RFC 8176); and holders of `mfa_required_roles` use staff
//! endpoints only with `mfa` in it.

use e2e::{
    admin_db, claims_of, enrol_second_factor, first_factor, second_factor, seconds_left_in_step,
    sign_in_again, sign_up, signed_in_as, OwnHost, PhoneCodes,
};
use serde_json::json;

/// The run's sealing key (the test command sets one for every host of the
/// run: hosts sharing a database share it, as in production).
fn run_key() -> String {
    e2e::env("SPIN_VARIABLE_MFA_ENCRYPTION_KEY")
}

/// A host of its own that asks a second factor of superadmins and
/// managers.
fn host() -> OwnHost {
    OwnHost::start(&[(
        "SPIN_VARIABLE_MFA_REQUIRED_ROLES",
        "superadmin,manager".to_string(),
    )])
}

/// Waits, if needed, so that the next two steps are both ahead: a code
/// asked for near the end of a step would otherwise be of a step spent.
fn clear_of_step_end() {
    if seconds_left_in_step() < 3 {
        std::thread::sleep(std::time::Duration::from_secs(4));
    }
}

#[test]
fn a_password_then_a_code_signs_in_each_step_and_recovery_code_once() {
    let host = host();
    let user = sign_up(&host.api);
    clear_of_step_end();
    let (app, recovery) = enrol_second_factor(&host.api, &user.access_token, &user.person.password);
    assert_eq!(recovery.len(), 10);

    // The password alone opens nothing now.
    let token = first_factor(&host.api, &user.person.second_login, &user.person.password);
    // The confirmation spent this step's code: the next step's (one step of
    // drift) signs in, once.
    let replayed = second_factor(&host.api, &token, json!({"code": app.code(0)}));
    assert_eq!(
        replayed.problem(401)["type"],
        "urn:auth:problem:invalid-code"
    );
    let signed_in = second_factor(&host.api, &token, json!({"code": app.code(1)}));
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    let pair = signed_in.json();
    let claims = claims_of(pair["access_token"].as_str().unwrap());
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));
    // The mfa_token was used up with it: sign in again.
    let spent = second_factor(&host.api, &token, json!({"code": app.code(1)}));
    assert_eq!(
        spent.problem(401)["type"],
        "urn:auth:problem:second-step-expired"
    );
    // Refresh keeps how the session was opened.
    let refreshed = host.api.refresh(pair["refresh_token"].as_str().unwrap());
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert_eq!(
        claims_of(refreshed.json()["access_token"].as_str().unwrap())["amr"],
        json!(["pwd", "otp", "mfa"])
    );
    // The same code, in the same step, for a new sign-in: refused.
    let token = first_factor(&host.api, &user.person.second_login, &user.person.password);
    second_factor(&host.api, &token, json!({"code": app.code(1)})).problem(401);
    // A recovery code works once (typed loosely), whatever the step.
    let typed = recovery[0].to_uppercase().replace('-', "");
    let by_recovery = second_factor(&host.api, &token, json!({"recovery_code": typed}));
    assert_eq!(by_recovery.status, 200, "{}", by_recovery.text);
    let token = first_factor(&host.api, &user.person.second_login, &user.person.password);
    second_factor(&host.api, &token, json!({"recovery_code": recovery[0]})).problem(401);
    // Cookie mode works the same way: the pair comes as cookies.
    let by_cookie = host.api.send(
        "POST",
        "/api/v1/auth/login/mfa",
        &[
            ("content-type", "application/json"),
            ("x-auth-mode", "cookie"),
        ],
        Some(&json!({"mfa_token": token, "recovery_code": recovery[1]})),
    );
    assert_eq!(by_cookie.status, 200, "{}", by_cookie.text);
    assert!(by_cookie
        .all_headers("set-cookie")
        .iter()
        .any(|c| c.starts_with("__Host-access_token=") || c.contains("access_token=")));
    // Nothing secret in the log: not the secret, nor a recovery code.
    let log = host.log();
    assert!(!log.contains(&recovery[0]) && !log.contains(&recovery[1]));
}

#[test]
fn a_login_code_is_a_first_factor_too() {
    let codes = PhoneCodes::start(&[]);
    let user = sign_up(codes.api());
    codes.verify_own_phone(&user);
    clear_of_step_end();
    let (app, _) = enrol_second_factor(codes.api(), &user.access_token, &user.person.password);
    let asked = codes.ask(
        None,
        &json!({"phone": user.person.phone, "purpose": "login"}),
    );
    assert_eq!(asked.status, 202);
    let code = codes.gateway.code_for(&user.person.phone).unwrap();
    let first = codes.verify(
        None,
        &json!({"phone": user.person.phone, "purpose": "login", "code": code}),
    );
    assert_eq!(first.status, 200, "{}", first.text);
    let body = first.json();
    assert_eq!(body["mfa_required"], true);
    assert_eq!(body["methods"], json!(["totp", "recovery_code"]));
    assert!(body.get("access_token").is_none());
    let signed_in = second_factor(
        codes.api(),
        body["mfa_token"].as_str().unwrap(),
        json!({"code": app.code(1)}),
    );
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    assert_eq!(
        claims_of(signed_in.json()["access_token"].as_str().unwrap())["amr"],
        json!(["sms", "otp", "mfa"])
    );
}

#[test]
fn fifteen_wrong_codes_lock_and_leave_the_password_form_open() {
    let host = host();
    let user = sign_up(&host.api);
    let other = sign_up(&host.api);
    clear_of_step_end();
    let (app, _) = enrol_second_factor(&host.api, &user.access_token, &user.person.password);
    let right = app.code(1);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    // A challenge takes five tries; the lock counts every try of the user.
    let mut token = String::new();
    for try_number in 0..15 {
        if try_number % 5 == 0 {
            token = first_factor(&host.api, &user.person.second_login, &user.person.password);
        }
        second_factor(&host.api, &token, json!({"code": wrong})).problem(401);
    }
    let token = first_factor(&host.api, &user.person.second_login, &user.person.password);
    let locked = second_factor(&host.api, &token, json!({"code": right}));
    assert_eq!(
        locked.status, 429,
        "the right code, locked out: {}",
        locked.text
    );
    assert!(locked.header("retry-after").is_some());
    // The password form is not locked: not for this user (it still gives
    // an mfa_token, above), nor for anyone else.
    let login = host
        .api
        .login(&other.person.second_login, &other.person.password);
    assert_eq!(login.status, 200, "{}", login.text);
}

#[test]
fn a_superadmin_without_a_second_factor_gets_403_until_signing_in_with_both() {
    let host = host();
    let admin = signed_in_as(&host.api, &["superadmin"]);
    assert_eq!(claims_of(&admin.access_token)["amr"], json!(["pwd"]));
    let refused = host
        .api
        .bearer("GET", "/api/v1/users?limit=5", &admin.access_token, None);
    let problem = refused.problem(403);
    assert_eq!(problem["type"], "urn:auth:problem:second-factor-required");
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("second factor"));
    let org = host.api.bearer(
        "POST",
        "/api/v1/organizations",
        &admin.access_token,
        Some(&json!({"kind": "fleet", "name": "Refused fleet"})),
    );
    org.problem(403);
    // Staff reads too: every organization and its members.
    host.api
        .bearer(
            "GET",
            "/api/v1/organizations?limit=5",
            &admin.access_token,
            None,
        )
        .problem(403);
    // Their own account works, so they can enrol.
    assert_eq!(host.api.me(&admin.access_token).status, 200);
    clear_of_step_end();
    let (app, _) = enrol_second_factor(&host.api, &admin.access_token, &admin.person.password);
    let token = first_factor(
        &host.api,
        &admin.person.second_login,
        &admin.person.password,
    );
    let both = second_factor(&host.api, &token, json!({"code": app.code(1)}));
    assert_eq!(both.status, 200, "{}", both.text);
    let access = both.json()["access_token"].as_str().unwrap().to_string();
    assert!(claims_of(&access)["amr"]
        .as_array()
        .unwrap()
        .contains(&json!("mfa")));
    let listed = host
        .api
        .bearer("GET", "/api/v1/users?limit=5", &access, None);
    assert_eq!(listed.status, 200, "{}", listed.text);
    // A role outside mfa_required_roles needs none.
    let support = signed_in_as(&host.api, &["support"]);
    let listed = host
        .api
        .bearer("GET", "/api/v1/users?limit=5", &support.access_token, None);
    assert_eq!(listed.status, 200, "{}", listed.text);
}

#[test]
fn a_database_dump_holds_no_usable_secret() {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    use aes_gcm::{Aes256Gcm, Key, Nonce};
    use base64::Engine;
    let host = host();
    let user = sign_up(&host.api);
    clear_of_step_end();
    let (app, _) = enrol_second_factor(&host.api, &user.access_token, &user.person.password);
    let sealed: Vec<u8> = admin_db()
        .query_one(
            "SELECT sealed_secret FROM auth.mfa_totp WHERE user_id = $1::text::uuid",
            &[&user.user_id],
        )
        .unwrap()
        .get(0);
    assert!(
        !sealed
            .windows(app.secret().len())
            .any(|w| w == app.secret()),
        "the stored bytes are not the secret"
    );
    let (nonce, ciphertext) = sealed.split_at(12);
    let open = |key: &[u8], user_id: &str| {
        let key: [u8; 32] = key.try_into().unwrap();
        Aes256Gcm::new(&Key::<Aes256Gcm>::from(key)).decrypt(
            &Nonce::try_from(nonce).unwrap(),
            Payload {
                msg: ciphertext,
                aad: user_id.as_bytes(),
            },
        )
    };
    let key = base64::engine::general_purpose::STANDARD
        .decode(run_key())
        .unwrap();
    assert_eq!(
        open(&key, &user.user_id).expect("opens with the service's key"),
        app.secret()
    );
    assert!(
        open(&[9u8; 32], &user.user_id).is_err(),
        "another key fails"
    );
    let other = sign_up(&host.api);
    assert!(
        open(&key, &other.user_id).is_err(),
        "moved to another user, it opens for nobody"
    );
}

#[test]
fn turning_it_off_needs_a_code_and_every_change_ends_the_other_sessions() {
    let host = host();
    let mut user = sign_up(&host.api);
    let registration_token = user.access_token.clone();
    sign_in_again(&host.api, &mut user);
    clear_of_step_end();
    let (app, recovery) = enrol_second_factor(&host.api, &user.access_token, &user.person.password);
    assert_eq!(
        host.api.me(&registration_token).status,
        401,
        "enrolling ended the other session"
    );
    assert_eq!(host.api.me(&user.access_token).status, 200, "not this one");
    // Enrolling again while it is on: refused.
    let again = host.api.bearer(
        "POST",
        "/api/v1/auth/mfa/totp",
        &user.access_token,
        Some(&json!({"current_password": user.person.password})),
    );
    assert_eq!(
        again.problem(409)["type"],
        "urn:auth:problem:second-factor-state"
    );

    // A second session, opened with both factors.
    let token = first_factor(&host.api, &user.person.second_login, &user.person.password);
    let second = second_factor(&host.api, &token, json!({"recovery_code": recovery[0]}));
    assert_eq!(second.status, 200, "{}", second.text);
    let second_access = second.json()["access_token"].as_str().unwrap().to_string();
    let second_refresh = second.json()["refresh_token"].as_str().unwrap().to_string();

    // Turned off from the session opened with both factors.
    let off = |body: serde_json::Value| {
        host.api.bearer(
            "DELETE",
            "/api/v1/auth/mfa/totp",
            &second_access,
            Some(&body),
        )
    };
    // Without a code; without the proof of the account; with a wrong code.
    off(json!({"current_password": user.person.password})).problem(422);
    off(json!({"code": app.code(1)})).problem(403);
    let right = app.code(1);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    off(json!({"current_password": user.person.password, "code": wrong})).problem(401);
    let done = off(json!({"current_password": user.person.password, "code": right}));
    assert_eq!(done.status, 204, "{}", done.text);
    assert_eq!(
        host.api.me(&user.access_token).status,
        401,
        "the other session ended"
    );
    // The session that turned it off no longer stands for a second factor.
    let refreshed = host.api.refresh(&second_refresh);
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert_eq!(
        claims_of(refreshed.json()["access_token"].as_str().unwrap())["amr"],
        json!(["pwd"])
    );
    // A password alone signs in again.
    let login = host
        .api
        .login(&user.person.second_login, &user.person.password);
    assert_eq!(login.status, 200);
    assert!(login.json()["access_token"].is_string());
    let rows: i64 = admin_db()
        .query_one(
            "SELECT (SELECT count(*) FROM auth.mfa_totp WHERE user_id = $1::text::uuid)
                  + (SELECT count(*) FROM auth.mfa_recovery_codes WHERE user_id = $1::text::uuid)",
            &[&user.user_id],
        )
        .unwrap()
        .get(0);
    assert_eq!(rows, 0, "the secret and the recovery codes are gone");
}

#[test]
fn readiness_asks_for_the_key_only_where_a_second_factor_may_be_needed() {
    let missing = [("SPIN_VARIABLE_MFA_ENCRYPTION_KEY", String::new())];
    let required = OwnHost::start(&[
        missing[0].clone(),
        ("SPIN_VARIABLE_MFA_REQUIRED_ROLES", "superadmin".to_string()),
    ]);
    let ready = required.api.get("/api/v1/auth/ready");
    assert_eq!(ready.status, 503, "{}", ready.text);
    assert!(ready.json()["checks"]["configuration"]
        .as_str()
        .unwrap()
        .contains("mfa_encryption_key"));
    let (_, service) = e2e::fresh_database("mfa_key_not_needed");
    let not_required = OwnHost::start(&[
        missing[0].clone(),
        ("SPIN_VARIABLE_MFA_REQUIRED_ROLES", String::new()),
        ("SPIN_VARIABLE_DB_URL", service),
    ]);
    let ready = not_required.api.get("/api/v1/auth/ready");
    assert_eq!(ready.status, 200, "{}", ready.text);
    // A user who tries to enrol there learns the service cannot seal it.
    let user = sign_up(&not_required.api);
    let enrol = not_required.api.bearer(
        "POST",
        "/api/v1/auth/mfa/totp",
        &user.access_token,
        Some(&json!({"current_password": user.person.password})),
    );
    assert_eq!(enrol.status, 500, "{}", enrol.text);
}

#[test]
fn a_second_step_begun_before_a_change_of_credentials_completes_nothing() {
    let host = host();
    let user = sign_up(&host.api);
    clear_of_step_end();
    let (app, recovery) = enrol_second_factor(&host.api, &user.access_token, &user.person.password);
    // Begun with the old password; the password changes; the step dies.
    let begun = first_factor(&host.api, &user.person.second_login, &user.person.password);
    let changed = host.api.bearer(
        "POST",
        "/api/v1/auth/password",
        &user.access_token,
        Some(&json!({"current_password": user.person.password, "new_password": "a newer passphrase"})),
    );
    assert_eq!(changed.status, 204, "{}", changed.text);
    let late = second_factor(&host.api, &begun, json!({"code": app.code(1)}));
    assert_eq!(
        late.problem(401)["type"],
        "urn:auth:problem:second-step-expired"
    );
    // And a session racing the enrolment: the password check under the
    // user's lock sees the second factor (auth.sign_in, as login calls it).
    let hash: String = admin_db()
        .query_one(
            "SELECT password_hash FROM accounts.users WHERE id = $1::text::uuid",
            &[&user.user_id],
        )
        .unwrap()
        .get(0);
    let outcome: serde_json::Value = admin_db()
        .query_one(
            "SELECT auth.sign_in($1::text::uuid, $2, $3, 3600, 10, 'racer', '127.0.0.1', 30, true)",
            &[&user.user_id, &hash, &vec![7u8; 32]],
        )
        .unwrap()
        .get(0);
    assert_eq!(outcome["outcome"], "second_factor_required", "{outcome}");
    let _ = recovery;
}

#[test]
fn an_enrolment_is_confirmed_only_with_the_secret_it_showed() {
    let host = host();
    let user = sign_up(&host.api);
    let start = || {
        let started = host.api.bearer(
            "POST",
            "/api/v1/auth/mfa/totp",
            &user.access_token,
            Some(&json!({"current_password": user.person.password})),
        );
        assert_eq!(started.status, 201, "{}", started.text);
        e2e::AuthenticatorApp::from_base32(started.json()["secret"].as_str().unwrap())
    };
    let first = start();
    let second = start();
    clear_of_step_end();
    // The first QR code was replaced: its codes turn nothing on.
    let stale = host.api.bearer(
        "POST",
        "/api/v1/auth/mfa/totp/confirm",
        &user.access_token,
        Some(&json!({"code": first.code(0)})),
    );
    if first.code(0) != second.code(0) {
        assert_eq!(stale.problem(401)["type"], "urn:auth:problem:invalid-code");
    }
    let confirmed = host.api.bearer(
        "POST",
        "/api/v1/auth/mfa/totp/confirm",
        &user.access_token,
        Some(&json!({"code": second.code(0)})),
    );
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
}

#[test]
fn readiness_names_a_key_that_does_not_open_the_stored_secrets() {
    let (_, service) = e2e::fresh_database("mfa_key_rotated");
    let sealing = OwnHost::start(&[("SPIN_VARIABLE_DB_URL", service.clone())]);
    let user = sign_up(&sealing.api);
    clear_of_step_end();
    enrol_second_factor(&sealing.api, &user.access_token, &user.person.password);
    assert_eq!(sealing.api.get("/api/v1/auth/ready").status, 200);
    // Another key (rotated, or mistyped) on the same database: not ready,
    // rather than every enrolled user locked out at their next sign-in.
    let other_key = OwnHost::start(&[
        ("SPIN_VARIABLE_DB_URL", service),
        ("SPIN_VARIABLE_MFA_ENCRYPTION_KEY", "ab".repeat(32)),
    ]);
    let ready = other_key.api.get("/api/v1/auth/ready");
    assert_eq!(ready.status, 503, "{}", ready.text);
    assert!(ready.json()["checks"]["configuration"]
        .as_str()
        .unwrap()
        .contains("does not open"));
}

#[test]
fn the_accounts_channels_hear_when_the_second_factor_is_turned_on_or_off() {
    let mailbox = e2e::Mailbox::start("webhook", &[]);
    let user = mailbox.sign_up_verified();
    let told = |change: &str| {
        let by_email = mailbox
            .mail
            .emails_to(&user.person.email)
            .iter()
            .filter(|m| m.email_text().is_some_and(|t| t.contains(change)))
            .count();
        let by_sms = mailbox
            .codes
            .gateway
            .received()
            .iter()
            .filter(|m| m.to().as_deref() == Some(user.person.phone.as_str()))
            .filter(|m| m.text().is_some_and(|t| t.contains(change)))
            .count();
        (by_email, by_sms)
    };
    clear_of_step_end();
    let (app, _) = enrol_second_factor(mailbox.api(), &user.access_token, &user.person.password);
    assert_eq!(
        told("включён"),
        (1, 1),
        "the phone and the email hear of it"
    );
    let off = mailbox.api().bearer(
        "DELETE",
        "/api/v1/auth/mfa/totp",
        &user.access_token,
        Some(&json!({"current_password": user.person.password, "code": app.code(1)})),
    );
    assert_eq!(off.status, 204, "{}", off.text);
    assert_eq!(told("выключен"), (1, 1));
}
