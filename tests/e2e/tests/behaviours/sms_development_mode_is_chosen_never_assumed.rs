//! SMS development mode is explicit (issue 27 item 6). Before: with no
//! gateway configured, codes were written to the component log — a
//! production deployment that forgot its gateway variables printed every
//! code where operators (and log shippers) read. Now `sms_gateway = log`
//! chooses that mode; with none, code requests answer 503 "not configured"
//! and nothing is stored or written.

use e2e::{OwnHost, Person};
use serde_json::json;

#[test]
fn with_no_gateway_code_requests_are_503_and_nothing_reaches_the_log() {
    let host = OwnHost::start(&[("SPIN_VARIABLE_SMS_GATEWAY", String::new())]);
    let person = Person::new();
    let refused = host
        .api
        .post_json(
            "/api/v1/auth/otp/request",
            &json!({"phone": person.phone, "purpose": "register"}),
        )
        .problem(503);
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("not configured"),
        "{refused}"
    );
    let log = host.log();
    assert!(
        !log.contains(&person.phone[1..]),
        "the phone reached the log"
    );
    assert!(!log.contains("development mode"));
    let stored: i64 = e2e::admin_db()
        .query_one(
            "SELECT count(*) FROM auth.otp_codes WHERE phone = $1",
            &[&person.phone],
        )
        .unwrap()
        .get(0);
    assert_eq!(stored, 0, "no code stored");
}

#[test]
fn with_sms_gateway_log_codes_go_to_the_log_and_it_says_so() {
    let host = OwnHost::start(&[("SPIN_VARIABLE_SMS_GATEWAY", "log".into())]);
    let person = Person::new();
    let asked = host.api.post_json(
        "/api/v1/auth/otp/request",
        &json!({"phone": person.phone, "purpose": "register"}),
    );
    assert_eq!(asked.status, 202, "{}", asked.text);
    // The log is written as the component writes it: give it a moment.
    let started = std::time::Instant::now();
    let mut log = host.log();
    while !log.contains(&person.phone) && started.elapsed().as_secs() < 5 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        log = host.log();
    }
    assert!(log.contains(&person.phone), "the SMS is in the log");
    assert!(
        log.contains("sms_gateway = log: development mode"),
        "announced"
    );
}
