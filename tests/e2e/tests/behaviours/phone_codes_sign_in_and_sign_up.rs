//! Phone codes (SPEC §4, §6): a code by SMS signs in, or proves a phone for
//! a registration without a password or for adding the phone to an account.
//! Each test runs its own host pointed at a real HTTP server on loopback
//! that speaks an SMS gateway's format; codes are read from what that
//! gateway received, never from the database.

use e2e::{
    admin_db, sign_up, FakeGateway, GatewayMode, OwnHost, Person, Reply, SignedIn, GATEWAY_TOKEN,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A host sending through `gateway`, with `extra` settings.
fn host(gateway: &FakeGateway, extra: &[(&'static str, &str)]) -> OwnHost {
    let mut settings = gateway.variables();
    settings.push(("SPIN_VARIABLE_OTP_RESPONSE_FLOOR_MS", "150".to_string()));
    for (name, value) in extra {
        settings.retain(|(n, _)| n != name);
        settings.push((name, value.to_string()));
    }
    OwnHost::start(&settings)
}

fn ask(host: &OwnHost, phone: &str, purpose: &str) -> Reply {
    host.api.post_json(
        "/api/v1/auth/otp/request",
        &json!({"phone": phone, "purpose": purpose}),
    )
}

fn verify(host: &OwnHost, phone: &str, purpose: &str, code: &str) -> Reply {
    host.api.post_json(
        "/api/v1/auth/otp/verify",
        &json!({"phone": phone, "purpose": purpose, "code": code}),
    )
}

/// Asks for a code and reads it from the gateway.
fn code(host: &OwnHost, gateway: &FakeGateway, phone: &str, purpose: &str) -> String {
    let asked = ask(host, phone, purpose);
    assert_eq!(asked.status, 202, "{}", asked.text);
    gateway
        .code_for(phone)
        .expect("the gateway received the code")
}

/// Asks for a code as a signed-in user (`verify_phone`, `reauth`).
fn ask_as(host: &OwnHost, token: &str, body: &Value) -> Reply {
    host.api
        .bearer("POST", "/api/v1/auth/otp/request", token, Some(body))
}

fn verify_as(host: &OwnHost, token: &str, body: &Value) -> Reply {
    host.api
        .bearer("POST", "/api/v1/auth/otp/verify", token, Some(body))
}

/// Someone registered with a password whose phone is then verified through
/// the API (a `verify_phone` code to it): only a verified phone receives
/// login codes (SPEC §2).
fn verified_user(host: &OwnHost, gateway: &FakeGateway) -> SignedIn {
    let user = sign_up(&host.api);
    let phone = user.person.phone.as_str();
    let asked = ask_as(
        host,
        &user.access_token,
        &json!({"phone": phone, "purpose": "verify_phone"}),
    );
    assert_eq!(asked.status, 202, "{}", asked.text);
    let code = gateway.code_for(phone).expect("the verify_phone code");
    let proven = verify_as(
        host,
        &user.access_token,
        &json!({"phone": phone, "purpose": "verify_phone", "code": code}),
    );
    assert_eq!(proven.status, 200, "{}", proven.text);
    let added = host.api.bearer(
        "POST",
        "/api/v1/auth/contacts",
        &user.access_token,
        Some(
            &json!({"type": "phone", "value": phone, "phone_proof": proven.json()["phone_proof"]}),
        ),
    );
    assert_eq!(added.status, 201, "{}", added.text);
    user
}

/// A code that is not `right`.
fn wrong(right: &str) -> String {
    let n: u32 = right.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

#[test]
fn phone_only_sign_up_then_sign_in_by_code_then_me() {
    let gateway = FakeGateway::start("webhook");
    let host = host(&gateway, &[]);
    let person = Person::new();

    let asked = ask(&host, &person.phone_typed, "register");
    assert_eq!(asked.status, 202, "{}", asked.text);
    assert_eq!(asked.json(), json!({"expires_in": 300, "resend_after": 60}));
    let sms = gateway.received().pop().expect("one SMS");
    assert_eq!(sms.path, "/send");
    let bearer = format!("Bearer {GATEWAY_TOKEN}");
    assert_eq!(sms.header("authorization"), Some(bearer.as_str()));
    assert_eq!(sms.to().as_deref(), Some(person.phone.as_str()));
    let text = sms.text().unwrap();
    assert!(text.contains("5 мин"), "{text}");
    let register_code = gateway.code_for(&person.phone).unwrap();

    let proven = verify(&host, &person.phone_typed, "register", &register_code);
    assert_eq!(proven.status, 200, "{}", proven.text);
    let proof = proven.json()["phone_proof"].as_str().unwrap().to_string();
    let mut body = person.registration();
    body.as_object_mut().unwrap().remove("password");
    body["phone_proof"] = proof.clone().into();
    let registered = host.api.register(&body);
    assert_eq!(registered.status, 201, "{}", registered.text);
    // A proof is used once.
    let mut again = Person::new().registration();
    again.as_object_mut().unwrap().remove("password");
    again["phone"] = person.phone.clone().into();
    again["phone_proof"] = proof.clone().into();
    let refused = host.api.register(&again).problem(422);
    assert_eq!(refused["errors"][0]["field"], "phone_proof");

    // No password: the password form cannot sign in; the SMS can.
    host.api.login(&person.phone, &person.password).problem(401);
    let login_code = code(&host, &gateway, &person.phone, "login");
    let signed_in = verify(&host, &person.phone, "login", &login_code);
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    let pair = signed_in.json();
    let access = pair["access_token"].as_str().unwrap().to_string();
    let me = host.api.me(&access);
    assert_eq!(me.status, 200, "{}", me.text);
    let me = me.json();
    let phone = me["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "phone")
        .unwrap()
        .clone();
    assert_eq!(phone["value"], person.phone.as_str());
    assert_eq!(phone["verified"], true);

    // The first password takes a reauth code to the verified phone (a
    // sensitive change); then the password signs in.
    assert_eq!(
        ask_as(&host, &access, &json!({"purpose": "reauth"})).status,
        202
    );
    let reauth_code = gateway.code_for(&person.phone).unwrap();
    let reauth = verify_as(
        &host,
        &access,
        &json!({"purpose": "reauth", "code": reauth_code}),
    );
    assert_eq!(reauth.status, 200, "{}", reauth.text);
    let set = host.api.bearer(
        "POST",
        "/api/v1/auth/password",
        &access,
        Some(&json!({"new_password": person.password, "reauth_proof": reauth.json()["reauth_proof"]})),
    );
    assert_eq!(set.status, 204, "{}", set.text);
    assert_eq!(host.api.login(&person.phone, &person.password).status, 200);

    // Nothing secret reached the log: no code, proof, token or gateway token.
    let log = host.log();
    for secret in [
        register_code.as_str(),
        login_code.as_str(),
        proof.as_str(),
        access.as_str(),
        pair["refresh_token"].as_str().unwrap(),
        GATEWAY_TOKEN,
    ] {
        assert!(!log.contains(secret), "the log holds a secret");
    }
}

#[test]
fn a_code_dies_after_its_tries_its_lifetime_and_its_use() {
    let gateway = FakeGateway::start("webhook");
    let host = host(&gateway, &[("SPIN_VARIABLE_OTP_RESEND_SECONDS", "0")]);
    let user = verified_user(&host, &gateway);
    let phone = user.person.phone.as_str();

    // Five wrong tries: the right code is refused after them.
    let right = code(&host, &gateway, phone, "login");
    for _ in 0..5 {
        verify(&host, phone, "login", &wrong(&right)).problem(401);
    }
    let dead = verify(&host, phone, "login", &right).problem(401);
    assert_eq!(dead["type"], "urn:auth:problem:invalid-code");

    // Past its lifetime (two seconds on a host of its own).
    let brief = self::host(
        &gateway,
        &[
            ("SPIN_VARIABLE_OTP_TTL_SECONDS", "2"),
            ("SPIN_VARIABLE_OTP_RESEND_SECONDS", "0"),
        ],
    );
    let right = code(&brief, &gateway, phone, "login");
    std::thread::sleep(Duration::from_millis(2500));
    verify(&brief, phone, "login", &right).problem(401);

    // Once used.
    let right = code(&host, &gateway, phone, "login");
    assert_eq!(verify(&host, phone, "login", &right).status, 200);
    verify(&host, phone, "login", &right).problem(401);

    // A code of one purpose is no code of another.
    let asked = ask_as(
        &host,
        &user.access_token,
        &json!({"phone": phone, "purpose": "verify_phone"}),
    );
    assert_eq!(asked.status, 202, "{}", asked.text);
    let right = gateway.code_for(phone).unwrap();
    verify(&host, phone, "login", &right).problem(401);
    // Stored as a keyed digest, never as the code.
    let stored: Vec<u8> = admin_db()
        .query_one(
            "SELECT code_digest FROM auth.otp_codes WHERE phone = $1 AND purpose = 'verify_phone'",
            &[&phone],
        )
        .unwrap()
        .get(0);
    assert_eq!(stored.len(), 32);
    assert!(!String::from_utf8_lossy(&stored).contains(&right));
}

#[test]
fn ten_parallel_tries_of_one_right_code_sign_in_once() {
    let gateway = FakeGateway::start("webhook");
    let host = host(&gateway, &[]);
    let user = verified_user(&host, &gateway);
    let phone = user.person.phone.clone();
    let right = code(&host, &gateway, &phone, "login");
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..10)
            .map(|_| s.spawn(|| verify(&host, &phone, "login", &right).status))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        9,
        "{statuses:?}"
    );
}

#[test]
fn a_resend_inside_the_delay_is_429_with_retry_after() {
    let gateway = FakeGateway::start("webhook");
    let host = host(&gateway, &[("SPIN_VARIABLE_OTP_RESEND_SECONDS", "60")]);
    let person = Person::new();
    assert_eq!(ask(&host, &person.phone, "register").status, 202);
    let again = ask(&host, &person.phone, "register");
    again.problem(429);
    let retry: u32 = again.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(gateway.received().len(), 1, "one SMS only");
}

#[test]
fn an_unknown_phone_is_answered_like_a_known_one_and_gets_no_sms() {
    let gateway = FakeGateway::start("webhook");
    // The floor well above what sending takes here, even on a busy machine.
    let host = host(
        &gateway,
        &[
            ("SPIN_VARIABLE_OTP_RESEND_SECONDS", "0"),
            ("SPIN_VARIABLE_OTP_SMS_PER_PHONE_PER_HOUR", "1000"),
            ("SPIN_VARIABLE_OTP_SMS_PER_IP_PER_HOUR", "1000000"),
            ("SPIN_VARIABLE_OTP_RESPONSE_FLOOR_MS", "500"),
        ],
    );
    let known = verified_user(&host, &gateway).person.phone;
    let unknown = Person::new().phone;
    let sent_before = gateway.received().len();
    // Taken in turns, so that a busy moment of the machine weighs on both.
    let timed = |phone: &str| -> (Duration, Reply) {
        let started = Instant::now();
        let reply = ask(&host, phone, "login");
        (started.elapsed(), reply)
    };
    let (mut known_times, mut unknown_times) = (Vec::new(), Vec::new());
    let (mut known_reply, mut unknown_reply) = (None, None);
    for _ in 0..30 {
        let (took, reply) = timed(&known);
        known_times.push(took);
        known_reply = Some(reply);
        let (took, reply) = timed(&unknown);
        unknown_times.push(took);
        unknown_reply = Some(reply);
    }
    known_times.sort();
    unknown_times.sort();
    let (known_reply, unknown_reply) = (known_reply.unwrap(), unknown_reply.unwrap());

    assert_eq!(known_reply.status, 202);
    assert_eq!(unknown_reply.status, known_reply.status);
    assert_eq!(unknown_reply.text, known_reply.text);
    let names = |r: &Reply| -> Vec<(String, String)> {
        let mut h: Vec<(String, String)> = r
            .headers
            .iter()
            // The date, and the request id (random for every request).
            .filter(|(k, _)| k != "date" && k != "x-request-id")
            .cloned()
            .collect();
        h.sort();
        h
    };
    assert_eq!(names(&unknown_reply), names(&known_reply));
    let (a, b) = (
        known_times[15].as_secs_f64(),
        unknown_times[15].as_secs_f64(),
    );
    println!("code request, median of 30: known phone {a:.4} s, unknown phone {b:.4} s");
    assert!(
        (a - b).abs() <= 0.15 * a.max(b),
        "median {a:.4} s for a known phone, {b:.4} s for an unknown one"
    );
    let sent_to_unknown = gateway
        .received()
        .iter()
        .filter(|m| m.to().as_deref() == Some(unknown.as_str()))
        .count();
    assert_eq!(sent_to_unknown, 0);
    assert_eq!(
        gateway
            .received()
            .iter()
            .skip(sent_before)
            .filter(|m| m.to().as_deref() == Some(known.as_str()))
            .count(),
        30
    );
}

#[test]
fn a_failing_gateway_is_503_within_the_timeout_in_every_format_and_recovers() {
    for kind in ["webhook", "twilio", "smsru"] {
        let gateway = FakeGateway::start(kind);
        let host = host(&gateway, &[]);
        let phone = verified_user(&host, &gateway).person.phone;
        let mut failures = vec![GatewayMode::Fails, GatewayMode::Hangs];
        if kind == "smsru" {
            failures.push(GatewayMode::RefusesWith200);
        }
        for mode in failures {
            gateway.set_mode(mode);
            let started = Instant::now();
            let reply = ask(&host, &phone, "login");
            let took = started.elapsed();
            println!("{kind} gateway {mode:?}: {} in {took:?}", reply.status);
            let problem = reply.problem(503);
            assert!(
                problem["detail"].as_str().unwrap().contains("sms gateway"),
                "{kind} {mode:?}: {problem}"
            );
            // Within the gateway's timeout (1.5 s), and a margin for a busy
            // machine.
            assert!(
                took < Duration::from_millis(2500),
                "{kind} {mode:?} took {took:?}"
            );
        }
        // Down: nothing listens where it should be.
        let port = e2e::free_port().to_string();
        let down_url = match kind {
            "webhook" => format!("http://127.0.0.1:{port}/send"),
            _ => format!("http://127.0.0.1:{port}"),
        };
        let down = self::host(
            &gateway,
            &[
                ("SPIN_VARIABLE_SMS_GATEWAY_URL", down_url.as_str()),
                (
                    "SPIN_VARIABLE_SMS_GATEWAY_ORIGIN",
                    &format!("http://127.0.0.1:{port}"),
                ),
            ],
        );
        // A phone nobody holds: a register code goes to it.
        let down_phone = Person::new().phone;
        let problem = ask(&down, &down_phone, "register").problem(503);
        assert!(problem["detail"].as_str().unwrap().contains("sms gateway"));
        // The failed codes were withdrawn: no resend delay, and it works.
        gateway.set_mode(GatewayMode::Takes);
        let code = code(&host, &gateway, &phone, "login");
        let signed_in = verify(&host, &phone, "login", &code);
        assert_eq!(signed_in.status, 200, "{kind}: {}", signed_in.text);
        let sms = gateway.received().pop().unwrap();
        match kind {
            "twilio" => {
                assert_eq!(
                    sms.path,
                    format!("/2010-04-01/Accounts/{}/Messages.json", e2e::TWILIO_ACCOUNT)
                );
                assert!(sms.header("authorization").unwrap().starts_with("Basic "));
            }
            "smsru" => assert_eq!(sms.path, "/sms/send"),
            _ => assert_eq!(sms.path, "/send"),
        }
    }
}

#[test]
fn a_gateway_answer_past_64_kib_is_a_failure_never_read_whole() {
    // Both builds stop reading a gateway's answer at 64 KiB: a gateway (or
    // whatever answers at its address) cannot fill the instance's memory.
    for kind in ["webhook", "twilio", "smsru"] {
        let gateway = FakeGateway::start(kind);
        let host = host(&gateway, &[]);
        let phone = verified_user(&host, &gateway).person.phone;
        gateway.set_mode(GatewayMode::AnswersTooMuch);
        let problem = ask(&host, &phone, "login").problem(503);
        assert!(
            problem["detail"].as_str().unwrap().contains("sms gateway"),
            "{kind}: {problem}"
        );
        // Nothing counts as sent: a new code may be asked for at once.
        gateway.set_mode(GatewayMode::Takes);
        let code = code(&host, &gateway, &phone, "login");
        assert_eq!(verify(&host, &phone, "login", &code).status, 200, "{kind}");
    }
}

#[test]
fn adding_a_phone_takes_a_verify_phone_proof_and_marks_it_verified() {
    let gateway = FakeGateway::start("webhook");
    let host = host(&gateway, &[]);
    let user = sign_up(&host.api);
    let new_phone = Person::new().phone;
    // The password is not enough for a phone any more.
    let refused = host
        .api
        .bearer(
            "POST",
            "/api/v1/auth/contacts",
            &user.access_token,
            Some(&json!({"type": "phone", "value": new_phone,
                          "current_password": user.person.password})),
        )
        .problem(422);
    assert_eq!(refused["errors"][0]["field"], "phone_proof");

    let asked = ask_as(
        &host,
        &user.access_token,
        &json!({"phone": new_phone, "purpose": "verify_phone"}),
    );
    assert_eq!(asked.status, 202, "{}", asked.text);
    let code = gateway.code_for(&new_phone).unwrap();
    let proven = verify_as(
        &host,
        &user.access_token,
        &json!({"phone": new_phone, "purpose": "verify_phone", "code": code}),
    );
    assert_eq!(proven.status, 200, "{}", proven.text);
    let proof = proven.json()["phone_proof"].as_str().unwrap().to_string();
    // A proof of another phone proves nothing about this one.
    let other = Person::new().phone;
    host.api
        .bearer(
            "POST",
            "/api/v1/auth/contacts",
            &user.access_token,
            Some(
                &json!({"type": "phone", "value": other, "phone_proof": proof,
                          "current_password": user.person.password}),
            ),
        )
        .problem(422);
    // A new phone is a sensitive change: the password too.
    let added = host.api.bearer(
        "POST",
        "/api/v1/auth/contacts",
        &user.access_token,
        Some(
            &json!({"type": "phone", "value": new_phone, "phone_proof": proof,
                      "current_password": user.person.password}),
        ),
    );
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(added.json()["contact"]["verified"], true);
    let me: Value = host.api.me(&user.access_token).json();
    let phones: Vec<&Value> = me["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "phone")
        .collect();
    assert_eq!(phones.len(), 1, "the new phone replaced the old");
    assert_eq!(phones[0]["value"], new_phone.as_str());
    assert_eq!(phones[0]["verified"], true);
}

#[test]
fn code_failures_lock_apart_from_passwords_and_sms_are_capped() {
    let gateway = FakeGateway::start("webhook");
    let host = host(
        &gateway,
        &[
            ("SPIN_VARIABLE_LOGIN_MAX_FAILURES", "3"),
            ("SPIN_VARIABLE_OTP_RESEND_SECONDS", "0"),
            ("SPIN_VARIABLE_OTP_SMS_PER_PHONE_PER_HOUR", "3"),
        ],
    );
    let user = verified_user(&host, &gateway);
    let phone = user.person.phone.as_str();
    let right = code(&host, &gateway, phone, "login");
    for _ in 0..3 {
        verify(&host, phone, "login", &wrong(&right)).problem(401);
    }
    // Locked for codes from this IP, even the right one...
    let locked = verify(&host, phone, "login", &right);
    locked.problem(429);
    assert!(locked.header("retry-after").is_some());
    // ...while the password still signs in: the counters are apart.
    assert_eq!(host.api.login(phone, &user.person.password).status, 200);

    // Three SMS per phone an hour here (this host's three so far: one code
    // above and two here): the next request is refused and nothing more is
    // sent.
    assert_eq!(ask(&host, phone, "login").status, 202);
    assert_eq!(ask(&host, phone, "login").status, 202);
    let before = gateway.received().len();
    ask(&host, phone, "login").problem(429);
    assert_eq!(gateway.received().len(), before);
}

#[test]
fn sms_per_client_ip_are_capped_whatever_the_phones() {
    // A Redis of its own: the shared one counts every test's requests from
    // this same address.
    let redis = e2e::OwnRedis::start();
    let gateway = FakeGateway::start("webhook");
    let mut settings: Vec<(&str, String)> = redis.variables().to_vec();
    settings.push(("SPIN_VARIABLE_OTP_SMS_PER_IP_PER_HOUR", "3".to_string()));
    settings.push(("SPIN_VARIABLE_OTP_RESPONSE_FLOOR_MS", "0".to_string()));
    let host = OwnHost::start(
        &[gateway.variables(), settings]
            .concat()
            .into_iter()
            .collect::<Vec<_>>(),
    );
    for _ in 0..3 {
        let phone = Person::new().phone;
        assert_eq!(ask(&host, &phone, "register").status, 202);
    }
    let refused = ask(&host, &Person::new().phone, "register");
    refused.problem(429);
    assert!(refused.header("retry-after").is_some());
    assert_eq!(gateway.received().len(), 3, "the fourth SMS was not sent");
}
