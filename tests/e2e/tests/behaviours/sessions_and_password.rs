//! A signed-in user sees who they are and their sessions, may end any of
//! their own sessions (and only theirs), and changing the password ends every
//! other session.

use e2e::{claims_of, sign_up, Api};
use serde_json::json;

#[test]
fn me_shows_the_user_with_active_contacts_and_roles() {
    let api = Api::new();
    let user = sign_up(&api);
    let reply = api.me(&user.access_token);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let me = reply.json();
    assert_eq!(me["id"], user.user_id.as_str());
    assert_eq!(me["second_login"], user.person.second_login.as_str());
    assert_eq!(me["roles"], json!(["customer"]));
    assert_eq!(me["profile"]["name"], "Test Person");
    assert!(me["created_at"].is_string());
    let mut contacts: Vec<(String, String)> = me["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["type"].as_str().unwrap().to_string(),
                c["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    contacts.sort();
    assert_eq!(
        contacts,
        vec![
            ("email".to_string(), user.person.email.clone()),
            ("phone".to_string(), user.person.phone.clone()),
            ("second_login".to_string(), user.person.second_login.clone()),
        ]
    );
}

#[test]
fn sessions_are_listed_and_only_ones_own_can_be_revoked() {
    let api = Api::new();
    let user = sign_up(&api);
    let other = sign_up(&api);
    let second = api
        .send(
            "POST",
            "/api/v1/auth/login",
            &[("user-agent", "courier-phone/1.0")],
            Some(&json!({"login": user.person.email, "password": user.person.password})),
        )
        .json();
    let second_access = second["access_token"].as_str().unwrap();

    let listed = api
        .bearer("GET", "/api/v1/auth/sessions", &user.access_token, None)
        .json();
    let sessions = listed["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    let current_sid = claims_of(&user.access_token)["sid"].clone();
    for s in sessions {
        assert_eq!(s["current"], s["id"] == current_sid, "{s}");
        assert_eq!(s["ip"], "127.0.0.1");
        for key in ["created_at", "last_used_at", "expires_at"] {
            assert!(s[key].is_string(), "{key}");
        }
    }
    let second_sid = claims_of(second_access)["sid"]
        .as_str()
        .unwrap()
        .to_string();
    let second_listed = sessions
        .iter()
        .find(|s| s["id"] == second_sid.as_str())
        .unwrap();
    assert_eq!(second_listed["user_agent"], "courier-phone/1.0");

    // Someone else's session is not there for this user: 404, and it lives on.
    let other_sid = claims_of(&other.access_token)["sid"]
        .as_str()
        .unwrap()
        .to_string();
    api.bearer(
        "DELETE",
        &format!("/api/v1/auth/sessions/{other_sid}"),
        &user.access_token,
        None,
    )
    .problem(404);
    api.bearer(
        "DELETE",
        "/api/v1/auth/sessions/not-a-session",
        &user.access_token,
        None,
    )
    .problem(404);
    assert_eq!(api.me(&other.access_token).status, 200);

    let reply = api.bearer(
        "DELETE",
        &format!("/api/v1/auth/sessions/{second_sid}"),
        &user.access_token,
        None,
    );
    assert_eq!(reply.status, 204, "{}", reply.text);
    api.me(second_access).problem(401);
    api.refresh(second["refresh_token"].as_str().unwrap())
        .problem(401);
    assert_eq!(api.me(&user.access_token).status, 200);
    let listed = api
        .bearer("GET", "/api/v1/auth/sessions", &user.access_token, None)
        .json();
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 1);
}

#[test]
fn changing_the_password_ends_the_other_sessions() {
    let api = Api::new();
    let user = sign_up(&api);
    let second = api
        .login(&user.person.second_login, &user.person.password)
        .json();
    let change = |current: &str, new: &str| {
        api.bearer(
            "POST",
            "/api/v1/auth/password",
            &user.access_token,
            Some(&json!({"current_password": current, "new_password": new})),
        )
    };

    let wrong = change("not my password", "a brand new passphrase").problem(422);
    assert_eq!(wrong["errors"][0]["field"], "current_password");
    let weak = change(&user.person.password, "short").problem(422);
    assert_eq!(weak["errors"][0]["field"], "new_password");
    let own_login = change(&user.person.password, &user.person.second_login).problem(422);
    assert_eq!(own_login["errors"][0]["field"], "new_password");

    let reply = change(&user.person.password, "a brand new passphrase");
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert_eq!(
        api.me(&user.access_token).status,
        200,
        "this session goes on"
    );
    api.me(second["access_token"].as_str().unwrap())
        .problem(401);
    api.refresh(second["refresh_token"].as_str().unwrap())
        .problem(401);
    api.login(&user.person.second_login, &user.person.password)
        .problem(401);
    assert_eq!(
        api.login(&user.person.second_login, "a brand new passphrase")
            .status,
        200
    );
}

#[test]
fn protected_endpoints_refuse_anonymous_callers() {
    let api = Api::new();
    for (method, path) in [
        ("GET", "/api/v1/auth/me"),
        ("GET", "/api/v1/auth/sessions"),
        (
            "DELETE",
            "/api/v1/auth/sessions/00000000-0000-0000-0000-000000000000",
        ),
        ("POST", "/api/v1/auth/password"),
    ] {
        api.send(method, path, &[], None).problem(401);
    }
}
