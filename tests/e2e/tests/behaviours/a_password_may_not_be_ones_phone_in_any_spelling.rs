//! A password may not be the user's own phone number, however it is spelled:
//! `8 (912) 345-67-89`, `+7 912 345 67 89` and `+79123456789` are one phone,
//! at registration and at a password change alike.

use e2e::{sign_up, Api, Person};
use serde_json::json;

/// The person's phone as someone else would type it: `+7 912 345 67 89`.
fn spelled_otherwise(person: &Person) -> String {
    let digits = &person.phone[2..]; // after "+7"
    format!(
        "+7 {} {} {} {}",
        &digits[..3],
        &digits[3..6],
        &digits[6..8],
        &digits[8..]
    )
}

#[test]
fn registration_refuses_the_phone_as_password() {
    let api = Api::new();
    let person = Person::new();
    for password in [spelled_otherwise(&person), person.phone_typed.clone()] {
        let mut body = person.registration();
        body["password"] = password.clone().into();
        let problem = api.register(&body).problem(422);
        assert_eq!(
            problem["errors"][0]["field"], "password",
            "{password}: {problem}"
        );
    }
}

#[test]
fn a_password_change_refuses_the_phone_as_the_new_password() {
    let api = Api::new();
    let user = sign_up(&api);
    let reply = api.bearer(
        "POST",
        "/api/v1/auth/password",
        &user.access_token,
        Some(&json!({
            "current_password": user.person.password,
            "new_password": spelled_otherwise(&user.person),
        })),
    );
    let problem = reply.problem(422);
    assert_eq!(problem["errors"][0]["field"], "new_password", "{problem}");
}
