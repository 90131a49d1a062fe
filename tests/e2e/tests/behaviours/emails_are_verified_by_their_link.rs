//! Emails are verified by a link sent to them (SPEC §2, §6a; issue 28 item
//! 2). Before: emails were stored and never verified, so nothing could be
//! sent to them safely, and an email someone registered first was theirs
//! for good. Now registering with an email, or adding one, sends a link to
//! `{email_link_base}/verify-email#token=…`; following it verifies the
//! email, once; and whoever verifies an email takes it from an account that
//! holds it unverified.

use e2e::{admin_db, sign_up, Mailbox, Person};
use serde_json::{json, Value};

fn email_of(me: &Value, address: &str) -> Option<Value> {
    me["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "email" && c["value"] == address)
        .cloned()
}

#[test]
fn a_registration_link_verifies_the_email_once() {
    let mailbox = Mailbox::start("webhook", &[]);
    let user = sign_up(mailbox.api());
    let email = &user.person.email;
    let me = mailbox.api().me(&user.access_token).json();
    assert_eq!(email_of(&me, email).unwrap()["verified"], false);

    let sent = mailbox.mail.emails_to(email);
    assert_eq!(sent.len(), 1, "one verification email");
    let text = sent[0].email_text().unwrap();
    assert!(
        text.contains("https://app.example.test/verify-email#token="),
        "the link opens the app, the token in the fragment: {text}"
    );

    let verified = mailbox.follow_verification_link(email);
    assert_eq!(verified.status, 200, "{}", verified.text);
    assert_eq!(verified.json(), json!({"email": email, "verified": true}));
    let me = mailbox.api().me(&user.access_token).json();
    assert_eq!(
        email_of(&me, email).unwrap()["verified"],
        true,
        "/me shows it"
    );

    let again = mailbox.follow_verification_link(email);
    let problem = again.problem(400);
    assert_eq!(problem["type"], "urn:auth:problem:invalid-link");
    assert_eq!(problem["errors"][0]["field"], "token");
}

#[test]
fn an_added_email_gets_a_link_and_a_new_one_on_request() {
    let mailbox = Mailbox::start("webhook", &[]);
    let user = sign_up(mailbox.api());
    let added_address = format!("second.{}", user.person.email);
    let added = mailbox.api().bearer(
        "POST",
        "/api/v1/auth/contacts",
        &user.access_token,
        Some(&json!({"type": "email", "value": added_address,
                     "current_password": user.person.password})),
    );
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(added.json()["contact"]["verified"], false);
    let first = mailbox
        .mail
        .link_for(&added_address, "verify-email")
        .unwrap();

    // A new link on request: both work until one is followed.
    let asked = mailbox.api().bearer(
        "POST",
        "/api/v1/auth/email/verification",
        &user.access_token,
        Some(&json!({"email": added_address.to_uppercase()})),
    );
    assert_eq!(asked.status, 202, "{}", asked.text);
    assert_eq!(asked.json()["expires_in"], 86400);
    let second = mailbox
        .mail
        .link_for(&added_address, "verify-email")
        .unwrap();
    assert_ne!(first, second);
    let verified = mailbox
        .api()
        .post_json("/api/v1/auth/email/verify", &json!({"token": second}));
    assert_eq!(verified.status, 200, "{}", verified.text);
    // One proof is enough: the other link is spent with it.
    let first_again = mailbox
        .api()
        .post_json("/api/v1/auth/email/verify", &json!({"token": first}));
    first_again.problem(400);

    // Nothing more to verify, and no link for someone else's address.
    let verified_already = mailbox.api().bearer(
        "POST",
        "/api/v1/auth/email/verification",
        &user.access_token,
        Some(&json!({"email": added_address})),
    );
    assert_eq!(verified_already.problem(422)["errors"][0]["field"], "email");
    let stranger = sign_up(mailbox.api());
    let not_mine = mailbox.api().bearer(
        "POST",
        "/api/v1/auth/email/verification",
        &user.access_token,
        Some(&json!({"email": stranger.person.email})),
    );
    assert_eq!(not_mine.problem(422)["errors"][0]["field"], "email");
    assert_eq!(
        mailbox.mail.emails_to(&stranger.person.email).len(),
        1,
        "the stranger got only their own registration's link"
    );
    // Signed in only.
    let anonymous = mailbox.api().post_json(
        "/api/v1/auth/email/verification",
        &json!({"email": added_address}),
    );
    anonymous.problem(401);
}

#[test]
fn whoever_verifies_an_email_takes_it_from_an_account_holding_it_unverified() {
    let mailbox = Mailbox::start("webhook", &[]);
    let squatter = sign_up(mailbox.api());
    let address = squatter.person.email.clone();

    // The owner registers with the same address: not refused (the squatter
    // never proved it), not theirs yet either.
    let owner = Person::new();
    let mut body = owner.registration();
    body["email"] = address.clone().into();
    let registered = mailbox.api().register(&body);
    assert_eq!(registered.status, 201, "{}", registered.text);
    let registered = registered.json();
    assert_eq!(registered["user"]["email_pending"], true);
    let owner_token = registered["access_token"].as_str().unwrap().to_string();
    let owner_id = registered["user"]["id"].as_str().unwrap().to_string();
    assert!(email_of(&mailbox.api().me(&owner_token).json(), &address).is_none());
    assert_eq!(
        mailbox.mail.emails_to(&address).len(),
        2,
        "the squatter's link and the owner's"
    );

    // The claim moves the address to the account that asked: opened by
    // anyone else (the holder, tricked into it), it changes nothing.
    let tricked = mailbox.follow_verification_link(&address);
    assert_eq!(
        tricked.problem(403)["type"],
        "urn:auth:problem:claim-needs-its-account"
    );
    let by_squatter = mailbox.follow_verification_link_as(&address, &squatter.access_token);
    by_squatter.problem(403);
    assert!(email_of(&mailbox.api().me(&squatter.access_token).json(), &address).is_some());
    // The owner, signed in, completes it; their other sessions end (a new
    // way to sign in).
    let owner_login = mailbox.api().login(&owner.second_login, &owner.password);
    let other_session = owner_login.json()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let verified = mailbox.follow_verification_link_as(&address, &owner_token);
    assert_eq!(verified.status, 200, "{}", verified.text);
    assert_eq!(mailbox.api().me(&other_session).status, 401);
    let mine = email_of(&mailbox.api().me(&owner_token).json(), &address).unwrap();
    assert_eq!(mine["verified"], true);
    assert!(
        email_of(&mailbox.api().me(&squatter.access_token).json(), &address).is_none(),
        "the squatter's contact ended"
    );
    let rows = admin_db()
        .query(
            "SELECT user_id::text, is_active, verified_at IS NOT NULL
             FROM accounts.contacts WHERE contact_type = 'email' AND value = $1
             ORDER BY created_at",
            &[&address],
        )
        .unwrap();
    let history: Vec<(String, bool, bool)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        history,
        vec![
            (squatter.user_id.clone(), false, false),
            (owner_id, true, true)
        ],
        "the squatter's contact kept as history"
    );

    // The squatter's own link, followed later, no longer takes it back.
    let squatters_link = mailbox.mail.emails_to(&address)[0].email_text().unwrap();
    let token = squatters_link
        .split("#token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let taken_back = mailbox.api().bearer(
        "POST",
        "/api/v1/auth/email/verify",
        &squatter.access_token,
        Some(&json!({"token": token})),
    );
    assert_eq!(taken_back.problem(409)["errors"][0]["field"], "email");
}

#[test]
fn an_email_someone_verified_stays_theirs() {
    let mailbox = Mailbox::start("webhook", &[]);
    let owner = mailbox.sign_up_verified();
    let mut body = Person::new().registration();
    body["email"] = owner.person.email.clone().into();
    let taken = mailbox.api().register(&body);
    assert_eq!(taken.problem(409)["errors"][0]["field"], "email");
}

#[test]
fn only_links_that_went_out_use_up_an_address_hourly_emails() {
    let mailbox = Mailbox::start(
        "webhook",
        &[("SPIN_VARIABLE_EMAIL_PER_ADDRESS_PER_HOUR", "2")],
    );
    let user = sign_up(mailbox.api());
    let ask = || {
        mailbox.api().bearer(
            "POST",
            "/api/v1/auth/email/verification",
            &user.access_token,
            Some(&json!({"email": user.person.email})),
        )
    };
    // The registration's link was the first of two; refused asks (a
    // stranger's address, here) use none.
    for _ in 0..4 {
        let stranger = mailbox.api().bearer(
            "POST",
            "/api/v1/auth/email/verification",
            &user.access_token,
            Some(&json!({"email": "someone.else@example.com"})),
        );
        stranger.problem(422);
    }
    assert_eq!(ask().status, 202, "the second email of the hour");
    let third = ask();
    assert_eq!(third.status, 429, "{}", third.text);
    assert!(third.header("retry-after").is_some());
    assert_eq!(mailbox.mail.emails_to(&user.person.email).len(), 2);
}

#[test]
fn one_account_sends_at_most_its_hourly_verification_links() {
    let mailbox = Mailbox::start("webhook", &[("SPIN_VARIABLE_EMAIL_PER_USER_PER_HOUR", "2")]);
    let user = sign_up(mailbox.api());
    // The registration's link was the first.
    let add = |address: &str| {
        mailbox.api().bearer(
            "POST",
            "/api/v1/auth/contacts",
            &user.access_token,
            Some(&json!({"type": "email", "value": address,
                         "current_password": user.person.password})),
        )
    };
    let second = format!("two.{}", user.person.email);
    let third = format!("three.{}", user.person.email);
    assert_eq!(add(&second).status, 201);
    assert_eq!(add(&third).status, 201, "the email is added all the same");
    assert_eq!(mailbox.mail.emails_to(&second).len(), 1);
    assert_eq!(
        mailbox.mail.emails_to(&third).len(),
        0,
        "past the account's hourly links: none sent"
    );
    let again = mailbox.api().bearer(
        "POST",
        "/api/v1/auth/email/verification",
        &user.access_token,
        Some(&json!({"email": third})),
    );
    assert_eq!(again.status, 429, "{}", again.text);
}

#[test]
fn without_an_email_gateway_emails_are_kept_and_no_link_is_stored() {
    let host = e2e::OwnHost::start(&[("SPIN_VARIABLE_EMAIL_GATEWAY", String::new())]);
    let user = sign_up(&host.api);
    let added = host.api.bearer(
        "POST",
        "/api/v1/auth/contacts",
        &user.access_token,
        Some(
            &json!({"type": "email", "value": format!("more.{}", user.person.email),
                     "current_password": user.person.password}),
        ),
    );
    assert_eq!(added.status, 201, "{}", added.text);
    let links: i64 = admin_db()
        .query_one(
            "SELECT count(*) FROM auth.email_links WHERE user_id = $1::text::uuid",
            &[&user.user_id],
        )
        .unwrap()
        .get(0);
    assert_eq!(links, 0, "nothing stored that could never be sent");
    let asked = host.api.bearer(
        "POST",
        "/api/v1/auth/email/verification",
        &user.access_token,
        Some(&json!({"email": user.person.email})),
    );
    assert!(asked.problem(503)["detail"]
        .as_str()
        .unwrap()
        .contains("email gateway"));
}

#[test]
fn a_link_opened_signed_in_to_another_account_changes_nothing() {
    // A squatter registers someone's address; its owner, signed in to
    // their own account, opens the squatter's link: it must not make the
    // squatter's hold permanent.
    let mailbox = Mailbox::start("webhook", &[]);
    let squatter = sign_up(mailbox.api());
    let owner = sign_up(mailbox.api());
    let opened = mailbox.follow_verification_link_as(&squatter.person.email, &owner.access_token);
    assert_eq!(
        opened.problem(403)["type"],
        "urn:auth:problem:link-of-another-account"
    );
    let me = mailbox.api().me(&squatter.access_token).json();
    assert_eq!(
        email_of(&me, &squatter.person.email).unwrap()["verified"],
        false
    );
}
