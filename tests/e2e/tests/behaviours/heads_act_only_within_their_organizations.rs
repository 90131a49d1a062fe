//! Organizations (SPEC §2, §3; issue "Organizations"): two fleets with a
//! head each. A head lists, creates, grants to and removes only members of
//! the organization it heads; anyone else's member is 404 to it, as if
//! absent (and inviting them answers as inviting anyone does). Heads end memberships, never accounts. What a head creates joins
//! its fleet and nobody else's.

use e2e::{
    admin_db, appoint_head, claims_of, new_organization, sign_in_again, sign_up, signed_in_as, Api,
    Person, SignedIn,
};
use serde_json::{json, Value};

struct Fleet {
    id: String,
    head: SignedIn,
}

fn fleet(api: &Api, admin: &SignedIn) -> Fleet {
    let id = new_organization(api, admin, "fleet");
    let mut head = signed_in_as(api, &["customer"]);
    appoint_head(api, admin, &id, &head.user_id);
    sign_in_again(api, &mut head);
    Fleet { id, head }
}

/// A driver created by `head` through `POST /users`, signed in.
fn driver_of(api: &Api, head: &SignedIn) -> SignedIn {
    let person = Person::new();
    let mut body = person.registration();
    body.as_object_mut().unwrap().remove("interface");
    body["group_names"] = json!(["driver"]);
    let reply = api.bearer("POST", "/api/v1/users", &head.access_token, Some(&body));
    assert_eq!(reply.status, 201, "{}", reply.text);
    let user_id = reply.json()["user"]["id"].as_str().unwrap().to_string();
    let mut driver = SignedIn {
        person,
        user_id,
        access_token: String::new(),
        refresh_token: String::new(),
    };
    sign_in_again(api, &mut driver);
    driver
}

fn member_ids(api: &Api, caller: &SignedIn, organization: &str) -> Vec<String> {
    let reply = api.bearer(
        "GET",
        &format!("/api/v1/organizations/{organization}/members"),
        &caller.access_token,
        None,
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_str().unwrap().to_string())
        .collect()
}

fn listed_users(api: &Api, caller: &SignedIn, query: &str) -> Vec<String> {
    let reply = api.bearer(
        "GET",
        &format!("/api/v1/users?limit=100{query}"),
        &caller.access_token,
        None,
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_head_cannot_see_or_touch_another_fleets_drivers() {
    let api = Api::new();
    let admin = signed_in_as(&api, &["superadmin"]);
    let (a, b) = (fleet(&api, &admin), fleet(&api, &admin));
    let driver_a = driver_of(&api, &a.head);
    let driver_b = driver_of(&api, &b.head);

    // What head A created is a member of A's fleet and nobody else's.
    assert_eq!(
        member_ids(&api, &admin, &a.id)
            .iter()
            .filter(|m| **m == driver_a.user_id)
            .count(),
        1
    );
    assert!(!member_ids(&api, &admin, &b.id).contains(&driver_a.user_id));
    let me = api.me(&driver_a.access_token).json();
    let orgs: Vec<&str> = me["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(orgs, vec![a.id.as_str()]);
    assert_eq!(claims_of(&driver_a.access_token)["orgs"], json!([a.id]));

    // Head A lists only its own people, wherever it looks.
    let seen = listed_users(&api, &a.head, "");
    assert!(seen.contains(&driver_a.user_id));
    assert!(
        !seen.contains(&driver_b.user_id),
        "GET /users shows B's driver"
    );
    assert!(listed_users(&api, &a.head, &format!("&organization_id={}", b.id)).is_empty());
    assert!(listed_users(&api, &a.head, &format!("&phone={}", driver_b.person.phone)).is_empty());
    let head = &a.head.access_token;
    api.bearer(
        "GET",
        &format!("/api/v1/organizations/{}", b.id),
        head,
        None,
    )
    .problem(404);
    api.bearer(
        "GET",
        &format!("/api/v1/organizations/{}/members", b.id),
        head,
        None,
    )
    .problem(404);
    let listed = api
        .bearer("GET", "/api/v1/organizations", head, None)
        .json();
    assert_eq!(listed["organizations"].as_array().unwrap().len(), 1);
    assert_eq!(listed["organizations"][0]["id"], a.id.as_str());

    // Nor grants to, removes, (re)activates or adopts B's driver: 404.
    let b_driver = format!("/api/v1/users/{}", driver_b.user_id);
    let add = json!({"add": ["courier"]});
    api.bearer("POST", &format!("{b_driver}/roles"), head, Some(&add))
        .problem(404);
    for organization in [&a.id, &b.id] {
        let path = format!(
            "/api/v1/organizations/{organization}/members/{}",
            driver_b.user_id
        );
        api.bearer("DELETE", &path, head, None).problem(404);
    }
    api.bearer("PATCH", &b_driver, head, Some(&json!({"is_active": false})))
        .problem(404);
    // Adopting B's driver is an invitation that is never made, answered
    // as one that is: nothing tells the head whose phone it was.
    let adopt = json!({"phone": driver_b.person.phone_typed});
    let adopted = api.bearer(
        "POST",
        &format!("/api/v1/organizations/{}/members", a.id),
        head,
        Some(&adopt),
    );
    assert_eq!(adopted.status, 202, "{}", adopted.text);
    assert_eq!(adopted.text, e2e::INVITED_IF_ELIGIBLE);
    assert!(e2e::invitations_of(&api, &driver_b).is_empty());
    // A user id that does not exist answers just the same.
    let nobody = "/api/v1/users/7c9e6679-7425-40de-944b-e07fc1f90ae7/roles";
    api.bearer("POST", nobody, head, Some(&add)).problem(404);
    assert_eq!(api.me(&driver_b.access_token).status, 200);
    assert!(member_ids(&api, &b.head, &b.id).contains(&driver_b.user_id));

    // Within its fleet, head A grants what an executor_head grants.
    let granted = api.bearer(
        "POST",
        &format!("/api/v1/users/{}/roles", driver_a.user_id),
        head,
        Some(&add),
    );
    assert_eq!(granted.status, 200, "{}", granted.text);
    assert_eq!(granted.json()["roles"], json!(["courier", "driver"]));
    let refused = json!({"add": ["service_staff"]});
    api.bearer(
        "POST",
        &format!("/api/v1/users/{}/roles", driver_a.user_id),
        head,
        Some(&refused),
    )
    .problem(403);
}

#[test]
fn a_head_cannot_undo_a_deactivation_made_by_staff() {
    let api = Api::new();
    let admin = signed_in_as(&api, &["superadmin"]);
    let a = fleet(&api, &admin);
    let driver = driver_of(&api, &a.head);
    let path = format!("/api/v1/users/{}", driver.user_id);
    let off = api.bearer(
        "PATCH",
        &path,
        &admin.access_token,
        Some(&json!({"is_active": false})),
    );
    assert_eq!(off.status, 200, "{}", off.text);

    // Accounts are staff's: the head is refused, whatever it asks.
    for active in [true, false] {
        let refused = api
            .bearer(
                "PATCH",
                &path,
                &a.head.access_token,
                Some(&json!({"is_active": active})),
            )
            .problem(403);
        assert!(refused["detail"].as_str().unwrap().contains("membership"));
    }
    api.login(&driver.person.second_login, &driver.person.password)
        .problem(401);
    // Ending the membership and inviting again reactivates nothing (and
    // invites nobody: the add answers as always).
    let members = format!("/api/v1/organizations/{}/members", a.id);
    let removed = api.bearer(
        "DELETE",
        &format!("{members}/{}", driver.user_id),
        &a.head.access_token,
        None,
    );
    assert_eq!(removed.status, 204, "{}", removed.text);
    let invited = api.bearer(
        "POST",
        &members,
        &a.head.access_token,
        Some(&json!({"user_id": driver.user_id})),
    );
    assert_eq!(invited.text, e2e::INVITED_IF_ELIGIBLE);
    let invitations: i64 = admin_db()
        .query_one(
            "SELECT count(*) FROM accounts.organization_invitations WHERE user_id = $1::text::uuid",
            &[&driver.user_id],
        )
        .unwrap()
        .get(0);
    assert_eq!(invitations, 0);
    api.login(&driver.person.second_login, &driver.person.password)
        .problem(401);
}

#[test]
fn removing_a_member_ends_only_the_sessions_that_name_the_organization() {
    let api = Api::new();
    let admin = signed_in_as(&api, &["superadmin"]);
    let (a, c) = (fleet(&api, &admin), fleet(&api, &admin));
    // A driver who signed up alone keeps a session from before any fleet.
    let mut driver = signed_in_as(&api, &["driver"]);
    let before = driver.access_token.clone();
    assert_eq!(claims_of(&before)["orgs"], json!([]));
    for organization in [&a.id, &c.id] {
        let added = api.bearer(
            "POST",
            &format!("/api/v1/organizations/{organization}/members"),
            &admin.access_token,
            Some(&json!({"second_login": driver.person.second_login.to_uppercase()})),
        );
        assert_eq!(added.status, 201, "{}", added.text);
    }
    sign_in_again(&api, &mut driver);
    let mut names = vec![a.id.clone(), c.id.clone()];
    names.sort();
    assert_eq!(claims_of(&driver.access_token)["orgs"], json!(names));

    let removed = api.bearer(
        "DELETE",
        &format!("/api/v1/organizations/{}/members/{}", a.id, driver.user_id),
        &a.head.access_token,
        None,
    );
    assert_eq!(removed.status, 204, "{}", removed.text);
    // The session whose tokens name A ended at once; the older one did not.
    api.me(&driver.access_token).problem(401);
    api.refresh(&driver.refresh_token).problem(401);
    let me = api.me(&before);
    assert_eq!(me.status, 200, "{}", me.text);
    let me = me.json();
    let orgs: Vec<&str> = me["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(orgs, vec![c.id.as_str()], "C's membership stays");
    // The account stays: a new sign-in names C alone.
    sign_in_again(&api, &mut driver);
    assert_eq!(claims_of(&driver.access_token)["orgs"], json!([c.id]));
    // History: the ended membership is kept.
    let rows: Vec<(bool, bool)> = admin_db()
        .query(
            "SELECT ended_at IS NULL, ended_by IS NOT NULL FROM accounts.organization_members
             WHERE user_id = $1::text::uuid AND organization_id = $2::text::uuid",
            &[&driver.user_id, &a.id],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(rows, vec![(false, true)]);
    // A head does not remove a fellow head.
    let co_head = signed_in_as(&api, &["customer"]);
    appoint_head(&api, &admin, &a.id, &co_head.user_id);
    api.bearer(
        "DELETE",
        &format!("/api/v1/organizations/{}/members/{}", a.id, co_head.user_id),
        &a.head.access_token,
        None,
    )
    .problem(403);
}

/// Staff add directly (a head invites: `heads_invite_and_people_consent`);
/// the fleet's head removes.
#[test]
fn concurrent_adds_and_removals_leave_one_membership_and_a_consistent_history() {
    let api = Api::new();
    let admin = signed_in_as(&api, &["superadmin"]);
    let a = fleet(&api, &admin);
    let driver = signed_in_as(&api, &["driver"]);
    let members = format!("/api/v1/organizations/{}/members", a.id);
    let member = format!("{members}/{}", driver.user_id);
    let add = json!({"user_id": driver.user_id});

    let statuses = |calls: Vec<bool>| -> Vec<u16> {
        std::thread::scope(|s| {
            let handles: Vec<_> = calls
                .into_iter()
                .map(|adding| {
                    let (api, staff, head) = (&api, &admin.access_token, &a.head.access_token);
                    let (members, member, add) = (&members, &member, &add);
                    s.spawn(move || {
                        if adding {
                            api.bearer("POST", members, staff, Some(add)).status
                        } else {
                            api.bearer("DELETE", member, head, None).status
                        }
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    };
    let current = || -> i64 {
        admin_db()
            .query_one(
                "SELECT count(*) FROM accounts.organization_members
                 WHERE user_id = $1::text::uuid AND ended_at IS NULL",
                &[&driver.user_id],
            )
            .unwrap()
            .get(0)
    };

    // Twenty adds at once: one membership starts, the rest find it.
    let added = statuses(vec![true; 20]);
    assert_eq!(added.iter().filter(|s| **s == 201).count(), 1, "{added:?}");
    assert_eq!(added.iter().filter(|s| **s == 200).count(), 19, "{added:?}");
    assert_eq!(current(), 1);

    // Twenty adds and removals interleaved, then one more add.
    let mixed = statuses((0..20).map(|i| i % 2 == 0).collect());
    assert!(
        mixed.iter().all(|s| [200, 201, 204, 404].contains(s)),
        "{mixed:?}"
    );
    let last = api.bearer("POST", &members, &admin.access_token, Some(&add));
    assert!([200, 201].contains(&last.status), "{}", last.text);
    assert_eq!(current(), 1, "exactly one current membership");

    // The history: periods one after another, never overlapping, and one
    // event for each start and each end.
    let mut db = admin_db();
    let periods: Vec<(f64, Option<f64>)> = db
        .query(
            "SELECT extract(epoch FROM started_at)::float8, extract(epoch FROM ended_at)::float8
             FROM accounts.organization_members WHERE user_id = $1::text::uuid
             ORDER BY started_at, ended_at NULLS LAST",
            &[&driver.user_id],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for pair in periods.windows(2) {
        let ended = pair[0].1.expect("only the last period is open");
        assert!(ended <= pair[1].0, "overlapping periods: {periods:?}");
    }
    assert!(periods.last().unwrap().1.is_none());
    let count = |event: &str| -> i64 {
        admin_db()
            .query_one(
                "SELECT count(*) FROM auth.outbox
                 WHERE event_type = $1 AND payload->>'user_id' = $2",
                &[&event, &driver.user_id],
            )
            .unwrap()
            .get(0)
    };
    let ended = periods.iter().filter(|p| p.1.is_some()).count() as i64;
    assert_eq!(count("membership.started"), periods.len() as i64);
    assert_eq!(count("membership.ended"), ended);
    assert_eq!(
        mixed.iter().filter(|s| **s == 204).count() as i64,
        ended,
        "one ended period per 204"
    );
}

#[test]
fn staff_create_and_deactivate_organizations_and_heads_lose_their_powers_with_them() {
    let api = Api::new();
    let admin = signed_in_as(&api, &["superadmin"]);
    let manager = signed_in_as(&api, &["manager"]);
    let support = signed_in_as(&api, &["support"]);
    let customer = sign_up(&api);
    let create = |who: &SignedIn, body: Value| {
        api.bearer(
            "POST",
            "/api/v1/organizations",
            &who.access_token,
            Some(&body),
        )
    };

    // A firm has a service type; a fleet has none; the kinds are data.
    let firm = create(
        &manager,
        json!({"kind": "firm", "service_type": "waybill_service", "name": "  Waybills Ltd "}),
    );
    assert_eq!(firm.status, 201, "{}", firm.text);
    let firm = firm.json()["organization"].clone();
    assert_eq!(firm["name"], "Waybills Ltd");
    assert_eq!(firm["service_type"], "waybill_service");
    let field = |reply: e2e::Reply| reply.problem(422)["errors"][0]["field"].clone();
    assert_eq!(
        field(create(&manager, json!({"kind": "firm", "name": "X"}))),
        "service_type"
    );
    assert_eq!(
        field(create(
            &manager,
            json!({"kind": "fleet", "service_type": "grocery_store", "name": "X"})
        )),
        "service_type"
    );
    assert_eq!(
        field(create(
            &manager,
            json!({"kind": "firm", "service_type": "bakery", "name": "X"})
        )),
        "service_type"
    );
    assert_eq!(
        field(create(&manager, json!({"kind": "guild", "name": "X"}))),
        "kind"
    );
    create(&support, json!({"kind": "fleet", "name": "X"})).problem(403);
    create(&customer, json!({"kind": "fleet", "name": "X"})).problem(403);
    let created: i64 = admin_db()
        .query_one(
            "SELECT count(*) FROM auth.outbox WHERE event_type = 'organization.created'
             AND aggregate_id = $1::text::uuid",
            &[&firm["id"].as_str().unwrap()],
        )
        .unwrap()
        .get(0);
    assert_eq!(created, 1);

    // Support reads; only those who may appoint heads change it.
    let a = fleet(&api, &admin);
    let path = format!("/api/v1/organizations/{}", a.id);
    assert_eq!(
        api.bearer("GET", &path, &support.access_token, None).status,
        200
    );
    let rename = json!({"name": "Renamed"});
    api.bearer("PATCH", &path, &support.access_token, Some(&rename))
        .problem(403);
    api.bearer("PATCH", &path, &a.head.access_token, Some(&rename))
        .problem(403);
    api.bearer("GET", &path, &customer.access_token, None)
        .problem(404);
    api.bearer(
        "POST",
        &format!("{path}/heads"),
        &a.head.access_token,
        Some(&json!({"user_id": customer.user_id})),
    )
    .problem(403);

    // Deactivating ends the sessions that name it; its head can do nothing there.
    let driver = driver_of(&api, &a.head);
    let off = api.bearer(
        "PATCH",
        &path,
        &manager.access_token,
        Some(&json!({"is_active": false})),
    );
    assert_eq!(off.status, 200, "{}", off.text);
    assert_eq!(off.json()["organization"]["is_active"], false);
    api.me(&driver.access_token).problem(401);
    api.me(&a.head.access_token).problem(401);
    let mut head = a.head;
    sign_in_again(&api, &mut head);
    assert_eq!(claims_of(&head.access_token)["orgs"], json!([]));
    api.bearer("GET", &path, &head.access_token, None)
        .problem(404);
    api.bearer("GET", "/api/v1/users", &head.access_token, None)
        .problem(403);
    // Staff see it still, and nobody joins it while it is inactive.
    let joined = api.bearer(
        "POST",
        &format!("{path}/members"),
        &admin.access_token,
        Some(&json!({"user_id": customer.user_id})),
    );
    assert_eq!(joined.status, 409, "{}", joined.text);
    let on = api.bearer(
        "PATCH",
        &path,
        &manager.access_token,
        Some(&json!({"is_active": true})),
    );
    assert_eq!(on.status, 200, "{}", on.text);
    sign_in_again(&api, &mut head);
    assert_eq!(claims_of(&head.access_token)["orgs"], json!([a.id]));
    assert!(member_ids(&api, &head, &a.id).contains(&driver.user_id));
}

#[test]
fn organizations_and_members_come_in_keyset_pages() {
    let api = Api::new();
    let admin = signed_in_as(&api, &["superadmin"]);
    let a = fleet(&api, &admin);
    for _ in 0..5 {
        driver_of(&api, &a.head);
    }
    let mut seen = Vec::new();
    let mut path = format!("/api/v1/organizations/{}/members?limit=2", a.id);
    loop {
        let page = api.bearer("GET", &path, &a.head.access_token, None);
        assert_eq!(page.status, 200, "{}", page.text);
        let page = page.json();
        for m in page["members"].as_array().unwrap() {
            seen.push(m["user_id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!(
                    "/api/v1/organizations/{}/members?limit=2&cursor={cursor}",
                    a.id
                )
            }
            None => break,
        }
    }
    assert_eq!(
        seen.len(),
        6,
        "the head and five drivers, each once: {seen:?}"
    );
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 6);

    // Staff page through every organization, each once (others' tests may
    // add more meanwhile: every one that existed before is seen).
    let existing: Vec<String> = admin_db()
        .query("SELECT id::text FROM accounts.organizations", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut organizations = Vec::new();
    let mut path = "/api/v1/organizations?limit=3".to_string();
    loop {
        let page = api.bearer("GET", &path, &admin.access_token, None).json();
        for o in page["organizations"].as_array().unwrap() {
            organizations.push(o["id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/organizations?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    for id in &existing {
        assert!(organizations.contains(id), "the pages skipped {id}");
    }
    let mut unique = organizations.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), organizations.len(), "an organization twice");
}

/// SPEC §4: organizations are listed for staff and heads only. Before: a
/// customer, or a plain member of a fleet, got 200 with an empty list.
#[test]
fn a_customer_or_a_plain_member_may_not_list_organizations() {
    let api = Api::new();
    let customer = sign_up(&api);
    let refused = api
        .bearer("GET", "/api/v1/organizations", &customer.access_token, None)
        .problem(403);
    assert!(refused["detail"]
        .as_str()
        .unwrap()
        .contains("organizations"));
    let staff = signed_in_as(&api, &["manager"]);
    let fleet = fleet(&api, &staff);
    let driver = driver_of(&api, &fleet.head);
    api.bearer("GET", "/api/v1/organizations", &driver.access_token, None)
        .problem(403);
    for lister in [&staff, &fleet.head] {
        let listed = api.bearer("GET", "/api/v1/organizations", &lister.access_token, None);
        assert_eq!(listed.status, 200, "{}", listed.text);
    }
}
