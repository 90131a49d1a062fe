//! Contacts (SPEC §2): a new phone or login replaces the active one, which
//! stays as history, no longer logs in and is free for others; emails
//! accumulate and each can be removed; nobody loses their last login or
//! phone; one active value belongs to one user, also when two race for it.

use e2e::{admin_db, phone_proof, sign_up, Api, Person, Reply, SignedIn};
use serde_json::json;
use std::sync::{Arc, Barrier};

/// Adds a contact with the password (a sensitive change), a phone also with
/// a proof that it received its code (made behind the API's back here: the
/// codes themselves are `phone_codes_sign_in_and_sign_up.rs`'s).
fn add(api: &Api, user: &SignedIn, kind: &str, value: &str) -> Reply {
    let body = if kind == "phone" {
        json!({"type": kind, "value": value, "phone_proof": phone_proof(&user.user_id, value),
               "current_password": user.person.password})
    } else {
        json!({"type": kind, "value": value, "current_password": user.person.password})
    };
    api.bearer(
        "POST",
        "/api/v1/auth/contacts",
        &user.access_token,
        Some(&body),
    )
}

/// The user's contacts of a kind: (value, active), oldest first.
fn history(user: &SignedIn, kind: &str) -> Vec<(String, bool)> {
    admin_db()
        .query(
            "SELECT value, is_active FROM accounts.contacts
             WHERE user_id = $1::text::uuid AND contact_type = $2 ORDER BY created_at",
            &[&user.user_id, &kind],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[test]
fn a_replaced_phone_no_longer_logs_in_and_stays_in_the_history() {
    let api = Api::new();
    let user = sign_up(&api);
    let new_phone = Person::new();
    // Typed in a national spelling; stored in E.164.
    let added = add(&api, &user, "phone", &new_phone.phone_typed);
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(added.json()["contact"]["value"], new_phone.phone.as_str());
    // Proven by its code: verified.
    assert_eq!(added.json()["contact"]["verified"], true);

    api.login(&user.person.phone, &user.person.password)
        .problem(401);
    assert_eq!(
        api.login(&new_phone.phone, &user.person.password).status,
        200
    );
    assert_eq!(
        history(&user, "phone"),
        vec![
            (user.person.phone.clone(), false),
            (new_phone.phone.clone(), true)
        ]
    );
    // /me shows the active one, with its id.
    let me = api.me(&user.access_token).json();
    let phones: Vec<&serde_json::Value> = me["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "phone")
        .collect();
    assert_eq!(phones.len(), 1);
    assert_eq!(phones[0]["value"], new_phone.phone.as_str());
    assert!(phones[0]["id"].is_string());

    // The old phone is free for someone else now.
    let other = sign_up(&api);
    assert_eq!(add(&api, &other, "phone", &user.person.phone).status, 201);
}

#[test]
fn a_new_login_replaces_the_old_one_in_any_spelling() {
    let api = Api::new();
    let user = sign_up(&api);
    let fresh = format!("renamed.{}", e2e::unique_number());
    let added = add(&api, &user, "second_login", &fresh.to_uppercase());
    assert_eq!(added.status, 201, "{}", added.text);
    api.login(&user.person.second_login, &user.person.password)
        .problem(401);
    assert_eq!(api.login(&fresh, &user.person.password).status, 200);
    assert_eq!(
        api.me(&user.access_token).json()["second_login"],
        fresh.as_str()
    );
}

#[test]
fn emails_accumulate_and_can_be_removed_but_a_login_or_phone_cannot() {
    let api = Api::new();
    let user = sign_up(&api);
    let second = format!("second.{}@Example.COM", e2e::unique_number());
    let added = add(&api, &user, "email", &second);
    assert_eq!(added.status, 201, "{}", added.text);
    let id = added.json()["contact"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        history(&user, "email")
            .iter()
            .filter(|(_, active)| *active)
            .count(),
        2
    );
    assert_eq!(
        api.login(&second.to_lowercase(), &user.person.password)
            .status,
        200
    );

    let removed = api.bearer(
        "DELETE",
        &format!("/api/v1/auth/contacts/{id}"),
        &user.access_token,
        None,
    );
    assert_eq!(removed.status, 204, "{}", removed.text);
    api.login(&second.to_lowercase(), &user.person.password)
        .problem(401);

    let me = api.me(&user.access_token).json();
    for kind in ["second_login", "phone"] {
        let id = me["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == kind)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let refused = api.bearer(
            "DELETE",
            &format!("/api/v1/auth/contacts/{id}"),
            &user.access_token,
            None,
        );
        assert_eq!(refused.problem(409)["errors"][0]["field"], kind);
    }
    // Someone else's contact is not found.
    let other = sign_up(&api);
    let removed = api.bearer(
        "DELETE",
        &format!("/api/v1/auth/contacts/{id}"),
        &other.access_token,
        None,
    );
    removed.problem(404);
}

#[test]
fn adding_needs_the_current_password_and_a_free_value() {
    let api = Api::new();
    let (user, other) = (sign_up(&api), sign_up(&api));
    let wrong = api.bearer(
        "POST",
        "/api/v1/auth/contacts",
        &user.access_token,
        Some(&json!({"type": "email", "value": "x@example.com", "current_password": "not it"})),
    );
    assert_eq!(wrong.problem(422)["errors"][0]["field"], "current_password");
    // Someone's verified email is theirs (verified here behind the API's
    // back); one held unverified is only claimed (its link decides).
    let unverified = add(&api, &user, "email", &other.person.email.to_uppercase());
    assert_eq!(unverified.status, 202, "{}", unverified.text);
    assert_eq!(unverified.json()["status"], "verification_sent");
    admin_db()
        .execute(
            "UPDATE accounts.contacts SET verified_at = now()
             WHERE user_id = $1::text::uuid AND contact_type = 'email'",
            &[&other.user_id],
        )
        .unwrap();
    let taken = add(&api, &user, "email", &other.person.email.to_uppercase());
    assert_eq!(taken.problem(409)["errors"][0]["field"], "email");
    add(&api, &user, "fax", "123").problem(422);
    add(&api, &user, "phone", "not a phone").problem(422);
}

#[test]
fn twenty_pairs_racing_for_one_phone_each_have_one_winner() {
    let api = Api::new();
    let pairs: Vec<(SignedIn, SignedIn, String)> = (0..20)
        .map(|_| (sign_up(&api), sign_up(&api), Person::new().phone))
        .collect();
    let barrier = Arc::new(Barrier::new(40));
    let mut threads = Vec::new();
    for (a, b, phone) in &pairs {
        for user in [a, b] {
            let (token, proof, phone, barrier, password) = (
                user.access_token.clone(),
                phone_proof(&user.user_id, phone),
                phone.clone(),
                barrier.clone(),
                user.person.password.clone(),
            );
            threads.push(std::thread::spawn(move || {
                let api = Api::new();
                barrier.wait();
                api.bearer(
                    "POST",
                    "/api/v1/auth/contacts",
                    &token,
                    Some(
                        &json!({"type": "phone", "value": phone, "phone_proof": proof,
                                  "current_password": password}),
                    ),
                )
                .status
            }));
        }
    }
    let statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    for (i, pair) in statuses.chunks(2).enumerate() {
        let mut pair = pair.to_vec();
        pair.sort();
        assert_eq!(pair, vec![201, 409], "pair {i}");
    }
    for (a, b, phone) in &pairs {
        let owners: i64 = admin_db()
            .query_one(
                "SELECT count(*) FROM accounts.contacts WHERE contact_type = 'phone' AND value = $1 AND is_active",
                &[phone],
            )
            .unwrap()
            .get(0);
        assert_eq!(owners, 1);
        // The loser kept their phone: a failed replacement changes nothing.
        for user in [a, b] {
            assert_eq!(
                history(user, "phone")
                    .iter()
                    .filter(|(_, active)| *active)
                    .count(),
                1
            );
        }
    }
}
