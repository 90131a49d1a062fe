//! An unverified phone must not let its squatter keep the account (SPEC §2,
//! issue 27 item 2). Before: anyone could register with someone else's
//! phone and a password; `login` codes went to that unverified phone and
//! its real owner, signing in by code, landed in the squatter's account.
//! Now only a verified phone receives login codes, and whoever proves a
//! phone takes it from an account that holds it unverified.

use e2e::{admin_db, sign_up, signed_in_as, Person, PhoneCodes};
use serde_json::json;

#[test]
fn the_owner_of_a_squatted_phone_gets_no_login_code_but_takes_it_by_registering() {
    let codes = PhoneCodes::start(&[]);
    let squatter = sign_up(codes.api());
    let phone = squatter.person.phone.clone();
    let me = codes.api().me(&squatter.access_token).json();
    let held = me["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "phone")
        .unwrap()
        .clone();
    assert_eq!(held["verified"], false, "/me says the phone is unverified");
    // Staff see it too, in the user list.
    let staff = signed_in_as(codes.api(), &["support"]);
    let listed = codes.api().bearer(
        "GET",
        &format!("/api/v1/users?phone={}", phone.replace('+', "%2B")),
        &staff.access_token,
        None,
    );
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(
        listed.json()["users"][0]["phone"],
        json!({"value": phone, "verified": false})
    );

    // The owner asks to sign in by code: no SMS to an unverified phone (and
    // the answer is the one an unknown phone gets).
    let asked = codes.ask(None, &json!({"phone": phone, "purpose": "login"}));
    assert_eq!(asked.status, 202, "{}", asked.text);
    assert_eq!(codes.sent_to(&phone), 0);

    // A register code does go to it, and registering with its proof takes it.
    let asked = codes.ask(None, &json!({"phone": phone, "purpose": "register"}));
    assert_eq!(asked.status, 202, "{}", asked.text);
    assert_eq!(codes.sent_to(&phone), 1);
    let code = codes.gateway.code_for(&phone).unwrap();
    let proven = codes.verify(
        None,
        &json!({"phone": phone, "purpose": "register", "code": code}),
    );
    assert_eq!(proven.status, 200, "{}", proven.text);
    let owner = Person::new();
    let mut body = owner.registration();
    body.as_object_mut().unwrap().remove("password");
    body["phone"] = phone.clone().into();
    body["phone_proof"] = proven.json()["phone_proof"].clone();
    let registered = codes.api().register(&body);
    assert_eq!(registered.status, 201, "{}", registered.text);
    let owner_id = registered.json()["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The squatter's contact ended (kept as history), their account lives.
    let rows = admin_db()
        .query(
            "SELECT is_active FROM accounts.contacts WHERE user_id = $1::text::uuid AND contact_type = 'phone'",
            &[&squatter.user_id],
        )
        .unwrap();
    assert_eq!(rows.len(), 1, "history kept");
    assert!(!rows[0].get::<_, bool>(0));
    let me = codes.api().me(&squatter.access_token).json();
    assert!(me["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["type"] != "phone"));
    assert_eq!(
        codes
            .api()
            .login(&squatter.person.second_login, &squatter.person.password)
            .status,
        200
    );
    codes
        .api()
        .login(&phone, &squatter.person.password)
        .problem(401);
    assert!(codes
        .host
        .log()
        .lines()
        .any(|l| l.contains("\"contact.unverified_taken\"")
            && l.contains(&squatter.user_id)
            && l.contains(&owner_id)));

    // The owner signs in by code into their own account.
    let asked = codes.ask(None, &json!({"phone": phone, "purpose": "login"}));
    assert_eq!(asked.status, 202, "{}", asked.text);
    assert_eq!(codes.sent_to(&phone), 2);
    let code = codes.gateway.code_for(&phone).unwrap();
    let signed_in = codes.verify(
        None,
        &json!({"phone": phone, "purpose": "login", "code": code}),
    );
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    let me = codes
        .api()
        .me(signed_in.json()["access_token"].as_str().unwrap())
        .json();
    assert_eq!(me["id"], owner_id.as_str());
}

#[test]
fn a_signed_in_user_who_proves_a_squatted_phone_takes_it() {
    let codes = PhoneCodes::start(&[]);
    let squatter = sign_up(codes.api());
    let owner = sign_up(codes.api());
    let phone = squatter.person.phone.clone();
    let proof = codes.phone_proof(&owner.access_token, &phone);
    let added = codes.api().bearer(
        "POST",
        "/api/v1/auth/contacts",
        &owner.access_token,
        Some(
            &json!({"type": "phone", "value": phone, "phone_proof": proof,
                      "current_password": owner.person.password}),
        ),
    );
    assert_eq!(added.status, 201, "{}", added.text);
    let me = codes.api().me(&squatter.access_token).json();
    assert!(me["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["type"] != "phone"));
    // A verified phone is nobody else's to take: no code goes to it for
    // anyone else.
    let third = sign_up(codes.api());
    let before = codes.sent_to(&phone);
    let asked = codes.ask(
        Some(&third.access_token),
        &json!({"phone": phone, "purpose": "verify_phone"}),
    );
    assert_eq!(asked.status, 202);
    assert_eq!(codes.sent_to(&phone), before);
}

/// A squatter asking `verify_phone` codes for the phone it holds, or anyone
/// guessing `register` codes for a phone, never spoils its owner's codes
/// nor locks the owner out: codes and their counters are per purpose, and
/// a `verify_phone` code per asker. Before: the squatter's request replaced
/// the owner's pending code and used up the phone's hourly cap; register
/// guesses locked the phone's login codes.
#[test]
fn a_squatter_asking_or_guessing_codes_never_spoils_the_owners() {
    let codes = PhoneCodes::start(&[
        ("SPIN_VARIABLE_OTP_SMS_PER_PHONE_PER_HOUR", "3"),
        ("SPIN_VARIABLE_LOGIN_MAX_FAILURES", "3"),
    ]);
    let squatter = sign_up(codes.api());
    let owner = sign_up(codes.api());
    let phone = squatter.person.phone.clone();
    let asked = codes.ask(
        Some(&owner.access_token),
        &json!({"phone": phone, "purpose": "verify_phone"}),
    );
    assert_eq!(asked.status, 202, "{}", asked.text);
    let owners_code = codes.gateway.code_for(&phone).unwrap();
    for _ in 0..3 {
        let asked = codes.ask(
            Some(&squatter.access_token),
            &json!({"phone": phone, "purpose": "verify_phone"}),
        );
        assert_eq!(asked.status, 202, "{}", asked.text);
    }
    codes
        .ask(
            Some(&squatter.access_token),
            &json!({"phone": phone, "purpose": "verify_phone"}),
        )
        .problem(429);
    // The owner's code still proves the phone, and the owner may still ask.
    let proven = codes.verify(
        Some(&owner.access_token),
        &json!({"phone": phone, "purpose": "verify_phone", "code": owners_code}),
    );
    assert_eq!(proven.status, 200, "{}", proven.text);
    let asked = codes.ask(
        Some(&owner.access_token),
        &json!({"phone": phone, "purpose": "verify_phone"}),
    );
    assert_eq!(asked.status, 202, "{}", asked.text);

    // Wrong register guesses for a verified phone lock register tries only.
    let other = sign_up(codes.api());
    codes.verify_own_phone(&other);
    let theirs = other.person.phone.clone();
    for _ in 0..4 {
        codes.verify(
            None,
            &json!({"phone": theirs, "purpose": "register", "code": "000000"}),
        );
    }
    let asked = codes.ask(None, &json!({"phone": theirs, "purpose": "login"}));
    assert_eq!(asked.status, 202, "{}", asked.text);
    let code = codes.gateway.code_for(&theirs).unwrap();
    let signed_in = codes.verify(
        None,
        &json!({"phone": theirs, "purpose": "login", "code": code}),
    );
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
}
