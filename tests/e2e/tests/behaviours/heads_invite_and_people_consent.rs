//! Heads cannot take people without their consent (issue 27, item 5;
//! SPEC §2, §3). A head's add of an existing person is an invitation the
//! person accepts or declines (`GET /auth/invitations`,
//! `POST /auth/invitations/{id}/accept|decline`); the add answers the same
//! 202 whoever the contact belongs to; a head changes roles of and removes
//! only its current members; a dismissed head loses the heading role when
//! it heads nothing else of that kind and appointing gave it, and its
//! pending invitations are withdrawn. Before: the head's add made the
//! person a member at once (201), answered 404 or 403 for people beyond its
//! reach, and a dismissed head kept `executor_head`.

use e2e::{
    admin_db, appoint_head, claims_of, invitations_of, new_organization, sign_in_again, sign_up,
    signed_in_as, Api, OwnHost, OwnRedis, Person, Reply, SignedIn, INVITED_IF_ELIGIBLE,
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

/// `POST /organizations/{id}/members` with `body`, as `caller`.
fn add(api: &Api, caller: &SignedIn, organization: &str, body: Value) -> Reply {
    api.bearer(
        "POST",
        &format!("/api/v1/organizations/{organization}/members"),
        &caller.access_token,
        Some(&body),
    )
}

fn answer(api: &Api, user: &SignedIn, invitation: &str, verb: &str) -> Reply {
    api.bearer(
        "POST",
        &format!("/api/v1/auth/invitations/{invitation}/{verb}"),
        &user.access_token,
        None,
    )
}

fn member_ids(api: &Api, caller: &SignedIn, organization: &str) -> Vec<String> {
    let reply = api.bearer(
        "GET",
        &format!("/api/v1/organizations/{organization}/members?limit=100"),
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

/// The one invitation `user` has, into `organization`: its id.
fn the_invitation(api: &Api, user: &SignedIn, organization: &str) -> String {
    let invitations = invitations_of(api, user);
    assert_eq!(invitations.len(), 1, "{invitations:?}");
    assert_eq!(invitations[0]["organization"]["id"], organization);
    invitations[0]["id"].as_str().unwrap().to_string()
}

/// The statuses of the invitations of `user` into `organization`, oldest first.
fn statuses(organization: &str, user: &str) -> Vec<String> {
    admin_db()
        .query(
            "SELECT status FROM accounts.organization_invitations
             WHERE organization_id = $1::text::uuid AND user_id = $2::text::uuid
             ORDER BY created_at, id",
            &[&organization, &user],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn started_events(organization: &str, user: &str) -> i64 {
    admin_db()
        .query_one(
            "SELECT count(*) FROM auth.outbox WHERE event_type = 'membership.started'
             AND payload->>'organization_id' = $1 AND payload->>'user_id' = $2",
            &[&organization, &user],
        )
        .unwrap()
        .get(0)
}

/// Staff dismiss `head` as head of `organization`: the membership after.
fn dismiss(api: &Api, staff: &SignedIn, organization: &str, head: &str) -> Value {
    let reply = api.bearer(
        "DELETE",
        &format!("/api/v1/organizations/{organization}/heads/{head}"),
        &staff.access_token,
        None,
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["membership"].clone()
}

fn roles_path(user: &SignedIn) -> String {
    format!("/api/v1/users/{}/roles", user.user_id)
}

#[test]
fn a_head_invites_an_existing_driver_who_joins_only_by_accepting() {
    let api = Api::new();
    let admin = signed_in_as(&api, &["superadmin"]);
    let a = fleet(&api, &admin);
    let mut driver = signed_in_as(&api, &["driver"]);

    let invited = add(
        &api,
        &a.head,
        &a.id,
        json!({"phone": driver.person.phone_typed}),
    );
    assert_eq!(invited.status, 202, "{}", invited.text);
    assert_eq!(invited.text, INVITED_IF_ELIGIBLE);
    // Not a member until they say so: the head has no say over them yet.
    assert!(!member_ids(&api, &admin, &a.id).contains(&driver.user_id));
    let courier = json!({"add": ["courier"]});
    api.bearer(
        "POST",
        &roles_path(&driver),
        &a.head.access_token,
        Some(&courier),
    )
    .problem(404);
    assert_eq!(started_events(&a.id, &driver.user_id), 0);

    // The driver sees the invitation: where to, since and until when.
    let invitations = invitations_of(&api, &driver);
    assert_eq!(invitations.len(), 1, "{invitations:?}");
    let invitation = &invitations[0];
    assert_eq!(invitation["organization"]["id"], a.id.as_str());
    assert_eq!(invitation["organization"]["kind"], "fleet");
    assert!(invitation["organization"]["name"]
        .as_str()
        .unwrap()
        .starts_with("Org "));
    let (created, expires) = (
        invitation["created_at"].as_str().unwrap(),
        invitation["expires_at"].as_str().unwrap(),
    );
    assert!(expires > created, "{invitation}");
    let id = invitation["id"].as_str().unwrap().to_string();

    // Nobody else can answer it, or see it.
    let stranger = sign_up(&api);
    assert!(invitations_of(&api, &stranger).is_empty());
    answer(&api, &stranger, &id, "accept").problem(404);
    answer(&api, &stranger, &id, "decline").problem(404);
    answer(&api, &a.head, &id, "accept").problem(404);
    answer(
        &api,
        &driver,
        "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "accept",
    )
    .problem(404);
    answer(&api, &driver, "not-an-id", "accept").problem(404);

    // Accepting starts the membership, with its event.
    let accepted = answer(&api, &driver, &id, "accept");
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    let membership = accepted.json()["membership"].clone();
    assert_eq!(membership["organization_id"], a.id.as_str());
    assert_eq!(membership["user_id"], driver.user_id.as_str());
    assert_eq!(membership["is_head"], false);
    assert!(membership["until"].is_null());
    assert!(member_ids(&api, &admin, &a.id).contains(&driver.user_id));
    assert_eq!(started_events(&a.id, &driver.user_id), 1);
    assert_eq!(statuses(&a.id, &driver.user_id), ["accepted"]);
    // The next refresh names the fleet; /me lists it.
    let refreshed = api.refresh(&driver.refresh_token);
    assert_eq!(refreshed.status, 200, "{}", refreshed.shown());
    driver.access_token = refreshed.json()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(claims_of(&driver.access_token)["orgs"], json!([a.id]));
    let me = api.me(&driver.access_token).json();
    assert_eq!(me["organizations"][0]["id"], a.id.as_str());

    // Answered once: it is gone from the list and cannot be answered again.
    assert!(invitations_of(&api, &driver).is_empty());
    answer(&api, &driver, &id, "accept").problem(404);
    answer(&api, &driver, &id, "decline").problem(404);
    // A member now, the head may grant within its fleet.
    let granted = api.bearer(
        "POST",
        &roles_path(&driver),
        &a.head.access_token,
        Some(&courier),
    );
    assert_eq!(granted.status, 200, "{}", granted.text);
}

#[test]
fn a_person_who_declines_is_not_joined_and_may_be_invited_again() {
    let api = Api::new();
    let admin = signed_in_as(&api, &["superadmin"]);
    let a = fleet(&api, &admin);
    let courier = signed_in_as(&api, &["courier"]);

    let invited = add(
        &api,
        &a.head,
        &a.id,
        json!({"second_login": courier.person.second_login.to_uppercase()}),
    );
    assert_eq!(invited.status, 202, "{}", invited.text);
    let id = the_invitation(&api, &courier, &a.id);
    let declined = answer(&api, &courier, &id, "decline");
    assert_eq!(declined.status, 204, "{}", declined.text);
    assert!(declined.text.is_empty());
    answer(&api, &courier, &id, "accept").problem(404);
    answer(&api, &courier, &id, "decline").problem(404);
    assert!(invitations_of(&api, &courier).is_empty());
    assert!(!member_ids(&api, &admin, &a.id).contains(&courier.user_id));
    assert_eq!(started_events(&a.id, &courier.user_id), 0);

    // History kept; the head may ask again, and this time the answer is yes.
    let again = add(&api, &a.head, &a.id, json!({"email": courier.person.email}));
    assert_eq!(again.text, INVITED_IF_ELIGIBLE);
    let second = the_invitation(&api, &courier, &a.id);
    assert_ne!(second, id);
    assert_eq!(statuses(&a.id, &courier.user_id), ["declined", "pending"]);
    assert_eq!(answer(&api, &courier, &second, "accept").status, 200);
    assert_eq!(statuses(&a.id, &courier.user_id), ["declined", "accepted"]);
}

#[test]
fn a_heads_add_answers_alike_whoever_the_contact_belongs_to() {
    let api = Api::new();
    let admin = signed_in_as(&api, &["superadmin"]);
    let (a, b) = (fleet(&api, &admin), fleet(&api, &admin));
    let eligible = signed_in_as(&api, &["driver"]);
    // A driver of fleet B (staff put them there).
    let elsewhere = signed_in_as(&api, &["driver"]);
    let joined = add(&api, &admin, &b.id, json!({"user_id": elsewhere.user_id}));
    assert_eq!(joined.status, 201, "{}", joined.text);
    // A driver already in fleet A.
    let member = signed_in_as(&api, &["driver"]);
    assert_eq!(
        add(&api, &admin, &a.id, json!({"user_id": member.user_id})).status,
        201
    );
    let manager = signed_in_as(&api, &["manager"]);
    let customer = sign_up(&api);
    let deactivated = signed_in_as(&api, &["driver"]);
    let off = api.bearer(
        "PATCH",
        &format!("/api/v1/users/{}", deactivated.user_id),
        &admin.access_token,
        Some(&json!({"is_active": false})),
    );
    assert_eq!(off.status, 200, "{}", off.text);
    let nobody = Person::new();

    let cases = [
        ("eligible", json!({"phone": eligible.person.phone_typed})),
        ("already invited", json!({"user_id": eligible.user_id})),
        ("unknown phone", json!({"phone": nobody.phone_typed})),
        (
            "unknown login",
            json!({"second_login": nobody.second_login}),
        ),
        (
            "unknown id",
            json!({"user_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7"}),
        ),
        ("in another fleet", json!({"phone": elsewhere.person.phone})),
        ("already a member", json!({"email": member.person.email})),
        (
            "staff",
            json!({"second_login": manager.person.second_login}),
        ),
        ("a customer", json!({"email": customer.person.email})),
        ("deactivated", json!({"user_id": deactivated.user_id})),
        ("the head itself", json!({"user_id": a.head.user_id})),
        ("the other head", json!({"user_id": b.head.user_id})),
    ];
    for (case, body) in cases {
        let reply = add(&api, &a.head, &a.id, body);
        assert_eq!(reply.status, 202, "{case}: {}", reply.text);
        assert_eq!(reply.text, INVITED_IF_ELIGIBLE, "{case}");
        assert_eq!(
            reply.header("content-type"),
            Some("application/json"),
            "{case}"
        );
    }

    // Only the eligible driver was invited, once.
    let made: Vec<String> = admin_db()
        .query(
            "SELECT user_id::text FROM accounts.organization_invitations
             WHERE organization_id = $1::text::uuid",
            &[&a.id],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(made, vec![eligible.user_id.clone()]);
    for person in [&elsewhere, &manager, &customer] {
        assert!(invitations_of(&api, person).is_empty());
    }
    // Nobody was moved or added.
    assert!(member_ids(&api, &admin, &b.id).contains(&elsewhere.user_id));
    let members = member_ids(&api, &admin, &a.id);
    assert!(!members.contains(&eligible.user_id));
    assert!(!members.contains(&manager.user_id));

    // What does not depend on the target keeps its answer.
    let foreign = add(&api, &a.head, &b.id, json!({"user_id": eligible.user_id}));
    foreign.problem(404);
    add(&api, &a.head, &a.id, json!({"phone": 12})).problem(422);
    add(&api, &a.head, &a.id, json!({})).problem(422);
}

#[test]
fn a_head_changes_roles_only_of_its_current_members() {
    let api = Api::new();
    let admin = signed_in_as(&api, &["superadmin"]);
    let a = fleet(&api, &admin);
    let driver = signed_in_as(&api, &["driver"]);
    let head = &a.head.access_token;
    let courier = json!({"add": ["courier"]});
    let member = format!("/api/v1/organizations/{}/members/{}", a.id, driver.user_id);

    // Invited, not yet accepted: beyond the head's reach.
    let invited = add(&api, &a.head, &a.id, json!({"user_id": driver.user_id}));
    assert_eq!(invited.status, 202, "{}", invited.text);
    api.bearer("POST", &roles_path(&driver), head, Some(&courier))
        .problem(404);
    api.bearer("DELETE", &member, head, None).problem(404);
    api.bearer(
        "PATCH",
        &format!("/api/v1/users/{}", driver.user_id),
        head,
        Some(&json!({"is_active": false})),
    )
    .problem(404);
    let me = api.me(&driver.access_token).json();
    assert_eq!(me["roles"], json!(["driver"]));

    // A member: within reach.
    let id = the_invitation(&api, &driver, &a.id);
    assert_eq!(answer(&api, &driver, &id, "accept").status, 200);
    let granted = api.bearer("POST", &roles_path(&driver), head, Some(&courier));
    assert_eq!(granted.status, 200, "{}", granted.text);
    assert_eq!(granted.json()["roles"], json!(["courier", "driver"]));

    // A former member: beyond reach again.
    let removed = api.bearer("DELETE", &member, head, None);
    assert_eq!(removed.status, 204, "{}", removed.text);
    let back = json!({"remove": ["courier"]});
    api.bearer("POST", &roles_path(&driver), head, Some(&back))
        .problem(404);
    api.bearer("DELETE", &member, head, None).problem(404);
    let mut driver = driver;
    sign_in_again(&api, &mut driver);
    assert_eq!(
        api.me(&driver.access_token).json()["roles"],
        json!(["courier", "driver"])
    );
}

#[test]
fn accepting_checks_again_what_the_invitation_checked() {
    let api = Api::new();
    let admin = signed_in_as(&api, &["superadmin"]);
    let (mut a, b) = (fleet(&api, &admin), fleet(&api, &admin));
    let driver = signed_in_as(&api, &["driver"]);
    assert_eq!(
        add(&api, &a.head, &a.id, json!({"user_id": driver.user_id})).status,
        202
    );
    let id = the_invitation(&api, &driver, &a.id);
    let path = format!("/api/v1/organizations/{}", a.id);
    let set_active = |active: bool| {
        let reply = api.bearer(
            "PATCH",
            &path,
            &admin.access_token,
            Some(&json!({"is_active": active})),
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
    };

    // The fleet was deactivated since: not listed, and nobody joins it.
    set_active(false);
    assert!(invitations_of(&api, &driver).is_empty());
    let refused = answer(&api, &driver, &id, "accept").problem(409);
    assert_eq!(refused["type"], "urn:auth:problem:organization-inactive");
    set_active(true);
    assert_eq!(the_invitation(&api, &driver, &a.id), id);
    // (The deactivation ended the head's session, which named the fleet.)
    sign_in_again(&api, &mut a.head);

    // The driver joined another fleet since (staff moved them).
    let moved = add(&api, &admin, &b.id, json!({"user_id": driver.user_id}));
    assert_eq!(moved.status, 201, "{}", moved.text);
    let refused = answer(&api, &driver, &id, "accept").problem(409);
    assert_eq!(refused["type"], "urn:auth:problem:cannot-join");
    assert!(!member_ids(&api, &admin, &a.id).contains(&driver.user_id));
    let left = api.bearer(
        "DELETE",
        &format!("/api/v1/organizations/{}/members/{}", b.id, driver.user_id),
        &admin.access_token,
        None,
    );
    assert_eq!(left.status, 204, "{}", left.text);

    // Their roles changed since: a staff role is never a head's to bring in.
    e2e::set_roles(&driver.user_id, &["support"]);
    answer(&api, &driver, &id, "accept").problem(409);
    e2e::set_roles(&driver.user_id, &["driver"]);
    assert_eq!(answer(&api, &driver, &id, "accept").status, 200);

    // An expired invitation is gone: not listed, not answered; a new one
    // may be made (the old one is kept, marked expired).
    let late = signed_in_as(&api, &["courier"]);
    assert_eq!(
        add(&api, &a.head, &a.id, json!({"user_id": late.user_id})).status,
        202
    );
    let old = the_invitation(&api, &late, &a.id);
    admin_db()
        .execute(
            "UPDATE accounts.organization_invitations
             SET created_at = now() - interval '8 days', expires_at = now() - interval '1 day'
             WHERE id = $1::text::uuid",
            &[&old],
        )
        .unwrap();
    assert!(invitations_of(&api, &late).is_empty());
    answer(&api, &late, &old, "accept").problem(404);
    answer(&api, &late, &old, "decline").problem(404);
    assert_eq!(
        add(&api, &a.head, &a.id, json!({"user_id": late.user_id})).status,
        202
    );
    let new = the_invitation(&api, &late, &a.id);
    assert_ne!(new, old);
    assert_eq!(statuses(&a.id, &late.user_id), ["expired", "pending"]);
}

#[test]
fn concurrent_acceptances_start_one_membership() {
    let api = Api::new();
    let admin = signed_in_as(&api, &["superadmin"]);
    let a = fleet(&api, &admin);
    let driver = signed_in_as(&api, &["driver"]);
    assert_eq!(
        add(&api, &a.head, &a.id, json!({"user_id": driver.user_id})).status,
        202
    );
    let id = the_invitation(&api, &driver, &a.id);
    let answers: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..10)
            .map(|i| {
                let (api, driver, id) = (&api, &driver, &id);
                s.spawn(move || {
                    let verb = if i % 3 == 2 { "decline" } else { "accept" };
                    answer(api, driver, id, verb).status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let won = answers.iter().filter(|s| [200, 204].contains(*s)).count();
    assert_eq!(won, 1, "answered once: {answers:?}");
    assert_eq!(
        answers.iter().filter(|s| **s == 404).count(),
        9,
        "{answers:?}"
    );
    let current: i64 = admin_db()
        .query_one(
            "SELECT count(*) FROM accounts.organization_members
             WHERE user_id = $1::text::uuid AND ended_at IS NULL",
            &[&driver.user_id],
        )
        .unwrap()
        .get(0);
    let accepted = answers.contains(&200);
    assert_eq!(current, i64::from(accepted));
    assert_eq!(started_events(&a.id, &driver.user_id), i64::from(accepted));
}

#[test]
fn a_dismissed_head_loses_the_heading_role_when_it_heads_nothing_else() {
    let api = Api::new();
    let admin = signed_in_as(&api, &["superadmin"]);
    let (a, b) = (
        new_organization(&api, &admin, "fleet"),
        new_organization(&api, &admin, "fleet"),
    );
    let firm = new_organization(&api, &admin, "firm");
    let mut head = signed_in_as(&api, &["customer"]);
    for organization in [&a, &b, &firm] {
        appoint_head(&api, &admin, organization, &head.user_id);
    }
    sign_in_again(&api, &mut head);
    let roles = |token: &str| claims_of(token)["roles"].clone();
    assert_eq!(
        roles(&head.access_token),
        json!(["customer", "executor_head", "service_head"])
    );
    let head_id = head.user_id.clone();
    let dismiss = |organization: &str| dismiss(&api, &admin, organization, &head_id);
    let refresh = |head: &mut SignedIn| {
        let reply = api.refresh(&head.refresh_token);
        assert_eq!(reply.status, 200, "{}", reply.shown());
        let pair = reply.json();
        head.access_token = pair["access_token"].as_str().unwrap().to_string();
        head.refresh_token = pair["refresh_token"].as_str().unwrap().to_string();
    };

    // Still heading fleet B: the fleet head's role stays.
    let membership = dismiss(&a);
    assert_eq!(membership["is_head"], false);
    assert_eq!(
        membership["roles"],
        json!(["customer", "executor_head", "service_head"])
    );
    refresh(&mut head);
    assert_eq!(
        roles(&head.access_token),
        json!(["customer", "executor_head", "service_head"])
    );

    // Heading no fleet: it goes (the firm's role stays), and the next
    // refresh and /me show it.
    let membership = dismiss(&b);
    assert_eq!(membership["roles"], json!(["customer", "service_head"]));
    let before = head.access_token.clone();
    refresh(&mut head);
    assert_eq!(
        roles(&head.access_token),
        json!(["customer", "service_head"])
    );
    let mut orgs = vec![a.clone(), b.clone(), firm.clone()];
    orgs.sort();
    assert_eq!(
        claims_of(&head.access_token)["orgs"],
        json!(orgs),
        "still a member of all three"
    );
    for token in [&before, &head.access_token] {
        let me = api.me(token).json();
        assert_eq!(me["roles"], json!(["customer", "service_head"]));
        let heads: Vec<&str> = me["organizations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["is_head"] == true)
            .map(|o| o["id"].as_str().unwrap())
            .collect();
        assert_eq!(heads, vec![firm.as_str()]);
    }
    let grantable = api
        .bearer("GET", "/api/v1/auth/roles", &head.access_token, None)
        .json();
    assert_eq!(
        grantable["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["service_staff"]
    );

    // The last one: no heading role is left; a new sign-in agrees.
    dismiss(&firm);
    sign_in_again(&api, &mut head);
    assert_eq!(roles(&head.access_token), json!(["customer"]));
    api.bearer("GET", "/api/v1/organizations", &head.access_token, None)
        .problem(403);
}

#[test]
fn a_heading_role_staff_granted_outright_outlives_a_dismissal() {
    // Only what appointing gave, dismissing takes: a role staff granted
    // outright (here after the appointment) stays.
    let api = Api::new();
    let admin = signed_in_as(&api, &["superadmin"]);
    let fleet = fleet(&api, &admin);
    let granted = api.bearer(
        "POST",
        &roles_path(&fleet.head),
        &admin.access_token,
        Some(&json!({"add": ["executor_head"]})),
    );
    assert_eq!(granted.status, 200, "{}", granted.text);
    let membership = dismiss(&api, &admin, &fleet.id, &fleet.head.user_id);
    assert_eq!(membership["is_head"], false);
    assert_eq!(membership["roles"], json!(["customer", "executor_head"]));
}

#[test]
fn an_invitation_dies_with_its_heads_headship() {
    // Before: a dismissed head's pending invitation could still be
    // accepted, joining the person to an organization on the word of
    // someone who no longer heads it.
    let api = Api::new();
    let admin = signed_in_as(&api, &["superadmin"]);
    let fleet = fleet(&api, &admin);
    let (first, second) = (
        signed_in_as(&api, &["driver"]),
        signed_in_as(&api, &["driver"]),
    );
    for driver in [&first, &second] {
        let invited = add(
            &api,
            &fleet.head,
            &fleet.id,
            json!({"user_id": driver.user_id}),
        );
        assert_eq!(invited.status, 202, "{}", invited.text);
    }
    let pending = the_invitation(&api, &first, &fleet.id);
    let second_pending = the_invitation(&api, &second, &fleet.id);

    // Dismissed: the invitations still pending are withdrawn.
    dismiss(&api, &admin, &fleet.id, &fleet.head.user_id);
    assert!(invitations_of(&api, &first).is_empty());
    answer(&api, &first, &pending, "accept").problem(404);
    assert_eq!(statuses(&fleet.id, &first.user_id), ["withdrawn"]);
    assert!(!member_ids(&api, &admin, &fleet.id).contains(&first.user_id));

    // A head whose membership ended otherwise (no dismissal to withdraw
    // it): the acceptance finds out and withdraws it then.
    admin_db()
        .execute(
            "UPDATE accounts.organization_invitations SET status = 'pending', closed_at = NULL
             WHERE id = $1::text::uuid",
            &[&second_pending],
        )
        .unwrap();
    answer(&api, &second, &second_pending, "accept").problem(404);
    assert_eq!(statuses(&fleet.id, &second.user_id), ["withdrawn"]);
    assert_eq!(started_events(&fleet.id, &second.user_id), 0);
}

#[test]
fn a_head_removed_as_a_member_loses_what_a_dismissal_takes() {
    // Before: staff ending a head's membership (instead of dismissing)
    // left the heading role for good (no membership left to dismiss) and
    // its invitations open.
    let api = Api::new();
    let admin = signed_in_as(&api, &["superadmin"]);
    let mut fleet = fleet(&api, &admin);
    let driver = signed_in_as(&api, &["driver"]);
    let invited = add(
        &api,
        &fleet.head,
        &fleet.id,
        json!({"user_id": driver.user_id}),
    );
    assert_eq!(invited.status, 202, "{}", invited.text);
    assert_eq!(invitations_of(&api, &driver).len(), 1);

    let removed = api.bearer(
        "DELETE",
        &format!(
            "/api/v1/organizations/{}/members/{}",
            fleet.id, fleet.head.user_id
        ),
        &admin.access_token,
        None,
    );
    assert!(removed.status < 300, "{} {}", removed.status, removed.text);
    assert!(invitations_of(&api, &driver).is_empty());
    assert_eq!(statuses(&fleet.id, &driver.user_id), ["withdrawn"]);
    sign_in_again(&api, &mut fleet.head);
    assert_eq!(
        claims_of(&fleet.head.access_token)["roles"],
        json!(["customer"])
    );
}

/// Invitations made, accepted and declined are security events (ids only).
#[test]
fn invitations_are_written_to_the_security_log() {
    let redis = OwnRedis::start();
    let host = OwnHost::start(&redis.variables());
    let api = &host.api;
    let admin = signed_in_as(api, &["superadmin"]);
    let a = fleet(api, &admin);
    let (yes, no) = (
        signed_in_as(api, &["driver"]),
        signed_in_as(api, &["courier"]),
    );
    for person in [&yes, &no] {
        assert_eq!(
            add(api, &a.head, &a.id, json!({"user_id": person.user_id})).status,
            202
        );
    }
    let accepted = the_invitation(api, &yes, &a.id);
    let declined = the_invitation(api, &no, &a.id);
    assert_eq!(answer(api, &yes, &accepted, "accept").status, 200);
    assert_eq!(answer(api, &no, &declined, "decline").status, 204);

    let wanted = [
        ("invitation.created", &accepted, &yes, true),
        ("invitation.created", &declined, &no, true),
        ("invitation.accepted", &accepted, &yes, false),
        ("invitation.declined", &declined, &no, false),
        ("membership_started", &accepted, &yes, false),
    ];
    let mut lines = Vec::new();
    for _ in 0..50 {
        lines = std::fs::read_to_string(host.component_log_path("stdout"))
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|line| line["kind"] == "security")
            .collect();
        if lines
            .iter()
            .filter(|l| l["event"] == "invitation.declined")
            .count()
            > 0
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    for (event, invitation, person, by_head) in wanted {
        let found: Vec<&Value> = lines
            .iter()
            .filter(|l| l["event"] == event && l["user_id"] == person.user_id.as_str())
            .collect();
        assert_eq!(found.len(), 1, "{event} of {invitation}: {lines:?}");
        let line = found[0];
        assert_eq!(line["organization_id"], a.id.as_str(), "{line}");
        if event.starts_with("invitation.") {
            assert_eq!(line["invitation_id"], invitation.as_str(), "{line}");
        }
        if by_head {
            assert_eq!(line["by"], a.head.user_id.as_str(), "{line}");
        }
        assert!(
            !line.to_string().contains(&person.person.second_login),
            "ids only: {line}"
        );
    }
}
