//! A stolen access token must not become the account (SPEC §2, issue 27
//! item 1). Before: with the victim's access token alone, a `verify_phone`
//! code to the attacker's own phone bought a proof that replaced the
//! victim's phone (201), and a phone-only victim's first password could be
//! set (204). Now changing how one signs in is a sensitive change: it takes
//! the current password, or a `reauth` code sent to the account's verified
//! phone; it ends the user's other sessions, is logged, and a replaced
//! phone is told.

use e2e::{sign_up, Person, PhoneCodes, Reply, SignedIn};
use serde_json::{json, Value};

fn contacts(codes: &PhoneCodes, token: &str, body: &Value) -> Reply {
    codes
        .api()
        .bearer("POST", "/api/v1/auth/contacts", token, Some(body))
}

fn password(codes: &PhoneCodes, token: &str, body: &Value) -> Reply {
    codes
        .api()
        .bearer("POST", "/api/v1/auth/password", token, Some(body))
}

fn phones_of(codes: &PhoneCodes, user: &SignedIn) -> Vec<String> {
    let me = codes.api().me(&user.access_token);
    assert_eq!(me.status, 200, "{}", me.text);
    me.json()["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "phone")
        .map(|c| c["value"].as_str().unwrap().to_string())
        .collect()
}

/// A phone-only account: signed up with a `register` code, no password.
fn phone_only(codes: &PhoneCodes) -> SignedIn {
    let person = Person::new();
    let asked = codes.ask(None, &json!({"phone": person.phone, "purpose": "register"}));
    assert_eq!(asked.status, 202, "{}", asked.text);
    let code = codes.gateway.code_for(&person.phone).unwrap();
    let proven = codes.verify(
        None,
        &json!({"phone": person.phone, "purpose": "register", "code": code}),
    );
    assert_eq!(proven.status, 200, "{}", proven.text);
    let mut body = person.registration();
    body.as_object_mut().unwrap().remove("password");
    body["phone_proof"] = proven.json()["phone_proof"].clone();
    let registered = codes.api().register(&body);
    assert_eq!(registered.status, 201, "{}", registered.text);
    let json = registered.json();
    SignedIn {
        person,
        user_id: json["user"]["id"].as_str().unwrap().to_string(),
        access_token: json["access_token"].as_str().unwrap().to_string(),
        refresh_token: json["refresh_token"].as_str().unwrap().to_string(),
    }
}

#[test]
fn a_phone_proven_with_a_stolen_token_does_not_replace_the_victims_phone() {
    let codes = PhoneCodes::start(&[]);
    let victim = sign_up(codes.api());
    let attackers_phone = Person::new().phone;
    // The attacker can prove their own phone with the victim's token...
    let proof = codes.phone_proof(&victim.access_token, &attackers_phone);
    // ...but not make it the victim's without a fresh proof of the account.
    let refused = contacts(
        &codes,
        &victim.access_token,
        &json!({"type": "phone", "value": attackers_phone, "phone_proof": proof}),
    )
    .problem(403);
    assert_eq!(refused["type"], "urn:auth:problem:reauth-required");
    assert_eq!(
        phones_of(&codes, &victim),
        vec![victim.person.phone.clone()]
    );
    // Nor with a wrong password, nor by a reauth code of an account whose
    // phone was never verified (no code goes to an unverified phone).
    contacts(
        &codes,
        &victim.access_token,
        &json!({"type": "phone", "value": attackers_phone, "phone_proof": proof,
                "current_password": "not the password"}),
    )
    .problem(422);
    let no_phone = codes
        .ask(Some(&victim.access_token), &json!({"purpose": "reauth"}))
        .problem(422);
    assert_eq!(no_phone["errors"][0]["field"], "purpose");
    assert_eq!(
        phones_of(&codes, &victim),
        vec![victim.person.phone.clone()]
    );
    // Email and login are sensitive too.
    let refused = contacts(
        &codes,
        &victim.access_token,
        &json!({"type": "email", "value": format!("thief.{}@example.com", e2e::unique_number())}),
    )
    .problem(403);
    assert_eq!(refused["type"], "urn:auth:problem:reauth-required");
}

#[test]
fn verify_phone_codes_are_for_signed_in_users_and_their_proofs_for_them_alone() {
    let codes = PhoneCodes::start(&[]);
    let phone = Person::new().phone;
    let anonymous = codes.ask(None, &json!({"phone": phone, "purpose": "verify_phone"}));
    anonymous.problem(401);
    assert_eq!(codes.sent_to(&phone), 0, "no SMS for an anonymous request");
    codes
        .verify(
            None,
            &json!({"phone": phone, "purpose": "verify_phone", "code": "123456"}),
        )
        .problem(401);

    let (alice, mallory) = (sign_up(codes.api()), sign_up(codes.api()));
    // Mallory's proof of a phone is no proof for Alice...
    let proof = codes.phone_proof(&mallory.access_token, &phone);
    let refused = contacts(
        &codes,
        &alice.access_token,
        &json!({"type": "phone", "value": phone, "phone_proof": proof,
                "current_password": alice.person.password}),
    )
    .problem(422);
    assert_eq!(refused["errors"][0]["field"], "phone_proof");
    // ...nor is a code Mallory asked for, tried by Alice.
    let asked = codes.ask(
        Some(&mallory.access_token),
        &json!({"phone": Person::new().phone, "purpose": "verify_phone"}),
    );
    assert_eq!(asked.status, 202, "{}", asked.text);
    let (to, code) = {
        let last = codes.gateway.received().pop().unwrap();
        let to = last.to().unwrap();
        (to.clone(), codes.gateway.code_for(&to).unwrap())
    };
    codes
        .verify(
            Some(&alice.access_token),
            &json!({"phone": to, "purpose": "verify_phone", "code": code}),
        )
        .problem(401);
    // The code still works for Mallory: Alice's try spent nothing of it.
    let mine = codes.verify(
        Some(&mallory.access_token),
        &json!({"phone": to, "purpose": "verify_phone", "code": code}),
    );
    assert_eq!(mine.status, 200, "{}", mine.text);
}

#[test]
fn a_phone_only_account_sets_its_first_password_only_with_a_reauth_code() {
    let codes = PhoneCodes::start(&[]);
    let victim = phone_only(&codes);
    // A second session of the owner, which the change must end.
    let phone = victim.person.phone.clone();
    let asked = codes.ask(None, &json!({"phone": phone, "purpose": "login"}));
    assert_eq!(asked.status, 202, "{}", asked.text);
    let code = codes.gateway.code_for(&phone).unwrap();
    let other = codes.verify(
        None,
        &json!({"phone": phone, "purpose": "login", "code": code}),
    );
    assert_eq!(other.status, 200, "{}", other.text);
    let other_access = other.json()["access_token"].as_str().unwrap().to_string();

    // The stolen token alone sets nothing.
    let refused = password(
        &codes,
        &victim.access_token,
        &json!({"new_password": "the thief's password"}),
    )
    .problem(403);
    assert_eq!(refused["type"], "urn:auth:problem:reauth-required");
    assert_eq!(codes.api().me(&other_access).status, 200, "nothing ended");

    // The owner, with the code sent to their verified phone, may.
    let reauth = codes.reauth_proof(&victim.access_token, &phone);
    let set = password(
        &codes,
        &victim.access_token,
        &json!({"new_password": "a first password", "reauth_proof": reauth}),
    );
    assert_eq!(set.status, 204, "{}", set.text);
    // One use.
    let again = password(
        &codes,
        &victim.access_token,
        &json!({"new_password": "a second password", "reauth_proof": reauth}),
    )
    .problem(422);
    assert_eq!(again["errors"][0]["field"], "reauth_proof");
    assert_eq!(
        codes
            .api()
            .login(&victim.person.second_login, "a first password")
            .status,
        200
    );
    // Every other session ended; this one goes on.
    codes.api().me(&other_access).problem(401);
    assert_eq!(codes.api().me(&victim.access_token).status, 200);
    assert!(codes
        .host
        .log()
        .lines()
        .any(|l| l.contains("\"password.set\"") && l.contains(&victim.user_id)));
}

#[test]
fn replacing_a_phone_ends_the_other_sessions_and_tells_the_old_phone() {
    let codes = PhoneCodes::start(&[]);
    let user = sign_up(codes.api());
    codes.verify_own_phone(&user);
    let second = codes
        .api()
        .login(&user.person.second_login, &user.person.password);
    assert_eq!(second.status, 200, "{}", second.text);
    let second_access = second.json()["access_token"].as_str().unwrap().to_string();

    let new_phone = Person::new().phone;
    let proof = codes.phone_proof(&user.access_token, &new_phone);
    let reauth = codes.reauth_proof(&user.access_token, &user.person.phone);
    let added = contacts(
        &codes,
        &user.access_token,
        &json!({"type": "phone", "value": new_phone, "phone_proof": proof, "reauth_proof": reauth}),
    );
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(phones_of(&codes, &user), vec![new_phone.clone()]);
    codes.api().me(&second_access).problem(401);
    let notice = codes
        .gateway
        .received()
        .into_iter()
        .rev()
        .find(|m| m.to().as_deref() == Some(user.person.phone.as_str()))
        .and_then(|m| m.text())
        .unwrap();
    assert!(
        notice.contains(&new_phone[new_phone.len() - 4..]),
        "{notice}"
    );
    assert!(
        !notice.contains(&new_phone),
        "the new number is partly hidden: {notice}"
    );
    assert!(codes
        .host
        .log()
        .lines()
        .any(|l| l.contains("\"contact.changed\"") && l.contains(&user.user_id)));
    // The old phone signs in no more; the new one does, by code.
    let asked = codes.ask(
        None,
        &json!({"phone": user.person.phone, "purpose": "login"}),
    );
    assert_eq!(asked.status, 202);
    let sent_before = codes.sent_to(&new_phone);
    let asked = codes.ask(None, &json!({"phone": new_phone, "purpose": "login"}));
    assert_eq!(asked.status, 202);
    assert_eq!(codes.sent_to(&new_phone), sent_before + 1);
}
