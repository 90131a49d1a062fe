//! The stored functions, called directly as the service role against the real
//! database: what they store and the outcomes they return.

use e2e::{admin_db, service_db, Person};
use postgres::Client;
use serde_json::{json, Value};

/// A bcrypt-shaped hash (the table refuses anything else); no password matches it.
const HASH: &str = "$2b$04$.....................................................";
const REGISTER: &str = "SELECT auth.register($1, $2, $3, $7, '{}'::jsonb, $4, $5, $6, 3600, 'sql-test', '127.0.0.1', 30, NULL, NULL)";

/// A session's refresh seed (16 bytes; auth.sessions keeps its SHA-256).
fn seed() -> Vec<u8> {
    e2e::unique_bytes::<16>().to_vec()
}

fn register(
    db: &mut Client,
    p: &Person,
    groups: &[&str],
    interface: &str,
) -> Result<Value, postgres::Error> {
    let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
    db.query_one(
        REGISTER,
        &[
            &p.second_login,
            &p.phone,
            &p.email,
            &groups,
            &interface,
            &seed(),
            &HASH,
        ],
    )
    .map(|row| row.get(0))
}

/// `auth.sign_in` as the service calls it after checking `checked_hash`,
/// allowed to evict the oldest session at the limit.
fn sign_in(db: &mut Client, user_id: &str, checked_hash: &str, max_sessions: i32) -> Value {
    db.query_one(
        "SELECT auth.sign_in($1::text::uuid, $2, $3, 3600, $4, NULL, NULL, 30, true)",
        &[&user_id, &checked_hash, &seed(), &max_sessions],
    )
    .unwrap()
    .get(0)
}

#[test]
fn sign_in_refuses_a_hash_that_is_no_longer_current() {
    let mut db = service_db();
    let user = register(&mut db, &Person::new(), &["customer"], "customer_app").unwrap();
    let user_id = user["user_id"].as_str().unwrap();
    let stale = "$2b$04$/////////////////////////////////////////////////////";
    assert_eq!(
        sign_in(&mut db, user_id, stale, 10),
        json!({"outcome": "credentials_changed"})
    );
    assert_eq!(sign_in(&mut db, user_id, HASH, 10)["outcome"], "opened");
}

fn sqlstate(e: &postgres::Error) -> String {
    e.code().map(|c| c.code().to_string()).unwrap_or_default()
}

#[test]
fn register_stores_the_user_and_returns_its_session() {
    let mut db = service_db();
    let p = Person::new();
    let result = register(&mut db, &p, &["customer"], "customer_app").unwrap();
    assert_eq!(result["outcome"], "registered");
    assert_eq!(result["roles"], serde_json::json!(["customer"]));
    for key in ["user_id", "session_id", "created_at", "session_expires_at"] {
        assert!(result[key].is_string(), "{key} in {result}");
    }

    let row = admin_db()
        .query_one(
            "SELECT (SELECT count(*) FROM accounts.contacts WHERE user_id = u.id AND is_active),
                    (SELECT count(*) FROM auth.sessions WHERE user_id = u.id AND revoked_at IS NULL),
                    (SELECT payload FROM auth.outbox WHERE aggregate_id = u.id AND event_type = 'user.registered')
             FROM accounts.users u WHERE u.id = $1::text::uuid",
            &[&result["user_id"].as_str().unwrap()],
        )
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 3, "login, phone and email");
    assert_eq!(row.get::<_, i64>(1), 1);
    let event: Value = row.get(2);
    assert_eq!(event["second_login"], p.second_login.as_str());
    assert_eq!(event["user_id"], result["user_id"]);
    assert_eq!(event["roles"], serde_json::json!(["customer"]));
}

#[test]
fn register_answers_each_outcome_as_a_value() {
    // As values, not raised errors: under Spin a raised error reaches the
    // component only as text.
    let mut db = service_db();
    let outcome = register(&mut db, &Person::new(), &["customer"], "no_such_app").unwrap();
    assert_eq!(outcome, json!({"outcome": "unknown_interface"}));

    let outcome = register(
        &mut db,
        &Person::new(),
        &["customer", "manager", "driver"],
        "customer_app",
    )
    .unwrap();
    assert_eq!(
        outcome,
        json!({"outcome": "roles_not_allowed", "roles": ["driver", "manager"]})
    );
    let outcome = register(&mut db, &Person::new(), &[], "customer_app").unwrap();
    assert_eq!(
        outcome,
        json!({"outcome": "roles_not_allowed", "roles": []})
    );

    let taken = Person::new();
    register(&mut db, &taken, &["courier"], "courier_app").unwrap();
    // A verified email conflicts; one held unverified is claimed instead.
    admin_db()
        .execute(
            "UPDATE accounts.contacts SET verified_at = now() WHERE value = $1",
            &[&taken.email],
        )
        .unwrap();
    for field in ["second_login", "phone", "email"] {
        let mut p = Person::new();
        match field {
            "second_login" => p.second_login = taken.second_login.clone(),
            "phone" => p.phone = taken.phone.clone(),
            _ => p.email = taken.email.clone(),
        }
        let outcome = register(&mut db, &p, &["customer"], "customer_app").unwrap();
        assert_eq!(outcome, json!({"outcome": "taken", "field": field}));
        // The refused registration left none of its other values behind.
        let left: i64 = admin_db()
            .query_one(
                "SELECT count(*) FROM accounts.contacts WHERE value IN ($1, $2, $3) AND user_id <> \
                 (SELECT user_id FROM accounts.contacts WHERE value = $4)",
                &[&p.second_login, &p.phone, &p.email, &taken.second_login],
            )
            .unwrap()
            .get(0);
        assert_eq!(
            left, 0,
            "{field}: values of the refused registration stayed"
        );
    }
}

#[test]
fn a_deactivated_user_opens_no_session() {
    let mut db = service_db();
    let user = register(&mut db, &Person::new(), &["customer"], "customer_app").unwrap();
    let user_id = user["user_id"].as_str().unwrap();
    admin_db()
        .execute(
            "UPDATE accounts.users SET is_active = false WHERE id = $1::text::uuid",
            &[&user_id],
        )
        .unwrap();
    assert_eq!(
        sign_in(&mut db, user_id, HASH, 10),
        json!({"outcome": "user_inactive"})
    );
}

#[test]
fn opening_sessions_past_the_limit_evicts_the_oldest() {
    let mut db = service_db();
    let first = register(&mut db, &Person::new(), &["customer"], "customer_app").unwrap();
    let user_id = first["user_id"].as_str().unwrap().to_string();
    let mut sessions = vec![first["session_id"].as_str().unwrap().to_string()];
    for _ in 0..2 {
        let opened = sign_in(&mut db, &user_id, HASH, 2);
        assert_eq!(opened["outcome"], "opened");
        sessions.push(opened["session_id"].as_str().unwrap().to_string());
    }
    let rows = admin_db()
        .query(
            "SELECT id::text, revoked_reason FROM auth.sessions WHERE user_id = $1::text::uuid ORDER BY created_at",
            &[&user_id],
        )
        .unwrap();
    let states: Vec<(String, Option<String>)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        states,
        vec![
            (sessions[0].clone(), Some("evicted".to_string())),
            (sessions[1].clone(), None),
            (sessions[2].clone(), None)
        ]
    );
}

#[test]
fn a_sign_in_that_may_not_evict_opens_nothing_at_the_limit() {
    let mut db = service_db();
    let first = register(&mut db, &Person::new(), &["customer"], "customer_app").unwrap();
    let user_id = first["user_id"].as_str().unwrap().to_string();
    let sign_in_without_eviction = |db: &mut Client| -> Value {
        db.query_one(
            "SELECT auth.sign_in($1::text::uuid, $2, $3, 3600, 2, NULL, NULL, 30, false)",
            &[&user_id, &HASH, &seed()],
        )
        .unwrap()
        .get(0)
    };
    assert_eq!(sign_in_without_eviction(&mut db)["outcome"], "opened");
    assert_eq!(
        sign_in_without_eviction(&mut db),
        json!({"outcome": "at_session_limit"})
    );
    let counts: (i64, i64) = {
        let row = admin_db()
            .query_one(
                "SELECT count(*), count(*) FILTER (WHERE revoked_at IS NULL) FROM auth.sessions WHERE user_id = $1::text::uuid",
                &[&user_id],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(counts, (2, 2), "nothing opened, nothing evicted");
}

/// `auth.refresh_session` with the parts of a token whose MAC the
/// component checked.
fn refresh(db: &mut Client, session: &str, seed: &[u8], generation: i64, grace: i32) -> Value {
    db.query_one(
        "SELECT auth.refresh_session($1::text::uuid, $2, $3, $4)",
        &[&session, &seed, &generation, &grace],
    )
    .unwrap()
    .get(0)
}

fn session_is_open(id: &str) -> bool {
    admin_db()
        .query_one(
            "SELECT revoked_at IS NULL FROM auth.sessions WHERE id = $1::text::uuid",
            &[&id],
        )
        .unwrap()
        .get(0)
}

#[test]
fn a_refresh_moves_the_generation_and_a_tab_within_the_grace_gets_the_same_one() {
    let mut db = service_db();
    let session_seed = seed();
    let user = db
        .query_one(
            REGISTER,
            &[
                &Person::new().second_login,
                &Person::new().phone,
                &Person::new().email,
                &vec!["customer".to_string()],
                &"customer_app",
                &session_seed,
                &HASH,
            ],
        )
        .map(|row| row.get::<_, Value>(0))
        .unwrap();
    let session = user["session_id"].as_str().unwrap().to_string();
    let rotated = refresh(&mut db, &session, &session_seed, 0, 10);
    assert_eq!(rotated["outcome"], "rotated");
    assert_eq!(rotated["generation"], 1, "the next token's generation");
    assert_eq!(rotated["user_id"], user["user_id"]);
    assert_eq!(rotated["amr"], json!(["pwd"]));
    // The same token again, a moment later (another tab): the generation
    // it got is answered again, nothing moves.
    let concurrent = refresh(&mut db, &session, &session_seed, 0, 10);
    assert_eq!(concurrent["outcome"], "rotated");
    assert_eq!(concurrent["generation"], 1);
    assert_eq!(
        refresh(&mut db, &session, &session_seed, 1, 10)["generation"],
        2
    );
    // Two generations back within the grace of its rotation: a tab that
    // missed two quick refreshes, told the current one.
    let behind = refresh(&mut db, &session, &session_seed, 0, 10);
    assert_eq!(behind["outcome"], "rotated");
    assert_eq!(behind["generation"], 2);
    // Three back is a replay even within the grace.
    assert_eq!(
        refresh(&mut db, &session, &session_seed, 2, 10)["generation"],
        3
    );
    let replay = refresh(&mut db, &session, &session_seed, 0, 10);
    assert_eq!(replay["outcome"], "reuse_detected");
    assert!(session_is_open(&session), "reported, not ended");
}

#[test]
fn a_refresh_changes_no_index_of_the_sessions_table() {
    let mut db = service_db();
    let session_seed = seed();
    let p = Person::new();
    let user: Value = db
        .query_one(
            REGISTER,
            &[
                &p.second_login,
                &p.phone,
                &p.email,
                &vec!["customer".to_string()],
                &"customer_app",
                &session_seed,
                &HASH,
            ],
        )
        .unwrap()
        .get(0);
    let session = user["session_id"].as_str().unwrap().to_string();
    // Each rotation is a HOT update (no new index entry) when its page has
    // room. Counted within one transaction of this connection, so no other
    // test's updates are counted (five: versions of one row that no one can
    // prune yet must fit on its page).
    let mut tx = db.transaction().unwrap();
    for generation in 0i64..5 {
        let rotated: Value = tx
            .query_one(
                "SELECT auth.refresh_session($1::text::uuid, $2, $3, 10)",
                &[&session, &session_seed, &generation],
            )
            .unwrap()
            .get(0);
        assert_eq!(rotated["outcome"], "rotated");
    }
    let row = tx
        .query_one(
            "SELECT pg_stat_get_xact_tuples_updated('auth.sessions'::regclass),
                    pg_stat_get_xact_tuples_hot_updated('auth.sessions'::regclass)",
            &[],
        )
        .unwrap();
    let (updates, hot_updates): (i64, i64) = (row.get(0), row.get(1));
    tx.rollback().unwrap();
    assert_eq!(updates, 5, "one update of one row per refresh");
    assert_eq!(hot_updates, 5, "every one a HOT update");
}

#[test]
fn a_replayed_token_ends_only_its_own_session_and_only_once_replayed() {
    let mut db = service_db();
    let p = Person::new();
    let session_seed = seed();
    let user: Value = db
        .query_one(
            REGISTER,
            &[
                &p.second_login,
                &p.phone,
                &p.email,
                &vec!["customer".to_string()],
                &"customer_app",
                &session_seed,
                &HASH,
            ],
        )
        .unwrap()
        .get(0);
    let other = register(&mut db, &Person::new(), &["customer"], "customer_app").unwrap();
    let session = user["session_id"].as_str().unwrap().to_string();
    let end = |db: &mut Client, session: &str, seed: &Vec<u8>| -> bool {
        db.query_one(
            "SELECT auth.end_replayed_session($1::text::uuid, $2)",
            &[&session, seed],
        )
        .unwrap()
        .get(0)
    };
    assert!(!end(&mut db, &session, &session_seed), "no replay yet");

    // Rotated, then presented again after the grace (0 s): marked and
    // reported, not ended.
    assert_eq!(
        refresh(&mut db, &session, &session_seed, 0, 0)["outcome"],
        "rotated"
    );
    let replay = refresh(&mut db, &session, &session_seed, 0, 0);
    let user_id = user["user_id"].as_str().unwrap();
    assert_eq!(
        replay,
        json!({"outcome": "reuse_detected", "session_id": session, "user_id": user_id})
    );
    assert!(session_is_open(&session), "reported, not ended");
    // Until it ends, any token of the session reports the replay again: the
    // current one does not rotate.
    assert_eq!(
        refresh(&mut db, &session, &session_seed, 1, 0)["outcome"],
        "reuse_detected"
    );
    // Another session with this seed, or this session with another seed:
    // nothing, not a replay.
    assert_eq!(
        refresh(
            &mut db,
            other["session_id"].as_str().unwrap(),
            &session_seed,
            0,
            0
        )["outcome"],
        "invalid"
    );
    assert_eq!(
        refresh(&mut db, &session, &seed(), 0, 0)["outcome"],
        "invalid"
    );

    let other_session = other["session_id"].as_str().unwrap();
    assert!(
        !end(&mut db, other_session, &session_seed),
        "not that token's session"
    );
    assert!(!end(&mut db, &session, &seed()), "not that session's seed");
    assert!(session_is_open(other_session));
    assert!(end(&mut db, &session, &session_seed));
    assert!(!session_is_open(&session));
    assert!(!end(&mut db, &session, &session_seed), "ended once");
}

#[test]
fn a_token_of_the_stored_scheme_refreshes_once_into_a_seed_and_its_replay_is_seen() {
    let mut db = service_db();
    let user = register(&mut db, &Person::new(), &["customer"], "customer_app").unwrap();
    let session = user["session_id"].as_str().unwrap().to_string();
    // A session as migration 0035 found it: no seed, its token's SHA-256
    // stored.
    let stored = e2e::unique_bytes::<32>().to_vec();
    let mut admin = admin_db();
    admin
        .execute(
            "UPDATE auth.sessions SET refresh_seed_digest = NULL WHERE id = $1::text::uuid",
            &[&session],
        )
        .unwrap();
    admin
        .execute(
            "INSERT INTO auth.refresh_tokens (token_hash, session_id) VALUES ($1, $2::text::uuid)",
            &[&stored, &session],
        )
        .unwrap();
    let rotate = "SELECT auth.rotate_refresh_token($1, $2, 0)";
    let new_seed = seed();
    let moved: Value = db.query_one(rotate, &[&stored, &new_seed]).unwrap().get(0);
    assert_eq!(moved["outcome"], "rotated");
    assert_eq!(moved["generation"], 0);
    // Another old token of the session (the old scheme let tabs fork them),
    // with its own seed: the session moved already, it gets nothing.
    let forked = e2e::unique_bytes::<32>().to_vec();
    admin
        .execute(
            "INSERT INTO auth.refresh_tokens (token_hash, session_id) VALUES ($1, $2::text::uuid)",
            &[&forked, &session],
        )
        .unwrap();
    let fork: Value = db.query_one(rotate, &[&forked, &seed()]).unwrap().get(0);
    assert_eq!(fork["outcome"], "invalid");
    // From now on it refreshes by generation, with the seed it took.
    assert_eq!(
        refresh(&mut db, &session, &new_seed, 0, 10)["generation"],
        1
    );
    // The stored token presented again after the grace: a replay.
    let replay: Value = db.query_one(rotate, &[&stored, &seed()]).unwrap().get(0);
    assert_eq!(replay["outcome"], "reuse_detected");
    let ended: bool = db
        .query_one(
            "SELECT auth.end_reused_session($1::text::uuid, $2)",
            &[&session, &stored],
        )
        .unwrap()
        .get(0);
    assert!(ended);
    assert!(!session_is_open(&session));
}

#[test]
fn find_credentials_sees_only_active_contacts() {
    let mut db = service_db();
    let p = Person::new();
    let user = register(&mut db, &p, &["customer"], "customer_app").unwrap();
    let find = |db: &mut Client, kind: &str, value: &str| -> Option<Value> {
        db.query_one("SELECT auth.find_credentials($1, $2)", &[&kind, &value])
            .unwrap()
            .get(0)
    };
    let found = find(&mut db, "email", &p.email).expect("found by email");
    assert_eq!(found["user_id"], user["user_id"]);
    assert_eq!(found["password_hash"], HASH);

    admin_db()
        .execute(
            "UPDATE accounts.contacts SET is_active = false, deactivated_at = now() WHERE value = $1",
            &[&p.email],
        )
        .unwrap();
    assert!(
        find(&mut db, "email", &p.email).is_none(),
        "a deactivated email no longer logs in"
    );
    assert!(find(&mut db, "second_login", &p.second_login).is_some());
}

#[test]
fn one_active_value_per_contact_is_a_database_constraint() {
    let mut db = service_db();
    let (a, b) = (Person::new(), Person::new());
    let user_a = register(&mut db, &a, &["customer"], "customer_app").unwrap();
    register(&mut db, &b, &["customer"], "customer_app").unwrap();
    let mut admin = admin_db();
    // Even bypassing the functions, b's phone cannot be made a's too...
    let e = admin
        .execute(
            "INSERT INTO accounts.contacts (user_id, contact_type, value) VALUES ($1::text::uuid, 'phone', $2)",
            &[&user_a["user_id"].as_str().unwrap(), &b.phone],
        )
        .unwrap_err();
    assert_eq!(sqlstate(&e), "23505");
    // ...nor can a hold two active second_logins.
    let e = admin
        .execute(
            "INSERT INTO accounts.contacts (user_id, contact_type, value) VALUES ($1::text::uuid, 'second_login', $2)",
            &[&user_a["user_id"].as_str().unwrap(), &format!("other.{}", e2e::unique_number())],
        )
        .unwrap_err();
    assert_eq!(sqlstate(&e), "23505");
}

/// Someone heading a fleet and a firm, holding both heads' roles (set as
/// the database's owner), and a member of each; their ids.
fn head_of_a_fleet_and_a_firm() -> (String, String, String, String, String) {
    let mut owner = admin_db();
    let mut db = service_db();
    let mut user = |groups: &[&str]| -> String {
        let made = register(&mut db, &Person::new(), &["customer"], "customer_app").unwrap();
        let id = made["user_id"].as_str().unwrap().to_string();
        for group in groups {
            owner
                .execute(
                    "INSERT INTO accounts.memberships (user_id, group_name) VALUES ($1::text::uuid, $2)",
                    &[&id, group],
                )
                .unwrap();
        }
        id
    };
    let head = user(&["executor_head", "service_head"]);
    let (in_fleet, in_firm) = (user(&["driver"]), user(&["service_staff"]));
    let mut owner = admin_db();
    let mut organization = |kind: &str, service: Option<&str>| -> String {
        owner
            .query_one(
                "INSERT INTO accounts.organizations (kind, service_type, name)
                 VALUES ($1, $2, 'SQL test') RETURNING id::text",
                &[&kind, &service],
            )
            .unwrap()
            .get(0)
    };
    let fleet = organization("fleet", None);
    let firm = organization("firm", Some("order_service"));
    for (org, member, heads) in [
        (&fleet, &head, true),
        (&firm, &head, true),
        (&fleet, &in_fleet, false),
        (&firm, &in_firm, false),
    ] {
        owner
            .execute(
                "INSERT INTO accounts.organization_members (organization_id, user_id, head_since)
                 VALUES ($1::text::uuid, $2::text::uuid, CASE WHEN $3 THEN now() END)",
                &[org, member, &heads],
            )
            .unwrap();
    }
    (head, fleet, firm, in_fleet, in_firm)
}

#[test]
fn a_heads_grants_follow_the_kind_of_the_organization() {
    let (head, fleet, firm, in_fleet, in_firm) = head_of_a_fleet_and_a_firm();
    let mut owner = admin_db();
    // Other tests' own roles (test_…) left out.
    let grantable = |db: &mut Client, function: &str, a: &str, b: &str| -> Vec<String> {
        let roles: Vec<String> = db
            .query_one(
                &format!("SELECT accounts.{function}($1::text::uuid, $2::text::uuid)"),
                &[&a, &b],
            )
            .unwrap()
            .get(0);
        roles
            .into_iter()
            .filter(|r| !r.starts_with("test_"))
            .collect()
    };
    // In the fleet what an executor_head grants; in the firm what a
    // service_head grants; never the one in the other.
    assert_eq!(
        grantable(&mut owner, "grantable_in", &head, &fleet),
        ["courier", "driver"]
    );
    assert_eq!(
        grantable(&mut owner, "grantable_in", &head, &firm),
        ["service_staff"]
    );
    assert_eq!(
        grantable(&mut owner, "grantable_over", &head, &in_fleet),
        ["courier", "driver"]
    );
    assert_eq!(
        grantable(&mut owner, "grantable_over", &head, &in_firm),
        ["service_staff"]
    );
    // Someone of neither organization is beyond reach, whatever their roles.
    let stranger = register(&mut service_db(), &Person::new(), &["driver"], "driver_app").unwrap();
    let stranger = stranger["user_id"].as_str().unwrap();
    assert!(grantable(&mut owner, "grantable_over", &head, stranger).is_empty());
    let reaches: bool = owner
        .query_one(
            "SELECT accounts.reaches($1::text::uuid, $2::text::uuid)",
            &[&head, &stranger],
        )
        .unwrap()
        .get(0);
    assert!(!reaches);
    // Without the role that heads the kind, the mark alone gives nothing.
    owner
        .execute(
            "DELETE FROM accounts.memberships WHERE user_id = $1::text::uuid AND group_name = 'service_head'",
            &[&head],
        )
        .unwrap();
    assert!(grantable(&mut owner, "grantable_in", &head, &firm).is_empty());
    assert_eq!(
        grantable(&mut owner, "grantable_in", &head, &fleet),
        ["courier", "driver"]
    );
}

#[test]
fn one_current_membership_per_user_and_organization_is_a_database_constraint() {
    let (head, fleet, ..) = head_of_a_fleet_and_a_firm();
    let error = admin_db()
        .execute(
            "INSERT INTO accounts.organization_members (organization_id, user_id)
             VALUES ($1::text::uuid, $2::text::uuid)",
            &[&fleet, &head],
        )
        .unwrap_err();
    assert_eq!(sqlstate(&error), "23505");
    // An ended one is history, and a new one may start beside it.
    let mut owner = admin_db();
    owner
        .execute(
            "UPDATE accounts.organization_members SET ended_at = clock_timestamp()
             WHERE organization_id = $1::text::uuid AND user_id = $2::text::uuid",
            &[&fleet, &head],
        )
        .unwrap();
    owner
        .execute(
            "INSERT INTO accounts.organization_members (organization_id, user_id)
             VALUES ($1::text::uuid, $2::text::uuid)",
            &[&fleet, &head],
        )
        .unwrap();
}
