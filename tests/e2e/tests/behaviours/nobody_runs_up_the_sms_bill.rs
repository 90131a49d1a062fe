//! Nobody runs up the SMS bill (SPEC §6, issue 27 item 4). Before: codes
//! went to any valid number in the world (premium-rate and fixed lines
//! too), capped only per phone and per IP, and five `register` requests
//! for a taken phone silenced its owner's `login` codes for an hour. Now
//! codes go only to mobile numbers of `sms_countries`, every request counts
//! in a global hourly budget (503 past it, logged once), and the per-phone
//! cap counts each purpose apart.

use e2e::{sign_up, OwnRedis, PhoneCodes};
use serde_json::json;

#[test]
fn only_mobile_numbers_of_the_sms_countries_get_codes() {
    let codes = PhoneCodes::start(&[]);
    for (phone, what) in [
        ("+7 495 123-45-67", "a Moscow landline"),
        ("8 809 505-05-05", "a premium-rate number"),
        ("8 800 555-35-35", "a toll-free number"),
        ("+7 701 123 4567", "a Kazakh mobile (sms_countries is RU)"),
        ("+44 7400 123456", "a British mobile"),
    ] {
        for purpose in ["register", "login"] {
            let refused = codes
                .ask(None, &json!({"phone": phone, "purpose": purpose}))
                .problem(422);
            assert_eq!(refused["errors"][0]["field"], "phone", "{what}");
            let message = refused["errors"][0]["message"].as_str().unwrap();
            assert!(
                message.contains("mobile") && message.contains("RU"),
                "{message}"
            );
        }
    }
    assert!(codes.gateway.received().is_empty(), "no SMS went out");
    // Another country once listed.
    let wider = PhoneCodes::start(&[("SPIN_VARIABLE_SMS_COUNTRIES", "RU, KZ")]);
    let asked = wider.ask(
        None,
        &json!({"phone": "+7 701 123 4567", "purpose": "register"}),
    );
    assert_eq!(asked.status, 202, "{}", asked.text);
    assert_eq!(wider.sent_to("+77011234567"), 1);
}

#[test]
fn past_the_hourly_budget_codes_are_refused_and_it_is_logged_once() {
    // A Redis of its own: the budget counts every request it sees.
    let redis = OwnRedis::start();
    let [url, host] = redis.variables();
    let codes = PhoneCodes::start(&[
        (url.0, url.1.as_str()),
        (host.0, host.1.as_str()),
        ("SPIN_VARIABLE_OTP_SMS_PER_HOUR", "3"),
    ]);
    let phone = || e2e::Person::new().phone;
    for _ in 0..3 {
        let asked = codes.ask(None, &json!({"phone": phone(), "purpose": "register"}));
        assert_eq!(asked.status, 202, "{}", asked.text);
    }
    for _ in 0..3 {
        let refused = codes
            .ask(None, &json!({"phone": phone(), "purpose": "register"}))
            .problem(503);
        assert!(
            refused["detail"].as_str().unwrap().contains("sms budget"),
            "{refused}"
        );
    }
    assert_eq!(codes.gateway.received().len(), 3);
    // The component's own output (Spin also echoes it in its log).
    let stdout =
        std::fs::read_to_string(codes.host.component_log_path("stdout")).unwrap_or_default();
    let told = stdout
        .lines()
        .filter(|l| l.contains("\"sms.budget_spent\""))
        .count();
    assert_eq!(told, 1, "logged once per window");
}

#[test]
fn register_requests_for_a_taken_phone_do_not_silence_its_owners_login_codes() {
    let codes = PhoneCodes::start(&[("SPIN_VARIABLE_OTP_SMS_PER_PHONE_PER_HOUR", "3")]);
    let owner = sign_up(codes.api());
    codes.verify_own_phone(&owner);
    let phone = owner.person.phone.clone();
    let sent = codes.sent_to(&phone);
    // Someone asks register codes for the owner's phone until refused: no
    // SMS goes to a phone held verified.
    for _ in 0..3 {
        let asked = codes.ask(None, &json!({"phone": phone, "purpose": "register"}));
        assert_eq!(asked.status, 202, "{}", asked.text);
    }
    codes
        .ask(None, &json!({"phone": phone, "purpose": "register"}))
        .problem(429);
    assert_eq!(codes.sent_to(&phone), sent);
    // The owner's login code still goes out.
    let asked = codes.ask(None, &json!({"phone": phone, "purpose": "login"}));
    assert_eq!(asked.status, 202, "{}", asked.text);
    assert_eq!(codes.sent_to(&phone), sent + 1);
}
