//! A login, phone or verified email that is already someone's gets 409
//! naming that field, and the refused registration leaves nothing behind.

use e2e::{admin_db, traces_of, Api, Person};

fn assert_conflict_on(field: &str, reuse: impl Fn(&Person, &mut serde_json::Value)) {
    let api = Api::new();
    let first = Person::new();
    assert_eq!(api.register(&first.registration()).status, 201);
    // Verified by its link (here behind the API's back): an email held
    // unverified is only claimed, not refused (see
    // emails_are_verified_by_their_link.rs).
    admin_db()
        .execute(
            "UPDATE accounts.contacts SET verified_at = now()
             WHERE contact_type = 'email' AND value = $1",
            &[&first.email],
        )
        .unwrap();

    let second = Person::new();
    let mut body = second.registration();
    reuse(&first, &mut body);
    let problem = api.register(&body).problem(409);
    assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains(field));

    // Nothing of the refused registration remains (its other values are free).
    let mut db = admin_db();
    let (login, phone) = match field {
        "second_login" => ("-", second.phone.as_str()),
        "phone" => (second.second_login.as_str(), "-"),
        _ => (second.second_login.as_str(), second.phone.as_str()),
    };
    assert_eq!(traces_of(&mut db, login, phone), 0);
}

#[test]
fn taken_second_login_is_409_naming_it() {
    // Spelled differently, it still normalizes to the taken one.
    assert_conflict_on("second_login", |first, body| {
        body["second_login"] = first.second_login.to_uppercase().into()
    });
}

#[test]
fn taken_phone_is_409_naming_it() {
    assert_conflict_on("phone", |first, body| {
        body["phone"] = first.phone.clone().into()
    });
}

#[test]
fn taken_email_is_409_naming_it() {
    assert_conflict_on("email", |first, body| {
        body["email"] = format!(" {} ", first.email.to_uppercase()).into()
    });
}
