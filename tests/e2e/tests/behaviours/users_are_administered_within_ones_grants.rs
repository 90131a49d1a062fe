//! User administration (SPEC §3, §4): who may create whom is the grants
//! table of SPEC §3, read from the caller's current roles in the database;
//! roles change within one's grants; deactivating a user ends their sessions
//! at once; staff page through users with a stable keyset cursor and find
//! them by any spelling of a contact.

use e2e::{
    admin_db, appoint_head, new_organization, new_test_role, set_roles, sign_up, signed_in_as,
    spec_grants, Api, Person, Reply, SignedIn, ROLES,
};
use serde_json::{json, Value};
use std::collections::HashSet;

/// Someone holding `role`; a head heads an organization of its kind too
/// (a head creates users only there).
fn grantor(api: &Api, admin: &SignedIn, role: &str) -> SignedIn {
    let user = signed_in_as(api, &[role]);
    let kind = match role {
        "executor_head" => "fleet",
        "service_head" => "firm",
        _ => return user,
    };
    appoint_head(
        api,
        admin,
        &new_organization(api, admin, kind),
        &user.user_id,
    );
    user
}

fn create(api: &Api, caller: &SignedIn, person: &Person, roles: &[&str]) -> Reply {
    let mut body = person.registration();
    body.as_object_mut().unwrap().remove("interface");
    body["group_names"] = json!(roles);
    api.bearer("POST", "/api/v1/users", &caller.access_token, Some(&body))
}

#[test]
fn every_grantor_may_create_exactly_the_roles_spec_grants_it() {
    let api = Api::new();
    let admin = signed_in_as(&api, &["superadmin"]);
    for caller_role in ROLES {
        let caller = grantor(&api, &admin, caller_role);
        for role in ROLES {
            let reply = create(&api, &caller, &Person::new(), &[role]);
            let allowed = spec_grants(caller_role).contains(&role);
            let expected = if allowed { 201 } else { 403 };
            assert_eq!(
                reply.status, expected,
                "{caller_role} → {role}: {}",
                reply.text
            );
            if allowed {
                let user = &reply.json()["user"];
                assert_eq!(user["roles"], json!([role]));
                assert!(
                    reply.json().get("access_token").is_none(),
                    "no tokens for a created user"
                );
            }
        }
    }
}

#[test]
fn every_interface_self_registers_exactly_its_roles() {
    let api = Api::new();
    for (interface, allowed) in e2e::SELF_REGISTRATION {
        for role in ROLES {
            let mut body = Person::new().registration();
            body["interface"] = interface.into();
            body["group_names"] = json!([role]);
            let reply = api.register(&body);
            let expected = if allowed.contains(&role) { 201 } else { 403 };
            assert_eq!(
                reply.status, expected,
                "{interface} → {role}: {}",
                reply.text
            );
        }
    }
}

#[test]
fn grants_are_data_and_a_revoked_role_stops_granting_at_once() {
    let api = Api::new();
    // A role of this test's own, so that other tests' answers stay put.
    let role = new_test_role("executor_head");
    let admin = signed_in_as(&api, &["superadmin"]);
    let head = grantor(&api, &admin, "executor_head");
    // Revoke the grant first (as if it had never been), then add it back.
    let mut db = admin_db();
    db.execute(
        "DELETE FROM accounts.grants WHERE grantee_group = $1",
        &[&role],
    )
    .unwrap();
    create(&api, &head, &Person::new(), &[&role]).problem(403);
    db.execute(
        "INSERT INTO accounts.grants (grantor_group, grantee_group) VALUES ('executor_head', $1)",
        &[&role],
    )
    .unwrap();
    let now = create(&api, &head, &Person::new(), &[&role]);
    assert_eq!(now.status, 201, "with the grant row: {}", now.text);

    let manager = signed_in_as(&api, &["manager"]);
    assert_eq!(
        create(&api, &manager, &Person::new(), &["courier"]).status,
        201
    );
    set_roles(&manager.user_id, &["customer"]);
    // The token still says manager; the database no longer does.
    assert_eq!(
        e2e::claims_of(&manager.access_token)["roles"],
        json!(["manager"])
    );
    create(&api, &manager, &Person::new(), &["courier"]).problem(403);
}

#[test]
fn roles_change_only_within_ones_grants() {
    let api = Api::new();
    let manager = signed_in_as(&api, &["manager"]);
    let customer = sign_up(&api);
    let path = format!("/api/v1/users/{}/roles", customer.user_id);
    let change = |body: Value| api.bearer("POST", &path, &manager.access_token, Some(&body));

    let added = change(json!({"add": ["driver"]}));
    assert_eq!(added.status, 200, "{}", added.text);
    assert_eq!(added.json()["roles"], json!(["customer", "driver"]));
    assert_eq!(
        change(json!({"add": ["superadmin"]})).problem(403)["status"],
        403
    );
    let left = change(json!({"remove": ["customer", "driver"]})).problem(422);
    assert_eq!(left["errors"][0]["field"], "remove");

    // A user holding a role the manager cannot grant is out of reach.
    let support = signed_in_as(&api, &["support"]);
    let other = format!("/api/v1/users/{}/roles", support.user_id);
    api.bearer(
        "POST",
        &other,
        &manager.access_token,
        Some(&json!({"add": ["customer"]})),
    )
    .problem(403);
    // Nobody removes their own last staff role, not even a superadmin, who
    // may grant it.
    let admin = signed_in_as(&api, &["superadmin"]);
    let own = format!("/api/v1/users/{}/roles", admin.user_id);
    let refused = api
        .bearer(
            "POST",
            &own,
            &admin.access_token,
            Some(&json!({"add": ["customer"], "remove": ["superadmin"]})),
        )
        .problem(422);
    assert_eq!(refused["errors"][0]["field"], "remove");
    api.bearer(
        "POST",
        "/api/v1/users/00000000-0000-0000-0000-000000000000/roles",
        &manager.access_token,
        Some(&json!({"add": ["customer"]})),
    )
    .problem(404);
}

#[test]
fn deactivating_a_user_ends_their_sessions_at_once() {
    let api = Api::new();
    let head = signed_in_as(&api, &["manager"]);
    let driver = signed_in_as(&api, &["driver"]);
    assert_eq!(api.me(&driver.access_token).status, 200);
    let path = format!("/api/v1/users/{}", driver.user_id);
    let off = api.bearer(
        "PATCH",
        &path,
        &head.access_token,
        Some(&json!({"is_active": false})),
    );
    assert_eq!(off.status, 200, "{}", off.text);
    api.me(&driver.access_token).problem(401);
    api.login(&driver.person.second_login, &driver.person.password)
        .problem(401);
    let on = api.bearer(
        "PATCH",
        &path,
        &head.access_token,
        Some(&json!({"is_active": true})),
    );
    assert_eq!(on.status, 200, "{}", on.text);
    assert_eq!(
        api.login(&driver.person.second_login, &driver.person.password)
            .status,
        200
    );
    // A customer may deactivate nobody, and sees nobody to deactivate.
    let customer = sign_up(&api);
    api.bearer(
        "PATCH",
        &path,
        &customer.access_token,
        Some(&json!({"is_active": false})),
    )
    .problem(404);
}

#[test]
fn a_created_user_signs_in_and_leaves_one_event() {
    let api = Api::new();
    let support = signed_in_as(&api, &["support"]);
    let client = redis::Client::open(e2e::env("AUTH_REDIS_URL")).unwrap();
    let mut connection = client.get_connection().unwrap();
    connection
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut subscriber = connection.as_pubsub();
    subscriber.subscribe("auth.events").unwrap();

    let person = Person::new();
    let reply = create(&api, &support, &person, &["customer"]);
    assert_eq!(reply.status, 201, "{}", reply.text);
    let id = reply.json()["user"]["id"].as_str().unwrap().to_string();
    let event: Value = loop {
        let message = subscriber.get_message().expect("the event within 10 s");
        let event: Value = serde_json::from_slice(message.get_payload_bytes()).unwrap();
        if event["user_id"] == id.as_str() {
            break event;
        }
    };
    let event_id: String = admin_db()
        .query_one(
            "SELECT event_id::text FROM auth.outbox WHERE aggregate_id = $1::text::uuid",
            &[&id],
        )
        .unwrap()
        .get(0);
    assert_eq!(event["event_id"], event_id.as_str());
    assert_eq!(event["created_by"], support.user_id.as_str());
    assert_eq!(api.login(&person.phone_typed, &person.password).status, 200);
    let events: i64 = admin_db()
        .query_one(
            "SELECT count(*) FROM auth.outbox WHERE aggregate_id = $1::text::uuid AND event_type = 'user.registered'",
            &[&id],
        )
        .unwrap()
        .get(0);
    assert_eq!(events, 1);
    // Taken values are a 409 here too.
    create(&api, &support, &person, &["customer"]).problem(409);
}

/// A fresh role only superadmins grant, and `count` users holding it.
fn users_of_a_new_role(count: i64) -> (String, Vec<String>) {
    let role = new_test_role("superadmin");
    let ids: Vec<String> = admin_db()
        .query(
            "WITH made AS (INSERT INTO accounts.users (password_hash)
                           SELECT NULL FROM generate_series(1, $2::bigint) RETURNING id),
                  named AS (INSERT INTO accounts.contacts (user_id, contact_type, value)
                            SELECT id, 'second_login', replace($1, '_', '.') || '.' || id FROM made
                            RETURNING user_id),
                  joined AS (INSERT INTO accounts.memberships (user_id, group_name)
                             SELECT user_id, $1 FROM named RETURNING user_id)
             SELECT user_id::text FROM joined",
            &[&role, &count],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    (role, ids)
}

#[test]
fn staff_page_through_every_user_once_while_others_register() {
    let api = Api::new();
    let (role, ids) = users_of_a_new_role(250);
    let staff = signed_in_as(&api, &["superadmin"]);

    // Meanwhile more users of that role are created.
    let (base, token, newcomer_role) = (
        e2e::env("AUTH_BASE_URL"),
        staff.access_token.clone(),
        role.clone(),
    );
    let writer = std::thread::spawn(move || {
        let api = Api::at(&base);
        for _ in 0..15 {
            let mut body = Person::new().registration();
            body.as_object_mut().unwrap().remove("interface");
            body["group_names"] = json!([newcomer_role]);
            assert_eq!(
                api.bearer("POST", "/api/v1/users", &token, Some(&body))
                    .status,
                201
            );
        }
    });

    let mut seen: Vec<(String, String)> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/users?limit=40&role={role}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = api.bearer("GET", &path, &staff.access_token, None);
        assert_eq!(page.status, 200, "{}", page.text);
        let body = page.json();
        for user in body["users"].as_array().unwrap() {
            seen.push((
                user["created_at"].as_str().unwrap().to_string(),
                user["id"].as_str().unwrap().to_string(),
            ));
        }
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    writer.join().unwrap();
    admin_db()
        .execute(
            "DELETE FROM accounts.grants WHERE grantee_group = $1",
            &[&role],
        )
        .unwrap();

    let unique: HashSet<&String> = seen.iter().map(|(_, id)| id).collect();
    assert_eq!(unique.len(), seen.len(), "nobody twice");
    for id in &ids {
        assert!(unique.contains(id), "{id} was never listed");
    }
    assert!(
        seen.windows(2).all(|w| w[0] < w[1] || w[0].0 != w[1].0),
        "a stable order"
    );
}

#[test]
fn staff_find_a_user_by_any_spelling_of_a_contact_and_others_may_not_list() {
    let api = Api::new();
    let staff = signed_in_as(&api, &["support"]);
    let user = sign_up(&api);
    let p = &user.person;
    let full_width: String = p
        .second_login
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
        .collect();
    for (kind, value) in [
        ("phone", p.phone_typed.clone()),
        ("phone", p.phone.clone()),
        ("email", p.email.to_uppercase()),
        ("second_login", full_width),
    ] {
        let encoded: String = value
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b == b'.' {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let page = api.bearer(
            "GET",
            &format!("/api/v1/users?{kind}={encoded}"),
            &staff.access_token,
            None,
        );
        assert_eq!(page.status, 200, "{kind}={value}: {}", page.text);
        let users = page.json()["users"].as_array().unwrap().clone();
        assert_eq!(users.len(), 1, "{kind}={value}");
        assert_eq!(users[0]["id"], user.user_id.as_str());
    }
    api.bearer("GET", "/api/v1/users", &user.access_token, None)
        .problem(403);
    api.bearer("GET", "/api/v1/users?limit=1000", &staff.access_token, None)
        .problem(422);
    api.bearer(
        "GET",
        "/api/v1/users?cursor=bm9wZQ",
        &staff.access_token,
        None,
    )
    .problem(422);
}
