//! People the tests sign up: unique logins, phones and emails, signed-in
//! users, and the organizations and invitations they act in.

use crate::*;
use serde_json::{json, Value};

/// A number no other test in this run has, across every test process and
/// every pass of the suite (they share one database): for unique logins and
/// phones. Blocks of numbers are handed out by the run's Redis.
pub fn unique_number() -> u64 {
    use std::sync::Mutex;
    const BLOCK: u64 = 1_000;
    static NEXT: Mutex<(u64, u64)> = Mutex::new((0, 0));
    let mut next = NEXT.lock().unwrap();
    if next.0 == next.1 {
        let client = ::redis::Client::open(env("AUTH_REDIS_URL")).expect("the run's Redis");
        let mut connection = client.get_connection().expect("the run's Redis answers");
        let end: u64 = ::redis::cmd("INCRBY")
            .arg("e2e:unique-numbers")
            .arg(BLOCK)
            .query(&mut connection)
            .expect("INCRBY");
        *next = (end - BLOCK, end);
    }
    let n = next.0;
    next.0 += 1;
    // Spread over the seven digits a phone number has room for.
    (n * 7_919 + 1_000_003) % 10_000_000
}

/// Bytes no other call in this run gets (test keys and token hashes; not
/// for secrets).
pub fn unique_bytes<const N: usize>() -> [u8; N] {
    use sha2::{Digest, Sha256};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let mut out = [0u8; N];
    for (i, chunk) in out.chunks_mut(32).enumerate() {
        let seed = format!("{}-{}-{nanos}-{i}", unique_number(), std::process::id());
        let digest = Sha256::digest(seed.as_bytes());
        chunk.copy_from_slice(&digest[..chunk.len()]);
    }
    out
}

/// A person who can register: unique login, phone and email.
pub struct Person {
    pub second_login: String,
    /// As typed, in national format.
    pub phone_typed: String,
    /// As stored: E.164.
    pub phone: String,
    pub email: String,
    pub password: String,
}

impl Person {
    pub fn new() -> Person {
        let n = unique_number();
        Person {
            second_login: format!("user.{n}"),
            phone_typed: format!(
                "8 (912) {:03}-{:02}-{:02}",
                n / 10_000,
                (n / 100) % 100,
                n % 100
            ),
            phone: format!("+7912{n:07}"),
            // Not the login inside: a test that gives the login as a password
            // must not find it in a development-mode email line.
            email: format!("mail.{n}@example.com"),
            password: "correct horse battery".into(),
        }
    }

    pub fn registration(&self) -> Value {
        json!({
            "second_login": self.second_login,
            "phone": self.phone_typed,
            "email": self.email,
            "password": self.password,
            "profile": {"name": "Test Person"},
            "group_names": ["customer"],
            "interface": "customer_app",
        })
    }
}

impl Default for Person {
    fn default() -> Self {
        Self::new()
    }
}

/// A registered person and their first token pair.
pub struct SignedIn {
    pub person: Person,
    pub user_id: String,
    pub access_token: String,
    pub refresh_token: String,
}

pub fn sign_up(api: &Api) -> SignedIn {
    let person = Person::new();
    let reply = api.register(&person.registration());
    assert_eq!(reply.status, 201, "{}", reply.text);
    let body = reply.json();
    SignedIn {
        person,
        user_id: body["user"]["id"].as_str().unwrap().to_string(),
        access_token: body["access_token"].as_str().unwrap().to_string(),
        refresh_token: body["refresh_token"].as_str().unwrap().to_string(),
    }
}

/// Someone signed in holding exactly `roles` (set behind the API's back;
/// the token comes from a login after, so it names them).
pub fn signed_in_as(api: &Api, roles: &[&str]) -> SignedIn {
    let mut user = sign_up(api);
    set_roles(&user.user_id, roles);
    sign_in_again(api, &mut user);
    user
}

/// A fresh token pair from a login: its claims name the user's roles and
/// organizations as they are now.
pub fn sign_in_again(api: &Api, user: &mut SignedIn) {
    let login = api.login(&user.person.second_login, &user.person.password);
    assert_eq!(login.status, 200, "{}", login.text);
    let body = login.json();
    user.access_token = body["access_token"].as_str().unwrap().to_string();
    user.refresh_token = body["refresh_token"].as_str().unwrap().to_string();
}

/// A new organization of `kind` (`fleet`, or `firm` as a grocery store),
/// created through the API by staff; its id.
pub fn new_organization(api: &Api, staff: &SignedIn, kind: &str) -> String {
    let mut body = json!({"kind": kind, "name": format!("Org {}", unique_number())});
    if kind == "firm" {
        body["service_type"] = "grocery_store".into();
    }
    let reply = api.bearer(
        "POST",
        "/api/v1/organizations",
        &staff.access_token,
        Some(&body),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.json()["organization"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Staff appoint `user` head of the organization, through the API.
pub fn appoint_head(api: &Api, staff: &SignedIn, organization: &str, user: &str) {
    let reply = api.bearer(
        "POST",
        &format!("/api/v1/organizations/{organization}/heads"),
        &staff.access_token,
        Some(&json!({"user_id": user})),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
}

/// What a head's add of an existing person answers, whether or not it
/// made an invitation (202).
pub const INVITED_IF_ELIGIBLE: &str = r#"{"status":"invited_if_eligible"}"#;

/// The signed-in user's pending invitations (`GET /auth/invitations`).
pub fn invitations_of(api: &Api, user: &SignedIn) -> Vec<Value> {
    let reply = api.bearer("GET", "/api/v1/auth/invitations", &user.access_token, None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["invitations"].as_array().unwrap().clone()
}

/// `head` invites `user` (by id) into `organization`, and `user` accepts
/// the invitation: the membership, as the acceptance answers it.
pub fn invite_and_accept(api: &Api, head: &SignedIn, organization: &str, user: &SignedIn) -> Value {
    let invited = api.bearer(
        "POST",
        &format!("/api/v1/organizations/{organization}/members"),
        &head.access_token,
        Some(&json!({"user_id": user.user_id})),
    );
    assert_eq!(invited.status, 202, "{}", invited.text);
    let invitation = invitations_of(api, user)
        .into_iter()
        .find(|i| i["organization"]["id"] == organization)
        .expect("an invitation into the organization");
    let accepted = api.bearer(
        "POST",
        &format!(
            "/api/v1/auth/invitations/{}/accept",
            invitation["id"].as_str().unwrap()
        ),
        &user.access_token,
        None,
    );
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    accepted.json()["membership"].clone()
}
