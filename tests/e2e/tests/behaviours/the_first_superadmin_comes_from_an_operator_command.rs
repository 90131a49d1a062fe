//! Nobody self-registers as staff, so the first superadmin is made by an
//! operator: `sql/create-superadmin`, run against the database as its owner,
//! with the password on standard input. It refuses once a superadmin exists.
//! The superadmin then signs in through the API and may grant every role.

use e2e::{OwnHost, Person};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn create_superadmin(owner: &str, person: &Person, password: &str) -> Output {
    let mut child = Command::new(repo().join("sql/create-superadmin"))
        .args([owner, &person.second_login, &person.phone, &person.email])
        .env("BCRYPT_COST", "4")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_first_superadmin_is_created_once_and_can_grant_everything() {
    let (owner, service) = e2e::fresh_database("superadmin");
    let admin = Person::new();
    let made = create_superadmin(&owner, &admin, &admin.password);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let said = String::from_utf8_lossy(&made.stdout);
    assert!(
        !said.contains(&admin.password),
        "the password is never echoed"
    );

    let second = create_superadmin(&owner, &Person::new(), "another good password");
    assert!(
        !second.status.success(),
        "a second first superadmin was made"
    );
    assert!(String::from_utf8_lossy(&second.stderr).contains("exists"));

    let host = OwnHost::start(&[("SPIN_VARIABLE_DB_URL", service)]);
    let login = host.api.login(&admin.second_login, &admin.password);
    assert_eq!(login.status, 200, "{}", login.text);
    let token = login.json()["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        e2e::claims_of(&token)["roles"],
        serde_json::json!(["superadmin"])
    );
    let roles = host.api.bearer("GET", "/api/v1/auth/roles", &token, None);
    assert_eq!(
        roles.json()["roles"].as_array().unwrap().len(),
        9,
        "{}",
        roles.text
    );

    let events: i64 = postgres::Client::connect(&owner, postgres::NoTls)
        .unwrap()
        .query_one(
            "SELECT count(*) FROM auth.outbox WHERE payload->>'second_login' = $1",
            &[&admin.second_login],
        )
        .unwrap()
        .get(0);
    assert_eq!(events, 1, "the superadmin's user.registered event");
}

#[test]
fn a_short_password_is_refused_before_anything_is_stored() {
    let (owner, _) = e2e::fresh_database("superadmin");
    let out = create_superadmin(&owner, &Person::new(), "short");
    assert!(!out.status.success());
    let users: i64 = postgres::Client::connect(&owner, postgres::NoTls)
        .unwrap()
        .query_one("SELECT count(*) FROM accounts.users", &[])
        .unwrap()
        .get(0);
    assert_eq!(users, 0);
}
