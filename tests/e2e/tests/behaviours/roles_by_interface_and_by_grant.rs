//! `GET /auth/roles` (SPEC §3): anonymous with `?interface=`, the roles that
//! app lets people self-register into; signed in, the roles the caller may
//! grant. Both are data: a grant row added in the database changes the answer
//! at once, and so does a role taken from the caller — even while their
//! access token still names it.

use e2e::{admin_db, set_roles, sign_up, Api, SignedIn};
use serde_json::Value;

/// The role names listed, leaving out roles other tests make for
/// themselves (described "Test role") unless `keep` names one.
fn names_keeping(reply: &e2e::Reply, keep: &str) -> Vec<String> {
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["roles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["description"] != "Test role" || r["name"] == keep)
        .map(|r| {
            assert!(r["description"].is_string(), "{r}");
            r["name"].as_str().unwrap().to_string()
        })
        .collect()
}

fn names(reply: &e2e::Reply) -> Vec<String> {
    names_keeping(reply, "")
}

fn sorted(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn grantable(api: &Api, user: &SignedIn) -> Vec<String> {
    names(&api.bearer("GET", "/api/v1/auth/roles", &user.access_token, None))
}

#[test]
fn each_interface_offers_its_self_registration_roles() {
    let api = Api::new();
    for (interface, expected) in e2e::SELF_REGISTRATION {
        let reply = api.get(&format!("/api/v1/auth/roles?interface={interface}"));
        assert_eq!(names(&reply), sorted(expected), "{interface}");
    }
    let unknown = api
        .get("/api/v1/auth/roles?interface=no_such_app")
        .problem(422);
    assert_eq!(unknown["errors"][0]["field"], "interface");
    api.get("/api/v1/auth/roles").problem(422);
}

#[test]
fn each_role_may_grant_what_spec_section_3_says() {
    let api = Api::new();
    for role in e2e::ROLES {
        let may_grant = e2e::spec_grants(role);
        let user = sign_up(&api);
        set_roles(&user.user_id, &[role]);
        assert_eq!(grantable(&api, &user), sorted(&may_grant), "{role}");
    }
    // Two roles grant the union of both.
    let user = sign_up(&api);
    set_roles(&user.user_id, &["support", "executor_head"]);
    assert_eq!(
        grantable(&api, &user),
        sorted(&["customer", "driver", "courier"])
    );
}

#[test]
fn a_grant_row_changes_the_answer_with_no_rebuild() {
    let api = Api::new();
    let user = sign_up(&api);
    set_roles(&user.user_id, &["service_head"]);
    assert_eq!(grantable(&api, &user), sorted(&["service_staff"]));
    // A new role, and a grant of it to service heads: data, not code.
    let role = e2e::new_test_role("service_head");
    let mut db = admin_db();
    let now = names_keeping(
        &api.bearer("GET", "/api/v1/auth/roles", &user.access_token, None),
        &role,
    );
    db.execute(
        "DELETE FROM accounts.grants WHERE grantee_group = $1",
        &[&role],
    )
    .unwrap();
    db.execute("DELETE FROM accounts.groups WHERE name = $1", &[&role])
        .unwrap();
    assert_eq!(now, sorted(&[role.as_str(), "service_staff"]));
}

#[test]
fn a_revoked_role_stops_granting_at_once_though_the_token_still_names_it() {
    let api = Api::new();
    let user = sign_up(&api);
    set_roles(&user.user_id, &["manager"]);
    // A token that says "manager".
    let login = api.login(&user.person.second_login, &user.person.password);
    let token = login.json()["access_token"].as_str().unwrap().to_string();
    let claims: Value = e2e::claims_of(&token);
    assert_eq!(claims["roles"], serde_json::json!(["manager"]));
    let manager = SignedIn {
        access_token: token,
        person: user.person,
        user_id: user.user_id,
        refresh_token: String::new(),
    };
    assert_eq!(grantable(&api, &manager).len(), 6);
    set_roles(&manager.user_id, &["customer"]);
    assert_eq!(grantable(&api, &manager), Vec::<String>::new());
}
